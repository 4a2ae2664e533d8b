"""Tests of returns_kit.io: loading 抖店 exports into the canonical tables."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os

import numpy as np
import pandas as pd
import pytest

import returns_kit as rk
from export_files import AS_HEADERS, ORDER_HEADERS, as_row, order_row, write_csv, write_ods, write_xlsx
from returns_kit import io, model
from returns_kit.errors import ExportFormatError, InputError

SALT = "test-salt"

# --------------------------------------------------------------------------------------------
# helpers: tiny hand-made exports
# --------------------------------------------------------------------------------------------

def read(path):
    return io.read_export(path, salt=SALT)


def one_folder(tmp_path, *, as_rows=None, order_rows=None):
    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS, as_rows or [as_row()])
    write_csv(raw / "订单导出_20261101_080000.csv", ORDER_HEADERS, order_rows or [order_row()])
    return raw


# --------------------------------------------------------------------------------------------
# IDs and cell cleaning
# --------------------------------------------------------------------------------------------


def test_csv_tab_prefixed_19_digit_id_survives_and_wrappers_are_stripped(tmp_path):
    rows = [order_row("\t6986853269519810849", order='="4821845786203981633"'),
            order_row('"\t146701382803677771"', order=' 4821845786203981699 ')]
    kind, df, bad, n = read(write_csv(tmp_path / "orders.csv", ORDER_HEADERS, rows))
    assert kind == "orders" and n == 2 and bad.empty
    assert df["sub_order_id"].tolist() == ["6986853269519810849", "146701382803677771"]
    assert df["order_id"].tolist() == ["4821845786203981633", "4821845786203981699"]
    assert df["product_id"].tolist() == ["3473196049974326153"] * 2


def test_xlsx_after_sales_file(tmp_path):
    rows = [
        as_row(),
        as_row("\t146701382803677771", "待买家退货", type_="已发货退款", amount="-",
               apply=dt.datetime(2026, 10, 4, 9, 30, 5), sub_order="\t4821845786203981635"),
    ]
    path = write_xlsx(tmp_path / "售后单导出-2026-05-05-08-44-27.xlsx", AS_HEADERS, rows)
    kind, df, bad, n = read(path)
    assert kind == "after_sales" and n == 2 and bad.empty
    assert list(df.columns) == io.frame_columns("after_sales")
    first = df.iloc[0]
    assert first["after_sale_id"] == "6986853269519810849"
    assert first["order_id"] == "4821845786203981633"
    assert first["sub_order_id"] == "4821845786203981634"
    assert first["product_id"] == "3473196049974326153"
    assert first["refund_goods_amount"] == 59.9
    assert first["apply_time"] == pd.Timestamp("2026-10-03 10:00:00")
    assert first["reason"] == "不喜欢 / 效果不好"
    assert first["after_sale_type"] == "return_refund"
    assert first["status"] == "refund_success" and first["status_group"] == "finished"
    assert bool(first["is_refund_success"]) is True
    assert first["source_file"] == path.name and first["source_row"] == 2
    assert first["export_time"] == pd.Timestamp("2026-05-05 08:44:27")
    second = df.iloc[1]
    assert second["after_sale_id"] == "146701382803677771"
    assert np.isnan(second["refund_goods_amount"])
    assert second["apply_time"] == pd.Timestamp("2026-10-04 09:30:05")
    assert second["after_sale_type"] == "refund_shipped"
    assert second["status_group"] == "in_progress" and not second["is_refund_success"]
    assert second["source_row"] == 3
    # columns absent from the file are present and null
    assert df["refund_shipping_amount"].isna().all() and df["agree_time"].isna().all()


def test_xlsx_numeric_ids(tmp_path):
    rows = [
        as_row(123456789),                     # int-valued number below 2**53: accepted
        as_row(6986853269519810849),           # stored as a number: digits already lost
        as_row("6.98685E+18"),                 # Excel scientific notation as text
        as_row("69868A3269519810849"),         # not digits at all
    ]
    kind, df, bad, n = read(write_xlsx(tmp_path / "as.xlsx", AS_HEADERS, rows))
    assert n == 4
    assert df["after_sale_id"].tolist() == ["123456789"]
    assert bad["row"].tolist() == [3, 4, 5]
    assert (bad["column"] == "after_sale_id").all()
    assert "ID stored as a number, digits lost" in bad["reason"].iloc[0]
    assert "科学计数法" in bad["reason"].iloc[0]
    assert "ID stored as a number" in bad["reason"].iloc[1]
    assert bad["value"].iloc[1] == "6.98685E+18"
    assert "not all digits" in bad["reason"].iloc[2]


def test_tab_prefixed_id_in_csv_and_xlsx_identical(tmp_path):
    rows = [as_row()]
    _, from_csv, _, _ = read(write_csv(tmp_path / "a.csv", AS_HEADERS, rows))
    _, from_xlsx, _, _ = read(write_xlsx(tmp_path / "a.xlsx", AS_HEADERS, rows))
    assert from_csv["after_sale_id"].iloc[0] == from_xlsx["after_sale_id"].iloc[0] == "6986853269519810849"
    pd.testing.assert_frame_equal(from_csv.drop(columns=["source_file", "export_time"]),
                                  from_xlsx.drop(columns=["source_file", "export_time"]))


def test_null_tokens_in_money_and_time(tmp_path):
    rows = [as_row(amount="-", finish="-"), as_row("\t1", amount="--", finish=""),
            as_row("\t2", amount=" ", finish="2026-10-09 08:00:00")]
    _, df, bad, _ = read(write_csv(tmp_path / "a.csv", AS_HEADERS, rows))
    assert bad.empty
    assert df["refund_goods_amount"].isna().all()
    assert df["finish_time"].isna().tolist() == [True, True, False]
    assert df["reason"].notna().all()


def test_money_formats(tmp_path):
    rows = [order_row("\t1", payable="¥1,234.50", merchant_discount="店铺券-5.00", price="￥59.9元"),
            order_row("\t2", payable="1234.567", merchant_discount="-5.00", price="59"),
            order_row("\t3", payable="0", merchant_discount="-", price=" 1,000 ")]
    _, df, bad, _ = read(write_csv(tmp_path / "o.csv", ORDER_HEADERS, rows))
    assert bad.empty
    assert df["payable_amount"].tolist() == [1234.5, 1234.57, 0.0]
    assert df["merchant_discount"].iloc[0] == 5.0
    assert df["merchant_discount"].iloc[1] == -5.0
    assert np.isnan(df["merchant_discount"].iloc[2])
    assert df["unit_price"].tolist() == [59.9, 59.0, 1000.0]
    assert df["quantity"].tolist() == [1, 1, 1]


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------


def test_full_width_and_half_width_money_headers(tmp_path):
    half = [h.replace("（元）", "(元)") for h in AS_HEADERS]
    assert "退商品金额(元)" in half
    _, a, _, _ = read(write_csv(tmp_path / "full.csv", AS_HEADERS, [as_row()]))
    _, b, _, _ = read(write_csv(tmp_path / "half.csv", half, [as_row()]))
    assert a["refund_goods_amount"].iloc[0] == b["refund_goods_amount"].iloc[0] == 59.9


def test_legacy_alias_headers(tmp_path):
    as_legacy = ["申请原因" if h == "售后原因" else h for h in AS_HEADERS]
    _, df, _, _ = read(write_csv(tmp_path / "a.csv", as_legacy, [as_row(reason="多拍 / 错拍 / 不想要")]))
    assert df["reason"].iloc[0] == "多拍 / 错拍 / 不想要"

    legacy = [model.LEGACY_ORDER_RENAMES.get(h, h) for h in ORDER_HEADERS] + ["商品规格"]
    assert "商品名称" in legacy and "商品单价" in legacy
    kind, df, bad, _ = read(write_csv(tmp_path / "o.csv", legacy, [order_row(price="88.00") + ["M码"]]))
    assert kind == "orders" and bad.empty
    assert df["product_name"].iloc[0] == "法式碎花连衣裙 M"
    assert df["unit_price"].iloc[0] == 88.0
    assert df["sku_spec"].iloc[0] == "M码"


def test_unknown_headers_ignored_and_duplicate_headers_first_wins(tmp_path):
    headers = AS_HEADERS + ["奇怪的新列", "售后原因"]
    rows = [as_row(reason="质量问题") + ["whatever", "second copy"]]
    _, df, bad, _ = read(write_csv(tmp_path / "a.csv", headers, rows))
    assert bad.empty
    assert df["reason"].iloc[0] == "质量问题"
    assert "奇怪的新列" not in df.columns


# --------------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------------


def test_utf8_bom_utf8_and_gb18030_give_identical_frames(tmp_path):
    rows = [order_row("\t6986853269519810849"), order_row("\t2", status="已关闭", pay="-", name="李**")]
    frames = []
    for enc in ("utf-8-sig", "utf-8", "gb18030"):
        path = write_csv(tmp_path / enc / "订单导出_20261125_091203.csv", ORDER_HEADERS, rows, encoding=enc)
        kind, df, bad, n = read(path)
        assert kind == "orders" and n == 2 and bad.empty
        frames.append(df)
    assert (tmp_path / "utf-8-sig" / "订单导出_20261125_091203.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)
    assert frames[0]["product_name"].iloc[0] == "法式碎花连衣裙 M"
    assert frames[0]["province"].iloc[0] == "浙江省"


# --------------------------------------------------------------------------------------------
# quarantine
# --------------------------------------------------------------------------------------------


def test_broken_csv_row_is_quarantined_not_fatal(tmp_path):
    path = tmp_path / "orders.csv"
    lines = [",".join(ORDER_HEADERS)]
    lines.append(",".join(order_row("\t1", logistics="-")))
    lines.append(",".join(order_row("\t2", logistics="-") + ["extra", "fields"]))
    lines.append(",".join(order_row("\t3", logistics="-")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    kind, df, bad, n = read(path)
    assert n == 3
    assert df["sub_order_id"].tolist() == ["1", "3"]
    assert df["source_row"].tolist() == [2, 4]
    assert len(bad) == 1
    rec = bad.iloc[0]
    assert rec["file"] == "orders.csv" and rec["row"] == 3
    assert str(len(ORDER_HEADERS)) in rec["reason"] and str(len(ORDER_HEADERS) + 2) in rec["reason"]
    assert "expected 18 fields, got 20" in rec["reason"]


def test_unparseable_money_time_and_int_are_quarantined_with_column(tmp_path):
    rows = [as_row("\t1", amount="abc"), as_row("\t2", apply="yesterday"),
            as_row("\t3", apply="2026-02-30 10:00:00"), as_row("\t4"),
            as_row("\t5", apply="-"), as_row("-")]
    _, df, bad, n = read(write_csv(tmp_path / "a.csv", AS_HEADERS, rows))
    assert n == 6 and df["after_sale_id"].tolist() == ["4"]
    got = bad[["row", "column", "value"]].values.tolist()
    assert got == [[2, "refund_goods_amount", "abc"], [3, "apply_time", "yesterday"],
                   [4, "apply_time", "2026-02-30 10:00:00"], [6, "apply_time", ""],
                   [7, "after_sale_id", ""]]
    assert "unparseable money" in bad["reason"].iloc[0] and "退商品金额（元）" in bad["reason"].iloc[0]
    assert "unparseable date/time" in bad["reason"].iloc[1]
    assert "required time is empty" in bad["reason"].iloc[3]
    assert "required ID is empty" in bad["reason"].iloc[4]

    orows = [order_row("\t1", qty="two"), order_row("\t2", pay="-"), order_row("\t3", qty="2")]
    _, df, bad, _ = read(write_csv(tmp_path / "o.csv", ORDER_HEADERS, orows))
    assert bad[["row", "column"]].values.tolist() == [[2, "quantity"]]
    assert "not an integer" in bad["reason"].iloc[0]
    assert df["sub_order_id"].tolist() == ["2", "3"]  # a null pay_time keeps the row
    assert pd.isna(df["pay_time"].iloc[0])
    assert df["quantity"].tolist() == [1, 2]


def test_one_quarantine_line_per_row_first_problem_wins(tmp_path):
    rows = [as_row("6.98685E+18", amount="abc", apply="never")]
    _, df, bad, n = read(write_csv(tmp_path / "a.csv", AS_HEADERS, rows))
    assert df.empty and n == 1
    assert bad["column"].tolist() == ["after_sale_id"]


def test_time_formats(tmp_path):
    finishes = ["2026-10-05 08:00:00", "2026/10/05 08:00:00", "2026-10-05", "2026/10/5",
                dt.datetime(2026, 10, 5, 8, 0, 0), 46300.5]
    rows = [as_row(f"\t{i}", finish=f) for i, f in enumerate(finishes, start=1)]
    _, df, bad, _ = read(write_xlsx(tmp_path / "a.xlsx", AS_HEADERS, rows))
    assert bad.empty
    assert df["finish_time"].tolist() == [
        pd.Timestamp("2026-10-05 08:00:00"), pd.Timestamp("2026-10-05 08:00:00"),
        pd.Timestamp("2026-10-05"), pd.Timestamp("2026-10-05"),
        pd.Timestamp("2026-10-05 08:00:00"), pd.Timestamp("2026-10-05 12:00:00"),  # serial day
    ]
    assert df["finish_time"].dt.tz is None


# --------------------------------------------------------------------------------------------
# kind detection and bad files
# --------------------------------------------------------------------------------------------


def test_wrong_file_is_rejected_naming_file_and_missing_columns(tmp_path):
    path = write_csv(tmp_path / "员工名单.csv", ["姓名", "年龄"], [["张三", "30"]])
    with pytest.raises(ExportFormatError) as err:
        read(path)
    msg = str(err.value)
    assert "员工名单.csv" in msg and "UTF-8 text (CSV) file" in msg  # what it was recognised as
    assert "not a 抖店 售后单 or 订单 export" in msg and "姓名、年龄" in msg  # its header, not a kind's list
    assert err.value.missing

    # an order file missing one required column names exactly that column
    headers = [h for h in ORDER_HEADERS if h != "商品数量"]
    rows = [[v for h, v in zip(ORDER_HEADERS, order_row()) if h != "商品数量"]]
    with pytest.raises(ExportFormatError) as err:
        read(write_csv(tmp_path / "orders.csv", headers, rows))
    assert err.value.missing == ["商品数量"] and "orders.csv" in str(err.value)
    assert "订单" in str(err.value)


def test_corrupt_files_raise_input_error(tmp_path):
    bad = tmp_path / "售后单.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(InputError, match="售后单.xlsx"):
        read(bad)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.csv"):
        read(empty)


def test_kind_detected_from_headers_not_name(tmp_path):
    kind, _, _, _ = read(write_csv(tmp_path / "订单导出.csv", AS_HEADERS, [as_row()]))
    assert kind == "after_sales"


# --------------------------------------------------------------------------------------------
# derived columns
# --------------------------------------------------------------------------------------------


def test_status_and_type_mapping_unknown_kept(tmp_path):
    rows = [as_row("\t1", "同意退款，退款成功", type_="未发货退款"),
            as_row("\t2", "火星状态", type_="奇怪类型"),
            as_row("\t3", "售后关闭", type_="换货"),
            as_row("\t4", "换货成功", type_="换货"),
            as_row("\t5", "-", type_="-")]
    _, df, bad, _ = read(write_csv(tmp_path / "a.csv", AS_HEADERS, rows))
    assert bad.empty and len(df) == 5
    assert df["status"].tolist() == ["refund_success", "unknown", "closed", "exchange_done", "unknown"]
    assert df["status_group"].tolist() == ["finished", "unknown", "closed", "finished", "unknown"]
    assert df["after_sale_type"].tolist() == ["refund_unshipped", "unknown", "exchange", "exchange",
                                              "unknown"]
    assert df["is_refund_success"].tolist() == [True, False, False, False, False]
    assert df["is_refund_success"].dtype == bool


def test_order_status_carrier_and_tracking(tmp_path):
    rows = [order_row("\t1", logistics="SF0220481613112-顺丰速运,法式碎花连衣裙 M"),
            order_row("\t2", logistics="-", status="待发货"),
            order_row("\t3", logistics="YT7788-圆通速递", status="已关闭")]
    _, df, _, _ = read(write_csv(tmp_path / "o.csv", ORDER_HEADERS, rows))
    assert df["tracking_no"].iloc[0] == "SF0220481613112"
    assert df["carrier"].iloc[0] == "顺丰速运"
    assert pd.isna(df["tracking_no"].iloc[1]) and pd.isna(df["carrier"].iloc[1])
    assert df["carrier"].iloc[2] == "圆通速递" and df["tracking_no"].iloc[2] == "YT7788"
    assert df["order_status"].tolist() == ["completed", "awaiting_shipment", "closed"]


def test_buyer_key_stable_and_personal_columns_absent(tmp_path):
    rows = [order_row("\t1"), order_row("\t2"), order_row("\t3", name="李**"),
            order_row("\t4", name="-", phone="-")]
    _, df, _, _ = read(write_csv(tmp_path / "o.csv", ORDER_HEADERS, rows))
    keys = df["buyer_key"].tolist()
    assert keys[0] == keys[1] and keys[0] != keys[2] and pd.isna(keys[3])
    assert len(keys[0]) == 16 and all(c in "0123456789abcdef" for c in keys[0])
    import hashlib  # the definition: the first 16 hex of sha256(salt|收件人|收件人手机号|省|市|区)
    assert keys[0] == hashlib.sha256(f"{SALT}|王**|138****1234|浙江省|杭州市|西湖区".encode()).hexdigest()[:16]
    assert keys[2] == hashlib.sha256(f"{SALT}|李**|138****1234|浙江省|杭州市|西湖区".encode()).hexdigest()[:16]
    _, again, _, _ = read(write_csv(tmp_path / "o2.csv", ORDER_HEADERS, rows[:1]))
    assert again["buyer_key"].iloc[0] == keys[0]
    _, other_salt, _, _ = io.read_export(tmp_path / "o2.csv", salt="another")
    assert other_salt["buyer_key"].iloc[0] != keys[0]

    personal = set(model.ORDER_PERSONAL_HEADERS) | set(model.AFTER_SALE_DROPPED_HEADERS)
    assert not personal & set(df.columns)
    values = set(df.astype(str).to_numpy().ravel())
    assert not {"王**", "138****1234", "文一西路**号", "文新街道"} & values

    # no receiver columns at all → buyer_key null
    headers = [h for h in ORDER_HEADERS if h not in ("收件人", "收件人手机号")]
    rows = [[v for h, v in zip(ORDER_HEADERS, order_row()) if h not in ("收件人", "收件人手机号")]]
    _, df, _, _ = read(write_csv(tmp_path / "o3.csv", headers, rows))
    assert df["buyer_key"].isna().all()


def test_dtypes(tmp_path):
    _, a, _, _ = read(write_csv(tmp_path / "a.csv", AS_HEADERS, [as_row()]))
    _, o, _, _ = read(write_csv(tmp_path / "o.csv", ORDER_HEADERS, [order_row()]))
    for df, cols in ((a, model.AFTER_SALE_COLUMNS), (o, model.ORDER_COLUMNS)):
        for c in cols:
            dtype = df[c.name].dtype
            if c.kind in (model.ID, model.TEXT):
                assert isinstance(dtype, pd.StringDtype), (c.name, dtype)
            elif c.kind == model.MONEY:
                assert dtype == "float64", c.name
            elif c.kind == model.INT:
                assert dtype == "Int64", c.name
            else:
                assert str(dtype) in ("datetime64[ns]", "datetime64[us]"), c.name
        assert df["source_row"].dtype == "int64"
        assert isinstance(df["source_file"].dtype, pd.StringDtype)
    assert list(o.columns) == io.frame_columns("orders")


def test_export_time_from_name():
    f = io.export_time_from_name
    assert f("售后单导出-2026-05-05-08-44-27.xlsx") == dt.datetime(2026, 5, 5, 8, 44, 27)
    assert f("售后单-2026-05-18 00_34_04.xlsx") == dt.datetime(2026, 5, 18, 0, 34, 4)
    assert f("订单导出_20261125_091203.csv") == dt.datetime(2026, 11, 25, 9, 12, 3)
    assert f("orders_20261125091203_part1.csv") == dt.datetime(2026, 11, 25, 9, 12, 3)
    assert f("订单.csv") is None


def test_export_time_falls_back_to_mtime(tmp_path):
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADERS, [order_row()])
    stamp = dt.datetime(2026, 3, 4, 5, 6, 7).timestamp()
    os.utime(path, (stamp, stamp))
    _, df, _, _ = read(path)
    assert df["export_time"].iloc[0] == pd.Timestamp("2026-03-04 05:06:07")


# --------------------------------------------------------------------------------------------
# folder: duplicates, accounting, cache
# --------------------------------------------------------------------------------------------


def test_overlapping_batches_newest_export_wins(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS,
               [as_row("\t100", "待商家处理"), as_row("\t101", "待买家退货")])
    write_xlsx(raw / "售后单导出-2026-11-05-08-00-00.xlsx", AS_HEADERS,
               [as_row("\t101", "同意退款，退款成功"), as_row("\t102", "售后关闭"),
                as_row("\t102", "售后关闭")])  # an exact duplicate inside the file
    write_csv(raw / "订单导出_20261101_080000.csv", ORDER_HEADERS, [order_row("\t1"), order_row("\t2")])
    write_csv(raw / "订单导出_20261102_080000.csv", ORDER_HEADERS,
              [order_row("\t2", status="已关闭"), order_row("\t3")])
    (raw / "README.md").write_text("notes")
    (raw / ".gitkeep").write_text("")
    data = io.ingest(raw, tmp_path / "processed", salt=SALT)

    a = data.after_sales.set_index("after_sale_id")
    assert sorted(a.index) == ["100", "101", "102"]
    assert a.loc["101", "status"] == "refund_success"
    assert a.loc["101", "source_file"] == "售后单导出-2026-11-05-08-00-00.xlsx"
    assert a.loc["102", "source_row"] == 4  # the later row of the exact duplicate
    o = data.orders.set_index("sub_order_id")
    assert o.loc["2", "order_status"] == "closed"

    acc = data.accounting.set_index("file")
    assert acc.loc["售后单导出-2026-11-01-08-00-00.xlsx", ["rows_read", "rows_kept", "duplicates", "rejected"]].tolist() == [2, 1, 1, 0]
    assert acc.loc["售后单导出-2026-11-05-08-00-00.xlsx", ["rows_read", "rows_kept", "duplicates", "rejected"]].tolist() == [3, 2, 1, 0]
    assert acc.loc["订单导出_20261101_080000.csv", "duplicates"] == 1
    assert acc.loc["订单导出_20261101_080000.csv", "kind"] == "orders"
    assert (acc["rows_read"] == acc["rows_kept"] + acc["duplicates"] + acc["rejected"]).all()
    assert data.data_quality() == {"rows_read": 9, "rows_kept": 6, "duplicates": 3, "rejected": 0}
    assert all(type(v) is int for v in data.data_quality().values())
    assert data.skipped == [".gitkeep", "README.md"]
    text = data.summary()
    assert "售后单 2" in text and "订单 2" in text and "quarantine" in text and "README.md" in text


def test_newest_wins_by_export_time_not_file_name(tmp_path):
    raw = tmp_path / "raw"
    # file name order and export time order disagree: export time decides
    write_csv(raw / "b-售后单-2026-05-01 00_00_00.csv", AS_HEADERS, [as_row("\t7", "待商家处理")])
    write_csv(raw / "a-售后单-2026-05-18 00_34_04.csv", AS_HEADERS, [as_row("\t7", "售后关闭")])
    write_csv(raw / "o.csv", ORDER_HEADERS, [order_row()])
    data = io.ingest(raw, tmp_path / "p", salt=SALT)
    assert data.after_sales["status_raw"].tolist() == ["售后关闭"]


def test_ingest_accounts_for_rejected_rows_and_writes_quarantine(tmp_path):
    raw = one_folder(tmp_path, as_rows=[as_row("\t1"), as_row("\t2", amount="n/a"),
                                        as_row(6986853269519810849)])
    processed = tmp_path / "processed"
    data = io.ingest(raw, processed, salt=SALT)
    assert data.data_quality() == {"rows_read": 4, "rows_kept": 2, "duplicates": 0, "rejected": 2}
    q = pd.read_csv(processed / "quarantine.csv", encoding="utf-8-sig", dtype=str)
    assert list(q.columns) == ["file", "row", "column", "reason", "value"]
    assert q["row"].tolist() == ["3", "4"]
    assert q["column"].tolist() == ["refund_goods_amount", "after_sale_id"]
    assert (processed / "quarantine.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert str(data.quarantine_path) in data.summary()


def test_empty_quarantine_is_header_only(tmp_path):
    processed = tmp_path / "processed"
    io.ingest(one_folder(tmp_path), processed, salt=SALT)
    text = (processed / "quarantine.csv").read_text(encoding="utf-8-sig")
    assert text.strip() == "file,row,column,reason,value"


def test_folder_without_orders_or_after_sales_or_anything(tmp_path):
    only_orders = tmp_path / "only_orders"
    write_csv(only_orders / "订单.csv", ORDER_HEADERS, [order_row()])
    with pytest.raises(InputError, match="no 订单 export|no 售后单 export") as err:
        io.ingest(only_orders, tmp_path / "p1", salt=SALT)
    assert "no 售后单 export found in" in str(err.value)

    only_as = tmp_path / "only_as"
    write_csv(only_as / "售后.csv", AS_HEADERS, [as_row()])
    with pytest.raises(InputError) as err:
        io.ingest(only_as, tmp_path / "p2", salt=SALT)
    assert "no 订单 export found in" in str(err.value) and "denominators" in str(err.value)

    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "README.md").write_text("x")
    with pytest.raises(InputError, match="no 抖店 exports"):
        io.ingest(nothing, tmp_path / "p3", salt=SALT)

    with pytest.raises(InputError, match="not found"):
        io.ingest(tmp_path / "missing", tmp_path / "p4", salt=SALT)


def test_a_non_export_in_the_folder_fails_naming_it(tmp_path):
    raw = one_folder(tmp_path)
    write_csv(raw / "people.csv", ["姓名", "年龄"], [["张三", "30"]])
    with pytest.raises(ExportFormatError, match="people.csv"):
        io.ingest(raw, tmp_path / "p", salt=SALT)


def test_cache_reused_then_rebuilt_when_raw_changes(tmp_path, monkeypatch):
    raw = one_folder(tmp_path)
    processed = tmp_path / "processed"
    first = io.ingest(raw, processed, salt=SALT)
    assert not first.from_cache
    for name in ("after_sales.parquet", "orders.parquet", "accounting.parquet", "quarantine.csv",
                 "manifest.json"):
        assert (processed / name).is_file()
    assert not [p for p in processed.iterdir() if p.name.endswith(".tmp")]
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    assert SALT not in json.dumps(manifest)
    assert manifest["salt_fingerprint"] and manifest["kit_version"] == rk.__version__
    assert {f["name"] for f in manifest["files"]} == {p.name for p in raw.iterdir()}
    assert all({"name", "size", "mtime_ns"} <= set(f) for f in manifest["files"])

    def boom(*a, **k):
        raise AssertionError("read_export must not be called when the cache is fresh")

    monkeypatch.setattr(io.dataset, "read_export", boom)
    second = io.ingest(raw, processed, salt=SALT)
    assert second.from_cache
    pd.testing.assert_frame_equal(first.after_sales, second.after_sales)
    pd.testing.assert_frame_equal(first.orders, second.orders)
    pd.testing.assert_frame_equal(first.accounting, second.accounting)
    pd.testing.assert_frame_equal(first.quarantine, second.quarantine)
    assert second.data_quality() == first.data_quality()

    # a touched raw file, force=True or another salt → rebuild
    for kwargs in ({"force": True}, {"salt": "other"}):
        with pytest.raises(AssertionError, match="must not be called"):
            io.ingest(raw, processed, **{"salt": SALT, **kwargs})
    path = next(raw.glob("*.csv"))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    with pytest.raises(AssertionError, match="must not be called"):
        io.ingest(raw, processed, salt=SALT)
    monkeypatch.undo()
    third = io.ingest(raw, processed, salt=SALT)
    assert not third.from_cache
    assert io.ingest(raw, processed, salt=SALT).from_cache


def test_cache_with_quarantine_round_trips(tmp_path):
    raw = one_folder(tmp_path, as_rows=[as_row("\t1"), as_row("\t2", apply="-")])
    processed = tmp_path / "processed"
    first = io.ingest(raw, processed, salt=SALT)
    second = io.ingest(raw, processed, salt=SALT)
    assert second.from_cache and len(second.quarantine) == 1
    pd.testing.assert_frame_equal(first.quarantine, second.quarantine)
    assert second.quarantine["value"].iloc[0] == ""


def test_personal_data_not_in_cache(tmp_path):
    raw = one_folder(tmp_path)
    processed = tmp_path / "processed"
    data = io.ingest(raw, processed, salt=SALT)
    personal = set(model.ORDER_PERSONAL_HEADERS) | set(model.AFTER_SALE_DROPPED_HEADERS)
    for df in (data.after_sales, data.orders):
        assert not personal & set(df.columns)
    for name in ("after_sales.parquet", "orders.parquet"):
        blob = (processed / name).read_bytes()
        for secret in ("138****1234", "文一西路**号", "文新街道", "张**", "客服小王", "王**"):
            assert secret.encode("utf-8") not in blob, (name, secret)
        cached = pd.read_parquet(processed / name)
        assert not personal & set(cached.columns)
    assert data.orders["buyer_key"].notna().all()


def test_rk_load(tmp_path, monkeypatch):
    monkeypatch.setenv("RETURNS_KIT_SALT", SALT)
    raw = one_folder(tmp_path / "data")
    data = rk.load(raw)
    assert isinstance(data, rk.Dataset)
    assert (tmp_path / "data" / "processed" / "manifest.json").is_file()
    assert len(data.after_sales) == 1 and len(data.orders) == 1
    assert data.orders["buyer_key"].iloc[0] == io.read_export(next(raw.glob("*.csv")), salt=SALT)[1]["buyer_key"].iloc[0]
    assert "Dataset" in repr(data)
    assert rk.load(raw).from_cache


def test_blank_rows_are_not_data(tmp_path):
    path = tmp_path / "o.csv"
    lines = [",".join(ORDER_HEADERS), ",".join(order_row("\t1", logistics="-")),
             "," * (len(ORDER_HEADERS) - 1), "", ",".join(order_row("\t2", logistics="-")),
             "," * (len(ORDER_HEADERS) - 1)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    _, df, bad, n = read(path)
    assert n == 2 and bad.empty
    assert df["sub_order_id"].tolist() == ["1", "2"]
    assert df["source_row"].tolist() == [2, 5]  # ",,,," is row 3, the blank line row 4: as Excel numbers them

    rows = [as_row("\t1"), [None] * len(AS_HEADERS), as_row("\t2")]
    _, df, bad, n = read(write_xlsx(tmp_path / "a.xlsx", AS_HEADERS, rows))
    assert n == 2 and df["source_row"].tolist() == [2, 4]


def test_rows_of_another_encoding_in_a_utf8_csv_are_quarantined_by_line(tmp_path):
    """A UTF-8 file with bytes that are not UTF-8 past the first MiB (a damaged byte, rows of
    GBK pasted in): those rows are quarantined with their line and column, the others read;
    nothing is decoded by a guess, and the file is not refused as a whole."""
    from returns_kit.io.readers import R_ENCODING

    path = tmp_path / "o.csv"
    good = write_csv(tmp_path / "tmp.csv", ORDER_HEADERS, [order_row(f"\t{i}") for i in range(20000)])
    row = order_row("\t9", logistics="-")
    row[2] = "PLACEHOLDER"
    damaged = ",".join(row).encode("utf-8").replace(b"PLACEHOLDER", b"\xff\xfe") + b"\n"
    gbk = ",".join(order_row("\t10", logistics="-")).replace("法式碎花连衣裙 M", "羊毛大衣").encode("gbk") + b"\n"
    path.write_bytes(good.read_bytes() + damaged + gbk)
    assert path.stat().st_size > 1 << 20
    _, df, bad, n = read(path)
    assert n == 20002 and len(df) == 20000
    assert bad["row"].tolist() == [20002, 20003]
    assert bad["column"].tolist() == ["product_name", "product_name"]
    assert all(R_ENCODING in r for r in bad["reason"])
    assert "羊毛大衣" not in "".join(df["product_name"].astype(str))


def test_damaged_cache_is_rebuilt(tmp_path):
    raw = one_folder(tmp_path)
    processed = tmp_path / "processed"
    io.ingest(raw, processed, salt=SALT)
    (processed / "orders.parquet").write_bytes(b"garbage")
    data = io.ingest(raw, processed, salt=SALT)
    assert not data.from_cache and len(data.orders) == 1
    assert io.ingest(raw, processed, salt=SALT).from_cache


def test_quarantine_csv_is_safe_to_open_and_the_cache_keeps_exact_values(tmp_path):
    formula = '=HYPERLINK("http://evil.example","点我")'
    raw = one_folder(tmp_path, as_rows=[as_row("\t1"), as_row("\t2", amount=formula), as_row("\t3", amount="+cmd|' /C calc'!A0"),
                                        as_row("\t4", amount="@SUM(1+1)")])
    processed = tmp_path / "processed"
    data = io.ingest(raw, processed, salt=SALT)
    assert set(data.quarantine["value"]) == {formula, "+cmd|' /C calc'!A0", "@SUM(1+1)"}
    q = pd.read_csv(processed / "quarantine.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(q["value"]) == sorted(["'" + formula, "'+cmd|' /C calc'!A0", "'@SUM(1+1)"])
    again = io.ingest(raw, processed, salt=SALT)
    assert again.from_cache and list(again.quarantine["value"]) == list(data.quarantine["value"])


def test_a_yaml_error_names_the_file_and_line_and_exits_2(tmp_path, capsys):
    from returns_kit import cli
    from returns_kit.config import load_yaml
    from returns_kit.errors import ParameterError

    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "base" / "report.yml").write_text("min_orders: 30\nprice_bands: [0, 50\nmaturity_days: 30\n",
                                              encoding="utf-8")
    with pytest.raises(ParameterError, match=r"report\.yml: line \d+, column \d+: YAML syntax error"):
        load_yaml("report.yml", conf)
    (conf / "base" / "tags.yml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"tags\.yml: expected key: value settings"):
        load_yaml("tags.yml", conf)
    (conf / "base" / "alerts.yml").write_bytes("detection: 阈值\n".encode("gb18030"))
    with pytest.raises(ParameterError, match=r"alerts\.yml: not UTF-8"):
        load_yaml("alerts.yml", conf)
    (conf / "base" / "tags.yml").unlink()
    (conf / "base" / "alerts.yml").unlink()
    raw = one_folder(tmp_path)
    code = cli.main(["report", "--month", "2026-10", "--raw", str(raw), "--processed", str(tmp_path / "p"),
                     "--out", str(tmp_path / "reports"), "--conf", str(conf), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "report.yml: line" in err and "Traceback" not in err


@pytest.mark.parametrize("text, masked", [
    ("着急，电话13512345678", "着急，电话[手机号]"),
    ("联系我 139-8765-4321 谢谢", "联系我 [手机号] 谢谢"),
    ("+86 135 1234 5678 打我", "[手机号] 打我"),
    ("座机0571-88886666", "座机[电话]"),
    ("身份证号110101199003074514", "身份证号[身份证号]"),
    ("发票发到 buyer.li@qq.com 就行", "发票发到 [邮箱] 就行"),
    ("送到文一西路969号3幢2单元501室", "[地址]"),
    # not personal data: IDs the platform prints, sizes, amounts, dates, counts
    ("订单号6986853269519810849 退款", "订单号6986853269519810849 退款"),
    ("商品ID 3473196049974326153", "商品ID 3473196049974326153"),
    ("165/88A 偏小，买了2件，¥159.00，2026-10-17 收到", "165/88A 偏小，买了2件，¥159.00，2026-10-17 收到"),
])
def test_personal_data_in_free_text_is_masked(text, masked):
    from returns_kit.io.cells import mask_personal

    assert mask_personal(text) == masked


def test_the_loader_masks_notes_before_anything_sees_them(tmp_path):
    raw = one_folder(tmp_path)
    rows = [as_row("\t1"), as_row("\t2")]
    headers = AS_HEADERS + ["用户售后说明"]
    write_csv(raw / "售后单导出-2026-11-01-10-31-26.csv", headers,
              [rows[0] + ["着急，电话13512345678"], rows[1] + ["尺码偏小"]])
    processed = tmp_path / "processed"
    data = io.ingest(raw, processed, salt=SALT)
    notes = set(data.after_sales["buyer_note"].dropna())
    assert "着急，电话[手机号]" in notes and "尺码偏小" in notes
    assert b"13512345678" not in (processed / "after_sales.parquet").read_bytes()


def test_wrong_values_are_quarantined_not_kept(tmp_path):
    """A negative refund, European money, an impossible clock time: each names its row, column
    and reason in the quarantine instead of becoming a plausible wrong figure."""
    from returns_kit.io.cells import R_NEGATIVE

    raw = one_folder(tmp_path, as_rows=[as_row("\t1"), as_row("\t2", amount="-59.90"),
                                        as_row("\t3", amount="1.234,50"), as_row("\t4", amount="12,34"),
                                        as_row("\t5", apply="2026-10-03 25:61:00")])
    data = io.ingest(raw, tmp_path / "processed", salt=SALT)
    q = data.quarantine.set_index("value")
    assert q.loc["-59.90", "reason"].endswith(R_NEGATIVE) and q.loc["-59.90", "column"] == "refund_goods_amount"
    assert "金额无法解析" in q.loc["1.234,50", "reason"] and "金额无法解析" in q.loc["12,34", "reason"]
    assert q.loc["2026-10-03 25:61:00", "column"] == "apply_time"
    assert list(data.after_sales["after_sale_id"]) == ["1"]
    assert data.data_quality()["rejected"] == 4


def test_workbooks_are_read_by_content_not_by_name(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xls", AS_HEADERS, [as_row("\t1")])  # an XLSX named .xls
    write_ods(raw / "售后单导出-2026-11-02-08-00-00.ods", AS_HEADERS, [as_row("\t2")])  # saved from WPS
    write_csv(raw / "订单导出_20261101_080000.csv", ORDER_HEADERS, [order_row()])
    (raw / "说明.txt").write_text("导出说明", encoding="utf-8")
    data = io.ingest(raw, tmp_path / "processed", salt=SALT)
    assert sorted(data.after_sales["after_sale_id"]) == ["1", "2"]
    assert data.skipped == ["说明.txt"] and "说明.txt" in data.summary()


def test_quarantine_rows_are_the_rows_excel_shows_after_blank_lines(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS, [as_row()])
    path = raw / "订单导出_20261101_080000.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ORDER_HEADERS)
        w.writerow(order_row("\t11"))
        fh.write("\r\n\r\n")                      # rows 3 and 4 are blank in Excel
        w.writerow(order_row("\t12", qty="x"))  # row 5
        w.writerow(order_row("\t13"))           # row 6
    data = io.ingest(raw, tmp_path / "processed", salt=SALT)
    assert data.quarantine[["row", "column"]].values.tolist() == [[5, "quantity"]]
    assert data.orders.set_index("sub_order_id")["source_row"].to_dict() == {"11": 2, "13": 6}
    assert data.data_quality() == {"rows_read": 4, "rows_kept": 3, "duplicates": 0, "rejected": 1}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_csv_saved_with_another_separator_is_read(tmp_path, delimiter):
    """European-locale Excel saves CSV with ";", "Text (Tab delimited)" with tabs: read, not
    refused as "not a 抖店 export"."""
    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS, [as_row()])
    path = raw / "订单导出_20261101_080000.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(ORDER_HEADERS)
        w.writerow(order_row("\t11"))
        w.writerow(order_row("\t12", qty="2"))
    data = io.ingest(raw, tmp_path / "processed", salt=SALT)
    assert data.orders["sub_order_id"].tolist() == ["11", "12"] and data.orders["quantity"].tolist() == [1, 2]
    assert data.orders["carrier"].tolist() == ["顺丰速运", "顺丰速运"]  # "SF…-顺丰速运,法式碎花连衣裙 M" kept whole


def test_files_read_side_by_side_on_threads_give_what_one_after_another_gives(tmp_path, monkeypatch):
    """With more than one core the files are read on threads, the biggest first: the same
    tables, accounting and quarantine as one after another; of several broken files, the first
    in order raises its error whole (its type and message)."""
    from returns_kit.io import dataset

    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS,
               [as_row(f"\t69868532695198108{i:02d}") for i in range(30)] + [as_row("\t1", amount="12,34")])
    write_xlsx(raw / "售后单导出-2026-11-02-08-00-00.xlsx", AS_HEADERS,
               [as_row(f"\t69868532695198108{i:02d}", status="售后关闭") for i in range(20, 40)])
    write_csv(raw / "订单导出_20261101_080000.csv", ORDER_HEADERS, [order_row()])
    monkeypatch.setattr(dataset.os, "cpu_count", lambda: 4)
    many = io.ingest(raw, tmp_path / "p2", salt=SALT)
    monkeypatch.setattr(dataset.os, "cpu_count", lambda: 1)
    one = io.ingest(raw, tmp_path / "p1", salt=SALT)
    pd.testing.assert_frame_equal(one.after_sales, many.after_sales)
    pd.testing.assert_frame_equal(one.orders, many.orders)
    pd.testing.assert_frame_equal(one.accounting, many.accounting)
    pd.testing.assert_frame_equal(one.quarantine, many.quarantine)
    assert len(many.quarantine) == 1 and len(many.after_sales) == 40  # 30 + 20, 10 of them in both files

    import zipfile

    monkeypatch.setattr(dataset.os, "cpu_count", lambda: 4)
    for name in ("售后单导出-2026-11-02-08-00-00.xlsx", "订单导出_20261101_080000.csv"):
        with zipfile.ZipFile(raw / name, "w") as z:  # an XLSX to look at, that cannot be read
            z.writestr("xl/workbook.xml", "not xml")
    with pytest.raises(InputError, match="售后单导出-2026-11-02-08-00-00.xlsx.*cannot be read"):
        io.ingest(raw, tmp_path / "p3", salt=SALT)


def test_an_all_text_sheet_goes_straight_into_arrow_with_the_rows_and_cells_calamine_gives(tmp_path, monkeypatch):
    """fastexcel (readers._text_grid) reads an all-text sheet from cell A1: empty columns on the
    left, a title row, blank rows, a row holding only a cell of a column not read, a blank
    column inside and a cell of spaces come out as calamine's values do (same positions, same
    row numbers).  One number cell anywhere sends the sheet through calamine, whose value is
    written as text by the kit's rule (3.0 → "3")."""
    import xlsxwriter

    from returns_kit.io import readers

    amount = 2 + AS_HEADERS.index("退商品金额（元）") + 1  # the sheet's column of 退商品金额

    def book(name, number=False):
        path = tmp_path / name
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet("Sheet1")
        ws.write_string(1, 3, "售后单导出 2026-10")              # D2: a title
        for c, h in enumerate(AS_HEADERS):
            ws.write_string(3, 2 + c + (c >= 5), h)             # header on row 4 from column C, column H empty
        rows = [as_row("\t1"), None, as_row("\t2", amount=" "), "stray", as_row("\t3")]
        for r, row in enumerate(rows, start=4):
            if row == "stray":
                ws.write_string(r, 2 + len(AS_HEADERS) + 3, "备注")  # a cell right of the export
            elif row is not None:
                for c, v in enumerate(row):
                    ws.write_string(r, 2 + c + (c >= 5), v)
        if number:
            ws.write_number(8, amount, 3.0)
        wb.close()
        return path

    def wanted(path):
        return lambda headers: sorted(io.exports._detect_kind(headers, path)[1].values())

    def both(path):
        fast = readers.read_excel_columns(path, wanted(path), lambda j: "money")
        with monkeypatch.context() as m:
            m.setattr(readers, "_text_grid", lambda *a: None)
            slow = readers.read_excel_columns(path, wanted(path), lambda j: "money")
        assert fast.headers == slow.headers and fast.rows.tolist() == slow.rows.tolist()
        assert fast.columns.keys() == slow.columns.keys()
        for j in fast.columns:
            assert fast.columns[j].equals(slow.columns[j]), fast.headers[j]
        return fast

    text = book("text.xlsx")
    assert readers._text_grid(text, 0) is not None
    got = both(text)
    assert got.headers[2] == AS_HEADERS[0] and got.headers[7] == ""
    assert got.rows.tolist() == [5, 7, 8, 9]  # row 6 blank; row 8 holds only 备注
    assert got.columns[amount].to_pylist() == ["59.90", " ", "", "59.90"]

    numbers = book("numbers.xlsx", number=True)
    assert readers._text_grid(numbers, 0) is None
    assert both(numbers).columns[amount].to_pylist() == ["59.90", " ", "", "3"]

    import fastexcel  # the number cell is seen in the sheet's XML: fastexcel is not asked to parse it

    monkeypatch.setattr(fastexcel, "read_excel", lambda *a: pytest.fail("parsed a sheet known to hold a number"))
    assert readers._text_grid(numbers, 0) is None


