"""``betahedge analyze``: the summary as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from .console import _Console, _csv_text
from .request import _analyse, _analysis_options

if TYPE_CHECKING:
    from ..analysis import HedgeResult


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``analyze`` command to the ``betahedge`` subparsers."""
    p = sub.add_parser("analyze", help="alpha, beta and the statistics of the regression",
                       description="Regress the asset's returns on the benchmark's and print "
                                   "the summary.")
    _analysis_options(p)
    p.add_argument("--format", default="table", choices=["table", "json", "csv"],
                   help="table (default, for people), json (one object) or csv (key,label,value)")
    p.set_defaults(func=cmd_analyze)
    return p


def _summary_rows(result: HedgeResult) -> list[tuple[str, str, Any]]:
    keys = result.stat_names()
    summary = result.summary()
    return [(k, str(label), value) for k, (label, value) in
            zip(keys, summary.itertuples(index=False))]



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


