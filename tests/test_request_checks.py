"""A request means one thing in every face, or is refused by name.

Book holdings named like the benchmark, ``maxlags`` alone, risk-free rates in the wrong unit,
returns handed in at any frequency and prices sparser than the frequency asked for.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import betahedge_xl as bh
from betahedge_xl.exceptions import DataWarning, InputError


def three(n: int = 300, seed: int = 11, start: str = "2019-01-02") -> pd.DataFrame:
    """Business-day prices: AAA and BBB on SPY with betas 1.6 and 0.9."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(start, periods=n)
    rs = rng.normal(0.0004, 0.01, n)
    ra = 1.6 * rs + rng.normal(0, 0.01, n)
    rb = 0.9 * rs + rng.normal(0, 0.008, n)
    return pd.DataFrame({"AAA": 40 * np.cumprod(1 + ra), "BBB": 90 * np.cumprod(1 + rb),
                         "SPY": 300 * np.cumprod(1 + rs)}, index=days)


def quiet(*args: object, **kwargs: object) -> bh.HedgeResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return bh.beta_hedge(*args, **kwargs)


# --- a book's holding named like the benchmark ----------------------------------------------
@pytest.mark.parametrize("name", ["SPY", "spy", "Spy"])
def test_a_holding_named_like_the_benchmark_is_refused(name: str) -> None:
    px = three()
    book = px[["AAA", "BBB"]].rename(columns={"BBB": name})
    with pytest.raises(InputError, match="the book's holding SPY is named like the benchmark "
                                         "SPY but has other prices: rename"):
        bh.beta_hedge(book, px["SPY"], weights=[0.5, 0.5])
    # The benchmark named in another case: the same refusal.
    with pytest.raises(InputError, match="named like the benchmark spy"):
        bh.beta_hedge(pd.DataFrame({"AAA": px["AAA"], "SPY": px["BBB"]}),
                      px["SPY"].rename("spy"), weights=[0.5, 0.5])
    # Renamed apart, the book's beta is its holdings' (1.6 and 0.9 by construction).
    r = px.pct_change().dropna()
    book_r = 0.5 * r["AAA"] + 0.5 * r["BBB"]
    expect = np.polyfit(r["SPY"], book_r, 1)[0]
    assert quiet(px[["AAA", "BBB"]], px["SPY"], weights=[0.5, 0.5]).beta == pytest.approx(
        expect, rel=1e-10)


def test_a_book_may_hold_its_benchmark_with_the_same_prices() -> None:
    px = three()
    res = quiet(px[["AAA", "SPY"]], px["SPY"], weights=[0.5, 0.5])
    r = px.pct_change().dropna()
    expect = np.polyfit(r["SPY"], 0.5 * r["AAA"] + 0.5 * r["SPY"], 1)[0]
    assert res.beta == pytest.approx(expect, rel=1e-10)
    assert res.positions.loc["SPY", "beta"] == pytest.approx(1.0, abs=1e-12)


# --- maxlags alone means Newey-West -----------------------------------------------------------
def hac_se(px: pd.DataFrame, lags: int) -> np.ndarray:
    r = px.pct_change().dropna()
    fit = sm.OLS(r["AAA"].to_numpy(), sm.add_constant(r["SPY"].to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags})
    return np.asarray(fit.bse)


def test_maxlags_alone_means_newey_west_in_python() -> None:
    px = three()
    res = quiet(px["AAA"], px["SPY"], maxlags=5)
    assert res.fit.cov_type == "HAC" and res.fit.maxlags == 5
    np.testing.assert_allclose(res.bse.to_numpy(), hac_se(px, 5), rtol=1e-9)
    r = px.pct_change().dropna()
    assert bh.engine.ols(r["AAA"], r["SPY"], maxlags=5).cov_type == "HAC"
    with pytest.raises(InputError, match="maxlags: lags apply to HAC standard errors; set "
                                         "cov_type to HAC or leave maxlags out"):
        bh.beta_hedge(px["AAA"], px["SPY"], cov_type="nonrobust", maxlags=5)
    # No lags: classical, as before.
    assert quiet(px["AAA"], px["SPY"]).fit.cov_type == "nonrobust"


