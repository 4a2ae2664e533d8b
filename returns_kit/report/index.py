"""``reports/index.html``: every rendered month side by side, rewritten atomically after every
report (and once after a ``--months`` batch).

It is built from the months' ``metrics.json`` only — what each report said, never recomputed:

* one row per month, newest first: the cohort refund rate with its change against last month at
  equal age (and whether it is beyond noise), applications, refund amount, the data date and
  maturity (暂估 while immature), the summary's first sentence and a link to the month;
* a 12-month trend at equal cohort age, from the newest month's ``summary.trend``: every month
  cut at the age the newest has, so an immature month never looks better than a mature one;
* a snapshot notice where a closed month was re-rendered and its figures moved (:mod:`.snapshots`).

Self-contained like the monthly pages: inline CSS and chart, the page's Chinese characters
embedded as a font subset, no request to any other host.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import os
import re
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_text
from ..display import money, pct, points_text
from ..fonts import embed_cjk_font, setup_fonts
from .snapshots import SNAPSHOT_NAME

__all__ = ["INDEX_NAME", "month_entries", "render_index", "trend_chart", "write_index"]

INDEX_NAME = "index.html"
_MONTH_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

_CSS = """
body { font-family: -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "rk-noto-sc", "Helvetica Neue", Arial,
  sans-serif; font-size: 16px; line-height: 1.6; margin: 0; color: #222; }
main { max-width: 1000px; margin: 0 auto; padding: 8px 12px 40px; box-sizing: border-box; }
h1 { font-size: 1.6em; margin: 12px 0 4px; }
.sub { color: #666; margin: 0 0 12px; }
img { max-width: 100%; height: auto; }
.month { border: 1px solid #ddd; border-radius: 8px; padding: 10px 12px; margin: 10px 0; }
.month h2 { font-size: 1.2em; margin: 0 0 4px; }
.month h2 a { text-decoration: none; }
.figs { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 4px 0; }
.fig b { font-size: 1.15em; }
.up { color: #c44e52; } .down { color: #2e7d32; } .flat { color: #666; }
.tag { display: inline-block; background: #fff4e5; color: #8a5300; border-radius: 4px; padding: 0 6px;
  font-size: 0.85em; }
.line { color: #444; margin: 4px 0 0; }
.changed { background: #fff8e1; border-left: 3px solid #f0b400; padding: 4px 8px; margin: 6px 0 0; font-size: 0.92em; }
@media (max-width: 600px) { body { font-size: 15px; } main { padding: 4px 8px 32px; } }
"""


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def month_entries(out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """One entry per ``out_dir/YYYY-MM/`` holding an ``index.html`` and a readable
    ``metrics.json``, newest first: ``month``, ``metrics``, ``changes`` (the snapshot comparison
    the last render recorded, if any)."""
    out = []
    for folder in sorted(Path(out_dir).glob("*"), reverse=True):
        if not (folder.is_dir() and _MONTH_DIR.match(folder.name) and (folder / "index.html").exists()):
            continue
        metrics = _read(folder / "metrics.json")
        if metrics is None:
            continue
        out.append({"month": folder.name, "metrics": metrics,
                    "changes": (metrics.get("snapshot") or {}).get("changes") or [],
                    "has_snapshot": (folder / SNAPSHOT_NAME).exists()})
    return out


def trend_chart(trend: list[dict[str, Any]], latest: str) -> str | None:
    """The equal-age trend as an inline PNG ``<img>`` (None with fewer than two months)."""
    if len(trend) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker

    setup_fonts()
    labels = [t["month"][2:].replace("-", ".") for t in trend]
    rates = [t["refund_rate"] for t in trend]
    fig, ax = plt.subplots(figsize=(5.0, 2.6), dpi=150)
    ax.plot(labels, rates, marker="o", color="#4c72b0")
    for x, y in zip(labels, rates):
        ax.annotate(f"{y:.1%}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=10)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylim(0, max(rates) * 1.25)
    ax.grid(axis="y", color="#e5e5e5")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=10)
    ax.set_title(f"退款率（支付口径）：各月按 {latest} 的同龄比较", fontsize=11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="近 12 个月同龄退款率趋势"/>'


def _entry_html(entry: dict[str, Any]) -> str:
    m, month = entry["metrics"], entry["month"]
    e = html_lib.escape
    summary = m.get("summary") or {}
    kpis = {k["key"]: k for k in summary.get("kpis") or []}
    cv = m.get("cohort_view") or {}
    rate = kpis.get("refund_rate_count") or {"value": cv.get("refund_rate_count"), "change": None}
    change = ""
    if rate.get("change") is not None:
        tone = ("up" if rate["change"] > 0 else "down") if rate.get("significant") else "flat"
        verdict = "超出正常波动" if rate.get("significant") else "在正常波动内"
        change = (f' <span class="{tone}">较上月同龄 {e(points_text(rate["change"]))}（{verdict}）</span>')
    figs = [f'<span class="fig">退款率 <b>{e(pct(rate.get("value")))}</b>{change}</span>']
    apps = kpis.get("applications")
    if apps:
        figs.append(f'<span class="fig">售后申请 <b>{int(apps["value"]):,}</b></span>')
    amount = kpis.get("application_refund_amount")
    if amount:
        figs.append(f'<span class="fig">退款金额 <b>{e(money(amount["value"]))}</b></span>')
    as_of = (m.get("as_of") or "")[:10]
    tag = ' <span class="tag">暂估</span>' if cv.get("provisional") else ""
    sentences = summary.get("sentences") or []
    line = f'<p class="line">{e(sentences[1] if len(sentences) > 1 else (sentences or [""])[0])}</p>'
    changed = ""
    if entry["changes"]:
        items = "；".join(f"{c['label']} {c['before_text']} → {c['after_text']}" for c in entry["changes"][:4])
        changed = f'<p class="changed">与存档（已结月）相比有变化：{e(items)}</p>'
    return (f'<section class="month"><h2><a href="{month}/index.html">{month}</a>{tag}</h2>'
            f'<div class="sub">数据截至 {e(as_of)}</div><div class="figs">{"".join(figs)}</div>{line}{changed}'
            "</section>")


def render_index(entries: list[dict[str, Any]], title: str = "抖店退货分析月报",
                 font_cache: str | os.PathLike | None = None) -> str:
    """The page for ``entries`` (:func:`month_entries`); ``font_cache`` as for
    :func:`~returns_kit.fonts.cjk_font_face`."""
    latest = entries[0] if entries else None
    trend = ((latest["metrics"].get("summary") or {}).get("trend") or []) if latest else []
    chart = trend_chart(trend, latest["month"]) if latest else None
    months = "".join(_entry_html(x) for x in entries) or '<p class="sub">还没有生成任何月份的报告。</p>'
    note = ("<p class='sub'>趋势图中每个月都截到与最新月份相同的“月末后天数”，"
            "未成熟的最新月份不会显得比已成熟的月份好。</p>" if chart else "")
    page = (f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"/>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f"<title>{html_lib.escape(title)}</title><style>{_CSS}</style></head><body><main>"
            f"<h1>{html_lib.escape(title)}</h1><p class='sub'>共 {len(entries)} 个月，最新在前。</p>"
            f"{chart or ''}{note}{months}</main></body></html>\n")
    return embed_cjk_font(page, font_cache)


def write_index(out_dir: str | os.PathLike, title: str = "抖店退货分析月报",
                font_cache: str | os.PathLike | None = None) -> Path:
    """Rewrite ``out_dir/index.html`` from the months found there, atomically."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(folder / INDEX_NAME, render_index(month_entries(folder), title, font_cache))
