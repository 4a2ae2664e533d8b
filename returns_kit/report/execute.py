"""Step 3 of the runner: execute the chapter notebooks one after another with papermill.

Kernel ``python3`` (this environment's interpreter when ipykernel is installed here), working
directory = the notebook's folder.  A failing cell, a timeout, a dead kernel or a kernel that
never starts raises :class:`~returns_kit.errors.NotebookError` naming the chapter and the executed
notebook, which is kept (and marked as failed) for debugging.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import NotebookError
from .params import chapter_number, read_notebook
from .render import chapter_label

__all__ = ["KERNEL_NAME", "execute_chapters", "kernel_warning"]

KERNEL_NAME = "python3"  # resolves to this venv's interpreter when ipykernel is installed here

_ERROR_BANNER_TAG = "papermill-error-cell-tag"


def kernel_warning() -> str | None:
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
        nb = read_notebook(output) if output.exists() else read_notebook(source)
    except Exception:
        nb = nbformat.v4.new_notebook()
    banner = nbformat.v4.new_markdown_cell(
        '<span style="color:red;font-family:monospace">'
        f"returns_kit: this chapter failed — {html_lib.escape(message)}</span>"
    )
    banner.metadata["tags"] = [_ERROR_BANNER_TAG]
    banner.metadata["papermill"] = {}
    nb.cells.insert(0, banner)
    pm = nb.metadata.setdefault("papermill", {})
    pm["exception"] = True
    pm["returns_kit_failure"] = message
    tmp = output.with_name(f".{output.name}.failed.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    os.replace(tmp, output)


def _has_papermill_banner(path: Path) -> bool:
    try:
        nb = read_notebook(path)
    except Exception:
        return False
    return any(_ERROR_BANNER_TAG in c.metadata.get("tags", []) for c in nb.cells)


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
        number = chapter_number(source, position)
        label = chapter_label(source, position)
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
