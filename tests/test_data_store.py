"""The local SQLite price store: coverage, setting aside damaged or foreign files, CLI helpers,
and the store shared with other processes (real ones: a second process holds SQLite's locks),
on a full disk and in a read-only folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.data import (
    clear_memory,
    clear_store,
    import_csv_dir,
    load_prices,
    store_path,
    store_summary,
)
from betahedge_xl.data import store as store_mod
from betahedge_xl.data.store import (
    APPLICATION_ID,
    PriceStore,
    close_stores,
    from_day,
    subtract,
    to_day,
)
from betahedge_xl.exceptions import DataWarning, StoreError, StoreWarning


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
    ).close(), "layout version 99, expected 2"),
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
    types = {r[0] for r in con.execute("SELECT DISTINCT typeof(days) || typeof(closes) FROM series")}
    types |= {r[0] for r in con.execute("SELECT DISTINCT typeof(fetched_at) FROM coverage")}
    assert types == {"blobblob", "text"}
    # the blobs are plain little-endian arrays (int32 days since 1970, float64 closes), no
    # pickled objects: numpy reads them back without the project's code
    n, days, closes = con.execute("SELECT n, days, closes FROM series").fetchone()
    assert n == 3
    assert np.frombuffer(closes, "<f8").tolist() == [10.0, 11.0, 12.0]
    assert (np.frombuffer(days, "<i4").astype("datetime64[D]").astype(str).tolist()
            == ["2020-01-01", "2020-01-02", "2020-01-03"])
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


# ---------------------------------------------------------------------------------------------
# damaged files, older layouts
# ---------------------------------------------------------------------------------------------
def test_damaged_store_warning_is_one_line(tmp_path: Path) -> None:
    """A store whose pages are garbled fails quick_check with dozens of findings: the warning
    names the first and counts the rest, on one line."""
    path = tmp_path / "prices.sqlite"
    st = PriceStore(path)
    for i in range(40):
        st.write(f"T{i}", series("2000-01-03", 3000), (0, 20000), "t", pd.Timestamp.now(tz="UTC"))
    st.close()
    raw = bytearray(path.read_bytes())
    first = len(raw) // 2  # the header and schema pages stay: the file is still SQLite
    for i in range(first, first + 48 * 1024):
        raw[i] = (i * 7) % 251
    path.write_bytes(bytes(raw))
    with pytest.warns(StoreWarning) as rec:
        PriceStore(path).close()
    (msg,) = [str(w.message) for w in rec]
    assert "\n" not in msg
    assert re.match(r"^price store prices\.sqlite was damaged \(.+\); "
                    r"moved it to prices\.sqlite\.bad-\d{8}-\d{6} and started a fresh store$",
                    msg), msg


def test_layout_1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    """A store written by the previous layout (one SQL row per price) keeps its prices and
    coverage: converted, not set aside."""
    path = tmp_path / "prices.sqlite"
    s = series("2020-01-01", 20)
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE prices (ticker TEXT NOT NULL, day INTEGER NOT NULL, close REAL NOT NULL,"
        " PRIMARY KEY (ticker, day)) WITHOUT ROWID;"
        "CREATE TABLE coverage (ticker TEXT NOT NULL, start_day INTEGER NOT NULL,"
        " end_day INTEGER NOT NULL, source TEXT NOT NULL, fetched_at TEXT NOT NULL);"
        "CREATE INDEX coverage_ticker ON coverage (ticker);"
        f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;")
    con.executemany("INSERT INTO prices VALUES ('AAA', ?, ?)",
                    [(to_day(d), v) for d, v in s.items()])
    con.execute("INSERT INTO coverage VALUES ('AAA', ?, ?, 'yahoo', '2024-01-01T00:00:00+00:00')",
                (to_day(s.index[0]), to_day(s.index[-1]) + 1))
    con.commit()
    con.close()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st = PriceStore(path)
    pd.testing.assert_series_equal(st.read(["AAA"])["AAA"], s.rename("AAA"), check_freq=False)
    assert st.missing("AAA", to_day(s.index[0]), to_day(s.index[-1]) + 1) == []
    st.close()
    assert not list(tmp_path.glob("*.bad-*"))


# ---------------------------------------------------------------------------------------------
# other processes
# ---------------------------------------------------------------------------------------------
HOLD = r"""
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":  # nobody else may even read (a backup tool, an old writer)
    con.execute("PRAGMA locking_mode = EXCLUSIVE")
    con.execute("BEGIN EXCLUSIVE")
