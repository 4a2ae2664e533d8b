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

from .errors import InputError, ParameterError

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
            result = deep_merge(result, read_yaml(path))
    return result


def read_yaml(path: Path) -> dict[str, Any]:
    """One YAML settings file as a mapping (``{}`` when empty).  A syntax error, a file that is
    not UTF-8 or a top level that is not a mapping raises
    :class:`~returns_kit.errors.ParameterError` (exit 2) naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterError(f"{path}:{where}: YAML syntax error: {problem} — fix the file "
                             "(indent with spaces, quote text that contains ': ' or '#')") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected key: value settings at the top level, got a "
                             f"{type(data).__name__}")
    return data


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


def check_conf(conf_dir: str | Path = DEFAULT_CONF) -> list[Path]:
    """Read every YAML file of ``conf_dir/base`` and ``conf_dir/local`` (sub-folders too), so a
    broken setting stops a run with its file and line (exit 2) before any notebook starts.
    Returns the files read."""
    files = sorted(p for layer in ("base", "local") for p in (Path(conf_dir) / layer).rglob("*.yml"))
    for path in files:
        read_yaml(path)
    return files
