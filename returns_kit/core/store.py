"""Results kept on disk between runs: a folder of pickles, one per named result, under a key
that changes whenever anything the results are computed from changes.

The report's chapters share what they compute through the month's context (the sub-order
outcomes, the anomaly detection, the tagged after-sales …) and each chapter object is a pure
function of that context.  :class:`Store` keeps both beside the Parquet cache, so a second run on
the same inputs loads them instead of computing them again, in every kernel.  The folder's key
(:func:`store_key`) covers the kit's own code (:func:`code_version`: any edit of a module or
resource), the versions of the libraries a pickle depends on, and whatever the caller hands in
(the month, the input files' names, sizes and times, the cache manifest).  A store is only ever
read back by the same code that wrote it.

The pickles are the kit's own cache, like the Parquet tables: written by this machine's runs,
never taken from anywhere else.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from ..errors import RunLockedError
from .files import atomic_write, exclusive_lock

__all__ = ["Store", "code_version", "store_key", "open_store", "STORE_KEEP"]

T = TypeVar("T")

#: key folders kept per month (older ones are removed when a new one is made)
STORE_KEEP = 2
#: how long a process waits for another one computing the same result before computing it too
LOCK_WAIT_SECONDS = 1800.0

_MISSING = object()

_PACKAGE = Path(__file__).resolve().parent.parent
_LIBRARIES = ("pandas", "numpy", "pyarrow", "scipy", "statsmodels", "scikit-learn", "jieba", "rustpy-xlsxwriter")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of every file of the ``returns_kit`` package (code, templates, resources) and of
    the library versions its pickles depend on: it changes with any edit of the kit."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.hexdigest()


def store_key(*parts: Any) -> str:
    """The folder name for results computed from ``parts`` (their ``repr``) by this code."""
    return hashlib.sha256(repr((code_version(), parts)).encode()).hexdigest()[:24]


class Store:
    """A folder of named results: :meth:`get` loads one, or computes and keeps it."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"Store({str(self.folder)!r})"

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.pickle"

    def get(self, name: str, compute: Callable[[], T]) -> T:
        """The result ``name``: read back when this store has it, else ``compute()``d and written
        (atomically: a concurrent reader sees the whole pickle or none).

        Computed once across processes: the one computing holds a lock on the name, and another
        process (a second kernel of the same report) that wants it meanwhile waits for the
        pickle instead of computing it too.  A pickle that cannot be read (cut off by a full
        disk, say) is computed again; a result that cannot be pickled, or a folder that cannot
        be written, costs speed, not the result."""
        found = self._read(name)
        if found is not _MISSING:
            return found
        with contextlib.ExitStack() as held:
            with contextlib.suppress(OSError, RunLockedError):  # no lock: compute all the same
                held.enter_context(exclusive_lock(self.folder / f".{name}.lock", f"the kept result {name}",
                                                  wait=LOCK_WAIT_SECONDS))
            found = self._read(name)  # written by the process this one waited for
            if found is not _MISSING:
                return found
            value = compute()

            def dump(tmp: Path) -> None:  # straight into the file: no second copy of a big result in memory
                with open(tmp, "wb") as fh:
                    pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)

            # a result that cannot be pickled (it holds a lambda, say) or a folder that cannot be
            # written: not kept (the half-written temp file is removed)
            with contextlib.suppress(Exception):
                atomic_write(self.path(name), dump)
            return value

    def _read(self, name: str) -> Any:
        path = self.path(name)
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except OSError:  # not kept yet (or a folder that cannot be read)
            return _MISSING
        except Exception:  # a damaged pickle is recomputed, never trusted
            with contextlib.suppress(OSError):
                path.unlink()
            return _MISSING


def open_store(root: str | os.PathLike, group: str, key: str, keep: int = STORE_KEEP) -> Store:
    """The store ``root/group/key``; of the other key folders of ``group`` only the newest
    ``keep - 1`` stay (the results of inputs or code that have since changed go)."""
    folder = Path(root) / group / key
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)
        others = sorted((p for p in folder.parent.iterdir() if p.is_dir() and p != folder),
                        key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in others[max(keep - 1, 0):]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    return Store(folder)
