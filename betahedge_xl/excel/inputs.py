"""The inputs block: where the refresh button reads what to compute.

One definition serves three places: the workbook build script lays the block out from it, the
refresh adds it to a workbook that has none, and the refresh reads it back. The block is a
two-column label/value range under the defined name :data:`INPUTS_NAME`, plus a holdings range
(:data:`HOLDINGS_NAME`) for a portfolio. Labels, not positions, identify the rows, so a user
may move or reorder them; the defined names say where they are.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InputError
from ..plan import DATE_FORMAT, a1
from . import cells

#: Sheet the example block is put on when a workbook has none.
INPUTS_SHEET = "BetaHedge Inputs"
#: Workbook-level defined names of the block (label/value rows) and of the holdings table.
INPUTS_NAME = "bh_inputs"
HOLDINGS_NAME = "bh_holdings"


@dataclass(frozen=True)
class Field:
    """One row of the block: its key in the request, its label in the sheet, the example."""

    key: str
    label: str
    example: Any
    note: str
    #: Excel number format of the value cell (``None``: Excel's default for what is typed).
    number_format: str | None = None
    #: The values a drop-down list offers in the value cell (empty: free input).
    choices: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("asset", "Asset", "TSLA", "Ticker; ignored when the holdings table has tickers"),
    Field("benchmark", "Benchmark", "SPY", "Ticker of the benchmark"),
    Field("start", "Start", _dt.datetime(2014, 1, 1), "First date, included", DATE_FORMAT),
    Field("end", "End", _dt.datetime(2015, 1, 1), "End date, excluded (as yfinance)",
          DATE_FORMAT),
    Field("frequency", "Frequency", "daily", "daily, weekly or monthly",
          choices=cells.FREQUENCIES),
    Field("returns", "Returns", "simple", "simple or log", choices=cells.RETURN_KINDS),
    Field("cov_type", "Standard errors", "nonrobust", "nonrobust (classical) or HAC",
          choices=cells.COV_TYPES),
    Field("maxlags", "HAC lags", None, "Newey-West lags for HAC; empty: rule of thumb"),
    Field("risk_free", "Risk-free rate", 0.0, "Annual rate for excess returns, e.g. 2%",
          "0.00%"),
    Field("rolling_window", "Rolling window", None, "Periods; empty: 63 daily, 26 weekly, "
                                                     "12 monthly"),
    Field("holdings_type", "Holdings are", "weights", "weights or shares (for the holdings "
                                                      "table)", choices=cells.HOLDINGS_KINDS),
    Field("capital", "Capital", None, "Book value in currency: adds the dollar beta and the "
                                      "notional to sell; empty: none", "#,##0.00"),
    Field("hedge_with", "Hedge with", None, "Futures (ES, MES, NQ, ...) or an ETF ticker "
                                            "(SPY) to size the hedge in; needs Hedge price"),
    Field("hedge_price", "Hedge price", None, "Futures price in index points, or one share's "
                                              "price"),
)

#: Rows of the holdings table (tickers | amounts) laid out under its header.
HOLDINGS_ROWS = 10

# Layout (0-based row, col) of the example block on INPUTS_SHEET; the build script and the
# refresh both use it. Row 0: title; rows 2..: fields; holdings at column E.
TITLE_CELL = (0, 0)
FIELDS_ANCHOR = (2, 0)  # first label cell; values in the next column, notes after that
HOLDINGS_ANCHOR = (2, 4)  # header cells "Ticker", "Weight or shares"
HOLDINGS_HEADER = ("Ticker", "Weight or shares")
TITLE = "BetaHedge inputs (press Refresh to rebuild the BetaHedge sheet)"


def example_rows() -> list[list[Any]]:
    """Label, value, note rows of the example block (the worked TSLA/SPY 2014 example)."""
    return [[f.label, f.example, f.note] for f in FIELDS]


def inputs_ref(sheet: str = INPUTS_SHEET) -> str:
    """The refers-to formula of :data:`INPUTS_NAME` for the example layout."""
    r, c = FIELDS_ANCHOR
    return f"='{sheet}'!{_a1(r, c)}:{_a1(r + len(FIELDS) - 1, c + 1)}"


def holdings_ref(sheet: str = INPUTS_SHEET) -> str:
    """The refers-to formula of :data:`HOLDINGS_NAME` (data rows, without the header)."""
    r, c = HOLDINGS_ANCHOR
    return f"='{sheet}'!{_a1(r + 1, c)}:{_a1(r + HOLDINGS_ROWS, c + 1)}"


def _a1(row: int, col: int) -> str:
    return a1(row, col, absolute=True)


@dataclass(frozen=True)
class Request:
    """What the refresh computes: arguments of :func:`betahedge_xl.beta_hedge`."""

    asset: Any
    benchmark: str
    start: Any
    end: Any
    options: dict[str, Any] = field(default_factory=dict)
    #: (instrument, price) of the hedge to size, or ``None``.
    hedge: tuple[str, float] | None = None


def read_values(rng: Any) -> Any:
    """The values of the block's or the holdings' range (an ``xw.Range``), as rows.

    Error cells arrive as their text: read by default they would be ``None``, the same as an
    empty cell, and the request would quietly take the default. Read through
    :func:`.grid.read_values`, which works on macOS too.
    """
    from .grid import read_values as _read

    return _read(rng)


def read_request(block: Any, holdings: Any = None) -> Request:
    """Turn the values of the block (and of the holdings table) into a :class:`Request`.

    ``block`` is what :func:`read_values` reads from the :data:`INPUTS_NAME` range: rows of
    label and value (extra columns, such as the notes, are ignored). A value that is an error
    (``#DIV/0!``) is refused, naming the row's label.
    """
    values: dict[str, Any] = {}
    by_label = {f.label.lower(): f for f in FIELDS}
    for row in cells.rows_of(block):
        if not row or not isinstance(row[0], str):
            continue
        f = by_label.get(row[0].strip().lower())
        if f is not None:
            values[f.key] = row[1] if len(row) > 1 else None
    missing = [f.label for f in FIELDS[:2] if f.key not in values]
    if missing:
        raise InputError(f"inputs block: no row labelled {', '.join(missing)}")
    options = cells.hedge_options(values.get("frequency"), values.get("returns"),
                                  values.get("cov_type"), values.get("risk_free"),
                                  values.get("maxlags"), {f.key: f.label for f in FIELDS})
    window = cells.int_option(values.get("rolling_window"), "Rolling window", None)
    if window is not None:
        options["rolling_window"] = window
    start = cells.date_option(values.get("start"), "Start")
    end = cells.date_option(values.get("end"), "End")
    bench = values.get("benchmark")
    cells.refuse_error(bench, "Benchmark")
    if cells.is_empty(bench) or not isinstance(bench, str):
        raise InputError("Benchmark: give a ticker")
    asset: Any
    cells.refuse_errors_in(holdings, "holdings")
    rows = [r for r in cells.rows_of(holdings) if r] if holdings is not None else []
    if any(not cells.is_empty(v) for r in rows for v in r[:2]):
        names, amounts = cells.holdings([[r[0]] for r in rows],
                                        [[r[1] if len(r) > 1 else None] for r in rows],
                                        "holdings tickers", "holdings amounts")
        kind = cells.text_option(values.get("holdings_type"), "Holdings are", "weights",
                                 cells.HOLDINGS_KINDS)
        asset = names
        options[kind] = amounts
    else:
        a = values.get("asset")
        cells.refuse_error(a, "Asset")
        if cells.is_empty(a) or not isinstance(a, str):
            raise InputError("Asset: give a ticker, or tickers in the holdings table")
        asset = a.strip().upper()
    capital = cells.number_option(values.get("capital"), "Capital", None)
    if capital is not None:
        options["capital"] = capital
    return Request(asset=asset, benchmark=bench.strip().upper(), start=start, end=end,
                   options=options, hedge=_hedge_request(values, bench))


def _hedge_request(values: dict[str, Any], benchmark: str) -> tuple[str, float] | None:
    """The Hedge with / Hedge price rows: both or neither; a slip of a contract's code is
    named first (before the price, the Capital or any price is asked for)."""
    what, price = values.get("hedge_with"), values.get("hedge_price")
    cells.refuse_error(what, "Hedge with")
    cells.refuse_error(price, "Hedge price")
    if cells.is_empty(what):
        if not cells.is_empty(price):
            raise InputError("Hedge price: give the instrument in Hedge with (ES, SPY, ...)")
        return None
    if not isinstance(what, str):
        raise InputError(f"Hedge with: expected ES, MES, SPY, ..., got {cells.show(what)}")
    from ..analysis.sizing import check_instrument

    try:
        check_instrument(what, benchmark, state=None)  # no beta to state in the block
    except InputError as exc:
        raise InputError(f"Hedge with: {exc}") from None
    number = cells.number_option(price, "Hedge price", None)
    if number is None:
        raise InputError(f"Hedge price: give the price of {what.strip().upper()}")
    return what.strip().upper(), number
