"""The one JSON cleaner: analysis results → strict JSON types (``metrics.json``, alert state,
chapter sections sent from a notebook kernel to the runner).

A month without orders has no rate: NaN, infinities, ``NaT`` and ``pd.NA`` become ``null``, never
the non-standard ``NaN`` token.  numpy scalars become Python numbers; timestamps become text —
``YYYY-MM-DD`` at midnight (a day), else ``YYYY-MM-DD HH:MM:SS`` (naive Beijing time, as the
exports write it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable", "records", "time_text"]


def time_text(value: dt.datetime | pd.Timestamp) -> str | None:
    """``YYYY-MM-DD`` for a midnight, ``YYYY-MM-DD HH:MM:SS`` otherwise, ``None`` for NaT."""
    if value is None or pd.isna(value):
        return None
    t = pd.Timestamp(value)
    return t.strftime("%Y-%m-%d") if t == t.normalize() else t.strftime("%Y-%m-%d %H:%M:%S")


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON types, recursively (dict keys become strings).

    Raises ``TypeError`` for anything else (a DataFrame, an object): a section must say which
    fields it publishes rather than dump whatever it holds.
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating, Decimal)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset, np.ndarray)):
        return [jsonable(v) for v in obj]
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, (pd.Timestamp, dt.datetime)):
        return time_text(obj)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not a JSON value: {type(obj).__name__}")


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The rows of ``frame`` as ``metrics.json`` records holding ``columns``, in that order."""
    return [{col: jsonable(v) for col, v in zip(columns, row)}
            for row in frame[columns].itertuples(index=False)]
