"""Step 4 of the runner: ``metrics.json`` from the executed chapter notebooks.

The last cell of each chapter notebook calls :meth:`returns_kit.chapters.base.Chapter.emit`, which
displays that chapter's top-level ``metrics.json`` keys as an output of MIME type
:data:`~returns_kit.chapters.base.METRICS_MIME`.  :func:`collect_sections` gathers those outputs,
so ``metrics.json`` holds the numbers the notebooks computed and showed — one source for the HTML
and the JSON.  The renderer drops the same outputs from the page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.mime import METRICS_MIME
from ..errors import ReportRenderError
from .params import read_notebook

__all__ = [
    "METRICS_MIME",
    "METRICS_ORDER",
    "collect_sections",
    "notebook_sections",
    "order_metrics",
]

#: Canonical order of the top-level keys of ``metrics.json``; other keys follow in the order the
#: notebooks emitted them.
METRICS_ORDER: tuple[str, ...] = (
    "month", "as_of", "data_quality", "application_view", "cohort_view", "cohort_after_sales",
    "coverage", "top_products", "provinces", "carriers", "creators", "reasons",
    "source_comparison", "custom_tags", "reason_mismatches", "anomalies", "anomaly_settings",
    "benchmarks", "costs", "interventions", "summary",
)
_RANK = {key: i for i, key in enumerate(METRICS_ORDER)}


def notebook_sections(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every ``metrics.json`` section of one executed notebook, in output order.

    A section is the :data:`METRICS_MIME` entry of an output's ``data`` (a display or an
    execute result); it must be a JSON object (ReportRenderError otherwise).
    """
    path = Path(path)
    found: list[dict[str, Any]] = []
    for cell in read_notebook(path).cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if METRICS_MIME not in data:
                continue
            section = data[METRICS_MIME]
            if isinstance(section, str):  # a kernel that sent the JSON as text
                try:
                    section = json.loads(section)
                except ValueError:
                    pass
            if not isinstance(section, Mapping):
                raise ReportRenderError(
                    f"{path.name}: a {METRICS_MIME} output must be a JSON object (the chapter's "
                    f"metrics.json keys), got {type(section).__name__} — emit it with "
                    "Chapter.emit()"
                )
            found.append(dict(section))
    return found


def order_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """``metrics`` with the keys of :data:`METRICS_ORDER` first, in that order, then the rest in
    their given order."""
    canonical = sorted((key for key in metrics if key in _RANK), key=_RANK.__getitem__)
    rest = [key for key in metrics if key not in _RANK]
    return {key: metrics[key] for key in (*canonical, *rest)}


def collect_sections(
    executed: Sequence[str | os.PathLike],
    *,
    silent: list[Path] | None = None,
) -> dict[str, Any]:
    """The contents of ``metrics.json``: every section the executed notebooks emitted, read in
    the order given, keys ordered by :func:`order_metrics`.

    A key emitted twice (by two notebooks, or twice by one) raises ReportRenderError naming the
    key and both notebooks: no silent overwrite.  Notebooks that emitted no section at all are
    appended to ``silent`` when a list is given (an emitted empty section counts as emitted).
    """
    gathered: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in (Path(p) for p in executed):
        sections = notebook_sections(path)
        if not sections and silent is not None:
            silent.append(path)
        for section in sections:
            for key, value in section.items():
                first = origin.get(key)
                if first is not None:
                    again = "again by" if first == path else "by"
                    raise ReportRenderError(
                        f"metrics.json key {key!r} is emitted twice: by {first.name} and {again} "
                        f"{path.name} (each key belongs to one chapter's section; executed "
                        f"notebooks in {path.parent})"
                    )
                origin[key] = path
                gathered[key] = value
    return order_metrics(gathered)
