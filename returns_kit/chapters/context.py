"""The month's context, built once per notebook: the data, the month, the settings and every
other input a chapter may need.

A chapter never sees a folder path (kedro's rule: a node gets data, not locations).  The context
knows the folders; the settings are read when it is built, everything else (the tables, the
outcomes, tag rules, promotion calendar, 罗盘 downloads …) on first use, each exactly once.  A
report run's context keeps what it computes beside the Parquet cache (:mod:`returns_kit.core.store`),
so the next kernel, and the next run on the same inputs, reads it back instead.  A test or an
analyst can build a context from frames in memory with :meth:`Context.of`, handing in any
optional input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from .. import anomaly, costs, interventions, summary
from ..config import load_yaml
from ..core.periods import data_as_of, months_back_from, parse_month, promotion_day_set
from ..core.store import Store, open_store, store_key
from ..core.taxonomy import Taxonomy, load_taxonomy
from ..io import (Dataset, Intervention, cached_manifest, frame_columns, inventory, load, load_benchmarks,
                  load_catalog, load_interventions, load_luopan, load_promotions, load_third_party)
from ..messages import load_alert_config
from ..reasons import reason_mismatches
from ..metrics import REPORT_DEFAULTS, outcome_columns, report_settings, top_products, with_outcomes
from ..tags import Tagger, load_tagger, tag_after_sales

__all__ = ["Context", "build_context", "PROMOTION_LOOKBACK_MONTHS", "STORE_DIR", "UNREAD_ORDER_COLUMNS"]

#: the folder of ``processed_dir`` where the months' kept results live
STORE_DIR = "context"

#: months of promotion calendar the anomaly baselines look back over (this month + 12)
PROMOTION_LOOKBACK_MONTHS = 13

#: the order columns no chapter reads: a context leaves them in the Parquet cache (40% of the
#: orders table's memory at the export limits, and of every frame built from it, the outcomes
#: first).  ``returns_kit.load`` still gives them all to an analyst.
UNREAD_ORDER_COLUMNS = frozenset({
    "pay_method", "sku_spec", "item_code", "merchant_sku_code", "submit_time", "promised_ship_time",
    "app_channel", "order_status_raw", "cancel_reason", "after_sale_status_raw", "order_type",
    "shipping_fee", "discount_total", "platform_discount", "merchant_discount", "creator_discount",
    "district", "logistics_info", "store_id", "warehouse_name", "is_anxin", "ad_channel", "tracking_no",
    "source_file", "source_row",
})


def _kept(compute: Callable[["Context"], Any]) -> cached_property:
    """A derived input computed once per context and, when the context has a :class:`Store`
    (a report run, a notebook's ``setup``), once per inputs: read back by every later kernel
    and run until an input, a setting or the kit changes."""
    def get(self: "Context") -> Any:
        return self.keep(compute.__name__, lambda: compute(self))

    get.__name__, get.__doc__ = compute.__name__, compute.__doc__
    return cached_property(get)


@dataclass(repr=False)
class Context:
    """Everything the chapters of one month read.

    ``settings`` ``report.yml``; ``taxonomy`` ``reasons.yml``; ``catalog`` the analyst's product
    catalog.  The rest are properties, each loaded or computed on first use: ``data`` the loaded
    exports (the Parquet cache of ``raw_dir`` in ``processed_dir``), ``outcomes`` one row per paid
    sub-order (:func:`returns_kit.metrics.sub_order_outcomes`), ``as_of`` when the data was
    exported, the derived inputs several chapters share and the optional inputs of ``conf_dir``
    and ``external_dir``.  A kernel whose chapter was kept (:func:`~.base.kept`) reads none of them.
    """

    month: str
    settings: dict[str, Any]
    taxonomy: Taxonomy
    catalog: pd.DataFrame
    conf_dir: Path | None = None
    external_dir: Path | None = None
    raw_dir: Path | None = None
    processed_dir: Path | None = None
    given: dict[str, Any] = field(default_factory=dict)
    store: Store | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.given) - _OPTIONAL)
        if unknown:
            raise TypeError(f"unknown context input(s): {', '.join(unknown)}")
        self.__dict__.update(self.given)  # cached properties read their value from here first

    def keep(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, or the result ``name`` kept in this context's store for the same
        inputs and the same ``settings`` (a notebook that changes ``ctx.settings`` gets results
        of its own settings, never those of the report's); no store → computed."""
        if self.store is None:
            return compute()
        digest = hashlib.sha256(repr(sorted(self.settings.items())).encode()).hexdigest()[:12]
        return self.store.get(f"{name}.{digest}", compute)

    def __repr__(self) -> str:
        loaded = self.__dict__
        sizes = "".join(f", {label}={len(value):,}" for label, value in (
            ("paid_sub_orders", loaded.get("outcomes")),
            ("after_sales", getattr(loaded.get("data"), "after_sales", None))) if value is not None)
        return f"Context(month={self.month!r}{sizes})"

    @classmethod
    def of(cls, month: str, data: Dataset, *, settings: dict[str, Any] | None = None,
           taxonomy: Taxonomy | None = None, catalog: pd.DataFrame | None = None,
           conf_dir: str | Path | None = None, external_dir: str | Path | None = None,
           **given: Any) -> "Context":
        """A context from a :class:`~returns_kit.io.Dataset` in memory: ``settings`` default to
        :data:`~returns_kit.metrics.REPORT_DEFAULTS`, the taxonomy to ``conf_dir``'s; optional
        inputs (``tagger=…``, ``promotions=…``, ``luopan=…`` …) may be handed in."""
        conf = Path(conf_dir) if conf_dir is not None else None
        taxonomy = taxonomy if taxonomy is not None else load_taxonomy(conf or "conf")
        catalog = catalog if catalog is not None else load_catalog(None)
        return cls(
            month=parse_month(month), settings={**REPORT_DEFAULTS, **(settings or {})},
            taxonomy=taxonomy, catalog=catalog, conf_dir=conf,
            external_dir=Path(external_dir) if external_dir is not None else None,
            given={"data": data, **given},
        )

    # -- the month's tables -----------------------------------------------------------------------
    @cached_property
    def data(self) -> Dataset:
        """The exports of ``raw_dir``, from the Parquet cache of ``processed_dir``; the orders
        without the :data:`UNREAD_ORDER_COLUMNS`."""
        if self.raw_dir is None or self.processed_dir is None:
            raise TypeError("a context without data needs raw_dir and processed_dir")
        return _load(self.raw_dir, self.processed_dir, self._conf)

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per paid sub-order with its refund outcome (:func:`returns_kit.metrics.sub_order_outcomes`).
        Only the outcome columns are kept (:func:`~returns_kit.metrics.outcome_columns`); a kernel
        reading them back puts them on its own orders table, whose columns it then shares."""
        orders = self.data.orders
        added = self.keep("outcomes", lambda: outcome_columns(orders, self.data.after_sales, self.taxonomy))
        return with_outcomes(orders, added)

    @_kept
    def as_of(self) -> pd.Timestamp:
        """When the data was exported (:func:`returns_kit.core.periods.data_as_of`)."""
        return data_as_of(self.data.orders, self.data.after_sales)

    # -- derived once, used by several chapters -----------------------------------------------
    @_kept
    def top_products(self) -> pd.DataFrame:
        """The month's 20 riskiest products, ranked with the report settings and the catalog:
        chapter 3 shows them, chapter 4 tags them."""
        return top_products(self.outcomes, self.month, n=20, min_orders=self.settings["min_orders"],
                            catalog=self.catalog, price_bands=self.settings["price_bands"])

    @_kept
    def tagged(self) -> pd.DataFrame:
        """The month's after-sales with their custom tags (:func:`returns_kit.tags.tag_after_sales`):
        chapter 4 shows them, the summary reads the hidden quality returns from them."""
        return tag_after_sales(self.data.after_sales, self.month, self.tagger)

    @_kept
    def mismatches(self) -> pd.DataFrame:
        """The month's hidden quality returns (:func:`returns_kit.reasons.reason_mismatches` of
        :attr:`tagged`): chapter 4 lists them, the summary counts them.  Kept, so the summary's
        kernel never loads the tagger and fits its model for a count."""
        return reason_mismatches(self.tagged, self.taxonomy, self.tagger)

    @_kept
    def monitoring(self) -> anomaly.Detection:
        """The month on both clocks (:func:`returns_kit.anomaly.detect` with ``alerts.yml``'s
        settings, the promotion calendar and the export time): chapter 5 shows it, ``returns-kit
        alerts`` pushes it, the summary lists its pushed alerts."""
        return anomaly.detect(self.outcomes, self.data.after_sales, self.month, self.as_of,
                              self.promotion_days, self.detection, self.taxonomy)

    @_kept
    def intervention_results(self) -> list[dict[str, Any]]:
        """Each intervention started by the month's end, evaluated
        (:func:`returns_kit.interventions.evaluate` with ``experiments.yml``): chapter 8 shows them,
        the summary gives their verdicts."""
        items = interventions.started_by(self.interventions, self.month)
        return [interventions.evaluate(self.outcomes, item, as_of=self.as_of, month=self.month,
                                       **self.intervention_settings) for item in items]

    # -- conf/ ------------------------------------------------------------------------------
    @property
    def _conf(self) -> Path:
        return self.conf_dir if self.conf_dir is not None else Path("conf")

    @cached_property
    def tagger(self) -> Tagger:
        """Custom tag rules (``tags.yml``)."""
        return load_tagger(self._conf)

    @cached_property
    def promotions(self) -> pd.DataFrame:
        """The promotion calendar (``promotions.csv``)."""
        return load_promotions(self._conf)

    @cached_property
    def promotion_days(self) -> set[pd.Timestamp]:
        """Promotion days of this month and the 12 before it (the anomaly baselines look back)."""
        return promotion_day_set(self.promotions, months_back_from(self.month, PROMOTION_LOOKBACK_MONTHS))

    @cached_property
    def alerts_conf(self) -> dict[str, Any]:
        """All of ``alerts.yml`` (detection, trend, heatmap, alerts sections)."""
        return load_yaml("alerts.yml", self._conf)

    @cached_property
    def detection(self) -> anomaly.DetectionSettings:
        """The anomaly rules' settings (``alerts.yml`` → ``detection``)."""
        return anomaly.DetectionSettings.from_conf(self.alerts_conf.get("detection", {}) or {})

    @cached_property
    def alert_settings(self) -> dict[str, Any]:
        """What is pushed and how the message reads (``alerts.yml`` → ``alerts``; no secrets)."""
        return load_alert_config(self._conf)

    @cached_property
    def benchmarks(self) -> pd.DataFrame:
        """Industry reference rates (``benchmarks.csv``)."""
        return load_benchmarks(self._conf)

    @cached_property
    def cost_params(self) -> dict[str, Any]:
        """The cost model's parameters (``costs.yml``)."""
        return costs.load_params(self._conf)

    @cached_property
    def action_rules(self) -> dict[str, Any]:
        """The summary's suggested-action rules (``actions.yml``)."""
        return summary.load_action_rules(self._conf)

    @cached_property
    def intervention_settings(self) -> dict[str, Any]:
        """Chapter 8's settings (``experiments.yml``)."""
        return interventions.load_settings(self._conf)

    # -- data/external ------------------------------------------------------------------------
    @cached_property
    def interventions(self) -> list[Intervention]:
        """The analyst's interventions (``interventions.csv``); none without a folder."""
        return load_interventions(self.external_dir)

    @cached_property
    def luopan(self) -> pd.DataFrame:
        """The 罗盘 退款分析 downloads (empty without any)."""
        return load_luopan(self.external_dir, self._conf)

    @cached_property
    def third_party(self) -> pd.DataFrame:
        """Third-party product tables (蝉妈妈, 飞瓜 …; empty without any)."""
        return load_third_party(self.external_dir, self._conf)

    @cached_property
    def external_files(self) -> pd.DataFrame:
        """Every file of ``data/external`` and what it was recognised as."""
        return inventory(self.external_dir, self._conf)


