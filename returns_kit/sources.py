"""Former home of the 罗盘 / third-party readers and the chapter-2 reconciliation, kept so that
``from returns_kit import sources`` and the ``sources.*`` names of earlier notebooks keep working.

The readers are now :mod:`returns_kit.io.profiles` (files in ``data/external`` through YAML source
profiles, cells parsed by :mod:`returns_kit.io.cells` like the exports); the kit's daily figures
are :func:`returns_kit.metrics.kit_daily`; the comparison is :mod:`returns_kit.reconcile`.
"""

from .io.profiles import (LUOPAN_COLUMNS, THIRD_PARTY_COLUMNS, TYPES, Field, Profile, convert, file_date,
                          find_files, inventory, load_luopan, load_profile, load_third_party,
                          parse_file, profile_names)
from .metrics.clocks import KIT_COLUMNS, kit_daily
from .reconcile import (ALL_SCOPE, ALL_STAGE, BASIS_ZH, METRIC_ZH, METRICS, REASON_DEFINITION,
                        REASON_EARLIER, REASON_LATER, REASON_NO_DATA, REASON_NOT_IN_FILE,
                        REASON_OTHER, REASON_SAME, RECONCILE_COLUMNS, clock_of, daily_chart_frame,
                        format_comparison, likely_reason, no_luopan_note, reconcile_daily,
                        reconcile_month, summary_zh)

__all__ = [
    "Field", "Profile", "load_profile", "profile_names", "find_files", "parse_file", "file_date",
    "convert", "load_luopan", "load_third_party", "inventory", "clock_of", "kit_daily",
    "likely_reason", "reconcile_daily", "reconcile_month", "format_comparison",
    "daily_chart_frame", "summary_zh", "no_luopan_note", "LUOPAN_COLUMNS", "THIRD_PARTY_COLUMNS",
    "TYPES", "KIT_COLUMNS", "ALL_STAGE", "ALL_SCOPE", "METRICS", "BASIS_ZH", "METRIC_ZH",
    "RECONCILE_COLUMNS", "REASON_SAME", "REASON_NO_DATA", "REASON_NOT_IN_FILE",
    "REASON_DEFINITION", "REASON_LATER", "REASON_EARLIER", "REASON_OTHER",
]
