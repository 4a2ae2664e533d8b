"""Source profiles: the 罗盘 downloads and third-party tool exports of ``data/external``.

A file there is recognised by a **source profile**, a YAML file ``conf/base/sources/<name>.yml``
(overlaid by ``conf/local/sources/<name>.yml``).  A profile says

* how to recognise a file: ``match.file_glob`` (file-name patterns), else a header row that
  names every required column (plus any extra ``match.headers``), the ``sheet`` to read and the
  ``header_row`` (1-based);
* how to map its columns: ``columns`` = ``{canonical_name: {headers: [...], type, required}}``
  where the type is one of ``text``, ``date``, ``money``, ``percent`` (a fraction), ``count``
  (a whole number) or ``id`` (kept a string) — parsed by :mod:`returns_kit.io.cells`, like the
  exports;
* optionally ``wide``: columns named ``<stage>-<measure>`` (罗盘's 5 refund stages × 退款人数 /
  退款订单数 / 退款金额 / 退款率) turned into one row per stage;
* fixed fields: ``source`` (e.g. 抖音电商罗盘), ``own_shop`` …

Two profiles ship: ``luopan_refund`` (罗盘 退款分析 download, sheet 本店数据) and
``third_party_products`` (a "product, category, return rate" table from 蝉妈妈/飞瓜数据).

Cells ``-``, ``--``, empty and ``暂无数据`` are missing; a sheet that only says 暂无数据 gives no
rows.  A file recognised by name that lacks a required column raises
:class:`~returns_kit.errors.ExportFormatError` naming the file and the columns; a cell that
cannot be read raises :class:`~returns_kit.errors.InputError` naming file, row and column.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import load_yaml
from ..errors import ExportFormatError, InputError
from ..model import NULL_TOKENS
from .cells import DATE, ID, INT, MONEY, PERCENT, TEXT, parse_values
from .cells import convert as convert_cell
from .external import load_catalog
from .readers import read_rows

__all__ = [
    "Field", "Profile", "convert", "load_profile", "profile_names", "find_files", "parse_file", "file_date",
    "load_luopan", "load_third_party", "inventory", "LUOPAN_COLUMNS", "THIRD_PARTY_COLUMNS",
    "TYPES",
]

#: profile column types and the cell kind each is parsed as
TYPES = ("text", "date", "money", "percent", "count", "id")
_CELL_KIND = {"text": TEXT, "date": DATE, "money": MONEY, "percent": PERCENT, "count": INT, "id": ID}
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")

#: 罗盘 long format (one row per day × 退款口径 × 售卖类型 × 载体 × stage) + lineage
LUOPAN_COLUMNS = ["date", "basis", "sale_type", "carrier_type", "stage", "refund_buyers",
                  "refund_orders", "refund_amount", "refund_rate", "source_file", "downloaded"]
LUOPAN_KEY = ["date", "basis", "sale_type", "carrier_type", "stage"]
#: what chapter 6 gets from :func:`load_third_party`
THIRD_PARTY_COLUMNS = ["source", "shop", "product_id", "product_name", "category", "price",
                       "return_rate", "as_of", "is_own"]

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


def convert(value: Any, type: str, *, file=None, row: int | None = None,
            column: str | None = None) -> Any:
    """One cell read as a profile column ``type`` (:data:`TYPES`) by the kit's one cell parser;
    ``None`` for ``-``, empty or ``暂无数据``; a cell that cannot be read raises
    :class:`~returns_kit.errors.InputError` naming file, row and column.

    >>> convert("¥1,234.50", "money"), convert("12.3%", "percent"), convert("2026/05/13", "date")
    (1234.5, 0.123, Timestamp('2026-05-13 00:00:00'))
    """
    if type not in _CELL_KIND:
        raise ValueError(f"unknown profile type {type!r} (use one of {', '.join(TYPES)})")
    try:
        return convert_cell(value, _CELL_KIND[type], file=file, row=row, column=column)
    except InputError:
        raise InputError(f"cannot read {value!r} as {type}", file=file, row=row, column=column) from None


# --------------------------------------------------------------------------------------------
# Recognising files
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def _norm_header(h: Any) -> str:
    text = "" if h is None else str(h)
    text = text.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    text = text.replace("－", "-").replace("—", "-").replace("–", "-")
    return _WS.sub("", text)


def _is_null(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:
        return True
    return isinstance(v, str) and v.strip().strip("\t") in NULL_TOKENS


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


def find_files(external_dir: str | Path | None, profile: Profile) -> list[Path]:
    """Files in ``external_dir`` this profile recognises: by file name (``match.file_glob``) or by
    a header row (within the first 10 rows) naming every required column.  Oldest first (by the
    date in the file name, else the modification time).  No folder (``None``): none."""
    if external_dir is None or not Path(external_dir).is_dir():
        return []
    folder = Path(external_dir)
    out = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")) or path.suffix.lower() not in SUFFIXES:
            continue
        if _name_matches(path.name, profile):
            out.append(path)
            continue
        try:
            grid = read_rows(path, profile.sheet, nrows=10)
        except InputError:
            continue  # not readable: not ours to judge
        if any(_has_required_headers(row, profile) for row in grid):
            out.append(path)
    return sorted(out, key=_file_order)


# --------------------------------------------------------------------------------------------
# Reading one file
# --------------------------------------------------------------------------------------------

def _column_values(path: Path, grid: list[list[Any]], rows: list[int], j: int | None, f: Field,
                   header: str | None) -> list[Any]:
    """The parsed values of column ``j`` (``None`` everywhere when absent) for the grid rows
    ``rows`` (0-based); a cell that cannot be read raises, naming file, row and column."""
    if j is None:
        return [None] * len(rows)
    kind = _CELL_KIND[f.type]
    cells = [grid[i][j] if j < len(grid[i]) else None for i in rows]
    parsed, bad, _ = parse_values(cells, kind)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"cannot read {cells[k]!r} as {f.type}", file=path.name, row=rows[k] + 1,
                         column=header)
    values = parsed.to_pylist()
    if kind == DATE:
        values = [pd.Timestamp(v) if v is not None else None for v in values]
    return values


def parse_file(path: str | Path, profile: Profile) -> pd.DataFrame:
    """One file read through ``profile``: canonical columns (wide stages → long rows) plus
    ``source_file`` and ``source_row`` (1-based spreadsheet row).

    Rows with no value in any required column (e.g. a line that only says 暂无数据) are skipped;
    a sheet without a header row that says 暂无数据 gives an empty frame.
    """
    path = Path(path)
    grid = read_rows(path, profile.sheet)
    out_cols = profile.output_columns() + ["source_file", "source_row"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in out_cols})
    h = _header_index(grid, profile)
    if h is None:
        if _says_no_data(grid) or not any(not _is_null(c) for row in grid for c in row):
            return empty
        missing = [f.headers[0] for f in profile.columns if f.required]
        raise ExportFormatError(path, missing or ["(no header row)"], kind=profile.label)
    headers = [_norm_header(c) for c in grid[h]]
    index: dict[str, int] = {}
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
    rows = [i for i in range(h + 1, len(grid)) if not all(_is_null(c) for c in grid[i])]
    values = {f.name: _column_values(path, grid, rows, base[f.name], f, raw_header.get(base[f.name]))
              for f in profile.columns}
    stage_values = {s: {m.name: _column_values(path, grid, rows, cols[m.name], m, raw_header.get(cols[m.name]))
                        for m in profile.measures} for s, cols in stage_cols.items()}
    records = []
    for k, i in enumerate(rows):
        row_values = {name: vals[k] for name, vals in values.items()}
        row_stages = {s: {name: vals[k] for name, vals in v.items()} for s, v in stage_values.items()}
        required = [row_values[f.name] for f in profile.columns if f.required]
        required += [v[m.name] for s, v in row_stages.items() if s in profile.required_stages
                     for m in profile.measures if m.required]
        if required and all(v is None for v in required):
            continue  # a marker line such as 暂无数据, or a blank total line
        lineage = {"source_file": path.name, "source_row": i + 1}
        if profile.wide_key:
            for stage, vals in row_stages.items():
                records.append({**row_values, profile.wide_key: stage, **vals, **lineage})
        else:
            records.append({**row_values, **lineage})
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


def load_luopan(external_dir: str | Path | None, conf_dir: str | Path = "conf",
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


def load_third_party(external_dir: str | Path | None, conf_dir: str | Path = "conf",
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


def inventory(external_dir: str | Path | None, conf_dir: str | Path = "conf") -> pd.DataFrame:
    """Every file in ``external_dir``: ``file``, ``kind`` (the profile's label, 商品目录,
    优化措施 or 未识别), ``source`` and ``rows`` (data rows read; for a 罗盘 download, days)."""
    folder = Path(external_dir) if external_dir is not None else None
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
    if folder is not None and folder.is_dir():
        for path in sorted(folder.iterdir()):
            if (not path.is_file() or path.name in claimed or path.name.startswith((".", "~$"))):
                continue
            kind = _KNOWN_FILES.get(path.name, "未识别（没有匹配的来源配置）")
            n = None
            if path.name in _KNOWN_FILES:
                n = max(0, len([r for r in read_rows(path) if any(str(c or "").strip() for c in r)]) - 1)
            rows.append({"file": path.name, "kind": kind, "source": "自备", "rows": n})
    out = pd.DataFrame(rows, columns=["file", "kind", "source", "rows"])
    out["rows"] = pd.array(out["rows"].tolist(), dtype="Int64")
    return out
