"""Canonical tables: the data contract between the loaders and every analysis function.

The 抖店 exports (see ``shared/reference/doudian_exports.md``) are read into two tables whose
columns are English snake_case.  Chinese is only for what people read.

* ``after_sales`` — one row per 售后单 (售后单号), newest export wins.
* ``orders``      — one row per 子订单 (子订单编号), newest export wins.

Each raw header is mapped through :data:`AFTER_SALE_COLUMNS` / :data:`ORDER_COLUMNS`.  Headers are
compared after :func:`normalize_header` (NFKC, so ``（元）`` == ``(元)``; spaces, tabs and BOM
removed), and older layouts are accepted through the alias lists.

Personal data never leaves the loader: receiver name, phone and street address are read only to
build the salted ``buyer_key`` and are then dropped; staff names (操作人) and negotiation logs
(协商记录) are not read at all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------
# Column specs
# --------------------------------------------------------------------------------------------

#: kinds of canonical column: how the loader parses the raw text
ID, TEXT, MONEY, INT, TIME = "id", "text", "money", "int", "time"


@dataclass(frozen=True)
class Column:
    name: str  # canonical snake_case name
    kind: str  # one of ID, TEXT, MONEY, INT, TIME
    headers: tuple[str, ...]  # raw header first, then accepted aliases (older layouts)
    required: bool = False  # a file without it is not this kind of export
    label: str = ""  # Chinese label for reports (defaults to the raw header)

    @property
    def zh(self) -> str:
        return self.label or self.headers[0]


def _c(name: str, kind: str, *headers: str, required: bool = False, label: str = "") -> Column:
    return Column(name, kind, tuple(headers), required, label)


#: 售后单 export, current 50-column layout (§1.2) plus aliases.  Columns of the raw layout that
#: are deliberately not read: 商家退货地址/联系人姓名/联系人电话 (not needed), 操作人 (staff name),
#: 协商记录 (free text with personal data), 换货商品信息.
AFTER_SALE_COLUMNS: tuple[Column, ...] = (
    _c("after_sale_id", ID, "售后单号", "售后编号", "售后单ID", required=True),
    _c("order_id", ID, "订单号", "主订单编号", "主订单号", "店铺单号"),
    _c("sub_order_id", ID, "商品单号", "子订单编号", "子订单号", "商品订单号", required=True),
    _c("product_name", TEXT, "商品名称", "选购商品"),
    _c("product_id", ID, "商品ID", "商品id"),
    _c("payable_amount", MONEY, "应付金额(元)", "应付金额", "订单应付金额"),
    _c("shipping_fee", MONEY, "商品运费(元)", "商品运费", "运费"),
    _c("pay_discount", MONEY, "支付优惠(元)", "支付优惠"),
    _c("tax_amount", MONEY, "商品税费(元)", "商品税费"),
    _c("ship_state", TEXT, "商品发货状态", "发货状态"),
    _c("after_sale_type_raw", TEXT, "售后类型", required=True),
    _c("refund_goods_amount", MONEY, "退商品金额(元)", "退商品金额", "退款金额(元)", "退款金额",
       required=True),
    _c("refund_shipping_amount", MONEY, "退运费金额(元)", "退运费金额"),
    _c("refund_pay_discount", MONEY, "退支付优惠(元)", "退支付优惠"),
    _c("refund_tax_amount", MONEY, "退税费金额(元)", "退税费金额"),
    _c("status_raw", TEXT, "售后状态", required=True),
    _c("apply_time", TIME, "售后申请时间", "申请时间", required=True),
    _c("refund_method", TEXT, "退款方式"),
    _c("refund_voucher_uploaded", TEXT, "是否已上传退款凭证"),
    _c("reason", TEXT, "售后原因", "申请原因", "退款原因"),
    _c("reason_label", TEXT, "售后原因标签"),
    _c("return_tracking_no", TEXT, "退货物流单号"),
    _c("return_exception", TEXT, "退货异常"),
    _c("return_ship_time", TIME, "退货发货时间"),
    _c("return_carrier", TEXT, "退货物流公司"),
    _c("auto_deadline", TIME, "自动处理截止时间"),
    _c("agree_time", TIME, "同意售后申请时间"),
    _c("merchant_refund_time", TIME, "商家退款时间", "退款时间"),
    _c("buyer_received_time", TIME, "用户到账时间"),
    _c("close_time", TIME, "售后关闭时间"),
    _c("arbitration_status", TEXT, "仲裁状态"),
    _c("liability", TEXT, "纠纷责任方"),
    _c("is_fast_refund", TEXT, "是否极速退款"),
    _c("is_refund_after_reject", TEXT, "是否拒签后退款"),
    _c("outbound_tracking_no", TEXT, "发货物流单号"),
    _c("outbound_logistics_state", TEXT, "发货物流状态"),
    _c("exchange_tracking_no", TEXT, "换货物流单号"),
    _c("return_logistics_state", TEXT, "退货物流状态"),
    _c("finish_time", TIME, "售后完结时间", "完结时间"),
    _c("order_note", TEXT, "订单备注"),
    _c("buyer_note", TEXT, "用户售后说明", "售后说明", "申请描述"),
    _c("merchant_note", TEXT, "售后备注"),
    _c("merchant_sku_code", TEXT, "商家编码"),
    _c("store_name", TEXT, "门店名称"),
)

#: amounts that cannot be negative (a payable, a price, a refund, a fee): a negative one is
#: quarantined, not kept; discounts are left alone (「店铺券-5.00」 names a discount of 5.00)
NONNEGATIVE_MONEY = frozenset({"payable_amount", "shipping_fee", "tax_amount", "refund_goods_amount",
                               "refund_shipping_amount", "refund_tax_amount", "unit_price"})

#: free text people type, where personal data turns up (“着急，电话135…”): masked by the loader
#: (:func:`returns_kit.io.cells.mask_personal`) before any table, cache, notebook or report sees it
FREE_TEXT_COLUMNS = frozenset({"order_note", "buyer_note", "merchant_note", "return_exception"})

#: Raw 售后 columns that are recognised but intentionally not loaded (personal or staff data).
AFTER_SALE_DROPPED_HEADERS: tuple[str, ...] = (
    "商家退货地址", "商家退货联系人姓名", "商家退货联系人电话", "操作人", "协商记录", "换货商品信息",
)

#: 订单 export (商品维度, one row per 子订单), ~75-column layout (§2.2) plus the legacy aliases.
#: Receiver columns (收件人, 收件人手机号, 街道, 详细地址) are read only for ``buyer_key`` and
#: dropped; 买家留言 and 商家备注 are not read (free text that may hold personal data).
ORDER_COLUMNS: tuple[Column, ...] = (
    _c("order_id", ID, "主订单编号", "订单号", "主订单号", required=True),
    _c("sub_order_id", ID, "子订单编号", "商品单号", "子订单号", required=True),
    _c("pay_method", TEXT, "支付方式"),
    _c("product_name", TEXT, "选购商品", "商品名称"),
    _c("sku_spec", TEXT, "商品规格"),
    _c("item_code", TEXT, "货号"),
    _c("product_id", ID, "商品ID", "商品id", required=True),
    _c("merchant_sku_code", TEXT, "商家编码"),
    _c("quantity", INT, "商品数量", "购买数量", required=True),
    _c("unit_price", MONEY, "商品金额", "商品单价", "商品价格"),
    _c("submit_time", TIME, "订单提交时间", "下单时间"),
    _c("pay_time", TIME, "支付完成时间", "支付时间", required=True),
    _c("complete_time", TIME, "订单完成时间"),
    _c("promised_ship_time", TIME, "承诺发货时间"),
    _c("app_channel", TEXT, "APP渠道"),
    _c("order_status_raw", TEXT, "订单状态"),
    _c("cancel_reason", TEXT, "取消原因"),
    _c("after_sale_status_raw", TEXT, "售后状态"),
    _c("order_type", TEXT, "订单类型"),
    _c("ship_time", TIME, "发货时间"),
    _c("payable_amount", MONEY, "订单应付金额", "应付金额", "订单金额", required=True),
    _c("shipping_fee", MONEY, "运费"),
    _c("discount_total", MONEY, "优惠总金额"),
    _c("platform_discount", MONEY, "平台优惠"),
    _c("merchant_discount", MONEY, "商家优惠"),  # may be "店铺券-5.00": amount after the last "-"
    _c("creator_discount", MONEY, "达人优惠"),
    _c("province", TEXT, "省"),
    _c("city", TEXT, "市"),
    _c("district", TEXT, "区"),
    _c("logistics_info", TEXT, "快递信息"),  # "<运单号>-<快递公司>,<商品…>" → tracking_no, carrier
    _c("creator_id", ID, "达人ID"),
    _c("creator_name", TEXT, "达人昵称"),
    _c("store_id", ID, "所属门店ID"),
    _c("traffic_source", TEXT, "流量来源"),
    _c("warehouse_name", TEXT, "仓库名称"),
    _c("is_anxin", TEXT, "是否安心购"),
    _c("ad_channel", TEXT, "广告渠道"),
    _c("traffic_type", TEXT, "流量类型"),
    _c("traffic_format", TEXT, "流量体裁"),
    _c("traffic_channel", TEXT, "流量渠道"),
)

#: Receiver columns read only to build ``buyer_key`` (salted hash) and then dropped.
ORDER_PERSONAL_HEADERS: tuple[str, ...] = ("收件人", "收件人手机号", "街道", "详细地址")

#: Columns the loader derives (not in the raw file).  Both tables also carry lineage columns
#: ``source_file`` (file name), ``source_row`` (1-based spreadsheet row, header = row 1) and
#: ``export_time`` (from the file name, else the file's mtime) used for "newest export wins".
AFTER_SALE_DERIVED = ("after_sale_type", "status", "status_group", "is_refund_success")
ORDER_DERIVED = ("order_status", "carrier", "tracking_no", "buyer_key")
LINEAGE = ("source_file", "source_row", "export_time")

# --------------------------------------------------------------------------------------------
# Enums (raw Chinese text → canonical value; unknown text → "unknown", never dropped)
# --------------------------------------------------------------------------------------------

#: 售后类型 → after_sale_type.  Matched by substring, first rule wins (order matters).
AFTER_SALE_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("退货退款", "return_refund"),
    ("换货", "exchange"),
    ("补寄", "reship"),
    ("维修", "repair"),
    ("价保", "price_protect"),
    ("未发货", "refund_unshipped"),  # 未发货退款 / 未发货仅退款 / 发货前退款
    ("发货前", "refund_unshipped"),
    ("售前", "refund_unshipped"),
    ("已发货", "refund_shipped"),  # 已发货退款 / 已发货仅退款
    ("仅退款", "refund_shipped"),  # 售后仅退款
    ("退货", "return_refund"),
)
AFTER_SALE_TYPES_ZH = {
    "return_refund": "退货退款",
    "refund_shipped": "已发货仅退款",
    "refund_unshipped": "未发货仅退款",
    "exchange": "换货",
    "reship": "补寄",
    "repair": "维修",
    "price_protect": "价保",
    "unknown": "未知类型",
}
#: after-sale types whose success means money went back to the buyer
REFUND_TYPES = frozenset({"return_refund", "refund_shipped", "refund_unshipped"})

#: 售后状态 → status.  Matched after NFKC (full-width comma → ","), first rule wins.
STATUS_RULES: tuple[tuple[str, str], ...] = (
    ("退款失败", "refund_failed"),
    ("退款中", "in_progress"),
    ("退款成功", "refund_success"),
    ("换货成功", "exchange_done"),
    ("补寄成功", "exchange_done"),
    ("维修成功", "exchange_done"),
    ("售后成功", "refund_success"),
    ("拒绝", "rejected"),  # 拒绝售后申请 / 拒绝售后 / 退货后拒绝退款 / 商家一次拒绝
    ("售后关闭", "closed"),
    ("售后失败", "closed"),
    ("关闭", "closed"),
    ("取消", "closed"),
    ("待", "in_progress"),  # 待商家处理 / 待买家退货 / 待商家收货 / 退货待处理 / 等待用户收货 …
    ("仲裁", "in_progress"),
    ("处理中", "in_progress"),
)
#: status → status_group used by the application view
STATUS_GROUPS = {
    "refund_success": "finished",
    "exchange_done": "finished",
    "in_progress": "in_progress",
    "refund_failed": "in_progress",
    "closed": "closed",
    "rejected": "closed",
    "unknown": "unknown",
}
STATUS_GROUPS_ZH = {"finished": "完结", "in_progress": "处理中", "closed": "关闭/拒绝", "unknown": "未知状态"}

#: 订单状态 → order_status
ORDER_STATUS_RULES: tuple[tuple[str, str], ...] = (
    ("已关闭", "closed"),
    ("取消", "closed"),
    ("已完成", "completed"),
    ("部分发货", "shipped"),
    ("已发货", "shipped"),
    ("待发货", "awaiting_shipment"),
    ("已支付", "awaiting_shipment"),
    ("备货中", "awaiting_shipment"),
    ("待支付", "unpaid"),
)

#: Cell texts that mean "empty" in exports (compared after stripping).
NULL_TOKENS = frozenset({"", "-", "--", "—", "nan", "NaN", "None", "null", "NULL", "暂无数据"})


def normalize_header(text: str) -> str:
    """Header text as compared: NFKC (full-width → half-width), no BOM, spaces or tabs."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in text if not ch.isspace() and ch != "\ufeff")


