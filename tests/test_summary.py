"""The summary (摘要): equal-age comparison, the decompositions that add up, the day-level tests,
the action rules — on data small enough to check by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from returns_kit import summary as S
from returns_kit.core.periods import equal_age_cutoff
from returns_kit.core.stats import holm, mean_change_test, ratio_change_test
from returns_kit.decomposition import level_decomposition, rate_decomposition, share_decomposition
from returns_kit.errors import ParameterError
from returns_kit.metrics import known_at

T = pd.Timestamp


# -- decompositions, by hand ----------------------------------------------------------------

def _seg(rows):
    return pd.DataFrame(rows, columns=["key", "paid", "refunded"])


def test_rate_decomposition_by_hand():
    # before: A 100/10, B 100/30 → R0 = 0.2;  after: A 150/15, B 50/20, C (new) 50/10 → R1 = 0.18
    before = _seg([("A", 100, 10), ("B", 100, 30)])
    after = _seg([("A", 150, 15), ("B", 50, 20), ("C", 50, 10)])
    t = rate_decomposition(before, after, "key").set_index("key")
    # R̄ = 0.19.  A: w 0.5→0.6, r 0.1 both: rate 0, mix 0.1·(0.1−0.19) = −0.009
    # B: w 0.5→0.2, r 0.3→0.4: rate 0.35·0.1 = 0.035, mix −0.3·(0.35−0.19) = −0.048
    # C: w 0→0.2, r 0.2 (its only month): rate 0, mix 0.2·(0.2−0.19) = 0.002
    expected = {"A": (0.0, -0.009), "B": (0.035, -0.048), "C": (0.0, 0.002)}
    for key, (rate, mix) in expected.items():
        assert t.loc[key, "rate_effect"] == pytest.approx(rate, abs=1e-12)
        assert t.loc[key, "mix_effect"] == pytest.approx(mix, abs=1e-12)
    assert t["contribution"].sum() == pytest.approx(0.18 - 0.2, abs=1e-15)
    assert list(t.index) == ["B", "A", "C"]  # by |contribution|: 0.013, 0.009, 0.002
    assert t.loc["C", "rate_before"] == 0.2 and t.loc["C", "paid_before"] == 0


def test_share_decomposition_by_hand():
    before = pd.DataFrame({"cat": ["主观原因"] * 5 + ["质量问题"] * 3, "refunded": 1})
    after = pd.DataFrame({"cat": ["主观原因"] * 6 + ["质量问题"] * 8 + ["物流问题"], "refunded": 1})
    t = share_decomposition(before, after, "cat", paid_before=40, paid_after=50).set_index("cat")
    assert t.loc["主观原因", "contribution"] == pytest.approx(6 / 50 - 5 / 40)   # −0.005
    assert t.loc["质量问题", "contribution"] == pytest.approx(8 / 50 - 3 / 40)   # +0.085
    assert t.loc["物流问题", "contribution"] == pytest.approx(1 / 50)           # +0.02
    assert t["contribution"].sum() == pytest.approx(15 / 50 - 8 / 40, abs=1e-15)
    assert (t["mix_effect"] == 0).all()


def test_level_decomposition_by_hand():
    after = _seg([("d1", 10, 2), ("d2", 30, 12)])
    t = level_decomposition(after, "key", pd.Series({"d1": 0.1, "d2": 0.3})).set_index("key")
    assert t.loc["d1", "contribution"] == pytest.approx(0.25 * (0.2 - 0.1))
    assert t.loc["d2", "contribution"] == pytest.approx(0.75 * (0.4 - 0.3))
    assert t["contribution"].sum() == pytest.approx(14 / 40 - (0.25 * 0.1 + 0.75 * 0.3))
    with pytest.raises(ValueError, match="no reference rate for d2"):
        level_decomposition(after, "key", pd.Series({"d1": 0.1}))


def test_decomposition_refuses_impossible_counts():
    with pytest.raises(ValueError, match="refunded ≤ paid"):
        rate_decomposition(_seg([("A", 5, 6)]), _seg([("A", 5, 1)]), "key")
    with pytest.raises(ValueError, match="both months need paid"):
        rate_decomposition(_seg([("A", 0, 0)]), _seg([("A", 5, 1)]), "key")


_counts = st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.integers(0, 500), st.integers(0, 500)),
                   min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(_counts, _counts)
def test_rate_decomposition_always_adds_up(before, after):
    b = _seg([(k, max(n, r), min(n, r)) for k, n, r in before])
    a = _seg([(k, max(n, r), min(n, r)) for k, n, r in after])
    if b["paid"].sum() == 0 or a["paid"].sum() == 0:
        return
    t = rate_decomposition(b, a, "key")
    total = a["refunded"].sum() / a["paid"].sum() - b["refunded"].sum() / b["paid"].sum()
    assert t["contribution"].sum() == pytest.approx(total, abs=1e-12)
    assert (t["rate_effect"] + t["mix_effect"] - t["contribution"]).abs().max() < 1e-15
    assert set(t["key"]) == set(b["key"]) | set(a["key"])


# -- the day-level tests --------------------------------------------------------------------

def test_ratio_change_test_by_hand():
    # before: days (10 paid, 1 refunded), (10, 3): R0 = 0.2, Σe² = 1 + 1 = 2,
    #   V0 = 2/1 · 2 / 20² = 0.01 (above the binomial 0.2·0.8/20 = 0.008)
    # after: (10, 2), (20, 7): R1 = 0.3, Σe² = 2, V1 = 2·2/30² = 0.00444 → binomial floor 0.21/30 = 0.007
    r = ratio_change_test([1, 3], [10, 10], [2, 7], [10, 20])
    assert r["before"] == pytest.approx(0.2) and r["after"] == pytest.approx(0.3)
    assert r["se"] == pytest.approx(math.sqrt(0.017))
    df = 0.017 ** 2 / (0.01 ** 2 + 0.007 ** 2)
    assert r["df"] == pytest.approx(df)
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(0.1 / math.sqrt(0.017), df))
    unfloored = ratio_change_test([1, 3], [10, 10], [2, 7], [10, 20], binomial_floor=False)
    assert unfloored["se"] == pytest.approx(math.sqrt(0.01 + 4 / 900))
    assert math.isnan(ratio_change_test([1], [10], [2, 7], [10, 20])["p_value"])  # one day only


def test_mean_change_test_is_welch_and_holm_is_holm():
    x0, x1 = [3.0, 5, 8, 2, 6], [7.0, 9, 4, 10, 12, 11]
    r = mean_change_test(x0, x1)
    ref = stats.ttest_ind(x1, x0, equal_var=False)
    assert r["t"] == pytest.approx(ref.statistic) and r["p_value"] == pytest.approx(ref.pvalue)
    p = [0.01, 0.04, 0.03, 0.2, 0.012]
    assert list(holm(p)) == list(multipletests(p, method="holm")[0])
    assert list(holm([0.001, np.nan])) == [True, False]


# -- equal cohort age -----------------------------------------------------------------------

def test_equal_age_cutoff_is_the_same_time_after_month_end():
    assert equal_age_cutoff("2026-10", T("2026-11-08 09:12"), "2026-09") == T("2026-10-08 09:12")
    assert equal_age_cutoff("2026-03", T("2026-04-02"), "2026-02") == T("2026-03-02")
    # never later than what is known
    assert equal_age_cutoff("2026-09", T("2026-10-05"), "2026-10") == T("2026-10-05")


def _after_sales(rows):
    cols = ["after_sale_id", "sub_order_id", "apply_time", "is_refund_success", "merchant_refund_time",
            "finish_time", "refund_goods_amount", "reason", "status_group"]
    f = pd.DataFrame(rows, columns=cols)
    for col in ("apply_time", "merchant_refund_time", "finish_time"):
        f[col] = pd.to_datetime(f[col])
    f["is_refund_success"] = f["is_refund_success"].astype(bool)
    return f


def test_known_at_forgets_what_came_later():
    a = _after_sales([
        ("X", "s1", T("2026-10-05"), True, T("2026-10-06"), pd.NaT, 10.0, "功能故障", "finished"),
        ("Y", "s2", T("2026-10-07"), True, T("2026-10-12"), pd.NaT, 20.0, "功能故障", "finished"),
        ("Z", "s3", T("2026-10-11"), True, T("2026-10-11"), pd.NaT, 30.0, "功能故障", "finished"),
        ("W", "s4", T("2026-10-02"), True, pd.NaT, T("2026-10-09"), 5.0, "功能故障", "finished"),
    ])
    k = known_at(a, T("2026-10-08"))
    assert list(k["after_sale_id"]) == ["X", "Y", "W"]
    assert list(k["is_refund_success"]) == [True, False, False]  # Y and W succeeded after the cutoff
    assert a["is_refund_success"].all()  # the input is not changed


def _outcomes(rows):
    """rows: (sub_order_id, pay_time, product_id, refunded)."""
    f = pd.DataFrame(rows, columns=["sub_order_id", "pay_time", "product_id", "refunded"])
    f["pay_time"] = pd.to_datetime(f["pay_time"])
    f["refunded"] = f["refunded"].astype(bool)
    f["product_name"] = f["product_id"].map({"A": "甲", "B": "乙", "C": "丙"})
    f["returned"] = False
    f["quality_refund"] = False
    f["refund_amount"] = np.where(f["refunded"], 10.0, 0.0)
    f["payable_amount"] = 100.0
    f["creator_id"], f["creator_name"], f["carrier"], f["damage"] = None, None, "顺丰速运", False
    f["province"] = "广东省"
    return f


def _pair(before, after, after_sales=None, previous_after_sales=None):
    empty = _after_sales([])
    return S.MonthPair(month="2026-10", previous="2026-09", as_of=T("2026-11-08 09:00"),
                       cutoff=T("2026-10-08 09:00"), outcomes=_outcomes(after),
                       previous_outcomes=_outcomes(before),
                       after_sales=after_sales if after_sales is not None else empty,
                       previous_after_sales=previous_after_sales if previous_after_sales is not None else empty)


def _rows(day, product, paid, refunded, start=0):
    return [(f"{day}-{product}-{i + start}", T(day) + pd.Timedelta(hours=10), product, i < refunded)
            for i in range(paid)]


BEFORE = _rows("2026-09-10", "A", 10, 1) + _rows("2026-09-20", "B", 10, 3)
AFTER = _rows("2026-10-10", "A", 10, 2) + _rows("2026-10-20", "B", 10, 2) + _rows("2026-10-20", "C", 10, 5)


def test_kpis_compare_at_equal_age_with_days_as_the_unit():
    apps = _after_sales([(f"a{i}", f"s{i}", T("2026-10-10 12:00") + pd.Timedelta(days=i % 3), i % 2 == 0,
                          pd.NaT, pd.NaT, 10.0, "功能故障", "finished") for i in range(6)])
    prev_apps = _after_sales([(f"b{i}", f"t{i}", T("2026-09-10 12:00"), True, pd.NaT, pd.NaT, 5.0, "功能故障",
                               "finished") for i in range(3)])
    k = S.kpis(_pair(BEFORE, AFTER, apps, prev_apps)).set_index("key")
    r = k.loc["refund_rate_count"]
    assert r["value"] == pytest.approx(9 / 30) and r["previous"] == pytest.approx(4 / 20)
    assert r["change"] == pytest.approx(0.1)
    assert r["p_value"] == pytest.approx(ratio_change_test([1, 3], [10, 10], [2, 7], [10, 20])["p_value"])
    assert not r["significant"]  # two days a month prove nothing
    assert k.loc["applications", "value"] == 6 and k.loc["applications", "previous"] == 3
    assert k.loc["application_refund_amount", "value"] == 30.0  # 3 of the 6 succeeded, ¥10 each
    daily = np.zeros(31)
    daily[9:12] = 2
    prev_daily = np.zeros(30)
    prev_daily[9] = 3
    assert k.loc["applications", "p_value"] == pytest.approx(mean_change_test(prev_daily, daily)["p_value"])


def test_kpis_without_last_month_say_so():
    k = S.kpis(_pair([], AFTER)).set_index("key")
    assert k["previous"].isna().all() and k["significant"].isna().all()
    assert S.drivers(_pair([], AFTER), taxonomy=None).empty


def test_same_age_reference_matches_days_before_month_end():
    before = _rows("2026-09-30", "A", 10, 5) + _rows("2026-09-01", "A", 10, 1) + _rows("2026-09-15", "A", 10, 2)
    ref = S.same_age_reference(_pair(before, AFTER), window=3)
    assert ref["2026-10-31"] == pytest.approx(0.5)   # Sep 27–30: only Sep 30 sold
    assert ref["2026-10-01"] == pytest.approx(0.1)   # 30 days before month end: Sep 1–3
    assert ref["2026-10-20"] == pytest.approx(8 / 30)  # no same-age days: last month's rate


def test_drivers_add_up_in_every_dimension(tmp_path):
    from returns_kit.core.taxonomy import load_taxonomy

    tax = load_taxonomy(S_CONF)
    d = S.drivers(_pair(BEFORE, AFTER), tax, top=2)
    total = 9 / 30 - 4 / 20
    for dim, part in d.groupby("dimension"):
        assert part["contribution"].sum() == pytest.approx(total, abs=1e-12), dim
    prod = d[d["dimension"] == "product"].set_index("key")
    expected = rate_decomposition(_seg([("A", 10, 1), ("B", 10, 3)]),
                                  _seg([("A", 10, 2), ("B", 10, 2), ("C", 10, 5)]), "key").set_index("key")
    kept = prod.index.dropna()
    assert len(kept) == 2 and "其他（1 个）" in set(prod["name"])  # the third product folded
    for key in kept:
        assert prod.loc[key, "contribution"] == pytest.approx(expected.loc[key, "contribution"])
    assert list(d["contribution"].abs()) == sorted(d["contribution"].abs(), reverse=True)


S_CONF = __import__("pathlib").Path(__file__).resolve().parents[1] / "conf"


# -- suggested actions ------------------------------------------------------------------------

def _driver(dim, key, name, points, category=None, reason=None):
    return {"dimension": dim, "key": key, "name": name, "contribution": points / 100, "rate_before": 0.1,
            "rate_after": 0.2, "top_category": category, "top_reason": reason, "top_reason_share": 0.5}


RULES = {"max_actions": 2, "rules": [
    {"lever": "商品优化", "when": {"dimension": "product", "reasons": ["大小／尺寸／重量与商品描述不符"]},
     "text": "「{name}」尺码（{points}）"},
    {"lever": "流程优化", "when": {"signal": "carrier_damage", "min_ratio": 2.0, "min_count": 5},
     "text": "{name} 破损 {ratio:.1f} 倍"},
    {"lever": "服务优化", "when": {"dimension": "creator"}, "text": "达人「{name}」"},
]}


def test_suggest_follows_the_rules_in_order():
    drivers = pd.DataFrame([
        _driver("creator", "\x00none", "店铺自营/无达人", 3.0),          # not actionable
        _driver("product", "P1", "碎花裙", 0.05, reason="大小／尺寸／重量与商品描述不符"),  # below 0.1 points
        _driver("product", "P2", "阔腿裤", 0.8, reason="大小／尺寸／重量与商品描述不符"),
        _driver("creator", "C1", "小鹿", 0.5),
    ])
    signals = {"carrier_damage": {"name": "极兔速递", "ratio": 4.05, "damaged": 32, "damage_rate": 0.042}}
    out = S.suggest(RULES, drivers, signals)
    assert [a["text"] for a in out] == ["「阔腿裤」尺码（+0.8 个百分点）", "极兔速递 破损 4.0 倍"]
    assert out[0]["lever"] == "商品优化" and "退款原因是“大小／尺寸／重量与商品描述不符”" in out[0]["evidence"]
    assert out[1]["evidence"] == "极兔速递破损率 4.2%，是其他快递的 4.0 倍（32 单破损）"
    weak = {"carrier_damage": {"name": "极兔速递", "ratio": 1.5, "damaged": 32, "damage_rate": 0.02}}
    assert [a["lever"] for a in S.suggest(RULES, drivers, weak)] == ["商品优化", "服务优化"]


def test_every_shipped_rule_can_be_filled():
    rules = S.load_action_rules(S_CONF)
    assert rules["max_actions"] == 3 and len(rules["rules"]) >= 6
    assert {r["lever"] for r in rules["rules"]} == set(S.LEVERS)
    for rule in rules["rules"]:
        S.suggest({"max_actions": 1, "rules": [rule]},
                  pd.DataFrame([_driver(d, "k", "名", 1.0, c, r) for d in ("product", "creator", "province")
                                for c in ("质量问题", "描述不符", "物流问题", "主观原因")
                                for r in ("大小／尺寸／重量与商品描述不符", "功能故障")]),
                  {"carrier_damage": {"name": "极兔速递", "ratio": 3.0, "damaged": 9, "damage_rate": 0.05},
                   "hidden_quality": {"count": 9, "share": 0.2}})


def test_bad_action_rules_name_the_rule(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "actions.yml").write_text(
        "rules:\n  - {lever: 营销优化, when: {dimension: product}, text: x}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="actions.yml rule 1: lever must be one of"):
        S.load_action_rules(tmp_path)
    (tmp_path / "base" / "actions.yml").write_text(
        "rules:\n  - {lever: 商品优化, when: {dimension: product, colour: red}, text: x}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown condition"):
        S.load_action_rules(tmp_path)
    bad = {"max_actions": 3, "rules": [{"lever": "商品优化", "when": {"dimension": "product"}, "text": "{nme}"}]}
    with pytest.raises(ParameterError, match="unknown placeholder"):
        S.suggest(bad, pd.DataFrame([_driver("product", "P", "裙", 1.0)]), {})


def test_robust_between_variance_ignores_the_few_that_really_moved():
    from returns_kit.core.stats import random_effects_variance, robust_between_variance

    rng = np.random.default_rng(3)
    v = rng.uniform(0.01, 0.05, 400)
    pure = rng.normal(0, np.sqrt(v))
    assert robust_between_variance(pure, v) < 0.005  # no drift: (about) none found
    drift = rng.normal(0, np.sqrt(v + 0.04))
    assert robust_between_variance(drift, v) == pytest.approx(0.04, abs=0.015)
    moved = drift.copy()
    moved[:60] += 1.5  # 15% of the segments really changed
    assert robust_between_variance(moved, v) == pytest.approx(0.04, abs=0.015)
    assert random_effects_variance(moved, v)[0] > 0.3  # the mean-based estimate calls it all drift
    assert robust_between_variance([0.1, 0.2], [0.01, 0.01]) == 0.0  # too few to say


def test_a_shop_s_first_month_has_a_summary_without_drivers():
    """The first month a shop exports has no month before it: no driver, no change — and a
    driver table with its columns (the notebook shows it empty), not a KeyError."""
    from returns_kit.chapters import ch0_summary
    from returns_kit.chapters.context import Context
    from tiny_month import CONF, dataset

    ctx = Context.of("2026-09", dataset(), conf_dir=CONF, interventions=[],
                     luopan=pd.DataFrame(), third_party=pd.DataFrame(),
                     external_files=pd.DataFrame(columns=["file", "kind", "source", "rows"]))
    ch = ch0_summary.build(ctx)
    assert not ch.pair.has_previous
    table = ch.driver_table
    assert table.empty and {"dimension", "name", "contribution", "rate_before", "rate_after"} <= set(table.columns)
    assert ch.metrics()["summary"]["drivers"] == [] and ch.metrics()["summary"]["previous_month"] is None


def test_the_kept_summary_holds_the_pairs_dates_not_its_tables():
    """The summary object is kept between runs (chapters.base.kept): it carries the compared
    months and times, not the month pair's sub-order tables (a gigabyte at the export limits)."""
    import pickle

    from returns_kit.chapters import ch0_summary
    from returns_kit.chapters.context import Context
    from tiny_month import CONF, dataset

    ctx = Context.of("2026-10", dataset(), conf_dir=CONF, interventions=[],
                     luopan=pd.DataFrame(), third_party=pd.DataFrame(),
                     external_files=pd.DataFrame(columns=["file", "kind", "source", "rows"]))
    ch = ch0_summary.build(ctx)
    pair = S.month_pair(ctx.data.orders, ctx.data.after_sales, ctx.outcomes, ctx.taxonomy, ctx.month, ctx.as_of)
    assert ch.pair == pair.dates() and ch.pair.has_previous and ch.pair.age_days == pair.age_days
    assert (ch.pair.month, ch.pair.previous, ch.pair.cutoff) == (pair.month, pair.previous, pair.cutoff)
    assert len(pickle.dumps(ch.pair)) < 1_000 < len(pickle.dumps(pair.outcomes))
    assert ch.metrics()["summary"]["compared_at"] == pair.cutoff.strftime("%Y-%m-%d %H:%M:%S")
