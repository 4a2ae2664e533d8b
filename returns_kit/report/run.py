"""The whole run (:func:`run_report`) and step 6, writing ``index.html`` and ``metrics.json``
atomically (:func:`write_report`)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import check_conf
from ..core.files import atomic_write_text, exclusive_lock
from ..core.jsonable import jsonable
from ..core.periods import months_of, parse_month
from ..errors import InputError, NotebookError, ParameterError, ReturnsKitError
from ..io import Dataset, cache_summary, ingest
from .execute import ChapterWorkers, chapter_seconds, execute_chapters, kernel_warning, worker_count
from .params import discover_notebooks, validate_params
from .render import NotebookWarning, render_html, warm_up
from .sections import collect_sections
from .index import write_index
from .snapshots import changes_text, compare, keep_snapshot, load_snapshot
from .tables import TABLES_NAME, SheetTable, build_workbook, write_tables

__all__ = ["BEIJING", "REPORT_TITLE", "month_range", "months_with_data", "remove_stale_temp_files",
           "require_month_data", "run_report", "run_reports", "write_report"]

REPORT_TITLE = "抖店退货分析月报 {month}"
#: how long a run waits for another run's ingest of the shared cache, and for the months index
INGEST_WAIT_SECONDS, INDEX_WAIT_SECONDS = 900.0, 120.0
BEIJING = timezone(timedelta(hours=8), "北京时间")


def remove_stale_temp_files(out_month_dir: str | os.PathLike) -> list[Path]:
    """Delete temp files a crashed run left behind (``.index.html.*.tmp`` …)."""
    folder = Path(out_month_dir)
    removed = []
    if folder.is_dir():
        for pattern in (".index.html.*.tmp", ".metrics.json.*.tmp", f".{TABLES_NAME}.*.tmp"):
            for path in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def write_report(out_month_dir: str | os.PathLike, html: str, metrics: Mapping[str, Any],
                 tables: list[SheetTable] | None = None, title: str = "", workbook: Path | None = None) -> Path:
    """Write ``index.html``, ``metrics.json`` (utf-8) and, given ``tables`` (or a ``workbook``
    already written to a temp file in the same folder, which is moved into place),
    ``tables.xlsx`` atomically; return the index path.

    Each file is written to a temp file in the same folder first and then moved into place with
    ``os.replace`` (metrics first, the workbook, index last), so a crash leaves either the
    previous file or the new one, never a half-written file.  NaN/inf in metrics become
    ``null``; a value that is not JSON raises TypeError before anything is written.
    """
    folder = Path(out_month_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(jsonable(metrics), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    atomic_write_text(folder / "metrics.json", text)
    if workbook is not None:
        os.replace(workbook, folder / TABLES_NAME)
    elif tables is not None:
        write_tables(folder / TABLES_NAME, tables, title)
    return atomic_write_text(folder / "index.html", html)


def months_with_data(data: Dataset) -> set[str]:
    """The months in which the exports have a paid sub-order or an after-sale application."""
    return months_of(data.orders["pay_time"]) | months_of(data.after_sales["apply_time"])


def require_month_data(months: set[str], month: str, raw: str | os.PathLike) -> None:
    """InputError (exit 2) when the exports hold nothing of ``month`` (``months``:
    :func:`months_with_data`): a report of empty tables would look like a month without returns."""
    if month not in months:
        have = sorted(months)
        span = f"{have[0]} … {have[-1]}" if have else "none"
        raise InputError(f"no paid order and no after-sale of {month} in {raw} (months with data: {span}); "
                         f"export {month} from 抖店 (订单管理 and 售后工作台) into that folder")


def _ingest_in_turn(raw: str | os.PathLike, processed: str | os.PathLike,
                    conf: str | os.PathLike) -> tuple[set[str], list[str]]:
    """Ingest ``raw`` into the cache ``processed`` (waiting for another run's ingest of the same
    cache) in a process of its own, and hand back only what the runner needs: the months with
    data and the files not read.  The tables never stay in the runner's memory while the
    kernels load them (a month at the export limits: about 1.5 GB)."""
    with exclusive_lock(Path(processed) / ".ingest.lock", f"the cache {processed}", wait=INGEST_WAIT_SECONDS):
        kept = cache_summary(raw, processed, conf_dir=conf)  # a current cache: two columns read
        return kept if kept is not None else _beside(_months_and_skipped, raw, processed, conf)()


def _months_and_skipped(raw: str | os.PathLike, processed: str | os.PathLike,
                        conf: str | os.PathLike) -> tuple[set[str], list[str]]:
    data = ingest(raw, processed, conf_dir=conf)
    return months_with_data(data), list(data.skipped)


RUN_DIR = "_run"
#: where font subsets are kept between renders (beside the Parquet cache)
FONT_CACHE_DIR = "fonts"
#: where the ``tables.xlsx`` of kept tables are (beside the Parquet cache)
TABLES_CACHE_DIR = "workbooks"
#: where each month's page keeps its compressed charts, ``charts/<month>`` (beside the Parquet cache)
CHART_CACHE_DIR = "charts"


def _beside(fn: Any, *args: Any) -> Any:
    """Start ``fn(*args)`` in a process of its own while the caller goes on; the returned
    ``finish()`` waits for its result (or its error, raised here), and ``finish(cancel=True)``
    stops waiting.  Where no process can start (a script piped to ``python -``), ``fn`` runs in
    this process when ``finish()`` is called."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        future = pool.submit(fn, *args)
    except (BrokenProcessPool, RuntimeError, OSError):
        future = None

    def finish(cancel: bool = False) -> Any:
        try:
            if cancel:
                return None
            if future is not None:
                with contextlib.suppress(BrokenProcessPool):
                    return future.result()
            return fn(*args)
        finally:
            pool.shutdown(wait=not cancel, cancel_futures=cancel)

    return finish


