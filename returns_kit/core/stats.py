"""Statistics the decisions rest on: Wilson intervals, safe rates, the binomial tail, the
two-proportion test and the difference-in-differences of proportions.

Each formula matches statsmodels / R to rounding (see ``tests/test_stats.py``); whether its
p-value *means* anything on real data (overdispersion, maturity, multiplicity) is judged by the
decision benchmarks in ``benchmarks/``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy  # its submodules load on first use: a kernel showing kept results never needs scipy.stats

__all__ = ["rate", "wilson_interval", "binom_sf", "two_proportion_test", "did_test", "clustered_did_test",
           "between_product_variance", "random_effects_variance", "robust_between_variance", "ratio_change_test",
           "mean_change_test", "holm"]


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
    return float(scipy.stats.binom.sf(k - 1, n, p))


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
        p = float(2 * scipy.stats.norm.sf(abs(zstat)))
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
        p = float(2 * scipy.stats.norm.sf(abs(zstat)))
    return {"effect": effect, "se": se, "z": zstat, "p_value": p,
            "ci_low": effect - z * se, "ci_high": effect + z * se}


def clustered_did_test(refunded, orders, treated, after, level: float = 0.95,
                       between: float = 0.0) -> dict[str, float]:
    """Difference-in-differences of refund rates at product × day level, standard error
    clustered by day (plus, optionally, a between-product drift component).

    ``refunded`` and ``orders`` are ``(products, days)`` arrays of counts (paid sub-orders of a
    product paid on a day, and how many of them were refunded); ``treated`` marks the treated
    products (the others are the control), ``after`` the days on or after the start.

    The model is the weighted linear regression of a product-day's refund rate on a fixed effect
    per product and an after-dummy per group (weights = orders); ``effect`` = treated − control
    after-coefficient.  With product fixed effects every product is compared with itself: the
    after-coefficient of a group is the average of its products' own changes
    ``r_after − r_before``, each weighted by ``h = n_before·n_after / (n_before + n_after)``
    (``treated_change``, ``control_change``); a product seen in one period only has ``h = 0`` and
    does not count, so a product that starts (or stops) selling cannot pass for an effect.

    Sub-orders of one day share its traffic mix, so the day is the independent unit: ``se_day``
    is the cluster-robust (sandwich) standard error with clusters = days and the small-sample
    factor G/(G−1), ``days`` = G (days on which a compared product sold), ``df`` = G − 1.
    ``between`` is the variance of a product's own before→after change that no day explains
    (slow drift, its own reaction to a promotion), per unit of ``(r(1−r))²`` — see
    :func:`between_product_variance`; it adds ``se_between² = between · Σ_g Σ_{p∈g} (h_p/H_g)²
    (r_p(1−r_p))²`` (r_p the product's rate over both periods).  ``se`` = √(se_day² +
    se_between²); ``t`` = effect/se, ``p_value`` two-sided from t(df), ``ci_low``/``ci_high`` =
    effect ± t_{df}·se; ``t_day`` = effect/se_day.  ``products`` = treated and control products
    that sold in both periods.  NaN when either group has no such product or fewer than two
    days are left; a zero ``se`` gives ``t`` = ±inf (or 0 for a zero effect).
    """
    k = np.asarray(refunded, dtype=float)
    n = np.asarray(orders, dtype=float)
    treated = np.asarray(treated, dtype=bool)
    after = np.asarray(after, dtype=bool)
    keys = ("effect", "se", "t", "df", "days", "p_value", "ci_low", "ci_high", "se_day", "t_day",
            "se_between", "treated_change", "control_change", "products")
    out = dict.fromkeys(keys, math.nan)
    if n.ndim != 2 or n.shape[0] == 0 or n.shape[1] == 0:
        return out
    a = after.astype(float)
    n_a, k_a = n @ a, k @ a
    total, k_total = n.sum(axis=1), k.sum(axis=1)
    n_b, k_b = total - n_a, k_total - k_a
    used = (n_a > 0) & (n_b > 0)
    safe_a, safe_b, safe_t = np.where(used, n_a, 1.0), np.where(used, n_b, 1.0), np.where(used, total, 1.0)
    h = np.where(used, n_a * n_b / safe_t, 0.0)
    change = np.where(used, k_a / safe_a - k_b / safe_b, 0.0)
    share_after = np.where(used, n_a / safe_t, 0.0)
    level_p = np.where(used, k_total / safe_t, 0.0)
    h_t, h_c = h[treated].sum(), h[~treated].sum()
    if h_t <= 0 or h_c <= 0:
        return out
    slope_t = float((h * change)[treated].sum() / h_t)
    slope_c = float((h * change)[~treated].sum() / h_c)
    slope = np.where(treated, slope_t, slope_c)
    effect = slope_t - slope_c
    fixed = np.where(used, (k_total - slope * n_a) / safe_t, 0.0)  # the product's fixed effect
    fitted = fixed[:, None] + slope[:, None] * a[None, :]
    share = np.where(treated, h / h_t, h / h_c)
    weight = np.where(treated, 1 / h_t, -1 / h_c)[:, None] * (a[None, :] - share_after[:, None])
    score = (weight * (k - n * fitted))[used].sum(axis=0)
    sold = (n[used] > 0).any(axis=0)
    g = int(sold.sum())
    out.update(effect=effect, treated_change=slope_t, control_change=slope_c, days=g,
               products=int(used.sum()))
    if g < 2:
        return out
    se_day = math.sqrt(g / (g - 1) * float((score[sold] ** 2).sum()))
    se_between = math.sqrt(max(0.0, between) * float((share ** 2 * (level_p * (1 - level_p)) ** 2).sum()))
    se = math.hypot(se_day, se_between)
    df = g - 1

    def t_of(s: float) -> float:
        if s <= 1e-12:
            return 0.0 if abs(effect) <= 1e-12 else math.copysign(math.inf, effect)
        return effect / s

    tstat = t_of(se)
    # scipy.special's Student t (the same values as stats.t.sf/ppf, without their per-call overhead)
    p = float(2 * scipy.special.stdtr(df, -abs(tstat))) if math.isfinite(tstat) else 0.0
    crit = float(scipy.special.stdtrit(df, 0.5 + level / 2))
    out.update(se=se, t=tstat, df=df, p_value=p, ci_low=effect - crit * se, ci_high=effect + crit * se,
               se_day=se_day, t_day=t_of(se_day), se_between=se_between)
    return out


def between_product_variance(refunded, orders, after, min_products: int = 3,
                             min_orders: int = 0) -> dict[str, float]:
    """How much a product's refund rate changes from one period to the next on its own, learnt
    from products nothing was done to ("placebo products").

    ``refunded``/``orders`` are ``(products, days)`` counts of untreated products, ``after`` the
    days of the second period.  Each product in turn is the fake treated product against all the
    others (:func:`clustered_did_test`); its change ``x`` and day-clustered variance ``v`` are put
    on a common scale by dividing by ``r(1−r)`` (its rate over both periods: drift is
    proportional to it on the logit scale).  ``variance`` = the DerSimonian–Laird
    method-of-moments estimate of the variance of the true changes, ``max(0, (Q − (K−1)) /
    (Σw − Σw²/Σw))`` with ``w = 1/v`` and ``Q = Σ w (x − x̄_w)²``.  Only products with at least
    ``min_orders`` orders in each period count (a day-clustered variance from a handful of orders
    is no variance at all; a product without refunds has no scale); 0 when fewer than
    ``min_products`` such products (``products`` = K; those with a refund at all, once there are
    enough) are left.  Every product stays in the control of the others.
    """
    k = np.asarray(refunded, dtype=float)
    n = np.asarray(orders, dtype=float)
    after = np.asarray(after, dtype=bool)
    if n.ndim != 2 or n.shape[0] == 0:
        return {"variance": 0.0, "products": 0, "q": math.nan}
    eligible = np.minimum(n[:, after].sum(axis=1), n[:, ~after].sum(axis=1)) >= max(min_orders, 1)
    if eligible.sum() < max(2, min_products):
        return {"variance": 0.0, "products": int(eligible.sum()), "q": math.nan}
    xs, ws = [], []
    for q in np.flatnonzero(eligible):
        rate = k[q].sum() / n[q].sum()
        scale = rate * (1 - rate)
        fake = np.zeros(n.shape[0], dtype=bool)
        fake[q] = True
        r = clustered_did_test(k, n, fake, after)
        if scale <= 0 or not r["se_day"] > 1e-12 or r["effect"] != r["effect"]:
            continue
        xs.append(r["effect"] / scale)
        ws.append((scale / r["se_day"]) ** 2)
    count = len(xs)
    if count < max(2, min_products):  # products without refunds have no scale
        return {"variance": 0.0, "products": count, "q": math.nan}
    variance, q_stat = random_effects_variance(xs, 1 / np.asarray(ws))
    return {"variance": variance, "products": count, "q": q_stat}


def random_effects_variance(estimates, variances) -> tuple[float, float]:
    """DerSimonian–Laird method-of-moments estimate of the variance τ² of the true values behind
    ``estimates`` (each with its sampling variance): ``max(0, (Q − (K−1)) / (Σw − Σw²/Σw))`` with
    ``w = 1/v`` and ``Q = Σ w (x − x̄_w)²``.  Returns ``(τ², Q)``; ``(0, NaN)`` for fewer than
    two estimates with a positive variance."""
    x, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    keep = np.isfinite(x) & np.isfinite(v) & (v > 0)
    x, v = x[keep], v[keep]
    if len(x) < 2:
        return 0.0, math.nan
    w = 1 / v
    mean = float((w * x).sum() / w.sum())
    q_stat = float((w * (x - mean) ** 2).sum())
    denom = float(w.sum() - (w ** 2).sum() / w.sum())
    return (max(0.0, (q_stat - (len(x) - 1)) / denom) if denom > 0 else 0.0), q_stat


def _median_between_variance(x: np.ndarray, v: np.ndarray) -> float:
    """τ² at which the median of ``(x − median x)² / (v + τ²)`` is χ²₁'s median (bisection)."""
    d2 = (x - np.median(x)) ** 2
    target = float(scipy.stats.chi2.ppf(0.5, 1))
    if float(np.median(d2 / v)) <= target:
        return 0.0
    lo, hi = 0.0, float(d2.max()) + float(v.max())
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if float(np.median(d2 / (v + mid))) > target else (lo, mid)
    return (lo + hi) / 2


