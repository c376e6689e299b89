"""OLS of the engine against statsmodels and empyrical-reloaded, on generated data.

Every number is compared with an independent computation; nothing here is a hard-coded result.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from betahedge_xl.engine import blume_adjust, newey_west_lags, ols
from betahedge_xl.exceptions import (
    CollinearityError,
    ConstantRegressorError,
    DataWarning,
    InputError,
    InsufficientDataError,
)

RTOL = 1e-10


def make_returns(n: int = 500, k: int = 1, seed: int = 0, ar: float = 0.0):
    """Asset returns on k benchmarks with a known alpha and betas (AR(1) noise when ar != 0)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=n)
    x = rng.normal(0.0004, 0.01, size=(n, k))
    if k > 1:  # correlated benchmarks, as SPY and XLK are
        x[:, 1:] += 0.6 * x[:, :1]
    e = rng.normal(0, 0.015, size=n)
    for t in range(1, n):
        e[t] += ar * e[t - 1]
    betas = np.linspace(1.3, 0.4, k)
    y = 0.0003 + x @ betas + e
    names = ["SPY", "XLK", "IWM"][:k]
    return (
        pd.Series(y, index=dates, name="ASSET"),
        pd.DataFrame(x, index=dates, columns=names),
    )


def sm_fit(y, x, cov_type="nonrobust", maxlags=None):
    design = sm.add_constant(np.asarray(x, dtype=float), has_constant="add")
    model = sm.OLS(np.asarray(y, dtype=float), design)
    if cov_type == "HAC":
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": maxlags}, use_t=True)
    return model.fit()


def assert_close(ours, theirs, rtol=RTOL, atol=0.0):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float),
                               rtol=rtol, atol=atol)


def check_against_statsmodels(res, ref):
    assert_close(res.params, ref.params)
    assert_close(res.bse, ref.bse)
    assert_close(res.tvalues, ref.tvalues)
    # p-values near 0 are tiny numbers: compare relatively, with an absolute floor.
    assert_close(res.pvalues, ref.pvalues, rtol=1e-8, atol=1e-15)
    assert_close(res.conf_int().to_numpy(), ref.conf_int(), rtol=1e-9)
    assert_close(res.conf_int(0.1).to_numpy(), ref.conf_int(0.1), rtol=1e-9)
    # The numbers-only table is the same numbers, column for column.
    table = res.coefficients()
    assert_close(table[:, 0], ref.params)
    assert_close(table[:, 1], ref.bse)
    assert_close(table[:, 2], ref.tvalues)
    assert_close(table[:, 3], ref.pvalues, rtol=1e-8, atol=1e-15)
    assert_close(table[:, 4:], ref.conf_int(), rtol=1e-9)
    assert not table.flags.writeable
    assert_close(res.estimates, ref.params)
    assert_close(res.cov_params.to_numpy(), ref.cov_params(), rtol=1e-9, atol=1e-20)
    assert_close(res.rsquared, ref.rsquared)
    assert_close(res.rsquared_adj, ref.rsquared_adj)
    assert_close(res.ssr, ref.ssr)
    assert_close(res.scale, ref.scale)
    assert_close(res.resid.to_numpy(), ref.resid, rtol=1e-9, atol=1e-15)
    assert res.nobs == int(ref.nobs)
    assert res.df_resid == int(ref.df_resid)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("kind", ["pandas", "numpy"])
def test_classical_matches_statsmodels(k, kind):
    y, x = make_returns(n=400, k=k, seed=k)
    y0, x0 = y.copy(), x.copy()
    xin = x.iloc[:, 0] if k == 1 else x
    if kind == "numpy":
        res = ols(y.to_numpy(), xin.to_numpy())
    else:
        res = ols(y, xin)
    check_against_statsmodels(res, sm_fit(y, x))
    assert res.cov_type == "nonrobust" and res.maxlags is None
    # inputs are not modified
    pd.testing.assert_series_equal(y, y0)
    pd.testing.assert_frame_equal(x, x0)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("maxlags", [0, 1, 5, 12])
