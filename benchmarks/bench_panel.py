"""Panel kernels at a risk team's scale, beside a one-pass reference (run by hand, not a test).

    python benchmarks/bench_panel.py            # 10,000 assets x 5,000 days (a few minutes)
    python benchmarks/bench_panel.py --quick    # 2,000 x 2,500, for a smoke run

For ``rolling_beta`` (252 days), ``ewma_beta`` (half-life 63) and ``regress_many`` on a complete
and a ragged panel (40% of assets list late, a few gaps), given as a DataFrame (pandas 3 hands
its values column-major), a C-ordered and an F-ordered ndarray, it prints our median time, the
one-pass reference's (a numba kernel written here: one read of the panel, one write of the
output, the physical floor), their ratio (target <= 3x), the largest difference from the
reference, and our peak extra memory as a multiple of the panel (target <= 4x, measured with
tracemalloc, which sees numpy's allocations). pandas' rolling / ewm cov-var and polars'
rolling cov/var are timed once beside them. Times are medians of interleaved repeats.

numba and polars are needed here only (``pip install numba polars``); the package itself does
not depend on a JIT: see benchmarks/README.md for the compile time a worksheet function would pay.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from betahedge_xl.engine import ewma_beta, regress_many, rolling_beta  # noqa: E402


# ------------------------------------------------------------------------------------------
# One-pass references: C-ordered (T, N) input, a row of every asset at a time.
# ------------------------------------------------------------------------------------------
@njit(cache=True)
def ref_rolling(y: np.ndarray, x: np.ndarray, w: int) -> np.ndarray:  # pragma: no cover
    t_len, n = y.shape
    out = np.empty((t_len, n))
    sy = np.zeros(n)
    sxy = np.zeros(n)
    bad = np.zeros(n, np.int64)
    sx = 0.0
    sxx = 0.0
    xbad = 0
    for t in range(t_len):
        xt = x[t]
        if np.isnan(xt):
            xbad += 1
        else:
            sx += xt
            sxx += xt * xt
        xo = np.nan
        if t >= w:
            xo = x[t - w]
            if np.isnan(xo):
                xbad -= 1
            else:
                sx -= xo
                sxx -= xo * xo
        vxx = sxx - sx * sx / w
        for j in range(n):
            v = y[t, j]
            if np.isnan(v) or np.isnan(xt):
                bad[j] += 1
            else:
                sy[j] += v
                sxy[j] += xt * v
            if t >= w:
                vo = y[t - w, j]
                if np.isnan(vo) or np.isnan(xo):
                    bad[j] -= 1
                else:
                    sy[j] -= vo
                    sxy[j] -= xo * vo
            if t >= w - 1 and bad[j] == 0 and xbad == 0:
                out[t, j] = (sxy[j] - sx * sy[j] / w) / vxx
            else:
                out[t, j] = np.nan
    return out


@njit(cache=True)
def ref_ewma(y: np.ndarray, x: np.ndarray, lam: float, min_periods: int) -> np.ndarray:  # pragma: no cover
    t_len, n = y.shape
    out = np.empty((t_len, n))
    s = np.zeros((5, n))
    cnt = np.zeros(n, np.int64)
    for t in range(t_len):
        xt = x[t]
        for j in range(n):
            v = y[t, j]
            for q in range(5):
                s[q, j] *= lam
            if not (np.isnan(v) or np.isnan(xt)):
                s[0, j] += 1.0
                s[1, j] += xt
                s[2, j] += xt * xt
                s[3, j] += v
                s[4, j] += xt * v
                cnt[j] += 1
            var = s[0, j] * s[2, j] - s[1, j] * s[1, j]
            if cnt[j] >= min_periods and var > 0:
                out[t, j] = (s[0, j] * s[4, j] - s[1, j] * s[3, j]) / var
            else:
                out[t, j] = np.nan
    return out


@njit(cache=True)
def ref_regress(y: np.ndarray, x: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Alpha, beta, beta SE and R^2 per asset from one pass of raw sums."""
    t_len, n = y.shape
    s = np.zeros((6, n))
    for t in range(t_len):
        xt = x[t]
        if np.isnan(xt):
            continue
        for j in range(n):
            v = y[t, j]
            if not np.isnan(v):
                s[0, j] += 1.0
                s[1, j] += xt
                s[2, j] += xt * xt
                s[3, j] += v
                s[4, j] += v * v
                s[5, j] += xt * v
    out = np.empty((n, 4))
    for j in range(n):
        m = s[0, j]
        vxx = s[2, j] - s[1, j] * s[1, j] / m
        vyy = s[4, j] - s[3, j] * s[3, j] / m
        cxy = s[5, j] - s[1, j] * s[3, j] / m
        b = cxy / vxx
        out[j, 0] = (s[3, j] - b * s[1, j]) / m
        out[j, 1] = b
        out[j, 2] = np.sqrt(max(vyy - b * cxy, 0.0) / (m - 2) / vxx)
        out[j, 3] = 1.0 - max(vyy - b * cxy, 0.0) / vyy
    return out


# ------------------------------------------------------------------------------------------
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


