"""Panel kernels at a risk team's scale against the shared floor (run by hand, not a test).

    python benchmarks/bench_panel.py            # 4,000 assets x 5,000 days, ragged (a few minutes)
    python benchmarks/bench_panel.py --quick    # 1,000 x 2,500, for a smoke run

The floor is the one-pass numba kernels of ``../shared/bench/floor_kernels.py`` (found beside
the checkout, or named by ``BETAHEDGE_FLOOR``; see ``floor.py``): one read of the panel, one
write of the output. For ``rolling_beta`` (252 days), ``ewma_beta`` (half-life 63) and
``regress_many`` on a ragged panel (40% of assets list late, scattered gaps) given as a
DataFrame, a C-ordered and an F-ordered array, it prints our time and the floor's for the same
memory order (medians of interleaved rounds, min-max in brackets), the ratio read round by
round (median, min-max; targets 2x), the largest difference from the floor, whether the NaN
windows agree, and our peak memory beside the panel (tracemalloc sees numpy's allocations;
target 1.5x: the output is 1x). Then ``rolling_ols_betas`` of one asset on three benchmarks
against the floor's rolling multi-benchmark OLS (target 2.5x), and ``rolling_beta`` on a
complete 500 x 2,520 panel against pandas' rolling cov/var (target 12x) and the floor.

numba is needed here only (``pip install ".[bench]"``); the package itself has no JIT.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import floor  # noqa: E402  (before numpy: it points numba's cache away from the shared folder)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from betahedge_xl.engine import (  # noqa: E402
    ewma_beta,
    regress_many,
    rolling_beta,
    rolling_ols_betas,
)


def make_panel(t: int, n: int, ragged: bool, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2005-01-03", periods=t)
    x = rng.normal(0.0004, 0.011, t)
    y = rng.normal(0.0, 0.015, (t, n))
    y += np.outer(x, rng.uniform(0.2, 2.0, n))
    y += 0.0002
    if ragged:
        late = np.flatnonzero(rng.random(n) < 0.4)
        starts = rng.integers(1, t // 2, late.size)
        for j, s in zip(late, starts):
            y[:s, j] = np.nan
        y[rng.integers(0, t, n // 5), rng.integers(0, n, n // 5)] = np.nan
    frame = pd.DataFrame(y, index=dates, columns=[f"S{j:05d}" for j in range(n)], copy=False)
    return frame, pd.Series(x, index=dates, name="BENCH")


def peak_ratio(fn: Callable[[], Any], panel_bytes: int) -> float:
    """Peak memory allocated while ``fn`` runs, the result included, as a multiple of the panel."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    return peak / panel_bytes


def as_array(out: Any) -> np.ndarray:
    return out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)


def line(what: str, ours: list[float], theirs: list[float], extra: str = "") -> None:
    r, lo, hi = floor.ratio(ours, theirs)
    print(f"  {what:<30}{floor.spread(ours):>24}{floor.spread(theirs):>24}"
          f"{r:7.2f}x ({lo:.2f}-{hi:.2f}){extra}")


def run_panel(fk: Any, t: int, n: int, repeat: int) -> None:
    frame, bench = make_panel(t, n, ragged=True)
    x = bench.to_numpy()
    yc = np.ascontiguousarray(frame.to_numpy())
    yf = np.asfortranarray(yc)
    w, h = 252, 63.0
    lam = 0.5 ** (1 / h)
    inputs = {"DataFrame": frame, "C array": yc, "F array": yf}
    frame_order = "F" if frame.to_numpy().flags.f_contiguous else "C"
    print(f"\nragged panel: {n:,} assets x {t:,} days ({yc.nbytes / 2**20:.0f} MiB), 40% listing "
          f"late, {n // 5} scattered gaps; the DataFrame's values are {frame_order}-ordered")
    cases: dict[str, tuple[Callable[[Any, Any], Any], dict[str, Callable[[], Any]]]] = {
        f"rolling_beta {w}": (lambda y, b: rolling_beta(y, b, w),
                              {"C": lambda: fk.rolling_c(yc, x, w),
                               "F": lambda: fk.rolling_f(yf, x, w)}),
        f"ewma_beta hl {h:g}": (lambda y, b: ewma_beta(y, b, h),
                                {"C": lambda: fk.ewma_c(yc, x, lam, 20),
                                 "F": lambda: fk.ewma_f(yf, x, lam, 20)}),
        "regress_many": (lambda y, b: regress_many(y, b),
                         {"C": lambda: fk.regress_c(yc, x), "F": lambda: fk.regress_f(yf, x)}),
    }
    print(f"  {'':<30}{'ours ms':>24}{'floor ms':>24}  ours / floor, by round")
    for name, (ours, floors) in cases.items():
        fns: dict[str, Callable[[], Any]] = {f"floor {k}": f for k, f in floors.items()}
        for label, data in inputs.items():
            b = bench if isinstance(data, pd.DataFrame) else x
            fns[label] = lambda data=data, b=b, ours=ours: ours(data, b)
        times = floor.interleaved(fns, repeat)
        got = as_array(ours(yc, x))
        ref = floors["C"]()
        if name == "regress_many":
            got = got[:, [0, 1, 3, 6]]  # alpha, beta, beta_se, r_squared
        diff = float(np.nanmax(np.abs(got - ref)))
        same = "same NaN" if np.array_equal(np.isnan(got), np.isnan(ref)) else "NaN DIFFER"
        del got, ref
        print(f"{name}: max |ours - floor| {diff:.1e}, {same}")
        for label, data in inputs.items():
            order = frame_order if label == "DataFrame" else label[0]
            b = bench if isinstance(data, pd.DataFrame) else x
            mem = peak_ratio(lambda data=data, b=b, ours=ours: ours(data, b), yc.nbytes)
            line(f"{label} (floor {order})", times[label], times[f"floor {order}"],
                 f"   memory {mem:.2f}x panel")


