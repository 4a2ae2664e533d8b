"""Every chapter object on the hand-checked month of ``tiny_month`` (its docstring lists the
data): exact figures, exact sentences, and the ``metrics.json`` section each chapter emits."""

import copy
import json

import pandas as pd
import pytest

import tiny_month as tiny
from returns_kit import chapters, costs
from returns_kit.chapters.base import METRICS_MIME, Chapter
from returns_kit.chapters.context import Context
from returns_kit.core.jsonable import jsonable
from returns_kit.io import Intervention

T = pd.Timestamp
CATALOG = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "product_name": ["碎花裙", "收纳盒", "羊绒大衣"],
                        "category": ["女装/连衣裙", "家居/收纳", "女装/外套"], "cost_price": [None, None, None]})


@pytest.fixture(scope="module")
def ctx():
    return tiny.context()


def section(ch: Chapter) -> dict:
    """What the notebook would hand to the runner (JSON round trip included)."""
    return json.loads(json.dumps(jsonable(ch.metrics()), allow_nan=False))


# --------------------------------------------------------------------------------------------
# The context
# --------------------------------------------------------------------------------------------

def test_context_loads_the_month_once_and_refuses_unknown_inputs(ctx):
    assert ctx.month == "2026-10" and ctx.as_of == T("2026-11-25 09:00")
    assert len(ctx.outcomes) == 7  # every paid sub-order, September's S0 included
    assert ctx.tagger is ctx.tagger  # loaded on first use, then kept
    assert len(ctx.luopan) == 0 and ctx.interventions == []
    with pytest.raises(TypeError, match="unknown context input"):
        tiny.context(luopann=pd.DataFrame())
    assert "paid_sub_orders=7" in repr(ctx)


def test_context_reads_no_folder_when_none_is_given():
    c = Context.of("2026-10", tiny.dataset(), conf_dir=tiny.CONF)
    assert c.external_dir is None
    assert len(c.luopan) == 0 and len(c.third_party) == 0 and c.interventions == []
    assert list(c.external_files.columns) == ["file", "kind", "source", "rows"] and not len(c.external_files)


# --------------------------------------------------------------------------------------------
# Chapter 1
# --------------------------------------------------------------------------------------------

def test_chapter1_figures_and_sentences(ctx):
    ch = chapters.ch1_data_pull.build(ctx)
    assert ch.quality_kpis == {"读取行数": "14", "保留": "14", "重复(已合并)": "0", "隔离": "0"}
    assert ch.quarantine_note == "没有被隔离的行。"
    assert ch.view_kpis == {"申请口径·售后单": "6", "其中完结": "3", "处理中": "1", "关闭/拒绝": "2",
                            "支付口径·售后单（暂估）": "6", "涉及子订单": "5", "支付口径·处理中": "1"}
    assert ch.applied_after_note == (
        "支付口径中有 1 笔售后单在月末之后才申请：它们不在本月的申请口径里，但计入本月支付订单的退款。"
        "支付口径的数字为暂估：数据截至 2026-11-25，仍会有新的售后申请。")
    assert ch.cohort_kpis == {"支付子订单": "6", "支付金额": "¥1,067.70", "退款率(订单数)（暂估）": "50.0%",
                              "退款率(金额)（暂估）": "75.8%", "退货率（暂估）": "16.7%", "品退率（暂估）": "33.3%"}
    assert ch.maturity_note == ("数据截至 2026-11-25，距月末 24 天，成熟期 30 天：以上支付口径比率为暂估值，"
                                "仍会有退货陆续发生，通常还会上升。")
    assert ch.coverage_kpis == {"本月申请的售后单": "6", "找到订单": "5", "找不到订单": "1", "覆盖率": "83.3%"}
    assert ch.missing["after_sale_id"].tolist() == ["A6"]
    assert ch.missing_note == "本月申请的售后单中有 1 笔找不到对应订单。" and ch.all_missing_note is None
    assert ch.views.set_index("after_sale_type").loc["refund_unshipped", ["app_closed", "cohort_closed"]].tolist() == [1, 1]


