"""End to end: sample exports → `returns-kit report` → one HTML + metrics.json.

Runs the real eight chapter notebooks through papermill on two months of sample data (about a
minute), then reads the rendered HTML as a reader would.
"""

import re

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
    assert len(executed) == 8
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
    assert "客户名单.csv" in err and "missing column" in err
    assert not (tmp_path / "reports" / "2026-10" / "index.html").exists()


def test_chinese_font_subset_embedded_for_readers_without_one(report):
    import base64
    import io

    from fontTools.ttLib import TTFont

    from returns_kit.report import page_text_chars

    _, html, _ = report
    match = re.search(r'font-family: "rk-noto-sc"; src: url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', html)
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
    days = {a["date"] for a in m["anomalies"]}
    assert sample.PLANTED["spike"]["date"] in days and len(days) <= 2
    [item] = m["interventions"]
    assert item["name"] == sample.PLANTED["intervention"]["name"] and item["p_value"] < 0.05
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
