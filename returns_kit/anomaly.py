"""Chapter 5's anomaly detection on daily refund rates, for the shop and the TOP products.

Two rules judge every day of the month on the cohort basis (支付口径: sub-orders paid that day,
``refunded`` = at least one successful refund):

* ``threshold`` — the article's rule: the day's refund rate is more than ``threshold`` (20%) above
  the mean of the previous ``window`` (7) comparable days.  The mean is pooled (Σ refunded ÷
  Σ paid of those days), so a 1-order day does not weigh as much as a 300-order day.  A day (or a
  baseline) with fewer than ``min_volume`` paid sub-orders is not judged: 1 refund of 3 orders is
  33%, which says nothing.
* ``binomial`` — a volume-aware test: under the baseline rate p0 (pooled over the previous
  ``window`` (28) comparable days) the day's refunds are Binomial(n, p0); the day fires when
  P(X ≥ refunded) < ``alpha`` (0.001) *and* it has at least ``min_excess`` (3) refunds more than
  expected (n × p0).  A 1-of-3 day can never fire; 196 of 436 against 13% fires with p ≈ 1e-50.

"Comparable days": promotion days (大促, from ``conf/base/promotions.csv``) are judged against
earlier promotion days only, and ordinary days against ordinary days only; a promotion day with no
earlier promotion data falls back to the ordinary baseline (``baseline_kind = "normal_fallback"``,
or is skipped with ``promotions.fallback: skip``).  Days the test has already flagged are left out
of later baselines, so one spike does not hide the next week.

Caveat (stated in the report): the rates of the last days before the data pull are still
immature (late returns arrive for weeks), so they are biased low — the rules can miss a recent
spike of late returns, they do not invent one.  Refunds before shipping show up at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .config import load_yaml
from .core.periods import month_bounds, month_days
from .core.stats import binom_sf
from .display import p_text
from .errors import ParameterError
from .funnel import funnel_exits
from .metrics.outcomes import cohort
from .metrics.products import product_names

__all__ = [
    "RULES_ZH", "BASELINE_KIND_ZH", "threshold_rule", "DetectionSettings", "load_settings",
    "daily_counts", "judge_days", "fired_days", "detect", "anomaly_settings", "anomaly_table",
    "monitoring_summary", "shop_rule",
]


#: rule id → Chinese name shown in the report and in alerts
RULES_ZH = {"threshold": "超均值20%规则", "binomial": "二项检验（按单量）"}

BASELINE_KIND_ZH = {"normal": "日常基线", "promotion": "往期大促基线",
                    "normal_fallback": "日常基线（无往期大促可比）"}


def threshold_rule(series: pd.Series, window: int = 7, threshold: float = 0.20,
                   min_periods: int = 3) -> pd.DataFrame:
    """The article's rule on a plain series: a day whose value is more than ``threshold`` (20%)
    above the mean of the previous ``window`` days is an anomaly.

    Returns one row per day: ``value``, ``baseline`` (trailing mean of the *previous* days, the day
    itself excluded), ``ratio`` = value / baseline and ``fired``.  Days with fewer than
    ``min_periods`` previous values, or a missing value, never fire.  (For rates with their
    volumes use :func:`judge_days`, which pools the baseline and ignores low-volume days.)
    """
    baseline = series.shift(1).rolling(window, min_periods=min_periods).mean()
    ratio = series / baseline
    fired = (ratio > 1 + threshold) & series.notna() & baseline.notna()
    return pd.DataFrame({"value": series, "baseline": baseline, "ratio": ratio, "fired": fired})


@dataclass(frozen=True)
class DetectionSettings:
    """Parameters of both rules (``conf/base/alerts.yml``, section ``detection``)."""

    window: int = 7                 # threshold rule: previous comparable days in the mean
    threshold: float = 0.20         # … fires above mean × (1 + threshold)
    min_periods: int = 3            # … needs at least this many previous days with orders
    min_volume: int = 30            # … day and baseline need this many paid sub-orders
    test_window: int = 28           # binomial test: previous comparable days in p0
    test_min_periods: int = 7
    alpha: float = 0.001            # … one-sided p-value below this fires
    min_excess: float = 3.0         # … and at least this many refunds above expected
    min_baseline_volume: int = 50   # … p0 needs this many paid sub-orders
    top_products: int = 20          # products judged one by one: the largest by paid volume
    promotion_fallback: str = "normal"  # promotion day without earlier promotions: normal | skip
    promotion_lookback_days: int = 400
    exclude_flagged: bool = True    # days flagged by the test leave later baselines

    @classmethod
    def from_conf(cls, conf: dict[str, Any]) -> "DetectionSettings":
        t = conf.get("threshold_rule", {}) or {}
        b = conf.get("binomial_test", {}) or {}
        p = conf.get("products", {}) or {}
        pr = conf.get("promotions", {}) or {}
        d = cls()
        out = cls(
            window=int(t.get("window", d.window)),
            threshold=float(t.get("threshold", d.threshold)),
            min_periods=int(t.get("min_periods", d.min_periods)),
            min_volume=int(t.get("min_volume", d.min_volume)),
            test_window=int(b.get("window", d.test_window)),
            test_min_periods=int(b.get("min_periods", d.test_min_periods)),
            alpha=float(b.get("alpha", d.alpha)),
            min_excess=float(b.get("min_excess", d.min_excess)),
            min_baseline_volume=int(b.get("min_baseline_volume", d.min_baseline_volume)),
            top_products=int(p.get("top_n", d.top_products)),
            promotion_fallback=str(pr.get("fallback", d.promotion_fallback)),
            promotion_lookback_days=int(pr.get("lookback_days", d.promotion_lookback_days)),
            exclude_flagged=bool(conf.get("exclude_flagged_from_baseline", d.exclude_flagged)),
        )
        out.validate()
        return out

    def validate(self) -> None:
        checks = [
            (self.window >= 1, "threshold_rule.window must be ≥ 1"),
            (self.threshold >= 0, "threshold_rule.threshold must be ≥ 0 (0.20 = 20%)"),
            (self.min_periods >= 1, "threshold_rule.min_periods must be ≥ 1"),
            (self.test_window >= 1, "binomial_test.window must be ≥ 1"),
            (0 < self.alpha < 1, "binomial_test.alpha must be between 0 and 1"),
            (self.promotion_fallback in ("normal", "skip"), "promotions.fallback must be normal or skip"),
        ]
        for ok, message in checks:
            if not ok:
                raise ParameterError(f"conf alerts.yml detection: {message}")


def load_settings(conf_dir: str | Path = "conf") -> DetectionSettings:
    """Detection settings from ``alerts.yml`` (base, overlaid by local); defaults when absent."""
    return DetectionSettings.from_conf(load_yaml("alerts.yml", conf_dir).get("detection", {}) or {})


def daily_counts(outcomes: pd.DataFrame, end: pd.Timestamp | None = None,
                 by: str | None = None) -> pd.DataFrame:
    """Paid sub-orders (``paid``) and refunded ones (``refunded``) per pay date — every day from
    the first payment to ``end`` (exclusive, default: the day after the last payment), zeros
    included — optionally per ``by`` (e.g. ``product_id``).  Columns: [by,] date, paid, refunded.
    """
    paid = outcomes[outcomes["pay_time"].notna()]
    if paid.empty:
        cols = ([by] if by else []) + ["date", "paid", "refunded"]
        return pd.DataFrame(columns=cols)
    day = paid["pay_time"].dt.normalize()
    first = day.min()
    last = (end - pd.Timedelta(days=1)) if end is not None else day.max()
    days = pd.date_range(first, last, freq="D", name="date")
    if by is None:
        g = paid.groupby(day)["refunded"].agg(["size", "sum"])
        g = g.reindex(days, fill_value=0)
        return pd.DataFrame({"date": days, "paid": g["size"].astype(int).to_numpy(),
                             "refunded": g["sum"].astype(int).to_numpy()})
    g = paid.groupby([paid[by], day.rename("date")])["refunded"].agg(["size", "sum"])
    keys = paid[by].dropna().unique()
    idx = pd.MultiIndex.from_product([keys, days], names=[by, "date"])
    g = g.reindex(idx, fill_value=0).reset_index()
    return g.rename(columns={"size": "paid", "sum": "refunded"}).astype({"paid": int, "refunded": int})


def judge_days(counts: pd.DataFrame, days: Iterable[pd.Timestamp],
               promotion_days: Iterable[pd.Timestamp] = (),
               settings: DetectionSettings = DetectionSettings()) -> pd.DataFrame:
    """Both rules for each of ``days``, from a daily ``counts`` frame (date, paid, refunded) that
    also holds the earlier days the baselines need.

    One row per judged day: ``date, paid, refunded, value`` (refunded / paid), ``promotion``,
    ``baseline_kind`` (normal / promotion / normal_fallback / skipped), and per rule:

    * threshold: ``baseline`` (pooled rate of the previous ``window`` comparable days),
      ``baseline_days``, ``ratio`` = value / baseline, ``threshold_fired``;
    * binomial: ``p0`` (pooled rate of the previous ``test_window`` comparable days),
      ``expected`` = paid × p0, ``excess`` = refunded − expected, ``p_value`` = P(X ≥ refunded),
      ``binomial_fired``.

    A value is NaN where the rule could not judge (too little volume or history).
    """
    s = settings
    frame = counts.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    frame = frame.groupby("date", as_index=True)[["paid", "refunded"]].sum().sort_index()
    promos = {pd.Timestamp(d).normalize() for d in promotion_days}
    flagged: set[pd.Timestamp] = set()
    rows = []
    lookback = pd.Timedelta(days=s.promotion_lookback_days)
    for day in sorted(pd.Timestamp(d).normalize() for d in days):
        n = int(frame["paid"].get(day, 0))
        k = int(frame["refunded"].get(day, 0))
        is_promo = day in promos
        prev = frame[(frame.index < day) & (frame["paid"] > 0)]
        if s.exclude_flagged and flagged:
            prev = prev[~prev.index.isin(list(flagged))]
        in_promo = prev.index.isin(list(promos))
        kind = "normal"
        if is_promo:
            own = prev[in_promo & (prev.index >= day - lookback)]
            if own["paid"].sum() >= s.min_volume and len(own) >= 1:
                base, kind = own, "promotion"
            elif s.promotion_fallback == "normal":
                base, kind = prev[~in_promo], "normal_fallback"
            else:
                base, kind = prev.iloc[0:0], "skipped"
        else:
            base = prev[~in_promo]
        row: dict[str, Any] = {"date": day, "paid": n, "refunded": k,
                               "value": k / n if n else math.nan,
                               "promotion": is_promo, "baseline_kind": kind}
        # the article's rule: pooled mean of the last `window` comparable days
        last = base.tail(s.window)
        bn, bk = int(last["paid"].sum()), int(last["refunded"].sum())
        ok = (kind != "skipped" and len(last) >= (1 if kind == "promotion" else s.min_periods)
              and bn >= s.min_volume and n >= s.min_volume)
        baseline = bk / bn if ok and bn else math.nan
        ratio = row["value"] / baseline if ok and baseline > 0 else math.nan
        row.update(baseline=baseline, baseline_days=len(last) if ok else 0, ratio=ratio,
                   threshold_fired=bool(ok and baseline > 0 and row["value"] > baseline * (1 + s.threshold)))
        # the volume-aware test: Binomial(n, p0) tail against the last `test_window` days
        tlast = base.tail(s.test_window)
        tn, tk = int(tlast["paid"].sum()), int(tlast["refunded"].sum())
        tok = (kind != "skipped" and n > 0 and tn >= s.min_baseline_volume
               and len(tlast) >= (1 if kind == "promotion" else s.test_min_periods))
        p0 = tk / tn if tok else math.nan
        if tok:
            expected = n * p0
            excess = k - expected
            p_value = binom_sf(k, n, p0) if p0 > 0 else (0.0 if k > 0 else 1.0)
            fired = p_value < s.alpha and excess >= s.min_excess
        else:
            expected = excess = p_value = math.nan
            fired = False
        row.update(p0=p0, expected=expected, excess=excess, p_value=p_value, binomial_fired=bool(fired))
        if fired:
            flagged.add(day)
        rows.append(row)
    cols = ["date", "paid", "refunded", "value", "promotion", "baseline_kind", "baseline",
            "baseline_days", "ratio", "threshold_fired", "p0", "expected", "excess", "p_value",
            "binomial_fired"]
    return pd.DataFrame(rows, columns=cols)


def fired_days(judged: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`judge_days` where either rule fired."""
    return judged[judged["threshold_fired"] | judged["binomial_fired"]]


