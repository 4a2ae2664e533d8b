"""Chapter 5's monitor: anomalies on two clocks, with the month's tests kept within an alert
budget.

* **Event clock** (:mod:`returns_kit.event_clock`) — each day's after-sale applications and
  successful refunds against a nowcast from recent sales and the shop's own delay distribution.
  This catches a surge on the day it happens.
* **Cohort clock** (:mod:`returns_kit.cohort_clock`) — each pay-day's orders refunded within
  ``age_days`` of payment, judged only once the day is that old, against a mix-standardised
  baseline.  Maturity can never raise an alert.

Both compare with :class:`returns_kit.dispersion.Comparison`: binomial (or Poisson) noise, the
shop's own day-to-day wobble estimated from the baseline days, and the baseline's own error.
**Multiplicity**: each family of tests (shop × cohort clock, shop × event clock, products) has
an *alert budget* — the expected number of false alerts per month when nothing happens — in
``alerts.yml``; the per-test level is budget / tests.  A day fires only when it is also large
enough to matter (``min_lift``, ``min_excess``).  **Episodes**: the first day that fires starts
an alert; the following days stay "ongoing" (shown daily, not pushed again, kept out of later
baselines) until the series comes back below ``continue_z``.  **Products** (the month's
``top_n`` by paid sub-orders) are judged on the cohort clock week by week (ISO weeks), and day
by day only when their volume supports it (``daily_min_orders``).

The article's rule (单日退货率超均值20%) is applied too, on the same equal-age series, labelled
as the article's rule, with its expected false alerts for this shop's volume and wobble beside
it; it is not pushed unless ``article_rule.push`` is set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .cohort_clock import (CohortClockSettings, CohortDay, at_age, cohort_counts, expected_days,
                           refund_success_times, segment_counts)
from .config import load_yaml
from .core.periods import month_bounds, month_days
from .dispersion import Comparison, expected_false_alarms, family_alpha
from .display import p_text, pct
from .errors import ParameterError
from .event_clock import EVENTS, EventClockSettings, event_lags, expected_events
from .funnel import funnel_exits
from .metrics.products import product_names
from .core.frames import isin

__all__ = [
    "RULES_ZH", "CLOCKS_ZH", "STATUS_ZH", "BASELINE_KIND_ZH", "DetectionSettings", "load_settings",
    "Detection", "MonitorInputs", "monitor_inputs", "judge", "detect",
    "threshold_rule", "anomaly_settings", "anomaly_table", "status_table",
    "monitoring_summary",
]

#: rule id → Chinese name shown in the report and in alerts
RULES_ZH = {"cohort": "同龄比较（支付口径）", "event": "当日事件（申请/退款）", "threshold": "文章规则：超均值20%"}
CLOCKS_ZH = {"cohort": "支付口径·同龄", "event": "事件时钟"}
STATUS_ZH = {"alert": "预警", "ongoing": "持续偏高", "normal": "正常", "not_judged": "数据不足",
             "immature": "未满龄，暂不判断"}
BASELINE_KIND_ZH = {"normal": "日常基线", "promotion": "往期大促基线", "promotion_prior": "无往期大促，放宽判断",
                    "history": "历史不足", "nowcast": "近期销量×退款时滞"}
METRICS_ZH = {"refund_rate_at_age": "同龄退款率", "applications": "售后申请", "refunds": "退款成功"}


# --------------------------------------------------------------------------------------------
# Settings (conf/base/alerts.yml → detection)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DetectionSettings:
    """Everything the monitor decides with (``alerts.yml`` → ``detection``)."""

    cohort: CohortClockSettings = field(default_factory=CohortClockSettings)
    event: EventClockSettings = field(default_factory=EventClockSettings)
    events: tuple[str, ...] = ("applications", "refunds")
    budget_shop_cohort: float = 0.5   # expected false alerts per month, shop × cohort clock
    budget_shop_event: float = 0.5    # … shop × event clock (all events)
    budget_products: float = 2.0      # … all products together
    max_alpha: float = 0.05           # and no single test at a level above this
    min_lift: float = 0.15            # and at least +15% over expected
    min_excess: float = 3.0           # and at least 3 more
    continue_z: float = 1.0           # an alert's episode lasts while z stays above this
    exclude_z: float = 3.5            # days this far out leave later baselines
    top_products: int = 20
    daily_min_orders: int = 300       # products with fewer paid per day are judged weekly
    threshold: float = 0.20           # the article's rule: +20% over the mean of …
    window: int = 7                   # … the previous 7 comparable days
    article_push: bool = False        # push the article's rule's alerts too

    @classmethod
    def from_conf(cls, conf: dict[str, Any]) -> "DetectionSettings":
        d = cls()
        b = conf.get("budget", {}) or {}
        c = conf.get("cohort_clock", {}) or {}
        e = conf.get("event_clock", {}) or {}
        p = conf.get("products", {}) or {}
        a = conf.get("article_rule", {}) or {}
        try:
            out = cls(
                cohort=replace(d.cohort, **{k: v for k, v in c.items()}),
                event=replace(d.event, **{k: v for k, v in e.items()}),
                events=tuple(conf.get("events", d.events)),
                budget_shop_cohort=float(b.get("shop_cohort", d.budget_shop_cohort)),
                budget_shop_event=float(b.get("shop_event", d.budget_shop_event)),
                budget_products=float(b.get("products", d.budget_products)),
                max_alpha=float(b.get("max_alpha", d.max_alpha)),
                min_lift=float(conf.get("min_lift", d.min_lift)),
                min_excess=float(conf.get("min_excess", d.min_excess)),
                continue_z=float(conf.get("continue_z", d.continue_z)),
                exclude_z=float(conf.get("exclude_z", d.exclude_z)),
                top_products=int(p.get("top_n", d.top_products)),
                daily_min_orders=int(p.get("daily_min_orders", d.daily_min_orders)),
                threshold=float(a.get("threshold", d.threshold)),
                window=int(a.get("window", d.window)),
                article_push=bool(a.get("push", d.article_push)),
            )
        except TypeError as exc:  # an unknown key inside cohort_clock / event_clock
            raise ParameterError(f"conf alerts.yml detection: {exc}") from None
        out.validate()
        return out

    def validate(self) -> None:
        checks = [
            (self.cohort.age_days >= 1, "cohort_clock.age_days must be ≥ 1"),
            (self.cohort.baseline_days >= self.cohort.min_baseline_days >= 3,
             "cohort_clock: baseline_days ≥ min_baseline_days ≥ 3"),
            (self.event.baseline_days >= self.event.min_baseline_days >= 3,
             "event_clock: baseline_days ≥ min_baseline_days ≥ 3"),
            (all(e in EVENTS for e in self.events), f"events must be among {', '.join(EVENTS)}"),
            (min(self.budget_shop_cohort, self.budget_shop_event, self.budget_products) > 0,
             "budget: every alert budget must be > 0 (expected false alerts per month)"),
            (0 < self.max_alpha < 1, "budget.max_alpha must be between 0 and 1"),
            (self.threshold >= 0 and self.window >= 1, "article_rule: threshold ≥ 0, window ≥ 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ParameterError(f"conf alerts.yml detection: {message}")


def load_settings(conf_dir: str | Path = "conf") -> DetectionSettings:
    """Detection settings from ``alerts.yml`` (base, overlaid by local); defaults when absent."""
    return DetectionSettings.from_conf(load_yaml("alerts.yml", conf_dir).get("detection", {}) or {})


# --------------------------------------------------------------------------------------------
# Episodes
# --------------------------------------------------------------------------------------------

class _Episodes:
    """Turns a series of comparisons into statuses: the first significant day is an ``alert``,
    the days after it stay ``ongoing`` while z ≥ ``continue_z``, then ``normal`` again."""

    def __init__(self, alpha: float, s: DetectionSettings):
        self.alpha, self.s = alpha, s
        self.active = False
        self.status: dict[pd.Timestamp, str] = {}

    def __call__(self, day: Any) -> bool:
        """Record the day's status; return whether it leaves later baselines: only days far out on
        their own (z ≥ ``exclude_z``) — leaving out every day that merely fires would bias the
        baseline low and the next month's days high."""
        c: Comparison = day.comparison
        fires = c.fires(self.alpha, self.s.min_lift, self.s.min_excess)
        leaves = fires and c.z >= self.s.exclude_z
        if self.active and c.z >= self.s.continue_z:
            self.status[day.date] = "ongoing"
            return leaves
        self.active = fires
        self.status[day.date] = "alert" if fires else "normal"
        return leaves


