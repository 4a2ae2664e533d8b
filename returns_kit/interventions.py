"""Before/after evaluation of interventions (chapter 8), at product × day level.

An intervention is a row of ``data/external/interventions.csv`` (read by
:func:`returns_kit.io.load_interventions`): ``name, product_ids, start_date, description,
control_product_ids`` (ids ``;``-separated).

The refund rate (支付口径: sub-orders paid in a window, refunded whenever) of the treated products
is compared before and after ``start_date`` against a control group — the listed control
products, or every other product of the shop when none are listed.

The unit of observation is a **product-day** (paid sub-orders of one product paid on one day, and
how many of them were refunded), not a sub-order: a day's traffic mix (a live-stream, a creator,
a promotion) moves every sub-order of that day together, so sub-orders are not independent and a
test that treats them so is far too sure of itself.  ``benchmarks/bench_interventions.py``
(realistic shops: shared day shocks, product day noise, product drift, promotions): the former
sub-order test's "95%" interval covered the truth 77% of the time and it said 全店推广 or 停止 for
20% of interventions that did nothing; this method: 94.5% and 4.9%, and 94% of real −5-point
improvements rolled out.

* **Difference-in-differences** (:func:`returns_kit.core.stats.clustered_did_test`): weighted
  regression of the product-day refund rate on a fixed effect per product and an after-dummy per
  group; every product is compared with itself, so a change in which products sell (a product
  launched or dropped, a best-seller selling more) cannot pass for an effect.  ``effect`` is this
  estimate; a shop-wide change (season, a platform rule) moves both groups and cancels out.
  Its standard error has two parts: the day-clustered sandwich (days are the independent units;
  t(G − 1) critical values and p-value, G = days), and **product drift** — a product's refund
  rate also wanders on its own (a batch, its reviews, its own reaction to a promotion), too
  slowly to be seen inside the windows but enough to fake a small effect.  How much, is learnt
  from the shop's other products over the same windows, each in turn a fake treated product
  (:func:`returns_kit.core.stats.between_product_variance`).
* **Placebo in time** (:func:`placebos`): the day-clustered estimate at fake start dates inside
  the before period (each side at least ``placebo_min_days`` days), where nothing happened.  The
  real estimate, standardised the same way (effect ÷ day-clustered standard error, so the shorter
  placebo windows compare fairly), is ranked among them by size: rank 1 = larger than every
  placebo.  A product that was drifting anyway shows placebo "effects" as large as the real one.
* The plain before/after **two-proportion z-test** of the treated products is shown as context
  only: it treats sub-orders as independent and ignores the control.
* **Maturity**: orders paid in the last ``maturity_days`` before the data's as-of time can still
  be refunded, so by default the after window stops ``maturity_days`` before as-of; the result
  is flagged immature only when no mature after-data exists yet; plus a **minimum volume** check.
* **Recommendation** (:data:`RECOMMENDATION_RULES_ZH`): 全店推广 / 继续测试 / 停止.

Settings (``min_orders``, ``alpha``, ``placebo_min_days``, ``placebo_level``, optionally
``maturity_days``) come from ``conf/base/experiments.yml``; ``maturity_days`` defaults to the
report's (``report.yml``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import conf_file, load_yaml
from .core.periods import MATURITY_DAYS, month_bounds
from .core.stats import between_product_variance, clustered_did_test, two_proportion_test, wilson_interval
from .display import p_phrase, p_text, pct, points_text
from .errors import InputError
from .io.external import Intervention
from .metrics.settings import report_settings


#: defaults of conf/base/experiments.yml
DEFAULT_SETTINGS: dict[str, Any] = {
    "maturity_days": MATURITY_DAYS,  # the after window must end this many days before as-of
    "min_orders": 100,  # fewer paid sub-orders in a treated window → too small to judge
    "alpha": 0.05,  # significance level of the day-clustered difference-in-differences
    "placebo_min_days": 3,  # a fake start date leaves at least this many before-days on each side
    "placebo_level": 0.1,  # roll out only when rank / (placebos + 1) ≤ this
}

ROLL_OUT, KEEP_TESTING, STOP = "全店推广", "继续测试", "停止"

#: The decision rules, shown in the report (chapter 8) — keep in step with :func:`recommend`.
RECOMMENDATION_RULES_ZH: list[tuple[str, str]] = [
    (KEEP_TESTING, "调整后的样本不成熟（窗口结束距数据导出不足成熟天数，之后还会有退款）、样本太少"
                   "（试点商品任一阶段支付子订单少于最低单量），或没有调整前后都有订单的试点/对照商品："
                   "先不下结论，继续观察。"),
    (ROLL_OUT, "按商品×天比较、扣除对照组同期变化后（双重差分，按天聚类的标准误，t 分布），试点商品退款率"
               "显著下降（p < 显著性水平），并且通过安慰剂检验：把开始日期换成调整前的各个日期重新计算，"
               "真实开始日的效果排名靠前（名次 ÷（假开始日数 + 1）≤ 安慰剂水平；默认 0.1，即至少 9 个"
               "假开始日且排第 1）：改善来自这项调整，可以推广到全店同类商品。"),
    (STOP, "双重差分显示试点商品相对对照组显著变差（p < 显著性水平）：停止这项调整并回滚"
           "（回滚的代价小，不要求安慰剂检验）。"),
    (KEEP_TESTING, "其他情况（差异不显著；只有前后对比显著、扣除大盘和每天的波动后不显著；或调整前也常出现"
                   "同样大的变化、调整前的数据太短做不了安慰剂检验）：效果未得到证实，延长试点或扩大样本后"
                   "再评估。"),
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
    for key, least in (("maturity_days", 0), ("min_orders", 0), ("placebo_min_days", 1)):
        value = settings[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise InputError(f"{key} must be a whole number ≥ {least}, got {value!r}", file=str(path), column=key)
    for key in ("alpha", "placebo_level"):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise InputError(f"{key} must be between 0 and 1, got {value!r}", file=str(path), column=key)
    return settings


# --------------------------------------------------------------------------------------------
# Product-days, windows and cohorts
# --------------------------------------------------------------------------------------------

DAILY_COLUMNS = ["product_id", "day", "paid_sub_orders", "refunded"]


def product_days(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per product × pay day (the unit chapter 8 compares): ``product_id``, ``day``
    (midnight of 支付完成时间), ``paid_sub_orders`` and ``refunded`` (those with a successful
    refund), from :func:`returns_kit.metrics.sub_order_outcomes` (one row per paid sub-order)."""
    paid = outcomes[outcomes["pay_time"].notna()]
    if paid.empty:
        return pd.DataFrame({"product_id": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[ns]"),
                             "paid_sub_orders": pd.Series(dtype=int), "refunded": pd.Series(dtype=int)})
    out = (paid.assign(day=paid["pay_time"].dt.normalize(), _refunded=paid["refunded"].astype(bool))
               .groupby(["product_id", "day"], sort=True)
               .agg(paid_sub_orders=("_refunded", "size"), refunded=("_refunded", "sum"))
               .reset_index())
    out["paid_sub_orders"] = out["paid_sub_orders"].astype(int)
    out["refunded"] = out["refunded"].astype(int)
    return out[DAILY_COLUMNS]


