"""Many assets at once: regress_many, rolling_beta, rolling_ols_betas, ewma_beta.

Each is compared with the slow, obvious computation: a per-asset ``ols``/statsmodels fit, pandas
rolling and exponentially weighted cov/var, statsmodels ``RollingOLS``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import example, given, settings
from hypothesis import strategies as st
from statsmodels.regression.rolling import RollingOLS

from betahedge_xl.engine import ewma_beta, ols, regress_many, rolling_beta, rolling_ols_betas
from betahedge_xl.exceptions import DataWarning, InputError, InsufficientDataError


def panel(t=300, n=6, seed=0, gaps=True, late=True, mean=0.0004):
    """A (t, n) panel of asset returns on one benchmark, with NaN gaps and a late listing."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2018-01-01", periods=t)
    x = rng.normal(mean, 0.01, t)
    betas = rng.uniform(-0.5, 2.5, n)
    alphas = rng.normal(0, 0.0005, n)
    y = alphas + np.outer(x, betas) + rng.normal(0, 0.02, (t, n)) * rng.uniform(0.3, 1.5, n)
    if gaps:
        for j in range(0, n, 2):
            y[rng.choice(t, size=t // 25, replace=False), j] = np.nan
    if late and n > 1:
        y[: t // 3, n - 1] = np.nan  # listed a third of the way in
    cols = [f"S{j}" for j in range(n)]
    return pd.DataFrame(y, index=dates, columns=cols), pd.Series(x, index=dates, name="SPY")


# --------------------------------------------------------------------------------------------
# regress_many
# --------------------------------------------------------------------------------------------
def per_asset_ols(y: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    rows = {}
    for col in y.columns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            r = ols(y[col], x)
        rows[col] = {"alpha": r.alpha, "beta": r.beta, "alpha_se": r.bse.iloc[0],
                     "beta_se": r.bse.iloc[1], "alpha_t": r.tvalues.iloc[0],
                     "beta_t": r.tvalues.iloc[1], "r_squared": r.rsquared,
                     "resid_std": r.resid_std, "n": r.nobs}
    return pd.DataFrame.from_dict(rows, orient="index")


@pytest.mark.parametrize("gaps", [False, True])
@pytest.mark.parametrize("kind", ["pandas", "numpy"])
def test_regress_many_equals_per_asset_ols_and_statsmodels(gaps, kind):
    y, x = panel(t=260, n=7, seed=1, gaps=gaps, late=gaps)
    y0, x0 = y.copy(), x.copy()
    got = regress_many(y.to_numpy(), x.to_numpy()) if kind == "numpy" else regress_many(y, x)
    expected = per_asset_ols(y, x)
    cols = ["alpha", "beta", "alpha_se", "beta_se", "alpha_t", "beta_t", "r_squared",
            "resid_std"]
    np.testing.assert_allclose(got[cols].to_numpy(), expected[cols].to_numpy(), rtol=1e-9,
                               atol=1e-14)
    assert got["n"].tolist() == expected["n"].tolist()
    for j, col in enumerate(y.columns):
        ok = y[col].notna()
        ref = sm.OLS(y[col][ok].to_numpy(), sm.add_constant(x[ok].to_numpy())).fit()
        row = got.iloc[j]
        np.testing.assert_allclose(
            [row.alpha, row.beta, row.alpha_se, row.beta_se, row.r_squared],
            [*ref.params, *ref.bse, ref.rsquared], rtol=1e-9,
        )
    if kind == "pandas":
        assert list(got.index) == list(y.columns) and got.index.name == "asset"
    else:
        assert list(got.index) == [f"asset{j + 1}" for j in range(7)]
    pd.testing.assert_frame_equal(y, y0)
    pd.testing.assert_series_equal(x, x0)


def test_regress_many_complete_panel_across_blocks():
    y, x = panel(t=80, n=150, seed=9, gaps=False, late=False)  # more assets than one block
    got = regress_many(y, x)
    expected = per_asset_ols(y, x)
    cols = ["alpha", "beta", "alpha_se", "beta_se", "r_squared"]
    np.testing.assert_allclose(got[cols].to_numpy(), expected[cols].to_numpy(), rtol=1e-9,
                               atol=1e-14)


def test_regress_many_far_from_zero_mean_is_still_exact():
    # Returns with a large common mean would lose digits without centring.
    y, x = panel(t=200, n=3, seed=2, gaps=True, late=False, mean=0.5)
    y = y + 0.7
    got = regress_many(y, x)
    expected = per_asset_ols(y, x)
    np.testing.assert_allclose(got[["alpha", "beta", "beta_se"]].to_numpy(),
                               expected[["alpha", "beta", "beta_se"]].to_numpy(), rtol=1e-8)


def test_regress_many_degenerate_assets_get_nan():
    y, x = panel(t=50, n=3, seed=3, gaps=False, late=False)
    y.iloc[2:, 0] = np.nan  # two observations only
    got = regress_many(y, x)
    assert got.loc["S0", ["alpha", "beta", "r_squared"]].isna().all()
    assert got.loc["S0", "n"] == 2
    assert got.loc[["S1", "S2"], "beta"].notna().all()
    # benchmark NaN rows are ignored for every asset
    x2 = x.copy()
    x2.iloc[[5, 6]] = np.nan
    got2 = regress_many(y[["S1"]], x2)
    ref = ols(y["S1"].drop(x.index[[5, 6]]), x.drop(x.index[[5, 6]]))
    assert got2.loc["S1", "beta"] == pytest.approx(ref.beta, rel=1e-10)
    assert got2.loc["S1", "n"] == 48


def test_regress_many_series_and_mismatch():
    y, x = panel(t=40, n=1, gaps=False, late=False)
    got = regress_many(y["S0"], x)
    assert got.loc["S0", "beta"] == pytest.approx(ols(y["S0"], x).beta, rel=1e-12)
    with pytest.raises(InputError, match="benchmark has 39 returns but assets have 40"):
        regress_many(y.to_numpy(), x.to_numpy()[:-1])
    with pytest.raises(InputError, match="one benchmark here"):
        regress_many(y, pd.concat([x, x.rename("B")], axis=1))


# --------------------------------------------------------------------------------------------
# rolling_beta
# --------------------------------------------------------------------------------------------
def pandas_rolling_beta(y: pd.DataFrame, x: pd.Series, window: int) -> pd.DataFrame:
    out = {}
    for col in y.columns:
        xm = x.where(y[col].notna())
        out[col] = y[col].rolling(window).cov(xm) / xm.rolling(window).var()
    return pd.DataFrame(out)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), window=st.integers(3, 80), t=st.integers(90, 260),
       n=st.integers(1, 5), complete=st.booleans())
def test_rolling_beta_equals_pandas(seed, window, t, n, complete):
    # complete panels take a separate, blocked code path; gapped ones the masked path
    y, x = panel(t=t, n=n, seed=seed, gaps=not complete, late=not complete)
    got = rolling_beta(y, x, window)
    expected = pandas_rolling_beta(y, x, window)
    assert got.shape == y.shape and got.index.equals(y.index)
    assert list(got.columns) == list(y.columns)
    pd.testing.assert_frame_equal(got.isna(), expected.isna())
    # 1e-8 absolute on ordinary betas; tiny windows can give betas in the hundreds, where
    # pandas' own rounding is ~1e-10 relative (seed=255, window=3: pandas is off by 1.4e-8,
    # we by 2e-10 from the exact rational answer), hence the relative term.
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-8,
                               equal_nan=True)


def test_rolling_beta_late_listing_and_gaps_explicit():
    y, x = panel(t=200, n=4, seed=5)
    got = rolling_beta(y, x, 20)
    late = y.columns[-1]
    first = y[late].first_valid_index()
    pos = y.index.get_loc(first)
    assert got[late].iloc[: pos + 19].isna().all()
    assert np.isfinite(got[late].iloc[pos + 19])
    # a window with a gap is NaN; the same window without gaps is not
    gap = y.index[y["S0"].isna() & (np.arange(len(y)) > 40)][0]
    assert np.isnan(got.loc[gap, "S0"]) and np.isfinite(got.loc[gap, "S1"])
    # first full window of a complete asset = slope of that window, by polyfit
    w = slice(0, 20)
    slope = np.polyfit(x.iloc[w], y["S1"].iloc[w], 1)[0]
    assert got["S1"].iloc[19] == pytest.approx(slope, rel=1e-10)
    assert got["S1"].iloc[:19].isna().all()


def test_rolling_beta_numpy_and_errors():
    y, x = panel(t=60, n=150, gaps=False, late=False)  # more assets than one block
    got = rolling_beta(y.to_numpy(), x.to_numpy(), 10)
    np.testing.assert_allclose(got.to_numpy(), rolling_beta(y, x, 10).to_numpy(),
                               equal_nan=True, rtol=1e-14)
    np.testing.assert_allclose(got.to_numpy(), pandas_rolling_beta(y, x, 10).to_numpy(),
                               equal_nan=True, rtol=1e-9, atol=1e-8)
    with pytest.raises(InputError, match="window must be at least 3 periods, got 2"):
        rolling_beta(y, x, 2)
    with pytest.raises(InsufficientDataError, match="60-period.*: 59"):
        rolling_beta(y.iloc[1:], x.iloc[1:], 60)


def test_rolling_beta_constant_benchmark_window_is_nan():
    y, x = panel(t=60, n=1, gaps=False, late=False)
    x = x.copy()
    x.iloc[:15] = 0.001
    got = rolling_beta(y, x, 10)
    assert got["S0"].iloc[9:15].isna().all()
    assert np.isfinite(got["S0"].iloc[20:]).all()
    # a stale benchmark (zero returns) on all of an asset's dates: NaN statistics, not noise
    x2 = x.copy()
    x2.iloc[:15] = 0.0
    y2 = y.copy()
    y2.iloc[15:, 0] = np.nan
    got2 = regress_many(y2, x2)
    assert got2.loc["S0", ["alpha", "beta", "beta_se"]].isna().all()


# --------------------------------------------------------------------------------------------
# rolling_ols_betas (several benchmarks)
# --------------------------------------------------------------------------------------------
def multi_panel(seed, k, t=150):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=t)
    x = pd.DataFrame(rng.normal(0.0003, 0.01, (t, k)), index=dates,
                     columns=["SPY", "XLK", "IWM"][:k])
    y = pd.Series(0.0002 + x.to_numpy() @ np.linspace(1.2, 0.3, k) + rng.normal(0, 0.01, t),
                  index=dates, name="A")
    return rng, y, x


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), window=st.integers(5, 60), k=st.integers(1, 3))
def test_rolling_ols_betas_equals_statsmodels(seed, window, k):
    _, y, x = multi_panel(seed, k)
    got = rolling_ols_betas(y, x, window)
    ref = RollingOLS(y, sm.add_constant(x), window=window).fit().params[list(x.columns)]
    # A 5-date window on 3 benchmarks can be ill-conditioned (condition number 1.5e5 seen,
    # betas of -112): both solvers then agree to about 1e-9 relative, not 1e-8 absolute.
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-6, atol=1e-8,
                               equal_nan=True)
    assert got.isna().equals(ref.isna())
    assert got.index.equals(y.index) and list(got.columns) == list(x.columns)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), window=st.integers(5, 40), k=st.integers(1, 3))
