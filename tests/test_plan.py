"""The output plan: one description of the report that both drawers follow."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl import formats as F
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


def _two_benchmarks(risk_free: float = 0.0) -> bh.HedgeResult:
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2020-01-01", periods=300)
    x1 = rng.normal(0.0005, 0.01, 300)
    x2 = 0.8 * x1 + rng.normal(0.0003, 0.006, 300)  # correlated, as SPY and XLK are
    y = 2e-4 + 0.9 * x1 + 0.4 * x2 + rng.normal(0, 0.004, 300)
    prices = pd.DataFrame({"B1": 300 * np.cumprod(1 + x1), "B2": 80 * np.cumprod(1 + x2)},
                          index=idx)
    return bh.beta_hedge(pd.Series(50 * np.cumprod(1 + y), idx, name="AAA"), prices,
                         risk_free=risk_free)


def test_several_benchmarks_scatter_per_benchmark_is_the_partial_regression() -> None:
    res = _two_benchmarks()
    plan = P.build_plan(res)
    returns = plan.table("bh_returns")
    # no "alpha + beta1 x B1" line through a cloud whose own slope differs
    assert returns.header == ["Date", "B1", "B2", "AAA", "hedged"]
    partial = plan.table("bh_partial")
    rows = np.array([r[1:] for r in partial.rows], dtype=float)
    r = res.returns
    scatters = [c for c in plan.charts if c.kind == "scatter"]
    assert [c.name for c in scatters] == ["bh_chart_scatter_B1", "bh_chart_scatter_B2"]
    full = np.linalg.lstsq(np.column_stack([np.ones(len(r)), r["B1"], r["B2"]]),
                           r["AAA"], rcond=None)[0]
    for j, (name, other) in enumerate((("B1", "B2"), ("B2", "B1"))):
        # independent: residuals of each on [1, other], by lstsq
        design = np.column_stack([np.ones(len(r)), r[other]])
        ex = r[name] - design @ np.linalg.lstsq(design, r[name], rcond=None)[0]
        ey = r["AAA"] - design @ np.linalg.lstsq(design, r["AAA"], rcond=None)[0]
        x_col, y_col, fit_col = partial.header[1 + 3 * j: 4 + 3 * j]
        np.testing.assert_allclose(rows[:, 3 * j], ex, atol=1e-12)
        np.testing.assert_allclose(rows[:, 3 * j + 1], ey, atol=1e-12)
        # the cloud's own slope is the multiple regression's beta (Frisch-Waugh-Lovell)
        slope = float(ex @ ey / (ex @ ex))
        assert slope == pytest.approx(full[1 + j], rel=1e-9)
        np.testing.assert_allclose(rows[:, 3 * j + 2], full[1 + j] * ex, atol=1e-12)
        points, line = scatters[j].series
        assert (points.x_col, points.y_col, line.x_col, line.y_col) == (x_col, y_col, x_col,
                                                                      fit_col)
        assert partial.column(fit_col) == partial.column(y_col) + 1
        assert f"AAA on {name} net of {other}, beta {full[1 + j]:.2f}" in scatters[j].title


def test_rolling_chart_has_full_sample_line_and_two_se_band(result: bh.HedgeResult) -> None:
    import statsmodels.api as sm

    plan = P.build_plan(result)
    rolling = plan.table("bh_rolling")
    assert rolling.header == ["Date", "Beta BBB", "Full-sample BBB", "+2 SE BBB", "-2 SE BBB"]
    w = result.rolling_window
    rows = rolling.rows
    for end in (w - 1, w + 40, len(rows) - 1):
        window = result.returns.iloc[end - w + 1:end + 1]
        fit = sm.OLS(window["AAA"], sm.add_constant(window["BBB"])).fit()
        beta, se = float(fit.params.iloc[1]), float(fit.bse.iloc[1])
        assert rows[end][1] == pytest.approx(beta, rel=1e-9)
        assert rows[end][3] == pytest.approx(beta + 2 * se, rel=1e-9)
        assert rows[end][4] == pytest.approx(beta - 2 * se, rel=1e-9)
    assert all(r[2] == result.beta for r in rows)  # the reference spans the whole sample
    assert all(r[3] is None and r[4] is None for r in rows[: w - 1])
    chart = next(c for c in plan.charts if c.name == "bh_chart_rolling")
    assert [(s.y_col, s.dash) for s in chart.series] == [
        ("Beta BBB", False), ("Full-sample BBB", True), ("+2 SE BBB", False),
        ("-2 SE BBB", False)]
    assert chart.series[1].name == f"Full-sample beta BBB ({result.beta:.2f})"
    # one contiguous block against the dates: what xlwings CE can chart
    cols = [rolling.column(s.y_col) for s in chart.series]
    assert cols == list(range(cols[0], cols[0] + 4))


def test_chart_titles_name_asset_benchmark_frequency_and_window(
    result: bh.HedgeResult,
) -> None:
    plan = P.build_plan(result)
    where = (f"AAA on BBB, daily, {result.first_date:%Y-%m-%d}.."
             f"{result.last_date:%Y-%m-%d}")
    assert where == "AAA on BBB, daily, 2020-01-01..2021-02-23"
    titles = {c.name: c.title for c in plan.charts}
    assert all(where in t for t in titles.values()), titles
    assert titles["bh_chart_rolling"].startswith("Rolling 63-day beta")
    assert "period" not in titles["bh_chart_rolling"]
    weekly = bh.beta_hedge(result.prices["AAA"], result.prices["BBB"], frequency="weekly")
    rolling = next(c for c in P.build_plan(weekly).charts if c.name == "bh_chart_rolling")
    assert rolling.title.startswith("Rolling 26-week beta: AAA on BBB, weekly, ")


def test_cumulative_chart_names_the_hedge_ratio_and_goes_log_when_a_line_grows(
    result: bh.HedgeResult, seven_fold: bh.HedgeResult
) -> None:
    growth = next(c for c in P.build_plan(result).charts if c.name == "bh_chart_cumulative")
    assert growth.series[-1].name == f"hedged: AAA - {result.beta:.2f} x BBB"
    assert growth.series[-1].y_col == "hedged"
    assert growth.y_log_base is None  # 300 days of a few percent: a plain axis reads well
    # an asset that grows 7-fold while the benchmark barely moves
    big = seven_fold
    assert big.cumulative()["UP"].iloc[-1] > 5
    growth = next(c for c in P.build_plan(big).charts if c.name == "bh_chart_cumulative")
    assert growth.y_log_base == 2 and growth.y_title == "growth of 1"


def test_excess_returns_are_labelled_as_such() -> None:
    res = _two_benchmarks(risk_free=0.02)
    plan = P.build_plan(res)
    assert plan.table("bh_returns").header == ["Date", "B1 excess", "B2 excess", "AAA excess",
                                               "hedged excess"]
    assert "excess" in plan.table("bh_returns").title
    cum = plan.table("bh_cumulative")
    assert cum.header == ["Date", "AAA excess", "B1 excess", "B2 excess", "hedged excess"]
    growth = next(c for c in plan.charts if c.name == "bh_chart_cumulative")
    assert growth.title.startswith("Growth of 1 (excess returns): ")
    for chart in plan.charts:
        if chart.kind == "scatter":
            assert "excess" in chart.x_title and "excess" in chart.y_title
    plain = P.build_plan(_two_benchmarks())
    assert not any("excess" in h for t in plain.tables for h in t.header)


def test_portfolio_lists_each_holding_with_its_weight() -> None:
    idx = pd.bdate_range("2020-01-01", periods=120)
    rng = np.random.default_rng(5)
    px = pd.DataFrame(100 * np.cumprod(1 + rng.normal(0, 0.01, (120, 3)), axis=0), index=idx,
                      columns=["AAA", "BBB", "CCC"])
    res = bh.beta_hedge(px[["AAA", "BBB"]], px["CCC"], weights=[75, 25], rolling_window=20)
    plan = P.build_plan(res)
    holdings = plan.table("bh_positions")
    assert holdings.header == ["Holding", "Weight"]
    assert holdings.rows == [["AAA", 0.75], ["BBB", 0.25]]
    assert holdings.number_format == {1: "0.00%"}
    summary = plan.table("bh_summary")
    assert holdings.anchor == (summary.last_row + 2, 0)


def test_rolling_table_is_empty_until_the_window_fills(result: bh.HedgeResult) -> None:
    rolling = P.build_plan(result).table("bh_rolling")
    w = result.rolling_window
    assert all(r[1] is None for r in rolling.rows[: w - 1])
    assert rolling.rows[w - 1][1] == pytest.approx(
        float(np.polyfit(result.returns["BBB"][:w], result.returns["AAA"][:w], 1)[0])
    )


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    # (left, top, right, bottom); touching edges do not overlap
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("multi", [False, True])
def test_no_chart_covers_a_table_cell_or_another_chart(result: bh.HedgeResult,
                                                        multi: bool) -> None:
    plan = P.build_plan(_two_benchmarks() if multi else result)
    for chart in plan.charts:
        for s in chart.series:
            table = plan.table(s.table)
            assert s.x_col in table.header and s.y_col in table.header
    rects = [t.bounds() for t in plan.tables]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert a[3] < b[1] or b[3] < a[1] or a[2] < b[0] or b[2] < a[0], (a, b)
    boxes = [plan.chart_rect(c) for c in plan.charts]
    for i, box in enumerate(boxes):
        assert box[2] - box[0] == P.CHART_WIDTH and box[3] - box[1] == P.CHART_HEIGHT
        for other in boxes[i + 1:]:
            assert not _overlap(box, other)
        for t in plan.tables:
            r0, c0, r1, c1 = t.bounds()
            block = (plan.col_left(c0), plan.row_top(r0),
                     plan.col_left(c1 + 1), plan.row_top(r1 + 1))
            assert not _overlap(box, block), t.name


def test_geometry_in_excel_units() -> None:
    # Excel's rule (Calibri 11): 8.43 characters are 64 px, 48 pt; 1 pt is 4/3 px
    assert P.column_pixels(P.DEFAULT_COL_WIDTH) == 64
    assert P.column_points(P.DEFAULT_COL_WIDTH) == 48.0
    assert P.column_pixels(11) == 82 and P.column_pixels(0.5) == 6
    assert P.pixels(P.CHART_WIDTH) == 640 and P.pixels(P.CHART_HEIGHT) == 340


def test_summary_cell_formats(result: bh.HedgeResult) -> None:
    summary = P.build_plan(result).table("bh_summary")
    fmt = {row[0]: summary.format_of(i, 1) for i, row in enumerate(summary.rows)}
    assert fmt["Observations"] == "0"
    assert fmt["First price date"] == P.DATE_FORMAT
    assert fmt["Asset"] is None
    assert abs(result.hedged_beta) < 1e-10
    assert fmt["Hedged beta"] == F.ZERO_RATIO_3
    assert result.beta_p < 1e-4 and fmt["Beta p-value"] == F.PVALUE
    assert fmt["Beta"] == fmt["Beta std. error"] == fmt["Correlation"] == "0.000"
    assert fmt["Beta t-stat"] == fmt["Alpha t-stat"] == "0.00"
    assert fmt["R-squared"] == fmt["Hedge effectiveness (in sample)"] == "0.0%"
    assert fmt["Residual std. dev. (per period)"] == "0.00%"
    assert fmt["Alpha annualised (alpha x 252)"] == "0.00%"
    # the cells keep the exact values; only their look is rounded
    values = {row[0]: row[1] for row in summary.rows}
    assert values["Hedged beta"] == result.hedged_beta
    assert values["Beta p-value"] == result.beta_p


def test_format_rules_as_text() -> None:
    assert F.text("beta_p", 4.23115e-14) == "<0.001"
    assert F.text("alpha_p", 0.56543) == "0.565"
    assert F.text("alpha_p", 0.001) == "0.001"
    assert F.text("hedged_beta", -4.57818e-16) == "0.000"
    assert F.excel_format("hedged_beta", 0.2) == "0.000"
    assert F.text("hedged_beta_XLK", -0.25, ["XLK"]) == "-0.250"
    assert F.text("beta_t_XLK", 8.0249, ["XLK"]) == "8.02"
    assert F.text("r_squared", 0.20467) == "20.5%"
    assert F.text("alpha_annualized", 0.2312) == "23.12%"
    assert F.text("alpha", 0.000917) == "0.0917%"
    assert F.text("n_obs", 251) == "251"
    assert F.text("first_date", dt.datetime(2019, 1, 4)) == "2019-01-04"
    assert F.text("effectiveness_oos", float("nan")) == "n/a"
    assert F.text("asset", "TSLA") == "TSLA"


def test_summary_prints_as_the_report_reads(result: bh.HedgeResult) -> None:
    text = repr(result.summary())
    assert "2020-01-01" in text and "00:00:00" not in text
    assert "<0.001" in text and "e-" not in text
    assert f"{result.r_squared:.1%}" in text
    line = next(ln for ln in str(result).splitlines() if ln.startswith("Hedged beta"))
    assert line.split()[-1] == "0.000"
    assert "e-1" not in str(result)
    # the values stay exact
    table = result.summary()
    assert table.loc[table["label"] == "Beta p-value", "value"].item() == result.beta_p
    assert "&lt;0.001" in result.summary()._repr_html_()
    # The texts, made on first display, are those the result prints, row for row.
    shown = table._display()
    assert shown["value"].tolist() == result._texts(result._stats())
    assert shown["label"].tolist() == table["label"].tolist()


@pytest.mark.parametrize(
    ("row", "col", "ref"), [(0, 0, "A1"), (9, 25, "Z10"), (0, 26, "AA1"), (4, 701, "ZZ5"),
                            (0, 702, "AAA1")],
)
def test_a1(row: int, col: int, ref: str) -> None:
    assert P.a1(row, col) == ref
    letters = ref.rstrip("0123456789")
    assert P.a1(row, col, absolute=True) == f"${letters}${row + 1}"
