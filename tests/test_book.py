"""Books as a portfolio manager holds them: long/short and levered weights, share counts with
shorts, per-position betas, the hedge in money. Every figure is re-derived by hand here
(separate regressions with numpy, P&L from prices), never read back from the package."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.exceptions import HoldingsError, InputError

WINDOW = ("2014-01-01", "2015-01-01")


def sample(ticker: str) -> pd.Series:
    """Adjusted closes of a shipped sample, read with the csv module."""
    text = (resources.files("betahedge_xl") / "sample" / f"{ticker}.csv").read_text()
    reader = csv.DictReader(text.splitlines())
    col = "Adj Close" if "Adj Close" in (reader.fieldnames or []) else "Close"
    rows = [(r["Date"], float(r[col])) for r in reader]
    return pd.Series([v for _, v in rows], index=pd.to_datetime([d for d, _ in rows]),
                     name=ticker)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """AAPL, MSFT and SPY prices of 2014 on the dates all three have."""
    f = pd.concat([sample("AAPL"), sample("MSFT"), sample("SPY")], axis=1, join="inner")
    return f[(f.index >= WINDOW[0]) & (f.index < WINDOW[1])]


@pytest.fixture(scope="module")
def rets(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame / frame.shift(1) - 1.0).iloc[1:]


def slope(y: pd.Series | np.ndarray, x: pd.Series | np.ndarray) -> float:
    return float(np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)[0])


def book(weights: list[float] | None = None, shares: list[float] | None = None,
         **kw: object) -> bh.HedgeResult:
    return bh.beta_hedge(pd.concat([sample("AAPL"), sample("MSFT")], axis=1), sample("SPY"),
                         *WINDOW, weights=weights, shares=shares, **kw)


# --------------------------------------------------------------------------------------------
# Weights as fractions of capital, taken as given
# --------------------------------------------------------------------------------------------
def test_dollar_neutral_book_beta_is_the_difference_of_the_two_betas(rets):
    res = book(weights=[1, -1])
    b_aapl, b_msft = slope(rets["AAPL"], rets["SPY"]), slope(rets["MSFT"], rets["SPY"])
    assert res.beta == pytest.approx(b_aapl - b_msft, rel=1e-10, abs=1e-13)
    np.testing.assert_allclose(res.returns["Portfolio"], rets["AAPL"] - rets["MSFT"],
                               rtol=1e-12, atol=1e-16)
    assert res.n_obs == 251
    assert res.stat("gross_exposure") == 2.0 and res.stat("net_exposure") == 0.0
    assert res.stat("cash") == "zero"


@pytest.mark.parametrize("weights", [[1.3, -0.3], [0.6, 0.0], [0.6, 0.3]])
def test_weights_are_not_rescaled_and_cash_earns_nothing(rets, weights):
    """130/30 is 1.3 x AAPL - 0.3 x MSFT; 0.6 alone is 60% AAPL and 40% cash at zero."""
    res = book(weights=weights)
    hand = weights[0] * rets["AAPL"] + weights[1] * rets["MSFT"]
    np.testing.assert_allclose(res.returns["Portfolio"], hand, rtol=1e-12, atol=1e-16)
    assert res.beta == pytest.approx(slope(hand, rets["SPY"]), rel=1e-10)
    assert res.holdings.to_dict() == pytest.approx(dict(zip(["AAPL", "MSFT"], weights)))
    assert res.stat("net_exposure") == pytest.approx(sum(weights))


def test_cash_earns_the_risk_free_rate_when_one_is_given(rets):
    """A book 60% in AAPL: 0.6 r_AAPL + 0.4 rf, regressed in excess of rf like SPY."""
    rf = pd.Series(np.linspace(1e-4, 2e-4, len(rets)), index=rets.index)
    res = book(weights=[0.6, 0.0], risk_free=rf)
    total = 0.6 * rets["AAPL"] + 0.4 * rf
    np.testing.assert_allclose(res.returns["Portfolio"], total - rf, rtol=1e-10, atol=1e-16)
    assert res.beta == pytest.approx(slope(total - rf, rets["SPY"] - rf), rel=1e-10)
    assert res.stat("cash") == "the risk-free rate"
    # the beta of cash is zero: the book's beta is 0.6 x AAPL's excess beta
    assert res.beta == pytest.approx(0.6 * slope(rets["AAPL"] - rf, rets["SPY"] - rf),
                                     rel=1e-10)


def test_percentages_are_read_as_percent_and_said_so(rets):
    res = book(weights=[130, -30])
    assert res.holdings.to_dict() == pytest.approx({"AAPL": 1.3, "MSFT": -0.3})
    assert "percent" in res.summary().set_index("label").index[
        res.summary()["label"].str.startswith("Holdings")][0]
    assert res.beta == pytest.approx(book(weights=[1.3, -0.3]).beta, rel=1e-13)


def test_implausible_leverage_is_refused_with_a_message():
    with pytest.raises(HoldingsError, match="weights sum to 0 with gross 200.*give fractions"):
        book(weights=[100, -100])


# --------------------------------------------------------------------------------------------
# Share counts with shorts
# --------------------------------------------------------------------------------------------
def test_long_short_shares_return_is_pnl_over_gross_at_the_start(frame, rets):
    res = book(shares=[100, -250])
    held = frame[["AAPL", "MSFT"]] * [100, -250]
    pnl = held.diff().sum(axis=1).iloc[1:]
    gross = held.abs().sum(axis=1).shift(1).iloc[1:]
    np.testing.assert_allclose(res.returns["Portfolio"], pnl / gross, rtol=1e-11, atol=1e-16)
    assert res.beta == pytest.approx(slope(pnl / gross, rets["SPY"]), rel=1e-10)
    last = held.iloc[-1]
    assert res.stat("gross_exposure") == pytest.approx(last.abs().sum(), rel=1e-13)
    assert res.stat("net_exposure") == pytest.approx(last.sum(), rel=1e-13)
    assert res.stat("return_base") == "gross exposure at the start of each period"
    # beta is per unit of gross exposure, so the dollar beta is beta x gross
    assert res.dollar_beta == pytest.approx(res.beta * last.abs().sum(), rel=1e-13)


def test_long_only_shares_keep_the_value_return(frame, rets):
    """Without shorts the gross exposure is the value held: the old definition still holds."""
    res = book(shares=[100, 250])
    value = frame["AAPL"] * 100 + frame["MSFT"] * 250
    np.testing.assert_allclose(res.returns["Portfolio"], value.pct_change().iloc[1:],
                               rtol=1e-11)


def test_shares_on_a_capital_given(frame, rets):
    res = book(shares=[100, -250], capital=1_000_000)
    held = frame[["AAPL", "MSFT"]] * [100, -250]
    pnl = held.diff().sum(axis=1).iloc[1:]
    np.testing.assert_allclose(res.returns["Portfolio"], pnl / 1e6, rtol=1e-11, atol=1e-16)
    assert res.stat("return_base") == "capital 1,000,000.00"
    assert res.stat("capital") == 1e6


# --------------------------------------------------------------------------------------------
# The hedge in money
# --------------------------------------------------------------------------------------------
def test_dollar_beta_and_notional_to_sell_or_buy(rets):
    long_book = book(weights=[1.3, -0.3], capital=2_000_000)
    b = slope(1.3 * rets["AAPL"] - 0.3 * rets["MSFT"], rets["SPY"])
    assert long_book.stat("dollar_beta") == pytest.approx(b * 2e6, rel=1e-10)
    table = long_book.summary().set_index("label")["value"]
    assert table["SPY notional to sell"] == pytest.approx(b * 2e6, rel=1e-10)
    short_book = book(weights=[-1.0, 0.0], capital=1_000_000)
    table = short_book.summary().set_index("label")["value"]
    assert table["SPY notional to buy"] == pytest.approx(slope(rets["AAPL"], rets["SPY"]) * 1e6,
                                                         rel=1e-10)
    with pytest.raises(InputError, match="capital must be a positive number"):
        book(weights=[1, -1], capital=-5)


# --------------------------------------------------------------------------------------------
# Per-position betas
# --------------------------------------------------------------------------------------------
def test_positions_are_separate_regressions_and_sum_to_the_book(rets):
    res = book(weights=[1.3, -0.3])
    pos = res.positions
    assert list(pos.index) == ["AAPL", "MSFT"] and list(pos.columns) == [
        "weight", "beta", "contribution"]
    for t, w in (("AAPL", 1.3), ("MSFT", -0.3)):
        assert pos.loc[t, "beta"] == pytest.approx(slope(rets[t], rets["SPY"]), rel=1e-10)
        assert pos.loc[t, "contribution"] == pytest.approx(w * pos.loc[t, "beta"], rel=1e-14)
    assert pos["contribution"].sum() == pytest.approx(res.beta, rel=1e-12)
    assert res.to_dict()["positions"][1] == {
        "ticker": "MSFT", "weight": -0.3, "beta": pytest.approx(pos.loc["MSFT", "beta"]),
        "contribution": pytest.approx(pos.loc["MSFT", "contribution"])}
    assert bh.beta_hedge(sample("TSLA"), sample("SPY"), *WINDOW).positions is None


def test_positions_of_a_shares_book_show_the_last_weights(frame, rets):
    res = book(shares=[100, -250])
    held = frame[["AAPL", "MSFT"]].iloc[-1] * [100, -250]
    pos = res.positions
    np.testing.assert_allclose(pos["weight"], held / held.abs().sum(), rtol=1e-13)
    assert list(pos["shares"]) == [100.0, -250.0]
    assert pos.loc["MSFT", "beta"] == pytest.approx(slope(rets["MSFT"], rets["SPY"]), rel=1e-10)


# --------------------------------------------------------------------------------------------
# P&L returns in
# --------------------------------------------------------------------------------------------
def window_returns(ticker: str) -> pd.Series:
    """Simple returns of the shipped sample's 2014 prices, computed here by hand."""
    p = sample(ticker)
    p = p[(p.index >= WINDOW[0]) & (p.index < WINDOW[1])]
    return (p / p.shift(1) - 1.0).iloc[1:]


