"""End to end: sample exports → `returns-kit report` → one HTML + metrics.json.

Runs the real eight chapter notebooks through papermill on two months of sample data (about a
minute), then reads the rendered HTML as a reader would.
"""

import re

import pandas as pd
import pytest
import shutil
from pathlib import Path


from returns_kit import cli, sample

REPO = Path(__file__).resolve().parents[1]
PRODUCT = sample.PLANTED["product"]["product_name"]
PROVINCE = sample.PLANTED["province"]["province"]
CARRIER = sample.PLANTED["carrier"]["carrier"]
CHAPTERS = ["一、数据调取", "二、数据来源对比", "三、多维拆解", "四、退货原因", "五、可视化与预警",
            "六、行业与竞品对标", "七、退货成本", "八、优化效果验证"]


def test_report_is_written_where_promised(report, workspace):
    index, _, _ = report
    assert index == workspace / "reports" / "2026-10" / "index.html"


def test_html_has_every_chapter_in_chinese_and_a_toc(report):
    _, html, _ = report
    assert '<html lang="zh"' in html
    for title in CHAPTERS:
        assert title in html
    assert html.count('href="#') >= 8  # table of contents


def test_html_has_no_code_no_errors_no_remote_requests(report):
    _, html, _ = report
    for needle in ("import returns_kit", "rk.load(", "raw_dir: str", "injected-parameters",
                   "Traceback", 'data-mime-type="application/vnd.jupyter.stderr"',
                   "missing from font", 'hl-ipython3', 'class="jp-InputPrompt'):
        assert needle not in html, needle
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert "data:image/png;base64" in html


def test_html_names_the_planted_signals(report):
    _, html, _ = report
    assert PRODUCT in html
    assert PROVINCE in html
    assert CARRIER in html


def test_no_personal_data_in_outputs(report, workspace):
    index, html, _ = report
    text = html + (index.parent / "metrics.json").read_text(encoding="utf-8")
    assert not re.search(r"1\d{2}\*{4}\d{4}", text)  # masked phone numbers
    assert "收件人" not in text and "详细地址" not in text


def test_metrics_json(report):
    _, _, m = report
    assert m["month"] == "2026-10"
    dq = m["data_quality"]
    assert dq["rows_read"] == dq["rows_kept"] + dq["duplicates"] + dq["rejected"]
    assert dq["duplicates"] > 0 and dq["rejected"] >= 2  # overlapping batches, Excel-mangled IDs
    app = m["application_view"]
    assert app["after_sales"] == app["finished"] + app["in_progress"] + app["closed"] + app["unknown"]
    cv = m["cohort_view"]
    assert cv["paid_sub_orders"] > 1000 and 0 < cv["refund_rate_count"] < 0.5
    assert cv["provisional"] is True  # sample data ends 25 days after the month
    assert m["top_products"][0]["product_name"] == PRODUCT
    assert m["provinces"][0]["province"] == PROVINCE
    assert m["carriers"][0]["carrier"] == CARRIER
    top = m["top_products"][0]
    assert top["ci_low"] <= top["refund_rate"] <= top["ci_high"]


def test_executed_notebooks_kept_without_font_warnings(report):
    index, _, _ = report
    executed = sorted((index.parent / "_run").glob("0*.ipynb"))
    assert len(executed) == 9  # the summary and the eight chapters
    for path in executed:
        assert "missing from font" not in path.read_text(encoding="utf-8")


def test_bad_input_exits_2_and_leaves_no_report(tmp_path, capsys, workspace):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "客户名单.csv").write_text("姓名,年龄\n张三,30\n", encoding="utf-8")
    code = cli.main(["report", "--month", "2026-10", "--raw", str(raw), "--processed",
                     str(tmp_path / "p"), "--out", str(tmp_path / "reports"),
                     "--conf", str(workspace / "conf"), "--notebooks", str(REPO / "notebooks")])
    assert code == 2
    err = capsys.readouterr().err
    assert "客户名单.csv" in err and "not a 抖店 售后单 or 订单 export" in err
    assert not (tmp_path / "reports" / "2026-10" / "index.html").exists()


def test_chinese_font_subset_embedded_for_readers_without_one(report):
    import base64
    import io

    from fontTools.ttLib import TTFont

    from returns_kit.report import page_text_chars

    _, html, _ = report
    match = re.search(r'font-family: "rk-noto-sc"; src: url\(data:font/woff2?;base64,([A-Za-z0-9+/=]+)\)', html)
    assert match, "no embedded CJK font"
    cmap = TTFont(io.BytesIO(base64.b64decode(match.group(1)))).getBestCmap()
    chars = page_text_chars(html)
    assert {"退", "货", "率", "疆"} <= chars
    assert not [ch for ch in chars if ord(ch) not in cmap and ord(ch) < 0x1F000]
    assert "rk-noto-sc" in html.split("--rk-font:", 1)[1].split(";", 1)[0]


