"""Every engine function lines its inputs up by date, whatever their shape, or says why not.

The benchmark is handed over as a Series, a one-column DataFrame, in reverse order, with a time
zone, or on fewer dates; each must give the numbers of the plainly aligned Series, computed here
with ``numpy.polyfit`` and pandas' own rolling/ewm statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.engine import (
    ewma_beta,
    hedged_returns,
    ols,
    out_of_sample_effectiveness,
    regress_many,
    rolling_beta,
    rolling_ols_betas,
)
from betahedge_xl.exceptions import InputError, NoOverlapError


def pair(t: int = 200, seed: int = 4) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2014-01-02", periods=t)
    x = rng.normal(0.0005, 0.01, t)
    y = 0.0002 + 1.3 * x + rng.normal(0, 0.01, t)
    return pd.DataFrame({"AAA": y}, index=days), pd.Series(x, index=days, name="SPY")


def shapes(x: pd.Series) -> dict[str, pd.Series | pd.DataFrame]:
    """The same benchmark in the shapes a user hands over."""
    return {
        "frame": x.to_frame(),
        "reversed frame": x.to_frame().iloc[::-1],
        "reversed series": x.iloc[::-1],
        "new york": x.tz_localize("America/New_York"),
        "utc frame": x.tz_localize("UTC").to_frame(),
    }


@pytest.mark.parametrize("shape", list(shapes(pair()[1])))
def test_regress_many_aligns_every_benchmark_shape_by_date(shape: str) -> None:
    y, x = pair()
    bench = shapes(x)[shape]
    got = regress_many(y, bench)
    assert got.loc["AAA", "n"] == len(y)
    assert got.loc["AAA", "beta"] == pytest.approx(np.polyfit(x, y["AAA"], 1)[0], rel=1e-10)


@pytest.mark.parametrize("shape", list(shapes(pair()[1])))
def test_rolling_and_ewma_betas_align_every_benchmark_shape(shape: str) -> None:
    y, x = pair()
    bench = shapes(x)[shape]
    want = y["AAA"].rolling(40).cov(x) / x.rolling(40).var()
    got = rolling_beta(y, bench, 40)["AAA"]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-8, atol=1e-12)
    ew = lambda s: s.ewm(halflife=20, min_periods=20).mean()  # noqa: E731
    want_ew = (ew(y["AAA"] * x) - ew(y["AAA"]) * ew(x)) / (ew(x * x) - ew(x) ** 2)
    got_ew = ewma_beta(y, bench, 20)["AAA"]
    np.testing.assert_allclose(got_ew.to_numpy(), want_ew.to_numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("shape", list(shapes(pair()[1])))
def test_rolling_ols_and_hedge_align_by_date(shape: str) -> None:
    y, x = pair()
    bench = shapes(x)[shape]
    want = y["AAA"].rolling(40).cov(x) / x.rolling(40).var()
    got = rolling_ols_betas(y["AAA"], bench, 40).iloc[:, 0]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(hedged_returns(y["AAA"], bench, 1.5).to_numpy(),
                               (y["AAA"] - 1.5 * x).to_numpy(), rtol=1e-12)
    assert ols(y["AAA"], bench).beta == pytest.approx(np.polyfit(x, y["AAA"], 1)[0], rel=1e-10)
    oos = out_of_sample_effectiveness(y["AAA"], bench, 0.5)
    assert oos.betas.iloc[0] == pytest.approx(np.polyfit(x[:100], y["AAA"][:100], 1)[0],
                                              rel=1e-10)


def test_benchmark_on_fewer_dates_is_matched_by_date() -> None:
    y, x = pair()
    short = x.iloc[::2]  # every other date
    got = regress_many(y, short.to_frame())
    both = y["AAA"].loc[short.index]
    assert got.loc["AAA", "n"] == len(short)
    assert got.loc["AAA", "beta"] == pytest.approx(np.polyfit(short, both, 1)[0], rel=1e-10)


def test_mismatched_indexes_are_refused_with_a_message() -> None:
    y, x = pair()
    numbered = x.reset_index(drop=True)  # positions, not dates: nothing to match
    with pytest.raises(NoOverlapError, match="asset and benchmark share no dates"):
        regress_many(y, numbered)
    with pytest.raises(NoOverlapError, match="share no dates"):
        rolling_beta(y, numbered.to_frame(), 20)
    with pytest.raises(NoOverlapError, match="share no dates"):
        rolling_ols_betas(y["AAA"], numbered.to_frame(), 20)
    twice = pd.concat([x, x.iloc[:1]])
    with pytest.raises(InputError, match="benchmark: date 2014-01-02 appears more than once"):
        regress_many(y, twice)


def utc_midnight_shown_in_new_york(s: pd.Series) -> pd.Series:
    """What a provider that stamps days at UTC midnight looks like once shown in New York time:
    19:00 (winter) or 20:00 (summer) of the day before."""
    return s.tz_localize("UTC").tz_convert("America/New_York")


def test_utc_midnight_shown_in_another_zone_keeps_the_day_meant() -> None:
    from betahedge_xl._dates import local_days

    days = pd.DatetimeIndex(["2014-01-31", "2014-07-01", "2014-12-31"])
    shown = days.tz_localize("UTC").tz_convert("America/New_York")
    assert list(shown.hour) == [19, 20, 19]  # the day before, local time
    assert list(local_days(shown)) == list(days)
    # A close stamped 16:00 in New York keeps its New York date.
    closes = (days + pd.Timedelta(hours=16)).tz_localize("America/New_York")
    assert list(local_days(closes)) == list(days)


@pytest.mark.parametrize("legs", ["both", "asset"])
def test_monthly_beta_of_utc_stamped_prices_shown_in_new_york(legs: str) -> None:
    import betahedge_xl as bh

    rng = np.random.default_rng(11)
    days = pd.bdate_range("2013-12-02", "2015-01-30")
    x = rng.normal(0.0004, 0.01, len(days))
    y = 1.8 * x + rng.normal(0, 0.02, len(days))
    asset = pd.Series(100 * np.cumprod(1 + y), days, name="TSLA")
    bench = pd.Series(180 * np.cumprod(1 + x), days, name="SPY")
    plain = bh.beta_hedge(asset, bench, "2014-01-01", "2015-01-01", frequency="monthly",
                          rolling_window=3)
    shown_bench = utc_midnight_shown_in_new_york(bench) if legs == "both" else bench
    res = bh.beta_hedge(utc_midnight_shown_in_new_york(asset), shown_bench, "2014-01-01",
                        "2015-01-01", frequency="monthly", rolling_window=3)
    month_ends = asset.loc["2014"].groupby(asset.loc["2014"].index.to_period("M")).tail(1)
    assert list(res.prices.index) == list(month_ends.index)
    r = month_ends.pct_change().dropna()
    b = bench.loc[month_ends.index].pct_change().dropna()
    assert res.beta == pytest.approx(np.polyfit(b, r, 1)[0], rel=1e-9)
    assert res.beta == pytest.approx(plain.beta, rel=1e-12)


def test_evening_stamps_without_a_time_zone_are_refused() -> None:
    import betahedge_xl as bh

    a, spy = (s.iloc[:, 0] if isinstance(s, pd.DataFrame) else s for s in pair())
    prices = (100 * (1 + a).cumprod()).rename("AAA")
    bench = (100 * (1 + spy).cumprod()).rename("SPY")
    dropped_zone = utc_midnight_shown_in_new_york(prices).tz_localize(None)  # 19:00 / 20:00
    with pytest.raises(InputError, match="dates stamped at 19:00 without a time zone .*give "
                                         "the time zone"):
        bh.beta_hedge(dropped_zone, bench)
    # A 16:00 close without a zone keeps its date.
    closes = prices.set_axis(prices.index + pd.Timedelta(hours=16))
    res = bh.beta_hedge(closes, bench)
    assert list(res.prices.index) == list(prices.index)


@pytest.mark.parametrize("shape", ["frame", "reversed frame", "reversed series", "new york"])
def test_estimators_align_every_benchmark_shape(shape: str) -> None:
    from betahedge_xl.engine.estimators import dimson_betas, downside_beta, ols_betas

    y, x = pair()
    bench = shapes(x)[shape]
    assert ols_betas(y, bench)["AAA"] == pytest.approx(np.polyfit(x, y["AAA"], 1)[0],
                                                      rel=1e-10)
    assert dimson_betas(y, bench)["AAA"] == pytest.approx(dimson_betas(y, x)["AAA"], rel=1e-12)
    down = x < 0
    assert downside_beta(y, bench)["AAA"] == pytest.approx(
        np.polyfit(x[down], y["AAA"][down], 1)[0], rel=1e-10)
    with pytest.raises(InputError, match="missing values"):  # fewer dates: refused, not shifted
        ols_betas(y, x.iloc[::2])


def _same(a: object, b: object) -> None:
    """Equal numbers on equal labels (Series, DataFrame, dict of them or plain floats)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (pd.Series, pd.DataFrame)):
        assert isinstance(b, type(a))
        assert a.index.equals(b.index)
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   rtol=1e-9, atol=1e-13)
    else:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-13)


