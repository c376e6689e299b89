"""Data-quality findings on a set of daily prices, counted so that a face can show them.

How things are counted (all per ticker, inside the window asked for):

- *non-positive*: zero or negative prices; they cannot be turned into returns, so they are
  removed (set to NaN) before everything else is counted.
- *missing weekdays*: trading days of the ticker's exchange (:mod:`.calendars`: by its suffix,
  every day for a column priced on weekends) between its first and last price that have no
  price. Holidays and closures (hurricane Sandy's 2012-10-29..30) are not trading days.
- *gaps*: runs of two or more consecutive missing trading days; a single one is counted only
  in *missing weekdays*.
- *repeated*: prices equal to the previous price (a zero return). A run of ``STALE_RUN`` or
  more repeats in a row is reported as stale.
- *late start / early end*: trading days between the window's start and the first price, and between
  the last price and the window's end (or today, for an open or future end). More than
  ``WINDOW_SLACK`` of them is reported as a window shorter than asked for.
- *possible splits*: one-day moves that, less the benchmark's move that day when one is known,
  come within a band of a common split ratio (2, 3, 4, 5, 7, 8, 10, 15, 20 to 1, 3:2 and their
  reverse): a split the prices were not adjusted for (AAPL's 7:1 of June 2014 is a -85.7% day
  in raw closes). See :data:`SPLIT_BAND`.
- *spikes*: a price far from the prices either side that the next day undoes (a bad tick:
  one price 100x too high). The regression is not robust to it, and the line says so.
- *dropped by alignment*: dates on which this ticker has a price but another ticker has none, so
  the row is lost when the tickers are joined on common dates; *absent* counts the dates some
  other ticker has and this one lacks.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._dates import check_window, window_bounds
from . import calendars
from .moves import (  # noqa: F401  (importable from here as before)
    MARKET_MOVE_CAP,
    SPIKE_MIN,
    SPIKE_SIGMAS,
    SPLIT_BAND,
    SPLIT_BAND_3_2,
    SPLIT_RATIOS,
    Spike,
    SplitMove,
    split_like_moves,
    spike_moves,
)

#: A run of this many repeated prices in a row (or more) is reported as stale.
STALE_RUN = 3
#: Weekdays allowed between the window's edges and the first/last price before reporting it.
WINDOW_SLACK = 3
#: Consecutive missing weekdays that make a gap (a single one is usually a holiday).
GAP_MIN = 2


def judged_against(report: QualityReport, values: np.ndarray, dates: Any, names: list[str],
                   market: Any) -> QualityReport:
    """``report`` with its possible splits and spikes found again against the benchmark's
    moves (``market``: its prices on the rows of ``values``); the other findings kept."""
    values = np.asarray(values, dtype=float)
    splits = split_like_moves(values, dates, names, market=market)
    spikes = spike_moves(values, dates, names, market=market)
    tickers = {t: (replace(q, possible_splits=splits[t], spikes=spikes[t]) if t in splits else q)
               for t, q in report.tickers.items()}
    return replace(report, tickers=tickers)


def _day(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else f"{ts:%Y-%m-%d}"


def window_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    """``2014-01-01..2015-01-01`` (end exclusive, as asked), for messages."""
    return f"{_day(start) or 'first'}..{_day(end) or 'today'}"


@dataclass(frozen=True)
class Gap:
    """A run of consecutive weekdays without a price."""

    first: pd.Timestamp
    last: pd.Timestamp
    weekdays: int


@dataclass(frozen=True)
class TickerQuality:
    """Findings for one ticker; see the module docstring for how each is counted."""

    ticker: str
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    nonpositive: int = 0
    missing_weekdays: int = 0
    gaps: tuple[Gap, ...] = ()
    repeated: int = 0
    longest_repeat: int = 0
    longest_repeat_from: pd.Timestamp | None = None
    late_start: int = 0
    early_end: int = 0
    dropped_by_alignment: int = 0
    absent: int = 0
    possible_splits: tuple[SplitMove, ...] = ()
    spikes: tuple[Spike, ...] = ()

    def messages(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> list[str]:
        """Short lines for the findings worth a user's attention ([] when clean)."""
        t = self.ticker
        out: list[str] = []
        if self.rows == 0:
            out.append(f"{t}: no prices in {window_text(start, end)}")
        if self.nonpositive:
            out.append(f"{t}: {self.nonpositive} zero or negative price(s) removed")
        if self.rows == 0:
            return out
        if self.late_start > WINDOW_SLACK:
            out.append(f"{t}: prices start {_day(self.first)}, {self.late_start} trading days "
                       f"after the window start {_day(start)}")
        if self.early_end > WINDOW_SLACK:
            out.append(f"{t}: prices end {_day(self.last)}, {self.early_end} trading days "
                       f"before the window end {_day(end) or 'today'}")
        if self.gaps:
            g = max(self.gaps, key=lambda x: x.weekdays)
            out.append(f"{t}: {len(self.gaps)} gap(s) of {GAP_MIN}+ trading days without prices "
                       f"(longest {g.weekdays}, {_day(g.first)}..{_day(g.last)})")
        if self.longest_repeat >= STALE_RUN:
            out.append(f"{t}: same price {self.longest_repeat + 1} days in a row from "
                       f"{_day(self.longest_repeat_from)} (stale?)")
        out += self.move_messages()
        return out

    def move_messages(self) -> list[str]:
        """The lines of its possible splits and spikes (found against a benchmark or not)."""
        t = self.ticker
        out = []
        for day, words, move, bench, factors in self.possible_splits:
            that_day = "" if bench is None else f" (the benchmark moved {bench:+.1%})"
            verb = "divide" if factors[0] > 1 else "multiply"
            by = " or ".join(f"{f if f > 1 else 1 / f:g}" for f in factors)
            fix = f"{verb} the prices before {_day(day)} by {by}"
            out.append(f"{t}: one-day move of {move:+.1%} on {_day(day)}{that_day} matches a "
                       f"{words}: prices not adjusted for it? Use split-adjusted prices or "
                       f"{fix}")
        for day, price, times_sides in self.spikes:
            times = (f"{times_sides:.3g}x" if times_sides >= 1 else
                     f"1/{1 / times_sides:.3g}")
            out.append(f"{t}: price {price:.6g} on {_day(day)} is {times} the prices either "
                       f"side and reverts the next day (a bad tick?); the regression is not "
                       f"robust to it: fix or remove that price")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings)."""
        return {
            "ticker": self.ticker, "rows": self.rows,
            "first": _day(self.first), "last": _day(self.last),
            "nonpositive": self.nonpositive, "missing_weekdays": self.missing_weekdays,
            "gaps": [{"first": _day(g.first), "last": _day(g.last), "weekdays": g.weekdays}
                     for g in self.gaps],
            "repeated": self.repeated, "longest_repeat": self.longest_repeat,
            "longest_repeat_from": _day(self.longest_repeat_from),
            "late_start": self.late_start, "early_end": self.early_end,
            "dropped_by_alignment": self.dropped_by_alignment, "absent": self.absent,
            "possible_splits": [{"date": _day(d), "ratio": w, "move": m,
                                 "benchmark_move": b, "adjusting_factors": list(f)}
                                for d, w, m, b, f in self.possible_splits],
            "spikes": [{"date": _day(d), "price": p, "factor": f} for d, p, f in self.spikes],
        }


@dataclass(frozen=True)
class QualityReport:
    """Data-quality findings for a set of prices, per ticker and overall.

    ``rows`` counts dates on which at least one ticker has a price, ``aligned_rows`` the dates on
    which every ticker has one (what survives the join on common dates), ``dropped_rows`` the
    difference.
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    tickers: dict[str, TickerQuality] = field(default_factory=dict)
    rows: int = 0
    aligned_rows: int = 0

    @property
    def dropped_rows(self) -> int:
        """Dates lost by joining the tickers on the dates they all have."""
        return self.rows - self.aligned_rows

    @property
    def clean(self) -> bool:
        """True when there is nothing to report."""
        return not self.messages()

    def messages(self) -> list[str]:
        """Short human lines, one per finding; ``[]`` when clean."""
        out: list[str] = []
        for q in self.tickers.values():
            out.extend(q.messages(self.start, self.end))
        if self.dropped_rows and len(self.tickers) > 1 and self.aligned_rows:
            lacking = ", ".join(f"{q.ticker} {q.absent}" for q in self.tickers.values() if q.absent)
            out.append(f"alignment drops {self.dropped_rows} of {self.rows} dates "
                       f"(missing: {lacking})")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "start": _day(self.start), "end": _day(self.end),
            "rows": self.rows, "aligned_rows": self.aligned_rows,
            "dropped_rows": self.dropped_rows,
            "tickers": {t: q.to_dict() for t, q in self.tickers.items()},
            "messages": self.messages(),
        }

    def __str__(self) -> str:
        lines = self.messages()
        head = (f"Data quality {window_text(self.start, self.end)}: {self.aligned_rows} aligned "
                f"dates of {self.rows}")
        return "\n".join([head, *("  " + m for m in lines)] if lines else [head + ", clean"])


