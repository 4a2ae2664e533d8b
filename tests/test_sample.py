"""The sample generator writes files that look like real 抖店 exports and carry the planted signals.

Everything here reads the raw files with plain pandas / python-calamine (not ``returns_kit.io``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from returns_kit.model import LEGACY_ORDER_RENAMES, RAW_AFTER_SALE_HEADERS, RAW_ORDER_HEADERS
from returns_kit.sample import CATALOG, PLANTED, generate, planted_for

MONTHS = ["2026-09", "2026-10"]
REASONS_3_7 = {
    "多拍 / 错拍 / 不想要", "未按约定时间发货", "快递一直未送达", "快递无跟踪记录", "收到商品少件 / 错件 / 空包裹",
    "不喜欢 / 效果不好", "做工粗糙 / 有瑕疵 / 破损或污渍", "功能故障", "效果与商品描述不符",
    "商品材质 / 品牌 / 外观等描述不符", "生产日期 / 保质期 / 规格等描述不符", "假冒品牌", "协商一致退款", "缺货", "其他",
    "大小／尺寸／重量与商品描述不符", "生产日期／保质期与商品描述不符", "品种／规格／成分等描述不符", "商品腐烂/变质",
    "少件／漏发", "包装／商品破损", "商家发错货", "与商家协商一致退款", "退运费", "品种／产品／规格／成分等描述不符",
    "商品腐烂／变质／死亡", "商品变质／过期", "规格等描述不符", "收到商品少件／错件／空包裹", "盗版",
    "做工粗糙 / 有瑕疵 / 有污渍", "产品破损 / 损坏", "商品材质 / 外观等描述不符", "使用后过敏",
}
AFTER_SALE_TYPES = {"退货退款", "已发货仅退款", "未发货仅退款", "换货", "补寄", "已发货退款", "未发货退款"}
FINAL_STATUSES = {"同意退款，退款成功", "售后关闭", "换货成功", "补寄成功", "拒绝售后申请"}
IN_PROGRESS = {"待商家处理", "待买家退货", "待商家收货", "换货待买家收货", "补寄待买家收货", "同意退款，退款中"}
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
MONEY_RE = re.compile(r"^\d+\.\d{2}$")


# --------------------------------------------------------------------------------------------
# fixtures: generate once (and a second time for the determinism test)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    paths = generate(root / "raw", MONTHS, seed=7, external_dir=root / "external")
    return root, paths


@pytest.fixture(scope="module")
def order_files(gen):
    _, paths = gen
    return sorted(p for p in paths if p.name.startswith("订单导出_"))


@pytest.fixture(scope="module")
def as_files(gen):
    _, paths = gen
    return sorted(p for p in paths if p.name.startswith("售后单导出-"))


def read_orders(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def read_xlsx(path: Path) -> list[list]:
    """The first sheet (Sheet1 of a 售后 export, 本店数据 of a 罗盘 download)."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def xlsx_frame(path: Path) -> pd.DataFrame:
    rows = read_xlsx(path)
    df = pd.DataFrame(rows[1:], columns=rows[0])
    df["_file"] = path.name
    return df


@pytest.fixture(scope="module")
def orders(order_files) -> pd.DataFrame:
    frames = []
    for p in order_files:
        df = read_orders(p).rename(columns={v: k for k, v in LEGACY_ORDER_RENAMES.items()})
        frames.append(df.drop(columns=[c for c in ("商品规格",) if c in df.columns]))
    df = pd.concat(frames, ignore_index=True)
    for c in df.columns:
        df[c] = df[c].str.strip()
    return df


@pytest.fixture(scope="module")
def after_sales(as_files) -> pd.DataFrame:
    """All after-sale rows, newest download wins, broken (Excel-mangled) rows removed."""
    df = pd.concat([xlsx_frame(p) for p in as_files], ignore_index=True)
    for c in RAW_AFTER_SALE_HEADERS:
        df[c] = df[c].str.strip()
    df = df[~df["售后单号"].str.contains("E+", regex=False)]
    return df.sort_values("_file").drop_duplicates("售后单号", keep="last")


