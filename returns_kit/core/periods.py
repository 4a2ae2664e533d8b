"""Months, days and cohort age — the one month-window module.

A month is a natural month in Beijing time, written ``"YYYY-MM"``; times in the exports are naive
Beijing time, so a month is the half-open window ``[first day 00:00, first day of next month)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from ..errors import ParameterError

__all__ = [
    "MATURITY_DAYS", "MONTH_RE", "parse_month", "month_bounds", "month_days", "previous_month",
    "months_back_from", "in_month", "months_of", "data_as_of", "cohort_maturity", "equal_age_cutoff",
    "promotion_days", "promotion_day_set",
]

#: A cohort is provisional until this many days after its month ends (late returns still arrive:
#: 7-day no-reason window + delivery + slow buyers).  Editable in conf/base/report.yml.
MATURITY_DAYS = 30

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def parse_month(text: str) -> str:
    """``text`` if it is a ``YYYY-MM`` month, else :class:`~returns_kit.errors.ParameterError`."""
    if not isinstance(text, str) or not MONTH_RE.fullmatch(text):
        raise ParameterError(f"month must look like 2026-10, got {text!r}")
    return text


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a ``YYYY-MM`` month as naive Beijing-time timestamps."""
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthBegin(1)


def month_days(month: str) -> pd.DatetimeIndex:
    """Every day (midnight) of ``month``."""
    start, end = month_bounds(month)
    return pd.date_range(start, end - pd.Timedelta(days=1), freq="D")


def previous_month(month: str) -> str:
    """The month before ``month`` (``2026-01`` → ``2025-12``)."""
    start, _ = month_bounds(month)
    return (start - pd.offsets.MonthBegin(1)).strftime("%Y-%m")


def months_back_from(month: str, n: int) -> list[str]:
    """``month`` and the ``n - 1`` months before it, oldest first."""
    out = [month]
    for _ in range(n - 1):
        out.append(previous_month(out[-1]))
    return out[::-1]


def months_of(times: pd.Series) -> set[str]:
    """The months (``"2026-10"``) the timestamps fall in, missing ones aside."""
    # as numbers first: formatting a million timestamps as text takes a second
    return {f"{m // 100:04d}-{m % 100:02d}"
            for m in (times.dt.year * 100 + times.dt.month).dropna().astype("int64").unique()}


def in_month(times: pd.Series, month: str) -> pd.Series:
    """Whether each time falls in ``month`` (NaT: no)."""
    start, end = month_bounds(month)
    return (times >= start) & (times < end)


def data_as_of(orders: pd.DataFrame, after_sales: pd.DataFrame) -> pd.Timestamp:
    """When the data was pulled: the newest export time of the files (from their names, else
    their modification time); without lineage columns, the latest application or payment.

    Taken from the data, not the clock, so a report re-rendered later says the same thing.
    """
    frames = (orders, after_sales)
    if all("export_time" in f.columns for f in frames):
        candidates = [f["export_time"].max() for f in frames]
    else:
        candidates = [after_sales["apply_time"].max(), orders["pay_time"].max()]
    candidates = [t for t in candidates if pd.notna(t)]
    return max(candidates) if candidates else pd.NaT


def cohort_maturity(month: str, as_of: pd.Timestamp, maturity_days: int = MATURITY_DAYS) -> dict:
    """Days from the end of ``month`` to ``as_of``; the cohort is provisional below ``maturity_days``.

    Returns ``{"days_since_month_end", "maturity_days", "provisional"}``; the days are negative
    while the month is still running.
    """
    _, end = month_bounds(month)
    days = int((as_of - end) // pd.Timedelta(days=1)) if pd.notna(as_of) else 0
    return {
        "days_since_month_end": days,
        "maturity_days": maturity_days,
        "provisional": days < maturity_days,
    }


def equal_age_cutoff(month: str, as_of: pd.Timestamp, other: str) -> pd.Timestamp:
    """The time at which ``other`` month's data was as old as ``month``'s is at ``as_of``: the
    same time after the end of its month (``as_of`` 8 days after October ends → 8 days after
    September ends).  Cutting ``other``'s after-sales there compares the two months at the same
    cohort age: the last pay day of each is 8 days old, the first 38 (or 39) days old.  A cutoff
    after ``as_of`` is capped at ``as_of`` (nothing later is known)."""
    _, end = month_bounds(month)
    _, other_end = month_bounds(other)
    return min(other_end + (as_of - end), as_of)


def promotion_days(calendar: pd.DataFrame, month: str) -> pd.DataFrame:
    """The days of ``month`` covered by a promotion of ``calendar`` (columns ``name, start, end,
    peak, approximate`` as :func:`returns_kit.io.load_promotions` reads them).

    One row per (day, promotion): ``date``, ``name``, ``peak`` (the promotion's main day),
    ``approximate``; sorted by date then name.  A promotion running across the month boundary
    contributes only its days inside M; a day in two promotions has two rows.
    """
    start, end = month_bounds(month)
    rows = []
    for r in calendar.itertuples(index=False):
        first, last = max(r.start, start), min(r.end, end - pd.Timedelta(days=1))
        for day in pd.date_range(first, last, freq="D") if first <= last else []:
            rows.append({"date": day, "name": r.name, "peak": bool(pd.notna(r.peak) and day == r.peak),
                         "approximate": bool(r.approximate)})
    out = pd.DataFrame(rows, columns=["date", "name", "peak", "approximate"])
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(["date", "name"]).reset_index(drop=True)


def promotion_day_set(calendar: pd.DataFrame, months: Iterable[str]) -> set[pd.Timestamp]:
    """The promotion days of ``calendar`` in any of ``months`` (normalised timestamps)."""
    days: set[pd.Timestamp] = set()
    for m in months:
        days.update(pd.Timestamp(d).normalize() for d in promotion_days(calendar, m)["date"])
    return days
