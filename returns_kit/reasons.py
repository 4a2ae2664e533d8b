"""Chapter 4's return reasons: platform reasons by category and their change vs last month, custom
tags per month and per product, and hidden quality returns (clicked 不想要, wrote 坏了).

The taxonomy (``reasons.yml``) is :mod:`returns_kit.core.taxonomy`; the tag rules (``tags.yml``)
are :mod:`returns_kit.tags`; new-tag suggestions are :mod:`returns_kit.suggestions`.  Their names
are available here too (``rk.reasons.load_taxonomy``, ``rk.reasons.load_tagger`` …).
"""

from __future__ import annotations

import pandas as pd

from .core.periods import previous_month
from .core.taxonomy import Taxonomy, load_taxonomy, normalize_reason
from .metrics.views import applications, reason_breakdown
from .suggestions import note_terms, tag_suggestions
from .tags import Tagger, TagRule, clauses, evaluate_tagger, load_tagger, normalize_note, tag_after_sales

__all__ = [
    "Taxonomy", "load_taxonomy", "normalize_reason", "Tagger", "TagRule", "load_tagger",
    "evaluate_tagger", "normalize_note", "clauses", "tag_after_sales", "note_terms",
    "tag_suggestions", "reason_breakdown", "category_trend", "tag_counts", "tag_table",
    "tags_by_product", "reason_mismatches",
]


def category_trend(after_sales: pd.DataFrame, month: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """After-sales applied in ``month`` per reason category, beside the previous month.

    share = after-sales of the category / all after-sales applied in the month;
    share_change = share − prev_share (a difference of fractions, i.e. percentage points).
    Every category of the taxonomy is listed (0 when absent), 未归类 only when it occurs.
    """
    prev = previous_month(month)
    counts = {}
    for key, m in (("count", month), ("prev_count", prev)):
        apps = applications(after_sales, m)
        counts[key] = taxonomy.categorize(apps["reason"]).value_counts()
    cats = list(taxonomy.categories)
    extra = [c for c in pd.Index(counts["count"].index).union(counts["prev_count"].index) if c not in cats]
    table = pd.DataFrame({"category": cats + sorted(extra)})
    for key in ("count", "prev_count"):
        table[key] = table["category"].map(counts[key]).fillna(0).astype(int)
    table["share"] = table["count"] / max(int(table["count"].sum()), 1)
    prev_total = int(table["prev_count"].sum())
    table["prev_share"] = table["prev_count"] / prev_total if prev_total else float("nan")
    table["share_change"] = table["share"] - table["prev_share"]
    return table.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def tag_counts(tagged: pd.DataFrame) -> pd.Series:
    return tagged["tags"].explode().dropna().value_counts()


def tag_table(after_sales: pd.DataFrame, month: str, tagger: Tagger,
              tagged: pd.DataFrame | None = None) -> pd.DataFrame:
    """Custom tags of the after-sales applied in ``month``, most frequent first.

    count = after-sales carrying the tag (from the note or the 售后原因标签; one after-sale can
    carry several tags); share = count / after-sales applied in the month; prev_count/prev_share
    the same for the previous month.  ``tagged``: the month's :func:`~returns_kit.tags.tag_after_sales`
    when the caller has it already (tagging a month at the export limits takes seconds).
    """
    now = tagged if tagged is not None else tag_after_sales(after_sales, month, tagger)
    before = tag_after_sales(after_sales, previous_month(month), tagger)
    c, p = tag_counts(now), tag_counts(before)
    table = pd.DataFrame({"tag": tagger.tags})
    table["category"] = table["tag"].map(tagger.category_of)
    table["count"] = table["tag"].map(c).fillna(0).astype(int)
    table["share"] = table["count"] / max(len(now), 1)
    table["prev_count"] = table["tag"].map(p).fillna(0).astype(int)
    table["prev_share"] = table["prev_count"] / len(before) if len(before) else float("nan")
    table = table[(table["count"] > 0) | (table["prev_count"] > 0)]
    return table.sort_values(["count", "prev_count"], ascending=False, kind="stable").reset_index(drop=True)


def tags_by_product(tagged: pd.DataFrame, products: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """For each product of ``products`` (in its order, e.g. the TOP20 by refund risk): its
    after-sales in ``tagged``, how many carry a tag, and its ``top`` most frequent tags
    ("尺码不准 12、面料厚度未说明 8")."""
    rows = []
    for pid, name in zip(products["product_id"], products["product_name"]):
        mine = tagged[tagged["product_id"] == pid]
        counts = tag_counts(mine)
        rows.append({"product_name": name, "product_id": pid, "after_sales": len(mine),
                     "tagged": int((mine["tags"].map(len) > 0).sum()),
                     "top_tags": "、".join(f"{t} {n}" for t, n in counts.head(top).items()) or "—"})
    return pd.DataFrame(rows, columns=["product_name", "product_id", "after_sales", "tagged", "top_tags"])


def reason_mismatches(tagged: pd.DataFrame, taxonomy: Taxonomy, tagger: Tagger) -> pd.DataFrame:
    """Hidden quality returns: the buyer clicked a no-reason reason (``no_reason`` in
    reasons.yml: 多拍 / 错拍 / 不想要, 不喜欢 / 效果不好, 七天无理由…) but the note's tags point to
    a category of ``mismatch_categories`` in tags.yml (quality, description, wrong/missing) or to
    transit damage.  The platform's 品退率 counts none of these.

    Columns: after_sale_id, product_name, product_id, reason_clicked, buyer_note, detected_tags,
    tag_category.
    """
    clicked = taxonomy.is_no_reason(tagged["reason"]).to_numpy()
    hits = tagged["note_tags"].map(tagger.suggests_quality)
    mask = clicked & (hits.map(len) > 0).to_numpy()
    out = tagged.loc[mask, ["after_sale_id", "product_name", "product_id", "reason", "buyer_note"]].copy()
    out = out.rename(columns={"reason": "reason_clicked"})
    out["detected_tags"] = hits[mask].map("、".join)
    out["tag_category"] = hits[mask].map(
        lambda ts: tagger.note_category(ts, taxonomy.categories))
    return out.reset_index(drop=True)
