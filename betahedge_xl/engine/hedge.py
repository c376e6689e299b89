"""The hedge: hedged returns, the verification regression, effectiveness in and out of sample."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import on_dates_of, paired_arrays
from .ols import OLSResult, benchmark_names, fit_arrays, slopes_arrays
from .table import dated_index


def hedged_returns(
    asset_returns: pd.Series, benchmark_returns: pd.Series | pd.DataFrame, beta: Any
) -> pd.Series:
    """``asset - beta * benchmark`` (one benchmark) or ``asset - benchmarks @ betas``.

    Alpha stays in the hedged series: shorting beta units of the benchmark removes the market
    exposure, not the intercept.
    """
    asset_returns, _, y, x = paired_arrays(asset_returns, benchmark_returns)
    b = np.atleast_1d(np.asarray(beta, dtype=float))
    if x.shape[1] != b.shape[0]:
        raise InputError(f"{x.shape[1]} benchmark(s) but {b.shape[0]} beta(s)")
    values = y - x @ b
    index = asset_returns.index if isinstance(asset_returns, pd.Series) else None
    return pd.Series(values, index=index, name="hedged")


def hedge_effectiveness(unhedged: Any, hedged: Any) -> float:
    """Share of variance the hedge removed: ``1 - var(hedged) / var(unhedged)``."""
    unhedged, hedged = on_dates_of(unhedged, hedged, what=("unhedged", "hedged"))
    u = np.asarray(unhedged, dtype=float)
    h = np.asarray(hedged, dtype=float)
    if u.shape != h.shape:
        raise InputError("hedged and unhedged returns differ in length")
    return _effectiveness(u, h)


def _variance(v: np.ndarray) -> float:
    """Sample variance (``ddof=1``) of a 1-D array; NaN anywhere gives NaN, as ``np.var``."""
    d = v - v.sum() / v.size  # the mean, without np.mean's dispatch
    return float(d @ d) / (v.size - 1)


def _effectiveness(u: np.ndarray, h: np.ndarray) -> float:
    if u.size < 2:
        raise InsufficientDataError("too few observations for hedge effectiveness")
    var_u = _variance(u)
    if var_u == 0.0:
        return float("nan")
    return 1.0 - _variance(h) / var_u


@dataclass(frozen=True)
class HedgeCheck:
    """The hedge applied in sample and verified by regressing it on the benchmark(s)."""

    values: np.ndarray
    index: Any
    verification: OLSResult
    effectiveness: float

    @cached_property
    def hedged(self) -> pd.Series:
        """The hedged returns, ``asset - benchmarks @ betas``, on the returns' dates."""
        return pd.Series(self.values, index=dated_index(self.index), name="hedged", copy=False)


def apply_hedge(
    asset_returns: pd.Series | np.ndarray, benchmark_returns: pd.Series | pd.DataFrame | np.ndarray,
    fit: OLSResult, index: Any = None, names: list[str] | None = None,
) -> HedgeCheck:
    """Hedge with the betas of ``fit`` and regress the hedged series on the benchmarks again.

    The verification regression has betas of zero (to rounding) and the fit's alpha: the
    hedged series' covariance with each benchmark is the residual's, which OLS makes zero.
    Plain arrays are read by position; ``index`` then dates the hedged series, and ``names``
    name the benchmarks (default: as a regression on ``benchmark_returns`` names them).
    """
    asset_returns, benchmark_returns, y, x = paired_arrays(asset_returns, benchmark_returns)
    if isinstance(asset_returns, pd.Series):
        index = asset_returns.index
    if names is None:
        names = benchmark_names(benchmark_returns)
    hedged = y - x @ fit._params[1:]
    design = fit._design
    if design is not None and design.serves(x) and np.isfinite(hedged).all():
        # The fit's own benchmarks: the verification regression reuses its design.
        check = design.fit(hedged, "hedged", fit.cov_type, fit.maxlags, (names, index))
    else:
        check = fit_arrays(hedged, x, names, index=index, y_name="hedged",
                           cov_type=fit.cov_type, maxlags=fit.maxlags)
    return HedgeCheck(hedged, index, check, _effectiveness(y, hedged))