@pytest.mark.parametrize("window", [(None, None), WINDOW])
def test_returns_handed_in_give_the_worked_example(window):
    tsla, spy = window_returns("TSLA"), window_returns("SPY")
    res = bh.beta_hedge(tsla, spy, *window, input="returns")
    assert res.n_obs == 251
    assert round(res.beta, 6) == 1.954145
    assert res.beta == pytest.approx(slope(tsla, spy), rel=1e-12)
    np.testing.assert_allclose(res.returns["TSLA"], tsla, rtol=1e-12)
    assert res.stat("input").startswith("returns handed in")


def test_returns_are_taken_as_given_within_the_window():
    """A window cuts returns by their own dates: none is lost to a first price."""
    tsla, spy = window_returns("TSLA"), window_returns("SPY")
    res = bh.beta_hedge(tsla, spy, "2014-03-01", "2014-07-01", input="returns")
    inside = (tsla.index >= "2014-03-01") & (tsla.index < "2014-07-01")
    assert res.n_obs == inside.sum()
    assert res.beta == pytest.approx(slope(tsla[inside], spy[inside]), rel=1e-12)


def test_a_book_of_returns_handed_in(rets):
    res = bh.beta_hedge(rets[["AAPL", "MSFT"]], rets["SPY"], weights=[1.3, -0.3],
                        input="returns")
    hand = 1.3 * rets["AAPL"] - 0.3 * rets["MSFT"]
    assert res.beta == pytest.approx(slope(hand, rets["SPY"]), rel=1e-10)
    assert res.n_obs == len(rets)


