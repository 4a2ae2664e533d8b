"""Chapter 6: benchmarks table, own rates by category × price band, competitor flags."""

import re

import pandas as pd
import pytest

from returns_kit import benchmarks, io
from returns_kit.sample import PLANTED

T = pd.Timestamp


def test_shipped_benchmarks_name_their_source_and_no_official_line():
    bench = io.load_benchmarks("conf")
    assert len(bench) >= 1
    assert bench["source"].notna().all() and (bench["source"].str.len() > 5).all()
    assert set(bench["metric"]) <= set(benchmarks.METRIC_FLAGS)
    row = bench[bench["category"] == "服饰"].iloc[0]
    assert (row["low"], row["high"]) == (0.20, 0.30)
    assert "抖音店如何调出每个月的退货数据" in row["source"]
    shown = benchmarks.benchmarks_for_display(bench)
    assert shown["metric"].iloc[0] == "退款率" and "product_category" in shown.columns


@pytest.mark.parametrize("own, bench, expected", [
    ("女装/连衣裙", "服饰", True),  # group
    ("女装/连衣裙", "女装", True),  # top level
    ("女装/连衣裙", "女装/连衣裙", True),
    ("女装/连衣裙", "女装/上衣", False),
    ("家居/收纳", "服饰", False),
    ("未分类", "服饰", False),
    (None, "服饰", False),
])
def test_category_matches(own, bench, expected):
    assert benchmarks.category_matches(own, bench) is expected


def _segments():
    return pd.DataFrame({
        "category": ["女装/连衣裙", "女装/上衣", "女装/裤装", "女装/外套", "家居/收纳"],
        "price_band": ["¥100–200"] * 5,
        "refund_rate": [0.40, 0.33, 0.25, 0.10, 0.12],
        "ci_low": [0.35, 0.28, 0.20, 0.05, 0.10],
        "ci_high": [0.45, 0.38, 0.30, 0.15, 0.14],
    })


def test_compare_to_benchmarks_uses_the_interval():
    bench = pd.DataFrame({"category": ["服饰"], "metric": ["refund_rate"], "low": [0.20], "high": [0.30],
                          "value": [None], "source": ["某文章"], "as_of": [None]})
    out = benchmarks.compare_to_benchmarks(_segments(), bench).set_index("category")
    assert out.loc["女装/连衣裙", "verdict"] == "高于参考区间"
    assert out.loc["女装/上衣", "verdict"] == "偏高（区间重叠）"
    assert out.loc["女装/裤装", "verdict"] == "在参考区间内"
    assert out.loc["女装/外套", "verdict"] == "低于参考区间"
    assert out.loc["家居/收纳", "verdict"] == "无参考值"
    assert out.loc["女装/连衣裙", "bench_source"] == "某文章"
    assert out.loc["女装/连衣裙", "bench_as_of"] == "未注明"
    assert out.index[-1] == "家居/收纳"  # rows without a reference last
    text = benchmarks.benchmark_summary(out.reset_index())
    assert "女装/连衣裙（¥100–200，40.0%）" in text and "4 个类目×价格带有行业参考值" in text
    # a single value applies as both ends; another metric is ignored
    bench = pd.DataFrame({"category": ["家居", "家居"], "metric": ["return_rate", "refund_rate"],
                          "low": [None, None], "high": [None, None], "value": [0.5, 0.11],
                          "source": ["x", "y"], "as_of": ["2026-10", "2026-09"]})
    out = benchmarks.compare_to_benchmarks(_segments(), bench).set_index("category")
    assert out.loc["家居/收纳", "verdict"] == "偏高（区间重叠）"  # 12% > 11%, but 10–14% overlaps it
    assert out.loc["家居/收纳", "bench_source"] == "y"


def test_segment_and_product_rates_by_category_and_price_band():
    outcomes = pd.DataFrame({
        "product_id": ["1", "1", "1", "2", "2", "3"],
        "product_name": ["裙", "裙", "裙", "衣", "衣", "架"],
        "pay_time": [T("2026-10-02")] * 6,
        "unit_price": [159.0, 159.0, 149.0, 59.0, 59.0, 89.0],
        "payable_amount": [159.0, 159.0, 149.0, 59.0, 59.0, 89.0],
        "quantity": [1] * 6,
        "refunded": [True, True, False, False, True, False],
        "returned": [True, False, False, False, False, False],
        "quality_refund": [False] * 6,
    })
    catalog = pd.DataFrame({"product_id": ["1", "2"], "category": ["女装/连衣裙", "女装/上衣"]})
    seg = benchmarks.segment_rates(outcomes, catalog, "2026-10", min_orders=1)
    seg = seg.set_index(["category", "price_band"])
    assert seg.loc[("女装/连衣裙", "¥100–200"), "refund_rate"] == pytest.approx(2 / 3)
    assert seg.loc[("未分类", "¥50–100"), "paid_sub_orders"] == 1
    ret = benchmarks.segment_rates(outcomes, catalog, "2026-10", metric="return_rate", min_orders=1)
    assert ret.set_index("category").loc["女装/连衣裙", "refund_rate"] == pytest.approx(1 / 3)
    prod = benchmarks.product_rates(outcomes, catalog, "2026-10", min_orders=1).set_index("product_id")
    assert prod.loc["1", "price"] == 159.0 and prod.loc["1", "price_band"] == "¥100–200"
    assert prod.loc["2", "category"] == "女装/上衣" and prod.loc["3", "category"] == "未分类"


