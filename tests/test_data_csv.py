"""CSV folder source (BETAHEDGE_DATA_DIR) and prices handed in, checked against independent reads."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.data import fetch_prices, from_frame, load_prices
from betahedge_xl.data import prices as prices_mod
from betahedge_xl.data.csvdir import read_price_csv
from betahedge_xl.exceptions import (
    DataError,
    DataWarning,
    DateRangeError,
    InputError,
    NoOverlapError,
    UnknownTickerError,
)

DAYS = pd.bdate_range("2021-01-04", periods=30)


def write(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "exports"
    rng = np.random.default_rng(3)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.01, len(DAYS)))
    # Yahoo export with both columns, newest first, extra columns, odd column order
    write(d, "AAA", pd.DataFrame({"Volume": 1, "Adj Close": close * 0.9, "Date": DAYS.strftime(
        "%Y-%m-%d"), "Close": close})[::-1])
    # Close only (an auto-adjusted yfinance export)
    write(d, "BBB", pd.DataFrame({"Date": DAYS.strftime("%Y-%m-%d"), "Open": 1.0,
                                  "Close": np.linspace(50, 60, len(DAYS))}))
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(d))

    def no_yahoo(*a: object, **k: object) -> None:
        raise AssertionError("the CSV source must not touch Yahoo")

    from betahedge_xl.data import yahoo

    monkeypatch.setattr(yahoo, "fetch", no_yahoo)
    return d


def test_reads_adj_close_sorted_and_close_fallback(folder: Path) -> None:
    ps = load_prices(["aaa", "bbb"], "2021-01-01", "2021-02-01")
    assert ps.source == "csv:exports" and list(ps.prices.columns) == ["AAA", "BBB"]
    raw = pd.read_csv(folder / "AAA.csv", parse_dates=["Date"]).set_index("Date").sort_index()
    want = raw.loc["2021-01-01":"2021-01-31", "Adj Close"]
    np.testing.assert_allclose(ps.prices["AAA"].to_numpy(), want.to_numpy())
    assert ps.prices.index.equals(pd.DatetimeIndex(want.index, name="Date").as_unit("ns"))
    assert ps.prices.index.is_monotonic_increasing and ps.prices.index.is_unique
    bbb = pd.read_csv(folder / "BBB.csv", parse_dates=["Date"]).set_index("Date")["Close"]
    np.testing.assert_allclose(ps.prices["BBB"].to_numpy(),
                               bbb.loc["2021-01-01":"2021-01-31"].to_numpy())
    assert ps.quality.messages() == []


def test_window_end_is_exclusive(folder: Path) -> None:
    p = fetch_prices("AAA", "2021-01-05", "2021-01-08").index
    assert list(p) == list(pd.to_datetime(["2021-01-05", "2021-01-06", "2021-01-07"]))
    with pytest.raises(DateRangeError, match="^end 2021-01-05 is not after start 2021-01-08"):
        load_prices("AAA", "2021-01-08", "2021-01-05")


def test_missing_file_partial_then_total(folder: Path) -> None:
    with pytest.warns(DataWarning, match=r"^CCC: no CCC\.csv in .*exports$"):
        ps = load_prices(["AAA", "CCC"])
    assert ps.prices["CCC"].isna().all() and isinstance(ps.errors["CCC"], UnknownTickerError)
    with pytest.raises(UnknownTickerError, match=r"^CCC: no CCC\.csv in .*exports$"):
        ps.aligned()
    with pytest.raises(UnknownTickerError, match=r"^CCC: no CCC\.csv in .*; DDD: no DDD\.csv"):
        load_prices(["CCC", "DDD"])


def test_no_shared_dates_and_empty_window(folder: Path) -> None:
    with pytest.raises(DataError, match=r"^AAA: no prices in 2030-01-01\.\.2031-01-01$"):
        load_prices("AAA", "2030-01-01", "2031-01-01")
    write(folder, "LATE", pd.DataFrame({"Date": ["2022-06-01"], "Close": [1.0]}))
    with pytest.raises(NoOverlapError, match=r"^AAA, LATE: no date with prices for all in"):
        fetch_prices(["AAA", "LATE"])


def test_index_prefix_and_edits_are_seen(folder: Path) -> None:
    write(folder, "GSPC", pd.DataFrame({"Date": ["2021-01-04", "2021-01-05"], "Close": [1, 2]}))
    assert load_prices("^GSPC").prices["^GSPC"].tolist() == [1.0, 2.0]
    loads = prices_mod.loads
    load_prices("^GSPC")
    assert prices_mod.loads == loads  # memo
    path = write(folder, "GSPC", pd.DataFrame({"Date": ["2021-01-04", "2021-01-05"],
                                               "Close": [1, 3]}))
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    assert load_prices("^GSPC").prices["^GSPC"].tolist() == [1.0, 3.0]


def test_messy_file(tmp_path: Path) -> None:
    path = tmp_path / "X.csv"
    path.write_text("date,adj_close\n2021-01-05,\"1,234.5\"\n2021-01-04,null\n"
                    "2021-01-05,11\nnot a date,3\n")
    with pytest.warns(DataWarning) as rec:
        s = read_price_csv(path)
    assert [str(w.message) for w in rec] == [
        "X: 1 row(s) of X.csv with an unreadable date ignored",
        "X: 1 date(s) repeated in X.csv; kept the last row of each"]
    assert s.index.tolist() == list(pd.to_datetime(["2021-01-04", "2021-01-05"]))
    assert np.isnan(s.iloc[0]) and s.iloc[1] == 11.0
    (tmp_path / "Y.csv").write_text("Date,Open,Volume\n2021-01-04,1,2\n")
    with pytest.raises(DataError, match=r"^Y: Y\.csv has no 'Adj Close' or 'Close' column "
                                        r"\(columns: Date, Open, Volume\)$"):
        read_price_csv(tmp_path / "Y.csv")


def test_missing_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(InputError, match=r"^BETAHEDGE_DATA_DIR: folder .*nope not found$"):
        load_prices("AAA")


def test_tickers_validated() -> None:
    with pytest.raises(InputError, match="^tickers: none given$"):
        load_prices(" , ")
    with pytest.raises(InputError, match=r"^tickers: 3 is not text$"):
        load_prices(["AAA", 3])  # type: ignore[list-item]


def test_from_frame_cleans_and_reports() -> None:
    idx = pd.to_datetime(["2021-01-06", "2021-01-04", "2021-01-05", "2021-01-07"])
    df = pd.DataFrame({"aaa": [3.0, 1.0, 0.0, 4.0], "bbb": [1.0, 2.0, 3.0, "x"]}, index=idx)
    ps = from_frame(df, "2021-01-01", "2021-01-08")
    assert ps.source == "memory" and list(ps.prices.columns) == ["AAA", "BBB"]
    assert ps.prices.index.is_monotonic_increasing
    assert np.isnan(ps.prices.loc["2021-01-05", "AAA"])  # zero removed
    assert ps.quality.tickers["AAA"].nonpositive == 1
    assert "AAA: 1 zero or negative price(s) removed" in ps.quality.messages()
    assert ps.aligned().index.tolist() == list(pd.to_datetime(["2021-01-04", "2021-01-06"]))
    with pytest.raises(InputError, match="^prices: the index does not hold dates$"):
        from_frame(pd.DataFrame({"A": [1.0]}, index=["soon"]))


# --- issue 10: a ticker is checked at the door; a CSV-folder lookup never leaves the folder ---
@pytest.mark.parametrize("ticker", ["../secret/pw", "..\\secret\\pw", "sub/AAA", "..", "=1+1",
                                    "-.", "A B\x00", "AAA;rm", "A:B", "A*"])
def test_a_ticker_that_is_not_one_is_refused(folder: Path, ticker: str) -> None:
    secret = folder.parent / "secret"
    secret.mkdir()
    (secret / "pw.csv").write_text("user,password\nbob,hunter2\n")
    with pytest.raises(InputError, match=r"only letters, digits and \. - \^ = _ & are allowed"
                       ) as err:
        load_prices(ticker)
    assert "password" not in str(err.value) and "\n" not in str(err.value)


def test_an_absolute_path_is_not_a_ticker(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "X.csv").write_text("Date,Close\n2021-01-04,1\n2021-01-05,2\n")
    with pytest.raises(InputError, match="only letters"):
        load_prices(str(outside / "X"))
    from betahedge_xl.data.csvdir import CsvDir

    with pytest.raises(InputError, match="only letters"):  # the source itself, used directly
        CsvDir(folder).read(str(outside / "X"))


def test_an_over_long_ticker_is_refused_with_a_message(folder: Path) -> None:
    with pytest.raises(InputError, match=r"^ticker 'A{19}\u2026' is longer than 32 characters$"):
        load_prices("A" * 300)


@pytest.mark.parametrize("ticker", ["brk-b", "^gspc", "EURUSD=X", "0700.HK", "M&M.NS", ".SPX",
                                    "ES=F", "BF_B", "-TSLA", "A" * 32])
def test_real_ticker_shapes_pass_the_door(folder: Path, ticker: str) -> None:
    name = ticker.upper().lstrip("^")
    write(folder, name, pd.DataFrame({"Date": ["2021-01-04", "2021-01-05"], "Close": [1, 2]}))
    assert load_prices(ticker).prices[ticker.upper()].tolist() == [1.0, 2.0]


# --- issue 10: the order of day and month is the file's, never a silent guess ----------------
SAMPLE = Path(__file__).resolve().parent.parent / "betahedge_xl" / "sample"


def _sample_as(folder: Path, fmt: str) -> Path:
    """The shipped TSLA and SPY prices (real, 2013-2015) with their dates written in ``fmt``."""
    folder.mkdir()
    for t in ("TSLA", "SPY"):
        df = pd.read_csv(SAMPLE / f"{t}.csv", parse_dates=["Date"], date_format="%Y-%m-%d")
        df["Date"] = df["Date"].dt.strftime(fmt)
        df.to_csv(folder / f"{t}.csv", index=False)
    return folder


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%m-%d-%Y"])
def test_day_first_and_month_first_files_read_right(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    fmt: str) -> None:
    from betahedge_xl import beta_hedge

    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_sample_as(tmp_path / "x", fmt)))
    res = beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")
    # independent: the ISO files, read by pandas with an explicit format, and polyfit
    px = {t: pd.read_csv(SAMPLE / f"{t}.csv", index_col="Date", parse_dates=True,
                         date_format="%Y-%m-%d")["Adj Close"] for t in ("TSLA", "SPY")}
    both = pd.concat(px, axis=1).loc["2014-01-01":"2014-12-31"].dropna()
    r = both.pct_change().dropna()
    assert res.n_obs == len(r) == 251
    assert res.beta == pytest.approx(np.polyfit(r["SPY"], r["TSLA"], 1)[0], rel=1e-9)
    assert res.beta == pytest.approx(1.95, abs=0.01)  # design.md's worked example


def test_a_file_that_never_settles_the_order_is_refused(tmp_path: Path) -> None:
    # month-end prices dated the 1st to the 12th: 01/02/2014 may be either
    path = tmp_path / "M.csv"
    path.write_text("Date,Close\n" + "".join(f"{d:02d}/{m:02d}/2014,{100 + m}\n"
                                             for m in range(1, 13) for d in (m,)))
    with pytest.raises(DataError, match=r"^M: M\.csv cannot tell whether its dates are "
                                        r"day-first or month-first \(no day above 12, e\.g\. "
                                        r"01/01/2014\); save them as YYYY-MM-DD$"):
        read_price_csv(path)
    path.write_text("Date,Close\n31/12/2014,1\n12/30/2014,2\n")
    with pytest.raises(DataError, match=r"mixes day-first and month-first dates "
                                        r"\(31/12/2014, 12/30/2014\)"):
        read_price_csv(path)


def test_iso_and_text_month_dates_need_no_decision(tmp_path: Path) -> None:
    path = tmp_path / "T.csv"
    path.write_text("Date,Close\n02 Jan 2014,1\n2014/01/03,2\n01/06/2014,3\n")
    # the one numeric date cannot settle its order alone: refused, not guessed
    with pytest.raises(DataError, match="cannot tell"):
        read_price_csv(path)
    path.write_text("Date,Close\n02 Jan 2014,1\n2014/01/03,2\n2014-01-06,3\n")
    assert read_price_csv(path).index.strftime("%Y-%m-%d").tolist() == [
        "2014-01-02", "2014-01-03", "2014-01-06"]


# ---------------------------------------------------------------------------------------------
# stamps with times and offsets, dates pandas cannot hold, two files for one ticker, notes
# ---------------------------------------------------------------------------------------------
def test_utc_midnight_shown_in_new_york_keeps_its_utc_date(tmp_path: Path) -> None:
    """UTC-midnight bars shown in New York time read 19:00 or 20:00 of the day before, with
    offsets -05:00 and -04:00 across daylight saving: each is its UTC date (as
    ``local_days`` reads the same stamps in a tz-aware index), not a day early."""
    days = pd.bdate_range("2014-02-24", "2014-03-21")  # DST starts 2014-03-09 in New York
    stamps = days.tz_localize("UTC").tz_convert("America/New_York")
    assert {s.utcoffset() for s in stamps} == {pd.Timedelta(hours=-5), pd.Timedelta(hours=-4)}
    close = np.arange(1.0, len(days) + 1)
    (tmp_path / "T.csv").write_text("Date,Close\n" + "".join(
        f"{s},{c}\n" for s, c in zip(stamps.astype(str), close)))
    got = read_price_csv(tmp_path / "T.csv")
    assert got.index.tolist() == days.tolist()
    np.testing.assert_array_equal(got.to_numpy(), close)
    # a 16:00 close with mixed offsets is its own (local) date
    closes = (days + pd.Timedelta(hours=16)).tz_localize("America/New_York")
    (tmp_path / "U.csv").write_text("Date,Close\n" + "".join(
        f"{s},{c}\n" for s, c in zip(closes.astype(str), close)))
    assert read_price_csv(tmp_path / "U.csv").index.tolist() == days.tolist()


@pytest.mark.parametrize("dates", [["2300-01-02", "2300-01-03"], ["1600-01-03", "2014-01-02"],
                                   ["2262-04-12 19:00:00-05:00", "2262-04-10 00:00:00-04:00"]])
def test_dates_pandas_cannot_hold_are_refused_naming_the_file(
        folder: Path, dates: list[str]) -> None:
    (folder / "FUT.csv").write_text("Date,Close\n" + "".join(f"{d},1{i}\n"
                                                             for i, d in enumerate(dates)))
    with pytest.raises(DataError, match=r"^FUT: FUT\.csv has dates outside the dates "
                                        r"supported \(1677-09-22 to 2262-04-11\)"):
        read_price_csv(folder / "FUT.csv")
    with pytest.raises(DataError, match=r"^FUT: FUT\.csv has dates outside"):
        load_prices("FUT")


@pytest.mark.skipif(os.path.normcase("A") == os.path.normcase("a"),
                    reason="a case-insensitive file system holds one of SPY.csv and spy.csv")
def test_two_files_for_one_ticker_are_refused_naming_both(folder: Path) -> None:
    write(folder, "SPY", pd.DataFrame({"Date": ["2021-01-04"], "Close": [1.0]}))
    write(folder, "spy", pd.DataFrame({"Date": ["2021-01-04"], "Close": [2.0]}))
    if len({p.name for p in folder.iterdir()}) < 4 or (folder / "SPY.csv").samefile(
            folder / "spy.csv"):
        pytest.skip("the file system folds case")
    with pytest.raises(DataError, match=r"^SPY: both SPY\.csv and spy\.csv in \S*exports; "
                                        r"keep one"):
        load_prices("spy")
    with pytest.warns(DataWarning, match=r"^SPY: both SPY\.csv and spy\.csv"):
        ps = load_prices(["AAA", "SPY"])
    assert ps.prices["SPY"].isna().all() and list(ps.errors) == ["SPY"]
    (folder / "spy.csv").unlink()  # the user keeps one: it is read at once
    assert load_prices("SPY").prices["SPY"].tolist() == [1.0]


def test_repeated_and_unreadable_dates_reach_the_price_notes(folder: Path) -> None:
    """The CSV reader's findings about a file travel with its prices (``PriceSet.messages``,
    which every face shows), as Yahoo's repeated dates do; again when served from the memo."""
    (folder / "DUP.csv").write_text("Date,Close\n2021-01-04,1\n2021-01-05,2\n2021-01-05,3\n"
                                    "someday,4\n")
    want = ["DUP: 1 row(s) of DUP.csv with an unreadable date ignored",
            "DUP: 1 date(s) repeated in DUP.csv; kept the last row of each"]
    for ask in (["DUP", "AAA"], ["DUP"]):  # a fresh file, then the parsed file kept
        with pytest.warns(DataWarning) as rec:
            ps = load_prices(ask)
        assert [str(w.message) for w in rec if "DUP.csv" in str(w.message)] == want
        assert [m for m in ps.messages() if "DUP.csv" in m] == want
    ps = load_prices(["DUP"])  # from the memo: no warning again, the notes are kept
    assert [m for m in ps.messages() if "DUP.csv" in m] == want
    assert ps.prices["DUP"].dropna().tolist() == [1.0, 3.0]


