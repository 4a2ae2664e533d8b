"""Chapter 5: the two anomaly rules, promotions, drivers, funnel, heatmap, trend and charts."""

import dataclasses
import html as htmllib
import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from returns_kit import anomaly, benchmarks, funnel, io, metrics, plots, sample
from returns_kit.anomaly import DetectionSettings, judge_days
from returns_kit.chapters import ch5_monitoring
from returns_kit.chapters.context import build_context
from returns_kit.core.periods import months_back_from, promotion_day_set
from returns_kit.errors import ParameterError

T = pd.Timestamp
SPIKE = sample.PLANTED["spike"]["date"]


def _counts(paid, refunded, start="2026-09-01"):
    days = pd.date_range(start, periods=len(paid), freq="D")
    return pd.DataFrame({"date": days, "paid": paid, "refunded": refunded})


# --------------------------------------------------------------------------------------------
# The rules on synthetic series
# --------------------------------------------------------------------------------------------

def test_known_spike_fires_both_rules_with_exact_baselines():
    paid = [200] * 40 + [600] + [200] * 5
    refunded = [26] * 40 + [270] + [26] * 5
    c = _counts(paid, refunded)
    spike = c["date"].iloc[40]
    out = judge_days(c, c["date"].iloc[35:46]).set_index("date")
    row = out.loc[spike]
    assert row["threshold_fired"] and row["binomial_fired"]
    assert row["value"] == pytest.approx(0.45)
    assert row["baseline"] == pytest.approx(0.13)            # pooled 7 previous days
    assert row["baseline_days"] == 7
    assert row["ratio"] == pytest.approx(0.45 / 0.13)
    assert row["p0"] == pytest.approx(0.13)                  # pooled 28 previous days
    assert row["expected"] == pytest.approx(78.0)
    assert row["excess"] == pytest.approx(192.0)
    assert row["p_value"] == pytest.approx(binom.sf(269, 600, 0.13))
    # exactly one day fires, and the spike is left out of the following baselines
    assert out["threshold_fired"].sum() == 1 and out["binomial_fired"].sum() == 1
    assert out.loc[spike + pd.Timedelta(days=1), "baseline"] == pytest.approx(0.13)
    assert out.loc[spike + pd.Timedelta(days=1), "p0"] == pytest.approx(0.13)


def test_spike_stays_in_baseline_when_exclusion_is_off():
    c = _counts([200] * 40 + [600] + [200] * 2, [26] * 40 + [270] + [26] * 2)
    s = dataclasses.replace(DetectionSettings(), exclude_flagged=False)
    out = judge_days(c, c["date"].iloc[41:42], settings=s)
    assert out["baseline"].iat[0] == pytest.approx((26 * 6 + 270) / (200 * 6 + 600))


def test_one_of_three_day_does_not_fire_either_rule():
    c = _counts([100] * 30 + [3], [13] * 30 + [1])
    row = judge_days(c, c["date"].iloc[-1:]).iloc[0]
    assert row["value"] == pytest.approx(1 / 3)              # 2.6 × the baseline …
    assert not row["threshold_fired"]                       # … but below min_volume: not judged
    assert math.isnan(row["baseline"])
    assert not row["binomial_fired"]
    assert row["p_value"] == pytest.approx(1 - 0.87 ** 3)   # P(X ≥ 1 | n=3, p=0.13) ≈ 0.34
    # without the volume floor the article's rule alone would have fired on it
    loose = dataclasses.replace(DetectionSettings(), min_volume=0)
    assert judge_days(c, c["date"].iloc[-1:], settings=loose)["threshold_fired"].iat[0]


def test_three_of_three_is_below_min_excess():
    c = _counts([100] * 30 + [3], [5] * 30 + [3])
    row = judge_days(c, c["date"].iloc[-1:]).iloc[0]
    assert row["p_value"] == pytest.approx(0.05 ** 3)       # < alpha …
    assert row["excess"] == pytest.approx(2.85)             # … but not 3 refunds above expected
    assert not row["binomial_fired"]