@pytest.fixture(scope="module")
def paid(orders, after_sales) -> pd.DataFrame:
    p = orders[orders["支付完成时间"] != "-"].copy()
    p["pay"] = pd.to_datetime(p["支付完成时间"])
    ok = after_sales[after_sales["售后状态"].str.contains("退款成功")
                     & after_sales["售后类型"].str.contains("退")]
    p["refunded"] = p["子订单编号"].isin(set(ok["商品单号"]))
    damage = ok[ok["售后原因"].isin(PLANTED["carrier"]["damage_reasons"])]
    p["damaged"] = p["子订单编号"].isin(set(damage["商品单号"]))
    p["carrier"] = p["快递信息"].str.extract(r"^[^-]+-([^,]+),")[0]
    return p


# --------------------------------------------------------------------------------------------
# files and layouts
# --------------------------------------------------------------------------------------------


def test_files_written(gen, order_files, as_files):
    root, paths = gen
    assert all(p.exists() for p in paths)
    assert len(order_files) == 2
    assert all(re.fullmatch(r"订单导出_\d{8}_\d{6}\.csv", p.name) for p in order_files)
    # Sep, Oct early batch, Oct late batch, Nov (up to the export date)
    assert len(as_files) == 4
    assert all(re.fullmatch(r"售后单导出-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.xlsx", p.name) for p in as_files)
    assert len({p.name for p in paths}) == len(paths)
    assert "售后单导出-2026-11-08-09-12-03.xlsx" in {p.name for p in as_files}  # as_of = Oct 31 + 8 d
    assert {p.name for p in paths if p.parent == root / "external"} == {
        "interventions.csv", "catalog.csv", "抖音电商罗盘-退款分析-2026_10_02.xlsx",
        "抖音电商罗盘-退款分析-2026_11_07.xlsx", "蝉妈妈-商品退货率-2026-10.csv"}


def test_order_csv_headers_and_bom(order_files):
    legacy = [LEGACY_ORDER_RENAMES.get(h, h) for h in RAW_ORDER_HEADERS]
    legacy.insert(legacy.index("商品名称") + 1, "商品规格")
    first, last = order_files[0], order_files[-1]  # names sort by export time
    assert list(read_orders(first).columns) == legacy
    assert list(read_orders(last).columns) == list(RAW_ORDER_HEADERS)
    assert len(RAW_ORDER_HEADERS) == 75
    for p in order_files:
        assert p.read_bytes()[:3] == b"\xef\xbb\xbf"


def test_order_ids_and_values(order_files):
    back = {v: k for k, v in LEGACY_ORDER_RENAMES.items()}
    df = pd.concat([read_orders(p).rename(columns=back) for p in order_files], ignore_index=True)
    assert df["主订单编号"].str.fullmatch(r"\t[56]\d{18}").all()
    assert df["子订单编号"].str.fullmatch(r"\t[56]\d{18}").all()
    assert df["子订单编号"].is_unique
    assert df["商品ID"].str.fullmatch(r"\t3\d{18}").all()
    creator = df["达人ID"]
    assert creator.str.fullmatch(r"\t\d{19}").sum() > 100
    assert ((creator == "-") | creator.str.fullmatch(r"\t\d{19}")).all()
    assert (df["主订单编号"].value_counts() > 1).any()  # multi-SKU orders repeat 主订单编号
    # money
    payable = df["订单应付金额"]
    assert payable.str.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}").all()
    big = payable.str.replace(",", "").astype(float) >= 1000
    assert big.any() and payable[big].str.contains(",").all()
    assert df["商家优惠"].str.startswith("店铺券-").any()
    merchant = df["商家优惠"].str.rsplit("-", n=1).str[-1].astype(float)
    total = df["平台优惠"].astype(float) + merchant + df["达人优惠"].astype(float)
    assert (abs(total - df["优惠总金额"].astype(float)) < 0.005).all()
    qty = df["商品数量"].astype(int)
    line = df["商品金额"].astype(float) * qty + df["运费"].astype(float) - df["优惠总金额"].astype(float)
    assert (abs(line - payable.str.replace(",", "").astype(float)) < 0.005).all()
    assert (qty == 1).mean() > 0.8
    # times and statuses
    assert df["订单提交时间"].str.fullmatch(TIME_RE).all()
    paid = df[df["支付完成时间"] != "-"]
    assert paid["支付完成时间"].str.fullmatch(TIME_RE).all()
    assert (paid["支付完成时间"] >= paid["订单提交时间"]).all()
    shipped = paid[paid["发货时间"] != "-"]
    assert (shipped["发货时间"] > shipped["支付完成时间"]).all()
    assert set(df["订单状态"]) == {"已完成", "已发货", "待发货", "已关闭"}
    unpaid = df[df["支付完成时间"] == "-"]
    assert 0.01 < len(unpaid) / len(df) < 0.06
    assert (unpaid["订单状态"] == "已关闭").all()
    assert (df.loc[df["发货时间"] == "-", "快递信息"] == "-").all()
    assert shipped["快递信息"].str.fullmatch(
        r"[A-Z0-9]+-(顺丰速运|中通快递|圆通速递|韵达快递|申通快递|极兔速递|京东物流|邮政快递包裹),.+").all()
    assert (df["订单类型"] == "普通订单").all()
    assert df["收件人"].str.fullmatch(r".\*\*").all()
    assert df["收件人手机号"].str.fullmatch(r"1\d{2}\*{4}\d{4}").all()
    assert set(df["街道"]) == {"****"} and set(df["详细地址"]) == {"****"}
    assert {"广东省", "新疆维吾尔自治区", "上海市", "广西壮族自治区"} <= set(df["省"])
    assert {"直播", "短视频", "商品卡"} <= set(df["流量来源"])
    assert set(df["售后状态"]) - {"-"} <= FINAL_STATUSES | IN_PROGRESS


