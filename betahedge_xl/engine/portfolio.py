"""Books: returns, exposures and per-position betas of holdings given as weights or shares.

A book is taken as the user holds it. Weights are fractions of the book's capital, as given:
``1.3, -0.3`` is a 130/30 book, ``1, -1`` a dollar-neutral one, ``0.6`` alone a book 60%
invested; nothing is rescaled. The part of the capital not invested (``1 - sum(weights)``,
negative for a levered book) is cash, earning the cash rate (zero, or the risk-free rate).

Share counts (negative for shorts) need a return base, because the net value of a long/short
book can be zero or negative. The base is the book's *gross exposure* (``sum |shares x price|``)
at the start of each period, or a *capital* the user gives. Either way a shares book is a book
whose weights drift with prices: ``w_i(t-1) = shares_i x price_i(t-1) / base(t-1)``, and its
return over a period is its P&L over the base, ``sum shares_i x dprice_i / base(t-1)``.
For a long-only book the gross exposure is the value held, so the return is the value's return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import HoldingsError

#: Weights whose sum is within this of 100 are percentages (60/30/10, 130/-30).
PERCENT_TOLERANCE = 10.0
#: Gross weight above which fractions of capital are implausible (a 20x levered book).
MAX_GROSS_FRACTION = 20.0


def holdings_vector(
    tickers: Sequence[str], amounts: Any, what: str = "weights"
) -> pd.Series:
    """Check that tickers and amounts fit together; a Series indexed by ticker.

    ``amounts`` labelled by ticker (a mapping, or a Series whose index is not 0..n-1) are
    matched to ``tickers`` by label, in any order and case; plain sequences by position.
    """
    names = [str(t).strip().upper() for t in tickers]
    amounts = _by_label(names, amounts, what)
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


def _by_label(names: list[str], amounts: Any, what: str) -> Any:
    """``amounts`` in the order of ``names`` when they carry ticker labels; as given otherwise.

    Reading labelled weights by position would give one holding's weight to another in
    silence (``pd.Series({"MSFT": 0.9, "AAPL": 0.1})`` for ``["AAPL", "MSFT"]``).
    """
    if isinstance(amounts, Mapping):
        labelled = pd.Series(dict(amounts), dtype=object)
    elif isinstance(amounts, pd.Series) and not (
        isinstance(amounts.index, pd.RangeIndex) and amounts.index.start == 0
        and amounts.index.step == 1
    ):
        labelled = amounts
    else:
        return amounts
    keys = [str(k).strip().upper() for k in labelled.index]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise HoldingsError(f"{what} name {dup} more than once")
    unknown = [k for k in keys if k not in names]
    missing = [n for n in names if n not in keys]
    if unknown or missing:
        parts = ([f"{what} for {', '.join(unknown)}, which the portfolio does not hold"]
                 if unknown else []) + ([f"no {what[:-1] if what.endswith('s') else what} "
                                         f"for {', '.join(missing)}"] if missing else [])
        raise HoldingsError("; ".join(parts))
    return pd.Series(list(labelled.to_numpy()), index=keys).reindex(names).to_numpy()


def book_weights(tickers: Sequence[str], weights: Any) -> tuple[pd.Series, bool]:
    """Weights as fractions of capital, taken as given; percentages read as percent.

    Returns
    -------
    (weights, percent)
        ``percent`` is True when the weights summed to about 100 (within
        :data:`PERCENT_TOLERANCE`) and were divided by 100; the caller says so.

    Raises
    ------
    HoldingsError
        All weights zero, or a gross weight above :data:`MAX_GROSS_FRACTION` that is not a
        set of percentages (``100, -100`` is ambiguous: give ``1, -1``).
    """
    w = holdings_vector(tickers, weights, "weights")
    if not (w != 0).any():
        raise HoldingsError("every weight is zero; nothing is held")
    total, gross = float(w.sum()), float(w.abs().sum())
    if abs(total - 100.0) <= PERCENT_TOLERANCE:
        return w / 100.0, True
    if gross > MAX_GROSS_FRACTION:
        raise HoldingsError(
            f"weights sum to {total:g} with gross {gross:g}: as fractions of capital that is "
            f"{gross:g}x leverage; give fractions (1.3, -0.3) or percentages summing to 100"
        )
    return w, False


def weights_from_holdings(tickers: Sequence[str], weights: Any) -> pd.Series:
    """Weights as fractions of capital (see :func:`book_weights`), without the percent flag."""
    return book_weights(tickers, weights)[0]


def drifting_weights(
    prices: pd.DataFrame, shares: pd.Series, capital: float | None = None
) -> pd.DataFrame:
    """Weights of a buy-and-hold book on each date: ``shares_i x price_i / base``.

    ``base`` is the gross exposure on that date, or ``capital`` when given.
    """
    missing = [t for t in shares.index if t not in prices.columns]
    if missing:
        raise HoldingsError(f"no prices for {', '.join(missing)}")
    held = prices[list(shares.index)].to_numpy(dtype=float) * shares.to_numpy(dtype=float)
    if capital is not None:
        if not (np.isfinite(capital) and capital > 0):
            raise HoldingsError(f"capital must be a positive number, got {capital!r}")
        base = np.full(len(held), float(capital))
    else:
        base = np.abs(held).sum(axis=1)
        if (base <= 0).any():
            raise HoldingsError("every share count is zero; nothing is held")
    return pd.DataFrame(held / base[:, None], index=prices.index, columns=list(shares.index))


def book_returns(
    returns: pd.DataFrame, weights: pd.Series | pd.DataFrame, cash_rate: Any = 0.0
) -> pd.Series:
    """Simple returns of a book: ``sum_i w_i r_i + (1 - sum_i w_i) x cash_rate``.

    Parameters
    ----------
    returns
        Simple returns of the holdings, one column per ticker.
    weights
        Constant weights (a book rebalanced every period), or a DataFrame of weights at the
        *start* of each period on the returns' dates (a buy-and-hold book).
    cash_rate
        The cash's return per period (a number or an array on the returns' dates).
    """
    names = list(weights.index if isinstance(weights, pd.Series) else weights.columns)
    missing = [t for t in names if t not in returns.columns]
    if missing:
        raise HoldingsError(f"no returns for {', '.join(missing)}")
    r = returns[names].to_numpy(dtype=float)
    if isinstance(weights, pd.Series):
        w = weights.to_numpy(dtype=float)
        invested = float(w.sum())
        out = r @ w + (1.0 - invested) * np.asarray(cash_rate, dtype=float)
    else:
        wt = weights.reindex(returns.index)[names].to_numpy(dtype=float)
        out = (r * wt).sum(axis=1) + (1.0 - wt.sum(axis=1)) * np.asarray(cash_rate, dtype=float)
    return pd.Series(out, index=returns.index, name="portfolio")


def portfolio_returns(returns: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Returns of a book rebalanced to ``weights`` every period, cash at zero: ``returns @ w``."""
    return book_returns(returns, weights)


