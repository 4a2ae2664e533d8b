"""Cells: the one parser of raw text cells, for the 抖店 exports and the analyst's own files alike.

Every cell is read as text (spreadsheet numbers and dates are first written back as the text
Excel shows, :func:`excel_cell`), then cleaned (:func:`clean`: BOM, tabs, spaces, ``"…"`` and
``="…"`` wrappers stripped; ``-``, ``--``, empty … are null) and parsed by kind.  A value is parsed
exactly or rejected — the parser returns the values *and* a mask of the cells it could not read,
and the caller quarantines the row (exports) or stops with file, row and column (analyst files).

Kinds: ``id`` (digits only, kept a string), ``text``, ``money`` (``¥ ￥ 元 ,`` stripped, ``万``,
``店铺券-5.00`` → 5.00; yuan, 2 decimals), ``int`` (``1,234``, ``3.0``), ``number`` (a plain
decimal, not rounded), ``percent`` (``12.3%`` → 0.123), ``time`` (``YYYY-MM-DD HH:MM:SS`` and the
usual variants: ``2026/5/6 1:03``, ``2026年5月6日``; impossible dates rejected), ``date`` (a time
cut to its day; ``20260513`` too).

Everything is vectorised with pyarrow compute: a million-row column costs one pass per rule.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..model import ID, INT, MONEY, NULL_TOKENS, TEXT, TIME

__all__ = [
    "ID", "TEXT", "MONEY", "INT", "TIME", "DATE", "NUMBER", "PERCENT", "KINDS", "ARROW_TYPES",
    "clean", "parse", "parse_values", "convert", "excel_cell", "reason_of", "any_true",
    "as_numpy_bool", "MAX_SAFE_INT", "TIME_FORMAT", "R_NEGATIVE",
    "R_HEADER_AGAIN", "PERSONAL_PATTERNS", "mask_personal", "mask_column",
]

DATE, NUMBER, PERCENT = "date", "number", "percent"
#: every kind a column can have
KINDS = (ID, TEXT, MONEY, INT, TIME, DATE, NUMBER, PERCENT)
#: the Arrow type of each kind's parsed values
ARROW_TYPES = {ID: pa.string(), TEXT: pa.string(), MONEY: pa.float64(), INT: pa.int64(),
               TIME: pa.timestamp("ns"), DATE: pa.timestamp("ns"), NUMBER: pa.float64(),
               PERCENT: pa.float64()}

MAX_SAFE_INT = 2**53
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)

# reasons: Chinese first (the analyst's language), English in brackets (for the logs)
R_ID_NUMBER = "ID 被 Excel 改成科学计数法/数字，位数已丢失 (ID stored as a number, digits lost)"
R_ID_TEXT = "ID 含非数字字符 (ID is not all digits)"
R_ID_EMPTY = "必填 ID 为空 (required ID is empty)"
R_MONEY = "金额无法解析 (unparseable money amount)"
R_INT = "数量不是整数 (not an integer)"
R_NUMBER = "不是数字 (not a number)"
R_PERCENT = "百分比无法解析 (unparseable percentage)"
R_TIME = "时间无法解析 (unparseable date/time)"
R_TIME_EMPTY = "必填时间为空 (required time is empty)"
R_NEGATIVE = "金额为负数 (negative amount: an amount paid or refunded cannot be below zero)"
R_HEADER_AGAIN = ("重复的表头行：两个导出被拼进了一个文件？这一行不是数据 "
                  "(the header again: two exports pasted into one file?)")
_REASONS = {MONEY: R_MONEY, INT: R_INT, NUMBER: R_NUMBER, PERCENT: R_PERCENT, TIME: R_TIME,
            DATE: R_TIME}

_SCI_RE = re.compile(r"^[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+$")
_NULL_SET = pa.array(sorted(NULL_TOKENS), pa.string())
_NULL_STR = pa.scalar(None, pa.string())


def any_true(mask: pa.Array) -> bool:
    """Whether any element of a boolean Arrow array is true (nulls are not)."""
    return bool(pc.any(mask).as_py()) if len(mask) else False


def _holds(arr: pa.Array | pa.ChunkedArray, needle: bytes) -> bool:
    """Whether the bytes of a string array's cells, end to end, block by block (those of cells
    sliced off included), hold ``needle``: one scan of a column's memory as numpy bytes (no copy,
    outside the GIL) passes over a column without that character before any per-cell pass."""
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        at = np.flatnonzero(raw[: len(raw) - len(needle) + 1] == needle[0])
        for k in range(1, len(needle)):
            at = at[raw[at + k] == needle[k]]
        if len(at):
            return True
    return False


def as_numpy_bool(mask: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy, nulls as False."""
    return np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


