"""Store and price-loading behaviours that small code changes used to break unnoticed (issue 25).

Written against the public faces (``PriceStore``'s methods, ``get_store``, ``load_prices``),
not the store's layout. Yahoo is the saved-response fake of ``test_data_yahoo``; time is a
``Clock`` the test drives through "today" (the wall clock of ``prices._now`` and the monotonic
clock the memo's expiry reads), never a sleep.

Changes judged equivalent (no test can tell them apart, so none is written):

- ``PriceStore._write``: ``_is_busy(exc) or`` dropped from the "raise, do not go to memory"
  test. Busy and locked (SQLite codes 5 and 6) are not in ``_UNWRITABLE``, so the next clause
  raises the same busy error; ``test_store_held_by_another_process_is_busy_never_set_aside``
  checks that outcome.
- ``PriceStore._set_aside``: ``"-wal"`` or ``"-journal"`` dropped from the side files moved
  with a damaged store. SQLite itself deletes (or replays and deletes) the WAL and journal of
  a file when the connection that found it damaged closes, before the store is set aside: no
  reproducible state leaves one behind (tried: a garbage file, and a foreign WAL database
  copied with its WAL). The ``-shm`` file stays, and the test above moves it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_data_yahoo import FakeYahooSession, expected, fake  # noqa: F401

from betahedge_xl.data import clear_memory, load_prices
from betahedge_xl.data import prices as prices_mod
from betahedge_xl.data.csvdir import CsvDir
from betahedge_xl.data.quality import assess
from betahedge_xl.data.store import PriceStore, from_day, get_store, to_day
from betahedge_xl.exceptions import DataWarning, StaleDataWarning, StoreWarning

D = to_day


def series(dates: list[str], values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.to_datetime(dates), dtype=float)


@pytest.fixture
def store() -> PriceStore:
    return PriceStore(":memory:")


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
def test_coverage_given_out_of_order_and_adjacent_is_one_sorted_range(store):
    """Ranges merged without sorting, or adjacent ranges not joined: dates already asked of
    Yahoo asked again."""
    s = series(["2020-01-02"], [1.0])
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    store.write("AAA", s, (D("2020-03-01"), D("2020-04-01")), "yahoo", t0)
    store.write("AAA", s, (D("2020-01-01"), D("2020-02-01")), "yahoo", t0)
    assert store.coverage("AAA") == [(D("2020-01-01"), D("2020-02-01")),
                                     (D("2020-03-01"), D("2020-04-01"))]
    assert store.missing("AAA", D("2020-01-15"), D("2020-03-15")) == [
        (D("2020-02-01"), D("2020-03-01"))]
    store.write("AAA", s, (D("2020-02-01"), D("2020-03-01")), "yahoo", t0)  # fills the hole
    assert store.coverage("AAA") == [(D("2020-01-01"), D("2020-04-01"))]
    assert store.missing("AAA", D("2020-01-01"), D("2020-04-01")) == []


def test_write_sorts_dates_and_keeps_the_last_price_of_a_date_given_twice(store):
    s = series(["2020-01-03", "2020-01-02", "2020-01-06", "2020-01-03"], [3.0, 2.0, 6.0, 3.5])
    n = store.write("AAA", s, None, "csv", pd.Timestamp("2024-01-01", tz="UTC"))
    got = store.read(["AAA"])["AAA"]
    assert n == 3
    assert list(got.index) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"]))
    assert list(got) == [2.0, 3.5, 6.0]


def test_fetched_at_of_a_merged_range_is_its_newest_fetch(store):
    """Coverage age from the oldest fetch: stale warnings for data fetched a minute ago."""
    old, new = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-06-01", tz="UTC")
    store.write("AAA", series(["2020-01-02"], [1.0]), (D("2020-01-01"), D("2020-02-01")),
                "yahoo", old)
    store.write("AAA", series(["2020-01-21"], [1.0]), (D("2020-01-20"), D("2020-03-01")),
                "yahoo", new)
    assert store.coverage("AAA") == [(D("2020-01-01"), D("2020-03-01"))]
    assert store.fetched_at("AAA") == new
    summary = store.summary().set_index("ticker")
    assert pd.Timestamp(summary.loc["AAA", "fetched_at"]) == new


def test_coverage_given_as_numpy_integers_is_stored_as_numbers(tmp_path):
    """``int(c)`` or ``int(d)`` dropped from the coverage merge: ``merge`` takes spans of numpy
    integers (a span, or an array of them), and sqlite3 binds a numpy integer, which is no
    Python int, by its buffer as an 8-byte BLOB. The next coverage read then compared bytes
    with an int (a TypeError at every later load of the ticker) instead of serving the dates
    already asked for."""
    path = tmp_path / "prices.sqlite"
    s = series(["2020-01-02", "2020-03-02"], [1.0, 2.0])
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    st = PriceStore(path)
    st.merge("AAA", s, (np.int64(D("2020-01-01")), np.int64(D("2020-02-01"))), "yahoo", t0)
    st.merge("BBB", s, np.array([[D("2020-01-01"), D("2020-02-01")],
                                 [D("2020-03-01"), D("2020-04-01")]]), "yahoo", t0)
    st.write("AAA", s, (D("2020-02-01"), D("2020-03-01")), "yahoo", t0)  # joins the first
    for store in (st, PriceStore(path)):  # as written, and as read back from the file
        assert store.coverage("AAA") == [(D("2020-01-01"), D("2020-03-01"))]
        assert store.coverage("BBB") == [(D("2020-01-01"), D("2020-02-01")),
                                         (D("2020-03-01"), D("2020-04-01"))]
        assert store.missing("AAA", D("2020-01-15"), D("2020-03-15")) == [
            (D("2020-03-01"), D("2020-03-15"))]
        assert store.missing("BBB", D("2020-01-01"), D("2020-04-01")) == [
            (D("2020-02-01"), D("2020-03-01"))]
        assert all(type(x) is int
                   for span in store.coverage("AAA") + store.coverage("BBB") for x in span)


def test_reading_more_tickers_than_one_statement_holds_loses_none(store):
    """A chunked read of more than 499 tickers dropped one per chunk."""
    names = [f"T{i:04d}" for i in range(1201)]
    stamp = pd.Timestamp("2024-01-01", tz="UTC")
    for i, t in enumerate(names):
        store.write(t, series(["2020-01-02", "2020-01-03"], [i + 1.0, i + 2.0]), None, "csv",
                    stamp)
    got = store.read(names)
    assert list(got) == names
    assert all(list(got[t]) == [i + 1.0, i + 2.0] for i, t in enumerate(names))


def test_read_window_excludes_its_end_day(store):
    dates = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"]
    store.write("AAA", series(dates, [1.0, 2.0, 3.0, 4.0]), None, "csv",
                pd.Timestamp("2024-01-01", tz="UTC"))
    got = store.read(["AAA"], D("2020-01-03"), D("2020-01-07"))["AAA"]
    assert list(got.index) == list(pd.to_datetime(["2020-01-03", "2020-01-06"]))
    assert list(got) == [2.0, 3.0]


def test_a_store_set_aside_takes_its_side_files_with_it(tmp_path):
    """A store set aside left its side files behind, to be read with the fresh store."""
    path = tmp_path / "prices.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    shm = path.with_name(path.name + "-shm")
    shm.write_bytes(b"old shm bytes")
    with pytest.warns(StoreWarning, match="moved it to"):
        st = PriceStore(path)
    aside = [p for p in tmp_path.iterdir() if ".bad-" in p.name and not p.name.endswith("-shm")]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    assert aside[0].with_name(aside[0].name + "-shm").read_bytes() == b"old shm bytes"
    assert not shm.exists() or shm.read_bytes() != b"old shm bytes"
    st.write("AAA", series(["2020-01-02"], [1.0]), None, "csv",
             pd.Timestamp("2024-01-01", tz="UTC"))
    assert list(st.read(["AAA"])["AAA"]) == [1.0]
    st.close()


def test_get_store_reopens_a_store_file_deleted_under_it(tmp_path):
    """A deleted store file not reopened: writes went into a file no longer on disk."""
    path = tmp_path / "prices.sqlite"
    first = get_store(path)
    first.write("AAA", series(["2020-01-02"], [1.0]), None, "csv",
                pd.Timestamp("2024-01-01", tz="UTC"))
    first.close()
    for p in tmp_path.glob("prices.sqlite*"):
        p.unlink()
    second = get_store(path)
    assert second is not first and path.exists()
    second.write("BBB", series(["2020-01-02"], [2.0]), None, "csv",
                 pd.Timestamp("2024-01-01", tz="UTC"))
    with sqlite3.connect(path) as con:  # what another process would see
        names = {r[0] for r in con.execute("SELECT ticker FROM series")}
    assert names == {"BBB"}


# --------------------------------------------------------------------------------------------
# CSV folder
# --------------------------------------------------------------------------------------------
def test_csv_folder_listing_follows_files_added(tmp_path):
    """The folder listing kept whatever its mtime says (a new file never seen), or listed
    afresh only when not asked to; anything that is not a ``.csv`` file listed as a ticker."""
    folder = tmp_path / "csv"
    folder.mkdir()
    text = "Date,Adj Close\n2020-01-02,10\n2020-01-03,11\n"
    (folder / "AAA.csv").write_text(text)
    cd = CsvDir(folder)
    assert set(cd.by_ticker()) == {"AAA"}
    (folder / "BBB.csv").write_text(text)
    st = os.stat(folder)
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the folder changed
    assert set(cd.by_ticker()) == {"AAA", "BBB"}
    # a file added within the clock's resolution: the mtime does not move
    st = os.stat(folder)
    (folder / "CCC.csv").write_text(text)
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert set(cd.files()) == {"AAA", "BBB", "CCC"}
    assert cd.locate("ccc") == folder / "CCC.csv"
    (folder / "notes.txt").write_text("not prices")
    (folder / "DDD.csv").mkdir()  # a folder named like a file
    (folder / "eee.CSV").write_text(text)
    assert set(cd.by_ticker(fresh=True)) == {"AAA", "BBB", "CCC", "EEE"}
    assert list(cd.read("EEE")[0]) == [10.0, 11.0]


# --------------------------------------------------------------------------------------------
# the memo, driven by a clock
# --------------------------------------------------------------------------------------------
class Clock:
    """UTC wall time and a monotonic count of seconds, moved only by the test."""

    def __init__(self, now: str) -> None:
        self.now = pd.Timestamp(now, tz="UTC")
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += pd.Timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock("2020-02-14 15:00")  # a Friday inside the saved Yahoo responses
    monkeypatch.setattr(prices_mod, "_now", lambda: c.now)
    monkeypatch.setattr(prices_mod, "time", types.SimpleNamespace(monotonic=lambda: c.mono,
                                                                   sleep=time.sleep))
    return c


@pytest.fixture
def csv_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    days = pd.bdate_range("2020-01-01", "2020-02-14")
    for k, t in enumerate(["AAA", "BBB", "CCC"]):
        px = 100 + k + np.arange(len(days), dtype=float)
        pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Adj Close": px}).to_csv(
            folder / f"{t}.csv", index=False)
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    return folder


def loads_of(fn) -> int:
    before = prices_mod.loads
    fn()
    return prices_mod.loads - before


def test_memo_of_a_window_reaching_today_expires_one_closed_before_today_does_not(
        fake: FakeYahooSession, clock: Clock) -> None:  # noqa: F811
    """Memo expiry inverted, or a window ending in the future memoised forever: a
    recalculating sheet served stale prices forever, or went to the store at every call."""
    open_ = lambda: load_prices("AAA", "2020-01-02", "2020-02-15")  # noqa: E731 (holds today)
    closed = lambda: load_prices("AAA", "2020-01-02", "2020-02-14")  # noqa: E731 (ends today)
    assert loads_of(open_) == 1 and loads_of(closed) == 1
    clock.advance(prices_mod.OPEN_TTL - 1)
    assert loads_of(open_) == 0 and loads_of(closed) == 0
    clock.advance(1)  # OPEN_TTL seconds: the last moment it is served
    assert loads_of(open_) == 0
    clock.advance(1)
    assert loads_of(open_) == 1
    assert loads_of(closed) == 0
    clock.advance(365 * 86400)  # a closed window never changes: memoised for good
    assert loads_of(closed) == 0
    # the CSV folder's answers are keyed by the files' size and time: no expiry needed


def test_memo_is_lru_of_its_size(csv_dir, clock, monkeypatch):
    """LRU become FIFO, the size off by one, or the newest evicted."""
    monkeypatch.setattr(prices_mod._MEMO, "size", 2)
    a = lambda: load_prices("AAA", "2020-01-02", "2020-02-01")  # noqa: E731
    b = lambda: load_prices("BBB", "2020-01-02", "2020-02-01")  # noqa: E731
    c = lambda: load_prices("CCC", "2020-01-02", "2020-02-01")  # noqa: E731
    assert loads_of(a) == 1 and loads_of(b) == 1
    assert loads_of(a) == 0          # A is now the most recently used
    assert loads_of(c) == 1          # evicts B, the least recently used
    assert loads_of(a) == 0 and loads_of(c) == 0
    assert loads_of(b) == 1          # B was evicted; loading it evicts A (C used after A)
    assert loads_of(c) == 0 and loads_of(b) == 0
    assert loads_of(a) == 1


def test_refresh_bypasses_the_memo_and_identical_requests_load_once(csv_dir, clock,
                                                                     monkeypatch):
    """The single-flight re-check inverted: ``refresh=True`` answered from the memo, and four
    identical requests at once loaded four times."""
    ask = lambda: load_prices("AAA", "2020-01-02", "2020-02-01")  # noqa: E731
    assert loads_of(ask) == 1
    assert loads_of(lambda: load_prices("AAA", "2020-01-02", "2020-02-01", refresh=True)) == 1
    clear_memory()
    # Four threads miss the memo before the first load ends: the first load waits until all
    # four have looked (a deterministic collision, no sleep).
    real_get = prices_mod._MEMO.get
    misses = threading.Semaphore(0)

    def counting_get(key):
        hit = real_get(key)
        if hit is None:
            misses.release()
        return hit

    real_read = prices_mod.CsvDir.read
    first = threading.Event()

    def slow_read(self, *args, **kwargs):
        if not first.is_set():
            first.set()
            for _ in range(4):
                assert misses.acquire(timeout=10)
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(prices_mod._MEMO, "get", counting_get)
    monkeypatch.setattr(prices_mod.CsvDir, "read", slow_read)
    before = prices_mod.loads
    results: list[pd.DataFrame] = []
    threads = [threading.Thread(target=lambda: results.append(ask().prices)) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    assert len(results) == 4 and prices_mod.loads - before == 1
    for r in results[1:]:
        pd.testing.assert_frame_equal(r, results[0])


def test_callers_get_copies_the_memo_keeps_its_own(csv_dir, clock):
    """The memo handed out its own prices: a caller's edit changed later answers."""
    a = load_prices("AAA", "2020-01-02", "2020-02-01")
    first = float(a.prices.iloc[0, 0])
    a.prices.iloc[0, 0] = -1.0
    b = load_prices("AAA", "2020-01-02", "2020-02-01")
    assert float(b.prices.iloc[0, 0]) == first == 101.0  # AAA: 100 on 2020-01-01, +1 a day
    b.prices.iloc[:, 0] = 0.0
    assert float(load_prices("AAA", "2020-01-02", "2020-02-01").prices.iloc[0, 0]) == first


