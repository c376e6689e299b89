"""Adjusted closes from Yahoo Finance through yfinance, with failures told apart per ticker.

yfinance reports most failures as an empty or all-NaN column plus a log line, and its messages do
not separate causes: a dropped connection and an unknown symbol both end as "possibly delisted;
no timezone found". So this reader watches the transport instead. Every HTTP request yfinance
makes goes through the session given to ``yf.download``; the reader wraps that session's
``request`` and records, per ticker (from the ``/v8/finance/chart/<TICKER>`` URL), what came back:
an exception (network), HTTP 429 (rate limit), 404 / a ``chart.error`` body (unknown ticker),
5xx (Yahoo down) or 200. The same wrapper caps each request's timeout and, once the network has
failed during a download, fails yfinance's remaining requests at once, so a dead network gives a
clear error in seconds rather than after a minute of timeouts.

A 200 is not always a chart: a proxy cuts the body, an edge server or a captive portal sends a
web page, Yahoo sends ``{"chart": {"result": []}}``. yfinance turns each of these into "no price
data", which would read as "Yahoo knows the ticker and has no prices there"; the wrapper looks at
the body, so such an answer is a failed fetch of that ticker, never a fact to store. It also
finds the dates a history answer gives twice with different prices, which yfinance resolves in
silence (the first bar of a day, except the last day's): they get the rule of every other source
(:func:`~betahedge_xl.data.csvdir.sorted_unique`: the last bar of the day, with a DataWarning).

yfinance is imported only when Yahoo is actually asked (it is slow to import).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from .._dates import local_days
from ..exceptions import DataError, DataWarning, OfflineError, RateLimitError
from .csvdir import sorted_unique
from .yahoo_answers import (
    _chart_ticker,
    _classify,
    _Event,
    _first_trade,
    _network_dead,
    _Observer,
    _read_chart,
    _repeats,
    _short,
    offline_message,  # noqa: F401  (importable from here as before)
    unreachable,  # noqa: F401
)

log = logging.getLogger(__name__)

#: Upper bound of one HTTP request, seconds (yfinance asks up to 30 for its cookie).
REQUEST_TIMEOUT = 6.0
#: Sleeps before asking again for tickers refused with HTTP 429 (bounded back-off).
RATE_LIMIT_DELAYS: tuple[float, ...] = (1.0, 2.0)
#: After the back-off fails, Yahoo is not asked again for this long, seconds.
RATE_LIMIT_COOLDOWN = 60.0
#: After a download found the network dead, Yahoo is not asked again for this long, seconds.
OFFLINE_COOLDOWN = 15.0
#: Parallel requests inside one batched download.
MAX_THREADS = 8

#: Progress of a download is reported at most this often, seconds; the first report comes
#: after as long, so a quick download says nothing.
PROGRESS_SECONDS = 1.0

#: Returns the HTTP session yfinance should use (tests replace it with a fake transport).
session_factory: Callable[[], Any] | None = None

#: ``callback(done, total)`` of the download running in this context (see report_progress)
_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar("betahedge_yahoo_progress",
                                                                       default=None)

_LOCK = threading.Lock()  # one download at a time: polite to Yahoo, and one observer
_session: Any = None
_observer: _Observer | None = None
#: (until, error class, reason, the network failure behind an offline cool-down)
_cooldown: tuple[float, type[DataError], str, BaseException | None] | None = None

_DATA_HOSTS = ("query1.finance.yahoo.com", "query2.finance.yahoo.com")


@dataclass
class YahooResult:
    """Outcome of one batched download.

    ``prices`` has an entry (possibly empty: no prices in the window) for every ticker Yahoo
    answered; ``errors`` one for every ticker it did not, with the reason's error class;
    ``notes`` a data-quality finding about an answer (a date given twice), for the caller to
    report with the prices.
    """

    prices: dict[str, pd.Series] = field(default_factory=dict)
    errors: dict[str, DataError] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    #: The first day the ticker traded, as Yahoo's answer says (``meta.firstTradeDate``): no
    #: price before it is missing.
    first_trade: dict[str, pd.Timestamp] = field(default_factory=dict)


def _observe(session: Any) -> Any:
    """Wrap ``session.request`` once so each request is recorded and bounded."""
    if getattr(session, "_betahedge_observed", False):
        return session
    inner = session.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        obs = _observer
        host = urlsplit(url).hostname or ""
        ticker = _chart_ticker(url)
        history = "period1" in (kwargs.get("params") or {})
        t = kwargs.get("timeout")
        kwargs["timeout"] = REQUEST_TIMEOUT if not isinstance(t, (int, float)) else min(
            float(t), REQUEST_TIMEOUT)
        if obs is not None and obs.dead is not None:
            # the network already failed in this download: do not wait for it again
            with obs.lock:
                obs.events.append(_Event(ticker, host, error=obs.dead, history=history))
            raise type(obs.dead)(f"not tried: {obs.dead}")
        try:
            resp = inner(method, url, *args, **kwargs)
        except Exception as exc:
            if obs is not None:
                with obs.lock:
                    obs.events.append(_Event(ticker, host, error=exc, history=history))
                    # fc.yahoo.com is on some block lists while the data hosts work; a DNS
                    # failure there says nothing about the network
                    timeout = getattr(exc, "code", None) == 28 or "timeout" in type(
                        exc).__name__.lower()
                    if (_network_dead(exc) if host in _DATA_HOSTS else timeout):
                        obs.dead = exc
            raise
        if obs is not None:
            detail, bad, repeats, first = "", "", None, None
            if ticker and resp.status_code != 200:
                try:
                    detail = json.loads(resp.text)["chart"]["error"]["description"]
                except (ValueError, KeyError, TypeError):
                    detail = ""
            elif ticker:
                bad, detail, result = _read_chart(resp.content)
                if result is not None and history:
                    repeats = _repeats(result)
                    first = _first_trade(result)
            with obs.lock:
                obs.events.append(_Event(ticker, host, status=resp.status_code, detail=detail,
                                         bad=bad, repeats=repeats, history=history,
                                         first_trade=first))
        return resp

    session.request = request
    session._betahedge_observed = True
    return session


def _get_session() -> Any:
    global _session
    if _session is None:
        if session_factory is not None:
            _session = session_factory()
        else:
            from curl_cffi import requests as curl_requests

            _session = curl_requests.Session(impersonate="chrome")
        _observe(_session)
    return _session


def reset() -> None:
    """Forget the session and any cool-down (tests; or after the network came back)."""
    global _session, _cooldown
    with _LOCK:
        _session = None
        _cooldown = None


class _LogToObserver(logging.Filter):
    """Keep yfinance's own log lines out of the user's console during our download: we report
    each failure ourselves, with the right cause; its lines stay available at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        obs = _observer
        if obs is not None:
            with obs.lock:
                obs.yf_log.append(record.getMessage())
            return False
        return True




