"""The front door for prices: one call, whatever the source.

Order of sources for ticker strings:

1. ``BETAHEDGE_DATA_DIR`` set: the CSV folder, and nothing else (the network is never touched).
2. Otherwise the local store, topped up from Yahoo for the dates it has never asked for.

Above both sits an in-process memo: the same request twice in a process touches neither disk nor
network the second time (Excel recalculates often), and threads asking the same thing at once
wait for one load (single flight).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._dates import check_window, local_days, window
from ..exceptions import (
    DataError,
    DataWarning,
    InputError,
    OfflineError,
    RateLimitError,
    StaleDataWarning,
    StoreError,
)
from . import calendars
from . import store as _store
from .csvdir import CsvDir, sorted_unique
from .priceset import (  # noqa: F401  (importable from here as before)
    PriceSet,
    _assemble,
    _outer_join,
    _raise_all_failed,
    normalise_tickers,
)
from .quality import QualityReport

DATA_DIR_ENV = "BETAHEDGE_DATA_DIR"
#: First date asked of Yahoo when no start is given.
DEFAULT_START = pd.Timestamp("1920-01-01")
#: A store entry fetched this recently is not fetched again for today's missing bar, seconds.
FRESH_SECONDS = 900.0
#: Margin fetched around a missing range, so new prices overlap stored ones and a change of
#: adjustment basis is seen (see ``PriceStore.write``).
OVERLAP_DAYS = 10
#: Memo lifetime of a result whose window reaches today (prices still arriving), seconds.
OPEN_TTL = 900.0
#: Memo lifetime of a stale result (served from the store because Yahoo failed), seconds.
STALE_TTL = 30.0
MEMO_SIZE = 256


# ---------------------------------------------------------------------------------------------
# memo and single flight
# ---------------------------------------------------------------------------------------------
class _Memo:
    """A small LRU of PriceSets with optional expiry, safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[Hashable, tuple[float | None, PriceSet]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> PriceSet | None:
        with self._lock:
            hit = self._d.get(key)
            if hit is None:
                return None
            if hit[0] is not None and time.monotonic() > hit[0]:
                del self._d[key]
                return None
            self._d.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, value: PriceSet, ttl: float | None) -> None:
        with self._lock:
            self._d[key] = (None if ttl is None else time.monotonic() + ttl, value)
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


class _Flight:
    """One lock per request key; weakly held so finished keys cost nothing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


_MEMO = _Memo(MEMO_SIZE)
_FLIGHTS: weakref.WeakValueDictionary[Hashable, _Flight] = weakref.WeakValueDictionary()
_FLIGHTS_LOCK = threading.Lock()
_FETCH_LOCK = threading.Lock()  # store top-ups: two requests sharing a ticker fetch it once
#: Loads that went past the memo (to a source): lets tests and benchmarks count real work.
loads = 0


def clear_memory() -> None:
    """Forget the in-process memo (the store and CSV files are untouched)."""
    _MEMO.clear()
    CsvDir.clear_cache()


def _memoised(key: Hashable, load: Callable[[], tuple[PriceSet, float | None]],
              refresh: bool) -> PriceSet:
    """The memo's own PriceSet for ``key``: callers hand out copies only."""
    global loads
    if not refresh:
        hit = _MEMO.get(key)
        if hit is not None:
            return hit
    with _FLIGHTS_LOCK:
        flight = _FLIGHTS.get(key)
        if flight is None:
            flight = _FLIGHTS[key] = _Flight()
    with flight.lock:
        if not refresh:
            hit = _MEMO.get(key)  # loaded by the thread we waited for
            if hit is not None:
                return hit
        loads += 1
        result, ttl = load()
        _MEMO.put(key, result, ttl)
    return result




def _ttl(result: PriceSet, end: pd.Timestamp | None) -> float | None:
    if result.stale:
        return STALE_TTL
    # "today" as _load_store sees it (UTC, the clock of the fetch), not the local wall clock:
    # both must agree on whether a window still takes today's changing bar
    if end is None or end > _now().tz_localize(None).normalize():
        return OPEN_TTL
    return None