# --------------------------------------------------------------------------------------------
# Yahoo and "today": the clock driven through the day
# --------------------------------------------------------------------------------------------
def test_todays_bar_is_fetched_again_after_a_while_and_never_recorded_as_covered(
        fake: FakeYahooSession, clock: Clock) -> None:  # noqa: F811
    """Today's bar refetched every call, never, or recorded as covered while still changing."""
    want = expected("AAA")
    ps = load_prices("AAA", "2020-01-02")  # up to today, 2020-02-14
    assert ps.prices.index[-1] == pd.Timestamp("2020-02-14")
    pd.testing.assert_series_equal(ps.prices["AAA"], want.loc[:"2020-02-14"], check_names=False,
                                   check_freq=False)
    calls = len(fake.chart_calls("AAA"))
    st = get_store(prices_mod.store_path())
    assert st.coverage("AAA")[-1][1] == D("2020-02-14")  # today is not covered yet
    # a minute later, the memo forgotten (another process, a restart): the store answers
    clock.advance(60)
    clear_memory()
    assert load_prices("AAA", "2020-01-02").source == "store"
    assert len(fake.chart_calls("AAA")) == calls
    # past FRESH_SECONDS: today's bar may have moved, so it is asked for again (only near today)
    clock.advance(prices_mod.FRESH_SECONDS)
    clear_memory()
    load_prices("AAA", "2020-01-02")
    new = fake.chart_calls("AAA")[calls:]
    assert len(new) == 1
    p1 = pd.Timestamp(int(new[0]["period1"]), unit="s", tz="UTC").tz_localize(None)
    assert pd.Timestamp("2020-01-20") < p1 <= pd.Timestamp("2020-02-14")
    assert st.coverage("AAA")[-1][1] == D("2020-02-14")
    # a closed window before today never goes to Yahoo again, whatever the clock says
    calls = len(fake.chart_calls("AAA"))
    clock.advance(10 * 86400)
    clear_memory()
    closed = load_prices("AAA", "2020-01-02", "2020-02-14")
    assert closed.source == "store" and len(fake.chart_calls("AAA")) == calls
    assert from_day(D("2020-02-14")) == pd.Timestamp("2020-02-14")


