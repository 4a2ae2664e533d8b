"""The simulation: orders, sub-orders and after-sales of the sample months, in memory.

:func:`simulate` draws every random number of a sample (named streams seeded from the data seed:
``days`` and ``drift`` for the day plan and the products' drift, ``orders``, ``after_sales``,
``texts``, ``buyers``, plus ``broken`` for the two rows an Excel re-save mangles) and returns a
:class:`SimulatedSample`: the :class:`Order` records with their :class:`SubOrder` s and
:class:`AfterSale` s, each after-sale with its lifecycle (``stages`` and ``times``).  No file
formats here: :mod:`.exports` renders the records as the files the 抖店 backend, 罗盘 and 蝉妈妈
hand out, as seen at a given export time.

How hard the sample is (what a real month looks like):

* a day's refund propensity moves with its traffic mix (直播 orders are returned more), the shop's
  live sessions, creators' 专场, platform promotions and a day-level random effect, so daily refund
  counts are overdispersed against a binomial;
* every product but the planted ones drifts slowly (a weekly random walk with a trend);
* after-sales arrive after payment by type: pre-shipment refunds within hours (a couple of days
  when shipping waits), 已发货仅退款 partly while in transit, returns and 已收货仅退款 mostly within
  the 7-day no-reason window after delivery with a tail to 30+ days; and the export is pulled a
  week after the last month, so its late cohorts are visibly incomplete and many after-sales are
  still in progress;
* one day of the last month has a surge of applications from one product batch.

The planted signals whose size is the point (the intervention and its controls, the 新疆 orders,
the carrier's damage) are drawn by systematic sampling along their own sequences, so their rates
are what was planted; everything else is drawn independently.
"""

from __future__ import annotations

import calendar
import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from statistics import NormalDist

from .scenario import (
    APPS,
    PII_NOTE_SUFFIXES,
    APP_WEIGHTS,
    BUYER_MESSAGES,
    CARRIERS,
    CARRIER_WEIGHTS,
    CARRIER_WEIGHTS_PRICEY,
    CARRIER_WEIGHTS_REMOTE,
    CATALOG,
    CONTROL_PRODUCTS,
    CREATORS,
    CREATOR_LIVE_ORDERS,
    CREATOR_LIVE_PROPENSITY,
    CREATOR_LIVE_SHARE,
    CREATOR_SHARE,
    DAMAGE_REASONS,
    DAY_EFFECT_SIGMA,
    DRIFT_STEP_SD,
    DRIFT_TREND_SD,
    EXPORT_LAG_DAYS,
    INTERVENTION_AFTER_RATE,
    INTERVENTION_PRODUCT,
    LABELS,
    LIVE_DAY_PROPENSITY,
    LIVE_DAY_SHARE,
    LIVE_DAY_VOLUME,
    LIVE_TRAFFIC_SHARE,
    MERCHANT_AFTER_SALE_NOTES,
    MERCHANT_REMARKS,
    NOTES,
    NO_DRIFT_PRODUCTS,
    OPERATORS,
    PAY_METHODS,
    PAY_METHOD_WEIGHTS,
    PHONE_PREFIXES,
    PLANTED_CARRIER,
    PLANTED_PROVINCE,
    PRODUCT_BY_KEY,
    PROMO_PROPENSITY,
    PROMO_VOLUME,
    PROVINCES,
    PROVINCE_WEIGHTS,
    REASONS,
    REASONS_DRESS_RETURN,
    REASONS_EXCHANGE,
    REASONS_RESHIP,
    REASONS_SHELF_INSTALL,
    REASONS_SURGE,
    REASONS_UNSHIPPED,
    REASON_FAMILY,
    REMOTE_FEE_PROVINCES,
    REPEAT_BUYER_SHARE,
    RETURN_CARRIERS,
    RETURN_CARRIER_WEIGHTS,
    R_DISLIKE,
    R_LATE,
    R_NEGOTIATED_OLD,
    R_NOT_ARRIVED,
    R_NO_TRACK,
    R_OTHER,
    R_REGRET,
    SPIKE_PRODUCTS,
    SURGE_APPLY_SHARE,
    SURGE_ON_DAY_SHARE,
    SURGE_PRESALE_ORDERS,
    SURGE_PRODUCT,
    SURNAMES,
    TARGET_PAID_SUB_ORDERS,
    TRAFFIC_PROPENSITY,
    TYPE_MIX,
    TYPE_MIX_DRESS,
    WEEKDAY_FACTORS,
    Product,
    as_of_for,
    month_end,
    parse_month,
    planted_for,
    prev_month,
    promotion_of,
    surge_dates,
)

__all__ = ["AfterSale", "DayPlan", "Order", "SimulatedSample", "SubOrder", "simulate", "surge_figures"]

# ------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------

_ND = NormalDist()


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _lognormal_q(u: float, median_h: float, sigma: float) -> float:
    """Quantile ``u`` of a lognormal with the given median (hours)."""
    u = min(max(u, 1e-4), 1 - 1e-4)
    return median_h * math.exp(sigma * _ND.inv_cdf(u))


def _lognormal_trunc_q(u: float, median_h: float, sigma: float, upper_h: float) -> float:
    """Quantile ``u`` of a lognormal (median, sigma) truncated to ``(0, upper_h]``."""
    top = _ND.cdf(math.log(upper_h / median_h) / sigma)
    return _lognormal_q(u * top, median_h, sigma)


_WINDOW_H = 7 * 24  # the 7-day no-reason window after delivery


def _after_receipt(u: float, median_h: float, sigma: float, tail: float, tail_days: int = 35) -> float:
    """Hours from delivery to an application made after receipt: within the 7-day no-reason
    window (a lognormal truncated at 7 days) for the first ``1 - tail`` of the quantiles ``u``,
    else in a tail thinning out towards ``tail_days`` days (faults found with use, slow buyers,
    negotiations that drag on)."""
    if u < 1 - tail:
        return _lognormal_trunc_q(u / (1 - tail), median_h, sigma, _WINDOW_H)
    v = (u - (1 - tail)) / tail
    return _WINDOW_H + (tail_days * 24 - _WINDOW_H) * v ** 1.7


def _h(hours: float) -> timedelta:
    return timedelta(seconds=round(hours * 3600))


def _tracking(rng: random.Random, carrier: str) -> str:
    def digits(n: int) -> str:
        return "".join(str(rng.randrange(10)) for _ in range(n))
    if carrier == "顺丰速运":
        return "SF" + rng.choice("0123456789") + digits(12)
    if carrier == "中通快递":
        return rng.choice(("75", "78", "73")) + digits(12)
    if carrier == "圆通速递":
        return "YT" + rng.choice("6789") + digits(12)
    if carrier == "韵达快递":
        return rng.choice(("43", "46", "31")) + digits(13)
    if carrier == "申通快递":
        return "77" + rng.choice("3456") + digits(12)
    if carrier == "极兔速递":
        return "JT" + rng.choice("345") + digits(12)
    if carrier == "京东物流":
        return "JDV" + rng.choice("ABCDE") + digits(11)
    return "98" + digits(11)  # 邮政快递包裹


# ------------------------------------------------------------------------------------------
# simulation records
# ------------------------------------------------------------------------------------------


