"""``betahedge report``: the .xlsx report (and PNG charts); the headline and the writing of
both, which ``betahedge demo`` shares."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import InputError
from .console import _Console, _out_path
from .request import _analyse, _analysis_options

if TYPE_CHECKING:
    from ..analysis import HedgeResult

DEFAULT_REPORT = "betahedge-report.xlsx"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``report`` command to the ``betahedge`` subparsers."""
    p = sub.add_parser("report", help="an .xlsx report with tables and native charts",
                       description="Write a workbook with the summary, the series and charts "
                                   "(scatter with regression line, cumulative returns, rolling "
                                   "beta): the same sheet the Excel add-in's refresh draws.")
    _analysis_options(p)
    _output_options(p)
    p.set_defaults(func=cmd_report)
    return p


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", "-o", metavar="FILE.xlsx", help="the report file to write")
    p.add_argument("--png", metavar="DIR",
                   help="also write the charts as PNG files into DIR (the same charts as the "
                        "report, drawn with matplotlib)")



def _headline(result: HedgeResult) -> str:
    from ..formats import text  # the summary's rules: alpha and R-squared in percent

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
    from ..plan import build_plan, with_front_page
    from ..report import write_report

    plan = with_front_page(build_plan(result), result)  # one plan for both drawers
    console.progress(f"Writing the report to {out}")
    write_report(path=out, plan=plan)
    if png:
        # After the report: a picture that cannot be made (matplotlib missing or broken)
        # fails the command with its own message, and the .xlsx is already there.
        from ..charts_png import write_pngs

        files = write_pngs(None, png, plan=plan, report=out)
        console.progress(f"Wrote {len(files)} PNG chart(s) to {png}")


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
    console.data(f"{result.name} on {result.benchmark}: {_headline(result)}")
    if not result.hedge_supported:
        # The report says it beside the trade; the terminal's one line says it too.
        console.data(f"Hedge advice: {result.stat('hedge_advice')}")
    console.data(f"Report: {out}")
    return 0


