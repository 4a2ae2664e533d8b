"""The fast paths of returns_kit.core.frames give exactly what pandas gives."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from returns_kit.core.frames import isin, positions, rows


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"sub_order_id": pd.Series([f"S{i}" for i in range(n)], dtype="str"),
                         "amount": np.arange(n, dtype=float), "flag": np.arange(n) % 3 == 0},
                        index=pd.RangeIndex(10, 10 + n))


@given(st.lists(st.booleans(), max_size=40), st.sampled_from([None, ["amount"], ["flag", "sub_order_id"]]))
def test_rows_are_the_boolean_filter_of_the_columns_asked_for(mask, columns):
    frame = _frame(len(mask))
    expected = frame[np.array(mask, dtype=bool)]
    expected = expected if columns is None else expected[columns]
    pd.testing.assert_frame_equal(rows(frame, pd.Series(mask, index=frame.index, dtype=bool), columns), expected)


def test_rows_of_every_row_share_the_columns_and_a_change_stays_in_the_result():
    frame = _frame(5)
    everything = rows(frame, frame["amount"].notna(), ["amount", "flag"])
    assert np.shares_memory(everything["amount"].to_numpy(), frame["amount"].to_numpy())
    everything.loc[11, "amount"] = -1.0
    assert frame.loc[11, "amount"] == 1.0 and everything.loc[11, "amount"] == -1.0


@given(st.lists(st.sampled_from(["S1", "S2", "S3", None]), max_size=20),
       st.lists(st.sampled_from(["S2", "S3", "S9", None]), max_size=10))
def test_isin_of_arrow_strings_is_pandas_isin(left, right):
    mine = pd.Series(left, dtype="str")
    theirs = pd.Series(right, dtype="str")
    assert isin(mine, theirs).tolist() == mine.isin(theirs).tolist()


@given(st.lists(st.sampled_from(["S1", "S2", "S3", "S9", None]), max_size=20),
       st.lists(st.sampled_from(["S2", "S3", "S4", "S5", None]), unique=True, max_size=5))
def test_positions_of_arrow_strings_are_pandas_get_indexer(values, of):
    """Each value's place in ``of`` (−1 where it is not), as pandas gives it, missing values included."""
    mine, theirs = pd.Series(values, dtype="str"), pd.Series(of, dtype="str")
    expected = pd.Index(theirs).get_indexer(mine).tolist()
    assert positions(mine, theirs).tolist() == expected
    assert positions(pd.Index(mine), theirs).tolist() == expected
    assert positions(mine.astype(object), theirs.astype(object)).tolist() == expected  # not Arrow: pandas
