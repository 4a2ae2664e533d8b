"""The report runner: chapter notebooks → papermill → one self-contained HTML per month.

``returns-kit report --month 2026-10`` calls :func:`run_report`, which

1. checks the ``-p NAME=VALUE`` parameters against the notebooks' ``parameters`` cells
   (:func:`validate_params`: unknown names, wrong types and secret-looking names are refused),
2. ingests ``data/raw`` first, so bad input fails (exit 2) before any notebook runs,
3. computes ``metrics.json`` (:func:`returns_kit.metrics.monthly_metrics`),
4. executes the chapters one after another with papermill into ``reports/<month>/_run/``
   (:func:`execute_chapters`; kernel ``python3`` = this environment's interpreter),
5. combines the executed notebooks into one HTML with a table of contents and no code
   (:func:`render_html`; template ``returns_kit/templates/rk_report``: no request to any other
   host, phone-friendly CSS),
6. writes ``index.html`` and ``metrics.json`` atomically (:func:`write_report`).

Any failure raises before step 6, so the previous report (if any) stays untouched; the executed
notebooks stay in ``_run/`` and :class:`~returns_kit.errors.NotebookError` names the one that
failed.

The pieces are usable on their own, e.g. to render notebooks you executed yourself::

    from returns_kit import report
    nbs = report.discover_notebooks("notebooks")
    per_nb = report.validate_params(nbs, {"min_orders": "30"})
    executed = report.execute_chapters(nbs, per_nb, "tmp/_run", timeout=600, progress=True)
    html = report.render_html(executed, "抖店退货分析 2026-10")
"""

from __future__ import annotations

import ast
import base64
import contextlib
import html as html_lib
import io
import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import NotebookError, ParameterError, ReportRenderError

__all__ = [
    "KERNEL_NAME",
    "REMOVE_CELL_TAGS",
    "BASE_PARAMS",
    "NotebookWarning",
    "ReportRenderError",
    "discover_notebooks",
    "notebook_parameters",
    "validate_params",
    "convert_value",
    "execute_chapters",
    "combine_notebooks",
    "render_html",
    "check_self_contained",
    "write_report",
    "run_report",
]

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"  # resolves to this venv's interpreter when ipykernel is installed here
DEFAULT_NOTEBOOKS = Path("notebooks")
NOTEBOOK_GLOB = "0[1-8]_*.ipynb"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "rk_report"
REPORT_TITLE = "抖店退货分析月报 {month}"
BEIJING = timezone(timedelta(hours=8), "北京时间")

#: Cells never shown in the report (parameters, papermill's injected cell, plumbing, error banners).
REMOVE_CELL_TAGS = frozenset(
    {"parameters", "injected-parameters", "remove_cell", "papermill-error-cell-tag"}
)
REMOVE_INPUT_TAGS = frozenset({"remove_input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output"})

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