# ---------------------------------------------------------------------------------------------
# decimal commas and returns files (issue 19): read as meant or refused
# ---------------------------------------------------------------------------------------------
def _decimal_comma_file(path: Path, prices: pd.Series, sep: str = ",") -> None:
    text = [f"Date{sep}Close"]
    for d, v in prices.items():
        number = f"{v:.2f}".replace(".", ",")
        text.append(f'{d:%Y-%m-%d}{sep}"{number}"' if sep == "," else f"{d:%Y-%m-%d}{sep}{number}")
    path.write_text("\n".join(text) + "\n")


@pytest.mark.parametrize("sep", [",", ";"])
def test_decimal_commas_are_read_as_decimals(tmp_path: Path, sep: str) -> None:
    from betahedge_xl.data.csvdir import read_price_csv

    idx = pd.bdate_range("2014-01-02", periods=30)
    prices = pd.Series(np.round(np.linspace(123.45, 150.55, 30), 2), idx)
    _decimal_comma_file(tmp_path / "X.csv", prices, sep)
    got = read_price_csv(tmp_path / "X.csv")
    np.testing.assert_allclose(got.to_numpy(), prices.to_numpy(), rtol=1e-12)
    assert (got.index == idx).all()


def test_thousands_separators_still_read_and_ambiguous_numbers_refused(tmp_path: Path) -> None:
    from betahedge_xl.data.csvdir import read_price_csv

    (tmp_path / "A.csv").write_text('Date,Close\n2014-01-02,"1,234.50"\n2014-01-03,"1,240.25"\n')
    assert read_price_csv(tmp_path / "A.csv").tolist() == [1234.5, 1240.25]
    (tmp_path / "B.csv").write_text('Date,Close\n2014-01-02,"1,234"\n2014-01-03,"1,240"\n')
    with pytest.raises(DataError, match=r"^B: B\.csv cannot tell whether 1,234 holds a decimal "
                                        r"comma or a thousands separator"):
        read_price_csv(tmp_path / "B.csv")
    (tmp_path / "C.csv").write_text('Date,Close\n2014-01-02,"123,45"\n2014-01-03,"123.50"\n')
    with pytest.raises(DataError, match=r"^C: C\.csv mixes decimal commas and decimal points"):
        read_price_csv(tmp_path / "C.csv")


