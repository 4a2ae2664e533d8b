"""Decision benchmark of the summary (摘要): how often it calls a month-over-month change "beyond
noise" when nothing changed, and what it finds when something did.

    .venv/bin/python benchmarks/bench_summary.py            # full size (a few minutes on 2 cores)
    .venv/bin/python benchmarks/bench_summary.py --reps 20  # quicker

Each simulated shop sells three months (August, so that September's applications are whole;
September; October) at sub-order level, with what makes a real month hard: refunds succeed days
to weeks after payment (``decision_world.refund_delays``) and the export is pulled 8 days after
October ends (October is immature, September is cut at the same age); the day's traffic mix (live
share), product mix, weekday, promotions and a residual day effect move the daily rate; every
product's rate drifts as a weekly random walk.  Scenarios:

* ``null`` — nothing changes between the months (only drift and wobble);
* ``shop +15%`` / ``shop +25%`` — every October order is refunded 15% / 25% more often;
* ``product ×2`` — one mid-sized product's October refund rate doubles.

On each month it runs the kit's own summary functions (:func:`returns_kit.summary.kpis`,
:func:`returns_kit.summary.drivers`) and records: the refund-rate KPI flagged "beyond noise", any of
the six KPIs flagged (the family the report shows), products flagged significant, and for the
planted product whether it is the largest positive product driver and flagged.  Beside them: the
naive test a spreadsheet would use (two-proportion z-test on sub-orders, α = 0.05), on the same
months.

Targets: ≤ 5% of null months with any KPI flagged, ≤ 5% with any product flagged; ≥ 80% of
``shop +25%`` months flagged at 1,000 orders a day; the planted product the top driver in ≥ 90%.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decision_world  # noqa: E402
from decision_world import refund_delays  # noqa: E402

from returns_kit import summary  # noqa: E402
from returns_kit.core.stats import two_proportion_test  # noqa: E402
from returns_kit.core.taxonomy import load_taxonomy  # noqa: E402
from returns_kit.metrics import known_at  # noqa: E402

CONF = Path(__file__).resolve().parents[1] / "conf"
RESULTS = Path(__file__).resolve().parent / "results"
TAXONOMY = load_taxonomy(CONF)
DAYS = pd.date_range("2026-08-01", "2026-10-31", freq="D")  # August: so September's applications are whole
AS_OF = pd.Timestamp("2026-11-08 09:00")
CUTOFF = pd.Timestamp("2026-10-08 09:00")
PROMOTIONS = (("2026-08-01", "2026-08-07"), ("2026-09-01", "2026-09-07"), ("2026-10-01", "2026-10-07"))
PLANTED = "P05"  # a mid-sized product (the products are sorted by share)


@dataclass(frozen=True)
class World(decision_world.World):
    """One simulated shop: ``decision_world``'s, with what changes in October."""

    residual_wobble: float = 0.06
    shop_shift: float = 1.0     # every October order's refund propensity ×
    product_shift: float = 1.0  # the planted product's October propensity ×


