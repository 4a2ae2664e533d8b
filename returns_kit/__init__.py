"""returns_kit — 抖店退货分析工具包.

For an analyst in JupyterLab::

    import returns_kit as rk
    data = rk.load("data/raw")          # typed tables, cached as Parquet in data/processed
    data.after_sales, data.orders       # canonical tables (see returns_kit.model)
    tax = rk.reasons.load_taxonomy("conf")
    outcomes = rk.metrics.sub_order_outcomes(data.orders, data.after_sales, tax)
    rk.metrics.cohort_view(outcomes, "2026-10")

    ctx = rk.chapters.setup("2026-10", raw_dir="data/raw", external_dir="data/external",
                            processed_dir="data/processed", conf_dir="conf")
    rk.chapters.ch3_breakdown.build(ctx).top     # what chapter 3 shows

The layers, lowest first (``shared/DESIGN.md`` §2): ``core`` (periods, taxonomy, stats, jsonable,
files) and ``display``/``fonts`` → ``io`` (cells, readers, exports, dataset, external, profiles) →
the pure analysis modules (``metrics``, ``reconcile``, ``reasons``, ``tags``, ``suggestions``,
``anomaly``, ``funnel``, ``benchmarks``, ``costs``, ``interventions``, ``messages``, ``plots``) →
``chapters`` → ``report``, ``alerts`` and ``cli``.  Submodules load on first use, so
``import returns_kit`` stays fast and the CLI does not import matplotlib to ingest.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

_SUBMODULES = ("io", "model", "metrics", "reasons", "tags", "suggestions", "anomaly", "funnel",
               "alerts", "messages", "benchmarks", "costs", "interventions", "experiments",
               "reconcile", "sources", "display", "plots", "fonts", "report", "sample", "config",
               "chapters", "core", "errors")

if TYPE_CHECKING:  # pragma: no cover
    from . import (alerts, anomaly, benchmarks, chapters, config, core, costs, display,  # noqa: F401
                   errors, experiments, fonts, funnel, interventions, io, messages, metrics,
                   model, plots, reasons, reconcile, report, sample, sources, suggestions, tags)
    from .io import Dataset, ingest, load  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    if name in ("load", "Dataset", "ingest"):
        return getattr(import_module(".io", __name__), name)
    raise AttributeError(f"module 'returns_kit' has no attribute {name!r}")


__all__ = ["__version__", "load", "ingest", "Dataset", *_SUBMODULES]
