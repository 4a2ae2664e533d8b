"""Chapter 3 (多维拆解) metric functions: exact values on the hand-checked month of ``tiny_month``,
plus the rendered report's chapter 3.

Orders (paid 2026-10 unless noted; 10-01 is a Thursday)
  order sub  buyer prod price  paid         shipped      province/city      carrier creator  source
  O0    S0   K1    P1   159    09-20 (Sept) 09-21        新疆/乌鲁木齐市      极兔     -        商品卡
  O1    S1   K1    P1   159    10-01 10:00  10-02 10:00  新疆/乌鲁木齐市      极兔     C1       直播
  O1    S2   K1    P2    49.9  10-01 10:00  10-02 10:00  新疆/乌鲁木齐市      极兔     C1       直播
  O2    S3   K2    P1   159    10-03 12:00  10-04 12:00  广东/广州市         顺丰     -        商品卡
  O3    S4   K2    P2    49.9  10-05 09:00  10-06 09:00  广东/深圳市         顺丰     -        (blank)
  O4    S5   K3    P3   600    10-12 09:00  10-13 12:00  新疆/喀什地区        极兔     C1       直播
  O5    S6   -     P2    49.9  10-31 23:00  (not yet)    浙江/杭州市         -        -        短视频

After-sales
  A1 S1 退货退款     退款成功   10-05 10:00 尺寸不符        ← first after shipping: lag 3.0 days
  A2 S1 已发货仅退款 退款成功   10-06 10:00 多拍            ← second after-sale of S1: counted once
  A3 S3 退货退款     待商家收货 10-10 12:00 包装／商品破损  ← open damage; lag 6.0 days
  A4 S5 已发货仅退款 退款成功   11-02 12:00 功能故障        ← next month; lag 20.0 days
  A5 S6 未发货仅退款 退款成功   10-31 23:30 多拍            ← not shipped: no lag
  A6 S99 (no order)  售后关闭   10-20 10:00 其他
  A7 S4 未发货仅退款 售后关闭   10-05 08:00 多拍            ← applied before shipping: no lag
October cohort: S1..S6 (6 sub-orders), refunded S1 S5 S6 (S3 still open, S4 closed).
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
import tiny_month as tiny

from returns_kit import metrics, sample
from returns_kit.errors import InputError
from returns_kit.reasons import load_taxonomy

T = pd.Timestamp
M = "2026-10"


@pytest.fixture(scope="module")
def orders():
    return tiny.orders()


@pytest.fixture(scope="module")
def after_sales():
    return tiny.after_sales()


@pytest.fixture(scope="module")
def outcomes(orders, after_sales):
    return metrics.sub_order_outcomes(orders, after_sales, load_taxonomy("conf"))


def test_the_data_set_is_what_the_docstring_says(outcomes):
    c = metrics.cohort(outcomes, M)
    assert c["sub_order_id"].tolist() == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert c.loc[c["refunded"], "sub_order_id"].tolist() == ["S1", "S5", "S6"]


# --- time -----------------------------------------------------------------------------------

def test_weekly_series_uses_monday_weeks_and_labels_partial_ones(outcomes, after_sales):
    w = metrics.weekly(outcomes, after_sales, M)
    assert w["week_start"].tolist() == [T("2026-09-28"), T("2026-10-05"), T("2026-10-12"),
                                        T("2026-10-19"), T("2026-10-26")]
    assert w["days"].tolist() == [4, 7, 7, 7, 6]
    assert w["partial"].tolist() == [True, False, False, False, True]
    assert w["label"].tolist()[0] == "W40 10-01–10-04（不完整，4 天）"
    assert w["label"].tolist()[1] == "W41 10-05–10-11"
    assert w["paid_sub_orders"].tolist() == [3, 1, 1, 0, 1]
    assert w["refunded"].tolist() == [1, 0, 1, 0, 1]
    assert w["applications"].tolist() == [0, 4, 0, 1, 1]  # A1 A2 A3 A7 | A6 (no order) | A5
    assert w.loc[0, "refund_rate"] == pytest.approx(1 / 3)
    # a week without orders: no rate, no interval (not 0%)
    assert math.isnan(w.loc[3, "refund_rate"]) and math.isnan(w.loc[3, "ci_low"])
    assert w.loc[0, "ci_low"] == pytest.approx(0.0615, abs=1e-4)


def test_weekday_pattern_over_the_month(outcomes):
    wd = metrics.weekday_pattern(outcomes, M).set_index("weekday_zh")
    assert list(wd.index) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert wd["days"].tolist() == [4, 4, 4, 5, 5, 5, 4]  # October 2026 starts on a Thursday
    assert wd["paid_sub_orders"].tolist() == [2, 0, 0, 2, 0, 2, 0]
    assert wd.loc["周一", "refund_rate"] == 0.5  # S4 (no), S5 (yes)
    assert wd.loc["周四", "orders_per_day"] == pytest.approx(2 / 5)
    assert math.isnan(wd.loc["周二", "refund_rate"]) and wd.loc["周二", "refunded"] == 0


def _calendar():
    return pd.DataFrame({
        "name": ["国庆", "双11", "双12"],
        "start": [T("2026-10-01"), T("2026-10-20"), T("2026-12-08")],
        "end": [T("2026-10-07"), T("2026-11-11"), T("2026-12-12")],
        "peak": [pd.NaT, T("2026-11-11"), T("2026-12-12")],
        "approximate": [False, True, True], "note": ["", "", ""]})


def test_promotion_days_clip_to_the_month_and_mark_the_peak():
    days = metrics.promotion_days(_calendar(), M)
    assert len(days) == 7 + 12  # 国庆 10-01…07, 双11 10-20…31
    assert days.groupby("name")["date"].agg(["min", "max"]).loc["双11"].tolist() == [T("2026-10-20"), T("2026-10-31")]
    assert not days["peak"].any()
    nov = metrics.promotion_days(_calendar(), "2026-11")
    assert nov["name"].unique().tolist() == ["双11"] and len(nov) == 11
    assert nov.loc[nov["peak"], "date"].tolist() == [T("2026-11-11")]
    assert len(metrics.promotion_days(_calendar(), "2026-07")) == 0


def test_promotion_rates_split_the_cohort_by_pay_day(outcomes):
    days = metrics.promotion_days(_calendar(), M)
    table = metrics.promotion_rates(outcomes, M, days, min_orders=1).set_index("promotion")
    assert table.loc["国庆", ["days", "paid_sub_orders", "refunded"]].tolist() == [7, 4, 1]  # S1–S4
    assert table.loc["双11", ["days", "paid_sub_orders", "refunded"]].tolist() == [12, 1, 1]  # S6
    assert table.loc[metrics.REGULAR_DAYS, ["days", "paid_sub_orders", "refunded"]].tolist() == [12, 1, 1]


def test_shipped_promotion_calendar_covers_2025_and_2026():
    cal = metrics.load_promotions("conf")
    for name in ("618", "双11", "双12", "抖音好物年货节"):
        years = sorted(cal.loc[cal["name"] == name, "start"].dt.year.unique())
        assert years == [2025, 2026], name
    d11 = cal[(cal["name"] == "双11") & (cal["start"].dt.year == 2026)].iloc[0]
    assert d11["peak"] == T("2026-11-11") and d11["start"] < T("2026-11-01")  # pre-sale in October
    nianhuo = cal[(cal["name"] == "抖音好物年货节") & (cal["start"].dt.year == 2026)].iloc[0]
    assert (nianhuo["start"], nianhuo["end"]) == (T("2026-01-05"), T("2026-02-10")) and nianhuo["approximate"]


def _write_calendar(tmp_path, body):
    (tmp_path / "base").mkdir(exist_ok=True)
    (tmp_path / "base" / "promotions.csv").write_text(body, encoding="utf-8")


def test_promotion_calendar_errors_name_file_row_and_column(tmp_path):
    _write_calendar(tmp_path, "name,start,end,peak\n国庆,2026-10-01,2026-10-07,\n双11,2026-10-20,11月11日,\n")
    with pytest.raises(InputError, match=r"promotions.csv, row 3, column end: not a date"):
        metrics.load_promotions(tmp_path)
    _write_calendar(tmp_path, "name,start,end,peak\n双12,2026-12-12,2026-12-08,\n")
    with pytest.raises(InputError, match=r"row 2, column end: end 2026-12-08 is before start"):
        metrics.load_promotions(tmp_path)
    _write_calendar(tmp_path, "name,start,end,peak\n双12,2026-12-08,2026-12-12,2026-12-13\n")
    with pytest.raises(InputError, match=r"row 2, column peak"):
        metrics.load_promotions(tmp_path)
    _write_calendar(tmp_path, "name,begin,end\n双12,2026-12-08,2026-12-12\n")
    with pytest.raises(InputError, match=r"missing column\(s\) start"):
        metrics.load_promotions(tmp_path)
    assert len(metrics.load_promotions(tmp_path / "nowhere")) == 0


def test_conf_local_calendar_replaces_base(tmp_path):
    _write_calendar(tmp_path, "name,start,end\n国庆,2026-10-01,2026-10-07\n")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "promotions.csv").write_text(
        "\ufeffname,start,end,peak,approximate\n店庆,2026-10-10,2026-10-12,2026-10-11,否\n", encoding="utf-8")
    cal = metrics.load_promotions(tmp_path)
    assert cal["name"].tolist() == ["店庆"] and cal["approximate"].tolist() == [False]


# --- product --------------------------------------------------------------------------------

def test_price_band_labels_and_edges():
    assert metrics.price_band_labels([0, 50, 100, 200, 500]) == [
        "¥0–50", "¥50–100", "¥100–200", "¥200–500", "¥500+"]
    bands = metrics.price_band(pd.Series([0.0, 49.99, 50.0, 159.0, 500.0, 12000.0, None]))
    assert bands.astype(object).tolist()[:6] == ["¥0–50", "¥0–50", "¥50–100", "¥100–200", "¥500+", "¥500+"]
    assert pd.isna(bands.iloc[6])
    assert metrics.price_band_labels([0, 9.9, 99.5]) == ["¥0–9.90", "¥9.90–99.50", "¥99.50+"]
    with pytest.raises(ValueError):
        metrics.price_band_labels([0, 100, 50])


def test_price_band_rates_list_every_band(outcomes):
    table = metrics.price_band_rates(outcomes, M, min_orders=1).set_index("price_band")
    assert list(table.index) == ["¥0–50", "¥50–100", "¥100–200", "¥200–500", "¥500+"]
    assert table["paid_sub_orders"].tolist() == [3, 0, 2, 0, 1]
    assert table["refunded"].tolist() == [1, 0, 1, 0, 1]
    assert table.loc["¥0–50", "paid_amount"] == pytest.approx(149.7)
    assert math.isnan(table.loc["¥50–100", "refund_rate"]) and bool(table.loc["¥50–100", "low_volume"])


def test_top_products_with_category_price_band_and_intervals(outcomes):
    catalog = pd.DataFrame({"product_id": ["P1", "P3"], "category": ["女装/连衣裙", ""]})
    top = metrics.top_products(outcomes, M, min_orders=1, catalog=catalog)
    assert top["product_id"].tolist() == ["P3", "P1", "P2"]  # by Wilson lower bound: 1/1, 1/2, 1/3
    p1 = top.set_index("product_id").loc["P1"]
    assert p1["category"] == "女装/连衣裙" and p1["price_band"] == "¥100–200" and p1["unit_price"] == 159.0
    assert (p1["paid_sub_orders"], p1["refunded"], p1["paid_amount"], p1["refund_amount"]) == (2, 1, 318.0, 159.0)
    assert p1["ci_low"] == pytest.approx(0.0945, abs=1e-4) and p1["ci_high"] == pytest.approx(0.9055, abs=1e-4)
    assert top.set_index("product_id").loc["P3", "category"] is None  # blank in the catalog
    assert top.set_index("product_id").loc["P2", "price_band"] == "¥0–50"
    assert metrics.top_products(outcomes, M, min_orders=1)["category"].isna().all()  # no catalog
    assert metrics.top_products(outcomes, M, n=2, min_orders=1)["product_id"].tolist() == ["P3", "P1"]


def test_a_product_with_three_orders_never_tops_the_list_on_luck():
    rows = [("lucky", T("2026-10-02"), i < 3) for i in range(3)]
    rows += [("steady", T("2026-10-03"), i < 60) for i in range(300)]
    frame = pd.DataFrame(rows, columns=["product_id", "pay_time", "refunded"])
    frame = frame.assign(product_name=frame["product_id"], payable_amount=10.0, unit_price=10.0,
                         refund_amount=0.0)
    top = metrics.top_products(frame, M)
    assert top["product_id"].tolist() == ["steady", "lucky"]  # 3 of 3 refunded, still last
    assert bool(top.loc[1, "low_volume"]) and top.loc[1, "refund_rate"] == 1.0


# --- customer and region --------------------------------------------------------------------

def test_buyer_types_repeat_needs_an_earlier_order(outcomes):
    types = metrics.buyer_types(outcomes).set_axis(outcomes["sub_order_id"]).to_dict()
    assert types == {"S0": "new", "S1": "repeat", "S2": "repeat", "S3": "new", "S4": "repeat",
                     "S5": "new", "S6": "unidentified"}
    same_time = pd.DataFrame({"order_id": ["X", "Y"], "sub_order_id": ["x", "y"], "buyer_key": ["K", "K"],
                              "pay_time": [T("2026-10-01 10:00")] * 2})
    assert metrics.buyer_types(same_time).tolist() == ["new", "new"]  # neither is earlier


@given(st.lists(st.tuples(st.sampled_from(["O1", "O2", "O3", "O4", None]), st.sampled_from(["K1", "K2", None]),
                          st.integers(0, 5)), min_size=1, max_size=25))
def test_buyer_types_by_codes_equal_the_groupby_definition(rows):
    """Orders and buyers grouped by integer codes give the types of the definition grouped by
    the texts themselves (missing orders and keys included)."""
    frame = pd.DataFrame({"order_id": pd.array([r[0] for r in rows], dtype="str"),
                          "sub_order_id": [f"s{i}" for i in range(len(rows))],
                          "buyer_key": pd.array([r[1] for r in rows], dtype="str"),
                          "pay_time": [T("2026-10-01") + pd.Timedelta(hours=r[2]) for r in rows]})
    order_pay = frame["pay_time"].groupby(frame["order_id"]).transform("min")
    first = order_pay.groupby(frame["buyer_key"]).transform("min")
    expected = pd.Series(np.where(order_pay > first, "repeat", "new"), dtype=object)
    expected[frame["buyer_key"].isna()] = "unidentified"
    assert metrics.buyer_types(frame).tolist() == expected.tolist()


def test_customer_types_rates_and_volume(outcomes):
    table = metrics.customer_types(outcomes, M, min_orders=1).set_index("buyer_type")
    assert list(table.index) == ["new", "repeat", "unidentified"]
    assert table["paid_sub_orders"].tolist() == [2, 3, 1]
    assert table["refunded"].tolist() == [1, 1, 1]
    assert table["buyers"].tolist() == [2, 2, 0]  # K2 is new in S3 and repeat in S4
    assert table.loc["repeat", "refund_rate"] == pytest.approx(1 / 3)
    assert table["share"].sum() == pytest.approx(1.0)


def test_customer_types_without_repeat_buyers_shows_zero_not_missing(outcomes):
    first_only = outcomes[outcomes["sub_order_id"].isin(["S3", "S5"])]
    table = metrics.customer_types(first_only, M).set_index("buyer_type")
    assert list(table.index) == ["new", "repeat"]
    assert table.loc["repeat", "paid_sub_orders"] == 0 and math.isnan(table.loc["repeat", "refund_rate"])


def test_cities_rates(outcomes):
    table = metrics.cities(outcomes, M, min_orders=1).set_index(["province", "city"])
    assert table.loc[("新疆维吾尔自治区", "乌鲁木齐市"), ["paid_sub_orders", "refunded"]].tolist() == [2, 1]
    assert table.loc[("广东省", "深圳市"), "refund_rate"] == 0.0
    assert len(table) == 5 and table["paid_sub_orders"].sum() == 6
    assert metrics.cities(outcomes, M)["low_volume"].all()


# --- logistics ------------------------------------------------------------------------------

def test_ship_apply_lags_first_after_sale_after_shipping(outcomes, after_sales):
    lags = metrics.ship_apply_lags(outcomes, after_sales, M)
    assert lags["sub_order_id"].tolist() == ["S1", "S3", "S5"]  # S4 applied before shipping, S6 unshipped
    assert lags["lag_days"].tolist() == [3.0, 6.0, 20.0]  # S1 counted once (A1, not A2)
    summary = metrics.lag_summary(lags).set_index("group")
    assert list(summary.index) == ["return_refund", "refund_shipped", "all"]
    assert summary.loc["return_refund", "median"] == 4.5
    assert summary.loc["all", ["count", "p25", "median", "p75"]].tolist() == [3, 4.5, 6.0, 13.0]
    assert summary.loc["all", "mean"] == pytest.approx(29 / 3)
    assert summary.loc["all", "within_3d"] == pytest.approx(1 / 3)
    assert summary.loc["all", "within_7d"] == pytest.approx(2 / 3)
    empty = metrics.lag_summary(lags.iloc[0:0])
    assert empty["count"].tolist() == [0] and math.isnan(empty.loc[0, "median"])


def test_damage_by_carrier_and_province(outcomes):
    cells = metrics.damage_cells(outcomes, M, min_orders=1).set_index(["carrier", "province"])
    assert cells.loc[("顺丰速运", "广东省"), ["shipped_sub_orders", "damaged", "damage_rate"]].tolist() == [2, 1, 0.5]
    assert cells.loc[("极兔速递", "新疆维吾尔自治区"), "damage_rate"] == 0.0
    assert cells["shipped_sub_orders"].sum() == 5  # S6 has no carrier yet
    grid = metrics.damage_matrix(metrics.damage_cells(outcomes, M, min_orders=1))
    assert list(grid.index) == ["极兔速递", "顺丰速运"] and list(grid.columns) == ["新疆维吾尔自治区", "广东省"]
    assert grid.loc["顺丰速运", "广东省"] == 0.5 and math.isnan(grid.loc["顺丰速运", "新疆维吾尔自治区"])
    thin = metrics.damage_matrix(metrics.damage_cells(outcomes, M, min_orders=3))
    assert math.isnan(thin.loc["顺丰速运", "广东省"]) and thin.loc["极兔速递", "新疆维吾尔自治区"] == 0.0


def test_carriers_damage_rate(outcomes):
    car = metrics.carriers(outcomes, M, min_orders=1).set_index("carrier")
    assert car.loc["顺丰速运", ["shipped_sub_orders", "damaged", "damage_rate"]].tolist() == [2, 1, 0.5]
    assert car.loc["极兔速递", "damage_rate"] == 0.0 and car.index[0] == "顺丰速运"


# --- creators and traffic -------------------------------------------------------------------

def test_creators_rank_with_intervals_and_group_orders_without_a_creator(outcomes):
    table = metrics.creators(outcomes, M, min_orders=1)
    assert table["creator_name"].tolist() == ["小鹿穿搭日记", metrics.NO_CREATOR]
    assert table["creator_id"].tolist() == ["C1", None]
    assert table["paid_sub_orders"].tolist() == [3, 3] and table["refunded"].tolist() == [2, 1]
    assert table.loc[0, "ci_low"] == pytest.approx(0.2077, abs=1e-4)
    assert table.loc[0, "refund_amount"] == 759.0  # S1 159 + S5 600
    empty = metrics.creators(outcomes, "2025-01")
    assert len(empty) == 0


def test_traffic_sources_blank_is_unknown(outcomes):
    table = metrics.traffic(outcomes, M, min_orders=1).set_index("traffic_source")
    assert table.loc["直播", ["paid_sub_orders", "refunded"]].tolist() == [3, 2]
    assert table.loc[metrics.UNKNOWN_SOURCE, "paid_sub_orders"] == 1  # S4
    assert table["paid_sub_orders"].sum() == 6
    fmt = metrics.traffic(outcomes, M, by="traffic_format", min_orders=1)
    assert set(fmt["traffic_format"]) == {"直播", "商品卡", "短视频", metrics.UNKNOWN_SOURCE}


# --- settings and metrics.json ---------------------------------------------------------------

def test_report_settings_defaults_and_local_override(tmp_path):
    assert metrics.report_settings("conf")["price_bands"] == [0, 50, 100, 200, 500]
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "report.yml").write_text("min_orders: 50\nprice_bands: [0, 99, 299]\n", encoding="utf-8")
    s = metrics.report_settings(tmp_path)
    assert s["min_orders"] == 50 and s["price_bands"] == [0, 99, 299] and s["maturity_days"] == 30
    (tmp_path / "local" / "report.yml").write_text("price_bands: [0, 300, 100]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"report.yml, column price_bands"):
        metrics.report_settings(tmp_path)
    (tmp_path / "local" / "report.yml").write_text("maturity_days: soon\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column maturity_days"):
        metrics.report_settings(tmp_path)


# --- the rendered report ----------------------------------------------------------------------

def _chapter(html: str, number: int) -> str:
    start = html.index(f'id="chapter-{number:02d}"')
    return html[start:html.index(f'id="chapter-{number + 1:02d}"', start)]


def _chapter3(html: str) -> str:
    return _chapter(html, 3)


def _notes(part: str) -> list[str]:
    import re

    return re.findall(r"""class=["']rk-note["']>(.*?)</p>""", part, flags=re.S)


def test_report_chapter3_names_planted_signals_with_intervals(report):
    _, html, m = report
    ch3 = _chapter3(html)
    product = sample.PLANTED["product"]["product_name"]
    province = sample.PLANTED["province"]["province"]
    carrier = sample.PLANTED["carrier"]["carrier"]
    creator = sample.PLANTED["creator"]["creator_name"]
    for name in (product, province, carrier, creator):
        assert any(name in s and "95% 区间" in s for s in _notes(ch3)), name
    assert m["creators"][0]["creator_name"] == creator
    assert m["top_products"][0]["category"] == sample.PLANTED["product"]["category"]
    assert m["top_products"][0]["price_band"] == "¥100–200"  # 159 yuan
    assert all("damage_rate" in c for c in m["carriers"]) and len(m["creators"]) >= 7


def test_report_chapter3_covers_time_customer_logistics_and_traffic(report):
    _, html, _ = report
    ch3 = _chapter3(html)
    for needle in ("不完整", "周六", "国庆", "双11", "新客", "复购客", "近似", "城市", "发货到申请售后",
                   "中位数", "快递 × 省份", "流量来源", "流量体裁", "达人", metrics.NO_CREATOR, "价格带", "女装/连衣裙"):
        assert needle in ch3, needle


def test_report_chapter1_shows_both_views_maturity_and_coverage(report):
    _, html, m = report
    ch1 = _chapter(html, 1)
    days = m["cohort_view"]["days_since_month_end"]
    assert days == 7  # sample export date 11-08 09:12 (sample.EXPORT_LAG_DAYS after the month)
    for needle in ("申请口径·完结", "支付口径·完结", "支付口径·处理中", "暂估", f"距月末 {days} 天", "找不到对应订单",
                   "覆盖率", "已发货仅退款", "未发货仅退款", "换货", "补寄", "returns_kit.metrics"):
        assert needle in ch1, needle
    assert m["cohort_after_sales"]["after_sales"] > 0
    assert m["coverage"]["after_sales"] == m["application_view"]["after_sales"]


