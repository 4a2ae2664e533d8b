"""The analyst's own tables: ``data/external/catalog.csv`` and ``interventions.csv``, and the
editable tables of ``conf/`` (``promotions.csv``, ``benchmarks.csv``).

They are read like the exports — every cell as text through :mod:`returns_kit.io.cells` — but a
cell that cannot be read stops the run (exit 2) with file, row and column: these files are short
and the analyst's own, so the fix is one edit away, and a silently dropped catalog row or
promotion would change every figure that uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import conf_file
from ..errors import ExportFormatError, InputError
from .cells import DATE, ID, MONEY, NUMBER, TEXT, convert, parse_values
from .readers import read_rows

__all__ = [
    "Intervention", "read_table", "load_catalog", "load_interventions", "load_promotions",
    "load_benchmarks", "CATALOG_COLUMNS", "INTERVENTION_COLUMNS", "PROMOTION_COLUMNS",
    "BENCHMARK_COLUMNS", "split_ids",
]

CATALOG_COLUMNS = ["product_id", "product_name", "category", "cost_price"]
INTERVENTION_COLUMNS = ["name", "product_ids", "start_date", "description", "control_product_ids"]
PROMOTION_COLUMNS = ["name", "start", "end", "peak", "approximate", "note"]
BENCHMARK_COLUMNS = ["category", "metric", "low", "high", "value", "source", "as_of"]

_FLOAT_KINDS = {MONEY, NUMBER, "percent"}
_YES = {"是", "yes", "y", "true", "1", "约", "approx"}


def _empty(spec: Sequence[tuple[str, str, bool]]) -> pd.DataFrame:
    cols = {}
    for name, kind, _ in spec:
        dtype = "float64" if kind in _FLOAT_KINDS else "datetime64[ns]" if kind == DATE else object
        cols[name] = pd.Series(dtype=dtype)
    cols["source_row"] = pd.Series(dtype="int64")
    return pd.DataFrame(cols)


def _cannot_read(value: str, kind: str) -> str:
    if kind == DATE:
        return f"not a date (YYYY-MM-DD): {value!r}"
    return f"cannot read {value!r} as {kind}"


def read_table(path: str | Path, spec: Sequence[tuple[str, str, bool]], label: str) -> pd.DataFrame:
    """A small header-first table (CSV or workbook) with the columns of ``spec``
    (``(name, kind, required)``), every cell parsed by :mod:`~returns_kit.io.cells`.

    Blank lines are skipped; ``source_row`` is each row's line number (header = 1).  A missing
    required header raises :class:`~returns_kit.errors.ExportFormatError` (file and columns); a
    cell that cannot be read raises :class:`~returns_kit.errors.InputError` (file, row, column).
    An absent optional column is all null.
    """
    path = Path(path)
    rows = read_rows(path)
    start = next((i for i, r in enumerate(rows) if any(str(c or "").strip() for c in r)), None)
    if start is None:
        return _empty(spec)
    headers = [str(h or "").strip().lstrip("\ufeff") for h in rows[start]]
    index = {h: j for j, h in reversed(list(enumerate(headers)))}
    missing = [name for name, _, required in spec if required and name not in index]
    if missing:
        raise ExportFormatError(path, missing, kind=label)
    body = [(i + 1, r) for i, r in enumerate(rows[start + 1:], start=start + 1)
            if any(str(c or "").strip() for c in r)]
    lines = [n for n, _ in body]
    out: dict[str, object] = {}
    for name, kind, _ in spec:
        j = index.get(name)
        cells = [r[j] if j is not None and j < len(r) else None for _, r in body]
        parsed, bad, cleaned = parse_values(cells, kind)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(_cannot_read(cleaned[k].as_py(), kind), file=path, row=lines[k], column=name)
        values = parsed.to_pandas()
        out[name] = values.astype(object).where(values.notna(), None) if kind in (ID, TEXT) else values
    frame = pd.DataFrame(out, columns=[name for name, _, _ in spec])
    frame["source_row"] = pd.Series(lines, dtype="int64")
    return frame


# --------------------------------------------------------------------------------------------
# data/external
# --------------------------------------------------------------------------------------------

def load_catalog(external_dir: str | Path | None) -> pd.DataFrame:
    """Product catalog from ``<external_dir>/catalog.csv`` (``product_id,product_name,category,
    cost_price``; ``product_id`` and ``category`` required); an empty frame with those columns
    when the file (or the folder) is absent.  IDs stay strings; ``cost_price`` is yuan."""
    spec = [("product_id", ID, True), ("product_name", TEXT, False), ("category", TEXT, True),
            ("cost_price", MONEY, False)]
    path = Path(external_dir) / "catalog.csv" if external_dir is not None else None
    if path is None or not path.exists():
        return _empty(spec)[CATALOG_COLUMNS]
    frame = read_table(path, spec, "product catalog (catalog.csv)")
    blank = frame["product_id"].isna()
    if blank.any():
        raise InputError("product_id is empty", file=path, row=int(frame.loc[blank, "source_row"].iat[0]),
                         column="product_id")
    return frame[CATALOG_COLUMNS]


@dataclass
class Intervention:
    """One row of ``interventions.csv``: what was changed, on which products, from when."""

    name: str
    product_ids: list[str]
    start_date: pd.Timestamp
    description: str = ""
    control_product_ids: list[str] = field(default_factory=list)


def split_ids(text: str | None, *, file=None, row: int | None = None, column: str | None = None) -> list[str]:
    """``"123;456"`` (``;`` or ``；``) → ``["123", "456"]``, each an ID as :mod:`cells` reads it."""
    if not text:
        return []
    parts = [p for p in text.replace("；", ";").split(";") if p.strip()]
    return [convert(p, ID, file=file, row=row, column=column) for p in parts]


def load_interventions(external_dir: str | Path | None) -> list[Intervention]:
    """Interventions from ``<external_dir>/interventions.csv`` (:data:`INTERVENTION_COLUMNS`,
    IDs ``;``-separated); ``[]`` when the file (or the folder) is absent."""
    path = Path(external_dir) / "interventions.csv" if external_dir is not None else None
    if path is None or not path.exists():
        return []
    spec = [("name", TEXT, True), ("product_ids", TEXT, True), ("start_date", DATE, True),
            ("description", TEXT, True), ("control_product_ids", TEXT, True)]
    frame = read_table(path, spec, "interventions table (interventions.csv)")
    out = []
    for r in frame.itertuples(index=False):
        where = {"file": str(path), "row": int(r.source_row)}
        if pd.isna(r.start_date):
            raise InputError("start_date is empty (YYYY-MM-DD)", column="start_date", **where)
        if not r.name:
            raise InputError("name is empty", column="name", **where)
        ids = split_ids(r.product_ids, column="product_ids", **where)
        if not ids:
            raise InputError("no product_ids", column="product_ids", **where)
        controls = split_ids(r.control_product_ids, column="control_product_ids", **where)
        overlap = sorted(set(ids) & set(controls))
        if overlap:
            raise InputError(f"product(s) {', '.join(overlap)} are both treated and control",
                             column="control_product_ids", **where)
        out.append(Intervention(r.name, ids, pd.Timestamp(r.start_date), r.description or "", controls))
    return out


# --------------------------------------------------------------------------------------------
# conf/ tables (conf/local replaces conf/base)
# --------------------------------------------------------------------------------------------

def load_promotions(conf_dir: str | Path = "conf") -> pd.DataFrame:
    """The promotion calendar ``promotions.csv`` (conf/local replaces conf/base).

    Columns ``name, start, end`` (required, dates, ``end`` inclusive and not before ``start``),
    ``peak`` (optional date inside the period: the main day, e.g. 11-11), ``approximate`` (是/否:
    dates estimated, not announced) and ``note``.  Each row is one promotion in one year, so a
    new year is a new row.  A bad cell raises :class:`~returns_kit.errors.InputError` naming file,
    row (header = 1) and column.  No file → an empty calendar.
    """
    spec = [("name", TEXT, True), ("start", DATE, True), ("end", DATE, True), ("peak", DATE, False),
            ("approximate", TEXT, False), ("note", TEXT, False)]
    path = conf_file("promotions.csv", conf_dir)
    if path is None:
        return _empty(spec)[PROMOTION_COLUMNS].astype({"approximate": bool})
    frame = read_table(path, spec, "promotion calendar (promotions.csv)")
    for r in frame.itertuples(index=False):
        where = {"file": str(path), "row": int(r.source_row)}
        if not r.name:
            raise InputError("promotion name is empty", column="name", **where)
        for col in ("start", "end"):
            if pd.isna(getattr(r, col)):
                raise InputError("not a date (YYYY-MM-DD): ''", column=col, **where)
        if r.end < r.start:
            raise InputError(f"end {r.end:%Y-%m-%d} is before start {r.start:%Y-%m-%d}",
                             column="end", **where)
        if pd.notna(r.peak) and not r.start <= r.peak <= r.end:
            raise InputError("peak is outside start…end", column="peak", **where)
    frame["approximate"] = frame["approximate"].map(
        lambda v: str(v or "").strip().lower() in _YES).astype(bool)
    frame["note"] = frame["note"].map(lambda v: v or "")
    return frame[PROMOTION_COLUMNS].reset_index(drop=True)


def load_benchmarks(conf_dir: str | Path = "conf") -> pd.DataFrame:
    """Industry reference rates from ``benchmarks.csv`` (local overrides base), one row each with
    its ``source`` and ``as_of``.  The platform publishes no official return-rate line, so every
    figure here is someone's estimate: the report always prints where it came from."""
    spec = [("category", TEXT, True), ("metric", TEXT, True), ("low", NUMBER, True),
            ("high", NUMBER, True), ("value", NUMBER, True), ("source", TEXT, True),
            ("as_of", TEXT, True)]
    path = conf_file("benchmarks.csv", conf_dir)
    if path is None:
        return _empty(spec)[BENCHMARK_COLUMNS]
    frame = read_table(path, spec, "benchmark table (benchmarks.csv)")
    return frame[BENCHMARK_COLUMNS]


