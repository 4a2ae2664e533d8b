"""Before/after evaluation of interventions (chapter 8).

An intervention is a row of ``data/external/interventions.csv`` (read by
:func:`returns_kit.io.load_interventions`): ``name, product_ids, start_date, description,
control_product_ids`` (ids ``;``-separated).

For each one the refund rate (支付口径: sub-orders paid in a window, refunded whenever) of the
treated products is compared before and after ``start_date``:

* a **two-proportion z-test** (pooled) of after vs before, with the Wald and the Newcombe
  (hybrid Wilson score) 95% intervals of the difference;
* a **difference-in-differences** (DiD) against the control products, or against every other
  product of the shop when none are listed: ``effect = (treated_after − treated_before) −
  (control_after − control_before)``, standard error = √(sum of the four binomial variances),
  two-sided normal p-value.  A shop-wide drift (season, a platform rule) moves both groups and
  cancels out; a plain before/after comparison would credit it to the intervention;
* a **maturity** check: orders paid in the last ``maturity_days`` before the data's as-of time can
  still be refunded, so an "after" window ending that late makes the after rate look too good;
  by default the after window stops ``maturity_days`` before as-of, and the result is flagged
  immature only when no mature after-data exists yet; plus a **minimum volume** check;
* a **recommendation** (:data:`RECOMMENDATION_RULES_ZH`): 全店推广 / 继续测试 / 停止.

Settings (``min_orders``, ``alpha``, optionally ``maturity_days``) come from
``conf/base/experiments.yml``; ``maturity_days`` defaults to the report's (``report.yml``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from .config import conf_file, load_yaml
from .core.periods import MATURITY_DAYS, month_bounds
from .core.stats import did_test, two_proportion_test, wilson_interval
from .display import p_text, pct, points_text
from .errors import InputError
from .io.external import Intervention
from .metrics.settings import report_settings


#: defaults of conf/base/experiments.yml
DEFAULT_SETTINGS: dict[str, Any] = {
    "maturity_days": MATURITY_DAYS,  # the after window must end this many days before as-of
    "min_orders": 100,  # fewer paid sub-orders in a treated window → too small to judge
    "alpha": 0.05,  # significance level of both tests
}

ROLL_OUT, KEEP_TESTING, STOP = "全店推广", "继续测试", "停止"

#: The decision rules, shown in the report (chapter 8) — keep in step with :func:`recommend`.
RECOMMENDATION_RULES_ZH: list[tuple[str, str]] = [
    (KEEP_TESTING, "调整后的样本不成熟（窗口结束距数据导出不足成熟天数，之后还会有退款）或样本太少"
                   "（试点商品任一阶段支付子订单少于最低单量）：先不下结论，继续观察。"),
    (ROLL_OUT, "试点商品调整后退款率显著下降（前后对比 p < 显著性水平），且扣除对照组同期变化后"
               "（双重差分）仍显著下降：改善来自这项调整，可以推广到全店同类商品。"),
    (STOP, "双重差分显示试点商品相对对照组显著变差：停止这项调整并回滚。"),
    (KEEP_TESTING, "其他情况（差异不显著，或只有前后对比显著、扣除大盘变化后不显著）：效果未得到证实，"
                   "延长试点或扩大样本后再评估。"),
]


def load_settings(conf_dir: str | Path = "conf") -> dict[str, Any]:
    """:data:`DEFAULT_SETTINGS` overlaid with ``conf/{base,local}/experiments.yml``;
    ``maturity_days`` defaults to the report's (``conf/base/report.yml``) when not set here."""
    own = load_yaml("experiments.yml", conf_dir) or {}
    settings = {**DEFAULT_SETTINGS, "maturity_days": report_settings(conf_dir)["maturity_days"], **own}
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)}",
                         file=str(conf_file("experiments.yml", conf_dir)), column=unknown[0])
    path = conf_file("experiments.yml", conf_dir)
    for key in ("maturity_days", "min_orders"):
        if not isinstance(settings[key], int) or isinstance(settings[key], bool) or settings[key] < 0:
            raise InputError(f"{key} must be a whole number ≥ 0, got {settings[key]!r}",
                             file=str(path), column=key)
    alpha = settings["alpha"]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}", file=str(path), column="alpha")
    return settings