def _engine_calls() -> dict[str, object]:
    from betahedge_xl.engine import apply_hedge
    from betahedge_xl.engine import estimators as es

    def wf(y: pd.DataFrame, x: pd.Series) -> dict[str, object]:
        out = es.walk_forward(y, x, window=40, estimators=["ols", "ewma"])
        return {"betas": es.hedged_betas(out), "table": es.backtest_table(out)}

    return {
        "rolling_beta": lambda y, x: rolling_beta(y, x, 40),
        "ewma_beta": lambda y, x: ewma_beta(y, x, 20),
        "regress_many": regress_many,
        "rolling_ols_betas": lambda y, x: rolling_ols_betas(y["AAA"], x, 40),
        "hedged_returns": lambda y, x: hedged_returns(y["AAA"], x, 1.5),
        "ols": lambda y, x: ols(y["AAA"], x).params,
        "apply_hedge": lambda y, x: apply_hedge(y["AAA"], x, ols(y["AAA"], x)).hedged,
        "out_of_sample": lambda y, x: out_of_sample_effectiveness(y["AAA"], x, 0.5).betas,
        "ewma_betas": es.ewma_betas,
        "dimson_betas": es.dimson_betas,
        "ols_betas": es.ols_betas,
        "vasicek_betas": es.vasicek_betas,
        "downside_beta": es.downside_beta,
        "up_capture": es.up_capture,
        "market_moves": lambda y, x: es.market_moves(y["AAA"], x),
        "walk_forward": wf,
    }


