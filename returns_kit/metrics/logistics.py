"""Logistics: refund and damage rate by outbound carrier, damage by carrier × province, and the
days from shipping to the buyer's first after-sale."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.stats import rate, wilson_interval
from .outcomes import cohort
from .ranking import MIN_ORDERS, rate_table
from ..core.frames import isin, rows

__all__ = ["carriers", "damage_cells", "damage_matrix", "ship_apply_lags", "lag_summary"]


def carriers(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """By outbound carrier (parsed from 快递信息), for the month's shipped sub-orders.

    ``shipped_sub_orders`` = paid sub-orders with a carrier; ``refund_rate`` as above;
    ``damage_rate`` = sub-orders with an open or successful damage (破损) after-sale / shipped,
    with its Wilson ``damage_ci_low``/``damage_ci_high``; sorted by ``damage_ci_low``.
    """
    c = cohort(outcomes[["pay_time", "carrier", "refunded", "damage"]], month)
    shipped = rows(c, c["carrier"].notna())
    table = rate_table(shipped, "carrier", min_orders=min_orders)
    table = table.rename(columns={"paid_sub_orders": "shipped_sub_orders"})
    damaged = shipped.groupby("carrier")["damage"].sum()
    table["damaged"] = table["carrier"].map(damaged).fillna(0).astype(int)
    table["damage_rate"] = table["damaged"] / table["shipped_sub_orders"]
    table["damage_ci_low"], table["damage_ci_high"] = wilson_interval(
        table["damaged"], table["shipped_sub_orders"])
    return table.sort_values(["low_volume", "damage_ci_low"], ascending=[True, False]).reset_index(drop=True)


def damage_cells(outcomes: pd.DataFrame, month: str, min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Damage rate per carrier × province (shipped sub-orders of the month's cohort).

    Per cell: ``shipped_sub_orders``, ``damaged`` (sub-orders with a damage after-sale that was
    not closed/rejected), ``damage_rate``, Wilson ``ci_low``/``ci_high``, ``low_volume``
    (fewer than ``min_orders`` shipped: too few to read, shown greyed or left out).  Cells with
    enough volume first, by ``ci_low``.
    """
    c = cohort(outcomes[["pay_time", "carrier", "province", "damage"]], month)
    shipped = rows(c, c["carrier"].notna() & c["province"].notna())
    table = rate_table(shipped, ["carrier", "province"], flag="damage", min_orders=min_orders)
    return table.rename(columns={"paid_sub_orders": "shipped_sub_orders", "refunded": "damaged",
                                 "refund_rate": "damage_rate", "excess_refunds": "excess_damaged"})


def damage_matrix(cells: pd.DataFrame, max_provinces: int = 12) -> pd.DataFrame:
    """Carrier × province grid of ``damage_rate`` from :func:`damage_cells`; low-volume cells
    are NaN (greyed in the heatmap).  Columns: the ``max_provinces`` provinces with the most
    shipped sub-orders; rows: carriers, most shipped first."""
    vol_p = cells.groupby("province")["shipped_sub_orders"].sum().sort_values(ascending=False, kind="stable")
    vol_c = cells.groupby("carrier")["shipped_sub_orders"].sum().sort_values(ascending=False, kind="stable")
    rates = cells["damage_rate"].where(~cells["low_volume"])
    grid = cells.assign(_rate=rates).pivot(index="carrier", columns="province", values="_rate")
    grid = grid.reindex(index=list(vol_c.index), columns=list(vol_p.index[:max_provinces]))
    grid.index.name, grid.columns.name = "carrier", "province"
    return grid


def ship_apply_lags(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Days from 发货时间 to the buyer's first after-sale, per shipped sub-order of the cohort.

    For each sub-order paid in ``month`` with a ``ship_time``: its first after-sale applied at or
    after shipping (a sub-order with two after-sales counts once).  Columns ``sub_order_id``,
    ``carrier``, ``province``, ``after_sale_type``, ``ship_time``, ``apply_time``, ``lag_days``
    (fractional days).  After-sales applied before shipping (intercepted, 未发货仅退款) are not
    in it.
    """
    cols = ["sub_order_id", "carrier", "province", "ship_time"]
    c = cohort(outcomes[[*cols, "pay_time"]], month)
    c = rows(c, c["ship_time"].notna(), cols)
    a = after_sales[isin(after_sales["sub_order_id"], c["sub_order_id"])]
    merged = a[["sub_order_id", "after_sale_type", "apply_time"]].merge(c[cols], on="sub_order_id")
    merged = merged[merged["apply_time"] >= merged["ship_time"]]
    merged = merged.sort_values(["sub_order_id", "apply_time"]).drop_duplicates("sub_order_id")
    merged["lag_days"] = (merged["apply_time"] - merged["ship_time"]) / pd.Timedelta(days=1)
    out = merged[["sub_order_id", "carrier", "province", "after_sale_type", "ship_time",
                  "apply_time", "lag_days"]]
    return out.sort_values("apply_time").reset_index(drop=True)


def lag_summary(lags: pd.DataFrame, by: str | None = "after_sale_type") -> pd.DataFrame:
    """Quantiles of ``lag_days`` (from :func:`ship_apply_lags`): ``count``, ``p25``, ``median``,
    ``p75``, ``p90``, ``mean``, ``within_3d`` / ``within_7d`` (share applied within 3 / 7 days
    of shipping).  One row per ``by`` value (most frequent first) and a last row ``all``."""
    def row(s: pd.Series) -> dict[str, float]:
        n = int(len(s))
        q = s.quantile([0.25, 0.5, 0.75, 0.9]) if n else pd.Series([np.nan] * 4)
        return {"count": n, "p25": float(q.iloc[0]), "median": float(q.iloc[1]),
                "p75": float(q.iloc[2]), "p90": float(q.iloc[3]),
                "mean": float(s.mean()) if n else np.nan,
                "within_3d": rate((s <= 3).sum(), n), "within_7d": rate((s <= 7).sum(), n)}

    rows = []
    if by is not None:
        for key in lags[by].value_counts().index:
            rows.append({"group": key, **row(lags.loc[lags[by] == key, "lag_days"])})
    rows.append({"group": "all", **row(lags["lag_days"])})
    return pd.DataFrame(rows)
