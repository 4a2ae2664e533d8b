"""Months side by side: reports/index.html, `report --months`, and closed months kept as
snapshots that a later re-render compares itself with."""

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from returns_kit import cli
from returns_kit.errors import InputError, ParameterError
from returns_kit.report import month_range
from returns_kit.report.index import month_entries, render_index
from returns_kit.report.run import months_with_data, require_month_data
from returns_kit.report.snapshots import SNAPSHOT_NAME, compare, keep_snapshot, load_snapshot
from returns_kit.summary import equal_age_trend

REPO = Path(__file__).resolve().parents[1]
T = pd.Timestamp


def test_month_range():
    assert month_range("2025-11..2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_range("2026-08, 2026-10") == ["2026-08", "2026-10"]
    with pytest.raises(ParameterError, match="backwards"):
        month_range("2026-10..2026-01")
    with pytest.raises(ParameterError):
        month_range("2026-13..2026-14")


def _metrics(month, rate, provisional, change=None, significant=False, as_of="2026-11-08 09:12:03"):
    return {"month": month, "as_of": as_of,
            "cohort_view": {"paid_sub_orders": 4000, "refund_rate_count": rate, "provisional": provisional},
            "application_view": {"after_sales": 900}, "data_quality": {"rows_kept": 5000},
            "summary": {"kpis": [{"key": "refund_rate_count", "value": rate, "previous": None if change is None
                                  else rate - change, "change": change, "significant": significant},
                                 {"key": "applications", "value": 900}],
                        "sentences": ["本月退款率 …", f"{month} 的第一个原因"],
                        "trend": [{"month": "2026-09", "refund_rate": 0.138}, {"month": "2026-10", "refund_rate": 0.168}]}}


def test_snapshot_compare_and_keep(tmp_path):
    closed = _metrics("2026-09", 0.150, provisional=False)
    assert load_snapshot(tmp_path) is None
    (tmp_path / "metrics.json").write_text(json.dumps(_metrics("2026-09", 0.15, provisional=True)), encoding="utf-8")
    assert load_snapshot(tmp_path) is None  # an immature month is no record yet
    assert keep_snapshot(tmp_path, _metrics("2026-09", 0.15, provisional=True)) is None
    assert keep_snapshot(tmp_path, closed) == tmp_path / SNAPSHOT_NAME
    later = _metrics("2026-09", 0.1523, provisional=False)
    later["cohort_view"]["paid_sub_orders"] = 4001
    changes = compare(load_snapshot(tmp_path), later)
    assert [(c["label"], c["before_text"], c["after_text"]) for c in changes] == [
        ("支付子订单", "4,000", "4,001"), ("退款率（订单数）", "15.00%", "15.23%")]
    assert keep_snapshot(tmp_path, later) is None  # the record is never overwritten
    assert json.loads((tmp_path / SNAPSHOT_NAME).read_text(encoding="utf-8"))["cohort_view"]["refund_rate_count"] == 0.15
    assert compare(closed, closed) == []


def test_index_lists_every_month_with_the_trend(tmp_path):
    for month, m in (("2026-09", _metrics("2026-09", 0.15, False)),
                     ("2026-10", _metrics("2026-10", 0.168, True, change=0.03, significant=True))):
        (tmp_path / month).mkdir()
        (tmp_path / month / "index.html").write_text("<html></html>", encoding="utf-8")
        (tmp_path / month / "metrics.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "2026-08").mkdir()  # no report in it: not listed
    entries = month_entries(tmp_path)
    assert [e["month"] for e in entries] == ["2026-10", "2026-09"]
    page = render_index(entries)
    assert page.index('href="2026-10/index.html"') < page.index('href="2026-09/index.html"')
    assert "16.8%" in page and "较上月同龄 +3.0 个百分点（超出正常波动）" in page and "暂估" in page
    assert "2026-10 的第一个原因" in page
    assert "data:image/png;base64" in page and "共 2 个月" in page
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", page)


def test_equal_age_trend_cuts_every_month_at_the_same_age():
    outcomes = pd.DataFrame({"sub_order_id": ["a", "b", "c", "d"],
                             "pay_time": [T("2026-09-10"), T("2026-09-20"), T("2026-10-10"), T("2026-10-20")]})
    after_sales = pd.DataFrame({
        "sub_order_id": ["a", "b", "c", "d"], "after_sale_id": ["A", "B", "C", "D"], "is_refund_success": True,
        "apply_time": [T("2026-09-12"), T("2026-10-05"), T("2026-10-12"), T("2026-10-25")],
        "merchant_refund_time": [T("2026-09-13"), T("2026-10-09"), T("2026-10-13"), T("2026-10-26")],
        "finish_time": pd.NaT})
    t = equal_age_trend(outcomes, after_sales, "2026-10", T("2026-11-08 09:00"), months=3).set_index("month")
    assert list(t.index) == ["2026-09", "2026-10"]  # August has no orders
    assert t.loc["2026-09", "refunded"] == 1  # b's refund came 10-09, after September's cutoff 10-08 09:00
    assert t.loc["2026-10", "refund_rate"] == 1.0
    assert t.loc["2026-09", "cutoff"] == T("2026-10-08 09:00")


def test_a_month_without_data_is_a_clear_error():
    from returns_kit.io import Dataset

    data = Dataset(after_sales=pd.DataFrame({"apply_time": [T("2026-10-05")]}),
                   orders=pd.DataFrame({"pay_time": [T("2026-09-30"), pd.NaT]}), accounting=pd.DataFrame(),
                   quarantine=pd.DataFrame())
    assert months_with_data(data) == {"2026-09", "2026-10"}
    require_month_data(months_with_data(data), "2026-10", "data/raw")
    with pytest.raises(InputError, match=r"no paid order and no after-sale of 2026-07 in data/raw "
                                         r"\(months with data: 2026-09 … 2026-10\)"):
        require_month_data(months_with_data(data), "2026-07", "data/raw")


@pytest.fixture
def one_chapter(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    shutil.copy(REPO / "notebooks" / "01_data_pull.ipynb", nbs)
    return nbs


def _args(workspace, out, nbs):
    return ["--raw", str(workspace / "raw"), "--external", str(workspace / "external"),
            "--processed", str(workspace / "processed"), "--out", str(out), "--conf", str(workspace / "conf"),
            "--notebooks", str(nbs), "--no-progress"]


def test_months_batch_and_snapshot_of_a_closed_month(workspace, tmp_path, one_chapter, capsys):
    out = tmp_path / "reports"
    assert cli.main(["report", "--months", "2026-08..2026-10", *_args(workspace, out, one_chapter)]) == 0
    captured = capsys.readouterr()
    assert "2026-08: no data" in captured.err
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-10/index.html"' in index and 'href="2026-09/index.html"' in index
    assert "2026-08" not in index
    # September is 38 days past its month end at the sample's export: closed, kept as a snapshot
    assert (out / "2026-09" / SNAPSHOT_NAME).exists() and not (out / "2026-10" / SNAPSHOT_NAME).exists()
    snap = json.loads((out / "2026-09" / SNAPSHOT_NAME).read_text(encoding="utf-8"))
    kept = snap["cohort_view"]["refund_rate_count"]
    snap["cohort_view"]["refund_rate_count"] = kept - 0.01  # what the manager was told back then
    (out / "2026-09" / SNAPSHOT_NAME).write_text(json.dumps(snap), encoding="utf-8")

    assert cli.main(["report", "--month", "2026-09", *_args(workspace, out, one_chapter)]) == 0
    err = capsys.readouterr().err
    assert "与存档" in err and "退款率（订单数）" in err
    m = json.loads((out / "2026-09" / "metrics.json").read_text(encoding="utf-8"))
    [change] = m["snapshot"]["changes"]
    assert change["key"] == "refund_rate_count" and change["after"] == kept
    assert "与存档" in (out / "2026-09" / "index.html").read_text(encoding="utf-8")
    assert "与存档（已结月）相比有变化" in (out / "index.html").read_text(encoding="utf-8")

    assert cli.main(["report", "--month", "2026-07", *_args(workspace, out, one_chapter)]) == 2
    assert "no paid order and no after-sale of 2026-07" in capsys.readouterr().err


def test_one_report_per_month_at_a_time(workspace, tmp_path, one_chapter, capsys):
    """A second run for a month that is being written fails at once with a clear message and
    touches nothing; the lock is the operating system's, so a killed run leaves none behind."""
    import subprocess
    import sys
    import time

    from returns_kit.core.files import exclusive_lock
    from returns_kit.errors import RunLockedError

    out = tmp_path / "reports"
    lock = out / "2026-10" / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from returns_kit.core.files import exclusive_lock\n"
        f"with exclusive_lock({str(lock)!r}, 'x'):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli.main(["report", "--month", "2026-10", *_args(workspace, out, one_chapter)]) == 3
        err = capsys.readouterr().err
        assert "the 2026-10 report" in err and f"pid {holder.pid}" in err and "run again" in err
        assert not (out / "2026-10" / "index.html").exists() and not (out / "2026-10" / "metrics.json").exists()
        with pytest.raises(RunLockedError):
            with exclusive_lock(lock, "x", wait=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()
    start = time.monotonic()
    with exclusive_lock(lock, "x", wait=5):  # killed: the lock went with it
        assert time.monotonic() - start < 5
    assert cli.main(["report", "--month", "2026-10", *_args(workspace, out, one_chapter)]) == 0
    m = json.loads((out / "2026-10" / "metrics.json").read_text(encoding="utf-8"))
    assert m["month"] == "2026-10" and (out / "2026-10" / "index.html").exists()


def test_files_not_read_are_listed_on_the_command_line_and_in_chapter_1(workspace, tmp_path, one_chapter,
                                                                        capsys):
    raw = tmp_path / "raw"
    shutil.copytree(workspace / "raw", raw)
    (raw / "截图.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    args = _args(workspace, tmp_path / "reports", one_chapter)
    args[args.index("--raw") + 1] = str(raw)
    args[args.index("--processed") + 1] = str(tmp_path / "processed")
    assert cli.main(["report", "--month", "2026-10", *args]) == 0
    assert "not read (not 抖店 exports)" in capsys.readouterr().err
    page = (tmp_path / "reports" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "1 个文件不是抖店导出，没有读取：截图.png" in page
    m = json.loads((tmp_path / "reports" / "2026-10" / "metrics.json").read_text(encoding="utf-8"))
    assert m["data_quality"]["skipped_files"] == ["截图.png"]
