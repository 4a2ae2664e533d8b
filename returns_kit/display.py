"""Presenting results in the notebooks: Chinese labels, percentages, escaped HTML tables.

Analysis functions return DataFrames with English snake_case columns; these helpers turn them
into what a manager reads.  Every cell is HTML-escaped, so buyer-written text such as
``<script>`` shows as text.
"""

from __future__ import annotations

import html
import math
import numbers
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pandas as pd

from .core.jsonable import jsonable
from .core.mime import TABLE_MIME
from .model import AFTER_SALE_COLUMNS, AFTER_SALE_TYPES_ZH, ORDER_COLUMNS, STATUS_GROUPS_ZH

#: snake_case column → Chinese header
LABELS: dict[str, str] = {
    "file": "文件", "kind": "类型", "rows_read": "读取行数", "rows_kept": "保留行数",
    "duplicates": "重复(已合并)", "rejected": "隔离行数", "row": "行号", "column": "列",
    "reason": "原因", "value": "原值",
    "after_sale_id": "售后单号", "sub_order_id": "子订单编号", "order_id": "订单号",
    "product_id": "商品ID", "product_name": "商品名称", "after_sale_type": "售后类型",
    "status": "售后状态", "status_group": "状态", "apply_time": "售后申请时间",
    "refund_goods_amount": "退商品金额(元)", "source_file": "来源文件",
    "finished": "完结", "in_progress": "处理中", "closed": "关闭/拒绝", "unknown": "未知状态",
    "total": "合计",
    "paid_sub_orders": "支付子订单数", "refunded": "退款子订单数", "refund_rate": "退款率",
    "ci_low": "95%区间下限", "ci_high": "95%区间上限", "excess_refunds": "超出均值的退款单",
    "low_volume": "样本不足",
    "province": "省份", "city": "城市", "carrier": "快递公司", "shipped_sub_orders": "发货子订单数",
    "damaged": "破损售后", "damage_rate": "破损率",
    "date": "日期", "applications": "当日售后申请", "by_pay_time": "退款金额(支付时间)",
    "by_refund_time": "退款金额(退款时间)",
    "category": "原因分类", "count": "数量", "share": "占比",
    "refunds": "退款笔数", "refund_goods": "退商品金额(元)", "refund_shipping": "退运费(元)",
    "refund_total": "退款合计(元)",
    "group": "组别", "period": "阶段", "baseline": "基线(前7日均值)", "ratio": "倍数",
    "fired": "触发预警", "metric": "指标", "low": "下限", "high": "上限", "source": "来源",
    "as_of": "日期", "own_rate": "本店", "name": "名称", "description": "说明", "start_date": "开始日期",
}

#: values translated in any column (canonical column names too, e.g. in the quarantine table)
VALUES: dict[str, str] = {
    **{c.name: c.zh for c in (*ORDER_COLUMNS, *AFTER_SALE_COLUMNS)},
    **AFTER_SALE_TYPES_ZH, **STATUS_GROUPS_ZH,
    "after_sales": "售后单", "orders": "订单", "treated": "试点商品", "control": "对照商品",
    "before": "调整前", "after": "调整后",
}

#: columns shown as percentages
PERCENT = {"refund_rate", "ci_low", "ci_high", "damage_rate", "share", "ratio_pct",
           "refund_rate_count", "refund_rate_amount", "return_rate_count", "quality_return_rate",
           "low", "high", "own_rate"}
MONEY = {"refund_goods_amount", "refund_goods", "refund_shipping", "refund_total", "paid_amount",
         "by_pay_time", "by_refund_time", "refunded_amount"}

