"""Former name of :mod:`returns_kit.interventions` (chapter 8), kept so that the
``rk.experiments.*`` names of earlier notebooks keep working."""

from .core.stats import clustered_did_test, did_test, two_proportion_test
from .display import p_text, points_text
from .interventions import (DEFAULT_SETTINGS, KEEP_TESTING, RECOMMENDATION_RULES_ZH, ROLL_OUT, STOP,
                            before_after, evaluate, for_display, headline, load_settings, placebo_rank,
                            placebos, product_days, recommend, started_by, summary, tests_table, windows)
from .io.external import INTERVENTION_COLUMNS, Intervention, load_interventions

__all__ = [
    "DEFAULT_SETTINGS", "KEEP_TESTING", "RECOMMENDATION_RULES_ZH", "ROLL_OUT", "STOP",
    "INTERVENTION_COLUMNS", "Intervention", "load_interventions", "load_settings",
    "two_proportion_test", "did_test", "clustered_did_test", "product_days", "placebos", "placebo_rank",
    "windows", "before_after", "recommend", "evaluate",
    "tests_table", "started_by", "headline", "for_display", "summary", "p_text", "points_text",
]
