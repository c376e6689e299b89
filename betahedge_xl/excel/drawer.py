"""Draw an :class:`~betahedge_xl.plan.OutputPlan` into a live workbook through xlwings.

Thin on purpose: every decision about what goes where is in the plan; this module only turns
its tables and charts into xlwings calls. It owns nothing but what the plan names: the defined
names of its tables and the charts of its charts, on the plan's sheet (found whatever the case
of its name, as Excel compares sheet names). What it drew is recorded in the workbook itself
(:mod:`betahedge_xl.excel.record`), so a second refresh finds and replaces the first one's
output:

* each table's defined name covers its header and data; the title is the row above;
* any other name, with the prefix or not (an analyst's ``bh_rate`` constant, a ``bh_notes``
  range on the report's sheet, the inputs block's names), and any other chart are the user's;
* before writing, every cell the new plan needs is checked: a non-empty cell outside the
  previous output is a user's, and the refresh stops with :class:`OutputInTheWay` naming it.

Text goes into cells as text: xlwings hands a string to Excel as if typed, so one starting with
``=``, ``+``, ``-`` or ``@`` would become a formula; :func:`as_text` adds Excel's text prefix.

Only the xlwings CE API is used (it works on Windows and macOS). A chart's series come from
one block of adjacent columns of one table (``set_source_data``) against one x column
(``set_x_axis_values``); a series whose plan asks for another look than the chart's type (the
regression line over the returns scatter's points) gets it through ``Chart.series``. A series
outside that block (no chart of today's plan has one) has no xlwings CE call: it goes through
``chart.api`` on Windows and is left out, with a note, on macOS.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..plan import (
    FRONT_FONT_SIZE,
    FRONT_HEADING_SIZES,
    FRONT_TITLE_SIZE,
    LOG_AXIS_NOTE,
    Chart,
    OutputPlan,
    Table,
)
from ..plan import a1 as _a1
from . import cells
from .grid import occupied
from .record import (  # noqa: F401  (the record's names, read from here by the Refresh)
    RECORD_SHEET,
    OutputInTheWay,
    Record,
    Rect,
    _address,
    _address_of,
    _changed,
    _check_untouched,
    _rect,
    _rng,
    _write_record,
    as_text,
    fingerprint,
    read_record,
    same_sheet,
    seal,
)

# Excel's XlChartType values for the one native call (Windows).
_XL_XY_SCATTER = -4169
_XL_XY_SCATTER_LINES_NO_MARKERS = 75
_XL_SCALE_LOGARITHMIC = -4133
_XL_LANDSCAPE = 2


@dataclass
class _Work:
    """One plan's drawing, checked: its sheet (``None``: to be added) and what of the
    record it replaces."""

    plan: OutputPlan
    sheet: Any
    clear: list[Rect]
    names: list[Any]
    charts: list[str]
    #: What the recorded blocks held when checked (formulas or constants as text), so that
    #: clearing them does not read them again.
    held: dict[Rect, list[list[str]]] = field(default_factory=dict)


def check(book: Any, plans: list[OutputPlan], record: Record) -> list[_Work]:
    """Check that every plan can be drawn without touching anything the Refresh did not
    draw; nothing is written.

    Raises
    ------
    OutputInTheWay
        A cell, name or chart the plans need holds something of the user's; or the user
        changed the layout of a table the Refresh drew (rows inserted or deleted in it).
    """
    works = []
    sheets = {s.name.lower(): s for s in book.sheets}
    names = {n.name.lower(): n for n in book.names}
    for plan in plans:
        sheet = sheets.get(plan.sheet.lower())
        owned_names = []
        for item, (where, address) in record.name_rows().items():
            if not same_sheet(where, plan.sheet) or item not in names:
                continue
            name = names[item]
            refers = str(name.refers_to)
            if "#REF!" not in refers and _address(refers) != address.upper():
                raise OutputInTheWay(
                    f"the report's {name.name} now covers {refers.lstrip('=')}, not "
                    f"{address} as drawn: rows or columns were inserted or deleted in it. "
                    f"Undo that, or move what you added, or delete the {plan.sheet} sheet")
            owned_names.append(name)
        mine = {n.name.lower() for n in owned_names}
        for table in plan.tables:
            other = names.get(table.name.lower())
            if other is not None and table.name.lower() not in mine:
                raise OutputInTheWay(
                    f"the defined name {other.name} ({other.refers_to}) is not the report's, "
                    f"which needs that name; rename it (Formulas > Name Manager)")
        clear: list[Rect] = []
        charts: list[str] = []
        held: dict[Rect, list[list[str]]] = {}
        if sheet is not None and plan.printing == "page" and not record.has("sheet",
                                                                            plan.sheet):
            # A page sets the widths, heights and fonts of its whole sheet: only on a sheet
            # the Refresh added, never on one of the user's that bears its name.
            raise OutputInTheWay(
                f"the sheet '{sheet.name}' is not the report's, which draws its page to "
                f"forward on a sheet of that name; rename your sheet or delete it")
        if sheet is not None:
            clear = [_rect(a) for _, a in record.on("cells", plan.sheet)]
            charts = [i for i, _ in record.on("chart", plan.sheet)]
            existing = {c.name.lower() for c in sheet.charts}
            for chart in plan.charts:
                if chart.name.lower() in existing and not record.has("chart", plan.sheet,
                                                                    chart.name):
                    raise OutputInTheWay(
                        f"the chart {chart.name} on the sheet '{sheet.name}' is not the "
                        f"report's; rename it or delete it")
            held = _check_untouched(sheet, record)
            _check_free(sheet, plan, clear)
        works.append(_Work(plan, sheet, clear, owned_names, charts, held))
    return works


def _drawn_rows(work: _Work, sheet_name: str, record: Record) -> list[tuple[str, str, str, str]]:
    """The record's rows for what ``work`` draws on the sheet ``sheet_name``."""
    plan = work.plan
    rows = []
    if work.sheet is None or record.has("sheet", plan.sheet):
        rows.append(("sheet", sheet_name, "", ""))
    rows += [("cells", sheet_name, "", _a1(i, 0, True)) for i in range(len(plan.heading))]
    for table in plan.tables:
        r0, c0, r1, c1 = table.bounds()
        body = _address_of((r0 + 1, c0, r1, c1))
        rows += [("cells", sheet_name, "", _a1(r0, c0, True)), ("cells", sheet_name, "", body),
                 ("name", sheet_name, table.name, body)]
    rows += [("chart", sheet_name, chart.name, "") for chart in plan.charts]
    return rows


