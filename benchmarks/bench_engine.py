"""Engine speed beside the alternatives, in one run (run by hand, not a test).

    python benchmarks/bench_engine.py            # full sizes (about a minute)
    python benchmarks/bench_engine.py --quick    # smaller panel, for a smoke run

Prints our time, the alternative's time, their ratio and the largest difference of results:
1. 500 assets x 2,520 days on one benchmark: ``regress_many`` vs a statsmodels OLS loop.
2. Rolling 252-day beta on the same panel: ``rolling_beta`` vs pandas rolling cov/var, and vs
   statsmodels ``RollingOLS`` on a subset of assets (extrapolated to the panel, said so).
3. One pair with all statistics, prices in memory: ``betahedge_xl.beta_hedge`` and its
   ``summary()`` (every statistic read), median.
4. ``import betahedge_xl`` in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
# ../shared/data/prices beside the checkout (or beside the folder of worktrees holding it)
SHARED_PRICES = next(
    (p / "shared" / "data" / "prices" for p in Path(__file__).resolve().parents[2:4]
     if (p / "shared" / "data" / "prices").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "prices",
)
sys.path.insert(0, str(REPO))

import betahedge_xl  # noqa: E402
from betahedge_xl.engine import regress_many, rolling_beta  # noqa: E402


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls (seconds) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def row(what: str, ours: float, theirs: float, diff: float | None, target: str) -> None:
    d = "" if diff is None else f"{diff:10.2e}"
    print(f"{what:<44} {ours * 1e3:10.2f} {theirs * 1e3:12.2f} {theirs / ours:9.1f}x {d:>10}"
          f"   {target}")


def panel(t: int, n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=t)
    x = rng.normal(0.0004, 0.011, t)
    betas = rng.uniform(0.2, 2.0, n)
    y = rng.normal(0.0002, 0.0005, n) + np.outer(x, betas) + rng.normal(0, 0.015, (t, n))
    return (pd.DataFrame(y, index=dates, columns=[f"S{i:03d}" for i in range(n)]),
            pd.Series(x, index=dates, name="BENCH"))


def bench_regress_many(y: pd.DataFrame, x: pd.Series) -> None:
    import statsmodels.api as sm

    design = sm.add_constant(x.to_numpy())

    def loop() -> np.ndarray:
        out = np.empty((y.shape[1], 5))
        for j in range(y.shape[1]):
            f = sm.OLS(y.iloc[:, j].to_numpy(), design).fit()
            out[j] = [f.params[0], f.params[1], f.bse[0], f.bse[1], f.rsquared]
        return out

    ours, res = timed(lambda: regress_many(y, x), repeat=20)
    theirs, ref = timed(loop, repeat=3)
    got = res[["alpha", "beta", "alpha_se", "beta_se", "r_squared"]].to_numpy()
    diff = float(np.max(np.abs(got - ref)))
    row(f"regress_many {y.shape[1]}x{y.shape[0]} vs statsmodels loop", ours, theirs, diff,
        "target >= 50x, diff <= 1e-10")


def bench_rolling(y: pd.DataFrame, x: pd.Series, window: int, subset: int) -> None:
    import statsmodels.api as sm
    from statsmodels.regression.rolling import RollingOLS

    ours, res = timed(lambda: rolling_beta(y, x, window), repeat=10)
    theirs, ref = timed(lambda: y.rolling(window).cov(x).div(x.rolling(window).var(), axis=0),
                        repeat=3)
    diff = float(np.nanmax(np.abs(res.to_numpy() - ref.to_numpy())))
    assert res.isna().equals(ref.isna())
    row(f"rolling_beta {window}d vs pandas rolling cov/var", ours, theirs, diff,
        "target >= 10x, diff <= 1e-8")

    design = sm.add_constant(x.to_numpy())
    cols = y.columns[:subset]

    def sm_loop() -> np.ndarray:
        return np.column_stack([
            RollingOLS(y[c].to_numpy(), design, window=window).fit(params_only=True).params[:, 1]
            for c in cols
        ])

    t_sub, ref_sm = timed(sm_loop, repeat=1)
    diff = float(np.nanmax(np.abs(res[cols].to_numpy() - ref_sm)))
    theirs = t_sub * y.shape[1] / subset
    row(f"rolling_beta vs RollingOLS ({subset} assets x{y.shape[1] // subset})", ours, theirs,
        diff, f"RollingOLS timed on {subset} assets, extrapolated")


def pair_prices() -> tuple[pd.Series, pd.Series, str]:
    """TSLA and SPY from the shared real prices when present, else synthetic."""
    folder = SHARED_PRICES / "CarlosGBerreteaga__trading-ai"
    if (folder / "TSLA.csv").exists() and (folder / "SPY.csv").exists():
        def read(t: str) -> pd.Series:
            df = pd.read_csv(folder / f"{t}.csv", index_col=0, parse_dates=True)
            col = "Adj Close" if "Adj Close" in df.columns else "Close"
            return df[col].astype(float).rename(t).sort_index()

        return read("TSLA"), read("SPY"), f"real prices from {folder.relative_to(SHARED_PRICES.parent.parent)}"
    y, x = panel(1500, 1, seed=7)  # 2010-2015: covers the 2014 window
    pa = (1 + y.iloc[:, 0]).cumprod().rename("TSLA") * 20
    pb = (1 + x).cumprod().rename("SPY") * 180
    return pa, pb, "synthetic prices (shared folder absent)"


def seed_way(a: pd.Series, b: pd.Series, start: str, end: str) -> tuple:
    """The obvious statsmodels way an analyst (and this project's seed) would write."""
    import statsmodels.api as sm

    p = pd.concat([a, b], axis=1, join="inner")
    p = p[(p.index >= start) & (p.index < end)]
    r = p.pct_change().dropna()
    design = sm.add_constant(r.iloc[:, 1])
    fit = sm.OLS(r.iloc[:, 0], design).fit()
    hedged = r.iloc[:, 0] - fit.params.iloc[1] * r.iloc[:, 1]
    check = sm.OLS(hedged, design).fit()
    return (fit.params, fit.bse, fit.tvalues, fit.pvalues, fit.conf_int(), fit.rsquared,
            check.params, 1 - hedged.var() / r.iloc[:, 0].var())


def bench_pair(runs: int) -> None:
    a, b, where = pair_prices()
    # The summary is read in the timed call: a statistic computed on first reading counts.
    def ours() -> betahedge_xl.HedgeResult:
        res = betahedge_xl.beta_hedge(a, b, "2014-01-01", "2015-01-01")
        res.summary()
        return res

    seed = lambda: seed_way(a, b, "2014-01-01", "2015-01-01")  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(20):
            res, ref = ours(), seed()
        times: dict[str, list[float]] = {"ours": [], "seed": []}
        for _ in range(runs):  # interleaved, so that the machine's load hits both alike
            for key, fn in (("ours", ours), ("seed", seed)):
                t0 = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    diff = abs(res.beta - ref[0].iloc[1])
    print(f"beta_hedge + summary(), one pair, all statistics ({where}): median {med['ours'] * 1e3:.2f} ms;"
          f" the seed's statsmodels way {med['seed'] * 1e3:.2f} ms: {med['seed'] / med['ours']:.1f}x"
          f"   target >= 4x\n    TSLA on SPY 2014: beta {res.beta:.4f} (statsmodels differs by"
          f" {diff:.1e}), n {res.n_obs}, alpha {res.alpha:.6f}")


def bench_import(runs: int = 7) -> None:
    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
        return time.perf_counter() - t0

    bare = statistics.median(run("pass") for _ in range(runs))
    pkg = statistics.median(run("import betahedge_xl") for _ in range(runs))
    eng = statistics.median(run("import betahedge_xl.engine") for _ in range(runs))
    print(f"import betahedge_xl in a fresh interpreter: {pkg * 1e3:.0f} ms "
          f"({(pkg - bare) * 1e3:.0f} ms over a bare `python -c pass` of {bare * 1e3:.0f} ms); "
          f"import betahedge_xl.engine (pandas, numpy): {eng * 1e3:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 assets, fewer runs")
    args = parser.parse_args()
    n_assets = 100 if args.quick else 500
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"{os.cpu_count()} cpu(s); OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r}"
          f" OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')!r}")
    print(f"{'':<44} {'ours ms':>10} {'theirs ms':>12} {'ratio':>10} {'max diff':>10}")
    y, x = panel(2520, n_assets)
    bench_regress_many(y, x)
    bench_rolling(y, x, 252, subset=10 if args.quick else 25)
    bench_pair(200 if args.quick else 1000)
    bench_import()


if __name__ == "__main__":
    main()
