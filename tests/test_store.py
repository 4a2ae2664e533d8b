"""The results kept between runs (returns_kit.core.store) and the month's context and chapters
that use them: computed once per inputs, read back by later kernels, recomputed when an input,
a setting or the kit's code changes, and the same report either way."""

import json
import os
import pickle
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from returns_kit import chapters
from returns_kit.chapters import ch3_breakdown, notebook
from returns_kit.chapters import context as context_module
from returns_kit.chapters.context import STORE_DIR, UNREAD_ORDER_COLUMNS, Context, build_context
from returns_kit.core import store as store_module
from returns_kit.core.jsonable import jsonable
from returns_kit.core.mime import TABLE_MIME
from returns_kit.core.store import Store, code_version, open_store, store_key
from returns_kit.io import load
from returns_kit.report import run_report

REPO = Path(__file__).resolve().parents[1]


def test_a_result_is_computed_once_and_read_back_by_another_store(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"rate": 0.125, "ids": ["1", "2"]}

    assert Store(tmp_path / "k").get("x", compute) == {"rate": 0.125, "ids": ["1", "2"]}
    assert Store(tmp_path / "k").get("x", compute) == {"rate": 0.125, "ids": ["1", "2"]}
    assert len(calls) == 1
    assert pickle.loads((tmp_path / "k" / "x.pickle").read_bytes())["rate"] == 0.125
    assert not list((tmp_path / "k").glob(".*tmp"))  # written through a temp file, nothing left


def test_a_result_another_process_is_computing_is_waited_for_not_computed_twice(tmp_path):
    import threading
    import time

    calls = []

    def slow():
        calls.append("first")
        time.sleep(0.8)
        return "outcomes"

    first = threading.Thread(target=lambda: Store(tmp_path).get("outcomes", slow))
    first.start()
    time.sleep(0.2)  # the first holds the lock (flock: each open of the lock file is its own holder)
    assert Store(tmp_path).get("outcomes", lambda: calls.append("second") or "again") == "outcomes"
    first.join()
    assert calls == ["first"]


def test_a_damaged_pickle_is_computed_again(tmp_path):
    store = Store(tmp_path)
    store.path("x").write_bytes(b"\x80\x05 cut off by a full disk")
    assert store.get("x", lambda: 42) == 42
    assert Store(tmp_path).get("x", lambda: pytest.fail("the rewritten pickle should be read")) == 42