def portfolio_value(prices: pd.DataFrame, shares: pd.Series) -> pd.Series:
    """Net value of a buy-and-hold position: ``sum(shares_i * price_i)`` on each date.

    It may be zero or negative for a long/short book: its returns are taken on the gross
    exposure (:func:`drifting_weights`), not on this value.
    """
    missing = [t for t in shares.index if t not in prices.columns]
    if missing:
        raise HoldingsError(f"no prices for {', '.join(missing)}")
    v = prices[list(shares.index)].to_numpy() @ shares.to_numpy()
    return pd.Series(v, index=prices.index, name="portfolio")


def index_from_returns(returns: pd.Series, first_date: Any, base: float = 100.0) -> pd.Series:
    """A price-like level that grows by ``returns``, starting at ``base`` on ``first_date``."""
    level = base * np.concatenate(([1.0], np.cumprod(1.0 + returns.to_numpy(dtype=float))))
    index = pd.DatetimeIndex([pd.Timestamp(first_date), *returns.index])
    return pd.Series(level, index=index, name=returns.name)


def weighted_index(prices: pd.DataFrame, weights: pd.Series, base: float = 100.0) -> pd.Series:
    """A price-like index of the book rebalanced to ``weights`` every row, cash at zero.

    ``prices`` must be aligned (no missing values).
    """
    missing = [t for t in weights.index if t not in prices.columns]
    if missing:
        raise HoldingsError(f"no prices for {', '.join(missing)}")
    p = prices[list(weights.index)]
    r = book_returns(p.iloc[1:] / p.shift(1).iloc[1:] - 1.0, weights)
    return index_from_returns(r, prices.index[0], base)


@dataclass(frozen=True)
class Exposure:
    """Gross and net exposure of a book, in currency (shares) or fractions of capital."""

    gross: float
    net: float
    base: float | None


def exposure(
    weights: pd.Series, prices: pd.DataFrame | None = None, shares: pd.Series | None = None
) -> Exposure:
    """Gross ``sum |w|`` and net ``sum w`` of a weights book; of a shares book, in currency at
    the last price date (``base`` is then the gross, the return base unless a capital is
    given)."""
    if shares is not None and prices is not None:
        held = prices[list(shares.index)].iloc[-1].to_numpy(dtype=float) * shares.to_numpy()
        return Exposure(float(np.abs(held).sum()), float(held.sum()), float(np.abs(held).sum()))
    return Exposure(float(weights.abs().sum()), float(weights.sum()), None)


def position_betas(
    holdings_returns: pd.DataFrame, benchmark_returns: pd.DataFrame, weights: pd.Series
) -> pd.DataFrame:
    """Each holding's own regression on the benchmark(s) over the same dates, and its share of
    the book's beta.

    Parameters
    ----------
    holdings_returns
        Returns of the holdings (excess of the risk-free rate when the book's are), one column
        per ticker, on the book's regression dates.
    benchmark_returns
        The regressors of the book, same dates.
    weights
        The weight of each holding. For a weights book (simple returns) the contributions
        ``weight x beta`` sum to the book's beta exactly, as OLS is linear in the dependent
        variable.

    Returns
    -------
    DataFrame indexed by ticker: ``weight``, ``beta``, ``contribution`` (on the first
    benchmark) and, with several benchmarks, ``beta_<B>`` and ``contribution_<B>`` for each.
    """
    names = list(weights.index)
    y = holdings_returns[names].to_numpy(dtype=float)
    x = benchmark_returns.to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(x)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]  # (1 + k, n)
    w = weights.to_numpy(dtype=float)
    out = pd.DataFrame({"weight": w, "beta": coef[1], "contribution": w * coef[1]},
                       index=pd.Index(names, name="ticker"))
    if x.shape[1] > 1:
        for j, bench in enumerate(benchmark_returns.columns, start=1):
            out[f"beta_{bench}"] = coef[j]
            out[f"contribution_{bench}"] = w * coef[j]
    return out