def medians(fns: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, float], dict]:
    """Median seconds of each callable over ``repeat`` interleaved rounds, and last results."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    last: dict[str, Any] = {}
    for _ in range(repeat):
        for k, f in fns.items():
            t0 = time.perf_counter()
            last[k] = f()
            times[k].append(time.perf_counter() - t0)
            if k not in ("ref", "C"):
                last[k] = None  # keep memory low: only the reference's and one of ours
    return {k: statistics.median(v) for k, v in times.items()}, last


def peak_ratio(fn: Callable[[], Any], panel_bytes: int) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / panel_bytes


def as_array(out: Any) -> np.ndarray:
    return out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)


def pandas_rolling(y: pd.DataFrame, x: pd.Series, w: int) -> pd.DataFrame:
    return y.rolling(w).cov(x).div(x.rolling(w).var(), axis=0)


def polars_rolling(y: pd.DataFrame, x: pd.Series, w: int) -> Any:
    import polars as pl

    df = pl.from_numpy(y.to_numpy(), schema=list(y.columns)).with_columns(
        pl.Series("__x", x.to_numpy()))
    return df.select([pl.rolling_cov(c, "__x", window_size=w) / pl.col("__x").rolling_var(w)
                      for c in y.columns])


def pandas_ewma(y: pd.DataFrame, x: pd.Series, h: float) -> pd.DataFrame:
    xm = pd.DataFrame(np.where(y.notna(), x.to_numpy()[:, None], np.nan), index=y.index,
                      columns=y.columns)
    ym = y.where(xm.notna())
    ew = dict(halflife=h, min_periods=20)
    mx, my = xm.ewm(**ew).mean(), ym.ewm(**ew).mean()
    return ((xm * ym).ewm(**ew).mean() - mx * my) / ((xm * xm).ewm(**ew).mean() - mx * mx)


def run_panel(t: int, n: int, ragged: bool, w: int, h: float, repeat: int,
              alternatives: bool) -> None:
    """Time the three kernels on one panel, each given as DataFrame, C and F arrays."""
    frame, bench = make_panel(t, n, ragged)
    x = bench.to_numpy()
    yc = np.ascontiguousarray(frame.to_numpy())
    yf = np.asfortranarray(yc)
    lam = 0.5 ** (1 / h)
    kind = "ragged" if ragged else "complete"
    inputs = {"DataFrame": frame, "C": yc, "F": yf}

    def bench_for(y: Any) -> Any:
        return bench if isinstance(y, pd.DataFrame) else x

    cases: dict[str, tuple[Callable[[Any], Any], Callable[[], Any], list]] = {
        "rolling_beta 252": (lambda y: rolling_beta(y, bench_for(y), w),
                             lambda: ref_rolling(yc, x, w),
                             [("pandas", lambda: pandas_rolling(frame, bench, w)),
                              ("polars", lambda: polars_rolling(frame, bench, w))]),
        "ewma_beta hl 63": (lambda y: ewma_beta(y, bench_for(y), h),
                            lambda: ref_ewma(yc, x, lam, 20),
                            [("pandas", lambda: pandas_ewma(frame, bench, h))]),
        "regress_many": (lambda y: regress_many(y, bench_for(y)),
                         lambda: ref_regress(yc, x), []),
    }
    for name, (ours, ref, alts) in cases.items():
        fns: dict[str, Callable[[], Any]] = {"ref": ref}
        for label, data in inputs.items():
            fns[label] = lambda ours=ours, data=data: ours(data)
        med, last = medians(fns, repeat)
        got = as_array(last["C"])
        if name == "regress_many":
            got = got[:, [0, 1, 3, 6]]  # alpha, beta, beta_se, r_squared
        ref_out = last["ref"]
        diff = float(np.nanmax(np.abs(got - ref_out)))
        same_nan = bool(np.array_equal(np.isnan(got), np.isnan(ref_out)))
        del last, got, ref_out
        for label, data in inputs.items():
            mem = peak_ratio(lambda ours=ours, data=data: ours(data), yc.nbytes)
            print(f"{name + ', ' + kind + ', ' + label:<44}{med[label]:8.3f}"
                  f"{med['ref']:8.3f}{med[label] / med['ref']:7.2f}x{diff:10.1e}"
                  f"{mem:6.2f}x" + ("" if same_nan else "  NaN PATTERN DIFFERS"))
        if alternatives:
            for alt_name, alt in alts:
                t0 = time.perf_counter()
                alt()
                el = time.perf_counter() - t0
                print(f"{'  ' + alt_name + ' (one call)':<44}{el:8.3f}{med['ref']:8.3f}"
                      f"{el / med['ref']:7.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-alternatives", action="store_true")
    args = ap.parse_args()
    t, n = (2_500, 2_000) if args.quick else (5_000, 10_000)
    w, h = 252, 63.0
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')}; panel {n} assets x {t} days")
    t0 = time.perf_counter()
    small = np.random.default_rng(1).normal(size=(300, 3))
    ref_rolling(small, small[:, 0].copy(), 20)
    ref_ewma(small, small[:, 0].copy(), 0.9, 5)
    ref_regress(small, small[:, 0].copy())
    print(f"numba reference kernels compiled or loaded in {time.perf_counter() - t0:.2f} s")
    print(f"{'what':<44}{'ours s':>8}{'ref s':>8}{'ratio':>8}{'max diff':>10}{'mem x':>7}"
          "   targets: ratio <= 3, memory <= 4x panel")
    for ragged in (False, True):
        run_panel(t, n, ragged, w, h, args.repeat, not args.no_alternatives)


if __name__ == "__main__":
    main()