def new_run_id() -> str:
    """An id no other run has: Beijing time, process, random (``20261201T093000-4242-a1b2c3``)."""
    return f"{datetime.now(BEIJING):%Y%m%dT%H%M%S}-{os.getpid()}-{secrets.token_hex(3)}"


def _publish_run_dir(own: Path, month_dir: Path) -> Path:
    """This run's folder of executed notebooks becomes ``_run`` (the previous one removed);
    folders that killed runs left behind go too.  Called under the month's lock."""
    final = month_dir / RUN_DIR
    if final.exists():
        old = final.with_name(f"{RUN_DIR}.old.{own.name.rsplit('.', 1)[-1]}")
        final.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    own.rename(final)
    for stale in month_dir.glob(f"{RUN_DIR}.*"):
        shutil.rmtree(stale, ignore_errors=True)
    return final


def _print_warning(text: str) -> None:
    print(f"returns-kit: warning: {text}", file=sys.stderr)


@dataclass
class _MonthRun:
    """What one month's run executes and where: the chapters with their parameters, the
    runner's options, and the seconds each phase took (recorded in ``metrics.json``)."""

    month: str
    month_dir: Path
    notebooks: list[Path]
    params: dict[Path, dict[str, Any]]
    timeout: int | None
    progress: bool
    jobs: int | None
    font_cache: Path
    tables_cache: Path
    chart_cache: Path
    workers: ChapterWorkers | None = None
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str = field(default_factory=new_run_id)


def _render_month(run: _MonthRun) -> Path:
    """Steps 3–6 for one month, inside its lock: execute in this run's own folder, collect,
    compare with the snapshot, render, then make that folder ``_run`` and write the outputs.
    ``metrics.json`` (``run.id``) and the page (``<meta name="returns-kit-run">``) carry the
    same run id."""
    month_dir = run.month_dir
    own = month_dir / f"{RUN_DIR}.{run.run_id}"  # this run's own folder; `_run` once it is done
    own.mkdir(parents=True)
    remove_stale_temp_files(month_dir)
    try:
        html, metrics, workbook = _execute_and_render(run, own)
    except NotebookError as exc:
        final = _publish_run_dir(own, month_dir)
        raise NotebookError(exc.reason, final / exc.executed.name) from None
    except BaseException:
        _publish_run_dir(own, month_dir)
        raise
    _publish_run_dir(own, month_dir)
    index = write_report(month_dir, html, metrics, workbook=workbook)
    keep_snapshot(month_dir, metrics)
    return index