# ---------------------------------------------------------------------------------------------
# sources
# ---------------------------------------------------------------------------------------------
def _load_csv(src: CsvDir, paths: Mapping[str, Path | None], names: Sequence[str],
              start: pd.Timestamp | None, end: pd.Timestamp | None) -> PriceSet:
    series: dict[str, pd.Series] = {}
    errors: dict[str, DataError] = {}
    notes: list[str] = []
    mtimes = []
    for t in names:
        try:
            prices, said = src.read(t, paths[t])
            series[t] = window(prices, start, end)
            mtimes.append(paths[t].stat().st_mtime)  # type: ignore[union-attr]
        except DataError as exc:
            errors[t] = exc
            continue
        # the file's findings (a date given twice) travel with its prices, as Yahoo's do
        notes += said
    as_of = pd.Timestamp(min(mtimes), unit="s", tz="UTC") if mtimes else _now()
    return _assemble(names, series, errors, start, end, f"csv:{src.name}", as_of,
                     notes=notes)


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


#: Trading days without a price, between two prices of one answer, that split what the
#: answer covers: the days between are not covered (a single missing day is a bar Yahoo has
#: no price for, as the quality report counts it; two or more are a hole in the answer).
HOLE_SESSIONS = 2


def _codes(st: _store.PriceStore, gaps_of: Mapping[str, Sequence[tuple[int, int]]],
           rows: dict[str, tuple[bytes, bytes] | None],
           sessions: Callable[[str, int, int], int]) -> dict[str, str]:
    """The calendar of each ticker: its exchange's, unless its stored prices fall on closed
    days. The prices are looked at only when a gap has no trading day of the exchange (the one
    case where it matters), and taken from ``rows``, the rows this request has read: those
    not read yet are read in one go and kept there, so that serving them reads nothing again."""
    codes = {t: calendars.exchange_of(t) for t in gaps_of}
    ask = [t for t, gaps in gaps_of.items() if codes[t] != calendars.ALWAYS
           and any(sessions(codes[t], a, b) == 0 for a, b in gaps)]
    unread = [t for t in ask if t not in rows]
    if unread:
        rows.update(st.rows(unread))
    for t in ask:
        row = rows[t]
        if row is not None and calendars.trades_on_closed_days(
                _store.row_days(row[0])):
            codes[t] = calendars.ALWAYS
    return codes


def answered(code: str, a: int, b: int, prices: pd.Series,
             first_trade: pd.Timestamp | None) -> list[tuple[int, int]]:
    """What an answer for ``[a, b)`` covers: the runs of dates it gave prices for, with the
    exchange's closed days around them; not the dates it was asked for. The days before the
    ticker's first trade count as covered (nothing is missing there)."""
    cal = calendars.busdaycal(code)
    dates = prices.index[prices.notna().to_numpy()] if len(prices) else prices.index
    d = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    d = d[(d >= a) & (d < b)]
    if first_trade is not None and not len(d):
        born = _store.to_day(first_trade)
        return [(a, b)] if born >= b else []
    if not len(d):
        return []
    # before the first trade there is nothing to miss
    lo = a if first_trade is not None and calendars.sessions_between(
        code, max(_store.to_day(first_trade), a), int(d[0])) == 0 else None
    if len(d) > 1:
        between = np.busday_count((d[:-1] + 1).astype("datetime64[D]"),
                                  d[1:].astype("datetime64[D]"), busdaycal=cal)
        cut = np.flatnonzero(between >= HOLE_SESSIONS)
    else:
        cut = np.zeros(0, np.int64)
    starts = np.concatenate([[0], cut + 1])
    ends = np.concatenate([cut, [len(d) - 1]])
    out: list[tuple[int, int]] = []
    for i, j in zip(starts, ends):
        s0, e0 = int(d[i]), int(d[j])
        # the closed days before the first price and after the last, to the nearest session
        prev = int(np.busday_offset(np.datetime64(s0 - 1, "D"), 0, roll="backward",
                                    busdaycal=cal).astype(np.int64))
        nxt = int(np.busday_offset(np.datetime64(e0 + 1, "D"), 0, roll="forward",
                                   busdaycal=cal).astype(np.int64))
        start = lo if i == 0 and lo is not None else max(prev + 1, a)
        out.append((start, min(nxt, b)))
    return out


