"""``betahedge hedged``: the hedged return series as CSV."""

from __future__ import annotations

import argparse
from typing import Any

from .console import _Console, _csv_text, _out_file
from .request import _analyse, _analysis_options


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``hedged`` command to the ``betahedge`` subparsers."""
    p = sub.add_parser("hedged", help="the hedged return series as CSV",
                       description="Print (or write) date, asset, benchmark(s) and hedged "
                                   "returns (asset - beta x benchmark) as CSV.")
    _analysis_options(p)
    p.add_argument("--out", "-o", metavar="FILE.csv", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_hedged)
    return p


def cmd_hedged(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge hedged``: date, asset, benchmark(s), hedged returns as CSV."""
    out = _out_file(args.out) if args.out else None
    result = _analyse(args, console)
    frame = result.series()
    from ..plan import excess_suffix

    ex = excess_suffix(result)
    if ex:
        # Excess of the risk-free rate: the columns say so, as the report's do.
        frame = frame.rename(columns={c: f"{c}{ex}" for c in frame.columns if c != "date"})
    text = _csv_text(frame)
    if out is not None:
        from .._files import write_text

        write_text(out, text, "--out")  # whole or not at all: an existing file stays intact
        console.progress(f"Wrote {result.n_obs} hedged returns to {out}")
    else:
        console.data(text)
    return 0


