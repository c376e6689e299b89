"""The hedge and the regression's invariances, as hypothesis properties.

Data are drawn as (seed, sizes, coefficients) and generated with numpy so that every example is
a well-posed regression; the properties are the algebra of OLS, checked on our code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betahedge_xl.engine import (
    apply_hedge,
    hedge_effectiveness,
    hedged_returns,
    ols,
    out_of_sample_effectiveness,
)
from betahedge_xl.exceptions import InputError, InsufficientDataError

finite = dict(allow_nan=False, allow_infinity=False)


@st.composite
def regressions(draw, k_max=1):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(8, 400))
    k = draw(st.integers(1, k_max))
    alpha = draw(st.floats(-0.01, 0.01, **finite))
    betas = np.array([draw(st.floats(-3, 3, **finite)) for _ in range(k)])
    noise = draw(st.floats(1e-4, 0.05, **finite))
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-01", periods=n)
    x = pd.DataFrame(rng.normal(0.0005, 0.01, (n, k)), index=dates,
                     columns=["SPY", "XLK", "IWM"][:k])
    y = pd.Series(alpha + x.to_numpy() @ betas + rng.normal(0, noise, n), index=dates, name="A")
    return y, (x.iloc[:, 0] if k == 1 else x)


def close(a, b, scale=1.0, tol=1e-9):
    """|a - b| small relative to the problem's scale (estimates near 0 have no relative size)."""
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol,
                               atol=tol * scale)


@settings(max_examples=60, deadline=None)
@given(data=regressions(k_max=3))
def test_hedged_series_has_zero_beta_and_same_alpha(data):
    y, x = data
    fit = ols(y, x)
    check = apply_hedge(y, x, fit)
    expected = y.to_numpy() - np.asarray(x).reshape(len(y), -1) @ fit.betas.to_numpy()
    close(check.hedged, expected, tol=1e-14)
    scale = float(np.abs(fit.params).max() + 1)
    close(check.verification.betas, 0.0, scale=scale, tol=1e-9)
    close(check.verification.alpha, fit.alpha, scale=scale, tol=1e-10)
    # same residuals, so the hedged alpha's standard error is the original one
    close(check.verification.bse.iloc[0], fit.bse.iloc[0], tol=1e-8)
    # effectiveness in sample is R-squared (the hedge removes the fitted part)
    close(check.effectiveness, fit.rsquared, scale=1.0, tol=1e-9)
    assert check.hedged.index.equals(y.index)


@settings(max_examples=60, deadline=None)
@given(data=regressions(), c=st.floats(0.01, 100, **finite), sign=st.sampled_from([-1, 1]))
def test_scaling_asset_scales_alpha_and_beta(data, c, sign):
    y, x = data
    c = sign * c
    a, b = ols(y, x), ols(c * y, x)
    scale = abs(c) * (abs(a.alpha) + abs(a.beta) + 1)
    close(b.alpha, c * a.alpha, scale=scale)
    close(b.beta, c * a.beta, scale=scale)
    close(b.bse, abs(c) * a.bse, tol=1e-8)
    close(b.rsquared, a.rsquared, tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(data=regressions(), c=st.floats(0.01, 100, **finite), sign=st.sampled_from([-1, 1]))
def test_scaling_benchmark_divides_beta(data, c, sign):
    y, x = data
    c = sign * c
    a, b = ols(y, x), ols(y, c * x)
    close(b.beta, a.beta / c, scale=(abs(a.beta) + 1) / abs(c))
    close(b.alpha, a.alpha, scale=abs(a.alpha) + abs(a.beta) * 0.01 + 1e-6)
    close(b.tvalues.iloc[1], np.sign(c) * a.tvalues.iloc[1], scale=abs(a.tvalues.iloc[1]) + 1)


@settings(max_examples=60, deadline=None)
@given(data=regressions(), d=st.floats(-0.05, 0.05, **finite))
def test_shifting_asset_shifts_alpha_only(data, d):
    y, x = data
    a, b = ols(y, x), ols(y + d, x)
    scale = abs(a.alpha) + abs(d) + abs(a.beta) * 0.01 + 1e-6
    close(b.alpha, a.alpha + d, scale=scale)
    close(b.beta, a.beta, scale=abs(a.beta) + 1)
    close(b.bse.iloc[1], a.bse.iloc[1], tol=1e-8)


@settings(max_examples=60, deadline=None)
@given(data=regressions(), d=st.floats(-0.05, 0.05, **finite))
def test_shifting_benchmark_changes_alpha_by_minus_beta_d(data, d):
    y, x = data
    a, b = ols(y, x), ols(y, x + d)
    scale = abs(a.alpha) + abs(a.beta * d) + abs(a.beta) * 0.01 + 1e-6
    close(b.alpha, a.alpha - a.beta * d, scale=scale)
    close(b.beta, a.beta, scale=abs(a.beta) + 1)


def test_hedged_returns_several_benchmarks_and_errors():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.normal(size=20))
    x = pd.DataFrame(rng.normal(size=(20, 2)), columns=["SPY", "XLK"])
    h = hedged_returns(y, x, [1.5, -0.5])
    close(h, y - 1.5 * x["SPY"] + 0.5 * x["XLK"], tol=1e-15)
    assert h.name == "hedged"
    with pytest.raises(InputError, match="2 benchmark\\(s\\) but 1 beta"):
        hedged_returns(y, x, [1.0])