else:  # another writer in the middle of its transaction
    con.execute("BEGIN IMMEDIATE")
con.execute("INSERT INTO coverage VALUES ('HOLD', 0, 1, 'holder', '2024-01-01')")
print("held", flush=True)
sys.stdin.readline()
con.execute("COMMIT")
con.close()
"""


@contextmanager
def holding(path: Path, how: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store's lock until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), how], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held", \
            proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        out, err = proc.communicate("go\n", timeout=60)
        assert proc.returncode == 0, err


def _filled(path: Path) -> pd.Series:
    st = PriceStore(path)
    s = series("2020-01-01", 30)
    st.write("AAA", s, (to_day(s.index[0]), to_day(s.index[-1]) + 1), "t",
             pd.Timestamp.now(tz="UTC"))
    st.close()
    return s.rename("AAA")


def test_store_held_by_another_process_is_busy_never_set_aside(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A healthy store locked by another process is waited for, then a one-line "busy" error
    reaches the caller (load_prices, as Excel and the command line call it); the file is
    neither renamed nor emptied."""
    path = store_path()
    path.parent.mkdir(parents=True)
    s = _filled(path)
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT", 0.5, raising=False)
    busy = (rf"^price store {re.escape(str(path))} is busy: another program has held it for "
            r"0\.5 s; try again when it is done$")
    with holding(path, "exclusive"):
        with pytest.raises(StoreError, match=busy):
            load_prices("AAA", "2020-01-01", "2020-02-01")
        assert sorted(p.name for p in path.parent.iterdir() if ".bad-" in p.name) == []
    close_stores()
    clear_memory()
    ps = load_prices("AAA", "2020-01-01", "2020-02-12")  # inside the coverage: no Yahoo
    pd.testing.assert_series_equal(ps.prices["AAA"], s, check_freq=False)


def test_writer_waits_for_another_process_then_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "prices.sqlite"
    _filled(path)
    st = PriceStore(path, timeout=120)
    done: list[object] = []

    def write() -> None:
        try:
            done.append(st.write("BBB", series("2021-01-01", 5), (0, 1), "t",
                                 pd.Timestamp.now(tz="UTC")))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            done.append(exc)

    with holding(path, "immediate"):
        reader = PriceStore(path, timeout=0.5)
        assert len(reader.read(["AAA"])["AAA"]) == 30  # readers do not wait for a writer
        reader.close()
        worker = threading.Thread(target=write)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and not done  # waiting for the other process's lock
    worker.join(60)
    assert done == [5]
    got = st.read(["AAA", "BBB"])
    assert len(got["AAA"]) == 30 and len(got["BBB"]) == 5
    assert st.coverage("HOLD") == [(0, 1)]  # and the other process's write is there too
    st.close()


RACE = r"""
import pathlib, sys, time, warnings
warnings.simplefilter("error")
import numpy as np, pandas as pd
from betahedge_xl.data.store import PriceStore
print("ready", flush=True)
go = pathlib.Path(sys.argv[2])
while not go.exists():
    time.sleep(0.0005)
st = PriceStore(sys.argv[1])
idx = pd.bdate_range("2020-01-01", periods=50)
st.write(sys.argv[3], pd.Series(np.arange(50.0) + 1, index=idx), (0, 30000), "race",
         pd.Timestamp.now(tz="UTC"))
st.close()
"""