def test_an_answer_whose_last_run_is_todays_bar_alone_covers_only_the_runs_before_it(
        fake: FakeYahooSession, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """An empty span recorded as covered (``c < d`` -> ``c <= d`` where the store takes the
    spans an answer covers): Yahoo's answer has a hole of four sessions (2020-02-10..13) and
    then today's bar alone, so the run of today, clipped at today (still changing), is the
    empty ``[today, today)``; it must not be recorded. Coverage is exactly the run before the
    hole, to the next session after it; the hole and today are asked for again later."""
    hole = pd.Timestamp("2020-02-10", tz="America/New_York").timestamp(), \
        pd.Timestamp("2020-02-14", tz="America/New_York").timestamp()
    real_request = fake.request

    def request(method: str, url: str, params=None, **kw):
        resp = real_request(method, url, params=params, **kw)
        if url.endswith("/finance/chart/AAA") and "period1" in (params or {}):
            data = json.loads(resp.content)
            r = data["chart"]["result"][0]
            keep = [i for i, s in enumerate(r["timestamp"]) if not hole[0] <= s < hole[1]]
            r["timestamp"] = [r["timestamp"][i] for i in keep]
            for block in (r["indicators"]["quote"][0], r["indicators"]["adjclose"][0]):
                for k in block:
                    block[k] = [block[k][i] for i in keep]
            resp = fake._resp(url, 200, json.dumps(data).encode())
        return resp

    monkeypatch.setattr(fake, "request", request)
    ps = load_prices("AAA", "2020-01-02")  # up to today, 2020-02-14
    # independent: the saved bars without the hole, today's included
    want = expected("AAA").loc["2020-01-02":"2020-02-14"]
    want = want[(want.index < "2020-02-10") | (want.index >= "2020-02-14")]
    assert list(ps.prices.index) == list(want.index)
    assert ps.prices.index[-2:].tolist() == [pd.Timestamp("2020-02-07"),
                                             pd.Timestamp("2020-02-14")]
    st = get_store(prices_mod.store_path())
    # covered: from what was asked (2020-01-02 less the overlap asked before it; AAA's first
    # trade is its first saved bar, 2020-01-02, so nothing before it is missing) to Monday
    # 2020-02-10 (exclusive), the first session of the hole; nothing for today's bar, not even
    # an empty span
    asked = D("2020-01-02") - prices_mod.OVERLAP_DAYS
    assert st.coverage("AAA") == [(asked, D("2020-02-10"))]
    assert st.missing("AAA", D("2020-01-02"), D("2020-02-15")) == [
        (D("2020-02-10"), D("2020-02-15"))]


def test_stale_result_is_memoised_briefly(fake: FakeYahooSession, clock: Clock) -> None:  # noqa: F811
    """A stale answer (Yahoo failing, the store serving) kept for 15 minutes, not 30 s."""
    load_prices("AAA", "2020-01-02")
    clock.advance(prices_mod.FRESH_SECONDS + 1)
    clear_memory()
    fake.dead = True
    with pytest.warns(StaleDataWarning):
        ps = load_prices("AAA", "2020-01-02")
    assert ps.stale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleDataWarning)
        clock.advance(prices_mod.STALE_TTL - 1)
        assert loads_of(lambda: load_prices("AAA", "2020-01-02")) == 0
        clock.advance(2)
        assert loads_of(lambda: load_prices("AAA", "2020-01-02")) == 1


