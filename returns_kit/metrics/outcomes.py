"""What happened to each paid sub-order after the sale — the row every cohort rate counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.frames import isin, rows
from ..core.periods import in_month
from ..core.taxonomy import Taxonomy

__all__ = ["sub_order_outcomes", "outcome_columns", "with_outcomes", "cohort", "refund_success_time", "known_at",
           "refund_details", "DETAIL_COLUMNS"]


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
    return with_outcomes(orders, outcome_columns(orders, after_sales, taxonomy))


def outcome_columns(orders: pd.DataFrame, after_sales: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """The columns :func:`sub_order_outcomes` adds to the paid orders, alone, indexed by the paid
    orders' row labels: what a report keeps of the outcomes (a few columns, where the paid orders
    are a gigabyte at the export limits); :func:`with_outcomes` puts them back on the orders."""
    paid = rows(orders, orders["pay_time"].notna())
    # only the columns read (copy-on-write: the columns added below do not copy them)
    a = after_sales[["sub_order_id", "after_sale_id", "after_sale_type", "status_group", "reason",
                     "is_refund_success", "refund_goods_amount", "apply_time"]]
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
    # a left join on the sub-order (unique among the kept orders): NaN where there is no after-sale
    added = per_sub.reindex(paid["sub_order_id"].to_numpy())
    added.index = paid.index
    for col in ("refunded", "returned", "quality_refund", "damage"):
        added[col] = added[col].fillna(False).astype(bool)
    added["after_sale_count"] = added["after_sale_count"].fillna(0).astype(int)
    added["refund_amount"] = np.minimum(
        added["refund_amount"].fillna(0.0).to_numpy(), paid["payable_amount"].fillna(0.0).to_numpy()
    ).round(2)
    return added


def with_outcomes(orders: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    """The paid orders with the columns of ``added`` (:func:`outcome_columns` of the same orders)
    beside theirs, row for row (an index with repeated labels is fine).  When every order is paid
    the orders' columns are shared, not copied (copy-on-write: the outcomes never change them).
    Outcome columns of other orders are a ValueError."""
    paid = rows(orders, orders["pay_time"].notna())
    if not paid.index.equals(added.index):
        raise ValueError("the outcome columns are not those of these orders' paid rows")
    for col in added.columns:
        paid[col] = added[col].to_numpy()
    return paid


def cohort(outcomes: pd.DataFrame, month: str) -> pd.DataFrame:
    """Paid sub-orders whose 支付完成时间 is in ``month`` (the cohort view's denominator).  An export
    of that month alone is handed back without copying its rows (copy-on-write shares them)."""
    return rows(outcomes, in_month(outcomes["pay_time"], month))


def refund_success_time(after_sales: pd.DataFrame) -> pd.Series:
    """When each successful refund succeeded: 商家退款时间, else 售后完结时间, else the application
    time (a success with neither time is dated when it was applied for); NaT for the after-sales
    that are not successful refunds.  Aligned to ``after_sales``."""
    success = after_sales["is_refund_success"].astype(bool)
    when = after_sales["merchant_refund_time"].fillna(after_sales["finish_time"]).fillna(after_sales["apply_time"])
    return when.where(success)


def known_at(after_sales: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The after-sales as the merchant's export would have shown them at ``cutoff``: those applied
    for later are left out, and a refund that succeeded after ``cutoff`` was not a success yet
    (``is_refund_success`` False; its amounts stay, they count only once it succeeds).

    :func:`sub_order_outcomes` over ``known_at(a, cutoff)`` is last month at the same cohort age
    as this month at its export (:func:`returns_kit.core.periods.equal_age_cutoff`).  Statuses are
    today's: an after-sale closed after ``cutoff`` counts as closed (only damage reads them).
    """
    applied = after_sales["apply_time"].notna() & (after_sales["apply_time"] <= cutoff)
    out = after_sales[applied].copy()
    late = refund_success_time(out) > cutoff
    out["is_refund_success"] = out["is_refund_success"].astype(bool) & ~late
    return out


#: the columns of :func:`refund_details`
DETAIL_COLUMNS = ["sub_order_id", "order_id", "after_sale_ids", "product_id", "product_name", "province",
                  "carrier", "creator_id", "creator_name", "pay_time", "refund_amount", "reason"]


def refund_details(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """The refunded sub-orders of ``month``'s cohort, one row each — what a refund rate's
    numerator is made of, for going from a figure to its orders: the sub-order's IDs, its
    successful refunds' 售后单号 (``after_sale_ids``, joined with "、"), the segment columns of
    the rankings, ``pay_time``, ``refund_amount`` and the first successful refund's ``reason``.
    No buyer data (names, phones, addresses, notes) is among the columns."""
    c = cohort(outcomes, month)
    c = rows(c, c["refunded"], [col for col in DETAIL_COLUMNS if col in c])
    when = refund_success_time(after_sales)
    # only the cohort's refunds, only the columns read: the million-row month takes no copies
    keep = when.notna().to_numpy() & isin(after_sales["sub_order_id"], c["sub_order_id"])
    ok = (after_sales.loc[keep, ["sub_order_id", "after_sale_id", "reason"]].assign(_when=when[keep])
          .sort_values(["_when", "after_sale_id"]))
    several = ok["sub_order_id"].duplicated(keep=False).to_numpy()
    joined = ok[several].groupby("sub_order_id", sort=False)["after_sale_id"].agg(lambda s: "、".join(map(str, s)))
    single = ok[~several].set_index("sub_order_id")["after_sale_id"]
    ids = pd.concat([pd.Series([str(v) for v in single], index=single.index, dtype=object), joined])
    reason = ok.drop_duplicates("sub_order_id").set_index("sub_order_id")["reason"]
    out = pd.DataFrame({col: c[col] if col in c else None for col in DETAIL_COLUMNS
                        if col not in ("after_sale_ids", "reason")})
    out.insert(2, "after_sale_ids", c["sub_order_id"].map(ids))
    out["reason"] = c["sub_order_id"].map(reason)
    return out.sort_values(["product_id", "pay_time", "sub_order_id"], kind="stable").reset_index(drop=True)
