"""The report runner: chapter notebooks → papermill → one self-contained HTML per month.

``returns-kit report --month 2026-10`` calls :func:`run_report`, which runs six steps, one module
each:

1. :mod:`.params` — checks the ``-p NAME=VALUE`` parameters against the notebooks' ``parameters``
   cells (:func:`validate_params`: unknown names, wrong types and secret-looking names are
   refused);
2. ingests ``data/raw`` first (:func:`returns_kit.io.ingest`, in a process of its own when the
   cache is not current), so bad input fails (exit 2) before any notebook runs;
3. :mod:`.execute` — executes the chapters with papermill, one worker process per core, each
   keeping its kernel (namespace reset) from chapter to chapter, into this run's own folder,
   which becomes ``reports/<month>/_run/`` (:func:`execute_chapters`; kernel ``python3`` = this
   environment's interpreter);
4. :mod:`.sections` — collects ``metrics.json`` from the executed notebooks: each chapter's last
   cell displays its section (:meth:`returns_kit.chapters.base.Chapter.emit`), so the JSON holds
   the numbers the page shows (:func:`collect_sections`);
5. :mod:`.render` — combines the executed notebooks into one HTML with a table of contents, no
   code and no metrics sections (:func:`render_html`; template ``returns_kit/templates/rk_report``:
   no request to any other host, phone-friendly CSS); meanwhile, in a process of its own,
   :mod:`.tables` collects every table the notebooks displayed, and the chapters' drill-down
   sheets, into ``tables.xlsx`` (:func:`collect_tables`, read back from the cache when the tables
   are those of an earlier run);
6. :mod:`.run` — writes ``metrics.json``, ``tables.xlsx`` and ``index.html`` atomically
   (:func:`write_report`).

Any failure raises before step 6, so the previous report (if any) stays untouched; the executed
notebooks stay in ``_run/`` and :class:`~returns_kit.errors.NotebookError` names the one that
failed.

The pieces are usable on their own, e.g. to render notebooks you executed yourself::

    from returns_kit import report
    nbs = report.discover_notebooks("notebooks")
    per_nb = report.validate_params(nbs, {"min_orders": "30"})
    executed = report.execute_chapters(nbs, per_nb, "tmp/_run", timeout=600, progress=True)
    metrics = report.collect_sections(executed)
    html = report.render_html(executed, "抖店退货分析 2026-10")

This package namespace only re-exports; to monkeypatch a setting, patch the step module that
uses it (``returns_kit.report.execute.KERNEL_NAME``), not this façade.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Step modules load on first use: a chapter's worker process imports only :mod:`.execute`, not
# pandas, nbconvert and openpyxl with the rest of the runner.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "..errors": ("ReportRenderError",),
    "..fonts": ("EMBEDDED_FONT_FAMILY", "embed_cjk_font", "page_text_chars"),
    ".execute": ("KERNEL_NAME", "execute_chapters"),
    ".params": ("BASE_PARAMS", "DEFAULT_NOTEBOOKS", "NOTEBOOK_GLOB", "convert_value", "discover_notebooks",
                "notebook_parameters", "validate_params"),
    ".render": ("REMOVE_CELL_TAGS", "REMOVE_INPUT_TAGS", "REMOVE_OUTPUT_TAGS", "TEMPLATE_NAME", "TEMPLATES_DIR",
                "NotebookWarning", "check_self_contained", "combine_notebooks", "render_html"),
    ".run": ("BEIJING", "REPORT_TITLE", "month_range", "remove_stale_temp_files", "run_report", "run_reports",
             "write_report"),
    ".index": ("write_index",),
    ".sections": ("METRICS_MIME", "METRICS_ORDER", "collect_sections"),
    ".tables": ("TABLES_NAME", "collect_tables", "write_tables"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import ReportRenderError  # noqa: F401
    from ..fonts import EMBEDDED_FONT_FAMILY, embed_cjk_font, page_text_chars  # noqa: F401
    from .execute import KERNEL_NAME, execute_chapters  # noqa: F401
    from .index import write_index  # noqa: F401
    from .params import (BASE_PARAMS, DEFAULT_NOTEBOOKS, NOTEBOOK_GLOB, convert_value,  # noqa: F401
                         discover_notebooks, notebook_parameters, validate_params)
    from .render import (REMOVE_CELL_TAGS, REMOVE_INPUT_TAGS, REMOVE_OUTPUT_TAGS, TEMPLATE_NAME,  # noqa: F401
                         TEMPLATES_DIR, NotebookWarning, check_self_contained, combine_notebooks, render_html)
    from .run import (BEIJING, REPORT_TITLE, month_range, remove_stale_temp_files, run_report,  # noqa: F401
                      run_reports, write_report)
    from .sections import METRICS_MIME, METRICS_ORDER, collect_sections  # noqa: F401
    from .tables import TABLES_NAME, collect_tables, write_tables  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [  # noqa: F822 (names resolved by __getattr__)
    "BASE_PARAMS",
    "BEIJING",
    "DEFAULT_NOTEBOOKS",
    "EMBEDDED_FONT_FAMILY",
    "KERNEL_NAME",
    "METRICS_MIME",
    "METRICS_ORDER",
    "NOTEBOOK_GLOB",
    "REMOVE_CELL_TAGS",
    "REMOVE_INPUT_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "REPORT_TITLE",
    "TEMPLATES_DIR",
    "TABLES_NAME",
    "TEMPLATE_NAME",
    "NotebookWarning",
    "ReportRenderError",
    "check_self_contained",
    "collect_sections",
    "collect_tables",
    "combine_notebooks",
    "convert_value",
    "discover_notebooks",
    "embed_cjk_font",
    "execute_chapters",
    "notebook_parameters",
    "page_text_chars",
    "remove_stale_temp_files",
    "render_html",
    "month_range",
    "run_report",
    "run_reports",
    "write_index",
    "validate_params",
    "write_report",
    "write_tables",
]