#: chapters 1 and 3 (views side by side, breakdowns): labels, values, formats
LABELS.update({
    **{f"{p}_{g}": f"{v}·{z}" for p, v in (("app", "申请口径"), ("cohort", "支付口径"))
       for g, z in (*STATUS_GROUPS_ZH.items(), ("total", "合计"))},
    "paid_amount": "支付金额(元)", "refund_amount": "退款金额(元)", "unit_price": "单价(元)",
    "price_band": "价格带", "creator_id": "达人ID", "creator_name": "达人",
    "traffic_source": "流量来源", "traffic_format": "流量体裁", "traffic_channel": "流量渠道",
    "traffic_type": "流量类型", "buyer_type": "客户类型", "buyers": "买家数(近似)",
    "label": "周", "days": "天数", "partial": "不完整周", "first_day": "起", "last_day": "止",
    "weekday_zh": "星期", "orders_per_day": "日均支付子订单", "promotion": "大促",
    "damage_ci_low": "破损率区间下限", "damage_ci_high": "破损率区间上限",
    "excess_damaged": "超出均值的破损单", "p25": "25%分位(天)", "median": "中位数(天)",
    "p75": "75%分位(天)", "p90": "90%分位(天)", "mean": "平均(天)",
    "within_3d": "3天内申请", "within_7d": "7天内申请", "peak": "峰值日", "approximate": "日期为估计",
    "start": "开始", "end": "结束", "note": "备注", "function": "计算函数（文档字符串即定义）",
    "with_order": "找到订单", "after_sales_without_order": "找不到订单",
    "share_without_order": "找不到订单占比", "refund_amount_without_order": "其中已退款金额(元)",
})
VALUES.update({"new": "新客", "repeat": "复购客", "unidentified": "无法识别", "all": "全部"})
PERCENT |= {"damage_ci_low", "damage_ci_high", "within_3d", "within_7d", "share_without_order"}
MONEY |= {"refund_amount", "unit_price", "refund_amount_without_order"}

#: chapters 6–8 (benchmarks, costs, interventions): labels, formats
LABELS.update({
    "product_category": "类目", "price": "单价(元)", "bench_category": "参考类目",
    "bench_low": "参考下限", "bench_high": "参考上限", "bench_source": "参考来源", "bench_as_of": "参考日期",
    "verdict": "对比结论", "shop": "店铺", "return_rate": "退货率(第三方)",
    "competitor_shop": "竞品店铺", "competitor_product": "竞品商品", "competitor_price": "竞品单价(元)",
    "competitor_rate": "竞品退货率", "gap": "高出(百分点)", "evidence": "依据",
    "after_sales": "售后单数", "freight": "往返运费", "packaging": "包装损耗", "payment_fee": "支付手续费",
    "write_off": "货损报废", "resale_markdown": "二次销售折价", "capital": "资金占用",
    "lost_repeat": "复购损失", "experience_score": "体验分影响", "explicit": "显性成本",
    "implicit": "隐性成本", "per_after_sale": "每笔成本", "component": "成本项", "amount": "金额",
    "assumption": "假设（可在 conf/base/costs.yml 修改）", "goods_value": "应付金额(元)",
    "cost_basis": "成本(元)", "days_to_refund": "申请到退款(天)", "month": "月份",
    "window_start": "窗口起", "window_end": "窗口止", "test": "检验", "estimate": "估计",
    "p_value": "p 值", "before_rate": "调整前", "after_rate": "调整后", "control_before": "对照·调整前",
    "control_after": "对照·调整后", "effect": "效果(双重差分)", "recommendation": "建议",
    "total_cost": "总成本", "interval": "95%区间", "table": "口径",
})
PERCENT |= {"bench_low", "bench_high", "return_rate", "competitor_rate", "before_rate", "after_rate",
            "control_before", "control_after"}
MONEY |= {"price", "competitor_price", "freight", "packaging", "payment_fee", "write_off",
          "resale_markdown", "capital", "lost_repeat", "experience_score", "explicit", "implicit",
          "per_after_sale", "amount", "goods_value", "cost_basis", "total_cost"}

#: chapter 2 (data-source reconciliation: kit vs 罗盘 / third-party tools)
LABELS.update({
    "kit": "本工具", "kit_adjusted": "本工具(按罗盘定义)", "luopan": "罗盘", "diff": "差额(罗盘−本工具)",
    "diff_pct": "差异率", "likely_reason": "可能原因", "basis": "退款口径", "days_missing": "罗盘缺数据天数",
    "rows": "行数", "is_own": "本店商品", "stage": "退款阶段", "sale_type": "售卖类型",
    "carrier_type": "载体", "refund_buyers": "退款人数", "refund_orders": "退款订单数",
    "refund_rate_count": "退款率(订单数)", "refund_rate_amount": "退款率(金额)",
})


