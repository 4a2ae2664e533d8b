"""Atomic writes: the one way the kit puts a file in place.

A crash (or SIGKILL) half-way leaves the previous file untouched: the content goes to a temp file
in the target's folder, which is then renamed over the target (``os.replace`` is atomic on one
file system).  The result gets the ordinary permissions (0644 under the usual umask), not the
0600 of a temp file: reports are meant to be shared.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RunLockedError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["atomic_write", "atomic_write_text", "temp_beside", "put_in_place", "atomic_write_bytes", "safe_cell",
           "safe_frame", "FORMULA_STARTS", "exclusive_lock"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_beside(target: str | os.PathLike) -> Path:
    """A new, empty, hidden temp file in ``target``'s folder (which must exist), to be written and
    then moved onto ``target`` (or any file of that folder) by :func:`put_in_place`."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def put_in_place(tmp: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Move the written temp file ``tmp`` onto ``target`` at once, with the permissions a new file
    gets under the umask (mkstemp makes it private)."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, target)
    return Path(target)


def atomic_write(target: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temp file beside ``target``, then move it into place.

    The folder must exist.  Any exception leaves ``target`` as it was and removes the temp file.
    Returns ``target`` as a :class:`~pathlib.Path`.
    """
    target = Path(target)
    tmp = temp_beside(target)
    try:
        write(tmp)
        put_in_place(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def atomic_write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """:func:`atomic_write` of a text (``\\n`` line ends on every platform)."""
    return atomic_write(target, lambda p: p.write_text(text, encoding=encoding, newline="\n"))


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """:func:`atomic_write` of bytes."""
    return atomic_write(target, lambda p: p.write_bytes(data))


#: what makes a spreadsheet treat a cell as a formula (or a DDE command) when a file is opened
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: a leading ``=``, ``+``, ``-``, ``@``, tab or CR
    gets an apostrophe in front (``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``), so Excel and WPS show
    the text instead of running it (OWASP "CSV injection"); anything else is unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_texts(texts: "pa.Array") -> "pa.Array":
    """:func:`safe_cell` of every text of an Arrow string array at once (nulls stay null): the
    drill-down sheets of a month at the export limits are a million and a half cells.  (pyarrow
    is imported here, not with the module: a report worker imports this module and never
    needs it.)"""
    import pyarrow.compute as pc

    risky = pc.starts_with(texts, FORMULA_STARTS[0])
    for start in FORMULA_STARTS[1:]:
        risky = pc.or_(risky, pc.starts_with(texts, start))
    return pc.if_else(risky, pc.binary_join_element_wise("'", texts, ""), texts)


def safe_frame(frame):
    """``frame`` with :func:`safe_cell` applied to every text cell, for a CSV people open in a
    spreadsheet (the data itself keeps the exact values)."""
    return frame.apply(lambda col: col.map(lambda v: safe_cell(v) if isinstance(v, str) else v))


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, what: str, wait: float = 0.0) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block, so two
    processes never write the same outputs at once.  The operating system drops the lock when
    the holder exits, even on SIGKILL: a crashed run never leaves a stale lock.  Waits up to
    ``wait`` seconds for another holder, then raises
    :class:`~returns_kit.errors.RunLockedError` naming ``what`` and the holder's pid."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode("ascii", "ignore").strip() or "?"
                    raise RunLockedError(f"{what} is being written by another run (pid {holder}, lock {target}); "
                                         "wait for it to finish and run again") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield target
    finally:
        os.close(fd)  # releases the lock
