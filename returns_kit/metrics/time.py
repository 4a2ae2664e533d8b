"""Time: the month day by day, week by week, by weekday and by promotion, on the cohort view."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.periods import month_days
from ..core.stats import wilson_interval
from .outcomes import cohort
from .ranking import MIN_ORDERS, fill_segments, rate_table
from .views import applications

__all__ = ["daily", "weekly", "WEEKDAYS_ZH", "weekday_pattern", "REGULAR_DAYS", "promotion_rates",
           "trend_table"]


def daily(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Per day of ``month``: paid sub-orders and their refund rate (by pay date), and
    after-sales applied that day (by apply date)."""
    days = month_days(month)
    c = cohort(outcomes, month)
    by_pay = c.groupby(c["pay_time"].dt.normalize()).agg(
        paid_sub_orders=("sub_order_id", "size"), refunded=("refunded", "sum"))
    apps = applications(after_sales, month)
    by_apply = apps.groupby(apps["apply_time"].dt.normalize()).size().rename("applications")
    table = by_pay.reindex(days, fill_value=0).join(by_apply.reindex(days, fill_value=0))
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table.index.name = "date"
    return table.reset_index()


def weekly(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Weeks (Monday–Sunday, ISO) overlapping ``month``, counting only the month's days.

    Columns: ``week_start`` (the Monday, may be in the previous month), ``first_day`` /
    ``last_day`` (the week's days inside M), ``days``, ``partial`` (fewer than 7 days in M),
    ``label`` (``W40 09-28–10-04`` style, ``（不完整，N 天）`` when partial; dates are the
    days counted), ``paid_sub_orders``, ``refunded``, ``refund_rate`` with Wilson ``ci_low`` /
    ``ci_high`` (NaN for a week without orders) and ``applications`` (售后申请 in those days).
    """
    d = daily(outcomes, after_sales, month)
    d = d.assign(week_start=d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D"))
    g = d.groupby("week_start")
    table = pd.DataFrame({
        "first_day": g["date"].min(), "last_day": g["date"].max(), "days": g.size(),
        "paid_sub_orders": g["paid_sub_orders"].sum().astype(int),
        "refunded": g["refunded"].sum().astype(int),
        "applications": g["applications"].sum().astype(int),
    }).reset_index()
    table["partial"] = table["days"] < 7
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(table["refunded"], table["paid_sub_orders"])

    def label(r) -> str:
        text = f"W{r.week_start.isocalendar()[1]:02d} {r.first_day:%m-%d}–{r.last_day:%m-%d}"
        return text + (f"（不完整，{r.days} 天）" if r.partial else "")

    table["label"] = [label(r) for r in table.itertuples()]
    cols = ["week_start", "first_day", "last_day", "days", "partial", "label", "paid_sub_orders",
            "refunded", "refund_rate", "ci_low", "ci_high", "applications"]
    return table[cols]


WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def weekday_pattern(outcomes: pd.DataFrame, month: str) -> pd.DataFrame:
    """Refund rate by weekday of payment over the whole ``month`` (cohort view).

    Seven rows 周一…周日: ``weekday`` (0 = Monday), ``weekday_zh``, ``days`` (how many such days
    M has), ``paid_sub_orders``, ``orders_per_day`` (= paid_sub_orders / days), ``refunded``,
    ``refund_rate`` with Wilson ``ci_low``/``ci_high`` (NaN when no order was paid that weekday).
    """
    days = month_days(month)
    n_days = pd.Series(days.day_of_week).value_counts().reindex(range(7), fill_value=0)
    c = cohort(outcomes, month)
    wd = c["pay_time"].dt.day_of_week
    paid = wd.value_counts().reindex(range(7), fill_value=0)
    refunded = c["refunded"].groupby(wd).sum().reindex(range(7), fill_value=0).astype(int)
    table = pd.DataFrame({"weekday": range(7), "weekday_zh": WEEKDAYS_ZH,
                          "days": n_days.to_numpy(), "paid_sub_orders": paid.to_numpy().astype(int),
                          "refunded": refunded.to_numpy()})
    table["orders_per_day"] = table["paid_sub_orders"] / table["days"].replace(0, np.nan)
    table["refund_rate"] = table["refunded"] / table["paid_sub_orders"].replace(0, np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(table["refunded"], table["paid_sub_orders"])
    return table


#: segment of :func:`promotion_rates` for days without a promotion
REGULAR_DAYS = "非大促日"


def promotion_rates(outcomes: pd.DataFrame, month: str, promo_days: pd.DataFrame,
                    min_orders: int = MIN_ORDERS) -> pd.DataFrame:
    """Refund rate of sub-orders paid during each promotion of the month vs the other days.

    ``promotion`` = the promotion's name (names joined with ``、`` on a day in two of them) or
    :data:`REGULAR_DAYS`; ``days`` = calendar days in the segment; other columns as
    :func:`rate_table`.  A promotion without orders shows 0 orders and a NaN rate.
    """
    c = cohort(outcomes, month)
    all_days = month_days(month)
    names = promo_days.groupby("date")["name"].agg(lambda s: "、".join(sorted(set(s))))
    day_label = pd.Series(REGULAR_DAYS, index=all_days, dtype=object)
    day_label.loc[names.index] = names
    c = c.assign(promotion=c["pay_time"].dt.normalize().map(day_label))
    table = rate_table(c, "promotion", min_orders=min_orders)
    table = fill_segments(table, "promotion", list(dict.fromkeys(day_label)))
    table.insert(1, "days", table["promotion"].map(day_label.value_counts()).fillna(0).astype(int))
    return table


def trend_table(outcomes: pd.DataFrame, month: str, catalog: pd.DataFrame | None = None,
                category_prefixes: Iterable[str] = ()) -> pd.DataFrame:
    """Daily refund rate of the month (支付口径) for the shop, and for the products whose catalog
    category starts with one of ``category_prefixes`` (the benchmark's category, e.g. 服饰 ← 女装/
    男装/…), with the week's pooled rate (weeks start on Monday; a partial week at either end of
    the month is pooled over the days it has).

    Columns: ``date, paid, refunded, refund_rate, week_rate`` and, with a category,
    ``cat_paid, cat_refunded, cat_rate, cat_week_rate``.
    """
    c = cohort(outcomes, month)
    days = month_days(month)

    def daily_of(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
        g = frame.groupby(frame["pay_time"].dt.normalize())["refunded"].agg(["size", "sum"])
        g = g.reindex(days, fill_value=0)
        out = pd.DataFrame({f"{prefix}paid": g["size"].astype(int).to_numpy(),
                            f"{prefix}refunded": g["sum"].astype(int).to_numpy()}, index=days)
        week = days.to_period("W-SUN")
        wk = out.groupby(week).transform("sum")
        rate_name = "refund_rate" if not prefix else f"{prefix}rate"
        out[rate_name] = out[f"{prefix}refunded"] / out[f"{prefix}paid"].replace(0, np.nan)
        out[f"{prefix}week_rate"] = wk[f"{prefix}refunded"] / wk[f"{prefix}paid"].replace(0, np.nan)
        return out

    table = daily_of(c, "")
    prefixes = tuple(p for p in category_prefixes if p)
    if catalog is not None and len(catalog) and prefixes:
        cats = catalog.set_index("product_id")["category"].astype(str)
        in_cat = c["product_id"].map(cats).fillna("").str.startswith(prefixes)
        if in_cat.any():
            table = table.join(daily_of(c[in_cat], "cat_"))
    table.index.name = "date"
    return table.reset_index()