@pytest.mark.parametrize("kwargs, match", [
    (dict(asset="TSLA"), "hand in the asset's returns"),
    (dict(input="levels"), "input: expected prices or returns"),
])
def test_returns_input_problems(kwargs, match):
    args = dict(asset=window_returns("TSLA"), benchmark=window_returns("SPY"), input="returns")
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        bh.beta_hedge(**args)


def test_a_return_of_minus_100_percent_is_named():
    tsla = window_returns("TSLA").copy()
    tsla.iloc[3] = -1.5
    with pytest.raises(InputError, match=r"TSLA: a return of -150.00% on 2014-01-08"):
        bh.beta_hedge(tsla, window_returns("SPY"), input="returns")


# --------------------------------------------------------------------------------------------
# Windows an analyst expects
# --------------------------------------------------------------------------------------------
@pytest.fixture()
def sample_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(resources.files("betahedge_xl") / "sample"))


def last_two_years(*tickers: str) -> pd.DataFrame:
    """Prices of the last two years to the latest date every ticker has, by hand."""
    f = pd.concat([sample(t) for t in tickers], axis=1).dropna()
    latest = f.index[-1]
    return f[f.index >= latest - pd.DateOffset(years=2)]


# The shipped samples end in 2015: their staleness warnings are beside the point here.
@pytest.mark.filterwarnings("ignore::betahedge_xl.exceptions.DataWarning")
def test_tickers_without_dates_take_the_last_two_years(sample_folder):
    res = bh.beta_hedge("TSLA", "SPY")
    f = last_two_years("TSLA", "SPY")
    r = f.pct_change().iloc[1:]
    assert res.n_obs == len(r)
    assert res.first_date == f.index[0] and res.last_date == f.index[-1]
    assert res.beta == pytest.approx(slope(r["TSLA"], r["SPY"]), rel=1e-10)
    assert res.stat("window").startswith(
        f"last 2 years to the latest price, {f.index[0]:%Y-%m-%d} to {f.index[-1]:%Y-%m-%d}")
    # prices handed in are used whole, and no window row is shown
    whole = bh.beta_hedge(sample("TSLA"), sample("SPY"))
    assert whole.n_obs == len(pd.concat([sample("TSLA"), sample("SPY")], axis=1).dropna()) - 1
    assert "window" not in whole.stat_names()


