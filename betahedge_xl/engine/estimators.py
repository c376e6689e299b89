"""Beta estimators and the walk-forward hedge backtest: which beta would have hedged best.

Every estimator here is computed for many assets at once (one column per asset) against one
benchmark, and for any set of window ends: one pass of a few matrix products per window end,
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

:func:`walk_forward` re-estimates each of them at the last trading day of every month (or
week) on the trailing window known by that day and holds the ratio until the next rebalance;
:func:`backtest_table` scores the hedged series. :func:`downside_beta`, :func:`upside_beta`,
:func:`up_capture` and :func:`down_capture` describe how an asset moves with the benchmark's
falls and rises.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import dated, on_dates_of, whole_number
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

#: The metrics of :func:`backtest_table`, in column order, with their labels.
METRICS: dict[str, str] = {
    "effectiveness": "Effectiveness",
    "hedged_beta": "Hedged beta",
    "mean_hedged": "Mean hedged return",
    "turnover": "Turnover a year",
    "net_return": "Net hedged return a year",
}



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
    window = whole_number(window, "window")
    if window < 5:
        raise InputError(f"window must be at least 5 returns, got {window}")
    ends_arr = np.asarray(ends, dtype=int).reshape(-1)
    if ends_arr.size and (ends_arr.min() < window - 1 or ends_arr.max() >= y.shape[0]):
        raise InsufficientDataError(
            f"a window end lies outside the {y.shape[0]} returns or before the first "
            f"{window}-return window is full")
    h = _halflife(halflife, window)
    if x.ndim == 2:
        return _multi_betas(y, x, ends_arr, window, names, h)
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
    if "ols" in names:
        out["ols"][:] = ols
    if "blume" in names:
        out["blume"][:] = blume_adjust(ols)
    if "vasicek" in names:
        out["vasicek"][:] = _vasicek(ols, ols_var, prior)
    return out


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


# --------------------------------------------------------------------------------------------
# Downside and upside
# --------------------------------------------------------------------------------------------
def _conditional_beta_values(y: np.ndarray, x: np.ndarray, down: bool) -> np.ndarray:
    keep = x < 0 if down else x > 0
    if np.count_nonzero(keep) < 3:
        return np.full(y.shape[1:], np.nan)
    return _slope(y[keep], x[keep])


def _slope(yk: np.ndarray, xk: np.ndarray) -> np.ndarray:
    """OLS slope of each asset's rows ``yk`` on the benchmark's ``xk`` (the rows kept)."""
    xc = xk - xk.sum() / len(xk)  # the mean, without np.mean's dispatch
    sxx = float(xc @ xc)
    if sxx == 0.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((xc @ yk) / sxx, dtype=float)
    return np.asarray((xc @ yk) / sxx, dtype=float)


def _conditional_beta(asset_returns: Any, benchmark_returns: Any, down: bool) -> pd.Series:
    y, x = _panel(asset_returns, benchmark_returns)
    return pd.Series(_conditional_beta_values(y, x, down),
                     index=_names(asset_returns, y.shape[1]))


def downside_beta(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """OLS beta on the days the benchmark falls (``m < 0``).

    As empyrical's ``down_alpha_beta`` (threshold 0); the downside beta of Bawa and
    Lindenberg (1977, Journal of Financial Economics 5(2), 189-200) and of Ang, Chen and Xing
    (2006, Review of Financial Studies 19(4), 1191-1239), who use the mean as the threshold.
    NaN with fewer than 3 such days.
    """
    return _conditional_beta(asset_returns, benchmark_returns, down=True)


def upside_beta(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """OLS beta on the days the benchmark rises (``m > 0``); see :func:`downside_beta`."""
    return _conditional_beta(asset_returns, benchmark_returns, down=False)


def _capture(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float, down: bool
) -> pd.Series:
    y, x = _panel(asset_returns, benchmark_returns)
    return pd.Series(_capture_values(y, x, periods_per_year, down),
                     index=_names(asset_returns, y.shape[1]))


def _capture_values(y: np.ndarray, x: np.ndarray, periods_per_year: float,
                    down: bool) -> np.ndarray:
    keep = x < 0 if down else x > 0
    if not keep.any():
        return np.full(y.shape[1:], np.nan)
    return _growth_ratio(y[keep], x[keep], periods_per_year)


def _growth_ratio(yk: np.ndarray, xk: np.ndarray, periods_per_year: float) -> np.ndarray:
    """Each asset's compound annual growth over the benchmark's on the same rows (empyrical's
    ``annual_return`` of ``k`` days: ``prod(1 + r)^(periods_per_year / k) - 1``)."""
    k = len(xk)
    ann_y = np.multiply.reduce(1.0 + yk, axis=0) ** (periods_per_year / k) - 1.0
    ann_x = float(np.multiply.reduce(1.0 + xk)) ** (periods_per_year / k) - 1.0
    return np.asarray(ann_y / ann_x, dtype=float)


def up_capture(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float = 252
) -> pd.Series:
    """Up-capture ratio: the asset's annualised return on the benchmark's up days over the
    benchmark's on the same days (empyrical's ``up_capture``, a ratio; Morningstar's capture
    ratios, on monthly returns and in percent, are :func:`morningstar_capture`).

    Annualised return of ``k`` days: ``prod(1 + r)^(periods_per_year / k) - 1``.
    """
    return _capture(asset_returns, benchmark_returns, periods_per_year, down=False)


def down_capture(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float = 252
) -> pd.Series:
    """Down-capture ratio: as :func:`up_capture` on the benchmark's down days (below 1: the
    asset falls less than the benchmark)."""
    return _capture(asset_returns, benchmark_returns, periods_per_year, down=True)


def monthly_returns(returns: Any, dates: Any) -> tuple[np.ndarray, np.ndarray]:
    """Simple returns compounded within each calendar month: ``(months, returns)``.

    ``returns`` is one (n,) or several (n, k) columns of simple returns per period and
    ``dates`` their dates; a month's return is ``prod(1 + r) - 1`` over the periods dated in
    it (the first month of a window starts at its first price, not at the month's start).
    """
    r = np.asarray(returns, dtype=float)
    months = np.asarray(pd.DatetimeIndex(dates).values.astype("datetime64[M]"))
    if r.shape[0] != months.shape[0]:
        raise InputError(f"{r.shape[0]} returns but {months.shape[0]} dates")
    order = np.argsort(months, kind="stable")
    months, r = months[order], r[order]
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]]) if months.size else \
        np.array([], dtype=int)
    grown = np.multiply.reduceat(1.0 + r, starts, axis=0) - 1.0 if months.size else r[:0]
    return months[starts], grown


def morningstar_capture(asset_returns: Any, benchmark_returns: Any,
                        dates: Any = None) -> dict[str, float]:
    """Morningstar's up and down capture ratios, in percent, from monthly returns.

    Each period's simple returns are compounded into calendar months
    (:func:`monthly_returns`). Over the months the benchmark rose (fell), each side's
    geometric mean monthly return ``prod(1 + r)^(1/n) - 1`` (Morningstar's "capture return");
    the ratio is the asset's over the benchmark's, times 100. Above 100 up: the asset gained
    more than the benchmark in up months; below 100 down: it lost less in down months.

    Returns ``{"up_capture", "down_capture", "up_months", "down_months"}`` (NaN without
    such a month). ``dates`` defaults to the index of ``asset_returns``.
    """
    if dates is None:
        dates = asset_returns.index
    _, months = monthly_returns(np.column_stack([np.asarray(asset_returns, dtype=float),
                                                 np.asarray(benchmark_returns, dtype=float)]),
                                dates)
    y, x = months[:, 0], months[:, 1]
    out: dict[str, float] = {}
    for side, keep in (("up", x > 0), ("down", x < 0)):
        n = int(np.count_nonzero(keep))
        out[f"{side}_months"] = n
        if not n:
            out[f"{side}_capture"] = float("nan")
            continue
        gy = float(np.prod(1.0 + y[keep])) ** (1.0 / n) - 1.0
        gx = float(np.prod(1.0 + x[keep])) ** (1.0 / n) - 1.0
        out[f"{side}_capture"] = 100.0 * gy / gx if gx != 0.0 else float("nan")
    return out


def market_moves(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float = 252,
    simple: tuple[Any, Any] | None = None,
) -> dict[str, float]:
    """Downside and upside betas and up and down capture ratios of one asset, as numbers.

    The same values as :func:`downside_beta`, :func:`upside_beta`, :func:`up_capture` and
    :func:`down_capture` (one check of the inputs, no pandas Series). ``simple`` gives the
    (asset, benchmark) simple returns the captures compound when the returns are log returns.
    """
    y, x = _panel(asset_returns, benchmark_returns)
    ys, xs = (y, x) if simple is None else _panel(*simple)
    y, ys = y[:, 0], ys[:, 0]  # one asset: plain vectors

    def side(keep: np.ndarray) -> tuple[float, float]:
        """The beta and the capture ratio on the benchmark's periods ``keep``, their rows
        taken once (a log return has the sign of the simple one it came from)."""
        k = np.count_nonzero(keep)
        yk, xk = y[keep], x[keep]
        beta = float(_slope(yk, xk)) if k >= 3 else float("nan")
        if simple is not None:
            yk, xk = ys[keep], xs[keep]
        return beta, float(_growth_ratio(yk, xk, periods_per_year)) if k else float("nan")

    downside, down_capture = side(x < 0)
    upside, up_capture = side(x > 0)
    return {"downside_beta": downside, "upside_beta": upside, "up_capture": up_capture,
            "down_capture": down_capture}


# --------------------------------------------------------------------------------------------
# Walk-forward backtest
# --------------------------------------------------------------------------------------------
_REBALANCE = {"monthly": "M", "month": "M", "m": "M", "me": "M",
              "weekly": "W-FRI", "week": "W-FRI", "w": "W-FRI", "w-fri": "W-FRI"}


def normalize_rebalance(value: Any) -> str:
    """``"monthly"`` (default) or ``"weekly"`` from the spellings users type."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "monthly"
    key = str(value).strip().lower()
    if key not in _REBALANCE:
        raise InputError(f"rebalance {value!r} not understood; use monthly or weekly")
    return "monthly" if _REBALANCE[key] == "M" else "weekly"


def period_ends(index: pd.DatetimeIndex, rebalance: str = "monthly") -> np.ndarray:
    """Positions of the last date of each calendar month (or week ending Friday) in ``index``.

    The index's last date counts as the end of its (possibly unfinished) period.
    """
    rule = _REBALANCE[normalize_rebalance(rebalance)]
    periods = pd.DatetimeIndex(index).to_period(rule).asi8
    if periods.size == 0:
        return np.empty(0, dtype=int)
    last = np.flatnonzero(periods[1:] != periods[:-1])
    return np.append(last, periods.size - 1).astype(int)


@dataclass(frozen=True)
class WalkForward:
    """What :func:`walk_forward` produced.

    Attributes
    ----------
    rebalance_dates : DatetimeIndex
        The rebalance days (a ratio is set at each one's close).
    ratios : dict of str to DataFrame (rebalance dates x assets)
        The hedge ratio each estimator set on each rebalance day; with several benchmarks
        the columns are (asset, benchmark) pairs, one ratio per benchmark.
    hedged : dict of str to DataFrame (hedged dates x assets)
        ``asset - sum_k held ratio_k x benchmark_k`` on the days after the first rebalance.
    asset, benchmark
        The asset and benchmark returns of the hedged days (the benchmarks a DataFrame when
        there are several).
    costs : dict of str to DataFrame (rebalance dates x assets)
        Trading cost of each rebalance as a fraction of the asset's value (``cost_bps`` per
        unit of notional traded, the opening trade included, summed over benchmarks).
    """

    rebalance_dates: pd.DatetimeIndex
    ratios: dict[str, pd.DataFrame]
    hedged: dict[str, pd.DataFrame]
    asset: pd.DataFrame
    benchmark: pd.Series | pd.DataFrame
    costs: dict[str, pd.DataFrame]
    window: int
    rebalance: str
    cost_bps: float
    halflife: float


def walk_forward(
    asset_returns: pd.DataFrame | pd.Series,
    benchmark_returns: pd.Series | pd.DataFrame,
    *,
    window: int = 252,
    rebalance: str = "monthly",
    estimators: Any = None,
    cost_bps: float = 0.0,
    halflife: float | None = None,
    prior: tuple[float, float] | None = None,
) -> WalkForward:
    """Re-estimate each beta at every period end and hedge with it until the next one.

    The rebalance days are the last trading days of each month (``rebalance="monthly"``) or
    week, from the first with at least ``window`` returns up to and including it; the index's
    last date is not one (no day follows it to hedge). On a rebalance day each estimator sees
    the ``window`` returns ending that day and nothing later (Dimson's lead term included);
    the ratio it gives holds from the next day through the next rebalance day. Hedged return:
    ``asset - ratio x benchmark``; with several benchmarks (:data:`MULTI_ESTIMATORS` only) a
    ratio per benchmark, ``asset - sum_k ratio_k x benchmark_k``.

    Parameters
    ----------
    asset_returns : DataFrame (dates x assets) or Series
        Daily returns on a DatetimeIndex, no missing values.
    benchmark_returns : Series or DataFrame
        The benchmark's returns on the same dates; a DataFrame of two or more columns for
        several benchmarks.
    window, rebalance, estimators, halflife, prior
        See :func:`trailing_betas` and :func:`period_ends`.
    cost_bps : float
        Cost in basis points per unit of notional traded: changing the ratio from ``h0`` to
        ``h1`` costs ``|h1 - h0| x cost_bps / 10,000`` of the asset's value (summed over the
        benchmarks when there are several).

    Returns
    -------
    WalkForward
    """
    frame = asset_returns.to_frame() if isinstance(asset_returns, pd.Series) else asset_returns
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError("returns need a DatetimeIndex to find the rebalance days")
    # Both in date order (newest-first data is common): the rebalance days and the windows
    # are found by row, and rows must run forward in time.
    frame = dated(frame, "asset")
    bench = dated(benchmark_returns, "benchmark")
    if not bench.index.equals(frame.index):
        raise InputError("asset and benchmark returns must be on the same dates")
    if isinstance(bench, pd.DataFrame) and bench.shape[1] == 1:
        bench = bench.iloc[:, 0]
    several = isinstance(bench, pd.DataFrame)
    names = normalize_estimators(estimators, bench.shape[1] if several else 1)
    rebalance = normalize_rebalance(rebalance)
    window = whole_number(window, "window")
    cost = float(cost_bps)
    if not np.isfinite(cost) or cost < 0:
        raise InputError(f"cost_bps must be zero or positive, got {cost_bps!r}")
    y, x = _panel(frame, bench, several=True)
    t = y.shape[0]
    ends = period_ends(frame.index, rebalance)
    ends = ends[(ends >= window - 1) & (ends < t - 1)]
    if ends.size == 0:
        raise InsufficientDataError(
            f"too few returns for a {window}-return window and one {rebalance} rebalance "
            f"with a day after it to hedge: {t} return(s)")
    h = _halflife(halflife, window)
    betas = trailing_betas(y, x, ends, window, names, halflife=h, prior=prior)
    first = ends[0] + 1
    days = frame.index[first:]
    cols = frame.columns
    rebalance_dates = frame.index[ends]
    # The ratio set at ends[k] holds on rows ends[k]+1 .. ends[k+1]: one block of rows each,
    # written in place (no panel-sized temporaries: the hedged panels are the memory here).
    bounds = [*(ends + 1 - first), t - first]
    xs = x[first:] if several else x[first:, None]
    ys = y[first:]
    if several:
        # Asset-major (asset, benchmark) pairs: the (N, K) ratios of a date, flattened.
        ratio_cols: pd.Index = pd.MultiIndex.from_product(
            [cols, [str(c) for c in bench.columns]], names=["asset", "benchmark"])
    else:
        ratio_cols = cols
    ratios, hedged, costs = {}, {}, {}
    for name in names:
        b = betas[name]
        out = np.empty_like(ys)
        for k in range(len(ends)):
            seg = slice(bounds[k], bounds[k + 1])
            if several:
                np.matmul(xs[seg], b[k].T, out=out[seg])  # sum_k ratio_k x benchmark_k
            else:
                np.multiply(xs[seg], b[k], out=out[seg])
            np.subtract(ys[seg], out[seg], out=out[seg])
        step = np.abs(np.diff(b, axis=0, prepend=np.zeros((1, *b.shape[1:]))))
        if several:
            step = step.sum(axis=2)
            b = b.reshape(b.shape[0], -1)
        # copy=False: the arrays are ours alone; pandas 3 would otherwise copy each panel.
        ratios[name] = pd.DataFrame(b, index=rebalance_dates, columns=ratio_cols, copy=False)
        hedged[name] = pd.DataFrame(out, index=days, columns=cols, copy=False)
        costs[name] = pd.DataFrame(step * (cost / 1e4), index=rebalance_dates, columns=cols,
                                   copy=False)
    return WalkForward(
        rebalance_dates=pd.DatetimeIndex(rebalance_dates),
        ratios=ratios,
        hedged=hedged,
        asset=pd.DataFrame(ys, index=days, columns=cols, copy=False),
        benchmark=(pd.DataFrame(xs, index=days, columns=bench.columns) if several
                   else pd.Series(x[first:], index=days, name=bench.name)),
        costs=costs,
        window=window,
        rebalance=rebalance,
        cost_bps=cost,
        halflife=h,
    )


def hedged_betas(wf: WalkForward, column: int = 0) -> pd.DataFrame:
    """Estimators x benchmarks: the realised beta of each hedged series on each benchmark.

    The slopes of the multiple regression of one asset's (``column``) hedged returns on all
    the benchmarks over the hedged days, with an intercept (one benchmark: the OLS beta on
    it). 0 everywhere for a perfect hedge.
    """
    m = wf.benchmark.to_numpy()
    m = m[:, None] if m.ndim == 1 else m
    bench = ([str(c) for c in wf.benchmark.columns] if isinstance(wf.benchmark, pd.DataFrame)
             else [str(wf.benchmark.name)])
    mc = m - m.mean(axis=0)
    mm = mc.T @ mc
    rows = {}
    for name, frame in wf.hedged.items():
        hd = frame.iloc[:, column].to_numpy()
        if m.shape[0] < 2 or not np.linalg.cond(mm) < 1e12:
            rows[name] = np.full(m.shape[1], np.nan)
            continue
        rows[name] = np.linalg.solve(mm, mc.T @ (hd - hd.mean()))
    out = pd.DataFrame.from_dict(rows, orient="index", columns=bench)
    out.index.name = "estimator"
    return out


def backtest_table(wf: WalkForward, periods_per_year: float = 252, column: int = 0) -> pd.DataFrame:
    """Estimators x metrics of one asset (``column``) of a :class:`WalkForward`.

    Over the hedged days:

    - ``effectiveness``: ``1 - var(hedged) / var(asset)`` on the same days;
    - ``hedged_beta``: OLS beta of the hedged returns on the benchmark (0 for a perfect
      hedge); with several benchmarks, of the betas of :func:`hedged_betas` (a multiple
      regression on all of them) the one largest in absolute value, sign kept: the market
      exposure the hedge left worst;
    - ``mean_hedged``: mean hedged return per period (the alpha kept);
    - ``turnover``: sum of ``|ratio changes|`` (the opening trade included) per year, summed
      over the benchmarks when there are several;
    - ``net_return``: ``mean_hedged x periods_per_year`` minus the year's trading cost
      (``turnover x cost_bps / 10,000``), an arithmetic annual figure.
    """
    a = wf.asset.iloc[:, column].to_numpy()
    m = wf.benchmark.to_numpy()
    n = a.size
    years = n / float(periods_per_year)
    several = m.ndim == 2
    if several:
        worst = hedged_betas(wf, column).to_numpy()
        size = np.abs(worst)
        size[np.isnan(size)] = -1.0  # an all-NaN row picks a NaN
        pick = np.argmax(size, axis=1)
        worst_beta = worst[np.arange(worst.shape[0]), pick]
    mc = m - m.mean(axis=0)
    rows = {}
    for i, (name, frame) in enumerate(wf.hedged.items()):
        hd = frame.iloc[:, column].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            eff = 1.0 - np.var(hd, ddof=1) / np.var(a, ddof=1) if n > 1 else np.nan
            if several:
                beta = worst_beta[i]
            else:
                beta = (mc @ (hd - hd.mean())) / (mc @ mc) if n > 1 else np.nan
        # One asset's ratios: its column, or its K (asset, benchmark) columns.
        kb = m.shape[1] if several else 1
        r = wf.ratios[name].iloc[:, column * kb:(column + 1) * kb].to_numpy()
        turnover = float(np.abs(np.diff(r, axis=0, prepend=0.0)).sum()) / years
        mean = float(hd.mean())
        rows[name] = [float(eff), float(beta), mean, turnover,
                      mean * periods_per_year - turnover * wf.cost_bps / 1e4]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))
    out.index.name = "estimator"
    return out


