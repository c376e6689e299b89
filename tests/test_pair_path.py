"""One pair's array path (issue 14): the shortcuts it takes give statsmodels' and pandas' numbers.

``beta_hedge`` carries prices and returns as arrays (``engine.Table``), regresses the hedged
series on the fit's own design, estimates the out-of-sample betas alone and builds frames only
when read. Each shortcut is compared here with the long way computed independently.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import betahedge_xl as bh
from betahedge_xl import engine as eng
from betahedge_xl.exceptions import DataWarning, InsufficientDataError, PriceError


def returns(n: int = 260, k: int = 1, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0004, 0.01, (n, k))
    y = 0.0003 + x @ np.linspace(1.4, 0.4, k) + rng.normal(0, 0.012, n)
    return y, x


def prices(n: int = 300, seed: int = 5) -> tuple[pd.Series, pd.Series]:
    y, x = returns(n, 1, seed)
    dates = pd.bdate_range("2018-01-02", periods=n + 1)
    pa = pd.Series(50 * np.cumprod(np.r_[1.0, 1 + y]), index=dates, name="AAA")
    pb = pd.Series(300 * np.cumprod(np.r_[1.0, 1 + x[:, 0]]), index=dates, name="BBB")
    return pa, pb


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("cov", ["nonrobust", "HAC"])
def test_verification_on_the_fits_design_equals_statsmodels(k: int, cov: str) -> None:
    """The hedged series regressed on the design the fit already built: every statistic as a
    fresh statsmodels regression of the hedged returns."""
    y, x = returns(k=k)
    fit = eng.fit_arrays(y, x, [f"b{j}" for j in range(k)], cov_type=cov, maxlags=4)
    check = eng.apply_hedge(y, x, fit)
    hedged = y - x @ fit.estimates[1:]
    kw = {"cov_type": "HAC", "cov_kwds": {"maxlags": 4}} if cov == "HAC" else {}
    ref = sm.OLS(hedged, sm.add_constant(x)).fit(**kw)
    v = check.verification
    np.testing.assert_allclose(v.params.to_numpy(), ref.params, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(v.bse.to_numpy(), ref.bse, rtol=1e-9)
    np.testing.assert_allclose(v.tvalues.to_numpy()[0], ref.tvalues[0], rtol=1e-9)
    if cov == "nonrobust":  # statsmodels' HAC p-values are normal, ours Student's t (README)
        np.testing.assert_allclose(v.pvalues.to_numpy()[0], ref.pvalues[0], rtol=1e-9)
    np.testing.assert_allclose(v.resid.to_numpy(), ref.resid, atol=1e-15)
    assert abs(v.rsquared - ref.rsquared) < 1e-12 and v.nobs == ref.nobs
    assert np.abs(v.estimates[1:]).max() < 1e-12
    np.testing.assert_array_equal(check.hedged.to_numpy(), hedged)
    assert check.effectiveness == pytest.approx(1 - np.var(hedged, ddof=1) / np.var(y, ddof=1),
                                                rel=1e-12)
    # Other benchmarks than the fit's: a regression of its own, not the fit's design.
    other = x + 0.001
    again = eng.apply_hedge(y, other, fit).verification
    ref2 = sm.OLS(y - other @ fit.estimates[1:], sm.add_constant(other)).fit(**kw)
    np.testing.assert_allclose(again.params.to_numpy(), ref2.params, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(again.bse.to_numpy(), ref2.bse, rtol=1e-9)


def test_verification_with_missing_rows_is_its_own_regression() -> None:
    """A fit that dropped rows does not lend its design: the hedged series (NaN on those rows)
    is regressed on its complete rows, as statsmodels does after dropping them."""
    y, x = returns()
    y[[5, 40]] = np.nan
    with pytest.warns(DataWarning, match="dropped 2 of 260"):
        fit = eng.fit_arrays(y, x, ["b"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        v = eng.apply_hedge(y, x, fit).verification
    ok = ~np.isnan(y)
    ref = sm.OLS(y[ok] - x[ok] @ fit.estimates[1:], sm.add_constant(x[ok])).fit()
    np.testing.assert_allclose(v.bse.to_numpy(), ref.bse, rtol=1e-9)
    assert v.nobs == 258


def test_out_of_sample_betas_alone_equal_a_fit_and_polyfit() -> None:
    y, x = returns(k=2)
    dates = pd.bdate_range("2019-01-01", periods=len(y)).to_numpy()
    oos = eng.out_of_sample_arrays(y, x, 0.5, dates, ["S", "T"])
    cut = 130
    ref = sm.OLS(y[:cut], sm.add_constant(x[:cut])).fit()
    np.testing.assert_allclose(oos.betas.to_numpy(), ref.params[1:], rtol=1e-12)
    assert list(oos.betas.index) == ["S", "T"]
    hedged = y[cut:] - x[cut:] @ ref.params[1:]
    assert oos.effectiveness == pytest.approx(
        1 - np.var(hedged, ddof=1) / np.var(y[cut:], ddof=1), rel=1e-12)
    assert (oos.estimation_start, oos.test_start) == (pd.Timestamp(dates[0]),
                                                      pd.Timestamp(dates[cut]))
    # The same split from pandas inputs.
    frame = pd.DataFrame(x, index=pd.DatetimeIndex(dates), columns=["S", "T"])
    by_date = eng.out_of_sample_effectiveness(pd.Series(y, index=frame.index), frame, 0.5)
    pd.testing.assert_series_equal(by_date.betas, oos.betas)
    assert by_date.effectiveness == pytest.approx(oos.effectiveness, rel=1e-14)
    one = eng.slopes_arrays(y[:cut], x[:cut, :1], ["S"])
    assert one[0] == pytest.approx(np.polyfit(x[:cut, 0], y[:cut], 1)[0], rel=1e-12)


def test_series_on_clean_dates_and_the_general_path_give_the_same_result() -> None:
    """A float Series on sorted plain dates is read without a DataFrame; the same prices as
    a one-column frame, as integers or in reverse order take the general path: one result."""
    pa, pb = prices()
    fast = bh.beta_hedge(pa, pb, "2018-02-01", "2019-01-01")
    for a in (pa.to_frame(), pa.iloc[::-1]):
        slow = bh.beta_hedge(a, pb, "2018-02-01", "2019-01-01")
        assert slow.to_dict() == fast.to_dict()
    cents = (pa * 100).round().astype("int64")  # whole cents: an int Series, the general path
    assert bh.beta_hedge(cents, pb).to_dict() == bh.beta_hedge(cents.astype(float), pb).to_dict()
    r = pd.concat([pa, pb], axis=1).loc["2018-02-01":"2018-12-31"].pct_change().dropna()
    pd.testing.assert_frame_equal(fast.returns, r, check_freq=False, check_names=False,
                                  rtol=1e-14)
    ref = sm.OLS(r["AAA"], sm.add_constant(r["BBB"])).fit()
    assert fast.beta == pytest.approx(ref.params["BBB"], rel=1e-12)
    assert fast.alpha_p == pytest.approx(ref.pvalues["const"], rel=1e-10)
    # The input is untouched and not shared with the result's frames.
    before = pa.copy()
    fast.prices.iloc[0, 0] = -1.0
    pd.testing.assert_series_equal(pa, before)


def test_frames_and_rolling_betas_built_when_read_equal_pandas() -> None:
    pa, pb = prices()
    res = bh.beta_hedge(pa, pb, rolling_window=40)
    assert "rolling_beta" not in res.__dict__  # not computed by the fit
    r = res.returns
    want = r["AAA"].rolling(40).cov(r["BBB"]) / r["BBB"].rolling(40).var()
    np.testing.assert_allclose(res.rolling_beta["BBB"].to_numpy(), want.to_numpy(),
                               rtol=1e-9, equal_nan=True)
    assert res.first_date == pa.index[0] and res.last_date == pa.index[-1]
    assert res.prices.index.equals(pa.index) and list(res.prices.columns) == ["AAA", "BBB"]
    with pytest.raises(bh.InputError, match="at least 3"):
        bh.beta_hedge(pa, pb, rolling_window=2)  # refused at once, not when first read


def test_date_texts_are_read_once_and_refusals_are_not_kept() -> None:
    from betahedge_xl._dates import to_timestamp

    assert to_timestamp(" 2014-01-02 ", "start") == pd.Timestamp("2014-01-02")
    assert to_timestamp("2014-01-02", "start") is to_timestamp("2014-01-02", "start")
    for _ in range(2):
        with pytest.raises(bh.InputError, match="could be 2014-01-02 or 2014-02-01"):
            to_timestamp("01/02/2014", "start")


# --- what a review of the array path found changed (each failed before its fix) -------------
def named_prices() -> tuple[pd.Series, pd.Series]:
    idx = pd.bdate_range("2024-01-01", periods=300, name="Date")
    rng = np.random.default_rng(0)
    b = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, .01, 300))), idx, name="SPY")
    a = (pd.Series(50 * np.exp(np.cumsum(rng.normal(0, .02, 300))), idx) * (b / 100) ** 1.5)
    return a.rename("AAA"), b


def test_the_date_index_keeps_its_name_and_frequency() -> None:
    a, b = named_prices()
    res = bh.beta_hedge(a, b)
    want = a.index[1:]
    for index in (res.returns.index, res.rolling_beta.index, res.hedged_returns.index,
                  res.resid.index, res.hedge.verification.resid.index):
        assert index.name == "Date" and index.equals(want), index
    assert res.returns.index.freq == a.index.freq
    assert res.prices.index.name == "Date" and res.prices.index.freq == a.index.freq
    assert list(res.returns.reset_index().columns) == ["Date", "AAA", "SPY"]


def test_editing_the_returns_in_place_leaves_the_result_alone() -> None:
    a, b = named_prices()
    res = bh.beta_hedge(a, b)
    r = res.returns
    want = r["AAA"].rolling(63).cov(r["SPY"]) / r["SPY"].rolling(63).var()
    r.iloc[:, 1] *= 2  # a notebook scaling the frame it was handed
    np.testing.assert_allclose(res.rolling_beta["SPY"].to_numpy(), want.to_numpy(),
                               rtol=1e-9, equal_nan=True)
    assert res.market_moves == bh.beta_hedge(a, b).market_moves


def test_summary_labels_are_pandas_text() -> None:
    a, b = named_prices()
    table = bh.beta_hedge(a, b).summary()
    assert table["label"].dtype == pd.DataFrame({"label": ["Beta"]})["label"].dtype
    assert table["value"].dtype == object


def test_a_date_in_words_is_read_again_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from betahedge_xl import _dates

    days = iter(pd.to_datetime(["2030-01-01", "2030-01-02", "2030-01-03", "2030-01-04"]))
    monkeypatch.setattr(_dates, "_text_date", lambda text, what, hint: next(days))
    assert _dates.to_timestamp("today") == pd.Timestamp("2030-01-01")
    assert _dates.to_timestamp("today") == pd.Timestamp("2030-01-02")  # the clock moved on
    assert _dates.to_timestamp("1987-06-05") == pd.Timestamp("2030-01-03")
    assert _dates.to_timestamp("1987-06-05") == pd.Timestamp("2030-01-03")  # digits: kept
    with pytest.raises(bh.InputError, match="cannot read ' abc def ' as a date"):
        monkeypatch.setattr(_dates, "_text_date", lambda *a: (_ for _ in ()).throw(ValueError))
        _dates.to_timestamp(" abc def ", "start")


def test_an_infinite_price_is_refused_without_a_numpy_warning() -> None:
    a, b = named_prices()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(PriceError, match="infinite price"):
            bh.beta_hedge(a.where(a.index != a.index[20], np.inf), b)


def test_the_hedge_check_is_labelled_by_the_benchmark_handed_in() -> None:
    a, b = named_prices()
    y, x = a.pct_change().dropna(), b.pct_change().dropna()
    fit = eng.ols(y, x)
    other = (x * 0.5 + 0.001).rename("XLK")
    assert list(eng.apply_hedge(y, other, fit).verification.params.index) == ["const", "XLK"]
    check = eng.apply_hedge(y.to_numpy(), x.to_numpy(), fit)
    assert list(check.verification.params.index) == ["const", "x"]
    assert isinstance(check.verification.resid.index, pd.RangeIndex)


def test_out_of_sample_edges_of_the_engine_function() -> None:
    a, b = named_prices()
    y, x = a.pct_change().dropna(), b.pct_change().dropna()
    with pytest.raises(InsufficientDataError, match="0 to estimate, 0 to test"):
        eng.out_of_sample_effectiveness(y.iloc[:0], x.iloc[:0], 0.5)
    assert list(eng.out_of_sample_effectiveness(y, x.rename(None)).betas.index) == ["x1"]


def test_a_dropped_row_warning_points_at_the_callers_line() -> None:
    y, x = returns()
    y[3] = np.nan
    for fn in (lambda: eng.ols(y, x), lambda: eng.fit_arrays(y, x, ["b"])):
        with pytest.warns(DataWarning, match="dropped 1 of") as caught:
            fn()
        assert caught[0].filename == __file__


def test_results_can_be_replaced_and_pickled() -> None:
    import dataclasses
    import pickle

    a, b = named_prices()
    res = bh.beta_hedge(a, b)
    other = res.prices * 2
    swapped = dataclasses.replace(res, prices=other)
    assert swapped.prices is other and swapped.beta == res.beta
    again = pickle.loads(pickle.dumps(res))
    assert again.to_dict() == res.to_dict()
    pd.testing.assert_frame_equal(again.rolling_beta, res.rolling_beta)