def test_rolling_ols_betas_with_gaps_equals_per_window_lstsq(seed, window, k):
    # statsmodels RollingOLS(missing="skip") counts missing values over window - 1 rows (an
    # off-by-one in statsmodels 0.14/0.15 _find_nans), so windows with gaps are checked
    # against a plain least-squares fit of each window instead.
    rng, y, x = multi_panel(seed, k, t=100)
    y.iloc[rng.choice(100, 3, replace=False)] = np.nan
    got = rolling_ols_betas(y, x, window).to_numpy()
    design = np.column_stack([np.ones(100), x.to_numpy()])
    for end in range(100):
        rows = slice(end - window + 1, end + 1)
        if end < window - 1 or y.iloc[rows].isna().any():
            assert np.isnan(got[end]).all()
            continue
        coef = np.linalg.lstsq(design[rows], y.to_numpy()[rows], rcond=None)[0]
        np.testing.assert_allclose(got[end], coef[1:], rtol=0, atol=1e-8)


def test_rolling_ols_betas_errors():
    y, x = panel(t=30, n=1, gaps=False, late=False)
    xx = pd.concat([x, x.rename("B") * 0.5 + 0.001], axis=1)
    with pytest.raises(InputError, match="at least 4 periods"):
        rolling_ols_betas(y["S0"], xx, 3)
    with pytest.raises(InsufficientDataError, match="40-period"):
        rolling_ols_betas(y["S0"], xx, 40)
    # collinear windows are NaN, not garbage
    assert rolling_ols_betas(y["S0"], xx, 10).isna().all().all()


