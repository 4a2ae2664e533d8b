"""A folder of 抖店 exports → one :class:`Dataset` (+ the typed Parquet cache).

Several files of one kind are one table: rows are collapsed by 售后单号 / 子订单编号 and the
newest export (time in the file name, else the file's mtime) wins.  Every row read is accounted
for: ``rows_read == rows_kept + duplicates + rejected`` per file and in total.  The cache in
``data/processed`` (``after_sales.parquet``, ``orders.parquet``, ``accounting.parquet``,
``quarantine.csv``, ``manifest.json``) is rebuilt when a raw file, the kit version or the salt
changes, and a damaged cache is rebuilt, never trusted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..config import get_salt
from ..core.periods import months_of
from ..core.files import atomic_write, atomic_write_text, put_in_place, temp_beside
from ..errors import InputError
from ..core.files import safe_frame
from ..core.memory import trim
from ..version import __version__
from .exports import (DATA_SUFFIXES, KIND_KEY, KIND_ZH, KINDS, STR, empty_frame, export_time,
                      frame_columns, frame_dtypes, quarantine_frame, read_export)

__all__ = ["Dataset", "cache_summary", "ingest", "load", "cached_manifest", "CACHE_FILES", "MANIFEST", "CACHE_FORMAT"]

CACHE_FILES = ("after_sales.parquet", "orders.parquet", "accounting.parquet", "quarantine.parquet",
               "quarantine.csv")
MANIFEST = "manifest.json"
#: bump when the loader's output changes, so old caches are rebuilt
CACHE_FORMAT = 3
ACCOUNTING_COLUMNS = ("file", "kind", "rows_read", "rows_kept", "duplicates", "rejected")


def _accounting_frame(records: list[dict] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(records or [], columns=list(ACCOUNTING_COLUMNS))
    return df.astype({"file": STR, "kind": STR, "rows_read": "int64", "rows_kept": "int64",
                      "duplicates": "int64", "rejected": "int64"})


@dataclass(repr=False)
class Dataset:
    """The loaded exports: two canonical tables plus the accounting of every row read.

    ``after_sales`` / ``orders`` have the columns of :func:`~returns_kit.io.frame_columns`;
    ``accounting`` has one row per file (``file, kind, rows_read, rows_kept, duplicates,
    rejected``); ``quarantine`` one row per rejected source row (``file, row, column, reason,
    value``); ``skipped`` lists the files of the folder that are not exports (README.md,
    .gitkeep …).

    >>> data = load("data/raw")                              # doctest: +SKIP
    >>> data.data_quality()                                  # doctest: +SKIP
    {'rows_read': 10512, 'rows_kept': 10003, 'duplicates': 500, 'rejected': 9}
    """

    after_sales: pd.DataFrame
    orders: pd.DataFrame
    accounting: pd.DataFrame
    quarantine: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    processed_dir: Path | None = None
    from_cache: bool = False

    @classmethod
    def from_frames(cls, after_sales: pd.DataFrame, orders: pd.DataFrame) -> "Dataset":
        """A Dataset built in memory from canonical frames (tests, notebooks): one accounting row
        per kind, nothing rejected, nothing collapsed."""
        accounting = _accounting_frame([
            {"file": f"(in memory) {kind}", "kind": kind, "rows_read": len(frame),
             "rows_kept": len(frame), "duplicates": 0, "rejected": 0}
            for kind, frame in (("after_sales", after_sales), ("orders", orders))])
        return cls(after_sales, orders, accounting, quarantine_frame())

    @property
    def quarantine_path(self) -> Path | None:
        """Where the quarantine CSV was written (``None`` for a Dataset built in memory)."""
        return None if self.processed_dir is None else Path(self.processed_dir) / "quarantine.csv"

    def data_quality(self) -> dict[str, int]:
        """Row accounting totals; ``rows_read == rows_kept + duplicates + rejected`` always."""
        acc = self.accounting
        totals = {k: int(acc[k].sum()) for k in ("rows_read", "rows_kept", "duplicates", "rejected")}
        if totals["rows_read"] != totals["rows_kept"] + totals["duplicates"] + totals["rejected"]:
            raise AssertionError(f"row accounting broken: {totals}")
        return totals

    def summary(self) -> str:
        """A few lines for humans: files per kind, row accounting, where the quarantine is."""
        acc = self.accounting
        q = self.data_quality()
        per_kind = ", ".join(
            f"{KIND_ZH[k]} {int((acc['kind'] == k).sum())}" for k in KINDS
        )
        lines = [f"files: {len(acc)} 抖店 exports ({per_kind})"]
        if self.skipped:
            lines.append(f"skipped (not exports): {', '.join(self.skipped)}")
        lines.append(
            f"rows: read {q['rows_read']:,} = kept {q['rows_kept']:,} + duplicates "
            f"{q['duplicates']:,} + rejected {q['rejected']:,}"
        )
        lines.append(
            f"tables: after_sales {len(self.after_sales):,} rows, orders {len(self.orders):,} rows"
            + (" (from cache)" if self.from_cache else "")
        )
        where = self.quarantine_path
        lines.append(
            f"quarantine: {len(self.quarantine):,} rows"
            + (f" → {where}" if where is not None else "")
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Dataset\n" + self.summary()


# --------------------------------------------------------------------------------------------
# The folder and the cache
# --------------------------------------------------------------------------------------------

def _scan(raw_dir: Path) -> tuple[list[Path], list[str]]:
    files, skipped = [], []
    for p in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        if not p.is_file():
            continue
        name = p.name
        if name.startswith((".", "~$")) or p.suffix.lower() not in DATA_SUFFIXES:
            skipped.append(name)
        else:
            files.append(p)
    return files, skipped


def _salt_fingerprint(salt: str) -> str:
    return hashlib.sha256(("returns_kit salt fingerprint|" + salt).encode("utf-8")).hexdigest()[:16]


def _manifest(files: list[Path], salt: str) -> dict[str, Any]:
    entries = []
    for p in files:
        st = p.stat()
        entries.append({"name": p.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return {
        "kit_version": __version__,
        "cache_format": CACHE_FORMAT,
        "salt_fingerprint": _salt_fingerprint(salt),
        "files": entries,
    }


_MANIFEST_KEYS = ("kit_version", "cache_format", "salt_fingerprint", "files")


def _parquet_options(table: pa.Table) -> dict[str, Any]:
    """How a table is written: dictionary pages for the string columns whose values repeat
    (fewer distinct values than half the cells of their first 10,000 rows: statuses, regions,
    product names; not IDs, notes or tracking numbers), statistics for the columns that are
    not text, and no compression.  The same table is read back; at the export limits it is
    written in about half the time of Arrow's defaults (a dictionary tried on every column, text
    min/max kept, snappy) and read in under half the time, in a file about twice the size (a
    cache on the machine's own disk, 255 MB for a million sub-orders)."""
    head = table.slice(0, 10_000)
    text = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    repeating = [n for n in text
                 if pc.count_distinct(head.column(n)).as_py() < (head.num_rows - head.column(n).null_count) / 2]
    return {"use_dictionary": repeating, "write_statistics": [n for n in table.column_names if n not in text],
            "compression": "none"}


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, **_parquet_options(table))