def _reason_drivers(outcomes: pd.DataFrame, after_sales: pd.DataFrame, taxonomy,
                    day: pd.Timestamp, product_id: str | None = None, top: int = 3) -> list[dict]:
    """Top reasons of the successful refunds of sub-orders paid on ``day`` (one per sub-order)."""
    paid = outcomes[(outcomes["pay_time"].dt.normalize() == day) & outcomes["refunded"]]
    if product_id is not None:
        paid = paid[paid["product_id"] == product_id]
    a = after_sales[after_sales["sub_order_id"].isin(paid["sub_order_id"])
                    & after_sales["is_refund_success"].astype(bool)]
    a = a.sort_values("apply_time").drop_duplicates("sub_order_id")
    if a.empty:
        return []
    reason = a["reason"].fillna("（空）")
    category = taxonomy.categorize(a["reason"]) if taxonomy is not None else pd.Series("", index=a.index)
    table = pd.DataFrame({"reason": reason.to_numpy(), "category": category.to_numpy()})
    counts = table.value_counts().rename("count").reset_index()
    counts["share"] = counts["count"] / len(table)
    out = []
    for r in counts.head(top).itertuples(index=False):
        out.append({"reason": str(r.reason), "category": str(r.category), "count": int(r.count),
                    "share": round(float(r.share), 4)})
    return out


