"""Ordinary least squares of asset returns on benchmark returns, with the statistics analysts check.

Names follow statsmodels (``params``, ``bse``, ``tvalues``, ``pvalues``, ``rsquared``,
``rsquared_adj``, ``nobs``, ``resid``, ``conf_int()``) because that is what our users know; the
first parameter is ``const`` (alpha), the others are the benchmarks' betas.

The fit works on centred data, which keeps the cross-products well conditioned (returns have a
mean near zero but not at zero); the covariance of the intercept is recovered exactly from the
block inverse of the design's cross-product matrix.
"""

from __future__ import annotations

import math
import warnings
from functools import cached_property
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from .tdist import t_ppf, t_sf2
from ..exceptions import (
    CollinearityError,
    ConstantRegressorError,
    DataWarning,
    InputError,
    InsufficientDataError,
)

from .align import on_dates_of, whole_number
from .table import dated_index

CovType = Literal["nonrobust", "HAC"]
_Beta = TypeVar("_Beta", float, np.ndarray)


def newey_west_lags(nobs: int) -> int:
    """Newey and West's (1994) rule of thumb, ``floor(4 (T/100)^(2/9))``, as statsmodels uses."""
    return int(math.floor(4 * (nobs / 100.0) ** (2.0 / 9.0)))


