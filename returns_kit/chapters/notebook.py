"""A chapter notebook's one setup call: the report's chart theme and the month's context."""

from __future__ import annotations

from pathlib import Path

from ..plots import theme
from .context import Context, build_context

__all__ = ["setup"]


def setup(month: str, *, raw_dir: str | Path, external_dir: str | Path | None,
          processed_dir: str | Path, conf_dir: str | Path) -> Context:
    """Apply the chart theme (Chinese fonts, phone-sized figures) and load the month
    (:func:`~returns_kit.chapters.context.build_context`)."""
    theme()
    return build_context(month, raw_dir=raw_dir, external_dir=external_dir,
                         processed_dir=processed_dir, conf_dir=conf_dir)
