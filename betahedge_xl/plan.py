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
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import formats as _formats

if TYPE_CHECKING:
    from .analysis import HedgeResult
    from .backtesting import BacktestResult

#: The sheet the tool owns; it writes nowhere else (plus its defined names and charts).
SHEET = "BetaHedge"
#: Prefix of every defined name and chart the tool creates, so it can find and replace its own.
PREFIX = "bh_"
#: Tables only some results have (a book's holdings and position betas, several benchmarks'
#: partial regressions): the report owns them whenever they are there, so a refresh after
#: the request changed (a book, then one ticker) clears them instead of stopping on them.
OPTIONAL_TABLES = (f"{PREFIX}positions", f"{PREFIX}position_betas", f"{PREFIX}partial")

# Geometry, in Excel's own units: column widths in characters (what Excel's ColumnWidth,
# xlsxwriter's set_column and xlwings' Range.column_width take), row heights and chart sizes in
# points (what xlwings' charts.add and Range.left/top use). Each drawer converts to its writer's
# unit: xlsxwriter sizes charts in pixels, 96 per inch, so 1 pt = 4/3 px.
DEFAULT_COL_WIDTH = 8.43  # characters: 64 px, 48 pt
DEFAULT_ROW_HEIGHT = 15.0  # points: 20 px
CHART_WIDTH = 480.0  # points (10 default columns)
CHART_HEIGHT = 255.0  # points (17 default rows)
CHART_GAP_ROWS = 1  # empty rows between stacked charts
CHART_MARGIN = 12.0  # points between the charts' right edge and the first table
CHARTS_COL = 3  # column D
GAP_COL_WIDTH = 2.0  # column C, between the summary and the charts
PX_PER_PT = 4.0 / 3.0
#: Excel's column width unit is the width of "0" in the Normal style (Calibri 11: 7 px),
#: plus 5 px of cell padding.
_DIGIT_PX = 7
_PADDING_PX = 5


def column_pixels(chars: float) -> int:
    """Pixels of a column ``chars`` characters wide (Excel's rule, as xlsxwriter applies it)."""
    if chars <= 0:
        return 0
    if chars < 1:
        return int(chars * (_DIGIT_PX + _PADDING_PX) + 0.5)
    return int(chars * _DIGIT_PX + 0.5) + _PADDING_PX


def column_points(chars: float) -> float:
    """Points of a column ``chars`` characters wide."""
    return column_pixels(chars) / PX_PER_PT


def pixels(points: float) -> int:
    """A length in points as whole pixels (xlsxwriter's unit)."""
    return int(round(points * PX_PER_PT))


# Text from user data (tickers, a CSV's headers, a Series' name) reaches cells and charts. A
# control character makes a chart's XML invalid (the file does not open); a chart text that
# looks like a reference (``+cmd|' /C calc'!A0``) is written by xlsxwriter as a formula.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\n\r]+")
#: What xlsxwriter takes for a reference in a chart's texts (its ``_process_names`` pattern).
_REFERENCE = re.compile(r"^=?[^!]+!\$?[A-Z]+\$?\d+")
#: U+2060 WORD JOINER: invisible, no break; after a "!" it keeps a text from reading as a
#: reference while showing the same characters.
_JOINER = "\u2060"