@pytest.mark.parametrize("order", ["asset reversed", "both reversed", "shuffled"])
@pytest.mark.parametrize("name", list(_engine_calls()))
def test_inputs_out_of_date_order_give_the_chronological_numbers(name: str, order: str) -> None:
    # Newest-first returns (a common download order) must not be read as oldest-first: a
    # rolling window, an EWMA weight or a lag would otherwise be built from later days.
    y, x = pair()
    call = _engine_calls()[name]
    want = call(y, x)
    rows = {
        "asset reversed": np.arange(len(y))[::-1],
        "both reversed": np.arange(len(y))[::-1],
        "shuffled": np.random.default_rng(7).permutation(len(y)),
    }[order]
    bench = x if order == "asset reversed" else x.iloc[rows]
    _same(call(y.iloc[rows], bench), want)


def test_an_array_benchmark_follows_a_reversed_dated_asset() -> None:
    # A plain array is read by the asset's rows as handed over: sorting the asset by date
    # puts the array in the same order, so the pairs stay the pairs.
    y, x = pair()
    want = rolling_beta(y, x, 40)
    _same(rolling_beta(y.iloc[::-1], x.to_numpy()[::-1], 40), want)
    _same(regress_many(y.iloc[::-1], x.to_numpy()[::-1]), regress_many(y, x))


def test_rolling_ols_betas_on_arrays_of_unequal_length_is_an_input_error() -> None:
    y, x = pair()
    a, b = y["AAA"].to_numpy(), x.to_numpy()[:-5].reshape(-1, 1)
    with pytest.raises(InputError, match="benchmark has 195 returns but assets have 200"):
        rolling_ols_betas(a, b, 40)
    with pytest.raises(InputError, match="benchmark has 195 returns but assets have 200"):
        rolling_beta(a, b[:, 0], 40)  # the same words as rolling_beta


@pytest.mark.parametrize("window", ["x", float("nan"), 40.5, None])
def test_engine_windows_that_are_no_whole_number_are_input_errors(window: object) -> None:
    y, x = pair()
    for call in (rolling_beta, rolling_ols_betas):
        with pytest.raises(InputError, match="window: expected a whole number"):
            call(y["AAA"], x, window)
