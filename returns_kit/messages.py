"""Alert messages: which anomalies are pushed and the robot-neutral Chinese message they make.

Chapter 5 previews the message and ``returns-kit alerts`` sends it (:mod:`returns_kit.alerts`);
both build it here, from the ``alerts`` section of ``conf/base/alerts.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .config import load_yaml
from .display import p_phrase
from .errors import ParameterError

__all__ = ["Message", "alert_line", "anomaly_key", "format_message", "load_alert_config", "select"]


@dataclass
class Message:
    """A robot-neutral message: a title, one line per anomaly group, a footer, and the state
    keys of the anomalies it carries."""

    title: str
    lines: list[str]
    footer: str = ""
    keys: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        body = "\n".join(f"• {line}" for line in self.lines)
        return f"{self.title}\n{body}" + (f"\n{self.footer}" if self.footer else "")


def anomaly_key(a: Mapping[str, Any]) -> str:
    """What makes an anomaly "the same" across runs: date (a week's first day), metric, scope,
    product, rule."""
    return "|".join([a["date"], a.get("metric", "refund_rate"), a["scope"], a.get("product_id") or "-",
                     a["rule"]])


_WHAT = {"applications": "售后申请", "refunds": "退款成功"}


def alert_line(a: Mapping[str, Any], age_days: int | None = None) -> str:
    """One shop alert as a sentence: what, how far above expected, how sure, who and why."""
    day = a["period"] or a["date"][5:]
    who = "全店" if a["scope"] == "shop" else f"「{a.get('product_name') or a.get('product_id')}」"
    ratio = a.get("ratio")
    times = f"，{ratio:.1f} 倍" if ratio else ""
    promo = {"promotion": "（大促日，对比往期大促）",
             "promotion_prior": "（大促日，无往期大促可比，已放宽）"}.get(a.get("baseline_kind"), "")
    if a["clock"] == "event":
        text = (f"{day} {who}{promo}{_WHAT.get(a['metric'], a['metric'])} {a['observed']:,} 单"
                f"（预期 {a['expected']:,.0f}）{times}〔当日事件 {p_phrase(a.get('p_value'))}〕")
    elif a["rule"] == "threshold":
        text = (f"{day} {who}退款率 {a['value']:.1%}，前 7 日均值 {a['baseline']:.1%}{times}"
                "〔文章规则：超均值20%〕")
    else:
        age = f"支付后 {age_days} 天内" if age_days else "同龄"
        text = (f"{day} {who}{promo}{age}退款率 {a['value']:.1%}（预期 {a['baseline']:.1%}，"
                f"{a['paid_sub_orders']:,} 单）{times}〔同龄比较 {p_phrase(a.get('p_value'))}〕")
    drivers = a.get("drivers") or {}
    prods = drivers.get("products") or []
    if prods:
        parts = []
        for p in prods[:3]:
            name = p.get("product_name") or p.get("product_id")
            if "events" in p:
                parts.append(f"{name}（当天 {p['events']}，平时 {p['usual_per_day']:g}/天）")
            else:
                parts.append(f"{name}（{p['paid_sub_orders']} 单退 {p['refunded']}）")
        text += "；主要商品：" + "、".join(parts)
    reasons = drivers.get("reasons") or []
    if reasons:
        text += "；主要原因：" + "、".join(f"{r['reason']} {r['share']:.0%}" for r in reasons[:2])
    stage = drivers.get("stage")
    if stage and stage.get("share", 0) >= 0.5:
        text += f"；{stage['share']:.0%} 在{stage['label'].split('（')[0]}退款"
    return text


def format_message(anomalies: list[Mapping[str, Any]], month: str, settings: Mapping[str, Any],
                   date: str | None = None, age_days: int | None = None) -> Message | None:
    """A short Chinese message for ``anomalies`` (None when there are none).

    One line per shop alert (each clock its own line: an application surge and a cohort that
    returns more are different news); the products' alerts of a period are folded into one line
    (“单品预警 N 个”).  At most ``max_items`` lines; the rest are counted (“另有 N 条预警，见报告”).
    """
    if not anomalies:
        return None
    shop = [a for a in anomalies if a["scope"] == "shop"]
    products: dict[str, list] = {}
    for a in anomalies:
        if a["scope"] != "shop":
            products.setdefault(a.get("period") or a["date"], []).append(a)
    lines = [(a["date"], 0, alert_line(a, age_days)) for a in shop]
    for period, items in products.items():
        items = sorted(items, key=lambda g: -(g.get("ratio") or 0))
        names = "、".join(f"{g.get('product_name') or g.get('product_id')} {g['value']:.0%}" for g in items[:5])
        more = f" {len(items)} 个" + ("（列出前 5 个）" if len(items) > 5 else "")
        label = period[5:] if len(period) == 10 else period
        lines.append((items[0]["date"], 1, f"{label} 单品预警{more}：{names}"))
    out = [text for _, _, text in sorted(lines, key=lambda x: (x[0], x[1]))]
    max_items = int(settings.get("max_items", 8))
    if len(out) > max_items:
        out = out[:max_items] + [f"另有 {len(out) - max_items} 条预警，见报告"]
    keyword = settings.get("keyword") or "退货预警"
    shop_name = settings.get("shop_name") or ""
    period = date or month
    fields = {"keyword": keyword, "shop": f"{shop_name} " if shop_name else "", "period": period,
              "month": month, "date": date or ""}
    try:
        title = str(settings.get("title", "【{keyword}】{shop}{period}")).format(**fields)
        footer = str(settings.get("footer", "")).format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise ParameterError(f"conf alerts.yml: alerts.title/footer may only use "
                             f"{{keyword}} {{shop}} {{period}} {{month}} {{date}} ({exc})") from None
    if keyword not in title:  # robots in keyword mode reject messages without it
        title = f"【{keyword}】{title}"
    return Message(title=title, lines=out, footer=footer, keys=[anomaly_key(a) for a in anomalies])


def load_alert_config(conf_dir: str | Path = "conf") -> dict[str, Any]:
    """The ``alerts`` section of ``alerts.yml`` (base overlaid by local)."""
    return load_yaml("alerts.yml", conf_dir).get("alerts", {}) or {}


def select(anomalies: list[dict[str, Any]], settings: Mapping[str, Any],
           date: str | None = None) -> list[dict[str, Any]]:
    """The anomalies to push: marked ``pushed`` by the monitor (an alert that starts an episode,
    of a rule that is pushed), of a rule and scope ``settings`` pushes, on ``date`` (all when
    None).  Anomalies from before this rule existed (no ``pushed`` key) count as pushed."""
    rules = set(settings.get("rules") or ["event", "cohort"])
    scopes = set(settings.get("scopes") or ["shop", "product"])
    return [a for a in anomalies if a.get("pushed", True) and a["rule"] in rules and a["scope"] in scopes
            and (date is None or a["date"] == date)]