def run_rolling_ols(fk: Any, t: int, repeat: int) -> None:
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2005-01-03", periods=t)
    x = rng.normal(0.0004, 0.011, (t, 3)) @ np.array([[1, .6, .5], [0, .8, .3], [0, 0, .8]])
    y = x @ np.array([1.1, 0.4, -0.2]) + rng.normal(0, 0.01, t)
    x[[t // 5, t // 2], [0, 2]] = np.nan
    y[t // 3] = np.nan
    ys, xs = pd.Series(y, index=dates, name="A"), pd.DataFrame(x, index=dates, columns=list("abc"))
    xcont = np.ascontiguousarray(x)
    fns = {"floor": lambda: fk.rolling_multi(y, xcont, 252),
           "Series/DataFrame": lambda: rolling_ols_betas(ys, xs, 252),
           "arrays": lambda: rolling_ols_betas(y, x, 252)}
    times = floor.interleaved(fns, repeat)
    got, ref = rolling_ols_betas(y, x, 252).to_numpy(), fk.rolling_multi(y, xcont, 252)
    diff = float(np.nanmax(np.abs(got - ref)))
    same = "same NaN" if np.array_equal(np.isnan(got), np.isnan(ref)) else "NaN DIFFER"
    print(f"\nrolling_ols_betas, 1 asset x 3 benchmarks x {t:,} days, 252-day window (3 gaps): "
          f"max |ours - floor| {diff:.1e}, {same}")
    print(f"  {'':<30}{'ours ms':>24}{'floor ms':>24}  ours / floor, by round")
    for label in ("Series/DataFrame", "arrays"):
        line(label, times[label], times["floor"])


def run_complete(fk: Any, repeat: int) -> None:
    frame, bench = make_panel(2520, 500, ragged=False, seed=1)
    x = bench.to_numpy()
    yc = np.ascontiguousarray(frame.to_numpy())
    fns = {"pandas": lambda: frame.rolling(252).cov(bench).div(bench.rolling(252).var(), axis=0),
           "floor": lambda: fk.rolling_c(yc, x, 252),
           "ours": lambda: rolling_beta(frame, bench, 252)}
    times = floor.interleaved(fns, repeat)
    got = rolling_beta(frame, bench, 252).to_numpy()
    want = fns["pandas"]().to_numpy()
    diff = float(np.nanmax(np.abs(got - want)))
    r, lo, hi = floor.ratio(times["pandas"], times["ours"])
    print(f"\nrolling_beta 252 on a complete 500 x 2,520 DataFrame (max |ours - pandas| {diff:.1e})")
    print(f"  ours {floor.spread(times['ours'])} ms, pandas rolling cov/var "
          f"{floor.spread(times['pandas'])} ms: pandas / ours {r:.1f}x ({lo:.1f}-{hi:.1f}), "
          f"target >= 12x")
    r, lo, hi = floor.ratio(times["ours"], times["floor"])
    print(f"  floor {floor.spread(times['floor'])} ms: ours / floor {r:.2f}x ({lo:.2f}-{hi:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=7, help="interleaved rounds (default 7)")
    ap.add_argument("--only", choices=["panel", "ols", "complete"], default=None)
    args = ap.parse_args()
    t, n = (2_500, 1_000) if args.quick else (5_000, 4_000)
    print(f"{floor.load()} at the start; numpy {np.__version__}, pandas {pd.__version__}")
    print("Each figure: median of interleaved rounds (ours and the floor one after the other in "
          "one process), min-max in brackets.")
    fk = floor.kernels()
    if args.only in (None, "panel"):
        run_panel(fk, t, n, args.repeat)
    if args.only in (None, "ols"):
        run_rolling_ols(fk, t, max(args.repeat, 21))
    if args.only in (None, "complete"):
        run_complete(fk, max(args.repeat, 15))
    print(f"\n{floor.load()} at the end")


if __name__ == "__main__":
    main()
