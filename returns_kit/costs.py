"""Return costs (chapter 7): explicit and implicit costs of after-sales from editable parameters.

The parameters live in ``conf/base/costs.yml`` (overridable in ``conf/local/costs.yml``); see
that file for their meaning.  The unit of the model is one **cost-bearing after-sale** applied in
month M (申请口径): a successful refund (退货退款, 已发货仅退款, 未发货仅退款) or a finished
exchange/reship (换货/补寄).  Closed, rejected and in-progress after-sales cost nothing here.

Per after-sale (``goods_value`` = 应付金额 of the sub-order; ``cost_basis`` = catalog cost price ×
quantity, else ``goods_value × default_cost_ratio``; ``category`` = reason category):

explicit (显性)
  * ``freight`` = outbound_freight for every after-sale whose goods were shipped (all but
    未发货仅退款: the parcel of a refunded sale was paid for nothing; exchange/reship send one
    more), plus the return leg of 退货退款/换货: ``per_parcel × merchant_share[category]``
    (mode ``merchant``) or the month's 运费险 premium (``insurance_premium`` × shipped paid
    sub-orders of M) shared equally by the month's return parcels (mode ``insurance``);
  * ``packaging`` = packaging for every shipped after-sale;
  * ``payment_fee`` = refunded goods amount × payment_fee_rate (refunds only);
  * ``write_off`` = cost_basis × write_off_rate[category] for goods that came back (退货退款,
    换货), cost_basis × write_off_not_returned for goods that did not (已发货仅退款, 补寄);
implicit (隐性)
  * ``resale_markdown`` = goods_value × (1 − write_off_rate[category]) × resale_markdown_rate
    for goods that came back and are sold again at a discount;
  * ``capital`` = cost_basis × annual_capital_rate × days_to_refund / 365 for goods that came
    back (stock out of circulation from application to refund; ``default_days_to_refund``
    when the refund time is missing);
  * ``lost_repeat`` = lost_repeat_rate × max(goods_value − cost_basis, 0) for after-sales whose
    reason is a merchant-side (quality) category: the expected margin of the repeat purchase
    an unhappy buyer will not make;
  * ``experience_score`` = experience_penalty for each successful refund counted in
    商家体验分's 品质退货率 (quality categories).

``explicit`` = sum of the explicit parts, ``implicit`` = sum of the implicit parts, ``total`` =
explicit + implicit (column ``total_cost``); every part is rounded to the cent first, so every table adds up exactly.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import conf_file, deep_merge, load_yaml
from .core.frames import isin
from .core.periods import in_month
from .core.taxonomy import Taxonomy
from .display import money, pct_g
from .errors import InputError
from .metrics.views import applications
from .model import REFUND_TYPES

#: (column, kind, Chinese name) of every cost part, in report order
COMPONENTS: list[tuple[str, str, str]] = [
    ("freight", "explicit", "往返运费"),
    ("packaging", "explicit", "包装损耗"),
    ("payment_fee", "explicit", "支付手续费"),
    ("write_off", "explicit", "货损报废"),
    ("resale_markdown", "implicit", "二次销售折价"),
    ("capital", "implicit", "资金占用"),
    ("lost_repeat", "implicit", "复购损失"),
    ("experience_score", "implicit", "体验分影响"),
]
EXPLICIT = [c for c, kind, _ in COMPONENTS if kind == "explicit"]
IMPLICIT = [c for c, kind, _ in COMPONENTS if kind == "implicit"]
COST_COLUMNS = [*EXPLICIT, *IMPLICIT, "explicit", "implicit", "total_cost"]

#: what conf/base/costs.yml ships with (used for keys it does not set)
DEFAULT_PARAMS: dict[str, Any] = {
    "explicit": {
        "outbound_freight": 4.0,
        "return_freight": {"mode": "merchant", "per_parcel": 8.0,
                           "merchant_share": {"default": 1.0, "主观原因": 0.0},
                           "insurance_premium": 0.5},
        "packaging": 1.5,
        "payment_fee_rate": 0.006,
        "write_off_rate": {"default": 0.1, "质量问题": 0.8, "物流问题": 0.6, "描述不符": 0.15,
                           "发错/漏发": 0.05, "主观原因": 0.05},
        "write_off_not_returned": 1.0,
        "default_cost_ratio": 0.35,
    },
    "implicit": {
        "resale_markdown_rate": 0.3,
        "annual_capital_rate": 0.08,
        "default_days_to_refund": 7,
        "lost_repeat_rate": 0.1,
        "experience_penalty": 2.0,
    },
    "sensitivity": {
        "implicit.lost_repeat_rate": [0.0, 0.05, 0.1, 0.2, 0.3],
        "implicit.experience_penalty": [0.0, 1.0, 2.0, 5.0, 10.0],
    },
}

#: parameters that are fractions (must lie in [0, 1])
_FRACTIONS = {"explicit.payment_fee_rate", "explicit.write_off_not_returned",
              "explicit.default_cost_ratio", "implicit.resale_markdown_rate",
              "implicit.annual_capital_rate", "implicit.lost_repeat_rate"}
_FRACTION_MAPS = {"explicit.return_freight.merchant_share", "explicit.write_off_rate"}

RETURNED = ("return_refund", "exchange")  # goods come back to the merchant
NOT_RETURNED = ("refund_shipped", "reship")  # goods stay with the buyer / sent again


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------

def get_param(params: dict[str, Any], dotted: str) -> Any:
    """``get_param(p, "implicit.lost_repeat_rate")``."""
    value: Any = params
    for part in dotted.split("."):
        value = value[part]
    return value


def set_param(params: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``params`` with one dotted key replaced."""
    out = copy.deepcopy(params)
    *path, last = dotted.split(".")
    node = out
    for part in path:
        node = node[part]
    if last not in node:
        raise KeyError(dotted)
    node[last] = value
    return out


