"""Walk-forward backtest speed beside a plain loop, in one run (run by hand, not a test).

    python benchmarks/bench_backtest.py            # 500 assets x 2,520 days (about a minute)
    python benchmarks/bench_backtest.py --quick    # 50 assets, for a smoke run
    python benchmarks/bench_backtest.py --no-loop --assets 4000 --days 5000   # a risk team's panel

Five estimators (ols, blume, vasicek, ewma, dimson), 252-day window, monthly rebalance.

- Ours: :func:`betahedge_xl.engine.estimators.walk_forward` (every estimator at every month
  end for the whole panel, the held ratios, hedged returns and costs).
- The plain loop: for each rebalance date and each asset, ``numpy.linalg.lstsq`` of the window
  (OLS; its residuals give Vasicek's sampling variance), a weighted ``lstsq`` (EWMA) and an
  ``lstsq`` on the lagged, current and leading benchmark (Dimson); Blume and Vasicek from
  those; then the ratios held day by day and the hedged returns.

- The floor: ``walk_forward_floor`` of the shared one-pass numba kernels
  (``../shared/bench/floor_kernels.py``, see ``floor.py``): the five estimators at every end
  from one read of each window, the hedged panels and costs (target: ours within 2.5x).

Times are medians of interleaved repeats (floor, ours, loop, floor, ours, loop, ...), so that
a change in the machine's load hits all alike; ratios are read round by round (median, min-max).
Printed: the medians, the ratios (target at least 20x against the loop) and the largest
absolute difference of ratios and of hedged returns (target 1e-10).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

import floor  # noqa: E402,I001  (before numba: it points numba's cache away from the shared folder)

from betahedge_xl.engine import estimators as est  # noqa: E402

WINDOW = 252


def panel(t: int, n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=t)
    x = rng.normal(0.0004, 0.011, t)
    betas = rng.uniform(0.2, 2.0, n)
    lag = np.concatenate(([0.0], x[:-1]))
    y = (rng.normal(0.0002, 0.0005, n) + np.outer(x, betas) + 0.2 * lag[:, None]
         + rng.normal(0, 0.015, (t, n)))
    return (pd.DataFrame(y, index=dates, columns=[f"S{i:03d}" for i in range(n)]),
            pd.Series(x, index=dates, name="BENCH"))


def plain_loop(y: pd.DataFrame, x: pd.Series) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Ratios (rebalances x assets per estimator) and hedged OLS returns, one lstsq at a time."""
    idx = y.index
    r, m = y.to_numpy(), x.to_numpy()
    t, n = r.shape
    # Rebalance days: the last date of each month with a full window and a day after it.
    ends = [i for i in range(t - 1) if idx[i].month != idx[i + 1].month and i >= WINDOW - 1]
    h = WINDOW / 4
    sw = np.sqrt(0.5 ** ((WINDOW - 1 - np.arange(WINDOW)) / h))
    out = {name: np.empty((len(ends), n)) for name in est.ESTIMATORS}
    for k, e in enumerate(ends):
        rows = slice(e - WINDOW + 1, e + 1)
        mw = m[rows]
        design = np.column_stack([np.ones(WINDOW), mw])
        wdesign = design * sw[:, None]
        lead_lag = np.column_stack([np.ones(WINDOW - 2), mw[:-2], mw[1:-1], mw[2:]])
        se2 = np.empty(n)
        for j in range(n):
            yw = r[rows, j]
            coef, ssr, _, _ = np.linalg.lstsq(design, yw, rcond=None)
            b = coef[1]
            out["ols"][k, j] = b
            out["blume"][k, j] = 2 / 3 * b + 1 / 3
            se2[j] = ssr[0] / (WINDOW - 2) / ((mw - mw.mean()) ** 2).sum()
            out["ewma"][k, j] = np.linalg.lstsq(wdesign, yw * sw, rcond=None)[0][1]
            out["dimson"][k, j] = np.linalg.lstsq(lead_lag, yw[1:-1], rcond=None)[0][1:].sum()
        b = out["ols"][k]
        prior_mean, prior_var = b.mean(), b.var(ddof=1)
        out["vasicek"][k] = (prior_var * b + se2 * prior_mean) / (prior_var + se2)
    hedged = {}
    for name in est.ESTIMATORS:
        held = np.full((t, n), np.nan)
        for k, e in enumerate(ends):
            held[e + 1:] = out[name][k]
        hedged[name] = (r - held * m[:, None])[ends[0] + 1:]
    return out, hedged


