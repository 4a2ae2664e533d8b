"""Report runner pieces: parameters, papermill execution, HTML rendering, atomic writes.

Tiny notebooks are built with nbformat; no real data is needed (``run_report`` is tested end to
end elsewhere).  Kernel starts cost a couple of seconds each, so the executed chapters are shared
through a module-scoped fixture.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from returns_kit import report
from returns_kit.chapters.base import METRICS_MIME
from returns_kit.errors import (
    InputError,
    NotebookError,
    ParameterError,
    ReportRenderError,
)

SECRET = "SENTINEL-do-not-leak-7f3a"
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

PARAMS_CH1 = '''month: str = "2026-10"  # 报告月份
raw_dir: str = "data/raw"  # 抖店导出目录
min_orders: int = 30  # 最少订单数
show_all: bool = False  # 显示全部商品
'''

PARAMS_CH2 = '''month: str = "2026-10"  # 报告月份
conf_dir: str = "conf"  # 配置目录
threshold: float = 0.2  # 预警阈值
min_orders: int = 30  # 最少订单数
'''

CHART_CODE = '''import sys
import pandas as pd
import matplotlib.pyplot as plt
from returns_kit import plots
plots.theme()
df = pd.DataFrame({"省份": ["广东省", "新疆维吾尔自治区", "浙江省"], "退货率": [0.12, 0.31, -0.05]})
print("SOURCE_MARKER_PRINTED", month, min_orders, type(min_orders).__name__, show_all)
print("警告：测试 stderr 输出", file=sys.stderr)
fig, ax = plt.subplots()
ax.bar(df["省份"], df["退货率"])
ax.set_title("退货率 — 新疆维吾尔自治区, 顺丰速运, −5%")
plt.show()
df
'''

TABLE_CODE = '''import pandas as pd
pd.DataFrame({"承运商": ["顺丰速运", "中通快递"], "阈值": [threshold, threshold * 2]})
'''


# The last cell of a chapter: its metrics.json section, once through Chapter.emit() (chapter 1)
# and once as a bare display bundle (chapter 2).  Values that appear only here must not reach
# the HTML.
EMIT_CH1 = '''import numpy as np
from returns_kit.chapters.base import Chapter


class TestChapter(Chapter):
    number = 1
    title = "数据调取"

    def metrics(self):
        return {"coverage": {"matched_share": 0.875, "note": "SECTION_ONLY_VALUE_c0ve"},
                "zz_local_key": {"min_orders": min_orders, "rows": np.int64(12),
                                 "rate": float("nan")},
                "month": month}


TestChapter().emit()
'''

EMIT_CH2 = '''from IPython.display import display
from returns_kit.chapters.base import METRICS_MIME

display({METRICS_MIME: {"aa_other_key": [1, 2.5, None],
                        "as_of": "2026-09-30 23:59:59",
                        "cohort_view": {"refund_rate_count": None, "provisional": True,
                                        "label": "支付口径"}},
         "text/plain": "metrics.json 第 2 章：aa_other_key, as_of, cohort_view"}, raw=True)
'''

#: what the two fixture chapters emit, in metrics.json order
EMITTED = {
    "month": "2026-09",
    "as_of": "2026-09-30 23:59:59",
    "cohort_view": {"refund_rate_count": None, "provisional": True, "label": "支付口径"},
    "coverage": {"matched_share": 0.875, "note": "SECTION_ONLY_VALUE_c0ve"},
    "zz_local_key": {"min_orders": 12, "rows": 12, "rate": None},
    "aa_other_key": [1, 2.5, None],
}


def _nb(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    return nb


def _params_cell(source: str):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def _write(folder: Path, name: str, nb) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    return path


def _chapters(folder: Path) -> list[Path]:
    plumbing = new_code_cell("REMOVE_CELL_MARKER = 1")
    plumbing.metadata["tags"] = ["remove_cell"]
    ch1 = _nb([
        _params_cell(PARAMS_CH1),
        new_markdown_cell("# 第一章 测试\n\n本章检查数据调取。"),
        plumbing,
        new_code_cell(CHART_CODE),
        new_code_cell(EMIT_CH1),
    ])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logo.png").write_bytes(base64.b64decode(PNG_1PX))
    ch2 = _nb([
        _params_cell(PARAMS_CH2),
        new_markdown_cell("# 第二章 对比\n\n![店铺标志](logo.png)\n\n## 承运商"),
        new_code_cell(TABLE_CODE),
        new_code_cell(EMIT_CH2),
    ])
    return [_write(folder, "01_数据调取.ipynb", ch1), _write(folder, "02_数据来源对比.ipynb", ch2)]


@pytest.fixture(scope="module")
def chapters(tmp_path_factory) -> list[Path]:
    return _chapters(tmp_path_factory.mktemp("notebooks"))


@pytest.fixture(scope="module")
def executed(chapters, tmp_path_factory) -> list[Path]:
    per_nb = report.validate_params(chapters, {"min_orders": "12", "show_all": "是"},
                                    base={"month": "2026-09", "raw_dir": "/abs/raw",
                                          "conf_dir": "/abs/conf"})
    run_dir = tmp_path_factory.mktemp("run")
    return report.execute_chapters(chapters, per_nb, run_dir, timeout=120, progress=False)


@pytest.fixture(scope="module")
def rendered(executed) -> tuple[str, list]:
    found: list = []
    html = report.render_html(executed, "抖店退货分析月报 2026-09", subtitle="报告月份 2026-09",
                              warnings=found)
    return html, found


# ----------------------------------------------------------------------------- discovery


def test_discover_notebooks_sorted_and_filtered(tmp_path):
    for name in ("03_c.ipynb", "01_a.ipynb", "09_extra.ipynb", "scratch.ipynb", "02_b.ipynb"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [p.name for p in report.discover_notebooks(tmp_path)] == [
        "01_a.ipynb", "02_b.ipynb", "03_c.ipynb"]


def test_discover_notebooks_errors_when_empty(tmp_path):
    with pytest.raises(ParameterError, match="00_"):
        report.discover_notebooks(tmp_path)
    with pytest.raises(ParameterError, match="does not exist"):
        report.discover_notebooks(tmp_path / "missing")


def test_notebook_parameters_types_defaults_help(chapters):
    params = report.notebook_parameters(chapters[0])
    assert params["month"] == {"type": "str", "default": '"2026-10"', "help": "报告月份"}
    assert params["min_orders"]["type"] == "int"
    assert params["show_all"]["type"] == "bool"


# ----------------------------------------------------------------------------- parameters


def test_validate_unknown_parameter_names_it_and_lists_known(chapters):
    with pytest.raises(ParameterError) as info:
        report.validate_params(chapters, {"min_order": "5"})
    message = str(info.value)
    assert "'min_order'" in message
    assert "min_orders" in message and "threshold" in message


def test_validate_bad_int_value(chapters):
    with pytest.raises(ParameterError) as info:
        report.validate_params(chapters, {"min_orders": "abc"})
    message = str(info.value)
    assert "min_orders" in message and "'abc'" in message and "int" in message


def test_validate_converts_and_splits_per_notebook(chapters):
    per_nb = report.validate_params(
        chapters, {"min_orders": "30", "threshold": "0.25", "show_all": "true"},
        base={"month": "2026-10", "raw_dir": "/r", "conf_dir": "/c", "processed_dir": "/p"})
    ch1, ch2 = (per_nb[p] for p in chapters)
    assert ch1 == {"month": "2026-10", "raw_dir": "/r", "min_orders": 30, "show_all": True}
    assert ch2 == {"month": "2026-10", "conf_dir": "/c", "threshold": 0.25, "min_orders": 30}
    assert isinstance(ch1["min_orders"], int)


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("False", False), ("1", True), ("0", False), ("是", True), ("否", False)])
def test_bool_spellings(text, expected):
    assert report.convert_value("show_all", text, "bool") is expected


def test_bad_bool_and_float(chapters):
    with pytest.raises(ParameterError, match="show_all"):
        report.validate_params(chapters, {"show_all": "maybe"})
    with pytest.raises(ParameterError, match="threshold"):
        report.validate_params(chapters, {"threshold": "high"})


def test_str_param_stays_a_string():
    # papermill's -p would turn 202402 into an int; the declared type wins here
    assert report.convert_value("month", "202402", "str") == "202402"


@pytest.mark.parametrize("name", [
    "feishu_webhook", "api_token", "client_secret", "db_password", "access_id", "app_key", "key"])
def test_secret_looking_names_refused(chapters, name):
    with pytest.raises(ParameterError, match="environment variables or conf/local"):
        report.validate_params(chapters, {name: SECRET})


def test_webhook_value_refused(chapters):
    with pytest.raises(ParameterError, match="webhook"):
        report.validate_params(
            chapters, {"min_orders": "https://open.feishu.cn/open-apis/bot/v2/hook/abc"})


def test_base_params_cannot_be_overridden(chapters):
    with pytest.raises(ParameterError, match="--month"):
        report.validate_params(chapters, {"month": "2026-01"}, base={"month": "2026-10"})


# ----------------------------------------------------------------------------- execution


def test_executed_notebooks_exist_with_injected_values(executed, chapters):
    assert [p.name for p in executed] == [p.name for p in chapters]
    nb = nbformat.read(executed[0], as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert "SOURCE_MARKER_PRINTED 2026-09 12 int True" in text
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)


def test_render_html_page_basics(rendered):
    html, _ = rendered
    assert '<html lang="zh"' in html
    assert "<title>抖店退货分析月报 2026-09</title>" in html
    assert '<meta charset="utf-8"' in html
    assert 'name="viewport"' in html
    assert "第一章 测试" in html and "第二章 对比" in html


def test_render_html_has_toc_linking_to_each_chapter(rendered):
    html, _ = rendered
    toc = re.search(r'<nav[^>]*class="rk-toc".*?</nav>', html, re.S).group(0)
    assert 'href="#chapter-01"' in toc and "第一章 测试" in toc
    assert 'href="#chapter-02"' in toc and "第二章 对比" in toc
    assert 'id="chapter-01"' in html and 'id="chapter-02"' in html
    end_of_toc = html.index("</nav>")
    anchor1, anchor2 = html.index('id="chapter-01"'), html.index('id="chapter-02"')
    assert end_of_toc < anchor1 < html.index("第一章 测试", end_of_toc) < anchor2
    assert anchor2 < html.index("第二章 对比", end_of_toc)


def test_render_html_has_inline_chart_and_tables(rendered):
    html, _ = rendered
    assert 'src="data:image/png;base64,' in html
    assert html.count('class="dataframe"') >= 2
    assert "新疆维吾尔自治区" in html and "顺丰速运" in html
    assert "SOURCE_MARKER_PRINTED" in html  # stdout stays
    assert 'src="logo.png"' not in html  # the markdown image is embedded too
    assert html.count('src="data:image/png;base64,') >= 2


def test_render_html_has_no_code_params_stderr_or_cdn(rendered):
    html, _ = rendered
    for absent in ("print(", "plots.theme()", "import pandas", "min_orders: int",
                   "报告月份\n", "injected-parameters", "REMOVE_CELL_MARKER", "papermill",
                   'data-mime-type="application/vnd.jupyter.stderr"', "测试 stderr 输出", "In&nbsp;[",
                   '<script src="http', '<link href="http', "cdnjs", "@import url(http",
                   'src="//'):
        assert absent not in html, absent
    report.check_self_contained(html)


def test_stderr_collected_as_warnings(rendered):
    _, found = rendered
    assert any("测试 stderr 输出" in w.text for w in found)
    assert all(not w.missing_glyphs for w in found)  # fonts set up: no glyph warnings
    assert all(w.chapter.startswith("01") for w in found)


def test_missing_glyph_stderr_is_flagged(tmp_path):
    cell = new_code_cell("")
    cell.outputs = [nbformat.v4.new_output(
        "stream", name="stderr",
        text="UserWarning: Glyph 36864 (\\N{CJK UNIFIED IDEOGRAPH-9000}) missing from font(s) "
             "DejaVu Sans.\n")]
    path = _write(tmp_path, "01_x.ipynb", _nb([new_markdown_cell("# 标题"), cell]))
    found: list = []
    html = report.render_html([path], "t", warnings=found)
    assert "missing from font" not in html
    assert len(found) == 1 and found[0].missing_glyphs
    assert "MISSING CHINESE GLYPHS" in str(found[0])


def test_check_self_contained_rejects_cdn():
    for bad in ('<script src="https://cdn.x/y.js"></script>', '<link href="http://x/y.css">',
                "<style>@import url(https://fonts.x/css);</style>", '<img src="//x/y.png">'):
        with pytest.raises(report.ReportRenderError):
            report.check_self_contained(bad)
    for bad in ('<div style="background: url(https://x/y.png)">', "<img srcset='//x/y.png 2x'>",
                "<style>.a { background: url( '//x/y.png') }</style>"):
        with pytest.raises(report.ReportRenderError):
            report.check_self_contained(bad)
    # links are fine (nothing is fetched until clicked), and so is escaped buyer text
    report.check_self_contained(
        '<a href="https://example.com">来源</a><img src="data:image/png;base64,AAAA">'
        "<td>买家备注：看 url(https://x.cn) 和 &lt;script src=&quot;http://x&quot;&gt;</td>")


def test_failing_notebook_raises_notebook_error_with_executed_path(tmp_path):
    src = _write(tmp_path / "nbs", "03_失败.ipynb", _nb([
        _params_cell('month: str = "2026-10"  # 报告月份'),
        new_markdown_cell("# 第三章 失败"),
        new_code_cell("1 / 0"),
    ]))
    run_dir = tmp_path / "run"
    with pytest.raises(NotebookError) as info:
        report.execute_chapters([src], {src: {"month": "2026-10"}}, run_dir, timeout=60,
                                progress=False)
    err = info.value
    assert err.exit_code == 1
    assert err.executed == run_dir / "03_失败.ipynb"
    assert err.executed.exists()
    assert str(err.executed) in str(err)
    assert "第3章" in str(err) and "ZeroDivisionError" in str(err)


def test_chapters_in_parallel_give_what_one_after_another_gives(chapters, executed, tmp_path):
    """Three workers or one: the same executed notebooks, in the chapters' order."""
    per_nb = report.validate_params(chapters, {"min_orders": "12", "show_all": "是"},
                                    base={"month": "2026-09", "raw_dir": "/abs/raw", "conf_dir": "/abs/conf"})
    alone = report.execute_chapters(chapters, per_nb, tmp_path / "one", timeout=120, progress=False, jobs=1)
    assert [p.name for p in alone] == [p.name for p in executed]

    def outputs(path):
        nb = nbformat.read(path, as_version=4)
        return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
                for c in nb.cells]
    for one, many in zip(alone, executed):
        assert outputs(one) == outputs(many)


