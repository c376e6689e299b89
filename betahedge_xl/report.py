"""The headless report: an .xlsx file drawn from the output plan with xlsxwriter.

The live-Excel refresh draws the same :class:`~betahedge_xl.plan.OutputPlan` through xlwings,
so the file a scheduled job writes and the sheet an analyst refreshes show the same tables, the
same defined names and the same charts. Everything here is presentation: no number is computed
that the plan does not already hold (the regression line's fitted values included).

xlsxwriter writes files that open cleanly in Excel and LibreOffice; charts are native Excel
charts whose series reference the tables' cells, so a reader who edits a cell sees the chart move.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import write_bytes
from .plan import (
    CHARTS_COL,
    DATE_FORMAT,
    FRONT_FONT_SIZE,
    FRONT_HEADING_SIZES,
    FRONT_TITLE_SIZE,
    LOG_AXIS_NOTE,
    PALETTE,
    Chart,
    ChartSeries,
    OutputPlan,
    Table,
    build_plan,
    pixels,
    with_front_page,
)

if TYPE_CHECKING:
    from .analysis import HedgeResult

HEADER_FILL = "#DDEBF7"
#: Printable width of a landscape Letter page with the data sheet's margins (0.4 in), points.
_LETTER_WIDTH_PT = 792.0 - 2 * 0.4 * 72 - 8.0
TITLE_COLOR = "#1F4E79"


def write_report(
    result: HedgeResult | None = None,
    path: str | Path = "betahedge-report.xlsx",
    *,
    plan: OutputPlan | None = None,
) -> Path:
    """Write the report of ``result`` (or of a ready ``plan``) to an .xlsx file.

    Parameters
    ----------
    result
        What :func:`betahedge_xl.beta_hedge` returned. Ignored when ``plan`` is given.
    path
        The file to write; its folder must exist. An existing file is replaced.
    plan
        The output plan to draw; built from ``result`` when omitted.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    betahedge_xl.exceptions.InputError
        When neither a result nor a plan is given, or the file cannot be written.
    """
    import xlsxwriter

    from .exceptions import InputError

    if plan is None:
        if result is None:
            raise InputError("report: give a result or a plan")
        plan = with_front_page(build_plan(result), result)
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"report: {out.name} should end in .xlsx")
    if not out.parent.exists():
        raise InputError(f"report: folder {out.parent} does not exist")

    # Built in memory (a report is small), then written beside the target and renamed into
    # place: a failure (full disk) leaves the previous report as it was, and no zip file of
    # xlsxwriter's is left half-closed to complain at exit.
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"nan_inf_to_errors": True, "in_memory": True})
    wb.set_properties({
        "title": plan.title,
        "subject": "Beta hedge",
        "author": "betahedge-xl",
        "comments": "Written by betahedge-xl from its output plan",
    })
    if plan.front is not None:
        # The page to forward first: its own sheet, its charts drawing from the data sheet.
        front = wb.add_worksheet(plan.front.sheet)
        ws = wb.add_worksheet(plan.sheet)
        _Drawer(wb, ws, plan).draw()
        _Drawer(wb, front, plan.front, data=plan).draw()
    else:
        ws = wb.add_worksheet(plan.sheet)
        _Drawer(wb, ws, plan).draw()
    wb.close()
    write_bytes(out, buffer.getvalue(), "report")
    return out


class _Drawer:
    """Draws one plan on one xlsxwriter worksheet."""

    def __init__(self, wb: Any, ws: Any, plan: OutputPlan,
                 data: OutputPlan | None = None) -> None:
        self.wb, self.ws, self.plan = wb, ws, plan
        #: Where the charts' tables are when not on this plan's sheet (the front page's).
        self.data = data
        self._formats: dict[tuple[Any, ...], Any] = {}

    def source(self, table: str) -> tuple[Table, str, OutputPlan]:
        """A chart series' table, the sheet it is on and its plan."""
        for plan in (self.plan, self.data):
            if plan is not None and any(t.name == table for t in plan.tables):
                return plan.table(table), plan.sheet, plan
        raise KeyError(table)

    # -- formats ---------------------------------------------------------------------------
    def fmt(self, num_format: str | None = None, **props: Any) -> Any:
        """One shared Format per distinct look (Excel caps the number of cell styles)."""
        key = (num_format, *sorted(props.items()))
        if key not in self._formats:
            spec = dict(props)
            if num_format:
                spec["num_format"] = num_format
            self._formats[key] = self.wb.add_format(spec)
        return self._formats[key]

    # -- drawing ---------------------------------------------------------------------------
    def draw(self) -> None:
        self.ws.hide_gridlines(2)
        self.ws.set_zoom(100)
        for i, line in enumerate(self.plan.heading):
            self.ws.write_string(i, 0, line, self.fmt(
                bold=i == 0, font_color=TITLE_COLOR if i == 0 else "#404040",
                font_size=FRONT_HEADING_SIZES[0] if i == 0 else FRONT_HEADING_SIZES[1]))
        for table in self.plan.tables:
            self.table(table)
        self.widths()
        front = self.plan.printing == "page"
        if not front:
            for name, (r0, c0, r1, c1) in self.plan.names.items():
                self.wb.define_name(name, "=" + _ref(self.plan.sheet, r0, c0, r1, c1))
        for chart in self.plan.charts:
            self.chart(chart)
        if front:
            self.page_setup_front()
            # The page a reader opens on and prints first.
            self.ws.activate()
            self.ws.set_first_sheet()
            return
        # The summary is what a reader looks at first; keep it in view while scrolling tables.
        self.ws.freeze_panes(2, 0)
        self.page_setup()
        if self.plan.front is None:
            self.ws.activate()
            self.ws.set_first_sheet()

    def page_setup(self) -> None:
        """The data sheet: every table and chart, landscape, at a scale a reader can read
        (75%) on as many pages as they take, their title and header rows on each page."""
        self.ws.print_area(*self.plan.print_area())
        self.ws.set_landscape()
        # The summary and its charts on their pages, the data tables (right of the charts)
        # starting on pages of their own; the scale fits the summary and charts in the width
        # of a Letter page (the narrower landscape paper) up to 75%.
        right = [t.anchor[1] for t in self.plan.tables if t.anchor[1] > CHARTS_COL]
        scale = 75
        if right:
            self.ws.set_v_pagebreaks([min(right)])
            width = self.plan.col_left(min(right))
            scale = max(40, min(75, int(100 * _LETTER_WIDTH_PT / width)))
        self.ws.set_print_scale(scale)
        self.ws.repeat_rows(0, 1)
        self.ws.set_paper(9)  # A4
        self.ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    def page_setup_front(self) -> None:
        """The front page on one landscape page: its print area is laid out to fit A4 and
        Letter at about 75%."""
        self.ws.print_area(*self.plan.print_area())
        self.ws.set_landscape()
        self.ws.fit_to_pages(1, 1)
        self.ws.set_paper(9)  # A4; Letter fits too (the binding side is the height)
        self.ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
        self.ws.center_horizontally()

    def table(self, t: Table) -> None:
        r, c = t.anchor
        first_table = t is self.plan.tables[0]
        page = self.plan.printing == "page"  # the front page: label/value lists only
        title = self.fmt(bold=True, font_color=TITLE_COLOR,
                         font_size=FRONT_TITLE_SIZE if page else 14 if first_table else 11)
        self.ws.write_string(r, c, t.title, title)
        head = self.fmt_cell(bold=True, bg_color=HEADER_FILL, bottom=1)
        head_num = self.fmt_cell(bold=True, bg_color=HEADER_FILL, bottom=1, align="right")
        for j, h in enumerate(t.header):
            numeric = j in t.number_format and t.number_format[j] != DATE_FORMAT
            self.ws.write_string(t.header_row, c + j, str(h), head_num if numeric else head)
        for i, row in enumerate(t.rows):
            for j, value in enumerate(row):
                fmt = t.format_of(i, j)
                self.cell(t.first_data_row + i, c + j, value, fmt, first_table or page)

    def fmt_cell(self, num_format: str | None = None, **props: Any) -> Any:
        """:meth:`fmt` in the sheet's cell font (smaller on the front page)."""
        if self.plan.printing == "page":
            props["font_size"] = FRONT_FONT_SIZE
        return self.fmt(num_format, **props)

    def cell(self, r: int, c: int, value: Any, num_format: str | None,
             summary: bool = False) -> None:
        """Write one value; summary cells (a label/value list) are left-aligned."""
        ws = self.ws
        if value is None or (isinstance(value, float) and math.isnan(value)):
            # An empty cell (charts show a gap, not a zero) that keeps its column's format.
            ws.write_blank(r, c, None, self.fmt_cell(num_format) if num_format else None)
        elif isinstance(value, (_dt.datetime, _dt.date)):
            ws.write_datetime(r, c, value,
                              self.fmt_cell(num_format or DATE_FORMAT, align="left", valign="top"))
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value)
        elif isinstance(value, int):
            ws.write_number(r, c, value,
                            self.fmt_cell(num_format or "0", align="left", valign="top"))
        elif isinstance(value, float):
            if summary:
                ws.write_number(r, c, value, self.fmt_cell(num_format, align="left", valign="top"))
            else:
                # Top-aligned like the dates beside them (a wrapped summary row is taller).
                ws.write_number(r, c, value, self.fmt_cell(num_format, valign="top"))
        elif hasattr(value, "item"):  # a numpy scalar that slipped through
            self.cell(r, c, value.item(), num_format, summary)
        elif (r, c) in self.plan.wrapped:
            ws.write_string(r, c, str(value), self.fmt_cell(None, align="left", text_wrap=True,
                                                       valign="top"))
        else:
            ws.write_string(r, c, str(value), self.fmt_cell(None, align="left", valign="top"))

    def widths(self) -> None:
        """Column widths and row heights as the plan states them (the charts' places and the
        "nothing covered, nothing cut" promise are computed from the same numbers)."""
        for col, width in sorted(self.plan.column_widths.items()):
            self.ws.set_column(col, col, width)
        for row, height in sorted(self.plan.row_heights.items()):
            self.ws.set_row(row, height)

    def series(self, s: ChartSeries, k: int, kind: str) -> dict[str, Any] | None:
        """xlsxwriter's description of the ``k``-th series of a chart of ``kind``: its cells,
        and points (a scatter's) or a line; None when its table is empty."""
        table, sheet, _ = self.source(s.table)
        if table.n_rows == 0:
            return None
        r0, cx, r1, _ = table.data_range(s.x_col)
        _, cy, _, _ = table.data_range(s.y_col)
        color = s.color or PALETTE[k % len(PALETTE)]
        series: dict[str, Any] = {
            "name": s.name,
            "categories": [sheet, r0, cx, r1, cx],
            "values": [sheet, r0, cy, r1, cy],
        }
        if kind == "scatter" and not s.line:
            series["marker"] = {
                "type": "circle", "size": 4,
                "border": {"color": color, "transparency": 30},
                "fill": {"color": color, "transparency": 55},
            }
            series["line"] = {"none": True}
        else:
            line: dict[str, Any] = {"color": color, "width": s.width}
            if s.dash:
                line["dash_type"] = "dash"
            series["line"] = line
            series["marker"] = {"type": "none"}
        if s.trendline:
            series["trendline"] = {"type": "linear"}
        return series

    def chart(self, spec: Chart) -> None:
        kind = "scatter" if spec.kind == "scatter" else "line"
        chart = self.wb.add_chart({"type": kind, "name": spec.name})
        for k, s in enumerate(spec.series):
            series = self.series(s, k, kind)
            if series is not None:
                chart.add_series(series)
        # 10 pt: a title naming asset, benchmarks, frequency and window fits on one line.
        chart.set_title({"name": spec.title, "name_font": {"size": 10, "bold": True}})
        grid = {"visible": True, "line": {"color": "#E0E0E0", "width": 0.75}}
        axis_font = {"size": 9}
        x_axis: dict[str, Any] = {
            "num_font": axis_font,
            "line": {"color": "#A6A6A6"},
            # Labels at the bottom of the plot whatever the sign of the values (a rolling
            # beta that goes negative must not have its dates run through the lines).
            "label_position": "low",
        }
        y_axis: dict[str, Any] = {
            "num_font": axis_font,
            "major_gridlines": grid,
            "line": {"none": True},
            "label_position": "low",
        }
        if spec.x_title:
            x_axis["name"] = spec.x_title
            x_axis["name_font"] = {"size": 9, "bold": False}
        y_title = spec.y_title
        if spec.y_log_base:
            y_axis["log_base"] = spec.y_log_base
            y_title += LOG_AXIS_NOTE
        if y_title:
            y_axis["name"] = y_title
            y_axis["name_font"] = {"size": 9, "bold": False}
        if spec.x_number_format:
            x_axis["num_format"] = spec.x_number_format
        if spec.y_number_format:
            y_axis["num_format"] = spec.y_number_format
        if kind == "scatter":
            x_axis["major_gridlines"] = grid
        else:
            x_axis["date_axis"] = True
            x_axis["major_unit"] = _month_step(self.source(spec.series[0].table)[2], spec)
            x_axis["major_unit_type"] = "months"
            x_axis["major_tick_mark"] = "outside"
            x_axis["num_font"] = {"size": 9, "rotation": -45}
            chart.show_blanks_as("gap")
            floor = None if spec.y_log_base else _axis_floor(
                self.source(spec.series[0].table)[2], spec)
            if floor is not None:
                y_axis["min"] = floor
        chart.set_x_axis(x_axis)
        chart.set_y_axis(y_axis)
        many = len(spec.series) > 1
        chart.set_legend({"position": "bottom", "font": {"size": 9}} if many else {"none": True})
        chart.set_chartarea({"border": {"color": "#BFBFBF"}})
        chart.set_plotarea({"border": {"none": True}})
        # The plan sizes charts in points; xlsxwriter takes pixels.
        chart.set_size({"width": pixels(spec.width), "height": pixels(spec.height)})
        self.ws.insert_chart(spec.anchor[0], spec.anchor[1], chart,
                             {"x_offset": 0, "y_offset": 0, "description": spec.title,
                              "object_position": 1})


