"""What the sample month *is*: the shop's catalog and vocabularies, and the planted signals.

Pure data and small pure functions, no randomness beyond the fixed IDs (which are seeded by
constant strings, never by the data seed):

* sizes: :data:`DEFAULT_MONTHS`, :data:`TARGET_PAID_SUB_ORDERS`, :data:`REPEAT_BUYER_SHARE`, and
  when the data are pulled (:data:`EXPORT_LAG_DAYS`);
* what moves a day's refund propensity (traffic mix, shop live sessions, creators' 专场, platform
  promotions, a day-level random effect) and the slow drift of each product's propensity;
* the catalog (:class:`Product`, :data:`CATALOG`, :data:`PRODUCT_BY_KEY`) and the creators
  (:data:`CREATORS`);
* the planted signals (:func:`planted_for`, :data:`PLANTED`, :func:`as_of_for`) with the plans of
  the 罗盘 downloads, the 蝉妈妈 competitor table and the one-day surge of applications;
* month helpers (:func:`parse_month`, :func:`month_end`, :func:`next_month`, :func:`prev_month`);
* geography, carriers, payment and app mixes, after-sale reasons (the exact texts of reference
  §3.7, ``R_*``), reason families, buyer notes, labels, operators.

:mod:`.simulate` draws from these; :mod:`.exports` renders with them.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DEFAULT_MONTHS: tuple[str, ...] = ("2026-08", "2026-09", "2026-10")

#: paid sub-orders per month the generator aims at (before the spike day's extra orders)
TARGET_PAID_SUB_ORDERS = 4000

#: Share of orders placed by a buyer who already ordered (same masked name, phone and district).
REPEAT_BUYER_SHARE = 0.15

#: The kit's export is pulled this many days after the last month ends (a merchant pulling last
#: month's data in the first week of the next month), so the last month is immature: returns of
#: its last two weeks are still on their way and many after-sales are still 处理中.
EXPORT_LAG_DAYS = 8

# ------------------------------------------------------------------------------------------
# Catalog
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    key: str
    product_id: str  # 19 digits, starts with 3
    name: str
    category: str
    group: str  # apparel / home / beauty / food / digital: drives reasons and notes
    price_cents: int
    cost_cents: int
    weight: float  # relative share of sub-orders
    rate: float  # expected successful-refund probability of the main channel
    item_code: str  # 货号
    specs: tuple[str, ...]  # 商品规格 texts

    @property
    def price(self) -> float:
        return self.price_cents / 100


_COLORS_DRESS = ("碎花米白", "碎花蓝", "碎花黑")
_SIZES = ("S", "M", "L", "XL")

#: (key, name, category, group, price, cost, weight, rate, item code, specs)
_CATALOG_ROWS: tuple[tuple, ...] = (
    ("dress", "法式碎花连衣裙", "女装/连衣裙", "apparel", 159.00, 52.00, 380, 0.345, "JY2406-01",
     tuple(f"颜色:{c};尺码:{s}" for c in _COLORS_DRESS for s in _SIZES)),
    ("knit_dress", "小香风针织连衣裙", "女装/连衣裙", "apparel", 239.00, 86.00, 80, 0.107, "JY2408-03",
     tuple(f"颜色:{c};尺码:{s}" for c in ("奶白", "燕麦") for s in _SIZES)),
    ("tshirt", "纯棉宽松短袖T恤", "女装/上衣", "apparel", 59.90, 18.50, 210, 0.07, "JY2405-11",
     tuple(f"颜色:{c};尺码:{s}" for c in ("白色", "黑色", "杏色") for s in _SIZES)),
    ("shirt", "醋酸缎面衬衫", "女装/上衣", "apparel", 139.00, 48.00, 90, 0.09, "JY2407-06",
     tuple(f"颜色:{c};尺码:{s}" for c in ("香槟", "雾霾蓝") for s in _SIZES)),
    ("cardigan", "羊毛混纺开衫", "女装/上衣", "apparel", 299.00, 112.00, 60, 0.082, "JY2409-02",
     tuple(f"颜色:{c};尺码:{s}" for c in ("燕麦", "藏青") for s in ("S", "M", "L"))),
    ("wide_pants", "冰丝阔腿裤", "女装/裤装", "apparel", 79.90, 24.00, 150, 0.09, "JY2405-21",
     tuple(f"颜色:{c};尺码:{s}" for c in ("黑色", "灰色") for s in _SIZES)),
    ("jeans", "高腰直筒牛仔裤", "女装/裤装", "apparel", 129.00, 42.00, 100, 0.098, "JY2406-18",
     tuple(f"颜色:{c};尺码:{s}" for c in ("浅蓝", "深蓝") for s in ("25", "26", "27", "28", "29"))),
    ("coat", "双面羊绒大衣", "女装/外套", "apparel", 1299.00, 520.00, 16, 0.098, "JY2409-08",
     tuple(f"颜色:{c};尺码:{s}" for c in ("驼色", "黑色") for s in ("S", "M", "L"))),
    ("down", "轻薄羽绒服", "女装/外套", "apparel", 399.00, 150.00, 45, 0.082, "JY2409-12",
     tuple(f"颜色:{c};尺码:{s}" for c in ("黑色", "米白") for s in _SIZES)),
    ("shelf", "三层免打孔置物架", "家居/收纳", "home", 89.00, 31.00, 850, 0.245, "JJ2403-01",
     ("颜色:白色;规格:三层", "颜色:黑色;规格:三层")),
    ("box_set", "桌面收纳盒三件套", "家居/收纳", "home", 39.90, 12.00, 280, 0.115, "JJ2402-05",
     ("颜色:奶白;规格:三件套", "颜色:浅灰;规格:三件套")),
    ("fold_box", "可折叠收纳箱", "家居/收纳", "home", 49.90, 16.00, 270, 0.107, "JJ2402-09",
     ("规格:大号66L", "规格:中号45L")),
    ("divider", "衣柜分层隔板", "家居/收纳", "home", 59.00, 19.00, 270, 0.119, "JJ2404-02",
     ("规格:两片装", "规格:四片装")),
    ("vacuum_bag", "真空压缩收纳袋", "家居/收纳", "home", 29.90, 8.00, 80, 0.057, "JJ2401-07",
     ("规格:8件套", "规格:12件套")),
    ("blanket", "珊瑚绒毛毯", "家居/床品", "home", 69.00, 22.00, 110, 0.066, "JJ2409-03",
     ("规格:150x200cm", "规格:200x230cm")),
    ("bedding", "纯棉四件套", "家居/床品", "home", 199.00, 70.00, 60, 0.082, "JJ2408-11",
     ("规格:1.5m床", "规格:1.8m床")),
    ("pillow", "记忆棉枕头", "家居/床品", "home", 89.00, 28.00, 70, 0.074, "JJ2407-04",
     ("规格:单只装", "规格:一对装")),
    ("wok", "不粘锅炒锅", "家居/厨具", "home", 159.00, 55.00, 60, 0.066, "JJ2405-15",
     ("规格:30cm", "规格:32cm")),
    ("glass_box", "玻璃保鲜盒套装", "家居/厨具", "home", 49.90, 15.00, 90, 0.049, "JJ2403-08",
     ("规格:5件套", "规格:8件套")),
    ("cup", "304不锈钢保温杯", "家居/厨具", "home", 69.00, 21.00, 90, 0.049, "JJ2406-06",
     ("颜色:白色;规格:500ml", "颜色:绿色;规格:500ml")),
    ("mask", "玻尿酸补水面膜", "美妆/护肤", "beauty", 59.90, 14.00, 150, 0.049, "MZ2405-01",
     ("规格:10片/盒", "规格:20片/盒")),
    ("serum", "烟酰胺精华液", "美妆/护肤", "beauty", 129.00, 30.00, 70, 0.066, "MZ2406-03",
     ("规格:30ml", "规格:50ml")),
    ("cleanser", "氨基酸洗面奶", "美妆/护肤", "beauty", 39.90, 9.00, 90, 0.041, "MZ2404-02",
     ("规格:120g",)),
    ("sunscreen", "防晒喷雾", "美妆/护肤", "beauty", 49.90, 12.00, 60, 0.049, "MZ2405-07",
     ("规格:150ml",)),
    ("lipstick", "丝绒哑光口红", "美妆/彩妆", "beauty", 89.00, 20.00, 50, 0.057, "MZ2407-05",
     ("色号:#01正红", "色号:#03豆沙", "色号:#05枫叶")),
    ("cushion", "持妆气垫BB霜", "美妆/彩妆", "beauty", 119.00, 28.00, 40, 0.066, "MZ2408-01",
     ("色号:象牙白", "色号:自然色")),
    ("spicy_strip", "网红辣条大礼包", "食品/零食", "food", 29.90, 11.00, 120, 0.037, "SP2405-02",
     ("规格:30包",)),
    ("nuts", "每日坚果30包", "食品/零食", "food", 89.90, 40.00, 80, 0.041, "SP2406-01",
     ("规格:750g/30包",)),
    ("beef_jerky", "手撕牛肉干", "食品/零食", "food", 49.90, 22.00, 70, 0.045, "SP2404-09",
     ("口味:原味;规格:250g", "口味:香辣;规格:250g")),
    ("mango", "芒果干", "食品/零食", "food", 19.90, 7.50, 80, 0.033, "SP2403-03",
     ("规格:500g",)),
    ("coffee", "冻干咖啡粉", "食品/茶饮", "food", 59.90, 21.00, 50, 0.037, "SP2407-04",
     ("规格:2g*30颗",)),
    ("tea", "桂花乌龙冷泡茶", "食品/茶饮", "food", 39.90, 13.00, 30, 0.033, "SP2405-06",
     ("规格:4g*20包",)),
    ("earbuds", "无线蓝牙耳机", "数码/配件", "digital", 199.00, 72.00, 60, 0.074, "SM2406-01",
     ("颜色:白色", "颜色:黑色")),
    ("powerbank", "20000毫安充电宝", "数码/配件", "digital", 99.00, 38.00, 60, 0.057, "SM2405-03",
     ("颜色:白色", "颜色:粉色")),
    ("phone_stand", "磁吸手机支架", "数码/配件", "digital", 29.90, 8.00, 70, 0.041, "SM2404-05",
     ("规格:车载款", "规格:桌面款")),
    ("vacuum", "无线手持吸尘器", "家电/清洁电器", "digital", 599.00, 260.00, 15, 0.082, "SM2409-02",
     ("颜色:灰色",)),
)


def _fixed_ids(n: int, first: str, salt: str) -> list[str]:
    """Stable 19-digit IDs (independent of the data seed), unique."""
    rng = random.Random(f"returns_kit.sample:{salt}")
    out: list[str] = []
    while len(out) < n:
        value = first + "".join(str(rng.randrange(10)) for _ in range(18))
        if value not in out:
            out.append(value)
    return out


def _build_catalog() -> tuple[Product, ...]:
    ids = _fixed_ids(len(_CATALOG_ROWS), "3", "product")
    out = []
    for pid, row in zip(ids, _CATALOG_ROWS):
        key, name, cat, group, price, cost, weight, rate, code, specs = row
        out.append(Product(key, pid, name, cat, group, round(price * 100), round(cost * 100),
                           float(weight), rate, code, specs))
    return tuple(out)


#: the sample shop's products (stable IDs, independent of the seed)
CATALOG: tuple[Product, ...] = _build_catalog()
#: the catalog by the generator's short product keys ("dress", "shelf", …)
PRODUCT_BY_KEY: dict[str, Product] = {p.key: p for p in CATALOG}

# Creators (达人): (key, nickname, product groups, planted refund multiplier)
_CREATOR_ROWS = (
    ("xiaolu", "小鹿穿搭日记", ("apparel",), 3.4),
    ("ayuan", "大码女装阿圆", ("apparel",), 1.0),
    ("amay", "阿May家居好物", ("home",), 1.0),
    ("lily", "护肤成分党Lily", ("beauty",), 1.0),
    ("ajie", "零食大胃王阿杰", ("food",), 1.0),
    ("laowang", "老王数码测评", ("digital",), 1.0),
    ("baoma", "宝妈省钱攻略", ("home", "food"), 1.0),
)
_CREATOR_IDS = _fixed_ids(len(_CREATOR_ROWS), "1", "creator")
CREATORS = tuple(
    {"key": k, "creator_id": cid, "creator_name": n, "groups": g, "mult": m}
    for cid, (k, n, g, m) in zip(_CREATOR_IDS, _CREATOR_ROWS)
)
CREATOR_SHARE = {"apparel": 0.34, "home": 0.22, "beauty": 0.30, "food": 0.30, "digital": 0.25}

# ------------------------------------------------------------------------------------------
# Planted signals
# ------------------------------------------------------------------------------------------

SPIKE_PRODUCTS = ("spicy_strip", "mask", "blanket", "wide_pants", "tshirt", "nuts", "cup")
INTERVENTION_PRODUCT = "shelf"
CONTROL_PRODUCTS = ("box_set", "fold_box", "divider")
_INTERVENTION_NAME = "置物架安装说明优化"
INTERVENTION_DESCRIPTION = ("三层免打孔置物架详情页新增分步安装图解和安装视频，包裹内附二维码安装说明卡"
                           "（试点，仅该商品；同类收纳商品作对照）")
_PLANTED_CREATOR = "xiaolu"
PLANTED_PROVINCE = "新疆维吾尔自治区"
#: personal data buyers type into 用户售后说明 (added to a few notes of the last month, without
#: drawing from the generator's random streams): the loader must mask every one of them
PII_NOTE_SUFFIXES = ("，着急，电话13512345678", "，联系我 139-8765-4321", "，身份证号110101199003074514",
                     "，发票发到 buyer.li@qq.com", "，送到文一西路969号3幢2单元501室")
PII_VALUES = ("13512345678", "139-8765-4321", "110101199003074514", "buyer.li@qq.com", "文一西路969号")
PLANTED_CARRIER = "极兔速递"
DAMAGE_REASONS = ("包装／商品破损", "产品破损 / 损坏")
#: the intervention product's main refund propensity after the start date (before: its catalog rate)
INTERVENTION_AFTER_RATE = 0.12

# A one-day surge of after-sale applications from one product batch: the shop's own live
# sessions (店播) pre-sell a power bank on three days; the whole pre-sale ships as one batch from
# a production lot with a charging defect; on the surge day (a 短视频 complaint about the lot goes
# round, and the units have been charged a few times by then) most of the buyers with a faulty unit
# apply at once.
SURGE_PRODUCT = "powerbank"
SURGE_DAY = 10  # day of the last month
SURGE_PRESALE_OFFSETS = (-7, -6, -5)  # pre-sale pay days, relative to the surge day
SURGE_SHIP_OFFSET = -4  # the batch ships on this day
SURGE_PRESALE_ORDERS = 100  # extra pre-sale orders per pre-sale day
SURGE_APPLY_SHARE = 0.3  # share of the batch's buyers who apply (faulty units; 40 % want 换货)
SURGE_ON_DAY_SHARE = 0.85  # … of whom this share apply on the surge day (the rest within 3 days)

# ------------------------------------------------------------------------------------------
# What moves a day's refund propensity, and how products drift
# ------------------------------------------------------------------------------------------

#: relative refund propensity by 流量来源 (impulse buying in 直播 rooms; a searcher knows what
#: she wants); about 1 on average over the traffic mix
TRAFFIC_PROPENSITY = {"直播": 1.25, "短视频": 1.05, "商品卡": 0.9}
#: weekday (0 = Monday) → (order volume factor, refund propensity factor)
WEEKDAY_FACTORS = {0: (0.97, 0.98), 1: (0.97, 0.98), 2: (0.97, 0.98), 3: (0.97, 0.98),
                   4: (1.03, 1.0), 5: (1.07, 1.04), 6: (1.06, 1.06)}
#: platform promotions as (name, first (month, day), last (month, day)), any year — the same
#: windows as conf/base/promotions.csv; promotion days sell more and are returned more
SAMPLE_PROMOTIONS = (("三八节", (3, 1), (3, 8)), ("618", (6, 1), (6, 18)),
                     ("开学季", (8, 15), (9, 10)), ("国庆", (10, 1), (10, 7)),
                     ("双11", (10, 20), (11, 11)), ("双12", (12, 8), (12, 12)))
PROMO_VOLUME, PROMO_PROPENSITY = 1.12, 1.08
#: a shop live session (店播大场) runs on this share of days (and on the planted spike and
#: pre-sale days): more orders, more of them from the 直播间, and those are returned more
LIVE_DAY_SHARE = 0.22
LIVE_DAY_VOLUME = 1.15
LIVE_TRAFFIC_SHARE = (0.22, 0.45)  # share of 直播 among orders without a creator: other day, live day
LIVE_DAY_PROPENSITY = 1.25  # on top of TRAFFIC_PROPENSITY, for the 直播 orders of a live day
#: a creator's 专场 selling our products: on this share of days, one (random) creator
CREATOR_LIVE_SHARE = 0.3
CREATOR_LIVE_ORDERS = 2.2  # that creator's orders that day, times this
CREATOR_LIVE_PROPENSITY = 1.2
#: the day-level multiplicative random effect on every refund propensity of the day's orders
#: (lognormal with mean 1 and this sigma): what no column of the export explains
DAY_EFFECT_SIGMA = 0.32
#: products whose propensity does not drift: the planted high-return product, the intervention
#: product and its controls (their rates are planted signals)
NO_DRIFT_PRODUCTS = ("dress", "shelf", "box_set", "fold_box", "divider")
#: each other product's log refund propensity follows a weekly random walk with a trend: the
#: sd of a weekly step, and the sd of the per-product trend (per week)
DRIFT_STEP_SD, DRIFT_TREND_SD = 0.05, 0.03

# 罗盘 退款分析 download and a third-party (蝉妈妈) product table in external_dir
_LUOPAN_NO_DATA_DAY = 9  # this day of the last month shows 暂无数据 in the 罗盘 download
LUOPAN_STAGES = ("全部退款阶段", "发货前退款阶段", "未收货退款阶段", "已收货退款阶段", "已收货退货退款阶段")
LUOPAN_MEASURES = ("退款人数", "退款订单数", "退款金额", "退款率")
OWN_SHOP = "悦然生活好物店"
OWN_TOOL_PRODUCTS = ("dress", "knit_dress", "shirt", "shelf", "serum")
#: competitor products as a 蝉妈妈 商品 export lists them:
#: (商品名称, 店铺名称, 类目, 价格, 近30天销量, 退货率); the first is the article's example
COMPETITOR_ROWS: tuple[tuple, ...] = (
    ("复古碎花雪纺连衣裙", "森屿女装旗舰店", "女装/连衣裙", 149.00, 5230, 0.152),
    ("法式方领泡泡袖连衣裙", "慢半拍女装", "女装/连衣裙", 169.00, 3120, 0.228),
    ("桔梗收腰长裙", "初言衣橱", "女装/连衣裙", 189.00, 1870, 0.265),
    ("纯棉短袖T恤女", "棉语服饰", "女装/上衣", 49.90, 12040, 0.061),
    ("免打孔三层置物架", "家立方收纳", "家居/收纳", 79.00, 8650, 0.118),
    ("卫生间免打孔置物架", "简居生活馆", "家居/收纳", 69.90, 4410, 0.142),
    ("玻尿酸保湿面膜", "肌研所美妆", "美妆/护肤", 49.90, 20110, 0.038),
    ("网红零食辣条礼包", "吃货研究社", "食品/零食", 25.90, 30220, 0.029),
    ("降噪蓝牙耳机", "声动数码", "数码/配件", 179.00, 2560, 0.081),
    ("珊瑚绒毯子", "暖窝家纺", "家居/床品", 59.00, 6230, 0.071),
)
COMPETITOR_IDS = _fixed_ids(len(COMPETITOR_ROWS), "3", "competitor")


def parse_month(m: str) -> tuple[int, int]:
    """``"2026-10"`` → ``(2026, 10)``; a ``ValueError`` for anything else."""
    try:
        y, mo = (int(x) for x in str(m).split("-"))
        date(y, mo, 1)
    except Exception as exc:
        raise ValueError(f"month must look like 2026-10, got {m!r}") from exc
    return y, mo


def month_end(y: int, mo: int) -> date:
    """The last day of the month."""
    return date(y, mo, calendar.monthrange(y, mo)[1])


def next_month(y: int, mo: int) -> tuple[int, int]:
    return (y + 1, 1) if mo == 12 else (y, mo + 1)


def prev_month(y: int, mo: int) -> tuple[int, int]:
    return (y - 1, 12) if mo == 1 else (y, mo - 1)


def as_of_for(months, export_lag_days: int = EXPORT_LAG_DAYS) -> datetime:
    """The fixed "export date": the last month's end + ``export_lag_days`` days, 09:12:03."""
    last = parse_month(max(months))
    return datetime.combine(month_end(*last) + timedelta(days=export_lag_days),
                            datetime.min.time()).replace(hour=9, minute=12, second=3)


