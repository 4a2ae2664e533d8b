"""The 抖店 export layouts: one 售后单 or 订单 file → a typed canonical frame.

The kind of an export (售后单 or 订单) is detected from its headers, never from its name;
headers are matched after :func:`returns_kit.model.normalize_header`, through the alias lists of
:mod:`returns_kit.model`.  Cells are parsed by :mod:`returns_kit.io.cells`; a row with a cell that
cannot be read is quarantined (one line per row: the first problem) and every row read is
accounted for.  Personal data (receiver name, phone) is used only for the salted ``buyer_key``
and never reaches the frame.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import model
from ..config import get_salt
from ..errors import ExportFormatError, InputError
from ..model import ID, INT, MONEY, TEXT, TIME
from .cells import ARROW_TYPES, R_HEADER_AGAIN, as_numpy_bool, any_true, clean, mask_column, parse, reason_of
from .readers import ARROW_THREADS, RawColumns, file_type, read_csv_columns, read_excel_columns

__all__ = [
    "KINDS", "KIND_ZH", "KIND_KEY", "DATA_SUFFIXES", "STR", "TIME_DTYPE", "QUARANTINE_COLUMNS",
    "frame_columns", "frame_dtypes", "empty_frame", "quarantine_frame", "export_time_from_name",
    "export_time", "read_export",
]

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

#: file names the loader reads (by content, whatever the name says: a valid XLSX named .xls works);
#: .xlsm (macros), .xlsb (Excel binary) and .ods (WPS/LibreOffice) are read by calamine too
DATA_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods", ".csv")
QUARANTINE_COLUMNS = ("file", "row", "column", "reason", "value")

#: pandas string dtype used for IDs and text (the pandas 3 default ``str``; null is NaN)
STR = pd.StringDtype("pyarrow", na_value=np.nan)
TIME_DTYPE = "datetime64[ns]"

_KIND_DTYPE = {ID: STR, TEXT: STR, MONEY: "float64", INT: "Int64", TIME: TIME_DTYPE}
_DERIVED_DTYPE = {
    "after_sale_type": STR, "status": STR, "status_group": STR, "is_refund_success": "bool",
    "order_status": STR, "carrier": STR, "tracking_no": STR, "buyer_key": STR,
}
_LINEAGE_DTYPE = {"source_file": STR, "source_row": "int64", "export_time": TIME_DTYPE}

# Receiver columns of the order export read only to build buyer_key (then dropped).
_RECEIVER_NAME, _RECEIVER_PHONE = model.ORDER_PERSONAL_HEADERS[0], model.ORDER_PERSONAL_HEADERS[1]
_VALUE_WIDTH = 50
_NULL_STR = pa.scalar(None, pa.string())


def frame_columns(kind: str) -> list[str]:
    """Canonical column order of a table: model columns, then derived, then lineage."""
    return [c.name for c in KIND_COLUMNS[kind]] + list(KIND_DERIVED[kind]) + list(model.LINEAGE)


def frame_dtypes(kind: str) -> dict[str, Any]:
    """The pandas dtype of every canonical column of ``kind``."""
    dtypes: dict[str, Any] = {c.name: _KIND_DTYPE[c.kind] for c in KIND_COLUMNS[kind]}
    dtypes.update({name: _DERIVED_DTYPE[name] for name in KIND_DERIVED[kind]})
    dtypes.update(_LINEAGE_DTYPE)
    return dtypes


def empty_frame(kind: str) -> pd.DataFrame:
    """A canonical table of ``kind`` without rows."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in frame_dtypes(kind).items()})


def quarantine_frame(records: list[tuple] | None = None) -> pd.DataFrame:
    """Rejected rows as a frame: ``file, row, column, reason, value``."""
    records = records or []
    cols = list(zip(*records)) if records else [[] for _ in QUARANTINE_COLUMNS]
    return pd.DataFrame({
        "file": pd.Series(cols[0], dtype=STR),
        "row": pd.Series(cols[1], dtype="int64"),
        "column": pd.Series(cols[2], dtype=STR),
        "reason": pd.Series(cols[3], dtype=STR),
        "value": pd.Series(cols[4], dtype=STR),
    })


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


def _own_headers() -> dict[str, set[str]]:
    """kind → the normalised headers (and aliases) only that kind's export has."""
    every = {kind: {model.normalize_header(h) for c in KIND_COLUMNS[kind] for h in c.headers} for kind in KINDS}
    return {kind: every[kind] - set().union(*(v for k, v in every.items() if k != kind)) for kind in KINDS}


_OWN_HEADERS = _own_headers()


