"""Realistic sample 抖店 exports with planted signals (``returns-kit sample``).

:func:`generate` writes files that look like what the 抖店 backend hands a merchant (see
``shared/reference/doudian_exports.md`` §1–2 and §5):

* ``订单导出_YYYYMMDD_HHMMSS.csv`` — one order export per month (by 订单提交时间), CSV, UTF-8 with
  BOM, the 75 columns of :data:`~returns_kit.model.RAW_ORDER_HEADERS`, one row per 子订单.  The
  first month uses the older layout (``商品名称 / 商品规格 / 商品单价``).
* ``售后单导出-YYYY-MM-DD-HH-MM-SS.xlsx`` — one 售后 export per application month (售后申请时间),
  sheet ``Sheet1``, the 50 columns of :data:`~returns_kit.model.RAW_AFTER_SALE_HEADERS`, every cell
  a text string.  The month after the last month is exported up to the export date so the last
  cohort has its late returns; the last month is exported as two overlapping batches downloaded
  on different days (newest wins).
* ``interventions.csv`` and ``catalog.csv`` in ``external_dir`` (the analyst's own files).
* ``抖音电商罗盘-退款分析-YYYY_MM_DD.xlsx`` in ``external_dir`` — one 罗盘 退款分析 download per
  month (sheet 本店数据, 退款口径 订单支付时间, ``¥1,234.50`` / ``12.34%`` strings), counted the
  way 罗盘 counts (主订单, 退款金额 incl. 退运费) at a later cutoff than the kit's export, and
  one day of the last month showing 暂无数据 (see ``PLANTED["luopan"]``).
* ``蝉妈妈-商品退货率-YYYY-MM.csv`` in ``external_dir`` — own and competitor products with
  category, price and 退货率 (see ``PLANTED["competitor"]``).

The data carry the signals listed in :data:`PLANTED` (a high-return product, a region, a carrier
with damage returns, a spike day, an intervention with controls, a creator) plus the data-quality
edge cases a loader must survive (overlapping batches, ``-`` in money columns, an 18-digit 售后单号,
trailing spaces, after-sales whose order is not in the exports, two rows mangled by Excel).

Everything is deterministic for a given seed: no wall clock, no hash-order dependence; the
"export date" is fixed at the last month's end + 25 days.

Example::

    from returns_kit.sample import generate, PLANTED
    paths = generate("data/raw", ["2026-08", "2026-09", "2026-10"], seed=7,
                     external_dir="data/external")
    PLANTED["product"]["product_name"]      # '法式碎花连衣裙'
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import NormalDist

from .model import LEGACY_ORDER_RENAMES, RAW_AFTER_SALE_HEADERS, RAW_ORDER_HEADERS

__all__ = ["generate", "planted_for", "PLANTED", "CATALOG", "DEFAULT_MONTHS", "as_of_for"]

DEFAULT_MONTHS: tuple[str, ...] = ("2026-08", "2026-09", "2026-10")

#: paid sub-orders per month the generator aims at (before the spike day's extra orders)
TARGET_PAID_SUB_ORDERS = 4000

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
    ("dress", "法式碎花连衣裙", "女装/连衣裙", "apparel", 159.00, 52.00, 380, 0.335, "JY2406-01",
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
    ("shelf", "三层免打孔置物架", "家居/收纳", "home", 89.00, 31.00, 700, 0.205, "JJ2403-01",
     ("颜色:白色;规格:三层", "颜色:黑色;规格:三层")),
    ("box_set", "桌面收纳盒三件套", "家居/收纳", "home", 39.90, 12.00, 240, 0.115, "JJ2402-05",
     ("颜色:奶白;规格:三件套", "颜色:浅灰;规格:三件套")),
    ("fold_box", "可折叠收纳箱", "家居/收纳", "home", 49.90, 16.00, 230, 0.107, "JJ2402-09",
     ("规格:大号66L", "规格:中号45L")),
    ("divider", "衣柜分层隔板", "家居/收纳", "home", 59.00, 19.00, 230, 0.119, "JJ2404-02",
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
_BY_KEY = {p.key: p for p in CATALOG}

# Creators (达人): (key, nickname, product groups, planted refund multiplier)
_CREATOR_ROWS = (
    ("xiaolu", "小鹿穿搭日记", ("apparel",), 3.0),
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
_CREATOR_SHARE = {"apparel": 0.34, "home": 0.22, "beauty": 0.30, "food": 0.30, "digital": 0.25}

# ------------------------------------------------------------------------------------------
# Planted signals
# ------------------------------------------------------------------------------------------

_SPIKE_PRODUCTS = ("spicy_strip", "mask", "blanket", "wide_pants", "tshirt", "nuts", "cup")
_INTERVENTION_PRODUCT = "shelf"
_CONTROL_PRODUCTS = ("box_set", "fold_box", "divider")
_INTERVENTION_NAME = "置物架安装说明优化"
_INTERVENTION_DESC = ("三层免打孔置物架详情页新增分步安装图解和安装视频，包裹内附二维码安装说明卡"
                      "（试点，仅该商品；同类收纳商品作对照）")
_PLANTED_CREATOR = "xiaolu"
_PLANTED_PROVINCE = "新疆维吾尔自治区"
_PLANTED_CARRIER = "极兔速递"
_DAMAGE_REASONS = ("包装／商品破损", "产品破损 / 损坏")

# 罗盘 退款分析 download and a third-party (蝉妈妈) product table in external_dir
_LUOPAN_NO_DATA_DAY = 9  # this day of the last month shows 暂无数据 in the 罗盘 download
_LUOPAN_STAGES = ("全部退款阶段", "发货前退款阶段", "未收货退款阶段", "已收货退款阶段", "已收货退货退款阶段")
_LUOPAN_MEASURES = ("退款人数", "退款订单数", "退款金额", "退款率")
_OWN_SHOP = "悦然生活好物店"
_OWN_TOOL_PRODUCTS = ("dress", "knit_dress", "shirt", "shelf", "serum")
#: competitor products as a 蝉妈妈 商品 export lists them:
#: (商品名称, 店铺名称, 类目, 价格, 近30天销量, 退货率); the first is the article's example
_COMPETITOR_ROWS: tuple[tuple, ...] = (
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
_COMPETITOR_IDS = _fixed_ids(len(_COMPETITOR_ROWS), "3", "competitor")


def _parse_month(m: str) -> tuple[int, int]:
    try:
        y, mo = (int(x) for x in str(m).split("-"))
        date(y, mo, 1)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"month must look like 2026-10, got {m!r}") from exc
    return y, mo


def _month_end(y: int, mo: int) -> date:
    return date(y, mo, calendar.monthrange(y, mo)[1])


def _next_month(y: int, mo: int) -> tuple[int, int]:
    return (y + 1, 1) if mo == 12 else (y, mo + 1)


def _prev_month(y: int, mo: int) -> tuple[int, int]:
    return (y - 1, 12) if mo == 1 else (y, mo - 1)


def as_of_for(months) -> datetime:
    """The fixed "export date": the last month's end + 25 days, 09:12:03."""
    last = _parse_month(sorted(months)[-1])
    return datetime.combine(_month_end(*last) + timedelta(days=25), datetime.min.time()).replace(
        hour=9, minute=12, second=3)


def planted_for(months=DEFAULT_MONTHS) -> dict:
    """What :func:`generate` plants for these months (dates depend on the months only)."""
    months = sorted(months)
    last = _parse_month(months[-1])
    mid = _parse_month(months[-2] if len(months) >= 2 else months[0])
    spike = date(last[0], last[1], 17)
    start = date(mid[0], mid[1], 15)
    dress = _BY_KEY["dress"]
    shelf = _BY_KEY[_INTERVENTION_PRODUCT]
    creator = next(c for c in CREATORS if c["key"] == _PLANTED_CREATOR)
    return {
        "months": list(months),
        "as_of": as_of_for(months).strftime("%Y-%m-%d %H:%M:%S"),
        "product": {
            "product_id": dress.product_id, "product_name": dress.name, "category": dress.category,
            "refund_rate": 0.35, "others_refund_rate": 0.13,
            "reasons": ["大小／尺寸／重量与商品描述不符", "商品材质 / 品牌 / 外观等描述不符"],
            "note_keywords": ["偏小", "太透", "色差"],
        },
        "province": {"province": _PLANTED_PROVINCE, "ratio_to_average": 1.5,
                     "min_paid_sub_orders_per_month": 150,
                     "reasons": ["快递一直未送达", "快递无跟踪记录", "未按约定时间发货"]},
        "carrier": {"carrier": _PLANTED_CARRIER, "damage_ratio_to_others": 4.5,
                    "damage_reasons": list(_DAMAGE_REASONS)},
        "spike": {"date": spike.isoformat(), "volume_ratio": 3.0, "refund_rate": 0.45,
                  "apply_lag_days": [0, 1], "what": "直播间大场：冲动下单后发货前集中退款",
                  "product_ids": [_BY_KEY[k].product_id for k in _SPIKE_PRODUCTS]},
        "intervention": {
            "name": _INTERVENTION_NAME,
            "product_ids": [shelf.product_id], "product_names": [shelf.name],
            "start_date": start.isoformat(),
            "control_product_ids": [_BY_KEY[k].product_id for k in _CONTROL_PRODUCTS],
            "control_product_names": [_BY_KEY[k].name for k in _CONTROL_PRODUCTS],
            "before_rate": 0.22, "after_rate": 0.15,
        },
        "creator": {"creator_id": creator["creator_id"], "creator_name": creator["creator_name"],
                    "ratio_to_rest": 2.0},
        "luopan": _luopan_plan(months),
        "competitor": _competitor_plan(months),
        "data_quality": {
            "duplicate_batches_month": months[-1],
            "short_after_sale_id_digits": 18,
            "after_sales_without_order": 3,
            "broken_after_sale_rows": 2,
            "broken_after_sale_id": "6.98685E+18",
        },
    }