# --------------------------------------------------------------------------------------------
# The article's rule on a plain series (kept for analysts' own series)
# --------------------------------------------------------------------------------------------

def threshold_rule(series: pd.Series, window: int = 7, threshold: float = 0.20,
                   min_periods: int = 3) -> pd.DataFrame:
    """The article's rule on a plain series: a day whose value is more than ``threshold`` (20%)
    above the mean of the previous ``window`` days is an anomaly.

    Returns one row per day: ``value``, ``baseline`` (trailing mean of the *previous* days, the
    day itself excluded), ``ratio`` = value / baseline and ``fired``.  Days with fewer than
    ``min_periods`` previous values, or a missing value, never fire.
    """
    baseline = series.shift(1).rolling(window, min_periods=min_periods).mean()
    ratio = series / baseline
    fired = (ratio > 1 + threshold) & series.notna() & baseline.notna()
    return pd.DataFrame({"value": series, "baseline": baseline, "ratio": ratio, "fired": fired})


# --------------------------------------------------------------------------------------------
# Detection over a month
# --------------------------------------------------------------------------------------------

@dataclass
class Detection:
    """What the monitor found for one month (see :func:`detect`)."""

    month: str
    as_of: pd.Timestamp
    settings: DetectionSettings
    cohort_days: pd.DataFrame      #: the shop's pay-days of the month on the cohort clock
    event_days: pd.DataFrame       #: the shop's days of the month on the event clock, per event
    product_periods: pd.DataFrame  #: the TOP products' weeks (or days) on the cohort clock
    article: pd.DataFrame          #: the article's 20% rule on the shop's equal-age series
    article_false_alarms: float    #: its expected false alerts this month (this shop's volume)
    anomalies: list[dict[str, Any]]
    tests: dict[str, int]          #: family → tests this month
    alphas: dict[str, float]       #: family → per-test level

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """Anomalies that start an episode (one per shift, not one per day)."""
        return [a for a in self.anomalies if a["status"] == "alert"]

    @property
    def pushed(self) -> list[dict[str, Any]]:
        return [a for a in self.anomalies if a["pushed"]]