# --------------------------------------------------------------------------------------------
# Windows and cohorts
# --------------------------------------------------------------------------------------------

def windows(outcomes: pd.DataFrame, intervention: Intervention, as_of: pd.Timestamp | None = None,
            month: str | None = None, days: int | None = None,
            maturity_days: int = MATURITY_DAYS) -> dict[str, Any]:
    """The before and after windows (by 支付完成时间, whole days, ``[start, end)``).

    * after: from ``start_date`` to the earliest of the end of the data, the end of ``month``
      (the report month) and ``start_date + days``; unless ``days`` is given, it also stops
      ``maturity_days`` before ``as_of`` so every after-order had time to be refunded — except
      when that leaves nothing (a recent intervention): then all after-data is used and the
      window is ``immature``;
    * before: as long as the after window, ending at ``start_date``, clipped to the first day of
      the data (so it can be shorter).
    ``immature`` = the after window ends fewer than ``maturity_days`` days before ``as_of``.
    """
    start = pd.Timestamp(intervention.start_date).normalize()
    pay = outcomes["pay_time"].dropna()
    if pay.empty:
        raise InputError("no paid sub-orders to evaluate the intervention on")
    data_start = pay.min().normalize()
    limit = pay.max().normalize() + pd.Timedelta(days=1)
    if month is not None:
        limit = min(limit, month_bounds(month)[1])
    if days is not None:
        after_end = min(limit, start + pd.Timedelta(days=days))
    else:
        after_end = limit
        if as_of is not None and pd.notna(as_of):
            mature_end = (pd.Timestamp(as_of) - pd.Timedelta(days=maturity_days)).normalize()
            if mature_end > start:
                after_end = min(after_end, mature_end)
    after_end = max(after_end, start)
    length = after_end - start
    before_start = max(start - length, min(data_start, start))
    if as_of is not None and pd.notna(as_of):
        days_to_as_of = (pd.Timestamp(as_of) - after_end) / pd.Timedelta(days=1)
    else:
        days_to_as_of = math.nan
    return {
        "before_start": before_start, "start": start, "after_end": after_end,
        "before_days": int((start - before_start) / pd.Timedelta(days=1)),
        "after_days": int(length / pd.Timedelta(days=1)),
        "days_after_window_to_as_of": days_to_as_of,
        "immature": bool(days_to_as_of < maturity_days) if days_to_as_of == days_to_as_of else False,
        "started": bool(after_end > start),
    }


def _cells(outcomes: pd.DataFrame, intervention: Intervention, win: dict[str, Any]) -> pd.DataFrame:
    treated = outcomes["product_id"].isin(intervention.product_ids)
    if intervention.control_product_ids:
        control = outcomes["product_id"].isin(intervention.control_product_ids)
    else:
        control = ~treated
    pay = outcomes["pay_time"]
    periods = {
        "before": (pay >= win["before_start"]) & (pay < win["start"]),
        "after": (pay >= win["start"]) & (pay < win["after_end"]),
    }
    rows = []
    for group, mask in (("treated", treated), ("control", control)):
        for name, in_period in periods.items():
            sel = outcomes[mask & in_period]
            n, k = len(sel), int(sel["refunded"].sum())
            low, high = wilson_interval([k], [n])
            lo, hi = (win["before_start"], win["start"]) if name == "before" else (win["start"], win["after_end"])
            rows.append({"group": group, "period": name, "window_start": lo,
                         "window_end": hi - pd.Timedelta(days=1) if hi > lo else lo,
                         "paid_sub_orders": n, "refunded": k,
                         "refund_rate": k / n if n else math.nan,
                         "ci_low": float(low[0]), "ci_high": float(high[0])})
    return pd.DataFrame(rows)