def _luopan_download_day(months: list[str], i: int) -> date:
    """Download day of the 罗盘 退款分析 file of ``months[i]``: 2 days after the month ends, and
    7 days before the kit's export date for the last month (罗盘's data run to the day before),
    so refunds finished in those 7 days are in the kit's figures but not yet in 罗盘's."""
    if i == len(months) - 1:
        return (as_of_for(months) - timedelta(days=7)).date()
    return _month_end(*_parse_month(months[i])) + timedelta(days=2)


def _luopan_file(day: date) -> str:
    return f"抖音电商罗盘-退款分析-{day:%Y_%m_%d}.xlsx"


def _luopan_plan(months: list[str]) -> dict:
    days = [_luopan_download_day(months, i) for i in range(len(months))]
    last = _parse_month(months[-1])
    return {
        "files": [_luopan_file(d) for d in days],
        "file": _luopan_file(days[-1]),
        "sheet": "本店数据",
        "downloaded": days[-1].isoformat(),
        "basis": "订单支付时间",
        "sale_type": "全部", "carrier_type": "全部",
        "no_data_date": date(last[0], last[1], _LUOPAN_NO_DATA_DAY).isoformat(),
        # how 罗盘's figures differ from the kit's (all explainable):
        "counts": "主订单",  # 退款订单数 counts main orders; the kit counts sub-orders
        "amount_includes_shipping": True,  # 退款金额 = 退商品金额 + 退运费
        "cutoff": "earlier",  # downloaded a week before the kit's export: later refunds missing
        "what": "罗盘按支付时间归属退款：主订单计数、金额含运费、数据截止早于本工具导出一周",
    }


def _competitor_plan(months: list[str]) -> dict:
    y, mo = _parse_month(months[-1])
    name, shop, cat, price, _sales, rate = _COMPETITOR_ROWS[0]
    dress = _BY_KEY["dress"]
    return {
        "file": f"蝉妈妈-商品退货率-{y}-{mo:02d}.csv",
        "source": "蝉妈妈",
        "own_shop": _OWN_SHOP,
        "rows": len(_COMPETITOR_ROWS) + len(_OWN_TOOL_PRODUCTS),
        "own_products": [_BY_KEY[k].product_id for k in _OWN_TOOL_PRODUCTS],
        "shop": shop, "product_name": name, "product_id": _COMPETITOR_IDS[0], "category": cat,
        "price": price, "return_rate": rate,
        "own_product_id": dress.product_id, "own_product_name": dress.name,
        "own_price": dress.price, "own_return_rate_approx": 0.35,
        "what": "竞品同价位碎花连衣裙退货率约 15%，本店法式碎花连衣裙约 35%",
    }


#: the planted signals for the default months (2026-08..10); the dates are the same for
#: 2026-09..10.  Use :func:`planted_for` for other months.
PLANTED: dict = planted_for(DEFAULT_MONTHS)

# ------------------------------------------------------------------------------------------
# Geography, carriers, vocabularies
# ------------------------------------------------------------------------------------------

# province, weight (share of orders), remoteness 0..3, {city: districts}
_PROVINCES: tuple[tuple[str, float, int, dict[str, tuple[str, ...]]], ...] = (
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
_PROV_WEIGHTS = [p[1] for p in _PROVINCES]
_REMOTE_FEE = ("新疆维吾尔自治区", "西藏自治区", "青海省")

# carrier: (weight, tracking generator spec)
_CARRIERS = ("中通快递", "极兔速递", "圆通速递", "韵达快递", "申通快递", "顺丰速运", "京东物流", "邮政快递包裹")
_CARRIER_W = (26, 19, 17, 13, 9, 8, 4, 4)
_CARRIER_W_REMOTE = (30, 10, 15, 10, 5, 5, 2, 23)
_CARRIER_W_PRICEY = (12, 6, 8, 5, 3, 55, 10, 1)
_RETURN_CARRIERS = ("中通快递", "圆通速递", "韵达快递", "顺丰速运", "极兔速递", "申通快递", "京东物流", "邮政快递包裹")
_RETURN_CARRIER_W = (24, 20, 14, 16, 10, 8, 5, 3)

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_PHONE_PREFIX = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                 "157", "158", "159", "166", "177", "180", "181", "182", "185", "186", "187", "188",
                 "189", "191", "198", "199")
