"""The risk-free rate's unit is declared, converted and checked: never a silent wrong scale.

Expected values are computed here from the rates and the package's sample prices (real NYSE
dates of 2014, with Good Friday and weekend month ends), by hand with numpy.
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.engine import excess_returns, parse_rate
from betahedge_xl.exceptions import InputError


def sample(ticker: str) -> pd.Series:
    text = (resources.files("betahedge_xl") / "sample" / f"{ticker}.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    return pd.Series([float(r["Adj Close"]) for r in rows],
                     index=pd.to_datetime([r["Date"] for r in rows]), name=ticker)


@pytest.fixture(scope="module")
def tsla_spy() -> tuple[pd.Series, pd.Series]:
    return sample("TSLA"), sample("SPY")


def excess_fit(tsla: pd.Series, spy: pd.Series, days: pd.DatetimeIndex,
               rf: np.ndarray) -> tuple[float, float]:
    """(beta, alpha) of excess returns on the price dates ``days``, by numpy."""
    ra = tsla[days].to_numpy()[1:] / tsla[days].to_numpy()[:-1] - 1 - rf
    rb = spy[days].to_numpy()[1:] / spy[days].to_numpy()[:-1] - 1 - rf
    beta, alpha = np.polyfit(rb, ra, 1)
    return float(beta), float(alpha)


def trading_days(tsla: pd.Series, spy: pd.Series) -> pd.DatetimeIndex:
    both = tsla.index.intersection(spy.index)
    return both[(both >= "2014-01-01") & (both < "2015-01-01")]


def test_an_annual_rate_series_taken_per_day_is_refused(tsla_spy) -> None:
    days = trading_days(*tsla_spy)
    annual = pd.Series(0.05, index=days)  # 5% a year, handed over as if per day
    with pytest.raises(InputError, match=r"risk-free 0.05 on 2014-01-03 read as per-period "
                                         r"decimal rates would be over 1000% a year; is it "
                                         r"risk_free_unit='annual'"):
        bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=annual)
    percent = pd.Series(5.0, index=days)
    with pytest.raises(InputError, match=r"risk-free 5 on 2014-01-03 .*'annual%'"):
        bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=percent)
    with pytest.raises(InputError, match=r"risk-free 5 on 2014-01-03 read as annual decimal rates would be "
                                         r"500% a year"):
        bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=percent,
                      risk_free_unit="annual")


def test_fred_annual_percent_series(tsla_spy) -> None:
    """FRED's DTB3: annual percent, one value per trading day; compounded down per day."""
    days = trading_days(*tsla_spy)
    dtb3 = pd.Series(np.linspace(0.02, 0.12, len(days)), index=days)
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=dtb3,
                        risk_free_unit="annual%")
    per_day = (1 + dtb3.to_numpy()[1:] / 100) ** (1 / 252) - 1
    beta, alpha = excess_fit(*tsla_spy, days, per_day)
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    assert res.stat("returns") == "simple, excess of a series of annual rates in percent"


def test_ken_french_monthly_percent_labelled_on_calendar_month_ends(tsla_spy) -> None:
    """RF in percent per month, labelled on the calendar month end (2014-05-31 is a Saturday,
    the last trading day 2014-05-30)."""
    tsla, spy = tsla_spy
    days = trading_days(tsla, spy)
    month_ends = days.to_series().groupby(days.to_period("M")).last()
    rf = pd.Series(np.arange(1, 13) / 100.0, index=pd.date_range("2014-01-31", periods=12,
                                                                   freq="ME"))
    assert pd.Timestamp("2014-05-31") in rf.index and pd.Timestamp("2014-05-31") not in days
    res = bh.beta_hedge(tsla, spy, "2014-01-01", "2015-01-01", frequency="monthly",
                        risk_free=rf, risk_free_unit="period%", rolling_window=3)
    beta, alpha = excess_fit(tsla, spy, pd.DatetimeIndex(month_ends.to_numpy()),
                             rf.to_numpy()[1:] / 100)
    assert res.n_obs == 11
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)


def test_weekly_series_labelled_on_fridays_meets_holiday_weeks(tsla_spy) -> None:
    """Good Friday 2014-04-18 has no trading: the week's return is dated Thursday 04-17."""
    tsla, spy = tsla_spy
    days = trading_days(tsla, spy)
    week_ends = days.to_series().groupby(days.to_period("W-FRI")).last()
    fridays = pd.date_range("2014-01-03", "2015-01-02", freq="W-FRI")
    assert pd.Timestamp("2014-04-18") not in days
    rf = pd.Series(np.linspace(0.0001, 0.0005, len(fridays)), index=fridays)
    res = bh.beta_hedge(tsla, spy, "2014-01-01", "2015-01-01", frequency="weekly",
                        risk_free=rf)
    beta, alpha = excess_fit(tsla, spy, pd.DatetimeIndex(week_ends.to_numpy()),
                             rf.to_numpy()[1:])
    assert res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    # A per-period series with several rates in one week is not a weekly series.
    daily = pd.Series(0.0001, index=days)
    with pytest.raises(InputError, match="several rates in the week .* one rate for each week"):
        bh.beta_hedge(tsla, spy, "2014-01-01", "2015-01-01", frequency="weekly", risk_free=daily)
    # Annual rates observed daily: each week takes the rate of its last day.
    daily_annual = pd.Series(np.linspace(0.01, 0.05, len(days)), index=days)
    got = excess_returns(res.returns.iloc[:, :0].assign(z=0.0), daily_annual, "weekly",
                         unit="annual")["z"]
    want = -((1 + daily_annual[week_ends.to_numpy()[1:]].to_numpy()) ** (1 / 52) - 1)
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("rate, unit", [(0.02, "annual"), (2.0, "annual%"),
                                        ((1.02) ** (1 / 252) - 1, "period"),
                                        (((1.02) ** (1 / 252) - 1) * 100, "period%")])
