"""Return metrics (DESIGN.md §4).  Pure functions: canonical tables in, DataFrames/dicts out.

Month M is a natural month in Beijing time, written ``"YYYY-MM"``.  Two ways to count a month:

* **application view** (申请口径, the article's 自然月 pull): after-sales whose 售后申请时间 is in M;
* **cohort view** (支付口径, 罗盘 “支付时间”): sub-orders whose 支付完成时间 is in M are the
  denominator; their after-sales count whenever they were applied (also in later months).

Every rate is a fraction (0.153), computed per 子订单: a sub-order with two after-sales counts once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .reasons import Taxonomy

#: A cohort is provisional until this many days after its month ends (late returns still arrive:
#: 7-day no-reason window + delivery + slow buyers).  Editable in conf/base/report.yml.
MATURITY_DAYS = 30

#: Segments with fewer paid sub-orders are listed after all others in rankings (low_volume).
MIN_ORDERS = 30


# --------------------------------------------------------------------------------------------
# Months and windows
# --------------------------------------------------------------------------------------------

def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a ``YYYY-MM`` month as naive Beijing-time timestamps."""
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthBegin(1)


def previous_month(month: str) -> str:
    start, _ = month_bounds(month)
    return (start - pd.offsets.MonthBegin(1)).strftime("%Y-%m")


def in_month(times: pd.Series, month: str) -> pd.Series:
    start, end = month_bounds(month)
    return (times >= start) & (times < end)


def data_as_of(orders: pd.DataFrame, after_sales: pd.DataFrame) -> pd.Timestamp:
    """When the data was pulled: the newest export time of the files (from their names, else
    their modification time); without lineage columns, the latest application or payment.

    Taken from the data, not the clock, so a report re-rendered later says the same thing.
    """
    frames = (orders, after_sales)
    if all("export_time" in f.columns for f in frames):
        candidates = [f["export_time"].max() for f in frames]
    else:
        candidates = [after_sales["apply_time"].max(), orders["pay_time"].max()]
    candidates = [t for t in candidates if pd.notna(t)]
    return max(candidates) if candidates else pd.NaT


