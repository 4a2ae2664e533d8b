"""Chapter 8: interventions — loading, windows, statistics, DiD, maturity, recommendation."""

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from returns_kit import experiments
from returns_kit.chapters import ch8_interventions
from returns_kit.chapters.context import Context
from returns_kit.core.jsonable import jsonable
from returns_kit.io import Dataset
from returns_kit.errors import InputError
from returns_kit.sample import PLANTED

T = pd.Timestamp


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


def test_load_interventions_rejects_a_product_in_both_groups(tmp_path):
    (tmp_path / "interventions.csv").write_text(
        "name,product_ids,start_date,description,control_product_ids\nx,1;2,2026-09-15,,2;3\n",
        encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column control_product_ids: product\(s\) 2"):
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
    assert res.loc[("treated", "before"), "window_start"] == T("2026-09-09")
    assert res.loc[("treated", "after"), "window_end"] == T("2026-09-20")
    assert res.loc[("treated", "after"), "refund_rate"] == 0.1
    assert res.loc[("control", "after"), "refunded"] == 2


# --------------------------------------------------------------------------------------------
# Statistics against published and scipy reference values
# --------------------------------------------------------------------------------------------

def test_two_proportion_test_matches_scipy_and_newcombe_1998():
    # Newcombe (1998), Stat Med 17:873, Table II example (a): 56/70 vs 48/80.
    r = experiments.two_proportion_test(48, 80, 56, 70)
    assert r["diff"] == pytest.approx(0.2)
    assert (round(r["wald_low"], 4), round(r["wald_high"], 4)) == (0.0575, 0.3425)  # method 1
    assert (round(r["ci_low"], 4), round(r["ci_high"], 4)) == (0.0524, 0.3339)  # method 10
    # the pooled z-test's p is the 2×2 χ² test without continuity correction
    chi2, p, _, _ = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert r["p_value"] == pytest.approx(p, rel=1e-10)
    assert r["z"] ** 2 == pytest.approx(chi2, rel=1e-10)
    # example (b): 9/10 vs 3/10 → 0.1705 … 0.8090
    r = experiments.two_proportion_test(3, 10, 9, 10)
    assert (round(r["ci_low"], 4), round(r["ci_high"], 4)) == (0.1705, 0.8090)
    chi2, p, _, _ = stats.chi2_contingency([[9, 1], [3, 7]], correction=False)
    assert r["p_value"] == pytest.approx(p, rel=1e-10)


def test_two_proportion_test_edge_cases():
    assert math.isnan(experiments.two_proportion_test(0, 0, 1, 10)["p_value"])
    same = experiments.two_proportion_test(0, 10, 0, 20)
    assert same["p_value"] == 1.0 and same["diff"] == 0.0 and same["ci_low"] < 0 < same["ci_high"]


def test_did_test_against_scipy_normal():
    r = experiments.did_test((60, 200), (30, 200), (50, 250), (45, 250))
    effect = (0.15 - 0.30) - (0.18 - 0.20)
    se = math.sqrt(0.3 * 0.7 / 200 + 0.15 * 0.85 / 200 + 0.2 * 0.8 / 250 + 0.18 * 0.82 / 250)
    assert r["effect"] == pytest.approx(effect)
    assert r["se"] == pytest.approx(se)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(effect / se)))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((effect - 1.96 * se, effect + 1.96 * se))
    assert math.isnan(experiments.did_test((1, 10), (1, 0), (1, 10), (1, 10))["p_value"])


# --------------------------------------------------------------------------------------------
# Evaluation: DiD beats a plain before/after, maturity, sample size
# --------------------------------------------------------------------------------------------

def _outcomes(cells: dict[tuple[str, str], tuple[int, int]], start="2026-09-15", days=14):
    """Sub-orders spread evenly over ``days`` days before/after ``start``: cells are
    (product, period) → (refunded, orders)."""
    start = T(start)
    rows = []
    for (product, period), (k, n) in cells.items():
        first = start - pd.Timedelta(days=days) if period == "before" else start
        for i in range(n):
            rows.append((product, first + pd.Timedelta(days=days) * (i / n), i < k))
    return pd.DataFrame(rows, columns=["product_id", "pay_time", "refunded"])


