"""Chapter 3 — 多维拆解: the month's cohort refund rate broken down by time (day, week, weekday,
promotion), product (TOP20, price band), customer (new vs repeat), region, logistics (carrier,
damage by carrier × province, ship → apply lag), creator and traffic source.

Notebook: ``notebooks/03_breakdown.ipynb``.  Figures: the topic modules of
:mod:`returns_kit.metrics`, every ranking by :func:`returns_kit.metrics.rate_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.jsonable import records
from ..core.periods import cohort_maturity, promotion_days
from ..display import pct, rate_ci
from ..metrics import (carriers, cities, cohort_view, creators, customer_types, daily, damage_cells, refund_details,
                       damage_matrix, lag_summary, price_band_rates, promotion_rates, provinces,
                       ship_apply_lags, traffic, weekday_pattern, weekly)
from .base import Chapter, kept
from .context import Context

__all__ = ["Breakdown", "build", "TRAFFIC_DIMENSIONS"]

#: the traffic columns of the order export broken down (流量来源, 流量体裁, 流量渠道)
TRAFFIC_DIMENSIONS = ("traffic_source", "traffic_format", "traffic_channel")
_RATE_COLS = ["refunded", "refund_rate", "ci_low", "ci_high", "low_volume"]


@dataclass(repr=False)
class Breakdown(Chapter):
    """What chapter 3 shows (see :func:`build`)."""

    month: str
    as_of: pd.Timestamp
    min_orders: int
    cohort: dict[str, Any]
    maturity: dict[str, Any]
    daily: pd.DataFrame
    promo_days: pd.DataFrame  #: the month's promotion days (date, name, peak, approximate)
    promotions: pd.DataFrame  #: refund rate during each promotion vs the other days
    weeks: pd.DataFrame
    weekdays: pd.DataFrame
    top: pd.DataFrame  #: TOP20 products
    bands: pd.DataFrame  #: price bands
    customers: pd.DataFrame  #: new / repeat buyers
    provinces: pd.DataFrame
    cities: pd.DataFrame
    carriers: pd.DataFrame
    damage_cells: pd.DataFrame  #: carrier × province
    lags: pd.DataFrame  #: days from shipping to the first after-sale
    lag_summary: pd.DataFrame
    creators: pd.DataFrame
    traffic: dict[str, pd.DataFrame]  #: one table per :data:`TRAFFIC_DIMENSIONS`
    details: pd.DataFrame  #: the refunded sub-orders (:func:`returns_kit.metrics.refund_details`)

    number = 3
    title = "三、多维拆解"

    @property
    def overall(self) -> float:
        """The shop's cohort refund rate (count) of the month: every chart's reference line."""
        return self.cohort["refund_rate_count"]

    @property
    def intro_note(self) -> str:
        m = self.maturity
        text = f"全店本月支付 {self.cohort['paid_sub_orders']:,} 个子订单，退款率 {pct(self.overall)}"
        if m["provisional"]:
            return text + (f"（暂估：数据截至 {self.as_of:%Y-%m-%d}，距月末 {m['days_since_month_end']} 天，"
                           f"不足 {m['maturity_days']} 天，以下比率都还会上升）。")
        return text + "。"

    @property
    def daily_title(self) -> str:
        return f"{self.month} 每日支付子订单与退款率"

    @property
    def promotion_note(self) -> str:
        days = self.promo_days
        if not len(days):
            return "大促日历中本月没有大促。"
        spans = days.groupby("name", sort=False).agg(start=("date", "min"), end=("date", "max"),
                                                     approximate=("approximate", "any")).reset_index()
        return "本月的大促：" + "；".join(
            f"{r.name} {r.start:%m-%d}–{r.end:%m-%d}" + ("（日期为估计）" if r.approximate else "")
            for r in spans.itertuples()) + "。下表比较大促期间与其他日子支付订单的退款率。"

    @property
    def weekday_note(self) -> str | None:
        wd = self.weekdays
        if not wd["refund_rate"].notna().any():
            return None
        hi = wd.loc[wd["refund_rate"].idxmax()]
        return (f"退款率最高的是{hi['weekday_zh']}："
                + rate_ci(hi, extra=f"，本月共 {hi['days']} 个{hi['weekday_zh']}，日均 {hi['orders_per_day']:.0f} 单")
                + "。")

    @property
    def top_note(self) -> str:
        best = self.top.iloc[0]
        where = f"（{best['category']}，{best['price_band']}）" if best["category"] else f"（{best['price_band']}）"
        return (f"退款风险最高的商品是「{best['product_name']}」{where}：{best['paid_sub_orders']:,} 单中退款 "
                f"{best['refunded']:,} 单，退款率 {rate_ci(best)}，全店平均 {pct(self.overall)}。")

    @property
    def top_table(self) -> pd.DataFrame:
        return self.top.rename(columns={"category": "product_category"})

    @property
    def top_chart(self) -> pd.DataFrame:
        """The 10 riskiest products (the bar chart)."""
        return self.top.head(10)

    @property
    def bands_chart(self) -> pd.DataFrame:
        """The price bands that have orders."""
        return self.bands.dropna(subset=["refund_rate"])

    @property
    def customer_note(self) -> str:
        by_type = self.customers.set_index("buyer_type")
        rep, new = by_type.loc["repeat"], by_type.loc["new"]
        if not rep["paid_sub_orders"]:
            return ("本月没有识别出复购客：已加载的数据中，本月的买家此前都没有支付订单（买家标识为近似，"
                    "导出的月份越多，复购识别越完整）。")
        return (f"复购客退款率 {rate_ci(rep, extra=f'，{rep.paid_sub_orders:,} 单')}，"
                f"新客 {rate_ci(new, extra=f'，{new.paid_sub_orders:,} 单')}。按近似的买家标识统计。")

    @property
    def province_note(self) -> str:
        p = self.provinces.iloc[0]
        return (f"退款率最高的省份是{p['province']}：{rate_ci(p, extra=f'，{p.paid_sub_orders:,} 单')}，"
                f"是全店平均的 {p['refund_rate'] / self.overall:.1f} 倍。")

    @property
    def provinces_chart(self) -> pd.DataFrame:
        """The 10 riskiest provinces (the bar chart)."""
        return self.provinces.head(10)

    @property
    def city_note(self) -> str:
        return (f"城市按同样规则排序（少于 {self.min_orders} 单的城市排在最后并标“样本不足”），"
                f"共 {len(self.cities):,} 个城市，显示前 15 个。")

    @property
    def carrier_note(self) -> str:
        c = self.carriers.iloc[0]
        return (f"破损率最高的快递是{c['carrier']}：发货 {c['shipped_sub_orders']:,} 单，破损售后 {c['damaged']:,} 单，"
                f"破损率 {rate_ci(c, 'damage_rate', 'damage_ci_low', 'damage_ci_high')}。")

    @property
    def damage_shown(self) -> pd.DataFrame:
        """The carrier × province cells with enough shipped sub-orders to read."""
        return self.damage_cells[~self.damage_cells["low_volume"]]

    @property
    def damage_note(self) -> str:
        return (f"{len(self.damage_cells):,} 个快递 × 省份组合中有 {len(self.damage_shown):,} 个发货量足够；"
                "下表按破损率区间下限排序。")

    @property
    def damage_grid(self) -> pd.DataFrame:
        return damage_matrix(self.damage_cells)

    @property
    def lag_note(self) -> str | None:
        if not len(self.lags):
            return None
        a = self.lag_summary.iloc[-1]
        return (f"{a['count']:,} 个子订单在发货后申请了售后：中位数 {a['median']:.1f} 天，一半在 "
                f"{a['p25']:.1f}–{a['p75']:.1f} 天之间，{pct(a['within_7d'])} 在 7 天内申请。")

    @property
    def creator_note(self) -> str | None:
        named = self.creators[self.creators["creator_id"].notna()]
        own = self.creators[self.creators["creator_id"].isna()]
        if not len(named):
            return None
        t = named.iloc[0]
        base = f"，店铺自营/无达人订单为 {pct(own.iloc[0]['refund_rate'])}" if len(own) else ""
        return (f"退款风险最高的达人是「{t['creator_name']}」：带来 {t['paid_sub_orders']:,} 单，退款 "
                f"{t['refunded']:,} 单，退款率 {rate_ci(t)}{base}，全店平均 {pct(self.overall)}。")

    @property
    def creators_chart(self) -> pd.DataFrame:
        """The 10 riskiest creators (the bar chart)."""
        return self.creators.head(10)

    def drilldowns(self) -> list[tuple[str, pd.DataFrame, list[str]]]:
        """The refunded sub-orders behind each ranking (TOP20 products, provinces, carriers,
        creators), in the ranking's order: from a rate to its 售后单号 and 子订单号."""
        cols = ["sub_order_id", "order_id", "after_sale_ids", "pay_time", "refund_amount", "reason"]
        named = self.creators["creator_id"].dropna()
        return [
            ("商品 TOP20 的退款子订单", _behind(self.details, "product_id", self.top["product_id"]),
             ["product_id", "product_name", *cols]),
            ("各省份的退款子订单", _behind(self.details, "province", self.provinces["province"]),
             ["province", "product_name", *cols]),
            ("各快递的退款子订单", _behind(self.details, "carrier", self.carriers["carrier"]),
             ["carrier", "product_name", *cols]),
            ("各达人的退款子订单", _behind(self.details, "creator_id", named),
             ["creator_id", "creator_name", "product_name", *cols]),
        ]

    def metrics(self) -> dict[str, Any]:
        return {
            "top_products": records(self.top, [
                "product_id", "product_name", "category", "price_band", "unit_price", "paid_sub_orders",
                "paid_amount", "refunded", "refund_amount", *_RATE_COLS[1:]]),
            "provinces": records(self.provinces, ["province", "paid_sub_orders", *_RATE_COLS]),
            "carriers": records(self.carriers, ["carrier", "shipped_sub_orders", *_RATE_COLS, "damaged",
                                                "damage_rate", "damage_ci_low", "damage_ci_high"]),
            "creators": records(self.creators, ["creator_id", "creator_name", "paid_sub_orders",
                                                *_RATE_COLS]),
        }