@pytest.mark.parametrize("round_", range(3))
def test_eight_processes_create_the_store_at_once(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "new" / "prices.sqlite"
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(path), str(go), f"P{i}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(8)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    assert [err for _, err in results] == [""] * 8  # no warning: nothing set aside
    assert sorted(p.name for p in path.parent.iterdir() if ".bad-" in p.name) == []
    got = PriceStore(path).read([f"P{i}" for i in range(8)])
    assert [len(s) for s in got.values()] == [50] * 8


def _write_csvs(folder: Path, data: dict[str, pd.Series]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for t, s in data.items():
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Adj Close": s.values}).to_csv(
            folder / f"{t}.csv", index=False)


def _cli_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETAHEDGE_")}
    env["BETAHEDGE_CACHE_DIR"] = str(cache)
    return env


def test_concurrent_cache_imports_all_succeed_nothing_lost(tmp_path: Path) -> None:
    """Four ``betahedge cache import`` processes into one store at once, while a fifth process
    holds the write lock for a while (a long import of an older version, a second Excel):
    each import succeeds, and the store holds every file's prices exactly once (shared
    tickers too)."""
    rng = np.random.default_rng(1)
    idx = pd.bdate_range("2000-01-03", periods=2500)

    def prices() -> pd.Series:
        return pd.Series(50 * np.cumprod(1 + rng.normal(0, 0.01, len(idx))), index=idx)

    shared = {f"S{i:02d}": prices() for i in range(10)}
    folders, want = [], dict(shared)
    for k in range(4):
        own = {f"P{k}X{i:02d}": prices() for i in range(25)}
        want.update(own)
        folders.append(tmp_path / f"in{k}")
        _write_csvs(folders[-1], {**own, **shared})
    cache = tmp_path / "cache"
    cache.mkdir()
    PriceStore(cache / "prices.sqlite").close()
    with holding(cache / "prices.sqlite", "immediate"):
        procs = [subprocess.Popen([sys.executable, "-m", "betahedge_xl.cli", "cache", "import",
                                   str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=_cli_env(cache)) for f in folders]
        for p in procs:  # every import has started and is about to write
            assert p.stderr is not None and p.stderr.readline().startswith("Importing")
        # longer than the 5 s that SQLite waited by default in earlier versions, well under
        # the store's BUSY_TIMEOUT
        time.sleep(6)
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    for out, _ in results:
        assert "Imported 35 of 35 file(s)" in out
    st = PriceStore(cache / "prices.sqlite")
    summary = st.summary().set_index("ticker")
    assert sorted(summary.index) == sorted(want)
    got = st.read(sorted(want))
    for t in want:
        independent = pd.read_csv(tmp_path / ("in0" if t.startswith("S") else f"in{t[1]}") /
                                  f"{t}.csv", index_col="Date", parse_dates=True)["Adj Close"]
        assert got[t].index.is_unique and len(got[t]) == len(independent) == 2500
        np.testing.assert_array_equal(got[t].to_numpy(), independent.to_numpy())
    assert st.coverage("HOLD") == [(0, 1)]
    st.close()


# ---------------------------------------------------------------------------------------------
# cache import, file by file
# ---------------------------------------------------------------------------------------------
def test_cache_import_reports_each_file_and_goes_past_bad_ones(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    a, d = series("2019-01-01", 40), series("2019-03-01", 25, 7.0)
    _write_csvs(folder, {"AAA": a, "DDD": d})
    (folder / "BBB.csv").write_text("Date,Volume\n2019-01-02,100\n")  # no price column
    (folder / "CCC.csv").write_text("Date,Close\n2019-01-02,null\n")  # no price at all
    (folder / "EEE.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x00")  # not text
    cache = tmp_path / "cache"
    proc = subprocess.run([sys.executable, "-m", "betahedge_xl.cli", "cache", "import", "-q",
                           str(folder)], capture_output=True, text=True, env=_cli_env(cache))
    assert proc.returncode == 3
    lines = proc.stdout.splitlines()
    assert lines[0] == "AAA.csv: AAA 40 prices 2019-01-01..2019-02-25"
    assert lines[1].startswith("BBB.csv: skipped, BBB: BBB.csv has no 'Adj Close' or 'Close' "
                               "column")
    assert lines[2] == "CCC.csv: skipped, no prices"
    assert lines[3] == "DDD.csv: DDD 25 prices 2019-03-01..2019-04-04"
    assert lines[4].startswith("EEE.csv: skipped, ")
    assert lines[5].startswith("Imported 2 of 5 file(s), 65 prices")
    assert proc.stderr == "betahedge: warning: cache import: skipped 3 file(s): BBB.csv, " \
                          "CCC.csv, EEE.csv\n"
    st = PriceStore(cache / "prices.sqlite")
    assert st.summary()[["ticker", "rows"]].to_dict("records") == [
        {"ticker": "AAA", "rows": 40}, {"ticker": "DDD", "rows": 25}]
    st.close()


def test_import_csv_dir_warns_per_skipped_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _write_csvs(folder, {"AAA": series("2019-01-01", 10)})
    (folder / "BBB.csv").write_text("Date,Volume\n2019-01-02,100\n")
    with pytest.warns(DataWarning, match=r"^BBB\.csv: skipped, BBB: BBB\.csv has no"):
        assert import_csv_dir(folder) == {"AAA": 10}


# ---------------------------------------------------------------------------------------------
# full disk, read-only folder (a private tmpfs, as root)
# ---------------------------------------------------------------------------------------------
def _can_mount() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\" && "
                            "umount \"$d\" && rmdir \"$d\""], capture_output=True)
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(),
                                 reason="needs root and mount namespaces (unshare) for a tmpfs")


