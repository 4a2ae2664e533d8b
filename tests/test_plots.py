"""Fonts and theme: Chinese renders with no missing-glyph warnings."""

from __future__ import annotations

import io
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

from returns_kit import fonts, plots  # noqa: E402

from chart_check import assert_draws  # noqa: E402

TITLE = "退货率 — 新疆维吾尔自治区, 顺丰速运, −5%"
TICKS = ["广东省", "浙江省", "内蒙古自治区", "中通快递", "极兔速递", "品退率"]


def _draw_and_save() -> bytes:
    fig, ax = plt.subplots()
    try:
        ax.bar(TICKS, [0.12, -0.05, 0.3, 0.08, 0.02, 0.15])
        ax.set_title(TITLE)
        ax.set_xlabel("省份 / 承运商")
        ax.set_ylabel("退货率（%）")
        ax.legend(["本月 2026-10"])
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


def test_setup_fonts_returns_cjk_family_and_sets_fallback_list():
    family = plots.setup_fonts()
    assert family.lower() in {f.lower() for f in plots.CJK_FAMILIES}
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", family]
    assert matplotlib.rcParams["axes.unicode_minus"] is True
    names = {e.name for e in font_manager.fontManager.ttflist}
    assert family in names


def test_pip_font_preferred_when_installed():
    pytest.importorskip("noto_cjk_sans_otc")
    assert plots.setup_fonts() == "Noto Sans CJK SC"
    path, index = plots.cjk_font_file()
    assert path.endswith("NotoSansCJK-Regular.ttc")
    assert FT2Font(path, face_index=index).family_name == "Noto Sans CJK SC"


def test_chinese_figure_renders_without_any_warning():
    plots.setup_fonts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = _draw_and_save()
    assert png.startswith(b"\x89PNG")


def test_font_file_has_the_glyphs():
    family = plots.setup_fonts()
    path, index = plots.cjk_font_file(family)
    face = FT2Font(path, face_index=index)
    for ch in "".join([TITLE, *TICKS]):
        if ch.isspace() or ord(ch) < 128 or ch in "—−":
            continue  # Latin, digits, dash and minus come from DejaVu Sans
        assert face.get_char_index(ord(ch)) != 0, ch
    assert plots.missing_glyphs(TITLE + "".join(TICKS)) == set()


def test_missing_glyphs_reports_unknown_characters():
    plots.setup_fonts()
    assert plots.missing_glyphs("\U00013000 退货") == {"\U00013000"}  # Egyptian hieroglyph


def test_theme_keeps_family_list_and_sets_figure_defaults():
    family = plots.setup_fonts()
    plots.theme()
    rc = matplotlib.rcParams
    assert rc["font.family"] == ["DejaVu Sans", family]
    assert rc["axes.unicode_minus"] is True
    assert rc["figure.figsize"][0] == pytest.approx(7.5)
    assert rc["figure.dpi"] == pytest.approx(110)
    assert rc["savefig.bbox"] == "tight"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draw_and_save()


def test_seaborn_reset_then_theme_restores_fonts():
    import seaborn as sns

    family = plots.setup_fonts()
    sns.set_theme()  # resets font.family to sans-serif
    assert matplotlib.rcParams["font.family"] != ["DejaVu Sans", family]
    plots.theme()
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", family]


def test_repeat_calls_are_idempotent_and_cheap():
    first = plots.setup_fonts()
    n_fonts = len(font_manager.fontManager.ttflist)
    for _ in range(5):
        assert plots.setup_fonts() == first
        plots.theme()
    assert len(font_manager.fontManager.ttflist) == n_fonts
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", first]


def test_falls_back_to_a_system_font_without_the_pip_package(monkeypatch):
    """Without noto_cjk_sans_otc a registered CJK family is found by name."""
    family = plots.setup_fonts()  # make sure some CJK family is registered
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # import now fails
    monkeypatch.setattr(fonts, "_state", {})
    assert fonts._pip_font() is None
    assert plots.setup_fonts() == family  # the already-registered face counts as "system"


def test_clear_error_when_no_cjk_font_exists(monkeypatch):
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
    monkeypatch.setattr(fonts, "_state", {})
    monkeypatch.setattr(fonts, "_registered_families", lambda: {"dejavu sans": "DejaVu Sans"})
    monkeypatch.setattr(fonts, "_scan_system_fonts", lambda: None)
    with pytest.raises(RuntimeError, match="noto-cjk-sans-otc"):
        plots.setup_fonts()


@pytest.mark.parametrize("name", [
    "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf",
    "msyh.ttc", "simhei.ttf", "PingFang.ttc", "Hiragino Sans GB.ttc", "STHeiti Light.ttc",
    "wqy-microhei.ttc"])
def test_system_cjk_font_files_are_recognised(name):
    assert fonts._CJK_FILE_RE.search(name)


def test_latin_only_font_files_are_not_scanned():
    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"):
        assert not fonts._CJK_FILE_RE.search(name)


# --- chart helpers: each draws one Chinese-labelled figure, with no warning at all -----------

def _rates():
    import pandas as pd

    return pd.DataFrame({"name": ["法式碎花连衣裙", "三层免打孔置物架"], "refund_rate": [0.35, 0.1],
                         "ci_low": [0.3, 0.08], "ci_high": [0.4, 0.12], "share": [0.7, 0.3],
                         "total": [1234.5, 99.0]})


