"""Beta estimators and the walk-forward hedge backtest: which beta would have hedged best.

One front door for the estimators (:mod:`.betas`), the walk-forward backtest
(:mod:`.walkforward`), the comparison of its hedges (:mod:`.comparison`) and the betas and
capture ratios of falls and rises (:mod:`.updown`).

:func:`walk_forward` re-estimates each of them at the last trading day of every month (or
week) on the trailing window known by that day and holds the ratio until the next rebalance;
:func:`backtest_table` scores the hedged series. :func:`downside_beta`, :func:`upside_beta`,
:func:`up_capture` and :func:`down_capture` describe how an asset moves with the benchmark's
falls and rises.
"""

from __future__ import annotations

from .betas import (
    ESTIMATORS,
    EWMA_HALFLIFE_SHARE,
    MULTI_ESTIMATORS,
    VASICEK_PRIOR_MEAN,
    VASICEK_PRIOR_STD,
    blume_betas,
    dimson_betas,
    ewma_betas,
    normalize_estimators,
    ols_betas,
    trailing_betas,
    vasicek_betas,
)
from .comparison import (
    NO_CLEAR_WINNER,
    NO_HEDGE,
    Comparison,
    best_estimator,
    compare_hedges,
    diebold_mariano,
)
from .updown import (
    down_capture,
    downside_beta,
    market_moves,
    monthly_returns,
    morningstar_capture,
    up_capture,
    upside_beta,
)
from .walkforward import (
    METRICS,
    WalkForward,
    backtest_table,
    hedged_betas,
    normalize_rebalance,
    period_ends,
    walk_forward,
)

__all__ = [
    "ESTIMATORS", "EWMA_HALFLIFE_SHARE", "METRICS", "MULTI_ESTIMATORS", "NO_CLEAR_WINNER",
    "NO_HEDGE", "VASICEK_PRIOR_MEAN", "VASICEK_PRIOR_STD", "Comparison", "WalkForward",
    "backtest_table", "best_estimator", "blume_betas", "compare_hedges", "diebold_mariano",
    "dimson_betas", "down_capture", "downside_beta", "ewma_betas", "hedged_betas",
    "market_moves", "monthly_returns", "morningstar_capture", "normalize_estimators",
    "normalize_rebalance", "ols_betas", "period_ends", "trailing_betas", "up_capture",
    "upside_beta", "vasicek_betas", "walk_forward",
]
