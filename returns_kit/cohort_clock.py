"""The cohort clock: pay-day cohorts compared at equal age.

A pay-day's refund rate keeps rising for weeks, so the rate of last Tuesday's orders cannot be
compared with the rate of orders paid a month ago.  The cohort clock compares *refunded within
N days of payment* (``age_days``), and judges a pay-day only once its orders are N days old —
maturity can never raise an alert.

Expected refunds are **mix-standardised**: each sub-order of the judged day counts at its
segment's baseline rate (product × channel: live/creator orders return more than shop orders),
so a day that sold more of a high-return dress, or more through live sessions, is not by
itself anomalous.  The spread around that expectation is :mod:`returns_kit.dispersion`'s
(binomial + day-to-day wobble κ + the baseline's own error), κ measured on the clock's own
forecast errors of earlier days.  Promotion days are judged against
earlier promotion days: their uplift over the ordinary expectation, shrunk toward 1 when few
exist (a promotion with no history gets a wide prior instead of a false alarm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from .core.frames import rows
from .dispersion import Comparison, estimate_kappa, level_rel_var
from .metrics import refund_success_time

__all__ = ["CohortClockSettings", "refund_success_times", "at_age", "cohort_counts", "segment_counts",
           "CohortDay", "expected_days", "OTHER_PRODUCTS"]

OTHER_PRODUCTS = "其他商品"


@dataclass(frozen=True)
class CohortClockSettings:
    """How pay-day cohorts are compared (``alerts.yml`` → ``detection.cohort_clock``)."""

    age_days: int = 7               # refunded within this many days of payment
    baseline_days: int = 28         # previous comparable mature days in the baseline
    min_baseline_days: int = 10     # fewer → not judged
    min_day_orders: int = 30        # a day (or product-day) with fewer paid sub-orders is not judged
    min_baseline_refunds: int = 5   # a rate from fewer refunds is no baseline (a new product)
    spread_days: int = 56           # previous judged days whose forecast errors give the spread
    segment_prior: float = 20.0     # pseudo-orders shrinking a thin segment's rate toward the shop's
    promo_prior_refunds: float = 30.0   # pseudo-refunds shrinking the promotion uplift toward 1
    promo_prior_rel_sd: float = 0.30    # relative spread of the uplift of a promotion with no history
    promo_lookback_days: int = 400


def refund_success_times(after_sales: pd.DataFrame) -> pd.Series:
    """Earliest time each sub-order's refund succeeded (商家退款时间, else 售后完结时间, else the
    application time), over its successful refunds; indexed by ``sub_order_id``."""
    when = refund_success_time(after_sales)
    ok = when.notna()
    return when[ok].groupby(after_sales.loc[ok, "sub_order_id"]).min()


def at_age(outcomes: pd.DataFrame, after_sales: pd.DataFrame, age_days: int) -> pd.DataFrame:
    """Paid sub-orders with ``refunded_at_age``: a refund succeeded within ``age_days`` days of
    payment (``refunded`` counts refunds whenever they came)."""
    first = outcomes["sub_order_id"].map(refund_success_times(after_sales))
    within = first <= outcomes["pay_time"] + pd.Timedelta(days=age_days)
    return outcomes.assign(refunded_at_age=within.fillna(False).astype(bool))


def cohort_counts(aged: pd.DataFrame, as_of: pd.Timestamp, age_days: int) -> pd.DataFrame:
    """Paid and refunded-at-age sub-orders per pay-day × product × channel (``live``: a
    creator's or live session's order), for the pay-days at least ``age_days`` old at ``as_of``
    (a day paid up to 23:59 is mature once ``day + age_days + 1`` has passed).  Columns
    ``date, product_id, live, paid, refunded``."""
    cols = [c for c in ("pay_time", "product_id", "creator_id", "refunded_at_age") if c in aged]
    paid = rows(aged, aged["pay_time"].notna(), cols)
    day = paid["pay_time"].dt.normalize()
    mature = day + pd.Timedelta(days=age_days + 1) <= as_of
    paid = rows(paid, mature)
    live = paid["creator_id"].notna() if "creator_id" in paid else pd.Series(False, index=paid.index)
    frame = pd.DataFrame({"date": day[mature], "product_id": paid["product_id"].astype(object).fillna(""),
                          "live": live.to_numpy(), "refunded": paid["refunded_at_age"].astype(int)})
    g = frame.groupby(["date", "product_id", "live"])["refunded"].agg(["size", "sum"]).reset_index()
    return g.rename(columns={"size": "paid", "sum": "refunded"}).astype({"paid": int, "refunded": int})


def segment_counts(counts: pd.DataFrame, products: Iterable[str]) -> pd.DataFrame:
    """:func:`cohort_counts` summed per pay-day × mix segment: ``<product>|live`` or
    ``<product>|shop``, products outside ``products`` pooled as :data:`OTHER_PRODUCTS`.
    Columns ``date, segment, paid, refunded``."""
    keep = set(products)
    product = counts["product_id"].where(counts["product_id"].isin(keep), OTHER_PRODUCTS).astype(str)
    segment = product + np.where(counts["live"], "|live", "|shop")
    return (counts.assign(segment=segment).groupby(["date", "segment"], as_index=False)[["paid", "refunded"]]
            .sum())


@dataclass
class CohortDay:
    """One pay-day against its baseline (``comparison`` is None when it could not be judged)."""

    date: pd.Timestamp
    paid: int
    refunded: int
    promotion: bool
    baseline_kind: str  # normal | promotion | promotion_prior | history (too little)
    comparison: Comparison | None
    expected_normal: float = math.nan  # the ordinary expectation (before any promotion uplift)

    @property
    def rate(self) -> float:
        return self.refunded / self.paid if self.paid else math.nan

    @property
    def expected_rate(self) -> float:
        c = self.comparison
        return c.expected / self.paid if c is not None and self.paid else math.nan


def expected_days(counts: pd.DataFrame, promotion_days: set, settings: CohortClockSettings,
                  excluded: Iterable[pd.Timestamp] = (), decide=None,
                  min_day_orders: int | None = None) -> list[CohortDay]:
    """Every pay-day of ``counts`` (:func:`segment_counts` of one scope) against the previous
    comparable days, oldest first.

    ``excluded`` days never enter a baseline; ``decide(day) -> bool`` (optional) is called on
    each judged :class:`CohortDay` in order and returns whether the day joins an alert episode
    — such days are excluded from later baselines too, so one bad week does not become the
    normal it is judged against.  ``min_day_orders`` overrides the settings' volume floor (1 for
    days that are pooled into weeks before judging).

    The spread: once ``min_baseline_days`` ordinary days have been judged, the excess spread of
    this clock's own forecast errors on the previous ``spread_days`` of them,
    ``S = max(0, Σ[(O − E)² − E(1 − p)] / Σ E²)`` — day wobble, the baseline's own error and
    drift since the baseline in one measured figure (days in an alert episode left out).  It is
    split into the baseline days' own wobble ``κ`` (:func:`returns_kit.dispersion.estimate_kappa`,
    independent from day to day; at most S) and the rest, ``S − κ``, carried as the level's error
    (shared by neighbouring days, which matters when days are pooled into a week).  Before
    that, κ of the baseline days plus the baseline level's error.  Promotion days add the
    uplift's own uncertainty either way.
    """
    s = settings
    floor = s.min_day_orders if min_day_orders is None else min_day_orders
    if counts.empty:
        return []
    wide = counts.groupby(["date", "segment"])[["paid", "refunded"]].sum().unstack("segment", fill_value=0)
    n, o = wide["paid"], wide["refunded"]
    dates = list(n.index)
    position = {d: i for i, d in enumerate(dates)}
    paid_m, refunded_m = n.to_numpy(dtype=float), o.to_numpy(dtype=float)
    promos = {pd.Timestamp(d).normalize() for d in promotion_days}
    out_of_baseline = {pd.Timestamp(d) for d in excluded}
    expected_normal: dict[pd.Timestamp, float] = {}
    lookback = pd.Timedelta(days=s.promo_lookback_days)
    totals, refunds = paid_m.sum(axis=1), refunded_m.sum(axis=1)
    eligible: list[int] = []  # ordinary days with orders, oldest first
    days: list[CohortDay] = []
    errors: list[tuple] = []  # (day, observed, expected, rate) of judged ordinary days
    for i, day in enumerate(dates):
        paid, refunded = int(totals[i]), int(refunds[i])
        is_promo = day in promos
        prev = []
        for j in reversed(eligible):
            if dates[j] not in out_of_baseline:
                prev.append(j)
                if len(prev) == s.baseline_days:
                    break
        prev.reverse()
        record = CohortDay(day, paid, refunded, is_promo, "history", None)
        if (len(prev) >= s.min_baseline_days and paid >= floor
                and refunded_m[prev].sum() >= s.min_baseline_refunds):
            bn, bo = paid_m[prev], refunded_m[prev]
            p_shop = bo.sum() / bn.sum()
            seg_rate = (bo.sum(axis=0) + s.segment_prior * p_shop) / (bn.sum(axis=0) + s.segment_prior)
            e_base = bn @ seg_rate
            kappa = kappa_in = estimate_kappa(refunds[prev], e_base, p_shop)
            level = level_rel_var(e_base, kappa, p_shop)
            e_day = float(paid_m[i] @ seg_rate)
            record.expected_normal = e_day
            expected_normal[day] = e_day
            kind, uplift = "normal", 1.0
            if is_promo:
                earlier = [d for d in expected_normal if d < day and d in promos and d not in out_of_baseline
                           and d >= day - lookback]
                if earlier:
                    po = sum(int(refunds[position[d]]) for d in earlier)
                    pe = sum(expected_normal[d] for d in earlier)
                    uplift = (po + s.promo_prior_refunds) / (pe + s.promo_prior_refunds)
                    level += 1.0 / (po + s.promo_prior_refunds) + kappa / (len(earlier) + 1)
                    kind = "promotion"
                else:
                    level += s.promo_prior_rel_sd ** 2
                    kind = "promotion_prior"
            record.baseline_kind = kind
            df = len(prev) - 1
            past = [r for r in errors if r[0] not in out_of_baseline][-s.spread_days:]
            if len(past) >= s.min_baseline_days:
                # the spread of this clock's own forecast errors on earlier ordinary days: day
                # wobble, the baseline's error and drift since the baseline, all measured at once
                po_, pe_, pp_ = (np.array(x, dtype=float) for x in list(zip(*past))[1:])
                spread = max(0.0, float(np.sum((po_ - pe_) ** 2 - pe_ * (1 - pp_)) / np.sum(pe_ * pe_)))
                # split it: the baseline days' own wobble is independent from day to day, the
                # rest (level error, drift) is shared by neighbouring days — a pooled week needs that
                level -= level_rel_var(e_base, kappa_in, p_shop)  # keep only the promotion terms
                kappa = min(kappa_in, spread)
                level += spread - kappa
                df = len(past) - 1
            record.comparison = Comparison(refunded, e_day * uplift, min(p_shop * uplift, 1.0), kappa,
                                           max(level, 0.0), df)
            if not is_promo:
                errors.append((day, refunded, e_day, p_shop))
        days.append(record)
        if decide is not None and record.comparison is not None and decide(record):
            out_of_baseline.add(day)
        if paid > 0 and not is_promo:
            eligible.append(i)
    return days
