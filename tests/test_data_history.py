"""Nothing the analyst stored is lost (issue 19): imports merged, bases rescaled, coverage only of
what a source answered, stored rows checked on read, exchange calendars.

The fault scenarios run against the real store file (``BETAHEDGE_CACHE_DIR`` in tmp), with Yahoo
replayed by the fake transport of ``test_data_yahoo``. The SPY files are real prices
(``tests/fixtures/history/make_fixtures.py``): a 1993-2026 history adjusted in 2026 and a Yahoo
export of 2007-2017 adjusted in May 2017, so on two adjustment bases.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_data_yahoo import FakeYahooSession, expected
from test_data_yahoo import fake as _fake

from betahedge_xl.cli import main
from betahedge_xl.data import assess, clear_memory, import_csv_dir, load_prices
from betahedge_xl.data.store import close_stores, get_store
from betahedge_xl.exceptions import DataError, StoreWarning

HIST = Path(__file__).parent / "fixtures" / "history"
fake = _fake  # Yahoo replayed by the fake transport (the fixture of test_data_yahoo)


def _read(file: Path) -> pd.Series:
    """A fixture CSV read independently of the package: date -> price."""
    df = pd.read_csv(file)
    return pd.Series(df.iloc[:, 1].to_numpy(float), index=pd.to_datetime(df["Date"]))


def _folder(tmp_path: Path, name: str, files: dict[str, pd.Series]) -> Path:
    out = tmp_path / name
    out.mkdir()
    for t, s in files.items():
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Adj Close": s.to_numpy()}).to_csv(
            out / f"{t}.csv", index=False)
    return out


def _copy(tmp_path: Path, which: str) -> Path:
    out = tmp_path / which
    shutil.copytree(HIST / which, out)
    return out


def _stored(ticker: str) -> pd.Series:
    return get_store().read([ticker])[ticker]


# ---------------------------------------------------------------------------------------------
# history is never lost
# ---------------------------------------------------------------------------------------------
def test_import_of_a_short_file_after_a_long_one_keeps_the_long_history(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long, short = _read(HIST / "long" / "SPY.csv"), _read(HIST / "short" / "SPY.csv")
    assert main(["cache", "import", "-q", str(_copy(tmp_path, "long"))]) == 0
    capsys.readouterr()
    assert main(["cache", "import", "-q", str(_copy(tmp_path, "short"))]) == 0
    out = capsys.readouterr().out.splitlines()[0]
    s = _stored("SPY")
    # every date of both files, first and last of the long one
    assert len(s) == len(long.index.union(short.index)) == len(long) == 8419
    assert (s.index[0], s.index[-1]) == (long.index[0], long.index[-1])
    # the long history, rescaled by one factor to the short file's basis (the short file's
    # dates all precede the dividends between May 2017 and 2026): its returns are kept
    factor = float(np.median(short / long.reindex(short.index)))
    assert 1.05 < factor < 1.3  # nine years of dividends (2017-2026) are not in the short one
    outside = ~s.index.isin(short.index)
    np.testing.assert_allclose(s[outside], long[outside] * factor, rtol=2e-5)
    np.testing.assert_allclose(s[short.index], short, rtol=1e-12)  # the file's own prices
    r_long, r_s = long.pct_change().dropna(), s.pct_change().dropna()
    assert float((r_s - r_long).abs().max()) < 1e-4
    # and the user is told what happened, per ticker
    assert out.startswith("SPY.csv: SPY 2516 prices 2007-05-07..2017-05-02; added 0, "
                          "replaced 2516 on stored dates, rescaled 5903 stored prices by ")
    assert out.endswith(f"to the new adjustment basis; stored SPY: 8419 prices "
                        f"{long.index[0]:%Y-%m-%d}..{long.index[-1]:%Y-%m-%d}")


def test_import_with_replace_discards_the_stored_history(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = _read(HIST / "short" / "SPY.csv")
    assert main(["cache", "import", "-q", str(_copy(tmp_path, "long"))]) == 0
    assert main(["cache", "import", "-q", "--replace", str(_copy(tmp_path, "short"))]) == 0
    assert "discarded 8419 stored prices (--replace)" in capsys.readouterr().out
    pd.testing.assert_series_equal(_stored("SPY"), short, check_names=False,
                                   check_index_type=False, check_freq=False)


def test_two_imports_of_other_prices_keep_both_apart(tmp_path: Path) -> None:
    """Prices that are not one history on two bases (returns differ every day): the new ones
    are used, the stored ones are kept apart in the file and the import says so."""
    idx = pd.bdate_range("2019-01-01", periods=60)
    rng = np.random.default_rng(1)
    a = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, 60)), idx)
    b = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, 60)), idx)
    import_csv_dir(_folder(tmp_path, "a", {"XXX": a}))
    lines: list[str] = []
    import_csv_dir(_folder(tmp_path, "b", {"XXX": b}), on_file=lambda f: lines.append(str(f)))
    assert "set aside 60 stored prices that disagree" in lines[0]
    np.testing.assert_allclose(_stored("XXX").to_numpy(), b.to_numpy(), rtol=1e-12)
    with sqlite3.connect(get_store().path) as con:
        (why,) = con.execute("SELECT why FROM aside WHERE ticker = 'XXX'").fetchone()
    assert "disagreed" in why


def test_online_request_after_an_import_keeps_every_imported_date(
        fake: FakeYahooSession, tmp_path: Path) -> None:
    short = _read(HIST / "short" / "SPY.csv")
    long = _read(HIST / "long" / "SPY.csv")
    import_csv_dir(_copy(tmp_path, "short"))
    ps = load_prices("SPY", "2017-01-01", "2018-01-01")  # reaches past the import: online
    assert ps.source == "yahoo" and fake.chart_calls("SPY")
    want = long.loc["2017-01-01":"2017-12-31"]
    np.testing.assert_allclose(ps.prices["SPY"].pct_change().dropna(),
                               want.pct_change().dropna(), atol=1e-5)
    stored = _stored("SPY")
    assert short.index.isin(stored.index).all()  # nothing imported was dropped
    fake.dead = True
    clear_memory()
    n = len(fake.calls)
    old = load_prices("SPY", "2010-01-01", "2013-01-01")  # offline: the import serves it
    assert old.source == "store" and len(fake.calls) == n
    assert len(old.prices) == len(short.loc["2010-01-01":"2012-12-31"])
    np.testing.assert_allclose(old.prices["SPY"].pct_change().dropna(),
                               short.loc["2010-01-01":"2012-12-31"].pct_change().dropna(),
                               atol=1e-9)


# ---------------------------------------------------------------------------------------------
# coverage is what a source answered
# ---------------------------------------------------------------------------------------------
START, END = "2020-01-01", "2020-03-01"


@pytest.mark.parametrize("fault", ["nulls", "half"])
def test_a_bad_answer_then_a_healthy_one_serves_the_healthy_prices(
        fake: FakeYahooSession, fault: str) -> None:
    fake.behaviour["AAA"] = fault
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load_prices("AAA", START, END)
        except DataError:
            assert fault == "nulls"
    fake.behaviour["AAA"] = "ok"
    clear_memory()
    close_stores()  # a new process: only the store file remembers
    ps = load_prices("AAA", START, END)
    want = expected("AAA").loc[START:"2020-02-29"]
    pd.testing.assert_series_equal(ps.prices["AAA"].dropna(), want, check_names=False,
                                   check_freq=False)


# ---------------------------------------------------------------------------------------------
# stored data checked on read
# ---------------------------------------------------------------------------------------------
def _truncated(days: bytes, closes: bytes) -> tuple[bytes, bytes]:
    return days, closes[:-3]


def _out_of_order(days: bytes, closes: bytes) -> tuple[bytes, bytes]:
    return days[4:] + days[:4], closes


def _zeros(days: bytes, closes: bytes) -> tuple[bytes, bytes]:
    return days, bytes(len(closes))


def _plausible(days: bytes, closes: bytes) -> tuple[bytes, bytes]:
    """One price changed by 10%, still finite and positive: only the row's checksum tells."""
    c = np.frombuffer(closes, "<f8").copy()
    c[5] *= 1.1
    return days, c.tobytes()