# --------------------------------------------------------------------------------------------
# ewma_beta
# --------------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), halflife=st.floats(2.0, 120.0),
       min_periods=st.integers(2, 40))
@example(seed=38107, halflife=2.0, min_periods=2)  # two nearly equal first returns: beta ~5800
def test_ewma_beta_equals_pandas(seed, halflife, min_periods):
    """Agrees with pandas' ewm cov/var to within what the data's conditioning allows.

    Both sides take a variance and a covariance by subtracting products of similar size, so each
    carries a relative error of a few ``eps * cond``, where ``cond`` is the ratio of the raw
    second moments to the centred ones. Early in a series (two returns that nearly coincide) cond
    reaches 1e6-1e7 and the honest agreement is ~1e-9, not the 1e-15 of a well-spread window;
    a fixed rtol either hides real errors there or flags rounding.
    """
    y, x = panel(t=200, n=4, seed=seed)
    got = ewma_beta(y, x, halflife, min_periods=min_periods)
    ew = dict(halflife=halflife, min_periods=min_periods)
    eps = np.finfo(float).eps
    for col in y.columns:
        xm = x.where(y[col].notna())
        ym = y[col].where(xm.notna())
        cov = ym.ewm(**ew).cov(xm)
        var = xm.ewm(**ew).var()
        expected = cov / var
        x2 = (xm ** 2).ewm(**ew).mean()
        y2 = (ym ** 2).ewm(**ew).mean()
        cond = x2 / var + np.sqrt(x2 * y2) / cov.abs()
        tol = 16 * eps * cond * expected.abs() + 1e-12
        assert got[col].isna().equals(expected.isna()), col
        ok = expected.notna()
        err = (got[col][ok] - expected[ok]).abs()
        assert (err <= tol[ok]).all(), (col, (err / tol[ok]).max())
        # the bound is a tolerance, not a blanket: a well-conditioned window agrees to 1e-12
        well = ok & (cond < 100)
        np.testing.assert_allclose(got[col][well], expected[well], rtol=1e-12)


