"""Portfolios from weights or shares, and hedge sizing in shares or futures contracts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.engine import (
    FUTURES_MULTIPLIERS,
    hedge_size,
    holdings_vector,
    portfolio_returns,
    portfolio_value,
    weighted_index,
    weights_from_holdings,
)
from betahedge_xl.exceptions import HoldingsError, InputError


def prices(n=60, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n)
    steps = rng.normal(0.0005, 0.015, (n, 3))
    return pd.DataFrame([[100.0, 30.0, 250.0]] * n * np.exp(np.cumsum(steps, axis=0)),
                        index=dates, columns=["AAA", "BBB", "CCC"])


# --------------------------------------------------------------------------------------------
# Holdings
# --------------------------------------------------------------------------------------------
def test_weights_are_normalised_and_tickers_cleaned():
    w = weights_from_holdings([" aaa", "Bbb", "CCC "], [60, 30, 10])
    assert list(w.index) == ["AAA", "BBB", "CCC"]
    np.testing.assert_allclose(w.to_numpy(), [0.6, 0.3, 0.1], rtol=1e-15)
    pd.testing.assert_series_equal(w, weights_from_holdings(["AAA", "BBB", "CCC"],
                                                            [0.6, 0.3, 0.1]), rtol=1e-15)


@pytest.mark.parametrize(
    "tickers, amounts, match",
    [
        (["AAA", "BBB"], [0.5], "2 tickers but 1 weights"),
        (["AAA"], [0.5, 0.5], "1 tickers but 2 weights"),
        (["AAA", "aaa"], [0.5, 0.5], "ticker AAA appears more than once"),
        ([], [], "portfolio has no tickers"),
        (["AAA", " "], [1, 1], "empty ticker"),
        (["AAA", "BBB"], [1.0, np.nan], "weights of BBB is missing or not a number"),
        (["AAA", "BBB"], [0.0, 0.0], "every weight is zero; nothing is held"),
        (["AAA", "BBB"], [100, -100], r"weights sum to 0 with gross 200: .* 200x leverage"),
    ],
)
def test_bad_weights(tickers, amounts, match):
    with pytest.raises(HoldingsError, match=match):
        weights_from_holdings(tickers, amounts)


def test_shares_may_be_short_but_must_fit():
    s = holdings_vector(["AAA", "BBB"], [10, -5], "shares")
    assert list(s) == [10.0, -5.0] and s.name == "shares"
    with pytest.raises(HoldingsError, match="3 tickers but 2 shares"):
        holdings_vector(["AAA", "BBB", "CCC"], [1, 2], "shares")


def test_missing_ticker_in_prices():
    px = prices()
    w = weights_from_holdings(["AAA", "ZZZ"], [1, 1])
    with pytest.raises(HoldingsError, match="no returns for ZZZ"):
        portfolio_returns(px.pct_change().iloc[1:], w)
    with pytest.raises(HoldingsError, match="no prices for ZZZ"):
        weighted_index(px, w)
    with pytest.raises(HoldingsError, match="no prices for ZZZ"):
        portfolio_value(px, w)


# --------------------------------------------------------------------------------------------
# Portfolio returns
# --------------------------------------------------------------------------------------------
def test_weights_portfolio_is_rebalanced_every_period():
    px = prices()
    w = weights_from_holdings(["CCC", "AAA", "BBB"], [0.2, 0.5, 0.3])  # order differs
    r = px / px.shift(1) - 1
    expected = [sum(w[t] * r[t].iloc[i] for t in w.index) for i in range(1, len(px))]
    got = portfolio_returns(r.iloc[1:], w)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-13)
    idx = weighted_index(px, w, base=100.0)
    assert idx.iloc[0] == 100.0
    # the index is a cumulative product: its ratios carry ~1e-16 absolute rounding
    np.testing.assert_allclose((idx / idx.shift(1) - 1).iloc[1:].to_numpy(), expected,
                               rtol=1e-10, atol=1e-15)


def test_shares_portfolio_is_buy_and_hold():
    px = prices()
    shares = holdings_vector(["AAA", "BBB", "CCC"], [10, 100, 4], "shares")
    value = portfolio_value(px, shares)
    manual = 10 * px["AAA"] + 100 * px["BBB"] + 4 * px["CCC"]
    np.testing.assert_allclose(value.to_numpy(), manual.to_numpy(), rtol=1e-14)
    # its returns are those of drifting weights w_i(t-1) = shares_i p_i(t-1) / V(t-1)
    r = (px / px.shift(1) - 1).iloc[1:]
    drift = (px.mul(shares, axis=1).div(manual, axis=0)).shift(1).iloc[1:]
    expected = (drift * r).sum(axis=1)
    np.testing.assert_allclose((value / value.shift(1) - 1).iloc[1:].to_numpy(),
                               expected.to_numpy(), rtol=1e-10, atol=1e-15)
    # ... which differ from a rebalanced portfolio with the starting weights
    w0 = drift.iloc[0]
    assert not np.allclose(r.to_numpy() @ w0.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_long_short_shares_value_may_be_negative():
    """A long/short book's net value can be below zero: it is reported, not refused."""
    px = prices()
    value = portfolio_value(px, holdings_vector(["AAA", "BBB"], [1, -100], "shares"))
    np.testing.assert_allclose(value.to_numpy(), (px["AAA"] - 100 * px["BBB"]).to_numpy())
    assert (value < 0).all()


