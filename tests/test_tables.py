"""tables.xlsx: every table of the report, one sheet each — IDs as text, percentages as numbers,
nothing Excel would run as a formula."""

import json
import re
import zipfile

import nbformat
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from returns_kit import display
from returns_kit.core.files import safe_cell, safe_texts
from returns_kit.report.tables import collect_tables, write_tables

FRAME = pd.DataFrame({
    "product_id": ["3625128703979325582", "3126097887411636468"],
    "product_name": ["法式碎花连衣裙", "=HYPERLINK(\"http://evil.example\",\"点我\")"],
    "paid_sub_orders": [304, 340], "refund_rate": [0.351974, 0.25], "refund_amount": [1234.5, 99.0],
    "buyer_note": ["+cmd|' /C calc'!A0", "@SUM(1+1)"], "low_volume": [False, True],
})


def _executed(tmp_path, name="03_breakdown.ipynb"):
    table = display.table(FRAME, columns=["product_name", "paid_sub_orders", "refund_rate", "refund_amount",
                                          "buyer_note", "low_volume"])
    bundle = table._repr_mimebundle_()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 三、多维拆解"),
        nbformat.v4.new_markdown_cell('<a id="rk-products"></a>\n\n## 商品：高退商品 TOP20\n\n说明'),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", data=bundle)]),
        nbformat.v4.new_code_cell("y", outputs=[nbformat.v4.new_output("display_data", data=bundle)]),
        nbformat.v4.new_code_cell("ch.emit()", outputs=[nbformat.v4.new_output("display_data", data={
            display.TABLE_MIME: json.dumps({**display.table_data(FRAME, ["product_id", "refund_rate"], "退款子订单",
                                                                  extra_ids=False), "drilldown": True}),
            "text/plain": "tables.xlsx 明细"})]),
    ]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_table_data_keeps_every_row_and_puts_ids_first():
    data = display.table_data(FRAME.head(2), ["product_name", "refund_rate"])
    assert [c["key"] for c in data["columns"]] == ["product_id", "product_name", "refund_rate"]
    assert [c["kind"] for c in data["columns"]] == ["id", "text", "percent"]
    assert data["columns"][2]["label"] == "退款率"
    assert data["rows"][0] == ["3625128703979325582", "法式碎花连衣裙", 0.351974]
    html = display.table(FRAME, max_rows=1)._repr_mimebundle_()
    assert "共 2 行，仅显示前 1 行" in html["text/html"]
    assert len(json.loads(html[display.TABLE_MIME])["rows"]) == 2  # the workbook gets every row


def test_sheets_are_named_after_chapter_and_heading(tmp_path):
    tables = collect_tables([_executed(tmp_path)])
    assert [t.sheet for t in tables] == ["3 商品：高退商品 TOP20", "3 商品：高退商品 TOP20 (2)", "3 明细 退款子订单"]
    assert [t.drilldown for t in tables] == [False, False, True]


def test_safe_cell_neutralises_formula_starts():
    for text in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("法式碎花连衣裙") == "法式碎花连衣裙" and safe_cell("−1.4 个百分点") == "−1.4 个百分点"


@given(st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["=A1", "+1", "-", "@x", "\t", "\r", "'"])),
                max_size=30))
def test_safe_texts_is_safe_cell_of_every_text(texts):
    out = safe_texts(pa.array(texts, type=pa.string())).to_pylist()
    assert out == [None if t is None else safe_cell(t) for t in texts]


def _sheet_xml(path, index):
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8"), z.read("xl/styles.xml").decode("utf-8")


def _cell_format(xml, styles, ref, kind=None):
    """The number format of cell ``ref`` (asserting its type attribute ``t``)."""
    cell = re.search(rf'<c r="{ref}" s="(\d+)"( t="(\w+)")?>', xml)
    assert cell and cell.group(3) == kind, cell
    xf = re.findall(r'<xf numFmtId="(\d+)"', styles.split("<cellXfs")[1])[int(cell.group(1))]
    return dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]+)"', styles)).get(xf, xf)


def test_workbook_types_and_no_formulas(tmp_path):
    tables = collect_tables([_executed(tmp_path)])
    out = write_tables(tmp_path / "tables.xlsx", tables, "抖店退货分析月报 2026-10")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["目录", "3 商品：高退商品 TOP20", "3 商品：高退商品 TOP20 (2)", "3 明细 退款子订单"]
    rows = book.get_sheet_by_name("3 商品：高退商品 TOP20").to_python()
    assert rows[0] == ["商品ID", "商品名称", "支付子订单数", "退款率", "退款金额(元)", "用户售后说明", "样本不足"]
    first, second = rows[1], rows[2]
    assert first[0] == "3625128703979325582"  # the ID is text: all 19 digits
    assert first[2] == 304 and first[3] == pytest.approx(0.351974) and first[4] == 1234.5
    assert second[1] == "'=HYPERLINK(\"http://evil.example\",\"点我\")"  # stored as text, neutralised
    assert first[5] == "'+cmd|' /C calc'!A0" and second[5] == "'@SUM(1+1)"
    assert first[6] == "否" and second[6] == "是"
    for index in range(1, 5):
        xml, styles = _sheet_xml(out, index)
        assert "<f>" not in xml and "<f " not in xml  # not a single formula cell
    xml, styles = _sheet_xml(out, 2)
    assert _cell_format(xml, styles, "A2", "inlineStr") == "@"  # the ID cell is a string, formatted as text
    assert _cell_format(xml, styles, "D2") == "0.0%" and _cell_format(xml, styles, "E2") == "#,##0.00"
    assert '<pane ySplit="1" topLeftCell="A2"' in xml and '<autoFilter ref="A1:G3"/>' in xml
    toc = book.get_sheet_by_name("目录").to_python()
    assert toc[0][0] == "抖店退货分析月报 2026-10" and toc[3][:2] == ["3 商品：高退商品 TOP20", 3]