def test_chapter1_section(ctx):
    m = section(chapters.ch1_data_pull.build(ctx))
    assert list(m) == ["month", "as_of", "data_quality", "application_view", "cohort_view",
                       "cohort_after_sales", "coverage"]
    assert m["as_of"] == "2026-11-25 09:00:00"
    assert m["application_view"] == {"after_sales": 6, "finished": 3, "in_progress": 1, "closed": 2, "unknown": 0}
    cv = m["cohort_view"]
    assert (cv["paid_sub_orders"], cv["paid_amount"], cv["refunded_sub_orders"], cv["refunded_amount"]) == (
        6, 1067.7, 3, 808.9)  # S1 capped at its ¥159 (A1 159 + A2 20), S5 600, S6 49.9
    assert cv["refund_rate_count"] == 0.5 and cv["return_rate_count"] == pytest.approx(1 / 6)
    assert cv["quality_return_rate"] == pytest.approx(2 / 6)
    assert (cv["days_since_month_end"], cv["maturity_days"], cv["provisional"]) == (24, 30, True)
    assert m["cohort_after_sales"] == {"after_sales": 6, "finished": 4, "in_progress": 1, "closed": 1,
                                       "unknown": 0, "sub_orders_with_after_sale": 5, "applied_after_month": 1}
    assert m["coverage"]["after_sales_without_order"] == 1


# --------------------------------------------------------------------------------------------
# Chapter 2
# --------------------------------------------------------------------------------------------

LUOPAN = pd.DataFrame({
    "date": [T("2026-10-01")], "basis": ["订单支付时间"], "sale_type": [None], "carrier_type": [None],
    "stage": ["全部退款阶段"], "refund_buyers": pd.array([1], dtype="Int64"),
    "refund_orders": pd.array([1], dtype="Int64"), "refund_amount": [167.0], "refund_rate": [0.5],
    "source_file": ["抖音电商罗盘-退款分析-2026_11_20.xlsx"], "downloaded": [T("2026-11-20")]})


def test_chapter2_without_luopan_says_what_to_download(ctx):
    ch = chapters.ch2_source_comparison.build(ctx)
    assert ch.months.to_dict("records") == [
        {"month": "2026-09", "paid_sub_orders": 1, "refunded": 0, "refund_rate_count": 0.0,
         "refund_rate_amount": 0.0, "applications": 0},
        {"month": "2026-10", "paid_sub_orders": 6, "refunded": 3, "refund_rate_count": 0.5,
         "refund_rate_amount": pytest.approx(808.9 / 1067.7), "applications": 6}]
    clocks = ch.clocks.set_index("date")
    assert clocks.loc[T("2026-10-12"), "by_pay_time"] == 600.0  # S5 paid 10-12, refunded in November
    assert clocks.loc[T("2026-10-07"), "by_refund_time"] == 159.0  # A1 refunded 10-07
    assert clocks["by_refund_time"].sum() == pytest.approx(20.0 + 159.0 + 49.9)  # A4 refunded 11-03
    assert ch.monthly_note.startswith("data/external 中没有 2026-10 的罗盘“退款分析”下载")
    assert ch.files_note == "data/external 中没有任何文件：本章只列出本工具自己的数字。"
    assert section(ch) == {"source_comparison": {"luopan_files": 0, "third_party_rows": 0, "luopan": []}}


