"""The bad-input corpus: files as a merchant's folder really holds them, each with the outcome
the kit must give.

Every case is a ``data/raw`` folder: the case's file(s), beside a valid 售后单 and 订单 export
(unless the case is about one of those).  Expected is either

* ``error``: ``ingest`` exits 2 and its one-line message holds every fragment listed (always the
  file's name; the row and column where there is one; what to do), or
* success: the per-file accounting ``(rows_read, rows_kept, duplicates, rejected)`` and the
  quarantine lines ``(file, row, column, reason fragment)``, exactly; ``check`` asserts more on
  the loaded Dataset.

``python tests/bad_inputs.py OUT`` writes the corpus to ``OUT/<case>/raw`` with
``OUT/expected.json`` (to look at the files by hand); ``tests/test_bad_inputs.py`` runs it.
"""

from __future__ import annotations

import gzip
import io as _stdio
import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from export_files import AS_HEADERS, ORDER_HEADERS, as_row, order_row, write_csv, write_ods, write_xlsb, write_xlsx

AS_FILE = "售后单导出-2026-11-05-08-00-00.csv"
ORDER_FILE = "订单导出_20261105_080000.csv"
#: the name every case file has unless it says otherwise: a later export than the base files
CASE = "售后单导出-2026-11-06-09-00-00"
ORDER_CASE = "订单导出_20261106_090000"

SUB = "\t482184578620398163{}"  # sub-orders 4821845786203981630..9 exist in the base orders
AID = "\t70000000000000000{:02d}"


def base_after_sales() -> list[list[str]]:
    return [as_row("\t6986853269519810849", sub_order=SUB.format(4)),
            as_row("\t6986853269519810850", sub_order=SUB.format(5))]


def base_orders() -> list[list[str]]:
    return [order_row(SUB.format(i)) for i in range(10)]


def case_rows(n: int = 3) -> list[list[str]]:
    """``n`` valid after-sale rows of the case file (IDs 7000…01.. on sub-orders …30..)."""
    return [as_row(AID.format(i + 1), sub_order=SUB.format(i)) for i in range(n)]


