"""Chapter 2 — 数据来源对比: the kit's own figures on both of 罗盘's clocks, beside the 罗盘 退款分析
download and third-party tables, with the likely reason for every difference.

Notebook: ``notebooks/02_source_comparison.ipynb``.  Figures: :mod:`returns_kit.metrics.clocks`,
:mod:`returns_kit.reconcile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.jsonable import records
from ..core.periods import previous_month
from ..metrics import application_view, cohort_view, kit_daily, refund_clocks
from ..reconcile import (BASIS_ZH, REASON_SAME, daily_chart_frame, format_comparison,
                         no_luopan_note, reconcile_daily, reconcile_month, summary_zh)
from .base import Chapter, kept
from .context import Context

__all__ = ["SourceComparison", "build", "month_pair"]

_LUOPAN_FIELDS = ["basis", "metric", "days", "days_missing", "kit", "luopan", "diff", "diff_pct",
                  "likely_reason"]


def month_pair(ctx: Context) -> pd.DataFrame:
    """The previous month and this one on the kit's own definitions: paid sub-orders, refunded
    sub-orders, both cohort refund rates and the after-sales applied (application view)."""
    rows = []
    for m in (previous_month(ctx.month), ctx.month):
        v = cohort_view(ctx.outcomes, m)
        a = application_view(ctx.data.after_sales, m)
        rows.append({"month": m, "paid_sub_orders": v["paid_sub_orders"], "refunded": v["refunded_sub_orders"],
                     "refund_rate_count": v["refund_rate_count"], "refund_rate_amount": v["refund_rate_amount"],
                     "applications": a["after_sales"]})
    return pd.DataFrame(rows)


@dataclass(repr=False)
class SourceComparison(Chapter):
    """What chapter 2 shows (see :func:`build`)."""

    month: str
    as_of: pd.Timestamp
    months: pd.DataFrame  #: :func:`month_pair`
    clocks: pd.DataFrame  #: refunded goods amount per day on both clocks
    files: pd.DataFrame  #: every file of data/external and what it was recognised as
    luopan: pd.DataFrame  #: the 罗盘 downloads (long format)
    third_party: pd.DataFrame  #: third-party product tables
    monthly: pd.DataFrame  #: kit vs 罗盘, month totals
    daily: pd.DataFrame  #: kit vs 罗盘 day by day

    number = 2
    title = "二、数据来源对比"

    @property
    def clocks_title(self) -> str:
        return f"{self.month} 每日退款金额（元）"

    @property
    def files_note(self) -> str | None:
        return None if len(self.files) else "data/external 中没有任何文件：本章只列出本工具自己的数字。"

    @property
    def monthly_note(self) -> str:
        """The month's comparison in one paragraph, or what to download when there is none."""
        if not len(self.monthly):
            return no_luopan_note(self.month)
        return summary_zh(self.monthly, self.luopan, self.month, self.as_of)

    @property
    def monthly_table(self) -> pd.DataFrame:
        return format_comparison(self.monthly)

    @property
    def basis(self) -> str | None:
        """The 罗盘 clock of the daily comparison (the download's first 退款口径)."""
        return self.daily["basis"].iloc[0] if len(self.daily) else None

    @property
    def daily_chart(self) -> pd.DataFrame:
        """``date, kit, luopan`` of the refund amount on :attr:`basis`, plus ``diff`` = 罗盘 − kit."""
        chart = daily_chart_frame(self.daily, "refund_amount", self.basis)
        return chart.assign(diff=chart["luopan"] - chart["kit"])

    @property
    def daily_title(self) -> str:
        return f"{self.month} 每日退款金额：本工具 vs 罗盘（{BASIS_ZH[self.basis]}，元）"

    @property
    def differing_days(self) -> pd.DataFrame:
        """The daily rows where the two sides differ, formatted for reading."""
        return format_comparison(self.daily[self.daily["likely_reason"] != REASON_SAME])

    @property
    def daily_note(self) -> str:
        n_days = self.daily["date"].nunique()
        differ = self.daily[self.daily["likely_reason"] != REASON_SAME]
        n_same = n_days - differ["date"].nunique()
        return f"{n_days} 天中有 {n_same} 天两边的退款金额和退款订单数完全一致，其余日子如下。"

    @property
    def third_party_table(self) -> pd.DataFrame:
        third = self.third_party.rename(columns={"category": "product_category"})
        return third.sort_values(["product_category", "is_own"], ascending=[True, False])

    @property
    def third_party_note(self) -> str | None:
        return None if len(self.third_party) else "data/external 中没有第三方工具（蝉妈妈、飞瓜等）的商品退货率导出。"

    def metrics(self) -> dict[str, Any]:
        lp = self.luopan
        return {"source_comparison": {
            "luopan_files": int(lp["source_file"].nunique()) if len(lp) else 0,
            "third_party_rows": int(len(self.third_party)),
            "luopan": records(self.monthly, _LUOPAN_FIELDS) if len(self.monthly) else [],
        }}


@kept
def build(ctx: Context) -> SourceComparison:
    """Chapter 2 of ``ctx.month``."""
    kit = kit_daily(ctx.outcomes, ctx.data.after_sales, ctx.month)
    return SourceComparison(
        month=ctx.month, as_of=ctx.as_of, months=month_pair(ctx),
        clocks=refund_clocks(ctx.outcomes, ctx.data.after_sales, ctx.month),
        files=ctx.external_files, luopan=ctx.luopan, third_party=ctx.third_party,
        monthly=reconcile_month(kit, ctx.luopan, ctx.month, ctx.as_of),
        daily=reconcile_daily(kit, ctx.luopan, ctx.month, ctx.as_of),
    )