# --------------------------------------------------------------------------------------------
# quality
# --------------------------------------------------------------------------------------------
def test_quality_report_of_clean_prices_says_so():
    idx = pd.bdate_range("2020-01-02", periods=10)  # to 2020-01-15, the day before the end
    frame = pd.DataFrame({"A": np.arange(10) + 10.0, "B": np.arange(10) + 20.0}, index=idx)
    q = assess(frame, "2020-01-02", "2020-01-16")
    assert q.messages() == []
    assert str(q) == "Data quality 2020-01-02..2020-01-16: 10 aligned dates of 10, clean"


# --------------------------------------------------------------------------------------------
# a second sample of mutants (issue 25, tools/mutate.py): the store's file handling
# --------------------------------------------------------------------------------------------
def test_a_store_in_rollback_journal_mode_is_turned_to_wal(tmp_path):
    """The journal-mode check inverted or dropped: a store file left in SQLite's default
    rollback journal (as another tool may leave it) stayed so, and a reader then blocks every
    writer (the Excel add-in beside a running command)."""
    path = tmp_path / "prices.sqlite"
    PriceStore(path).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    con.close()
    store = PriceStore(path, timeout=1.0)
    store.write("AAA", series(["2020-01-02", "2020-01-03"], [1.0, 2.0]), None, "test",
                pd.Timestamp("2020-01-06", tz="UTC"))
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # a reader holding a snapshot does not stop the store writing
        con.execute("BEGIN")
        assert con.execute("SELECT COUNT(*) FROM series").fetchone()[0] == 1
        store.write("BBB", series(["2020-01-02"], [3.0]), None, "test",
                    pd.Timestamp("2020-01-06", tz="UTC"))
        con.execute("COMMIT")
    finally:
        con.close()
        store.close()
    assert set(PriceStore(path).read(["AAA", "BBB"])) == {"AAA", "BBB"}