# --------------------------------------------------------------------------------------------
# Spreadsheet values → the text Excel shows
# --------------------------------------------------------------------------------------------

def _round_second(moment: dt.datetime) -> dt.datetime:
    if moment.microsecond >= 500_000:
        moment += dt.timedelta(seconds=1)
    return moment.replace(microsecond=0)


def _excel_number(v: float, kind: str) -> str:
    if kind in (TIME, DATE):
        if 0 < v < 2958466:  # Excel serial day number
            moment = _EXCEL_EPOCH + dt.timedelta(days=float(v))
            return _round_second(moment).strftime(TIME_FORMAT)
        return repr(v)
    if kind == ID and abs(v) >= MAX_SAFE_INT:
        return format(float(v), ".15e")  # digits already lost: make it look like what it is
    if float(v).is_integer() and abs(v) < MAX_SAFE_INT:
        return str(int(v))
    return repr(float(v))


def excel_cell(v: Any, kind: str) -> str | None:
    """A cell value as read from a spreadsheet (str, float, int, bool, datetime, date or None) as
    the text a person sees: ``3.0`` → ``"3"``, a datetime → ``YYYY-MM-DD HH:MM:SS``, an Excel
    serial day in a time column → its date and time, a 19-digit ID that Excel stored as a number
    → scientific notation (its digits are gone, :func:`parse` rejects it)."""
    if v is None:
        return None
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is float or t is int:
        return _excel_number(v, kind)
    if isinstance(v, dt.datetime):
        return _round_second(v).strftime(TIME_FORMAT)
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


# --------------------------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------------------------