def test_ewma_beta_bad_halflife():
    y, x = panel(t=30, n=1)
    with pytest.raises(InputError, match="half-life must be positive"):
        ewma_beta(y, x, 0)


@pytest.mark.parametrize("n_assets", [1, 31, 32, 70])
def test_rolling_beta_complete_panel_narrow_and_wide(n_assets: int) -> None:
    """Both ways of taking the running sums (numpy cumsum for a few assets, a row at a time
    for many) agree with pandas' rolling cov/var, across chunk boundaries (300 > 128 dates)."""
    rng = np.random.default_rng(n_assets)
    idx = pd.bdate_range("2015-01-01", periods=300)
    x = pd.Series(rng.normal(0.0004, 0.01, 300), idx)
    y = pd.DataFrame(0.8 * x.to_numpy()[:, None] + rng.normal(0, 0.02, (300, n_assets)), idx)
    got = rolling_beta(y, x, 40)
    want = y.rolling(40).cov(x).div(x.rolling(40).var(), axis=0)
    assert got.shape == y.shape
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("block", [None, 16 * 1024])
@pytest.mark.parametrize("order", ["C", "F", "frame"])
def test_regress_many_every_gap_shape_in_any_memory_order(order, block, monkeypatch):
    """Late listings (leading gaps: running sums), gaps after listing (masked products),
    a trailing gap, an asset with no data and one far from zero, in blocks wider than one;
    with small blocks, listings fall blocks of dates after the first (assets not listed yet
    are skipped block after block) and mid-block."""
    import betahedge_xl.engine.many as many

    if block:
        monkeypatch.setattr(many, "_BLOCK_BYTES", block)
    y, x = panel(t=400, n=300, seed=5, gaps=False, late=False)
    arr = y.to_numpy().copy()
    arr[:150, 10] = np.nan                      # listed late, no gap after
    arr[:50, 11] = np.nan
    arr[[200, 201, 350], 11] = np.nan           # listed late and gaps after
    arr[-1, 12] = np.nan                        # trailing gap only
    arr[:, 13] = np.nan                         # no data at all
    arr[:, 14] += 250.0                         # far from zero: shifted sums keep the digits
    frame = pd.DataFrame(arr, index=y.index, columns=y.columns)
    data = {"C": np.ascontiguousarray(arr), "F": np.asfortranarray(arr), "frame": frame}[order]
    got = regress_many(data, x if order == "frame" else x.to_numpy())
    for j in (0, 10, 11, 12, 14, 299):
        rows = ~np.isnan(arr[:, j])
        ref = sm.OLS(arr[rows, j], sm.add_constant(x.to_numpy()[rows])).fit()
        row = got.iloc[j]
        np.testing.assert_allclose([row.alpha, row.beta, row.alpha_se, row.beta_se,
                                    row.r_squared], [*ref.params, *ref.bse, ref.rsquared],
                                   rtol=1e-9, atol=1e-13)
        assert row.n == rows.sum()
    assert got.iloc[13].drop("n").isna().all() and got.iloc[13].n == 0


