"""Unadjusted splits, bad ticks and impossible prices: named by date, never a silent number.

Real closes around real splits (``fixtures/real_moves``) with the split undone, as an analyst
handing in raw prices would have them; big real moves that are not splits must stay quiet.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.data.quality import assess, split_like_moves, spike_moves
from betahedge_xl.exceptions import DataWarning, PriceError

FIXTURE = Path(__file__).parent / "fixtures" / "real_moves" / "closes.csv"


def closes(ticker: str, start: str, end: str) -> pd.Series:
    long = pd.read_csv(FIXTURE, parse_dates=["date"])
    one = long[long["ticker"] == ticker].set_index("date")["close"].rename(ticker)
    return one[start:end]


def hedge(a: pd.Series, b: pd.Series) -> bh.HedgeResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return bh.beta_hedge(a, b)


def undone(prices: pd.Series, day: str, ratio: float) -> pd.Series:
    """The prices as they were before the split was adjusted for: earlier prices x ratio."""
    raw = prices.copy()
    raw[raw.index < pd.Timestamp(day)] *= ratio
    return raw


@pytest.mark.parametrize("ticker, day, ratio, words, span", [
    ("AAPL", "2020-08-31", 4, "4:1 split", ("2020-06-01", "2020-11-30")),
    # TSLA rose 12.6% on its split day: 5:1 and 4:1 are both in reach, both are named.
    ("TSLA", "2020-08-31", 5, "4:1 split or 5:1 split", ("2020-06-01", "2020-11-30")),
    ("NVDA", "2021-07-20", 4, "4:1 split", ("2021-05-01", "2021-09-30")),
    ("AMZN", "2022-06-06", 20, "20:1 split", ("2022-04-01", "2022-08-31")),
    ("GOOGL", "2022-07-18", 20, "20:1 split", ("2022-05-01", "2022-09-30")),
    # +2.1% that day, 2.1% from 2/3: a fixed 2% band missed it; SPY's +1.2% explains most.
    ("NVDA", "2007-09-11", 1.5, "3:2 split", ("2007-06-01", "2007-12-31")),
])
def test_real_splits_undone_are_flagged(ticker: str, day: str, ratio: float, words: str,
                                        span: tuple[str, str]) -> None:
    spy = closes("SPY", *span)
    raw = undone(closes(ticker, *span), day, ratio)
    res = hedge(raw, spy)
    move = raw[day] / raw[raw.index < day].iloc[-1] - 1
    bench = spy[day] / spy[spy.index < day].iloc[-1] - 1
    first = ratio if ticker != "TSLA" else "4 or 5"
    line = (f"{ticker}: one-day move of {move:+.1%} on {day} (the benchmark moved "
            f"{bench:+.1%}) matches a {words}: prices not adjusted for it? Use split-adjusted "
            f"prices or divide the prices before {day} by {first:g}"
            if not isinstance(first, str) else
            f"{ticker}: one-day move of {move:+.1%} on {day} (the benchmark moved "
            f"{bench:+.1%}) matches a {words}: prices not adjusted for it? Use split-adjusted "
            f"prices or divide the prices before {day} by {first}")
    assert line in res.warnings
    # Adjusted, the same prices say nothing.
    assert not any("split" in w for w in hedge(closes(ticker, *span), spy).warnings)


def test_the_benchmark_unadjusted_is_flagged_too() -> None:
    aapl = closes("AAPL", "2020-06-01", "2020-11-30")
    spy = undone(closes("SPY", "2020-06-01", "2020-11-30"), "2020-09-01", 4)
    res = hedge(aapl, spy)
    assert any(w.startswith("SPY: one-day move of -7") and "on 2020-09-01" in w
               and "4:1 split" in w for w in res.warnings)
    # AAPL is not flagged because its benchmark fell 75% that day.
    assert not any(w.startswith("AAPL") for w in res.warnings)


@pytest.mark.parametrize("ticker, span", [
    ("NVDA", ("2007-06-01", "2008-09-30")),  # -30.7% on 2008-07-03: near 3:2, not one
    ("META", ("2021-12-01", "2022-11-30")),  # -26.4% and -24.6% days
])
def test_big_real_moves_are_not_splits(ticker: str, span: tuple[str, str]) -> None:
    res = hedge(closes(ticker, *span), closes("SPY", *span))
    assert not any("split" in w or "bad tick" in w for w in res.warnings), res.warnings


def test_the_benchmark_day_decides_a_3_2_split() -> None:
    """A 3:2 split on a day the market rose 4%: 4% off the ratio, within it once the
    benchmark's move is taken out; without a benchmark it is not claimed."""
    days = pd.bdate_range("2015-01-02", periods=60)
    rng = np.random.default_rng(3)
    rb = rng.normal(0, 0.004, 60)
    rb[30] = 0.04
    ra = rb + rng.normal(0, 0.002, 60)
    a = pd.Series(90 * np.cumprod(1 + ra), days, name="AAA")
    b = pd.Series(200 * np.cumprod(1 + rb), days, name="IDX")
    raw = undone(a, str(days[30].date()), 1.5)
    v = pd.concat([raw, b], axis=1).to_numpy()
    alone = split_like_moves(v, days.values, ["AAA", "IDX"])["AAA"]
    judged = split_like_moves(v, days.values, ["AAA", "IDX"], market=v[:, 1])["AAA"]
    assert alone == ()
    assert [(d, w) for d, w, *_ in judged] == [(days[30], "3:2 split")]
    assert judged[0][3] == pytest.approx(0.04, rel=1e-12)
    assert "3:2 split" in " ".join(hedge(raw, b).warnings)


