"""Command line: ``returns-kit sample | ingest | report | alerts`` (also ``python -m returns_kit``).

Exit codes: 0 success; 2 bad input or bad parameters (the message names the file, row and column
or the parameter); 1 a notebook failed or timed out (the message names the executed notebook);
3 another run is writing the same month's report (run again when it is done).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .alerts import run_alerts
from .core.periods import MONTH_RE
from .errors import ReturnsKitError
from .io import ingest
from .report import month_range, run_report, run_reports
from .sample import generate


def _month(text: str) -> str:
    if not MONTH_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"month must look like 2026-10, got {text!r}")
    return text


def _date(text: str) -> str:
    if not re.match(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", text):
        raise argparse.ArgumentTypeError(f"date must look like 2026-10-17, got {text!r}")
    return text


def _months(text: str) -> list[str]:
    return [_month(m.strip()) for m in text.split(",") if m.strip()]


def _month_range(text: str) -> list[str]:
    try:
        return month_range(text)
    except ReturnsKitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"parameters look like NAME=VALUE, got {text!r}")
    return name.strip(), value


#: The data and config folders every data-reading command takes, with their defaults.
FOLDERS = {"raw": "data/raw", "external": "data/external", "processed": "data/processed",
           "conf": "conf"}


def _folders(parser: argparse.ArgumentParser, *names: str) -> None:
    for name in names:
        parser.add_argument(f"--{name}", type=Path, default=Path(FOLDERS[name]),
                            help=f"default {FOLDERS[name]}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="returns-kit",
        description="抖店退货分析: load 抖店 exports and render a monthly return-analysis report.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write realistic sample exports (with planted signals)")
    s.add_argument("--out", type=Path, default=Path("data/raw"), help="where the exports go")
    s.add_argument("--external", type=Path, default=Path("data/external"),
                   help="where interventions.csv / catalog.csv go")
    s.add_argument("--months", type=_months, default=_months("2026-08,2026-09,2026-10"),
                   help="comma-separated YYYY-MM list (default 2026-08,2026-09,2026-10)")
    s.add_argument("--seed", type=int, default=7)

    i = sub.add_parser("ingest", help="read data/raw into the typed Parquet cache")
    _folders(i, "raw", "processed", "conf")
    i.add_argument("--force", action="store_true", help="rebuild even if nothing changed")

    r = sub.add_parser("report", help="run the summary and the eight chapter notebooks, render one HTML per month")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", type=_month, help="YYYY-MM")
    which.add_argument("--months", type=_month_range, metavar="FIRST..LAST",
                       help="a range (2026-01..2026-10) or a list (2026-08,2026-10): one progress bar, "
                            "reports/index.html rebuilt once")
    _folders(r, "raw", "external", "processed", "conf")
    r.add_argument("--out", type=Path, default=Path("reports"))
    r.add_argument("--notebooks", type=Path, default=None,
                   help="chapter notebooks folder (default: ./notebooks)")
    r.add_argument("-p", "--param", type=_param, action="append", default=[],
                   metavar="NAME=VALUE",
                   help="extra notebook parameter, checked against the parameters cells")
    r.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    r.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="chapters run at once (default: one per core, at most 4)")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")

    al = sub.add_parser("alerts", help="push the anomalies to 钉钉/飞书/企业微信 robots (dry run without --send)")
    al.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    al.add_argument("--date", type=_date, default=None, help="only this day (YYYY-MM-DD), e.g. yesterday in a cron job")
    al.add_argument("--send", action="store_true", help="really post (default: print the messages)")
    _folders(al, "raw", "external", "processed", "conf")
    al.add_argument("--state", type=Path, default=None,
                    help="sent-alerts state file (default conf/local/alerts_sent.json)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample":
            paths = generate(args.out, args.months, seed=args.seed, external_dir=args.external)
            for path in paths:
                print(path)
        elif args.command == "ingest":
            data = ingest(args.raw, args.processed, force=args.force, conf_dir=args.conf)
            print(data.summary())
        elif args.command == "report":
            options = dict(raw=args.raw, external=args.external, processed=args.processed, conf=args.conf,
                           notebooks=args.notebooks, params=dict(args.param), timeout=args.timeout,
                           jobs=args.jobs)
            if args.month:
                print(run_report(args.month, out=args.out, progress=not args.no_progress, **options))
            else:
                done, failed = run_reports(args.months, out=args.out, progress=not args.no_progress, **options)
                for path in done:
                    print(path)
                print(args.out / "index.html")
                if failed:
                    print(f"returns-kit: error: {len(failed)} of {len(args.months)} months failed: "
                          + ", ".join(m for m, _ in failed), file=sys.stderr)
                    return max(exc.exit_code for _, exc in failed)
        elif args.command == "alerts":
            return run_alerts(args.month, date=args.date, send_now=args.send, conf=args.conf,
                              raw=args.raw, processed=args.processed, external=args.external,
                              state_file=args.state)
    except ReturnsKitError as exc:
        print(f"returns-kit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
