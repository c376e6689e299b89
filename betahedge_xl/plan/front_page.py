"""The one page to forward: the report's first sheet (a hedge's or a backtest's), printed on
one landscape page: heading, the trade or verdict, key statistics and the data sheet's charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import formats as _formats
from .model import (
    CHARTS_COL,
    GAP_COL_WIDTH,
    PREFIX,
    Chart,
    OutputPlan,
    Table,
    _dt,
    column_points,
    hedge_formula,
)

if TYPE_CHECKING:
    from ...analysis import HedgeResult
    from ...backtesting import BacktestResult


#: The front page's sheet, first in the report file.
FRONT_SHEET = "BetaHedge Report"
#: Its label and value columns (characters) and the gap before the charts.
FRONT_LABEL_WIDTH = 28.0
FRONT_VALUE_WIDTH = 20.0
#: Width of the columns under the charts (characters): 14 of them hold two charts side by side.
#: Narrow on purpose: LibreOffice without Calibri's metrics draws a character of width wider
#: than Excel and stretches the charts with their cells; the page must still fit at 70%.
FRONT_CHART_COL_WIDTH = 6.0
#: Font size of the front page's tables (the sheet's columns are counted in 11 pt digits).
FRONT_FONT_SIZE = 9
#: Font sizes of its heading (the title, then the as-of and source lines) and table titles.
FRONT_HEADING_SIZES = (16, 10)
FRONT_TITLE_SIZE = 12
#: Charts on the front page: two side by side, the third below them, in default columns.
FRONT_CHART_COLS = 7
FRONT_CHART_HEIGHT = 300.0  # points
#: Rows of the front page's tables: 12 pt for 9 pt text; the heading's rows fit its fonts.
FRONT_ROW_HEIGHT = 12.0
FRONT_HEADING_HEIGHTS = (22.0, 13.0, 13.0, 6.0)
#: Rows the front page's geometry covers (its tables end well before).
_FRONT_ROWS = 120
#: Rows of the heading (title, as-of line, source line) and the blank row after it.
FRONT_HEADING_ROWS = 4
#: Statistics the front page shows, in this order, when the result has them (a book's capital
#: adds the money lines; several benchmarks their betas).
FRONT_STATS = ("n_obs", "beta", "beta_se", "beta_p", "adjusted_beta", "adjusted_beta_note",
               "r_squared", "alpha_annualized", "effectiveness", "effectiveness_oos",
               "volatility", "volatility_hedged", "residual_volatility", "tracking_error",
               "volatility_money", "volatility_hedged_money", "residual_volatility_money",
               "tracking_error_money", "up_capture", "down_capture")
#: The trade's lines, in this order, when present.
FRONT_TRADE = ("hedge_advice", "capital", "benchmark_notional", "hedge_instrument",
               "hedge_units", "hedge_exact", "hedge_price", "hedge_notional_rounded",
               "hedge_beta", "hedge_beta_basis", "residual_beta")


def run_stamp() -> str:
    """``2026-12-07 11:02 UTC``: when a report was made."""
    import datetime as dt

    return f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


def _label_value_table(name: str, title: str, anchor: tuple[int, int],
                       rows: list[tuple[str, str, Any]], benchmarks: Sequence[str],
                       heights: dict[int, float], wrapped: set[tuple[int, int]],
                       header: Sequence[str]) -> Table:
    """Label/value rows whose long texts wrap in their cell, the row as tall as its lines:
    one table of a page, nothing beside it on the sheet's rows but the charts floating over
    other columns."""
    cells: list[list[Any]] = []
    formats: dict[tuple[int, int], str] = {}
    for i, (key, label, value) in enumerate(rows):
        value = _dt(value)
        if isinstance(value, str) and len(value) > FRONT_VALUE_WIDTH:
            # Proportional 9 pt text runs narrower than the 11 pt digits a width counts (about
            # 1.3 characters of text per digit's width once long words wrap early).
            lines = math.ceil(len(value) / (FRONT_VALUE_WIDTH * 1.3))
            heights[anchor[0] + 2 + i] = FRONT_ROW_HEIGHT * lines
            wrapped.add((anchor[0] + 2 + i, anchor[1] + 1))
        cells.append([label, value])
        fmt = _formats.excel_format(key, value, benchmarks)
        if fmt is not None:
            formats[(i, 1)] = fmt
    return Table(name=name, title=title, anchor=anchor, header=list(header), rows=cells,
                 cell_formats=formats)


def _front_heights() -> dict[int, float]:
    """Row heights of a front page: the heading's, then 12 pt rows (wrapped ones set later)."""
    heights = dict(enumerate(FRONT_HEADING_HEIGHTS))
    heights.update({r: FRONT_ROW_HEIGHT for r in range(FRONT_HEADING_ROWS, _FRONT_ROWS)})
    return heights