def test_chapter2_beside_luopan():
    ch = chapters.ch2_source_comparison.build(tiny.context(luopan=LUOPAN))
    assert ch.monthly_note == (
        "罗盘下载（抖音电商罗盘-退款分析-2026_11_20.xlsx）的数据截至 11-19，本工具的导出截至 11-25 09:00。"
        "支付时间口径·退款金额(元)：罗盘 ¥167.00，本工具 ¥159.00，差额 +¥8.00，+5.0%（1 天）。"
        "支付时间口径·退款订单数：罗盘 1，本工具 1，差额 0，0.0%（1 天）。")
    assert ch.daily_title == "2026-10 每日退款金额：本工具 vs 罗盘（支付时间口径，元）"
    assert ch.daily_note == "31 天中有 0 天两边的退款金额和退款订单数完全一致，其余日子如下。"
    first = ch.daily_chart.iloc[0]
    assert (first["kit"], first["luopan"], first["diff"]) == (159.0, 167.0, 8.0)
    [amount, orders] = section(ch)["source_comparison"]["luopan"]
    assert amount == {"basis": "pay_time", "metric": "refund_amount", "days": 1, "days_missing": 30,
                      "kit": 159.0, "luopan": 167.0, "diff": 8.0, "diff_pct": pytest.approx(8 / 159),
                      "likely_reason": "罗盘退款金额含退运费，本工具只计退商品金额（两边都不含罗盘缺数据的 30 天）"}
    assert orders["likely_reason"] == "一致（两边都不含罗盘缺数据的 30 天）"


# --------------------------------------------------------------------------------------------
# Chapter 3
# --------------------------------------------------------------------------------------------

def test_chapter3_sentences(ctx):
    ch = chapters.ch3_breakdown.build(ctx)
    assert ch.overall == 0.5
    assert ch.intro_note == ("全店本月支付 6 个子订单，退款率 50.0%（暂估：数据截至 2026-11-25，距月末 24 天，"
                             "不足 30 天，以下比率都还会上升）。")
    assert ch.promotion_note == ("本月的大促：国庆 10-01–10-07；双11 10-20–10-31（日期为估计）。"
                                 "下表比较大促期间与其他日子支付订单的退款率。")
    # Mondays 10-05 (S4) and 10-12 (S5, refunded): 1 of 2; ties with Thursday and Saturday go first
    assert ch.weekday_note == "退款率最高的是周一：50.0%（95% 区间 9.5%–90.5%，本月共 4 个周一，日均 0 单）。"
    assert ch.top_note == ("退款风险最高的商品是「羊绒大衣」（¥500+）：1 单中退款 1 单，"
                           "退款率 100.0%（95% 区间 20.7%–100.0%），全店平均 50.0%。")
    # repeat: S1 S2 (K1 bought in September) and S4 (K2's second order); new: S3 S5; S6 has no key
    assert ch.customer_note == ("复购客退款率 33.3%（95% 区间 6.1%–79.2%，3 单），"
                                "新客 50.0%（95% 区间 9.5%–90.5%，2 单）。按近似的买家标识统计。")
    assert ch.province_note == ("退款率最高的省份是新疆维吾尔自治区：66.7%（95% 区间 20.8%–93.9%，3 单），"
                                "是全店平均的 1.3 倍。")
    assert ch.city_note == "城市按同样规则排序（少于 30 单的城市排在最后并标“样本不足”），共 5 个城市，显示前 15 个。"
    assert ch.carrier_note == ("破损率最高的快递是顺丰速运：发货 2 单，破损售后 1 单，"
                               "破损率 50.0%（95% 区间 9.5%–90.5%）。")
    assert ch.damage_note == "2 个快递 × 省份组合中有 0 个发货量足够；下表按破损率区间下限排序。"
    # lags: S1 3.0 days (A1), S3 6.0 (A3), S5 20.0 (A4); S4 applied before shipping
    assert ch.lag_note == "3 个子订单在发货后申请了售后：中位数 6.0 天，一半在 4.5–13.0 天之间，66.7% 在 7 天内申请。"
    assert ch.creator_note == ("退款风险最高的达人是「小鹿穿搭日记」：带来 3 单，退款 2 单，退款率 66.7%"
                               "（95% 区间 20.8%–93.9%），店铺自营/无达人订单为 33.3%，全店平均 50.0%。")
    assert list(ch.traffic) == ["traffic_source", "traffic_format", "traffic_channel"]
    assert ch.bands_chart["price_band"].tolist() == ["¥0–50", "¥100–200", "¥500+"]


