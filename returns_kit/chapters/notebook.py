"""A chapter notebook's one setup call: the report's chart theme and the month's context.

The context is kept for the next chapter of the same kernel (the report runner executes several
chapters in one kernel, its namespace reset in between): built once per kernel, rebuilt when a
file of the raw, external or conf folder changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..plots import keep_charts, theme
from .context import Context, build_context

__all__ = ["setup", "folder_fingerprint"]

_LAST: dict[str, tuple[tuple, Context]] = {}


def folder_fingerprint(*folders: str | Path | None) -> tuple:
    """Name, size and modification time of every file under ``folders``: any change to an input
    changes it."""
    entries = []
    for folder in folders:
        if folder is None or not Path(folder).is_dir():
            entries.append((str(folder), None))
            continue
        for root, _, files in os.walk(folder):
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                entries.append((os.path.join(root, name), st.st_size, st.st_mtime_ns))
    return tuple(sorted(entries, key=str))


def setup(month: str, *, raw_dir: str | Path, external_dir: str | Path | None,
          processed_dir: str | Path, conf_dir: str | Path) -> Context:
    """Apply the chart theme (Chinese fonts, phone-sized figures) and load the month
    (:func:`~returns_kit.chapters.context.build_context`), or hand back the context this kernel
    built for the same month and folders when none of their files changed since.  Charts drawn
    by :mod:`returns_kit.plots` are kept with the month's results (:func:`~returns_kit.plots.keep_charts`)."""
    theme()
    key = repr((month, *(str(Path(p).resolve()) if p is not None else None
                         for p in (raw_dir, external_dir, processed_dir, conf_dir))))
    stamp = folder_fingerprint(raw_dir, external_dir, conf_dir)
    kept = _LAST.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    ctx = build_context(month, raw_dir=raw_dir, external_dir=external_dir,
                        processed_dir=processed_dir, conf_dir=conf_dir, keep=(key, stamp))
    _LAST.clear()  # one month's context at a time
    _LAST[key] = (stamp, ctx)
    if ctx.store is not None:
        keep_charts(ctx.store)  # the charts of the same data are kept with the month's results
    return ctx
