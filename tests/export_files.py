"""Small hand-made 抖店 exports for the loader's tests (test_io) and the bad-input corpus:
the real headers, one row per call, written as CSV, XLSX or ODS."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import xlsxwriter

AS_HEADERS = ["售后单号", "订单号", "商品单号", "商品名称", "商品ID", "售后类型", "退商品金额（元）",
              "售后状态", "售后申请时间", "售后原因", "售后完结时间", "商家退货联系人姓名", "操作人"]

ORDER_HEADERS = ["主订单编号", "子订单编号", "选购商品", "商品ID", "商品数量", "商品金额", "支付完成时间",
                 "订单状态", "订单应付金额", "商家优惠", "收件人", "收件人手机号", "省", "市", "区",
                 "街道", "详细地址", "快递信息"]


def as_row(after_sale_id="\t6986853269519810849", status="同意退款，退款成功", *, type_="退货退款",
           amount="59.90", apply="2026-10-03 10:00:00", sub_order="\t4821845786203981634",
           reason="不喜欢 / 效果不好", finish="-"):
    return [after_sale_id, "\t4821845786203981633", sub_order, "法式碎花连衣裙", "\t3473196049974326153",
            type_, amount, status, apply, reason, finish, "张**", "客服小王"]


def order_row(sub="\t4821845786203981634", *, order="\t4821845786203981633", qty="1",
              price="59.90", pay="2026-10-01 12:00:00", status="已完成", payable="59.90",
              merchant_discount="店铺券-5.00", name="王**", phone="138****1234",
              logistics="SF0220481613112-顺丰速运,法式碎花连衣裙 M"):
    return [order, sub, "法式碎花连衣裙 M", "\t3473196049974326153", qty, price, pay, status, payable,
            merchant_discount, name, phone, "浙江省", "杭州市", "西湖区", "文新街道", "文一西路**号",
            logistics]


def write_csv(path: Path, headers, rows, encoding="utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, headers, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            elif v is None:
                pass
            else:
                ws.write_string(r, c, v)
    wb.close()
    return path


def write_ods(path: Path, headers, rows) -> Path:
    """A minimal OpenDocument spreadsheet (what WPS/LibreOffice save), every cell text."""
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'
        for v in r) + "</table:table-row>" for r in [headers, *rows])
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{body}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return path


def _record(kind: int, payload: bytes = b"") -> bytes:
    """One BIFF12 record: its type and size as 7-bit varints, then the payload (MS-XLSB 2.1.4)."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)
    return varint(kind) + varint(len(payload)) + payload


def _wide(text: str) -> bytes:
    import struct

    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def write_xlsb(path: Path, headers, rows) -> Path:
    """A minimal Excel binary workbook (.xlsb): one sheet, every cell an inline string (BrtCellSt).
    No library writes XLSB, so the few records a reader needs are written by hand."""
    import struct
    import zipfile

    grid = [headers, *rows]
    sheet = _record(0x81) + _record(0x94, struct.pack("<IIII", 0, len(grid) - 1, 0, max(map(len, grid)) - 1))
    sheet += _record(0x91)
    for r, row in enumerate(grid):
        sheet += _record(0x00, struct.pack("<IIHHBBI", r, 0, 300, 0, 0, 0, 0))
        for c, v in enumerate(row):
            if v is not None and v != "":
                sheet += _record(0x06, struct.pack("<II", c, 0) + _wide(str(v)))
    sheet += _record(0x92) + _record(0x82)
    book = (_record(0x83) + _record(0x8F) + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("Sheet1"))
            + _record(0x90) + _record(0x84))
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
             'macroEnabled.main"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Override PartName="/xl/worksheets/sheet1.bin" '
             'ContentType="application/vnd.ms-excel.worksheet"/></Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                 'Target="xl/workbook.bin"/></Relationships>')
    book_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                 'Target="worksheets/sheet1.bin"/></Relationships>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/_rels/workbook.bin.rels", book_rels)
        z.writestr("xl/worksheets/sheet1.bin", sheet)
    return path
