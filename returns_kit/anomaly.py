"""Chapter 5 — monitoring: anomaly detection on daily refund rates, the order → refund funnel and
the tables behind the heatmap and the trend-vs-industry chart.

Two rules judge every day of the month, for the whole shop and for each TOP product, on the
cohort basis (支付口径: sub-orders paid that day, ``refunded`` = at least one successful refund):

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

Everything here is a pure function of DataFrames; ``anomaly_metrics`` is the metrics.json entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

__all__ = [
    "threshold_rule", "DetectionSettings", "load_settings", "load_promotion_days",
    "daily_counts", "judge_days", "detect", "anomaly_metrics", "fired_days", "funnel",
    "funnel_exits", "funnel_summary", "heatmap_table", "trend_table", "benchmark_band", "RULES_ZH",
    "months_back_from", "Monitoring", "monitor", "anomaly_table",
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


# --------------------------------------------------------------------------------------------
# Settings (conf/base/alerts.yml → detection)
# --------------------------------------------------------------------------------------------

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
        from .errors import ParameterError

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
    from .config import load_yaml

    return DetectionSettings.from_conf(load_yaml("alerts.yml", conf_dir).get("detection", {}) or {})


# --------------------------------------------------------------------------------------------
# Promotion calendar
# --------------------------------------------------------------------------------------------

def _days_from_calendar(frame: pd.DataFrame) -> set[pd.Timestamp]:
    """Dates of a promotions table: a ``date`` column, or ``start_date``/``end_date`` ranges."""
    cols = {c.strip().lower(): c for c in frame.columns}
    days: set[pd.Timestamp] = set()
    start_col = next((cols[c] for c in ("start_date", "start", "开始日期") if c in cols), None)
    end_col = next((cols[c] for c in ("end_date", "end", "结束日期") if c in cols), None)
    date_col = next((cols[c] for c in ("date", "日期") if c in cols), None)
    if start_col is not None:
        starts = pd.to_datetime(frame[start_col], errors="coerce")
        ends = pd.to_datetime(frame[end_col], errors="coerce") if end_col else starts
        for s, e in zip(starts, ends.fillna(starts)):
            if pd.notna(s):
                days.update(pd.date_range(s.normalize(), e.normalize(), freq="D"))
    elif date_col is not None:
        days.update(pd.to_datetime(frame[date_col], errors="coerce").dropna().dt.normalize())
    return days


def load_promotion_days(conf_dir: str | Path = "conf", month: str | None = None,
                        months_back: int = 13) -> set[pd.Timestamp]:
    """Promotion days (大促) from ``promotions.csv`` (conf/local overrides conf/base): those of
    ``month`` and the ``months_back - 1`` months before it (the baselines look back), or every
    day of the calendar when ``month`` is None.

    The file may be absent (→ empty set).  When ``returns_kit.metrics`` provides
    ``load_promotions``/``promotion_days(calendar, month)`` they are used, so the kit has one
    reading of the calendar; otherwise a ``date`` column or ``start``/``end`` (or
    ``start_date``/``end_date``) ranges are read.  Returns normalised timestamps.
    """
    from . import metrics
    from .config import conf_file

    path = conf_file("promotions.csv", conf_dir)
    if path is None:
        return set()
    if hasattr(metrics, "promotion_days") and hasattr(metrics, "load_promotions") and month:
        calendar = metrics.load_promotions(conf_dir)
        days: set[pd.Timestamp] = set()
        for m in months_back_from(month, months_back):
            found = metrics.promotion_days(calendar, m)
            values = found["date"] if isinstance(found, pd.DataFrame) else found
            days.update(pd.Timestamp(d).normalize() for d in values)
        return days
    days = _days_from_calendar(pd.read_csv(path, encoding="utf-8-sig"))
    if month:
        keep = set(months_back_from(month, months_back))
        days = {d for d in days if d.strftime("%Y-%m") in keep}
    return days


def months_back_from(month: str, n: int) -> list[str]:
    """``month`` and the ``n - 1`` months before it, oldest first."""
    from .metrics import previous_month

    out = [month]
    for _ in range(n - 1):
        out.append(previous_month(out[-1]))
    return out[::-1]


# --------------------------------------------------------------------------------------------
# Daily counts and the two rules
# --------------------------------------------------------------------------------------------

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


def _binom_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    from scipy.stats import binom

    if k <= 0:
        return 1.0
    return float(binom.sf(k - 1, n, p))


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
            p_value = _binom_sf(k, n, p0) if p0 > 0 else (0.0 if k > 0 else 1.0)
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


# --------------------------------------------------------------------------------------------
# Drivers: which products and reasons make a bad day
# --------------------------------------------------------------------------------------------

def _product_names(outcomes: pd.DataFrame) -> dict[str, str]:
    names = outcomes.dropna(subset=["product_id"]).groupby("product_id")["product_name"].agg(
        lambda s: s.mode().iat[0] if s.notna().any() else None)
    return {str(k): v for k, v in names.items()}


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


# --------------------------------------------------------------------------------------------
# Detection over a month
# --------------------------------------------------------------------------------------------

def _clean(value: Any) -> Any:
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
    from .metrics import cohort, month_bounds

    start, end = month_bounds(month)
    days = list(pd.date_range(start, end - pd.Timedelta(days=1), freq="D"))
    promos = {pd.Timestamp(d).normalize() for d in promotion_days}
    names = _product_names(outcomes)
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
                    "value": _clean(r["value"]),
                    "baseline": _clean(r["baseline"] if rule == "threshold" else r["p0"]),
                    "ratio": _clean(r["value"] / (r["baseline"] if rule == "threshold" else r["p0"])),
                    "paid_sub_orders": int(r["paid"]), "refunded": int(r["refunded"]),
                    "expected": _clean(r["expected"]), "p_value": _sig(r["p_value"]),
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


def anomaly_metrics(data, month: str, conf_dir: str | Path = "conf",
                    external_dir: str | Path | None = None) -> dict[str, Any]:
    """metrics.json key ``anomalies``: every fired rule of ``month`` (see :func:`detect`), plain
    JSON types, rates as fractions; plus ``anomaly_settings`` (what the rules were)."""
    from .metrics import sub_order_outcomes
    from .reasons import load_taxonomy

    taxonomy = load_taxonomy(conf_dir)
    settings = load_settings(conf_dir)
    outcomes = sub_order_outcomes(data.orders, data.after_sales, taxonomy)
    promos = load_promotion_days(conf_dir, month)
    _, anomalies = detect(outcomes, data.after_sales, month, promos, settings, taxonomy)
    return {
        "anomalies": anomalies,
        "anomaly_settings": {
            "metric": "refund_rate", "basis": "pay_date",
            "threshold": settings.threshold, "window": settings.window,
            "min_volume": settings.min_volume, "test_window": settings.test_window,
            "alpha": settings.alpha, "min_excess": settings.min_excess,
            "top_products": settings.top_products,
            "promotion_days": sorted(d.strftime("%Y-%m-%d") for d in promos
                                     if d.strftime("%Y-%m") == month),
        },
    }


# --------------------------------------------------------------------------------------------
# Funnel: paid → shipped → received → after-sale applied → refunded
# --------------------------------------------------------------------------------------------

FUNNEL_ZH = {"paid": "支付", "shipped": "已发货", "received": "已签收", "applied": "申请售后",
             "refunded": "退款/退货成功"}
EXIT_ZH = {"before_shipping": "发货前（未发货仅退款）", "in_transit": "发货后、签收前（已发货仅退款/拒收）",
           "after_receipt": "签收后（退货退款/仅退款）"}


def _received(frame: pd.DataFrame, after_sales: pd.DataFrame) -> pd.Series:
    """签收: the order completed (已完成/订单完成时间), or an after-sale reports the outbound parcel
    as signed for (发货物流状态 已签收), or the goods came back (退货退款 needs them received)."""
    done = frame["complete_time"].notna() if "complete_time" in frame else pd.Series(False, index=frame.index)
    if "order_status" in frame:
        done = done | (frame["order_status"] == "completed")
    a = after_sales
    signed = a["outbound_logistics_state"].fillna("").str.contains("签收") if "outbound_logistics_state" in a else False
    signed_ids = set(a.loc[signed, "sub_order_id"]) if not isinstance(signed, bool) else set()
    returned_ids = set(a.loc[a["after_sale_type"] == "return_refund", "sub_order_id"])
    return frame["ship_time"].notna() & (done | frame["sub_order_id"].isin(signed_ids | returned_ids))


def funnel(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """The month's cohort through five stages, one row each:

    * ``paid`` — sub-orders paid in M; ``shipped`` — with a 发货时间;
    * ``received`` — shipped and signed for (see :func:`_received`);
    * ``applied`` — with at least one 售后单 (any type, any stage, any outcome);
    * ``refunded`` — with a successful refund (the cohort refund rate's numerator).

    Columns: ``stage, label, sub_orders, share_of_paid`` (sub_orders / paid) and
    ``step_rate`` (sub_orders / the previous stage).  ``applied`` is not nested in ``received``:
    pre-shipment refunds apply before anything is shipped — see :func:`funnel_exits` for where
    the refunded sub-orders left.
    """
    from .metrics import cohort

    c = cohort(outcomes, month)
    counts = {
        "paid": len(c),
        "shipped": int(c["ship_time"].notna().sum()),
        "received": int(_received(c, after_sales).sum()),
        "applied": int((c["after_sale_count"] > 0).sum()),
        "refunded": int(c["refunded"].sum()),
    }
    rows, prev = [], None
    for stage, n in counts.items():
        rows.append({"stage": stage, "label": FUNNEL_ZH[stage], "sub_orders": n,
                     "share_of_paid": n / counts["paid"] if counts["paid"] else math.nan,
                     "step_rate": (n / prev if prev else math.nan) if prev is not None else 1.0})
        prev = n
    return pd.DataFrame(rows)


def funnel_exits(refunded: pd.DataFrame, after_sales: pd.DataFrame) -> pd.DataFrame:
    """Where refunded sub-orders left the order flow (流失节点), from their first successful
    refund: ``before_shipping`` (未发货仅退款), ``in_transit`` (已发货仅退款 before the parcel was
    signed for) or ``after_receipt`` (退货退款, or 仅退款 after signing).

    ``refunded``: outcome rows (only those with ``refunded`` true are counted).
    Columns: ``stage, label, sub_orders, share``.
    """
    ids = refunded.loc[refunded["refunded"].astype(bool), "sub_order_id"]
    a = after_sales[after_sales["sub_order_id"].isin(ids) & after_sales["is_refund_success"].astype(bool)]
    a = a.sort_values("apply_time").drop_duplicates("sub_order_id")
    signed = (a["outbound_logistics_state"].fillna("").str.contains("签收")
              if "outbound_logistics_state" in a else pd.Series(False, index=a.index))
    stage = np.where(a["after_sale_type"] == "refund_unshipped", "before_shipping",
                     np.where((a["after_sale_type"] == "return_refund") | signed,
                              "after_receipt", "in_transit"))
    counts = pd.Series(stage, dtype=object).value_counts()
    total = int(counts.sum())
    rows = [{"stage": s, "label": EXIT_ZH[s], "sub_orders": int(counts.get(s, 0)),
             "share": (int(counts.get(s, 0)) / total) if total else 0.0} for s in EXIT_ZH]
    return pd.DataFrame(rows)


def funnel_summary(funnel_table: pd.DataFrame, exits: pd.DataFrame) -> str:
    """One Chinese sentence naming the stage where most refunded orders left."""
    paid = int(funnel_table.loc[funnel_table["stage"] == "paid", "sub_orders"].iat[0])
    refunded = int(funnel_table.loc[funnel_table["stage"] == "refunded", "sub_orders"].iat[0])
    if refunded == 0 or exits["sub_orders"].sum() == 0:
        return f"本月 {paid:,} 笔支付子订单中没有退款成功的订单。"
    top = exits.sort_values("sub_orders", ascending=False).iloc[0]
    return (f"本月 {paid:,} 笔支付子订单中 {refunded:,} 笔退款成功（{refunded / paid:.1%}）；"
            f"流失最多的环节是「{top['label']}」：{int(top['sub_orders']):,} 笔，占退款订单的 {top['share']:.0%}。")


# --------------------------------------------------------------------------------------------
# Heatmap: TOP products × provinces
# --------------------------------------------------------------------------------------------

def heatmap_table(outcomes: pd.DataFrame, month: str, n_products: int = 10,
                  n_provinces: int = 10, min_orders: int = 30) -> pd.DataFrame:
    """Refund rate of the month's cohort for the riskiest products × the riskiest provinces.

    Products and provinces: the first ``n_products`` / ``n_provinces`` of
    :func:`metrics.rate_table` (Wilson-ranked, low-volume ones last — as chapter 3 ranks them).  Long format, one
    row per cell: ``product_id, product_name, province, paid_sub_orders, refunded, refund_rate``
    (NaN where no order); the chart greys cells below its ``min_volume``.
    """
    from .metrics import cohort, rate_table

    c = cohort(outcomes, month)
    prods = rate_table(c, "product_id", min_orders=min_orders).head(n_products)
    prods["product_name"] = prods["product_id"].map(_product_names(c))
    provs = rate_table(c, "province", min_orders=min_orders).head(n_provinces)["province"].tolist()
    sub = c[c["product_id"].isin(prods["product_id"]) & c["province"].isin(provs)]
    g = sub.groupby(["product_id", "province"])["refunded"].agg(["size", "sum"])
    idx = pd.MultiIndex.from_product([prods["product_id"].tolist(), provs],
                                     names=["product_id", "province"])
    g = g.reindex(idx, fill_value=0).reset_index().rename(columns={"size": "paid_sub_orders",
                                                                   "sum": "refunded"})
    g["refunded"] = g["refunded"].astype(int)
    g["refund_rate"] = g["refunded"] / g["paid_sub_orders"].replace(0, np.nan)
    g.insert(1, "product_name", g["product_id"].map(dict(zip(prods["product_id"], prods["product_name"]))))
    return g


# --------------------------------------------------------------------------------------------
# Trend against the industry band
# --------------------------------------------------------------------------------------------

def benchmark_band(benchmarks: pd.DataFrame, category: str, metric: str = "refund_rate") -> dict | None:
    """The benchmark row for ``category`` / ``metric`` as ``{category, metric, low, high, value,
    source, as_of}`` (low/high from the value when only a point is given); None if absent."""
    if benchmarks is None or benchmarks.empty:
        return None
    rows = benchmarks[(benchmarks["category"] == category) & (benchmarks["metric"] == metric)]
    if rows.empty:
        return None
    r = rows.iloc[0]

    def num(x):
        try:
            x = float(x)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(x) else x

    low, high, value = num(r["low"]), num(r["high"]), num(r["value"])
    if low is None and high is None and value is None:
        return None
    as_of = r["as_of"] if isinstance(r["as_of"], str) and r["as_of"].strip() else None
    return {"category": category, "metric": metric,
            "low": low if low is not None else value, "high": high if high is not None else value,
            "value": value, "source": str(r["source"]) if pd.notna(r["source"]) else "",
            "as_of": as_of}


def trend_table(outcomes: pd.DataFrame, month: str, catalog: pd.DataFrame | None = None,
                category_prefixes: Iterable[str] = ()) -> pd.DataFrame:
    """Daily refund rate of the month (支付口径) for the shop, and for the products whose catalog
    category starts with one of ``category_prefixes`` (the benchmark's category, e.g. 服饰 ← 女装/
    男装/…), with the week's pooled rate (weeks start on Monday; a partial week at either end of
    the month is pooled over the days it has).

    Columns: ``date, paid, refunded, refund_rate, week_rate`` and, with a category,
    ``cat_paid, cat_refunded, cat_rate, cat_week_rate``.
    """
    from .metrics import cohort, month_bounds

    start, end = month_bounds(month)
    c = cohort(outcomes, month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")

    def daily_of(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
        g = frame.groupby(frame["pay_time"].dt.normalize())["refunded"].agg(["size", "sum"])
        g = g.reindex(days, fill_value=0)
        out = pd.DataFrame({f"{prefix}paid": g["size"].astype(int).to_numpy(),
                            f"{prefix}refunded": g["sum"].astype(int).to_numpy()}, index=days)
        week = days.to_period("W-SUN")
        wk = out.groupby(week).transform("sum")
        rate_name = "refund_rate" if not prefix else f"{prefix}rate"
        out[rate_name] = out[f"{prefix}refunded"] / out[f"{prefix}paid"].replace(0, np.nan)
        out[f"{prefix}week_rate"] = wk[f"{prefix}refunded"] / wk[f"{prefix}paid"].replace(0, np.nan)
        return out

    table = daily_of(c, "")
    prefixes = tuple(p for p in category_prefixes if p)
    if catalog is not None and len(catalog) and prefixes:
        cats = catalog.set_index("product_id")["category"].astype(str)
        in_cat = c["product_id"].map(cats).fillna("").str.startswith(prefixes)
        if in_cat.any():
            table = table.join(daily_of(c[in_cat], "cat_"))
    table.index.name = "date"
    return table.reset_index()


# --------------------------------------------------------------------------------------------
# Everything chapter 5 shows, in one call
# --------------------------------------------------------------------------------------------

@dataclass
class Monitoring:
    """What the chapter 5 notebook displays (see :func:`monitor`)."""

    month: str
    settings: DetectionSettings
    promotion_days: set
    shop: pd.DataFrame          # judge_days of the shop
    anomalies: list
    trend: pd.DataFrame
    band: dict | None
    heatmap: pd.DataFrame
    min_cell_orders: int
    funnel: pd.DataFrame
    exits: pd.DataFrame

    @property
    def shop_rule(self) -> pd.DataFrame:
        """The shop's days as ``value, baseline, fired`` indexed by date (for
        :func:`returns_kit.plots.trend_with_baseline`); fired = either rule."""
        t = self.shop.set_index("date")
        return pd.DataFrame({"value": t["value"], "baseline": t["baseline"],
                             "fired": t["threshold_fired"] | t["binomial_fired"]})

    @property
    def anomaly_dates(self) -> list[str]:
        return sorted({a["date"] for a in self.anomalies})

    @property
    def summary(self) -> str:
        s = self.settings
        days = self.anomaly_dates
        shop_days = sorted({a["date"] for a in self.anomalies if a["scope"] == "shop"})
        prod = sorted({a["product_id"] for a in self.anomalies if a["scope"] == "product"})
        by_rule = {r: sorted({a["date"] for a in self.anomalies if a["rule"] == r}) for r in RULES_ZH}
        promo_in_month = sorted(d for d in self.promotion_days if d.strftime("%Y-%m") == self.month)
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

    @property
    def band_note(self) -> str:
        if not self.band:
            return "基准表（conf/base/benchmarks.csv）中没有该类目的退款率区间，图中不画行业区间。"
        b = self.band
        cat_rate = None
        if "cat_refunded" in self.trend:
            paid = self.trend["cat_paid"].sum()
            cat_rate = self.trend["cat_refunded"].sum() / paid if paid else None
        shop_rate = self.trend["refunded"].sum() / max(self.trend["paid"].sum(), 1)
        text = (f"行业参考：{b['category']}类退款率 {b['low']:.0%}–{b['high']:.0%}，来源：{b['source'] or '未注明'}，"
                f"日期：{b['as_of'] or '未注明'}（平台不公布官方退货率，这只是参考）。本月全店退款率 {shop_rate:.1%}")
        if cat_rate is not None:
            text += f"，其中{b['category']}类商品 {cat_rate:.1%}"
            if cat_rate > b["high"]:
                text += "，高于行业区间上限"
            elif cat_rate < b["low"]:
                text += "，低于行业区间下限"
            else:
                text += "，在行业区间内"
        return text + "。全店包含多个类目，与单一类目的行业区间只能粗略比较。"

    @property
    def heatmap_note(self) -> str:
        h = self.heatmap
        ok = h[h["paid_sub_orders"] >= self.min_cell_orders]
        if ok.empty:
            return f"所有单元格的订单都少于 {self.min_cell_orders} 单，无法比较。"
        worst = ok.sort_values(["refund_rate", "paid_sub_orders"], ascending=[False, False]).iloc[0]
        grey = (h["paid_sub_orders"] < self.min_cell_orders).mean()
        return (f"着色单元格中退款率最高的是「{worst['product_name']}」在{worst['province']}："
                f"{int(worst['paid_sub_orders'])} 单退 {int(worst['refunded'])} 单（{worst['refund_rate']:.1%}）。"
                f"{grey:.0%} 的单元格订单少于 {self.min_cell_orders} 单，显示为灰色。")

    @property
    def funnel_summary(self) -> str:
        return funnel_summary(self.funnel, self.exits)

    def alert_preview(self, conf_dir: str | Path = "conf"):
        """The alert message these anomalies would make (``alerts.yml`` rules, scopes and
        template) as ``(title, table of lines)``; ``(None, empty)`` when nothing would be sent.
        Robot addresses are not read here."""
        from .alerts import format_message, load_alert_config, select

        settings = load_alert_config(conf_dir)
        message = format_message(select(self.anomalies, settings), self.month, settings)
        if message is None:
            return None, pd.DataFrame({"消息内容": []})
        lines = message.lines + ([message.footer] if message.footer else [])
        return message.title, pd.DataFrame({"消息内容": lines})

    def funnel_table(self) -> pd.DataFrame:
        """The funnel for reading: 环节, 子订单数, 占支付, 较上一环节."""
        f = self.funnel
        return pd.DataFrame({
            "环节": f["label"], "子订单数": [f"{int(v):,}" for v in f["sub_orders"]],
            "占支付": [f"{v:.1%}" for v in f["share_of_paid"]],
            "较上一环节": ["—" if i == 0 else f"{v:.1%}" for i, v in enumerate(f["step_rate"])],
        })

    def anomaly_table(self) -> pd.DataFrame:
        """Anomalies for reading (Chinese headers, formatted text; one row per day × scope with
        the rules that fired)."""
        return anomaly_table(self.anomalies)


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
        p = main.get("p_value")
        rows.append({
            "日期": main["date"],
            "范围": "全店" if main["scope"] == "shop" else (main["product_name"] or main["product_id"]),
            "触发规则": "、".join(RULES_ZH[r] for r in ("threshold", "binomial") if r in rules),
            "当日退款率": f"{main['value']:.1%}",
            "前7日均值": f"{thr['baseline']:.1%}" if thr else "—",
            "检验基线": f"{main['baseline']:.1%}" if "binomial" in rules else "—",
            "支付/退款单": f"{main['paid_sub_orders']:,} / {main['refunded']:,}",
            "p值": "—" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}"),
            "基线": BASELINE_KIND_ZH.get(main["baseline_kind"], main["baseline_kind"]),
            "主要原因": "、".join(f"{r['reason']}（{r['share']:.0%}）" for r in reasons[:2]) or "—",
        })
    return pd.DataFrame(rows)


def monitor(data, month: str, conf_dir: str | Path = "conf", external_dir: str | Path | None = None,
            outcomes: pd.DataFrame | None = None, taxonomy=None) -> Monitoring:
    """Everything chapter 5 shows for ``month``: the shop's judged days and all anomalies
    (:func:`detect`, settings from ``alerts.yml``), the trend table with the industry band of
    ``alerts.yml trend.benchmark_category`` from the benchmark table, the product × province
    heatmap cells and the funnel with its exits."""
    from .config import load_benchmarks, load_yaml
    from .io import load_catalog
    from .metrics import cohort, sub_order_outcomes
    from .reasons import load_taxonomy

    taxonomy = taxonomy if taxonomy is not None else load_taxonomy(conf_dir)
    if outcomes is None:
        outcomes = sub_order_outcomes(data.orders, data.after_sales, taxonomy)
    conf = load_yaml("alerts.yml", conf_dir)
    settings = DetectionSettings.from_conf(conf.get("detection", {}) or {})
    promos = load_promotion_days(conf_dir, month)
    shop, anomalies = detect(outcomes, data.after_sales, month, promos, settings, taxonomy)
    trend_conf = conf.get("trend", {}) or {}
    heat_conf = conf.get("heatmap", {}) or {}
    catalog = load_catalog(external_dir) if external_dir is not None else None
    category = str(trend_conf.get("benchmark_category", "服饰"))
    band = benchmark_band(load_benchmarks(conf_dir), category,
                          str(trend_conf.get("benchmark_metric", "refund_rate")))
    trend = trend_table(outcomes, month, catalog, trend_conf.get("catalog_prefixes", []) or [])
    min_cell = int(heat_conf.get("min_cell_orders", 10))
    heat = heatmap_table(outcomes, month, int(heat_conf.get("products", 10)),
                         int(heat_conf.get("provinces", 10)))
    stages = funnel(outcomes, data.after_sales, month)
    exits = funnel_exits(cohort(outcomes, month), data.after_sales)
    return Monitoring(month, settings, promos, shop, anomalies, trend, band, heat, min_cell,
                      stages, exits)