def pct(x: Any, digits: int = 1) -> str:
    """0.1534 → "15.3%"; missing → "—"."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "—"
    return f"{float(x) * 100:.{digits}f}%"


def money(x: Any) -> str:
    """1234.5 → "¥1,234.50"; missing → "—"."""
    if x is None or pd.isna(x):
        return "—"
    return f"¥{float(x):,.2f}"


def signed_pct(x: Any) -> str:
    """A change as a signed percentage: 0.012 → "+1.2%", −0.012 → "−1.2%"; missing → "—"."""
    if x is None or pd.isna(x):
        return "—"
    return ("+" if x > 0 else "−" if x < 0 else "") + pct(abs(float(x)))


def pct_g(x: float) -> str:
    """A parameter as a short percentage: 0.006 → "0.6%", 0.1 → "10%"."""
    return f"{x * 100:g}%"


def p_text(p: Any) -> str:
    """A p-value as the report writes it: 0.0213 → "0.021"; below 0.001 → "<0.001"; NaN → "—"."""
    if p is None or p != p:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p: Any) -> str:
    """A p-value inside a sentence: "p = 0.021", "p < 0.001", "p 无法计算" for NaN."""
    if p is None or p != p:
        return "p 无法计算"
    text = p_text(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def points_text(x: Any) -> str:
    """A rate difference in percentage points: −0.0712 → "−7.1 个百分点"; NaN → "—"."""
    if x is None or x != x:
        return "—"
    return f"{x * 100:+.1f} 个百分点".replace("-", "−")


def _is_number(col: str, value: Any) -> bool:
    return col in PERCENT or col in MONEY or (
        isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_)))


def _cell(col: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "是" if value else ""
    elif col in PERCENT:
        text = pct(value)
    elif col in MONEY:
        text = money(value)
    elif isinstance(value, pd.Timestamp):
        text = "—" if pd.isna(value) else (value.strftime("%Y-%m-%d") if value == value.normalize()
                                            else value.strftime("%Y-%m-%d %H:%M"))
    elif value is None or (not isinstance(value, str) and pd.isna(value)):
        text = "—"
    elif isinstance(value, float):
        text = f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = VALUES.get(str(value), str(value))
    return html.escape(text)


def table_html(frame: pd.DataFrame, columns: Iterable[str] | None = None, max_rows: int = 30,
               caption: str | None = None) -> str:
    """An escaped HTML table with Chinese headers (at most ``max_rows`` rows, says so if cut)."""
    cols = list(columns) if columns is not None else list(frame.columns)
    shown = frame.head(max_rows)
    first = shown[cols].iloc[0] if len(shown) else {}
    num = {c for c in cols if len(shown) and _is_number(c, first[c])}

    def td(tag: str, col: str, text: str) -> str:
        align = "right" if col in num else "left"
        return f"<{tag} style='text-align:{align}'>{text}</{tag}>"

    head = "".join(td("th", c, html.escape(LABELS.get(c, c))) for c in cols)
    body = "".join(
        "<tr>" + "".join(td("td", c, _cell(c, v)) for c, v in zip(cols, row)) + "</tr>"
        for row in shown[cols].itertuples(index=False)
    )
    note = ""
    if len(frame) > max_rows:
        note = f"<p class='rk-note'>共 {len(frame):,} 行，仅显示前 {max_rows} 行。</p>"
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f"<div class='rk-table'><table>{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>{note}")


#: columns that hold identifiers: always text in ``tables.xlsx`` (Excel would round a 19-digit ID)
ID_COLUMNS = {"product_id", "sub_order_id", "order_id", "after_sale_id", "after_sale_ids", "creator_id",
              "key", "tracking_no", "buyer_key"}


def column_kind(col: str, values: pd.Series) -> str:
    """How ``tables.xlsx`` stores a column: ``id`` (text), ``percent`` (a fraction shown as %),
    ``money`` (yuan, two decimals), ``number``, ``bool`` or ``text``."""
    if col in ID_COLUMNS or col.endswith("_id"):
        return "id"
    if col in PERCENT:
        return "percent"
    if col in MONEY:
        return "money"
    v = values.dropna()
    if len(v) and all(isinstance(x, (bool, np.bool_)) for x in v):
        return "bool"
    if len(v) and all(isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_)) for x in v):
        return "number"
    return "text"


def table_data(frame: pd.DataFrame, columns: Iterable[str] | None = None, caption: str | None = None,
               extra_ids: bool = True) -> dict[str, Any]:
    """The whole table (every row, not only those shown) as JSON for ``tables.xlsx``:
    ``caption``, ``columns`` [{key, label, kind}] (:func:`column_kind`; the frame's ID columns
    first when ``extra_ids``, so an analyst can look rows up) and ``rows``."""
    cols = list(columns) if columns is not None else list(frame.columns)
    if extra_ids:
        cols = [c for c in frame.columns if c in ID_COLUMNS and c not in cols] + cols
    values = [_json_column(frame[c]) for c in cols]
    return {"caption": caption,
            "columns": [{"key": c, "label": LABELS.get(c, c), "kind": column_kind(c, frame[c])} for c in cols],
            "rows": [list(r) for r in zip(*values)] if cols else [[] for _ in range(len(frame))]}


def _json_column(s: pd.Series) -> list[Any]:
    """The cells of ``s`` as :func:`~returns_kit.core.jsonable.jsonable` gives them, a column at a
    time: a drill-down sheet of a million-row month has a million cells."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):  # time_text, vectorised
        text = s.dt.strftime("%Y-%m-%d %H:%M:%S").where(s != s.dt.normalize(), s.dt.strftime("%Y-%m-%d"))
        return [None if v is None or v != v else v for v in text.tolist()]
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:  # text or null, at once
        return pa.Array.from_pandas(s).to_pylist()
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biu":  # plain numbers: as Python numbers
        return s.tolist()
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":  # NaN and infinities → null
        values = s.to_numpy()
        return np.where(np.isfinite(values), values, None).tolist()
    return [jsonable(v) for v in s.tolist()]


