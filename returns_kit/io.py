"""Loading 抖店 exports: ``data/raw`` → typed canonical tables (+ a Parquet cache).

For an analyst::

    import returns_kit as rk
    data = rk.load("data/raw")        # reads data/raw, caches in data/processed
    data.after_sales.head()           # one row per 售后单 (售后单号), newest export wins
    data.orders.head()                # one row per 子订单 (子订单编号), newest export wins
    data.data_quality()               # {'rows_read': …, 'rows_kept': …, 'duplicates': …, 'rejected': …}
    data.quarantine                   # every rejected source row: file, row, column, reason, value

What the loader does (see ``shared/DESIGN.md`` §3 and :mod:`returns_kit.model`):

* every ``.xlsx`` / ``.xls`` / ``.csv`` in the folder is read; its kind (售后单 or 订单) is
  detected from its headers, never from its name.  Headers are matched after
  :func:`returns_kit.model.normalize_header`, through the alias lists of the model.
* every cell is read as text, then cleaned: BOM, leading tab, spaces, ``"…"`` and ``="…"``
  wrappers are stripped; ``-``, ``--``, empty … (:data:`returns_kit.model.NULL_TOKENS`) are null.
* IDs stay strings of digits; money, quantities and times are parsed; a cell that cannot be
  parsed rejects its row into the quarantine (one line per row: the first problem).
* several files of one kind are one table: rows are collapsed by 售后单号 / 子订单编号 and the
  newest export (time in the file name, else the file's mtime) wins.
* every row read is accounted for: ``rows_read == rows_kept + duplicates + rejected`` per file.
* personal data (receiver name, phone, street address) is used only for the salted
  ``buyer_key`` and never appears in a frame or in the cache.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io as _stdio
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import model
from .errors import ExportFormatError, InputError
from .model import ID, INT, MONEY, TEXT, TIME

__all__ = [
    "Dataset",
    "read_export",
    "ingest",
    "load",
    "KINDS",
    "DATA_SUFFIXES",
    "export_time_from_name",
    "frame_columns",
]

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

KINDS = ("after_sales", "orders")
KIND_COLUMNS: dict[str, tuple[model.Column, ...]] = {
    "after_sales": model.AFTER_SALE_COLUMNS,
    "orders": model.ORDER_COLUMNS,
}
KIND_DERIVED = {"after_sales": model.AFTER_SALE_DERIVED, "orders": model.ORDER_DERIVED}
KIND_ZH = {"after_sales": "售后单", "orders": "订单"}
#: the column that identifies a row across overlapping exports
KIND_KEY = {"after_sales": "after_sale_id", "orders": "sub_order_id"}
#: required columns that may still be empty in a row (unpaid / closed orders have no 支付完成时间)
NULLABLE_REQUIRED = {("orders", "pay_time")}

DATA_SUFFIXES = (".xlsx", ".xls", ".csv")
CACHE_FILES = ("after_sales.parquet", "orders.parquet", "accounting.parquet", "quarantine.csv")
MANIFEST = "manifest.json"
#: bump when the loader's output changes, so old caches are rebuilt
CACHE_FORMAT = 1

QUARANTINE_COLUMNS = ("file", "row", "column", "reason", "value")
ACCOUNTING_COLUMNS = ("file", "kind", "rows_read", "rows_kept", "duplicates", "rejected")

#: pandas string dtype used for IDs and text (the pandas 3 default ``str``; null is NaN)
STR = pd.StringDtype("pyarrow", na_value=np.nan)
TIME_DTYPE = "datetime64[ns]"

_KIND_DTYPE = {ID: STR, TEXT: STR, MONEY: "float64", INT: "Int64", TIME: TIME_DTYPE}
_KIND_ARROW = {ID: pa.string(), TEXT: pa.string(), MONEY: pa.float64(), INT: pa.int64(),
               TIME: pa.timestamp("ns")}
_DERIVED_DTYPE = {
    "after_sale_type": STR, "status": STR, "status_group": STR, "is_refund_success": "bool",
    "order_status": STR, "carrier": STR, "tracking_no": STR, "buyer_key": STR,
}
_LINEAGE_DTYPE = {"source_file": STR, "source_row": "int64", "export_time": TIME_DTYPE}

# Receiver columns of the order export read only to build buyer_key (then dropped).
_RECEIVER_NAME, _RECEIVER_PHONE = model.ORDER_PERSONAL_HEADERS[0], model.ORDER_PERSONAL_HEADERS[1]

_MAX_SAFE_INT = 2**53
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_TIME_FMT = "%Y-%m-%d %H:%M:%S"
_VALUE_WIDTH = 50

# reasons: Chinese first (the analyst's language), English in brackets (for the logs)
R_ID_NUMBER = "ID 被 Excel 改成科学计数法/数字，位数已丢失 (ID stored as a number, digits lost)"
R_ID_TEXT = "ID 含非数字字符 (ID is not all digits)"
R_ID_EMPTY = "必填 ID 为空 (required ID is empty)"
R_MONEY = "金额无法解析 (unparseable money amount)"
R_INT = "数量不是整数 (not an integer)"
R_TIME = "时间无法解析 (unparseable date/time)"
R_TIME_EMPTY = "必填时间为空 (required time is empty)"
R_FIELDS = "字段数不符：应为 {expected} 个，实际 {actual} 个 (expected {expected} fields, got {actual})"

_SCI_RE = re.compile(r"^[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+$")


def frame_columns(kind: str) -> list[str]:
    """Canonical column order of a table: model columns, then derived, then lineage."""
    return [c.name for c in KIND_COLUMNS[kind]] + list(KIND_DERIVED[kind]) + list(model.LINEAGE)


def _frame_dtypes(kind: str) -> dict[str, Any]:
    dtypes: dict[str, Any] = {c.name: _KIND_DTYPE[c.kind] for c in KIND_COLUMNS[kind]}
    dtypes.update({name: _DERIVED_DTYPE[name] for name in KIND_DERIVED[kind]})
    dtypes.update(_LINEAGE_DTYPE)
    return dtypes


def _empty_frame(kind: str) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in _frame_dtypes(kind).items()})


def _quarantine_frame(records: list[tuple] | None = None) -> pd.DataFrame:
    records = records or []
    cols = list(zip(*records)) if records else [[] for _ in QUARANTINE_COLUMNS]
    return pd.DataFrame({
        "file": pd.Series(cols[0], dtype=STR),
        "row": pd.Series(cols[1], dtype="int64"),
        "column": pd.Series(cols[2], dtype=STR),
        "reason": pd.Series(cols[3], dtype=STR),
        "value": pd.Series(cols[4], dtype=STR),
    })


def _accounting_frame(records: list[dict] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(records or [], columns=list(ACCOUNTING_COLUMNS))
    return df.astype({"file": STR, "kind": STR, "rows_read": "int64", "rows_kept": "int64",
                      "duplicates": "int64", "rejected": "int64"})


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------


@dataclass(repr=False)
class Dataset:
    """The loaded exports: two canonical tables plus the accounting of every row read.

    ``after_sales`` / ``orders`` have the columns of :func:`frame_columns`; ``accounting`` has one
    row per file (``file, kind, rows_read, rows_kept, duplicates, rejected``); ``quarantine`` one
    row per rejected source row (``file, row, column, reason, value``); ``skipped`` lists the
    files of the folder that are not exports (README.md, .gitkeep …).

    >>> data = load("data/raw")                              # doctest: +SKIP
    >>> data.data_quality()                                  # doctest: +SKIP
    {'rows_read': 10512, 'rows_kept': 10003, 'duplicates': 500, 'rejected': 9}
    """

    after_sales: pd.DataFrame
    orders: pd.DataFrame
    accounting: pd.DataFrame
    quarantine: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    processed_dir: Path | None = None
    from_cache: bool = False

    @property
    def quarantine_path(self) -> Path | None:
        """Where the quarantine CSV was written (``None`` for a Dataset built in memory)."""
        return None if self.processed_dir is None else Path(self.processed_dir) / "quarantine.csv"

    def data_quality(self) -> dict[str, int]:
        """Row accounting totals; ``rows_read == rows_kept + duplicates + rejected`` always."""
        acc = self.accounting
        totals = {k: int(acc[k].sum()) for k in ("rows_read", "rows_kept", "duplicates", "rejected")}
        if totals["rows_read"] != totals["rows_kept"] + totals["duplicates"] + totals["rejected"]:
            raise AssertionError(f"row accounting broken: {totals}")
        return totals

    def summary(self) -> str:
        """A few lines for humans: files per kind, row accounting, where the quarantine is."""
        acc = self.accounting
        q = self.data_quality()
        per_kind = ", ".join(
            f"{KIND_ZH[k]} {int((acc['kind'] == k).sum())}" for k in KINDS
        )
        lines = [f"files: {len(acc)} 抖店 exports ({per_kind})"]
        if self.skipped:
            lines.append(f"skipped (not exports): {', '.join(self.skipped)}")
        lines.append(
            f"rows: read {q['rows_read']:,} = kept {q['rows_kept']:,} + duplicates "
            f"{q['duplicates']:,} + rejected {q['rejected']:,}"
        )
        lines.append(
            f"tables: after_sales {len(self.after_sales):,} rows, orders {len(self.orders):,} rows"
            + (" (from cache)" if self.from_cache else "")
        )
        where = self.quarantine_path
        lines.append(
            f"quarantine: {len(self.quarantine):,} rows"
            + (f" → {where}" if where is not None else "")
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Dataset\n" + self.summary()


# --------------------------------------------------------------------------------------------
# Headers and kind detection
# --------------------------------------------------------------------------------------------


def _first_positions(headers: list[str]) -> dict[str, int]:
    """normalized header → first position (duplicate header names: first wins)."""
    pos: dict[str, int] = {}
    for i, h in enumerate(headers):
        norm = model.normalize_header(h)
        if norm and norm not in pos:
            pos[norm] = i
    return pos


def _match_columns(positions: dict[str, int], columns: tuple[model.Column, ...]) -> dict[str, int]:
    """canonical name → header position; the current header beats its aliases."""
    used: set[int] = set()
    mapping: dict[str, int] = {}
    for col in columns:
        for h in col.headers:
            i = positions.get(model.normalize_header(h))
            if i is not None and i not in used:
                mapping[col.name] = i
                used.add(i)
                break
    return mapping


def _detect_kind(headers: list[str], path: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    positions = _first_positions(headers)
    candidates = []
    for order, kind in enumerate(KINDS):
        cols = KIND_COLUMNS[kind]
        mapping = _match_columns(positions, cols)
        missing = [c.headers[0] for c in cols if c.required and c.name not in mapping]
        n_required = sum(c.required for c in cols)
        candidates.append(((n_required - len(missing), len(mapping), -order), kind, mapping, missing))
    complete = [c for c in candidates if not c[3]]
    pool = complete or candidates
    _, kind, mapping, missing = max(pool, key=lambda c: c[0])
    if missing:
        raise ExportFormatError(path, missing, f"抖店 export (closest match: {KIND_ZH[kind]} export)")
    return kind, mapping, positions


# --------------------------------------------------------------------------------------------
# Cell cleaning and parsing (vectorised, pyarrow compute)
# --------------------------------------------------------------------------------------------

_NULL_SET = pa.array(sorted(model.NULL_TOKENS), pa.string())
_NULL_STR = pa.scalar(None, pa.string())


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py()) if len(mask) else False


def _clean(arr: pa.Array) -> pa.Array:
    """Strip BOM, tabs, spaces, ``"…"`` / ``="…"`` wrappers; null tokens → null."""
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    if arr.null_count == len(arr):
        return arr
    if _any(pc.match_substring(arr, "\ufeff")):
        arr = pc.replace_substring(arr, "\ufeff", "")
    arr = pc.utf8_trim_whitespace(arr)
    if _any(pc.or_(pc.starts_with(arr, '"'), pc.starts_with(arr, '="'))):
        arr = pc.replace_substring_regex(arr, r'(?s)^=?"(.*)"$', r"\1")
        arr = pc.utf8_trim_whitespace(arr)
    is_null_token = pc.is_in(arr, value_set=_NULL_SET)
    if _any(is_null_token):
        arr = pc.if_else(is_null_token, _NULL_STR, arr)
    return arr


def _as_numpy_bool(mask: pa.Array) -> np.ndarray:
    return np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _parse_id(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    ok = pc.match_substring_regex(s, r"^[0-9]+$")
    bad = pc.and_(pc.is_valid(s), pc.invert(ok.fill_null(False)))
    return s, bad


_MONEY_JUNK = r"[¥￥元,，\s]"
# "店铺券-5.00" → "5.00": a name (with at least one non-number character), then "-amount"
_MONEY_NAMED = r"(?s)^(.*[^0-9+\-.].*)-([0-9]+(?:\.[0-9]+)?)$"
_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _parse_money(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    ok = pc.match_substring_regex(s, _NUMBER).fill_null(False)
    values = pc.cast(pc.if_else(ok, s, _NULL_STR), pa.float64())
    todo = pc.and_(pc.is_valid(s), pc.invert(ok))
    if _any(todo):  # only the cells that are not plain numbers go through the slow path
        idx = np.flatnonzero(_as_numpy_bool(todo))
        t = pc.replace_substring_regex(s.take(pa.array(idx)), _MONEY_JUNK, "")
        t = pc.replace_substring_regex(t, _MONEY_NAMED, r"\2")
        t_ok = pc.match_substring_regex(t, _NUMBER).fill_null(False)
        fixed = pc.cast(pc.if_else(t_ok, t, _NULL_STR), pa.float64())
        out = values.to_numpy(zero_copy_only=False).copy()
        out[idx] = fixed.to_numpy(zero_copy_only=False)
        values = pa.array(out, pa.float64(), from_pandas=True)  # NaN → null
    bad = pc.and_(pc.is_valid(s), pc.is_null(values))
    return pc.round(values, 2), bad


def _parse_int(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    t = pc.replace_substring_regex(s, r"[,，\s]", "")
    ok = pc.match_substring_regex(t, r"^[+-]?[0-9]+(?:\.0*)?$").fill_null(False)
    bad = pc.and_(pc.is_valid(s), pc.invert(ok))
    t = pc.replace_substring_regex(pc.if_else(ok, t, _NULL_STR), r"\.0*$", "")
    return pc.cast(t, pa.int64()), bad


_TIME_PARTS = (
    r"(?s)^(?P<y>[0-9]{4})[-/.年](?P<mo>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})日?"
    r"(?:[ T]+(?P<h>[0-9]{1,2})[:：](?P<mi>[0-9]{1,2})(?:[:：](?P<sec>[0-9]{1,2})(?:\.[0-9]+)?)?)?$"
)


def _parse_time_slow(s: pa.Array) -> pa.Array:
    """Tolerant path (``2026/5/6 1:03``, date only, fractional seconds): components → datetime."""
    parts = pc.extract_regex(s, _TIME_PARTS)  # null where no match
    frame = {}
    for src, dst in (("y", "year"), ("mo", "month"), ("d", "day"), ("h", "hour"),
                     ("mi", "minute"), ("sec", "second")):
        col = pc.struct_field(parts, src)
        col = pc.if_else(pc.equal(col, ""), pa.scalar("0"), col)  # optional groups → ""
        frame[dst] = pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False)
    df = pd.DataFrame(frame).astype("float64")  # float so missing rows can be NaN
    result = pd.to_datetime(df, errors="coerce")  # impossible dates (2月30日) → NaT
    return pa.array(result.astype(TIME_DTYPE), type=pa.timestamp("ns"))


def _parse_time(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    # fast path: the exports' own format, YYYY-MM-DD HH:MM:SS
    t = pc.strptime(s, format=_TIME_FMT, unit="s", error_is_null=True)
    # Arrow rolls impossible dates over (02-30 → 03-02): check the day back on canonical strings
    canonical = pc.and_(
        pc.is_valid(t),
        pc.match_substring_regex(s, r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"),
    ).fill_null(False)
    day_text = pc.if_else(canonical, pc.utf8_slice_codeunits(s, 8, 10), _NULL_STR)
    day_ok = pc.equal(pc.day(t), pc.cast(day_text, pa.int64()))
    good = pc.and_(canonical, day_ok.fill_null(False))
    t = pc.cast(pc.if_else(good, t, pa.scalar(None, pa.timestamp("s"))), pa.timestamp("ns"))
    todo = pc.and_(pc.is_valid(s), pc.invert(good))
    if _any(todo):
        idx = np.flatnonzero(_as_numpy_bool(todo))
        slow = _parse_time_slow(s.take(pa.array(idx)))
        values = t.to_numpy(zero_copy_only=False).copy()
        values[idx] = slow.to_numpy(zero_copy_only=False)
        t = pa.array(values, type=pa.timestamp("ns"))
    bad = pc.and_(pc.is_valid(s), pc.is_null(t))
    return t, bad


def _id_reason(value: str | None) -> str:
    if value is None:
        return R_ID_EMPTY
    return R_ID_NUMBER if _SCI_RE.match(value) else R_ID_TEXT


# --------------------------------------------------------------------------------------------
# Derived columns
# --------------------------------------------------------------------------------------------


def _map_uniques(arr: pa.Array, fn: Callable[[Any], Any], typ: pa.DataType = pa.string()) -> pa.Array:
    """Apply ``fn`` once per distinct value (vectorised lookup for the rest)."""
    if len(arr) == 0:
        return pa.array([], typ)
    uniq = pc.unique(arr)
    mapped = pa.array([fn(v) for v in uniq.to_pylist()], typ)
    return pc.take(mapped, pc.index_in(arr, value_set=uniq, skip_nulls=False))


_LOGISTICS_RE = (
    r"(?s)^\s*(?P<tracking>[^-,，\s]+)\s*-\s*(?P<carrier>[^,，;；]+?)\s*(?:[,，;；].*)?$"
)


def _buyer_key(salt: str, parts: list[pa.Array], present: pa.Array) -> pa.Array:
    """First 16 hex of sha256(salt|收件人|收件人手机号|省|市|区), once per distinct receiver."""
    joined = pc.binary_join_element_wise(*[p.fill_null("") for p in parts], "|")
    if len(joined) == 0:
        return pa.array([], pa.string())
    uniq = pc.unique(joined)
    sha256, prefix = hashlib.sha256, (salt + "|").encode("utf-8")
    hashed = pa.array(
        [sha256(prefix + v.encode("utf-8")).hexdigest()[:16] for v in uniq.to_pylist()], pa.string()
    )
    keys = pc.take(hashed, pc.index_in(joined, value_set=uniq))
    return pc.if_else(present, keys, _NULL_STR)


# --------------------------------------------------------------------------------------------
# Readers: one file → headers + raw text columns
# --------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    headers: list[str]
    columns: dict[int, pa.Array]  # header position → raw text (only the positions asked for)
    rows: np.ndarray  # spreadsheet row number of each data row (header = 1)
    broken: list[tuple[int, str, str]]  # (row, reason, text) for rows the parser rejected
    rows_read: int


def _is_spreadsheet(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0")


def _sniff_encoding(head: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_headers(head: bytes, encoding: str, path: Path) -> list[str]:
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        first = next(csv.reader(_stdio.StringIO(text, newline="")), None)
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV header: {exc}", file=path) from exc
    if not first or not any(h.strip() for h in first):
        raise InputError("no header row found (empty file?)", file=path)
    return first


def _read_csv_table(path: Path, encoding: str, wanted: list[int], threads: bool):
    broken: list[Any] = []

    def on_invalid(row: Any) -> str:
        broken.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    names = [f"f{i}" for i in wanted]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            autogenerate_column_names=True,
            encoding="utf8" if encoding == "utf-8" else encoding,
            use_threads=threads,
            block_size=8 << 20,
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            include_columns=names,
            strings_can_be_null=False,
        ),
    )
    return table, broken


def _read_csv(path: Path, wanted_for: Callable[[list[str]], list[int]]) -> _Raw:
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise InputError("file is empty", file=path)
    encoding = _sniff_encoding(head)
    headers = _csv_headers(head, encoding, path)
    wanted = wanted_for(headers)
    # GB18030 is only a fallback for text that UTF-8 cannot decode; once the first MiB holds
    # valid non-ASCII UTF-8, a bad byte further down is a damaged file, not another encoding.
    fallbacks = ["gb18030"] if encoding == "utf-8" and head.isascii() else []
    table = broken = None
    for enc in [encoding, *fallbacks]:
        try:
            table, broken = _read_csv_table(path, enc, wanted, threads=True)
            if any(b[0] is None for b in broken):  # row numbers are only known single-threaded
                table, broken = _read_csv_table(path, enc, wanted, threads=False)
            break
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if enc != encoding or not fallbacks or "utf8" not in str(exc).lower():
                raise InputError(f"cannot read CSV as {enc} ({exc})", file=path) from exc
    assert table is not None and broken is not None

    # table row 0 is the header line (read as data so that row numbers are physical records)
    n_records = table.num_rows + len(broken)
    numbers = np.arange(1, n_records + 1, dtype=np.int64)
    if broken:
        numbers = numbers[~np.isin(numbers, np.array([b[0] for b in broken], dtype=np.int64))]
    rows = numbers[1:]
    columns = {i: table.column(f"f{i}").combine_chunks().slice(1) for i in wanted}
    del table
    # rows whose cells are all empty (",,,,," lines that Excel leaves at the end) are not data
    blank = None
    for arr in columns.values():
        empty = pc.equal(arr, "")
        blank = empty if blank is None else pc.and_(blank, empty)
    if blank is not None and _any(blank):
        keep = pc.invert(blank)
        columns = {i: arr.filter(keep) for i, arr in columns.items()}
        rows = rows[~_as_numpy_bool(blank)]
    broken_rows = [
        (int(num), R_FIELDS.format(expected=exp, actual=act), text)
        for num, exp, act, text in sorted(broken, key=lambda b: b[0])
    ]
    return _Raw(headers, columns, rows, broken_rows, rows_read=len(rows) + len(broken_rows))


def _excel_number(v: float, kind: str) -> str:
    if kind == TIME:
        if 0 < v < 2958466:  # Excel serial day number
            moment = _EXCEL_EPOCH + dt.timedelta(days=float(v))
            return _round_second(moment).strftime(_TIME_FMT)
        return repr(v)
    if kind == ID and abs(v) >= _MAX_SAFE_INT:
        return format(float(v), ".15e")  # digits already lost: make it look like what it is
    if float(v).is_integer() and abs(v) < _MAX_SAFE_INT:
        return str(int(v))
    return repr(float(v))


def _round_second(moment: dt.datetime) -> dt.datetime:
    if moment.microsecond >= 500_000:
        moment += dt.timedelta(seconds=1)
    return moment.replace(microsecond=0)


def _excel_cell(v: Any, kind: str) -> str | None:
    if v is None:
        return None
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is float or t is int:
        return _excel_number(v, kind)
    if isinstance(v, dt.datetime):
        return _round_second(v).strftime(_TIME_FMT)
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


def _read_excel(path: Path, wanted_for: Callable[[list[str]], list[int]],
                kind_of: Callable[[int], str]) -> _Raw:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        grid = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputError(f"cannot read spreadsheet ({type(exc).__name__}: {exc})", file=path) from exc

    def empty(r: list) -> bool:
        return r.count("") + r.count(None) == len(r)

    start = next((i for i, r in enumerate(grid) if not empty(r)), None)
    if start is None:
        raise InputError("the first sheet is empty", file=path)
    headers = ["" if h is None else str(h) for h in grid[start]]
    wanted = wanted_for(headers)
    width = max(len(r) for r in grid)
    data_idx = [i for i in range(start + 1, len(grid)) if not empty(grid[i])]
    data = [grid[i] for i in data_idx]
    if any(len(r) < width for r in data):
        data = [r + [None] * (width - len(r)) for r in data]
    columns = {}
    for j in wanted:
        kind = kind_of(j)
        columns[j] = pa.array(
            [v if type(v) is str else _excel_cell(v, kind) for v in (r[j] for r in data)],
            type=pa.string(),
        )
    rows = np.asarray(data_idx, dtype=np.int64) + 1
    return _Raw(headers, columns, rows, [], rows_read=len(data))


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------

_TS_NAME_PATTERNS = (
    # 售后单导出-2026-05-05-08-44-27 / 售后单-2026-05-18 00_34_04 / 2026_05_05_08_44_27
    re.compile(r"(?<!\d)(\d{4})[-_.](\d{1,2})[-_.](\d{1,2})[-_ T]+"
               r"(\d{1,2})[-_:.](\d{1,2})[-_:.](\d{1,2})(?!\d)"),
    # 订单导出_20261125_091203 / 20261125091203 / 20261125-091203
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})[-_ T]?(\d{2})(\d{2})(\d{2})(?!\d)"),
)


def export_time_from_name(name: str) -> dt.datetime | None:
    """Export (download) time written in an export's file name, or ``None``.

    >>> export_time_from_name("售后单导出-2026-05-05-08-44-27.xlsx")
    datetime.datetime(2026, 5, 5, 8, 44, 27)
    >>> export_time_from_name("订单导出_20261125_091203.csv")
    datetime.datetime(2026, 11, 25, 9, 12, 3)
    """
    for pattern in _TS_NAME_PATTERNS:
        for m in pattern.finditer(name):
            try:
                return dt.datetime(*(int(g) for g in m.groups()))
            except ValueError:
                continue
    return None


def _export_time(path: Path) -> dt.datetime:
    found = export_time_from_name(path.name)
    if found is not None:
        return found
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


def read_export(path: str | Path, *, salt: str | None = None
                ) -> tuple[str, pd.DataFrame, pd.DataFrame, int]:
    """Read one 抖店 export (XLSX/XLS/CSV) into a typed canonical frame.

    Returns ``(kind, frame, quarantine, rows_read)``: ``kind`` is ``"after_sales"`` or
    ``"orders"`` (detected from the headers, not the name); ``frame`` has the columns of
    :func:`frame_columns` with lineage; ``quarantine`` one row per rejected source row.
    Duplicates are *not* collapsed here (see :func:`ingest`).  ``salt`` (for ``buyer_key``)
    defaults to :func:`returns_kit.config.get_salt` and is only used for order exports.

    Raises :class:`~returns_kit.errors.ExportFormatError` for a file that is neither export
    and :class:`~returns_kit.errors.InputError` for an unreadable file.

    >>> kind, df, bad, n = read_export("data/raw/售后单导出-2026-11-01-08-00-00.xlsx")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise InputError(f"cannot open file ({exc.strerror or exc})", file=path) from exc

    state: dict[str, Any] = {}

    def wanted_for(headers: list[str]) -> list[int]:
        kind, mapping, positions = _detect_kind(headers, path)
        personal = {}
        if kind == "orders":
            for h in (_RECEIVER_NAME, _RECEIVER_PHONE):
                i = positions.get(model.normalize_header(h))
                if i is not None and i not in mapping.values():
                    personal[h] = i
        state.update(kind=kind, mapping=mapping, personal=personal)
        by_pos = {i: c.kind for c in KIND_COLUMNS[kind] if (i := mapping.get(c.name)) is not None}
        by_pos.update({i: TEXT for i in personal.values()})
        state["pos_kind"] = by_pos
        return sorted(by_pos)

    if _is_spreadsheet(magic):
        raw = _read_excel(path, wanted_for, lambda j: state["pos_kind"][j])
    else:
        raw = _read_csv(path, wanted_for)

    kind = state["kind"]
    frame, quarantine = _build_frame(
        kind, raw, state["mapping"], state["personal"], path.name, _export_time(path), salt
    )
    return kind, frame, quarantine, raw.rows_read