def test_after_sale_layout(as_files):
    for p in as_files:
        rows = read_xlsx(p)
        assert CalamineWorkbook.from_path(str(p)).sheet_names == ["Sheet1"]
        assert rows[0] == list(RAW_AFTER_SALE_HEADERS)
        assert len(rows) > 20
        assert all(isinstance(v, str) for row in rows for v in row)  # every cell is text


def test_after_sale_ids_and_edge_cases(as_files, orders):
    df = pd.concat([xlsx_frame(p) for p in as_files], ignore_index=True)
    ids = df["售后单号"]
    broken = ids == "6.98685E+18"
    short = ids.str.fullmatch(r"\t\d{18}")
    assert broken.sum() == 2
    assert short.sum() == 1
    assert ids[~broken & ~short].str.fullmatch(r"\t7\d{18}").all()
    ok = df[~broken]
    assert ok["订单号"].str.fullmatch(r"\t[56]\d{18}").all()
    assert ok["商品单号"].str.fullmatch(r"\t[56]\d{18}").all()
    assert ok["商品ID"].str.fullmatch(r"\t3\d{18}").all()
    assert ok["商家编码"].str.startswith("\t").all()
    assert df.loc[broken, "订单号"].str.fullmatch(r"\d\.\d+E\+18").all()
    # duplicates across the overlapping batches
    assert ok["售后单号"].duplicated().sum() > 50
    # '-' in money columns, trailing spaces in text cells
    assert (ok["退支付优惠（元）"] == "-").mean() > 0.5
    assert (ok["退运费金额（元）"] == "-").any()
    assert ok["商品名称"].str.endswith(" ").any() or ok["售后原因"].str.endswith(" ").any()
    # after-sales whose sub-order is not in any order export (paid the month before)
    uniq = ok.drop_duplicates("售后单号")
    missing = ~uniq["商品单号"].str.strip().isin(set(orders["子订单编号"]))
    assert missing.sum() == 3


def test_overlapping_batches_update_statuses(as_files):
    frames = {p.name: xlsx_frame(p) for p in as_files}
    early = frames["售后单导出-2026-11-01-10-31-26.xlsx"]
    late = frames["售后单导出-2026-11-08-09-08-53.xlsx"]
    both = early.merge(late, on="售后单号", suffixes=("_early", "_late"))
    assert len(both) > 50
    changed = both[both["售后状态_early"] != both["售后状态_late"]]
    assert len(changed) >= 3
    assert changed["售后状态_early"].isin(IN_PROGRESS).all()
    assert changed["售后状态_late"].isin(FINAL_STATUSES).all()
    assert early["售后状态"].isin({"待商家收货", "待买家退货"}).any()
    applied = pd.to_datetime(late["售后申请时间"])
    assert applied.min() >= pd.Timestamp("2026-10-15") and applied.max() < pd.Timestamp("2026-11-01")