def _stage_driver(outcomes: pd.DataFrame, after_sales: pd.DataFrame, day: pd.Timestamp,
                  product_id: str | None = None) -> dict | None:
    paid = outcomes[(outcomes["pay_time"].dt.normalize() == day) & outcomes["refunded"]]
    if product_id is not None:
        paid = paid[paid["product_id"] == product_id]
    exits = funnel_exits(paid, after_sales)
    if exits["sub_orders"].sum() == 0:
        return None
    top = exits.sort_values("sub_orders", ascending=False).iloc[0]
    return {"stage": str(top["stage"]), "label": str(top["label"]),
            "share": round(float(top["share"]), 4)}


def _product_drivers(outcomes: pd.DataFrame, day: pd.Timestamp, base_days: list[pd.Timestamp],
                     shop_p0: float, names: dict[str, str], top: int = 3) -> list[dict]:
    """Products with the most refunds above their own baseline rate on ``day``."""
    today = outcomes[outcomes["pay_time"].dt.normalize() == day]
    if today.empty:
        return []
    g = today.groupby("product_id")["refunded"].agg(["size", "sum"])
    base = outcomes[outcomes["pay_time"].dt.normalize().isin(base_days)]
    bg = base.groupby("product_id")["refunded"].agg(["size", "sum"])
    rate = (bg["sum"] / bg["size"]).where(bg["size"] >= 30)
    p = rate.reindex(g.index).fillna(shop_p0 if shop_p0 == shop_p0 else 0.0)
    excess = g["sum"] - g["size"] * p
    out = []
    for pid in excess.sort_values(ascending=False).index[:top]:
        if excess[pid] <= 0:
            break
        out.append({"product_id": str(pid), "product_name": names.get(str(pid)),
                    "paid_sub_orders": int(g.at[pid, "size"]), "refunded": int(g.at[pid, "sum"]),
                    "excess_refunds": round(float(excess[pid]), 1)})
    return out