def before_after(outcomes: pd.DataFrame, intervention: Intervention, days: int | None = None,
                 as_of: pd.Timestamp | None = None, month: str | None = None,
                 maturity_days: int = MATURITY_DAYS) -> pd.DataFrame:
    """Refund rate of the treated products and of the control group, before and after.

    Windows as in :func:`windows`.  The control group is the listed control products, or every
    other product of the shop when none are listed.  Returns rows ``group`` (treated/control) ×
    ``period`` (before/after) with ``window_start``, ``window_end`` (last day, inclusive),
    ``paid_sub_orders``, ``refunded``, ``refund_rate`` and its Wilson ``ci_low``/``ci_high``.
    """
    win = windows(outcomes, intervention, as_of=as_of, month=month, days=days,
                  maturity_days=maturity_days)
    return _cells(outcomes, intervention, win)


# --------------------------------------------------------------------------------------------
# Evaluation and recommendation
# --------------------------------------------------------------------------------------------

def recommend(naive: dict[str, float], did: dict[str, float], immature: bool, too_small: bool,
              alpha: float = 0.05) -> tuple[str, str]:
    """``(decision, reason)`` by :data:`RECOMMENDATION_RULES_ZH` (in that order)."""
    if immature or too_small:
        why = "调整后的样本还不成熟" if immature else "样本太少"
        return KEEP_TESTING, f"{why}，结论可能会变，先继续观察。"
    did_sig = did["p_value"] == did["p_value"] and did["p_value"] < alpha
    naive_sig = naive["p_value"] == naive["p_value"] and naive["p_value"] < alpha
    if did_sig and did["effect"] < 0 and naive_sig and naive["diff"] < 0:
        return ROLL_OUT, "试点商品退款率显著下降，扣除对照组同期变化后仍显著：建议推广到同类商品。"
    if did_sig and did["effect"] > 0:
        return STOP, "扣除对照组同期变化后，试点商品的退款率显著上升：建议停止并回滚。"
    if naive_sig and not did_sig:
        return KEEP_TESTING, ("前后对比虽然显著，但对照组同期也在变化，扣除后不显著："
                              "变化可能来自大盘而不是这项调整，继续测试。")
    return KEEP_TESTING, "差异不显著，效果未得到证实：延长试点或扩大样本后再评估。"


def evaluate(outcomes: pd.DataFrame, intervention: Intervention, as_of: pd.Timestamp | None = None,
             month: str | None = None, days: int | None = None,
             maturity_days: int = MATURITY_DAYS, min_orders: int = 100,
             alpha: float = 0.05) -> dict[str, Any]:
    """Everything chapter 8 shows for one intervention.

    Returns a dict: ``name``, ``window`` (:func:`windows`), ``table`` (:func:`before_after`),
    ``before_rate``/``after_rate`` (treated), ``control_before``/``control_after``,
    ``naive`` (:func:`two_proportion_test`, after vs before, treated only), ``did``
    (:func:`did_test`), ``effect`` = DiD effect, ``p_value`` = DiD p-value, ``immature``,
    ``too_small``, ``warnings`` (Chinese sentences), ``recommendation`` and ``reason``.
    """
    win = windows(outcomes, intervention, as_of=as_of, month=month, days=days,
                  maturity_days=maturity_days)
    table = _cells(outcomes, intervention, win)
    cell = table.set_index(["group", "period"])

    def kn(group: str, period: str) -> tuple[int, int]:
        row = cell.loc[(group, period)]
        return int(row["refunded"]), int(row["paid_sub_orders"])

    tb, ta, cb, ca = kn("treated", "before"), kn("treated", "after"), kn("control", "before"), kn("control", "after")
    naive = two_proportion_test(tb[0], tb[1], ta[0], ta[1])
    did = did_test(tb, ta, cb, ca)
    warnings = []
    if not win["started"]:
        warnings.append(f"{win['start']:%Y-%m-%d} 开始的调整在本期数据中还没有调整后的订单。")
    if win["immature"]:
        warnings.append(
            f"调整后的样本不成熟：窗口截至 {win['after_end'] - pd.Timedelta(days=1):%Y-%m-%d}，距数据导出只有 "
            f"{max(win['days_after_window_to_as_of'], 0):.0f} 天（少于 {maturity_days} 天），这些订单之后还会有退款，"
            "调整后的退款率暂时偏低。")
    small = [f"{'调整前' if p == 'before' else '调整后'} {n:,} 单"
             for p, (_, n) in (("before", tb), ("after", ta)) if n < min_orders]
    if small:
        warnings.append(f"样本太少：试点商品{'、'.join(small)}（每个阶段至少需要 {min_orders:,} 单）。")
    if not intervention.control_product_ids:
        warnings.append("没有指定对照商品：以全店其他商品作对照。")
    if win["before_days"] < win["after_days"]:
        warnings.append(f"数据只覆盖调整前 {win['before_days']} 天（调整后 {win['after_days']} 天），"
                        "两段长度不同；双重差分用同样的窗口比较对照组，仍然可比。")
    decision, reason = recommend(naive, did, win["immature"] or not win["started"], bool(small), alpha)
    rate = lambda k_n: k_n[0] / k_n[1] if k_n[1] else math.nan  # noqa: E731
    return {
        "name": intervention.name, "start_date": win["start"], "window": win, "table": table,
        "before_rate": rate(tb), "after_rate": rate(ta),
        "control_before": rate(cb), "control_after": rate(ca),
        "before_orders": tb[1], "after_orders": ta[1],
        "naive": naive, "did": did, "effect": did["effect"], "p_value": did["p_value"],
        "immature": bool(win["immature"] or not win["started"]), "too_small": bool(small),
        "warnings": warnings, "recommendation": decision, "reason": reason,
    }


