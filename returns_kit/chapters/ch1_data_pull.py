"""Chapter 1 — 数据调取: which files were read, what happened to every row, the month on both
counting views (application and cohort), cohort maturity, coverage, and the definitions.

Notebook: ``notebooks/01_data_pull.ipynb``.  Figures: :mod:`returns_kit.metrics.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.periods import cohort_maturity
from ..display import money, pct
from ..metrics import (application_view, cohort_status_view, cohort_view, coverage, coverage_summary,
                       definitions_table, views_by_type)
from .base import Chapter, kept
from .context import Context

__all__ = ["DataPull", "build"]


@dataclass(repr=False)
class DataPull(Chapter):
    """What chapter 1 shows (see :func:`build`)."""

    month: str
    as_of: pd.Timestamp
    accounting: pd.DataFrame  #: one row per file read
    quality: dict[str, int]  #: rows_read = rows_kept + duplicates + rejected
    quarantine: pd.DataFrame  #: rejected rows (file, row, column, reason; values stay local)
    application: dict[str, int]  #: application view (售后申请时间 in M) by status group
    cohort_after_sales: dict[str, int]  #: after-sales of sub-orders paid in M, by status group
    maturity: dict[str, Any]  #: days since month end, provisional or not
    views: pd.DataFrame  #: both views side by side per 售后类型 × status
    cohort: dict[str, Any]  #: cohort view: paid sub-orders and the four rates
    coverage: dict[str, Any]  #: after-sales of M that find their order
    missing: pd.DataFrame  #: after-sales of M whose order is not in the exports
    all_missing: pd.DataFrame  #: the same over every loaded after-sale
    definitions: pd.DataFrame  #: Chinese definitions and the function behind each
    skipped: list[str]  #: files of data/raw that are not exports (listed, never silently ignored)

    number = 1
    title = "一、数据调取"

    @property
    def provisional_tag(self) -> str:
        return "（暂估）" if self.maturity["provisional"] else ""

    @property
    def quality_kpis(self) -> dict[str, str]:
        q = self.quality
        return {"读取行数": f"{q['rows_read']:,}", "保留": f"{q['rows_kept']:,}",
                "重复(已合并)": f"{q['duplicates']:,}", "隔离": f"{q['rejected']:,}"}

    @property
    def quarantine_note(self) -> str | None:
        """The sentence shown instead of the quarantine table when nothing was rejected."""
        return None if len(self.quarantine) else "没有被隔离的行。"

    @property
    def skipped_note(self) -> str | None:
        """The files of the raw folder that were not read, said once (None when every file was)."""
        if not self.skipped:
            return None
        return (f"原始数据文件夹中有 {len(self.skipped)} 个文件不是抖店导出，没有读取：{'、'.join(self.skipped)}。"
                "如果其中有导出文件，请在 Excel 中另存为 .xlsx 或 .csv 后重新运行。")

    @property
    def view_kpis(self) -> dict[str, str]:
        app, coh, tag = self.application, self.cohort_after_sales, self.provisional_tag
        return {"申请口径·售后单": f"{app['after_sales']:,}", "其中完结": f"{app['finished']:,}",
                "处理中": f"{app['in_progress']:,}", "关闭/拒绝": f"{app['closed']:,}",
                "支付口径·售后单" + tag: f"{coh['after_sales']:,}",
                "涉及子订单": f"{coh['sub_orders_with_after_sale']:,}",
                "支付口径·处理中": f"{coh['in_progress']:,}"}

    @property
    def views_title(self) -> str:
        return f"{self.month} 售后单：类型 × 状态，申请口径与支付口径"

    @property
    def applied_after_note(self) -> str:
        text = (f"支付口径中有 {self.cohort_after_sales['applied_after_month']:,} 笔售后单在月末之后才申请："
                "它们不在本月的申请口径里，但计入本月支付订单的退款。")
        if self.maturity["provisional"]:
            text += f"支付口径的数字为暂估：数据截至 {self.as_of:%Y-%m-%d}，仍会有新的售后申请。"
        return text

    @property
    def cohort_kpis(self) -> dict[str, str]:
        v, tag = self.cohort, self.provisional_tag
        return {"支付子订单": f"{v['paid_sub_orders']:,}", "支付金额": money(v["paid_amount"]),
                "退款率(订单数)" + tag: pct(v["refund_rate_count"]),
                "退款率(金额)" + tag: pct(v["refund_rate_amount"]),
                "退货率" + tag: pct(v["return_rate_count"]),
                "品退率" + tag: pct(v["quality_return_rate"])}

    @property
    def maturity_note(self) -> str:
        m = self.maturity
        days = m["days_since_month_end"]
        when = f"距月末 {days} 天" if days >= 0 else f"本月尚未结束（还差 {-days} 天）"
        return (f"数据截至 {self.as_of:%Y-%m-%d}，{when}，成熟期 {m['maturity_days']} 天："
                + ("以上支付口径比率为暂估值，仍会有退货陆续发生，通常还会上升。" if m["provisional"]
                   else "支付口径已基本成熟，比率可视为最终值。"))

    @property
    def coverage_rate(self) -> float | None:
        """Share of the month's after-sales that find their order (``None`` without any)."""
        c = self.coverage
        return 1 - c["share_without_order"] if c["after_sales"] else None

    @property
    def coverage_kpis(self) -> dict[str, str]:
        c = self.coverage
        return {"本月申请的售后单": f"{c['after_sales']:,}", "找到订单": f"{c['with_order']:,}",
                "找不到订单": f"{c['after_sales_without_order']:,}",
                "覆盖率": pct(self.coverage_rate) if self.coverage_rate is not None else "—"}

    @property
    def missing_note(self) -> str:
        return f"本月申请的售后单中有 {len(self.missing):,} 笔找不到对应订单。"

    @property
    def all_missing_note(self) -> str | None:
        """Said only when after-sales of other months lack their order too."""
        if len(self.all_missing) <= len(self.missing):
            return None
        return f"全部已加载的售后单中共有 {len(self.all_missing):,} 笔找不到订单（含其他月份申请的）。"

    def metrics(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "as_of": None if pd.isna(self.as_of) else self.as_of.strftime("%Y-%m-%d %H:%M:%S"),
            "data_quality": {**self.quality, "skipped_files": list(self.skipped)},
            "application_view": self.application,
            "cohort_view": {**self.cohort, **self.maturity},
            "cohort_after_sales": self.cohort_after_sales,
            "coverage": self.coverage,
        }


@kept
def build(ctx: Context) -> DataPull:
    """Chapter 1 of ``ctx.month``."""
    data, month = ctx.data, ctx.month
    return DataPull(
        month=month, as_of=ctx.as_of, accounting=data.accounting, quality=data.data_quality(),
        quarantine=data.quarantine,
        application=application_view(data.after_sales, month),
        cohort_after_sales=cohort_status_view(data.orders, data.after_sales, month),
        maturity=cohort_maturity(month, ctx.as_of, ctx.settings["maturity_days"]),
        views=views_by_type(data.orders, data.after_sales, month),
        cohort=cohort_view(ctx.outcomes, month),
        coverage=coverage_summary(data.orders, data.after_sales, month),
        missing=coverage(data.orders, data.after_sales, month),
        all_missing=coverage(data.orders, data.after_sales),
        definitions=definitions_table(),
        skipped=list(data.skipped),
    )