def test_chapter3_section_holds_the_tables_it_shows(ctx):
    ch = chapters.ch3_breakdown.build(ctx)
    m = section(ch)
    assert [p["product_id"] for p in m["top_products"]] == ch.top["product_id"].tolist() == ["P3", "P1", "P2"]
    assert m["top_products"][1] == {
        "product_id": "P1", "product_name": "碎花裙", "category": None, "price_band": "¥100–200",
        "unit_price": 159.0, "paid_sub_orders": 2, "paid_amount": 318.0, "refunded": 1,
        "refund_amount": 159.0, "refund_rate": 0.5, "ci_low": pytest.approx(0.0945, abs=1e-4),
        "ci_high": pytest.approx(0.9055, abs=1e-4), "low_volume": True}
    assert [p["province"] for p in m["provinces"]] == ["新疆维吾尔自治区", "浙江省", "广东省"]
    sf = m["carriers"][0]
    assert (sf["carrier"], sf["shipped_sub_orders"], sf["damaged"], sf["damage_rate"]) == ("顺丰速运", 2, 1, 0.5)
    assert [c["creator_name"] for c in m["creators"]] == ["小鹿穿搭日记", "店铺自营/无达人"]


def test_chapter3_uses_the_report_settings():
    ch = chapters.ch3_breakdown.build(tiny.context(settings={"min_orders": 2, "price_bands": [0, 100]}))
    assert not ch.top.set_index("product_id").loc["P1", "low_volume"]  # 2 orders ≥ 2
    assert ch.top["product_id"].tolist()[0] == "P1"  # volume before luck: P3 has 1 order
    assert set(ch.top["price_band"]) == {"¥0–100", "¥100+"}
    assert "少于 2 单的城市" in ch.city_note


# --------------------------------------------------------------------------------------------
# Chapter 4
# --------------------------------------------------------------------------------------------

def test_the_summary_counts_the_kept_hidden_quality_returns_without_the_tagger(ctx):
    """Chapter 4 and the summary read the same ``ctx.mismatches`` (kept beside the month): a
    kernel showing the summary never loads the tagger and fits its model for a count."""
    assert ctx.mismatches["after_sale_id"].tolist() == ["A2"]
    without = tiny.context(tagged=ctx.tagged, mismatches=ctx.mismatches, tagger=None)
    assert section(chapters.ch0_summary.build(without)) == section(chapters.ch0_summary.build(ctx))
    assert "evidence" not in ctx.mismatches  # chapter 4 adds its evidence to a copy
    chapters.ch4_reasons.build(ctx)
    assert "evidence" not in ctx.mismatches


