"""Rendering the simulated records as the files 抖店, 罗盘 and 蝉妈妈 hand out, and writing them.

Each ``*_row`` function renders one record as seen in an export taken at a given time; each
``write_*`` function takes a :class:`~returns_kit.sample.simulate.SimulatedSample` and a folder
and writes that kind of file (atomically, via :mod:`returns_kit.core.files`):

* :func:`write_order_exports` — ``订单导出_YYYYMMDD_HHMMSS.csv`` (UTF-8 with BOM, CRLF), one per
  month, the first in the legacy layout (``商品名称 / 商品规格 / 商品单价``);
* :func:`write_after_sale_exports` — ``售后单导出-YYYY-MM-DD-HH-MM-SS.xlsx`` batches, the last
  month's overlapping, the earlier batch with the two Excel-mangled rows;
* :func:`write_analyst_files` — ``interventions.csv`` and ``catalog.csv``;
* :func:`write_luopan_downloads` — ``抖音电商罗盘-退款分析-YYYY_MM_DD.xlsx``, one per month;
* :func:`write_competitor_table` — ``蝉妈妈-商品退货率-YYYY-MM.csv``.

The after-sale rows draw their 协商记录 from ``sample.text_rng``; the files must be written in the
order :func:`returns_kit.sample.generate` writes them for the bytes to depend on the seed only.
"""

from __future__ import annotations

import calendar
import csv
import io
import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from ..core.files import atomic_write, atomic_write_bytes
from ..model import LEGACY_ORDER_RENAMES, RAW_AFTER_SALE_HEADERS, RAW_ORDER_HEADERS
from .scenario import (
    CATALOG,
    COMPETITOR_IDS,
    COMPETITOR_ROWS,
    INTERVENTION_DESCRIPTION,
    LUOPAN_MEASURES,
    LUOPAN_STAGES,
    OWN_SHOP,
    OWN_TOOL_PRODUCTS,
    PRODUCT_BY_KEY,
    RETURN_CONTACTS,
    luopan_download_day,
    luopan_file_name,
    month_end,
    next_month,
)
from .simulate import AfterSale, SimulatedSample, SubOrder

__all__ = [
    "after_sale_row",
    "broken_after_sale_rows",
    "luopan_rows",
    "order_row",
    "write_after_sale_exports",
    "write_analyst_files",
    "write_competitor_table",
    "write_luopan_downloads",
    "write_order_exports",
]

# ------------------------------------------------------------------------------------------
# cell formats
# ------------------------------------------------------------------------------------------


def _fmt_t(t: datetime | None) -> str:
    return "-" if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


def _money(cents: int | None) -> str:
    return "-" if cents is None else f"{cents / 100:.2f}"


def _money_thousands(cents: int) -> str:
    return f"{cents / 100:,.2f}"


# ------------------------------------------------------------------------------------------
# order exports
# ------------------------------------------------------------------------------------------


def _order_status(s: SubOrder, t: datetime) -> tuple[str, str]:
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


def order_row(s: SubOrder, t: datetime) -> dict[str, str]:
    """One row of an order export taken at ``t`` (current layout): 表头 → cell text."""
    o = s.order
    p = s.product
    status, as_status = _order_status(s, t)
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
        "承诺发货时间": _fmt_t(o.promise) if o.pay else "-",
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


