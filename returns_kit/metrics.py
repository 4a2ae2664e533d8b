"""Return metrics (DESIGN.md §4).  Pure functions: canonical tables in, DataFrames/dicts out.

Month M is a natural month in Beijing time, written ``"YYYY-MM"``.  Two ways to count a month:

* **application view** (申请口径, the article's 自然月 pull): after-sales whose 售后申请时间 is in M;
* **cohort view** (支付口径, 罗盘 “支付时间”): sub-orders whose 支付完成时间 is in M are the
  denominator; their after-sales count whenever they were applied (also in later months).

Every rate is a fraction (0.153), computed per 子订单: a sub-order with two after-sales counts once.

What is where (each function's docstring is the definition the report paraphrases in Chinese):

* chapter 1 — :func:`application_view` / :func:`application_table`, :func:`cohort_view`,
  :func:`cohort_status_view` / :func:`cohort_table`, :func:`views_by_type` (both views side by
  side per 售后类型 × status), :func:`cohort_maturity`, :func:`coverage` / :func:`coverage_summary`,
  :data:`DEFINITIONS_ZH` / :func:`definitions_table`;
* chapter 3 — time: :func:`daily`, :func:`weekly`, :func:`weekday_pattern`,
  :func:`load_promotions`, :func:`promotion_days`, :func:`promotion_rates`; product:
  :func:`top_products`, :func:`price_band_rates`; customer: :func:`buyer_types`,
  :func:`customer_types`; region: :func:`provinces`, :func:`cities`; logistics: :func:`carriers`,
  :func:`damage_cells` / :func:`damage_matrix`, :func:`ship_apply_lags` / :func:`lag_summary`;
  creator and traffic: :func:`creators`, :func:`traffic` — all ranked by :func:`rate_table`
  (Wilson interval, low volume last);
* settings — :func:`report_settings` (``conf/base/report.yml``);
* ``metrics.json`` — :func:`monthly_metrics` (other chapters plug in through
  :data:`CHAPTER_SECTIONS`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .reasons import Taxonomy

#: A cohort is provisional until this many days after its month ends (late returns still arrive:
#: 7-day no-reason window + delivery + slow buyers).  Editable in conf/base/report.yml.
MATURITY_DAYS = 30

#: Segments with fewer paid sub-orders are listed after all others in rankings (low_volume).
MIN_ORDERS = 30


# --------------------------------------------------------------------------------------------
# Months and windows
# --------------------------------------------------------------------------------------------

def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a ``YYYY-MM`` month as naive Beijing-time timestamps."""
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthBegin(1)


def previous_month(month: str) -> str:
    start, _ = month_bounds(month)
    return (start - pd.offsets.MonthBegin(1)).strftime("%Y-%m")


def in_month(times: pd.Series, month: str) -> pd.Series:
    start, end = month_bounds(month)
    return (times >= start) & (times < end)


def data_as_of(orders: pd.DataFrame, after_sales: pd.DataFrame) -> pd.Timestamp:
    """When the data was pulled: the newest export time of the files (from their names, else
    their modification time); without lineage columns, the latest application or payment.

    Taken from the data, not the clock, so a report re-rendered later says the same thing.
    """
    frames = (orders, after_sales)
    if all("export_time" in f.columns for f in frames):
        candidates = [f["export_time"].max() for f in frames]
    else:
        candidates = [after_sales["apply_time"].max(), orders["pay_time"].max()]
    candidates = [t for t in candidates if pd.notna(t)]
    return max(candidates) if candidates else pd.NaT


