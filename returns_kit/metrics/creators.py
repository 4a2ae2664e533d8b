"""Creators (达人) and traffic sources: who brought the orders that come back."""

from __future__ import annotations

import pandas as pd

from .outcomes import cohort
from .ranking import MIN_ORDERS, mode, rate_table

__all__ = ["NO_CREATOR", "UNKNOWN_SOURCE", "creators", "traffic"]


#: the segment of orders without a 达人 (店铺自播、商品卡、搜索 …)
NO_CREATOR = "店铺自营/无达人"

#: shown for a blank 流量来源 / 流量体裁 / 流量渠道
UNKNOWN_SOURCE = "未知"


def creators(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per 达人 (creator, by 达人ID) of the month's cohort, riskiest first.

    Orders without a creator form one segment, ``creator_id`` None and ``creator_name``
    :data:`NO_CREATOR`.  ``creator_name`` is the most frequent 达人昵称 of the ID.  Columns as
    :func:`rate_table` plus ``refund_amount``; ranking by Wilson lower bound, low volume last.
    """
    c = cohort(outcomes, month)
    ids = c["creator_id"] if "creator_id" in c else pd.Series(None, index=c.index, dtype=object)
    names = c["creator_name"] if "creator_name" in c else pd.Series(None, index=c.index, dtype=object)
    key = ids.fillna(names).fillna("\x00none")
    c = c.assign(_creator=key)
    table = rate_table(c, "_creator", min_orders=min_orders)
    name_of = names.groupby(key).agg(mode)
    amount = c.groupby("_creator")["refund_amount"].sum()
    known = set(ids.dropna())
    table.insert(0, "creator_id", pd.Series(
        [k if k in known else None for k in table["_creator"]], index=table.index, dtype=object))
    table.insert(1, "creator_name", pd.Series(
        [NO_CREATOR if k == "\x00none" else name_of.get(k) for k in table["_creator"]],
        index=table.index, dtype=object))
    table["refund_amount"] = table["_creator"].map(amount).round(2)
    return table.drop(columns="_creator")


def traffic(outcomes: pd.DataFrame, month: str, by: str = "traffic_source",
            min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per traffic segment of the month's cohort: ``by`` = ``traffic_source``
    (流量来源), ``traffic_format`` (流量体裁), ``traffic_channel`` (流量渠道) or ``traffic_type``
    (流量类型); blank → :data:`UNKNOWN_SOURCE`.  Columns as :func:`rate_table`."""
    c = cohort(outcomes, month)
    values = c[by] if by in c else pd.Series(None, index=c.index, dtype=object)
    return rate_table(c.assign(**{by: values.fillna(UNKNOWN_SOURCE)}), by, min_orders=min_orders)