def _in_month(day: pd.Timestamp, month: str) -> bool:
    start, end = month_bounds(month)
    return start <= day < end


def _count_tests(items: Iterable[Any], month: str) -> int:
    return sum(1 for x in items if x.comparison is not None and _in_month(x.date, month))


def _round(value: Any, digits: int = 6) -> Any:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    return round(float(value), digits)


def _sig(value: float | None, digits: int = 3) -> float | None:
    """A p-value with ``digits`` significant digits (tiny values are kept, not rounded to 0)."""
    if value is None or value != value:
        return None
    return float(f"{float(value):.{digits}g}")


def _record(*, date, clock, metric, scope, product_id, name, rule, value, baseline, c: Comparison,
            paid, status, pushed, alpha, kind, promotion, period=None, days=None) -> dict[str, Any]:
    record = {
        "date": date.strftime("%Y-%m-%d"), "period": period, "clock": clock, "metric": metric,
        "scope": scope, "product_id": product_id, "product_name": name, "rule": rule,
        "rule_zh": RULES_ZH[rule], "value": _round(value), "baseline": _round(baseline),
        "ratio": _round(c.ratio, 4), "observed": int(c.observed), "expected": _round(c.expected, 2),
        "paid_sub_orders": None if paid is None else int(paid), "z": _round(c.z, 3),
        "p_value": _sig(c.p_value), "alpha": _sig(alpha), "baseline_kind": kind,
        "promotion": bool(promotion), "status": status, "pushed": bool(pushed), "drivers": {},
    }
    if days is not None:
        record["days"] = days  # a product week's days, for its drivers (dropped by detect)
    return record


@dataclass
class MonitorInputs:
    """The counts the monitor judges, built from the month's tables by :func:`monitor_inputs`
    (or simulated directly, as the decision benchmarks do).

    ``cohort``: :func:`returns_kit.cohort_clock.cohort_counts` (mature pay-days, per product and
    channel); ``events``: event → ``(paid per pay-day, events per pay-day × event-day)``
    (:func:`returns_kit.event_clock.event_lags`); ``top``: the products judged one by one;
    ``product_paid``: each top product's paid sub-orders in the month; ``paid_by_day``: the
    shop's paid sub-orders per pay-day of the month (for the days not yet judged); ``first_day``:
    the first pay-day of the data.
    """

    cohort: pd.DataFrame
    events: dict[str, tuple[pd.Series, pd.DataFrame]]
    top: list[str]
    product_paid: dict[str, int]
    paid_by_day: pd.Series
    first_day: pd.Timestamp | None


def monitor_inputs(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str, as_of: pd.Timestamp,
                   settings: DetectionSettings = DetectionSettings()) -> MonitorInputs:
    """The monitor's counts for ``month`` from :func:`returns_kit.metrics.sub_order_outcomes`
    and the after-sales (orders paid after the month are left out)."""
    s = settings
    start, end = month_bounds(month)
    data = outcomes[outcomes["pay_time"].notna() & (outcomes["pay_time"] < end)]
    refund_times = refund_success_times(after_sales)
    month_paid = data[data["pay_time"] >= start]
    top_counts = month_paid["product_id"].value_counts().head(s.top_products)
    return MonitorInputs(
        cohort=cohort_counts(at_age(data, after_sales, s.cohort.age_days), as_of, s.cohort.age_days),
        events={e: event_lags(data, after_sales, e, refund_times) for e in s.events},
        top=[str(p) for p in top_counts.index],
        product_paid={str(p): int(n) for p, n in top_counts.items()},
        paid_by_day=month_paid["pay_time"].dt.normalize().value_counts().sort_index(),
        first_day=data["pay_time"].min().normalize() if len(data) else None,
    )


