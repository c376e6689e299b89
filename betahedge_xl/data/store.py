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

import contextlib
import datetime as _dt
import os
import shutil
import sqlite3
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..exceptions import BetaHedgeError, StoreError, StoreWarning

#: "BHXL": identifies a betahedge-xl store among SQLite files.
APPLICATION_ID = 0x4248584C
SCHEMA_VERSION = 2
FILE_NAME = "prices.sqlite"
#: Relative difference of stored and newly fetched prices on the same dates above which the
#: stored range is taken to be on another adjustment basis.
REBASE_TOLERANCE = 1e-6
#: Seconds to wait for a lock held by another process before saying the store is busy.
BUSY_TIMEOUT = 15.0

_DAYS = np.dtype("<i4")
_CLOSES = np.dtype("<f8")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    ticker TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    days BLOB NOT NULL,
    closes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS coverage (
    ticker TEXT NOT NULL,
    start_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS coverage_ticker ON coverage (ticker);
"""
_TABLES = {"series", "coverage"}
#: Histories kept apart: damaged rows, and stored prices that disagreed with newer ones beyond
#: a change of adjustment basis. Created when first needed (stores of older versions lack it).
_ASIDE_SCHEMA = """
CREATE TABLE IF NOT EXISTS aside (
    ticker TEXT NOT NULL,
    kept_at TEXT NOT NULL,
    why TEXT NOT NULL,
    days BLOB NOT NULL,
    closes BLOB NOT NULL
)
"""
#: A checksum of each stored row, written with it (created when first needed): a row whose
#: bytes changed since (a damaged page that still holds plausible prices) is caught on read.
_CHECKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    ticker TEXT PRIMARY KEY,
    crc INTEGER NOT NULL
)
"""


def _crc(days: bytes, closes: bytes) -> int:
    return zlib.crc32(closes, zlib.crc32(days))


#: A change of the ratio of new to stored prices, between two shared dates, larger than this
#: (in log terms) is a step of the adjustment basis (a dividend or a split between the two
#: fetches); smaller ones are rounding.
STEP_TOLERANCE = 1e-3
#: Steps allowed on the shared dates, beyond ``STEP_ALLOWANCE`` fixed ones, as a share of them
#: (about four dividends a year are 1.6% of trading days); more means other prices.
STEP_SHARE = 0.04
STEP_ALLOWANCE = 3
_EPOCH = np.datetime64("1970-01-01", "D")
_NS_PER_DAY = 86_400 * 10**9

# SQLite's primary result codes (https://sqlite.org/rescode.html)
_BUSY, _LOCKED = 5, 6
_DAMAGED = {11: "damaged", 26: "not a database"}  # SQLITE_CORRUPT, SQLITE_NOTADB
_UNWRITABLE = {3: "no permission", 8: "read-only", 10: "disk I/O error", 13: "disk full",
               14: "cannot open the file"}  # PERM, READONLY, IOERR, FULL, CANTOPEN

#: Free bytes below which a failed write is put down to a full disk.
_FULL_BELOW = 1 << 20

_T = TypeVar("_T")


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


def _code(exc: BaseException) -> int | None:
    """SQLite's primary result code of ``exc`` (None when it is not a SQLite error)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def _why(exc: BaseException) -> str:
    """A short reason for a failed write: ``disk full``, ``read-only``..., with SQLite's text."""
    label = _UNWRITABLE.get(_code(exc) or -1)
    text = _first_line(exc)
    return f"{label}: {text}" if label and text else label or text or type(exc).__name__


def _is_busy(exc: BaseException) -> bool:
    return _code(exc) in (_BUSY, _LOCKED)


def _header(con: sqlite3.Connection) -> tuple[int, int, set[str]]:
    app = con.execute("PRAGMA application_id").fetchone()[0]
    version = con.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return int(app), int(version), tables


def _encode(days: np.ndarray, closes: np.ndarray) -> tuple[int, int, int, bytes, bytes]:
    return (len(days), int(days[0]), int(days[-1]), days.astype(_DAYS).tobytes(),
            closes.astype(_CLOSES).tobytes())


def _decode(days: bytes, closes: bytes) -> tuple[np.ndarray, np.ndarray]:
    return (np.frombuffer(days, dtype=_DAYS).astype(np.int64),
            np.frombuffer(closes, dtype=_CLOSES))


def _damage(days: bytes, closes: bytes, n: int | None = None) -> str | None:
    """Why a stored row cannot be trusted (None when it can): blob lengths, increasing dates,
    finite positive prices."""
    if not isinstance(days, bytes) or not isinstance(closes, bytes):
        return "not binary"
    if len(days) % _DAYS.itemsize or len(closes) % _CLOSES.itemsize:
        return "truncated"
    d = np.frombuffer(days, dtype=_DAYS)
    c = np.frombuffer(closes, dtype=_CLOSES)
    if len(d) != len(c) or (n is not None and n != len(d)):
        return "lengths disagree"
    if len(d) > 1 and not bool(np.all(d[1:] > d[:-1])):
        return "dates out of order"
    if not bool(np.all(np.isfinite(c) & (c > 0))):
        return "prices not finite and positive"
    return None


def _basis_steps(old: np.ndarray, new: np.ndarray) -> np.ndarray | None:
    """Segments (an id per shared date) between which the ratio ``new / old`` steps, when the
    two are one history on bases that differ by a constant factor between adjustment dates;
    None when they disagree beyond that."""
    lr = np.log(new / old)
    step = np.abs(np.diff(lr)) > STEP_TOLERANCE
    if step.sum() > STEP_ALLOWANCE + STEP_SHARE * len(lr):
        return None
    return np.concatenate([[0], np.cumsum(step)])


def _rescale_factors(days: np.ndarray, shared: np.ndarray, ratio: np.ndarray,
                     seg: np.ndarray) -> np.ndarray:
    """The factor taking each stored price in ``days`` to the new basis: the (median) ratio of
    the segment of the nearest shared date before it (the first segment before them all)."""
    n_seg = int(seg[-1]) + 1
    seg_ratio = np.array([float(np.median(ratio[seg == k])) for k in range(n_seg)])
    pos = np.clip(np.searchsorted(shared, days, side="right") - 1, 0, len(shared) - 1)
    return seg_ratio[seg[pos]]


def _create_tables(con: sqlite3.Connection) -> None:
    for stmt in _SCHEMA.split(";"):
        if stmt.strip():
            con.execute(stmt)


def _in_transaction(con: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """``work`` inside ``BEGIN IMMEDIATE`` (the write lock taken first, so that the reads
    inside see what is written next) and ``COMMIT``; rolled back whole if anything fails."""
    con.execute("BEGIN IMMEDIATE")
    try:
        out = work(con)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return out


class _Unusable(Exception):
    """The file is not a store this version can trust."""


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an OS lock on ``lock_file`` (other processes setting the store aside wait).

    Where no such lock exists (no ``fcntl``), Windows' refusal to rename a file another
    process has open keeps a store in use from being moved.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_file, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class PriceStore:
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

    # -- opening, checking, setting aside ---------------------------------------------------
    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), never implicit ones
        # that would take the write lock late and fail with "database is locked"
        return sqlite3.connect(target, timeout=self.timeout, isolation_level=None,
                               check_same_thread=False, uri=uri)

    def _memory(self) -> sqlite3.Connection:
        con = self._connect(":memory:")
        self._create(con)
        self._in_memory = True
        return con

    def _retry(self, work: Callable[[], _T]) -> _T:
        """Run ``work``, again while another process's lock makes it fail, up to the timeout.

        SQLite's busy handler already waits inside most calls; a few (WAL recovery, a
        snapshot gone stale) report busy at once, and are retried here.
        """
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        while True:
            try:
                return work()
            except sqlite3.Error as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def _busy(self) -> StoreError:
        return StoreError(f"price store {self.path} is busy: another program has held it for "
                          f"{self.timeout:g} s; try again when it is done")

    def _open(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            return self._memory()
        path = Path(self.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.unwritable = f"cannot create folder {path.parent} ({exc.strerror or exc})"
            return self._memory()
        try:
            return self._retry(lambda: self._open_checked(path))
        except _Unusable as exc:
            reason = str(exc)
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise self._busy() from None
            if _code(exc) not in _DAMAGED:
                return self._open_read_only(path, exc)
            reason = f"damaged ({_first_line(exc)})"
        # Another process may have found the same file and replaced it already: look again
        # while holding the lock that every process setting the store aside takes.
        try:
            with _exclusive(path.with_name(path.name + ".lock")):
                try:
                    return self._retry(lambda: self._open_checked(path))
                except _Unusable as exc:
                    reason = str(exc)
                except sqlite3.Error as exc:
                    if _code(exc) not in _DAMAGED:
                        raise
                    reason = f"damaged ({_first_line(exc)})"
                self._set_aside(path, reason)
                return self._retry(lambda: self._open_checked(path))
        except OSError as exc:
            raise StoreError(f"price store {path} is {reason} and cannot be moved aside "
                             f"({exc}); delete it or set BETAHEDGE_CACHE_DIR") from None
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise self._busy() from None
            return self._open_read_only(path, exc)

    def _open_checked(self, path: Path) -> sqlite3.Connection:
        con = self._connect(str(path))
        try:
            app, version, tables = _header(con)
            if app == 0 and version == 0 and not tables:
                self._create(con)  # a new or empty file: nothing to lose
                app, version, tables = _header(con)
            if app != APPLICATION_ID:
                raise _Unusable("not a betahedge-xl price store")
            if version not in (1, SCHEMA_VERSION):
                raise _Unusable(f"layout version {version}, expected {SCHEMA_VERSION}")
            need = _TABLES if version == SCHEMA_VERSION else {"prices", "coverage"}
            if not tables >= need:
                raise _Unusable(f"tables missing: {', '.join(sorted(need - tables))}")
            problems = [r[0] for r in con.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                # SQLite packs up to 100 findings into its first answer: the first says enough
                lines = [ln for p in problems for ln in str(p).splitlines()
                         if ln.strip() and not ln.startswith("***")]
                more = f", and {len(lines) - 1} more problems" if len(lines) > 1 else ""
                raise _Unusable(f"damaged ({lines[0] if lines else 'quick_check failed'}{more})")
            if version == 1:
                self._upgrade(con)
            mode = con.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                with contextlib.suppress(sqlite3.OperationalError):  # read-only: stays as is
                    con.execute("PRAGMA journal_mode = WAL")
            # WAL with synchronous=NORMAL: a commit is atomic and needs no fsync; a power cut
            # may lose the last commits, never the file (this is a cache)
            con.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            con.close()
            raise
        return con

    def _open_read_only(self, path: Path, exc: sqlite3.Error) -> sqlite3.Connection:
        """The file cannot be opened for writing (read-only folder, full disk): read it as it
        is when possible, else start an empty store in memory."""
        self.unwritable = self._reason(exc)
        if path.is_file() and path.stat().st_size:
            # mode=ro reads a WAL file whose -shm exists; immutable=1 one whose folder cannot
            # hold a -shm (no process can be writing it then)
            for options in ("mode=ro", "immutable=1"):
                con = None
                try:
                    con = self._connect(f"{path.resolve().as_uri()}?{options}", uri=True)
                    app, version, tables = _header(con)
                    if app == APPLICATION_ID and version == SCHEMA_VERSION and tables >= _TABLES:
                        return con
                    con.close()
                    break
                except sqlite3.Error:
                    if con is not None:
                        con.close()
        return self._memory()

    def _reason(self, exc: sqlite3.Error) -> str:
        """Why the file cannot be written, in the user's terms. SQLite often cannot tell: on
        a full disk or in a read-only folder it fails to create its ``-shm`` file and says
        "unable to open" or "readonly database", so the folder is looked at too."""
        folder = Path(self.path).parent
        if not os.access(folder, os.W_OK):
            return f"read-only folder {folder}"
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = None
        if _code(exc) == 13 or (free is not None and free < _FULL_BELOW):
            return f"disk full, {free} bytes free" if free is not None else "disk full"
        return _why(exc)

    def _set_aside(self, path: Path, reason: str) -> None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.bad-{stamp}")
        n = 1
        while aside.exists():
            aside = path.with_name(f"{path.name}.bad-{stamp}-{n}")
            n += 1
        path.rename(aside)
        # a leftover rollback journal or WAL would be replayed into the fresh file
        for suffix in ("-journal", "-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.rename(aside.with_name(aside.name + suffix))
        warnings.warn(StoreWarning(f"price store {path.name} was {reason}; moved it to "
                                   f"{aside.name} and started a fresh store"), stacklevel=5)

    @staticmethod
    def _create(con: sqlite3.Connection) -> None:
        """Create the tables unless another process did so since we looked (race-free: the
        look and the creation are in one write transaction)."""
        # fewer pages per long blob; ignored when another process created the file first
        con.execute("PRAGMA page_size = 16384")

        def work(con: sqlite3.Connection) -> None:
            app, version, tables = _header(con)
            if app == 0 and version == 0 and not tables:
                _create_tables(con)
                con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

        _in_transaction(con, work)

    @staticmethod
    def _upgrade(con: sqlite3.Connection) -> None:
        """Layout 1 (one row per price) to layout 2 (one row per ticker), in one transaction."""
        def work(con: sqlite3.Connection) -> None:
            if con.execute("PRAGMA user_version").fetchone()[0] != 1:
                return  # another process did it meanwhile
            _create_tables(con)
            rows = con.execute("SELECT ticker, day, close FROM prices ORDER BY ticker, day")
            by: dict[str, tuple[list[int], list[float]]] = {}
            for t, d, c in rows:
                by.setdefault(t, ([], []))[0].append(d)
                by[t][1].append(c)
            con.executemany("INSERT INTO series VALUES (?, ?, ?, ?, ?, ?)",
                            [(t, *_encode(np.asarray(d), np.asarray(c, dtype=float)))
                             for t, (d, c) in by.items()])
            con.execute("DROP TABLE prices")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

        _in_transaction(con, work)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._con.close()

    # -- running statements -----------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._retry(lambda: self._con.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error) -> StoreError:
        if _is_busy(exc):
            return self._busy()
        return StoreError(f"price store {self.path}: {_first_line(exc)}")

    def _transaction(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work`` in one write transaction, retried whole while another process holds the
        lock (it was rolled back, so nothing is done twice)."""
        con = self._con
        return self._retry(lambda: _in_transaction(con, work))

    def _write(self, work: Callable[[sqlite3.Connection], _T], keep_in_memory: bool) -> _T:
        """Run a write; on a file that cannot be written either raise (``keep_in_memory``
        False) or go on in an in-memory copy of the store, with one warning."""
        with self._lock:
            if self.unwritable is not None and not keep_in_memory:
                raise self._cannot_write()
            try:
                out = self._transaction(work)
            except sqlite3.Error as exc:
                if _is_busy(exc) or _code(exc) not in _UNWRITABLE or self._in_memory:
                    raise self._error(exc) from None
                self.unwritable = self._reason(exc)
                if not keep_in_memory:
                    raise self._cannot_write() from None
                self._to_memory()
                out = self._transaction(work)
            if self.unwritable is not None and not self._warned:
                self._warned = True
                warnings.warn(StoreWarning(
                    f"price store {self.path} cannot be written ({self.unwritable}); prices "
                    f"fetched now are kept in memory for this session only"), stacklevel=4)
            return out

    def _cannot_write(self) -> StoreError:
        return StoreError(f"price store {self.path} cannot be written ({self.unwritable}); "
                          f"nothing was stored")

    def _to_memory(self) -> None:
        """Go on in memory with a copy of what the file holds."""
        if self._in_memory:
            return
        mem = self._connect(":memory:")
        try:
            self._con.backup(mem)
            _header(mem)
        except sqlite3.Error:
            mem.close()
            mem = self._connect(":memory:")
            self._create(mem)
        self._con.close()
        self._con = mem
        self._in_memory = True
        self._has_checks = "checks" in _header(mem)[2]

    # -- coverage ---------------------------------------------------------------------------
    def coverage(self, ticker: str) -> list[tuple[int, int]]:
        """Merged, sorted ranges ``[start_day, end_day)`` already asked of a source."""
        if ticker in self._damaged:
            return []
        rows = self._query("SELECT start_day, end_day FROM coverage WHERE ticker = ?", (ticker,))
        return _merge(rows)

    def missing(self, ticker: str, start_day: int, end_day: int) -> list[tuple[int, int]]:
        """Ranges of ``[start_day, end_day)`` never asked of a source for ``ticker``."""
        return subtract((start_day, end_day), self.coverage(ticker))

    def fetched_at(self, ticker: str) -> pd.Timestamp | None:
        """When prices of ``ticker`` were last written (UTC), ``None`` if never."""
        row = self._query("SELECT MAX(fetched_at) FROM coverage WHERE ticker = ?", (ticker,))
        return None if row[0][0] is None else pd.Timestamp(row[0][0])

    # -- writing and reading ----------------------------------------------------------------
    def write(self, ticker: str, prices: pd.Series, covered: tuple[int, int] | None,
              source: str, fetched_at: pd.Timestamp, *, keep_in_memory: bool = True) -> int:
        """Store ``prices`` (NaN skipped) and record ``covered`` as asked of ``source``;
        returns the number of prices given. See :meth:`merge`, which says what changed."""
        return self.merge(ticker, prices, covered, source, fetched_at,
                          keep_in_memory=keep_in_memory).given

    def merge(self, ticker: str, prices: pd.Series,
              covered: tuple[int, int] | Sequence[tuple[int, int]] | None,
              source: str, fetched_at: pd.Timestamp, *, keep_in_memory: bool = True,
              replace: bool = False) -> Merge:
        """Merge ``prices`` (NaN skipped) into the stored history and record ``covered``.

        Adjusted closes are rescaled by the source after every dividend or split, so prices
        fetched on different days may be on different bases; between two adjustment dates the
        bases differ by a constant factor. Where the stored prices share dates with ``prices``
        and differ, the stored history is rescaled to the new basis by the ratio on the shared
        dates (the ratio of the nearest shared dates, for stored dates outside them), never
        dropped. Only where the two disagree beyond such steps (their daily returns differ on
        more than a few shared dates) are the stored prices set aside, kept in the file apart
        (table ``aside``), and the new ones used: :attr:`Merge.aside` says so.

        One transaction: the ticker's prices and coverage change together or not at all.

        Parameters
        ----------
        keep_in_memory
            When the file cannot be written (read-only, disk full): True keeps the prices in
            an in-memory copy of the store for this process, with one :class:`StoreWarning`;
            False raises :class:`StoreError` (an import the user asked for must not pretend).
        replace
            Discard the stored history of ``ticker`` (prices and coverage) first.
        """
        values = prices.to_numpy(dtype=float)
        index = prices.index
        if isinstance(index, pd.DatetimeIndex) and index.tz is None and index.unit == "ns":
            days = index.asi8 // _NS_PER_DAY  # midnight dates: exact, and no conversions
        else:
            days = (pd.DatetimeIndex(index).to_numpy().astype("datetime64[D]") - _EPOCH
                    ).astype(np.int64)
        ok = np.isfinite(values) & (values > 0)
        days, values = days[ok], values[ok]
        if len(days) > 1 and not bool(np.all(days[1:] > days[:-1])):
            order = np.argsort(days, kind="stable")
            days, values = days[order], values[order]
            last = np.append(days[1:] != days[:-1], True)  # a day given twice: its last price
            days, values = days[last], values[last]
        stamp = pd.Timestamp(fetched_at).isoformat()
        spans: list[tuple[int, int]] = [] if covered is None or not len(covered) else (
            [covered] if isinstance(covered[0], (int, np.integer))  # type: ignore[list-item]
            else list(covered))  # type: ignore[arg-type]

        def work(con: sqlite3.Connection) -> Merge:
            return self._write_ticker(con, ticker, days, values, spans, source, stamp,
                                      replace)

        out = self._write(work, keep_in_memory)
        self.rebased += bool(out.aside)
        return out

    def _write_ticker(self, con: sqlite3.Connection, ticker: str, days: np.ndarray,
                      values: np.ndarray, covered: list[tuple[int, int]], source: str,
                      stamp: str, replace: bool = False) -> Merge:
        """One ticker's merge (see :meth:`merge`)."""
        row = con.execute("SELECT days, closes FROM series WHERE ticker = ?",
                          (ticker,)).fetchone()
        old_d, old_c = np.empty(0, np.int64), np.empty(0)
        if row is not None:
            why = self._row_damage(con, ticker, *row)
            if why is None:
                old_d, old_c = _decode(*row)
            else:  # a damaged row is not merged into: set aside, the new prices stand alone
                self._put_aside(con, ticker, row, f"damaged ({why})", stamp)
                replace = True
        old = con.execute("SELECT start_day, end_day, fetched_at FROM coverage WHERE ticker = ?",
                          (ticker,)).fetchall()
        keep = list(old)
        result = Merge(ticker, given=len(days))
        if replace and len(old_d):
            result = Merge(ticker, given=len(days), discarded=len(old_d))
            old_d, old_c, keep = np.empty(0, np.int64), np.empty(0), []
        elif replace:
            keep = []
        if len(days) and len(old_d):
            _, i, j = np.intersect1d(old_d, days, assume_unique=True, return_indices=True)
            ratio = values[j] / old_c[i]
            if len(i) and bool(np.any(np.abs(ratio - 1.0) > REBASE_TOLERANCE)):
                steps = _basis_steps(old_c[i], values[j])
                if steps is None:
                    # not one history on two bases: keep the stored one apart, use the new one
                    self._put_aside(con, ticker, row, "disagreed with prices of "
                                    f"{source} beyond a change of adjustment basis", stamp)
                    result = Merge(ticker, given=len(days), aside=len(old_d))
                    old_d, old_c, keep = np.empty(0, np.int64), np.empty(0), []
                else:
                    factor = _rescale_factors(old_d, old_d[i], ratio, steps)
                    moved = np.abs(factor - 1.0) > REBASE_TOLERANCE
                    stay = ~np.isin(old_d, days, assume_unique=True)
                    result = Merge(ticker, given=len(days), rescaled=int((moved & stay).sum()),
                                   factors=tuple(sorted({round(float(f), 6)
                                                         for f in factor[moved & stay]})))
                    old_c = old_c * factor
        shared = np.isin(old_d, days, assume_unique=True)
        stay = ~shared
        result = Merge(ticker, given=len(days), added=int(len(days) - shared.sum()),
                       replaced=int(shared.sum()), rescaled=result.rescaled,
                       factors=result.factors, aside=result.aside, discarded=result.discarded)
        # the new prices win on the days both have
        all_d = np.concatenate([old_d[stay], days])
        all_c = np.concatenate([old_c[stay], values])
        order = np.argsort(all_d, kind="stable")
        all_d, all_c = all_d[order], all_c[order]
        if len(all_d):
            enc = _encode(all_d, all_c)
            con.execute("INSERT OR REPLACE INTO series VALUES (?, ?, ?, ?, ?, ?)",
                        (ticker, *enc))
            con.execute(_CHECKS_SCHEMA)
            con.execute("INSERT OR REPLACE INTO checks VALUES (?, ?)",
                        (ticker, _crc(enc[3], enc[4])))
            self._has_checks = True
        else:
            con.execute("DELETE FROM series WHERE ticker = ?", (ticker,))
            if self._has_checks:
                con.execute("DELETE FROM checks WHERE ticker = ?", (ticker,))
        new = [(int(c), int(d)) for c, d in covered if c < d]
        ranges = [(c, d) for c, d, _ in keep] + new
        con.execute("DELETE FROM coverage WHERE ticker = ?", (ticker,))
        con.executemany(
            "INSERT INTO coverage VALUES (?, ?, ?, ?, ?)",
            [(ticker, a, b, source,
              max([f for c, d, f in keep if c < b and d > a]
                  + [stamp for c, d in new if c < b and d > a]
                  or [stamp]))
             for a, b in _merge(ranges)])
        return Merge(ticker, given=result.given, added=result.added, replaced=result.replaced,
                     rescaled=result.rescaled, factors=result.factors, aside=result.aside,
                     discarded=result.discarded, stored=len(all_d),
                     first=from_day(int(all_d[0])) if len(all_d) else None,
                     last=from_day(int(all_d[-1])) if len(all_d) else None)

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

    def read(self, tickers: Sequence[str], start_day: int | None = None,
             end_day: int | None = None) -> dict[str, pd.Series]:
        """Stored prices per ticker in ``[start_day, end_day)``, as float Series on dates.

        Each row is checked first (blob lengths, increasing dates, finite positive prices): a
        damaged one is never served; it is set aside with one :class:`StoreWarning`, its
        coverage gone, so that it is fetched again."""
        found = self._rows(tickers)
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


@dataclass(frozen=True)
class Merge:
    """What :meth:`PriceStore.merge` did to one ticker's stored history."""

    ticker: str
    given: int = 0  # prices handed in (usable ones)
    added: int = 0  # of them on dates not stored before
    replaced: int = 0  # of them on dates stored before (the new price kept)
    rescaled: int = 0  # stored prices kept and rescaled to the new adjustment basis
    factors: tuple[float, ...] = ()  # the factors they were rescaled by
    aside: int = 0  # stored prices set aside (kept apart), as they disagreed with the new
    discarded: int = 0  # stored prices discarded as asked (``replace``)
    stored: int = 0  # prices stored for the ticker afterwards
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None

    def text(self) -> str:
        """``added 10, replaced 2506 on stored dates, rescaled 5903 stored prices by
        0.981 to the new basis``."""
        parts = [f"added {self.added}"]
        if self.replaced:
            parts.append(f"replaced {self.replaced} on stored dates")
        if self.rescaled:
            by = ", ".join(f"{f:.6g}" for f in self.factors[:3]) + (
                "..." if len(self.factors) > 3 else "")
            parts.append(f"rescaled {self.rescaled} stored prices by {by} to the new "
                         f"adjustment basis")
        if self.aside:
            parts.append(f"set aside {self.aside} stored prices that disagree beyond a change "
                         f"of adjustment basis (these are used instead; the old ones are kept "
                         f"apart in the store)")
        if self.discarded:
            parts.append(f"discarded {self.discarded} stored prices (--replace)")
        return ", ".join(parts)


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