_PAY_METHODS = ("支付宝", "微信", "抖音支付", "抖音月付", "先用后付")
_PAY_METHOD_W = (33, 31, 25, 6, 5)
_APPS = ("抖音", "抖音极速版", "抖音火山版", "今日头条")
_APP_W = (78, 16, 4, 2)
_BUYER_MSGS = ("尽快发货", "不要放驿站，放门口", "麻烦发顺丰", "送人的，不要放发票", "请核对尺码", "谢谢老板")
_MERCHANT_REMARKS = ("已催发", "客户要求改地址", "赠品已备注", "优先发货")

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
_REASONS = {
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
_REASONS_UNSHIPPED = {R_REGRET: 72, R_LATE: 12, R_OUT_OF_STOCK: 4, R_NEGOTIATED_OLD: 4, R_OTHER: 8}
_REASONS_DRESS_RETURN = {R_SIZE: 36, R_MATERIAL: 26, R_EFFECT: 14, R_DISLIKE: 12, R_REGRET: 7,
                         R_QUALITY: 5}
_REASONS_SHELF_INSTALL = {R_EFFECT: 45, R_QUALITY: 20, R_FUNCTION: 10, R_DISLIKE: 25}
_REASONS_EXCHANGE = {
    "apparel": {R_SIZE: 70, R_QUALITY: 15, R_WRONG: 15},
    "default": {R_QUALITY: 40, R_FUNCTION: 25, R_WRONG: 35},
}
_REASONS_RESHIP = {R_MISSING: 60, R_SHORT_WRONG: 40}
# type mix of the main refund channel: (退货退款, 已发货仅退款, 未发货仅退款)
_TYPE_MIX = {"apparel": (60, 12, 28), "home": (48, 24, 28), "beauty": (36, 26, 38),
             "food": (16, 44, 40), "digital": (58, 12, 30)}
_TYPE_MIX_DRESS = (66, 7, 27)

# buyer notes (用户售后说明) by reason family; group-specific lists win over generic ones
_NOTES: dict[tuple[str, str], tuple[str, ...]] = {
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
    ("allergy", "default"): ("用了脸上起红疹", "过敏了，脸很痒", "用完刺痛"),
    ("food", "default"): ("有股怪味", "发霉了", "收到已经过期了", "口感不对，像放了很久", "生产日期是半年前的"),
    ("negotiated", "default"): ("和客服协商好了退款", "客服让我申请的", "协商退部分款", "补偿差价"),
    ("other", "default"): ("不想说", "买贵了", "price 降了", "不需要了"),
}
_REASON_FAMILY = {
    R_SIZE: "size", R_MATERIAL: "material", R_MATERIAL2: "material", R_EFFECT: "effect",
    R_DISLIKE: "effect", R_QUALITY: "quality", R_QUALITY2: "quality", R_DAMAGE: "damage",
    R_BROKEN: "damage", R_MISSING: "missing", R_SHORT_WRONG: "missing", R_SHORT_WRONG2: "missing",
    R_WRONG: "wrong", R_REGRET: "regret", R_LATE: "late", R_NOT_ARRIVED: "transit",
    R_NO_TRACK: "transit", R_FUNCTION: "function", R_ALLERGY: "allergy", R_ROTTEN: "food",
    R_ROTTEN2: "food", R_EXPIRED: "food", R_DATE: "food", R_DATE2: "food", R_SPEC: "material",
    R_SPEC2: "material", R_NEGOTIATED: "negotiated", R_NEGOTIATED_OLD: "negotiated",
    R_OTHER: "other", R_OUT_OF_STOCK: "other", R_FAKE: "material",
}
_LABELS = {
    "size": ("尺码偏小", "尺码不符", "尺寸不符"), "material": ("色差", "面料与描述不符", "材质不符"),
    "effect": ("上身效果差", "效果不好"), "install": ("安装困难",), "quality": ("做工问题", "有瑕疵"),
    "damage": ("外包装破损", "商品破损"), "missing": ("少配件", "少件"), "wrong": ("发错款式", "发错颜色"),
    "regret": ("拍错", "不想要了"), "late": ("发货慢",), "transit": ("物流停滞", "物流太慢"),
    "function": ("无法使用", "质量问题"), "allergy": ("过敏",), "food": ("临期", "变质"),
    "negotiated": ("协商退款",), "other": ("其他",),
}
_MERCHANT_AS_NOTES = ("已补发配件", "客户已退回，验货无问题", "已安抚，补偿5元券", "物流破损已向快递索赔",
                      "尺码问题，已推荐换码", "已登记质检")
_OPERATORS = ("客服-周**", "客服-陈**", "售后-李**", "售后-王**", "客服主管-赵**")
_RETURN_CONTACTS = ("张**", "陈**")

# ------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------

_ND = NormalDist()


def _fmt_t(t: datetime | None) -> str:
    return "-" if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


def _money(cents: int | None) -> str:
    return "-" if cents is None else f"{cents / 100:.2f}"


def _money_thousands(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _lognormal_q(u: float, median_h: float, sigma: float) -> float:
    """Quantile ``u`` of a lognormal with the given median (hours)."""
    u = min(max(u, 1e-4), 1 - 1e-4)
    return median_h * math.exp(sigma * _ND.inv_cdf(u))


def _h(hours: float) -> timedelta:
    return timedelta(seconds=int(round(hours * 3600)))


def _tracking(rng: random.Random, carrier: str) -> str:
    digits = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
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
# simulation objects
# ------------------------------------------------------------------------------------------


class _Order:
    __slots__ = ("main_id", "submit", "pay", "province", "city", "district", "remote", "buyer",
                 "phone", "app", "pay_method", "traffic", "creator", "carrier", "tracking",
                 "planned_ship", "ship", "transit_h", "subs", "cancel_reason", "exported", "spike",
                 "addr_changed", "buyer_msg", "merchant_remark", "anxin", "export_month")

    def __init__(self):
        self.subs: list[_Sub] = []
        self.ship = None
        self.exported = True
        self.spike = False


#: Share of orders placed by a buyer who already ordered (same masked name, phone and district).
REPEAT_BUYER_SHARE = 0.15


class _Sub:
    __slots__ = ("order", "sub_id", "product", "spec_idx", "qty", "platform_disc", "merchant_disc",
                 "merchant_label", "creator_disc", "shipping", "pay_disc", "after_sales",
                 "shipped", "complete", "trail_space")

    def __init__(self, order: _Order, product: Product):
        self.order = order
        self.product = product
        self.after_sales: list[_AfterSale] = []
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
class _AfterSale:
    sub: _Sub
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


# ------------------------------------------------------------------------------------------
# the simulation
# ------------------------------------------------------------------------------------------


class _Sim:
    def __init__(self, months: list[str], seed: int):
        self.months = sorted(months)
        self.ym = [_parse_month(m) for m in self.months]
        self.seed = seed
        self.plan = planted_for(self.months)
        self.as_of = as_of_for(self.months)
        self.spike_day = date.fromisoformat(self.plan["spike"]["date"])
        self.start_day = date.fromisoformat(self.plan["intervention"]["start_date"])
        self.first_day = date(*self.ym[0], 1)
        self.rng = random.Random(f"returns_kit.sample:{seed}:orders")
        self.rng_as = random.Random(f"returns_kit.sample:{seed}:after_sales")
        self.rng_txt = random.Random(f"returns_kit.sample:{seed}:texts")
        # repeat buyers: own stream, so the planted signals (drawn from the others) do not move
        self.rng_buyers = random.Random(f"returns_kit.sample:{seed}:buyers")
        self._past_buyers: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        self._script_note_done = False
        self.used_ids: set[int] = set()
        self.orders: list[_Order] = []
        self.after_sales: list[_AfterSale] = []
        self._epoch = datetime(2026, 1, 1)
        self._product_w = [p.weight for p in CATALOG]
        self._by_group: dict[str, list[Product]] = {}
        for p in CATALOG:
            self._by_group.setdefault(p.group, []).append(p)

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
            wd = day.weekday()
            factor = {4: 1.03, 5: 1.07, 6: 1.06}.get(wd, 0.97)
            factor *= 1 + max(-0.08, min(0.08, self.rng.gauss(0, 0.04)))
            out.append((day, max(1, round(per_day * factor))))
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
                   products: list[Product] | None = None) -> _Order:
        rng = self.rng
        o = _Order()
        o.spike = spike
        o.exported = exported
        o.submit = self._submit_time(day, (13, 19) if spike else None)
        unpaid = (not spike) and exported and rng.random() < 0.03
        o.pay = None if unpaid else o.submit + timedelta(seconds=int(min(600, rng.expovariate(1 / 25)) + 3))
        prov = rng.choices(_PROVINCES, weights=_PROV_WEIGHTS)[0]
        o.province, o.remote = prov[0], prov[2]
        o.city = rng.choice(list(prov[3]))
        o.district = rng.choice(prov[3][o.city])
        o.buyer = rng.choice(_SURNAMES) + "**"
        o.phone = rng.choice(_PHONE_PREFIX) + "****" + f"{rng.randrange(10000):04d}"
        past = self._past_buyers.setdefault((o.province, o.city, o.district), [])
        if past and self.rng_buyers.random() < REPEAT_BUYER_SHARE:
            o.buyer, o.phone = self.rng_buyers.choice(past)  # a returning customer, same address
        else:
            past.append((o.buyer, o.phone))
        o.app = rng.choices(_APPS, weights=_APP_W)[0]
        o.pay_method = rng.choices(_PAY_METHODS, weights=_PAY_METHOD_W)[0] if o.pay else "-"
        o.addr_changed = rng.random() < 0.02
        o.buyer_msg = rng.choice(_BUYER_MSGS) if rng.random() < 0.04 else "-"
        o.merchant_remark = rng.choice(_MERCHANT_REMARKS) if rng.random() < 0.015 else "-"
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
        # traffic and creator (decided by the first product)
        group = products[0].group
        o.creator = None
        if spike:
            o.traffic = ("直播", "直播", "直播间", "自然流量", "-")
        elif products[0].key != "dress" and rng.random() < _CREATOR_SHARE[group]:
            pool = [c for c in CREATORS if group in c["groups"]]
            o.creator = rng.choice(pool)
            if rng.random() < 0.62:
                o.traffic = ("直播", "直播", rng.choice(("直播间", "推荐feed")),
                             rng.choice(("自然流量", "自然流量", "付费流量")), "-")
            else:
                o.traffic = ("短视频", "短视频", "推荐feed", rng.choice(("自然流量", "付费流量")), "-")
        else:
            r = rng.random()
            if r < 0.22:
                o.traffic = ("直播", "直播", "直播间", rng.choice(("自然流量", "付费流量")), "-")
            elif r < 0.34:
                o.traffic = ("短视频", "短视频", "推荐feed", rng.choice(("自然流量", "付费流量")), "-")
            else:
                ch = rng.choices(("搜索", "商城推荐", "店铺页", "橱窗"), weights=(40, 30, 20, 10))[0]
                o.traffic = ("商品卡", "商品卡", ch, "自然流量", "-")
        if o.traffic[3] == "付费流量":
            o.traffic = o.traffic[:4] + ("巨量千川",)
        o.anxin = "是" if group == "apparel" and rng.random() < 0.3 else "否"
        # logistics plan
        pricey = max(p.price_cents for p in products) >= 30000
        weights = _CARRIER_W_PRICEY if pricey else (_CARRIER_W_REMOTE if o.remote == 3 else _CARRIER_W)
        o.carrier = rng.choices(_CARRIERS, weights=weights)[0]
        o.tracking = _tracking(rng, o.carrier)
        if o.pay:
            delay = rng.lognormvariate(math.log(18), 0.5)
            if spike:
                delay = rng.uniform(40, 80)
            o.planned_ship = o.pay + _h(min(delay, 70 if not spike else 90))
            o.ship = o.planned_ship
        else:
            o.planned_ship = None
        transit = {0: (20, 40), 1: (36, 66), 2: (50, 90), 3: (80, 130)}[o.remote]
        if o.province == _PLANTED_PROVINCE:
            transit = (110, 210)
        o.transit_h = rng.uniform(*transit)
        o.main_id = self._time_id(5 if rng.random() < 0.08 else 6, o.submit, rng)
        for k, p in enumerate(products):
            s = _Sub(o, p)
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
            if k == 0 and o.province in _REMOTE_FEE and rng.random() < 0.4:
                s.shipping = rng.choice((1000, 1500))
            s.pay_disc = rng.choice((50, 100, 150, 200, 300)) if rng.random() < 0.06 else 0
            o.subs.append(s)
        return o

    def _build_orders(self):
        for (y, mo) in self.ym:
            for day, n in self._daily_counts(y, mo):
                for _ in range(n):
                    self.orders.append(self._new_order(day))
                if day == self.spike_day:
                    spike_pool = [_BY_KEY[k] for k in _SPIKE_PRODUCTS]
                    extra = round(2.0 * n * 1.13)
                    for _ in range(extra):
                        p = self.rng.choice(spike_pool)
                        self.orders.append(self._new_order(day, spike=True, products=[p]))
        # three orders paid the month before the first month, not in any order export
        py, pm = _prev_month(*self.ym[0])
        last = _month_end(py, pm)
        for k, key in enumerate(("jeans", "wok", "earbuds")):
            o = self._new_order(last - timedelta(days=2 - k), exported=False, products=[_BY_KEY[key]])
            self.orders.append(o)
        for o in self.orders:
            o.export_month = (o.submit.year, o.submit.month)

    # -- after-sales: who --------------------------------------------------------------
    def _main_rate_at(self, p: Product, day: date) -> float:
        if p.key == _INTERVENTION_PRODUCT and day >= self.start_day:
            return 0.135
        return p.rate

    def _main_rate(self, s: _Sub) -> float:
        rate = self._main_rate_at(s.product, s.order.pay.date())
        if s.order.creator:
            rate *= s.order.creator["mult"]
        return rate

    def _assign(self):
        """Decide which paid sub-orders get which after-sale (systematic sampling per pay day)."""
        rng = self.rng_as
        by_day: dict[date, list[_Sub]] = {}
        self._events: list[tuple[_Sub, str]] = []  # (sub, channel)
        for o in self.orders:
            if o.pay is None:
                continue
            if not o.exported:  # paid before the first month: forced late returns
                self._events += [(s, "pre") for s in o.subs]
                continue
            for s in o.subs:
                by_day.setdefault(o.pay.date(), []).append(s)

        def damage_p(s: _Sub) -> float:
            return 0.046 if s.order.carrier == _PLANTED_CARRIER else 0.0105

        def comps_of(s: _Sub, damage: bool = False) -> dict[str, float]:
            if s.order.spike:
                return {"spike": 0.61}
            c = {"main": self._main_rate(s)}
            if s.order.province == _PLANTED_PROVINCE:
                c["xj"] = 0.7 * c["main"] + 0.005
            if damage:
                c["damage"] = damage_p(s) * 0.87  # the share not already refunded for another reason
            return c

        refunded: set[int] = set()

        def select(units: list[tuple[_Sub, dict[str, float]]]) -> None:
            """Systematic sampling: unit i is picked with probability sum(comps_i) exactly, and
            the number picked is within ±1 of its expectation along the sequence."""
            offset, cum = rng.random(), 0.0
            for s, comps in units:
                total = min(0.95, sum(comps.values()))
                lo, hi = cum - offset, cum + total - offset
                cum += total
                if math.floor(hi) > math.floor(lo):
                    ch = _pick(rng, comps)
                    self._events.append((s, ch))
                    refunded.add(s.sub_id)
                    if ch != "spike" and rng.random() < 0.05:
                        self._events.append((s, "reapply"))
                elif not s.order.spike:
                    q = 0.42 * comps.get("main", 0.1) / max(0.05, 1 - total)
                    if rng.random() < q:
                        self._events.append((s, "other"))
                elif rng.random() < 0.05:
                    self._events.append((s, "other"))

        # The intervention and control products, and the 新疆 orders, run in their own sequences
        # over time, so their rates (before/after, per month) are what was planted (±1 refund).
        own_keys = (_INTERVENTION_PRODUCT, *_CONTROL_PRODUCTS, "xj")

        def own_key(s: _Sub) -> str | None:
            if s.order.spike:
                return None
            if s.order.province == _PLANTED_PROVINCE:
                return "xj"
            return s.product.key if s.product.key in own_keys else None

        own: dict[str, list[_Sub]] = {k: [] for k in own_keys}
        for day in sorted(by_day):
            for s in sorted(by_day[day], key=lambda s: (s.order.pay, s.sub_id)):
                k = own_key(s)
                if k:
                    own[k].append(s)
        for k in own_keys:
            select([(s, comps_of(s, damage=True)) for s in own[k]])

        def steady(s: _Sub) -> bool:
            return not s.order.spike and own_key(s) is None

        # The mix of a day (a few more dresses or creator orders) would move its refund rate by
        # ±20 %; scale the other sub-orders per day towards the long-run mean so that only the
        # planted spike looks like a spike (relative risks within a day are kept).  They also
        # absorb the day-to-day count noise of the sub-orders in their own sequences.
        all_c = [sum(comps_of(s).values()) for d in by_day for s in by_day[d] if steady(s)]
        mean_rate = sum(all_c) / max(1, len(all_c))
        n_all = sum(1 for d in by_day for s in by_day[d] if not s.order.spike)
        share = {k: len(own[k]) / max(1, n_all) for k in own_keys}
        own_rate = {k: sum(sum(comps_of(s).values()) for s in own[k]) / max(1, len(own[k]))
                    for k in own_keys}
        self._own = {id(s) for k in own_keys for s in own[k]}
        for day in sorted(by_day):
            subs = [s for s in by_day[day] if own_key(s) is None]
            rng.shuffle(subs)
            comps_list = [comps_of(s) for s in subs]
            st = sum(sum(c.values()) for s, c in zip(subs, comps_list) if steady(s))
            n_st = sum(1 for s in subs if steady(s))
            n_day = sum(1 for s in by_day[day] if not s.order.spike)
            want = mean_rate * n_st
            for k in own_keys:
                rate_k = own_rate[k]
                if k == _INTERVENTION_PRODUCT:
                    rate_k *= self._main_rate_at(_BY_KEY[k], day) / 0.17
                n_k = sum(1 for s in by_day[day] if own_key(s) == k)
                want += rate_k * (share[k] * n_day - n_k)
            day_f = want / st if st else 1.0
            day_f = max(0.85, min(1.15, day_f)) * (1 + max(-0.05, min(0.05, rng.gauss(0, 0.025))))
            select([(s, {k: v * day_f for k, v in c.items()} if steady(s) else c)
                    for s, c in zip(subs, comps_list)])
        # damage in transit: systematic per carrier over every shipped sub-order
        by_carrier: dict[str, list[_Sub]] = {}
        for day in sorted(by_day):
            for s in by_day[day]:
                if not s.order.spike and id(s) not in self._own:
                    by_carrier.setdefault(s.order.carrier, []).append(s)
        for carrier in _CARRIERS:
            subs = by_carrier.get(carrier, [])  # in pay-day order: evenly spread over time
            offset, cum = rng.random(), 0.0
            for s in subs:
                p = damage_p(s)
                lo, hi = cum - offset, cum + p - offset
                cum += p
                if math.floor(hi) > math.floor(lo) and s.sub_id not in refunded:
                    self._events.append((s, "damage"))
        # stratified quantile per pay day for the main lag (smooth apply-date curve)
        by_day_ev: dict[date, list[int]] = {}
        for i, (s, _ch) in enumerate(self._events):
            by_day_ev.setdefault(s.order.pay.date(), []).append(i)
        self._u = [0.5] * len(self._events)
        for day in sorted(by_day_ev):
            idx = by_day_ev[day]
            rng.shuffle(idx)
            n = len(idx)
            for rank, i in enumerate(idx):
                self._u[i] = (rank + rng.random()) / n

    # -- after-sales: what and when ----------------------------------------------------
    def _type_for(self, s: _Sub, ch: str) -> str:
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
        mix = _TYPE_MIX_DRESS if p.key == "dress" else _TYPE_MIX[p.group]
        return rng.choices(("return", "shipped", "unshipped"), weights=mix)[0]

    def _reason_for(self, s: _Sub, ch: str, kind: str) -> tuple[str, str]:
        rng = self.rng_as
        p = s.product
        o = s.order
        if ch == "spike":
            r = _pick(rng, {R_REGRET: 80, R_LATE: 8, R_OTHER: 6, R_NEGOTIATED_OLD: 6})
            return r, ("regret" if r == R_REGRET else _REASON_FAMILY[r])
        if ch == "damage":
            r = rng.choice(_DAMAGE_REASONS)
            return r, "damage"
        if ch == "xj":
            if kind == "unshipped":
                return R_LATE, "late"
            if kind == "shipped":
                r = _pick(rng, {R_NOT_ARRIVED: 78, R_NO_TRACK: 22})
                return r, "transit"
            r = _pick(rng, {R_OTHER: 50, R_REGRET: 50})
            return r, "transit"
        if kind == "exchange":
            r = _pick(rng, _REASONS_EXCHANGE.get(p.group, _REASONS_EXCHANGE["default"]))
        elif kind == "reship":
            r = _pick(rng, _REASONS_RESHIP)
        elif kind == "unshipped":
            r = _pick(rng, _REASONS_UNSHIPPED)
        elif kind == "shipped":
            r = _pick(rng, _REASONS[(p.group, "shipped")])
        else:
            if p.key == "dress":
                r = _pick(rng, _REASONS_DRESS_RETURN)
            elif p.key == _INTERVENTION_PRODUCT:
                before = o.pay.date() < self.start_day
                if rng.random() < (0.45 if before else 0.14):
                    return _pick(rng, _REASONS_SHELF_INSTALL), "install"
                r = _pick(rng, _REASONS[(p.group, "return")])
            else:
                r = _pick(rng, _REASONS[(p.group, "return")])
        return r, _REASON_FAMILY.get(r, "other")

    def _note_for(self, a: _AfterSale) -> str:
        rng = self.rng_txt
        s = a.sub
        if rng.random() < 0.28:
            return "-"
        fam = a.family
        keys = []
        if s.order.spike:
            keys.append((fam, "spike"))
        if s.product.key == "dress":
            keys.append((fam, "dress"))
        if s.product.key == _INTERVENTION_PRODUCT:
            keys.append((fam, "shelf"))
        if s.order.province == _PLANTED_PROVINCE:
            keys.append((fam, "xj"))
        keys += [(fam, s.product.group), (fam, "default")]
        for k in keys:
            if k in _NOTES:
                return rng.choice(_NOTES[k])
        return "-"

    def _lag_hours(self, a: _AfterSale, u: float, ch: str) -> datetime:
        """Apply time of an after-sale (quantile ``u`` of its lag distribution)."""
        t = self._lag(a, u, ch)
        if a.kind != "unshipped" and t.hour < 7:  # buyers apply while awake
            t += timedelta(hours=7)
        if ch == "pre":
            t = max(t, datetime.combine(self.first_day, datetime.min.time()) + _h(9 + 30 * u))
        return t

    def _lag(self, a: _AfterSale, u: float, ch: str) -> datetime:
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
                lag = min(_lognormal_q(u, 2.5, 1.1), window * 0.9)
            return o.pay + _h(max(lag, 0.02))
        ship = o.ship
        delivery = ship + _h(o.transit_h)
        if a.family == "transit":
            if a.kind == "shipped":
                return ship + _h(o.transit_h * (0.55 + 0.35 * u))
            return delivery + _h(_lognormal_q(u, 10, 0.6))
        if a.family in ("damage", "missing", "wrong"):
            return delivery + _h(_lognormal_q(u, 8, 0.8))
        if a.family in ("quality", "function", "allergy") and u > 0.8:
            # faults found after some use: 10–30 days after delivery
            return delivery + _h(240 + (u - 0.8) / 0.2 * 480)
        if a.kind == "shipped":
            return delivery + _h(min(_lognormal_q(u, 30, 0.8), 240))
        return delivery + _h(min(_lognormal_q(u, 40, 0.85), 14 * 24))

    def _lifecycle(self, a: _AfterSale):
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
            refund = agree + timedelta(seconds=rng.randint(3, 90))
            recv = refund + timedelta(seconds=rng.randint(30, 7200))
            tm.update(同意售后申请时间=agree, 商家退款时间=refund, 用户到账时间=recv,
                      售后完结时间=recv + timedelta(seconds=rng.randint(0, 5)))
            st += [(refund, "同意退款，退款中", 24), (recv, "同意退款，退款成功", None)]
            a.operator = "系统" if a.fast else rng.choice(_OPERATORS)
            return
        if a.kind == "return" and a.outcome == "refund":
            agree = t0 + _h(rng.lognormvariate(math.log(6), 0.9))
            slow = rng.random() < 0.1
            ret_ship = agree + _h(rng.uniform(4, 100) * (2.2 if slow else 1))
            arrive = ret_ship + _h(rng.uniform(30, 96))
            refund = arrive + _h(rng.lognormvariate(math.log(10), 0.8) * (3 if slow else 1)
                                 + (rng.uniform(48, 150) if rng.random() < 0.05 else 0))
            recv = refund + timedelta(seconds=rng.randint(30, 7200))
            tm.update(同意售后申请时间=agree, 退货发货时间=ret_ship, 商家退款时间=refund,
                      用户到账时间=recv, 售后完结时间=recv + timedelta(seconds=rng.randint(0, 5)),
                      _return_arrive=arrive)
            st += [(agree, "待买家退货", 7 * 24), (ret_ship, "待商家收货", 10 * 24),
                   (recv, "同意退款，退款成功", None)]
            self._return_logistics(a)
            a.operator = rng.choice(_OPERATORS)
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
            a.operator = rng.choice(_OPERATORS)
            return
        if a.outcome == "rejected":
            when = t0 + _h(rng.uniform(3, 40))
            st.append((when, "拒绝售后申请", None))
            a.operator = rng.choice(_OPERATORS)
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

    def _return_logistics(self, a: _AfterSale):
        rng = self.rng_as
        a.return_carrier = rng.choices(_RETURN_CARRIERS, weights=_RETURN_CARRIER_W)[0]
        a.return_tracking = _tracking(rng, a.return_carrier)

    def _make_after_sale(self, s: _Sub, ch: str, u: float) -> _AfterSale | None:
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
        else:
            outcome, kind = "refund", self._type_for(s, ch)
        if kind != "unshipped" and (o.ship is None or not s.shipped):
            return None
        reason, family = self._reason_for(s, "main" if ch in ("other", "pre") else ch, kind)
        if ch == "other" and kind == "exchange" and s.product.key == _INTERVENTION_PRODUCT:
            family = "install" if rng.random() < 0.3 else family
        a = _AfterSale(sub=s, kind=kind, outcome=outcome, reason=reason, family=family,
                       apply=o.pay, u=u)
        a.apply = self._lag_hours(a, u if ch != "other" else rng.random(), ch)
        return a

    def _build_after_sales(self):
        rng = self.rng_as
        made: list[tuple[_AfterSale, str]] = []
        reapply: list[_Sub] = []
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
        kept: list[_AfterSale] = []
        post: list[tuple[_AfterSale, str]] = []
        for a, ch in made:
            if a.kind != "unshipped":
                s = a.sub
                if not s.shipped or s.order.ship is None:
                    continue
                u = a.u if ch not in ("other",) else rng.random()
                a.apply = self._lag_hours(a, u, ch)
                post.append((a, ch))
            kept.append(a)
        self._balance_apply_days([(a, None) for a in kept], post)
        for a, _ch in post:
            self._lifecycle(a)
        # 3. re-applications: the buyer cancelled an earlier application, then applied again
        first_refund: dict[int, _AfterSale] = {}
        for a in kept:
            if a.outcome == "refund":
                first_refund.setdefault(a.sub.sub_id, a)
        for s in reapply:
            r = first_refund.get(s.sub_id)
            if r is None:
                continue
            c = _AfterSale(sub=s, kind=r.kind, outcome="closed", reason=r.reason, family=r.family,
                           apply=r.apply - _h(rng.uniform(6, 60)))
            lower = s.order.pay if r.kind == "unshipped" else s.ship_time
            if lower is None or c.apply <= lower:
                continue
            close = c.apply + (r.apply - c.apply) * rng.uniform(0.2, 0.8)
            c.stages = [(c.apply, "待商家处理", 48), (close, "售后关闭", None)]
            c.times = {"售后关闭时间": close, "售后完结时间": close}
            c.operator = "-"
            kept.append(c)
        # keep only what happened by the export date
        out = []
        for a in kept:
            o = a.sub.order
            if a.apply > self.as_of or a.apply < o.pay:
                continue
            if a.kind != "unshipped" and (a.sub.ship_time is None or a.apply < a.sub.ship_time):
                continue
            out.append(a)
        self._finish_texts(out)
        out.sort(key=lambda a: (a.apply, a.sub.sub_id))
        self.after_sales = out
        for a in out:
            a.sub.after_sales.append(a)
        self._completion_times()

    def _balance_apply_days(self, made, post):
        """Nudge movable post-ship applications by ±1–2 days so that the daily count of
        applications per paid sub-order is smooth (only the planted spike day stands out).

        Real data are noisier; the sample keeps noise below the article's 20 % rule so that the
        planted spike is the one anomaly a reader should find."""
        paid: dict[date, int] = {}
        for o in self.orders:
            if o.pay is not None and o.exported:
                paid[o.pay.date()] = paid.get(o.pay.date(), 0) + len(o.subs)
        movable_ids = {id(a) for a, ch in post if ch not in ("spike", "pre") and a.family != "transit"}
        lo_day, hi_day = self.first_day, self.as_of.date() - timedelta(days=1)
        for group in ("refund", "other"):
            evs = [a for a, _ch in made if (a.outcome == "refund") == (group == "refund")]
            count: dict[date, int] = {}
            for a in evs:
                count[a.apply.date()] = count.get(a.apply.date(), 0) + 1
            days = [lo_day + timedelta(days=i) for i in range((hi_day - lo_day).days + 1)]
            spike = {self.spike_day}

            def target(d: date) -> float:
                win = [x for x in (d + timedelta(days=k) for k in range(-10, 11))
                       if lo_day <= x <= hi_day and x not in spike]
                if paid.get(d) and all(paid.get(x) for x in win):
                    ratio = sum(count.get(x, 0) for x in win) / sum(paid[x] for x in win)
                    return ratio * paid[d]
                return sum(count.get(x, 0) for x in win) / max(1, len(win))

            by_day: dict[date, list[_AfterSale]] = {}
            for a in evs:
                if id(a) in movable_ids:
                    by_day.setdefault(a.apply.date(), []).append(a)
            for lst in by_day.values():
                lst.sort(key=lambda a: (a.apply, a.sub.sub_id))
            # diffusion: move one application to a neighbouring day while that lowers the sum of
            # squared deviations from the local target
            for _ in range(40):
                moved = 0
                for d in days:
                    if d in spike:
                        continue
                    while by_day.get(d):
                        dev = count.get(d, 0) - target(d)
                        best = None
                        for k in (-1, 1, -2, 2):
                            nd = d + timedelta(days=k)
                            if nd in spike or not lo_day <= nd <= hi_day:
                                continue
                            gap = dev - (count.get(nd, 0) - target(nd))
                            if gap > 1.0 and (best is None or gap > best[1]):
                                best = (k, gap)
                        if best is None:
                            break
                        k = best[0]
                        cand = None
                        for a in by_day[d]:
                            new = a.apply + timedelta(days=k)
                            if a.sub.delivery + _h(1) <= new <= self.as_of - _h(1):
                                cand = a
                                break
                        if cand is None:
                            break
                        by_day[d].remove(cand)
                        cand.apply += timedelta(days=k)
                        nd = cand.apply.date()
                        by_day.setdefault(nd, []).append(cand)
                        count[d] -= 1
                        count[nd] = count.get(nd, 0) + 1
                        moved += 1
                if not moved:
                    break

    def _finish_texts(self, lst: list[_AfterSale]):
        rng = self.rng_txt
        for a in lst:
            s = a.sub
            a.type_text = {"return": "退货退款", "shipped": "已发货仅退款", "unshipped": "未发货仅退款",
                           "exchange": "换货", "reship": "补寄"}[a.kind]
            if a.kind in ("shipped", "unshipped") and rng.random() < 0.04:
                a.type_text = {"shipped": "已发货退款", "unshipped": "未发货退款"}[a.kind]
            a.note = self._note_for(a)
            if (a.family == "regret" and not self._script_note_done
                    and (s.order.submit.year, s.order.submit.month) == self.ym[-1]):
                # a buyer who clicks 不想要 but writes of a defect, pasting markup: chapter 4's
                # mismatch table must show the markup as text, never run it
                a.note = "<script>alert(1)</script> 用了一次就坏了，开关失灵"
                self._script_note_done = True
            if rng.random() < 0.45:
                labels = _LABELS.get(a.family, ("其他",))
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
                a.merchant_note = rng.choice(_MERCHANT_AS_NOTES)
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
        y, mo = self.ym[-1]
        cands = [a for a in self.after_sales
                 if a.apply.year == y and a.apply.month == mo and a.apply.day >= 26
                 and a.outcome == "refund"]
        if cands:
            cands[len(cands) // 2].aid = "1" + "".join(str(rng.randrange(10)) for _ in range(17))

    # -- snapshots ---------------------------------------------------------------------
    def _order_status(self, s: _Sub, t: datetime) -> tuple[str, str]:
        """(订单状态, 售后状态) of a sub-order in an export taken at ``t``."""
        o = s.order
        seen = [a for a in s.after_sales if a.apply <= t]
        as_status = seen[-1].state(t)[0] if seen else "-"
        if o.pay is None or o.pay > t:
            return "已关闭", "-"
        refunded = any(a.outcome == "refund" and a.final_time <= t and a.refund_cents >= s.payable_goods
                       for a in seen)
        if refunded:
            return "已关闭", as_status
        st = s.ship_time
        if st is None or st > t:
            return "待发货", as_status
        if s.complete is not None and s.complete <= t:
            return "已完成", as_status
        return "已发货", as_status

    # -- writing: orders ---------------------------------------------------------------
    def _order_row(self, s: _Sub, t: datetime) -> dict[str, str]:
        o = s.order
        p = s.product
        status, as_status = self._order_status(s, t)
        shipped = s.ship_time is not None and s.ship_time <= t
        completed = status == "已完成"
        name = p.name + (" " if s.trail_space else "")
        merchant = _money(s.merchant_disc)
        if s.merchant_disc and s.merchant_label:
            merchant = f"{s.merchant_label}-{s.merchant_disc / 100:.2f}"
        payable = s.payable
        payable_txt = _money_thousands(payable) if payable >= 100000 else _money(payable)
        row = {
            "主订单编号": f"\t{o.main_id}", "子订单编号": f"\t{s.sub_id}",
            "支付方式": o.pay_method, "选购商品": name, "货号": p.item_code,
            "商品ID": f"\t{p.product_id}", "商家编码": f"\t{p.item_code}-{s.spec_idx + 1:02d}",
            "商品数量": str(s.qty), "商品金额": _money(p.price_cents),
            "订单提交时间": _fmt_t(o.submit), "支付完成时间": _fmt_t(o.pay),
            "订单完成时间": _fmt_t(s.complete) if completed else "-",
            "承诺发货时间": _fmt_t(o.pay + timedelta(hours=48)) if o.pay else "-",
            "预约发货时间": "-", "买家留言": o.buyer_msg, "旗帜颜色": "-",
            "商家备注": o.merchant_remark, "APP渠道": o.app, "订单状态": status,
            "取消原因": o.cancel_reason, "售后状态": as_status, "订单类型": "普通订单",
            "发货时间": _fmt_t(s.ship_time) if shipped else "-", "车型": "-",
            "是否是以旧换新": "否", "换新额外补贴": "-", "换新额外补贴发放状态": "-",
            "订单应付金额": payable_txt, "运费": _money(s.shipping),
            "优惠总金额": _money(s.discount_cents), "平台优惠": _money(s.platform_disc),
            "商家优惠": merchant, "达人优惠": _money(s.creator_disc), "商家改价": "0.00",
            "支付优惠": _money(s.pay_disc), "手续费": "0.00", "红包抵扣": "0.00",
            "降价类优惠": "0.00", "平台实际承担优惠金额": _money(s.platform_disc),
            "商家实际承担优惠金额": _money(s.merchant_disc),
            "达人实际承担优惠金额": _money(s.creator_disc),
            "收件人": o.buyer, "收件人手机号": o.phone, "省": o.province, "市": o.city,
            "区": o.district, "街道": "****", "详细地址": "****",
            "是否修改过地址": "是" if o.addr_changed else "否",
            "快递信息": f"{o.tracking}-{o.carrier},{p.name}" if shipped else "-",
            "序列号": "-",
            "达人ID": f"\t{o.creator['creator_id']}" if o.creator else "-",
            "达人昵称": o.creator["creator_name"] if o.creator else "-",
            "拼团订单团编号": "-", "商品单价是否含税": "-", "税费": "0.00", "鲁班落地页ID": "-",
            "所属门店ID": "-", "流量来源": o.traffic[0], "仓库ID": "-", "仓库名称": "-",
            "是否安心购": o.anxin, "广告渠道": o.traffic[4], "流量类型": o.traffic[3],
            "流量体裁": o.traffic[1], "流量渠道": o.traffic[2], "发货主体": "商家",
            "发货主体明细": "-", "教育优惠": "-", "预计送达时间": "-", "是否平台仓自流转": "否",
            "是否是渠道商品": "否", "预约送达时间": "-", "建议发货时间（起）": "-",
            "建议发货时间（止）": "-",
        }
        if o.pay is None:
            row.update({"支付方式": "-", "承诺发货时间": "-", "售后状态": "-"})
        return row

    def _write_orders(self, out_dir: Path) -> list[Path]:
        paths = []
        rng = random.Random(f"returns_kit.sample:{self.seed}:files")
        for i, (y, mo) in enumerate(self.ym):
            if i == len(self.ym) - 1:
                t = self.as_of - timedelta(minutes=21, seconds=40)
            else:
                t = datetime.combine(_month_end(y, mo) + timedelta(days=2), datetime.min.time()) + \
                    timedelta(hours=rng.randint(9, 11), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            legacy = i == 0
            headers = list(RAW_ORDER_HEADERS)
            if legacy:
                headers = [LEGACY_ORDER_RENAMES.get(h, h) for h in headers]
                headers.insert(headers.index("商品名称") + 1, "商品规格")
            subs = [s for o in self.orders if o.exported and o.export_month == (y, mo)
                    and o.submit <= t for s in o.subs]
            subs.sort(key=lambda s: (s.order.submit, s.order.main_id, s.sub_id), reverse=True)
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(headers)
            for s in subs:
                row = self._order_row(s, t)
                if legacy:
                    for new, old in LEGACY_ORDER_RENAMES.items():
                        row[old] = row.pop(new)
                    row["商品规格"] = s.product.specs[s.spec_idx]
                w.writerow([row.get(h, "-") for h in headers])
            path = out_dir / f"订单导出_{t:%Y%m%d_%H%M%S}.csv"
            _atomic_write(path, buf.getvalue().encode("utf-8-sig"))
            paths.append(path)
        return paths

    # -- writing: after-sales ----------------------------------------------------------
    def _after_sale_row(self, a: _AfterSale, t: datetime) -> list[str]:
        s = a.sub
        o = s.order
        p = s.product
        status, deadline = a.state(t)
        vis = lambda k: _fmt_t(a.visible(k, t))  # noqa: E731
        final = deadline is None
        is_refund_kind = a.kind in ("return", "shipped", "unshipped")
        ret_shipped = a.visible("退货发货时间", t) is not None
        arrived = a.visible("_return_arrive", t) is not None
        ex_shipped = a.visible("_exchange_ship", t) is not None
        delivered = s.delivery is not None and s.delivery <= t
        if is_refund_kind and a.outcome in ("refund",) or (is_refund_kind and not final):
            method = "原路退款"
        else:
            method = "无需退款"
        refund_pay_disc = _money(s.pay_disc) if (s.pay_disc and is_refund_kind and a.outcome == "refund") else "-"
        ship_state = "未发货" if a.kind == "unshipped" else "1/1已发货"
        history = "-"
        if self.rng_txt.random() < 0.25:
            history = {
                "同意退款，退款成功": "商家同意退款，平台已退款至买家原支付账户",
                "售后关闭": "买家撤销售后申请",
                "拒绝售后申请": "商家拒绝：商品已使用，影响二次销售",
                "待买家退货": "商家已同意退货申请，等待买家退货",
                "待商家收货": "买家已退货，等待商家确认收货",
                "换货成功": "商家已发出换货商品，买家已签收",
            }.get(status, "买家发起售后申请")
        return_flow = a.kind in ("return", "exchange") and a.return_tracking != "-"
        values = {
            "售后单号": f"\t{a.aid}", "订单号": f"\t{o.main_id}", "商品单号": f"\t{s.sub_id}",
            "商品名称": p.name, "商品ID": f"\t{p.product_id}",
            "应付金额（元）": _money(s.payable), "商品运费（元）": _money(s.shipping),
            "支付优惠（元）": _money(s.pay_disc), "商品税费（元）": "0.00",
            "商品发货状态": ship_state, "售后类型": a.type_text,
            "退商品金额（元）": _money(a.refund_cents),
            "退运费金额（元）": _money(a.refund_ship_cents) if is_refund_kind else "-",
            "退支付优惠（元）": refund_pay_disc,
            "退税费金额（元）": "0.00" if is_refund_kind else "-",
            "售后状态": status, "售后申请时间": _fmt_t(a.apply), "退款方式": method,
            "是否已上传退款凭证": "否", "售后原因": a.reason, "售后原因标签": a.label,
            "退货物流单号": a.return_tracking if (return_flow and ret_shipped) else "-",
            "退货异常": "-",
            "退货发货时间": vis("退货发货时间"),
            "退货物流公司": a.return_carrier if (return_flow and ret_shipped) else "-",
            "自动处理截止时间": _fmt_t(deadline),
            "同意售后申请时间": vis("同意售后申请时间"), "商家退款时间": vis("商家退款时间"),
            "用户到账时间": vis("用户到账时间"), "售后关闭时间": vis("售后关闭时间"),
            "商家退货地址": "浙江省杭州市余杭区****" if a.kind in ("return", "exchange") else "-",
            "商家退货联系人姓名": _RETURN_CONTACTS[s.sub_id % 2] if a.kind in ("return", "exchange") else "-",
            "商家退货联系人电话": "138****0000" if a.kind in ("return", "exchange") else "-",
            "仲裁状态": a.arbitration if status == "拒绝售后申请" else ("无仲裁记录" if s.sub_id % 3 else "-"),
            "纠纷责任方": a.liability if status == "拒绝售后申请" else "-",
            "是否极速退款": "是" if a.fast else "否",
            "是否拒签后退款": "是" if a.refuse_sign else "否",
            "发货物流单号": o.tracking if a.kind != "unshipped" else "-",
            "发货物流状态": ("已签收" if delivered else "运输中") if a.kind != "unshipped" else "-",
            "换货物流单号": a.exchange_tracking if ex_shipped else "-",
            "退货物流状态": ("已签收" if arrived else "运输中") if (return_flow and ret_shipped) else "-",
            "售后完结时间": vis("售后完结时间") if final else "-",
            "订单备注": o.merchant_remark, "用户售后说明": a.note, "售后备注": a.merchant_note,
            "操作人": a.operator if a.visible("同意售后申请时间", t) or final else "-",
            "协商记录": history,
            "换货商品信息": p.specs[(s.spec_idx + 1) % len(p.specs)] if a.kind == "exchange" else "-",
            "商家编码": f"\t{p.item_code}-{s.spec_idx + 1:02d}", "门店名称": "-",
        }
        for k in a.trail:
            if values[k] != "-":
                values[k] += " "
        return [values[h] for h in RAW_AFTER_SALE_HEADERS]

    def _make_broken(self):
        """Two after-sales that reach us only as rows mangled by an Excel re-save."""
        rng = random.Random(f"returns_kit.sample:{self.seed}:broken")
        y, mo = self.ym[-1]
        subs = [s for o in self.orders if o.exported and o.pay and o.ship and o.pay.year == y
                and o.pay.month == mo and 3 <= o.pay.day <= 10 for s in o.subs
                if not s.after_sales and s.shipped]
        subs.sort(key=lambda s: s.sub_id)
        self.broken = []
        for s in (subs[len(subs) // 3], subs[2 * len(subs) // 3]):
            a = _AfterSale(sub=s, kind="return", outcome="closed", reason=R_DISLIKE, family="effect",
                           apply=s.delivery + _h(rng.uniform(20, 60)), broken=True)
            c = a.apply + _h(rng.uniform(5, 48))
            a.stages = [(a.apply, "待商家处理", 48), (c, "售后关闭", None)]
            a.times = {"售后关闭时间": c, "售后完结时间": c}
            a.type_text, a.aid = "退货退款", "6986850000000000000"
            a.refund_cents = s.payable_goods
            s.after_sales.append(a)
            if s.complete is not None:
                s.complete = max(s.complete, c + _h(2))
            self.broken.append(a)

    def _broken_rows(self, t: datetime) -> list[list[str]]:
        idx = {h: i for i, h in enumerate(RAW_AFTER_SALE_HEADERS)}

        def sci(v: str) -> str:
            m = f"{int(v.strip()):.5E}"  # 6.98685E+18, as Excel's General format shows it
            mant, exp = m.split("E")
            return f"{mant.rstrip('0').rstrip('.')}E{exp}"

        rows = []
        for a in self.broken:
            row = self._after_sale_row(a, t)
            row[idx["售后单号"]] = "6.98685E+18"
            for h in ("订单号", "商品单号", "商品ID"):
                row[idx[h]] = sci(row[idx[h]])
            for h in RAW_AFTER_SALE_HEADERS:
                if "（元）" not in h:
                    continue
                v = row[idx[h]]
                if v != "-":
                    row[idx[h]] = f"{float(v):g}"
            row[idx["商家编码"]] = row[idx["商家编码"]].strip()
            rows.append(row)
        return rows

    def _write_after_sales(self, out_dir: Path) -> list[Path]:
        rng = random.Random(f"returns_kit.sample:{self.seed}:files")
        ym = list(self.ym)
        tail = _next_month(*ym[-1])
        # (apply window start, end (exclusive), download time)
        batches = []
        t = self.as_of
        tail_start = datetime(tail[0], tail[1], 1)
        batches.append((tail_start, self.as_of, t))
        last_start = datetime(ym[-1][0], ym[-1][1], 1)
        t = t - timedelta(minutes=3, seconds=rng.randint(5, 50))
        batches.append((last_start + timedelta(days=14), tail_start, t))  # later batch
        for (y, mo) in reversed(ym[:-1]):
            t = t - timedelta(minutes=3, seconds=rng.randint(5, 50))
            start = datetime(y, mo, 1)
            batches.append((start, datetime(*_next_month(y, mo), 1), t))
        early_t = datetime.combine(_month_end(*ym[-1]) + timedelta(days=1), datetime.min.time()) + \
            timedelta(hours=10, minutes=31, seconds=26)
        batches.append((last_start, last_start + timedelta(days=24), early_t))  # earlier batch
        batches.sort(key=lambda b: b[2])
        paths = []
        for start, end, dl in batches:
            rows_src = [a for a in self.after_sales if start <= a.apply < end and a.apply <= dl]
            rows_src.sort(key=lambda a: (a.apply, a.aid), reverse=True)
            rows = [self._after_sale_row(a, dl) for a in rows_src]
            if dl == early_t:
                broken = self._broken_rows(dl)
                rows.insert(len(rows) // 3, broken[0])
                rows.insert(2 * len(rows) // 3, broken[1])
            path = out_dir / f"售后单导出-{dl:%Y-%m-%d-%H-%M-%S}.xlsx"
            _write_xlsx(path, list(RAW_AFTER_SALE_HEADERS), rows, dl)
            paths.append(path)
        return paths

    # -- writing: external -------------------------------------------------------------
    def _write_external(self, ext: Path) -> list[Path]:
        iv = self.plan["intervention"]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["name", "product_ids", "start_date", "description", "control_product_ids"])
        w.writerow([iv["name"], ";".join(iv["product_ids"]), iv["start_date"], _INTERVENTION_DESC,
                    ";".join(iv["control_product_ids"])])
        p1 = ext / "interventions.csv"
        _atomic_write(p1, buf.getvalue().encode("utf-8-sig"))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["product_id", "product_name", "category", "cost_price"])
        for p in CATALOG:
            w.writerow([p.product_id, p.name, p.category, _money(p.cost_cents)])
        p2 = ext / "catalog.csv"
        _atomic_write(p2, buf.getvalue().encode("utf-8-sig"))
        return [p1, p2]

    # -- writing: 罗盘 退款分析 download -------------------------------------------------
    def _luopan_rows(self, y: int, mo: int, cutoff: datetime, no_data: date | None) -> list[list]:
        """One row per pay day of the month, 退款口径 订单支付时间, as 罗盘 would count it at
        ``cutoff``: successful refunds (用户到账 by then) attributed to the order's pay day,
        主订单 counts, 退款金额 = 退商品金额 + 退运费, 退款率 = 退款金额 / 成交金额."""
        n_days = calendar.monthrange(y, mo)[1]
        gmv = {d: 0 for d in range(1, n_days + 1)}
        acc = {(d, st): (set(), set(), [0]) for d in gmv for st in _LUOPAN_STAGES}
        for o in self.orders:
            if o.pay is None or (o.pay.year, o.pay.month) != (y, mo):
                continue
            d = o.pay.day
            gmv[d] += sum(s.payable for s in o.subs)
            for s in o.subs:
                for a in s.after_sales:
                    if a.broken or a.outcome != "refund" or a.final_time > cutoff:
                        continue
                    if a.kind == "unshipped":
                        stages = ("全部退款阶段", "发货前退款阶段")
                    elif a.kind == "shipped" and (s.delivery is None or a.apply < s.delivery):
                        stages = ("全部退款阶段", "未收货退款阶段")
                    elif a.kind == "shipped":
                        stages = ("全部退款阶段", "已收货退款阶段")
                    elif a.kind == "return":
                        stages = ("全部退款阶段", "已收货退款阶段", "已收货退货退款阶段")
                    else:
                        continue
                    for st in stages:
                        buyers, orders, cents = acc[(d, st)]
                        buyers.add((o.buyer, o.phone))
                        orders.add(o.main_id)
                        cents[0] += a.refund_cents + a.refund_ship_cents
        rows = []
        for d in sorted(gmv, reverse=True):  # newest day first, as the download lists them
            day = date(y, mo, d)
            row: list = [f"{day:%Y/%m/%d}", "订单支付时间", "全部", "全部"]
            for st in _LUOPAN_STAGES:
                if day == no_data:
                    row += ["暂无数据"] * len(_LUOPAN_MEASURES)
                    continue
                buyers, orders, cents = acc[(d, st)]
                rate = cents[0] / gmv[d] if gmv[d] else 0.0
                row += [len(buyers), len(orders), f"¥{cents[0] / 100:,.2f}", f"{rate * 100:.2f}%"]
            rows.append(row)
        return rows

    def _write_luopan(self, ext: Path) -> list[Path]:
        plan = self.plan["luopan"]
        headers = ["日期", "退款口径", "售卖类型", "载体"] + [
            f"{st}-{m}" for st in _LUOPAN_STAGES for m in _LUOPAN_MEASURES]
        paths = []
        for i, (y, mo) in enumerate(self.ym):
            day = _luopan_download_day(self.months, i)
            cutoff = datetime.combine(day, datetime.min.time())  # data to the day before
            no_data = date.fromisoformat(plan["no_data_date"]) if i == len(self.ym) - 1 else None
            rows = self._luopan_rows(y, mo, cutoff, no_data)
            path = ext / _luopan_file(day)
            _write_sheet(path, plan["sheet"], headers, rows, cutoff + timedelta(hours=10))
            paths.append(path)
        return paths

    # -- writing: a third-party (蝉妈妈) product table ------------------------------------
    def _write_competitors(self, ext: Path) -> list[Path]:
        """Own and competitor products with 退货率, as a 蝉妈妈 商品 export: our products' rates
        are the sample's own (last month's paid sub-orders with a successful refund)."""
        plan = self.plan["competitor"]
        y, mo = self.ym[-1]
        period = f"{y}-{mo:02d}-01~{y}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}"
        paid: dict[str, int] = {}
        refunded: dict[str, int] = {}
        for o in self.orders:
            if o.pay is None or (o.pay.year, o.pay.month) != (y, mo):
                continue
            for s in o.subs:
                k = s.product.key
                paid[k] = paid.get(k, 0) + s.qty
                if any(a.outcome == "refund" and not a.broken and a.final_time <= self.as_of
                       for a in s.after_sales):
                    refunded[k] = refunded.get(k, 0) + 1
        rows = []
        for (name, shop, cat, price, sales, rate), pid in zip(_COMPETITOR_ROWS, _COMPETITOR_IDS):
            rows.append([name, pid, shop, cat, f"¥{price:.2f}", str(sales), f"{rate * 100:.1f}%", period])
        for k in _OWN_TOOL_PRODUCTS:
            p = _BY_KEY[k]
            subs = sum(1 for o in self.orders if o.pay is not None and (o.pay.year, o.pay.month) == (y, mo)
                       for s in o.subs if s.product.key == k)
            rate = refunded.get(k, 0) / subs if subs else 0.0
            rows.append([p.name, p.product_id, _OWN_SHOP, p.category, f"¥{p.price:.2f}",
                         str(paid.get(k, 0)), f"{rate * 100:.1f}%", period])
        rows.sort(key=lambda r: (r[3], r[0]))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["商品名称", "商品ID", "店铺名称", "类目", "价格", "近30天销量", "退货率", "统计周期"])
        w.writerows(rows)
        path = ext / plan["file"]
        _atomic_write(path, buf.getvalue().encode("utf-8-sig"))
        return [path]

    def run(self):
        self._build_orders()
        rng = self.rng
        for o in self.orders:
            for s in o.subs:
                s.trail_space = rng.random() < 0.004
        self._assign()
        self._build_after_sales()
        self._after_sale_ids()
        self._make_broken()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_xlsx(path: Path, headers: list[str], rows: list[list[str]], created: datetime) -> None:
    import xlsxwriter

    tmp = path.with_name(f".{path.stem}.tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    wb.set_properties({"created": created, "author": "", "title": ""})
    ws = wb.add_worksheet("Sheet1")
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    os.replace(tmp, path)


def _write_sheet(path: Path, sheet: str, headers: list[str], rows: list[list], created: datetime) -> None:
    """One sheet; ``str`` cells as text, numbers as numbers (as a 罗盘 download has them)."""
    import xlsxwriter

    tmp = path.with_name(f".{path.stem}.tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    wb.set_properties({"created": created, "author": "", "title": ""})
    ws = wb.add_worksheet(sheet)
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()
    os.replace(tmp, path)


def generate(out_dir, months: list[str] | tuple[str, ...] = DEFAULT_MONTHS, seed: int = 7,
             external_dir=None) -> list[Path]:
    """Write realistic 抖店 sample exports for ``months`` (``["2026-08", …]``) into ``out_dir``.

    Returns the paths written (order CSVs, after-sale XLSX files, then the analyst's
    ``interventions.csv`` / ``catalog.csv``, the 罗盘 downloads and the 蝉妈妈 table when
    ``external_dir`` is given).  Same seed → same
    bytes.  The planted signals are described by :func:`planted_for` (``PLANTED`` for the default
    months).

    >>> paths = generate("data/raw", ["2026-09", "2026-10"], seed=7)  # doctest: +SKIP
    """
    months = [str(m).strip() for m in months if str(m).strip()]
    if not months:
        raise ValueError("generate() needs at least one month like 2026-10")
    for m in months:
        _parse_month(m)
    sim = _Sim(months, seed)
    sim.run()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = sim._write_orders(out) + sim._write_after_sales(out)
    if external_dir is not None:
        ext = Path(external_dir)
        ext.mkdir(parents=True, exist_ok=True)
        paths += sim._write_external(ext)
        paths += sim._write_luopan(ext)
        paths += sim._write_competitors(ext)
    return paths
