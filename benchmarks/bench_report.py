#!/usr/bin/env python
"""Report benchmark: the whole ``returns-kit report`` of one month, cold and warm, per phase and
per chapter, with the peak memory of the whole process tree (runner, workers, kernels).

Data sets:

* ``--data sample`` (default): the bundled sample (``returns-kit sample``, three months, seed 7),
  report of 2026-10 — what ``make report`` renders;
* ``--orders N``: the ingest benchmark's month (``bench_ingest.generate``: N paid sub-orders in
  order CSVs of at most 1,000,000 rows, N × 0.12 after-sales in 50,000-row XLSX files), report of 2026-10.

Each run is a fresh ``python -m returns_kit report`` process: *cold* starts without the Parquet
cache, *warm* reruns with it.  ``--jobs 1,2`` compares chapters one after another with chapters
in parallel.  Phase and chapter times come from the run's own ``metrics.json`` (``run``); peak
memory is the largest sum of RSS over the process and all its descendants (sampled every 0.1 s
with psutil).  The ingest floor (the same files read as text by polars, ``bench_ingest``'s
``peer_polars`` step) is measured in the same run, so the ratios hold on a noisy machine.

Usage::

    python benchmarks/bench_report.py                     # sample month, jobs 1 and 2
    python benchmarks/bench_report.py --orders 100000     # 0.1× the benchmark month
    python benchmarks/bench_report.py --no-save           # print only
    python benchmarks/bench_report.py --jobs 2 --against ../before   # and an older checkout, same run

Results: ``benchmarks/results/report-<time>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA_DIR = HERE / "_data"
RESULTS_DIR = HERE / "results"
MONTH = "2026-10"

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def tree_peak(proc: "subprocess.Popen", interval: float = 0.1) -> dict:
    """Sample the RSS of ``proc`` and all its descendants until it exits; the peak of the sum."""
    import psutil

    peak = {"rss_mb": 0.0}
    try:
        root = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        return peak
    while proc.poll() is None:
        total = 0
        try:
            members = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for member in members:
            try:
                total += member.memory_info().rss
            except psutil.Error:
                continue
        peak["rss_mb"] = max(peak["rss_mb"], total / 2**20)
        time.sleep(interval)
    return peak


def run_report(work: Path, raw: Path, external: Path, jobs: int, cold: bool, code: Path = ROOT) -> dict:
    """One ``returns-kit report`` process of the kit in ``code`` (this checkout, or another one
    to compare with: its package and its notebooks; the same conf); wall time, peak tree memory
    and the run's timings."""
    label = "" if code == ROOT else "-" + code.name
    processed, out = work / f"processed{label}", work / f"reports-j{jobs}{label}"
    if cold:
        shutil.rmtree(processed, ignore_errors=True)
    conf = work / "conf"
    if not conf.exists():
        shutil.copytree(ROOT / "conf" / "base", conf / "base")
        (conf / "local").mkdir(parents=True)
        (conf / "local" / "salt.txt").write_text("bench-salt\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "returns_kit", "report", "--month", MONTH, "--raw", str(raw),
           "--external", str(external), "--processed", str(processed), "--out", str(out), "--conf", str(conf),
           "--notebooks", str(code / "notebooks"), "--jobs", str(jobs), "--no-progress", "--timeout", "3600"]
    env = {**os.environ, "PYTHONPATH": str(code)}  # the kernels import the same package as the runner
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak: dict = {}
    sampler = threading.Thread(target=lambda: peak.update(tree_peak(proc)), daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"report failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    metrics = json.loads((out / MONTH / "metrics.json").read_text(encoding="utf-8"))
    run = metrics["run"]
    return {"code": "this checkout" if code == ROOT else str(code), "jobs": jobs, "cold": cold,
            "wall_s": round(wall, 2), "peak_tree_mb": round(peak.get("rss_mb", 0)),
            "seconds": {k: round(v, 2) for k, v in run["seconds"].items()},
            "chapter_seconds": run["chapter_seconds"]}


def floor(raw: Path) -> dict:
    """Reading the same files as text with the fastest reader there is here: polars
    (``bench_ingest``'s ``peer_polars``: CSV with ``infer_schema=False``, workbooks with
    ``read_excel``/calamine), else pyarrow CSV + calamine (``baseline_both``)."""
    import bench_ingest

    try:
        import polars  # noqa: F401
        step = "peer_polars"
    except ImportError:
        step = "baseline_both"
    result = bench_ingest.run_step(step, raw, DATA_DIR / "_floor", log=lambda *_: None)
    return {**result, "step": step}


def data(args: argparse.Namespace) -> tuple[str, Path, Path]:
    if args.orders:
        import bench_ingest

        after_sales = round(args.orders * 0.12)
        folder = bench_ingest.dataset_dir(args.orders, after_sales, 1)
        bench_ingest.generate(folder / "raw", args.orders, after_sales, 1, log=print)
        (folder / "external").mkdir(exist_ok=True)
        return f"benchmark month, {args.orders:,} sub-orders", folder / "raw", folder / "external"
    from returns_kit import sample

    folder = DATA_DIR / "sample"
    if not (folder / "raw").is_dir():
        sample.generate(folder / "raw", ["2026-08", "2026-09", "2026-10"], seed=7, external_dir=folder / "external")
    return "sample month (3 months, seed 7)", folder / "raw", folder / "external"


def markdown(what: str, runs: list[dict], base: dict, info: dict) -> str:
    lines = [f"# report benchmark — {datetime.now():%Y-%m-%d %H:%M:%S}", "",
             f"Data: {what}; report of {MONTH}. Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), "",
             "| code | run | jobs | wall s | ingest s | chapters s | render s | peak tree MB | wall / floor |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    fl = base.get("wall_s")
    for r in runs:
        s = r["seconds"]
        kind = "cold" if r["cold"] else "warm"
        lines.append(f"| {r.get('code', 'this checkout')} | {kind} | {r['jobs']} | {r['wall_s']:.1f} | "
                     f"{s.get('ingest', 0):.1f} | "
                     f"{s.get('chapters', 0):.1f} | {s.get('render', 0):.1f} | {r['peak_tree_mb']:,} | "
                     + (f"{r['wall_s'] / fl:.1f}×" if fl else "n/a") + " |")
    if fl:
        reader = ("polars read_csv + read_excel" if base.get("step") == "peer_polars"
                  else "pyarrow CSV + calamine XLSX")
        lines += ["", f"Floor ({reader}, all text, same files, same run): {fl:.2f} s, "
                      f"peak {base.get('peak_rss_mb', 0):,.0f} MB."]
    chapters = sorted({c for r in runs for c in r["chapter_seconds"]})
    def head(r: dict) -> str:
        return (f"{'cold' if r['cold'] else 'warm'} j{r['jobs']}"
                + ("" if r.get("code", "this checkout") == "this checkout" else " (other)"))

    lines += ["", "| chapter | " + " | ".join(head(r) for r in runs) + " |",
              "|---|" + "---:|" * len(runs)]
    for c in chapters:
        lines.append(f"| {c} | " + " | ".join(f"{r['chapter_seconds'].get(c, 0):.1f}" for r in runs) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=0,
                    help="benchmark month of this many sub-orders (default: the sample)")
    ap.add_argument("--jobs", default="1,2", help="comma list of --jobs values to compare")
    ap.add_argument("--against", type=Path, default=None,
                    help="another checkout of the kit (e.g. a git worktree of an older commit) run "
                         "on the same data in the same run, before this one each time")
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    import bench_ingest

    what, raw, external = data(args)
    work = DATA_DIR / ("report-" + (f"o{args.orders}" if args.orders else "sample"))
    work.mkdir(parents=True, exist_ok=True)
    base = floor(raw)
    runs = []
    for jobs in (int(j) for j in args.jobs.split(",")):
        for cold in (True, False):
            for code in ([args.against.resolve()] if args.against else []) + [ROOT]:
                runs.append(run_report(work, raw, external, jobs, cold, code))
                print(f"{runs[-1]['code']}: jobs {jobs} {'cold' if cold else 'warm'}: {runs[-1]['wall_s']:.1f} s, "
                      f"peak {runs[-1]['peak_tree_mb']:,} MB", flush=True)
    text = markdown(what, runs, base, bench_ingest.machine_info())
    print(text)
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        (RESULTS_DIR / f"report-{stamp}.md").write_text(text, encoding="utf-8")
        (RESULTS_DIR / f"report-{stamp}.json").write_text(json.dumps(
            {"data": what, "floor": base, "runs": runs}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
