"""Readers: one file → raw text cells.  Nothing here knows what a column means.

* :func:`read_csv_columns` — a (possibly million-row) CSV export into Arrow string columns with
  pyarrow, in the encoding :mod:`.sniff` found (UTF-8 with or without BOM, GB18030, UTF-16);
  rows with the wrong number of fields, and rows of another encoding inside a UTF-8 file, are
  kept aside with their line number; blank lines are no data.
* :func:`read_sheet` — every cell of one sheet of an XLSX/XLS/XLSB/ODS workbook (python-calamine).
* :func:`read_excel_columns` — the export columns of a workbook as Arrow strings, from the sheet
  that holds the export: straight into Arrow by fastexcel when every cell is text (抖店 writes
  its exports so), else through calamine's cell values and :func:`~.cells.excel_cell`.
* :func:`read_rows` — a small file (the analyst's CSV or workbook) as a list of rows.

The header is the first of the first :data:`HEADER_SEARCH_ROWS` rows that the caller's
``wanted_for`` accepts, so a title line above it is no obstacle.  What a file is comes from
:func:`~.sniff.sniff` (its bytes, not its name); a file no reader takes is refused with what it
was recognised as.
"""

from __future__ import annotations

import csv
import io as _stdio
import logging
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import ExportFormatError, InputError
from .cells import any_true, as_numpy_bool, excel_cell
from .sniff import FileType, sniff

__all__ = ["RawColumns", "file_type", "read_csv_columns", "read_sheet", "read_excel_columns", "read_rows",
           "R_FIELDS", "R_ENCODING", "HEADER_SEARCH_ROWS"]

R_FIELDS = "字段数不符：应为 {expected} 个，实际 {actual} 个 (expected {expected} fields, got {actual})"
R_ENCODING = ("不是 UTF-8 编码（这一行像是用 GBK 另存后拼进来的），请把整个文件另存为 UTF-8 "
              "(not UTF-8: this row was saved in another encoding; save the whole file as UTF-8)")
#: how far down a header row is looked for (title lines, notes, blank rows above it)
HEADER_SEARCH_ROWS = 30


@dataclass
class RawColumns:
    """The raw text of the columns asked for, with each data row's line number."""

    headers: list[str]
    #: header position → raw text (only the positions asked for; a CSV's in its reader's blocks)
    columns: dict[int, pa.Array | pa.ChunkedArray]
    rows: np.ndarray  # spreadsheet row number of each data row (header = 1)
    #: (row, reason, text, header position or None) of each row the parser rejected
    broken: list[tuple[int, str, str, int | None]]
    rows_read: int


#: threads for work on a file's columns in Arrow kernels, which run outside the GIL
ARROW_THREADS = max(1, min(8, os.cpu_count() or 1))


def file_type(path: str | Path) -> FileType:
    """:func:`~.sniff.sniff` with a missing or unreadable file as an InputError."""
    try:
        return sniff(path)
    except OSError as exc:
        raise InputError(f"cannot open file ({exc.strerror or exc})", file=path) from exc


def _blank(row: list) -> bool:
    return all(c is None or str(c).strip() == "" for c in row)


def locate_header(rows: list[list[Any]], wanted_for: Callable[[list[str]], list[int]], path: Path
                  ) -> tuple[int, list[str], list[int]]:
    """``(index, headers, wanted)`` of the first non-blank row among the first
    :data:`HEADER_SEARCH_ROWS` that ``wanted_for`` accepts; else the refusal of the row that came
    closest (fewest missing columns, the first of equals)."""
    best: ExportFormatError | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _blank(row):
            continue
        headers = ["" if h is None else str(h) for h in row]
        try:
            return i, headers, wanted_for(headers)
        except ExportFormatError as exc:
            if best is None or len(exc.missing) < len(best.missing):
                best = exc
    if best is None:
        raise InputError("no header row found (the file holds only blank rows)", file=path)
    raise best


#: bytes of a CSV parsed at a time by one thread (4 MiB: the fastest on the benchmark month)
CSV_BLOCK_BYTES = 4 << 20

#: field separators a CSV may use: the comma of 抖店's own exports, then what a European-locale
#: Excel (";") or a "Text (Tab delimited)"/"Unicode text" save ("\t") writes
CSV_DELIMITERS = (",", ";", "\t")


