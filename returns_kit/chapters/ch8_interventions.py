"""Chapter 8 — 优化效果验证: each intervention of ``interventions.csv`` before and after, against a
control group, with a two-proportion test, a difference-in-differences and a recommendation
(全店推广 / 继续测试 / 停止).

Notebook: ``notebooks/08_interventions.ipynb``.  Figures: :mod:`returns_kit.interventions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..interventions import (RECOMMENDATION_RULES_ZH, evaluate, for_display, headline, started_by,
                             summary, tests_table)
from ..io import Intervention
from .base import Chapter
from .context import Context

__all__ = ["Interventions", "build"]

_METRIC_FIELDS = ("name", "start_date", "before_rate", "after_rate", "control_before", "control_after",
                  "effect", "p_value")


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
        return for_display(summary(self.results))

    def sections(self) -> list[dict[str, Any]]:
        """Per intervention what the chapter says and shows: ``headline``, ``description``,
        ``warnings``, ``recommendation`` (sentences), ``table`` (before/after per group),
        ``tests`` (both tests for reading), ``chart_title``."""
        out = []
        for item, r in zip(self.items, self.results):
            out.append({
                "headline": headline(r), "description": f"做了什么：{item.description}",
                "warnings": [f"⚠ {w}" for w in r["warnings"]],
                "recommendation": f"建议：{r['recommendation']}。{r['reason']}",
                "table": r["table"], "tests": for_display(tests_table(r)),
                "chart_title": f"{r['name']}：调整前后退款率",
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


def build(ctx: Context) -> Interventions:
    """Chapter 8 of ``ctx.month``."""
    settings = ctx.intervention_settings
    items = started_by(ctx.interventions, ctx.month)
    results = [evaluate(ctx.outcomes, item, as_of=ctx.as_of, month=ctx.month, **settings) for item in items]
    return Interventions(month=ctx.month, items=items, results=results)