def test_chapters_share_a_kernel_but_not_its_namespace(tmp_path):
    """One worker runs both chapters on one kernel (started once), and the second sees nothing
    the first defined; its execution count starts again at 1."""
    nbs = tmp_path / "nbs"
    first = _write(nbs, "01_一.ipynb", _nb([new_code_cell("import os\nleak = 1\nprint(os.getpid())")]))
    second = _write(nbs, "02_二.ipynb", _nb([new_code_cell("import os\nprint(os.getpid(), 'leak' in globals())")]))
    done = report.execute_chapters([first, second], {}, tmp_path / "run", timeout=60, progress=False, jobs=1)
    texts = [nbformat.read(p, as_version=4).cells[0].outputs[0]["text"].split() for p in done]
    assert texts[1][0] == texts[0][0]  # the same kernel process
    assert texts[1][1] == "False"
    assert nbformat.read(done[1], as_version=4).cells[0]["execution_count"] == 1


def test_setup_keeps_the_context_until_an_input_changes(tmp_path):
    from bad_inputs import write_base

    from returns_kit.chapters import notebook

    raw, conf = tmp_path / "raw", tmp_path / "conf"
    raw.mkdir()
    write_base(raw, ("after_sales", "orders"))
    shutil.copytree(Path(__file__).resolve().parents[1] / "conf" / "base", conf / "base")
    (conf / "local").mkdir(parents=True)
    (conf / "local" / "salt.txt").write_text("s\n", encoding="utf-8")
    folders = dict(raw_dir=raw, external_dir=tmp_path / "ext", processed_dir=tmp_path / "p", conf_dir=conf)
    first = notebook.setup("2026-10", **folders)
    assert notebook.setup("2026-10", **folders) is first
    assert notebook.setup("2026-09", **folders) is not first  # another month
    again = notebook.setup("2026-10", **folders)
    (conf / "local" / "report.yml").write_text("{}\n", encoding="utf-8")  # a setting added
    assert notebook.setup("2026-10", **folders) is not again


