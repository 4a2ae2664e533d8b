"""Chapter 4 — 退货原因: platform reasons in categories and their change vs last month, custom tags
from buyer notes (per month and per TOP20 product), new-tag suggestions, and hidden quality
returns (clicked a no-reason reason, wrote about a defect).

Notebook: ``notebooks/04_reasons.ipynb``.  Figures: :mod:`returns_kit.reasons`,
:mod:`returns_kit.tags`, :mod:`returns_kit.suggestions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.jsonable import records
from ..core.taxonomy import Taxonomy
from ..display import pct
from ..reasons import (category_trend, reason_breakdown, reason_mismatches, tag_after_sales,
                       tag_counts, tag_suggestions, tag_table, tags_by_product)
from ..tags import Tagger
from .base import Chapter
from .context import Context

__all__ = ["Reasons", "build"]


@dataclass(repr=False)
class Reasons(Chapter):
    """What chapter 4 shows (see :func:`build`)."""

    month: str
    taxonomy: Taxonomy
    tagger: Tagger
    tagged: pd.DataFrame  #: the month's after-sales with their custom tags
    trend: pd.DataFrame  #: reason categories, this month and last
    reasons: pd.DataFrame  #: reason texts with their category, count and share
    tags: pd.DataFrame  #: custom tags, this month and last
    by_product: pd.DataFrame  #: the TOP20 products' main tags
    suggestions: pd.DataFrame  #: terms of untagged notes, for new rules
    mismatches: pd.DataFrame  #: clicked no-reason, wrote a quality problem

    number = 4
    title = "四、退货原因"

    @property
    def trend_note(self) -> str:
        trend = self.trend
        first = trend.iloc[0]
        moved = trend.dropna(subset=["share_change"])
        text = f"本月售后申请 {trend['count'].sum():,} 单，占比最大的是{first['category']}（{pct(first['share'])}）。"
        if len(moved):
            m = moved.loc[moved["share_change"].abs().idxmax()]
            text += f"与上月相比变化最大的是{m['category']}：{pct(m['prev_share'])} → {pct(m['share'])}。"
        return text

    @property
    def trend_chart(self) -> pd.DataFrame:
        return self.trend[self.trend["count"] > 0]

    @property
    def trend_title(self) -> str:
        return f"{self.month} 售后原因分类占比（申请口径）"

    @property
    def unknown(self) -> pd.DataFrame:
        """Reason texts that ``reasons.yml`` does not list (to be added there)."""
        return self.reasons[self.reasons["category"] == self.taxonomy.unknown_category]

    @property
    def unknown_note(self) -> str | None:
        return None if len(self.unknown) else "所有原因均已归类。"

    @property
    def informative(self) -> int:
        """After-sales of the month whose note says something."""
        return int(self.tagged["buyer_note"].map(self.tagger.informative).sum())

    @property
    def covered(self) -> int:
        """… of which the rules tagged."""
        informative = self.tagged["buyer_note"].map(self.tagger.informative)
        return int(((self.tagged["note_tags"].map(len) > 0) & informative).sum())

    @property
    def coverage_note(self) -> str:
        return (f"本月 {len(self.tagged):,} 单售后中 {self.informative:,} 单写了有内容的说明，其中 {self.covered:,} 单"
                f"（{pct(self.covered / max(self.informative, 1))}）被规则识别出标签。")

    @property
    def tags_chart(self) -> pd.DataFrame:
        return self.tags.head(12)

    @property
    def tags_title(self) -> str:
        return f"{self.month} 自定义标签 TOP12（占售后申请）"

    @property
    def suggestions_note(self) -> str | None:
        return None if len(self.suggestions) else "本月有内容的说明都已被现有规则识别，暂无新词建议。"

    @property
    def no_reason(self) -> int:
        """After-sales of the month whose clicked reason blames nobody (多拍 / 不想要 …)."""
        return int(self.taxonomy.is_no_reason(self.tagged["reason"]).sum())

    @property
    def mismatch_note(self) -> str:
        n = len(self.mismatches)
        return (f"本月点选无理由原因的售后 {self.no_reason:,} 单，其中 {n:,} 单的说明指向品质/描述/发货/破损问题"
                f"（{pct(n / max(self.no_reason, 1))}）。")

    def metrics(self) -> dict[str, Any]:
        counts = tag_counts(self.tagged)
        return {
            "reasons": records(self.reasons, ["category", "reason", "count", "share"]),
            "custom_tags": [{"tag": t, "category": self.tagger.category_of(t), "count": int(c),
                             "share": float(c) / len(self.tagged)} for t, c in counts.items()],
            "reason_mismatches": int(len(self.mismatches)),
        }


def build(ctx: Context) -> Reasons:
    """Chapter 4 of ``ctx.month``."""
    a, month, tagger, tax = ctx.data.after_sales, ctx.month, ctx.tagger, ctx.taxonomy
    tagged = tag_after_sales(a, month, tagger)
    return Reasons(
        month=month, taxonomy=tax, tagger=tagger, tagged=tagged,
        trend=category_trend(a, month, tax), reasons=reason_breakdown(a, month, tax),
        tags=tag_table(a, month, tagger), by_product=tags_by_product(tagged, ctx.top_products),
        suggestions=tag_suggestions(a, month, tagger, n=15),
        mismatches=reason_mismatches(tagged, tax, tagger),
    )
