"""Chapter 2's reconciliation: the kit's daily refunds beside 罗盘's, with the likely reason for
every difference (pay-time vs refund-time clock, 主订单 vs 子订单, 运费, data cutoff, filters).

Pure functions of DataFrames: the kit's figures come from :func:`returns_kit.metrics.kit_daily`,
罗盘's from :func:`returns_kit.io.load_luopan`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .core.periods import in_month, month_days
from .display import money, signed_pct

__all__ = [
    "ALL_STAGE", "ALL_SCOPE", "METRICS", "clock_of", "likely_reason", "reconcile_daily",
    "reconcile_month", "format_comparison", "no_luopan_note", "summary_zh", "daily_chart_frame",
    "BASIS_ZH", "METRIC_ZH", "RECONCILE_COLUMNS", "REASON_SAME", "REASON_NO_DATA",
    "REASON_NOT_IN_FILE", "REASON_DEFINITION", "REASON_LATER", "REASON_EARLIER", "REASON_OTHER",
]

#: the stage whose figures are compared with the kit (all refunds, whatever the stage)
ALL_STAGE = "全部退款阶段"
#: 售卖类型 / 载体 values that mean "no filter"
ALL_SCOPE = frozenset({"全部", "全部类型", "全部载体", "整体", "不限", "汇总", "合计"})


def clock_of(basis: Any) -> str | None:
    """罗盘 退款口径 text → ``"pay_time"`` (订单支付时间: refunds attributed to the order's pay
    day) or ``"refund_time"`` (退款时间: to the refund day); ``None`` if neither."""
    if basis is None or (isinstance(basis, float) and math.isnan(basis)):
        return None
    text = str(basis)
    if "支付" in text:
        return "pay_time"
    if "退款" in text:
        return "refund_time"
    return None


METRICS = ("refund_amount", "refund_orders")

#: kit column compared with 罗盘's figure, and the kit's figure on 罗盘's definition
_KIT_FIGURES = {
    "refund_amount": ("refund_amount", "refund_amount+refund_shipping"),
    "refund_orders": ("refund_sub_orders", "refund_main_orders"),
}

REASON_SAME = "一致"

REASON_NO_DATA = "罗盘当日暂无数据"

REASON_NOT_IN_FILE = "罗盘下载中没有这一天"

REASON_DEFINITION = {
    "refund_amount": "罗盘退款金额含退运费，本工具只计退商品金额",
    "refund_orders": "罗盘按主订单计数，本工具按子订单计数（一单多件只算一单）",
}

REASON_LATER = "罗盘数据截止晚于本工具导出，之后完成的退款已计入罗盘（按支付时间归属的退款会持续增长）"

REASON_EARLIER = "罗盘数据截止早于本工具导出，之后完成的退款尚未计入罗盘"

REASON_OTHER = "其余差异来自统计范围或退款状态口径不同，请核对罗盘的筛选条件"


def likely_reason(metric: str, kit: float, kit_adjusted: float, luopan: float | None, *,
                  timing: str | None = None, scope: str = "", present: bool = True) -> str:
    """A short Chinese sentence saying why 罗盘's figure differs from the kit's.

    Rules, in order (the first two end the sentence; the others are joined by "；"):

    1. the day is not in the download → 罗盘下载中没有这一天; 罗盘 shows 暂无数据 → 罗盘当日暂无数据;
    2. equal (amounts within ¥0.005) → 一致;
    3. the definitions differ (``kit_adjusted`` ≠ ``kit``): 罗盘's 退款金额 includes 退运费
       (``kit_adjusted`` = kit amount + refunded shipping), 罗盘 counts 主订单
       (``kit_adjusted`` = refunded main orders);
    4. what remains (``luopan − kit_adjusted`` ≠ 0): 罗盘 filtered to part of the shop
       (``scope``) and below → 范围小于全店; above with a 罗盘 cutoff after the kit's export
       (``timing="later"``) → later refunds already in 罗盘; below with an earlier cutoff
       (``timing="earlier"``) → not yet in 罗盘; otherwise → 统计范围或退款状态口径不同.
    """
    if not present:
        return REASON_NOT_IN_FILE
    if luopan is None or (isinstance(luopan, float) and math.isnan(luopan)) or pd.isna(luopan):
        return REASON_NO_DATA
    tol = 0.005 if metric == "refund_amount" else 0.0
    if abs(luopan - kit) <= tol:
        return REASON_SAME
    parts = []
    if abs(kit_adjusted - kit) > tol:
        parts.append(REASON_DEFINITION[metric])
    residual = luopan - kit_adjusted
    if abs(residual) > tol:
        if scope and residual < 0:
            parts.append(f"罗盘下载只含{scope}，范围小于全店")
        elif residual > 0 and timing == "later":
            parts.append(REASON_LATER)
        elif residual < 0 and timing == "earlier":
            parts.append(REASON_EARLIER)
        else:
            parts.append(REASON_OTHER)
    return "；".join(parts)


def _scope_text(sale: set, carrier: set) -> str:
    bits = []
    if sale:
        bits.append("售卖类型" + "、".join(sorted(sale)))
    if carrier:
        bits.append("载体" + "、".join(sorted(carrier)))
    return "、".join(bits)


def _luopan_totals(luopan: pd.DataFrame, month: str) -> pd.DataFrame:
    """罗盘's all-stage figures per (date, clock): the 全部/全部 row when there is one, else the
    sum of the rows of each 售卖类型/载体.  Several values of a dimension are taken to cover the
    shop; a single value (only 自营, only 商品卡) is a filter, named in ``scope``."""
    lp = luopan[(luopan["stage"] == ALL_STAGE) & in_month(luopan["date"], month)].copy()
    lp["clock"] = lp["basis"].map(clock_of)
    lp = lp[lp["clock"].notna()]
    rows = []
    for (date, clock), g in lp.groupby(["date", "clock"], sort=True):
        is_all = g["sale_type"].map(lambda v: v is None or pd.isna(v) or v in ALL_SCOPE) & \
            g["carrier_type"].map(lambda v: v is None or pd.isna(v) or v in ALL_SCOPE)
        scope = ""
        if is_all.any():
            g = g[is_all].tail(1)
        else:  # rows per 售卖类型/载体 value are summed; a single value is a filter
            sale = {v for v in g["sale_type"].dropna() if v not in ALL_SCOPE}
            carrier = {v for v in g["carrier_type"].dropna() if v not in ALL_SCOPE}
            scope = _scope_text(sale if len(sale) == 1 else set(),
                                carrier if len(carrier) == 1 else set())
        orders = g["refund_orders"].astype("float64")
        rows.append({
            "date": date, "clock": clock, "scope": scope,
            "refund_amount": g["refund_amount"].sum(min_count=1),
            "refund_orders": orders.sum(min_count=1),
            "downloaded": g["downloaded"].max(),
        })
    return pd.DataFrame(rows, columns=["date", "clock", "scope", "refund_amount", "refund_orders",
                                       "downloaded"])


def _timing(downloaded, as_of) -> str | None:
    """罗盘 data run to the day before the download day: compare that cutoff with the kit's
    export time."""
    if as_of is None or pd.isna(as_of) or downloaded is None or pd.isna(downloaded):
        return None
    cutoff = pd.Timestamp(downloaded).normalize()
    if cutoff > as_of:
        return "later"
    if cutoff < as_of:
        return "earlier"
    return None


RECONCILE_COLUMNS = ["date", "basis", "metric", "kit", "kit_adjusted", "luopan", "diff",
                     "diff_pct", "likely_reason", "scope", "timing"]


def reconcile_daily(kit: pd.DataFrame, luopan: pd.DataFrame, month: str,
                    as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The kit's daily figures beside 罗盘's, on each 退款口径 the 罗盘 download has.

    One row per day × ``basis`` (``pay_time``/``refund_time``) × ``metric``
    (``refund_amount`` 退款金额, ``refund_orders`` 退款订单数), all-stage figures (全部退款阶段):

    * ``kit`` — the kit's own figure (:func:`kit_daily`: refunded goods amount; refunded
      sub-orders); ``kit_adjusted`` — the kit's figure on 罗盘's definition (amount + refunded
      shipping; refunded 主订单);
    * ``luopan`` — 罗盘's figure (NaN for 暂无数据 or a day missing from the download);
    * ``diff`` = luopan − kit; ``diff_pct`` = diff / kit (NaN when kit is 0);
    * ``likely_reason`` — :func:`likely_reason`; ``timing`` — 罗盘's cutoff (download day,
      data to the day before) ``later``/``earlier`` than ``as_of`` (the kit's export time);
      ``scope`` — 罗盘's 售卖类型/载体 filter when not 全部.

    Empty when the download has no row for ``month``.
    """
    lp = _luopan_totals(luopan, month)
    if not len(lp):
        return pd.DataFrame(columns=RECONCILE_COLUMNS)
    days = month_days(month)
    rows = []
    for clock in [c for c in ("pay_time", "refund_time") if c in set(lp["clock"])]:
        k = kit[kit["clock"] == clock].set_index("date").reindex(days)
        lc = lp[lp["clock"] == clock].set_index("date")
        cutoff = lc["downloaded"].max()
        for day in days:
            present = day in lc.index
            got = lc.loc[day] if present else None
            timing = _timing(got["downloaded"] if present else cutoff, as_of)
            scope = got["scope"] if present else ""
            kr = k.loc[day]
            for metric in METRICS:
                col, adj = _KIT_FIGURES[metric]
                kv = float(np.nan_to_num(kr[col]))
                av = float(sum(np.nan_to_num(kr[c]) for c in adj.split("+")))
                lv = float(got[metric]) if present and pd.notna(got[metric]) else math.nan
                rows.append(_row(day, clock, metric, kv, av, lv, timing, scope, present))
    return pd.DataFrame(rows, columns=RECONCILE_COLUMNS)