def test_chapter4_tags_sentences_and_section(ctx):
    ch = chapters.ch4_reasons.build(ctx)
    tags = dict(zip(ch.tagged["after_sale_id"], ch.tagged["tags"]))
    assert tags == {"A1": ("尺码不准",), "A2": ("做工粗糙",), "A3": ("包装防护不足",), "A5": ("拍错多拍",),
                    "A6": (), "A7": ("拍错多拍",)}
    assert ch.trend_note == "本月售后申请 6 单，占比最大的是主观原因（50.0%）。"
    assert ch.unknown_note == "所有原因均已归类。"
    assert ch.coverage_note == "本月 6 单售后中 5 单写了有内容的说明，其中 5 单（100.0%）被规则或模型识别出标签。"
    assert ch.model_note.endswith("本月的说明中，它补上 0 个规则漏掉的标签（概率 ≥ 0.60），否决 0 个规则命中（概率 < 0.02，每种不同的说明计一次）。")
    assert ch.suggestions_note == "本月有内容的说明都已被现有规则识别，暂无新词建议。"
    assert ch.mismatch_note == ("本月点选无理由原因的售后 3 单，其中 1 单的说明指向品质/描述/发货/破损问题"
                                "（33.3%）。")
    assert ch.mismatches["after_sale_id"].tolist() == ["A2"]  # clicked 多拍, wrote 线头太多
    # the TOP20 of chapter 3, in chapter 3's order
    assert ch.by_product["product_id"].tolist() == ["P3", "P1", "P2"]
    assert ch.by_product.set_index("product_id").loc["P1", "top_tags"] == "尺码不准 1、做工粗糙 1、包装防护不足 1"
    m = section(ch)
    assert m["reasons"][0] == {"category": "主观原因", "reason": "多拍 / 错拍 / 不想要", "count": 3, "share": 0.5}
    assert m["custom_tags"][0] == {"tag": "拍错多拍", "category": "主观原因", "count": 2,
                                   "share": pytest.approx(2 / 6)}
    assert m["reason_mismatches"] == 1
    assert ch.mismatch_table[ch.evidence_heading].tolist() == ["做工粗糙「线头」"]  # the words that fired
    assert m["tag_quality"]["frozen"]["notes"] == 336 and m["tag_quality"]["training"]["notes"] > 2000
    assert ch.quality_table["标注留言"].tolist() == ["冻结留出集（从未用于编写规则或训练模型）",
                                                 "训练留言（编写规则、训练模型所用，仅作对照）"]


# --------------------------------------------------------------------------------------------
# Chapter 5
# --------------------------------------------------------------------------------------------

def test_chapter5_quiet_month(ctx):
    ch = chapters.ch5_monitoring.build(ctx)
    assert ch.anomalies == [] and ch.anomaly_dates == []
    assert ch.summary.endswith("本月有 19 个大促日（10-01 起），大促日只和往期大促日比较。本月两个时钟都没有触发预警。")
    assert ch.heatmap_note == "所有单元格的订单都少于 10 单，无法比较。"
    assert ch.funnel_summary == ("本月 6 笔支付子订单中 3 笔退款成功（50.0%）；流失最多的环节是"
                                 "「签收后（退货退款/仅退款）」：2 笔，占退款订单的 67%。")
    assert dict(zip(ch.funnel["stage"], ch.funnel["sub_orders"])) == {
        "paid": 6, "shipped": 5, "received": 3, "applied": 5, "refunded": 3}
    assert ch.funnel_table["子订单数"].tolist() == ["6", "5", "3", "5", "3"]
    assert ch.band_note.startswith("行业参考：服饰类退款率 20%–30%，来源：《抖音店如何调出每个月的退货数据》")
    assert ch.band_note.endswith("本月全店退款率 50.0%。全店包含多个类目，与单一类目的行业区间只能粗略比较。")
    title, lines = ch.alert_preview
    assert title is None and lines.empty
    m = section(ch)
    assert m["anomalies"] == []
    assert m["anomaly_settings"]["promotion_days"][:2] == ["2026-10-01", "2026-10-02"]
    assert len(m["anomaly_settings"]["promotion_days"]) == 19


