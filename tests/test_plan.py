"""The output plan: one description of the report that both drawers follow."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl import plan as P


@pytest.fixture(scope="module")
def result() -> bh.HedgeResult:
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2020-01-01", periods=300)
    x = rng.normal(0.0005, 0.01, 300)
    y = 1e-4 + 1.3 * x + rng.normal(0, 0.004, 300)
    a = pd.Series(50 * np.cumprod(1 + y), idx, name="AAA")
    b = pd.Series(300 * np.cumprod(1 + x), idx, name="BBB")
    return bh.beta_hedge(a, b)


def test_tables_hold_the_result(result: bh.HedgeResult) -> None:
    plan = P.build_plan(result)
    summary = plan.table("bh_summary")
    assert [r[0] for r in summary.rows] == list(result.summary()["label"])
    returns = plan.table("bh_returns")
    assert returns.header == ["Date", "AAA", "BBB", "hedged"]
    got = np.array([r[1:] for r in returns.rows], dtype=float)
    np.testing.assert_array_equal(got, result.series()[["AAA", "BBB", "hedged"]].to_numpy())
    assert isinstance(returns.rows[0][0], dt.datetime)
    cum = plan.table("bh_cumulative")
    assert cum.rows[0][1:] == [1.0, 1.0, 1.0]
    assert cum.rows[-1][1] == pytest.approx(float(np.prod(1 + result.returns["AAA"])))
    line = plan.table("bh_fitline")
    (x0, y0), (x1, y1) = line.rows
    assert (y1 - y0) / (x1 - x0) == pytest.approx(result.beta)
    assert x0 == result.returns["BBB"].min() and x1 == result.returns["BBB"].max()


def test_rolling_table_is_empty_until_the_window_fills(result: bh.HedgeResult) -> None:
    rolling = P.build_plan(result).table("bh_rolling")
    w = result.rolling_window
    assert all(r[1] is None for r in rolling.rows[: w - 1])
    assert rolling.rows[w - 1][1] == pytest.approx(
        float(np.polyfit(result.returns["BBB"][:w], result.returns["AAA"][:w], 1)[0])
    )


def test_charts_reference_existing_columns_and_tables_do_not_overlap(
    result: bh.HedgeResult,
) -> None:
    plan = P.build_plan(result)
    for chart in plan.charts:
        for s in chart.series:
            table = plan.table(s.table)
            assert s.x_col in table.header and s.y_col in table.header
    rects = [t.bounds() for t in plan.tables]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert a[3] < b[1] or b[3] < a[1] or a[2] < b[0] or b[2] < a[0], (a, b)
    # charts sit between the summary (A:B) and the first data table
    first_data_col = min(t.anchor[1] for t in plan.tables[1:])
    for chart in plan.charts:
        assert plan.tables[0].bounds()[3] < chart.anchor[1] < first_data_col


def test_summary_cell_formats(result: bh.HedgeResult) -> None:
    summary = P.build_plan(result).table("bh_summary")
    fmt = {row[0]: summary.format_of(i, 1) for i, row in enumerate(summary.rows)}
    assert fmt["Observations"] == "0"
    assert fmt["First price date"] == P.DATE_FORMAT
    assert fmt["Asset"] is None
    assert abs(result.hedged_beta) < 1e-10
    assert fmt["Hedged beta"] == P.SUMMARY_ZERO_FORMAT
    assert result.beta_p < 1e-4 and fmt["Beta p-value"] == P.SUMMARY_SCIENTIFIC_FORMAT
    assert fmt["Beta"] == P.SUMMARY_FLOAT_FORMAT


def test_summary_format_rules() -> None:
    assert P.summary_format("Hedged beta", 3e-16) == P.SUMMARY_ZERO_FORMAT
    assert P.summary_format("Hedged beta", 0.2) == P.SUMMARY_FLOAT_FORMAT
    assert P.summary_format("Alpha p-value", 0.0) == P.SUMMARY_FLOAT_FORMAT
    assert P.summary_format("Alpha", 2.5e6) == P.SUMMARY_SCIENTIFIC_FORMAT
    assert P.summary_format("Asset", "TSLA") is None


@pytest.mark.parametrize(
    ("row", "col", "ref"), [(0, 0, "A1"), (9, 25, "Z10"), (0, 26, "AA1"), (4, 701, "ZZ5"),
                            (0, 702, "AAA1")],
)
def test_a1(row: int, col: int, ref: str) -> None:
    assert P.a1(row, col) == ref
    letters = ref.rstrip("0123456789")
    assert P.a1(row, col, absolute=True) == f"${letters}${row + 1}"
