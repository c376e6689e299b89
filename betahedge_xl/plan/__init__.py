"""The output plan: which tables and charts a report has, with their names and places.

One plan drives every drawer, the live-Excel refresh (``betahedge_xl.excel``, through xlwings),
the headless report (``betahedge_xl.report``, an .xlsx file) and the PNG pictures
(``betahedge_xl.charts_png``), so they cannot drift apart. The plan is plain data: no xlwings,
no file format.

Layout of the sheet ``BetaHedge`` (0-based rows and columns)::

    A:B   Summary (label, value); a portfolio's holdings below it
    D..   charts, stacked: returns scatter(s), growth of 1, rolling beta
    ..    Returns table (date, benchmark(s), asset, [fitted], hedged)
    ..    [several benchmarks] Partial-regression table (per benchmark: x, y net, fit)
    ..    Cumulative table (date, growth of 1 of each)
    ..    Rolling beta table (date; per benchmark: beta, full-sample beta, +2 SE, -2 SE)

The geometry is in Excel's units (column widths in characters, heights and chart sizes in
points) and stated here once: the tables start right of the charts' right edge, each chart
below the last one's bottom, computed from the widths and heights the drawers then set.

With one benchmark the returns table holds the regression line too: ``Fitted`` is alpha + beta
x at each period, so the scatter's points (asset) and line (fitted) are two adjacent columns
against one x column, a single block every drawer can chart. With several, the scatter per
benchmark is the partial regression (both net of the other benchmarks), whose slope is that
benchmark's beta.

The plan is built per sheet: :mod:`.model` (the shared plan types, geometry, text rules,
formats), :mod:`.data_sheet` (:func:`build_plan`), :mod:`.backtest_sheet`
(:func:`build_backtest_plan`) and :mod:`.front_page` (the page to forward); every name is
importable from ``betahedge_xl.plan`` as before.
"""

from __future__ import annotations

from .model import (  # noqa: F401
    CHARTS_COL,
    CHART_GAP_ROWS,
    CHART_HEIGHT,
    CHART_MARGIN,
    CHART_WIDTH,
    Chart,
    ChartSeries,
    DATE_FORMAT,
    DEFAULT_COL_WIDTH,
    DEFAULT_ROW_HEIGHT,
    FIT_LINE,
    GAP_COL_WIDTH,
    LOG_AXIS_NOTE,
    OPTIONAL_TABLES,
    OutputPlan,
    PALETTE,
    PREFIX,
    PX_PER_PT,
    REFERENCE,
    SHEET,
    SUMMARY_VALUE_WIDTH,
    Table,
    _BREAKS,
    _CONTROL,
    _DATE_WIDTH,
    _DIGIT_PX,
    _JOINER,
    _NUMBER_WIDTH,
    _PADDING_PX,
    _REFERENCE,
    _UNIT,
    _clean,
    _data_widths,
    _dt,
    _header_width,
    _label_widths,
    _pd,
    _records,
    _wrap,
    a1,
    cell_text,
    chart_text,
    column_pixels,
    column_points,
    context,
    excess_suffix,
    hedge_formula,
    label_text,
    pixels,
    summary_format,
    tint,
)
from .data_sheet import (  # noqa: F401
    _position_betas,
    build_plan,
)
from .backtest_sheet import (  # noqa: F401
    BACKTEST_CHART_ROWS,
    BACKTEST_FORMATS,
    BACKTEST_SHEET,
    BACKTEST_TABLES_COL,
    ESTIMATOR_COLORS,
    _date_table,
    _later_benchmark,
    _whole_or_float,
    backtest_note_plan,
    backtest_outline,
    build_backtest_plan,
    estimator_color,
)
from .front_page import (  # noqa: F401
    FRONT_CHART_COLS,
    FRONT_CHART_COL_WIDTH,
    FRONT_CHART_HEIGHT,
    FRONT_FONT_SIZE,
    FRONT_HEADING_SIZES,
    FRONT_TITLE_SIZE,
    FRONT_HEADING_HEIGHTS,
    FRONT_HEADING_ROWS,
    FRONT_LABEL_WIDTH,
    FRONT_ROW_HEIGHT,
    FRONT_SHEET,
    FRONT_STATS,
    FRONT_TRADE,
    FRONT_VALUE_WIDTH,
    _FRONT_ROWS,
    _front_charts,
    _front_heights,
    _label_value_table,
    build_backtest_front,
    build_front_page,
    run_stamp,
    with_front_page,
)

__all__ = [
    "BACKTEST_CHART_ROWS",
    "BACKTEST_FORMATS",
    "BACKTEST_SHEET",
    "BACKTEST_TABLES_COL",
    "CHARTS_COL",
    "CHART_GAP_ROWS",
    "CHART_HEIGHT",
    "CHART_MARGIN",
    "CHART_WIDTH",
    "Chart",
    "ChartSeries",
    "DATE_FORMAT",
    "DEFAULT_COL_WIDTH",
    "DEFAULT_ROW_HEIGHT",
    "ESTIMATOR_COLORS",
    "FIT_LINE",
    "FRONT_CHART_COLS",
    "FRONT_CHART_COL_WIDTH",
    "FRONT_CHART_HEIGHT",
    "FRONT_FONT_SIZE",
    "FRONT_HEADING_SIZES",
    "FRONT_TITLE_SIZE",
    "FRONT_HEADING_HEIGHTS",
    "FRONT_HEADING_ROWS",
    "FRONT_LABEL_WIDTH",
    "FRONT_ROW_HEIGHT",
    "FRONT_SHEET",
    "FRONT_STATS",
    "FRONT_TRADE",
    "FRONT_VALUE_WIDTH",
    "GAP_COL_WIDTH",
    "LOG_AXIS_NOTE",
    "OPTIONAL_TABLES",
    "OutputPlan",
    "PALETTE",
    "PREFIX",
    "PX_PER_PT",
    "REFERENCE",
    "SHEET",
    "SUMMARY_VALUE_WIDTH",
    "Table",
    "a1",
    "backtest_note_plan",
    "backtest_outline",
    "build_backtest_front",
    "build_backtest_plan",
    "build_front_page",
    "build_plan",
    "cell_text",
    "chart_text",
    "column_pixels",
    "column_points",
    "context",
    "estimator_color",
    "excess_suffix",
    "hedge_formula",
    "label_text",
    "pixels",
    "run_stamp",
    "summary_format",
    "tint",
    "with_front_page",
]
