"""The event clock: each day's after-sale applications (or successful refunds) against the count
expected from the shop's recent sales and its own delay distribution — a nowcast.

Refunds arrive days to weeks after payment, so the number of applications a day should bring
depends on how much was sold in the days and weeks before.  With ``n_s`` sub-orders paid on day
``s`` and ``h(k)`` the share of a day's sub-orders that apply for an after-sale ``k`` days after
payment, the day ``t`` expects ``E_t = Σ_k n_{t−k} · h(k)``.  ``h`` is estimated from history
(pay-days of the previous ``history_days``, each lag only where it has been fully observed), so a
big promotion a week ago raises today's expectation and a slow month lowers it.  What this
clock catches is a surge *on the day it happens*: a defective batch, a viral complaint — things
the cohort clock sees only when the cohort has aged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dispersion import Comparison, estimate_kappa
from .core.frames import isin, positions, rows

__all__ = ["EventClockSettings", "EVENTS", "event_lags", "EventDay", "expected_events"]

#: event → Chinese name
EVENTS = {"applications": "售后申请", "refunds": "退款成功"}


@dataclass(frozen=True)
class EventClockSettings:
    """``alerts.yml`` → ``detection.event_clock``."""

    max_lag_days: int = 60      # support of the delay distribution
    history_days: int = 56      # pay-days whose delays estimate h
    level_days: int = 14        # recent days whose observed / expected ratio recalibrates the level
    baseline_days: int = 28     # previous days whose spread estimates κ
    min_baseline_days: int = 10
    min_expected: float = 5.0   # a day expecting fewer events is not judged


def event_lags(outcomes: pd.DataFrame, after_sales: pd.DataFrame, event: str = "applications",
               refund_times: pd.Series | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Paid sub-orders per pay-day and events per (pay-day, event day).

    ``event`` = ``applications`` (售后申请时间 of every after-sale whose sub-order is in the
    orders) or ``refunds`` (the time each sub-order's refund succeeded; ``refund_times`` from
    :func:`returns_kit.cohort_clock.refund_success_times`).  Returns ``(paid, events)``:
    ``paid`` indexed by pay-day; ``events`` with columns ``pay_day, event_day, events``.
    """
    paid_frame = rows(outcomes, outcomes["pay_time"].notna(), ["pay_time", "sub_order_id"])
    pay_day = paid_frame["pay_time"].dt.normalize()
    paid = pay_day.value_counts().sort_index()
    ids = paid_frame["sub_order_id"]  # one per paid sub-order; IDs stay in Arrow
    if event == "applications":
        a = after_sales[isin(after_sales["sub_order_id"], ids)]
        subs, when = a["sub_order_id"], a["apply_time"]
    elif event == "refunds":
        when = refund_times[isin(refund_times.index, ids)]
        subs = when.index
    else:
        raise ValueError(f"unknown event {event!r} (use {', '.join(EVENTS)})")
    at = positions(subs, ids)
    days = pay_day.to_numpy()[at]
    days[at < 0] = np.datetime64("NaT")
    frame = pd.DataFrame({"pay_day": days,
                          "event_day": pd.to_datetime(when).dt.normalize().to_numpy()}).dropna()
    events = frame.value_counts().rename("events").reset_index()
    return paid, events


@dataclass
class EventDay:
    """One day's events against the nowcast (``comparison`` None when not judged)."""

    date: pd.Timestamp
    events: int
    comparison: Comparison | None

    @property
    def expected(self) -> float:
        return self.comparison.expected if self.comparison is not None else math.nan