def _returns_file(path: Path, returns: pd.Series, fmt: str) -> None:
    path.write_text("Date,Return\n" + "".join(f"{d.strftime(fmt)},{r!r}\n"
                                             for d, r in returns.items()))


def test_returns_file_dates_follow_the_price_file_rules(tmp_path: Path) -> None:
    from betahedge_xl.cli import read_returns
    from betahedge_xl.exceptions import InputError

    idx = pd.bdate_range("2014-01-02", periods=55)  # days above 12: the file is day-first
    r = pd.Series(np.random.default_rng(2).normal(0, 0.01, 55), idx)
    _returns_file(tmp_path / "A.csv", r, "%d/%m/%Y")
    got = read_returns(str(tmp_path / "A.csv"), "ASSET")
    assert (got.index == idx).all()  # 01/02/2014 is the 1st of February, as the file says
    np.testing.assert_allclose(got["A"].to_numpy(), r.to_numpy())
    # a file that never settles the order is refused, not read month-first
    _returns_file(tmp_path / "B.csv", r.iloc[:6], "%d/%m/%Y")  # 2014-01-02..09
    with pytest.raises(InputError, match=r"^B\.csv: cannot tell whether its dates are day-first"):
        read_returns(str(tmp_path / "B.csv"), "ASSET")


