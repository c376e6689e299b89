"""Speed of the price layer.

1. A repeated identical request served from the in-process memo (target: median < 1 ms).
2. From the store on disk in a cold process: 20 tickers x 10 years (target: < 0.5 s).

The store is filled from ``../shared/data/prices`` (located relative to the repository, or
``BETAHEDGE_SHARED_DIR``) when it exists, else from synthetic prices. Nothing touches the network:
the Yahoo reader is replaced by a function that fails. Run: ``python benchmarks/bench_data.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BETAHEDGE_SHARED_DIR", REPO.parent / "shared"))
START, END = "2008-01-01", "2018-01-01"

COLD = r"""
import time, sys
t0 = time.perf_counter()
from betahedge_xl.data import load_prices, yahoo
def no_network(*a, **k): raise SystemExit("benchmark tried to fetch from Yahoo")
yahoo.fetch = no_network
t1 = time.perf_counter()
ps = load_prices(sys.argv[1].split(","), sys.argv[2], sys.argv[3])
t2 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {ps.prices.shape[0]} {ps.prices.shape[1]} {ps.source}")
"""


def fill_store() -> list[str]:
    """Import 20 tickers of >= 10 years into the store; returns their names."""
    from betahedge_xl.data import import_csv_dir, store_summary

    src = SHARED / "data" / "prices"
    names: list[str] = []
    if src.is_dir():
        for folder in sorted(p for p in src.iterdir() if p.is_dir()):
            import_csv_dir(folder)
        summary = store_summary()
        long = summary[(summary["first"] <= START) & (summary["last"] >= "2017-12-29")]
        names = list(long["ticker"])[:20]
        print(f"store filled from {src.name}/: {len(summary)} tickers, {len(names)} cover "
              f"{START}..{END}")
    if len(names) < 20:  # top up with synthetic tickers
        from betahedge_xl.data.store import get_store, to_day

        idx = pd.bdate_range(START, END, inclusive="left")
        rng = np.random.default_rng(0)
        for i in range(20 - len(names)):
            t = f"SYN{i:02d}"
            s = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, len(idx))), index=idx)
            get_store().write(t, s, (to_day(pd.Timestamp(START)), to_day(pd.Timestamp(END))),
                              "synthetic",
                              pd.Timestamp.now(tz="UTC"))
            names.append(t)
        print(f"synthetic tickers added: {names[-1]} and others")
    return names


def bench_fetch_repeat(pair: list[str], repeats: int = 2000) -> None:
    """A repeated identical ``fetch_prices`` (target: median < 1 ms), interleaved with its
    references: the memo hit of ``load_prices`` under it, and that hit plus the aligned frame
    rebuilt (what ``fetch_prices`` did before it kept the frame)."""
    from betahedge_xl.data import fetch_prices, load_prices

    args = (pair, "2014-01-01", "2015-01-01")
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
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BETAHEDGE_CACHE_DIR"] = tmp
        os.environ.pop("BETAHEDGE_DATA_DIR", None)
        from betahedge_xl.data import clear_memory, load_prices, yahoo

        def no_network(*a: object, **k: object) -> None:
            raise SystemExit("benchmark tried to fetch from Yahoo")

        yahoo.fetch = no_network  # type: ignore[assignment]
        names = fill_store()
        size = (Path(tmp) / "prices.sqlite").stat().st_size / 1e6
        print(f"store file: {size:.1f} MB")

        # 1. memo
        clear_memory()
        first = time.perf_counter()
        load_prices(["TSLA", "SPY"] if "TSLA" in names else names[:2], "2014-01-01", "2015-01-01")
        first = time.perf_counter() - first
        times = []
        for _ in range(2000):
            t0 = time.perf_counter()
            load_prices(["TSLA", "SPY"] if "TSLA" in names else names[:2], "2014-01-01",
                        "2015-01-01")
            times.append(time.perf_counter() - t0)
        med = statistics.median(times) * 1e3
        print(f"memo: first (from store) {first * 1e3:.2f} ms; repeat median {med:.3f} ms, "
              f"p99 {np.percentile(times, 99) * 1e3:.3f} ms  [target median < 1 ms] "
              f"{'OK' if med < 1 else 'SLOW'}")

        bench_fetch_repeat(["TSLA", "SPY"] if "TSLA" in names else names[:2])

        # 2. cold process
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", COLD, ",".join(names), START, END],
                                 capture_output=True, text=True, env=env, check=True)
            wall = time.perf_counter() - t0
            imp, load, rows, cols, source = out.stdout.split()
            runs.append((wall, float(imp), float(load)))
        wall, imp, load = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"cold process, {cols} tickers x {rows} dates ({START}..{END}, source {source}): "
              f"load_prices {load * 1e3:.0f} ms, import {imp * 1e3:.0f} ms, whole process "
              f"{wall * 1e3:.0f} ms (median of 5)  [target < 0.5 s] "
              f"{'OK' if load + imp < 0.5 else 'SLOW'}")


if __name__ == "__main__":
    main()