@pytest.mark.parametrize("factor, shown", [(100.0, "101x"), (0.01, "1/99"), (1.6, "1.62x")])
def test_a_bad_tick_is_flagged_by_date(factor: float, shown: str) -> None:
    span = ("2020-06-01", "2020-11-30")
    aapl, spy = closes("AAPL", *span), closes("SPY", *span)
    bad = aapl.copy()
    bad["2020-07-15"] *= factor
    res = hedge(bad, spy)
    line = (f"AAPL: price {bad['2020-07-15']:.6g} on 2020-07-15 is {shown} the prices either "
            f"side and reverts the next day (a bad tick?); the regression is not robust to it: "
            f"fix or remove that price")
    # The factor is read against the geometric mean of the two prices either side.
    prev, nxt = aapl[aapl.index < "2020-07-15"].iloc[-1], aapl[aapl.index > "2020-07-15"].iloc[0]
    seen = bad["2020-07-15"] / np.sqrt(prev * nxt)
    assert f"{seen:.3g}x" == shown or f"1/{1 / seen:.3g}" == shown
    assert line in res.warnings, res.warnings
    assert not any("split" in w for w in res.warnings)
    found = spike_moves(bad.to_frame().to_numpy(), bad.index.values, ["AAPL"])["AAPL"]
    assert [d for d, *_ in found] == [pd.Timestamp("2020-07-15")]
    q = assess(pd.concat([bad, spy], axis=1))
    assert q.tickers["AAPL"].to_dict()["spikes"][0]["date"] == "2020-07-15"
    assert q.tickers["SPY"].spikes == ()
    assert not any("bad tick" in w for w in hedge(aapl, spy).warnings)


@pytest.mark.parametrize("value", [1e308, 1e-300, 1e12])
def test_an_impossible_price_is_refused_by_date(value: float) -> None:
    span = ("2020-06-01", "2020-11-30")
    aapl, spy = closes("AAPL", *span), closes("SPY", *span)
    bad = aapl.copy()
    bad["2020-07-15"] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        shown = re.escape(f"{value:.6g}")
        with pytest.raises(PriceError, match=rf"AAPL: price {shown} on 2020-07-15 is "
                                             r".* times the price before it .*not a real price"):
            bh.beta_hedge(bad, spy)
    last = aapl.copy()
    last.iloc[-1] = 1e308  # no price after it to revert to
    with pytest.raises(PriceError, match=f"on {last.index[-1]:%Y-%m-%d}"):
        bh.beta_hedge(last, spy)