def promotion_of(day: date) -> str | None:
    """The :data:`SAMPLE_PROMOTIONS` promotion running on ``day`` (``None`` on other days)."""
    for name, first, last in SAMPLE_PROMOTIONS:
        if first <= (day.month, day.day) <= last:
            return name
    return None


def surge_dates(months) -> dict:
    """The surge plan's dates for these months: ``surge``, ``ship`` (the batch) and ``presale``."""
    y, mo = parse_month(max(months))
    surge = date(y, mo, SURGE_DAY)
    return {"surge": surge, "ship": surge + timedelta(days=SURGE_SHIP_OFFSET),
            "presale": [surge + timedelta(days=k) for k in SURGE_PRESALE_OFFSETS]}


#: The surge as read from the files of ``generate(…, DEFAULT_MONTHS, seed=7)`` (售后申请时间 per
#: day in the exports, every row the loader keeps): the planted product's applications on the
#: surge day, the shop's, and the median of the shop's daily applications over the last month.
#: Other months or seeds: ``returns_kit.sample.surge_figures(simulate(months, seed))``.
_SURGE_MEASURED = {"applications": 65, "shop_applications": 103, "median_daily_applications": 27}


def _surge_plan(months: list[str], measured: bool) -> dict:
    d = surge_dates(months)
    p = PRODUCT_BY_KEY[SURGE_PRODUCT]
    figures = _SURGE_MEASURED if measured else dict.fromkeys(_SURGE_MEASURED)
    return {
        "date": d["surge"].isoformat(), "product_id": p.product_id, "product_name": p.name,
        "batch_ship_date": d["ship"].isoformat(),
        "presale_dates": [x.isoformat() for x in d["presale"]],
        "reasons": ["功能故障", "做工粗糙 / 有瑕疵 / 破损或污渍"],
        **figures,
        "measured_for": {"months": list(DEFAULT_MONTHS), "seed": 7} if measured else None,
        "what": "店播预售的一批充电宝同批次发货，电芯批次缺陷，发货几天后售后申请在同一天集中爆发",
    }