@pytest.mark.parametrize("cell, text", [
    ('<c r="A1" t="s"><v>0</v></c>', True), ('<c r="A1" t="inlineStr"><is><t>3</t></is></c>', True),
    ('<c r="A1" s="1"/>', True), ('<c r="A1" s="2"></c>', True), ('<c r="A1" t="str"><f>B1</f><v>x</v></c>', True),
    ('<c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v></c>', True), ('<cols><col min="1" max="2"/></cols>', True),
    ('<c r="A1"><v>3</v></c>', False), ('<c r="A1" s="3" t="n"><v>3.5</v></c>', False),
    ('<c r="A1" t="b"><v>1</v></c>', False), ('<c r="A1" t="d"><v>2026-05-06T01:03:00</v></c>', False),
    ('<c r="A1"><f>1+1</f><v>2</v></c>', False), ('<c r="A1" s="1"><f t="shared" si="0"/><v>2</v></c>', False),
])
def test_a_number_cell_is_seen_in_the_sheets_xml(cell, text):
    from returns_kit.io import readers

    assert (readers._NON_TEXT_CELL.search(cell.encode()) is None) == text


@pytest.mark.parametrize("block", [700, 997, 1500, 1 << 20])
def test_line_breaks_in_quoted_cells_are_read_wherever_the_reader_cuts_the_file(tmp_path, monkeypatch, block):
    """The CSV is first read on all cores without following quotes across lines; a quoted line
    break (a buyer's note, a product name) breaks a record there, and the file is read again
    following the quotes: every cell as Python's csv module reads it, every row number right."""
    from returns_kit.io import readers

    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", block)
    raw = tmp_path / "raw"
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS, [as_row()])
    rows = [order_row(f"\t{100 + i}") for i in range(40)]
    for i in (3, 17, 18, 39):
        rows[i][2] = "法式碎花\n连衣裙, M\r\n加长" if i != 18 else "两行\n\n之间空一行"
    write_csv(raw / "订单导出_20261101_080000.csv", ORDER_HEADERS, rows)
    data = io.ingest(raw, tmp_path / "processed", salt=SALT)
    with open(raw / "订单导出_20261101_080000.csv", encoding="utf-8-sig", newline="") as fh:
        want = list(csv.reader(fh))[1:]
    assert data.orders["product_name"].tolist() == [r[2] for r in want]
    assert data.orders["sub_order_id"].tolist() == [str(100 + i) for i in range(40)]
    assert data.orders["source_row"].tolist() == list(range(2, 42))  # one Excel row per record
    assert data.data_quality() == {"rows_read": 41, "rows_kept": 41, "duplicates": 0, "rejected": 0}


