"""The whole run (:func:`run_report`) and step 6, writing ``index.html`` and ``metrics.json``
atomically (:func:`write_report`)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_text
from ..core.jsonable import jsonable
from ..core.periods import parse_month
from ..io import ingest
from .execute import execute_chapters, kernel_warning
from .params import NOTEBOOK_GLOB, discover_notebooks, validate_params
from .render import NotebookWarning, render_html
from .sections import collect_sections

__all__ = ["BEIJING", "REPORT_TITLE", "remove_stale_temp_files", "run_report", "write_report"]

REPORT_TITLE = "抖店退货分析月报 {month}"
BEIJING = timezone(timedelta(hours=8), "北京时间")


def remove_stale_temp_files(out_month_dir: str | os.PathLike) -> list[Path]:
    """Delete temp files a crashed run left behind (``.index.html.*.tmp`` …)."""
    folder = Path(out_month_dir)
    removed = []
    if folder.is_dir():
        for pattern in (".index.html.*.tmp", ".metrics.json.*.tmp"):
            for path in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def write_report(out_month_dir: str | os.PathLike, html: str, metrics: Mapping[str, Any]) -> Path:
    """Write ``index.html`` and ``metrics.json`` (utf-8) atomically; return the index path.

    Both files are written to temp files in the same folder first and then moved into place with
    ``os.replace`` (metrics first, index last), so a crash leaves either the previous report or
    the new one, never a half-written file.  NaN/inf in metrics become ``null``; a value that is
    not JSON raises TypeError before anything is written.
    """
    folder = Path(out_month_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(jsonable(metrics), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    atomic_write_text(folder / "metrics.json", text)
    return atomic_write_text(folder / "index.html", html)


def _clean_run_dir(run_dir: Path) -> None:
    for path in run_dir.glob(NOTEBOOK_GLOB):
        with contextlib.suppress(OSError):
            path.unlink()
    for path in run_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()


def _print_warning(text: str) -> None:
    print(f"returns-kit: warning: {text}", file=sys.stderr)


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
) -> Path:
    """Run the monthly report end to end; return ``out/<month>/index.html``.

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

    # Ingest first: bad input exits 2 before any notebook runs, and the chapters read its cache.
    ingest(raw, processed, conf_dir=conf)

    month_dir = Path(out) / month
    run_dir = month_dir / "_run"
    run_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(month_dir)
    _clean_run_dir(run_dir)

    problem = kernel_warning()
    if problem:
        _print_warning(problem)

    executed = execute_chapters(nb_paths, per_nb, run_dir, timeout=timeout, progress=progress)

    silent: list[Path] = []
    metrics = collect_sections(executed, silent=silent)
    for path in silent:
        _print_warning(
            f"{path.name} emitted no metrics.json section (its last cell should call "
            "ch.emit()); metrics.json has none of its keys"
        )

    found: list[NotebookWarning] = []
    generated = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    html = render_html(
        executed,
        REPORT_TITLE.format(month=month),
        subtitle=f"报告月份 {month} · 生成于 {generated}（北京时间）",
        warnings=found,
    )
    for item in found:
        _print_warning(str(item))
    return write_report(month_dir, html, metrics)
