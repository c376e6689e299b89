"""Portfolio returns from holdings given as weights or as share counts."""

from __future__ import annotations

from typing import Any
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exceptions import HoldingsError


def holdings_vector(
    tickers: Sequence[str], amounts: Any, what: str = "weights"
) -> pd.Series:
    """Check that tickers and amounts fit together; a Series indexed by ticker."""
    names = [str(t).strip().upper() for t in tickers]
    values = np.asarray(amounts, dtype=float).ravel() if amounts is not None else np.array([])
    if len(names) == 0:
        raise HoldingsError("portfolio has no tickers")
    if len(names) != values.size:
        raise HoldingsError(f"{len(names)} tickers but {values.size} {what}")
    if any(not n for n in names):
        raise HoldingsError("portfolio has an empty ticker")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise HoldingsError(f"ticker {dupes[0]} appears more than once in the portfolio")
    if not np.isfinite(values).all():
        bad = names[int(np.argmax(~np.isfinite(values)))]
        raise HoldingsError(f"{what} of {bad} is missing or not a number")
    return pd.Series(values, index=names, name=what)


def weights_from_holdings(tickers: Sequence[str], weights: Any) -> pd.Series:
    """Weights scaled to sum to 1 (so 60/40 and 0.6/0.4 mean the same portfolio)."""
    w = holdings_vector(tickers, weights, "weights")
    total = float(w.sum())
    if not total > 0:
        raise HoldingsError(
            f"weights sum to {total:g}; give a net-long portfolio or use share counts"
        )
    return w / total


def portfolio_returns(returns: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Returns of a portfolio rebalanced to ``weights`` every period: ``returns @ weights``."""
    missing = [t for t in weights.index if t not in returns.columns]
    if missing:
        raise HoldingsError(f"no returns for {', '.join(missing)}")
    r = returns[list(weights.index)].to_numpy() @ weights.to_numpy()
    return pd.Series(r, index=returns.index, name="portfolio")


def portfolio_value(prices: pd.DataFrame, shares: pd.Series) -> pd.Series:
    """Value of a buy-and-hold position: ``sum(shares_i * price_i)`` on each date.

    Its returns are the portfolio's returns with weights that drift with prices, as held.
    """
    missing = [t for t in shares.index if t not in prices.columns]
    if missing:
        raise HoldingsError(f"no prices for {', '.join(missing)}")
    v = prices[list(shares.index)].to_numpy() @ shares.to_numpy()
    value = pd.Series(v, index=prices.index, name="portfolio")
    if (value.dropna() <= 0).any():
        raise HoldingsError("portfolio value is zero or negative on some dates; check shares")
    return value


def weighted_index(prices: pd.DataFrame, weights: pd.Series, base: float = 100.0) -> pd.Series:
    """A price-like index of the portfolio rebalanced to ``weights`` every row of ``prices``.

    ``prices`` must be aligned (no missing values). The index lets a weights portfolio go
    through the same window/frequency path as a single asset's prices.
    """
    missing = [t for t in weights.index if t not in prices.columns]
    if missing:
        raise HoldingsError(f"no prices for {', '.join(missing)}")
    p = prices[list(weights.index)].to_numpy()
    growth = (p[1:] / p[:-1]) @ weights.to_numpy()
    level = base * np.concatenate(([1.0], np.cumprod(growth)))
    return pd.Series(level, index=prices.index, name="portfolio")
