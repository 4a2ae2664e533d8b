"""Shared fixtures.  ``workspace``/``report``: two months of sample data rendered once per
test session through the real runner and the eight chapter notebooks (about 30 s); every test
that reads the rendered report uses them."""

import json
import shutil
from pathlib import Path

import pytest

from returns_kit import sample
from returns_kit.report import run_report

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(REPO / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "local").mkdir()
    (root / "conf" / "local" / "salt.txt").write_text("test-salt\n", encoding="utf-8")
    sample.generate(root / "raw", ["2026-09", "2026-10"], seed=7, external_dir=root / "external")
    return root


@pytest.fixture(scope="session")
def report(workspace):
    index = run_report("2026-10", raw=workspace / "raw", external=workspace / "external",
                       processed=workspace / "processed", out=workspace / "reports",
                       conf=workspace / "conf", notebooks=REPO / "notebooks", progress=False)
    html = index.read_text(encoding="utf-8")
    metrics = json.loads((index.parent / "metrics.json").read_text(encoding="utf-8"))
    return index, html, metrics