def write_order_exports(sample: SimulatedSample, out_dir: Path) -> list[Path]:
    """One ``订单导出_*.csv`` per month (orders by 订单提交时间), downloaded 2 days after the
    month ends, the last one shortly before the export date; the first month in the legacy
    layout."""
    paths = []
    rng = random.Random(f"returns_kit.sample:{sample.seed}:files")
    for i, (y, mo) in enumerate(sample.year_months):
        if i == len(sample.year_months) - 1:
            t = sample.as_of - timedelta(minutes=21, seconds=40)
        else:
            t = datetime.combine(month_end(y, mo) + timedelta(days=2), datetime.min.time()) + \
                timedelta(hours=rng.randint(9, 11), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        legacy = i == 0
        headers = list(RAW_ORDER_HEADERS)
        if legacy:
            headers = [LEGACY_ORDER_RENAMES.get(h, h) for h in headers]
            headers.insert(headers.index("商品名称") + 1, "商品规格")
        subs = [s for o in sample.orders if o.exported and o.export_month == (y, mo)
                and o.submit <= t for s in o.subs]
        subs.sort(key=lambda s: (s.order.submit, s.order.main_id, s.sub_id), reverse=True)
        rows = [headers]
        for s in subs:
            row = order_row(s, t)
            if legacy:
                for new, old in LEGACY_ORDER_RENAMES.items():
                    row[old] = row.pop(new)
                row["商品规格"] = s.product.specs[s.spec_idx]
            rows.append([row.get(h, "-") for h in headers])
        path = out_dir / f"订单导出_{t:%Y%m%d_%H%M%S}.csv"
        _write_csv(path, rows)
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------------------
# after-sale exports
# ------------------------------------------------------------------------------------------


def after_sale_row(a: AfterSale, t: datetime, text_rng: random.Random) -> list[str]:
    """One row of a 售后 export taken at ``t``, in :data:`~returns_kit.model.RAW_AFTER_SALE_HEADERS`
    order; draws from ``text_rng`` (whether the row shows a 协商记录)."""
    s = a.sub
    o = s.order
    p = s.product
    status, deadline = a.state(t)

    def vis(k: str) -> str:
        return _fmt_t(a.visible(k, t))
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
    if text_rng.random() < 0.25:
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
        "商家退货联系人姓名": RETURN_CONTACTS[s.sub_id % 2] if a.kind in ("return", "exchange") else "-",
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


def broken_after_sale_rows(sample: SimulatedSample, t: datetime) -> list[list[str]]:
    """The rows of ``sample.broken_after_sales`` as an Excel re-save leaves them: IDs in
    scientific notation, money as ``%g``, 商家编码 without its tab."""
    idx = {h: i for i, h in enumerate(RAW_AFTER_SALE_HEADERS)}

    def sci(v: str) -> str:
        m = f"{int(v.strip()):.5E}"  # 6.98685E+18, as Excel's General format shows it
        mant, exp = m.split("E")
        return f"{mant.rstrip('0').rstrip('.')}E{exp}"

    rows = []
    for a in sample.broken_after_sales:
        row = after_sale_row(a, t, sample.text_rng)
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


def write_after_sale_exports(sample: SimulatedSample, out_dir: Path) -> list[Path]:
    """The ``售后单导出-*.xlsx`` batches (by 售后申请时间): one per month, the month after the
    last up to the export date, and the last month as two overlapping batches downloaded on
    different days (the earlier one with the two broken rows)."""
    rng = random.Random(f"returns_kit.sample:{sample.seed}:files")
    ym = list(sample.year_months)
    tail = next_month(*ym[-1])
    # (apply window start, end (exclusive), download time)
    batches = []
    t = sample.as_of
    tail_start = datetime(tail[0], tail[1], 1)
    batches.append((tail_start, sample.as_of, t))
    last_start = datetime(ym[-1][0], ym[-1][1], 1)
    t = t - timedelta(minutes=3, seconds=rng.randint(5, 50))
    batches.append((last_start + timedelta(days=14), tail_start, t))  # later batch
    for (y, mo) in reversed(ym[:-1]):
        t = t - timedelta(minutes=3, seconds=rng.randint(5, 50))
        start = datetime(y, mo, 1)
        batches.append((start, datetime(*next_month(y, mo), 1), t))
    early_t = datetime.combine(month_end(*ym[-1]) + timedelta(days=1), datetime.min.time()) + \
        timedelta(hours=10, minutes=31, seconds=26)
    batches.append((last_start, last_start + timedelta(days=24), early_t))  # earlier batch
    batches.sort(key=lambda b: b[2])
    paths = []
    for start, end, dl in batches:
        rows_src = [a for a in sample.after_sales if start <= a.apply < end and a.apply <= dl]
        rows_src.sort(key=lambda a: (a.apply, a.aid), reverse=True)
        rows = [after_sale_row(a, dl, sample.text_rng) for a in rows_src]
        if dl == early_t:
            broken = broken_after_sale_rows(sample, dl)
            rows.insert(len(rows) // 3, broken[0])
            rows.insert(2 * len(rows) // 3, broken[1])
        path = out_dir / f"售后单导出-{dl:%Y-%m-%d-%H-%M-%S}.xlsx"
        _write_sheet(path, "Sheet1", list(RAW_AFTER_SALE_HEADERS), rows, dl)
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------------------
# the analyst's files, 罗盘 downloads, a 蝉妈妈 table
# ------------------------------------------------------------------------------------------


def write_analyst_files(sample: SimulatedSample, ext: Path) -> list[Path]:
    """The analyst's own ``interventions.csv`` (the planted intervention) and ``catalog.csv``
    (product IDs, names, categories, cost prices)."""
    iv = sample.plan["intervention"]
    p1 = ext / "interventions.csv"
    _write_csv(p1, [
        ["name", "product_ids", "start_date", "description", "control_product_ids"],
        [iv["name"], ";".join(iv["product_ids"]), iv["start_date"], INTERVENTION_DESCRIPTION,
         ";".join(iv["control_product_ids"])],
    ])
    p2 = ext / "catalog.csv"
    _write_csv(p2, [["product_id", "product_name", "category", "cost_price"]]
               + [[p.product_id, p.name, p.category, _money(p.cost_cents)] for p in CATALOG])
    return [p1, p2]


def luopan_rows(sample: SimulatedSample, y: int, mo: int, cutoff: datetime,
                no_data: date | None) -> list[list]:
    """One row per pay day of the month, 退款口径 订单支付时间, as 罗盘 would count it at
    ``cutoff``: successful refunds (用户到账 by then) attributed to the order's pay day,
    主订单 counts, 退款金额 = 退商品金额 + 退运费, 退款率 = 退款金额 / 成交金额."""
    n_days = calendar.monthrange(y, mo)[1]
    gmv = {d: 0 for d in range(1, n_days + 1)}
    acc = {(d, st): (set(), set(), [0]) for d in gmv for st in LUOPAN_STAGES}
    for o in sample.orders:
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
        for st in LUOPAN_STAGES:
            if day == no_data:
                row += ["暂无数据"] * len(LUOPAN_MEASURES)
                continue
            buyers, orders, cents = acc[(d, st)]
            rate = cents[0] / gmv[d] if gmv[d] else 0.0
            row += [len(buyers), len(orders), f"¥{cents[0] / 100:,.2f}", f"{rate * 100:.2f}%"]
        rows.append(row)
    return rows


def write_luopan_downloads(sample: SimulatedSample, ext: Path) -> list[Path]:
    """One 罗盘 退款分析 download per month (sheet and file names from ``sample.plan["luopan"]``)."""
    plan = sample.plan["luopan"]
    headers = ["日期", "退款口径", "售卖类型", "载体"] + [
        f"{st}-{m}" for st in LUOPAN_STAGES for m in LUOPAN_MEASURES]
    paths = []
    for i, (y, mo) in enumerate(sample.year_months):
        day = luopan_download_day(sample.months, i, sample.export_lag_days)
        cutoff = datetime.combine(day, datetime.min.time())  # data to the day before
        no_data = date.fromisoformat(plan["no_data_date"]) if i == len(sample.year_months) - 1 else None
        rows = luopan_rows(sample, y, mo, cutoff, no_data)
        path = ext / luopan_file_name(day)
        _write_sheet(path, plan["sheet"], headers, rows, cutoff + timedelta(hours=10))
        paths.append(path)
    return paths


def write_competitor_table(sample: SimulatedSample, ext: Path) -> list[Path]:
    """Own and competitor products with 退货率, as a 蝉妈妈 商品 export: our products' rates
    are the sample's own (last month's paid sub-orders with a successful refund)."""
    plan = sample.plan["competitor"]
    y, mo = sample.year_months[-1]
    period = f"{y}-{mo:02d}-01~{y}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}"
    paid: dict[str, int] = {}
    refunded: dict[str, int] = {}
    for o in sample.orders:
        if o.pay is None or (o.pay.year, o.pay.month) != (y, mo):
            continue
        for s in o.subs:
            k = s.product.key
            paid[k] = paid.get(k, 0) + s.qty
            if any(a.outcome == "refund" and not a.broken and a.final_time <= sample.as_of
                   for a in s.after_sales):
                refunded[k] = refunded.get(k, 0) + 1
    rows = []
    for (name, shop, cat, price, sales, rate), pid in zip(COMPETITOR_ROWS, COMPETITOR_IDS):
        rows.append([name, pid, shop, cat, f"¥{price:.2f}", str(sales), f"{rate * 100:.1f}%", period])
    for k in OWN_TOOL_PRODUCTS:
        p = PRODUCT_BY_KEY[k]
        subs = sum(1 for o in sample.orders if o.pay is not None and (o.pay.year, o.pay.month) == (y, mo)
                   for s in o.subs if s.product.key == k)
        rate = refunded.get(k, 0) / subs if subs else 0.0
        rows.append([p.name, p.product_id, OWN_SHOP, p.category, f"¥{p.price:.2f}",
                     str(paid.get(k, 0)), f"{rate * 100:.1f}%", period])
    rows.sort(key=lambda r: (r[3], r[0]))
    path = ext / plan["file"]
    _write_csv(path, [["商品名称", "商品ID", "店铺名称", "类目", "价格", "近30天销量", "退货率", "统计周期"]]
               + rows)
    return [path]


# ------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------


def _write_csv(path: Path, rows: Iterable[list]) -> Path:
    """A CSV as the 抖店 backend writes one: UTF-8 with BOM, CRLF line ends, minimal quoting."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))


def _write_sheet(path: Path, sheet: str, headers: list[str], rows: list[list], created: datetime) -> Path:
    """An XLSX with one sheet; ``str`` cells as text, numbers as numbers (as a 罗盘 download has
    them; a 售后 export has only text).  ``created`` is the file's creation date, so the bytes
    do not depend on the wall clock."""

    def write(tmp: Path) -> None:
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

    return atomic_write(path, write)