def test_after_sale_values(after_sales, orders):
    a = after_sales
    assert set(a["售后类型"]) <= AFTER_SALE_TYPES
    assert {"退货退款", "已发货仅退款", "未发货仅退款", "换货", "补寄"} <= set(a["售后类型"])
    assert set(a["售后状态"]) <= FINAL_STATUSES | IN_PROGRESS
    status = a["售后状态"].value_counts(normalize=True)
    assert 0.62 < status["同意退款，退款成功"] < 0.8
    assert 0.08 < status["售后关闭"] < 0.22
    types = a["售后类型"].replace({"已发货退款": "已发货仅退款", "未发货退款": "未发货仅退款"})
    share = types.value_counts(normalize=True)
    assert 0.35 < share["退货退款"] < 0.55 and 0.15 < share["未发货仅退款"] < 0.35
    assert set(a["售后原因"]) <= REASONS_3_7
    assert set(a["退款方式"]) <= {"原路退款", "无需退款"}
    assert (a.loc[a["售后类型"].isin({"换货", "补寄"}), "退款方式"] == "无需退款").all()
    for col in ("应付金额（元）", "退商品金额（元）"):
        assert a[col].str.fullmatch(MONEY_RE).all()
    returns = a[(a["售后类型"] == "退货退款") & (a["售后状态"] == "同意退款，退款成功")]
    assert (returns["退货物流单号"] != "-").all() and (returns["退货物流公司"] != "-").all()
    # times ordered, '-' when unused
    cols = ["售后申请时间", "同意售后申请时间", "商家退款时间", "用户到账时间", "售后完结时间"]
    for _, row in a[cols].iterrows():
        seen = [v for v in row if v != "-"]
        assert all(TIME_RE.match(v) for v in seen)
        assert seen == sorted(seen)
    # applied after paying; before shipping for 未发货, after shipping otherwise
    o = orders.set_index("子订单编号")
    j = a[a["商品单号"].isin(o.index)].join(o[["支付完成时间", "发货时间", "订单状态"]], on="商品单号")
    assert (j["售后申请时间"] >= j["支付完成时间"]).all()
    unshipped = j[j["售后类型"].str.startswith("未发货")]
    assert ((unshipped["发货时间"] == "-") | (unshipped["售后申请时间"] < unshipped["发货时间"])).all()
    after = j[~j["售后类型"].str.startswith("未发货")]
    # an order exported (2 days after its month) before it shipped still shows 待发货
    not_yet = after["订单状态"] == "待发货"
    assert not_yet.sum() <= 5
    after = after[~not_yet]
    assert (after["发货时间"] != "-").all() and (after["售后申请时间"] > after["发货时间"]).all()
    notes = a["用户售后说明"]
    assert (notes == "-").mean() > 0.1 and notes.str.contains("太透|偏小|色差").any()


# --------------------------------------------------------------------------------------------
# planted signals
# --------------------------------------------------------------------------------------------


def test_planted_product(paid):
    pid = PLANTED["product"]["product_id"]
    dress = paid[paid["商品ID"] == pid]
    rest = paid[paid["商品ID"] != pid]
    assert (dress["选购商品"] == PLANTED["product"]["product_name"]).all()
    assert len(dress) > 400  # a few hundred a month
    assert dress["refunded"].mean() > 0.28
    assert dress["refunded"].mean() > 2 * rest["refunded"].mean()
    by_product = paid.groupby("商品ID")["refunded"].mean()
    assert by_product.idxmax() == pid


def test_shop_volume_and_rate(paid):
    months = paid["pay"].dt.strftime("%Y-%m")
    n = months.value_counts()
    assert all(3600 < n[m] < 4800 for m in MONTHS)
    rate = paid[months == "2026-09"]["refunded"].mean()
    assert 0.11 < rate < 0.17


