"""Custom tags mined from buyer notes (用户售后说明) and 售后原因标签 — rules in ``conf/base/tags.yml``,
helped by a character n-gram model trained on labelled notes.

A rule fires on a keyword or pattern inside one clause of a note (notes are cut at punctuation
and emoji) unless the clause holds an exclusion or the match is negated (“不偏小”, “色差不大”).
Beside the rules, a linear model over the note's character n-grams (scikit-learn logistic
regression, one per tag) adds a tag when it is very sure (probability ≥ ``model.threshold``
of tags.yml) and overrules a rule's match it finds very unlikely (probability <
``model.veto``: "客服态度还可以，就是处理太慢" is no slow delivery).  It reads the note with the negated rule
matches and their negation words blanked out, so “不偏小” cannot look like “偏小” to it, and it
may not add a tag whose rule read the note and refused (negated or excluded).  The model is
trained at run time, deterministically, from the labelled notes shipped in
``returns_kit/resources`` (plus the analyst's own ``conf/*/tag_training_notes.csv``) and kept in
memory, so an edit of tags.yml or of the notes gives the same tags on every machine.

Every tag is auditable: :meth:`Tagger.explain` gives, per tag, the words of the note that fired
the rule, or the model's probability and the n-grams of the note that pushed it up most;
:func:`evaluate_tagger` and :func:`tag_quality` score the tagger against labelled notes.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import numpy as np
import pandas as pd

from .config import require_yaml
from .errors import InputError
from .io.external import load_labelled_notes
from .metrics.views import applications

__all__ = ["normalize_note", "clauses", "rule_text", "TagRule", "TagHit", "ModelSettings", "NoteModel", "Tagger",
           "load_tagger", "evaluate_tagger", "tag_quality", "quality_report", "tag_after_sales", "NoteCoverage",
           "note_coverage",
           "column_or_none", "RESOURCES", "TRAINING_FILES", "FROZEN_FILE", "FROZEN_SHA256",
           "LOCAL_TRAINING_FILE", "training_notes", "frozen_notes"]

#: package data: the labelled buyer notes (see the ``.md`` beside each file)
RESOURCES = Path(__file__).resolve().parent / "resources"
#: the notes the rules were written against and the model learns from
TRAINING_FILES = ("buyer_notes_labelled.csv", "buyer_notes_train_extra.csv")
#: held-out notes, never used to write a rule or train the model: the honest measure
FROZEN_FILE = "buyer_notes_frozen.csv"
FROZEN_SHA256 = "a4f99bd9f1418945ab9d8b4b3fa1390a3f6c54bc13a48e18478423f234a82a93"
#: the analyst's own labelled notes (``conf/base`` and/or ``conf/local``), added to the training
LOCAL_TRAINING_FILE = "tag_training_notes.csv"

_SPACES = re.compile(r"\s+")


_CLAUSE_BREAK = re.compile(r"[^\w\s]+")  # punctuation, emoji, symbols end a clause

_APOSTROPHES = re.compile(r"['’‘`´]")

_DASHES = re.compile(r"[-_]+")

_WORDISH = re.compile(r"[\u4e00-\u9fff]|[a-z]")

_MASK = " "  # what a negated rule match becomes in the text the model reads
_JOIN = " | "  # between clauses in the text the model reads


def _longest(words: list[str]) -> tuple[str, ...]:
    """The matched words without those inside a longer one (“盒子压坏” rather than “压坏” too)."""
    return tuple(w for w in words if not any(w != o and w in o for o in words))


def _asks(clause: str, m: re.Match) -> bool:
    """“偏不偏大”, “透不透”: the match is half of an A不A question, not a complaint."""
    last = m.group()[-1]
    return clause[m.end():m.end() + 2] == "不" + last or clause[m.end() - 1:m.end() + 2] == last + "不" + last


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


def rule_text(note: Any) -> str:
    """A note as the rules read it: its clauses joined by ``，`` (``note_patterns`` match on this;
    every word a rule shows as evidence is part of it)."""
    return "，".join(clauses(normalize_note(note)))


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
    note_matchers: tuple[re.Pattern, ...] = ()  #: ``note_patterns``: across clauses (joined by ``，``)

    @property
    def any_match(self) -> re.Pattern:
        """All matchers in one pattern: a clause it does not match cannot fire the rule (a quick
        test before the matchers run one by one)."""
        pattern = self.__dict__.get("_any")
        if pattern is None:
            pattern = re.compile("|".join(f"(?:{m.pattern})" for m in self.matchers) or "(?!)")
            object.__setattr__(self, "_any", pattern)
        return pattern


@dataclass(frozen=True)
class TagHit:
    """One tag of one note and why: ``source`` is ``"rule"`` (``words`` = the note's text that
    matched the rule's keywords/patterns) or ``"model"`` (``words`` = the note's n-grams that
    raised the model's ``probability`` most)."""

    tag: str
    source: str
    words: tuple[str, ...]
    probability: float | None = None

    @property
    def evidence(self) -> str:
        """``「偏小」「穿不上」`` for a rule, ``模型 0.93：「颜色」「不一样」`` for the model."""
        quoted = "".join(f"「{w}」" for w in self.words)
        return quoted if self.source == "rule" else f"模型 {self.probability:.2f}：{quoted}"


def _strs(values: Any) -> list[str]:
    return [normalize_note(v) for v in (values or []) if normalize_note(v)]


# --------------------------------------------------------------------------------------------
# the n-gram model
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSettings:
    """``model:`` of tags.yml."""

    enabled: bool = True
    threshold: float = 0.6  #: a tag only the model found needs this probability
    veto: float = 0.02  #: a rule's tag is dropped when the model gives it less than this (0 = never)
    ngram_min: int = 1
    ngram_max: int = 3
    min_df: int = 2  #: an n-gram must occur in this many training notes
    C: float = 100.0  #: inverse regularisation of the logistic regressions
    min_examples: int = 3  #: tags with fewer training notes get no model
    evidence_ngrams: int = 3  #: n-grams shown as the evidence of a model tag
    analyzer: str = "char"  #: "char" or "char_wb" (n-grams inside words: clauses, English words)

    @classmethod
    def from_dict(cls, conf: dict | None, source: str = "tags.yml") -> "ModelSettings":
        conf = dict(conf or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(conf) - known)
        if unknown:
            raise InputError(f"model: unknown setting(s) {unknown}", file=source, column="model")
        out = cls(**conf)
        if (not 0 < out.threshold <= 1 or not 0 <= out.veto < out.threshold
                or not 1 <= out.ngram_min <= out.ngram_max or out.C <= 0):
            raise InputError("model: need 0 < threshold ≤ 1, 0 ≤ veto < threshold, 1 ≤ ngram_min ≤ ngram_max, C > 0",
                             file=source, column="model")
        return out


@dataclass
class NoteModel:
    """One logistic regression per tag over the character n-grams (TF-IDF) of the note text the
    model reads (:meth:`Tagger.model_text`)."""

    vectorizer: Any
    tags: tuple[str, ...]
    coef: np.ndarray  #: tags × n-grams
    intercept: np.ndarray
    ngrams: np.ndarray  #: the n-gram of each column
    notes: int  #: training notes

    @classmethod
    def fit(cls, texts: list[str], labels: list[set[str]], tags: Iterable[str],
            settings: ModelSettings) -> "NoteModel":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: only when a model is built
            from sklearn.linear_model import LogisticRegression
        vec = TfidfVectorizer(analyzer=settings.analyzer, ngram_range=(settings.ngram_min, settings.ngram_max),
                              min_df=settings.min_df, sublinear_tf=True, lowercase=False, dtype=np.float64)
        x = vec.fit_transform(texts)
        kept, coefs, intercepts = [], [], []
        for tag in tags:
            y = np.array([tag in ls for ls in labels])
            if y.sum() < settings.min_examples:
                continue
            clf = LogisticRegression(C=settings.C, solver="liblinear", random_state=0, max_iter=1000)
            clf.fit(x, y)
            kept.append(tag)
            coefs.append(clf.coef_[0])
            intercepts.append(clf.intercept_[0])
        width = x.shape[1]
        return cls(vectorizer=vec, tags=tuple(kept),
                   coef=np.vstack(coefs) if coefs else np.zeros((0, width)),
                   intercept=np.array(intercepts, dtype=float),
                   ngrams=np.array(vec.get_feature_names_out(), dtype=object), notes=len(texts))

    def probabilities(self, texts: list[str]):
        """(probabilities: notes × :attr:`tags`, the TF-IDF matrix)."""
        x = self.vectorizer.transform(texts)
        z = np.asarray(x @ self.coef.T) + self.intercept
        return 1 / (1 + np.exp(-z)), x

    def top_ngrams(self, row, tag_index: int, n: int) -> tuple[str, ...]:
        """The ``n`` n-grams of one note (a row of the TF-IDF matrix) that raise the tag's score
        most, longest first among overlapping ones (“偏小” rather than “偏” and “小”)."""
        cols, vals = row.indices, row.data
        contrib = vals * self.coef[tag_index, cols]
        order = np.argsort(-contrib, kind="stable")
        out: list[str] = []
        for k in order:
            if contrib[k] <= 0 or len(out) >= n:
                break
            gram = str(self.ngrams[cols[k]]).strip(" |")
            if not _WORDISH.search(gram) or "|" in gram or any(gram in o for o in out):
                continue
            out = [o for o in out if o not in gram] + [gram]
        return tuple(out)


_MODEL_CACHE: dict[str, NoteModel] = {}


class _Scan(NamedTuple):
    """What the rules read in one note."""

    fired: dict[str, list[str]]  #: tag → the words of the note that fired its rule
    text: str  #: the note as the model reads it: normalised, clauses joined by `` | ``, negated matches blanked
    refused: frozenset[str]  #: tags whose rule matched only where negated or excluded: the model may not add them
    clauses: list[str]  #: the clauses of ``text``


# --------------------------------------------------------------------------------------------
# the tagger
# --------------------------------------------------------------------------------------------

@dataclass
class Tagger:
    """Rule-based tagging of buyer notes (see the header of ``conf/base/tags.yml``), with an
    optional n-gram model (:meth:`with_model`) that adds the tags it is very sure of."""

    rules: list[TagRule]
    negators: tuple[str, ...] = ("不", "没", "无")
    fillers: tuple[str, ...] = ()
    after_negators: tuple[str, ...] = ()
    after_final: frozenset[str] = frozenset()  #: negate when they end the clause: "线头没有"
    after_fillers: tuple[str, ...] = ()
    uninformative: frozenset[str] = frozenset()
    min_note_chars: int = 2
    mismatch_categories: tuple[str, ...] = ("质量问题", "描述不符", "发错/漏发")
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    model: NoteModel | None = None
    conf_key: str = ""  #: a hash of the rules' configuration (with the training notes: the model's cache key)
    _memo: dict[str, tuple[TagHit, ...]] = field(default_factory=dict, repr=False)
    _vetoed: dict[str, tuple[TagHit, ...]] = field(default_factory=dict, repr=False)
    _informative: dict[Any, bool] = field(default_factory=dict, repr=False)

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
                note_matchers = tuple(re.compile(p) for p in entry.get("note_patterns") or [])
            except re.error as exc:
                raise InputError(f"tag {tag!r}: bad regular expression ({exc})", file=source,
                                 row=i + 1, column="patterns") from exc
            if not matchers and not note_matchers:
                raise InputError(f"tag {tag!r} has no keywords or patterns", file=source,
                                 row=i + 1, column="keywords")
            yields = entry.get("yields_to") or ()
            rules.append(TagRule(
                tag=tag, category=category, matchers=tuple(matchers), note_matchers=note_matchers,
                exclusions=tuple(_strs(entry.get("exclusions"))), exclusion_patterns=excl_pats,
                yields_to="all" if yields == "all" else tuple(yields), damage=bool(entry.get("damage"))))
        for rule in rules:
            unknown = [] if rule.yields_to == "all" else [t for t in rule.yields_to if t not in seen]
            if unknown:
                raise InputError(f"tag {rule.tag!r} yields to unknown tags {unknown}", file=source,
                                 column="yields_to")
        neg = conf.get("negation") or {}
        by_len = lambda xs: tuple(sorted(_strs(xs), key=len, reverse=True))  # noqa: E731
        key = hashlib.sha256(json.dumps(conf, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
        return cls(
            rules=rules, negators=by_len(neg.get("before", ["不", "没", "无"])),
            fillers=by_len(neg.get("fillers")), after_negators=by_len(neg.get("after")),
            after_final=frozenset(_strs(neg.get("after_final"))),
            after_fillers=by_len(neg.get("after_fillers")),
            uninformative=frozenset(_strs(conf.get("uninformative"))),
            min_note_chars=int(conf.get("min_note_chars", 2)),
            mismatch_categories=tuple(conf.get("mismatch_categories", cls.mismatch_categories)),
            model_settings=ModelSettings.from_dict(conf.get("model"), source), conf_key=key,
        )

    # -- lookups ------------------------------------------------------------------------------
    @property
    def tags(self) -> list[str]:
        return [r.tag for r in self.rules]

    def rule_of(self, tag: str) -> TagRule | None:
        return next((r for r in self.rules if r.tag == tag), None)

    def category_of(self, tag: str) -> str | None:
        return next((r.category for r in self.rules if r.tag == tag), None)

    def is_damage(self, tag: str) -> bool:
        return any(r.damage for r in self.rules if r.tag == tag)

    def suggests_quality(self, tags: Iterable[str]) -> list[str]:
        """The tags among ``tags`` that point to a quality/description/wrong-missing problem or to
        transit damage (the mismatch rule)."""
        return [t for t in tags if self.category_of(t) in self.mismatch_categories or self.is_damage(t)]

    # -- the rules ----------------------------------------------------------------------------
    def informative(self, note: Any) -> bool:
        """False for "-", blanks, notes in ``uninformative`` and notes with fewer than
        ``min_note_chars`` Chinese characters or Latin letters (“1”, “？”, “😭😭”).  Decided once
        per distinct note (a month's notes repeat: “-”, “不想要了” …)."""
        memo = note if isinstance(note, str) else None
        known = self._informative.get(memo)
        if known is None:
            text = normalize_note(note)
            known = (bool(text) and text.replace(" ", "") not in self.uninformative
                     and len(_WORDISH.findall(text)) >= self.min_note_chars)
            if memo is not None:
                self._informative[memo] = known
        return known

    def _negation_before(self, prefix: str) -> int:
        """How many characters at the end of ``prefix`` negate what follows: a word of
        ``negation.before``, degree fillers allowed in between ("一点也不透"); 0 when not negated.
        A filler that ends like a negator wins when it is longer (“特别显黑” is not “别显黑”)."""
        p = prefix
        while True:
            q = p.rstrip(" ")
            if not q:
                return 0
            negator = next((n for n in self.negators if q.endswith(n)), "")
            filler = next((f for f in self.fillers if q.endswith(f)), "")
            if negator and len(negator) >= len(filler):
                return len(prefix) - (len(q) - len(negator))
            if not filler:
                return 0
            p = q[: -len(filler)]

    def _negation_after(self, suffix: str) -> int:
        """How many characters at the start of ``suffix`` negate what precedes: a word of
        ``negation.after`` ("色差不大"), or of ``negation.after_final`` ending the clause
        ("线头没有"), fillers allowed first; 0 when not negated."""
        s = suffix
        while True:
            t = s.lstrip(" ")
            if not t:
                return 0
            word = next((a for a in self.after_negators if t.startswith(a)), "")
            if word or t.rstrip(" ") in self.after_final:
                return len(suffix) - len(t) + (len(word) if word else len(t))
            filler = next((f for f in self.after_fillers if t.startswith(f)), "")
            if not filler:
                return 0
            s = t[len(filler):]

    def _negated_before(self, prefix: str) -> bool:
        return self._negation_before(prefix) > 0

    def _negated_after(self, suffix: str) -> bool:
        return self._negation_after(suffix) > 0

    def _scan(self, note: Any) -> "_Scan":
        """The rules on one note (see :class:`_Scan`)."""
        fired: dict[str, list[str]] = {}
        refused: set[str] = set()
        read: list[str] = []
        parts = clauses(normalize_note(note))
        whole = "，".join(parts)  # rule_text
        candidates = [r for r in self.rules if r.any_match.search(whole)]  # one quick test per rule
        for clause in parts:
            blank = [False] * len(clause)
            for rule in candidates:
                if not rule.any_match.search(clause):
                    continue
                excluded = (any(x in clause for x in rule.exclusions)
                            or any(p.search(clause) for p in rule.exclusion_patterns))
                for matcher in rule.matchers:
                    for m in matcher.finditer(clause):
                        if m.end() == m.start():
                            continue
                        before = self._negation_before(clause[: m.start()])
                        after = self._negation_after(clause[m.end():])
                        if before or after or _asks(clause, m):
                            # the model reads neither the words nor what negates them
                            lo, hi = m.start() - before, m.end() + after
                            blank[lo:hi] = [True] * (hi - lo)
                            refused.add(rule.tag)
                        elif excluded:
                            refused.add(rule.tag)
                        else:
                            words = fired.setdefault(rule.tag, [])
                            if m.group() not in words:
                                words.append(m.group())
            read.append(_SPACES.sub(" ", "".join(_MASK if b else ch for ch, b in zip(clause, blank))).strip()
                        if any(blank) else clause)
        for rule in self.rules:
            for matcher in rule.note_matchers:
                for m in matcher.finditer(whole):
                    span = m.group()
                    if (not span or any(x in span for x in rule.exclusions)
                            or any(p.search(span) for p in rule.exclusion_patterns)
                            or self._negated_before(whole[: m.start()]) or self._negated_after(whole[m.end():])):
                        continue
                    words = fired.setdefault(rule.tag, [])
                    if span not in words:
                        words.append(span)
        return _Scan(fired, _JOIN.join(r for r in read if r), frozenset(refused - set(fired)), read)

    def model_text(self, note: Any) -> str:
        """The note as the model reads it (:attr:`_Scan.text`); quick when no clause holds a
        negation word (nothing to blank out then)."""
        parts = clauses(normalize_note(note))
        triggers = self._triggers
        if not any(w in c for c in parts for w in triggers):
            return _JOIN.join(parts)
        return self._scan(note).text

    @property
    def _triggers(self) -> tuple[str, ...]:
        """Words without which nothing in a clause can be negated (``negation.before``/``after``, 不)."""
        return tuple(dict.fromkeys(("不",) + self.negators + self.after_negators + tuple(self.after_final)))

    def _resolve(self, found: dict[str, TagHit]) -> tuple[TagHit, ...]:
        """``yields_to``: drop a tag when a tag it yields to was found; ``all``: drop a generic tag
        when any specific one was found.  A tag the model added never drops a tag a rule found
        (the model only adds).  In the order of tags.yml."""
        rules = [r for r in self.rules if r.tag in found]

        def drops(r: TagRule) -> bool:
            winners = [w for w in rules if w.tag != r.tag
                       and (found[w.tag].source == "rule" or found[r.tag].source == "model")]
            if r.yields_to == "all":
                return any(w.yields_to != "all" for w in winners)
            return any(w.tag in r.yields_to for w in winners)

        return tuple(found[r.tag] for r in rules if not drops(r))

    # -- tagging ------------------------------------------------------------------------------
    def explain_many(self, notes: Iterable[Any]) -> list[tuple[TagHit, ...]]:
        """:meth:`explain` of many notes (the model scores the new ones in one pass)."""
        notes = [n if isinstance(n, str) else "" for n in notes]
        todo = list(dict.fromkeys(n for n in notes if n not in self._memo))
        if not todo:
            return [self._memo[n] for n in notes]
        scans = [self._scan(n) if self.informative(n) else None for n in todo]
        live = [i for i, sc in enumerate(scans) if sc is not None]
        model = self.model if self.model is not None and len(self.model.tags) else None
        probs = x = None
        if model is not None and live:
            probs, x = model.probabilities([scans[i].text for i in live])
        row_of = {i: k for k, i in enumerate(live)}
        threshold, veto = self.model_settings.threshold, self.model_settings.veto
        column = {t: j for j, t in enumerate(model.tags)} if model is not None else {}
        for i, (note, scan) in enumerate(zip(todo, scans)):
            if scan is None:
                self._memo[note] = self._vetoed[note] = ()
                continue
            found = {t: TagHit(t, "rule", _longest(w)) for t, w in scan.fired.items()}
            vetoed = []
            if probs is not None:
                k = row_of[i]
                for tag in list(found):  # the model reads the whole note: context, not just the words
                    if tag in column and probs[k, column[tag]] < veto:
                        vetoed.append(TagHit(tag, "rule", found.pop(tag).words, float(probs[k, column[tag]])))
                for j in np.flatnonzero(probs[k] >= threshold):
                    tag = model.tags[j]
                    if (tag in found or tag in scan.refused or tag in {v.tag for v in vetoed}
                            or self._excluded(tag, scan.clauses)):
                        continue
                    found[tag] = TagHit(tag, "model", model.top_ngrams(
                        x[k], j, self.model_settings.evidence_ngrams), float(probs[k, j]))
            self._memo[note] = self._resolve(found)
            self._vetoed[note] = tuple(vetoed)
        return [self._memo[n] for n in notes]

    def _excluded(self, tag: str, parts: list[str]) -> bool:
        """Whether a clause holds one of the tag's exclusions: the model may not add it then."""
        rule = self.rule_of(tag)
        return rule is not None and any(any(x in c for x in rule.exclusions)
                                        or any(p.search(c) for p in rule.exclusion_patterns) for c in parts)

    def vetoed(self, note: Any) -> tuple[TagHit, ...]:
        """The rule matches of one note that the model overruled (``model.veto``): each with the
        rule's words and the model's probability — to audit the veto."""
        self.explain_many([note])
        return self._vetoed[note if isinstance(note, str) else ""]

    def explain(self, note: Any) -> tuple[TagHit, ...]:
        """The tags of one note with their evidence, in the order of ``tags.yml``."""
        known = self._memo.get(note if isinstance(note, str) else "")
        return known if known is not None else self.explain_many([note])[0]

    def tag(self, note: Any) -> tuple[str, ...]:
        """The custom tags of one note, in the order of ``tags.yml`` (empty when none applies)."""
        return tuple(h.tag for h in self.explain(note))

    def tag_series(self, notes: pd.Series) -> pd.Series:
        """:meth:`tag` of every element (tuples)."""
        hits = self.explain_many(notes.astype("object").tolist())
        return pd.Series([tuple(h.tag for h in hs) for hs in hits], index=notes.index, dtype="object")

    def evidence(self, note: Any, tags: Iterable[str] | None = None) -> str:
        """Why the note carries its tags (only ``tags`` when given):
        ``"尺码不准「偏小」；灯光色差 模型 0.93：「颜色」「不一样」"``; ``""`` for none."""
        want = None if tags is None else set(tags)
        return "；".join(f"{h.tag} {h.evidence}" if h.source == "model" else f"{h.tag}{h.evidence}"
                        for h in self.explain(note) if want is None or h.tag in want)

    def note_category(self, tags: Iterable[str], order: list[str]) -> str | None:
        """The category a note is filed under: of its tags, the one first in ``order``."""
        cats = [self.category_of(t) for t in tags]
        ranked = [c for c in order if c in cats] + [c for c in cats if c not in order]
        return ranked[0] if ranked else None

    # -- the model ----------------------------------------------------------------------------
    def with_model(self, training: pd.DataFrame) -> "Tagger":
        """This tagger with the n-gram model trained on ``training`` (``note``, ``expected_tags``;
        labels of tags not in the rules are ignored).  Deterministic; kept in memory per rules
        and notes, so a second call costs nothing.  ``model.enabled: false`` → the rules alone."""
        if not self.model_settings.enabled or training is None or not len(training):
            return Tagger(**{**self._fields(), "model": None})
        notes = [n if isinstance(n, str) else "" for n in training["note"]]
        labels = [{t for t in str(e or "").split(";") if t} for e in training["expected_tags"]]
        fit = {k: v for k, v in vars(self.model_settings).items() if k not in ("threshold", "veto", "evidence_ngrams")}
        digest = hashlib.sha256(json.dumps([self.conf_key, fit, notes, [sorted(ls) for ls in labels]],
                                           ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        model = _MODEL_CACHE.get(digest)
        if model is None:
            live = [i for i, n in enumerate(notes) if self.informative(n)]
            texts = [self.model_text(notes[i]) for i in live]
            model = NoteModel.fit(texts, [labels[i] for i in live], self.tags, self.model_settings)
            _MODEL_CACHE[digest] = model
        return Tagger(**{**self._fields(), "model": model})

    def _fields(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__ if not f.startswith("_")}


# --------------------------------------------------------------------------------------------
# the labelled notes
# --------------------------------------------------------------------------------------------

def _conf_training_files(conf_dir: str | Path) -> list[Path]:
    return [p for p in (Path(conf_dir) / layer / LOCAL_TRAINING_FILE for layer in ("base", "local"))
            if p.exists()]


def training_notes(conf_dir: str | Path | None = None, tags: Iterable[str] | None = None) -> pd.DataFrame:
    """The training notes: the package's :data:`TRAINING_FILES` and, when ``conf_dir`` is given,
    the analyst's ``conf/base|local/tag_training_notes.csv`` (``note,expected_tags``).  In the
    analyst's files a tag that ``tags`` does not know stops the run with file and row.  Notes
    that are also in the frozen set are left out, so the frozen figures stay honest.
    Columns: note, expected_tags, file, source_row."""
    frames = []
    for path in [RESOURCES / f for f in TRAINING_FILES] + (_conf_training_files(conf_dir) if conf_dir else []):
        frame = load_labelled_notes(path)
        if tags is not None and path.parent != RESOURCES:
            known = set(tags)
            for row, expected in zip(frame["source_row"], frame["expected_tags"]):
                bad = [t for t in expected.split(";") if t and t not in known]
                if bad:
                    raise InputError(f"unknown tag(s) {bad} (not in tags.yml)", file=path, row=int(row),
                                     column="expected_tags")
        frames.append(frame.assign(file=path.name))
    out = pd.concat(frames, ignore_index=True)
    frozen = set(frozen_notes()["note"].dropna())
    return out[~out["note"].isin(frozen)].reset_index(drop=True)


def frozen_notes() -> pd.DataFrame:
    """The frozen held-out notes (:data:`FROZEN_FILE`), after checking their sha256."""
    path = RESOURCES / FROZEN_FILE
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != FROZEN_SHA256:
        raise InputError(f"the frozen notes were edited (sha256 {digest[:12]}…, expected {FROZEN_SHA256[:12]}…); "
                         "write a new frozen set under a new name instead", file=path)
    return load_labelled_notes(path)


def load_tagger(conf_dir: str | Path = "conf", model: bool = True) -> Tagger:
    """The custom tag rules from ``<conf_dir>/base/tags.yml`` (+ ``local`` overrides), with the
    n-gram model trained on :func:`training_notes` (unless ``model=False`` or
    ``model.enabled: false`` in tags.yml)."""
    conf = require_yaml("tags.yml", "tags", "tag rules", conf_dir)
    tagger = Tagger.from_dict(conf, source=str(Path(conf_dir) / "base" / "tags.yml"))
    if not model or not tagger.model_settings.enabled:
        return tagger
    return tagger.with_model(training_notes(conf_dir, tagger.tags))


# --------------------------------------------------------------------------------------------
# quality
# --------------------------------------------------------------------------------------------

def _labels(expected: Any) -> set[str]:
    return {t for t in str(expected or "").split(";") if t}


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
    predicted = tagger.tag_series(pd.Series(list(labelled["note"]), dtype="object"))
    for note, expected, got in zip(labelled["note"], labelled["expected_tags"].fillna(""), predicted):
        want, got = _labels(expected), set(got)
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


def tag_quality(tagger: Tagger, labelled: pd.DataFrame, resamples: int = 2000, seed: int = 20261201,
                level: float = 0.95) -> dict[str, Any]:
    """Micro precision and recall of ``tagger`` on ``labelled`` (as :func:`evaluate_tagger`) with
    percentile bootstrap intervals: ``resamples`` resamples of the notes, with replacement, from
    a fixed ``seed`` (so the same tagger gives the same interval).  Only totals: no note, no
    per-tag count.  Keys: notes, precision, precision_ci_low, precision_ci_high, recall,
    recall_ci_low, recall_ci_high."""
    predicted = tagger.tag_series(pd.Series(list(labelled["note"]), dtype="object"))
    c = np.array([(len(w & g), len(g - w), len(w - g)) for w, g in
                  ((_labels(e), set(p)) for e, p in zip(labelled["expected_tags"], predicted))],
                 dtype=float).reshape(-1, 3)
    if not len(c):
        nan = float("nan")
        return {"notes": 0, "precision": nan, "precision_ci_low": nan, "precision_ci_high": nan,
                "recall": nan, "recall_ci_low": nan, "recall_ci_high": nan}
    idx = np.random.default_rng(seed).integers(0, len(c), size=(resamples, len(c)))
    s = c[idx].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s[:, 0] / (s[:, 0] + s[:, 1])
        r = s[:, 0] / (s[:, 0] + s[:, 2])
    tp, fp, fn = c.sum(axis=0)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    ci = lambda v, q: float(np.nanpercentile(v, q)) if np.isfinite(v).any() else float("nan")  # noqa: E731
    return {"notes": int(len(c)),
            "precision": float(tp / (tp + fp)) if tp + fp else float("nan"),
            "precision_ci_low": ci(p, lo), "precision_ci_high": ci(p, hi),
            "recall": float(tp / (tp + fn)) if tp + fn else float("nan"),
            "recall_ci_low": ci(r, lo), "recall_ci_high": ci(r, hi)}


def quality_report(tagger: Tagger, conf_dir: str | Path | None = "conf") -> dict[str, dict[str, Any]]:
    """:func:`tag_quality` of ``tagger`` on the frozen held-out notes (``frozen``: the honest
    figure) and on the training notes of ``conf_dir`` (``training``: the notes the rules were
    written from and the model learnt, so optimistic — for contrast only)."""
    return {"frozen": tag_quality(tagger, frozen_notes()),
            "training": tag_quality(tagger, training_notes(conf_dir, tagger.tags))}


# --------------------------------------------------------------------------------------------
# after-sales
# --------------------------------------------------------------------------------------------

def column_or_none(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype="object")


def tag_after_sales(after_sales: pd.DataFrame, month: str | None, tagger: Tagger) -> pd.DataFrame:
    """After-sales applied in ``month`` (all when ``None``) with their custom tags.

    ``note_tags`` come from 用户售后说明 (buyer_note), ``label_tags`` from 售后原因标签
    (reason_label); ``tags`` is their union in rule order; ``evidence`` says why each tag was
    given (:meth:`Tagger.evidence` of the note, then of the label).
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
    out["evidence"] = [
        "；".join(x for x in (tagger.evidence(n), tagger.evidence(lab, set(lt) - set(nt))) if x)
        for n, lab, nt, lt in zip(out["buyer_note"], out["reason_label"], out["note_tags"], out["label_tags"])]
    return out


@dataclass(frozen=True)
class NoteCoverage:
    """How the tagger read a month's buyer notes.

    ``informative``: notes that say something (:meth:`Tagger.informative`); ``covered``: of them,
    the notes the rules or the model gave a tag; ``model_notes``: the labelled notes the model
    was trained on (None: no model); ``model_added``: tags the model gave that the rules missed
    (probability ≥ ``threshold``); ``model_vetoed``: rule hits it vetoed (probability <
    ``veto``), each distinct note counted once."""

    informative: int
    covered: int
    model_notes: int | None
    model_added: int
    model_vetoed: int
    threshold: float
    veto: float


def note_coverage(tagged: pd.DataFrame, tagger: Tagger) -> NoteCoverage:
    """:class:`NoteCoverage` of ``tagged`` (:func:`tag_after_sales`' frame)."""
    notes = tagged["buyer_note"]
    informative = notes.map(tagger.informative).astype(bool)
    covered = int(((tagged["note_tags"].map(len) > 0) & informative).sum())
    model, settings = tagger.model, tagger.model_settings
    added = vetoed = 0
    if model is not None:
        added = sum(h.source == "model" for hs in tagger.explain_many(notes) for h in hs)
        vetoed = sum(len(tagger.vetoed(n)) for n in notes.drop_duplicates())
    return NoteCoverage(int(informative.sum()), covered, model.notes if model is not None else None,
                        int(added), int(vetoed), float(settings.threshold), float(settings.veto))
