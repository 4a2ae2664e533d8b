"""The definitions chapter 1 prints beside the figures, and the function behind each."""

from __future__ import annotations

import pandas as pd

__all__ = ["DEFINITIONS_ZH", "DEFINITION_FUNCTIONS", "definitions_table"]


#: Chinese definitions shown beside the figures (chapter 1) — keep in step with the docstrings.
DEFINITIONS_ZH: dict[str, str] = {
    "申请口径（售后申请时间）": "售后申请时间落在本月的售后单，按状态分为完结（退款成功、换货/补寄完成）、处理中（待买家/商家/物流/仲裁）、关闭/拒绝。对应文章中按自然月从【售后管理】导出的数据。",
    "支付口径（支付完成时间）": "支付完成时间落在本月的子订单为分母，无论其售后何时发生都计入（与罗盘“退款率（支付时间）”同口径）。月末后仍会有退货陆续到来，未满成熟期的月份标为“暂估”。",
    "支付口径的售后单": "本月支付的子订单发起的售后单（不论申请在哪个月），按售后类型和状态拆分；下月才申请的退款计入支付口径、不计入本月申请口径。",
    "退款率（订单数）": "至少有一笔退款成功（退货退款、已发货仅退款、未发货仅退款）的子订单数 ÷ 本月支付子订单数；同一子订单多次售后只计一次。",
    "退款率（金额）": "上述退款的退商品金额之和（每个子订单不超过其应付金额）÷ 本月支付金额（订单应付金额之和）。",
    "退货率": "退货退款成功（货物退回）的子订单数 ÷ 本月支付子订单数；不含仅退款。",
    "品退率": "因质量问题、描述不符、物流问题（含破损）、发错/漏发而退款成功的子订单数 ÷ 本月支付子订单数（参照商家体验分“品质退货率”，买家主观原因不计入）。",
    "破损率": "有破损类售后（未关闭、未被拒绝）的子订单数 ÷ 该快递发货的子订单数。",
    "覆盖率": "本月申请的售后单中，商品单号能在订单导出中找到的比例；找不到的仍计入申请口径，但无法归入任何支付月份，单独列出。",
    "成熟期": "支付口径在月末后满若干天（默认 30 天，见 conf/base/report.yml）才算基本稳定；之前的比率为暂估，通常还会上升。",
    "置信区间": "Wilson 95% 区间：订单越少区间越宽。排名按区间下限排序，样本不足（少于 30 单）的排在最后，避免 3 单退 2 单的商品因偶然排到第一。",
}

#: The function of this module behind each figure of :data:`DEFINITIONS_ZH` (its docstring holds
#: the definition the Chinese text paraphrases).
DEFINITION_FUNCTIONS: dict[str, str] = {
    "申请口径（售后申请时间）": "application_view, application_table",
    "支付口径（支付完成时间）": "cohort_view",
    "支付口径的售后单": "cohort_status_view, cohort_table, views_by_type",
    "退款率（订单数）": "cohort_view (refund_rate_count), sub_order_outcomes",
    "退款率（金额）": "cohort_view (refund_rate_amount)",
    "退货率": "cohort_view (return_rate_count)",
    "品退率": "cohort_view (quality_return_rate)",
    "破损率": "carriers, damage_cells",
    "覆盖率": "coverage_summary, coverage",
    "成熟期": "cohort_maturity, report_settings",
    "置信区间": "wilson_interval, rate_table",
}


def definitions_table() -> pd.DataFrame:
    """:data:`DEFINITIONS_ZH` as a table (``metric``, ``description``, ``function``), the
    function being ``returns_kit.metrics.<name>`` whose docstring defines the figure."""
    rows = [{"metric": k, "description": v,
             "function": ", ".join(f"returns_kit.metrics.{f.strip()}"
                                   for f in DEFINITION_FUNCTIONS.get(k, "").split(",") if f.strip())}
            for k, v in DEFINITIONS_ZH.items()]
    return pd.DataFrame(rows, columns=["metric", "description", "function"])
