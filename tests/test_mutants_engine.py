"""Engine behaviours that small code changes used to break unnoticed (issue 25).

Each test names the change it guards against; every expected value is re-derived here with
``np.linalg.lstsq``, a plain loop or pandas, never read back from the code under test.

Changes judged equivalent (no test can tell them apart, so none is written):

- ``many._regress_sums``: the gap test ``n_missing > first`` -> ``n_missing >= first``. An asset
  whose only missing dates precede its first value then takes the masked-product path instead
  of the running sums from its first date; both are exact sums of the same terms, so the
  results differ only in the last bits (checked against per-asset OLS either way).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.engine import ols, regress_many, rolling_beta
from betahedge_xl.engine.estimators import downside_beta, upside_beta, walk_forward
from betahedge_xl.exceptions import DataWarning, InputError, InsufficientDataError


def prices(returns: np.ndarray, index: pd.DatetimeIndex, name: str) -> pd.Series:
    return pd.Series(100.0 * np.cumprod(1.0 + returns), index=index, name=name)


def slope(y: np.ndarray, x: np.ndarray, w: np.ndarray | None = None) -> float:
    """(Weighted) least-squares slope of y on a constant and x, by lstsq."""
    design = np.column_stack([np.ones(len(x)), x])
    if w is not None:
        s = np.sqrt(w)
        design, y = design * s[:, None], y * s
    return float(np.linalg.lstsq(design, y, rcond=None)[0][1])


# --------------------------------------------------------------------------------------------
# ols
# --------------------------------------------------------------------------------------------
def test_correlation_keeps_its_sign_with_one_benchmark():
    """``len(names) == 2`` -> ``== 1`` gave sqrt(R^2): a negative beta with a positive
    correlation."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, 120)
    y = -0.7 * x + rng.normal(0, 0.005, 120)
    r = ols(y, x)
    assert r.beta < 0
    assert r.correlation == pytest.approx(np.corrcoef(y, x)[0, 1], abs=1e-12)
    assert r.correlation < -0.5


def test_infinite_benchmark_return_is_refused():
    """The inf check on the benchmarks dropped: an infinite benchmark return reached the fit."""
    rng = np.random.default_rng(2)
    x = rng.normal(0, 0.01, (60, 2))
    y = x @ [1.0, 0.5] + rng.normal(0, 0.01, 60)
    x[10, 1] = np.inf
    with pytest.raises(InputError, match="infinite"):
        ols(y, x)
    with pytest.raises(InputError, match="infinite"):
        ols(y, x[:, 1])