def cell_text(text: Any) -> Any:
    """A cell's text without control characters (line breaks kept: wrapped cells use
    them); anything else as given."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub("", text.replace("\t", " ").replace("\r", ""))


def label_text(text: str) -> str:
    """A header's or chart's text on one line, without control characters."""
    return _CONTROL.sub("", _BREAKS.sub(" ", str(text)))


def chart_text(text: str) -> str:
    """A chart's title, axis title or series name as literal text: one line, no control
    character, and never read as a reference (a word joiner after each ``!`` when it would
    be)."""
    out = label_text(text)
    if _REFERENCE.match(out):
        out = out.replace("!", "!" + _JOINER)
    return out


def _clean(obj: Any, **fields: Any) -> None:
    """Set the cleaned fields of a frozen dataclass."""
    for key, value in fields.items():
        object.__setattr__(obj, key, value)


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

    def __post_init__(self) -> None:
        # Texts from user data are literal: no control characters in cells or headers.
        rows = self.rows
        if any(isinstance(v, str) and _CONTROL.search(v) for row in rows for v in row):
            rows = [[cell_text(v) for v in row] for row in rows]
        _clean(self, title=label_text(self.title),
               header=[label_text(h) for h in self.header], rows=rows)

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
    color: str | None = None  # "#RRGGBB"
    dash: bool = False  # a reference line: dashed where the writer can dash
    width: float = 1.5  # points

    def __post_init__(self) -> None:
        # The columns are found by the table's cleaned headers.
        _clean(self, name=chart_text(self.name), x_col=label_text(self.x_col),
               y_col=label_text(self.y_col))


@dataclass(frozen=True)
class Chart:
    """A native chart. ``anchor`` is its top-left cell; ``width``/``height`` are points."""

    name: str
    title: str
    kind: str  # "scatter" (numeric x) or "line" (dates on x)
    anchor: tuple[int, int]
    series: list[ChartSeries]
    x_title: str = ""
    y_title: str = ""
    width: float = CHART_WIDTH
    height: float = CHART_HEIGHT
    x_number_format: str | None = None
    y_number_format: str | None = None
    #: A logarithmic value axis of this base; drawers that apply it say so on the axis title.
    y_log_base: int | None = None

    def __post_init__(self) -> None:
        _clean(self, name=chart_text(self.name), title=chart_text(self.title),
               x_title=chart_text(self.x_title), y_title=chart_text(self.y_title))


#: What a drawer appends to the value axis title when it draws the axis logarithmic.
LOG_AXIS_NOTE = ", log scale"


@dataclass(frozen=True)
class OutputPlan:
    """Tables, charts and the sheet's geometry, for every drawer alike."""

    sheet: str
    title: str
    tables: list[Table]
    charts: list[Chart]
    #: Column (0-based) -> width in characters; others have Excel's default width.
    column_widths: dict[int, float] = field(default_factory=dict)
    #: Row (0-based) -> height in points; others have the default height.
    row_heights: dict[int, float] = field(default_factory=dict)
    #: Cells (row, col) whose text wraps on its line breaks.
    wrapped: frozenset[tuple[int, int]] = frozenset()
    #: The one page to forward (:func:`build_front_page`): a sheet of its own, printed first,
    #: whose charts draw from this plan's tables. ``None``: no such page (the live refresh
    #: draws only the data sheet).
    front: OutputPlan | None = None
    #: Lines above the first table (title, as-of date, source and run time), written from
    #: row 0 down in bold then plain; the tables start below them.
    heading: tuple[str, ...] = ()
    #: Print setup: ``"page"`` fits the print area on one page (the front page); ``"data"``
    #: prints the tables at a legible scale on as many pages as they take.
    printing: str = "data"

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

    # -- geometry (points) -----------------------------------------------------------------
    def column_width(self, col: int) -> float:
        return self.column_widths.get(col, DEFAULT_COL_WIDTH)

    def row_height(self, row: int) -> float:
        return self.row_heights.get(row, DEFAULT_ROW_HEIGHT)

    def col_left(self, col: int) -> float:
        """Points from the sheet's left edge to column ``col``."""
        return sum(column_points(self.column_width(c)) for c in range(col))

    def row_top(self, row: int) -> float:
        """Points from the sheet's top edge to row ``row``."""
        extra = sum(h - DEFAULT_ROW_HEIGHT for r, h in self.row_heights.items() if r < row)
        return row * DEFAULT_ROW_HEIGHT + extra

    def chart_rect(self, chart: Chart) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of a chart in points."""
        left, top = self.col_left(chart.anchor[1]), self.row_top(chart.anchor[0])
        return left, top, left + chart.width, top + chart.height

    def cell_rect(self, row: int, col: int) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of a cell in points."""
        left, top = self.col_left(col), self.row_top(row)
        return (left, top, left + column_points(self.column_width(col)),
                top + self.row_height(row))

    def row_at(self, points: float) -> int:
        """The row whose top is at or below ``points`` from the sheet's top (the first such)."""
        row = 0
        while self.row_top(row) < points:
            row += 1
        return row

    def print_area(self) -> tuple[int, int, int, int]:
        """(first_row, first_col, last_row, last_col): every table and chart."""
        r0, c0, r1, c1 = self.bounds()
        for chart in self.charts:
            left, top, right, bottom = self.chart_rect(chart)
            r1 = max(r1, self.row_at(bottom))
            col = chart.anchor[1]
            while self.col_left(col + 1) < right:
                col += 1
            c1 = max(c1, col)
        return 0, 0, r1, c1


