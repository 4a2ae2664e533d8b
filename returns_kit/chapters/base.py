"""What every chapter object has: its ``metrics.json`` section, and the way a notebook hands that
section to the report runner.

The last cell of a chapter notebook calls :meth:`Chapter.emit`: it displays the section as an
output of the MIME type :data:`METRICS_MIME` (with a one-line ``text/plain`` fallback for
JupyterLab), and the chapter's drill-down sheets for ``tables.xlsx`` as
:data:`~returns_kit.display.TABLE_MIME` outputs.  The runner collects those outputs from the
executed notebooks, writes them to ``metrics.json`` (and ``tables.xlsx``) and strips them from
the HTML (:mod:`returns_kit.report.sections`), so the numbers in ``metrics.json`` are the ones the
notebook displayed, from the same object, in the same kernel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import pandas as pd

from ..core.jsonable import jsonable
from ..core.mime import METRICS_MIME
from ..display import TABLE_MIME, table_data

__all__ = ["METRICS_MIME", "Chapter", "kept"]

C = TypeVar("C", bound="Chapter")


class Chapter:
    """Base of the chapter objects returned by ``chapters.chN_*.build(ctx)``."""

    #: the chapter's number (1–8) and Chinese title
    number: int = 0
    title: str = ""

    def metrics(self) -> dict[str, Any]:
        """This chapter's top-level keys of ``metrics.json`` (plain JSON types)."""
        return {}

    def drilldowns(self) -> list[tuple[str, pd.DataFrame, list[str]]]:
        """Sheets of ``tables.xlsx`` that the page does not show: ``(title, frame, columns)``, the
        after-sale and sub-order IDs behind the rows of a ranking."""
        return []

    def emit(self) -> None:
        """Display :meth:`metrics` for the report runner (the notebook's last cell)."""
        from IPython.display import display  # only inside a kernel

        section = jsonable(self.metrics())
        keys = ", ".join(section) or "（无）"
        # as JSON text: nbformat sorts the keys of JSON objects when it writes the notebook, and
        # metrics.json keeps the order the chapter gives
        text = json.dumps(section, ensure_ascii=False, allow_nan=False)
        display({METRICS_MIME: text, "text/plain": f"metrics.json 第 {self.number} 章：{keys}"}, raw=True)
        for title, frame, columns in self.drilldowns():
            data = {**table_data(frame, columns, caption=title, extra_ids=False), "drilldown": True}
            display({TABLE_MIME: json.dumps(data, ensure_ascii=False, allow_nan=False),
                     "text/plain": f"tables.xlsx 明细：{title}（{len(frame):,} 行）"}, raw=True)


def kept(build: Callable[[Any], C]) -> Callable[[Any], C]:
    """A chapter's ``build(ctx)``, its object kept through :meth:`Context.keep
    <returns_kit.chapters.context.Context.keep>`: the chapter is a pure function of the context,
    so a run on the same inputs (same files, settings and kit) reads the object back instead of
    computing it again (:mod:`returns_kit.core.store`).  A context without a store
    (``Context.of`` in a test) always computes."""
    name = build.__module__.rpartition(".")[2]

    @wraps(build)
    def build_kept(ctx: Any) -> C:
        return ctx.keep(name, lambda: build(ctx))

    return build_kept
