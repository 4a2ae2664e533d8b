"""The order → refund funnel of the month's cohort: paid → shipped → received → applied →
refunded, and the stage at which refunded sub-orders left (流失节点)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .metrics.outcomes import cohort
from .core.frames import isin

__all__ = ["FUNNEL_ZH", "EXIT_ZH", "funnel", "funnel_exits", "funnel_summary", "funnel_display"]


FUNNEL_ZH = {"paid": "支付", "shipped": "已发货", "received": "已签收", "applied": "申请售后",
             "refunded": "退款/退货成功"}

EXIT_ZH = {"before_shipping": "发货前（未发货仅退款）", "in_transit": "发货后、签收前（已发货仅退款/拒收）",
           "after_receipt": "签收后（退货退款/仅退款）"}


def _received(frame: pd.DataFrame, after_sales: pd.DataFrame) -> pd.Series:
    """签收: the order completed (已完成/订单完成时间), or an after-sale reports the outbound parcel
    as signed for (发货物流状态 已签收), or the goods came back (退货退款 needs them received)."""
    done = frame["complete_time"].notna() if "complete_time" in frame else pd.Series(False, index=frame.index)
    if "order_status" in frame:
        done = done | (frame["order_status"] == "completed")
    a = after_sales
    signed = a["outbound_logistics_state"].fillna("").str.contains("签收") if "outbound_logistics_state" in a else False
    signed_ids = set(a.loc[signed, "sub_order_id"]) if not isinstance(signed, bool) else set()
    returned_ids = set(a.loc[a["after_sale_type"] == "return_refund", "sub_order_id"])
    return frame["ship_time"].notna() & (done | frame["sub_order_id"].isin(signed_ids | returned_ids))


def funnel(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """The month's cohort through five stages, one row each:

    * ``paid`` — sub-orders paid in M; ``shipped`` — with a 发货时间;
    * ``received`` — shipped and signed for (see :func:`_received`);
    * ``applied`` — with at least one 售后单 (any type, any stage, any outcome);
    * ``refunded`` — with a successful refund (the cohort refund rate's numerator).

    Columns: ``stage, label, sub_orders, share_of_paid`` (sub_orders / paid) and
    ``step_rate`` (sub_orders / the previous stage).  ``applied`` is not nested in ``received``:
    pre-shipment refunds apply before anything is shipped — see :func:`funnel_exits` for where
    the refunded sub-orders left.
    """
    c = cohort(outcomes, month)
    counts = {
        "paid": len(c),
        "shipped": int(c["ship_time"].notna().sum()),
        "received": int(_received(c, after_sales).sum()),
        "applied": int((c["after_sale_count"] > 0).sum()),
        "refunded": int(c["refunded"].sum()),
    }
    rows, prev = [], None
    for stage, n in counts.items():
        rows.append({"stage": stage, "label": FUNNEL_ZH[stage], "sub_orders": n,
                     "share_of_paid": n / counts["paid"] if counts["paid"] else math.nan,
                     "step_rate": (n / prev if prev else math.nan) if prev is not None else 1.0})
        prev = n
    return pd.DataFrame(rows)


def funnel_exits(refunded: pd.DataFrame, after_sales: pd.DataFrame) -> pd.DataFrame:
    """Where refunded sub-orders left the order flow (流失节点), from their first successful
    refund: ``before_shipping`` (未发货仅退款), ``in_transit`` (已发货仅退款 before the parcel was
    signed for) or ``after_receipt`` (退货退款, or 仅退款 after signing).

    ``refunded``: outcome rows (only those with ``refunded`` true are counted).
    Columns: ``stage, label, sub_orders, share``.
    """
    ids = refunded.loc[refunded["refunded"].astype(bool), "sub_order_id"]
    a = after_sales[isin(after_sales["sub_order_id"], ids) & after_sales["is_refund_success"].astype(bool)]
    a = a.sort_values("apply_time").drop_duplicates("sub_order_id")
    signed = (a["outbound_logistics_state"].fillna("").str.contains("签收")
              if "outbound_logistics_state" in a else pd.Series(False, index=a.index))
    stage = np.where(a["after_sale_type"] == "refund_unshipped", "before_shipping",
                     np.where((a["after_sale_type"] == "return_refund") | signed,
                              "after_receipt", "in_transit"))
    counts = pd.Series(stage, dtype=object).value_counts()
    total = int(counts.sum())
    rows = [{"stage": s, "label": EXIT_ZH[s], "sub_orders": int(counts.get(s, 0)),
             "share": (int(counts.get(s, 0)) / total) if total else 0.0} for s in EXIT_ZH]
    return pd.DataFrame(rows)


def funnel_summary(funnel_table: pd.DataFrame, exits: pd.DataFrame) -> str:
    """One Chinese sentence naming the stage where most refunded orders left."""
    paid = int(funnel_table.loc[funnel_table["stage"] == "paid", "sub_orders"].iat[0])
    refunded = int(funnel_table.loc[funnel_table["stage"] == "refunded", "sub_orders"].iat[0])
    if refunded == 0 or exits["sub_orders"].sum() == 0:
        return f"本月 {paid:,} 笔支付子订单中没有退款成功的订单。"
    top = exits.sort_values("sub_orders", ascending=False).iloc[0]
    return (f"本月 {paid:,} 笔支付子订单中 {refunded:,} 笔退款成功（{refunded / paid:.1%}）；"
            f"流失最多的环节是「{top['label']}」：{int(top['sub_orders']):,} 笔，占退款订单的 {top['share']:.0%}。")


def funnel_display(stages: pd.DataFrame) -> pd.DataFrame:
    """The funnel for reading: 环节, 子订单数, 占支付, 较上一环节."""
    return pd.DataFrame({
        "环节": stages["label"], "子订单数": [f"{int(v):,}" for v in stages["sub_orders"]],
        "占支付": [f"{v:.1%}" for v in stages["share_of_paid"]],
        "较上一环节": ["—" if i == 0 else f"{v:.1%}" for i, v in enumerate(stages["step_rate"])],
    })
