"""Step 5b of the runner: ``tables.xlsx`` beside the HTML — every table of the report, one sheet
each, for the analyst who wants to filter and sort.

The chapters' tables reach the runner the way ``metrics.json`` does: :func:`returns_kit.display.table`
displays a table's HTML *and* its whole data under :data:`~returns_kit.display.TABLE_MIME`, and
:meth:`returns_kit.chapters.base.Chapter.emit` adds the drill-down sheets (the after-sale and
sub-order IDs behind each row of a ranking) as data only.  :func:`collect_tables` reads them from
the executed notebooks, naming each sheet after its chapter and the heading above it;
:func:`write_tables` writes the workbook:

* headers in Chinese; a first sheet 目录 lists every sheet with its chapter and title;
* IDs as text (a 19-digit 商品ID would lose digits as a number), percentages as numbers with a
  percent format, money with two decimals;
* every text cell written as a string, never a formula, and neutralised
  (:func:`returns_kit.core.files.safe_cell`): ``=HYPERLINK(…)`` in a buyer note stays text even
  when the sheet is saved as CSV and opened again;
* only what the report shows: no buyer names, phones or addresses are ever in a chapter table.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import rustpy_xlsxwriter as rx

from ..core.files import atomic_write_bytes, safe_cell, safe_texts
from ..core.mime import TABLE_MIME
from ..core.store import open_store, store_key
from .params import chapter_number, read_notebook

__all__ = ["TABLES_NAME", "WORKBOOKS_KEPT", "SheetTable", "build_workbook", "collect_tables", "notebook_tables",
           "sheet_name", "tables_digest", "write_tables"]

TABLES_NAME = "tables.xlsx"
#: workbooks kept in the cache folder (one per month and set of tables)
WORKBOOKS_KEPT = 12
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
TOC_SHEET = "目录"
_NUMERIC = ("percent", "money", "number")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass
class SheetTable:
    """One sheet: ``chapter`` (0–8), ``title`` (the caption, else the heading above the table),
    ``columns`` [{key, label, kind}], ``rows``, ``drilldown`` (IDs behind a ranking)."""

    chapter: int
    title: str
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    drilldown: bool = False
    sheet: str = ""


def notebook_tables(path: str | os.PathLike, position: int = 1) -> list[SheetTable]:
    """The tables of one executed notebook, in output order."""
    path = Path(path)
    number = chapter_number(path, position)
    heading = ""
    found: list[SheetTable] = []
    for cell in read_notebook(path).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = _HEADING.match(line)
                if m:
                    heading = re.sub(r"<[^>]+>|[*`]", "", m.group(1)).strip()
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            raw = (output.get("data") or {}).get(TABLE_MIME)
            if raw is None:
                continue
            data = json.loads(raw) if isinstance(raw, str) else raw
            title = data.get("caption") or heading or f"第 {number} 章"
            found.append(SheetTable(number, title, list(data["columns"]), list(data["rows"]),
                                    bool(data.get("drilldown"))))
    return found


def sheet_name(table: SheetTable, used: set[str]) -> str:
    """``"3 商品：高退商品 TOP20"``: the chapter number, then the title, without the characters
    Excel forbids, at most 31 characters, unique (`` (2)`` …)."""
    prefix = f"{table.chapter} " + ("明细 " if table.drilldown else "")
    base = _FORBIDDEN.sub("", prefix + table.title).strip()[:31].rstrip() or f"{table.chapter}"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def collect_tables(executed: Sequence[str | os.PathLike]) -> list[SheetTable]:
    """Every table of the executed notebooks, in report order, each with its sheet name."""
    tables = [t for position, p in enumerate(executed, start=1) for t in notebook_tables(p, position)]
    used = {TOC_SHEET}
    for t in tables:
        t.sheet = sheet_name(t, used)
    return tables


def _width(values: list[Any], label: str) -> float:
    longest = max([len(str(label))] + [len(str(v)) for v in values[:200] if v is not None])
    return min(max(8, longest * 1.6 + 2), 60)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return safe_cell("、".join(str(v) for v in value))
    return safe_cell(str(value))


def _column(values: list[Any], kind: str) -> pd.Series:
    """One column's cells: numbers of a numeric ``kind`` as numbers, everything else as
    neutralised text (:func:`_text`), ``None`` as an empty cell."""
    numeric = kind in _NUMERIC
    if all(v is None or type(v) is str for v in values) and (not numeric or any(v is not None for v in values)):
        # text only (an empty numeric column stays numeric): neutralised at once
        return pd.Series(pd.array(safe_texts(pa.array(values, type=pa.string())), dtype=pd.ArrowDtype(pa.string())))
    cells = [v if v is None or (numeric and _is_number(v)) else _text(v) for v in values]
    if numeric and all(v is None or _is_number(v) for v in cells):
        return pd.Series(pd.array(cells, dtype=pd.ArrowDtype(pa.float64())))
    if all(v is None or isinstance(v, str) for v in cells):
        return pd.Series(pd.array(cells, dtype=pd.ArrowDtype(pa.string())))
    return pd.Series(cells, dtype=object)  # a numeric column with a text cell: each cell as it is


def _frame(table: SheetTable) -> pd.DataFrame:
    """``table`` as the frame its sheet is written from; a repeated header gets `` (2)`` …"""
    headers: list[str] = []
    for spec in table.columns:
        label = base = safe_cell(str(spec["label"]))
        n = 2
        while label in headers:
            label, n = f"{base} ({n})", n + 1
        headers.append(label)
    columns = [_column([r[i] for r in table.rows], spec["kind"]) for i, spec in enumerate(table.columns)]
    if any(c.dtype == object for c in columns):  # written cell by cell: every column as Python values
        columns = [pd.Series(c.astype(object).where(c.notna(), None), dtype=object) for c in columns]
    return pd.DataFrame(dict(zip(headers, columns)))


def _workbook(tables: list[SheetTable], title: str) -> bytes:
    """The workbook's bytes: rust_xlsxwriter (through ``rustpy_xlsxwriter``) writes a sheet's
    columns straight from Arrow, a second for the two million cells of a month at the export
    limits, where xlsxwriter took half a minute.  Text is always written as a string cell
    (inline), never as a formula."""
    bold = rx.Format().set_bold().set_background_color("#eef3fb").set_border("thin")
    formats = {"percent": rx.Format().set_num_format("0.0%"),
               "money": rx.Format().set_num_format("#,##0.00"),
               "number": rx.Format().set_num_format("General"),
               "id": rx.Format().set_num_format("@"), "text": rx.Format().set_num_format("@")}
    toc = pd.DataFrame({
        "工作表": _column([t.sheet for t in tables], "text"),
        "章": _column([t.chapter for t in tables], "number"),
        "内容": _column([t.title + ("（明细：排名背后的售后单与子订单）" if t.drilldown else "") for t in tables],
                      "text"),
        "行数": _column([len(t.rows) for t in tables], "number"),
    })
    sheets: list[tuple[str, pd.DataFrame]] = [(TOC_SHEET, toc)]
    options: dict[str, dict[str, Any]] = {
        "column_widths": {TOC_SHEET: [34, 8.43, 50, 8.43]}, "column_formats": {}, "freeze_panes": {},
        "autofilter": {}, "header_row": {TOC_SHEET: 2},
        "merge_ranges": {TOC_SHEET: [(0, 0, 0, 3, safe_cell(title), bold)]},
    }
    for t in tables:
        sheets.append((t.sheet, _frame(t)))
        options["column_widths"][t.sheet] = [_width([r[i] for r in t.rows], spec["label"])
                                             for i, spec in enumerate(t.columns)]
        options["column_formats"][t.sheet] = [formats.get(spec["kind"], formats["text"]) for spec in t.columns]
        options["freeze_panes"][t.sheet] = {"row": 1, "col": 0}
        options["autofilter"][t.sheet] = bool(t.columns)
    buffer = io.BytesIO()
    rx.write_worksheets(sheets, buffer, header_format={"general": bold}, **options)
    return buffer.getvalue()


def write_tables(target: str | os.PathLike, tables: list[SheetTable], title: str) -> Path:
    """Write ``tables`` to the workbook ``target`` atomically (see the module docstring)."""
    return atomic_write_bytes(target, _workbook(tables, title))


def tables_digest(tables: list[SheetTable], title: str) -> str:
    """A digest of everything the workbook of ``tables`` is written from."""
    content = [(t.chapter, t.title, t.sheet, t.drilldown, t.columns, t.rows) for t in tables]
    return hashlib.sha256(pickle.dumps((title, content), protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def build_workbook(executed: Sequence[str | os.PathLike], target: str | os.PathLike, title: str,
                   keep_in: str | os.PathLike | None = None) -> Path:
    """Step 5b whole — :func:`collect_tables` of the executed notebooks, then the workbook into
    ``target`` (atomically) — for a process of its own beside the page's render: a month at
    the export limits has two million cells, and writing them is the slowest step of a report.

    ``keep_in``: a cache folder (beside the Parquet cache).  The workbook of the same tables,
    title and kit (:func:`tables_digest`, :func:`~returns_kit.core.store.store_key`) is read back
    from there instead of being written again; the newest :data:`WORKBOOKS_KEPT` are kept."""
    tables = collect_tables(executed)
    if keep_in is None:
        return write_tables(target, tables, title)
    store = open_store(keep_in, "tables", store_key(tables_digest(tables, title)), keep=WORKBOOKS_KEPT)
    return atomic_write_bytes(target, store.get("workbook", lambda: _workbook(tables, title)))