# --------------------------------------------------------------------------------------------
# Sizing
# --------------------------------------------------------------------------------------------
def test_futures_multipliers():
    assert FUTURES_MULTIPLIERS["ES"] == 50 and FUTURES_MULTIPLIERS["MES"] == 5


def test_es_contracts_by_hand():
    # 1.2 * 1,000,000 / (5,000 * 50) = 4.8 -> 5 contracts, 1,250,000 notional,
    # residual beta 1.2 - 1,250,000 / 1,000,000 = -0.05
    h = hedge_size(1.2, 1_000_000, 5_000, "ES")
    assert h.multiplier == 50
    assert h.exact == pytest.approx(4.8, rel=1e-15)
    assert h.units == 5
    assert h.notional == 1_250_000
    assert h.target_notional == pytest.approx(1_200_000)
    assert h.residual_beta == pytest.approx(-0.05, abs=1e-15)


def test_mes_contracts_by_hand():
    # 1.2 * 1,000,000 / (5,000 * 5) = 48 exactly -> residual 0
    h = hedge_size(1.2, 1_000_000, 5_000, "mes")
    assert (h.multiplier, h.units, h.notional) == (5, 48, 1_200_000)
    assert h.residual_beta == pytest.approx(0.0, abs=1e-15)
    # 0.9 * 250,000 / (4,321.25 * 5) = 10.4136... -> 10, residual 0.9 - 216,062.5 / 250,000
    h = hedge_size(0.9, 250_000, 4_321.25, "MES")
    assert h.exact == pytest.approx(225_000 / 21_606.25, rel=1e-14)
    assert h.units == 10
    assert h.residual_beta == pytest.approx(0.9 - 216_062.5 / 250_000, abs=1e-15)


def test_shares_by_hand_and_short_position():
    # 1.1 * 1,000,000 / 450 = 2444.44 -> 2444 shares, residual 1.1 - 1,099,800 / 1,000,000
    h = hedge_size(1.1, 1_000_000, 450.0)
    assert (h.units, h.notional) == (2444, 1_099_800)
    assert h.residual_beta == pytest.approx(0.0002, abs=1e-12)
    # a short position is hedged with a long: negative units, same residual arithmetic
    s = hedge_size(1.2, -1_000_000, 5_000, "ES")
    assert s.units == -5
    assert s.residual_beta == pytest.approx(1.2 - (-1_250_000) / -1_000_000, abs=1e-15)
    # halves round away from zero
    assert hedge_size(1.0, 250.0, 100.0).units == 3
    assert hedge_size(1.0, -250.0, 100.0).units == -3
    assert [r[0] for r in h.rows()][-1] == "Residual beta after rounding"


@pytest.mark.parametrize(
    "args, match",
    [
        ((1.0, 1e6, 5000, "XYZ"), r"unknown futures contract 'XYZ'; known: ES 50, MES 5 "
                                  r"\(S&P 500\); NQ 20, MNQ 2 \(Nasdaq-100\); "),
        ((1.0, 1e6, 0.0), "hedge price must be positive"),
        ((1.0, 1e6, -10.0), "hedge price must be positive"),
        ((1.0, 1e6, 100.0, 0), "multiplier must be positive"),
        ((1.0, 0.0, 100.0), "position value is zero"),
        ((float("nan"), 1e6, 100.0), "beta must be a finite number"),
        ((1.0, float("inf"), 100.0), "value must be a finite number"),
        (("1.0", 1e6, 100.0), "beta must be a finite number"),
    ],
)
def test_bad_sizing_inputs(args, match):
    with pytest.raises(InputError, match=match):
        hedge_size(*args)