def _top_up(st: _store.PriceStore, names: Sequence[str], lo_d: int, hi_d: int, today_d: int,
            now: pd.Timestamp, refresh: bool, fetched: set[str], notes: dict[str, str],
            rows: dict[str, tuple[bytes, bytes] | None]) -> dict[str, DataError]:
    """Fetch from Yahoo, in one batched download, the dates the store has never asked for;
    tickers fetched are added to ``fetched``, Yahoo's notes to ``notes``. ``rows``: the
    stored rows this request has read (see :func:`_codes`); a ticker written here leaves it."""
    gaps_of: dict[str, list[tuple[int, int]]] = {}
    known = st.coverages(names)
    for t in names:
        ranges, last = known[t]
        gaps = [(lo_d, hi_d)] if refresh else _store.subtract((lo_d, hi_d), ranges)
        if gaps and not refresh and last is not None and (
                now - last).total_seconds() < FRESH_SECONDS:
            # today's bar is never recorded as covered; do not ask again for it at every
            # call right after a fetch
            gaps = [(a, b) for a, b in gaps if a < today_d]
        if gaps:
            gaps_of[t] = gaps
    need = gaps_of
    if gaps_of and not refresh:
        # days the exchange does not open have nothing to fetch: a window that starts on a
        # Saturday, or ends on a holiday, after the stored prices (tickers share their gaps:
        # each is counted once)
        counted: dict[tuple[str, int, int], int] = {}

        def sessions(code: str, a: int, b: int) -> int:
            n = counted.get((code, a, b))
            if n is None:
                n = counted[code, a, b] = calendars.sessions_between(code, a, b)
            return n

        codes = _codes(st, gaps_of, rows, sessions)
        need = {}
        for t, gaps in gaps_of.items():
            gaps = [g for g in gaps if sessions(codes[t], *g) > 0]
            if gaps:
                need[t] = gaps
    if not need:
        return {}
    from . import yahoo

    a = max(min(g[0][0] for g in need.values()) - OVERLAP_DAYS, _store.to_day(DEFAULT_START))
    b = min(max(g[-1][1] for g in need.values()) + OVERLAP_DAYS, today_d + 1)
    res = yahoo.fetch(list(need), _store.from_day(a), _store.from_day(b))
    for t, ser in res.prices.items():
        # covered: what the answer holds, never the window asked (a short answer, or one with
        # null closes, is fetched again); today's bar may still change: not covered yet (a
        # run of today's bar alone becomes the empty [today, today), which the store skips)
        code = calendars.calendar_for(t, ser.index)
        covered = [(c, min(d, today_d)) for c, d in
                   answered(code, a, b, ser, res.first_trade.get(t))]
        m = st.merge(t, ser, covered, "yahoo", now)
        rows.pop(t, None)  # its stored row changed: read it again to serve it
        if m.aside:
            notes[t] = (f"{t}: the stored prices ({m.aside}) disagree with Yahoo's beyond a "
                        f"change of adjustment basis; Yahoo's are used, the stored ones are "
                        f"kept apart in the store")
        fetched.add(t)
    notes.update({t: n if t not in notes else f"{notes[t]}; {n}" for t, n in res.notes.items()})
    return dict(res.errors)