def test_a_constant_in_any_unit(tsla_spy, rate: float, unit: str) -> None:
    days = trading_days(*tsla_spy)
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=rate,
                        risk_free_unit=unit)
    beta, alpha = excess_fit(*tsla_spy, days, np.full(len(days) - 1, 1.02 ** (1 / 252) - 1))
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    assert res.beta == pytest.approx(beta, rel=1e-10)


def test_rates_typed_as_text() -> None:
    assert parse_rate("0.02") == (0.02, "annual")
    assert parse_rate("2%") == (2.0, "annual%")
    assert parse_rate(" 0.4 % per period") == (0.4, "period%")
    assert parse_rate("0.0001 per period") == (0.0001, "period")
    assert parse_rate("5.25% annual") == (5.25, "annual%")
    with pytest.raises(InputError, match="unit 'a fortnight' not understood"):
        parse_rate("2% a fortnight")
    with pytest.raises(InputError, match="cannot read 'two' as a rate"):
        parse_rate("two")


def test_a_one_column_frame_of_rates_is_a_series(tsla_spy) -> None:
    days = trading_days(*tsla_spy)
    dtb3 = pd.DataFrame({"DTB3": np.linspace(0.02, 0.12, len(days))}, index=days)
    a = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=dtb3,
                      risk_free_unit="annual%")
    b = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=dtb3["DTB3"],
                      risk_free_unit="annual%")
    assert a.alpha == b.alpha and a.beta == b.beta
    with pytest.raises(InputError, match=r"risk_free: expected an annual rate as a number "
                                         r"\(0.02 for 2%\) or a Series of per-period rates, "
                                         r"got \[0.01, 0.02\]"):
        bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=[0.01, 0.02])


def test_log_returns_subtract_the_log_of_each_rate(tsla_spy) -> None:
    tsla, spy = tsla_spy
    days = trading_days(tsla, spy)
    rf = pd.Series(np.linspace(0.0001, 0.0004, len(days)), index=days)
    res = bh.beta_hedge(tsla, spy, "2014-01-01", "2015-01-01", returns="log", risk_free=rf)
    ra = np.diff(np.log(tsla[days].to_numpy())) - np.log1p(rf.to_numpy()[1:])
    rb = np.diff(np.log(spy[days].to_numpy())) - np.log1p(rf.to_numpy()[1:])
    beta, alpha = np.polyfit(rb, ra, 1)
    assert res.alpha == pytest.approx(alpha, rel=1e-8)
    annual = bh.beta_hedge(tsla, spy, "2014-01-01", "2015-01-01", returns="log",
                           risk_free=0.03)
    per = np.log(1.03) / 252
    beta, alpha = np.polyfit(np.diff(np.log(spy[days].to_numpy())) - per,
                             np.diff(np.log(tsla[days].to_numpy())) - per, 1)
    assert annual.alpha == pytest.approx(alpha, rel=1e-8)


@pytest.mark.parametrize("unit", [None, "period"])
def test_an_annual_series_of_a_low_rate_year_handed_per_day_is_named(tsla_spy, unit) -> None:
    """0.0005 (0.05% a year, 2014's T-bill) read per day is 13.4% a year: within the refused
    range's bounds, but no risk-free rate; the result says so and names the unit it fits."""
    days = trading_days(*tsla_spy)
    annual = pd.Series(0.0005, index=days)
    with pytest.warns(bh.DataWarning, match=r"the median risk-free 0.0005 read as per-period "
                                            r"decimal rates is 13.4% a year, unusual for a "
                                            r"risk-free rate; is it risk_free_unit='annual'"):
        res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=annual,
                            risk_free_unit=unit)
    assert (1.0005 ** 252 - 1) == pytest.approx(0.134, abs=5e-4)
    assert any("13.4% a year" in w for w in res.warnings)
    # Declared annual, the same numbers are usual: nothing to say.
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=annual,
                        risk_free_unit="annual")
    assert not any("risk-free" in w for w in res.warnings)


def test_half_a_percent_typed_as_a_decimal_is_named(tsla_spy) -> None:
    with pytest.warns(bh.DataWarning, match=r"risk-free 0.5 read as annual decimal rates is "
                                            r"50.0% a year, unusual for a risk-free rate; is "
                                            r"it risk_free_unit='annual%'\?"):
        res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=0.5)
    assert res.warnings[0].startswith("risk-free 0.5 read as annual decimal rates")
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=0.5,
                        risk_free_unit="annual%")
    assert not any("risk-free" in w for w in res.warnings)
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", risk_free=0.02)
    assert not any("risk-free" in w for w in res.warnings)
