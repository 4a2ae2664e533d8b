"""Return costs (chapter 7).  The full cost model (conf/base/costs.yml) builds on these totals."""

from __future__ import annotations

import pandas as pd

from .metrics import applications
from .reasons import Taxonomy


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
