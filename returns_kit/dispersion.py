"""Counts that are noisier than binomial: the variance model every alert rule tests against.

A day's refunds (or after-sale applications) ``O`` are compared with what the baseline expects,
``E``.  Three sources of spread are added up (the first is all the old binomial test knew):

* **counting noise** — ``E·(1 − p)`` for refunds among ``n`` sub-orders at rate ``p``
  (binomial), ``E`` for a count with no denominator (Poisson);
* **day-to-day wobble** — traffic mix, live sessions, weather: the day's own rate moves by a
  relative amount with variance ``κ`` (kappa), so it adds ``κ·E²`` — the beta-binomial /
  negative-binomial form (Farrington's quasi-Poisson, Laney's p′ chart).  It grows with volume:
  at 3,000 orders a day a ±8% relative wobble dwarfs the binomial noise;
* **the baseline's own error** — ``E`` is estimated from a few weeks of days, with relative
  variance ``level_rel_var``, adding ``E²·level_rel_var``.

``κ`` is estimated from the baseline days by the method of moments.  The upper-tail p-value
comes from a negative binomial with that mean and variance (counts are right-skewed; a normal
tail would raise too many alarms on small days), read off a t for κ being estimated from a few
weeks of days.  ``family_alpha`` spends an alert budget (expected false alerts per month) over the
month's tests — the multiplicity control ``alerts.yml`` states.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy  # its submodules load on first use: a kernel showing kept results never needs scipy.stats

#: Effective degrees of freedom of the spread, per baseline day.  κ is a moment estimate over
#: days whose expected counts differ (weekdays, volume swings) and whose wobble is not normal;
#: it is about as precise as a variance estimated from half as many normal days.  Measured on
#: the decision benchmark's months with no change (``benchmarks/bench_alerts.py``): at
#: (D − 1) degrees of freedom p < 0.03 came up on 4.4% of days, at (D − 1)/2 on 3.3%.
KAPPA_DF_SHARE = 0.5

__all__ = ["Comparison", "count_tail", "KAPPA_DF_SHARE", "estimate_kappa", "level_rel_var", "family_alpha",
           "expected_false_alarms"]


@dataclass(frozen=True)
class Comparison:
    """A judged day (or week) against its baseline.

    ``observed`` and ``expected`` counts; ``rate`` the baseline rate for binomial counts (None:
    Poisson); ``kappa`` the relative day variance; ``level_rel_var`` the relative variance of
    the baseline level; ``df`` degrees of freedom of the t reference (baseline days − 1).
    """

    observed: float
    expected: float
    rate: float | None
    kappa: float
    level_rel_var: float
    df: int

    @property
    def variance(self) -> float:
        """Var(O − E) under "nothing happened"."""
        e = self.expected
        counting = e * (1.0 - self.rate) if self.rate is not None else e
        return counting + (self.kappa + self.level_rel_var) * e * e

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance) if self.variance > 0 else 0.0

    @property
    def z(self) -> float:
        """(O − E) / sd; +inf for a count above a zero expectation with no spread."""
        diff = self.observed - self.expected
        if self.sd == 0:
            return math.inf if diff > 0 else 0.0
        return diff / self.sd

    @property
    def p_value(self) -> float:
        """P(a day this high or higher | nothing happened).

        Counts are skewed to the right, more so when they are small, so the tail is not the
        normal one: the count's tail under a negative binomial with this mean and variance
        (Poisson when they are equal, a moment-matched binomial below), turned into a normal
        quantile and read off a t with :data:`KAPPA_DF_SHARE` × ``df`` degrees of freedom, for
        the spread being estimated from a few weeks of days.
        """
        e, o = self.expected, self.observed
        if e <= 0:
            return 0.0 if o > 0 else 1.0
        p = count_tail(o, e, self.variance)
        if not 0 < p < 1:
            return p
        return float(scipy.stats.t.sf(scipy.stats.norm.isf(p), max(self.df * KAPPA_DF_SHARE, 1.0)))

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected else math.nan

    def fires(self, alpha: float, min_lift: float, min_excess: float) -> bool:
        """Significant at ``alpha`` *and* large enough to matter: at least ``min_lift`` above
        expected (0.15 = +15%) and ``min_excess`` more events."""
        return (self.p_value < alpha and self.observed >= self.expected * (1 + min_lift)
                and self.observed - self.expected >= min_excess)


def count_tail(observed: float, expected: float, variance: float) -> float:
    """P(X ≥ observed) for a count X with this mean and variance: negative binomial above
    the Poisson spread, Poisson at it, a binomial with ``n p = mean`` below it."""
    e, v, k = expected, variance, math.ceil(observed - 1e-9)
    if v > e * (1 + 1e-9):
        r = e * e / (v - e)
        return float(scipy.stats.nbinom.sf(k - 1, r, r / (r + e)))
    if v >= e * (1 - 1e-9):
        return float(scipy.stats.poisson.sf(k - 1, e))
    q = max(v / e, 1e-9)             # n p = e, 1 − p = q
    n = max(round(e / (1 - q)), k)
    return float(scipy.stats.binom.sf(k - 1, n, min(e / n, 1.0))) if n else 1.0


def estimate_kappa(observed, expected, rate=None) -> float:
    """Relative day-to-day variance κ of baseline days by the method of moments:
    ``max(0, Σ[(O − E)² − E(1 − p)] / Σ E²)`` (``p`` = 0 for Poisson counts), scaled by
    ``D / (D − 1)`` because E is fitted on the same days.  0 with fewer than 3 days."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    keep = e > 0
    o, e = o[keep], e[keep]
    if len(e) < 3:
        return 0.0
    counting = e * (1.0 - (0.0 if rate is None else float(rate)))
    excess = float(np.sum((o - e) ** 2 - counting))
    return max(0.0, excess / float(np.sum(e * e))) * len(e) / (len(e) - 1)


def level_rel_var(expected, kappa: float, rate=None) -> float:
    """Relative variance of a baseline level estimated from days with these expected counts:
    ``[Σ E(1 − p) + κ Σ E²] / (Σ E)²``."""
    e = np.asarray(expected, dtype=float)
    total = float(e.sum())
    if total <= 0:
        return math.inf
    counting = float(np.sum(e * (1.0 - (0.0 if rate is None else float(rate)))))
    return (counting + kappa * float(np.sum(e * e))) / total**2


def family_alpha(budget: float, tests: int, max_alpha: float = 0.05) -> float:
    """Per-test significance level that keeps the *expected* number of false alerts over
    ``tests`` tests at ``budget`` (Bonferroni on the count: E[false] = Σ α ≤ budget), and never
    above ``max_alpha``: with few tests the budget alone would let a p of 0.3 fire."""
    if tests <= 0:
        return 0.0
    return min(max_alpha, budget / tests)


def expected_false_alarms(expected, sd, lift: float, df: int) -> float:
    """How many of these days a fixed rule "fire when observed > (1 + lift) × expected" flags
    when nothing happened: Σ P(t > lift·E / sd) — the article's 20% rule's false-alarm rate for
    this shop's own volume and wobble."""
    e = np.asarray(expected, dtype=float)
    s = np.asarray(sd, dtype=float)
    keep = (e > 0) & (s > 0)
    return float(np.sum(scipy.stats.t.sf(lift * e[keep] / s[keep], max(df, 1))))
