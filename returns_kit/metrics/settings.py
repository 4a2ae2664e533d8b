"""The report's own settings: ``conf/base/report.yml`` (+ ``conf/local``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import conf_file, load_yaml
from ..core.periods import MATURITY_DAYS
from ..errors import InputError
from .products import PRICE_BANDS, price_band_labels
from .ranking import MIN_ORDERS

__all__ = ["REPORT_DEFAULTS", "report_settings"]


REPORT_DEFAULTS: dict[str, Any] = {
    "maturity_days": MATURITY_DAYS,
    "min_orders": MIN_ORDERS,
    "damage_cell_min_orders": MIN_ORDERS,
    "price_bands": list(PRICE_BANDS),
}


def report_settings(conf_dir: str | Path = "conf") -> dict[str, Any]:
    """``conf/base/report.yml`` (+ ``conf/local``) over :data:`REPORT_DEFAULTS`, checked.

    Keys: ``maturity_days`` (cohort maturity), ``min_orders`` (ranking volume floor),
    ``damage_cell_min_orders`` (carrier × province cells), ``price_bands`` (increasing edges).
    """
    conf = {**REPORT_DEFAULTS, **load_yaml("report.yml", conf_dir)}
    where = str(conf_file("report.yml", conf_dir) or "report.yml")
    for key in ("maturity_days", "min_orders", "damage_cell_min_orders"):
        if not isinstance(conf[key], int) or isinstance(conf[key], bool) or conf[key] < 0:
            raise InputError(f"{key} must be a whole number ≥ 0, got {conf[key]!r}", file=where, column=key)
    try:
        price_band_labels(conf["price_bands"])
    except (ValueError, TypeError):
        raise InputError(f"price_bands must be increasing numbers, got {conf['price_bands']!r}",
                         file=where, column="price_bands") from None
    return conf