def simulate(world: World, seed: int) -> summary.MonthPair:
    """Two months of ``world`` as the summary sees them at the export (8 days after October)."""
    rng = np.random.default_rng(seed)
    n_days = len(DAYS)
    promo = np.zeros(n_days, dtype=bool)
    for start, end in PROMOTIONS:
        promo |= (DAYS >= start) & (DAYS <= end)
    october = DAYS >= "2026-10-01"
    september = (DAYS >= "2026-09-01") & ~october
    weekday = np.array([1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.1])[DAYS.day_of_week]
    volume = world.orders_per_day * weekday * np.where(promo, 1.5, 1.0) * rng.lognormal(0, world.volume_wobble, n_days)
    paid = rng.poisson(volume)
    shares = np.sort(rng.dirichlet(np.full(world.products, 0.8)))[::-1]
    mix = rng.dirichlet(shares * 200, size=n_days)
    base = np.clip(world.base_rate * rng.lognormal(0, 0.35, world.products), 0.03, 0.5)
    walk = np.cumsum(rng.normal(0, world.drift_per_week / np.sqrt(7), (n_days, world.products)), axis=0)
    rate = base[None, :] * np.exp(walk)
    rate[october] *= world.shop_shift
    planted = int(PLANTED[1:])
    rate[october, planted] *= world.product_shift
    live = rng.beta(world.live_share * 20, (1 - world.live_share) * 20, n_days)
    day_effect = rng.lognormal(0, world.residual_wobble, n_days) * np.where(promo, 1.08, 1.0)
    n = np.zeros((n_days, world.products, 2), dtype=np.int64)
    for d in range(n_days):
        per_product = rng.multinomial(paid[d], mix[d])
        on_live = rng.binomial(per_product, live[d])
        n[d, :, 0], n[d, :, 1] = per_product - on_live, on_live
    p = np.clip(rate[:, :, None] * day_effect[:, None, None] * np.array([1.0, world.live_multiplier]), 0, 0.95)
    # one row per paid sub-order
    cell = np.repeat(np.arange(n.size), n.ravel())
    d_of, p_of, _ = np.unravel_index(cell, n.shape)
    m = len(cell)
    pay_time = DAYS[d_of] + pd.to_timedelta(rng.random(m) * 86400, unit="s")
    will_refund = rng.random(m) < p.ravel()[cell]
    success = pay_time + pd.to_timedelta(refund_delays(rng, m) * 86400, unit="s")
    price = (50 + 10 * p_of).astype(float)
    sub_ids = np.array([f"S{i}" for i in range(m)])
    products = np.array([f"P{i:02d}" for i in range(world.products)])
    outcomes = pd.DataFrame({"sub_order_id": sub_ids, "pay_time": pay_time, "product_id": products[p_of],
                             "product_name": products[p_of], "payable_amount": price, "creator_id": None,
                             "creator_name": None, "province": "广东省", "carrier": "中通快递", "damage": False})
    # after-sales: every refund, and about a third more that never refund
    extra = rng.random(m) < world.non_refund_after_sales * p.ravel()[cell]
    has = will_refund | extra
    idx = np.flatnonzero(has)
    apply = pay_time[idx] + pd.to_timedelta(np.maximum(0, (success[idx] - pay_time[idx]).total_seconds()
                                                        - rng.uniform(0.3, 2.0, len(idx)) * 86400), unit="s")
    reasons = np.where(rng.random(len(idx)) < 0.45, "功能故障", "多拍 / 错拍 / 不想要")
    after_sales = pd.DataFrame({
        "after_sale_id": [f"A{i}" for i in idx], "sub_order_id": sub_ids[idx], "apply_time": apply,
        "is_refund_success": will_refund[idx], "merchant_refund_time": success[idx].where(will_refund[idx]),
        "finish_time": pd.NaT, "refund_goods_amount": price[idx], "reason": reasons, "status_group": "finished",
        "after_sale_type": np.where(rng.random(len(idx)) < 0.4, "return_refund", "refund_shipped"),
    })
    after_sales = after_sales[after_sales["apply_time"] <= AS_OF].reset_index(drop=True)
    now = known_at(after_sales, AS_OF)
    then = known_at(after_sales, CUTOFF)
    return summary.MonthPair(month="2026-10", previous="2026-09", as_of=AS_OF, cutoff=CUTOFF,
                             outcomes=_outcomes(outcomes[october[d_of]], now),
                             previous_outcomes=_outcomes(outcomes[september[d_of]], then),
                             after_sales=now, previous_after_sales=then)