@pytest.mark.parametrize("damage", [_truncated, _out_of_order, _zeros, _plausible])
def test_a_damaged_row_is_set_aside_once_and_fetched_again(fake: FakeYahooSession,
                                                           damage: str) -> None:
    load_prices("AAA", START, END)
    path = get_store().path
    close_stores()
    clear_memory()
    with sqlite3.connect(path) as con:
        row = con.execute("SELECT days, closes FROM series WHERE ticker = 'AAA'").fetchone()
        con.execute("UPDATE series SET days = ?, closes = ? WHERE ticker = 'AAA'",
                    damage(*row))
    calls = len(fake.chart_calls("AAA"))
    with pytest.warns(StoreWarning, match=r"the stored prices of AAA are damaged") as rec:
        ps = load_prices("AAA", START, END)
    assert len([w for w in rec if issubclass(w.category, StoreWarning)]) == 1
    assert len(fake.chart_calls("AAA")) == calls + 1  # fetched again
    pd.testing.assert_series_equal(ps.prices["AAA"].dropna(),
                                   expected("AAA").loc[START:"2020-02-29"],
                                   check_names=False, check_freq=False)
    clear_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)  # set aside once: no second warning
        load_prices("AAA", START, END)


def test_a_damaged_row_offline_is_one_line_not_a_traceback(
        fake: FakeYahooSession, capsys: pytest.CaptureFixture[str]) -> None:
    load_prices("AAA BBB", START, END)
    path = get_store().path
    close_stores()
    clear_memory()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE series SET closes = substr(closes, 1, 5) WHERE ticker = 'AAA'")
    fake.dead = True
    status = main(["analyze", "AAA", "BBB", "--start", START, "--end", END])
    err = capsys.readouterr().err
    assert status != 0 and "Traceback" not in err
    assert "AAA are damaged (truncated)" in err