def _row(day, clock, metric, kv, av, lv, timing, scope, present) -> dict[str, Any]:
    if metric == "refund_amount":
        kv, av = round(kv, 2), round(av, 2)
        lv = round(lv, 2) if not math.isnan(lv) else lv
    diff = lv - kv if not math.isnan(lv) else math.nan
    if metric == "refund_amount" and not math.isnan(diff):
        diff = round(diff, 2)
    diff_pct = diff / kv if kv and not math.isnan(diff) else math.nan
    return {"date": day, "basis": clock, "metric": metric, "kit": kv, "kit_adjusted": av,
            "luopan": lv, "diff": diff, "diff_pct": diff_pct,
            "likely_reason": likely_reason(metric, kv, av, lv, timing=timing, scope=scope,
                                           present=present),
            "scope": scope, "timing": timing}


def reconcile_month(kit: pd.DataFrame, luopan: pd.DataFrame, month: str,
                    as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Month totals of :func:`reconcile_daily`, like for like: both sides summed over the days
    for which 罗盘 has a figure (``days``); ``days_missing`` counts the days it has none
    (暂无数据 or not in the download), which the reason then mentions.

    Columns: basis, metric, days, days_missing, kit, kit_adjusted, luopan, diff, diff_pct,
    likely_reason.  (罗盘's daily 退款率 cannot be added up over days, so it is not compared.)
    """
    cols = ["basis", "metric", "days", "days_missing", "kit", "kit_adjusted", "luopan", "diff",
            "diff_pct", "likely_reason"]
    daily = reconcile_daily(kit, luopan, month, as_of)
    if not len(daily):
        return pd.DataFrame(columns=cols)
    rows = []
    for (clock, metric), g in daily.groupby(["basis", "metric"], sort=False):
        have = g[g["luopan"].notna()]
        missing = len(g) - len(have)
        kv, av, lv = (float(have[c].sum()) for c in ("kit", "kit_adjusted", "luopan"))
        if not len(have):
            lv = math.nan
        timings = have["timing"].dropna()
        timing = timings.mode().iat[0] if len(timings) else None
        scope = "、".join(sorted({s for s in have["scope"] if s}))
        row = _row(None, clock, metric, kv, av, lv, timing, scope, True)
        reason = row["likely_reason"]
        if missing and len(have):
            reason += f"（两边都不含罗盘缺数据的 {missing} 天）"
        rows.append({**{k: row[k] for k in ("basis", "metric", "kit", "kit_adjusted", "luopan",
                                               "diff", "diff_pct")},
                     "days": int(len(have)), "days_missing": int(missing), "likely_reason": reason})
    return pd.DataFrame(rows, columns=cols)


BASIS_ZH = {"pay_time": "支付时间口径", "refund_time": "退款时间口径"}

METRIC_ZH = {"refund_amount": "退款金额(元)", "refund_orders": "退款订单数"}


def _fmt_value(metric: str, v: Any, signed: bool = False) -> str:
    if v is None or pd.isna(v):
        return "—"
    v = float(v)
    sign = ("+" if v > 0 else "−" if v < 0 else "") if signed else ("−" if v < 0 else "")
    if metric == "refund_amount":
        return sign + money(abs(v))
    return f"{sign}{abs(v):,.0f}"


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """A reconciliation table as text for :func:`returns_kit.display.table`: basis and metric in
    Chinese, amounts as ``¥1,234.50``, differences signed (``+¥12.30``, ``−3``, ``+1.2%``)."""
    out = pd.DataFrame(index=table.index)
    if "date" in table.columns and table["date"].notna().any():
        out["date"] = pd.to_datetime(table["date"]).dt.strftime("%m-%d")
    out["basis"] = table["basis"].map(BASIS_ZH).fillna(table["basis"])
    out["metric"] = table["metric"].map(METRIC_ZH).fillna(table["metric"])
    if "days" in table.columns:
        out["days"] = table["days"].astype(int).astype(str)
    for col in ("kit", "kit_adjusted", "luopan"):
        out[col] = [_fmt_value(m, v) for m, v in zip(table["metric"], table[col])]
    out["diff"] = [_fmt_value(m, v, signed=True) for m, v in zip(table["metric"], table["diff"])]
    out["diff_pct"] = [signed_pct(v) for v in table["diff_pct"]]
    out["likely_reason"] = table["likely_reason"]
    return out.reset_index(drop=True)


def no_luopan_note(month: str) -> str:
    """What chapter 2 says when ``data/external`` holds no 罗盘 download for ``month``."""
    return (f"data/external 中没有 {month} 的罗盘“退款分析”下载，本章只列出本工具自己的数字。"
            "在抖音电商罗盘的“退款分析”页面选择该月并下载明细，把得到的"
            "“抖音电商罗盘-退款分析-日期.xlsx”放入 data/external 后重新生成报告，即可逐日对照。")


def summary_zh(monthly: pd.DataFrame, luopan: pd.DataFrame, month: str,
               as_of: pd.Timestamp | None = None) -> str:
    """One Chinese paragraph with the month's kit vs 罗盘 figures (from :func:`reconcile_month`),
    the files used and both data cutoffs."""
    lp = luopan[in_month(luopan["date"], month)]
    files = "、".join(sorted(lp["source_file"].dropna().unique()))
    cutoff = pd.Timestamp(lp["downloaded"].max()) - pd.Timedelta(days=1)
    text = f"罗盘下载（{files}）的数据截至 {cutoff:%m-%d}"
    if as_of is not None and pd.notna(as_of):
        text += f"，本工具的导出截至 {pd.Timestamp(as_of):%m-%d %H:%M}"
    text += "。"
    for rec in monthly.to_dict("records"):
        m = rec["metric"]
        pct_txt = "" if pd.isna(rec["diff_pct"]) else "，" + signed_pct(rec["diff_pct"])
        text += (f"{BASIS_ZH.get(rec['basis'], rec['basis'])}·{METRIC_ZH.get(m, m)}：罗盘 "
                 f"{_fmt_value(m, rec['luopan'])}，本工具 {_fmt_value(m, rec['kit'])}，差额 "
                 f"{_fmt_value(m, rec['diff'], signed=True)}{pct_txt}（{rec['days']} 天）。")
    return text


def daily_chart_frame(daily: pd.DataFrame, metric: str = "refund_amount",
                      basis: str = "pay_time") -> pd.DataFrame:
    """``date, kit, luopan`` of one metric and basis, for ``rk.plots.lines``."""
    d = daily[(daily["metric"] == metric) & (daily["basis"] == basis)]
    return d[["date", "kit", "luopan"]].reset_index(drop=True)
