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

from ..core.files import atomic_write_bytes, safe_cell
from ..core.mime import TABLE_MIME
from ..core.store import open_store, store_key
from .params import chapter_number, read_notebook

__all__ = ["TABLES_NAME", "WORKBOOKS_KEPT", "SheetTable", "build_workbook", "collect_tables", "notebook_tables",
           "sheet_name", "tables_digest", "write_tables"]

TABLES_NAME = "tables.xlsx"
#: workbooks kept in the cache folder (one per month and set of tables)
WORKBOOKS_KEPT = 12
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
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
    used = {"目录"}
    for t in tables:
        t.sheet = sheet_name(t, used)
    return tables


def _width(values: list[Any], label: str) -> float:
    longest = max([len(str(label))] + [len(str(v)) for v in values[:200] if v is not None])
    return min(max(8, longest * 1.6 + 2), 60)


def _workbook(tables: list[SheetTable], title: str) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#eef3fb", "border": 1})
    formats = {"percent": book.add_format({"num_format": "0.0%"}),
               "money": book.add_format({"num_format": "#,##0.00"}),
               "number": book.add_format({"num_format": "General"}),
               "text": book.add_format({"num_format": "@"})}
    toc = book.add_worksheet("目录")
    toc.write_string(0, 0, safe_cell(title), bold)
    for col, head in enumerate(("工作表", "章", "内容", "行数")):
        toc.write_string(2, col, head, bold)
    for row, t in enumerate(tables, start=3):
        toc.write_string(row, 0, safe_cell(t.sheet))
        toc.write_number(row, 1, t.chapter)
        toc.write_string(row, 2, safe_cell(t.title + ("（明细：排名背后的售后单与子订单）" if t.drilldown else "")))
        toc.write_number(row, 3, len(t.rows))
    toc.set_column(0, 0, 34)
    toc.set_column(2, 2, 50)
    for t in tables:
        sheet = book.add_worksheet(t.sheet)
        for col, spec in enumerate(t.columns):
            sheet.write_string(0, col, safe_cell(str(spec["label"])), bold)
            values = [r[col] for r in t.rows]
            sheet.set_column(col, col, _width(values, spec["label"]),
                             formats["text"] if spec["kind"] in ("id", "text") else None)
            for row, value in enumerate(values, start=1):
                _cell(sheet, row, col, value, spec["kind"], formats)
        sheet.freeze_panes(1, 0)
        if t.columns:
            sheet.autofilter(0, 0, max(len(t.rows), 1), len(t.columns) - 1)
    book.close()
    return buffer.getvalue()


def _cell(sheet, row: int, col: int, value: Any, kind: str, formats: dict) -> None:
    if value is None:
        return
    if kind in ("percent", "money", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(row, col, value, formats[kind])
    elif isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, list):
        sheet.write_string(row, col, safe_cell("、".join(str(v) for v in value)), formats["text"])
    else:
        sheet.write_string(row, col, safe_cell(str(value)), formats["text"])


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