def planted_for(months=DEFAULT_MONTHS, export_lag_days: int = EXPORT_LAG_DAYS) -> dict:
    """What :func:`generate` plants for these months (dates depend on the months and the export
    lag only).  The surge's counts (``applications`` …) are those of the default sample
    (:data:`DEFAULT_MONTHS`, seed 7, default lag) and ``None`` for other months."""
    months = sorted(months)
    last = parse_month(months[-1])
    mid = parse_month(months[-2] if len(months) >= 2 else months[0])
    spike = date(last[0], last[1], 17)
    start = date(mid[0], mid[1], 15)
    dress = PRODUCT_BY_KEY["dress"]
    shelf = PRODUCT_BY_KEY[INTERVENTION_PRODUCT]
    creator = next(c for c in CREATORS if c["key"] == _PLANTED_CREATOR)
    default = tuple(months) == DEFAULT_MONTHS and export_lag_days == EXPORT_LAG_DAYS
    return {
        "months": list(months),
        "as_of": as_of_for(months, export_lag_days).strftime("%Y-%m-%d %H:%M:%S"),
        "export_lag_days": export_lag_days,
        "product": {
            "product_id": dress.product_id, "product_name": dress.name, "category": dress.category,
            # mature months; about 0.36 for the immature last month at the export date
            "refund_rate": 0.39, "others_refund_rate": 0.15,
            "reasons": ["大小／尺寸／重量与商品描述不符", "商品材质 / 品牌 / 外观等描述不符"],
            "note_keywords": ["偏小", "太透", "色差"],
        },
        "province": {"province": PLANTED_PROVINCE, "ratio_to_average": 1.8,
                     "min_paid_sub_orders_per_month": 150,
                     "reasons": ["快递一直未送达", "快递无跟踪记录", "未按约定时间发货"]},
        "carrier": {"carrier": PLANTED_CARRIER, "damage_ratio_to_others": 4.5,
                    "damage_reasons": list(DAMAGE_REASONS)},
        "spike": {"date": spike.isoformat(), "volume_ratio": 3.0, "refund_rate": 0.5,
                  "apply_lag_days": [0, 1], "what": "直播间大场：冲动下单后发货前集中退款",
                  "product_ids": [PRODUCT_BY_KEY[k].product_id for k in SPIKE_PRODUCTS]},
        "intervention": {
            "name": _INTERVENTION_NAME,
            "product_ids": [shelf.product_id], "product_names": [shelf.name],
            "start_date": start.isoformat(),
            "control_product_ids": [PRODUCT_BY_KEY[k].product_id for k in CONTROL_PRODUCTS],
            "control_product_names": [PRODUCT_BY_KEY[k].name for k in CONTROL_PRODUCTS],
            "before_rate": 0.27, "after_rate": 0.14,
        },
        "creator": {"creator_id": creator["creator_id"], "creator_name": creator["creator_name"],
                    "ratio_to_rest": 2.0},
        "surge": _surge_plan(months, default),
        "pii_in_notes": list(PII_VALUES),
        "luopan": _luopan_plan(months, export_lag_days),
        "competitor": _competitor_plan(months),
        "data_quality": {
            "duplicate_batches_month": months[-1],
            "short_after_sale_id_digits": 18,
            "after_sales_without_order": 3,
            "broken_after_sale_rows": 2,
            "broken_after_sale_id": "6.98685E+18",
        },
    }


