"""The analyst's other data sources: 罗盘 downloads and third-party tool exports (chapters 2 and 6).

Files in ``data/external`` are recognised by a **source profile**, a YAML file in
``conf/base/sources/<name>.yml`` (overlaid by ``conf/local/sources/<name>.yml``).  A profile says

* how to recognise a file: ``match.file_glob`` (file-name patterns), else a header row that
  names every required column (plus any extra ``match.headers``), the ``sheet`` to read and the
  ``header_row`` (1-based);
* how to map its columns: ``columns`` = ``{canonical_name: {headers: [...], type, required}}``
  where the type is one of ``text``, ``date``, ``money`` (strips ``¥ ￥ , 元``), ``percent``
  (strips ``%`` and returns a fraction), ``count`` (integer) or ``id`` (kept a string);
* optionally ``wide``: columns named ``<stage>-<measure>`` (罗盘's 5 refund stages × 退款人数 /
  退款订单数 / 退款金额 / 退款率) turned into one row per stage;
* fixed fields: ``source`` (e.g. 抖音电商罗盘), ``own_shop`` …

Two profiles ship: ``luopan_refund`` (罗盘 退款分析 download, sheet 本店数据) and
``third_party_products`` (a "product, category, return rate" table from 蝉妈妈/飞瓜数据).

Cells ``-``, ``--``, empty and ``暂无数据`` are missing; a sheet that only says 暂无数据 gives no
rows.  A file recognised by name that lacks a required column raises
:class:`~returns_kit.errors.ExportFormatError` naming the file and the columns; a cell that
cannot be read raises :class:`~returns_kit.errors.InputError` naming file, row and column.

Example::

    import returns_kit.sources as src
    lp = src.load_luopan("data/external", "conf")          # long format, one row per day × stage
    kit = src.kit_daily(outcomes, data.after_sales, "2026-10")
    src.reconcile_daily(kit, lp, "2026-10", as_of=as_of)    # kit beside 罗盘, diff, likely reason
    src.load_third_party("data/external", "conf")           # competitor/own products with rates
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import io as _stdio
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import load_yaml
from .errors import ExportFormatError, InputError
from .model import NULL_TOKENS

__all__ = [
    "Field", "Profile", "load_profile", "profile_names", "find_files", "parse_file",
    "load_luopan", "load_third_party", "inventory", "clock_of", "kit_daily", "likely_reason",
    "reconcile_daily", "reconcile_month", "format_comparison", "daily_chart_frame",
    "source_comparison_metrics", "summary_zh", "no_luopan_note", "LUOPAN_COLUMNS", "THIRD_PARTY_COLUMNS", "TYPES",
]

TYPES = ("text", "date", "money", "percent", "count", "id")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*SPREADSHEET_SUFFIXES, ".csv")

#: 罗盘 long format (one row per day × 退款口径 × 售卖类型 × 载体 × stage) + lineage
LUOPAN_COLUMNS = ["date", "basis", "sale_type", "carrier_type", "stage", "refund_buyers",
                  "refund_orders", "refund_amount", "refund_rate", "source_file", "downloaded"]
LUOPAN_KEY = ["date", "basis", "sale_type", "carrier_type", "stage"]
#: what chapter 6 gets from :func:`load_third_party`
THIRD_PARTY_COLUMNS = ["source", "shop", "product_id", "product_name", "category", "price",
                       "return_rate", "as_of", "is_own"]

#: the stage whose figures are compared with the kit (all refunds, whatever the stage)
ALL_STAGE = "全部退款阶段"
#: 售卖类型 / 载体 values that mean "no filter"
ALL_SCOPE = frozenset({"全部", "全部类型", "全部载体", "整体", "不限", "汇总", "合计"})

# --------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One canonical column: the raw headers it may have (first found wins) and its type."""

    name: str
    headers: tuple[str, ...]
    type: str = "text"
    required: bool = False


@dataclass(frozen=True)
class Profile:
    """A source profile (see the module docstring)."""

    name: str
    label: str
    source: str
    file_glob: tuple[str, ...]
    match_headers: tuple[str, ...]
    sheet: str | None
    header_row: int
    columns: tuple[Field, ...]
    wide_key: str | None = None
    stages: tuple[str, ...] = ()
    required_stages: tuple[str, ...] = ()
    measures: tuple[Field, ...] = ()
    source_from_file_name: dict[str, str] = field(default_factory=dict)
    own_shop: tuple[str, ...] = ()
    path: str = ""

    def output_columns(self) -> list[str]:
        cols = [f.name for f in self.columns]
        if self.wide_key:
            cols += [self.wide_key] + [m.name for m in self.measures]
        return cols


def _profile_path(name: str, conf_dir) -> str:
    for layer in ("local", "base"):
        path = Path(conf_dir) / layer / "sources" / f"{name}.yml"
        if path.exists():
            return str(path)
    return str(Path(conf_dir) / "base" / "sources" / f"{name}.yml")


def _fields(spec: Any, path: str, where: str) -> tuple[Field, ...]:
    if not isinstance(spec, dict) or not spec:
        raise InputError(f"'{where}' must map canonical names to {{headers, type}}", file=path)
    out = []
    for name, item in spec.items():
        item = item or {}
        if not isinstance(item, dict):
            raise InputError(f"'{where}.{name}' must be a mapping", file=path, column=str(name))
        headers = item.get("headers") or [name]
        if isinstance(headers, str):
            headers = [headers]
        kind = str(item.get("type", "text"))
        if kind not in TYPES:
            raise InputError(f"unknown type {kind!r} (use one of {', '.join(TYPES)})",
                             file=path, column=str(name))
        out.append(Field(str(name), tuple(str(h) for h in headers), kind, bool(item.get("required", False))))
    return tuple(out)


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(str(v) for v in value if str(v).strip())


