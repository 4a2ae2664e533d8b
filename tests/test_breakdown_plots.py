"""The chart helpers of chapters 1 and 3 draw Chinese text without any warning (a warning would
land as a stderr block in the report) and draw what they promise."""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from returns_kit import plots  # noqa: E402

from chart_check import assert_draws  # noqa: E402

T = pd.Timestamp


def _views():
    return pd.DataFrame({
        "after_sale_type": ["return_refund", "refund_unshipped", "exchange"],
        "app_finished": [5, 3, 1], "app_in_progress": [2, 0, 0], "app_closed": [1, 1, 0],
        "app_unknown": [0, 0, 1], "app_total": [8, 4, 2],
        "cohort_finished": [6, 3, 1], "cohort_in_progress": [1, 0, 0], "cohort_closed": [1, 0, 0],
        "cohort_unknown": [0, 0, 0], "cohort_total": [8, 3, 1]})


def _daily():
    days = pd.date_range("2026-10-01", periods=10)
    return pd.DataFrame({"date": days, "paid_sub_orders": [10, 12, 30, 11, 9, 0, 8, 9, 10, 12],
                         "refund_rate": [0.1, 0.12, 0.45, 0.1, 0.11, np.nan, 0.1, 0.2, 0.1, 0.1]})


def _promo():
    return pd.DataFrame({"date": [T("2026-10-01"), T("2026-10-02"), T("2026-10-03"), T("2026-10-08")],
                         "name": ["国庆", "国庆", "国庆", "双11"],
                         "peak": [False, True, False, False], "approximate": [False] * 3 + [True]})


def _weekly():
    return pd.DataFrame({
        "week_start": [T("2026-09-28"), T("2026-10-05"), T("2026-10-12")],
        "first_day": [T("2026-10-01"), T("2026-10-05"), T("2026-10-12")],
        "last_day": [T("2026-10-04"), T("2026-10-11"), T("2026-10-12")],
        "days": [4, 7, 1], "partial": [True, False, True],
        "label": ["W40 10-01–10-04（不完整，4 天）", "W41 10-05–10-11", "W42 10-12–10-12（不完整，1 天）"],
        "paid_sub_orders": [40, 70, 0], "refunded": [4, 14, 0],
        "refund_rate": [0.1, 0.2, np.nan], "ci_low": [0.04, 0.12, np.nan], "ci_high": [0.23, 0.3, np.nan]})


def _grid():
    return pd.DataFrame([[0.08, np.nan, 0.03], [0.01, 0.0, np.nan]],
                        index=pd.Index(["极兔速递", "中通快递"], name="carrier"),
                        columns=pd.Index(["新疆维吾尔自治区", "广东省", "江苏省"], name="province"))


CASES = {
    # name: (draw, number of bar patches on the returned Axes)
    "status_views_bars": (lambda: plots.status_views_bars(_views(), title="申请口径 vs 支付口径"), 12),
    # 10 day bars + one shaded span per promotion (国庆, 双11)
    "promo_daily_trend": (lambda: plots.promo_daily_trend(_daily(), _promo(), title="每日与大促"), 12),
    "promo_daily_trend_no_promo": (lambda: plots.promo_daily_trend(_daily(), _promo().iloc[0:0]), 10),
    "weekly_bars": (lambda: plots.weekly_bars(_weekly(), _promo(), title="每周退款率"), 3),
    "lag_histogram": (lambda: plots.lag_histogram(pd.DataFrame({"lag_days": [0.5, 1.2, 3.3, 3.9, 45.0]}),
                                                  title="发货→申请"), 31),
    "lag_histogram_empty": (lambda: plots.lag_histogram(pd.DataFrame({"lag_days": []})), 31),
    "rate_heatmap": (lambda: plots.rate_heatmap(_grid(), title="破损率：快递 × 省份"), 0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_breakdown_chart_helpers_draw_chinese_without_warnings(name):
    assert_draws(*CASES[name])


def test_promotions_are_shaded_and_named():
    ax = plots.promo_daily_trend(_daily(), _promo())
    texts = [t.get_text().strip() for t in ax.texts]
    assert texts == ["国庆", "双11"]
    spans = sorted(round(p.get_width(), 2) for p in ax.patches if p.get_alpha() == 0.22)
    assert spans == [1.0, 3.0]  # 双11 one day, 国庆 10-01…10-03 (half a day padding each side)
    peak_lines = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert len(peak_lines) == 1  # 国庆 peak on 10-02
    plt.close(ax.figure)


def test_weekly_bars_mark_partial_weeks_and_promotions():
    ax = plots.weekly_bars(_weekly(), _promo())
    hatches = [p.get_hatch() for p in ax.patches]
    assert hatches == ["//", None, "//"]
    assert [t.get_text() for t in ax.texts] == ["国庆", "双11"]
    plt.close(ax.figure)


def test_heatmap_writes_only_cells_with_values():
    ax = plots.rate_heatmap(_grid())
    assert sorted(t.get_text() for t in ax.texts) == ["0.0%", "1.0%", "3.0%", "8.0%"]
    plt.close(ax.figure)