def robust_between_variance(estimates, variances, cut: float = 3.0, rounds: int = 20) -> float:
    """The variance τ² of the true values behind ``estimates`` (each with its sampling variance
    ``v``), robust to the few segments that really changed.

    Plain DerSimonian–Laird (:func:`random_effects_variance`) is pulled up by every real change
    — a month in which a few products really moved would call them all drift.  Here a first τ²
    comes from the median segment (the τ² at which the median of ``(x − median)² / (v + τ²)``
    is the median of χ²₁), the segments more than ``cut`` standard deviations ``√(v + τ²)`` from
    the centre are set aside, and DL is computed on the rest, repeated until the set stops
    changing; without outliers this is DL itself.  0 for fewer than three usable estimates."""
    x, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    keep = np.isfinite(x) & np.isfinite(v) & (v > 0)
    x, v = x[keep], v[keep]
    if len(x) < 3:
        return 0.0
    tau2, centre = _median_between_variance(x, v), float(np.median(x))
    inside = np.abs(x - centre) <= cut * np.sqrt(v + tau2)
    for _ in range(rounds):
        if inside.sum() < 3:
            break
        tau2, _ = random_effects_variance(x[inside], v[inside])
        w = 1 / (v[inside] + tau2)
        centre = float((w * x[inside]).sum() / w.sum())
        now = np.abs(x - centre) <= cut * np.sqrt(v + tau2)
        if (now == inside).all():
            break
        inside = now
    return float(tau2)