def test_small_volume_noise_raises_no_false_alarm():
    rng = np.random.default_rng(5)
    paid = rng.poisson(5, 120)
    refunded = rng.binomial(paid, 0.13)
    c = _counts(paid, refunded)
    out = judge_days(c, c["date"].iloc[30:])
    assert not out["binomial_fired"].any()
    assert not out["threshold_fired"].any()                  # never 30 orders a day
    assert (refunded[30:] / np.maximum(paid[30:], 1) > 0.13 * 1.2).sum() > 20  # naive rule would


def test_large_volume_noise_raises_no_test_alarm():
    rng = np.random.default_rng(11)
    paid = rng.poisson(150, 150)
    refunded = rng.binomial(paid, 0.13)
    c = _counts(paid, refunded)
    out = judge_days(c, c["date"].iloc[30:])
    assert not out["binomial_fired"].any()


def test_days_before_enough_history_are_not_judged():
    c = _counts([200] * 3, [26, 26, 100])
    out = judge_days(c, c["date"])
    assert not out["threshold_fired"].any() and not out["binomial_fired"].any()
    assert out["baseline"].isna().all() and out["p0"].isna().all()


# --------------------------------------------------------------------------------------------
# Promotion days
# --------------------------------------------------------------------------------------------

def test_promotion_day_is_judged_against_earlier_promotions():
    paid = [200] * 40
    refunded = [20] * 40
    promos = set()
    for i in (10, 11, 12, 35):  # three earlier promo days at 30% and the judged one at 30%
        paid[i], refunded[i] = 300, 90
        promos.add(T("2026-09-01") + pd.Timedelta(days=i))
    c = _counts(paid, refunded)
    day = c["date"].iloc[35]
    row = judge_days(c, [day], promos).iloc[0]
    assert row["baseline_kind"] == "promotion"
    assert row["baseline"] == pytest.approx(0.30) and row["p0"] == pytest.approx(0.30)
    assert not row["threshold_fired"] and not row["binomial_fired"]
    # the same day treated as an ordinary day is an anomaly against the 10% baseline …
    plain = judge_days(c, [day], promos - {day}).iloc[0]
    assert plain["baseline_kind"] == "normal" and plain["binomial_fired"]
    # … and ordinary days never include promotion days in their baseline
    assert plain["p0"] == pytest.approx(0.10)


