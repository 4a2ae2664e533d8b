"""The chart theme of the report and the chart helpers (pure: DataFrame in, Axes out).

Fonts live in :mod:`returns_kit.fonts`; :func:`setup_fonts` and friends are re-exported here, so
``returns_kit.plots.setup_fonts()`` keeps working.  :func:`theme` applies seaborn's ``whitegrid``
with the kit's fonts (``sns.set_theme()`` alone would reset them) and phone-friendly figure sizes.

Example (in a chapter notebook)::

    from returns_kit import plots
    plots.theme()                       # fonts + seaborn whitegrid + phone-friendly figure size
    ax = df.plot.bar(x="省份", y="退货率")
    ax.set_title("各省退货率")
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from .display import LABELS
from .fonts import (
    CJK_FAMILIES,
    LATIN_FAMILY,
    cjk_font_file,
    font_families,
    missing_glyphs,
    setup_fonts,
)
from .model import AFTER_SALE_TYPES_ZH, STATUS_GROUPS_ZH

__all__ = [
    "CJK_FAMILIES",
    "LATIN_FAMILY",
    "FIGSIZE",
    "DPI",
    "setup_fonts",
    "font_families",
    "cjk_font_file",
    "missing_glyphs",
    "theme",
    "keep_charts",
    "rate_bars",
    "share_bars",
    "status_bars",
    "daily_trend",
    "lines",
    "trend_with_baseline",
    "before_after_bars",
    "status_views_bars",
    "promo_daily_trend",
    "weekly_bars",
    "lag_histogram",
    "rate_heatmap",
    "short_province",
    "product_region_heatmap",
    "trend_vs_band",
    "funnel_chart",
    "diff_bars",
    "event_clock_chart",
    "cohort_clock_chart",
    "waterfall",
]

FIGSIZE = (7.5, 4.2)  # inches: ~825 px wide at DPI, readable on a phone without zooming
DPI = 110


#: what seaborn 0.13's ``set_theme(context="notebook", style="whitegrid", palette="deep")`` sets,
#: in its order (``tests/test_plots.py`` checks it against seaborn): the report's kernels apply it
#: without importing seaborn, and with it scipy.stats (about 1.5 s a kernel), which a kernel
#: showing kept chapters never needs
_NOTEBOOK_CONTEXT = {
    "axes.linewidth": 1.25, "grid.linewidth": 1, "lines.linewidth": 1.5, "lines.markersize": 6,
    "patch.linewidth": 1, "xtick.major.width": 1.25, "ytick.major.width": 1.25, "xtick.minor.width": 1,
    "ytick.minor.width": 1, "xtick.major.size": 6, "ytick.major.size": 6, "xtick.minor.size": 4,
    "ytick.minor.size": 4, "font.size": 12.0, "axes.labelsize": 12.0, "axes.titlesize": 12.0,
    "xtick.labelsize": 11.0, "ytick.labelsize": 11.0, "legend.fontsize": 11.0, "legend.title_fontsize": 12.0,
}
_WHITEGRID_STYLE = {
    "figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out", "ytick.direction": "out",
    "xtick.color": ".15", "ytick.color": ".15", "axes.axisbelow": True, "grid.linestyle": "-",
    "text.color": ".15", "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "image.cmap": "rocket", "xtick.top": False, "ytick.right": False, "axes.grid": True,
    "axes.facecolor": "white", "axes.edgecolor": ".8", "grid.color": ".8", "axes.spines.left": True,
    "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True, "xtick.bottom": False,
    "ytick.left": False,
}
_DEEP = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974",
         "#64B5CD"]
_DEEP6 = ["#4C72B0", "#55A868", "#C44E52", "#8172B3", "#CCB974", "#64B5CD"]


def _seaborn_theme(context: str, font_scale: float, rc: dict) -> None:
    """``sns.set_theme(context=context, style="whitegrid", font_scale=font_scale, rc=rc)``:
    the kit's own copy of its settings for the report's context, seaborn itself for any other."""
    if (context, font_scale) != ("notebook", 1.0):
        import seaborn as sns

        sns.set_theme(context=context, style="whitegrid", font_scale=font_scale, rc=rc)
        return
    from cycler import cycler

    matplotlib.rcParams.update(_NOTEBOOK_CONTEXT)
    matplotlib.rcParams.update(_WHITEGRID_STYLE)
    if "rocket" not in matplotlib.colormaps:  # seaborn's colormap, registered when seaborn is imported
        matplotlib.rcParams["image.cmap"] = "viridis"  # the kit's charts name theirs; an analyst's default
    matplotlib.rcParams["axes.prop_cycle"] = cycler("color", [matplotlib.colors.to_rgb(c) for c in _DEEP])
    for code, color in zip("bgrmyck", [*_DEEP6, (.1, .1, .1)]):  # seaborn's colour codes
        matplotlib.colors.colorConverter.colors[code] = matplotlib.colors.colorConverter.to_rgb(color)
    matplotlib.rcParams.update(rc)


def theme(*, context: str = "notebook", font_scale: float = 1.0,
          figsize: tuple[float, float] = FIGSIZE, dpi: int = DPI) -> str:
    """seaborn ``whitegrid`` theme with the kit's fonts and phone-readable figure defaults.

    ``sns.set_theme()`` resets ``font.family``; this passes the kit's family list through its
    ``rc`` and re-applies the fonts afterwards.  Figures default to 7.5 in wide at 110 dpi
    (inline PNG ~825 px), saved with ``bbox="tight"``.  Returns the CJK family name.
    """
    families = font_families()
    rc = {
        "font.family": families,
        "axes.unicode_minus": True,
        "figure.figsize": tuple(figsize),
        "figure.dpi": dpi,
        "savefig.dpi": "figure",
        "savefig.bbox": "tight",
        "axes.titlesize": "large",
        "legend.frameon": False,
    }
    _seaborn_theme(context, font_scale, rc)
    family = setup_fonts()
    matplotlib.rcParams.update({k: v for k, v in rc.items() if k != "font.family"})
    return family


# --- chart helpers go below (pure: DataFrame in, Figure/Axes out) ---------------------------

FIG_WIDTH = 7.5  # inches: legible on a phone at the report's image width
PHONE_WIDTH = 5.0  # inches: a chart read first on a phone (the summary's), larger type once scaled
PALETTE = ["#4c72b0", "#dd8452", "#8c8c8c", "#c44e52", "#55a868"]  # finished, in progress, closed, alert, ok

_PCT = mticker.PercentFormatter(xmax=1.0, decimals=0)


#: the attribute a chart helper's figure carries: the digest of the call that drew it
CHART_KEY = "_returns_kit_chart"


def _stamped(draw: Callable[..., Any]) -> Callable[..., Any]:
    """A chart helper whose figure carries the digest of its call (the helper and its
    arguments), and is marked not stale: any change made to it afterwards marks it stale again.
    :func:`keep_charts` keeps the image of a figure so stamped and unchanged."""
    @wraps(draw)
    def stamped(*args: Any, **kwargs: Any) -> Any:
        drawn = draw(*args, **kwargs)
        fig = getattr(drawn, "figure", drawn)
        try:
            call = pickle.dumps((draw.__module__, draw.__qualname__, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an argument that cannot be pickled: the chart is drawn every time
            return drawn
        setattr(fig, CHART_KEY, hashlib.sha256(call).hexdigest())
        fig.stale = False
        return drawn

    return stamped


def _drawing_settings() -> bytes:
    """What else decides a chart's pixels: matplotlib's version and settings, and the CJK font file."""
    try:
        font: Any = cjk_font_file()
        stat = Path(font[0]).stat()
        font = (*font, stat.st_size, stat.st_mtime_ns)
    except Exception:  # no CJK font (the chart says so in its own warnings)
        font = None
    return repr((matplotlib.__version__, sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()),
                 font)).encode()


def keep_charts(store: Any, formatter: Any = None) -> None:
    """In a kernel: the PNG of a chart drawn by a helper of this module, unchanged since (its
    figure not stale), is kept in ``store`` (:class:`~returns_kit.core.store.Store`) under the
    digest of the call, the drawing settings and the font; the next kernel that shows the same
    chart of the same data reads the image back instead of rendering it again (about 0.4 s a
    chart), byte for byte what the renderer gave.  Any other figure is rendered as usual.

    ``formatter``: IPython's ``image/png`` formatter (default: this kernel's); it must already
    render figures (matplotlib's inline backend registers that).  Called again, it keeps the
    charts in the new ``store``."""
    from matplotlib.figure import Figure

    if formatter is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return
        formatter = shell.display_formatter.formatters["image/png"]
    try:
        current = formatter.lookup_by_type(Figure)
    except KeyError:  # matplotlib's inline backend registers the renderer when it loads
        if "inline" not in matplotlib.get_backend():
            return
        plt.switch_backend(matplotlib.get_backend())
        try:
            current = formatter.lookup_by_type(Figure)
        except KeyError:
            return
    render = getattr(current, "rendered_by", current)

    def kept(fig: Figure) -> Any:
        key = getattr(fig, CHART_KEY, None)
        if key is None or fig.stale:
            return render(fig)
        digest = hashlib.sha256(key.encode() + repr(getattr(render, "keywords", None)).encode()
                                + _drawing_settings()).hexdigest()[:32]
        return store.get(f"chart.{digest}", lambda: render(fig))

    kept.rendered_by = render  # type: ignore[attr-defined]
    formatter.for_type(Figure, kept)


def _label_of(col: str) -> str:
    return LABELS.get(col, col)


@_stamped
def rate_bars(table: pd.DataFrame, label: str, rate: str = "refund_rate", low: str = "ci_low",
              high: str = "ci_high", overall: float | None = None, title: str = ""):
    """Horizontal bars of a rate per segment with its 95% interval as error bars."""
    setup_fonts()
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.42 * len(t) + 1.2))
    names = [str(v) for v in t[label]]
    xerr = [(t[rate] - t[low]).clip(lower=0), (t[high] - t[rate]).clip(lower=0)]
    ax.barh(names, t[rate], xerr=xerr, color=PALETTE[0], ecolor="#555", capsize=3)
    if overall is not None and overall == overall:
        ax.axvline(overall, color=PALETTE[3], linestyle="--", linewidth=1)
        ax.text(overall, len(t) - 0.4, f" 全店 {overall:.1%}", color=PALETTE[3], va="bottom", fontsize=9)
    ax.xaxis.set_major_formatter(_PCT)
    ax.set_xlabel(_label_of(rate))
    ax.set_title(title)
    return ax


@_stamped
def share_bars(table: pd.DataFrame, label: str, value: str = "share", title: str = "",
               percent: bool = True):
    """Horizontal bars of a share (or an amount) per category, largest on top."""
    setup_fonts()
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.42 * len(t) + 1.2))
    bars = ax.barh([str(v) for v in t[label]], t[value], color=PALETTE[0])
    if percent:
        ax.xaxis.set_major_formatter(_PCT)
        ax.bar_label(bars, labels=[f"{v:.1%}" for v in t[value]], padding=3, fontsize=9)
    else:
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in t[value]], padding=3, fontsize=9)
    ax.set_xlabel(_label_of(value))
    ax.set_title(title)
    return ax


@_stamped
def status_bars(app_table: pd.DataFrame, title: str = ""):
    """Stacked bars: after-sales per 售后类型 split by status group (application view)."""
    setup_fonts()
    t = app_table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.45 * len(t) + 1.4))
    names = [AFTER_SALE_TYPES_ZH.get(v, v) for v in t["after_sale_type"]]
    left = np.zeros(len(t))
    for i, group in enumerate(["finished", "in_progress", "closed", "unknown"]):
        ax.barh(names, t[group], left=left, label=STATUS_GROUPS_ZH[group], color=PALETTE[i])
        left += t[group].to_numpy()
    ax.set_xlabel("售后单数")
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(title)
    return ax


@_stamped
def daily_trend(daily: pd.DataFrame, title: str = ""):
    """Paid sub-orders per day (bars) and the day's refund rate (line, right axis)."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.6))
    ax.bar(daily["date"], daily["paid_sub_orders"], color="#c9d6e8", label="支付子订单")
    ax.set_ylabel("支付子订单")
    ax2 = ax.twinx()
    ax2.plot(daily["date"], daily["refund_rate"], color=PALETTE[3], marker="o", markersize=3, label="退款率")
    ax2.yaxis.set_major_formatter(_PCT)
    ax2.set_ylabel("退款率")
    ax2.grid(False)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.set_title(title)
    return ax


@_stamped
def lines(frame: pd.DataFrame, x: str, ys: list[str], title: str = "", percent: bool = False):
    """One line per column in ``ys`` against ``x`` (dates shown as MM-DD)."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4))
    for i, col in enumerate(ys):
        ax.plot(frame[x], frame[col], label=_label_of(col), color=PALETTE[i % len(PALETTE)])
    if percent:
        ax.yaxis.set_major_formatter(_PCT)
    if pd.api.types.is_datetime64_any_dtype(frame[x]):
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.legend(fontsize=9)
    ax.set_title(title)
    return ax


@_stamped
def trend_with_baseline(rule: pd.DataFrame, title: str = ""):
    """A daily rate, its trailing baseline, and the days where the rule fired (red dots)."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4))
    ax.plot(rule.index, rule["value"], color=PALETTE[0], marker="o", markersize=3, label="当日")
    ax.plot(rule.index, rule["baseline"], color="#888", linestyle="--", label="前 7 日均值")
    hit = rule[rule["fired"]]
    ax.scatter(hit.index, hit["value"], color=PALETTE[3], zorder=3, s=36, label="触发预警")
    ax.yaxis.set_major_formatter(_PCT)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.legend(fontsize=9)
    ax.set_title(title)
    return ax


@_stamped
def event_clock_chart(days: pd.DataFrame, title: str = ""):
    """The event clock (:attr:`returns_kit.anomaly.Detection.event_days` of one event): the
    day's count as bars, the nowcast as a line, alert days red, "ongoing" days orange, days not
    judged light grey."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4))
    colours = {"alert": PALETTE[3], "ongoing": PALETTE[1], "not_judged": "#d9d9d9"}
    ax.bar(days["date"], days["observed"], color=[colours.get(s, "#c9d6e8") for s in days["status"]],
           width=0.8, label="当天实际")
    ax.plot(days["date"], days["expected"], color="#333", linestyle="--", linewidth=1.2, label="按近期销量推算的预期")
    return _clock_finish(ax, days, "observed", title)


def _clock_finish(ax, days: pd.DataFrame, column: str, title: str):
    """Both clocks' charts: alert days as red dots on ``column``, dates as MM-DD, legend, title."""
    hit = days[days["status"] == "alert"]
    if len(hit):
        ax.scatter(hit["date"], hit[column], color=PALETTE[3], zorder=3, s=32, label="预警")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    return ax


@_stamped
def cohort_clock_chart(days: pd.DataFrame, title: str = ""):
    """The cohort clock (:attr:`returns_kit.anomaly.Detection.cohort_days`): each pay-day's
    refund rate at equal age and its expected rate; alert days red; the days too young to
    judge shaded and named."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4))
    judged = days[days["status"] != "immature"]
    ax.plot(judged["date"], judged["rate"], color=PALETTE[0], marker="o", markersize=3, label="当日（同龄）")
    ax.plot(judged["date"], judged["expected_rate"], color="#888", linestyle="--", label="预期")
    young = days[days["status"] == "immature"]
    if len(young):
        half = pd.Timedelta(hours=12)
        ax.axvspan(young["date"].min() - half, young["date"].max() + half, color="#eeeeee", zorder=0)
        ax.text(young["date"].min(), 0.97, " 未满龄，暂不判断", transform=ax.get_xaxis_transform(),
                va="top", fontsize=8, color="#666")
        ax.set_xlim(days["date"].min() - pd.Timedelta(days=1), days["date"].max() + pd.Timedelta(days=1))
    ax.yaxis.set_major_formatter(_PCT)
    return _clock_finish(ax, judged, "rate", title)


@_stamped
def before_after_bars(result: pd.DataFrame, title: str = ""):
    """Refund rate before/after for the treated and control groups, with 95% intervals."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.2))
    width = 0.38
    for i, period in enumerate(["before", "after"]):
        part = result[result["period"] == period].set_index("group").reindex(["treated", "control"])
        xs = np.arange(2) + (i - 0.5) * width
        err = [(part["refund_rate"] - part["ci_low"]).clip(lower=0),
               (part["ci_high"] - part["refund_rate"]).clip(lower=0)]
        ax.bar(xs, part["refund_rate"], width, yerr=err, capsize=3, color=PALETTE[i],
               label="调整前" if period == "before" else "调整后")
    ax.set_xticks(np.arange(2), ["试点商品", "对照商品"])
    ax.yaxis.set_major_formatter(_PCT)
    ax.legend(fontsize=9)
    ax.set_title(title)
    return ax


# --- chapters 1 and 3: views side by side, promotions, weeks, lags, heatmap ----------------

@_stamped
def status_views_bars(views: pd.DataFrame, title: str = ""):
    """Two panels of stacked bars per 售后类型 × status group: the application view (left) and
    the cohort view (right), from :func:`returns_kit.metrics.views_by_type`.  Same x scale."""
    setup_fonts()
    t = views.iloc[::-1]
    fig, axes = plt.subplots(1, 2, sharey=True, sharex=True,
                             figsize=(FIG_WIDTH, 0.45 * len(t) + 1.6))
    names = [AFTER_SALE_TYPES_ZH.get(v, v) for v in t["after_sale_type"]]
    for ax, prefix, sub in zip(axes, ("app", "cohort"), ("申请口径", "支付口径")):
        left = np.zeros(len(t))
        for i, group in enumerate(["finished", "in_progress", "closed", "unknown"]):
            ax.barh(names, t[f"{prefix}_{group}"], left=left, color=PALETTE[i],
                    label=STATUS_GROUPS_ZH[group])
            left += t[f"{prefix}_{group}"].to_numpy()
        ax.set_title(sub, fontsize=10)
        ax.set_xlabel("售后单数")
    axes[1].legend(loc="lower right", fontsize=8)
    fig.suptitle(title, y=1.03)
    return axes[0]


def _promo_spans(promo_days: pd.DataFrame) -> list[tuple[str, pd.Timestamp, pd.Timestamp, list]]:
    spans = []
    for name, part in promo_days.groupby("name", sort=False):
        peaks = list(part.loc[part["peak"], "date"])
        spans.append((str(name), part["date"].min(), part["date"].max(), peaks))
    return sorted(spans, key=lambda s: s[1])


@_stamped
def promo_daily_trend(daily: pd.DataFrame, promo_days: pd.DataFrame | None = None, title: str = ""):
    """:func:`daily_trend` with the promotion periods of ``promo_days``
    (:func:`returns_kit.metrics.promotion_days`) shaded and named, peak days as dotted lines."""
    ax = daily_trend(daily, title=title)
    if len(daily):
        ax.set_xlim(daily["date"].min() - pd.Timedelta(hours=15), daily["date"].max() + pd.Timedelta(hours=15))
    if promo_days is None or not len(promo_days):
        return ax
    half = pd.Timedelta(hours=12)
    shades = ["#f2c14e", "#8fbf7f", "#c5a3d9", "#e79c9c"]
    for i, (name, first, last, peaks) in enumerate(_promo_spans(promo_days)):
        ax.axvspan(first - half, last + half, color=shades[i % len(shades)], alpha=0.22, zorder=0)
        ax.text(first - half, 0.98 - 0.08 * (i % 3), f" {name}", transform=ax.get_xaxis_transform(),
                va="top", ha="left", fontsize=8, color="#555")
        for day in peaks:
            ax.axvline(day, color="#b8860b", linestyle=":", linewidth=1)
    return ax


@_stamped
def weekly_bars(weekly: pd.DataFrame, promo_days: pd.DataFrame | None = None, title: str = ""):
    """Refund rate per week with 95% intervals (:func:`returns_kit.metrics.weekly`); partial
    weeks are lighter and hatched, weeks with promotion days carry the promotion's name."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.6))
    xs = np.arange(len(weekly))
    rate = weekly["refund_rate"].astype(float)
    err = [(rate - weekly["ci_low"]).clip(lower=0).fillna(0),
           (weekly["ci_high"] - rate).clip(lower=0).fillna(0)]
    colors = [PALETTE[0] if not p else "#a9bddb" for p in weekly["partial"]]
    bars = ax.bar(xs, rate.fillna(0), yerr=err, capsize=3, color=colors, ecolor="#555")
    for bar, partial in zip(bars, weekly["partial"]):
        if partial:
            bar.set_hatch("//")
    ticks = [str(v).replace("（", "\n（") for v in weekly["label"]]
    ax.set_xticks(xs, ticks, fontsize=8)
    if promo_days is not None and len(promo_days):
        for x, r in zip(xs, weekly.itertuples()):
            inside = promo_days[(promo_days["date"] >= r.first_day) & (promo_days["date"] <= r.last_day)]
            if len(inside):
                names = "、".join(dict.fromkeys(inside["name"]))
                top = (r.ci_high if r.ci_high == r.ci_high else 0) or 0
                ax.annotate(names, (x, top), xytext=(0, 4), textcoords="offset points",
                            ha="center", fontsize=8, color="#8a6d00")
    ax.yaxis.set_major_formatter(_PCT)
    ax.set_ylabel("退款率")
    ax.set_title(title)
    return ax


@_stamped
def lag_histogram(lags: pd.DataFrame, title: str = "", max_days: int = 30):
    """Histogram of days from 发货 to the first after-sale
    (:func:`returns_kit.metrics.ship_apply_lags`), one bar per day, median dashed; lags beyond
    ``max_days`` are piled into the last bar."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4))
    values = lags["lag_days"].clip(upper=max_days).to_numpy(dtype=float)
    ax.hist(values, bins=np.arange(0, max_days + 2), color=PALETTE[0], edgecolor="white")
    if len(values):
        median = float(np.median(lags["lag_days"]))
        ax.axvline(median, color=PALETTE[3], linestyle="--", linewidth=1)
        ax.text(median, 0.95, f" 中位数 {median:.1f} 天", transform=ax.get_xaxis_transform(),
                color=PALETTE[3], va="top", fontsize=9)
    ax.set_xlabel("发货到申请售后的天数")
    ax.set_ylabel("子订单数")
    ax.set_title(title)
    return ax


@_stamped
def rate_heatmap(grid: pd.DataFrame, title: str = "", xlabel: str = "", ylabel: str = ""):
    """A rate grid (rows × columns, e.g. :func:`returns_kit.metrics.damage_matrix`) as a
    heatmap with the value in each cell; NaN cells (too few orders) are grey and blank."""
    setup_fonts()
    values = grid.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.45 * len(grid) + 1.8))
    cmap = matplotlib.colormaps["Reds"].with_extremes(bad="#e6e6e6")
    finite = values[np.isfinite(values)]
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=vmax, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.1%}", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 * vmax else "#222")
    ax.set_xticks(np.arange(grid.shape[1]), [str(c) for c in grid.columns], rotation=45,
                  ha="right", fontsize=8)
    ax.set_yticks(np.arange(grid.shape[0]), [str(r) for r in grid.index], fontsize=8)
    ax.grid(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.ax.yaxis.set_major_formatter(_PCT)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


# --- chapter 5: monitoring (heatmap product × province, trend vs industry band, funnel) ------

_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def short_province(name: str) -> str:
    """新疆维吾尔自治区 → 新疆, 广东省 → 广东, 北京市 → 北京 (axis labels on a phone)."""
    text = str(name)
    for suffix in _PROVINCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def _short(text: str, n: int = 10) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


@_stamped
def product_region_heatmap(cells: pd.DataFrame, min_volume: int = 10, title: str = ""):
    """Refund rate of TOP products × provinces (:func:`returns_kit.anomaly.heatmap_table`).

    Cells with fewer than ``min_volume`` paid sub-orders are grey and blank instead of coloured
    (a 1-of-2 cell would otherwise be the darkest); the note under the chart says so.
    """
    table = cells.assign(
        _rate=cells["refund_rate"].where(cells["paid_sub_orders"] >= min_volume),
        _row=[_short(n if isinstance(n, str) and n else p) for n, p in
              zip(cells["product_name"], cells["product_id"])],
        _col=[short_province(p) for p in cells["province"]],
    )
    rows = list(dict.fromkeys(table["_row"]))
    cols = list(dict.fromkeys(table["_col"]))
    grid = table.pivot_table(index="_row", columns="_col", values="_rate", aggfunc="first",
                             dropna=False).reindex(index=rows, columns=cols)
    grid.index.name = grid.columns.name = None
    ax = rate_heatmap(grid, title=title)
    ax.figure.text(0.01, -0.02, f"灰色：该商品在该省的支付子订单少于 {min_volume} 单，不着色。",
                   fontsize=8, color="#666", ha="left", va="top")
    return ax


@_stamped
def trend_vs_band(trend: pd.DataFrame, band: dict | None = None, anomaly_dates=(),
                  title: str = ""):
    """Daily refund rate (thin) and the week's pooled rate (thick steps) of the month
    (:func:`returns_kit.anomaly.trend_table`), the benchmark category's own weekly rate when
    present, the industry band from the benchmark table shaded with its source and date under
    the chart, and anomaly days as red dots."""
    import textwrap

    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8))
    x = pd.to_datetime(trend["date"])
    if band and band.get("low") is not None and band.get("high") is not None:
        low, high = float(band["low"]), float(band["high"])
        label = f"{band['category']}行业区间 {low:.0%}–{high:.0%}" if high > low else \
            f"{band['category']}行业参考 {low:.0%}"
        if high > low:
            ax.axhspan(low, high, color=PALETTE[4], alpha=0.15, label=label, zorder=0)
        else:
            ax.axhline(low, color=PALETTE[4], linestyle="--", label=label)
    ax.plot(x, trend["refund_rate"], color=PALETTE[0], linewidth=0.9, marker="o", markersize=2.5,
            alpha=0.75, label="全店每日")
    ax.step(x, trend["week_rate"], where="mid", color=PALETTE[0], linewidth=2.2, label="全店每周")
    if "cat_week_rate" in trend and band:
        ax.step(x, trend["cat_week_rate"], where="mid", color=PALETTE[1], linewidth=2,
                label=f"本店{band['category']}类每周")
    hits = trend[pd.to_datetime(trend["date"]).isin(pd.to_datetime(list(anomaly_dates)))]
    if len(hits):
        ax.scatter(pd.to_datetime(hits["date"]), hits["refund_rate"], color=PALETTE[3], s=40,
                   zorder=3, label="异常日")
    ax.yaxis.set_major_formatter(_PCT)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.set_ylabel("退款率（支付口径）")
    ax.legend(fontsize=8, loc="upper left", ncols=2)
    ax.set_title(title)
    if band:
        source = f"行业区间来源：{band.get('source') or '未注明'}（{band.get('as_of') or '日期未注明'}）"
        fig.text(0.01, -0.02, "\n".join(textwrap.wrap(source, 58)), fontsize=7.5, color="#666",
                 ha="left", va="top")
    return ax


