"""The local price store: one SQLite file (stdlib ``sqlite3``), data only, no pickle.

Layout (``PRAGMA application_id`` = ``APPLICATION_ID``, ``PRAGMA user_version`` =
``SCHEMA_VERSION``, so a foreign SQLite file or another layout is recognised):

- ``series(ticker, n, first_day, last_day, days, closes)``: one row per ticker. ``days`` is a
  blob of ``n`` little-endian int32 (days since 1970-01-01, strictly increasing), ``closes`` a
  blob of ``n`` little-endian float64 adjusted closes. A ticker's history is read with one row
  fetch and two ``np.frombuffer`` calls, instead of one SQL row per price.
- ``coverage(ticker, start_day, end_day, source, fetched_at)``: the ranges ``[start, end)`` of
  dates a source answered for (the dates it gave prices for and the exchange's closed days
  around them; see ``prices.answered``). Coverage, not the dates present, decides what to
  fetch, so a window that ends on a weekend or a holiday is not fetched again and again.
- ``aside(ticker, kept_at, why, days, closes)``: histories kept apart, never served: damaged
  rows, and stored prices that disagreed with newer ones beyond a change of adjustment basis.
  Created when first needed.
- ``checks(ticker, crc)``: a CRC-32 of each row's two blobs, written in the same transaction, so
  that a row whose bytes changed since (a damaged page that still reads as prices) is caught
  on read. Created with the first write of this version; rows written before have none.

Nothing stored is dropped by the store's own rules: prices on another adjustment basis are
rescaled to the new one (:meth:`PriceStore.merge`), and every row is checked when read.

Several processes share the file (two Excel instances, a ``cache import``, a backup tool):

- The file is in WAL mode, so readers never wait for a writer. Every write is one
  ``BEGIN IMMEDIATE`` transaction (one ticker, or one imported file), which either lands whole
  or not at all. A lock held by another process is waited for, ``timeout`` seconds at most,
  then :class:`StoreError` says the store is busy. A busy store is never taken for a damaged one.
- Creating the file is race-free: the tables are created inside a write transaction that first
  looks whether another process created them meanwhile.
- Only a file that is not our store (not SQLite, another application's, an unknown layout,
  failing ``PRAGMA quick_check``) is set aside under a new name, with a one-line warning; the
  older layout 1 (one SQL row per price) is converted in place.
- A store that cannot be written (read-only folder or file, disk full): fetching still returns
  the prices it fetched; they are kept in a copy of the store in memory for the rest of the
  process, with one warning. ``cache import`` and ``cache clear`` fail with one line instead.
  Nothing is half-written: a failed transaction is rolled back by SQLite.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import BetaHedgeError
from .store_file import (  # noqa: F401  (the store's names, importable from here as before)
    APPLICATION_ID,
    FILE_NAME,
    SCHEMA_VERSION,
    _first_line,
    _header,
    default_path,
)
from .store_rows import _merge, from_day, row_days, subtract, to_day  # noqa: F401
from .store_writes import REBASE_TOLERANCE, Merge, StoreWrites  # noqa: F401

#: Seconds to wait for a lock held by another process before saying the store is busy.
BUSY_TIMEOUT = 15.0


class PriceStore(StoreWrites):
    """A price store on disk (or ``":memory:"``), safe to share between threads and processes.

    Parameters
    ----------
    path
        The SQLite file; created with its folder when absent. ``":memory:"`` for a store that
        lives as long as the object.
    timeout
        Seconds to wait for a lock another process holds before raising :class:`StoreError`
        (store busy); default ``BUSY_TIMEOUT``.

    Raises
    ------
    StoreError
        The store is busy beyond ``timeout``, or a file that is not a store cannot be moved
        aside. A store that cannot be written is not an error here: see :meth:`write`.
    """

    def __init__(self, path: Path | str, timeout: float | None = None) -> None:
        self.path = path if path == ":memory:" else Path(path)
        self.timeout = float(BUSY_TIMEOUT if timeout is None else timeout)
        self._lock = threading.RLock()
        self.rebased = 0  # stored histories set aside: they disagreed with newer prices
        #: Why the file cannot be written (None while it can). Once set, what is fetched is
        #: kept in an in-memory copy of the store for the rest of the process.
        self.unwritable: str | None = None
        self._in_memory = path == ":memory:"
        self._warned = False
        #: Tickers whose stored row is damaged and could not be set aside (left out of reads)
        self._damaged: set[str] = set()
        #: Tickers whose damaged row was set aside in this process, in order
        self.set_aside: list[str] = []
        self._con = self._open()
        #: The file has the table of row checksums (older stores lack it until a write)
        self._has_checks = "checks" in _header(self._con)[2]


    # -- coverage ---------------------------------------------------------------------------
    def coverage(self, ticker: str) -> list[tuple[int, int]]:
        """Merged, sorted ranges ``[start_day, end_day)`` already asked of a source."""
        return self.coverages([ticker])[ticker][0]

    def missing(self, ticker: str, start_day: int, end_day: int) -> list[tuple[int, int]]:
        """Ranges of ``[start_day, end_day)`` never asked of a source for ``ticker``."""
        return subtract((start_day, end_day), self.coverage(ticker))

    def fetched_at(self, ticker: str) -> pd.Timestamp | None:
        """When prices of ``ticker`` were last written (UTC), ``None`` if never."""
        return self.coverages([ticker])[ticker][1]

    def coverages(self, tickers: Sequence[str]
                  ) -> dict[str, tuple[list[tuple[int, int]], pd.Timestamp | None]]:
        """:meth:`coverage` and :meth:`fetched_at` of each ticker, in one query (per 500
        tickers) rather than two per ticker."""
        names = list(dict.fromkeys(tickers))
        found: dict[str, list[tuple[int, int, str]]] = {}
        for k in range(0, len(names), 500):  # SQLite limits the parameters of one statement
            part = names[k:k + 500]
            for t, a, b, f in self._query(
                    "SELECT ticker, start_day, end_day, fetched_at FROM coverage "
                    f"WHERE ticker IN ({', '.join('?' * len(part))})", part):
                found.setdefault(t, []).append((a, b, f))
        out: dict[str, tuple[list[tuple[int, int]], pd.Timestamp | None]] = {}
        for t in names:
            rows = found.get(t, [])
            last = max((f for _, _, f in rows), default=None)
            out[t] = ([] if t in self._damaged else _merge((a, b) for a, b, _ in rows),
                      None if last is None else pd.Timestamp(last))
        return out

    def summary(self) -> pd.DataFrame:
        """One row per stored ticker: ticker, first, last, rows, fetched_at, source."""
        prices = self._query("SELECT ticker, first_day, last_day, n FROM series ORDER BY ticker")
        cov = {t: (f, s) for t, f, s in self._query(
            "SELECT ticker, MAX(fetched_at), source FROM coverage GROUP BY ticker")}
        rows = [{"ticker": t, "first": from_day(a), "last": from_day(b), "rows": n,
                 "fetched_at": pd.Timestamp(cov[t][0]) if t in cov else pd.NaT,
                 "source": cov.get(t, (None, ""))[1]} for t, a, b, n in prices]
        return pd.DataFrame(rows, columns=["ticker", "first", "last", "rows", "fetched_at",
                                           "source"])

    def clear(self) -> int:
        """Delete every price and coverage record; returns how many tickers were stored."""
        def work(con: sqlite3.Connection) -> int:
            n = con.execute("SELECT COUNT(*) FROM series").fetchone()[0]
            con.execute("DELETE FROM series")
            con.execute("DELETE FROM coverage")
            if self._has_checks:
                con.execute("DELETE FROM checks")
            return int(n)

        return self._write(work, keep_in_memory=False)

# ---------------------------------------------------------------------------------------------
# importing a folder of CSV files
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportedFile:
    """What ``cache import`` did with one file: stored ``rows`` prices, or skipped it."""

    file: str
    ticker: str
    rows: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    #: Why the file was skipped; None when it was stored.
    skipped: str | None = None
    #: What the file did to the stored history of its ticker.
    merge: Merge | None = None

    def __str__(self) -> str:
        if self.skipped is not None:
            return f"{self.file}: skipped, {self.skipped}"
        head = (f"{self.file}: {self.ticker} {self.rows} prices "
                f"{self.first:%Y-%m-%d}..{self.last:%Y-%m-%d}")
        m = self.merge
        if m is None or m.first is None or m.last is None or (
                m.stored == m.added == m.given and not (m.aside or m.discarded)):
            return head  # a ticker not stored before: the file is all there is
        return (f"{head}; {m.text()}; stored {self.ticker}: {m.stored} prices "
                f"{m.first:%Y-%m-%d}..{m.last:%Y-%m-%d}")


def import_csv_files(folder: Path | str, store: PriceStore | None = None,
                     replace: bool = False) -> Iterator[ImportedFile]:
    """Store every ``<TICKER>.csv`` of ``folder``, one transaction per file, as it goes.

    A file that cannot be read (no price column, not CSV, no prices, dates pandas cannot
    hold), whose name is not a ticker, or that shares its ticker with another file
    (``SPY.csv`` and ``spy.csv``) is reported as skipped and the import goes on; each file's
    dates (first to last) count as covered. Each file is merged into the stored history of its
    ticker (:meth:`PriceStore.merge`: stored prices on another adjustment basis are rescaled,
    never dropped); ``replace`` discards the stored history of each imported ticker first. A
    store that
    cannot be written or stays busy raises :class:`StoreError`; the files reported before it
    are stored.
    """
    from .csvdir import CsvDir, read_price_csv
    from .tickers import check_ticker

    src = CsvDir(folder)
    st = store or get_store()
    now = pd.Timestamp.now(tz="UTC")
    for ticker, files in src.by_ticker(fresh=True).items():
        if len(files) > 1:
            # which of SPY.csv and spy.csv is meant, only the user knows
            yield ImportedFile(", ".join(p.name for p in files), ticker,
                               skipped=str(CsvDir.clash(ticker, files, f"hold {ticker}")))
            continue
        file = files[0]
        try:
            # a name no request can ask for ("BAD NAME", 40 letters) is not stored
            check_ticker(ticker)
            prices = read_price_csv(file, ticker)
        except (BetaHedgeError, OSError, ValueError) as exc:
            yield ImportedFile(file.name, ticker, skipped=_first_line(exc))
            continue
        ok = ~np.isnan(prices.to_numpy(dtype=float))
        if not ok.any():
            yield ImportedFile(file.name, ticker, skipped="no prices")
            continue
        first = prices.index[int(ok.argmax())]
        last = prices.index[len(ok) - 1 - int(ok[::-1].argmax())]
        m = st.merge(ticker, prices, (to_day(first), to_day(last) + 1), f"csv:{src.name}", now,
                     keep_in_memory=False, replace=replace)
        yield ImportedFile(file.name, ticker, m.given, first, last, merge=m)


_STORES: dict[str, PriceStore] = {}
_STORES_LOCK = threading.Lock()


def get_store(path: Path | None = None) -> PriceStore:
    """The process's store for ``path`` (default :func:`default_path`), opened once."""
    p = path or default_path()
    key = str(p)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None or (store.unwritable is None and not Path(p).exists()):
            store = _STORES[key] = PriceStore(p)
        return store


def close_stores() -> None:
    """Close every store this process opened (tests, and before deleting the files)."""
    with _STORES_LOCK:
        for s in _STORES.values():
            s.close()
        _STORES.clear()