#: the last month's 罗盘 download is made this many days before the kit's export
LUOPAN_LEAD_DAYS = 1


def luopan_download_day(months: list[str], i: int, export_lag_days: int = EXPORT_LAG_DAYS) -> date:
    """Download day of the 罗盘 退款分析 file of ``months[i]``: 2 days after the month ends, and
    :data:`LUOPAN_LEAD_DAYS` day(s) before the kit's export date for the last month (罗盘's data
    run to the day before), so refunds finished in between are in the kit's figures but not yet
    in 罗盘's."""
    months = sorted(months)
    end = month_end(*parse_month(months[i]))
    if i == len(months) - 1:
        lead = (as_of_for(months, export_lag_days) - timedelta(days=LUOPAN_LEAD_DAYS)).date()
        return max(lead, end + timedelta(days=1))
    return end + timedelta(days=2)


def luopan_file_name(day: date) -> str:
    """File name of a 罗盘 退款分析 download made on ``day``."""
    return f"抖音电商罗盘-退款分析-{day:%Y_%m_%d}.xlsx"


def _luopan_plan(months: list[str], export_lag_days: int = EXPORT_LAG_DAYS) -> dict:
    days = [luopan_download_day(months, i, export_lag_days) for i in range(len(months))]
    last = parse_month(months[-1])
    return {
        "files": [luopan_file_name(d) for d in days],
        "file": luopan_file_name(days[-1]),
        "sheet": "本店数据",
        "downloaded": days[-1].isoformat(),
        "basis": "订单支付时间",
        "sale_type": "全部", "carrier_type": "全部",
        "no_data_date": date(last[0], last[1], _LUOPAN_NO_DATA_DAY).isoformat(),
        # how 罗盘's figures differ from the kit's (all explainable):
        "counts": "主订单",  # 退款订单数 counts main orders; the kit counts sub-orders
        "amount_includes_shipping": True,  # 退款金额 = 退商品金额 + 退运费
        "cutoff": "earlier",  # downloaded before the kit's export: later refunds missing
        "what": "罗盘按支付时间归属退款：主订单计数、金额含运费、数据截止早于本工具导出",
    }


