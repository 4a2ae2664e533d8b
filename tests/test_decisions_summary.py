"""The summary's decisions on simulated months: the small, fast version of
``benchmarks/bench_summary.py`` (same simulation, same code path, fixed seeds).

Month pairs with no real change must rarely show a KPI or a product "beyond noise"; a doubled
product must come out as the largest positive product driver and be flagged; a shop-wide +25%
must be flagged.  The naive sub-order z-test, on the same null months, flags far more often — so
the bounds are worth something.  Full-size figures: ``benchmarks/bench_summary.py`` (README).
"""

import pytest

from benchmarks_loader import load_benchmark


#: 12 null month pairs: at most 1 with any KPI flagged and at most 1 with a product flagged (the
#: full benchmark's rates are in the README, ≤ 5% each); planted effects caught in ≥ 3 of 4.
NULL_MONTHS, PLANTED_MONTHS = 12, 4


def _bench():
    return load_benchmark("bench_summary")


@pytest.fixture(scope="module")
def bench():
    return _bench()


def test_no_change_is_rarely_called_a_change(bench):
    rows = [bench.run(("null", 500 + i)) for i in range(NULL_MONTHS)]
    assert sum(r["any_kpi_flagged"] for r in rows) <= 1
    assert sum(r["products_flagged"] > 0 for r in rows) <= 1
    # the spreadsheet test on the same months: sub-orders as if independent
    assert sum(r["naive_flagged"] for r in rows) >= 4


def test_planted_changes_are_found(bench):
    product = [bench.run(("product ×2", 700 + i)) for i in range(PLANTED_MONTHS)]
    assert sum(r["planted_top"] and r["planted_flagged"] for r in product) >= PLANTED_MONTHS - 1
    shop = [bench.run(("shop +25%", 900 + i)) for i in range(PLANTED_MONTHS)]
    assert sum(r["rate_flagged"] for r in shop) >= PLANTED_MONTHS - 1