# ---------------------------------------------------------------------------------------------
# exchange calendars
# ---------------------------------------------------------------------------------------------
def test_hurricane_sandy_is_no_gap() -> None:
    long = _read(HIST / "long" / "SPY.csv").rename("SPY")
    rep = assess(long.loc["2012-01-01":"2012-12-31"], "2012-01-01", "2013-01-01")
    assert not rep.tickers["SPY"].gaps and rep.tickers["SPY"].missing_weekdays == 0
    assert rep.messages() == []


def test_backtest_over_2012_warns_of_no_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    long = _read(HIST / "long" / "SPY.csv").loc["2010-01-01":"2013-12-31"]
    rng = np.random.default_rng(5)
    other = long * np.cumprod(1 + rng.normal(0, 0.01, len(long)))
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_folder(tmp_path, "csv",
                                                         {"SPY": long, "ZZZ": other})))
    status = main(["backtest", "ZZZ", "SPY", "--start", "2011-01-01", "--end", "2013-01-01"])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "gap" not in err and "2012-10-29" not in err


@pytest.mark.parametrize("ticker, last, end, open_in_new_york", [
    ("SPY", "2014-07-03", "2014-07-05", False),  # Independence Day
    ("7203.T", "2020-02-10", "2020-02-12", True),  # Tokyo: National Foundation Day
    ("VOD.L", "2020-05-07", "2020-05-09", True),  # London: VE day bank holiday
])
def test_a_window_ending_on_a_holiday_after_the_last_stored_day_stays_offline(
        fake: FakeYahooSession, tmp_path: Path, ticker: str, last: str, end: str,
        open_in_new_york: bool) -> None:
    idx = pd.bdate_range(pd.Timestamp(last) - pd.Timedelta(days=40), last)
    prices = pd.Series(np.linspace(100, 110, len(idx)), idx)
    import_csv_dir(_folder(tmp_path, "csv", {ticker: prices}))
    fake.dead = True
    ps = load_prices(ticker, idx[5], end)
    assert ps.source == "store" and not fake.calls
    # the holiday is the exchange's: New York was open those days
    assert np.is_busday(np.datetime64(pd.Timestamp(last).date()) + 1) == open_in_new_york or (
        ticker == "SPY")


