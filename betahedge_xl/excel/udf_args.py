"""How the worksheet functions of :mod:`betahedge_xl.udfs` read their arguments: the xlwings
options and wizard help of each shared argument (:func:`_args`), the range reader that reads
only the used rows (:class:`UsedCells`), the calling workbook's date system (:func:`_dated`),
the function wizard's one-line help (:func:`_wizard`) and the ``input_type`` cell.

The functions themselves stay in :mod:`betahedge_xl.udfs`: xlwings imports that module by name
and reads each function's own parameter list.
"""

from __future__ import annotations

from typing import Any

import xlwings as xw
from xlwings.conversion import Accessor, Pipeline, ValueAccessor

from . import cells

#: Excel passes anything; xlwings reads ``Any`` with its default value converter.
Cell = Any

_DOC_ASSET = ("Ticker (\"TSLA\") or a two-column range of dates and prices, "
              "optionally with a header")
_DOC_BENCH = "Benchmark ticker (\"SPY\") or a two-column range of dates and prices"
_DOC_START = ("First date, included (date cell, serial number or text); empty with empty end: "
              "tickers take the two years to the latest price, ranges are used whole")
_DOC_END = "End date, excluded (as yfinance); empty: up to the latest price"
_DOC_FREQ = ("\"daily\" (default), \"weekly\" (Fridays), \"monthly\", or \"bloomberg\" "
             "(weekly over two years, adjusted beta beside raw)")
_DOC_RETURNS = "\"simple\" (default) or \"log\" returns"
_DOC_COV = "Standard errors: \"nonrobust\" (default, classical) or \"HAC\" (Newey-West)"
_DOC_RF = ("Risk-free rate for excess returns: annual (0.02 or 2%), or per period as text "
           "(\"0.01% per period\"); empty: 0")
_DOC_LAGS = ("Newey-West lags for HAC standard errors (0 or more); empty: the rule of thumb "
             "floor(4(n/100)^(2/9)). Giving lags implies cov_type \"HAC\"")

_DOC_INPUT = ("\"prices\" (default) or \"returns\": the ranges hold simple returns per "
              "period (a PM system's export), used as given")
_DOC_CAPITAL = ("The book's capital (empty: none; a shares book uses its gross exposure): adds "
                "the dollar beta and the benchmark notional to sell")
#: What the asset and benchmark ranges hold. Excel's argument is ``input_type``: ``Input`` is
#: a VBA keyword, so the generated wrapper could not name a parameter ``input``.
INPUT_KINDS = ("prices", "returns")


class UsedCells(Accessor):
    """xlwings converter of range arguments: read only the rows of the range the sheet uses.

    A whole-column reference (``A:B``) is 1,048,576 rows; xlwings' default reading converts
    every cell before the function runs. Here a referenced range arrives as an ``xw.Range``,
    and only its rows inside the sheet's used range are read, with ``err_to_str`` (rows outside
    the used range are empty by definition). A value typed into the formula (``"TSLA"``, an
    array constant, ``1/0``) has no range and goes through xlwings' ordinary value reading.
    Either way the function gets rows (``ndim=2``); a range read in part is a
    :class:`~betahedge_xl.excel.cells.Block` that knows its first row's number.
    """

    @classmethod
    def reader(cls, options: dict[str, Any]) -> Pipeline:
        typed = ValueAccessor.reader(options)

        def read(ctx: Any) -> None:
            if ctx.range is None:
                typed(ctx)
            else:
                ctx.value = used_rows(ctx.range)

        return Pipeline().append_stage(read)


def used_rows(rng: Any) -> cells.Block:
    """The values of ``rng`` (an ``xw.Range``) over the rows its sheet uses, errors as text."""
    n_rows, n_cols = rng.shape
    used = rng.sheet.used_range
    top = max(rng.row, used.row)
    bottom = min(rng.row + n_rows, used.row + used.shape[0]) - 1
    if bottom < top:
        return cells.Block([])
    part = rng.sheet.range((top, rng.column), (bottom, rng.column + n_cols - 1))
    return cells.Block(part.options(ndim=2, err_to_str=True).value,
                       first_row=top - rng.row + 1)