def tests_table(result: dict[str, Any]) -> pd.DataFrame:
    """The two tests of one :func:`evaluate` result as rows for the report."""
    n, d = result["naive"], result["did"]
    return pd.DataFrame([
        {"test": "前后对比（试点商品，两比例 z 检验）", "estimate": n["diff"], "ci_low": n["ci_low"],
         "ci_high": n["ci_high"], "p_value": n["p_value"]},
        {"test": "双重差分（扣除对照组同期变化）", "estimate": d["effect"], "ci_low": d["ci_low"],
         "ci_high": d["ci_high"], "p_value": d["p_value"]},
    ])


def started_by(interventions: list[Intervention], month: str) -> list[Intervention]:
    """Interventions that started before the end of ``month`` (later ones are not evaluated)."""
    _, end = month_bounds(month)
    return [i for i in interventions if i.start_date < end]


def headline(result: dict[str, Any]) -> str:
    """One Chinese sentence with the figures of an :func:`evaluate` result."""
    w = result["window"]
    last = w["after_end"] - pd.Timedelta(days=1)
    return (f"【{result['name']}】{w['start']:%Y-%m-%d} 起。试点商品退款率 {pct(result['before_rate'])} → "
            f"{pct(result['after_rate'])}（调整前 {w['before_start']:%m-%d}–{w['start'] - pd.Timedelta(days=1):%m-%d} "
            f"{result['before_orders']:,} 单，调整后 {w['start']:%m-%d}–{last:%m-%d} {result['after_orders']:,} 单，"
            f"前后对比 p = {p_text(result['naive']['p_value'])}）；对照组 {pct(result['control_before'])} → "
            f"{pct(result['control_after'])}。扣除对照组同期变化后的效果 {points_text(result['effect'])}"
            f"（p = {p_text(result['p_value'])}）。")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Text versions of the difference columns (``estimate``, ``effect`` in percentage points,
    ``ci_low``/``ci_high`` of a difference merged into ``interval``) and of ``p_value``."""
    out = frame.copy()
    if "estimate" in out and {"ci_low", "ci_high"} <= set(out.columns):
        out["interval"] = [f"{points_text(a).split(' ')[0]} 至 {points_text(b)}"
                           for a, b in zip(out["ci_low"], out["ci_high"])]
        out = out.drop(columns=["ci_low", "ci_high"])
    for col in ("estimate", "effect", "naive_effect"):
        if col in out:
            out[col] = out[col].map(points_text)
    for col in ("p_value", "naive_p_value"):
        if col in out:
            out[col] = out[col].map(p_text)
    return out


def summary(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per evaluated intervention (the chapter's overview table)."""
    cols = ["name", "start_date", "before_rate", "after_rate", "control_before", "control_after",
            "effect", "p_value", "recommendation"]
    return pd.DataFrame([{c: r[c] for c in cols} for r in results], columns=cols)