@_stamped
def funnel_chart(stages: pd.DataFrame, exits: pd.DataFrame | None = None, title: str = ""):
    """Order → refund funnel (:func:`returns_kit.anomaly.funnel`): centred bars, each with its
    count and share of paid; below, where the refunded sub-orders left
    (:func:`returns_kit.anomaly.funnel_exits`), the largest stage in red."""
    setup_fonts()
    rows = 2 if exits is not None else 1
    fig, axes = plt.subplots(rows, 1, figsize=(FIG_WIDTH, 3.2 + (1.6 if rows == 2 else 0)),
                             gridspec_kw={"height_ratios": [3, 1.3]} if rows == 2 else None,
                             squeeze=False)
    ax = axes[0][0]
    t = stages.iloc[::-1]
    n = t["sub_orders"].to_numpy(dtype=float)
    top = float(stages["sub_orders"].max()) or 1.0
    ys = np.arange(len(t))
    ax.barh(ys, n, left=(top - n) / 2, color=PALETTE[0], height=0.7)
    for y, (label, count, share) in zip(ys, zip(t["label"], t["sub_orders"], t["share_of_paid"])):
        ax.text(top / 2, y, f"{label}  {int(count):,}（{share:.1%}）", ha="center", va="center",
                fontsize=9, color="white" if count > 0.35 * top else "#222")
    ax.set_yticks([])
    ax.set_xticks([])
    ax.grid(False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(title)
    if exits is not None:
        ex = axes[1][0]
        e = exits.iloc[::-1]
        worst = exits["sub_orders"].idxmax() if exits["sub_orders"].sum() else None
        colors = [PALETTE[3] if i == worst else PALETTE[2] for i in e.index]
        bars = ex.barh([str(v) for v in e["label"]], e["sub_orders"], color=colors)
        ex.bar_label(bars, labels=[f"{int(c):,}（{s:.0%}）" for c, s in zip(e["sub_orders"], e["share"])],
                     padding=3, fontsize=8)
        ex.set_xlabel("退款成功的子订单：在哪个环节退的")
        ex.tick_params(axis="y", labelsize=8)
        ex.set_xlim(0, max(float(e["sub_orders"].max()) * 1.3, 1))
    return ax


@_stamped
def diff_bars(frame: pd.DataFrame, x: str, y: str = "diff", title: str = "", money: bool = True):
    """Signed bars of a difference per ``x`` (e.g. 罗盘 − 本工具 per day): above zero in orange,
    below in blue, a missing value as no bar; dates shown as MM-DD."""
    setup_fonts()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.0))
    values = pd.to_numeric(frame[y], errors="coerce")
    keep = values.notna()
    colors = [PALETTE[1] if v > 0 else PALETTE[0] for v in values[keep]]
    ax.bar(frame.loc[keep, x], values[keep], color=colors, width=0.8)
    ax.axhline(0, color="#444", linewidth=0.8)
    if pd.api.types.is_datetime64_any_dtype(frame[x]):
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.set_ylabel(f"{_label_of(y)}{'（元）' if money else ''}")
    ax.set_title(title)
    return ax


