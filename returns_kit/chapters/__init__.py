"""Chapters as code: one module per chapter notebook, the only place that decides which inputs
feed which computation.

``notebooks/03_breakdown.ipynb`` → :mod:`returns_kit.chapters.ch3_breakdown` → the pure functions
of :mod:`returns_kit.metrics`.  A chapter notebook is a parameters cell, one setup call, the
chapter's ``build``, display calls and Chinese narrative::

    ctx = rk.chapters.setup(month, raw_dir=raw_dir, external_dir=external_dir,
                            processed_dir=processed_dir, conf_dir=conf_dir)
    ch = rk.chapters.ch3_breakdown.build(ctx)
    rk.display.note(ch.top_note)
    …
    ch.emit()   # the last cell: this chapter's metrics.json section, from the same object

* :mod:`.context` — :class:`~.context.Context`, the month loaded once;
* :mod:`.base` — :class:`~.base.Chapter` (``metrics()``, ``emit()``) and the section MIME type;
* :mod:`.ch1_data_pull` … :mod:`.ch8_interventions` — ``build(ctx)`` → a chapter object with the
  chapter's tables, chart data, sentences and ``metrics()``;
* :func:`setup` (:mod:`.notebook`) — the chart theme and the context, for a notebook's setup cell.

Submodules load on first use, so the report runner can read :data:`~.base.METRICS_MIME` without
loading every analysis module.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

CHAPTERS = ("ch0_summary", "ch1_data_pull", "ch2_source_comparison", "ch3_breakdown", "ch4_reasons",
            "ch5_monitoring", "ch6_benchmarks", "ch7_costs", "ch8_interventions")
_NAMES = {"setup": "notebook", "Context": "context", "build_context": "context",
          "Chapter": "base", "METRICS_MIME": "base"}

if TYPE_CHECKING:  # pragma: no cover
    from . import (base, ch0_summary, ch1_data_pull, ch2_source_comparison, ch3_breakdown, ch4_reasons,  # noqa: F401
                   ch5_monitoring, ch6_benchmarks, ch7_costs, ch8_interventions, context, notebook)
    from .base import METRICS_MIME, Chapter  # noqa: F401
    from .context import Context, build_context  # noqa: F401
    from .notebook import setup  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in CHAPTERS or name in ("base", "context", "notebook"):
        return import_module(f".{name}", __name__)
    if name in _NAMES:
        return getattr(import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*CHAPTERS, "setup", "Context", "build_context", "Chapter", "METRICS_MIME"]