AS_OF = T("2026-11-30")  # long after the data: every window mature
ITEM = experiments.Intervention("改安装说明", ["P1"], T("2026-09-15"), "", ["C1"])


def test_shop_wide_trend_fools_a_plain_before_after_but_not_did():
    # everything falls from 30% to 20% (a season change): the treated product too
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (200, 1000)})
    r = experiments.evaluate(data, ITEM, as_of=AS_OF)
    assert (r["before_rate"], r["after_rate"]) == (0.3, 0.2)
    assert r["naive"]["p_value"] < 0.001  # the plain comparison looks like a clear success …
    assert r["effect"] == pytest.approx(0.0, abs=1e-12)  # … but the control fell just as much
    assert r["p_value"] > 0.5
    assert r["recommendation"] == "继续测试"
    assert "大盘" in r["reason"]


def test_real_effect_is_rolled_out_and_a_harmful_one_stopped():
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    r = experiments.evaluate(data, ITEM, as_of=AS_OF)
    assert r["effect"] == pytest.approx(-0.1)
    assert r["p_value"] < 0.01 and r["recommendation"] == "全店推广"
    assert not r["immature"] and not r["too_small"] and r["warnings"] == []
    worse = _outcomes({("P1", "before"): (100, 500), ("P1", "after"): (150, 500),
                       ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    assert experiments.evaluate(worse, ITEM, as_of=AS_OF)["recommendation"] == "停止"


def test_without_controls_the_rest_of_the_shop_is_the_control():
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("X", "before"): (100, 1000), ("Y", "after"): (100, 1000)})
    item = experiments.Intervention("x", ["P1"], T("2026-09-15"))
    r = experiments.evaluate(data, item, as_of=AS_OF)
    assert (r["control_before"], r["control_after"]) == (0.1, 0.1)
    assert any("全店其他商品" in w for w in r["warnings"])


def test_immature_after_cohort_is_flagged_and_not_rolled_out():
    cells = {("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
             ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)}
    data = _outcomes(cells)
    # data pulled 5 days after the last order: no after-order is 30 days old yet
    r = experiments.evaluate(data, ITEM, as_of=T("2026-10-04"))
    assert r["immature"] and r["recommendation"] == "继续测试"
    assert r["window"]["after_end"] == T("2026-09-29")  # all the after-data is used
    assert any("不成熟" in w and "少于 30 天" in w for w in r["warnings"])
    # the same data, evaluated with a shorter maturity, is mature and rolled out
    assert experiments.evaluate(data, ITEM, as_of=T("2026-10-04"), maturity_days=5)["recommendation"] == "全店推广"


def test_after_window_stops_before_the_immature_orders():
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    win = experiments.windows(data, ITEM, as_of=T("2026-10-24 09:00"), maturity_days=30)
    # orders paid from 09-24 on are not 30 days old: the after window is 09-15 … 09-23
    assert (win["start"], win["after_end"]) == (T("2026-09-15"), T("2026-09-24"))
    assert (win["before_start"], win["after_days"], win["before_days"]) == (T("2026-09-06"), 9, 9)
    assert not win["immature"]
    # a report month ending earlier cuts it too
    assert experiments.windows(data, ITEM, as_of=AS_OF, month="2026-09")["after_end"] == T("2026-09-29")