def _dated(func: Any) -> Any:
    """Read serial numbers in the calling workbook's date system (1900 or 1904).

    xlwings hands a function the range that called it in an argument named ``caller``, which
    Excel does not show; the wrapper declares it (innermost decorator: xlwings reads the
    signature) and reads the caller's workbook's ``Date1904`` around the call. Called from
    Python, without a caller, serial numbers are in the 1900 system.
    """
    import functools
    import inspect

    from .._dates import date_system
    from .grid import uses_1904

    sig = inspect.signature(func)
    n = len(sig.parameters)

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        caller = kwargs.pop("caller", args[n] if len(args) > n else None)
        date1904 = False
        if caller is not None:
            try:
                date1904 = uses_1904(caller.sheet.book)
            except Exception:  # noqa: BLE001  (a caller without a workbook: Excel's default)
                date1904 = False
        with date_system(date1904):
            return func(*args[:n], **kwargs)

    caller_param = inspect.Parameter("caller", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                     default=None)
    call.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[*sig.parameters.values(), caller_param])
    return call


def _wizard(func: Any) -> Any:
    """Give Excel's function wizard the first paragraph of ``func``'s docstring, on one line.

    Outermost decorator: on Windows the xlwings decorators below have made ``__xlfunc__``;
    elsewhere there is none and nothing is done.
    """
    info = getattr(func, "__xlfunc__", None)
    if info is not None:
        info["ret"]["doc"] = " ".join(func.__doc__.strip().split("\n\n")[0].split())
    return func


def _input(value: Cell) -> dict[str, str]:
    """``input=`` of :func:`betahedge_xl.beta_hedge` from the ``input_type`` cell; nothing
    when it is the default, so the kept results of older formulas are shared."""
    cells.refuse_error(value, "input_type")
    kind = cells.text_option(value, "input_type", "prices", INPUT_KINDS)
    return {"input": kind} if kind != "prices" else {}


#: xlwings options of a one-cell argument and of a range argument (see the module docstring).
_CELL: dict[str, Any] = {"err_to_str": True}
_RANGE: dict[str, Any] = {"convert": UsedCells, "ndim": 2, "err_to_str": True}

#: The arguments several functions share: xlwings options and the wizard's help.
_SHARED_ARGS: dict[str, dict[str, Any]] = {
    "asset": {**_RANGE, "doc": _DOC_ASSET},
    "benchmark": {**_RANGE, "doc": _DOC_BENCH},
    "start_date": {**_CELL, "doc": _DOC_START},
    "end_date": {**_CELL, "doc": _DOC_END},
    "frequency": {**_CELL, "doc": _DOC_FREQ},
    "returns": {**_CELL, "doc": _DOC_RETURNS},
    "cov_type": {**_CELL, "doc": _DOC_COV},
    "risk_free": {**_CELL, "doc": _DOC_RF},
    "maxlags": {**_CELL, "doc": _DOC_LAGS},
    "input_type": {**_CELL, "doc": _DOC_INPUT},
    "capital": {**_CELL, "doc": _DOC_CAPITAL},
    "holdings": {**_RANGE, "doc": "Range of weights (fractions of capital, as given) or share "
                                  "counts, in the order of the tickers"},
    "holdings_type": {**_CELL, "doc": "\"weights\" (default; rebalanced each period) or "
                                      "\"shares\" (share counts, buy and hold)"},
}


def _args(*names: str) -> Any:
    """``@xw.arg`` for each of the shared arguments ``names`` (see :data:`_SHARED_ARGS`)."""
    def decorate(func: Any) -> Any:
        for name in names:
            func = xw.arg(name, **_SHARED_ARGS[name])(func)
        return func

    return decorate