# ---------------------------------------------------------------------------------------------
# the fast read of the usual file means what the general read means
# ---------------------------------------------------------------------------------------------
_HEADERS = ["Date,Open,Close,Adj Close,Volume", "date,close", "Close,Date", "Date, Close",
            "Date;Close", '"Date","Close"', "\ufeffDate,Close", "Date,Close,", "Date,Close,Close",
            "Time,Price", "Date,Clôture,Close", "Close"]
_DATES = [["2014-01-06", "2014-01-02", "2014-01-03"], ["2014-01-02", "2014-01-02", "2014-01-03"],
          [" 2014-01-02", "2014-01-03 ", "2014-01-06"],
          ["2014-01-02 16:00", "2014-01-03 16:00", "2014-01-06 16:00"],
          ["2014-01-02T00:00:00Z", "2014-01-03T00:00:00Z", "2014-01-06T00:00:00Z"],
          ["2014-03-10 00:00:00-04:00", "2014-03-07 00:00:00-05:00", "2014-03-11 00:00:00-04:00"],
          ["2014-01-02", "", "2014-01-06"], ["2014-01-02", "abc", "2014-01-06"],
          ["2014-02-30", "2014-01-03", "2014-01-06"], ["20140102", "20140103", "20140106"],
          ["01/02/2014", "13/02/2014", "14/02/2014"], ["01/02/2014", "02/02/2014", "03/02/2014"],
          ["2 Jan 2014", "3 Jan 2014", "6 Jan 2014"], ["2300-01-01", "2014-01-03", "2014-01-06"],
          ["2014-01-02 19:00", "2014-01-03 19:00", "2014-01-06 19:00"],
          ["2014-1-2", "2014-1-3", "2014-1-6"], ["2014-01-02", "2014-01-03T10:00", "2014-01-06"]]