def _front_charts(charts: list[Chart], top: int, probe: OutputPlan) -> list[Chart]:
    """Two charts side by side from row ``top`` (column D on), the third under them, each
    resized to the front page's grid."""
    import dataclasses

    width = FRONT_CHART_COLS * column_points(FRONT_CHART_COL_WIDTH)
    height = FRONT_CHART_HEIGHT
    out = []
    below = probe.row_at(probe.row_top(top) + height + 6.0)
    places = [(top, CHARTS_COL, width), (top, CHARTS_COL + FRONT_CHART_COLS, width),
              (below, CHARTS_COL, 2 * width)]
    for chart, (row, col, w) in zip(charts, places):
        out.append(dataclasses.replace(chart, name=chart.name.replace(PREFIX, f"{PREFIX}front_"),
                                       anchor=(row, col), width=w, height=height))
    return out


def build_front_page(result: HedgeResult, data: OutputPlan,
                     sheet: str = FRONT_SHEET) -> OutputPlan:
    """The page a PM forwards: title (the book's name or holdings), as-of date, data source
    and run time; the hedge trade with the advice beside it; the key statistics; the three
    charts of ``data`` (returns scatter, growth of 1, rolling beta), whose tables stay on
    ``data``'s sheet. Printed on one landscape page (A4 or Letter) at about 75%."""
    from .. import __version__

    benches = list(result.benchmarks)
    stats = {key: (label, value) for key, label, value in result._stats()}
    heading = (
        f"Beta hedge: {result.name} on {result.benchmark}",
        f"As of {result.last_date:%Y-%m-%d}: {result.n_obs} {result.frequency} "
        f"{result.method} returns, {result.first_date:%Y-%m-%d}..{result.last_date:%Y-%m-%d}",
        f"Data: {result.source or 'memory'}; run {run_stamp()}; betahedge-xl {__version__}",
    )
    heights = _front_heights()
    wrapped: set[tuple[int, int]] = set()
    trade_keys = [k for k in FRONT_TRADE if k in stats]
    trade_rows = [(k, *stats[k]) for k in trade_keys]
    ratio = ("hedge_ratio", "Hedge (per 1 of the book)", f"hedged = {hedge_formula(result)}")
    trade = _label_value_table(f"{PREFIX}front_trade", "The hedge", (FRONT_HEADING_ROWS, 0),
                               [trade_rows[0], ratio, *trade_rows[1:]], benches, heights,
                               wrapped, ("Trade", "Value"))
    keys = [k for k in FRONT_STATS if k in stats]
    if "adjusted_beta_note" in stats:
        keys.remove("adjusted_beta")  # not applied: its reason instead of an empty cell
    if len(benches) > 1:
        keys = [k for k in stats if k.startswith("beta_") and k.split("_", 1)[1] in benches] \
            + [k for k in keys if k not in ("beta", "beta_se", "beta_p")]
    key_stats = _label_value_table(
        f"{PREFIX}front_stats", "Key statistics", (trade.last_row + 2, 0),
        [(k, *stats[k]) for k in keys], benches, heights, wrapped, ("Statistic", "Value"))
    widths = {0: FRONT_LABEL_WIDTH, 1: FRONT_VALUE_WIDTH, 2: GAP_COL_WIDTH,
              **{c: FRONT_CHART_COL_WIDTH for c in range(CHARTS_COL,
                                                         CHARTS_COL + 2 * FRONT_CHART_COLS)}}
    probe = OutputPlan(sheet, "", [], [], widths, heights)
    scatter = [c for c in data.charts if c.kind == "scatter"][:1]
    lines = [c for c in data.charts if c.name in (f"{PREFIX}chart_cumulative",
                                                  f"{PREFIX}chart_rolling")]
    charts = _front_charts([*scatter, *lines], FRONT_HEADING_ROWS, probe)
    return OutputPlan(sheet=sheet, title=heading[0], tables=[trade, key_stats], charts=charts,
                      column_widths=widths, row_heights=heights, wrapped=frozenset(wrapped),
                      heading=heading, printing="page")