class Order:
    """A 主订单: buyer, address, traffic, creator, logistics plan (``ship`` is final once the
    pre-ship after-sales are settled; ``None`` when nothing ships) and its ``subs``.
    ``exported`` is False for the three orders paid before the first month."""

    __slots__ = ("addr_changed", "anxin", "app", "buyer", "buyer_msg", "cancel_reason", "carrier",
                 "city", "creator", "district", "export_month", "exported", "lift", "main_id",
                 "merchant_remark", "pay", "pay_method", "phone", "planned_ship", "presale",
                 "promise", "province", "remote", "ship", "spike", "submit", "subs", "tracking",
                 "traffic", "transit_h")

    def __init__(self):
        self.subs: list[SubOrder] = []
        self.ship = None
        self.exported = True
        self.spike = False
        self.presale = False  # the surge batch: pre-sold in a live session, shipped together
        self.lift = 1.0  # refund propensity of its traffic (直播 …), live session, creator 专场
        self.promise = None  # 承诺发货时间


class SubOrder:
    """A 子订单: one product line of an order, its money (in cents) and its ``after_sales``."""

    __slots__ = ("after_sales", "complete", "creator_disc", "merchant_disc", "merchant_label",
                 "order", "pay_disc", "platform_disc", "product", "qty", "shipped", "shipping",
                 "spec_idx", "sub_id", "trail_space")

    def __init__(self, order: Order, product: Product):
        self.order = order
        self.product = product
        self.after_sales: list[AfterSale] = []
        self.shipped = True  # False when a pre-ship refund succeeded
        self.complete = None
        self.trail_space = False

    @property
    def goods_cents(self) -> int:
        return self.product.price_cents * self.qty

    @property
    def discount_cents(self) -> int:
        return self.platform_disc + self.merchant_disc + self.creator_disc

    @property
    def payable_goods(self) -> int:
        return self.goods_cents - self.discount_cents

    @property
    def payable(self) -> int:
        return self.payable_goods + self.shipping

    @property
    def ship_time(self):
        return self.order.ship if self.shipped else None

    @property
    def delivery(self):
        t = self.ship_time
        return None if t is None else t + _h(self.order.transit_h)


@dataclass
class AfterSale:
    """A 售后单 and its lifecycle: ``stages`` (when its status changed, and the deadline that
    came with it) and ``times`` (the export's time columns, plus ``_return_arrive`` /
    ``_exchange_ship``, which drive the logistics columns)."""

    sub: SubOrder
    kind: str  # return / shipped / unshipped / exchange / reship
    outcome: str  # refund / closed / rejected / done
    reason: str
    family: str
    apply: datetime
    u: float = 0.5
    aid: str = ""
    type_text: str = ""
    label: str = "-"
    note: str = "-"
    stages: list = field(default_factory=list)  # [(time, status, deadline_hours or None)]
    times: dict = field(default_factory=dict)  # field name → datetime
    refund_cents: int = 0
    refund_ship_cents: int = 0
    fast: bool = False
    refuse_sign: bool = False
    return_carrier: str = "-"
    return_tracking: str = "-"
    exchange_tracking: str = "-"
    operator: str = "-"
    arbitration: str = "无仲裁记录"
    liability: str = "-"
    merchant_note: str = "-"
    order_note: str = "-"
    broken: bool = False
    trail: tuple = ()

    @property
    def final_time(self):
        return self.stages[-1][0]

    def state(self, t: datetime):
        """(status text, deadline or None) as seen in an export taken at ``t``."""
        status, deadline = self.stages[0][1], None
        for when, text, limit_h in self.stages:
            if when <= t:
                status = text
                deadline = when + _h(limit_h) if limit_h else None
            else:
                break
        return status, deadline

    def visible(self, name: str, t: datetime):
        when = self.times.get(name)
        return when if when is not None and when <= t else None


@dataclass(frozen=True)
class DayPlan:
    """What a pay day is like: its order ``volume`` factor (1 = an ordinary day of its month), the
    ``propensity`` factor on every refund propensity of the orders paid that day (weekday ×
    promotion × the day's random effect; 直播 and 专场 orders get their ``Order.lift`` on top),
    whether the shop runs a ``live`` session, which creator (key) runs a 专场 (``creator_live``)
    and the platform ``promotion``.  ``centred`` is ``propensity`` divided by its mean over the
    day's 7-day block (counted from the first day of the sample): what the intervention product
    and its controls get, so that their rates over whole weeks stay what was planted."""

    volume: float = 1.0
    propensity: float = 1.0
    live: bool = False
    creator_live: str | None = None
    promotion: str | None = None
    centred: float = 1.0


_ORDINARY_DAY = DayPlan()


@dataclass
class SimulatedSample:
    """What :func:`simulate` produces for some months and a seed: the records, in memory.

    ``after_sales`` are the after-sales the exports list (applied by ``as_of``), sorted by
    (申请时间, 子订单号); ``broken_after_sales`` are the two that reach the analyst only as rows
    mangled by an Excel re-save (they are in their sub-order's ``after_sales`` too, but not in
    ``after_sales`` here).  ``text_rng`` is the ``texts`` stream where the simulation left it:
    rendering the after-sale rows draws their 协商记录 from it, so the same sample gives the same
    files only when rendered once, in the order :func:`returns_kit.sample.generate` does.

    The truth behind the files, for checking what a reader of the exports can see:
    ``eventual_after_sales`` are every after-sale the sub-orders get, also those applied after the
    export date (which no file shows; they have no texts); ``days`` is the :class:`DayPlan` of
    each pay day; ``drift`` the propensity multiplier of each (product key, week since the first
    day) of the drifting products.
    """

    months: list[str]  # sorted, "YYYY-MM"
    year_months: list[tuple[int, int]]  # the same months as (year, month)
    seed: int
    plan: dict  # planted_for(months)
    as_of: datetime  # the export date (as_of_for(months))
    orders: list[Order]  # every order: unpaid ones and three paid before the first month too
    after_sales: list[AfterSale]
    broken_after_sales: list[AfterSale]
    text_rng: random.Random
    export_lag_days: int = EXPORT_LAG_DAYS
    eventual_after_sales: list[AfterSale] = field(default_factory=list)
    days: dict = field(default_factory=dict)  # date → DayPlan
    drift: dict = field(default_factory=dict)  # (product key, week) → multiplier

    def day_plan(self, day: date) -> DayPlan:
        return self.days.get(day, _ORDINARY_DAY)


def simulate(months: list[str], seed: int, export_lag_days: int = EXPORT_LAG_DAYS) -> SimulatedSample:
    """Simulate ``months`` (``["2026-09", "2026-10"]``, any order) with ``seed``, exported
    ``export_lag_days`` days after the last month ends.

    Deterministic: the same months and seed give the same records (no wall clock, no hash order).
    """
    return _Simulation(months, seed, export_lag_days).run()


