"""Alert messages: which anomalies are pushed and the robot-neutral Chinese message they make.

Chapter 5 previews the message and ``returns-kit alerts`` sends it (:mod:`returns_kit.alerts`);
both build it here, from the ``alerts`` section of ``conf/base/alerts.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .config import load_yaml
from .display import p_text
from .errors import ParameterError

__all__ = ["Message", "anomaly_key", "format_message", "load_alert_config", "select"]


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
    """What makes an anomaly "the same" across runs: date, metric, scope, product, rule."""
    return "|".join([a["date"], a.get("metric", "refund_rate"), a["scope"],
                     a.get("product_id") or "-", a["rule"]])


def _p_text(p: float | None) -> str:
    if p is None:
        return "p 无法计算"
    text = p_text(p)
    return f"p{text}" if text.startswith("<") else f"p={text}"


def _group_line(items: list[Mapping[str, Any]]) -> str:
    a = items[0]
    rules = {x["rule"] for x in items}
    by_rule = {x["rule"]: x for x in items}
    main = by_rule.get("binomial", a)
    day = a["date"][5:]
    who = "全店" if a["scope"] == "shop" else f"「{a.get('product_name') or a.get('product_id')}」"
    promo = "（大促日，对比往期大促）" if a.get("baseline_kind") == "promotion" else (
        "（大促日，无往期大促可比，对比日常）" if a.get("baseline_kind") == "normal_fallback" else "")
    base = main.get("baseline")
    ratio = (main["value"] / base) if base else None
    parts = [f"{day} {who}{promo}退款率 {main['value']:.1%}"
             f"（{main['paid_sub_orders']:,} 单退 {main['refunded']:,} 单），"
             f"基线 {base:.1%}" + (f"，{ratio:.1f} 倍" if ratio else "")]
    if "binomial" in rules:
        tag = "按单量检验 " + _p_text(main.get("p_value"))
        if "threshold" in rules:
            tag += "，超均值20%规则"
    else:
        tag = f"仅超均值20%规则；按单量检验 {_p_text(a.get('p_value'))}，可能是正常波动"
    parts.append(f"〔{tag}〕")
    drivers = main.get("drivers") or {}
    prods = drivers.get("products") or []
    if prods:
        parts.append("；主要商品：" + "、".join(
            f"{p['product_name'] or p['product_id']}（{p['paid_sub_orders']} 单退 {p['refunded']}）"
            for p in prods[:3]))
    reasons = drivers.get("reasons") or []
    if reasons:
        parts.append("；主要原因：" + "、".join(f"{r['reason']} {r['share']:.0%}" for r in reasons[:2]))
    stage = drivers.get("stage")
    if stage and stage.get("share", 0) >= 0.5:
        parts.append(f"；{stage['share']:.0%} 在{stage['label'].split('（')[0]}退款")
    return "".join(parts)


def format_message(anomalies: list[Mapping[str, Any]], month: str, settings: Mapping[str, Any],
                   date: str | None = None) -> Message | None:
    """A short Chinese message for ``anomalies`` (None when there are none).

    One line per day and scope (both rules merged); on a day when the whole shop is anomalous
    the products of that day are folded into one “同日单品异常” line.  At most ``max_items``
    lines; the rest are counted (“另有 N 条异常，见报告”).
    """
    if not anomalies:
        return None
    groups: dict[tuple, list] = {}
    for a in anomalies:
        groups.setdefault((a["date"], a["scope"] != "shop", a.get("product_id") or ""), []).append(a)
    shop_days = {k[0] for k in groups if not k[1]}
    lines: list[str] = []
    folded: dict[str, list[list]] = {}
    for key in sorted(groups):
        day, is_product, _ = key
        if is_product and day in shop_days:
            folded.setdefault(day, []).append(groups[key])
            continue
        lines.append((day, is_product, _group_line(groups[key])))
    out: list[str] = []
    for day, is_product, text in lines:
        out.append(text)
        if not is_product and folded.get(day):
            items = sorted(folded[day], key=lambda g: -g[0]["value"])
            names = "、".join(f"{g[0].get('product_name') or g[0].get('product_id')} {g[0]['value']:.0%}"
                             for g in items[:5])
            more = f" {len(items)} 个" + ("（列出前 5 个）" if len(items) > 5 else "")
            out.append(f"{day[5:]} 同日单品异常{more}：{names}")
    max_items = int(settings.get("max_items", 8))
    if len(out) > max_items:
        out = out[:max_items] + [f"另有 {len(out) - max_items} 条异常，见报告"]
    keyword = settings.get("keyword") or "退货预警"
    shop = settings.get("shop_name") or ""
    period = date or month
    fields = {"keyword": keyword, "shop": f"{shop} " if shop else "", "period": period,
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
    """Anomalies of ``date`` (all when None) whose rule and scope ``settings`` pushes."""
    rules = set(settings.get("rules") or ["binomial", "threshold"])
    scopes = set(settings.get("scopes") or ["shop", "product"])
    return [a for a in anomalies if a["rule"] in rules and a["scope"] in scopes
            and (date is None or a["date"] == date)]
