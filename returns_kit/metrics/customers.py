"""Customers: new vs repeat buyers (by the salted buyer key)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .outcomes import cohort
from .ranking import MIN_ORDERS, fill_segments, rate_table

__all__ = ["BUYER_TYPES", "buyer_types", "customer_types"]


#: buyer_type values: an earlier paid order of the same buyer_key exists / does not / no key
BUYER_TYPES = ("new", "repeat", "unidentified")


def buyer_types(outcomes: pd.DataFrame) -> pd.Series:
    """``new`` / ``repeat`` / ``unidentified`` for each paid sub-order (aligned to ``outcomes``).

    ``repeat``: the same ``buyer_key`` has another order (主订单) paid strictly earlier anywhere in
    the data; ``new``: it has not; ``unidentified``: no ``buyer_key`` (receiver fields missing).
    Sub-orders of one order share its type.  An approximation: the key is a salted hash of the
    *masked* receiver name and phone plus province/city/district, so different people can share a
    key, one person with two addresses has two, and orders before the first exported month are
    unknown (the first month's buyers all look new).
    """
    key = outcomes["buyer_key"] if "buyer_key" in outcomes else pd.Series(None, index=outcomes.index)
    order = outcomes["order_id"] if "order_id" in outcomes else outcomes["sub_order_id"]
    pay = pd.Series(outcomes["pay_time"].to_numpy())
    order_pay = pay.groupby(_codes(order)).transform("min")  # grouped by codes, not by 19-digit texts
    first = order_pay.groupby(_codes(key)).transform("min")
    out = pd.Series(np.where(order_pay.to_numpy() > first.to_numpy(), "repeat", "new"), index=outcomes.index,
                    dtype=object)
    out[key.isna()] = "unidentified"
    return out


def _codes(values: pd.Series) -> np.ndarray:
    """An integer code per distinct value (NaN for a missing one, which no group takes)."""
    codes = pd.factorize(values)[0]
    return np.where(codes >= 0, codes, np.nan) if (codes < 0).any() else codes


def customer_types(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate of new vs repeat buyers (see :func:`buyer_types`) in the month's cohort.

    Rows ``new``, ``repeat`` (and ``unidentified`` when some orders have no key), with
    ``buyers`` = distinct buyer keys, ``paid_sub_orders``, ``refunded``, ``refund_rate``,
    ``ci_low``/``ci_high``, ``share`` of the cohort's sub-orders.  A type without orders shows
    0 orders and a NaN rate.
    """
    types = buyer_types(outcomes)
    c = cohort(outcomes.assign(buyer_type=types), month)
    table = rate_table(c, "buyer_type", min_orders=min_orders)
    present = ["new", "repeat"] + (["unidentified"] if (c["buyer_type"] == "unidentified").any() else [])
    table = fill_segments(table, "buyer_type", present)
    buyers = c.groupby("buyer_type")["buyer_key"].nunique() if "buyer_key" in c else pd.Series(dtype=int)
    table.insert(1, "buyers", table["buyer_type"].map(buyers).fillna(0).astype(int))
    table["share"] = table["paid_sub_orders"] / len(c) if len(c) else np.nan
    table["_order"] = table["buyer_type"].map({t: i for i, t in enumerate(BUYER_TYPES)})
    return table.sort_values("_order").drop(columns="_order").reset_index(drop=True)