def test_a_store_that_cannot_be_written_still_gives_the_result(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert Store(blocker / "k").get("x", lambda: "value") == "value"


def test_a_result_that_cannot_be_pickled_is_returned_not_kept(tmp_path):
    value = {"rate": 0.5, "ids": list(range(10_000)), "format": lambda x: f"{x:.1%}"}
    assert Store(tmp_path).get("x", lambda: value) is value
    assert not Store(tmp_path).path("x").exists()
    assert not list(tmp_path.glob(".*tmp"))  # the pickle streamed into the file and failed halfway: removed


def test_only_the_newest_key_folders_of_a_group_are_kept(tmp_path):
    import time

    for i, key in enumerate(["a", "b", "c"]):
        open_store(tmp_path, "2026-10", key, keep=2).get("x", lambda: 1)
        os.utime(tmp_path / "2026-10" / key, ns=(time.time_ns() - (10 - i) * 10**9,) * 2)
    open_store(tmp_path, "2026-10", "d", keep=2)
    assert sorted(p.name for p in (tmp_path / "2026-10").iterdir()) == ["c", "d"]
    open_store(tmp_path, "2026-09", "a", keep=2)  # another group keeps its own
    assert (tmp_path / "2026-10" / "c").is_dir()


def test_the_key_changes_with_the_kits_code_and_with_the_inputs(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "metric.py").write_text("RATE = 1\n", encoding="utf-8")
    monkeypatch.setattr(store_module, "_PACKAGE", package)
    code_version.cache_clear()
    try:
        first = code_version()
        key = store_key("2026-10", ("raw", 10))
        (package / "__pycache__").mkdir()
        (package / "__pycache__" / "metric.cpython-311.pyc").write_bytes(b"compiled")
        code_version.cache_clear()
        assert code_version() == first  # compiled files are not the code
        assert store_key("2026-10", ("raw", 10)) == key
        assert store_key("2026-10", ("raw", 11)) != key
        assert store_key("2026-11", ("raw", 10)) != key
        (package / "metric.py").write_text("RATE = 2\n", encoding="utf-8")
        code_version.cache_clear()
        assert code_version() != first
        assert store_key("2026-10", ("raw", 10)) != key
    finally:
        code_version.cache_clear()


def _setup(workspace, conf=None, processed=None):
    notebook._LAST.clear()  # as a new kernel would
    return notebook.setup("2026-10", raw_dir=workspace / "raw", external_dir=workspace / "external",
                          processed_dir=processed or workspace / "processed", conf_dir=conf or workspace / "conf")


def test_a_new_kernel_reads_the_context_and_chapters_the_report_kept(workspace, report, monkeypatch):
    _, _, metrics = report
    kept = list((workspace / "processed" / STORE_DIR / "2026-10").glob("*/ch3_breakdown.*.pickle"))
    assert kept, "the report's run kept chapter 3"

    def must_not_run(*args, **kwargs):
        raise AssertionError("recomputed although nothing changed")

    monkeypatch.setattr(context_module, "outcome_columns", must_not_run)
    monkeypatch.setattr(ch3_breakdown, "daily", must_not_run)
    monkeypatch.setattr(context_module.anomaly, "detect", must_not_run)
    monkeypatch.setattr(ch3_breakdown.Breakdown, "drilldowns", must_not_run)
    ctx = _setup(workspace)
    ch = ch3_breakdown.build(ctx)
    section = json.loads(json.dumps(jsonable(ch.metrics()), ensure_ascii=False))
    assert section and {key: metrics[key] for key in section} == section  # what the page showed
    assert ctx.monitoring.month == "2026-10"
    executed = nbformat.read(report[0].parent / "_run" / "03_breakdown.ipynb", as_version=4)
    shown = [o["data"][TABLE_MIME] for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if TABLE_MIME in o.get("data", {}) and '"drilldown": true' in o["data"][TABLE_MIME]]
    assert len(shown) >= 2 and [sheet for _, _, sheet in ch.drilldown_sheets()] == shown  # the report's sheets
    assert "data" not in vars(ctx) and "outcomes" not in vars(ctx)  # the kernel read no table
    assert "_returns_kit_keep" not in pickle.loads(pickle.dumps(ch)).__dict__  # the context is not pickled


def test_a_context_leaves_the_unread_order_columns_on_disk_and_builds_the_same_chapters(workspace, report):
    folders = dict(raw_dir=workspace / "raw", external_dir=workspace / "external",
                   processed_dir=workspace / "processed", conf_dir=workspace / "conf")
    ctx = build_context("2026-10", **folders)  # no store: every chapter is computed
    full = load(workspace / "raw", workspace / "processed", conf_dir=workspace / "conf")
    assert set(full.orders.columns) - set(ctx.data.orders.columns) == UNREAD_ORDER_COLUMNS
    assert list(ctx.data.orders.columns) == [c for c in full.orders.columns if c not in UNREAD_ORDER_COLUMNS]
    assert not UNREAD_ORDER_COLUMNS & set(ctx.outcomes.columns)
    with pytest.raises(TypeError, match="unknown order column.*pay_methd"):
        load(workspace / "raw", workspace / "processed", conf_dir=workspace / "conf", order_columns=["pay_methd"])
    whole = Context(month=ctx.month, settings=ctx.settings, taxonomy=ctx.taxonomy, catalog=ctx.catalog,
                    conf_dir=ctx.conf_dir, external_dir=ctx.external_dir, given={"data": full})
    for name in chapters.CHAPTERS:
        build = getattr(chapters, name).build
        mine, theirs = build(ctx), build(whole)
        assert jsonable(mine.metrics()) == jsonable(theirs.metrics()), name
        assert mine.drilldown_sheets() == theirs.drilldown_sheets(), name


def test_a_kernel_showing_kept_chapters_imports_no_statistics_or_model_library(workspace, report):
    import subprocess
    import sys

    folders = {name: str(workspace / name) for name in ("raw", "external", "processed", "conf")}
    code = (
        "import sys, returns_kit as rk\n"
        f"ctx = rk.chapters.setup('2026-10', raw_dir={folders['raw']!r}, external_dir={folders['external']!r}, "
        f"processed_dir={folders['processed']!r}, conf_dir={folders['conf']!r})\n"
        "chapters = [getattr(rk.chapters, name).build(ctx) for name in rk.chapters.CHAPTERS]\n"
        "print(sorted(m for m in ('scipy.stats', 'seaborn', 'sklearn', 'statsmodels', 'jieba') if m in sys.modules))\n"
    )
    env = {**os.environ, "MPLBACKEND": "agg", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"  # about 2 s of imports a kernel no longer pays


def test_a_notebook_that_changes_the_settings_gets_its_own_results(workspace, report, monkeypatch):
    calls = []
    real = ch3_breakdown.daily
    monkeypatch.setattr(ch3_breakdown, "daily", lambda *a, **k: calls.append(1) or real(*a, **k))
    ctx = _setup(workspace)
    kept = ch3_breakdown.build(ctx)
    assert calls == []  # the report's object
    ctx.settings["min_orders"] = kept.min_orders + 7
    changed = ch3_breakdown.build(ctx)
    assert calls == [1] and changed.min_orders == kept.min_orders + 7


def test_a_changed_setting_computes_the_month_again(workspace, report, tmp_path, monkeypatch):
    conf, processed = tmp_path / "conf", tmp_path / "processed"
    shutil.copytree(workspace / "conf", conf)
    shutil.copytree(workspace / "processed", processed)
    calls = []
    real = context_module.outcome_columns

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(context_module, "outcome_columns", counted)
    assert len(_setup(workspace, conf, processed).outcomes) == len(_setup(workspace, conf, processed).outcomes)
    assert calls == [1]  # the copied folders are new inputs: computed once, then read back
    report_yml = conf / "base" / "report.yml"
    report_yml.write_text(report_yml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert len(_setup(workspace, conf, processed).outcomes) > 0
    assert calls == [1, 1]
    keys = sorted(p.name for p in (processed / STORE_DIR / "2026-10").iterdir())
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{24}", k) for k in keys)


def test_a_warm_run_renders_the_same_report(workspace, report, tmp_path):
    index, html, metrics = report
    again = run_report("2026-10", raw=workspace / "raw", external=workspace / "external",
                       processed=workspace / "processed", out=tmp_path / "reports",
                       conf=workspace / "conf", notebooks=REPO / "notebooks", progress=False,
                       update_index=False)
    warm = json.loads((again.parent / "metrics.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in warm.items() if k != "run"} == {k: v for k, v in metrics.items() if k != "run"}

    def steady(page):
        page = re.sub(r"生成于 [0-9: -]+", "生成于 …", page)
        return re.sub(r'name="returns-kit-run" content="[^"]+"', "", page)

    assert steady(again.read_text(encoding="utf-8")) == steady(html)


def test_a_current_cache_is_summarised_from_two_columns(workspace, report, tmp_path):
    from returns_kit.io import cache_summary, load
    from returns_kit.report.run import months_with_data

    data = load(workspace / "raw", workspace / "processed", conf_dir=workspace / "conf")
    summary = cache_summary(workspace / "raw", workspace / "processed", conf_dir=workspace / "conf")
    assert summary == (months_with_data(data), data.skipped) and "2026-10" in summary[0]
    raw = tmp_path / "raw"
    shutil.copytree(workspace / "raw", raw)
    first = sorted(raw.iterdir())[0]
    os.utime(first, ns=(first.stat().st_mtime_ns + 10**9,) * 2)  # an export saved again: not what the cache holds
    assert cache_summary(raw, workspace / "processed", conf_dir=workspace / "conf") is None
    assert cache_summary(workspace / "raw", tmp_path / "empty", conf_dir=workspace / "conf") is None
