"""``=BETA_HEDGE_BACKTEST``: called as Excel calls it (xlwings' own ``call_udf``), its spilled
table is the table of :func:`betahedge_xl.backtest` on the same prices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from test_udfs import _fresh_memo, xl  # noqa: F401  (the harness and a fresh memo per test)
from xlwings_harness import MISSING, FakeXlRange, Harness, com_date


def _prices(n: int = 420) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(13)
    dates = pd.bdate_range("2015-01-02", periods=n)
    rb = rng.normal(0.0004, 0.01, n - 1)
    ra = 0.0002 + 1.4 * rb + rng.normal(0, 0.012, n - 1)
    bench = pd.Series(200 * np.cumprod(np.r_[1.0, 1 + rb]), index=dates, name="BENCH")
    asset = pd.Series(50 * np.cumprod(np.r_[1.0, 1 + ra]), index=dates, name="ASSET")
    return asset, bench


def _range(series: pd.Series) -> FakeXlRange:
    rows: list[list[Any]] = [["Date", series.name]]
    rows += [[com_date(d.year, d.month, d.day), float(p)] for d, p in series.items()]
    return FakeXlRange(rows)


def test_spills_the_backtest_table_and_the_best(xl: Harness) -> None:  # noqa: F811
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE_BACKTEST", _range(asset), _range(bench), MISSING, MISSING,
                    200.0, "Weekly", 7.5)
    ref = bh.backtest(asset, bench, window=200, rebalance="weekly", cost_bps=7.5)
    assert table[0][0] == "Estimator" and table[0][1] == "Effectiveness"
    assert [r[0] for r in table[1:-1]] == list(ref.table.index)
    for row in table[1:-1]:
        np.testing.assert_allclose(row[1:], ref.table.loc[row[0]].to_numpy(), rtol=1e-14)
    assert table[-1][:2] == ["Best", ref.best]
    assert all(len(r) == len(table[0]) for r in table)


def test_defaults_and_messages(xl: Harness) -> None:  # noqa: F811
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE_BACKTEST", _range(asset), _range(bench))
    ref = bh.backtest(asset, bench)
    assert table[1][1] == pytest.approx(ref.table["effectiveness"].iloc[0], rel=1e-14)
    short = xl.call("BETA_HEDGE_BACKTEST", _range(asset[:200]), _range(bench[:200]))
    assert len(short) == 1 and "too few returns" in short[0][0]
    bad = xl.call("BETA_HEDGE_BACKTEST", _range(asset), _range(bench), MISSING, MISSING,
                  MISSING, "yearly")
    assert "rebalance" in bad[0][0] and "monthly, weekly" in bad[0][0]
    window = xl.call("BETA_HEDGE_BACKTEST", _range(asset), _range(bench), MISSING, MISSING, 2.5)
    assert "window" in window[0][0]
