"""Chapter 8 — 优化效果验证: each intervention of ``interventions.csv`` before and after, against a
control group, at product × day level: a difference-in-differences with day-clustered errors and a
product-drift term, a placebo-in-time check and a recommendation (全店推广 / 继续测试 / 停止).
The plain before/after two-proportion test is shown as context only.

Notebook: ``notebooks/08_interventions.ipynb``.  Figures: :mod:`returns_kit.interventions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..interventions import (RECOMMENDATION_RULES_ZH, error_text, for_display, headline,
                             placebo_chart, placebo_rows, placebo_text, started_by, summary, tests_table)
from ..io import Intervention
from .base import Chapter, kept
from .context import Context

__all__ = ["Interventions", "build"]

_METRIC_FIELDS = ("name", "start_date", "before_rate", "after_rate", "control_before", "control_after",
                  "effect", "ci_low", "ci_high", "p_value", "days", "placebo_rank", "placebos")

#: the placebo table's statistic column (no label in rk.display for it)
T_COLUMN = "效果÷标准误(按天聚类)"


@dataclass(repr=False)
class Interventions(Chapter):
    """What chapter 8 shows (see :func:`build`)."""

    month: str
    items: list[Intervention]  #: interventions started by the end of the month
    results: list[dict[str, Any]]  #: :func:`returns_kit.interventions.evaluate` of each

    number = 8
    title = "八、优化效果验证"

    NO_INTERVENTIONS_NOTE = "没有登记改进措施：在 data/external/interventions.csv 中添加一行即可在此评估。"

    @property
    def rules(self) -> pd.DataFrame:
        """The decision rules, in the order they are applied."""
        return pd.DataFrame(RECOMMENDATION_RULES_ZH, columns=["recommendation", "description"])

    @property
    def summary_table(self) -> pd.DataFrame:
        """One row per intervention, for reading (the interval beside the effect)."""
        shown = for_display(summary(self.results))
        cols = list(shown.columns)
        cols.insert(cols.index("effect") + 1, cols.pop(cols.index("interval")))
        return shown[cols]

    def sections(self) -> list[dict[str, Any]]:
        """Per intervention what the chapter says and shows: ``headline``, ``description``,
        ``warnings``, ``recommendation`` (sentences), ``table`` (before/after per group),
        ``chart_title``, ``tests`` (the day-clustered DiD and the plain before/after, for
        reading), ``errors`` (where the interval's width comes from), ``placebo`` (the placebo
        check in a sentence), ``placebo_table`` (the real and each fake start date, for reading),
        ``placebo_chart`` (the same as numbers, for :func:`returns_kit.plots.rate_bars`) and
        ``placebo_title``."""
        out = []
        for item, r in zip(self.items, self.results):
            rows = placebo_rows(r)
            shown = for_display(rows).rename(columns={"label": "start_date", "t": T_COLUMN})
            shown[T_COLUMN] = [f"{t:+.2f}".replace("-", "−") if t == t else "—" for t in rows["t"]]
            out.append({
                "headline": headline(r), "description": f"做了什么：{item.description}",
                "warnings": [f"⚠ {w}" for w in r["warnings"]],
                "recommendation": f"建议：{r['recommendation']}。{r['reason']}",
                "table": r["table"], "chart_title": f"{r['name']}：调整前后退款率",
                "tests": for_display(tests_table(r)), "errors": error_text(r),
                "placebo": placebo_text(r), "placebo_table": shown[["start_date", "effect", "interval", T_COLUMN]],
                "placebo_chart": placebo_chart(r),
                "placebo_title": f"{r['name']}：真实开始日与假开始日的效果（按天聚类的 95% 区间）",
            })
        return out

    def metrics(self) -> dict[str, Any]:
        items = []
        for r in self.results:
            rec = {k: r[k] for k in _METRIC_FIELDS}
            rec.update(naive_effect=r["naive"]["diff"], naive_p_value=r["naive"]["p_value"],
                       before_orders=r["before_orders"], after_orders=r["after_orders"],
                       immature=r["immature"], recommendation=r["recommendation"])
            items.append(rec)
        return {"interventions": items}


@kept
def build(ctx: Context) -> Interventions:
    """Chapter 8 of ``ctx.month``."""
    return Interventions(month=ctx.month, items=started_by(ctx.interventions, ctx.month),
                         results=ctx.intervention_results)
