"""Chapter 8: interventions — loading, windows, statistics (day-clustered product × day DiD, product drift,
placebo in time), maturity, recommendation."""

import html as html_lib
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from returns_kit import experiments
from returns_kit import interventions as iv
from returns_kit.chapters import ch8_interventions
from returns_kit.chapters.context import Context
from returns_kit.display import p_phrase
from returns_kit.core.stats import between_product_variance, clustered_did_test
from returns_kit.core.jsonable import jsonable
from returns_kit.io import Dataset
from returns_kit.errors import InputError
from returns_kit.sample import PLANTED

T = pd.Timestamp


def test_load_interventions(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "\ufeffname,product_ids,start_date,description,control_product_ids\n"
        "安装说明改版,\t3001;3002,2026-09-15,重写安装说明,3003\n", encoding="utf-8")
    [item] = experiments.load_interventions(tmp_path)
    assert item.product_ids == ["3001", "3002"] and item.control_product_ids == ["3003"]
    assert item.start_date == T("2026-09-15")
    assert experiments.load_interventions(tmp_path / "nowhere") == []


def test_load_interventions_rejects_a_bad_date_naming_file_row_column(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "name,product_ids,start_date,description,control_product_ids\nx,1,2026-09-15,,\ny,2,九月,,\n",
        encoding="utf-8")
    with pytest.raises(InputError, match=r"interventions.csv, row 3, column start_date"):
        experiments.load_interventions(tmp_path)


def test_load_interventions_rejects_a_product_in_both_groups(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "name,product_ids,start_date,description,control_product_ids\nx,1;2,2026-09-15,,2;3\n",
        encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column control_product_ids: product\(s\) 2"):
        experiments.load_interventions(tmp_path)


def test_before_after_uses_equal_windows_and_controls():
    rows = []
    # treated: before 10 orders 4 refunded; after 10 orders 1 refunded; control flat 2/10.
    # Data ends 09-20 09:00, so each window is 6 days: before = 09-09 … 09-14.
    for i in range(10):
        rows.append(("P1", T("2026-09-10") + pd.Timedelta(hours=i), i < 4))
        rows.append(("P1", T("2026-09-20") + pd.Timedelta(hours=i), i < 1))
        rows.append(("P2", T("2026-09-10") + pd.Timedelta(hours=i), i < 2))
        rows.append(("P2", T("2026-09-20") + pd.Timedelta(hours=i), i < 2))
    rows.append(("P1", T("2026-08-01"), True))  # outside the before window: ignored
    outcomes = pd.DataFrame(rows, columns=["product_id", "pay_time", "refunded"])
    item = experiments.Intervention("x", ["P1"], T("2026-09-15"), "", ["P2"])
    res = experiments.before_after(outcomes, item).set_index(["group", "period"])
    assert res.loc[("treated", "before"), "paid_sub_orders"] == 10
    assert res.loc[("treated", "before"), "refund_rate"] == 0.4
    assert res.loc[("treated", "before"), "window_start"] == T("2026-09-09")
    assert res.loc[("treated", "after"), "window_end"] == T("2026-09-20")
    assert res.loc[("treated", "after"), "refund_rate"] == 0.1
    assert res.loc[("control", "after"), "refunded"] == 2


# --------------------------------------------------------------------------------------------
# Statistics against published and scipy reference values
# --------------------------------------------------------------------------------------------

def test_two_proportion_test_matches_scipy_and_newcombe_1998():
    # Newcombe (1998), Stat Med 17:873, Table II example (a): 56/70 vs 48/80.
    r = experiments.two_proportion_test(48, 80, 56, 70)
    assert r["diff"] == pytest.approx(0.2)
    assert (round(r["wald_low"], 4), round(r["wald_high"], 4)) == (0.0575, 0.3425)  # method 1
    assert (round(r["ci_low"], 4), round(r["ci_high"], 4)) == (0.0524, 0.3339)  # method 10
    # the pooled z-test's p is the 2×2 χ² test without continuity correction
    chi2, p, _, _ = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert r["p_value"] == pytest.approx(p, rel=1e-10)
    assert r["z"] ** 2 == pytest.approx(chi2, rel=1e-10)
    # example (b): 9/10 vs 3/10 → 0.1705 … 0.8090
    r = experiments.two_proportion_test(3, 10, 9, 10)
    assert (round(r["ci_low"], 4), round(r["ci_high"], 4)) == (0.1705, 0.8090)
    chi2, p, _, _ = stats.chi2_contingency([[9, 1], [3, 7]], correction=False)
    assert r["p_value"] == pytest.approx(p, rel=1e-10)


def test_two_proportion_test_edge_cases():
    assert math.isnan(experiments.two_proportion_test(0, 0, 1, 10)["p_value"])
    same = experiments.two_proportion_test(0, 10, 0, 20)
    assert same["p_value"] == 1.0 and same["diff"] == 0.0 and same["ci_low"] < 0 < same["ci_high"]


def test_did_test_against_scipy_normal():
    r = experiments.did_test((60, 200), (30, 200), (50, 250), (45, 250))
    effect = (0.15 - 0.30) - (0.18 - 0.20)
    se = math.sqrt(0.3 * 0.7 / 200 + 0.15 * 0.85 / 200 + 0.2 * 0.8 / 250 + 0.18 * 0.82 / 250)
    assert r["effect"] == pytest.approx(effect)
    assert r["se"] == pytest.approx(se)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(effect / se)))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((effect - 1.96 * se, effect + 1.96 * se))
    assert math.isnan(experiments.did_test((1, 10), (1, 0), (1, 10), (1, 10))["p_value"])


