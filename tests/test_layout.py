"""What the analyst sees: nothing covered, nothing cut, in the live sheet and in the .xlsx.

Each test reads back what a drawer made (the fake Excel's sheet through the real xlwings API,
or the .xlsx file's XML) and computes the rectangles in points from the column widths and row
heights found there, with Excel's own rule for a column width (characters of the Normal
font's "0", 7 px, plus 5 px padding; 96 px per 72 pt), independently of the plan's arithmetic.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zipfile
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from betahedge_xl import beta_hedge
from betahedge_xl import formats as F
from betahedge_xl.excel import drawer
from betahedge_xl.plan import CHART_HEIGHT, CHART_WIDTH, OutputPlan, build_plan
from betahedge_xl.report import write_report
from xlwings_engines import XlSheet, excel_model, xlwings_book

SAMPLE = Path(__file__).resolve().parents[1] / "betahedge_xl" / "sample"
Rect = tuple[float, float, float, float]  # left, top, right, bottom (points)
EMU_PER_PT = 12700


def _sample(ticker: str) -> pd.Series:
    frame = pd.read_csv(SAMPLE / f"{ticker}.csv", index_col=0, parse_dates=True)
    return frame["Adj Close"].rename(ticker)


def _worked() -> Any:
    return beta_hedge(_sample("TSLA"), _sample("SPY"), "2014-01-01", "2015-01-01")


def _multi() -> Any:
    return beta_hedge(_sample("AAPL"), pd.concat([_sample("SPY"), _sample("XLK")], axis=1),
                      "2014-01-01", "2015-01-01", frequency="weekly", risk_free=0.02)


def _portfolio() -> Any:
    return beta_hedge(pd.concat([_sample("AAPL"), _sample("MSFT")], axis=1), _sample("SPY"),
                      "2014-01-01", "2015-01-01", weights=[0.6, 0.4])


RESULTS = {"worked": _worked, "multi": _multi, "portfolio": _portfolio}


def _plan(which: str) -> OutputPlan:
    if which == "backtest":  # the backtest section, drawn by the same drawers
        from betahedge_xl import backtest
        from betahedge_xl.plan import build_backtest_plan

        return build_backtest_plan(backtest(_sample("TSLA"), _sample("SPY"), "2013-01-01",
                                            "2016-01-01", cost_bps=5))
    return build_plan(RESULTS[which]())


def _excel_col_points(chars: float) -> float:
    px = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
    return px * 72 / 96


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Grid:
    """Column lefts and row tops in points from widths (characters) and heights (points)."""

    def __init__(self, widths: dict[int, float], heights: dict[int, float],
                 file_widths: bool = False) -> None:
        self.widths, self.heights = widths, heights  # 1-based
        self.file_widths = file_widths

    def points(self, col: int) -> float:
        if self.file_widths:
            # An .xlsx stores a width with its padding: 8.43 characters are 9.140625 there,
            # and the column is that many "0"s of 7 px (Excel rounds to whole pixels).
            return round(self.widths.get(col, 9.140625) * 7) * 72 / 96
        return _excel_col_points(self.widths.get(col, 8.43))

    def left(self, col: int) -> float:
        return sum(self.points(c) for c in range(1, col))

    def top(self, row: int) -> float:
        return sum(self.heights.get(r, 15.0) for r in range(1, row))

    def cell(self, row: int, col: int) -> Rect:
        return (self.left(col), self.top(row), self.left(col + 1), self.top(row + 1))


def _assert_nothing_covered(charts: dict[str, Rect], cells: list[tuple[int, int]],
                            grid: _Grid) -> None:
    assert charts
    names = sorted(charts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(charts[a], charts[b]), (a, b, charts[a], charts[b])
    for row, col in cells:
        rect = grid.cell(row, col)
        for name, box in charts.items():
            assert not _overlap(box, rect), (name, box, row, col, rect)


def _shown(value: Any, fmt: str | None) -> str:
    """The text a cell shows (the formats the report uses)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return "2014-12-31"
    if isinstance(value, str):
        return value
    if fmt and fmt != "General" and not fmt.startswith("#"):
        return F.format_number(fmt, float(value))
    return f"{value:g}"


