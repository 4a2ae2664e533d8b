"""Industry and competitor benchmarks (chapter 6).

The platform publishes no official category return-rate line.  Industry reference rates come from
``conf/base/benchmarks.csv`` (:func:`returns_kit.config.load_benchmarks`), each row with its source
and date; competitor rates come from third-party tool exports (蝉妈妈, 飞瓜 …) read by
:func:`returns_kit.io.load_third_party` when a file is present.

Pure functions over DataFrames:

* :func:`product_rates` — own refund rate per product with its unit price and price band;
* :func:`segment_rates` — own rate per category × price band;
* :func:`compare_to_benchmarks` — own segments against the benchmark rows of their category;
* :func:`flag_vs_competitors` — own products worse than a competitor product of the same category
  at a similar price (the article's “竞品连衣裙 15% vs 自家 25%” check), with the evidence.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io.profiles import load_third_party
from .metrics.outcomes import cohort
from .metrics.products import PRICE_BANDS, price_band, unit_price
from .metrics.ranking import rate_table

#: benchmark ``metric`` → the outcome flag it is compared with (see metrics.sub_order_outcomes)
METRIC_FLAGS = {"refund_rate": "refunded", "return_rate": "returned",
                "quality_return_rate": "quality_refund"}
METRIC_ZH = {"refund_rate": "退款率", "return_rate": "退货率", "quality_return_rate": "品退率"}

#: a benchmark category also covers catalog categories whose top level is one of these
CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "服饰": ("女装", "男装", "童装", "服装", "服饰", "内衣", "鞋靴", "箱包", "配饰", "服饰鞋包"),
    "美妆": ("美妆", "彩妆", "护肤", "个护", "美妆个护"),
    "食品": ("食品", "零食", "茶饮", "生鲜", "酒水", "食品饮料"),
    "家居": ("家居", "家纺", "收纳", "厨具", "日用", "家居日用"),
    "数码": ("数码", "手机", "电脑", "3C", "家电", "数码家电"),
}

COMPETITOR_COLUMNS = ["source", "shop", "product_id", "product_name", "category", "price",
                      "return_rate", "as_of", "is_own"]


def _top(category: Any) -> str:
    return str(category).split("/")[0].strip() if isinstance(category, str) else ""


def category_matches(own_category: Any, bench_category: Any) -> bool:
    """Whether a benchmark row for ``bench_category`` applies to a catalog ``own_category``:
    the same text, the same top level (``女装`` ↔ ``女装/连衣裙``) or a top level listed under the
    benchmark's group in :data:`CATEGORY_GROUPS` (``服饰`` ↔ ``女装/连衣裙``)."""
    if not isinstance(own_category, str) or not isinstance(bench_category, str):
        return False
    own, bench = own_category.strip(), bench_category.strip()
    if own == bench or _top(own) == _top(bench):
        return own == bench or "/" not in bench or "/" not in own
    return _top(own) in CATEGORY_GROUPS.get(bench, ())


def _catalog_categories(catalog: pd.DataFrame) -> pd.Series:
    """product_id → catalog category (the first row of a product listed twice)."""
    if not len(catalog):
        return pd.Series(dtype=object)
    return catalog.drop_duplicates("product_id").set_index("product_id")["category"]


def product_rates(outcomes: pd.DataFrame, catalog: pd.DataFrame, month: str,
                  edges=PRICE_BANDS, min_orders: int = 30) -> pd.DataFrame:
    """Own refund rate per product of the month's cohort.

    ``product_id, product_name, category`` (catalog, else 未分类), ``price`` = median unit price
    (商品金额) of its sub-orders, ``price_band``, ``paid_sub_orders``, ``refunded``, ``refund_rate``
    with Wilson ``ci_low``/``ci_high``, ``low_volume`` (see metrics.rate_table)."""
    c = cohort(outcomes, month)
    table = rate_table(c, "product_id", min_orders=min_orders)
    names = c.groupby("product_id")["product_name"].agg(lambda s: s.dropna().mode().iat[0] if s.notna().any() else None)
    price = unit_price(c).groupby(c["product_id"]).median()
    cats = _catalog_categories(catalog)
    table.insert(1, "product_name", table["product_id"].map(names))
    table.insert(2, "category", table["product_id"].map(cats).fillna("未分类"))
    table.insert(3, "price", table["product_id"].map(price).round(2))
    table.insert(4, "price_band", price_band(table["price"], edges).astype(object))
    return table