def test_first_promotion_falls_back_to_normal_or_is_skipped():
    c = _counts([200] * 30 + [300], [20] * 30 + [150])
    day = c["date"].iloc[-1]
    fallback = judge_days(c, [day], {day}).iloc[0]
    assert fallback["baseline_kind"] == "normal_fallback" and fallback["binomial_fired"]
    skip = dataclasses.replace(DetectionSettings(), promotion_fallback="skip")
    skipped = judge_days(c, [day], {day}, skip).iloc[0]
    assert skipped["baseline_kind"] == "skipped"
    assert not skipped["binomial_fired"] and not skipped["threshold_fired"]


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
    assert (s.window, s.threshold, s.min_volume, s.alpha) == (7, 0.20, 30, 0.001)
    local = tmp_path / "conf"
    (local / "base").mkdir(parents=True)
    (local / "local").mkdir()
    (local / "base" / "alerts.yml").write_text(
        "detection:\n  threshold_rule: {threshold: 0.35, window: 5}\n", encoding="utf-8")
    (local / "local" / "alerts.yml").write_text(
        "detection:\n  threshold_rule: {window: 3}\n", encoding="utf-8")
    s = anomaly.load_settings(local)
    assert (s.threshold, s.window, s.min_periods) == (0.35, 3, 3)
    (local / "local" / "alerts.yml").write_text(
        "detection:\n  binomial_test: {alpha: 5}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="alpha"):
        anomaly.load_settings(local)


# --------------------------------------------------------------------------------------------
# Detection with drivers on hand-built tables
# --------------------------------------------------------------------------------------------

def _tables():
    """30 days × products A (60/day) and B (40/day), every 10th order refunded for 质量问题;
    on 10-20 product A: 30 of 60 refunded for 多拍, all before shipping."""
    orders, sales = [], []
    for d in pd.date_range("2026-09-20", "2026-10-20", freq="D"):
        for pid, n in (("A", 60), ("B", 40)):
            for i in range(n):
                sid = f"{pid}{d:%m%d}{i:03d}"
                spike = d == T("2026-10-20") and pid == "A"
                refunded = (i < 30) if spike else (i % 10 == 0)
                orders.append({"sub_order_id": sid, "product_id": pid, "product_name": f"商品{pid}",
                               "pay_time": d + pd.Timedelta(hours=10), "refunded": refunded,
                               "ship_time": pd.NaT if spike and refunded else d + pd.Timedelta(days=1),
                               "province": "广东省" if i % 2 else "新疆维吾尔自治区",
                               "after_sale_count": int(refunded), "complete_time": pd.NaT,
                               "order_status": "completed", "payable_amount": 100.0})
                if refunded:
                    sales.append({"sub_order_id": sid, "is_refund_success": True,
                                  "apply_time": d + pd.Timedelta(hours=12),
                                  "reason": "多拍 / 错拍 / 不想要" if spike else "质量问题",
                                  "after_sale_type": "refund_unshipped" if spike else "return_refund",
                                  "outbound_logistics_state": None if spike else "已签收"})
    return pd.DataFrame(orders), pd.DataFrame(sales)


def test_detect_names_the_products_and_reasons_behind_a_bad_day():
    outcomes, sales = _tables()
    shop, found = anomaly.detect(outcomes, sales, "2026-10", taxonomy=None)
    assert {(a["date"], a["scope"], a["product_id"], a["rule"]) for a in found} == {
        ("2026-10-20", "shop", None, "binomial"), ("2026-10-20", "shop", None, "threshold"),
        ("2026-10-20", "product", "A", "binomial"), ("2026-10-20", "product", "A", "threshold")}
    a = next(x for x in found if x["scope"] == "shop" and x["rule"] == "binomial")
    assert (a["value"], a["baseline"], a["paid_sub_orders"], a["refunded"]) == (0.34, 0.1, 100, 34)
    assert a["expected"] == pytest.approx(10.0)
    assert a["drivers"]["products"] == [{"product_id": "A", "product_name": "商品A",
                                         "paid_sub_orders": 60, "refunded": 30, "excess_refunds": 24.0}]
    assert a["drivers"]["reasons"][0] == {"reason": "多拍 / 错拍 / 不想要", "category": "",
                                          "count": 30, "share": round(30 / 34, 4)}
    assert a["drivers"]["stage"] == {"stage": "before_shipping", "label": "发货前（未发货仅退款）",
                                     "share": round(30 / 34, 4)}
    json.dumps(found)  # plain JSON types
    assert len(shop) == 31 and shop["binomial_fired"].sum() == 1


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
def sample_anomalies(workspace):
    ctx = build_context("2026-10", raw_dir=workspace / "raw", external_dir=workspace / "external",
                        processed_dir=workspace / "processed", conf_dir=workspace / "conf")
    return ch5_monitoring.build(ctx).metrics()


def test_sample_finds_the_planted_spike_and_at_most_one_other_day(sample_anomalies):
    found = sample_anomalies["anomalies"]
    days = {a["date"] for a in found}
    assert SPIKE in days and len(days - {SPIKE}) <= 1
    test_days = {a["date"] for a in found if a["rule"] == "binomial"}
    assert test_days == {SPIKE}                                # the volume-aware test: only the spike
    shop = {a["rule"]: a for a in found if a["scope"] == "shop" and a["date"] == SPIKE}
    assert set(shop) == {"binomial", "threshold"}
    assert shop["binomial"]["value"] > 3 * shop["binomial"]["baseline"]
    planted = set(sample.PLANTED["spike"]["product_ids"])
    assert {p["product_id"] for p in shop["binomial"]["drivers"]["products"]} <= planted
    assert shop["binomial"]["drivers"]["stage"]["stage"] == "before_shipping"
    json.dumps(sample_anomalies, allow_nan=False)


def _chapter5(html: str) -> str:
    start = html.rfind("五、可视化与预警")
    end = html.rfind("六、行业与竞品对标")
    return html[start:end]


def test_report_chapter5_shows_spike_charts_and_no_secret(report):
    _, html, _ = report
    part = _chapter5(html)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", part))
    assert "本月共 1 天出现异常：10-17" in text or "本月共 2 天出现异常" in text
    assert "10-17" in text and "退货预警" in text
    assert "流失最多的环节" in text and "行业区间" in text and "显示为灰色" in text
    assert part.count("data:image/png;base64") >= 4           # rule, trend, heatmap, funnel
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