@dataclass(frozen=True)
class OutOfSample:
    """Betas estimated on one window and used to hedge the next."""

    estimation_start: pd.Timestamp | int
    estimation_end: pd.Timestamp | int
    test_start: pd.Timestamp | int
    test_end: pd.Timestamp | int
    estimates: np.ndarray
    names: list[str]
    effectiveness: float
    n_estimation: int
    n_test: int

    @property
    def betas(self) -> pd.Series:
        """The betas estimated before the split, one per benchmark."""
        return pd.Series(self.estimates, index=self.names, name="params")


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
    asset_returns, x, yv, xv = paired_arrays(asset_returns, benchmark_returns)
    idx = asset_returns.index if isinstance(asset_returns, (pd.Series, pd.DataFrame)) else None
    # An unnamed Series is labelled as a column of an array, as before (x1).
    names = benchmark_names(x) if isinstance(x, pd.DataFrame) or (
        isinstance(x, pd.Series) and x.name is not None) else None
    return out_of_sample_arrays(
        yv, xv, split, idx.values if isinstance(idx, pd.DatetimeIndex) else idx, names)


def out_of_sample_arrays(
    yv: np.ndarray, xv: np.ndarray, split: float | Any, dates: Any = None,
    names: list[str] | None = None,
) -> OutOfSample:
    """:func:`out_of_sample_effectiveness` on float arrays on the same rows: ``yv`` (n,),
    ``xv`` (n, k), ``dates`` the rows' dates (a datetime64 array; any labels, or ``None`` for
    positions) and ``names`` the benchmarks'."""
    n, k = xv.shape
    number = isinstance(split, (int, float, np.number)) and not isinstance(split, (bool, np.bool_))
    fraction = f"out-of-sample split {split!r}: give a fraction between 0 and 1 (0 < split < 1)"
    on_days = dates is not None and np.asarray(dates).dtype.kind == "M"
    dated = on_days and n > 0
    if number and (float(split) < 1.0 or not np.isfinite(float(split)) or not dated):
        # A number of 1 or more is read as an Excel serial date below only when the returns
        # are dated; NaN, infinities and numbers on undated returns can only be a bad fraction.
        if not 0.0 < float(split) < 1.0:
            raise InputError(fraction + (" or a date" if dated else ""))
        # Half up, not Python's round-half-to-even (n = 7 gave 4/3 but n = 9 gave 4/5): the
        # estimation part gets the odd observation.
        cut = int(np.floor(n * float(split) + 0.5))
    else:
        if not on_days:
            raise InputError("a split date needs returns indexed by date")
        from .._dates import to_timestamp

        ts = to_timestamp(split, "out-of-sample split")
        first, last = (pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])) if n else (None, None)
        if ts is None or not n or not first < ts <= last:
            span = f"{first:%Y-%m-%d}..{last:%Y-%m-%d}" if n else "(none)"
            if number or ts is None:
                # 1.5 is 1899-12-31 as an Excel serial: the date would only confuse.
                raise InputError(f"{fraction}, or a date inside the returns' dates {span}")
            raise InputError(
                f"out-of-sample split {split!r} ({ts:%Y-%m-%d}) "
                f"is outside the returns' dates {span}")
        cut = int(np.searchsorted(dates, np.datetime64(ts.to_datetime64())))
    if cut < k + 2 or n - cut < 2:
        raise InsufficientDataError(
            f"too few observations to test out of sample: {cut} to estimate, {n - cut} to test"
        )
    if names is None:
        names = benchmark_names(xv)
    betas = slopes_arrays(yv[:cut], xv[:cut], names)
    hedged = yv[cut:] - xv[cut:] @ betas
    label = (lambda i: pd.Timestamp(dates[i])) if on_days else (
        (lambda i: dates[i]) if dates is not None else (lambda i: i))
    return OutOfSample(
        estimation_start=label(0),
        estimation_end=label(cut - 1),
        test_start=label(cut),
        test_end=label(n - 1),
        estimates=betas,
        names=names,
        effectiveness=_effectiveness(yv[cut:], hedged),
        n_estimation=cut,
        n_test=n - cut,
    )