def _as_daily(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` as product-days: a :func:`product_days` frame is used as it is, sub-orders
    (``pay_time``, ``refunded``) are counted per product and day."""
    if "pay_time" in data.columns:
        return product_days(data)
    return data


def windows(outcomes: pd.DataFrame, intervention: Intervention, as_of: pd.Timestamp | None = None,
            month: str | None = None, days: int | None = None,
            maturity_days: int = MATURITY_DAYS) -> dict[str, Any]:
    """The before and after windows (by 支付完成时间, whole days, ``[start, end)``).

    ``outcomes`` is one row per paid sub-order (``pay_time``) or a :func:`product_days` frame.

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
    pay = outcomes["pay_time"].dropna() if "pay_time" in outcomes.columns else outcomes["day"].dropna()
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


def _cells(data: dict[str, Any], win: dict[str, Any]) -> pd.DataFrame:
    """The before/after table of a :func:`panel`: pooled counts per group and period."""
    after = np.asarray(data["days"] >= win["start"])
    rows = []
    for group in ("treated", "control"):
        mask = data[group]
        for name, in_period in (("before", ~after), ("after", after)):
            n = int(data["orders"][np.ix_(mask, in_period)].sum())
            k = int(data["refunded"][np.ix_(mask, in_period)].sum())
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

    ``outcomes``: paid sub-orders or a :func:`product_days` frame.  Windows as in
    :func:`windows`.  The control group is the listed control products, or every other product
    of the shop when none are listed.  Returns rows ``group`` (treated/control) × ``period``
    (before/after) with ``window_start``, ``window_end`` (last day, inclusive),
    ``paid_sub_orders``, ``refunded``, ``refund_rate`` and its Wilson ``ci_low``/``ci_high``
    (pooled over the group's sub-orders: what the group looked like, not the test).
    """
    daily = _as_daily(outcomes)
    win = windows(daily, intervention, as_of=as_of, month=month, days=days, maturity_days=maturity_days)
    return _cells(panel(daily, intervention, win), win)


def panel(daily: pd.DataFrame, intervention: Intervention, win: dict[str, Any]) -> dict[str, Any]:
    """The product × day arrays of the windows ``[before_start, after_end)``, every product of
    the shop that sold in them: ``products`` (ids), ``treated`` and ``control`` (bool per
    product; the control is the listed products, or every untreated one), ``days`` (every day of
    the windows, with or without orders), ``orders`` and ``refunded`` (``products × days``)."""
    day = daily["day"]
    sel = daily[(day >= win["before_start"]) & (day < win["after_end"])]
    days = pd.date_range(win["before_start"], win["after_end"] - pd.Timedelta(days=1), freq="D")
    codes, products = pd.factorize(sel["product_id"], sort=True)
    shape = (len(products), len(days))
    orders, refunded = np.zeros(shape), np.zeros(shape)
    if len(sel):
        col = days.get_indexer(sel["day"])
        np.add.at(orders, (codes, col), sel["paid_sub_orders"].to_numpy(dtype=float))
        np.add.at(refunded, (codes, col), sel["refunded"].to_numpy(dtype=float))
    ids = np.asarray(products, dtype=object)
    treated = np.isin(ids, np.asarray(intervention.product_ids, dtype=object))
    if intervention.control_product_ids:
        control = np.isin(ids, np.asarray(intervention.control_product_ids, dtype=object)) & ~treated
    else:
        control = ~treated
    return {"products": list(products), "treated": treated, "control": control, "days": days,
            "orders": orders, "refunded": refunded}


def placebos(data: dict[str, Any], start: pd.Timestamp, min_days: int = 3) -> pd.DataFrame:
    """The day-clustered DiD at fake start dates inside the before period of :func:`panel`
    ``data`` (days before ``start``), each leaving at least ``min_days`` before-days on either
    side.  One row per fake start: ``start_date``, ``effect``, ``se``, ``t``, ``p_value``,
    ``ci_low``, ``ci_high``, ``days`` — day-clustered only (``between`` = 0), the statistic the
    real estimate is ranked by (``t_day``); rows without an estimate (no control sold on one
    side) are left out."""
    before = np.asarray(data["days"] < start)
    n, k = data["orders"][:, before], data["refunded"][:, before]
    length = int(before.sum())
    rows = []
    for j in range(min_days, length - min_days + 1):
        fake_after = np.arange(length) >= j
        r = clustered_did_test(k, n, data["treated"], fake_after)
        if r["t"] == r["t"]:
            rows.append({"start_date": data["days"][j], **{c: r[c] for c in
                         ("effect", "se", "t", "p_value", "ci_low", "ci_high", "days")}})
    return pd.DataFrame(rows, columns=["start_date", "effect", "se", "t", "p_value", "ci_low", "ci_high", "days"])


def placebo_rank(real_t: float, placebo_t) -> tuple[float, int]:
    """``(rank, placebos)``: 1 + the number of placebos at least as large in size (|t|) as the
    real estimate, and how many placebos there are.  Rank 1 = larger than every placebo.  NaN
    rank without a real estimate or without any placebo."""
    placebo_t = np.asarray(placebo_t, dtype=float)
    if real_t != real_t or len(placebo_t) == 0:
        return math.nan, int(len(placebo_t))
    return 1 + int((np.abs(placebo_t) >= abs(real_t)).sum()), int(len(placebo_t))


def placebos_needed(level: float) -> int:
    """The fewest placebos with which rank 1 passes ``rank / (placebos + 1) ≤ level``."""
    return max(0, math.ceil(1 / level - 1e-9) - 1)


def placebo_extreme(rank: float, count: int, level: float) -> bool:
    """Rank 1…: ``rank / (count + 1) ≤ level`` (with a placebo at all)."""
    return bool(count > 0 and rank == rank and rank / (count + 1) <= level + 1e-12)


# --------------------------------------------------------------------------------------------
# Evaluation and recommendation
# --------------------------------------------------------------------------------------------

def recommend(naive: dict[str, float], did: dict[str, float], placebo: dict[str, Any], immature: bool,
              too_small: bool, alpha: float = 0.05, placebo_level: float = 0.1) -> tuple[str, str]:
    """``(decision, reason)`` by :data:`RECOMMENDATION_RULES_ZH` (in that order).

    ``naive``: :func:`two_proportion_test`; ``did``: :func:`clustered_did_test`; ``placebo``:
    ``rank``, ``placebos``, ``before_days`` (see :func:`evaluate`)."""
    if immature or too_small:
        why = "调整后的样本还不成熟" if immature else "样本太少"
        return KEEP_TESTING, f"{why}，结论可能会变，先继续观察。"
    if did["effect"] != did["effect"] or did["p_value"] != did["p_value"]:
        return KEEP_TESTING, ("没有调整前后都有订单的试点商品和对照商品（或天数太少），无法估计效果："
                              "先继续观察。")
    did_sig = did["p_value"] < alpha
    naive_sig = naive["p_value"] == naive["p_value"] and naive["p_value"] < alpha
    rank, count = placebo["rank"], placebo["placebos"]
    where = f"（{p_phrase(did['p_value'])}，按 {did['days']} 天聚类）"
    if did_sig and did["effect"] < 0:
        if placebo_extreme(rank, count, placebo_level):
            return ROLL_OUT, (f"按商品×天比较，扣除对照组同期变化后试点商品退款率显著下降{where}，"
                              f"且比调整前 {count} 个假开始日的变化都明显（排第 {rank}/{count + 1}）："
                              "建议推广到同类商品。")
        needed = placebos_needed(placebo_level)
        if count < needed:
            return KEEP_TESTING, (f"退款率显著下降{where}，但调整前只有 {placebo['before_days']} 天数据，"
                                  f"假开始日只有 {count} 个（至少需要 {needed} 个），无法排除商品自身的波动："
                                  "导入更早月份的订单，或继续测试。")
        return KEEP_TESTING, (f"退款率显著下降{where}，但调整前的 {count} 个假开始日中有 {rank - 1} 个"
                              f"出现了同样大的变化（排第 {rank}/{count + 1}）：可能是商品自身的波动，"
                              "而不是这项调整，继续测试。")
    if did_sig and did["effect"] > 0:
        return STOP, f"扣除对照组同期变化后，试点商品的退款率显著上升{where}：建议停止并回滚。"
    if naive_sig:
        return KEEP_TESTING, ("前后对比虽然显著，但扣除对照组同期变化（大盘）和每天的波动后不显著"
                              f"{where}：变化可能来自大盘或偶然波动，而不是这项调整，继续测试。")
    return KEEP_TESTING, f"差异不显著{where}，效果未得到证实：延长试点或扩大样本后再评估。"


def evaluate(outcomes: pd.DataFrame, intervention: Intervention, as_of: pd.Timestamp | None = None,
             month: str | None = None, days: int | None = None,
             maturity_days: int = MATURITY_DAYS, min_orders: int = 100,
             alpha: float = 0.05, placebo_min_days: int = 3, placebo_level: float = 0.1) -> dict[str, Any]:
    """Everything chapter 8 shows for one intervention.

    ``outcomes``: one row per paid sub-order (``product_id``, ``pay_time``, ``refunded``, as
    :func:`returns_kit.metrics.sub_order_outcomes` gives) or the :func:`product_days` counts
    (the same result, cheaper to simulate).

    Returns a dict: ``name``, ``start_date``, ``window`` (:func:`windows`), ``table``
    (:func:`before_after`), ``before_rate``/``after_rate`` (treated, pooled),
    ``control_before``/``control_after``, ``before_orders``/``after_orders``, ``naive``
    (:func:`two_proportion_test`, after vs before, treated only — context), ``did``
    (:func:`~returns_kit.core.stats.clustered_did_test`, with the drift term), ``effect``/
    ``p_value``/``ci_low``/``ci_high``/``days`` (of ``did``), ``drift``
    (:func:`~returns_kit.core.stats.between_product_variance` over the untreated products with at
    least ``min_orders`` in each period), ``placebo`` (``table`` of :func:`placebos`, ``rank``,
    ``placebos``, ``before_days``, ``min_days``, ``extreme``), ``placebo_rank``/``placebos``
    (ranked by the day-clustered ``t_day``), ``dropped`` (treated/control
    products sold in one period only), ``immature``, ``too_small``, ``warnings`` (Chinese
    sentences), ``recommendation`` and ``reason``.
    """
    daily = _as_daily(outcomes)
    win = windows(daily, intervention, as_of=as_of, month=month, days=days, maturity_days=maturity_days)
    shop = panel(daily, intervention, win)
    table = _cells(shop, win)
    counts = {(r.group, r.period): (int(r.refunded), int(r.paid_sub_orders)) for r in table.itertuples(index=False)}
    tb, ta = counts[("treated", "before")], counts[("treated", "after")]
    cb, ca = counts[("control", "before")], counts[("control", "after")]
    naive = two_proportion_test(tb[0], tb[1], ta[0], ta[1])
    after = np.asarray(shop["days"] >= win["start"])
    # the DiD on the treated and control products; the drift term from every untreated product
    keep = shop["treated"] | shop["control"]
    data = {**shop, "products": [p for p, k in zip(shop["products"], keep) if k], "treated": shop["treated"][keep],
            "control": shop["control"][keep], "orders": shop["orders"][keep], "refunded": shop["refunded"][keep]}
    drift = between_product_variance(shop["refunded"][~shop["treated"]], shop["orders"][~shop["treated"]], after,
                                     min_orders=min_orders)
    did = clustered_did_test(data["refunded"], data["orders"], data["treated"], after, between=drift["variance"])
    fake = placebos(data, win["start"], placebo_min_days)
    rank, count = placebo_rank(did["t_day"], fake["t"])
    placebo = {"table": fake, "rank": rank, "placebos": count, "before_days": win["before_days"],
               "min_days": placebo_min_days, "extreme": placebo_extreme(rank, count, placebo_level)}
    n = data["orders"]
    one_period = (n[:, after].sum(axis=1) == 0) | (n[:, ~after].sum(axis=1) == 0)
    dropped = {g: [p for p, t, o in zip(data["products"], data["treated"], one_period) if o and t == (g == "treated")]
               for g in ("treated", "control")}

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
        warnings.append("没有指定对照商品：以全店其他商品作对照，每个商品和自己调整前比较（商品固定效应）。")
    for group, word in (("treated", "试点"), ("control", "对照")):
        if dropped[group]:
            warnings.append(f"{len(dropped[group])} 个{word}商品只在调整前或调整后有订单（新上架或停售），不参与比较。")
    for group, word, (k_n_b, k_n_a) in (("treated", "试点", (tb, ta)), ("control", "对照", (cb, ca))):
        pooled, own = _rate(k_n_a) - _rate(k_n_b), did[f"{group}_change"]
        if pooled == pooled and own == own and abs(pooled - own) >= 0.005:
            warnings.append(f"{word}组合计退款率变化 {points_text(pooled)}，按商品各自前后比较为 {points_text(own)}："
                            "差别来自各商品销量占比的变化（或只在一个阶段有订单的商品），不算作效果。")
    if drift["products"] < 3 and did["effect"] == did["effect"]:
        warnings.append(f"店内调整前后各有至少 {min_orders:,} 单的其他商品只有 {drift['products']} 个（少于 3 个），"
                        "估计不了商品自身的漂移：区间只含每天的波动，可能偏窄。")
    if win["before_days"] < win["after_days"]:
        warnings.append(f"数据只覆盖调整前 {win['before_days']} 天（调整后 {win['after_days']} 天），"
                        "两段长度不同；双重差分用同样的窗口比较对照组，仍然可比。")
    decision, reason = recommend(naive, did, placebo, win["immature"] or not win["started"], bool(small),
                                 alpha, placebo_level)
    return {
        "name": intervention.name, "start_date": win["start"], "window": win, "table": table,
        "before_rate": _rate(tb), "after_rate": _rate(ta),
        "control_before": _rate(cb), "control_after": _rate(ca),
        "before_orders": tb[1], "after_orders": ta[1],
        "naive": naive, "did": did, "effect": did["effect"], "p_value": did["p_value"],
        "ci_low": did["ci_low"], "ci_high": did["ci_high"], "days": did["days"], "drift": drift,
        "placebo": placebo, "placebo_rank": rank, "placebos": count, "dropped": dropped,
        "immature": bool(win["immature"] or not win["started"]), "too_small": bool(small),
        "warnings": warnings, "recommendation": decision, "reason": reason,
    }


def _rate(k_n: tuple[int, int]) -> float:
    return k_n[0] / k_n[1] if k_n[1] else math.nan


# --------------------------------------------------------------------------------------------
# Tables and sentences for the report
# --------------------------------------------------------------------------------------------

def tests_table(result: dict[str, Any]) -> pd.DataFrame:
    """The tests of one :func:`evaluate` result as rows for the report: the day-clustered DiD
    (the decision) and the plain before/after comparison (context)."""
    n, d = result["naive"], result["did"]
    days = f"{d['days']} 天" if d["days"] == d["days"] else "—"
    return pd.DataFrame([
        {"test": f"双重差分（商品×天，按天聚类 {days}，含商品自身漂移）：判定依据", "estimate": d["effect"],
         "ci_low": d["ci_low"], "ci_high": d["ci_high"], "p_value": d["p_value"]},
        {"test": "前后对比（试点商品，按子订单的两比例 z 检验）：仅作参考", "estimate": n["diff"],
         "ci_low": n["ci_low"], "ci_high": n["ci_high"], "p_value": n["p_value"]},
    ])


def placebo_chart(result: dict[str, Any]) -> pd.DataFrame:
    """The real estimate (first row) and each placebo: ``label`` (真实/假 + MM-DD), ``effect``
    and its day-clustered 95% interval ``ci_low``/``ci_high`` (what the ranking compares) — bars
    for :func:`returns_kit.plots.rate_bars`."""
    d = result["did"]
    half = (d["ci_high"] - d["effect"]) * d["se_day"] / d["se"] if d["se"] and d["se"] == d["se"] else math.nan
    real = {"label": f"真实 {result['start_date']:%m-%d}", "effect": result["effect"],
            "ci_low": result["effect"] - half, "ci_high": result["effect"] + half}
    fake = result["placebo"]["table"]
    rows = [real] + [{"label": f"假 {r.start_date:%m-%d}", "effect": r.effect, "ci_low": r.ci_low,
                      "ci_high": r.ci_high} for r in fake.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["label", "effect", "ci_low", "ci_high"])


def placebo_rows(result: dict[str, Any]) -> pd.DataFrame:
    """:func:`placebo_chart` with the statistic the ranking compares: ``t`` = effect ÷ its
    day-clustered standard error (the real row first)."""
    rows = placebo_chart(result)
    rows["t"] = [result["did"]["t_day"], *result["placebo"]["table"]["t"]]
    return rows


def placebo_text(result: dict[str, Any]) -> str:
    """The placebo check in one Chinese sentence."""
    p = result["placebo"]
    count, rank = p["placebos"], p["rank"]
    if count == 0:
        dates = max(0, p["before_days"] - 2 * p["min_days"] + 1)
        if dates == 0:
            return (f"安慰剂检验：调整前只有 {p['before_days']} 天数据，假开始日两侧各需至少 {p['min_days']} 天，"
                    "做不了安慰剂检验。")
        return (f"安慰剂检验：调整前的 {dates} 个假开始日，没有一个两侧都有试点商品和对照商品的订单，"
                "做不了安慰剂检验。")
    fake = p["table"]["start_date"]
    head = (f"安慰剂检验：把开始日期换成调整前的 {count} 个日期（{fake.min():%m-%d} 至 {fake.max():%m-%d}）"
            "重新计算，这些日期什么也没改；")
    if rank != rank:
        return head + "真实开始日没有效果估计，无法排名。"
    size = f"按“效果 ÷ 按天聚类的标准误”比大小，真实开始日排第 {rank}/{count + 1}"
    if rank == 1:
        return head + size + "：没有一个假开始日出现同样大的变化。"
    return head + size + f"：有 {rank - 1} 个假开始日出现了同样大或更大的变化。"


def error_text(result: dict[str, Any]) -> str:
    """Where the interval's width comes from, in one Chinese sentence."""
    d, drift = result["did"], result["drift"]
    if d["se"] != d["se"]:
        return "没有可比的数据，无法估计误差。"
    day = f"每天的波动（按 {d['days']} 天聚类，标准误 {d['se_day'] * 100:.1f} 个百分点）"
    if drift["products"] < 3:
        return f"误差来源：{day}；店内单量足够的其他商品不到 3 个，商品自身的漂移没有计入。"
    return (f"误差来源：{day}和商品自身的漂移（由店内 {drift['products']} 个其他商品同期的前后变化估计，"
            f"标准误 {d['se_between'] * 100:.1f} 个百分点），合计标准误 {d['se'] * 100:.1f} 个百分点，"
            f"95% 区间 = 效果 ± {(d['ci_high'] - d['effect']) * 100:.1f} 个百分点（t 分布，自由度 {d['df']}）。")


def started_by(interventions: list[Intervention], month: str) -> list[Intervention]:
    """Interventions that started before the end of ``month`` (later ones are not evaluated)."""
    _, end = month_bounds(month)
    return [i for i in interventions if i.start_date < end]


def headline(result: dict[str, Any]) -> str:
    """One Chinese sentence with the figures of an :func:`evaluate` result."""
    w = result["window"]
    last = w["after_end"] - pd.Timedelta(days=1)
    if result["effect"] == result["effect"] and result["ci_low"] == result["ci_low"]:
        interval = f"95% 区间 {points_text(result['ci_low']).split(' ')[0]} 至 {points_text(result['ci_high'])}，"
    else:
        interval = ""
    days = f"，按 {result['days']} 天聚类" if result["days"] == result["days"] else ""
    return (f"【{result['name']}】{w['start']:%Y-%m-%d} 起。试点商品退款率 {pct(result['before_rate'])} → "
            f"{pct(result['after_rate'])}（调整前 {w['before_start']:%m-%d}–{w['start'] - pd.Timedelta(days=1):%m-%d} "
            f"{result['before_orders']:,} 单，调整后 {w['start']:%m-%d}–{last:%m-%d} {result['after_orders']:,} 单）；"
            f"对照组 {pct(result['control_before'])} → {pct(result['control_after'])}。"
            f"按商品×天比较、扣除对照组同期变化后的效果 {points_text(result['effect'])}"
            f"（{interval}{p_phrase(result['p_value'])}{days}）。")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Text versions of the difference columns (``estimate``, ``effect`` in percentage points,
    ``ci_low``/``ci_high`` of a difference merged into ``interval``) and of ``p_value``."""
    out = frame.copy()
    if ("estimate" in out or "effect" in out) and {"ci_low", "ci_high"} <= set(out.columns):
        out["interval"] = [f"{points_text(a).split(' ')[0]} 至 {points_text(b)}" if a == a else "—"
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
    """One row per evaluated intervention (the chapter's overview table); ``安慰剂名次`` =
    rank/(placebos + 1)."""
    cols = ["name", "start_date", "before_rate", "after_rate", "control_before", "control_after",
            "effect", "ci_low", "ci_high", "p_value"]
    rows = []
    for r in results:
        rank, count = r["placebo_rank"], r["placebos"]
        rows.append({**{c: r[c] for c in cols},
                     "安慰剂名次": f"{rank}/{count + 1}" if count and rank == rank else "—",
                     "recommendation": r["recommendation"]})
    return pd.DataFrame(rows, columns=[*cols, "安慰剂名次", "recommendation"])