class _EarlyTable:
    """The biggest export's table written to Parquet on a thread of its own as soon as that file
    is read, while the other files are still being read and the tables combined: the cache's
    longest write, off the end of the ingest.  It becomes the cache's table of its kind when
    that file is the kind's only one and no row of it is a duplicate (the table is then the
    file's frame, row for row), and is removed otherwise.  Only a file that is the only one of
    its type (the month's order CSV beside its 售后 workbooks) is written early, so that a
    month of several such files spends no work on a table it throws away."""

    def __init__(self, processed: Path, files: list[Path]) -> None:
        by_type: dict[str, list[Path]] = {}
        for path in files:
            by_type.setdefault(path.suffix.lower(), []).append(path)
        biggest = max(files, key=lambda p: p.stat().st_size) if len(files) > 1 else None
        self.path = biggest if biggest is not None and len(by_type[biggest.suffix.lower()]) == 1 else None
        self.processed, self.kind, self.rows, self.tmp = processed, None, -1, None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def offer(self, path: Path, result: tuple[str, pd.DataFrame, pd.DataFrame, int]) -> None:
        """Called with each file's :func:`read_export` result as it is read."""
        if path != self.path:
            return
        self.processed.mkdir(parents=True, exist_ok=True)
        self.kind, self.rows, self.tmp = result[0], len(result[1]), temp_beside(self.processed / f"{result[0]}.parquet")

        def write(frame: pd.DataFrame = result[1]) -> None:
            try:
                _write_parquet(frame, self.tmp)
            except BaseException as exc:  # the table is then written the ordinary way
                self._error = exc

        self._thread = threading.Thread(target=write, name="returns-kit-early-table", daemon=True)
        self._thread.start()

    def claim(self, kind: str, frame: pd.DataFrame, parts: int) -> Callable[[], Path | None] | None:
        """When the table being written holds ``frame``, the cache's table of ``kind`` from
        ``parts`` files: a call that waits for the write and gives the written file (None if the
        write failed); None when it does not hold it (the ordinary write then writes the frame)."""
        if self._thread is None or kind != self.kind or parts != 1 or len(frame) != self.rows:
            return None
        return self._written

    def _written(self) -> Path | None:
        assert self._thread is not None
        self._thread.join()
        return None if self._error is not None else self.tmp

    def discard(self) -> None:
        """Wait for the write and remove what was not used."""
        if self._thread is not None:
            self._thread.join()
        if self.tmp is not None and self.tmp.exists():
            self.tmp.unlink()


