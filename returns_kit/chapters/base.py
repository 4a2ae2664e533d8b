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

    def drilldown_sheets(self) -> list[tuple[str, int, str]]:
        """:meth:`drilldowns` as ``(title, rows, JSON of the sheet's table data)``.  A chapter
        built through :func:`kept` keeps them with its object (a month at the export limits has
        160,000 drill-down rows, seconds of work), so a kept chapter hands back the sheets of
        the object it was built as."""
        def sheets() -> list[tuple[str, int, str]]:
            return [(title, len(frame), json.dumps({**table_data(frame, columns, caption=title, extra_ids=False),
                                                    "drilldown": True}, ensure_ascii=False, allow_nan=False))
                    for title, frame, columns in self.drilldowns()]

        keep = self.__dict__.get(_KEEP)
        return keep(sheets) if keep is not None else sheets()

    def emit(self) -> None:
        """Display :meth:`metrics` and the :meth:`drilldown_sheets` for the report runner (the
        notebook's last cell)."""
        from IPython.display import display  # only inside a kernel

        section = jsonable(self.metrics())
        keys = ", ".join(section) or "（无）"
        # as JSON text: nbformat sorts the keys of JSON objects when it writes the notebook, and
        # metrics.json keeps the order the chapter gives
        text = json.dumps(section, ensure_ascii=False, allow_nan=False)
        display({METRICS_MIME: text, "text/plain": f"metrics.json 第 {self.number} 章：{keys}"}, raw=True)
        for title, rows, sheet in self.drilldown_sheets():
            display({TABLE_MIME: sheet, "text/plain": f"tables.xlsx 明细：{title}（{rows:,} 行）"}, raw=True)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != _KEEP}  # the context's keeper is not pickled


#: the attribute :func:`kept` gives a chapter object: how to keep what is derived from it
_KEEP = "_returns_kit_keep"


def kept(build: Callable[[Any], C]) -> Callable[[Any], C]:
    """A chapter's ``build(ctx)``, its object kept through :meth:`Context.keep
    <returns_kit.chapters.context.Context.keep>`: the chapter is a pure function of the context,
    so a run on the same inputs (same files, settings and kit) reads the object back instead of
    computing it again (:mod:`returns_kit.core.store`), and so are its
    :meth:`~Chapter.drilldown_sheets`.  A context without a store (``Context.of`` in a test)
    always computes."""
    name = build.__module__.rpartition(".")[2]

    @wraps(build)
    def build_kept(ctx: Any) -> C:
        chapter = ctx.keep(name, lambda: build(ctx))
        chapter.__dict__[_KEEP] = lambda compute: ctx.keep(f"{name}.drilldown_sheets", compute)
        return chapter

    return build_kept