def test_a_row_missing_one_of_two_benchmarks_is_dropped():
    """Rows dropped only when every benchmark was NaN: a row with one missing kept."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.01, (80, 2))
    y = x @ [1.2, -0.4] + rng.normal(0, 0.01, 80)
    x[[5, 40], 0] = np.nan
    x[60, 1] = np.nan
    with pytest.warns(DataWarning, match="dropped 3 of 80"):
        r = ols(y, x)
    keep = ~np.isnan(x).any(axis=1)
    design = np.column_stack([np.ones(keep.sum()), x[keep]])
    want = np.linalg.lstsq(design, y[keep], rcond=None)[0]
    assert r.nobs == 77
    np.testing.assert_allclose(r.params.to_numpy(), want, atol=1e-12)


def test_a_date_given_twice_is_refused_naming_the_input_that_has_it():
    """Messages name the input whose dates are wrong (asset or benchmark), not the other."""
    idx = pd.bdate_range("2021-01-01", periods=30)
    rng = np.random.default_rng(16)
    x = pd.Series(rng.normal(0, 0.01, 30), idx)
    y = pd.DataFrame({"A": 1.1 * x.to_numpy() + rng.normal(0, 0.01, 30)}, index=idx)
    twice = idx.insert(5, idx[5])
    with pytest.raises(InputError, match=r"^asset: date 2021-01-08 appears more than once"):
        regress_many(pd.DataFrame({"A": np.r_[y["A"].to_numpy(), 0.0]}, index=twice), x)
    with pytest.raises(InputError, match=r"^benchmark: date 2021-01-08 appears more than once"):
        regress_many(y, pd.Series(np.r_[x.to_numpy(), 0.0], index=twice))


def test_out_of_sample_split_on_undated_returns_is_a_fraction_only():
    """Undated returns (arrays) taken for dated ones: a split of 1.5 read as a date."""
    from betahedge_xl.engine import out_of_sample_effectiveness

    rng = np.random.default_rng(18)
    x = rng.normal(0, 0.01, 40)
    y = 0.9 * x + rng.normal(0, 0.01, 40)
    labelled = pd.Series(y, index=range(100, 140)), pd.Series(x, index=range(100, 140))
    for split in (1.5, 0.0):
        for yy, xx in ((y, x), labelled):  # positions, and labels that are not dates
            with pytest.raises(InputError,
                               match=r"give a fraction between 0 and 1 \(0 < split < 1\)$"):
                out_of_sample_effectiveness(yy, xx, split)


# --------------------------------------------------------------------------------------------
# many
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["C", "F"])
def test_regress_many_complete_non_square_panel_counts_dates(order):
    """The row count of a gap-free block taken on the wrong axis (assets, not dates)."""
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.01, 50)
    y = np.asarray(np.outer(x, [0.5, 1.0, 1.5]) + rng.normal(0, 0.01, (50, 3)), order=order)
    got = regress_many(y, x)
    assert list(got["n"]) == [50, 50, 50]
    for j in range(3):
        design = np.column_stack([np.ones(50), x])
        coef, ssr = np.linalg.lstsq(design, y[:, j], rcond=None)[:2]
        s2 = ssr[0] / 48
        se = np.sqrt(s2 * np.diag(np.linalg.inv(design.T @ design)))
        row = got.iloc[j]
        assert row["beta"] == pytest.approx(coef[1], abs=1e-12)
        assert row["alpha"] == pytest.approx(coef[0], abs=1e-12)
        assert row["beta_se"] == pytest.approx(se[1], rel=1e-9)
        assert row["resid_std"] == pytest.approx(np.sqrt(s2), rel=1e-9)


def test_regress_many_benchmark_flat_on_an_assets_dates_gives_nan_not_a_huge_beta():
    """The flat-benchmark threshold ``vxx > 1e-12 sxx`` -> ``vxx > 0``: a benchmark constant on
    an asset's dates (rounding noise only) gave a beta of ~1e13."""
    rng = np.random.default_rng(5)
    t = 60
    x = rng.normal(0, 0.01, t)
    x[30:] = 0.1 / 3.0  # constant, and not exactly representable: centring leaves noise
    y = np.column_stack([0.8 * x + rng.normal(0, 0.01, t), rng.normal(0, 0.01, t)])
    y[:30, 1] = np.nan  # the second asset only has the benchmark's flat dates
    got = regress_many(y, x)
    assert np.isfinite(got.iloc[0]["beta"])
    flat = got.iloc[1]
    assert flat["n"] == 30
    assert np.isnan(flat["beta"]) and np.isnan(flat["alpha"])


def test_rolling_beta_with_exactly_one_window_of_data():
    """``t < window`` -> ``t <= window``: a series exactly one window long was refused."""
    rng = np.random.default_rng(6)
    idx = pd.bdate_range("2021-01-01", periods=30)
    x = pd.Series(rng.normal(0, 0.01, 30), idx)
    y = pd.DataFrame({"A": 1.3 * x + rng.normal(0, 0.01, 30)}, index=idx)
    got = rolling_beta(y, x, 30)
    assert got["A"].iloc[:-1].isna().all()
    assert got["A"].iloc[-1] == pytest.approx(slope(y["A"].to_numpy(), x.to_numpy()), abs=1e-12)


def test_regress_many_needs_three_observations_and_no_more():
    """``n < 3`` moved by one: an asset with 3 dates refused, or one with 2 given a beta."""
    rng = np.random.default_rng(12)
    x = rng.normal(0, 0.01, 40)
    y = np.column_stack([0.9 * x + rng.normal(0, 0.01, 40) for _ in range(2)])
    y[3:, 0] = np.nan   # three dates
    y[2:, 1] = np.nan   # two dates
    got = regress_many(y, x)
    assert list(got["n"]) == [3, 2]
    assert got.iloc[0]["beta"] == pytest.approx(slope(y[:3, 0], x[:3]), abs=1e-10)
    assert got.iloc[1].drop("n").isna().all()


