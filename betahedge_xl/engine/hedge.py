"""The hedge: hedged returns, the verification regression, effectiveness in and out of sample."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import on_dates_of
from .ols import OLSResult, ols


def hedged_returns(
    asset_returns: pd.Series, benchmark_returns: pd.Series | pd.DataFrame, beta: Any
) -> pd.Series:
    """``asset - beta * benchmark`` (one benchmark) or ``asset - benchmarks @ betas``.

    Alpha stays in the hedged series: shorting beta units of the benchmark removes the market
    exposure, not the intercept.
    """
    asset_returns, benchmark_returns = on_dates_of(
        asset_returns, benchmark_returns, what=("asset", "benchmark"))
    b = np.atleast_1d(np.asarray(beta, dtype=float))
    x = np.asarray(benchmark_returns, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] != b.shape[0]:
        raise InputError(f"{x.shape[1]} benchmark(s) but {b.shape[0]} beta(s)")
    values = np.asarray(asset_returns, dtype=float) - x @ b
    index = asset_returns.index if isinstance(asset_returns, pd.Series) else None
    return pd.Series(values, index=index, name="hedged")


def hedge_effectiveness(unhedged: Any, hedged: Any) -> float:
    """Share of variance the hedge removed: ``1 - var(hedged) / var(unhedged)``."""
    unhedged, hedged = on_dates_of(unhedged, hedged, what=("unhedged", "hedged"))
    u = np.asarray(unhedged, dtype=float)
    h = np.asarray(hedged, dtype=float)
    if u.shape != h.shape:
        raise InputError("hedged and unhedged returns differ in length")
    if u.size < 2:
        raise InsufficientDataError("too few observations for hedge effectiveness")
    var_u = float(np.var(u, ddof=1))
    if var_u == 0.0:
        return float("nan")
    return 1.0 - float(np.var(h, ddof=1)) / var_u


@dataclass(frozen=True)
class HedgeCheck:
    """The hedge applied in sample and verified by regressing it on the benchmark(s)."""

    hedged: pd.Series
    verification: OLSResult
    effectiveness: float


def apply_hedge(
    asset_returns: pd.Series, benchmark_returns: pd.Series | pd.DataFrame, fit: OLSResult
) -> HedgeCheck:
    """Hedge with the betas of ``fit`` and regress the hedged series on the benchmarks again.

    The verification regression has betas of zero (to rounding) and the fit's alpha: the
    hedged series' covariance with each benchmark is the residual's, which OLS makes zero.
    """
    hedged = hedged_returns(asset_returns, benchmark_returns, fit._params[1:])
    check = ols(hedged, benchmark_returns, cov_type=fit.cov_type, maxlags=fit.maxlags)
    return HedgeCheck(hedged, check, hedge_effectiveness(asset_returns, hedged))


@dataclass(frozen=True)
class OutOfSample:
    """Betas estimated on one window and used to hedge the next."""

    estimation_start: pd.Timestamp | int
    estimation_end: pd.Timestamp | int
    test_start: pd.Timestamp | int
    test_end: pd.Timestamp | int
    betas: pd.Series
    effectiveness: float
    n_estimation: int
    n_test: int


def out_of_sample_effectiveness(
    asset_returns: pd.Series,
    benchmark_returns: pd.Series | pd.DataFrame,
    split: float | Any = 0.5,
) -> OutOfSample:
    """Estimate betas before ``split`` and measure the hedge's effectiveness after it.

    Parameters
    ----------
    split
        A fraction in (0, 1) of the observations used for estimation, or a date: estimation
        uses returns before it, the test those on or after it. A fraction gives
        ``floor(n * split + 0.5)`` estimation returns (half up: n = 7 and 9 at 0.5 give 4/3
        and 5/4).
    """
    asset_returns, benchmark_returns = on_dates_of(
        asset_returns, benchmark_returns, what=("asset", "benchmark"))
    n = len(asset_returns)
    number = isinstance(split, (int, float, np.number)) and not isinstance(split, (bool, np.bool_))
    fraction = f"out-of-sample split {split!r}: give a fraction between 0 and 1 (0 < split < 1)"
    idx = asset_returns.index if isinstance(asset_returns, (pd.Series, pd.DataFrame)) else None
    dates = isinstance(idx, pd.DatetimeIndex) and len(idx) > 0
    if number and (float(split) < 1.0 or not np.isfinite(float(split)) or not dates):
        # A number of 1 or more is read as an Excel serial date below only when the returns
        # are dated; NaN, infinities and numbers on undated returns can only be a bad fraction.
        if not 0.0 < float(split) < 1.0:
            raise InputError(fraction + (" or a date" if dates else ""))
        # Half up, not Python's round-half-to-even (n = 7 gave 4/3 but n = 9 gave 4/5): the
        # estimation part gets the odd observation.
        cut = int(np.floor(n * float(split) + 0.5))
    else:
        idx = asset_returns.index
        if not isinstance(idx, pd.DatetimeIndex):
            raise InputError("a split date needs returns indexed by date")
        from .._dates import to_timestamp

        ts = to_timestamp(split, "out-of-sample split")
        if ts is None or not idx[0] < ts <= idx[-1]:
            if number or ts is None:
                # 1.5 is 1899-12-31 as an Excel serial: the date would only confuse.
                raise InputError(f"{fraction}, or a date inside the returns' dates "
                                 f"{idx[0]:%Y-%m-%d}..{idx[-1]:%Y-%m-%d}")
            raise InputError(
                f"out-of-sample split {split!r} ({ts:%Y-%m-%d}) "
                f"is outside the returns' dates {idx[0]:%Y-%m-%d}..{idx[-1]:%Y-%m-%d}")
        cut = int(idx.searchsorted(ts))
    x = benchmark_returns
    k = 1 if isinstance(x, pd.Series) or np.ndim(x) == 1 else np.shape(x)[1]
    if cut < k + 2 or n - cut < 2:
        raise InsufficientDataError(
            f"too few observations to test out of sample: {cut} to estimate, {n - cut} to test"
        )
    # Plain arrays from here: the two halves need numbers, not two more pandas objects each.
    yv = np.asarray(asset_returns, dtype=float)
    xv = np.asarray(x, dtype=float).reshape(n, -1)
    fit = ols(yv[:cut], xv[:cut])
    betas = fit._params[1:]
    hedged = yv[cut:] - xv[cut:] @ betas
    if isinstance(x, pd.DataFrame):
        names = [str(c) for c in x.columns]
    elif isinstance(x, pd.Series) and x.name is not None:
        names = [str(x.name)]
    else:
        names = fit._names[1:]
    idx = asset_returns.index
    return OutOfSample(
        estimation_start=idx[0],
        estimation_end=idx[cut - 1],
        test_start=idx[cut],
        test_end=idx[-1],
        betas=pd.Series(betas, index=names, name="params"),
        effectiveness=hedge_effectiveness(yv[cut:], hedged),
        n_estimation=cut,
        n_test=n - cut,
    )
