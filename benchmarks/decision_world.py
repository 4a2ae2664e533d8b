"""Simulated shops for the decision benchmarks: months with no real change, and months with a
planted one, at a given volume — realistic enough to break a naive detector.

What makes a simulated month hard (each is a parameter):

* **delays** — a refund succeeds days to weeks after payment: 20% before shipping (hours), 25%
  in transit (2–6 days), 55% after receipt (a 7-day no-reason window, a tail past 30 days);
  applications come before the refund, and about a third more after-sales never become refunds;
* **day-to-day wobble** — the day's traffic mix moves the rate: the share of live-session
  orders (which return 1.5× as often) varies from day to day, the product mix varies, and a
  residual day effect (``residual_wobble``, relative sd) remains; weekdays and promotions move
  the volume (promotions ×2.5 orders, ×1.15 returns);
* **drift** — each product's rate drifts (a weekly random walk on the log scale).

``simulate(...)`` returns the monitor's inputs (:class:`returns_kit.anomaly.MonitorInputs`) for
the last 30 days (the judged month), built from sub-order level draws but aggregated as the kit
aggregates them, plus what was planted.  Used by ``bench_alerts.py`` and, small, by
``tests/test_decisions_alerts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from returns_kit.anomaly import MonitorInputs

MONTH = "2026-10"
MONTH_START = pd.Timestamp("2026-10-01")
HISTORY_DAYS = 90            # days of data before the judged month
EXPORT_LAG_DAYS = 8          # the month is exported 8 days after it ends
PROMOTIONS = ((15, 3), (50, 3), (HISTORY_DAYS + 19, 3))  # (first day index, length)


@dataclass(frozen=True)
class World:
    """One simulated shop (see the module docstring)."""

    orders_per_day: float = 1000.0
    products: int = 40
    base_rate: float = 0.15
    live_share: float = 0.35
    live_multiplier: float = 1.5
    residual_wobble: float = 0.05    # relative sd of the unexplained day effect on the rate
    volume_wobble: float = 0.15
    drift_per_week: float = 0.03
    non_refund_after_sales: float = 0.35
    age_days: int = 7


@dataclass
class Month:
    """A simulated month: the monitor's inputs, when it was exported, and what was planted."""

    inputs: MonitorInputs
    as_of: pd.Timestamp
    promotion_days: set
    planted: dict = field(default_factory=dict)


