"""A result's evidence for the hedge: advice, risk, capture, market moves."""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from .books import not_a_market_beta
from .numbers import ResultNumbers, _iso


class Advice(ResultNumbers):
    """Advice and risk of :class:`HedgeResult`."""

    @cached_property
    def market_moves(self) -> dict[str, float]:
        """Downside and upside betas (periods the benchmark falls / rises) and the up and down
        capture ratios of the asset against the (first) benchmark; see
        :mod:`betahedge_xl.engine.estimators`."""
        from ..engine import estimators

        returns = self._table("returns")
        y = returns.column(self.asset)
        x = returns.column(self.benchmarks[0])
        # Capture compounds returns: log returns are turned back into simple ones first.
        simple = (np.expm1(y), np.expm1(x)) if self.method == "log" else None
        return estimators.market_moves(y, x, self.periods_per_year, simple)

    # --- advice and risk ---------------------------------------------------------------
    @property
    def not_a_market_beta(self) -> str:
        """Why this beta is no market beta that Blume's or Vasicek's pull toward 1 fits (a
        book with shorts: long/short or dollar-neutral), or ``""`` when it is one."""
        return not_a_market_beta(self.holdings, self.book)

    @property
    def advice(self) -> list[str]:
        """Plain sentences where the evidence does not support hedging on this beta: an
        out-of-sample effectiveness at or below zero, or a beta not significantly different
        from zero (p >= 5%). Empty when neither holds."""
        out = []
        o = self.oos
        if o is not None and not o.effectiveness > 0:
            out.append(f"out-of-sample effectiveness {o.effectiveness:.1%}: the hedge did not "
                       f"reduce risk on {_iso(o.test_start)}..{_iso(o.test_end)}")
        if not self.beta_p < 0.05:
            out.append(f"beta {self.beta:.3f} not significantly different from zero "
                       f"(p = {self.beta_p:.3f})")
        if self.oos is None:
            out.append("no out-of-sample check (sample too short)")
        return out

    @property
    def hedge_supported(self) -> bool:
        """Whether the evidence supports the hedge (:attr:`advice` is empty)."""
        return not self.advice

    def _advice_text(self) -> str:
        advice = self.advice
        if not advice:
            p = "<0.001" if self.beta_p < 0.001 else f"= {self.beta_p:.3f}"
            return (f"supported: beta significant (p {p}), out-of-sample effectiveness "
                    f"{self.effectiveness_oos:.1%}")
        return "NOT SUPPORTED: " + "; ".join(advice)

    @cached_property
    def capture(self) -> dict[str, float]:
        """Morningstar's up and down capture ratios in percent, on the returns compounded
        into calendar months, against the (first) benchmark; see
        :func:`betahedge_xl.engine.estimators.morningstar_capture`."""
        from ..engine import estimators

        returns = self._table("returns")
        y = returns.column(self.asset)
        x = returns.column(self.benchmarks[0])
        if self.method == "log":
            y, x = np.expm1(y), np.expm1(x)
        return estimators.morningstar_capture(y, x, returns.dates)

    @cached_property
    def risk(self) -> dict[str, float]:
        """Annualised volatilities (standard deviation x sqrt(periods a year)): ``unhedged``
        (the asset or book), ``hedged`` (after the in-sample hedge), ``residual`` (of the
        regression: the idiosyncratic risk no benchmark hedge removes) and
        ``tracking_error`` (of the asset's return minus the first benchmark's)."""
        returns = self._table("returns")
        y = returns.column(self.asset)
        x = returns.column(self.benchmarks[0])
        root = math.sqrt(self.periods_per_year)
        return {"unhedged": float(np.std(y, ddof=1)) * root,
                "hedged": float(np.std(self.hedge.values, ddof=1)) * root,
                "residual": self.resid_std * root,
                "tracking_error": float(np.std(y - x, ddof=1)) * root}