def test_a_workbook_of_the_same_tables_is_read_back_not_written_again(tmp_path, monkeypatch):
    from returns_kit.report import tables as tables_module

    executed = [_executed(tmp_path)]
    first = tables_module.build_workbook(executed, tmp_path / "a.xlsx", "月报", keep_in=tmp_path / "cache")
    assert CalamineWorkbook.from_path(str(first)).sheet_names[1] == "3 商品：高退商品 TOP20"
    written = []
    real = tables_module._workbook
    monkeypatch.setattr(tables_module, "_workbook", lambda *a: written.append(1) or real(*a))
    again = tables_module.build_workbook(executed, tmp_path / "b.xlsx", "月报", keep_in=tmp_path / "cache")
    assert again.read_bytes() == first.read_bytes() and written == []
    tables_module.build_workbook(executed, tmp_path / "c.xlsx", "另一个标题", keep_in=tmp_path / "cache")
    assert written == [1]  # another title is another workbook
    changed = _executed(tmp_path, "04_reasons.ipynb")  # the same tables under chapter 4
    tables_module.build_workbook([changed], tmp_path / "d.xlsx", "月报", keep_in=tmp_path / "cache")
    assert written == [1, 1]
    assert CalamineWorkbook.from_path(str(tmp_path / "d.xlsx")).sheet_names[1] == "4 商品：高退商品 TOP20"
    uncached = tables_module.build_workbook(executed, tmp_path / "e.xlsx", "月报")
    assert CalamineWorkbook.from_path(str(uncached)).sheet_names == CalamineWorkbook.from_path(str(first)).sheet_names


def test_table_data_cells_are_what_jsonable_makes_of_them():
    import numpy as np

    from returns_kit.core.jsonable import jsonable

    frame = pd.DataFrame({
        "pay_time": pd.to_datetime(["2026-10-01", "2026-10-01 12:30:05", None], format="mixed"),
        "rate": [1.5, np.nan, np.inf], "flag": [True, False, True],
        "name": pd.array(["a", None, "c"], dtype="string[pyarrow]"), "ids": [["1", "2"], None, np.nan],
        "n": [1, 2, 3], "maybe": pd.array([1, None, 3], dtype="Int64")})
    rows = display.table_data(frame, extra_ids=False)["rows"]
    assert rows == [["2026-10-01", 1.5, True, "a", ["1", "2"], 1, 1],
                    ["2026-10-01 12:30:05", None, False, None, None, 2, None],
                    [None, None, True, "c", None, 3, 3]]
    assert rows == jsonable([list(r) for r in frame.itertuples(index=False)])  # cell by cell, as before
    assert display.table_data(frame, [], extra_ids=False)["rows"] == [[], [], []]
    aware = frame.assign(pay_time=frame["pay_time"].dt.tz_localize("Asia/Shanghai"))
    assert [r[0] for r in display.table_data(aware, ["pay_time"], extra_ids=False)["rows"]] == [
        "2026-10-01", "2026-10-01 12:30:05", None]


def test_a_numeric_column_with_a_text_cell_keeps_each_cell_and_repeated_headers_stay_apart(tmp_path):
    from returns_kit.report.tables import SheetTable

    table = SheetTable(3, "混合", [{"key": "a", "label": "退款率", "kind": "percent"},
                                   {"key": "b", "label": "退款率", "kind": "number"},
                                   {"key": "c", "label": "标签", "kind": "text"}],
                       [[0.25, 3, ["尺码", "=色差"]], ["—", None, True], [None, 7, None]], sheet="3 混合")
    out = write_tables(tmp_path / "t.xlsx", [table], "月报")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("3 混合").to_python()
    assert rows == [["退款率", "退款率 (2)", "标签"], [0.25, 3, "尺码、=色差"], ["—", "", "是"], ["", 7, ""]]
    xml, styles = _sheet_xml(out, 2)
    assert _cell_format(xml, styles, "A2") == "0.0%" and _cell_format(xml, styles, "A3", "inlineStr") == "0.0%"


_texts = st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=30)
_floats = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6).map(float)),
                   max_size=30)


@given(texts=_texts, floats=_floats, ints=st.lists(st.integers(-2**62, 2**62), max_size=30),
       flags=st.lists(st.booleans(), max_size=30))
def test_sheet_columns_at_once_equal_the_cell_by_cell_definition(texts, floats, ints, flags):
    """table_data's columns of text, floats, integers and flags, each converted at once, are the
    cells jsonable gives one by one: the same values and the same Python types (NaN and
    infinities null, missing text null)."""
    columns = [pd.Series(texts, dtype="str"), pd.Series(texts, dtype=pd.ArrowDtype(pa.string())),
               pd.Series(floats, dtype="float64"), pd.Series(ints, dtype="int64"), pd.Series(flags, dtype=bool)]
    for column in columns:
        fast = display._json_column(column)
        slow = [display.jsonable(v) for v in column.tolist()]
        assert fast == slow and [type(v) for v in fast] == [type(v) for v in slow], column.dtype