# --------------------------------------------------------------------------------------------
# Product × day statistics: the day-clustered DiD and the product-drift term
# --------------------------------------------------------------------------------------------

def test_clustered_did_test_by_hand():
    """Two products, two days before and two after, 10 orders a day.  Treated 3, 5 | 1, 1
    refunds: 40% → 10%; control 2 a day: flat.  Effect −30 points.  Residuals: treated before
    ∓1 refund, the rest 0; day scores (A − Ā)/H · (k − n·fit) = ∓0.05/10·… = +0.05, −0.05, 0, 0;
    se = √(4/3 · 2 · 0.05²) = √(1/150); t(3)."""
    k = np.array([[3, 5, 1, 1], [2, 2, 2, 2]])
    n = np.full((2, 4), 10)
    after = np.array([False, False, True, True])
    r = clustered_did_test(k, n, [True, False], after)
    assert r["effect"] == pytest.approx(-0.3) and r["treated_change"] == pytest.approx(-0.3)
    assert r["control_change"] == pytest.approx(0.0) and (r["days"], r["df"], r["products"]) == (4, 3, 2)
    assert r["se"] == pytest.approx(math.sqrt(1 / 150)) and r["se_day"] == r["se"] and r["se_between"] == 0
    assert r["t"] == pytest.approx(-0.3 * math.sqrt(150))
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(0.3 * math.sqrt(150), 3))
    half = stats.t.ppf(0.975, 3) * math.sqrt(1 / 150)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.3 - half, -0.3 + half))
    # the drift term: between · Σ (h/H)² (r(1−r))², treated rate 10/40, control 8/40
    d = clustered_did_test(k, n, [True, False], after, between=0.5)
    extra = math.sqrt(0.5 * ((0.25 * 0.75) ** 2 + (0.2 * 0.8) ** 2))
    assert d["se_between"] == pytest.approx(extra) and d["se"] == pytest.approx(math.hypot(math.sqrt(1 / 150), extra))
    assert d["t_day"] == pytest.approx(r["t"]) and d["p_value"] > r["p_value"]