def clean(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Strip BOM, tabs, spaces, ``"…"`` / ``="…"`` wrappers; null tokens (``-``, ``--``, empty,
    ``暂无数据`` …) → null."""
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    if arr.null_count == len(arr):
        return arr
    has_quote = _holds(arr, b'"')  # of the cells before the BOM and the spaces are taken off
    if _holds(arr, "\ufeff".encode()) and any_true(pc.match_substring(arr, "\ufeff")):
        arr = pc.replace_substring(arr, "\ufeff", "")
    arr = pc.utf8_trim_whitespace(arr)
    if has_quote and any_true(pc.or_(pc.starts_with(arr, '"'), pc.starts_with(arr, '="'))):
        arr = pc.replace_substring_regex(arr, r'(?s)^=?"(.*)"$', r"\1")
        arr = pc.utf8_trim_whitespace(arr)
    return _tokens_as_null(arr)


#: whether a cell can be a null token, by its length in UTF-8 bytes (the last entry: any longer)
_TOKEN_LENGTH = np.zeros(max(len(t.encode()) for t in NULL_TOKENS) + 2, dtype=bool)
_TOKEN_LENGTH[[len(t.encode()) for t in NULL_TOKENS]] = True


def _has_token_length(block: pa.Array) -> bool:
    """Whether a cell of a string array (a null one included) is as long as a null token, read
    from its offsets alone: no hash, no copy."""
    offsets = np.frombuffer(block.buffers()[1], dtype=np.int32, count=len(block) + 1,
                            offset=block.offset * 4)
    return bool(_TOKEN_LENGTH[np.minimum(np.diff(offsets), len(_TOKEN_LENGTH) - 1)].any())


def _tokens_as_null(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A string column with its null-token cells (exact matches of
    :data:`~returns_kit.model.NULL_TOKENS`) made null.  A column with no cell as short as a token
    (long text: most of a month's bytes) is not hashed."""
    blocks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not any(_has_token_length(b) for b in blocks if len(b)):
        return arr
    token = pc.is_in(arr, value_set=_NULL_SET)
    return pc.if_else(token, _NULL_STR, arr) if any_true(token) else arr


# --------------------------------------------------------------------------------------------
# Parsers: cleaned text → (values, bad); bad = a non-null cell that could not be read
# --------------------------------------------------------------------------------------------

def _parse_id(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    ok = pc.ascii_is_decimal(s)  # ^[0-9]+$: one or more ASCII digits (a full-width "１" is not one)
    bad = pc.and_(pc.is_valid(s), pc.invert(ok.fill_null(False)))
    return s, bad


_MONEY_JUNK = r"[¥￥元\s]"
# thousands separators only where they are unambiguous: 1,234 / 12,345,678.90 ("12,34" and the
# European "1.234,50" are rejected, never guessed)
_THOUSANDS_RE = r"^[+-]?[0-9]{1,3}(?:[,，][0-9]{3})+(?:\.[0-9]+)?$"
# "店铺券-5.00" → "5.00": a name (with at least one non-number character), then "-amount"
_MONEY_NAMED = r"(?s)^(.*[^0-9+\-.].*)-([0-9]+(?:\.[0-9]+)?)$"
_NUMBER_RE = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _parse_number(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    try:  # a column of plain decimals: one cast (Arrow reads a decimal to the nearest double)
        values = pc.cast(s, pa.float64())
        finite = pc.is_finite(values)  # "inf", "nan" are no amounts: the regex rejects them
        if not any_true(pc.invert(finite)):
            return values, pc.invert(finite.fill_null(True))  # all false: nothing bad, nulls included
    except pa.ArrowInvalid:
        pass
    ok = pc.match_substring_regex(s, _NUMBER_RE).fill_null(False)
    values = pc.cast(pc.if_else(ok, s, _NULL_STR), pa.float64())
    return values, pc.and_(pc.is_valid(s), pc.invert(ok))


def _patch(values: pa.Array, idx: np.ndarray, fixed: pa.Array) -> pa.Array:
    out = values.to_numpy(zero_copy_only=False).copy()
    out[idx] = fixed.to_numpy(zero_copy_only=False)
    return pa.array(out, pa.float64(), from_pandas=True)  # NaN → null


def _parse_money(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    values, todo = _parse_number(s)
    if any_true(todo):  # only the cells that are not plain numbers go through the slow path
        idx = np.flatnonzero(as_numpy_bool(todo))
        t = pc.replace_substring_regex(s.take(pa.array(idx)), _MONEY_JUNK, "")
        t = pc.replace_substring_regex(t, _MONEY_NAMED, r"\2")
        grouped = pc.match_substring_regex(t, _THOUSANDS_RE).fill_null(False)
        t = pc.if_else(grouped, pc.replace_substring_regex(t, r"[,，]", ""), t)
        wan = pc.ends_with(t, "万").fill_null(False)
        t = pc.if_else(wan, pc.utf8_slice_codeunits(t, 0, -1), t)
        t_ok = pc.match_substring_regex(t, _NUMBER_RE).fill_null(False)
        fixed = pc.cast(pc.if_else(t_ok, t, _NULL_STR), pa.float64())
        fixed = pc.if_else(wan, pc.multiply(fixed, 10_000.0), fixed)
        values = _patch(values, idx, fixed)
    bad = pc.and_(pc.is_valid(s), pc.is_null(values))
    return pc.round(values, 2), bad


def _parse_percent(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``12.3%`` (or ``％``) → 0.123; a bare number above 1 is taken as percent points."""
    t = pc.replace_substring_regex(s, r"[\s,]", "")
    pct = pc.or_(pc.ends_with(t, "%"), pc.ends_with(t, "％")).fill_null(False)
    t = pc.if_else(pct, pc.utf8_slice_codeunits(t, 0, -1), t)
    values, bad = _parse_number(t)
    scaled = pc.or_(pct, pc.greater(values, 1.0).fill_null(False))
    return pc.if_else(scaled, pc.divide(values, 100.0), values), bad


#: digits an integer cell may have: 18 always fit int64 (a longer "quantity" is an ID in the wrong column)
_INT_DIGITS = 18


def _parse_int(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    digits = pc.and_(pc.ascii_is_decimal(s), pc.less_equal(pc.utf8_length(s), _INT_DIGITS))
    if not any_true(pc.and_(pc.is_valid(s), pc.invert(digits))):  # only plain digits: one cast
        return pc.cast(s, pa.int64()), pc.and_(pc.is_valid(s), pc.invert(digits))
    t = pc.replace_substring_regex(s, r"[,，\s]", "")
    ok = pc.match_substring_regex(t, r"^[+-]?[0-9]{1,%d}(?:\.0*)?$" % _INT_DIGITS).fill_null(False)
    bad = pc.and_(pc.is_valid(s), pc.invert(ok))
    t = pc.replace_substring_regex(pc.if_else(ok, t, _NULL_STR), r"\.0*$", "")
    return pc.cast(t, pa.int64()), bad


_TIME_PARTS = (
    r"(?s)^(?P<y>[0-9]{4})[-/.年](?P<mo>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})日?"
    r"(?:[ T]+(?P<h>[0-9]{1,2})[:：](?P<mi>[0-9]{1,2})(?:[:：](?P<sec>[0-9]{1,2})(?:\.[0-9]+)?)?)?$"
)


def _parse_time_slow(s: pa.Array) -> pa.Array:
    """Tolerant path (``2026/5/6 1:03``, date only, fractional seconds): components → datetime."""
    parts = pc.extract_regex(s, _TIME_PARTS)  # null where no match
    frame = {}
    for src, dst in (("y", "year"), ("mo", "month"), ("d", "day"), ("h", "hour"),
                     ("mi", "minute"), ("sec", "second")):
        col = pc.struct_field(parts, src)
        col = pc.if_else(pc.equal(col, ""), pa.scalar("0"), col)  # optional groups → ""
        frame[dst] = pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False)
    df = pd.DataFrame(frame).astype("float64")  # float so missing rows can be NaN
    # 25:61:00 is no time of day: pandas would roll it into the next day (and maybe month)
    clock = (df["hour"] > 23) | (df["minute"] > 59) | (df["second"] > 59)
    df.loc[clock, :] = np.nan
    result = pd.to_datetime(df, errors="coerce")  # impossible dates (2月30日) → NaT
    return pa.array(result.astype("datetime64[ns]"), type=pa.timestamp("ns"))


_CANONICAL_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"


def _canonical_times(s: pa.Array, canonical: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``(moments, good)`` of the cells in the exports' own format, YYYY-MM-DD HH:MM:SS (others
    null): Arrow's ISO-8601 cast, which refuses the whole array when one of them is no moment
    (02-30, 24:00:00, a second 60); then each is read by strptime and checked field by field,
    as Arrow's strptime rolls such a date over (02-30 → 03-02, 23:59:60 → the next day)."""
    try:
        t = pc.cast(pc.if_else(canonical, s, _NULL_STR), pa.timestamp("s"))
        return t, pc.is_valid(t)
    except pa.ArrowInvalid:
        pass
    t = pc.strptime(s, format=TIME_FORMAT, unit="s", error_is_null=True)
    good = pc.and_(pc.is_valid(t), canonical)
    for part, lo, hi in ((pc.day, 8, 10), (pc.hour, 11, 13), (pc.minute, 14, 16), (pc.second, 17, 19)):
        text = pc.if_else(good, pc.utf8_slice_codeunits(s, lo, hi), _NULL_STR)
        good = pc.and_(good, pc.equal(part(t), pc.cast(text, pa.int64())).fill_null(False))
    return pc.if_else(good, t, pa.scalar(None, pa.timestamp("s"))), good


def _parse_time(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    # fast path: the exports' own format; every other cell through the tolerant path
    canonical = pc.match_substring_regex(s, _CANONICAL_TIME).fill_null(False)
    t, good = _canonical_times(s, canonical)
    t = pc.cast(t, pa.timestamp("ns"))
    todo = pc.and_(pc.is_valid(s), pc.invert(good))
    if any_true(todo):
        idx = np.flatnonzero(as_numpy_bool(todo))
        slow = _parse_time_slow(s.take(pa.array(idx)))
        values = t.to_numpy(zero_copy_only=False).copy()
        values[idx] = slow.to_numpy(zero_copy_only=False)
        t = pa.array(values, type=pa.timestamp("ns"))
    bad = pc.and_(pc.is_valid(s), pc.is_null(t))
    return t, bad


def _parse_date(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    compact = pc.match_substring_regex(s, r"^[0-9]{8}$").fill_null(False)
    if any_true(compact):  # 20260513
        s = pc.if_else(compact, pc.replace_substring_regex(
            s, r"^([0-9]{4})([0-9]{2})([0-9]{2})$", r"\1-\2-\3"), s)
    t, bad = _parse_time(s)
    return pc.floor_temporal(t, unit="day"), bad


_PARSERS = {ID: _parse_id, MONEY: _parse_money, INT: _parse_int, NUMBER: _parse_number,
            PERCENT: _parse_percent, TIME: _parse_time, DATE: _parse_date}


def parse(cleaned: pa.Array, kind: str) -> tuple[pa.Array, pa.Array | None]:
    """Parse a :func:`clean`-ed string array as ``kind``: ``(values, bad)``, ``bad`` being a
    boolean array of the non-null cells that could not be read (``None`` for text)."""
    if kind == TEXT:
        return cleaned, None
    if kind not in _PARSERS:
        raise ValueError(f"unknown cell kind {kind!r} (use one of {', '.join(KINDS)})")
    return _PARSERS[kind](cleaned)


def reason_of(kind: str, value: str | None) -> str:
    """The quarantine reason for a rejected cell ``value`` (already cleaned) of ``kind``."""
    if kind == ID:
        if value is None:
            return R_ID_EMPTY
        return R_ID_NUMBER if _SCI_RE.match(value) else R_ID_TEXT
    if value is None:
        return R_TIME_EMPTY if kind in (TIME, DATE) else "必填值为空 (required value is empty)"
    if kind == MONEY and re.match(r"^-[0-9.,，]+$", value.replace("¥", "").replace("￥", "")):
        return R_NEGATIVE
    return _REASONS[kind]


def parse_values(values: list[Any], kind: str) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Cells as read from a sheet or CSV (any Python values) parsed as ``kind``.

    Returns ``(parsed, bad, cleaned)``: the parsed Arrow array, a numpy mask of the cells that
    could not be read, and the cleaned text (for messages)."""
    cleaned = clean(pa.array([excel_cell(v, kind) for v in values], type=pa.string()))
    parsed, bad = parse(cleaned, kind)
    mask = as_numpy_bool(bad) if bad is not None else np.zeros(len(values), dtype=bool)
    return parsed, mask, cleaned


def _python(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in (TIME, DATE):
        return pd.Timestamp(value)
    return value


def convert(value: Any, kind: str, *, file=None, row: int | None = None,
            column: str | None = None) -> Any:
    """One cell as ``kind``; ``None`` for ``-``, empty or ``暂无数据``.  A cell that cannot be read
    raises :class:`~returns_kit.errors.InputError` naming file, row and column.

    >>> convert("¥1,234.50", "money"), convert("12.3%", "percent"), convert("2026/05/13", "date")
    (1234.5, 0.123, Timestamp('2026-05-13 00:00:00'))
    """
    parsed, bad, _ = parse_values([value], kind)
    if bad[0]:
        raise InputError(f"cannot read {value!r} as {kind}", file=file, row=row, column=column)
    return _python(parsed[0].as_py(), kind)


#: personal data people type into free text, and what each is replaced with: mobile numbers
#: (with +86, spaces or dashes), landlines, ID-card numbers, e-mail addresses, street addresses
#: (路/街/巷/弄 + 号, 栋/幢/单元/室)
PERSONAL_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[邮箱]"),
    (re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
                r"(?![0-9A-Za-z])"), "[身份证号]"),
    (re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}[-\s]\d{7,8}(?!\d)"), "[电话]"),
    (re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]{0,12}(?:路|街|大道|巷|弄|道)\d+号(?:院|楼)?"
                r"(?:\d+(?:号楼|栋|幢|座))?(?:\d+单元)?(?:\d+(?:室|号|层))?"), "[地址]"),
    (re.compile(r"\d+(?:号楼|栋|幢|座)(?:\d+单元)?\d+(?:室|号)?"), "[地址]"),
)


def mask_personal(text: str | None) -> str | None:
    """``text`` with the personal data of :data:`PERSONAL_PATTERNS` replaced by a label
    (“着急，电话13512345678” → “着急，电话[手机号]”); None stays None."""
    if not text:
        return text
    for pattern, label in PERSONAL_PATTERNS:
        text = pattern.sub(label, text)
    return text


def mask_column(arr: pa.Array) -> pa.Array:
    """:func:`mask_personal` over a string column (each distinct value once)."""
    if not len(arr) or arr.null_count == len(arr):
        return arr
    uniques = pc.unique(arr)
    masked = pa.array([mask_personal(v) for v in uniques.to_pylist()], type=arr.type)
    return pc.take(masked, pc.index_in(arr, value_set=uniques))
