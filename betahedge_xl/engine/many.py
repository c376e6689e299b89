"""Many assets against one benchmark at once: full-sample OLS, rolling and EWMA betas.

Everything here is a handful of matrix products over the whole panel, never a loop over
assets: a 500 x 2,520 panel is a few milliseconds. Assets may have missing values (different
listing dates); each asset then uses the dates it has, as a per-asset regression would.
Both benchmark and assets are centred on their panel means first so that the sums below do not
lose digits to cancellation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError


#: A benchmark whose sum of squared deviations is below this share of its (centred) sum of
#: squares is constant to rounding: its beta is undefined (NaN), not a ratio of noise.
_FLAT = 1e-12


def _panel(
    asset_returns: Any, benchmark_returns: Any
) -> tuple[np.ndarray, np.ndarray, pd.Index | None, list[str]]:
    """(T, N) asset array, (T,) benchmark array, shared index, asset names."""
    if isinstance(asset_returns, pd.Series):
        asset_returns = asset_returns.to_frame()
    if isinstance(asset_returns, pd.DataFrame) and isinstance(benchmark_returns, pd.Series):
        if not asset_returns.index.equals(benchmark_returns.index):
            benchmark_returns = benchmark_returns.reindex(asset_returns.index)
    if isinstance(benchmark_returns, pd.DataFrame):
        if benchmark_returns.shape[1] != 1:
            raise InputError("one benchmark here; use ols() for several")
        benchmark_returns = benchmark_returns.iloc[:, 0]
    y = np.asarray(asset_returns, dtype=float)
    x = np.asarray(benchmark_returns, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim != 1 or x.shape[0] != y.shape[0]:
        raise InputError(
            f"benchmark has {x.shape[0] if x.ndim else 0} returns but assets have {y.shape[0]}"
        )
    index = asset_returns.index if isinstance(asset_returns, pd.DataFrame) else None
    names = (
        [str(c) for c in asset_returns.columns]
        if isinstance(asset_returns, pd.DataFrame)
        else [f"asset{i + 1}" for i in range(y.shape[1])]
    )
    return y, x, index, names


def regress_many(asset_returns: Any, benchmark_returns: Any) -> pd.DataFrame:
    """Full-sample OLS of each asset on one benchmark, all at once.

    Parameters
    ----------
    asset_returns : DataFrame (T, N) or array
        One column per asset; NaN where an asset has no return.
    benchmark_returns : Series (T,) or array
        The benchmark; rows where it is NaN are ignored for every asset.

    Returns
    -------
    DataFrame
        One row per asset: ``alpha``, ``beta``, ``alpha_se``, ``beta_se``, ``alpha_t``,
        ``beta_t``, ``r_squared``, ``resid_std``, ``n``. Assets with fewer than 3 observations
        or no benchmark variation on their dates get NaN statistics.
    """
    y, x, _, names = _panel(asset_returns, benchmark_returns)
    keep = ~np.isnan(x)
    if not keep.all():
        y, x = y[keep], x[keep]
    # Each pass over a 500 x 2,520 panel costs about a millisecond, so the complete panel
    # (the usual case) takes as few as it can: a column's sum is NaN when it has a gap, and
    # is the sum the mean needs otherwise.
    col_sum = y.sum(axis=0)
    full = bool(np.isfinite(col_sum).all()) and y.shape[0] > 0
    x0 = float(x.mean()) if x.size else 0.0
    xc = x - x0
    with np.errstate(divide="ignore", invalid="ignore"):
        if full:
            y0 = col_sum / y.shape[0]
            n = np.full(y.shape[1], float(y.shape[0]))
            sx = np.full(y.shape[1], xc.sum())
            sxx = np.full(y.shape[1], xc @ xc)
            # Centred sums in cache-sized blocks of assets: no full-size temporary (whose
            # fresh pages cost more than the arithmetic).
            sy, syy, sxy = (np.empty(y.shape[1]) for _ in range(3))
            for j in range(0, y.shape[1], 64):
                cols = slice(j, j + 64)
                yc = y[:, cols] - y0[cols]
                sy[cols] = yc.sum(axis=0)
                syy[cols] = np.einsum("ij,ij->j", yc, yc)
                sxy[cols] = xc @ yc
        else:
            mask = ~np.isnan(y)
            y0 = _masked_mean(y, mask)
            yc = np.where(mask, y - y0, 0.0)
            m = mask.astype(float)
            n = m.sum(axis=0)
            sx = xc @ m
            sxx = (xc * xc) @ m
            sy = yc.sum(axis=0)
            syy = np.einsum("ij,ij->j", yc, yc)
            sxy = xc @ yc
        mx = sx / n
        my = sy / n
        vxx = sxx - sx * mx  # sum of squared deviations of x on each asset's dates
        vyy = syy - sy * my
        cxy = sxy - sx * my
        beta = cxy / vxx
        alpha_c = my - beta * mx
        ssr = np.maximum(vyy - beta * cxy, 0.0)
        dof = n - 2
        s2 = ssr / dof
        beta_se = np.sqrt(s2 / vxx)
        # Var(alpha) = s2 (1/n + xbar^2 / Sxx) with xbar the mean of the *uncentred*
        # benchmark on the asset's dates (the intercept is at x = 0, not at x = x0).
        xbar = x0 + mx
        alpha_se = np.sqrt(s2 * (1.0 / n + xbar * xbar / vxx))
        r2 = 1.0 - ssr / vyy
        # Undo the centring: y = y0 + yc, x = x0 + xc  =>  alpha = y0 + alpha_c - beta * x0.
        alpha = y0 + alpha_c - beta * x0
        # A benchmark constant on an asset's dates leaves only rounding noise in vxx; the
        # noise is ~1e-16 of sxx, so compare with sxx rather than with zero.
        bad = (n < 3) | ~(vxx > _FLAT * sxx)
        out = pd.DataFrame(
            {
                "alpha": alpha,
                "beta": beta,
                "alpha_se": alpha_se,
                "beta_se": beta_se,
                "alpha_t": alpha / alpha_se,
                "beta_t": beta / beta_se,
                "r_squared": r2,
                "resid_std": np.sqrt(s2),
                "n": n.astype(int),
            },
            index=pd.Index(names, name="asset"),
        )
    if bad.any():
        out.loc[bad, out.columns[:-1]] = np.nan
    return out


def _masked_mean(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column means over ``mask`` (0 where a column has no valid value), without warnings."""
    count = mask.sum(axis=0)
    total = np.where(mask, a, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _window_sums(a: np.ndarray, window: int) -> np.ndarray:
    """Sum over the trailing ``window`` rows, NaN for the first ``window - 1`` rows."""
    c = np.cumsum(a, axis=0)
    out = np.full(a.shape, np.nan)
    out[window - 1] = c[window - 1]
    out[window:] = c[window:] - c[:-window]
    return out


def rolling_beta(asset_returns: Any, benchmark_returns: Any, window: int) -> pd.DataFrame:
    """Beta of each asset over a trailing window of ``window`` periods.

    Equal to ``asset.rolling(window).cov(bench) / bench.rolling(window).var()`` (and to
    statsmodels ``RollingOLS``), NaN until a window is full of valid observations.

    Returns
    -------
    DataFrame shaped like ``asset_returns``.
    """
    window = int(window)
    y, x, index, names = _panel(asset_returns, benchmark_returns)
    t = y.shape[0]
    if window < 3:
        raise InputError(f"rolling window must be at least 3 periods, got {window}")
    if t < window:
        raise InsufficientDataError(
            f"too few observations for a {window}-period rolling beta: {t}"
        )
    col_sum = y.sum(axis=0)
    if np.isfinite(col_sum).all() and not np.isnan(x).any():
        return _rolling_beta_complete(y, x, col_sum / t, window, index, names)
    valid = ~np.isnan(y) & ~np.isnan(x)[:, None]
    x_mean = float(_masked_mean(x, ~np.isnan(x)))
    y_mean = _masked_mean(y, valid)
    xc = np.where(valid, (x - x_mean)[:, None], 0.0)
    yc = np.where(valid, y - y_mean, 0.0)
    full = _window_sums(valid.astype(float), window) > window - 0.5
    sx = _window_sums(xc, window)
    sy = _window_sums(yc, window)
    sxx = _window_sums(xc * xc, window)
    sxy = _window_sums(xc * yc, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        vxx = sxx - sx * sx / window
        cxy = sxy - sx * sy / window
        beta = cxy / vxx
    beta[~full] = np.nan  # a window with any missing value is not full
    beta[~(vxx > _FLAT * sxx)] = np.nan  # a flat benchmark window (vxx is rounding noise)
    # copy=False: the array is ours alone; pandas 3 would otherwise copy the whole panel.
    return pd.DataFrame(beta, index=index, columns=names, copy=False)


def _rolling_beta_complete(
    y: np.ndarray, x: np.ndarray, y_mean: np.ndarray, window: int, index: Any, names: list[str]
) -> pd.DataFrame:
    """:func:`rolling_beta` of a panel without gaps.

    The benchmark's window sums are one column shared by every asset. For the assets, the
    running sums of ``y`` and ``x * y`` sit side by side in one row-major array with a leading
    zero row, so that the window sum ending at date ``t`` is ``z[t + 1] - z[t + 1 - window]``.
    For a wide panel they are accumulated a date (a row of every asset) at a time, which numpy
    vectorises across assets (``cumsum`` down a column is a chain of scalar additions; for a
    few assets it is still the faster of the two), and in chunks of dates so
    that centring, products, running sums and the betas of a chunk are computed while its rows
    are still in cache: about five passes over the panel's memory instead of ten.
    """
    t, n = y.shape
    xc = x - x.mean()
    cx = np.concatenate(([0.0], np.cumsum(xc)))
    cxx = np.concatenate(([0.0], np.cumsum(xc * xc)))
    sx = cx[window:] - cx[:-window]
    sxx = cxx[window:] - cxx[:-window]
    vxx = sxx - sx * sx / window
    flat = ~(vxx > _FLAT * sxx)  # a flat benchmark window (vxx is rounding noise)
    mean_x = sx / window

    z = np.empty((t + 1, 2 * n))
    z[0] = 0.0
    beta = np.empty((t, n))
    beta[: window - 1] = np.nan
    add = np.add
    chunk = 128
    with np.errstate(divide="ignore", invalid="ignore"):
        for a in range(0, t, chunk):
            b = min(a + chunk, t)
            rows = z[a + 1:b + 1]
            np.subtract(y[a:b], y_mean, out=rows[:, :n])  # centred asset returns
            np.multiply(rows[:, :n], xc[a:b, None], out=rows[:, n:])  # times the benchmark's
            if n >= 32:
                for i in range(a + 1, b + 1):
                    add(z[i - 1], z[i], out=z[i])
            else:  # a few assets: numpy's cumsum beats a Python loop over dates
                np.cumsum(z[a:b + 1], axis=0, out=z[a:b + 1])
            lo = max(a, window - 1)
            if lo >= b:
                continue
            k = slice(lo - window + 1, b - window + 1)  # windows ending on dates lo..b-1
            out = beta[lo:b]
            now, then = z[lo + 1:b + 1], z[lo + 1 - window:b + 1 - window]
            np.subtract(now[:, n:], then[:, n:], out=out)  # window sums of x * y
            sy = now[:, :n] - then[:, :n]  # window sums of y
            sy *= mean_x[k, None]
            out -= sy  # co-moment sums
            out /= vxx[k, None]
    beta[window - 1:][flat] = np.nan
    # copy=False: the array is ours alone; pandas 3 would otherwise copy the whole panel.
    return pd.DataFrame(beta, index=index, columns=names, copy=False)


def ewma_beta(
    asset_returns: Any,
    benchmark_returns: Any,
    halflife: float,
    *,
    min_periods: int = 20,
) -> pd.DataFrame:
    """Exponentially weighted beta, ``ewm_cov(asset, bench) / ewm_var(bench)``.

    The same weights apply to covariance and variance (pandas ``ewm(halflife, adjust=True)``),
    so the bias corrections cancel in the ratio.
    """
    if not halflife > 0:
        raise InputError(f"EWMA half-life must be positive, got {halflife!r}")
    y, x, index, names = _panel(asset_returns, benchmark_returns)
    valid = ~np.isnan(y) & ~np.isnan(x)[:, None]
    xb = np.where(valid, x[:, None], np.nan)
    yb = np.where(valid, y, np.nan)
    frames = {
        key: pd.DataFrame(v).ewm(halflife=halflife, min_periods=min_periods).mean().to_numpy()
        for key, v in (("x", xb), ("y", yb), ("xx", xb * xb), ("xy", xb * yb))
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = frames["xy"] - frames["x"] * frames["y"]
        var = frames["xx"] - frames["x"] ** 2
        beta = np.where(var > 0, cov / var, np.nan)
    # copy=False: the array is ours alone; pandas 3 would otherwise copy the whole panel.
    return pd.DataFrame(beta, index=index, columns=names, copy=False)


def rolling_ols_betas(
    asset_returns: pd.Series, benchmark_returns: pd.DataFrame, window: int
) -> pd.DataFrame:
    """Rolling multiple-regression betas of one asset on several benchmarks.

    Window sums of the centred cross-products, then one batched ``k x k`` solve per window.
    Rows with a missing value anywhere make their windows NaN, as statsmodels ``RollingOLS``.
    """
    window = int(window)
    y = np.asarray(asset_returns, dtype=float)
    x = np.asarray(benchmark_returns, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    t, k = x.shape
    if window < k + 2:
        raise InputError(f"rolling window must be at least {k + 2} periods, got {window}")
    if t < window:
        raise InsufficientDataError(
            f"too few observations for a {window}-period rolling beta: {t}"
        )
    valid = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    xc = np.where(valid[:, None], x - _masked_mean(x, valid[:, None] & ~np.isnan(x)), 0.0)
    yc = np.where(valid, y - float(_masked_mean(y, valid)), 0.0)
    n = _window_sums(valid.astype(float), window)
    sx = _window_sums(xc, window)
    sy = _window_sums(yc, window)
    sxx = _window_sums((xc[:, :, None] * xc[:, None, :]).reshape(t, k * k), window)
    sxy = _window_sums(xc * yc[:, None], window)
    out = np.full((t, k), np.nan)
    ok = n > window - 0.5
    if ok.any():
        a = sxx[ok].reshape(-1, k, k) - sx[ok][:, :, None] * sx[ok][:, None, :] / window
        b = sxy[ok] - sx[ok] * (sy[ok] / window)[:, None]
        det_ok = np.linalg.cond(a) < 1e12
        sol = np.full(b.shape, np.nan)
        if det_ok.any():
            sol[det_ok] = np.linalg.solve(a[det_ok], b[det_ok][:, :, None])[:, :, 0]
        out[ok] = sol
    columns = (
        [str(c) for c in benchmark_returns.columns]
        if isinstance(benchmark_returns, pd.DataFrame)
        else [f"x{i + 1}" for i in range(k)]
    )
    index = asset_returns.index if isinstance(asset_returns, pd.Series) else None
    return pd.DataFrame(out, index=index, columns=columns)
