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

This module imports only the standard library at the top so that ``betahedge --help`` is
instant; pandas, statsmodels and friends load inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from . import __version__
from .exceptions import BetaHedgeError, HoldingsError, InputError, user_message

if TYPE_CHECKING:
    import pandas as pd

    from .analysis import HedgeResult

PROG = "betahedge"
#: Exit status of an unexpected failure (a bug or the environment), distinct from input (2)
#: and data (3) errors.
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEMO_ASSET, DEMO_BENCHMARK = "TSLA", "SPY"
DEMO_START, DEMO_END = "2014-01-01", "2015-01-01"
DEMO_OUT = "betahedge-demo.xlsx"
DEFAULT_REPORT = "betahedge-report.xlsx"
#: Largest holdings file read: thousands of holdings fit in a small fraction of it.
MAX_HOLDINGS_BYTES = 5_000_000


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (like every other error of the command)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def leg_arguments(p: argparse.ArgumentParser, group: str) -> Any:
    """ASSET, BENCHMARK and ``-b/--benchmark``: the two legs every analysing command takes,
    read by :func:`_request`; returns the option group the command adds its own options to."""
    p.add_argument(
        "asset", metavar="ASSET",
        help="a ticker (TSLA), tickers with --weights/--shares (AAPL,MSFT), or the path of "
             "a holdings CSV file with columns ticker and weight or shares (read as a file "
             "when it ends in .csv or names a folder, as ./book or dir/book; a bare name "
             "is a ticker)")
    p.add_argument(
        "benchmark", metavar="BENCHMARK", nargs="?",
        help="benchmark ticker(s), comma separated (SPY or SPY,XLK); or use --benchmark")
    g = p.add_argument_group(group)
    g.add_argument("-b", "--benchmark", dest="benchmarks", action="append", default=[],
                   metavar="TICKER",
                   help="a benchmark; repeat or give a comma list for several regressors")
    return g


def _analysis_options(p: argparse.ArgumentParser) -> None:
    """The options of :func:`betahedge_xl.beta_hedge`, shared by analyze, hedged and report."""
    g = leg_arguments(p, "analysis options")
    g.add_argument("--start", help="first date, inclusive (YYYY-MM-DD); with neither --start "
                                   "nor --end, the last two years to the latest price")
    g.add_argument("--end", help="last date, exclusive, as yfinance (YYYY-MM-DD)")
    g.add_argument("--preset", choices=["bloomberg"],
                   help="bloomberg: weekly returns over the last two years (unless --start/"
                        "--end), adjusted (Blume) beta beside raw, as BETA <GO>")
    g.add_argument("--frequency", "-f", default="daily", choices=["daily", "weekly", "monthly"],
                   help="return frequency (default: daily; weekly = weeks ending Friday)")
    g.add_argument("--returns", default="simple", choices=["simple", "log"],
                   help="simple (default) or log returns")
    g.add_argument("--risk-free", type=_rate, default=(0.0, "annual"), metavar="RATE",
                   help="constant risk-free rate: regress excess returns. Annual unless it "
                        "says per period: 0.02, 2%%, '0.01%% per period'")
    g.add_argument("--hac", action="store_true",
                   help="Newey-West (HAC) standard errors instead of classical ones")
    g.add_argument("--maxlags", type=int, metavar="N",
                   help="lags of the HAC standard errors (implies --hac)")
    g.add_argument("--rolling-window", type=int, metavar="N",
                   help="periods of the rolling beta (default 63 daily, 26 weekly, 12 monthly)")
    g.add_argument("--weights", metavar="W1,W2,..",
                   help="portfolio weights of the tickers in ASSET as fractions of capital, "
                        "taken as given: 1.3,-0.3 is 130/30, 1,-1 dollar-neutral, 0.6 "
                        "alone 60%% invested (the rest is cash); weights summing to about "
                        "100 are percent. Rebalanced each period of --frequency")
    g.add_argument("--shares", metavar="S1,S2,..",
                   help="share counts of the tickers in ASSET, negative for shorts (buy and "
                        "hold; the return is P&L over the gross exposure at the start of "
                        "each period, or over --capital)")
    g.add_argument("--input", default="prices", choices=["prices", "returns"],
                   help="returns: ASSET and BENCHMARK are CSV files of simple returns per "
                        "period (a date column, then one column per series), taken as given "
                        "within the window; prices (default) are tickers")
    g.add_argument("--capital", "--value", dest="capital", type=float, metavar="AMOUNT",
                   help="the book's capital (value of the position): the summary adds the "
                        "dollar beta and the benchmark notional to sell; a shares book's "
                        "return base")
    g.add_argument("--hedge-with", metavar="INSTRUMENT",
                   help="size the hedge in futures contracts (ES, MES, NQ, ...) or ETF "
                        "shares (SPY); needs --hedge-price and --value unless a shares "
                        "book's gross exposure is the value")
    g.add_argument("--hedge-price", type=float, metavar="PRICE",
                   help="the futures price in index points, or the price of one share")
    g.add_argument("--hedge-beta", type=float, metavar="BETA",
                   help="the book's beta to the --hedge-with instrument, when you know it; "
                        "otherwise the fit's beta for the benchmark (or a contract on its "
                        "index, ES for SPY), else measured from the instrument's prices")
    g.add_argument("--oos-split", type=_fraction, default=0.5, metavar="FRACTION",
                   help="fraction of the sample used to estimate beta in the out-of-sample "
                        "check (default 0.5)")
    g.add_argument("--refresh", action="store_true",
                   help="ask the source again even for prices already stored")