def _month_with_one_order_csv(raw, order_rows):
    write_xlsx(raw / "售后单导出-2026-11-01-08-00-00.xlsx", AS_HEADERS, [as_row()])
    write_xlsx(raw / "售后单导出-2026-11-01-08-03-00.xlsx", AS_HEADERS, [as_row("\t6986853269519810850")])
    write_csv(raw / "订单导出_20261101_080000.csv", ORDER_HEADERS, order_rows)


@pytest.mark.parametrize("duplicate", [False, True])
def test_the_order_csv_is_written_to_the_cache_as_soon_as_it_is_read(tmp_path, monkeypatch, duplicate):
    """A month's only order CSV (beside its 售后 workbooks) is the biggest file: its table is
    written on a thread of its own while the workbooks are read, and moved into the cache when
    no row of it is a duplicate; with a duplicate it is thrown away and the collapsed table
    written.  Either way the cache holds what the frames hold, and no temp file is left."""
    from returns_kit.io import dataset

    rows = [order_row(f"\t{100 + i}", name="王**" * 50) for i in range(60)]  # the biggest file
    if duplicate:
        rows.append(order_row("\t105", qty="2", name="王**" * 50))
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    _month_with_one_order_csv(raw, rows)
    placed = []
    real = dataset.put_in_place
    monkeypatch.setattr(dataset, "put_in_place", lambda tmp, target: placed.append(os.path.basename(target)) or real(tmp, target))
    data = io.ingest(raw, processed, salt=SALT)
    assert placed == ([] if duplicate else ["orders.parquet"])
    assert len(data.orders) == 60
    assert data.orders.loc[data.orders["sub_order_id"] == "105", "quantity"].tolist() == [2 if duplicate else 1]
    pd.testing.assert_frame_equal(pd.read_parquet(processed / "orders.parquet"), data.orders)
    pd.testing.assert_frame_equal(pd.read_parquet(processed / "after_sales.parquet"), data.after_sales)
    assert sorted(p.name for p in processed.iterdir()) == sorted((*dataset.CACHE_FILES, dataset.MANIFEST))


def test_a_failing_file_leaves_no_early_table_behind(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    _month_with_one_order_csv(raw, [order_row(f"\t{100 + i}", name="王**" * 50) for i in range(60)])
    (raw / "售后单导出-2026-11-01-08-03-00.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(InputError):
        io.ingest(raw, processed, salt=SALT)
    assert not processed.exists() or not any(processed.iterdir())


def test_an_early_table_that_fails_to_write_is_written_the_ordinary_way(tmp_path, monkeypatch):
    import threading

    from returns_kit.io import dataset

    raw, processed = tmp_path / "raw", tmp_path / "processed"
    _month_with_one_order_csv(raw, [order_row(f"\t{100 + i}", name="王**" * 50) for i in range(60)])
    real = dataset._write_parquet

    def flaky(frame, path):
        if threading.current_thread().name == "returns-kit-early-table":
            raise OSError("disk full")
        return real(frame, path)

    monkeypatch.setattr(dataset, "_write_parquet", flaky)
    data = io.ingest(raw, processed, salt=SALT)
    pd.testing.assert_frame_equal(pd.read_parquet(processed / "orders.parquet"), data.orders)
    assert sorted(p.name for p in processed.iterdir()) == sorted((*dataset.CACHE_FILES, dataset.MANIFEST))