def test_maxlags_alone_means_newey_west_on_the_command_line_and_in_a_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from betahedge_xl import cli
    from betahedge_xl.excel import cells

    px = three()
    folder = tmp_path / "csv"
    folder.mkdir()
    for c in ("AAA", "SPY"):
        pd.DataFrame({"Date": px.index.strftime("%Y-%m-%d"), "Close": px[c].round(8)}).to_csv(
            folder / f"{c}.csv", index=False)
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["analyze", "AAA", "SPY", "--start", "2019-01-01", "--end", "2020-03-01",
                     "--maxlags", "5", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rounded = px.round(8)
    assert out["beta_se"] == pytest.approx(hac_se(rounded, 5)[1], rel=1e-9)
    opts = cells.hedge_options(None, None, None, None, 5)
    assert quiet(rounded["AAA"], rounded["SPY"], **opts).bse.iloc[1] == pytest.approx(
        out["beta_se"], rel=1e-12)


# --- frequencies -----------------------------------------------------------------------------
def test_risk_free_is_judged_at_the_frequency_used() -> None:
    """0.0005 per month is 0.6% a year: usual; per day it would be 13.4%."""
    px = three(n=800)
    month_ends = px.groupby(px.index.to_period("M")).tail(1)
    rf = pd.Series(0.0005, index=month_ends.index)
    res = quiet(month_ends["AAA"], month_ends["SPY"], risk_free=rf, frequency="monthly")
    assert not any("risk-free" in w for w in res.warnings)


@pytest.mark.parametrize("frequency, rule, n", [("weekly", "W-FRI", 417), ("monthly", "ME", 48)])
def test_returns_handed_in_keep_every_period(frequency: str, rule: str, n: int) -> None:
    days = pd.bdate_range("2010-01-01", "2018-12-31")
    rng = np.random.default_rng(2)
    rs = pd.Series(rng.normal(0.0004, 0.01, len(days)), days)
    ra = 1.4 * rs + rng.normal(0, 0.01, len(days))
    spy = (1 + rs).cumprod().resample(rule).last()
    aaa = (1 + ra).cumprod().resample(rule).last()
    rb, rr = spy.pct_change().dropna().iloc[:n], aaa.pct_change().dropna().iloc[:n]
    assert len(rr) == n
    for asked in (frequency, None):
        res = quiet(rr.rename("AAA"), rb.rename("SPY"), input="returns", frequency=asked)
        assert res.n_obs == n and res.frequency == frequency
        beta, alpha = np.polyfit(rb.to_numpy(), rr.to_numpy(), 1)
        assert res.beta == pytest.approx(beta, rel=1e-10)
        assert res.alpha == pytest.approx(alpha, rel=1e-8, abs=1e-14)
    # Daily returns keep every day, as before.
    daily = quiet(pd.Series(ra, days, name="AAA"), rs.rename("SPY"), input="returns")
    assert daily.n_obs == len(days)


def test_month_end_prices_at_the_default_frequency_are_monthly() -> None:
    px = three(n=1000)
    month_ends = px.groupby(px.index.to_period("M")).tail(1)
    with pytest.warns(DataWarning, match=r"the prices are monthly \(3\d days apart, median\): "
                                         r"monthly returns used"):
        res = bh.beta_hedge(month_ends["AAA"], month_ends["SPY"])
    assert res.frequency == "monthly"
    r = month_ends.pct_change().dropna()
    beta, alpha = np.polyfit(r["SPY"], r["AAA"], 1)
    assert res.n_obs == len(r) and res.beta == pytest.approx(beta, rel=1e-10)
    assert res.alpha_annualized == pytest.approx(12 * alpha, rel=1e-8)
    assert res.annualization == "alpha x 12"
    with pytest.raises(InputError, match=r"the prices are monthly \(3\d days apart, median\), "
                                         r"sparser than the daily frequency asked for: ask for "
                                         r"monthly"):
        bh.beta_hedge(month_ends["AAA"], month_ends["SPY"], frequency="daily")
    fridays = px[px.index.dayofweek == 4]
    with pytest.raises(InputError, match="the prices are weekly .*ask for weekly"):
        bh.beta_hedge(fridays["AAA"], fridays["SPY"], frequency="daily")
    assert quiet(fridays["AAA"], fridays["SPY"]).frequency == "weekly"
    # Daily prices at the default stay daily, with nothing to say about it.
    assert quiet(px["AAA"], px["SPY"]).frequency == "daily"
    years = px.groupby(px.index.year).tail(1)
    with pytest.raises(InputError, match="the prices are 3\\d\\d days apart"):
        bh.beta_hedge(years["AAA"], years["SPY"])
