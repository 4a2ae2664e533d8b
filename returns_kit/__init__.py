"""returns_kit — 抖店退货分析工具包.

For an analyst in JupyterLab::

    import returns_kit as rk
    data = rk.load("data/raw")          # typed tables, cached as Parquet in data/processed
    data.after_sales, data.orders       # canonical tables (see returns_kit.model)
    rk.metrics.cohort_view(data.orders, data.after_sales, "2026-10")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_SUBMODULES = ("io", "model", "metrics", "reasons", "anomaly", "alerts", "benchmarks", "costs",
               "experiments", "sources", "display",
               "plots", "report", "sample", "config")

if TYPE_CHECKING:  # pragma: no cover
    from . import (alerts, anomaly, benchmarks, config, costs, display, experiments,  # noqa: F401
                   io, metrics, model, sources,
                   plots, reasons, report, sample)
    from .io import Dataset, load  # noqa: F401


def __getattr__(name: str) -> Any:
    # Lazy: `import returns_kit` stays fast, and the CLI does not import matplotlib to ingest.
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    if name in ("load", "Dataset", "ingest"):
        return getattr(import_module(".io", __name__), name)
    raise AttributeError(f"module 'returns_kit' has no attribute {name!r}")


__all__ = ["load", "ingest", "Dataset", *_SUBMODULES]
