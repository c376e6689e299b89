"""Partial-regression residuals and rolling standard errors against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from betahedge_xl.engine.partial import partial_regression, rolling_beta_se


def _data(n: int = 400) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(4)
    idx = pd.bdate_range("2019-01-01", periods=n)
    x = pd.DataFrame({"B": rng.normal(0, 0.01, n)}, index=idx)
    x["C"] = 0.7 * x["B"] + rng.normal(0, 0.008, n)
    y = pd.Series(1e-4 + 1.2 * x["B"] + 0.3 * x["C"] + rng.normal(0, 0.01, n), idx, name="A")
    return y, x


def test_rolling_beta_se_matches_statsmodels_per_window() -> None:
    y, x = _data()
    w = 63
    y_in, x_in = y.copy(), x.copy()
    se = rolling_beta_se(y, x, w)
    assert y.equals(y_in) and x.equals(x_in)  # inputs untouched
    assert se.iloc[: w - 1].isna().all().all()
    for end in (w - 1, 150, len(y) - 1):
        window = slice(end - w + 1, end + 1)
        fit = sm.OLS(y.iloc[window], sm.add_constant(x.iloc[window])).fit()
        np.testing.assert_allclose(se.iloc[end].to_numpy(), fit.bse.iloc[1:].to_numpy(),
                                   rtol=1e-9)
    one = rolling_beta_se(y, x[["B"]], w)
    fit = sm.OLS(y.iloc[-w:], sm.add_constant(x["B"].iloc[-w:])).fit()
    assert one.iloc[-1, 0] == pytest.approx(float(fit.bse.iloc[1]), rel=1e-9)


def test_rolling_beta_se_gaps_for_missing_values_and_constant_windows() -> None:
    y, x = _data(300)
    y.iloc[100] = np.nan
    x.iloc[200:270, 0] = 0.001  # B constant for 70 days
    se = rolling_beta_se(y, x[["B"]], 63)
    assert se.iloc[100:163, 0].isna().all() and se.iloc[163, 0] > 0
    assert se.iloc[262:270, 0].isna().all() and se.iloc[270, 0] > 0
    assert rolling_beta_se(y, x, 3).isna().all().all()  # no residual degrees of freedom


def test_partial_regression_slope_is_the_multiple_regression_beta() -> None:
    y, x = _data()
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    parts = partial_regression(y, x)
    assert list(parts) == ["B", "C"]
    for name in ("B", "C"):
        p = parts[name]
        slope = float(p["x"] @ p["y"] / (p["x"] @ p["x"]))
        assert slope == pytest.approx(float(fit.params[name]), rel=1e-9)
        assert abs(p["x"].mean()) < 1e-15 and abs(p["y"].mean()) < 1e-15
        assert p.index.equals(y.index)