def with_front_page(plan: OutputPlan, result: HedgeResult) -> OutputPlan:
    """``plan`` carrying its front page (what the .xlsx report prints first)."""
    import dataclasses

    return dataclasses.replace(plan, front=build_front_page(result, plan))


def build_backtest_front(result: BacktestResult, data: OutputPlan,
                         sheet: str = "BetaHedge Backtest Report") -> OutputPlan:
    """The backtest's page to forward: title, as-of line, source and run time; the verdict
    (the best estimator only when significantly ahead, with the test), the settings and each
    estimator's effectiveness and net return beside not hedging; the two charts of ``data``
    stacked right of them. One landscape page."""
    from .. import __version__

    heading = (
        f"Hedge backtest: {result.name} on {result.benchmark}",
        f"As of {result.last_hedged:%Y-%m-%d}: {result.n_days} hedged days "
        f"{result.first_hedged:%Y-%m-%d}..{result.last_hedged:%Y-%m-%d}, "
        f"{result.window}-day window, {result.rebalance} rebalance, "
        f"{result.cost_bps:g} bp cost",
        f"Data: {result.source or 'memory'}; run {run_stamp()}; betahedge-xl {__version__}",
    )
    rows: list[tuple[str, str, Any]] = [("best", "Best (significant at 5%)", result.verdict)]
    if result.comparison is not None:
        rows.append(("test", "Test", result.comparison.test))
    rows += [("window", "Window (daily returns)", result.window),
             ("rebalances", "Rebalances", len(result.ratios))]
    t = result.table
    for name in t.index:
        rows.append(("effectiveness", f"Effectiveness, {name}", float(t.loc[name,
                                                                            "effectiveness"])))
    for name in t.index:
        rows.append(("net_return", f"Net hedged return a year, {name}",
                     float(t.loc[name, "net_return"])))
    heights = _front_heights()
    wrapped: set[tuple[int, int]] = set()
    table = _label_value_table(f"{PREFIX}bt_front", "The verdict", (FRONT_HEADING_ROWS, 0),
                               rows, result.benchmarks, heights, wrapped,
                               ("Setting", "Value"))
    for i, (key, _, _) in enumerate(rows):
        if key in ("effectiveness", "net_return"):
            table.cell_formats[(i, 1)] = "0.00%"
    widths = {0: FRONT_LABEL_WIDTH, 1: FRONT_VALUE_WIDTH, 2: GAP_COL_WIDTH,
              **{c: FRONT_CHART_COL_WIDTH for c in range(CHARTS_COL,
                                                         CHARTS_COL + 2 * FRONT_CHART_COLS)}}
    probe = OutputPlan(sheet, "", [], [], widths, heights)
    import dataclasses

    width = 2 * FRONT_CHART_COLS * column_points(FRONT_CHART_COL_WIDTH)
    height = FRONT_CHART_HEIGHT
    below = probe.row_at(probe.row_top(FRONT_HEADING_ROWS) + height + 6.0)
    charts = [dataclasses.replace(c, name=c.name.replace(PREFIX, f"{PREFIX}front_"),
                                  anchor=(row, CHARTS_COL), width=width, height=height)
              for c, row in zip(data.charts, (FRONT_HEADING_ROWS, below))]
    return OutputPlan(sheet=sheet, title=heading[0], tables=[table], charts=charts,
                      column_widths=widths, row_heights=heights, wrapped=frozenset(wrapped),
                      heading=heading, printing="page")
