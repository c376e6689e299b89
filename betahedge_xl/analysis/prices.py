"""The prices a request needs: fetched once, windowed per leg."""

from __future__ import annotations


import pandas as pd

from .._dates import window_bounds
from ..engine.table import Table
from ..exceptions import (
    InsufficientDataError,
)


#: Years of the default window of tickers given without dates (Bloomberg BETA's default).
DEFAULT_YEARS = 2


def default_window(prices: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The last :data:`DEFAULT_YEARS` years to the latest price every column has.

    Returns ``(start, end, note)``: ``start`` inclusive, ``end`` exclusive (the day after the
    latest common price) and the line the summary shows.
    """
    last = [prices[c].last_valid_index() for c in prices.columns]
    if any(d is None for d in last):
        raise InsufficientDataError("no prices to choose a window from")
    latest = min(pd.Timestamp(d) for d in last)
    start = latest - pd.DateOffset(years=DEFAULT_YEARS)
    note = (f"last {DEFAULT_YEARS} years to the latest price, {start:%Y-%m-%d} to "
            f"{latest:%Y-%m-%d} (no dates given; Bloomberg BETA's default)")
    return start, latest + pd.Timedelta(days=1), note



def _window_table(
    table: Table, start: pd.Timestamp | None, end: pd.Timestamp | None,
    names: list[str] | None = None,
) -> Table:
    """The rows of date-sorted prices inside the window (:func:`betahedge_xl._dates.window`),
    columns ``names`` (default all), as arrays of their own."""
    lo, hi = window_bounds(table.dates, start and start.to_datetime64(),
                           end and end.to_datetime64())
    part = table.rows(slice(lo, hi))
    if names is None:
        return part.with_values(part.values.copy())
    return part.with_values(part.values[:, [table.names.index(n) for n in names]], list(names))