def _month_step(plan: OutputPlan, spec: Chart) -> int:
    """Months between date labels, so that a line chart shows about six to twelve of them."""
    table = plan.table(spec.series[0].table)
    dates = [row[0] for row in table.rows if isinstance(row[0], (_dt.date, _dt.datetime))]
    if len(dates) < 2:
        return 1
    months = (dates[-1].year - dates[0].year) * 12 + dates[-1].month - dates[0].month
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        if months / step <= 12:
            return step
    return 240


def _axis_floor(plan: OutputPlan, spec: Chart) -> float | None:
    """A y-axis start just below the data when every value is positive (growth of 1 hovers
    around 1: an axis from 0 flattens it), else ``None`` (the program's automatic axis)."""
    values: list[float] = []
    for s in spec.series:
        t = plan.table(s.table)
        j = t.header.index(s.y_col)
        values += [float(r[j]) for r in t.rows if isinstance(r[j], (int, float))
                   and math.isfinite(r[j])]
    if not values or min(values) <= 0:
        return None
    lo, hi = min(values), max(values)
    step = 10 ** math.floor(math.log10(max(hi - lo, 1e-9)))
    floor = math.floor(lo / step) * step
    return floor if floor > 0 else None



def _ref(sheet: str, r0: int, c0: int, r1: int, c1: int) -> str:
    """An absolute A1 reference with the sheet name quoted when needed."""
    from xlsxwriter.utility import quote_sheetname, xl_range_abs

    return f"{quote_sheetname(sheet)}!{xl_range_abs(r0, c0, r1, c1)}"
