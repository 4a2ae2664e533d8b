"""Presenting results in the notebooks: Chinese labels, percentages, escaped HTML tables.

Analysis functions return DataFrames with English snake_case columns; these helpers turn them
into what a manager reads.  Every cell is HTML-escaped, so buyer-written text such as
``<script>`` shows as text.
"""

from __future__ import annotations

import html
import math
from typing import Any, Iterable

import pandas as pd

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


def pct(x: Any, digits: int = 1) -> str:
    """0.1534 → "15.3%"; missing → "—"."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "—"
    return f"{float(x) * 100:.{digits}f}%"


def money(x: Any) -> str:
    if x is None or pd.isna(x):
        return "—"
    return f"¥{float(x):,.2f}"


def _is_number(col: str, value: Any) -> bool:
    return col in PERCENT or col in MONEY or (
        isinstance(value, (int, float)) and not isinstance(value, bool))


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


def table(frame: pd.DataFrame, columns: Iterable[str] | None = None, max_rows: int = 30,
          caption: str | None = None):
    """Notebook display of :func:`table_html`."""
    from IPython.display import HTML

    return HTML(table_html(frame, columns, max_rows, caption))


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