#: Name of the row of not hedging in a backtest's table and of its series in comparisons.
NO_HEDGE = "no hedge"
#: The answer when no hedge is significantly better than the next.
NO_CLEAR_WINNER = "no clear winner"


@dataclass(frozen=True)
class Comparison:
    """The best hedge of a backtest, named only when the evidence holds.

    Attributes
    ----------
    best : str
        The estimator with the highest effectiveness when it beats not hedging (effectiveness
        above 0) and its advantage over the next series (an estimator, or not hedging) is
        significant at :attr:`level`; otherwise :data:`NO_CLEAR_WINNER`.
    leader, runner_up : str
        The series ranked first and second by effectiveness (:data:`NO_HEDGE` among them).
    statistic, pvalue : float
        Diebold-Mariano test of equal mean squared hedged return of the two: the mean of
        ``d_t = leader_t^2 - runner_up_t^2`` over its Newey-West (HAC, Bartlett weights,
        ``lags``) standard error; two-sided p-value from the normal distribution.
    """

    best: str
    leader: str
    runner_up: str
    statistic: float
    pvalue: float
    lags: int
    level: float = 0.05

    @property
    def test(self) -> str:
        """One line: which test, between which two, with what p-value."""
        return (f"Diebold-Mariano test on squared hedged returns (Newey-West HAC variance, "
                f"{self.lags} lags), {self.leader} vs {self.runner_up}: "
                f"DM {self.statistic:.2f}, p = {self.pvalue:.3f}")

    @property
    def verdict(self) -> str:
        """The best, or why there is none, in words."""
        if self.best != NO_CLEAR_WINNER:
            return f"{self.best} (significantly ahead of {self.runner_up}, p = {self.pvalue:.3f})"
        if self.leader == NO_HEDGE:
            return f"{NO_CLEAR_WINNER}: not hedging had the lowest variance"
        if not self.pvalue < self.level:
            return (f"{NO_CLEAR_WINNER}: {self.leader} vs {self.runner_up} not significant "
                    f"(p = {self.pvalue:.3f})")
        return f"{NO_CLEAR_WINNER}: no estimator reduced the variance"