@contextmanager
def report_progress(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Report the progress of Yahoo downloads started inside the ``with`` block.

    ``callback(done, total)`` counts tickers answered (or failed) in a download from Yahoo.
    It is called on the thread that asked for the prices (Excel's COM objects live there), at
    most every ``PROGRESS_SECONDS`` from the moment a download has lasted that long, and with
    ``done == total`` when such a download ends. Faces plug in here (a status bar, stderr); the
    data layer knows nothing of them.
    """
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def _answered(obs: _Observer) -> int:
    """Tickers whose download is over: their history came back, or a request for them failed
    (yfinance asks no history after a failed time-zone probe)."""
    with obs.lock:
        return len({e.ticker for e in obs.events if e.ticker and (
            e.history or e.error is not None or e.status != 200 or e.bad)})


def _run_reporting(work: Callable[[], None], obs: _Observer, total: int,
                   callback: Callable[[int, int], None]) -> None:
    """Run ``work`` on a worker thread; report its progress from this one."""
    finished = threading.Event()

    def run() -> None:
        try:
            work()
        finally:
            finished.set()

    shown = -1

    def show(done: int) -> None:
        nonlocal shown
        if shown != -2:  # a display that failed once is not asked again
            try:
                callback(done, total)
                shown = done
            except Exception as exc:  # noqa: BLE001 - a progress display never stops a fetch
                log.debug("progress callback: %s", exc)
                shown = -2

    threading.Thread(target=run, name="betahedge-yahoo", daemon=True).start()
    while not finished.wait(max(PROGRESS_SECONDS, 0.01)):
        done = min(_answered(obs), total)
        if done != shown:
            show(done)
    if shown >= 0:
        show(total)


def _yf_download(yf: Any, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp,
                 session: Any) -> pd.DataFrame:
    """``yf.download`` with every parameter set: daily adjusted closes of ``[start, end)``."""
    with warnings.catch_warnings():
        # yfinance's own pandas deprecation noise is not the user's business
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return yf.download(
            list(tickers),
            start=start.strftime("%Y-%m-%d"),
            end=end.strftime("%Y-%m-%d"),
            period=None,
            interval="1d",
            # adjusted closes taken deliberately from Yahoo's adjclose series
            auto_adjust=False,
            back_adjust=False,
            actions=False,
            repair=False,
            keepna=False,
            prepost=False,
            rounding=False,
            ignore_tz=True,
            group_by="column",
            multi_level_index=True,
            threads=min(len(tickers), MAX_THREADS),
            progress=False,
            timeout=REQUEST_TIMEOUT,
            session=session,
        )


def _yfinance() -> Any:
    """``yfinance``, or where it cannot be imported (Excel's browser runtime, xlwings Lite:
    its transport curl_cffi has no Pyodide build, and Yahoo sends no CORS headers) a
    :class:`DataError` that says so and what works there."""
    try:
        import yfinance
    except ImportError as exc:
        raise DataError(f"Yahoo cannot be reached from here: yfinance cannot be imported "
                        f"({_short(exc)}). In Excel's browser runtime (xlwings Lite) give "
                        f"prices as ranges of dates and prices (=STOCKHISTORY(...) or a "
                        f"table) instead of tickers") from None
    return yfinance


def _download_once(tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> YahooResult:
    global _observer
    yf = _yfinance()

    session = _get_session()
    _fresh_yfinance_caches(tickers)
    obs = _Observer()
    yf_logger = logging.getLogger("yfinance")
    filt = _LogToObserver()
    _observer = obs
    yf_logger.addFilter(filt)
    failure = ""
    data: pd.DataFrame | None = None

    def work() -> None:
        nonlocal data, failure
        try:
            data = _yf_download(yf, tickers, start, end, session)
        except Exception as exc:  # yfinance catches per ticker; anything here is unexpected
            failure = f"{type(exc).__name__}: {_short(exc)}"

    callback = _progress.get()
    try:
        if callback is None:
            work()
        else:
            _run_reporting(work, obs, len(tickers), callback)
    finally:
        yf_logger.removeFilter(filt)
        _observer = None
    for line in obs.yf_log:
        log.debug("yfinance: %s", line)
    return _result(tickers, data, obs, failure)


def _fresh_yfinance_caches(tickers: Sequence[str]) -> None:
    """Every download asks Yahoo, and yfinance's tz cache is open before its threads start."""
    try:
        # yfinance keeps the last 64 answers for past windows in memory (YfData.cache_get) and
        # replays them: a long-running process (Excel's) would get a re-adjusted history on its
        # old basis, and a bad answer again. Every download asks Yahoo.
        from yfinance.data import YfData

        YfData.cache_get.cache_clear()
    except (ImportError, AttributeError) as exc:
        log.debug("yfinance answer cache: %s", exc)
    try:
        # yfinance opens its tz cache lazily from its download threads, and two threads doing
        # it at once on a fresh cache can fail with "database is locked": open it here, once
        from yfinance import cache as yf_cache

        yf_cache.get_tz_cache().lookup(tickers[0])
    except Exception as exc:  # a broken yfinance cache must not stop the download
        log.debug("yfinance tz cache: %s", exc)


def _result(tickers: Sequence[str], data: pd.DataFrame | None, obs: _Observer,
            failure: str) -> YahooResult:
    """What one download gave per ticker: its prices (possibly none in the window), or the
    error that says why not, from yfinance's frame and the answers observed."""
    result = YahooResult()
    for e in obs.events:
        if e.ticker and e.first_trade is not None:
            result.first_trade[e.ticker] = e.first_trade
    for t in tickers:
        col = ("Adj Close", t)
        series = None
        if data is not None and isinstance(data.columns, pd.MultiIndex) and col in data.columns:
            series = data[col].dropna().astype(float)
        if series is not None and len(series):
            series.index = local_days(pd.DatetimeIndex(series.index)).rename("Date")
            repeats = next((e.repeats for e in reversed(obs.events)
                            if e.ticker == t and e.repeats is not None), None)
            if repeats is not None:
                series = _with_repeats(series, repeats, t, result)
            result.prices[t] = series.rename(t)
            continue
        if any(e.ticker == t and e.status == 200 for e in obs.events) and not any(
                e.ticker == t and (e.error is not None or e.status != 200 or e.bad)
                for e in obs.events):
            # Yahoo knows the ticker and has no prices in the window
            result.prices[t] = pd.Series([], index=pd.DatetimeIndex([], name="Date"),
                                         dtype=float, name=t)
            continue
        result.errors[t] = _classify(t, obs, failure or (obs.yf_log[-1] if obs.yf_log else
                                                         "empty answer"))
    return result


def _with_repeats(series: pd.Series, repeats: pd.Series, t: str,
                  result: YahooResult) -> pd.Series:
    """``series`` with the bars of the dates Yahoo's answer gave twice put back, and the rule
    every source follows applied; its warning becomes a note of ``result``."""
    repeats = repeats.set_axis(repeats.index.as_unit(series.index.unit))
    # yfinance kept one bar of each repeated date; put them all back (in the
    # answer's order) and apply the rule every source follows. Its warning becomes
    # a note of the prices, which every face shows (Excel's "Data warnings" row
    # too, where Python's warnings are not seen).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        series = sorted_unique(
            pd.concat([series[~series.index.isin(repeats.index)], repeats]),
            f"{t}: ", " in Yahoo's answer")
    if caught:
        result.notes[t] = "; ".join(str(w.message) for w in caught)
    return series


def fetch(tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> YahooResult:
    """Download adjusted closes of ``tickers`` in ``[start, end)`` in one batched request.

    Tickers refused with HTTP 429 are asked again after each of ``RATE_LIMIT_DELAYS``; if
    still refused, or if the network is down, Yahoo is left alone for a cool-down period during
    which calls fail at once with the same error class.

    Returns
    -------
    YahooResult
        Prices per ticker that Yahoo answered, an error per ticker it did not. Nothing raises
        for a failed ticker: the caller decides what a partial answer means.
    """
    global _cooldown
    with _LOCK:
        now = time.monotonic()
        if _cooldown is not None and now < _cooldown[0]:
            cls, reason, cause = _cooldown[1:]
            wait = int(_cooldown[0] - now) + 1
            result = YahooResult()
            for t in tickers:
                result.errors[t] = cls(f"{t}: {reason}; not asking again for {wait} s")
                result.errors[t].__cause__ = cause
            return result
        result = _download_once(tickers, start, end)
        for delay in RATE_LIMIT_DELAYS:
            limited = [t for t, e in result.errors.items() if isinstance(e, RateLimitError)]
            if not limited:
                break
            time.sleep(delay)
            again = _download_once(limited, start, end)
            for t in limited:
                result.errors.pop(t)
            result.prices.update(again.prices)
            result.errors.update(again.errors)
            result.notes.update(again.notes)
            result.first_trade.update(again.first_trade)
        errs = list(result.errors.values())
        if any(isinstance(e, RateLimitError) for e in errs):
            _cooldown = (time.monotonic() + RATE_LIMIT_COOLDOWN, RateLimitError,
                         "Yahoo is rate-limiting requests", None)
        elif errs and not result.prices and all(isinstance(e, OfflineError) for e in errs):
            _cooldown = (time.monotonic() + OFFLINE_COOLDOWN, OfflineError,
                         "Yahoo could not be reached", errs[0].__cause__)
        return result