def _behind(details: pd.DataFrame, column: str, ranked: pd.Series) -> pd.DataFrame:
    """The rows of ``details`` whose ``column`` is among ``ranked``, in the ranking's order."""
    order = {key: i for i, key in enumerate(ranked)}
    rows = details[details[column].isin(order)]
    return rows.iloc[rows[column].map(order).argsort(kind="stable")]


@kept
def build(ctx: Context) -> Breakdown:
    """Chapter 3 of ``ctx.month``."""
    o, a, month, s = ctx.outcomes, ctx.data.after_sales, ctx.month, ctx.settings
    n_min = s["min_orders"]
    promo = promotion_days(ctx.promotions, month)
    lags = ship_apply_lags(o, a, month)
    return Breakdown(
        month=month, as_of=ctx.as_of, min_orders=n_min, cohort=cohort_view(o, month),
        maturity=cohort_maturity(month, ctx.as_of, s["maturity_days"]),
        daily=daily(o, a, month), promo_days=promo,
        promotions=promotion_rates(o, month, promo, min_orders=n_min),
        weeks=weekly(o, a, month), weekdays=weekday_pattern(o, month),
        top=ctx.top_products, bands=price_band_rates(o, month, s["price_bands"], min_orders=n_min),
        customers=customer_types(o, month, min_orders=n_min),
        provinces=provinces(o, month, min_orders=n_min), cities=cities(o, month, min_orders=n_min),
        carriers=carriers(o, month, min_orders=n_min),
        damage_cells=damage_cells(o, month, min_orders=s["damage_cell_min_orders"]),
        lags=lags, lag_summary=lag_summary(lags),
        creators=creators(o, month, min_orders=n_min),
        traffic={col: traffic(o, month, by=col, min_orders=n_min) for col in TRAFFIC_DIMENSIONS},
        details=refund_details(o, a, month),
    )
