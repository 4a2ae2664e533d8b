"""Custom tags mined from buyer notes (用户售后说明) and 售后原因标签 — rules in ``conf/base/tags.yml``.

A rule fires on a keyword or pattern inside one clause of a note (notes are cut at punctuation
and emoji) unless the clause holds an exclusion or the match is negated (“不偏小”, “色差不大”).
Every tag is auditable: the rule's words are in ``tags.yml``, and :func:`evaluate_tagger` scores
the rules against labelled notes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .config import require_yaml
from .errors import InputError
from .metrics.views import applications

__all__ = ["normalize_note", "clauses", "TagRule", "Tagger", "load_tagger", "evaluate_tagger",
           "tag_after_sales", "column_or_none"]

_SPACES = re.compile(r"\s+")


_CLAUSE_BREAK = re.compile(r"[^\w\s]+")  # punctuation, emoji, symbols end a clause

_APOSTROPHES = re.compile(r"['’‘`´]")

_DASHES = re.compile(r"[-_]+")

_WORDISH = re.compile(r"[\u4e00-\u9fff]|[a-z]")


def normalize_note(text: Any) -> str:
    """A note as the tag rules read it: NFKC (full-width → half-width), lower case, apostrophes
    dropped ("don't" → "dont"), dashes as spaces ("see-through" → "see through"); "" for a missing
    value or the export's ``-``."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    out = unicodedata.normalize("NFKC", str(text)).lower()
    out = _DASHES.sub(" ", _APOSTROPHES.sub("", out))
    return _SPACES.sub(" ", out).strip()


def clauses(text: str) -> list[str]:
    """The clauses of a normalised note: cut at punctuation, emoji and other symbols."""
    return [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]


@dataclass(frozen=True)
class TagRule:
    """One custom tag: fires on a keyword/pattern match in a clause that is not excluded or negated."""

    tag: str
    category: str
    matchers: tuple[re.Pattern, ...]
    exclusions: tuple[str, ...] = ()
    exclusion_patterns: tuple[re.Pattern, ...] = ()
    yields_to: tuple[str, ...] | str = ()  # tags that win over this one, or "all"
    damage: bool = False


def _strs(values: Any) -> list[str]:
    return [normalize_note(v) for v in (values or []) if normalize_note(v)]


@dataclass
class Tagger:
    """Rule-based tagging of buyer notes (see the header of ``conf/base/tags.yml``)."""

    rules: list[TagRule]
    negators: tuple[str, ...] = ("不", "没", "无")
    fillers: tuple[str, ...] = ()
    after_negators: tuple[str, ...] = ()
    after_fillers: tuple[str, ...] = ()
    uninformative: frozenset[str] = frozenset()
    min_note_chars: int = 2
    mismatch_categories: tuple[str, ...] = ("质量问题", "描述不符", "发错/漏发")
    _memo: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, conf: dict, source: str = "tags.yml") -> "Tagger":
        rules = []
        seen: set[str] = set()
        for i, entry in enumerate(conf.get("tags") or []):
            tag, category = entry.get("tag"), entry.get("category")
            if not tag or not category:
                raise InputError(f"tag rule #{i + 1} needs a tag and a category", file=source,
                                 row=i + 1, column="tag")
            if tag in seen:
                raise InputError(f"tag {tag!r} is defined twice", file=source, row=i + 1, column="tag")
            seen.add(tag)
            try:
                matchers = [re.compile(re.escape(k)) for k in _strs(entry.get("keywords"))]
                matchers += [re.compile(p) for p in entry.get("patterns") or []]
                excl_pats = tuple(re.compile(p) for p in entry.get("exclusion_patterns") or [])
            except re.error as exc:
                raise InputError(f"tag {tag!r}: bad regular expression ({exc})", file=source,
                                 row=i + 1, column="patterns") from exc
            if not matchers:
                raise InputError(f"tag {tag!r} has no keywords or patterns", file=source,
                                 row=i + 1, column="keywords")
            yields = entry.get("yields_to") or ()
            rules.append(TagRule(
                tag=tag, category=category, matchers=tuple(matchers),
                exclusions=tuple(_strs(entry.get("exclusions"))), exclusion_patterns=excl_pats,
                yields_to="all" if yields == "all" else tuple(yields), damage=bool(entry.get("damage"))))
        for rule in rules:
            unknown = [] if rule.yields_to == "all" else [t for t in rule.yields_to if t not in seen]
            if unknown:
                raise InputError(f"tag {rule.tag!r} yields to unknown tags {unknown}", file=source,
                                 column="yields_to")
        neg = conf.get("negation") or {}
        by_len = lambda xs: tuple(sorted(_strs(xs), key=len, reverse=True))  # noqa: E731
        return cls(
            rules=rules, negators=by_len(neg.get("before", ["不", "没", "无"])),
            fillers=by_len(neg.get("fillers")), after_negators=by_len(neg.get("after")),
            after_fillers=by_len(neg.get("after_fillers")),
            uninformative=frozenset(_strs(conf.get("uninformative"))),
            min_note_chars=int(conf.get("min_note_chars", 2)),
            mismatch_categories=tuple(conf.get("mismatch_categories", cls.mismatch_categories)),
        )

    # -- lookups ------------------------------------------------------------------------------
    @property
    def tags(self) -> list[str]:
        return [r.tag for r in self.rules]

    def category_of(self, tag: str) -> str | None:
        return next((r.category for r in self.rules if r.tag == tag), None)

    def is_damage(self, tag: str) -> bool:
        return any(r.damage for r in self.rules if r.tag == tag)

    def suggests_quality(self, tags: Iterable[str]) -> list[str]:
        """The tags among ``tags`` that point to a quality/description/wrong-missing problem or to
        transit damage (the mismatch rule)."""
        return [t for t in tags if self.category_of(t) in self.mismatch_categories or self.is_damage(t)]

    # -- tagging ------------------------------------------------------------------------------
    def informative(self, note: Any) -> bool:
        """False for "-", blanks, notes in ``uninformative`` and notes with fewer than
        ``min_note_chars`` Chinese characters or Latin letters (“1”, “？”, “😭😭”)."""
        text = normalize_note(note)
        if not text or text.replace(" ", "") in self.uninformative:
            return False
        return len(_WORDISH.findall(text)) >= self.min_note_chars

    def _negated_before(self, prefix: str) -> bool:
        p = prefix.replace(" ", "")
        while p:
            if p.endswith(self.negators):
                return True
            filler = next((f for f in self.fillers if p.endswith(f)), None)
            if filler is None:
                return False
            p = p[: -len(filler)]
        return False

    def _negated_after(self, suffix: str) -> bool:
        s = suffix.replace(" ", "")
        while s:
            if s.startswith(self.after_negators):
                return True
            filler = next((f for f in self.after_fillers if s.startswith(f)), None)
            if filler is None:
                return False
            s = s[len(filler):]
        return False

    def _fires(self, rule: TagRule, clause: str) -> bool:
        if any(x in clause for x in rule.exclusions) or any(p.search(clause) for p in rule.exclusion_patterns):
            return False
        for matcher in rule.matchers:
            for m in matcher.finditer(clause):
                if not self._negated_before(clause[: m.start()]) and not self._negated_after(clause[m.end():]):
                    return True
        return False

    def tag(self, note: Any) -> tuple[str, ...]:
        """The custom tags of one note, in the order of ``tags.yml`` (empty when none applies)."""
        key = note if isinstance(note, str) else ""
        if key in self._memo:
            return self._memo[key]
        found: list[TagRule] = []
        if self.informative(key):
            parts = clauses(normalize_note(key))
            found = [r for r in self.rules if any(self._fires(r, c) for c in parts)]
            names = {r.tag for r in found}
            specific = any(r.yields_to != "all" for r in found)
            found = [r for r in found
                     if not (r.yields_to == "all" and specific)
                     and not (r.yields_to != "all" and names.intersection(r.yields_to))]
        result = tuple(r.tag for r in found)
        self._memo[key] = result
        return result

    def tag_series(self, notes: pd.Series) -> pd.Series:
        """:meth:`tag` of every element (tuples)."""
        return notes.astype("object").map(self.tag)

    def note_category(self, tags: Iterable[str], order: list[str]) -> str | None:
        """The category a note is filed under: of its tags, the one first in ``order``."""
        cats = [self.category_of(t) for t in tags]
        ranked = [c for c in order if c in cats] + [c for c in cats if c not in order]
        return ranked[0] if ranked else None


