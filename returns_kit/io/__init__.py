"""Loading: bytes on disk → typed canonical tables.  Only this package reads ``data/``.

For an analyst::

    import returns_kit as rk
    data = rk.load("data/raw")        # reads data/raw, caches in data/processed
    data.after_sales.head()           # one row per 售后单 (售后单号), newest export wins
    data.orders.head()                # one row per 子订单 (子订单编号), newest export wins
    data.data_quality()               # {'rows_read': …, 'rows_kept': …, 'duplicates': …, 'rejected': …}
    data.quarantine                   # every rejected source row: file, row, column, reason, value

The modules, lowest first (see ``shared/DESIGN.md`` §2–3):

* :mod:`~returns_kit.io.cells` — the one cell parser (IDs, text, money, ints, numbers,
  percentages, times, dates): exact or rejected, never guessed;
* :mod:`~returns_kit.io.readers` — files → raw text cells (pyarrow CSV, python-calamine XLSX,
  small CSV/XLSX tables), format sniffed from the bytes;
* :mod:`~returns_kit.io.exports` — the 抖店 售后单 / 订单 layouts → typed frames with lineage;
* :mod:`~returns_kit.io.dataset` — a folder → :class:`Dataset` (newest export wins, every row
  accounted for, Parquet cache);
* :mod:`~returns_kit.io.external` — the analyst's tables (catalog, interventions, promotion
  calendar, industry benchmarks);
* :mod:`~returns_kit.io.profiles` — 罗盘 downloads and third-party exports via YAML source
  profiles.
"""

from .dataset import Dataset, cache_summary, cached_manifest, ingest, load
from .exports import DATA_SUFFIXES, KINDS, export_time_from_name, frame_columns, read_export
from .external import (BENCHMARK_COLUMNS, CATALOG_COLUMNS, INTERVENTION_COLUMNS, PROMOTION_COLUMNS,
                       Intervention, load_benchmarks, load_catalog, load_interventions,
                       load_promotions)
from .profiles import inventory, load_luopan, load_third_party

__all__ = [
    "Dataset", "cache_summary", "cached_manifest", "ingest", "load", "read_export", "KINDS", "DATA_SUFFIXES",
    "export_time_from_name",
    "frame_columns", "load_catalog", "load_interventions", "load_promotions", "load_benchmarks",
    "Intervention", "CATALOG_COLUMNS", "INTERVENTION_COLUMNS", "PROMOTION_COLUMNS",
    "BENCHMARK_COLUMNS", "load_luopan", "load_third_party", "inventory",
]
