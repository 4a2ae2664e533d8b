#!/usr/bin/env python
"""Decision benchmark of chapter 8 (``returns_kit.interventions.evaluate``): how often does the
kit recommend 全店推广 for an intervention that does nothing, does its "95%" interval cover the
truth, and how often does it catch a real improvement — against the old sub-order test.

Each simulated shop has 10–40 products over a 30-day before and a 30-day after window (paid
sub-orders per product and day, refunds among them), with what moves real refund rates together:

* a product's own level (logit-normal around 15%) and volume (50–500 paid sub-orders a day,
  negative-binomial day to day, weekday pattern);
* a **day effect shared by every product** (traffic mix: live-stream audiences, creators) —
  logit-normal, sd 0.10 on the logit ≈ ±1.3 points on a 15% rate;
* **product-specific day noise** (the day's buyers of one product), sd 0.10 on the logit;
* **slow product drift**: a random walk per product, sd 0.01 on the logit per day (≈ ±1 point
  over the two months);
* **promotions**: each day is a promotion with probability 1/15 (volume × 2.5, refund rate up by
  0.25 on the logit ≈ +3.5 points, each product's sensitivity differing by sd 0.10);
* pilots of 1 product (70%) or 2–3, with a 10–30% refund rate before; the control is 3 listed
  similar products (half the shops) or the rest of the shop.

No effect (``δ = 0``) and planted effects (the treated products' refund probability lowered by δ
points from the start date) are evaluated with the kit's own ``evaluate`` on the product-day
counts (:func:`returns_kit.interventions.product_days` form; the first shop of every scenario is
also expanded to one row per paid sub-order and evaluated that way, and must give the same
result), data mature (as-of 60 days after the window), default settings.  The OLD method is the
kit's former chapter 8 (sub-order two-proportion test + sub-order DiD with binomial variances,
:func:`old_decision`), on the same shops.

Usage::

    python benchmarks/bench_interventions.py                 # full size (~2 min on 2 cores)
    python benchmarks/bench_interventions.py --quick         # 1/5 of the shops
    python benchmarks/bench_interventions.py --seed 11 --workers 2 --null 2000 --planted 400
    python benchmarks/bench_interventions.py --drift 0.03    # a stress test: faster drift

Prints a markdown table and saves it to ``benchmarks/results/interventions-<timestamp>.md``
(git-ignored).  The same simulation, smaller, is ``tests/test_decisions_interventions.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_DIR = HERE / "results"
if str(ROOT) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from returns_kit import interventions as iv  # noqa: E402
from returns_kit.core.stats import did_test, two_proportion_test  # noqa: E402
from returns_kit.io import Intervention  # noqa: E402

START = pd.Timestamp("2026-09-01")  # first day of the before window
SIZES = (0.0, -0.01, -0.02, -0.03, -0.05, -0.08)  # planted effects (rate points); 0 = none


@dataclass(frozen=True)
class World:
    """What the simulated shops look like (defaults: the figures in the module docstring)."""

    products: tuple[int, int] = (10, 40)
    before_days: int = 30
    after_days: int = 30
    volume: tuple[float, float] = (50, 500)  # mean paid sub-orders per product and day (log-uniform)
    volume_shape: float = 20.0  # gamma shape of the day-to-day volume (negative binomial)
    base_logit_sd: float = 0.45  # spread of product levels around 15%
    treated_rate: tuple[float, float] = (0.10, 0.30)
    day_sd: float = 0.10  # shared day effect (logit)
    product_day_sd: float = 0.10  # product-specific day noise (logit)
    drift: float = 0.01  # random-walk step per product and day (logit)
    promo_prob: float = 1 / 15
    promo_volume: float = 2.5
    promo_logit: float = 0.25
    promo_sensitivity_sd: float = 0.10
    weekday_volume: float = 0.10  # ± volume by weekday


def simulate(rng: np.random.Generator, effect: float, world: World = World()):
    """One shop: ``(daily, intervention)`` — ``daily`` one row per product and day
    (``product_id, day, paid_sub_orders, refunded``), the pilot starting after ``before_days``."""
    w = world
    n_products = int(rng.integers(w.products[0], w.products[1] + 1))
    n_days = w.before_days + w.after_days
    n_treated = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    level = logit(0.15) + w.base_logit_sd * rng.standard_normal(n_products)
    level[:n_treated] = logit(rng.uniform(*w.treated_rate, n_treated))
    volume = np.exp(rng.uniform(np.log(w.volume[0]), np.log(w.volume[1]), n_products))
    days = pd.date_range(START, periods=n_days, freq="D")
    weekday = 1 + w.weekday_volume * np.sin(2 * np.pi * (days.day_of_week.to_numpy() - 2) / 7)
    promo = rng.random(n_days) < w.promo_prob
    shared = w.day_sd * rng.standard_normal(n_days) + w.promo_logit * promo
    sensitivity = 1 + w.promo_sensitivity_sd / max(w.promo_logit, 1e-9) * rng.standard_normal(n_products)
    own_day = w.product_day_sd * rng.standard_normal((n_products, n_days))
    drift = np.cumsum(w.drift * rng.standard_normal((n_products, n_days)), axis=1)
    eta = (level[:, None] + np.where(promo, w.promo_logit * sensitivity[:, None], 0.0)
           + (shared - w.promo_logit * promo)[None, :] + own_day + drift)
    p = 1 / (1 + np.exp(-eta))
    after = np.arange(n_days) >= w.before_days
    p[:n_treated, after] = np.clip(p[:n_treated, after] + effect, 0.001, 0.999)
    mean = volume[:, None] * weekday[None, :] * np.where(promo, w.promo_volume, 1.0)[None, :]
    n = rng.poisson(rng.gamma(w.volume_shape, mean / w.volume_shape))
    k = rng.binomial(n, p)
    ids = [f"P{i:02d}" for i in range(n_products)]
    pi, di = np.nonzero(n)
    daily = pd.DataFrame({"product_id": np.asarray(ids, dtype=object)[pi], "day": days[di],
                          "paid_sub_orders": n[pi, di], "refunded": k[pi, di]})
    controls = []
    if rng.random() < 0.5:
        controls = sorted(rng.choice(ids[n_treated:], size=3, replace=False).tolist())
    item = Intervention("模拟试点", ids[:n_treated], days[w.before_days], "", controls)
    return daily, item


def sub_orders(daily: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``daily`` as the kit's outcomes frame: one row per paid sub-order (``product_id``,
    ``pay_time`` within its day, ``refunded``)."""
    n = daily["paid_sub_orders"].to_numpy()
    rows = np.repeat(np.arange(len(daily)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    refunded = (np.arange(len(rows)) - first) < np.repeat(daily["refunded"].to_numpy(), n)
    seconds = rng.integers(0, 86_400, len(rows))
    return pd.DataFrame({"product_id": daily["product_id"].to_numpy()[rows],
                         "pay_time": daily["day"].to_numpy()[rows] + seconds.astype("timedelta64[s]"),
                         "refunded": refunded})


def old_decision(table: pd.DataFrame, alpha: float = 0.05, min_orders: int = 100) -> dict:
    """The kit's former chapter 8 on the same windows: every sub-order independent (pooled
    two-proportion test of the treated; DiD with Σ p(1−p)/n over the four cells, normal
    p-value), roll out when both are significant decreases, stop on a significant DiD increase."""
    kn = {(r.group, r.period): (int(r.refunded), int(r.paid_sub_orders)) for r in table.itertuples(index=False)}
    tb, ta = kn[("treated", "before")], kn[("treated", "after")]
    naive = two_proportion_test(tb[0], tb[1], ta[0], ta[1])
    did = did_test(tb, ta, kn[("control", "before")], kn[("control", "after")])
    if tb[1] < min_orders or ta[1] < min_orders:
        decision = iv.KEEP_TESTING
    elif did["p_value"] < alpha and did["effect"] < 0 and naive["p_value"] < alpha and naive["diff"] < 0:
        decision = iv.ROLL_OUT
    elif did["p_value"] < alpha and did["effect"] > 0:
        decision = iv.STOP
    else:
        decision = iv.KEEP_TESTING
    return {"decision": decision, "effect": did["effect"], "ci_low": did["ci_low"], "ci_high": did["ci_high"]}


def day_only(r: dict, effect: float, settings: dict) -> dict:
    """The NEW method without its product-drift term (day-clustered standard error only, the same
    placebo check): what the drift term buys."""
    d = r["did"]
    p = float(2 * stats.t.sf(abs(d["t_day"]), d["df"])) if d["df"] == d["df"] else math.nan
    half = float(stats.t.ppf(0.975, d["df"])) * d["se_day"] if d["df"] == d["df"] else math.nan
    if r["immature"] or r["too_small"] or p != p:
        decision = iv.KEEP_TESTING
    elif p < settings["alpha"] and d["effect"] < 0:
        decision = iv.ROLL_OUT if r["placebo"]["extreme"] else iv.KEEP_TESTING
    elif p < settings["alpha"] and d["effect"] > 0:
        decision = iv.STOP
    else:
        decision = iv.KEEP_TESTING
    return {"decision": decision, "covers": bool(d["effect"] - half <= effect <= d["effect"] + half)}


def run_one(effect: float, seed_seq: np.random.SeedSequence, world: World = World(),
            settings: dict | None = None, check_sub_orders: bool = False) -> dict:
    """Simulate one shop and judge it with the new and the old method."""
    rng = np.random.default_rng(seed_seq)
    daily, item = simulate(rng, effect, world)
    as_of = daily["day"].max() + pd.Timedelta(days=60)
    settings = {**{k: v for k, v in iv.DEFAULT_SETTINGS.items()}, **(settings or {})}
    r = iv.evaluate(daily, item, as_of=as_of, **settings)
    if check_sub_orders:
        s = iv.evaluate(sub_orders(daily, rng), item, as_of=as_of, **settings)
        for key in ("effect", "p_value", "ci_low", "ci_high", "placebo_rank", "placebos", "recommendation",
                    "before_orders", "after_orders"):
            a, b = r[key], s[key]
            same = a == b or (isinstance(a, float) and (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
                                                        or (a != a and b != b)))
            if not same:
                raise AssertionError(f"sub-order and product-day evaluation differ in {key}: {b!r} vs {a!r}")
    old = old_decision(r["table"], settings["alpha"], settings["min_orders"])
    return {
        "effect_size": effect,
        "new_decision": r["recommendation"], "new_effect": r["effect"],
        "new_covers": bool(r["ci_low"] <= effect <= r["ci_high"]),
        "placebo_rank": r["placebo_rank"], "placebos": r["placebos"],
        "drift_se": r["did"]["se_between"], "day_se": r["did"]["se_day"],
        **{f"day_{k}": v for k, v in day_only(r, effect, settings).items()},
        "old_decision": old["decision"], "old_effect": old["effect"],
        "old_covers": bool(old["ci_low"] <= effect <= old["ci_high"]),
    }


def _run_chunk(args) -> list[dict]:
    jobs, world, settings = args
    return [run_one(effect, seq, world, settings, check) for effect, seq, check in jobs]


def run(n_null: int, n_planted: int, seed: int = 7, world: World = World(), settings: dict | None = None,
        sizes=SIZES, workers: int = 1, check_sub_orders: bool = True) -> pd.DataFrame:
    """Every shop of every scenario, one row each (see :func:`run_one`).  Seeds come from one
    ``SeedSequence(seed)`` per scenario, so results do not depend on ``workers``."""
    jobs = []
    for si, size in enumerate(sizes):
        count = n_null if size == 0 else n_planted
        for i, seq in enumerate(np.random.SeedSequence([seed, si]).spawn(count)):
            jobs.append((size, seq, check_sub_orders and i == 0))
    if workers <= 1:
        rows = _run_chunk((jobs, world, settings))
    else:
        chunks = [jobs[i::workers * 4] for i in range(workers * 4)]
        with Pool(workers) as pool:
            rows = [row for part in pool.map(_run_chunk, [(c, world, settings) for c in chunks]) for row in part]
    return pd.DataFrame(rows)


METHODS = (("old", "OLD: sub-order tests (every sub-order independent)"),
           ("day", "NEW without the drift term (day-clustered only) + placebo"),
           ("new", "NEW: product × day DiD, day-clustered + product drift, placebo-in-time"))


def figures(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: false 全店推广 and 停止 on no-effect shops, interval coverage (no effect and
    the planted −5 points), power (全店推广 rate) on −5 points."""
    null = results[results["effect_size"] == 0]
    five = results[np.isclose(results["effect_size"], -0.05)]
    rows = []
    for method, label in METHODS:
        rows.append({
            "method": label,
            "false_roll_out": (null[f"{method}_decision"] == iv.ROLL_OUT).mean(),
            "false_stop": (null[f"{method}_decision"] == iv.STOP).mean(),
            "coverage_null": null[f"{method}_covers"].mean(),
            "coverage_planted": five[f"{method}_covers"].mean() if len(five) else math.nan,
            "power_planted": (five[f"{method}_decision"] == iv.ROLL_OUT).mean() if len(five) else math.nan,
        })
    return pd.DataFrame(rows)


def power_curve(results: pd.DataFrame) -> pd.DataFrame:
    """全店推广 rate per planted effect size, old and new."""
    rows = []
    for size, part in results.groupby("effect_size", sort=False):
        row = {"effect": size, "shops": len(part)}
        for m, _ in METHODS:
            row[f"{m}_roll_out"] = (part[f"{m}_decision"] == iv.ROLL_OUT).mean()
            row[f"{m}_coverage"] = part[f"{m}_covers"].mean()
        rows.append(row)
    return pd.DataFrame(rows).sort_values("effect", ascending=False)


def _pct(x: float) -> str:
    return "—" if x != x else f"{x * 100:.1f}%"


def markdown(results: pd.DataFrame, args: argparse.Namespace, seconds: float, world: World) -> str:
    fig = figures(results)
    n_null = int((results["effect_size"] == 0).sum())
    n_five = int(np.isclose(results["effect_size"], -0.05).sum())
    lines = [
        f"## Chapter 8 decision benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{' '.join(['.venv/bin/python', 'benchmarks/bench_interventions.py', *sys.argv[1:]])}`  ",
        f"{n_null:,} no-effect shops, {n_five:,} per planted size; seed {args.seed}; {seconds:.0f} s on "
        f"{args.workers} worker(s) ({os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}).",
        "",
        "| method | false 全店推广 (no effect) | false 停止 (no effect) | 95% interval covers 0 (no effect) "
        "| covers −5 pts (planted) | power: 全店推广 on −5 pts |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in fig.itertuples(index=False):
        lines.append(f"| {r.method} | {_pct(r.false_roll_out)} | {_pct(r.false_stop)} | {_pct(r.coverage_null)} "
                     f"| {_pct(r.coverage_planted)} | {_pct(r.power_planted)} |")
    lines += ["", "Power curve (share of shops recommended 全店推广, and 95% interval coverage, per planted effect; "
              "DAY = NEW without the drift term):", "",
              "| planted effect | shops | OLD 全店推广 | DAY 全店推广 | NEW 全店推广 | OLD coverage | DAY coverage "
              "| NEW coverage |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in power_curve(results).itertuples(index=False):
        lines.append(f"| {r.effect * 100:+.0f} pts | {r.shops:,} | {_pct(r.old_roll_out)} | {_pct(r.day_roll_out)} "
                     f"| {_pct(r.new_roll_out)} | {_pct(r.old_coverage)} | {_pct(r.day_coverage)} "
                     f"| {_pct(r.new_coverage)} |")
    null = results[results["effect_size"] == 0]
    uniform = (null["placebo_rank"] == 1).mean()
    lines += ["", f"No-effect shops: placebo rank 1 in {_pct(uniform)} (mean {null['placebos'].mean():.0f} placebos); "
              f"spread (sd) of the estimates: NEW {null['new_effect'].std() * 100:.2f} pts, OLD "
              f"{null['old_effect'].std() * 100:.2f} pts; median standard error: NEW "
              f"{np.hypot(null['day_se'], null['drift_se']).median() * 100:.2f} pts (day-clustered "
              f"{null['day_se'].median() * 100:.2f}, drift {null['drift_se'].median() * 100:.2f}).",
              "", "World: " + ", ".join(f"{k}={v}" for k, v in asdict(world).items())]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--null", type=int, default=2000, help="no-effect shops (default 2000)")
    parser.add_argument("--planted", type=int, default=400, help="shops per planted effect size (default 400)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--quick", action="store_true", help="a fifth of the shops")
    parser.add_argument("--drift", type=float, default=None, help="random-walk step per day (logit), default 0.01")
    parser.add_argument("--day-sd", type=float, default=None, help="shared day effect sd (logit), default 0.10")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    world = World()
    if args.drift is not None:
        world = replace(world, drift=args.drift)
    if args.day_sd is not None:
        world = replace(world, day_sd=args.day_sd)
    n_null, n_planted = (args.null // 5, args.planted // 5) if args.quick else (args.null, args.planted)
    t0 = time.perf_counter()
    results = run(n_null, n_planted, seed=args.seed, world=world, workers=args.workers)
    text = markdown(results, args, time.perf_counter() - t0, world)
    print(text)
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"interventions-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.md"
        path.write_text(text, encoding="utf-8")
        print(f"saved {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
