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
from typing import TYPE_CHECKING, Any

import xlwings as xw

from . import excel
from .exceptions import InputError
from .excel import cells
from .excel.udf_args import (  # noqa: F401  (_CELL, _RANGE, UsedCells: the benchmarks' and older imports)
    _CELL,
    _RANGE,
    Cell,
    UsedCells,
    _args,
    _dated,
    _input,
    _wizard,
    used_rows,
)
from .excel.udf_memo import MEMO_SECONDS, MEMO_SIZE, _cells_key, _memoized, clear_memo  # noqa: F401

if TYPE_CHECKING:
    from .analysis import HedgeResult

#: A spilled table: rows of cells.
Table = list[list[Any]]

#: Function-wizard category.
CATEGORY = "BetaHedge"


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



def _summary_table(res: HedgeResult) -> Table:
    return cells.frame_table(res.summary(), header=False)




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