def test_chapter5_previews_the_message_of_a_spike():
    """A shop alert of the cohort clock and an ongoing day after it: the chapter previews the
    alert only, and marks the day on the trend."""
    ch = chapters.ch5_monitoring.build(tiny.context())
    spike = {"date": "2026-10-17", "period": None, "clock": "cohort", "metric": "refund_rate_at_age",
             "scope": "shop", "product_id": None, "product_name": None, "rule": "cohort",
             "rule_zh": "同龄比较（支付口径）", "value": 0.45, "baseline": 0.13, "ratio": 3.46, "observed": 196,
             "expected": 56.7, "paid_sub_orders": 436, "z": 9.0, "p_value": 1e-50, "alpha": 0.03,
             "baseline_kind": "normal", "promotion": False, "status": "alert", "pushed": True, "drivers": {}}
    ongoing = dict(spike, date="2026-10-18", status="ongoing", pushed=False)
    ch.detection.anomalies = [spike, ongoing]
    title, lines = ch.alert_preview
    assert title == "【退货预警】2026-10"
    assert lines["消息内容"].tolist()[0] == ("10-17 全店支付后 10 天内退款率 45.0%（预期 13.0%，436 单），3.5 倍"
                                          "〔同龄比较 p < 0.001〕")
    assert len(lines) == 2 and lines["消息内容"].iloc[1].startswith("详见 2026-10")
    assert ch.anomaly_dates == ["2026-10-17"]
    assert ch.alert_table["推送"].tolist() == ["是"]


# --------------------------------------------------------------------------------------------
# Chapter 6
# --------------------------------------------------------------------------------------------

def test_chapter6_reference_verdicts_and_section():
    ch = chapters.ch6_benchmarks.build(tiny.context(catalog=CATALOG))
    assert ch.summary == ("2 个类目×价格带有行业参考值（1 个没有）。没有哪一格整体高于参考区间。"
                          "退款率高于参考上限、但区间与参考区间重叠（可能是偶然）的：女装/外套（¥500+，100.0%）、"
                          "女装/连衣裙（¥100–200，50.0%）。参考值并非平台官方数据，口径也未必一致，只作方向性参考。")
    assert ch.competitor_note.startswith("data/external 中没有第三方工具")
    assert ch.flags.empty and ch.flag_notes == []
    segments = section(ch)["benchmarks"]["segments"]
    assert [(s["category"], s["verdict"]) for s in segments] == [
        ("女装/外套", "偏高（区间重叠）"), ("女装/连衣裙", "偏高（区间重叠）"), ("家居/收纳", "无参考值")]
    assert segments[2]["bench_low"] is None


def test_chapter6_flags_a_worse_product_than_a_similar_competitor():
    third = pd.DataFrame({"source": ["蝉妈妈"], "shop": ["A 女装店"], "product_id": ["X1"],
                          "product_name": ["竞品大衣"], "category": ["女装/外套"], "price": [580.0],
                          "return_rate": [0.10], "as_of": ["2026-10"], "is_own": [False]})
    ch = chapters.ch6_benchmarks.build(tiny.context(third_party=third, settings={"min_orders": 1},
                                                    catalog=CATALOG))
    assert ch.flag_notes == [
        "本店「羊绒大衣」单价约 ¥600.00，本月 1 单退款 1 单，退款率 100.0%（95% 区间 20.7%–100.0%）；"
        "A 女装店「竞品大衣」¥580.00，退货率 10.0%（蝉妈妈，2026-10）。高出 90.0 个百分点，且区间下限仍高于竞品。"
        "建议优先检查尺码表是否清晰、面料（透气性、透光）与详情页描述是否一致、色差。"]
    [flag] = section(ch)["benchmarks"]["competitor_flags"]
    assert (flag["product_id"], flag["competitor_rate"], flag["gap"]) == ("P3", 0.1, pytest.approx(0.9))


# --------------------------------------------------------------------------------------------
# Chapter 7
# --------------------------------------------------------------------------------------------

def _simple_params():
    p = copy.deepcopy(costs.DEFAULT_PARAMS)
    p["explicit"].update(outbound_freight=4.0, packaging=1.5, payment_fee_rate=0.0,
                         write_off_rate={"default": 0.1}, write_off_not_returned=1.0, default_cost_ratio=0.5)
    p["explicit"]["return_freight"].update(mode="merchant", per_parcel=8.0, merchant_share={"default": 1.0})
    p["implicit"].update(resale_markdown_rate=0.0, annual_capital_rate=0.0, lost_repeat_rate=0.0,
                         experience_penalty=0.0)
    p["sensitivity"] = {"explicit.packaging": [0.0, 1.5], "explicit.outbound_freight": [4.0, 6.0]}
    return p


