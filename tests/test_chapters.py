"""Chapter helpers: anomaly rule, refund totals, interventions, display, config."""

import math

import pandas as pd
import pytest

from returns_kit import anomaly, config, costs, display, experiments, metrics
from returns_kit.errors import InputError
from returns_kit.reasons import load_taxonomy

T = pd.Timestamp


def test_threshold_rule_fires_only_above_20_percent_of_trailing_mean():
    s = pd.Series([0.10, 0.10, 0.10, 0.10, 0.121, 0.119, 0.30, float("nan")],
                  index=pd.date_range("2026-10-01", periods=8))
    out = anomaly.threshold_rule(s, window=7, threshold=0.20)
    assert out["fired"].tolist() == [False, False, False, False, True, False, True, False]
    assert out["baseline"].iloc[4] == pytest.approx(0.10)
    assert out["ratio"].iloc[6] == pytest.approx(0.30 / ((0.4 + 0.121 + 0.119) / 6))
    assert math.isnan(out["baseline"].iloc[2])  # fewer than 3 previous days


def _after_sales():
    return pd.DataFrame({
        "after_sale_id": ["A1", "A2", "A3", "A4"],
        "sub_order_id": ["S1", "S2", "S3", "S4"],
        "product_name": ["裙", "裙", "架", "架"],
        "apply_time": [T("2026-10-02"), T("2026-10-03"), T("2026-10-04"), T("2026-11-01")],
        "reason": ["包装／商品破损", "多拍 / 错拍 / 不想要", "包装/商品破损", "功能故障"],
        "is_refund_success": [True, True, False, True],
        "refund_goods_amount": [100.0, 50.5, 30.0, 80.0],
        "refund_shipping_amount": [10.0, None, 0.0, 0.0],
    })


def test_refund_totals_by_category_and_product():
    tax = load_taxonomy("conf")
    by_cat = costs.refund_totals(_after_sales(), "2026-10", tax).set_index("category")
    assert by_cat.loc["物流问题", "refunds"] == 1  # A3 was not refunded, A4 is November
    assert by_cat.loc["物流问题", "refund_total"] == 110.0
    assert by_cat.loc["主观原因", "refund_total"] == 50.5
    assert by_cat["share"].sum() == pytest.approx(1.0)
    by_product = costs.refund_totals(_after_sales(), "2026-10", tax, by="product_name")
    assert by_product["product_name"].tolist() == ["裙"]


def test_load_interventions(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "\ufeffname,product_ids,start_date,description,control_product_ids\n"
        "安装说明改版,\t3001;3002,2026-09-15,重写安装说明,3003\n", encoding="utf-8")
    [item] = experiments.load_interventions(tmp_path)
    assert item.product_ids == ["3001", "3002"] and item.control_product_ids == ["3003"]
    assert item.start_date == T("2026-09-15")
    assert experiments.load_interventions(tmp_path / "nowhere") == []


def test_load_interventions_rejects_a_bad_date_naming_file_row_column(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "name,product_ids,start_date,description,control_product_ids\nx,1,2026-09-15,,\ny,2,九月,,\n",
        encoding="utf-8")
    with pytest.raises(InputError, match=r"interventions.csv, row 3, column start_date"):
        experiments.load_interventions(tmp_path)


def test_before_after_uses_equal_windows_and_controls():
    rows = []
    # treated: before 10 orders 4 refunded; after 10 orders 1 refunded; control flat 2/10.
    # Data ends 09-20 09:00, so each window is 6 days: before = 09-09 … 09-14.
    for i in range(10):
        rows.append(("P1", T("2026-09-10") + pd.Timedelta(hours=i), i < 4))
        rows.append(("P1", T("2026-09-20") + pd.Timedelta(hours=i), i < 1))
        rows.append(("P2", T("2026-09-10") + pd.Timedelta(hours=i), i < 2))
        rows.append(("P2", T("2026-09-20") + pd.Timedelta(hours=i), i < 2))
    rows.append(("P1", T("2026-08-01"), True))  # outside the before window: ignored
    outcomes = pd.DataFrame(rows, columns=["product_id", "pay_time", "refunded"])
    item = experiments.Intervention("x", ["P1"], T("2026-09-15"), "", ["P2"])
    res = experiments.before_after(outcomes, item).set_index(["group", "period"])
    assert res.loc[("treated", "before"), "paid_sub_orders"] == 10
    assert res.loc[("treated", "before"), "refund_rate"] == 0.4
    assert res.loc[("treated", "after"), "refund_rate"] == 0.1
    assert res.loc[("control", "after"), "refunded"] == 2


def test_display_escapes_buyer_text_and_formats():
    frame = pd.DataFrame({"reason": ["<script>alert(1)</script>"], "refund_rate": [0.1534],
                          "after_sale_type": ["return_refund"], "refund_total": [1234.5]})
    out = display.table_html(frame)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "15.3%" in out and "退货退款" in out and "¥1,234.50" in out
    assert ">退款率</th>" in out and "text-align:right'>15.3%" in out


def test_category_rates_uses_catalog():
    outcomes = pd.DataFrame({"product_id": ["1", "1", "2"], "pay_time": [T("2026-10-01")] * 3,
                             "refunded": [True, False, False]})
    catalog = pd.DataFrame({"product_id": ["1"], "category": ["女装/连衣裙"]})
    table = metrics.category_rates(outcomes, catalog, "2026-10", min_orders=1).set_index("category")
    assert table.loc["女装/连衣裙", "refund_rate"] == 0.5
    assert table.loc["未分类", "paid_sub_orders"] == 1


def test_conf_local_overrides_base(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "base" / "x.yml").write_text("a: 1\nb: {c: 2, d: 3}\n", encoding="utf-8")
    (tmp_path / "local" / "x.yml").write_text("b: {c: 9}\n", encoding="utf-8")
    assert config.load_yaml("x.yml", tmp_path) == {"a": 1, "b": {"c": 9, "d": 3}}


def test_salt_comes_from_env_or_a_local_file(tmp_path, monkeypatch):
    monkeypatch.delenv(config.SALT_ENV, raising=False)
    first = config.get_salt(tmp_path)
    assert len(first) == 32 and config.get_salt(tmp_path) == first
    assert (tmp_path / "local" / "salt.txt").exists()
    monkeypatch.setenv(config.SALT_ENV, "s3")
    assert config.get_salt(tmp_path) == "s3"