def _own():
    return pd.DataFrame({
        "product_id": ["D", "S", "T", "K"],
        "product_name": ["法式碎花连衣裙", "小样连衣裙", "T恤", "针织连衣裙"],
        "category": ["女装/连衣裙", "女装/连衣裙", "女装/上衣", "女装/连衣裙"],
        "price": [159.0, 150.0, 59.9, 239.0],
        "paid_sub_orders": [400, 10, 300, 100],
        "refunded": [140, 5, 60, 20],
        "refund_rate": [0.35, 0.5, 0.2, 0.2],
        "ci_low": [0.305, 0.24, 0.157, 0.133],
        "ci_high": [0.398, 0.76, 0.25, 0.29],
    })


def _competitors():
    return pd.DataFrame({
        "source": ["蝉妈妈", "蝉妈妈", "飞瓜数据", "蝉妈妈"],
        "shop": ["A 女装店", "B 女装店", "C 女装店", "D 家居店"],
        "product_id": [None] * 4,
        "product_name": ["爆款碎花连衣裙", "高端连衣裙", "基础T恤", "置物架"],
        "category": ["女装/连衣裙", "女装/连衣裙", "女装/上衣", "家居/收纳"],
        "price": [149.0, 599.0, 55.0, 150.0],
        "return_rate": [0.15, 0.05, 0.18, 0.01],
        "as_of": ["2026-10", "2026-10", "2026-09", "2026-10"],
        "is_own": [False] * 4,
    })


def test_flag_vs_competitors_the_dress_example():
    flags = benchmarks.flag_vs_competitors(_own(), _competitors())
    # only the dress: S is too small, T is only 2 points worse, K has no competitor near ¥239
    # (¥149 is 38% cheaper, ¥599 is 2.5×), the ¥150 shelf is another category
    assert flags["product_id"].tolist() == ["D"]
    f = flags.iloc[0]
    assert (f["competitor_shop"], f["competitor_rate"], f["competitor_price"]) == ("A 女装店", 0.15, 149.0)
    assert f["gap"] == pytest.approx(0.20)
    assert f["evidence"] == (
        "本店「法式碎花连衣裙」单价约 ¥159.00，本月 400 单退款 140 单，退款率 35.0%（95% 区间 30.5%–39.8%）；"
        "A 女装店「爆款碎花连衣裙」¥149.00，退货率 15.0%（蝉妈妈，2026-10）。高出 20.0 个百分点，且区间下限仍高于竞品。")
    [note] = benchmarks.competitor_notes(flags)
    assert note.endswith("建议优先检查尺码表是否清晰、面料（透气性、透光）与详情页描述是否一致、色差。")


def test_flag_needs_the_whole_interval_above_the_competitor():
    own = _own().assign(ci_low=[0.14, 0.24, 0.157, 0.133])  # D's interval now reaches 14%
    assert benchmarks.flag_vs_competitors(own, _competitors()).empty
    assert benchmarks.flag_vs_competitors(_own(), _competitors().iloc[0:0]).empty


def test_competitor_rows_keep_only_competitors_or_say_why_there_are_none():
    comp, note = benchmarks.competitor_rows(_competitors().assign(is_own=[False, True, False, False]))
    assert note is None and comp["shop"].tolist() == ["A 女装店", "C 女装店", "D 家居店"]
    comp, note = benchmarks.competitor_rows(_competitors().iloc[0:0])
    assert comp.empty and "没有第三方工具" in note
    comp, note = benchmarks.competitor_rows(_competitors().assign(is_own=True))
    assert comp.empty and note == "第三方导出中只有本店商品，没有竞品行。"


def test_sample_report_chapter6(report):
    _, html, _ = report
    start = html.rindex(">六、行业与竞品对标")  # the heading, after the table of contents
    ch6 = html[start:html.rindex(">七、退货成本")]
    assert "没有公布官方的类目退货率基准线" in ch6
    assert "抖音店如何调出每个月的退货数据" in ch6  # the source, beside the figure
    assert "价格带" in ch6 and "女装/连衣裙" in ch6 and "¥100–200" in ch6
    assert "竞品对标" in ch6
    # the sample's third-party export has a ~15% competitor dress at a similar price
    dress = PLANTED["product"]["product_name"]
    assert re.search(f"本店「{dress}」单价约 ¥159.00，本月 [0-9,]+ 单退款 [0-9,]+ 单，退款率 3[0-9].[0-9]%"
                     r"[^。]*；[^「]*「[^」]*连衣裙」¥1[0-9]{2}.00，退货率 1[0-9].[0-9]%（蝉妈妈", ch6)


def test_load_competitors_reads_the_third_party_files(tmp_path):
    (tmp_path / "蝉妈妈-竞品.csv").write_text(
        "商品名称,店铺名称,类目,价格,退货率\n竞品裙,A 女装店,女装/连衣裙,¥159.00,15%\n", encoding="utf-8")
    comp, note = benchmarks.load_competitors(tmp_path, "conf")
    assert note is None and comp[["shop", "price", "return_rate"]].values.tolist() == [["A 女装店", 159.0, 0.15]]
    assert benchmarks.load_competitors(None, "conf")[1].startswith("data/external 中没有第三方工具")