def ours(y: pd.DataFrame, x: pd.Series) -> est.WalkForward:
    return est.walk_forward(y, x, window=WINDOW, rebalance="monthly")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="50 assets instead of 500")
    ap.add_argument("--repeat", type=int, default=5, help="interleaved repeats (default 5)")
    ap.add_argument("--no-loop", action="store_true", help="floor and ours only")
    ap.add_argument("--assets", type=int, help="assets (default 500; 50 with --quick)")
    ap.add_argument("--days", type=int, default=2520, help="days (default 2,520)")
    args = ap.parse_args()
    n = args.assets or (50 if args.quick else 500)
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', 'unset')}; "
          f"{floor.load()} at the start")
    fk = floor.kernels()
    y, x = panel(args.days, n)
    yc, xv = np.ascontiguousarray(y.to_numpy()), x.to_numpy()
    ends = est.period_ends(y.index, "monthly")
    ends = ends[(ends >= WINDOW - 1) & (ends < len(y) - 1)]
    fns = {"floor": lambda: fk.walk_forward_floor(yc, xv, ends, WINDOW, WINDOW / 4),
           "ours": lambda: ours(y, x)}
    if not args.no_loop:
        fns["loop"] = lambda: plain_loop(y, x)
    times = floor.interleaved(fns, args.repeat)
    wf = ours(y, x)
    fl_ratios, fl_hedged, _ = fns["floor"]()
    d_floor = max(float(np.max(np.abs(wf.ratios[k].to_numpy() - fl_ratios[k])))
                  for k in est.ESTIMATORS)
    d_floor_h = max(float(np.max(np.abs(wf.hedged[k].to_numpy() - fl_hedged[k])))
                    for k in est.ESTIMATORS)
    print(f"walk_forward, {n:,} assets x {args.days:,} days, 5 estimators, monthly rebalance, "
          f"{len(wf.rebalance_dates)} rebalances, {args.repeat} interleaved repeats")
    print(f"{'ours (median, min-max)':<28} {floor.spread(times['ours'])} ms")
    print(f"{'floor (median, min-max)':<28} {floor.spread(times['floor'])} ms")
    r, lo, hi = floor.ratio(times["ours"], times["floor"])
    print(f"{'ours / floor':<28} {r:.2f}x ({lo:.2f}-{hi:.2f})   (target <= 2.5x)")
    print(f"{'max |ratio diff| vs floor':<28} {d_floor:10.2e}")
    print(f"{'max |hedged diff| vs floor':<28} {d_floor_h:10.2e}")
    if not args.no_loop:
        ratios, hedged = plain_loop(y, x)
        d_ratio = max(float(np.max(np.abs(wf.ratios[k].to_numpy() - ratios[k])))
                      for k in est.ESTIMATORS)
        d_hedged = max(float(np.max(np.abs(wf.hedged[k].to_numpy() - hedged[k])))
                       for k in est.ESTIMATORS)
        print(f"{'plain lstsq loop':<28} {floor.spread(times['loop'])} ms")
        r, lo, hi = floor.ratio(times["loop"], times["ours"])
        print(f"{'loop / ours':<28} {r:.1f}x ({lo:.1f}-{hi:.1f})   (target >= 20x)")
        print(f"{'max |ratio diff| vs loop':<28} {d_ratio:10.2e}   (target <= 1e-10)")
        print(f"{'max |hedged diff| vs loop':<28} {d_hedged:10.2e}   (target <= 1e-10)")
    print(floor.load(), "at the end")


if __name__ == "__main__":
    main()
