"""The reason taxonomy: the platform's 售后原因 texts mapped to categories.

The taxonomy is data, not code: ``conf/base/reasons.yml`` (overridable in ``conf/local``) lists
every platform reason text (and older texts as aliases) with its category and two flags —
``damage`` (transit damage, 破损) and ``no_reason`` (a reason that blames nobody: 多拍 / 不想要 …).
``quality_categories`` are the categories counted in 品退率.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import require_yaml

__all__ = ["Taxonomy", "load_taxonomy", "normalize_reason"]

_SPACES = re.compile(r"\s+")


def normalize_reason(text: str) -> str:
    """Reason text as compared: NFKC (／ → /), no spaces — "多拍 / 错拍" == "多拍/错拍"."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text)))


@dataclass
class Taxonomy:
    """Reason text → category, plus the flags the metrics need."""

    categories: list[str]
    quality_categories: list[str]
    unknown_category: str = "未归类"
    category_of: dict[str, str] = field(default_factory=dict)  # normalised text → category
    damage: set[str] = field(default_factory=set)  # normalised texts flagged damage
    no_reason: set[str] = field(default_factory=set)  # normalised texts flagged no_reason

    @classmethod
    def from_dict(cls, conf: dict) -> "Taxonomy":
        tax = cls(
            categories=list(conf.get("categories", [])),
            quality_categories=list(conf.get("quality_categories", [])),
            unknown_category=conf.get("unknown_category", "未归类"),
        )
        for entry in [*conf.get("reasons", []), *conf.get("aliases", [])]:
            key = normalize_reason(entry["text"])
            tax.category_of[key] = entry["category"]
            if entry.get("damage"):
                tax.damage.add(key)
            if entry.get("no_reason"):
                tax.no_reason.add(key)
        return tax

    def _keys(self, reasons: pd.Series) -> pd.Series:
        # each distinct text normalised once (a month repeats a few dozen reasons)
        codes, uniques = pd.factorize(reasons.astype("object"))
        keys = np.array([*(normalize_reason(t) if isinstance(t, str) else None for t in uniques), None],
                        dtype=object)
        return pd.Series(keys[codes], index=reasons.index, name=reasons.name, dtype=object)

    def categorize(self, reasons: pd.Series) -> pd.Series:
        """Category of each reason text; unlisted texts (and blanks) → ``unknown_category``."""
        return self._keys(reasons).map(self.category_of).fillna(self.unknown_category)

    def is_damage(self, reasons: pd.Series) -> pd.Series:
        return self._keys(reasons).isin(self.damage)

    def is_no_reason(self, reasons: pd.Series) -> pd.Series:
        return self._keys(reasons).isin(self.no_reason)


def load_taxonomy(conf_dir: str | Path = "conf") -> Taxonomy:
    """The reason taxonomy from ``<conf_dir>/base/reasons.yml`` (+ ``local`` overrides)."""
    return Taxonomy.from_dict(require_yaml("reasons.yml", "reasons", "reason taxonomy", conf_dir))
