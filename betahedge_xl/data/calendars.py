"""Exchange calendars: which days a ticker's exchange trades.

The days come from ``exchange_calendars`` (maintained, the exchanges' holidays and unplanned
closures such as hurricane Sandy's 2012-10-29..30), turned once per process into a numpy
``busdaycalendar`` so that counting trading days is numpy's ``busday_*`` functions, as fast as
counting weekdays. The exchange follows the ticker's suffix (``.T`` Tokyo, ``.L`` London...; no
suffix: New York). A ticker that trades on closed days (``BTC-USD``, or prices on weekends) is on
an every-day calendar; currencies (``EURUSD=X``) trade every weekday.

``exchange_calendars`` is imported only when a calendar is first needed. Outside the years it
knows, every weekday is a trading day.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

#: The exchange of a ticker's suffix (ISO 10383 MIC, as exchange_calendars names them).
SUFFIX_EXCHANGE = {
    "T": "XTKS", "L": "XLON", "PA": "XPAR", "DE": "XETR", "F": "XFRA", "AS": "XAMS",
    "BR": "XBRU", "MI": "XMIL", "MC": "XMAD", "SW": "XSWX", "ST": "XSTO", "HE": "XHEL",
    "CO": "XCSE", "OL": "XOSL", "VI": "XWBO", "LS": "XLIS", "IR": "XDUB", "TO": "XTSE",
    "V": "XTSE", "HK": "XHKG", "AX": "XASX", "NZ": "XNZE", "SI": "XSES", "KS": "XKRX",
    "TW": "XTAI", "SS": "XSHG", "SZ": "XSHG", "BO": "XBOM", "NS": "XBOM", "JO": "XJSE",
    "SA": "BVMF", "MX": "XMEX", "WA": "XWAR", "IS": "XIST", "BK": "XBKK", "KL": "XKLS",
}
#: The calendar of tickers without a suffix (and of names that are not tickers).
DEFAULT_EXCHANGE = "XNYS"
#: Every day trades (coins).
ALWAYS = "24/7"
#: Every weekday trades, no holidays (currencies; suffixes no calendar knows).
WEEKDAYS = "24/5"
#: Earliest and latest year the exchange calendars are built for.
FIRST_YEAR = 1990
YEARS_AHEAD = 1
#: Prices on this many weekend days (or more) make a ticker one that trades on closed days.
CLOSED_DAY_PRICES = 2

_CACHE: dict[str, np.busdaycalendar] = {}
_LOCK = threading.Lock()


def exchange_of(ticker: str) -> str:
    """The calendar code of ``ticker``: an exchange (``XNYS``), ``24/7`` or ``24/5``."""
    t = str(ticker).strip().upper()
    if t.endswith("=X"):
        return WEEKDAYS
    if "-" in t and t.rsplit("-", 1)[1] in ("USD", "EUR", "GBP", "USDT", "BTC", "ETH", "JPY"):
        return ALWAYS  # Yahoo's coins: BTC-USD, ETH-EUR
    if t.startswith("^") or "." not in t:
        return DEFAULT_EXCHANGE
    suffix = t.rsplit(".", 1)[1]
    if suffix in ("A", "B", "C"):  # share classes (BRK.B), not markets
        return DEFAULT_EXCHANGE
    return SUFFIX_EXCHANGE.get(suffix, WEEKDAYS)


def trades_on_closed_days(days: np.ndarray | pd.DatetimeIndex) -> bool:
    """Prices on ``CLOSED_DAY_PRICES`` weekend days or more: a market open every day."""
    d = np.asarray(days, dtype="datetime64[D]")
    if not len(d):
        return False
    return int((~np.is_busday(d)).sum()) >= CLOSED_DAY_PRICES


def calendar_for(ticker: str, days: np.ndarray | pd.DatetimeIndex | None = None) -> str:
    """:func:`exchange_of`, or ``24/7`` when ``days`` (the ticker's price dates) fall on
    closed days."""
    if days is not None and trades_on_closed_days(days):
        return ALWAYS
    return exchange_of(ticker)


def busdaycal(code: str) -> np.busdaycalendar:
    """The numpy calendar of ``code``'s trading days (built once per process)."""
    cal = _CACHE.get(code)
    if cal is not None:
        return cal
    with _LOCK:
        cal = _CACHE.get(code)
        if cal is None:
            cal = _CACHE[code] = _build(code)
    return cal


def _build(code: str) -> np.busdaycalendar:
    if code == ALWAYS:
        return np.busdaycalendar(weekmask="1111111")
    if code == WEEKDAYS:
        return np.busdaycalendar()
    file = _cache_file(code)
    if file is not None:
        try:
            return np.busdaycalendar(holidays=np.load(file, allow_pickle=False))
        except (OSError, ValueError):
            pass
    with warnings.catch_warnings():
        # exchange_calendars' own deprecation noise under newer pandas is not the user's
        warnings.simplefilter("ignore")
        cal = _exchange(code)
    if file is not None:
        _save(file, cal.holidays)
    return cal


#: Folder of the holidays kept between processes (default: ``calendars`` in the user's cache
#: folder of betahedge-xl, whatever store is used: they belong to the library, not to a store).
CALENDAR_DIR_ENV = "BETAHEDGE_CALENDAR_DIR"


def _cache_file(code: str) -> Path | None:
    """Where the holidays of ``code`` are kept between processes: importing exchange_calendars
    and building a calendar costs about a second, reading the holidays back a millisecond. The
    name holds the library's version and the year, so a new version or a new year builds them
    again."""
    try:
        from importlib.metadata import version

        folder = os.environ.get(CALENDAR_DIR_ENV, "").strip()
        if not folder:
            import platformdirs

            folder = str(Path(platformdirs.user_cache_dir("betahedge-xl", appauthor=False))
                         / "calendars")
        tag = f"{version('exchange_calendars')}-{pd.Timestamp.now().year}"
        return Path(folder).expanduser() / f"{code}-{tag}.npy"
    except Exception:  # noqa: BLE001 - no cache is no error: the calendar is built
        return None


def _save(file: Path, holidays: np.ndarray) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npy")
        np.save(tmp, np.asarray(holidays, dtype="datetime64[D]"), allow_pickle=False)
        os.replace(tmp, file)  # whole or not at all: another process may read it meanwhile
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _exchange(code: str) -> np.busdaycalendar:
    import exchange_calendars as xcals

    first = pd.Timestamp(f"{FIRST_YEAR}-01-01")
    last = pd.Timestamp(pd.Timestamp.now().year + YEARS_AHEAD, 12, 31)
    try:
        cal = xcals.get_calendar(code, start=first, end=last)
    except ValueError as exc:
        # the exchange's holidays are recorded for fewer years: the years it knows
        cls = type(xcals.get_calendar(code))
        lo, hi = cls.bound_min(), cls.bound_max()
        said = re.search(r"is (\d{4}-\d{2}-\d{2})", str(exc))
        if lo is None and said and "earliest" in str(exc):
            lo = pd.Timestamp(said.group(1))
        try:
            cal = xcals.get_calendar(code, start=first if lo is None else max(first, lo),
                                     end=last if hi is None else min(last, hi))
        except ValueError:
            cal = xcals.get_calendar(code)
    sessions = cal.sessions.to_numpy().astype("datetime64[D]")
    weekdays = np.arange(sessions[0], sessions[-1] + 1, dtype="datetime64[D]")
    weekdays = weekdays[np.is_busday(weekdays)]
    holidays = np.setdiff1d(weekdays, sessions)
    # weekend sessions (rare: make-up days of Asian exchanges) cannot be told to numpy; they
    # count as closed, which only makes a price there count as a price on a closed day
    return np.busdaycalendar(holidays=holidays)


def sessions_between(code: str, start: np.datetime64 | int, end: np.datetime64 | int) -> int:
    """Trading days in ``[start, end)`` (dates, or days since 1970-01-01)."""
    a = np.datetime64(int(start), "D") if isinstance(start, (int, np.integer)) else start
    b = np.datetime64(int(end), "D") if isinstance(end, (int, np.integer)) else end
    if b <= a:
        return 0
    return int(np.busday_count(a, b, busdaycal=busdaycal(code)))


def is_session(code: str, days: Sequence[np.datetime64] | np.ndarray) -> np.ndarray:
    """Per date: does ``code``'s exchange trade that day."""
    return np.is_busday(np.asarray(days, dtype="datetime64[D]"), busdaycal=busdaycal(code))
