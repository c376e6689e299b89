"""The shared plan types: :class:`Table`, :class:`Chart` (its :class:`ChartSeries`) and
:class:`OutputPlan`, the geometry in Excel's units, the text rules for user data, and the
formats, palette and column widths every sheet's plan uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import formats as _formats

if TYPE_CHECKING:
    from ...analysis import HedgeResult

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
    #: whose charts draw from this plan's tables (the .xlsx report and the Refresh draw it).
    #: ``None``: no such page.
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
    return (f"{result.name} on {result.benchmark}, {result.frequency}, "
            f"{result.first_date:%Y-%m-%d}..{result.last_date:%Y-%m-%d}")


def hedge_formula(result: HedgeResult) -> str:
    """``TSLA - 1.95 x SPY``: the hedged series as the trade that makes it."""
    # a book's holdings in brackets: the whole book is what the benchmark is taken from
    terms = [result.name if result.holdings is None else f"({result.name})"]
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




def _pd() -> Any:
    import pandas as pd

    return pd