def test_failing_chapter_exits_1_names_it_and_writes_no_report(tmp_path, capsys, workspace):
    import nbformat

    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    shutil.copy(REPO / "notebooks" / "01_data_pull.ipynb", nbs)
    broken = nbformat.read(REPO / "notebooks" / "02_source_comparison.ipynb", as_version=4)
    broken.cells.append(nbformat.v4.new_code_cell("raise ValueError('坏了')"))
    nbformat.write(broken, nbs / "02_broken.ipynb")
    out = tmp_path / "reports"
    code = cli.main(["report", "--month", "2026-10", "--raw", str(workspace / "raw"),
                     "--external", str(workspace / "external"), "--processed", str(workspace / "processed"),
                     "--out", str(out), "--conf", str(workspace / "conf"), "--notebooks", str(nbs),
                     "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    executed = out / "2026-10" / "_run" / "02_broken.ipynb"
    assert str(executed) in err and "ValueError" in err
    assert executed.exists()
    assert not (out / "2026-10" / "index.html").exists()
    assert not list((out / "2026-10").glob("*.tmp"))


def test_reports_are_readable_by_others(report):
    import os

    index, _, _ = report
    mask = os.umask(0)
    os.umask(mask)
    assert index.stat().st_mode & 0o777 == 0o666 & ~mask  # not the 0600 of a temp file


def test_metrics_json_has_every_chapters_section(report):
    _, _, m = report
    assert m["source_comparison"]["luopan"]  # chapter 2: filled from the sample 罗盘 download
    assert m["creators"][0]["creator_name"] == sample.PLANTED["creator"]["creator_name"]
    assert {t["tag"] for t in m["custom_tags"]} >= {"尺码不准"}
    pushed = {(a["date"], a["clock"]) for a in m["anomalies"] if a["pushed"] and a["scope"] == "shop"}
    assert pushed == {(sample.PLANTED["surge"]["date"], "event"), (sample.PLANTED["spike"]["date"], "cohort"),
                      (sample.PLANTED["spike"]["date"], "event")}
    for a in m["anomalies"]:
        assert {"date", "scope", "product_id", "rule", "value", "baseline", "p_value", "clock", "pushed"} <= set(a)
    [item] = m["interventions"]
    assert item["name"] == sample.PLANTED["intervention"]["name"] and item["p_value"] < 0.05
    assert item["ci_low"] < item["effect"] < item["ci_high"] < 0 and item["placebo_rank"] == 1
    assert item["recommendation"] == "全店推广"
    assert item["after_rate"] < item["before_rate"]
    costs = m["costs"]
    assert costs["total"] == pytest.approx(costs["explicit"] + costs["implicit"], abs=0.01)


def test_buyer_markup_shows_as_text(report):
    _, html, _ = report
    # the sample plants a 不想要 click whose note pastes a <script> tag (chapter 4 mismatch table)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 用了一次就坏了" in html
    assert "<script>alert(1)" not in html


def test_repeat_buyers_are_found(report):
    _, html, _ = report
    assert re.search(r"复购客退款率 \d+\.\d%（95% 区间", html)


# --------------------------------------------------------------------------------------------
# One source for the HTML and metrics.json: the figures a reader sees are the ones scripts read
# --------------------------------------------------------------------------------------------

def _chapter_html(html: str, number: int) -> str:
    start = html.index(f'id="chapter-{number:02d}"')
    end = html.find(f'id="chapter-{number + 1:02d}"', start)
    return html[start:end if end != -1 else len(html)]


def _kpi(part: str, label: str) -> str:
    """The value of the KPI tile called ``label`` (as rk.display.kpis writes it)."""
    found = re.findall(r"""<div style=["']font-size:1.4em;font-weight:600["']>([^<]*)</div>"""
                       r"""<div style=["']color:#666["']>""" + re.escape(label) + "</div>", part)
    assert len(found) == 1, (label, found)
    return found[0]


def _row(part: str, *first_cells: str) -> list[str]:
    """The cells of the first table row that starts with ``first_cells``."""
    n = len(first_cells)
    for row in re.findall(r"<tr>(.*?)</tr>", part, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        if tuple(cells[:n]) == first_cells:
            return cells
    raise AssertionError(f"no table row starting with {first_cells!r}")


def test_html_and_metrics_json_show_the_same_figures(report):
    import html as htmllib

    from returns_kit.display import money, p_text, pct, points_text, rate_ci

    _, html, m = report
    text = htmllib.unescape(html)
    ch = {n: htmllib.unescape(_chapter_html(html, n)) for n in range(1, 9)}
    tag = "（暂估）" if m["cohort_view"]["provisional"] else ""

    # 1 数据调取: row accounting, both views, the cohort rates
    dq, cv, app = m["data_quality"], m["cohort_view"], m["application_view"]
    assert _kpi(ch[1], "读取行数") == f"{dq['rows_read']:,}" and _kpi(ch[1], "隔离") == f"{dq['rejected']:,}"
    assert _kpi(ch[1], "申请口径·售后单") == f"{app['after_sales']:,}"
    assert _kpi(ch[1], "支付口径·售后单" + tag) == f"{m['cohort_after_sales']['after_sales']:,}"
    assert _kpi(ch[1], "支付子订单") == f"{cv['paid_sub_orders']:,}"
    assert _kpi(ch[1], "支付金额") == money(cv["paid_amount"])
    for key, label in (("refund_rate_count", "退款率(订单数)"), ("refund_rate_amount", "退款率(金额)"),
                       ("return_rate_count", "退货率"), ("quality_return_rate", "品退率")):
        assert _kpi(ch[1], label + tag) == pct(cv[key]), key
    assert f"距月末 {cv['days_since_month_end']} 天" in ch[1]
    assert _kpi(ch[1], "找不到订单") == f"{m['coverage']['after_sales_without_order']:,}"

    # 2 数据来源对比: the month's kit-vs-罗盘 totals
    [amount, orders] = m["source_comparison"]["luopan"]
    assert f"罗盘 {money(amount['luopan'])}，本工具 {money(amount['kit'])}" in ch[2]
    assert f"罗盘 {orders['luopan']:,.0f}，本工具 {orders['kit']:,.0f}" in ch[2]

    # 3 多维拆解: the riskiest product, province, carrier and creator, each with its interval
    top = m["top_products"][0]
    assert f"退款风险最高的商品是「{top['product_name']}」" in ch[3] and f"退款率 {rate_ci(top)}" in ch[3]
    prov = m["provinces"][0]
    extra = f"，{prov['paid_sub_orders']:,} 单"
    assert f"退款率最高的省份是{prov['province']}：{rate_ci(prov, extra=extra)}" in ch[3]
    car = m["carriers"][0]
    assert (f"破损率最高的快递是{car['carrier']}：发货 {car['shipped_sub_orders']:,} 单，破损售后 {car['damaged']:,} 单，"
            f"破损率 {rate_ci(car, 'damage_rate', 'damage_ci_low', 'damage_ci_high')}") in ch[3]
    cre = m["creators"][0]
    assert f"退款风险最高的达人是「{cre['creator_name']}」：带来 {cre['paid_sub_orders']:,} 单" in ch[3]
    assert f"全店本月支付 {cv['paid_sub_orders']:,} 个子订单，退款率 {pct(cv['refund_rate_count'])}" in ch[3]

    # 4 退货原因: the reason table, the tag table, the hidden-quality count
    r0 = m["reasons"][0]
    assert _row(ch[4], r0["reason"])[1:4] == [r0["category"], f"{r0['count']:,}", pct(r0["share"])]
    t0 = m["custom_tags"][0]
    assert _row(ch[4], t0["tag"])[1:4] == [t0["category"], f"{t0['count']:,}", pct(t0["share"])]
    assert f"其中 {m['reason_mismatches']:,} 单的说明指向品质/描述/发货/破损问题" in ch[4]

    # 5 可视化与预警: the month's alerts of the two clocks, each row as metrics.json has it
    alerts = [a for a in m["anomalies"] if a["status"] == "alert" and a["rule"] != "threshold"]
    assert f"本月共 {len(alerts)} 条预警：" in ch[5]
    for a in alerts:
        who = "全店" if a["scope"] == "shop" else a["product_name"]
        if a["clock"] == "event":
            what = f"{'售后申请' if a['metric'] == 'applications' else '退款成功'} {a['observed']:,}（预期 {a['expected']:,.0f}）"
        else:
            what = f"同龄退款率 {pct(a['value'])}（预期 {pct(a['baseline'])}，{a['paid_sub_orders']:,} 单）"
        row = _row(ch[5], a["period"] or a["date"], who, a["rule_zh"], what)
        assert row[4] == f"{a['ratio']:.2f}" and row[5] == p_text(a["p_value"])
        assert row[7] == ("是" if a["pushed"] else "否（仅展示）")

    # 6 行业与竞品对标: each segment's verdict
    for seg in m["benchmarks"]["segments"][:5]:
        row = _row(ch[6], seg["category"], seg["price_band"])
        assert seg["verdict"] in row and pct(seg["refund_rate"]) in row

    # 7 退货成本: the month's totals
    costs = m["costs"]
    assert _kpi(ch[7], "总成本") == money(costs["total"]) and _kpi(ch[7], "显性成本") == money(costs["explicit"])
    assert _kpi(ch[7], "计入成本的售后单") == f"{costs['after_sales']:,}"

    # 8 优化效果验证: effect, p-value and recommendation of each intervention
    for item in m["interventions"]:
        row = _row(ch[8], item["name"])
        assert points_text(item["effect"]) in row and p_text(item["p_value"]) in row
        assert item["recommendation"] in row and pct(item["after_rate"]) in row
    assert "application/vnd.returns-kit.metrics+json" not in text and "metrics.json 第" not in text


# --------------------------------------------------------------------------------------------
# The summary (摘要): the answer on the first screen, its sentences from its own figures
# --------------------------------------------------------------------------------------------

def test_report_opens_with_the_summary(report):
    _, html, _ = report
    body = html[html.index('class="rk-toc"'):]
    first = re.search(r'<div class="rk-chapter-anchor" id="(chapter-\d\d)">', body)
    assert first.group(1) == "chapter-00"
    summary = _chapter_html(html, 0)
    assert "摘要" in summary and "本月要点" in summary and "建议动作" in summary
    assert html.index('id="chapter-00"') < html.index('id="chapter-01"')
    assert "rk-cards" in summary and "data:image/png;base64" in summary  # KPI cards, the waterfall


def test_summary_sentences_are_on_the_page_and_link_inside_it(report):
    import html as html_lib

    _, html, m = report
    s = m["summary"]
    summary = _chapter_html(html, 0)
    assert 3 <= len(s["sentences"]) <= 5
    for sentence in s["sentences"]:
        assert html_lib.escape(sentence, quote=False) in summary.replace("&quot;", '"'), sentence
    links = re.findall(r"""class=["']rk-more["'] href=["']#([^"']+)["']""", summary)
    assert len(links) == len(s["sentences"])
    for target in links:
        assert f'id="{target}"' in html, target


def test_summary_first_driver_names_a_planted_product_and_adds_up(report):
    _, _, m = report
    s = m["summary"]
    names = {p.name for p in sample.CATALOG if p.product_id in set(sample.PLANTED["spike"]["product_ids"])}
    names.add(sample.PLANTED["surge"]["product_name"])
    first_driver = s["sentences"][1]
    assert any(f"「{n}」" in first_driver for n in names), first_driver
    change = next(k for k in s["kpis"] if k["key"] == "refund_rate_count")["change"]
    by_dim: dict[str, float] = {}
    for d in s["drivers"]:
        by_dim[d["dimension"]] = by_dim.get(d["dimension"], 0.0) + d["contribution"]
    assert set(by_dim) == {"day", "product", "creator", "province", "carrier", "reason"}
    for dim, total in by_dim.items():
        assert total == pytest.approx(change, abs=1e-9), dim
    contributions = [abs(d["contribution"]) for d in s["drivers"]]
    assert contributions == sorted(contributions, reverse=True)


def test_summary_figures_are_the_chapters_figures(report):
    from returns_kit.display import pct, points_text

    _, _, m = report
    s = m["summary"]
    k = {x["key"]: x for x in s["kpis"]}
    assert k["refund_rate_count"]["value"] == m["cohort_view"]["refund_rate_count"]
    assert k["quality_return_rate"]["value"] == m["cohort_view"]["quality_return_rate"]
    assert s["previous_month"] == "2026-09" and s["compared_at"].startswith("2026-10-")
    head = s["sentences"][0]
    assert pct(k["refund_rate_count"]["value"]) in head and pct(k["refund_rate_count"]["previous"]) in head
    day = next(d for d in s["drivers"] if d["dimension"] == "day")
    assert day["key"] == sample.PLANTED["spike"]["date"]  # the live-session day moved the month most
    assert points_text(day["contribution"]) in s["sentences"][1]
    pushed = [a for a in m["anomalies"] if a["pushed"]]
    assert len(s["alerts"]) == len(pushed)
    assert [v.split("】")[0] + "】" for v in s["verdicts"]] == [f"【{i['name']}】" for i in m["interventions"]]
    assert any("尚未成熟" in w for w in s["warnings"]) and any("隔离" in w for w in s["warnings"])
    assert 1 <= len(s["actions"]) <= 3
    assert all(a["lever"] in ("商品优化", "服务优化", "流程优化") and a["evidence"] for a in s["actions"])
    assert any(sample.PLANTED["carrier"]["carrier"] in a["text"] for a in s["actions"])
    assert {h["dimension"] for h in s["hotspots"]} >= {"day", "product", "province"}
    assert not {h["key"] for h in s["hotspots"]} & {"未发货/无快递信息", "\x00none"}  # nothing to act on
    top = next(h for h in s["hotspots"] if h["dimension"] == "product")
    assert top["name"] == PRODUCT  # the planted high-return product has the most excess refunds


def test_tables_xlsx_has_every_table_ids_as_text_and_no_personal_data(report):
    import zipfile

    from python_calamine import CalamineWorkbook

    index, html, m = report
    path = index.parent / "tables.xlsx"
    book = CalamineWorkbook.from_path(str(path))
    names = book.sheet_names
    assert names[0] == "目录"
    for expected in ("0 为什么变了", "0 退款集中在哪里", "1 读取的文件", "3 商品：高退商品 TOP20", "3 地区：省份与城市",
                     "4 点选原因与说明不符：隐性品质退货", "8 评估结果", "3 明细 商品 TOP20 的退款子订单"):
        assert expected in names, expected
    shown = len(re.findall(r"""<div class=["']rk-table["']>""", html))  # every table of the page has its sheet
    assert len([n for n in names if " 明细 " not in n]) - 1 == shown
    top = book.get_sheet_by_name("3 商品：高退商品 TOP20").to_python()
    assert top[0][0] == "商品ID"
    ids = [r[0] for r in top[1:]]
    assert all(isinstance(i, str) and len(i) == 19 for i in ids)
    assert ids[:5] == [p["product_id"] for p in m["top_products"][:5]]
    drill = book.get_sheet_by_name("3 明细 商品 TOP20 的退款子订单").to_python()
    assert drill[0][:4] == ["商品ID", "商品名称", "子订单编号", "订单号"]
    first = m["top_products"][0]
    assert sum(1 for r in drill[1:] if r[0] == first["product_id"]) == first["refunded"]
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "<f " not in xml
    assert not re.search(r"1\d{2}\*{4}\d{4}", xml) and "收件人" not in xml and "详细地址" not in xml


def test_page_is_light_enough_for_a_phone(report):
    import base64

    index, html, _ = report
    assert index.stat().st_size <= 1_500_000
    assert ".jp-DirListing" not in html and "--jp-icon-" not in html  # JupyterLab's own CSS is not inlined
    charts = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(charts) >= 20
    for data in charts:
        png = base64.b64decode(data)
        assert png[25] == 3, "charts are palette PNGs"  # IHDR colour type 3
        assert int.from_bytes(png[16:20], "big") >= 540  # still ≥ 1.4 device pixels per CSS pixel at 390 px
    assert re.search(r"data:font/woff2;base64,", html)


def test_no_personal_data_typed_into_buyer_notes_reaches_any_output(report, workspace):
    import zipfile

    from python_calamine import CalamineWorkbook

    index, _, _ = report
    planted = sample.PLANTED["pii_in_notes"]
    raw_text = ""
    for path in (workspace / "raw").glob("售后单导出-*.xlsx"):
        book = CalamineWorkbook.from_path(str(path))
        raw_text += "".join(str(c) for r in book.get_sheet_by_name(book.sheet_names[0]).to_python() for c in r)
    assert sum(v in raw_text for v in planted) >= 3  # the sample's buyers did type them
    outputs = [index, index.parent / "metrics.json", *(index.parent / "_run").glob("*.ipynb"),
               *(workspace / "processed").iterdir()]
    texts = {p.name: p.read_bytes().decode("utf-8", "ignore") for p in outputs if p.is_file()}
    for p in (workspace / "processed").glob("*.parquet"):  # compressed: read the cells themselves
        frame = pd.read_parquet(p)
        texts[p.name] = "\n".join(frame[c].dropna().astype(str).str.cat(sep="\n") for c in frame.columns
                                  if frame[c].dtype == object or str(frame[c].dtype).startswith("string"))
    with zipfile.ZipFile(index.parent / "tables.xlsx") as z:
        texts["tables.xlsx"] = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    for name, text in texts.items():
        for value in planted:
            assert value not in text, (name, value)