def draw_checked(book: Any, works: list[_Work], record: Record,
                 progress: Callable[[str], None] | None = None) -> tuple[list[str], Record]:
    """Draw checked plans (see :func:`check`); the record of what is drawn now.

    The record lists what is about to be drawn before the drawing starts (with what it
    replaces), so that an Excel failing half-way leaves nothing drawn that is not recorded.
    """
    say = progress or (lambda text: None)
    notes: list[str] = []
    kept = [r for r in record.rows if not any(same_sheet(r[1], w.plan.sheet) for w in works)]
    drawn = [row for w in works
             for row in _drawn_rows(w, w.sheet.name if w.sheet is not None else w.plan.sheet,
                                    record)]
    kept_prints = {k: v for k, v in record.prints.items()
                   if not any(same_sheet(k[0], w.plan.sheet) for w in works)}
    _write_record(book, Record([*record.rows, *drawn], kept_prints))
    #: Where each table drawn so far is: a page's charts draw from its data sheet's tables.
    sources: dict[str, tuple[Any, OutputPlan]] = {}
    drawn_sheets: dict[int, Any] = {}
    for work in works:
        plan = work.plan
        sheet = work.sheet if work.sheet is not None else _add_sheet(book, plan, works,
                                                                    drawn_sheets)
        drawn_sheets[id(plan)] = sheet
        say("clearing the previous report")
        _clear(sheet, work)
        _write_heading(sheet, plan)
        for i, table in enumerate(plan.tables, start=1):
            say(f"writing {table.title} ({i}/{len(plan.tables)})")
            _write_table(book, sheet, table)
            sources[table.name] = (sheet, plan)
        # Widths and heights before the charts: a chart is placed at its anchor cell's
        # left/top, which Excel computes from them (the plan's geometry, in points).
        _geometry(sheet, plan)
        _page_fonts(sheet, plan)
        for i, chart in enumerate(plan.charts, start=1):
            say(f"drawing chart {i}/{len(plan.charts)}")
            notes += _draw_chart(sheet, plan, chart, sources)
        _page_setup(sheet, plan)
    # Sealed by the caller (:func:`seal`) once nothing more is written into the blocks.
    return notes, Record([*kept, *drawn], kept_prints)


def _add_sheet(book: Any, plan: OutputPlan, works: list[_Work],
               drawn: dict[int, Any]) -> Any:
    """Add the sheet of ``plan``: a page to forward before its data sheet (what a reader
    opens first, as in the .xlsx report), any other after the last sheet."""
    for work in works:
        if work.plan.front is plan and id(work.plan) in drawn:
            return book.sheets.add(plan.sheet, before=drawn[id(work.plan)])
    return book.sheets.add(plan.sheet, after=book.sheets[len(book.sheets) - 1])