def csv_text(headers: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    import csv

    buf = _stdio.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def xlsx_sheets(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook of several sheets, every cell as text (rows as given: a title row may come first)."""
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write_string(r, c, str(v))
    wb.close()
    return path


def xlsx_bytes(headers: list[str], rows: list[list]) -> bytes:
    buf = _stdio.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Sheet1")
    for r, row in enumerate([headers, *rows]):
        for c, v in enumerate(row):
            ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in [headers, *rows])
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
            f"<body><table>{cells}</table></body></html>")


Writer = Callable[[Path], None]


@dataclass
class Case:
    name: str
    about: str
    write: Writer  # writes the case's file(s) into the raw folder
    base: tuple[str, ...] = ("after_sales", "orders")
    error: tuple[str, ...] = ()
    accounting: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    quarantine: tuple[tuple[str, int, str, str], ...] = ()
    check: Callable[..., None] | None = None


def _bytes(name: str, data: bytes) -> Writer:
    return lambda raw: (raw / name).write_bytes(data)


def _text(name: str, text: str, encoding: str) -> Writer:
    return _bytes(name, text.encode(encoding))


def _as_csv(rows: list[list[str]], name: str = CASE + ".csv", *, encoding: str = "utf-8-sig",
            headers: list[str] = AS_HEADERS, delimiter: str = ",", before: str = "") -> Writer:
    return _text(name, before + csv_text(headers, rows, delimiter), encoding)


def _ok(rows_read: int, kept: int | None = None, dup: int = 0, rejected: int = 0, name: str = CASE + ".csv"
        ) -> dict[str, tuple[int, int, int, int]]:
    kept = rows_read - dup - rejected if kept is None else kept
    return {name: (rows_read, kept, dup, rejected)}


def _notes(*notes: str) -> list[list[str]]:
    rows = case_rows(len(notes))
    headers = AS_HEADERS + ["用户售后说明"]
    return [headers] + [r + [n] for r, n in zip(rows, notes)]


def _with_note(notes: tuple[str, ...], name: str) -> Writer:
    table = _notes(*notes)
    return _as_csv(table[1:], name, headers=table[0])


def _note_is(index: int, expected: str) -> Callable[..., None]:
    def check(data) -> None:
        got = data.after_sales.set_index("after_sale_id")["buyer_note"][AID.format(index + 1).strip()]
        assert got == expected, (got, expected)
    return check


def _mojibake(text: str) -> str:
    """UTF-8 bytes read as Latin-1 and saved again: what a wrong "open as" leaves."""
    return text.encode("utf-8").decode("latin-1")


def _corrupt_xlsx() -> bytes:
    data = xlsx_bytes(AS_HEADERS, case_rows())
    return data[: len(data) // 2]


def _zip_of_exports() -> bytes:
    buf = _stdio.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("售后单导出-2026-11-06.csv", csv_text(AS_HEADERS, case_rows()))
    return buf.getvalue()


def _two_sheets(raw: Path) -> None:
    xlsx_sheets(raw / (CASE + ".xlsx"), {"售后": [AS_HEADERS, *case_rows(2)],
                                          "售后(副本)": [AS_HEADERS, *case_rows(2)]})


def _sheet_after_notes(raw: Path) -> None:
    xlsx_sheets(raw / (CASE + ".xlsx"), {"说明": [["本文件由店长整理"], ["数据截至 11-06"]],
                                          "Sheet1": [AS_HEADERS, *case_rows(3)]})


def _title_rows_xlsx(raw: Path) -> None:
    xlsx_sheets(raw / (CASE + ".xlsx"), {"Sheet1": [["售后单导出 2026-10"], [], AS_HEADERS, *case_rows(3)]})


def _blank_line_csv(raw: Path) -> None:
    rows = case_rows(3)
    rows[2][6] = "十块"  # row 5 of the file: the blank line counts
    text = csv_text(AS_HEADERS, rows[:2]) + "\r\n" + csv_text(AS_HEADERS, rows[2:]).split("\r\n", 1)[1]
    (raw / (CASE + ".csv")).write_text(text, encoding="utf-8-sig")


def _repeated_header(raw: Path) -> None:
    """Two exports pasted into one file: the second header is a row of text, not data."""
    text = csv_text(AS_HEADERS, case_rows(2)) + csv_text(AS_HEADERS, [as_row(AID.format(9), sub_order=SUB.format(8))])
    (raw / (CASE + ".csv")).write_text(text, encoding="utf-8-sig")


def _quoted_newline(raw: Path) -> None:
    table = _notes("第一行\n第二行", "正常", "also fine")
    table[3][6] = "-5.00"  # row 5: the note of row 2 spans two text lines, one Excel row
    _as_csv(table[1:], headers=table[0])(raw)


def _ragged(raw: Path) -> None:
    rows = case_rows(3)
    rows[1] = rows[1] + ["多出来的", "字段"]
    _as_csv(rows)(raw)


def _cell(row: int, col: int, value: str, n: int = 3) -> list[list[str]]:
    rows = case_rows(n)
    rows[row][col] = value
    return rows


def _order_without(*drop: str) -> Writer:
    headers = [h for h in ORDER_HEADERS if h not in drop]
    rows = [[v for h, v in zip(ORDER_HEADERS, r) if h not in drop] for r in base_orders()]
    return _text(ORDER_CASE + ".csv", csv_text(headers, rows), "utf-8-sig")


def _xlsx_as(name: str) -> Writer:
    return _bytes(name, xlsx_bytes(AS_HEADERS, case_rows()))


def _ods(raw: Path) -> None:
    write_ods(raw / (CASE + ".ods"), AS_HEADERS, case_rows())


def _huge_note(raw: Path) -> None:
    _with_note(("很长" * 100_000, "短"), CASE + ".csv")(raw)


def _overlap(raw: Path) -> None:
    """An earlier export of the same 售后单: the newer base file wins; a status that moved on."""
    old = base_after_sales()
    old[0][7] = "待商家收货"
    write_csv(raw / "售后单导出-2026-11-01-08-00-00.csv", AS_HEADERS, old)


def _duplicates_in_file(raw: Path) -> None:
    rows = case_rows(2)
    _as_csv(rows + [list(rows[1])])(raw)


def _xlsx_dates(raw: Path) -> None:
    import datetime as dt

    rows: list[list] = case_rows(2)
    rows[0][8] = dt.datetime(2026, 10, 3, 10, 0)
    rows[1][8] = dt.datetime(2026, 10, 4, 11, 30, 15)
    write_xlsx(raw / (CASE + ".xlsx"), AS_HEADERS, rows)


def _times(data, expected: list[str]) -> None:
    got = data.after_sales.set_index("after_sale_id")["apply_time"]
    for i, e in enumerate(expected):
        assert str(got[AID.format(i + 1).strip()]) == e, (got, expected)


def _status_is(index: int, status: str) -> Callable[..., None]:
    def check(data) -> None:
        got = data.after_sales.set_index("after_sale_id")["status"][AID.format(index + 1).strip()]
        assert got == status, got
    return check


def _refund_of(after_sale_id: str, amount: float) -> Callable[..., None]:
    def check(data) -> None:
        got = data.after_sales.set_index("after_sale_id")["refund_goods_amount"][after_sale_id]
        assert got == amount, got
    return check


F = CASE + ".csv"
X = CASE + ".xlsx"

CASES: list[Case] = [
    # ---- encodings -----------------------------------------------------------------------
    Case("utf8_bom", "UTF-8 with BOM (抖店's own CSV)", _as_csv(case_rows()), accounting=_ok(3)),
    Case("utf8_no_bom", "UTF-8 without BOM", _as_csv(case_rows(), encoding="utf-8"), accounting=_ok(3)),
    Case("gb18030", "GBK/GB18030 (Excel on a Chinese Windows)", _as_csv(case_rows(), encoding="gb18030"),
         accounting=_ok(3)),
    Case("utf16_le_bom_tabs", "Excel 'Unicode text': UTF-16 LE with BOM, tab-separated, named .csv",
         _as_csv(case_rows(), encoding="utf-16", delimiter="\t"), accounting=_ok(3)),
    Case("utf16_be_bom", "UTF-16 BE with BOM", _text(F, "\ufeff" + csv_text(AS_HEADERS, case_rows(), "\t"), "utf-16-be"),
         accounting=_ok(3)),
    Case("utf16_le_no_bom", "UTF-16 LE without BOM", _as_csv(case_rows(), encoding="utf-16-le", delimiter="\t"),
         accounting=_ok(3)),
    Case("gbk_rows_in_utf8", "a few GBK rows pasted into a UTF-8 file: quarantined by line, the rest read",
         lambda raw: (raw / F).write_bytes(
             csv_text(AS_HEADERS, case_rows(3)).encode("utf-8-sig")
             + csv_text(AS_HEADERS, [as_row(AID.format(7), sub_order=SUB.format(7))]).split("\r\n", 1)[1]
             .replace("法式碎花连衣裙", "羊毛呢大衣").encode("gbk")),
         accounting=_ok(4, rejected=1), quarantine=((F, 5, "product_name", "不是 UTF-8"),)),
    Case("mojibake_headers", "UTF-8 read as Latin-1 and saved again: refused, the headers named",
         _as_csv(case_rows(), headers=[_mojibake(h) for h in AS_HEADERS]),
         error=(F, "not a 抖店 售后单 or 订单 export", "opened as Latin-1/ANSI", "was 售后单号、订单号", "export it again")),
    # ---- disguised formats ---------------------------------------------------------------
    Case("xlsx_named_xls", "a valid XLSX named .xls", _xlsx_as(CASE + ".xls"), accounting=_ok(3, name=CASE + ".xls")),
    Case("xlsx_named_csv", "a valid XLSX named .csv", _xlsx_as(F), accounting=_ok(3)),
    Case("xlsx_named_xlsm", "an XLSX named .xlsm", _xlsx_as(CASE + ".xlsm"), accounting=_ok(3, name=CASE + ".xlsm")),
    Case("csv_named_xlsx", "a CSV named .xlsx", _as_csv(case_rows(), X), accounting=_ok(3, name=X)),
    Case("xlsb", "an Excel binary workbook (.xlsb): read, not skipped by its name",
         lambda raw: write_xlsb(raw / (CASE + ".xlsb"), AS_HEADERS, _cell(1, 6, "abc")),
         accounting=_ok(3, rejected=1, name=CASE + ".xlsb"), quarantine=((CASE + ".xlsb", 3, "refund_goods_amount", "金额"),)),
    Case("xlsb_named_xlsx", "an XLSB saved with an .xlsx name",
         lambda raw: write_xlsb(raw / X, AS_HEADERS, case_rows()), accounting=_ok(3, name=X)),
    Case("ods", "an OpenDocument spreadsheet (WPS/LibreOffice)", _ods, accounting=_ok(3, name=CASE + ".ods")),
    Case("html_named_xlsx", "an HTML table saved as .xlsx: refused, saying it is a web page and what to do",
         _text(X, html_table(AS_HEADERS, case_rows()), "utf-8"), error=(X, "HTML web page", "另存为")),
    Case("html_named_xls", "an HTML table offered as an .xls download (GBK)",
         _text(CASE + ".xls", html_table(AS_HEADERS, case_rows()), "gbk"), error=(CASE + ".xls", "HTML web page")),
    Case("xml_2003", "an Excel 2003 XML spreadsheet",
         _text(CASE + ".xls", '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
               "</Workbook>", "utf-8"), error=(CASE + ".xls", "Excel 2003 XML", "另存为")),
    Case("pdf", "a PDF named .xlsx", _bytes(X, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), error=(X, "a PDF", "export it again")),
    Case("png_screenshot", "a screenshot named .xlsx", _bytes(X, b"\x89PNG\r\n\x1a\n" + bytes(200)),
         error=(X, "PNG image", "export it again")),
    Case("zip_of_csv", "a ZIP of exports named .xlsx: refused, its contents named",
         _bytes(X, _zip_of_exports()), error=(X, "ZIP archive", "售后单导出-2026-11-06.csv", "unzip")),
    Case("truncated_xlsx", "an XLSX cut off half-way (interrupted download)", _bytes(X, _corrupt_xlsx()),
         error=(X, "damaged workbook", "export it again")),
    Case("gzip", "a gzip'd CSV named .csv", _bytes(F, gzip.compress(csv_text(AS_HEADERS, case_rows()).encode())),
         error=(F, "gzip archive", "unpack")),
    Case("empty", "an empty file (0 bytes)", _bytes(F, b""), error=(F, "empty file")),
    Case("blank", "a file of blank space", _bytes(F, b"  \r\n\r\n "), error=(F, "blank space")),
    Case("password", "a password-protected workbook",
         _bytes(X, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le") + bytes(100)),
         error=(X, "password-protected", "remove the password")),
    Case("binary_junk", "random binary named .csv", _bytes(F, bytes(range(256)) * 4), error=(F, "binary file")),
    Case("ole_junk", "an OLE2 header with nothing readable behind it", _bytes(CASE + ".xls", b"\xd0\xcf\x11\xe0" + bytes(600)),
         error=(CASE + ".xls", "damaged", "export it again")),
    # ---- layout variants -------------------------------------------------------------------
    Case("title_row_csv", "a title line above the header (CSV): found, row numbers as in Excel",
         _as_csv(_cell(1, 6, "abc"), before="售后单导出 2026-10\r\n"), accounting=_ok(3, rejected=1),
         quarantine=((F, 4, "refund_goods_amount", "金额"),)),
    Case("title_rows_xlsx", "a title row and a blank row above the header (XLSX)", _title_rows_xlsx,
         accounting=_ok(3, name=X)),
    Case("data_on_second_sheet", "a notes sheet in front; the export on the second sheet", _sheet_after_notes,
         accounting=_ok(3, name=X)),
    Case("two_export_sheets", "two sheets that both hold an export: refused, the sheets named", _two_sheets,
         error=(X, "'售后'", "'售后(副本)'", "save each sheet")),
    Case("semicolon", "a ';'-separated CSV (European-locale Excel)", _as_csv(case_rows(), delimiter=";"),
         accounting=_ok(3)),
    Case("tab_separated", "a tab-separated text saved as .csv", _as_csv(case_rows(), delimiter="\t"), accounting=_ok(3)),
    Case("header_only", "an export with no rows (a quiet day)", _as_csv([]), accounting=_ok(0)),
    Case("blank_line_inside", "a blank line between rows: the bad cell's row is the one Excel shows",
         _blank_line_csv, accounting=_ok(3, rejected=1), quarantine=((F, 5, "refund_goods_amount", "金额"),)),
    Case("repeated_header", "two exports pasted into one file: the second header row is quarantined",
         _repeated_header, accounting=_ok(4, rejected=1), quarantine=((F, 4, "after_sale_id", "重复的表头"),)),
    Case("quoted_newline", "a note with a line break: one Excel row, row numbers after it right", _quoted_newline,
         accounting=_ok(3, rejected=1), quarantine=((F, 4, "refund_goods_amount", "金额为负数"),)),
    Case("ragged_row", "a row with more fields than the header", _ragged, accounting=_ok(3, rejected=1),
         quarantine=((F, 3, "", "字段数不符"),)),
    Case("columns_reordered", "columns in another order, unknown columns added",
         _as_csv([list(reversed(r)) + ["x"] for r in case_rows()], headers=list(reversed(AS_HEADERS)) + ["备注（自加）"]),
         accounting=_ok(3)),
    Case("order_missing_column", "an order export without 商品数量: the column and the kind named",
         _order_without("商品数量"), base=("after_sales", "orders"),
         error=(ORDER_CASE + ".csv", "UTF-8 text (CSV) file", "holds a 订单 export without the column(s) 商品数量", "标准报表")),
    Case("order_missing_ids", "an order export without 子订单编号 and 支付完成时间 is called an order export",
         _order_without("子订单编号", "支付完成时间"), error=(ORDER_CASE + ".csv", "holds a 订单 export without the column(s) 子订单编号, 支付完成时间")),
    Case("unrelated_csv", "a staff list: not an export, its header shown",
         _text("员工名单.csv", "姓名,年龄\r\n张三,30\r\n", "utf-8"),
         error=("员工名单.csv", "not a 抖店 售后单 or 订单 export", "姓名、年龄")),
    Case("office_lock_file", "Excel's ~$ lock file and a README: listed as not read, not fatal",
         lambda raw: ((raw / ("~$" + X)).write_bytes(b"\x00" * 162), (raw / "README.md").write_text("说明")),
         check=lambda data: (data.skipped == ["README.md", "~$" + X]) or (_ for _ in ()).throw(AssertionError(data.skipped))),
    Case("no_orders", "only the 售后单 export: refused, saying the 订单 export is needed", lambda raw: None,
         base=("after_sales",), error=("no 订单 export", "denominators")),
    # ---- broken cells ----------------------------------------------------------------------
    Case("european_money", "1.234,50 is not guessed", _as_csv(_cell(0, 6, "1.234,50")), accounting=_ok(3, rejected=1),
         quarantine=((F, 2, "refund_goods_amount", "金额无法解析"),)),
    Case("ambiguous_thousands", "12,34 is not 1234", _as_csv(_cell(2, 6, "12,34")), accounting=_ok(3, rejected=1),
         quarantine=((F, 4, "refund_goods_amount", "金额无法解析"),)),
    Case("thousands_ok", "1,234.50 is 1234.5", _as_csv(_cell(0, 6, "1,234.50")), accounting=_ok(3),
         check=_refund_of(AID.format(1).strip(), 1234.5)),
    Case("negative_refund", "a negative refund amount", _as_csv(_cell(1, 6, "-59.90")), accounting=_ok(3, rejected=1),
         quarantine=((F, 3, "refund_goods_amount", "金额为负数"),)),
    Case("impossible_time", "25:61:00 does not roll into the next day", _as_csv(_cell(0, 8, "2026-10-31 25:61:00")),
         accounting=_ok(3, rejected=1), quarantine=((F, 2, "apply_time", "时间"),)),
    Case("impossible_date", "2026-02-30", _as_csv(_cell(1, 8, "2026-02-30 10:00:00")), accounting=_ok(3, rejected=1),
         quarantine=((F, 3, "apply_time", "时间"),)),
    Case("scientific_id", "an ID Excel turned into 6.98685E+18", _as_csv(_cell(0, 0, "6.98685E+18")),
         accounting=_ok(3, rejected=1), quarantine=((F, 2, "after_sale_id", "科学计数"),)),
    Case("empty_id", "a row without 售后单号", _as_csv(_cell(2, 0, "")), accounting=_ok(3, rejected=1),
         quarantine=((F, 4, "after_sale_id", ""),)),
    Case("date_only_and_excel_dates", "XLSX date cells read exactly", _xlsx_dates, accounting=_ok(2, name=X),
         check=lambda data: _times(data, ["2026-10-03 10:00:00", "2026-10-04 11:30:15"])),
    Case("formula_note", "a note that starts like a formula is kept exactly (the CSV written is neutralised)",
         _with_note(("=HYPERLINK(\"http://x\",\"点我\")", "+cmd|' /C calc'!A0", "@SUM(1+1)"), F),
         accounting=_ok(3), check=_note_is(0, '=HYPERLINK("http://x","点我")')),
    Case("phone_in_note", "a phone number typed into a note is masked in the loader",
         _with_note(("着急，电话13512345678，快点退", "普通留言", "邮箱 a.b@qq.com"), F), accounting=_ok(3),
         check=lambda data: (_note_is(0, "着急，电话[手机号]，快点退")(data), _note_is(2, "邮箱 [邮箱]")(data))),
    Case("huge_cell", "a 200,000-character note is read, not fatal", _huge_note, accounting=_ok(2)),
    Case("unknown_status", "a status the kit does not know is kept as unknown, not dropped",
         _as_csv(_cell(0, 7, "平台介入中（新状态）")), accounting=_ok(3), check=_status_is(0, "unknown")),
    Case("null_tokens", "'-' and '--' in money are empty, not errors", _as_csv(_cell(0, 6, "--")), accounting=_ok(3)),
    # ---- duplicates and overlaps -------------------------------------------------------------
    Case("duplicate_rows", "the same 售后单 twice in one file: collapsed as a duplicate", _duplicates_in_file,
         accounting=_ok(3, dup=1)),
    Case("overlapping_exports", "an older export of the same 售后单: the newer one wins", _overlap,
         accounting={"售后单导出-2026-11-01-08-00-00.csv": (2, 0, 2, 0)}, check=None),
]


def build(root: Path, cases: list[Case] = CASES) -> dict[str, dict]:
    """Write every case to ``root/<case>/raw``; return the expected outcomes by case."""
    expected = {}
    for case in cases:
        raw = root / case.name / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        write_base(raw, case.base)
        case.write(raw)
        expected[case.name] = {"about": case.about, "error": list(case.error),
                               "accounting": case.accounting, "quarantine": [list(q) for q in case.quarantine]}
    return expected


def write_base(raw: Path, kinds: tuple[str, ...]) -> None:
    if "after_sales" in kinds:
        write_csv(raw / AS_FILE, AS_HEADERS, base_after_sales())
    if "orders" in kinds:
        write_csv(raw / ORDER_FILE, ORDER_HEADERS, base_orders())


if __name__ == "__main__":  # pragma: no cover
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs")
    (out / "expected.json").parent.mkdir(parents=True, exist_ok=True)
    (out / "expected.json").write_text(json.dumps(build(out), ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{len(CASES)} cases → {out}")