def expected_events(paid: pd.Series, events: pd.DataFrame, days: list[pd.Timestamp],
                    settings: EventClockSettings, excluded=(), decide=None,
                    promotion_days: set = frozenset()) -> list[EventDay]:
    """Each of ``days`` (consecutive days, oldest first) against its nowcast.

    For day ``t``: ``h(k)`` from the pay-days of the ``history_days`` before ``t`` (lag ``k``
    counted only for pay-days with ``s + k < t``, fully observed), ``E_t = Σ n_{t−k} h(k)``;
    κ from the previous ``baseline_days`` judged days not in an alert episode; the level's own
    error from the number of events ``h`` rests on.  ``decide(day) -> bool`` as in
    :func:`returns_kit.cohort_clock.expected_days`.  Orders paid on ``promotion_days`` return
    more often: ``h`` is estimated from ordinary pay-days, and a promotion pay-day's orders
    count with the uplift earlier promotion cohorts showed (shrunk toward 1).
    """
    s = settings
    if not days:
        return []
    start = min(days[0], paid.index.min() if len(paid) else days[0])
    first = start - pd.Timedelta(days=s.history_days + s.max_lag_days)
    axis = pd.date_range(first, days[-1], freq="D")
    index = {d: i for i, d in enumerate(axis)}
    n = paid.reindex(axis, fill_value=0).to_numpy(dtype=float)
    K = s.max_lag_days
    # A[s, k]: events k days after pay-day s
    A = np.zeros((len(axis), K + 1))
    lag = (events["event_day"] - events["pay_day"]).dt.days
    ok = events["pay_day"].isin(index) & (lag >= 0) & (lag <= K)
    for pday, k, c in zip(events.loc[ok, "pay_day"], lag[ok], events.loc[ok, "events"]):
        A[index[pday], int(k)] += c
    on_day = np.zeros(len(axis))  # events on each day from pay-days within the lag support
    for k in range(K + 1):
        on_day[k:] += A[: len(axis) - k, k]
    promo = np.array([d in promotion_days for d in axis])
    out_of_baseline = {pd.Timestamp(d) for d in excluded}
    judged: list[tuple[pd.Timestamp, float, float]] = []  # (day, observed, expected) for κ
    result = []
    for day in days:
        t = index[day]
        lo = max(0, t - s.history_days - K)
        pays = np.arange(lo, t)
        k = np.arange(K + 1)
        seen = pays[:, None] + k[None, :] < t  # lag k of pay-day s observed before day t
        ordinary = seen & ~promo[lo:t, None]
        num = (A[lo:t] * ordinary).sum(axis=0)
        den = (n[lo:t, None] * ordinary).sum(axis=0)
        h = np.divide(num, den, out=np.zeros(K + 1), where=den > 0)
        promo_rows = seen & promo[lo:t, None]
        uplift = ((A[lo:t] * promo_rows).sum() + 10.0) / ((n[lo:t, None] * promo_rows * h).sum() + 10.0)
        recent = n[max(0, t - K): t + 1][::-1]  # n_t, n_{t-1}, …
        weight = np.where(promo[max(0, t - K): t + 1][::-1], uplift, 1.0)
        raw = float((recent * weight) @ h[: len(recent)])
        observed = int(on_day[t])
        base = [(o, e) for d, o, e in judged if d not in out_of_baseline][-s.baseline_days:]
        record = EventDay(day, observed, None)
        # the lag shape from the long history, its level from the last `level_days` (drift, mix)
        lvl = base[-s.level_days:]
        ratio = (sum(o for o, _ in lvl) + 10.0) / (sum(e for _, e in lvl) + 10.0) if lvl else 1.0
        expected = raw * ratio
        if len(base) >= s.min_baseline_days and expected >= s.min_expected:
            bo, be = np.array(base).T
            kappa = estimate_kappa(bo, be)
            level = 1.0 / (sum(o for o, _ in lvl) + 10.0) + kappa / max(len(lvl), 1)
            record.comparison = Comparison(observed, expected, None, kappa, level, len(base) - 1)
        if raw > 0:
            judged.append((day, observed, raw))
        result.append(record)
        if decide is not None and record.comparison is not None and decide(record):
            out_of_baseline.add(day)
    return result
