"""Why the refund rate moved: the month-over-month change split into contributions that add up.

The shop's rate is a weighted mean of its segments' rates, ``R = Σ_i w_i r_i`` (``w_i`` the
segment's share of paid sub-orders, ``r_i`` its refund rate).  Between last month (0) and this
month (1) the change splits exactly into (Kitagawa 1955, the symmetric form):

* **rate effect** ``w̄_i · (r1_i − r0_i)`` — the segment's own rate moved, at its average share;
* **mix effect** ``(w1_i − w0_i) · (r̄_i − R̄)`` — its share moved; selling more of a product that
  returns more than the shop average raises the shop rate, more of one below average lowers it;

with ``w̄``, ``r̄``, ``R̄`` the averages of the two months.  ``Σ_i (rate_i + mix_i) = R1 − R0``
exactly, because ``Σ_i (w1_i − w0_i) = 0``.  A segment sold in one month only takes its rate from
that month for both (its rate effect is 0; its whole contribution is mix).

For a dimension every refund belongs to once — the reason category of the refund — the rate is a
plain sum ``R = Σ_c k_c / N`` and each category's contribution is ``k1_c/N1 − k0_c/N0`` (no mix
effect): :func:`share_decomposition`.

For segments that exist in one month only — the days of this month — :func:`level_decomposition`
measures each against a reference rate ``ref_d`` (last month's same-age days): ``w1_d · (r1_d −
ref_d)``, adding up to ``R1 − Σ w1_d ref_d``; the caller adds the remainder ``Σ w1_d ref_d − R0``
(how this month's orders spread over the ages) as one row, so the total is again ``R1 − R0``.

All three are pure functions of per-segment counts; :mod:`returns_kit.summary` decides what is
compared (the two months at equal cohort age).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DECOMPOSITION_COLUMNS", "rate_decomposition", "share_decomposition", "level_decomposition"]

#: the columns of a decomposition table (after the segment key)
DECOMPOSITION_COLUMNS = ["paid_before", "refunded_before", "rate_before", "share_before", "paid_after",
                         "refunded_after", "rate_after", "share_after", "rate_effect", "mix_effect",
                         "contribution"]


def _counts(frame: pd.DataFrame, key: str, paid: str, refunded: str) -> pd.DataFrame:
    missing = [c for c in (key, paid, refunded) if c not in frame.columns]
    if missing:
        raise KeyError(f"decomposition needs column(s) {', '.join(missing)}")
    if (frame[paid] < 0).any() or (frame[refunded] < 0).any() or (frame[refunded] > frame[paid]).any():
        raise ValueError("decomposition: counts must satisfy 0 ≤ refunded ≤ paid in every segment")
    return frame.groupby(key, sort=False)[[paid, refunded]].sum()


def _ordered(table: pd.DataFrame, key: str) -> pd.DataFrame:
    order = table["contribution"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].rename_axis(key).reset_index()


def rate_decomposition(before: pd.DataFrame, after: pd.DataFrame, key: str, paid: str = "paid",
                       refunded: str = "refunded") -> pd.DataFrame:
    """The change of the refund rate from ``before`` to ``after``, per segment of ``key``.

    ``before``/``after``: one row per segment (rows of the same segment are summed) with the
    paid sub-orders (``paid``) and how many were refunded (``refunded``).  Returns one row per
    segment of either month with :data:`DECOMPOSITION_COLUMNS`: the counts, ``rate_*`` (refunded ÷
    paid; a month without the segment takes the other month's rate), ``share_*`` (the segment's
    share of the month's paid sub-orders), ``rate_effect``, ``mix_effect`` and ``contribution`` =
    their sum, in rate points as fractions (0.004 = 0.4 个百分点); sorted by |contribution|,
    largest first.  The contributions add up to ``R_after − R_before``.  ValueError when a month
    has no paid sub-orders or a segment more refunds than orders.
    """
    b, a = _counts(before, key, paid, refunded), _counts(after, key, paid, refunded)
    n0, n1 = float(b[paid].sum()), float(a[paid].sum())
    if n0 <= 0 or n1 <= 0:
        raise ValueError("decomposition: both months need paid sub-orders")
    keys = b.index.union(a.index, sort=False)
    b, a = b.reindex(keys, fill_value=0), a.reindex(keys, fill_value=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = (b[refunded] / b[paid]).where(b[paid] > 0)
        r1 = (a[refunded] / a[paid]).where(a[paid] > 0)
    r0, r1 = r0.fillna(r1), r1.fillna(r0)
    w0, w1 = b[paid] / n0, a[paid] / n1
    total0, total1 = b[refunded].sum() / n0, a[refunded].sum() / n1
    table = pd.DataFrame({
        "paid_before": b[paid].astype(int), "refunded_before": b[refunded].astype(int),
        "rate_before": r0, "share_before": w0,
        "paid_after": a[paid].astype(int), "refunded_after": a[refunded].astype(int),
        "rate_after": r1, "share_after": w1,
        "rate_effect": (w0 + w1) / 2 * (r1 - r0),
        "mix_effect": (w1 - w0) * ((r0 + r1) / 2 - (total0 + total1) / 2),
    }, index=keys)
    table["contribution"] = table["rate_effect"] + table["mix_effect"]
    return _ordered(table, key)


def share_decomposition(before: pd.DataFrame, after: pd.DataFrame, key: str, paid_before: int,
                        paid_after: int, refunded: str = "refunded") -> pd.DataFrame:
    """The change of the refund rate from ``before`` to ``after`` per category of ``key``, for a
    dimension each refund falls in once (its reason category): ``before``/``after`` hold the
    refunded sub-orders per category, ``paid_*`` the months' paid sub-orders.  Columns as
    :func:`rate_decomposition`, where ``rate_*`` = refunded in the category ÷ all paid sub-orders
    (the category's part of the shop rate), ``share_*`` its share of the month's refunds,
    ``rate_effect`` = ``contribution`` = ``rate_after − rate_before`` and ``mix_effect`` = 0.
    """
    if paid_before <= 0 or paid_after <= 0:
        raise ValueError("decomposition: both months need paid sub-orders")
    b = before.groupby(key, sort=False)[refunded].sum()
    a = after.groupby(key, sort=False)[refunded].sum()
    keys = b.index.union(a.index, sort=False)
    b, a = b.reindex(keys, fill_value=0), a.reindex(keys, fill_value=0)
    r0, r1 = b / paid_before, a / paid_after
    table = pd.DataFrame({
        "paid_before": int(paid_before), "refunded_before": b.astype(int), "rate_before": r0,
        "share_before": b / b.sum() if b.sum() else 0.0,
        "paid_after": int(paid_after), "refunded_after": a.astype(int), "rate_after": r1,
        "share_after": a / a.sum() if a.sum() else 0.0,
        "rate_effect": r1 - r0, "mix_effect": 0.0,
    }, index=keys)
    table["contribution"] = table["rate_effect"]
    return _ordered(table, key)


def level_decomposition(after: pd.DataFrame, key: str, reference: float | pd.Series, paid_before: int = 0,
                        paid: str = "paid", refunded: str = "refunded") -> pd.DataFrame:
    """This month's segments (its days) against a reference rate — last month's level, one rate
    for all or one per segment (``reference`` indexed by segment: the same-age days of last
    month): ``contribution`` = ``rate_effect`` = ``w1_i · (r1_i − ref_i)``, with ``w1_i`` the
    segment's share of this month's paid sub-orders; ``mix_effect`` = 0.  The contributions add up
    to ``R1 − Σ w1_i·ref_i`` (``R1 − R0`` for one reference rate ``R0``).  Columns as
    :func:`rate_decomposition` (``rate_before`` = the reference, ``paid_before`` = ``paid_before``,
    ``refunded_before`` and ``share_before`` empty)."""
    a = _counts(after, key, paid, refunded)
    n1 = float(a[paid].sum())
    if n1 <= 0:
        raise ValueError("decomposition: this month needs paid sub-orders")
    ref = (reference.reindex(a.index).astype(float) if isinstance(reference, pd.Series)
           else pd.Series(float(reference), index=a.index))
    if ref.isna().any():
        raise ValueError(f"decomposition: no reference rate for {', '.join(map(str, ref.index[ref.isna()]))}")
    r1 = (a[refunded] / a[paid]).where(a[paid] > 0, ref)
    w1 = a[paid] / n1
    table = pd.DataFrame({
        "paid_before": int(paid_before), "refunded_before": None, "rate_before": ref, "share_before": None,
        "paid_after": a[paid].astype(int), "refunded_after": a[refunded].astype(int), "rate_after": r1,
        "share_after": w1, "rate_effect": w1 * (r1 - ref), "mix_effect": 0.0,
    }, index=a.index)
    table["contribution"] = table["rate_effect"]
    return _ordered(table, key)