def _chart_cases():
    import pandas as pd

    days = pd.date_range("2026-10-01", periods=5)
    daily = pd.DataFrame({"date": days, "paid_sub_orders": [10, 12, 30, 11, 9],
                          "refund_rate": [0.1, 0.12, 0.45, 0.1, 0.11],
                          "by_pay_time": [1.0, 2, 3, 4, 5], "by_refund_time": [5.0, 4, 3, 2, 1]})
    rule = pd.DataFrame({"value": [0.1, 0.12, 0.45], "baseline": [None, 0.1, 0.11],
                         "fired": [False, False, True]}, index=days[:3])
    app = pd.DataFrame({"after_sale_type": ["return_refund", "exchange"], "finished": [5, 1],
                        "in_progress": [2, 0], "closed": [1, 0], "unknown": [0, 1]})
    ba = pd.DataFrame({"group": ["treated", "treated", "control", "control"],
                       "period": ["before", "after", "before", "after"],
                       "refund_rate": [0.22, 0.15, 0.1, 0.1], "ci_low": [0.2, 0.13, 0.09, 0.09],
                       "ci_high": [0.24, 0.17, 0.11, 0.11]})
    return {
        "rate_bars": (lambda: plots.rate_bars(_rates(), label="name", overall=0.12, title="退款率"), 2),
        "share_bars": (lambda: plots.share_bars(_rates(), label="name", title="占比"), 2),
        "share_bars_money": (lambda: plots.share_bars(_rates(), label="name", value="total", percent=False), 2),
        "status_bars": (lambda: plots.status_bars(app, title="类型 × 状态"), 8),
        "daily_trend": (lambda: plots.daily_trend(daily, title="每日"), 5),
        "lines": (lambda: plots.lines(daily, x="date", ys=["by_pay_time", "by_refund_time"]), 0),
        "trend_with_baseline": (lambda: plots.trend_with_baseline(rule, title="预警"), 0),
        "before_after_bars": (lambda: plots.before_after_bars(ba, title="前后"), 4),
        "diff_bars": (lambda: plots.diff_bars(daily.assign(diff=[1.0, -2, float("nan"), 0, 3]),
                                              x="date", y="diff"), 4),
    }


@pytest.mark.parametrize("name", list(_chart_cases()))
def test_chart_helpers_draw_chinese_without_warnings(name):
    assert_draws(*_chart_cases()[name])


def test_kept_charts_are_read_back_only_for_the_same_call_unchanged_and_same_settings(tmp_path):
    import pandas as pd
    from IPython.core.formatters import PNGFormatter
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    from returns_kit.core.store import Store

    renders = []

    def render(fig):
        renders.append(fig)
        return print_figure(fig, "png", base64=True, bbox_inches="tight")

    formatter = PNGFormatter()
    formatter.for_type(Figure, render)
    plots.keep_charts(Store(tmp_path), formatter)
    table = pd.DataFrame({"name": ["a", "b"], "refund_rate": [0.1, 0.2], "ci_low": [0.05, 0.1],
                          "ci_high": [0.15, 0.3]})

    def shown(**changes):
        ax = plots.rate_bars(table.assign(**changes), label="name", title="rates")
        return ax, formatter(ax.figure)

    try:
        _, first = shown()
        assert len(renders) == 1 and first.startswith("iVBOR")  # a base64 PNG
        _, again = shown()
        assert again == first and len(renders) == 1  # the same chart of the same data: read back
        _, other = shown(refund_rate=[0.1, 0.25])
        assert len(renders) == 2 and other != first  # other data: drawn
        ax, _ = shown()
        ax.set_title("changed after the helper")
        changed = formatter(ax.figure)
        assert len(renders) == 3 and changed != first  # changed since it was drawn: drawn again
        with matplotlib.rc_context({"axes.facecolor": "#eeeeee"}):
            _, grey = shown()
        assert len(renders) == 4 and grey != first  # other settings: drawn
        plots.keep_charts(Store(tmp_path / "other"), formatter)  # called again: one layer, new store
        _, fresh = shown()
        assert fresh == first and len(renders) == 5
    finally:
        plt.close("all")


def test_the_kits_copy_of_seaborns_theme_sets_what_seaborn_sets():
    import seaborn as sns
    from matplotlib import colors

    rc = {"font.family": ["Noto Sans CJK SC", "DejaVu Sans"], "figure.dpi": 110, "legend.frameon": False}

    def applied(apply):
        with matplotlib.rc_context():
            matplotlib.rcdefaults()
            for code, color in colors.BASE_COLORS.items():  # matplotlib's own colour codes
                colors.colorConverter.colors[code] = color
            apply()
            return dict(matplotlib.rcParams), {c: colors.to_rgb(c) for c in "bgrmyck"}

    theirs = applied(lambda: sns.set_theme(context="notebook", style="whitegrid", font_scale=1.0, rc=rc))
    ours = applied(lambda: plots._seaborn_theme("notebook", 1.0, rc))
    assert ours == theirs
    assert ours[1]["b"] != colors.BASE_COLORS["b"]  # seaborn's colour codes, as set_theme gives them
