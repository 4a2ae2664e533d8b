"""Property tests of the cell parsers (hypothesis): a value is parsed exactly or rejected,
never altered; what a locale could read two ways is rejected, not guessed."""

import datetime as dt
import os
from decimal import Decimal

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from returns_kit.io.cells import ID, INT, MONEY, TIME, parse_values
from returns_kit.model import NULL_TOKENS

# derandomized: the same examples on every machine, so CI is not a lottery; the edge cases that
# once broke a parser are pinned with @example
settings.register_profile("kit", max_examples=400, deadline=None, derandomize=True)
settings.register_profile("deep", max_examples=5000, deadline=None)  # HYPOTHESIS_PROFILE=deep: hunt
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kit"))


def one(value, kind):
    parsed, bad, _ = parse_values([value], kind)
    return parsed.to_pylist()[0], bool(bad[0])


@given(st.from_regex(r"[1-9][0-9]{0,18}", fullmatch=True), st.sampled_from(["{}", "\t{}", '="{}"', " {} "]))
def test_ids_are_kept_digit_for_digit(digits, form):
    assert one(form.format(digits), ID) == (digits, False)


@given(st.from_regex(r"[0-9]{1,10}[A-Za-z.\-+][0-9A-Za-z]{0,8}", fullmatch=True))
def test_an_id_with_anything_but_digits_is_rejected(text):
    value, bad = one(text, ID)
    assert bad


@given(st.integers(0, 10**11), st.sampled_from(["{:.2f}", "{:,.2f}", "¥{:,.2f}", "{:.2f}元", "￥{:.2f}"]))
def test_money_is_parsed_to_the_cent(cents, form):
    amount = Decimal(cents) / 100
    value, bad = one(form.format(amount), MONEY)
    assert not bad and value == float(amount)


@given(st.integers(1, 999), st.integers(0, 99), st.integers(1, 999))
@example(12, 34, 1)
def test_locale_ambiguous_money_is_rejected(whole, two_digits, thousands):
    assert one(f"{whole},{two_digits:02d}", MONEY) == (None, True)          # 12,34: 12.34 or 1234?
    assert one(f"{thousands}.{whole:03d},{two_digits:02d}", MONEY) == (None, True)  # 1.234,50


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_times_are_parsed_to_the_second(when):
    when = when.replace(microsecond=0)
    assert one(when.strftime("%Y-%m-%d %H:%M:%S"), TIME) == (pd.Timestamp(when), False)
    assert one(when.strftime("%Y/%m/%d %H:%M"), TIME) == (pd.Timestamp(when.replace(second=0)), False)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
