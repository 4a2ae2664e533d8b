"""The ranking rule every breakdown uses: a rate per segment with its Wilson interval, riskiest
first by the interval's lower bound, low-volume segments last."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.stats import rate, wilson_interval

__all__ = ["MIN_ORDERS", "rate_table", "fill_segments", "mode"]

#: Segments with fewer paid sub-orders are listed after all others in rankings (low_volume).
MIN_ORDERS = 30


def rate_table(frame: pd.DataFrame, by: str | list[str], flag: str = "refunded",
               z: float = 1.96, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per segment with a Wilson interval, riskiest first.

    * ``paid_sub_orders`` — rows in the segment; ``refunded`` — rows with ``flag`` true;
    * ``refund_rate`` = refunded / paid_sub_orders; ``ci_low``/``ci_high`` — Wilson interval;
    * ``excess_refunds`` = refunded − paid_sub_orders × the overall rate: refunds above what
      the segment would have at the average rate (what fixing it would save);
    * ``low_volume`` — fewer than ``min_orders`` sub-orders: ranked after every segment with
      enough volume, whatever its rate, so a 2-of-3 product never tops the list on luck.

    Segments with enough volume are sorted by ``ci_low`` (the rate we are 97.5% sure the
    segment is at least): topping the list needs a high rate *and* enough orders to be sure.
    """
    keys = [by] if isinstance(by, str) else list(by)
    g = frame.groupby(keys, dropna=True, observed=True)
    table = pd.DataFrame({
        "paid_sub_orders": g.size(),
        "refunded": g[flag].sum().astype(int),
    })
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"]
    table["ci_low"], table["ci_high"] = wilson_interval(table["refunded"], table["paid_sub_orders"], z)
    overall = rate(frame[flag].sum(), len(frame))
    table["excess_refunds"] = (table["refunded"] - table["paid_sub_orders"] * overall).round(1)
    table["low_volume"] = table["paid_sub_orders"] < min_orders
    table = table.sort_values(["low_volume", "ci_low", "paid_sub_orders"],
                              ascending=[True, False, False])
    return table.reset_index()


def fill_segments(table: pd.DataFrame, key: str, segments: list) -> pd.DataFrame:
    """Add the segments of ``segments`` that have no order (0 orders, NaN rate, low_volume)."""
    missing = [s for s in segments if s not in set(table[key])]
    if not missing:
        return table
    empty = pd.DataFrame({key: missing, "paid_sub_orders": 0, "refunded": 0,
                          "refund_rate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                          "excess_refunds": 0.0, "low_volume": True})
    return pd.concat([table, empty.astype({c: table[c].dtype for c in empty.columns
                                           if c in table and c != key})],
                     ignore_index=True)


def mode(values: pd.Series):
    values = values.dropna()
    return values.mode().iat[0] if len(values) else None