def test_regress_many_and_walk_forward_betas_scale_with_the_benchmark():
    """The flatness test is relative (``vxx > 1e-12 sxx``): a benchmark in tiny units (returns
    of ~1e-8) is not flat, and its betas are the usual ones times 1e6."""
    rng = np.random.default_rng(13)
    idx = pd.bdate_range("2020-01-01", periods=120)
    x = rng.normal(0, 0.01, 120)
    y = 1.2 * x + rng.normal(0, 0.01, 120)
    small = x * 1e-6
    assert regress_many(y[:, None], small).iloc[0]["beta"] == pytest.approx(
        slope(y, x) * 1e6, rel=1e-9)
    wf = walk_forward(pd.Series(y, idx, name="A"), pd.Series(small, idx, name="B"), window=40,
                      estimators="ols,ewma")
    for end, ratio in wf.ratios["ols"]["A"].items():
        e = idx.get_loc(end)
        assert ratio == pytest.approx(slope(y[e - 39:e + 1], x[e - 39:e + 1]) * 1e6, rel=1e-9)
    assert np.isfinite(wf.ratios["ewma"].to_numpy()).all()


def test_rolling_beta_refuses_fewer_returns_than_a_window():
    rng = np.random.default_rng(14)
    x = rng.normal(0, 0.01, 29)
    with pytest.raises(InsufficientDataError, match="30-period rolling beta: 29"):
        rolling_beta(x[:, None] * 2, x, 30)
    assert rolling_beta(x[:, None] * 2, x, 20).iloc[19:].to_numpy() == pytest.approx(2.0)


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------
def test_walk_forward_flat_benchmark_window_gives_nan_ratios():
    """The flat-window check skipped: a benchmark growing at a constant rate (its returns equal
    up to rounding) gave hedge ratios of +/-1e15."""
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2020-01-01", periods=160)
    x = rng.normal(0, 0.01, 160)
    x[:70] = 0.1 / 3.0 / 100  # constant; centring leaves only rounding noise
    y = 1.5 * x + rng.normal(0, 0.01, 160)
    wf = walk_forward(pd.Series(y, idx, name="A"), pd.Series(x, idx, name="B"), window=40)
    flat_ends = [d for d in wf.rebalance_dates if idx.get_loc(d) < 70]
    assert flat_ends, "the data must put a rebalance inside the flat stretch"
    for name, r in wf.ratios.items():
        assert r.loc[flat_ends].isna().all().all(), name
        later = r.drop(flat_ends)
        assert np.isfinite(later.to_numpy()).all() and (later.abs() < 5).all().all(), name


def test_conditional_betas_leave_out_days_the_benchmark_did_not_move():
    """``x < 0`` -> ``x <= 0``: zero benchmark returns counted as down (or up) days."""
    rng = np.random.default_rng(8)
    x = rng.normal(0, 0.01, 200)
    x[::4] = 0.0
    y = np.where(x < 0, 1.6, 0.6) * x + rng.normal(0, 0.002, 200)
    y[x == 0] = rng.normal(0, 0.05, int((x == 0).sum()))  # days without a move: noise only
    down, up = x < 0, x > 0
    assert downside_beta(y, x).iloc[0] == pytest.approx(slope(y[down], x[down]), abs=1e-12)
    assert upside_beta(y, x).iloc[0] == pytest.approx(slope(y[up], x[up]), abs=1e-12)


def test_first_rebalance_on_the_first_full_window_day():
    """``ends >= window - 1`` -> ``ends > window - 1``: a month ending on the first day with a
    full window was skipped."""
    rng = np.random.default_rng(9)
    idx = pd.bdate_range("2020-01-01", periods=200)
    x = rng.normal(0, 0.01, 200)
    y = 1.1 * x + rng.normal(0, 0.01, 200)
    ra, rb = pd.Series(y, idx, name="A"), pd.Series(x, idx, name="B")
    window = idx.get_loc(pd.Timestamp("2020-03-31")) + 1
    wf = walk_forward(ra, rb, window=window, estimators="ols")
    assert wf.rebalance_dates[0] == pd.Timestamp("2020-03-31")
    assert wf.ratios["ols"].iloc[0, 0] == pytest.approx(slope(y[:window], x[:window]),
                                                        abs=1e-12)
    assert wf.hedged["ols"].index[0] == pd.Timestamp("2020-04-01")


