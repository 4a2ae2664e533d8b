"""The scale benchmark's generated month (``benchmarks/bench_ingest.py``): as many order CSVs
as the export's 1,000,000-order cap needs, the same rows whatever the cap, read by the kit whole."""

import pandas as pd
import pytest
from benchmarks_loader import load_benchmark

from returns_kit import io

ORDERS, AFTER_SALES = 2_500, 300


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_ingest")


@pytest.fixture(scope="module")
def months(bench, tmp_path_factory):
    """The same month generated into one order CSV and into CSVs of 1,000 rows each."""
    base = tmp_path_factory.mktemp("bench_data")
    whole, split = base / "whole" / "raw", base / "split" / "raw"
    bench.generate(whole, ORDERS, AFTER_SALES, log=lambda *_: None)
    bench.generate(split, ORDERS, AFTER_SALES, order_cap=1_000, log=lambda *_: None)
    return whole, split


def _bodies(raw):
    lines = []
    for path in sorted(raw.glob("*.csv")):
        header, *rows = path.read_bytes().decode("utf-8").splitlines()
        lines.append((header, rows))
    return lines


def test_the_order_rows_go_to_files_of_at_most_the_cap_in_download_order(bench, months):
    whole, split = months
    assert [len(rows) for _, rows in _bodies(whole)] == [ORDERS]
    assert [len(rows) for _, rows in _bodies(split)] == [1_000, 1_000, 500]
    assert {header for header, _ in _bodies(split)} == {header for header, _ in _bodies(whole)}
    assert [row for _, rows in _bodies(split) for row in rows] == _bodies(whole)[0][1]
    assert bench.is_complete(split, ORDERS, AFTER_SALES, order_cap=1_000)
    assert not bench.is_complete(split, ORDERS, AFTER_SALES)  # the default cap wants one file


def test_a_month_of_several_order_files_ingests_to_the_same_tables(bench, months, tmp_path):
    whole, split = months
    one = io.ingest(whole, tmp_path / "whole", salt="bench")
    three = io.ingest(split, tmp_path / "split", salt="bench")
    assert len(one.orders) == len(three.orders) == ORDERS
    assert len(three.quarantine) == len(one.quarantine) == 0
    # each row is stamped with the file it came from, that file's download time among them
    files = bench.order_files(split, ORDERS, 1_000)
    assert three.orders.groupby("source_file", observed=True).size().to_dict() == {p.name: k for p, k in files.items()}
    stamps = three.orders.groupby("source_file", observed=True)["export_time"].agg(["min", "max"])
    assert (stamps["min"] == stamps["max"]).all() and stamps["min"].is_monotonic_increasing
    assert stamps["min"].nunique() == 3
    provenance = ["source_file", "source_row", "export_time"]
    pd.testing.assert_frame_equal(
        three.orders.drop(columns=provenance).sort_values("sub_order_id", ignore_index=True),
        one.orders.drop(columns=provenance).sort_values("sub_order_id", ignore_index=True))
    pd.testing.assert_frame_equal(three.after_sales, one.after_sales)
