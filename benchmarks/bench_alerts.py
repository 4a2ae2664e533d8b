"""Decision benchmark of chapter 5's monitor: false alerts when nothing happens, and what it
catches when something does — on simulated months that are as hard as real ones
(``decision_world.py``: delays, day-to-day wobble from traffic mix, drift, promotions).

    .venv/bin/python benchmarks/bench_alerts.py            # full size (a few minutes on 2 cores)
    .venv/bin/python benchmarks/bench_alerts.py --reps 10  # quicker

For each scenario it simulates ``--reps`` months and runs the kit's own monitor
(:func:`returns_kit.anomaly.judge`, settings of ``conf/base/alerts.yml``) on each, then reports per
month: pushed shop alerts, pushed product alerts, the article's 20% rule's alerts (shown, not
pushed), and the old volume-aware binomial test (α = 0.001, no overdispersion, the kit's rule
before this benchmark existed) on the same equal-age series; for planted changes, the share of
months in which the planted day was caught by a pushed alert on its clock.

Targets (issue "Conclusions a manager can act on"): ≤ 1 false pushed shop alert and ≤ 2 false
pushed product alerts per month; ≥ 80% of one-day +30% cohort changes caught at ≥ 1,000
orders/day; ≥ 90% of one-day 2× application surges caught at ~150 applications/day.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decision_world as w  # noqa: E402

from returns_kit import anomaly  # noqa: E402
from returns_kit.cohort_clock import segment_counts  # noqa: E402

SETTINGS = anomaly.load_settings(Path(__file__).resolve().parents[1] / "conf")
RESULTS = Path(__file__).resolve().parent / "results"


def old_binomial_alerts(month: w.Month) -> int:
    """The kit's previous rule on the same equal-age series: Binomial(n, p0) tail < 0.001 with
    p0 pooled over the previous 28 ordinary days, and ≥ 3 refunds above expected."""
    daily = segment_counts(month.inputs.cohort, []).groupby("date")[["paid", "refunded"]].sum()
    days = list(daily.index)
    fired = 0
    for i, day in enumerate(days):
        if day < w.MONTH_START:
            continue
        prev = [d for d in days[:i] if d not in month.promotion_days][-28:]
        n0, k0 = daily.loc[prev, "paid"].sum(), daily.loc[prev, "refunded"].sum()
        n, k = daily.at[day, "paid"], daily.at[day, "refunded"]
        if len(prev) < 7 or n0 < 50 or not n:
            continue
        p0 = k0 / n0
        if stats.binom.sf(k - 1, n, p0) < 0.001 and k - n * p0 >= 3:
            fired += 1
    return fired


def run(task: tuple) -> dict:
    scenario, world, seed, plant = task
    rng = np.random.default_rng(seed + 10_000)
    spike = surge = None
    if plant == "cohort":
        spike = int(rng.choice([d for d in range(3, 28) if d not in (19, 20, 21)]))
    elif plant == "surge":
        surge = int(rng.choice([d for d in range(3, 28) if d not in (19, 20, 21)]))
    month = w.simulate(world, seed, cohort_spike=spike, surge_day=surge)
    det = anomaly.judge(month.inputs, w.MONTH, month.as_of, month.promotion_days, SETTINGS)
    pushed = det.pushed
    out = {
        "scenario": scenario, "seed": seed,
        "shop_pushed": sum(a["scope"] == "shop" for a in pushed),
        "product_pushed": sum(a["scope"] == "product" for a in pushed),
        "article": sum(a["rule"] == "threshold" for a in det.anomalies),
        "article_expected": det.article_false_alarms,
        "old_binomial": old_binomial_alerts(month),
        "applications_per_day": float(det.event_days.loc[det.event_days["event"] == "applications",
                                                         "observed"].mean()),
    }
    if spike is not None:
        day = month.planted["cohort_spike"].strftime("%Y-%m-%d")
        out["caught"] = any(a["scope"] == "shop" and a["clock"] == "cohort" and a["date"] == day for a in pushed)
        out["shop_pushed_other"] = sum(a["scope"] == "shop" and a["date"] != day for a in pushed)
    if surge is not None:
        day = month.planted["surge"].strftime("%Y-%m-%d")
        out["caught"] = any(a["scope"] == "shop" and a["clock"] == "event" and a["metric"] == "applications"
                            and a["date"] == day for a in pushed)
        out["shop_pushed_other"] = sum(a["scope"] == "shop" and a["date"] != day for a in pushed)
    return out


def world(**kw) -> w.World:
    """A simulated shop whose cohorts are counted at the age alerts.yml judges them."""
    return w.World(age_days=SETTINGS.cohort.age_days, **kw)


SCENARIOS = [
    # (name, world, planted)
    ("no change · 300 orders/day", world(orders_per_day=300), None),
    ("no change · 1,000 orders/day", world(orders_per_day=1000), None),
    ("no change · 3,000 orders/day", world(orders_per_day=3000), None),
    ("no change · 1,000/day, residual wobble 8.7%", world(orders_per_day=1000, residual_wobble=0.087), None),
    ("cohort +30% one day · 1,000 orders/day", world(orders_per_day=1000), "cohort"),
    ("cohort +30% one day · 3,000 orders/day", world(orders_per_day=3000), "cohort"),
    ("cohort +30% one day · 1,000/day, wobble 8.7%", world(orders_per_day=1000, residual_wobble=0.087), "cohort"),
    ("applications 2× one day · 480 orders/day (~150 applications/day)", world(orders_per_day=480), "surge"),
]


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for name, world, plant in SCENARIOS:
        part = [r for r in rows if r["scenario"] == name]
        if not part:
            continue
        mean = lambda key: float(np.mean([r[key] for r in part]))  # noqa: E731
        rec = {"scenario": name, "months": len(part), "shop_pushed": mean("shop_pushed"),
               "product_pushed": mean("product_pushed"), "article": mean("article"),
               "article_expected": mean("article_expected"), "old_binomial": mean("old_binomial"),
               "applications_per_day": mean("applications_per_day")}
        if plant:
            rec["caught"] = mean("caught")
            rec["shop_pushed_other"] = mean("shop_pushed_other")
        out.append(rec)
    return out


def table(summary: list[dict]) -> str:
    lines = ["| scenario | months | pushed shop alerts / month | pushed product alerts / month | caught | "
             "article's 20% rule / month (expected) | old binomial test / month |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in summary:
        caught = f"{r['caught']:.0%}" if "caught" in r else "—"
        shop = r["shop_pushed_other"] if "caught" in r else r["shop_pushed"]
        lines.append(f"| {r['scenario']} | {r['months']} | {shop:.2f} | {r['product_pushed']:.2f} | {caught} | "
                     f"{r['article']:.1f} ({r['article_expected']:.1f}) | {r['old_binomial']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=40, help="months per scenario (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    tasks = [(name, world, args.seed * 1000 + i, plant) for name, world, plant in SCENARIOS
             for i in range(args.reps)]
    start = time.time()
    with Pool(args.workers) as pool:
        rows = pool.map(run, tasks)
    summary = summarise(rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "alerts.json").write_text(json.dumps({"reps": args.reps, "seed": args.seed, "summary": summary},
                                                    ensure_ascii=False, indent=2), encoding="utf-8")
    print(table(summary))
    print(f"\n{len(tasks)} simulated months in {time.time() - start:.0f} s "
          f"(alerts.yml budgets: shop cohort {SETTINGS.budget_shop_cohort}, shop event {SETTINGS.budget_shop_event}, "
          f"products {SETTINGS.budget_products}; age {SETTINGS.cohort.age_days} days)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
