"""Speed of the price layer, each target beside its reference in the same run.

1. ``cache import`` of a folder of CSV files (the Python call behind ``betahedge cache import``),
   into an empty store, against pandas reading the same files
   (``pd.read_csv(f, index_col="Date", parse_dates=True)``, and plain ``pd.read_csv(f)`` for
   information). Target: at most 1.5x the dated read. The project's CSV reader alone
   (``read_price_csv``: column detection, dates, duplicates) is timed too, to show which part
   of the import is reading and which is storing.
2. A cold public ``bh.fetch_prices`` of 300 tickers x 20 years from the store, in a fresh
   process (the call itself; then the call with the package's own import, the part beyond
   numpy and pandas, which the reference imports too; pandas' import is printed apart),
   against pandas reading those 300
   files, for windows starting on several kinds of day (``start_days``): the store's first
   day, a trading day inside the stored range, a Saturday inside it, a holiday inside it
   (25 December, no row), and the closed day before the range (1 January: the store's top-up
   must decide the tickers' calendars). Each window ends the day after the last stored date.
   Target: at most 0.3x, whatever day the window starts on. Each case is timed right after its
   own reference read, and its ratio is taken round by round (median, with min-max).
3. ``quality.assess`` of that panel (vectorised; printed for information), and a repeated
   identical request served from the in-process memo (target: median < 1 ms).

The CSV files are synthesised in a temporary folder (``--tickers`` x ``--years`` of business
days, Yahoo's layout: Date, Open, High, Low, Close, Adj Close, Volume), or taken from
``--csv-dir``. Times are medians of ``--repeats`` rounds, each round running the reference and
ours one after the other, so that a change in the machine's load reaches both. Nothing
touches the network: the Yahoo reader is replaced by a function that fails.

Run: ``python benchmarks/bench_data.py [--tickers 500] [--years 20] [--repeats 5]``;
``--cold-only`` builds the store once and times only the cold fetches (and what follows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]

COLD = r"""
import sys, time
t0 = time.perf_counter()
import numpy, pandas  # what the reference needs too
t1 = time.perf_counter()
import betahedge_xl as bh
fetch_prices = bh.fetch_prices  # the public name: imports betahedge_xl.data on first access
t2 = time.perf_counter()
from betahedge_xl.data import yahoo
def no_network(*a, **k): raise SystemExit("benchmark tried to fetch from Yahoo")
yahoo.fetch = no_network
t3 = time.perf_counter()
frame = fetch_prices(sys.argv[1].split(","), sys.argv[2], sys.argv[3])
t4 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f} {t4 - t3:.6f} {frame.shape[0]} {frame.shape[1]}")
"""


def synthesise(folder: Path, tickers: int, years: int) -> list[Path]:
    """Yahoo-style CSV files of random-walk prices on the same business days.

    No row on 1 January or 25 December, as no exchange opens then: a file with one reads as a
    market trading on closed days (a coin), and a window starting on such a day before the
    stored range would rightly be asked of Yahoo.
    """
    idx = pd.bdate_range("2004-01-02", periods=252 * years + 10)
    idx = idx[~(((idx.month == 1) & (idx.day == 1)) | ((idx.month == 12) & (idx.day == 25)))]
    idx = idx[:252 * years]
    dates = idx.strftime("%Y-%m-%d")
    rng = np.random.default_rng(0)
    files = []
    for i in range(tickers):
        close = 50 * np.cumprod(1 + rng.normal(0, 0.015, len(idx)))
        frame = pd.DataFrame({"Date": dates, "Open": close * 0.999, "High": close * 1.01,
                              "Low": close * 0.99, "Close": close, "Adj Close": close * 0.97,
                              "Volume": rng.integers(10**5, 10**7, len(idx))})
        path = folder / f"T{i:04d}.csv"
        frame.to_csv(path, index=False)
        files.append(path)
    return files


def start_days(dates: pd.Series) -> list[tuple[str, str]]:
    """(what, first day of the window) for each kind of start day, from the stored dates (those
    of the first file; the synthesised files share them)."""
    from betahedge_xl.data import calendars

    days = pd.DatetimeIndex(pd.to_datetime(dates))
    first = days[0]
    nyse = calendars.DEFAULT_EXCHANGE
    open_ = calendars.is_session(nyse, days.to_numpy().astype("datetime64[D]"))
    inside = days[(days >= first + pd.DateOffset(years=len(days) // 252 // 3)) & open_]
    trading = inside[0]
    saturday = trading + pd.Timedelta(days=(5 - trading.day_of_week) % 7 or 7)
    christmas = next(d for y in range(first.year, days[-1].year + 1)
                     if (d := pd.Timestamp(y, 12, 25)) > first and d < days[-1]
                     and d.day_of_week < 5 and d not in days)
    # the earliest day before the first stored one with no trading day between them
    before = [first - pd.Timedelta(days=k) for k in range(1, 5)]
    before = [d for d in before if calendars.sessions_between(
        nyse, np.datetime64(d.date()), np.datetime64(first.date())) == 0]
    out = [("the store's first day (trading)", first), ("a trading day inside", trading),
           ("a Saturday inside", saturday), ("a holiday inside (25 December)", christmas)]
    if before:
        out.append((f"{before[-1].day} {before[-1]:%B} (closed), before the stored range", before[-1]))
    return [(what, f"{d:%Y-%m-%d}") for what, d in out]


def timed(work: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def line(what: str, ours: float, ref_name: str, ref: float, target: float | None) -> None:
    ratio = ours / ref
    verdict = "" if target is None else (f"  [target <= {target:g}] "
                                         f"{'OK' if ratio <= target else 'MISSED'}")
    print(f"{what:<44} {ours:8.3f} s | {ref_name:<34} {ref:8.3f} s | ratio {ratio:5.2f}"
          f"{verdict}")


def bench_fetch_repeat(pair: list[str], start: str, end: str, repeats: int = 2000) -> None:
    """A repeated identical ``fetch_prices`` (target: median < 1 ms), interleaved with its
    references: the memo hit of ``load_prices`` under it, and that hit plus the aligned frame
    rebuilt (what ``fetch_prices`` did before it kept the frame)."""
    from betahedge_xl.data import fetch_prices, load_prices

    args = (pair, start, end)  # inside the synthesised years (a fixed 2014 was not, for --years 5)
    fetch_prices(*args)
    runs: list[list[float]] = [[], [], []]
    for _ in range(repeats):
        for times, call in zip(runs, (lambda: fetch_prices(*args), lambda: load_prices(*args),
                                      lambda: load_prices(*args).aligned())):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
    ours, hit, rebuilt = (statistics.median(t) * 1e3 for t in runs)
    print(f"fetch_prices repeated: median {ours:.3f} ms; references: load_prices memo hit "
          f"{hit:.3f} ms, plus aligned() rebuilt {rebuilt:.3f} ms (ratio {rebuilt / ours:.1f}x)"
          f"  [target median < 1 ms] {'OK' if ours < 1 else 'SLOW'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=500)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cold", type=int, default=300, help="tickers of the cold fetch")
    ap.add_argument("--csv-dir", type=Path, help="read these CSV files instead")
    ap.add_argument("--cold-only", action="store_true",
                    help="build the store once; time only the cold fetches and what follows")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.pop("BETAHEDGE_DATA_DIR", None)
        if args.csv_dir:
            folder = args.csv_dir
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv")
        else:
            folder = tmp / "csv"
            folder.mkdir()
            t = timed(lambda: synthesise(folder, args.tickers, args.years))
            files = sorted(folder.glob("*.csv"))
            print(f"synthesised {len(files)} CSV files x {args.years} years in {t:.1f} s "
                  f"({sum(p.stat().st_size for p in files) / 1e6:.0f} MB)")
        from betahedge_xl.data import clear_memory, import_csv_dir, load_prices, quality, yahoo
        from betahedge_xl.data.store import close_stores

        def no_network(*a: object, **k: object) -> None:
            raise SystemExit("benchmark tried to fetch from Yahoo")

        yahoo.fetch = no_network  # type: ignore[assignment]

        def read_all(paths: list[Path], dated: bool) -> None:
            for p in paths:
                if dated:
                    pd.read_csv(p, index_col="Date", parse_dates=True)
                else:
                    pd.read_csv(p)

        cold = files[:args.cold]
        names = [p.stem.upper() for p in cold]
        first = pd.read_csv(cold[0], usecols=["Date"])["Date"]
        start, end = first.iloc[0], str((pd.Timestamp(first.iloc[-1]) + pd.Timedelta(days=1))
                                        .date())
        from betahedge_xl.data.csvdir import read_price_csv

        cases = start_days(first)
        rows: dict[str, list[float]] = {k: [] for k in (
            "plain", "dated", "parse", "import", "cold_import", "pandas_import")}
        cold_rows: dict[str, list[tuple[float, float]]] = {
            f"{what}{plus}": [] for what, _ in cases for plus in ("", " +import")}
        store_dir = tmp / "store0"
        load_before = os.getloadavg()
        shape = ""
        for r in range(args.repeats):
            if not args.cold_only or r == 0:
                rows["plain"].append(timed(lambda: read_all(files, False)))
                rows["dated"].append(timed(lambda: read_all(files, True)))
                rows["parse"].append(timed(lambda: [read_price_csv(p) for p in files]))
                close_stores()
                store_dir = tmp / f"store{r}"
                os.environ["BETAHEDGE_CACHE_DIR"] = str(store_dir)
                rows["import"].append(timed(lambda: import_csv_dir(folder)))
                close_stores()
            # the cases in turn, each right after its own reference; the order turns each round
            turn = r % len(cases)
            for what, first_day in cases[turn:] + cases[:turn]:
                ref = timed(lambda: read_all(cold, True))
                out = subprocess.run([sys.executable, "-c", COLD, ",".join(names), first_day,
                                      end], capture_output=True, text=True,
                                     env={**os.environ, "PYTHONPATH": str(REPO)})
                if out.returncode:
                    raise SystemExit(f"cold fetch from {first_day} failed: "
                                     f"{out.stderr.strip()}")
                pd_imp, imp, load, n_rows, n_cols = out.stdout.split()
                cold_rows[what].append((float(load), ref))
                cold_rows[what + " +import"].append((float(load) + float(imp), ref))
                rows["cold_import"].append(float(imp))
                rows["pandas_import"].append(float(pd_imp))
                if first_day == start:
                    shape = f"{n_cols} x {n_rows} dates"
        load_after = os.getloadavg()
        med = {k: statistics.median(v) for k, v in rows.items() if v}
        size = (store_dir / "prices.sqlite").stat().st_size / 1e6
        print(f"{len(files)} files; store {size:.0f} MB; medians of {args.repeats} interleaved "
              f"rounds; load average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in load_before)}"
              f" before, {', '.join(f'{x:.1f}' for x in load_after)} after, on "
              f"{os.cpu_count()} processor(s)")
        import_rounds = "" if not args.cold_only else " (one round)"
        line(f"cache import, {len(files)} files{import_rounds}", med["import"],
             "pandas read_csv, dates parsed", med["dated"], 1.5)
        line(f"cache import, {len(files)} files", med["import"],
             "pandas read_csv, plain", med["plain"], None)
        line("  of which reading (read_price_csv alone)", med["parse"],
             "pandas read_csv, dates parsed", med["dated"], None)
        print(f"  so the store's own part is {(med['import'] - med['parse']) / med['dated']:.2f}"
              f" x the dated read")
        print(f"cold bh.fetch_prices, {shape}, window to {end} (exclusive), against pandas "
              f"read_csv of those {len(cold)} files (dates parsed) [target <= 0.3]:")
        for plus in ("", " +import"):
            if plus:
                print(f"  the same, counting the package's own import (the first access to "
                      f"bh.fetch_prices, beyond numpy and pandas: median "
                      f"{med['cold_import']:.3f} s):")
            for what, first_day in cases:
                times = cold_rows[what + plus]
                each = [o / f for o, f in times]
                ratio = statistics.median(each)
                print(f"  from {first_day}, {what:<42} "
                      f"{statistics.median(o for o, _ in times):7.3f} s | reference "
                      f"{statistics.median(f for _, f in times):7.3f} s | ratio by round "
                      f"{ratio:.2f} ({min(each):.2f}-{max(each):.2f})  "
                      f"{'OK' if max(each) <= 0.3 else 'OK (median)' if ratio <= 0.3 else 'MISSED'}")
        print(f"  (each fresh process also spent {med['pandas_import']:.3f} s importing numpy and "
              f"pandas, as a fresh process reading the files with pandas would)")

        # quality.assess on the cold panel, and the in-process memo
        os.environ["BETAHEDGE_CACHE_DIR"] = str(store_dir)
        clear_memory()
        panel = load_prices(names, start, end).prices
        times = [timed(lambda: quality.assess(panel, start, end)) for _ in range(args.repeats)]
        print(f"quality.assess, {panel.shape[1]} x {panel.shape[0]}: median "
              f"{statistics.median(times) * 1e3:.1f} ms")
        pair = names[:2]
        load_prices(pair, start, end)
        memo = []
        for _ in range(2000):
            t0 = time.perf_counter()
            load_prices(pair, start, end)
            memo.append(time.perf_counter() - t0)
        m = statistics.median(memo) * 1e3
        print(f"memo: repeated identical request, median {m:.3f} ms  [target < 1 ms] "
              f"{'OK' if m < 1 else 'MISSED'}")
        bench_fetch_repeat(pair, start, end)
        close_stores()


if __name__ == "__main__":
    main()
