"""The beta estimators: each one's beta of many assets at once (one column per asset) against
one benchmark, for any set of window ends: one pass of a few matrix products per window end,
never a loop over assets. ``ols``, ``ewma`` and ``dimson`` also take several benchmarks
(:data:`MULTI_ESTIMATORS`): a multiple regression, one ratio per benchmark. Pure numerics:
arrays and frames in, arrays and frames out.

Estimators (each function's docstring gives the definition and the reference):

- :func:`ols_betas`: OLS slope over the trailing window;
- :func:`blume_betas`: ``2/3 ols + 1/3`` (Blume 1975);
- :func:`vasicek_betas`: OLS shrunk toward a prior by its sampling variance (Vasicek 1973);
- :func:`ewma_betas`: exponentially weighted slope (half-life in periods);
- :func:`dimson_betas`: sum of the slopes on the lagged, current and leading benchmark
  returns (Dimson 1979).

:func:`trailing_betas` computes them all at every window end: the kernel of the walk-forward
backtest (:mod:`.walkforward`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import on_dates_of, whole_number
from .many import _FLAT
from .ols import blume_adjust

#: Estimators in the order tables show them.
ESTIMATORS: tuple[str, ...] = ("ols", "blume", "vasicek", "ewma", "dimson")

#: Estimators defined on several benchmarks at once (a multiple regression, one slope per
#: benchmark). Blume and Vasicek shrink toward a market beta of 1, which the partial slope on
#: one of several benchmarks does not have: they take one benchmark only.
MULTI_ESTIMATORS: tuple[str, ...] = ("ols", "ewma", "dimson")

#: Prior of :func:`vasicek_betas` for a single asset (no cross-section to learn it from): the
#: market's beta, 1, with a standard deviation of 0.5, about the cross-sectional spread of US
#: stock betas that Vasicek (1973) and Blume (1971) report.
VASICEK_PRIOR_MEAN = 1.0
VASICEK_PRIOR_STD = 0.5

#: Half-life of :func:`ewma_betas` when none is given, as a share of the window: a quarter,
#: i.e. 63 trading days for the default 252-day window (the oldest day then weighs 1/16 of
#: the newest).
EWMA_HALFLIFE_SHARE = 0.25



# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def _panel(
    asset_returns: Any, benchmark_returns: Any, several: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(T, N) asset array and (T,) benchmark array, complete (no missing values).

    With ``several``, a benchmark of two or more columns is kept as a (T, K) array (a single
    column still comes back as (T,)); without, it is refused.
    """
    # pandas inputs by date: a benchmark on fewer dates leaves gaps, refused below.
    asset_returns, benchmark_returns = on_dates_of(
        asset_returns, benchmark_returns, what=("asset", "benchmark"))
    y = np.asarray(asset_returns, dtype=float)
    x = np.asarray(benchmark_returns, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 and not (several and x.ndim == 2):
        raise InputError("one benchmark here: Blume and Vasicek shrink toward a market beta, "
                         "which the coefficients on several benchmarks do not have")
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise InputError(f"benchmark has {x.shape[0]} returns but assets have {y.shape[0]}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise InputError("returns have missing values; align asset and benchmark first")
    return y, x


def _names(asset_returns: Any, n: int) -> list[str]:
    if isinstance(asset_returns, pd.DataFrame):
        return [str(c) for c in asset_returns.columns]
    if isinstance(asset_returns, pd.Series):
        return [str(asset_returns.name) if asset_returns.name is not None else "asset"]
    return [f"asset{i + 1}" for i in range(n)]


def normalize_estimators(estimators: Any, n_benchmarks: int = 1) -> list[str]:
    """Estimator names from a list or a comma-separated text; all five when empty.

    With ``n_benchmarks`` of two or more, the default is :data:`MULTI_ESTIMATORS` and
    ``blume`` or ``vasicek`` is refused (their shrinkage target, a market beta of 1, means
    nothing for the partial slope on one of several benchmarks).
    """
    several = n_benchmarks > 1
    if estimators is None or (isinstance(estimators, str) and not estimators.strip()):
        return list(MULTI_ESTIMATORS if several else ESTIMATORS)
    items = estimators.split(",") if isinstance(estimators, str) else list(estimators)
    out: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if not name:
            continue
        if name not in ESTIMATORS:
            raise InputError(f"unknown estimator {str(item).strip()!r}; use any of "
                             f"{', '.join(ESTIMATORS)}")
        if name not in out:
            out.append(name)
    if not out:
        raise InputError(f"no estimator given; use any of {', '.join(ESTIMATORS)}")
    single = [name for name in out if name not in MULTI_ESTIMATORS]
    if several and single:
        raise InputError(
            f"{' and '.join(single)} take one benchmark: they shrink toward a market beta of "
            f"1, which the partial beta on one of {n_benchmarks} benchmarks does not have; "
            f"with several benchmarks use any of {', '.join(MULTI_ESTIMATORS)}")
    return out


def _halflife(halflife: float | None, window: int) -> float:
    h = EWMA_HALFLIFE_SHARE * window if halflife is None else float(halflife)
    if not h > 0:
        raise InputError(f"EWMA half-life must be positive, got {halflife!r}")
    return h


# --------------------------------------------------------------------------------------------
# The kernel: every estimator at every window end
# --------------------------------------------------------------------------------------------
def trailing_betas(
    asset_returns: Any,
    benchmark_returns: Any,
    ends: Sequence[int] | np.ndarray,
    window: int,
    estimators: Any = None,
    *,
    halflife: float | None = None,
    prior: tuple[float, float] | None = None,
) -> dict[str, np.ndarray]:
    """Each estimator's beta of each asset over the ``window`` returns ending at each end.

    Parameters
    ----------
    asset_returns : array or DataFrame (T, N)
        One column per asset, no missing values.
    benchmark_returns : array or Series (T,), or array or DataFrame (T, K)
        One benchmark, or several for :data:`MULTI_ESTIMATORS` (see :func:`_multi_betas`).
    ends : sequence of int
        Row positions (inclusive) of the last return of each window; each must be at least
        ``window - 1``. A window uses rows ``end - window + 1 .. end`` and nothing later.
    window : int
        Returns per window (at least 5: Dimson's regression uses ``window - 2`` of them).
    estimators
        Names among :data:`ESTIMATORS` (all when ``None``).
    halflife : float, optional
        Half-life of :func:`ewma_betas` in periods; ``window / 4`` when ``None``.
    prior : (mean, std), optional
        Vasicek's prior; when ``None``, the cross-section of the OLS betas at each end when
        there are at least two assets, else ``(1.0, 0.5)``.

    Returns
    -------
    dict of str to array (len(ends), N), or (len(ends), N, K) with K >= 2 benchmarks
    """
    y, x = _panel(asset_returns, benchmark_returns, several=True)
    names = normalize_estimators(estimators, 1 if x.ndim == 1 else x.shape[1])
    window, ends_arr = _windows(window, ends, y.shape[0])
    h = _halflife(halflife, window)
    if x.ndim == 2:
        return _multi_betas(y, x, ends_arr, window, names, h)
    return _single_betas(y, x, ends_arr, window, names, h, prior)


def _windows(window: int, ends: Sequence[int] | np.ndarray, t: int) -> tuple[int, np.ndarray]:
    """The window length and the window ends of :func:`trailing_betas`, checked."""
    window = whole_number(window, "window")
    if window < 5:
        raise InputError(f"window must be at least 5 returns, got {window}")
    ends_arr = np.asarray(ends, dtype=int).reshape(-1)
    if ends_arr.size and (ends_arr.min() < window - 1 or ends_arr.max() >= t):
        raise InsufficientDataError(
            f"a window end lies outside the {t} returns or before the first "
            f"{window}-return window is full")
    return window, ends_arr


def _single_betas(
    y: np.ndarray, x: np.ndarray, ends_arr: np.ndarray, window: int, names: list[str],
    h: float, prior: tuple[float, float] | None,
) -> dict[str, np.ndarray]:
    """Every estimator of ``names`` on one benchmark: (len(ends), N) betas each (see
    :func:`trailing_betas`)."""
    need_ols = bool({"ols", "blume", "vasicek"} & set(names))
    k, n = ends_arr.size, y.shape[1]
    out = {name: np.empty((k, n)) for name in names}
    ols = np.empty((k, n))
    ols_var = np.empty((k, n))  # sampling variance of the OLS slope
    # EWMA weights of a window, oldest first; the same for every window.
    ew = 0.5 ** (np.arange(window - 1, -1, -1) / h)
    ew /= ew.sum()
    vasicek = "vasicek" in names
    ewma = "ewma" in names
    dimson = "dimson" in names
    # Every estimator is a linear function of the window's asset returns (OLS's slope and
    # mean, EWMA's weighted slope, Dimson's summed slopes): one row each of a (rows x window)
    # matrix, multiplied with the window once, so the window is read once for all of them
    # (and once more for the squares Vasicek needs).
    funcs = np.zeros((int(need_ols) + int(vasicek) + int(ewma) + int(dimson), window))
    row_ols, row_mean = 0, int(need_ols)
    row_ewma = row_mean + int(vasicek)
    row_dimson = row_ewma + int(ewma)
    if vasicek:
        funcs[row_mean] = 1.0 / window
    three = np.ones(3)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, e in enumerate(ends_arr):
            rows = slice(e - window + 1, e + 1)
            yw, xw = y[rows], x[rows]
            xc = xw - xw.mean()
            sxx = xc @ xc
            flat = not sxx > _FLAT * (xw @ xw)
            if need_ols:
                funcs[row_ols] = xc
            if ewma:
                xe = xw - ew @ xw
                funcs[row_ewma] = ew * xe
                see = ew @ (xe * xe)
            dimson_ok = False
            if dimson:
                # y_t on x_{t-1}, x_t, x_{t+1} for t inside the window with both neighbours
                # inside it too: the lead of the window's last day is not known yet. The
                # sum of the three slopes is 1' zz^-1 z y = (zz^-1 1)' z y: one row.
                z = np.vstack([xw[:-2], xw[1:-1], xw[2:]])
                z -= z.mean(axis=1, keepdims=True)
                zz = z @ z.T
                dimson_ok = bool(np.linalg.cond(zz) < 1e12)
                if dimson_ok:
                    funcs[row_dimson, 1:-1] = np.linalg.solve(zz, three) @ z
            sums = funcs @ yw
            if need_ols:
                sxy = sums[row_ols]
                b = sxy / sxx
                ols[i] = b
                if vasicek:
                    # Centred sum of squares without a centred copy of the window (returns'
                    # means are small beside their spread: no digits lost that matter for a
                    # shrinkage weight).
                    my = sums[row_mean]
                    syy = np.einsum("ij,ij->j", yw, yw) - window * my * my
                    ssr = np.maximum(syy - b * sxy, 0.0)
                    ols_var[i] = ssr / (window - 2) / sxx
            if ewma:
                out["ewma"][i] = sums[row_ewma] / see
            if dimson:
                out["dimson"][i] = sums[row_dimson] if dimson_ok else np.nan
            if flat:
                ols[i] = np.nan
                for name in names:
                    out[name][i] = np.nan
    _from_ols(out, ols, ols_var, prior)
    return out


def _from_ols(out: dict[str, np.ndarray], ols: np.ndarray, ols_var: np.ndarray,
              prior: tuple[float, float] | None) -> None:
    """Fill in the estimators derived from the OLS slopes (and their sampling variance)."""
    if "ols" in out:
        out["ols"][:] = ols
    if "blume" in out:
        out["blume"][:] = blume_adjust(ols)
    if "vasicek" in out:
        out["vasicek"][:] = _vasicek(ols, ols_var, prior)


def _multi_betas(
    y: np.ndarray, x: np.ndarray, ends: np.ndarray, window: int, names: list[str], h: float
) -> dict[str, np.ndarray]:
    """:data:`MULTI_ESTIMATORS` on K >= 2 benchmarks: (len(ends), N, K) slopes per estimator.

    - ``ols``: the slopes of ``r_t = a + sum_k b_k m_kt + e_t`` over the window;
    - ``ewma``: the same regression by weighted least squares with the weights of
      :func:`ewma_betas` (``2^(-(T-1-t)/h)``), i.e. on returns centred on their weighted means;
    - ``dimson``: ``r_t`` on the lagged, current and leading returns of every benchmark (3K
      regressors, ``t`` over the window's inner days as for one benchmark); each benchmark's
      ratio is the sum of its three slopes.

    A window whose regressors are (nearly) collinear or flat gives NaN.
    """
    k, n, kb = ends.size, y.shape[1], x.shape[1]
    out = {name: np.empty((k, n, kb)) for name in names}
    ew = 0.5 ** (np.arange(window - 1, -1, -1) / h)
    ew /= ew.sum()

    def slopes(z: np.ndarray, zw: np.ndarray, yv: np.ndarray) -> np.ndarray:
        # Normal equations of centred regressors z (rows: days), weighted as zw: (p, N).
        zz = zw.T @ z
        if not np.linalg.cond(zz) < 1e12:
            return np.full((z.shape[1], yv.shape[1]), np.nan)
        return np.linalg.solve(zz, zw.T @ yv)

    with np.errstate(divide="ignore", invalid="ignore"):
        for i, e in enumerate(ends):
            yw, xw = y[e - window + 1:e + 1], x[e - window + 1:e + 1]
            if "ols" in names:
                xc = xw - xw.mean(axis=0)
                out["ols"][i] = slopes(xc, xc, yw).T
            if "ewma" in names:
                xe = xw - ew @ xw
                out["ewma"][i] = slopes(xe, xe * ew[:, None], yw).T
            if "dimson" in names:
                # Columns: every benchmark's lag, then current, then lead; the lead of the
                # window's last day is not known yet, so t stops one day short of it.
                z = np.hstack([xw[:-2], xw[1:-1], xw[2:]])
                z -= z.mean(axis=0)
                b = slopes(z, z, yw[1:-1])
                out["dimson"][i] = b.reshape(3, kb, n).sum(axis=0).T
    return out


def _vasicek(b: np.ndarray, var: np.ndarray, prior: tuple[float, float] | None) -> np.ndarray:
    """Posterior mean of each row's betas (one row per window end)."""
    if prior is not None:
        mean = np.full((b.shape[0], 1), float(prior[0]))
        pvar = np.full((b.shape[0], 1), float(prior[1]) ** 2)
    elif b.shape[1] >= 2:
        # The cross-section of the assets with a beta at that date (a flat benchmark window
        # leaves none: NaN, without numpy's empty-slice warnings).
        ok = np.isfinite(b)
        count = ok.sum(axis=1, keepdims=True)
        filled = np.where(ok, b, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = filled.sum(axis=1, keepdims=True) / count
            dev = np.where(ok, b - mean, 0.0)
            pvar = (dev * dev).sum(axis=1, keepdims=True) / (count - 1)
    else:
        mean = np.full((b.shape[0], 1), VASICEK_PRIOR_MEAN)
        pvar = np.full((b.shape[0], 1), VASICEK_PRIOR_STD ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (pvar * b + var * mean) / (pvar + var)


# --------------------------------------------------------------------------------------------
# One window: the estimators as functions of a sample (their definitions)
# --------------------------------------------------------------------------------------------
def _whole(
    asset_returns: Any, benchmark_returns: Any, name: str, **kw: Any
) -> pd.Series:
    y, x = _panel(asset_returns, benchmark_returns)
    t = y.shape[0]
    if t < 5:
        raise InsufficientDataError(f"too few observations for a beta: {t}, need at least 5")
    beta = trailing_betas(y, x, [t - 1], t, [name], **kw)[name][0]
    return pd.Series(beta, index=pd.Index(_names(asset_returns, y.shape[1]), name="asset"),
                     name=name)


def ols_betas(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """OLS slope of each asset on the benchmark: ``cov(r, m) / var(m)``.

    The least-squares slope of ``r_t = a + b m_t + e_t`` (Sharpe 1963, "A Simplified Model for
    Portfolio Analysis", Management Science 9(2), 277-293).
    """
    return _whole(asset_returns, benchmark_returns, "ols")


def blume_betas(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """Blume's adjusted beta, ``2/3 b_ols + 1/3``.

    Betas regress toward 1 from one period to the next; Blume fitted ``b_next = 0.343 +
    0.677 b``, which practice rounds to 2/3 and 1/3 (Blume 1975, "Betas and Their Regression
    Tendencies", Journal of Finance 30(3), 785-795; the adjustment Bloomberg shows).
    """
    return _whole(asset_returns, benchmark_returns, "blume")


def vasicek_betas(
    asset_returns: Any, benchmark_returns: Any, prior: tuple[float, float] | None = None
) -> pd.Series:
    """Vasicek's Bayesian beta: OLS shrunk toward a prior by its sampling variance.

    ``b_v = (s_p^2 b + s_b^2 m_p) / (s_p^2 + s_b^2)`` with ``b`` the OLS slope, ``s_b^2`` its
    sampling variance (``ssr / (T - 2) / sum (m - mean m)^2``) and the prior ``(m_p, s_p)``:
    the cross-sectional mean and standard deviation (``ddof=1``) of the OLS betas when several
    assets are given, else ``prior`` or, by default, ``(1.0, 0.5)``
    (:data:`VASICEK_PRIOR_MEAN`, :data:`VASICEK_PRIOR_STD`). A noisy estimate moves far toward
    the prior, a precise one hardly (Vasicek 1973, "A Note on Using Cross-Sectional Information
    in Bayesian Estimation of Security Betas", Journal of Finance 28(5), 1233-1239).
    """
    return _whole(asset_returns, benchmark_returns, "vasicek", prior=prior)


def ewma_betas(
    asset_returns: Any, benchmark_returns: Any, halflife: float | None = None
) -> pd.Series:
    """Exponentially weighted beta: weighted least-squares slope with weights halving every
    ``halflife`` periods back from the last.

    ``b = sum w (r - r_w)(m - m_w) / sum w (m - m_w)^2`` with ``w_t = 2^(-(T-1-t)/h)`` and
    ``r_w, m_w`` the weighted means, over the sample (in the backtest: the trailing window,
    so that every estimator sees the same returns). ``halflife`` defaults to a quarter of the
    sample (63 days of a 252-day window). The weighting of RiskMetrics (J.P. Morgan/Reuters
    1996, "RiskMetrics Technical Document", 4th ed., ch. 5) applied to covariance and variance
    alike, so their bias corrections cancel.
    """
    return _whole(asset_returns, benchmark_returns, "ewma", halflife=halflife)


def dimson_betas(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """Dimson's beta for thinly or non-synchronously traded prices: ``b_-1 + b_0 + b_+1``.

    The slopes of the multiple regression ``r_t = a + b_-1 m_{t-1} + b_0 m_t + b_+1 m_{t+1} +
    e_t``, summed; ``t`` runs over the sample's inner dates (its first and last return serve
    only as the lag and the lead), so nothing after the sample's last date is used (Dimson
    1979, "Risk Measurement When Shares Are Subject to Infrequent Trading", Journal of
    Financial Economics 7(2), 197-226). For a Tokyo stock against SPY, the close-to-close
    days overlap only in part; the lead and lag pick up what the same-day slope misses.
    """
    return _whole(asset_returns, benchmark_returns, "dimson")
