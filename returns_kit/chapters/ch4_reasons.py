"""Chapter 4 — 退货原因: platform reasons in categories and their change vs last month, custom tags
from buyer notes (per month and per TOP20 product) with the tagger's measured quality, new-tag
suggestions, and hidden quality returns (clicked a no-reason reason, wrote about a defect) with
the words that fired each tag.

Notebook: ``notebooks/04_reasons.ipynb``.  Figures: :mod:`returns_kit.reasons`,
:mod:`returns_kit.tags`, :mod:`returns_kit.suggestions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.jsonable import records
from ..core.taxonomy import Taxonomy
from ..display import pct
from ..reasons import (category_trend, reason_breakdown, tag_counts, tag_suggestions, tag_table,
                       tags_by_product)
from ..tags import NoteCoverage, note_coverage, quality_report
from .base import Chapter, kept
from .context import Context

__all__ = ["Reasons", "build"]


@dataclass(repr=False)
class Reasons(Chapter):
    """What chapter 4 shows (see :func:`build`)."""

    month: str
    taxonomy: Taxonomy
    tag_categories: dict[str, str | None]  #: each custom tag's reason category (``tags.yml``)
    coverage: NoteCoverage  #: how the rules and the model read the month's notes
    tagged: pd.DataFrame  #: the month's after-sales with their custom tags
    trend: pd.DataFrame  #: reason categories, this month and last
    reasons: pd.DataFrame  #: reason texts with their category, count and share
    tags: pd.DataFrame  #: custom tags, this month and last
    by_product: pd.DataFrame  #: the TOP20 products' main tags
    suggestions: pd.DataFrame  #: terms of untagged notes, for new rules
    mismatches: pd.DataFrame  #: clicked no-reason, wrote a quality problem (with the evidence)
    quality: dict[str, dict[str, Any]]  #: the tagger on the frozen held-out notes and on its training notes

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
        return self.coverage.informative

    @property
    def covered(self) -> int:
        """… of which the rules or the model tagged."""
        return self.coverage.covered

    @property
    def coverage_note(self) -> str:
        return (f"本月 {len(self.tagged):,} 单售后中 {self.informative:,} 单写了有内容的说明，其中 {self.covered:,} 单"
                f"（{pct(self.covered / max(self.informative, 1))}）被规则或模型识别出标签。")

    @property
    def model_note(self) -> str:
        """What the n-gram model did this month (its tags are shown with their evidence)."""
        c = self.coverage
        if c.model_notes is None:
            return "未启用 n-gram 模型（tags.yml 的 model.enabled），标签全部来自规则。"
        return (f"模型用 {c.model_notes:,} 条有内容的标注留言训练：本月的说明中，它补上 {c.model_added:,} 个"
                f"规则漏掉的标签（概率 ≥ {c.threshold:.2f}），否决 {c.model_vetoed:,} 个规则命中"
                f"（概率 < {c.veto:.2f}，每种不同的说明计一次）。")

    # -- how good the tags are ---------------------------------------------------------------
    @property
    def quality_note(self) -> str:
        """What the tagger's figures on the frozen held-out notes mean, in one paragraph."""
        f, t = self.quality["frozen"], self.quality["training"]
        if not f["notes"]:
            return "没有冻结留出集，无法评估标签质量。"
        return (f"在 {f['notes']:,} 条从未用于编写规则或训练模型的标注留言（冻结留出集）上：精确率 "
                f"{_ci(f, 'precision', 2, '95% 区间 ')}，即标出的标签中约{_share(f['precision'])}是对的；召回率 "
                f"{_ci(f, 'recall', 2, '95% 区间 ')}，即应标的标签中约{_share(f['recall'])}被标了出来（区间为按留言"
                f"重抽样 2,000 次的自助法区间）。对照：在编写规则、训练模型所用的 {t['notes']:,} 条训练留言上精确率 "
                f"{t['precision']:.3f}、召回率 {t['recall']:.3f}——那是“做过的题”，偏乐观，不代表新留言上的表现。")

    @property
    def quality_table(self) -> pd.DataFrame:
        rows = [("冻结留出集（从未用于编写规则或训练模型）", self.quality["frozen"]),
                ("训练留言（编写规则、训练模型所用，仅作对照）", self.quality["training"])]
        return pd.DataFrame([{"标注留言": name, "留言数": f"{q['notes']:,}",
                              "精确率（95% 区间）": _ci(q, "precision", 3), "召回率（95% 区间）": _ci(q, "recall", 3)}
                             for name, q in rows])

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
    def evidence_heading(self) -> str:
        return EVIDENCE_HEADING

    @property
    def mismatch_table(self) -> pd.DataFrame:
        """:attr:`mismatches` as shown: the evidence under a Chinese heading."""
        return self.mismatches.rename(columns={"evidence": EVIDENCE_HEADING})

    @property
    def mismatch_note(self) -> str:
        n = len(self.mismatches)
        return (f"本月点选无理由原因的售后 {self.no_reason:,} 单，其中 {n:,} 单的说明指向品质/描述/发货/破损问题"
                f"（{pct(n / max(self.no_reason, 1))}）。")

    def metrics(self) -> dict[str, Any]:
        counts = tag_counts(self.tagged)
        return {
            "reasons": records(self.reasons, ["category", "reason", "count", "share"]),
            "custom_tags": [{"tag": t, "category": self.tag_categories.get(t), "count": int(c),
                             "share": float(c) / len(self.tagged)} for t, c in counts.items()],
            "reason_mismatches": int(len(self.mismatches)),
            "tag_quality": {which: {k: (int(v) if k == "notes" else float(v)) for k, v in q.items()}
                            for which, q in self.quality.items()},
        }


#: heading of the evidence column (the words that fired each tag)
EVIDENCE_HEADING = "识别依据（规则命中的词 / 模型概率与 n-gram）"


def _ci(q: dict[str, Any], key: str, digits: int, label: str = "") -> str:
    """``0.904（0.869–0.934）`` (``label`` before the interval)."""
    return (f"{q[key]:.{digits}f}（{label}{q[key + '_ci_low']:.{digits}f}–{q[key + '_ci_high']:.{digits}f}）"
            if q["notes"] else "—")


def _share(value: float) -> str:
    """0.904 → “九成”, 0.85 → “八成五”."""
    tenths = int(round(value * 20)) / 2  # to the nearest half tenth
    digits = "零一二三四五六七八九十"
    whole = int(tenths)
    return f"{digits[whole]}成" + ("五" if tenths != whole else "")


@kept
def build(ctx: Context) -> Reasons:
    """Chapter 4 of ``ctx.month``."""
    a, month, tagger, tax = ctx.data.after_sales, ctx.month, ctx.tagger, ctx.taxonomy
    tagged = ctx.tagged
    found = ctx.mismatches
    mismatches = found.assign(evidence=[tagger.evidence(note, tags.split("、"))
                                        for note, tags in zip(found["buyer_note"], found["detected_tags"])])
    return Reasons(
        month=month, taxonomy=tax, tag_categories={t: tagger.category_of(t) for t in tagger.tags},
        coverage=note_coverage(tagged, tagger), tagged=tagged,
        trend=category_trend(a, month, tax), reasons=reason_breakdown(a, month, tax),
        tags=tag_table(a, month, tagger, tagged=tagged), by_product=tags_by_product(tagged, ctx.top_products),
        suggestions=tag_suggestions(a, month, tagger, n=15, tagged=tagged),
        mismatches=mismatches,
        quality=quality_report(tagger, ctx.conf_dir if ctx.conf_dir is not None else Path("conf")),
    )