def _load_store(path: Path, names: Sequence[str], start: pd.Timestamp | None,
                end: pd.Timestamp | None, refresh: bool) -> PriceSet:
    st = _store.get_store(path)
    now = _now()
    today = now.tz_localize(None).normalize()
    lo = start if start is not None else DEFAULT_START
    tomorrow = today + pd.Timedelta(days=1)
    hi = tomorrow if end is None else min(end, tomorrow)
    lo_d, hi_d = _store.to_day(lo), _store.to_day(hi)
    today_d = _store.to_day(today)
    errors: dict[str, DataError] = {}
    fetched: set[str] = set()
    notes: dict[str, str] = {}
    # stored rows read while deciding what to fetch, served from here (read once)
    rows: dict[str, tuple[bytes, bytes] | None] = {}
    if hi_d > lo_d:
        with _FETCH_LOCK:
            st.check(names)  # a damaged ticker is set aside here, and fetched again below
            todo = list(names)
            # a second round only when the first found stored prices on an old adjustment
            # basis and dropped them: they are fetched again on the new one
            for _round in range(2):
                rebased_before = st.rebased
                errors.update(_top_up(st, todo, lo_d, hi_d, today_d, now, refresh, fetched,
                                      notes, rows))
                if st.rebased == rebased_before:
                    break
                todo = [t for t in todo if t not in errors]
                refresh = False
    aside = len(st.set_aside)
    stored = st.read(names, None if start is None else _store.to_day(start),
                     None if end is None else _store.to_day(end), rows)
    again = [t for t in st.set_aside[aside:] if t in names]
    if again and hi_d > lo_d:
        # rows found damaged when read (dates out of order, prices not positive): set aside,
        # so fetched again now, never served
        with _FETCH_LOCK:
            errors.update(_top_up(st, again, lo_d, hi_d, today_d, now, refresh, fetched,
                                  notes, {}))
        stored.update(st.read(again, None if start is None else _store.to_day(start),
                              None if end is None else _store.to_day(end)))
    stale: list[str] = []
    for t in list(errors):
        if len(stored[t]):
            when = st.fetched_at(t)
            stamp = f"{when:%Y-%m-%d %H:%M} UTC" if when is not None else "earlier"
            stale.append(f"{errors.pop(t)}; using prices stored {stamp} "
                         f"(to {stored[t].index[-1]:%Y-%m-%d})")
    from .yahoo import offline_message, unreachable

    unstored = [t for t in names if t in errors and unreachable(errors[t])]
    if unstored:
        # Yahoo unreachable and nothing stored: one message for all of them, with the ways
        # to work offline (a newcomer's first run behind a firewall ends here)
        shared = OfflineError(offline_message(unstored, [errors[t] for t in unstored]))
        for t in unstored:
            errors[t] = shared
    stale_message = "; ".join(stale)
    if stale_message:
        warnings.warn(StaleDataWarning(stale_message), stacklevel=4)
    served = [t for t in names if len(stored[t])]
    when = st.coverages([t for t in served if t not in fetched])
    stamps = [now if t in fetched else when[t][1] for t in served]
    as_of = min((s for s in stamps if s is not None), default=now)
    series = {t: s for t, s in stored.items() if t not in errors}
    return _assemble(names, series, errors, start, end, "yahoo" if fetched else "store",
                     as_of, stale_message, [notes[t] for t in names if t in notes])


# ---------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------
def load_prices(tickers: str | Sequence[str], start: Any = None, end: Any = None, *,
                refresh: bool = False) -> PriceSet:
    """Adjusted closes of ``tickers`` in ``[start, end)``, outer-joined, with quality findings.

    Parameters
    ----------
    tickers
        One ticker, several in one string (``"TSLA, SPY"``) or a list; case does not matter.
    start, end
        Start (inclusive) and end (exclusive), in any form :func:`betahedge_xl._dates.to_timestamp`
        reads (text, date, Excel serial); ``None`` for all history / up to today.
    refresh
        Ignore the memo and the store's coverage: ask the source again for the whole window.

    Returns
    -------
    PriceSet

    Raises
    ------
    InputError
        Bad tickers or dates (``DateRangeError`` when end is not after start).
    UnknownTickerError, RateLimitError, OfflineError, DataError
        No ticker has prices. With some tickers failing and others not, a DataWarning is
        issued per failed ticker and ``PriceSet.errors`` holds the reasons.

    Warns
    -----
    StaleDataWarning
        Yahoo failed and stored prices are served instead.
    """
    return _load(tickers, start, end, refresh).copy()


def _load(tickers: str | Sequence[str], start: Any, end: Any, refresh: bool) -> PriceSet:
    """:func:`load_prices` without the copy: the memo's own PriceSet, not to be changed."""
    names = normalise_tickers(tickers)
    s, e = check_window(start, end)
    data_dir = os.environ.get(DATA_DIR_ENV, "").strip()
    if data_dir:
        src = CsvDir(data_dir)
        paths: dict[str, Path | None] = {}
        for t in names:
            try:
                paths[t] = src.locate(t)
            except DataError:
                paths[t] = None  # two files for it: read() says so, for this ticker alone
        # the files' size and mtime are in the key, so an edited file is read again
        sig = tuple((t, None if p is None else CsvDir.signature(p)) for t, p in paths.items())
        key: Hashable = ("csv", str(src.folder), sig, tuple(names), s, e)

        def load() -> tuple[PriceSet, float | None]:
            return _load_csv(src, paths, names, s, e), None
    else:
        path = _store.default_path()
        key = ("store", str(path), tuple(names), s, e)

        def load() -> tuple[PriceSet, float | None]:
            result = _load_store(path, names, s, e, refresh)
            return result, _ttl(result, e)

    return _memoised(key, load, refresh)


