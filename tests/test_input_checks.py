"""Checks an expert expects before trusting a beta: each finding is named, in every source.

Nearly collinear benchmarks, moves that look like an unadjusted split, stale or zero prices
handed in as Series, too few observations, and the out-of-sample split's rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.data.quality import assess, split_like_moves
from betahedge_xl.engine import out_of_sample_effectiveness
from betahedge_xl.exceptions import DataWarning


def walk(n: int = 260, seed: int = 5, start: str = "2014-01-02") -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(start, periods=n)
    rb = rng.normal(0.0004, 0.01, n)
    ra = 0.0002 + 1.2 * rb + rng.normal(0, 0.012, n)
    return (pd.Series(60 * np.cumprod(1 + ra), days, name="AAA"),
            pd.Series(180 * np.cumprod(1 + rb), days, name="SPY"))


def test_nearly_collinear_benchmarks_are_named() -> None:
    a, spy = walk()
    rng = np.random.default_rng(9)
    # The same index from a second source: returns equal to about 1e-6.
    twin = (spy * np.cumprod(1 + rng.normal(0, 1e-6, len(spy)))).rename("SPY2")
    with pytest.warns(DataWarning, match=r"benchmarks SPY and SPY2 are nearly collinear "
                                         r"\(correlation 0.99999\d*, condition number"):
        res = bh.beta_hedge(a, pd.concat([spy, twin], axis=1))
    assert sum("nearly collinear" in w for w in res.warnings) == 1
    # Two different benchmarks are not flagged.
    other = walk(seed=6)[1].rename("QQQ")
    with np.testing.suppress_warnings():
        res = bh.beta_hedge(a, pd.concat([spy, other], axis=1))
    assert not any("collinear" in w for w in res.warnings)


@pytest.mark.parametrize("new, old", [(2, 1), (3, 1), (3, 2), (4, 1), (5, 1), (7, 1), (8, 1),
                                      (10, 1), (15, 1), (20, 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_split_ratios_are_flagged(new: int, old: int, reverse: bool) -> None:
    a, _ = walk(n=40)
    factor = new / old if reverse else old / new
    raw = a.copy()
    raw.iloc[20:] *= factor  # unadjusted: every price from the split on is scaled
    found = split_like_moves(raw.to_frame().to_numpy(), raw.index, ["AAA"])["AAA"]
    words = f"{old}:{new} reverse split" if reverse else f"{new}:{old} split"
    move = raw.iloc[20] / raw.iloc[19] - 1
    assert [(d, w) for d, w, *_ in found] == [(a.index[20], words)]
    assert found[0][2] == pytest.approx(move, rel=1e-12)
    assert split_like_moves(a.to_frame().to_numpy(), a.index, ["AAA"])["AAA"] == ()  # adjusted
    # A missing day before the split: the move is from the last price there is.
    gap = raw.copy()
    gap.iloc[19] = np.nan
    moved = split_like_moves(gap.to_frame().to_numpy(), gap.index, ["AAA"])["AAA"]
    assert [(d, w) for d, w, *_ in moved] == [(a.index[20], words)]
    assert moved[0][2] == pytest.approx(raw.iloc[20] / raw.iloc[18] - 1, rel=1e-12)


def test_a_split_is_flagged_in_every_source(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    a, spy = walk()
    raw = a.copy()
    raw.loc["2014-06-09":] /= 7  # AAPL's 7:1, not adjusted for
    bench = spy["2014-06-09"] / spy["2014-06-06"] - 1
    line = f"AAA: one-day move of {raw['2014-06-09'] / raw['2014-06-06'] - 1:+.1%} on " \
           f"2014-06-09 (the benchmark moved {bench:+.1%}) matches a 7:1 split: prices not " \
           f"adjusted for it? Use split-adjusted prices or divide the prices before " \
           f"2014-06-09 by 7"
    with pytest.warns(DataWarning, match=line.replace("(", r"\(").replace(")", r"\)")
                      .replace("+", r"\+").replace("?", r"\?")):
        res = bh.beta_hedge(raw, spy, "2014-01-01", "2015-01-01")
    assert line in res.warnings
    # From a CSV folder (the same PriceSet path Yahoo's prices take).
    folder = tmp_path / "csv"
    folder.mkdir()
    for s in (raw, spy):
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.to_numpy()}).to_csv(
            folder / f"{s.name}.csv", index=False)
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))
    from betahedge_xl.data import load_prices

    ps = load_prices(["AAA", "SPY"], "2014-01-01", "2015-01-01")
    assert any(m.startswith("AAA: one-day move of -85.") and "7:1 split" in m
               for m in ps.messages())


def test_series_get_the_data_quality_report_of_tickers() -> None:
    a, spy = walk()
    stale = spy.copy()
    stale.iloc[100:150] = stale.iloc[99]  # stale for 50 trading days (70 calendar days)
    with pytest.warns(DataWarning, match=f"SPY: same price 51 days in a row from "
                                         f"{spy.index[99]:%Y-%m-%d}"):
        res = bh.beta_hedge(a, stale, "2014-01-01", "2015-01-01")
    assert res.quality is not None
    assert res.quality.tickers["SPY"].longest_repeat == 50
    assert res.quality.messages() == assess(pd.concat([a, stale], axis=1), "2014-01-01",
                                            "2015-01-01").messages()


def test_few_observations_warn_on_the_result() -> None:
    a, spy = walk(n=6)
    with pytest.warns(DataWarning, match="only 5 daily returns: fewer than 30, the statistics "
                                         "are unreliable"):
        res = bh.beta_hedge(a, spy)
    assert "only 5 daily returns: fewer than 30, the statistics are unreliable" in res.warnings
    assert "fewer than 30" in res.stat("warnings")
    a, spy = walk(n=31)
    res = bh.beta_hedge(a, spy, rolling_window=10)  # 30 returns: nothing to say
    assert res.n_obs == 30 and res.warnings == []


@pytest.mark.parametrize("n, estimate", [(7, 4), (9, 5), (10, 5), (11, 6), (8, 4)])
def test_out_of_sample_split_rounds_half_up(n: int, estimate: int) -> None:
    a, spy = walk(n=n + 1)
    ra, rb = a.pct_change().dropna(), spy.pct_change().dropna()
    oos = out_of_sample_effectiveness(ra, rb, 0.5)
    assert (oos.n_estimation, oos.n_test) == (estimate, n - estimate)


def test_collinear_pair_named_in_given_order_whatever_the_last_bit() -> None:
    """corrcoef is not exactly symmetric in floating point; the pair is named as given."""
    from betahedge_xl.engine.ols import collinearity_note

    r = 0.9999990
    corr = np.array([[1.0, r], [np.nextafter(r, 1.0), 1.0]])  # lower triangle 1 ulp larger
    note = collinearity_note(corr, ["SPY", "SPY2"], 5e5)
    assert note is not None and note.startswith("benchmarks SPY and SPY2 ")
    # Strongly negative correlation is collinearity too (the sign does not rescue the betas).
    note = collinearity_note(-corr + 2 * np.eye(2), ["SPY", "SHORT"], 5e5)
    assert note is not None and note.startswith("benchmarks SPY and SHORT ")
    assert "correlation -0.99999" in note