def _competitor_plan(months: list[str]) -> dict:
    y, mo = parse_month(months[-1])
    name, shop, cat, price, _sales, rate = COMPETITOR_ROWS[0]
    dress = PRODUCT_BY_KEY["dress"]
    return {
        "file": f"蝉妈妈-商品退货率-{y}-{mo:02d}.csv",
        "source": "蝉妈妈",
        "own_shop": OWN_SHOP,
        "rows": len(COMPETITOR_ROWS) + len(OWN_TOOL_PRODUCTS),
        "own_products": [PRODUCT_BY_KEY[k].product_id for k in OWN_TOOL_PRODUCTS],
        "shop": shop, "product_name": name, "product_id": COMPETITOR_IDS[0], "category": cat,
        "price": price, "return_rate": rate,
        "own_product_id": dress.product_id, "own_product_name": dress.name,
        "own_price": dress.price, "own_return_rate_approx": 0.37,
        "what": "竞品同价位碎花连衣裙退货率约 15%，本店法式碎花连衣裙约 37%",
    }


#: the planted signals for the default months (2026-08..10); the dates are the same for
#: 2026-09..10.  Use :func:`planted_for` for other months.
PLANTED: dict = planted_for(DEFAULT_MONTHS)

# ------------------------------------------------------------------------------------------
# Geography, carriers, vocabularies
# ------------------------------------------------------------------------------------------

