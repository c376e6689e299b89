"""The sample: windowed, aligned, resampled returns; books formed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import engine as eng
from ..engine.periods import PERIOD_CODE
from ..engine.table import Table
from .books import PORTFOLIO_NAME, Book, _book, _book_returns
from .prices import Prices
from .request import Request
from ..exceptions import (
    InputError,
    InsufficientDataError,
)


#: Fewer returns than this get a warning that the statistics are unreliable (five returns
#: gave an annualised alpha of -517% with no word of caution).
MIN_RELIABLE_OBS = 30


def _returns_as_levels(
    asset: pd.DataFrame, bench: pd.DataFrame, frequency: str = "daily"
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Returns handed in as levels that reproduce them, on the dates both sides have.

    The level starts at 1 on the last day of the period before the first return's (the day
    before for daily returns), so the price path (alignment, resampling, returns) gives back
    exactly the returns handed in, the first one too. Also the number of dates dropped
    because one side had no return on them.
    """
    frame = pd.concat([asset, bench], axis=1, sort=True)
    values = frame.to_numpy(dtype=float)
    present = ~np.isnan(values).all(axis=1)
    keep = ~np.isnan(values).any(axis=1)
    frame = frame.loc[keep]
    if frame.empty:
        raise InsufficientDataError("no date has a return on both sides in the window")
    r = frame.to_numpy(dtype=float)
    if (r <= -1.0).any():
        i, j = np.argwhere(r <= -1.0)[0]
        raise InputError(f"{frame.columns[j]}: a return of {r[i, j]:.2%} on "
                         f"{frame.index[i]:%Y-%m-%d}; returns are fractions (0.01 for 1%) "
                         "above -100%")
    base = (pd.Period(frame.index[0], PERIOD_CODE[frequency]).start_time.normalize()
            - pd.Timedelta(days=1))
    levels = np.vstack([np.ones(r.shape[1]), np.cumprod(1.0 + r, axis=0)])
    out = pd.DataFrame(levels, index=pd.DatetimeIndex([base, *frame.index]),
                       columns=frame.columns)
    na = asset.shape[1]
    return out.iloc[:, :na], out.iloc[:, na:], int(present.sum() - keep.sum())


#: The finest frequency that prices this many days apart (median) can give.
_SPACING = (("daily", 4.0), ("weekly", 10.0), ("monthly", 45.0))
_ORDER = {"daily": 0, "weekly": 1, "monthly": 2}


def _common_dates(a: Table, b: Table) -> np.ndarray:
    """The dates on which both legs have a value."""
    da = a.dates[~np.isnan(a.values).any(axis=1)]
    db = b.dates[~np.isnan(b.values).any(axis=1)]
    return np.intersect1d(da, db)


def _frequency(asked: str | None, dates: np.ndarray, what: str) -> tuple[str, list[str]]:
    """The frequency to use for data on ``dates`` and the note that says why.

    Data sparser than the frequency asked for would be annualised as if it were not
    (month-end prices at daily: alpha x 252): with no frequency asked the data's own is
    used and said; a finer one asked is refused, naming the frequency to ask for.
    """
    if len(dates) < 3:
        return asked or "daily", []
    days = np.diff(np.asarray(dates, dtype="datetime64[D]")).astype(float)
    spacing = float(np.median(days))
    own = next((f for f, most in _SPACING if spacing <= most), None)
    if own is None:
        raise InputError(f"the {what} are {spacing:.0f} days apart (median): betahedge works "
                         f"with daily, weekly or monthly {what}")
    if asked is None:
        if own == "daily":
            return "daily", []
        return own, [f"the {what} are {own} ({spacing:.0f} days apart, median): {own} "
                     f"returns used"]
    if _ORDER[own] > _ORDER[asked]:
        raise InputError(f"the {what} are {own} ({spacing:.0f} days apart, median), sparser "
                         f"than the {asked} frequency asked for: ask for {own}")
    return asked, []