def judge(inputs: MonitorInputs, month: str, as_of: pd.Timestamp, promotion_days: Iterable[pd.Timestamp] = (),
          settings: DetectionSettings = DetectionSettings(), names: dict[str, str | None] | None = None
          ) -> Detection:
    """Judge ``month`` on both clocks for the shop, and the top products on the cohort clock,
    from ``inputs``.  ``as_of`` is when the data was exported: a pay-day is judged once
    ``age_days`` old by then, the event clock judges the complete days before it.  The
    anomalies have no ``drivers`` yet (:func:`detect` adds them from the tables)."""
    s = settings
    names = names or {}
    promos = {pd.Timestamp(d).normalize() for d in promotion_days}
    start, end = month_bounds(month)
    last_complete = min(end, pd.Timestamp(as_of).normalize()) - pd.Timedelta(days=1)

    # shop × cohort clock
    counts = segment_counts(inputs.cohort, inputs.top)
    tests = {"shop_cohort": _count_tests(expected_days(counts, promos, s.cohort), month)}
    alphas = {"shop_cohort": family_alpha(s.budget_shop_cohort, tests["shop_cohort"], s.max_alpha)}
    cohort_ep = _Episodes(alphas["shop_cohort"], s)
    cohort_list = expected_days(counts, promos, s.cohort, decide=cohort_ep)

    # shop × event clock
    first = min(inputs.first_day, start) if inputs.first_day is not None else start
    days = list(pd.date_range(first, last_complete, freq="D"))
    tests["shop_event"] = sum(_count_tests(expected_events(*inputs.events[e], days, s.event,
                                                           promotion_days=promos), month)
                              for e in s.events)
    alphas["shop_event"] = family_alpha(s.budget_shop_event, tests["shop_event"], s.max_alpha)
    event_eps = {e: _Episodes(alphas["shop_event"], s) for e in s.events}
    event_lists = {e: expected_events(*inputs.events[e], days, s.event, decide=event_eps[e], promotion_days=promos)
                   for e in s.events}

    # products × cohort clock: weekly, or daily when the volume supports it
    n_days = len(month_days(month))
    periods = {}
    for pid in inputs.top:
        is_daily = inputs.product_paid.get(pid, 0) / n_days >= s.daily_min_orders
        pc = segment_counts(inputs.cohort[inputs.cohort["product_id"] == pid], [pid])
        daily = expected_days(pc, promos, s.cohort, min_day_orders=None if is_daily else 1)
        periods[pid] = _periods(daily, is_daily, s.cohort.min_day_orders)
    tests["products"] = sum(_count_tests(p, month) for p in periods.values())
    alphas["products"] = family_alpha(s.budget_products, tests["products"], s.max_alpha)

    anomalies: list[dict[str, Any]] = []
    push_rules = {"cohort", "event"} | ({"threshold"} if s.article_push else set())

    cohort_rows = []
    for d in cohort_list:
        if not _in_month(d.date, month):
            continue
        status = cohort_ep.status.get(d.date, "not_judged" if d.comparison is None else "normal")
        cohort_rows.append(_cohort_row(d, status))
        if status == "alert":
            anomalies.append(_record(
                date=d.date, clock="cohort", metric="refund_rate_at_age", scope="shop", product_id=None,
                name=None, rule="cohort", value=d.rate, baseline=d.expected_rate, c=d.comparison, paid=d.paid,
                status=status, pushed="cohort" in push_rules, alpha=alphas["shop_cohort"],
                kind=d.baseline_kind, promotion=d.promotion))
    judged_days = {r["date"] for r in cohort_rows}
    for day in month_days(month):
        if day > last_complete:
            break
        if day not in judged_days and day + pd.Timedelta(days=s.cohort.age_days + 1) > as_of:
            cohort_rows.append({"date": day, "paid": int(inputs.paid_by_day.get(day, 0)), "refunded_at_age": None,
                                "rate": math.nan, "expected_rate": math.nan, "expected": math.nan,
                                "z": math.nan, "p_value": math.nan, "baseline_kind": "immature",
                                "promotion": day in promos, "status": "immature"})

    event_rows = []
    for e in s.events:
        for d in event_lists[e]:
            if not _in_month(d.date, month):
                continue
            status = event_eps[e].status.get(d.date, "not_judged" if d.comparison is None else "normal")
            c = d.comparison
            event_rows.append({"date": d.date, "event": e, "observed": d.events, "expected": d.expected,
                               "z": c.z if c else math.nan, "p_value": c.p_value if c else math.nan,
                               "status": status})
            if status == "alert":
                anomalies.append(_record(
                    date=d.date, clock="event", metric=e, scope="shop", product_id=None, name=None,
                    rule="event", value=d.events, baseline=d.expected, c=c, paid=None, status=status,
                    pushed="event" in push_rules, alpha=alphas["shop_event"], kind="nowcast",
                    promotion=d.date in promos))

    product_rows = []
    for pid, units in periods.items():
        ep = _Episodes(alphas["products"], s)
        for u in units:
            ep(u)
            if not _in_month(u.date, month):
                continue
            status = ep.status[u.date]
            product_rows.append({"product_id": pid, "product_name": names.get(pid), "period": u.period,
                                 "date": u.date, "paid": u.paid, "refunded_at_age": u.refunded,
                                 "rate": u.rate, "expected_rate": u.expected_rate, "z": u.comparison.z,
                                 "p_value": u.comparison.p_value, "status": status})
            if status == "alert":
                anomalies.append(_record(
                    date=u.date, clock="cohort", metric="refund_rate_at_age", scope="product", product_id=pid,
                    name=names.get(pid), rule="cohort", value=u.rate, baseline=u.expected_rate,
                    c=u.comparison, paid=u.paid, status=status, pushed="cohort" in push_rules,
                    alpha=alphas["products"], kind=u.baseline_kind, promotion=u.promotion, period=u.period,
                    days=u.days))

    article, false_alarms = _article_rule(cohort_list, month, promos, s)
    by_date = {d.date: d for d in cohort_list}
    for r in article[article["fired"]].itertuples():
        d = by_date[r.date]
        anomalies.append(_record(
            date=r.date, clock="cohort", metric="refund_rate_at_age", scope="shop", product_id=None, name=None,
            rule="threshold", value=r.rate, baseline=r.baseline,
            c=Comparison(d.refunded, r.baseline * d.paid, r.baseline, 0.0, 0.0, 1), paid=r.paid, status="alert",
            pushed="threshold" in push_rules, alpha=None, kind="normal", promotion=r.date in promos))

    order = {"shop": 0, "product": 1}
    anomalies.sort(key=lambda a: (a["date"], order[a["scope"]], a["product_id"] or "", a["clock"], a["rule"]))
    cohort_frame = (pd.DataFrame(cohort_rows).sort_values("date").reset_index(drop=True) if cohort_rows
                    else pd.DataFrame(columns=["date", "status"]))
    return Detection(month, pd.Timestamp(as_of), s, cohort_frame,
                     pd.DataFrame(event_rows, columns=["date", "event", "observed", "expected", "z", "p_value",
                                                       "status"]),
                     pd.DataFrame(product_rows), article, false_alarms, anomalies, tests, alphas)


