"""Handing freed memory back to the operating system between steps of a long-lived process.

A report kernel runs several chapters and a runner worker writes several executed notebooks:
what one step freed stays with the process (Python's heap, glibc's arenas, Arrow's allocator
keep pages for reuse) and adds to the peak of every later step.  At the export limits that is
a few hundred megabytes per process, the difference between fitting the memory target or not.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys

__all__ = ["trim"]


def trim() -> None:
    """Collect Python's reference cycles, release the unused pages of Arrow's memory pool (when
    pyarrow is loaded; never imported for this) and trim glibc's heap (Linux only)."""
    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