@_stamped
def waterfall(steps: pd.DataFrame, start: tuple[str, float], end: tuple[str, float], title: str = ""):
    """A horizontal waterfall from ``start`` (label, last month's rate) through ``steps``
    (columns ``label``, ``contribution``: each segment's part of the change, top to bottom) to
    ``end`` (label, this month's rate).  Rises red, falls green, the totals grey; each bar is
    labelled with its points, so the chart reads on a phone without the axis."""
    setup_fonts()
    labels = [start[0], *[_short(v, 12) for v in steps["label"]], end[0]]
    n = len(labels)
    fig, ax = plt.subplots(figsize=(PHONE_WIDTH, 0.45 * n + 1.2))
    level = start[1]
    y = np.arange(n)[::-1]
    ax.barh(y[0], start[1], color=PALETTE[2])
    ax.text(start[1], y[0], f" {start[1]:.1%}", va="center", fontsize=10)
    for i, value in enumerate(steps["contribution"], start=1):
        left = level if value >= 0 else level + value
        ax.barh(y[i], abs(value), left=left, color=PALETTE[3] if value >= 0 else PALETTE[4])
        ax.text(max(level, level + value), y[i], f" {value * 100:+.1f} 个百分点".replace("-", "−"),
                va="center", fontsize=10)
        level += value
    ax.barh(y[-1], end[1], color=PALETTE[0])
    ax.text(end[1], y[-1], f" {end[1]:.1%}", va="center", fontsize=10)
    ax.set_yticks(y, labels)
    ax.tick_params(labelsize=11)
    lo = min(start[1], end[1], *(start[1] + np.cumsum(steps["contribution"]))) if len(steps) else min(start[1], end[1])
    hi = max(start[1], end[1], *(start[1] + np.cumsum(steps["contribution"]))) if len(steps) else max(start[1], end[1])
    span = max(hi - lo, 1e-4)
    ax.set_xlim(max(0.0, lo - 0.6 * span), hi + 0.45 * span)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(xmax=1.0, decimals=1))
    ax.set_xlabel("退款率（支付口径，同龄比较）")
    ax.set_title(title, fontsize=11)
    return ax