def test_clustered_did_test_matches_statsmodels_wls_with_product_effects():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    n = rng.integers(0, 30, size=(6, 20))
    n[4, :10] = 0  # product 4 sells only after the start: it must not count
    k = rng.binomial(n, 0.2)
    treated, after = np.array([1, 1, 0, 0, 0, 0], bool), np.arange(20) >= 8
    r = clustered_did_test(k, n, treated, after)
    cells = pd.DataFrame([(p, d, n[p, d], k[p, d] / n[p, d]) for p in range(6) for d in range(20)
                          if n[p, d] and p != 4], columns=["p", "d", "n", "y"])
    x = pd.get_dummies(cells["p"], prefix="p").astype(float)
    x["after"] = after[cells["d"]].astype(float)
    x["treated_after"] = x["after"] * treated[cells["p"]]
    fit = sm.WLS(cells["y"], x, weights=cells["n"]).fit(
        cov_type="cluster", cov_kwds={"groups": cells["d"], "use_correction": False})
    g = cells["d"].nunique()
    assert r["effect"] == pytest.approx(fit.params["treated_after"], abs=1e-12)
    assert r["se"] == pytest.approx(fit.bse["treated_after"] * math.sqrt(g / (g - 1)), rel=1e-9)
    assert (r["days"], r["products"]) == (g, 5)


def test_clustered_did_test_edge_cases():
    after = np.array([False, True])
    assert math.isnan(clustered_did_test([[1, 1], [1, 0]], [[10, 10], [10, 0]], [True, False], after)["effect"])
    one_day = clustered_did_test([[1, 1], [1, 1]], [[10, 10], [10, 10]], [True, False], np.array([True, True]))
    assert math.isnan(one_day["effect"])  # no before day at all
    flat = clustered_did_test([[2, 2, 1, 1], [2, 2, 2, 2]], np.full((2, 4), 10), [True, False],
                              np.array([False, False, True, True]))
    assert flat["se"] == 0 and flat["t"] == -math.inf and flat["p_value"] == 0.0


def test_between_product_variance_is_dersimonian_laird_over_placebo_products():
    rng = np.random.default_rng(3)
    days, after = 40, np.arange(40) >= 20
    n = rng.poisson(80, size=(8, days))
    level = rng.normal(-1.7, 0.3, size=8)[:, None] + np.where(after, rng.normal(0, 0.25, size=8)[:, None], 0)
    k = rng.binomial(n, 1 / (1 + np.exp(-level)))
    out = between_product_variance(k, n, after)
    xs, ws = [], []
    for q in range(8):
        r = clustered_did_test(k, n, np.arange(8) == q, after)
        scale = k[q].sum() / n[q].sum() * (1 - k[q].sum() / n[q].sum())
        xs.append(r["effect"] / scale)
        ws.append((scale / r["se_day"]) ** 2)
    x, w = np.array(xs), np.array(ws)
    q_stat = (w * (x - (w * x).sum() / w.sum()) ** 2).sum()
    assert out["products"] == 8 and out["q"] == pytest.approx(q_stat)
    assert out["variance"] == pytest.approx(max(0, (q_stat - 7) / (w.sum() - (w ** 2).sum() / w.sum())))
    assert out["variance"] > 0  # the products did move on their own (sd 0.25 on the logit)
    # too few products with enough orders: no estimate
    none = between_product_variance(k, n, after, min_orders=10_000)
    assert (none["variance"], none["products"]) == (0.0, 0) and math.isnan(none["q"])
    assert between_product_variance(k[:2], n[:2], after)["variance"] == 0.0


def test_placebo_rank_and_threshold():
    assert iv.placebo_rank(-2.0, [1.0, -2.5, 2.0, 0.3]) == (3, 4)  # ties count against
    assert iv.placebo_rank(-9.0, [1.0, -2.5]) == (1, 2)
    assert math.isnan(iv.placebo_rank(math.nan, [1.0])[0])
    rank, count = iv.placebo_rank(-2.0, [])
    assert math.isnan(rank) and count == 0
    assert iv.placebos_needed(0.1) == 9 and iv.placebos_needed(0.05) == 19
    assert iv.placebo_extreme(1, 9, 0.1) and not iv.placebo_extreme(1, 8, 0.1)
    assert iv.placebo_extreme(2, 19, 0.1) and not iv.placebo_extreme(3, 19, 0.1)
    assert not iv.placebo_extreme(1, 0, 0.1)