def _welch(diff: float, v0: float, v1: float, df0: int, df1: int, level: float) -> dict[str, float]:
    var = v0 + v1
    se = math.sqrt(var)
    denom = (v0 ** 2 / df0 if df0 > 0 else 0.0) + (v1 ** 2 / df1 if df1 > 0 else 0.0)
    df = var ** 2 / denom if denom > 0 else float(max(df0 + df1, 1))
    if se <= 1e-15:
        t = 0.0 if abs(diff) <= 1e-15 else math.copysign(math.inf, diff)
    else:
        t = diff / se
    p = float(2 * scipy.special.stdtr(df, -abs(t))) if math.isfinite(t) else 0.0
    crit = float(scipy.special.stdtrit(df, 0.5 + level / 2))
    return {"change": diff, "se": se, "t": t, "df": df, "p_value": p,
            "ci_low": diff - crit * se, "ci_high": diff + crit * se}


def ratio_change_test(num_before, den_before, num_after, den_after, level: float = 0.95,
                      binomial_floor: bool = True) -> dict[str, float]:
    """Change of a ratio R = Σnum / Σden between two periods, with days as the unit.

    Each argument is one value per day (refunded sub-orders and paid sub-orders of each pay day;
    or refund amount and paid amount).  Sub-orders of one day share its traffic mix, promotions and
    live sessions, so days are the independent observations, not sub-orders: ``R`` is a ratio
    estimator whose variance is the linearised ``D/(D−1) · Σ_d (num_d − R·den_d)² / (Σden)²``
    over the D days with orders.  With ``binomial_floor`` a period's variance is never below the
    binomial ``R(1−R)/Σden`` (a month of unusually even days is not more certain than its orders
    allow; only meaningful for counts).

    ``before``/``after`` the two ratios, ``change`` = after − before; ``se`` = √(V₀+V₁);
    ``df`` Welch–Satterthwaite from the two periods' D−1; ``t``, two-sided ``p_value`` from
    t(df), ``ci_low``/``ci_high`` the level-interval of the change.  NaN when a period has fewer
    than two days with orders.
    """
    periods = []
    for num, den in ((num_before, den_before), (num_after, den_after)):
        k, n = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
        keep = n > 0
        k, n = k[keep], n[keep]
        d, total = len(n), float(n.sum())
        if d < 2 or total <= 0:
            periods.append(None)
            continue
        r = float(k.sum()) / total
        v = d / (d - 1) * float(((k - r * n) ** 2).sum()) / total ** 2
        if binomial_floor:
            v = max(v, r * (1 - r) / total)
        periods.append((r, v, d - 1))
    keys = ("before", "after", "change", "se", "t", "df", "p_value", "ci_low", "ci_high")
    if None in periods:
        out = dict.fromkeys(keys, math.nan)
        for name, per in zip(("before", "after"), periods):
            if per is not None:
                out[name] = per[0]
        return out
    (r0, v0, df0), (r1, v1, df1) = periods
    return {"before": r0, "after": r1, **_welch(r1 - r0, v0, v1, df0, df1, level)}