def test_planted_region_carrier_creator(paid):
    prov = PLANTED["province"]["province"]
    months = paid["pay"].dt.strftime("%Y-%m")
    for m in MONTHS:
        cur = paid[months == m]
        xj = cur[cur["省"] == prov]
        assert len(xj) >= 150
        assert xj["refunded"].mean() > 1.3 * cur["refunded"].mean()
    shipped = paid[paid["carrier"].notna()]
    jt = shipped["carrier"] == PLANTED["carrier"]["carrier"]
    ratio = shipped.loc[jt, "damaged"].mean() / shipped.loc[~jt, "damaged"].mean()
    assert 3.0 < ratio < 7.0
    name = PLANTED["creator"]["creator_name"]
    cr = paid[paid["达人昵称"] == name]
    assert len(cr) > 100 and (cr["达人ID"] == PLANTED["creator"]["creator_id"]).all()
    assert cr["refunded"].mean() > 1.6 * paid[paid["达人昵称"] != name]["refunded"].mean()


def test_planted_spike_day(paid, after_sales):
    day = pd.Timestamp(PLANTED["spike"]["date"]).date()
    last = paid[paid["pay"].dt.strftime("%Y-%m") == MONTHS[-1]]
    daily = last.groupby(last["pay"].dt.date)["refunded"].agg(["mean", "size"])
    others = daily.drop(day)
    assert daily.loc[day, "size"] > 2.5 * others["size"].median()
    assert daily.loc[day, "mean"] > 0.4
    # at equal age (refunds finished within 21 days of paying, days at least 21 days old at the
    # export) the spike's cohort is far above every other day, however noisy those are
    ok = after_sales[after_sales["售后状态"].str.contains("退款成功") & after_sales["售后类型"].str.contains("退")]
    done = pd.to_datetime(ok["售后完结时间"]).groupby(ok["商品单号"]).min()
    as_of = pd.Timestamp(PLANTED["as_of"])
    age = pd.Timedelta(days=21)
    old = last[last["pay"].dt.normalize() + age <= as_of]
    finished = old["子订单编号"].map(done)
    by_21 = (finished.notna() & (finished <= old["pay"] + age)).groupby(old["pay"].dt.date).mean()
    rest = by_21.drop(day)
    assert by_21[day] > 1.3 * rest.max() and by_21[day] > 2.5 * rest.median()
    applied = pd.to_datetime(after_sales["售后申请时间"]).dt.date
    per_day = applied[applied.map(lambda d: d.strftime("%Y-%m")) == MONTHS[-1]].value_counts()
    assert per_day.idxmax() == day
    assert per_day[day] > 3 * per_day.drop(day).median()


def test_planted_intervention(paid):
    iv = PLANTED["intervention"]
    start = pd.Timestamp(iv["start_date"])
    mature = pd.Timestamp(PLANTED["as_of"]).normalize() - pd.Timedelta(days=30)  # the report's window

    def before_after(ids):
        s = paid[paid["商品ID"].isin(ids) & (paid["pay"] < mature)]
        b, a = s[s["pay"] < start]["refunded"], s[s["pay"] >= start]["refunded"]
        p = (b.sum() + a.sum()) / (len(b) + len(a))
        z = (b.mean() - a.mean()) / math.sqrt(p * (1 - p) * (1 / len(b) + 1 / len(a)))
        return b.mean(), a.mean(), z

    before, after, z = before_after(iv["product_ids"])
    assert abs(before - iv["before_rate"]) < 0.03 and abs(after - iv["after_rate"]) < 0.03
    assert z > 2.58  # p < 0.01
    c_before, c_after, _ = before_after(iv["control_product_ids"])
    assert abs(c_before - c_after) < 0.02


def test_external_files(gen, orders):
    root, _ = gen
    iv_path = root / "external" / "interventions.csv"
    assert iv_path.read_bytes()[:3] == b"\xef\xbb\xbf"
    iv = pd.read_csv(iv_path, dtype=str, encoding="utf-8-sig")
    assert list(iv.columns) == ["name", "product_ids", "start_date", "description", "control_product_ids"]
    row = iv.iloc[0]
    plan = PLANTED["intervention"]
    assert row["name"] == plan["name"] and row["start_date"] == plan["start_date"]
    assert row["product_ids"].split(";") == plan["product_ids"]
    assert row["control_product_ids"].split(";") == plan["control_product_ids"]
    cat = pd.read_csv(root / "external" / "catalog.csv", dtype=str, encoding="utf-8-sig")
    assert list(cat.columns) == ["product_id", "product_name", "category", "cost_price"]
    assert set(orders["商品ID"]) <= set(cat["product_id"])
    assert 30 <= len(cat) <= 40 and cat["category"].str.contains("/").all()
    assert cat["cost_price"].astype(float).gt(0).all()


