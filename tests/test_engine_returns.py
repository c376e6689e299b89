"""Prices to returns: window, alignment, resampling, simple/log, excess returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.engine import (
    annual_to_periodic,
    annualize_alpha,
    as_price_frame,
    excess_returns,
    normalize_frequency,
    periods_per_year,
    prices_to_returns,
    resample_prices,
)
from betahedge_xl.exceptions import DateRangeError, InputError, NoOverlapError, PriceError


def random_prices(n=400, cols=("A", "B"), seed=0, start="2019-12-20"):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n)
    steps = rng.normal(0.0003, 0.012, size=(n, len(cols)))
    return pd.DataFrame(50 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=list(cols))


def test_window_start_inclusive_end_exclusive():
    px = random_prices()
    start, end = pd.Timestamp("2020-02-03"), pd.Timestamp("2020-03-02")  # both trading days
    prep = prices_to_returns(px, start=start, end=end)
    assert prep.prices.index[0] == start
    assert prep.prices.index[-1] < end
    assert end in px.index  # the excluded end really was a price date
    inside = px[(px.index >= start) & (px.index < end)]
    expected = inside / inside.shift(1) - 1
    pd.testing.assert_frame_equal(prep.returns, expected.iloc[1:], check_freq=False, rtol=1e-14)
    assert len(prep.returns) == len(inside) - 1


def test_window_accepts_strings_serials_and_none():
    px = random_prices()
    a = prices_to_returns(px, start="2020-02-03", end="2020-03-02").returns
    # Excel serial 43864 = 2020-02-03, 43892 = 2020-03-02
    b = prices_to_returns(px, start=43864, end=43892.0).returns
    pd.testing.assert_frame_equal(a, b)
    full = prices_to_returns(px).returns
    assert len(full) == len(px) - 1


def test_end_before_start():
    px = random_prices()
    with pytest.raises(DateRangeError, match="end 2020-01-01 is not after start 2020-02-01"):
        prices_to_returns(px, start="2020-02-01", end="2020-01-01")
    with pytest.raises(DateRangeError, match="not after start"):
        prices_to_returns(px, start="2020-02-01", end="2020-02-01")
    with pytest.raises(InputError, match="start: cannot read 'yesterday-ish'"):
        prices_to_returns(px, start="yesterday-ish")


def test_alignment_on_shared_dates_before_returns():
    px = random_prices(n=60)
    a = px["A"].drop(px.index[[5, 6, 20]])
    b = px["B"].drop(px.index[[10, 40]])
    frame = pd.concat([a, b], axis=1, sort=True)  # outer join: NaN where one side lacks a date
    prep = prices_to_returns(frame)
    assert prep.dropped_by_alignment == 5
    shared = a.index.intersection(b.index)
    assert prep.prices.index.equals(shared)
    # Returns span the gap (price on the next shared date over the previous shared date),
    # not a return computed on one side's own dates.
    expected = px.loc[shared] / px.loc[shared].shift(1) - 1
    pd.testing.assert_frame_equal(prep.returns, expected.iloc[1:], check_freq=False, rtol=1e-14)


def test_no_overlapping_dates():
    px = random_prices(n=40)
    frame = pd.concat([px["A"].iloc[:20], px["B"].iloc[20:]], axis=1)
    with pytest.raises(NoOverlapError, match="no overlapping dates between A, B"):
        prices_to_returns(frame)


def test_unsorted_input_gets_sorted():
    px = random_prices(n=80)
    shuffled = px.sample(frac=1.0, random_state=1)
    before = shuffled.copy()
    pd.testing.assert_frame_equal(
        prices_to_returns(shuffled).returns, prices_to_returns(px).returns, check_freq=False
    )
    pd.testing.assert_frame_equal(shuffled, before)  # input untouched


def test_duplicate_dates_and_bad_frames():
    px = random_prices(n=10)
    dup = pd.concat([px, px.iloc[[3]]])
    with pytest.raises(InputError, match=f"date {px.index[3]:%Y-%m-%d} appears more than once"):
        as_price_frame(dup)
    with pytest.raises(InputError, match="expected a pandas Series or DataFrame"):
        as_price_frame([1.0, 2.0])
    with pytest.raises(InputError, match="index must hold dates"):
        as_price_frame(pd.Series([1.0, 2.0], index=["2020-01-02", "y"]))
    with pytest.raises(InputError, match="prices must be numbers"):
        as_price_frame(pd.Series(["a", "b"], index=px.index[:2]))


def test_string_dates_and_tz_index_are_accepted():
    px = random_prices(n=30)
    s = px["A"].copy()
    s.index = s.index.strftime("%Y-%m-%d")
    assert as_price_frame(s).index.equals(px.index)
    tz = px.tz_localize("America/New_York")
    assert as_price_frame(tz).index.tz is None


@pytest.mark.parametrize("bad, match", [(0.0, "1 zero or negative price"),
                                        (-3.0, "1 zero or negative price")])
def test_non_positive_prices(bad, match):
    px = random_prices(n=30)
    px.iloc[12, 1] = bad
    with pytest.raises(PriceError, match=f"B: {match}.*first on {px.index[12]:%Y-%m-%d}"):
        prices_to_returns(px)


def test_all_nan_column_and_infinite_price():
    px = random_prices(n=30)
    px["B"] = np.nan
    with pytest.raises(PriceError, match="B: no prices in the window"):
        prices_to_returns(px)
    px = random_prices(n=30)
    px.iloc[3, 0] = np.inf
    with pytest.raises(PriceError, match="A: infinite price"):
        prices_to_returns(px)


def independent_resample(px: pd.DataFrame, rule: str) -> pd.DataFrame:
    """Last price of each period via pandas resample, relabelled to the real last trading day."""
    last_price = px.resample(rule).last().dropna(how="all")
    last_date = px.index.to_series().resample(rule).last().dropna()
    out = last_price.loc[last_date.index]
    out.index = pd.DatetimeIndex(last_date.to_numpy())
    return out


@pytest.mark.parametrize("frequency, rule", [("weekly", "W-FRI"), ("monthly", "ME")])
def test_resample_against_pandas(frequency, rule):
    px = random_prices(n=300)
    px = px.drop(px.index[[4, 9, 50, 51, 52, 53, 54]])  # holidays, including a whole week
    got = resample_prices(px, frequency)
    expected = independent_resample(px, rule)
    pd.testing.assert_frame_equal(got, expected, check_freq=False)
    if frequency == "weekly":
        # every row is the last trading day of its Friday-ending week
        assert (got.index.to_period("W-FRI").value_counts() == 1).all()
    prep = prices_to_returns(px, frequency=frequency)
    exp_ret = (expected / expected.shift(1) - 1).iloc[1:]
    pd.testing.assert_frame_equal(prep.returns, exp_ret, check_freq=False, rtol=1e-14)
    assert prep.frequency == frequency


def test_weekly_week_ends_friday_not_sunday():
    # A Saturday price (some exchanges) belongs to the week ending the next Friday.
    dates = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-06", "2024-01-12"])
    px = pd.DataFrame({"A": [1.0, 2.0, 3.0, 4.0]}, index=dates)
    got = resample_prices(px, "weekly")
    assert list(got.index) == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-12")]
    assert list(got["A"]) == [2.0, 4.0]


def test_resampling_after_alignment():
    px = random_prices(n=120)
    a = px["A"].drop(px.index[[px.index.get_loc(d) for d in px.index if d.day == 31]])
    frame = pd.concat([a, px["B"]], axis=1, sort=True)
    prep = prices_to_returns(frame, frequency="monthly")
    # month ends where A has no price use the last *shared* date for both columns
    shared = px.loc[a.index]
    expected = independent_resample(shared, "ME")
    pd.testing.assert_frame_equal(prep.prices, expected, check_freq=False)


def test_log_and_simple():
    px = random_prices(n=50)
    simple = prices_to_returns(px, method="simple").returns
    log = prices_to_returns(px, method="log").returns
    np.testing.assert_allclose(log.to_numpy(), np.log1p(simple.to_numpy()), rtol=1e-12)
    np.testing.assert_allclose(log.to_numpy(), np.diff(np.log(px.to_numpy()), axis=0),
                               rtol=1e-10, atol=1e-15)
    with pytest.raises(InputError, match="returns 'geometric' not understood"):
        prices_to_returns(px, method="geometric")


@pytest.mark.parametrize("value", ["hourly", "W-MON", "quarterly"])
def test_unknown_frequency(value):
    with pytest.raises(InputError, match=f"frequency '{value}' not understood"):
        prices_to_returns(random_prices(n=10), frequency=value)


def test_frequency_spellings_and_periods():
    assert normalize_frequency("1wk") == "weekly"
    assert normalize_frequency("M") == "monthly"
    assert normalize_frequency(None) == "daily"
    assert [periods_per_year(f) for f in ("daily", "weekly", "monthly")] == [252, 52, 12]
    value, how = annualize_alpha(0.001, "weekly")
    assert value == pytest.approx(0.052) and how == "alpha x 52"


@pytest.mark.parametrize("frequency, p", [("daily", 252), ("weekly", 52), ("monthly", 12)])
def test_excess_returns_constant_annual_rate(frequency, p):
    px = random_prices(n=40)
    r = prices_to_returns(px).returns
    rate = 0.05
    per = (1 + rate) ** (1 / p) - 1
    assert annual_to_periodic(rate, frequency) == pytest.approx(per, rel=1e-13)
    got = excess_returns(r, rate, frequency)
    np.testing.assert_allclose(got.to_numpy(), r.to_numpy() - per, rtol=0, atol=1e-15)
    # compounding the periodic rate over a year gives the annual rate back
    assert (1 + per) ** p == pytest.approx(1 + rate, rel=1e-12)
    log_per = annual_to_periodic(rate, frequency, "log")
    assert log_per * p == pytest.approx(np.log(1 + rate), rel=1e-13)
    assert excess_returns(r, 0.0) is r
    with pytest.raises(InputError, match="would be -100% a year"):
        excess_returns(r, -1.0, frequency)
    # a percent typed as a number (5 for 5%) is refused in every face, not taken as 500%
    with pytest.raises(InputError, match=r"risk-free rate 5 would be 500% a year; give 0.05"):
        excess_returns(r, 5.0, frequency)
    assert annual_to_periodic(1.0, frequency) == pytest.approx(2 ** (1 / p) - 1)


def test_excess_returns_per_period_series():
    px = random_prices(n=40)
    r = prices_to_returns(px).returns
    rf = pd.Series(np.linspace(0.0001, 0.0002, len(r)), index=r.index)
    got = excess_returns(r, rf)
    expected = r.sub(rf, axis=0)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_series_equal(excess_returns(r["A"], rf), (r["A"] - rf).rename("A"))
    # extra dates are fine, missing ones are an error
    longer = pd.concat([rf, pd.Series([0.5], index=[pd.Timestamp("2030-01-01")])])
    pd.testing.assert_frame_equal(excess_returns(r, longer), expected)
    with pytest.raises(InputError, match=f"lacks 2 return date.*first {r.index[5]:%Y-%m-%d}"):
        excess_returns(r, rf.drop(r.index[[5, 9]]))


def test_series_input_and_name():
    px = random_prices(n=30)
    prep = prices_to_returns(px["A"])
    assert list(prep.returns.columns) == ["A"]
    prep = prices_to_returns(px["A"].rename(None))
    assert list(prep.returns.columns) == ["price"]