def _delimiter(line: str) -> str:
    """The comma, unless the line holds no comma but several ``;`` or tabs."""
    others = [d for d in CSV_DELIMITERS[1:] if line.count(d) >= 2]
    return "," if "," in line or not others else max(others, key=line.count)


def _csv_layout(head: bytes, encoding: str, path: Path, wanted_for: Callable[[list[str]], list[int]]
                ) -> tuple[int, list[str], list[int], str]:
    """``(skip, headers, wanted, delimiter)``: the header is record ``skip`` (0 = the first line)
    of the first lines of the file; the separator is the header line's."""
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.split("\n", HEADER_SEARCH_ROWS + 1)[:HEADER_SEARCH_ROWS]
    best: ExportFormatError | None = None
    for delimiter in dict.fromkeys(_delimiter(line) for line in lines if line.strip()):
        records: list[list[str]] = []
        reader = csv.reader(_stdio.StringIO("\n".join(lines), newline=""), delimiter=delimiter)
        try:
            records.extend(reader)
        except csv.Error as exc:  # a huge cell further down (csv's field limit): the header is above
            if not records:
                raise InputError(f"cannot read the CSV header: {exc}", file=path) from exc
        try:
            skip, headers, wanted = locate_header(records, wanted_for, path)
        except ExportFormatError as exc:
            if best is None or len(exc.missing) < len(best.missing):
                best = exc
            continue
        return skip, headers, wanted, delimiter
    raise best or InputError("no header row found (the file holds only blank rows)", file=path)


def _all_empty(columns: list[pa.Array]) -> pa.Array | None:
    """Which rows have no value (every cell null or "") in any of ``columns``; None without columns."""
    blank = None
    for arr in columns:
        empty = pc.or_kleene(pc.is_null(arr), pc.equal(arr, ""))
        blank = empty if blank is None else pc.and_kleene(blank, empty)
    return blank


def _read_csv_table(source: Any, encoding: str, wanted: list[int], threads: bool, delimiter: str,
                    skip: int, newlines: bool = True):
    """The CSV as a table of text, and its records that are not: ``broken`` (wrong number of
    fields) and blank lines (kept out of the table, but counted, so every row number is the row
    a person sees in Excel).  Row numbers of either are only known single-threaded (None
    otherwise).  ``newlines``: whether a quoted cell may hold a line break (the reader then cuts
    the file into blocks by following the quotes, at half the speed)."""
    broken: list[Any] = []

    def on_invalid(row: Any) -> str:
        if not (row.text or "").strip(" \t\r\n"):
            broken.append((row.number, None, None, None))  # a blank line: not data, but a row
        else:
            broken.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    names = [f"f{i}" for i in wanted]
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(
            autogenerate_column_names=True,
            encoding="utf8" if encoding == "utf-8" else encoding,
            use_threads=threads,
            block_size=CSV_BLOCK_BYTES,
            skip_rows=skip,
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=newlines, ignore_empty_lines=False,
                                         invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            include_columns=names,
            strings_can_be_null=False,
        ),
    )
    return table, broken


def _read_csv_fast(path: Path, encoding: str, wanted: list[int], delimiter: str, skip: int):
    """:func:`_read_csv_table` on every core, first without following quotes across lines.
    That read is exact when no record is broken: a line break inside a quoted cell splits its
    record into parts with fewer fields than the header's (or fails at a block's end), so a
    file where every record has the header's fields holds no such cell.  Otherwise the file is
    read again following the quotes, and single-threaded when blank lines or broken records
    need their row numbers."""
    try:
        table, broken = _read_csv_table(path, encoding, wanted, True, delimiter, skip, newlines=False)
        if not broken:
            return table, broken
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():  # another encoding: for the caller
            raise
    table, broken = _read_csv_table(path, encoding, wanted, True, delimiter, skip)
    if any(b[0] is None for b in broken):  # row numbers are only known single-threaded
        table, broken = _read_csv_table(path, encoding, wanted, False, delimiter, skip)
    return table, broken


def _read_utf8_with_damage(path: Path, wanted: list[int], delimiter: str, skip: int):
    """A UTF-8 file with bytes that are not UTF-8 (rows of GBK pasted in, a damaged byte): read
    with each such byte as U+FFFD; the rows where one lands in a column read are then
    quarantined (:data:`R_ENCODING`), never decoded by a guess."""
    data = path.read_bytes().decode("utf-8", errors="replace").encode("utf-8")
    return _read_csv_table(pa.BufferReader(data), "utf-8", wanted, threads=False, delimiter=delimiter, skip=skip)