class Table:
    """A table as the report shows it (HTML, at most ``max_rows`` rows) and as ``tables.xlsx``
    receives it (every row, :data:`TABLE_MIME`)."""

    def __init__(self, frame: pd.DataFrame, columns: Iterable[str] | None = None, max_rows: int = 30,
                 caption: str | None = None) -> None:
        self.columns = list(columns) if columns is not None else list(frame.columns)
        self.html = table_html(frame, self.columns, max_rows, caption)
        self.frame, self.caption = frame, caption

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        import json

        data = table_data(self.frame, self.columns, self.caption)
        return {"text/html": self.html, TABLE_MIME: json.dumps(data, ensure_ascii=False, allow_nan=False)}


def table(frame: pd.DataFrame, columns: Iterable[str] | None = None, max_rows: int = 30,
          caption: str | None = None) -> Table:
    """Notebook display of :func:`table_html` (and of the whole table for ``tables.xlsx``)."""
    return Table(frame, columns, max_rows, caption)


def kpis(items: dict[str, Any]):
    """A row of key figures, e.g. ``{"退款率": "12.3%", "支付子订单": "4,012"}``."""
    from IPython.display import HTML

    cells = "".join(
        f"<div class='rk-kpi' style='{_KPI}'><div style='font-size:1.4em;font-weight:600'>"
        f"{html.escape(str(v))}</div><div style='color:#666'>{html.escape(str(k))}</div></div>"
        for k, v in items.items()
    )
    return HTML(f"<div class='rk-kpis' style='display:flex;flex-wrap:wrap;gap:8px'>{cells}</div>")


_KPI = "border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:7em"


def note(text: str):
    """A short Chinese sentence computed from the data (escaped)."""
    from IPython.display import HTML

    return HTML(f"<p class='rk-note'>{html.escape(text)}</p>")


#: chapter 4 (reasons, custom tags, suggestions, clicked-vs-written mismatches)
LABELS.update({
    "tag": "自定义标签", "prev_count": "上月数量", "prev_share": "上月占比", "share_change": "占比变化",
    "term": "词/短语", "notes": "留言数", "score": "特征度(TF-IDF)", "examples": "示例留言",
    "buyer_note": "用户售后说明", "reason_label": "售后原因标签", "detected_tags": "留言识别的标签",
    "tag_category": "留言指向", "top_tags": "主要标签(单数)", "tagged": "有标签的售后单",
    "reason_clicked": "买家点选的原因",
})
PERCENT |= {"prev_share", "share_change"}