def load_tagger(conf_dir: str | Path = "conf") -> Tagger:
    """The custom tag rules from ``<conf_dir>/base/tags.yml`` (+ ``local`` overrides)."""
    conf = require_yaml("tags.yml", "tags", "tag rules", conf_dir)
    return Tagger.from_dict(conf, source=str(Path(conf_dir) / "base" / "tags.yml"))


def evaluate_tagger(tagger: Tagger, labelled: pd.DataFrame) -> dict[str, Any]:
    """Micro precision and recall of the tags predicted for ``labelled["note"]`` against
    ``labelled["expected_tags"]`` (``;``-separated, empty = no tag).

    precision = correct predicted tags / all predicted tags;
    recall = correct predicted tags / all expected tags.  Also per tag (``by_tag``) and the rows
    where prediction and label differ (``errors``), so an analyst can see what a rule change did.
    """
    tp = fp = fn = 0
    per: dict[str, list[int]] = {}
    errors = []
    for note, expected in zip(labelled["note"], labelled["expected_tags"].fillna("")):
        want = {t for t in str(expected).split(";") if t}
        got = set(tagger.tag(note))
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
        for t in want | got:
            c = per.setdefault(t, [0, 0, 0])
            c[0] += t in want and t in got
            c[1] += t in got and t not in want
            c[2] += t in want and t not in got
        if want != got:
            errors.append({"note": note, "expected": sorted(want), "predicted": sorted(got)})
    by_tag = pd.DataFrame([{"tag": t, "tp": a, "fp": b, "fn": c} for t, (a, b, c) in per.items()])
    return {"precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "tp": tp, "fp": fp, "fn": fn, "by_tag": by_tag, "errors": errors}


def column_or_none(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype="object")


def tag_after_sales(after_sales: pd.DataFrame, month: str | None, tagger: Tagger) -> pd.DataFrame:
    """After-sales applied in ``month`` (all when ``None``) with their custom tags.

    ``note_tags`` come from 用户售后说明 (buyer_note), ``label_tags`` from 售后原因标签
    (reason_label); ``tags`` is their union in rule order.
    """
    apps = after_sales if month is None else applications(after_sales, month)
    cols = ["after_sale_id", "sub_order_id", "product_id", "product_name", "apply_time", "reason",
            "reason_label", "buyer_note"]
    out = pd.DataFrame({c: column_or_none(apps, c).to_numpy() for c in cols})
    out["note_tags"] = tagger.tag_series(out["buyer_note"]).to_numpy() if len(out) else []
    out["label_tags"] = tagger.tag_series(out["reason_label"]).to_numpy() if len(out) else []
    order = {t: i for i, t in enumerate(tagger.tags)}
    out["tags"] = [tuple(sorted(set(a) | set(b), key=order.__getitem__))
                   for a, b in zip(out["note_tags"], out["label_tags"])]
    return out
