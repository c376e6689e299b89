"""The statsmodels-style view of a result: the names statsmodels users type."""

from __future__ import annotations


import numpy as np
import pandas as pd
from .numbers import ResultNumbers


class StatsmodelsView(ResultNumbers):
    """statsmodels' names and the series tables of :class:`HedgeResult`."""

    # --- statsmodels' names ----------------------------------------------------------------
    # Estimates and stored series are properties, tables built on request are methods
    # (conf_int(), summary(), series(), cumulative()), as in statsmodels' results.
    @property
    def params(self) -> pd.Series:
        """Coefficients: ``const`` (alpha) then one beta per benchmark."""
        return self.fit.params

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return self.fit.bse

    @property
    def tvalues(self) -> pd.Series:
        """t-statistics of :attr:`params`."""
        return self.fit.tvalues

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of :attr:`params`."""
        return self.fit.pvalues

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of :attr:`params` (``alpha=0.05``: 95%), columns 0 and 1."""
        return self.fit.conf_int(alpha)

    @property
    def rsquared(self) -> float:
        """R-squared (also :attr:`r_squared`)."""
        return self.fit.rsquared

    @property
    def rsquared_adj(self) -> float:
        """Adjusted R-squared (also :attr:`r_squared_adj`)."""
        return self.fit.rsquared_adj

    @property
    def nobs(self) -> int:
        """Number of observations (also :attr:`n_obs`)."""
        return self.fit.nobs

    @property
    def resid(self) -> pd.Series:
        """Residuals of the regression, one per period, on the return dates."""
        return self.fit.resid

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of :attr:`params` (a method, as in statsmodels)."""
        return self.fit.cov_params

    def series(self) -> pd.DataFrame:
        """Dates, asset and benchmark returns and the hedged return, one row per period."""
        frame = self.returns.copy()
        frame["hedged"] = self.hedged_returns.to_numpy()
        frame.index.name = "date"
        return frame.reset_index()

    def cumulative(self) -> pd.DataFrame:
        """Growth of 1 of asset, benchmark(s) and the hedged series, from the first price date."""
        r = self.series().set_index("date")
        growth = np.exp(r.cumsum()) if self.method == "log" else (1.0 + r).cumprod()
        first = pd.DataFrame(1.0, index=[self.first_date], columns=growth.columns)
        out = pd.concat([first, growth])
        out.index.name = "date"
        return out

    def _regressors(self) -> tuple[pd.Series, pd.DataFrame]:
        return self.returns[self.asset], self.returns[self.benchmarks]

    def partial_regression(self) -> dict[str, pd.DataFrame]:
        """Per benchmark, asset and benchmark returns net of the other benchmarks (columns
        ``x``, ``y``): their slope through the origin is that benchmark's beta (the report's
        scatter with several benchmarks)."""
        from ..engine.partial import partial_regression

        return partial_regression(*self._regressors())

    def rolling_beta_se(self) -> pd.DataFrame:
        """Classical standard error of each rolling beta (same window, same columns)."""
        from ..engine.partial import rolling_beta_se

        return rolling_beta_se(*self._regressors(), self.rolling_window)