def _unmojibake(text: str) -> str | None:
    """UTF-8 text that was opened as Latin-1/Windows-1252 and saved again, restored; else None."""
    for wrong in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(wrong).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return None


def _not_an_export(headers: list[str]) -> str:
    """Why a header row is no export's, and what to do; headers garbled by a wrong encoding are
    recognised as such (restored, they are an export's)."""
    shown = "、".join(h.strip() for h in headers if h and h.strip())
    restored = [_unmojibake(h) or h for h in headers]
    if restored != headers and any(_OWN_HEADERS[k] & _first_positions(restored).keys() for k in KINDS):
        return (f"its headers are UTF-8 text that was opened as Latin-1/ANSI and saved again ({shown[:30]} … "
                f"was {'、'.join(h.strip() for h in restored if h and h.strip())[:30]} …): export it again from 抖店, "
                "or open the original file as UTF-8")
    return ("no row near the top holds their headers (售后单号 … / 主订单编号 …; the first reads: "
            f"{shown[:80] or '(empty)'}); "
            "export 售后单 (售后工作台) or 订单 (订单管理) from 抖店 into this folder")


def _detect_kind(headers: list[str], path: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    """The kind whose required columns are all there (the one with more of its own columns
    among several); else ExportFormatError for the closest kind: the one with most of the
    headers only its export has, then most required columns."""
    positions = _first_positions(headers)
    candidates = []
    for order, kind in enumerate(KINDS):
        cols = KIND_COLUMNS[kind]
        mapping = _match_columns(positions, cols)
        missing = [c.headers[0] for c in cols if c.required and c.name not in mapping]
        own = len(_OWN_HEADERS[kind] & positions.keys())
        n_required = sum(c.required for c in cols)
        candidates.append(((own, n_required - len(missing), len(mapping), -order), kind, mapping, missing))
    complete = [c for c in candidates if not c[3]]
    (own, found, _, _), kind, mapping, missing = max(complete or candidates, key=lambda c: c[0])
    if missing:
        if own == 0 and found <= 1:
            raise ExportFormatError(path, missing, "抖店 售后单 or 订单 export", detail=_not_an_export(headers))
        raise ExportFormatError(path, missing, f"complete {KIND_ZH[kind]} export", detail=(
            f"it holds a {KIND_ZH[kind]} export without the column(s) {', '.join(missing)}; export it again with "
            "the 标准报表 (or tick these fields in the 自定义报表)"))
    return kind, mapping, positions


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


def _hex(digests: np.ndarray) -> pa.Array:
    """Rows of bytes as a string array of their lowercase hex (vectorised ``bytes.hex``)."""
    n, width = digests.shape
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    text = np.empty((n, 2 * width), dtype=np.uint8)
    text[:, 0::2] = digits[digests >> 4]
    text[:, 1::2] = digits[digests & 15]
    offsets = np.arange(0, 2 * width * (n + 1), 2 * width, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text)]
                                 ).cast(pa.string())


def _buyer_key(salt: str, parts: list[pa.Array], present: pa.Array) -> pa.Array:
    """First 16 hex of sha256(salt|收件人|收件人手机号|省|市|区), row by row (finding the distinct
    receivers first costs as much as hashing every row, and nearly every receiver of a month is
    distinct)."""
    joined = pc.binary_join_element_wise(pa.scalar(salt), *[p.fill_null("") for p in parts], "|")
    if len(joined) == 0:
        return pa.array([], pa.string())
    sha256 = hashlib.sha256
    digests = b"".join([sha256(v).digest() for v in joined.cast(pa.binary()).to_pylist()])
    hashed = _hex(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32)[:, :8])
    return pc.if_else(present, hashed, _NULL_STR)


# --------------------------------------------------------------------------------------------
# Export time from the file name
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


def export_time(path: Path) -> dt.datetime:
    """When a file was exported: the time in its name, else its modification time."""
    found = export_time_from_name(path.name)
    if found is not None:
        return found
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------

