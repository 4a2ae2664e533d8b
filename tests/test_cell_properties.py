"""Property tests of the cell parsers (hypothesis): a value is parsed exactly or rejected,
never altered; what a locale could read two ways is rejected, not guessed."""

import datetime as dt
import os
from decimal import Decimal

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from returns_kit.io.cells import ID, INT, MONEY, TIME, parse_values

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