def test_the_exchange_follows_the_suffix_and_coins_trade_every_day() -> None:
    from betahedge_xl.data.calendars import ALWAYS, calendar_for, exchange_of

    assert [exchange_of(t) for t in ("SPY", "7203.T", "VOD.L", "^GSPC", "BTC-USD")] == [
        "XNYS", "XTKS", "XLON", "XNYS", ALWAYS]
    every_day = pd.date_range("2020-01-01", periods=30)
    assert calendar_for("MYCOIN", every_day) == ALWAYS
    assert calendar_for("MYCOIN", pd.bdate_range("2020-01-01", periods=30)) == "XNYS"


def test_exchange_holidays_are_kept_between_processes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import exchange_calendars as xcals

    from betahedge_xl.data import calendars

    monkeypatch.setenv("BETAHEDGE_CALENDAR_DIR", str(tmp_path / "cal"))
    built = calendars._build("XLON")
    files = list((tmp_path / "cal").glob("XLON-*.npy"))
    assert len(files) == 1
    again = calendars._build("XLON")  # read back, not built
    np.testing.assert_array_equal(again.holidays, built.holidays)
    sessions = xcals.get_calendar("XLON", start="2012-01-01", end="2012-12-31").sessions
    weekdays = pd.bdate_range("2012-01-01", "2012-12-31")
    closed = weekdays[~weekdays.isin(sessions)].to_numpy().astype("datetime64[D]")
    inside = (again.holidays >= closed[0]) & (again.holidays <= closed[-1])
    np.testing.assert_array_equal(again.holidays[inside], closed)


# ---------------------------------------------------------------------------------------------
# a window starting on a closed day before the stored range (issue 24): which calendar the
# ticker follows is decided from the history read once, and the same as before
# ---------------------------------------------------------------------------------------------
def _business_days(first: str, last: str, weekend: tuple[str, ...] = ()) -> pd.Series:
    idx = pd.bdate_range(first, last).union(pd.DatetimeIndex(weekend)).as_unit("ns")
    return pd.Series(np.linspace(100, 120, len(idx)), idx)


@pytest.mark.parametrize("ticker, weekend, start, asked", [
    ("AAA", (), "2020-01-04", False),  # New York: the Saturday before the first stored Monday
    ("AAA", ("2020-01-18",), "2020-01-04", False),  # one weekend price is not a coin
    ("AAA", ("2020-01-18", "2020-01-26"), "2020-01-04", True),  # two are: every day trades
    ("MYCOIN", tuple(str(d.date()) for d in pd.date_range("2020-01-11", "2020-03-29",
                                                          freq="W-SAT")), "2020-01-04", True),
    ("BTC-USD", (), "2020-01-04", True),  # a coin by its name, whatever its file holds
    ("7203.T", (), "2020-01-01", False),  # Tokyo closes 1-3 January; New York opens 2 and 3
    ("SPY", (), "2020-01-01", True),  # so New York's window has two trading days to fetch
])
def test_the_calendar_of_a_window_before_the_stored_range(
        fake: FakeYahooSession, tmp_path: Path, ticker: str, weekend: tuple[str, ...],
        start: str, asked: bool) -> None:
    prices = _business_days("2020-01-06", "2020-03-31", weekend)
    import_csv_dir(_folder(tmp_path, "csv", {ticker: prices}))
    fake.dead = True
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ps = load_prices(ticker, start, "2020-03-01")
    # asked of Yahoo (unreachable here: the stored prices are served as stale) or not at all
    assert bool(fake.calls) == asked and ps.stale == asked
    assert any("StaleData" in w.category.__name__ for w in rec) == asked
    pd.testing.assert_series_equal(ps.prices[ticker].dropna(), prices.loc[:"2020-02-29"],
                                   check_names=False, check_freq=False)


