"""Yahoo through yfinance, offline: saved chart-API responses replayed by a fake transport.

The fake is a curl_cffi ``Session`` whose ``request`` answers from ``tests/fixtures/yahoo``; it
is handed to yfinance as its session, so yfinance's own cookie/crumb logic, URL building, JSON
parsing, adjustment and multi-ticker assembly all run. It satisfies the cookie/crumb dance:
``fc.yahoo.com`` answers (no cookie), ``getcrumb`` returns a crumb, consent pages 404.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.data import clear_memory, fetch_prices, load_prices, store_summary
from betahedge_xl.data import prices as prices_mod
from betahedge_xl.data import yahoo
from betahedge_xl.exceptions import (
    DataWarning,
    OfflineError,
    RateLimitError,
    StaleDataWarning,
    UnknownTickerError,
)

FIX = Path(__file__).parent / "fixtures" / "yahoo"

curl_requests = pytest.importorskip("curl_cffi.requests")
from curl_cffi.requests import Response  # noqa: E402
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError  # noqa: E402


class FakeYahooSession(curl_requests.Session):  # type: ignore[misc,name-defined]
    """Answers yfinance's requests from saved responses.

    ``behaviour[ticker]``: ``"ok"`` (default: ``<T>.json`` if saved, else Yahoo's 404 body),
    ``"429"``, ``"503"`` (Yahoo down), ``"reset"`` (connection reset mid-request); for the history request only, answers
    with status 200 that are not a chart: ``"truncated"`` (the JSON cut in the middle),
    ``"html"`` (a web page), ``"empty"`` (a chart without a result); and ``"dup"``: the bar of
    ``DUP_DAY`` sent twice, the second time (later the same day) at ``DUP_FACTOR`` times the
    price. ``readjust[ticker] = (day, factor)``: a new dividend on ``day`` has rescaled every
    adjusted close before it by ``factor``. ``dead=True``: nothing connects.
    """

    DUP_DAY, DUP_FACTOR = pd.Timestamp("2020-01-15"), 1.1

    def __init__(self) -> None:
        super().__init__()
        self.behaviour: dict[str, str] = {}
        self.readjust: dict[str, tuple[str, float]] = {}
        #: when set, chart requests wait for it (a slow Yahoo, released by the test)
        self.gate: threading.Event | None = None
        self.dead = False
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def chart_calls(self, ticker: str | None = None, history: bool = True) -> list[dict[str, Any]]:
        """Chart requests (``history``: with period1/period2, not yfinance's tz probe)."""
        out = []
        for url, params in self.calls:
            if "/finance/chart/" not in url:
                continue
            if ticker is not None and not url.endswith("/" + ticker):
                continue
            if history == ("period1" in params):
                out.append(params)
        return out

    def request(self, method: str, url: str, params: Any = None, **kw: Any) -> Response:
        with self._lock:
            self.calls.append((url, dict(params or {})))
        if self.dead:  # libcurl 8's text, as curl_cffi passes it on
            raise CurlConnectionError(
                f"Failed to perform, curl: (7) Failed to connect to {urlsplit(url).hostname} "
                f"port 443 after 2 ms: Couldn't connect to server. See "
                f"https://curl.se/libcurl/c/libcurl-errors.html first for more details.", 7)
        path = unquote(urlsplit(url).path)
        if path.endswith("/getcrumb"):
            return self._resp(url, 200, b"fake-crumb")
        if "/finance/chart/" not in path:
            # fc.yahoo.com, consent pages, quoteSummary (yfinance's tz fallback): nothing here
            body = (FIX / "quote_not_found.json").read_bytes() if "finance" in path else b""
            return self._resp(url, 404, body)
        ticker = path.rsplit("/", 1)[1]
        if self.gate is not None:
            self.gate.wait(10)
        b = self.behaviour.get(ticker, "ok")
        if b == "reset":
            raise CurlConnectionError("Failed to perform, curl: (56) Connection reset by peer",
                                      56)
        if b == "429":
            return self._resp(url, 429, (FIX / "too_many_requests.txt").read_bytes())
        if b == "503":
            return self._resp(url, 503, b"", "text/html")
        file = FIX / f"{ticker}.json"
        if not file.exists():
            return self._resp(url, 404, (FIX / "not_found.json").read_bytes())
        data = json.loads(file.read_text())
        p = params or {}
        if "period1" in p and b in ("truncated", "html", "empty"):
            if b == "truncated":
                text = json.dumps(data).encode()
                return self._resp(url, 200, text[: len(text) // 2])
            if b == "html":
                return self._resp(url, 200, (FIX / "html_page.html").read_bytes(), "text/html")
            return self._resp(url, 200, (FIX / "empty_result.json").read_bytes())
        r = data["chart"]["result"][0]
        if ticker in self.readjust:
            day, factor = self.readjust[ticker]
            cut = pd.Timestamp(day, tz="America/New_York").timestamp()
            a = r["indicators"]["adjclose"][0]
            a["adjclose"] = [None if v is None else v * factor if s < cut else v
                             for s, v in zip(r["timestamp"], a["adjclose"])]
        if "period1" in p and b == "dup":
            stamp = pd.Timestamp(self.DUP_DAY, tz="America/New_York").timestamp()
            i = next(i for i, s in enumerate(r["timestamp"]) if s >= stamp)
            r["timestamp"].insert(i + 1, r["timestamp"][i] + 5 * 3600)  # 14:30, same day
            q = r["indicators"]["quote"][0]
            for k in q:
                q[k].insert(i + 1, q[k][i] if k == "volume" else q[k][i] * self.DUP_FACTOR)
            a = r["indicators"]["adjclose"][0]
            a["adjclose"].insert(i + 1, a["adjclose"][i] * self.DUP_FACTOR)
        if "period1" in p:  # Yahoo answers only the bars in [period1, period2)
            keep = [i for i, s in enumerate(r["timestamp"])
                    if int(p["period1"]) <= s < int(p["period2"])]
            r["timestamp"] = [r["timestamp"][i] for i in keep]
            q = r["indicators"]["quote"][0]
            for k in q:
                q[k] = [q[k][i] for i in keep]
            a = r["indicators"]["adjclose"][0]
            a["adjclose"] = [a["adjclose"][i] for i in keep]
            if b == "half":  # a short answer: the first half of the bars asked for
                n = len(r["timestamp"]) // 2
                r["timestamp"] = r["timestamp"][:n]
                for k in q:
                    q[k] = q[k][:n]
                a["adjclose"] = a["adjclose"][:n]
            if b == "nulls":  # every bar there, every price null
                for k in q:
                    q[k] = [None] * len(q[k])
                a["adjclose"] = [None] * len(a["adjclose"])
        return self._resp(url, 200, json.dumps(data).encode())

    @staticmethod
    def _resp(url: str, status: int, body: bytes, kind: str = "application/json") -> Response:
        r = Response()
        r.url, r.status_code, r.ok, r.content = url, status, status < 400, body
        r.headers["Content-Type"] = f"{kind};charset=utf-8"
        return r


def _reset_yfinance(cache_dir: Path) -> None:
    """Forget yfinance's process-wide state: singleton YfData (session, cookie, crumb), its
    response cache, the tz/cookie/ISIN caches (pointed at tmp) and the tz-fallback counter."""
    import yfinance as yf
    import yfinance.base as yb
    import yfinance.cache as yc
    from yfinance.data import SingletonMeta, YfData

    with SingletonMeta._lock:
        SingletonMeta._instances.clear()
    YfData.cache_get.cache_clear()
    yf.set_tz_cache_location(str(cache_dir))
    yc._TzCacheManager._tz_cache = None
    yc._CookieCacheManager._Cookie_cache = None
    yc._ISINCacheManager._isin_cache = None
    yb._tz_info_fetch_ctr = 0


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahooSession]:
    _reset_yfinance(tmp_path / "yfinance-cache")
    session = FakeYahooSession()
    monkeypatch.setattr(yahoo, "session_factory", lambda: session)
    monkeypatch.setattr(yahoo, "RATE_LIMIT_DELAYS", (0.01,))
    yahoo.reset()
    yield session
    yahoo.reset()
    _reset_yfinance(tmp_path / "yfinance-cache-after")


def expected(ticker: str) -> pd.Series:
    """Independent read of a saved response: adjclose by New York date, nulls dropped."""
    r = json.loads((FIX / f"{ticker}.json").read_text())["chart"]["result"][0]
    days = (pd.to_datetime(r["timestamp"], unit="s", utc=True).tz_convert("America/New_York")
            .tz_localize(None).normalize().as_unit("ns"))
    s = pd.Series(r["indicators"]["adjclose"][0]["adjclose"], index=days, dtype=float)
    return s.dropna()


START, END = "2020-01-01", "2020-03-01"


def test_success_reads_adjclose_through_yfinance(fake: FakeYahooSession) -> None:
    ps = load_prices(["aaa", "BBB"], START, END)
    assert ps.source == "yahoo" and not ps.stale and not ps.errors
    assert list(ps.prices.columns) == ["AAA", "BBB"]
    assert ps.prices.index.name == "Date" and ps.prices.index.tz is None
    for t in ("AAA", "BBB"):
        want = expected(t)
        want = want[(want.index >= START) & (want.index < END)]
        got = ps.prices[t].dropna()
        pd.testing.assert_series_equal(got, want, check_names=False, check_freq=False)
    # AAA's adjclose, not its close: 0.98 x close before the 2020-02-03 dividend
    raw = json.loads((FIX / "AAA.json").read_text())["chart"]["result"][0]
    assert ps.prices["AAA"].iloc[0] == pytest.approx(0.98 * raw["indicators"]["quote"][0]
                                                     ["close"][0])
    # one batched download: one history request per ticker
    assert len(fake.chart_calls("AAA")) == 1 and len(fake.chart_calls("BBB")) == 1
    # BBB's null bar is missing, so that date is dropped by alignment
    assert ps.quality.tickers["BBB"].absent == 1
    assert ps.quality.dropped_rows == 1
    aligned = fetch_prices("AAA BBB", START, END)
    assert len(aligned) == len(ps.prices) - 1 and not aligned.isna().any().any()


def test_yfinance_loads_only_when_yahoo_is_used() -> None:
    import subprocess

    code = ("import sys, betahedge_xl.data as d; import betahedge_xl; "
            "betahedge_xl.fetch_prices; "
            "print(any(m in sys.modules for m in ('yfinance', 'curl_cffi', 'scipy', "
            "'statsmodels', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_unknown_ticker_alone_raises(fake: FakeYahooSession) -> None:
    with pytest.raises(UnknownTickerError,
                       match=r"^ZZZZ: Yahoo has no such ticker \(No data found, symbol may be "
                             r"delisted\)$"):
        load_prices("ZZZZ", START, END)


def test_partial_failure_warns_per_ticker(fake: FakeYahooSession) -> None:
    fake.behaviour["CCC"] = "reset"
    with pytest.warns(DataWarning) as rec:
        ps = load_prices(["AAA", "ZZZZ", "CCC"], START, END)
    msgs = [str(w.message) for w in rec]
    assert "ZZZZ: Yahoo has no such ticker (No data found, symbol may be delisted)" in msgs
    assert "CCC: could not reach Yahoo (curl error 56: Connection reset by peer)" in msgs
    assert ps.prices["AAA"].notna().sum() == len(expected("AAA").loc[START:"2020-02-29"])
    assert ps.prices["ZZZZ"].isna().all() and ps.prices["CCC"].isna().all()
    assert isinstance(ps.errors["ZZZZ"], UnknownTickerError)
    assert isinstance(ps.errors["CCC"], OfflineError)
    with pytest.raises(UnknownTickerError, match="^ZZZZ: Yahoo has no such ticker"):
        ps.aligned()


def test_rate_limit_backs_off_then_cools_down(fake: FakeYahooSession) -> None:
    fake.behaviour["AAA"] = "429"
    with pytest.raises(RateLimitError, match=r"^AAA: Yahoo is rate-limiting requests \(HTTP 429\)$"):
        load_prices("AAA", START, END)
    # first try plus one retry (RATE_LIMIT_DELAYS has one entry), then no more
    tries = len(fake.chart_calls("AAA", history=False))
    assert tries >= 2
    n = len(fake.calls)
    t0 = time.monotonic()
    with pytest.raises(RateLimitError, match=r"^AAA: Yahoo is rate-limiting requests; not asking "
                                             r"again for \d+ s$"):
        load_prices("AAA", START, "2020-02-01")
    assert len(fake.calls) == n and time.monotonic() - t0 < 0.5


def test_dead_network_fails_fast_with_nothing_stored(fake: FakeYahooSession) -> None:
    fake.dead = True
    t0 = time.monotonic()
    with pytest.raises(OfflineError, match=r"^Yahoo could not be reached .* for AAA, BBB\."):
        load_prices(["AAA", "BBB"], START, END)
    assert time.monotonic() - t0 < 5
    # the breaker: after the first failure no request waits for the network again
    assert len(fake.calls) <= 12


def test_store_serves_repeat_and_fetches_only_missing(fake: FakeYahooSession) -> None:
    load_prices(["AAA", "BBB"], "2020-01-01", "2020-02-01")
    first = len(fake.chart_calls())
    clear_memory()  # a new process: memo gone, store kept
    again = load_prices(["AAA", "BBB"], "2020-01-06", "2020-01-25")
    assert again.source == "store" and len(fake.chart_calls()) == first
    # a window that ends on a weekend is covered too: not fetched again
    clear_memory()
    load_prices("AAA", "2020-01-02", "2020-01-19")
    assert len(fake.chart_calls()) == first
    clear_memory()
    more = load_prices(["AAA"], "2020-01-01", "2020-03-01")
    new = fake.chart_calls("AAA")[-1]
    # only what was never asked for: the first download covered to 2020-02-01 plus its
    # OVERLAP_DAYS margin; the new one starts that margin before the first missing date
    margin = pd.Timedelta(days=prices_mod.OVERLAP_DAYS)
    p1 = pd.Timestamp(int(new["period1"]), unit="s", tz="UTC").tz_convert("America/New_York")
    assert p1.tz_localize(None) == pd.Timestamp("2020-02-01") + margin - margin
    assert more.source == "yahoo"
    want = expected("AAA").loc["2020-01-01":"2020-02-29"]
    pd.testing.assert_series_equal(more.prices["AAA"].dropna(), want, check_names=False,
                                   check_freq=False)
    summary = store_summary().set_index("ticker")
    # stored: everything fetched, margins included (to 2020-03-01 + OVERLAP_DAYS, exclusive)
    assert summary.loc["AAA", "rows"] == len(expected("AAA").loc[: "2020-03-10"])
    assert summary.loc["AAA", "last"] == pd.Timestamp("2020-03-10")


def test_memo_touches_neither_disk_nor_network(fake: FakeYahooSession) -> None:
    a = load_prices(["AAA", "BBB"], START, END)
    calls, loads = len(fake.calls), prices_mod.loads
    b = load_prices(["AAA", "BBB"], START, END)
    assert len(fake.calls) == calls and prices_mod.loads == loads
    pd.testing.assert_frame_equal(a.prices, b.prices)
    b.prices.iloc[0, 0] = -1.0  # callers get copies: the memo is not changed
    assert load_prices(["AAA", "BBB"], START, END).prices.iloc[0, 0] == a.prices.iloc[0, 0]


def test_many_threads_one_fetch(fake: FakeYahooSession) -> None:
    results: list[pd.DataFrame] = []
    barrier = threading.Barrier(12)

    def ask() -> None:
        barrier.wait()
        results.append(load_prices(["AAA", "BBB"], START, END).prices)

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12
    assert len(fake.chart_calls("AAA")) == 1 and len(fake.chart_calls("BBB")) == 1
    for r in results[1:]:
        pd.testing.assert_frame_equal(r, results[0])


def test_offline_serves_stored_prices_as_stale(fake: FakeYahooSession) -> None:
    load_prices(["AAA", "BBB"], "2020-01-01", "2020-02-01")
    clear_memory()
    fake.dead = True
    with pytest.warns(StaleDataWarning,
                      match=r"^AAA: could not reach Yahoo .*; using prices stored "
                            r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \(to 2020-02-10\); BBB: "):
        ps = load_prices(["AAA", "BBB"], "2020-01-01", "2020-03-01")
    assert ps.stale and ps.source == "store" and "using prices stored" in ps.stale_message
    # what was stored: the first window plus its OVERLAP_DAYS margin (to 2020-02-10)
    assert ps.prices.index[-1] == pd.Timestamp("2020-02-10")
    # the window is shorter than asked, and the report says so
    assert any(m.startswith("AAA: prices end 2020-02-10") for m in ps.quality.messages())


def test_readjusted_history_is_not_joined_to_old_basis(fake: FakeYahooSession,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # January stored on an old basis (all prices x 1.05); February fetched on the new one
    from betahedge_xl.data.store import get_store, to_day

    old = expected("AAA").loc["2020-01-01":"2020-01-31"] * 1.05
    get_store().write("AAA", old, (to_day(pd.Timestamp("2020-01-01")),
                                   to_day(pd.Timestamp("2020-02-01"))), "yahoo",
                      pd.Timestamp("2020-02-01", tz="UTC"))
    ps = load_prices("AAA", "2020-01-01", "2020-03-01")
    r = ps.prices["AAA"].pct_change().dropna()
    want = expected("AAA").loc["2020-01-01":"2020-02-29"].pct_change().dropna()
    np.testing.assert_allclose(r.to_numpy(), want.to_numpy(), rtol=1e-9)
    # January was rescaled by the ratio on the shared dates (1 / 1.05), not dropped: only
    # February's missing range (with its overlap margin) was asked of Yahoo
    assert get_store().rebased == 0
    pd.testing.assert_series_equal(ps.prices["AAA"].dropna(),
                                   expected("AAA").loc["2020-01-01":"2020-02-29"],
                                   check_names=False, check_freq=False, rtol=1e-12)
    assert len(fake.chart_calls("AAA")) == 1


# ---------------------------------------------------------------------------------------------
# Yahoo's bad days
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault, why", [("truncated", "not valid JSON"),
                                        ("html", "a web page"),
                                        ("empty", "no chart in it")])
def test_an_answer_that_is_not_a_chart_is_a_failed_fetch(fake: FakeYahooSession, fault: str,
                                                         why: str) -> None:
    from betahedge_xl.data.store import get_store
    from betahedge_xl.exceptions import DataError

    fake.behaviour["AAA"] = fault
    with pytest.raises(DataError, match=rf"^AAA: Yahoo's answer was not price data \({why}\)$"):
        load_prices("AAA", START, END)
    # partial: BBB is served, AAA reported as failed
    with pytest.warns(DataWarning, match=r"^AAA: Yahoo's answer was not price data"):
        ps = load_prices(["AAA", "BBB"], START, "2020-02-15")
    assert ps.prices["AAA"].isna().all() and ps.prices["BBB"].notna().sum() > 20
    # nothing recorded as covered for AAA: the next request asks Yahoo again, and gets prices
    assert get_store().coverage("AAA") == [] and "AAA" not in set(store_summary()["ticker"])
    fake.behaviour["AAA"] = "ok"
    n = len(fake.chart_calls("AAA"))
    got = load_prices("AAA", START, END).prices["AAA"]
    assert len(fake.chart_calls("AAA")) == n + 1
    pd.testing.assert_series_equal(got.dropna(), expected("AAA").loc[START:"2020-02-29"],
                                   check_names=False, check_freq=False)


def test_a_bar_repeated_with_another_price_keeps_the_last_and_warns(
        fake: FakeYahooSession, tmp_path: Path) -> None:
    fake.behaviour["AAA"] = "dup"
    day, factor = fake.DUP_DAY, fake.DUP_FACTOR
    with pytest.warns(DataWarning) as rec:
        yahoo_ps = load_prices("AAA", START, END)
    note = "AAA: 1 date(s) repeated in Yahoo's answer; kept the last row of each"
    assert [str(w.message) for w in rec].count(note) == 1
    # a note of the prices, so every face shows it (Excel's "Data warnings" row too), also
    # when the memo answers again
    assert note in yahoo_ps.messages() and note in load_prices("AAA", START, END).messages()
    from betahedge_xl.excel import hedge

    assert note in hedge("AAA", "BBB", START, END, refresh=True).warnings
    want = expected("AAA").loc[START:"2020-02-29"].copy()
    want[day] *= factor  # the later bar of that day
    got = yahoo_ps.prices["AAA"].dropna()
    pd.testing.assert_series_equal(got, want, check_names=False, check_freq=False)
    # the rule of the CSV path, word for word apart from where: same choice, same warning
    from betahedge_xl.data.csvdir import read_price_csv

    # file: the day's first bar (the old price), then its second (the new), as Yahoo sent them
    lines = ["Date,Adj Close"] + [f"{d:%Y-%m-%d},{float(v)!r}" for d, v in want.items() if d != day]
    lines.insert(1 + int((want.index < day).sum()), f"{day:%Y-%m-%d},{float(want[day] / factor)!r}")
    lines.insert(2 + int((want.index < day).sum()), f"{day:%Y-%m-%d},{float(want[day])!r}")
    (tmp_path / "AAA.csv").write_text("\n".join(lines) + "\n")
    with pytest.warns(DataWarning, match=r"^AAA: 1 date\(s\) repeated in AAA.csv; kept the last"):
        csv = read_price_csv(tmp_path / "AAA.csv", "AAA")
    pd.testing.assert_series_equal(csv.set_axis(csv.index.as_unit("ns")), got,
                                   check_names=False, check_freq=False)
    # what was stored is the kept bar: a later request from the store gives the same
    clear_memory()
    again = load_prices("AAA", START, END)
    assert again.source == "store" and again.prices["AAA"][day] == want[day]


def test_readjustment_seen_in_one_long_running_process(fake: FakeYahooSession) -> None:
    # Excel's process: January fetched; then a dividend on 2020-02-20 rescales all of AAA's
    # adjusted history before it; February is asked for in the same process. The new answer
    # overlaps January on another basis (it must come from Yahoo, not from yfinance's memory
    # of an answer), so the stored January is rescaled to it, not fetched again.
    load_prices("AAA", "2020-01-01", "2020-02-01")
    fake.readjust["AAA"] = ("2020-02-20", 0.97)
    ps = load_prices("AAA", "2020-01-01", "2020-03-01")
    want = expected("AAA").loc["2020-01-01":"2020-02-29"]
    want = want.where(want.index >= "2020-02-20", want * 0.97)
    pd.testing.assert_series_equal(ps.prices["AAA"].dropna(), want, check_names=False,
                                   check_freq=False, rtol=1e-12)
    assert ps.quality.tickers["AAA"].rows == len(want)
    # two downloads, each of a different window: January was not asked again
    calls = fake.chart_calls("AAA")
    assert len(calls) == 2 and calls[0] != calls[1]


def _csv_folder(folder: Path, series: dict[str, pd.Series]) -> Path:
    folder.mkdir()
    for t, s in series.items():
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Adj Close": s.to_numpy()}).to_csv(
            folder / f"{t}.csv", index=False)
    return folder


def test_window_starting_on_a_closed_day_before_the_first_stored_day_stays_offline(
        fake: FakeYahooSession, tmp_path: Path) -> None:
    from betahedge_xl.data import import_csv_dir

    aaa = expected("AAA").loc["2020-01-06":"2020-02-28"]  # Monday to Friday
    bbb = expected("BBB").loc["2020-01-02":"2020-02-28"]  # from the first trading day of 2020
    import_csv_dir(_csv_folder(tmp_path / "csv", {"AAA": aaa, "BBB": bbb}))
    fake.dead = True  # any request would fail: the store must answer alone
    # Saturday 2020-01-04 and Sunday 2020-03-01 around what is stored
    ps = load_prices("AAA", "2020-01-04", "2020-03-01")
    assert ps.source == "store" and not ps.stale and not fake.calls
    pd.testing.assert_series_equal(ps.prices["AAA"], aaa, check_names=False, check_freq=False)
    # New Year's Day, a holiday on every exchange, before the first stored day
    ps = load_prices("BBB", "2020-01-01", "2020-02-29")
    assert ps.source == "store" and not fake.calls
    # a weekday before the first stored day is still asked for
    with pytest.warns(StaleDataWarning, match="^AAA: could not reach Yahoo"):
        load_prices("AAA", "2020-01-03", "2020-02-01")
    assert fake.calls


def test_weekend_gap_of_a_ticker_that_trades_at_weekends_is_asked_for(
        fake: FakeYahooSession, tmp_path: Path) -> None:
    from betahedge_xl.data import import_csv_dir

    days = pd.date_range("2020-01-06", "2020-02-28")  # every day, weekends too: a crypto coin
    coin = pd.Series(np.linspace(7000.0, 9000.0, len(days)), index=days)
    import_csv_dir(_csv_folder(tmp_path / "csv", {"COIN": coin}))
    fake.dead = True
    with pytest.warns(StaleDataWarning, match="^COIN: could not reach Yahoo"):
        load_prices("COIN", "2020-01-04", "2020-02-01")
    assert fake.calls


OFFLINE = (r"^Yahoo could not be reached \(curl error 7: cannot connect\) and nothing is stored "
           r"for {}\. To work offline, store a folder of <TICKER>\.csv files with 'betahedge cache import DIR', or set "
           r"BETAHEDGE_DATA_DIR to that folder\.$")


def test_offline_with_nothing_stored_is_one_short_message(fake: FakeYahooSession) -> None:
    import betahedge_xl as bh

    fake.dead = True
    with pytest.raises(OfflineError) as info:  # the README's first example
        bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")
    text = str(info.value)
    assert re.match(OFFLINE.format("TSLA, SPY"), text), text
    assert "\n" not in text and "http" not in text and len(text) < 240
    # many tickers: named up to a few, then counted
    with pytest.raises(OfflineError) as info:
        load_prices([f"T{i}" for i in range(40)], START, END)
    assert re.match(OFFLINE.format("T0, T1, T2, T3, T4 and 35 more"), str(info.value))
    # and in the cool-down that follows, the same message
    with pytest.raises(OfflineError, match=OFFLINE.format("AAA")):
        load_prices("AAA", START, END)


def test_yahoo_down_with_nothing_stored_says_so_in_one_line(fake: FakeYahooSession) -> None:
    fake.behaviour["AAA"] = fake.behaviour["BBB"] = "503"
    down = OFFLINE.replace(r"curl error 7: cannot connect", "HTTP 503")
    with pytest.raises(OfflineError, match=down.format("AAA, BBB")):
        load_prices(["AAA", "BBB"], START, END)


def test_offline_with_one_ticker_stored_names_the_other(fake: FakeYahooSession) -> None:
    load_prices("AAA", START, END)
    clear_memory()
    fake.dead = True
    with pytest.warns(DataWarning) as rec:  # AAA is stored for the window: no need to ask
        ps = load_prices(["AAA", "BBB"], START, END)
    assert len(rec) == 1 and re.match(OFFLINE.format("BBB"), str(rec[0].message))
    assert ps.prices["AAA"].notna().sum() == len(expected("AAA").loc[START:"2020-02-29"])
    with pytest.raises(OfflineError, match=OFFLINE.format("BBB")):
        ps.aligned()


def test_offline_on_the_command_line_is_one_line(fake: FakeYahooSession,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from betahedge_xl import cli

    fake.dead = True
    status = cli.main(["analyze", "TSLA", "SPY", "--start", "2014-01-01", "--end", "2015-01-01"])
    err = capsys.readouterr().err.splitlines()
    assert status == OfflineError.exit_code
    problems = [line for line in err if line.startswith("betahedge: ")]
    assert len(problems) == 1, err
    assert re.match(OFFLINE.format("TSLA, SPY").replace("^", "^betahedge: error: "), problems[0])


# ---------------------------------------------------------------------------------------------
# progress of a long download
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def slow(fake: FakeYahooSession, monkeypatch: pytest.MonkeyPatch) -> FakeYahooSession:
    """Yahoo answers only once the download's progress has been reported a first time."""
    monkeypatch.setattr(yahoo, "PROGRESS_SECONDS", 0.01)
    fake.gate = threading.Event()
    return fake


def test_download_reports_progress_on_the_calling_thread(slow: FakeYahooSession) -> None:
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total, threading.get_ident()))
        assert slow.gate is not None
        slow.gate.set()

    names = ["AAA", "BBB"] + [f"ZZ{i}" for i in range(10)]  # ten unknown to Yahoo
    with pytest.warns(DataWarning), yahoo.report_progress(progress):
        ps = load_prices(names, START, END)
    assert ps.prices["AAA"].notna().any() and set(ps.errors) == set(names[2:])
    assert seen[0][:2] == (0, 12) and seen[-1][:2] == (12, 12)
    dones = [d for d, _, _ in seen]
    assert dones == sorted(dones) and {t for _, t, _ in seen} == {12}
    # where Excel's COM objects live: the thread that asked
    assert {i for _, _, i in seen} == {threading.get_ident()}
    # outside the block, nothing is reported
    seen.clear()
    load_prices("AAA", "2020-02-01", END)
    assert seen == []


def test_command_line_shows_yahoo_progress_on_stderr(slow: FakeYahooSession) -> None:
    import contextlib

    from betahedge_xl import cli

    assert slow.gate is not None
    opened = slow.gate  # the first progress line on stderr lets Yahoo answer

    class Err:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def write(self, text: str) -> int:
            self.lines.append(text)
            if "Prices from Yahoo" in text:
                opened.set()
            return len(text)

        def flush(self) -> None:
            pass

    err = Err()
    with contextlib.redirect_stderr(err):  # type: ignore[type-var]
        status = cli.main(["analyze", "AAA", "BBB", "--start", START, "--end", END])
    text = "".join(err.lines)
    assert status == 0, text
    assert "Prices from Yahoo: 0 of 2 tickers\n" in text
    assert "Prices from Yahoo: 2 of 2 tickers\n" in text


@pytest.mark.parametrize("engine", ["windows", "mac"])
def test_refresh_shows_yahoo_progress_in_the_status_bar(slow: FakeYahooSession,
                                                        engine: str) -> None:
    from betahedge_xl.excel import inputs as inp
    from betahedge_xl.excel import refresh as rf
    from xlwings_engines import excel_model, xlwings_book

    gate = slow.gate
    assert gate is not None
    slow.gate = None
    with xlwings_book(engine) as book:
        # The example block (a refresh that stops adds nothing, and TSLA, SPY are not in the
        # fixtures), then this test's tickers in it.
        rf.add_inputs(book)
        block = book.names[inp.INPUTS_NAME].refers_to_range
        keys = [f.key for f in inp.FIELDS]
        sheet = book.sheets[inp.INPUTS_SHEET]
        for key, value in (("asset", "AAA"), ("benchmark", "BBB"), ("start", START),
                           ("end", END)):
            sheet.range((block.row + keys.index(key), block.column + 1)).value = value
        app = excel_model(book).app
        shown = app.set_status

        def show(value: object) -> None:  # Excel's status bar, opening Yahoo's gate at the
            if "Yahoo" in str(value):     # first progress shown
                gate.set()
            shown(value)

        app.set_status = show  # type: ignore[method-assign]
        slow.gate = gate
        history = app.status_history
        history.clear()
        message = rf.refresh(book)
        assert message.startswith("AAA on BBB"), message
        assert "BetaHedge: prices from Yahoo: 0 of 2 tickers" in history
        assert "BetaHedge: prices from Yahoo: 2 of 2 tickers" in history
        assert history[-1] is False


def test_repeated_fetch_prices_keeps_its_aligned_frame_and_hands_out_copies(
        fake: FakeYahooSession, monkeypatch: pytest.MonkeyPatch) -> None:
    first = fetch_prices(["AAA", "BBB"], START, END)
    want = pd.concat([expected("AAA"), expected("BBB")], axis=1, join="inner")
    want = want[(want.index >= START) & (want.index < END)]
    np.testing.assert_array_equal(first.to_numpy(), want.to_numpy())
    # the aligned frame is kept with the memo: a repeat builds nothing again
    built: list[int] = []
    real = pd.DataFrame.dropna

    def counting(self: pd.DataFrame, *a: Any, **k: Any) -> Any:
        built.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "dropna", counting)
    second = fetch_prices(["AAA", "BBB"], START, END)
    assert built == []
    # ... and what a caller got is theirs: changing it changes no later answer
    first.iloc[0, 0] = -1.0
    second.iloc[:, 1] = 0.0
    second["extra"] = 1.0
    third = fetch_prices(["AAA", "BBB"], START, END)
    np.testing.assert_array_equal(third.to_numpy(), want.to_numpy())
    np.testing.assert_array_equal(load_prices(["AAA", "BBB"], START, END).aligned().to_numpy(),
                                  want.to_numpy())


def test_a_failing_progress_display_does_not_stop_the_download(slow: FakeYahooSession) -> None:
    calls: list[int] = []

    def broken(done: int, total: int) -> None:  # a status bar Excel refuses (a modal dialog)
        calls.append(done)
        assert slow.gate is not None
        slow.gate.set()
        raise RuntimeError("Call was rejected by callee.")

    with yahoo.report_progress(broken):
        ps = load_prices(["AAA", "BBB"], START, END)
    assert calls == [0] and ps.prices.notna().any().all()