def test_too_small_a_sample_keeps_testing():
    data = _outcomes({("P1", "before"): (15, 50), ("P1", "after"): (2, 40),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    r = experiments.evaluate(data, ITEM, as_of=AS_OF, min_orders=100)
    assert r["too_small"] and r["recommendation"] == "继续测试"
    assert any("样本太少" in w and "调整后 40 单" in w for w in r["warnings"])


def test_display_helpers():
    assert experiments.p_text(0.0402) == "0.040" and experiments.p_text(0.0001) == "<0.001"
    assert experiments.points_text(-0.0712) == "−7.1 个百分点"
    data = _outcomes({("P1", "before"): (150, 500), ("P1", "after"): (100, 500),
                      ("C1", "before"): (300, 1000), ("C1", "after"): (300, 1000)})
    r = experiments.evaluate(data, ITEM, as_of=AS_OF)
    shown = experiments.for_display(experiments.tests_table(r))
    assert shown["estimate"].tolist() == ["−10.0 个百分点", "−10.0 个百分点"]
    assert list(shown.columns) == ["test", "estimate", "p_value", "interval"]
    assert "30.0% → 20.0%" in experiments.headline(r)


def test_settings_come_from_conf(tmp_path):
    (tmp_path / "base").mkdir()
    shutil.copy("conf/base/experiments.yml", tmp_path / "base")
    shutil.copy("conf/base/report.yml", tmp_path / "base")
    assert experiments.load_settings(tmp_path) == {"maturity_days": 30, "min_orders": 100, "alpha": 0.05}
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "experiments.yml").write_text("alpha: 1.5\n", encoding="utf-8")
    with pytest.raises(InputError, match="column alpha"):
        experiments.load_settings(tmp_path)


def test_chapter8_section_on_a_small_shop(tmp_path):
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    for name in ("reasons.yml", "report.yml", "experiments.yml"):
        shutil.copy(f"conf/base/{name}", conf / "base" / name)
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "interventions.csv").write_text(
        "name,product_ids,start_date,description,control_product_ids\n"
        "改安装说明,1001,2026-09-15,,2001\n以后再做,1001,2026-12-01,,\n", encoding="utf-8")
    outcomes = _outcomes({("1001", "before"): (150, 500), ("1001", "after"): (100, 500),
                          ("2001", "before"): (300, 1000), ("2001", "after"): (300, 1000)})
    orders = outcomes.assign(sub_order_id=[f"S{i}" for i in range(len(outcomes))],
                             payable_amount=10.0, export_time=AS_OF)
    after_sales = pd.DataFrame({
        "after_sale_id": [f"A{i}" for i in range(int(outcomes["refunded"].sum()))],
        "sub_order_id": orders.loc[orders["refunded"], "sub_order_id"].to_list(),
        "reason": "功能故障", "is_refund_success": True, "refund_goods_amount": 10.0,
        "after_sale_type": "return_refund", "status_group": "finished", "apply_time": T("2026-10-01"),
        "export_time": AS_OF,
    })
    data = Dataset.from_frames(after_sales, orders.drop(columns="refunded"))
    ctx = Context.of("2026-09", data, conf_dir=conf, external_dir=ext)
    out = jsonable(ch8_interventions.build(ctx).metrics())
    [rec] = out["interventions"]  # the December one has not started
    assert rec["name"] == "改安装说明" and rec["start_date"] == "2026-09-15"
    assert (rec["before_rate"], rec["after_rate"], rec["control_before"], rec["control_after"]) == (0.3, 0.2, 0.3, 0.3)
    assert rec["effect"] == pytest.approx(-0.1) and rec["p_value"] < 0.01
    assert rec["recommendation"] == "全店推广" and rec["immature"] is False
    assert all(type(v) in (str, int, float, bool) for v in rec.values())
    empty = Context.of("2026-09", data, conf_dir=conf, external_dir=tmp_path / "none")
    assert ch8_interventions.build(empty).metrics() == {"interventions": []}

def test_sample_report_detects_the_planted_intervention(report):
    _, html, m = report
    planted = PLANTED["intervention"]
    [rec] = m["interventions"]
    assert rec["name"] == planted["name"] and rec["start_date"] == planted["start_date"]
    assert rec["before_rate"] == pytest.approx(planted["before_rate"], abs=0.02)
    assert rec["after_rate"] == pytest.approx(planted["after_rate"], abs=0.02)
    assert abs(rec["control_after"] - rec["control_before"]) < 0.02  # flat controls
    assert rec["effect"] < -0.05 and rec["p_value"] < 0.05  # DiD
    assert rec["naive_p_value"] < 0.05
    assert rec["recommendation"] == "全店推广" and not rec["immature"]
    ch8 = html[html.rindex(">八、优化效果验证"):]  # the heading, after the table of contents
    assert planted["name"] in ch8 and "全店推广" in ch8 and "双重差分" in ch8
    assert f"p = {experiments.p_text(rec['p_value'])}" in ch8
    assert "判定规则" in ch8 or "继续测试" in ch8
    assert np.isfinite(rec["after_orders"]) and rec["after_orders"] >= 100