def _build_frame(kind: str, raw: _Raw, mapping: dict[str, int], personal: dict[str, int],
                 file_name: str, export_time: dt.datetime, salt: str | None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(raw.rows)
    rejected = np.zeros(n, dtype=bool)
    records: list[tuple] = [(row, "", reason, text[:_VALUE_WIDTH]) for row, reason, text in raw.broken]
    typed: dict[str, pa.Array] = {}
    for col in KIND_COLUMNS[kind]:
        pos = mapping.get(col.name)
        if pos is None:
            typed[col.name] = pa.nulls(n, _KIND_ARROW[col.kind])
            continue
        s = _clean(raw.columns[pos])
        if col.kind == ID:
            values, bad = _parse_id(s)
        elif col.kind == MONEY:
            values, bad = _parse_money(s)
        elif col.kind == INT:
            values, bad = _parse_int(s)
        elif col.kind == TIME:
            values, bad = _parse_time(s)
        else:
            values, bad = s, None
        must_have = col.required and col.kind in (ID, TIME) and (kind, col.name) not in NULLABLE_REQUIRED
        if must_have:
            missing = pc.is_null(s)
            bad = missing if bad is None else pc.or_(bad, missing)
        typed[col.name] = values
        if bad is None:
            continue
        new = _as_numpy_bool(bad) & ~rejected
        if not new.any():
            continue
        idx = np.flatnonzero(new)
        header = raw.headers[pos].strip().lstrip("\ufeff")
        for i, value in zip(idx.tolist(), s.take(pa.array(idx)).to_pylist()):
            if col.kind == ID:
                reason = _id_reason(value)
            elif col.kind == TIME and value is None:
                reason = R_TIME_EMPTY
            else:
                reason = {MONEY: R_MONEY, INT: R_INT, TIME: R_TIME}[col.kind]
            records.append(
                (int(raw.rows[i]), col.name, f"「{header}」{reason}", (value or "")[:_VALUE_WIDTH])
            )
        rejected |= new

    keep = ~rejected
    keep_arr = pa.array(keep)
    if not keep.all():
        typed = {name: arr.filter(keep_arr) for name, arr in typed.items()}
    m = int(keep.sum())

    if kind == "after_sales":
        a_type = _map_uniques(typed["after_sale_type_raw"],
                              lambda v: model.classify(v, model.AFTER_SALE_TYPE_RULES))
        status = _map_uniques(typed["status_raw"], lambda v: model.classify(v, model.STATUS_RULES))
        typed["after_sale_type"] = a_type
        typed["status"] = status
        typed["status_group"] = _map_uniques(status, lambda v: model.STATUS_GROUPS.get(v, "unknown"))
        typed["is_refund_success"] = pc.and_(
            pc.equal(status, "refund_success"),
            pc.is_in(a_type, value_set=pa.array(sorted(model.REFUND_TYPES))),
        ).fill_null(False) if m else pa.array([], pa.bool_())
    else:
        typed["order_status"] = _map_uniques(
            typed["order_status_raw"], lambda v: model.classify(v, model.ORDER_STATUS_RULES)
        )
        logistics = typed["logistics_info"]
        if m and logistics.null_count < m:
            parts = pc.extract_regex(logistics, _LOGISTICS_RE)
            typed["carrier"] = pc.struct_field(parts, "carrier")
            typed["tracking_no"] = pc.struct_field(parts, "tracking")
        else:
            typed["carrier"] = pa.nulls(m, pa.string())
            typed["tracking_no"] = pa.nulls(m, pa.string())
        receiver = []
        for h in (_RECEIVER_NAME, _RECEIVER_PHONE):
            pos = personal.get(h)
            arr = _clean(raw.columns[pos]) if pos is not None else pa.nulls(n, pa.string())
            receiver.append(arr.filter(keep_arr) if not keep.all() else arr)
        present = pc.or_(pc.is_valid(receiver[0]), pc.is_valid(receiver[1]))
        if m and _any(present):
            if salt is None:
                from .config import get_salt

                salt = get_salt()
            typed["buyer_key"] = _buyer_key(
                salt, receiver + [typed["province"], typed["city"], typed["district"]], present
            )
        else:
            typed["buyer_key"] = pa.nulls(m, pa.string())
        del receiver  # personal data goes no further

    typed["source_file"] = pa.array([file_name] * m, pa.string()) if m else pa.array([], pa.string())
    typed["source_row"] = pa.array(raw.rows[keep], pa.int64())
    typed["export_time"] = pa.array(
        np.full(m, np.datetime64(export_time, "ns")), pa.timestamp("ns")
    )
    table = pa.table({name: typed[name] for name in frame_columns(kind)})
    frame = table.to_pandas(
        types_mapper={pa.string(): STR, pa.large_string(): STR, pa.int64(): pd.Int64Dtype()}.get
    )
    frame = frame.astype(_frame_dtypes(kind))
    quarantine = _quarantine_frame([(file_name, *r) for r in sorted(records, key=lambda r: r[0])])
    return frame, quarantine


# --------------------------------------------------------------------------------------------
# Folder → Dataset (+ cache)
# --------------------------------------------------------------------------------------------


def _scan(raw_dir: Path) -> tuple[list[Path], list[str]]:
    files, skipped = [], []
    for p in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        if not p.is_file():
            continue
        name = p.name
        if name.startswith((".", "~$")) or p.suffix.lower() not in DATA_SUFFIXES:
            skipped.append(name)
        else:
            files.append(p)
    return files, skipped


def _salt_fingerprint(salt: str) -> str:
    return hashlib.sha256(("returns_kit salt fingerprint|" + salt).encode("utf-8")).hexdigest()[:16]


def _kit_version() -> str:
    from . import __version__

    return __version__


def _manifest(files: list[Path], salt: str) -> dict[str, Any]:
    entries = []
    for p in files:
        st = p.stat()
        entries.append({"name": p.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return {
        "kit_version": _kit_version(),
        "cache_format": CACHE_FORMAT,
        "salt_fingerprint": _salt_fingerprint(salt),
        "files": entries,
    }


_MANIFEST_KEYS = ("kit_version", "cache_format", "salt_fingerprint", "files")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temp file beside ``target``, then move it into place.

    A crash leaves the previous ``target`` untouched.  The file gets the ordinary permissions
    (0644 under the usual umask), not the 0600 of a temp file: reports are meant to be shared.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _write_cache(processed: Path, data: Dataset, manifest: dict[str, Any]) -> None:
    processed.mkdir(parents=True, exist_ok=True)
    stale = processed / MANIFEST
    if stale.exists():  # a crash half-way must not leave an old manifest vouching for new files
        stale.unlink()
    atomic_write(processed / "after_sales.parquet",
                  lambda p: data.after_sales.to_parquet(p, index=False))
    atomic_write(processed / "orders.parquet", lambda p: data.orders.to_parquet(p, index=False))
    atomic_write(processed / "accounting.parquet",
                  lambda p: data.accounting.to_parquet(p, index=False))
    atomic_write(processed / "quarantine.csv",
                  lambda p: data.quarantine.to_csv(p, index=False, encoding="utf-8-sig"))
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    atomic_write(processed / MANIFEST, lambda p: p.write_text(text + "\n", encoding="utf-8"))


def _read_cache(processed: Path, manifest: dict[str, Any], skipped: list[str]) -> Dataset | None:
    try:
        stored = json.loads((processed / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if any(stored.get(k) != manifest[k] for k in _MANIFEST_KEYS):
        return None
    if not all((processed / name).is_file() for name in CACHE_FILES):
        return None
    try:
        after_sales = pd.read_parquet(processed / "after_sales.parquet")
        orders = pd.read_parquet(processed / "orders.parquet")
        if (list(after_sales.columns) != frame_columns("after_sales")
                or list(orders.columns) != frame_columns("orders")):
            return None
        after_sales = after_sales.astype(_frame_dtypes("after_sales"))
        orders = orders.astype(_frame_dtypes("orders"))
        accounting = _accounting_frame(pd.read_parquet(processed / "accounting.parquet")
                                       .to_dict("records"))
        q = pd.read_csv(processed / "quarantine.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
        quarantine = _quarantine_frame(
            list(zip(q["file"], q["row"].astype("int64"), q["column"], q["reason"], q["value"]))
        )
    except Exception:  # a damaged cache is rebuilt, never trusted
        return None
    return Dataset(
        after_sales=after_sales,
        orders=orders,
        accounting=accounting,
        quarantine=quarantine,
        skipped=skipped,
        processed_dir=processed,
        from_cache=True,
    )


def _combine(kind: str, parts: list[tuple[dt.datetime, str, pd.DataFrame]]) -> pd.DataFrame:
    """Stack the files of one kind, newest export last, and keep the last row of each key."""
    if not parts:
        return _empty_frame(kind)
    # order = (export_time, file name); rows inside a file are already in row order, so the
    # stacked frame is sorted by (export_time, file, row) and "keep last" = newest wins.
    parts = sorted(parts, key=lambda p: (p[0], p[1]))
    frames = [p[2] for p in parts]
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    dup = df.duplicated(KIND_KEY[kind], keep="last")
    if dup.any():
        df = df.loc[~dup]
    return df.reset_index(drop=True)


def ingest(raw_dir: str | Path, processed_dir: str | Path, *, force: bool = False,
           salt: str | None = None, conf_dir: str | Path = "conf") -> Dataset:
    """Read every export in ``raw_dir`` into canonical tables and cache them in ``processed_dir``.

    Writes ``after_sales.parquet``, ``orders.parquet``, ``accounting.parquet``,
    ``quarantine.csv`` and ``manifest.json`` (atomically).  When the manifest matches the raw
    files (names, sizes, mtimes), the kit version and the salt, and ``force`` is false, the cache
    is loaded instead of re-reading the exports.  ``salt`` (for ``buyer_key``) defaults to
    :func:`returns_kit.config.get_salt` of ``conf_dir``.

    Raises :class:`~returns_kit.errors.InputError` when the folder has no exports, or lacks the
    售后单 or the 订单 export.

    >>> data = ingest("data/raw", "data/processed")   # doctest: +SKIP
    >>> print(data.summary())                        # doctest: +SKIP
    """
    raw = Path(raw_dir)
    processed = Path(processed_dir)
    if not raw.is_dir():
        raise InputError(f"raw data folder not found: {raw}")
    files, skipped = _scan(raw)
    if not files:
        raise InputError(
            f"no 抖店 exports (.xlsx/.xls/.csv) found in {raw_dir}: export 售后单 and 订单 from "
            "the 抖店 backend into this folder"
        )
    if salt is None:
        from .config import get_salt

        salt = get_salt(conf_dir)
    manifest = _manifest(files, salt)
    if not force:
        cached = _read_cache(processed, manifest, skipped)
        if cached is not None:
            return cached

    parts: dict[str, list[tuple[dt.datetime, str, pd.DataFrame]]] = {k: [] for k in KINDS}
    quarantines = []
    counts: dict[str, dict[str, Any]] = {}
    for path in files:
        kind, frame, quarantine, rows_read = read_export(path, salt=salt)
        export_time = _export_time(path)
        parts[kind].append((export_time, path.name, frame))
        quarantines.append(quarantine)
        counts[path.name] = {"kind": kind, "rows_read": rows_read, "parsed": len(frame),
                             "rejected": len(quarantine)}

    for kind, what in (("after_sales", "the after-sale export is needed for every chapter"),
                       ("orders", "the order export is needed for the denominators")):
        if not parts[kind]:
            raise InputError(f"no {KIND_ZH[kind]} export found in {raw_dir}: {what}")

    after_sales = _combine("after_sales", parts["after_sales"])
    orders = _combine("orders", parts["orders"])
    kept = pd.concat([after_sales["source_file"], orders["source_file"]]).value_counts()

    records = []
    for name, c in counts.items():
        rows_kept = int(kept.get(name, 0))
        rec = {"file": name, "kind": c["kind"], "rows_read": int(c["rows_read"]),
               "rows_kept": rows_kept, "duplicates": int(c["parsed"]) - rows_kept,
               "rejected": int(c["rejected"])}
        if rec["rows_read"] != rec["rows_kept"] + rec["duplicates"] + rec["rejected"]:
            raise AssertionError(f"row accounting broken for {name}: {rec}")
        records.append(rec)

    quarantine = pd.concat(quarantines, ignore_index=True)
    data = Dataset(
        after_sales=after_sales,
        orders=orders,
        accounting=_accounting_frame(records),
        quarantine=quarantine,
        skipped=skipped,
        processed_dir=processed,
    )
    data.data_quality()  # asserts the invariant on the totals
    _write_cache(processed, data, manifest)
    return data


def load(raw_dir: str | Path = "data/raw", processed_dir: str | Path | None = None,
         **kw: Any) -> Dataset:
    """Analyst entry point: load the 抖店 exports of ``raw_dir`` (cached as Parquet).

    ``processed_dir`` defaults to ``<raw_dir>/../processed``; keyword arguments (``force``,
    ``salt``, ``conf_dir``) go to :func:`ingest`.

    >>> import returns_kit as rk                     # doctest: +SKIP
    >>> data = rk.load("data/raw")                   # doctest: +SKIP
    >>> data.after_sales.groupby("status_group").size()   # doctest: +SKIP
    """
    raw = Path(raw_dir)
    if processed_dir is None:
        processed_dir = raw.resolve().parent / "processed"
    return ingest(raw, processed_dir, **kw)


# --------------------------------------------------------------------------------------------
# The analyst's own files in data/external
# --------------------------------------------------------------------------------------------

CATALOG_COLUMNS = ["product_id", "product_name", "category", "cost_price"]


def load_catalog(external_dir: str | Path) -> pd.DataFrame:
    """Product catalog from ``<external_dir>/catalog.csv`` (``product_id,product_name,category,
    cost_price``); an empty frame with those columns when the file is absent.

    IDs stay strings (tabs and quotes stripped); ``cost_price`` is a float (``¥``/``,`` allowed).
    """
    path = Path(external_dir) / "catalog.csv"
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="str" if c != "cost_price" else "float64")
                             for c in CATALOG_COLUMNS})
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in ("product_id", "category") if c not in frame.columns]
    if missing:
        raise ExportFormatError(path, missing, kind="product catalog (catalog.csv)")
    for col in CATALOG_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame["product_id"] = frame["product_id"].str.strip().str.strip('\t"=')
    frame["cost_price"] = pd.to_numeric(
        frame["cost_price"].str.replace(r"[¥￥,\s元]", "", regex=True).replace("", None),
        errors="coerce")
    return frame[CATALOG_COLUMNS]