def _assert_nothing_cut(cells: dict[tuple[int, int], tuple[Any, str | None]],
                        widths: dict[int, float], wrapped: set[tuple[int, int]]) -> None:
    """Every value fits its column (numbers never show ####); a text may run on only into
    empty cells (a table's title)."""
    for (row, col), (value, fmt) in cells.items():
        if (row, col) in wrapped:
            # Excel wraps at spaces and line breaks: no word may be wider than the column.
            words = str(value).split()
            assert all(len(w) <= widths.get(col, 8.43) for w in words), (row, col, value)
            continue
        text = _shown(value, fmt)
        # Letters of the header and labels run wider than the width unit, "0": 15% margin.
        need = len(text) * (1.15 if isinstance(value, str) else 1.0)
        if need <= widths.get(col, 8.43):
            continue
        assert isinstance(value, str), f"{text!r} in row {row} col {col} would show ####"
        run = need - widths.get(col, 8.43)
        c = col + 1
        while run > 0:
            assert (row, c) not in cells, f"{text!r} (row {row} col {col}) is cut by col {c}"
            run -= widths.get(c, 8.43)
            c += 1


# ---------------------------------------------------------------------------------------------
# live sheet: xlwings' own Windows and macOS engines over a fake Excel
# ---------------------------------------------------------------------------------------------
ENGINES = ["windows", "mac"]


@contextlib.contextmanager
def _draw_live(plan: OutputPlan, engine: str) -> Iterator[tuple[Any, XlSheet]]:
    """The plan drawn on ``engine``: the xlwings book and the fake Excel's sheet."""
    with xlwings_book(engine) as book:
        notes = drawer.draw(book, plan)
        assert notes == []
        yield book, excel_model(book).sheet(plan.sheet)


def _chart_boxes(sheet: XlSheet) -> dict[str, Rect]:
    return {c.name: (c.left, c.top, c.left + c.width, c.top + c.height) for c in sheet.charts}


@pytest.mark.parametrize("which", [*sorted(RESULTS), "backtest"])
@pytest.mark.parametrize("engine", ENGINES)
def test_live_charts_cover_no_cell_and_no_chart(which: str, engine: str) -> None:
    plan = _plan(which)
    with _draw_live(plan, engine) as (_, sheet):
        grid = _Grid(sheet.col_widths, sheet.row_heights)
        charts = _chart_boxes(sheet)
        assert set(charts) == {c.name for c in plan.charts}
        # xlwings takes points: the plan's size goes in unconverted
        assert {(c.width, c.height) for c in sheet.charts} == {(CHART_WIDTH, CHART_HEIGHT)}
        _assert_nothing_covered(charts, list(sheet.cells), grid)
        cells = {k: (v, sheet.formats.get(k)) for k, v in sheet.cells.items()}
        _assert_nothing_cut(cells, sheet.col_widths, sheet.wrapped)


def test_live_geometry_was_wrong_in_pixels() -> None:
    # What the issue saw: 576 x 300 given to xlwings as points spans D..O at 48 pt a column.
    left = 3 * 48.0
    assert left + 576 > 12 * 48.0  # past column M, where the returns table began


