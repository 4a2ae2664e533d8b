"""Before/after evaluation of interventions (chapter 8).

An intervention is a row of ``data/external/interventions.csv``:
``name, product_ids, start_date, description, control_product_ids`` (ids ``;``-separated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError
from .metrics import wilson_interval

INTERVENTION_COLUMNS = ["name", "product_ids", "start_date", "description", "control_product_ids"]


@dataclass
class Intervention:
    name: str
    product_ids: list[str]
    start_date: pd.Timestamp
    description: str = ""
    control_product_ids: list[str] = field(default_factory=list)


def _ids(text) -> list[str]:
    if not isinstance(text, str):
        return []
    return [part.strip().lstrip("\t") for part in text.replace("；", ";").split(";") if part.strip()]


def load_interventions(external_dir: str | Path) -> list[Intervention]:
    """Interventions from ``<external_dir>/interventions.csv``; ``[]`` when the file is absent."""
    path = Path(external_dir) / "interventions.csv"
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in INTERVENTION_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path))
    out = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        start = pd.to_datetime(row.start_date, errors="coerce")
        if pd.isna(start):
            raise InputError(f"start_date {row.start_date!r} is not a date (YYYY-MM-DD)",
                             file=str(path), row=i, column="start_date")
        ids = _ids(row.product_ids)
        if not ids:
            raise InputError("no product_ids", file=str(path), row=i, column="product_ids")
        out.append(Intervention(row.name, ids, start, row.description, _ids(row.control_product_ids)))
    return out


def before_after(outcomes: pd.DataFrame, intervention: Intervention, days: int | None = None) -> pd.DataFrame:
    """Refund rate of the intervention's products (and of the control group) before and after.

    Sub-orders are assigned by 支付完成时间: ``before`` = paid in the ``days`` before start_date,
    ``after`` = paid on/after start_date within ``days`` (default: as many days as the data has
    after the start, so both windows are the same length).  The control group is the listed
    control products, or every other product of the shop when none are listed.
    Returns rows ``group`` (treated/control) × ``period`` (before/after) with ``paid_sub_orders``,
    ``refunded``, ``refund_rate``, ``ci_low``, ``ci_high``.
    """
    start = intervention.start_date
    if days is None:
        days = max(int((outcomes["pay_time"].max() - start) / pd.Timedelta(days=1)) + 1, 1)
    window = pd.Timedelta(days=days)
    treated = outcomes["product_id"].isin(intervention.product_ids)
    if intervention.control_product_ids:
        control = outcomes["product_id"].isin(intervention.control_product_ids)
    else:
        control = ~treated
    period = pd.Series(pd.NA, index=outcomes.index, dtype="object")
    period[(outcomes["pay_time"] >= start - window) & (outcomes["pay_time"] < start)] = "before"
    period[(outcomes["pay_time"] >= start) & (outcomes["pay_time"] < start + window)] = "after"
    rows = []
    for group, mask in (("treated", treated), ("control", control)):
        for name in ("before", "after"):
            sel = outcomes[mask & (period == name)]
            n, k = len(sel), int(sel["refunded"].sum())
            low, high = wilson_interval([k], [n])
            rows.append({"group": group, "period": name, "paid_sub_orders": n, "refunded": k,
                         "refund_rate": k / n if n else float("nan"),
                         "ci_low": float(low[0]), "ci_high": float(high[0])})
    return pd.DataFrame(rows)
