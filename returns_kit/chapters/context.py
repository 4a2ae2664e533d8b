"""The month's context, built once per notebook: the data, the month, the settings and every
other input a chapter may need.

A chapter never sees a folder path (kedro's rule: a node gets data, not locations).  The context
knows the folders; the core inputs are read when it is built, the optional ones (tag rules,
promotion calendar, 罗盘 downloads …) on first use, each exactly once.  A test or an analyst can
build a context from frames in memory with :meth:`Context.of`, handing in any optional input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from .. import anomaly, costs, interventions, summary
from ..config import load_yaml
from ..core.periods import data_as_of, months_back_from, parse_month, promotion_day_set
from ..core.taxonomy import Taxonomy, load_taxonomy
from ..io import (Dataset, Intervention, inventory, load, load_benchmarks, load_catalog,
                  load_interventions, load_luopan, load_promotions, load_third_party)
from ..messages import load_alert_config
from ..metrics import REPORT_DEFAULTS, report_settings, sub_order_outcomes, top_products
from ..tags import Tagger, load_tagger, tag_after_sales

__all__ = ["Context", "build_context", "PROMOTION_LOOKBACK_MONTHS"]

#: months of promotion calendar the anomaly baselines look back over (this month + 12)
PROMOTION_LOOKBACK_MONTHS = 13


@dataclass(repr=False)
class Context:
    """Everything the chapters of one month read.

    ``data`` the loaded exports; ``settings`` ``report.yml``; ``taxonomy`` ``reasons.yml``;
    ``catalog`` the analyst's product catalog; ``outcomes`` one row per paid sub-order
    (:func:`returns_kit.metrics.sub_order_outcomes`); ``as_of`` when the data was exported.
    The other inputs are properties, loaded on first use.
    """

    month: str
    data: Dataset
    settings: dict[str, Any]
    taxonomy: Taxonomy
    catalog: pd.DataFrame
    outcomes: pd.DataFrame
    as_of: pd.Timestamp
    conf_dir: Path | None = None
    external_dir: Path | None = None
    given: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.given) - _OPTIONAL)
        if unknown:
            raise TypeError(f"unknown context input(s): {', '.join(unknown)}")
        self.__dict__.update(self.given)  # cached properties read their value from here first

    def __repr__(self) -> str:
        return (f"Context(month={self.month!r}, as_of={self.as_of}, "
                f"paid_sub_orders={len(self.outcomes):,}, after_sales={len(self.data.after_sales):,})")

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
            month=parse_month(month), data=data,
            settings={**REPORT_DEFAULTS, **(settings or {})}, taxonomy=taxonomy, catalog=catalog,
            outcomes=sub_order_outcomes(data.orders, data.after_sales, taxonomy),
            as_of=data_as_of(data.orders, data.after_sales),
            conf_dir=conf, external_dir=Path(external_dir) if external_dir is not None else None,
            given=given,
        )

    # -- derived once, used by several chapters -----------------------------------------------
    @cached_property
    def top_products(self) -> pd.DataFrame:
        """The month's 20 riskiest products, ranked with the report settings and the catalog:
        chapter 3 shows them, chapter 4 tags them."""
        return top_products(self.outcomes, self.month, n=20, min_orders=self.settings["min_orders"],
                            catalog=self.catalog, price_bands=self.settings["price_bands"])

    @cached_property
    def tagged(self) -> pd.DataFrame:
        """The month's after-sales with their custom tags (:func:`returns_kit.tags.tag_after_sales`):
        chapter 4 shows them, the summary reads the hidden quality returns from them."""
        return tag_after_sales(self.data.after_sales, self.month, self.tagger)

    @cached_property
    def monitoring(self) -> anomaly.Detection:
        """The month on both clocks (:func:`returns_kit.anomaly.detect` with ``alerts.yml``'s
        settings, the promotion calendar and the export time): chapter 5 shows it, ``returns-kit
        alerts`` pushes it, the summary lists its pushed alerts."""
        return anomaly.detect(self.outcomes, self.data.after_sales, self.month, self.as_of,
                              self.promotion_days, self.detection, self.taxonomy)

    @cached_property
    def intervention_results(self) -> list[dict[str, Any]]:
        """Each intervention started by the month's end, evaluated
        (:func:`returns_kit.interventions.evaluate` with ``experiments.yml``): chapter 8 shows them,
        the summary gives their verdicts."""
        items = interventions.started_by(self.interventions, self.month)
        return [interventions.evaluate(self.outcomes, item, as_of=self.as_of, month=self.month,
                                       **self.intervention_settings) for item in items]

    @cached_property
    def month_pair(self) -> summary.MonthPair:
        """This month and last month at the same cohort age (:func:`returns_kit.summary.month_pair`)."""
        return summary.month_pair(self.data.orders, self.data.after_sales, self.outcomes, self.taxonomy,
                                  self.month, self.as_of)

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


#: the inputs a context loads on first use (and :meth:`Context.of` accepts)
_OPTIONAL = frozenset(name for name, value in vars(Context).items() if isinstance(value, cached_property))


def build_context(month: str, *, raw_dir: str | Path, external_dir: str | Path | None,
                  processed_dir: str | Path, conf_dir: str | Path) -> Context:
    """Load the month: the exports of ``raw_dir`` (through the Parquet cache of
    ``processed_dir``), ``report.yml`` and ``reasons.yml`` of ``conf_dir``, the catalog of
    ``external_dir``; the other inputs are read from those folders on first use."""
    month = parse_month(month)
    conf = Path(conf_dir)
    data = load(raw_dir, processed_dir, conf_dir=conf)
    taxonomy = load_taxonomy(conf)
    external = Path(external_dir) if external_dir is not None else None
    catalog = load_catalog(external)
    return Context(
        month=month, data=data, settings=report_settings(conf), taxonomy=taxonomy, catalog=catalog,
        outcomes=sub_order_outcomes(data.orders, data.after_sales, taxonomy),
        as_of=data_as_of(data.orders, data.after_sales), conf_dir=conf, external_dir=external,
    )