def detect(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str, as_of: pd.Timestamp,
           promotion_days: Iterable[pd.Timestamp] = (), settings: DetectionSettings = DetectionSettings(),
           taxonomy=None) -> Detection:
    """:func:`judge` on the month's tables (:func:`monitor_inputs`), with each alert's drivers:
    the products behind it, the reasons, and (cohort clock) where the refunded orders left."""
    s = settings
    _, end = month_bounds(month)
    data = outcomes[outcomes["pay_time"].notna() & (outcomes["pay_time"] < end)]
    names = product_names(data)
    detection = judge(monitor_inputs(outcomes, after_sales, month, as_of, s), month, as_of, promotion_days, s,
                      names)
    if detection.alerts:
        aged = at_age(data, after_sales, s.cohort.age_days)
        refund_times = refund_success_times(after_sales)
        for a in detection.alerts:
            day = pd.Timestamp(a["date"])
            if a["rule"] == "threshold":
                continue
            if a["clock"] == "event":
                a["drivers"] = _event_drivers(data, after_sales, taxonomy, day, a["metric"], names, refund_times)
            elif a["scope"] == "shop":
                a["drivers"] = _cohort_drivers(aged, after_sales, taxonomy, day, names, s)
            else:
                a["drivers"] = {"reasons": _reasons_of(aged, after_sales, taxonomy, a.pop("days"), a["product_id"])}
    for a in detection.anomalies:
        a.pop("days", None)
    return detection


def _cohort_row(d: CohortDay, status: str) -> dict[str, Any]:
    c = d.comparison
    return {"date": d.date, "paid": d.paid, "refunded_at_age": d.refunded, "rate": d.rate,
            "expected_rate": d.expected_rate, "expected": c.expected if c else math.nan,
            "z": c.z if c else math.nan, "p_value": c.p_value if c else math.nan,
            "baseline_kind": d.baseline_kind, "promotion": d.promotion, "status": status}


