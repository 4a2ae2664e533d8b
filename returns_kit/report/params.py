"""Step 1 of the runner: find the chapter notebooks and check the ``-p NAME=VALUE`` parameters
against their ``parameters`` cells (unknown names, wrong types and secret-looking names or values
are refused)."""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ParameterError

__all__ = [
    "BASE_PARAMS",
    "DEFAULT_NOTEBOOKS",
    "NOTEBOOK_GLOB",
    "chapter_number",
    "convert_value",
    "discover_notebooks",
    "notebook_parameters",
    "read_notebook",
    "validate_params",
]

DEFAULT_NOTEBOOKS = Path("notebooks")
NOTEBOOK_GLOB = "0[0-8]_*.ipynb"

#: Parameters the runner sets for every chapter that declares them, and the CLI option for each.
BASE_PARAMS = {
    "month": "--month",
    "raw_dir": "--raw",
    "external_dir": "--external",
    "processed_dir": "--processed",
    "conf_dir": "--conf",
}

_SECRET_NAME_RE = re.compile(
    r"token|secret|webhook|passw(or)?d|pwd|credential|api_?key|app_?key|access|private"
    r"|(^|_)keys?($|_)",
    re.IGNORECASE,
)
_SECRET_VALUE_RE = re.compile(
    r"webhook|/hook/|/robot/send|access_token=|[?&](key|token|sign|secret|timestamp)=",
    re.IGNORECASE,
)

_TRUE = {"true", "t", "yes", "y", "on", "1", "是", "真", "对"}
_FALSE = {"false", "f", "no", "n", "off", "0", "否", "假", "不"}


# ----------------------------------------------------------------------------- discovery


def discover_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """The chapter notebooks ``00_*.ipynb`` (the summary) … ``08_*.ipynb`` in ``folder`` (default
    ``./notebooks``), sorted by name.  Raises ParameterError if there are none."""
    folder = Path(folder) if folder is not None else DEFAULT_NOTEBOOKS
    if not folder.is_dir():
        raise ParameterError(f"notebooks folder {folder} does not exist (use --notebooks DIR)")
    found = sorted(p for p in folder.glob(NOTEBOOK_GLOB) if p.is_file())
    if not found:
        raise ParameterError(
            f"no chapter notebooks in {folder}: expected files named 00_*.ipynb … 08_*.ipynb"
        )
    return found