@pytest.mark.parametrize("engine", ENGINES)
def test_live_rolling_chart_series_and_axis(engine: str) -> None:
    res = _worked()
    plan = build_plan(res)
    with _draw_live(plan, engine) as (book, sheet):
        chart = {c.name: c for c in sheet.charts}["bh_chart_rolling"]
        rolling = plan.table("bh_rolling")
        names = [s.name for s in chart.series]
        assert names == ["Beta SPY", f"Full-sample beta SPY ({res.beta:.2f})", "+2 SE SPY",
                         "-2 SE SPY"]
        assert [s.values[1][1] for s in chart.series] == [
            rolling.column(h) + 1 for h in rolling.header[1:]]
        date_col = rolling.column("Date") + 1
        assert all(s.xvalues[1][1] == s.xvalues[1][3] == date_col for s in chart.series)
        # Read back through xlwings, as this Excel holds them.
        xl_chart = book.sheets[plan.sheet].charts["bh_chart_rolling"]
        # the date labels sit at the bottom whatever the sign of beta
        assert xl_chart.value_axis.crosses == "minimum"
        assert xl_chart.title.startswith(
            "Rolling 63-day beta: TSLA on SPY, daily, 2014-01-02..")
        spec = next(c for c in plan.charts if c.name == "bh_chart_rolling")
        # xlwings reads a colour back as (r, g, b); the plan gives it as #RRGGBB.
        assert [s.line_color for s in xl_chart.series] == [
            tuple(int(s.color[i:i + 2], 16) for i in (1, 3, 5)) for s in spec.series]


@pytest.mark.parametrize("engine", ENGINES)
def test_live_print_area_and_log_axis(engine: str, seven_fold: Any) -> None:
    plan = build_plan(seven_fold)
    with _draw_live(plan, engine) as (book, sheet):
        xl_sheet = book.sheets[plan.sheet]
        growth = xl_sheet.charts["bh_chart_cumulative"]
        axis = growth.value_axis.api
        if engine == "windows":
            assert (axis.ScaleType, axis.LogBase) == (-4133, 2)  # xlScaleLogarithmic
            # What the drawer set on Excel's PageSetup (COM): landscape, one page wide.
            setup = {k[1]: v for k, v in sheet.props.items()
                     if isinstance(k, tuple) and k[0] == "PageSetup"}
            assert (setup["Orientation"], setup["FitToPagesWide"],
                    setup["FitToPagesTall"]) == (2, 1, False)
        else:  # AppleScript: the axis's scale type and log base
            from xlwings_engines import kw

            assert (axis.scale_type.get(), axis.log_base.get()) == (kw.scale_logarithmic, 2)
        assert growth.value_axis.title == "growth of 1, log scale"
        r0, c0, r1, c1 = plan.print_area()
        last = plan.tables[-1]
        assert (r0, c0) == (0, 0) and c1 == last.bounds()[3] and r1 >= last.last_row
        assert xl_sheet.page_setup.print_area == f"$A$1:${_letters(c1)}${r1 + 1}"
        assert sheet.print_area == f"$A$1:${_letters(c1)}${r1 + 1}"


def _letters(col: int) -> str:
    out, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


# ---------------------------------------------------------------------------------------------
# .xlsx (xlsxwriter), read back from the file
# ---------------------------------------------------------------------------------------------
def _xlsx_charts(path: Path, grid: _Grid) -> dict[str, Rect]:
    """Each chart's rectangle from its two-cell anchor (the cells and offsets Excel reads)."""
    with zipfile.ZipFile(path) as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    out = {}
    corner = (r"<xdr:{0}><xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>"
              r"<xdr:row>(\d+)</xdr:row><xdr:rowOff>(\d+)</xdr:rowOff></xdr:{0}>")
    for anchor in re.findall(r"<xdr:twoCellAnchor.*?</xdr:twoCellAnchor>", drawing, re.S):
        name = re.search(r'<xdr:cNvPr id="\d+" name="([^"]+)"', anchor)
        frm, to = (re.search(corner.format(tag), anchor) for tag in ("from", "to"))
        assert name and frm and to
        box = []
        for m in (frm, to):
            col, col_off, row, row_off = (int(v) for v in m.groups())
            box.append((grid.left(col + 1) + col_off / EMU_PER_PT,
                        grid.top(row + 1) + row_off / EMU_PER_PT))
        out[name.group(1)] = (box[0][0], box[0][1], box[1][0], box[1][1])
    return out


