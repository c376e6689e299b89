"""The output plan: which tables and charts a report has, with their names and places.

One plan drives both drawers, the live-Excel refresh (``betahedge_xl.excel``, through xlwings)
and the headless report (``betahedge_xl.report``, an .xlsx file), so the two cannot drift apart.
The plan is plain data: no xlwings, no file format.

Layout of the sheet ``BetaHedge`` (0-based rows and columns)::

    A:B   Summary (label, value)            D..   three charts, stacked
    M..   Returns table (date, benchmark(s), asset, fitted, hedged)
    ..    Cumulative table (date, growth of 1 of each)
    ..    Rolling beta table (date, beta per benchmark)

The returns table holds the regression line too: ``Fitted`` is alpha + beta x of the first
benchmark at each period, so the scatter's points (asset) and line (fitted) are two adjacent
columns against one x column, a single block every drawer can chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import HedgeResult
    from .backtesting import BacktestResult

#: The sheet the tool owns; it writes nowhere else (plus its defined names and charts).
SHEET = "BetaHedge"
#: Prefix of every defined name and chart the tool creates, so it can find and replace its own.
PREFIX = "bh_"

CHART_WIDTH = 576  # pixels (8 columns of 72 px)
CHART_HEIGHT = 300
CHART_ROWS = 16  # rows each chart occupies (20 px per row) including a gap
CHARTS_COL = 3  # column D
TABLES_COL = 12  # column M


@dataclass(frozen=True)
class Table:
    """A block of cells: a title row, a header row, then data rows.

    ``anchor`` is the (row, col) of the title; the header is on the next row and data
    follow. Dates are ``datetime``; numbers are ``float``/``int``; text is ``str``.
    """

    name: str
    title: str
    anchor: tuple[int, int]
    header: list[str]
    rows: list[list[Any]]
    number_format: dict[int, str] = field(default_factory=dict)  # column -> Excel format
    #: (data row, column) -> Excel format, for tables whose rows differ (the summary).
    cell_formats: dict[tuple[int, int], str] = field(default_factory=dict)

    def format_of(self, i: int, j: int) -> str | None:
        """Excel number format of data row ``i``, column ``j`` (``None``: the default)."""
        return self.cell_formats.get((i, j), self.number_format.get(j))

    @property
    def n_rows(self) -> int:
        """Rows of data (without title and header)."""
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return len(self.header)

    @property
    def header_row(self) -> int:
        return self.anchor[0] + 1

    @property
    def first_data_row(self) -> int:
        return self.anchor[0] + 2

    @property
    def last_row(self) -> int:
        """Last row the table occupies (the header's row when it has no data)."""
        return self.anchor[0] + 1 + self.n_rows

    def column(self, header: str) -> int:
        """Sheet column of a header."""
        return self.anchor[1] + self.header.index(header)

    def data_range(self, header: str) -> tuple[int, int, int, int]:
        """(first_row, col, last_row, col) of a column's data cells."""
        col = self.column(header)
        return self.first_data_row, col, self.last_row, col

    def bounds(self) -> tuple[int, int, int, int]:
        """(first_row, first_col, last_row, last_col) the table occupies, title included."""
        return self.anchor[0], self.anchor[1], self.last_row, self.anchor[1] + self.n_cols - 1


@dataclass(frozen=True)
class ChartSeries:
    """One series of a chart: y values (and x values) taken from a table's columns."""

    name: str
    table: str
    x_col: str
    y_col: str
    line: bool = True  # False: markers only (scatter points)
    trendline: bool = False


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    kind: str  # "scatter" (numeric x) or "line" (dates on x)
    anchor: tuple[int, int]
    series: list[ChartSeries]
    x_title: str = ""
    y_title: str = ""
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    x_number_format: str | None = None
    y_number_format: str | None = None


@dataclass(frozen=True)
class OutputPlan:
    sheet: str
    title: str
    tables: list[Table]
    charts: list[Chart]

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def names(self) -> dict[str, tuple[int, int, int, int]]:
        """Defined names the tool owns -> (first_row, first_col, last_row, last_col) of data."""
        out = {}
        for t in self.tables:
            out[t.name] = (t.header_row, t.anchor[1], t.last_row, t.anchor[1] + t.n_cols - 1)
        return out

    def bounds(self) -> tuple[int, int, int, int]:
        """Rectangle of cells the plan's tables cover (for the "a user's cell is in the way"
        check)."""
        b = [t.bounds() for t in self.tables]
        return (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b),
                max(x[3] for x in b))