@pytest.mark.filterwarnings("ignore::betahedge_xl.exceptions.DataWarning")
def test_bloomberg_preset_is_weekly_over_two_years_with_adjusted_beta(sample_folder):
    res = bh.beta_hedge("TSLA", "SPY", preset="bloomberg")
    f = last_two_years("TSLA", "SPY")
    period = f.index.to_period("W-FRI")
    weekly = f[np.r_[period[1:] != period[:-1], True]]
    r = weekly.pct_change().iloc[1:]
    assert res.frequency == "weekly" and res.n_obs == len(r)
    raw = slope(r["TSLA"], r["SPY"])
    assert res.beta == pytest.approx(raw, rel=1e-10)
    labels = list(res.summary()["label"])
    adjusted = labels.index("Adjusted beta (Blume)")
    assert res.summary()["value"][adjusted] == pytest.approx(2 / 3 * raw + 1 / 3, rel=1e-12)
    assert labels.index("Beta") < adjusted
    assert res.stat("preset").startswith("Bloomberg BETA")
    # the same preset where a frequency is typed (a worksheet cell)
    again = bh.beta_hedge("TSLA", "SPY", frequency="Bloomberg")
    assert again.beta == res.beta
    with pytest.raises(InputError, match="preset: expected one of bloomberg"):
        bh.beta_hedge("TSLA", "SPY", preset="reuters")


# --------------------------------------------------------------------------------------------
# A result that speaks statsmodels
# --------------------------------------------------------------------------------------------
def test_result_answers_to_statsmodels_names():
    import statsmodels.api as sm

    tsla, spy = window_returns("TSLA"), window_returns("SPY")
    res = bh.beta_hedge(sample("TSLA"), sample("SPY"), *WINDOW)
    ref = sm.OLS(tsla.to_numpy(), sm.add_constant(spy.to_numpy())).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse.to_numpy(), ref.bse, rtol=1e-9)
    np.testing.assert_allclose(res.tvalues.to_numpy(), ref.tvalues, rtol=1e-9)
    np.testing.assert_allclose(res.pvalues.to_numpy(), ref.pvalues, rtol=1e-6)
    np.testing.assert_allclose(res.conf_int().to_numpy(), ref.conf_int(), rtol=1e-9)
    np.testing.assert_allclose(res.conf_int(0.1).to_numpy(), ref.conf_int(0.1), rtol=1e-9)
    np.testing.assert_allclose(res.cov_params().to_numpy(), ref.cov_params(), rtol=1e-9)
    assert res.rsquared == pytest.approx(ref.rsquared, rel=1e-10)
    assert res.rsquared_adj == pytest.approx(ref.rsquared_adj, rel=1e-10)
    assert res.nobs == int(ref.nobs) == 251
    np.testing.assert_allclose(res.resid.to_numpy(), ref.resid, rtol=1e-8, atol=1e-14)
    assert list(res.resid.index) == list(tsla.index)
    # the summary is the label/value table that print shows
    assert isinstance(res.summary(), pd.DataFrame)
    assert str(res).splitlines()[0].startswith("Asset")