def _fraction(text: str) -> float:
    """A number strictly between 0 and 1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1")
    return value


def _rate(text: str) -> tuple[float, str]:
    """A risk-free rate and its unit: 0.02, 2% or '0.01% per period' (argparse type)."""
    from .engine.periods import parse_rate

    try:
        return parse_rate(text, "--risk-free")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--risk-free: ")) from None


def _rate_text(number: float, unit: str) -> str:
    """How ``--risk-free`` is written for ``number`` in ``unit``: ``--risk-free "5% annual"``."""
    from .engine.periods import rate_words

    return f'--risk-free "{rate_words(number, unit)}"'


def _global_options(p: argparse.ArgumentParser, top: bool = False) -> None:
    """--debug and --quiet, accepted before or after the command name."""
    # On subcommands the default is SUPPRESS so that `betahedge --debug analyze ...` is not
    # undone by the subcommand's own default.
    default: Any = False if top else argparse.SUPPRESS
    p.add_argument("--debug", action="store_true", default=default,
                   help="show the full traceback of an error")
    p.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="no progress messages on stderr")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", "-o", metavar="FILE.xlsx", help="the report file to write")
    p.add_argument("--png", metavar="DIR",
                   help="also write the charts as PNG files into DIR (the same charts as the "
                        "report, drawn with matplotlib)")


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

    p = sub.add_parser("analyze", help="alpha, beta and the statistics of the regression",
                       description="Regress the asset's returns on the benchmark's and print "
                                   "the summary.")
    _analysis_options(p)
    p.add_argument("--format", default="table", choices=["table", "json", "csv"],
                   help="table (default, for people), json (one object) or csv (key,label,value)")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("hedged", help="the hedged return series as CSV",
                       description="Print (or write) date, asset, benchmark(s) and hedged "
                                   "returns (asset - beta x benchmark) as CSV.")
    _analysis_options(p)
    p.add_argument("--out", "-o", metavar="FILE.csv", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_hedged)

    p = sub.add_parser("report", help="an .xlsx report with tables and native charts",
                       description="Write a workbook with the summary, the series and charts "
                                   "(scatter with regression line, cumulative returns, rolling "
                                   "beta): the same sheet the Excel add-in's refresh draws.")
    _analysis_options(p)
    _output_options(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("demo", help="the whole job on built-in real prices, no network needed",
                       description=f"Hedge {DEMO_ASSET} with {DEMO_BENCHMARK} over 2014 on the "
                                   f"real adjusted prices shipped with the package, print the "
                                   f"summary and write a report ({DEMO_OUT} unless --out).")
    _output_options(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("cache", help="the local price store: show, import, clear",
                       description="The local store keeps prices once fetched, so that later "
                                   "requests are served offline.")
    csub = p.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=_Parser)
    csub.required = True
    q = csub.add_parser("show", help="tickers, date ranges and age of the stored prices")
    q.add_argument("--format", default="table", choices=["table", "json", "csv"])
    q.set_defaults(func=cmd_cache_show)
    q = csub.add_parser("import", help="store every <TICKER>.csv of a folder",
                        description="Store the prices of every <TICKER>.csv in DIR (columns "
                                    "Date and Adj Close or Close), so later requests for them "
                                    "need no network. Each file is merged into what is stored "
                                    "of its ticker (stored prices on another adjustment basis "
                                    "are rescaled, never dropped); each line says what was "
                                    "added, replaced or rescaled.")
    q.add_argument("dir", metavar="DIR")
    q.add_argument("--replace", action="store_true",
                   help="discard the stored history of each imported ticker instead of "
                        "merging the file into it")
    q.set_defaults(func=cmd_cache_import)
    q = csub.add_parser("clear", help="delete every stored price")
    q.set_defaults(func=cmd_cache_clear)

    p = sub.add_parser("workbook", help="copy the ready Excel workbook and add-in to DIR",
                       description="Copy the ready workbook (and add-in) to DIR and print the "
                                   "next steps.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--force", action="store_true", help="replace files already in DIR")
    p.set_defaults(func=cmd_workbook)

    p = sub.add_parser("excel", help="set up Excel to use this Python",
                       description="Set up Excel: its config files and startup folder.")
    esub = p.add_subparsers(dest="excel_command", metavar="ACTION", parser_class=_Parser)
    q = esub.add_parser("setup", help="point Excel at this Python and install the add-in",
                        description="Write this Python into the xlwings config files that "
                                    "Excel reads, copy the BetaHedge add-in into Excel's "
                                    "startup folder, and print what is left to do by hand.")
    q.add_argument("--platform", choices=["windows", "macos"],
                   help="the files of this platform (default: the running one); paths follow "
                        "HOME, USERPROFILE and APPDATA")
    q.add_argument("--dry-run", action="store_true", help="print what would be written; "
                                                          "write nothing")
    q.add_argument("--force", action="store_true",
                   help="replace a different betahedge.xlam in Excel's startup folder")
    q.add_argument("--workbook-dir", metavar="DIR",
                   help="the folder of betahedge.xlsm, where its xlwings.conf goes (default: "
                        "the current folder)")
    q.set_defaults(func=cmd_excel_setup)
    from .cli_backtest import add_parser as add_backtest
    from .cli_lite import add_parser as add_lite

    add_backtest(sub)
    add_lite(sub)
    for choice in (list(sub.choices.values()) + list(csub.choices.values())
                   + list(esub.choices.values())):
        _global_options(choice)
    return parser


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
class _Console:
    """Where messages go: progress and warnings on stderr (unless quiet), data on stdout."""

    def __init__(self, quiet: bool = False, out: IO[str] | None = None,
                 err: IO[str] | None = None) -> None:
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def progress(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.err, flush=True)

    def warn(self, text: str) -> None:
        print(f"{PROG}: warning: {text}", file=self.err, flush=True)

    def data(self, text: str) -> None:
        self.out.write(text if text.endswith("\n") else text + "\n")


def _split(values: Sequence[str | None]) -> list[str]:
    """``["SPY,XLK", "IWM"]`` -> ``["SPY", "XLK", "IWM"]``."""
    out: list[str] = []
    for v in values:
        if v:
            out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def _numbers(text: str, what: str) -> list[float]:
    try:
        return [float(x) for x in _split([text])]
    except ValueError:
        raise InputError(f"--{what}: expected numbers separated by commas, got {text!r}") from None


def _looks_like_path(text: str) -> bool:
    # By its name only: a file that happens to be called TSLA in the current folder must not
    # turn the ticker TSLA into a holdings file.
    return text.lower().endswith(".csv") or os.sep in text or "/" in text


def _read_regular_file(p: Path, where: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else a HoldingsError.

    Opened without blocking and checked on the open descriptor, so a FIFO does not wait for
    a writer, a device (``/dev/zero``) is not read until memory runs out, and a file swapped
    between the check and the read is still the one checked.
    """
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise HoldingsError(f"{where} not found") from None
    except OSError as exc:
        raise HoldingsError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise HoldingsError(f"{where}: cannot read it ({kind})")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # bounded even if the file grows meanwhile
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise HoldingsError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise HoldingsError(f"{where} is larger than {limit // 1_000_000} MB; a holdings file "
                            f"lists tickers and their weights or shares")
    return data