@needs_mount
@pytest.mark.parametrize("mode, reason", [
    ("full", r"disk full, \d+ bytes free"),
    ("ro", r"read-only folder [^)]+"),
])
def test_unwritable_store_still_returns_fetched_prices(tmp_path: Path, mode: str,
                                                       reason: str) -> None:
    from test_data_yahoo import START, END, expected

    (tmp_path / "m").mkdir()
    (tmp_path / "w").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETAHEDGE_")}
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                           str(Path(__file__).parent / "store_fault_scenario.py"), mode,
                           str(tmp_path / "m"), str(tmp_path / "w")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "error" not in out, out["error"]
    # the prices fetched for this call are returned, and served again in this process
    for t in ("AAA", "BBB"):
        want = expected(t)
        want = want[(want.index >= START) & (want.index < END)]
        got = pd.Series({pd.Timestamp(d): v for d, v in out["prices"][t]}, dtype=float)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
        assert list(got.index) == list(want.index)
    assert out["again_equal"] and out["again_calls"] == 0
    assert out["old_served"] == 30  # what the store held is still read
    store_lines = [w for w in out["warnings"] if w.startswith("StoreWarning")]
    assert len(store_lines) == 1, out["warnings"]
    assert re.match(rf"^StoreWarning: price store \S+prices\.sqlite cannot be written "
                    rf"\({reason}\); prices fetched now are kept in memory for this session "
                    rf"only$", store_lines[0]), store_lines[0]
    # cache import says so in one line, with a data error's status
    imp = out["import"]
    assert imp["rc"] == 3 and imp["stdout"] == ""
    assert re.match(rf"^betahedge: error: price store \S+prices\.sqlite cannot be written "
                    rf"\({reason}\); nothing was stored\n$", imp["stderr"]), imp["stderr"]
    # nothing half-written: the file is as before, and reads back whole once the fault is gone
    assert out["unchanged"] and out["wal_bytes"] == 0
    after, check = out["after"]["stdout"].splitlines()
    assert check == "ok" and out["after"]["stderr"] == ""
    assert {t: len(v) for t, v in json.loads(after).items()} == {"OLD": 30, "AAA": 0, "NEW": 0}


def test_outer_join_equals_pandas_concat() -> None:
    """The numpy join behind every PriceSet against pandas' outer concat: ragged starts,
    holes, a ticker without prices, one missing altogether, one out of order."""
    from betahedge_xl.data.prices import _outer_join

    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2020-01-01", periods=300, name="Date").as_unit("ns")
    parts = {
        "A": pd.Series(rng.random(300), index=idx),
        "B": pd.Series(rng.random(250), index=idx[50:]),  # a slice of A's dates
        "C": pd.Series(rng.random(200), index=idx[rng.random(300) < 0.7][:200]),  # holes
        "D": pd.Series(dtype=float, index=pd.DatetimeIndex([], name="Date")),
        "F": pd.Series(rng.random(3), index=pd.DatetimeIndex(
            ["2021-06-05", "2019-12-28", "2020-03-01"], name="Date")),  # a weekend, unsorted
    }
    names = ["C", "A", "E", "B", "D"]
    for cols in (names, [*names, "F"]):
        want = pd.concat([parts[t].rename(t) if t in parts else
                          pd.Series(dtype=float, index=pd.DatetimeIndex([]), name=t)
                          for t in cols], axis=1, join="outer", sort=True).astype(float)
        want.index = pd.DatetimeIndex(want.index, name="Date").as_unit("ns")
        got = _outer_join(cols, {t: s for t, s in parts.items() if t != "E"})
        pd.testing.assert_frame_equal(got, want.reindex(columns=cols), check_freq=False)