def diebold_mariano(loss_a: Any, loss_b: Any, lags: int | None = None) -> tuple[float, float, int]:
    """Diebold-Mariano statistic and two-sided p-value of equal mean loss, ``(dm, p, lags)``.

    ``d = loss_a - loss_b``; ``dm = mean(d) / sqrt(lrv / T)`` with ``lrv`` the Newey-West
    long-run variance of ``d`` (Bartlett weights; ``lags`` default
    ``floor(4 (T / 100)^(2/9))``). Negative ``dm``: ``a`` has the smaller loss.
    """
    d = np.asarray(loss_a, dtype=float) - np.asarray(loss_b, dtype=float)
    t = d.size
    if t < 3:
        return float("nan"), float("nan"), 0
    if lags is None:
        lags = int(np.floor(4.0 * (t / 100.0) ** (2.0 / 9.0)))
    lags = max(0, min(int(lags), t - 1))
    e = d - d.mean()
    lrv = float(e @ e) / t
    for k in range(1, lags + 1):
        lrv += 2.0 * (1.0 - k / (lags + 1.0)) * float(e[k:] @ e[:-k]) / t
    if not lrv > 0.0:
        return float("nan"), float("nan"), lags
    dm = float(d.mean()) / float(np.sqrt(lrv / t))
    return dm, float(math.erfc(abs(dm) / math.sqrt(2.0))), lags