def _outcomes(orders: pd.DataFrame, after_sales: pd.DataFrame) -> pd.DataFrame:
    ok = after_sales[after_sales["is_refund_success"]]
    refunded = orders["sub_order_id"].isin(ok["sub_order_id"])
    returned = orders["sub_order_id"].isin(ok.loc[ok["after_sale_type"] == "return_refund", "sub_order_id"])
    quality = orders["sub_order_id"].isin(ok.loc[ok["reason"] == "功能故障", "sub_order_id"])
    return orders.assign(refunded=refunded.to_numpy(), returned=returned.to_numpy(), quality_refund=quality.to_numpy(),
                         refund_amount=np.where(refunded, orders["payable_amount"], 0.0))


SCENARIOS = {
    "null": World(),
    "null · 300/day": World(orders_per_day=300),
    "shop +15%": World(shop_shift=1.15),
    "shop +25%": World(shop_shift=1.25),
    "product ×2": World(product_shift=2.0),
}


def run(task: tuple[str, int]) -> dict:
    name, seed = task
    pair = simulate(SCENARIOS[name], seed)
    k = summary.kpis(pair).set_index("key")
    d = summary.drivers(pair, TAXONOMY)
    prod = d[(d["dimension"] == "product") & d["key"].notna()]
    top_up = prod[prod["contribution"] > 0].head(1)
    c1, c0 = pair.outcomes, pair.previous_outcomes
    naive = two_proportion_test(int(c0["refunded"].sum()), len(c0), int(c1["refunded"].sum()), len(c1))
    return {
        "scenario": name, "seed": seed,
        "rate_flagged": bool(k.loc["refund_rate_count", "significant"]),
        "any_kpi_flagged": bool(k["significant"].any()),
        "products_flagged": int(prod["significant"].fillna(False).astype(bool).sum()),
        "planted_top": bool(len(top_up) and top_up.iloc[0]["key"] == PLANTED),
        "planted_flagged": bool(prod.loc[prod["key"] == PLANTED, "significant"].fillna(False).astype(bool).any()),
        "naive_flagged": bool(naive["p_value"] < 0.05),
        "change": float(k.loc["refund_rate_count", "change"]),
    }


def summarise(rows: list[dict]) -> list[dict]:
    frame = pd.DataFrame(rows)
    out = []
    for name, g in frame.groupby("scenario", sort=False):
        out.append({"scenario": name, "months": len(g),
                    "rate_flagged": round(float(g["rate_flagged"].mean()), 3),
                    "any_kpi_flagged": round(float(g["any_kpi_flagged"].mean()), 3),
                    "months_with_product_flagged": round(float((g["products_flagged"] > 0).mean()), 3),
                    "planted_top_driver": round(float(g["planted_top"].mean()), 3),
                    "planted_flagged": round(float(g["planted_flagged"].mean()), 3),
                    "naive_flagged": round(float(g["naive_flagged"].mean()), 3),
                    "mean_change_points": round(float(g["change"].mean() * 100), 2)})
    return out


def table(rows: list[dict]) -> str:
    head = ("| scenario | months | refund rate flagged | any KPI flagged | months with a product flagged | "
            "planted product top driver | planted product flagged | naive z-test flagged | mean change (points) |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['months']} | {r['rate_flagged']:.0%} | {r['any_kpi_flagged']:.0%} | "
                     f"{r['months_with_product_flagged']:.0%} | {r['planted_top_driver']:.0%} | "
                     f"{r['planted_flagged']:.0%} | {r['naive_flagged']:.0%} | {r['mean_change_points']:+.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=100, help="months per scenario (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, default all: {', '.join(SCENARIOS)}")
    parser.add_argument("--no-save", action="store_true", help="do not write results/summary.json")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    tasks = [(name, args.seed * 10_000 + i) for name in names for i in range(args.reps)]
    start = time.time()
    with Pool(args.workers) as pool:
        rows = pool.map(run, tasks)
    result = summarise(rows)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "summary.json").write_text(json.dumps({"reps": args.reps, "seed": args.seed, "summary": result},
                                                         ensure_ascii=False, indent=2), encoding="utf-8")
    print(table(result))
    print(f"\n{len(tasks)} simulated month pairs in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
