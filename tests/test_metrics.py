"""Exact metric values on a tiny hand-checked data set (DESIGN.md §4).

Orders (paid in 2026-10 unless noted)      After-sales
  S1 P1 10-01 100.00 广东 顺丰               A1 S1 退货退款   退款成功 100 10-05 尺寸不符 (描述不符)
  S2 P1 10-02 100.00 广东 顺丰               A2 S1 已发货仅退款 退款成功  20 10-06 多拍 (second refund, same sub-order)
  S3 P1 10-03  50.00 新疆 极兔               A3 S3 退货退款   待商家收货  50 10-10 包装破损 (open)
  S4 P2 10-04 200.00 新疆 极兔               A4 S4 未发货仅退款 退款成功 200 11-02 多拍 (applied next month)
  S5 P2 09-30  80.00 (previous month)        A5 S5 退货退款   退款成功  80 10-03
  S6 P2 unpaid                               A6 S99 (no order) 已发货仅退款 售后关闭 10-20
  S7 P3 10-31 23:59:59 30.00 浙江 unshipped  A7 S2 换货 换货成功 10-08
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_kit import metrics
from returns_kit.metrics.ranking import mode
from returns_kit.reasons import load_taxonomy

T = pd.Timestamp


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy("conf")


@pytest.fixture(scope="module")
def orders():
    rows = [
        ("S1", "P1", "碎花裙", T("2026-10-01 10:00"), 100.0, "广东省", "顺丰速运"),
        ("S2", "P1", "碎花裙", T("2026-10-02 10:00"), 100.0, "广东省", "顺丰速运"),
        ("S3", "P1", "碎花裙", T("2026-10-03 10:00"), 50.0, "新疆维吾尔自治区", "极兔速递"),
        ("S4", "P2", "置物架", T("2026-10-04 10:00"), 200.0, "新疆维吾尔自治区", "极兔速递"),
        ("S5", "P2", "置物架", T("2026-09-30 23:00"), 80.0, "广东省", "顺丰速运"),
        ("S6", "P2", "置物架", pd.NaT, 200.0, "广东省", None),
        ("S7", "P3", "面霜", T("2026-10-31 23:59:59"), 30.0, "浙江省", None),
    ]
    return pd.DataFrame(rows, columns=["sub_order_id", "product_id", "product_name", "pay_time",
                                       "payable_amount", "province", "carrier"])


@pytest.fixture(scope="module")
def after_sales():
    rows = [
        ("A1", "S1", "return_refund", "refund_success", "finished", 100.0, T("2026-10-05"), "大小／尺寸／重量与商品描述不符"),
        ("A2", "S1", "refund_shipped", "refund_success", "finished", 20.0, T("2026-10-06"), "多拍 / 错拍 / 不想要"),
        ("A3", "S3", "return_refund", "in_progress", "in_progress", 50.0, T("2026-10-10"), "包装／商品破损"),
        ("A4", "S4", "refund_unshipped", "refund_success", "finished", 200.0, T("2026-11-02"), "多拍 / 错拍 / 不想要"),
        ("A5", "S5", "return_refund", "refund_success", "finished", 80.0, T("2026-10-03"), "功能故障"),
        ("A6", "S99", "refund_shipped", "closed", "closed", 10.0, T("2026-10-20"), "其他"),
        ("A7", "S2", "exchange", "exchange_done", "finished", None, T("2026-10-08"), "大小／尺寸／重量与商品描述不符"),
    ]
    frame = pd.DataFrame(rows, columns=["after_sale_id", "sub_order_id", "after_sale_type", "status",
                                        "status_group", "refund_goods_amount", "apply_time", "reason"])
    frame["is_refund_success"] = (frame["status"] == "refund_success") & frame["after_sale_type"].isin(
        ["return_refund", "refund_shipped", "refund_unshipped"])
    return frame


@pytest.fixture(scope="module")
def outcomes(orders, after_sales, taxonomy):
    return metrics.sub_order_outcomes(orders, after_sales, taxonomy)


def test_month_bounds_and_previous_month():
    assert metrics.month_bounds("2026-12") == (T("2026-12-01"), T("2027-01-01"))
    assert metrics.previous_month("2026-01") == "2025-12"


def test_application_view_counts_by_status_group(after_sales):
    # A4 was applied in November: the application view of October does not count it.
    assert metrics.application_view(after_sales, "2026-10") == {
        "after_sales": 6, "finished": 4, "in_progress": 1, "closed": 1, "unknown": 0}
    assert metrics.application_view(after_sales, "2026-11")["after_sales"] == 1


def test_application_table_by_type(after_sales):
    table = metrics.application_table(after_sales, "2026-10").set_index("after_sale_type")
    assert table.loc["return_refund", "finished"] == 2
    assert table.loc["return_refund", "in_progress"] == 1
    assert table.loc["return_refund", "total"] == 3
    assert table["total"].sum() == 6


def test_outcomes_count_a_sub_order_once_and_cap_the_amount(outcomes):
    s1 = outcomes.set_index("sub_order_id").loc["S1"]
    assert s1["after_sale_count"] == 2
    assert bool(s1["refunded"]) and bool(s1["returned"]) and bool(s1["quality_refund"])
    assert s1["refund_amount"] == 100.0  # 100 + 20 refunded, capped at the 100.00 paid
    assert "S6" not in set(outcomes["sub_order_id"])  # never paid: not in any cohort


def test_outcome_columns_alone_and_back_on_the_orders(orders, after_sales, taxonomy, outcomes):
    added = metrics.outcome_columns(orders, after_sales, taxonomy)
    assert list(added.columns) == ["refunded", "refund_amount", "returned", "quality_refund", "damage",
                                   "after_sale_count", "first_apply_time"]
    assert list(added.index) == list(orders.index[orders["pay_time"].notna()])  # S6, never paid, left out
    pd.testing.assert_frame_equal(metrics.with_outcomes(orders, added), outcomes)
    paid = orders[orders["pay_time"].notna()].reset_index(drop=True)
    everyone = metrics.with_outcomes(paid, metrics.outcome_columns(paid, after_sales, taxonomy))
    assert np.shares_memory(everyone["payable_amount"].to_numpy(), paid["payable_amount"].to_numpy())
    pd.testing.assert_frame_equal(everyone.reset_index(drop=True), outcomes.reset_index(drop=True))
    repeated = orders.set_axis([i % 2 for i in range(len(orders))])  # repeated labels (frames stacked by hand)
    again = metrics.sub_order_outcomes(repeated, after_sales, taxonomy)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), outcomes.reset_index(drop=True))
    with pytest.raises(ValueError, match="not those of these orders"):
        metrics.with_outcomes(orders, added.iloc[1:])


def test_cohort_view_exact_values(outcomes):
    view = metrics.cohort_view(outcomes, "2026-10")
    assert view["paid_sub_orders"] == 5  # S1 S2 S3 S4 S7 (S7 paid 10-31 23:59:59 is in)
    assert view["paid_amount"] == 480.0
    assert view["refunded_sub_orders"] == 2  # S1, and S4 refunded in November
    assert view["refund_rate_count"] == pytest.approx(2 / 5)
    assert view["refund_rate_amount"] == pytest.approx(300 / 480)
    assert view["return_rate_count"] == pytest.approx(1 / 5)
    assert view["quality_return_rate"] == pytest.approx(1 / 5)  # S1 描述不符; S4 多拍 is subjective


def test_cohort_view_of_an_empty_month_is_nan_not_an_error(outcomes):
    view = metrics.cohort_view(outcomes, "2025-01")
    assert view["paid_sub_orders"] == 0
    assert math.isnan(view["refund_rate_count"])


def test_coverage_lists_after_sales_without_order(orders, after_sales):
    missing = metrics.coverage(orders, after_sales, "2026-10")
    assert missing["after_sale_id"].tolist() == ["A6"]


def test_wilson_interval_known_values():
    low, high = metrics.wilson_interval([1, 0, 5], [2, 0, 5])
    assert low[0] == pytest.approx(0.0945, abs=1e-4) and high[0] == pytest.approx(0.9055, abs=1e-4)
    assert math.isnan(low[1]) and math.isnan(high[1])
    assert high[2] == 1.0 and low[2] == pytest.approx(0.5655, abs=1e-4)


def test_small_segment_does_not_top_the_ranking_on_luck():
    frame = pd.DataFrame({"product_id": ["lucky"] * 3 + ["big"] * 3000,
                          "refunded": [True, True, False] + [True] * 300 + [False] * 2700})
    table = metrics.rate_table(frame, "product_id")
    assert table["product_id"].tolist() == ["big", "lucky"]
    lucky = table.set_index("product_id").loc["lucky"]
    assert lucky["refund_rate"] == pytest.approx(2 / 3) and bool(lucky["low_volume"])
    # the interval says how unsure the 2-of-3 rate is
    assert lucky["ci_low"] == pytest.approx(0.2077, abs=1e-4) and lucky["ci_high"] == pytest.approx(0.9385, abs=1e-4)
    big = table.set_index("product_id").loc["big"]
    assert big["excess_refunds"] == pytest.approx(300 - 3000 * 302 / 3003, abs=0.05)


def test_provinces_and_carriers(outcomes):
    prov = metrics.provinces(outcomes, "2026-10", min_orders=1).set_index("province")
    assert prov.loc["新疆维吾尔自治区", "paid_sub_orders"] == 2
    assert prov.loc["新疆维吾尔自治区", "refund_rate"] == 0.5
    assert prov.loc["浙江省", "refunded"] == 0
    car = metrics.carriers(outcomes, "2026-10", min_orders=1).set_index("carrier")
    assert car.loc["极兔速递", "shipped_sub_orders"] == 2
    assert car.loc["极兔速递", "damage_rate"] == 0.5  # S3's open 破损 after-sale
    assert car.loc["顺丰速运", "damage_rate"] == 0.0
    assert car.index[0] == "极兔速递"
    assert car["shipped_sub_orders"].sum() == 4  # S7 has no carrier yet


def test_daily_series(outcomes, after_sales):
    day = metrics.daily(outcomes, after_sales, "2026-10").set_index("date")
    assert len(day) == 31
    assert day.loc[T("2026-10-01"), "paid_sub_orders"] == 1
    assert day.loc[T("2026-10-01"), "refund_rate"] == 1.0
    assert day.loc[T("2026-10-05"), "applications"] == 1
    assert math.isnan(day.loc[T("2026-10-15"), "refund_rate"])


def test_cohort_maturity():
    m = metrics.cohort_maturity("2026-10", T("2026-11-25 09:00"))
    assert m == {"days_since_month_end": 24, "maturity_days": 30, "provisional": True}
    assert metrics.cohort_maturity("2026-09", T("2026-11-25"))["provisional"] is False


def test_reason_breakdown(after_sales, taxonomy):
    table = metrics.reason_breakdown(after_sales, "2026-10", taxonomy)
    assert table["count"].sum() == 6
    desc = table[table["category"] == "描述不符"]
    assert desc["count"].sum() == 2 and desc["share"].sum() == pytest.approx(2 / 6)


def test_data_as_of_is_the_newest_export_not_the_clock(orders, after_sales):
    assert metrics.data_as_of(orders, after_sales) == T("2026-11-02")  # no lineage: last apply
    o = orders.assign(export_time=T("2026-11-20 08:00"))
    a = after_sales.assign(export_time=T("2026-11-25 09:12"))
    assert metrics.data_as_of(o, a) == T("2026-11-25 09:12")


# --- chapter 1: both views by 售后类型 × status, coverage, maturity --------------------------

def test_cohort_status_view_counts_after_sales_of_the_months_orders(orders, after_sales):
    # paid in October: S1 S2 S3 S4 S7 → A1 A2 (both S1) A3 A4 (applied 11-02) A7; not A5 (S5 paid
    # in September) nor A6 (no order).
    view = metrics.cohort_status_view(orders, after_sales, "2026-10")
    assert view == {"after_sales": 5, "finished": 4, "in_progress": 1, "closed": 0, "unknown": 0,
                    "sub_orders_with_after_sale": 4,  # S1's two after-sales: one sub-order
                    "applied_after_month": 1}  # A4, applied 11-02
    assert metrics.cohort_status_view(orders, after_sales, "2026-09")["after_sales"] == 1  # A5
    assert metrics.cohort_status_view(orders, after_sales, "2025-01") == {
        "after_sales": 0, "finished": 0, "in_progress": 0, "closed": 0, "unknown": 0,
        "sub_orders_with_after_sale": 0, "applied_after_month": 0}


def test_views_by_type_side_by_side(orders, after_sales):
    views = metrics.views_by_type(orders, after_sales, "2026-10").set_index("after_sale_type")
    assert list(views.index) == ["return_refund", "refund_shipped", "refund_unshipped", "exchange"]
    assert views.loc["return_refund"].to_dict() == {
        "app_finished": 2, "app_in_progress": 1, "app_closed": 0, "app_unknown": 0, "app_total": 3,
        "cohort_finished": 1, "cohort_in_progress": 1, "cohort_closed": 0, "cohort_unknown": 0,
        "cohort_total": 2}  # A5 belongs to September's cohort
    # A4 was applied on 11-02 for an order paid 10-04: the cohort view counts it, the
    # application view of October does not.
    assert views.loc["refund_unshipped", "app_total"] == 0
    assert views.loc["refund_unshipped", "cohort_finished"] == 1
    # A6 has no order: in the application view (closed), in no cohort
    assert views.loc["refund_shipped", ["app_closed", "cohort_closed"]].tolist() == [1, 0]
    assert views["app_total"].sum() == 6 and views["cohort_total"].sum() == 5
    assert metrics.cohort_table(orders, after_sales, "2026-10")["total"].sum() == 5


def test_views_by_type_of_an_empty_month(orders, after_sales):
    views = metrics.views_by_type(orders, after_sales, "2025-01")
    assert len(views) == 0 and "cohort_total" in views.columns


def test_coverage_summary_counts_after_sales_without_order(orders, after_sales):
    cov = metrics.coverage_summary(orders, after_sales, "2026-10")
    assert cov == {"after_sales": 6, "with_order": 5, "after_sales_without_order": 1,
                   "share_without_order": pytest.approx(1 / 6), "refund_amount_without_order": 0.0}
    refunded = after_sales.assign(is_refund_success=after_sales["after_sale_id"] == "A6")
    assert metrics.coverage_summary(orders, refunded, "2026-10")["refund_amount_without_order"] == 10.0
    empty = metrics.coverage_summary(orders, after_sales, "2025-01")
    assert empty["after_sales"] == 0 and math.isnan(empty["share_without_order"])


def test_cohort_maturity_on_the_boundary_and_while_the_month_runs():
    assert metrics.cohort_maturity("2026-10", T("2026-12-01"))["days_since_month_end"] == 30
    assert metrics.cohort_maturity("2026-10", T("2026-12-01"))["provisional"] is False
    assert metrics.cohort_maturity("2026-10", T("2026-11-30 23:59"))["provisional"] is True
    running = metrics.cohort_maturity("2026-10", T("2026-10-20"), maturity_days=10)
    assert running == {"days_since_month_end": -12, "maturity_days": 10, "provisional": True}


def test_definitions_cover_every_chapter_one_figure():
    for key in ("申请口径（售后申请时间）", "支付口径（支付完成时间）", "支付口径的售后单", "退款率（订单数）",
                "退款率（金额）", "退货率", "品退率", "破损率", "覆盖率", "成熟期", "置信区间"):
        assert metrics.DEFINITIONS_ZH[key]


def test_every_definition_names_an_existing_function():
    table = metrics.definitions_table()
    assert len(table) == len(metrics.DEFINITIONS_ZH)
    for text in table["function"]:
        assert text, "a figure without its function"
        for name in text.split(", "):
            assert hasattr(metrics, name.removeprefix("returns_kit.metrics.").split(" ")[0]), name


@given(st.lists(st.tuples(st.sampled_from(["P1", "P2", "P10", None]), st.sampled_from(["裙", "裙子", "Dress", None])),
                max_size=30))
def test_product_names_are_each_products_most_frequent_name(pairs):
    frame = pd.DataFrame(pairs, columns=["product_id", "product_name"], dtype="str")
    by_product = frame.dropna(subset=["product_id"]).groupby("product_id")["product_name"].agg(mode)
    # the definition, product by product; a product without any name has None (the groupby gives
    # NaN there, which the summary's "name or ID" would have shown as "nan")
    expected = {str(k): None if pd.isna(v) else v for k, v in by_product.items()}
    got = metrics.product_names(frame)
    assert got == expected and list(got) == list(expected)