def classify(text: str | None, rules: tuple[tuple[str, str], ...]) -> str:
    """Map a raw Chinese value through substring ``rules``; ``"unknown"`` when nothing matches."""
    if text is None:
        return "unknown"
    norm = unicodedata.normalize("NFKC", str(text)).strip()
    for needle, value in rules:
        if needle in norm:
            return value
    return "unknown"


# --------------------------------------------------------------------------------------------
# Exact raw layouts (what the 抖店 backend writes today), used by the sample generator and tests
# --------------------------------------------------------------------------------------------

#: 售后单 export, 50 columns in order (full-width （元）).
RAW_AFTER_SALE_HEADERS: tuple[str, ...] = tuple("""
售后单号 订单号 商品单号 商品名称 商品ID 应付金额（元） 商品运费（元） 支付优惠（元）
商品税费（元） 商品发货状态 售后类型 退商品金额（元） 退运费金额（元） 退支付优惠（元） 退税费金额（元）
售后状态 售后申请时间 退款方式 是否已上传退款凭证 售后原因 售后原因标签 退货物流单号 退货异常
退货发货时间 退货物流公司 自动处理截止时间 同意售后申请时间 商家退款时间 用户到账时间 售后关闭时间
商家退货地址 商家退货联系人姓名 商家退货联系人电话 仲裁状态 纠纷责任方 是否极速退款 是否拒签后退款
发货物流单号 发货物流状态 换货物流单号 退货物流状态 售后完结时间 订单备注 用户售后说明 售后备注
操作人 协商记录 换货商品信息 商家编码 门店名称
""".split())