def read_export(path: str | Path, *, salt: str | None = None
                ) -> tuple[str, pd.DataFrame, pd.DataFrame, int]:
    """Read one 抖店 export (XLSX/XLS/CSV) into a typed canonical frame.

    Returns ``(kind, frame, quarantine, rows_read)``: ``kind`` is ``"after_sales"`` or
    ``"orders"`` (detected from the headers, not the name); ``frame`` has the columns of
    :func:`frame_columns` with lineage; ``quarantine`` one row per rejected source row.
    Duplicates are *not* collapsed here (see :func:`returns_kit.io.ingest`).  ``salt`` (for
    ``buyer_key``) defaults to :func:`returns_kit.config.get_salt` and is only used for order
    exports.

    Raises :class:`~returns_kit.errors.ExportFormatError` for a file that is neither export
    and :class:`~returns_kit.errors.InputError` for an unreadable file.

    >>> kind, df, bad, n = read_export("data/raw/售后单导出-2026-11-01-08-00-00.xlsx")  # doctest: +SKIP
    """
    path = Path(path)
    found = file_type(path)
    if found.reader is None:
        raise InputError(found.refusal(), file=path)

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

    try:
        if found.reader == "workbook":
            raw = read_excel_columns(path, wanted_for, lambda j: state["pos_kind"][j])
        else:
            raw = read_csv_columns(path, wanted_for, encoding=str(found.encoding))
    except ExportFormatError as exc:
        raise ExportFormatError(path, exc.missing, exc.kind, detail=exc.detail, recognised=found.name) from None

    kind = state["kind"]
    frame, quarantine = _build_frame(
        kind, raw, state["mapping"], state["personal"], path.name, export_time(path), salt
    )
    return kind, frame, quarantine, raw.rows_read


def _typed_column(kind: str, col: model.Column, raw: RawColumns, pos: int | None, n: int
                  ) -> tuple[pa.Array | None, pa.Array, pa.Array | None]:
    """``(cleaned text, values, bad)`` of one column: parsed as its kind, free text masked,
    negative amounts and missing required IDs/times marked bad.  The raw text is let go once
    cleaned, and the cleaned text kept only where a cell is bad (for the quarantine's message):
    a month's text is not held twice or three times."""
    if pos is None:
        return None, pa.nulls(n, ARROW_TYPES[col.kind]), None
    s = clean(raw.columns.pop(pos))
    values, bad = parse(s, col.kind)
    if col.name in model.FREE_TEXT_COLUMNS:
        values = mask_column(values)
    if col.name in model.NONNEGATIVE_MONEY:
        negative = pc.less(values, 0.0).fill_null(False)
        bad = negative if bad is None else pc.or_(bad, negative)
    must_have = col.required and col.kind in (ID, TIME) and (kind, col.name) not in NULLABLE_REQUIRED
    if must_have:
        missing = pc.is_null(s)
        bad = missing if bad is None else pc.or_(bad, missing)
    if bad is None or not any_true(bad):
        return None, values, None
    return s, values, bad


_REGION = ("province", "city", "district")


#: a 快递信息 of the plain shape, ``<运单号>-<快递公司>`` then a separator or the end, no spaces: what
#: :data:`_LOGISTICS_RE` reads from it is what :data:`_LOGISTICS_PLAIN_PARTS` reads, without
#: passing over the product names that follow
_LOGISTICS_PLAIN = r"^[^-,，\s]+-[^,，;；\s]+(?:[,，;；]|$)"
_LOGISTICS_PLAIN_PARTS = r"^(?P<tracking>[^-,，\s]+)-(?P<carrier>[^,，;；\s]+)"


def _logistics_parts(logistics: pa.Array | pa.ChunkedArray, n: int) -> dict[str, pa.Array]:
    """``carrier`` and ``tracking_no`` from 快递信息 (``<运单号>-<快递公司>,<商品…>``, read by
    :data:`_LOGISTICS_RE`); a cell of the plain shape by the shorter pattern that reads the same."""
    if not n or logistics.null_count == n:
        return {"carrier": pa.nulls(n, pa.string()), "tracking_no": pa.nulls(n, pa.string())}
    if isinstance(logistics, pa.ChunkedArray):
        logistics = logistics.combine_chunks()
    parts = pc.extract_regex(logistics, _LOGISTICS_PLAIN_PARTS)
    carrier, tracking = pc.struct_field(parts, "carrier"), pc.struct_field(parts, "tracking")
    other = pc.and_(pc.is_valid(logistics), pc.invert(pc.match_substring_regex(logistics, _LOGISTICS_PLAIN)))
    if any_true(other):  # the rest through the full pattern
        full = pc.extract_regex(logistics.filter(other), _LOGISTICS_RE)
        other = other.fill_null(False)
        carrier = pc.replace_with_mask(carrier, other, pc.struct_field(full, "carrier"))
        tracking = pc.replace_with_mask(tracking, other, pc.struct_field(full, "tracking"))
    return {"carrier": carrier, "tracking_no": tracking}