# province, weight (share of orders), remoteness 0..3, {city: districts}
PROVINCES: tuple[tuple[str, float, int, dict[str, tuple[str, ...]]], ...] = (
    ("广东省", 10.5, 1, {"广州市": ("天河区", "白云区", "番禺区", "海珠区"),
                       "深圳市": ("南山区", "宝安区", "龙岗区", "福田区"),
                       "佛山市": ("南海区", "顺德区", "禅城区"), "东莞市": ("长安镇", "虎门镇", "南城街道"),
                       "惠州市": ("惠城区", "惠阳区")}),
    ("江苏省", 7.5, 0, {"南京市": ("江宁区", "鼓楼区", "玄武区"), "苏州市": ("吴中区", "相城区", "昆山市"),
                      "无锡市": ("梁溪区", "滨湖区"), "徐州市": ("云龙区", "铜山区")}),
    ("浙江省", 7.0, 0, {"杭州市": ("余杭区", "西湖区", "萧山区", "拱墅区"), "宁波市": ("鄞州区", "海曙区"),
                      "温州市": ("鹿城区", "瑞安市"), "金华市": ("义乌市", "婺城区")}),
    ("山东省", 7.0, 1, {"济南市": ("历下区", "槐荫区"), "青岛市": ("黄岛区", "市南区", "城阳区"),
                      "临沂市": ("兰山区", "罗庄区"), "潍坊市": ("奎文区", "寿光市")}),
    ("河南省", 6.5, 1, {"郑州市": ("金水区", "二七区", "中原区"), "洛阳市": ("洛龙区", "涧西区"),
                      "南阳市": ("宛城区", "卧龙区")}),
    ("四川省", 5.5, 2, {"成都市": ("武侯区", "锦江区", "双流区", "郫都区"), "绵阳市": ("涪城区",),
                      "南充市": ("顺庆区",)}),
    ("河北省", 5.0, 1, {"石家庄市": ("长安区", "裕华区"), "保定市": ("竞秀区", "莲池区"), "唐山市": ("路北区",)}),
    ("湖北省", 4.5, 1, {"武汉市": ("洪山区", "江汉区", "武昌区"), "宜昌市": ("西陵区",), "襄阳市": ("樊城区",)}),
    ("湖南省", 4.5, 1, {"长沙市": ("岳麓区", "雨花区", "开福区"), "株洲市": ("天元区",), "衡阳市": ("蒸湘区",)}),
    ("福建省", 4.0, 1, {"福州市": ("鼓楼区", "仓山区"), "厦门市": ("思明区", "湖里区"), "泉州市": ("晋江市", "丰泽区")}),
    ("安徽省", 4.0, 0, {"合肥市": ("蜀山区", "包河区"), "芜湖市": ("镜湖区",), "阜阳市": ("颍州区",)}),
    ("上海市", 3.5, 0, {"上海市": ("浦东新区", "闵行区", "徐汇区", "宝山区")}),
    ("北京市", 3.0, 1, {"北京市": ("朝阳区", "海淀区", "丰台区", "昌平区")}),
    ("陕西省", 3.0, 2, {"西安市": ("雁塔区", "未央区", "长安区"), "咸阳市": ("秦都区",)}),
    ("江西省", 3.0, 1, {"南昌市": ("红谷滩区", "青山湖区"), "赣州市": ("章贡区",)}),
    ("广西壮族自治区", 3.0, 2, {"南宁市": ("青秀区", "西乡塘区"), "柳州市": ("城中区",), "桂林市": ("七星区",)}),
    ("辽宁省", 2.8, 2, {"沈阳市": ("浑南区", "和平区"), "大连市": ("甘井子区", "沙河口区")}),
    ("云南省", 2.5, 2, {"昆明市": ("五华区", "官渡区"), "曲靖市": ("麒麟区",)}),
    ("重庆市", 2.5, 2, {"重庆市": ("渝北区", "江北区", "九龙坡区", "沙坪坝区")}),
    ("山西省", 2.2, 1, {"太原市": ("小店区", "迎泽区"), "大同市": ("平城区",)}),
    ("贵州省", 2.0, 2, {"贵阳市": ("云岩区", "观山湖区"), "遵义市": ("红花岗区",)}),
    ("黑龙江省", 1.9, 2, {"哈尔滨市": ("南岗区", "道里区"), "大庆市": ("萨尔图区",)}),
    ("天津市", 1.5, 1, {"天津市": ("滨海新区", "南开区", "河西区")}),
    ("吉林省", 1.4, 2, {"长春市": ("朝阳区", "南关区"), "吉林市": ("船营区",)}),
    ("内蒙古自治区", 1.4, 2, {"呼和浩特市": ("赛罕区", "新城区"), "包头市": ("昆都仑区",)}),
    ("新疆维吾尔自治区", 4.9, 3, {"乌鲁木齐市": ("天山区", "沙依巴克区", "新市区"), "昌吉回族自治州": ("昌吉市",),
                          "伊犁哈萨克自治州": ("伊宁市",), "喀什地区": ("喀什市",)}),
    ("甘肃省", 1.3, 2, {"兰州市": ("城关区", "七里河区"), "天水市": ("秦州区",)}),
    ("海南省", 0.8, 2, {"海口市": ("龙华区", "美兰区"), "三亚市": ("吉阳区",)}),
    ("宁夏回族自治区", 0.5, 2, {"银川市": ("兴庆区", "金凤区")}),
    ("青海省", 0.4, 3, {"西宁市": ("城西区", "城东区")}),
    ("西藏自治区", 0.2, 3, {"拉萨市": ("城关区",)}),
)
PROVINCE_WEIGHTS = [p[1] for p in PROVINCES]
REMOTE_FEE_PROVINCES = ("新疆维吾尔自治区", "西藏自治区", "青海省")

# carrier: (weight, tracking generator spec)
CARRIERS = ("中通快递", "极兔速递", "圆通速递", "韵达快递", "申通快递", "顺丰速运", "京东物流", "邮政快递包裹")
CARRIER_WEIGHTS = (26, 19, 17, 13, 9, 8, 4, 4)
CARRIER_WEIGHTS_REMOTE = (30, 10, 15, 10, 5, 5, 2, 23)
CARRIER_WEIGHTS_PRICEY = (12, 6, 8, 5, 3, 55, 10, 1)
RETURN_CARRIERS = ("中通快递", "圆通速递", "韵达快递", "顺丰速运", "极兔速递", "申通快递", "京东物流", "邮政快递包裹")
RETURN_CARRIER_WEIGHTS = (24, 20, 14, 16, 10, 8, 5, 3)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
PHONE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                  "157", "158", "159", "166", "177", "180", "181", "182", "185", "186", "187", "188",
                  "189", "191", "198", "199")
PAY_METHODS = ("支付宝", "微信", "抖音支付", "抖音月付", "先用后付")
PAY_METHOD_WEIGHTS = (33, 31, 25, 6, 5)
APPS = ("抖音", "抖音极速版", "抖音火山版", "今日头条")
APP_WEIGHTS = (78, 16, 4, 2)
BUYER_MESSAGES = ("尽快发货", "不要放驿站，放门口", "麻烦发顺丰", "送人的，不要放发票", "请核对尺码", "谢谢老板")
MERCHANT_REMARKS = ("已催发", "客户要求改地址", "赠品已备注", "优先发货")

# ------------------------------------------------------------------------------------------
# After-sale reasons (exact texts of reference §3.7) and buyer notes
# ------------------------------------------------------------------------------------------

