"""What happened to each paid sub-order after the sale — the row every cohort rate counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.periods import in_month
from ..core.taxonomy import Taxonomy

__all__ = ["sub_order_outcomes", "cohort"]


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