#: Tickers assessed together: bounds the temporaries (a few date x ticker arrays) of a wide
#: panel while keeping numpy's calls few.
_BLOCK = 512


@dataclass
class _Counts:
    """Per-column counts of a set of columns (the arrays are indexed like the columns)."""

    rows: np.ndarray
    first: np.ndarray  # row of the first usable price
    last: np.ndarray
    missing: np.ndarray
    gaps: list[list[Gap]]
    repeated: np.ndarray
    longest: np.ndarray
    longest_row: np.ndarray  # row where the longest run of repeats starts (-1: none)


def _longest_runs(same: np.ndarray, col_of: Any, row_of: Any, m: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Longest run of True per column in a flat ``same`` (runs never cross columns) and the
    row where it starts; the earliest of equal runs, as a walk over the rows would find."""
    if not same.any():  # no price repeats (the usual case)
        return np.zeros(m, np.int64), np.full(m, -1)
    edges = np.flatnonzero(np.concatenate([same[:1], same[1:] != same[:-1], same[-1:]]))
    run_at, run_len = edges[0::2], edges[1::2] - edges[0::2]
    run_col = col_of(run_at)
    order = np.lexsort((run_at, -run_len, run_col))
    best = order[np.concatenate([[True], run_col[order][1:] != run_col[order][:-1]])] \
        if len(order) else order
    longest = np.zeros(m, np.int64)
    row = np.full(m, -1)
    longest[run_col[best]] = run_len[best]
    row[run_col[best]] = row_of(run_at[best])
    return longest, row


def _contiguous_counts(x: np.ndarray, first: np.ndarray, last: np.ndarray, dates: np.ndarray,
                       weekday: np.ndarray, between: np.ndarray, cal: np.busdaycalendar
                       ) -> _Counts:
    """Columns (rows of ``x``, one per ticker) whose usable prices have no hole: what lies
    between two prices is what lies between two dates of the index, computed once."""
    m, n = x.shape
    wk_before = np.zeros(n + 1, np.int64)
    np.cumsum(weekday, out=wk_before[1:])
    missing = (np.busday_count(dates[first], dates[last] + 1, busdaycal=cal)
               - (wk_before[last + 1] - wk_before[first]))
    gaps: list[list[Gap]] = [[] for _ in range(m)]
    for k in np.flatnonzero(between >= GAP_MIN):  # one step per gap of the index, not per row
        g = Gap(pd.Timestamp(np.busday_offset(dates[k - 1] + 1, 0, roll="forward", busdaycal=cal)),
                pd.Timestamp(np.busday_offset(dates[k] - 1, 0, roll="backward", busdaycal=cal)),
                int(between[k]))
        for j in np.flatnonzero((first < k) & (k <= last)):
            gaps[j].append(g)
    # NaN never equals anything, so only pairs of prices inside a column's span count
    same = np.zeros((m, n), dtype=bool)
    np.equal(x[:, 1:], x[:, :-1], out=same[:, :-1])
    longest, row = _longest_runs(same.ravel(), lambda k: k // n, lambda k: k % n, m)
    return _Counts(last - first + 1, first, last, missing, gaps, same.sum(axis=1), longest,
                   row)


def _scattered_counts(x: np.ndarray, ok: np.ndarray, dates: np.ndarray, weekday: np.ndarray,
                      before: np.ndarray, cal: np.busdaycalendar) -> _Counts:
    """Any columns: their usable prices laid end to end, column after column, so that "the
    previous price of the same ticker" is the previous element whenever both are in the same
    column; every count is then a few passes over one flat array."""
    m, n = x.shape
    counts = ok.sum(axis=1)
    at = np.flatnonzero(ok)
    rows = at - np.repeat(np.arange(m) * n, counts)
    vals = x.ravel()[at]
    offset = np.concatenate([[0], np.cumsum(counts)])
    has = counts > 0
    first = np.zeros(m, np.int64)
    last = np.zeros(m, np.int64)
    first[has] = rows[offset[:-1][has]]
    last[has] = rows[offset[1:][has] - 1]
    missing = np.where(has, np.busday_count(dates[first], dates[last] + 1, busdaycal=cal)
                       - (ok & weekday).sum(axis=1), 0)
    # element k + 1 has a previous price, element k, unless it starts a column
    follows = np.ones(max(len(at) - 1, 0), dtype=bool)
    starts = offset[1:-1]
    follows[starts[(starts > 0) & (starts < len(at))] - 1] = False
    b_in, b_out = before[rows], (before + weekday)[rows]
    between = b_in[1:] - b_out[:-1]

    def col(k: np.ndarray) -> np.ndarray:
        return np.searchsorted(offset, k, side="right") - 1

    gap_at = np.flatnonzero(follows & (between >= GAP_MIN))
    gap_first = np.busday_offset(dates[rows[gap_at]] + 1, 0, roll="forward", busdaycal=cal)
    gap_last = np.busday_offset(dates[rows[gap_at + 1]] - 1, 0, roll="backward", busdaycal=cal)
    gaps: list[list[Gap]] = [[] for _ in range(m)]
    for k, (g, c) in enumerate(zip(gap_at, col(gap_at))):  # one step per gap, not per row
        gaps[c].append(Gap(pd.Timestamp(gap_first[k]), pd.Timestamp(gap_last[k]),
                           int(between[g])))
    same = follows & (vals[1:] == vals[:-1])
    repeated = np.bincount(col(np.flatnonzero(same)), minlength=m)
    longest, row = _longest_runs(same, col, lambda k: rows[k], m)
    return _Counts(counts, first, last, missing, gaps, repeated, longest, row)


_PENDING = TickerQuality("", 0, None, None)


def _block_quality(names: list[str], values: np.ndarray, dates: np.ndarray,
                   start: pd.Timestamp | None, end: pd.Timestamp | None,
                   today: np.datetime64, extra: list[dict[str, Any]], complete: bool = False,
                   cal: np.busdaycalendar | None = None) -> list[TickerQuality]:
    """Findings of a block of columns at once; see the module docstring for the counts.
    ``extra`` holds each column's findings counted across the block's columns; ``complete``
    says every price is there and positive.

    Columns without holes (most) take a path that needs only the index's own gaps; the
    others are laid end to end (:func:`_scattered_counts`).
    """
    n, m = values.shape
    cal = cal if cal is not None else np.busdaycalendar()
    x = np.ascontiguousarray(values.T)  # one ticker per row (free for a pandas block)
    complete = complete and n > 0
    if complete or not n:
        ok = x  # not read: every column takes the contiguous path, or none has a price
        nonpositive = np.zeros(m, np.int64)
        rows, first, last = np.full(m, n), np.zeros(m, np.int64), np.full(m, n - 1)
    else:
        with np.errstate(invalid="ignore"):
            ok = x > 0  # NaN compares False: "no usable price"
            nonpositive = (x <= 0).sum(axis=1)
        rows = ok.sum(axis=1)
        first = ok.argmax(axis=1)
        last = n - 1 - ok[:, ::-1].argmax(axis=1)
    has = rows > 0
    weekday = np.is_busday(dates, busdaycal=cal)
    # weekdays before each date: weekdays strictly between two prices are a difference
    before = np.busday_count(dates[0], dates, busdaycal=cal) if n else np.zeros(0, np.int64)
    between = np.zeros(n, np.int64)
    between[1:] = before[1:] - before[:-1] - weekday[:-1]
    parts: list[tuple[np.ndarray, _Counts | None]]
    if complete:
        parts = [(np.arange(m), _contiguous_counts(x, first, last, dates, weekday, between, cal))]
    else:
        plain = has & (rows == last - first + 1)
        parts = [(np.flatnonzero(plain), _contiguous_counts(
            x[plain], first[plain], last[plain], dates, weekday, between, cal)
            if plain.any() else None)]
        rest = has & ~plain
        if rest.any():
            parts.append((np.flatnonzero(rest),
                          _scattered_counts(x[rest], ok[rest], dates, weekday, before, cal)))
    # Columns without a usable price; the others are filled in below.
    out: list[TickerQuality] = [TickerQuality(name, 0, None, None,
                                              nonpositive=int(nonpositive[j]), **extra[j])
                                if not has[j] else _PENDING for j, name in enumerate(names)]
    end_ref = today if end is None else min(np.datetime64(end.date()), today)
    for cols, c in parts:
        if c is None:
            continue
        first_d, last_d = dates[c.first], dates[c.last]
        late = (np.maximum(np.busday_count(np.datetime64(start.date()), first_d, busdaycal=cal), 0)
                if start is not None else np.zeros(len(cols), np.int64))
        early = np.where(end_ref > last_d,
                         np.maximum(np.busday_count(last_d + 1, end_ref, busdaycal=cal), 0), 0)
        for i, j in enumerate(cols):
            out[j] = TickerQuality(
                names[j], int(c.rows[i]), pd.Timestamp(first_d[i]), pd.Timestamp(last_d[i]),
                nonpositive=int(nonpositive[j]), missing_weekdays=int(c.missing[i]),
                gaps=tuple(c.gaps[i]), repeated=int(c.repeated[i]),
                longest_repeat=int(c.longest[i]),
                longest_repeat_from=(pd.Timestamp(dates[c.longest_row[i]])
                                     if c.longest[i] > 0 else None),
                late_start=int(late[i]), early_end=int(early[i]), **extra[j])
    return out


def assess(prices: pd.DataFrame | pd.Series, start: Any = None, end: Any = None) -> QualityReport:
    """Count the data-quality findings of ``prices`` inside ``[start, end)``.

    Parameters
    ----------
    prices
        Prices with a DatetimeIndex, one column per ticker, as given (before non-positive prices
        are removed: they are counted here). Rows outside the window are ignored.
    start, end
        The window asked for (start inclusive, end exclusive); ``None`` for open ends.

    Returns
    -------
    QualityReport
    """
    s, e = check_window(start, end)
    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    idx = frame.index if isinstance(frame.index, pd.DatetimeIndex) else pd.DatetimeIndex(
        frame.index)
    if idx.tz is None and idx.is_monotonic_increasing:
        # Sorted dates (prices from the store, a file or the hedge): the window is one slice,
        # two binary searches instead of two passes of date comparisons and a mask.
        lo, hi = window_bounds(idx, s, e)
        values = frame.to_numpy(dtype=float)[lo:hi]
        within = idx.values[lo:hi]  # .values: to_numpy costs ten times more
    else:
        inside = np.ones(len(idx), dtype=bool)
        if s is not None:
            inside &= idx >= s
        if e is not None:
            inside &= idx < e
        values = frame.to_numpy(dtype=float)[inside]
        within = idx[inside].to_numpy()
    return assess_values(values, within, list(frame.columns), s, e)


def assess_values(values: np.ndarray, dates: np.ndarray, names: list[Any],
                  start: pd.Timestamp | None, end: pd.Timestamp | None) -> QualityReport:
    """:func:`assess` of prices already inside the window: ``values`` (dates x tickers, NaN
    where missing), their ``datetime64`` row ``dates`` and column ``names``; ``start`` and
    ``end`` the window asked for (parsed, as :func:`betahedge_xl._dates.check_window` gives)."""
    values = np.asarray(values, dtype=float)
    days = dates.astype("datetime64[D]")
    today = np.datetime64(_dt.date.today(), "D")
    with np.errstate(invalid="ignore"):
        valid: np.ndarray = values > 0  # NaN and non-positive are both "no usable price"
    complete = bool(valid.all())
    if complete:  # every price there: no row lost to alignment, no ticker absent on one
        rows = aligned = len(values)
        dropped = absent = np.zeros(values.shape[1], np.int64)
    else:
        any_row = np.asarray(valid.any(axis=1))
        all_row = np.asarray(valid.all(axis=1))
        rows, aligned = int(any_row.sum()), int(all_row.sum())
        dropped = (valid & ~all_row[:, None]).sum(axis=0)
        absent = (~valid & any_row[:, None]).sum(axis=0)
    splits = split_like_moves(values, dates, names, complete)
    spikes = spike_moves(values, dates, names, complete)
    names = [str(c) for c in names]
    extra = [{"dropped_by_alignment": int(dropped[j]), "absent": int(absent[j]),
              "possible_splits": splits[name], "spikes": spikes[name]}
             for j, name in enumerate(names)]
    per: dict[str, TickerQuality] = {}
    for code, cols in _by_calendar(names, values, days, valid).items():
        cal = calendars.busdaycal(code)
        for b in range(0, len(cols), _BLOCK):
            part = cols[b:b + _BLOCK]
            whole = len(part) == len(names)  # one calendar for all: no copy
            block = _block_quality(
                [names[j] for j in part], values if whole else values[:, part], days, start,
                end, today, [extra[j] for j in part], complete, cal)
            per.update((q.ticker, q) for q in block)
    per = {name: per[name] for name in names}
    return QualityReport(start, end, per, rows=rows, aligned_rows=aligned)


def _by_calendar(names: list[str], values: np.ndarray, days: np.ndarray, valid: np.ndarray
                 ) -> dict[str, list[int]]:
    """Column numbers by exchange calendar: the ticker's exchange (by its suffix), or every
    day for a column with prices on closed days (a coin)."""
    weekend = ~np.is_busday(days)
    closed = (valid[weekend].sum(axis=0) >= calendars.CLOSED_DAY_PRICES) if weekend.any() \
        else np.zeros(len(names), dtype=bool)
    out: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        code = calendars.ALWAYS if closed[j] else calendars.exchange_of(name)
        out.setdefault(code, []).append(j)
    return out
