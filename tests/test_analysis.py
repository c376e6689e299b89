"""beta_hedge and HedgeResult: the worked example on the shipped prices, variants, bad input.

Prices come from the package's own ``betahedge_xl/sample`` (never from a shared folder) or are
generated; every number is checked against an independent computation.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import betahedge_xl as bh
from betahedge_xl.exceptions import (
    ConstantRegressorError,
    DataWarning,
    DateRangeError,
    HoldingsError,
    InputError,
    InsufficientDataError,
    NoOverlapError,
    PriceError,
)


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def sample_rows(ticker: str) -> dict[str, float]:
    """date string -> adjusted close, read with the csv module (independent of the package)."""
    text = (resources.files("betahedge_xl") / "sample" / f"{ticker}.csv").read_text()
    reader = csv.DictReader(text.splitlines())
    col = "Adj Close" if "Adj Close" in reader.fieldnames else "Close"
    return {row["Date"]: float(row[col]) for row in reader}


def sample_series(ticker: str) -> pd.Series:
    rows = sample_rows(ticker)
    return pd.Series(list(rows.values()), index=pd.to_datetime(list(rows)), name=ticker)


def synthetic(n=300, seed=0, beta=1.3, alpha=0.0002, names=("A", "B")):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2016-01-04", periods=n)
    rb = rng.normal(0.0004, 0.01, n)
    ra = alpha + beta * rb + rng.normal(0, 0.012, n)
    pa = pd.Series(40 * np.cumprod(1 + ra), index=dates, name=names[0])
    pb = pd.Series(200 * np.cumprod(1 + rb), index=dates, name=names[1])
    return pa, pb


def sm_ols(y, x):
    return sm.OLS(np.asarray(y, float), sm.add_constant(np.asarray(x, float))).fit()


# --------------------------------------------------------------------------------------------
# The worked example (design.md): TSLA on SPY, 2014
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tsla_spy():
    return sample_series("TSLA"), sample_series("SPY")


@pytest.fixture(scope="module")
def worked(tsla_spy):
    return bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01")


def test_worked_example(worked):
    tsla, spy = sample_rows("TSLA"), sample_rows("SPY")
    dates = sorted(d for d in set(tsla) & set(spy) if "2014-01-01" <= d < "2015-01-01")
    ra = np.array([tsla[b] / tsla[a] - 1 for a, b in zip(dates, dates[1:])])
    rb = np.array([spy[b] / spy[a] - 1 for a, b in zip(dates, dates[1:])])
    beta, alpha = np.polyfit(rb, ra, 1)
    assert worked.n_obs == len(ra) == 251
    assert worked.beta == pytest.approx(beta, rel=1e-10)
    assert worked.alpha == pytest.approx(alpha, rel=1e-8)
    # the published figures (README, design.md): beta 1.954, alpha 0.0009 a day
    assert round(worked.beta, 3) == 1.954
    assert round(worked.alpha, 4) == 0.0009
    assert abs(worked.hedged_beta) < 1e-12
    assert worked.hedged_alpha == pytest.approx(worked.alpha, rel=1e-12)
    np.testing.assert_allclose(worked.hedged_returns.to_numpy(), ra - worked.beta * rb,
                               rtol=1e-10, atol=1e-16)
    assert worked.first_date == pd.Timestamp(dates[0])
    assert worked.last_date == pd.Timestamp(dates[-1])
    assert worked.effectiveness == pytest.approx(np.corrcoef(ra, rb)[0, 1] ** 2, rel=1e-10)


def test_worked_example_all_statistics_against_statsmodels(worked):
    ref = sm_ols(worked.returns["TSLA"], worked.returns["SPY"])
    ci = ref.conf_int()
    assert worked.alpha_se == pytest.approx(ref.bse[0], rel=1e-10)
    assert worked.beta_se == pytest.approx(ref.bse[1], rel=1e-10)
    assert worked.alpha_t == pytest.approx(ref.tvalues[0], rel=1e-10)
    assert worked.beta_t == pytest.approx(ref.tvalues[1], rel=1e-10)
    assert worked.alpha_p == pytest.approx(ref.pvalues[0], rel=1e-9)
    assert worked.beta_p == pytest.approx(ref.pvalues[1], rel=1e-8)
    assert worked.r_squared == pytest.approx(ref.rsquared, rel=1e-10)
    assert worked.r_squared_adj == pytest.approx(ref.rsquared_adj, rel=1e-10)
    assert worked.resid_std == pytest.approx(math.sqrt(ref.scale), rel=1e-10)
    assert worked.stat("alpha_ci_low") == pytest.approx(ci[0, 0], rel=1e-9)
    assert worked.stat("beta_ci_high") == pytest.approx(ci[1, 1], rel=1e-9)
    assert worked.adjusted_beta == pytest.approx(2 / 3 * ref.params[1] + 1 / 3, rel=1e-12)
    assert worked.alpha_annualized == pytest.approx(252 * ref.params[0], rel=1e-10)
    assert worked.annualization == "alpha x 252"


def test_summary_stat_and_to_dict_are_consistent(worked):
    table = worked.summary()
    assert list(table.columns) == ["label", "value"]
    values = dict(zip(table["label"], table["value"]))
    assert values["Beta"] == worked.beta
    assert values["Alpha (per period)"] == worked.alpha
    assert values["Observations"] == worked.n_obs == 251
    assert values["Alpha std. error"] == worked.alpha_se
    assert values["R-squared"] == worked.r_squared
    assert values["Hedged alpha"] == worked.hedged_alpha
    assert values["Hedged beta"] == worked.hedged_beta
    assert values["Hedge effectiveness (in sample)"] == worked.effectiveness
    assert values["Alpha annualised (alpha x 252)"] == worked.alpha_annualized
    assert values["Asset"] == "TSLA" and values["Benchmark"] == "SPY"
    assert values["Standard errors"] == "classical"
    names = worked.stat_names()
    assert len(names) == len(table)
    for key in ("alpha", "beta", "alpha_se", "beta_se", "r_squared", "n_obs", "hedged_alpha",
                "hedged_beta", "effectiveness", "effectiveness_oos", "adjusted_beta"):
        assert key in names
    assert worked.stat("Beta") == worked.beta
    assert worked.stat("r2") == worked.stat("RSquared") == worked.r_squared
    assert worked.stat("nobs") == 251
    with pytest.raises(InputError, match="unknown statistic 'gamma'; use one of: asset"):
        worked.stat("gamma")
    d = worked.to_dict()
    round_trip = json.loads(json.dumps(d, allow_nan=False))
    assert round_trip["beta"] == worked.beta and round_trip["n_obs"] == 251
    assert round_trip["first_date"] == "2014-01-02" and round_trip["last_date"] == "2014-12-31"
    assert worked.stat("start") == worked.stat("first_date") == worked.first_date
    assert round_trip["benchmarks"] == ["SPY"] and round_trip["maxlags"] is None
    assert set(names) <= set(d)
    assert "Beta" in str(worked) and f"{worked.beta:.3f}" in str(worked)
    assert repr(worked).startswith("<HedgeResult TSLA on SPY: beta=1.9541")


def test_series_cumulative_and_rolling(worked):
    s = worked.series()
    assert list(s.columns) == ["date", "TSLA", "SPY", "hedged"]
    assert len(s) == 251
    cum = worked.cumulative()
    assert cum.iloc[0].tolist() == [1.0, 1.0, 1.0]
    tsla = sample_rows("TSLA")
    assert cum["TSLA"].iloc[-1] == pytest.approx(tsla["2014-12-31"] / tsla["2014-01-02"],
                                                 rel=1e-10)
    # default rolling window is 63 days; its last value is the slope of the last 63 returns
    r = worked.returns
    assert worked.rolling_window == 63
    slope = np.polyfit(r["SPY"].iloc[-63:], r["TSLA"].iloc[-63:], 1)[0]
    assert worked.rolling_beta["SPY"].iloc[-1] == pytest.approx(slope, rel=1e-9)
    assert worked.rolling_beta["SPY"].iloc[:62].isna().all()
    # out of sample: beta of the first half hedges the second
    cut = int(round(251 * 0.5))
    b = np.polyfit(r["SPY"].iloc[:cut], r["TSLA"].iloc[:cut], 1)[0]
    h = r["TSLA"].iloc[cut:] - b * r["SPY"].iloc[cut:]
    assert worked.effectiveness_oos == pytest.approx(1 - h.var() / r["TSLA"].iloc[cut:].var(),
                                                     rel=1e-10)


def test_inputs_not_modified(tsla_spy):
    a, b = tsla_spy
    a0, b0 = a.copy(), b.copy()
    bh.beta_hedge(a, b, "2014-01-01", "2015-01-01", frequency="weekly", risk_free=0.02)
    pd.testing.assert_series_equal(a, a0)
    pd.testing.assert_series_equal(b, b0)


# --------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------
def test_multi_benchmark(tsla_spy):
    tsla, spy = tsla_spy
    xlk = sample_series("XLK")
    res = bh.beta_hedge(tsla, pd.concat([spy, xlk], axis=1), "2014-01-01", "2015-01-01")
    frame = pd.concat([tsla, spy, xlk], axis=1, join="inner")
    frame = frame[(frame.index >= "2014-01-01") & (frame.index < "2015-01-01")]
    r = frame.pct_change().iloc[1:]
    ref = sm_ols(r["TSLA"], r[["SPY", "XLK"]])
    np.testing.assert_allclose(res.fit.params.to_numpy(), ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.fit.bse.to_numpy(), ref.bse, rtol=1e-10)
    assert res.benchmarks == ["SPY", "XLK"] and res.benchmark == "SPY + XLK"
    assert res.stat("beta_XLK") == pytest.approx(ref.params[2], rel=1e-10)
    assert res.stat("beta_xlk") == res.stat("beta_XLK")
    for key in res.stat_names():  # every listed name can be looked up as listed
        res.stat(key)
    assert res.stat("beta") == res.beta == pytest.approx(ref.params[1], rel=1e-10)
    assert abs(res.stat("hedged_beta_SPY")) < 1e-10 and abs(res.stat("hedged_beta_XLK")) < 1e-10
    assert res.hedged_alpha == pytest.approx(res.alpha, rel=1e-10)
    assert res.correlation == pytest.approx(math.sqrt(ref.rsquared), rel=1e-10)
    assert list(res.rolling_beta.columns) == ["SPY", "XLK"]
    json.dumps(res.to_dict(), allow_nan=False)


def test_weekly(tsla_spy):
    tsla, spy = tsla_spy
    res = bh.beta_hedge(tsla, spy, "2014-01-01", "2015-01-01", frequency="weekly")
    frame = pd.concat([tsla, spy], axis=1, join="inner")
    frame = frame[(frame.index >= "2014-01-01") & (frame.index < "2015-01-01")]
    weekly = frame.resample("W-FRI").last().dropna()
    r = weekly.pct_change().iloc[1:]
    beta, alpha = np.polyfit(r["SPY"], r["TSLA"], 1)
    assert res.n_obs == len(r)
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    assert res.annualization == "alpha x 52" and res.rolling_window == 26
    # rows keep the real last trading day: 2014-12-31, not the week's Friday 2015-01-02
    assert res.last_date == pd.Timestamp("2014-12-31")


def test_monthly_short_sample_skips_rolling_with_warning(tsla_spy):
    with pytest.warns(DataWarning, match="shorter than the 12-period rolling window"):
        res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", frequency="monthly")
    assert res.n_obs == 11 and res.rolling_beta["SPY"].isna().all()


def test_hac(tsla_spy):
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", cov_type="HAC", maxlags=5)
    ref = sm.OLS(res.returns["TSLA"].to_numpy(), sm.add_constant(res.returns["SPY"].to_numpy())
                 ).fit(cov_type="HAC", cov_kwds={"maxlags": 5}, use_t=True)
    assert res.beta_se == pytest.approx(ref.bse[1], rel=1e-10)
    assert res.alpha_p == pytest.approx(ref.pvalues[0], rel=1e-9)
    assert res.stat("std_errors") == "Newey-West HAC, 5 lags"
    assert res.to_dict()["maxlags"] == 5
    # the verification regression uses the same errors
    assert res.hedge.verification.cov_type == "HAC" and res.hedge.verification.maxlags == 5


def test_log_returns(tsla_spy):
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", returns="log")
    tsla, spy = sample_rows("TSLA"), sample_rows("SPY")
    dates = sorted(d for d in set(tsla) & set(spy) if "2014-01-01" <= d < "2015-01-01")
    ra = np.diff(np.log([tsla[d] for d in dates]))
    rb = np.diff(np.log([spy[d] for d in dates]))
    beta, alpha = np.polyfit(rb, ra, 1)
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    assert res.stat("returns") == "log"
    cum = res.cumulative()
    assert cum["TSLA"].iloc[-1] == pytest.approx(tsla[dates[-1]] / tsla[dates[0]], rel=1e-10)


def test_risk_free_constant_and_series(tsla_spy):
    plain = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01")
    rate = 0.03
    per = (1 + rate) ** (1 / 252) - 1
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=rate)
    ra, rb = plain.returns["TSLA"] - per, plain.returns["SPY"] - per
    beta, alpha = np.polyfit(rb, ra, 1)
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    # excess on both sides: beta unchanged, alpha moves by -(1 - beta) * rf
    assert res.beta == pytest.approx(plain.beta, rel=1e-10)
    assert res.alpha == pytest.approx(plain.alpha - (1 - plain.beta) * per, rel=1e-8)
    assert res.stat("returns") == "simple, excess of 3% a year"
    rf = pd.Series(np.linspace(0.0, 0.0002, 251), index=plain.returns.index)
    res2 = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=rf)
    beta2, alpha2 = np.polyfit(plain.returns["SPY"] - rf, plain.returns["TSLA"] - rf, 1)
    assert res2.beta == pytest.approx(beta2, rel=1e-10)
    assert res2.alpha == pytest.approx(alpha2, rel=1e-8)
    assert res2.risk_free == "a per-period series"


@pytest.mark.parametrize("frequency,rule", [("daily", None), ("weekly", "W-FRI"),
                                            ("monthly", "M")])
def test_portfolio_by_weights_rebalanced_each_period(tsla_spy, frequency, rule):
    """A 60/40 portfolio's weekly return is 0.6 x AAPL's weekly + 0.4 x MSFT's weekly return
    (rebalanced each week), not a daily-rebalanced index sampled weekly."""
    aapl, msft, spy = sample_series("AAPL"), sample_series("MSFT"), tsla_spy[1]
    res = bh.beta_hedge(pd.concat([aapl, msft], axis=1), spy, "2014-01-01", "2015-01-01",
                        weights=[60, 40], frequency=frequency)
    frame = pd.concat([aapl, msft, spy], axis=1, join="inner")
    frame = frame[(frame.index >= "2014-01-01") & (frame.index < "2015-01-01")]
    if rule is not None:
        period = frame.index.to_period(rule)
        frame = frame[np.r_[period[1:] != period[:-1], True]]
    r = frame.pct_change().iloc[1:]
    port = 0.6 * r["AAPL"] + 0.4 * r["MSFT"]
    np.testing.assert_allclose(res.returns["Portfolio"].to_numpy(), port.to_numpy(), rtol=1e-9,
                               atol=1e-15)
    beta, alpha = np.polyfit(r["SPY"], port, 1)
    assert res.asset == "Portfolio"
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-7)
    assert res.holdings.to_dict() == pytest.approx({"AAPL": 0.6, "MSFT": 0.4})
    assert res.stat("holdings") == "AAPL 60%, MSFT 40%"  # typed in percent, shown so


def test_portfolio_by_shares_buy_and_hold(tsla_spy):
    aapl, msft, spy = sample_series("AAPL"), sample_series("MSFT"), tsla_spy[1]
    res = bh.beta_hedge(pd.concat([aapl, msft], axis=1), spy, "2014-01-01", "2015-01-01",
                        shares=[100, 250])
    frame = pd.concat([aapl, msft, spy], axis=1, join="inner")
    frame = frame[(frame.index >= "2014-01-01") & (frame.index < "2015-01-01")]
    value = 100 * frame["AAPL"] + 250 * frame["MSFT"]
    rp = value.pct_change().iloc[1:]
    rb = frame["SPY"].pct_change().iloc[1:]
    beta, alpha = np.polyfit(rb, rp, 1)
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-7)
    assert res.holdings_kind == "shares"
    # buy and hold differs from rebalancing to the starting weights
    w0 = np.array([100 * frame["AAPL"].iloc[0], 250 * frame["MSFT"].iloc[0]])
    rebal = bh.beta_hedge(pd.concat([aapl, msft], axis=1), spy, "2014-01-01", "2015-01-01",
                          weights=list(w0 / w0.sum()))
    assert abs(rebal.beta - res.beta) > 1e-6


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
def test_too_few_observations():
    a, b = synthetic(n=30)
    with pytest.raises(InsufficientDataError, match="too few observations: 2 daily return"):
        bh.beta_hedge(a, b, a.index[0], a.index[3])


def test_no_overlapping_dates():
    a, b = synthetic(n=60)
    with pytest.raises(NoOverlapError, match="no overlapping dates between A, B"):
        bh.beta_hedge(a.iloc[:30], b.iloc[30:])


def test_constant_benchmark():
    a, _ = synthetic(n=60)
    flat = pd.Series(100.0, index=a.index, name="B")
    with pytest.raises(ConstantRegressorError, match="benchmark B returns are constant"):
        bh.beta_hedge(a, flat)


def test_nan_rows_dropped_with_count():
    a, b = synthetic(n=120)
    a = a.copy()
    a.iloc[[10, 11, 50]] = np.nan
    # Prices handed in get the report tickers get: the same line names the dates lost.
    with pytest.warns(DataWarning, match=r"alignment drops 3 of 120 dates \(missing: A 3\)"):
        res = bh.beta_hedge(a, b)
    clean = pd.concat([a, b], axis=1).dropna()
    r = clean.pct_change().iloc[1:]
    assert res.n_obs == len(r) == 116
    assert res.beta == pytest.approx(np.polyfit(r["B"], r["A"], 1)[0], rel=1e-10)
    assert any("alignment drops" in w for w in res.warnings)


def test_all_nan_prices():
    a, b = synthetic(n=30)
    with pytest.raises(PriceError, match="A: no prices in the window"):
        bh.beta_hedge(a * np.nan, b)


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_non_positive_prices(bad):
    a, b = synthetic(n=30)
    b = b.copy()
    b.iloc[7] = bad
    # One rule in every source (a CSV file, Yahoo, a Series): the price is removed, and the
    # data-quality line says so; the dates around it make one return.
    with pytest.warns(DataWarning, match="B: 1 zero or negative price\\(s\\) removed"):
        res = bh.beta_hedge(a, b)
    kept = pd.concat([a, b], axis=1).drop(b.index[7])
    r = kept.pct_change().iloc[1:]
    assert res.n_obs == len(r) == 28
    assert res.beta == pytest.approx(np.polyfit(r["B"], r["A"], 1)[0], rel=1e-10)


def test_end_before_start_and_bad_dates():
    a, b = synthetic(n=30)
    with pytest.raises(DateRangeError, match="end 2016-01-01 is not after start 2016-02-01"):
        bh.beta_hedge(a, b, "2016-02-01", "2016-01-01")
    with pytest.raises(InputError, match="end: cannot read 'soon' as a date"):
        bh.beta_hedge(a, b, "2016-01-01", "soon")


def test_unknown_frequency_and_method_and_cov_type():
    a, b = synthetic(n=60)
    with pytest.raises(InputError, match="frequency 'yearly' not understood"):
        bh.beta_hedge(a, b, frequency="yearly")
    with pytest.raises(InputError, match="returns 'pct_change' not understood"):
        bh.beta_hedge(a, b, returns="pct_change")
    with pytest.raises(InputError, match="cov_type 'robust' not understood"):
        bh.beta_hedge(a, b, cov_type="robust")


def test_collinear_benchmarks():
    a, b = synthetic(n=60)
    twin = (b * 2.0).rename("C")  # same returns as B
    with pytest.raises(Exception, match="collinear"):
        bh.beta_hedge(a, pd.concat([b, twin], axis=1))


def test_same_asset_and_benchmark():
    # the check comes before any price is fetched: no network is touched
    with pytest.raises(InputError, match="asset and benchmark are the same: TSLA"):
        bh.beta_hedge("TSLA", " tsla ")
    # two price Series that merely share a name (df_a["Close"], df_b["Close"]) are allowed
    a, b = synthetic(n=100)
    res = bh.beta_hedge(a.rename("Close"), b.rename("Close"))
    ref = bh.beta_hedge(a, b)
    assert res.beta == pytest.approx(ref.beta, rel=1e-14)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(weights=[1.0]), HoldingsError, "2 tickers but 1 weights"),
        (dict(weights=[0.0, 0.0]), HoldingsError, "every weight is zero"),
        (dict(shares=[1, 2, 3]), HoldingsError, "2 tickers but 3 shares"),
        (dict(weights=[1, 1], shares=[1, 1]), InputError, "give weights or shares, not both"),
        (dict(), InputError, "asset has 2 instruments; give weights or shares"),
    ],
)
def test_mismatched_holdings(kwargs, error, match):
    a, b = synthetic(n=40)
    c, _ = synthetic(n=40, seed=1, names=("C", "B"))
    with pytest.raises(error, match=match):
        bh.beta_hedge(pd.concat([a, c], axis=1), b, **kwargs)


def test_duplicate_holdings():
    a, b = synthetic(n=40)
    with pytest.raises(HoldingsError, match="ticker A appears more than once"):
        bh.beta_hedge(pd.concat([a, a.rename("a")], axis=1), b, weights=[1, 1])


def test_bad_asset_type():
    _, b = synthetic(n=30)
    with pytest.raises(InputError, match="asset: expected a ticker, a list of tickers or prices"):
        bh.beta_hedge(42, b)


def test_rolling_window_zero_is_an_error_not_the_default(tsla_spy):
    with pytest.raises(InputError, match="rolling window must be at least 3 periods, got 0"):
        bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", rolling_window=0)


def test_oos_split_out_of_range_is_an_error(tsla_spy):
    with pytest.raises(InputError, match="split 1.5"):
        bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", oos_split=1.5)


# --------------------------------------------------------------------------------------------
# Arguments of the wrong type or value: project errors naming the argument, checked at the door
# --------------------------------------------------------------------------------------------
def _two_assets_and_bench() -> tuple[pd.DataFrame, pd.Series]:
    pa, pb = synthetic(n=120, seed=3)
    pc, _ = synthetic(n=120, seed=4, names=("C", "B"))
    return pd.concat([pa, pc], axis=1), pb


@pytest.mark.parametrize("kwargs, message", [
    ({"rolling_window": "x"}, r"rolling_window: expected a whole number.*'x'"),
    ({"rolling_window": float("nan")}, r"rolling_window: expected a whole number.*nan"),
    ({"rolling_window": 40.5}, r"rolling_window: expected a whole number.*40\.5"),
    ({"rolling_window": True}, r"rolling_window: expected a whole number.*True"),
    ({"cov_type": "HAC", "maxlags": "x"}, r"maxlags: expected a whole number.*'x'"),
    ({"cov_type": "HAC", "maxlags": float("nan")}, r"maxlags: expected a whole number.*nan"),
])
def test_bad_window_and_lags_are_input_errors_naming_the_argument(kwargs, message):
    pa, pb = synthetic(n=120)
    with pytest.raises(InputError, match=message):
        bh.beta_hedge(pa, pb, **kwargs)


def test_whole_numbers_given_as_floats_or_numpy_still_work():
    pa, pb = synthetic(n=120)
    res = bh.beta_hedge(pa, pb, rolling_window=np.int64(40), cov_type="HAC", maxlags=5.0)
    want = pa.pct_change().rolling(40).cov(pb.pct_change()) / pb.pct_change().rolling(40).var()
    np.testing.assert_allclose(res.rolling_beta.iloc[:, 0].to_numpy(), want.iloc[1:].to_numpy(),
                               rtol=1e-8)
    assert res.rolling_window == 40 and res.fit.maxlags == 5


@pytest.mark.parametrize("weights, message", [
    ({0.5, 1.5}, r"weights: expected a list of numbers, got a set"),
    ({"A": 1, "C": "x"}, r"weights: 'x' is not a number"),
    (pd.Series({"A": 1, "C": None}, dtype=object), r"weights: None is not a number"),
    ("1,1", r"weights: expected a list of numbers, got the text '1,1'"),
    (["a", "b"], r"weights: 'a' is not a number"),
    ([1, None], r"weights: None is not a number"),
])
def test_weights_of_the_wrong_type_are_input_errors(weights, message):
    px, pb = _two_assets_and_bench()
    with pytest.raises(InputError, match=message):
        bh.beta_hedge(px, pb, weights=weights)


def test_shares_of_the_wrong_type_are_input_errors():
    px, pb = _two_assets_and_bench()
    with pytest.raises(InputError, match=r"shares: expected a list of numbers, got the text"):
        bh.beta_hedge(px, pb, shares="10,20")


def test_weights_too_large_to_add_up_are_refused_clearly():
    px, pb = _two_assets_and_bench()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy overflow on the way
        with pytest.raises(InputError, match=r"weights.*not a finite number"):
            bh.beta_hedge(px, pb, weights=(1e308, 1e308))


@pytest.mark.parametrize("split", [1.5, 2, 50.0, float("nan"), float("inf"), 0.0, -0.2])
def test_oos_split_that_is_no_fraction_names_the_fraction(split):
    pa, pb = synthetic(n=120)
    with pytest.raises(InputError) as err:
        bh.beta_hedge(pa, pb, oos_split=split)
    text = str(err.value)
    assert "between 0 and 1" in text and "1899" not in text and "1900" not in text, text


def test_oos_split_none_is_the_documented_default():
    pa, pb = synthetic(n=120)
    res = bh.beta_hedge(pa, pb, oos_split=None)
    assert res.effectiveness_oos == bh.beta_hedge(pa, pb, oos_split=0.5).effectiveness_oos


def test_oos_split_date_still_works():
    pa, pb = synthetic(n=120)
    res = bh.beta_hedge(pa, pb, oos_split=pa.index[60])
    y, x = pa.pct_change().iloc[1:], pb.pct_change().iloc[1:]
    assert res.oos.betas.iloc[0] == pytest.approx(np.polyfit(x[:59], y[:59], 1)[0], rel=1e-10)