def _execute_and_render(run: _MonthRun, own: Path) -> tuple[str, dict[str, Any], Path]:
    """Execute the chapters into ``own`` (the renderer loading on a thread meanwhile), then render
    the page while ``tables.xlsx`` is written in a process of its own (into a temp file of the
    month's folder, returned)."""
    problem = kernel_warning()
    if problem:
        _print_warning(problem)

    snapshot = load_snapshot(run.month_dir)
    timings = run.timings
    started = time.perf_counter()
    warming = threading.Thread(target=warm_up, name="returns-kit render warm-up", daemon=True)
    warming.start()  # this process only waits while the chapters run: load the renderer meanwhile
    try:
        executed = execute_chapters(run.notebooks, run.params, own, timeout=run.timeout, progress=run.progress,
                                    jobs=run.jobs, workers=run.workers)
    finally:
        if run.workers is not None:
            run.workers.close()  # the kernels' memory is handed back before the page renders
    timings["chapters"] = time.perf_counter() - started
    warming.join()
    started = time.perf_counter()
    workbook = run.month_dir / f".{TABLES_NAME}.{run.run_id}.tmp"
    finish_tables = _beside(build_workbook, executed, workbook, REPORT_TITLE.format(month=run.month),
                            run.tables_cache)
    try:
        html, metrics = _render(run, executed, snapshot)
    except BaseException:
        finish_tables(cancel=True)
        with contextlib.suppress(OSError):
            workbook.unlink()
        raise
    timings["render"] = time.perf_counter() - started
    finish_tables()
    timings["tables"] = time.perf_counter() - started
    return html, metrics, workbook