def surge_figures(sample: SimulatedSample) -> dict:
    """The planted surge as the export files show it: applications (售后单 by 售后申请时间, the rows
    the loader keeps) of the surge product on the surge day, the shop's that day, and the median
    of the shop's daily applications over the days of the last month."""
    plan = sample.plan["surge"]
    day = date.fromisoformat(plan["date"])
    y, mo = sample.year_months[-1]
    per_day = dict.fromkeys((date(y, mo, d) for d in range(1, calendar.monthrange(y, mo)[1] + 1)), 0)
    product = 0
    for a in sample.after_sales:
        d = a.apply.date()
        if d in per_day:
            per_day[d] += 1
            if d == day and a.sub.product.product_id == plan["product_id"]:
                product += 1
    counts = sorted(per_day.values())
    n = len(counts)
    median = counts[n // 2] if n % 2 else (counts[n // 2 - 1] + counts[n // 2]) / 2
    return {"applications": product, "shop_applications": per_day[day],
            "median_daily_applications": median}


# ------------------------------------------------------------------------------------------
# the simulation
# ------------------------------------------------------------------------------------------


class _Simulation:
    """One run of the simulation; :meth:`run` draws everything and returns the records."""

    def __init__(self, months: list[str], seed: int, export_lag_days: int = EXPORT_LAG_DAYS):
        self.months = sorted(months)
        self.year_months = [parse_month(m) for m in self.months]
        self.seed = seed
        self.export_lag_days = export_lag_days
        self.plan = planted_for(self.months, export_lag_days)
        self.as_of = as_of_for(self.months, export_lag_days)
        self.spike_day = date.fromisoformat(self.plan["spike"]["date"])
        self.start_day = date.fromisoformat(self.plan["intervention"]["start_date"])
        self.first_day = date(*self.year_months[0], 1)
        surge = surge_dates(self.months)
        self.surge_day, self.batch_day = surge["surge"], surge["ship"]
        self.presale_days = set(surge["presale"])
        self.eventual: list[AfterSale] = []
        self.rng = random.Random(f"returns_kit.sample:{seed}:orders")
        self.rng_as = random.Random(f"returns_kit.sample:{seed}:after_sales")
        self.rng_txt = random.Random(f"returns_kit.sample:{seed}:texts")
        # repeat buyers: own stream, so the planted signals (drawn from the others) do not move
        self.rng_buyers = random.Random(f"returns_kit.sample:{seed}:buyers")
        self._past_buyers: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        self._script_note_done = False
        self._pii_notes = 0
        self.used_ids: set[int] = set()
        self.orders: list[Order] = []
        self.after_sales: list[AfterSale] = []
        self.broken_after_sales: list[AfterSale] = []
        self._epoch = datetime(2026, 1, 1)
        self._product_w = [p.weight for p in CATALOG]
        self._by_group: dict[str, list[Product]] = {}
        for p in CATALOG:
            self._by_group.setdefault(p.group, []).append(p)
        # the day plan and the drift: own streams, drawn first
        self.days = self._plan_days(random.Random(f"returns_kit.sample:{seed}:days"))
        self.drift = self._plan_drift(random.Random(f"returns_kit.sample:{seed}:drift"))

    # -- what a day is like, and how products drift ----------------------------------------
    def _plan_days(self, rng: random.Random) -> dict[date, DayPlan]:
        """The :class:`DayPlan` of every day of the months: weekday and promotion factors, the
        shop's live sessions, creators' 专场 and the day-level random effect (mean 1); volume
        factors are scaled to average 1 over each month."""
        plans: dict[date, DayPlan] = {}
        sigma = DAY_EFFECT_SIGMA
        for y, mo in self.year_months:
            raw = []
            for d in range(1, calendar.monthrange(y, mo)[1] + 1):
                day = date(y, mo, d)
                vol, prop = WEEKDAY_FACTORS[day.weekday()]
                promo = promotion_of(day)
                if promo:
                    vol, prop = vol * PROMO_VOLUME, prop * PROMO_PROPENSITY
                live = rng.random() < LIVE_DAY_SHARE or day == self.spike_day or day in self.presale_days
                creator = rng.choice(CREATORS)["key"] if rng.random() < CREATOR_LIVE_SHARE else None
                effect = math.exp(sigma * rng.gauss(0, 1) - sigma * sigma / 2)
                vol *= (LIVE_DAY_VOLUME if live else 1.0) * (1.05 if creator else 1.0)
                vol *= 1 + max(-0.08, min(0.08, rng.gauss(0, 0.04)))
                raw.append((day, vol, prop * effect, live, creator, promo))
            mean = sum(r[1] for r in raw) / len(raw)
            for day, vol, prop, live, creator, promo in raw:
                plans[day] = DayPlan(vol / mean, prop, live, creator, promo)
        blocks: dict[int, list[date]] = {}
        for day in plans:
            blocks.setdefault((day - self.first_day).days // 7, []).append(day)
        for days in blocks.values():
            mean = sum(plans[d].propensity for d in days) / len(days)
            for d in days:
                plans[d] = replace(plans[d], centred=plans[d].propensity / mean)
        return plans

    def _day(self, day: date) -> DayPlan:
        return self.days.get(day, _ORDINARY_DAY)

    def _plan_drift(self, rng: random.Random) -> dict[tuple[str, int], float]:
        """Weekly propensity multipliers of every product not in :data:`NO_DRIFT_PRODUCTS`: a
        random walk with a per-product trend on the log scale, centred on the catalog rate over
        the months, and scaled each week so that the drifting products' volume-weighted mean
        multiplier is 1 (the shop's rate does not drift with them)."""
        weeks = (self.as_of.date() - self.first_day).days // 7 + 1
        products = [p for p in CATALOG if p.key not in NO_DRIFT_PRODUCTS]
        paths = {}
        for p in products:
            trend, level, path = rng.gauss(0, DRIFT_TREND_SD), 0.0, []
            for _ in range(weeks):
                path.append(level)
                level += trend + rng.gauss(0, DRIFT_STEP_SD)
            centre = sum(path) / len(path)
            paths[p.key] = [x - centre for x in path]
        total = sum(p.weight for p in products)
        out = {}
        for w in range(weeks):
            mean = sum(p.weight * math.exp(paths[p.key][w]) for p in products) / total
            for p in products:
                out[(p.key, w)] = math.exp(paths[p.key][w]) / mean
        return out

    def _drift_at(self, p: Product, day: date) -> float:
        w = min(max(0, (day - self.first_day).days // 7), (self.as_of.date() - self.first_day).days // 7)
        return self.drift.get((p.key, w), 1.0)

    # -- ids ---------------------------------------------------------------------------
    def _time_id(self, first: int, t: datetime, rng: random.Random) -> int:
        secs = max(0, int((t - self._epoch).total_seconds()))
        base = first * 10**18 + 2 * 10**17 + secs * 10**10
        while True:
            value = base + rng.randrange(10**10)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    # -- orders ------------------------------------------------------------------------
    def _daily_counts(self, y: int, mo: int) -> list[tuple[date, int]]:
        days = calendar.monthrange(y, mo)[1]
        per_day = TARGET_PAID_SUB_ORDERS / 1.13 / 0.97 / days
        out = []
        for d in range(1, days + 1):
            day = date(y, mo, d)
            out.append((day, max(1, round(per_day * self._day(day).volume))))
        return out

    def _submit_time(self, day: date, window: tuple[int, int] | None = None) -> datetime:
        rng = self.rng
        if window:
            secs = rng.uniform(window[0] * 3600, window[1] * 3600)
        else:
            hour_w = (2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5, 6, 6, 5, 4, 4, 4, 5, 6, 8, 9, 8, 5)
            hour = rng.choices(range(24), weights=hour_w)[0]
            secs = hour * 3600 + rng.uniform(0, 3599)
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=int(secs))

    def _new_order(self, day: date, *, spike: bool = False, exported: bool = True,
                   products: list[Product] | None = None, presale: bool = False) -> Order:
        """An order submitted on ``day``: a spike order (the planted 直播间大场), a pre-sale order
        of the surge batch (the shop's live session), or an ordinary one."""
        rng = self.rng
        o = Order()
        o.spike = spike
        o.presale = presale
        o.exported = exported
        o.submit = self._submit_time(day, (13, 19) if spike else (19, 23) if presale else None)
        unpaid = (not spike) and exported and rng.random() < 0.03
        o.pay = None if unpaid else o.submit + timedelta(seconds=int(min(600, rng.expovariate(1 / 25)) + 3))
        prov = rng.choices(PROVINCES, weights=PROVINCE_WEIGHTS)[0]
        o.province, o.remote = prov[0], prov[2]
        o.city = rng.choice(list(prov[3]))
        o.district = rng.choice(prov[3][o.city])
        o.buyer = rng.choice(SURNAMES) + "**"
        o.phone = rng.choice(PHONE_PREFIXES) + "****" + f"{rng.randrange(10000):04d}"
        past = self._past_buyers.setdefault((o.province, o.city, o.district), [])
        if past and self.rng_buyers.random() < REPEAT_BUYER_SHARE:
            o.buyer, o.phone = self.rng_buyers.choice(past)  # a returning customer, same address
        else:
            past.append((o.buyer, o.phone))
        o.app = rng.choices(APPS, weights=APP_WEIGHTS)[0]
        o.pay_method = rng.choices(PAY_METHODS, weights=PAY_METHOD_WEIGHTS)[0] if o.pay else "-"
        o.addr_changed = rng.random() < 0.02
        o.buyer_msg = rng.choice(BUYER_MESSAGES) if rng.random() < 0.04 else "-"
        o.merchant_remark = rng.choice(MERCHANT_REMARKS) if rng.random() < 0.015 else "-"
        o.cancel_reason = rng.choice(("超时未支付", "超时未支付", "用户取消订单", "不想要了")) if unpaid else "-"
        # items
        if products is None:
            first = rng.choices(CATALOG, weights=self._product_w)[0]
            n = rng.choices((1, 2, 3), weights=(88, 10, 2))[0]
            products = [first]
            for _ in range(n - 1):
                if rng.random() < 0.6:
                    pool = self._by_group[first.group]
                    nxt = rng.choices(pool, weights=[p.weight for p in pool])[0]
                else:
                    nxt = rng.choices(CATALOG, weights=self._product_w)[0]
                if nxt not in products:
                    products.append(nxt)
        # traffic and creator (decided by the first product and the day: a shop live session
        # brings more 直播 orders, a creator's 专场 more of that creator's)
        group = products[0].group
        plan = self._day(day)
        o.creator = None
        pool = [c for c in CREATORS if group in c["groups"]]
        live_creator = next((c for c in pool if c["key"] == plan.creator_live), None)
        share = CREATOR_SHARE[group]
        extra = share * (CREATOR_LIVE_ORDERS - 1) / len(pool) if live_creator else 0.0
        special = False  # a 直播 order of the shop's live session, or of a creator's 专场
        if spike or presale:
            o.traffic = ("直播", "直播", "直播间", "自然流量", "-")
            special = True
        elif products[0].key != "dress" and (r := rng.random()) < share + extra:
            o.creator = live_creator if r < extra else rng.choice(pool)
            if o.creator is live_creator and live_creator is not None:
                o.traffic = ("直播", "直播", "直播间", rng.choice(("自然流量", "自然流量", "付费流量")), "-")
                special = True
            elif rng.random() < 0.62:
                o.traffic = ("直播", "直播", rng.choice(("直播间", "推荐feed")),
                             rng.choice(("自然流量", "自然流量", "付费流量")), "-")
            else:
                o.traffic = ("短视频", "短视频", "推荐feed", rng.choice(("自然流量", "付费流量")), "-")
        else:
            r = rng.random()
            live_share = LIVE_TRAFFIC_SHARE[1 if plan.live else 0]
            if r < live_share:
                o.traffic = ("直播", "直播", "直播间", rng.choice(("自然流量", "付费流量")), "-")
                special = plan.live
            elif r < live_share + 0.12:
                o.traffic = ("短视频", "短视频", "推荐feed", rng.choice(("自然流量", "付费流量")), "-")
            else:
                ch = rng.choices(("搜索", "商城推荐", "店铺页", "橱窗"), weights=(40, 30, 20, 10))[0]
                o.traffic = ("商品卡", "商品卡", ch, "自然流量", "-")
        if o.traffic[3] == "付费流量":
            o.traffic = o.traffic[:4] + ("巨量千川",)
        o.lift = TRAFFIC_PROPENSITY[o.traffic[0]]
        if special:
            o.lift *= CREATOR_LIVE_PROPENSITY if o.creator else LIVE_DAY_PROPENSITY
        o.anxin = "是" if group == "apparel" and rng.random() < 0.3 else "否"
        # logistics plan
        pricey = max(p.price_cents for p in products) >= 30000
        weights = CARRIER_WEIGHTS_PRICEY if pricey else (CARRIER_WEIGHTS_REMOTE if o.remote == 3 else CARRIER_WEIGHTS)
        o.carrier = rng.choices(CARRIERS, weights=weights)[0]
        o.tracking = _tracking(rng, o.carrier)
        if o.pay:
            delay = rng.lognormvariate(math.log(18), 0.5)
            if spike:
                delay = rng.uniform(40, 80)
            o.planned_ship = o.pay + _h(min(delay, 70 if not spike else 90))
            o.promise = o.pay + timedelta(hours=48)
            if presale:  # 预售: the whole batch ships on the batch day
                batch = datetime.combine(self.batch_day, datetime.min.time())
                o.planned_ship = batch + _h(rng.uniform(9, 20))
                o.promise = batch + timedelta(hours=23, minutes=59, seconds=59)
            o.ship = o.planned_ship
        else:
            o.planned_ship = None
        transit = {0: (20, 40), 1: (36, 66), 2: (50, 90), 3: (80, 130)}[o.remote]
        if o.province == PLANTED_PROVINCE:
            transit = (110, 210)
        o.transit_h = rng.uniform(*transit)
        o.main_id = self._time_id(5 if rng.random() < 0.08 else 6, o.submit, rng)
        for k, p in enumerate(products):
            s = SubOrder(o, p)
            s.sub_id = o.main_id + (k + 1) * 65536
            while s.sub_id in self.used_ids:
                s.sub_id += 1
            self.used_ids.add(s.sub_id)
            s.spec_idx = rng.randrange(len(p.specs))
            cheap = p.price_cents < 6000
            s.qty = rng.choices((1, 2, 3), weights=(80, 15, 5) if cheap else (95, 4, 1))[0]
            if spike:
                s.qty = 1
            goods = s.goods_cents
            s.platform_disc = 0
            if rng.random() < 0.25:
                s.platform_disc = min(rng.choice((100, 200, 300, 500, 1000)), goods // 10)
            s.merchant_disc, s.merchant_label = 0, ""
            if rng.random() < 0.3:
                coupon = 300 if goods < 5000 else 500 if goods < 10000 else 1000 if goods < 30000 else 5000
                s.merchant_disc = coupon
                s.merchant_label = rng.choice(("店铺券", "店铺券", "满减券", "新人券")) if rng.random() < 0.5 else ""
            s.creator_disc = 0
            if o.creator and rng.random() < 0.2:
                s.creator_disc = rng.choice((200, 300, 500))
            s.shipping = 0
            if k == 0 and o.province in REMOTE_FEE_PROVINCES and rng.random() < 0.4:
                s.shipping = rng.choice((1000, 1500))
            s.pay_disc = rng.choice((50, 100, 150, 200, 300)) if rng.random() < 0.06 else 0
            o.subs.append(s)
        return o

    def _build_orders(self):
        for (y, mo) in self.year_months:
            for day, n in self._daily_counts(y, mo):
                for _ in range(n):
                    self.orders.append(self._new_order(day))
                if day == self.spike_day:
                    spike_pool = [PRODUCT_BY_KEY[k] for k in SPIKE_PRODUCTS]
                    extra = round(2.0 * n * 1.13)
                    for _ in range(extra):
                        p = self.rng.choice(spike_pool)
                        self.orders.append(self._new_order(day, spike=True, products=[p]))
                if day in self.presale_days:
                    for _ in range(SURGE_PRESALE_ORDERS):
                        self.orders.append(self._new_order(day, presale=True,
                                                           products=[PRODUCT_BY_KEY[SURGE_PRODUCT]]))
        # three orders paid the month before the first month, not in any order export
        py, pm = prev_month(*self.year_months[0])
        last = month_end(py, pm)
        for k, key in enumerate(("jeans", "wok", "earbuds")):
            o = self._new_order(last - timedelta(days=2 - k), exported=False, products=[PRODUCT_BY_KEY[key]])
            self.orders.append(o)
        for o in self.orders:
            o.export_month = (o.submit.year, o.submit.month)

    # -- after-sales: who --------------------------------------------------------------
    def _main_rate_at(self, p: Product, day: date) -> float:
        if p.key == INTERVENTION_PRODUCT and day >= self.start_day:
            return INTERVENTION_AFTER_RATE
        return p.rate

    def _main_rate(self, s: SubOrder) -> float:
        """The sub-order's propensity of a refund on the main channel: its product's rate (the
        intervention's after its start) and drift, the creator's multiplier, its order's traffic
        lift and its pay day's propensity.  The intervention and its controls do not drift and
        get only the day's propensity centred on its week (:attr:`DayPlan.centred`): their daily
        counts move with the day, their before/after rates stay what was planted."""
        o = s.order
        day = o.pay.date()
        rate = self._main_rate_at(s.product, day) * self._drift_at(s.product, day)
        if o.creator:
            rate *= o.creator["mult"]
        plan = self._day(day)
        if s.product.key in (INTERVENTION_PRODUCT, *CONTROL_PRODUCTS):
            return rate * plan.centred
        return rate * o.lift * plan.propensity

    def _assign(self):
        """Decide which paid sub-orders get which after-sale.

        The planted high-return product, the intervention and control products, the 新疆
        orders and the carriers' damage run in their own sequences over time with systematic
        sampling, so their rates (per month, before/after, per carrier) are what was planted
        (±1 refund, times the days' propensities); every other sub-order is
        drawn independently with its own propensity, so daily counts carry the day's mix, its
        live sessions and promotions, its random effect, and binomial noise on top."""
        rng = self.rng_as
        by_day: dict[date, list[SubOrder]] = {}
        self._events: list[tuple[SubOrder, str]] = []  # (sub, channel)
        for o in self.orders:
            if o.pay is None:
                continue
            if not o.exported:  # paid before the first month: forced late returns
                self._events += [(s, "pre") for s in o.subs]
                continue
            for s in o.subs:
                by_day.setdefault(o.pay.date(), []).append(s)

        def damage_p(s: SubOrder) -> float:
            return 0.046 if s.order.carrier == PLANTED_CARRIER else 0.0105

        def comps_of(s: SubOrder, damage: bool = False) -> dict[str, float]:
            if s.order.spike:
                return {"spike": 0.66}
            c = {"main": self._main_rate(s)}
            if s.order.province == PLANTED_PROVINCE:
                c["xj"] = c["main"] + 0.025
            if damage:
                c["damage"] = damage_p(s) * 0.87  # the share not already refunded for another reason
            if s.order.presale:
                c["surge"] = SURGE_APPLY_SHARE
            return c

        refunded: set[int] = set()

        def picked(s: SubOrder, comps: dict[str, float]) -> None:
            ch = _pick(rng, comps)
            self._events.append((s, ch))
            refunded.add(s.sub_id)
            if ch not in ("spike", "surge") and rng.random() < 0.05:
                self._events.append((s, "reapply"))

        def not_picked(s: SubOrder, comps: dict[str, float], total: float) -> None:
            if not s.order.spike:
                q = 0.42 * comps.get("main", 0.1) / max(0.05, 1 - total)
                if rng.random() < q:
                    self._events.append((s, "other"))
            elif rng.random() < 0.05:
                self._events.append((s, "other"))

        def systematic(units: list[tuple[SubOrder, dict[str, float]]]) -> None:
            """Unit i is picked with probability sum(comps_i) exactly, and the number picked is
            within ±1 of its expectation along the sequence."""
            offset, cum = rng.random(), 0.0
            for s, comps in units:
                total = min(0.95, sum(comps.values()))
                lo, hi = cum - offset, cum + total - offset
                cum += total
                if math.floor(hi) > math.floor(lo):
                    picked(s, comps)
                else:
                    not_picked(s, comps, total)

        def independent(units: list[tuple[SubOrder, dict[str, float]]]) -> None:
            for s, comps in units:
                total = min(0.95, sum(comps.values()))
                if rng.random() < total:
                    picked(s, comps)
                else:
                    not_picked(s, comps, total)

        own_keys = ("dress", INTERVENTION_PRODUCT, *CONTROL_PRODUCTS, "xj")

        def own_key(s: SubOrder) -> str | None:
            if s.order.spike:
                return None
            if s.order.province == PLANTED_PROVINCE:
                return "xj"
            return s.product.key if s.product.key in own_keys else None

        own: dict[str, list[SubOrder]] = {k: [] for k in own_keys}
        for day in sorted(by_day):
            for s in sorted(by_day[day], key=lambda s: (s.order.pay, s.sub_id)):
                k = own_key(s)
                if k:
                    own[k].append(s)
        for k in own_keys:
            systematic([(s, comps_of(s, damage=True)) for s in own[k]])
        self._own = {id(s) for k in own_keys for s in own[k]}
        for day in sorted(by_day):
            subs = sorted((s for s in by_day[day] if own_key(s) is None),
                          key=lambda s: (s.order.pay, s.sub_id))
            independent([(s, comps_of(s)) for s in subs])
        # damage in transit: systematic per carrier over every shipped sub-order
        by_carrier: dict[str, list[SubOrder]] = {}
        for day in sorted(by_day):
            for s in by_day[day]:
                if not s.order.spike and id(s) not in self._own:
                    by_carrier.setdefault(s.order.carrier, []).append(s)
        for carrier in CARRIERS:
            subs = by_carrier.get(carrier, [])  # in pay-day order: evenly spread over time
            offset, cum = rng.random(), 0.0
            for s in subs:
                p = damage_p(s)
                lo, hi = cum - offset, cum + p - offset
                cum += p
                if math.floor(hi) > math.floor(lo) and s.sub_id not in refunded:
                    self._events.append((s, "damage"))
        # the quantile of each after-sale's delay distribution (independent: real apply dates
        # are as noisy as the refunds behind them)
        self._u = [rng.random() for _ in self._events]

    # -- after-sales: what and when ----------------------------------------------------
    def _type_for(self, s: SubOrder, ch: str) -> str:
        rng = self.rng_as
        p = s.product
        if ch == "spike":
            return "unshipped"
        if ch == "pre":
            return "return"
        if ch == "damage":
            return rng.choices(("shipped", "return"), weights=(58, 42))[0]
        if ch == "xj":
            return rng.choices(("shipped", "unshipped", "return"), weights=(55, 28, 17))[0]
        if ch == "surge":  # a faulty power bank: sent back, or a refund after receipt
            return rng.choices(("return", "shipped"), weights=(65, 35))[0]
        mix = TYPE_MIX_DRESS if p.key == "dress" else TYPE_MIX[p.group]
        return rng.choices(("return", "shipped", "unshipped"), weights=mix)[0]

    def _reason_for(self, s: SubOrder, ch: str, kind: str) -> tuple[str, str]:
        rng = self.rng_as
        p = s.product
        o = s.order
        if ch == "spike":
            r = _pick(rng, {R_REGRET: 80, R_LATE: 8, R_OTHER: 6, R_NEGOTIATED_OLD: 6})
            return r, ("regret" if r == R_REGRET else REASON_FAMILY[r])
        if ch == "damage":
            r = rng.choice(DAMAGE_REASONS)
            return r, "damage"
        if ch == "surge":
            r = _pick(rng, REASONS_SURGE)
            return r, REASON_FAMILY[r]
        if ch == "xj":
            if kind == "unshipped":
                return R_LATE, "late"
            if kind == "shipped":
                r = _pick(rng, {R_NOT_ARRIVED: 78, R_NO_TRACK: 22})
                return r, "transit"
            r = _pick(rng, {R_OTHER: 50, R_REGRET: 50})
            return r, "transit"
        if kind == "exchange":
            r = _pick(rng, REASONS_EXCHANGE.get(p.group, REASONS_EXCHANGE["default"]))
        elif kind == "reship":
            r = _pick(rng, REASONS_RESHIP)
        elif kind == "unshipped":
            r = _pick(rng, REASONS_UNSHIPPED)
        elif kind == "shipped":
            r = _pick(rng, REASONS[(p.group, "shipped")])
        else:
            if p.key == "dress":
                r = _pick(rng, REASONS_DRESS_RETURN)
            elif p.key == INTERVENTION_PRODUCT:
                before = o.pay.date() < self.start_day
                if rng.random() < (0.45 if before else 0.14):
                    return _pick(rng, REASONS_SHELF_INSTALL), "install"
                r = _pick(rng, REASONS[(p.group, "return")])
            else:
                r = _pick(rng, REASONS[(p.group, "return")])
        return r, REASON_FAMILY.get(r, "other")

    def _note_for(self, a: AfterSale) -> str:
        rng = self.rng_txt
        s = a.sub
        if rng.random() < 0.28:
            return "-"
        fam = a.family
        keys = []
        if s.order.spike:
            keys.append((fam, "spike"))
        if s.order.presale and a.family in ("function", "quality") and a.outcome == "refund":
            keys.append((fam, "surge"))
        if s.product.key == "dress":
            keys.append((fam, "dress"))
        if s.product.key == INTERVENTION_PRODUCT:
            keys.append((fam, "shelf"))
        if s.order.province == PLANTED_PROVINCE:
            keys.append((fam, "xj"))
        keys += [(fam, s.product.group), (fam, "default")]
        for k in keys:
            if k in NOTES:
                return rng.choice(NOTES[k])
        return "-"

    def _lag_hours(self, a: AfterSale, u: float, ch: str) -> datetime:
        """Apply time of an after-sale (quantile ``u`` of its delay distribution)."""
        t = self._lag(a, u, ch)
        if a.kind != "unshipped" and t.hour < 7:  # buyers apply while awake
            t += timedelta(hours=7)
        if ch == "pre":
            t = max(t, datetime.combine(self.first_day, datetime.min.time()) + _h(9 + 30 * u))
        return t

    def _lag(self, a: AfterSale, u: float, ch: str) -> datetime:
        """When the buyer applies, by type (the quantile ``u`` of the delay):

        * 未发货仅退款: hours after paying (a lognormal with a median of 3 h), never after the
          parcel ships — up to a couple of days when shipping waits (pre-sale, a big live day);
          a 未按约定时间发货 complaint late in the shipping window;
        * 已发货仅退款 while in transit (days after shipping): a parcel stuck on its way, or a
          buyer who no longer wants it and agrees a refund with the shop before it arrives;
        * after receipt (退货退款, 已收货仅退款): damage, missing or wrong items within hours of
          opening; everything else mostly within the 7-day no-reason window after delivery, with
          a tail to 30+ days (longer for faults found with use);
        * the surge batch: most on the surge day, the rest within three days.
        """
        s = a.sub
        o = s.order
        if a.kind == "unshipped":
            window = (o.ship - o.pay).total_seconds() / 3600 if o.ship else 48
            if ch == "spike":
                lag = _lognormal_q(u, 0.9, 0.8)
                end_of_day = datetime.combine(o.pay.date(), datetime.min.time()) + timedelta(hours=23, minutes=50)
                t = min(o.pay + _h(lag), end_of_day)
                return t if t < (o.ship or t + timedelta(days=1)) else o.pay + _h(window * 0.5)
            if a.reason == R_LATE:
                lag = window * (0.55 + 0.4 * u)
            else:
                lag = min(_lognormal_q(u, 3, 1.2), window * 0.9)
            return o.pay + _h(max(lag, 0.02))
        ship = o.ship
        delivery = ship + _h(o.transit_h)
        if ch == "surge":
            day = datetime.combine(self.surge_day, datetime.min.time())
            if u < SURGE_ON_DAY_SHARE:
                return max(delivery + _h(2), day + _h(8)) + _h(15 * u / SURGE_ON_DAY_SHARE)
            v = (u - SURGE_ON_DAY_SHARE) / (1 - SURGE_ON_DAY_SHARE)
            return max(delivery + _h(2), day + _h(32)) + _h(60 * v)
        if a.family == "transit":
            if a.kind == "shipped":
                return ship + _h(o.transit_h * (0.55 + 0.35 * u))
            return delivery + _h(_lognormal_q(u, 10, 0.6))
        if a.family in ("damage", "missing", "wrong"):
            return delivery + _h(_lognormal_q(u, 8, 0.8))
        late_faults = a.family in ("quality", "function", "allergy", "food")
        if a.kind == "shipped":
            if a.family in ("negotiated", "other", "regret") and u < 0.55:
                # agreed with the shop while the parcel is on its way (拦截 / 拒收)
                return ship + _h(o.transit_h * (0.1 + 0.8 * u / 0.55))
            v = (u - 0.55) / 0.45 if a.family in ("negotiated", "other", "regret") else u
            return delivery + _h(_after_receipt(v, 30, 0.9, 0.15 if late_faults else 0.08))
        if late_faults:
            return delivery + _h(_after_receipt(u, 48, 0.9, 0.25))
        return delivery + _h(_after_receipt(u, 60, 0.9, 0.12, tail_days=30))

    def _lifecycle(self, a: AfterSale):
        """Fill stages/times for the after-sale's path."""
        rng = self.rng_as
        s = a.sub
        o = s.order
        t0 = a.apply
        st = a.stages
        tm = a.times
        st.append((t0, "待商家处理", 48))
        small = s.payable_goods <= 20000
        if a.kind in ("unshipped", "shipped") and a.outcome == "refund":
            a.fast = a.kind == "unshipped" and small and rng.random() < 0.7
            agree = t0 + (_h(rng.uniform(0.01, 0.1)) if a.fast else _h(rng.lognormvariate(math.log(5), 0.9)))
            if a.kind == "shipped" and s.delivery is not None and t0 < s.delivery and a.family != "transit":
                # refund-only while the parcel travels: the shop intercepts it first (拦截)
                agree = t0 + _h(min(rng.lognormvariate(math.log(30), 0.7), 47.5))
            refund = agree + timedelta(seconds=rng.randint(3, 90))
            recv = refund + timedelta(seconds=rng.randint(30, 7200))
            tm.update(同意售后申请时间=agree, 商家退款时间=refund, 用户到账时间=recv,
                      售后完结时间=recv + timedelta(seconds=rng.randint(0, 5)))
            st += [(refund, "同意退款，退款中", 24), (recv, "同意退款，退款成功", None)]
            a.operator = "系统" if a.fast else rng.choice(OPERATORS)
            return
        if a.kind == "return" and a.outcome == "refund":
            # the buyer has 7 days to send it back; the return travels 2–5 days; the shop checks
            # it within 48 h (slow ones longer, a few disputed)
            agree = t0 + _h(rng.lognormvariate(math.log(6), 0.9))
            slow = rng.random() < 0.12
            ret_ship = agree + _h(min(rng.lognormvariate(math.log(40), 0.9) * (2 if slow else 1), 7 * 24 - 1))
            arrive = ret_ship + _h(rng.uniform(40, 110))
            refund = arrive + _h(min(rng.lognormvariate(math.log(20), 0.8), 47) * (2.5 if slow else 1)
                                 + (rng.uniform(48, 150) if rng.random() < 0.05 else 0))
            recv = refund + timedelta(seconds=rng.randint(30, 7200))
            tm.update(同意售后申请时间=agree, 退货发货时间=ret_ship, 商家退款时间=refund,
                      用户到账时间=recv, 售后完结时间=recv + timedelta(seconds=rng.randint(0, 5)),
                      _return_arrive=arrive)
            st += [(agree, "待买家退货", 7 * 24), (ret_ship, "待商家收货", 10 * 24),
                   (recv, "同意退款，退款成功", None)]
            self._return_logistics(a)
            a.operator = rng.choice(OPERATORS)
            return
        if a.kind in ("exchange", "reship"):
            agree = t0 + _h(rng.lognormvariate(math.log(8), 0.8))
            tm["同意售后申请时间"] = agree
            if a.kind == "exchange":
                ret_ship = agree + _h(rng.uniform(6, 96))
                arrive = ret_ship + _h(rng.uniform(30, 96))
                resend = arrive + _h(rng.uniform(4, 48))
                done = resend + _h(rng.uniform(40, 110))
                tm.update(退货发货时间=ret_ship, _return_arrive=arrive, _exchange_ship=resend,
                          售后完结时间=done)
                st += [(agree, "待买家退货", 7 * 24), (ret_ship, "待商家收货", 10 * 24),
                       (resend, "换货待买家收货", 10 * 24), (done, "换货成功", None)]
                self._return_logistics(a)
                a.exchange_tracking = _tracking(rng, o.carrier)
            else:
                resend = agree + _h(rng.uniform(4, 40))
                done = resend + _h(rng.uniform(40, 100))
                tm.update(_exchange_ship=resend, 售后完结时间=done)
                st += [(resend, "补寄待买家收货", 10 * 24), (done, "补寄成功", None)]
                a.exchange_tracking = _tracking(rng, o.carrier)
                a.merchant_note = "已补发配件" if rng.random() < 0.5 else "-"
            a.operator = rng.choice(OPERATORS)
            return
        if a.outcome == "rejected":
            when = t0 + _h(rng.uniform(3, 40))
            st.append((when, "拒绝售后申请", None))
            a.operator = rng.choice(OPERATORS)
            if rng.random() < 0.15:
                a.arbitration = "仲裁结束"
                a.liability = "买家责任"
            return
        # closed: buyer cancelled, or the return window ran out
        if a.kind == "return" and rng.random() < 0.6:
            agree = t0 + _h(rng.lognormvariate(math.log(6), 0.9))
            tm["同意售后申请时间"] = agree
            st.append((agree, "待买家退货", 7 * 24))
            close = agree + _h(rng.choice((rng.uniform(6, 120), 7 * 24)))
        else:
            close = t0 + _h(rng.lognormvariate(math.log(4), 1.0))
        tm.update(售后关闭时间=close, 售后完结时间=close)
        st.append((close, "售后关闭", None))
        a.operator = "-" if rng.random() < 0.7 else "系统"

    def _return_logistics(self, a: AfterSale):
        rng = self.rng_as
        a.return_carrier = rng.choices(RETURN_CARRIERS, weights=RETURN_CARRIER_WEIGHTS)[0]
        a.return_tracking = _tracking(rng, a.return_carrier)

    def _make_after_sale(self, s: SubOrder, ch: str, u: float) -> AfterSale | None:
        rng = self.rng_as
        o = s.order
        if ch == "other":
            r = rng.random()
            if r < 0.5:
                outcome = "closed"
                kind = rng.choices(("return", "shipped", "unshipped"), weights=(50, 20, 30))[0]
            elif r < 0.58:
                outcome, kind = "rejected", rng.choices(("return", "shipped"), weights=(70, 30))[0]
            elif r < 0.88:
                outcome, kind = "done", "exchange"
            else:
                outcome, kind = "done", "reship"
        elif ch == "surge" and rng.random() < 0.4:  # a faulty unit swapped for a good one
            outcome, kind = "done", "exchange"
        else:
            outcome, kind = "refund", self._type_for(s, ch)
        if kind != "unshipped" and (o.ship is None or not s.shipped):
            return None
        reason, family = self._reason_for(s, "main" if ch in ("other", "pre") else ch, kind)
        if ch == "other" and kind == "exchange" and s.product.key == INTERVENTION_PRODUCT:
            family = "install" if rng.random() < 0.3 else family
        a = AfterSale(sub=s, kind=kind, outcome=outcome, reason=reason, family=family,
                      apply=o.pay, u=u)
        a.apply = self._lag_hours(a, u if ch != "other" else rng.random(), ch)
        return a

    def _build_after_sales(self):
        rng = self.rng_as
        made: list[tuple[AfterSale, str]] = []
        reapply: list[SubOrder] = []
        for (s, ch), u in zip(self._events, self._u):
            if ch == "reapply":
                reapply.append(s)
                continue
            a = self._make_after_sale(s, ch, u)
            if a is not None:
                made.append((a, ch))
        # 1. pre-ship after-sales decide whether (and when) the order ships
        for a, _ch in made:
            if a.kind != "unshipped":
                continue
            s, o = a.sub, a.sub.order
            if a.outcome == "refund":
                s.shipped = False
            self._lifecycle(a)
            if a.outcome != "refund" and o.ship is not None:
                o.ship = max(o.ship, a.final_time + _h(rng.uniform(0.5, 8)))
        for o in self.orders:
            if o.pay is not None and not any(s.shipped for s in o.subs):
                o.ship = None
        # 2. post-ship after-sales, timed now that ship times are final
        kept: list[AfterSale] = []
        post: list[tuple[AfterSale, str]] = []
        for a, ch in made:
            if a.kind != "unshipped":
                s = a.sub
                if not s.shipped or s.order.ship is None:
                    continue
                u = a.u if ch not in ("other",) else rng.random()
                a.apply = self._lag_hours(a, u, ch)
                post.append((a, ch))
            kept.append(a)
        for a, _ch in post:
            self._lifecycle(a)
        # 3. re-applications: the buyer cancelled an earlier application, then applied again
        first_refund: dict[int, AfterSale] = {}
        for a in kept:
            if a.outcome == "refund":
                first_refund.setdefault(a.sub.sub_id, a)
        for s in reapply:
            r = first_refund.get(s.sub_id)
            if r is None:
                continue
            c = AfterSale(sub=s, kind=r.kind, outcome="closed", reason=r.reason, family=r.family,
                          apply=r.apply - _h(rng.uniform(6, 60)))
            lower = s.order.pay if r.kind == "unshipped" else s.ship_time
            if lower is None or c.apply <= lower:
                continue
            close = c.apply + (r.apply - c.apply) * rng.uniform(0.2, 0.8)
            c.stages = [(c.apply, "待商家处理", 48), (close, "售后关闭", None)]
            c.times = {"售后关闭时间": close, "售后完结时间": close}
            c.operator = "-"
            kept.append(c)
        # every after-sale the sub-orders get (the truth), and what happened by the export date
        out = []
        for a in kept:
            o = a.sub.order
            if a.apply < o.pay:
                continue
            if a.kind != "unshipped" and (a.sub.ship_time is None or a.apply < a.sub.ship_time):
                continue
            self.eventual.append(a)
            if a.apply <= self.as_of:
                out.append(a)
        self._finish_texts(out)
        out.sort(key=lambda a: (a.apply, a.sub.sub_id))
        self.after_sales = out
        for a in out:
            a.sub.after_sales.append(a)
        self._completion_times()

    def _finish_texts(self, lst: list[AfterSale]):
        rng = self.rng_txt
        for a in lst:
            s = a.sub
            a.type_text = {"return": "退货退款", "shipped": "已发货仅退款", "unshipped": "未发货仅退款",
                           "exchange": "换货", "reship": "补寄"}[a.kind]
            if a.kind in ("shipped", "unshipped") and rng.random() < 0.04:
                a.type_text = {"shipped": "已发货退款", "unshipped": "未发货退款"}[a.kind]
            a.note = self._note_for(a)
            if (a.family == "regret" and not self._script_note_done
                    and (s.order.submit.year, s.order.submit.month) == self.year_months[-1]):
                # a buyer who clicks 不想要 but writes of a defect, pasting markup: chapter 4's
                # mismatch table must show the markup as text, never run it
                a.note = "<script>alert(1)</script> 用了一次就坏了，开关失灵"
                self._script_note_done = True
            elif (a.note and self._pii_notes < len(PII_NOTE_SUFFIXES)
                  and a.family in ("quality", "function", "transit")
                  and (s.order.submit.year, s.order.submit.month) == self.year_months[-1]):
                # personal data a buyer typed into the note: masked by the loader, never shown
                a.note += PII_NOTE_SUFFIXES[self._pii_notes]
                self._pii_notes += 1
            if rng.random() < 0.45:
                labels = LABELS.get(a.family, ("其他",))
                if s.product.group != "apparel" and a.family in ("size", "effect"):
                    labels = labels[-1:]  # 尺寸不符 / 效果不好 rather than 尺码 / 上身效果
                a.label = rng.choice(labels)
            # money
            if a.kind in ("exchange", "reship"):
                a.refund_cents = 0
            elif a.kind == "shipped" and a.family in ("negotiated", "missing", "quality") and rng.random() < 0.4:
                a.refund_cents = max(100, round(s.payable_goods * rng.uniform(0.2, 0.6) / 100) * 100)
                a.refund_cents = min(a.refund_cents, s.payable_goods)
            else:
                a.refund_cents = s.payable_goods
            a.refund_ship_cents = s.shipping if a.kind == "unshipped" else 0
            a.refuse_sign = a.family == "transit" and a.kind == "shipped" and rng.random() < 0.4
            if rng.random() < 0.06:
                a.merchant_note = rng.choice(MERCHANT_AFTER_SALE_NOTES)
            a.trail = tuple(k for k in ("商品名称", "售后原因", "退货物流公司", "用户售后说明")
                            if rng.random() < 0.012)

    def _completion_times(self):
        rng = self.rng
        for o in self.orders:
            if o.pay is None or o.ship is None:
                continue
            for s in o.subs:
                if not s.shipped:
                    continue
                t = s.delivery + _h(rng.choice((rng.uniform(2, 100), rng.uniform(2, 100), 10 * 24)))
                for a in s.after_sales:
                    t = max(t, a.final_time + _h(rng.uniform(0.1, 6)))
                s.complete = t

    # -- ids for after-sales and edge cases --------------------------------------------
    def _after_sale_ids(self):
        rng = self.rng_as
        for a in self.after_sales:
            a.aid = str(self._time_id(7, a.apply, rng))
        # one 18-digit 售后单号 (older numbering) in the last month, outside the overlap window
        y, mo = self.year_months[-1]
        cands = [a for a in self.after_sales
                 if a.apply.year == y and a.apply.month == mo and a.apply.day >= 26
                 and a.outcome == "refund"]
        if cands:
            cands[len(cands) // 2].aid = "1" + "".join(str(rng.randrange(10)) for _ in range(17))

    def _make_broken(self):
        """Two after-sales that reach us only as rows mangled by an Excel re-save."""
        rng = random.Random(f"returns_kit.sample:{self.seed}:broken")
        y, mo = self.year_months[-1]
        subs = [s for o in self.orders if o.exported and o.pay and o.ship and o.pay.year == y
                and o.pay.month == mo and 3 <= o.pay.day <= 10 for s in o.subs
                if not s.after_sales and s.shipped]
        subs.sort(key=lambda s: s.sub_id)
        self.broken_after_sales = []
        for s in (subs[len(subs) // 3], subs[2 * len(subs) // 3]):
            a = AfterSale(sub=s, kind="return", outcome="closed", reason=R_DISLIKE, family="effect",
                          apply=s.delivery + _h(rng.uniform(20, 60)), broken=True)
            c = a.apply + _h(rng.uniform(5, 48))
            a.stages = [(a.apply, "待商家处理", 48), (c, "售后关闭", None)]
            a.times = {"售后关闭时间": c, "售后完结时间": c}
            a.type_text, a.aid = "退货退款", "6986850000000000000"
            a.refund_cents = s.payable_goods
            s.after_sales.append(a)
            if s.complete is not None:
                s.complete = max(s.complete, c + _h(2))
            self.broken_after_sales.append(a)

    def run(self) -> SimulatedSample:
        """Orders, then who gets an after-sale, then the after-sales, their IDs and the two
        broken ones: the random streams are consumed in exactly this order."""
        self._build_orders()
        rng = self.rng
        for o in self.orders:
            for s in o.subs:
                s.trail_space = rng.random() < 0.004
        self._assign()
        self._build_after_sales()
        self._after_sale_ids()
        self._make_broken()
        self.eventual.sort(key=lambda a: (a.apply, a.sub.sub_id))
        return SimulatedSample(months=self.months, year_months=self.year_months, seed=self.seed,
                               plan=self.plan, as_of=self.as_of, orders=self.orders,
                               after_sales=self.after_sales,
                               broken_after_sales=self.broken_after_sales, text_rng=self.rng_txt,
                               export_lag_days=self.export_lag_days,
                               eventual_after_sales=self.eventual, days=dict(self.days),
                               drift=dict(self.drift))
