"""``betahedge backtest``: the walk-forward hedge backtest from a terminal.

::

    betahedge backtest TSLA SPY[,XLK] --start 2012-01-01 --end 2018-01-01 [--window 252]
        [--rebalance monthly|weekly] [--estimators ols,blume,...] [--cost-bps 5]
        [--format table|json|csv] [--out FILE.xlsx]

The command's options and output live here; asset, holdings and warnings are read by the
shared :mod:`betahedge_xl.cli.request` and :mod:`betahedge_xl.cli.console`.
Only the standard library is imported at the top (``betahedge --help`` stays instant).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .console import _Console, _csv_text, _out_path, _warnings_to
from .request import _describe, _request, leg_arguments

if TYPE_CHECKING:
    from ..backtesting import BacktestResult


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``backtest`` command to the ``betahedge`` subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "backtest", help="which beta hedges best: a walk-forward hedge backtest",
        description="Re-estimate the hedge ratio with each estimator (ols, blume, vasicek, "
                    "ewma, dimson) at the last trading day of every month or week on the "
                    "trailing window, hold it until the next rebalance, and compare the hedged "
                    "series: effectiveness, hedged beta, mean hedged return, turnover and the "
                    "result after costs. Daily simple returns. Several benchmarks (SPY,XLK) "
                    "hedge with a ratio per benchmark from a multiple regression: ols, ewma "
                    "and dimson only.")
    g = leg_arguments(p, "backtest options")
    g.add_argument("--start", help="first date, inclusive (YYYY-MM-DD)")
    g.add_argument("--end", help="last date, exclusive, as yfinance (YYYY-MM-DD)")
    g.add_argument("--window", type=int, default=252, metavar="N",
                   help="daily returns each estimate uses (default 252)")
    g.add_argument("--rebalance", default="monthly", choices=["monthly", "weekly"],
                   help="rebalance on the last trading day of each month (default) or week")
    g.add_argument("--estimators", metavar="NAMES",
                   help="comma list among ols,blume,vasicek,ewma,dimson (default: all; with "
                        "several benchmarks among ols,ewma,dimson, those three by default)")
    g.add_argument("--cost-bps", type=float, default=0.0, metavar="BP",
                   help="trading cost in basis points per unit of notional traded (default 0)")
    g.add_argument("--halflife", type=float, metavar="DAYS",
                   help="EWMA half-life in days (default: a quarter of --window)")
    g.add_argument("--weights", metavar="W1,W2,..",
                   help="portfolio weights of the tickers in ASSET (rebalanced daily)")
    g.add_argument("--shares", metavar="S1,S2,..",
                   help="share counts of the tickers in ASSET (buy and hold)")
    g.add_argument("--refresh", action="store_true",
                   help="ask the source again even for prices already stored")
    p.add_argument("--format", default="table", choices=["table", "json", "csv"],
                   help="table (default), json ({\"estimators\": {...}, \"best\": ...}) or csv "
                        "(one row per estimator)")
    p.add_argument("--out", "-o", metavar="FILE.xlsx",
                   help="also write the backtest report (table and charts) to FILE.xlsx")
    # The analysis options the shared request reader expects; the backtest fixes them.
    p.set_defaults(func=cmd_backtest, frequency="daily", returns="simple",
                   risk_free=0.0, hac=False, maxlags=None, rolling_window=None, oos_split=0.5)
    return p


def run_backtest(args: argparse.Namespace, console: _Console) -> BacktestResult:
    """:func:`betahedge_xl.backtest` from the command line's options, warnings on stderr."""
    from ..backtesting import backtest

    req = _request(args)  # asset, holdings file, weights/shares: as every other command
    console.progress(f"Loading prices and backtesting: {_describe(req)}, {args.window}-day "
                     f"window, {args.rebalance} rebalance")
    with _warnings_to(console, args.debug):
        return backtest(req["asset"], req["benchmark"], req["start"], req["end"],
                        window=args.window, rebalance=args.rebalance,
                        estimators=args.estimators, cost_bps=args.cost_bps,
                        halflife=args.halflife, weights=req["weights"], shares=req["shares"],
                        refresh=req["refresh"])


def cmd_backtest(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge backtest``: the estimators x metrics table as text, JSON or CSV."""
    out = _out_path(args.out, "") if args.out else None
    result = run_backtest(args, console)
    if args.format == "json":
        console.data(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif args.format == "csv":
        console.data(_csv_text(result.table.reset_index()))
    else:
        console.data(str(result))
    if out is not None:
        from ..plan import build_backtest_front, build_backtest_plan
        from ..report import write_report

        console.progress(f"Writing the backtest report to {out}")
        plan = build_backtest_plan(result)
        write_report(path=out, plan=replace(plan, front=build_backtest_front(result, plan)))
    return 0
