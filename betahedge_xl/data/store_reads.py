"""Reading the store: every row checked before it is served (blob lengths, increasing dates,
finite positive prices, the checksum written with it), and a damaged row set aside, its
coverage gone, so that it is fetched again."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import StoreWarning
from .store_file import _ASIDE_SCHEMA, StoreFile, _first_line
from .store_rows import _CLOSES, _DAYS, _NS_PER_DAY, _crc, _damage


class StoreReads(StoreFile):
    """A store file's reads, with the integrity checks of each row."""

    def _row_damage(self, con: sqlite3.Connection, ticker: str, days: bytes,
                    closes: bytes) -> str | None:
        """:func:`_damage` of a row, and its checksum where one was written."""
        why = _damage(days, closes)
        if why is None and self._has_checks:
            crc = con.execute("SELECT crc FROM checks WHERE ticker = ?", (ticker,)).fetchone()
            if crc is not None and crc[0] != _crc(days, closes):
                why = "its bytes changed since they were written"
        return why

    @staticmethod
    def _put_aside(con: sqlite3.Connection, ticker: str, row: tuple[bytes, bytes] | None,
                   why: str, stamp: str) -> None:
        """Keep a ticker's stored row apart (table ``aside``), out of every request."""
        if row is None:
            return
        con.execute(_ASIDE_SCHEMA)
        con.execute("INSERT INTO aside VALUES (?, ?, ?, ?, ?)", (ticker, stamp, why, *row))

    def check(self, tickers: Sequence[str]) -> None:
        """A quick look at the stored rows of ``tickers`` (their blobs' lengths, without
        reading them); a damaged one is set aside (see :meth:`read`, which checks the rest)."""
        names = [t for t in dict.fromkeys(tickers) if t not in self._damaged]
        for k in range(0, len(names), 500):
            part = names[k:k + 500]
            rows = self._query(
                "SELECT ticker, n, length(days), length(closes), typeof(days), typeof(closes) "
                f"FROM series WHERE ticker IN ({', '.join('?' * len(part))})", part)
            for t, n, nd, nc, td, tc in rows:
                why = ("not binary" if (td, tc) != ("blob", "blob") else
                       "truncated" if nd % _DAYS.itemsize or nc % _CLOSES.itemsize else
                       "lengths disagree" if nd // _DAYS.itemsize != n
                       or nc // _CLOSES.itemsize != n else None)
                if why is not None:
                    self._set_aside_damaged(t, why)

    def _rows(self, tickers: Sequence[str]) -> dict[str, tuple[bytes, bytes]]:
        """The stored rows of ``tickers`` that can be trusted; damaged ones are set aside."""
        found: dict[str, tuple[bytes, bytes]] = {}
        names = [t for t in dict.fromkeys(tickers) if t not in self._damaged]
        for k in range(0, len(names), 500):  # SQLite limits the parameters of one statement
            part = names[k:k + 500]
            marks = ", ".join("?" * len(part))
            rows = self._query(
                "SELECT s.ticker, s.n, s.days, s.closes, k.crc FROM series s LEFT JOIN checks k "
                f"ON k.ticker = s.ticker WHERE s.ticker IN ({marks})" if self._has_checks else
                f"SELECT ticker, n, days, closes, NULL FROM series WHERE ticker IN ({marks})",
                part)
            for t, n, d, c, crc in rows:
                why = _damage(d, c, n)
                if why is None and crc is not None and crc != _crc(d, c):
                    why = "its bytes changed since they were written"
                if why is None:
                    found[t] = (d, c)
                else:
                    self._set_aside_damaged(t, why)
        return found

    def _set_aside_damaged(self, ticker: str, why: str) -> None:
        """Keep a damaged row apart (table ``aside``) with its coverage gone, so that it is
        fetched again; one warning. Where the file cannot be written, the row is left out of
        every request of this process instead."""
        self._damaged.add(ticker)
        self.set_aside.append(ticker)

        def work(con: sqlite3.Connection) -> None:
            row = con.execute("SELECT days, closes FROM series WHERE ticker = ?",
                              (ticker,)).fetchone()
            if row is None or self._row_damage(con, ticker, *row) is None:
                return  # another process repaired it meanwhile
            self._put_aside(con, ticker, row, f"damaged ({why})",
                            pd.Timestamp.now(tz="UTC").isoformat())
            con.execute("DELETE FROM series WHERE ticker = ?", (ticker,))
            con.execute("DELETE FROM coverage WHERE ticker = ?", (ticker,))
            if self._has_checks:
                con.execute("DELETE FROM checks WHERE ticker = ?", (ticker,))

        kept = ""
        try:
            with self._lock:
                if self.unwritable is None and not self._in_memory:
                    self._transaction(work)
                    self._damaged.discard(ticker)
                    kept = "; kept apart in the store"
        except sqlite3.Error as exc:
            kept = f"; cannot be set aside ({_first_line(exc)}), left out for this session"
        warnings.warn(StoreWarning(
            f"price store: the stored prices of {ticker} are damaged ({why}) and are not "
            f"used{kept}; they are fetched again when Yahoo can be reached"), stacklevel=4)

    def rows(self, tickers: Sequence[str]) -> dict[str, tuple[bytes, bytes] | None]:
        """The stored rows (days blob, closes blob) of ``tickers``, checked as :meth:`read`
        checks them; ``None`` for a ticker with no row that can be trusted. A request that
        needs a history before serving it reads it here once and hands it to :meth:`read`."""
        found = self._rows(tickers)
        return {t: found.get(t) for t in tickers}

    def read(self, tickers: Sequence[str], start_day: int | None = None,
             end_day: int | None = None,
             rows: Mapping[str, tuple[bytes, bytes] | None] | None = None
             ) -> dict[str, pd.Series]:
        """Stored prices per ticker in ``[start_day, end_day)``, as float Series on dates.

        Each row is checked first (blob lengths, increasing dates, finite positive prices): a
        damaged one is never served; it is set aside with one :class:`StoreWarning`, its
        coverage gone, so that it is fetched again. ``rows``: rows of some of the tickers
        already read by :meth:`rows` (and not written since), used instead of reading them
        again."""
        known = {} if rows is None else {t: rows[t] for t in tickers if t in rows}
        found = self._rows([t for t in tickers if t not in known])
        found.update({t: r for t, r in known.items() if r is not None})
        out: dict[str, pd.Series] = {}
        # tickers of one market share their dates: one DatetimeIndex object serves them all
        shared: dict[bytes, pd.DatetimeIndex] = {}
        for t in tickers:
            raw_days, raw_closes = found.get(t, (b"", b""))
            days = np.frombuffer(raw_days, dtype=_DAYS)
            closes = np.frombuffer(raw_closes, dtype=_CLOSES)
            lo = 0 if start_day is None else int(np.searchsorted(days, start_day))
            hi = len(days) if end_day is None else int(np.searchsorted(days, end_day))
            key = raw_days[lo * _DAYS.itemsize:hi * _DAYS.itemsize]
            idx = shared.get(key)
            if idx is None:
                ns = days[lo:hi].astype(np.int64) * _NS_PER_DAY
                idx = shared[key] = pd.DatetimeIndex(ns.view("datetime64[ns]"), name="Date")
            out[t] = pd.Series(closes[lo:hi].copy(), index=idx, name=t)
        return out