def validate_params(params: dict[str, Any], file: str | None = None) -> dict[str, Any]:
    """Raise :class:`InputError` (naming the key) on a negative amount, a fraction outside
    [0, 1] or an unknown return-freight mode; returns ``params``."""

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
            return
        if prefix.startswith("sensitivity") or prefix == "explicit.return_freight.mode":
            return
        if isinstance(node, bool) or not isinstance(node, (int, float)) or math.isnan(node) or node < 0:
            raise InputError(f"{prefix} must be a number ≥ 0, got {node!r}", file=file, column=prefix)
        parent = prefix.rsplit(".", 1)[0]
        if (prefix in _FRACTIONS or parent in _FRACTION_MAPS) and node > 1:
            raise InputError(f"{prefix} is a fraction and must be ≤ 1, got {node!r}", file=file, column=prefix)

    walk({k: v for k, v in params.items() if k != "sensitivity"}, "")
    mode = params["explicit"]["return_freight"]["mode"]
    if mode not in ("merchant", "insurance"):
        raise InputError(f"explicit.return_freight.mode must be merchant or insurance, got {mode!r}",
                         file=file, column="explicit.return_freight.mode")
    for key, values in params.get("sensitivity", {}).items():
        try:
            get_param(params, key)
        except (KeyError, TypeError):
            raise InputError(f"sensitivity parameter {key} is not a cost parameter", file=file,
                             column="sensitivity") from None
        if not isinstance(values, list) or not values:
            raise InputError(f"sensitivity values of {key} must be a non-empty list", file=file,
                             column="sensitivity")
    return params


def load_params(conf_dir: str | Path = "conf") -> dict[str, Any]:
    """:data:`DEFAULT_PARAMS` overlaid with ``conf/{base,local}/costs.yml``, validated."""
    params = deep_merge(copy.deepcopy(DEFAULT_PARAMS), load_yaml("costs.yml", conf_dir))
    path = conf_file("costs.yml", conf_dir)
    return validate_params(params, file=str(path) if path else None)


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

def _by_category(mapping: dict[str, float], categories: pd.Series) -> pd.Series:
    default = float(mapping.get("default", 0.0))
    codes, uniques = pd.factorize(categories)
    rates = np.array([*(float(mapping.get(c, default)) for c in uniques), default])
    return pd.Series(rates[codes], index=categories.index)