@example(dt.date(2000, 1, 1), 0, 0, 60)    # Arrow's strptime took a leap second: 00:01:00
@example(dt.date(2026, 10, 31), 24, 0, 0)  # would roll into November
@example(dt.date(2026, 10, 5), 25, 61, 0)
def test_an_impossible_clock_time_is_rejected_not_rolled_over(day, hour, minute, second):
    text = f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}:{second:02d}"
    value, bad = one(text, TIME)
    if hour <= 23 and minute <= 59 and second <= 59:
        assert (value, bad) == (pd.Timestamp(f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}:{second:02d}"), False)
    else:
        assert (value, bad) == (None, True)


@given(st.integers(0, 10**12), st.sampled_from(["{}", "{:,}", " {} "]))
def test_integers_are_exact(n, form):
    assert one(form.format(n), INT) == (n, False)


@given(st.lists(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
                min_size=1, max_size=20),
       st.lists(st.sampled_from(["2026-02-30 10:00:00", "2025-02-29 00:00:00", "2026-04-31 08:00:00",
                                 "2026-01-01 23:59:60", "2026-01-01 24:00:00", "2026/5/6 1:03", "x"]), max_size=3),
       st.randoms(use_true_random=False))
def test_a_column_of_times_is_read_cell_by_cell_whatever_else_it_holds(whens, others, rnd):
    """Canonical cells go through one cast of the whole column, which refuses the column when one
    of them is no moment: every other cell still gets its own value, the impossible ones are bad."""
    cells = [(w.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S"), pd.Timestamp(w.replace(microsecond=0)))
             for w in whens]
    cells += [(o, pd.Timestamp(2026, 5, 6, 1, 3) if o == "2026/5/6 1:03" else None) for o in others]
    rnd.shuffle(cells)
    parsed, bad, _ = parse_values([c[0] for c in cells], TIME)
    assert parsed.to_pylist() == [c[1] for c in cells]
    assert bad.tolist() == [c[1] is None for c in cells]


@given(st.lists(st.one_of(st.integers(0, 10**12).map(str), st.sampled_from(["1,234", "3.0", "x", "-", "", "１２"])),
                min_size=1, max_size=10))
def test_a_column_of_integers_is_read_cell_by_cell(texts):
    expected = {"1,234": 1234, "3.0": 3, "x": None, "-": None, "": None, "１２": None}
    parsed, bad, _ = parse_values(texts, INT)
    assert parsed.to_pylist() == [expected.get(t, int(t) if t.isascii() and t.isdigit() else None) for t in texts]
    assert bad.tolist() == [t in ("x", "１２") for t in texts]


@given(st.lists(st.one_of(st.text(alphabet="0123456789+-.eE", min_size=1, max_size=8),
                          st.sampled_from(["inf", "-inf", "nan", "NaN", "Infinity", "1e400", "0x1A", "1_000", "１２",
                                           "1.", ".5", "+.5e-3", "١٢"]),
                          st.floats(allow_nan=False, allow_infinity=False).map(repr)),
                min_size=1, max_size=12))
@example(["1.5", "inf"])
@example(["1", "+1"])
def test_a_column_of_numbers_is_read_as_the_pattern_says_whatever_else_it_holds(texts):
    """A column of plain decimals goes through one cast of the whole column: it reads exactly
    the cells the number pattern accepts, to the same double, and rejects the rest."""
    import re

    from returns_kit.io.cells import NUMBER, _NUMBER_RE

    parsed, bad, cleaned = parse_values(texts, NUMBER)
    for text, value, rejected in zip(cleaned.to_pylist(), parsed.to_pylist(), bad.tolist()):
        if text is None:  # "nan", "-": a null token, no value
            assert (value, rejected) == (None, False)
        elif re.fullmatch(_NUMBER_RE.strip("^$"), text):
            assert (value, rejected) == (float(text), False), text
        else:
            assert (value, rejected) == (None, True), text


@given(st.integers(10**18, 10**30), st.sampled_from(["{}", "{:,}"]), st.integers(0, 10**6))
def test_an_integer_too_long_for_any_quantity_is_rejected_not_a_crash(n, form, other):
    """A 19-digit ID pasted into 商品数量 is a bad cell of its row (it used to stop the ingest
    with Arrow's overflow error); the cells beside it keep their values."""
    parsed, bad, _ = parse_values([form.format(n), str(other)], INT)
    assert parsed.to_pylist() == [None, other] and bad.tolist() == [True, False]


_CELLS = st.sampled_from(["", "-", "--", "暂无数据", " 12.50 ", "\t7", '"1,299.00"', '="3"', "\ufeff5", "店铺券-5.00",
                          "2026-10-01 08:00:00", " 2026-10-01 8:00 ", "2026-02-30 10:00:00", "法式\n碎花", "¥3", "abc"])


@given(st.lists(_CELLS, min_size=1, max_size=30), st.data())
def test_a_column_in_blocks_is_cleaned_and_parsed_as_the_whole_column(cells, data):
    """A CSV's columns stay in the reader's blocks: cleaning and parsing them block by block gives
    what the joined column gives, whichever block holds the BOM, the quotes or the bad cell."""
    import pyarrow as pa

    from returns_kit.io.cells import DATE, NUMBER, PERCENT, TEXT, clean, parse

    cuts = sorted(data.draw(st.lists(st.integers(0, len(cells)), max_size=4)))
    blocks = [cells[a:b] for a, b in zip([0, *cuts], [*cuts, len(cells)])]
    chunked = pa.chunked_array([pa.array(b, pa.string()) for b in blocks], pa.string())
    whole = pa.array(cells, pa.string())
    assert clean(chunked).to_pylist() == clean(whole).to_pylist()
    for kind in (ID, INT, MONEY, NUMBER, PERCENT, TIME, DATE, TEXT):
        got, want = parse(clean(chunked), kind), parse(clean(whole), kind)
        assert got[0].to_pylist() == want[0].to_pylist(), kind
        assert (got[1] is None) == (want[1] is None) and (got[1] is None or got[1].to_pylist() == want[1].to_pylist())


_TOKEN_LIKE = st.one_of(st.none(), st.sampled_from(sorted(NULL_TOKENS)),
                        st.text(alphabet="-—nNaulLo暂无数据据 x", max_size=5),  # near misses: "n", "—-", "暂无"
                        st.text(max_size=40))


@given(st.lists(_TOKEN_LIKE, max_size=40), st.integers(0, 40), st.lists(st.integers(0, 40), max_size=3))
@example(["", None, "-"], 0, [])  # an empty cell and a null one have the same offsets
@example(["x", "--"], 1, [0, 1])  # an empty block first
def test_null_tokens_are_nulled_exactly_in_any_block_or_slice(cells, start, cuts):
    """A column with no cell of a null token's length (read from its blocks' own offsets) is not
    hashed: whatever the blocks, a slice's offset or the bytes around a cell, exactly the cells
    equal to a token become null, the others keep their text, and the result is valid Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from returns_kit.io.cells import _NULL_SET, _tokens_as_null

    start = min(start, len(cells))
    whole = pa.array(["padding", *cells], pa.string()).slice(1 + start)  # offset ≠ 0, bytes before it
    cuts = sorted(min(c, len(whole)) for c in cuts)
    blocks = [whole.slice(a, b - a) for a, b in zip([0, *cuts], [*cuts, len(whole)])]
    want = [None if c in NULL_TOKENS else c for c in cells[start:]]
    for arr in (whole, pa.chunked_array(blocks, pa.string())):
        got = _tokens_as_null(arr)
        got.validate(full=True)
        assert type(got) is type(arr) and got.to_pylist() == want
        assert got.equals(pc.if_else(pc.is_in(arr, value_set=_NULL_SET), pa.scalar(None, pa.string()), arr))


@given(st.lists(st.one_of(st.none(), st.text(alphabet="SF0129-,，;；  \t\n顺丰速运-中通", max_size=14),
                          st.from_regex(r"[A-Z]{0,2}[0-9]{3,6}-[顺丰中通速运]{2,4}(,[ 衣裙M]{0,5})?", fullmatch=True)),
                min_size=1, max_size=25))
def test_tracking_numbers_and_carriers_read_the_same_by_the_short_pattern(cells):
    """Most 快递信息 cells have the plain shape (``SF…-顺丰速运,…``) and are read by a pattern that
    stops after the carrier; every cell gives what the full pattern gives."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from returns_kit.io import exports

    arr = pa.array(cells, pa.string())
    got = exports._logistics_parts(arr, len(arr))
    full = pc.extract_regex(arr, exports._LOGISTICS_RE)
    assert got["carrier"].to_pylist() == pc.struct_field(full, "carrier").to_pylist()
    assert got["tracking_no"].to_pylist() == pc.struct_field(full, "tracking").to_pylist()