def _check_handed(
    table: Table, columns: list[str], start: pd.Timestamp | None, end: pd.Timestamp | None,
) -> tuple[Table, Any]:
    """Windowed prices handed in get the report tickers get, and their rule for a zero price.

    ``table`` holds the windowed prices of every leg; ``columns`` are those handed in. Zero or
    negative prices among them are removed (NaN), as the data layer removes them from a file
    or from Yahoo, and the report's line says so.
    """
    from ..data.quality import assess_values

    own = table if columns == table.names else table.columns(columns)
    # An open window of prices handed in ends where they end, not today.
    empty = not len(table) or not table.names
    first = start if start is not None or empty else pd.Timestamp(table.dates[0])
    last = end if end is not None or empty else (
        pd.Timestamp(table.dates[-1]) + pd.Timedelta(days=1))
    report = assess_values(own.values, own.dates, own.names, first, last)
    with np.errstate(invalid="ignore"):
        bad = own.values <= 0
    if bad.any():
        at = [table.names.index(c) for c in columns]
        values = table.values.copy()
        values[:, at] = np.where(bad, np.nan, own.values)
        table = table.with_values(values)
    return table, report


def _check_book_names(book: Table, bench: Table) -> None:
    """Refuse a holding named like a benchmark (any case) whose prices are not the
    benchmark's: joined on names, one would silently replace the other (the book regressed on
    a holding, the positions showing the benchmark at beta 1). A book may hold its benchmark
    (an index ETF hedged with that ETF) when the prices are the same."""
    for a in book.names:
        for b in bench.names:
            if a.upper() != b.upper():
                continue
            same = np.array_equal(book.dates, bench.dates) and np.allclose(
                book.column(a), bench.column(b), rtol=1e-12, atol=0.0, equal_nan=True)
            if not same:
                raise InputError(
                    f"the book's holding {a} is named like the benchmark {b} but has other "
                    f"prices: rename the holding or the benchmark")


def _judge_moves(quality: Any, notes: list[str], table: Table, benchmark: str
                 ) -> tuple[Any, list[str]]:
    """Possible splits and spikes judged against what the benchmark did each day (a split
    day's move less the benchmark's); the report's lines for them replaced in ``notes``."""
    from ..data.quality import judged_against

    before = [m for q in quality.tickers.values() for m in q.move_messages()]
    market = table.values[:, table.names.index(benchmark)]
    judged = judged_against(quality, table.values, table.dates, table.names, market)
    after = [m for q in judged.tickers.values() for m in q.move_messages()]
    return judged, [m for m in notes if m not in before] + after


@dataclass(frozen=True)
class Sample:
    """The returns a request regresses, on aligned dates and at one frequency.

    ``aligned`` holds every leg's aligned (and resampled) prices; ``prices`` and ``returns``
    the asset (or the book, ``"Portfolio"``) then the benchmarks, excess of the risk-free rate
    when one was given. For a book, ``held``, ``shown`` and ``starts`` are what
    :func:`form_book` needs (see :func:`~betahedge_xl.analysis.books._book_returns`).
    """

    aligned: Table
    prices: Table
    returns: Table
    asset: str
    benchmarks: list[str]
    frequency: str
    quality: Any
    notes: list[str]
    held: pd.DataFrame | None = None
    shown: pd.Series | None = None
    starts: pd.DataFrame | None = None


