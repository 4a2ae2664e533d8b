"""A month small enough to check by hand: canonical tables for the chapter objects' tests.

Orders (paid 2026-10 unless noted; 10-01 is a Thursday)
  order sub  buyer prod        price  paid         shipped      province/city      carrier creator
  O0    S0   K1    P1 碎花裙    159    09-20 (Sept) 09-21        新疆/乌鲁木齐市      极兔     -
  O1    S1   K1    P1 碎花裙    159    10-01 10:00  10-02 10:00  新疆/乌鲁木齐市      极兔     C1 小鹿穿搭日记
  O1    S2   K1    P2 收纳盒     49.9  10-01 10:00  10-02 10:00  新疆/乌鲁木齐市      极兔     C1
  O2    S3   K2    P1 碎花裙    159    10-03 12:00  10-04 12:00  广东/广州市         顺丰     -
  O3    S4   K2    P2 收纳盒     49.9  10-05 09:00  10-06 09:00  广东/深圳市         顺丰     -
  O4    S5   K3    P3 羊绒大衣   600    10-12 09:00  10-13 12:00  新疆/喀什地区        极兔     C1
  O5    S6   -     P2 收纳盒     49.9  10-31 23:00  (not yet)    浙江/杭州市         -        -

After-sales (reason → category by conf/base/reasons.yml)
  A1 S1 退货退款     退款成功   10-05 10:00 大小／尺寸／重量与商品描述不符 (描述不符)  “尺码偏小，穿不上”
  A2 S1 已发货仅退款 退款成功   10-06 10:00 多拍 / 错拍 / 不想要 (主观原因)        “不想要了，线头太多”
  A3 S3 退货退款     待商家收货 10-10 12:00 包装／商品破损 (物流问题, damage)     “外包装破了”
  A4 S5 已发货仅退款 退款成功   11-02 12:00 功能故障 (质量问题)                   “开机没反应”
  A5 S6 未发货仅退款 退款成功   10-31 23:30 多拍 / 错拍 / 不想要                  “拍错了”
  A6 S99 (no order)  售后关闭   10-20 10:00 其他                                  -
  A7 S4 未发货仅退款 售后关闭   10-05 08:00 多拍 / 错拍 / 不想要                  “拍错了”

October cohort: S1..S6 (6 sub-orders, ¥1,067.70 paid); refunded S1 (A1, A2) S5 (A4) S6 (A5):
refund rate 3/6; returned S1; 品退 S1 (描述不符) S5 (质量问题).  Applied in October: A1 A2 A3 A5
A6 A7 (6; A6 has no order).  Every file was exported 2026-11-25 09:00 (25 days after month end).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from returns_kit.chapters.context import Context
from returns_kit.io import Dataset, load_luopan, load_third_party
from returns_kit.io.exports import frame_columns, frame_dtypes

T = pd.Timestamp
M = "2026-10"
CONF = Path(__file__).resolve().parents[1] / "conf"
EXPORTED = T("2026-11-25 09:00")

_ORDER_FIELDS = ["order_id", "sub_order_id", "buyer_key", "product_id", "product_name", "unit_price",
                 "pay_time", "ship_time", "province", "city", "carrier", "creator_id", "creator_name",
                 "traffic_source"]
_ORDERS = [
    ("O0", "S0", "K1", "P1", "碎花裙", 159.0, T("2026-09-20 10:00"), T("2026-09-21 10:00"), "新疆维吾尔自治区", "乌鲁木齐市", "极兔速递", None, None, "商品卡"),
    ("O1", "S1", "K1", "P1", "碎花裙", 159.0, T("2026-10-01 10:00"), T("2026-10-02 10:00"), "新疆维吾尔自治区", "乌鲁木齐市", "极兔速递", "C1", "小鹿穿搭日记", "直播"),
    ("O1", "S2", "K1", "P2", "收纳盒", 49.9, T("2026-10-01 10:00"), T("2026-10-02 10:00"), "新疆维吾尔自治区", "乌鲁木齐市", "极兔速递", "C1", "小鹿穿搭日记", "直播"),
    ("O2", "S3", "K2", "P1", "碎花裙", 159.0, T("2026-10-03 12:00"), T("2026-10-04 12:00"), "广东省", "广州市", "顺丰速运", None, None, "商品卡"),
    ("O3", "S4", "K2", "P2", "收纳盒", 49.9, T("2026-10-05 09:00"), T("2026-10-06 09:00"), "广东省", "深圳市", "顺丰速运", None, None, None),
    ("O4", "S5", "K3", "P3", "羊绒大衣", 600.0, T("2026-10-12 09:00"), T("2026-10-13 12:00"), "新疆维吾尔自治区", "喀什地区", "极兔速递", "C1", "小鹿穿搭日记", "直播"),
    ("O5", "S6", None, "P2", "收纳盒", 49.9, T("2026-10-31 23:00"), pd.NaT, "浙江省", "杭州市", None, None, None, "短视频"),
]

_AS_FIELDS = ["after_sale_id", "sub_order_id", "after_sale_type", "status", "status_group",
              "refund_goods_amount", "apply_time", "reason", "buyer_note", "merchant_refund_time"]
_AFTER_SALES = [
    ("A1", "S1", "return_refund", "refund_success", "finished", 159.0, T("2026-10-05 10:00"), "大小／尺寸／重量与商品描述不符", "尺码偏小，穿不上", T("2026-10-07 10:00")),
    ("A2", "S1", "refund_shipped", "refund_success", "finished", 20.0, T("2026-10-06 10:00"), "多拍 / 错拍 / 不想要", "不想要了，线头太多", T("2026-10-06 12:00")),
    ("A3", "S3", "return_refund", "in_progress", "in_progress", 159.0, T("2026-10-10 12:00"), "包装／商品破损", "外包装破了", pd.NaT),
    ("A4", "S5", "refund_shipped", "refund_success", "finished", 600.0, T("2026-11-02 12:00"), "功能故障", "开机没反应", T("2026-11-03 12:00")),
    ("A5", "S6", "refund_unshipped", "refund_success", "finished", 49.9, T("2026-10-31 23:30"), "多拍 / 错拍 / 不想要", "拍错了", T("2026-10-31 23:40")),
    ("A6", "S99", "refund_shipped", "closed", "closed", 10.0, T("2026-10-20 10:00"), "其他", None, pd.NaT),
    ("A7", "S4", "refund_unshipped", "closed", "closed", 49.9, T("2026-10-05 08:00"), "多拍 / 错拍 / 不想要", "拍错了", pd.NaT),
]


def canonical(kind: str, frame: pd.DataFrame, file: str = "test.xlsx") -> pd.DataFrame:
    """``frame`` with every canonical column of ``kind`` (missing ones null), lineage and dtypes."""
    frame = frame.copy()
    frame["source_file"] = file
    frame["source_row"] = range(2, len(frame) + 2)
    frame["export_time"] = EXPORTED
    for col in frame_columns(kind):
        if col not in frame:
            frame[col] = None
    return frame[frame_columns(kind)].astype(frame_dtypes(kind))


def orders() -> pd.DataFrame:
    """The order table (canonical columns)."""
    frame = pd.DataFrame(_ORDERS, columns=_ORDER_FIELDS)
    frame["quantity"] = 1
    frame["payable_amount"] = frame["unit_price"]
    frame["traffic_format"] = frame["traffic_source"]
    return canonical("orders", frame, "订单导出_20261125_090000.csv")


def after_sales() -> pd.DataFrame:
    """The after-sale table (canonical columns)."""
    frame = pd.DataFrame(_AFTER_SALES, columns=_AS_FIELDS)
    o = pd.DataFrame(_ORDERS, columns=_ORDER_FIELDS).set_index("sub_order_id")
    frame["product_id"] = frame["sub_order_id"].map(o["product_id"])
    frame["product_name"] = frame["sub_order_id"].map(o["product_name"])
    frame["payable_amount"] = frame["sub_order_id"].map(o["unit_price"]).fillna(10.0)
    frame["refund_shipping_amount"] = [8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    frame["finish_time"] = frame["merchant_refund_time"]
    frame["is_refund_success"] = frame["status"] == "refund_success"
    frame["outbound_logistics_state"] = ["已签收", None, "已签收", "已签收", None, None, None]
    return canonical("after_sales", frame, "售后单导出-2026-11-25-09-00-00.xlsx")


def dataset() -> Dataset:
    return Dataset.from_frames(after_sales(), orders())


def context(**given) -> Context:
    """The tiny month as a chapter context (conf/base settings and rules; inputs handed in)."""
    given.setdefault("luopan", _empty_luopan())
    given.setdefault("third_party", _empty_third_party())
    given.setdefault("external_files", pd.DataFrame(columns=["file", "kind", "source", "rows"]))
    given.setdefault("interventions", [])
    return Context.of(M, dataset(), conf_dir=CONF, **given)


def _empty_luopan() -> pd.DataFrame:
    return load_luopan(None, CONF)


def _empty_third_party() -> pd.DataFrame:
    return load_third_party(None, CONF)