def test_a_store_linked_to_a_missing_drive_works_in_memory(tmp_path):
    """``path.is_file() and ...`` -> ``path.stat().st_size``: a store path that is a link to a
    folder no longer there (an unmounted drive) crashed with FileNotFoundError instead of
    keeping prices in memory and saying why."""
    path = tmp_path / "prices.sqlite"
    path.symlink_to(tmp_path / "unmounted" / "prices.sqlite")
    store = PriceStore(path)
    assert store.unwritable is not None and "cannot open" in store.unwritable
    want = series(["2020-01-02", "2020-01-03", "2020-01-06"], [10.0, 11.0, 12.5])
    assert store.write("AAA", want, None, "test", pd.Timestamp("2020-01-07", tz="UTC")) == 3
    got = store.read(["AAA"])["AAA"]
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert list(got.index) == list(want.index)
    assert path.is_symlink() and not (tmp_path / "unmounted").exists()  # nothing made there


def test_a_comma_file_whose_first_header_holds_a_semicolon_is_read_with_commas(tmp_path):
    """The ";" test without its ``one column`` half: a comma file whose first column's name
    holds a ";" was split on ";" and its prices lost."""
    from betahedge_xl.data.csvdir import read_price_csv

    path = tmp_path / "AAA.csv"
    path.write_text('"Date; New York close",Adj Close\n2020-01-02,10.5\n2020-01-03,11.25\n')
    got = read_price_csv(path)
    assert list(got.to_numpy()) == [10.5, 11.25]
    assert list(got.index) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]


def test_csv_folder_listing_is_reused_while_the_folder_is_unchanged(tmp_path, monkeypatch):
    """``by_ticker(fresh=False)`` -> ``fresh=True`` by default: every recalculation listed the
    whole folder again (Excel asks again and again)."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "AAA.csv").write_text("Date,Adj Close\n2020-01-02,10\n")
    listed = []
    real = os.scandir

    def scandir(path):
        listed.append(path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    cd = CsvDir(folder)
    assert set(cd.by_ticker()) == {"AAA"}
    assert set(cd.by_ticker()) == {"AAA"}
    assert len(listed) == 1
    assert set(cd.by_ticker(fresh=True)) == {"AAA"} and len(listed) == 2


def test_outer_join_of_dates_out_of_order_after_the_first_equals_pandas():
    """A series whose dates are out of order after the first is joined as pandas joins it.
    (The sortedness test ``k[1:] > k[:-1]`` -> ``k[1:] > k[:1]`` gives the right answer here,
    A not being the longest: the test below, with the longest out of order, tells them apart.)"""
    from betahedge_xl.data.priceset import _outer_join

    idx = pd.DatetimeIndex(["2020-01-02", "2020-01-06", "2020-01-03", "2020-01-07"], name="Date")
    parts = {"A": pd.Series([1.0, 3.0, 2.0, 4.0], index=idx),
             "B": pd.Series([10.0, 20.0], index=pd.DatetimeIndex(["2020-01-02", "2020-01-03"]))}
    got = _outer_join(["A", "B"], parts)
    assert list(got.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03", "2020-01-06",
                                                     "2020-01-07"]
    assert list(got["A"]) == [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(got["B"].to_numpy(), [10.0, 20.0, np.nan, np.nan])


def test_a_full_store_file_keeps_the_prices_in_memory_and_says_so(tmp_path):
    """SQLite's "disk full" (code 13) left out of the unwritable codes: a store that cannot
    grow raised instead of keeping what was fetched in memory. The file is capped with
    ``max_page_count``, which makes SQLite fail exactly as on a full disk (SQLITE_FULL)."""
    store = PriceStore(tmp_path / "prices.sqlite")
    pages = store._con.execute("PRAGMA page_count").fetchone()[0]
    store._con.execute(f"PRAGMA max_page_count = {pages}")
    idx = pd.bdate_range("2000-01-03", periods=5000)
    want = pd.Series(1.0 + np.random.default_rng(0).random(5000), index=idx)
    with pytest.warns(StoreWarning, match=r"cannot be written \(disk full, \d+ bytes free\); "
                                          r"prices fetched now are kept in memory"):
        assert store.write("AAA", want, None, "test", pd.Timestamp("2020-01-10", tz="UTC")) \
            == 5000
    got = store.read(["AAA"])["AAA"]
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert list(got.index) == list(idx)


def test_a_bare_404_from_yahoo_is_an_unknown_ticker(fake: FakeYahooSession,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``e.status == 404 or e.detail`` -> ``and``: a 404 whose body gives no reason (Yahoo's
    answer for some delisted symbols) was reported as "returned no prices", not as a ticker
    Yahoo does not know."""
    from betahedge_xl.exceptions import UnknownTickerError

    real = fake.request

    def request(method: str, url: str, params=None, **kw):
        if url.endswith("/finance/chart/GONE"):
            fake.calls.append((url, dict(params or {})))
            return fake._resp(url, 404, b"", "text/html")
        return real(method, url, params=params, **kw)

    monkeypatch.setattr(fake, "request", request)
    with pytest.raises(UnknownTickerError, match=r"^GONE: Yahoo has no such ticker$"):
        load_prices("GONE", "2020-01-01", "2020-03-01")


