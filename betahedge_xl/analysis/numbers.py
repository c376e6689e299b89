"""A result's numbers: what one beta hedge holds and the headline estimates read from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import engine as eng
from ..engine.table import Table
from .books import Book


def _iso(day: Any) -> str:
    """``2014-07-03``: a Timestamp's day (strftime costs four times more)."""
    return str(day.date().isoformat()) if isinstance(day, pd.Timestamp) else str(day)


class _Frame:
    """A result's frame field: it holds a DataFrame, or what builds one when first read (a
    :class:`~betahedge_xl.engine.table.Table`, the rolling betas), and reads as the DataFrame.
    The constructor and ``dataclasses.replace`` take either form under the field's name."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}_source"

    @staticmethod
    def source(obj: Any, name: str) -> Any:
        """What the field ``name`` of ``obj`` holds (a result pickled before it was lazy
        keeps its frame under the field's own name)."""
        return obj.__dict__.get(f"_{name}_source", obj.__dict__.get(name))

    def __get__(self, obj: Any, objtype: Any = None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError(self.name)  # no default: the field is required
        source = self.source(obj, self.name)
        return source if isinstance(source, pd.DataFrame) else source.frame

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True, repr=False)
class ResultNumbers:
    """What one beta hedge holds (see :class:`~betahedge_xl.analysis.HedgeResult` for the
    fields) and its headline numbers, each read from the fit, the hedge or the returns."""

    asset: str
    benchmarks: list[str]
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    frequency: str
    method: str
    risk_free: float | str
    prices: pd.DataFrame  # these three: a DataFrame, or what builds it when read (_Frame)
    returns: pd.DataFrame
    fit: eng.OLSResult
    hedge: eng.HedgeCheck
    oos: eng.OutOfSample | None
    rolling_beta: pd.DataFrame
    rolling_window: int
    holdings: pd.Series | None = None
    holdings_kind: str | None = None
    quality: Any = None
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    book: Book | None = None
    capital: float | None = None
    sizing: eng.HedgeSize | None = None
    input: str = "prices"
    window_note: str | None = None
    preset: str | None = None
    #: The arguments of :func:`beta_hedge` that made this result (to measure a beta to
    #: another instrument on the same book and window); ``None`` when built otherwise.
    request: dict[str, Any] | None = field(default=None, compare=False)

    def _table(self, name: str) -> Table:
        """The prices or returns as arrays, whichever form the result holds them in."""
        source = _Frame.source(self, name)
        return source if isinstance(source, Table) else Table.of(source)

    @property
    def name(self) -> str:
        """The book's name in every face (titles, charts, the summary's Asset line, one-line
        results): a single asset's ticker, else the holdings as given (``AAPL +1 / MSFT -1``).
        :attr:`asset` stays the returns' column name (``"Portfolio"`` for a book)."""
        from .books import book_title

        return book_title(self.asset, self.holdings, self.holdings_kind)

    # --- headline numbers ----------------------------------------------------------------
    @property
    def alpha(self) -> float:
        """Alpha per period (the regression's intercept)."""
        return self.fit.alpha

    @property
    def beta(self) -> float:
        """Beta on the (first) benchmark."""
        return self.fit.beta

    @property
    def betas(self) -> pd.Series:
        """Betas on every benchmark."""
        return self.fit.betas

    @property
    def alpha_se(self) -> float:
        """Standard error of alpha (classical, or HAC when asked)."""
        return float(self.fit.coefficients()[0, 1])

    @property
    def beta_se(self) -> float:
        """Standard error of beta (on the first benchmark)."""
        return float(self.fit.coefficients()[1, 1])

    @property
    def alpha_t(self) -> float:
        """t-statistic of alpha (alpha / its standard error)."""
        return float(self.fit.coefficients()[0, 2])

    @property
    def beta_t(self) -> float:
        """t-statistic of beta against zero."""
        return float(self.fit.coefficients()[1, 2])

    @property
    def alpha_p(self) -> float:
        """Two-sided p-value of alpha (Student's t, n - k - 1 degrees of freedom)."""
        return float(self.fit.coefficients()[0, 3])

    @property
    def beta_p(self) -> float:
        """Two-sided p-value of beta against zero."""
        return float(self.fit.coefficients()[1, 3])

    @property
    def r_squared(self) -> float:
        """R-squared of the regression (statsmodels: :attr:`rsquared`)."""
        return self.fit.rsquared

    @property
    def r_squared_adj(self) -> float:
        """Adjusted R-squared (statsmodels: :attr:`rsquared_adj`)."""
        return self.fit.rsquared_adj

    @property
    def n_obs(self) -> int:
        """Number of returns in the regression (statsmodels: :attr:`nobs`)."""
        return self.fit.nobs

    @property
    def correlation(self) -> float:
        """Correlation of asset and benchmark returns (multiple R with several)."""
        return self.fit.correlation

    @property
    def resid_std(self) -> float:
        """Standard deviation of the residuals per period (the regression's error)."""
        return self.fit.resid_std

    @property
    def adjusted_beta(self) -> float:
        """Blume-adjusted beta, ``2/3 beta + 1/3``."""
        return eng.blume_adjust(self.beta)


    @property
    def periods_per_year(self) -> int:
        """Periods a year of the frequency (252, 52 or 12)."""
        return eng.periods_per_year(self.frequency)

    @property
    def alpha_annualized(self) -> float:
        """Alpha per period times periods per year (see :attr:`annualization`)."""
        return eng.annualize_alpha(self.alpha, self.frequency)[0]

    @property
    def annualization(self) -> str:
        """How :attr:`alpha_annualized` was annualised, e.g. ``"alpha x 252"``."""
        return eng.annualize_alpha(self.alpha, self.frequency)[1]

    @property
    def hedged_returns(self) -> pd.Series:
        """Asset return minus beta x benchmark return, one per period."""
        return self.hedge.hedged

    @property
    def hedged_alpha(self) -> float:
        """Alpha of the hedged series on the benchmark (equal to :attr:`alpha`)."""
        return self.hedge.verification.alpha

    @property
    def hedged_beta(self) -> float:
        """Beta of the hedged series on the benchmark: zero up to rounding."""
        return self.hedge.verification.beta

    @property
    def effectiveness(self) -> float:
        """In-sample hedge effectiveness, ``1 - var(hedged) / var(asset)``."""
        return self.hedge.effectiveness

    @property
    def effectiveness_oos(self) -> float:
        """Out-of-sample hedge effectiveness (NaN when the sample was too short)."""
        return self.oos.effectiveness if self.oos is not None else float("nan")

    @property
    def first_date(self) -> pd.Timestamp:
        """First price date used (the day before the first return)."""
        return pd.Timestamp(self._table("prices").dates[0])

    @property
    def last_date(self) -> pd.Timestamp:
        """Last price date used."""
        return pd.Timestamp(self._table("prices").dates[-1])

    @property
    def benchmark(self) -> str:
        """The benchmark(s) as one name, ``"SPY + XLK"`` for several."""
        return " + ".join(self.benchmarks)
