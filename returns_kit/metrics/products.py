"""Products: the TOP products of the month's cohort, price bands, catalog categories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.frames import rows
from .outcomes import cohort
from .ranking import MIN_ORDERS, fill_segments, mode, rate_table

__all__ = ["PRICE_BANDS", "price_band_labels", "price_band", "unit_price", "product_names",
           "price_band_rates", "top_products", "category_rates"]


#: default price-band edges (yuan); editable as ``price_bands`` in conf/base/report.yml
PRICE_BANDS: tuple[float, ...] = (0, 50, 100, 200, 500)


def _yuan(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


def price_band_labels(edges=PRICE_BANDS) -> list[str]:
    """Labels of the bands ``[e0, e1) … [en, ∞)``: ``¥0–50``, ``¥50–100`` … ``¥500+``."""
    edges = [float(e) for e in edges]
    if not edges or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"price band edges must be increasing, got {edges}")
    labels = [f"¥{_yuan(a)}–{_yuan(b)}" for a, b in zip(edges, edges[1:])]
    return labels + [f"¥{_yuan(edges[-1])}+"]


def price_band(prices: pd.Series, edges=PRICE_BANDS) -> pd.Series:
    """Price band of each unit price (left-closed: 50.00 is in ``¥50–100``); NaN stays NaN and
    prices below the first edge get no band.  An ordered categorical with every band."""
    labels = price_band_labels(edges)
    bins = [float(e) for e in edges] + [np.inf]
    return pd.cut(pd.to_numeric(prices, errors="coerce").astype(float), bins=bins, labels=labels,
                  right=False)


def unit_price(frame: pd.DataFrame) -> pd.Series:
    """商品金额 (unit price); where the export lacks it, payable amount / quantity."""
    fallback = frame["payable_amount"] / pd.to_numeric(frame.get("quantity", 1), errors="coerce")
    if "unit_price" not in frame:
        return fallback
    return frame["unit_price"].fillna(fallback)


def product_names(frame: pd.DataFrame) -> dict[str, str | None]:
    """``product_id`` → its most frequent 商品名称 in ``frame`` (``None`` when it has none; of
    names as frequent, the first in sort order, as :func:`~returns_kit.metrics.ranking.mode`),
    in the order of the sorted IDs.  Counted once over the pairs, not product by product."""
    named = rows(frame, frame["product_id"].notna(), ["product_id", "product_name"])
    counts = (rows(named, named["product_name"].notna()).value_counts(sort=False).rename("n").reset_index()
              .sort_values(["product_id", "n", "product_name"], ascending=[True, False, True], kind="stable"))
    top = dict(zip(*(counts.drop_duplicates("product_id")[c] for c in ("product_id", "product_name"))))
    return {str(k): top.get(k) for k in named["product_id"].drop_duplicates().sort_values()}


def price_band_rates(outcomes: pd.DataFrame, month: str, edges=PRICE_BANDS,
                     min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per price band (of each sub-order's unit price) for the month's cohort.

    Every band is listed in price order, a band without orders with 0 orders and a NaN rate;
    ``paid_amount`` is the band's Σ 订单应付金额.
    """
    c = cohort(outcomes, month)
    c = c.assign(price_band=price_band(unit_price(c), edges).astype(object))
    table = rate_table(c, "price_band", min_orders=min_orders)
    amount = c.groupby("price_band")["payable_amount"].sum()
    labels = price_band_labels(edges)
    table = fill_segments(table, "price_band", labels)
    table["paid_amount"] = table["price_band"].map(amount).fillna(0.0).round(2)
    table["_order"] = table["price_band"].map({b: i for i, b in enumerate(labels)})
    return table.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def top_products(outcomes: pd.DataFrame, month: str, n: int = 20,
                 min_orders: int = MIN_ORDERS, catalog: pd.DataFrame | None = None,
                 price_bands=PRICE_BANDS) -> pd.DataFrame:
    """The ``n`` riskiest products of the month's cohort (see :func:`rate_table`).

    Per product: ``product_name`` (most frequent), ``category`` (from the analyst's catalog,
    None without one), ``unit_price`` (median 商品金额) and its ``price_band``, ``paid_sub_orders``
    (sales), ``paid_amount`` (Σ 订单应付金额), ``refunded``, ``refund_amount``, ``refund_rate``
    with its Wilson ``ci_low``/``ci_high``, ``excess_refunds`` and ``low_volume``.  A product with
    3 orders is ``low_volume`` and listed after every product with enough orders.
    """
    c = cohort(outcomes, month)
    table = rate_table(c, "product_id", min_orders=min_orders)
    g = c.groupby("product_id")
    table.insert(1, "product_name", table["product_id"].map(g["product_name"].agg(mode)))
    if catalog is not None and len(catalog):
        cats = catalog.dropna(subset=["product_id"]).drop_duplicates("product_id", keep="last")
        category = table["product_id"].map(cats.set_index("product_id")["category"])
        category = category.where(category.astype(str).str.strip() != "", None)
    else:
        category = pd.Series([None] * len(table), index=table.index, dtype=object)
    table.insert(2, "category", category.astype(object).where(category.notna(), None))
    price = table["product_id"].map(unit_price(c).groupby(c["product_id"]).median())
    table.insert(3, "unit_price", price)
    table.insert(4, "price_band", price_band(price, price_bands).astype(object))
    table.insert(6, "paid_amount", table["product_id"].map(g["payable_amount"].sum()).round(2))
    table.insert(8, "refund_amount", table["product_id"].map(g["refund_amount"].sum()).round(2))
    return table.head(n).reset_index(drop=True)


def category_rates(outcomes: pd.DataFrame, catalog: pd.DataFrame, month: str,
                   min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per product category (from the analyst's catalog; 未分类 when absent)."""
    c = cohort(outcomes, month)
    cats = catalog.set_index("product_id")["category"] if len(catalog) else pd.Series(dtype=object)
    c = c.assign(category=c["product_id"].map(cats).fillna("未分类"))
    return rate_table(c, "category", min_orders=min_orders)
