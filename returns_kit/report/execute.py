"""Step 3 of the runner: execute the chapter notebooks with papermill, several at a time.

Kernel ``python3`` (this environment's interpreter when ipykernel is installed here), working
directory = the notebook's folder.  Each worker process keeps one kernel (on Unix sockets) from
chapter to chapter, its namespace reset in between.  A failing cell, a timeout, a dead kernel or a kernel that
never starts raises :class:`~returns_kit.errors.NotebookError` naming the chapter and the executed
notebook, which is kept (and marked as failed) for debugging.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.memory import trim
from ..errors import NotebookError
from .params import chapter_number, read_notebook
from .render import chapter_label

__all__ = ["KERNEL_NAME", "chapter_seconds", "default_jobs", "execute_chapters", "kernel_warning", "start_order",
           "worker_count"]

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


def default_jobs() -> int:
    """Chapters run at once by default: one per core this process may use (at most 4: each
    kernel holds its own copy of the month's tables)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def worker_count(jobs: int | None, chapters: int) -> int:
    """How many chapters a run executes at once: ``jobs`` (default :func:`default_jobs`), never
    more than there are chapters."""
    return max(1, min(jobs or default_jobs(), chapters))


def _ipc_kernel_manager(folder: str) -> type:
    """A kernel manager whose kernel talks over Unix sockets in ``folder``, not TCP ports:
    kernels started at the same moment (parallel chapters, another run on the machine) can
    never pick the same port."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):  # nbclient drives kernels asynchronously
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(folder, "k")

    return IPCKernelManager


#: the kernel's command-line options: ipykernel 7 logs a transport warning at every start; cell
#: errors still reach the runner as messages, only the kernel's own log is quieted
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]

#: run in a kernel started ahead of its first chapter (:class:`ChapterWorkers`, while the runner
#: ingests): the kit's chapter modules and the libraries they import, so the first chapter
#: starts warm; the namespace is reset before the chapter (:data:`RESET_CODE`), the modules stay
WARM_CODE = ("import returns_kit as _rk\n"
             "for _n in (*_rk.chapters.CHAPTERS, 'notebook'): getattr(_rk.chapters, _n)\n"
             "import returns_kit.plots, returns_kit.display\n"
             "del _rk, _n")

#: run in a kept kernel before each chapter: a fresh namespace and execution count, no open
#: figure, the memory the last chapter freed handed back (:func:`returns_kit.core.memory.trim`);
#: imported modules (and the month's context, see chapters.notebook) stay loaded
RESET_CODE = ("get_ipython().reset(new_session=True)\n"
              "import sys as _s; _s.modules.get('matplotlib.pyplot') and _s.modules['matplotlib.pyplot'].close('all')\n"
              "import returns_kit.core.memory as _m; _m.trim()\n"
              "del _s, _m")


class _WorkerKernel:
    """The kernel of one worker process, kept from chapter to chapter: its start, the imports
    and the month's context are paid once per worker, not once per chapter.  Before each
    chapter its namespace is reset (:data:`RESET_CODE`), so a chapter sees no variable of the
    one before; after a failure it is shut down and the next chapter gets a new one."""

    def __init__(self) -> None:
        self.km: Any = None
        self.key: tuple[str, str] | None = None
        self.folder: str | None = None

    def get(self, kernel_name: str, cwd: str) -> Any:
        if self.km is not None and self.key == (kernel_name, cwd) and self.km.has_kernel and self._reset():
            return self.km
        self.discard()
        self.folder = tempfile.mkdtemp(prefix="rk-kernel-")
        manager = _ipc_kernel_manager(self.folder) if sys.platform != "win32" else None
        if manager is None:  # pragma: no cover - Windows has no Unix sockets
            from jupyter_client.manager import AsyncKernelManager as manager
        self.km, self.key = manager(kernel_name=kernel_name), (kernel_name, cwd)
        return self.km  # papermill starts it, in ``cwd``

    def _reset(self) -> bool:
        return self.run(RESET_CODE, ready_timeout=30, timeout=60)

    def run(self, code: str, ready_timeout: int, timeout: int) -> bool:
        """Run ``code`` silently in the kernel; whether it ran without an error."""
        try:
            client = self.km.blocking_client()
            client.start_channels()
            try:
                client.wait_for_ready(timeout=ready_timeout)
                reply = client.execute_interactive(code, silent=True, store_history=False, timeout=timeout)
            finally:
                client.stop_channels()
            return reply["content"]["status"] == "ok"
        except Exception:
            return False

    def start(self, kernel_name: str, cwd: str, start_timeout: int) -> bool:
        """Start the kernel in ``cwd`` ahead of its first chapter and import the kit into it
        (:data:`WARM_CODE`); whether it is ready.  One that fails is discarded: the chapter
        then starts its own, and says why it could not."""
        from jupyter_core.utils import run_sync

        km = self.get(kernel_name, cwd)
        try:
            if not km.has_kernel:
                run_sync(km.start_kernel)(cwd=cwd, extra_arguments=KERNEL_ARGUMENTS)
        except Exception:
            self.discard()
            return False
        if self.run(WARM_CODE, ready_timeout=start_timeout, timeout=start_timeout):
            return True
        self.discard()
        return False

    def discard(self) -> None:
        if self.km is not None and self.km.has_kernel:
            from jupyter_core.utils import run_sync

            with contextlib.suppress(Exception):
                run_sync(self.km.shutdown_kernel)(now=True)
        self.km = self.key = None
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_KERNEL: _WorkerKernel | None = None


def _worker_kernel() -> _WorkerKernel:
    global _KERNEL
    if _KERNEL is None:
        import multiprocessing.util

        _KERNEL = _WorkerKernel()
        multiprocessing.util.Finalize(_KERNEL, _KERNEL.discard, exitpriority=10)  # at the worker's exit
    return _KERNEL


#: the summary (chapter 0) starts once the chapters up to this one have started: it reads what
#: they compute (the outcomes, the tags, the month's monitoring), so started first its kernel
#: would compute all of them while the other kernels wait for them
SUMMARY_STARTS_AFTER = 5


def start_order(sources: Sequence[Path]) -> list[int]:
    """The chapters' positions (1-based) in the order they are started: the report's order, but
    the summary (chapter 0) after the last chapter numbered up to :data:`SUMMARY_STARTS_AFTER`."""
    numbers = [chapter_number(source, position) for position, source in enumerate(sources, 1)]
    rest = [p for p, n in enumerate(numbers, 1) if n != 0]
    summary = [p for p, n in enumerate(numbers, 1) if n == 0]
    cut = max((i for i, p in enumerate(rest, 1) if numbers[p - 1] <= SUMMARY_STARTS_AFTER), default=0)
    return rest[:cut] + summary + rest[cut:]


def _worker_start() -> None:
    """A chapter worker's first step.  papermill imports pyarrow's file systems, and numpy with
    them (≈ 70 MB in each worker), only to offer ``hdfs://`` paths, which a report never hands
    it: marked missing, papermill leaves HDFS out and the worker holds no Arrow."""
    sys.modules.setdefault("pyarrow.fs", None)  # type: ignore[assignment]


def _start_kernel(kernel_name: str, cwd: str, start_timeout: int) -> bool:
    """A worker's kernel started ahead of the chapters (:meth:`_WorkerKernel.start`)."""
    return _worker_kernel().start(kernel_name, cwd, start_timeout)


class ChapterWorkers:
    """The worker processes of one report run, each starting its kernel at once.

    A run creates them before it ingests the exports, so the workers' and kernels' start and
    the kit's imports (≈ 2–3 s each) happen while the ingest runs in its own process, on the
    core the ingest leaves idle part of the time; :func:`execute_chapters` then runs the
    chapters on them.  ``count`` workers (:func:`worker_count`); kernels start in ``cwd`` (the
    chapters' folder).  Use as a context manager, or :meth:`close` them; a worker whose kernel
    did not start starts one with its first chapter."""

    def __init__(self, count: int, cwd: str | os.PathLike, start_timeout: int = 120) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        self.count = count
        self.pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_start)
        with _kernel_environment():  # the workers, and so their kernels, start with it
            with contextlib.suppress(BrokenProcessPool, RuntimeError, OSError):
                # one task per worker: each takes seconds, so each idle worker takes one
                for _ in range(count):
                    self.pool.submit(_start_kernel, KERNEL_NAME, str(Path(cwd).resolve()), start_timeout)

    def close(self) -> None:
        """Stop the workers (their kernels are shut down as they exit)."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "ChapterWorkers":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _execute_one(source: Path, output: Path, what: str, params: dict[str, Any], timeout: int | None,
                 start_timeout: int, kernel_name: str) -> str | None:
    """Run one chapter with papermill into ``output`` on this worker's kernel; the failure in
    words, or None.  Runs in a worker process of its own: papermill changes the working
    directory, which is the process's, not the thread's."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    failure: str | None = None
    cwd = str(source.resolve().parent)
    kernel = _worker_kernel()
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=params,
            kernel_name=kernel_name,
            cwd=cwd,
            execution_timeout=timeout,
            start_timeout=start_timeout,
            progress_bar=False,
            log_output=False,
            km=kernel.get(kernel_name, cwd),
            extra_arguments=KERNEL_ARGUMENTS,
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
        kernel.discard()  # busy with a timed-out cell, dead, or in a state a failure left
    if failure is not None and not _has_papermill_banner(output):
        # papermill banners a failing cell; a timeout, a dead kernel or a kernel that never
        # started leaves no banner (or no file): add one, so the kept notebook says it failed
        with contextlib.suppress(Exception):
            _mark_failed(output, source, failure)
    trim()  # the executed notebook this worker held (tens of MB of tables at the export limits)
    return failure