# Anything that makes the browser fetch from another host (the page must work offline).  Tag
# patterns need a real "<", which escaped text (buyer notes in tables) never contains; CSS
# patterns are only looked for inside <style> blocks and style="…" attributes.
_EXTERNAL_TAG_RE = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<[a-z][^>]*\b(?:src|srcset|poster|data)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
_CSS_RE = re.compile(
    r"<style\b[^>]*>(.*?)</style>|\bstyle\s*=\s*\"([^\"]*)\"|\bstyle\s*=\s*'([^']*)'",
    re.IGNORECASE | re.DOTALL,
)
_EXTERNAL_CSS_RE = re.compile(
    r"@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//|url\(\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)

_TRUE = {"true", "t", "yes", "y", "on", "1", "是", "真", "对"}
_FALSE = {"false", "f", "no", "n", "off", "0", "否", "假", "不"}




@dataclass(frozen=True)
class NotebookWarning:
    """A stderr (or error) output that was dropped from the HTML; printed as a warning."""

    chapter: str
    path: Path
    text: str
    kind: str = "stderr"  # "stderr" | "error"

    @property
    def missing_glyphs(self) -> bool:
        return "missing from font" in self.text

    def __str__(self) -> str:
        flag = " [MISSING CHINESE GLYPHS: call returns_kit.plots.setup_fonts()]" if (
            self.missing_glyphs) else ""
        text = self.text.strip()
        if len(text) > 2000:
            text = text[:2000] + " …"
        return f"{self.chapter} ({self.path.name}) {self.kind}{flag}: {text}"


# ----------------------------------------------------------------------------- discovery


def discover_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """The chapter notebooks ``01_*.ipynb`` … ``08_*.ipynb`` in ``folder`` (default
    ``./notebooks``), sorted by name.  Raises ParameterError if there are none."""
    folder = Path(folder) if folder is not None else DEFAULT_NOTEBOOKS
    if not folder.is_dir():
        raise ParameterError(f"notebooks folder {folder} does not exist (use --notebooks DIR)")
    found = sorted(p for p in folder.glob(NOTEBOOK_GLOB) if p.is_file())
    if not found:
        raise ParameterError(
            f"no chapter notebooks in {folder}: expected files named 01_*.ipynb … 08_*.ipynb"
        )
    return found


def _read_notebook(path: Path):
    import nbformat

    with open(path, encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


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

        nb = _read_notebook(path)
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
        if isinstance(value, str) and _SECRET_VALUE_RE.search(value):
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


# ----------------------------------------------------------------------------- execution


def _chapter_number(path: Path, position: int) -> int:
    m = re.match(r"(\d+)_", path.name)
    return int(m.group(1)) if m else position


def _first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if REMOVE_CELL_TAGS & set(cell.metadata.get("tags", [])):
            continue
        for line in cell.source.splitlines():
            m = re.match(r"\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if m:
                return m.group(1).strip()
            m = re.match(r"\s*<h[1-6][^>]*>(.+?)</h[1-6]>", line, re.IGNORECASE)
            if m:
                return re.sub(r"<[^>]+>", "", m.group(1)).strip()
    return None


def _chapter_label(path: Path, position: int, nb=None) -> str:
    """``"01 数据调取"``: the number, then the file's name part if it is Chinese, else the
    notebook's first heading, else the file's name part."""
    number = _chapter_number(path, position)
    rest = re.sub(r"^\d+_", "", path.stem).replace("_", " ").strip()
    name = rest
    if not re.search(r"[^\x00-\x7f]", rest):
        if nb is None:
            with contextlib.suppress(Exception):
                nb = _read_notebook(path)
        heading = _first_heading(nb) if nb is not None else None
        if heading:  # "一、数据调取" / "第一章 数据调取" / "1. 数据调取" → "数据调取"
            heading = re.sub(r"^(第[一二三四五六七八九十\d]+章|[一二三四五六七八九十]+、|\d+[.、)])\s*",
                             "", heading).strip() or heading
        name = heading or rest
    return f"{number:02d} {name}".strip()


@contextlib.contextmanager
def _kernel_environment() -> Iterator[None]:
    """Environment the kernels inherit: matplotlib's inline backend (non-GUI, and the one that
    puts charts into the notebook; an inherited ``MPLBACKEND=agg`` or ``TkAgg`` would give no
    charts or a window) and a quiet debugger."""
    saved = {k: os.environ.get(k) for k in ("MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")}
    if "inline" not in os.environ.get("MPLBACKEND", "inline").lower():
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _short(text: Any, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _mark_failed(output: Path, source: Path, message: str) -> None:
    """Make sure the executed notebook exists and says it failed (papermill writes no banner on
    a timeout and records the run as "completed")."""
    import nbformat

    try:
        nb = _read_notebook(output) if output.exists() else _read_notebook(source)
    except Exception:
        nb = nbformat.v4.new_notebook()
    banner = nbformat.v4.new_markdown_cell(
        '<span style="color:red;font-family:monospace">'
        f"returns_kit: this chapter failed — {html_lib.escape(message)}</span>"
    )
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    banner.metadata["papermill"] = {}
    nb.cells.insert(0, banner)
    pm = nb.metadata.setdefault("papermill", {})
    pm["exception"] = True
    pm["returns_kit_failure"] = message
    tmp = output.with_name(f".{output.name}.failed.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    os.replace(tmp, output)


def execute_chapters(
    notebooks: Sequence[str | os.PathLike],
    params_per_nb: Mapping[Path, Mapping[str, Any]],
    workdir: str | os.PathLike,
    *,
    timeout: int | None = 600,
    progress: bool = True,
    start_timeout: int = 120,
) -> list[Path]:
    """Run each chapter with papermill, one after another, into ``workdir/<same name>``.

    Kernel ``python3`` (this environment), working directory = the notebook's folder,
    ``timeout`` seconds per cell.  Returns the executed notebook paths.  A failing cell, a
    timeout, a dead kernel or any other execution problem raises NotebookError naming the
    chapter and the executed notebook (which exists and is kept for debugging).
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if timeout is not None and timeout <= 0:
        timeout = None  # no limit
    executed: list[Path] = []
    for position, source in enumerate((Path(nb) for nb in notebooks), start=1):
        output = workdir / source.name
        number = _chapter_number(source, position)
        label = _chapter_label(source, position)
        what = f"第{number}章 {source.name}"
        params = dict(params_per_nb.get(source) or {})
        failure: str | None = None
        with _kernel_environment():
            try:
                papermill.execute_notebook(
                    str(source),
                    str(output),
                    parameters=params,
                    kernel_name=KERNEL_NAME,
                    cwd=str(source.resolve().parent),
                    execution_timeout=timeout,
                    start_timeout=start_timeout,
                    progress_bar={"desc": label} if progress else False,
                    log_output=False,
                    # ipykernel 7 logs a transport warning at every start; cell errors still
                    # reach us as messages, only the kernel's own log is quieted
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
            except PapermillExecutionError as exc:
                failure = f"{what} failed: {exc.ename}: {_short(exc.evalue)}"
            except CellTimeoutError as exc:
                failure = (f"{what} failed: timeout: a cell ran longer than {timeout} s "
                           f"(raise --timeout if the data is large) [{_short(exc, 200)}]")
            except DeadKernelError as exc:
                failure = (f"{what} failed: DeadKernelError: the kernel died, often out of "
                           f"memory [{_short(exc, 200)}]")
            except Exception as exc:  # NoSuchKernel, unreadable notebook, ZMQ trouble …
                hint = ""
                if type(exc).__name__ == "NoSuchKernel":
                    hint = (" — install ipykernel into the environment that runs returns-kit "
                            f"({sys.executable} -m pip install ipykernel)")
                failure = f"{what} failed: {type(exc).__name__}: {_short(exc)}{hint}"
        if failure is not None:
            # papermill banners a failing cell; a timeout, a dead kernel or a kernel that never
            # started leaves no banner (or no file): add one, so the kept notebook says it failed
            if not _has_papermill_banner(output):
                with contextlib.suppress(Exception):
                    _mark_failed(output, source, failure)
            raise NotebookError(failure, executed=output)
        executed.append(output)
    return executed


def _has_papermill_banner(path: Path) -> bool:
    try:
        nb = _read_notebook(path)
    except Exception:
        return False
    return any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in nb.cells)


# ----------------------------------------------------------------------------- rendering


def _clean_cell(cell, chapter: str, path: Path, warnings: list[NotebookWarning]):
    cell.metadata.pop("papermill", None)
    cell.metadata.pop("execution", None)
    if cell.cell_type != "code":
        return cell
    kept = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stderr":
            warnings.append(NotebookWarning(chapter, path, output.get("text", ""), "stderr"))
            continue
        if kind == "error":
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            warnings.append(NotebookWarning(chapter, path, text, "error"))
            continue
        kept.append(output)
    cell.outputs = kept
    return cell


def combine_notebooks(
    executed: Sequence[str | os.PathLike],
    title: str,
    *,
    subtitle: str | None = None,
) -> tuple[Any, list[NotebookWarning]]:
    """One notebook for the whole report: a title cell, a table of contents (one link per
    chapter to an anchor ``chapter-NN`` placed at the start of the chapter; the chapter title is
    the notebook's first markdown heading), then every chapter's cells.

    Cells tagged parameters / injected-parameters / remove_cell and papermill's error banner are
    dropped, and so is papermill metadata; stderr and error outputs are removed and returned as
    warnings; code cells left without outputs are dropped (inputs are never shown).
    Returns ``(notebook, warnings)``.
    """
    import nbformat

    combined = nbformat.v4.new_notebook()
    warnings: list[NotebookWarning] = []
    toc: list[tuple[str, str]] = []
    body = []
    anchors: set[str] = set()
    for position, path in enumerate((Path(p) for p in executed), start=1):
        nb = _read_notebook(path)
        if position == 1:
            for key in ("kernelspec", "language_info"):
                if key in nb.metadata:
                    combined.metadata[key] = nb.metadata[key]
        number = _chapter_number(path, position)
        label = _chapter_label(path, position, nb)
        heading = _first_heading(nb) or label
        anchor = f"chapter-{number:02d}"
        if anchor in anchors:
            anchor = f"{anchor}-{position}"
        anchors.add(anchor)
        toc.append((anchor, heading))
        start = nbformat.v4.new_markdown_cell(
            f'<div id="{anchor}" class="rk-chapter-anchor"></div>'
        )
        start.id = f"{anchor}-start"
        body.append(start)
        for index, cell in enumerate(nb.cells):
            tags = set(cell.metadata.get("tags", []))
            if tags & REMOVE_CELL_TAGS:
                continue
            cell = _clean_cell(cell, label, path, warnings)
            if cell.cell_type == "code" and not cell.outputs:
                continue  # nothing to show (inputs are never shown): no empty boxes
            cell.id = f"{anchor}-{index}"
            body.append(cell)

    lines = [f"# {html_lib.escape(title)}"]
    if subtitle:
        lines += ["", f'<p class="rk-subtitle">{html_lib.escape(subtitle)}</p>']
    title_cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    title_cell.id = "rk-title"
    items = "\n".join(
        f'<li><a href="#{anchor}">{html_lib.escape(heading)}</a></li>' for anchor, heading in toc
    )
    toc_cell = nbformat.v4.new_markdown_cell(
        f'<nav class="rk-toc" aria-label="目录">\n<p class="rk-toc-title">目录</p>\n'
        f"<ol>\n{items}\n</ol>\n</nav>"
    )
    toc_cell.id = "rk-toc"
    combined.cells = [title_cell, toc_cell, *body]
    return combined, warnings


class _DropAltTextNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Alternative text is missing" not in record.getMessage()


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True  # markdown images (a logo) become data URIs
    c.HTMLExporter.language_code = "zh"
    c.HTMLExporter.theme = "light"
    logger = logging.getLogger(f"{__name__}.nbconvert")
    if not any(isinstance(f, _DropAltTextNotice) for f in logger.filters):
        logger.addFilter(_DropAltTextNotice())
    return HTMLExporter(
        config=c,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        log=logger,
    )


def check_self_contained(html: str) -> None:
    """Raise ReportRenderError if the page would request anything from another host
    (``<script src="http…">``, ``<link href="http…">``, ``@import url(http…)``, ``src="//…"``)."""
    found = None
    m = _EXTERNAL_TAG_RE.search(html)
    if m:
        found = (m.start(), m.end())
    else:
        for css in _CSS_RE.finditer(html):
            for group in (1, 2, 3):
                if css.group(group) is None:
                    continue
                hit = _EXTERNAL_CSS_RE.search(css.group(group))
                if hit:
                    offset = css.start(group)
                    found = (offset + hit.start(), offset + hit.end())
                    break
            if found:
                break
    if found:
        start = max(0, found[0] - 80)
        snippet = " ".join(html[start:found[1] + 120].split())
        raise ReportRenderError(
            "the rendered report would load a resource from another host (it must work offline "
            f"and without CDNs): …{snippet}… — use static charts (matplotlib/seaborn PNG) "
            "instead of JavaScript widgets, and local images in markdown"
        )


def render_html(
    executed: Sequence[str | os.PathLike],
    title: str,
    *,
    subtitle: str | None = None,
    warnings: list[NotebookWarning] | None = None,
) -> str:
    """Render executed chapter notebooks as ONE self-contained HTML page.

    No code and no prompts; tagged plumbing cells removed; stderr/error outputs dropped (they
    are appended to ``warnings`` when a list is given, else logged); charts stay inline
    ``data:image/png;base64``; ``<html lang="zh">`` and ``<title>`` = ``title``.  The page makes
    no request to another host (checked: ReportRenderError otherwise).
    """
    executed = [Path(p) for p in executed]
    nb, found = combine_notebooks(executed, title, subtitle=subtitle)
    if warnings is not None:
        warnings.extend(found)  # the caller prints them
    else:
        for item in found:
            log.warning("%s", item)

    source_dir = executed[0].parent if executed else Path.cwd()
    with contextlib.suppress(Exception):
        first = _read_notebook(executed[0])
        input_path = first.metadata.get("papermill", {}).get("input_path")
        if input_path and Path(input_path).parent.is_dir():
            source_dir = Path(input_path).parent
    resources = {"metadata": {"name": title, "path": str(source_dir)}}
    html, _ = _exporter().from_notebook_node(nb, resources=resources)

    html = html.replace('alt="No description has been provided for this image"', 'alt="图表"')
    if 'name="viewport"' not in html:
        html = html.replace(
            '<meta charset="utf-8"/>',
            '<meta charset="utf-8"/>\n<meta name="viewport" content="width=device-width, '
            'initial-scale=1"/>',
            1,
        )
    html = embed_cjk_font(html)
    check_self_contained(html)
    return html


EMBEDDED_FONT_FAMILY = "rk-noto-sc"
_TAGS = re.compile(r"<style.*?</style>|<script.*?</script>|<[^>]+>", re.S)


def page_text_chars(html: str) -> set[str]:
    """The CJK and full-width characters a reader sees on the page (tags, CSS and scripts out)."""
    text = html_lib.unescape(_TAGS.sub(" ", html))
    return {ch for ch in text if ord(ch) >= 0x2E80}


def embed_cjk_font(html: str) -> str:
    """Embed a subset of the OFL Noto Sans CJK SC font holding exactly the page's Chinese
    characters, as a ``data:`` URI ``@font-face`` (about 0.3 KB per character, WOFF).

    A phone or PC uses its own Chinese font first (the page's font list starts with the system
    fonts); this one fills in wherever the reader's machine has none — a bare Linux desktop,
    a kiosk browser — so Chinese text renders everywhere, offline.  Only the pip-installed OFL
    font is embedded (its licence allows it); without it the page relies on system fonts.
    """
    chars = page_text_chars(html)
    try:
        import noto_cjk_sans_otc
        from fontTools import subset
    except ImportError:
        return html
    if not chars:
        return html
    options = subset.Options()
    options.font_number = _ttc_face_index(noto_cjk_sans_otc.FONT_PATH, "Noto Sans CJK SC")
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    font = subset.load_font(noto_cjk_sans_otc.FONT_PATH, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    face = (f'<style type="text/css">@font-face {{ font-family: "{EMBEDDED_FONT_FAMILY}"; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); font-display: swap; }}</style>\n')
    return html.replace("</head>", face + "</head>", 1)


def _ttc_face_index(path: str, family: str) -> int:
    from fontTools.ttLib import TTCollection

    if not str(path).lower().endswith((".ttc", ".otc")):
        return 0
    for i, face in enumerate(TTCollection(path, lazy=True).fonts):
        if face["name"].getDebugName(1) == family:
            return i
    return 0


# ----------------------------------------------------------------------------- writing


def _jsonable(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf → None, numpy/pandas scalars → Python, dates → ISO strings."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Decimal):
        return _jsonable(float(obj))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    # numpy / pandas without importing them
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays and scalars
        return _jsonable(obj.tolist())
    if hasattr(obj, "to_dict") and callable(obj.to_dict):  # pandas Series/DataFrame
        return _jsonable(obj.to_dict())
    if hasattr(obj, "isoformat"):  # pandas Timestamp/NaT
        try:
            return obj.isoformat() if obj == obj else None
        except Exception:
            return str(obj)
    try:
        if obj != obj:  # pandas NA, NaT
            return None
    except Exception:
        pass
    if type(obj).__name__ in {"NAType", "NaTType"}:
        return None
    return str(obj)


def remove_stale_temp_files(out_month_dir: str | os.PathLike) -> list[Path]:
    """Delete temp files a crashed run left behind (``.index.html.*.tmp`` …)."""
    folder = Path(out_month_dir)
    removed = []
    if folder.is_dir():
        for pattern in (".index.html.*.tmp", ".metrics.json.*.tmp"):
            for path in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def write_report(out_month_dir: str | os.PathLike, html: str, metrics: Mapping[str, Any]) -> Path:
    """Write ``index.html`` and ``metrics.json`` (utf-8) atomically; return the index path.

    Both files are written to temp files in the same folder first and then moved into place with
    ``os.replace`` (metrics first, index last), so a crash leaves either the previous report or
    the new one, never a half-written file.  NaN/inf in metrics become ``null``.
    """
    from .io import atomic_write

    folder = Path(out_month_dir)
    folder.mkdir(parents=True, exist_ok=True)
    index, metrics_path = folder / "index.html", folder / "metrics.json"
    text = json.dumps(_jsonable(metrics), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    for target, content in ((metrics_path, text), (index, html)):
        atomic_write(target, lambda p, c=content: p.write_text(c, encoding="utf-8", newline="\n"))
    return index


# ----------------------------------------------------------------------------- the whole run


def _kernel_warning() -> str | None:
    """A warning if kernel "python3" would not run this interpreter (notebook_tooling §1.5)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return "jupyter_client is not installed; install returns_kit's dependencies"
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return (f"no {KERNEL_NAME!r} Jupyter kernel: install ipykernel into this environment "
                f"({sys.executable} -m pip install ipykernel)")
    exe = spec.argv[0] if spec.argv else ""
    if exe in {"python", "python3", "{python}"}:
        return None
    with contextlib.suppress(OSError):
        if Path(exe).resolve() == Path(sys.executable).resolve():
            return None
    return (f"the {KERNEL_NAME!r} Jupyter kernel runs {exe}, not {sys.executable}; chapters may "
            "not find returns_kit. Install ipykernel into this environment.")


def _clean_run_dir(run_dir: Path) -> None:
    for path in run_dir.glob(NOTEBOOK_GLOB):
        with contextlib.suppress(OSError):
            path.unlink()
    for path in run_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()


def _print_warning(text: str) -> None:
    print(f"returns-kit: warning: {text}", file=sys.stderr)


def run_report(
    month: str,
    *,
    raw: str | os.PathLike,
    external: str | os.PathLike,
    processed: str | os.PathLike,
    out: str | os.PathLike,
    conf: str | os.PathLike,
    notebooks: str | os.PathLike | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: int | None = 600,
    progress: bool = True,
) -> Path:
    """Run the monthly report end to end; return ``out/<month>/index.html``.

    Bad parameters → ParameterError and bad input → InputError (exit 2), both before any notebook
    runs; a failing or timed-out chapter → NotebookError naming ``out/<month>/_run/<chapter>``
    (exit 1).  On any failure no new ``index.html`` is written and a previous one stays as it
    was.  Warnings from the notebooks (stderr outputs, e.g. missing glyphs) go to stderr.
    """
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(month)):
        raise ParameterError(f"month must look like 2026-10, got {month!r}")
    month = str(month)
    nb_paths = discover_notebooks(notebooks)
    base = {
        "month": month,
        "raw_dir": str(Path(raw).resolve()),
        "external_dir": str(Path(external).resolve()),
        "processed_dir": str(Path(processed).resolve()),
        "conf_dir": str(Path(conf).resolve()),
    }
    per_nb = validate_params(nb_paths, params or {}, base=base)

    from .io import ingest

    data = ingest(raw, processed, conf_dir=conf)

    from .metrics import monthly_metrics

    metrics = monthly_metrics(data, month, conf_dir=conf, external_dir=external)

    month_dir = Path(out) / month
    run_dir = month_dir / "_run"
    run_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(month_dir)
    _clean_run_dir(run_dir)

    problem = _kernel_warning()
    if problem:
        _print_warning(problem)

    executed = execute_chapters(nb_paths, per_nb, run_dir, timeout=timeout, progress=progress)

    found: list[NotebookWarning] = []
    generated = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    html = render_html(
        executed,
        REPORT_TITLE.format(month=month),
        subtitle=f"报告月份 {month} · 生成于 {generated}（北京时间）",
        warnings=found,
    )
    for item in found:
        _print_warning(str(item))
    return write_report(month_dir, html, metrics)