# --------------------------------------------------------------------------------------------
# Evaluation: DiD beats a plain before/after, days are the unit, placebo, maturity, sample size
# --------------------------------------------------------------------------------------------

def _outcomes(cells: dict[tuple[str, str], tuple[int, int]], start="2026-09-15", days=14, bunched=False):
    """Sub-orders spread evenly over ``days`` days before/after ``start``: cells are
    (product, period) → (refunded, orders).  The refunds are spread evenly among them (every
    day about the same rate), or ``bunched`` on the first sub-orders of the window (a bad day)."""
    start = T(start)
    rows = []
    for (product, period), (k, n) in cells.items():
        first = start - pd.Timedelta(days=days) if period == "before" else start
        for i in range(n):
            refunded = i < k if bunched else (i + 1) * k // n > i * k // n
            rows.append((product, first + pd.Timedelta(days=days) * (i / n), refunded))
    return pd.DataFrame(rows, columns=["product_id", "pay_time", "refunded"])


AS_OF = T("2026-11-30")  # long after the data: every window mature
ITEM = experiments.Intervention("改安装说明", ["P1"], T("2026-09-15"), "", ["C1"])
REAL = {("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
        ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)}
FEW_PRODUCTS = "店内调整前后各有至少 100 单的其他商品只有 1 个（少于 3 个），估计不了商品自身的漂移：区间只含每天的波动，可能偏窄。"


def test_shop_wide_trend_fools_a_plain_before_after_but_not_did():
    # everything falls from 30% to 20% (a season change): the treated product too
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (200, 1000)})
    r = experiments.evaluate(data, ITEM, as_of=AS_OF)
    assert (r["before_rate"], r["after_rate"]) == (0.3, 0.2)
    assert r["naive"]["p_value"] < 0.001  # the plain comparison looks like a clear success …
    assert r["effect"] == pytest.approx(0.0, abs=1e-12)  # … but the control fell just as much
    assert r["p_value"] > 0.5
    assert r["recommendation"] == "继续测试"
    assert "大盘" in r["reason"]


def test_refunds_bunched_on_a_few_days_are_not_an_effect():
    """The same counts as a real −10-point effect, but the refunds fall on the first days of
    each window (a bad live-stream day, a batch): sub-order by sub-order the drop looks certain,
    day by day it is noise."""
    r = experiments.evaluate(_outcomes(REAL, bunched=True), ITEM, as_of=AS_OF)
    assert r["effect"] == pytest.approx(-0.1)
    old = experiments.did_test((150, 500), (100, 500), (300, 1000), (300, 1000))
    assert old["p_value"] < 0.01 and r["naive"]["p_value"] < 0.001  # the old tests were sure
    assert r["p_value"] > 0.1 and r["days"] == 28  # 28 days, not 3,000 independent sub-orders
    assert r["recommendation"] == "继续测试"
    assert r["reason"] == (f"前后对比虽然显著，但扣除对照组同期变化（大盘）和每天的波动后不显著（p = {experiments.p_text(r['p_value'])}，"
                           "按 28 天聚类）：变化可能来自大盘或偶然波动，而不是这项调整，继续测试。")