# --------------------------------------------------------------------------------------------
# labelled buyer notes (chapter 4's tag quality and the tag model's training notes)
# --------------------------------------------------------------------------------------------

LABELLED_NOTE_COLUMNS = ["note", "expected_tags"]


def load_labelled_notes(path: str | Path) -> pd.DataFrame:
    """Labelled buyer notes: a CSV (or workbook) with ``note`` and ``expected_tags`` (the custom
    tags of ``tags.yml`` an analyst gives the note, ``;``-separated, empty = none), other columns
    ignored.  ``note`` is ``None`` for ``-`` or an empty cell; ``expected_tags`` is ``""`` when
    empty; ``source_row`` is the line number (header = 1).  A missing column raises
    :class:`~returns_kit.errors.ExportFormatError` naming the file."""
    spec = [("note", TEXT, True), ("expected_tags", TEXT, True)]
    frame = read_table(path, spec, "labelled notes table (note, expected_tags)")
    frame["expected_tags"] = frame["expected_tags"].map(
        lambda v: ";".join(t.strip() for t in str(v or "").replace("；", ";").split(";") if t.strip()))
    return frame[LABELLED_NOTE_COLUMNS + ["source_row"]].reset_index(drop=True)


__all__ += ["load_labelled_notes", "LABELLED_NOTE_COLUMNS"]
