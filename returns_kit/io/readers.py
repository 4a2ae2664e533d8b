"""Readers: one file → raw text cells.  Nothing here knows what a column means.

* :func:`read_csv_columns` — a (possibly million-row) CSV export into Arrow string columns with
  pyarrow: UTF-8 with or without BOM, GB18030 as a fallback; rows with the wrong number of fields
  are kept aside with their line number; blank lines are no data.
* :func:`read_sheet` — every cell of one sheet of an XLSX/XLS workbook (python-calamine).
* :func:`read_excel_columns` — the export columns of a workbook's first sheet as Arrow strings.
* :func:`read_rows` — a small file (the analyst's CSV or workbook) as a list of rows.

The kind of file is sniffed from its first bytes (``PK`` zip / OLE2 = a workbook), not its name.
"""

from __future__ import annotations

import codecs
import csv
import io as _stdio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError
from .cells import any_true, as_numpy_bool, excel_cell

__all__ = ["RawColumns", "is_spreadsheet", "sniff_encoding", "decode_text", "read_csv_columns",
           "read_sheet", "read_excel_columns", "read_rows", "R_FIELDS"]

R_FIELDS = "字段数不符：应为 {expected} 个，实际 {actual} 个 (expected {expected} fields, got {actual})"


@dataclass
class RawColumns:
    """The raw text of the columns asked for, with each data row's line number."""

    headers: list[str]
    columns: dict[int, pa.Array]  # header position → raw text (only the positions asked for)
    rows: np.ndarray  # spreadsheet row number of each data row (header = 1)
    broken: list[tuple[int, str, str]]  # (row, reason, text) for rows the parser rejected
    rows_read: int


def is_spreadsheet(head: bytes) -> bool:
    """XLSX/XLSM (zip) or XLS (OLE2) by their magic bytes."""
    return head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0")


def sniff_encoding(head: bytes) -> str:
    """``utf-8`` if the bytes decode as UTF-8 (a cut multi-byte character at the end is fine),
    else ``gb18030`` (what Excel on a Chinese Windows saves)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def decode_text(data: bytes, path: str | Path) -> str:
    """A whole small file as text: UTF-8 (BOM dropped), else GB18030."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode the CSV as UTF-8 or GB18030", file=path)  # pragma: no cover


#: field separators a CSV may use: the comma of 抖店's own exports, then what a European-locale
#: Excel (";") or a "Text (Tab delimited)" save ("\t") writes
CSV_DELIMITERS = (",", ";", "\t")


def _csv_headers(head: bytes, encoding: str, path: Path) -> tuple[list[str], str]:
    """The header row and the field separator: the comma, unless the header line holds no comma
    but several ``;`` or tabs (a CSV saved with another list separator is read, not refused as
    "not a 抖店 export")."""
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    line = text.split("\n", 1)[0]
    others = [d for d in CSV_DELIMITERS[1:] if line.count(d) >= 2]
    delimiter = "," if "," in line or not others else max(others, key=line.count)
    try:
        first = next(csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter), None)
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV header: {exc}", file=path) from exc
    if not first or not any(h.strip() for h in first):
        raise InputError("no header row found (empty file?)", file=path)
    return first, delimiter


def _read_csv_table(path: Path, encoding: str, wanted: list[int], threads: bool, delimiter: str = ","):
    """The CSV as a table of text, and its records that are not: ``broken`` (wrong number of
    fields) and blank lines (kept out of the table, but counted, so every row number is the row
    a person sees in Excel).  Row numbers of either are only known single-threaded (None
    otherwise)."""
    broken: list[Any] = []

    def on_invalid(row: Any) -> str:
        if not (row.text or "").strip(" \t\r\n"):
            broken.append((row.number, None, None, None))  # a blank line: not data, but a row
        else:
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
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                                         invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            include_columns=names,
            strings_can_be_null=False,
        ),
    )
    return table, broken