def _load(raw_dir: str | Path, processed_dir: str | Path, conf_dir: Path) -> Dataset:
    """The exports as a context reads them: through the cache, orders without the unread columns."""
    return load(raw_dir, processed_dir, conf_dir=conf_dir,
                order_columns=[c for c in frame_columns("orders") if c not in UNREAD_ORDER_COLUMNS])


#: the inputs a context loads on first use (and :meth:`Context.of` accepts)
_OPTIONAL = frozenset(name for name, value in vars(Context).items() if isinstance(value, cached_property))


def build_context(month: str, *, raw_dir: str | Path, external_dir: str | Path | None,
                  processed_dir: str | Path, conf_dir: str | Path, keep: tuple | None = None) -> Context:
    """The month's context: ``report.yml`` and ``reasons.yml`` of ``conf_dir``, the catalog of
    ``external_dir``, and the exports of ``raw_dir`` through the Parquet cache of
    ``processed_dir`` (ingested now when the cache is not current, so bad input fails here); the
    other inputs are read from those folders on first use.

    ``keep``: what identifies the inputs (the folders' files, see
    :func:`~returns_kit.chapters.notebook.folder_fingerprint`).  Given it, the outcomes, the
    derived inputs and the chapters are kept in ``processed_dir/context/<month>/<key>``
    (:mod:`returns_kit.core.store`) under a key of ``keep``, the cache manifest and the kit's
    code, and read back from there: the tables are then only loaded when something is computed."""
    month = parse_month(month)
    conf = Path(conf_dir)
    given: dict[str, Any] = {}
    manifest = cached_manifest(raw_dir, processed_dir, conf_dir=conf)
    if manifest is None or keep is None:
        given["data"] = _load(raw_dir, processed_dir, conf)
        manifest = manifest or cached_manifest(raw_dir, processed_dir, conf_dir=conf)
    store = None
    if keep is not None and manifest is not None:
        store = open_store(Path(processed_dir) / STORE_DIR, month, store_key(month, keep, manifest))
    external = Path(external_dir) if external_dir is not None else None
    return Context(
        month=month, settings=report_settings(conf), taxonomy=load_taxonomy(conf),
        catalog=load_catalog(external), conf_dir=conf, external_dir=external,
        raw_dir=Path(raw_dir), processed_dir=Path(processed_dir), given=given, store=store,
    )
