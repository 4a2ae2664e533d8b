"""Chapter 7 — 退货成本: explicit and implicit costs of the month's after-sales from the editable
parameters of ``costs.yml``, per cost part (with its assumption), reason category, product and
month; the tables' totals cross-checked; a sensitivity table; and the money refunded to buyers.

Notebook: ``notebooks/07_costs.ipynb``.  Figures: :mod:`returns_kit.costs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..costs import (EXPLICIT, IMPLICIT, cost_by_month, cost_components, cost_lines, cost_summary,
                     data_months, month_total, reconcile, refund_totals, sensitivity, sensitivity_display)
from ..display import money, pct
from ..metrics import cohort_view
from .base import Chapter, kept
from .context import Context

__all__ = ["Costs", "build"]


@dataclass(repr=False)
class Costs(Chapter):
    """What chapter 7 shows (see :func:`build`)."""

    month: str
    params: dict[str, Any]
    lines: pd.DataFrame  #: one row per cost-bearing after-sale
    total: dict[str, float]  #: after_sales, explicit, implicit, total
    paid_amount: float  #: the month's paid amount (cohort view)
    components: pd.DataFrame  #: cost parts with their assumptions, then subtotals
    by_category: pd.DataFrame
    by_product: pd.DataFrame
    by_month: pd.DataFrame
    sensitivity: pd.DataFrame  #: month total for two parameters' values
    refunds: pd.DataFrame  #: money refunded to buyers by reason category (not a cost)

    number = 7
    title = "七、退货成本"

    #: the columns of the month table: every cost part, then the subtotals
    MONTH_COLUMNS = ["month", "after_sales", *EXPLICIT, *IMPLICIT, "explicit", "implicit", "total_cost"]

    @property
    def per_after_sale(self) -> float:
        t = self.total
        return t["total"] / t["after_sales"] if t["after_sales"] else 0.0

    @property
    def share_of_paid(self) -> float:
        return self.total["total"] / self.paid_amount if self.paid_amount else float("nan")

    @property
    def kpis(self) -> dict[str, str]:
        t = self.total
        return {"计入成本的售后单": f"{t['after_sales']:,}", "显性成本": money(t["explicit"]),
                "隐性成本": money(t["implicit"]), "总成本": money(t["total"]),
                "每笔售后": money(self.per_after_sale), "占本月支付金额": pct(self.share_of_paid)}

    @property
    def parts_chart(self) -> pd.DataFrame:
        """The cost parts (no subtotals), largest first."""
        parts = self.components[self.components["kind"] != ""]
        return parts.sort_values("amount", ascending=False)

    @property
    def parts_title(self) -> str:
        return f"{self.month} 退货成本构成（元）"

    @property
    def check(self) -> pd.DataFrame:
        """The month's total as each table adds it up (they must agree)."""
        return reconcile(self.lines, self.by_product, self.by_category, self.by_month, self.month)

    @property
    def sensitivity_table(self) -> pd.DataFrame:
        return sensitivity_display(self.sensitivity)

    @property
    def refunds_title(self) -> str:
        return f"{self.month} 退款金额按原因分类（元）"

    def metrics(self) -> dict[str, Any]:
        return {"costs": self.total}


@kept
def build(ctx: Context) -> Costs:
    """Chapter 7 of ``ctx.month``."""
    a, o, month, tax, params, catalog = (ctx.data.after_sales, ctx.data.orders, ctx.month,
                                         ctx.taxonomy, ctx.cost_params, ctx.catalog)
    lines = cost_lines(a, o, month, tax, params, catalog)
    return Costs(
        month=month, params=params, lines=lines, total=month_total(lines),
        paid_amount=cohort_view(ctx.outcomes, month)["paid_amount"],
        components=cost_components(lines, params),
        by_category=cost_summary(lines, "category"),
        by_product=cost_summary(lines, ["product_id", "product_name"]),
        by_month=cost_by_month(a, o, data_months(a, month), tax, params, catalog),
        sensitivity=sensitivity(a, o, month, tax, params, catalog),
        refunds=refund_totals(a, month, tax),
    )
