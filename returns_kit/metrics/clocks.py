"""The kit's refunds per day on both of 罗盘's clocks (chapter 2).

* **pay-time clock** (退款口径 订单支付时间): a refund counts on the day its order was *paid* —
  this day's figure keeps growing for weeks after the day;
* **refund-time clock** (退款时间): a refund counts on the day the merchant refunded — final once
  the day is over.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.periods import in_month, month_days
from .outcomes import cohort

__all__ = ["KIT_COLUMNS", "kit_daily", "refund_clocks"]


KIT_COLUMNS = ["date", "clock", "refund_amount", "refund_shipping", "refund_sub_orders",
               "refund_main_orders", "paid_amount"]


def kit_daily(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """The kit's refund figures per day of ``month`` on both clocks (:data:`KIT_COLUMNS`).

    ``clock = "pay_time"`` (罗盘 退款口径 订单支付时间) — sub-orders paid that day (the cohort):

    * ``refund_amount`` — Σ refunded goods amount (``sub_order_outcomes.refund_amount``, capped at
      the payable amount; ``by_pay_time`` of :func:`refund_clocks`);
    * ``refund_sub_orders`` — sub-orders with ≥1 successful refund; ``refund_main_orders`` — the
      distinct 主订单 among them; ``refund_shipping`` — Σ 退运费金额 of their successful refunds;
    * ``paid_amount`` — Σ 订单应付金额 of the sub-orders paid that day.

    ``clock = "refund_time"`` (退款时间) — successful refunds whose 商家退款时间 (else 售后完结时间)
    is that day: ``refund_amount`` = Σ 退商品金额 (``by_refund_time``), ``refund_sub_orders`` /
    ``refund_main_orders`` = distinct 子订单 / 主订单, ``refund_shipping`` = Σ 退运费金额;
    ``paid_amount`` is empty.
    """
    days = month_days(month)
    ok = after_sales[after_sales["is_refund_success"].astype(bool)]
    ship_per_sub = ok.groupby("sub_order_id")["refund_shipping_amount"].sum(min_count=1).fillna(0.0)

    c = cohort(outcomes, month)
    day = c["pay_time"].dt.normalize()
    refunded = c[c["refunded"]]
    main = refunded["order_id"].where(refunded["order_id"].notna(), refunded["sub_order_id"])
    pay = pd.DataFrame({
        "refund_amount": c.groupby(day)["refund_amount"].sum(),
        "refund_shipping": pd.to_numeric(refunded["sub_order_id"].map(ship_per_sub), errors="coerce")
        .fillna(0.0).astype(float).groupby(day[c["refunded"]]).sum(),
        "refund_sub_orders": refunded.groupby(day[c["refunded"]]).size(),
        "refund_main_orders": main.groupby(day[c["refunded"]]).nunique(),
        "paid_amount": c.groupby(day)["payable_amount"].sum(),
    }).reindex(days)

    t = ok["merchant_refund_time"].fillna(ok["finish_time"])
    r = ok[in_month(t, month)]
    rday = t[in_month(t, month)].dt.normalize()
    rmain = r["order_id"].where(r["order_id"].notna(), r["sub_order_id"])
    ref = pd.DataFrame({
        "refund_amount": r.groupby(rday)["refund_goods_amount"].sum(),
        "refund_shipping": r.groupby(rday)["refund_shipping_amount"].sum(),
        "refund_sub_orders": r.groupby(rday)["sub_order_id"].nunique(),
        "refund_main_orders": rmain.groupby(rday).nunique(),
    }).reindex(days)
    ref["paid_amount"] = np.nan

    frames = []
    for clock, part in (("pay_time", pay), ("refund_time", ref)):
        part = part.copy()
        for col in ("refund_amount", "refund_shipping"):
            part[col] = part[col].fillna(0.0).astype(float).round(2)
        for col in ("refund_sub_orders", "refund_main_orders"):
            part[col] = part[col].fillna(0).astype(int)
        if clock == "pay_time":
            part["paid_amount"] = part["paid_amount"].fillna(0.0).astype(float).round(2)
        part.index.name = "date"
        part = part.reset_index()
        part.insert(1, "clock", clock)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)[KIT_COLUMNS]


def refund_clocks(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Refunded goods amount per day of ``month`` on both 罗盘 clocks (from :func:`kit_daily`).

    * ``by_pay_time`` (退款金额（支付时间）) — refunds of sub-orders paid that day, whenever refunded;
    * ``by_refund_time`` (退款金额（退款时间）) — successful refunds whose 商家退款时间 is that day,
      whenever the order was paid.
    The two differ by construction: the first grows for weeks after the day, the second is final.
    """
    kit = kit_daily(outcomes, after_sales, month)
    table = kit.pivot(index="date", columns="clock", values="refund_amount")
    table = table.rename(columns={"pay_time": "by_pay_time", "refund_time": "by_refund_time"})
    table = table[["by_pay_time", "by_refund_time"]]
    table.columns.name = None
    return table.reset_index()