def test_planted_dict():
    assert planted_for(MONTHS)["spike"] == PLANTED["spike"]
    assert planted_for(MONTHS)["intervention"] == PLANTED["intervention"]
    assert PLANTED["spike"]["date"] == "2026-10-17"
    assert PLANTED["intervention"]["start_date"] == "2026-09-15"
    ids = {p.product_id for p in CATALOG}
    assert PLANTED["product"]["product_id"] in ids
    assert set(PLANTED["intervention"]["control_product_ids"]) <= ids
    assert PLANTED["province"]["province"] == "新疆维吾尔自治区"
    assert PLANTED["carrier"]["carrier"] == "极兔速递"


def test_deterministic(gen, tmp_path):
    root, paths = gen
    again = generate(tmp_path / "raw", MONTHS, seed=7, external_dir=tmp_path / "external")
    assert [p.name for p in again] == [p.name for p in paths]
    for p, q in zip(paths, again):
        if p.suffix == ".csv":
            assert p.read_bytes() == q.read_bytes(), p.name
        else:
            assert read_xlsx(p) == read_xlsx(q), p.name


def test_other_seed_differs_and_bad_month(tmp_path):
    paths = generate(tmp_path / "raw", ["2026-10"], seed=8)
    assert len([p for p in paths if p.suffix == ".csv"]) == 1
    with pytest.raises(ValueError):
        generate(tmp_path / "bad", ["2026-13"])
    with pytest.raises(ValueError):
        generate(tmp_path / "bad", ["2026-10"], export_lag_days=1)


def test_export_lag_is_a_parameter(tmp_path):
    paths = generate(tmp_path / "raw", ["2026-10"], seed=8, export_lag_days=25)
    assert "售后单导出-2026-11-25-09-12-03.xlsx" in {p.name for p in paths}
    assert planted_for(["2026-10"], export_lag_days=25)["as_of"] == "2026-11-25 09:12:03"
    assert PLANTED["as_of"] == "2026-11-08 09:12:03" and PLANTED["export_lag_days"] == 8


# --------------------------------------------------------------------------------------------
# 罗盘 退款分析 download and the 蝉妈妈 product table (external_dir)
# --------------------------------------------------------------------------------------------

LUOPAN_STAGES = ["全部退款阶段", "发货前退款阶段", "未收货退款阶段", "已收货退款阶段", "已收货退货退款阶段"]
LUOPAN_MEASURES = ["退款人数", "退款订单数", "退款金额", "退款率"]


def test_planted_luopan_and_competitor():
    lp = planted_for(MONTHS)["luopan"]
    assert lp["files"] == ["抖音电商罗盘-退款分析-2026_10_02.xlsx", "抖音电商罗盘-退款分析-2026_11_07.xlsx"]
    assert lp["file"] == lp["files"][-1] and lp["downloaded"] == "2026-11-07"  # a day before the kit's
    assert lp["no_data_date"] == "2026-10-09" and lp["basis"] == "订单支付时间"
    assert PLANTED["luopan"]["no_data_date"] == "2026-10-09"
    comp = PLANTED["competitor"]
    assert comp["file"] == "蝉妈妈-商品退货率-2026-10.csv"
    assert (comp["product_name"], comp["category"], comp["price"], comp["return_rate"]) == (
        "复古碎花雪纺连衣裙", "女装/连衣裙", 149.0, 0.152)
    assert comp["own_product_name"] == PLANTED["product"]["product_name"] == "法式碎花连衣裙"
    assert comp["category"] == PLANTED["product"]["category"]
    assert comp["product_id"] not in {p.product_id for p in CATALOG}