def _write_heading(sheet: Any, plan: OutputPlan) -> None:
    """The lines above a page's tables (title, as-of date, source and run time), in A."""
    if plan.heading:
        sheet.range((1, 1)).value = [[as_text(line)] for line in plan.heading]


def _page_fonts(sheet: Any, plan: OutputPlan) -> None:
    """A page to forward in the sizes its geometry was laid out for (the .xlsx report's):
    the title 16 pt bold, the other heading lines 10 pt, table titles 12 pt bold, cells 9 pt
    (rows of 12 pt, columns counted for 9 pt text). A data sheet keeps Excel's fonts."""
    if plan.printing != "page":
        return
    for i in range(len(plan.heading)):
        font = sheet.range((i + 1, 1)).font
        font.size = FRONT_HEADING_SIZES[0] if i == 0 else FRONT_HEADING_SIZES[1]
        font.bold = i == 0
    for table in plan.tables:
        r0, c0, r1, c1 = table.bounds()
        _rng(sheet, (r0 + 1, c0, r1, c1)).font.size = FRONT_FONT_SIZE
        title = sheet.range((r0 + 1, c0 + 1)).font
        title.size, title.bold = FRONT_TITLE_SIZE, True


def draw(book: Any, plan: OutputPlan, progress: Callable[[str], None] | None = None) -> list[str]:
    """Write ``plan`` into ``book`` (an ``xlwings.Book``); return notes for the user.

    Raises
    ------
    OutputInTheWay
        A user's cell, name or chart is where the plan goes; nothing has been changed.
    """
    record = read_record(book)
    works = check(book, [plan], record)
    notes, drawn = draw_checked(book, works, record, progress)
    seal(book, drawn)
    return notes


def _clear(sheet: Any, work: _Work) -> None:
    """Clear the recorded cells (never a formula: the user's, whatever it shows), delete the
    recorded names and charts."""
    for rect in work.clear:
        rng = _rng(sheet, rect)
        found = occupied(rng, work.held.get(rect))
        if not any(f.startswith("=") for _, _, f in found):
            rng.clear_contents()
            continue
        for i, j, f in found:
            if not f.startswith("="):
                sheet.range((rect[0] + i + 1, rect[1] + j + 1)).clear_contents()
    # By name: xlwings on macOS addresses a chart of the collection by its index, which a
    # deletion shifts.
    charts = {c.lower() for c in work.charts}
    for name in [c.name for c in sheet.charts if c.name.lower() in charts]:
        sheet.charts[name].delete()
    for name in work.names:
        name.delete()


def remove(book: Any, sheet_name: str, record: Record) -> Record:
    """Delete what the record lists on a sheet (a section with nothing to show any more)."""
    for sheet in book.sheets:
        if same_sheet(sheet.name, sheet_name):
            names = {n.name.lower(): n for n in book.names}
            work = _Work(OutputPlan(sheet=sheet_name, title="", tables=[], charts=[]), sheet,
                         [_rect(a) for _, a in record.on("cells", sheet_name)],
                         [names[i] for i in record.name_rows() if i in names
                          and same_sheet(record.name_rows()[i][0], sheet_name)],
                         [i for i, _ in record.on("chart", sheet_name)])
            _clear(sheet, work)
    return record.without_sheet(sheet_name)


def _geometry(sheet: Any, plan: OutputPlan) -> None:
    """Column widths (characters), row heights (points) and wrapped cells, as the plan says."""
    for col, width in sorted(plan.column_widths.items()):
        sheet.range((1, col + 1)).column_width = width
    if plan.printing == "page":
        # A page's rows are laid out whole (the heading's, 12 pt rows, wrapped ones): set in
        # runs of one height, a call per run.
        rows = sorted(plan.row_heights.items())
        start = 0
        for k in range(1, len(rows) + 1):
            if k == len(rows) or rows[k][1] != rows[start][1] or rows[k][0] != rows[k - 1][0] + 1:
                _rng(sheet, (rows[start][0], 0, rows[k - 1][0], 0)).row_height = rows[start][1]
                start = k
    summary = plan.tables[0]
    # Every summary row gets its height (a shorter text than last time shrinks its row back).
    for row in range(summary.first_data_row, summary.last_row + 1):
        sheet.range((row + 1, 1)).row_height = plan.row_height(row)
    for row, col in sorted(plan.wrapped):
        sheet.range((row + 1, col + 1)).wrap_text = True
    # Label/value tables added under the summary after the plan was built (the refresh's
    # "Last refresh"): a long value wraps in its column instead of running under a chart.
    width = plan.column_width(1)
    for table in plan.tables[1:]:
        if table.anchor[1] != 0 or table.n_cols != 2:
            continue
        for i, (_, value) in enumerate(table.rows):
            if isinstance(value, str) and len(value) > width:
                row = table.first_data_row + i
                cell = sheet.range((row + 1, 2))
                cell.wrap_text = True
                cell.row_height = plan.row_height(row) * math.ceil(len(value) / width)