def cost_bearing(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """After-sales applied in ``month`` that cost money: successful refunds, finished
    exchanges and reships."""
    apps = applications(after_sales, month)
    refund = apps["after_sale_type"].isin(REFUND_TYPES) & apps["is_refund_success"].astype(bool)
    redo = apps["after_sale_type"].isin(["exchange", "reship"]) & (apps["status_group"] == "finished")
    return apps[refund | redo]


@dataclass(frozen=True)
class CostBase:
    """What :func:`cost_lines` needs that no cost parameter changes, worked out once for a month
    (the sensitivity table prices it 25 times): the cost-bearing after-sales (``rows``) with their
    ``category``, ``quantity``, ``goods_value``, catalog ``cost_price`` and ``days`` from
    application to refund (missing when the refund time is), and ``shipped_paid`` — the paid
    sub-orders of the month that were shipped (the 运费险 mode shares their premium)."""

    rows: pd.DataFrame
    shipped_paid: int


def cost_base(after_sales: pd.DataFrame, orders: pd.DataFrame, month: str, taxonomy: Taxonomy,
              catalog: pd.DataFrame | None = None) -> CostBase:
    """The parameter-free part of :func:`cost_lines` for ``month``."""
    a = cost_bearing(after_sales, month).copy()
    a["category"] = taxonomy.categorize(a["reason"]).to_numpy()
    # only the month's sub-orders are looked up: the first row of each, as in the whole table
    o = orders[isin(orders["sub_order_id"], a["sub_order_id"])]
    o = o.drop_duplicates("sub_order_id").set_index("sub_order_id")
    a["quantity"] = a["sub_order_id"].map(o["quantity"]).astype("float64").fillna(1.0).clip(lower=1.0)
    goods_value = a["payable_amount"].astype("float64")
    goods_value = goods_value.fillna(a["sub_order_id"].map(o["payable_amount"]).astype("float64"))
    a["goods_value"] = goods_value.fillna(a["refund_goods_amount"].astype("float64")).fillna(0.0)
    a["cost_price"] = np.nan
    if catalog is not None and len(catalog):
        known = catalog.dropna(subset=["cost_price"]).drop_duplicates("product_id")
        prices = known.set_index("product_id")["cost_price"]
        a["cost_price"] = a["product_id"].map(prices).astype("float64")
    refunded_at = a["merchant_refund_time"].fillna(a["finish_time"])
    a["days"] = ((refunded_at - a["apply_time"]) / pd.Timedelta(days=1)).clip(lower=0)
    shipped_paid = int((in_month(orders["pay_time"], month) & orders["ship_time"].notna()).sum())
    return CostBase(rows=a, shipped_paid=shipped_paid)


def _priced(base: CostBase, taxonomy: Taxonomy, params: dict[str, Any]) -> pd.DataFrame:
    """The numbers of :func:`price_lines`, in the rows' order, unsorted."""
    ex, im = params["explicit"], params["implicit"]
    a = base.rows
    goods_value = a["goods_value"]
    cost_basis = (a["cost_price"] * a["quantity"]).fillna(goods_value * float(ex["default_cost_ratio"]))

    kind = a["after_sale_type"]
    shipped = kind != "refund_unshipped"
    returned = kind.isin(RETURNED)
    not_returned = kind.isin(NOT_RETURNED)
    refund = kind.isin(REFUND_TYPES)
    quality = a["category"].isin(taxonomy.quality_categories)

    rf = ex["return_freight"]
    if rf["mode"] == "merchant":
        return_leg = float(rf["per_parcel"]) * _by_category(rf["merchant_share"], a["category"])
    else:
        legs = int(returned.sum())
        per_leg = float(rf["insurance_premium"]) * base.shipped_paid / legs if legs else 0.0
        return_leg = pd.Series(per_leg, index=a.index)
    write_rate = _by_category(ex["write_off_rate"], a["category"])
    days = a["days"].fillna(float(im["default_days_to_refund"]))

    zero = pd.Series(0.0, index=a.index)
    parts = {
        "freight": (float(ex["outbound_freight"]) * shipped + return_leg.where(returned, 0.0)),
        "packaging": float(ex["packaging"]) * shipped,
        "payment_fee": (a["refund_goods_amount"].astype("float64").fillna(0.0)
                        * float(ex["payment_fee_rate"])).where(refund, 0.0),
        "write_off": (cost_basis * write_rate).where(returned, 0.0)
        + (cost_basis * float(ex["write_off_not_returned"])).where(not_returned, 0.0),
        "resale_markdown": (goods_value * (1 - write_rate) * float(im["resale_markdown_rate"])).where(returned, 0.0),
        "capital": (cost_basis * float(im["annual_capital_rate"]) * days / 365).where(returned, 0.0),
        "lost_repeat": (float(im["lost_repeat_rate"]) * (goods_value - cost_basis).clip(lower=0)).where(quality, 0.0),
        "experience_score": (zero + float(im["experience_penalty"])).where(quality & refund, 0.0),
    }
    out = pd.DataFrame({
        "goods_value": goods_value.round(2), "cost_basis": cost_basis.round(2),
        "days_to_refund": days.where(returned, np.nan).round(1),
    })
    for col in (*EXPLICIT, *IMPLICIT):
        out[col] = parts[col].astype(float).round(2)
    out["explicit"] = out[EXPLICIT].sum(axis=1).round(2)
    out["implicit"] = out[IMPLICIT].sum(axis=1).round(2)
    out["total_cost"] = (out["explicit"] + out["implicit"]).round(2)
    return out


def _sorted_total(costs: pd.DataFrame) -> float:
    """The month total as :func:`month_total` sums it: over the lines costliest first."""
    return round(float(costs["total_cost"].sort_values(ascending=False, kind="stable").sum()), 2)


def price_lines(base: CostBase, taxonomy: Taxonomy, params: dict[str, Any]) -> pd.DataFrame:
    """:func:`cost_lines` of a :class:`CostBase` under ``params``."""
    a = base.rows
    out = pd.concat([a[["after_sale_id", "product_id", "product_name", "after_sale_type", "category"]],
                     _priced(base, taxonomy, params)], axis=1)
    return out.sort_values("total_cost", ascending=False, kind="stable").reset_index(drop=True)


def cost_lines(after_sales: pd.DataFrame, orders: pd.DataFrame, month: str, taxonomy: Taxonomy,
               params: dict[str, Any], catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per cost-bearing after-sale of ``month`` with every cost part (see the module
    docstring for the formulas): ``after_sale_id, product_id, product_name, after_sale_type,
    category, goods_value, cost_basis, days_to_refund`` + :data:`COST_COLUMNS` (yuan)."""
    return price_lines(cost_base(after_sales, orders, month, taxonomy, catalog), taxonomy, params)


def cost_summary(lines: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """:func:`cost_lines` summed per ``by`` (e.g. ``"category"``, ``["product_id",
    "product_name"]``): ``after_sales`` (count), every cost part, ``explicit``, ``implicit``,
    ``total_cost``, ``per_after_sale`` = total_cost / after_sales and ``share`` of the grand total;
    costliest first."""
    keys = [by] if isinstance(by, str) else list(by)
    g = lines.groupby(keys, dropna=False, sort=False)
    table = g[COST_COLUMNS].sum().round(2)
    table.insert(0, "after_sales", g.size())
    table["per_after_sale"] = (table["total_cost"] / table["after_sales"]).round(2)
    grand = table["total_cost"].sum()
    table["share"] = table["total_cost"] / grand if grand else 0.0
    return table.sort_values("total_cost", ascending=False, kind="stable").reset_index()


def month_total(lines: pd.DataFrame) -> dict[str, float]:
    """``{"after_sales", "explicit", "implicit", "total"}`` of :func:`cost_lines` (yuan)."""
    return {"after_sales": int(len(lines)),
            "explicit": round(float(lines["explicit"].sum()), 2),
            "implicit": round(float(lines["implicit"].sum()), 2),
            "total": round(float(lines["total_cost"].sum()), 2)}


def cost_by_month(after_sales: pd.DataFrame, orders: pd.DataFrame, months: list[str],
                  taxonomy: Taxonomy, params: dict[str, Any],
                  catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per month: ``month``, ``after_sales`` and the cost parts, explicit, implicit, total_cost."""
    rows = []
    for month in months:
        lines = cost_lines(after_sales, orders, month, taxonomy, params, catalog)
        row = {"month": month, "after_sales": len(lines)}
        row.update({c: round(float(lines[c].sum()), 2) for c in COST_COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows, columns=["month", "after_sales", *COST_COLUMNS])


def data_months(after_sales: pd.DataFrame, month: str) -> list[str]:
    """Months with after-sales applied, up to and including ``month``."""
    months = sorted(after_sales["apply_time"].dropna().dt.strftime("%Y-%m").unique())
    return [m for m in months if m <= month] or [month]


def _by_cat_text(mapping: dict[str, float], fmt) -> str:
    default = mapping.get("default", 0.0)
    parts = [f"{k} {fmt(v)}" for k, v in mapping.items() if k != "default"]
    return "、".join(parts + [f"其余 {fmt(default)}"])


def assumption_texts(params: dict[str, Any]) -> dict[str, str]:
    """Chinese text of the assumptions behind each cost part (printed beside its amount)."""
    ex, im = params["explicit"], params["implicit"]
    rf = ex["return_freight"]
    if rf["mode"] == "merchant":
        back = (f"退货退款/换货另计退回运费 {money(rf['per_parcel'])}/件 × 商家承担比例"
                f"（{_by_cat_text(rf['merchant_share'], pct_g)}）")
    else:
        back = (f"已开通运费险：保费 {money(rf['insurance_premium'])}/发货子订单，本月保费总额按退回包裹平均分摊")
    return {
        "freight": f"发出运费 {money(ex['outbound_freight'])}/件（除未发货退款外每笔一次）；{back}",
        "packaging": f"{money(ex['packaging'])}/件，凡发出过包裹的售后",
        "payment_fee": f"退款金额 × {pct_g(ex['payment_fee_rate'])}（支付手续费不随退款退还）",
        "write_off": (f"退回商品按成本 × 报废比例（{_by_cat_text(ex['write_off_rate'], pct_g)}）；"
                      f"已发货仅退款、补寄按成本 × {pct_g(ex['write_off_not_returned'])}；"
                      f"无成本价时成本 = 应付金额 × {pct_g(ex['default_cost_ratio'])}"),
        "resale_markdown": f"能再卖的退回商品（1 − 报废比例）按应付金额降价 {pct_g(im['resale_markdown_rate'])}",
        "capital": (f"退回商品成本 × 年化 {pct_g(im['annual_capital_rate'])} × 申请到退款天数 / 365"
                    f"（缺退款时间按 {im['default_days_to_refund']} 天）"),
        "lost_repeat": ("商家原因（质量/描述/物流/发错漏发）的售后：该单毛利 × 流失概率 "
                        f"{pct_g(im['lost_repeat_rate'])}"),
        "experience_score": (f"每笔计入品质退货率的退款折算 {money(im['experience_penalty'])}"
                             "（可编辑的估计，不是平台规则）"),
    }


def cost_components(lines: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """One row per cost part: ``component`` (Chinese), ``kind`` (显性/隐性), ``amount``,
    ``after_sales`` (after-sales with a non-zero amount), ``share`` of the total and
    ``assumption`` (the parameters that drive it), then the three subtotal rows."""
    texts = assumption_texts(params)
    grand = float(lines["total_cost"].sum()) if len(lines) else 0.0
    rows = []
    for col, kind, zh in COMPONENTS:
        amount = round(float(lines[col].sum()), 2)
        rows.append({"component": zh, "kind": "显性" if kind == "explicit" else "隐性",
                     "amount": amount, "after_sales": int((lines[col] > 0).sum()),
                     "share": amount / grand if grand else 0.0, "assumption": texts[col]})
    for col, zh in (("explicit", "显性成本小计"), ("implicit", "隐性成本小计"), ("total_cost", "合计")):
        amount = round(float(lines[col].sum()), 2)
        rows.append({"component": zh, "kind": "", "amount": amount, "after_sales": int(len(lines)),
                     "share": amount / grand if grand else 0.0, "assumption": ""})
    return pd.DataFrame(rows)


def sensitivity(after_sales: pd.DataFrame, orders: pd.DataFrame, month: str, taxonomy: Taxonomy,
                params: dict[str, Any], catalog: pd.DataFrame | None = None,
                grid: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """Month total cost for every combination of two parameters (default: the ``sensitivity``
    section of costs.yml): rows = values of the first, columns = values of the second."""
    grid = grid or params.get("sensitivity") or {}
    if len(grid) != 2:
        raise InputError(f"sensitivity needs exactly two parameters, got {len(grid)}", column="sensitivity")
    (pa, va), (pb, vb) = grid.items()
    table = pd.DataFrame(index=pd.Index(va, name=pa), columns=pd.Index(vb, name=pb), dtype=float)
    base = cost_base(after_sales, orders, month, taxonomy, catalog)
    for x in va:
        for y in vb:
            p = set_param(set_param(params, pa, x), pb, y)
            table.loc[x, y] = _sorted_total(_priced(base, taxonomy, p))
    return table


#: Chinese names of the parameters a sensitivity table can vary
PARAM_ZH = {
    "explicit.outbound_freight": "发出运费(元/件)", "explicit.return_freight.per_parcel": "退回运费(元/件)",
    "explicit.return_freight.insurance_premium": "运费险保费(元/单)", "explicit.packaging": "包装损耗(元/件)",
    "explicit.payment_fee_rate": "支付手续费率", "explicit.write_off_not_returned": "不退回商品计损比例",
    "explicit.default_cost_ratio": "默认成本率", "implicit.resale_markdown_rate": "二次销售折价率",
    "implicit.annual_capital_rate": "资金年化成本", "implicit.default_days_to_refund": "默认退款天数",
    "implicit.lost_repeat_rate": "复购流失概率", "implicit.experience_penalty": "体验分影响(元/单)",
}


def _param_value_text(key: str, value: float) -> str:
    if key.split(".")[-1] in {"payment_fee_rate", "write_off_not_returned", "default_cost_ratio",
                               "resale_markdown_rate", "annual_capital_rate", "lost_repeat_rate"}:
        return pct_g(value)
    if key.endswith("days_to_refund"):
        return f"{value:g} 天"
    return money(value)


def sensitivity_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`sensitivity` as text for the report: the first column names the row parameter's
    value, the other columns the column parameter's values, cells are yuan."""
    pa, pb = table.index.name, table.columns.name
    out = pd.DataFrame({PARAM_ZH.get(pa, pa) + " ＼ " + PARAM_ZH.get(pb, pb):
                        [_param_value_text(pa, v) for v in table.index]})
    for col in table.columns:
        out[_param_value_text(pb, col)] = [money(v) for v in table[col]]
    return out


def reconcile(lines: pd.DataFrame, by_product: pd.DataFrame, by_category: pd.DataFrame,
              by_month: pd.DataFrame, month: str) -> pd.DataFrame:
    """The month's total cost as each table of chapter 7 adds it up (they must agree):
    rows ``table`` (Chinese), ``after_sales``, ``total_cost``."""
    this = by_month[by_month["month"] == month]
    rows = [("每笔售后明细合计", len(lines), lines["total_cost"].sum()),
            ("按商品合计", by_product["after_sales"].sum(), by_product["total_cost"].sum()),
            ("按原因分类合计", by_category["after_sales"].sum(), by_category["total_cost"].sum()),
            ("按月表中的本月", this["after_sales"].sum(), this["total_cost"].sum())]
    return pd.DataFrame([{"table": t, "after_sales": int(n), "total_cost": round(float(v), 2)}
                         for t, n, v in rows])


# --------------------------------------------------------------------------------------------
# Money that went back to buyers (not a cost: a reversal of revenue)
# --------------------------------------------------------------------------------------------

def refund_totals(after_sales: pd.DataFrame, month: str, taxonomy: Taxonomy,
                  by: str = "category") -> pd.DataFrame:
    """Money that went back to buyers for after-sales applied in ``month``, per ``by``.

    Only successful refunds count.  ``refund_goods`` = Σ 退商品金额, ``refund_shipping`` =
    Σ 退运费金额, ``refunds`` = number of 售后单, ``refund_total`` = goods + shipping, ``share`` = the
    row's part of the month's total.  ``by`` is ``"category"`` (reason category) or any
    after-sales column such as ``"product_name"``.
    """
    apps = applications(after_sales, month)
    ok = apps[apps["is_refund_success"].astype(bool)].copy()
    ok["category"] = taxonomy.categorize(ok["reason"]).to_numpy()
    g = ok.groupby(by, dropna=False)
    table = pd.DataFrame({
        "refunds": g.size(),
        "refund_goods": g["refund_goods_amount"].sum(min_count=0).fillna(0.0),
        "refund_shipping": g["refund_shipping_amount"].sum(min_count=0).fillna(0.0),
    })
    table["refund_total"] = table["refund_goods"] + table["refund_shipping"]
    table["share"] = table["refund_total"] / table["refund_total"].sum() if len(table) else 0.0
    table = table.round(2).sort_values("refund_total", ascending=False)
    return table.reset_index()