def _order_buyer_keys(raw: RawColumns, personal: dict[str, int], region: list[pa.Array], n: int,
                      salt: str | None) -> dict[str, pa.Array]:
    """``buyer_key`` of every row (:func:`_buyer_key` of the receiver's name and phone and the
    region); null where neither name nor phone is given.  The personal columns go no further."""
    receiver = [clean(raw.columns[pos]) if (pos := personal.get(h)) is not None else pa.nulls(n, pa.string())
                for h in (_RECEIVER_NAME, _RECEIVER_PHONE)]
    present = pc.or_(pc.is_valid(receiver[0]), pc.is_valid(receiver[1]))
    if n and any_true(present):
        return {"buyer_key": _buyer_key(get_salt() if salt is None else salt, receiver + region, present)}
    return {"buyer_key": pa.nulls(n, pa.string())}


def _build_frame(kind: str, raw: RawColumns, mapping: dict[str, int], personal: dict[str, int],
                 file_name: str, exported: dt.datetime, salt: str | None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(raw.rows)
    name_at = {pos: name for name, pos in mapping.items()}
    records: list[tuple] = [(row, name_at.get(pos, ""), reason, text[:_VALUE_WIDTH])
                            for row, reason, text, pos in raw.broken]
    # the header line again inside the data (two exports pasted together): not a row of data
    key_pos = mapping[KIND_KEY[kind]]
    key_header = raw.headers[key_pos].strip().lstrip("\ufeff")
    rejected = as_numpy_bool(pc.equal(pc.utf8_trim_whitespace(raw.columns[key_pos]), key_header)) if n else \
        np.zeros(0, dtype=bool)
    records += [(int(raw.rows[i]), KIND_KEY[kind], f"「{key_header}」{R_HEADER_AGAIN}", key_header)
                for i in np.flatnonzero(rejected)]
    typed: dict[str, pa.Array] = {}
    # each column is cleaned and parsed on its own (Arrow's kernels run outside the GIL, so on
    # threads, all cores), and so are the orders' columns derived from several (tracking number
    # and carrier, buyer key: computed for every row, the rejected ones then left out, as no row's
    # value depends on another's); which rows are rejected is then decided in column order
    with ThreadPoolExecutor(max_workers=ARROW_THREADS) as pool:
        futures = {col.name: pool.submit(_typed_column, kind, col, raw, mapping.get(col.name), n)
                   for col in KIND_COLUMNS[kind]}

        def values_of(name: str) -> pa.Array:
            return futures[name].result()[1]

        derived = [] if kind != "orders" else [  # submitted last: the columns they read have started
            pool.submit(lambda: _logistics_parts(values_of("logistics_info"), n)),
            pool.submit(lambda: _order_buyer_keys(raw, personal, [values_of(c) for c in _REGION], n, salt))]
        prepared = [futures[col.name].result() for col in KIND_COLUMNS[kind]]
        derived_columns = {name: arr for job in derived for name, arr in job.result().items()}
    for col, (s, values, bad) in zip(KIND_COLUMNS[kind], prepared):
        pos = mapping.get(col.name)
        typed[col.name] = values
        if bad is None:
            continue
        new = as_numpy_bool(bad) & ~rejected
        if not new.any():
            continue
        idx = np.flatnonzero(new)
        header = raw.headers[pos].strip().lstrip("\ufeff")
        for i, value in zip(idx.tolist(), s.take(pa.array(idx)).to_pylist()):
            records.append((int(raw.rows[i]), col.name, f"「{header}」{reason_of(col.kind, value)}",
                            (value or "")[:_VALUE_WIDTH]))
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
        for name, arr in derived_columns.items():
            typed[name] = arr.filter(keep_arr) if not keep.all() else arr

    typed["source_file"] = pa.repeat(pa.scalar(file_name, pa.large_string()), m)
    typed["source_row"] = pa.array(raw.rows[keep], pa.int64())
    typed["export_time"] = pa.array(
        np.full(m, np.datetime64(exported, "ns")), pa.timestamp("ns")
    )
    names = frame_columns(kind)
    # pandas keeps text as large_string: cast on every core here, not one column after another
    # inside to_pandas
    text = [name for name in names if typed[name].type == pa.string()]
    with ThreadPoolExecutor(max_workers=ARROW_THREADS) as pool:
        typed.update(zip(text, pool.map(lambda name: typed[name].cast(pa.large_string()), text)))
    table = pa.table({name: typed[name] for name in names})
    frame = table.to_pandas(types_mapper={pa.large_string(): STR, pa.int64(): pd.Int64Dtype()}.get)
    frame = frame.astype(frame_dtypes(kind))
    quarantine = quarantine_frame([(file_name, *r) for r in sorted(records, key=lambda r: r[0])])
    return frame, quarantine
