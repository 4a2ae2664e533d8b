"""Error types the CLI turns into a message and an exit code."""

from __future__ import annotations

from pathlib import Path


def _rebuild(cls: type, args: tuple, state: dict) -> "ReturnsKitError":
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ReturnsKitError(Exception):
    """Base class: a problem the user can fix; printed without a traceback."""

    exit_code = 2

    def __reduce__(self):  # pickled as it is (a worker process's error reaches the runner whole)
        return _rebuild, (type(self), self.args, self.__dict__)


class InputError(ReturnsKitError):
    """Bad input data: a file that is not a 抖店 export, an unreadable file, a bad cell."""

    def __init__(self, message: str, *, file: str | Path | None = None,
                 row: int | None = None, column: str | None = None):
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.file, self.row, self.column = file, row, column


class ExportFormatError(InputError):
    """A file that is not a 抖店 export of a known kind: names the file, what it was recognised
    as (``recognised``), the closest kind's missing columns and what to do (``detail``)."""

    def __init__(self, file: str | Path, missing: list[str], kind: str = "抖店 export", *,
                 detail: str = "", recognised: str = ""):
        self.missing, self.kind, self.detail = list(missing), kind, detail
        what = f"{recognised}, but " if recognised else ""
        super().__init__(f"{what}not a {kind}: " + (detail or f"missing column(s) {', '.join(self.missing)}"),
                         file=str(file))


class ParameterError(ReturnsKitError):
    """A report parameter that no notebook declares, or a value of the wrong type."""


class NotebookError(ReturnsKitError):
    """A chapter notebook failed or timed out; ``executed`` is the executed notebook's path."""

    exit_code = 1

    def __init__(self, message: str, executed: Path):
        super().__init__(f"{message}\n  executed notebook: {executed}")
        self.reason, self.executed = message, executed


class ReportRenderError(ReturnsKitError):
    """The rendered HTML would not be a safe, self-contained report (exit 1)."""

    exit_code = 1


class RunLockedError(ReturnsKitError):
    """Another run is writing the same month's report (exit 3): try again when it is done."""

    exit_code = 3
