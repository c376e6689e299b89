"""beta_hedge with tickers: prices come through the data layer, failures keep their cause."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.exceptions import DataWarning, UnknownTickerError

SAMPLE = resources.files("betahedge_xl") / "sample"


def _csv_dir(tmp_path: Path, tickers: list[str]) -> Path:
    folder = tmp_path / "prices"
    folder.mkdir()
    for t in tickers:
        with resources.as_file(SAMPLE / f"{t}.csv") as src:
            shutil.copy(src, folder / f"{t}.csv")
    return folder


def test_tickers_from_csv_folder_match_independent_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_csv_dir(tmp_path, ["TSLA", "SPY"])))
    res = bh.beta_hedge("tsla", "SPY", "2014-01-01", "2015-01-01")

    px = pd.concat(
        {t: pd.read_csv(tmp_path / "prices" / f"{t}.csv", index_col=0, parse_dates=True)
         ["Adj Close"] for t in ("TSLA", "SPY")}, axis=1, join="inner",
    ).loc["2014-01-01":"2014-12-31"]
    r = px.pct_change().dropna()
    slope, intercept = np.polyfit(r["SPY"], r["TSLA"], 1)
    assert res.n_obs == len(r) == 251
    assert res.beta == pytest.approx(slope, rel=1e-10)
    assert res.alpha == pytest.approx(intercept, rel=1e-8)
    assert res.source.startswith("csv")
    assert res.asset == "TSLA" and res.benchmarks == ["SPY"]


def test_failed_ticker_is_the_error_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_csv_dir(tmp_path, ["TSLA"])))
    with pytest.warns(DataWarning), pytest.raises(UnknownTickerError, match="NOPE"):
        bh.beta_hedge("TSLA", "NOPE", "2014-01-01", "2015-01-01")


def test_price_series_against_ticker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An asset handed in as prices, a benchmark by ticker: one result on shared dates."""
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_csv_dir(tmp_path, ["SPY", "TSLA"])))
    tsla = pd.read_csv(tmp_path / "prices" / "TSLA.csv", index_col=0, parse_dates=True)
    mixed = bh.beta_hedge(tsla["Adj Close"].rename("MyTSLA"), "SPY", "2014-01-01", "2015-01-01")
    both = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")
    assert mixed.asset == "MyTSLA"
    assert mixed.beta == pytest.approx(both.beta, rel=1e-12)
    assert mixed.n_obs == both.n_obs


def test_portfolio_may_hold_its_benchmark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Half TSLA, half SPY hedged with SPY: the portfolio's beta is the mix of the two."""
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_csv_dir(tmp_path, ["TSLA", "SPY"])))
    res = bh.beta_hedge(["TSLA", "SPY"], "SPY", "2014-01-01", "2015-01-01", weights=[0.5, 0.5])
    alone = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")
    # Rebalanced daily to 50/50, the portfolio return is (r_TSLA + r_SPY) / 2, so by linearity
    # of OLS its beta is (beta_TSLA + 1) / 2 and its alpha half of TSLA's.
    assert res.asset == "Portfolio" and res.benchmarks == ["SPY"]
    assert res.beta == pytest.approx((alone.beta + 1) / 2, rel=1e-10)
    assert res.alpha == pytest.approx(alone.alpha / 2, rel=1e-8)