@pytest.mark.parametrize("cost", [float("nan"), float("inf"), -1.0])
def test_walk_forward_refuses_a_cost_that_is_not_a_number_of_bp(cost):
    idx = pd.bdate_range("2020-01-01", periods=80)
    x = pd.Series(np.random.default_rng(17).normal(0, 0.01, 80), idx, name="B")
    with pytest.raises(InputError, match="cost_bps must be zero or positive"):
        walk_forward(x.rename("A") * 2, x, window=20, cost_bps=cost)


def test_the_last_day_is_never_a_rebalance():
    """``ends < t - 1`` loosened: a series ending on a month's last day rebalanced on it,
    setting a ratio no day is hedged with."""
    rng = np.random.default_rng(15)
    idx = pd.bdate_range("2020-01-01", "2020-06-30")
    n = len(idx)
    x = rng.normal(0, 0.01, n)
    ra = pd.Series(0.7 * x + rng.normal(0, 0.01, n), idx, name="A")
    rb = pd.Series(x, idx, name="B")
    wf = walk_forward(ra, rb, window=40, estimators="ols")
    month_ends = [idx[idx.to_period("M") == p][-1] for p in idx.to_period("M").unique()]
    want = [d for d in month_ends if idx.get_loc(d) >= 39 and d != idx[-1]]
    assert list(wf.rebalance_dates) == want
    assert wf.hedged["ols"].index[-1] == idx[-1]


# --------------------------------------------------------------------------------------------
# backtesting (the user's face)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_series():
    rng = np.random.default_rng(10)
    idx = pd.bdate_range("2019-01-01", periods=260)
    x = rng.normal(0.0003, 0.01, 260)
    y = 1.4 * x + rng.normal(0, 0.012, 260)
    return prices(y, idx, "A"), prices(x, idx, "B")


def test_backtest_uses_the_users_halflife(two_series):
    """The user's ``halflife`` ignored (the default window / 4 used instead)."""
    a, b = two_series
    res = bh.backtest(a, b, window=60, estimators="ewma", halflife=7)
    assert res.halflife == 7 and res.to_dict()["ewma_halflife"] == 7
    r = pd.concat([a, b], axis=1).pct_change().iloc[1:]
    ages = np.arange(59, -1, -1)
    for day, got in res.ratios["ewma"].items():
        e = r.index.get_loc(day)
        w = r.iloc[e - 59:e + 1]
        want = slope(w["A"].to_numpy(), w["B"].to_numpy(), 0.5 ** (ages / 7))
        assert got == pytest.approx(want, abs=1e-10)
    default = bh.backtest(a, b, window=60, estimators="ewma")
    assert default.halflife == 15
    assert not np.allclose(default.ratios["ewma"], res.ratios["ewma"])


def test_cumulative_starts_the_day_before_and_compounds(two_series):
    """``cumulative()`` repeated the first hedged date for its starting 1.0."""
    a, b = two_series
    res = bh.backtest(a, b, window=60, estimators="ols,ewma")
    cum = res.cumulative()
    assert cum.index.is_unique and cum.index.is_monotonic_increasing
    assert cum.index[0] < res.returns.index[0] and list(cum.index[1:]) == list(res.returns.index)
    assert (cum.iloc[0] == 1.0).all()
    want_asset = np.cumprod(1.0 + res.returns["A"].to_numpy())
    np.testing.assert_allclose(cum["A"].iloc[1:], want_asset, rtol=1e-12)
    np.testing.assert_allclose(cum["ols"].iloc[1:], np.cumprod(1.0 + res.hedged["ols"]),
                               rtol=1e-12)


def test_to_dict_is_valid_json_when_a_metric_is_undefined():
    """``to_dict`` emitted NaN (invalid JSON) when a metric has no value: a benchmark flat
    through the first windows leaves every metric undefined."""
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2020-01-01", periods=160)
    x = rng.normal(0, 0.01, 160)
    x[:70] = 0.0
    y = 1.5 * x + rng.normal(0, 0.01, 160)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the flat prices are reported as stale
        res = bh.backtest(prices(y, idx, "A"), prices(x, idx, "B"), window=40)
    assert res.table.isna().any().any()
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    for name, row in res.table.iterrows():
        # the "no hedge" row (issue 21) is the JSON's "no_hedge", beside the estimators
        got = d["no_hedge"] if name == "no hedge" else d["estimators"][name]
        for metric, v in row.items():
            assert got[metric] == (None if np.isnan(v) else v)
    for name, row in res.hedged_betas.iterrows():
        for bench, v in row.items():
            assert d["hedged_betas"][name][bench] == (None if np.isnan(v) else v)


