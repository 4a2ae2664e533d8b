"""The monitor's parts on hand-checked numbers: the variance model (dispersion), the cohort clock
(equal age, maturity, mix standardisation, promotions) and the event clock (the nowcast)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from returns_kit.cohort_clock import (CohortClockSettings, at_age, cohort_counts, expected_days,
                                      refund_success_times, segment_counts)
from returns_kit.dispersion import (KAPPA_DF_SHARE, Comparison, count_tail, estimate_kappa, expected_false_alarms,
                                    family_alpha, level_rel_var)
from returns_kit.event_clock import EventClockSettings, event_lags, expected_events

T = pd.Timestamp


# --------------------------------------------------------------------------------------------
# dispersion
# --------------------------------------------------------------------------------------------

def test_variance_adds_counting_noise_wobble_and_baseline_error():
    c = Comparison(observed=30, expected=20, rate=0.1, kappa=0.01, level_rel_var=0.005, df=27)
    # 20 × 0.9 binomial + (0.01 + 0.005) × 20² = 18 + 6
    assert c.variance == pytest.approx(24.0)
    assert c.z == pytest.approx(10 / math.sqrt(24))
    assert c.ratio == 1.5
    # the tail: a negative binomial with mean 20 and variance 24, read off a t with 27/2 df
    r = 400 / (24 - 20)
    tail = stats.nbinom.sf(29, r, r / (r + 20))
    assert count_tail(30, 20, 24) == pytest.approx(tail)
    assert c.p_value == pytest.approx(stats.t.sf(stats.norm.isf(tail), 27 * KAPPA_DF_SHARE))
    # wider than what the binomial test alone says (which is what made it fire too often)
    assert c.p_value > 2 * stats.binom.sf(29, 200, 0.1)


def test_count_tail_poisson_and_below_poisson_spread():
    assert count_tail(15, 10, 10) == pytest.approx(stats.poisson.sf(14, 10))
    assert count_tail(15, 10, 5) == pytest.approx(stats.binom.sf(14, 20, 0.5))   # n p = 10, 1 − p = 0.5
    assert Comparison(0, 0, None, 0, 0, 10).p_value == 1.0
    assert Comparison(2, 0, None, 0, 0, 10).p_value == 0.0 and Comparison(2, 0, None, 0, 0, 10).z == math.inf


def test_fires_needs_significance_lift_and_excess():
    c = Comparison(observed=30, expected=20, rate=None, kappa=0.0, level_rel_var=0.0, df=100)
    assert c.fires(alpha=0.05, min_lift=0.15, min_excess=3)
    assert not c.fires(alpha=c.p_value / 2, min_lift=0.15, min_excess=3)
    assert not c.fires(alpha=0.05, min_lift=0.6, min_excess=3)     # +50% < +60%
    assert not c.fires(alpha=0.05, min_lift=0.15, min_excess=11)   # 10 more < 11


def test_kappa_by_moments_on_hand_days():
    e = [10, 10, 10, 10]
    # Σ(O−E)² = 100 + 25 + 0 + 25 = 150, minus Poisson Σ E = 40 → 110 / Σ E² 400, × 4/3
    assert estimate_kappa([20, 5, 10, 15], e) == pytest.approx(110 / 400 * 4 / 3)
    assert estimate_kappa([20, 5, 10, 15], e, rate=0.1) == pytest.approx(114 / 400 * 4 / 3)
    assert estimate_kappa([12, 8, 10, 14], e) == 0.0          # less spread than Poisson: no wobble
    assert estimate_kappa([20, 5], [10, 10]) == 0.0           # fewer than 3 days
    assert level_rel_var(e, 110 / 400) == pytest.approx((40 + 110) / 1600)
    assert level_rel_var([0, 0], 0.1) == math.inf


def test_family_alpha_spends_the_budget_and_is_capped():
    assert family_alpha(0.6, 30) == pytest.approx(0.02)
    assert family_alpha(1.5, 4) == 0.05                       # 0.375 would be absurd: capped
    assert family_alpha(1.5, 4, max_alpha=0.5) == 0.375
    assert family_alpha(1.0, 0) == 0.0


def test_expected_false_alarms_of_a_fixed_lift_rule():
    # +20% on a day expecting 100 with sd 10: P(t₆ > 2)
    assert expected_false_alarms([100], [10], 0.2, df=6) == pytest.approx(stats.t.sf(2, 6))
    assert expected_false_alarms([100, 0], [10, 5], 0.2, df=6) == pytest.approx(stats.t.sf(2, 6))


# --------------------------------------------------------------------------------------------
# cohort clock
# --------------------------------------------------------------------------------------------

def _after_sales(rows):
    cols = ["sub_order_id", "is_refund_success", "apply_time", "merchant_refund_time", "finish_time"]
    return pd.DataFrame(rows, columns=cols)


def test_refund_time_and_equal_age():
    pay = T("2026-10-01 10:00")
    outcomes = pd.DataFrame({"sub_order_id": ["a", "b", "c", "d"], "pay_time": [pay] * 4,
                             "product_id": ["P"] * 4})
    sales = _after_sales([
        ["a", True, pay + pd.Timedelta(days=1), pay + pd.Timedelta(days=4), pd.NaT],
        ["a", True, pay + pd.Timedelta(days=5), pay + pd.Timedelta(days=6), pd.NaT],  # a second: earliest counts
        ["b", True, pay + pd.Timedelta(days=6), pd.NaT, pay + pd.Timedelta(days=8)],  # 完结时间 when no 退款时间
        ["c", False, pay + pd.Timedelta(days=1), pd.NaT, pd.NaT],                      # not refunded
        ["d", True, pay + pd.Timedelta(days=7), pd.NaT, pd.NaT],                       # application time at last
    ])
    times = refund_success_times(sales)
    assert times.to_dict() == {"a": pay + pd.Timedelta(days=4), "b": pay + pd.Timedelta(days=8),
                               "d": pay + pd.Timedelta(days=7)}
    aged = at_age(outcomes, sales, 7)
    assert aged["refunded_at_age"].tolist() == [True, False, False, True]  # 7 days to the minute count
    assert at_age(outcomes, sales, 8)["refunded_at_age"].tolist() == [True, True, False, True]


def test_only_mature_pay_days_are_counted_per_product_and_channel():
    aged = pd.DataFrame({
        "pay_time": [T("2026-10-01 09:00"), T("2026-10-01 23:59"), T("2026-10-01 12:00"), T("2026-10-02 00:01")],
        "product_id": ["A", "A", "B", "A"], "creator_id": [None, "C", None, None],
        "refunded_at_age": [True, False, True, False]})
    # 10-01 is 7 days old once 10-09 00:00 has passed (its last order, 23:59, then had its 7 days)
    counts = cohort_counts(aged, T("2026-10-09"), 7)
    assert counts.to_dict("records") == [
        {"date": T("2026-10-01"), "product_id": "A", "live": False, "paid": 1, "refunded": 1},
        {"date": T("2026-10-01"), "product_id": "A", "live": True, "paid": 1, "refunded": 0},
        {"date": T("2026-10-01"), "product_id": "B", "live": False, "paid": 1, "refunded": 1}]
    assert cohort_counts(aged, T("2026-10-08 23:59"), 7).empty
    seg = segment_counts(counts, ["A"])
    assert seg.to_dict("records") == [
        {"date": T("2026-10-01"), "segment": "A|live", "paid": 1, "refunded": 0},
        {"date": T("2026-10-01"), "segment": "A|shop", "paid": 1, "refunded": 1},
        {"date": T("2026-10-01"), "segment": "其他商品|shop", "paid": 1, "refunded": 1}]


def _segments(days):
    """days: list of (date, {segment: (paid, refunded)})."""
    return pd.DataFrame([{"date": T(d), "segment": s, "paid": n, "refunded": k}
                         for d, segs in days for s, (n, k) in segs.items()])


SETTINGS = CohortClockSettings(age_days=7, baseline_days=28, min_baseline_days=10, min_day_orders=30,
                               segment_prior=20.0, promo_prior_refunds=30.0, promo_prior_rel_sd=0.30)
BASE = [(f"2026-09-{d:02d}", {"X|shop": (100, 5), "Y|shop": (100, 25)}) for d in range(1, 13)]


def test_expected_refunds_are_mix_standardised():
    """A day that sold only the high-return product Y is not anomalous for that alone."""
    days = expected_days(_segments(BASE + [("2026-09-13", {"Y|shop": (200, 50)})]), set(), SETTINGS)
    assert [d.comparison is None for d in days] == [True] * 10 + [False] * 3   # 10 baseline days first
    d = days[-1]
    rate_y = (12 * 25 + 20 * 0.15) / (1200 + 20)                    # shrunk toward the shop's 15%
    assert d.comparison.expected == pytest.approx(200 * rate_y)      # 49.7, not 200 × 15% = 30
    assert d.comparison.kappa == 0.0                                 # every baseline day exactly expected
    assert d.comparison.level_rel_var == pytest.approx(12 * 30 * 0.85 / 360 ** 2)
    assert d.baseline_kind == "normal" and d.comparison.p_value > 0.4
    small = expected_days(_segments(BASE + [("2026-09-13", {"Y|shop": (29, 20)})]), set(), SETTINGS)[-1]
    assert small.comparison is None and small.baseline_kind == "history"   # < min_day_orders


def test_promotion_days_against_earlier_promotions_with_shrinkage():
    promos = {T("2026-09-13"), T("2026-09-15")}
    segs = BASE + [("2026-09-13", {"X|shop": (200, 20), "Y|shop": (200, 60)}),
                   ("2026-09-14", {"X|shop": (100, 5), "Y|shop": (100, 25)}),
                   ("2026-09-15", {"X|shop": (200, 20), "Y|shop": (200, 60)})]
    days = {d.date: d for d in expected_days(_segments(segs), promos, SETTINGS)}
    first, second = days[T("2026-09-13")], days[T("2026-09-15")]
    rate_x, rate_y = (60 + 3) / 1220, (300 + 3) / 1220
    normal = 200 * rate_x + 200 * rate_y                             # 60.0 refunds expected on ordinary terms
    # the first promotion has no history: same expectation, a wide prior (+0.3² on the level)
    assert first.baseline_kind == "promotion_prior" and first.expected_normal == pytest.approx(normal)
    assert first.comparison.expected == pytest.approx(normal)
    assert first.comparison.level_rel_var == pytest.approx(12 * 30 * 0.85 / 360 ** 2 + 0.09)
    # the second is judged against the first: uplift 80 / 60, shrunk toward 1 by 30 pseudo-refunds
    assert second.baseline_kind == "promotion"
    assert second.comparison.expected == pytest.approx(normal * (80 + 30) / (normal + 30))
    assert days[T("2026-09-14")].baseline_kind == "normal"           # promotions stay out of ordinary baselines


def test_decide_keeps_alert_days_out_of_later_baselines():
    segs = BASE + [("2026-09-13", {"X|shop": (100, 40), "Y|shop": (100, 60)}),
                   ("2026-09-14", {"X|shop": (100, 5), "Y|shop": (100, 25)})]
    kept = expected_days(_segments(segs), set(), SETTINGS, decide=lambda d: d.date == T("2026-09-13"))
    mixed = expected_days(_segments(segs), set(), SETTINGS)
    assert kept[-1].comparison.expected == pytest.approx(30.0)       # the bad day left the baseline
    assert mixed[-1].comparison.expected > 31 and mixed[-1].comparison.kappa > 0


# --------------------------------------------------------------------------------------------
# event clock
# --------------------------------------------------------------------------------------------

def test_event_lags_count_by_pay_day_and_event_day():
    outcomes = pd.DataFrame({"sub_order_id": ["a", "b", "c"], "pay_time": [
        T("2026-10-01 10:00"), T("2026-10-01 23:00"), T("2026-10-02 08:00")]})
    sales = _after_sales([
        ["a", True, T("2026-10-02 09:00"), T("2026-10-04 09:00"), pd.NaT],
        ["b", False, T("2026-10-02 10:00"), pd.NaT, pd.NaT],
        ["c", True, T("2026-10-05 10:00"), T("2026-10-06 10:00"), pd.NaT],
        ["z", True, T("2026-10-05 10:00"), T("2026-10-06 10:00"), pd.NaT],   # its order is not in the data
    ])
    paid, apps = event_lags(outcomes, sales, "applications")
    assert paid.to_dict() == {T("2026-10-01"): 2, T("2026-10-02"): 1}
    assert apps.sort_values(["pay_day", "event_day"]).to_dict("records") == [
        {"pay_day": T("2026-10-01"), "event_day": T("2026-10-02"), "events": 2},
        {"pay_day": T("2026-10-02"), "event_day": T("2026-10-05"), "events": 1}]
    _, refunds = event_lags(outcomes, sales, "refunds", refund_success_times(sales))
    assert refunds.sort_values("pay_day").to_dict("records") == [
        {"pay_day": T("2026-10-01"), "event_day": T("2026-10-04"), "events": 1},
        {"pay_day": T("2026-10-02"), "event_day": T("2026-10-06"), "events": 1}]
    with pytest.raises(ValueError, match="unknown event"):
        event_lags(outcomes, sales, "exchanges")


def _steady(days=80, surge=None, big_sale=None):
    """100 paid a day; each pay-day brings 5 applications one day later and 5 three days later."""
    axis = pd.date_range("2026-08-01", periods=days, freq="D")
    paid = pd.Series(100, index=axis)
    rows = [{"pay_day": d, "event_day": d + pd.Timedelta(days=k), "events": 5} for d in axis for k in (1, 3)]
    if surge is not None:   # 20 more applications on that day from orders paid two days before
        rows.append({"pay_day": axis[surge - 2], "event_day": axis[surge], "events": 20})
    if big_sale is not None:  # a day that sells 300: three times the applications follow
        paid.iloc[big_sale] = 300
        for r in rows:
            if r["pay_day"] == axis[big_sale]:
                r["events"] *= 3
    events = pd.DataFrame(rows)
    return paid, events[events["event_day"] <= axis[-1]], list(axis)


EVENT = EventClockSettings(max_lag_days=5, history_days=20, level_days=14, baseline_days=28,
                           min_baseline_days=10, min_expected=5.0)


def test_nowcast_catches_a_surge_on_its_day():
    paid, events, axis = _steady(surge=60)
    days = {d.date: d for d in expected_events(paid, events, axis, EVENT)}
    surge = days[axis[60]]
    assert (surge.events, surge.expected) == (30, pytest.approx(10.0))
    c = surge.comparison
    assert c.kappa == 0.0
    assert c.level_rel_var == pytest.approx(1 / (140 + 10))          # 14 level days × 10 events, + 10 prior
    assert c.variance == pytest.approx(10 + 100 / 150)
    assert c.p_value < 1e-3
    assert days[axis[59]].expected == pytest.approx(10.0) and days[axis[59]].comparison.p_value > 0.4
    assert days[axis[5]].comparison is None                          # fewer than 10 baseline days yet


def test_nowcast_follows_the_sales_that_feed_it():
    """A day that sold three times as much brings three times the applications a day and three
    days later: the nowcast expects them, so they are not an alarm."""
    paid, events, axis = _steady(big_sale=55)
    days = {d.date: d for d in expected_events(paid, events, axis, EVENT)}
    for k in (1, 3):
        d = days[axis[55 + k]]
        assert d.events == 20 and d.expected == pytest.approx(20.0)
    assert days[axis[57]].expected == pytest.approx(10.0)


def test_nowcast_counts_promotion_orders_with_their_uplift():
    paid, events, axis = _steady(big_sale=55)
    plain = {d.date: d for d in expected_events(paid, events, axis, EVENT, promotion_days={axis[55]})}
    # no earlier promotion cohort: uplift (0 + 10) / (0 + 10) = 1; h from ordinary pay-days
    assert plain[axis[56]].expected == pytest.approx(20.0)
    assert np.isfinite(plain[axis[56]].comparison.p_value)


def test_spread_comes_from_the_clocks_own_forecast_errors():
    """Once 10 ordinary days have been judged, κ is the excess spread of their forecast errors
    (observed − what was expected of them on the day), not of the baseline around its own mean."""
    wobbly = [(f"2026-09-{d:02d}", {"X|shop": (100, 5), "Y|shop": (100, 15 if d % 2 else 35)}) for d in range(13, 30)]
    days = expected_days(_segments(BASE + wobbly), set(), SETTINGS)
    judged = [d for d in days if d.comparison is not None]
    last, past = judged[-1], judged[:-1][-SETTINGS.spread_days:]
    o = np.array([d.refunded for d in past], dtype=float)
    e = np.array([d.comparison.expected for d in past])
    p = np.array([d.comparison.rate for d in past])
    assert len(past) >= SETTINGS.min_baseline_days
    spread = max(0.0, np.sum((o - e) ** 2 - e * (1 - p)) / np.sum(e * e))
    c = last.comparison
    assert spread > 0.05 and c.kappa + c.level_rel_var == pytest.approx(spread)
    # the part the baseline days show from one day to the next is independent wobble, the rest
    # is carried as the level's error (shared by the days of a pooled week)
    assert 0 < c.kappa < spread
    assert last.comparison.df == len(past) - 1
    # the first judged days, with no forecast errors yet, use the baseline days' spread and level
    assert judged[0].comparison.level_rel_var > 0


def test_a_new_product_without_a_real_baseline_is_not_judged():
    """Twelve days of 20 orders and 4 refunds are no baseline to judge a day by."""
    thin = [(f"2026-09-{d:02d}", {"N|shop": (20, int(d in (3, 5, 7, 9)))}) for d in range(1, 13)]
    days = expected_days(_segments(thin + [("2026-09-13", {"N|shop": (200, 30)})]), set(), SETTINGS)
    assert days[-1].comparison is None and days[-1].baseline_kind == "history"
    assert SETTINGS.min_baseline_refunds == 5
    one_more = thin + [("2026-09-13", {"N|shop": (20, 1)}), ("2026-09-14", {"N|shop": (200, 30)})]
    assert expected_days(_segments(one_more), set(), SETTINGS)[-1].comparison is not None   # 5 refunds