def test_real_effect_is_rolled_out_and_a_harmful_one_stopped():
    r = experiments.evaluate(_outcomes(REAL), ITEM, as_of=AS_OF)
    assert r["effect"] == pytest.approx(-0.1) and -0.12 < r["ci_low"] < -0.1 < r["ci_high"] < -0.08
    assert r["p_value"] < 0.001 and (r["placebo_rank"], r["placebos"]) == (1, 9)
    assert r["recommendation"] == "全店推广"
    assert r["reason"] == ("按商品×天比较，扣除对照组同期变化后试点商品退款率显著下降（p < 0.001，按 28 天聚类），"
                           "且比调整前 9 个假开始日的变化都明显（排第 1/10）：建议推广到同类商品。")
    assert not r["immature"] and not r["too_small"] and r["warnings"] == [FEW_PRODUCTS]
    worse = _outcomes({("P1", "before"): (100, 500), ("P1", "after"): (150, 500),
                       ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    bad = experiments.evaluate(worse, ITEM, as_of=AS_OF)
    assert bad["recommendation"] == "停止"
    assert bad["reason"] == "扣除对照组同期变化后，试点商品的退款率显著上升（p < 0.001，按 28 天聚类）：建议停止并回滚。"


def test_a_drop_that_began_before_the_start_fails_the_placebo_check():
    """The treated product fell from 30% to 20% a week BEFORE the start date and stayed there:
    the real comparison (25% → 20%) is significant, but a fake start a week earlier shows a
    larger change — it was not the intervention."""
    start = T("2026-09-15")
    rows = []
    for day in range(-14, 14):
        rate = 0.3 if day < -7 else 0.2
        for i in range(40):
            rows.append(("P1", start + pd.Timedelta(days=day, hours=i * 0.5), (i + 1) * rate // 1 > i * rate // 1))
            rows.append(("C1", start + pd.Timedelta(days=day, hours=i * 0.5), (i + 1) * 0.25 // 1 > i * 0.25 // 1))
    r = experiments.evaluate(pd.DataFrame(rows, columns=["product_id", "pay_time", "refunded"]), ITEM, as_of=AS_OF)
    assert r["effect"] == pytest.approx(-0.05) and r["p_value"] < 0.05
    rank, count = r["placebo_rank"], r["placebos"]
    assert count == 9 and rank > 1
    assert r["recommendation"] == "继续测试"
    assert r["reason"] == (f"退款率显著下降（p = {experiments.p_text(r['p_value'])}，按 28 天聚类），但调整前的 9 个假开始日中有 "
                           f"{rank - 1} 个出现了同样大的变化（排第 {rank}/10）：可能是商品自身的波动，而不是这项调整，继续测试。")
    best = r["placebo"]["table"].loc[r["placebo"]["table"]["t"].abs().idxmax(), "start_date"]
    assert best == T("2026-09-08")  # the day the drop really happened


def test_a_short_before_period_cannot_roll_out():
    # only 10 days of data before the start: 5 placebos, 9 needed
    r = experiments.evaluate(_outcomes(REAL, days=10), ITEM, as_of=AS_OF)
    assert r["p_value"] < 0.001 and r["placebos"] == 5 and r["recommendation"] == "继续测试"
    assert r["reason"] == ("退款率显著下降（p < 0.001，按 20 天聚类），但调整前只有 10 天数据，假开始日只有 5 个（至少需要 9 个），"
                           "无法排除商品自身的波动：导入更早月份的订单，或继续测试。")


def test_product_fixed_effects_keep_the_control_mix_out_of_the_effect():
    """The rest of the shop: a 10% product and a 30% product, each flat; after the start the
    30% one sells five times as much.  The pooled control rate jumps 13.3% → 26.7%, which a
    pooled DiD would credit to the pilot as −13 points; each product compared with itself, the
    control did not move."""
    data = _outcomes({("P1", "before"): (60, 300), ("P1", "after"): (60, 300),
                      ("A", "before"): (50, 500), ("A", "after"): (10, 100),
                      ("B", "before"): (30, 100), ("B", "after"): (150, 500)})
    item = experiments.Intervention("x", ["P1"], T("2026-09-15"))
    r = experiments.evaluate(data, item, as_of=AS_OF)
    assert (r["control_before"], r["control_after"]) == pytest.approx((80 / 600, 160 / 600))
    assert experiments.did_test((60, 300), (60, 300), (80, 600), (160, 600))["effect"] == pytest.approx(-2 / 15)
    assert r["effect"] == pytest.approx(0.0, abs=1e-12) and r["did"]["control_change"] == pytest.approx(0.0, abs=1e-12)
    assert r["recommendation"] == "继续测试"
    assert "对照组合计退款率变化 +13.3 个百分点，按商品各自前后比较为 +0.0 个百分点：差别来自各商品销量占比的变化（或只在一个阶段有订单的商品），不算作效果。" in r["warnings"]


def test_without_controls_the_rest_of_the_shop_is_the_control():
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("X", "before"): (100, 1000), ("Y", "after"): (100, 1000)})
    item = experiments.Intervention("x", ["P1"], T("2026-09-15"))
    r = experiments.evaluate(data, item, as_of=AS_OF)
    assert (r["control_before"], r["control_after"]) == (0.1, 0.1)
    assert any("全店其他商品" in w for w in r["warnings"])
    # X sells only before, Y only after: no control product to compare with itself
    assert "2 个对照商品只在调整前或调整后有订单（新上架或停售），不参与比较。" in r["warnings"]
    assert math.isnan(r["effect"]) and r["recommendation"] == "继续测试"
    assert r["reason"].startswith("没有调整前后都有订单的试点商品和对照商品")


def test_sub_orders_and_product_days_give_the_same_evaluation():
    data = _outcomes(REAL)
    a = experiments.evaluate(data, ITEM, as_of=AS_OF)
    b = experiments.evaluate(iv.product_days(data), ITEM, as_of=AS_OF)
    for key in ("effect", "p_value", "ci_low", "ci_high", "placebo_rank", "placebos", "recommendation", "reason",
                "before_orders", "after_orders", "warnings"):
        assert a[key] == b[key], key
    pd.testing.assert_frame_equal(a["table"], b["table"])
    days = iv.product_days(data)
    assert list(days.columns) == ["product_id", "day", "paid_sub_orders", "refunded"]
    assert days["paid_sub_orders"].sum() == 3000 and days["refunded"].sum() == 850


def test_immature_after_cohort_is_flagged_and_not_rolled_out():
    data = _outcomes(REAL)
    # data pulled 5 days after the last order: no after-order is 30 days old yet
    r = experiments.evaluate(data, ITEM, as_of=T("2026-10-04"))
    assert r["immature"] and r["recommendation"] == "继续测试"
    assert r["window"]["after_end"] == T("2026-09-29")  # all the after-data is used
    assert any("不成熟" in w and "少于 30 天" in w for w in r["warnings"])
    # the same data, evaluated with a shorter maturity, is mature and rolled out
    assert experiments.evaluate(data, ITEM, as_of=T("2026-10-04"), maturity_days=5)["recommendation"] == "全店推广"


def test_after_window_stops_before_the_immature_orders():
    data = _outcomes(REAL)
    win = experiments.windows(data, ITEM, as_of=T("2026-10-24 09:00"), maturity_days=30)
    # orders paid from 09-24 on are not 30 days old: the after window is 09-15 … 09-23
    assert (win["start"], win["after_end"]) == (T("2026-09-15"), T("2026-09-24"))
    assert (win["before_start"], win["after_days"], win["before_days"]) == (T("2026-09-06"), 9, 9)
    assert not win["immature"]
    # a report month ending earlier cuts it too
    assert experiments.windows(data, ITEM, as_of=AS_OF, month="2026-09")["after_end"] == T("2026-09-29")
    assert experiments.windows(iv.product_days(data), ITEM, as_of=T("2026-10-24 09:00")) == win


def test_too_small_a_sample_keeps_testing():
    data = _outcomes({("P1", "before"): (15, 50), ("P1", "after"): (2, 40),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    r = experiments.evaluate(data, ITEM, as_of=AS_OF, min_orders=100)
    assert r["too_small"] and r["recommendation"] == "继续测试"
    assert any("样本太少" in w and "调整后 40 单" in w for w in r["warnings"])


def test_display_helpers_and_sentences():
    assert experiments.p_text(0.0402) == "0.040" and experiments.p_text(0.0001) == "<0.001"
    assert experiments.points_text(-0.0712) == "−7.1 个百分点"
    r = experiments.evaluate(_outcomes(REAL), ITEM, as_of=AS_OF)
    shown = experiments.for_display(experiments.tests_table(r))
    assert shown["estimate"].tolist() == ["−10.0 个百分点", "−10.0 个百分点"]
    assert list(shown.columns) == ["test", "estimate", "p_value", "interval"]
    assert shown["test"].tolist() == ["双重差分（商品×天，按天聚类 28 天，含商品自身漂移）：判定依据",
                                      "前后对比（试点商品，按子订单的两比例 z 检验）：仅作参考"]
    d = r["did"]
    interval = f"{experiments.points_text(d['ci_low']).split(' ')[0]} 至 {experiments.points_text(d['ci_high'])}"
    assert experiments.headline(r) == (
        "【改安装说明】2026-09-15 起。试点商品退款率 30.0% → 20.0%（调整前 09-01–09-14 500 单，调整后 09-15–09-28 500 单）；"
        f"对照组 30.0% → 30.0%。按商品×天比较、扣除对照组同期变化后的效果 −10.0 个百分点（95% 区间 {interval}，"
        "p < 0.001，按 28 天聚类）。")
    assert iv.placebo_text(r) == (
        "安慰剂检验：把开始日期换成调整前的 9 个日期（09-04 至 09-12）重新计算，这些日期什么也没改；"
        "按“效果 ÷ 按天聚类的标准误”比大小，真实开始日排第 1/10：没有一个假开始日出现同样大的变化。")
    assert iv.error_text(r) == (
        f"误差来源：每天的波动（按 28 天聚类，标准误 {d['se_day'] * 100:.1f} 个百分点）；"
        "店内单量足够的其他商品不到 3 个，商品自身的漂移没有计入。")
    chart = iv.placebo_chart(r)
    assert chart["label"].tolist()[:2] == ["真实 09-15", "假 09-04"] and len(chart) == 10
    assert chart.loc[0, "effect"] == pytest.approx(-0.1)


def test_settings_come_from_conf(tmp_path):
    (tmp_path / "base").mkdir()
    shutil.copy("conf/base/experiments.yml", tmp_path / "base")
    shutil.copy("conf/base/report.yml", tmp_path / "base")
    assert experiments.load_settings(tmp_path) == {"maturity_days": 30, "min_orders": 100, "alpha": 0.05,
                                                   "placebo_min_days": 3, "placebo_level": 0.1}
    (tmp_path / "local").mkdir()
    for text, column in (("alpha: 1.5\n", "alpha"), ("placebo_level: 0\n", "placebo_level"),
                         ("placebo_min_days: 0\n", "placebo_min_days"), ("placebos: 3\n", "placebos")):
        (tmp_path / "local" / "experiments.yml").write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=f"column {column}"):
            experiments.load_settings(tmp_path)


def test_chapter8_section_on_a_small_shop(tmp_path):
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    for name in ("reasons.yml", "report.yml", "experiments.yml"):
        shutil.copy(f"conf/base/{name}", conf / "base" / name)
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "interventions.csv").write_text(
        "name,product_ids,start_date,description,control_product_ids\n"
        "改安装说明,1001,2026-09-15,,2001\n以后再做,1001,2026-12-01,,\n", encoding="utf-8")
    outcomes = _outcomes({("1001", "before"): (150, 500), ("1001", "after"): (100, 500),
                          ("2001", "before"): (300, 1000), ("2001", "after"): (300, 1000)})
    orders = outcomes.assign(sub_order_id=[f"S{i}" for i in range(len(outcomes))],
                             payable_amount=10.0, export_time=AS_OF)
    after_sales = pd.DataFrame({
        "after_sale_id": [f"A{i}" for i in range(int(outcomes["refunded"].sum()))],
        "sub_order_id": orders.loc[orders["refunded"], "sub_order_id"].to_list(),
        "reason": "功能故障", "is_refund_success": True, "refund_goods_amount": 10.0,
        "after_sale_type": "return_refund", "status_group": "finished", "apply_time": T("2026-10-01"),
        "export_time": AS_OF,
    })
    data = Dataset.from_frames(after_sales, orders.drop(columns="refunded"))
    ctx = Context.of("2026-09", data, conf_dir=conf, external_dir=ext)
    ch = ch8_interventions.build(ctx)
    out = jsonable(ch.metrics())
    [rec] = out["interventions"]  # the December one has not started
    assert list(rec) == ["name", "start_date", "before_rate", "after_rate", "control_before", "control_after",
                         "effect", "ci_low", "ci_high", "p_value", "days", "placebo_rank", "placebos",
                         "naive_effect", "naive_p_value", "before_orders", "after_orders", "immature",
                         "recommendation"]
    assert rec["name"] == "改安装说明" and rec["start_date"] == "2026-09-15"
    assert (rec["before_rate"], rec["after_rate"], rec["control_before"], rec["control_after"]) == (0.3, 0.2, 0.3, 0.3)
    assert rec["effect"] == pytest.approx(-0.1) and rec["p_value"] < 0.01 and rec["ci_low"] < -0.1 < rec["ci_high"] < 0
    assert (rec["days"], rec["placebo_rank"], rec["placebos"]) == (28, 1, 9)
    assert rec["recommendation"] == "全店推广" and rec["immature"] is False
    assert all(type(v) in (str, int, float, bool) for v in rec.values())
    [part] = ch.sections()
    assert part["placebo_table"].columns.tolist() == ["start_date", "effect", "interval", "效果÷标准误(按天聚类)"]
    assert part["placebo_table"]["start_date"].tolist()[:2] == ["真实 09-15", "假 09-04"]
    assert part["placebo_table"]["effect"].iloc[0] == "−10.0 个百分点" and len(part["placebo_table"]) == 10
    assert part["placebo_chart"].columns.tolist() == ["label", "effect", "ci_low", "ci_high"]
    assert ch.summary_table.columns.tolist() == ["name", "start_date", "before_rate", "after_rate", "control_before",
                                                 "control_after", "effect", "interval", "p_value", "安慰剂名次",
                                                 "recommendation"]
    assert ch.summary_table["安慰剂名次"].tolist() == ["1/10"]
    empty = Context.of("2026-09", data, conf_dir=conf, external_dir=tmp_path / "none")
    assert ch8_interventions.build(empty).metrics() == {"interventions": []}


def test_sample_report_detects_the_planted_intervention(report):
    _, html, m = report
    planted = PLANTED["intervention"]
    [rec] = m["interventions"]
    assert rec["name"] == planted["name"] and rec["start_date"] == planted["start_date"]
    assert rec["before_rate"] == pytest.approx(planted["before_rate"], abs=0.02)
    assert rec["after_rate"] == pytest.approx(planted["after_rate"], abs=0.02)
    assert abs(rec["control_after"] - rec["control_before"]) < 0.02  # flat controls
    assert rec["effect"] < -0.05 and rec["p_value"] < 0.05  # DiD
    assert rec["naive_p_value"] < 0.05
    assert rec["recommendation"] == "全店推广" and not rec["immature"]
    ch8 = html[html.rindex(">八、优化效果验证"):]  # the heading, after the table of contents
    assert planted["name"] in ch8 and "全店推广" in ch8 and "双重差分" in ch8
    assert html_lib.escape(p_phrase(rec["p_value"])) in ch8  # "<" is escaped in HTML
    assert "安慰剂检验" in ch8 and f"排第 {rec['placebo_rank']}/{rec['placebos'] + 1}" in ch8
    assert rec["ci_low"] < rec["effect"] < rec["ci_high"] < 0 and rec["days"] >= 28
    assert "判定规则" in ch8 or "继续测试" in ch8
    assert np.isfinite(rec["after_orders"]) and rec["after_orders"] >= 100