def a1(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of a 0-based (row, col): ``a1(0, 27) == "AB1"``, absolute ``"$AB$1"``."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    d = "$" if absolute else ""
    return f"{d}{letters}{d}{row + 1}"


DATE_FORMAT = _formats.DATE_FORMAT
# A restrained palette that survives grey-scale printing: asset, benchmark(s), hedged.
PALETTE = ["#1F4E79", "#7F7F7F", "#C55A11", "#548235", "#7030A0", "#BF9000"]
FIT_LINE = "#C00000"
REFERENCE = "#404040"
_UNIT = {"daily": "day", "weekly": "week", "monthly": "month"}


def summary_format(label: str, value: Any, key: str | None = None,
                   benchmarks: Sequence[str] = ()) -> str | None:
    """Number format of one summary value (``None`` for text); see :mod:`betahedge_xl.formats`.

    ``key`` is the statistic's key (``result.stat_names()``); without it the label is used,
    which names the statistic as well for the rules that matter (hedged beta, p-values).
    """
    if key is None:
        key = {"Hedged beta": "hedged_beta", "Beta p-value": "beta_p",
               "Alpha p-value": "alpha_p"}.get(label, label)
    return _formats.excel_format(key, value, benchmarks)


def tint(color: str, amount: float = 0.55) -> str:
    """``color`` mixed with white (a band drawn lighter than its line)."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(v + (255 - v) * amount):02X}" for v in rgb)


def excess_suffix(result: HedgeResult) -> str:
    """``" excess"`` when the returns are in excess of a risk-free rate, else ``""``."""
    return "" if result.risk_free in (0, 0.0) else " excess"


def context(result: HedgeResult) -> str:
    """``TSLA on SPY, daily, 2014-01-02..2014-12-31``: what every chart title names."""
    return (f"{result.asset} on {result.benchmark}, {result.frequency}, "
            f"{result.first_date:%Y-%m-%d}..{result.last_date:%Y-%m-%d}")


def hedge_formula(result: HedgeResult) -> str:
    """``TSLA - 1.95 x SPY``: the hedged series as the trade that makes it."""
    terms = [result.asset]
    for name, b in zip(result.benchmarks, result.betas):
        terms.append(f"{'-' if b >= 0 else '+'} {abs(b):.2f} x {name}")
    return " ".join(terms)


def _dt(ts: Any) -> Any:
    return ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts


def _records(frame: Any) -> list[list[Any]]:
    """Rows of a date-indexed frame as [datetime, float, ...], NaN as None (an empty cell)."""
    import numpy as np

    values = frame.to_numpy(dtype=float)
    cells: list[list[Any]] = np.where(np.isnan(values), None, values).tolist()  # type: ignore[attr-defined]
    return [[_dt(d), *row] for d, row in zip(frame.index, cells)]


#: Summary value column (characters); longer texts wrap at their commas.
SUMMARY_VALUE_WIDTH = 34.0
_DATE_WIDTH = 11.0
_NUMBER_WIDTH = 10.0


def _header_width(text: str) -> float:
    # Headers are bold (wider than digits) and letters run wider than "0": a margin of 15%
    # plus the padding keeps "Full-sample SPY" from being cut by the next column.
    return float(math.ceil(len(text) * 1.15) + 2)


def _wrap(text: str, width: float) -> tuple[str, int]:
    """``text`` broken at its commas and semicolons, and the lines it takes in ``width``."""
    if len(text) <= width:
        return text, 1
    broken = text.replace(", ", ",\n").replace("; ", ";\n")
    lines = sum(max(1, math.ceil(len(part) / width)) for part in broken.split("\n"))
    return broken, lines


def _label_widths(tables: list[Table]) -> dict[int, float]:
    """Widths of A (labels), B (values; longer texts wrap) and C (the gap before the charts)
    for the label/value tables in column A."""
    labels = [str(r[0]) for t in tables for r in t.rows] + [t.header[0] for t in tables]
    return {0: max(_header_width(x) for x in labels), 1: SUMMARY_VALUE_WIDTH,
            2: GAP_COL_WIDTH}


def _data_widths(tables: list[Table]) -> dict[int, float]:
    """Widths of the data tables' columns: dates whole, numbers and headers uncut."""
    widths: dict[int, float] = {}
    for t in tables:
        for j, h in enumerate(t.header):
            if t.number_format.get(j) == DATE_FORMAT:
                w = _DATE_WIDTH
            else:
                texts = [str(r[j]) for r in t.rows if isinstance(r[j], str)]
                w = max([_NUMBER_WIDTH, _header_width(h), *(_header_width(x) for x in texts)])
            widths[t.anchor[1] + j] = w
    return widths


def _position_betas(result: HedgeResult, anchor: tuple[int, int]) -> Table:
    """Ticker, weight, own beta and contribution of each holding (a book only)."""
    frame = result.positions
    assert frame is not None
    header = ["Ticker", *[str(c).capitalize() for c in frame.columns]]
    rows = [[str(t), *[float(v) for v in row]] for t, row in
            zip(frame.index, frame.to_numpy(dtype=float).tolist())]
    formats = {j: ("#,##0" if c == "shares" else "0.00%" if c == "weight" else "0.000")
               for j, c in enumerate(frame.columns, start=1)}
    return Table(name=f"{PREFIX}position_betas",
                 title=f"Positions: beta on {result.benchmarks[0]}",
                 anchor=anchor, header=header, rows=rows, number_format=formats)


def build_plan(result: HedgeResult, sheet: str = SHEET) -> OutputPlan:
    """The tables and charts of one result, at fixed places on ``sheet``."""
    asset, benches = result.asset, list(result.benchmarks)
    multi = len(benches) > 1
    ex = excess_suffix(result)
    where = context(result)
    widths: dict[int, float] = {}
    heights: dict[int, float] = {}
    wrapped: set[tuple[int, int]] = set()

    # -- summary (A:B) and, for a portfolio, its holdings below ----------------------------
    keys = result.stat_names()
    rows: list[list[Any]] = []
    cell_formats: dict[tuple[int, int], str] = {}
    for i, (key, (label, value)) in enumerate(zip(keys, result.summary().itertuples(
            index=False))):
        value = _dt(value)
        if isinstance(value, str):
            text, lines = _wrap(value, SUMMARY_VALUE_WIDTH)
            if lines > 1:
                value = text
                heights[i + 2] = DEFAULT_ROW_HEIGHT * lines
                wrapped.add((i + 2, 1))
        rows.append([label, value])
        fmt = _formats.excel_format(key, value, benches)
        if fmt is not None:
            cell_formats[(i, 1)] = fmt
    summary = Table(
        name=f"{PREFIX}summary",
        title=f"Beta hedge: {asset} on {result.benchmark}",
        anchor=(0, 0),
        header=["Statistic", "Value"],
        rows=rows,
        cell_formats=cell_formats,
    )
    tables = [summary]
    if result.holdings is not None:
        weights = (result.holdings_kind or "").startswith("weights")  # "weights in percent"
        holdings = Table(
            # Not "bh_holdings": that name is the inputs block's holdings table.
            name=f"{PREFIX}positions",
            title=f"{asset}: holdings",
            anchor=(summary.last_row + 2, 0),
            header=["Holding", "Weight" if weights else "Shares"],
            rows=[[str(t), float(v)] for t, v in result.holdings.items()],
            number_format={1: "0.00%" if weights else "#,##0.####"},
        )
        tables.append(holdings)
    widths.update(_label_widths(tables))

    # -- the tables, right of the charts ---------------------------------------------------
    probe = OutputPlan(sheet, "", [], [], widths, heights)
    charts_left = probe.col_left(CHARTS_COL)
    col = CHARTS_COL
    while probe.col_left(col) < charts_left + CHART_WIDTH + CHART_MARGIN:
        col += 1

    def name(c: str) -> str:
        return f"{c}{ex}"

    series = result.series().set_index("date")
    b1 = float(result.fit.params.iloc[1])
    returns_frame = series[[*benches, asset]].set_axis([name(c) for c in [*benches, asset]],
                                                       axis=1)
    if not multi:
        # The regression line beside the asset: the scatter's points and line are two
        # adjacent columns against one x column, a block every drawer can chart.
        returns_frame["Fitted"] = result.alpha + b1 * series[benches[0]]
    returns_frame[name("hedged")] = series["hedged"]
    period = f"{result.frequency.capitalize()} {result.method}"
    returns = Table(
        name=f"{PREFIX}returns",
        title=f"{period} returns" + (" in excess of the risk-free rate" if ex else ""),
        anchor=(0, col),
        header=["Date", *returns_frame.columns.map(str)],
        rows=_records(returns_frame),
        number_format={0: DATE_FORMAT, **{j: "0.00%" for j in range(1, returns_frame.shape[1] + 1)}},
    )
    tables.append(returns)
    col += returns.n_cols + 1

    partial = None
    if multi:
        parts = result.partial_regression()
        frame = {}
        for b in benches:
            p = parts[b]
            beta_j = float(result.betas[b])
            frame[f"{b} net"] = p["x"]
            frame[f"{asset} net ({b})"] = p["y"]
            frame[f"Fit {b}"] = beta_j * p["x"]
        partial_frame = _pd().DataFrame(frame)
        partial = Table(
            name=f"{PREFIX}partial",
            title="Partial regression: returns net of the other benchmarks" + (
                f" ({ex.strip()})" if ex else ""),
            anchor=(0, col),
            header=["Date", *partial_frame.columns.map(str)],
            rows=_records(partial_frame),
            number_format={0: DATE_FORMAT,
                           **{j: "0.00%" for j in range(1, partial_frame.shape[1] + 1)}},
        )
        tables.append(partial)
        col += partial.n_cols + 1

    cum_frame = result.cumulative()
    cumulative = Table(
        name=f"{PREFIX}cumulative",
        title="Growth of 1" + (" (excess returns)" if ex else ""),
        anchor=(0, col),
        header=["Date", *[name(str(c)) for c in cum_frame.columns]],
        rows=_records(cum_frame),
        number_format={0: DATE_FORMAT, **{j: "0.0000" for j in range(1, cum_frame.shape[1] + 1)}},
    )
    tables.append(cumulative)
    col += cumulative.n_cols + 1

    roll = result.rolling_beta
    se = result.rolling_beta_se()
    band: dict[str, Any] = {}
    for b in roll.columns:
        band[f"Beta {b}"] = roll[b]
        # The full-sample line spans the whole sample, also before the window fills.
        band[f"Full-sample {b}"] = float(result.betas[b])
        band[f"+2 SE {b}"] = roll[b] + 2.0 * se[b]
        band[f"-2 SE {b}"] = roll[b] - 2.0 * se[b]
    band_frame = _pd().DataFrame(band, index=roll.index)
    unit = _UNIT.get(result.frequency, "period")
    rolling = Table(
        name=f"{PREFIX}rolling",
        title=f"Rolling {result.rolling_window}-{unit} beta, full-sample beta, +/-2 SE",
        anchor=(0, col),
        header=["Date", *band_frame.columns.map(str)],
        rows=_records(band_frame),
        number_format={0: DATE_FORMAT, **{j: "0.000" for j in range(1, band_frame.shape[1] + 1)}},
    )
    tables.append(rolling)
    data_tables = 4 if multi else 3
    if result.positions is not None:
        # Each holding's own beta beside the other data tables (the holdings under the summary
        # are the book as given; this is the regression of each).
        tables.append(_position_betas(result, (0, col + rolling.n_cols + 1)))
        data_tables += 1

    widths.update(_data_widths(tables[len(tables) - data_tables:]))

    # -- charts, stacked in D.. ------------------------------------------------------------
    specs: list[dict[str, Any]] = []
    if not multi:
        x = name(benches[0])
        specs.append(dict(
            name=f"{PREFIX}chart_scatter",
            title=f"Returns, beta {b1:.2f}: {where}",
            kind="scatter",
            series=[
                ChartSeries(f"{result.frequency} returns{ex}", returns.name, x, name(asset),
                            line=False, color=PALETTE[0]),
                ChartSeries(f"alpha + beta x {benches[0]}", returns.name, x, "Fitted",
                            color=FIT_LINE, width=2.0),
            ],
            x_title=f"{benches[0]}{ex} return",
            y_title=f"{asset}{ex} return",
            x_number_format="0%",
            y_number_format="0%",
        ))
    else:
        assert partial is not None
        for b in benches:
            others = ", ".join(o for o in benches if o != b)
            specs.append(dict(
                name=f"{PREFIX}chart_scatter_{b}",
                title=(f"{asset} on {b} net of {others}, beta {float(result.betas[b]):.2f}: "
                       f"{result.frequency}, {result.first_date:%Y-%m-%d}.."
                       f"{result.last_date:%Y-%m-%d}"),
                kind="scatter",
                series=[
                    ChartSeries(f"returns net of {others}", partial.name, f"{b} net",
                                f"{asset} net ({b})", line=False, color=PALETTE[0]),
                    ChartSeries(f"beta x {b} (partial regression)", partial.name, f"{b} net",
                                f"Fit {b}", color=FIT_LINE, width=2.0),
                ],
                x_title=f"{b}{ex} return net of {others}",
                y_title=f"{asset}{ex} return net of {others}",
                x_number_format="0%",
                y_number_format="0%",
            ))
    growth_values = [v for r in cumulative.rows for v in r[1:] if isinstance(v, float)]
    log = (min(growth_values) > 0 and max(growth_values) / min(growth_values) > 3.0
           if growth_values else False)
    hedged_label = f"hedged: {hedge_formula(result)}"
    specs.append(dict(
        name=f"{PREFIX}chart_cumulative",
        title=f"Growth of 1{' (excess returns)' if ex else ''}: {where}",
        kind="line",
        series=[ChartSeries(hedged_label if h == name("hedged") else h, cumulative.name,
                            "Date", h, color=PALETTE[k % len(PALETTE)])
                for k, h in enumerate(cumulative.header[1:])],
        y_title="growth of 1",
        x_number_format="yyyy-mm",
        y_log_base=2 if log else None,
        y_number_format="0.0#" if log else None,
    ))
    roll_series: list[ChartSeries] = []
    for k, b in enumerate(roll.columns):
        color = PALETTE[(k + 1) % len(PALETTE)] if multi else PALETTE[0]
        roll_series += [
            ChartSeries(f"Beta {b}", rolling.name, "Date", f"Beta {b}", color=color, width=1.75),
            ChartSeries(f"Full-sample beta {b} ({float(result.betas[b]):.2f})", rolling.name,
                        "Date", f"Full-sample {b}", color=REFERENCE if not multi else color,
                        dash=True, width=1.0),
            ChartSeries(f"+2 SE {b}", rolling.name, "Date", f"+2 SE {b}", color=tint(color),
                        width=0.75),
            ChartSeries(f"-2 SE {b}", rolling.name, "Date", f"-2 SE {b}", color=tint(color),
                        width=0.75),
        ]
    specs.append(dict(
        name=f"{PREFIX}chart_rolling",
        title=f"Rolling {result.rolling_window}-{unit} beta: {where}",
        kind="line",
        series=roll_series,
        y_title="beta",
        x_number_format="yyyy-mm",
        y_number_format="0.0",
    ))

    probe = OutputPlan(sheet, "", [], [], widths, heights)
    charts: list[Chart] = []
    row = 0
    for spec in specs:
        chart = Chart(anchor=(row, CHARTS_COL), **spec)
        charts.append(chart)
        bottom = probe.chart_rect(chart)[3]
        row = probe.row_at(bottom) + CHART_GAP_ROWS
    return OutputPlan(
        sheet=sheet,
        title=summary.title,
        tables=tables,
        charts=charts,
        column_widths=widths,
        row_heights=heights,
        wrapped=frozenset(wrapped),
    )


def _pd() -> Any:
    import pandas as pd

    return pd


# --------------------------------------------------------------------------------------------
# The backtest section (``bh.backtest``): its own sheet, laid out like the hedge's
# --------------------------------------------------------------------------------------------
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
        ["Best (significant at 5%)", result.verdict],
        *([["Test", result.comparison.test]] if result.comparison is not None else []),
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
        {(i, 1): "0.00%" if label.startswith("Effectiveness") else f
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
                         result.ratio_paths(), "0.000")
    growth = Chart(
        name=f"{p}chart_cumulative",
        title=f"Cumulative returns: {result.asset} and hedged, by estimator",
        kind="line",
        anchor=(0, CHARTS_COL),
        series=[ChartSeries(f"{c} (no hedge)" if c == result.asset else c, cumulative.name,
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


# --------------------------------------------------------------------------------------------
# The one page to forward: the report's first sheet, printed on one landscape page
# --------------------------------------------------------------------------------------------
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


def book_title(result: HedgeResult) -> str:
    """The book's own name when it has one (a single asset's ticker), else its holdings as
    they were given: ``AAPL +1 / MSFT -1``, ``AAPL 60% / MSFT 40%``, ``AAPL 100 sh / ...``."""
    if result.holdings is None:
        return result.asset
    kind = result.holdings_kind or ""
    parts = []
    for t, v in result.holdings.items():
        if kind == "weights in percent":
            parts.append(f"{t} {v * 100:+g}%")
        elif kind == "shares":
            parts.append(f"{t} {v:+,g} sh")
        else:
            parts.append(f"{t} {v:+g}")
    return " / ".join(parts)


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
    from . import __version__

    benches = list(result.benchmarks)
    stats = {key: (label, value) for key, label, value in result._stats()}
    heading = (
        f"Beta hedge: {book_title(result)} on {result.benchmark}",
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
    from . import __version__

    heading = (
        f"Hedge backtest: {result.name or result.asset} on {result.benchmark}",
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
