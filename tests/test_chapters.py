"""Chapter helpers: anomaly rule, display, config (costs and interventions: test_costs.py,
test_experiments.py)."""

import math

import pandas as pd
import pytest

from returns_kit import anomaly, config, display, metrics

T = pd.Timestamp


def test_threshold_rule_fires_only_above_20_percent_of_trailing_mean():
    s = pd.Series([0.10, 0.10, 0.10, 0.10, 0.121, 0.119, 0.30, float("nan")],
                  index=pd.date_range("2026-10-01", periods=8))
    out = anomaly.threshold_rule(s, window=7, threshold=0.20)
    assert out["fired"].tolist() == [False, False, False, False, True, False, True, False]
    assert out["baseline"].iloc[4] == pytest.approx(0.10)
    assert out["ratio"].iloc[6] == pytest.approx(0.30 / ((0.4 + 0.121 + 0.119) / 6))
    assert math.isnan(out["baseline"].iloc[2])  # fewer than 3 previous days


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


def test_display_aligns_numpy_numbers_right_and_text_left():
    import numpy as np

    out = display.table_html(pd.DataFrame({"count": np.array([3], dtype="int64"), "category": ["质量问题"]}))
    assert "<td style='text-align:right'>3</td>" in out
    assert "<td style='text-align:left'>质量问题</td>" in out


def test_rate_ci_words_a_rate_with_its_interval():
    row = {"refund_rate": 0.3434, "ci_low": 0.296, "ci_high": 0.394, "paid_sub_orders": 364}
    assert display.rate_ci(row) == "34.3%（95% 区间 29.6%–39.4%）"
    assert display.rate_ci(row, extra="，364 单") == "34.3%（95% 区间 29.6%–39.4%，364 单）"
    assert display.rate_ci({"r": float("nan"), "l": None, "h": 0.1}, "r", "l", "h") == "—（95% 区间 —–10.0%）"