_NUMBERS = [["1.5", "2.5", "3.5"], ["123,45", "1,5", "2,75"], ["1,234.50", "1,300.00", "1,400.25"],
            ["1.5", "null", ""], ["1,234", "1,300", "1,400"]]


def _outcome(path: Path) -> tuple[object, list[str]]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got: object = read_price_csv(path)
        except Exception as exc:  # the outcome compared is the exception itself
            got = (type(exc).__name__, str(exc))
    return got, [f"{w.category.__name__}: {w.message}" for w in caught]


def test_the_fast_read_means_what_the_general_read_means(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file, read with the fast path (plain first line, ISO dates parsed while pandas
    reads) and with the general one alone, gives the same prices on the same dates, the same
    warnings and the same refusals: decimal commas, day-first dates, time zones, unreadable
    dates and names pandas mangles included."""
    from betahedge_xl.data import csvdir

    taken: list[bool] = []
    fast = csvdir._read_iso

    def counting(*args: object) -> object:
        out = fast(*args)  # type: ignore[arg-type]
        taken.append(out is not None)
        return out

    n = 0
    for header in _HEADERS:
        sep = ";" if ";" in header else ","
        names = header.split(sep)
        for dates in _DATES:
            for numbers in _NUMBERS:
                rows = []
                for i in range(3):
                    cells = [dates[i] if "date" in c.lower() or "time" in c.lower()
                             or (k == 0 and "Close" not in c) else numbers[i]
                             for k, c in enumerate(names)]
                    rows.append(sep.join(f'"{c}"' if sep in c else c for c in cells))
                path = tmp_path / f"F{n}.csv"
                path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
                n += 1
                with monkeypatch.context() as m:
                    m.setattr(csvdir, "_read_iso", counting)
                    got, said = _outcome(path)
                with monkeypatch.context() as m:
                    m.setattr(csvdir, "_read_iso", lambda *a: None)
                    want, want_said = _outcome(path)
                assert said == want_said, path.read_text()
                if isinstance(want, pd.Series):
                    assert isinstance(got, pd.Series), path.read_text()
                    pd.testing.assert_series_equal(got, want)
                    assert got.index.dtype == want.index.dtype
                else:
                    assert got == want, path.read_text()
    # the fast path did read many of them (the plain ones with ISO dates, none other)
    assert 100 < sum(taken) < len(taken)


def test_a_usual_export_takes_the_fast_read(folder: Path) -> None:
    """A Yahoo export is read by the fast path, and gives the prices pandas reads."""
    from betahedge_xl.data import csvdir

    path = folder / "AAA.csv"
    read = csvdir._read_iso(path, "Date", "Adj Close", ",")
    assert read is not None
    ref = pd.read_csv(path, index_col="Date", parse_dates=True)["Adj Close"].sort_index()
    np.testing.assert_array_equal(read_price_csv(path).to_numpy(), ref.to_numpy())
    assert (read_price_csv(path).index == ref.index).all()
