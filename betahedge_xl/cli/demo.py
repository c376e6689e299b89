"""``betahedge demo``: the worked example on the built-in real prices, no network needed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from .console import _Console, _out_path
from .report import _check_png, _headline, _output_options, _write_outputs
from .request import _analyse

DEMO_ASSET, DEMO_BENCHMARK = "TSLA", "SPY"
DEMO_START, DEMO_END = "2014-01-01", "2015-01-01"
DEMO_OUT = "betahedge-demo.xlsx"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``demo`` command to the ``betahedge`` subparsers."""
    p = sub.add_parser("demo", help="the whole job on built-in real prices, no network needed",
                       description=f"Hedge {DEMO_ASSET} with {DEMO_BENCHMARK} over 2014 on the "
                                   f"real adjusted prices shipped with the package, print the "
                                   f"summary and write a report ({DEMO_OUT} unless --out).")
    _output_options(p)
    p.set_defaults(func=cmd_demo)
    return p


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