def test_chapter7_costs_by_hand():
    """Cost-bearing after-sales applied in October: A1 (退货退款), A2 (已发货仅退款), A5 (未发货).

    A1: freight 4 + return leg 8 = 12, packaging 1.5, write-off 159 × 0.5 × 0.1 = 7.95 → 21.45;
    A2: freight 4, packaging 1.5, not returned: 159 × 0.5 × 1.0 = 79.50 → 85.00; A5: nothing
    shipped → 0.  Total ¥106.45 over 3 after-sales = ¥35.48 each, 10.0% of ¥1,067.70 paid.
    """
    ch = chapters.ch7_costs.build(tiny.context(cost_params=_simple_params()))
    assert dict(zip(ch.lines["after_sale_id"], ch.lines["total_cost"])) == {"A2": 85.0, "A1": 21.45, "A5": 0.0}
    assert ch.kpis == {"计入成本的售后单": "3", "显性成本": "¥106.45", "隐性成本": "¥0.00", "总成本": "¥106.45",
                       "每笔售后": "¥35.48", "占本月支付金额": "10.0%"}
    assert ch.check["total_cost"].tolist() == [106.45] * 4
    assert ch.sensitivity.loc[0.0, 4.0] == 103.45 and ch.sensitivity.loc[1.5, 6.0] == 110.45
    assert ch.refunds.set_index("category").loc["描述不符", "refund_total"] == 167.0  # A1 159 + 8 shipping
    assert section(ch) == {"costs": {"after_sales": 3, "explicit": 106.45, "implicit": 0.0, "total": 106.45}}


# --------------------------------------------------------------------------------------------
# Chapter 8
# --------------------------------------------------------------------------------------------