def rate_ci(row: Any, rate: str = "refund_rate", low: str = "ci_low", high: str = "ci_high",
            extra: str = "") -> str:
    """A rate with its interval, as the report words it: ``"34.3%（95% 区间 29.6%–39.4%）"``.

    ``row`` is a mapping or a table row; ``extra`` goes inside the brackets (e.g. ``"，364 单"``).
    """
    return f"{pct(row[rate])}（95% 区间 {pct(row[low])}–{pct(row[high])}{extra}）"


#: the summary (chapter 0)
LABELS.update({
    "dimension": "维度", "name": "名称", "contribution": "贡献", "rate_effect": "其中退款率变化",
    "mix_effect": "其中销量占比变化", "rate_before": "上月同龄退款率", "rate_after": "本月退款率",
    "paid_before": "上月支付子订单", "paid_after": "本月支付子订单", "top_reason": "主要原因",
    "key": "编号（商品ID/达人ID/日期等）", "after_sale_ids": "售后单号", "pay_time": "支付时间",
})
PERCENT |= {"rate_before", "rate_after"}

_TONE = {"up": "#c44e52", "down": "#2e7d32", "flat": "#666"}


def kpi_cards(cards: Iterable[dict[str, str]]):
    """Headline figures as cards (two a row on a phone): ``label``, ``value``, ``change`` and a
    ``verdict`` coloured by ``tone`` (``up`` worse, ``down`` better, ``flat``); all escaped."""
    from IPython.display import HTML

    cells = "".join(
        f"<div class='rk-card'><div class='rk-card-value'>{html.escape(c['value'])}</div>"
        f"<div class='rk-card-label'>{html.escape(c['label'])}</div>"
        f"<div class='rk-card-change'>{html.escape(c['change'])}</div>"
        + (f"<div class='rk-card-verdict' style='color:{_TONE.get(c.get('tone', 'flat'), '#666')}'>"
           f"{html.escape(c['verdict'])}</div>" if c.get("verdict") else "")
        + "</div>"
        for c in cards)
    return HTML(f"<div class='rk-cards'>{cells}</div>")


def linked_list(items: Iterable[dict[str, str]], ordered: bool = True):
    """Sentences, each followed by a link into the report: ``text``, ``href`` (``#anchor``
    only: nothing leaves the page) and ``link``; all escaped."""
    from IPython.display import HTML

    rows = []
    for item in items:
        href = item.get("href", "")
        link = (f" <a class='rk-more' href='{html.escape(href)}'>→ {html.escape(item['link'])}</a>"
                if href.startswith("#") and item.get("link") else "")
        rows.append(f"<li>{html.escape(item['text'])}{link}</li>")
    tag = "ol" if ordered else "ul"
    return HTML(f"<{tag} class='rk-answer'>{''.join(rows)}</{tag}>")


def bullets(lines: Iterable[str], empty: str | None = None):
    """Lines as an escaped bullet list (``empty`` as a note when there are none)."""
    from IPython.display import HTML

    items = [f"<li>{html.escape(str(line))}</li>" for line in lines]
    if not items:
        return HTML(f"<p class='rk-note'>{html.escape(empty)}</p>" if empty else "")
    return HTML(f"<ul class='rk-lines'>{''.join(items)}</ul>")


def actions(items: Iterable[dict[str, str]], empty: str = "本月没有触发建议规则。"):
    """Suggested actions: the lever as a badge, the action, and the figure that triggered it."""
    from IPython.display import HTML

    rows = [f"<li><span class='rk-lever'>{html.escape(a['lever'])}</span> {html.escape(a['text'])}"
            f"<div class='rk-evidence'>依据：{html.escape(a['evidence'])}</div></li>" for a in items]
    if not rows:
        return HTML(f"<p class='rk-note'>{html.escape(empty)}</p>")
    return HTML(f"<ol class='rk-actions'>{''.join(rows)}</ol>")
