"""Return reasons: the platform's 售后原因 texts mapped to categories (chapter 4).

The taxonomy is data, not code: ``conf/base/reasons.yml`` (overridable in ``conf/local``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable
from pathlib import Path

import pandas as pd

from .config import load_yaml
from .errors import InputError

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
        return reasons.astype("object").map(
            lambda t: normalize_reason(t) if isinstance(t, str) else None)

    def categorize(self, reasons: pd.Series) -> pd.Series:
        """Category of each reason text; unlisted texts (and blanks) → ``unknown_category``."""
        return self._keys(reasons).map(self.category_of).fillna(self.unknown_category)

    def is_damage(self, reasons: pd.Series) -> pd.Series:
        return self._keys(reasons).isin(self.damage)

    def is_no_reason(self, reasons: pd.Series) -> pd.Series:
        return self._keys(reasons).isin(self.no_reason)


def load_taxonomy(conf_dir: str | Path = "conf") -> Taxonomy:
    """The reason taxonomy from ``<conf_dir>/base/reasons.yml`` (+ ``local`` overrides)."""
    conf = load_yaml("reasons.yml", conf_dir)
    if not conf.get("reasons"):
        raise InputError(f"no reason taxonomy found: expected {Path(conf_dir) / 'base' / 'reasons.yml'}")
    return Taxonomy.from_dict(conf)


# --------------------------------------------------------------------------------------------
# Custom tags mined from buyer notes (用户售后说明) and 售后原因标签 — conf/base/tags.yml
# --------------------------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[^\w\s]+")  # punctuation, emoji, symbols end a clause
_APOSTROPHES = re.compile(r"['’‘`´]")
_DASHES = re.compile(r"[-_]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
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
    conf = load_yaml("tags.yml", conf_dir)
    if not conf.get("tags"):
        raise InputError(f"no tag rules found: expected {Path(conf_dir) / 'base' / 'tags.yml'}")
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


# --------------------------------------------------------------------------------------------
# Chapter 4 tables
# --------------------------------------------------------------------------------------------

def _applications(after_sales: pd.DataFrame, month: str) -> pd.DataFrame:
    from .metrics import applications  # metrics imports this module

    return applications(after_sales, month)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype="object")


def category_trend(after_sales: pd.DataFrame, month: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """After-sales applied in ``month`` per reason category, beside the previous month.

    share = after-sales of the category / all after-sales applied in the month;
    share_change = share − prev_share (a difference of fractions, i.e. percentage points).
    Every category of the taxonomy is listed (0 when absent), 未归类 only when it occurs.
    """
    from .metrics import previous_month

    prev = previous_month(month)
    counts = {}
    for key, m in (("count", month), ("prev_count", prev)):
        apps = _applications(after_sales, m)
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


def tag_after_sales(after_sales: pd.DataFrame, month: str | None, tagger: Tagger) -> pd.DataFrame:
    """After-sales applied in ``month`` (all when ``None``) with their custom tags.

    ``note_tags`` come from 用户售后说明 (buyer_note), ``label_tags`` from 售后原因标签
    (reason_label); ``tags`` is their union in rule order.
    """
    apps = after_sales if month is None else _applications(after_sales, month)
    cols = ["after_sale_id", "sub_order_id", "product_id", "product_name", "apply_time", "reason",
            "reason_label", "buyer_note"]
    out = pd.DataFrame({c: _column(apps, c).to_numpy() for c in cols})
    out["note_tags"] = tagger.tag_series(out["buyer_note"]).to_numpy() if len(out) else []
    out["label_tags"] = tagger.tag_series(out["reason_label"]).to_numpy() if len(out) else []
    order = {t: i for i, t in enumerate(tagger.tags)}
    out["tags"] = [tuple(sorted(set(a) | set(b), key=order.__getitem__))
                   for a, b in zip(out["note_tags"], out["label_tags"])]
    return out


def _tag_counts(tagged: pd.DataFrame) -> pd.Series:
    return tagged["tags"].explode().dropna().value_counts()


def tag_table(after_sales: pd.DataFrame, month: str, tagger: Tagger) -> pd.DataFrame:
    """Custom tags of the after-sales applied in ``month``, most frequent first.

    count = after-sales carrying the tag (from the note or the 售后原因标签; one after-sale can
    carry several tags); share = count / after-sales applied in the month; prev_count/prev_share
    the same for the previous month.
    """
    from .metrics import previous_month

    now = tag_after_sales(after_sales, month, tagger)
    before = tag_after_sales(after_sales, previous_month(month), tagger)
    c, p = _tag_counts(now), _tag_counts(before)
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
        counts = _tag_counts(mine)
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


# -- new-tag suggestions -----------------------------------------------------------------------

_STOPWORDS = frozenset("""
的 了 是 我 你 他 她 它 们 就 都 也 还 又 很 太 这 那 个 一 不 没 有 在 和 跟 与 吧 啊 呢 吗 呀 嘛 哦 么 着 过 给
被 把 让 说 要 会 能 可以 就是 这个 那个 一个 什么 怎么 因为 所以 但是 而且 还是 然后 已经 收到 东西 商品 宝贝
感觉 觉得 真的 非常 特别 比较 有点 一下 一点 一直 买 退 退货 退款 申请 卖家 商家 客服 亲 谢谢 麻烦 自己 时候
现在 今天 可能 应该 这样 那样 没有 不是 一样 里面 之后 以后 以前 之前 这么 那么 如果 虽然 只是 只有 而已 一次
两 三 几 再 才 刚 又 或 及 等 啦 哈 嗯 哎 唉 吧 呗 咯 嘞 哇 噢 喔 还有 怎么办 希望 the a an is it to and of
in for this that be was are i my me you
""".split())


def _segmenter(extra_words: Iterable[str]):
    """A jieba tokenizer, initialised once and quietly (no "Building prefix dict" on stderr)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        import logging
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jieba
        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        _TOKENIZER = tok
    for w in extra_words:
        if len(w) >= 2 and _CJK.search(w) and " " not in w:
            _TOKENIZER.add_word(w)
    return _TOKENIZER