def compare_hedges(hedged: pd.DataFrame, unhedged: Any, effectiveness: pd.Series,
                   level: float = 0.05) -> Comparison:
    """The best of the hedged series (columns of ``hedged``) and not hedging (``unhedged``,
    on the same rows), named only when significant: see :class:`Comparison`."""
    series = {str(c): hedged[c].to_numpy(dtype=float) for c in hedged.columns}
    series[NO_HEDGE] = np.asarray(unhedged, dtype=float)
    eff = {**{str(k): float(v) for k, v in effectiveness.items() if str(k) in series},
           NO_HEDGE: 0.0}
    ranked = sorted((n for n in eff if math.isfinite(eff[n])), key=lambda n: -eff[n])
    if len(ranked) < 2:
        return Comparison(NO_CLEAR_WINNER, ranked[0] if ranked else NO_HEDGE, NO_HEDGE,
                          float("nan"), float("nan"), 0, level)
    leader, runner = ranked[0], ranked[1]
    dm, p, lags = diebold_mariano(series[leader] ** 2, series[runner] ** 2)
    best = leader if (leader != NO_HEDGE and eff[leader] > 0 and p < level and dm < 0) \
        else NO_CLEAR_WINNER
    return Comparison(best, leader, runner, dm, p, lags, level)


def best_estimator(table: pd.DataFrame) -> str:
    """The estimator whose hedge removed most variance (highest effectiveness)."""
    eff = table["effectiveness"]
    if not eff.notna().any():
        return ""
    return str(eff.idxmax())
