"""Chapter 1's two ways to count a month, side by side (DESIGN.md §4).

* **application view** (申请口径, the article's 自然月 pull): after-sales whose 售后申请时间 is in M;
* **cohort view** (支付口径, 罗盘 “支付时间”): sub-orders whose 支付完成时间 is in M are the
  denominator; their after-sales count whenever they were applied (also in later months).

Every rate is a fraction (0.153), computed per 子订单: a sub-order with two after-sales counts once.
Also here: how many after-sales find their order (coverage) and the after-sales of a month by
reason (chapter 4 shows it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.periods import in_month, month_bounds
from ..core.stats import rate
from ..core.taxonomy import Taxonomy
from .outcomes import cohort
from ..core.frames import isin

__all__ = [
    "TYPE_ORDER", "STATUS_GROUP_ORDER", "applications", "application_view", "application_table",
    "cohort_view", "cohort_after_sales", "cohort_status_view", "cohort_table", "views_by_type",
    "coverage", "coverage_summary", "reason_breakdown",
]


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
        "refund_rate_count": rate(c["refunded"].sum(), n),
        "refund_rate_amount": rate(c["refund_amount"].sum(), paid_amount),
        "return_rate_count": rate(c["returned"].sum(), n),
        "quality_return_rate": rate(c["quality_refund"].sum(), n),
    }


def cohort_after_sales(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales (applied in any month) of the sub-orders whose 支付完成时间 is in ``month``.

    An after-sale applied in M+1 for an order paid in M is here (the application view of M does
    not count it); one applied in M for an order paid in M−1 is not.  After-sales whose sub-order
    is missing from the order export cannot be placed in any cohort (see :func:`coverage`).
    """
    paid = orders.loc[in_month(orders["pay_time"], month), "sub_order_id"]
    return after_sales[isin(after_sales["sub_order_id"], paid)]


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
    missing = ~isin(a["sub_order_id"], orders["sub_order_id"])
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
    missing = ~isin(apps["sub_order_id"], orders["sub_order_id"])
    ok = apps["is_refund_success"].astype(bool) if "is_refund_success" in apps else False
    lost = apps.loc[missing & ok, "refund_goods_amount"].fillna(0.0).sum() if len(apps) else 0.0
    return {
        "after_sales": int(len(apps)),
        "with_order": int((~missing).sum()),
        "after_sales_without_order": int(missing.sum()),
        "share_without_order": rate(missing.sum(), len(apps)),
        "refund_amount_without_order": round(float(lost), 2),
    }


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
