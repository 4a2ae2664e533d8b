"""Analyst configuration: ``conf/base`` (shared, committed) overlaid by ``conf/local`` (private).

Borrowed from kedro: ``base`` holds editable defaults that travel with the project, ``local`` holds
secrets and personal overrides and is git-ignored.  A file in ``local`` with the same name as one
in ``base`` is deep-merged over it (YAML) or replaces it (CSV).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

DEFAULT_CONF = Path("conf")
SALT_ENV = "RETURNS_KIT_SALT"


def deep_merge(base: Any, over: Any) -> Any:
    """``over`` merged into ``base``: dicts key by key (recursively), anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = deep_merge(base.get(key), value) if key in base else value
        return out
    return over


def load_yaml(name: str, conf_dir: str | Path = DEFAULT_CONF) -> dict[str, Any]:
    """``conf/base/<name>`` deep-merged with ``conf/local/<name>``; ``{}`` when neither exists."""
    conf_dir = Path(conf_dir)
    result: dict[str, Any] = {}
    for layer in ("base", "local"):
        path = conf_dir / layer / name
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                result = deep_merge(result, yaml.safe_load(fh) or {})
    return result


def require_yaml(name: str, key: str, what: str, conf_dir: str | Path = DEFAULT_CONF) -> dict[str, Any]:
    """:func:`load_yaml` of a file the kit cannot run without: ``key`` must be set, else
    :class:`~returns_kit.errors.InputError` says ``what`` is missing and where it belongs."""
    conf = load_yaml(name, conf_dir)
    if not conf.get(key):
        raise InputError(f"no {what} found: expected {Path(conf_dir) / 'base' / name}")
    return conf


def conf_file(name: str, conf_dir: str | Path = DEFAULT_CONF) -> Path | None:
    """Path of ``conf/local/<name>`` if it exists, else ``conf/base/<name>``, else ``None``."""
    for layer in ("local", "base"):
        path = Path(conf_dir) / layer / name
        if path.exists():
            return path
    return None


def get_salt(conf_dir: str | Path = DEFAULT_CONF) -> str:
    """Secret salt for the repeat-customer hash key.

    Taken from the ``RETURNS_KIT_SALT`` environment variable, else ``conf/local/salt.txt``, which
    is created with a random value the first time (so keys are stable across months on one
    machine, and meaningless anywhere else).
    """
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV]
    path = Path(conf_dir) / "local" / "salt.txt"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(16)
    path.write_text(value + "\n", encoding="utf-8")
    return value