def read_csv_columns(path: Path, wanted_for: Callable[[list[str]], list[int]]) -> RawColumns:
    """The columns ``wanted_for(headers)`` of a CSV export, every cell as text."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise InputError("file is empty", file=path)
    encoding = sniff_encoding(head)
    headers, delimiter = _csv_headers(head, encoding, path)
    wanted = wanted_for(headers)
    # GB18030 is only a fallback for text that UTF-8 cannot decode; once the first MiB holds
    # valid non-ASCII UTF-8, a bad byte further down is a damaged file, not another encoding.
    fallbacks = ["gb18030"] if encoding == "utf-8" and head.isascii() else []
    table = broken = None
    for enc in [encoding, *fallbacks]:
        try:
            table, broken = _read_csv_table(path, enc, wanted, threads=True, delimiter=delimiter)
            if any(b[0] is None for b in broken):  # row numbers are only known single-threaded
                table, broken = _read_csv_table(path, enc, wanted, threads=False, delimiter=delimiter)
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
    if blank is not None and any_true(blank):
        keep = pc.invert(blank)
        columns = {i: arr.filter(keep) for i, arr in columns.items()}
        rows = rows[~as_numpy_bool(blank)]
    broken_rows = [
        (int(num), R_FIELDS.format(expected=exp, actual=act), text)
        for num, exp, act, text in sorted(broken, key=lambda b: b[0]) if text is not None
    ]
    return RawColumns(headers, columns, rows, broken_rows, rows_read=len(rows) + len(broken_rows))


def read_sheet(path: str | Path, sheet: str | None = None, nrows: int | None = None) -> list[list[Any]]:
    """Every cell of the sheet named ``sheet`` (the first sheet when absent or not found), as
    calamine gives them (str, float, int, bool, datetime, None)."""
    from python_calamine import CalamineWorkbook

    try:
        with open(path, "rb") as fh:  # by content, not by name: an XLSX saved as .xls still opens
            wb = CalamineWorkbook.from_filelike(fh)
            names = list(wb.sheet_names)
            ws = wb.get_sheet_by_name(sheet) if sheet and sheet in names else wb.get_sheet_by_index(0)
            return ws.to_python(skip_empty_area=False, nrows=nrows)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputError(f"cannot read spreadsheet ({type(exc).__name__}: {exc})", file=path) from exc


def _empty(row: list) -> bool:
    return row.count("") + row.count(None) == len(row)


def read_excel_columns(path: Path, wanted_for: Callable[[list[str]], list[int]],
                       kind_of: Callable[[int], str]) -> RawColumns:
    """The columns ``wanted_for(headers)`` of a workbook's first sheet as text (numbers and dates
    written as :func:`~returns_kit.io.cells.excel_cell` shows them, by each column's kind)."""
    grid = read_sheet(path)
    start = next((i for i, r in enumerate(grid) if not _empty(r)), None)
    if start is None:
        raise InputError("the first sheet is empty", file=path)
    headers = ["" if h is None else str(h) for h in grid[start]]
    wanted = wanted_for(headers)
    width = max(len(r) for r in grid)
    data_idx = [i for i in range(start + 1, len(grid)) if not _empty(grid[i])]
    data = [grid[i] for i in data_idx]
    if any(len(r) < width for r in data):
        data = [r + [None] * (width - len(r)) for r in data]
    columns = {}
    for j in wanted:
        kind = kind_of(j)
        columns[j] = pa.array(
            [v if type(v) is str else excel_cell(v, kind) for v in (r[j] for r in data)],
            type=pa.string(),
        )
    rows = np.asarray(data_idx, dtype=np.int64) + 1
    return RawColumns(headers, columns, rows, [], rows_read=len(data))


def read_rows(path: str | Path, sheet: str | None = None, nrows: int | None = None) -> list[list[Any]]:
    """A small file as rows of cells: a workbook through :func:`read_sheet`, anything else as a
    CSV (UTF-8 or GB18030)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot open file ({exc.strerror or exc})", file=path) from exc
    if is_spreadsheet(data[:8]):
        return read_sheet(path, sheet, nrows)
    try:
        rows = list(csv.reader(_stdio.StringIO(decode_text(data, path), newline="")))
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV ({exc})", file=path) from exc
    return rows[:nrows] if nrows else rows