def _join(request: Request, prices: Prices) -> tuple[Table, Any, str, list[str]]:
    """Both legs on one table of dates, checked, and the frequency to use; also the
    quality report and the notes so far."""
    raw_asset, raw_bench = prices.asset, prices.benchmark
    s, e, asked = prices.start, prices.end, request.asked
    notes, quality, freq = list(prices.notes), prices.quality, request.frequency
    if request.input == "returns":
        freq, said = _frequency(asked, _common_dates(raw_asset, raw_bench), "returns")
        notes += said
        a_levels, b_levels, lost = _returns_as_levels(raw_asset.frame, raw_bench.frame, freq)
        raw_asset, raw_bench = Table.of(a_levels), Table.of(b_levels)
        if lost:
            notes.append(f"{lost} date(s) dropped to align asset and benchmark returns")
    if np.array_equal(raw_asset.dates, raw_bench.dates):
        # Same dates (the usual case): one block of numbers, no join machinery.
        table = raw_asset.with_values(np.hstack([raw_asset.values, raw_bench.values]),
                                      raw_asset.names + raw_bench.names)
    else:
        table = Table.of(pd.concat([raw_asset.frame, raw_bench.frame], axis=1, sort=True))
    if request.holdings is not None:
        _check_book_names(raw_asset, raw_bench)
    if len(set(table.names)) < len(table.names):
        dup = next(c for i, c in enumerate(table.names) if c in table.names[:i])
        if request.holdings is None:
            raise InputError(f"{dup} is both in the asset and the benchmark")
        # A portfolio may hold its own benchmark (an index ETF hedged with that ETF).
        table = table.columns(list(dict.fromkeys(table.names)))
    handed = [c for leg in (request.asset, request.benchmark) if leg.prices is not None
              for c in leg.prices.names]
    if handed:
        table, own = _check_handed(table, list(dict.fromkeys(handed)), s, e)
        notes += own.messages()
        if quality is None:
            quality = own
    if quality is not None and hasattr(quality, "tickers"):
        quality, notes = _judge_moves(quality, notes, table, raw_bench.names[0])
    # Constituents are resampled before a portfolio is formed: a weights portfolio is
    # rebalanced each period of the frequency (weekly returns are the weighted weekly returns).
    # Dates lost to alignment are named by the data-quality report every leg now has.
    if request.input == "prices":
        with np.errstate(invalid="ignore"):
            every = (table.values > 0).all(axis=1)
        freq, said = _frequency(asked, table.dates[every], "prices")
        notes += said
    return table, quality, freq, notes


def form_sample(request: Request, prices: Prices) -> Sample:
    """Align and resample the legs, form the book's returns, and refuse a sample too short."""
    table, quality, freq, notes = _join(request, prices)
    risk_free, rf_unit, method = request.risk_free, request.rf_unit, request.method
    rf_note = eng.risk_free_note(risk_free, rf_unit, freq)
    if rf_note is not None:
        notes.insert(0, rf_note)
    px = eng.prepare_table(table, freq)
    bench_cols = prices.benchmark.names
    held = shown = starts = None
    if request.holdings is not None:
        asset_name = PORTFOLIO_NAME
        assert request.kind is not None
        book_prices, book_rets, held, shown, starts = _book_returns(
            px.frame, prices.asset.names, bench_cols, request.holdings, request.kind,
            request.capital, risk_free, freq, method, rf_unit)
        sample_prices, rets = Table.of(book_prices), Table.of(book_rets)
    else:
        asset_name = prices.asset.names[0]
        sample_prices = px  # the asset's one column, then the benchmarks
        rets = eng.excess_table(eng.return_table(sample_prices, method), risk_free, freq,
                                method, rf_unit)
    if len(rets) < 3:
        raise InsufficientDataError(
            f"too few observations: {len(rets)} {freq} return(s) between "
            f"{pd.Timestamp(sample_prices.dates[0]):%Y-%m-%d} and "
            f"{pd.Timestamp(sample_prices.dates[-1]):%Y-%m-%d}, need at least 3"
            if len(sample_prices) else "no prices in the window"
        )
    if len(rets) < MIN_RELIABLE_OBS:
        notes.append(f"only {len(rets)} {freq} returns: fewer than {MIN_RELIABLE_OBS}, the "
                     f"statistics are unreliable")
    return Sample(aligned=px, prices=sample_prices, returns=rets, asset=asset_name,
                  benchmarks=bench_cols, frequency=freq, quality=quality, notes=notes,
                  held=held, shown=shown, starts=starts)


def form_book(request: Request, sample: Sample) -> Book | None:
    """How a book's return was formed, its exposure and its positions' betas (``None`` for
    one asset)."""
    if request.holdings is None:
        return None
    assert request.kind is not None and sample.held is not None and sample.shown is not None
    return _book(sample.aligned.frame, request.holdings, request.kind, request.capital,
                 request.risk_free, sample.held, sample.returns.frame[sample.benchmarks],
                 sample.shown, sample.starts)