def _page_setup(sheet: Any, plan: OutputPlan) -> None:
    """Print area (xlwings CE, both platforms); landscape, one page wide (Windows COM)."""
    r0, c0, r1, c1 = plan.print_area()
    sheet.page_setup.print_area = f"{_a1(r0, c0, True)}:{_a1(r1, c1, True)}"
    if _on_windows(sheet):
        setup = sheet.api.PageSetup
        setup.Orientation = _XL_LANDSCAPE
        setup.Zoom = False  # FitToPages* apply only without a zoom
        setup.FitToPagesWide = 1
        setup.FitToPagesTall = 1 if plan.printing == "page" else False


def report_sheet(book: Any, name: str) -> Any:
    """The sheet ``name`` of ``book``, whatever the case of its name (as Excel compares
    sheet names, so adding ``BetaHedge`` beside ``betahedge`` fails); added when absent."""
    for sheet in book.sheets:
        if sheet.name.lower() == name.lower():
            return sheet
    return book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])


def _inside(row: int, col: int, rects: list[Rect]) -> bool:
    return any(r0 <= row <= r1 and c0 <= col <= c1 for r0, c0, r1, c1 in rects)


def _check_free(sheet: Any, plan: OutputPlan, previous: list[Rect]) -> None:
    # (A page's heading cells need no check here: a page is drawn only on a sheet the Refresh
    # added, where they are recorded, so a value typed over them is found as such.)
    for table in plan.tables:
        r0, c0, r1, c1 = table.bounds()
        # The title is one cell (what is beside it is not the table's); then header and data.
        # Formulas, not values: a formula showing "" reads as None, an error cell too.
        for rect in ((r0, c0, r0, c0), (r0 + 1, c0, r1, c1)):
            for i, j, v in occupied(_rng(sheet, rect)):
                if _inside(rect[0] + i, rect[1] + j, previous):
                    continue
                raise OutputInTheWay(
                    f"cell {sheet.name}!{_a1(rect[0] + i, rect[1] + j)} holds "
                    f"{cells.show(v)}, which the report did not write; move it, or delete the "
                    f"{sheet.name} sheet")


def _write_table(book: Any, sheet: Any, table: Table) -> None:
    r0, c0 = table.anchor
    sheet.range((r0 + 1, c0 + 1)).value = as_text(table.title)
    body = [[as_text(v) for v in row] for row in (table.header, *table.rows)]
    sheet.range((r0 + 2, c0 + 1)).value = body
    if table.rows:
        for j, fmt in table.number_format.items():
            _rng(sheet, (table.first_data_row, c0 + j, table.last_row, c0 + j)).number_format = fmt
        for (i, j), fmt in table.cell_formats.items():
            sheet.range((table.first_data_row + i + 1, c0 + j + 1)).number_format = fmt
    header_row, first_col, last_row, last_col = (table.header_row, c0, table.last_row,
                                                 c0 + table.n_cols - 1)
    book.names.add(table.name,
                   f"='{sheet.name}'!{_a1(header_row, first_col, True)}:"
                   f"{_a1(last_row, last_col, True)}")


