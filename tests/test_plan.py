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
    # x (the benchmark), then the scatter's points (asset) and line (fitted) side by side
    assert returns.header == ["Date", "BBB", "AAA", "Fitted", "hedged"]
    got = np.array([r[1:] for r in returns.rows], dtype=float)
    series = result.series()
    np.testing.assert_array_equal(got[:, [0, 1, 3]], series[["BBB", "AAA", "hedged"]].to_numpy())
    assert [r[0] for r in returns.rows] == list(series["date"].dt.to_pydatetime())
    # the regression line evaluated at each point: alpha + beta x
    x = series["BBB"].to_numpy()
    np.testing.assert_allclose(got[:, 2], result.alpha + result.beta * x, rtol=0, atol=1e-12)
    slope, intercept = np.polyfit(x, got[:, 2], 1)
    assert slope == pytest.approx(float(np.polyfit(x, series["AAA"], 1)[0]), rel=1e-9)
    assert intercept == pytest.approx(result.alpha, abs=1e-12)
    assert returns.number_format == {0: P.DATE_FORMAT, 1: "0.00%", 2: "0.00%", 3: "0.00%",
                                     4: "0.00%"}
    assert isinstance(returns.rows[0][0], dt.datetime)
    cum = plan.table("bh_cumulative")
    assert cum.rows[0][1:] == [1.0, 1.0, 1.0]
    assert cum.rows[-1][1] == pytest.approx(float(np.prod(1 + result.returns["AAA"])))
    assert [t.name for t in plan.tables] == ["bh_summary", "bh_returns", "bh_cumulative",
                                             "bh_rolling"]
    assert set(plan.names) == {t.name for t in plan.tables}


def test_scatter_points_and_line_are_adjacent_columns_of_the_returns_table(
    result: bh.HedgeResult,
) -> None:
    plan = P.build_plan(result)
    scatter = next(c for c in plan.charts if c.kind == "scatter")
    points, line = scatter.series
    assert (points.table, points.x_col, points.y_col, points.line) == ("bh_returns", "BBB",
                                                                      "AAA", False)
    assert (line.table, line.x_col, line.y_col, line.line) == ("bh_returns", "BBB", "Fitted",
                                                              True)
    returns = plan.table("bh_returns")
    assert returns.column("Fitted") == returns.column("AAA") + 1
    assert f"beta {result.beta:.2f}" in scatter.title


def test_several_benchmarks_line_is_the_first_ones_partial_beta() -> None:
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2020-01-01", periods=300)
    x1, x2 = rng.normal(0.0005, 0.01, 300), rng.normal(0.0003, 0.012, 300)
    y = 2e-4 + 0.9 * x1 + 0.4 * x2 + rng.normal(0, 0.004, 300)
    prices = pd.DataFrame({"B1": 300 * np.cumprod(1 + x1), "B2": 80 * np.cumprod(1 + x2)},
                          index=idx)
    res = bh.beta_hedge(pd.Series(50 * np.cumprod(1 + y), idx, name="AAA"), prices)
    plan = P.build_plan(res)
    returns = plan.table("bh_returns")
    assert returns.header == ["Date", "B1", "B2", "AAA", "Fitted", "hedged"]
    rows = np.array([r[1:] for r in returns.rows], dtype=float)
    b1 = float(res.fit.params.iloc[1])
    np.testing.assert_allclose(rows[:, 3], res.alpha + b1 * rows[:, 0], rtol=0, atol=1e-12)
    # the partial beta of B1, not a one-factor slope
    design = np.column_stack([np.ones(len(rows)), rows[:, 0], rows[:, 1]])
    assert b1 == pytest.approx(np.linalg.lstsq(design, rows[:, 2], rcond=None)[0][1], rel=1e-9)
    np.testing.assert_array_equal(rows[:, [0, 1, 2, 4]],
                                  res.series()[["B1", "B2", "AAA", "hedged"]].to_numpy())
    points, line = next(c for c in plan.charts if c.kind == "scatter").series
    assert (points.x_col, points.y_col, line.x_col, line.y_col) == ("B1", "AAA", "B1", "Fitted")
    assert returns.column("Fitted") == returns.column("AAA") + 1


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