# --------------------------------------------------------------------------------------------
# a second sample of mutants (issue 25, tools/mutate.py): ols, periods, returns, sizing
# --------------------------------------------------------------------------------------------
def test_a_benchmark_in_tiny_units_is_not_called_constant():
    """The constant-regressor check scaled by each row's largest benchmark (``axis=0`` ->
    ``axis=1``): a benchmark quoted in tiny units beside one in ordinary units was refused as
    constant. Rescaling a benchmark rescales its beta and leaves the other's unchanged."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 0.01, (200, 2))
    y = x @ [1.0, 0.5] + rng.normal(0, 0.005, 200)
    tiny = x * [1.0, 1e-14]
    want = np.linalg.lstsq(np.column_stack([np.ones(200), x]), y, rcond=None)[0][1:]
    got = ols(y, tiny).betas.to_numpy()
    np.testing.assert_allclose(got * [1.0, 1e-14], want, rtol=1e-9)
    assert got[1] > 1e13


def test_risk_free_message_names_the_date_of_a_series_only():
    """``dates is not None and len(values) > 1`` changed: a constant rate was said to be wrong
    "on" the first date, or the date of a bad value in a series was not named (or the message
    failed for a series without dates)."""
    from betahedge_xl.engine.periods import risk_free_per_period

    days = pd.bdate_range("2020-01-01", periods=4)
    with pytest.raises(InputError, match=r"^risk-free 5 on 2020-01-03 read as annual"):
        risk_free_per_period([0.01, 0.02, 5.0, 0.01], "annual", "daily", dates=days)
    with pytest.raises(InputError, match=r"^risk-free 5 on 2020-01-02 read as annual"):
        risk_free_per_period([0.01, 5.0], "annual", "daily", dates=days[:2])
    for values, dates in ((5.0, days), ([5.0], days[:1]), ([0.01, 5.0], None)):
        with pytest.raises(InputError, match=r"^risk-free 5 read as annual") as err:
            risk_free_per_period(values, "annual", "daily", dates=dates)
        assert " on " not in str(err.value)


@pytest.mark.parametrize("value, unit, hint", [
    # 100 read as annual% is exactly 100% a year: the top of the range is plausible
    (100.0, "annual", "is it risk_free_unit='annual%'?"),
    # -50 read as annual% is exactly -50% a year: the bottom is not (the range is (-50%, 100%])
    (-50.0, "annual", "give 0.05 for 5% a year"),
    (-0.5, "annual", "is it risk_free_unit='annual%'?"),
])
def test_risk_free_unit_hint_at_the_edges_of_the_range(value, unit, hint):
    """``lo < a <= hi`` in the unit hint moved to ``<=``/``<``: a unit suggested that the check
    itself would refuse, or one it accepts not suggested. Each hint is checked by passing the
    value in the suggested unit."""
    from betahedge_xl.engine.periods import RF_ANNUAL_RANGE, risk_free_per_period

    with pytest.raises(InputError) as err:
        risk_free_per_period(value, unit, "daily")
    assert str(err.value).endswith(hint)
    lo, hi = RF_ANNUAL_RANGE
    if "annual%" in hint:  # the suggestion is accepted, and means what it says
        got = risk_free_per_period(value, "annual%", "daily")
        assert got == pytest.approx((1 + value / 100) ** (1 / 252) - 1, rel=1e-12)
    else:
        assert not lo < value / 100 <= hi


def test_infinite_price_names_the_first_column_that_has_one():
    """The column named for an infinite price taken from rows instead of columns, from the last
    such column, or only from a column infinite throughout."""
    from betahedge_xl.engine.returns import check_prices
    from betahedge_xl.exceptions import PriceError

    idx = pd.bdate_range("2020-01-01", periods=5)
    frame = pd.DataFrame({"AAA": 10.0 + np.arange(5), "BBB": 20.0 + np.arange(5),
                          "CCC": 30.0 + np.arange(5)}, index=idx)
    one = frame.copy()
    one.iloc[3, 1] = np.inf
    with pytest.raises(PriceError, match=r"^BBB: infinite price$"):
        check_prices(one)
    two = frame.copy()
    two.iloc[0, 1] = np.inf
    two.iloc[4, 2] = -np.inf
    with pytest.raises(PriceError, match=r"^BBB: infinite price$"):
        check_prices(two)


def test_prepared_returns_cannot_be_edited_in_place():
    """``@dataclass(frozen=True)`` -> ``frozen=False``: a caller could replace the returns of a
    result whose facts (dropped rows, frequency) then no longer describe them."""
    import dataclasses

    from betahedge_xl.engine.returns import prices_to_returns

    idx = pd.bdate_range("2020-01-01", periods=6)
    prep = prices_to_returns(pd.DataFrame({"A": [1.0, 2, 3, 4, 5, 6]}, index=idx))
    with pytest.raises(dataclasses.FrozenInstanceError):
        prep.frequency = "monthly"  # type: ignore[misc]
    assert prep.frequency == "daily"


def test_hedge_of_two_to_the_53_units_is_refused_and_one_below_the_float_limit_is_sized():
    """``abs(exact) >= MAX_UNITS`` -> ``>``, or the check turned to ``exact >= MAX_UNITS``:
    a hedge of 2**53 units (long or short), past which a float no longer holds every whole
    number, was sized instead of refused."""
    from betahedge_xl.engine.sizing import hedge_size

    for value in (2.0**53, -(2.0**53)):
        with pytest.raises(InputError, match="hedge too large to size"):
            hedge_size(1.0, value, 1.0, 1.0)
    h = hedge_size(1.0, -(2.0**40 + 1), 1.0, 1.0)  # a short position: a long hedge
    assert h.units == -(2**40 + 1)


def test_rolling_beta_se_is_nan_where_one_of_two_benchmarks_is_flat():
    """The flat-window scale taken from the smaller benchmark's spread (``max`` -> ``min``):
    a window where one benchmark barely moves (jitter at 1e-12) got a standard error from a
    near-singular design instead of NaN; windows where both move keep lstsq's value."""
    from betahedge_xl.engine.partial import rolling_beta_se

    rng = np.random.default_rng(8)
    n, w = 120, 40
    idx = pd.bdate_range("2020-01-01", periods=n)
    a = rng.normal(0, 0.01, n)
    b = rng.normal(0, 0.01, n)
    b[:60] = 0.001 + rng.normal(0, 1e-12, 60)  # flat in the first 60 days
    y = 0.9 * a + 0.4 * b + rng.normal(0, 0.005, n)
    x = pd.DataFrame({"A": a, "B": b}, index=idx)
    got = rolling_beta_se(pd.Series(y, index=idx), x, w)
    assert got.iloc[w - 1:60].isna().all().all()  # every window inside the flat stretch
    end = n - 1  # a window where both move: the classical standard errors, by hand
    d = np.column_stack([np.ones(w), a[end - w + 1:], b[end - w + 1:]])
    coef, ssr = np.linalg.lstsq(d, y[end - w + 1:], rcond=None)[:2]
    cov = ssr[0] / (w - 3) * np.linalg.inv(d.T @ d)
    np.testing.assert_allclose(got.iloc[end].to_numpy(), np.sqrt(np.diag(cov))[1:], rtol=1e-8)