R_REGRET = "多拍 / 错拍 / 不想要"
R_LATE = "未按约定时间发货"
R_NOT_ARRIVED = "快递一直未送达"
R_NO_TRACK = "快递无跟踪记录"
R_SHORT_WRONG = "收到商品少件 / 错件 / 空包裹"
R_DISLIKE = "不喜欢 / 效果不好"
R_QUALITY = "做工粗糙 / 有瑕疵 / 破损或污渍"
R_FUNCTION = "功能故障"
R_EFFECT = "效果与商品描述不符"
R_MATERIAL = "商品材质 / 品牌 / 外观等描述不符"
R_DATE = "生产日期 / 保质期 / 规格等描述不符"
R_FAKE = "假冒品牌"
R_NEGOTIATED_OLD = "协商一致退款"
R_OUT_OF_STOCK = "缺货"
R_OTHER = "其他"
R_SIZE = "大小／尺寸／重量与商品描述不符"
R_DATE2 = "生产日期／保质期与商品描述不符"
R_SPEC = "品种／规格／成分等描述不符"
R_ROTTEN = "商品腐烂/变质"
R_MISSING = "少件／漏发"
R_DAMAGE = "包装／商品破损"
R_WRONG = "商家发错货"
R_NEGOTIATED = "与商家协商一致退款"
R_SHIPPING_FEE = "退运费"
R_SPEC2 = "品种／产品／规格／成分等描述不符"
R_ROTTEN2 = "商品腐烂／变质／死亡"
R_EXPIRED = "商品变质／过期"
R_SPEC3 = "规格等描述不符"
R_SHORT_WRONG2 = "收到商品少件／错件／空包裹"
R_PIRATED = "盗版"
R_QUALITY2 = "做工粗糙 / 有瑕疵 / 有污渍"
R_BROKEN = "产品破损 / 损坏"
R_MATERIAL2 = "商品材质 / 外观等描述不符"
R_ALLERGY = "使用后过敏"

# reasons by (group, type) for the main refund channel: reason → weight
REASONS = {
    ("apparel", "return"): {R_SIZE: 30, R_DISLIKE: 20, R_REGRET: 14, R_MATERIAL: 14, R_QUALITY: 8,
                            R_EFFECT: 6, R_WRONG: 4, R_QUALITY2: 2, R_MATERIAL2: 2},
    ("apparel", "shipped"): {R_NEGOTIATED: 35, R_MISSING: 20, R_QUALITY2: 20, R_OTHER: 15, R_WRONG: 10},
    ("home", "return"): {R_DISLIKE: 22, R_REGRET: 16, R_SIZE: 18, R_QUALITY: 14, R_EFFECT: 14,
                         R_MATERIAL2: 10, R_WRONG: 6},
    ("home", "shipped"): {R_MISSING: 30, R_NEGOTIATED: 35, R_QUALITY2: 15, R_SHORT_WRONG2: 10, R_OTHER: 10},
    ("beauty", "return"): {R_DISLIKE: 25, R_REGRET: 20, R_ALLERGY: 15, R_EFFECT: 15, R_DATE: 10,
                           R_WRONG: 8, R_QUALITY: 5, R_FAKE: 2},
    ("beauty", "shipped"): {R_NEGOTIATED: 40, R_MISSING: 25, R_EXPIRED: 15, R_OTHER: 12, R_SPEC: 8},
    ("food", "return"): {R_REGRET: 40, R_DISLIKE: 30, R_DATE2: 20, R_SPEC2: 10},
    ("food", "shipped"): {R_ROTTEN: 22, R_EXPIRED: 10, R_ROTTEN2: 3, R_MISSING: 25, R_NEGOTIATED: 22,
                          R_DATE2: 10, R_OTHER: 8},
    ("digital", "return"): {R_FUNCTION: 35, R_DISLIKE: 20, R_REGRET: 20, R_EFFECT: 10, R_QUALITY: 10,
                            R_WRONG: 5},
    ("digital", "shipped"): {R_NEGOTIATED: 40, R_MISSING: 30, R_FUNCTION: 20, R_OTHER: 10},
}
REASONS_UNSHIPPED = {R_REGRET: 72, R_LATE: 12, R_OUT_OF_STOCK: 4, R_NEGOTIATED_OLD: 4, R_OTHER: 8}
REASONS_DRESS_RETURN = {R_SIZE: 36, R_MATERIAL: 26, R_EFFECT: 14, R_DISLIKE: 12, R_REGRET: 7,
                        R_QUALITY: 5}
REASONS_SHELF_INSTALL = {R_EFFECT: 45, R_QUALITY: 20, R_FUNCTION: 10, R_DISLIKE: 25}
REASONS_EXCHANGE = {
    "apparel": {R_SIZE: 70, R_QUALITY: 15, R_WRONG: 15},
    "default": {R_QUALITY: 40, R_FUNCTION: 25, R_WRONG: 35},
}
REASONS_RESHIP = {R_MISSING: 60, R_SHORT_WRONG: 40}
#: the surge batch's faulty power banks
REASONS_SURGE = {R_FUNCTION: 75, R_QUALITY: 25}
# type mix of the main refund channel: (退货退款, 已发货仅退款, 未发货仅退款)
TYPE_MIX = {"apparel": (60, 12, 28), "home": (48, 24, 28), "beauty": (36, 26, 38),
            "food": (16, 44, 40), "digital": (58, 12, 30)}
TYPE_MIX_DRESS = (66, 7, 27)