def _baseline_days(counts: pd.DataFrame, day: pd.Timestamp, judged_row: pd.Series,
                   promos: set, flagged: set, window: int) -> list[pd.Timestamp]:
    prev = counts[(counts["date"] < day) & (counts["paid"] > 0)]
    prev = prev[~prev["date"].isin(list(flagged))]
    in_promo = prev["date"].isin(list(promos))
    prev = prev[in_promo] if judged_row["baseline_kind"] == "promotion" else prev[~in_promo]
    return list(prev["date"].tail(window))


def _round6(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else round(float(value), 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _sig(value: Any, digits: int = 3) -> float | None:
    """A p-value with ``digits`` significant digits (tiny values are kept, not rounded to 0)."""
    if value is None or value != value:
        return None
    return float(f"{float(value):.{digits}g}")


def detect(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str,
           promotion_days: Iterable[pd.Timestamp] = (),
           settings: DetectionSettings = DetectionSettings(), taxonomy=None
           ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Judge every day of ``month`` for the shop and for the ``settings.top_products`` largest
    products (by paid sub-orders in the month).

    Returns ``(shop_judged, anomalies)``: the shop's :func:`judge_days` table (for the chart) and
    one record per fired rule — ``date, metric ("refund_rate"), scope ("shop" | "product"),
    product_id, product_name, rule ("threshold" | "binomial"), rule_zh, value, baseline (the
    rule's baseline rate), ratio, paid_sub_orders, refunded, expected, p_value, baseline_kind,
    promotion, drivers {products: [...], reasons: [...], stage: {...}}``, sorted by date.
    """
    _, end = month_bounds(month)
    days = list(month_days(month))
    promos = {pd.Timestamp(d).normalize() for d in promotion_days}
    names = product_names(outcomes)
    data = outcomes[outcomes["pay_time"].notna() & (outcomes["pay_time"] < end)]

    shop_counts = daily_counts(data, end=end)
    shop = judge_days(shop_counts, days, promos, settings) if len(shop_counts) else judge_days(
        pd.DataFrame({"date": days, "paid": 0, "refunded": 0}), days, promos, settings)
    anomalies: list[dict[str, Any]] = []

    def records(judged: pd.DataFrame, counts: pd.DataFrame, scope: str, pid: str | None):
        flagged = set(judged.loc[judged["binomial_fired"], "date"]) if settings.exclude_flagged else set()
        for _, r in fired_days(judged).iterrows():
            day = r["date"]
            drivers: dict[str, Any] = {}
            if scope == "shop":
                base = _baseline_days(counts, day, r, promos, flagged - {day}, settings.test_window)
                drivers["products"] = _product_drivers(data, day, base, r["p0"], names)
            drivers["reasons"] = _reason_drivers(data, after_sales, taxonomy, day, pid)
            stage = _stage_driver(data, after_sales, day, pid)
            if stage:
                drivers["stage"] = stage
            for rule in ("threshold", "binomial"):
                if not r[f"{rule}_fired"]:
                    continue
                anomalies.append({
                    "date": day.strftime("%Y-%m-%d"), "metric": "refund_rate", "scope": scope,
                    "product_id": pid, "product_name": names.get(pid) if pid else None,
                    "rule": rule, "rule_zh": RULES_ZH[rule],
                    "value": _round6(r["value"]),
                    "baseline": _round6(r["baseline"] if rule == "threshold" else r["p0"]),
                    "ratio": _round6(r["value"] / (r["baseline"] if rule == "threshold" else r["p0"])),
                    "paid_sub_orders": int(r["paid"]), "refunded": int(r["refunded"]),
                    "expected": _round6(r["expected"]), "p_value": _sig(r["p_value"]),
                    "baseline_kind": r["baseline_kind"], "promotion": bool(r["promotion"]),
                    "drivers": drivers,
                })

    records(shop, shop_counts, "shop", None)
    month_paid = cohort(data, month)
    top = month_paid["product_id"].value_counts().head(settings.top_products).index
    if len(top):
        per = daily_counts(data[data["product_id"].isin(top)], end=end, by="product_id")
        for pid in top:
            counts = per[per["product_id"] == pid][["date", "paid", "refunded"]]
            judged = judge_days(counts, days, promos, settings)
            records(judged, counts, "product", str(pid))
    order = {"shop": 0, "product": 1}
    anomalies.sort(key=lambda a: (a["date"], order[a["scope"]], a["product_id"] or "", a["rule"]))
    return shop, anomalies


def anomaly_settings(settings: DetectionSettings, promotion_days: Iterable[pd.Timestamp],
                     month: str) -> dict[str, Any]:
    """What the rules were, for ``metrics.json`` (``anomaly_settings``): the metric and its basis,
    both rules' parameters and the month's promotion days."""
    return {
        "metric": "refund_rate", "basis": "pay_date",
        "threshold": settings.threshold, "window": settings.window,
        "min_volume": settings.min_volume, "test_window": settings.test_window,
        "alpha": settings.alpha, "min_excess": settings.min_excess,
        "top_products": settings.top_products,
        "promotion_days": sorted(d.strftime("%Y-%m-%d") for d in promotion_days
                                 if d.strftime("%Y-%m") == month),
    }


def shop_rule(judged: pd.DataFrame) -> pd.DataFrame:
    """The shop's judged days (:func:`judge_days`) as ``value, baseline, fired`` indexed by date,
    for :func:`returns_kit.plots.trend_with_baseline`; fired = either rule."""
    t = judged.set_index("date")
    return pd.DataFrame({"value": t["value"], "baseline": t["baseline"],
                         "fired": t["threshold_fired"] | t["binomial_fired"]})


def monitoring_summary(anomalies: list[dict[str, Any]], settings: DetectionSettings,
                       promotion_days: Iterable[pd.Timestamp], month: str) -> str:
    """The Chinese paragraph above chapter 5's anomaly table: what both rules are, the month's
    promotion days, and which days fired (shop and products, by rule)."""
    s = settings
    days = sorted({a["date"] for a in anomalies})
    shop_days = sorted({a["date"] for a in anomalies if a["scope"] == "shop"})
    prod = sorted({a["product_id"] for a in anomalies if a["scope"] == "product"})
    by_rule = {r: sorted({a["date"] for a in anomalies if a["rule"] == r}) for r in RULES_ZH}
    promo_in_month = sorted(d for d in promotion_days if d.strftime("%Y-%m") == month)
    text = (f"规则一（文章的规则）：当天退款率超过前 {s.window} 个可比日均值的 {s.threshold:.0%}，"
            f"当天及基线各需至少 {s.min_volume} 单；规则二（按单量的二项检验）：以前 {s.test_window} 个可比日的"
            f"退款率为基线，当天出现这么多退款的概率低于 {s.alpha:g} 且比预期多 {s.min_excess:g} 单以上。"
            f"判断范围：全店和本月单量最大的 {s.top_products} 个商品。")
    if promo_in_month:
        text += (f"本月有 {len(promo_in_month)} 个大促日（{promo_in_month[0]:%m-%d} 起），"
                 "大促日只和往期大促日比较。")
    if not days:
        return text + "本月没有任何一天触发预警。"
    names = ", ".join(d[5:] for d in days)
    text += (f"本月共 {len(days)} 天出现异常：{names}；其中全店层面 {len(shop_days)} 天，"
             f"涉及 {len(prod)} 个商品。超均值规则触发 {len(by_rule['threshold'])} 天，"
             f"二项检验确认 {len(by_rule['binomial'])} 天。")
    return text


def anomaly_table(anomalies: list[dict]) -> pd.DataFrame:
    """One row per day and scope, both rules merged: 日期, 范围, 触发规则, 当日退款率, 基线,
    支付/退款单数, 检验 p 值, 基线类型, 主要原因 — formatted for reading (Chinese headers)."""
    groups: dict[tuple, list] = {}
    for a in anomalies:
        groups.setdefault((a["date"], a["scope"] != "shop", a["product_id"] or ""), []).append(a)
    rows = []
    for key in sorted(groups):
        items = groups[key]
        rules = {x["rule"]: x for x in items}
        main = rules.get("binomial", items[0])
        thr = rules.get("threshold")
        reasons = (main.get("drivers") or {}).get("reasons") or []
        rows.append({
            "日期": main["date"],
            "范围": "全店" if main["scope"] == "shop" else (main["product_name"] or main["product_id"]),
            "触发规则": "、".join(RULES_ZH[r] for r in ("threshold", "binomial") if r in rules),
            "当日退款率": f"{main['value']:.1%}",
            "前7日均值": f"{thr['baseline']:.1%}" if thr else "—",
            "检验基线": f"{main['baseline']:.1%}" if "binomial" in rules else "—",
            "支付/退款单": f"{main['paid_sub_orders']:,} / {main['refunded']:,}",
            "p值": p_text(main.get("p_value")),
            "基线": BASELINE_KIND_ZH.get(main["baseline_kind"], main["baseline_kind"]),
            "主要原因": "、".join(f"{r['reason']}（{r['share']:.0%}）" for r in reasons[:2]) or "—",
        })
    return pd.DataFrame(rows)