@dataclass
class _Period:
    """A product's judged unit: a day, or an ISO week of days pooled."""

    date: pd.Timestamp          # first day of the period
    period: str | None          # "MM-DD~MM-DD" for a week
    days: list[pd.Timestamp]
    paid: int
    refunded: int
    promotion: bool
    baseline_kind: str
    comparison: Comparison | None

    @property
    def rate(self) -> float:
        return self.refunded / self.paid if self.paid else math.nan

    @property
    def expected_rate(self) -> float:
        return self.comparison.expected / self.paid if self.comparison is not None and self.paid else math.nan


def _periods(days: list[CohortDay], daily: bool, min_orders: int) -> list[_Period]:
    """A product's judged units: its judged days, or its ISO weeks pooling the judged days —
    cut at month ends, so that every week belongs to one month (10-01 on a Thursday starts the
    week 10-01~10-04) — counts and expectations added up, the spread added up day by day
    (wobble independent between days), the level's error of the week's last baseline; a week
    with fewer than ``min_orders`` paid sub-orders is not judged."""
    judged = [d for d in days if d.comparison is not None]
    if daily:
        return [_Period(d.date, None, [d.date], d.paid, d.refunded, d.promotion, d.baseline_kind, d.comparison)
                for d in judged]
    weeks: dict[pd.Timestamp, list[CohortDay]] = {}
    for d in judged:
        monday = d.date - pd.Timedelta(days=d.date.day_of_week)
        weeks.setdefault(max(monday, d.date.replace(day=1)), []).append(d)
    out = []
    for start, group in sorted(weeks.items()):
        if sum(g.paid for g in group) < min_orders:
            continue
        e = np.array([g.comparison.expected for g in group])
        p = np.array([g.comparison.rate for g in group])
        k = group[-1].comparison.kappa
        expected = float(e.sum())
        # fold the day-by-day spread into an equivalent κ for the week's total
        kappa = (k * float(np.sum(e * e))) / expected**2 if expected else 0.0
        rate = float(np.average(p, weights=e)) if expected else 0.0
        c = Comparison(sum(g.refunded for g in group), expected, rate, kappa, group[-1].comparison.level_rel_var,
                       group[-1].comparison.df)
        label = f"{group[0].date:%m-%d}~{group[-1].date:%m-%d}"
        out.append(_Period(group[0].date, label, [g.date for g in group], sum(g.paid for g in group),
                           sum(g.refunded for g in group), any(g.promotion for g in group),
                           group[-1].baseline_kind, c))
    return out


def _article_rule(days: list[CohortDay], month: str, promos: set, s: DetectionSettings
                  ) -> tuple[pd.DataFrame, float]:
    """The article's rule on the shop's equal-age series: a judged day whose rate exceeds the
    pooled rate of the previous ``window`` comparable days by more than ``threshold``; and its
    expected false alerts over the month's judged days under this shop's variance model (its
    7-day baseline's own error included)."""
    rows, expected, sds = [], [], []
    history = [d for d in days if d.paid > 0]
    for i, d in enumerate(history):
        if not _in_month(d.date, month) or d.comparison is None:
            continue
        kind_promo = d.date in promos
        prev = [x for x in history[:i] if (x.date in promos) == kind_promo][-s.window:]
        bn, bk = sum(x.paid for x in prev), sum(x.refunded for x in prev)
        if len(prev) < min(3, s.window) or bn < s.cohort.min_day_orders:
            continue
        baseline = bk / bn
        rows.append({"date": d.date, "paid": d.paid, "refunded": d.refunded, "rate": d.rate,
                     "baseline": baseline, "ratio": d.rate / baseline if baseline else math.nan,
                     "fired": bool(baseline > 0 and d.rate > baseline * (1 + s.threshold))})
        c = d.comparison
        window_level = (1 - c.rate) / max(c.expected * len(prev), 1e-9) + c.kappa / len(prev)
        expected.append(c.expected)
        sds.append(math.sqrt(c.expected * (1 - c.rate) + (c.kappa + window_level) * c.expected ** 2))
    frame = pd.DataFrame(rows, columns=["date", "paid", "refunded", "rate", "baseline", "ratio", "fired"])
    return frame, expected_false_alarms(expected, sds, s.threshold, df=s.window - 1)


# --------------------------------------------------------------------------------------------
# Drivers: which products and reasons make an alert
# --------------------------------------------------------------------------------------------

def _reasons_of(aged: pd.DataFrame, after_sales: pd.DataFrame, taxonomy, days: list[pd.Timestamp],
                product_id: str | None = None, top: int = 3) -> list[dict]:
    """Top reasons of the refunds-at-age of sub-orders paid on ``days`` (one per sub-order)."""
    paid = aged[aged["pay_time"].dt.normalize().isin(days) & aged["refunded_at_age"]]
    if product_id is not None:
        paid = paid[paid["product_id"] == product_id]
    a = after_sales[isin(after_sales["sub_order_id"], paid["sub_order_id"])
                    & after_sales["is_refund_success"].astype(bool)]
    return _reason_counts(a.sort_values("apply_time").drop_duplicates("sub_order_id"), taxonomy, top)