# --------------------------------------------------------------------------------------------
# the join behind every PriceSet, Yahoo's repeated bars and its dead network (issue 25, data)
# --------------------------------------------------------------------------------------------
def test_outer_join_of_a_longest_series_out_of_order_after_its_first_equals_pandas():
    """``k[1:] > k[:-1]`` -> ``k[1:] > k[:1]`` (dates after the first only compared with the
    first): a series out of order whose dates all follow its first took the fast path, and
    when it was the longest its own order became the frame's: dates out of order, prices
    beside the wrong dates. Every public source sorts its dates before the join (CSV, memory
    and Yahoo through ``sorted_unique``; the store refuses a row whose dates do not increase),
    so this is the join's own contract, checked directly."""
    from betahedge_xl.data.priceset import _outer_join

    idx = pd.DatetimeIndex(["2020-01-02", "2020-01-07", "2020-01-03", "2020-01-06"], name="Date")
    parts = {"A": pd.Series([1.0, 4.0, 2.0, 3.0], index=idx),
             "B": pd.Series([10.0, 40.0], index=pd.DatetimeIndex(["2020-01-02", "2020-01-07"]))}
    for names in (["A"], ["A", "B"]):
        got = _outer_join(names, parts)
        want = pd.concat([parts[t].rename(t) for t in names], axis=1, join="outer",
                         sort=True).astype(float)
        assert list(got.index) == sorted(idx) == list(want.index)
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
        assert list(got["A"]) == [1.0, 2.0, 3.0, 4.0]  # each price beside its own date


@pytest.mark.parametrize("today, live", [("2020-02-14", 1.02), ("2020-01-16", None)])
def test_todays_repeated_bar_is_yfinances_not_a_date_given_twice(
        fake: FakeYahooSession, clock: Clock, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        today: str, live: float | None) -> None:
    """Which bar is left out of the repeats when the answer reaches today (``bars.index[-1]``
    -> ``[0]``, ``[1]``, ``[-2]``, ``==``): Yahoo's live bar beside today's first is merged by
    yfinance on purpose and is no data problem; a date before today given twice is. The
    answers below give 2020-01-15 twice (the fake's "dup"), and either today's bar twice (the
    live one later in the day at another price) or, on 2020-01-16, today's bar once right
    after the repeated day. Yahoo's clock (``pd.Timestamp.now``, which ``prices._now`` reads
    too) is the test's."""
    clock.now = pd.Timestamp(f"{today} 15:00", tz="UTC")  # 10:00 in New York
    real_now = pd.Timestamp.now
    monkeypatch.setattr(pd.Timestamp, "now", lambda tz=None: clock.now.tz_convert(tz)
                        if tz is not None else clock.now.tz_convert(None))
    assert real_now("UTC").year > 2020  # the patch is in place, the real clock untouched
    day = pd.Timestamp(today)
    real_request = fake.request

    def request(method: str, url: str, params=None, **kw):
        resp = real_request(method, url, params=params, **kw)
        if live and url.endswith("/finance/chart/AAA") and "period1" in (params or {}):
            data = json.loads(resp.content)
            r = data["chart"]["result"][0]
            stamp = r["timestamp"][-1]
            assert pd.Timestamp(stamp, unit="s", tz="UTC").tz_convert(
                "America/New_York").tz_localize(None).normalize() == day
            r["timestamp"].append(stamp + 20 * 60)  # 20 minutes after today's first bar
            for block in (r["indicators"]["quote"][0], r["indicators"]["adjclose"][0]):
                for k, v in block.items():
                    v.append(v[-1] if k == "volume" else v[-1] * live)
            resp = fake._resp(url, 200, json.dumps(data).encode())
        return resp

    monkeypatch.setattr(fake, "request", request)
    fake.behaviour["AAA"] = "dup"
    with pytest.warns(DataWarning) as caught:
        ps = load_prices("AAA", "2020-01-02")
    # independent: the saved bars, the repeated day at its last (later) price, today's live bar
    want = expected("AAA").loc["2020-01-02":today].copy()
    assert want.index[-1] == day
    if not live:
        assert want.index[-2] == FakeYahooSession.DUP_DAY  # the repeated day, right before
    want.loc[FakeYahooSession.DUP_DAY] *= FakeYahooSession.DUP_FACTOR
    if live:
        want.loc[day] *= live
    got = ps.prices["AAA"]
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    # one date given twice, said once, in the prices' notes and as a warning
    assert list(ps.notes) == ["AAA: 1 date(s) repeated in Yahoo's answer; kept the last row "
                              "of each"]
    assert [str(w.message) for w in caught if isinstance(w.message, DataWarning)] == \
        list(ps.notes)