def test_parallel_failure_names_the_first_failing_chapter_and_skips_the_rest(tmp_path):
    """Chapter 2 fails first, chapter 1 a little later: the error is chapter 1's (as in a run one
    after another); chapter 3, not yet started when the failure came, is not run."""
    nbs = tmp_path / "nbs"
    first = _write(nbs, "01_慢失败.ipynb", _nb([new_code_cell("import time\ntime.sleep(4)\nraise KeyError('一')")]))
    second = _write(nbs, "02_快失败.ipynb", _nb([new_code_cell("1 / 0")]))
    third = _write(nbs, "03_没运行.ipynb", _nb([new_code_cell("print('ran')")]))
    with pytest.raises(NotebookError) as info:
        report.execute_chapters([first, second, third], {}, tmp_path / "run", timeout=60, progress=False, jobs=2)
    assert "第1章" in str(info.value) and "KeyError" in str(info.value)
    assert info.value.executed == (tmp_path / "run" / "01_慢失败.ipynb").resolve()
    assert (tmp_path / "run" / "02_快失败.ipynb").exists()
    assert not (tmp_path / "run" / "03_没运行.ipynb").exists()


def test_a_chapter_worker_holds_no_arrow_numpy_or_pandas():
    """A worker only drives papermill: with its start step (:func:`_worker_start`) it imports
    neither pyarrow (papermill's HDFS support) nor numpy nor pandas — 70 MB in each worker."""
    probe = ("import sys; from returns_kit.report import execute; execute._worker_start(); "
             "import papermill, nbclient; papermill.execute_notebook; "
             "print(sorted(m for m in ('pyarrow', 'numpy', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_workers_started_ahead_run_the_first_chapter_on_a_kernel_with_the_kit_imported(tmp_path):
    """ChapterWorkers start each worker's kernel and import the kit into it before any chapter
    is handed to them (a run does so while it ingests); the chapter then runs on that kernel,
    its namespace reset, and the workers stay open until closed."""
    probe = ("import sys\n"
             "print('warm' if 'returns_kit.chapters.ch3_breakdown' in sys.modules else 'cold')\n"
             "print(sorted(k for k in globals() if k.startswith('_rk')))")
    first = _write(tmp_path / "nbs", "01_一.ipynb", _nb([new_code_cell(probe)]))
    with report.execute.ChapterWorkers(1, first.parent) as workers:
        out = report.execute_chapters([first], {}, tmp_path / "run", timeout=120, progress=False, workers=workers)
        again = report.execute_chapters([first], {}, tmp_path / "again", timeout=120, progress=False,
                                        workers=workers)
    for executed in (*out, *again):
        text = "".join(o.get("text", "") for o in nbformat.read(executed, as_version=4).cells[0].outputs)
        assert text.split() == ["warm", "[]"]  # the kit imported ahead, none of its names left


def test_the_summary_starts_after_the_chapters_whose_results_it_reads():
    names = [Path(f"0{n}_x.ipynb") for n in range(9)]
    assert report.execute.start_order(names) == [2, 3, 4, 5, 6, 1, 7, 8, 9]
    assert report.execute.start_order(names[:3]) == [2, 3, 1]  # fewer chapters: last
    assert report.execute.start_order([Path("03_x.ipynb"), Path("notes.ipynb")]) == [1, 2]  # no summary


def test_a_failure_still_runs_the_summary_before_it_and_raises_the_summarys_error(tmp_path):
    """Chapter 2 fails while the summary has not started (it starts after chapter 5): the
    summary, which comes first in the report, still runs; it fails too, so its error is the one
    raised (as in a run one after another); chapter 3 is not run."""
    nbs = tmp_path / "nbs"
    summary = _write(nbs, "00_摘要.ipynb", _nb([new_code_cell("raise KeyError('摘要')")]))
    first = _write(nbs, "01_好.ipynb", _nb([new_code_cell("import time\ntime.sleep(2)")]))
    second = _write(nbs, "02_快失败.ipynb", _nb([new_code_cell("1 / 0")]))
    third = _write(nbs, "03_没运行.ipynb", _nb([new_code_cell("print('ran')")]))
    with pytest.raises(NotebookError) as info:
        report.execute_chapters([summary, first, second, third], {}, tmp_path / "run", timeout=60,
                                progress=False, jobs=2)
    assert "第0章" in str(info.value) and "KeyError" in str(info.value)
    assert (tmp_path / "run" / "02_快失败.ipynb").exists()
    assert not (tmp_path / "run" / "03_没运行.ipynb").exists()


def test_timeout_raises_notebook_error_and_marks_the_notebook(tmp_path):
    src = _write(tmp_path / "nbs", "04_超时.ipynb", _nb([
        new_markdown_cell("# 第四章 超时"),
        new_code_cell("import time\ntime.sleep(30)"),
    ]))
    run_dir = tmp_path / "run"
    with pytest.raises(NotebookError) as info:
        report.execute_chapters([src], {}, run_dir, timeout=2, progress=False)
    err = info.value
    assert "timeout" in str(err).lower()
    assert err.executed.exists() and str(err.executed) in str(err)
    nb = nbformat.read(err.executed, as_version=4)
    assert nb.metadata["papermill"]["exception"] is True  # papermill alone says "completed"
    assert "papermill-error-cell-tag" in nb.cells[0].metadata["tags"]


def test_dead_kernel_raises_notebook_error(tmp_path):
    src = _write(tmp_path / "nbs", "05_崩溃.ipynb", _nb([
        new_markdown_cell("# 第五章 崩溃"),
        new_code_cell("import os\nos._exit(1)"),
    ]))
    with pytest.raises(NotebookError, match="DeadKernelError") as info:
        report.execute_chapters([src], {}, tmp_path / "run", timeout=60, progress=False)
    assert info.value.executed.exists()


def test_missing_kernel_raises_notebook_error_and_writes_the_notebook(tmp_path, monkeypatch):
    src = _write(tmp_path / "nbs", "06_无内核.ipynb", _nb([new_markdown_cell("# 第六章")]))
    monkeypatch.setattr(report.execute, "KERNEL_NAME", "no-such-kernel-returns-kit")
    with pytest.raises(NotebookError, match="NoSuchKernel.*ipykernel") as info:
        report.execute_chapters([src], {}, tmp_path / "run", timeout=60, progress=False)
    executed = info.value.executed
    assert executed == tmp_path / "run" / "06_无内核.ipynb" and executed.exists()
    assert nbformat.read(executed, as_version=4).metadata["papermill"]["exception"] is True


# ----------------------------------------------------------------------------- metrics sections


def _emitted(section, text="metrics.json 第 N 章"):
    """An executed code cell whose output is a metrics.json section (as Chapter.emit makes it)."""
    cell = new_code_cell("ch.emit()")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={METRICS_MIME: section, "text/plain": text})]
    return cell