@pytest.fixture(scope="module")
def luopan_sheet(gen):
    root, _ = gen
    wb = CalamineWorkbook.from_path(str(root / "external" / planted_for(MONTHS)["luopan"]["file"]))
    assert wb.sheet_names == ["本店数据"]
    rows = wb.get_sheet_by_name("本店数据").to_python()
    return rows[0], rows[1:]


def test_luopan_download_layout(luopan_sheet):
    head, rows = luopan_sheet
    assert head == ["日期", "退款口径", "售卖类型", "载体"] + [
        f"{s}-{m}" for s in LUOPAN_STAGES for m in LUOPAN_MEASURES]
    assert [r[0] for r in rows] == [f"2026/10/{d:02d}" for d in range(31, 0, -1)]  # newest first
    assert {r[1] for r in rows} == {"订单支付时间"} and {(r[2], r[3]) for r in rows} == {("全部", "全部")}
    empty = [r for r in rows if r[0] == "2026/10/09"]
    assert empty[0][4:] == ["暂无数据"] * 20
    for r in rows:
        if r[0] == "2026/10/09":
            continue
        for k in range(5):
            buyers, orders, amount, rate = r[4 + 4 * k: 8 + 4 * k]
            assert isinstance(orders, float) and orders.is_integer() and buyers <= orders
            assert re.fullmatch(r"¥\d{1,3}(,\d{3})*\.\d{2}", amount), amount
            assert re.fullmatch(r"\d+\.\d{2}%", rate), rate


def _cents(text: str) -> int:
    return round(float(text.lstrip("¥").replace(",", "")) * 100)


def test_luopan_figures_follow_the_sample(luopan_sheet, paid):
    """全部 = 发货前 + 未收货 + 已收货 (amounts); 退款率 = 退款金额 / that day's 成交金额; the
    counts are 主订单 (never more than the refunded sub-orders of the day, as of the kit's export,
    plus refunds finished later)."""
    _, rows = luopan_sheet
    paid = paid.assign(day=paid["pay"].dt.strftime("%Y/%m/%d"),
                       payable=paid["订单应付金额"].str.replace(",", "").astype(float))
    gmv = paid.groupby("day")["payable"].sum()
    main_refunded = paid[paid["refunded"]].groupby("day")["主订单编号"].nunique()
    more_orders = 0
    for r in rows:
        if r[0] == "2026/10/09":
            continue
        amounts = [_cents(r[6 + 4 * k]) for k in range(5)]
        assert amounts[0] == amounts[1] + amounts[2] + amounts[3]
        assert amounts[4] <= amounts[3]
        rate = float(r[7].rstrip("%")) / 100
        assert rate == pytest.approx(amounts[0] / 100 / gmv[r[0]], abs=0.00005)
        orders = int(r[5])
        assert orders >= r[9] and orders >= r[13] and orders >= r[17]
        more_orders += orders > main_refunded.get(r[0], 0)
    assert more_orders == 0  # the 罗盘 snapshot is older than the kit's export


def test_competitor_table(gen):
    root, _ = gen
    path = root / "external" / PLANTED["competitor"]["file"]
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert list(df.columns) == ["商品名称", "商品ID", "店铺名称", "类目", "价格", "近30天销量", "退货率", "统计周期"]
    assert 10 <= len(df) <= 20 and (df["统计周期"] == "2026-10-01~2026-10-31").all()
    assert df["价格"].str.fullmatch(r"¥\d+\.\d{2}").all() and df["退货率"].str.fullmatch(r"\d+\.\d%").all()
    comp = PLANTED["competitor"]
    rival = df[df["商品名称"] == comp["product_name"]].iloc[0]
    assert (rival["店铺名称"], rival["类目"], rival["价格"], rival["退货率"]) == (
        comp["shop"], "女装/连衣裙", "¥149.00", "15.2%")
    ours = df[df["店铺名称"] == comp["own_shop"]]
    assert set(ours["商品ID"]) == set(comp["own_products"]) and len(ours) == 5
    dress = ours[ours["商品ID"] == PLANTED["product"]["product_id"]].iloc[0]
    assert 0.30 <= float(dress["退货率"].rstrip("%")) / 100 <= 0.40
    assert set(df.loc[df["店铺名称"] != comp["own_shop"], "商品ID"]).isdisjoint({p.product_id for p in CATALOG})
