"""The backtest sheet (``BetaHedge Backtest``): settings, the estimators x metrics table, growth
of 1 and hedge-ratio paths with their charts, laid out like the hedge's data sheet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .model import (
    CHARTS_COL,
    DATE_FORMAT,
    PALETTE,
    PREFIX,
    REFERENCE,
    Chart,
    ChartSeries,
    OutputPlan,
    Table,
    _data_widths,
    _dt,
    _label_widths,
    _records,
    summary_format,
)

if TYPE_CHECKING:
    from ...backtesting import BacktestResult


#: The sheet of the backtest section.
BACKTEST_SHEET = "BetaHedge Backtest"
#: Excel formats of the backtest table's metric columns (the header's order after "Estimator").
BACKTEST_FORMATS = ["0.00%", "0.0000", "0.0000%", "0.00", "0.00%"]
#: Where the backtest's tables start (column P) and the rows each of its charts takes: clear of
#: the charts (column D on) however wide the drawer makes them.
BACKTEST_TABLES_COL = 15
BACKTEST_CHART_ROWS = 18


def _date_table(name: str, title: str, col: int, frame: Any, number_format: str) -> Table:
    """A date-indexed frame as a table at row 0 of ``col``: a date column, then its columns."""
    return Table(
        name=name,
        title=title,
        anchor=(0, col),
        header=["Date", *[str(c) for c in frame.columns]],
        rows=_records(frame),
        number_format={0: DATE_FORMAT, **{j: number_format
                                          for j in range(1, frame.shape[1] + 1)}},
    )


#: One colour per estimator in every chart of a backtest (the unhedged asset in grey).
ESTIMATOR_COLORS = {"ols": PALETTE[0], "blume": PALETTE[2], "vasicek": PALETTE[3],
                    "ewma": PALETTE[4], "dimson": PALETTE[5]}


def estimator_color(column: str, asset: str) -> str:
    """The colour of a backtest series: its estimator's (``"ols"``, ``"ols on SPY"``), grey
    for the asset unhedged."""
    if column == asset:
        return PALETTE[1]
    return ESTIMATOR_COLORS.get(column.split(" on ")[0], REFERENCE)


def _later_benchmark(column: str, benchmarks: Sequence[str]) -> bool:
    """A ratio on the second (or a later) benchmark is dashed: same colour, other line."""
    return " on " in column and column.split(" on ", 1)[1] in list(benchmarks)[1:]


def _settings_table(result: BacktestResult, p: str) -> Table:
    """The backtest's settings, the best estimator and each estimator's effectiveness (A:B)."""
    settings: list[list[Any]] = [
        ["Asset", result.name],
        ["Benchmark", result.benchmark],
        ["Window (daily returns)", result.window],
        ["Rebalance", f"{result.rebalance}, last trading day"],
        ["EWMA half-life (days)", _whole_or_float(result.halflife)],
        ["Cost (bp per unit traded)", _whole_or_float(result.cost_bps)],
        ["First hedged day", _dt(result.first_hedged)],
        ["Last hedged day", _dt(result.last_hedged)],
        ["Hedged days", result.n_days],
        ["Rebalances", len(result.ratios)],
        ["Best (significant at 5%)", result.verdict],
        *([["Test", result.comparison.test]] if result.comparison is not None else []),
        # The headline metric beside the charts too, where a printed page shows it (the full
        # table is with the other tables, right of the charts).
        *[[f"Effectiveness, {name}", float(v)]
          for name, v in result.table["effectiveness"].items()],
    ]
    summary = Table(
        name=f"{p}summary",
        title=f"Hedge backtest: {result.name} on {result.benchmark}",
        anchor=(0, 0),
        header=["Setting", "Value"],
        rows=settings,
    )
    summary.cell_formats.update(
        {(i, 1): "0.00%" if label.startswith("Effectiveness") else f
         for i, (label, value) in enumerate(settings)
         if (f := summary_format(label, value)) is not None}
    )
    return summary


def build_backtest_plan(result: BacktestResult, sheet: str = BACKTEST_SHEET) -> OutputPlan:
    """The backtest's tables and charts: settings (A:B), charts (D..), tables (M..).

    Tables: the settings and the best estimator; estimators x metrics; growth of 1 of the
    asset and of each estimator's hedged series; the hedge ratio each estimator set at each
    rebalance day. Charts: the cumulative hedged returns and the hedge-ratio paths.
    """
    p = f"{PREFIX}bt_"
    summary = _settings_table(result, p)
    col = BACKTEST_TABLES_COL
    head, *body = result.rows()
    table = Table(
        name=f"{p}table",
        title="Walk-forward hedge by estimator",
        anchor=(0, col),
        header=[str(h) for h in head],
        rows=body,
        number_format={j + 1: f for j, f in enumerate(BACKTEST_FORMATS)},
    )
    col += table.n_cols + 1
    cumulative = _date_table(f"{p}cumulative", "Growth of 1: asset and hedged", col,
                             result.cumulative(), "0.0000")
    col += cumulative.n_cols + 1
    ratios = _date_table(f"{p}ratios", "Hedge ratio set at each rebalance", col,
                         result.ratio_paths(), "0.000")
    growth = Chart(
        name=f"{p}chart_cumulative",
        title=f"Cumulative returns: {result.name} and hedged, by estimator",
        kind="line",
        anchor=(0, CHARTS_COL),
        series=[ChartSeries(f"{result.name} (no hedge)" if c == result.asset else c,
                            cumulative.name,
                            "Date", c, color=estimator_color(c, result.asset))
                for c in cumulative.header[1:]],
        y_title="growth of 1",
        x_number_format="yyyy-mm",
    )
    paths = Chart(
        name=f"{p}chart_ratios",
        title=f"Hedge ratio at each {result.rebalance} rebalance",
        kind="line",
        anchor=(BACKTEST_CHART_ROWS, CHARTS_COL),
        series=[ChartSeries(c, ratios.name, "Date", c, color=estimator_color(c, result.asset),
                            dash=_later_benchmark(c, result.benchmarks))
                for c in ratios.header[1:]],
        y_title="hedge ratio",
        x_number_format="yyyy-mm",
    )
    tables = [summary, table, cumulative, ratios]
    return OutputPlan(
        sheet=sheet,
        title=summary.title,
        tables=tables,
        charts=[growth, paths],
        # The hedge's widths: labels and dates whole, the charts clear of the tables.
        column_widths={**_label_widths([summary]), **_data_widths(tables[1:])},
    )


def backtest_note_plan(name: str, benchmark: str, reason: str,
                       sheet: str = BACKTEST_SHEET) -> OutputPlan:
    """The backtest sheet when the request could not be backtested: one line saying why (it
    replaces an earlier backtest's tables and charts). ``name``: the book's name
    (:attr:`HedgeResult.name`)."""
    summary = Table(
        name=f"{PREFIX}bt_summary",
        title=f"Hedge backtest: {name} on {benchmark}",
        anchor=(0, 0),
        header=["Setting", "Value"],
        rows=[["Asset", name], ["Benchmark", benchmark], ["Backtest", f"not run: {reason}"]],
    )
    return OutputPlan(sheet=sheet, title=summary.title, tables=[summary], charts=[],
                      column_widths=_label_widths([summary]))


def backtest_outline(sheet: str = BACKTEST_SHEET) -> OutputPlan:
    """The names of the backtest's tables and charts without their contents: what a drawer
    removes when the section has nothing to show."""
    p = f"{PREFIX}bt_"
    tables = [Table(name=f"{p}{t}", title="", anchor=(0, 0), header=[], rows=[])
              for t in ("summary", "table", "cumulative", "ratios")]
    charts = [Chart(name=f"{p}chart_{c}", title="", kind="line", anchor=(0, 0), series=[])
              for c in ("cumulative", "ratios")]
    return OutputPlan(sheet=sheet, title="", tables=tables, charts=charts)


def _whole_or_float(value: float) -> int | float:
    """A setting as typed: 63, not 63.000000."""
    return int(value) if float(value).is_integer() else float(value)


