"""Comparing the hedges of a backtest: a Diebold-Mariano test of their losses, and the best
hedge named only when the evidence holds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


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