def read_notebook(path: str | os.PathLike):
    """The notebook at ``path`` as an nbformat v4 node (utf-8)."""
    import nbformat

    with open(path, encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


def chapter_number(path: Path, position: int) -> int:
    """The chapter number from the file name (``03_breakdown.ipynb`` → 3), else ``position``."""
    m = re.match(r"(\d+)_", path.name)
    return int(m.group(1)) if m else position


def notebook_parameters(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Parameters declared in the notebook's ``parameters`` cell.

    ``{name: {"type": "int" | "str" | … | None, "default": "<source text>", "help": "…"}}``;
    type and help come from annotations and trailing comments
    (``min_orders: int = 30  # 最少订单数``).  Uses ``papermill.inspect_notebook``.
    """
    import papermill

    path = Path(path)
    try:
        raw = papermill.inspect_notebook(path)
    except ValueError:
        # No kernelspec in the notebook's metadata: inspect the cell with the Python translator.
        from papermill.translators import PythonTranslator

        nb = read_notebook(path)
        cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
        raw = {p.name: p._asdict() for p in PythonTranslator.inspect(cell)} if cell else {}
    out: dict[str, dict[str, Any]] = {}
    for name, info in raw.items():
        type_name = info.get("inferred_type_name")
        if type_name in (None, "", "None"):
            type_name = None
        out[name] = {"type": type_name, "default": info.get("default"),
                     "help": info.get("help", "")}
    return out


# ----------------------------------------------------------------------------- parameters


def _looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME_RE.search(name))


def _looks_like_secret_value(value: Any) -> bool:
    return isinstance(value, str) and bool(_SECRET_VALUE_RE.search(value))


def _type_of_default(default: Any) -> str | None:
    try:
        value = ast.literal_eval(str(default))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    for typ in (bool, int, float, str):
        if isinstance(value, typ):
            return typ.__name__
    return None


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，;；]", text) if part.strip()]


def convert_value(name: str, value: Any, type_name: str | None, default: Any = None) -> Any:
    """Convert ``value`` (a string from ``-p NAME=VALUE``, or a Python value from the API) to the
    declared type.  Raises ParameterError naming the parameter, the value and the type.

    >>> convert_value("min_orders", "30", "int")
    30
    >>> convert_value("show_all", "否", "bool")
    False
    """
    declared = type_name
    t = (type_name or "").replace(" ", "")
    optional = False
    m = re.fullmatch(r"Optional\[(.+)\]", t)
    if m:
        optional, t = True, m.group(1)
    if not t:
        t = _type_of_default(default) or ""
    base = t.split("[", 1)[0].lower()

    def fail(why: str = "") -> ParameterError:
        extra = f" ({why})" if why else ""
        return ParameterError(
            f"parameter {name!r}: value {value!r} is not a valid {declared or base}{extra}"
        )

    if optional and (value is None or (isinstance(value, str) and value.strip().lower()
                                       in {"", "none", "null"})):
        return None
    if isinstance(value, str):
        text = value.strip()
        if base == "str":
            return value
        if base == "int":
            try:
                return int(text)
            except ValueError:
                raise fail("expected a whole number, e.g. 30") from None
        if base == "float":
            try:
                return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)
            except ValueError:
                raise fail("expected a number, e.g. 0.15") from None
        if base == "bool":
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise fail("expected true/false, 1/0 or 是/否")
        if base in {"list", "tuple", "set", "dict"}:
            parsed: Any
            try:
                parsed = json.loads(text)
            except ValueError:
                try:
                    parsed = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    parsed = _split_list(text) if base != "dict" else None
            if base == "dict":
                if not isinstance(parsed, dict):
                    raise fail("expected a JSON object")
                return parsed
            if isinstance(parsed, (list, tuple, set)):
                return list(parsed)
            return [parsed] if parsed is not None else []
        return value  # unknown annotation (date, Path, …): passed as the string given
    # A Python value from the API.
    if value is None:
        if optional or base in {"", "nonetype"}:
            return None
        raise fail()
    if base == "str":
        if isinstance(value, (int, float, Path)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        raise fail()
    if base == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail()
    if base == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise fail()
    if base == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise fail()
    if base in {"list", "tuple", "set"}:
        if isinstance(value, (list, tuple, set)):
            return list(value)
        raise fail()
    if base == "dict":
        if isinstance(value, Mapping):
            return dict(value)
        raise fail()
    return value


def validate_params(
    notebooks: Sequence[str | os.PathLike],
    params: Mapping[str, Any] | None,
    *,
    base: Mapping[str, Any] | None = None,
) -> dict[Path, dict[str, Any]]:
    """Check user parameters against the notebooks' ``parameters`` cells; split them per notebook.

    - a name no notebook declares → ParameterError naming it and listing the known ones
      (papermill itself would only log a warning and run on the defaults);
    - a value that does not convert to the declared type → ParameterError (name, value, type);
    - a secret-looking name (token, secret, webhook, password, key, access …) or a value that
      looks like a webhook URL → ParameterError: secrets would be stored in the executed
      notebook; they come from environment variables or ``conf/local/``;
    - ``base`` (the runner's own month/raw_dir/… values) is given to every notebook that declares
      those names, and may not be overridden through ``params``.

    Returns ``{notebook path: {name: converted value}}``; each notebook gets only the names its
    parameters cell declares.
    """
    paths = [Path(nb) for nb in notebooks]
    params = dict(params or {})
    base = dict(base or {})
    declared = {path: notebook_parameters(path) for path in paths}
    known = sorted({name for decl in declared.values() for name in decl})

    for name, value in params.items():
        if _looks_secret(name):
            raise ParameterError(
                f"parameter {name!r} looks like a secret and is refused: values passed as "
                "notebook parameters are stored in the executed notebooks. Secrets (webhook URLs, "
                "tokens, keys, passwords) come from environment variables or conf/local/."
            )
        if _looks_like_secret_value(value):
            raise ParameterError(
                f"the value of parameter {name!r} looks like a webhook URL or credential and is "
                "refused: put it in an environment variable or conf/local/ instead."
            )
        if name in base:
            option = BASE_PARAMS.get(name)
            how = f"use the {option} option" if option else "it cannot be overridden"
            raise ParameterError(f"parameter {name!r} is set by the runner: {how}")
        if name not in known:
            raise ParameterError(
                f"unknown parameter {name!r}: no chapter notebook declares it in its parameters "
                f"cell. Known parameters: {', '.join(known) if known else '(none)'}"
            )

    result: dict[Path, dict[str, Any]] = {}
    for path in paths:
        decl = declared[path]
        chosen: dict[str, Any] = {}
        for name, value in base.items():
            if name in decl:
                chosen[name] = value
        for name, value in params.items():
            if name in decl:
                info = decl[name]
                try:
                    chosen[name] = convert_value(name, value, info["type"], info["default"])
                except ParameterError as exc:
                    raise ParameterError(f"{exc} (declared in {path.name})") from None
        result[path] = chosen
    return result
