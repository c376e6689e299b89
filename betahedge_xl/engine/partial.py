"""What the charts of a regression show: partial-regression residuals and rolling standard errors.

Pure functions of returns (pandas in, pandas out), used by the report's charts:

* :func:`partial_regression` gives, per benchmark, the asset's and the benchmark's returns net
  of the other benchmarks (Frisch-Waugh-Lovell): the slope of one on the other is exactly that
  benchmark's coefficient in the multiple regression, so a scatter of them shows what the
  regression says, where a raw scatter against one benchmark shows another slope.
* :func:`rolling_beta_se` gives the classical standard error of each trailing-window beta, for
  the +/- 2 SE band around the rolling beta.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _residuals(target: np.ndarray, design: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    out: np.ndarray = target - design @ coef
    return out


def partial_regression(y: pd.Series, x: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Asset and benchmark returns net of the other benchmarks, per benchmark.

    Parameters
    ----------
    y
        Asset returns.
    x
        Benchmark returns, one column per benchmark, on ``y``'s dates.

    Returns
    -------
    dict of str to pandas.DataFrame
        For each benchmark, a frame on the complete dates with columns ``x`` (the benchmark's
        return net of a constant and the others) and ``y`` (the asset's, likewise). Their
        least-squares slope through the origin equals the benchmark's multiple-regression beta.
    """
    frame = pd.concat([y.rename("__y__"), x], axis=1).dropna()
    yv = frame["__y__"].to_numpy(dtype=float)
    xv = frame[list(x.columns)].to_numpy(dtype=float)
    ones = np.ones((len(frame), 1))
    out: dict[str, pd.DataFrame] = {}
    for j, name in enumerate(x.columns):
        others = np.hstack([ones, np.delete(xv, j, axis=1)])
        out[str(name)] = pd.DataFrame(
            {"x": _residuals(xv[:, j], others), "y": _residuals(yv, others)}, index=frame.index)
    return out


def rolling_beta_se(y: pd.Series, x: pd.DataFrame, window: int) -> pd.DataFrame:
    """Classical standard error of each benchmark's beta over a trailing window.

    Parameters
    ----------
    y
        Asset returns.
    x
        Benchmark returns, one column per benchmark, on ``y``'s dates.
    window
        Periods per regression (the rolling beta's window).

    Returns
    -------
    pandas.DataFrame
        One column per benchmark on ``y``'s dates; NaN until the window fills, where the window
        holds a missing value, or where it has no residual degrees of freedom.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    yv = y.to_numpy(dtype=float)
    xv = x.to_numpy(dtype=float).reshape(len(yv), -1)
    n, k = xv.shape
    out = np.full((n, k), np.nan)
    df = window - k - 1
    if df <= 0 or n < window:
        return pd.DataFrame(out, index=y.index, columns=x.columns)
    # Every window at once (views, no copies): the centred cross products give the slopes'
    # (X'X)^-1 block, the residual variance its scale.
    xs = sliding_window_view(xv, window, axis=0)  # (m, k, window)
    ys = sliding_window_view(yv, window)  # (m, window)
    ok = ~(np.isnan(ys).any(axis=1) | np.isnan(xs).any(axis=(1, 2)))
    xc = xs - xs.mean(axis=2, keepdims=True)
    yc = ys - ys.mean(axis=1, keepdims=True)
    sxx = np.einsum("mkw,mjw->mkj", xc, xc)
    sxy = np.einsum("mkw,mw->mk", xc, yc)
    # A constant benchmark in a window: no beta to put a band around.
    scale = np.einsum("mkk->mk", sxx).max(axis=1)
    ok &= np.abs(np.linalg.det(sxx)) > 1e-12 * np.maximum(scale, 1e-300) ** k
    safe = np.where(ok[:, None, None], sxx, np.eye(k))
    inv = np.linalg.inv(safe)
    beta = np.einsum("mkj,mj->mk", inv, sxy)
    ssr = np.einsum("mw,mw->m", yc, yc) - np.einsum("mk,mk->m", beta, sxy)
    se = np.sqrt(np.maximum(ssr, 0.0)[:, None] / df * np.einsum("mkk->mk", inv))
    out[window - 1:] = np.where(ok[:, None], se, np.nan)
    return pd.DataFrame(out, index=y.index, columns=x.columns)