def cohort_maturity(month: str, as_of: pd.Timestamp, maturity_days: int = MATURITY_DAYS) -> dict:
    """Days from the end of ``month`` to ``as_of``; the cohort is provisional below ``maturity_days``.

    Returns ``{"days_since_month_end", "maturity_days", "provisional"}``.
    """
    _, end = month_bounds(month)
    days = int((as_of - end) // pd.Timedelta(days=1)) if pd.notna(as_of) else 0
    return {
        "days_since_month_end": days,  # negative while the month is still running
        "maturity_days": maturity_days,
        "provisional": days < maturity_days,
    }


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------

def wilson_interval(successes, trials, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion k/n (95% for z=1.96); NaN where n == 0.

    Unlike k/n ± z·se it stays inside [0, 1] and is wide for small n, so a 2-of-3 product
    (interval ≈ 0.21–0.94) does not outrank a 300-of-3,000 one (≈ 0.089–0.111) by its lower bound
    without the uncertainty being visible.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = centre - half, centre + half
    low = np.where(n > 0, np.clip(low, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(high, 0, 1), np.nan)
    return low, high


def _rate(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


# --------------------------------------------------------------------------------------------
# Application view
# --------------------------------------------------------------------------------------------

def applications(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales whose 售后申请时间 is in ``month`` (application view)."""
    return after_sales[in_month(after_sales["apply_time"], month)]


def application_view(after_sales: pd.DataFrame, month: str) -> dict[str, int]:
    """Application view of ``month``: after-sales applied in M, by status group.

    * ``after_sales`` — 售后单 with 售后申请时间 in M;
    * ``finished`` (完结) — refund succeeded, or exchange/reship/repair done;
    * ``in_progress`` (处理中) — waiting on buyer, merchant, logistics, arbitration, or refund failed;
    * ``closed`` (关闭/拒绝) — closed, cancelled or rejected;
    * ``unknown`` — a 售后状态 text the kit does not know (kept, never dropped).
    """
    apps = applications(after_sales, month)
    counts = apps["status_group"].value_counts()
    out = {"after_sales": int(len(apps))}
    for group in ("finished", "in_progress", "closed", "unknown"):
        out[group] = int(counts.get(group, 0))
    return out


def application_table(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales applied in ``month``: rows = 售后类型, columns = status group, with totals."""
    apps = applications(after_sales, month)
    table = pd.crosstab(apps["after_sale_type"], apps["status_group"])
    for group in ("finished", "in_progress", "closed", "unknown"):
        if group not in table.columns:
            table[group] = 0
    table = table[["finished", "in_progress", "closed", "unknown"]]
    table["total"] = table.sum(axis=1)
    table = table.sort_values("total", ascending=False)
    table.index.name = "after_sale_type"
    return table.reset_index()


# --------------------------------------------------------------------------------------------
# Cohort view
# --------------------------------------------------------------------------------------------

def sub_order_outcomes(orders: pd.DataFrame, after_sales: pd.DataFrame,
                       taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per paid sub-order with what happened to it after the sale.

    Columns added to the paid orders:

    * ``refunded`` — at least one successful refund (退货退款, 已发货仅退款 or 未发货仅退款 with
      售后状态 退款成功); a sub-order with two successful refunds counts once;
    * ``refund_amount`` — Σ 退商品金额 of those refunds, capped at the sub-order's payable amount;
    * ``returned`` — a successful 退货退款 (the goods came back);
    * ``quality_refund`` — a successful refund whose reason is in the taxonomy's quality
      categories (质量/描述/物流/发错漏发: the 品退率 numerator of 商家体验分);
    * ``damage`` — an after-sale citing damage (破损) that was not closed or rejected;
    * ``after_sale_count`` — number of 售后单 of any type and status;
    * ``first_apply_time`` — the earliest 售后申请时间.
    """
    paid = orders[orders["pay_time"].notna()].copy()
    a = after_sales.copy()
    category = taxonomy.categorize(a["reason"])
    success = a["is_refund_success"].astype(bool)
    a["_refund_amount"] = a["refund_goods_amount"].fillna(0.0).where(success, 0.0)
    a["_refunded"] = success
    a["_returned"] = success & (a["after_sale_type"] == "return_refund")
    a["_quality"] = success & category.isin(taxonomy.quality_categories)
    a["_damage"] = taxonomy.is_damage(a["reason"]) & ~a["status_group"].isin(["closed"])
    per_sub = a.groupby("sub_order_id", sort=False).agg(
        refunded=("_refunded", "any"),
        refund_amount=("_refund_amount", "sum"),
        returned=("_returned", "any"),
        quality_refund=("_quality", "any"),
        damage=("_damage", "any"),
        after_sale_count=("after_sale_id", "size"),
        first_apply_time=("apply_time", "min"),
    )
    out = paid.merge(per_sub, left_on="sub_order_id", right_index=True, how="left")
    for col in ("refunded", "returned", "quality_refund", "damage"):
        out[col] = out[col].fillna(False).astype(bool)
    out["after_sale_count"] = out["after_sale_count"].fillna(0).astype(int)
    out["refund_amount"] = np.minimum(
        out["refund_amount"].fillna(0.0), out["payable_amount"].fillna(0.0)
    ).round(2)
    return out


def cohort(outcomes: pd.DataFrame, month: str) -> pd.DataFrame:
    """Paid sub-orders whose 支付完成时间 is in ``month`` (the cohort view's denominator)."""
    return outcomes[in_month(outcomes["pay_time"], month)]


def cohort_view(outcomes: pd.DataFrame, month: str) -> dict[str, Any]:
    """Cohort view of ``month`` (支付口径).

    * ``paid_sub_orders`` — sub-orders with 支付完成时间 in M;
    * ``paid_amount`` — Σ 订单应付金额 of those sub-orders (yuan);
    * ``refund_rate_count`` — sub-orders with ≥1 successful refund / paid sub-orders;
    * ``refund_rate_amount`` — refunded goods amount of those refunds / paid amount;
    * ``return_rate_count`` — sub-orders with a successful 退货退款 / paid sub-orders;
    * ``quality_return_rate`` (品退率) — sub-orders refunded for a quality, description,
      logistics/damage or wrong/missing reason / paid sub-orders.
    """
    c = cohort(outcomes, month)
    n = len(c)
    paid_amount = float(c["payable_amount"].sum())
    return {
        "paid_sub_orders": int(n),
        "paid_amount": round(paid_amount, 2),
        "refunded_sub_orders": int(c["refunded"].sum()),
        "refunded_amount": round(float(c["refund_amount"].sum()), 2),
        "refund_rate_count": _rate(c["refunded"].sum(), n),
        "refund_rate_amount": _rate(c["refund_amount"].sum(), paid_amount),
        "return_rate_count": _rate(c["returned"].sum(), n),
        "quality_return_rate": _rate(c["quality_refund"].sum(), n),
    }


def coverage(orders: pd.DataFrame, after_sales: pd.DataFrame, month: str | None = None) -> pd.DataFrame:
    """After-sales whose 商品单号 is not in the order export (optionally: applied in ``month``).

    They cannot join a cohort, so they are listed rather than silently dropped.
    """
    a = after_sales if month is None else applications(after_sales, month)
    missing = ~a["sub_order_id"].isin(orders["sub_order_id"])
    cols = ["after_sale_id", "sub_order_id", "product_name", "after_sale_type", "status",
            "apply_time", "refund_goods_amount", "source_file"]
    return a.loc[missing, [c for c in cols if c in a.columns]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Breakdowns with Wilson intervals
# --------------------------------------------------------------------------------------------

def rate_table(frame: pd.DataFrame, by: str | list[str], flag: str = "refunded",
               z: float = 1.96, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per segment with a Wilson interval, riskiest first.

    * ``paid_sub_orders`` — rows in the segment; ``refunded`` — rows with ``flag`` true;
    * ``refund_rate`` = refunded / paid_sub_orders; ``ci_low``/``ci_high`` — Wilson interval;
    * ``excess_refunds`` = refunded − paid_sub_orders × the overall rate: refunds above what
      the segment would have at the average rate (what fixing it would save);
    * ``low_volume`` — fewer than ``min_orders`` sub-orders: ranked after every segment with
      enough volume, whatever its rate, so a 2-of-3 product never tops the list on luck.

    Segments with enough volume are sorted by ``ci_low`` (the rate we are 97.5% sure the
    segment is at least): topping the list needs a high rate *and* enough orders to be sure.
    """
    keys = [by] if isinstance(by, str) else list(by)
    g = frame.groupby(keys, dropna=True, observed=True)
    table = pd.DataFrame({
        "paid_sub_orders": g.size(),
        "refunded": g[flag].sum().astype(int),
    })
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"]
    table["ci_low"], table["ci_high"] = wilson_interval(table["refunded"], table["paid_sub_orders"], z)
    overall = _rate(frame[flag].sum(), len(frame))
    table["excess_refunds"] = (table["refunded"] - table["paid_sub_orders"] * overall).round(1)
    table["low_volume"] = table["paid_sub_orders"] < min_orders
    table = table.sort_values(["low_volume", "ci_low", "paid_sub_orders"],
                              ascending=[True, False, False])
    return table.reset_index()


def top_products(outcomes: pd.DataFrame, month: str, n: int = 20,
                 min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """The ``n`` riskiest products of the month's cohort (see :func:`rate_table`), with names."""
    c = cohort(outcomes, month)
    table = rate_table(c, "product_id", min_orders=min_orders)
    names = c.groupby("product_id")["product_name"].agg(lambda s: s.mode().iat[0] if s.notna().any() else None)
    table.insert(1, "product_name", table["product_id"].map(names))
    return table.head(n).reset_index(drop=True)


def provinces(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate by 省 (receiver province) for the month's cohort, riskiest first."""
    return rate_table(cohort(outcomes, month), "province", min_orders=min_orders)


def carriers(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """By outbound carrier (parsed from 快递信息), for the month's shipped sub-orders.

    ``shipped_sub_orders`` = paid sub-orders with a carrier; ``refund_rate`` as above;
    ``damage_rate`` = sub-orders with an open or successful damage (破损) after-sale / shipped.
    """
    c = cohort(outcomes, month)
    shipped = c[c["carrier"].notna()]
    table = rate_table(shipped, "carrier", min_orders=min_orders).rename(columns={"paid_sub_orders": "shipped_sub_orders"})
    damaged = shipped.groupby("carrier")["damage"].sum()
    table["damaged"] = table["carrier"].map(damaged).astype(int)
    table["damage_rate"] = table["damaged"] / table["shipped_sub_orders"]
    table["damage_ci_low"], table["damage_ci_high"] = wilson_interval(
        table["damaged"], table["shipped_sub_orders"])
    return table.sort_values(["low_volume", "damage_ci_low"], ascending=[True, False]).reset_index(drop=True)


def daily(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Per day of ``month``: paid sub-orders and their refund rate (by pay date), and
    after-sales applied that day (by apply date)."""
    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    c = cohort(outcomes, month)
    by_pay = c.groupby(c["pay_time"].dt.normalize()).agg(
        paid_sub_orders=("sub_order_id", "size"), refunded=("refunded", "sum"))
    apps = applications(after_sales, month)
    by_apply = apps.groupby(apps["apply_time"].dt.normalize()).size().rename("applications")
    table = by_pay.reindex(days, fill_value=0).join(by_apply.reindex(days, fill_value=0))
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table.index.name = "date"
    return table.reset_index()


def reason_breakdown(after_sales: pd.DataFrame, month: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """After-sales applied in ``month`` by reason category and reason text, with shares."""
    apps = applications(after_sales, month)
    frame = pd.DataFrame({
        "category": taxonomy.categorize(apps["reason"]).to_numpy(),
        "reason": apps["reason"].fillna("（空）").to_numpy(),
    })
    table = frame.value_counts().rename("count").reset_index()
    table["share"] = table["count"] / max(len(frame), 1)
    return table


# --------------------------------------------------------------------------------------------
# metrics.json
# --------------------------------------------------------------------------------------------

def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    out = []
    for row in frame[columns].itertuples(index=False):
        rec = {}
        for col, value in zip(columns, row):
            if isinstance(value, (np.integer,)):
                value = int(value)
            elif isinstance(value, (np.floating, float)):
                value = None if math.isnan(value) else float(value)
            rec[col] = value
        out.append(rec)
    return out


def monthly_metrics(data, month: str, conf_dir="conf", external_dir=None) -> dict[str, Any]:
    """Everything ``metrics.json`` holds for ``month`` (DESIGN.md §6), as plain JSON types."""
    from .reasons import load_taxonomy

    taxonomy = load_taxonomy(conf_dir)
    outcomes = sub_order_outcomes(data.orders, data.after_sales, taxonomy)
    as_of = data_as_of(data.orders, data.after_sales)
    view = cohort_view(outcomes, month)
    view.update(cohort_maturity(month, as_of))
    reasons = reason_breakdown(data.after_sales, month, taxonomy)
    return {
        "month": month,
        "as_of": None if pd.isna(as_of) else as_of.strftime("%Y-%m-%d %H:%M:%S"),
        "data_quality": data.data_quality(),
        "application_view": application_view(data.after_sales, month),
        "cohort_view": view,
        "coverage": {"after_sales_without_order": int(len(coverage(data.orders, data.after_sales, month)))},
        "top_products": _records(top_products(outcomes, month),
                                 ["product_id", "product_name", "paid_sub_orders", "refunded",
                                  "refund_rate", "ci_low", "ci_high"]),
        "provinces": _records(provinces(outcomes, month),
                              ["province", "paid_sub_orders", "refunded", "refund_rate",
                               "ci_low", "ci_high"]),
        "carriers": _records(carriers(outcomes, month),
                             ["carrier", "shipped_sub_orders", "refunded", "refund_rate",
                              "damaged", "damage_rate"]),
        "reasons": _records(reasons, ["category", "reason", "count", "share"]),
    }



def refund_clocks(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Refunded goods amount per day of ``month`` on both 罗盘 clocks.

    * ``by_pay_time`` (退款金额（支付时间）) — refunds of sub-orders paid that day, whenever refunded;
    * ``by_refund_time`` (退款金额（退款时间）) — successful refunds whose 商家退款时间 is that day,
      whenever the order was paid.
    The two differ by construction: the first grows for weeks after the day, the second is final.
    """
    start, end = month_bounds(month)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    c = cohort(outcomes, month)
    by_pay = c.groupby(c["pay_time"].dt.normalize())["refund_amount"].sum()
    ok = after_sales[after_sales["is_refund_success"].astype(bool)]
    ok = ok.assign(_t=ok["merchant_refund_time"].fillna(ok["finish_time"]))
    ok = ok[in_month(ok["_t"], month)]
    by_refund = ok.groupby(ok["_t"].dt.normalize())["refund_goods_amount"].sum()
    table = pd.DataFrame({
        "by_pay_time": by_pay.reindex(days, fill_value=0.0),
        "by_refund_time": by_refund.reindex(days, fill_value=0.0),
    }).round(2)
    table.index.name = "date"
    return table.reset_index()


#: Chinese definitions shown beside the figures (chapter 1) — keep in step with the docstrings.
DEFINITIONS_ZH: dict[str, str] = {
    "申请口径（售后申请时间）": "售后申请时间落在本月的售后单，按状态分为完结（退款成功、换货/补寄完成）、处理中（待买家/商家/物流/仲裁）、关闭/拒绝。对应文章中按自然月从【售后管理】导出的数据。",
    "支付口径（支付完成时间）": "支付完成时间落在本月的子订单为分母，无论其售后何时发生都计入（与罗盘“退款率（支付时间）”同口径）。月末后仍会有退货陆续到来，未满成熟期的月份标为“暂估”。",
    "退款率（订单数）": "至少有一笔退款成功（退货退款、已发货仅退款、未发货仅退款）的子订单数 ÷ 本月支付子订单数；同一子订单多次售后只计一次。",
    "退款率（金额）": "上述退款的退商品金额之和（每个子订单不超过其应付金额）÷ 本月支付金额（订单应付金额之和）。",
    "退货率": "退货退款成功（货物退回）的子订单数 ÷ 本月支付子订单数；不含仅退款。",
    "品退率": "因质量问题、描述不符、物流问题（含破损）、发错/漏发而退款成功的子订单数 ÷ 本月支付子订单数（参照商家体验分“品质退货率”，买家主观原因不计入）。",
    "破损率": "有破损类售后（未关闭、未被拒绝）的子订单数 ÷ 该快递发货的子订单数。",
    "置信区间": "Wilson 95% 区间：订单越少区间越宽。排名按区间下限排序，样本不足（少于 30 单）的排在最后，避免 3 单退 2 单的商品因偶然排到第一。",
}


def category_rates(outcomes: pd.DataFrame, catalog: pd.DataFrame, month: str,
                   min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate per product category (from the analyst's catalog; 未分类 when absent)."""
    c = cohort(outcomes, month)
    cats = catalog.set_index("product_id")["category"] if len(catalog) else pd.Series(dtype=object)
    c = c.assign(category=c["product_id"].map(cats).fillna("未分类"))
    return rate_table(c, "category", min_orders=min_orders)
