"""The local price store: one SQLite file (stdlib ``sqlite3``), data only, no pickle.

Layout (``PRAGMA application_id`` = ``APPLICATION_ID``, ``PRAGMA user_version`` =
``SCHEMA_VERSION``, so a foreign SQLite file or an older layout is recognised):

- ``prices(ticker, day, close)``: adjusted closes, ``day`` = days since 1970-01-01.
- ``coverage(ticker, start_day, end_day, source, fetched_at)``: the ranges ``[start, end)`` of
  dates already asked of a source. Coverage, not the dates present, decides what to fetch, so a
  window that ends on a weekend or a holiday is not fetched again and again.

The store is a cache: anything wrong with the file (not SQLite, another application's, another
layout version, failing ``PRAGMA quick_check``) sets it aside under a new name and starts fresh.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
import threading
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import StoreError, StoreWarning

#: "BHXL": identifies a betahedge-xl store among SQLite files.
APPLICATION_ID = 0x4248584C
SCHEMA_VERSION = 1
FILE_NAME = "prices.sqlite"
#: Relative difference of stored and newly fetched prices on the same dates above which the
#: stored range is taken to be on another adjustment basis.
REBASE_TOLERANCE = 1e-6

_SCHEMA = """
CREATE TABLE prices (
    ticker TEXT NOT NULL,
    day INTEGER NOT NULL,
    close REAL NOT NULL,
    PRIMARY KEY (ticker, day)
) WITHOUT ROWID;
CREATE TABLE coverage (
    ticker TEXT NOT NULL,
    start_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX coverage_ticker ON coverage (ticker);
"""
_TABLES = {"prices", "coverage"}
_EPOCH = np.datetime64("1970-01-01", "D")


def default_path() -> Path:
    """``$BETAHEDGE_CACHE_DIR/prices.sqlite``, else the user cache dir of betahedge-xl."""
    env = os.environ.get("BETAHEDGE_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser() / FILE_NAME
    import platformdirs

    return Path(platformdirs.user_cache_dir("betahedge-xl", appauthor=False)) / FILE_NAME


def to_day(ts: pd.Timestamp | np.datetime64) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(ts, "D") - _EPOCH).astype(int))  # type: ignore[call-overload]


def from_day(day: int) -> pd.Timestamp:
    """Inverse of :func:`to_day`."""
    return pd.Timestamp(_EPOCH + np.timedelta64(int(day), "D"))


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(want: tuple[int, int], have: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[want)`` not inside any of the (merged, sorted) ranges ``have``."""
    a, b = want
    out: list[tuple[int, int]] = []
    for c, d in have:
        if d <= a or c >= b:
            continue
        if c > a:
            out.append((a, c))
        a = max(a, d)
        if a >= b:
            break
    if a < b:
        out.append((a, b))
    return out


class _Unusable(Exception):
    """The file is not a store this version can trust."""


class PriceStore:
    """A price store on disk (or ``":memory:"``), safe to share between threads.

    Parameters
    ----------
    path
        The SQLite file; created with its folder when absent. ``":memory:"`` for a store that
        lives as long as the object (used when the file cannot be written).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = path if path == ":memory:" else Path(path)
        self._lock = threading.RLock()
        self.rebased = 0  # stored ranges dropped because the source re-adjusted them
        self._con = self._open()

    # -- opening, checking, setting aside ---------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            con = sqlite3.connect(":memory:", check_same_thread=False)
            self._initialise(con)
            return con
        path = Path(self.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"price store: cannot create folder {path.parent} ({exc})") from None
        if path.exists():
            try:
                return self._check(path)
            except _Unusable as exc:
                self._set_aside(path, str(exc))
            except sqlite3.DatabaseError as exc:
                self._set_aside(path, f"damaged ({exc})")
        try:
            con = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
            self._initialise(con)
        except sqlite3.Error as exc:
            raise StoreError(f"price store {path}: cannot create ({exc})") from None
        return con

    def _check(self, path: Path) -> sqlite3.Connection:
        con = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
        try:
            app = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if app == 0 and version == 0 and not tables:
                self._initialise(con)  # an empty file: nothing to lose
                return con
            if app != APPLICATION_ID:
                raise _Unusable("not a betahedge-xl price store")
            if version != SCHEMA_VERSION:
                raise _Unusable(f"layout version {version}, expected {SCHEMA_VERSION}")
            if not tables >= _TABLES:
                raise _Unusable(f"tables missing: {', '.join(sorted(_TABLES - tables))}")
            result = con.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise _Unusable(f"damaged ({result})")
        except BaseException:
            con.close()
            raise
        return con

    def _set_aside(self, path: Path, reason: str) -> None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.bad-{stamp}")
        n = 1
        while aside.exists():
            aside = path.with_name(f"{path.name}.bad-{stamp}-{n}")
            n += 1
        try:
            path.rename(aside)
            # a leftover rollback journal or WAL would be replayed into the fresh file
            for suffix in ("-journal", "-wal", "-shm"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    extra.rename(aside.with_name(aside.name + suffix))
        except OSError as exc:
            raise StoreError(f"price store {path} is {reason} and cannot be moved aside "
                             f"({exc}); delete it or set BETAHEDGE_CACHE_DIR") from None
        warnings.warn(StoreWarning(f"price store {path.name} was {reason}; moved it to "
                                   f"{aside.name} and started a fresh store"), stacklevel=4)

    @staticmethod
    def _initialise(con: sqlite3.Connection) -> None:
        with con:
            con.executescript(_SCHEMA)
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._con.close()

    # -- coverage ---------------------------------------------------------------------------
    def coverage(self, ticker: str) -> list[tuple[int, int]]:
        """Merged, sorted ranges ``[start_day, end_day)`` already asked of a source."""
        with self._lock:
            rows = self._con.execute(
                "SELECT start_day, end_day FROM coverage WHERE ticker = ?", (ticker,)).fetchall()
        return _merge(rows)

    def missing(self, ticker: str, start_day: int, end_day: int) -> list[tuple[int, int]]:
        """Ranges of ``[start_day, end_day)`` never asked of a source for ``ticker``."""
        return subtract((start_day, end_day), self.coverage(ticker))

    def fetched_at(self, ticker: str) -> pd.Timestamp | None:
        """When prices of ``ticker`` were last written (UTC), ``None`` if never."""
        with self._lock:
            row = self._con.execute(
                "SELECT MAX(fetched_at) FROM coverage WHERE ticker = ?", (ticker,)).fetchone()
        return None if row[0] is None else pd.Timestamp(row[0])

    # -- writing and reading ----------------------------------------------------------------
    def write(self, ticker: str, prices: pd.Series, covered: tuple[int, int] | None,
              source: str, fetched_at: pd.Timestamp) -> int:
        """Store ``prices`` (NaN skipped) and record ``covered`` as asked of ``source``.

        Adjusted closes are rescaled by the source after every dividend or split, so prices
        fetched on different days may be on different bases. Each stored coverage range is on
        one basis; where it shares dates with ``prices`` and the prices differ (median relative
        difference above ``REBASE_TOLERANCE``), that range is dropped (it will be fetched again
        when asked for) rather than joined to the new prices with a false return at the seam.

        Returns the number of prices written.
        """
        values = prices.to_numpy(dtype=float)
        ok = ~np.isnan(values)
        days = (pd.DatetimeIndex(prices.index).to_numpy().astype("datetime64[D]") - _EPOCH
                ).astype(np.int64)[ok]
        values = values[ok]
        rows = list(zip([ticker] * len(days), days.tolist(), values.tolist()))
        stamp = pd.Timestamp(fetched_at).isoformat()
        with self._lock, self._con:
            old = self._con.execute(
                "SELECT start_day, end_day, fetched_at FROM coverage WHERE ticker = ?",
                (ticker,)).fetchall()
            keep = list(old)
            if len(days):
                new_by_day = dict(zip(days.tolist(), values.tolist()))
                for a, b in _merge([(c, d) for c, d, _ in old]):
                    if b <= days[0] or a > days[-1]:
                        continue
                    stored = self._con.execute(
                        "SELECT day, close FROM prices WHERE ticker = ? AND day >= ? AND day < ?"
                        " AND day >= ? AND day <= ?",
                        (ticker, a, b, int(days[0]), int(days[-1]))).fetchall()
                    ratios = [new_by_day[d] / c for d, c in stored if d in new_by_day and c]
                    if ratios and abs(float(np.median(ratios)) - 1.0) > REBASE_TOLERANCE:
                        self._con.execute(
                            "DELETE FROM prices WHERE ticker = ? AND day >= ? AND day < ?",
                            (ticker, a, b))
                        keep = [(c, d, f) for c, d, f in keep if d <= a or c >= b]
                        self.rebased += 1
            self._con.executemany("INSERT OR REPLACE INTO prices VALUES (?, ?, ?)", rows)
            ranges = [(c, d) for c, d, _ in keep]
            if covered is not None and covered[0] < covered[1]:
                ranges.append(covered)
            merged = _merge(ranges)
            self._con.execute("DELETE FROM coverage WHERE ticker = ?", (ticker,))
            self._con.executemany(
                "INSERT INTO coverage VALUES (?, ?, ?, ?, ?)",
                [(ticker, a, b, source,
                  max([f for c, d, f in keep if c < b and d > a]
                      + ([stamp] if covered and covered[0] < b and covered[1] > a else [])
                      or [stamp]))
                 for a, b in merged])
        return len(rows)

    def read(self, tickers: Sequence[str], start_day: int | None = None,
             end_day: int | None = None) -> dict[str, pd.Series]:
        """Stored prices per ticker in ``[start_day, end_day)``, as float Series on dates."""
        lo = -(2**62) if start_day is None else start_day
        hi = 2**62 if end_day is None else end_day
        out: dict[str, pd.Series] = {}
        with self._lock:
            for t in tickers:
                rows = self._con.execute(
                    "SELECT day, close FROM prices WHERE ticker = ? AND day >= ? AND day < ? "
                    "ORDER BY day", (t, lo, hi)).fetchall()
                arr = np.array(rows, dtype=float).reshape(-1, 2)
                idx = pd.DatetimeIndex(
                    (_EPOCH + arr[:, 0].astype(np.int64).astype("timedelta64[D]")
                     ).astype("datetime64[ns]"), name="Date")
                out[t] = pd.Series(arr[:, 1], index=idx, name=t)
        return out

    def summary(self) -> pd.DataFrame:
        """One row per stored ticker: ticker, first, last, rows, fetched_at, source."""
        with self._lock:
            prices = self._con.execute(
                "SELECT ticker, MIN(day), MAX(day), COUNT(*) FROM prices GROUP BY ticker"
            ).fetchall()
            cov = {t: (f, s) for t, f, s in self._con.execute(
                "SELECT ticker, MAX(fetched_at), source FROM coverage GROUP BY ticker")}
        rows = [{"ticker": t, "first": from_day(a), "last": from_day(b), "rows": n,
                 "fetched_at": pd.Timestamp(cov[t][0]) if t in cov else pd.NaT,
                 "source": cov.get(t, (None, ""))[1]} for t, a, b, n in prices]
        return pd.DataFrame(rows, columns=["ticker", "first", "last", "rows", "fetched_at",
                                           "source"])

    def clear(self) -> int:
        """Delete every price and coverage record; returns how many tickers were stored."""
        with self._lock, self._con:
            n = self._con.execute("SELECT COUNT(DISTINCT ticker) FROM prices").fetchone()[0]
            self._con.execute("DELETE FROM prices")
            self._con.execute("DELETE FROM coverage")
        return int(n)


_STORES: dict[str, PriceStore] = {}
_STORES_LOCK = threading.Lock()


def get_store(path: Path | None = None) -> PriceStore:
    """The process's store for ``path`` (default :func:`default_path`), opened once."""
    p = path or default_path()
    key = str(p)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None or not Path(p).exists():
            store = _STORES[key] = PriceStore(p)
        return store


def close_stores() -> None:
    """Close every store this process opened (tests, and before deleting the files)."""
    with _STORES_LOCK:
        for s in _STORES.values():
            s.close()
        _STORES.clear()
