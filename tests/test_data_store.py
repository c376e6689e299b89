"""The local SQLite price store: coverage, setting aside damaged or foreign files, CLI helpers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.data import clear_store, import_csv_dir, load_prices, store_path, store_summary
from betahedge_xl.data.store import (
    APPLICATION_ID,
    PriceStore,
    close_stores,
    from_day,
    subtract,
    to_day,
)
from betahedge_xl.exceptions import StoreWarning


def series(start: str, n: int, first: float = 10.0) -> pd.Series:
    idx = pd.bdate_range(start, periods=n, name="Date").as_unit("ns")
    return pd.Series(first + np.arange(n, dtype=float), index=idx)


def test_store_lives_in_cache_dir(_isolated_price_data: Path) -> None:
    assert store_path() == _isolated_price_data / "prices.sqlite"


def test_subtract_ranges() -> None:
    assert subtract((0, 10), [(2, 4), (6, 7)]) == [(0, 2), (4, 6), (7, 10)]
    assert subtract((3, 5), [(0, 10)]) == []
    assert subtract((0, 3), []) == [(0, 3)]
    assert from_day(to_day(pd.Timestamp("2014-01-02"))) == pd.Timestamp("2014-01-02")


def test_write_read_coverage(tmp_path: Path) -> None:
    st = PriceStore(tmp_path / "s.sqlite")
    s = series("2020-01-01", 10)
    st.write("AAA", s, (to_day(s.index[0]), to_day(s.index[-1]) + 3), "test",
             pd.Timestamp("2024-01-01", tz="UTC"))
    got = st.read(["AAA", "NONE"])
    pd.testing.assert_series_equal(got["AAA"], s.rename("AAA"), check_freq=False)
    assert got["NONE"].empty
    # a range ending on a weekend is covered, so nothing is missing
    assert st.missing("AAA", to_day(s.index[0]), to_day(s.index[-1]) + 3) == []
    assert st.fetched_at("AAA") == pd.Timestamp("2024-01-01", tz="UTC")
    st.close()


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 100)


@pytest.mark.parametrize("make, reason", [
    (_corrupt, r"damaged \(file is not a database\)"),
    (lambda p: sqlite3.connect(p).executescript("CREATE TABLE t(x);").close(),
     "not a betahedge-xl price store"),
    (lambda p: sqlite3.connect(p).executescript(
        f"PRAGMA application_id={APPLICATION_ID}; PRAGMA user_version=99; CREATE TABLE t(x);"
    ).close(), "layout version 99, expected 1"),
])
def test_bad_file_set_aside(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "prices.sqlite"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    with pytest.warns(StoreWarning, match=rf"^price store prices\.sqlite was {reason}; moved "
                                          r"it to prices\.sqlite\.bad-\d{8}-\d{6} and started "
                                          r"a fresh store$"):
        st = PriceStore(path)
    aside = list(tmp_path.glob("prices.sqlite.bad-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == before
    st.write("AAA", series("2020-01-01", 3), None, "t", pd.Timestamp.now(tz="UTC"))
    st.close()
    # the fresh store is trusted next time: no warning, no second set-aside
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = PriceStore(path)
    assert len(again.read(["AAA"])["AAA"]) == 3
    again.close()


def test_store_holds_data_only(tmp_path: Path) -> None:
    st = PriceStore(tmp_path / "s.sqlite")
    st.write("AAA", series("2020-01-01", 3), (0, 1), "t", pd.Timestamp.now(tz="UTC"))
    st.close()
    con = sqlite3.connect(tmp_path / "s.sqlite")
    types = {r[0] for r in con.execute("SELECT DISTINCT typeof(close) FROM prices")}
    types |= {r[0] for r in con.execute("SELECT DISTINCT typeof(fetched_at) FROM coverage")}
    assert types == {"real", "text"}  # numbers and text: no pickled objects
    con.close()


def test_import_summary_clear_then_served_offline(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bbg"
    folder.mkdir()
    a, b = series("2019-01-01", 300), series("2019-01-01", 250, 50.0)
    pd.DataFrame({"Date": a.index, "Adj Close": a.values}).to_csv(folder / "AAA.csv", index=False)
    pd.DataFrame({"Date": b.index, "Close": b.values}).to_csv(folder / "bbb.csv", index=False)
    assert import_csv_dir(folder) == {"AAA": 300, "BBB": 250}
    summary = store_summary()
    assert summary[["ticker", "first", "last", "rows"]].to_dict("records") == [
        {"ticker": "AAA", "first": a.index[0], "last": a.index[-1], "rows": 300},
        {"ticker": "BBB", "first": b.index[0], "last": b.index[-1], "rows": 250}]
    assert summary["fetched_at"].notna().all()

    from betahedge_xl.data import yahoo

    def no_yahoo(*args: object, **kwargs: object) -> None:
        raise AssertionError("inside imported dates the store must serve without Yahoo")

    monkeypatch.setattr(yahoo, "fetch", no_yahoo)
    close_stores()  # as in a new process
    ps = load_prices(["AAA", "BBB"], "2019-02-01", "2019-06-01")
    assert ps.source == "store" and not ps.stale
    pd.testing.assert_series_equal(ps.prices["AAA"], a.loc["2019-02-01":"2019-05-31"].rename(
        "AAA"), check_freq=False)
    assert clear_store() == 2 and store_summary().empty
