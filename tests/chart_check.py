"""Shared check for chart helpers: drawing raises no warning at all (a glyph warning would land
as a stderr block in the report), the figure saves as PNG, and it has the expected bars."""

import io
import warnings

import matplotlib.pyplot as plt


def assert_draws(draw, bars: int):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = draw()
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert len(ax.patches) == bars
    plt.close(ax.figure)
    return ax