def a1(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of a 0-based (row, col): ``a1(0, 27) == "AB1"``, absolute ``"$AB$1"``."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    d = "$" if absolute else ""
    return f"{d}{letters}{d}{row + 1}"


DATE_FORMAT = "yyyy-mm-dd"
#: Summary values: six decimals show a daily alpha (about 1e-3) and a beta alike.
SUMMARY_FLOAT_FORMAT = "0.000000"
#: Values too small or too large for six decimals (p-values of 1e-14, say) keep their digits.
SUMMARY_SCIENTIFIC_FORMAT = "0.00E+00"
#: The hedged beta is zero by construction; its rounding noise (1e-16) reads as the zero it is
#: while the cell keeps the exact value.
SUMMARY_ZERO_FORMAT = "0.000000;0.000000"
_NOISE = 1e-10


def summary_format(label: str, value: Any) -> str | None:
    """Number format of one summary value (``None`` for text)."""
    import datetime as _datetime
    import math

    if isinstance(value, (_datetime.date, _datetime.datetime)):
        return DATE_FORMAT
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return "0"
    if label.startswith("Hedged beta") and abs(value) < _NOISE:
        return SUMMARY_ZERO_FORMAT
    a = abs(value)
    if (a < 1e-4 or a >= 1e6) and math.isfinite(value) and a != 0:
        return SUMMARY_SCIENTIFIC_FORMAT
    return SUMMARY_FLOAT_FORMAT


def _dt(ts: Any) -> Any:
    return ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts


def _records(frame: Any) -> list[list[Any]]:
    """Rows of a date-indexed frame as [datetime, float, ...], NaN as None (an empty cell)."""
    import numpy as np

    values = frame.to_numpy(dtype=float)
    cells: list[list[Any]] = np.where(np.isnan(values), None, values).tolist()  # type: ignore[attr-defined]
    return [[_dt(d), *row] for d, row in zip(frame.index, cells)]


def build_plan(result: HedgeResult, sheet: str = SHEET) -> OutputPlan:
    """The tables and charts of one result, at fixed places on ``sheet``."""
    asset, benches = result.asset, list(result.benchmarks)
    first_bench = benches[0]

    summary = Table(
        name=f"{PREFIX}summary",
        title=f"Beta hedge: {asset} on {result.benchmark}",
        anchor=(0, 0),
        header=["Statistic", "Value"],
        rows=[[label, _dt(value)] for label, value in result.summary().itertuples(index=False)],
    )
    summary.cell_formats.update(
        {(i, 1): f for i, (label, value) in enumerate(summary.rows)
         if (f := summary_format(label, value)) is not None}
    )

    col = TABLES_COL
    # x first, then the scatter's two y columns side by side: the asset and the fitted line
    # (with several benchmarks, the line of the first one's partial beta, as the title says).
    b1 = float(result.fit.params.iloc[1])
    series = result.series().set_index("date")
    returns_frame = series[[*benches, asset]].assign(
        Fitted=result.alpha + b1 * series[first_bench], hedged=series["hedged"])
    returns = Table(
        name=f"{PREFIX}returns",
        title=f"{result.frequency.capitalize()} {result.method} returns",
        anchor=(0, col),
        header=["Date", *returns_frame.columns.map(str)],
        rows=_records(returns_frame),
        number_format={0: DATE_FORMAT, **{j: "0.00%" for j in range(1, returns_frame.shape[1] + 1)}},
    )
    col += returns.n_cols + 1
    cum_frame = result.cumulative()
    cumulative = Table(
        name=f"{PREFIX}cumulative",
        title="Growth of 1",
        anchor=(0, col),
        header=["Date", *cum_frame.columns.map(str)],
        rows=_records(cum_frame),
        number_format={0: DATE_FORMAT, **{j: "0.0000" for j in range(1, cum_frame.shape[1] + 1)}},
    )
    col += cumulative.n_cols + 1
    roll = result.rolling_beta
    rolling = Table(
        name=f"{PREFIX}rolling",
        title=f"Rolling beta ({result.rolling_window} periods)",
        anchor=(0, col),
        header=["Date", *[f"Beta {c}" for c in roll.columns]],
        rows=_records(roll),
        number_format={0: DATE_FORMAT, **{j: "0.000" for j in range(1, roll.shape[1] + 1)}},
    )

    scatter = Chart(
        name=f"{PREFIX}chart_scatter",
        title=f"{asset} vs {first_bench} returns (beta {b1:.2f})",
        kind="scatter",
        anchor=(0, CHARTS_COL),
        series=[
            ChartSeries(f"{result.frequency} returns", returns.name, first_bench, asset,
                        line=False),
            ChartSeries(f"alpha + beta x {first_bench}", returns.name, first_bench, "Fitted"),
        ],
        x_title=f"{first_bench} return",
        y_title=f"{asset} return",
        x_number_format="0%",
        y_number_format="0%",
    )
    growth = Chart(
        name=f"{PREFIX}chart_cumulative",
        title="Cumulative returns: asset, benchmark, hedged",
        kind="line",
        anchor=(CHART_ROWS, CHARTS_COL),
        series=[ChartSeries(c, cumulative.name, "Date", c) for c in cumulative.header[1:]],
        y_title="growth of 1",
        x_number_format="yyyy-mm",
    )
    rolling_chart = Chart(
        name=f"{PREFIX}chart_rolling",
        title=f"Rolling {result.rolling_window}-period beta",
        kind="line",
        anchor=(2 * CHART_ROWS, CHARTS_COL),
        series=[ChartSeries(h, rolling.name, "Date", h) for h in rolling.header[1:]],
        y_title="beta",
        x_number_format="yyyy-mm",
    )
    return OutputPlan(
        sheet=sheet,
        title=summary.title,
        tables=[summary, returns, cumulative, rolling],
        charts=[scatter, growth, rolling_chart],
    )


# --------------------------------------------------------------------------------------------
# The backtest section (``bh.backtest``): its own sheet, laid out like the hedge's
# --------------------------------------------------------------------------------------------
#: The sheet of the backtest section.
BACKTEST_SHEET = "BetaHedge Backtest"
#: Excel formats of the backtest table's metric columns (the header's order after "Estimator").
BACKTEST_FORMATS = ["0.0000", "0.0000", "0.0000%", "0.00", "0.00%"]
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


def build_backtest_plan(result: BacktestResult, sheet: str = BACKTEST_SHEET) -> OutputPlan:
    """The backtest's tables and charts: settings (A:B), charts (D..), tables (M..).

    Tables: the settings and the best estimator; estimators x metrics; growth of 1 of the
    asset and of each estimator's hedged series; the hedge ratio each estimator set at each
    rebalance day. Charts: the cumulative hedged returns and the hedge-ratio paths.
    """
    p = f"{PREFIX}bt_"
    settings: list[list[Any]] = [
        ["Asset", result.asset],
        ["Benchmark", result.benchmark],
        ["Window (daily returns)", result.window],
        ["Rebalance", f"{result.rebalance}, last trading day"],
        ["EWMA half-life (days)", _whole_or_float(result.halflife)],
        ["Cost (bp per unit traded)", _whole_or_float(result.cost_bps)],
        ["First hedged day", _dt(result.first_hedged)],
        ["Last hedged day", _dt(result.last_hedged)],
        ["Hedged days", result.n_days],
        ["Rebalances", len(result.ratios)],
        ["Best (highest effectiveness)", result.best],
        # The headline metric beside the charts too, where a printed page shows it (the full
        # table is with the other tables, right of the charts).
        *[[f"Effectiveness, {name}", float(v)]
          for name, v in result.table["effectiveness"].items()],
    ]
    summary = Table(
        name=f"{p}summary",
        title=f"Hedge backtest: {result.asset} on {result.benchmark}",
        anchor=(0, 0),
        header=["Setting", "Value"],
        rows=settings,
    )
    summary.cell_formats.update(
        {(i, 1): "0.0000" if label.startswith("Effectiveness") else f
         for i, (label, value) in enumerate(settings)
         if (f := summary_format(label, value)) is not None}
    )
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
                         result.ratios, "0.000")
    growth = Chart(
        name=f"{p}chart_cumulative",
        title=f"Cumulative returns: {result.asset} and hedged, by estimator",
        kind="line",
        anchor=(0, CHARTS_COL),
        series=[ChartSeries(c, cumulative.name, "Date", c) for c in cumulative.header[1:]],
        y_title="growth of 1",
        x_number_format="yyyy-mm",
    )
    paths = Chart(
        name=f"{p}chart_ratios",
        title=f"Hedge ratio at each {result.rebalance} rebalance",
        kind="line",
        anchor=(BACKTEST_CHART_ROWS, CHARTS_COL),
        series=[ChartSeries(c, ratios.name, "Date", c) for c in ratios.header[1:]],
        y_title="hedge ratio",
        x_number_format="yyyy-mm",
    )
    return OutputPlan(
        sheet=sheet,
        title=summary.title,
        tables=[summary, table, cumulative, ratios],
        charts=[growth, paths],
    )


def backtest_note_plan(asset: Any, benchmark: str, reason: str,
                       sheet: str = BACKTEST_SHEET) -> OutputPlan:
    """The backtest sheet when the request could not be backtested: one line saying why (it
    replaces an earlier backtest's tables and charts)."""
    name = asset if isinstance(asset, str) else "Portfolio"
    summary = Table(
        name=f"{PREFIX}bt_summary",
        title=f"Hedge backtest: {name} on {benchmark}",
        anchor=(0, 0),
        header=["Setting", "Value"],
        rows=[["Asset", name], ["Benchmark", benchmark], ["Backtest", f"not run: {reason}"]],
    )
    return OutputPlan(sheet=sheet, title=summary.title, tables=[summary], charts=[])


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