@pytest.mark.parametrize("order", ["C", "F"])
def test_blocked_kernels_across_asset_blocks_and_date_chunks(order, monkeypatch):
    """Small blocks force several blocks of assets and of dates (with gaps crossing their
    edges): rolling and EWMA betas still equal pandas' cov/var, in either memory order."""
    import betahedge_xl.engine.ewma as ewma
    import betahedge_xl.engine.many as many

    monkeypatch.setattr(many, "_BLOCK_BYTES", 64 * 1024)
    monkeypatch.setattr(many, "_RING_BYTES", 64 * 1024)
    monkeypatch.setattr(ewma, "_BLOCK_BYTES", 64 * 1024)  # the EWMA's own blocks
    y, x = panel(t=700, n=90, seed=11)  # gaps in every other asset and a late listing
    arr = y.to_numpy()
    arr = np.ascontiguousarray(arr) if order == "C" else np.asfortranarray(arr)
    xs = x.to_numpy().copy()
    xs[[300, 301]] = np.nan  # a benchmark gap: those windows are NaN for every asset
    xb = pd.Series(xs, index=x.index)
    got = rolling_beta(arr, xs, 30).to_numpy()
    want = pandas_rolling_beta(y, xb, 30).to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    got = ewma_beta(arr, xs, 25.0, min_periods=10).to_numpy()
    want = {}
    for col in y.columns:
        xm = xb.where(y[col].notna())
        ym = y[col].where(xm.notna())
        want[col] = ym.ewm(halflife=25.0, min_periods=10).cov(xm) / xm.ewm(
            halflife=25.0, min_periods=10).var()
    np.testing.assert_allclose(got, pd.DataFrame(want).to_numpy(), rtol=1e-9, atol=1e-8,
                               equal_nan=True)