def execute_chapters(
    notebooks: Sequence[str | os.PathLike],
    params_per_nb: Mapping[Path, Mapping[str, Any]],
    workdir: str | os.PathLike,
    *,
    timeout: int | None = 600,
    progress: bool = True,
    start_timeout: int = 120,
    jobs: int | None = None,
    workers: ChapterWorkers | None = None,
) -> list[Path]:
    """Run the chapters with papermill into ``workdir/<same name>``, ``jobs`` at a time
    (default :func:`default_jobs`; each chapter is its own kernel, so kernel starts are paid in
    parallel too).  Returns the executed notebook paths in the chapters' order.

    Kernel ``python3`` (this environment), working directory = the notebook's folder,
    ``timeout`` seconds per cell.  When a chapter fails, the chapters not yet started are not
    run and the first failing chapter in the report's order raises NotebookError naming it and
    its executed notebook (which exists and is kept for debugging) — as a run one after another
    would.  Chapters start in :func:`start_order` (the summary after the chapters whose results
    it reads); after a failure the chapters before the failing one in the report's order still
    run, so the error raised is the one a run one after another would raise.  One progress bar
    counts the chapters done.  ``workers``: the run's :class:`ChapterWorkers`, started ahead
    (they stay open; else workers are started here, ``jobs`` of them, and closed at the end).
    """
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from tqdm.auto import tqdm

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if timeout is not None and timeout <= 0:
        timeout = None  # no limit
    given = [Path(nb) for nb in notebooks]
    params = [dict(params_per_nb.get(nb) or {}) for nb in given]  # keyed by the paths as given
    sources = [nb.resolve() for nb in given]  # the workers run elsewhere: absolute paths
    outputs = [(workdir / source.name).resolve() for source in sources]
    failures: dict[int, str] = {}
    bar = tqdm(total=len(sources), desc="章节", unit="章", disable=not progress)
    count = workers.count if workers is not None else worker_count(jobs, len(sources))
    what = [f"第{chapter_number(source, position)}章 {source.name}" for position, source in enumerate(sources, 1)]
    tasks = [(sources[i], outputs[i], what[i], params[i], timeout, start_timeout, KERNEL_NAME)
             for i in range(len(sources))]
    finished: set[int] = set()
    order = start_order(sources)

    def runnable(position: int) -> bool:  # no chapter before it in the report's order has failed
        return not failures or position < min(failures)

    def record(position: int, failure: str | None) -> None:
        finished.add(position)
        bar.update(1)
        bar.set_postfix_str(chapter_label(sources[position - 1], position))
        if failure is not None:
            failures[position] = failure

    own = workers is None
    if own:
        workers = ChapterWorkers(count, sources[0].parent if sources else Path.cwd(), start_timeout)
    with _kernel_environment():
        try:
            with contextlib.ExitStack() as stack:
                if own:
                    stack.enter_context(workers)
                pool = workers.pool
                queue = list(order)
                pending: dict[Any, int] = {}
                while queue or pending:
                    # start a chapter when a worker is free, unless a chapter before it has failed:
                    # the chapters after a failure are not run, as in a run one after another
                    queue = [position for position in queue if runnable(position)]
                    while queue and len(pending) < count:
                        position = queue.pop(0)
                        pending[pool.submit(_execute_one, *tasks[position - 1])] = position
                    if not pending:
                        break
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        position = pending.pop(future)
                        record(position, future.result())
        except BrokenProcessPool:  # no worker could start here (a script piped to python): in turn, here
            for position in order:
                if position not in finished and runnable(position):
                    record(position, _execute_one(*tasks[position - 1]))
            _worker_kernel().discard()
    bar.close()
    if failures:
        first = min(failures)
        raise NotebookError(failures[first], executed=outputs[first - 1])
    return outputs


def chapter_seconds(executed: Sequence[Path]) -> dict[str, float]:
    """Each executed chapter's run time as papermill recorded it (kernel start included)."""
    seconds = {}
    for path in executed:
        with contextlib.suppress(Exception):
            seconds[Path(path).name] = round(float(read_notebook(path).metadata["papermill"]["duration"]), 2)
    return seconds
