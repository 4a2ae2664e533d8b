"""Chapter 7: the return-cost model on a hand-built month, its parameters, and the sample report."""

import copy
import re
import shutil

import pandas as pd
import pytest

from returns_kit import costs
from returns_kit.errors import InputError
from returns_kit.reasons import load_taxonomy

T = pd.Timestamp
NaT = pd.NaT
TAX = load_taxonomy("conf")

QUALITY = "做工粗糙 / 有瑕疵 / 破损或污渍"  # 质量问题
REGRET = "多拍 / 错拍 / 不想要"  # 主观原因
SIZE = "大小／尺寸／重量与商品描述不符"  # 描述不符

PARAMS = {
    "explicit": {
        "outbound_freight": 4.0,
        "return_freight": {"mode": "merchant", "per_parcel": 10.0,
                           "merchant_share": {"default": 1.0, "主观原因": 0.0}, "insurance_premium": 0.5},
        "packaging": 2.0,
        "payment_fee_rate": 0.01,
        "write_off_rate": {"default": 0.1, "质量问题": 0.5, "描述不符": 0.2},
        "write_off_not_returned": 1.0,
        "default_cost_ratio": 0.35,
    },
    "implicit": {"resale_markdown_rate": 0.3, "annual_capital_rate": 0.365, "default_days_to_refund": 5,
                 "lost_repeat_rate": 0.1, "experience_penalty": 3.0},
    "sensitivity": {"implicit.lost_repeat_rate": [0.0, 0.1], "implicit.experience_penalty": [0.0, 3.0]},
}