def test_kernels_with_assets_listed_after_whole_chunks_and_a_long_warm_up():
    """Assets with no data for whole chunks of dates (256 rows), listed mid-chunk, with gaps
    after listing and a min_periods longer than a chunk: rolling and EWMA betas still equal
    pandas' cov/var, asset by asset, and the complete assets beside them are untouched."""
    y, x = panel(t=900, n=8, seed=21, gaps=False, late=False)
    y.iloc[:300, 1] = np.nan          # listed in the second chunk
    y.iloc[:600, 2] = np.nan          # idle for two whole chunks
    y.iloc[:, 3] = np.nan             # never listed
    y.iloc[[610, 611, 700], 2] = np.nan
    y.iloc[[5, 256, 257, 511], 4] = np.nan  # gaps on chunk edges
    got = rolling_beta(y, x, 40)
    pd.testing.assert_frame_equal(got, pandas_rolling_beta(y, x, 40), rtol=1e-9, atol=1e-12)
    got = ewma_beta(y, x, 30.0, min_periods=300)
    want = {}
    for col in y.columns:
        xm = x.where(y[col].notna())
        ym = y[col].where(xm.notna())
        ew = dict(halflife=30.0, min_periods=300)
        want[col] = ym.ewm(**ew).cov(xm) / xm.ewm(**ew).var()
    want = pd.DataFrame(want)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-8,
                               equal_nan=True)
    pd.testing.assert_frame_equal(got.isna(), want.isna())
    assert got["S3"].isna().all() and got["S2"].iloc[:899].notna().sum() == 0


@pytest.mark.parametrize("order", ["C", "F"])
def test_rolling_beta_of_assets_listing_on_a_chunk_edge(order, monkeypatch):
    """An asset not listed yet carries no sums until its first value; when that value falls
    on the first date of a chunk (256 dates), the first window starting on it still has a
    beta, and the window before it none. Several blocks of assets (a small ring), listings
    on, just before and just after chunk edges, one in the last chunk, one never: pandas'
    cov/var asset by asset."""
    import betahedge_xl.engine.many as many

    monkeypatch.setattr(many, "_RING_BYTES", 64 * 1024)
    y, x = panel(t=1100, n=40, seed=5, gaps=False, late=False)
    firsts = [256, 512, 255, 257, 768, 1024, 1099, 1, 0, 1100]
    for j, first in enumerate(firsts):
        y.iloc[:first, j] = np.nan
    y.iloc[[600, 601], 3] = np.nan  # a gap after listing
    arr = y.to_numpy()
    arr = np.ascontiguousarray(arr) if order == "C" else np.asfortranarray(arr)
    for window in (40, 256):
        got = pd.DataFrame(rolling_beta(arr, x.to_numpy(), window).to_numpy(),
                           index=y.index, columns=y.columns)
        want = pandas_rolling_beta(y, x, window)
        pd.testing.assert_frame_equal(got, want, rtol=1e-9, atol=1e-12)
        # the first window of an asset listed on a chunk's first date has a beta
        assert got["S0"].iloc[256 + window - 1] == pytest.approx(
            want["S0"].iloc[256 + window - 1], rel=1e-9)
        assert np.isnan(got["S0"].iloc[256 + window - 2])


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_small_batched_solve_equals_numpy(k):
    """The windows' systems (one elimination with partial pivoting across all of them) give
    numpy's solutions and determinants, pivoting included (a zero leading entry)."""
    from betahedge_xl.engine.many import _solve_small

    rng = np.random.default_rng(k)
    a = rng.normal(size=(200, k, k))
    if k > 1:
        a[:50, 0, 0] = 0.0  # needs a row swap
    b = rng.normal(size=(200, k))
    a0, b0 = a.copy(), b.copy()
    sol, det = _solve_small(a, b)
    np.testing.assert_allclose(sol, np.linalg.solve(a, b[:, :, None])[:, :, 0], rtol=1e-9,
                               atol=1e-10)
    np.testing.assert_allclose(det, np.linalg.det(a), rtol=1e-9, atol=1e-12)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)  # inputs untouched


