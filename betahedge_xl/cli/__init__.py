"""The ``betahedge`` command: the same engine and report as the Excel add-in, from a terminal.

::

    betahedge analyze TSLA SPY --start 2014-01-01 --end 2015-01-01 [--format table|json|csv]
    betahedge hedged TSLA SPY --start 2014-01-01 --end 2015-01-01 > hedged.csv
    betahedge report TSLA SPY --start 2014-01-01 --end 2015-01-01 --out tsla.xlsx [--png DIR]
    betahedge backtest TSLA SPY --start 2012-01-01 --end 2018-01-01 [--format json|csv]
    betahedge demo
    betahedge cache show | import DIR [--replace] | clear
    betahedge workbook DIR
    betahedge lite DIR [--url URL]

Output contract: data on stdout (nothing else with ``--format json|csv`` and ``hedged``),
progress and warnings on stderr; an error is one line on stderr and a non-zero exit status
(:attr:`BetaHedgeError.exit_code`), with a traceback only under ``--debug``.

One module per command (:mod:`.analyze`, :mod:`.hedged`, :mod:`.report`, :mod:`.demo`,
:mod:`.cache`, :mod:`.workbook`, :mod:`.excel`, :mod:`.backtest`, :mod:`.lite`), each with its
``add_parser`` and its ``cmd_*``; what they share: :mod:`.console` (console, output, errors),
:mod:`.request` (the legs and analysis options) and :mod:`.files` (holdings and returns files).
Here: the parser built from the commands' ``add_parser`` and the entry point.

Only the standard library is imported at the top of these modules so that ``betahedge --help``
is instant; pandas, statsmodels and friends load inside the commands that need them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .. import __version__
from ..exceptions import BetaHedgeError, InputError, user_message
from . import analyze, backtest, cache, demo, excel, hedged, lite, report, workbook
from .analyze import cmd_analyze
from .backtest import cmd_backtest
from .cache import cmd_cache_clear, cmd_cache_import, cmd_cache_show
from .console import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, PROG, _Console, _csv_text
from .console import _global_options, _Parser
from .demo import DEMO_ASSET, DEMO_BENCHMARK, DEMO_END, DEMO_OUT, DEMO_START, cmd_demo, sample_dir
from .excel import cmd_excel_setup
from .files import MAX_HOLDINGS_BYTES, read_holdings, read_returns
from .hedged import cmd_hedged
from .lite import cmd_lite
from .report import DEFAULT_REPORT, cmd_report
from .request import leg_arguments
from .workbook import cmd_workbook, workbook_dir

__all__ = [
    "DEFAULT_REPORT", "DEMO_ASSET", "DEMO_BENCHMARK", "DEMO_END", "DEMO_OUT", "DEMO_START",
    "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_USAGE", "MAX_HOLDINGS_BYTES", "PROG",
    "build_parser", "cmd_analyze", "cmd_backtest", "cmd_cache_clear", "cmd_cache_import",
    "cmd_cache_show", "cmd_demo", "cmd_excel_setup", "cmd_hedged", "cmd_lite", "cmd_report",
    "cmd_workbook", "leg_arguments", "main", "read_holdings", "read_returns", "sample_dir",
    "workbook_dir", "_csv_text",
]

#: The commands in the order ``betahedge --help`` lists them.
COMMANDS = (analyze, hedged, report, demo, cache, workbook, excel, backtest, lite)


def build_parser() -> argparse.ArgumentParser:
    """The ``betahedge`` argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog=PROG,
        description="Beta-hedge a stock or a portfolio against a benchmark: alpha, beta, their "
                    "statistics, the hedged returns and a report with charts.",
        epilog="Prices come from Yahoo Finance (yfinance) through a local store, or from a "
               "folder of <TICKER>.csv files when BETAHEDGE_DATA_DIR is set. "
               "BETAHEDGE_CACHE_DIR moves the store. Try: betahedge demo",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        _global_options(command.add_parser(sub))
    return parser


#: Commands that read prices through the local store unless BETAHEDGE_DATA_DIR names a folder.
_STORE_COMMANDS = ("analyze", "hedged", "report", "backtest")


def _check_store_dir(command: str | None) -> None:
    """BETAHEDGE_CACHE_DIR naming a file: one line before any work, not an empty store."""
    env = os.environ.get("BETAHEDGE_CACHE_DIR", "").strip()
    if command != "cache" and (command not in _STORE_COMMANDS
                               or os.environ.get("BETAHEDGE_DATA_DIR", "").strip()):
        return
    if env and Path(env).expanduser().exists() and not Path(env).expanduser().is_dir():
        raise InputError(f"BETAHEDGE_CACHE_DIR: {Path(env).expanduser()} is a file, not a "
                         f"folder; point it at a folder for the price store, or unset it")


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns (and, as a script, exits with) the exit status.

    Parameters
    ----------
    argv
        Arguments without the program name; ``sys.argv[1:]`` when ``None``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.debug = getattr(args, "debug", False)
    console = _Console(quiet=getattr(args, "quiet", False))
    func: Callable[[argparse.Namespace, _Console], int] = args.func
    previous = _on_sigterm()
    try:
        _check_store_dir(args.command)
        return func(args, console)
    except _Terminated:
        # every `finally` on the way has run: no temporary file is left behind
        print(f"{PROG}: terminated", file=sys.stderr)
        return 128 + int(signal.SIGTERM)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `betahedge hedged ... | head`: the reader left; not an error worth a message.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter exit quiet
        except OSError:
            pass
        return 0
    except BetaHedgeError as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {user_message(exc)}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the face turns any failure into one line
        if args.debug:
            raise
        print(f"{PROG}: error: {user_message(exc)} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so that cleanup runs on the way out."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def _on_sigterm() -> Any:
    """Turn SIGTERM into :class:`_Terminated` for the run (the default handler ends the
    process at once, leaving temporary files); returns the handler to restore, or None where
    none can be set (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError):  # pragma: no cover - embedded interpreters
        return None


def _run() -> NoReturn:
    sys.exit(main())
