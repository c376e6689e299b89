"""Speed of the price layer, each target beside its reference in the same run.

1. ``cache import`` of a folder of CSV files (the Python call behind ``betahedge cache import``),
   into an empty store, against pandas reading the same files
   (``pd.read_csv(f, index_col="Date", parse_dates=True)``, and plain ``pd.read_csv(f)`` for
   information). Target: at most 1.5x the dated read. The project's CSV reader alone
   (``read_price_csv``: column detection, dates, duplicates) is timed too, to show which part
   of the import is reading and which is storing.
2. A cold ``fetch_prices`` of 300 tickers x 20 years from the store, in a fresh process (the
   call itself; the import of the package is printed apart), against pandas reading those 300
   files: the window starting on the first stored date, and on the closed day (1 January)
   before it. Target: at most 0.3x, whatever day the window starts on.
3. ``quality.assess`` of that panel (vectorised; printed for information), and a repeated
   identical request served from the in-process memo (target: median < 1 ms).

The CSV files are synthesised in a temporary folder (``--tickers`` x ``--years`` of business
days, Yahoo's layout: Date, Open, High, Low, Close, Adj Close, Volume), or taken from
``--csv-dir``. Times are medians of ``--repeats`` rounds, each round running the reference and
ours one after the other, so that a change in the machine's load reaches both. Nothing
touches the network: the Yahoo reader is replaced by a function that fails.

Run: ``python benchmarks/bench_data.py [--tickers 500] [--years 20] [--repeats 5]``.
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
from betahedge_xl.data import fetch_prices, yahoo
def no_network(*a, **k): raise SystemExit("benchmark tried to fetch from Yahoo")
yahoo.fetch = no_network
t1 = time.perf_counter()
frame = fetch_prices(sys.argv[1].split(","), sys.argv[2], sys.argv[3])
t2 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f} {frame.shape[0]} {frame.shape[1]}")
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

        closed_start = str((pd.Timestamp(start) - pd.Timedelta(days=1)).date())
        rows: dict[str, list[float]] = {k: [] for k in (
            "plain", "dated", "parse", "import", "dated_cold", "cold", "cold_import",
            "cold_closed")}
        store_dir = tmp / "store0"
        for r in range(args.repeats):
            rows["plain"].append(timed(lambda: read_all(files, False)))
            rows["dated"].append(timed(lambda: read_all(files, True)))
            rows["parse"].append(timed(lambda: [read_price_csv(p) for p in files]))
            close_stores()
            store_dir = tmp / f"store{r}"
            os.environ["BETAHEDGE_CACHE_DIR"] = str(store_dir)
            rows["import"].append(timed(lambda: import_csv_dir(folder)))
            close_stores()
            rows["dated_cold"].append(timed(lambda: read_all(cold, True)))
            for key, first_day in (("cold", start), ("cold_closed", closed_start)):
                out = subprocess.run([sys.executable, "-c", COLD, ",".join(names), first_day,
                                      end], capture_output=True, text=True,
                                     env={**os.environ, "PYTHONPATH": str(REPO)})
                if out.returncode:
                    raise SystemExit(f"cold fetch from {first_day} failed: "
                                     f"{out.stderr.strip()}")
                imp, load, n_rows, n_cols = out.stdout.split()
                rows[key].append(float(load))
                rows["cold_import"].append(float(imp))
        med = {k: statistics.median(v) for k, v in rows.items()}
        size = (store_dir / "prices.sqlite").stat().st_size / 1e6
        one, five, fifteen = os.getloadavg()
        print(f"{len(files)} files; store {size:.0f} MB; medians of {args.repeats} interleaved "
              f"rounds; load average {one:.1f}, {five:.1f}, {fifteen:.1f} on "
              f"{os.cpu_count()} processor(s)")
        line(f"cache import, {len(files)} files", med["import"],
             "pandas read_csv, dates parsed", med["dated"], 1.5)
        line(f"cache import, {len(files)} files", med["import"],
             "pandas read_csv, plain", med["plain"], None)
        line("  of which reading (read_price_csv alone)", med["parse"],
             "pandas read_csv, dates parsed", med["dated"], None)
        print(f"  so the store's own part is {(med['import'] - med['parse']) / med['dated']:.2f}"
              f" x the dated read")
        line(f"cold fetch_prices, {n_cols} x {n_rows} dates", med["cold"],
             f"pandas read_csv of those {len(cold)}", med["dated_cold"], 0.3)
        line(f"  the same from {closed_start} (closed)", med["cold_closed"],
             f"pandas read_csv of those {len(cold)}", med["dated_cold"], 0.3)
        for key in ("cold", "cold_closed"):
            each = [a / b for a, b in zip(rows[key], rows["dated_cold"])]
            print(f"  {key}: ratio by round, median {statistics.median(each):.2f} "
                  f"({min(each):.2f}-{max(each):.2f})")
        print(f"  (the fresh process also spent {med['cold_import']:.3f} s importing "
              f"betahedge_xl.data)")

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