def test_rolling_ols_betas_collinear_stretch_by_condition_number():
    """Benchmarks exactly collinear over a stretch: windows inside it are NaN (condition number
    of the centred moments >= 1e12), windows outside equal a least-squares fit."""
    rng = np.random.default_rng(4)
    t, w = 200, 30
    dates = pd.bdate_range("2020-01-01", periods=t)
    x = rng.normal(0.0003, 0.01, (t, 2))
    x[60:140, 1] = 2.0 * x[60:140, 0] + 0.001
    y = pd.Series(0.0002 + x @ [1.1, 0.4] + rng.normal(0, 0.01, t), index=dates, name="A")
    xs = pd.DataFrame(x, index=dates, columns=["SPY", "QQQ"])
    got = rolling_ols_betas(y, xs, w).to_numpy()
    design = np.column_stack([np.ones(t), x])
    for end in range(w - 1, t):
        rows = slice(end - w + 1, end + 1)
        xc = x[rows] - x[rows].mean(axis=0)
        cond = np.linalg.cond(xc.T @ xc)
        if cond > 1e13:
            assert np.isnan(got[end]).all(), end
        elif cond < 1e11:
            coef = np.linalg.lstsq(design[rows], y.to_numpy()[rows], rcond=None)[0]
            np.testing.assert_allclose(got[end], coef[1:], rtol=1e-7, atol=1e-9)
    assert np.isnan(got[100]).all() and np.isfinite(got[w - 1]).all()


def test_panels_read_nullable_columns_with_missing_values_as_gaps():
    """Columns of pandas' nullable floats with <NA> (what a database or a CSV read with
    dtype_backend gives) are read as gaps, the same numbers as NaN in float columns: numpy's
    asarray of such a frame raised a TypeError on the <NA>."""
    y, x = panel(t=200, n=3, seed=8)
    nullable = y.astype("Float64")
    assert nullable.isna().to_numpy().any()
    for fn, args in ((rolling_beta, (30,)), (ewma_beta, (20.0,)), (regress_many, ())):
        got = fn(nullable, x.astype("Float64"), *args)
        want = fn(y, x, *args)
        pd.testing.assert_frame_equal(got, want)


def test_kernels_leave_numpy_ufunc_buffer_as_they_found_it():
    """The rolling and EWMA kernels run with a small ufunc buffer (numpy's setting) and put
    the caller's back, also when the block inside raises."""
    from betahedge_xl.engine.many import UFUNC_BUFFER, small_ufunc_buffer

    y, x = panel(t=300, n=4, seed=3)
    before = np.getbufsize()
    try:
        np.setbufsize(16384)
        rolling_beta(y, x, 30)
        ewma_beta(y, x, 20.0)
        assert np.getbufsize() == 16384
        with pytest.raises(ZeroDivisionError):
            with small_ufunc_buffer():
                assert np.getbufsize() == UFUNC_BUFFER
                raise ZeroDivisionError
        assert np.getbufsize() == 16384
    finally:
        np.setbufsize(before)


@pytest.mark.parametrize("step", [-1, -2])
def test_regress_many_of_an_array_running_backwards(step):
    """A plain array read backwards (``y[::-1]``, negative row stride) takes the column-block
    path; numpy's isnan wrote wrong values into the reused column-major mask there (gaps
    counted as values, assets with a gap given NaN), so the mask is fresh for such input."""
    rng = np.random.default_rng(9)
    t, n = 200, 3000
    x = rng.normal(0.0004, 0.01, t)
    y = np.outer(x, rng.uniform(0.2, 2.0, n)) + rng.normal(0, 0.01, (t, n))
    y[:60, 1::3] = np.nan   # late listings
    y[::7, 2::3] = np.nan   # gaps
    yb, xb = y[::step], x[::step]
    assert yb.strides[0] < 0
    got = regress_many(yb, xb)
    yv, xv = np.asarray(yb), np.asarray(xb)
    for j in range(0, n, 97):
        rows = ~np.isnan(yv[:, j])
        b, a = np.polyfit(xv[rows], yv[rows, j], 1)
        assert got.n.iloc[j] == rows.sum()
        assert got.beta.iloc[j] == pytest.approx(b, rel=1e-9, abs=1e-12)
        assert got.alpha.iloc[j] == pytest.approx(a, rel=1e-9, abs=1e-12)
    assert got.beta.notna().all()
