"""One beta hedge's result: its numbers (:mod:`.numbers`) read through its views."""

from __future__ import annotations

from dataclasses import dataclass

from .display import Display
from .numbers import _Frame
from .view import StatsmodelsView


@dataclass(frozen=True, repr=False)
class HedgeResult(Display, StatsmodelsView):
    """Everything one beta hedge produced. ``print(result)`` shows its summary.

    Attributes
    ----------
    asset, benchmarks
        Column names of :attr:`returns` (``"Portfolio"`` for holdings); :attr:`name` is the
        book's name every face shows (its holdings as given, e.g. ``AAPL +1 / MSFT -1``).
    prices
        Aligned (and resampled) prices the returns come from.
    returns
        Asset and benchmark returns used in the regression (excess of the risk-free rate when
        one was given).
    fit
        The regression of asset on benchmark(s) (:class:`betahedge_xl.engine.OLSResult`).
    hedge
        The hedged series, its verification regression and its effectiveness.
    oos
        Out-of-sample check (estimate on the first part, hedge the rest) or ``None`` when the
        sample is too short.
    rolling_beta
        Trailing-window betas, one column per benchmark.
    quality
        Data-quality report of the prices when they came from a source, else ``None``.
    warnings
        Short lines for a user: data quality, dropped rows, skipped checks.
    book
        For a portfolio: how its return was formed, its exposure and :attr:`positions`.
    capital
        What beta is a fraction of, in currency (the capital given, or a shares book's gross
        exposure), or ``None``; :attr:`dollar_beta` is ``beta x capital``.
    sizing
        The hedge in contracts or shares when :meth:`with_hedge` sized one, else ``None``.
    input, window_note, preset
        ``"prices"`` or ``"returns"`` (what was handed in); the default window's description
        when no dates were given; ``"bloomberg"`` when that preset was asked.

    The names statsmodels users type work here: :attr:`params`, :attr:`bse`,
    :attr:`tvalues`, :attr:`pvalues`, :meth:`conf_int`, :attr:`rsquared`, :attr:`nobs`,
    :attr:`resid`, :meth:`summary`. As in statsmodels, estimates and stored series are
    properties and tables built on request are methods.
    """

    def __repr__(self) -> str:
        return (
            f"<HedgeResult {self.name} on {self.benchmark}: beta={self.beta:.4f} "
            f"alpha={self.alpha:.6f} n={self.n_obs}>"
        )


for _field in ("prices", "returns", "rolling_beta"):
    # Set after the dataclass is made, so that the three stay required fields of its
    # constructor (and of dataclasses.replace) while reading through the descriptor.
    _frame_field = _Frame()
    _frame_field.__set_name__(HedgeResult, _field)
    setattr(HedgeResult, _field, _frame_field)
