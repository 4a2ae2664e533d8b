"""Chapter 6 — 行业与竞品对标: the shop's rates by category × price band against the industry
reference table (each row with its source and date), and products worse than a competitor of
the same category at a similar price (from third-party exports).

Notebook: ``notebooks/06_benchmarks.ipynb``.  Figures: :mod:`returns_kit.benchmarks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..benchmarks import (benchmark_summary, benchmarks_for_display, compare_to_benchmarks,
                          competitor_notes, competitor_rows, flag_vs_competitors, product_rates,
                          segment_rates)
from ..core.jsonable import records
from ..metrics import category_rates, cohort_view
from .base import Chapter, kept
from .context import Context

__all__ = ["Benchmarks", "build"]

#: what chapter 6 publishes in metrics.json (``benchmarks``)
SEGMENT_FIELDS = ["category", "price_band", "paid_sub_orders", "refunded", "refund_rate", "ci_low",
                  "ci_high", "bench_low", "bench_high", "bench_source", "verdict"]
FLAG_FIELDS = ["product_id", "product_name", "price", "paid_sub_orders", "refund_rate", "ci_low",
               "competitor_shop", "competitor_product", "competitor_price", "competitor_rate",
               "gap", "source", "as_of"]


@dataclass(repr=False)
class Benchmarks(Chapter):
    """What chapter 6 shows (see :func:`build`)."""

    month: str
    references: pd.DataFrame  #: the industry reference table (benchmarks.csv)
    compared: pd.DataFrame  #: own category × price band beside its reference, with a verdict
    categories: pd.DataFrame  #: own refund rate per catalog category
    overall: float  #: the shop's cohort refund rate (count)
    competitors: pd.DataFrame  #: competitor rows of the third-party exports
    competitor_note: str | None  #: why there are none, when there are none
    flags: pd.DataFrame  #: own products worse than a similar competitor

    number = 6
    title = "六、行业与竞品对标"

    #: said under the reference table: none of these figures is the platform's
    REFERENCE_NOTE = ("注意：抖音平台没有公布官方的类目退货率基准线，上表每一个数字都是某个来源的估计，"
                      "口径（退货率还是退款率、按支付还是按退款时间）也未必与本店一致，只能作方向性参考。")

    @property
    def references_table(self) -> pd.DataFrame:
        return benchmarks_for_display(self.references)

    @property
    def summary(self) -> str:
        return benchmark_summary(self.compared)

    @property
    def compared_table(self) -> pd.DataFrame:
        return self.compared.rename(columns={"category": "product_category"})

    @property
    def categories_title(self) -> str:
        return f"{self.month} 各类目退款率（含 95% 区间）"

    @property
    def competitors_table(self) -> pd.DataFrame:
        return self.competitors.rename(columns={"category": "product_category"})

    @property
    def flags_note(self) -> str | None:
        return None if len(self.flags) else "没有发现比同类目、相近价格的竞品退款率明显更高的商品。"

    @property
    def flag_notes(self) -> list[str]:
        """One sentence per flagged product: the evidence and what to check first."""
        return competitor_notes(self.flags)

    def metrics(self) -> dict[str, Any]:
        return {"benchmarks": {
            "segments": records(self.compared, SEGMENT_FIELDS),
            "competitor_flags": records(self.flags, FLAG_FIELDS),
        }}


@kept
def build(ctx: Context) -> Benchmarks:
    """Chapter 6 of ``ctx.month``."""
    o, month, s = ctx.outcomes, ctx.month, ctx.settings
    competitors, note = competitor_rows(ctx.third_party)
    flags = pd.DataFrame(columns=FLAG_FIELDS)
    if note is None:
        products = product_rates(o, ctx.catalog, month, edges=s["price_bands"], min_orders=s["min_orders"])
        flags = flag_vs_competitors(products, competitors, min_orders=s["min_orders"])
    segments = segment_rates(o, ctx.catalog, month, edges=s["price_bands"], min_orders=s["min_orders"])
    return Benchmarks(
        month=month, references=ctx.benchmarks,
        compared=compare_to_benchmarks(segments, ctx.benchmarks),
        categories=category_rates(o, ctx.catalog, month),
        overall=cohort_view(o, month)["refund_rate_count"],
        competitors=competitors, competitor_note=note, flags=flags,
    )