def _reason_counts(a: pd.DataFrame, taxonomy, top: int = 3) -> list[dict]:
    if a.empty:
        return []
    reason = a["reason"].fillna("（空）")
    category = taxonomy.categorize(a["reason"]) if taxonomy is not None else pd.Series("", index=a.index)
    table = pd.DataFrame({"reason": reason.to_numpy(), "category": category.to_numpy()})
    counts = table.value_counts().rename("count").reset_index()
    counts["share"] = counts["count"] / len(table)
    return [{"reason": str(r.reason), "category": str(r.category), "count": int(r.count),
             "share": round(float(r.share), 4)} for r in counts.head(top).itertuples(index=False)]


def _cohort_drivers(aged, after_sales, taxonomy, day: pd.Timestamp, names, s: DetectionSettings) -> dict:
    """Products with the most refunds-at-age above their own recent rate on the day, the top
    reasons, and the stage where the refunded orders left."""
    today = aged[aged["pay_time"].dt.normalize() == day]
    base = aged[(aged["pay_time"] < day) & (aged["pay_time"] >= day - pd.Timedelta(days=s.cohort.baseline_days))]
    g = today.groupby("product_id")["refunded_at_age"].agg(["size", "sum"])
    bg = base.groupby("product_id")["refunded_at_age"].agg(["size", "sum"])
    shop = base["refunded_at_age"].mean() if len(base) else 0.0
    rate = (bg["sum"] / bg["size"]).where(bg["size"] >= 30).reindex(g.index).fillna(shop)
    excess = (g["sum"] - g["size"] * rate).sort_values(ascending=False)
    products = [{"product_id": str(pid), "product_name": names.get(str(pid)), "paid_sub_orders": int(g.at[pid, "size"]),
                 "refunded": int(g.at[pid, "sum"]), "excess_refunds": round(float(x), 1)}
                for pid, x in excess.head(3).items() if x > 0]
    drivers: dict[str, Any] = {"products": products, "reasons": _reasons_of(aged, after_sales, taxonomy, [day])}
    exits = funnel_exits(today[today["refunded_at_age"]].assign(refunded=True), after_sales)
    if exits["sub_orders"].sum():
        t = exits.sort_values("sub_orders", ascending=False).iloc[0]
        drivers["stage"] = {"stage": str(t["stage"]), "label": str(t["label"]), "share": round(float(t["share"]), 4)}
    return drivers


def _event_drivers(data, after_sales, taxonomy, day: pd.Timestamp, event: str, names, refund_times) -> dict:
    """Products with the most events on the day above their daily mean of the previous 28 days,
    and the reasons of the day's events."""
    if event == "applications":
        a = after_sales[isin(after_sales["sub_order_id"], data["sub_order_id"])]
        when = a["apply_time"].dt.normalize()
    else:
        ok = refund_times[isin(refund_times.index, data["sub_order_id"])]
        a = after_sales[isin(after_sales["sub_order_id"], ok.index) & after_sales["is_refund_success"].astype(bool)]
        a = a.sort_values("apply_time").drop_duplicates("sub_order_id")
        when = a["sub_order_id"].map(ok).dt.normalize()
    product = a["sub_order_id"].map(data.set_index("sub_order_id")["product_id"])
    today = product[when == day].value_counts()
    before = product[(when < day) & (when >= day - pd.Timedelta(days=28))].value_counts() / 28
    excess = (today - before.reindex(today.index).fillna(0)).sort_values(ascending=False)
    products = [{"product_id": str(pid), "product_name": names.get(str(pid)), "events": int(today[pid]),
                 "usual_per_day": round(float(before.get(pid, 0.0)), 1)}
                for pid, x in excess.head(3).items() if x > 0]
    return {"products": products, "reasons": _reason_counts(a[when == day], taxonomy)}


# --------------------------------------------------------------------------------------------
# For the report
# --------------------------------------------------------------------------------------------

def anomaly_settings(detection: Detection, promotion_days: Iterable[pd.Timestamp]) -> dict[str, Any]:
    """What the rules were, for ``metrics.json`` (``anomaly_settings``)."""
    s, month = detection.settings, detection.month
    return {
        "clocks": ["event", "cohort"], "events": list(s.events), "age_days": s.cohort.age_days,
        "baseline_days": s.cohort.baseline_days, "min_lift": s.min_lift, "min_excess": s.min_excess,
        "budget": {"shop_cohort": s.budget_shop_cohort, "shop_event": s.budget_shop_event,
                   "products": s.budget_products, "max_alpha": s.max_alpha},
        "tests": detection.tests, "alpha": {k: _sig(v) for k, v in detection.alphas.items()},
        "top_products": s.top_products,
        "article_rule": {"threshold": s.threshold, "window": s.window, "pushed": s.article_push,
                         "expected_false_alerts": round(detection.article_false_alarms, 2)},
        "promotion_days": sorted(d.strftime("%Y-%m-%d") for d in promotion_days if d.strftime("%Y-%m") == month),
    }