@pytest.mark.parametrize("first, start", [
    ("2020-01-02", "2020-01-01"),  # a holiday before the stored range (of all four exchanges)
    ("2020-01-06", "2020-01-04"),  # a Saturday before it
    ("2020-01-06", "2020-01-06"),  # the store's first day
    ("2020-01-06", "2020-01-20"),  # a holiday inside it (New York's)
    ("2020-01-06", "2020-01-25"),  # a Saturday inside it
])
def test_a_window_from_any_day_reads_each_history_once(fake: FakeYahooSession, tmp_path: Path,
                                                      first: str, start: str) -> None:
    files = {t: _business_days(first, "2020-03-31") * (1 + k)
             for k, t in enumerate(("AAA", "BBB", "7203.T", "VOD.L"))}
    import_csv_dir(_folder(tmp_path, "csv", files))
    fake.dead = True
    statements: list[str] = []
    get_store()._con.set_trace_callback(statements.append)  # what SQLite runs, values bound
    try:
        ps = load_prices(list(files), start, "2020-03-01")
    finally:
        get_store()._con.set_trace_callback(None)
    # the statements that fetch the histories themselves (the days and closes blobs; not the
    # look at their lengths before)
    histories = [s for s in statements
                 if re.search(r"SELECT [^()]*\bdays, (s\.)?closes\b.* FROM series", s)]
    for t in files:
        assert len([s for s in histories if f"'{t}'" in s]) == 1, (t, histories)
    assert ps.source == "store" and not fake.calls
    for t, s in files.items():
        pd.testing.assert_series_equal(ps.prices[t].dropna(), s.loc[start:"2020-02-29"],
                                       check_names=False, check_freq=False)


def test_a_ticker_fetched_after_its_history_was_read_is_served_with_the_new_prices(
        fake: FakeYahooSession, tmp_path: Path) -> None:
    # stored to 31 January; the window starts on the Saturday before the first stored day
    # (the history is read to decide its calendar) and goes on into February (fetched)
    yahoo = expected("AAA")
    import_csv_dir(_folder(tmp_path, "csv", {"AAA": yahoo.loc["2020-01-06":"2020-01-31"]}))
    ps = load_prices("AAA", "2020-01-04", END)
    assert ps.source == "yahoo" and len(fake.chart_calls("AAA")) == 1
    pd.testing.assert_series_equal(ps.prices["AAA"].dropna(),
                                   yahoo.loc["2020-01-06":"2020-02-29"],
                                   check_names=False, check_freq=False)


@pytest.mark.parametrize("start", ["2020-01-06", "2020-01-04"])
def test_a_request_runs_as_many_store_queries_for_six_tickers_as_for_one(
        fake: FakeYahooSession, tmp_path: Path, start: str) -> None:
    files = {f"T{k}": _business_days("2020-01-06", "2020-03-31") * (1 + k) for k in range(6)}
    import_csv_dir(_folder(tmp_path, "csv", files))
    fake.dead = True
    counts = []
    for names in (["T0"], list(files)):
        clear_memory()
        statements: list[str] = []
        get_store()._con.set_trace_callback(statements.append)
        try:
            ps = load_prices(names, start, "2020-03-01")
        finally:
            get_store()._con.set_trace_callback(None)
        assert ps.source == "store" and list(ps.prices.columns) == names
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