def test_import_reads_dates_with_spaces_like_clean_ones(tmp_path: Path) -> None:
    """The CSV reader tries ISO dates as they are before stripping them: padded dates (an
    export with aligned columns) still give the same prices on the same days."""
    s = series("2019-01-01", 12)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "PAD.csv").write_text("Date,Close\n" + "".join(
        f"  {d:%Y-%m-%d} ,{v}\n" for d, v in s.items()))
    assert import_csv_dir(folder) == {"PAD": 12}
    got = PriceStore(store_path()).read(["PAD"])["PAD"]
    pd.testing.assert_series_equal(got, s.rename("PAD"), check_freq=False)


# ---------------------------------------------------------------------------------------------
# cache import: what it refuses, and what it says when the store fails half-way
# ---------------------------------------------------------------------------------------------
def test_import_refuses_out_of_range_dates_two_files_and_non_tickers(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _write_csvs(folder, {"AAA": series("2019-01-01", 10)})
    (folder / "FUT.csv").write_text("Date,Close\n2300-01-02,10\n2300-01-03,12\n")
    (folder / "BAD NAME.csv").write_text("Date,Close\n2019-01-02,10\n")
    (folder / f"{'L' * 40}.csv").write_text("Date,Close\n2019-01-02,10\n")
    (folder / "SPY.csv").write_text("Date,Close\n2019-01-02,10\n")
    (folder / "spy.csv").write_text("Date,Close\n2019-01-02,20\n")
    fold = len(list(folder.iterdir())) < 6
    items: list[store_mod.ImportedFile] = []
    assert import_csv_dir(folder, on_file=items.append) == {"AAA": 10}
    said = {i.file: i.skipped for i in items}
    assert said["FUT.csv"] == ("FUT: FUT.csv has dates outside the dates supported "
                               "(1677-09-22 to 2262-04-11), e.g. 2300-01-02")
    assert said["BAD NAME.csv"] == ("ticker 'BAD NAME': only letters, digits and . - ^ = _ & "
                                    "are allowed")
    assert said[f"{'L' * 40}.csv"] == (f"ticker {'L' * 19 + chr(0x2026)!r} is longer than 32 "
                                       f"characters")
    if not fold:
        assert said["SPY.csv, spy.csv"] == "SPY: both SPY.csv and spy.csv hold SPY; keep one"
    st = PriceStore(store_mod.default_path())
    assert list(st.summary()["ticker"]) == ["AAA"]  # nothing else stored, FUT not wrapped
    st.close()


def test_import_failing_half_way_says_what_was_stored(tmp_path: Path) -> None:
    """A file-size limit (``ulimit -f``) makes the store's writes fail after a few files: the
    last line names the files stored before the failure, and the store holds exactly them."""
    import resource

    folder = tmp_path / "in"
    idx = pd.bdate_range("2000-01-03", periods=2500)
    _write_csvs(folder, {f"T{i:03d}": pd.Series(np.linspace(10, 20, len(idx)) + i, index=idx)
                         for i in range(40)})
    cache = tmp_path / "cache"
    cache.mkdir()
    PriceStore(cache / "prices.sqlite").close()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (400 * 1024, 400 * 1024))

    proc = subprocess.run([sys.executable, "-m", "betahedge_xl.cli", "cache", "import", "-q",
                           str(folder)], capture_output=True, text=True, env=_cli_env(cache),
                          preexec_fn=limit, timeout=300)
    assert proc.returncode == 3, proc.stderr
    stored = [line.split(":")[0][:-4] for line in proc.stdout.splitlines()]
    st = PriceStore(cache / "prices.sqlite")
    assert sorted(st.summary()["ticker"]) == stored and 0 < len(stored) < 40
    st.close()
    assert re.fullmatch(
        rf"betahedge: error: price store \S+prices\.sqlite cannot be written \([^)]+\); "
        rf"stored {len(stored)} file\(s\) before it \({re.escape(', '.join(stored))}, "
        rf"{2500 * len(stored)} prices\), not the rest\n", proc.stderr), proc.stderr