def _write_cache(processed: Path, data: Dataset, manifest: dict[str, Any],
                 early: dict[str, Callable[[], Path | None]] | None = None) -> None:
    """The cache files, side by side on threads (Parquet is written outside the GIL), then the
    manifest that vouches for them.  ``early``: cache tables being written already (by
    :class:`_EarlyTable`; each call waits and gives the temp file, moved into place, or None,
    and the table is written here)."""
    processed.mkdir(parents=True, exist_ok=True)
    stale = processed / MANIFEST
    if stale.exists():  # a crash half-way must not leave an old manifest vouching for new files
        stale.unlink()
    early = early or {}
    tables = {"orders.parquet": data.orders, "after_sales.parquet": data.after_sales,
              "accounting.parquet": data.accounting, "quarantine.parquet": data.quarantine}
    jobs = [(name, lambda p, f=frame: _write_parquet(f, p)) for name, frame in tables.items() if name not in early]
    jobs.append(("quarantine.csv",
                 lambda p: safe_frame(data.quarantine).to_csv(p, index=False, encoding="utf-8-sig")))
    with ThreadPoolExecutor(min(len(jobs), os.cpu_count() or 1)) as pool:
        done = pool.map(lambda job: atomic_write(processed / job[0], job[1]), jobs)  # all started
        for name, written in early.items():
            if (tmp := written()) is not None:
                put_in_place(tmp, processed / name)
            else:
                atomic_write(processed / name, lambda p, f=tables[name]: _write_parquet(f, p))
        list(done)
    atomic_write_text(processed / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")


def _current_manifest(processed: Path, manifest: dict[str, Any]) -> str | None:
    """The stored manifest's text when it matches ``manifest`` and every cache file is there."""
    try:
        text = (processed / MANIFEST).read_text(encoding="utf-8")
        stored = json.loads(text)
    except (OSError, ValueError):
        return None
    if any(stored.get(k) != manifest[k] for k in _MANIFEST_KEYS):
        return None
    if not all((processed / name).is_file() for name in CACHE_FILES):
        return None
    return text


def _order_columns(columns: Sequence[str] | None) -> list[str]:
    """The order columns to load: ``columns`` in the canonical order (all when None); an unknown
    name is a TypeError."""
    canonical = frame_columns("orders")
    if columns is None:
        return canonical
    unknown = sorted(set(columns) - set(canonical))
    if unknown:
        raise TypeError(f"unknown order column(s): {', '.join(unknown)}")
    wanted = set(columns)
    return [c for c in canonical if c in wanted]


def _read_cache(processed: Path, manifest: dict[str, Any], skipped: list[str],
                order_columns: list[str]) -> Dataset | None:
    if _current_manifest(processed, manifest) is None:
        return None
    try:
        after_sales = pd.read_parquet(processed / "after_sales.parquet")
        stored = pq.read_schema(processed / "orders.parquet").names
        orders = pd.read_parquet(processed / "orders.parquet", columns=order_columns)
        if (list(after_sales.columns) != frame_columns("after_sales")
                or stored != frame_columns("orders") or list(orders.columns) != order_columns):
            return None
        after_sales = after_sales.astype(frame_dtypes("after_sales"))
        dtypes = frame_dtypes("orders")
        orders = orders.astype({c: dtypes[c] for c in order_columns})
        accounting = _accounting_frame(pd.read_parquet(processed / "accounting.parquet")
                                       .to_dict("records"))
        q = pd.read_parquet(processed / "quarantine.parquet")
        quarantine = quarantine_frame(
            list(zip(q["file"], q["row"].astype("int64"), q["column"], q["reason"], q["value"]))
        )
    except Exception:  # a damaged cache is rebuilt, never trusted
        return None
    trim()  # the Arrow tables the frames came from are gone: ≈ 170 MB per kernel for a million orders
    return Dataset(
        after_sales=after_sales,
        orders=orders,
        accounting=accounting,
        quarantine=quarantine,
        skipped=skipped,
        processed_dir=processed,
        from_cache=True,
    )


def _combine(kind: str, parts: list[tuple[dt.datetime, str, pd.DataFrame]]) -> pd.DataFrame:
    """Stack the files of one kind, newest export last, and keep the last row of each key."""
    if not parts:
        return empty_frame(kind)
    # order = (export_time, file name); rows inside a file are already in row order, so the
    # stacked frame is sorted by (export_time, file, row) and "keep last" = newest wins.
    parts = sorted(parts, key=lambda p: (p[0], p[1]))
    frames = [p[2] for p in parts]
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    dup = df.duplicated(KIND_KEY[kind], keep="last")
    if dup.any():
        df = df.loc[~dup]
    return df.reset_index(drop=True)


def _read_exports(files: list[Path], salt: str, on_read: Callable[[Path, Any], None] = lambda *_: None
                  ) -> list[tuple[str, pd.DataFrame, pd.DataFrame, int]]:
    """:func:`read_export` of every file, in the files' order, on one thread per core: pyarrow's
    CSV reader, fastexcel's workbook reader and Arrow's kernels do their work outside the GIL,
    so the files are read side by side without starting processes.  The biggest file starts
    first (its reading is the longest).  The first file in order that fails raises its error,
    as when reading them one after another.  ``on_read(path, result)`` is called with each
    file's result as soon as it is read."""
    def read(path: Path) -> tuple[str, pd.DataFrame, pd.DataFrame, int]:
        result = read_export(path, salt=salt)
        on_read(path, result)
        return result

    workers = min(len(files), os.cpu_count() or 1)
    if workers < 2:
        return [read(p) for p in files]
    with ThreadPoolExecutor(workers) as pool:
        futures = {p: pool.submit(read, p) for p in sorted(files, key=lambda p: -p.stat().st_size)}
        try:
            return [futures[p].result() for p in files]
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def ingest(raw_dir: str | Path, processed_dir: str | Path, *, force: bool = False,
           salt: str | None = None, conf_dir: str | Path = "conf",
           order_columns: Sequence[str] | None = None) -> Dataset:
    """Read every export in ``raw_dir`` into canonical tables and cache them in ``processed_dir``.

    Writes ``after_sales.parquet``, ``orders.parquet``, ``accounting.parquet``,
    ``quarantine.csv`` and ``manifest.json`` (atomically).  When the manifest matches the raw
    files (names, sizes, mtimes), the kit version and the salt, and ``force`` is false, the cache
    is loaded instead of re-reading the exports.  ``salt`` (for ``buyer_key``) defaults to
    :func:`returns_kit.config.get_salt` of ``conf_dir``.  ``order_columns``: the returned orders
    table has only these columns (in the canonical order; the cache always has them all), so a
    caller that reads a few columns of a million orders does not hold the rest in memory.

    Raises :class:`~returns_kit.errors.InputError` when the folder has no exports, or lacks the
    售后单 or the 订单 export.

    >>> data = ingest("data/raw", "data/processed")   # doctest: +SKIP
    >>> print(data.summary())                        # doctest: +SKIP
    """
    raw = Path(raw_dir)
    processed = Path(processed_dir)
    if not raw.is_dir():
        raise InputError(f"raw data folder not found: {raw}")
    files, skipped = _scan(raw)
    if not files:
        raise InputError(
            f"no 抖店 exports (.xlsx/.xls/.csv) found in {raw_dir}: export 售后单 and 订单 from "
            "the 抖店 backend into this folder"
        )
    if salt is None:
        salt = get_salt(conf_dir)
    manifest = _manifest(files, salt)
    columns = _order_columns(order_columns)
    if not force:
        cached = _read_cache(processed, manifest, skipped, columns)
        if cached is not None:
            return cached

    early = _EarlyTable(processed, files)
    try:
        return _ingest_files(raw_dir, files, skipped, salt, manifest, processed, columns, order_columns, early)
    finally:
        early.discard()


def _ingest_files(raw_dir: str | Path, files: list[Path], skipped: list[str], salt: str,
                  manifest: dict[str, Any], processed: Path, columns: list[str],
                  order_columns: Sequence[str] | None, early: _EarlyTable) -> Dataset:
    """:func:`ingest` of ``files`` once the cache is known to be stale."""
    parts: dict[str, list[tuple[dt.datetime, str, pd.DataFrame]]] = {k: [] for k in KINDS}
    quarantines = []
    counts: dict[str, dict[str, Any]] = {}
    for path, (kind, frame, quarantine, rows_read) in zip(files, _read_exports(files, salt, early.offer)):
        parts[kind].append((export_time(path), path.name, frame))
        quarantines.append(quarantine)
        counts[path.name] = {"kind": kind, "rows_read": rows_read, "parsed": len(frame),
                             "rejected": len(quarantine)}

    for kind, what in (("after_sales", "the after-sale export is needed for every chapter"),
                       ("orders", "the order export is needed for the denominators")):
        if not parts[kind]:
            raise InputError(f"no {KIND_ZH[kind]} export found in {raw_dir}: {what}")

    after_sales = _combine("after_sales", parts["after_sales"])
    orders = _combine("orders", parts["orders"])
    kept = pd.concat([after_sales["source_file"], orders["source_file"]]).value_counts()

    records = []
    for name, c in counts.items():
        rows_kept = int(kept.get(name, 0))
        rec = {"file": name, "kind": c["kind"], "rows_read": int(c["rows_read"]),
               "rows_kept": rows_kept, "duplicates": int(c["parsed"]) - rows_kept,
               "rejected": int(c["rejected"])}
        if rec["rows_read"] != rec["rows_kept"] + rec["duplicates"] + rec["rejected"]:
            raise AssertionError(f"row accounting broken for {name}: {rec}")
        records.append(rec)

    quarantine = pd.concat(quarantines, ignore_index=True)
    data = Dataset(
        after_sales=after_sales,
        orders=orders,
        accounting=_accounting_frame(records),
        quarantine=quarantine,
        skipped=skipped,
        processed_dir=processed,
    )
    data.data_quality()  # asserts the invariant on the totals
    written = {f"{kind}.parquet": claimed for kind, frame in (("orders", orders), ("after_sales", after_sales))
               if (claimed := early.claim(kind, frame, len(parts[kind]))) is not None}
    _write_cache(processed, data, manifest, written)
    return data if order_columns is None else replace(data, orders=orders[columns])


def cached_manifest(raw_dir: str | Path, processed_dir: str | Path, *, salt: str | None = None,
                    conf_dir: str | Path = "conf") -> str | None:
    """The text of ``processed_dir``'s manifest when the cache holds the exports now in
    ``raw_dir`` (same files, sizes and times, kit version and salt: what :func:`ingest` would
    load instead of reading the exports), else None.  Reads no table."""
    raw, processed = Path(raw_dir), Path(processed_dir)
    if not raw.is_dir():
        return None
    files, _ = _scan(raw)
    return _current_manifest(processed, _manifest(files, get_salt(conf_dir) if salt is None else salt))


def cache_summary(raw_dir: str | Path, processed_dir: str | Path, *, salt: str | None = None,
                  conf_dir: str | Path = "conf") -> tuple[set[str], list[str]] | None:
    """``(months, skipped)`` of the cache when it is current (:func:`cached_manifest`): the
    months with a paid sub-order or an after-sale application, and the files of ``raw_dir`` that
    are not read, from two columns of the Parquet tables; None when the exports must be read."""
    if cached_manifest(raw_dir, processed_dir, salt=salt, conf_dir=conf_dir) is None:
        return None
    processed = Path(processed_dir)
    try:
        pay = pd.read_parquet(processed / "orders.parquet", columns=["pay_time"])["pay_time"]
        applied = pd.read_parquet(processed / "after_sales.parquet", columns=["apply_time"])["apply_time"]
    except Exception:  # a damaged cache: ingest rebuilds it
        return None
    return months_of(pay) | months_of(applied), _scan(Path(raw_dir))[1]


def load(raw_dir: str | Path = "data/raw", processed_dir: str | Path | None = None,
         **kw: Any) -> Dataset:
    """Analyst entry point: load the 抖店 exports of ``raw_dir`` (cached as Parquet).

    ``processed_dir`` defaults to ``<raw_dir>/../processed``; keyword arguments (``force``,
    ``salt``, ``conf_dir``) go to :func:`ingest`.

    >>> import returns_kit as rk                     # doctest: +SKIP
    >>> data = rk.load("data/raw")                   # doctest: +SKIP
    >>> data.after_sales.groupby("status_group").size()   # doctest: +SKIP
    """
    raw = Path(raw_dir)
    if processed_dir is None:
        processed_dir = raw.resolve().parent / "processed"
    return ingest(raw, processed_dir, **kw)
