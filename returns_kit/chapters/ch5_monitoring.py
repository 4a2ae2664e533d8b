"""Chapter 5 — 可视化与预警: the month on two clocks (each day's applications and refunds against a
nowcast; each pay-day's refund rate at equal age), the alerts they raise within the month's
alert budget, the article's 20% rule beside them with its false-alarm rate, the trend against the
industry band, the product × province heatmap, the order → refund funnel, and the message
``returns-kit alerts`` would push.

Notebook: ``notebooks/05_monitoring.ipynb``.  Figures: :mod:`returns_kit.anomaly` (with
:mod:`returns_kit.event_clock`, :mod:`returns_kit.cohort_clock`), :mod:`returns_kit.funnel`,
:func:`returns_kit.metrics.trend_table`, :func:`returns_kit.metrics.heatmap_table`; the message:
:mod:`returns_kit.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..anomaly import Detection, anomaly_settings, anomaly_table, monitoring_summary, status_table
from ..benchmarks import band_note, benchmark_band
from ..funnel import funnel, funnel_display, funnel_exits, funnel_summary
from ..messages import format_message, select
from ..metrics import cohort, heatmap_note, heatmap_table, trend_table
from .base import Chapter, kept
from .context import Context

__all__ = ["Monitoring", "build", "detect_anomalies"]


def detect_anomalies(ctx: Context) -> Detection:
    """The month on both clocks (:attr:`Context.monitoring`) — what chapter 5 shows and
    ``returns-kit alerts`` pushes."""
    return ctx.monitoring


@dataclass(repr=False)
class Monitoring(Chapter):
    """What chapter 5 shows (see :func:`build`)."""

    month: str
    detection: Detection
    promotion_days: set
    trend: pd.DataFrame  #: daily and weekly rate of the month (shop, benchmark category)
    band: dict | None  #: the industry band of the benchmark table
    heatmap: pd.DataFrame  #: TOP products × provinces
    min_cell_orders: int
    funnel: pd.DataFrame
    exits: pd.DataFrame  #: where refunded sub-orders left
    alert_settings: dict[str, Any]  #: which alerts are pushed, and the message template

    number = 5
    title = "五、可视化与预警"

    @property
    def anomalies(self) -> list[dict[str, Any]]:
        return self.detection.anomalies

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """The month's alerts of the kit's two clocks (the article's rule apart)."""
        return [a for a in self.detection.alerts if a["rule"] != "threshold"]

    @property
    def summary(self) -> str:
        return monitoring_summary(self.detection, self.promotion_days)

    @property
    def alert_table(self) -> pd.DataFrame:
        return anomaly_table(self.alerts)

    @property
    def status_table(self) -> pd.DataFrame:
        """The shop's days on both clocks, one row each."""
        return status_table(self.detection)

    @property
    def age_days(self) -> int:
        return self.detection.settings.cohort.age_days

    @property
    def applications(self) -> pd.DataFrame:
        """The event clock's applications per day (chart data)."""
        e = self.detection.event_days
        return e[e["event"] == "applications"].reset_index(drop=True)

    @property
    def refunds(self) -> pd.DataFrame:
        e = self.detection.event_days
        return e[e["event"] == "refunds"].reset_index(drop=True)

    @property
    def cohort_days(self) -> pd.DataFrame:
        return self.detection.cohort_days

    @property
    def event_title(self) -> str:
        return f"{self.month} 每天的售后申请：实际与按近期销量推算的预期"

    @property
    def refunds_title(self) -> str:
        return f"{self.month} 每天的退款成功：实际与预期"

    @property
    def cohort_title(self) -> str:
        return f"{self.month} 每个支付日的订单在支付后 {self.age_days} 天内的退款率（同龄比较）"

    @property
    def immature_note(self) -> str:
        young = self.cohort_days[self.cohort_days["status"] == "immature"]
        if not len(young):
            return f"本月每个支付日的订单都已满 {self.age_days} 天，全部按同龄比较判断。"
        return (f"{young['date'].min():%m-%d} 起支付的订单到数据导出时（{self.detection.as_of:%m-%d %H:%M}）还不满 "
                f"{self.age_days} 天，它们的退款还在陆续发生，支付口径暂不判断这些日子（不会因为“还没退完”而误报，"
                "也不会因此漏掉：这些天的异常由事件时钟当天发现）。")

    @property
    def article_table(self) -> pd.DataFrame:
        """The days the article's 20% rule fires on the equal-age series, for reading."""
        a = self.detection.article
        fired = a[a["fired"]]
        return pd.DataFrame({"日期": [f"{d:%m-%d}" for d in fired["date"]],
                             "当日退款率（同龄）": [f"{r:.1%}" for r in fired["rate"]],
                             "前7日均值": [f"{b:.1%}" for b in fired["baseline"]],
                             "倍数": [f"{x:.2f}" for x in fired["ratio"]]})

    @property
    def article_note(self) -> str:
        s = self.detection.settings
        fired = int(self.detection.article["fired"].sum())
        pushed = "并推送（alerts.yml 中 article_rule.push 已打开）" if s.article_push else "只在这里展示，默认不推送"
        return (f"文章的规则（当天退款率超过前 {s.window} 个可比日均值的 {s.threshold:.0%}，这里用同样的同龄口径）"
                f"本月触发 {fired} 天。按本店的单量和日波动推算，即使什么都没发生，这条规则本月也会误报约 "
                f"{self.detection.article_false_alarms:.1f} 次，所以{pushed}。")

    @property
    def trend_title(self) -> str:
        return f"{self.month} 退款率趋势与行业区间"

    @property
    def anomaly_dates(self) -> list[str]:
        """Days with a shop alert of the two clocks (red dots on the trend)."""
        return sorted({a["date"] for a in self.alerts if a["scope"] == "shop"})

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
        """The message the month's pushed alerts make (``alerts.yml`` rules, scopes and
        template) as ``(title, table of lines)``; ``(None, empty)`` when nothing would be sent."""
        s = self.alert_settings
        message = format_message(select(self.anomalies, s), self.month, s, age_days=self.age_days)
        if message is None:
            return None, pd.DataFrame({"消息内容": []})
        lines = message.lines + ([message.footer] if message.footer else [])
        return message.title, pd.DataFrame({"消息内容": lines})

    def metrics(self) -> dict[str, Any]:
        return {"anomalies": self.anomalies,
                "anomaly_settings": anomaly_settings(self.detection, self.promotion_days)}


@kept
def build(ctx: Context) -> Monitoring:
    """Chapter 5 of ``ctx.month``."""
    o, a, month = ctx.outcomes, ctx.data.after_sales, ctx.month
    trend_conf = ctx.alerts_conf.get("trend", {}) or {}
    heat_conf = ctx.alerts_conf.get("heatmap", {}) or {}
    band = benchmark_band(ctx.benchmarks, str(trend_conf.get("benchmark_category", "服饰")),
                          str(trend_conf.get("benchmark_metric", "refund_rate")))
    return Monitoring(
        month=month, detection=detect_anomalies(ctx), promotion_days=ctx.promotion_days,
        trend=trend_table(o, month, ctx.catalog, trend_conf.get("catalog_prefixes", []) or []),
        band=band,
        heatmap=heatmap_table(o, month, int(heat_conf.get("products", 10)), int(heat_conf.get("provinces", 10))),
        min_cell_orders=int(heat_conf.get("min_cell_orders", 10)),
        funnel=funnel(o, a, month), exits=funnel_exits(cohort(o, month), a),
        alert_settings=ctx.alert_settings,
    )
