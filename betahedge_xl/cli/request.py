"""What was asked: the two legs and the analysis options every analysing command takes, read
into the keyword arguments of :func:`betahedge_xl.beta_hedge`, and the run with progress and
warnings on the console."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import InputError
from .console import _Console, _warnings_to
from .files import pd_concat, read_holdings, read_returns

if TYPE_CHECKING:
    from ..analysis import HedgeResult


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
    from ..engine.periods import parse_rate

    try:
        return parse_rate(text, "--risk-free")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--risk-free: ")) from None


def _rate_text(number: float, unit: str) -> str:
    """How ``--risk-free`` is written for ``number`` in ``unit``: ``--risk-free "5% annual"``."""
    from ..engine.periods import rate_words

    return f'--risk-free "{rate_words(number, unit)}"'



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

        from ..engine.periods import risk_free_per_period

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

    from .._dates import to_timestamp

    s = to_timestamp(start, "start")
    if s is not None and s.date() > dt.date.today():
        raise InputError(f"--start {s:%Y-%m-%d} is after today: the window has no prices "
                         f"(yet); give a start in the past")


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
    # A mistyped contract code, then a missing hedge option, are said before any price is
    # loaded (and before the book's value is asked for).
    if args.hedge_with is not None:
        from ..analysis.sizing import check_instrument

        check_instrument(args.hedge_with, _tickers(req["benchmark"])[0],
                         getattr(args, "hedge_beta", None), "give its beta with --hedge-beta")
    if args.hedge_with is None and args.hedge_price is not None:
        raise InputError("--hedge-price needs --hedge-with (ES, MES, SPY, ...)")
    if args.hedge_with is not None and args.hedge_price is None:
        raise InputError(f"--hedge-with {args.hedge_with} needs --hedge-price")
    if args.hedge_with is None and getattr(args, "hedge_beta", None) is not None:
        raise InputError("--hedge-beta needs --hedge-with (the instrument it is the beta to)")
    n = len(_tickers(req["asset"])) + len(_tickers(req["benchmark"]))
    console.progress(f"Loading prices of {n} ticker(s) and regressing: {_describe(req)}")
    from ..analysis import beta_hedge
    from ..data.yahoo import report_progress

    with _warnings_to(console, args.debug), report_progress(
            lambda done, total: console.progress(f"Prices from Yahoo: {done} of {total} tickers")):
        return _with_hedge(beta_hedge(**req), args)