@pytest.mark.parametrize("kind", ["pandas", "numpy"])
def test_hac_matches_statsmodels_with_student_t(k, maxlags, kind):
    y, x = make_returns(n=300, k=k, seed=10 + k, ar=0.4)
    xin = x.iloc[:, 0] if k == 1 else x
    if kind == "numpy":
        y, xin = y.to_numpy(), xin.to_numpy()
    res = ols(y, xin, cov_type="HAC", maxlags=maxlags)
    ref = sm_fit(y, xin, cov_type="HAC", maxlags=maxlags)
    check_against_statsmodels(res, ref)
    assert res.cov_type == "HAC" and res.maxlags == maxlags
    # The claim "p-values use Student t with df_resid for HAC too" means something: they
    # differ from the normal p-values statsmodels gives without use_t.
    normal = 2 * stats.norm.sf(np.abs(res.tvalues.to_numpy()))
    student = 2 * stats.t.sf(np.abs(res.tvalues.to_numpy()), res.df_resid)
    assert_close(res.pvalues, student, rtol=1e-8, atol=1e-15)
    assert not np.allclose(res.pvalues, normal, rtol=1e-6, atol=0)


def test_hac_default_lags_newey_west_rule():
    y, x = make_returns(n=777, seed=3, ar=0.3)
    res = ols(y, x["SPY"], cov_type="HAC")
    lags = int(np.floor(4 * (777 / 100) ** (2 / 9)))
    assert res.maxlags == lags == newey_west_lags(777)
    check_against_statsmodels(res, sm_fit(y, x["SPY"], "HAC", lags))


def test_hac_differs_from_classical():
    y, x = make_returns(n=300, seed=4, ar=0.6)
    a = ols(y, x["SPY"])
    b = ols(y, x["SPY"], cov_type="HAC", maxlags=8)
    assert_close(a.params, b.params)
    assert not np.allclose(a.bse, b.bse, rtol=1e-3)


def test_cov_type_spellings_and_unknown():
    y, x = make_returns(n=60)
    for spelling in ("hac", "Newey-West", "NW"):
        assert ols(y, x["SPY"], cov_type=spelling, maxlags=2).cov_type == "HAC"
    assert ols(y, x["SPY"], cov_type="classical").cov_type == "nonrobust"
    with pytest.raises(InputError, match="cov_type 'white' not understood"):
        ols(y, x["SPY"], cov_type="white")
    with pytest.raises(InputError, match="maxlags"):
        ols(y, x["SPY"], cov_type="HAC", maxlags=60)


@pytest.mark.parametrize("kind", ["pandas", "numpy"])
def test_against_empyrical(kind):
    import empyrical

    y, x = make_returns(n=600, seed=21)
    b = x["SPY"]
    if kind == "numpy":
        y, b = y.to_numpy(), b.to_numpy()
    res = ols(y, b)
    assert_close(res.beta, empyrical.beta(y, b))
    # empyrical's alpha is annualised by compounding: (1 + mean(y - beta x)) ** ann - 1.
    # With annualization=1 it is the per-period intercept itself ...
    assert_close(res.alpha, empyrical.alpha(y, b, annualization=1))
    # ... and its daily figure, de-compounded, gives the per-period alpha back.
    ann = empyrical.alpha(y, b, period="daily")
    assert_close(res.alpha, (1 + ann) ** (1 / 252) - 1, rtol=1e-8)
    a_b = empyrical.alpha_beta(y, b, annualization=1)
    assert_close([res.alpha, res.beta], a_b)


def test_against_empyrical_with_risk_free():
    import empyrical

    y, x = make_returns(n=300, seed=22)
    rf = 0.0001
    res = ols(y - rf, x["SPY"] - rf)
    a, b = empyrical.alpha_beta(y, x["SPY"], risk_free=rf, annualization=1)
    assert_close([res.alpha, res.beta], [a, b])


def test_lstsq_and_summary_statistics():
    y, x = make_returns(n=250, seed=5)
    res = ols(y, x["SPY"])
    design = np.column_stack([np.ones(250), x["SPY"]])
    coef = np.linalg.lstsq(design, y.to_numpy(), rcond=None)[0]
    assert_close(res.params, coef)
    assert_close(res.correlation, np.corrcoef(y, x["SPY"])[0, 1])
    assert_close(res.resid_std, np.sqrt(np.sum((y - design @ coef) ** 2) / 248))
    assert_close(res.y_std, np.std(y, ddof=1))
    assert_close(res.x_std["SPY"], np.std(x["SPY"], ddof=1))
    assert res.alpha == res.params["const"] and res.beta == res.params["SPY"]
    assert list(res.params.index) == ["const", "SPY"]
    table = res.summary()
    assert list(table.columns) == ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"]
    assert_close(table["coef"], res.params)
    assert_close(table["[0.025"], res.conf_int()["lower"])
    assert "nobs=250" in repr(res)
    assert res.resid.index.equals(y.index)


def test_multiple_r_for_several_benchmarks():
    y, x = make_returns(n=200, k=2, seed=6)
    res = ols(y, x)
    assert_close(res.correlation, np.sqrt(sm_fit(y, x).rsquared))
    assert list(res.betas.index) == ["SPY", "XLK"]


