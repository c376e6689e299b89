"""The store's file: opening it (and creating or upgrading its tables), telling a busy file
from a damaged or unwritable one, setting aside a file that is not a store, and running
statements and write transactions on it (going on in memory when the file cannot be written).
See :mod:`betahedge_xl.data.store` for the layout and the rules shared with other processes."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..exceptions import StoreError, StoreWarning
from .store_rows import _encode

#: "BHXL": identifies a betahedge-xl store among SQLite files.
APPLICATION_ID = 0x4248584C
SCHEMA_VERSION = 2
FILE_NAME = "prices.sqlite"

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


def _set_aside(path: Path, reason: str) -> None:
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


class StoreFile:
    """The connection to one store file and what keeps it usable (the state a
    :class:`~betahedge_xl.data.store.PriceStore` is made of; it opens the file)."""

    path: Path | str
    timeout: float
    _lock: threading.RLock
    unwritable: str | None
    _in_memory: bool
    _warned: bool
    _damaged: set[str]
    set_aside: list[str]
    rebased: int
    _con: sqlite3.Connection
    _has_checks: bool

    # -- opening, checking, setting aside ---------------------------------------------------
    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), never implicit ones
        # that would take the write lock late and fail with "database is locked"
        return sqlite3.connect(target, timeout=self.timeout, isolation_level=None,
                               check_same_thread=False, uri=uri)

    def _memory(self) -> sqlite3.Connection:
        con = self._connect(":memory:")
        _create(con)
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
                _set_aside(path, reason)
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
                _create(con)  # a new or empty file: nothing to lose
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
                _upgrade(con)
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
            _create(mem)
        self._con.close()
        self._con = mem
        self._in_memory = True
        self._has_checks = "checks" in _header(mem)[2]
