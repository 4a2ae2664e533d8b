"""Realistic sample 抖店 exports with planted signals (``returns-kit sample``).

:func:`generate` writes files that look like what the 抖店 backend hands a merchant (see
``shared/reference/doudian_exports.md`` §1–2 and §5):

* ``订单导出_YYYYMMDD_HHMMSS.csv`` — one order export per month (by 订单提交时间), CSV, UTF-8 with
  BOM, the 75 columns of :data:`~returns_kit.model.RAW_ORDER_HEADERS`, one row per 子订单.  The
  first month uses the older layout (``商品名称 / 商品规格 / 商品单价``).
* ``售后单导出-YYYY-MM-DD-HH-MM-SS.xlsx`` — one 售后 export per application month (售后申请时间),
  sheet ``Sheet1``, the 50 columns of :data:`~returns_kit.model.RAW_AFTER_SALE_HEADERS`, every cell
  a text string.  The month after the last month is exported up to the export date; the last
  month is exported as two overlapping batches downloaded on different days (newest wins).
* ``interventions.csv`` and ``catalog.csv`` in ``external_dir`` (the analyst's own files).
* ``抖音电商罗盘-退款分析-YYYY_MM_DD.xlsx`` in ``external_dir`` — one 罗盘 退款分析 download per
  month (sheet 本店数据, 退款口径 订单支付时间, ``¥1,234.50`` / ``12.34%`` strings), counted the
  way 罗盘 counts (主订单, 退款金额 incl. 退运费) at an earlier cutoff than the kit's export (the
  last month's a day before it), and one day of the last month showing 暂无数据 (see
  ``PLANTED["luopan"]``).
* ``蝉妈妈-商品退货率-YYYY-MM.csv`` in ``external_dir`` — own and competitor products with
  category, price and 退货率 (see ``PLANTED["competitor"]``).

The data carry the signals listed in :data:`PLANTED` (a high-return product, a region, a carrier
with damage returns, a spike day, an intervention with controls, a creator, a one-day surge of
applications from one product batch) plus the data-quality edge cases a loader must survive
(overlapping batches, ``-`` in money columns, an 18-digit 售后单号, trailing spaces, after-sales
whose order is not in the exports, two rows mangled by Excel).

And the data are as hard as a real month (see :mod:`.simulate`): daily refund counts are
overdispersed (traffic mix, live sessions, promotions, a day-level random effect), products drift
slowly, refunds arrive by type-specific delays — and the "export date" is the last month's end +
``export_lag_days`` (8) days, as when a merchant pulls last month's data in the first week of the
next: the last month is immature, its late cohorts' returns are still on their way and many
after-sales are still 处理中.

Everything is deterministic for a given seed: no wall clock, no hash-order dependence.

Where things are:

* :mod:`.scenario` — what the sample month *is*: the catalog, creators, provinces, carriers,
  reasons and notes, what moves a day's refund propensity, and the planted signals
  (:func:`planted_for`, :data:`PLANTED`, :func:`as_of_for`); pure data.
* :mod:`.simulate` — the simulation: :func:`~.simulate.simulate` draws orders, sub-orders and
  after-sales with their lifecycles into a :class:`~.simulate.SimulatedSample` (in memory, with
  the truth the files do not show: after-sales still to come, the day plan, the drift);
  :func:`~.simulate.surge_figures` reads the surge off it.
* :mod:`.exports` — rendering those records as the 抖店 / 罗盘 / 蝉妈妈 files and writing them.
* here — :func:`generate`, which runs the one after the other.

Example::

    from returns_kit.sample import generate, PLANTED
    paths = generate("data/raw", ["2026-08", "2026-09", "2026-10"], seed=7,
                     external_dir="data/external")
    PLANTED["product"]["product_name"]      # '法式碎花连衣裙'
"""

from __future__ import annotations

from pathlib import Path

from .exports import (
    write_after_sale_exports,
    write_analyst_files,
    write_competitor_table,
    write_luopan_downloads,
    write_order_exports,
)
from .scenario import (
    CATALOG,
    CREATORS,
    DEFAULT_MONTHS,
    EXPORT_LAG_DAYS,
    PLANTED,
    REPEAT_BUYER_SHARE,
    TARGET_PAID_SUB_ORDERS,
    Product,
    as_of_for,
    parse_month,
    planted_for,
)
from .simulate import simulate, surge_figures

__all__ = [
    "CATALOG",
    "CREATORS",
    "DEFAULT_MONTHS",
    "EXPORT_LAG_DAYS",
    "PLANTED",
    "REPEAT_BUYER_SHARE",
    "TARGET_PAID_SUB_ORDERS",
    "Product",
    "as_of_for",
    "generate",
    "planted_for",
    "simulate",
    "surge_figures",
]


def generate(out_dir, months: list[str] | tuple[str, ...] = DEFAULT_MONTHS, seed: int = 7,
             external_dir=None, *, export_lag_days: int = EXPORT_LAG_DAYS) -> list[Path]:
    """Write realistic 抖店 sample exports for ``months`` (``["2026-08", …]``) into ``out_dir``.

    Returns the paths written (order CSVs, after-sale XLSX files, then the analyst's
    ``interventions.csv`` / ``catalog.csv``, the 罗盘 downloads and the 蝉妈妈 table when
    ``external_dir`` is given).  Same seed → same
    bytes.  The planted signals are described by :func:`planted_for` (``PLANTED`` for the default
    months).  The data are pulled ``export_lag_days`` (≥ 2) days after the last month ends.

    >>> paths = generate("data/raw", ["2026-09", "2026-10"], seed=7)  # doctest: +SKIP
    """
    months = [str(m).strip() for m in months if str(m).strip()]
    if not months:
        raise ValueError("generate() needs at least one month like 2026-10")
    for m in months:
        parse_month(m)
    if isinstance(export_lag_days, bool) or not isinstance(export_lag_days, int) or export_lag_days < 2:
        raise ValueError(f"export_lag_days must be a whole number of days ≥ 2, got {export_lag_days!r}")
    sample = simulate(months, seed, export_lag_days)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # this order matters: the after-sale rows draw from sample.text_rng
    paths = write_order_exports(sample, out) + write_after_sale_exports(sample, out)
    if external_dir is not None:
        ext = Path(external_dir)
        ext.mkdir(parents=True, exist_ok=True)
        paths += write_analyst_files(sample, ext)
        paths += write_luopan_downloads(sample, ext)
        paths += write_competitor_table(sample, ext)
    return paths