def segment_rates(outcomes: pd.DataFrame, catalog: pd.DataFrame, month: str, metric: str = "refund_rate",
                  edges=PRICE_BANDS, min_orders: int = 30) -> pd.DataFrame:
    """Own ``metric`` (refund_rate, return_rate or quality_return_rate) per category × price band
    (band of each sub-order's unit price), with Wilson intervals; rows ``category, price_band,
    paid_sub_orders, refunded`` (= sub-orders with the metric's flag), ``refund_rate`` …"""
    c = cohort(outcomes, month)
    cats = _catalog_categories(catalog)
    c = c.assign(category=c["product_id"].map(cats).fillna("未分类"),
                 price_band=price_band(unit_price(c), edges).astype(object))
    table = rate_table(c, ["category", "price_band"], flag=METRIC_FLAGS[metric], min_orders=min_orders)
    order = {b: i for i, b in enumerate(price_band(pd.Series([], dtype=float), edges).cat.categories)}
    table["_o"] = table["price_band"].map(order)
    return table.sort_values(["category", "_o"]).drop(columns="_o").reset_index(drop=True)


def compare_to_benchmarks(own: pd.DataFrame, benchmarks: pd.DataFrame,
                          metric: str = "refund_rate") -> pd.DataFrame:
    """Each own segment (rows with ``category``, ``refund_rate``, ``ci_low``, ``ci_high``) beside
    the first benchmark row of ``metric`` that applies to its category (:func:`category_matches`).

    Adds ``bench_category``, ``bench_low``/``bench_high`` (``value`` for both when the row gives one
    figure), ``bench_source``, ``bench_as_of`` and ``verdict``: 高于参考区间 when the whole 95%
    interval is above ``bench_high``, 低于参考区间 when it is below ``bench_low``; otherwise
    偏高（区间重叠） / 偏低（区间重叠） when only the rate itself is outside, 在参考区间内 when
    it is inside; 无参考值 without a matching row.  Rows with a reference come first."""
    rows = benchmarks[benchmarks["metric"] == metric] if len(benchmarks) else benchmarks
    out = own.copy()
    cols = {"bench_category": None, "bench_low": np.nan, "bench_high": np.nan,
            "bench_source": None, "bench_as_of": None}
    for col, default in cols.items():
        out[col] = default
    verdicts = []
    for i, seg in out.iterrows():
        match = next((b for _, b in rows.iterrows() if category_matches(seg["category"], b["category"])), None)
        if match is None:
            verdicts.append("无参考值")
            continue
        low, high = match["low"], match["high"]
        if pd.isna(low) and pd.isna(high):
            low = high = match["value"]
        low = float(low) if pd.notna(low) else -math.inf
        high = float(high) if pd.notna(high) else math.inf
        out.at[i, "bench_category"] = match["category"]
        out.at[i, "bench_low"] = low if math.isfinite(low) else np.nan
        out.at[i, "bench_high"] = high if math.isfinite(high) else np.nan
        out.at[i, "bench_source"] = match["source"]
        out.at[i, "bench_as_of"] = match["as_of"] if isinstance(match["as_of"], str) and match["as_of"] else "未注明"
        verdicts.append(_verdict(seg["refund_rate"], seg["ci_low"], seg["ci_high"], low, high))
    out["verdict"] = verdicts
    out["_none"] = out["verdict"] == NONE
    return out.sort_values("_none", kind="stable").drop(columns="_none").reset_index(drop=True)


ABOVE, HIGHER, WITHIN, LOWER, BELOW, NONE = ("高于参考区间", "偏高（区间重叠）", "在参考区间内",
                                             "偏低（区间重叠）", "低于参考区间", "无参考值")


def _verdict(rate: float, ci_low: float, ci_high: float, low: float, high: float) -> str:
    if ci_low > high:
        return ABOVE
    if ci_high < low:
        return BELOW
    if rate > high:
        return HIGHER
    if rate < low:
        return LOWER
    return WITHIN


