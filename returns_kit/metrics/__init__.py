"""Return metrics (DESIGN.md §4): canonical tables in, DataFrames and dicts out — never a path.

Month M is a natural month in Beijing time, written ``"YYYY-MM"``.  Two ways to count a month:

* **application view** (申请口径, the article's 自然月 pull): after-sales whose 售后申请时间 is in M;
* **cohort view** (支付口径, 罗盘 “支付时间”): sub-orders whose 支付完成时间 is in M are the
  denominator; their after-sales count whenever they were applied (also in later months).

Every rate is a fraction (0.153), computed per 子订单: a sub-order with two after-sales counts once.
Each function's docstring is the definition the report paraphrases in Chinese.  The topic
modules, behind this flat namespace (``rk.metrics.cohort_view`` …):

* :mod:`.outcomes` — :func:`sub_order_outcomes` (one row per paid sub-order; its added columns alone,
  :func:`outcome_columns`, and back on the orders, :func:`with_outcomes`), :func:`cohort`;
* :mod:`.views` — chapter 1: application and cohort views, by 售后类型 × status, coverage;
* :mod:`.ranking` — :func:`rate_table`, the Wilson ranking every breakdown uses;
* :mod:`.products`, :mod:`.regions`, :mod:`.customers`, :mod:`.logistics`, :mod:`.creators`,
  :mod:`.time` — chapter 3's breakdowns (and chapter 5's product × province grid and trend);
* :mod:`.clocks` — refunds per day on 罗盘's two clocks (chapter 2);
* :mod:`.settings` — :func:`report_settings`; :mod:`.definitions` — chapter 1's definitions.
"""

from ..core.periods import (MATURITY_DAYS, cohort_maturity, data_as_of, in_month, month_bounds,
                            month_days, previous_month, promotion_days)
from ..core.stats import wilson_interval
from ..io.external import PROMOTION_COLUMNS, load_promotions
from .clocks import KIT_COLUMNS, kit_daily, refund_clocks
from .creators import NO_CREATOR, UNKNOWN_SOURCE, creators, traffic
from .customers import BUYER_TYPES, buyer_types, customer_types
from .definitions import DEFINITION_FUNCTIONS, DEFINITIONS_ZH, definitions_table
from .logistics import carriers, damage_cells, damage_matrix, lag_summary, ship_apply_lags
from .outcomes import (DETAIL_COLUMNS, cohort, known_at, outcome_columns, refund_details, refund_success_time,
                       sub_order_outcomes, with_outcomes)
from .products import (PRICE_BANDS, category_rates, price_band, price_band_labels, price_band_rates,
                       product_names, top_products, unit_price)
from .ranking import MIN_ORDERS, fill_segments, rate_table
from .regions import cities, heatmap_note, heatmap_table, provinces
from .settings import REPORT_DEFAULTS, report_settings
from .time import REGULAR_DAYS, WEEKDAYS_ZH, daily, promotion_rates, trend_table, weekday_pattern, weekly
from .views import (STATUS_GROUP_ORDER, TYPE_ORDER, application_table, application_view, applications,
                    cohort_after_sales, cohort_status_view, cohort_table, cohort_view, coverage,
                    coverage_summary, reason_breakdown, views_by_type)

__all__ = [
    "MATURITY_DAYS", "MIN_ORDERS", "PRICE_BANDS", "REPORT_DEFAULTS", "TYPE_ORDER",
    "STATUS_GROUP_ORDER", "BUYER_TYPES", "NO_CREATOR", "UNKNOWN_SOURCE", "REGULAR_DAYS",
    "WEEKDAYS_ZH", "KIT_COLUMNS", "PROMOTION_COLUMNS", "DEFINITIONS_ZH", "DEFINITION_FUNCTIONS",
    "month_bounds", "month_days", "previous_month", "in_month", "data_as_of", "cohort_maturity",
    "wilson_interval", "sub_order_outcomes", "outcome_columns", "with_outcomes", "cohort", "known_at",
    "refund_success_time", "refund_details", "DETAIL_COLUMNS",
    "applications", "application_view",
    "application_table", "cohort_view", "cohort_after_sales", "cohort_status_view", "cohort_table",
    "views_by_type", "coverage", "coverage_summary", "reason_breakdown", "rate_table",
    "fill_segments", "price_band_labels", "price_band", "unit_price", "product_names",
    "price_band_rates", "top_products", "category_rates", "provinces", "cities", "heatmap_table",
    "heatmap_note", "buyer_types", "customer_types", "carriers", "damage_cells", "damage_matrix",
    "ship_apply_lags", "lag_summary", "creators", "traffic", "daily", "weekly", "weekday_pattern",
    "promotion_rates", "trend_table", "load_promotions", "promotion_days", "kit_daily",
    "refund_clocks", "report_settings", "definitions_table",
]