def read_csv_columns(path: Path, wanted_for: Callable[[list[str]], list[int]],
                     encoding: str = "utf-8") -> RawColumns:
    """The columns ``wanted_for(headers)`` of a CSV export in ``encoding``, every cell as text."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise InputError("file is empty", file=path)
    skip, headers, wanted, delimiter = _csv_layout(head, encoding, path, wanted_for)
    # GB18030 is only a fallback for text that UTF-8 cannot decode; once the first MiB holds
    # valid non-ASCII UTF-8, a bad byte further down is damage (rows of another encoding
    # pasted in), quarantined row by row.
    damaged = False
    try:
        table, broken = _read_csv_fast(path, encoding, wanted, delimiter, skip)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if encoding != "utf-8" or "utf8" not in str(exc).lower():
            raise InputError(f"cannot read the file as {encoding} text ({exc})", file=path) from exc
        if head.isascii():  # all of the first MiB is ASCII: the rest is another encoding
            return read_csv_columns(path, wanted_for, encoding="gb18030")
        table, broken = _read_utf8_with_damage(path, wanted, delimiter, skip)
        damaged = True

    # table row 0 is the header line (read as data so that row numbers are physical records)
    n_records = table.num_rows + len(broken)
    numbers = np.arange(skip + 1, skip + n_records + 1, dtype=np.int64)
    if broken:
        numbers = numbers[~np.isin(numbers, np.array([b[0] for b in broken], dtype=np.int64))]
    rows = numbers[1:]
    # each column stays in the reader's blocks: joining them would copy the whole file into new
    # memory (about a second of page faults at the export limit), and every step after reads blocks
    columns = {i: table.column(f"f{i}").slice(1) for i in wanted}
    del table
    # rows whose cells are all empty (",,,,," lines that Excel leaves at the end) are not data
    blank = _all_empty(list(columns.values()))
    if blank is not None and any_true(blank):
        keep = pc.invert(blank)
        columns = {i: arr.filter(keep) for i, arr in columns.items()}
        rows = rows[~as_numpy_bool(blank)]
    broken_rows = [
        (int(num), R_FIELDS.format(expected=exp, actual=act), text, None)
        for num, exp, act, text in sorted(broken, key=lambda b: b[0]) if text is not None
    ]
    if damaged:
        columns, rows, bad = _split_damaged(columns, rows, headers)
        broken_rows = sorted(broken_rows + bad, key=lambda b: b[0])
    return RawColumns(headers, columns, rows, broken_rows, rows_read=len(rows) + len(broken_rows))


def _split_damaged(columns: dict[int, pa.Array], rows: np.ndarray, headers: list[str]
                   ) -> tuple[dict[int, pa.Array], np.ndarray, list[tuple[int, str, str, int | None]]]:
    """The rows with U+FFFD (an undecodable byte) in a column read, as broken rows naming the
    first such column."""
    first: np.ndarray = np.full(len(rows), -1, dtype=np.int64)
    for i, arr in columns.items():
        hit = as_numpy_bool(pc.match_substring(arr, "\ufffd"))
        first[(first < 0) & hit] = i
    bad_idx = np.flatnonzero(first >= 0)
    if not len(bad_idx):
        return columns, rows, []
    bad = [(int(rows[k]), f"「{headers[first[k]].strip()}」{R_ENCODING}",
            columns[int(first[k])][int(k)].as_py(), int(first[k])) for k in bad_idx]
    keep = pa.array(first < 0)
    return {i: arr.filter(keep) for i, arr in columns.items()}, rows[first < 0], bad


def _workbook_error(path: Path, exc: Exception) -> InputError:
    """What went wrong opening a workbook, in words: a password, or damage."""
    try:
        encrypted = "EncryptedPackage".encode("utf-16-le") in Path(path).read_bytes()
    except OSError:
        encrypted = False
    if encrypted:
        return InputError("this is a password-protected workbook, which cannot be read: remove the password "
                          "(文件 → 信息 → 保护工作簿) and save it again", file=path)
    return InputError(f"the workbook cannot be read, it looks damaged ({type(exc).__name__}: {exc}): "
                      "export it again from 抖店", file=path)


def _open_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        with open(path, "rb") as fh:  # by content, not by name: an XLSX saved as .xls still opens
            return CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise _workbook_error(path, exc) from exc


def _sheet_rows(path: Path, wb: Any, index: int, nrows: int | None = None) -> list[list[Any]]:
    try:
        return wb.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=nrows)
    except Exception as exc:
        raise _workbook_error(path, exc) from exc


def read_sheet(path: str | Path, sheet: str | None = None, nrows: int | None = None) -> list[list[Any]]:
    """Every cell of the sheet named ``sheet`` (the first sheet when absent or not found), as
    calamine gives them (str, float, int, bool, datetime, None)."""
    path = Path(path)
    wb = _open_workbook(path)
    names = list(wb.sheet_names)
    return _sheet_rows(path, wb, names.index(sheet) if sheet in names else 0, nrows)


# fastexcel says so (a warning on stderr) for a column without a cell, which :func:`_text_grid`
# reads as text; the kit never relies on its guess
logging.getLogger("fastexcel.types.dtype").addFilter(lambda record: "falling back to string" not in record.getMessage())


@dataclass
class TextGrid:
    """A sheet whose every cell with a value holds text, as Arrow string columns from cell A1:
    item ``i`` of column ``j`` is the cell of the sheet's row ``i + 1``, column ``j + 1``; an empty
    cell is null."""

    columns: list[pa.Array]

    def head(self, n: int) -> list[list[Any]]:
        """The first ``n`` rows as lists (None for an empty cell)."""
        return [list(row) for row in zip(*(c.slice(0, n).to_pylist() for c in self.columns))]


#: a cell of an XLSX sheet's XML holding a value that is not text (a number, date or boolean:
#: no ``t="s"``, ``"str"``, ``"inlineStr"`` or ``"e"``), formula or not
_NON_TEXT_CELL = re.compile(
    rb'<c\b(?![^>]*\bt="(?:s|str|inlineStr|e)")[^>]*[^/]>\s*(?:<f\b[^>]*(?:/>|>.*?</f>)\s*)?<v>', re.S)


def _sheet_xml_head(path: Path, index: int, size: int = 1 << 18) -> bytes | None:
    """The first ``size`` bytes of sheet ``index``'s XML when ``path`` is an XLSX/XLSM (its
    first few hundred rows), else None: another format, or a part not where the workbook says."""
    try:
        with zipfile.ZipFile(path) as z:
            ids = re.findall(rb'<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"', z.read("xl/workbook.xml"))
            targets = {}
            for tag in re.findall(rb"<Relationship\b[^>]*>", z.read("xl/_rels/workbook.xml.rels")):
                rid, target = re.search(rb'\bId="([^"]+)"', tag), re.search(rb'\bTarget="([^"]+)"', tag)
                if rid and target:
                    targets[rid.group(1)] = target.group(1).decode()
            target = targets[ids[index]]
            with z.open(target.lstrip("/") if target.startswith("/") else "xl/" + target) as fh:
                return fh.read(size)
    except (zipfile.BadZipFile, KeyError, IndexError, OSError, UnicodeDecodeError):
        return None


def _text_grid(path: Path, index: int) -> TextGrid | None:
    """Sheet ``index`` as a :class:`TextGrid`, read by fastexcel (calamine straight into Arrow,
    about twice as fast as building calamine's Python values), when every cell with a value holds
    text; None when any column holds a number, date or boolean (or fastexcel cannot read the
    file), so that the caller reads calamine's values and writes them as text by the kit's own
    rule, :func:`~.cells.excel_cell`: which of the two reads a sheet changes no cell.  A number
    cell in the first rows of an XLSX's XML sends the sheet that way before fastexcel parses it."""
    import fastexcel

    head = _sheet_xml_head(path, index)
    if head is not None and _NON_TEXT_CELL.search(head):  # calamine's way at once, not after a parse
        return None
    try:
        # the path, not its bytes: fastexcel reads the file itself ≈ 0.25 CPU-s faster per
        # 50,000-row workbook; a file whose name lies about its format fails here and goes
        # calamine's way, which looks at its content
        sheet = fastexcel.read_excel(str(path)).load_sheet(
            index, header_row=None, skip_rows=0, dtype_coercion="strict", schema_sample_rows=None)
        infos = sheet.selected_columns
        batch = sheet.to_arrow()
    except Exception:  # a column of several types (strict), or a file for calamine to judge
        return None
    if not infos:
        return None
    first = infos[0].absolute_index  # fastexcel leaves out the empty columns on the left
    if [c.absolute_index for c in infos] != list(range(first, first + len(infos))):
        return None
    if any(t not in (pa.string(), pa.large_string(), pa.string_view()) for t in batch.schema.types):
        return None
    n = batch.num_rows
    return TextGrid([pa.nulls(n, pa.string())] * first + [c.cast(pa.string()) for c in batch.columns])


def _text_columns(grid: TextGrid, start: int, headers: list[str], wanted: list[int]) -> RawColumns:
    """:func:`read_excel_columns` of a :class:`TextGrid` whose header is row ``start``."""
    data = [c.slice(start + 1) for c in grid.columns]
    keep = pc.invert(_all_empty(data))
    rows = np.flatnonzero(as_numpy_bool(keep)) + start + 2
    columns = {j: data[j].filter(keep).fill_null("") for j in wanted}
    return RawColumns(headers, columns, rows.astype(np.int64), [], rows_read=len(rows))


def _empty(row: list) -> bool:
    """No value in the row (the fast test for a million data rows; a header is :func:`_blank`)."""
    return row.count("") + row.count(None) == len(row)


Grid = list[list[Any]] | TextGrid


def _full_grid(path: Path, wb: Any, index: int) -> Grid:
    """Every cell of sheet ``index``: a :class:`TextGrid` when every cell is text, else calamine's rows."""
    return _text_grid(path, index) or _sheet_rows(path, wb, index)


def _export_sheet(path: Path, wanted_for: Callable[[list[str]], list[int]]
                  ) -> tuple[Grid, int, list[str], list[int]]:
    """``(grid, header index, headers, wanted)`` of the one sheet holding an export: the first
    sheet as 抖店 writes it, or the only other sheet with an export header (a notes sheet added in
    front).  Two sheets with exports → InputError: which one is meant is not for the kit to guess."""
    wb = _open_workbook(path)
    names = list(wb.sheet_names)
    found: list[tuple[int, Grid, int, list[str], list[int]]] = []
    best: ExportFormatError | None = None
    for index in range(len(names)):
        grid = _full_grid(path, wb, index) if index == 0 else _sheet_rows(path, wb, index, HEADER_SEARCH_ROWS)
        head = grid.head(HEADER_SEARCH_ROWS) if isinstance(grid, TextGrid) else grid
        try:
            found.append((index, grid, *locate_header(head, wanted_for, path)))
        except ExportFormatError as exc:
            if best is None or len(exc.missing) < len(best.missing):
                best = exc
        except InputError:
            continue  # an empty sheet
    if not found:
        if best is not None:
            raise best
        raise InputError("every sheet of the workbook is empty", file=path)
    if len(found) > 1:
        raise InputError(f"sheets {', '.join(repr(names[f[0]]) for f in found)} each hold an export; which one "
                         "to read is not for the kit to guess: save each sheet as a file of its own", file=path)
    index, grid, start, headers, wanted = found[0]
    if index:
        grid = _full_grid(path, wb, index)
        wanted_for(headers)  # the state of the sheet that is read
    return grid, start, headers, wanted


def read_excel_columns(path: Path, wanted_for: Callable[[list[str]], list[int]],
                       kind_of: Callable[[int], str]) -> RawColumns:
    """The columns ``wanted_for(headers)`` of a workbook's export sheet as text (numbers and
    dates written as :func:`~returns_kit.io.cells.excel_cell` shows them, by each column's kind);
    row numbers are the sheet's (a title row above the header counts)."""
    grid, start, headers, wanted = _export_sheet(path, wanted_for)
    if isinstance(grid, TextGrid):
        return _text_columns(grid, start, headers, wanted)
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
    """A small file as rows of cells: a workbook through :func:`read_sheet`, text as a CSV (in
    the encoding sniffed, with its separator); anything else → InputError saying what it is."""
    path = Path(path)
    kind = file_type(path)
    if kind.reader is None:
        raise InputError(kind.refusal(), file=path)
    if kind.reader == "workbook":
        return read_sheet(path, sheet, nrows)
    encoding = "utf-8-sig" if kind.encoding == "utf-8" else str(kind.encoding)
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the file as {kind.encoding} text ({exc})", file=path) from exc
    first = next((line for line in text.split("\n") if line.strip()), "")
    try:
        rows = list(csv.reader(_stdio.StringIO(text, newline=""), delimiter=_delimiter(first)))
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV ({exc})", file=path) from exc
    return rows[:nrows] if nrows else rows