def refund_delays(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days from payment to refund success."""
    kind = rng.choice(3, size=n, p=[0.20, 0.25, 0.55])
    pre = rng.exponential(0.7, n)
    transit = 2 + rng.gamma(2.0, 1.0, n)
    after = 4 + rng.lognormal(np.log(4.0), 0.8, n)
    return np.where(kind == 0, pre, np.where(kind == 1, transit, after))


def simulate(world: World, seed: int, cohort_spike: int | None = None, spike_lift: float = 0.30,
             surge_day: int | None = None) -> Month:
    """A month of ``world``.  ``cohort_spike``: a day of the judged month (0-based) whose pay-day
    cohort returns ``1 + spike_lift`` times as often; ``surge_day``: a day of the judged month on
    which after-sale applications double (a defective batch: extra applications from one
    product's orders of the previous week)."""
    rng = np.random.default_rng(seed)
    n_days = HISTORY_DAYS + 30
    days = pd.date_range(MONTH_START - pd.Timedelta(days=HISTORY_DAYS), periods=n_days, freq="D")
    as_of = MONTH_START + pd.Timedelta(days=30 + EXPORT_LAG_DAYS)
    promo = np.zeros(n_days, dtype=bool)
    for first, length in PROMOTIONS:
        promo[first:first + length] = True
    weekday = np.array([1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.1])[days.day_of_week]
    volume = world.orders_per_day * weekday * np.where(promo, 2.5, 1.0) * rng.lognormal(0, world.volume_wobble, n_days)
    paid = rng.poisson(volume)
    shares = np.sort(rng.dirichlet(np.full(world.products, 0.8)))[::-1]
    mix = rng.dirichlet(shares * 200, size=n_days)                     # product mix varies by day
    base = np.clip(world.base_rate * rng.lognormal(0, 0.35, world.products), 0.03, 0.5)
    walk = np.cumsum(rng.normal(0, world.drift_per_week / np.sqrt(7), (n_days, world.products)), axis=0)
    rate = base[None, :] * np.exp(walk)
    live_share = rng.beta(world.live_share * 20, (1 - world.live_share) * 20, n_days)
    day_effect = rng.lognormal(0, world.residual_wobble, n_days) * np.where(promo, 1.15, 1.0)
    planted: dict = {}
    if cohort_spike is not None:
        d = HISTORY_DAYS + cohort_spike
        day_effect[d] *= 1 + spike_lift
        planted["cohort_spike"] = days[d]
    # orders per day × product × channel (0 shop, 1 live)
    n = np.zeros((n_days, world.products, 2), dtype=np.int64)
    for d in range(n_days):
        per_product = rng.multinomial(paid[d], mix[d])
        live = rng.binomial(per_product, live_share[d])
        n[d, :, 0], n[d, :, 1] = per_product - live, live
    p = np.clip(rate[:, :, None] * day_effect[:, None, None] * np.array([1.0, world.live_multiplier]), 0, 0.95)
    refunded = rng.binomial(n, p)
    # sub-order level delays, grouped back by (day, product, channel)
    idx = np.repeat(np.arange(refunded.size), refunded.ravel())
    pay_offset = rng.random(idx.size)                                  # time of day of the payment
    success = pay_offset + refund_delays(rng, idx.size)
    d_of, p_of, c_of = np.unravel_index(idx, refunded.shape)
    at_age = np.zeros_like(refunded)
    observed = success <= world.age_days + pay_offset                  # within age of the payment
    np.add.at(at_age, (d_of[observed], p_of[observed], c_of[observed]), 1)
    apply = pay_offset + np.maximum(success - pay_offset - rng.uniform(0.3, 2.0, idx.size), 0)
    extra = rng.binomial(n, world.non_refund_after_sales * p)          # after-sales that never refund
    e_idx = np.repeat(np.arange(extra.size), extra.ravel())
    e_offset = rng.random(e_idx.size)
    e_apply = e_offset + refund_delays(rng, e_idx.size) * 0.8
    e_day, e_prod = np.unravel_index(e_idx, extra.shape)[:2]

    def frame(pay_day, event_time):
        event_day = pay_day + np.floor(event_time).astype(int)
        keep = days[0] + pd.to_timedelta(event_day, unit="D") < as_of
        f = pd.DataFrame({"pay_day": days[pay_day[keep]],
                          "event_day": days[0] + pd.to_timedelta(event_day[keep], unit="D")})
        return f.value_counts().rename("events").reset_index()

    applications = frame(np.concatenate([d_of, e_day]), np.concatenate([apply, e_apply]))
    if surge_day is not None:
        t = HISTORY_DAYS + surge_day
        today = applications.loc[applications["event_day"] == days[t], "events"].sum()
        batch = days[t - 10: t - 3]
        extra_rows = pd.DataFrame({"pay_day": rng.choice(batch, size=int(today)), "event_day": days[t]})
        applications = (pd.concat([applications, extra_rows.value_counts().rename("events").reset_index()])
                        .groupby(["pay_day", "event_day"], as_index=False)["events"].sum())
        planted["surge"] = days[t]
    refunds = frame(d_of, success)
    paid_series = pd.Series(paid, index=days)

    products = [f"P{i:02d}" for i in range(world.products)]
    mature = days + pd.Timedelta(days=world.age_days + 1) <= as_of
    dd, pp, cc = np.nonzero(n[mature] >= 0)
    cohort = pd.DataFrame({"date": days[mature][dd], "product_id": np.array(products)[pp], "live": cc == 1,
                           "paid": n[mature][dd, pp, cc], "refunded": at_age[mature][dd, pp, cc]})
    cohort = cohort[cohort["paid"] > 0].reset_index(drop=True)
    month = slice(HISTORY_DAYS, n_days)
    month_by_product = n[month].sum(axis=(0, 2))
    top = np.argsort(-month_by_product, kind="stable")[:20]
    inputs = MonitorInputs(
        cohort=cohort,
        events={"applications": (paid_series, applications), "refunds": (paid_series, refunds)},
        top=[products[i] for i in top],
        product_paid={products[i]: int(month_by_product[i]) for i in top},
        paid_by_day=paid_series.iloc[month],
        first_day=days[0],
    )
    return Month(inputs, as_of, {days[i] for i in np.flatnonzero(promo)}, planted)