def test_result_renders_in_jupyter_and_helps():
    import pydoc

    res = book(weights=[1.3, -0.3], capital=1e6)
    html = res._repr_html_()
    assert html.count("<table") == 2 and "Positions" in html and "AAPL" in html
    text = pydoc.render_doc(bh.HedgeResult, renderer=pydoc.plaintext)
    for doc in ("Coefficients: ``const`` (alpha) then one beta per benchmark.",
                "Standard error of beta (on the first benchmark).",
                "Shares of an ETF or futures contracts to short so the book has zero beta."):
        assert doc in text
    # every public property and method says something
    for name, member in vars(bh.HedgeResult).items():
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        if callable(target):
            assert (target.__doc__ or "").strip(), f"HedgeResult.{name} has no docstring"
    for cls in (bh.HedgeResult, bh.engine.HedgeSize, bh.engine.Exposure):
        assert (cls.__doc__ or "").strip()


def test_hedge_size_prints_as_a_small_table(rets):
    res = bh.beta_hedge(sample("TSLA"), sample("SPY"), *WINDOW)
    size = res.hedge_size(5_000_000, "ES", 5900)
    exact = res.beta * 5e6 / (5900 * 50)
    assert size.units == round(exact) and size.exact == pytest.approx(exact, rel=1e-14)
    lines = str(size).splitlines()
    assert lines[0].split() == ["Hedge", "instrument", "ES"]
    assert any(ln.split()[-1] == "9,735,000.00" for ln in lines if ln.startswith("Hedge notional"))
    assert "<table>" in size._repr_html_()
    shares = res.hedge_size(1_000_000, "SPY", 470)
    assert shares.multiplier == 1.0 and shares.units == round(res.beta * 1e6 / 470)
    assert shares.to_dict()["shares"] == shares.units
    with pytest.raises(InputError, match="give the value to hedge"):
        res.hedge_size(None, "ES", 5900)


def test_weights_labelled_by_ticker_are_matched_by_label(rets):
    """A weights Series or mapping keyed by ticker is read by label, in any order and case;
    reading it by position gave one holding's weight to another in silence (0.8597, AAPL at
    0.9, for MSFT 0.9 / AAPL 0.1)."""
    from betahedge_xl.engine.portfolio import holdings_vector

    want = slope(0.1 * rets["AAPL"] + 0.9 * rets["MSFT"], rets["SPY"])
    res = book(pd.Series({"msft": 0.9, "AAPL": 0.1}))  # type: ignore[arg-type]
    assert res.beta == pytest.approx(want, abs=1e-10)
    res = book({"MSFT": 0.9, "AAPL": 0.1})  # type: ignore[arg-type]
    assert res.beta == pytest.approx(want, abs=1e-10)
    # positional sequences and 0..n-1 Series stay positional
    np.testing.assert_array_equal(holdings_vector(["A", "B"], pd.Series([0.3, 0.7])), [0.3, 0.7])
    with pytest.raises(HoldingsError, match="XLK, which the portfolio does not hold"):
        holdings_vector(["AAPL", "MSFT"], {"AAPL": 0.1, "XLK": 0.9})
    with pytest.raises(HoldingsError, match="no weight for MSFT"):
        holdings_vector(["AAPL", "MSFT"], pd.Series({"AAPL": 1.0}))


def test_no_dates_window_reports_quality_over_the_window_it_chose(tmp_path, monkeypatch):
    """With no dates the window ends at the latest price; the data-quality report is over that
    window, so it does not call the prices stale against today (it did: "prices end
    2015-12-31, 2846 weekdays before the window end today")."""
    import warnings

    from betahedge_xl.data import clear_memory

    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(resources.files("betahedge_xl") / "sample"))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))
    clear_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = bh.beta_hedge("TSLA", "SPY")
    assert res.n_obs == 504  # 2013-12-31..2015-12-31, the sample's last two years
    texts = [str(w.message) for w in caught] + list(res.warnings)
    assert not [t for t in texts if "before the window end" in t], texts
    explicit = bh.beta_hedge("TSLA", "SPY", "2013-12-31", "2016-01-01")
    assert res.quality.to_dict() == explicit.quality.to_dict()