# buyer notes (用户售后说明) by reason family; group-specific lists win over generic ones
NOTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("size", "apparel"): ("尺码偏小一码", "平时穿M，这件M小了", "腰围太紧了，穿不上", "衣长比详情页写的短",
                          "按尺码表买的还是小", "size 不对，太大了", "肩宽太窄 😭", "偏大，穿着松松垮垮的"),
    ("size", "dress"): ("尺码偏小一码，平时M要拍L", "偏小，肩膀和腰都很紧", "尺码偏小，拉链拉不上", "胸围太小了",
                        "size 偏小😭", "偏小一码，想换大一码没货了"),
    ("size", "default"): ("尺寸和描述的不一样，放不进柜子", "比想象中小很多", "尺寸偏小，不实用", "实际尺寸比写的小"),
    ("material", "dress"): ("衣服太透了，里面要穿打底", "太透了，白色的根本没法穿", "色差太大，和图片不一样",
                            "实物颜色发暗，没有图上好看", "面料有点扎，而且透", "碎花颜色和直播间看的差很多",
                            "太透了!!!", "color 和图片不一样"),
    ("material", "apparel"): ("色差太大，和图片不一样", "面料很薄，透光", "面料起球", "不是图片那种垂感",
                              "实物颜色发黄，和图片差别大"),
    ("material", "default"): ("和图片差太多", "颜色不对", "材质很廉价，和描述不符", "塑料味很重"),
    ("effect", "dress"): ("上身效果一般，显胖", "裙摆没有图片那么飘", "模特穿的好看，自己穿不行"),
    ("effect", "apparel"): ("上身效果不好，显胖", "版型不适合我", "模特穿的好看，自己穿不行"),
    ("effect", "beauty"): ("用了一周没什么效果", "味道太冲了", "不保湿，用完还是干"),
    ("effect", "default"): ("效果和宣传的不一样", "没有视频里说的那么好用", "不好用"),
    ("install", "shelf"): ("不会装，说明书看不懂", "螺丝孔对不上，装不上去", "装好后有点晃，不稳",
                           "没有安装说明，折腾半天装不好", "免打孔的胶粘不住，掉下来了", "安装太麻烦了",
                           "配件不知道怎么用 😤", "装歪了，也拆不下来重装"),
    ("quality", "apparel"): ("线头很多", "有一处开线", "领口有污渍", "洗了一次就变形", "quality 一般般"),
    ("quality", "default"): ("边角毛刺划手", "有划痕", "做工很粗糙", "有瑕疵，不像新的"),
    ("damage", "default"): ("盒子压坏了，里面也裂了", "收到的时候外包装破了，东西摔坏了", "快递太暴力，东西压扁了",
                            "外箱都烂了，里面的也碎了", "破损了，拍了照片", "包装破了一个大洞", "瓶子碎了 💔",
                            "收到就是坏的"),
    ("missing", "default"): ("少发了一个", "说好三件套只收到两个", "赠品没有发", "配件少了螺丝", "少了一包"),
    ("wrong", "default"): ("买的黑色发来白色", "尺码发错了，下单L收到M", "发成了别的款", "颜色发错了"),
    ("regret", "default"): ("拍错颜色了", "拍多了一件", "不想要了", "家里还有，不需要了", "冲动消费了😅",
                            "选错尺码了，重新拍", "买重复了", "买贵了，别家便宜"),
    ("regret", "spike"): ("直播间下单下多了", "冲动了，不想要了", "拍错了", "看直播一激动就下单了😅",
                          "家里人说不用买", "下单下重复了"),
    ("late", "default"): ("说好48小时发货，三天了还没发", "等太久了，不要了", "一直不发货", "什么时候发货？不等了"),
    ("transit", "default"): ("快递一直没到", "物流一个星期没更新了", "物流信息一直不动", "单号查不到物流",
                             "等了十天还没到"),
    ("transit", "xj"): ("新疆这边太慢了，等不了了", "物流太慢，十多天还没到", "到新疆要半个月，不要了",
                        "详情页没说偏远地区这么慢", "快递一直卡在中转站"),
    ("function", "default"): ("充电宝充不进电", "耳机左耳没声音", "用了两天就不转了", "蓝牙连不上", "开不了机"),
    ("function", "surge"): ("充电宝充不进电", "充了一晚上还是没电，指示灯一直闪", "直播间买的，用了两次就充不进去了",
                            "和朋友一起买的两个都坏了", "同一批的都有问题吧，看到好多人说充不进电", "充电时机身发烫",
                            "只能充到一格电"),
    ("quality", "surge"): ("机身发烫还有点鼓", "外壳接缝开裂", "接口松动，插线接触不良", "用了两天外壳就鼓起来了"),
    ("allergy", "default"): ("用了脸上起红疹", "过敏了，脸很痒", "用完刺痛"),
    ("food", "default"): ("有股怪味", "发霉了", "收到已经过期了", "口感不对，像放了很久", "生产日期是半年前的"),
    ("negotiated", "default"): ("和客服协商好了退款", "客服让我申请的", "协商退部分款", "补偿差价"),
    ("other", "default"): ("不想说", "买贵了", "price 降了", "不需要了"),
}
REASON_FAMILY = {
    R_SIZE: "size", R_MATERIAL: "material", R_MATERIAL2: "material", R_EFFECT: "effect",
    R_DISLIKE: "effect", R_QUALITY: "quality", R_QUALITY2: "quality", R_DAMAGE: "damage",
    R_BROKEN: "damage", R_MISSING: "missing", R_SHORT_WRONG: "missing", R_SHORT_WRONG2: "missing",
    R_WRONG: "wrong", R_REGRET: "regret", R_LATE: "late", R_NOT_ARRIVED: "transit",
    R_NO_TRACK: "transit", R_FUNCTION: "function", R_ALLERGY: "allergy", R_ROTTEN: "food",
    R_ROTTEN2: "food", R_EXPIRED: "food", R_DATE: "food", R_DATE2: "food", R_SPEC: "material",
    R_SPEC2: "material", R_NEGOTIATED: "negotiated", R_NEGOTIATED_OLD: "negotiated",
    R_OTHER: "other", R_OUT_OF_STOCK: "other", R_FAKE: "material",
}
LABELS = {
    "size": ("尺码偏小", "尺码不符", "尺寸不符"), "material": ("色差", "面料与描述不符", "材质不符"),
    "effect": ("上身效果差", "效果不好"), "install": ("安装困难",), "quality": ("做工问题", "有瑕疵"),
    "damage": ("外包装破损", "商品破损"), "missing": ("少配件", "少件"), "wrong": ("发错款式", "发错颜色"),
    "regret": ("拍错", "不想要了"), "late": ("发货慢",), "transit": ("物流停滞", "物流太慢"),
    "function": ("无法使用", "质量问题"), "allergy": ("过敏",), "food": ("临期", "变质"),
    "negotiated": ("协商退款",), "other": ("其他",),
}
MERCHANT_AFTER_SALE_NOTES = ("已补发配件", "客户已退回，验货无问题", "已安抚，补偿5元券", "物流破损已向快递索赔",
                            "尺码问题，已推荐换码", "已登记质检")
OPERATORS = ("客服-周**", "客服-陈**", "售后-李**", "售后-王**", "客服主管-赵**")
RETURN_CONTACTS = ("张**", "陈**")