def benchmarks_for_display(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """The benchmark table with Chinese metric names and ``product_category`` for display."""
    return benchmarks.assign(metric=benchmarks["metric"].map(lambda m: METRIC_ZH.get(m, m))).rename(
        columns={"category": "product_category"})


def competitor_rows(third_party: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The competitor rows (``is_own`` false) of the third-party exports
    (:func:`returns_kit.io.load_third_party`), and a Chinese note when there are none."""
    empty = pd.DataFrame(columns=COMPETITOR_COLUMNS)
    if third_party is None or not len(third_party):
        return empty, ("data/external 中没有第三方工具（蝉妈妈、飞瓜等）的商品导出，暂无竞品数据。"
                       "导出竞品的商品、类目、价格、退货率后放入该目录即可在此对比。")
    frame = third_party.copy()
    for col in COMPETITOR_COLUMNS:
        if col not in frame.columns:
            frame[col] = False if col == "is_own" else None
    comp = frame[~frame["is_own"].fillna(False).astype(bool)][COMPETITOR_COLUMNS]
    if not len(comp):
        return empty, "第三方导出中只有本店商品，没有竞品行。"
    return comp.reset_index(drop=True), None


def load_competitors(external_dir: str | Path | None, conf_dir: str | Path = "conf"
                     ) -> tuple[pd.DataFrame, str | None]:
    """:func:`competitor_rows` of the third-party exports in ``external_dir``."""
    return competitor_rows(load_third_party(external_dir, conf_dir))


def flag_vs_competitors(own: pd.DataFrame, competitors: pd.DataFrame, price_tolerance: float = 0.3,
                        min_gap: float = 0.05, min_orders: int = 30) -> pd.DataFrame:
    """Own products worse than a competitor product of the same category at a similar price.

    ``own``: ``product_id, product_name, category, price, paid_sub_orders, refunded,
    refund_rate, ci_low, ci_high`` (:func:`product_rates`).  ``competitors``: ``shop,
    product_name, category, price, return_rate, source, as_of``.

    A pair is compared when the categories match (:func:`category_matches`, either way) and the
    competitor's price is within ``price_tolerance`` (relative) of ours.  It is flagged when our
    rate is at least ``min_gap`` above the competitor's **and** the lower end of our 95% interval
    is still above it (so the gap is not luck), for products with ≥ ``min_orders`` sub-orders.
    For each own product the closest-priced flagged competitor is kept.  Rows: own columns,
    ``competitor_shop, competitor_product, competitor_price, competitor_rate, source, as_of``,
    ``gap`` (rate points) and ``evidence`` (a Chinese sentence with the figures)."""
    cols = ["product_id", "product_name", "category", "price", "paid_sub_orders", "refunded",
            "refund_rate", "ci_low", "ci_high", "competitor_shop", "competitor_product",
            "competitor_price", "competitor_rate", "source", "as_of", "gap", "evidence"]
    rows = []
    comp = competitors.dropna(subset=["price", "return_rate"]) if len(competitors) else competitors
    for _, p in own.iterrows():
        if p["paid_sub_orders"] < min_orders or pd.isna(p["price"]) or p["price"] <= 0:
            continue
        best = None
        for _, c in comp.iterrows():
            if not (category_matches(p["category"], c["category"]) or category_matches(c["category"], p["category"])):
                continue
            if abs(float(c["price"]) - p["price"]) / p["price"] > price_tolerance:
                continue
            rate = float(c["return_rate"])
            if p["refund_rate"] - rate < min_gap or p["ci_low"] <= rate:
                continue
            if best is None or abs(float(c["price"]) - p["price"]) < abs(float(best["price"]) - p["price"]):
                best = c
        if best is None:
            continue
        rate = float(best["return_rate"])
        shop = best["shop"] if isinstance(best["shop"], str) and best["shop"] else "竞品店铺"
        as_of = best["as_of"] if isinstance(best["as_of"], str) and best["as_of"] else "日期未注明"
        evidence = (
            f"本店「{p['product_name']}」单价约 ¥{p['price']:,.2f}，本月 {int(p['paid_sub_orders']):,} 单退款 "
            f"{int(p['refunded']):,} 单，退款率 {p['refund_rate']:.1%}"
            f"（95% 区间 {p['ci_low']:.1%}–{p['ci_high']:.1%}）；"
            f"{shop}「{best['product_name']}」¥{float(best['price']):,.2f}，退货率 {rate:.1%}"
            f"（{best['source']}，{as_of}）。高出 {(p['refund_rate'] - rate) * 100:.1f} 个百分点，"
            f"且区间下限仍高于竞品。")
        rows.append({**{k: p[k] for k in cols[:9]},
                     "competitor_shop": shop, "competitor_product": best["product_name"],
                     "competitor_price": float(best["price"]), "competitor_rate": rate,
                     "source": best["source"], "as_of": as_of,
                     "gap": p["refund_rate"] - rate, "evidence": evidence})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("gap", ascending=False).reset_index(drop=True)


#: where to look first when a product is flagged, by its catalog top level (the article's hints)
CHECK_HINTS = {
    "服饰": "检查尺码表是否清晰、面料（透气性、透光）与详情页描述是否一致、色差。",
    "家居": "检查尺寸和材质描述、安装或使用说明，以及包装防护。",
    "美妆": "检查成分与功效描述、过敏提示、色号图片。",
    "食品": "检查保质期、口味规格描述和运输防护。",
    "数码": "检查功能说明、兼容性标注和质检。",
}


def check_hint(category: Any) -> str:
    """What to check first for a flagged product of ``category`` (empty when unknown)."""
    for group, hint in CHECK_HINTS.items():
        if category_matches(category, group):
            return hint
    return ""


def competitor_notes(flags: pd.DataFrame) -> list[str]:
    """The evidence sentence of each flagged product followed by what to check first."""
    out = []
    for _, f in flags.iterrows():
        hint = check_hint(f["category"])
        out.append(f"{f['evidence']}{'建议优先' + hint if hint else ''}")
    return out


def benchmark_summary(compared: pd.DataFrame) -> str:
    """A Chinese sentence on :func:`compare_to_benchmarks`: how many segments have a reference
    value and which are above or below it."""
    has = compared[compared["verdict"] != NONE]
    if not len(has):
        return ("本店的类目在 benchmarks.csv 中都没有参考值。平台没有公布官方的类目退货率基准线，"
                "可以把参加官方活动时平台给出的类目均值、或第三方工具的类目数据连同来源和日期填进去。")
    above = has[has["verdict"] == ABOVE]
    higher = has[has["verdict"] == HIGHER]
    below = has[has["verdict"] == BELOW]

    def names(frame: pd.DataFrame) -> str:
        return "、".join(f"{r['category']}（{r['price_band']}，{r['refund_rate']:.1%}）" for _, r in frame.iterrows())

    parts = [f"{len(has)} 个类目×价格带有行业参考值（{len(compared) - len(has)} 个没有）。"]
    parts.append(f"整个 95% 区间都高于参考区间的：{names(above)}。" if len(above) else "没有哪一格整体高于参考区间。")
    if len(higher):
        parts.append(f"退款率高于参考上限、但区间与参考区间重叠（可能是偶然）的：{names(higher)}。")
    if len(below):
        parts.append(f"整体低于参考区间的：{names(below)}。")
    parts.append("参考值并非平台官方数据，口径也未必一致，只作方向性参考。")
    return "".join(parts)


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


def band_note(trend: pd.DataFrame, band: dict | None) -> str:
    """The sentence under chapter 5's trend chart: the industry band with its source and date,
    the shop's (and the band category's) refund rate of the month, and where it falls."""
    if not band:
        return "基准表（conf/base/benchmarks.csv）中没有该类目的退款率区间，图中不画行业区间。"
    b = band
    cat_rate = None
    if "cat_refunded" in trend:
        paid = trend["cat_paid"].sum()
        cat_rate = trend["cat_refunded"].sum() / paid if paid else None
    shop_rate = trend["refunded"].sum() / max(trend["paid"].sum(), 1)
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