def mean_change_test(before, after, level: float = 0.95) -> dict[str, float]:
    """Change of a daily total (applications a day, refund amount a day) between two periods:
    Welch's t-test on the per-day values, so the days' own spread (promotions, live sessions,
    weekdays) is the noise, not a Poisson count's.  ``before``/``after`` the daily means,
    ``change`` their difference, the rest as :func:`ratio_change_test`.  NaN with fewer than two
    days in a period."""
    x0, x1 = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    keys = ("before", "after", "change", "se", "t", "df", "p_value", "ci_low", "ci_high")
    if len(x0) < 2 or len(x1) < 2:
        return dict.fromkeys(keys, math.nan)
    m0, m1 = float(x0.mean()), float(x1.mean())
    v0, v1 = float(x0.var(ddof=1)) / len(x0), float(x1.var(ddof=1)) / len(x1)
    return {"before": m0, "after": m1, **_welch(m1 - m0, v0, v1, len(x0) - 1, len(x1) - 1, level)}


def holm(p_values, alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down rule: which of the p-values are significant with the chance of any false
    one kept at ``alpha`` (NaN p-values are never significant)."""
    p = np.asarray(p_values, dtype=float)
    out = np.zeros(p.shape, dtype=bool)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    for rank, i in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        if p[i] > alpha / (m - rank):
            break
        out[i] = True
    return out