def load_profile(name: str, conf_dir: str | Path = "conf") -> Profile:
    """The source profile ``conf/base/sources/<name>.yml`` with ``conf/local`` deep-merged over it.

    Raises :class:`InputError` naming the file when the profile is missing or malformed.
    """
    path = _profile_path(name, conf_dir)
    raw = load_yaml(f"sources/{name}.yml", conf_dir)
    if not raw:
        raise InputError(f"no source profile named {name!r}", file=path)
    if "columns" not in raw:
        raise InputError("a source profile needs 'columns'", file=path)
    match = raw.get("match") or {}
    wide = raw.get("wide") or {}
    stages = _strs(wide.get("stages"))
    return Profile(
        name=name,
        label=str(raw.get("label") or name),
        source=str(raw.get("source") or name),
        file_glob=_strs(match.get("file_glob")),
        match_headers=_strs(match.get("headers")),
        sheet=(str(raw["sheet"]) if raw.get("sheet") else None),
        header_row=int(raw.get("header_row") or 1),
        columns=_fields(raw["columns"], path, "columns"),
        wide_key=(str(wide.get("key", "stage")) if wide else None),
        stages=stages,
        required_stages=_strs(wide.get("required_stages")),
        measures=_fields(wide["measures"], path, "wide.measures") if wide else (),
        source_from_file_name={str(k): str(v) for k, v in (raw.get("source_from_file_name") or {}).items()},
        own_shop=_strs(raw.get("own_shop")),
        path=path,
    )


def profile_names(conf_dir: str | Path = "conf") -> list[str]:
    """Names of the source profiles in ``conf/base/sources`` and ``conf/local/sources``."""
    names: set[str] = set()
    for layer in ("base", "local"):
        folder = Path(conf_dir) / layer / "sources"
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yml"))
    return sorted(names)