def _draw_chart(sheet: Any, plan: OutputPlan, chart: Chart,
                sources: dict[str, tuple[Any, OutputPlan]] | None = None) -> list[str]:
    """One chart of ``plan`` on ``sheet``; its series' tables are found in ``sources`` (a
    page's charts draw from the data sheet's tables), else on this plan."""
    notes: list[str] = []

    def source(name: str) -> tuple[Any, Table]:
        where, owner = (sources or {}).get(name, (sheet, plan))
        return where, owner.table(name)

    cell = sheet.range((chart.anchor[0] + 1, chart.anchor[1] + 1))
    # xlwings places and sizes charts in points, the plan's unit: no conversion here.
    xl_chart = sheet.charts.add(left=cell.left, top=cell.top, width=chart.width,
                                height=chart.height)
    xl_chart.name = chart.name
    first = chart.series[0]
    data_sheet, table = source(first.table)
    same = [s for s in chart.series if s.table == first.table and s.x_col == first.x_col]
    cols = [table.column(s.y_col) for s in same]
    contiguous = cols == list(range(cols[0], cols[0] + len(cols)))
    group = same if contiguous else [first]
    y_cols = cols if contiguous else cols[:1]
    # Header row included: Excel names each series after its column header.
    xl_chart.set_source_data(
        _rng(data_sheet, (table.header_row, y_cols[0], table.last_row, y_cols[-1])),
        plot_by="columns",
    )
    xl_chart.chart_type = _chart_type(chart, first.line)
    xl_chart.set_x_axis_values(_rng(data_sheet, table.data_range(first.x_col)))
    for k, s in enumerate(group):
        # Excel named the series after its header and drew it in the chart's type; the plan
        # may want another name, and a line among scatter points (or points among lines).
        look: dict[str, Any] = {}
        if s.name != s.y_col:
            look["name"] = s.name
        if chart.kind == "scatter" and s.line != first.line:
            look["chart_type"] = _chart_type(chart, s.line)
        if s.color and s.line:
            look["line_color"] = s.color
        elif s.color:
            look["marker_foreground_color"] = look["marker_background_color"] = s.color
        if look:
            try:
                xl_chart.series[k].set(**look)
            except Exception as exc:  # noqa: BLE001  (an Excel that refuses the combination)
                notes.append(f"{chart.title}: series '{s.name}' keeps Excel's default look "
                             f"({exc})")
    xl_chart.title = chart.title
    if chart.x_title:
        xl_chart.category_axis.title = chart.x_title
    y_title = chart.y_title
    if chart.y_log_base:
        if _log_axis(xl_chart.value_axis, chart.y_log_base):
            y_title += LOG_AXIS_NOTE
        else:
            notes.append(f"{chart.title}: linear value axis (this Excel refused a log scale)")
    if y_title:
        xl_chart.value_axis.title = y_title
    if chart.kind != "scatter":
        # The date axis crosses at the bottom of the plot whatever the sign of the values:
        # a rolling beta below zero must not have its dates run through the lines.
        xl_chart.value_axis.crosses = "minimum"
    if chart.x_number_format:
        xl_chart.category_axis.number_format = chart.x_number_format
    if chart.y_number_format:
        xl_chart.value_axis.number_format = chart.y_number_format
    for s in chart.series:
        if s in group:
            continue
        where, other = source(s.table)
        xr = _rng(where, other.data_range(s.x_col))
        yr = _rng(where, other.data_range(s.y_col))
        if not _add_series_native(xl_chart, s.name, xr, yr, s.line):
            notes.append(f"{chart.title}: series '{s.name}' needs Excel on Windows; "
                         f"its data are in {s.table}")
    return notes


def _log_axis(axis: Any, base: int) -> bool:
    """Make a value axis logarithmic; xlwings CE has no call for it, so the native object
    (COM on Windows, appscript on macOS). ``False`` where Excel refuses."""
    try:
        native = axis.api
        if _on_windows(axis):
            native.ScaleType = _XL_SCALE_LOGARITHMIC
            native.LogBase = base
        else:
            from appscript import k  # type: ignore[import-not-found]

            native.scale_type.set(k.scale_logarithmic)
            native.log_base.set(base)
        return True
    except Exception:  # noqa: BLE001  (no such property on this Excel: a linear axis)
        return False


def _chart_type(chart: Chart, line: bool) -> str:
    """xlwings' name of the chart type of a series drawn with (or without) a line."""
    if chart.kind != "scatter":
        return "line"
    return "xy_scatter_lines_no_markers" if line else "xy_scatter"


def _add_series_native(chart: Any, name: str, x: Any, y: Any, line: bool) -> bool:
    """Add a series from its own ranges (Windows COM); ``False`` where that is unavailable."""
    if not _on_windows(chart):
        return False
    com_chart = chart.api[1]  # xlwings on Windows: (ChartObject, Chart)
    series = com_chart.SeriesCollection().NewSeries()
    series.Name = name
    series.XValues = x.api
    series.Values = y.api
    series.ChartType = _XL_XY_SCATTER_LINES_NO_MARKERS if line else _XL_XY_SCATTER
    return True


def _on_windows(obj: Any) -> bool:
    """Whether ``obj`` (an xlwings object) runs on xlwings' Windows engine (COM); for an
    object that does not tell, whether this is Windows (:func:`_is_windows`)."""
    module = type(getattr(obj, "impl", None)).__module__
    if module.startswith("xlwings._xlwindows"):
        return True
    if module.startswith("xlwings._xlmac"):
        return False
    return _is_windows()


def _is_windows() -> bool:
    return sys.platform.startswith("win")