def _render(run: _MonthRun, executed: list[Path], snapshot: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    timings = run.timings
    silent: list[Path] = []
    metrics = collect_sections(executed, silent=silent)
    for path in silent:
        _print_warning(
            f"{path.name} emitted no metrics.json section (its last cell should call "
            "ch.emit()); metrics.json has none of its keys"
        )
    metrics["run"] = {"id": run.run_id, "jobs": worker_count(run.jobs, len(executed)), "seconds": timings,
                      "chapter_seconds": chapter_seconds(executed)}

    notice = None
    if snapshot is not None:
        changes = compare(snapshot, metrics)
        notice = changes_text(snapshot, changes)
        metrics["snapshot"] = {"as_of": snapshot.get("as_of"), "changes": changes}
        if changes:
            _print_warning(notice)

    found: list[NotebookWarning] = []
    generated = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    html = render_html(
        executed,
        REPORT_TITLE.format(month=run.month),
        subtitle=f"报告月份 {run.month} · 生成于 {generated}（北京时间）",
        warnings=found,
        notice=notice,
        run_id=run.run_id,
        font_cache=run.font_cache,
        image_cache=run.chart_cache,
    )
    for item in found:
        _print_warning(str(item))
    return html, metrics


def run_report(
    month: str,
    *,
    raw: str | os.PathLike,
    external: str | os.PathLike,
    processed: str | os.PathLike,
    out: str | os.PathLike,
    conf: str | os.PathLike,
    notebooks: str | os.PathLike | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: int | None = 600,
    progress: bool = True,
    update_index: bool = True,
    jobs: int | None = None,
) -> Path:
    """Run the monthly report end to end; return ``out/<month>/index.html``.  ``jobs`` chapters
    run at once (:func:`~.execute.execute_chapters`; default one per core, at most 4).

    Afterwards ``out/index.html`` lists every rendered month (:func:`~.index.write_index`; not
    with ``update_index=False``, as a batch does once at its end).  A closed month re-rendered
    is compared with its snapshot (:mod:`.snapshots`): what changed is printed, recorded in
    ``metrics.json`` (``snapshot``) and said under the page's title.

    Bad parameters → ParameterError and bad input → InputError (exit 2), both before any notebook
    runs; a failing or timed-out chapter → NotebookError naming ``out/<month>/_run/<chapter>``
    (exit 1); two chapters emitting the same ``metrics.json`` key → ReportRenderError.  On any
    failure no new ``index.html`` is written and a previous one stays as it was.  Warnings go to
    stderr: stderr outputs of the notebooks (e.g. missing glyphs) and chapters that emitted no
    ``metrics.json`` section.
    """
    month = parse_month(str(month))
    nb_paths = discover_notebooks(notebooks)
    base = {
        "month": month,
        "raw_dir": str(Path(raw).resolve()),
        "external_dir": str(Path(external).resolve()),
        "processed_dir": str(Path(processed).resolve()),
        "conf_dir": str(Path(conf).resolve()),
    }
    per_nb = validate_params(nb_paths, params or {}, base=base)
    check_conf(conf)  # a broken YAML setting: its file and line, exit 2, before any notebook

    # Ingest first: bad input exits 2 before any notebook runs, and the chapters read its cache.
    # Runs of other months share the cache: the second waits for the first's ingest.  The
    # chapters' workers and kernels start meanwhile (ChapterWorkers), on the core it leaves idle.
    with ChapterWorkers(worker_count(jobs, len(nb_paths)), nb_paths[0].parent) as workers:
        started = time.perf_counter()
        have, skipped = _ingest_in_turn(raw, processed, conf)
        timings = {"ingest": time.perf_counter() - started}
        require_month_data(have, month, raw)
        if skipped:
            _print_warning(f"not read (not 抖店 exports) in {raw}: {', '.join(skipped)}")

        month_dir = Path(out) / month
        with exclusive_lock(month_dir / ".lock", f"the {month} report in {month_dir}"):
            index = _render_month(_MonthRun(month, month_dir, nb_paths, per_nb, timeout, progress, jobs,
                                            font_cache=Path(processed) / FONT_CACHE_DIR,
                                            tables_cache=Path(processed) / TABLES_CACHE_DIR,
                                            chart_cache=Path(processed) / CHART_CACHE_DIR / month,
                                            workers=workers, timings=timings))
    if update_index:
        write_months_index(out, processed)
    return index


def write_months_index(out: str | os.PathLike, processed: str | os.PathLike | None = None) -> Path:
    """:func:`~.index.write_index` under the index lock (runs of other months may finish at the
    same moment; each waits its turn, so none of them is left out); font subsets kept in
    ``processed``'s cache when given."""
    with exclusive_lock(Path(out) / ".index.lock", f"the months index {Path(out) / 'index.html'}",
                        wait=INDEX_WAIT_SECONDS):
        return write_index(out, font_cache=None if processed is None else Path(processed) / FONT_CACHE_DIR)


def month_range(text: str) -> list[str]:
    """``"2026-01..2026-10"`` → every month from January to October; ``"2026-08,2026-10"`` → those
    two; ParameterError for anything else or a range that runs backwards."""
    text = text.strip()
    if ".." in text:
        first, _, last = text.partition("..")
        first, last = parse_month(first.strip()), parse_month(last.strip())
        if first > last:
            raise ParameterError(f"month range {text!r} runs backwards")
        months = [first]
        while months[-1] < last:
            months.append((pd.Timestamp(f"{months[-1]}-01") + pd.offsets.MonthBegin(1)).strftime("%Y-%m"))
        return months
    return [parse_month(m.strip()) for m in text.split(",") if m.strip()]


def run_reports(months: list[str], *, out: str | os.PathLike, progress: bool = True,
                **options: Any) -> tuple[list[Path], list[tuple[str, ReturnsKitError]]]:
    """Render ``months`` one after another (:func:`run_report` with ``options``), one progress
    bar for the batch, and rebuild ``out/index.html`` once at the end.  A month the exports
    have no data for is skipped with a warning; a month that fails does not stop the others.
    Returns the written pages and the failures ``(month, error)``."""
    from tqdm.auto import tqdm

    raw = options["raw"]
    have, _ = _ingest_in_turn(raw, options["processed"], options["conf"])
    done: list[Path] = []
    failed: list[tuple[str, ReturnsKitError]] = []
    bar = tqdm(months, desc="报告", unit="月", disable=not progress)
    for month in bar:
        bar.set_postfix_str(month)
        if month not in have:
            _print_warning(f"{month}: no data in {raw}, skipped")
            continue
        try:
            done.append(run_report(month, out=out, progress=False, update_index=False, **options))
        except ReturnsKitError as exc:
            _print_warning(f"{month}: {exc}")
            failed.append((month, exc))
    bar.close()
    write_months_index(out, options["processed"])
    return done, failed