def read_holdings(path: str | Path) -> tuple[list[str], list[float], str]:
    """Tickers and their weights or shares from a holdings CSV file.

    Parameters
    ----------
    path
        A CSV file with a header row: ``ticker`` and ``weight`` (or ``weights``) or ``shares``.
        Column names are matched without regard to case; blank lines are skipped.

    Returns
    -------
    tickers, amounts, kind
        ``kind`` is ``"weights"`` or ``"shares"``.

    Raises
    ------
    HoldingsError
        The file is missing or unreadable, lacks the columns, or holds a bad number.
    """
    import csv

    p = Path(path)
    where = f"holdings file {p}"
    raw = _read_regular_file(p, where, MAX_HOLDINGS_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HoldingsError(f"{where} is not a text CSV file") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise HoldingsError(f"{where} is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "ticker" not in header:
        raise HoldingsError(f"{where}: needs a 'ticker' column and a 'weight' or 'shares' "
                            f"column; found {', '.join(rows[0]) or 'no header'}")
    found = [c for c in ("weight", "weights", "shares") if c in header]
    if len(found) > 1:
        raise HoldingsError(f"{where}: has both {' and '.join(repr(c) for c in found)} "
                            f"columns; keep one")
    amount_col = found[0] if found else None
    if amount_col is None:
        raise HoldingsError(f"{where}: needs a 'weight' or 'shares' column next to 'ticker'")
    it, ia = header.index("ticker"), header.index(amount_col)
    tickers: list[str] = []
    amounts: list[float] = []
    for n, row in enumerate(rows[1:], start=2):
        ticker = row[it].strip() if it < len(row) else ""
        value = row[ia].strip() if ia < len(row) else ""
        if not ticker:
            raise HoldingsError(f"{where}, line {n}: ticker missing")
        try:
            amount = float(value.replace("%", "")) / (100.0 if value.endswith("%") else 1.0)
        except ValueError:
            raise HoldingsError(f"{where}, line {n}: {amount_col} {value!r} is not a number") \
                from None
        tickers.append(ticker)
        amounts.append(amount)
    if not tickers:
        raise HoldingsError(f"{where} lists no holdings")
    return tickers, amounts, "shares" if amount_col == "shares" else "weights"


def pd_concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    return pd.concat(frames, axis=1, sort=True)


def read_returns(path: str, what: str) -> pd.DataFrame:
    """Returns from a CSV file: a date column, then one column of simple returns per series.

    A column named like the file (``TSLA.csv`` with ``Date,Return``) takes the file's name.
    """
    import pandas as pd

    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError(f"{what}: with --input returns give a CSV file of returns; "
                         f"{path} is not a file")
    try:
        frame = pd.read_csv(file, index_col=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{file.name}: cannot read returns ({exc})") from None
    if frame.shape[1] == 0 or frame.empty:
        raise InputError(f"{file.name}: no returns (a date column, then one column per "
                         "series)")
    from .data.csvdir import parse_dates, parse_numbers
    from .exceptions import DataError

    try:
        # the dates and numbers by the rules of price files: 01/02/2014 and 0,5 as the file
        # itself settles, or refused; never a guess
        frame.index = parse_dates(frame.index.astype(str), f"{file.name}: ")
        if frame.index.isna().any():
            raise ValueError("unreadable date")
        for c in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[c]):
                frame[c] = parse_numbers(frame[c], f"{file.name}: ")
        frame = frame.astype(float)
    except DataError as exc:
        raise InputError(str(exc)) from None
    except (ValueError, TypeError):
        raise InputError(f"{file.name}: needs dates in the first column and numbers in "
                         "the others") from None
    if frame.shape[1] == 1 and str(frame.columns[0]).lower() in ("return", "returns", "r"):
        frame.columns = [file.stem.upper()]
    return frame


def _request(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`beta_hedge` from the command line."""
    benchmarks = _split([args.benchmark, *args.benchmarks])
    if not benchmarks:
        raise InputError("give a benchmark, e.g. SPY (second argument or --benchmark)")
    weights = _numbers(args.weights, "weights") if args.weights else None
    shares = _numbers(args.shares, "shares") if args.shares else None
    _check_start(args.start)
    # backtest shares this reader but not every analysis option: absent ones are the defaults
    if getattr(args, "input", "prices") == "returns":
        bench_frame = read_returns(benchmarks[0], "BENCHMARK")
        if len(benchmarks) > 1:
            bench_frame = pd_concat([bench_frame, *(read_returns(b, "BENCHMARK")
                                                    for b in benchmarks[1:])])
        asset_frame = read_returns(args.asset, "ASSET")
        one = asset_frame.shape[1] == 1 and weights is None and shares is None
        return dict(_options(args), asset=asset_frame.iloc[:, 0] if one else asset_frame,
                    benchmark=bench_frame, weights=weights, shares=shares, input="returns")
    if _looks_like_path(args.asset):
        if weights is not None or shares is not None:
            raise InputError("a holdings file carries its own weights or shares; "
                             "drop --weights/--shares")
        tickers, amounts, kind = read_holdings(args.asset)
        asset: Any = tickers
        weights, shares = (amounts, None) if kind == "weights" else (None, amounts)
    else:
        tickers = _split([args.asset])
        if not tickers:
            raise InputError("ASSET is empty")
        asset = tickers if len(tickers) > 1 or weights or shares else tickers[0]
    return dict(_options(args), asset=asset,
                benchmark=benchmarks[0] if len(benchmarks) == 1 else benchmarks,
                weights=weights, shares=shares)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`beta_hedge` that are not the legs or holdings."""
    hac = args.hac or args.maxlags is not None
    # --risk-free reads (rate, unit); a command that fixes the rate sets a plain number.
    rf, rf_unit = args.risk_free if isinstance(args.risk_free, tuple) else (
        args.risk_free, "annual")
    if rf_unit != "annual":
        # The engine checks the rate too, but its hint names Python's risk_free_unit keyword;
        # checked here first, the hint is the option a user of the command line types.
        import numpy as np

        from .engine.periods import risk_free_per_period

        # the periods the analysis will use: the preset (Bloomberg's) is weekly
        freq = "weekly" if getattr(args, "preset", None) else args.frequency
        risk_free_per_period(np.array([rf]), rf_unit, freq, spell=_rate_text)
    return dict(
        start=args.start,
        end=args.end,
        frequency=args.frequency,
        returns=args.returns,
        risk_free=rf,
        risk_free_unit=rf_unit,
        cov_type="HAC" if hac else "nonrobust",
        maxlags=args.maxlags,
        rolling_window=args.rolling_window,
        oos_split=args.oos_split,
        preset=getattr(args, "preset", None),
        refresh=args.refresh,
        capital=getattr(args, "capital", None),
    )


def _with_hedge(result: HedgeResult, args: argparse.Namespace) -> HedgeResult:
    """The result with the hedge of ``--hedge-with``/``--hedge-price`` sized, if asked."""
    if args.hedge_with is None:
        return result
    if result.capital is None:
        raise InputError(f"--hedge-with {args.hedge_with} needs --value (the book's value)")
    return result.with_hedge(args.hedge_with, args.hedge_price,
                             beta=getattr(args, "hedge_beta", None))


def _check_start(start: str | None) -> None:
    """A start after today has no prices: say so rather than "no prices in START..today"."""
    import datetime as dt

    from ._dates import to_timestamp

    s = to_timestamp(start, "start")
    if s is not None and s.date() > dt.date.today():
        raise InputError(f"--start {s:%Y-%m-%d} is after today: the window has no prices "
                         f"(yet); give a start in the past")


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


def _tickers(value: Any) -> list[str]:
    """An ``asset`` or ``benchmark`` of :func:`_request` (tickers, or returns read from a
    file) as a list of names."""
    if isinstance(value, str):
        return [value]
    if hasattr(value, "columns"):
        return [str(c) for c in value.columns]
    if hasattr(value, "name") and not isinstance(value, list):
        return [str(value.name)]
    return list(value)


def _describe(req: dict[str, Any]) -> str:
    asset = ",".join(_tickers(req["asset"]))
    bench = ",".join(_tickers(req["benchmark"]))
    window = (f"{req['start'] or 'first date'}..{req['end'] or 'today'}"
              if req["start"] or req["end"] or req.get("input") == "returns"
              else "the last two years to the latest price")
    given = " (returns handed in)" if req.get("input") == "returns" else ""
    return (f"{asset} on {bench}{given}, {req['frequency']} {req['returns']} returns, "
            f"{window}")


def _analyse(args: argparse.Namespace, console: _Console) -> HedgeResult:
    """Run :func:`beta_hedge` with progress on stderr and its warnings as one line each."""
    req = _request(args)
    # A missing hedge option is said before any price is loaded.
    if args.hedge_with is None and args.hedge_price is not None:
        raise InputError("--hedge-price needs --hedge-with (ES, MES, SPY, ...)")
    if args.hedge_with is not None and args.hedge_price is None:
        raise InputError(f"--hedge-with {args.hedge_with} needs --hedge-price")
    if args.hedge_with is None and getattr(args, "hedge_beta", None) is not None:
        raise InputError("--hedge-beta needs --hedge-with (the instrument it is the beta to)")
    n = len(_tickers(req["asset"])) + len(_tickers(req["benchmark"]))
    console.progress(f"Loading prices of {n} ticker(s) and regressing: {_describe(req)}")
    from .analysis import beta_hedge
    from .data.yahoo import report_progress

    with _warnings_to(console, args.debug), report_progress(
            lambda done, total: console.progress(f"Prices from Yahoo: {done} of {total} tickers")):
        return _with_hedge(beta_hedge(**req), args)


@contextmanager
def _warnings_to(console: _Console, debug: bool) -> Iterator[None]:
    """The project's warnings as ``betahedge: warning: ...`` lines, once each, no source line."""
    from .exceptions import BetaHedgeWarning

    # A warning the error repeats word for word (a failed ticker's reason) is said once.
    seen: set[str] = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BetaHedgeWarning)
        try:
            yield
        except BetaHedgeError as exc:
            seen.add(user_message(exc))
            raise
        finally:
            # Also when the work fails: a warning (a stale price, a short window) often
            # says why better than the error that follows it.
            for w in caught:
                text = str(w.message)
                if issubclass(w.category, BetaHedgeWarning):
                    if text not in seen:
                        seen.add(text)
                        console.warn(text)
                elif debug:
                    console.warn(f"{w.category.__name__}: {text}")


#: First characters that make a spreadsheet read a CSV field as a formula (OWASP, "CSV
#: injection"): such a text field gets a leading single quote, which shows it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text; headers and text fields cannot start a formula, numbers
    (negative ones included) are written as numbers."""
    import pandas as pd

    frame = frame.rename(columns=lambda c: _inert(str(c)))
    text = [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c])
            or pd.api.types.is_string_dtype(frame[c])]
    if text:
        frame = frame.assign(**{str(c): frame[c].map(_inert) for c in text})
    return str(frame.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.10g",
                            lineterminator="\n"))


def _summary_rows(result: HedgeResult) -> list[tuple[str, str, Any]]:
    keys = result.stat_names()
    summary = result.summary()
    return [(k, str(label), value) for k, (label, value) in
            zip(keys, summary.itertuples(index=False))]


def _headline(result: HedgeResult) -> str:
    from .formats import text  # the summary's rules: alpha and R-squared in percent

    if len(result.benchmarks) > 1:
        # Each benchmark's beta: the first alone reads as the hedge ratio, and it is not.
        betas = ", ".join(f"{name} {b:.3f} (se {se:.3f})" for name, b, se in zip(
            result.benchmarks, result.betas, result.fit.bse.iloc[1:]))
        return (f"betas {betas}, alpha {text('alpha', result.alpha)} per period, R-squared "
                f"{text('r_squared', result.r_squared)}, {result.n_obs} {result.frequency} "
                f"returns")
    return (f"beta {result.beta:.3f} (se {result.beta_se:.3f}), alpha "
            f"{text('alpha', result.alpha)} per period, R-squared "
            f"{text('r_squared', result.r_squared)}, {result.n_obs} {result.frequency} returns")


def _write_outputs(result: HedgeResult, out: Path, png: str | None, console: _Console) -> None:
    from .plan import build_plan, with_front_page
    from .report import write_report

    plan = with_front_page(build_plan(result), result)  # one plan for both drawers
    console.progress(f"Writing the report to {out}")
    write_report(path=out, plan=plan)
    if png:
        # After the report: a picture that cannot be made (matplotlib missing or broken)
        # fails the command with its own message, and the .xlsx is already there.
        from .charts_png import write_pngs

        files = write_pngs(None, png, plan=plan, report=out)
        console.progress(f"Wrote {len(files)} PNG chart(s) to {png}")


def _out_file(value: str, suffix: str | None = None) -> Path:
    """``--out FILE`` checked before any work: a file (not a folder, a FIFO or a device) in a
    folder that exists."""
    from ._files import check_name_length, check_target

    out = Path(value).expanduser()
    if suffix and out.suffix.lower() != suffix:
        raise InputError(f"--out: {out.name} should end in {suffix}")
    check_name_length(out, "--out")  # first: a name too long for the system fails every look
    if out.is_dir():
        raise InputError(f"--out: {out} is a folder; give a file name")
    check_target(out, "--out")
    if not out.parent.is_dir():
        raise InputError(f"--out: folder {out.parent} does not exist")
    return out


def _out_path(value: str | None, default: str) -> Path:
    return _out_file(value or default, ".xlsx")


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
def cmd_analyze(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge analyze``: the summary as a table, JSON or CSV."""
    result = _analyse(args, console)
    if args.format == "json":
        console.data(json.dumps(result.to_dict(), indent=2, allow_nan=False, default=str))
    elif args.format == "csv":
        import pandas as pd

        rows = [(k, label, v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v)
                for k, label, v in _summary_rows(result)]
        console.data(_csv_text(pd.DataFrame(rows, columns=["key", "label", "value"])))
    else:
        console.data(str(result))
        if result.positions is not None:
            # A book's holdings, each on its own regression, after the summary.
            console.data("\nPositions (beta on " + result.benchmarks[0] + "; contributions "
                         "add up to the book's beta)\n"
                         + result.positions.to_string(float_format="{:.6g}".format))
    return 0


def cmd_hedged(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge hedged``: date, asset, benchmark(s), hedged returns as CSV."""
    out = _out_file(args.out) if args.out else None
    result = _analyse(args, console)
    frame = result.series()
    from .plan import excess_suffix

    ex = excess_suffix(result)
    if ex:
        # Excess of the risk-free rate: the columns say so, as the report's do.
        frame = frame.rename(columns={c: f"{c}{ex}" for c in frame.columns if c != "date"})
    text = _csv_text(frame)
    if out is not None:
        from ._files import write_text

        write_text(out, text, "--out")  # whole or not at all: an existing file stays intact
        console.progress(f"Wrote {result.n_obs} hedged returns to {out}")
    else:
        console.data(text)
    return 0


def _check_png(args: argparse.Namespace) -> None:
    """Fail before the work, not after it, when the --png folder cannot be one. A missing
    matplotlib is told after the report is written (the .xlsx is worth having)."""
    if getattr(args, "png", None):
        folder = Path(args.png).expanduser()
        if folder.exists() and not folder.is_dir():
            raise InputError(f"--png: {folder} is a file, not a folder")


def cmd_report(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge report``: the .xlsx report (and PNG charts)."""
    out = _out_path(args.out, DEFAULT_REPORT)
    _check_png(args)
    result = _analyse(args, console)
    _write_outputs(result, out, args.png, console)
    console.data(f"{result.asset} on {result.benchmark}: {_headline(result)}")
    if not result.hedge_supported:
        # The report says it beside the trade; the terminal's one line says it too.
        console.data(f"Hedge advice: {result.stat('hedge_advice')}")
    console.data(f"Report: {out}")
    return 0


def sample_dir() -> Path:
    """The folder of the built-in sample prices (``betahedge_xl/sample``)."""
    from importlib.resources import files

    # A regular (non-zip) install: the resource is a real folder the CSV reader can list.
    return Path(str(files("betahedge_xl") / "sample"))


def cmd_demo(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge demo``: the worked example on the built-in real prices."""
    out = _out_path(args.out, DEMO_OUT)
    _check_png(args)
    folder = sample_dir()
    if not (folder / f"{DEMO_ASSET}.csv").is_file():
        raise InputError(f"the built-in sample is missing from {folder}; reinstall betahedge-xl")
    console.data(
        f"Demo: {DEMO_ASSET} hedged with {DEMO_BENCHMARK}, daily simple returns, "
        f"{DEMO_START} (inclusive) to {DEMO_END} (exclusive).\n"
        f"Sample data: real prices, not synthetic: daily split- and dividend-adjusted closes\n"
        f"of TSLA, SPY, AAPL, MSFT and XLK, 2013-2015, exported from Yahoo Finance with\n"
        f"yfinance, shipped inside the package in {folder}.\n"
        f"No network is used.\n")
    # The data layer reads a CSV folder instead of Yahoo when BETAHEDGE_DATA_DIR is set; for
    # this process only, point it at the sample. The store is not touched in that mode, so the
    # demo leaves the user's cache as it was.
    os.environ["BETAHEDGE_DATA_DIR"] = str(folder)
    args.asset, args.benchmark, args.benchmarks = DEMO_ASSET, DEMO_BENCHMARK, []
    args.start, args.end = DEMO_START, DEMO_END
    args.frequency, args.returns, args.risk_free = "daily", "simple", (0.0, "annual")
    args.hac, args.maxlags, args.rolling_window = False, None, None
    args.weights = args.shares = None
    args.capital = args.hedge_with = args.hedge_price = args.hedge_beta = None
    args.input = "prices"
    args.preset = None
    args.oos_split, args.refresh = 0.5, False
    result = _analyse(args, console)
    console.data(str(result))
    _write_outputs(result, out, args.png, console)
    console.data(
        f"\n{_headline(result)}.\n"
        f"A {DEMO_ASSET} position of 1,000,000 is hedged by selling "
        f"{result.beta * 1_000_000:,.0f} of {DEMO_BENCHMARK}; the hedged series "
        f"({DEMO_ASSET} - {result.beta:.3f} x {DEMO_BENCHMARK}) has beta "
        f"{round(result.hedged_beta, 6) + 0.0:.3f} and the same alpha.\n"
        f"Report: {out.resolve()}\n"
        f"Next: betahedge analyze AAPL SPY --start 2024-01-01 --end 2025-01-01 "
        f"(fetches prices from Yahoo), or betahedge workbook DIR for the Excel add-in.")
    return 0


def _cache_frame(console: _Console) -> pd.DataFrame:
    from .data import store_summary

    with _warnings_to(console, False):
        return store_summary()


def cmd_cache_show(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge cache show``: what the local store holds."""
    import pandas as pd

    from .data import store_path

    frame = _cache_frame(console)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    fetched = pd.to_datetime(frame["fetched_at"], utc=True).dt.tz_localize(None) \
        if len(frame) else pd.Series([], dtype="datetime64[ns]")
    frame["age_days"] = ((now - fetched).dt.total_seconds() / 86400).round(1) \
        if len(frame) else pd.Series([], dtype=float)
    if args.format == "json":
        records = [{
            "ticker": r.ticker,
            "first": f"{r.first:%Y-%m-%d}",
            "last": f"{r.last:%Y-%m-%d}",
            "rows": int(r.rows),
            "fetched_at": None if pd.isna(r.fetched_at) else pd.Timestamp(r.fetched_at).isoformat(),
            "age_days": None if pd.isna(r.age_days) else float(r.age_days),
            "source": r.source,
        } for r in frame.itertuples(index=False)]
        console.data(json.dumps({"store": str(store_path()), "tickers": records}, indent=2))
    elif args.format == "csv":
        console.data(_csv_text(frame))
    else:
        console.progress(f"Store: {store_path()}")
        if frame.empty:
            console.data("The store is empty.")
            return 0
        lines = [f"{'ticker':<10} {'first':<10} {'last':<10} {'rows':>7}  {'age':>9}  source"]
        for r in frame.itertuples(index=False):
            age = "" if pd.isna(r.age_days) else f"{r.age_days:.1f} d"
            lines.append(f"{r.ticker:<10} {r.first:%Y-%m-%d} {r.last:%Y-%m-%d} "
                         f"{int(r.rows):>7}  {age:>9}  {r.source}")
        console.data("\n".join(lines))
    return 0


def cmd_cache_import(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge cache import DIR``: store every CSV of a folder, saying what each file gave.

    A file that cannot be read is skipped (its line says why) and the import goes on; the exit
    status is then that of a data error, so a script sees that not everything was stored.
    """
    from .data import import_csv_dir, store_path
    from .data.store import ImportedFile
    from .exceptions import DataError

    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        raise InputError(f"cache import: folder {folder} not found")
    console.progress(f"Importing the CSV files of {folder} into {store_path()}")
    done: list[ImportedFile] = []

    def report(item: ImportedFile) -> None:
        done.append(item)
        console.data(str(item))

    with _warnings_to(console, args.debug):
        import_csv_dir(folder, on_file=report, replace=args.replace)
    if not done:
        raise InputError(f"cache import: no <TICKER>.csv files in {folder}")
    stored = [d for d in done if d.skipped is None]
    skipped = [d.file for d in done if d.skipped is not None]
    console.data(f"Imported {len(stored)} of {len(done)} file(s), "
                 f"{sum(d.rows for d in stored)} prices; requests inside their dates are now "
                 f"served offline.")
    if skipped:
        console.warn(f"cache import: skipped {len(skipped)} file(s): {', '.join(skipped)}")
        return DataError.exit_code
    return 0


def cmd_cache_clear(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge cache clear``: empty the local store."""
    from .data import clear_store, store_path

    with _warnings_to(console, args.debug):
        n = clear_store()
    console.data(f"Cleared {n} ticker(s) from {store_path()}")
    return 0


#: What a user gets from the workbook folder: the workbook, the add-in and their README (not
#: the build script or package plumbing).
_WORKBOOK_FILES = (".xlsm", ".xlam", ".xlsx", ".md")


def workbook_dir() -> Path:
    """The ready workbook's folder: ``betahedge_xl/workbook`` in an install, else (a source
    checkout installed in development mode) the checkout's ``workbook`` folder."""
    from importlib.resources import files

    packaged = Path(str(files("betahedge_xl") / "workbook"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "workbook"
    return checkout if checkout.is_dir() else packaged


def cmd_workbook(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge workbook DIR``: copy the ready workbook and add-in, print the next steps."""
    src = workbook_dir()
    items = sorted(p for p in src.iterdir() if p.is_file()
                   and p.suffix.lower() in _WORKBOOK_FILES) if src.is_dir() else []
    if not any(p.suffix.lower() in (".xlsm", ".xlam") for p in items):
        raise InputError("the ready workbook is not in this installation of betahedge-xl "
                         f"(no .xlsm/.xlam in {src}); reinstall it or build it with "
                         f"workbook/build_workbook.py from a source checkout")
    dest = Path(args.dir).expanduser()
    if dest.exists() and not dest.is_dir():
        raise InputError(f"workbook: {dest} exists and is not a folder")
    clashes = [p.name for p in items if (dest / p.name).exists()]
    if clashes and not args.force:
        raise InputError(f"workbook: {', '.join(clashes)} already in {dest}; "
                         f"use --force to replace")
    from ._files import replacing

    try:
        dest.mkdir(parents=True, exist_ok=True)
        for p in items:
            with replacing(dest / p.name, "workbook") as tmp:  # --force keeps a file intact
                shutil.copy2(p, tmp)                            # until its copy is complete
    except OSError as exc:
        raise InputError(f"workbook: cannot copy to {dest} ({exc.strerror or exc})") from None
    for p in items:
        console.data(f"copied {p.name}")
    names = [p.name for p in items]
    book = next((n for n in names if n.endswith(".xlsm")), None)
    steps = [
        "Next steps (Excel on Windows or macOS):",
        "  1. In the Python Excel should use (Python 3.11 or newer; this one if it runs this "
        "command): pip install . in a checkout of betahedge-xl, then: betahedge excel setup "
        f"--workbook-dir {dest} (points the BetaHedge workbook and add-in, and nothing else, "
        "at that Python, installs the ribbon add-in, lists what is left by hand)",
    ]
    n = 2
    if book:
        steps.append(f"  {n}. Open {dest / book} (this copy, not one inside a downloaded zip, "
                     f"which Windows blocks), enable macros; on Windows click 'Import "
                     f"functions' once and save as .xlsm; keep the file name (its macros "
                     f"import the module named like it)")
        n += 1
    readme = next((n for n in names if n.lower().startswith("readme")), None)
    if readme:
        steps.append(f"  Details: {dest / readme}")
    console.data("\n".join(steps))
    return 0


def cmd_excel_setup(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge excel setup``: see :mod:`betahedge_xl.excel.setup`."""
    from .excel import setup

    folder = Path(args.workbook_dir).expanduser() if args.workbook_dir else None
    setup.run(args.platform, workbook_dir() / setup.ADDIN_FILE, dry_run=args.dry_run,
              force=args.force, say=console.data, workbook_dir=folder)
    return 0


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


if __name__ == "__main__":
    _run()
