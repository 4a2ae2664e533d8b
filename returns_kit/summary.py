"""The answer first (摘要): the month's headline figures against last month at the same cohort age,
why the refund rate moved, where the excess refunds are, and what to do about it.

* :func:`month_pair` — this month at its export and last month as its export would have shown it
  at the same time after its month end (:func:`returns_kit.core.periods.equal_age_cutoff`), so an
  immature month is never compared with a mature one;
* :func:`equal_age_trend` — the last 12 months' refund rates, each at this month's age;
* :func:`kpis` — the headline figures, each change tested with days as the unit
  (:func:`returns_kit.core.stats.ratio_change_test`, :func:`~returns_kit.core.stats.mean_change_test`)
  and the family of figures held at 5% false "beyond noise" by Holm's rule;
* :func:`drivers` — the change of the refund rate split into contributions per product, creator,
  province, carrier (rate and mix effect, :func:`returns_kit.decomposition.rate_decomposition`)
  and reason category (:func:`~returns_kit.decomposition.share_decomposition`); each
  dimension's rows add up to the total change exactly;
* :func:`hotspots` — per dimension, the segments with the most refunds above the shop rate;
* :func:`suggest` — up to three actions from the editable rules of ``conf/base/actions.yml``.

How often these flags call noise a change is measured in ``benchmarks/bench_summary.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy  # its submodules load on first use: a kernel showing kept results never needs scipy.stats

from .config import load_yaml
from .core.frames import rows
from .core.periods import equal_age_cutoff, in_month, month_days, months_back_from, previous_month
from .cohort_clock import refund_success_times
from .core.stats import holm, mean_change_test, ratio_change_test, robust_between_variance, wilson_interval
from .core.taxonomy import Taxonomy
from .decomposition import level_decomposition, rate_decomposition, share_decomposition
from .errors import ParameterError
from .metrics.ranking import mode
from .metrics import (NO_CREATOR, applications, cohort, cohort_view, known_at, product_names, rate_table,
                      refund_success_time, sub_order_outcomes)

__all__ = ["DIMENSIONS", "KPIS", "LEVERS", "MonthPair", "PairDates", "month_pair", "equal_age_trend", "segment_keys",
           "kpis", "drivers", "hotspots", "load_action_rules", "suggest", "carrier_damage_signal",
           "hidden_quality_signal", "NO_CARRIER", "UNKNOWN_PROVINCE", "UNACTIONABLE"]

#: the headline figures: key → (Chinese name, unit); rates are fractions
KPIS: dict[str, tuple[str, str]] = {
    "refund_rate_count": ("退款率（订单数，支付口径）", "rate"),
    "refund_rate_amount": ("退款率（金额，支付口径）", "rate"),
    "return_rate_count": ("退货率", "rate"),
    "quality_return_rate": ("品退率", "rate"),
    "applications": ("售后申请（申请口径）", "count"),
    "application_refund_amount": ("退款金额（申请口径）", "money"),
}

#: the dimensions the change is split by: key → Chinese name
DIMENSIONS: dict[str, str] = {"day": "支付日", "product": "商品", "creator": "达人", "province": "省份",
                              "carrier": "快递", "reason": "退款原因"}
_WEEKDAYS = "一二三四五六日"

NO_CARRIER = "未发货/无快递信息"
UNKNOWN_PROVINCE = "未知地区"
_NONE = "\x00none"
_STRUCTURE = "\x00structure"
#: segments no one can act on: orders without a creator, not shipped, of an unknown region, the
#: spread of orders over the ages, the folded rest (key None)
UNACTIONABLE = frozenset({_NONE, _STRUCTURE, NO_CARRIER, UNKNOWN_PROVINCE})


@dataclass(frozen=True)
class MonthPair:
    """This month at its export and last month at the same cohort age.

    ``outcomes``/``previous_outcomes`` — the two months' paid sub-orders
    (:func:`returns_kit.metrics.sub_order_outcomes`; last month's from its after-sales as known at
    ``cutoff``); ``after_sales``/``previous_after_sales`` — the after-sales as known at ``as_of``
    and at ``cutoff``; ``has_previous`` — last month has paid sub-orders in the data.
    """

    month: str
    previous: str
    as_of: pd.Timestamp
    cutoff: pd.Timestamp
    outcomes: pd.DataFrame
    previous_outcomes: pd.DataFrame
    after_sales: pd.DataFrame
    previous_after_sales: pd.DataFrame

    @property
    def has_previous(self) -> bool:
        return bool(len(self.previous_outcomes))

    @property
    def age_days(self) -> int:
        """Whole days from the end of the month to the export (the last pay day's age)."""
        end = month_days(self.month)[-1] + pd.Timedelta(days=1)
        return int((self.as_of - end) // pd.Timedelta(days=1))

    def dates(self) -> "PairDates":
        """The pair's months and times without its tables."""
        return PairDates(self.month, self.previous, self.as_of, self.cutoff, self.has_previous, self.age_days)


@dataclass(frozen=True)
class PairDates:
    """What the summary page says of a :class:`MonthPair`: its months, export time ``as_of``, the
    equal-age ``cutoff``, whether last month has sub-orders and the cohort's ``age_days`` — a
    few bytes where the pair's tables are a gigabyte at the export limits."""

    month: str
    previous: str
    as_of: pd.Timestamp
    cutoff: pd.Timestamp
    has_previous: bool
    age_days: int


def month_pair(orders: pd.DataFrame, after_sales: pd.DataFrame, outcomes: pd.DataFrame,
               taxonomy: Taxonomy, month: str, as_of: pd.Timestamp) -> MonthPair:
    """``month``'s cohort (from ``outcomes``, as known at ``as_of``) and last month's cohort as
    it stood at the same time after its own month end."""
    prev = previous_month(month)
    cutoff = equal_age_cutoff(month, as_of, prev)
    before = known_at(after_sales, cutoff)
    prev_orders = orders[in_month(orders["pay_time"], prev)]
    prev_outcomes = cohort(sub_order_outcomes(prev_orders, before, taxonomy), prev)
    return MonthPair(month=month, previous=prev, as_of=as_of, cutoff=cutoff,
                     outcomes=cohort(outcomes, month), previous_outcomes=prev_outcomes,
                     after_sales=after_sales, previous_after_sales=before)


def equal_age_trend(outcomes: pd.DataFrame, after_sales: pd.DataFrame, month: str, as_of: pd.Timestamp,
                    months: int = 12) -> pd.DataFrame:
    """The cohort refund rate of ``month`` and the ``months − 1`` before it, each at the cohort
    age ``month`` has at ``as_of`` (refunds known by :func:`~returns_kit.core.periods.equal_age_cutoff`):
    a trend in which the immature latest month is not set against mature ones.  Columns
    ``month, paid_sub_orders, refunded, refund_rate, cutoff``; months without paid sub-orders
    are left out."""
    first = refund_success_times(after_sales)
    rows = []
    for m in months_back_from(month, months):
        c = cohort(outcomes, m)
        if not len(c):
            continue
        cutoff = equal_age_cutoff(month, as_of, m)
        refunded = int((c["sub_order_id"].map(first) <= cutoff).sum())
        rows.append({"month": m, "paid_sub_orders": len(c), "refunded": refunded,
                     "refund_rate": refunded / len(c), "cutoff": cutoff})
    return pd.DataFrame(rows, columns=["month", "paid_sub_orders", "refunded", "refund_rate", "cutoff"])


# -- headline figures -----------------------------------------------------------------------

def _per_pay_day(c: pd.DataFrame) -> pd.DataFrame:
    day = c["pay_time"].dt.normalize()
    return c.groupby(day).agg(paid=("sub_order_id", "size"), refunded=("refunded", "sum"),
                              returned=("returned", "sum"), quality=("quality_refund", "sum"),
                              refund_amount=("refund_amount", "sum"), paid_amount=("payable_amount", "sum"))


def _per_apply_day(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    apps = applications(after_sales, month)
    day = apps["apply_time"].dt.normalize()
    ok = apps["is_refund_success"].astype(bool)
    amount = apps["refund_goods_amount"].fillna(0.0).where(ok, 0.0)
    out = pd.DataFrame({"applications": apps.groupby(day).size(), "refund_amount": amount.groupby(day).sum()})
    return out.reindex(month_days(month), fill_value=0).fillna(0)


def kpis(pair: MonthPair, alpha: float = 0.05) -> pd.DataFrame:
    """The headline figures of :data:`KPIS`, this month and last month at equal age.

    Cohort rates (支付口径, :func:`returns_kit.metrics.cohort_view`): ``refund_rate_count``,
    ``refund_rate_amount``, ``return_rate_count``, ``quality_return_rate``.  Application view:
    ``applications`` — 售后单 applied in the month; ``application_refund_amount`` — Σ 退商品金额
    of those that were successful refunds by the export (last month: by ``cutoff``).

    Columns ``key, name, unit, value, previous, change`` (value − previous; rates in points),
    ``relative_change`` (change ÷ previous), ``p_value`` — days are the unit: a cohort rate is a
    ratio over its pay days (:func:`~returns_kit.core.stats.ratio_change_test`), an application
    figure a daily total (:func:`~returns_kit.core.stats.mean_change_test`, the daily mean);
    ``significant`` — beyond day-to-day noise by Holm's rule over the six figures at ``alpha``
    (None without last month).
    """
    cur, prev = cohort_view(pair.outcomes, pair.month), cohort_view(pair.previous_outcomes, pair.previous)
    d1, d0 = _per_pay_day(pair.outcomes), _per_pay_day(pair.previous_outcomes)
    a1, a0 = _per_apply_day(pair.after_sales, pair.month), _per_apply_day(pair.previous_after_sales, pair.previous)
    tests = {
        "refund_rate_count": ratio_change_test(d0["refunded"], d0["paid"], d1["refunded"], d1["paid"]),
        "refund_rate_amount": ratio_change_test(d0["refund_amount"], d0["paid_amount"], d1["refund_amount"],
                                                d1["paid_amount"], binomial_floor=False),
        "return_rate_count": ratio_change_test(d0["returned"], d0["paid"], d1["returned"], d1["paid"]),
        "quality_return_rate": ratio_change_test(d0["quality"], d0["paid"], d1["quality"], d1["paid"]),
        "applications": mean_change_test(a0["applications"], a1["applications"]),
        "application_refund_amount": mean_change_test(a0["refund_amount"], a1["refund_amount"]),
    }
    values = {**{k: (cur[k], prev[k]) for k in list(KPIS)[:4]},
              "applications": (int(a1["applications"].sum()), int(a0["applications"].sum())),
              "application_refund_amount": (round(float(a1["refund_amount"].sum()), 2),
                                            round(float(a0["refund_amount"].sum()), 2))}
    rows = []
    for key, (name, unit) in KPIS.items():
        value, before = values[key]
        if not pair.has_previous:
            before = None
        change = None if before is None or value != value or before != before else value - before
        rows.append({"key": key, "name": name, "unit": unit, "value": value, "previous": before,
                     "change": change,
                     "relative_change": change / before if change is not None and before else None,
                     "p_value": tests[key]["p_value"] if pair.has_previous else math.nan})
    table = pd.DataFrame(rows)
    sig = holm(table["p_value"].to_numpy(dtype=float), alpha)
    table["significant"] = [bool(s) if pair.has_previous else None for s in sig]
    return table


# -- why it moved ---------------------------------------------------------------------------

def _texts(values: pd.Series) -> pd.Series:
    """``values`` as a text column (kept as it is when it is one already: a million Arrow texts
    are not turned into Python objects to be grouped)."""
    return values if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object else values.astype("str")


def segment_keys(frame: pd.DataFrame, dimension: str) -> pd.Series:
    """Each paid sub-order's segment of ``dimension``: pay day (``YYYY-MM-DD``), product_id,
    creator_id (``"\\x00none"`` for orders without a creator), province, carrier."""
    if dimension == "day":
        return frame["pay_time"].dt.strftime("%Y-%m-%d")
    if dimension == "product":
        return _texts(frame["product_id"]).fillna(_NONE)
    if dimension == "creator":
        ids = frame["creator_id"] if "creator_id" in frame else pd.Series(None, index=frame.index, dtype="str")
        return _texts(ids).fillna(_NONE)
    if dimension == "province":
        return _texts(frame["province"]).fillna(UNKNOWN_PROVINCE)
    if dimension == "carrier":
        return _texts(frame["carrier"]).fillna(NO_CARRIER)
    raise ValueError(f"unknown dimension {dimension!r} (one of {', '.join(DIMENSIONS)})")


def _names(pair: MonthPair, dimension: str) -> dict[str, str]:
    if dimension == "day":
        days = month_days(pair.month)
        return {f"{d:%Y-%m-%d}": f"{d:%m-%d} 周{_WEEKDAYS[d.day_of_week]}" for d in days}
    if dimension not in ("product", "creator"):
        return {}
    cols = ["product_id", "product_name", "creator_id", "creator_name"]
    both = pd.concat([pair.outcomes[cols], pair.previous_outcomes[cols]])
    if dimension == "product":
        return {k: v or k for k, v in product_names(both).items()} | {_NONE: "未知商品"}
    if dimension == "creator":
        named = rows(both, both["creator_id"].notna())
        return named.groupby("creator_id")["creator_name"].agg(mode).to_dict() | {_NONE: NO_CREATOR}
    return {}


def _refund_categories(outcomes: pd.DataFrame, after_sales: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """The refunded sub-orders of ``outcomes`` with the category and reason text of their first
    successful refund (``category``, ``reason``)."""
    when = refund_success_time(after_sales)
    ok = after_sales[when.notna()].assign(_when=when[when.notna()])
    first = ok.sort_values(["_when", "after_sale_id"]).drop_duplicates("sub_order_id")
    first = first.assign(category=taxonomy.categorize(first["reason"]).to_numpy())
    refunded = outcomes[outcomes["refunded"]]
    out = refunded.merge(first[["sub_order_id", "category", "reason"]], on="sub_order_id", how="left")
    out["category"] = out["category"].fillna(taxonomy.unknown_category)
    return out


def _segment_test(pair: MonthPair, dim: str, keys: Sequence[str]) -> pd.DataFrame:
    """Each segment's own rate change, days as the unit, beyond the drift segments show anyway.

    Per segment :func:`~returns_kit.core.stats.ratio_change_test` over its pay days gives the
    change and its day-level standard error.  Products (regions, creators) drift from month to
    month on their own — a weekly random walk of taste, stock, listing position — so a large
    product's small drift would be "significant" against day noise alone.  The drift is measured
    on the segments themselves: their changes on the logit scale ``Δr / (r0(1−r0))`` (``r0`` last
    month's rate: drift is proportional to where a product starts) have a
    variance τ² beyond their sampling variance, estimated robustly from the median segment
    (:func:`~returns_kit.core.stats.robust_between_variance`: the products that really moved do
    not make the others' drift look larger); each segment's standard error gets
    ``τ² · (r0(1−r0))²`` added.  Returns ``p_value`` (beyond day noise and drift), ``p_day``
    (beyond day noise only), ``se_day``, ``se`` per key.
    """
    def per_day(frame: pd.DataFrame) -> dict[Any, pd.DataFrame]:
        g = frame.groupby([segment_keys(frame, dim), frame["pay_time"].dt.normalize()])["refunded"].agg(["size", "sum"])
        return {k: part for k, part in g.groupby(level=0)}

    after, before = per_day(pair.outcomes), per_day(pair.previous_outcomes)
    rows = []
    for key in keys:
        a, b = after.get(key), before.get(key)
        if a is None or b is None:
            continue
        r = ratio_change_test(b["sum"], b["size"], a["sum"], a["size"])
        level = max(b["sum"].sum(), 0.5) / b["size"].sum()  # last month's rate (½ refund if none)
        rows.append({"key": key, "change": r["change"], "se_day": r["se"], "df": r["df"],
                     "scale": level * (1 - level)})
    table = pd.DataFrame(rows, columns=["key", "change", "se_day", "df", "scale"])
    ok = table["scale"] > 0
    tau2 = robust_between_variance(table.loc[ok, "change"] / table.loc[ok, "scale"],
                                   (table.loc[ok, "se_day"] / table.loc[ok, "scale"]) ** 2)
    table["se"] = np.sqrt(table["se_day"] ** 2 + tau2 * table["scale"] ** 2)
    for col, se in (("p_value", "se"), ("p_day", "se_day")):
        t = (table["change"] / table[se]).where(table[se] > 0, 0.0)
        table[col] = [float(2 * scipy.stats.t.sf(abs(v), d)) if d == d else math.nan for v, d in zip(t, table["df"])]
    return table.set_index("key")


def same_age_reference(pair: MonthPair, window: int = 3) -> pd.Series:
    """For each pay day of this month, last month's refund rate at the same age: the pay days of
    last month as many days before its month end (± ``window`` days, pooled, so one odd day does
    not set the bar), cut at the same cohort age (:class:`MonthPair`).  Indexed by
    ``YYYY-MM-DD``; a day without same-age orders last month takes last month's rate."""
    prev = pair.previous_outcomes
    overall = float(prev["refunded"].mean()) if len(prev) else float("nan")
    prev_days = month_days(pair.previous)
    paid = (prev.groupby(prev["pay_time"].dt.normalize())["refunded"].agg(["size", "sum"])
            .reindex(prev_days, fill_value=0))
    from_end = {d: len(prev_days) - 1 - i for i, d in enumerate(prev_days)}
    ages = pd.Series([from_end[d] for d in prev_days], index=prev_days)
    out = {}
    days = month_days(pair.month)
    for i, day in enumerate(days):
        age = len(days) - 1 - i
        near = ages[(ages - age).abs() <= window].index
        n, k = paid.loc[near, "size"].sum(), paid.loc[near, "sum"].sum()
        out[f"{day:%Y-%m-%d}"] = k / n if n else overall
    return pd.Series(out, dtype=float)


def _evidence(refunds: pd.DataFrame) -> dict[str, Any]:
    """The dominant reason category and reason text of a segment's refunds."""
    if not len(refunds):
        return {"top_category": None, "top_category_share": None, "top_reason": None, "top_reason_share": None}
    cat = refunds["category"].value_counts()
    reason = refunds["reason"].dropna().value_counts()
    return {"top_category": cat.index[0], "top_category_share": float(cat.iloc[0] / len(refunds)),
            "top_reason": reason.index[0] if len(reason) else None,
            "top_reason_share": float(reason.iloc[0] / len(refunds)) if len(reason) else None}


def _day_table(pair: MonthPair) -> pd.DataFrame:
    after = pd.DataFrame({"key": segment_keys(pair.outcomes, "day"), "paid": 1,
                          "refunded": pair.outcomes["refunded"].astype(int)})
    reference = same_age_reference(pair)
    table = level_decomposition(after, "key", reference, paid_before=len(pair.previous_outcomes))
    share = after.groupby("key")["paid"].sum() / len(after)
    table.attrs["structure"] = float((share * reference.reindex(share.index)).sum()
                                     - pair.previous_outcomes["refunded"].mean())
    return table


def _segment_table(pair: MonthPair, dim: str, alpha: float, min_orders: int) -> pd.DataFrame:
    before = pd.DataFrame({"key": segment_keys(pair.previous_outcomes, dim), "paid": 1,
                           "refunded": pair.previous_outcomes["refunded"].astype(int)})
    after = pd.DataFrame({"key": segment_keys(pair.outcomes, dim), "paid": 1,
                          "refunded": pair.outcomes["refunded"].astype(int)})
    table = rate_decomposition(before, after, "key")
    tested = table[(table["paid_before"] >= min_orders) & (table["paid_after"] >= min_orders)]["key"]
    tests = _segment_test(pair, dim, list(tested))
    table["p_value"] = table["key"].map(tests["p_value"]).astype(float)
    table["significant"] = holm(table["p_value"].to_numpy(dtype=float), alpha)
    table["beyond_day_noise"] = holm(table["key"].map(tests["p_day"]).to_numpy(dtype=float), alpha)
    return table


def _fold(table: pd.DataFrame, top: int, dim: str) -> pd.DataFrame:
    """The ``top`` first rows and one ``其他（N 个）`` row summing the rest."""
    if len(table) <= top:
        return table
    head, rest = table.head(top), table.iloc[top:]
    other: dict[str, Any] = dict.fromkeys(table.columns)
    other |= {c: float(rest[c].sum()) for c in ("rate_effect", "mix_effect", "contribution")}
    other |= {c: int(rest[c].sum()) for c in ("refunded_before", "refunded_after", "paid_before", "paid_after")
              if rest[c].notna().all() and dim in ("product", "creator", "province", "carrier")}
    other |= {"dimension": dim, "name": f"其他（{len(rest)} 个）"}
    return pd.concat([head, pd.DataFrame([other])], ignore_index=True)


def drivers(pair: MonthPair, taxonomy: Taxonomy, top: int = 8, alpha: float = 0.05,
            min_orders: int = 30) -> pd.DataFrame:
    """The month-over-month change of the refund rate (count, at equal age) per dimension of
    :data:`DIMENSIONS`.

    One row per segment: ``dimension, key, name``, the counts and rates of both months
    (``paid_*``, ``refunded_*``, ``rate_*``, ``share_*``), ``rate_effect``, ``mix_effect``,
    ``contribution`` (:mod:`returns_kit.decomposition`) and this month's Wilson interval
    ``ci_low``/``ci_high``:

    * product / creator / province / carrier — :func:`~returns_kit.decomposition.rate_decomposition`;
      ``p_value`` of the segment's own rate change (days as the unit, beyond the drift segments
      show on their own: :func:`_segment_test`) and ``significant`` (Holm within the dimension,
      over the segments with ≥ ``min_orders`` orders in both months); ``beyond_day_noise`` the
      same against day noise alone (a change as large as other products' monthly drift);
    * day — each pay day against last month's same-age days (:func:`same_age_reference`,
      :func:`~returns_kit.decomposition.level_decomposition`), plus one row for how this month's
      orders spread over the ages (``账龄结构``, a mix effect);
    * reason — the category of each refund (:func:`~returns_kit.decomposition.share_decomposition`).

    Evidence: ``top_category`` / ``top_reason`` (with ``*_share``) of the segment's refunds this
    month, and for a day ``top_products`` (the products with most refunds that day).  The ``top``
    largest |contribution| of each dimension are kept and the rest folded into one ``其他（N 个）``
    row (``key`` None), so every dimension's contributions add up to the total change.  Rows are
    sorted by |contribution| across dimensions.  Empty without last month.
    """
    if not pair.has_previous or not len(pair.outcomes):
        return pd.DataFrame()
    frames = []
    cats1 = _refund_categories(pair.outcomes, pair.after_sales, taxonomy)
    cats0 = _refund_categories(pair.previous_outcomes, pair.previous_after_sales, taxonomy)
    products = _names(pair, "product")
    for dim in DIMENSIONS:
        if dim == "reason":
            table = share_decomposition(cats0.assign(refunded=1), cats1.assign(refunded=1), "category",
                                        len(pair.previous_outcomes), len(pair.outcomes))
            table = table.rename(columns={"category": "key"})
            seg = cats1["category"]
        else:
            table = _day_table(pair) if dim == "day" else _segment_table(pair, dim, alpha, min_orders)
            seg = segment_keys(cats1, dim)
        names = _names(pair, dim)
        table["name"] = [names.get(k, k) for k in table["key"]]
        table["dimension"] = dim
        table["ci_low"], table["ci_high"] = wilson_interval(table["refunded_after"], table["paid_after"])
        evidence = {k: _evidence(cats1[seg == k]) for k in table["key"].head(top)}
        for field in ("top_category", "top_category_share", "top_reason", "top_reason_share"):
            table[field] = [evidence.get(k, {}).get(field) for k in table["key"]]
        if dim == "day":
            table["top_products"] = [
                [products.get(p, p) for p in cats1.loc[seg == k, "product_id"].value_counts().index[:3]]
                for k in table["key"]]
        structure = table.attrs.get("structure")
        table = _fold(table, top, dim)
        if structure is not None:
            table = pd.concat([table, pd.DataFrame([{
                "dimension": dim, "key": _STRUCTURE, "name": "单量在各支付日的分布（账龄结构）",
                "rate_effect": 0.0, "mix_effect": structure, "contribution": structure}])], ignore_index=True)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    first = ["dimension", "key", "name", "contribution", "rate_effect", "mix_effect"]
    out = out[first + [c for c in out.columns if c not in first]]
    for col in ("p_value", "significant", "beyond_day_noise"):
        if col not in out:
            out[col] = None
    order = out["contribution"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def hotspots(pair: MonthPair, top: int = 3, min_orders: int = 30) -> pd.DataFrame:
    """Where this month's refunds are: per dimension (pay day, product, creator, province, carrier) the
    ``top`` segments with the most ``excess_refunds`` — refunds above what the segment would have
    at the shop's rate (:func:`returns_kit.metrics.rate_table`), only segments with at least
    ``min_orders`` paid sub-orders and a positive excess, none of :data:`UNACTIONABLE`.  Columns ``dimension, key, name,
    paid_sub_orders, refunded, excess_refunds, refund_rate, ci_low, ci_high``."""
    frames = []
    for dim in ("day", "product", "creator", "province", "carrier"):
        c = pair.outcomes.assign(_key=segment_keys(pair.outcomes, dim))
        table = rate_table(c, "_key", min_orders=min_orders)
        table = table[~table["low_volume"] & (table["excess_refunds"] > 0) & ~table["_key"].isin(UNACTIONABLE)]
        table = table.sort_values("excess_refunds", ascending=False, kind="stable").head(top)
        names = _names(pair, dim)
        frames.append(pd.DataFrame({
            "dimension": dim, "key": table["_key"].to_numpy(),
            "name": [names.get(k, k) for k in table["_key"]],
            **{col: table[col].to_numpy() for col in ("paid_sub_orders", "refunded", "excess_refunds",
                                                      "refund_rate", "ci_low", "ci_high")}}))
    return pd.concat(frames, ignore_index=True)


# -- what to do ------------------------------------------------------------------------------

_RULE_KEYS = {"lever", "when", "text"}
_WHEN_KEYS = {"dimension", "categories", "reasons", "min_points", "signal", "min_ratio", "min_share",
              "min_count"}
LEVERS = ("商品优化", "服务优化", "流程优化")


def load_action_rules(conf_dir: str | Path = "conf") -> dict[str, Any]:
    """``actions.yml``: ``max_actions`` and the ordered ``rules`` (each ``lever`` of
    :data:`LEVERS`, a ``when`` condition and a ``text`` template).  A rule with an unknown key,
    lever or signal raises :class:`~returns_kit.errors.ParameterError` naming it (exit 2)."""
    conf = load_yaml("actions.yml", conf_dir) or {}
    rules = conf.get("rules") or []
    for i, rule in enumerate(rules, 1):
        where = f"actions.yml rule {i}"
        if not isinstance(rule, Mapping) or set(rule) - _RULE_KEYS or not {"lever", "text"} <= set(rule):
            raise ParameterError(f"{where}: a rule has lever, when and text (got {rule!r})")
        if rule["lever"] not in LEVERS:
            raise ParameterError(f"{where}: lever must be one of {'/'.join(LEVERS)}, got {rule['lever']!r}")
        when = rule.get("when") or {}
        if set(when) - _WHEN_KEYS:
            raise ParameterError(f"{where}: unknown condition(s) {', '.join(sorted(set(when) - _WHEN_KEYS))}")
        if when.get("signal") not in (None, "carrier_damage", "hidden_quality"):
            raise ParameterError(f"{where}: signal must be carrier_damage or hidden_quality")
        if when.get("dimension") not in (None, *DIMENSIONS):
            raise ParameterError(f"{where}: dimension must be one of {', '.join(DIMENSIONS)}")
    return {"max_actions": int(conf.get("max_actions", 3)), "rules": list(rules)}


def _pts(x: float) -> str:
    return f"{x * 100:+.1f} 个百分点".replace("-", "−")


def _driver_evidence(row: Mapping[str, Any]) -> str:
    text = (f"贡献 {_pts(row['contribution'])}：本月退款率 {row['rate_after']:.1%}，"
            f"上月同龄 {row['rate_before']:.1%}")
    if row.get("top_reason"):
        text += f"；{row['top_reason_share']:.0%} 的退款原因是“{row['top_reason']}”"
    return text


def suggest(rules: Mapping[str, Any], driver_table: pd.DataFrame, signals: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Up to ``max_actions`` actions: each rule of ``rules`` in order, the first match per rule.

    A rule with ``dimension`` matches a driver of that dimension (not a ``其他`` row nor one of
    :data:`UNACTIONABLE`) whose
    contribution is at least ``min_points`` (default 0.1 points) and, when ``categories`` /
    ``reasons`` are given, whose refunds' dominant category / reason text is among them; a rule
    with ``signal`` matches ``signals[signal]`` (``carrier_damage``: ``{name, ratio, damaged,
    damage_rate}`` of the carrier damaging most relative to the others, matched when
    ``ratio ≥ min_ratio`` and ``damaged ≥ min_count``; ``hidden_quality``: ``{count, share}`` of
    refunds that clicked 不想要 but wrote a quality problem, matched when ``share ≥ min_share`` and
    ``count ≥ min_count``).  One action per segment.  Each action is ``{lever, text, evidence}``
    with the rule's text filled from the match (``{name}``, ``{points}``, ``{ratio}``,
    ``{share}``, ``{count}``) and the figure that triggered it.
    """
    out: list[dict[str, Any]] = []
    used: set[tuple[str, Any]] = set()
    rows = driver_table.to_dict("records") if len(driver_table) else []
    for rule in rules.get("rules", []):
        if len(out) >= rules.get("max_actions", 3):
            break
        when = rule.get("when") or {}
        match = None
        if "signal" in when:
            sig = signals.get(when["signal"])
            if not sig:
                continue
            if when["signal"] == "carrier_damage":
                if sig["ratio"] >= when.get("min_ratio", 2.0) and sig["damaged"] >= when.get("min_count", 5):
                    match = ({"name": sig["name"], "ratio": sig["ratio"], "points": ""},
                             f"{sig['name']}破损率 {sig['damage_rate']:.1%}，是其他快递的 {sig['ratio']:.1f} 倍"
                             f"（{sig['damaged']} 单破损）", ("carrier", sig["name"]))
            elif sig["share"] >= when.get("min_share", 0.1) and sig["count"] >= when.get("min_count", 5):
                match = ({"share": f"{sig['share']:.0%}", "count": sig["count"], "name": ""},
                         f"{sig['count']} 单点选“不想要”类原因、说明里写的是质量问题（占这类退款 {sig['share']:.0%}）",
                         ("hidden_quality", None))
        else:
            for row in rows:
                if row["key"] is None or row["key"] in UNACTIONABLE or row["dimension"] == "reason":
                    continue
                if when.get("dimension") and row["dimension"] != when["dimension"]:
                    continue
                if row["contribution"] < when.get("min_points", 0.1) / 100:
                    continue
                if when.get("categories") and row.get("top_category") not in when["categories"]:
                    continue
                if when.get("reasons") and row.get("top_reason") not in when["reasons"]:
                    continue
                if (row["dimension"], row["key"]) in used:
                    continue
                match = ({"name": row["name"], "points": _pts(row["contribution"])}, _driver_evidence(row),
                         (row["dimension"], row["key"]))
                break
        if match is None:
            continue
        fill, evidence, segment = match
        if segment in used:
            continue
        used.add(segment)
        try:
            text = str(rule["text"]).format(**fill)
        except (KeyError, IndexError, ValueError) as exc:
            raise ParameterError(f"actions.yml: the text of a {rule['lever']} rule uses an unknown placeholder "
                                 f"({exc}); use {{name}}, {{points}}, {{ratio}}, {{share}} or {{count}}") from exc
        out.append({"lever": rule["lever"], "text": text, "evidence": evidence})
    return out


def carrier_damage_signal(outcomes: pd.DataFrame, min_orders: int = 30) -> dict[str, Any] | None:
    """The carrier whose damage rate is highest relative to all the other carriers' together
    (shipped sub-orders of the month's cohort, at least ``min_orders``): ``{name, damaged,
    damage_rate, ratio}``; None without two such carriers or any damage elsewhere."""
    shipped = rows(outcomes, outcomes["carrier"].notna(), ["carrier", "sub_order_id", "damage"])
    g = shipped.groupby("carrier").agg(n=("sub_order_id", "size"), damaged=("damage", "sum"))
    g = g[g["n"] >= min_orders]
    if len(g) < 2:
        return None
    best = None
    for name, row in g.iterrows():
        rest = g.drop(index=name)
        other = rest["damaged"].sum() / rest["n"].sum()
        if other <= 0:
            continue
        ratio = (row["damaged"] / row["n"]) / other
        if best is None or ratio > best["ratio"]:
            best = {"name": str(name), "damaged": int(row["damaged"]), "damage_rate": float(row["damaged"] / row["n"]),
                    "ratio": float(ratio)}
    return best


def hidden_quality_signal(mismatches: int, no_reason_refunds: int) -> dict[str, Any] | None:
    """``{count, share}``: after-sales that clicked a no-reason reason but wrote a quality problem,
    as a share of the month's no-reason after-sales; None without any."""
    if not no_reason_refunds:
        return None
    return {"count": int(mismatches), "share": float(mismatches / no_reason_refunds)}