def test_blume():
    assert blume_adjust(1.954) == pytest.approx(2 / 3 * 1.954 + 1 / 3, rel=1e-15)
    assert blume_adjust(1.0) == pytest.approx(1.0)


def test_nan_rows_dropped_with_warning_and_same_as_clean_fit():
    y, x = make_returns(n=100, seed=7)
    b = x["SPY"].copy()
    y = y.copy()
    y.iloc[[3, 50]] = np.nan
    b.iloc[[50, 70]] = np.nan
    with pytest.warns(DataWarning, match="dropped 3 of 100 observations"):
        res = ols(y, b)
    keep = y.notna() & b.notna()
    check_against_statsmodels(res, sm_fit(y[keep], b[keep]))
    assert res.resid.index.equals(y.index[keep])


def test_no_warning_when_nothing_dropped():
    y, x = make_returns(n=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ols(y, x["SPY"])


def test_all_nan():
    y, x = make_returns(n=20)
    with pytest.raises(InsufficientDataError, match="all observations are missing"):
        ols(y * np.nan, x["SPY"])


@pytest.mark.parametrize("n, k, need", [(2, 1, 3), (0, 1, 3), (3, 2, 4)])
def test_too_few_observations(n, k, need):
    y, x = make_returns(n=max(n, 1), k=k)
    y, x = y.iloc[:n], x.iloc[:n]
    with pytest.raises(InsufficientDataError, match=f"too few observations: {n} return.*{need}"):
        ols(y, x if k > 1 else x.iloc[:, 0])


def test_three_observations_is_enough():
    y = np.array([0.01, -0.02, 0.03])
    x = np.array([0.005, -0.01, 0.02])
    res = ols(y, x)
    assert res.df_resid == 1
    check_against_statsmodels(res, sm_fit(y, x))


@pytest.mark.parametrize("level", [0.0, 0.01, 1e6])
def test_constant_benchmark(level):
    y, _ = make_returns(n=30)
    with pytest.raises(ConstantRegressorError, match="SPY returns are constant"):
        ols(y, pd.Series(level, index=y.index, name="SPY"))


def test_collinear_benchmarks():
    y, x = make_returns(n=100, k=2)
    x = x.copy()
    x["XLK"] = 2.0 * x["SPY"] - 0.001
    with pytest.raises(CollinearityError, match="collinear"):
        ols(y, x)


def test_mismatched_inputs():
    y, x = make_returns(n=30)
    with pytest.raises(InputError, match="lengths differ"):
        ols(y.to_numpy(), x["SPY"].to_numpy()[:-1])
    # Indexes that differ are matched by date: the dates both have are regressed, the others
    # are named as dropped.
    shifted = x["SPY"].shift(1, freq="D")
    both = y.index.intersection(shifted.index)
    with pytest.warns(DataWarning, match=f"dropped {len(y) - len(both)} of {len(y)}"):
        fit = ols(y, shifted)
    assert fit.nobs == len(both)
    assert fit.beta == pytest.approx(np.polyfit(shifted[both], y[both], 1)[0], rel=1e-10)
    with pytest.raises(InputError, match="infinite"):
        ols(y.replace(y.iloc[0], np.inf), x["SPY"])
    with pytest.raises(InputError, match="must be numbers"):
        ols(["a", "b", "c"], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------------------------
# Student's t without scipy (engine/tdist.py) against scipy.special
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("df", [1, 2, 3, 7, 29, 30, 100, 249, 1000, 5000, 20000])
def test_t_distribution_matches_scipy(df):
    from scipy.special import stdtr, stdtrit

    from betahedge_xl.engine.tdist import t_ppf, t_sf2

    t = np.concatenate([np.linspace(0, 12, 97), [1e-9, 20.0, 40.0, -3.0, np.inf, np.nan]])
    ref = 2 * stdtr(df, -np.abs(t))
    got = t_sf2(t, df)
    # scipy itself rounds 1 - 6e-10 to 1 (df=1, t=1e-9): absolute 1e-9 for large p-values,
    # relative 1e-9 for the small ones an analyst reads as significance
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9, equal_nan=True)
    small = ref < 1e-3
    np.testing.assert_allclose(got[small], ref[small], rtol=1e-9, atol=1e-300)
    for q in (0.5, 0.6, 0.9, 0.975, 0.995, 0.9995, 0.025):
        assert t_ppf(q, df) == pytest.approx(float(stdtrit(df, q)), rel=1e-11, abs=1e-15)
