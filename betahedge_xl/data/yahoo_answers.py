"""What Yahoo's answers mean: the record of one download's requests and answers, a chart's
prices and metadata read from its JSON, and a failed request told in one line (offline,
rate-limited, unknown ticker, Yahoo down) with its project error class."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd

from ..exceptions import DataError, OfflineError, RateLimitError, UnknownTickerError


@dataclass
class _Event:
    ticker: str | None
    host: str
    status: int | None = None
    error: BaseException | None = None
    detail: str = ""
    bad: str = ""  # why a 200 answer is not a chart ("" when it is one)
    history: bool = False  # the ticker's price history (not yfinance's time-zone probe)
    repeats: pd.Series | None = None  # bars of dates a history answer gives twice, in its order
    first_trade: pd.Timestamp | None = None  # the chart's meta.firstTradeDate (exchange date)


@dataclass
class _Observer:
    events: list[_Event] = field(default_factory=list)
    dead: BaseException | None = None  # the network failure that trips the breaker
    lock: threading.Lock = field(default_factory=threading.Lock)
    yf_log: list[str] = field(default_factory=list)


def _chart_ticker(url: str) -> str | None:
    path = unquote(urlsplit(url).path)
    marker = "/finance/chart/"
    return path.split(marker, 1)[1].strip("/").upper() if marker in path else None


#: libcurl codes meaning "no network": cannot resolve proxy/host, cannot connect, timed out.
_DEAD_CODES = {5, 6, 7, 28}


def _network_dead(exc: BaseException) -> bool:
    """A failure that says the network (not one request) is down: no point asking again.

    A reset or a truncated answer on one request (libcurl 52, 55, 56...) is not one of them:
    only that ticker fails.
    """
    code = getattr(exc, "code", None)
    if isinstance(code, int) and code:
        return int(code) in _DEAD_CODES
    name = type(exc).__name__.lower()
    return "timeout" in name or "dns" in name or isinstance(
        exc, (ConnectionRefusedError, TimeoutError))


def _read_chart(body: bytes) -> tuple[str, str, dict[str, Any] | None]:
    """``(bad, detail, result)`` of a 200 chart answer: why it is not a chart ("" if it is),
    Yahoo's own ``chart.error`` text, and the chart's ``result[0]``."""
    try:
        data = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        head = body.lstrip()[:1]
        return ("an empty answer" if not head else "a web page" if head == b"<"
                else "not valid JSON"), "", None
    chart = data.get("chart") if isinstance(data, dict) else None
    if not isinstance(chart, dict):
        return "no chart in it", "", None
    err = chart.get("error")
    if isinstance(err, dict) and err.get("description"):
        return "", str(err["description"]), None
    result = chart.get("result")
    first = result[0] if isinstance(result, list) and result else None
    if not isinstance(first, dict) or not isinstance(first.get("meta"), dict) or not (
            isinstance(first.get("indicators"), dict)):
        return "no chart in it", "", None
    return "", "", first


def _repeats(result: dict[str, Any]) -> pd.Series | None:
    """The bars of dates a daily chart gives more than once with different prices.

    Days are the exchange's dates, as yfinance dates daily bars. The last date of an answer
    reaching today is left out: that is Yahoo's live bar beside the day's first, which yfinance
    merges on purpose.
    """
    stamps = result.get("timestamp") or []
    if len(stamps) < 2:
        return None
    try:
        # bars a day or more apart cannot share a date: the usual answer stops here, cheaply
        if int(np.diff(np.asarray(stamps, dtype=np.int64)).min()) >= 86400:
            return None
    except (TypeError, ValueError):
        return None
    try:
        block = (result["indicators"].get("adjclose") or [{}])[0].get("adjclose")
        if block is None:
            block = result["indicators"]["quote"][0]["close"]
        values = pd.to_numeric(pd.Series(block, dtype=object), errors="coerce").to_numpy(float)
        tz = result["meta"].get("exchangeTimezoneName") or "UTC"
        when = pd.to_datetime(pd.Series(stamps), unit="s", utc=True).dt.tz_convert(tz)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None  # yfinance will make of it what it can
    if len(values) != len(stamps):
        return None
    days = pd.DatetimeIndex(when.dt.tz_localize(None).dt.normalize())
    bars = pd.Series(values, index=days)
    bars = bars[bars.notna()]
    if not bars.index.has_duplicates:
        return None
    if bars.index[-1] >= pd.Timestamp.now(tz).tz_localize(None).normalize():
        bars = bars[bars.index != bars.index[-1]]
    rep = bars[bars.index.duplicated(keep=False)]
    differ = rep.groupby(level=0).nunique() > 1
    rep = rep[rep.index.isin(differ.index[differ])]
    return rep if len(rep) else None


def _first_trade(result: dict[str, Any]) -> pd.Timestamp | None:
    """The chart's ``meta.firstTradeDate`` as an exchange date (None when absent)."""
    meta = result.get("meta") or {}
    stamp = meta.get("firstTradeDate")
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return None
    try:
        tz = meta.get("exchangeTimezoneName") or "UTC"
        when = pd.Timestamp(int(stamp), unit="s", tz="UTC").tz_convert(tz)
    except (ValueError, TypeError, OverflowError, KeyError):
        return None
    return when.tz_localize(None).normalize()


