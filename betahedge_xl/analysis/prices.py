"""The prices a request needs: fetched once, windowed per leg."""

from __future__ import annotations


from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._dates import window_bounds
from ..engine.table import Table
from .request import Request, _Leg
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


@dataclass(frozen=True)
class Prices:
    """The prices a request needs, each leg windowed, and what the data layer said of them.

    ``asset`` and ``benchmark`` are the legs' prices inside the window (tickers fetched,
    prices handed in); ``start`` and ``end`` the window (the default one when no dates were
    given for tickers, described by ``window_note``).
    """

    asset: Table
    benchmark: Table
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    window_note: str | None
    quality: Any
    source: str | None
    notes: list[str]


def load(request: Request) -> Prices:
    """Fetch the tickers of a request (every leg must come), choose the default window when
    none was given, and cut each leg to the window."""
    s, e = request.start, request.end
    asset_leg, bench_leg = request.asset, request.benchmark
    notes: list[str] = []
    tickers = list(dict.fromkeys(asset_leg.tickers + bench_leg.tickers))
    quality = source = None
    fetched: pd.DataFrame | None = None
    if tickers:
        from ..data import load_prices

        priceset = load_prices(tickers, s, e, refresh=request.refresh)
        # A hedge needs every leg: a ticker that failed is the error to report, not the
        # "no prices" that its empty column would cause further down.
        for ticker in tickers:
            if ticker in priceset.errors:
                raise priceset.errors[ticker]
        fetched, quality, source = priceset.prices, priceset.quality, priceset.source
        notes += priceset.messages()
    window_note = None
    if s is None and e is None and fetched is not None and asset_leg.prices is None \
            and bench_leg.prices is None:
        s, e, window_note = default_window(fetched)
        if quality is not None:
            # The report over the window chosen, not over all history to today: the window
            # ends at the latest price, so "prices end ... before the window end today" is
            # not a finding.
            from ..data.quality import assess

            stale = set(quality.messages())
            quality = assess(fetched, s, e)
            notes = [m for m in notes if m not in stale] + quality.messages()

    stored = None if fetched is None else Table.of(fetched, copy=False)  # read once, both legs

    def windowed(leg: _Leg) -> Table:
        if leg.prices is not None:
            return _window_table(leg.prices, s, e)
        assert stored is not None
        return _window_table(stored, s, e, leg.tickers)

    # Window each leg before joining: the join then works on a year, not on decades. From
    # here on prices and returns are plain arrays (a Table); pandas objects are built only
    # where a book needs them or when a result's frame is read.
    return Prices(asset=windowed(asset_leg), benchmark=windowed(bench_leg), start=s, end=e,
                  window_note=window_note, quality=quality, source=source, notes=notes)