def test_a_ticker_yahoo_answered_is_not_offline_when_the_network_dies_after(
        fake: FakeYahooSession, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """``not mine and obs.dead`` -> ``or``: a ticker whose chart requests Yahoo answered
    (here HTTP 403, no prices and no reason) was reported as "could not reach Yahoo" because
    the network went down later in the same download (on yfinance's time-zone fallback, a
    quoteSummary request, which names no chart); with every ticker then offline, Yahoo was
    left alone for the cool-down and the next call was refused at once. Driven through
    ``fetch``: the network fails to connect (libcurl 7) from the first data request that is
    neither the ticker's chart nor the crumb."""
    from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError

    from betahedge_xl.data import yahoo
    from betahedge_xl.exceptions import OfflineError

    real_request = fake.request
    died: list[str] = []

    def request(method: str, url: str, params=None, **kw):
        host = url.split("/")[2]
        if url.endswith("/finance/chart/BBB"):
            fake.calls.append((url, dict(params or {})))
            return fake._resp(url, 403, b"<html>Forbidden</html>", "text/html")
        if fake.chart_calls("BBB", history=False) and host.startswith("query") and \
                "/getcrumb" not in url:
            died.append(url)
            raise CurlConnectionError(f"Failed to perform, curl: (7) Failed to connect to "
                                      f"{host} port 443 after 2 ms: Couldn't connect to "
                                      f"server.", 7)
        return real_request(method, url, params=params, **kw)

    monkeypatch.setattr(fake, "request", request)
    start, end = pd.Timestamp("2020-01-02"), pd.Timestamp("2020-02-01")
    res = yahoo.fetch(["BBB"], start, end)
    assert died and "/finance/chart/" not in died[0]  # the network went down after BBB's chart
    assert not res.prices and set(res.errors) == {"BBB"}
    assert not isinstance(res.errors["BBB"], OfflineError)
    assert str(res.errors["BBB"]).startswith("BBB: Yahoo returned no prices (")
    # Yahoo answered: no cool-down, the next call asks Yahoo again and gets the prices
    monkeypatch.setattr(fake, "request", real_request)
    calls = len(fake.calls)
    again = yahoo.fetch(["BBB"], start, end)
    assert len(fake.calls) > calls and not again.errors
    want = expected("BBB").loc["2020-01-02":"2020-01-31"]
    np.testing.assert_allclose(again.prices["BBB"].to_numpy(), want.to_numpy(), rtol=1e-12)
    assert list(again.prices["BBB"].index) == list(want.index)


def test_a_store_readable_only_as_immutable_is_read_as_it_is(tmp_path, monkeypatch):
    """``if con is not None`` -> ``con is None`` where the read-only opening gives up on one
    way of opening: when SQLite refused the connection itself, the store crashed with
    AttributeError (``None.close()``) instead of trying the next way. This is the WAL file in
    a folder that cannot hold a ``-shm``: opening it for writing fails, and so does
    ``mode=ro``; ``immutable=1`` reads it. As root no folder is read-only, so the refusals
    are SQLite's own, injected below the store: the connection factory is pointed at a
    folder that does not exist (SQLITE_CANTOPEN, "unable to open database file")."""
    from betahedge_xl.data.store_file import StoreFile

    path = tmp_path / "prices.sqlite"
    want = series(["2020-01-02", "2020-01-03", "2020-01-06"], [10.0, 11.0, 12.5])
    first = PriceStore(path)
    assert first.write("AAA", want, None, "test", pd.Timestamp("2020-01-07", tz="UTC")) == 3
    first.close()
    before = path.read_bytes()
    real = StoreFile._connect
    refused: list[str] = []

    def connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        if target == str(path) or (uri and target.endswith("?mode=ro")):
            refused.append(target)
            return real(self, str(tmp_path / "no such folder" / "prices.sqlite"))
        return real(self, target, uri)

    monkeypatch.setattr(PriceStore, "_connect", connect)
    store = PriceStore(path)
    assert len(refused) == 2 and refused[1].endswith("?mode=ro")  # both ways refused
    assert store.unwritable is not None and "cannot open the file" in store.unwritable
    got = store.read(["AAA"])["AAA"]  # read from the file as it is
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert list(got.index) == list(want.index)
    other = series(["2020-01-02", "2020-01-03"], [5.0, 5.5])  # the file refuses it: memory
    with pytest.warns(StoreWarning, match=r"cannot be written \(read-only: .*\); "
                                          r"prices fetched now are kept in memory"):
        assert store.write("BBB", other, None, "test", pd.Timestamp("2020-01-07", tz="UTC")) \
            == 2
    kept = store.read(["AAA", "BBB"])
    np.testing.assert_array_equal(kept["AAA"].to_numpy(), want.to_numpy())
    np.testing.assert_array_equal(kept["BBB"].to_numpy(), other.to_numpy())
    store.close()
    assert path.read_bytes() == before  # nothing written to the file


def test_thousands_like_values_in_a_file_with_decimal_points_are_thousands(tmp_path):
    """``bool(point.any()) or not ambiguous`` -> ``not ambiguous``: a file whose prices show
    decimal points (``1,234.50``) settles what ``1,236`` means (a thousand and more, its comma
    a thousands separator), yet it was refused as ambiguous."""
    from betahedge_xl.data.csvdir import read_price_csv

    path = tmp_path / "AAA.csv"
    path.write_text('Date,Adj Close\n2020-01-02,"1,234.50"\n2020-01-03,"1,236"\n'
                    '2020-01-06,"1,240.25"\n')
    got = read_price_csv(path)
    assert list(got.index) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"]))
    np.testing.assert_array_equal(got.to_numpy(), [1234.5, 1236.0, 1240.25])


def test_a_benchmark_move_of_exactly_the_cap_is_still_a_reference():
    """``abs(move) <= MARKET_MOVE_CAP`` -> ``<``: a benchmark day of exactly the cap (a log
    move of -0.25, a 22.1% fall) was dropped as no reference, and a 2:1 split of a stock on
    that day went unseen (less the market's fall it is the ratio; with it, no ratio)."""
    from betahedge_xl.data.moves import MARKET_MOVE_CAP
    from betahedge_xl.data.quality import split_like_moves

    fall = float(np.exp(-MARKET_MOVE_CAP))
    if np.log(fall) != -MARKET_MOVE_CAP:
        pytest.skip("this platform's log does not give the cap back exactly")
    days = pd.bdate_range("2015-01-02", periods=60)
    rng = np.random.default_rng(3)
    rb = rng.normal(0, 0.004, 60)
    bench = 256.0 * np.cumprod(1 + rb)
    bench = bench / bench[29] * 256.0  # 256 the day before: the ratio is exactly ``fall``
    bench[30:] = bench[30:] / bench[30] * (256.0 * fall)
    assert np.log(bench[30] / bench[29]) == -MARKET_MOVE_CAP
    stock = 90 * np.cumprod(1 + rb + rng.normal(0, 0.002, 60))
    stock[30:] = stock[30:] / stock[30] * stock[29] * fall / 2  # the fall, and a 2:1 split
    v = np.column_stack([stock, bench])
    found = split_like_moves(v, days.values, ["AAA", "IDX"], market=v[:, 1])
    assert [(d, w) for d, w, *_ in found["AAA"]] == [(days[30], "2:1 split")]
    assert found["AAA"][0][3] == pytest.approx(np.expm1(-MARKET_MOVE_CAP), rel=1e-12)
    assert found["IDX"] == ()


def test_a_read_only_store_from_before_row_checksums_is_served(tmp_path, monkeypatch):
    """``tables >= _TABLES`` -> ``>`` in the read-only opening: a store holding exactly the
    two tables every version has (written before row checksums and kept-apart rows existed,
    so without their tables) was taken for a foreign file when it could only be read: its
    prices were not served and the session started from an empty store in memory. The file
    refuses writing (SQLite's own refusal, injected below the store as above)."""
    from betahedge_xl.data.store_file import StoreFile

    path = tmp_path / "prices.sqlite"
    want = series(["2020-01-02", "2020-01-03", "2020-01-06"], [10.0, 11.0, 12.5])
    first = PriceStore(path)
    assert first.write("AAA", want, None, "test", pd.Timestamp("2020-01-07", tz="UTC")) == 3
    first.close()
    con = sqlite3.connect(path)  # as the version before row checksums left it
    con.execute("DROP TABLE IF EXISTS checks")
    con.execute("DROP TABLE IF EXISTS aside")
    assert {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} \
        == {"series", "coverage"}
    con.close()
    real = StoreFile._connect

    def connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        if target == str(path):  # opening for writing: refused
            return real(self, str(tmp_path / "no such folder" / "prices.sqlite"))
        return real(self, target, uri)

    monkeypatch.setattr(PriceStore, "_connect", connect)
    store = PriceStore(path)
    assert store.unwritable is not None
    got = store.read(["AAA"])["AAA"]
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert list(got.index) == list(want.index)
    store.close()


def test_the_gap_report_names_the_longest_gap():
    """``max(self.gaps, key=weekdays)`` -> ``min``: the report's "longest" gap was the
    shortest. Two gaps: 2020-01-08..09 (2 trading days) and 2020-01-13..17 (5)."""
    idx = pd.bdate_range("2020-01-02", "2020-01-31")
    gone = pd.to_datetime(["2020-01-08", "2020-01-09", *pd.bdate_range("2020-01-13",
                                                                       "2020-01-17")])
    keep = idx[~idx.isin(gone)]
    frame = pd.DataFrame({"A": 10.0 + np.arange(len(keep))}, index=keep)
    lines = [m for m in assess(frame, "2020-01-02", "2020-02-01").messages() if "gap" in m]
    assert lines == ["A: 2 gap(s) of 2+ trading days without prices (longest 5, "
                     "2020-01-13..2020-01-17)"]


def test_prices_that_are_all_zero_or_negative_are_no_prices():
    """``len(s) and any(s > 0)`` -> ``len(s)``: prices handed in that were all zero or
    negative passed as prices, and the caller got an empty table instead of the error
    saying there are none."""
    from betahedge_xl.data.prices import from_frame
    from betahedge_xl.exceptions import DataError

    idx = pd.bdate_range("2020-01-02", periods=5)
    with pytest.raises(DataError, match=r"^AAA: no prices in 2020-01-02\.\.2020-02-01$"):
        from_frame(pd.DataFrame({"AAA": [0.0, -1.0, 0.0, -2.5, 0.0]}, index=idx),
                   "2020-01-02", "2020-02-01")


def test_progress_counts_a_ticker_yahoo_refused_as_done(fake: FakeYahooSession,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch):
    """``... or e.status != 200 or ...`` dropped from what counts as a finished ticker: a
    ticker Yahoo refused (404 on its time-zone probe, so yfinance asks no history) was not
    counted, and the progress shown stayed at 0 of 2 until the whole download ended. Here
    AAA's history is answered only once the progress has shown ZZZ done (or after 10 s)."""
    from betahedge_xl.data import yahoo

    monkeypatch.setattr(yahoo, "PROGRESS_SECONDS", 0.01)
    counted = threading.Event()
    in_time: list[bool] = []
    real_request = fake.request

    def request(method: str, url: str, params=None, **kw):
        if url.endswith("/finance/chart/AAA") and "period1" in (params or {}):
            in_time.append(counted.wait(10))
        return real_request(method, url, params=params, **kw)

    monkeypatch.setattr(fake, "request", request)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 1:
            counted.set()

    with pytest.warns(DataWarning), yahoo.report_progress(progress):
        ps = load_prices(["AAA", "ZZZ"], "2020-01-02", "2020-02-01")
    assert set(ps.errors) == {"ZZZ"} and ps.prices["AAA"].notna().all()
    assert in_time == [True]  # ZZZ shown done while AAA's history was still to come
    assert (1, 2) in seen and seen[-1] == (2, 2)
