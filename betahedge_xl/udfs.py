"""Excel worksheet functions (xlwings UDFs): name ``betahedge_xl.udfs`` in "UDF Modules".

Each function turns cell values into a request, calls :func:`betahedge_xl.beta_hedge` (or the
engine's sizing) and turns the answer into cells. No statistics are computed here.

Conventions every function follows, because Excel is the caller:

* arguments arrive as Excel sends them (text, numbers, date cells, serial numbers, empty cells,
  ranges as lists of rows); :mod:`betahedge_xl.excel.cells` reads them;
* every argument asks xlwings for ``err_to_str``, so an error cell (``#DIV/0!``) arrives as its
  text and is refused by name (``start_date is #DIV/0!``); xlwings' default would hand it over
  as ``None``, the same as an empty cell, and the request would silently take the default;
* range arguments (prices, tickers, holdings) arrive as ranges (:class:`UsedCells`) and only
  the rows the sheet uses are converted, so ``A:B`` costs what its used rows cost;
* tables are returned as 2-D lists, which dynamic-array Excel spills;
* a problem never raises: the cell gets a short message naming it (a raised exception would
  put a Python traceback into the cell);
* importing this module is light (Excel's UDF server imports it at the first formula):
  pandas' siblings statsmodels, scipy and yfinance load on the first calculation;
* Excel recalculates often, so one request's result is kept for a short while
  (:data:`MEMO_SECONDS`): a sheet of formulas over the same data costs one computation, and
  stored prices are read from the local store, never the network.

The first paragraph of each docstring is what Excel's function wizard shows: xlwings'
"Import Functions" sends ``__xlfunc__["ret"]["doc"]`` cut at 255 characters, by default the
whole docstring, indentation and numpydoc sections included, so :func:`_wizard` puts the first
paragraph alone there. The ``doc=`` of each argument is the wizard's per-argument help.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import xlwings as xw
from xlwings.conversion import Accessor, Pipeline, ValueAccessor

from .exceptions import InputError
from . import excel
from .excel import cells

if TYPE_CHECKING:
    from .analysis import HedgeResult

#: Excel passes anything; xlwings reads ``Any`` with its default value converter.
Cell = Any
#: A spilled table: rows of cells.
Table = list[list[Any]]

#: Function-wizard category.
CATEGORY = "BetaHedge"
#: Seconds a computed result is reused for identical arguments.
MEMO_SECONDS = 120.0
#: Results kept at most (a workbook rarely has more distinct requests).
MEMO_SIZE = 64

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

_memo: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
_memo_lock = threading.Lock()


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


def clear_memo() -> None:
    """Forget every kept result (tests). The prices behind them are the data layer's to keep:
    :func:`betahedge_xl.data.clear_memory` forgets those."""
    with _memo_lock:
        _memo.clear()


def _cells_key(value: Any) -> Any:
    # The cells as they came (a few hundred for a price range): hashing them costs far less
    # than reading them into prices, which only a computation needs.
    return getattr(value, "first_row", 1), cells.freeze(value)


def _hedge(asset: Cell, benchmark: Cell, start: Cell, end: Cell, **options: Any) -> HedgeResult:
    """Read the cells of a request, compute it (or reuse the kept result)."""
    return _kept_hedge(_cells_key(asset), lambda: cells.leg(asset, "asset"), benchmark,
                       start, end, options)


def _kept_hedge(asset_key: Any, read_asset: Any, benchmark: Cell, start: Cell, end: Cell,
                options: dict[str, Any]) -> HedgeResult:
    """:func:`_hedge` for an asset known by ``asset_key`` and read by ``read_asset()``."""
    s = cells.date_option(start, "start_date")
    e = cells.date_option(end, "end_date")
    key = (asset_key, _cells_key(benchmark), s, e, cells.freeze(sorted(options.items())))

    def compute() -> HedgeResult:
        a = read_asset()
        b = cells.leg(benchmark, "benchmark")
        return excel.hedge(a, b, s, e, **options)

    return _memoized(key, compute)


def _memoized(key: Any, compute: Any) -> Any:
    # The data layer keeps the prices; this keeps what is computed from them, so a sheet of
    # BETA_HEDGE_STAT cells over one request fits it once.
    from ._dates import uses_1904

    key = (uses_1904(), key)  # the same serial numbers are other dates in a 1904 workbook
    now = time.monotonic()
    with _memo_lock:
        hit = _memo.get(key)
        if hit is not None and now - hit[0] < MEMO_SECONDS:
            _memo.move_to_end(key)
            return hit[1]
    value = compute()
    with _memo_lock:
        _memo[key] = (now, value)
        _memo.move_to_end(key)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return value


def _dated(func: Any) -> Any:
    """Read serial numbers in the calling workbook's date system (1900 or 1904).

    xlwings hands a function the range that called it in an argument named ``caller``, which
    Excel does not show; the wrapper declares it (innermost decorator: xlwings reads the
    signature) and reads the caller's workbook's ``Date1904`` around the call. Called from
    Python, without a caller, serial numbers are in the 1900 system.
    """
    import functools
    import inspect

    from ._dates import date_system
    from .excel.grid import uses_1904

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


#: What ``=BETA_HEDGE_STAT("?")`` answers, and the unknown-statistic message points to.
STAT_HELP = "?"


def _any_result() -> HedgeResult:
    """The result of a small made-up request: its statistics are those of every request with
    one benchmark (the only kind BETA_HEDGE_STAT takes), so it names them all."""
    def compute() -> HedgeResult:
        import numpy as np
        import pandas as pd

        dates = pd.bdate_range("2020-01-01", periods=40)
        x = np.linspace(0.0, 6.0, len(dates))
        bench = pd.Series(100 + np.sin(x), index=dates, name="BENCHMARK")
        asset = pd.Series(50 + np.sin(x) + 0.3 * np.cos(3 * x), index=dates, name="ASSET")
        return excel.hedge(asset, bench, None, None)

    return _memoized(STAT_HELP, compute)  # type: ignore[no-any-return]


def _stat_names_table() -> Table:
    res = _any_result()
    return [["statistic", "meaning"],
            *([k, label] for k, label in zip(res.stat_names(), res.summary()["label"]))]


def _input(value: Cell) -> dict[str, str]:
    """``input=`` of :func:`betahedge_xl.beta_hedge` from the ``input_type`` cell; nothing
    when it is the default, so the kept results of older formulas are shared."""
    cells.refuse_error(value, "input_type")
    kind = cells.text_option(value, "input_type", "prices", INPUT_KINDS)
    return {"input": kind} if kind != "prices" else {}


def _summary_table(res: HedgeResult) -> Table:
    return cells.frame_table(res.summary(), header=False)


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


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@_args("asset", "benchmark", "start_date", "end_date", "frequency", "returns", "cov_type",
       "risk_free", "maxlags", "input_type")
@_dated
def BETA_HEDGE(
    asset: Cell,
    benchmark: Cell,
    start_date: Cell = None,
    end_date: Cell = None,
    frequency: Cell = None,
    returns: Cell = None,
    cov_type: Cell = None,
    risk_free: Cell = None,
    maxlags: Cell = None,
    input_type: Cell = None,
) -> Table:
    """Beta hedge of an asset against a benchmark. Spills alpha, beta, their standard errors,
    t-stats and p-values, R-squared, observations, adjusted beta, the hedged series' alpha and
    beta, hedge effectiveness, the dates used and data warnings.

    Returns
    -------
    list of [label, value] rows, or one cell with a short message naming the problem.
    """
    try:
        res = _hedge(asset, benchmark, start_date, end_date,
                     **cells.hedge_options(frequency, returns, cov_type, risk_free, maxlags),
                     **_input(input_type))
        return _summary_table(res)
    except Exception as exc:  # noqa: BLE001  (a cell must show a message, not a traceback)
        return [[cells.message(exc)]]


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("statistic", **_CELL, doc="\"beta\", \"alpha\", \"beta_se\", \"beta_t\", \"r_squared\", "
                         "\"n_obs\", \"adjusted_beta\", \"hedged_beta\", \"effectiveness\", ...")
@_args("asset", "benchmark", "start_date", "end_date", "frequency", "returns", "cov_type",
       "risk_free", "maxlags", "input_type")
@_dated
def BETA_HEDGE_STAT(
    statistic: Cell,
    asset: Cell = None,
    benchmark: Cell = None,
    start_date: Cell = None,
    end_date: Cell = None,
    frequency: Cell = None,
    returns: Cell = None,
    cov_type: Cell = None,
    risk_free: Cell = None,
    maxlags: Cell = None,
    input_type: Cell = None,
) -> Cell:
    """One statistic of the beta hedge as a number, for use in other formulas, e.g.
    =BETA_HEDGE_STAT("beta","TSLA","SPY",DATE(2014,1,1),DATE(2015,1,1)).
    =BETA_HEDGE_STAT("?") spills the names of all statistics.

    Returns
    -------
    float (or text for descriptive rows); for ``"?"`` a table of names and meanings; or a
    short message naming the problem.
    """
    try:
        cells.refuse_error(statistic, "statistic")
        if cells.is_empty(statistic) or not isinstance(statistic, str):
            raise InputError(f'statistic: give its name as text, e.g. "beta"; '
                             f'=BETA_HEDGE_STAT("{STAT_HELP}") lists them')
        if statistic.strip() == STAT_HELP:
            return _stat_names_table()
        res = _hedge(asset, benchmark, start_date, end_date,
                     **cells.hedge_options(frequency, returns, cov_type, risk_free, maxlags),
                     **_input(input_type))
        try:
            value = res.stat(statistic)
        except InputError:
            # All the names (about 40) do not fit a cell's 255 characters: point to the list.
            raise InputError(
                f"unknown statistic {cells.show(statistic.strip())}; e.g. beta, alpha, "
                f"beta_se, beta_t, r_squared, n_obs; =BETA_HEDGE_STAT(\"{STAT_HELP}\") spills "
                f"all {len(res.stat_names())}") from None
        return cells.cell_value(value)
    except Exception as exc:  # noqa: BLE001
        return cells.message(exc)


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@_args("asset", "benchmark", "start_date", "end_date", "frequency", "returns",
       "risk_free", "input_type")
@_dated
def BETA_HEDGE_SERIES(
    asset: Cell,
    benchmark: Cell,
    start_date: Cell = None,
    end_date: Cell = None,
    frequency: Cell = None,
    returns: Cell = None,
    risk_free: Cell = None,
    input_type: Cell = None,
) -> Table:
    """Return series behind the hedge. Spills a header row, then per period the date, the
    asset's and the benchmark's return and the hedged return (asset minus beta times
    benchmark).

    Returns
    -------
    header row then one row per period, or one cell with a short message.
    """
    try:
        res = _hedge(asset, benchmark, start_date, end_date,
                     **cells.hedge_options(frequency, returns, risk_free=risk_free),
                     **_input(input_type))
        return cells.frame_table(res.series())
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@_args("asset", "benchmark")
@xw.arg("rolling_window", **_CELL, doc="Periods in each trailing window; empty: 63 daily, 26 weekly, 12 monthly")
@_args("start_date", "end_date", "frequency", "returns", "risk_free", "input_type")
@_dated
def BETA_HEDGE_ROLLING(
    asset: Cell,
    benchmark: Cell,
    rolling_window: Cell = None,
    start_date: Cell = None,
    end_date: Cell = None,
    frequency: Cell = None,
    returns: Cell = None,
    risk_free: Cell = None,
    input_type: Cell = None,
) -> Table:
    """Rolling beta. Spills a header row, then per period from the first full window on the
    date and the beta over the trailing window ending that date.

    Returns
    -------
    header row then one row per period, or one cell with a short message.
    """
    try:
        opts = cells.hedge_options(frequency, returns, risk_free=risk_free)
        opts["rolling_window"] = cells.int_option(rolling_window, "rolling_window", None)
        opts.update(_input(input_type))
        res = _hedge(asset, benchmark, start_date, end_date, **opts)
        rolling = res.rolling_beta.dropna(how="all")
        if rolling.empty:
            raise InputError(
                f"window of {res.rolling_window} periods is longer than the "
                f"{res.n_obs} observations"
            )
        frame = rolling.rename(columns=lambda c: f"beta {c}")
        frame.index.name = "date"
        return cells.frame_table(frame.reset_index())
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("tickers", **_RANGE, doc="A ticker or a range of tickers")
@_args("start_date", "end_date")
@_dated
def BETA_HEDGE_PRICES(
    tickers: Cell,
    start_date: Cell = None,
    end_date: Cell = None,
) -> Table:
    """Adjusted closing prices (splits and dividends) of one or more tickers on the dates
    they all have. Spills a header row (date, then one column per ticker), then one row per
    date.

    Returns
    -------
    header row then one row per date, or one cell with a short message.
    """
    try:
        import betahedge_xl as bh

        names = cells.tickers(tickers, "tickers")
        # No memo here: the data layer keeps loaded prices (and knows when they go stale).
        frame = bh.fetch_prices(names, cells.date_option(start_date, "start_date"),
                                cells.date_option(end_date, "end_date"))
        return cells.frame_table(frame.rename_axis("date").reset_index())
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


@_wizard
@xw.func(category=CATEGORY)
@xw.arg("beta", **_CELL, doc="Beta of the position to the hedge's underlying, e.g. from BETA_HEDGE_STAT")
@xw.arg("portfolio_value", **_CELL, doc="Value of the position to hedge (negative for a short)")
@xw.arg("price", **_CELL, doc="Price of one hedge share, or the futures price in index points")
@xw.arg("multiplier", **_CELL, doc="1 for shares (default), currency per point, or a contract: "
                          "\"ES\", \"MES\", \"NQ\", ...")
def BETA_HEDGE_SIZE(
    beta: Cell,
    portfolio_value: Cell,
    price: Cell,
    multiplier: Cell = None,
) -> Table:
    """Hedge size. Spills how many shares or futures contracts to short so that the position
    has zero beta, the exact count, the hedge's notional value and the beta left after
    rounding.

    Returns
    -------
    list of [label, value] rows, or one cell with a short message.
    """
    try:
        from .engine import hedge_size

        mult: float | str
        cells.refuse_error(multiplier, "multiplier")
        if isinstance(multiplier, str) and not cells.is_empty(multiplier) \
                and not cells.looks_numeric(multiplier):
            mult = multiplier
        else:
            mult = cells.number_option(multiplier, "multiplier", 1.0)  # type: ignore[assignment]
        size = hedge_size(
            _required_number(beta, "beta"),
            _required_number(portfolio_value, "portfolio_value"),
            _required_number(price, "price"),
            mult,
        )
        return [[label, cells.cell_value(v)] for label, v in size.rows()]
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


def _required_number(value: Cell, what: str) -> float:
    number = cells.number_option(value, what, None)
    if number is None:
        raise InputError(f"{what}: missing")
    return number


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("tickers", **_RANGE, doc="Range of the portfolio's tickers")
@_args("holdings", "benchmark", "start_date", "end_date", "holdings_type", "frequency",
       "returns", "cov_type", "risk_free", "maxlags", "capital")
@_dated
def BETA_HEDGE_PORTFOLIO(
    tickers: Cell,
    holdings: Cell,
    benchmark: Cell,
    start_date: Cell = None,
    end_date: Cell = None,
    holdings_type: Cell = None,
    frequency: Cell = None,
    returns: Cell = None,
    cov_type: Cell = None,
    risk_free: Cell = None,
    maxlags: Cell = None,
    capital: Cell = None,
) -> Table:
    """Beta hedge of a portfolio given as a range of tickers and a range of weights or share
    counts. Spills the same table as BETA_HEDGE.

    Returns
    -------
    list of [label, value] rows, or one cell with a short message.
    """
    try:
        opts = cells.hedge_options(frequency, returns, cov_type, risk_free, maxlags)
        return _summary_table(_book(tickers, holdings, benchmark, start_date, end_date,
                                    holdings_type, opts, capital))
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


def _book(tickers: Cell, holdings: Cell, benchmark: Cell, start_date: Cell, end_date: Cell,
          holdings_type: Cell, opts: dict[str, Any], capital: Cell) -> HedgeResult:
    """The kept result of a book given as a range of tickers and one of holdings."""
    names, counts = cells.holdings(tickers, holdings, "tickers", "holdings")
    if len(names) != len(counts):
        raise InputError(
            f"{len(names)} ticker(s) but {len(counts)} holding(s); give one per ticker"
        )
    kind = cells.text_option(holdings_type, "holdings_type", "weights", cells.HOLDINGS_KINDS)
    opts[kind] = tuple(counts)
    cells.refuse_error(capital, "capital")
    cap = cells.number_option(capital, "capital", None)
    if cap is not None:
        opts["capital"] = cap
    return _kept_hedge(("portfolio", tuple(names)), lambda: names, benchmark, start_date,
                       end_date, opts)


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("tickers", **_RANGE, doc="Range of the portfolio's tickers")
@_args("holdings", "benchmark", "start_date", "end_date", "holdings_type", "frequency",
       "returns", "risk_free", "capital")
@_dated
def BETA_HEDGE_POSITIONS(
    tickers: Cell,
    holdings: Cell,
    benchmark: Cell,
    start_date: Cell = None,
    end_date: Cell = None,
    holdings_type: Cell = None,
    frequency: Cell = None,
    returns: Cell = None,
    risk_free: Cell = None,
    capital: Cell = None,
) -> Table:
    """Per-position betas of a portfolio. Spills a header row, then per holding the ticker,
    its weight, its beta (its own regression on the benchmark over the same dates) and its
    contribution (weight x beta).

    Returns
    -------
    header row then one row per holding, or one cell with a short message.
    """
    try:
        opts = cells.hedge_options(frequency, returns, risk_free=risk_free)
        res = _book(tickers, holdings, benchmark, start_date, end_date, holdings_type, opts,
                    capital)
        positions = res.positions
        assert positions is not None  # a book always has them
        return cells.frame_table(positions.reset_index())
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


@_wizard
@xw.func(category=CATEGORY, call_in_wizard=False)
@_args("asset", "benchmark", "start_date", "end_date")
@xw.arg("window", **_CELL, doc="Daily returns each estimate uses; empty: 252 (a year)")
@xw.arg("rebalance", **_CELL,
        doc="\"monthly\" (default: last trading day of each month) or \"weekly\"")
@xw.arg("cost_bps", **_CELL,
        doc="Trading cost in basis points per unit of notional traded; empty: 0")
@_dated
def BETA_HEDGE_BACKTEST(
    asset: Cell,
    benchmark: Cell,
    start_date: Cell = None,
    end_date: Cell = None,
    window: Cell = None,
    rebalance: Cell = None,
    cost_bps: Cell = None,
) -> Table:
    """Which beta hedges best: re-estimates the hedge ratio (ols, blume, vasicek, ewma,
    dimson) at each month end on the trailing window and spills effectiveness, hedged beta,
    mean hedged return, turnover and net return per estimator, then the best.

    Returns
    -------
    header row, one row per estimator and a "Best" row, or one cell with a short message.
    """
    try:
        s = cells.date_option(start_date, "start_date")
        e = cells.date_option(end_date, "end_date")
        opts = {
            "window": cells.int_option(window, "window", 252, minimum=5),
            "rebalance": cells.text_option(rebalance, "rebalance", "monthly",
                                           ("monthly", "weekly")),
            "cost_bps": cells.number_option(cost_bps, "cost_bps", 0.0),
        }
        key = ("backtest", _cells_key(asset), _cells_key(benchmark), s, e,
               cells.freeze(sorted(opts.items())))
        res = _memoized(key, lambda: excel.backtest(cells.leg(asset, "asset"),
                                                    cells.leg(benchmark, "benchmark"),
                                                    s, e, **opts))
        rows = res.rows()
        return [*rows, ["Best", res.best, *[""] * (len(rows[0]) - 2)]]
    except Exception as exc:  # noqa: BLE001
        return [[cells.message(exc)]]


__all__ = [
    "BETA_HEDGE",
    "BETA_HEDGE_BACKTEST",
    "BETA_HEDGE_PORTFOLIO",
    "BETA_HEDGE_POSITIONS",
    "BETA_HEDGE_PRICES",
    "BETA_HEDGE_ROLLING",
    "BETA_HEDGE_SERIES",
    "BETA_HEDGE_SIZE",
    "BETA_HEDGE_STAT",
    "clear_memo",
]


def _office_js() -> bool:
    """Whether ``xlwings.func`` is the Office.js one (xlwings Lite): only it records a
    function's ``namespace``; xlwings CE's Windows decorator and the no-op elsewhere do not."""
    return "namespace" in getattr(BETA_HEDGE, "__xlfunc__", {})


if _office_js() and "betahedge_xl.lite" not in sys.modules:
    # Registered directly in xlwings Lite: the functions of this module become the Office.js
    # face, which reads what Office.js sends (#BUSY!, STOCKHISTORY ranges, tickers ...).
    from .excel.officejs import face as _face

    globals().update(_face({name: globals()[name] for name in __all__
                            if name.startswith("BETA_HEDGE")}, __name__, _wizard))