def cohort_maturity(month: str, as_of: pd.Timestamp, maturity_days: int = MATURITY_DAYS) -> dict:
    """Days from the end of ``month`` to ``as_of``; the cohort is provisional below ``maturity_days``.

    Returns ``{"days_since_month_end", "maturity_days", "provisional"}``.
    """
    _, end = month_bounds(month)
    days = int((as_of - end) // pd.Timedelta(days=1)) if pd.notna(as_of) else 0
    return {
        "days_since_month_end": days,  # negative while the month is still running
        "maturity_days": maturity_days,
        "provisional": days < maturity_days,
    }


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------

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


def _rate(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


# --------------------------------------------------------------------------------------------
# Application view
# --------------------------------------------------------------------------------------------


#: 售后类型 in the order the report lists them (canonical values, see model.AFTER_SALE_TYPES_ZH)
TYPE_ORDER = ("return_refund", "refund_shipped", "refund_unshipped", "exchange", "reship",
              "repair", "price_protect", "unknown")
#: status groups in the order the report lists them
STATUS_GROUP_ORDER = ("finished", "in_progress", "closed", "unknown")


def applications(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales whose 售后申请时间 is in ``month`` (application view)."""
    return after_sales[in_month(after_sales["apply_time"], month)]


def _status_counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["status_group"].value_counts()
    out = {"after_sales": int(len(frame))}
    for group in STATUS_GROUP_ORDER:
        out[group] = int(counts.get(group, 0))
    return out


def _status_table(frame: pd.DataFrame) -> pd.DataFrame:
    """After-sales per 售后类型 × status group with a ``total`` column, largest type first."""
    table = pd.crosstab(frame["after_sale_type"], frame["status_group"])
    for group in STATUS_GROUP_ORDER:
        if group not in table.columns:
            table[group] = 0
    table = table[list(STATUS_GROUP_ORDER)].astype(int)
    table["total"] = table.sum(axis=1)
    table = table.sort_values("total", ascending=False, kind="stable")
    table.index.name = "after_sale_type"
    table.columns.name = None
    return table.reset_index()


def application_view(after_sales: pd.DataFrame, month: str) -> dict[str, int]:
    """Application view of ``month``: after-sales applied in M, by status group.

    * ``after_sales`` — 售后单 with 售后申请时间 in M;
    * ``finished`` (完结) — refund succeeded, or exchange/reship/repair done;
    * ``in_progress`` (处理中) — waiting on buyer, merchant, logistics, arbitration, or refund failed;
    * ``closed`` (关闭/拒绝) — closed, cancelled or rejected;
    * ``unknown`` — a 售后状态 text the kit does not know (kept, never dropped).
    """
    return _status_counts(applications(after_sales, month))


def application_table(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales applied in ``month``: rows = 售后类型, columns = status group, with totals."""
    return _status_table(applications(after_sales, month))


# --------------------------------------------------------------------------------------------
# Cohort view
# --------------------------------------------------------------------------------------------

def sub_order_outcomes(orders: pd.DataFrame, after_sales: pd.DataFrame,
                       taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per paid sub-order with what happened to it after the sale.

    Columns added to the paid orders:

    * ``refunded`` — at least one successful refund (退货退款, 已发货仅退款 or 未发货仅退款 with
      售后状态 退款成功); a sub-order with two successful refunds counts once;
    * ``refund_amount`` — Σ 退商品金额 of those refunds, capped at the sub-order's payable amount;
    * ``returned`` — a successful 退货退款 (the goods came back);
    * ``quality_refund`` — a successful refund whose reason is in the taxonomy's quality
      categories (质量/描述/物流/发错漏发: the 品退率 numerator of 商家体验分);
    * ``damage`` — an after-sale citing damage (破损) that was not closed or rejected;
    * ``after_sale_count`` — number of 售后单 of any type and status;
    * ``first_apply_time`` — the earliest 售后申请时间.
    """
    paid = orders[orders["pay_time"].notna()].copy()
    a = after_sales.copy()
    category = taxonomy.categorize(a["reason"])
    success = a["is_refund_success"].astype(bool)
    a["_refund_amount"] = a["refund_goods_amount"].fillna(0.0).where(success, 0.0)
    a["_refunded"] = success
    a["_returned"] = success & (a["after_sale_type"] == "return_refund")
    a["_quality"] = success & category.isin(taxonomy.quality_categories)
    a["_damage"] = taxonomy.is_damage(a["reason"]) & ~a["status_group"].isin(["closed"])
    per_sub = a.groupby("sub_order_id", sort=False).agg(
        refunded=("_refunded", "any"),
        refund_amount=("_refund_amount", "sum"),
        returned=("_returned", "any"),
        quality_refund=("_quality", "any"),
        damage=("_damage", "any"),
        after_sale_count=("after_sale_id", "size"),
        first_apply_time=("apply_time", "min"),
    )
    out = paid.merge(per_sub, left_on="sub_order_id", right_index=True, how="left")
    for col in ("refunded", "returned", "quality_refund", "damage"):
        out[col] = out[col].fillna(False).astype(bool)
    out["after_sale_count"] = out["after_sale_count"].fillna(0).astype(int)
    out["refund_amount"] = np.minimum(
        out["refund_amount"].fillna(0.0), out["payable_amount"].fillna(0.0)
    ).round(2)
    return out


def cohort(outcomes: pd.DataFrame, month: str) -> pd.DataFrame:
    """Paid sub-orders whose 支付完成时间 is in ``month`` (the cohort view's denominator)."""
    return outcomes[in_month(outcomes["pay_time"], month)]


def cohort_view(outcomes: pd.DataFrame, month: str) -> dict[str, Any]:
    """Cohort view of ``month`` (支付口径).

    * ``paid_sub_orders`` — sub-orders with 支付完成时间 in M;
    * ``paid_amount`` — Σ 订单应付金额 of those sub-orders (yuan);
    * ``refund_rate_count`` — sub-orders with ≥1 successful refund / paid sub-orders;
    * ``refund_rate_amount`` — refunded goods amount of those refunds / paid amount;
    * ``return_rate_count`` — sub-orders with a successful 退货退款 / paid sub-orders;
    * ``quality_return_rate`` (品退率) — sub-orders refunded for a quality, description,
      logistics/damage or wrong/missing reason / paid sub-orders.
    """
    c = cohort(outcomes, month)
    n = len(c)
    paid_amount = float(c["payable_amount"].sum())
    return {
        "paid_sub_orders": int(n),
        "paid_amount": round(paid_amount, 2),
        "refunded_sub_orders": int(c["refunded"].sum()),
        "refunded_amount": round(float(c["refund_amount"].sum()), 2),
        "refund_rate_count": _rate(c["refunded"].sum(), n),
        "refund_rate_amount": _rate(c["refund_amount"].sum(), paid_amount),
        "return_rate_count": _rate(c["returned"].sum(), n),
        "quality_return_rate": _rate(c["quality_refund"].sum(), n),
    }


def cohort_after_sales(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales (applied in any month) of the sub-orders whose 支付完成时间 is in ``month``.

    An after-sale applied in M+1 for an order paid in M is here (the application view of M does
    not count it); one applied in M for an order paid in M−1 is not.  After-sales whose sub-order
    is missing from the order export cannot be placed in any cohort (see :func:`coverage`).
    """
    paid = orders.loc[in_month(orders["pay_time"], month), "sub_order_id"]
    return after_sales[after_sales["sub_order_id"].isin(paid)]


def cohort_status_view(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> dict[str, int]:
    """Cohort view of the after-sales themselves: those of sub-orders paid in M, by status group.

    Same keys as :func:`application_view` (``after_sales``, ``finished``, ``in_progress``,
    ``closed``, ``unknown`` — counted per 售后单) plus ``sub_orders_with_after_sale``: distinct
    sub-orders with at least one after-sale (a sub-order with two after-sales counts once here),
    and ``applied_after_month``: after-sales applied after M ended (in this view, not in the
    application view of M).
    """
    a = cohort_after_sales(orders, after_sales, month)
    out = _status_counts(a)
    out["sub_orders_with_after_sale"] = int(a["sub_order_id"].nunique())
    out["applied_after_month"] = int((a["apply_time"] >= month_bounds(month)[1]).sum())
    return out


def cohort_table(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales of sub-orders paid in ``month``: rows = 售后类型, columns = status group + total."""
    return _status_table(cohort_after_sales(orders, after_sales, month))


def views_by_type(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """The application view and the cohort view of ``month`` side by side, per 售后类型.

    One row per 售后类型 present in either view (in :data:`TYPE_ORDER`), columns
    ``app_<group>`` / ``app_total`` (售后申请时间 in M) and ``cohort_<group>`` / ``cohort_total``
    (after-sales of sub-orders with 支付完成时间 in M, applied whenever), ``<group>`` being
    finished / in_progress / closed / unknown.  Counts are 售后单, not sub-orders.
    """
    parts = []
    for prefix, table in (("app", application_table(after_sales, month)),
                          ("cohort", cohort_table(orders, after_sales, month))):
        t = table.set_index("after_sale_type")
        t.columns = [f"{prefix}_{c}" for c in t.columns]
        parts.append(t)
    wide = parts[0].join(parts[1], how="outer").fillna(0).astype(int)
    order = [t for t in TYPE_ORDER if t in wide.index] + sorted(set(wide.index) - set(TYPE_ORDER))
    wide = wide.reindex(order)
    cols = [f"{p}_{g}" for p in ("app", "cohort") for g in (*STATUS_GROUP_ORDER, "total")]
    wide = wide.reindex(columns=cols, fill_value=0)
    wide.index.name = "after_sale_type"
    return wide.reset_index()


def coverage(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str | None = None) -> pd.DataFrame:
    """After-sales whose 商品单号 is not in the order export (optionally: applied in ``month``).

    They cannot join a cohort, so they are listed rather than silently dropped.
    """
    a = after_sales if month is None else applications(after_sales, month)
    missing = ~a["sub_order_id"].isin(orders["sub_order_id"])
    cols = ["after_sale_id", "sub_order_id", "product_name", "after_sale_type", "status",
            "apply_time", "refund_goods_amount", "source_file"]
    return a.loc[missing, [c for c in cols if c in a.columns]].reset_index(drop=True)


def coverage_summary(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> dict[str, Any]:
    """How many after-sales applied in ``month`` find their sub-order in the order export.

    * ``after_sales`` — 售后单 applied in M (the application view's total);
    * ``with_order`` / ``after_sales_without_order`` — found / not found by 商品单号 (子订单编号);
    * ``share_without_order`` = after_sales_without_order / after_sales (NaN for no after-sales);
    * ``refund_amount_without_order`` — 退商品金额 of the successful refunds among those not found.

    The ones not found stay in the application view; they are missing only from the cohort view
    (no 支付完成时间 to place them), and :func:`coverage` lists them one by one.
    """
    apps = applications(after_sales, month)
    missing = ~apps["sub_order_id"].isin(orders["sub_order_id"])
    ok = apps["is_refund_success"].astype(bool) if "is_refund_success" in apps else False
    lost = apps.loc[missing & ok, "refund_goods_amount"].fillna(0.0).sum() if len(apps) else 0.0
    return {
        "after_sales": int(len(apps)),
        "with_order": int((~missing).sum()),
        "after_sales_without_order": int(missing.sum()),
        "share_without_order": _rate(missing.sum(), len(apps)),
        "refund_amount_without_order": round(float(lost), 2),
    }


# --------------------------------------------------------------------------------------------
# Breakdowns with Wilson intervals
# --------------------------------------------------------------------------------------------

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
    overall = _rate(frame[flag].sum(), len(frame))
    table["excess_refunds"] = (table["refunded"] - table["paid_sub_orders"] * overall).round(1)
    table["low_volume"] = table["paid_sub_orders"] < min_orders
    table = table.sort_values(["low_volume", "ci_low", "paid_sub_orders"],
                              ascending=[True, False, False])
    return table.reset_index()


def _fill_segments(table: pd.DataFrame, key: str, segments: list) -> pd.DataFrame:
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


def _mode(values: pd.Series):
    values = values.dropna()
    return values.mode().iat[0] if len(values) else None


# --- product -----------------------------------------------------------------------------

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


def _unit_price(frame: pd.DataFrame) -> pd.Series:
    """商品金额 (unit price); where the export lacks it, payable amount / quantity."""
    fallback = frame["payable_amount"] / pd.to_numeric(frame.get("quantity", 1), errors="coerce")
    if "unit_price" not in frame:
        return fallback
    return frame["unit_price"].fillna(fallback)


def price_band_rates(outcomes: pd.DataFrame, month: str, edges=PRICE_BANDS,
                     min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per price band (of each sub-order's unit price) for the month's cohort.

    Every band is listed in price order, a band without orders with 0 orders and a NaN rate;
    ``paid_amount`` is the band's Σ 订单应付金额.
    """
    c = cohort(outcomes, month)
    c = c.assign(price_band=price_band(_unit_price(c), edges).astype(object))
    table = rate_table(c, "price_band", min_orders=min_orders)
    amount = c.groupby("price_band")["payable_amount"].sum()
    labels = price_band_labels(edges)
    table = _fill_segments(table, "price_band", labels)
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
    table.insert(1, "product_name", table["product_id"].map(g["product_name"].agg(_mode)))
    if catalog is not None and len(catalog):
        cats = catalog.dropna(subset=["product_id"]).drop_duplicates("product_id", keep="last")
        category = table["product_id"].map(cats.set_index("product_id")["category"])
        category = category.where(category.astype(str).str.strip() != "", None)
    else:
        category = pd.Series([None] * len(table), index=table.index, dtype=object)
    table.insert(2, "category", category.astype(object).where(category.notna(), None))
    price = table["product_id"].map(_unit_price(c).groupby(c["product_id"]).median())
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


# --- region ------------------------------------------------------------------------------

def provinces(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate by 省 (receiver province) for the month's cohort, riskiest first."""
    return rate_table(cohort(outcomes, month), "province", min_orders=min_orders)


def cities(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate by 省 + 市 (receiver city) for the month's cohort, riskiest first (same
    Wilson ranking and ``low_volume`` rule as :func:`rate_table`)."""
    return rate_table(cohort(outcomes, month), ["province", "city"], min_orders=min_orders)


# --- customer ----------------------------------------------------------------------------

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
    order_pay = outcomes["pay_time"].groupby(order).transform("min")
    first = order_pay.groupby(key).transform("min")
    out = pd.Series(np.where(order_pay > first, "repeat", "new"), index=outcomes.index, dtype=object)
    out[key.isna()] = "unidentified"
    return out


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
    table = _fill_segments(table, "buyer_type", present)
    buyers = c.groupby("buyer_type")["buyer_key"].nunique() if "buyer_key" in c else pd.Series(dtype=int)
    table.insert(1, "buyers", table["buyer_type"].map(buyers).fillna(0).astype(int))
    table["share"] = table["paid_sub_orders"] / len(c) if len(c) else np.nan
    table["_order"] = table["buyer_type"].map({t: i for i, t in enumerate(BUYER_TYPES)})
    return table.sort_values("_order").drop(columns="_order").reset_index(drop=True)


# --- logistics ---------------------------------------------------------------------------

def carriers(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """By outbound carrier (parsed from 快递信息), for the month's shipped sub-orders.

    ``shipped_sub_orders`` = paid sub-orders with a carrier; ``refund_rate`` as above;
    ``damage_rate`` = sub-orders with an open or successful damage (破损) after-sale / shipped,
    with its Wilson ``damage_ci_low``/``damage_ci_high``; sorted by ``damage_ci_low``.
    """
    c = cohort(outcomes, month)
    shipped = c[c["carrier"].notna()]
    table = rate_table(shipped, "carrier", min_orders=min_orders).rename(columns={"paid_sub_orders": "shipped_sub_orders"})
    damaged = shipped.groupby("carrier")["damage"].sum()
    table["damaged"] = table["carrier"].map(damaged).fillna(0).astype(int)
    table["damage_rate"] = table["damaged"] / table["shipped_sub_orders"]
    table["damage_ci_low"], table["damage_ci_high"] = wilson_interval(
        table["damaged"], table["shipped_sub_orders"])
    return table.sort_values(["low_volume", "damage_ci_low"], ascending=[True, False]).reset_index(drop=True)


def damage_cells(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Damage rate per carrier × province (shipped sub-orders of the month's cohort).

    Per cell: ``shipped_sub_orders``, ``damaged`` (sub-orders with a damage after-sale that was
    not closed/rejected), ``damage_rate``, Wilson ``ci_low``/``ci_high``, ``low_volume``
    (fewer than ``min_orders`` shipped: too few to read, shown greyed or left out).  Cells with
    enough volume first, by ``ci_low``.
    """
    c = cohort(outcomes, month)
    shipped = c[c["carrier"].notna() & c["province"].notna()]
    table = rate_table(shipped, ["carrier", "province"], flag="damage", min_orders=min_orders)
    return table.rename(columns={"paid_sub_orders": "shipped_sub_orders", "refunded": "damaged",
                                 "refund_rate": "damage_rate", "excess_refunds": "excess_damaged"})


def damage_matrix(cells: pd.DataFrame, max_provinces: int = 12) -> pd.DataFrame:
    """Carrier × province grid of ``damage_rate`` from :func:`damage_cells`; low-volume cells
    are NaN (greyed in the heatmap).  Columns: the ``max_provinces`` provinces with the most
    shipped sub-orders; rows: carriers, most shipped first."""
    vol_p = cells.groupby("province")["shipped_sub_orders"].sum().sort_values(ascending=False, kind="stable")
    vol_c = cells.groupby("carrier")["shipped_sub_orders"].sum().sort_values(ascending=False, kind="stable")
    rates = cells["damage_rate"].where(~cells["low_volume"])
    grid = cells.assign(_rate=rates).pivot(index="carrier", columns="province", values="_rate")
    grid = grid.reindex(index=list(vol_c.index), columns=list(vol_p.index[:max_provinces]))
    grid.index.name, grid.columns.name = "carrier", "province"
    return grid


def ship_apply_lags(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Days from 发货时间 to the buyer's first after-sale, per shipped sub-order of the cohort.

    For each sub-order paid in ``month`` with a ``ship_time``: its first after-sale applied at or
    after shipping (a sub-order with two after-sales counts once).  Columns ``sub_order_id``,
    ``carrier``, ``province``, ``after_sale_type``, ``ship_time``, ``apply_time``, ``lag_days``
    (fractional days).  After-sales applied before shipping (intercepted, 未发货仅退款) are not
    in it.
    """
    c = cohort(outcomes, month)
    c = c[c["ship_time"].notna()]
    a = after_sales[after_sales["sub_order_id"].isin(c["sub_order_id"])]
    cols = ["sub_order_id", "carrier", "province", "ship_time"]
    merged = a[["sub_order_id", "after_sale_type", "apply_time"]].merge(c[cols], on="sub_order_id")
    merged = merged[merged["apply_time"] >= merged["ship_time"]]
    merged = merged.sort_values(["sub_order_id", "apply_time"]).drop_duplicates("sub_order_id")
    merged["lag_days"] = (merged["apply_time"] - merged["ship_time"]) / pd.Timedelta(days=1)
    out = merged[["sub_order_id", "carrier", "province", "after_sale_type", "ship_time",
                  "apply_time", "lag_days"]]
    return out.sort_values("apply_time").reset_index(drop=True)


def lag_summary(lags: pd.DataFrame, by: str | None = "after_sale_type") -> pd.DataFrame:
    """Quantiles of ``lag_days`` (from :func:`ship_apply_lags`): ``count``, ``p25``, ``median``,
    ``p75``, ``p90``, ``mean``, ``within_3d`` / ``within_7d`` (share applied within 3 / 7 days
    of shipping).  One row per ``by`` value (most frequent first) and a last row ``all``."""
    def row(s: pd.Series) -> dict[str, float]:
        n = int(len(s))
        q = s.quantile([0.25, 0.5, 0.75, 0.9]) if n else pd.Series([np.nan] * 4)
        return {"count": n, "p25": float(q.iloc[0]), "median": float(q.iloc[1]),
                "p75": float(q.iloc[2]), "p90": float(q.iloc[3]),
                "mean": float(s.mean()) if n else np.nan,
                "within_3d": _rate((s <= 3).sum(), n), "within_7d": _rate((s <= 7).sum(), n)}

    rows = []
    if by is not None:
        for key in lags[by].value_counts().index:
            rows.append({"group": key, **row(lags.loc[lags[by] == key, "lag_days"])})
    rows.append({"group": "all", **row(lags["lag_days"])})
    return pd.DataFrame(rows)


# --- creator and traffic -----------------------------------------------------------------

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
    name_of = names.groupby(key).agg(_mode)
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


# --------------------------------------------------------------------------------------------
# Time: daily, weekly, weekday, promotions
# --------------------------------------------------------------------------------------------

def daily(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Per day of ``month``: paid sub-orders and their refund rate (by pay date), and
    after-sales applied that day (by apply date)."""
    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    c = cohort(outcomes, month)
    by_pay = c.groupby(c["pay_time"].dt.normalize()).agg(
        paid_sub_orders=("sub_order_id", "size"), refunded=("refunded", "sum"))
    apps = applications(after_sales, month)
    by_apply = apps.groupby(apps["apply_time"].dt.normalize()).size().rename("applications")
    table = by_pay.reindex(days, fill_value=0).join(by_apply.reindex(days, fill_value=0))
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table.index.name = "date"
    return table.reset_index()


def weekly(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Weeks (Monday–Sunday, ISO) overlapping ``month``, counting only the month's days.

    Columns: ``week_start`` (the Monday, may be in the previous month), ``first_day`` /
    ``last_day`` (the week's days inside M), ``days``, ``partial`` (fewer than 7 days in M),
    ``label`` (``W40 09-28–10-04`` style, ``（不完整，N 天）`` when partial; dates are the
    days counted), ``paid_sub_orders``, ``refunded``, ``refund_rate`` with Wilson ``ci_low`` /
    ``ci_high`` (NaN for a week without orders) and ``applications`` (售后申请 in those days).
    """
    d = daily(outcomes, after_sales, month)
    d = d.assign(week_start=d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D"))
    g = d.groupby("week_start")
    table = pd.DataFrame({
        "first_day": g["date"].min(), "last_day": g["date"].max(), "days": g.size(),
        "paid_sub_orders": g["paid_sub_orders"].sum().astype(int),
        "refunded": g["refunded"].sum().astype(int),
        "applications": g["applications"].sum().astype(int),
    }).reset_index()
    table["partial"] = table["days"] < 7
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(table["refunded"], table["paid_sub_orders"])

    def label(r) -> str:
        text = f"W{r.week_start.isocalendar()[1]:02d} {r.first_day:%m-%d}–{r.last_day:%m-%d}"
        return text + (f"（不完整，{r.days} 天）" if r.partial else "")

    table["label"] = [label(r) for r in table.itertuples()]
    cols = ["week_start", "first_day", "last_day", "days", "partial", "label", "paid_sub_orders",
            "refunded", "refund_rate", "ci_low", "ci_high", "applications"]
    return table[cols]


WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def weekday_pattern(outcomes: pd.DataFrame, month: str) -> pd.DataFrame:
    """Refund rate by weekday of payment over the whole ``month`` (cohort view).

    Seven rows 周一…周日: ``weekday`` (0 = Monday), ``weekday_zh``, ``days`` (how many such days
    M has), ``paid_sub_orders``, ``orders_per_day`` (= paid_sub_orders / days), ``refunded``,
    ``refund_rate`` with Wilson ``ci_low``/``ci_high`` (NaN when no order was paid that weekday).
    """
    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    n_days = pd.Series(days.day_of_week).value_counts().reindex(range(7), fill_value=0)
    c = cohort(outcomes, month)
    wd = c["pay_time"].dt.day_of_week
    paid = wd.value_counts().reindex(range(7), fill_value=0)
    refunded = c["refunded"].groupby(wd).sum().reindex(range(7), fill_value=0).astype(int)
    table = pd.DataFrame({"weekday": range(7), "weekday_zh": WEEKDAYS_ZH,
                          "days": n_days.to_numpy(), "paid_sub_orders": paid.to_numpy().astype(int),
                          "refunded": refunded.to_numpy()})
    table["orders_per_day"] = table["paid_sub_orders"] / table["days"].replace(0, np.nan)
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(table["refunded"], table["paid_sub_orders"])
    return table


PROMOTION_COLUMNS = ["name", "start", "end", "peak", "approximate", "note"]
_YES = {"是", "yes", "y", "true", "1", "约", "approx"}


def load_promotions(conf_dir="conf") -> pd.DataFrame:
    """The promotion calendar ``promotions.csv`` (conf/local replaces conf/base).

    Columns ``name, start, end`` (required, dates ``YYYY-MM-DD``, ``end`` inclusive and not
    before ``start``), ``peak`` (optional date inside the period: the main day, e.g. 11-11),
    ``approximate`` (是/否: dates estimated, not announced) and ``note``.  Each row is one
    promotion in one year, so a new year is a new row.  A bad cell raises
    :class:`~returns_kit.errors.InputError` naming file, row (spreadsheet row, header = 1) and
    column.  No file → an empty calendar.
    """
    from .config import conf_file
    from .errors import InputError

    path = conf_file("promotions.csv", conf_dir)
    if path is None:
        return pd.DataFrame({"name": pd.Series(dtype=object), "start": pd.Series(dtype="datetime64[ns]"),
                             "end": pd.Series(dtype="datetime64[ns]"), "peak": pd.Series(dtype="datetime64[ns]"),
                             "approximate": pd.Series(dtype=bool), "note": pd.Series(dtype=object)})
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ("name", "start", "end") if c not in raw.columns]
    if missing:
        raise InputError(f"promotion calendar: missing column(s) {', '.join(missing)}", file=str(path))
    for col in PROMOTION_COLUMNS:
        if col not in raw.columns:
            raw[col] = ""
    rows = []
    for i, r in enumerate(raw.itertuples(index=False), start=2):
        rec = {}
        for col in ("start", "end", "peak"):
            text = str(getattr(r, col)).strip()
            if not text and col == "peak":
                rec[col] = pd.NaT
                continue
            try:
                rec[col] = pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
            except (ValueError, TypeError):
                raise InputError(f"not a date (YYYY-MM-DD): {text!r}", file=str(path), row=i,
                                 column=col) from None
        name = str(r.name).strip()
        if not name:
            raise InputError("promotion name is empty", file=str(path), row=i, column="name")
        if rec["end"] < rec["start"]:
            raise InputError(f"end {rec['end']:%Y-%m-%d} is before start {rec['start']:%Y-%m-%d}",
                             file=str(path), row=i, column="end")
        if pd.notna(rec["peak"]) and not rec["start"] <= rec["peak"] <= rec["end"]:
            raise InputError("peak is outside start…end", file=str(path), row=i, column="peak")
        rows.append({"name": name, **rec,
                     "approximate": str(r.approximate).strip().lower() in _YES,
                     "note": str(r.note).strip()})
    return pd.DataFrame(rows, columns=PROMOTION_COLUMNS)


def promotion_days(calendar: pd.DataFrame, month: str) -> pd.DataFrame:
    """The days of ``month`` covered by a promotion of ``calendar`` (see :func:`load_promotions`).

    One row per (day, promotion): ``date``, ``name``, ``peak`` (the promotion's main day),
    ``approximate``; sorted by date then name.  A promotion running across the month boundary
    contributes only its days inside M; a day in two promotions has two rows.
    """
    start, end = month_bounds(month)
    rows = []
    for r in calendar.itertuples(index=False):
        first, last = max(r.start, start), min(r.end, end - pd.Timedelta(days=1))
        for day in pd.date_range(first, last, freq="D") if first <= last else []:
            rows.append({"date": day, "name": r.name, "peak": bool(pd.notna(r.peak) and day == r.peak),
                         "approximate": bool(r.approximate)})
    out = pd.DataFrame(rows, columns=["date", "name", "peak", "approximate"])
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(["date", "name"]).reset_index(drop=True)


#: segment of :func:`promotion_rates` for days without a promotion
REGULAR_DAYS = "非大促日"


def promotion_rates(outcomes: pd.DataFrame, month: str, promo_days: pd.DataFrame,
                    min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate of sub-orders paid during each promotion of the month vs the other days.

    ``promotion`` = the promotion's name (names joined with ``、`` on a day in two of them) or
    :data:`REGULAR_DAYS`; ``days`` = calendar days in the segment; other columns as
    :func:`rate_table`.  A promotion without orders shows 0 orders and a NaN rate.
    """
    c = cohort(outcomes, month)
    start, end = month_bounds(month)
    all_days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    names = promo_days.groupby("date")["name"].agg(lambda s: "、".join(sorted(set(s))))
    day_label = pd.Series(REGULAR_DAYS, index=all_days, dtype=object)
    day_label.loc[names.index] = names
    c = c.assign(promotion=c["pay_time"].dt.normalize().map(day_label))
    table = rate_table(c, "promotion", min_orders=min_orders)
    table = _fill_segments(table, "promotion", list(dict.fromkeys(day_label)))
    table.insert(1, "days", table["promotion"].map(day_label.value_counts()).fillna(0).astype(int))
    return table


# --------------------------------------------------------------------------------------------
# Other chapters' helpers
# --------------------------------------------------------------------------------------------

def reason_breakdown(after_sales: pd.DataFrame, month: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """After-sales applied in ``month`` by reason category and reason text, with shares."""
    apps = applications(after_sales, month)
    frame = pd.DataFrame({
        "category": taxonomy.categorize(apps["reason"]).to_numpy(),
        "reason": apps["reason"].fillna("（空）").to_numpy(),
    })
    table = frame.value_counts().rename("count").reset_index()
    table["share"] = table["count"] / max(len(frame), 1)
    return table


def refund_clocks(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Refunded goods amount per day of ``month`` on both 罗盘 clocks.

    * ``by_pay_time`` (退款金额（支付时间）) — refunds of sub-orders paid that day, whenever refunded;
    * ``by_refund_time`` (退款金额（退款时间）) — successful refunds whose 商家退款时间 is that day,
      whenever the order was paid.
    The two differ by construction: the first grows for weeks after the day, the second is final.
    """
    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    c = cohort(outcomes, month)
    by_pay = c.groupby(c["pay_time"].dt.normalize())["refund_amount"].sum()
    ok = after_sales[after_sales["is_refund_success"].astype(bool)]
    ok = ok.assign(_t=ok["merchant_refund_time"].fillna(ok["finish_time"]))
    ok = ok[in_month(ok["_t"], month)]
    by_refund = ok.groupby(ok["_t"].dt.normalize())["refund_goods_amount"].sum()
    table = pd.DataFrame({
        "by_pay_time": by_pay.reindex(days, fill_value=0.0),
        "by_refund_time": by_refund.reindex(days, fill_value=0.0),
    }).round(2)
    table.index.name = "date"
    return table.reset_index()


# --------------------------------------------------------------------------------------------
# Settings (conf/base/report.yml)
# --------------------------------------------------------------------------------------------

REPORT_DEFAULTS: dict[str, Any] = {
    "maturity_days": MATURITY_DAYS,
    "min_orders": MIN_ORDERS,
    "damage_cell_min_orders": MIN_ORDERS,
    "price_bands": list(PRICE_BANDS),
}


def report_settings(conf_dir="conf") -> dict[str, Any]:
    """``conf/base/report.yml`` (+ ``conf/local``) over :data:`REPORT_DEFAULTS`, checked.

    Keys: ``maturity_days`` (cohort maturity), ``min_orders`` (ranking volume floor),
    ``damage_cell_min_orders`` (carrier × province cells), ``price_bands`` (increasing edges).
    """
    from .config import conf_file, load_yaml
    from .errors import InputError

    conf = {**REPORT_DEFAULTS, **load_yaml("report.yml", conf_dir)}
    where = str(conf_file("report.yml", conf_dir) or "report.yml")
    for key in ("maturity_days", "min_orders", "damage_cell_min_orders"):
        if not isinstance(conf[key], int) or isinstance(conf[key], bool) or conf[key] < 0:
            raise InputError(f"{key} must be a whole number ≥ 0, got {conf[key]!r}", file=where, column=key)
    try:
        price_band_labels(conf["price_bands"])
    except (ValueError, TypeError):
        raise InputError(f"price_bands must be increasing numbers, got {conf['price_bands']!r}",
                         file=where, column="price_bands") from None
    return conf


# --------------------------------------------------------------------------------------------
# metrics.json
# --------------------------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.strftime("%Y-%m-%d %H:%M:%S")
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def _jsonable(obj):
    """``obj`` with numpy scalars as Python ones and NaN/NaT as None, recursively (metrics.json
    must be strict JSON: a month without orders has no rate, not ``NaN``)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return _plain(obj)


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return [{col: _plain(v) for col, v in zip(columns, row)}
            for row in frame[columns].itertuples(index=False)]


def breakdown_metrics(outcomes: pd.DataFrame, month: str, settings: dict[str, Any] | None = None,
                      catalog: pd.DataFrame | None = None) -> dict[str, Any]:
    """The chapter-3 lists of ``metrics.json``: ``top_products`` (20), ``provinces``,
    ``carriers`` (with ``damage_rate``) and ``creators``, every rate with its Wilson interval."""
    s = {**REPORT_DEFAULTS, **(settings or {})}
    n_min = s["min_orders"]
    rate_cols = ["refunded", "refund_rate", "ci_low", "ci_high", "low_volume"]
    return {
        "top_products": _records(
            top_products(outcomes, month, min_orders=n_min, catalog=catalog, price_bands=s["price_bands"]),
            ["product_id", "product_name", "category", "price_band", "unit_price", "paid_sub_orders",
             "paid_amount", *rate_cols[:1], "refund_amount", *rate_cols[1:]]),
        "provinces": _records(provinces(outcomes, month, min_orders=n_min),
                              ["province", "paid_sub_orders", *rate_cols]),
        "carriers": _records(carriers(outcomes, month, min_orders=n_min),
                             ["carrier", "shipped_sub_orders", *rate_cols, "damaged", "damage_rate",
                              "damage_ci_low", "damage_ci_high"]),
        "creators": _records(creators(outcomes, month, min_orders=n_min),
                             ["creator_id", "creator_name", "paid_sub_orders", *rate_cols]),
    }


#: Other chapters' metrics.json sections, as ``"module:function"`` (relative to returns_kit).
#: Each is called as ``function(data, month, conf_dir=…, external_dir=…)`` and returns a dict of
#: new top-level keys (plain JSON types).  Wiring a chapter in = adding one line here.
CHAPTER_SECTIONS: tuple[str, ...] = (
    ".sources:source_comparison_metrics",  # chapter 2
    ".reasons:reasons_metrics",  # chapter 4
    ".anomaly:anomaly_metrics",  # chapter 5
    ".costs:cost_metrics",  # chapter 7
    ".experiments:intervention_metrics",  # chapter 8
)


def _section_function(spec: str):
    from importlib import import_module

    module, _, name = spec.partition(":")
    return getattr(import_module(module, __package__), name)


def monthly_metrics(data, month: str, conf_dir="conf", external_dir=None,
                    sections: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Everything ``metrics.json`` holds for ``month`` (DESIGN.md §6), as plain JSON types.

    The core keys (month, as_of, data_quality, application_view, cohort_view, coverage,
    cohort_after_sales, top_products, provinces, carriers, creators, reasons) are computed here;
    then each of ``sections`` (default :data:`CHAPTER_SECTIONS`) adds its own keys.  A section
    that returns a key already present raises ``ValueError`` (no silent overwrite).  NaN (a rate
    with no orders) is written as null.
    """
    from .reasons import load_taxonomy

    settings = report_settings(conf_dir)
    taxonomy = load_taxonomy(conf_dir)
    outcomes = sub_order_outcomes(data.orders, data.after_sales, taxonomy)
    as_of = data_as_of(data.orders, data.after_sales)
    view = cohort_view(outcomes, month)
    view.update(cohort_maturity(month, as_of, settings["maturity_days"]))
    reasons = reason_breakdown(data.after_sales, month, taxonomy)
    catalog = None
    if external_dir is not None:
        from .io import load_catalog

        catalog = load_catalog(external_dir)
    out: dict[str, Any] = {
        "month": month,
        "as_of": None if pd.isna(as_of) else as_of.strftime("%Y-%m-%d %H:%M:%S"),
        "data_quality": data.data_quality(),
        "application_view": application_view(data.after_sales, month),
        "cohort_view": view,
        "cohort_after_sales": cohort_status_view(data.orders, data.after_sales, month),
        "coverage": coverage_summary(data.orders, data.after_sales, month),
        **breakdown_metrics(outcomes, month, settings, catalog),
        "reasons": _records(reasons, ["category", "reason", "count", "share"]),
    }
    for spec in (CHAPTER_SECTIONS if sections is None else sections):
        fn = _section_function(spec) if isinstance(spec, str) else spec
        extra = fn(data, month, conf_dir=conf_dir, external_dir=external_dir)
        clash = sorted(set(extra) & set(out))
        if clash:
            raise ValueError(f"metrics section {spec!r} returns keys already in metrics.json: {clash}")
        out.update(extra)
    return _jsonable(out)


#: Chinese definitions shown beside the figures (chapter 1) — keep in step with the docstrings.
DEFINITIONS_ZH: dict[str, str] = {
    "申请口径（售后申请时间）": "售后申请时间落在本月的售后单，按状态分为完结（退款成功、换货/补寄完成）、处理中（待买家/商家/物流/仲裁）、关闭/拒绝。对应文章中按自然月从【售后管理】导出的数据。",
    "支付口径（支付完成时间）": "支付完成时间落在本月的子订单为分母，无论其售后何时发生都计入（与罗盘“退款率（支付时间）”同口径）。月末后仍会有退货陆续到来，未满成熟期的月份标为“暂估”。",
    "支付口径的售后单": "本月支付的子订单发起的售后单（不论申请在哪个月），按售后类型和状态拆分；下月才申请的退款计入支付口径、不计入本月申请口径。",
    "退款率（订单数）": "至少有一笔退款成功（退货退款、已发货仅退款、未发货仅退款）的子订单数 ÷ 本月支付子订单数；同一子订单多次售后只计一次。",
    "退款率（金额）": "上述退款的退商品金额之和（每个子订单不超过其应付金额）÷ 本月支付金额（订单应付金额之和）。",
    "退货率": "退货退款成功（货物退回）的子订单数 ÷ 本月支付子订单数；不含仅退款。",
    "品退率": "因质量问题、描述不符、物流问题（含破损）、发错/漏发而退款成功的子订单数 ÷ 本月支付子订单数（参照商家体验分“品质退货率”，买家主观原因不计入）。",
    "破损率": "有破损类售后（未关闭、未被拒绝）的子订单数 ÷ 该快递发货的子订单数。",
    "覆盖率": "本月申请的售后单中，商品单号能在订单导出中找到的比例；找不到的仍计入申请口径，但无法归入任何支付月份，单独列出。",
    "成熟期": "支付口径在月末后满若干天（默认 30 天，见 conf/base/report.yml）才算基本稳定；之前的比率为暂估，通常还会上升。",
    "置信区间": "Wilson 95% 区间：订单越少区间越宽。排名按区间下限排序，样本不足（少于 30 单）的排在最后，避免 3 单退 2 单的商品因偶然排到第一。",
}

#: The function of this module behind each figure of :data:`DEFINITIONS_ZH` (its docstring holds
#: the definition the Chinese text paraphrases).
DEFINITION_FUNCTIONS: dict[str, str] = {
    "申请口径（售后申请时间）": "application_view, application_table",
    "支付口径（支付完成时间）": "cohort_view",
    "支付口径的售后单": "cohort_status_view, cohort_table, views_by_type",
    "退款率（订单数）": "cohort_view (refund_rate_count), sub_order_outcomes",
    "退款率（金额）": "cohort_view (refund_rate_amount)",
    "退货率": "cohort_view (return_rate_count)",
    "品退率": "cohort_view (quality_return_rate)",
    "破损率": "carriers, damage_cells",
    "覆盖率": "coverage_summary, coverage",
    "成熟期": "cohort_maturity, report_settings",
    "置信区间": "wilson_interval, rate_table",
}


def definitions_table() -> pd.DataFrame:
    """:data:`DEFINITIONS_ZH` as a table (``metric``, ``description``, ``function``), the
    function being ``returns_kit.metrics.<name>`` whose docstring defines the figure."""
    rows = [{"metric": k, "description": v,
             "function": ", ".join(f"returns_kit.metrics.{f.strip()}"
                                   for f in DEFINITION_FUNCTIONS.get(k, "").split(",") if f.strip())}
            for k, v in DEFINITIONS_ZH.items()]
    return pd.DataFrame(rows, columns=["metric", "description", "function"])