class OLSResult:
    """One fitted regression ``y = const + X @ betas + e``.

    Attributes
    ----------
    params, bse, tvalues, pvalues : pandas.Series
        Estimates, standard errors, t statistics and two-sided p-values (Student's t with
        ``df_resid`` degrees of freedom, for classical and HAC errors alike), indexed
        ``["const", *benchmarks]``.
    cov_params : pandas.DataFrame
        Covariance matrix of the estimates (classical or Newey-West HAC).
    rsquared, rsquared_adj, nobs, df_resid, ssr, scale
        Fit statistics; ``scale`` is the residual variance ``ssr / df_resid``.
    resid : pandas.Series
        Residuals on the observations' dates.
    cov_type, maxlags
        ``"nonrobust"`` or ``"HAC"`` and the HAC lag length (``None`` for nonrobust).

    The pandas views are built on first access: a fit used only for its numbers (the
    verification and out-of-sample regressions) costs numpy time only.
    """

    def __init__(
        self,
        *,
        names: list[str],
        params: np.ndarray,
        cov: np.ndarray,
        nobs: int,
        ssr: float,
        syy: float,
        resid: np.ndarray,
        index: pd.Index | None,
        y_name: str,
        cov_type: str,
        maxlags: int | None,
        x_var: np.ndarray,
        corr: float,
        design: _Design | None = None,
    ) -> None:
        k = len(names) - 1
        self._names = names
        self._params = params
        self._cov = cov
        self._resid = resid
        self._index = index
        self._y_name = y_name
        self._x_var = x_var
        self._corr = corr
        self._design = design
        self.nobs = nobs
        self.df_resid = nobs - k - 1
        self.ssr = ssr
        self.scale = ssr / self.df_resid
        self.rsquared = 1.0 - ssr / syy if syy > 0 else float("nan")
        self.rsquared_adj = 1.0 - (1.0 - self.rsquared) * (nobs - 1) / self.df_resid
        self.cov_type = cov_type
        self.maxlags = maxlags
        self.y_std = math.sqrt(syy / (nobs - 1))
        self._bse = np.sqrt(cov.diagonal())
        if self._bse.min() > 0:  # NaN compares False
            self._t = params / self._bse
        else:  # a perfect fit: t is infinite (or undefined for a zero estimate)
            with np.errstate(divide="ignore", invalid="ignore"):
                self._t = params / self._bse

    @cached_property
    def _labels(self) -> pd.Index:
        return pd.Index(self._names)

    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=self._labels, name=name, copy=False)

    @cached_property
    def params(self) -> pd.Series:
        return self._series(self._params, "params")

    @cached_property
    def bse(self) -> pd.Series:
        return self._series(self._bse, "bse")

    @cached_property
    def tvalues(self) -> pd.Series:
        return self._series(self._t, "tvalues")

    @cached_property
    def pvalues(self) -> pd.Series:
        return self._series(self.coefficients()[:, 3].copy(), "pvalues")

    @cached_property
    def cov_params(self) -> pd.DataFrame:
        return pd.DataFrame(self._cov, index=self._labels, columns=self._labels)

    @cached_property
    def resid(self) -> pd.Series:
        return pd.Series(self._resid, index=dated_index(self._index), name=self._y_name)

    @cached_property
    def x_std(self) -> pd.Series:
        return pd.Series(np.sqrt(self._x_var / (self.nobs - 1)), index=self._names[1:])

    @property
    def estimates(self) -> np.ndarray:
        """:attr:`params` as a read-only array, without the pandas view (``const`` first)."""
        view = self._params.view()
        view.flags.writeable = False
        return view

    # --- the names an analyst reads -------------------------------------------------------
    @property
    def alpha(self) -> float:
        """Intercept per period."""
        return float(self._params[0])

    @property
    def beta(self) -> float:
        """Slope on the first benchmark."""
        return float(self._params[1])

    @property
    def betas(self) -> pd.Series:
        """Slopes on every benchmark."""
        return self.params.iloc[1:]

    @property
    def resid_std(self) -> float:
        """Residual standard deviation, ``sqrt(ssr / df_resid)`` (per period)."""
        return math.sqrt(self.scale)

    @property
    def correlation(self) -> float:
        """Correlation of asset and benchmark (one benchmark); multiple R otherwise."""
        if len(self._names) == 2:
            return self._corr
        return math.sqrt(max(self.rsquared, 0.0))

    @cached_property
    def _coefficients(self) -> np.ndarray:
        q = t_ppf(1.0 - 0.05 / 2.0, self.df_resid)
        table = np.column_stack([
            self._params, self._bse, self._t, t_sf2(self._t, self.df_resid),
            self._params - q * self._bse, self._params + q * self._bse,
        ])
        table.flags.writeable = False  # cached and shared by every caller
        return table

    def coefficients(self) -> np.ndarray:
        """The coefficient table as numbers, one row per parameter (``const`` first): estimate,
        std. error, t, p-value, 95% interval low and high.

        The same numbers as :attr:`params`, :attr:`bse`, :attr:`tvalues`, :attr:`pvalues` and
        :meth:`conf_int`, without building pandas objects (a summary reads every cell of it).
        """
        return self._coefficients

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals ``params +- t_{1-alpha/2, df_resid} * bse`` (columns lower, upper)."""
        if alpha == 0.05:
            bounds = self.coefficients()[:, 4:].copy()
        else:
            q = t_ppf(1.0 - alpha / 2.0, self.df_resid)
            bounds = np.column_stack([self._params - q * self._bse, self._params + q * self._bse])
        return pd.DataFrame(bounds, index=self._labels, columns=["lower", "upper"])

    def summary(self) -> pd.DataFrame:
        """Coefficient table: estimate, std. error, t, p, 95% interval."""
        ci = self.conf_int()
        return pd.DataFrame(
            {
                "coef": self.params,
                "std err": self.bse,
                "t": self.tvalues,
                "P>|t|": self.pvalues,
                "[0.025": ci["lower"],
                "0.975]": ci["upper"],
            }
        )

    def __repr__(self) -> str:
        cov = self.cov_type if self.maxlags is None else f"{self.cov_type}({self.maxlags} lags)"
        head = (
            f"OLS: nobs={self.nobs}  R2={self.rsquared:.4f}  adj.R2={self.rsquared_adj:.4f}"
            f"  resid std={self.resid_std:.6g}  cov={cov}\n"
        )
        return head + self.summary().to_string(float_format=lambda v: f"{v:.6g}")


def benchmark_names(x: Any) -> list[str]:
    """The benchmarks' names as a regression labels them: a DataFrame's columns, a Series'
    name (``x`` without one), ``x`` for a 1-D array and ``x1, x2, ...`` for a 2-D one."""
    if isinstance(x, pd.DataFrame):
        return [str(c) for c in x.columns]
    if isinstance(x, pd.Series):
        return [str(x.name) if x.name is not None else "x"]
    shape = np.shape(x)
    return ["x"] if len(shape) == 1 else [f"x{i + 1}" for i in range(shape[1])]


def _as_arrays(
    y: Any, x: Any
) -> tuple[np.ndarray, np.ndarray, pd.Index | None, str, list[str]]:
    """y as 1-D float array, X as 2-D float array, the shared index and names."""
    y, x = on_dates_of(y, x, what=("asset", "benchmark"))
    index = y.index if isinstance(y, (pd.Series, pd.DataFrame)) else None
    y_name = str(y.name) if isinstance(y, pd.Series) and y.name is not None else "y"
    names = benchmark_names(x)
    try:
        yv = np.asarray(y, dtype=float)
        xv = np.asarray(x, dtype=float)
    except (ValueError, TypeError):
        raise InputError("returns must be numbers") from None
    if yv.ndim == 2 and yv.shape[1] == 1:
        yv = yv[:, 0]
    if yv.ndim != 1:
        raise InputError("the asset's returns must be one series")
    if xv.ndim == 1:
        xv = xv[:, None]
    if xv.ndim != 2:
        raise InputError("benchmark returns must be a series or a table of series")
    if xv.shape[0] != yv.shape[0]:
        raise InputError(
            f"asset has {yv.shape[0]} returns but benchmark has {xv.shape[0]}; lengths differ"
        )
    return yv, xv, index, y_name, names


#: Benchmarks whose returns correlate beyond this (in absolute value), or whose correlation
#: matrix has a condition number beyond ``NEAR_COLLINEAR_COND``, are nearly collinear: their
#: separate betas swing in opposite directions on noise (SPY from two sources, correlation
#: 1.00000000, gave +1750 and -1749) even though their sum is well determined.
NEAR_COLLINEAR_CORR = 0.99
NEAR_COLLINEAR_COND = 1000.0


def collinearity_note(corr: np.ndarray, names: list[str], cond: float) -> str | None:
    """A warning naming nearly collinear benchmarks, or ``None``.

    Names the most correlated pair when it is above ``NEAR_COLLINEAR_CORR``, otherwise every
    benchmark when only the condition number (a near combination of three or more) gives it
    away.
    """
    k = len(names)
    # Only the upper triangle: corrcoef is not exactly symmetric in floating point, so an
    # argmax over the whole matrix named the pair in an order that depended on the processor.
    # Reading i < j names it in the order the benchmarks were given, on every machine.
    iu, ju = np.triu_indices(k, 1)
    off = np.abs(corr[iu, ju])
    best = int(np.argmax(off))
    i, j = int(iu[best]), int(ju[best])
    if off[best] > NEAR_COLLINEAR_CORR:
        return (f"benchmarks {names[i]} and {names[j]} are nearly collinear (correlation "
                f"{corr[i, j]:.8f}, condition number {cond:.3g}): their separate betas are "
                f"unreliable")
    if cond > NEAR_COLLINEAR_COND:
        return (f"benchmarks {', '.join(names)} are nearly collinear (condition number "
                f"{cond:.3g}): their separate betas are unreliable")
    return None


def ols(
    y: Any,
    x: Any,
    *,
    cov_type: str | None = None,
    maxlags: int | None = None,
) -> OLSResult:
    """Regress ``y`` on a constant and ``x``.

    Parameters
    ----------
    y : array-like, shape (n,)
        Asset returns.
    x : array-like, shape (n,) or (n, k)
        Benchmark returns (one column per benchmark). pandas inputs are matched by date (a
        benchmark date the asset lacks is not used; an asset date the benchmark lacks is a
        missing row); arrays by position.
    cov_type : {"nonrobust", "HAC"}, optional
        Classical standard errors, or Newey-West (Bartlett kernel, no small-sample correction:
        the same as ``statsmodels`` ``fit(cov_type="HAC", cov_kwds={"maxlags": L})``).
        Default: HAC when ``maxlags`` is given, else classical.
    maxlags : int, optional
        HAC lag length (alone, it means HAC); default ``floor(4 (n/100)^(2/9))``.

    Raises
    ------
    InputError
        Mismatched lengths, non-numeric or infinite values, an unknown ``cov_type``.
    InsufficientDataError
        Fewer than ``k + 2`` complete observations, or all missing.
    ConstantRegressorError, CollinearityError
        A benchmark that does not vary; benchmarks that are linear combinations of each other.

    Warns
    -----
    DataWarning
        When rows with missing values are dropped (says how many); when benchmarks are nearly
        collinear (names them).
    """
    key = cov_key(cov_type, maxlags)
    yv, xv, index, y_name, names = _as_arrays(y, x)
    yv, xv, index = _complete_rows(yv, xv, index)
    return _Design(xv, names, index).fit(yv, y_name, key, maxlags)


_COV_TYPES = {"nonrobust": "nonrobust", "classical": "nonrobust", "ols": "nonrobust",
              "hac": "HAC", "newey-west": "HAC", "neweywest": "HAC", "nw": "HAC"}


def cov_key(cov_type: Any, maxlags: Any = None) -> str:
    """The estimator asked for, ``"nonrobust"`` or ``"HAC"``: lags given with no
    ``cov_type`` mean Newey-West (HAC), as the command line's ``--maxlags`` and the cells'
    lags do. (Lags with an explicit ``"nonrobust"`` are ignored here, as statsmodels does;
    :func:`betahedge_xl.beta_hedge` refuses them.)"""
    if cov_type is None or (isinstance(cov_type, str) and not cov_type.strip()):
        return "nonrobust" if maxlags is None else "HAC"
    key = _COV_TYPES.get(str(cov_type).strip().lower())
    if key is None:
        raise InputError(f"cov_type {cov_type!r} not understood; use nonrobust or HAC")
    return key


def fit_arrays(
    yv: np.ndarray,
    xv: np.ndarray,
    names: list[str],
    *,
    index: Any = None,
    y_name: str = "y",
    cov_type: str | None = None,
    maxlags: int | None = None,
) -> OLSResult:
    """:func:`ols` on float arrays already on the same dates: ``yv`` (n,), ``xv`` (n, k).

    Nothing is matched by date: the rows are read as given. ``names`` are the benchmarks',
    ``index`` the rows' dates (for :attr:`OLSResult.resid`; anything a pandas index is made
    from). The regression, its checks and its warnings are those of :func:`ols`.
    """
    key = cov_key(cov_type, maxlags)
    yv, xv, index = _complete_rows(yv, xv, index)
    return _Design(xv, names, index).fit(yv, y_name, key, maxlags)


def slopes_arrays(yv: np.ndarray, xv: np.ndarray, names: list[str]) -> np.ndarray:
    """The betas of :func:`fit_arrays` alone (a hedge ratio needs no statistics), with the
    same checks and warnings."""
    yv, xv, _ = _complete_rows(yv, xv, None)
    return _Design(xv, names, None).slopes(yv)


def _complete_rows(yv: np.ndarray, xv: np.ndarray, index: Any
                   ) -> tuple[np.ndarray, np.ndarray, Any]:
    """The rows without a missing value (a warning says how many went), refusing infinite
    values and too few rows."""
    n = n_all = xv.shape[0]
    k = xv.shape[1]
    if not (np.isfinite(yv).all() and np.isfinite(xv).all()):
        if np.isinf(yv).any() or np.isinf(xv).any():
            raise InputError("returns contain infinite values")
        ok = ~(np.isnan(yv) | np.isnan(xv).any(axis=1))
        n = int(ok.sum())
        if n == 0 and n_all > 0:
            raise InsufficientDataError("all observations are missing (NaN)")
        warnings.warn(
            f"dropped {n_all - n} of {n_all} observations with missing values",
            DataWarning,
            stacklevel=3,  # the line that called ols, fit_arrays or slopes_arrays
        )
        yv, xv = yv[ok], xv[ok]
        if index is not None:
            index = dated_index(index)[ok]
    need = k + 2
    if n < need:
        raise InsufficientDataError(
            f"too few observations: {n} return(s), need at least {need}"
        )
    return yv, xv, index


class _Design:
    """The benchmarks' side of a regression, which a second asset on the same rows reuses
    (the hedge's verification regression): centred regressors, their checks and the inverse
    of the design's cross-product matrix."""

    def __init__(self, xv: np.ndarray, names: list[str], index: Any) -> None:
        n, k = xv.shape
        # sum / n is what mean computes, without its dispatch (a pair's fit is all overhead)
        x_mean = xv.sum(axis=0) / n
        xc = xv - x_mean
        sxx = xc.T @ xc
        x_var = sxx.diagonal()  # methods, not np.diag/np.abs: a pair's fit is all call overhead
        x_scale = abs(xv).max(axis=0)
        for j in range(k):
            # A regressor is constant when its spread is at rounding level of its magnitude.
            if x_var[j] <= (1e-13 * max(x_scale[j], 1e-300)) ** 2 * n:
                raise ConstantRegressorError(
                    f"benchmark {names[j]} returns are constant; beta is undefined"
                )
        if k > 1:
            d = 1.0 / np.sqrt(x_var)
            corr_xx = sxx * d[:, None] * d[None, :]
            cond = float(np.linalg.cond(corr_xx))
            if cond > 1e10:
                raise CollinearityError(
                    "benchmarks " + ", ".join(names) + " are collinear; betas are not identified"
                )
            near = collinearity_note(corr_xx, names, cond)
            if near:
                warnings.warn(near, DataWarning, stacklevel=3)
        sxx_inv = 1.0 / sxx if k == 1 else np.linalg.inv(sxx)
        # What it was built from (the complete rows), to recognise the same benchmarks again.
        self.x = xv.copy()
        self.names, self.index = names, index
        self.n, self.k = n, k
        self.x_mean, self.xc, self.x_var = x_mean, xc, x_var
        self.sxx_inv = sxx_inv

    @cached_property
    def bread(self) -> np.ndarray:
        """(X'X)^-1 of the design [1, X], from the centred block inverse (for the covariance
        of a fit; betas alone do not need it)."""
        k, x_mean, sxx_inv = self.k, self.x_mean, self.sxx_inv
        bread = np.empty((k + 1, k + 1))
        bread[1:, 1:] = sxx_inv
        cross = -(x_mean @ sxx_inv)
        bread[0, 1:] = cross
        bread[1:, 0] = cross
        bread[0, 0] = 1.0 / self.n + float(x_mean @ sxx_inv @ x_mean)
        return bread

    def serves(self, xv: np.ndarray) -> bool:
        """Whether a regression on ``xv`` has this design: the same numbers on the same rows
        (a design that dropped rows with missing values has fewer rows than ``xv``)."""
        return xv.shape == self.x.shape and np.array_equal(xv, self.x)

    def slopes(self, yv: np.ndarray) -> np.ndarray:
        """The betas of ``yv`` on the design, as :meth:`fit` computes them."""
        yc = yv - float(yv.sum()) / self.n
        return np.asarray(self.sxx_inv @ (self.xc.T @ yc))

    def fit(self, yv: np.ndarray, y_name: str, cov_key: str, maxlags: int | None,
            labels: tuple[list[str], Any] | None = None) -> OLSResult:
        """Regress ``yv`` (complete, on the design's rows) on the design; ``labels``, the
        benchmarks' names and the rows' index, when they are not the design's own."""
        names, index = (self.names, self.index) if labels is None else labels
        n, k, xc, x_mean, sxx_inv = self.n, self.k, self.xc, self.x_mean, self.sxx_inv
        y_mean = float(yv.sum()) / n
        yc = yv - y_mean
        sxy = xc.T @ yc
        syy = float(yc @ yc)
        betas = sxx_inv @ sxy
        alpha = y_mean - float(x_mean @ betas)
        resid = yc - xc @ betas
        ssr = float(resid @ resid)
        scale = ssr / (n - k - 1)

        lags: int | None = None
        if cov_key == "nonrobust":
            cov = scale * self.bread
        else:
            lags = newey_west_lags(n) if maxlags is None else whole_number(maxlags, "maxlags")
            if lags < 0 or lags >= n:
                raise InputError(f"maxlags {maxlags!r} must be between 0 and {n - 1}")
            design = np.empty((n, k + 1))
            design[:, 0] = 1.0
            design[:, 1:] = self.x
            scores = design * resid[:, None]
            meat = scores.T @ scores
            for lag in range(1, lags + 1):
                g = scores[lag:].T @ scores[:-lag]
                meat += (1.0 - lag / (lags + 1.0)) * (g + g.T)
            cov = self.bread @ meat @ self.bread

        x_var = self.x_var
        corr = (float(sxy[0] / math.sqrt(x_var[0] * syy)) if k == 1 and syy > 0
                else float("nan"))
        return OLSResult(
            names=["const", *names],
            params=np.concatenate(([alpha], betas)),
            cov=cov,
            nobs=n,
            ssr=ssr,
            syy=syy,
            resid=resid,
            index=index,
            y_name=y_name,
            cov_type=cov_key,
            maxlags=lags,
            x_var=x_var,
            corr=corr,
            design=self,
        )


def blume_adjust(beta: _Beta) -> _Beta:
    """Blume's adjusted beta, ``2/3 * beta + 1/3`` (shrinks toward the market's 1); a number
    or an array of betas."""
    return 2.0 / 3.0 * beta + 1.0 / 3.0