def test_effectiveness_definition_and_errors():
    rng = np.random.default_rng(1)
    u = rng.normal(size=50)
    h = 0.3 * u + rng.normal(size=50) * 0.1
    assert hedge_effectiveness(u, h) == pytest.approx(
        1 - np.var(h, ddof=1) / np.var(u, ddof=1), rel=1e-14
    )
    assert np.isnan(hedge_effectiveness(np.ones(5), np.zeros(5)))
    with pytest.raises(InputError, match="differ in length"):
        hedge_effectiveness(u, h[:-1])
    with pytest.raises(InsufficientDataError, match="too few observations"):
        hedge_effectiveness(u[:1], h[:1])


@pytest.mark.parametrize("split", [0.5, 0.7, "2010-06-01"])
def test_out_of_sample_against_manual_split(split):
    rng = np.random.default_rng(2)
    dates = pd.bdate_range("2010-01-01", periods=300)
    x = pd.Series(rng.normal(0, 0.01, 300), index=dates, name="SPY")
    y = pd.Series(0.0001 + 1.4 * x + rng.normal(0, 0.01, 300), index=dates, name="A")
    res = out_of_sample_effectiveness(y, x, split)
    cut = (int(round(300 * split)) if isinstance(split, float)
           else int((dates < pd.Timestamp(split)).sum()))
    beta = np.polyfit(x.iloc[:cut], y.iloc[:cut], 1)[0]
    hedged = y.iloc[cut:] - beta * x.iloc[cut:]
    expected = 1 - hedged.var() / y.iloc[cut:].var()
    assert res.effectiveness == pytest.approx(expected, rel=1e-10)
    assert res.betas["SPY"] == pytest.approx(beta, rel=1e-10)
    assert (res.n_estimation, res.n_test) == (cut, 300 - cut)
    assert res.estimation_end == dates[cut - 1] and res.test_start == dates[cut]
    with pytest.raises(InsufficientDataError, match="too few observations to test out of sample"):
        out_of_sample_effectiveness(y.iloc[:4], x.iloc[:4], 0.5)


@pytest.mark.parametrize("split,match", [
    (0.0, r"split 0\.0: give a fraction between 0 and 1"),
    (-0.3, r"split -0\.3: give a fraction between 0 and 1"),
    # A number past 1 is a bad fraction, not the Excel serial date 1899-12-31.
    (1.5, r"split 1\.5: give a fraction between 0 and 1 \(0 < split < 1\), or a date inside "
          r"the returns' dates 2010-01-01\.\.2011-02-24"),
    (float("nan"), r"split nan: give a fraction between 0 and 1"),
    ("2030-01-01", r"split '2030-01-01' \(2030-01-01\) is outside the returns' dates"),
    ("2001-01-01", r"split '2001-01-01' \(2001-01-01\) is outside the returns' dates"),
])
def test_out_of_sample_split_outside_the_sample_is_named(split, match):
    """A split that cannot cut the sample is the user's input to fix, not a "sample too short"
    that the analysis would swallow."""
    dates = pd.bdate_range("2010-01-01", periods=300)
    x = pd.Series(np.random.default_rng(3).normal(0, 0.01, 300), index=dates, name="SPY")
    y = 1.2 * x
    with pytest.raises(InputError, match=match):
        out_of_sample_effectiveness(y, x, split)