def test_a_gross_weight_of_exactly_twenty_is_accepted_above_it_refused():
    """``gross > MAX_GROSS_FRACTION`` -> ``>=``: a book at exactly 20x gross (the documented
    limit is "above") was refused."""
    from betahedge_xl.engine.portfolio import MAX_GROSS_FRACTION, book_weights
    from betahedge_xl.exceptions import HoldingsError

    w, _ = book_weights(["A", "B"], [10.5, -9.5])
    assert float(w.abs().sum()) == MAX_GROSS_FRACTION == 20.0
    assert list(w) == [10.5, -9.5]
    with pytest.raises(HoldingsError, match="gross 20.2"):
        book_weights(["A", "B"], [10.6, -9.6])


def test_a_hedge_without_an_instrument_names_none_in_json():
    """``self.instrument or None`` -> ``self.instrument``: the JSON of a hedge sized without a
    named instrument said ``"instrument": ""`` instead of null."""
    from betahedge_xl.engine.sizing import hedge_size

    h = hedge_size(1.2, 1_000_000, 5_000, "ES")
    assert json.loads(json.dumps(h.to_dict()))["instrument"] is None
    named = hedge_size(1.2, 1_000_000, 5_000, "ES", instrument="ES")
    assert named.to_dict()["instrument"] == "ES"
