"""Books (portfolios): returns, exposure, per-position betas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import engine as eng
from ..exceptions import (
    HoldingsError,
)


PORTFOLIO_NAME = "Portfolio"


@dataclass(frozen=True)
class Book:
    """How a portfolio's return was formed, its exposure and its positions' betas.

    Attributes
    ----------
    kind
        ``"weights"`` (fractions of capital, rebalanced every period) or ``"shares"`` (buy
        and hold).
    percent
        The weights summed to about 100 and were read as percent.
    exposure
        Gross and net exposure (:class:`betahedge_xl.engine.Exposure`): fractions of capital
        for weights, currency at the last price date for shares.
    return_base
        What a shares book's P&L is divided by: its gross exposure at the start of each
        period, or the capital given.
    cash
        What the uninvested capital earns: ``"zero"`` or ``"the risk-free rate"``.
    positions
        One row per holding (see :attr:`HedgeResult.positions`).
    """

    kind: str
    percent: bool
    exposure: eng.Exposure
    return_base: str
    cash: str
    positions: pd.DataFrame


def _book_returns(
    px: pd.DataFrame, asset_cols: list[str], bench_cols: list[str], holdings: pd.Series,
    kind: str, capital: float | None, risk_free: Any, freq: str, method: str,
    rf_unit: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame | None]:
    """A book's prices and returns from its holdings' aligned prices.

    Returns ``(prices, returns, holding_returns, weights, starts)``: the book's level beside
    the benchmark prices; the book and benchmark returns for the regression (excess when a
    risk-free rate is given); each holding's returns on the same footing (for its own beta);
    the weights the positions table shows (the last date's for a shares book); for a shares
    book the weights each period's return was earned on (its contributions are measured on
    them), else ``None``.
    """
    starts: pd.DataFrame | None = None
    simple = eng.simple_or_log_returns(px, "simple")
    # Cash earns the risk-free rate of the period (zero when none is given); the engine's
    # excess-return rule gives that rate for any form of risk_free.
    cash = -eng.excess_returns(pd.Series(0.0, index=simple.index), risk_free, freq, "simple",
                               rf_unit)
    cash_rate = np.asarray(cash, dtype=float)
    if kind == "shares":
        drift = eng.drifting_weights(px[asset_cols], holdings, capital)
        starts = drift.shift(1).iloc[1:]
        book = eng.book_returns(simple[asset_cols], starts, cash_rate)
        # The weights each period's return was earned on: a shares book's contributions
        # are measured on them (they add up to its beta), not on the last date's.
        shown = drift.iloc[-1].rename("weight")
    else:
        book = eng.book_returns(simple[asset_cols], holdings, cash_rate)
        shown = holdings.rename("weight")
    if method == "log":
        if (book <= -1.0).any():
            first = book.index[(book <= -1.0).to_numpy()][0]
            raise HoldingsError(f"the book lost all its capital on {first:%Y-%m-%d}; "
                                "log returns are undefined, use simple returns")
        book = np.log1p(book)
    bench = eng.simple_or_log_returns(px[bench_cols], method)
    rets = eng.excess_returns(
        pd.concat([book.rename(PORTFOLIO_NAME), bench], axis=1), risk_free, freq, method, rf_unit)
    held = eng.excess_returns(
        eng.simple_or_log_returns(px[asset_cols], method), risk_free, freq, method, rf_unit)
    level = eng.index_from_returns(
        book if method == "simple" else np.expm1(book), px.index[0]).rename(PORTFOLIO_NAME)
    prices = pd.concat([level, px[bench_cols]], axis=1)
    return prices, rets, held, shown, starts


def _book(
    px: pd.DataFrame, holdings: pd.Series, kind: str, capital: float | None, risk_free: Any,
    held: pd.DataFrame, bench: pd.DataFrame, weights: pd.Series,
    starts: pd.DataFrame | None = None,
) -> Book:
    shares = kind == "shares"
    exp = eng.exposure(holdings, px, holdings if shares else None)
    base = ("" if not shares else f"capital {capital:,.2f}" if capital is not None
            else "gross exposure at the start of each period")
    has_rf = isinstance(risk_free, pd.Series) or float(risk_free) != 0.0
    positions = eng.position_betas(held, bench, weights)
    if shares:
        positions.insert(0, "shares", holdings.to_numpy(dtype=float))
        if starts is not None:
            positions["contribution"] = _drifting_contributions(held, bench, starts)
    return Book(kind="shares" if shares else "weights", percent=kind == "weights in percent",
                exposure=exp, return_base=base,
                cash="the risk-free rate" if has_rf else "zero", positions=positions)


def _drifting_contributions(held: pd.DataFrame, bench: pd.DataFrame,
                            starts: pd.DataFrame) -> np.ndarray:
    """Each holding's share of a shares book's beta on the first benchmark: the slope of its
    weighted return ``w_(i,t-1) r_(i,t)`` on the benchmarks. The book's (excess) return is the
    sum of those terms, and OLS is linear in the dependent variable, so the contributions add
    up to the book's beta (exactly for simple returns)."""
    names = list(starts.columns)
    w = starts.reindex(held.index)[names].to_numpy(dtype=float)
    y = held[names].to_numpy(dtype=float) * w
    x = bench.to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(x)), x])
    return np.asarray(np.linalg.lstsq(design, y, rcond=None)[0][1], dtype=float)


def _capital(capital: float | None, book: Book | None) -> float | None:
    """What beta is a fraction of: the capital given, else a shares book's gross exposure."""
    if capital is not None:
        return capital
    if book is not None and book.kind == "shares":
        return book.exposure.gross
    return None


def not_a_market_beta(holdings: pd.Series | None, book: Book | None) -> str:
    """Why a book's beta is no market beta that Blume's or Vasicek's pull toward 1 fits (a
    book with shorts: long/short or dollar-neutral), or ``""`` when it is one."""
    if holdings is None or book is None:
        return ""
    if (np.asarray(holdings, dtype=float) < 0).any():
        e = book.exposure
        kind = "dollar-neutral" if abs(e.net) <= 1e-9 * max(abs(e.gross), 1.0) \
            else "long/short"
        return (f"the book is {kind} (net exposure {e.net:,.4g}, gross {e.gross:,.4g}); "
                f"its beta is a spread of betas, not a market beta that shrinks toward 1")
    return ""


def book_title(asset: str, holdings: pd.Series | None, kind: str | None) -> str:
    """The book's own name when it has one (a single asset's ticker), else its holdings as
    they were given: ``AAPL +1 / MSFT -1``, ``AAPL 60% / MSFT 40%``, ``AAPL 100 sh / ...``."""
    if holdings is None:
        return asset
    kind = kind or ""
    parts = []
    for t, v in holdings.items():
        if kind == "weights in percent":
            parts.append(f"{t} {v * 100:+g}%")
        elif kind == "shares":
            parts.append(f"{t} {v:+,g} sh")
        else:
            parts.append(f"{t} {v:+g}")
    return " / ".join(parts)