def fetch_prices(tickers: str | Sequence[str], start: Any = None, end: Any = None
                 ) -> pd.DataFrame:
    """Aligned adjusted closes: :func:`load_prices` joined on the dates every ticker has.

    Raises as :meth:`PriceSet.aligned` does when a ticker has no prices or no date is shared.
    """
    shared = _load(tickers, start, end, False)
    frame = shared._aligned
    if frame is None:
        # Excel recalculates the same request again and again: the join is done once and
        # kept with the memo; each caller gets its own copy to change at will
        frame = shared.aligned()
        object.__setattr__(shared, "_aligned", frame)
    return frame.copy()


def from_frame(data: pd.DataFrame | pd.Series, start: Any = None, end: Any = None) -> PriceSet:
    """A PriceSet from prices handed in (a DataFrame, one column per ticker, or a Series).

    The index must hold dates (any form pandas reads); rows are sorted, a date given twice keeps
    its last row (with a DataWarning), non-numeric cells become NaN. Source ``"memory"``.
    """
    if isinstance(data, pd.Series):
        data = data.to_frame(name=str(data.name) if data.name is not None else "PRICE")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"prices: expected a DataFrame or Series, got {type(data).__name__}")
    s, e = check_window(start, end)
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(data.index))
    except (ValueError, TypeError):
        raise InputError("prices: the index does not hold dates") from None
    frame = data.apply(pd.to_numeric, errors="coerce").astype(float)
    frame.index = local_days(idx)
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    if frame.columns.duplicated().any():
        raise InputError("prices: a ticker appears twice among the columns")
    frame = window(sorted_unique(frame, "prices: "), s, e)
    series = {t: frame[t] for t in frame.columns}
    return _assemble(list(frame.columns), series, {}, s, e, "memory", _now())


def import_csv_dir(path: str | Path,
                   on_file: Callable[[_store.ImportedFile], None] | None = None,
                   replace: bool = False) -> dict[str, int]:
    """Load every ``<TICKER>.csv`` of a folder into the local store, one file at a time.

    Each file's dates (first to last) count as covered, so requests inside them are served from
    the store without the network. A file that cannot be read is skipped and the import goes
    on: ``on_file`` is told what happened to each file as it happens (without it, a
    DataWarning names each skipped file). A file is merged into what is stored of its ticker
    (stored prices on another adjustment basis are rescaled, never dropped); ``replace``
    discards the stored history of each imported ticker first. Returns ticker -> number of
    prices the file gave.

    Raises
    ------
    StoreError
        The store cannot be written or stays busy; the files done before are stored, and
        the message names them.
    """
    out: dict[str, int] = {}
    try:
        for item in _store.import_csv_files(path, replace=replace):
            if on_file is not None:
                on_file(item)
            elif item.skipped is not None:
                warnings.warn(DataWarning(str(item)), stacklevel=2)
            if item.skipped is None:
                out[item.ticker] = item.rows
    except StoreError as exc:
        if not out:
            raise
        # the store's own message says "nothing was stored" of the write that failed; the
        # files before it are stored, and the user must be told which
        why = str(exc).removesuffix("; nothing was stored")
        raise StoreError(f"{why}; stored {len(out)} file(s) before it ({', '.join(out)}, "
                         f"{sum(out.values())} prices), not the rest") from None
    finally:
        clear_memory()
    return out


def store_summary() -> pd.DataFrame:
    """What the local store holds: ticker, first, last, rows, fetched_at, source."""
    return _store.get_store().summary()


def clear_store() -> int:
    """Empty the local store (and the memo); returns how many tickers it held."""
    n = _store.get_store().clear()
    clear_memory()
    return n


def store_path() -> Path:
    """Where the local store lives (``BETAHEDGE_CACHE_DIR`` or the user cache folder)."""
    return _store.default_path()


__all__ = [
    "PriceSet", "QualityReport", "load_prices", "fetch_prices", "from_frame",
    "import_csv_dir", "store_summary", "clear_store", "clear_memory", "store_path",
    "normalise_tickers", "OfflineError", "RateLimitError",
]
