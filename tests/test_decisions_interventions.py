"""Chapter 8's decisions on simulated shops: the small, fast version of
``benchmarks/bench_interventions.py`` (same simulation, same code path, fixed seeds).

150 shops where the intervention does nothing and 50 with a real −5-point effect, in the
benchmark's realistic world (shared day shocks, product-specific day noise, product drift,
promotions).  The bounds leave room for chance — expected figures from the full benchmark: NEW
2.2% false 全店推广, 4.9% any false verdict, 94.5% coverage, 94% power; the OLD sub-order test
8.1%, 19.7%, 77% and 99% — and the last test checks that the old method fails them (so they are
worth something).
"""

import numpy as np
import pytest

from benchmarks_loader import load_benchmark

from returns_kit import interventions as iv

SEED = 2024
N_NULL, N_PLANTED = 150, 50

#: the bounds (see the module docstring for what each method is expected to give)
MAX_FALSE_ROLL_OUT = 0.05  # 全店推广 for an intervention that does nothing
MAX_FALSE_VERDICT = 0.10  # 全店推广 or 停止 for an intervention that does nothing
MIN_COVERAGE_NULL = 0.88  # the 95% interval of the effect covers 0
MIN_COVERAGE_PLANTED = 0.85  # … covers −5 points
MIN_POWER = 0.80  # 全店推广 on a real −5-point improvement


def _bench():
    return load_benchmark("bench_interventions")


@pytest.fixture(scope="module")
def bench():
    return _bench()


@pytest.fixture(scope="module")
def shops(bench):
    results = bench.run(N_NULL, N_PLANTED, seed=SEED, sizes=(0.0, -0.05), workers=1, check_sub_orders=False)
    return results[results["effect_size"] == 0], results[results["effect_size"] == -0.05]


def _figures(null, planted, method):
    return {
        "false_roll_out": float((null[f"{method}_decision"] == iv.ROLL_OUT).mean()),
        "false_verdict": float(null[f"{method}_decision"].isin([iv.ROLL_OUT, iv.STOP]).mean()),
        "coverage_null": float(null[f"{method}_covers"].mean()),
        "coverage_planted": float(planted[f"{method}_covers"].mean()),
        "power": float((planted[f"{method}_decision"] == iv.ROLL_OUT).mean()),
    }


def _failures(f):
    """Which bounds a method's figures break."""
    return [name for name, bad in (
        ("false_roll_out", f["false_roll_out"] > MAX_FALSE_ROLL_OUT),
        ("false_verdict", f["false_verdict"] > MAX_FALSE_VERDICT),
        ("coverage_null", f["coverage_null"] < MIN_COVERAGE_NULL),
        ("coverage_planted", f["coverage_planted"] < MIN_COVERAGE_PLANTED),
        ("power", f["power"] < MIN_POWER),
    ) if bad]


def test_few_false_verdicts_on_interventions_that_do_nothing(shops):
    f = _figures(*shops, "new")
    assert f["false_roll_out"] <= MAX_FALSE_ROLL_OUT, f
    assert f["false_verdict"] <= MAX_FALSE_VERDICT, f


def test_the_95_interval_covers_the_truth(shops):
    f = _figures(*shops, "new")
    assert f["coverage_null"] >= MIN_COVERAGE_NULL, f
    assert f["coverage_planted"] >= MIN_COVERAGE_PLANTED, f


def test_a_real_five_point_improvement_is_rolled_out(shops):
    f = _figures(*shops, "new")
    assert f["power"] >= MIN_POWER, f


def test_the_bounds_reject_the_old_sub_order_method(shops):
    """The former chapter 8 (every sub-order independent) on the same shops: too many false
    verdicts and intervals that miss — the bounds above tell the two methods apart."""
    old = _figures(*shops, "old")
    assert {"false_verdict", "coverage_null"} <= set(_failures(old)), old
    assert _failures(_figures(*shops, "new")) == []


def test_the_benchmark_judges_sub_orders_as_the_kit_does(bench):
    """One simulated shop evaluated from one row per paid sub-order (as the report does) and
    from its product-day counts (as the benchmark does) gives the same result."""
    seq = np.random.SeedSequence([SEED, 99]).spawn(1)[0]
    row = bench.run_one(-0.05, seq, check_sub_orders=True)  # raises when the two disagree
    assert row["new_decision"] in (iv.ROLL_OUT, iv.KEEP_TESTING, iv.STOP)
