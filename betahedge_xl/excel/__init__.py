"""The live-Excel face: the RunPython refresh and the cell helpers the worksheet functions use.

``main()`` is what the workbook's button and the ribbon add-in run (through the top-level
``betahedge`` module, because xlwings' quickstart macros import the module named like the
workbook file). Importing this package is light; xlwings and the computation load on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analysis import HedgeResult
    from ..backtesting import BacktestResult


def main() -> None:
    """Refresh the calling workbook's BetaHedge report (RunPython entry point)."""
    from .refresh import main as _main

    _main()


def hedge(asset: Any, benchmark: Any, start: Any, end: Any, **options: Any) -> HedgeResult:
    """:func:`betahedge_xl.beta_hedge` for Excel, where no console shows Python warnings.

    The data warnings are not lost: they are the result's "Data warnings" row, which the
    worksheet functions spill and the refresh writes.
    """
    import warnings

    import betahedge_xl as bh
    from ..exceptions import DataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return bh.beta_hedge(asset, benchmark, start, end, **options)


def backtest(asset: Any, benchmark: Any, start: Any, end: Any, **options: Any) -> BacktestResult:
    """:func:`betahedge_xl.backtest` for Excel, data warnings left to the result (as
    :func:`hedge`)."""
    import warnings

    import betahedge_xl as bh
    from ..exceptions import DataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return bh.backtest(asset, benchmark, start, end, **options)


def __getattr__(name: str) -> Any:
    if name in ("refresh", "drawer", "inputs", "cells"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
