"""Regions: refund rate by receiver province and city, and the product × province grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .outcomes import cohort
from .products import product_names
from .ranking import MIN_ORDERS, rate_table
from ..core.frames import isin

__all__ = ["provinces", "cities", "heatmap_table", "heatmap_note"]


def provinces(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate by 省 (receiver province) for the month's cohort, riskiest first."""
    return rate_table(cohort(outcomes, month), "province", min_orders=min_orders)


def cities(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate by 省 + 市 (receiver city) for the month's cohort, riskiest first (same
    Wilson ranking and ``low_volume`` rule as :func:`rate_table`)."""
    return rate_table(cohort(outcomes, month), ["province", "city"], min_orders=min_orders)


def heatmap_table(outcomes: pd.DataFrame, month: str, n_products: int = 10,
                  n_provinces: int = 10, min_orders: int = 30) -> pd.DataFrame:
    """Refund rate of the month's cohort for the riskiest products × the riskiest provinces.

    Products and provinces: the first ``n_products`` / ``n_provinces`` of
    :func:`~returns_kit.metrics.rate_table` (Wilson-ranked, low-volume ones last — as chapter 3
    ranks them).  Long format, one
    row per cell: ``product_id, product_name, province, paid_sub_orders, refunded, refund_rate``
    (NaN where no order); the chart greys cells below its ``min_volume``.
    """
    c = cohort(outcomes, month)
    prods = rate_table(c, "product_id", min_orders=min_orders).head(n_products)
    prods["product_name"] = prods["product_id"].map(product_names(c))
    provs = rate_table(c, "province", min_orders=min_orders).head(n_provinces)["province"].tolist()
    sub = c[isin(c["product_id"], prods["product_id"]) & c["province"].isin(provs)]
    g = sub.groupby(["product_id", "province"])["refunded"].agg(["size", "sum"])
    idx = pd.MultiIndex.from_product([prods["product_id"].tolist(), provs],
                                     names=["product_id", "province"])
    g = g.reindex(idx, fill_value=0).reset_index().rename(columns={"size": "paid_sub_orders",
                                                                   "sum": "refunded"})
    g["refunded"] = g["refunded"].astype(int)
    g["refund_rate"] = g["refunded"] / g["paid_sub_orders"].replace(0, np.nan)
    g.insert(1, "product_name", g["product_id"].map(dict(zip(prods["product_id"], prods["product_name"]))))
    return g


def heatmap_note(cells: pd.DataFrame, min_cell_orders: int) -> str:
    """The sentence under the product × province heatmap (:func:`heatmap_table`): the coloured
    cell with the highest rate, and the share of cells greyed for too few orders."""
    ok = cells[cells["paid_sub_orders"] >= min_cell_orders]
    if ok.empty:
        return f"所有单元格的订单都少于 {min_cell_orders} 单，无法比较。"
    worst = ok.sort_values(["refund_rate", "paid_sub_orders"], ascending=[False, False]).iloc[0]
    grey = (cells["paid_sub_orders"] < min_cell_orders).mean()
    return (f"着色单元格中退款率最高的是「{worst['product_name']}」在{worst['province']}："
            f"{int(worst['paid_sub_orders'])} 单退 {int(worst['refunded'])} 单（{worst['refund_rate']:.1%}）。"
            f"{grey:.0%} 的单元格订单少于 {min_cell_orders} 单，显示为灰色。")