def test_chapter8_by_hand():
    """P1 from 10-03 against every other product.  After window 10-03–10-25 (as-of 11-25 minus
    30 days); before window as long, cut at the first payment (09-20).  Treated 1/2 → 0/1,
    control pooled 0/1 → 1/2 — but that rise is P3 (S5, 10-12), which sells only after: each
    product compared with itself, the control is P2 alone, 0/1 → 0/1.  DiD = −50 points.
    Product-days: P1 09-20 0/1, 10-01 1/1, 10-03 0/1; P2 10-01 0/1, 10-05 0/1 → G = 4 days.
    Day scores (A − Ā)/H · (k − n·fit): 09-20 (−½)(−½) = ¼, 10-01 (−½)(½) = −¼, the others 0;
    se = √(4/3 · (1/16 + 1/16)) = √(1/6) = 0.408, t = −1.22 on 3 df, p = 0.308; 95% interval
    −0.5 ± 3.182 · 0.408.  No other product has 100 orders in each period (no drift term) and no
    fake start date has a control sale on both sides (no placebo); too few orders → 继续测试."""
    item = Intervention("详情页加尺码表", ["P1"], T("2026-10-03"), "碎花裙详情页加尺码对照表", [])
    ch = chapters.ch8_interventions.build(tiny.context(interventions=[item]))
    [rec] = section(ch)["interventions"]
    half = 3.182446 * (1 / 6) ** 0.5
    assert rec == {"name": "详情页加尺码表", "start_date": "2026-10-03", "before_rate": 0.5, "after_rate": 0.0,
                   "control_before": 0.0, "control_after": 0.5, "effect": -0.5,
                   "ci_low": pytest.approx(-0.5 - half, abs=1e-5), "ci_high": pytest.approx(-0.5 + half, abs=1e-5),
                   "p_value": pytest.approx(0.3081, abs=1e-4), "days": 4, "placebo_rank": None, "placebos": 0,
                   "naive_effect": -0.5, "naive_p_value": pytest.approx(0.3865, abs=1e-4), "before_orders": 2,
                   "after_orders": 1, "immature": False, "recommendation": "继续测试"}
    [part] = ch.sections()
    assert part["headline"] == (
        "【详情页加尺码表】2026-10-03 起。试点商品退款率 50.0% → 0.0%（调整前 09-20–10-02 2 单，"
        "调整后 10-03–10-25 1 单）；对照组 0.0% → 50.0%。按商品×天比较、扣除对照组同期变化后的效果 −50.0 个百分点"
        "（95% 区间 −179.9 至 +79.9 个百分点，p = 0.308，按 4 天聚类）。")
    assert part["description"] == "做了什么：碎花裙详情页加尺码对照表"
    assert part["warnings"] == [
        "⚠ 样本太少：试点商品调整前 2 单、调整后 1 单（每个阶段至少需要 100 单）。",
        "⚠ 没有指定对照商品：以全店其他商品作对照，每个商品和自己调整前比较（商品固定效应）。",
        "⚠ 1 个对照商品只在调整前或调整后有订单（新上架或停售），不参与比较。",
        "⚠ 对照组合计退款率变化 +50.0 个百分点，按商品各自前后比较为 +0.0 个百分点：差别来自各商品销量占比的变化"
        "（或只在一个阶段有订单的商品），不算作效果。",
        "⚠ 店内调整前后各有至少 100 单的其他商品只有 0 个（少于 3 个），估计不了商品自身的漂移：区间只含每天的波动，可能偏窄。",
        "⚠ 数据只覆盖调整前 13 天（调整后 23 天），两段长度不同；双重差分用同样的窗口比较对照组，仍然可比。"]
    assert part["recommendation"] == "建议：继续测试。样本太少，结论可能会变，先继续观察。"
    assert part["tests"]["interval"].tolist() == ["−179.9 至 +79.9 个百分点", "−90.5 至 +39.1 个百分点"]
    assert part["errors"] == ("误差来源：每天的波动（按 4 天聚类，标准误 40.8 个百分点）；"
                              "店内单量足够的其他商品不到 3 个，商品自身的漂移没有计入。")
    assert part["placebo"] == "安慰剂检验：调整前的 8 个假开始日，没有一个两侧都有试点商品和对照商品的订单，做不了安慰剂检验。"
    assert part["placebo_chart"]["label"].tolist() == ["真实 10-03"]


def test_chapter8_without_interventions(ctx):
    ch = chapters.ch8_interventions.build(ctx)
    assert ch.results == [] and ch.sections() == [] and section(ch) == {"interventions": []}
    assert ch.rules["recommendation"].tolist() == ["继续测试", "全店推广", "停止", "继续测试"]


# --------------------------------------------------------------------------------------------
# Emitting a section
# --------------------------------------------------------------------------------------------

def test_emit_sends_the_section_as_ordered_json_text(ctx, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    chapters.ch7_costs.build(tiny.context(cost_params=_simple_params())).emit()
    [(bundle, raw)] = shown
    assert raw is True
    assert bundle["text/plain"] == "metrics.json 第 7 章：costs"
    assert bundle[METRICS_MIME] == '{"costs": {"after_sales": 3, "explicit": 106.45, "implicit": 0.0, "total": 106.45}}'


def test_a_month_without_orders_gives_strict_json_sections():
    c = Context.of("2025-01", tiny.dataset(), conf_dir=tiny.CONF, luopan=tiny.context().luopan,
                   interventions=[])
    m1 = section(chapters.ch1_data_pull.build(c))
    assert m1["cohort_view"]["paid_sub_orders"] == 0 and m1["cohort_view"]["refund_rate_count"] is None
    assert m1["coverage"]["share_without_order"] is None
    m3 = section(chapters.ch3_breakdown.build(c))
    assert m3 == {"top_products": [], "provinces": [], "carriers": [], "creators": []}
