"""Statistics the decisions rest on: Wilson intervals, safe rates, the binomial tail, the
two-proportion test and the difference-in-differences of proportions.

Each formula matches statsmodels / R to rounding (see ``tests/test_stats.py``); whether its
p-value *means* anything on real data (overdispersion, maturity, multiplicity) is judged by the
decision benchmarks in ``benchmarks/``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["rate", "wilson_interval", "binom_sf", "two_proportion_test", "did_test"]


def rate(num: float, den: float) -> float:
    """``num / den`` as a float; NaN when ``den`` is 0 (a month without orders has no rate)."""
    return float(num) / float(den) if den else math.nan


def wilson_interval(successes, trials, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion k/n (95% for z=1.96); NaN where n == 0.

    Unlike k/n ± z·se it stays inside [0, 1] and is wide for small n, so a 2-of-3 product
    (interval ≈ 0.21–0.94) does not outrank a 300-of-3,000 one (≈ 0.089–0.111) by its lower bound
    without the uncertainty being visible.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = centre - half, centre + half
    low = np.where(n > 0, np.clip(low, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(high, 0, 1), np.nan)
    return low, high


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    return float(stats.binom.sf(k - 1, n, p))


def two_proportion_test(k1: int, n1: int, k2: int, n2: int, z: float = 1.96) -> dict[str, float]:
    """Compare p1 = k1/n1 (before) with p2 = k2/n2 (after).

    * ``diff`` = p2 − p1;
    * ``z``, ``p_value`` — pooled two-proportion z-test, two-sided (the same p-value as a 2×2
      χ² test without continuity correction);
    * ``wald_low``/``wald_high`` — diff ± z·√(p1(1−p1)/n1 + p2(1−p2)/n2);
    * ``ci_low``/``ci_high`` — Newcombe's hybrid score interval (method 10 of Newcombe 1998,
      built from the two Wilson intervals): it behaves at rates near 0 and for small n.
    NaN when either n is 0.
    """
    nan = {k: math.nan for k in ("diff", "z", "p_value", "wald_low", "wald_high", "ci_low", "ci_high")}
    if not n1 or not n2:
        return nan
    p1, p2 = k1 / n1, k2 / n2
    diff = p2 - p1
    pooled = (k1 + k2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se0 == 0:
        zstat, p = 0.0, 1.0
    else:
        zstat = diff / se0
        p = float(2 * stats.norm.sf(abs(zstat)))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    (l1,), (u1,) = wilson_interval([k1], [n1], z)
    (l2,), (u2,) = wilson_interval([k2], [n2], z)
    low = diff - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = diff + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return {"diff": diff, "z": zstat, "p_value": p, "wald_low": diff - z * se,
            "wald_high": diff + z * se, "ci_low": float(low), "ci_high": float(high)}


def did_test(treated_before: tuple[int, int], treated_after: tuple[int, int],
             control_before: tuple[int, int], control_after: tuple[int, int],
             z: float = 1.96) -> dict[str, float]:
    """Difference-in-differences of two proportions; each argument is ``(refunded, orders)``.

    ``effect`` = (treated_after − treated_before) − (control_after − control_before), in rate
    points (−0.07 = seven points fewer refunds than the control's trend predicts);
    ``se`` = √ Σ p(1−p)/n over the four cells; ``z`` = effect/se; ``p_value`` two-sided normal;
    ``ci_low``/``ci_high`` = effect ± z·se.  NaN when a cell is empty.
    """
    cells = [treated_before, treated_after, control_before, control_after]
    if any(n == 0 for _, n in cells):
        return {k: math.nan for k in ("effect", "se", "z", "p_value", "ci_low", "ci_high")}
    tb, ta, cb, ca = (k / n for k, n in cells)
    effect = (ta - tb) - (ca - cb)
    se = math.sqrt(sum((k / n) * (1 - k / n) / n for k, n in cells))
    if se == 0:
        zstat, p = 0.0, 1.0
    else:
        zstat = effect / se
        p = float(2 * stats.norm.sf(abs(zstat)))
    return {"effect": effect, "se": se, "z": zstat, "p_value": p,
            "ci_low": effect - z * se, "ci_high": effect + z * se}