def _after_sales():
    rows = [
        # id, sub, product, type, status_group, success, reason, payable, refund, apply, refund time, finish
        ("A1", "S1", "P1", "return_refund", "finished", True, QUALITY, 100.0, 100.0,
         T("2026-10-02"), T("2026-10-12"), T("2026-10-12")),
        ("A2", "S2", "P2", "refund_shipped", "finished", True, REGRET, 50.0, 50.0,
         T("2026-10-03"), T("2026-10-04"), T("2026-10-04")),
        ("A3", "S3", "P2", "refund_unshipped", "finished", True, REGRET, 30.0, 30.0,
         T("2026-10-04"), T("2026-10-04"), T("2026-10-04")),
        ("A4", "S4", "P1", "exchange", "finished", False, SIZE, 160.0, 0.0,
         T("2026-10-05"), NaT, T("2026-10-08")),
        ("A5", "S1", "P1", "return_refund", "closed", False, QUALITY, 100.0, 100.0,  # closed: no cost
         T("2026-10-06"), NaT, NaT),
        ("A6", "S2", "P2", "return_refund", "finished", True, QUALITY, 50.0, 50.0,  # November
         T("2026-11-01"), T("2026-11-03"), T("2026-11-03")),
    ]
    cols = ["after_sale_id", "sub_order_id", "product_id", "after_sale_type", "status_group",
            "is_refund_success", "reason", "payable_amount", "refund_goods_amount", "apply_time",
            "merchant_refund_time", "finish_time"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["product_name"] = frame["product_id"].map({"P1": "置物架", "P2": "连衣裙"})
    frame["refund_shipping_amount"] = 0.0
    return frame


def _orders():
    return pd.DataFrame({
        "sub_order_id": ["S1", "S2", "S3", "S4"],
        "product_id": ["P1", "P2", "P2", "P1"],
        "quantity": [1, 1, 1, 2],
        "payable_amount": [100.0, 50.0, 30.0, 160.0],
        "pay_time": [T("2026-10-01")] * 4,
        "ship_time": [T("2026-10-01"), T("2026-10-02"), NaT, T("2026-10-02")],
    })


CATALOG = pd.DataFrame({"product_id": ["P1"], "product_name": ["置物架"], "category": ["家居/收纳"],
                        "cost_price": [40.0]})


def _lines(params=PARAMS):
    return costs.cost_lines(_after_sales(), _orders(), "2026-10", TAX, params, CATALOG).set_index("after_sale_id")


def test_cost_model_on_a_hand_built_month():
    lines = _lines()
    # A5 was closed, A6 is November: only four after-sales cost money
    assert sorted(lines.index) == ["A1", "A2", "A3", "A4"]
    a1 = lines.loc["A1"]  # 退货退款, 质量问题, cost 40 from the catalog, refunded after 10 days
    assert a1["freight"] == 14.0  # 4 out + 10 back (merchant pays 100%)
    assert a1["packaging"] == 2.0
    assert a1["payment_fee"] == 1.0  # 100 × 1%
    assert a1["write_off"] == 20.0  # 40 × 50%
    assert a1["resale_markdown"] == 15.0  # 100 × (1 − 50%) × 30%
    assert a1["capital"] == 0.4  # 40 × 36.5% × 10 / 365
    assert a1["lost_repeat"] == 6.0  # 10% × (100 − 40)
    assert a1["experience_score"] == 3.0
    assert (a1["explicit"], a1["implicit"], a1["total_cost"]) == (37.0, 24.4, 61.4)
    a2 = lines.loc["A2"]  # 已发货仅退款, 主观原因, no catalog cost → 35% of 50
    assert a2["cost_basis"] == 17.5
    assert (a2["freight"], a2["packaging"], a2["payment_fee"], a2["write_off"]) == (4.0, 2.0, 0.5, 17.5)
    assert (a2["implicit"], a2["total_cost"]) == (0.0, 24.0)
    a3 = lines.loc["A3"]  # 未发货仅退款: only the payment fee
    assert (a3["freight"], a3["packaging"], a3["write_off"], a3["total_cost"]) == (0.0, 0.0, 0.0, 0.3)
    a4 = lines.loc["A4"]  # 换货, 描述不符, quantity 2 → cost 80; no refund time → finish − apply = 3 days
    assert a4["cost_basis"] == 80.0 and a4["days_to_refund"] == 3.0
    assert (a4["freight"], a4["payment_fee"], a4["write_off"]) == (14.0, 0.0, 16.0)
    assert (a4["resale_markdown"], a4["capital"], a4["lost_repeat"], a4["experience_score"]) == (38.4, 0.24, 8.0, 0.0)
    assert (a4["explicit"], a4["implicit"], a4["total_cost"]) == (32.0, 46.64, 78.64)
    assert costs.month_total(lines) == {"after_sales": 4, "explicit": 93.3, "implicit": 71.04, "total": 164.34}


def test_tables_add_up_per_product_category_and_month():
    lines = _lines().reset_index()
    by_product = costs.cost_summary(lines, ["product_id", "product_name"]).set_index("product_id")
    by_category = costs.cost_summary(lines, "category").set_index("category")
    assert by_product.loc["P1", "total_cost"] == 140.04 and by_product.loc["P2", "total_cost"] == 24.3
    assert by_product.loc["P1", "per_after_sale"] == 70.02
    assert by_category.loc["描述不符", "total_cost"] == 78.64
    assert by_category.loc["主观原因", "after_sales"] == 2
    assert by_category["share"].sum() == pytest.approx(1.0)
    by_month = costs.cost_by_month(_after_sales(), _orders(), ["2026-10", "2026-11"], TAX, PARAMS, CATALOG)
    assert by_month.set_index("month").loc["2026-11", "after_sales"] == 1
    check = costs.reconcile(lines, by_product.reset_index(), by_category.reset_index(), by_month, "2026-10")
    assert check["total_cost"].tolist() == [164.34] * 4
    assert check["after_sales"].tolist() == [4] * 4
    comp = costs.cost_components(lines, PARAMS).set_index("component")
    assert comp.loc["货损报废", "amount"] == 53.5  # 20 + 17.5 + 16
    assert comp.loc["合计", "amount"] == 164.34
    assert "¥4.00/件" in comp.loc["往返运费", "assumption"]
    assert "主观原因 0%" in comp.loc["往返运费", "assumption"]


def test_freight_insurance_premium_is_shared_by_the_return_parcels():
    params = costs.set_param(PARAMS, "explicit.return_freight.mode", "insurance")
    lines = _lines(params)
    # 3 shipped paid sub-orders × ¥0.5 = ¥1.50, shared by the 2 parcels that came back (A1, A4)
    assert lines.loc["A1", "freight"] == 4.75 and lines.loc["A4", "freight"] == 4.75
    assert lines.loc["A2", "freight"] == 4.0
    assert "运费险" in costs.assumption_texts(params)["freight"]


def test_sensitivity_recomputes_the_month_for_each_pair():
    table = costs.sensitivity(_after_sales(), _orders(), "2026-10", TAX, PARAMS, CATALOG)
    # lost repeat = 6 + 8, experience = 3 (A1 only)
    assert table.loc[0.1, 3.0] == 164.34
    assert table.loc[0.0, 0.0] == 147.34
    assert table.loc[0.0, 3.0] == 150.34
    assert table.loc[0.1, 0.0] == 161.34
    shown = costs.sensitivity_display(table)
    assert shown.columns[0] == "复购流失概率 ＼ 体验分影响(元/单)"
    assert shown.iloc[1].tolist() == ["10%", "¥161.34", "¥164.34"]


def test_params_are_validated_naming_the_key(tmp_path):
    bad = copy.deepcopy(PARAMS)
    bad["explicit"]["packaging"] = -1
    with pytest.raises(InputError, match="column explicit.packaging"):
        costs.validate_params(bad)
    bad = costs.set_param(PARAMS, "implicit.lost_repeat_rate", 1.5)
    with pytest.raises(InputError, match="lost_repeat_rate is a fraction"):
        costs.validate_params(bad)
    bad = costs.set_param(PARAMS, "explicit.return_freight.mode", "buyer")
    with pytest.raises(InputError, match="merchant or insurance"):
        costs.validate_params(bad)
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    shutil.copy("conf/base/costs.yml", tmp_path / "base" / "costs.yml")
    (tmp_path / "local" / "costs.yml").write_text("implicit: {experience_penalty: 9}\n", encoding="utf-8")
    params = costs.load_params(tmp_path)
    assert params["implicit"]["experience_penalty"] == 9
    assert params["explicit"]["write_off_rate"]["质量问题"] == 0.8  # base value kept
    (tmp_path / "local" / "costs.yml").write_text("explicit: {write_off_rate: {质量问题: 2}}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"costs.yml, column explicit.write_off_rate.质量问题"):
        costs.load_params(tmp_path)


def test_shipped_defaults_load():
    params = costs.load_params("conf")
    assert params["explicit"]["return_freight"]["mode"] == "merchant"
    assert list(params["sensitivity"]) == ["implicit.lost_repeat_rate", "implicit.experience_penalty"]


def test_cost_lines_use_the_catalog_cost_price():
    lines = costs.cost_lines(_after_sales(), _orders(), "2026-10", load_taxonomy("conf"),
                             costs.load_params("conf"), CATALOG)
    total = costs.month_total(lines)
    assert set(total) == {"after_sales", "explicit", "implicit", "total"} and total["after_sales"] == 4
    assert total["total"] == pytest.approx(total["explicit"] + total["implicit"])
    assert all(type(v) in (int, float) for v in total.values())
    p1 = lines[lines["product_id"] == "P1"]
    cost = float(CATALOG["cost_price"].iloc[0])
    assert sorted(p1["cost_basis"]) == [cost, cost * 2]  # A1 (S1, 1 piece), A4 (S4, 2): cost × quantity


def test_refund_totals_by_category_and_product():
    a = pd.DataFrame({
        "after_sale_id": ["A1", "A2", "A3", "A4"],
        "sub_order_id": ["S1", "S2", "S3", "S4"],
        "product_name": ["裙", "裙", "架", "架"],
        "apply_time": [T("2026-10-02"), T("2026-10-03"), T("2026-10-04"), T("2026-11-01")],
        "reason": ["包装／商品破损", "多拍 / 错拍 / 不想要", "包装/商品破损", "功能故障"],
        "is_refund_success": [True, True, False, True],
        "refund_goods_amount": [100.0, 50.5, 30.0, 80.0],
        "refund_shipping_amount": [10.0, None, 0.0, 0.0],
    })
    by_cat = costs.refund_totals(a, "2026-10", TAX).set_index("category")
    assert by_cat.loc["物流问题", "refunds"] == 1  # A3 was not refunded, A4 is November
    assert by_cat.loc["物流问题", "refund_total"] == 110.0
    assert by_cat.loc["主观原因", "refund_total"] == 50.5
    assert by_cat["share"].sum() == pytest.approx(1.0)
    by_product = costs.refund_totals(a, "2026-10", TAX, by="product_name")
    assert by_product["product_name"].tolist() == ["裙"]


def _chapter(html: str, title: str, next_title: str | None) -> str:
    """The body of one chapter (its heading is the last mention of the title: the table of
    contents comes first)."""
    start = html.rindex(f">{title}")
    end = html.rindex(f">{next_title}") if next_title else len(html)
    assert end > start
    return html[start:end]


def test_sample_report_chapter7_totals_add_up(report):
    _, html, m = report
    ch7 = _chapter(html, "七、退货成本", "八、优化效果验证")
    expected = m["costs"]
    assert expected["total"] == pytest.approx(expected["explicit"] + expected["implicit"])
    check = ch7[ch7.index("<caption>合计核对</caption>"):]
    check = check[:check.index("</table>")]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", check)
    assert cells[0::3] == ["每笔售后明细合计", "按商品合计", "按原因分类合计", "按月表中的本月"]
    total = f"¥{expected['total']:,.2f}"
    assert cells[2::3] == [total] * 4
    assert cells[1::3] == [f"{expected['after_sales']:,}"] * 4
    assert expected["after_sales"] > 500 and expected["total"] > 10_000
    # the KPI row, the component table (with its assumptions) and the sensitivity table are there
    assert total in ch7[:ch7.index("成本构成与假设")]
    assert "¥4.00/件" in ch7 and "敏感性分析" in ch7 and "复购流失概率 ＼ 体验分影响(元/单)" in ch7