#: What the libcurl codes of a dead network mean, in words.
_CURL_WORDS = {5: "cannot resolve the proxy", 6: "cannot resolve the host name",
               7: "cannot connect", 28: "timed out"}


def _short(exc: BaseException) -> str:
    """A failure in one short line: libcurl's code and its meaning, no URL."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("not tried: ")
    code = getattr(exc, "code", None)
    curl = re.match(r"(?:Failed to perform, )?curl: \((\d+)\) (.*)", text)
    if curl:
        n = int(curl.group(1))
        words = _CURL_WORDS.get(n) or re.split(r"\.? See https?://", curl.group(2))[0]
        text = f"curl error {n}: {words}"
    elif isinstance(code, int) and code in _CURL_WORDS:
        text = f"curl error {code}: {_CURL_WORDS[code]}"
    text = re.split(r"\s*https?://", text)[0]  # a URL says nothing to an analyst
    return text if len(text) <= 100 else text[:99].rsplit(" ", 1)[0] + "…"


class _YahooDown(Exception):
    """Yahoo answered with a server error (5xx): it is down, the network is not."""


def _offline(ticker: str, exc: BaseException) -> OfflineError:
    err = OfflineError(f"{ticker}: could not reach Yahoo ({_short(exc)})")
    err.__cause__ = exc  # for offline_message
    return err


def unreachable(err: DataError) -> bool:
    """Yahoo as a whole could not be reached (dead network, Yahoo down), not one request lost."""
    cause = err.__cause__
    return isinstance(err, OfflineError) and (
        cause is None or isinstance(cause, _YahooDown) or _network_dead(cause))


def offline_message(tickers: Sequence[str], errors: Iterable[DataError]) -> str:
    """One line for a request that found Yahoo unreachable and nothing stored: why, and the
    two ways to work offline."""
    cause = next((e.__cause__ for e in errors if e.__cause__ is not None), None)
    why = f" ({_short(cause)})" if cause is not None else ""
    names = ", ".join(tickers[:5]) + (f" and {len(tickers) - 5} more" if len(tickers) > 5
                                      else "")
    return (f"Yahoo could not be reached{why} and nothing is stored for {names}. To work "
            f"offline, store a folder of <TICKER>.csv files with 'betahedge cache import DIR', "
            f"or set BETAHEDGE_DATA_DIR to that folder.")


def _classify(ticker: str, obs: _Observer, fallback: str) -> DataError:
    mine = [e for e in obs.events if e.ticker == ticker]
    err = next((e.error for e in mine if e.error is not None), None)
    if err is not None:
        return _offline(ticker, err)
    if any(e.status == 429 for e in mine):
        return RateLimitError(f"{ticker}: Yahoo is rate-limiting requests (HTTP 429)")
    unknown = next((e for e in mine if e.status == 404 or e.detail), None)
    if unknown is not None:
        why = f" ({unknown.detail})" if unknown.detail else ""
        return UnknownTickerError(f"{ticker}: Yahoo has no such ticker{why}")
    bad = next((e.bad for e in mine if e.bad), "")
    if bad:
        return DataError(f"{ticker}: Yahoo's answer was not price data ({bad})")
    server = next((e.status for e in mine if e.status is not None and e.status >= 500), None)
    if server is not None:
        down = OfflineError(f"{ticker}: Yahoo is unavailable (HTTP {server})")
        down.__cause__ = _YahooDown(f"HTTP {server}")
        return down
    if not mine and obs.dead is not None:
        return _offline(ticker, obs.dead)
    return DataError(f"{ticker}: Yahoo returned no prices ({fallback})")
