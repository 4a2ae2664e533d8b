"""Chapter 5: the monitor on hand-built months (both clocks, maturity, episodes, promotions,
products, drivers), the funnel, heatmap, trend and charts, and the sample month."""

import dataclasses
import html as htmllib
import json
import math
import re
import warnings

import pandas as pd
import pytest

from returns_kit import anomaly, benchmarks, funnel, io, metrics, plots, sample
from returns_kit.anomaly import DetectionSettings
from returns_kit.chapters import ch5_monitoring
from returns_kit.chapters.context import build_context
from returns_kit.core.periods import months_back_from, promotion_day_set
from returns_kit.errors import ParameterError

T = pd.Timestamp
SPIKE = sample.PLANTED["spike"]["date"]
SURGE = sample.PLANTED["surge"]


def _promotion_days(conf, month):
    return promotion_day_set(io.load_promotions(conf), months_back_from(month, 13))


def test_promotion_calendar_absent_or_as_ranges(tmp_path):
    assert _promotion_days(tmp_path / "conf", "2026-10") == set()
    base = tmp_path / "conf" / "base"
    base.mkdir(parents=True)
    (base / "promotions.csv").write_text(
        "name,start,end,peak,approximate,note\n双11,2026-10-30,2026-11-02,2026-11-01,是,\n"
        "老活动,2025-01-01,2025-01-02,,否,\n", encoding="utf-8")
    days = _promotion_days(tmp_path / "conf", "2026-11")
    assert days == {T("2026-10-30"), T("2026-10-31"), T("2026-11-01"), T("2026-11-02")}


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

