"""Rolling multiple-regression betas of one asset on several benchmarks: window sums of the
centred cross-products, then one batched small solve per window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import paired_arrays, whole_number


def check_rolling_window(window: int, t: int, k: int = 1) -> None:
    """Refuse a rolling window too short for ``k`` benchmarks (at least ``k + 2`` periods,
    and 3) or longer than the ``t`` observations.

    Raises
    ------
    InputError, InsufficientDataError
    """
    if window < max(k + 2, 3):
        raise InputError(f"rolling window must be at least {max(k + 2, 3)} periods, "
                         f"got {window}")
    if t < window:
        raise InsufficientDataError(
            f"too few observations for a {window}-period rolling beta: {t}"
        )


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


def _solve_small(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solutions of many small systems ``a[i] x = b[i]`` and the determinants of ``a``.

    Gaussian elimination with partial pivoting, each step one array operation across every
    system (numpy's batched solve is a LAPACK call per system: microseconds each for 3 x 3).
    A singular system gives non-finite numbers, without warnings.
    """
    a = a.copy()
    b = b.copy()
    m, k, _ = a.shape
    det = np.ones(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in range(k):
            p = c + np.argmax(np.abs(a[:, c:, c]), axis=1)
            swap = np.flatnonzero(p != c)
            if swap.size:
                pc = p[swap]
                a[swap, c], a[swap, pc] = a[swap, pc], a[swap, c].copy()
                b[swap, c], b[swap, pc] = b[swap, pc], b[swap, c].copy()
                det[swap] = -det[swap]
            pivot = a[:, c, c]
            det *= pivot
            f = a[:, c + 1:, c] / pivot[:, None]
            a[:, c + 1:, c:] -= f[:, :, None] * a[:, None, c, c:]
            b[:, c + 1:] -= f * b[:, c, None]
        x = np.empty_like(b)
        for c in range(k - 1, -1, -1):
            x[:, c] = (b[:, c] - np.einsum("ij,ij->i", a[:, c, c + 1:], x[:, c + 1:])) / a[:, c, c]
    return x, det


def rolling_ols_betas(
    asset_returns: pd.Series, benchmark_returns: pd.DataFrame, window: int
) -> pd.DataFrame:
    """Rolling multiple-regression betas of one asset on several benchmarks.

    Window sums of the centred cross-products, then one batched ``k x k`` solve per window.
    Rows with a missing value anywhere make their windows NaN, as statsmodels ``RollingOLS``.
    """
    window = whole_number(window, "window")
    asset_returns, benchmark_returns, y, x = paired_arrays(asset_returns, benchmark_returns)
    if y.shape[0] != x.shape[0]:  # plain arrays are read by position: same length or nothing
        raise InputError(f"benchmark has {x.shape[0]} returns but assets have {y.shape[0]}")
    t, k = x.shape
    check_rolling_window(window, t, k)
    valid = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    xc = np.where(valid[:, None], x - _masked_mean(x, valid[:, None] & ~np.isnan(x)), 0.0)
    yc = np.where(valid, y - float(_masked_mean(y, valid)), 0.0)
    n = _window_sums(valid.astype(float), window)
    sx = _window_sums(xc, window)
    sy = _window_sums(yc, window)
    sxx = _window_sums((xc[:, :, None] * xc[:, None, :]).reshape(t, k * k), window)
    sxy = _window_sums(xc * yc[:, None], window)
    ok = n > window - 0.5  # a full window: NaN sums before it, and NaN betas
    # every row at once (a row's numbers do not depend on the others): no gathers
    with np.errstate(invalid="ignore"):
        a = sxx.reshape(t, k, k) - sx[:, :, None] * sx[:, None, :] / window
        b = sxy - sx * (sy / window)[:, None]
    out, det = _solve_small(a, b)
    # A window is kept when its condition number is below 1e12. The moments are positive
    # semi-definite, so cond <= trace^k / det: windows well inside that bound need no
    # singular values (numpy's cond is one LAPACK call a window); the others do.
    trace = np.trace(a, axis1=1, axis2=2)
    with np.errstate(over="ignore", invalid="ignore"):
        well = (det > 0) & (trace ** k < 1e11 * det)
    doubt = np.flatnonzero(ok & ~well)
    if doubt.size:
        out[doubt[~(np.linalg.cond(a[doubt]) < 1e12)]] = np.nan
    out[~ok] = np.nan
    columns = (
        [str(c) for c in benchmark_returns.columns]
        if isinstance(benchmark_returns, pd.DataFrame)
        else [f"x{i + 1}" for i in range(k)]
    )
    index = asset_returns.index if isinstance(asset_returns, pd.Series) else None
    # copy=False: the array is ours alone; pandas 3 would otherwise copy it.
    return pd.DataFrame(out, index=index, columns=columns, copy=False)
