"""Beta estimators and the walk-forward backtest against independent computations.

The references are written from the textbook definitions with ``numpy.linalg.lstsq`` and
statsmodels, one asset and one window at a time, never through the engine's sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from betahedge_xl.engine import estimators as est
from betahedge_xl.exceptions import InputError, InsufficientDataError


def _panel(t: int = 600, n: int = 4, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2016-01-04", periods=t)
    m = rng.normal(0.0004, 0.01, t)
    # A lagged response so that Dimson's sum differs from the same-day slope.
    lag = np.concatenate(([0.0], m[:-1]))
    betas = np.linspace(0.4, 1.8, n)
    y = 0.0002 + np.outer(m, betas) + 0.3 * lag[:, None] + rng.normal(0, 0.012, (t, n))
    return (pd.DataFrame(y, index=idx, columns=[f"A{i}" for i in range(n)]),
            pd.Series(m, index=idx, name="MKT"))


def _lstsq_slopes(y: np.ndarray, *xs: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(y)), *xs])
    return np.linalg.lstsq(design, y, rcond=None)[0][1:]


# --- each estimator against its textbook formula --------------------------------------------
def test_ols_and_blume_equal_lstsq_slope():
    y, x = _panel(t=80, n=3)
    ols = est.ols_betas(y, x)
    blume = est.blume_betas(y, x)
    for c in y.columns:
        b = _lstsq_slopes(y[c].to_numpy(), x.to_numpy())[0]
        assert ols[c] == pytest.approx(b, abs=1e-12)
        assert blume[c] == pytest.approx(2 / 3 * b + 1 / 3, abs=1e-12)


def test_vasicek_cross_sectional_prior_equals_formula_with_statsmodels_se():
    y, x = _panel(t=60, n=5, seed=3)
    fits = [sm.OLS(y[c].to_numpy(), sm.add_constant(x.to_numpy())).fit() for c in y.columns]
    b = np.array([f.params[1] for f in fits])
    s2 = np.array([f.bse[1] ** 2 for f in fits])
    prior_mean, prior_var = b.mean(), b.var(ddof=1)
    expected = (prior_var * b + s2 * prior_mean) / (prior_var + s2)
    np.testing.assert_allclose(est.vasicek_betas(y, x).to_numpy(), expected, atol=1e-12)
    # Between the estimate and the prior, nearer the prior for a noisier estimate.
    got = est.vasicek_betas(y, x).to_numpy()
    assert np.all((got - b) * (prior_mean - b) >= 0)


def test_vasicek_single_asset_uses_the_documented_default_prior():
    y, x = _panel(t=40, n=1, seed=5)
    fit = sm.OLS(y.iloc[:, 0].to_numpy(), sm.add_constant(x.to_numpy())).fit()
    b, s2 = fit.params[1], fit.bse[1] ** 2
    pv = est.VASICEK_PRIOR_STD ** 2
    expected = (pv * b + s2 * est.VASICEK_PRIOR_MEAN) / (pv + s2)
    assert est.VASICEK_PRIOR_MEAN == 1.0 and est.VASICEK_PRIOR_STD == 0.5
    assert est.vasicek_betas(y, x).iloc[0] == pytest.approx(expected, abs=1e-12)
    own = est.vasicek_betas(y, x, prior=(0.0, 0.1)).iloc[0]
    assert own == pytest.approx((0.01 * b) / (0.01 + s2), abs=1e-12)


@pytest.mark.parametrize("halflife", [None, 5.0, 30.0])
def test_ewma_equals_weighted_least_squares(halflife):
    y, x = _panel(t=50, n=2, seed=7)
    t = len(x)
    h = t / 4 if halflife is None else halflife
    w = 0.5 ** ((t - 1 - np.arange(t)) / h)
    sw = np.sqrt(w)
    for c in y.columns:
        design = np.column_stack([np.ones(t), x.to_numpy()]) * sw[:, None]
        b = np.linalg.lstsq(design, y[c].to_numpy() * sw, rcond=None)[0][1]
        assert est.ewma_betas(y, x, halflife)[c] == pytest.approx(b, abs=1e-12)


def test_dimson_is_the_sum_of_lag_current_lead_slopes_on_inner_dates():
    y, x = _panel(t=70, n=3, seed=9)
    m = x.to_numpy()
    for c in y.columns:
        r = y[c].to_numpy()
        slopes = _lstsq_slopes(r[1:-1], m[:-2], m[1:-1], m[2:])
        assert est.dimson_betas(y, x)[c] == pytest.approx(slopes.sum(), abs=1e-12)
    # The lagged response (0.3) is what the same-day slope misses and Dimson's sum keeps.
    big, _ = _panel(t=5000, n=1, seed=2)
    xb = _panel(t=5000, n=1, seed=2)[1]
    assert est.dimson_betas(big, xb).iloc[0] - est.ols_betas(big, xb).iloc[0] == \
        pytest.approx(0.3, abs=0.05)


def test_downside_upside_betas_and_capture_ratios():
    y, x = _panel(t=300, n=2, seed=11)
    m = x.to_numpy()
    down, up = m < 0, m > 0
    for c in y.columns:
        r = y[c].to_numpy()
        assert est.downside_beta(y, x)[c] == pytest.approx(
            _lstsq_slopes(r[down], m[down])[0], abs=1e-12)
        assert est.upside_beta(y, x)[c] == pytest.approx(
            _lstsq_slopes(r[up], m[up])[0], abs=1e-12)
        # empyrical: annual_return(r[up]) / annual_return(m[up]), compounded growth.
        def annual(v: np.ndarray) -> float:
            growth = 1.0
            for value in v:
                growth *= 1.0 + value
            return growth ** (252 / len(v)) - 1.0

        assert est.up_capture(y, x)[c] == pytest.approx(annual(r[up]) / annual(m[up]),
                                                        rel=1e-12)
        assert est.down_capture(y, x)[c] == pytest.approx(annual(r[down]) / annual(m[down]),
                                                          rel=1e-12)


def test_market_moves_match_the_four_estimators():
    y, x = _panel(t=300, n=1, seed=12)
    r, m = y.iloc[:, 0].to_numpy(), x.to_numpy()
    moves = est.market_moves(r, m, 52)
    assert moves == {
        "downside_beta": est.downside_beta(r, m).iloc[0],
        "upside_beta": est.upside_beta(r, m).iloc[0],
        "up_capture": est.up_capture(r, m, 52).iloc[0],
        "down_capture": est.down_capture(r, m, 52).iloc[0],
    }
    # Log returns: the betas on them, the captures on the simple returns handed beside.
    simple = (np.expm1(r), np.expm1(m))
    logs = est.market_moves(r, m, 252, simple)
    assert logs["downside_beta"] == moves["downside_beta"]
    assert logs["up_capture"] == est.up_capture(*simple).iloc[0]
    assert logs["down_capture"] == est.down_capture(*simple).iloc[0]
    # Too few falling days: NaN, as each estimator gives.
    few = est.market_moves(r[:4], np.array([0.01, -0.01, 0.02, 0.01]))
    assert np.isnan(few["downside_beta"]) and np.isnan(est.downside_beta(
        r[:4], np.array([0.01, -0.01, 0.02, 0.01])).iloc[0])
    with pytest.raises(InputError, match="missing values"):
        est.market_moves(np.array([0.1, np.nan, 0.2, 0.0]), m[:4])


def test_estimators_refuse_bad_input():
    y, x = _panel(t=30, n=2)
    with pytest.raises(InputError, match="unknown estimator 'capm'"):
        est.normalize_estimators("ols, capm")
    assert est.normalize_estimators("OLS, dimson,ols") == ["ols", "dimson"]
    with pytest.raises(InputError, match="several benchmarks"):
        est.ols_betas(y, pd.concat([x, x], axis=1))
    with pytest.raises(InputError, match="missing values"):
        est.ols_betas(y.where(y > -0.03), x)
    with pytest.raises(InputError, match="half-life must be positive"):
        est.ewma_betas(y, x, halflife=0)
    with pytest.raises(InsufficientDataError, match="at least 5"):
        est.ols_betas(y.iloc[:4], x.iloc[:4])
    with pytest.raises(InputError, match="rebalance 'daily' not understood"):
        est.normalize_rebalance("daily")


def test_constant_benchmark_window_gives_nan_not_noise():
    y, x = _panel(t=40, n=2)
    flat = pd.Series(0.001, index=x.index)
    for name in est.ESTIMATORS:
        got = getattr(est, f"{name}_betas")(y, flat)
        assert got.isna().all(), name


# --- walk-forward ---------------------------------------------------------------------------
def test_rebalance_days_are_last_trading_days_from_the_first_full_window():
    y, x = _panel(t=400, n=1)
    y, x = y.drop(y.index[[20, 150]]), x.drop(x.index[[20, 150]])  # holidays
    window = 100
    wf = est.walk_forward(y, x, window=window, estimators="ols")
    idx = y.index
    month_last = pd.Series(idx, index=idx).groupby(idx.to_period("M")).max()
    pos = idx.get_indexer(month_last)
    expected = idx[pos[(pos >= window - 1) & (pos < len(idx) - 1)]]
    assert wf.rebalance_dates.equals(pd.DatetimeIndex(expected))
    assert wf.hedged["ols"].index[0] == idx[idx.get_loc(expected[0]) + 1]
    weekly = est.walk_forward(y, x, window=window, rebalance="weekly", estimators="ols")
    assert all(d.day_of_week <= 4 for d in weekly.rebalance_dates)
    fridays = pd.Series(idx, index=idx).groupby(idx.to_period("W-FRI")).max()
    assert set(weekly.rebalance_dates) <= set(fridays)
    assert len(weekly.rebalance_dates) > 4 * len(wf.rebalance_dates)


def test_walk_forward_ols_equals_a_plain_lstsq_loop_per_rebalance_date():
    y, x = _panel(t=700, n=3, seed=4)
    window = 126
    wf = est.walk_forward(y, x, window=window, estimators=["ols", "blume"])
    idx = y.index
    for c in y.columns:
        r, m = y[c].to_numpy(), x.to_numpy()
        held = pd.Series(np.nan, index=idx)
        for d in wf.rebalance_dates:
            e = idx.get_loc(d)
            b = _lstsq_slopes(r[e - window + 1:e + 1], m[e - window + 1:e + 1])[0]
            assert wf.ratios["ols"].loc[d, c] == pytest.approx(b, abs=1e-10)
            assert wf.ratios["blume"].loc[d, c] == pytest.approx(2 / 3 * b + 1 / 3, abs=1e-10)
            held.iloc[e + 1:] = b  # held from the next day on, until replaced
        days = wf.hedged["ols"].index
        np.testing.assert_allclose(wf.hedged["ols"][c].to_numpy(),
                                   y.loc[days, c] - held[days] * x[days], atol=1e-12)


def test_walk_forward_hedged_returns_in_either_memory_order_of_a_wide_panel():
    """A DataFrame's values are column-major (written a block of assets at a time) or, built
    on a row-major array without a copy, row-major (written a month at a time): in both, each
    hedged return is, to the bit, the asset minus the ratio set on the last
    rebalance day before it times the benchmark, for every estimator (the ratios of the two
    orders differ in the last digits only: matrix products sum in another order)."""
    y, x = _panel(t=420, n=300, seed=12)
    rows = np.ascontiguousarray(y.to_numpy())
    by_rows = pd.DataFrame(rows, index=y.index, columns=y.columns, copy=False)
    cols = pd.DataFrame(np.asfortranarray(rows), index=y.index, columns=y.columns)
    assert cols.to_numpy().flags.f_contiguous and by_rows.to_numpy().flags.c_contiguous
    a = est.walk_forward(cols, x, window=60)
    b = est.walk_forward(by_rows, x, window=60)
    idx = y.index
    days = a.hedged["ols"].index
    pos = idx.get_indexer(days)
    for name in est.ESTIMATORS:
        np.testing.assert_allclose(a.ratios[name], b.ratios[name], rtol=0, atol=1e-12)
        for wf in (a, b):
            held = np.full(rows.shape, np.nan)
            for d in wf.rebalance_dates:
                held[idx.get_loc(d) + 1:] = wf.ratios[name].loc[d].to_numpy()
            want = rows[pos] - held[pos] * x.to_numpy()[pos, None]
            assert np.array_equal(wf.hedged[name].to_numpy(), want)


def test_walk_forward_has_no_look_ahead():
    """Changing every return after a rebalance day changes no ratio set on or before it."""
    y, x = _panel(t=500, n=2, seed=8)
    wf = est.walk_forward(y, x, window=120)
    cut = wf.rebalance_dates[3]
    y2, x2 = y.copy(), x.copy()
    later = y.index > cut
    rng = np.random.default_rng(1)
    y2.loc[later] = rng.normal(0, 0.05, (later.sum(), 2))
    x2.loc[later] = rng.normal(0, 0.05, later.sum())
    wf2 = est.walk_forward(y2, x2, window=120)
    for name in est.ESTIMATORS:
        pd.testing.assert_frame_equal(wf.ratios[name].loc[:cut], wf2.ratios[name].loc[:cut])
        assert not np.allclose(wf.ratios[name].iloc[5], wf2.ratios[name].iloc[5])


def test_backtest_table_metrics_from_their_definitions():
    y, x = _panel(t=520, n=2, seed=6)
    wf = est.walk_forward(y, x, window=100, cost_bps=10)
    table = est.backtest_table(wf, column=1)
    a = wf.asset.iloc[:, 1].to_numpy()
    m = wf.benchmark.to_numpy()
    years = len(a) / 252
    for name in est.ESTIMATORS:
        h = wf.hedged[name].iloc[:, 1].to_numpy()
        row = table.loc[name]
        assert row["effectiveness"] == pytest.approx(1 - np.var(h) / np.var(a), abs=1e-12)
        assert row["hedged_beta"] == pytest.approx(_lstsq_slopes(h, m)[0], abs=1e-10)
        assert row["mean_hedged"] == pytest.approx(h.mean(), abs=1e-15)
        ratios = wf.ratios[name].iloc[:, 1].to_numpy()
        traded = abs(ratios[0]) + np.abs(np.diff(ratios)).sum()
        assert row["turnover"] == pytest.approx(traded / years, rel=1e-12)
        cost = wf.costs[name].iloc[:, 1].to_numpy().sum()
        assert cost == pytest.approx(traded * 10 / 1e4, rel=1e-12)
        assert row["net_return"] == pytest.approx(h.mean() * 252 - cost / years, rel=1e-10)
    assert est.best_estimator(table) == table["effectiveness"].idxmax()


def test_walk_forward_refuses_short_or_bad_input():
    y, x = _panel(t=120, n=1)
    with pytest.raises(InsufficientDataError, match="too few returns for a 252-return window"):
        est.walk_forward(y, x)
    with pytest.raises(InputError, match="cost_bps must be zero or positive"):
        est.walk_forward(y, x, window=20, cost_bps=-1)
    with pytest.raises(InputError, match="same dates"):
        est.walk_forward(y, x.iloc[1:], window=20)
    with pytest.raises(InputError, match="window must be at least 5"):
        est.walk_forward(y, x, window=3)


# --- several benchmarks ---------------------------------------------------------------------
def test_several_benchmarks_panel_is_each_asset_by_itself_against_lstsq():
    """Three assets on two benchmarks at once: each asset's ratio columns are lstsq of it on
    [1, M1, M2] per rebalance day, its hedged returns subtract both, and its table row (by
    ``column``) is the one its own single-asset run gives."""
    y, m1 = _panel(t=300, n=3, seed=4)
    rng = np.random.default_rng(5)
    bench = pd.DataFrame({"M1": m1, "M2": 0.5 * m1 + rng.normal(0, 0.01, len(m1))})
    y = y + 0.7 * bench[["M2"]].to_numpy()
    window = 120
    wf = est.walk_forward(y, bench, window=window, cost_bps=10)
    assert list(wf.ratios) == list(est.MULTI_ESTIMATORS)
    assert list(wf.ratios["ols"].columns) == [(a, b) for a in y.columns for b in ("M1", "M2")]
    idx = y.index
    for d in wf.rebalance_dates:
        e = idx.get_loc(d)
        rows = slice(e - window + 1, e + 1)
        for c in y.columns:
            b = _lstsq_slopes(y[c].to_numpy()[rows], bench["M1"].to_numpy()[rows],
                              bench["M2"].to_numpy()[rows])
            np.testing.assert_allclose(wf.ratios["ols"].loc[d, c], b, atol=1e-10)
    held = wf.ratios["ols"].reindex(wf.hedged["ols"].index, method="ffill").shift(1)
    held.iloc[0] = wf.ratios["ols"].iloc[0]
    for c in y.columns:
        expect = (wf.asset[c] - held[(c, "M1")] * wf.benchmark["M1"]
                  - held[(c, "M2")] * wf.benchmark["M2"])
        np.testing.assert_allclose(wf.hedged["ols"][c], expect, atol=1e-12)
    for j, c in enumerate(y.columns):
        alone = est.walk_forward(y[[c]], bench, window=window, cost_bps=10)
        pd.testing.assert_frame_equal(est.backtest_table(wf, column=j),
                                      est.backtest_table(alone), rtol=1e-10)
        pd.testing.assert_frame_equal(est.hedged_betas(wf, column=j),
                                      est.hedged_betas(alone), rtol=1e-10)


def test_several_benchmarks_refuse_blume_and_vasicek():
    y, m1 = _panel(t=300, n=2)
    bench = pd.DataFrame({"M1": m1, "M2": m1.shift(1).fillna(0.0)})
    for name in ("blume", "vasicek"):
        with pytest.raises(InputError, match=f"{name} take one benchmark"):
            est.walk_forward(y, bench, window=100, estimators=["ols", name])
        with pytest.raises(InputError, match=f"{name} take one benchmark"):
            est.trailing_betas(y, bench, [150], 100, name)
    got = est.trailing_betas(y, bench, [150, 200], 100)
    assert set(got) == set(est.MULTI_ESTIMATORS)
    assert all(v.shape == (2, 2, 2) for v in got.values())