def test_settings_come_from_alerts_yml(tmp_path):
    s = anomaly.load_settings("conf")
    assert (s.cohort.age_days, s.budget_shop_cohort, s.budget_shop_event, s.budget_products) == (10, 0.8, 0.2, 1.5)
    assert (s.window, s.threshold, s.article_push, s.events) == (7, 0.20, False, ("applications", "refunds"))
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "local").mkdir()
    (conf / "base" / "alerts.yml").write_text(
        "detection:\n  cohort_clock: {age_days: 5}\n  article_rule: {threshold: 0.35, window: 5}\n",
        encoding="utf-8")
    (conf / "local" / "alerts.yml").write_text("detection:\n  article_rule: {window: 3}\n", encoding="utf-8")
    s = anomaly.load_settings(conf)
    assert (s.cohort.age_days, s.threshold, s.window) == (5, 0.35, 3)
    for bad, word in (("budget: {products: 0}", "budget"), ("cohort_clock: {age: 5}", "age"),
                      ("events: [orders]", "events"), ("budget: {max_alpha: 2}", "max_alpha")):
        (conf / "local" / "alerts.yml").write_text(f"detection:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(ParameterError, match=word):
            anomaly.load_settings(conf)


# --------------------------------------------------------------------------------------------
# Detection on hand-built tables
# --------------------------------------------------------------------------------------------

def _tables(shift_from=None, as_of=None):
    """31 pay-days (09-20 … 10-20) × products A (60/day, 10 of them through a creator) and B
    (40/day); every 10th sub-order applies at noon and is refunded a day later for 质量问题.
    On 10-20 product A: 30 of 60 refunded for 多拍, all before shipping.  ``shift_from``: from that
    day on, every 2nd of B's sub-orders is refunded (a lasting shift instead of the spike).
    After-sales applied after ``as_of`` are not in the export."""
    orders, sales = [], []
    for d in pd.date_range("2026-09-20", "2026-10-20", freq="D"):
        for pid, n in (("A", 60), ("B", 40)):
            for i in range(n):
                sid = f"{pid}{d:%m%d}{i:03d}"
                spike = shift_from is None and d == T("2026-10-20") and pid == "A"
                shifted = shift_from is not None and d >= T(shift_from) and pid == "B"
                refunded = (i < 30) if spike else (i % 2 == 0) if shifted else (i % 10 == 0)
                orders.append({"sub_order_id": sid, "product_id": pid, "product_name": f"商品{pid}",
                               "pay_time": d + pd.Timedelta(hours=10), "refunded": refunded,
                               "creator_id": "C1" if pid == "A" and i % 6 == 5 else None,
                               "ship_time": pd.NaT if spike and refunded else d + pd.Timedelta(days=1),
                               "province": "广东省" if i % 2 else "新疆维吾尔自治区",
                               "after_sale_count": int(refunded), "complete_time": pd.NaT,
                               "order_status": "completed", "payable_amount": 100.0})
                if refunded:
                    apply = d + pd.Timedelta(hours=12)
                    sales.append({"sub_order_id": sid, "is_refund_success": True, "apply_time": apply,
                                  "merchant_refund_time": apply + pd.Timedelta(days=1), "finish_time": pd.NaT,
                                  "reason": "多拍 / 错拍 / 不想要" if spike else "质量问题",
                                  "after_sale_type": "refund_unshipped" if spike else "return_refund",
                                  "outbound_logistics_state": None if spike else "已签收"})
    sales = pd.DataFrame(sales)
    if as_of is not None:
        sales = sales[sales["apply_time"] < T(as_of)].reset_index(drop=True)
    return pd.DataFrame(orders), sales


#: judged with the defaults of the code, products day by day from 30 paid a day (on average
#: over the month's 31 days: A sells 60 a day on 20 of them)
DAILY = dataclasses.replace(DetectionSettings(), daily_min_orders=30)


def _keys(detection):
    return {(a["date"], a["clock"], a["metric"], a["scope"], a["product_id"], a["rule"], a["pushed"])
            for a in detection.anomalies}


def test_a_bad_day_on_both_clocks_with_exact_figures_and_drivers():
    outcomes, sales = _tables()
    d = anomaly.detect(outcomes, sales, "2026-10", T("2026-10-29"), settings=DAILY)
    assert _keys(d) == {
        ("2026-10-20", "cohort", "refund_rate_at_age", "shop", None, "cohort", True),
        ("2026-10-20", "cohort", "refund_rate_at_age", "product", "A", "cohort", True),
        ("2026-10-20", "cohort", "refund_rate_at_age", "shop", None, "threshold", False),  # shown, not pushed
        ("2026-10-20", "event", "applications", "shop", None, "event", True),
        ("2026-10-21", "event", "refunds", "shop", None, "event", True)}
    a = next(x for x in d.anomalies if x["scope"] == "shop" and x["rule"] == "cohort")
    # expected: each sub-order at its segment's 28-day rate, shrunk by 20 pseudo-orders toward
    # the shop's 10%: A via creator 0/280 → 2/300, A direct 168/1400 → 170/1420, B 112/1120 → 10%
    expected = 10 * 2 / 300 + 50 * 170 / 1420 + 40 * 0.1
    assert (a["value"], a["observed"], a["paid_sub_orders"]) == (0.34, 34, 100)
    assert a["expected"] == round(expected, 2) and a["baseline"] == round(expected / 100, 6)
    # spread: binomial 0.9·E; the clock's forecast errors on the 20 earlier judged days are
    # below binomial in these steady days, so no wobble or level error is added
    assert a["z"] == round((34 - expected) / math.sqrt(0.9 * expected), 3)
    assert a["alpha"] == round(0.5 / 20, 6) and a["baseline_kind"] == "normal"   # budget 0.5 over 20 days
    assert a["drivers"]["products"] == [{"product_id": "A", "product_name": "商品A",
                                         "paid_sub_orders": 60, "refunded": 30, "excess_refunds": 24.0}]
    assert a["drivers"]["reasons"][0] == {"reason": "多拍 / 错拍 / 不想要", "category": "",
                                          "count": 30, "share": round(30 / 34, 4)}
    assert a["drivers"]["stage"] == {"stage": "before_shipping", "label": "发货前（未发货仅退款）",
                                     "share": round(30 / 34, 4)}
    e = next(x for x in d.anomalies if x["metric"] == "applications")
    # the nowcast: 100 paid a day, 10% apply the same day; the level's error 1 / (140 + 10)
    assert (e["observed"], e["expected"], e["z"]) == (34, 10.0, round(24 / math.sqrt(10 + 100 / 150), 3))
    assert e["drivers"]["products"] == [{"product_id": "A", "product_name": "商品A", "events": 30,
                                         "usual_per_day": 6.0}]
    article = next(x for x in d.anomalies if x["rule"] == "threshold")
    assert (article["value"], article["baseline"], article["ratio"]) == (0.34, 0.1, 3.4)
    json.dumps(d.anomalies, allow_nan=False)                        # plain JSON
    # 20 judged pay-days; 20 days with ≥ 5 events expected, × 2 events; A day by day (60 paid a
    # day, 38.7 on average over 31 days), B by week (40 a day, 25.8 on average: 4 weeks)
    assert d.tests == {"shop_cohort": 20, "shop_event": 2 * 20, "products": 20 + 4}


def test_products_are_pooled_by_week_unless_their_volume_supports_a_day():
    outcomes, sales = _tables()
    d = anomaly.detect(outcomes, sales, "2026-10", T("2026-10-29"))     # daily only from 300 a day
    weeks = d.product_periods.set_index(["product_id", "period"])
    # A's ISO week 10-19 (Mon) … 10-20: 120 paid, 6 + 30 refunded at age
    assert (weeks.loc[("A", "10-19~10-20"), "paid"], weeks.loc[("A", "10-19~10-20"), "refunded_at_age"]) == (120, 36)
    assert list(weeks.loc["B"].index) == ["10-01~10-04", "10-05~10-11", "10-12~10-18", "10-19~10-20"]
    assert {(a["product_id"], a["period"]) for a in d.anomalies if a["scope"] == "product"} == {("A", "10-19~10-20")}


def test_an_immature_day_is_never_judged_but_the_event_clock_sees_it():
    """Exported on 10-25, the spike day's cohort is 5 days old: the cohort clock waits, the
    event clock flags the applications the same day."""
    outcomes, sales = _tables(as_of="2026-10-25")
    d = anomaly.detect(outcomes, sales, "2026-10", T("2026-10-25"), settings=DAILY)
    assert _keys(d) == {("2026-10-20", "event", "applications", "shop", None, "event", True),
                        ("2026-10-21", "event", "refunds", "shop", None, "event", True)}
    status = d.cohort_days.set_index("date")["status"]
    # 10-17 (paid until 23:59) is 7 days old at 10-25 00:00; 10-18 is not
    assert set(status[T("2026-10-18"):T("2026-10-24")]) == {"immature"}
    assert set(status[:T("2026-10-17")]) == {"normal"}
    assert (status.index >= T("2026-10-25")).sum() == 0                   # the future is not a day
    table = anomaly.status_table(d).set_index("日期")
    assert table.loc["10-20", "支付口径"] == "未满龄，暂不判断" and table.loc["10-20", "售后申请状态"] == "预警"


def test_a_lasting_shift_is_one_alert_then_a_daily_status():
    outcomes, sales = _tables(shift_from="2026-10-10")
    d = anomaly.detect(outcomes, sales, "2026-10", T("2026-10-31"))
    pushed = {(a["date"], a["clock"], a["metric"]) for a in d.pushed if a["scope"] == "shop"}
    assert pushed == {("2026-10-10", "cohort", "refund_rate_at_age"), ("2026-10-10", "event", "applications"),
                      ("2026-10-11", "event", "refunds")}
    status = d.cohort_days.set_index("date")["status"]
    assert status[T("2026-10-10")] == "alert"
    assert set(status[T("2026-10-11"):T("2026-10-20")]) == {"ongoing"}
    assert "持续偏高的日子只在开始那天预警一次" in anomaly.monitoring_summary(d, [])
    # the article's rule fires on the first day and then learns the new level in its 7-day window
    fired = d.article.loc[d.article["fired"], "date"].dt.strftime("%m-%d").tolist()
    assert fired[0] == "10-10" and len(fired) <= 7


def test_steady_months_raise_nothing_and_the_article_rule_reports_its_false_alarm_rate():
    outcomes, sales = _tables(shift_from="2026-12-01")        # never shifts
    d = anomaly.detect(outcomes, sales, "2026-10", T("2026-10-31"))
    assert d.anomalies == [] and d.alerts == []
    assert "本月两个时钟都没有触发预警" in anomaly.monitoring_summary(d, [])
    s = anomaly.anomaly_settings(d, [T("2026-10-15")])
    # 100 a day at 10%: sd ≈ 3.2 on 10 expected, so +20% is 0.6 sd away — the rule fires often
    assert s["article_rule"]["expected_false_alerts"] > 4
    assert s["promotion_days"] == ["2026-10-15"] and s["clocks"] == ["event", "cohort"]


def test_promotion_days_are_judged_against_earlier_promotions():
    outcomes, sales = _tables(shift_from="2026-12-01")
    promos = [T("2026-10-05"), T("2026-10-12")]
    d = anomaly.detect(outcomes, sales, "2026-10", T("2026-10-31"), promos)
    kinds = d.cohort_days.set_index("date")["baseline_kind"]
    assert (kinds[T("2026-10-05")], kinds[T("2026-10-12")], kinds[T("2026-10-06")]) == (
        "promotion_prior", "promotion", "normal")
    assert d.anomalies == []

def test_funnel_counts_and_exits_on_hand_data():
    outcomes, sales = _tables()
    f = funnel.funnel(outcomes, sales, "2026-10").set_index("stage")
    assert f["sub_orders"].to_dict() == {"paid": 2000, "shipped": 1970, "received": 1970,
                                         "applied": 224, "refunded": 224}
    # A: 19 days × 6 + 30 on the spike day; B: 20 days × 4
    assert f.loc["refunded", "share_of_paid"] == pytest.approx(0.112)
    assert f.loc["shipped", "step_rate"] == pytest.approx(1970 / 2000)
    exits = funnel.funnel_exits(outcomes[outcomes["pay_time"] >= T("2026-10-01")], sales)
    assert exits.set_index("stage")["sub_orders"].to_dict() == {
        "before_shipping": 30, "in_transit": 0, "after_receipt": 194}
    text = funnel.funnel_summary(f.reset_index(), exits)
    assert "流失最多的环节是「签收后" in text and "194 笔" in text and "87%" in text


def test_heatmap_cells_are_exact():
    outcomes, _ = _tables()
    cells = metrics.heatmap_table(outcomes, "2026-10", n_products=2, n_provinces=2)
    a = cells[(cells["product_id"] == "A") & (cells["province"] == "新疆维吾尔自治区")].iloc[0]
    # product A, Oct 1–20, even i → 新疆: 19 normal days × 30 orders with 6 refunds, + spike day 15/30
    assert (a["paid_sub_orders"], a["refunded"]) == (600, 19 * 6 + 15)
    assert len(cells) == 4


def test_trend_pools_weeks_and_band_reads_benchmarks():
    outcomes, _ = _tables()
    catalog = pd.DataFrame({"product_id": ["A", "B"], "category": ["女装/连衣裙", "家居/收纳"]})
    t = metrics.trend_table(outcomes, "2026-10", catalog, ["女装"]).set_index("date")
    # week of Mon 10-19 … Sun 10-25 holds 10-19 and 10-20: (10 + 34) / 200
    assert t.loc[T("2026-10-20"), "week_rate"] == pytest.approx(44 / 200)
    assert t.loc[T("2026-10-20"), "cat_week_rate"] == pytest.approx(36 / 120)
    assert t.loc[T("2026-10-20"), "refund_rate"] == pytest.approx(0.34)
    assert t.loc[T("2026-10-25"), "paid"] == 0 and math.isnan(t.loc[T("2026-10-25"), "refund_rate"])
    band = benchmarks.benchmark_band(io.load_benchmarks("conf"), "服饰")
    assert (band["low"], band["high"]) == (0.20, 0.30) and "20%-30%" in band["source"]
    assert benchmarks.benchmark_band(io.load_benchmarks("conf"), "不存在的类目") is None


# --------------------------------------------------------------------------------------------
# The sample data: the planted spike and nothing much else
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_monitoring(workspace):
    ctx = build_context("2026-10", raw_dir=workspace / "raw", external_dir=workspace / "external",
                        processed_dir=workspace / "processed", conf_dir=workspace / "conf")
    return ch5_monitoring.build(ctx)


def test_sample_flags_the_surge_on_the_event_clock_and_the_spike_on_both(sample_monitoring):
    ch = sample_monitoring
    pushed = ch.detection.pushed
    shop = {(a["date"], a["clock"], a["metric"]) for a in pushed if a["scope"] == "shop"}
    assert shop == {(SURGE["date"], "event", "applications"),
                    (SPIKE, "cohort", "refund_rate_at_age"), (SPIKE, "event", "applications"),
                    (SPIKE, "event", "refunds")}
    surge = next(a for a in pushed if a["date"] == SURGE["date"])
    assert surge["observed"] > 3 * surge["expected"]
    assert surge["drivers"]["products"][0]["product_id"] == SURGE["product_id"]
    assert {r["reason"] for r in surge["drivers"]["reasons"][:2]} == set(SURGE["reasons"])
    spike = next(a for a in pushed if a["date"] == SPIKE and a["clock"] == "cohort")
    planted = set(sample.PLANTED["spike"]["product_ids"])
    assert {p["product_id"] for p in spike["drivers"]["products"]} <= planted
    assert spike["drivers"]["stage"]["stage"] == "before_shipping"
    # the product alerts are the spike's products, in the spike's week, folded into one line
    products = [a for a in pushed if a["scope"] == "product"]
    assert {a["product_id"] for a in products} <= planted and {a["period"] for a in products} == {"10-12~10-18"}
    json.dumps(ch.metrics(), allow_nan=False)


def test_sample_never_judges_an_immature_cohort(sample_monitoring):
    ch = sample_monitoring
    as_of, age = ch.detection.as_of, ch.age_days
    status = ch.cohort_days.set_index("date")["status"]
    young = [d for d in status.index if d + pd.Timedelta(days=age + 1) > as_of]
    assert young and set(status[young]) == {"immature"}              # the last days of the month
    for a in ch.anomalies:
        if a["clock"] == "cohort":
            assert pd.Timestamp(a["date"]) + pd.Timedelta(days=age + 1) <= as_of
    assert "还不满 10 天" in ch.immature_note and f"{young[0]:%m-%d} 起" in ch.immature_note


def test_sample_shows_the_article_rule_with_its_false_alarm_rate_unpushed(sample_monitoring):
    ch = sample_monitoring
    article = [a for a in ch.anomalies if a["rule"] == "threshold"]
    assert len(article) == int(ch.detection.article["fired"].sum()) >= 5   # the rule's noise
    assert not any(a["pushed"] for a in article)
    expected = ch.detection.article_false_alarms
    assert 3 < expected < 15 and f"约 {expected:.1f} 次" in ch.article_note and "默认不推送" in ch.article_note
    assert ch.metrics()["anomaly_settings"]["article_rule"]["expected_false_alerts"] == round(expected, 2)


def _chapter5(html: str) -> str:
    start = html.rfind("五、可视化与预警")
    end = html.rfind("六、行业与竞品对标")
    return html[start:end]


def test_report_chapter5_shows_both_clocks_the_article_rule_and_no_secret(report):
    _, html, metrics = report
    part = _chapter5(html)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", part))
    surge, spike = SURGE["date"][5:], SPIKE[5:]
    assert f"事件时钟 2 次（{surge}、{spike}）" in text
    assert "未满龄，暂不判断" in text and "还不满 10 天" in text
    assert "文章的规则" in text and "默认不推送" in text
    assert "【退货预警】" in text and f"{surge} 全店售后申请" in text and "单品预警 " in text
    assert "流失最多的环节" in text and "行业区间" in text and "显示为灰色" in text
    # event clock (applications, refunds), cohort clock, trend, heatmap, funnel
    assert part.count("data:image/png;base64") >= 6
    assert {a["date"] for a in metrics["anomalies"] if a["pushed"] and a["scope"] == "shop"} == {
        SURGE["date"], SPIKE}
    for needle in ("access_token", "webhook/send?key", "hook/", "RETURNS_KIT_"):
        assert needle not in part


# --------------------------------------------------------------------------------------------
# Charts (no warning of any kind)
# --------------------------------------------------------------------------------------------

@pytest.fixture
def strict():
    """Every warning is an error while the chart is drawn and saved.  Objects leaked by earlier
    tests (font files) are collected first, so their ResourceWarning is not blamed on the chart."""
    import gc

    import matplotlib.pyplot as plt

    plots.setup_fonts()
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield _save
    plt.close("all")


def _save(ax):
    import io

    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_heatmap_greys_low_volume_cells(strict):
    cells = pd.DataFrame({
        "product_id": ["1", "1", "2", "2"], "product_name": ["连衣裙", "连衣裙", "置物架", "置物架"],
        "province": ["新疆维吾尔自治区", "广东省", "新疆维吾尔自治区", "广东省"],
        "paid_sub_orders": [40, 2, 50, 0], "refunded": [20, 2, 5, 0],
        "refund_rate": [0.5, 1.0, 0.1, float("nan")]})
    ax = plots.product_region_heatmap(cells, min_volume=10, title="热力图")
    strict(ax)
    image = ax.images[0]
    assert image.get_array().mask.tolist() == [[False, True], [False, True]]  # 2-of-2 is grey
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["50.0%", "10.0%"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["新疆", "广东"]
    assert any("少于 10 单" in t.get_text() for t in ax.figure.texts)


def test_trend_shows_band_with_source_and_anomaly_dots(strict):
    outcomes, _ = _tables()
    catalog = pd.DataFrame({"product_id": ["A"], "category": ["女装/连衣裙"]})
    trend = metrics.trend_table(outcomes, "2026-10", catalog, ["女装"])
    band = {"category": "服饰", "low": 0.2, "high": 0.3, "source": "某来源", "as_of": "2025-06"}
    ax = plots.trend_vs_band(trend, band, ["2026-10-20"], title="趋势")
    strict(ax)
    span = ax.patches[0]
    assert (span.get_y(), span.get_y() + span.get_height()) == pytest.approx((0.2, 0.3))
    labels = ax.get_legend_handles_labels()[1]
    assert "服饰行业区间 20%–30%" in labels and "异常日" in labels and "本店服饰类每周" in labels
    assert any("某来源" in t.get_text() and "2025-06" in t.get_text() for t in ax.figure.texts)


def test_funnel_chart_bars_and_worst_exit(strict):
    outcomes, sales = _tables()
    f = funnel.funnel(outcomes, sales, "2026-10")
    exits = funnel.funnel_exits(outcomes[outcomes["pay_time"] >= T("2026-10-01")], sales)
    ax = plots.funnel_chart(f, exits, title="漏斗")
    strict(ax)
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == sorted(float(v) for v in f["sub_orders"])
    ex = ax.figure.axes[1]
    reds = [p.get_width() for p in ex.patches if p.get_facecolor()[:3] == pytest.approx(
        tuple(int(plots.PALETTE[3][i:i + 2], 16) / 255 for i in (1, 3, 5)))]
    assert reds == [194]
    assert any("支付  2,000（100.0%）" == t.get_text() for t in ax.texts)