def test_two_benchmarks_keep_the_headline_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON consumers read beta, beta_se and hedged_beta whatever the number of benchmarks;
    with two they are the first benchmark's; Blume's adjustment is not offered for them."""
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_csv_dir(tmp_path, ["TSLA", "SPY", "XLK"])))
    res = bh.beta_hedge("TSLA", ["SPY", "XLK"], "2014-01-01", "2015-01-01")
    d = res.to_dict()
    assert d["beta"] == d["beta_SPY"] == res.fit.params["SPY"]
    assert d["beta_se"] == d["beta_se_SPY"] == res.fit.bse["SPY"]
    assert d["hedged_beta"] == d["hedged_beta_SPY"]
    assert abs(d["hedged_beta"]) < 1e-12 and abs(d["hedged_beta_XLK"]) < 1e-12
    assert "adjusted_beta" not in d
    assert "Adjusted beta (Blume)" not in set(res.summary()["label"])


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Tokyo"])
def test_zoned_prices_meet_plain_dates_on_their_own_day(tz: str) -> None:
    """Daily bars stamped at local midnight (yfinance's history) keep their local date: they
    align with date-only prices of the same days, in New York and in Tokyo alike."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2021-01-04", periods=120)
    x = rng.normal(0, 0.01, len(days))
    y = 0.7 * x + rng.normal(0, 0.005, len(days))
    asset = pd.Series(50 * np.cumprod(1 + y), days.tz_localize(tz), name="ZONED")
    bench = pd.Series(80 * np.cumprod(1 + x), days, name="PLAIN")
    res = bh.beta_hedge(asset, bench, "2021-01-04", "2021-06-01")
    assert list(res.prices.index) == [d for d in days if d < pd.Timestamp("2021-06-01")]
    r = pd.DataFrame({"a": y, "b": x}, index=days).loc[: "2021-05-31"].iloc[1:]
    assert res.n_obs == len(r)
    assert res.beta == pytest.approx(np.polyfit(r["b"], r["a"], 1)[0], rel=1e-9)


def test_zoned_dates_keep_their_local_day() -> None:
    from betahedge_xl._dates import local_days, to_timestamp

    tokyo = pd.DatetimeIndex(["2021-01-04 00:00"]).tz_localize("Asia/Tokyo")
    assert list(local_days(tokyo)) == [pd.Timestamp("2021-01-04")]
    assert to_timestamp(pd.Timestamp("2021-01-04", tz="Asia/Tokyo")) == pd.Timestamp("2021-01-04")


@pytest.mark.parametrize("returns", ["simple", "log"])
def test_series_handed_in_give_what_tickers_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returns: str
) -> None:
    """Prices handed in as Series take the hot path of one pair (arrays inside, texts made
    on display); tickers read from a CSV folder take the data layer. Every statistic, the
    rolling betas, the hedged series and the printed summary are the same."""
    folder = _csv_dir(tmp_path, ["TSLA", "SPY"])
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))

    def series(t: str) -> pd.Series:
        return pd.read_csv(folder / f"{t}.csv", index_col=0, parse_dates=True)["Adj Close"] \
            .rename(t)

    handed = bh.beta_hedge(series("TSLA"), series("SPY"), "2014-01-01", "2015-01-01",
                           returns=returns)
    fetched = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01", returns=returns)
    assert handed.source == "memory" and fetched.source.startswith("csv")
    assert handed.to_dict() == fetched.to_dict()
    # pandas reads a file's dates in microseconds, the data layer keeps nanoseconds: the same
    # dates, another resolution.
    pd.testing.assert_frame_equal(handed.rolling_beta, fetched.rolling_beta,
                                  check_index_type=False)
    pd.testing.assert_series_equal(handed.hedged_returns, fetched.hedged_returns,
                                   check_index_type=False)
    pd.testing.assert_frame_equal(handed.summary(), fetched.summary())
    assert repr(handed.summary()) == repr(fetched.summary())
    assert str(handed) == str(fetched)
    # The rolling beta is pandas' own rolling cov / var on the returns.
    r = handed.returns
    assert handed.rolling_beta.index.equals(r.index) and handed.hedged_returns.index.equals(r.index)
    ref = r["TSLA"].rolling(63).cov(r["SPY"]) / r["SPY"].rolling(63).var()
    np.testing.assert_allclose(handed.rolling_beta["SPY"].to_numpy(), ref.to_numpy(), rtol=1e-9)


def test_unnamed_and_numbered_series_take_names_as_text() -> None:
    """A Series without a name is named after its leg; a numbered one by its number as text
    (the prices' own frame is built from the Series, not from a renamed copy)."""
    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2020-01-01", periods=80)
    pb = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, 80)), index=dates)
    pa = pd.Series(50 * np.cumprod(1 + rng.normal(0, 0.02, 80)), index=dates, name=0)
    res = bh.beta_hedge(pa, pb)
    assert res.asset == "0" and res.benchmarks == ["benchmark"]
    assert list(res.prices.columns) == ["0", "benchmark"]
    assert pa.name == 0 and pb.name is None  # the inputs keep their names
    ref = bh.beta_hedge(pa.rename("0"), pb.rename("benchmark"))
    assert res.to_dict() == ref.to_dict()
