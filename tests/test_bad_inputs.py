"""The bad-input corpus (tests/bad_inputs.py) through the real CLI: every case either exits 2
with a message naming the file (and row/column, and what to do), or succeeds with every row
accounted for and the broken values in the quarantine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from bad_inputs import AS_FILE, CASES, ORDER_FILE, Case, build, write_base
from returns_kit import cli, io
from returns_kit.io import exports, readers

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def conf(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("conf")
    shutil.copytree(REPO / "conf" / "base", root / "base")
    (root / "local").mkdir()
    (root / "local" / "salt.txt").write_text("corpus-salt\n", encoding="utf-8")
    return root


def _run(argv: list[str], capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(argv)
    return code, capsys.readouterr().err


def test_the_corpus_is_big_enough_and_every_case_says_what_it_expects():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    for case in CASES:
        assert bool(case.error) != bool(case.accounting or case.check), case.name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path, conf, capsys):
    build(tmp_path, [case])
    raw, processed = tmp_path / case.name / "raw", tmp_path / "processed"
    code, err = _run(["ingest", "--raw", str(raw), "--processed", str(processed), "--conf", str(conf)], capsys)
    if case.error:
        assert code == 2, err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("returns-kit: error: "), err
        for fragment in case.error:
            assert fragment in lines[0], (fragment, lines[0])
        assert "Traceback" not in err
        return
    assert code == 0, err
    data = io.ingest(raw, processed, conf_dir=conf)
    assert data.from_cache
    acc = data.accounting.set_index("file")
    for name, (read, kept, dup, rejected) in case.accounting.items():
        assert tuple(int(v) for v in acc.loc[name, ["rows_read", "rows_kept", "duplicates", "rejected"]]) == \
            (read, kept, dup, rejected), name
    for base in (AS_FILE, ORDER_FILE):  # the valid files beside it: every row read and kept
        if base in acc.index and base not in case.accounting:
            assert acc.loc[base, "rejected"] == 0 and acc.loc[base, "rows_read"] == acc.loc[base, "rows_kept"] + \
                acc.loc[base, "duplicates"]
    got = sorted(zip(data.quarantine["file"], data.quarantine["row"], data.quarantine["column"],
                     data.quarantine["reason"]))
    assert [g[:3] for g in got] == sorted(q[:3] for q in case.quarantine), got
    for g, q in zip(got, sorted(case.quarantine)):
        assert q[3] in g[3], (q, g)
    written = pd.read_csv(processed / "quarantine.csv", dtype=str, keep_default_na=False)
    assert len(written) == len(got)
    if case.check:
        case.check(data)


def test_a_yaml_error_and_a_month_without_data_exit_2_before_any_notebook(tmp_path, conf, capsys):
    """The two report-level cases of the corpus: messages, not tracebacks."""
    raw = tmp_path / "raw"
    raw.mkdir()
    write_base(raw, ("after_sales", "orders"))
    common = ["--raw", str(raw), "--processed", str(tmp_path / "p"), "--external", str(tmp_path / "ext"),
              "--out", str(tmp_path / "reports"), "--no-progress"]
    code, err = _run(["report", "--month", "2026-03", "--conf", str(conf), *common], capsys)
    assert code == 2 and "no paid order and no after-sale of 2026-03" in err and "2026-10" in err, err

    broken = tmp_path / "conf2"
    shutil.copytree(conf, broken)
    (broken / "local" / "thresholds.yml").write_text("alerts:\n  min_orders: [1, 2\n", encoding="utf-8")
    code, err = _run(["report", "--month", "2026-10", "--conf", str(broken), *common], capsys)
    assert code == 2 and "thresholds.yml" in err and "line" in err and "Traceback" not in err, err
    assert not (tmp_path / "reports" / "2026-10" / "index.html").exists()


def _read_or_refusal(path: Path):
    """:func:`read_export` of ``path``, or the error that refuses it."""
    try:
        return exports.read_export(path, salt="s")
    except Exception as exc:
        return exc


def _same_reading(got, want, path: Path) -> bool:
    """Asserts two readings of ``path`` are the same (refused with the same error, or the same
    kind, frames, quarantine and row count); whether it was read."""
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(got) == str(want), path
        return False
    assert not isinstance(got, Exception), (path, got)
    assert got[0] == want[0] and got[3] == want[3], path
    pd.testing.assert_frame_equal(got[1], want[1])
    pd.testing.assert_frame_equal(got[2], want[2])
    return True


def test_every_workbook_of_the_corpus_reads_the_same_through_fastexcel_and_calamine(tmp_path, monkeypatch):
    """An all-text sheet goes straight into Arrow (readers._text_grid); any other through
    calamine's values.  Which way a workbook goes changes no cell, row number or quarantine line."""
    build(tmp_path, CASES)
    books = [p for p in sorted(tmp_path.glob("*/raw/*")) if readers.file_type(p).reader == "workbook"]
    fast = slow = 0
    for path in books:
        got = _read_or_refusal(path)  # the refused ones: refused the same way
        taken = [readers._text_grid(path, i) is not None for i in range(2)] if not isinstance(got, Exception) else []
        with monkeypatch.context() as m:
            m.setattr(readers, "_text_grid", lambda *a: None)
            want = _read_or_refusal(path)
        if not _same_reading(got, want, path):
            continue
        fast += any(taken)
        slow += not any(taken)
    assert fast >= 5 and slow >= 1, (fast, slow)  # both ways are exercised


def test_every_csv_of_the_corpus_reads_the_same_in_many_blocks(tmp_path, monkeypatch):
    """A CSV's columns stay in the reader's blocks (readers.read_csv_columns: joining them would
    copy the file): cleaned, parsed and quarantined block by block, every frame, row number and
    quarantine line is what one block gives."""
    build(tmp_path, CASES)
    tables = [p for p in sorted(tmp_path.glob("*/raw/*")) if readers.file_type(p).reader != "workbook"]
    compared = 0
    for path in tables:
        want = _read_or_refusal(path)
        # the corpus's files in several blocks (a block holds at least a whole line, as Arrow needs)
        block = max(256, 2 * max(map(len, path.read_bytes().splitlines()), default=0))
        with monkeypatch.context() as m:
            m.setattr(readers, "CSV_BLOCK_BYTES", block)
            got = _read_or_refusal(path)
        if not _same_reading(got, want, path):
            continue
        compared += path.stat().st_size > 2 * block  # three blocks or more
    assert compared >= 5, compared  # files that the small blocks really cut