# --------------------------------------------------------------------------------------------
# Reading cells
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_DATE_RE = re.compile(r"^(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_DATE8_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _norm_header(h: Any) -> str:
    text = "" if h is None else str(h)
    text = text.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    text = text.replace("－", "-").replace("—", "-").replace("–", "-")
    return _WS.sub("", text)


def _is_null(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip().strip("\t") in NULL_TOKENS


def _number_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _to_text(v: Any) -> str:
    return _number_text(v).strip() if not isinstance(v, str) else v.strip()


def _to_id(v: Any) -> str:
    text = _number_text(v).strip().strip("\t").strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.strip("'\"\t ")


def _to_date(v: Any) -> pd.Timestamp:
    if isinstance(v, (dt.datetime, dt.date)):
        return pd.Timestamp(v).normalize()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (_EXCEL_EPOCH + pd.Timedelta(days=int(v))).normalize()
    text = str(v).strip()
    m = _DATE_RE.match(text) or _DATE8_RE.match(text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _to_money(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return round(float(v), 2)
    text = re.sub(r"[¥￥,，元\s]", "", str(v))
    scale = 1.0
    if text.endswith("万"):
        text, scale = text[:-1], 10_000.0
    return round(float(text) * scale, 2)


def _to_percent(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        value = float(v)
        return value / 100 if value > 1 else value
    text = re.sub(r"[\s,]", "", str(v))
    if text.endswith("%") or text.endswith("％"):
        return float(text[:-1]) / 100
    value = float(text)
    return value / 100 if value > 1 else value


def _to_count(v: Any) -> int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        value = float(v)
    else:
        value = float(re.sub(r"[\s,，]", "", str(v)))
    if not value.is_integer():
        raise ValueError(f"not a whole number: {v!r}")
    return int(value)


_CONVERT = {"text": _to_text, "id": _to_id, "date": _to_date, "money": _to_money,
            "percent": _to_percent, "count": _to_count}


def convert(value: Any, kind: str, *, file=None, row: int | None = None, column: str | None = None):
    """One cell as ``kind`` (see :data:`TYPES`); ``None`` for ``-``, empty or ``暂无数据``.

    >>> convert("¥1,234.50", "money"), convert("12.3%", "percent"), convert("2026/05/13", "date")
    (1234.5, 0.123, Timestamp('2026-05-13 00:00:00'))
    """
    if _is_null(value):
        return None
    try:
        return _CONVERT[kind](value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"cannot read {value!r} as {kind}", file=file, row=row, column=column) from exc


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _read_grid(path: Path, sheet: str | None, nrows: int | None = None) -> list[list[Any]]:
    """All cells of the profile's sheet (CSV: the file) as a list of rows."""
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes nearly anything
            raise InputError("cannot decode the CSV as UTF-8 or GB18030", file=path)
        rows = list(csv.reader(_stdio.StringIO(text, newline="")))
        return rows[:nrows] if nrows else rows
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        ws = wb.get_sheet_by_name(sheet) if sheet and sheet in names else wb.get_sheet_by_index(0)
        return ws.to_python(skip_empty_area=False, nrows=nrows)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputError(f"cannot read spreadsheet ({type(exc).__name__}: {exc})", file=path) from exc


def _known_headers(profile: Profile) -> set[str]:
    known = {_norm_header(h) for f in profile.columns for h in f.headers}
    for stage in profile.stages:
        for m in profile.measures:
            known.update(_norm_header(f"{stage}-{h}") for h in m.headers)
    known.update(_norm_header(h) for h in profile.match_headers)
    return known


def _header_index(grid: list[list[Any]], profile: Profile) -> int | None:
    """Row index of the header row: ``header_row`` if it has a known header, else the row of the
    first 10 with the most known headers; ``None`` when no row has any."""
    known = _known_headers(profile)

    def score(i: int) -> int:
        return sum(_norm_header(c) in known for c in grid[i]) if i < len(grid) else 0

    first = profile.header_row - 1
    if score(first) > 0:
        return first
    best = max(range(min(10, len(grid))), key=score, default=None)
    return best if best is not None and score(best) > 0 else None


def _says_no_data(grid: list[list[Any]]) -> bool:
    return any(isinstance(c, str) and "暂无数据" in c for row in grid[:20] for c in row)


def find_files(external_dir: str | Path, profile: Profile) -> list[Path]:
    """Files in ``external_dir`` this profile recognises: by file name (``match.file_glob``) or by
    a header row (within the first 10 rows) naming every required column.  Oldest first (by the
    date in the file name, else the modification time)."""
    folder = Path(external_dir)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")) or path.suffix.lower() not in SUFFIXES:
            continue
        if _name_matches(path.name, profile):
            out.append(path)
            continue
        try:
            grid = _read_grid(path, profile.sheet, nrows=10)
        except InputError:
            continue  # not readable: not ours to judge
        if any(_has_required_headers(row, profile) for row in grid):
            out.append(path)
    return sorted(out, key=_file_order)


def _has_required_headers(row: list[Any], profile: Profile) -> bool:
    """The row names every required column (by any of its headers), every required stage
    measure, and every extra ``match.headers`` entry."""
    have = {_norm_header(c) for c in row}
    groups = [{_norm_header(h) for h in f.headers} for f in profile.columns if f.required]
    groups += [{_norm_header(f"{s}-{h}") for h in m.headers}
               for s in profile.required_stages for m in profile.measures if m.required]
    groups += [{_norm_header(h)} for h in profile.match_headers]
    return bool(groups) and all(have & g for g in groups)


def _name_matches(name: str, profile: Profile) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, g.lower()) for g in profile.file_glob)


_NAME_DATE = re.compile(r"(?<!\d)(20\d{2})[-_./年]?(\d{2})[-_./月]?(\d{2})(?!\d)")
_NAME_MONTH = re.compile(r"(?<!\d)(20\d{2})[-_./年](\d{1,2})(?![\d])")


def file_date(path: str | Path) -> pd.Timestamp | None:
    """The date written in a file name (``抖音电商罗盘-退款分析-2026_05_13.xlsx`` → 2026-05-13),
    which for a 罗盘 download is the download day; ``None`` when there is none."""
    m = _NAME_DATE.search(Path(path).name)
    if not m:
        return None
    try:
        return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _file_order(path: Path):
    mtime = path.stat().st_mtime
    day = file_date(path)
    return (day if day is not None else pd.Timestamp(dt.datetime.fromtimestamp(mtime)).normalize(),
            mtime, path.name)


def parse_file(path: str | Path, profile: Profile) -> pd.DataFrame:
    """One file read through ``profile``: canonical columns (wide stages → long rows) plus
    ``source_file`` and ``source_row`` (1-based spreadsheet row).

    Rows with no value in any required column (e.g. a line that only says 暂无数据) are skipped;
    a sheet without a header row that says 暂无数据 gives an empty frame.
    """
    path = Path(path)
    grid = _read_grid(path, profile.sheet)
    out_cols = profile.output_columns() + ["source_file", "source_row"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in out_cols})
    h = _header_index(grid, profile)
    if h is None:
        if _says_no_data(grid) or not any(not _is_null(c) for row in grid for c in row):
            return empty
        missing = [f.headers[0] for f in profile.columns if f.required]
        raise ExportFormatError(path, missing or ["(no header row)"], kind=profile.label)
    headers = [_norm_header(c) for c in grid[h]]
    index = {}
    for i, name in enumerate(headers):
        index.setdefault(name, i)

    def locate(f: Field, prefix: str = "") -> int | None:
        for alias in f.headers:
            j = index.get(_norm_header(prefix + alias))
            if j is not None:
                return j
        return None

    missing: list[str] = []
    base = {}
    for f in profile.columns:
        j = locate(f)
        if j is None and f.required:
            missing.append(f.headers[0])
        base[f.name] = j
    stage_cols: dict[str, dict[str, int | None]] = {}
    for stage in profile.stages:
        found = {m.name: locate(m, f"{stage}-") for m in profile.measures}
        if stage in profile.required_stages:
            missing += [f"{stage}-{m.headers[0]}" for m in profile.measures
                        if m.required and found[m.name] is None]
        if any(j is not None for j in found.values()):
            stage_cols[stage] = found
    if missing:
        raise ExportFormatError(path, missing, kind=profile.label)

    raw_header = {j: str(grid[h][j]).strip() for j in range(len(grid[h]))}
    records = []
    for i in range(h + 1, len(grid)):
        row = grid[i]
        if all(_is_null(c) for c in row):
            continue

        def cell(f: Field, j: int | None):
            if j is None or j >= len(row):
                return None
            return convert(row[j], f.type, file=path.name, row=i + 1, column=raw_header.get(j))

        values = {f.name: cell(f, base[f.name]) for f in profile.columns}
        stage_values = {s: {m.name: cell(m, cols[m.name]) for m in profile.measures}
                        for s, cols in stage_cols.items()}
        required = [values[f.name] for f in profile.columns if f.required]
        required += [v[m.name] for s, v in stage_values.items() if s in profile.required_stages
                     for m in profile.measures if m.required]
        if required and all(v is None for v in required):
            continue  # a marker line such as 暂无数据, or a blank total line
        lineage = {"source_file": path.name, "source_row": i + 1}
        if profile.wide_key:
            for stage, vals in stage_values.items():
                records.append({**values, profile.wide_key: stage, **vals, **lineage})
        else:
            records.append({**values, **lineage})
    if not records:
        return empty
    return pd.DataFrame.from_records(records, columns=out_cols)


# --------------------------------------------------------------------------------------------
# 罗盘 退款分析
# --------------------------------------------------------------------------------------------


def _typed(frame: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    out = frame.copy()
    for f in (*profile.columns, *profile.measures):
        if f.name not in out.columns:
            continue
        if f.type == "date":
            out[f.name] = pd.to_datetime(out[f.name])
        elif f.type in ("money", "percent"):
            out[f.name] = pd.to_numeric(out[f.name]).astype("float64")
        elif f.type == "count":
            out[f.name] = pd.array(out[f.name].tolist(), dtype="Int64")
        else:
            out[f.name] = out[f.name].astype(object).where(out[f.name].notna(), None)
    return out


def load_luopan(external_dir: str | Path, conf_dir: str | Path = "conf",
                profile: str = "luopan_refund") -> pd.DataFrame:
    """All 罗盘 退款分析 downloads in ``external_dir``, one row per 日期 × 退款口径 × 售卖类型 ×
    载体 × refund stage (:data:`LUOPAN_COLUMNS`).

    * ``refund_buyers`` 退款人数, ``refund_orders`` 退款订单数 (Int64), ``refund_amount``
      退款金额 (yuan), ``refund_rate`` 退款率 (fraction), as 罗盘 computed them;
    * ``downloaded`` — the date in the file name (罗盘's data then run to the day before);
    * a day that 罗盘 shows as 暂无数据 has null figures; a file that only says 暂无数据 adds no row;
    * several downloads are one table: a row of a newer download replaces the same
      (date, basis, sale_type, carrier_type, stage) of an older one.

    An empty frame with these columns when there is no download.
    """
    prof = load_profile(profile, conf_dir)
    frames = []
    for path in find_files(external_dir, prof):
        part = parse_file(path, prof)
        stamp = file_date(path)
        if stamp is None:
            stamp = pd.Timestamp(dt.datetime.fromtimestamp(path.stat().st_mtime)).normalize()
        part["downloaded"] = stamp
        frames.append(part)
    frames = [f for f in frames if len(f)]
    if not frames:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in LUOPAN_COLUMNS})
        return _typed(out, prof).astype({"date": "datetime64[ns]", "downloaded": "datetime64[ns]"})
    frame = pd.concat(frames, ignore_index=True)
    no_date = frame[frame["date"].isna()]
    if len(no_date):
        first = no_date.iloc[0]
        raise InputError("a data row without 日期", file=first["source_file"],
                         row=int(first["source_row"]), column="日期")
    for col in ("sale_type", "carrier_type", "basis"):
        if col not in frame.columns:
            frame[col] = None
    key = frame[LUOPAN_KEY].astype(str)
    frame = frame[~key.duplicated(keep="last")]  # files are oldest first: the newest wins
    frame = _typed(frame, prof)
    order = {s: i for i, s in enumerate(prof.stages)}
    frame = frame.assign(_o=frame["stage"].map(order)).sort_values(
        ["date", "basis", "sale_type", "carrier_type", "_o"], na_position="first", kind="stable")
    frame["downloaded"] = pd.to_datetime(frame["downloaded"])
    return frame[LUOPAN_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Third-party product tables
# --------------------------------------------------------------------------------------------


def _source_of(name: str, profile: Profile) -> str:
    low = name.lower()
    for needle, source in profile.source_from_file_name.items():
        if needle.lower() in low:
            return source
    return profile.source


def _period_in_name(name: str) -> str | None:
    m = _NAME_DATE.search(name)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = _NAME_MONTH.search(name)
    return f"{m.group(1)}-{int(m.group(2)):02d}" if m else None


def load_third_party(external_dir: str | Path, conf_dir: str | Path = "conf",
                     profile: str = "third_party_products") -> pd.DataFrame:
    """Product return rates from third-party tools (蝉妈妈, 飞瓜数据 …) in ``external_dir``,
    one row per product with :data:`THIRD_PARTY_COLUMNS`:

    * ``source`` — the file's 来源 column, else the tool named in the file name
      (``source_from_file_name``), else the profile's ``source``;
    * ``return_rate`` — the tool's 退货率 as a fraction (its own definition and window);
    * ``as_of`` — the 统计周期/日期 cell as written, else the date or month in the file name;
    * ``is_own`` — the shop is one of the profile's ``own_shop`` names, or the product ID is in
      ``<external_dir>/catalog.csv`` (our products); everything else is a competitor.

    The same product (source, shop, product ID or name, as_of) in several files: the newest
    file wins.  An empty frame with these columns when there is no such file.
    """
    prof = load_profile(profile, conf_dir)
    frames = []
    for path in find_files(external_dir, prof):
        part = parse_file(path, prof)
        if not len(part):
            continue
        part["_file_source"] = _source_of(path.name, prof)
        part["_file_period"] = _period_in_name(path.name)
        frames.append(part)
    if not frames:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in THIRD_PARTY_COLUMNS})
        return out.astype({"price": "float64", "return_rate": "float64", "is_own": bool})
    frame = pd.concat(frames, ignore_index=True)
    for col in THIRD_PARTY_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame["source"] = frame["source"].where(frame["source"].notna(), frame["_file_source"])
    frame["as_of"] = frame["as_of"].where(frame["as_of"].notna(), frame["_file_period"])
    from .io import load_catalog

    own_ids = set(load_catalog(external_dir)["product_id"].dropna().astype(str))
    own_shops = {s.strip() for s in prof.own_shop}
    frame["is_own"] = frame["shop"].isin(own_shops) | frame["product_id"].isin(own_ids)
    ident = frame["product_id"].where(frame["product_id"].notna(), frame["product_name"])
    key = pd.DataFrame({"s": frame["source"], "h": frame["shop"], "i": ident, "a": frame["as_of"]}).astype(str)
    frame = frame[~key.duplicated(keep="last")]
    out = frame[THIRD_PARTY_COLUMNS].reset_index(drop=True)
    for col in ("source", "shop", "product_id", "product_name", "category", "as_of"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.astype({"price": "float64", "return_rate": "float64", "is_own": bool})


# --------------------------------------------------------------------------------------------
# What is in data/external
# --------------------------------------------------------------------------------------------

_KNOWN_FILES = {"catalog.csv": "商品目录", "interventions.csv": "优化措施"}


def inventory(external_dir: str | Path, conf_dir: str | Path = "conf") -> pd.DataFrame:
    """Every file in ``external_dir``: ``file``, ``kind`` (the profile's label, 商品目录,
    优化措施 or 未识别), ``source`` and ``rows`` (data rows read; for a 罗盘 download, days)."""
    folder = Path(external_dir)
    rows: list[dict[str, Any]] = []
    claimed: set[str] = set()
    for name in profile_names(conf_dir):
        prof = load_profile(name, conf_dir)
        for path in find_files(folder, prof):
            if path.name in claimed:
                continue
            claimed.add(path.name)
            part = parse_file(path, prof)
            n = int(part["source_row"].nunique()) if len(part) else 0
            source = _source_of(path.name, prof) if prof.source_from_file_name else prof.source
            rows.append({"file": path.name, "kind": prof.label, "source": source, "rows": n})
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if (not path.is_file() or path.name in claimed or path.name.startswith((".", "~$"))):
                continue
            kind = _KNOWN_FILES.get(path.name, "未识别（没有匹配的来源配置）")
            n = None
            if path.name in _KNOWN_FILES:
                n = max(0, len([r for r in _read_grid(path, None) if any(c.strip() for c in r)]) - 1)
            rows.append({"file": path.name, "kind": kind, "source": "自备", "rows": n})
    out = pd.DataFrame(rows, columns=["file", "kind", "source", "rows"])
    out["rows"] = pd.array(out["rows"].tolist(), dtype="Int64")
    return out


# --------------------------------------------------------------------------------------------
# The kit's figures on 罗盘's two clocks
# --------------------------------------------------------------------------------------------


def clock_of(basis: Any) -> str | None:
    """罗盘 退款口径 text → ``"pay_time"`` (订单支付时间: refunds attributed to the order's pay
    day) or ``"refund_time"`` (退款时间: to the refund day); ``None`` if neither."""
    if basis is None or (isinstance(basis, float) and math.isnan(basis)):
        return None
    text = str(basis)
    if "支付" in text:
        return "pay_time"
    if "退款" in text:
        return "refund_time"
    return None


KIT_COLUMNS = ["date", "clock", "refund_amount", "refund_shipping", "refund_sub_orders",
               "refund_main_orders", "paid_amount"]


def kit_daily(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """The kit's refund figures per day of ``month`` on both clocks (:data:`KIT_COLUMNS`).

    ``clock = "pay_time"`` (罗盘 退款口径 订单支付时间) — sub-orders paid that day (the cohort):

    * ``refund_amount`` — Σ refunded goods amount (``sub_order_outcomes.refund_amount``, capped at
      the payable amount; equals ``metrics.refund_clocks``' ``by_pay_time``);
    * ``refund_sub_orders`` — sub-orders with ≥1 successful refund; ``refund_main_orders`` — the
      distinct 主订单 among them; ``refund_shipping`` — Σ 退运费金额 of their successful refunds;
    * ``paid_amount`` — Σ 订单应付金额 of the sub-orders paid that day.

    ``clock = "refund_time"`` (退款时间) — successful refunds whose 商家退款时间 (else 售后完结时间)
    is that day: ``refund_amount`` = Σ 退商品金额 (``by_refund_time``), ``refund_sub_orders`` /
    ``refund_main_orders`` = distinct 子订单 / 主订单, ``refund_shipping`` = Σ 退运费金额;
    ``paid_amount`` is empty.
    """
    from .metrics import cohort, in_month, month_bounds

    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    ok = after_sales[after_sales["is_refund_success"].astype(bool)]
    ship_per_sub = ok.groupby("sub_order_id")["refund_shipping_amount"].sum(min_count=1).fillna(0.0)

    c = cohort(outcomes, month)
    day = c["pay_time"].dt.normalize()
    refunded = c[c["refunded"]]
    main = refunded["order_id"].where(refunded["order_id"].notna(), refunded["sub_order_id"])
    pay = pd.DataFrame({
        "refund_amount": c.groupby(day)["refund_amount"].sum(),
        "refund_shipping": pd.to_numeric(refunded["sub_order_id"].map(ship_per_sub), errors="coerce")
        .fillna(0.0).astype(float).groupby(day[c["refunded"]]).sum(),
        "refund_sub_orders": refunded.groupby(day[c["refunded"]]).size(),
        "refund_main_orders": main.groupby(day[c["refunded"]]).nunique(),
        "paid_amount": c.groupby(day)["payable_amount"].sum(),
    }).reindex(days)

    t = ok["merchant_refund_time"].fillna(ok["finish_time"])
    r = ok[in_month(t, month)]
    rday = t[in_month(t, month)].dt.normalize()
    rmain = r["order_id"].where(r["order_id"].notna(), r["sub_order_id"])
    ref = pd.DataFrame({
        "refund_amount": r.groupby(rday)["refund_goods_amount"].sum(),
        "refund_shipping": r.groupby(rday)["refund_shipping_amount"].sum(),
        "refund_sub_orders": r.groupby(rday)["sub_order_id"].nunique(),
        "refund_main_orders": rmain.groupby(rday).nunique(),
    }).reindex(days)
    ref["paid_amount"] = np.nan

    frames = []
    for clock, part in (("pay_time", pay), ("refund_time", ref)):
        part = part.copy()
        for col in ("refund_amount", "refund_shipping"):
            part[col] = part[col].fillna(0.0).astype(float).round(2)
        for col in ("refund_sub_orders", "refund_main_orders"):
            part[col] = part[col].fillna(0).astype(int)
        if clock == "pay_time":
            part["paid_amount"] = part["paid_amount"].fillna(0.0).astype(float).round(2)
        part.index.name = "date"
        part = part.reset_index()
        part.insert(1, "clock", clock)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)[KIT_COLUMNS]


# --------------------------------------------------------------------------------------------
# Reconciliation
# --------------------------------------------------------------------------------------------

METRICS = ("refund_amount", "refund_orders")
#: kit column compared with 罗盘's figure, and the kit's figure on 罗盘's definition
_KIT_FIGURES = {
    "refund_amount": ("refund_amount", "refund_amount+refund_shipping"),
    "refund_orders": ("refund_sub_orders", "refund_main_orders"),
}

REASON_SAME = "一致"
REASON_NO_DATA = "罗盘当日暂无数据"
REASON_NOT_IN_FILE = "罗盘下载中没有这一天"
REASON_DEFINITION = {
    "refund_amount": "罗盘退款金额含退运费，本工具只计退商品金额",
    "refund_orders": "罗盘按主订单计数，本工具按子订单计数（一单多件只算一单）",
}
REASON_LATER = "罗盘数据截止晚于本工具导出，之后完成的退款已计入罗盘（按支付时间归属的退款会持续增长）"
REASON_EARLIER = "罗盘数据截止早于本工具导出，之后完成的退款尚未计入罗盘"
REASON_OTHER = "其余差异来自统计范围或退款状态口径不同，请核对罗盘的筛选条件"


def likely_reason(metric: str, kit: float, kit_adjusted: float, luopan: float | None, *,
                  timing: str | None = None, scope: str = "", present: bool = True) -> str:
    """A short Chinese sentence saying why 罗盘's figure differs from the kit's.

    Rules, in order (the first two end the sentence; the others are joined by "；"):

    1. the day is not in the download → 罗盘下载中没有这一天; 罗盘 shows 暂无数据 → 罗盘当日暂无数据;
    2. equal (amounts within ¥0.005) → 一致;
    3. the definitions differ (``kit_adjusted`` ≠ ``kit``): 罗盘's 退款金额 includes 退运费
       (``kit_adjusted`` = kit amount + refunded shipping), 罗盘 counts 主订单
       (``kit_adjusted`` = refunded main orders);
    4. what remains (``luopan − kit_adjusted`` ≠ 0): 罗盘 filtered to part of the shop
       (``scope``) and below → 范围小于全店; above with a 罗盘 cutoff after the kit's export
       (``timing="later"``) → later refunds already in 罗盘; below with an earlier cutoff
       (``timing="earlier"``) → not yet in 罗盘; otherwise → 统计范围或退款状态口径不同.
    """
    if not present:
        return REASON_NOT_IN_FILE
    if luopan is None or (isinstance(luopan, float) and math.isnan(luopan)) or pd.isna(luopan):
        return REASON_NO_DATA
    tol = 0.005 if metric == "refund_amount" else 0.0
    if abs(luopan - kit) <= tol:
        return REASON_SAME
    parts = []
    if abs(kit_adjusted - kit) > tol:
        parts.append(REASON_DEFINITION[metric])
    residual = luopan - kit_adjusted
    if abs(residual) > tol:
        if scope and residual < 0:
            parts.append(f"罗盘下载只含{scope}，范围小于全店")
        elif residual > 0 and timing == "later":
            parts.append(REASON_LATER)
        elif residual < 0 and timing == "earlier":
            parts.append(REASON_EARLIER)
        else:
            parts.append(REASON_OTHER)
    return "；".join(parts)


def _scope_text(sale: set, carrier: set) -> str:
    bits = []
    if sale:
        bits.append("售卖类型" + "、".join(sorted(sale)))
    if carrier:
        bits.append("载体" + "、".join(sorted(carrier)))
    return "、".join(bits)


def _luopan_totals(luopan: pd.DataFrame, month: str) -> pd.DataFrame:
    """罗盘's all-stage figures per (date, clock): the 全部/全部 row when there is one, else the
    sum of the rows of each 售卖类型/载体.  Several values of a dimension are taken to cover the
    shop; a single value (only 自营, only 商品卡) is a filter, named in ``scope``."""
    from .metrics import in_month

    lp = luopan[(luopan["stage"] == ALL_STAGE) & in_month(luopan["date"], month)].copy()
    lp["clock"] = lp["basis"].map(clock_of)
    lp = lp[lp["clock"].notna()]
    rows = []
    for (date, clock), g in lp.groupby(["date", "clock"], sort=True):
        is_all = g["sale_type"].map(lambda v: v is None or pd.isna(v) or v in ALL_SCOPE) & \
            g["carrier_type"].map(lambda v: v is None or pd.isna(v) or v in ALL_SCOPE)
        scope = ""
        if is_all.any():
            g = g[is_all].tail(1)
        else:  # rows per 售卖类型/载体 value are summed; a single value is a filter
            sale = {v for v in g["sale_type"].dropna() if v not in ALL_SCOPE}
            carrier = {v for v in g["carrier_type"].dropna() if v not in ALL_SCOPE}
            scope = _scope_text(sale if len(sale) == 1 else set(),
                                carrier if len(carrier) == 1 else set())
        orders = g["refund_orders"].astype("float64")
        rows.append({
            "date": date, "clock": clock, "scope": scope,
            "refund_amount": g["refund_amount"].sum(min_count=1),
            "refund_orders": orders.sum(min_count=1),
            "downloaded": g["downloaded"].max(),
        })
    return pd.DataFrame(rows, columns=["date", "clock", "scope", "refund_amount", "refund_orders",
                                       "downloaded"])


def _timing(downloaded, as_of) -> str | None:
    """罗盘 data run to the day before the download day: compare that cutoff with the kit's
    export time."""
    if as_of is None or pd.isna(as_of) or downloaded is None or pd.isna(downloaded):
        return None
    cutoff = pd.Timestamp(downloaded).normalize()
    if cutoff > as_of:
        return "later"
    if cutoff < as_of:
        return "earlier"
    return None


RECONCILE_COLUMNS = ["date", "basis", "metric", "kit", "kit_adjusted", "luopan", "diff",
                     "diff_pct", "likely_reason", "scope", "timing"]


def reconcile_daily(kit: pd.DataFrame, luopan: pd.DataFrame, month: str,
                    as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The kit's daily figures beside 罗盘's, on each 退款口径 the 罗盘 download has.

    One row per day × ``basis`` (``pay_time``/``refund_time``) × ``metric``
    (``refund_amount`` 退款金额, ``refund_orders`` 退款订单数), all-stage figures (全部退款阶段):

    * ``kit`` — the kit's own figure (:func:`kit_daily`: refunded goods amount; refunded
      sub-orders); ``kit_adjusted`` — the kit's figure on 罗盘's definition (amount + refunded
      shipping; refunded 主订单);
    * ``luopan`` — 罗盘's figure (NaN for 暂无数据 or a day missing from the download);
    * ``diff`` = luopan − kit; ``diff_pct`` = diff / kit (NaN when kit is 0);
    * ``likely_reason`` — :func:`likely_reason`; ``timing`` — 罗盘's cutoff (download day,
      data to the day before) ``later``/``earlier`` than ``as_of`` (the kit's export time);
      ``scope`` — 罗盘's 售卖类型/载体 filter when not 全部.

    Empty when the download has no row for ``month``.
    """
    from .metrics import month_bounds

    lp = _luopan_totals(luopan, month)
    if not len(lp):
        return pd.DataFrame(columns=RECONCILE_COLUMNS)
    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    rows = []
    for clock in [c for c in ("pay_time", "refund_time") if c in set(lp["clock"])]:
        k = kit[kit["clock"] == clock].set_index("date").reindex(days)
        l = lp[lp["clock"] == clock].set_index("date")
        cutoff = l["downloaded"].max()
        for day in days:
            present = day in l.index
            got = l.loc[day] if present else None
            timing = _timing(got["downloaded"] if present else cutoff, as_of)
            scope = got["scope"] if present else ""
            kr = k.loc[day]
            for metric in METRICS:
                col, adj = _KIT_FIGURES[metric]
                kv = float(np.nan_to_num(kr[col]))
                av = float(sum(np.nan_to_num(kr[c]) for c in adj.split("+")))
                lv = float(got[metric]) if present and pd.notna(got[metric]) else math.nan
                rows.append(_row(day, clock, metric, kv, av, lv, timing, scope, present))
    return pd.DataFrame(rows, columns=RECONCILE_COLUMNS)


def _row(day, clock, metric, kv, av, lv, timing, scope, present) -> dict[str, Any]:
    if metric == "refund_amount":
        kv, av = round(kv, 2), round(av, 2)
        lv = round(lv, 2) if not math.isnan(lv) else lv
    diff = lv - kv if not math.isnan(lv) else math.nan
    if metric == "refund_amount" and not math.isnan(diff):
        diff = round(diff, 2)
    diff_pct = diff / kv if kv and not math.isnan(diff) else math.nan
    return {"date": day, "basis": clock, "metric": metric, "kit": kv, "kit_adjusted": av,
            "luopan": lv, "diff": diff, "diff_pct": diff_pct,
            "likely_reason": likely_reason(metric, kv, av, lv, timing=timing, scope=scope,
                                           present=present),
            "scope": scope, "timing": timing}


def reconcile_month(kit: pd.DataFrame, luopan: pd.DataFrame, month: str,
                    as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Month totals of :func:`reconcile_daily`, like for like: both sides summed over the days
    for which 罗盘 has a figure (``days``); ``days_missing`` counts the days it has none
    (暂无数据 or not in the download), which the reason then mentions.

    Columns: basis, metric, days, days_missing, kit, kit_adjusted, luopan, diff, diff_pct,
    likely_reason.  (罗盘's daily 退款率 cannot be added up over days, so it is not compared.)
    """
    cols = ["basis", "metric", "days", "days_missing", "kit", "kit_adjusted", "luopan", "diff",
            "diff_pct", "likely_reason"]
    daily = reconcile_daily(kit, luopan, month, as_of)
    if not len(daily):
        return pd.DataFrame(columns=cols)
    rows = []
    for (clock, metric), g in daily.groupby(["basis", "metric"], sort=False):
        have = g[g["luopan"].notna()]
        missing = len(g) - len(have)
        kv, av, lv = (float(have[c].sum()) for c in ("kit", "kit_adjusted", "luopan"))
        if not len(have):
            lv = math.nan
        timings = have["timing"].dropna()
        timing = timings.mode().iat[0] if len(timings) else None
        scope = "、".join(sorted({s for s in have["scope"] if s}))
        row = _row(None, clock, metric, kv, av, lv, timing, scope, True)
        reason = row["likely_reason"]
        if missing and len(have):
            reason += f"（两边都不含罗盘缺数据的 {missing} 天）"
        rows.append({**{k: row[k] for k in ("basis", "metric", "kit", "kit_adjusted", "luopan",
                                               "diff", "diff_pct")},
                     "days": int(len(have)), "days_missing": int(missing), "likely_reason": reason})
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# Presentation helpers
# --------------------------------------------------------------------------------------------

BASIS_ZH = {"pay_time": "支付时间口径", "refund_time": "退款时间口径"}
METRIC_ZH = {"refund_amount": "退款金额(元)", "refund_orders": "退款订单数"}


def _fmt_value(metric: str, v: Any, signed: bool = False) -> str:
    if v is None or pd.isna(v):
        return "—"
    v = float(v)
    sign = ("+" if v > 0 else "−" if v < 0 else "") if signed else ("−" if v < 0 else "")
    if metric == "refund_amount":
        return f"{sign}¥{abs(v):,.2f}"
    return f"{sign}{abs(v):,.0f}"


def _fmt_pct(v: Any) -> str:
    if v is None or pd.isna(v):
        return "—"
    return ("+" if v > 0 else "−" if v < 0 else "") + f"{abs(float(v)) * 100:.1f}%"


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """A reconciliation table as text for :func:`returns_kit.display.table`: basis and metric in
    Chinese, amounts as ``¥1,234.50``, differences signed (``+¥12.30``, ``−3``, ``+1.2%``)."""
    out = pd.DataFrame(index=table.index)
    if "date" in table.columns and table["date"].notna().any():
        out["date"] = pd.to_datetime(table["date"]).dt.strftime("%m-%d")
    out["basis"] = table["basis"].map(BASIS_ZH).fillna(table["basis"])
    out["metric"] = table["metric"].map(METRIC_ZH).fillna(table["metric"])
    if "days" in table.columns:
        out["days"] = table["days"].astype(int).astype(str)
    for col in ("kit", "kit_adjusted", "luopan"):
        out[col] = [_fmt_value(m, v) for m, v in zip(table["metric"], table[col])]
    out["diff"] = [_fmt_value(m, v, signed=True) for m, v in zip(table["metric"], table["diff"])]
    out["diff_pct"] = [_fmt_pct(v) for v in table["diff_pct"]]
    out["likely_reason"] = table["likely_reason"]
    return out.reset_index(drop=True)


def no_luopan_note(month: str) -> str:
    """What chapter 2 says when ``data/external`` holds no 罗盘 download for ``month``."""
    return (f"data/external 中没有 {month} 的罗盘“退款分析”下载，本章只列出本工具自己的数字。"
            "在抖音电商罗盘的“退款分析”页面选择该月并下载明细，把得到的"
            "“抖音电商罗盘-退款分析-日期.xlsx”放入 data/external 后重新生成报告，即可逐日对照。")


def summary_zh(monthly: pd.DataFrame, luopan: pd.DataFrame, month: str,
               as_of: pd.Timestamp | None = None) -> str:
    """One Chinese paragraph with the month's kit vs 罗盘 figures (from :func:`reconcile_month`),
    the files used and both data cutoffs."""
    from .metrics import in_month

    lp = luopan[in_month(luopan["date"], month)]
    files = "、".join(sorted(lp["source_file"].dropna().unique()))
    cutoff = pd.Timestamp(lp["downloaded"].max()) - pd.Timedelta(days=1)
    text = f"罗盘下载（{files}）的数据截至 {cutoff:%m-%d}"
    if as_of is not None and pd.notna(as_of):
        text += f"，本工具的导出截至 {pd.Timestamp(as_of):%m-%d %H:%M}"
    text += "。"
    for rec in monthly.to_dict("records"):
        m = rec["metric"]
        pct_txt = "" if pd.isna(rec["diff_pct"]) else "，" + _fmt_pct(rec["diff_pct"])
        text += (f"{BASIS_ZH.get(rec['basis'], rec['basis'])}·{METRIC_ZH.get(m, m)}：罗盘 "
                 f"{_fmt_value(m, rec['luopan'])}，本工具 {_fmt_value(m, rec['kit'])}，差额 "
                 f"{_fmt_value(m, rec['diff'], signed=True)}{pct_txt}（{rec['days']} 天）。")
    return text


def daily_chart_frame(daily: pd.DataFrame, metric: str = "refund_amount",
                      basis: str = "pay_time") -> pd.DataFrame:
    """``date, kit, luopan`` of one metric and basis, for ``rk.plots.lines``."""
    d = daily[(daily["metric"] == metric) & (daily["basis"] == basis)]
    return d[["date", "kit", "luopan"]].reset_index(drop=True)


def source_comparison_metrics(data, month: str, conf_dir: str | Path = "conf",
                              external_dir: str | Path | None = None) -> dict[str, Any]:
    """``metrics.json`` section: ``{"source_comparison": …}`` (see :func:`source_comparison`)."""
    return {"source_comparison": source_comparison(data, month, conf_dir, external_dir)}


def source_comparison(data, month: str, conf_dir: str | Path = "conf",
                      external_dir: str | Path | None = None) -> dict[str, Any]:
    """The month's kit vs 罗盘 totals.

    ``{"luopan_files": n, "third_party_rows": n, "luopan": [{basis, metric, days, days_missing,
    kit, luopan, diff, diff_pct, likely_reason}]}`` — ``luopan`` is empty without a download.
    """
    from .metrics import data_as_of, sub_order_outcomes
    from .reasons import load_taxonomy

    out: dict[str, Any] = {"luopan_files": 0, "third_party_rows": 0, "luopan": []}
    if external_dir is None or not Path(external_dir).is_dir():
        return out
    lp = load_luopan(external_dir, conf_dir)
    out["luopan_files"] = int(lp["source_file"].nunique()) if len(lp) else 0
    out["third_party_rows"] = int(len(load_third_party(external_dir, conf_dir)))
    if not len(lp):
        return out
    outcomes = sub_order_outcomes(data.orders, data.after_sales, load_taxonomy(conf_dir))
    as_of = data_as_of(data.orders, data.after_sales)
    table = reconcile_month(kit_daily(outcomes, data.after_sales, month), lp, month, as_of)
    for rec in table.to_dict("records"):
        item = {}
        for k in ("basis", "metric", "days", "days_missing", "kit", "luopan", "diff", "diff_pct",
                  "likely_reason"):
            v = rec[k]
            if isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (float, np.floating)):
                v = None if math.isnan(v) else float(v)
            item[k] = v
        out["luopan"].append(item)
    return out
