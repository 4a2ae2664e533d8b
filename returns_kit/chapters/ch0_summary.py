"""Chapter 0 — 摘要: the answer first.  The headline figures against last month at the same cohort
age (and whether each change is beyond day-to-day noise), why the refund rate moved (contributions
per pay day, product, creator, province, carrier and reason that add up to the change), where the
excess refunds are, the month's pushed alerts, intervention verdicts and data-quality warnings, and
up to three suggested actions from ``conf/base/actions.yml``.

Notebook: ``notebooks/00_summary.ipynb``.  Figures: :mod:`returns_kit.summary` (with
:mod:`returns_kit.decomposition`); alerts and verdicts are the context's own
(:attr:`~returns_kit.chapters.context.Context.monitoring`,
:attr:`~returns_kit.chapters.context.Context.intervention_results`), the same objects chapters 5
and 8 show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.jsonable import records
from ..core.periods import cohort_maturity
from ..display import money, p_phrase, pct, points_text
from ..interventions import started_by
from ..messages import alert_line
from ..metrics import coverage_summary
from ..summary import (DIMENSIONS, UNACTIONABLE, MonthPair, PairDates, carrier_damage_signal, drivers,
                       equal_age_trend, hidden_quality_signal, hotspots, kpis, month_pair, suggest)
from .base import Chapter, kept
from .context import Context

__all__ = ["Summary", "build", "LINKS", "MIN_SENTENCE_POINTS", "MIN_EVIDENCE_SHARE", "top_tags"]

#: where each kind of sentence points: (anchor id in the report, link text)
LINKS: dict[str, tuple[str, str]] = {
    "headline": ("chapter-03", "第三章 多维拆解"),
    "day": ("chapter-05", "第五章 预警"),
    "product": ("rk-products", "第三章 商品"),
    "creator": ("rk-creators", "第三章 达人"),
    "province": ("rk-regions", "第三章 地区"),
    "carrier": ("rk-logistics", "第三章 物流"),
    "reason": ("chapter-04", "第四章 退货原因"),
}
_DRIVER_FIELDS = ["dimension", "key", "name", "contribution", "rate_effect", "mix_effect", "rate_before",
                  "rate_after", "paid_before", "paid_after", "refunded_before", "refunded_after", "ci_low",
                  "ci_high", "p_value", "significant", "beyond_day_noise", "top_category", "top_reason",
                  "top_reason_share"]
_HOTSPOT_FIELDS = ["dimension", "key", "name", "excess_refunds", "refund_rate", "ci_low", "ci_high",
                   "paid_sub_orders", "refunded"]
#: the smallest contribution a driver sentence is written for
MIN_SENTENCE_POINTS = 0.0005
#: a reason or tag is named as evidence when at least this share of the segment's refunds
#: (after-sales) has it
MIN_EVIDENCE_SHARE = 0.3


@dataclass(repr=False)
class Summary(Chapter):
    """What the summary shows (see :func:`build`)."""

    pair: PairDates  #: the months compared and when (the pair's tables stay with the context)
    maturity: dict[str, Any]
    kpis: pd.DataFrame  #: :func:`returns_kit.summary.kpis`
    drivers: pd.DataFrame  #: :func:`returns_kit.summary.drivers`
    hotspots: pd.DataFrame  #: :func:`returns_kit.summary.hotspots`
    actions: list[dict[str, Any]]  #: :func:`returns_kit.summary.suggest`
    alerts: list[str] = field(default_factory=list)  #: the month's pushed alerts, one line each
    verdicts: list[str] = field(default_factory=list)  #: each intervention's recommendation
    warnings: list[str] = field(default_factory=list)  #: data-quality warnings
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)  #: :func:`returns_kit.summary.equal_age_trend`
    piloted: dict[str, str] = field(default_factory=dict)  #: product_id → the intervention it pilots
    product_tags: dict[str, tuple[str, float]] = field(default_factory=dict)  #: product_id → (top tag, share)

    number = 0
    title = "摘要"

    @property
    def month(self) -> str:
        return self.pair.month

    @property
    def has_comparison(self) -> bool:
        """Last month is in the data (else only this month's figures are shown)."""
        return self.pair.has_previous and bool(len(self.drivers))

    @property
    def waterfall_title(self) -> str:
        return f"退款率从上月同龄到本月：各商品的贡献（{self.pair.previous} → {self.month}）"

    @property
    def kpi(self) -> dict[str, dict[str, Any]]:
        return {r["key"]: r for r in self.kpis.to_dict("records")}

    # -- the figures, for reading -----------------------------------------------------------
    @property
    def kpi_cards(self) -> list[dict[str, str]]:
        """One card per headline figure: ``label``, ``value``, ``change`` (against last month at
        equal age) and ``verdict`` (beyond noise or not)."""
        cards = []
        for r in self.kpis.to_dict("records"):
            value = _fmt(r["value"], r["unit"])
            if r["previous"] is None:
                change, verdict = "无上月数据", ""
            else:
                change = f"上月同龄 {_fmt(r['previous'], r['unit'])}，{_change(r)}"
                verdict = "超出正常波动" if r["significant"] else "在正常波动内"
            cards.append({"label": r["name"], "value": value, "change": change, "verdict": verdict,
                          "tone": _tone(r)})
        return cards

    @property
    def sentences(self) -> list[dict[str, str]]:
        """3–5 sentences: the headline, the largest drivers (at most two per dimension, things one
        can act on), the reason category that moved most; each ``{text, href, link}``."""
        out = [self._headline()]
        d = self.drivers
        if not len(d):
            return out
        seen: dict[str, int] = {}
        named = d[d["dimension"].ne("reason") & d["key"].notna() & ~d["key"].isin(UNACTIONABLE)]
        for row in named.to_dict("records"):
            if len(out) >= 4 or abs(row["contribution"]) < MIN_SENTENCE_POINTS:
                break
            if seen.get(row["dimension"], 0) >= 2:
                continue
            seen[row["dimension"]] = seen.get(row["dimension"], 0) + 1
            out.append(self._driver(row))
        reasons = d[d["dimension"].eq("reason") & d["key"].notna()]
        if len(reasons) and abs(reasons.iloc[0]["contribution"]) >= MIN_SENTENCE_POINTS:
            out.append(self._reason(reasons.iloc[0].to_dict()))
        return out

    def _headline(self) -> dict[str, str]:
        p, r = self.pair, self.kpi["refund_rate_count"]
        head = f"本月（数据截至 {p.as_of:%m-%d}，月末后 {p.age_days} 天）退款率 {pct(r['value'])}"
        if r["previous"] is None:
            text = head + "；数据中没有上月的支付订单，无法做同龄比较。"
        else:
            moved = "上升" if r["change"] > 0 else "下降" if r["change"] < 0 else "持平"
            noise = ("超出每日正常波动" if r["significant"] else "仍在每日正常波动之内")
            text = (f"{head}，上月同龄（截至 {p.cutoff:%m-%d}）{pct(r['previous'])}，{moved} "
                    f"{points_text(r['change']).lstrip('+')}，{noise}（按支付日检验，{p_phrase(r['p_value'])}）。")
        return _linked(text, "headline")

    def _driver(self, row: dict[str, Any]) -> dict[str, str]:
        dim = row["dimension"]
        reason = (f"；{row['top_reason_share']:.0%} 的退款原因是“{row['top_reason']}”"
                  if row.get("top_reason") and row["top_reason_share"] >= MIN_EVIDENCE_SHARE else "")
        if dim == "product" and row["key"] in self.product_tags:
            tag, share = self.product_tags[row["key"]]
            reason += f"；买家留言最常提到“{tag}”（{share:.0%} 的售后）"
        if dim == "day":
            products = row.get("top_products") or []
            who = ("，退得最多的是" + "、".join(f"「{n}」" for n in products[:2])) if products else ""
            text = (f"{row['name']}一天贡献 {points_text(row['contribution'])}：当天支付 {row['paid_after']:,} 单，"
                    f"退款率 {pct(row['rate_after'])}（95% 区间 {pct(row['ci_low'])}–{pct(row['ci_high'])}；"
                    f"上月同龄同期 {pct(row['rate_before'])}）{reason}{who}。")
            return _linked(text, dim)
        noise = ""
        if row.get("p_value") == row.get("p_value") and row.get("p_value") is not None:
            noise = ("，退款率变化超出正常波动" if row.get("significant")
                     else "，变化大于每日波动，但与其他商品常见的月度漂移相当" if row.get("beyond_day_noise")
                     else "，退款率变化在正常波动内")
        if abs(row["mix_effect"]) < MIN_SENTENCE_POINTS:
            split = "（几乎全部来自退款率变化）"
        elif abs(row["rate_effect"]) < MIN_SENTENCE_POINTS:
            split = "（几乎全部来自销量占比变化）"
        else:
            split = (f"（退款率变化 {points_text(row['rate_effect'])}，"
                     f"销量占比变化 {points_text(row['mix_effect'])}）")
        if dim == "product" and row["key"] in self.piloted:
            reason += f"；它是改进措施「{self.piloted[row['key']]}」的试点商品，扣除对照组后的效果见第八章"
        text = (f"{DIMENSIONS[dim]}「{row['name']}」贡献 {points_text(row['contribution'])}{split}："
                f"本月 {row['paid_after']:,} 单退款率 {pct(row['rate_after'])}（95% 区间 {pct(row['ci_low'])}–"
                f"{pct(row['ci_high'])}），上月同龄 {pct(row['rate_before'])}{noise}{reason}。")
        return _linked(text, dim)

    def _reason(self, row: dict[str, Any]) -> dict[str, str]:
        top = (f"；其中最多的是“{row['top_reason']}”（{row['top_reason_share']:.0%}）"
               if row.get("top_reason") else "")
        text = (f"按退款原因看，“{row['name']}”贡献 {points_text(row['contribution'])}：本月 "
                f"{row['refunded_after']:,} 单（占支付子订单 {pct(row['rate_after'])}），上月同龄 "
                f"{row['refunded_before']:,} 单（{pct(row['rate_before'])}）{top}。")
        return _linked(text, "reason")

    @property
    def waterfall_steps(self) -> pd.DataFrame:
        """The product dimension's contributions for the waterfall: the 6 largest, then the rest
        as one step (``label``, ``contribution``), adding up to the change."""
        d = self.drivers
        if not len(d):
            return pd.DataFrame(columns=["label", "contribution"])
        prod = d[d["dimension"] == "product"]
        named = prod[prod["key"].notna()]
        head = named.head(6)
        rest = prod["contribution"].sum() - head["contribution"].sum()
        steps = pd.DataFrame({"label": head["name"], "contribution": head["contribution"]})
        if abs(rest) > 0:
            steps = pd.concat([steps, pd.DataFrame([{"label": "其他商品", "contribution": rest}])],
                              ignore_index=True)
        return steps.reset_index(drop=True)

    @property
    def waterfall_ends(self) -> tuple[tuple[str, float], tuple[str, float]]:
        r = self.kpi["refund_rate_count"]
        return ("上月同龄", r["previous"]), ("本月", r["value"])

    @property
    def driver_table(self) -> pd.DataFrame:
        """The named drivers of every dimension, for reading (Chinese dimension names)."""
        d = self.drivers
        if not len(d):  # no month before this one
            return pd.DataFrame(columns=_DRIVER_FIELDS)
        shown = d[d["key"].notna()].copy()
        shown["dimension"] = shown["dimension"].map(DIMENSIONS)
        for col in ("contribution", "rate_effect", "mix_effect"):
            shown[col] = shown[col].map(points_text)
        return shown.head(12)

    @property
    def hotspot_table(self) -> pd.DataFrame:
        h = self.hotspots.copy()
        h["dimension"] = h["dimension"].map(DIMENSIONS)
        return h

    def metrics(self) -> dict[str, Any]:
        p = self.pair
        return {"summary": {
            "previous_month": p.previous if p.has_previous else None,
            "compared_at": p.cutoff.strftime("%Y-%m-%d %H:%M:%S"),
            "age_days": p.age_days,
            "kpis": records(self.kpis, ["key", "value", "previous", "change", "significant", "p_value"]),
            "drivers": records(self.drivers, _DRIVER_FIELDS) if len(self.drivers) else [],
            "hotspots": records(self.hotspots, _HOTSPOT_FIELDS),
            "actions": self.actions,
            "sentences": [s["text"] for s in self.sentences],
            "trend": records(self.trend, ["month", "paid_sub_orders", "refunded", "refund_rate", "cutoff"]),
            "alerts": self.alerts, "verdicts": self.verdicts, "warnings": self.warnings,
        }}


def _fmt(value: Any, unit: str) -> str:
    if value is None or value != value:
        return "—"
    if unit == "rate":
        return pct(value)
    if unit == "money":
        return money(value)
    return f"{int(value):,}"


def _change(r: dict[str, Any]) -> str:
    if r["change"] is None:
        return "—"
    if r["unit"] == "rate":
        return points_text(r["change"])
    rel = f"（{r['relative_change']:+.0%}）".replace("-", "−") if r["relative_change"] is not None else ""
    sign = "+" if r["change"] >= 0 else "−"
    body = money(abs(r["change"])) if r["unit"] == "money" else f"{abs(int(r['change'])):,}"
    return f"{sign}{body}{rel}"


def _tone(r: dict[str, Any]) -> str:
    """``up`` (worse, beyond noise), ``down`` (better, beyond noise) or ``flat``."""
    if not r["significant"] or r["change"] is None:
        return "flat"
    return "up" if r["change"] > 0 else "down"


def _linked(text: str, kind: str) -> dict[str, str]:
    anchor, label = LINKS[kind]
    return {"text": text, "href": f"#{anchor}", "link": label}


def _warnings(ctx: Context, pair: MonthPair) -> list[str]:
    out = []
    m = cohort_maturity(ctx.month, ctx.as_of, ctx.settings["maturity_days"])
    if m["provisional"]:
        out.append(f"本月支付口径尚未成熟（月末后 {m['days_since_month_end']} 天，成熟期 {m['maturity_days']} 天）："
                   f"比率还会上升；本页与上月的比较都按同龄（上月截至 {pair.cutoff:%m-%d}）。")
    q = ctx.data.data_quality()
    if q["rejected"]:
        out.append(f"{q['rejected']:,} 行数据有误被隔离，未计入（见第一章“隔离的行”）。")
    cov = coverage_summary(ctx.data.orders, ctx.data.after_sales, ctx.month)
    if cov["after_sales_without_order"]:
        out.append(f"本月 {cov['after_sales_without_order']:,} 笔售后单找不到对应订单（"
                   f"{pct(cov['share_without_order'])}），不计入支付口径（见第一章）。")
    return out


def _verdict(r: dict[str, Any]) -> str:
    return (f"【{r['name']}】{r['recommendation']}：扣除对照组后效果 {points_text(r['effect'])}"
            f"（{p_phrase(r['p_value'])}，见第八章）")


def top_tags(tagged: pd.DataFrame, min_share: float = MIN_EVIDENCE_SHARE) -> dict[str, tuple[str, float]]:
    """Per product, the custom tag on most of the month's after-sales (``tagged``:
    :attr:`Context.tagged`) and its share, when that share is at least ``min_share``."""
    if not len(tagged):
        return {}
    rows = tagged[["product_id", "tags"]].explode("tags").dropna(subset=["tags"])
    per_product = tagged.groupby("product_id").size()
    out = {}
    for pid, counts in rows.groupby("product_id")["tags"]:
        top = counts.value_counts()
        share = float(top.iloc[0] / per_product[pid])
        if share >= min_share:
            out[str(pid)] = (str(top.index[0]), share)
    return out


@kept
def build(ctx: Context) -> Summary:
    """The summary of ``ctx.month``."""
    # this month and last month at the same cohort age: the summary's alone, and let go once it is
    # built (its tables are a gigabyte at the export limits)
    pair = month_pair(ctx.data.orders, ctx.data.after_sales, ctx.outcomes, ctx.taxonomy, ctx.month, ctx.as_of)
    table = drivers(pair, ctx.taxonomy, min_orders=ctx.settings["min_orders"])
    no_reason = int(ctx.taxonomy.is_no_reason(ctx.tagged["reason"]).sum())
    signals = {"carrier_damage": carrier_damage_signal(pair.outcomes, ctx.settings["damage_cell_min_orders"]),
               "hidden_quality": hidden_quality_signal(len(ctx.mismatches), no_reason)}
    age = ctx.detection.cohort.age_days
    return Summary(
        pair=pair.dates(), maturity=cohort_maturity(ctx.month, ctx.as_of, ctx.settings["maturity_days"]),
        kpis=kpis(pair), drivers=table, hotspots=hotspots(pair, min_orders=ctx.settings["min_orders"]),
        actions=suggest(ctx.action_rules, table, signals),
        alerts=[alert_line(a, age) for a in ctx.monitoring.pushed],
        verdicts=[_verdict(r) for r in ctx.intervention_results],
        warnings=_warnings(ctx, pair),
        trend=equal_age_trend(ctx.outcomes, ctx.data.after_sales, ctx.month, ctx.as_of),
        piloted={pid: item.name for item in started_by(ctx.interventions, ctx.month) for pid in item.product_ids},
        product_tags=top_tags(ctx.tagged),
    )

