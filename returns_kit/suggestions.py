"""New-tag suggestions: the terms of the month's buyer notes that no tag rule matched.

Notes are segmented with jieba (the rules' own keywords added to its dictionary) and ranked by
summed TF-IDF, so a phrase frequent this month among unmatched notes and rare elsewhere comes
first, with example notes for the analyst to write a rule from.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from typing import Iterable

import pandas as pd

from .tags import Tagger, clauses, column_or_none, normalize_note, tag_after_sales

__all__ = ["note_terms", "tag_suggestions"]

_CJK = re.compile(r"[\u4e00-\u9fff]")


STOPWORDS = frozenset("""
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jieba  # heavy (its dictionary loads in about a second): only when asked
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


def note_terms(note: str, tokenizer, stop: frozenset[str] = STOPWORDS) -> set[str]:
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
                    min_notes: int = 2, examples: int = 2, tagged: pd.DataFrame | None = None) -> pd.DataFrame:
    """Terms and phrases of the month's buyer notes that no tag rule matched, for new rules.

    notes = notes of ``month`` without a tag that contain the term; score (summed TF-IDF) =
    notes × (ln((1 + N) / (1 + df)) + 1), where N is the number of informative notes in all the
    data and df those containing the term — frequent this month among unmatched notes and rare
    elsewhere ranks first.  A term found only in notes already covered by a better-ranked term
    is left out (of equal scores the longer phrase wins).
    Columns: term, notes, score, examples (up to ``examples`` distinct notes, most frequent and
    shortest first).  ``tagged``: the month's :func:`~returns_kit.tags.tag_after_sales` when the
    caller has it already.
    """
    cols = ["term", "notes", "score", "examples"]
    all_notes = column_or_none(after_sales, "buyer_note")
    all_notes = all_notes[all_notes.map(tagger.informative)]
    month_tagged = tagged if tagged is not None else tag_after_sales(after_sales, month, tagger)
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
