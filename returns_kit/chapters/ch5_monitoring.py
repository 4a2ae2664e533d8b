"""Chapter 5 — 可视化与预警: anomalies of the month (the article's 20% rule and the volume-aware
binomial test, shop and TOP products), the trend against the industry band, the product ×
province heatmap, the order → refund funnel, and the alert message ``returns-kit alerts`` would
push.

Notebook: ``notebooks/05_monitoring.ipynb``.  Figures: :mod:`returns_kit.anomaly`,
:mod:`returns_kit.funnel`, :func:`returns_kit.metrics.trend_table`,
:func:`returns_kit.metrics.heatmap_table`; the message: :mod:`returns_kit.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..anomaly import (DetectionSettings, anomaly_settings, anomaly_table, detect,
                       monitoring_summary, shop_rule)
from ..benchmarks import band_note, benchmark_band
from ..funnel import funnel, funnel_display, funnel_exits, funnel_summary
from ..messages import format_message, select
from ..metrics import cohort, heatmap_note, heatmap_table, trend_table
from .base import Chapter
from .context import Context

__all__ = ["Monitoring", "build", "detect_anomalies"]


def detect_anomalies(ctx: Context) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The month's judged shop days and every fired rule (:func:`returns_kit.anomaly.detect`
    with ``alerts.yml``'s settings and the promotion calendar) — what chapter 5 shows and
    ``returns-kit alerts`` pushes."""
    return detect(ctx.outcomes, ctx.data.after_sales, ctx.month, ctx.promotion_days,
                  ctx.detection, ctx.taxonomy)


@dataclass(repr=False)
class Monitoring(Chapter):
    """What chapter 5 shows (see :func:`build`)."""

    month: str
    settings: DetectionSettings
    promotion_days: set
    shop: pd.DataFrame  #: the shop's judged days (both rules)
    anomalies: list  #: one record per fired rule
    trend: pd.DataFrame  #: daily and weekly rate of the month (shop, benchmark category)
    band: dict | None  #: the industry band of the benchmark table
    heatmap: pd.DataFrame  #: TOP products × provinces
    min_cell_orders: int
    funnel: pd.DataFrame
    exits: pd.DataFrame  #: where refunded sub-orders left
    alert_settings: dict[str, Any]  #: which anomalies are pushed, and the message template

    number = 5
    title = "五、可视化与预警"

    @property
    def shop_rule(self) -> pd.DataFrame:
        return shop_rule(self.shop)

    @property
    def shop_title(self) -> str:
        return f"{self.month} 全店每日退款率与前 7 个可比日均值"

    @property
    def anomaly_dates(self) -> list[str]:
        return sorted({a["date"] for a in self.anomalies})

    @property
    def summary(self) -> str:
        return monitoring_summary(self.anomalies, self.settings, self.promotion_days, self.month)

    @property
    def anomaly_table(self) -> pd.DataFrame:
        return anomaly_table(self.anomalies)

    @property
    def trend_title(self) -> str:
        return f"{self.month} 退款率趋势与行业区间"

    @property
    def band_note(self) -> str:
        return band_note(self.trend, self.band)

    @property
    def heatmap_title(self) -> str:
        return f"{self.month} 高退商品 × 省份退款率"

    @property
    def heatmap_note(self) -> str:
        return heatmap_note(self.heatmap, self.min_cell_orders)

    @property
    def funnel_title(self) -> str:
        return f"{self.month} 订单 → 退款漏斗"

    @property
    def funnel_summary(self) -> str:
        return funnel_summary(self.funnel, self.exits)

    @property
    def funnel_table(self) -> pd.DataFrame:
        return funnel_display(self.funnel)

    @property
    def alert_preview(self) -> tuple[str | None, pd.DataFrame]:
        """The message these anomalies would make (``alerts.yml`` rules, scopes and template) as
        ``(title, table of lines)``; ``(None, empty)`` when nothing would be sent."""
        s = self.alert_settings
        message = format_message(select(self.anomalies, s), self.month, s)
        if message is None:
            return None, pd.DataFrame({"消息内容": []})
        lines = message.lines + ([message.footer] if message.footer else [])
        return message.title, pd.DataFrame({"消息内容": lines})

    def metrics(self) -> dict[str, Any]:
        return {"anomalies": self.anomalies,
                "anomaly_settings": anomaly_settings(self.settings, self.promotion_days, self.month)}


def build(ctx: Context) -> Monitoring:
    """Chapter 5 of ``ctx.month``."""
    o, a, month = ctx.outcomes, ctx.data.after_sales, ctx.month
    shop, anomalies = detect_anomalies(ctx)
    trend_conf = ctx.alerts_conf.get("trend", {}) or {}
    heat_conf = ctx.alerts_conf.get("heatmap", {}) or {}
    band = benchmark_band(ctx.benchmarks, str(trend_conf.get("benchmark_category", "服饰")),
                          str(trend_conf.get("benchmark_metric", "refund_rate")))
    return Monitoring(
        month=month, settings=ctx.detection, promotion_days=ctx.promotion_days, shop=shop,
        anomalies=anomalies,
        trend=trend_table(o, month, ctx.catalog, trend_conf.get("catalog_prefixes", []) or []),
        band=band,
        heatmap=heatmap_table(o, month, int(heat_conf.get("products", 10)), int(heat_conf.get("provinces", 10))),
        min_cell_orders=int(heat_conf.get("min_cell_orders", 10)),
        funnel=funnel(o, a, month), exits=funnel_exits(cohort(o, month), a),
        alert_settings=ctx.alert_settings,
    )
