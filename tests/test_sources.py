"""Source profiles, the 罗盘 退款分析 loader, third-party tables and the kit-vs-罗盘 reconciliation.

Small hand-built files with exact expected values; the last tests read the rendered sample report.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from returns_kit import sample, sources
from returns_kit.chapters import ch2_source_comparison
from returns_kit.chapters.context import Context, build_context
from returns_kit.core.jsonable import jsonable
from returns_kit.io import Dataset
from tiny_month import canonical
from returns_kit.errors import ExportFormatError, InputError

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf"
T = pd.Timestamp
NAN = float("nan")

HEAD = ["日期", "退款口径", "售卖类型", "载体"]
ALL = [f"全部退款阶段-{m}" for m in ("退款人数", "退款订单数", "退款金额", "退款率")]
PRE = [f"发货前退款阶段-{m}" for m in ("退款人数", "退款订单数", "退款金额", "退款率")]


def write_xlsx(path: Path, rows: list[list], sheet: str = "本店数据") -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, wb.add_format({"num_format": "yyyy-mm-dd"}))
            else:
                ws.write_number(r, c, v)
    wb.close()
    return path


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8-sig")
    return path


def luopan_file(folder: Path, name: str = "抖音电商罗盘-退款分析-2026_11_10.xlsx") -> Path:
    return write_xlsx(folder / name, [
        HEAD + ALL + PRE,
        ["2026/10/02", "订单支付时间", "全部", "全部", 3, 2, "¥1,234.50", "12.3%", "1", "1", "¥100.00", "1.0%"],
        ["2026/10/01", "订单支付时间", "全部", "全部"] + ["暂无数据"] * 8,
        ["暂无数据"],
    ])


# --------------------------------------------------------------------------------------------
# cells
# --------------------------------------------------------------------------------------------


def test_convert_types():
    c = sources.convert
    assert c("¥1,234.50", "money") == 1234.5
    assert c("￥ 88元", "money") == 88.0 and c("1.2万", "money") == 12000.0 and c(5, "money") == 5.0
    assert c("12.3%", "percent") == pytest.approx(0.123)
    assert c(0.25, "percent") == 0.25 and c("15", "percent") == 0.15
    assert c("1,234", "count") == 1234 and c(7.0, "count") == 7
    assert c("\t3473196049974326153", "id") == "3473196049974326153"
    assert c('="123"', "id") == "123" and c(42.0, "id") == "42"
    for text in ("2026/05/13", "2026-05-13", "2026.5.13", "20260513", "2026年5月13日", "2026-05-13 08:00:00"):
        assert c(text, "date") == T("2026-05-13"), text
    assert c(dt.datetime(2026, 5, 13, 9, 30), "date") == T("2026-05-13")
    assert c(46155.0, "date") == T("2026-05-13")  # Excel serial day
    for empty in ("暂无数据", "-", "--", "", None, "  "):
        assert c(empty, "money") is None
    assert c(" 全部 ", "text") == "全部"


def test_convert_names_file_row_and_column():
    with pytest.raises(InputError, match=r"file x.xlsx, row 3, column 价格: cannot read 'abc' as money"):
        sources.convert("abc", "money", file="x.xlsx", row=3, column="价格")
    with pytest.raises(InputError, match="as count"):
        sources.convert("1.5", "count")
    with pytest.raises(InputError, match="as date"):
        sources.convert("昨天", "date")


# --------------------------------------------------------------------------------------------
# profiles
# --------------------------------------------------------------------------------------------


def test_shipped_profiles():
    lp = sources.load_profile("luopan_refund", CONF)
    assert lp.source == "抖音电商罗盘" and lp.sheet == "本店数据" and lp.header_row == 1
    assert [f.name for f in lp.columns] == ["date", "basis", "sale_type", "carrier_type"]
    assert lp.stages == ("全部退款阶段", "发货前退款阶段", "未收货退款阶段", "已收货退款阶段", "已收货退货退款阶段")
    assert [(m.name, m.type) for m in lp.measures] == [
        ("refund_buyers", "count"), ("refund_orders", "count"), ("refund_amount", "money"),
        ("refund_rate", "percent")]
    tp = sources.load_profile("third_party_products", CONF)
    assert {f.name: f.type for f in tp.columns} == {
        "product_name": "text", "product_id": "id", "shop": "text", "category": "text",
        "price": "money", "return_rate": "percent", "as_of": "text", "source": "text"}
    assert sources.profile_names(CONF) == ["luopan_refund", "third_party_products"]


@pytest.fixture()
def conf(tmp_path):
    shutil.copytree(CONF / "base", tmp_path / "conf" / "base")
    (tmp_path / "conf" / "local" / "sources").mkdir(parents=True)
    return tmp_path / "conf"


def test_local_profile_overlays_base(conf):
    (conf / "local" / "sources" / "third_party_products.yml").write_text(
        "own_shop: 我的小店\ncolumns:\n  price: {headers: [券后价], type: money}\n", encoding="utf-8")
    tp = sources.load_profile("third_party_products", conf)
    assert tp.own_shop == ("我的小店",)
    assert next(f for f in tp.columns if f.name == "price").headers == ("券后价",)
    assert next(f for f in tp.columns if f.name == "return_rate").required  # base kept


def test_bad_profiles_name_the_file_and_column(conf):
    (conf / "local" / "sources" / "x.yml").write_text(
        "columns:\n  rate: {headers: [退货率], type: fraction}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x.yml, column rate: unknown type 'fraction'"):
        sources.load_profile("x", conf)
    with pytest.raises(InputError, match=r"nothing.yml: no source profile named 'nothing'"):
        sources.load_profile("nothing", conf)


# --------------------------------------------------------------------------------------------
# 罗盘 退款分析
# --------------------------------------------------------------------------------------------


def test_load_luopan_exact_values_and_no_data(tmp_path):
    luopan_file(tmp_path)
    write_xlsx(tmp_path / "抖音电商罗盘-退款分析-2026_11_11.xlsx", [["暂无数据"]])  # empty download
    out = sources.load_luopan(tmp_path, CONF)
    assert list(out.columns) == sources.LUOPAN_COLUMNS
    assert len(out) == 4
    rows = out.set_index(["date", "stage"])
    r = rows.loc[(T("2026-10-02"), "全部退款阶段")]
    assert (r["basis"], r["sale_type"], r["carrier_type"]) == ("订单支付时间", "全部", "全部")
    assert (r["refund_buyers"], r["refund_orders"], r["refund_amount"]) == (3, 2, 1234.5)
    assert r["refund_rate"] == pytest.approx(0.123)
    assert r["source_file"] == "抖音电商罗盘-退款分析-2026_11_10.xlsx" and r["downloaded"] == T("2026-11-10")
    pre = rows.loc[(T("2026-10-02"), "发货前退款阶段")]
    assert (pre["refund_orders"], pre["refund_amount"], pre["refund_rate"]) == (1, 100.0, 0.01)
    empty_day = rows.loc[(T("2026-10-01"), "全部退款阶段")]
    assert pd.isna(empty_day["refund_orders"]) and math.isnan(empty_day["refund_amount"])
    assert out["stage"].tolist() == ["全部退款阶段", "发货前退款阶段"] * 2  # date, then stage order
    assert str(out["refund_orders"].dtype) == "Int64"


def test_newest_download_wins(tmp_path):
    luopan_file(tmp_path)
    write_xlsx(tmp_path / "抖音电商罗盘-退款分析-2026_11_20.xlsx", [
        HEAD + ALL, ["2026/10/02", "订单支付时间", "全部", "全部", 4, 3, "¥1,300.00", "13%"]])
    out = sources.load_luopan(tmp_path, CONF).set_index(["date", "stage"])
    assert out.loc[(T("2026-10-02"), "全部退款阶段"), "refund_orders"] == 3
    assert out.loc[(T("2026-10-02"), "全部退款阶段"), "downloaded"] == T("2026-11-20")
    assert out.loc[(T("2026-10-02"), "发货前退款阶段"), "refund_orders"] == 1  # only in the old file
    assert len(out) == 4


def test_luopan_recognised_by_headers_and_empty_folder(tmp_path):
    assert list(sources.load_luopan(tmp_path / "missing", CONF).columns) == sources.LUOPAN_COLUMNS
    write_xlsx(tmp_path / "download (3).xlsx", [
        HEAD + ALL, ["2026-10-05", "退款时间", "自营", "商品卡", 1, 1, "¥9.90", "0.5%"]], sheet="Sheet1")
    write_csv(tmp_path / "catalog.csv", "product_id,category\n1,x\n")
    out = sources.load_luopan(tmp_path, CONF)
    assert out[["date", "basis", "sale_type", "carrier_type", "refund_amount"]].values.tolist() == [
        [T("2026-10-05"), "退款时间", "自营", "商品卡", 9.9]]


def test_luopan_missing_columns_name_file_and_columns(tmp_path):
    write_xlsx(tmp_path / "抖音电商罗盘-退款分析-2026_10_05.xlsx", [
        ["日期", "退款口径", "全部退款阶段-退款人数"], ["2026/10/01", "订单支付时间", 1]])
    with pytest.raises(ExportFormatError) as err:
        sources.load_luopan(tmp_path, CONF)
    assert "抖音电商罗盘-退款分析-2026_10_05.xlsx" in str(err.value)
    assert err.value.missing == ["全部退款阶段-退款订单数", "全部退款阶段-退款金额"]


def test_luopan_bad_cell_and_missing_date(tmp_path):
    path = write_xlsx(tmp_path / "抖音电商罗盘-退款分析-2026_10_05.xlsx", [
        HEAD + ALL, ["2026/10/01", "订单支付时间", "全部", "全部", 1, 1, "一百元", "1%"]])
    with pytest.raises(InputError, match=r"退款分析-2026_10_05.xlsx, row 2, column 全部退款阶段-退款金额"):
        sources.load_luopan(tmp_path, CONF)
    write_xlsx(path, [HEAD + ALL, ["2026/10/01", "订单支付时间", "全部", "全部", 1, 1, "¥1", "1%"],
                      [None, "订单支付时间", "全部", "全部", 1, 1, "¥1", "1%"]])
    with pytest.raises(InputError, match=r"row 3, column 日期: a data row without 日期"):
        sources.load_luopan(tmp_path, CONF)


def test_luopan_header_below_a_title_line(tmp_path):
    write_xlsx(tmp_path / "抖音电商罗盘-退款分析-2026_10_05.xlsx", [
        ["退款分析 2026/10/01-2026/10/31"], HEAD + ALL,
        ["2026/10/01", "订单支付时间", "全部", "全部", 2, 2, "¥10.00", "1.00%"]])
    out = sources.load_luopan(tmp_path, CONF)
    assert out["refund_orders"].tolist() == [2]


# --------------------------------------------------------------------------------------------
# third-party tables
# --------------------------------------------------------------------------------------------

TOOL_CSV = ("商品名称,商品ID,店铺名称,类目,价格,近30天销量,退货率,统计周期\n"
            "复古碎花连衣裙,\t3000000000000000001,森屿女装,女装/连衣裙,¥149.00,5230,15.2%,2026-10-01~2026-10-31\n"
            "法式碎花连衣裙,3000000000000000002,我的小店,女装/连衣裙,159,800,34.8%,2026-10-01~2026-10-31\n"
            "置物架,3000000000000000003,家立方,家居/收纳,\"1,079.00\",-,-,2026-10-01~2026-10-31\n")


def test_load_third_party_exact(tmp_path):
    write_csv(tmp_path / "蝉妈妈-商品退货率-2026-10.csv", TOOL_CSV)
    write_csv(tmp_path / "catalog.csv", "product_id,product_name,category,cost_price\n"
                                        "3000000000000000002,法式碎花连衣裙,女装/连衣裙,52\n")
    out = sources.load_third_party(tmp_path, CONF)
    assert list(out.columns) == sources.THIRD_PARTY_COLUMNS
    assert out.iloc[0].tolist() == ["蝉妈妈", "森屿女装", "3000000000000000001", "复古碎花连衣裙",
                                    "女装/连衣裙", 149.0, pytest.approx(0.152), "2026-10-01~2026-10-31", False]
    assert out["is_own"].tolist() == [False, True, False]  # our product by catalog.csv
    assert out["price"].tolist() == [149.0, 159.0, 1079.0]
    assert math.isnan(out.loc[2, "return_rate"])


def test_third_party_by_headers_own_shop_and_file_period(tmp_path, conf):
    (conf / "local" / "sources" / "third_party_products.yml").write_text("own_shop: [我的小店]\n",
                                                                      encoding="utf-8")
    write_csv(tmp_path / "competitors.csv", "商品标题,店铺,退货率\n连衣裙A,我的小店,30%\n连衣裙B,别家,0.12\n")
    write_csv(tmp_path / "飞瓜数据_2026-09.csv", "商品名称,退货率\n半身裙,8%\n")
    out = sources.load_third_party(tmp_path, conf)
    assert out[["source", "shop", "product_name", "return_rate", "as_of", "is_own"]].values.tolist() == [
        ["第三方工具", "我的小店", "连衣裙A", 0.3, None, True],
        ["第三方工具", "别家", "连衣裙B", 0.12, None, False],
        ["飞瓜数据", None, "半身裙", 0.08, "2026-09", False],
    ]


def test_third_party_missing_rate_names_file(tmp_path):
    write_csv(tmp_path / "蝉妈妈-竞品.csv", "商品名称,类目\n裙,女装\n")
    with pytest.raises(ExportFormatError, match=r"蝉妈妈-竞品.csv: not a 第三方商品退货率: missing column\(s\) 退货率"):
        sources.load_third_party(tmp_path, CONF)
    empty = sources.load_third_party(tmp_path / "missing", CONF)
    assert list(empty.columns) == sources.THIRD_PARTY_COLUMNS and len(empty) == 0


def test_inventory(tmp_path):
    luopan_file(tmp_path)
    write_csv(tmp_path / "蝉妈妈-商品退货率-2026-10.csv", TOOL_CSV)
    write_csv(tmp_path / "catalog.csv", "product_id,category\n1,a\n2,b\n")
    write_csv(tmp_path / "notes.csv", "a\n1\n")
    inv = sources.inventory(tmp_path, CONF)
    assert inv[["file", "kind", "source"]].values.tolist() == [
        ["抖音电商罗盘-退款分析-2026_11_10.xlsx", "罗盘退款分析下载", "抖音电商罗盘"],
        ["蝉妈妈-商品退货率-2026-10.csv", "第三方商品退货率", "蝉妈妈"],
        ["catalog.csv", "商品目录", "自备"],
        ["notes.csv", "未识别（没有匹配的来源配置）", "自备"],
    ]
    assert inv["rows"].tolist()[:3] == [2, 3, 2] and pd.isna(inv["rows"].iloc[3])


# --------------------------------------------------------------------------------------------
# the kit's figures on both clocks
# --------------------------------------------------------------------------------------------


def _outcomes():
    return pd.DataFrame({
        "sub_order_id": ["S1", "S2", "S3", "S4", "S5"],
        "order_id": ["O1", "O1", "O2", "O3", "O4"],
        "pay_time": [T("2026-10-01 10:00"), T("2026-10-01 10:00"), T("2026-10-01 23:00"),
                     T("2026-10-02 08:00"), T("2026-09-30 12:00")],
        "refunded": [True, True, False, True, True],
        "refund_amount": [100.0, 50.0, 0.0, 20.0, 40.0],
        "payable_amount": [120.0, 60.0, 30.0, 20.0, 40.0],
    })


def _after_sales():
    return pd.DataFrame({
        "after_sale_id": ["A1", "A2", "A3", "A4", "A5"],
        "sub_order_id": ["S1", "S2", "S4", "S5", "S3"],
        "order_id": ["O1", "O1", "O3", "O4", "O2"],
        "is_refund_success": [True, True, True, True, False],
        "refund_goods_amount": [100.0, 50.0, 20.0, 40.0, 30.0],
        "refund_shipping_amount": [10.0, NAN, 0.0, 5.0, 0.0],
        "merchant_refund_time": [T("2026-10-03 12:00"), pd.NaT, T("2026-11-01 09:00"),
                                 T("2026-10-02 09:00"), pd.NaT],
        "finish_time": [T("2026-10-03 12:05"), T("2026-10-03 13:00"), T("2026-11-01 09:05"),
                        T("2026-10-02 09:05"), T("2026-10-04")],
    })


def test_kit_daily_both_clocks():
    kit = sources.kit_daily(_outcomes(), _after_sales(), "2026-10")
    assert list(kit.columns) == sources.KIT_COLUMNS and len(kit) == 62
    pay = kit[kit["clock"] == "pay_time"].set_index("date")
    assert pay.loc[T("2026-10-01"), ["refund_amount", "refund_shipping", "refund_sub_orders",
                                     "refund_main_orders", "paid_amount"]].tolist() == [150.0, 10.0, 2, 1, 210.0]
    assert pay.loc[T("2026-10-02"), ["refund_amount", "refund_sub_orders", "paid_amount"]].tolist() == [20.0, 1, 20.0]
    assert pay.loc[T("2026-10-03"), ["refund_amount", "refund_sub_orders", "paid_amount"]].tolist() == [0.0, 0, 0.0]
    ref = kit[kit["clock"] == "refund_time"].set_index("date")
    assert ref.loc[T("2026-10-02"), ["refund_amount", "refund_shipping", "refund_sub_orders",
                                     "refund_main_orders"]].tolist() == [40.0, 5.0, 1, 1]
    assert ref.loc[T("2026-10-03"), ["refund_amount", "refund_shipping", "refund_sub_orders",
                                     "refund_main_orders"]].tolist() == [150.0, 10.0, 2, 1]
    assert ref["refund_amount"].sum() == 190.0 and ref["paid_amount"].isna().all()


# --------------------------------------------------------------------------------------------
# reconciliation
# --------------------------------------------------------------------------------------------


def test_likely_reason_rules():
    r = sources.likely_reason
    assert r("refund_amount", 100.0, 110.0, 110.0) == sources.REASON_DEFINITION["refund_amount"]
    assert r("refund_orders", 3, 2, 2) == sources.REASON_DEFINITION["refund_orders"]
    assert r("refund_orders", 3, 3, 3.0) == "一致"
    assert r("refund_amount", 10.0, 10.0, 10.004) == "一致"
    assert r("refund_amount", 10.0, 10.0, NAN) == "罗盘当日暂无数据"
    assert r("refund_amount", 10.0, 10.0, NAN, present=False) == "罗盘下载中没有这一天"
    assert r("refund_amount", 10.0, 10.0, 8.0, timing="earlier") == sources.REASON_EARLIER
    assert r("refund_amount", 10.0, 10.0, 12.0, timing="later") == sources.REASON_LATER
    assert r("refund_amount", 10.0, 10.0, 12.0, timing="earlier") == sources.REASON_OTHER
    assert r("refund_amount", 10.0, 11.0, 8.0, timing="earlier") == (
        "罗盘退款金额含退运费，本工具只计退商品金额；罗盘数据截止早于本工具导出，之后完成的退款尚未计入罗盘")
    assert r("refund_orders", 5, 5, 3, scope="售卖类型自营") == "罗盘下载只含售卖类型自营，范围小于全店"


def _kit():
    kit = sources.kit_daily(_outcomes().iloc[:0], _after_sales().iloc[:0], "2026-10")
    kit = kit.set_index(["clock", "date"])
    kit.loc[("pay_time", T("2026-10-01")), ["refund_amount", "refund_shipping", "refund_sub_orders",
                                             "refund_main_orders"]] = [100.0, 10.0, 3, 2]
    kit.loc[("pay_time", T("2026-10-02")), ["refund_amount", "refund_sub_orders", "refund_main_orders"]] = [200.0, 2, 2]
    kit.loc[("pay_time", T("2026-10-03")), ["refund_amount", "refund_sub_orders", "refund_main_orders"]] = [70.0, 1, 1]
    kit.loc[("pay_time", T("2026-10-04")), ["refund_amount", "refund_sub_orders", "refund_main_orders"]] = [50.0, 1, 1]
    kit.loc[("refund_time", T("2026-10-01")), ["refund_amount", "refund_sub_orders", "refund_main_orders"]] = [100.0, 1, 1]
    kit.loc[("refund_time", T("2026-10-02")), ["refund_amount", "refund_sub_orders", "refund_main_orders"]] = [100.0, 2, 2]
    return kit.reset_index()


def _luopan():
    rows = [
        ("2026-10-01", "订单支付时间", "全部", "全部", 2, 110.0),
        ("2026-10-02", "订单支付时间", "全部", "全部", 1, 150.0),
        ("2026-10-03", "订单支付时间", "全部", "全部", None, NAN),
        ("2026-10-04", "订单支付时间", "全部", "全部", 1, 50.0),
        ("2026-11-01", "订单支付时间", "全部", "全部", 9, 999.0),  # other month
        ("2026-10-01", "退款时间", "自营", "全部", 1, 80.0),
        ("2026-10-02", "退款时间", "全部", "商品卡", 1, 40.0),
        ("2026-10-02", "退款时间", "全部", "短视频", 1, 60.0),
    ]
    frame = pd.DataFrame(rows, columns=["date", "basis", "sale_type", "carrier_type", "refund_orders",
                                        "refund_amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["refund_orders"] = frame["refund_orders"].astype("Int64")
    frame["stage"] = "全部退款阶段"
    frame["downloaded"] = T("2026-11-10")
    frame["source_file"] = "a.xlsx"
    extra = frame.iloc[:1].assign(stage="发货前退款阶段", refund_amount=5.0)  # not compared
    return pd.concat([frame, extra], ignore_index=True)


AS_OF = T("2026-11-20 09:00")


def test_reconcile_daily_exact():
    d = sources.reconcile_daily(_kit(), _luopan(), "2026-10", AS_OF)
    assert list(d.columns) == sources.RECONCILE_COLUMNS
    assert len(d) == 2 * 31 * 2  # two bases × 31 days × two metrics
    idx = d.set_index(["basis", "date", "metric"])

    def row(basis, day, metric):
        return idx.loc[(basis, T(day), metric)]

    r = row("pay_time", "2026-10-01", "refund_amount")
    assert (r["kit"], r["kit_adjusted"], r["luopan"], r["diff"]) == (100.0, 110.0, 110.0, 10.0)
    assert r["diff_pct"] == pytest.approx(0.1)
    assert r["likely_reason"] == "罗盘退款金额含退运费，本工具只计退商品金额"
    r = row("pay_time", "2026-10-01", "refund_orders")
    assert (r["kit"], r["kit_adjusted"], r["luopan"], r["diff"]) == (3, 2, 2, -1)
    assert r["likely_reason"] == "罗盘按主订单计数，本工具按子订单计数（一单多件只算一单）"
    r = row("pay_time", "2026-10-02", "refund_amount")
    assert (r["diff"], r["diff_pct"], r["timing"]) == (-50.0, -0.25, "earlier")
    assert r["likely_reason"] == "罗盘数据截止早于本工具导出，之后完成的退款尚未计入罗盘"
    r = row("pay_time", "2026-10-03", "refund_orders")
    assert math.isnan(r["luopan"]) and math.isnan(r["diff"]) and r["likely_reason"] == "罗盘当日暂无数据"
    assert row("pay_time", "2026-10-04", "refund_amount")["likely_reason"] == "一致"
    r = row("pay_time", "2026-10-05", "refund_amount")
    assert (r["kit"], r["likely_reason"]) == (0.0, "罗盘下载中没有这一天")
    r = row("refund_time", "2026-10-01", "refund_amount")
    assert (r["luopan"], r["diff"], r["scope"]) == (80.0, -20.0, "售卖类型自营")
    assert r["likely_reason"] == "罗盘下载只含售卖类型自营，范围小于全店"
    r = row("refund_time", "2026-10-02", "refund_amount")  # 商品卡 + 短视频 = the whole shop
    assert (r["luopan"], r["scope"], r["likely_reason"]) == (100.0, "", "一致")
    assert row("refund_time", "2026-10-02", "refund_orders")["luopan"] == 2


def test_reconcile_month_exact():
    m = sources.reconcile_month(_kit(), _luopan(), "2026-10", AS_OF)
    assert list(m.columns) == ["basis", "metric", "days", "days_missing", "kit", "kit_adjusted",
                               "luopan", "diff", "diff_pct", "likely_reason"]
    pay = m[m["basis"] == "pay_time"].set_index("metric")
    amount = pay.loc["refund_amount"]
    assert (amount["days"], amount["days_missing"]) == (3, 28)
    assert (amount["kit"], amount["kit_adjusted"], amount["luopan"], amount["diff"]) == (350.0, 360.0, 310.0, -40.0)
    assert amount["diff_pct"] == pytest.approx(-40 / 350)
    assert amount["likely_reason"] == ("罗盘退款金额含退运费，本工具只计退商品金额；罗盘数据截止早于本工具导出，"
                                       "之后完成的退款尚未计入罗盘（两边都不含罗盘缺数据的 28 天）")
    orders = pay.loc["refund_orders"]
    assert (orders["kit"], orders["kit_adjusted"], orders["luopan"], orders["diff"]) == (6, 5, 4, -2)
    ref = m[m["basis"] == "refund_time"].set_index("metric").loc["refund_amount"]
    assert (ref["days"], ref["kit"], ref["luopan"], ref["diff"]) == (2, 200.0, 180.0, -20.0)
    assert ref["likely_reason"].startswith("罗盘下载只含售卖类型自营，范围小于全店")
    assert sources.reconcile_month(_kit(), _luopan().iloc[:0], "2026-10").empty


def test_format_comparison_and_summary():
    m = sources.reconcile_month(_kit(), _luopan(), "2026-10", AS_OF)
    f = sources.format_comparison(m[m["basis"] == "pay_time"])
    assert f.iloc[0][["basis", "metric", "days", "kit", "kit_adjusted", "luopan", "diff", "diff_pct"]].tolist() == [
        "支付时间口径", "退款金额(元)", "3", "¥350.00", "¥360.00", "¥310.00", "−¥40.00", "−11.4%"]
    assert f.iloc[1][["metric", "kit", "luopan", "diff", "diff_pct"]].tolist() == [
        "退款订单数", "6", "4", "−2", "−33.3%"]
    d = sources.reconcile_daily(_kit(), _luopan(), "2026-10", AS_OF)
    fd = sources.format_comparison(d.iloc[:2])
    assert fd[["date", "luopan", "diff", "diff_pct"]].values.tolist() == [
        ["10-01", "¥110.00", "+¥10.00", "+10.0%"], ["10-01", "2", "−1", "−33.3%"]]
    text = sources.summary_zh(m[m["basis"] == "pay_time"], _luopan(), "2026-10", AS_OF)
    assert text.startswith("罗盘下载（a.xlsx）的数据截至 11-09，本工具的导出截至 11-20 09:00。")
    assert "支付时间口径·退款金额(元)：罗盘 ¥310.00，本工具 ¥350.00，差额 −¥40.00，−11.4%（3 天）。" in text
    chart = sources.daily_chart_frame(d)
    assert chart.columns.tolist() == ["date", "kit", "luopan"] and len(chart) == 31


def test_chapter2_section_from_a_luopan_download(tmp_path):
    orders = _outcomes().drop(columns=["refunded", "refund_amount"])
    after_sales = _after_sales().assign(
        reason="多拍 / 错拍 / 不想要", status_group="finished", after_sale_type="return_refund",
        apply_time=T("2026-10-02"))
    data = Dataset.from_frames(canonical("after_sales", after_sales), canonical("orders", orders))
    data.orders["export_time"] = AS_OF
    data.after_sales["export_time"] = AS_OF

    def section():
        ctx = Context.of("2026-10", data, conf_dir=CONF, external_dir=tmp_path)
        return ch2_source_comparison.build(ctx).metrics()["source_comparison"]

    assert section() == {"luopan_files": 0, "third_party_rows": 0, "luopan": []}
    write_xlsx(tmp_path / "抖音电商罗盘-退款分析-2026_11_10.xlsx", [
        HEAD + ALL,
        ["2026/10/01", "订单支付时间", "全部", "全部", 1, 1, "¥155.00", "2%"],
        ["2026/10/02", "订单支付时间", "全部", "全部", "暂无数据", "暂无数据", "暂无数据", "暂无数据"],
    ])
    out = section()
    assert out["luopan_files"] == 1 and out["third_party_rows"] == 0
    assert jsonable(out["luopan"]) == [
        {"basis": "pay_time", "metric": "refund_amount", "days": 1, "days_missing": 30, "kit": 150.0,
         "luopan": 155.0, "diff": 5.0, "diff_pct": pytest.approx(5 / 150),
         "likely_reason": "罗盘退款金额含退运费，本工具只计退商品金额；罗盘数据截止早于本工具导出，"
                          "之后完成的退款尚未计入罗盘（两边都不含罗盘缺数据的 30 天）"},
        {"basis": "pay_time", "metric": "refund_orders", "days": 1, "days_missing": 30, "kit": 2.0,
         "luopan": 1.0, "diff": -1.0, "diff_pct": -0.5,
         "likely_reason": "罗盘按主订单计数，本工具按子订单计数（一单多件只算一单）（两边都不含罗盘缺数据的 30 天）"},
    ]



# --------------------------------------------------------------------------------------------
# the sample data and the rendered report
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_comparison(workspace):
    ctx = build_context("2026-10", raw_dir=workspace / "raw", external_dir=workspace / "external",
                        processed_dir=workspace / "processed", conf_dir=workspace / "conf")
    ch = ch2_source_comparison.build(ctx)
    return ch.daily, ch.monthly, ch.luopan, ctx.outcomes, ctx.data


def test_sample_luopan_differs_from_the_kit_in_explainable_ways(sample_comparison):
    daily, monthly, luopan, outcomes, data = sample_comparison
    plan = sample.planted_for(["2026-09", "2026-10"])["luopan"]
    assert set(luopan["source_file"]) == set(plan["files"])
    assert len(daily) == 62 and set(daily["basis"]) == {"pay_time"}
    no_data = daily[daily["date"] == T(plan["no_data_date"])]
    assert no_data["likely_reason"].tolist() == ["罗盘当日暂无数据"] * 2
    reasons = set(daily["likely_reason"])
    assert {"一致", sources.REASON_DEFINITION["refund_amount"], sources.REASON_DEFINITION["refund_orders"],
            sources.REASON_EARLIER} <= reasons
    assert sources.REASON_OTHER not in "".join(reasons)  # every difference is explained
    m = monthly.set_index("metric")
    assert (m["days"] == 30).all() and (m["days_missing"] == 1).all()
    assert m.loc["refund_orders", "luopan"] < m.loc["refund_orders", "kit_adjusted"] < m.loc["refund_orders", "kit"]
    assert -0.05 < m.loc["refund_amount", "diff_pct"] < 0 and -0.05 < m.loc["refund_orders", "diff_pct"] < 0
    # the kit's pay-time amounts are metrics.refund_clocks' by_pay_time
    clocks = __import__("returns_kit").metrics.refund_clocks(outcomes, data.after_sales, "2026-10")
    kit_amount = daily[daily["metric"] == "refund_amount"]["kit"].to_numpy()
    assert kit_amount.tolist() == clocks["by_pay_time"].tolist()


def _chapter2(html: str) -> str:
    part = html.split("二、数据来源对比")[-1]
    return part.split("三、多维拆解")[0]


def test_report_chapter2_has_the_luopan_comparison(report, sample_comparison):
    _, html, _ = report
    _, monthly, _, _, _ = sample_comparison
    ch2 = _chapter2(html)
    formatted = sources.format_comparison(monthly)
    for _, row in formatted.iterrows():  # the month table: kit and 罗盘 figures and the reasons
        for col in ("kit", "luopan", "diff", "diff_pct"):
            assert f">{row[col]}</td>" in ch2, (row["metric"], col, row[col])
    assert "罗盘当日暂无数据" in ch2 and "罗盘按主订单计数" in ch2 and "罗盘退款金额含退运费" in ch2
    assert sample.planted_for(["2026-09", "2026-10"])["luopan"]["file"] in ch2
    comp = sample.planted_for(["2026-09", "2026-10"])["competitor"]
    assert comp["product_name"] in ch2 and comp["file"] in ch2
    assert "data:image/png;base64" in ch2