def _what(a: dict) -> str:
    if a["clock"] == "event":
        return f"{METRICS_ZH[a['metric']]} {a['observed']:,}（预期 {a['expected']:,.0f}）"
    return f"同龄退款率 {pct(a['value'])}（预期 {pct(a['baseline'])}，{a['paid_sub_orders']:,} 单）"


def anomaly_table(anomalies: list[dict]) -> pd.DataFrame:
    """The month's alerts for reading: 日期, 范围, 时钟, 情况, 倍数, p值, 检验水平, 基线, 推送, 主要原因/商品."""
    rows = []
    for a in anomalies:
        drivers = a.get("drivers") or {}
        reasons = drivers.get("reasons") or []
        prods = drivers.get("products") or []
        who = "全店" if a["scope"] == "shop" else (a["product_name"] or a["product_id"])
        rows.append({
            "日期": a["date"] if not a.get("period") else a["period"],
            "范围": who, "规则": a["rule_zh"], "情况": _what(a),
            "倍数": "—" if a["ratio"] is None else f"{a['ratio']:.2f}",
            "p值": p_text(a["p_value"]) if a["rule"] != "threshold" else "—",
            "基线": BASELINE_KIND_ZH.get(a["baseline_kind"], a["baseline_kind"]),
            "推送": "是" if a["pushed"] else "否（仅展示）",
            "主要原因/商品": "、".join([f"{r['reason']}（{r['share']:.0%}）" for r in reasons[:2]]
                                 + [p["product_name"] or p["product_id"] for p in prods[:2]]) or "—",
        })
    return pd.DataFrame(rows)


def status_table(detection: Detection) -> pd.DataFrame:
    """The shop's days of the month on both clocks, one row per day, for reading."""
    frames = []
    c = detection.cohort_days
    if len(c):
        frames.append(pd.DataFrame({"date": c["date"], "同龄退款率": [pct(x) for x in c["rate"]],
                                    "同龄预期": [pct(x) for x in c["expected_rate"]],
                                    "支付口径": [STATUS_ZH[x] for x in c["status"]]}).set_index("date"))
    e = detection.event_days
    for event in detection.settings.events:
        part = e[e["event"] == event]
        if len(part):
            frames.append(pd.DataFrame({
                f"{EVENTS[event]}": [f"{int(o):,}" for o in part["observed"]],
                f"{EVENTS[event]}预期": ["—" if x != x else f"{x:,.0f}" for x in part["expected"]],
                f"{EVENTS[event]}状态": [STATUS_ZH[x] for x in part["status"]]}, index=part["date"]))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, axis=1).sort_index()
    table.index = [d.strftime("%m-%d") for d in table.index]
    table.index.name = "日期"
    return table.fillna("—").reset_index()


def monitoring_summary(detection: Detection, promotion_days: Iterable[pd.Timestamp]) -> str:
    """The paragraph above chapter 5's alert table: the two clocks, the budget, what fired."""
    s, month = detection.settings, detection.month
    alerts = detection.alerts
    own = [a for a in alerts if a["rule"] != "threshold"]
    promo = sorted(d for d in promotion_days if d.strftime("%Y-%m") == month)
    text = (f"两个时钟：事件时钟逐日比较售后申请和退款成功的数量与“近期销量 × 本店退款时滞”推算的预期；"
            f"支付口径按同龄比较（支付后 {s.cohort.age_days} 天内退款成功的比例，订单满 {s.cohort.age_days} 天才判断，"
            f"按商品与渠道的构成校正预期）。两者都计入本店自己的日波动和基线误差；每月误报预算："
            f"全店支付口径 {s.budget_shop_cohort:g} 次、全店事件 {s.budget_shop_event:g} 次、"
            f"TOP{s.top_products} 商品合计 {s.budget_products:g} 次。")
    if promo:
        text += f"本月有 {len(promo)} 个大促日（{promo[0]:%m-%d} 起），大促日只和往期大促日比较。"
    if not own:
        text += "本月两个时钟都没有触发预警。"
    else:
        by_clock = {k: sorted({(a['period'] or a['date'][5:]) for a in own if a["clock"] == k}) for k in CLOCKS_ZH}
        parts = [f"{CLOCKS_ZH[k]} {len(v)} 次（{'、'.join(v)}）" for k, v in by_clock.items() if v]
        text += f"本月共 {len(own)} 条预警：" + "；".join(parts) + "。持续偏高的日子只在开始那天预警一次。"
    return text