#: 订单 export (标准报表, 商品维度), 75 columns in order.
RAW_ORDER_HEADERS: tuple[str, ...] = tuple("""
主订单编号 子订单编号 支付方式 选购商品 货号 商品ID 商家编码 商品数量
商品金额 订单提交时间 支付完成时间 订单完成时间 承诺发货时间 预约发货时间 买家留言
旗帜颜色 商家备注 APP渠道 订单状态 取消原因 售后状态 订单类型 发货时间 车型
是否是以旧换新 换新额外补贴 换新额外补贴发放状态 订单应付金额 运费 优惠总金额 平台优惠
商家优惠 达人优惠 商家改价 支付优惠 手续费 红包抵扣 降价类优惠 平台实际承担优惠金额
商家实际承担优惠金额 达人实际承担优惠金额 收件人 收件人手机号 省 市 区 街道 详细地址
是否修改过地址 快递信息 序列号 达人ID 达人昵称 拼团订单团编号 商品单价是否含税 税费
鲁班落地页ID 所属门店ID 流量来源 仓库ID 仓库名称 是否安心购 广告渠道 流量类型 流量体裁
流量渠道 发货主体 发货主体明细 教育优惠 预计送达时间 是否平台仓自流转 是否是渠道商品 预约送达时间
建议发货时间（起） 建议发货时间（止）
""".split())

#: Older (2022–23) order layout: 商品名称 / 商品规格 / 商品单价 instead of 选购商品 / 商品金额.
LEGACY_ORDER_RENAMES = {"选购商品": "商品名称", "商品金额": "商品单价"}

assert len(RAW_AFTER_SALE_HEADERS) == 50, len(RAW_AFTER_SALE_HEADERS)
assert len(RAW_ORDER_HEADERS) == 75, len(RAW_ORDER_HEADERS)
