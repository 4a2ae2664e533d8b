"""Anomaly detection on daily return series (chapter 5)."""

from __future__ import annotations

import pandas as pd


def threshold_rule(series: pd.Series, window: int = 7, threshold: float = 0.20,
                   min_periods: int = 3) -> pd.DataFrame:
    """The article's rule: a day whose value is more than ``threshold`` (20%) above the mean of
    the previous ``window`` days is an anomaly.

    Returns one row per day: ``value``, ``baseline`` (trailing mean of the *previous* days, the day
    itself excluded), ``ratio`` = value / baseline and ``fired``.  Days with fewer than
    ``min_periods`` previous values, or a missing value, never fire.
    """
    baseline = series.shift(1).rolling(window, min_periods=min_periods).mean()
    ratio = series / baseline
    fired = (ratio > 1 + threshold) & series.notna() & baseline.notna()
    return pd.DataFrame({"value": series, "baseline": baseline, "ratio": ratio, "fired": fired})
