#!/usr/bin/env python
"""Scale benchmark of ``returns_kit.io.ingest`` against the fastest plain readers.

Generates one large month of 抖店 exports (by default 1,000,000 paid sub-orders in ONE order CSV
— a larger month in several, as the export holds at most 1,000,000 orders — and 120,000
after-sales in three 50,000-row-capped XLSX files, value shapes as in
``shared/reference/doudian_exports.md`` §1–§2, §5), then runs each step in a fresh Python
subprocess and reports wall time and peak RSS:

* baseline CSV   — ``pyarrow.csv.read_csv`` of the order CSV, every column as string;
* baseline XLSX  — ``python_calamine`` ``to_python()`` of the three 售后 workbooks;
* baseline both  — the two baselines in one process (peak memory of holding both raw tables);
* kit ingest     — ``returns_kit.io.ingest(raw, processed, force=True, salt="bench")``;
* kit cache hit  — a second ``ingest(..., force=False)`` (loads the Parquet cache).

Usage::

    python benchmarks/bench_ingest.py                                  # full size (slow)
    python benchmarks/bench_ingest.py --orders 50000 --after-sales 6000  # quick run
    python benchmarks/bench_ingest.py --regenerate                     # rebuild the data

Generated files go to ``benchmarks/_data/`` and result tables to ``benchmarks/results/`` (both
git-ignored).  Timings are only comparable within one run: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA_DIR = HERE / "_data"
RESULTS_DIR = HERE / "results"

if str(ROOT) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

#: bump when the generated values change, so old data sets are regenerated
GENERATOR_VERSION = 1
#: the 售后 export refuses more than 50,000 rows per file (§1.1)
AFTER_SALE_CAP = 50_000
#: the order export holds at most 1,000,000 orders (§0, 2.1); rows are sub-orders, so a cap on rows
#: keeps every file within it
ORDER_CAP = 1_000_000
#: the month the orders were paid in (Beijing time, naive)
MONTH = "2026-10"
#: when the exports were downloaded (file names carry the download time, not the data date)
ORDER_EXPORT_TIME = datetime(2026, 12, 10, 8, 51, 33)
AFTER_SALE_EXPORT_TIME = datetime(2026, 12, 10, 9, 2, 17)
ORDER_CSV_NAME = "订单导出-{:%Y-%m-%d-%H-%M-%S}.csv"
AFTER_SALE_XLSX_NAME = "售后单导出-{:%Y-%m-%d-%H-%M-%S}.xlsx"
CHUNK_ROWS = 200_000  # order CSV rows rendered at a time (bounds generator memory)


# =============================================================================================
# Vocabularies (value shapes from doudian_exports.md; names and places are made up)
# =============================================================================================

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁")
PHONE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
                  "155", "157", "158", "159", "166", "176", "177", "180", "181", "182", "186",
                  "187", "188", "189", "191", "198", "199"]
#: (省, 市, 区, 街道, 路), weights roughly follow e-commerce buyer share
REGIONS = [
    ("广东省", "深圳市", "南山区", "粤海街道", "科技南路"),
    ("广东省", "深圳市", "宝安区", "新安街道", "建安一路"),
    ("广东省", "广州市", "天河区", "石牌街道", "天河北路"),
    ("广东省", "广州市", "白云区", "京溪街道", "广园中路"),
    ("广东省", "东莞市", "东莞市", "南城街道", "鸿福路"),
    ("广东省", "佛山市", "南海区", "桂城街道", "南海大道"),
    ("浙江省", "杭州市", "西湖区", "文新街道", "文一西路"),
    ("浙江省", "杭州市", "余杭区", "五常街道", "五常大道"),
    ("浙江省", "宁波市", "鄞州区", "首南街道", "天童南路"),
    ("浙江省", "温州市", "鹿城区", "五马街道", "解放路"),
    ("江苏省", "南京市", "江宁区", "东山街道", "双龙大道"),
    ("江苏省", "苏州市", "吴中区", "长桥街道", "宝带西路"),
    ("江苏省", "无锡市", "梁溪区", "崇安寺街道", "中山路"),
    ("上海市", "上海市", "浦东新区", "张江镇", "祖冲之路"),
    ("上海市", "上海市", "闵行区", "莘庄镇", "莘松路"),
    ("北京市", "北京市", "朝阳区", "望京街道", "阜通东大街"),
    ("北京市", "北京市", "海淀区", "中关村街道", "中关村大街"),
    ("山东省", "济南市", "历下区", "泉城路街道", "泉城路"),
    ("山东省", "青岛市", "黄岛区", "长江路街道", "长江中路"),
    ("河南省", "郑州市", "金水区", "花园路街道", "花园路"),
    ("四川省", "成都市", "武侯区", "簇桥街道", "武侯大道"),
    ("四川省", "成都市", "高新区", "桂溪街道", "天府大道"),
    ("湖北省", "武汉市", "洪山区", "珞南街道", "珞喻路"),
    ("湖南省", "长沙市", "岳麓区", "望月湖街道", "麓山南路"),
    ("福建省", "厦门市", "思明区", "莲前街道", "莲前西路"),
    ("福建省", "福州市", "鼓楼区", "东街街道", "八一七北路"),
    ("河北省", "石家庄市", "长安区", "建北街道", "中山东路"),
    ("安徽省", "合肥市", "蜀山区", "三里庵街道", "长江西路"),
    ("陕西省", "西安市", "雁塔区", "小寨路街道", "长安中路"),
    ("重庆市", "重庆市", "渝北区", "龙溪街道", "新牌坊一路"),
    ("辽宁省", "沈阳市", "和平区", "南湖街道", "三好街"),
    ("黑龙江省", "哈尔滨市", "南岗区", "花园街道", "西大直街"),
    ("云南省", "昆明市", "五华区", "华山街道", "东风西路"),
    ("广西壮族自治区", "南宁市", "青秀区", "新竹街道", "民族大道"),
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "燕儿窝街道", "新华南路"),
]
REGION_W = [9, 7, 7, 5, 5, 4, 6, 5, 4, 3, 4, 5, 3, 5, 4, 4, 4, 3, 3, 4, 4, 3, 4, 3, 3, 2, 3, 3,
            3, 3, 2, 2, 2, 2, 1]
#: (tracking prefix, digits after it, carrier name)
CARRIERS = [("SF", 13, "顺丰速运"), ("YT", 13, "圆通速递"), ("75", 12, "中通快递"),
            ("JT", 13, "极兔速递"), ("43", 11, "韵达快递"), ("77", 13, "申通快递"),
            ("JDVA", 11, "京东快递"), ("98", 11, "邮政快递包裹")]
CARRIER_W = [0.22, 0.20, 0.18, 0.14, 0.12, 0.07, 0.04, 0.03]
PAY_METHODS = (["抖音支付", "微信", "支付宝", "抖音月付", "银行卡"], [0.42, 0.28, 0.18, 0.08, 0.04])
APP_CHANNELS = (["抖音", "抖音极速版", "抖音火山版", "今日头条", "抖音商城"], [0.72, 0.14, 0.05, 0.03, 0.06])
TRAFFIC_SOURCE = (["直播", "短视频", "商品卡", "搜索", "橱窗"], [0.45, 0.2, 0.2, 0.1, 0.05])
TRAFFIC_TYPE = (["自然流量", "付费流量", "-"], [0.6, 0.35, 0.05])
TRAFFIC_FORMAT = (["直播", "短视频", "商品卡", "图文", "其他"], [0.45, 0.2, 0.25, 0.05, 0.05])
TRAFFIC_CHANNEL = (["直播间", "推荐", "搜索", "商城", "店铺页", "橱窗"], [0.45, 0.2, 0.1, 0.15, 0.05, 0.05])
AD_CHANNEL = (["-", "巨量千川", "随心推", "品牌广告"], [0.6, 0.3, 0.08, 0.02])
CREATORS = ["小杨哥严选", "美妆师阿琳", "穿搭日记Lily", "厨房好物君", "宝妈小雅", "数码老张",
            "户外老K", "健身教练Max", "家居美学馆", "时尚博主CC", "零食研究所", "萌宠日常"]
BUYER_MESSAGES = ["-"] * 40 + ["尽快发货谢谢", "请用顺丰", "不要放快递柜", "送人的，不要放价格单",
                               "周末送货", "麻烦包装好一点"]
MERCHANT_NOTES = ["-"] * 40 + ["已备注加急", "赠品已加", "客户要求改地址", "换色"]
FLAGS = ["-"] * 30 + ["红", "黄", "绿", "蓝", "紫", "灰"]
WAREHOUSES = [("-", "-")] * 3 + [("7121100523", "华南一号仓"), ("7121100524", "华东中心仓")]
CANCEL_REASONS = ["用户申请退款", "主品订单售后完成，未发货赠品订单取消", "商家缺货取消", "地址信息有误"]
ORDER_STATUS = (["已完成", "已发货", "待发货", "已关闭"], [0.62, 0.25, 0.06, 0.07])

AFTER_SALE_TYPES = (["退货退款", "已发货退款", "未发货退款", "换货", "补寄"], [0.45, 0.20, 0.25, 0.07, 0.03])
REFUND_STATUS = (["同意退款，退款成功", "售后关闭", "待商家处理", "待买家退货", "待商家收货", "拒绝售后申请"],
                 [0.70, 0.15, 0.04, 0.03, 0.03, 0.05])
OTHER_STATUS = (["换货成功", "售后关闭", "待商家处理", "拒绝售后申请"], [0.70, 0.18, 0.08, 0.04])
#: buyer reasons with the platform's spacing (§3.7); weights for shipped vs unshipped orders
REASONS_SHIPPED = [
    ("多拍 / 错拍 / 不想要", 14), ("不喜欢 / 效果不好", 16), ("大小／尺寸／重量与商品描述不符", 12),
    ("做工粗糙 / 有瑕疵 / 破损或污渍", 9), ("效果与商品描述不符", 8), ("商品材质 / 品牌 / 外观等描述不符", 6),
    ("包装／商品破损", 6), ("少件／漏发", 4), ("商家发错货", 4), ("功能故障", 3),
    ("快递一直未送达", 3), ("收到商品少件 / 错件 / 空包裹", 2), ("与商家协商一致退款", 4),
    ("生产日期／保质期与商品描述不符", 1), ("商品腐烂/变质", 1), ("使用后过敏", 2), ("假冒品牌", 1),
    ("其他", 4),
]
REASONS_UNSHIPPED = [("多拍 / 错拍 / 不想要", 55), ("未按约定时间发货", 15), ("协商一致退款", 10),
                     ("缺货", 6), ("其他", 9), ("与商家协商一致退款", 5)]
REASON_LABELS = ["-"] * 6 + ["尺码偏大", "尺码偏小", "质量问题", "发错货", "物流太慢", "不想要了",
                             "颜色与图片不符", "少件"]
BUYER_NOTES = ["-"] * 5 + ["尺码不合适，想换大一码", "颜色和图片不一样，想退", "收到破损了，盒子都压扁了",
                           "不想要了", "穿了一次就起球", "等了三天还没发货", "少发了一件赠品",
                           "质量太差了，线头很多", "拍错了规格", "用了以后脸上过敏发红"]
MERCHANT_AS_NOTES = ["-"] * 12 + ["已联系买家", "同意退货，运费险理赔", "已补发", "买家已撤销后重新申请"]
OPERATORS = ["系统", "-", "客服-小李", "客服-阿珍", "客服-木子", "售后主管-王"]
PRODUCT_WORDS = {
    "女装": (["纯棉短袖T恤女", "高腰阔腿牛仔裤女", "法式碎花连衣裙", "轻薄羽绒服女短款", "针织开衫外套女",
              "冰丝防晒衣女", "加绒卫衣女宽松"], ["白色", "黑色", "杏色", "雾霾蓝", "燕麦色"],
             ["S", "M", "L", "XL", "2XL"], (5900, 39900)),
    "男装": (["速干运动短裤男", "商务休闲衬衫男", "加厚冲锋衣男", "纯棉圆领卫衣男", "弹力休闲裤男"],
             ["黑色", "藏青", "卡其", "灰色"], ["M", "L", "XL", "2XL", "3XL"], (6900, 59900)),
    "美妆": (["玻尿酸补水面膜", "持妆粉底液", "氨基酸洗面奶", "烟酰胺精华液", "丝绒哑光口红"],
             ["01自然色", "02象牙白", "#316", "经典款"], ["30ml", "50ml", "10片装", "3支装"], (3990, 35900)),
    "食品": (["每日坚果混合装", "手撕牛肉干", "低脂鸡胸肉即食", "云南小粒咖啡豆", "冻干水果脆片"],
             ["原味", "香辣味", "混合口味"], ["500g", "30包", "1kg", "12袋装"], (1990, 12900)),
    "家居": (["乳胶枕头护颈", "加厚珊瑚绒四件套", "收纳箱折叠", "记忆棉床垫", "遮光窗帘定制"],
             ["灰色", "米白", "浅蓝", "1.5m床", "1.8m床"], ["单只", "一对", "大号", "标准款"], (4990, 189900)),
    "数码": (["蓝牙耳机降噪", "65W氮化镓充电器", "智能手表运动", "无线充电宝", "机械键盘"],
             ["黑色", "白色", "远峰蓝"], ["标准版", "Pro版", "礼盒装"], (5900, 299900)),
    "母婴": (["婴儿纸尿裤", "儿童保温杯", "宝宝辅食机", "婴儿湿巾"], ["L码", "XL码", "蓝色", "粉色"],
             ["84片", "500ml", "10包", "标准装"], (3990, 69900)),
    "运动户外": (["瑜伽垫加厚", "露营折叠椅", "跑步鞋男女", "登山包40L"], ["紫色", "军绿", "黑白"],
                 ["6mm", "标准", "40码", "42码"], (4990, 129900)),
}
CATEGORY_CODES = {"女装": "NZ", "男装": "MZ", "美妆": "MK", "食品": "SP", "家居": "JJ", "数码": "SM", "母婴": "MY",
                  "运动户外": "YD"}
PROMO_TAGS = ["", "", "", "【官方正品】", "【新品】", "【直播专享】", "【买一送一】"]


# =============================================================================================
# Small vectorised helpers (pyarrow compute on whole columns)
# =============================================================================================


def _pa():
    import pyarrow as pa
    import pyarrow.compute as pc

    return pa, pc


def pick(rng, choices, n):
    """``n`` values drawn from ``(values, weights)`` (or a list) as a pyarrow string array."""
    pa, _ = _pa()
    import numpy as np

    values, weights = choices if isinstance(choices, tuple) else (choices, None)
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return pa.array(list(values), pa.string()).take(rng.choice(len(values), size=n, p=p))


def cat(*parts):
    """Element-wise concatenation of string arrays and ``str`` scalars."""
    _, pc = _pa()
    return pc.binary_join_element_wise(*parts, "")


def digits(ints, width=0):
    pa, pc = _pa()
    s = pc.cast(pa.array(ints), pa.string())
    return pc.utf8_lpad(s, width, "0") if width else s


def tab_id(ints):
    """IDs as the exports write them: a leading TAB, then the digits."""
    return cat("\t", digits(ints))


def money(cents, thousands=None):
    """``1299.00``; where ``thousands`` is set and the value is ≥ 1,000: ``1,299.00``."""
    import numpy as np

    _, pc = _pa()
    cents = np.asarray(cents, np.int64)
    yuan, fen = cents // 100, cents % 100
    plain = cat(digits(yuan), ".", digits(fen, 2))
    if thousands is None:
        return plain
    mask = np.asarray(thousands) & (yuan >= 1000)
    if not mask.any():
        return plain
    sep = cat(digits(yuan // 1000), ",", digits(yuan % 1000, 3), ".", digits(fen, 2))
    return pc.if_else(mask, sep, plain)


def stamp(seconds):
    """Epoch seconds (naive Beijing time) → ``YYYY-MM-DD HH:MM:SS``."""
    import numpy as np

    pa, pc = _pa()
    ts = pa.array(np.asarray(seconds, np.int64).astype("datetime64[s]"))
    return pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")


def dash(empty, values):
    """``-`` where ``empty`` is true (how the exports write an empty cell)."""
    import numpy as np

    _, pc = _pa()
    empty = np.asarray(empty, bool)
    if not empty.any():
        return values
    if isinstance(values, str):
        values = const(values, len(empty))
    return pc.if_else(empty, "-", values)


def const(text, n):
    """A column holding ``text`` ``n`` times."""
    pa, _ = _pa()
    return pa.repeat(pa.scalar(text, pa.string()), n)


def csv_field(values):
    """Quote a CSV column where needed (a value holding ``,`` or ``"``), doubling inner quotes."""
    pa, pc = _pa()
    needs = pc.or_(pc.match_substring(values, ","), pc.match_substring(values, '"'))
    if not pc.any(needs).as_py():
        return values
    quoted = cat('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(needs, quoted, values)


def epoch(dt: datetime) -> int:
    return int((dt - datetime(1970, 1, 1)).total_seconds())


# =============================================================================================
# Generation
# =============================================================================================


def _catalog(rng, n_products=400):
    """Products: name (some with an ASCII comma), spec, product ID, 商家编码, 货号, price in fen."""
    import numpy as np

    names, specs, prices, codes, item_codes = [], [], [], [], []
    cats = list(PRODUCT_WORDS)
    for i in range(n_products):
        cat_name = cats[i % len(cats)]
        items, colours, sizes, (lo, hi) = PRODUCT_WORDS[cat_name]
        item = items[int(rng.integers(len(items)))]
        tag = PROMO_TAGS[int(rng.integers(len(PROMO_TAGS)))]
        year = "2026新款" if rng.random() < 0.4 else ""
        extra = ",下单送运费险" if rng.random() < 0.08 else ""  # an ASCII comma → quoted CSV field
        names.append(f"{tag}{item}{year}{extra}")
        specs.append(f"{colours[int(rng.integers(len(colours)))]} {sizes[int(rng.integers(len(sizes)))]}")
        # price in fen, log-uniform in the category band, ending in .00 / .90 / .99
        yuan = int(np.exp(rng.uniform(np.log(lo / 100), np.log(hi / 100))))
        ending = int(rng.choice([0, 90, 99], p=[0.5, 0.3, 0.2]))  # 166.00 / 165.90 / 165.99
        prices.append((yuan - 1) * 100 + ending if ending and yuan > 1 else yuan * 100)
        codes.append(f"{CATEGORY_CODES[cat_name]}{'ABCDEFGHJK'[i % 10]}-2026{i:04d}-{['BK', 'WH', 'GY', 'BL'][i % 4]}")
        item_codes.append(f"HH{260000 + i}" if rng.random() < 0.7 else "-")
    ids = 3_400_000_000_000_000_000 + rng.choice(600_000_000_000_000_000, n_products, replace=False)
    weights = 1.0 / np.arange(1, n_products + 1) ** 0.9  # Zipf-like popularity
    rng.shuffle(weights)
    return {
        "name": np.array(names, object), "spec": np.array(specs, object),
        "full": np.array([f"{n} {s}" for n, s in zip(names, specs)], object),
        "price": np.array(prices, np.int64), "id": ids.astype(np.int64),
        "code": np.array(codes, object), "item_code": np.array(item_codes, object),
        "weight": weights / weights.sum(),
    }


def _order_facts(rng, n, catalog):
    """Numeric facts of every sub-order (all numpy arrays of length ``n``)."""
    import numpy as np

    # --- main orders: 1-3 sub-orders each -----------------------------------------------------
    sizes = rng.choice([1, 2, 3], size=n, p=[0.85, 0.11, 0.04])
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    n_main = len(sizes)
    main_of = np.repeat(np.arange(n_main), sizes)[:n]
    pos = np.arange(n) - np.searchsorted(main_of, main_of)  # 0,1,2 inside the main order
    sizes_per_row = sizes[main_of]

    start = epoch(datetime.strptime(MONTH + "-01", "%Y-%m-%d"))
    end = epoch(datetime(2026, 11, 1))
    # submit times: day uniform, hour-of-day with an evening peak (live streams)
    hour_w = np.array([2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 6, 6, 6, 6, 6, 7, 9, 11, 12, 10, 5], float)
    day = rng.integers(0, (end - start) // 86400, n_main)
    hour = rng.choice(24, size=n_main, p=hour_w / hour_w.sum())
    submit_main = np.sort(start + day * 86400 + hour * 3600 + rng.integers(0, 3600, n_main))
    pay_main = np.minimum(submit_main + rng.integers(3, 900, n_main), end - 1)
    # IDs grow with time like snowflake IDs
    main_id_main = 6_920_000_000_000_000_000 + np.cumsum(rng.integers(1_000_000_000, 5_000_000_000, n_main))

    f = {"n": n, "n_main": n_main, "main_of": main_of, "pos": pos, "sizes": sizes_per_row}
    f["main_id"] = main_id_main[main_of]
    same = (sizes_per_row == 1) & (rng.random(n) < 0.3)  # single-SKU: 子订单编号 may equal 主订单编号
    f["sub_id"] = np.where(same, f["main_id"],
                           f["main_id"] + (pos + 1) * 1_000_000 + rng.integers(1, 1_000_000, n))
    f["submit"], f["pay"] = submit_main[main_of], pay_main[main_of]

    f["product"] = rng.choice(len(catalog["price"]), size=n, p=catalog["weight"])
    f["qty"] = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.8, 0.12, 0.05, 0.02, 0.01])
    f["unit"] = catalog["price"][f["product"]]
    goods = f["unit"] * f["qty"]
    f["ship_fee"] = np.where(rng.random(n) < 0.9, 0, rng.choice([500, 800, 1000, 1200], size=n))
    f["plat_disc"] = np.where(rng.random(n) < 0.3, (goods * rng.uniform(0.01, 0.1, n)).astype(np.int64), 0)
    coupon = rng.choice([300, 500, 1000, 2000, 5000], size=n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    f["merch_disc"] = np.where(rng.random(n) < 0.4, np.minimum(coupon, goods // 3), 0)
    f["creator_disc"] = np.where(rng.random(n) < 0.1, (goods * 0.05).astype(np.int64), 0)
    f["pay_disc"] = np.where(rng.random(n) < 0.15, rng.choice([100, 200, 300, 500], size=n), 0)
    f["payable"] = np.maximum(goods + f["ship_fee"] - f["plat_disc"] - f["merch_disc"]
                              - f["creator_disc"] - f["pay_disc"], 1)

    # status per main order, then per row
    status_main = rng.choice(4, size=n_main, p=ORDER_STATUS[1])  # 已完成, 已发货, 待发货, 已关闭
    f["status"] = status_main[main_of]
    shipped = f["status"] <= 1
    f["ship"] = pay_main[main_of] + rng.integers(2 * 3600, 60 * 3600, n_main)[main_of]
    f["shipped"] = shipped
    f["complete"] = f["ship"] + rng.integers(3 * 86400, 12 * 86400, n_main)[main_of]
    f["region"] = rng.choice(len(REGIONS), size=n_main, p=np.array(REGION_W) / sum(REGION_W))[main_of]
    f["surname"] = rng.integers(0, len(SURNAMES), n_main)[main_of]
    f["phone_pre"] = rng.integers(0, len(PHONE_PREFIXES), n_main)[main_of]
    f["phone_suf"] = rng.integers(0, 10_000, n_main)[main_of]
    f["carrier"] = rng.choice(len(CARRIERS), size=n_main, p=CARRIER_W)[main_of]
    f["tracking"] = rng.integers(10**12, 10**13, n_main)[main_of]  # 13 digits, cut per carrier
    f["creator"] = np.where(rng.random(n_main) < 0.4, rng.integers(0, len(CREATORS), n_main), -1)[main_of]
    f["after_sale_status"] = np.full(n, -1)  # filled from the after-sales (index into a status list)
    return f


def _after_sale_facts(rng, m, f):
    """Numeric facts of the after-sales; each refers to an existing sub-order of ``f``."""
    import numpy as np

    kind = rng.choice(5, size=m, p=AFTER_SALE_TYPES[1])  # 退货退款 已发货退款 未发货退款 换货 补寄
    # ~3% are a second application on a sub-order whose first one was closed
    n_repeat = int(m * 0.03)
    first = m - n_repeat
    rows = np.empty(m, np.int64)
    unshipped_pool = np.flatnonzero(~f["shipped"])
    shipped_pool = np.flatnonzero(f["shipped"])
    need_un = int((kind[:first] == 2).sum())
    need_sh = first - need_un
    if need_un > len(unshipped_pool) or need_sh > len(shipped_pool):
        raise ValueError("too many after-sales for the number of orders")
    rows[:first][kind[:first] == 2] = rng.choice(unshipped_pool, need_un, replace=False)
    rows[:first][kind[:first] != 2] = rng.choice(shipped_pool, need_sh, replace=False)
    src = rng.choice(first, n_repeat, replace=False)
    rows[first:] = rows[src]
    kind[first:] = kind[src]

    refund = kind <= 2
    status_names = REFUND_STATUS[0] + [s for s in OTHER_STATUS[0] if s not in REFUND_STATUS[0]] + ["补寄成功"]
    idx = {s: i for i, s in enumerate(status_names)}
    st_refund = np.array([idx[s] for s in REFUND_STATUS[0]])[rng.choice(6, size=m, p=REFUND_STATUS[1])]
    st_other = np.array([idx[s] for s in OTHER_STATUS[0]])[rng.choice(4, size=m, p=OTHER_STATUS[1])]
    status = np.where(refund, st_refund, st_other)
    # 待买家退货 / 待商家收货 only make sense for a return
    wait_return = np.isin(status, [idx["待买家退货"], idx["待商家收货"]]) & (kind != 0)
    status[wait_return] = idx["待商家处理"]
    status[(kind == 4) & (status == idx["换货成功"])] = idx["补寄成功"]
    status[src] = idx["售后关闭"]  # the first application of a repeated pair was closed

    pay, ship = f["pay"][rows], f["ship"][rows]
    unshipped = kind == 2
    apply = np.where(unshipped, pay + rng.integers(60, 36 * 3600, m),
                     ship + rng.integers(86400, 15 * 86400, m))
    agree = apply + np.where(rng.random(m) < 0.3, rng.integers(2, 60, m), rng.integers(60, 24 * 3600, m))
    ret_ship = agree + rng.integers(2 * 3600, 3 * 86400, m)
    refund_time = np.where(kind == 0, ret_ship + rng.integers(86400, 5 * 86400, m),
                           agree + rng.integers(0, 2 * 3600, m))
    received = refund_time + rng.integers(10, 2 * 3600, m)
    close = apply + rng.integers(3600, 7 * 86400, m)
    exch_done = agree + rng.integers(2 * 86400, 8 * 86400, m)
    # a repeated application starts after the first one closed
    apply[first:] = close[src] + rng.integers(600, 3 * 86400, n_repeat)
    agree[first:] = apply[first:] + rng.integers(60, 24 * 3600, n_repeat)
    ret_ship[first:] = agree[first:] + rng.integers(2 * 3600, 3 * 86400, n_repeat)
    refund_time[first:] = np.where(kind[first:] == 0, ret_ship[first:] + 86400, agree[first:] + 600)
    received[first:] = refund_time[first:] + 60
    close[first:] = apply[first:] + rng.integers(3600, 7 * 86400, n_repeat)
    exch_done[first:] = agree[first:] + 3 * 86400

    goods = f["payable"][rows] - f["ship_fee"][rows]
    partial = rng.random(m) < 0.1
    refund_goods = np.where(partial, (goods * rng.uniform(0.3, 0.9, m)).astype(np.int64), goods)
    refund_goods = np.where(refund, np.maximum(refund_goods, 1), 0)
    fast = unshipped & (rng.random(m) < 0.5) | (rng.random(m) < 0.05)

    a = {"m": m, "row": rows, "kind": kind, "status": status, "status_names": status_names,
         "apply": apply, "agree": agree, "ret_ship": ret_ship, "refund_time": refund_time,
         "received": received, "close": close, "exch_done": exch_done,
         "refund_goods": refund_goods, "fast": fast, "idx": idx}
    # sort by application time (the export is split into files by time range)
    order = np.argsort(apply, kind="stable")
    for k, v in list(a.items()):
        if isinstance(v, np.ndarray) and len(v) == m:
            a[k] = v[order]
    latest = max(int(a[k].max()) for k in ("apply", "agree", "ret_ship", "refund_time", "received",
                                           "close", "exch_done"))
    assert latest < epoch(AFTER_SALE_EXPORT_TIME), "an after-sale event after the download time"
    a["as_id"] = 7_310_000_000_000_000_000 + np.cumsum(rng.integers(100_000_000, 2_000_000_000, m))
    short = rng.random(m) < 0.001  # a few 18-digit 售后单号 (§1.4)
    a["as_id"][short] = 146_701_382_803_677_771 + np.arange(short.sum()) * 7_919
    # the order export shows the latest after-sale's status; unshipped refunds close the order
    f["after_sale_status"][a["row"]] = a["status"]
    done_unshipped = (a["kind"] == 2) & (a["status"] == idx["同意退款，退款成功"])
    f["status"][a["row"][done_unshipped]] = 3
    return a


def _order_columns(rng, f, catalog, lo, hi, status_names):
    """The 75 order-CSV columns for rows ``lo:hi`` as pyarrow string arrays (CSV-quoted)."""
    import numpy as np

    from returns_kit.model import RAW_ORDER_HEADERS

    pa, pc = _pa()
    s = slice(lo, hi)
    k = hi - lo
    prod = f["product"][s]
    status = f["status"][s]
    shipped = status <= 1
    completed = status == 0
    closed = status == 3
    thousands = rng.random(k) < 0.6  # some amounts ≥ 1,000 carry a thousands separator
    col = {}

    def take(values, index):
        return pa.array(list(values), pa.string()).take(pa.array(index))

    col["主订单编号"] = tab_id(f["main_id"][s])
    col["子订单编号"] = tab_id(f["sub_id"][s])
    col["支付方式"] = pick(rng, PAY_METHODS, k)
    col["选购商品"] = take(catalog["full"], prod)
    col["货号"] = take(catalog["item_code"], prod)
    col["商品ID"] = tab_id(catalog["id"][prod])
    col["商家编码"] = cat(pick(rng, (["\t", ""], [0.8, 0.2]), k), take(catalog["code"], prod))
    col["商品数量"] = digits(f["qty"][s])
    col["商品金额"] = money(f["unit"][s], thousands)
    col["订单提交时间"] = stamp(f["submit"][s])
    col["支付完成时间"] = stamp(f["pay"][s])
    col["订单完成时间"] = dash(~completed, stamp(f["complete"][s]))
    col["承诺发货时间"] = stamp(f["pay"][s] + 48 * 3600)
    col["预约发货时间"] = const("-", k)
    col["买家留言"] = pick(rng, BUYER_MESSAGES, k)
    col["旗帜颜色"] = pick(rng, FLAGS, k)
    col["商家备注"] = pick(rng, MERCHANT_NOTES, k)
    col["APP渠道"] = pick(rng, APP_CHANNELS, k)
    col["订单状态"] = take(ORDER_STATUS[0], status)
    col["取消原因"] = dash(~closed, pick(rng, CANCEL_REASONS, k))
    ast = f["after_sale_status"][s]
    col["售后状态"] = dash(ast < 0, take(status_names, np.maximum(ast, 0)))
    col["订单类型"] = pick(rng, (["普通订单", "预售订单", "虚拟订单"], [0.97, 0.025, 0.005]), k)
    col["发货时间"] = dash(~shipped, stamp(f["ship"][s]))
    col["车型"] = const("-", k)
    col["是否是以旧换新"] = const("否", k)
    col["换新额外补贴"] = const("-", k)
    col["换新额外补贴发放状态"] = const("-", k)
    col["订单应付金额"] = money(f["payable"][s], thousands)
    col["运费"] = money(f["ship_fee"][s])
    col["优惠总金额"] = money(f["plat_disc"][s] + f["merch_disc"][s] + f["creator_disc"][s])
    col["平台优惠"] = money(f["plat_disc"][s])
    md = f["merch_disc"][s]
    named = (md > 0) & (rng.random(k) < 0.3)  # "店铺券-5.00": amount after the last "-"
    col["商家优惠"] = pc.if_else(named, cat(pick(rng, ["店铺券", "满减券", "店铺新人券"], k), "-", money(md)),
                              money(md))
    col["达人优惠"] = money(f["creator_disc"][s])
    col["商家改价"] = const("0.00", k)
    col["支付优惠"] = money(f["pay_disc"][s])
    col["手续费"] = const("0.00", k)
    col["红包抵扣"] = const("0.00", k)
    col["降价类优惠"] = const("0.00", k)
    col["平台实际承担优惠金额"] = money(f["plat_disc"][s] + f["pay_disc"][s])
    col["商家实际承担优惠金额"] = money(md)
    col["达人实际承担优惠金额"] = money(f["creator_disc"][s])
    col["收件人"] = cat(take(SURNAMES, f["surname"][s]), "**")
    col["收件人手机号"] = cat(take(PHONE_PREFIXES, f["phone_pre"][s]), "****", digits(f["phone_suf"][s], 4))
    reg = f["region"][s]
    for i, name in enumerate(["省", "市", "区", "街道"]):
        col[name] = take([r[i] for r in REGIONS], reg)
    col["详细地址"] = cat(take([r[4] for r in REGIONS], reg), pick(rng, ["***号", "****", "**号***室"], k))
    col["是否修改过地址"] = pick(rng, (["否", "是"], [0.95, 0.05]), k)
    car = f["carrier"][s]
    prefix = take([c[0] for c in CARRIERS], car)
    width = np.array([c[1] for c in CARRIERS])[car]
    num = _cut(digits(f["tracking"][s]), width)  # 13 digits, cut to the carrier's length
    tracking = cat(prefix, num)
    col["快递信息"] = dash(~shipped, cat(tracking, "-", take([c[2] for c in CARRIERS], car), ",",
                                     take(catalog["name"], prod)))
    col["序列号"] = const("-", k)
    cr = f["creator"][s]
    col["达人ID"] = dash(cr < 0, tab_id(6_800_000_000 + np.maximum(cr, 0) * 7_777_771))
    col["达人昵称"] = dash(cr < 0, take(CREATORS, np.maximum(cr, 0)))
    col["拼团订单团编号"] = const("-", k)
    col["商品单价是否含税"] = const("否", k)
    col["税费"] = const("0.00", k)
    col["鲁班落地页ID"] = const("-", k)
    col["所属门店ID"] = const("-", k)
    col["流量来源"] = pick(rng, TRAFFIC_SOURCE, k)
    wh = rng.choice(len(WAREHOUSES), size=k)
    col["仓库ID"] = take([w[0] for w in WAREHOUSES], wh)
    col["仓库名称"] = take([w[1] for w in WAREHOUSES], wh)
    col["是否安心购"] = pick(rng, (["否", "是"], [0.7, 0.3]), k)
    col["广告渠道"] = pick(rng, AD_CHANNEL, k)
    col["流量类型"] = pick(rng, TRAFFIC_TYPE, k)
    col["流量体裁"] = pick(rng, TRAFFIC_FORMAT, k)
    col["流量渠道"] = pick(rng, TRAFFIC_CHANNEL, k)
    col["发货主体"] = const("商家", k)
    col["发货主体明细"] = const("-", k)
    col["教育优惠"] = const("-", k)
    col["预计送达时间"] = dash(~shipped, stamp(f["ship"][s] + 3 * 86400))
    col["是否平台仓自流转"] = const("否", k)
    col["是否是渠道商品"] = const("否", k)
    col["预约送达时间"] = const("-", k)
    col["建议发货时间（起）"] = stamp(f["pay"][s] + 3600)
    col["建议发货时间（止）"] = stamp(f["pay"][s] + 24 * 3600)

    missing = set(RAW_ORDER_HEADERS) ^ set(col)
    assert not missing, missing
    return [csv_field(col[h]) for h in RAW_ORDER_HEADERS], tracking


def _cut(strings, widths):
    """The first ``widths[i]`` characters of ``strings[i]``."""
    import numpy as np

    pa, pc = _pa()
    out = strings
    for w in np.unique(widths):
        out = pc.if_else(pa.array(widths == w), pc.utf8_slice_codeunits(strings, 0, int(w)), out)
    return out


def _write_order_csvs(paths, cap, rng_seed, f, catalog, status_names):
    """Write the order CSVs in chunks, ``cap`` rows to a file (``paths`` in order; the rows are
    the same whatever the cap: a chunk's values depend on its place in the month only); returns
    the tracking numbers (needed by the after-sales)."""
    import numpy as np

    from returns_kit.model import RAW_ORDER_HEADERS

    pa, pc = _pa()
    header = ("\ufeff" + ",".join(RAW_ORDER_HEADERS) + "\n").encode("utf-8")
    trackings = []
    handles: dict[int, object] = {}

    def handle(i: int):
        if i not in handles:
            handles[i] = open(paths[i].with_suffix(".part"), "wb")
            handles[i].write(header)
        return handles[i]

    try:
        for chunk, lo in enumerate(range(0, f["n"], CHUNK_ROWS)):
            hi = min(lo + CHUNK_ROWS, f["n"])
            rng = np.random.default_rng([rng_seed, 1, chunk])
            cols, tracking = _order_columns(rng, f, catalog, lo, hi, status_names)
            trackings.append(tracking)
            line = pc.binary_join_element_wise(*cols, ",")
            line = pc.binary_join_element_wise(line, "", "\n")  # line + "\n"
            assert line.null_count == 0
            cuts = [lo, *range((lo // cap + 1) * cap, hi, cap), hi]  # where this chunk's files change
            for start, stop in zip(cuts, cuts[1:]):
                part = line.slice(start - lo, stop - start)
                # the value buffer of a string array is all its values back to back: the file body
                offsets = np.frombuffer(part.buffers()[1], np.int32)[part.offset: part.offset + len(part) + 1]
                handle(start // cap).write(memoryview(part.buffers()[2])[offsets[0]: offsets[-1]])
    finally:
        for fh in handles.values():
            fh.close()
    for path in paths:
        os.replace(path.with_suffix(".part"), path)
    return pa.chunked_array(trackings).combine_chunks()


def _after_sale_columns(rng, a, f, catalog, tracking):
    """The 50 售后 columns (every cell a string) as Python lists, rows sorted by 申请时间."""
    import numpy as np

    from returns_kit.model import RAW_AFTER_SALE_HEADERS

    pa, pc = _pa()
    m = a["m"]
    rows = a["row"]
    kind, status, idx = a["kind"], a["status"], a["idx"]
    prod = f["product"][rows]
    refund = kind <= 2
    unshipped = kind == 2
    is_return = kind == 0
    exch = kind >= 3
    ok = np.isin(status, [idx["同意退款，退款成功"], idx["换货成功"], idx["补寄成功"]])
    closed = np.isin(status, [idx["售后关闭"], idx["拒绝售后申请"]])
    pending = ~ok & ~closed
    agreed = ok | np.isin(status, [idx["待买家退货"], idx["待商家收货"]])
    returned = is_return & (ok | (status == idx["待商家收货"]))
    refunded = refund & ok

    def take(values, index):
        return pa.array(list(values), pa.string()).take(pa.array(index))

    col = {}
    col["售后单号"] = tab_id(a["as_id"])
    col["订单号"] = tab_id(f["main_id"][rows])
    col["商品单号"] = tab_id(f["sub_id"][rows])
    name = take(catalog["name"], prod)
    trailing = rng.random(m) < 0.01  # trailing spaces seen in real cells
    col["商品名称"] = pc.if_else(trailing, cat(name, "  "), name)
    col["商品ID"] = tab_id(catalog["id"][prod])
    col["应付金额（元）"] = money(f["payable"][rows])
    col["商品运费（元）"] = money(f["ship_fee"][rows])
    col["支付优惠（元）"] = dash(f["pay_disc"][rows] == 0, money(f["pay_disc"][rows]))
    col["商品税费（元）"] = const("0.00", m)
    size = f["sizes"][rows]
    col["商品发货状态"] = dash(np.zeros(m, bool), pc.if_else(
        unshipped, "未发货", cat(digits(size), "/", digits(size), "已发货")))
    col["售后类型"] = take(AFTER_SALE_TYPES[0], kind)
    col["退商品金额（元）"] = money(a["refund_goods"])
    col["退运费金额（元）"] = money(np.where(unshipped & refund, f["ship_fee"][rows], 0))
    col["退支付优惠（元）"] = dash(rng.random(m) < 0.6, money(np.where(refund, f["pay_disc"][rows], 0)))
    col["退税费金额（元）"] = const("0.00", m)
    col["售后状态"] = take(a["status_names"], status)
    col["售后申请时间"] = stamp(a["apply"])
    col["退款方式"] = pc.if_else(refund & ~closed, "原路退款", "无需退款")
    col["是否已上传退款凭证"] = const("否", m)
    r_sh, w_sh = zip(*REASONS_SHIPPED)
    r_un, w_un = zip(*REASONS_UNSHIPPED)
    col["售后原因"] = pc.if_else(unshipped, pick(rng, (r_un, w_un), m), pick(rng, (r_sh, w_sh), m))
    col["售后原因标签"] = pick(rng, REASON_LABELS, m)
    ret_car = rng.choice(len(CARRIERS), size=m, p=CARRIER_W)
    ret_no = cat(take([c[0] for c in CARRIERS], ret_car), digits(rng.integers(10**10, 10**11, m), 11))
    col["退货物流单号"] = dash(~returned, ret_no)
    col["退货异常"] = dash(rng.random(m) > 0.01, const("退货物流超时未揽收", m))
    col["退货发货时间"] = dash(~returned, stamp(a["ret_ship"]))
    col["退货物流公司"] = dash(~returned, take([c[2] for c in CARRIERS], ret_car))
    col["自动处理截止时间"] = dash(~pending, stamp(a["apply"] + 48 * 3600))
    col["同意售后申请时间"] = dash(~agreed, stamp(a["agree"]))
    col["商家退款时间"] = dash(~refunded, stamp(a["refund_time"]))
    col["用户到账时间"] = dash(~refunded, stamp(a["received"]))
    col["售后关闭时间"] = dash(~closed, stamp(a["close"]))
    reg = rng.integers(0, 3, m)
    col["商家退货地址"] = dash(~is_return, take(["广东省深圳市宝安区西乡街道****", "浙江省杭州市余杭区仓前街道****",
                                               "广东省广州市白云区太和镇****"], reg))
    col["商家退货联系人姓名"] = dash(~is_return, take(["张**", "李**", "陈**"], reg))
    col["商家退货联系人电话"] = dash(~is_return, take(["138****0000", "159****2211", "186****7788"], reg))
    arb = rng.choice(3, size=m, p=[0.9, 0.09, 0.01])
    col["仲裁状态"] = take(["-", "无仲裁记录", "仲裁完成"], arb)
    col["纠纷责任方"] = dash(arb < 2, pick(rng, ["商家责任", "买家责任", "双方有责"], m))
    col["是否极速退款"] = pc.if_else(a["fast"], "是", "否")
    col["是否拒签后退款"] = pick(rng, (["否", "是"], [0.98, 0.02]), m)
    col["发货物流单号"] = dash(unshipped, tracking.take(pa.array(rows)))
    col["发货物流状态"] = dash(unshipped, pick(rng, (["已签收", "运输中", "派送中"], [0.9, 0.07, 0.03]), m))
    exch_no = cat("SF", digits(rng.integers(10**12, 10**13, m), 13))
    col["换货物流单号"] = dash(~(exch & ok), exch_no)
    col["退货物流状态"] = dash(~returned, pc.if_else(ok, "已签收", "运输中"))
    finish = np.where(ok & refund, a["received"], np.where(ok, a["exch_done"], a["close"]))
    col["售后完结时间"] = dash(pending, stamp(finish))
    col["订单备注"] = const("-", m)
    col["用户售后说明"] = pick(rng, BUYER_NOTES, m)
    col["售后备注"] = pick(rng, MERCHANT_AS_NOTES, m)
    col["操作人"] = pick(rng, OPERATORS, m)
    log = cat(stamp(a["apply"]), " 买家发起", col["售后类型"], "申请，原因：", col["售后原因"], "，金额：¥",
              money(a["refund_goods"]), "；", stamp(a["agree"]), " 商家同意了售后申请")
    col["协商记录"] = dash(rng.random(m) < 0.2, log)
    col["换货商品信息"] = dash(kind != 3, take(catalog["full"], prod))
    col["商家编码"] = cat("\t", take(catalog["code"], prod))
    col["门店名称"] = const("-", m)

    missing = set(RAW_AFTER_SALE_HEADERS) ^ set(col)
    assert not missing, missing
    return [col[h].to_pylist() for h in RAW_AFTER_SALE_HEADERS]


def _write_xlsx(path, columns, lo, hi):
    import xlsxwriter

    from returns_kit.model import RAW_AFTER_SALE_HEADERS

    tmp = path.with_name(path.stem + ".part.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, RAW_AFTER_SALE_HEADERS)
    write = ws.write_string
    for r, row in enumerate(zip(*(c[lo:hi] for c in columns)), start=1):
        for c, value in enumerate(row):
            write(r, c, value)
    wb.close()
    os.replace(tmp, path)


def order_files(raw: Path, orders: int, cap: int = ORDER_CAP) -> dict[Path, int]:
    """The order CSVs of a generated month → their data rows: ``cap`` rows to a file, as the
    export allows, one download two minutes after the other."""
    sizes = [min(cap, orders - lo) for lo in range(0, orders, cap)] or [0]
    return {raw / ORDER_CSV_NAME.format(ORDER_EXPORT_TIME + timedelta(minutes=2 * i, seconds=7 * i)): k
            for i, k in enumerate(sizes)}


def expected_files(raw: Path, orders: int, after_sales: int, order_cap: int = ORDER_CAP) -> dict[Path, int]:
    """File → data rows (header excluded) that a generated data set must have."""
    files = order_files(raw, orders, order_cap)
    sizes = [min(AFTER_SALE_CAP, after_sales - lo) for lo in range(0, after_sales, AFTER_SALE_CAP)]
    for i, k in enumerate(sizes):
        t = AFTER_SALE_EXPORT_TIME + timedelta(minutes=3 * i, seconds=17 * i + 5 * i * i)
        files[raw / AFTER_SALE_XLSX_NAME.format(t)] = k
    return files


def csv_rows(path: Path) -> int:
    """Data rows of a generated CSV (no value holds a newline, so lines − header)."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 24):
            n += block.count(b"\n")
    return n - 1


def xlsx_rows(path: Path) -> int:
    """Data rows of an XLSX from the sheet's ``<dimension ref="A1:AX50001"/>`` (cheap)."""
    with zipfile.ZipFile(path) as zf:
        with zf.open("xl/worksheets/sheet1.xml") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    match = re.search(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    return int(match.group(1)) - 1 if match else -1


def dataset_dir(orders: int, after_sales: int, seed: int) -> Path:
    return DATA_DIR / f"o{orders}_a{after_sales}_s{seed}"


def is_complete(raw: Path, orders: int, after_sales: int, order_cap: int = ORDER_CAP) -> bool:
    files = expected_files(raw, orders, after_sales, order_cap)
    present = {p for p in raw.iterdir()} if raw.is_dir() else set()
    if present != set(files):
        return False
    for path, rows in files.items():
        got = csv_rows(path) if path.suffix == ".csv" else xlsx_rows(path)
        if got != rows:
            return False
    return True


def generate(dir, orders=1_000_000, after_sales=120_000, seed=1, *, order_cap=ORDER_CAP, force=False,
             log=print):
    """Write one month of exports into ``dir`` (the raw folder); returns the file paths.

    ``ceil(orders / order_cap)`` order CSVs (UTF-8 with BOM, the 75 ``RAW_ORDER_HEADERS``) with
    ``orders`` paid sub-orders between them — one file up to the export's 1,000,000 — and
    ``ceil(after_sales / 50,000)`` 售后 XLSX files (the 50 ``RAW_AFTER_SALE_HEADERS``, every cell a
    string) whose 商品单号 refer to existing 子订单编号.  Skipped when the files already exist with
    the expected row counts, unless ``force``.
    """
    import numpy as np

    raw = Path(dir)
    files = expected_files(raw, orders, after_sales, order_cap)
    if not force and is_complete(raw, orders, after_sales, order_cap):
        log(f"data: reusing {raw} ({orders:,} orders, {after_sales:,} after-sales)")
        return list(files)
    raw.mkdir(parents=True, exist_ok=True)
    for p in raw.iterdir():  # a clean folder: the kit reads every file in it
        if p.is_file():
            p.unlink()

    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, 0])
    catalog = _catalog(rng)
    f = _order_facts(rng, orders, catalog)
    a = _after_sale_facts(rng, after_sales, f)
    t1 = time.perf_counter()
    log(f"data: facts in {t1 - t0:.1f}s")

    csvs = [p for p in files if p.suffix == ".csv"]
    tracking = _write_order_csvs(csvs, order_cap, seed, f, catalog, a["status_names"])
    t2 = time.perf_counter()
    for path in csvs:
        log(f"data: {path.name} ({files[path]:,} rows, {path.stat().st_size / 2**20:,.0f} MiB)")
    log(f"data: CSV in {t2 - t1:.1f}s")

    columns = _after_sale_columns(np.random.default_rng([seed, 2]), a, f, catalog, tracking)
    lo = 0
    for path, rows in files.items():
        if path.suffix == ".csv":
            continue
        _write_xlsx(path, columns, lo, lo + rows)
        lo += rows
        log(f"data: {path.name} ({rows:,} rows, {path.stat().st_size / 2**20:,.1f} MiB)")
    t3 = time.perf_counter()
    log(f"data: XLSX in {t3 - t2:.1f}s; generation total {t3 - t0:.1f}s")
    (raw.parent / "generation.json").write_text(json.dumps(
        {"orders": orders, "after_sales": after_sales, "seed": seed, "version": GENERATOR_VERSION,
         "seconds": round(t3 - t0, 1), "facts_s": round(t1 - t0, 1), "csv_s": round(t2 - t1, 1),
         "xlsx_s": round(t3 - t2, 1), "peak_rss_mb": round(_peak_rss_mb()),
         "at": datetime.now().isoformat(timespec="seconds")}, indent=1))
    return list(files)


# =============================================================================================
# Measurements (each step in a fresh subprocess)
# =============================================================================================


def _peak_rss_mb() -> float:
    """Peak RSS of this process in MB (MiB).

    ``VmHWM`` from ``/proc/self/status`` where available: it belongs to the process image and is reset
    by ``exec``, whereas Linux carries ``ru_maxrss`` over from the parent at fork+exec (a child of a
    2 GB parent would report ≥ 2 GB).  Falls back to ``getrusage(RUSAGE_SELF).ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class _TreePeak:
    """The largest sum of RSS over this process and its children (the kit reads workbooks in
    worker processes), sampled every 0.1 s on a thread."""

    def __init__(self) -> None:
        import threading

        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for member in [me, *me.children(recursive=True)]:
                try:
                    total += member.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total / 2**20)
            self._stop.wait(0.1)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _read_csv_arrow(path):
    import pyarrow as pa
    from pyarrow import csv

    with open(path, "rb") as fh:  # column names from the header (the BOM is stripped by pyarrow)
        header = fh.readline().decode("utf-8-sig").rstrip("\r\n").split(",")
    table = csv.read_csv(path, convert_options=csv.ConvertOptions(
        column_types={name: pa.string() for name in header}))
    return table.num_rows


def _read_xlsx_calamine(paths):
    from python_calamine import CalamineWorkbook

    rows = 0
    for p in paths:
        rows += len(CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()) - 1
    return rows


def _read_polars(csvs, xlsxs):
    """The fastest complete peer: polars reads the CSV with every column as text and each
    workbook through its calamine engine (fastexcel, straight into Arrow), all as text; every
    file's frame is held to the end, as the kit holds the month."""
    import polars as pl

    orders = [pl.read_csv(p, infer_schema=False) for p in csvs]
    after = [pl.read_excel(p, engine="calamine", infer_schema_length=0) for p in xlsxs]
    return sum(f.height for f in orders), sum(f.height for f in after)


def child(step: str, raw: str, processed: str) -> dict:
    """Run one step in this (fresh) process; returns wall time, peak RSS and row counts."""
    raw_dir = Path(raw)
    csvs = sorted(raw_dir.glob("*.csv"))
    xlsxs = sorted(raw_dir.glob("*.xlsx"))
    out: dict = {"step": step}
    if step == "peer_polars":
        import polars  # noqa: F401
    elif step in ("baseline_csv", "baseline_xlsx", "baseline_both"):
        import pyarrow.csv  # noqa: F401
        import python_calamine  # noqa: F401
    else:
        import returns_kit.io as rio
    out["rss_start_mb"] = _peak_rss_mb()
    tree = _TreePeak()
    t0, c0 = time.perf_counter(), time.process_time()
    if step == "baseline_csv":
        out["orders"] = sum(_read_csv_arrow(p) for p in csvs)
    elif step == "baseline_xlsx":
        out["after_sales"] = _read_xlsx_calamine(xlsxs)
    elif step == "baseline_both":
        out["orders"] = sum(_read_csv_arrow(p) for p in csvs)
        out["after_sales"] = _read_xlsx_calamine(xlsxs)
    elif step == "peer_polars":
        out["orders"], out["after_sales"] = _read_polars(csvs, xlsxs)
    elif step in ("kit_ingest", "kit_cached"):
        ds = rio.ingest(raw_dir, Path(processed), force=step == "kit_ingest", salt="bench")
        out["orders"], out["after_sales"] = len(ds.orders), len(ds.after_sales)
        out["from_cache"] = getattr(ds, "from_cache", None)
        try:
            out["data_quality"] = ds.data_quality()
        except Exception as exc:  # report, do not fail the timing
            out["data_quality"] = f"data_quality() failed: {exc!r}"
        quarantine = getattr(ds, "quarantine", None)
        if quarantine is not None and len(quarantine):
            out["quarantine_rows"] = len(quarantine)
            out["quarantine_reasons"] = {
                f"{c} / {r}": int(n) for (c, r), n in
                quarantine.groupby(["column", "reason"]).size().nlargest(10).items()}
    else:
        raise SystemExit(f"unknown step {step}")
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0  # every thread of the step's process
    out["peak_rss_mb"] = max(_peak_rss_mb(), tree.stop())  # worker processes included
    out["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_step(step: str, raw: Path, processed: Path, log=print) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "_child", step, str(raw), str(processed)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        log(f"step {step} FAILED (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        return {"step": step, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip()
                else f"exit {proc.returncode}", "stderr": proc.stderr[-4000:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = elapsed  # including interpreter start-up and imports
    log(f"step {step}: {result['wall_s']:.2f}s, peak {result['peak_rss_mb']:,.0f} MB")
    return result


def machine_info() -> dict:
    from importlib.metadata import version

    info = {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "machine": platform.machine()}
    try:
        with open("/proc/meminfo") as fh:
            info["ram_gb"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    except OSError:
        pass
    for pkg in ("pandas", "numpy", "pyarrow", "python-calamine", "xlsxwriter", "rustpy-xlsxwriter", "polars",
                "fastexcel", "returns_kit"):
        try:
            info[pkg] = version(pkg)
        except Exception:
            info[pkg] = "?"
    return info


def _fmt_ratio(x):
    return "n/a" if x is None else f"{x:.2f}×"


def summarise(rounds: list[dict[str, dict]]) -> dict[str, dict]:
    """Per step over the rounds: the median wall and CPU time (``wall_s``, ``cpu_s``), the best
    wall time, the highest peak memory; and for the kit's ingest the median, lowest and highest of
    its per-round ratio to polars (``paired``).  A step that failed in every round keeps its error."""
    from statistics import median

    results: dict[str, dict] = {}
    for step in dict.fromkeys(s for r in rounds for s in r):
        runs = [r[step] for r in rounds if step in r]
        good = [r for r in runs if "error" not in r]
        if not good:
            results[step] = runs[0]
            continue
        results[step] = {**good[0], "wall_s": median(r["wall_s"] for r in good),
                         "cpu_s": median(r.get("cpu_s", float("nan")) for r in good),
                         "best_wall_s": min(r["wall_s"] for r in good),
                         "peak_rss_mb": max(r["peak_rss_mb"] for r in good), "runs": len(good)}
    paired = [r["kit_ingest"]["wall_s"] / r["peer_polars"]["wall_s"] for r in rounds
              if "error" not in r.get("kit_ingest", {"error": 1}) and "error" not in r.get("peer_polars", {"error": 1})]
    if paired and "kit_ingest" in results:
        results["kit_ingest"]["paired"] = {"median": median(paired), "low": min(paired), "high": max(paired),
                                           "rounds": len(paired)}
    return results


def report(results: dict, info: dict, orders: int, after_sales: int, raw: Path, gen: dict | None,
           repeat: int = 1) -> str:
    """The Markdown result table with the ratios."""
    sizes = {p.name: p.stat().st_size for p in sorted(raw.iterdir())}
    csv_mb = sum(s for n, s in sizes.items() if n.endswith(".csv")) / 2**20
    xlsx_mb = sum(s for n, s in sizes.items() if n.endswith(".xlsx")) / 2**20
    n_xlsx = sum(n.endswith(".xlsx") for n in sizes)
    n_csv = sum(n.endswith(".csv") for n in sizes)
    labels = {
        "baseline_csv": "baseline CSV: pyarrow.csv.read_csv, all str",
        "baseline_xlsx": f"baseline XLSX: calamine to_python ×{n_xlsx}",
        "baseline_both": "baseline CSV + XLSX in one process",
        "peer_polars": "peer: polars read_csv(infer_schema=False) + read_excel(calamine), all text",
        "kit_ingest": "kit: ingest(force=True)",
        "kit_cached": "kit: ingest(force=False), Parquet cache hit",
    }
    rows_of = {"baseline_csv": orders, "baseline_xlsx": after_sales}
    lines = [
        f"# ingest benchmark — {datetime.now():%Y-%m-%d %H:%M:%S}",
        "",
        f"Data: {orders:,} paid sub-orders in {n_csv} CSV ({csv_mb:,.0f} MiB), {after_sales:,} after-sales in "
        f"{n_xlsx} XLSX ({xlsx_mb:,.1f} MiB), folder `{raw.relative_to(ROOT) if raw.is_relative_to(ROOT) else raw}`.",
    ]
    if gen:
        lines.append(f"Generation: {gen.get('seconds', '?')} s (facts {gen.get('facts_s')} s, CSV "
                     f"{gen.get('csv_s')} s, XLSX {gen.get('xlsx_s')} s; peak RSS "
                     f"{gen.get('peak_rss_mb', '?')} MB; generated {gen.get('at')}).")
    lines += [
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        "",
        "Each step ran in a fresh Python process"
        + (f", in {repeat} rounds of every step one after the other (median wall and CPU time, best wall "
           "time, highest peak RSS)." if repeat > 1 else ", once.")
        + " Wall and CPU time (all the process's threads) exclude interpreter start-up and imports;"
        " peak RSS includes them.",
        "",
        "| step | wall s | best wall s | CPU s | peak RSS MB | RSS after imports MB | rows | rows/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step, label in labels.items():
        r = results.get(step)
        if r is None:
            continue
        if "error" in r:
            lines.append(f"| {label} | FAILED | | | | | | `{r['error'][:120]}` |")
            continue
        n = rows_of.get(step, orders + after_sales)
        lines.append(f"| {label} | {r['wall_s']:.2f} | {r.get('best_wall_s', r['wall_s']):.2f} | "
                     f"{r.get('cpu_s', float('nan')):.2f} | {r['peak_rss_mb']:,.0f} | {r['rss_start_mb']:,.0f} | "
                     f"{n:,} | {n / r['wall_s']:,.0f} |")

    def ok(step):
        return step in results and "error" not in results[step]

    lines.append("")
    if ok("baseline_csv") and ok("baseline_xlsx"):
        base_t = results["baseline_csv"]["wall_s"] + results["baseline_xlsx"]["wall_s"]
        base_m = results["baseline_csv"]["peak_rss_mb"] + results["baseline_xlsx"]["peak_rss_mb"]
        lines += [
            "| ratio | time | peak memory |",
            "|---|---:|---:|",
        ]
        for step, what in (("kit_ingest", "kit ingest / (baseline CSV + baseline XLSX)"),
                           ("kit_cached", "kit cache hit / (baseline CSV + baseline XLSX)")):
            if ok(step):
                r = results[step]
                lines.append(f"| {what} | {_fmt_ratio(r['wall_s'] / base_t)} | "
                             f"{_fmt_ratio(r['peak_rss_mb'] / base_m)} |")
        if ok("kit_ingest") and ok("baseline_both"):
            r, b = results["kit_ingest"], results["baseline_both"]
            lines.append(f"| kit ingest / baseline both-in-one-process | {_fmt_ratio(r['wall_s'] / b['wall_s'])} | "
                         f"{_fmt_ratio(r['peak_rss_mb'] / b['peak_rss_mb'])} |")
        lines.append("")
        lines.append(f"Baseline sum: {base_t:.2f} s, {base_m:,.0f} MB (sum of the two peak RSS).")
    if ok("kit_ingest") and ok("peer_polars"):  # measured without the baselines too
        lines += ["", "| against the fastest complete peer | time | peak memory |", "|---|---:|---:|"]
        r, b = results["kit_ingest"], results["peer_polars"]
        time_ratio = _fmt_ratio(r["wall_s"] / b["wall_s"])
        memory_ratio = _fmt_ratio(r["peak_rss_mb"] / b["peak_rss_mb"])
        lines.append(f"| **kit ingest / polars (the fastest complete peer)** | **{time_ratio}** | {memory_ratio} |")
        if "paired" in r:
            q = r["paired"]
            lines.append(f"| kit ingest / polars, round by round (median; lowest–highest of {q['rounds']}) | "
                         f"{_fmt_ratio(q['median'])} ({q['low']:.2f}–{q['high']:.2f}×) | |")
        if r.get("cpu_s") and b.get("cpu_s"):
            lines.append(f"| kit ingest / polars, CPU time | {_fmt_ratio(r['cpu_s'] / b['cpu_s'])} | |")
    for step in ("kit_ingest", "kit_cached"):
        r = results.get(step)
        if r and "error" not in r:
            if (r.get("orders"), r.get("after_sales")) != (orders, after_sales):
                lines.append(f"Note: {step} returned {r.get('orders'):,} orders / {r.get('after_sales'):,} "
                             f"after-sales (generated {orders:,} / {after_sales:,}).")
    dq = (results.get("kit_ingest") or {}).get("data_quality")
    if dq is not None:
        lines += ["", "data_quality() of the kit ingest:", "", "```", _short(dq), "```"]
    return "\n".join(lines) + "\n"


def _short(obj) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=1, default=str)
    return text if len(text) < 3000 else text[:3000] + "\n…"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        print(json.dumps(child(*argv[1:4]), default=str))
        return 0
    if argv and argv[0] == "_generate":
        raw, orders, after_sales, seed = Path(argv[1]), int(argv[2]), int(argv[3]), int(argv[4])
        generate(raw, orders, after_sales, seed, force=True)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=1_000_000, help="paid sub-orders (default 1,000,000)")
    ap.add_argument("--after-sales", type=int, default=120_000, help="after-sales (default 120,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--regenerate", action="store_true", help="rebuild the data even if it exists")
    ap.add_argument("--generate-only", action="store_true", help="write the data, measure nothing")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each step N times; report the best wall time and the highest peak")
    ap.add_argument("--steps", default="baseline_csv,baseline_xlsx,baseline_both,peer_polars,kit_ingest,kit_cached",
                    help="comma-separated steps to run (default: all)")
    args = ap.parse_args(argv)
    if args.orders < 1 or args.after_sales < 1:
        ap.error("--orders and --after-sales must be positive")
    if args.after_sales > 0.4 * args.orders:  # a quarter are pre-shipment refunds: ~13 % of orders
        ap.error(f"--after-sales {args.after_sales:,} is too many for --orders {args.orders:,} "
                 "(at most 40 % of the orders)")

    base = dataset_dir(args.orders, args.after_sales, args.seed)
    raw, processed = base / "raw", base / "processed"
    if args.regenerate or not is_complete(raw, args.orders, args.after_sales):
        # in a subprocess, so this (parent) process stays small: Linux children inherit the
        # parent's ru_maxrss, and the measured steps are children of this process
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "_generate", str(raw),
                        str(args.orders), str(args.after_sales), str(args.seed)], cwd=ROOT, check=True)
    else:
        print(f"data: reusing {raw.relative_to(ROOT)} ({args.orders:,} orders, {args.after_sales:,} after-sales)")
    gen_file = base / "generation.json"
    gen = json.loads(gen_file.read_text()) if gen_file.exists() else None
    if args.generate_only:
        return 0

    info = machine_info()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    results = {}
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    # rounds of every step, one after the other: a noisy minute on a shared machine then slows
    # one run of each step instead of every run of one step, and each round gives a paired ratio
    rounds: list[dict[str, dict]] = []
    for _ in range(max(1, args.repeat)):
        done: dict[str, dict] = {}
        for step in steps:
            if step == "kit_cached" and "error" in done.get("kit_ingest", {}):
                continue
            done[step] = run_step(step, raw, processed)
        rounds.append(done)
    results = summarise(rounds)
    table = report(results, info, args.orders, args.after_sales, raw, gen, args.repeat)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"ingest-{datetime.now():%Y%m%d-%H%M%S}.md"
    errors = {k: v["stderr"] for k, v in results.items() if "stderr" in v}
    out.write_text(table + "".join(f"\n## {k} stderr\n\n```\n{v}\n```\n" for k, v in errors.items()),
                   encoding="utf-8")
    print()
    print(table)
    print(f"saved {out.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