@pytest.mark.parametrize("which", [*sorted(RESULTS), "backtest"])
def test_xlsx_charts_cover_no_cell_and_no_chart(which: str, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.utils import column_index_from_string

    plan = _plan(which)
    path = write_report(plan=plan, path=tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)[plan.sheet]
    widths: dict[int, float] = {}
    for key, dim in ws.column_dimensions.items():
        if dim.width:
            for c in range(dim.min or column_index_from_string(key), (dim.max or 0) + 1):
                widths[c] = float(dim.width)
    heights = {r: float(d.ht) for r, d in ws.row_dimensions.items() if d.ht}
    grid = _Grid(widths, heights, file_widths=True)
    charts = _xlsx_charts(path, grid)
    assert set(charts) == {c.name for c in plan.charts}
    for box in charts.values():  # 640 x 340 px in the file: the plan's 480 x 255 pt
        assert (box[2] - box[0], box[3] - box[1]) == pytest.approx((CHART_WIDTH, CHART_HEIGHT))
    cells = {(c.row, c.column): (c.value, c.number_format)
             for row in ws.iter_rows() for c in row if c.value is not None}
    _assert_nothing_covered(charts, list(cells), grid)
    wrapped = {(c.row, c.column) for row in ws.iter_rows() for c in row
               if c.value is not None and c.alignment.wrap_text}
    # the cut check counts characters: the width as set, without the file's padding
    _assert_nothing_cut(cells, {c: w - 0.7109375 for c, w in widths.items()}, wrapped)
    # wrapped rows are tall enough for their lines
    for r, c in wrapped:
        assert heights[r] >= 15 * (str(ws.cell(r, c).value).count("\n") + 1)


def test_xlsx_page_setup_prints_everything_landscape_legibly(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    plan = build_plan(_worked())
    ws = openpyxl.load_workbook(write_report(plan=plan, path=tmp_path / "r.xlsx"))[plan.sheet]
    last = plan.tables[-1]
    assert ws.print_area == (f"'BetaHedge'!$A$1:${_letters(last.bounds()[3])}$"
                             f"{max(last.last_row, plan.print_area()[2]) + 1}")
    assert ws.page_setup.orientation == "landscape"
    # At 75% on as many pages as the tables take: fitted one page wide, a book's 35 columns
    # printed at about 4 pt (issue 21); the page to forward is the report's first sheet.
    assert ws.page_setup.scale == 75
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)


def test_last_refresh_table_goes_below_a_portfolios_positions() -> None:
    from betahedge_xl.excel import refresh as rf

    plan = build_plan(_portfolio())
    status = rf._status_table(plan, "bh_inputs", "done")
    s0, s1 = status.bounds(), plan.table("bh_positions").bounds()
    assert s0[0] > s1[2]  # below, not on top of, the positions
    for t in plan.tables:
        b = t.bounds()
        assert b[2] < s0[0] or s0[2] < b[0] or b[3] < s0[1] or s0[3] < b[1], t.name


@pytest.mark.parametrize("engine", ENGINES)
def test_refresh_with_last_refresh_table_covers_and_cuts_nothing(
    engine: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from betahedge_xl.excel import refresh as rf

    # the example inputs (TSLA on SPY, 2014) on the package's real sample prices
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(SAMPLE))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))
    with xlwings_book(engine) as book:
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        sheet = excel_model(book).sheet("BetaHedge")
        grid = _Grid(sheet.col_widths, sheet.row_heights)
        _assert_nothing_covered(_chart_boxes(sheet), list(sheet.cells), grid)
        _assert_nothing_cut({k: (v, sheet.formats.get(k)) for k, v in sheet.cells.items()},
                            sheet.col_widths, sheet.wrapped)
        # a wrapped value's row holds its lines (the result line and the inputs' address)
        assert len(sheet.wrapped) >= 3
        for r, c in sheet.wrapped:
            text = str(sheet.cells[(r, c)])
            lines = max(text.count("\n") + 1, -(-len(text) // int(sheet.col_widths[c])))
            assert sheet.row_heights.get(r, 15.0) >= 15.0 * lines, (r, text)