def _stdout_cell(text):
    cell = new_code_cell("print(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def test_collect_sections_from_two_chapters_in_canonical_order(executed):
    silent: list = []
    metrics = report.collect_sections(executed, silent=silent)
    # canonical keys first (METRICS_ORDER), then the others in emission order (ch1, then ch2)
    assert list(metrics) == ["month", "as_of", "cohort_view", "coverage", "zz_local_key",
                             "aa_other_key"]
    assert metrics == EMITTED  # the kernel's values: injected params, numpy int, NaN → null
    assert silent == []


def test_metrics_order_is_the_canonical_list():
    assert report.METRICS_ORDER[:4] == ("month", "as_of", "data_quality", "application_view")
    assert report.METRICS_ORDER[-1] == "summary" and len(report.METRICS_ORDER) == 21
    shuffled = {"extra_b": 1, "costs": 2, "month": "2026-10", "extra_a": 3, "reasons": []}
    assert list(report.sections.order_metrics(shuffled)) == [
        "month", "reasons", "costs", "extra_b", "extra_a"]


def test_same_key_from_two_notebooks_is_refused(tmp_path):
    first = _write(tmp_path, "01_概览.ipynb", _nb([_emitted({"month": "2026-10", "coverage": 1})]))
    second = _write(tmp_path, "03_拆解.ipynb", _nb([_emitted({"top_products": [],
                                                             "coverage": 2})]))
    with pytest.raises(ReportRenderError) as info:
        report.collect_sections([first, second])
    message = str(info.value)
    assert "'coverage'" in message
    assert "01_概览.ipynb" in message and "03_拆解.ipynb" in message


def test_same_key_twice_in_one_notebook_is_refused(tmp_path):
    path = _write(tmp_path, "05_异常.ipynb", _nb([_emitted({"anomalies": []}),
                                                _emitted({"anomalies": [1]})]))
    with pytest.raises(ReportRenderError, match=r"'anomalies'.*05_异常\.ipynb.*05_异常\.ipynb"):
        report.collect_sections([path])


def test_section_sent_as_json_text_keeps_its_key_order(tmp_path):
    # nbformat writes JSON objects with sorted keys; JSON text survives the file as written
    section = {"zz_b": {"second": 2, "first": 1}, "aa_a": [{"y": 1, "x": 2}], "month": "2026-10"}
    path = _write(tmp_path, "01_x.ipynb", _nb([_emitted(json.dumps(section, ensure_ascii=False))]))
    raw = json.dumps(report.collect_sections([path]), ensure_ascii=False)
    assert raw == ('{"month": "2026-10", "zz_b": {"second": 2, "first": 1}, '
                   '"aa_a": [{"y": 1, "x": 2}]}')


def test_section_must_be_a_json_object(tmp_path):
    path = _write(tmp_path, "02_x.ipynb", _nb([_emitted([1, 2])]))
    with pytest.raises(ReportRenderError, match="02_x.ipynb.*JSON object"):
        report.collect_sections([path])


def test_notebook_emitting_nothing_is_reported(tmp_path):
    talks = _write(tmp_path, "01_a.ipynb", _nb([_stdout_cell("hi\n"), _emitted({"month": "m"})]))
    quiet = _write(tmp_path, "02_b.ipynb", _nb([new_markdown_cell("# 第二章"),
                                              _stdout_cell("没有 emit\n")]))
    empty = _write(tmp_path, "03_c.ipynb", _nb([_emitted({})]))  # emitted, just no keys
    silent: list = []
    assert report.collect_sections([talks, quiet, empty], silent=silent) == {"month": "m"}
    assert silent == [quiet]


def test_html_has_no_metrics_section(rendered):
    html, found = rendered
    for absent in (METRICS_MIME, "returns-kit.metrics", "metrics.json 第 1 章",
                   "metrics.json 第 2 章", "SECTION_ONLY_VALUE_c0ve", "zz_local_key",
                   "aa_other_key", "TestChapter"):
        assert absent not in html, absent
    assert not any("metrics" in w.text for w in found)  # dropped silently, not a warning


def test_emitting_cell_is_dropped_from_the_combined_notebook(executed):
    nb, _ = report.combine_notebooks(executed, "t")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(METRICS_MIME in o.get("data", {}) for c in code for o in c.outputs)
    assert not any(".emit()" in c.source or "METRICS_MIME" in c.source for c in code)
    assert all(c.outputs for c in code)  # no empty output boxes left behind


def _run_report_notebooks(folder: Path) -> Path:
    _write(folder, "01_概览.ipynb", _nb([
        _params_cell('month: str = "2026-10"  # 报告月份'),
        new_markdown_cell("# 第一章 概览"),
        new_code_cell(EMIT_CH1.replace('"min_orders": min_orders', '"min_orders": 3')),
    ]))
    _write(folder, "02_安静.ipynb", _nb([
        new_markdown_cell("# 第二章 没有指标"),
        new_code_cell('print("第二章正文")'),
    ]))
    return folder


def test_run_report_writes_the_emitted_sections(tmp_path, monkeypatch, capsys):
    calls = []
    # the ingest's answer (in its own process): the month has data, no file was skipped
    monkeypatch.setattr(report.run, "_ingest_in_turn", lambda *a: calls.append(a) or ({"2026-10"}, []))
    index = report.run_report(
        "2026-10", raw=tmp_path / "raw", external=tmp_path / "ext", processed=tmp_path / "p",
        out=tmp_path / "reports", conf=tmp_path / "conf",
        notebooks=_run_report_notebooks(tmp_path / "nbs"), progress=False, timeout=120, jobs=4)
    assert len(calls) == 1
    assert index == tmp_path / "reports" / "2026-10" / "index.html"
    expected = {"month": "2026-10",
                "coverage": {"matched_share": 0.875, "note": "SECTION_ONLY_VALUE_c0ve"},
                "zz_local_key": {"min_orders": 3, "rows": 12, "rate": None}}
    raw = (index.parent / "metrics.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert raw == json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    run = data.pop("run")
    run_id = run["id"]
    assert run["jobs"] == 2  # two chapters: two workers, though four were allowed
    assert data == expected and list(data) == list(expected)
    html = index.read_text(encoding="utf-8")
    assert f'<meta name="returns-kit-run" content="{run_id}"/>' in html
    assert sorted(p.name for p in (index.parent / "_run").iterdir()) == ["01_概览.ipynb", "02_安静.ipynb"]
    assert not list(index.parent.glob("_run.*"))  # this run's own folder became _run
    assert "第二章正文" in html
    assert METRICS_MIME not in html and "SECTION_ONLY_VALUE_c0ve" not in html
    err = capsys.readouterr().err
    assert "returns-kit: warning: 02_安静.ipynb emitted no metrics.json section" in err
    assert "01_概览.ipynb emitted" not in err


def test_concurrent_runs_of_one_month_leave_one_runs_outputs(tmp_path):
    """Three `report` processes for the same month at once: the month's lock lets one write
    (the others exit 3 saying so, or run after it), and the index.html, metrics.json and _run/
    left behind all come from one run."""
    import subprocess
    import sys

    from bad_inputs import write_base

    raw = tmp_path / "raw"
    raw.mkdir()
    write_base(raw, ("after_sales", "orders"))
    (tmp_path / "conf" / "local").mkdir(parents=True)
    (tmp_path / "conf" / "local" / "salt.txt").write_text("s\n", encoding="utf-8")
    _write(tmp_path / "nbs", "01_慢.ipynb", _nb([
        _params_cell('month: str = "2026-10"  # 报告月份'),
        new_markdown_cell("# 第一章 慢"),
        new_code_cell("import time\ntime.sleep(6)"),
        new_code_cell(EMIT_CH1.replace('"min_orders": min_orders', '"min_orders": 3')),
    ]))
    argv = [sys.executable, "-m", "returns_kit", "report", "--month", "2026-10", "--raw", str(raw),
            "--external", str(tmp_path / "ext"), "--processed", str(tmp_path / "p"), "--out", str(tmp_path / "out"),
            "--conf", str(tmp_path / "conf"), "--notebooks", str(tmp_path / "nbs"), "--no-progress"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and set(codes) <= {0, 3}, results
    assert 3 in codes, results  # the runs overlapped: one held the lock while another asked
    for code, err in results:
        if code == 3:
            assert "is being written by another run" in err and "wait for it to finish" in err, err
    month = tmp_path / "out" / "2026-10"
    run_id = json.loads((month / "metrics.json").read_text(encoding="utf-8"))["run"]["id"]
    assert f'<meta name="returns-kit-run" content="{run_id}"/>' in (month / "index.html").read_text(encoding="utf-8")
    executed = nbformat.read(month / "_run" / "01_慢.ipynb", as_version=4)
    assert executed.metadata["papermill"]["output_path"].endswith(f"_run.{run_id}/01_慢.ipynb")
    assert not list(month.glob("_run.*"))


def test_run_report_bad_input_exits_before_any_notebook(tmp_path, monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("a notebook ran")

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "名单.csv").write_text("姓名,年龄\n张三,30\n", encoding="utf-8")
    monkeypatch.setattr(report.run, "execute_chapters", no_run)
    with pytest.raises(InputError, match="名单.csv") as caught:  # raised in the ingest's own process
        report.run_report("2026-10", raw=raw, external=tmp_path, processed=tmp_path / "processed",
                          out=tmp_path / "reports", conf=tmp_path,
                          notebooks=_run_report_notebooks(tmp_path / "nbs"), progress=False)
    assert caught.value.exit_code == 2
    assert not (tmp_path / "reports").exists()


def test_run_report_checks_the_month(tmp_path):
    with pytest.raises(ParameterError, match="2026-10"):
        report.run_report("2026-13", raw=tmp_path, external=tmp_path, processed=tmp_path,
                          out=tmp_path, conf=tmp_path, notebooks=tmp_path)


# ----------------------------------------------------------------------------- writing


def test_write_report_writes_utf8_and_nan_as_null(tmp_path):
    metrics = {"month": "2026-10", "cohort_view": {"refund_rate_count": float("nan"),
                                                   "paid_amount": 1234.5},
               "provinces": [{"province": "新疆维吾尔自治区", "refund_rate": math.inf}]}
    index = report.write_report(tmp_path / "2026-10", "<html lang=\"zh\">退货</html>", metrics)
    assert index == tmp_path / "2026-10" / "index.html"
    assert index.read_text(encoding="utf-8") == "<html lang=\"zh\">退货</html>"
    raw = (tmp_path / "2026-10" / "metrics.json").read_text(encoding="utf-8")
    assert "新疆维吾尔自治区" in raw and "NaN" not in raw and "Infinity" not in raw
    data = json.loads(raw)
    assert data["cohort_view"]["refund_rate_count"] is None
    assert data["provinces"][0]["refund_rate"] is None
    assert sorted(p.name for p in (tmp_path / "2026-10").iterdir()) == [
        "index.html", "metrics.json"]  # no temp files left


def test_write_report_failure_keeps_previous_report(tmp_path, monkeypatch):
    month_dir = tmp_path / "2026-10"
    report.write_report(month_dir, "<html>旧报告</html>", {"month": "2026-10", "v": 1})

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        report.write_report(month_dir, "<html>新报告</html>", {"month": "2026-10", "v": 2})
    monkeypatch.undo()
    assert (month_dir / "index.html").read_text(encoding="utf-8") == "<html>旧报告</html>"
    assert json.loads((month_dir / "metrics.json").read_text(encoding="utf-8"))["v"] == 1
    assert not list(month_dir.glob(".*.tmp"))


def test_write_report_unserialisable_metrics_leave_previous(tmp_path):
    month_dir = tmp_path / "2026-10"
    report.write_report(month_dir, "<html>旧报告</html>", {"month": "2026-10"})
    before = os.stat(month_dir / "index.html").st_mtime_ns

    class Weird:
        def __str__(self):
            raise RuntimeError("cannot print")

    with pytest.raises(TypeError, match="not a JSON value: Weird"):
        report.write_report(month_dir, "<html>新报告</html>", {"x": Weird()})
    assert (month_dir / "index.html").read_text(encoding="utf-8") == "<html>旧报告</html>"
    assert os.stat(month_dir / "index.html").st_mtime_ns == before


def test_remove_stale_temp_files(tmp_path):
    (tmp_path / ".index.html.abc123.tmp").write_text("half", encoding="utf-8")
    (tmp_path / ".metrics.json.x.tmp").write_text("half", encoding="utf-8")
    (tmp_path / "index.html").write_text("keep", encoding="utf-8")
    removed = report.remove_stale_temp_files(tmp_path)
    assert len(removed) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_font_subsets_are_kept_and_read_back_byte_for_byte(tmp_path, monkeypatch):
    """A render of the same characters reads the subset back (identical to subsetting again);
    the cache keeps only the newest subsets."""
    from fontTools import subset

    from returns_kit import fonts

    made = fonts.cjk_font_face({"退", "货"}, tmp_path)
    assert made is not None and len(list(tmp_path.iterdir())) == 1
    assert fonts.cjk_font_face({"退", "货"}) == made  # no cache: the same bytes
    monkeypatch.setattr(subset, "Subsetter", None)  # a cache hit does not subset
    assert fonts.cjk_font_face({"货", "退"}, tmp_path) == made
    monkeypatch.undo()
    monkeypatch.setattr(fonts, "FONT_CACHE_KEEP", 2)
    for text in ("月报", "退款率", "品退"):
        fonts.cjk_font_face(set(text), tmp_path)
    assert len(list(tmp_path.glob("*.woff2"))) == 2


def _chart_png(color: str) -> bytes:
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
    ax.bar(["a", "b"], [1, 2], color=color)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_compressed_charts_are_kept_for_the_next_render_and_pruned(tmp_path, monkeypatch):
    from returns_kit.report import render

    def page(*pngs):
        return "".join(f'<img src="data:image/png;base64,{base64.b64encode(p).decode()}"/>' for p in pngs)

    red, blue = _chart_png("red"), _chart_png("blue")
    cache = tmp_path / "charts" / "2026-10"
    fresh, only_blue = render.compress_images(page(red, blue)), render.compress_images(page(blue))
    first = render.compress_images(page(red, blue), cache_dir=cache)
    assert first == fresh and len(list(cache.glob("*.png"))) == 2
    png = base64.b64decode(re.search(r"base64,([^\"]+)", first).group(1))
    assert png[25] == 3  # a palette PNG

    def refuse(data):
        raise AssertionError("compressed again")

    monkeypatch.setattr(render, "compress_png", refuse)
    assert render.compress_images(page(red, blue), cache_dir=cache) == fresh  # read back
    assert render.compress_images(page(blue), cache_dir=cache) == only_blue
    assert len(list(cache.glob("*.png"))) == 1  # the chart the page no longer shows is gone
    with pytest.raises(AssertionError, match="compressed again"):
        render.compress_images(page(red), cache_dir=cache)