_TOKENIZER = None


def _content(token: str, stop: frozenset[str]) -> bool:
    token = token.strip()
    if not token or token in stop or token.isdigit():
        return False
    if _CJK.search(token):
        return len(token) >= 2
    return token.isalpha() and len(token) >= 3


def note_terms(note: str, tokenizer, stop: frozenset[str] = _STOPWORDS) -> set[str]:
    """The terms of a note for the suggestions: content words (Chinese ≥ 2 characters, Latin
    ≥ 3 letters, no stopwords) and phrases of two adjacent content words within a clause."""
    terms: set[str] = set()
    for clause in clauses(normalize_note(note)):
        tokens = [t for t in tokenizer.lcut(clause) if t.strip()]
        ok = [_content(t, stop) for t in tokens]
        terms.update(t for t, good in zip(tokens, ok) if good)
        for (a, ga), (b, gb) in zip(zip(tokens, ok), zip(tokens[1:], ok[1:])):
            if ga and gb:
                joined = a + b if _CJK.search(a + b) else f"{a} {b}"
                if len(joined) <= 8:
                    terms.add(joined)
    return terms


def tag_suggestions(after_sales: pd.DataFrame, month: str, tagger: Tagger, n: int = 15,
                    min_notes: int = 2, examples: int = 2) -> pd.DataFrame:
    """Terms and phrases of the month's buyer notes that no tag rule matched, for new rules.

    notes = notes of ``month`` without a tag that contain the term; score (summed TF-IDF) =
    notes × (ln((1 + N) / (1 + df)) + 1), where N is the number of informative notes in all the
    data and df those containing the term — frequent this month among unmatched notes and rare
    elsewhere ranks first.  A term found only in notes already covered by a better-ranked term
    is left out (of equal scores the longer phrase wins).
    Columns: term, notes, score, examples (up to ``examples`` distinct notes, most frequent and
    shortest first).
    """
    cols = ["term", "notes", "score", "examples"]
    all_notes = _column(after_sales, "buyer_note")
    all_notes = all_notes[all_notes.map(tagger.informative)]
    month_tagged = tag_after_sales(after_sales, month, tagger)
    open_notes = month_tagged.loc[(month_tagged["note_tags"].map(len) == 0)
                                  & month_tagged["buyer_note"].map(tagger.informative), "buyer_note"]
    if open_notes.empty:
        return pd.DataFrame(columns=cols)
    words = [m.pattern.replace("\\", "") for r in tagger.rules for m in r.matchers
             if re.fullmatch(r"[\w\\ ]+", m.pattern)]
    tok = _segmenter(words)
    memo: dict[str, set[str]] = {}

    def terms(note: str) -> set[str]:
        if note not in memo:
            memo[note] = note_terms(note, tok)
        return memo[note]

    df: dict[str, int] = {}
    for note in all_notes:
        for t in terms(note):
            df[t] = df.get(t, 0) + 1
    hits: dict[str, list[int]] = {}
    open_list = list(open_notes)
    for i, note in enumerate(open_list):
        for t in terms(note):
            hits.setdefault(t, []).append(i)
    total = len(all_notes)
    rows = [{"term": t, "notes": len(ns),
             "score": len(ns) * (math.log((1 + total) / (1 + df.get(t, len(ns)))) + 1), "_ns": set(ns)}
            for t, ns in hits.items() if len(ns) >= min_notes]
    rows.sort(key=lambda r: (-round(r["score"], 6), -len(r["term"]), r["term"]))
    chosen: list[dict] = []
    for r in rows:
        if any(r["_ns"] <= c["_ns"] for c in chosen):  # the same notes as a better-ranked term
            continue
        counts = pd.Series([open_list[i] for i in r["_ns"]]).value_counts()
        r["_common"] = sorted(counts.index, key=lambda x: (-counts[x], len(x), x))[:examples]
        chosen.append(r)
        if len(chosen) >= n:
            break
    return pd.DataFrame([{"term": r["term"], "notes": r["notes"], "score": round(r["score"], 2),
                          "examples": " / ".join(r["_common"])} for r in chosen], columns=cols)


# -- metrics.json -------------------------------------------------------------------------------

def reasons_metrics(data, month: str, conf_dir: str | Path = "conf", external_dir=None) -> dict[str, Any]:
    """Chapter 4 keys of ``metrics.json``: ``custom_tags`` [{tag, category, count, share}] for the
    after-sales applied in ``month`` (share = count / after-sales applied), and
    ``reason_mismatches`` (after-sales whose clicked no-reason reason hides a quality,
    description, wrong/missing or damage note — see :func:`reason_mismatches`)."""
    taxonomy = load_taxonomy(conf_dir)
    tagger = load_tagger(conf_dir)
    tagged = tag_after_sales(data.after_sales, month, tagger)
    counts = _tag_counts(tagged)
    custom = [{"tag": t, "category": tagger.category_of(t), "count": int(c),
               "share": float(c) / len(tagged)} for t, c in counts.items()]
    return {"custom_tags": custom,
            "reason_mismatches": int(len(reason_mismatches(tagged, taxonomy, tagger)))}
