"""The Refresh button end to end, on xlwings 0.37.8's own Windows and macOS engines over a
fake Excel (``tests/xlwings_engines.py``): every test runs on both.

Prices come from CSV files in a temporary folder (no network); the numbers written into the
sheet are checked against ``np.polyfit`` of the same prices.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.excel import inputs as inp
from betahedge_xl.excel import refresh as rf
from betahedge_xl.plan import FRONT_SHEET, PREFIX, SHEET, a1
from xlwings_engines import XlErr, XlSheet, excel_model, xlwings_book

ROOT = Path(__file__).resolve().parents[1]
#: xlwings' own engines the Refresh is run on (tests/xlwings_engines.py).
ENGINES = ["windows", "mac"]


def _prices(seed: int, beta: float, start: str = "2013-06-03", n: int = 400) -> pd.Series:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n)
    rb = np.random.default_rng(99).normal(0.0004, 0.01, n - 1)
    r = 0.0002 + beta * rb + rng.normal(0, 0.015, n - 1)
    return pd.Series(100 * np.cumprod(np.r_[1.0, 1 + r]), index=dates)


@pytest.fixture()
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pd.Series]:
    prices = {"SPY": _prices(0, 1.0), "TSLA": _prices(1, 1.9), "AAPL": _prices(2, 0.8)}
    # SPY's own path is the benchmark factor: make it exactly that (beta 1, no noise).
    rb = np.random.default_rng(99).normal(0.0004, 0.01, 399)
    prices["SPY"] = pd.Series(200 * np.cumprod(np.r_[1.0, 1 + rb]), index=prices["SPY"].index)
    folder = tmp_path / "data"
    folder.mkdir()
    for name, s in prices.items():
        pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.to_numpy()}).to_csv(
            folder / f"{name}.csv", index=False)
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))
    return prices


def _window(s: pd.Series) -> pd.Series:
    return s[(s.index >= "2014-01-01") & (s.index < "2015-01-01")]


def _summary(sheet: XlSheet) -> dict[str, Any]:
    """The summary table as Excel holds it (title row 1, header row 2: the plan's anchor A1)."""
    out = {}
    r = 3
    while (r, 1) in sheet.cells:
        out[sheet.cells[(r, 1)]] = sheet.cells.get((r, 2))
        r += 1
    return out


def _status_rows(book: Any) -> dict[str, Any]:
    """The "Last refresh" table the refresh leaves on the report sheet, label -> value."""
    status = book.names[rf.STATUS_NAME].refers_to_range
    return {r[0]: r[1] for r in status.options(ndim=2).value[1:]}


def _set_input(book: Any, label: str, value: Any) -> None:
    """Type ``value`` into the inputs block's row labelled ``label`` (through xlwings)."""
    block = book.names[inp.INPUTS_NAME].refers_to_range
    labels = block.options(ndim=2).value
    row = next(i for i, r in enumerate(labels) if r[0] == label)
    block.sheet.range((block.row + row, block.column + 1)).value = value


def _where(book: Any, name: str) -> tuple[int, int, int, int]:
    """A defined name's cells, 1-based: first row, first column, last row, last column."""
    rng = book.names[name].refers_to_range
    return rng.row, rng.column, rng.row + rng.shape[0] - 1, rng.column + rng.shape[1] - 1


def _holdings(book: Any, rows: list[list[Any]]) -> None:
    """Type ``rows`` into the added inputs sheet's holdings table."""
    holdings = book.names[inp.HOLDINGS_NAME].refers_to_range
    book.sheets[inp.INPUTS_SHEET].range((holdings.row, holdings.column)).value = rows


@pytest.mark.parametrize("engine", ENGINES)
def test_first_refresh_adds_the_example_inputs_and_draws_the_report(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "My data") as book:
        model = excel_model(book)
        book.sheets["My data"].range((1, 1)).value = [["mine", 1.0]]
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert "added the sheet" in message
        # the page to forward before the data sheet, as in the .xlsx report
        assert [s.name for s in model.sheets if s.visible] == ["My data", inp.INPUTS_SHEET,
                                                                 FRONT_SHEET, SHEET]
        # The added block is the example, and reading it back gives the TSLA/SPY 2014 request.
        block = book.names[inp.INPUTS_NAME].refers_to_range
        req = inp.read_request(block.options(ndim=2).value)
        assert (req.asset, req.benchmark) == ("TSLA", "SPY")
        assert (pd.Timestamp(req.start), pd.Timestamp(req.end)) == (
            pd.Timestamp("2014-01-01"), pd.Timestamp("2015-01-01"))

        report = model.sheet(SHEET)
        out = _summary(report)
        beta, alpha = np.polyfit(_window(stored["SPY"]).pct_change().dropna(),
                                 _window(stored["TSLA"]).pct_change().dropna(), 1)
        assert out["Beta"] == pytest.approx(beta, rel=1e-8)
        assert out["Alpha (per period)"] == pytest.approx(alpha, abs=1e-12)
        assert out["Observations"] == len(_window(stored["TSLA"])) - 1
        assert sorted(c.name for c in report.charts) == [
            f"{PREFIX}chart_cumulative", f"{PREFIX}chart_rolling", f"{PREFIX}chart_scatter"]
        assert all(c.series for c in report.charts)
        assert model.sheet("My data").cells == {(1, 1): "mine", (1, 2): 1.0}  # untouched
        assert model.sheet("My data").formulas == {}
        # Progress went to the status bar, which was handed back to Excel at the end.
        assert any(isinstance(s, str) and "computing" in s for s in model.app.status_history)
        assert model.app.status_history[-1] is False


@pytest.mark.parametrize("engine", ENGINES)
def test_a_users_sheet_named_like_the_output_is_not_overwritten(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        model.add_sheet(1, SHEET).type_in(1, 1, "my own BetaHedge sheet")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and f"{SHEET}!A1" in message, message
        assert model.snapshot() == before  # no inputs sheet added either


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_inputs_give_a_message_box(engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        _set_input(book, "End", "2013-01-01")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and "reversed" in message, message
        rf._show(book, message)
        assert model.app.alerts == [message]
        assert SHEET not in [s.name for s in model.sheets]
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_holdings_table_makes_a_portfolio(engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        _holdings(book, [["TSLA", 0.25], ["AAPL", 0.75]])
        message = rf.refresh(book)
        assert message.startswith("TSLA +0.25 / AAPL +0.75 on SPY"), message
        port = (0.25 * _window(stored["TSLA"]).pct_change()
                + 0.75 * _window(stored["AAPL"]).pct_change()).dropna()
        beta = np.polyfit(_window(stored["SPY"]).pct_change().dropna(), port, 1)[0]
        report = model.sheet(SHEET)
        assert _summary(report)["Beta"] == pytest.approx(beta, rel=1e-8)
        assert _status_rows(book)["From"].endswith(
            f"{inp.HOLDINGS_NAME} ('{inp.INPUTS_SHEET}'!$E$4:$F$13)")
        # the book's positions: each holding's own regression on SPY, under a workbook name
        spy = _window(stored["SPY"]).pct_change().dropna()
        r1, c1, r2, _ = _where(book, f"{PREFIX}position_betas")
        grid = report.cells
        assert [grid[(r1, c1 + j)] for j in range(4)] == [
            "Ticker", "Weight", "Beta", "Contribution"]  # the name covers header and data
        rows = {grid[(r, c1)]: [grid[(r, c1 + j)] for j in (1, 2, 3)]
                for r in range(r1 + 1, r2 + 1)}
        assert sorted(rows) == ["AAPL", "TSLA"]
        for t, w in (("TSLA", 0.25), ("AAPL", 0.75)):
            b = np.polyfit(spy, _window(stored[t]).pct_change().dropna(), 1)[0]
            assert rows[t] == pytest.approx([w, b, w * b], rel=1e-8)


@pytest.mark.parametrize("engine", ENGINES)
def test_scatter_draws_points_and_regression_line_from_one_block(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        message = rf.refresh(book)
        assert "Windows" not in message, message  # nothing left out, on either platform
        report = model.sheet(SHEET)
        scatter = {c.name: c for c in report.charts}[f"{PREFIX}chart_scatter"]
        r1, c1, r2, c2 = _where(book, f"{PREFIX}returns")
        # xlwings CE's calls only: the two series of the source block, none added through COM.
        points, line = scatter.series
        col = {report.cells[(r1, c)]: c for c in range(c1, c2 + 1)}
        assert points.values == (report, (r1 + 1, col["TSLA"], r2, col["TSLA"]))
        assert line.values == (report, (r1 + 1, col["Fitted"], r2, col["Fitted"]))
        # Names and types as xlwings reads them back from this Excel.
        xl_scatter = book.sheets[SHEET].charts[f"{PREFIX}chart_scatter"]
        assert [(s.name, s.chart_type) for s in xl_scatter.series] == [
            ("daily returns", "xy_scatter"),
            ("alpha + beta x SPY", "xy_scatter_lines_no_markers")]
        # The line's cells are alpha + beta x at each point of the scatter.
        alpha = _summary(report)["Alpha (per period)"]
        beta = _summary(report)["Beta"]
        x = np.array([report.cells[(r, col["SPY"])] for r in range(r1 + 1, r2 + 1)])
        fitted = np.array([report.cells[(r, col["Fitted"])] for r in range(r1 + 1, r2 + 1)])
        np.testing.assert_allclose(fitted, alpha + beta * x, rtol=0, atol=1e-12)
        # The line charts keep the series Excel made from their headers; the hedged line is
        # named after the trade that makes it (the hedge ratio in the legend).
        cumulative = book.sheets[SHEET].charts[f"{PREFIX}chart_cumulative"]
        assert [(s.name, s.chart_type) for s in cumulative.series] == [
            ("TSLA", "line"), ("SPY", "line"), (f"hedged: TSLA - {beta:.2f} x SPY", "line")]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_excel_refusing_the_line_look_leaves_markers_and_a_note(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        model.app.refuses.add("series chart type")
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert "series 'alpha + beta x SPY' keeps Excel's default look (" in message, message
        assert "'daily returns' keeps" not in message  # a name alone is not refused
        # The note stays on the report sheet too (macOS clears the status bar).
        assert "keeps Excel's default look" in _status_rows(book)["Notes"]
        scatter = book.sheets[SHEET].charts[f"{PREFIX}chart_scatter"]
        # Both as markers: still drawn. Excel refused the type first, so the line series
        # kept its header's name too (xlwings sets the type before the name).
        assert [(s.name, s.chart_type) for s in scatter.series] == [
            ("daily returns", "xy_scatter"), ("Fitted", "xy_scatter")]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_workbook_module_runs_the_refresh_on_the_caller(
        engine: str, stored: dict[str, pd.Series], monkeypatch: pytest.MonkeyPatch) -> None:
    import xlwings as xw

    # betahedge.py is what `import betahedge; betahedge.main()` (the workbook's macro) finds.
    spec = importlib.util.spec_from_file_location("betahedge", ROOT / "betahedge.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with xlwings_book(engine) as book:
        model = excel_model(book)
        monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
        module.main()
        assert SHEET in [s.name for s in model.sheets]
        assert str(model.app.status_bar).startswith("BetaHedge: TSLA on SPY")
        assert model.app.alerts == []


@pytest.mark.parametrize("engine", ENGINES)
def test_added_inputs_show_rates_as_percent_and_dates_as_dates(engine: str) -> None:
    with xlwings_book(engine) as book:
        rf.add_inputs(book)
        sheet = excel_model(book).sheet(inp.INPUTS_SHEET)
        r0, c0 = inp.FIELDS_ANCHOR
        keys = [f.key for f in inp.FIELDS]
        assert sheet.formats[(r0 + 1 + keys.index("risk_free"), c0 + 2)] == "0.00%"
        assert sheet.formats[(r0 + 1 + keys.index("start"), c0 + 2)] == "yyyy-mm-dd"
        assert sheet.formats[(r0 + 1 + keys.index("end"), c0 + 2)] == "yyyy-mm-dd"


# ---------------------------------------------------------------------------------------------
# The Refresh removes only what it wrote (issue 8)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_an_analysts_bh_names_and_charts_survive_the_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.refresh(book)
        sheet = book.sheets[SHEET]
        # A constant (refers to no range) and a range on the report sheet, both with the
        # prefix, and a chart of the analyst's named with the prefix too.
        book.names.add("bh_rate", "=0.02")
        sheet.range((200, 1)).value = [["my notes", 1.0], ["more", 2.0]]
        book.names.add("bh_mynotes", f"='{SHEET}'!$A$200:$B$201")
        mine = sheet.charts.add(left=0, top=3000, width=100, height=50)
        mine.name = "bh_mychart"
        for _ in range(2):
            message = rf.refresh(book)
            assert message.startswith("TSLA on SPY"), message
            assert book.names["bh_rate"].refers_to == "=0.02"
            assert book.names["bh_mynotes"].refers_to == f"='{SHEET}'!$A$200:$B$201"
            assert sheet.range((200, 1), (201, 2)).value == [["my notes", 1.0], ["more", 2.0]]
            charts = {c.name: c for c in model.sheet(SHEET).charts}
            assert (charts["bh_mychart"].top, charts["bh_mychart"].width) == (3000, 100)
            assert len(charts) == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_an_inputs_block_beside_the_report_on_its_sheet_is_kept(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.refresh(book)
        # The analyst moves the block onto the report sheet, right of every table.
        sheet = book.sheets[SHEET]
        col = max(c for _, c in model.sheet(SHEET).cells) + 2  # one empty column after it
        block = [row[:2] for row in inp.example_rows()]
        sheet.range((3, col)).value = block
        ref = f"='{SHEET}'!{a1(2, col - 1, True)}:{a1(1 + len(block), col, True)}"
        book.names.add(inp.INPUTS_NAME, ref)
        for _ in range(2):
            message = rf.refresh(book)
            assert message.startswith("TSLA on SPY"), message
            assert sheet.range((3, col), (2 + len(block), col + 1)).options(
                ndim=2).value == block
            assert book.names[inp.INPUTS_NAME].refers_to == ref


@pytest.mark.parametrize("engine", ENGINES)
def test_an_inputs_block_where_the_report_goes_stops_the_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, SHEET) as book:  # their own sheet named like the report
        model = excel_model(book)
        block = [row[:2] for row in inp.example_rows()]
        book.sheets[SHEET].range((3, 1)).value = block
        book.names.add(inp.INPUTS_NAME, f"='{SHEET}'!$A$3:$B${2 + len(block)}")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:"), message
        assert inp.INPUTS_NAME in message and "move" in message, message
        assert model.snapshot() == before
        assert [n.name for n in model.names] == [inp.INPUTS_NAME]
        assert model.sheet(SHEET).charts == []


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["betahedge", "BETAHEDGE"])
def test_a_sheet_named_betahedge_in_another_case_is_the_report_sheet(
        engine: str, name: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "Data", name) as book:
        model = excel_model(book)
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert [s.name for s in model.sheets if s.visible] == ["Data", FRONT_SHEET, name,
                                                                 inp.INPUTS_SHEET]
        assert _summary(model.sheet(name))["Observations"] == len(_window(stored["TSLA"])) - 1
        assert rf.refresh(book).startswith("TSLA on SPY")  # and again, in place
        assert len(model.sheet(name).charts) == 3
    # An analyst's cell on it is still protected.
    with xlwings_book(engine, name) as book:
        model = excel_model(book)
        model.sheet(name).type_in(1, 1, "mine")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and f"{name}!A1" in message, message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_text_that_looks_like_a_formula_is_written_as_text(engine: str) -> None:
    from betahedge_xl.excel import drawer
    from betahedge_xl.plan import OutputPlan, Table

    header = ["=Date", "+SPY", "-TSLA", "@X", "'quoted"]
    row = ["=1+1", "-", "-5", "@SUM(A1)", "plain"]
    plan = OutputPlan("Out", "T", [Table("bh_t", "=HYPERLINK(\"x\")", (0, 0), header, [row])],
                      [])
    with xlwings_book(engine) as book:
        drawer.draw(book, plan)
        sheet = excel_model(book).sheet("Out")
        assert sheet.formulas == {}
        assert sheet.cells[(1, 1)] == "=HYPERLINK(\"x\")"
        assert [sheet.cells[(2, c)] for c in range(1, 6)] == header
        assert [sheet.cells[(3, c)] for c in range(1, 6)] == row  # "-5" stays the text "-5"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_harness_makes_formulas_of_text_as_excel_does(engine: str) -> None:
    # xlwings assigns text unescaped: the fake Excel must turn it into a formula, or the test
    # above could not fail.
    with xlwings_book(engine) as book:
        book.sheets[0].range((1, 1)).value = [["=A2", "-5", "'=A2", "-x", "@x"]]
        sheet = excel_model(book).sheets[0]
        assert sheet.formulas == {(1, 1): "=A2", (1, 4): "=-x", (1, 5): "=x"}
        assert (sheet.cells[(1, 2)], sheet.cells[(1, 3)]) == (-5.0, "=A2")


@pytest.mark.parametrize("engine", ENGINES)
def test_the_outcome_stays_on_the_report_sheet(engine: str,
                                               stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        before = dt.datetime.now()
        message = rf.refresh(book)
        after = dt.datetime.now()
        report = model.sheet(SHEET)
        r1, c1, _, _ = _where(book, rf.STATUS_NAME)
        rows = _status_rows(book)
        assert before.replace(microsecond=0) <= rows["Refreshed"].replace(tzinfo=None) <= after
        assert report.formats[(r1 + 1, c1 + 1)] == rf.STATUS_TIME_FORMAT
        last = inp.FIELDS_ANCHOR[0] + len(inp.FIELDS)  # the block's last row, 1-based
        assert rows["From"] == f"{inp.INPUTS_NAME} ('{inp.INPUTS_SHEET}'!$A$3:$B${last})"
        assert message.startswith(rows["Result"]), (message, rows)
        assert rows["Notes"].startswith("added the sheet")
        # The status bar is handed back (macOS clears it anyway); the sheet keeps the line.
        assert model.app.status_history[-1] is False
        # The summary is untouched by it, and a second refresh replaces it.
        assert _summary(report)["Beta"] == pytest.approx(
            np.polyfit(_window(stored["SPY"]).pct_change().dropna(),
                       _window(stored["TSLA"]).pct_change().dropna(), 1)[0], rel=1e-8)
        rf.refresh(book)
        assert _status_rows(book)["Notes"] == "none"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stop_keeps_the_dialog_and_the_previous_outcome(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.refresh(book)
        _set_input(book, "End", "2013-01-01")
        before = model.snapshot()
        message = rf.refresh(book)
        rf._show(book, message)
        assert model.app.alerts == [message] and message.startswith("stopped:")
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_the_added_inputs_block_has_drop_down_lists(engine: str,
                                                    stored: dict[str, pd.Series]) -> None:
    from betahedge_xl.excel import cells

    with xlwings_book(engine) as book:
        rf.refresh(book)
        sheet = excel_model(book).sheet(inp.INPUTS_SHEET)
        r0, c0 = inp.FIELDS_ANCHOR
        keys = [f.key for f in inp.FIELDS]
        expected = {"frequency": cells.FREQUENCIES, "returns": cells.RETURN_KINDS,
                    "cov_type": cells.COV_TYPES, "holdings_type": cells.HOLDINGS_KINDS}
        # Excel keeps a list's choices as its Formula1, comma-separated.
        assert {k: v.split(",") for k, v in sheet.validations.items()} == {
            (r0 + 1 + keys.index(k), c0 + 2): list(v) for k, v in expected.items()}
        # The example values are among the choices (the drop-down does not reject them).
        for k in expected:
            cell = (r0 + 1 + keys.index(k), c0 + 2)
            assert sheet.cells[cell] in sheet.validations[cell].split(",")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_users_name_the_report_needs_stops_the_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "Mine") as book:
        model = excel_model(book)
        model.sheet("Mine").type_in(1, 1, "my summary")
        book.names.add(f"{PREFIX}summary", "='Mine'!$A$1")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and f"{PREFIX}summary" in message, message
        assert book.names[f"{PREFIX}summary"].refers_to == "='Mine'!$A$1"
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_ticker_starting_like_a_formula_reaches_the_report_as_text(
        engine: str, stored: dict[str, pd.Series]) -> None:
    import os

    folder = Path(os.environ["BETAHEDGE_DATA_DIR"])
    (folder / "-TSLA.csv").write_bytes((folder / "TSLA.csv").read_bytes())
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        _set_input(book, "Asset", "'-TSLA")  # as typed in Excel
        message = rf.refresh(book)
        assert message.startswith("-TSLA on SPY"), message
        report = model.sheet(SHEET)
        assert report.formulas == {}
        r1, c1, _, c2 = _where(book, f"{PREFIX}returns")
        assert [report.cells[(r1, c)] for c in range(c1, c2 + 1)] == [
            "Date", "SPY", "-TSLA", "Fitted", "hedged"]
        assert report.cells[(1, 1)] == "Beta hedge: -TSLA on SPY"


@pytest.mark.parametrize("engine", ENGINES)
def test_an_excel_refusing_drop_downs_still_gets_the_block(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        model.app.refuses.add("validation")
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        # Excel's own words for the refusal, not pywin32's tuple.
        said = ("Excel: Application-defined or object-defined error" if engine == "windows"
                else "CommandError: Microsoft Excel got an error: Parameter error.")
        assert "no drop-down list for " + ", ".join(
            f"{label} ({said})" for label in ("Frequency", "Returns", "Standard errors",
                                              "Holdings are")) + ": type the value" in message
        assert "type the value" in _status_rows(book)["Notes"]
        assert model.sheet(inp.INPUTS_SHEET).validations == {}
        block = book.names[inp.INPUTS_NAME].refers_to_range.options(ndim=2).value
        assert block == [row[:2] for row in inp.example_rows()]


def test_read_request_by_labels() -> None:
    block = [["frequency", "Monthly"], ["BENCHMARK", " spy "], ["Asset", "tsla"],
             ["Risk-free rate", "2%"], ["Rolling window", 12.0], ["Start", None]]
    req = inp.read_request(block)
    assert (req.asset, req.benchmark, req.start) == ("TSLA", "SPY", None)
    assert req.options["frequency"] == "monthly"
    assert req.options["risk_free"] == pytest.approx(0.02)
    assert req.options["rolling_window"] == 12
    with pytest.raises(Exception, match="Benchmark"):
        inp.read_request([["Asset", "TSLA"]])
    with pytest.raises(Exception, match="holdings"):
        inp.read_request([["Asset", None], ["Benchmark", "SPY"]], [["AAPL", None]])


def test_inputs_block_hac_lags_and_percent_typo() -> None:
    base = [["Asset", "TSLA"], ["Benchmark", "SPY"]]
    req = inp.read_request([*base, ["HAC lags", 5.0]])
    assert (req.options["cov_type"], req.options["maxlags"]) == ("HAC", 5)
    with pytest.raises(Exception, match="HAC lags: lags apply to HAC"):
        inp.read_request([*base, ["Standard errors", "nonrobust"], ["HAC lags", 5.0]])
    with pytest.raises(Exception, match="Risk-free rate: 3 would be 300% a year"):
        inp.read_request([*base, ["Risk-free rate", 3.0]])
    assert "maxlags" in [f.key for f in inp.FIELDS]


def test_inputs_block_messages_name_the_rows_by_their_labels() -> None:
    base = [["Asset", "TSLA"], ["Benchmark", "SPY"]]
    for label, value in (("Frequency", "hourly"), ("Returns", "cubic"),
                         ("Standard errors", "robust"), ("Holdings are", "units")):
        with pytest.raises(Exception, match=f"^{label}: expected one of"):
            inp.read_request([*base, [label, value]], [["AAPL", 1.0]])


def test_xlwings_hands_text_to_excel_unescaped() -> None:
    """Why the harness turns "=x" into a formula: xlwings' own write hooks (Windows and macOS)
    pass text through unchanged to ``Range.Value`` / ``value.set``, and Excel parses it."""
    import ast
    import sys

    import numpy as np
    import xlwings
    from xlwings.utils import np_datetime_to_datetime

    from xlwings_harness import xlwings_windows

    texts = ("=A2", "+x", "-x", "@SUM(A1)", "'=A2")
    with xlwings_windows():
        engine = sys.modules["xlwings._xlwindows"].engine
        assert [engine.prepare_xl_data_element(t, None) for t in texts] == list(texts)
    path = Path(xlwings.__file__).with_name("_xlmac.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (hook,) = [f for c in tree.body if isinstance(c, ast.ClassDef) and c.name == "Engine"
               for f in c.body if isinstance(f, ast.FunctionDef)
               and f.name == "prepare_xl_data_element"]
    hook.decorator_list = []
    ns = {"pd": pd, "np": np, "np_datetime_to_datetime": np_datetime_to_datetime,
          "dt": __import__("datetime")}
    exec(compile(ast.Module(body=[hook], type_ignores=[]), str(path), "exec"), ns)  # noqa: S102
    assert [ns["prepare_xl_data_element"](t, None) for t in texts] == list(texts)


@pytest.mark.parametrize("engine", ENGINES)
def test_capital_and_hedge_rows_size_the_hedge_in_contracts(
        engine: str, stored: dict[str, pd.Series]) -> None:
    """Capital, Hedge with and Hedge price in the inputs block: the summary states the dollar
    beta and the ES contracts, as beta x capital / (price x 50)."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        keys = [f.key for f in inp.FIELDS]
        block = book.names[inp.INPUTS_NAME].refers_to_range
        sheet = book.sheets[inp.INPUTS_SHEET]
        for key, value in (("capital", 5_000_000.0), ("hedge_with", "ES"),
                           ("hedge_price", 5900.0)):
            sheet.range((block.row + keys.index(key), block.column + 1)).value = value
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        beta = np.polyfit(_window(stored["SPY"]).pct_change().dropna(),
                          _window(stored["TSLA"]).pct_change().dropna(), 1)[0]
        summary = _summary(model.sheet(SHEET))
        assert summary["Dollar beta (beta x capital)"] == pytest.approx(beta * 5e6, rel=1e-8)
        exact = beta * 5e6 / (5900 * 50)
        assert summary["Contracts to sell"] == round(exact)
        assert summary["Hedge notional"] == pytest.approx(round(exact) * 5900 * 50)
        # an instrument without its price stops the refresh with a message
        sheet.range((block.row + keys.index("hedge_price"), block.column + 1)).value = None
        before = model.snapshot()
        assert rf.refresh(book) == "stopped: Hedge price: give the price of ES"
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("capital, price", [(None, None), (None, 5900.0), (5e6, None)])
def test_a_mistyped_contract_stops_the_refresh_naming_it_first(
        engine: str, stored: dict[str, pd.Series], capital: float | None,
        price: float | None) -> None:
    """Hedge with SE (meant ES) without a Capital asked for the Capital (or the price) before
    naming the unknown code: the code is named first, with the contracts known."""
    from betahedge_xl.engine import FUTURES_MULTIPLIERS

    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        for label, value in (("Capital", capital), ("Hedge with", "SE"),
                             ("Hedge price", price)):
            _set_input(book, label, value)
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith(
            "stopped: Hedge with: unknown futures contract 'SE' (did you mean ES?); known: "
        ), message
        # whole (no cell's cut), every contract with its multiplier
        assert message.endswith("multipliers in currency per index point"), message
        assert all(f"{code} {mult:g}" in message for code, mult in FUTURES_MULTIPLIERS.items())
        assert "Capital" not in message and "price of" not in message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_long_short_book_is_named_by_its_holdings_in_the_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    """The status line, the sheet's title, the summary's Asset and every chart said
    "Portfolio" where the xlsx report's front page says "AAPL +1 / TSLA -1"."""
    name = "AAPL +1 / TSLA -1"
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        _holdings(book, [["AAPL", 1.0], ["TSLA", -1.0]])
        message = rf.refresh(book)
        assert message.startswith(f"{name} on SPY: beta "), message
        report = model.sheet(SHEET)
        assert report.cells[(1, 1)] == f"Beta hedge: {name} on SPY"
        assert _summary(report)["Asset"] == name
        # read back through xlwings (each engine's own way to a chart's title and series)
        charts = {c.name: c for c in book.sheets[SHEET].charts}
        assert len(charts) == 3
        titles = [c.title for c in charts.values()]
        assert all(f": {name} on SPY, daily, " in t for t in titles), titles
        growth = [s.name for s in charts[f"{PREFIX}chart_cumulative"].series]
        assert growth[:2] == [name, "SPY"] and growth[2].startswith(f"hedged: ({name}) ")
        shown = titles + [s.name for c in charts.values() for s in c.series]
        assert [t for t in shown if "Portfolio" in t] == []
        # the cells: "Portfolio" only as the data tables' column header (the returns' name)
        assert not any(isinstance(v, str) and "Portfolio" in v
                       for v in report.cells.values() if v != "Portfolio")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_book_then_one_ticker_refreshes_and_clears_the_book_tables(
        engine: str, stored: dict[str, pd.Series]) -> None:
    """The holdings and position-betas tables belong to the report: emptying the holdings
    table and refreshing removes them (it stopped on their cells as if they were the user's)."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        rf.add_inputs(book)
        _holdings(book, [["TSLA", 0.25], ["AAPL", 0.75]])
        assert rf.refresh(book).startswith("TSLA +0.25 / AAPL +0.75 on SPY")
        names = {n.name for n in model.names}
        assert {f"{PREFIX}positions", f"{PREFIX}position_betas"} <= names
        _holdings(book, [[None, None], [None, None]])
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        names = {n.name for n in model.names}
        assert not {f"{PREFIX}positions", f"{PREFIX}position_betas"} & names
        report = model.sheet(SHEET)
        assert not any(isinstance(v, str) and (v.startswith(("TSLA +", "Positions"))
                                               or v == "Holdings")
                       for v in report.cells.values())
        assert not any(v in ("AAPL", "Contribution") for v in report.cells.values())


# --- xlwings' own engines (tests/xlwings_engines.py) ---------------------------------------


def test_the_mac_engine_runs_xlwings_own_code_bug_included() -> None:
    with xlwings_book("mac") as book:
        book.sheets[0].range("A1").value = [[1.0, 2.0], [3.0, 4.0]]
        with pytest.raises(TypeError, match="'NoneType' object is not iterable"):
            _ = book.sheets[0].range("A1:B2").options(ndim=2, err_to_str=True).value
    with xlwings_book("windows") as book:
        excel_model(book).sheets[0].cells[(2, 2)] = XlErr("#N/A")
        assert book.sheets[0].range("A1:B2").options(ndim=2, err_to_str=True).value == [
            [None, None], [None, "#N/A"]]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_refresh_draws_the_report_on_both_engines(engine: str,
                                                      stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "My data") as book:
        model = excel_model(book)
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        # the page to forward before the data sheet, as in the .xlsx report
        assert [s.name for s in model.sheets if s.visible] == ["My data", inp.INPUTS_SHEET,
                                                                 FRONT_SHEET, SHEET]
        report = model.sheet(SHEET)
        out = _summary(report)
        beta, alpha = np.polyfit(_window(stored["SPY"]).pct_change().dropna(),
                                 _window(stored["TSLA"]).pct_change().dropna(), 1)
        assert out["Beta"] == pytest.approx(beta, rel=1e-8)
        assert len(report.charts) == 3
        assert all(c.series for c in report.charts)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_formula_showing_nothing_under_the_returns_stops_a_longer_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    import datetime as dt

    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        r1, c1, r2, _ = _where(book, "bh_returns")
        model.sheet(SHEET).put_formula(r2 + 1, c1, '=IF(A1="","","x")', "")
        # xlwings reads the formula's "" as an empty cell: only its formula shows it is there.
        assert book.sheets[SHEET].range((r2 + 1, c1)).value is None
        _set_input(book, "Start", dt.datetime(2013, 7, 1))
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:"), message
        assert f"{SHEET}!{a1(r2, c1 - 1)}" in message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["bh_positions", "bh_position_betas", "bh_partial",
                                  "bh_fitline"])
def test_an_analysts_range_named_like_an_optional_table_survives(
        engine: str, name: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        report = model.sheet(SHEET)
        report.type_in(399, 1, "my title")
        report.type_in(400, 1, "mine")
        report.type_in(400, 2, 7.0)
        book.names.add(name, f"='{SHEET}'!$A$400:$B$400")
        for _ in range(2):
            message = rf.refresh(book)
            assert message.startswith("TSLA on SPY"), message
            assert book.names[name].refers_to == f"='{SHEET}'!$A$400:$B$400"
            assert (report.cells[(399, 1)], report.cells[(400, 1)],
                    report.cells[(400, 2)]) == ("my title", "mine", 7.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_analysts_sheet_named_betahedge_keeps_their_bh_summary(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "Data", SHEET) as book:
        model = excel_model(book)
        theirs = model.sheet(SHEET)
        theirs.type_in(501, 30, "their summary")
        book.names.add("bh_summary", f"='{SHEET}'!$AD$501")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and "bh_summary" in message, message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_notes_in_an_inserted_row_or_beside_a_title_are_kept(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        report = model.sheet(SHEET)
        r1, c1, r2, c2 = _where(book, "bh_returns")
        # Beside the title (the row above the name, right of the title cell).
        report.type_in(r1 - 1, c2, "note beside the title")
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert report.cells[(r1 - 1, c2)] == "note beside the title"
        # A row inserted inside the table: Excel moves the rows below and widens the name.
        rows = {k: v for k, v in report.cells.items() if k[0] > r1 + 10}
        for k in rows:
            del report.cells[k]
        report.cells.update({(r + 1, c): v for (r, c), v in rows.items()})
        report.type_in(r1 + 11, c1, "my note in the table")
        for n in model.names:
            if n.name == "bh_returns":
                n.refers_to = f"='{SHEET}'!${a1(0, c1 - 1)[0]}${r1}:${a1(0, c2 - 1)[0]}${r2 + 1}"
        before = model.snapshot()
        message = rf.refresh(book)
        assert model.sheet(SHEET).cells[(r1 + 11, c1)] == "my note in the table"
        assert message.startswith("stopped:") and "bh_returns" in message, message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_sheet_of_theirs_named_like_the_backtest_stops_before_any_write(
        engine: str, stored: dict[str, pd.Series]) -> None:
    import datetime as dt

    from betahedge_xl.plan import BACKTEST_SHEET

    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        theirs = model.add_sheet(len(model.sheets), BACKTEST_SHEET)
        theirs.type_in(1, 1, "my backtest notes")
        _set_input(book, "Start", dt.datetime(2013, 6, 3))  # long enough for a backtest
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:"), message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_names_are_compared_without_case_as_excel_does(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "Data") as book:
        model = excel_model(book)
        model.sheet("Data").type_in(1, 1, "my holdings")
        book.names.add("bh_holdings", "=Data!$A$1:$B$3")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and "bh_holdings" in message, message
        assert model.snapshot() == before
    with xlwings_book(engine, "Data") as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        # The analyst's own spelling of the block's name is the block (Excel: one name).
        name = model.find_name("bh_inputs")
        assert name is not None
        name.name = "BH_INPUTS"
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert [n.name for n in model.names].count("BH_INPUTS") == 1
        assert model.find_name("bh_inputs") is name


# --- issue 25: the drawer's and the refresh's surviving mutants ---------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_just_below_each_table_survives_the_next_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    """The owned area of a table ends at its last row (a rectangle one row too tall would
    clear the analyst's cell just below)."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        report = model.sheet(SHEET)
        below = {}
        for name in ("bh_returns", "bh_cumulative", "bh_rolling"):
            _, c1, r2, c2 = _where(book, name)
            below[(r2 + 1, c2)] = f"mine under {name}"
            report.type_in(r2 + 1, c2, below[(r2 + 1, c2)])
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert {k: report.cells.get(k) for k in below} == below


@pytest.mark.parametrize("engine", ENGINES)
def test_a_report_name_left_dangling_by_deleted_rows_is_replaced(
        engine: str, stored: dict[str, pd.Series]) -> None:
    """Deleting the rows of a table leaves its name at ``#REF!``: still the report's."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        rolling = model.find_name("bh_rolling")
        assert rolling is not None
        drawn = rolling.refers_to
        rolling.refers_to = f"='{SHEET}'!#REF!"
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert book.names["bh_rolling"].refers_to == drawn


@pytest.mark.parametrize("engine", ENGINES)
def test_the_notes_cell_keeps_text_that_looks_like_a_formula(engine: str) -> None:
    from betahedge_xl.plan import OutputPlan, Table

    summary = Table(name="bh_summary", title="Summary", anchor=(0, 0), header=["a", "b"],
                    rows=[["x", 1.0]])
    plan = OutputPlan(sheet=SHEET, title="", tables=[summary], charts=[])
    status = rf._status_table(plan, "here", "done")
    with xlwings_book(engine, SHEET) as book:
        rf._write_notes(book, plan, status, ["-TSLA has no prices", "=1"])
        row = status.first_data_row + 3
        assert book.sheets[SHEET].range((row + 1, 2)).value == "-TSLA has no prices; =1"
        assert excel_model(book).sheet(SHEET).formulas == {}


def _typed_inputs(book: Any, sheet: str) -> None:
    """The example inputs block typed by the analyst on ``sheet`` (A1:B14), named."""
    rows = [[r[0], r[1]] for r in inp.example_rows()]
    book.sheets[sheet].range("A1").value = rows
    book.names.add(inp.INPUTS_NAME, f"='{sheet}'!$A$1:$B${len(rows)}")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("offset", [0, 1], ids=["on_the_last_row", "inside"])
def test_an_empty_holdings_block_where_the_report_goes_stops_the_refresh(
        engine: str, offset: int, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "Data") as book:
        assert rf.refresh(book).startswith("TSLA on SPY")
        _, _, last, _ = _where(book, "bh_summary")
    with xlwings_book(engine, "Data", SHEET) as book:
        model = excel_model(book)
        _typed_inputs(book, "Data")
        # One row of holdings, on the summary's last row (or the one above).
        first = last - offset
        book.names.add(inp.HOLDINGS_NAME, f"='{SHEET}'!$A${first}:$B${first}")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and inp.HOLDINGS_NAME in message, message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", [str.lower, str.upper], ids=["lower", "upper"])
def test_an_inputs_sheet_in_another_case_is_that_sheet(
        engine: str, case: Any, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, case(inp.INPUTS_SHEET)) as book:
        model = excel_model(book)
        model.sheets[0].type_in(1, 1, "mine")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and inp.INPUTS_NAME in message, message
        assert model.snapshot() == before


@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")
@pytest.mark.parametrize("engine", ENGINES)
def test_the_backtest_takes_the_holdings_as_shares(
        engine: str, stored: dict[str, pd.Series]) -> None:
    import datetime as dt

    import betahedge_xl as bh
    from betahedge_xl.plan import BACKTEST_SHEET

    with xlwings_book(engine, "Data") as book:
        model = excel_model(book)
        _typed_inputs(book, "Data")
        _set_input(book, "Start", dt.datetime(2013, 6, 1))
        _set_input(book, "Holdings are", "shares")
        book.sheets["Data"].range("E2").value = [["TSLA", 10.0], ["AAPL", 300.0]]
        book.names.add(inp.HOLDINGS_NAME, "='Data'!$E$2:$F$6")
        message = rf.refresh(book)
        assert message.startswith("TSLA +10 sh / AAPL +300 sh on SPY"), message
        ref = bh.backtest(["TSLA", "AAPL"], "SPY", "2013-06-01", "2015-01-01",
                          shares=[10.0, 300.0])
        # (Without the amounts a portfolio cannot be backtested: no section would be drawn.)
        r1, c1, _, _ = _where(book, "bh_bt_table")
        first = model.sheet(BACKTEST_SHEET).cells[(r1 + 1, c1 + 1)]
        assert first == pytest.approx(ref.table["effectiveness"].iloc[0], rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_typed_dates_in_a_1904_workbook_are_read_in_its_date_system(
        engine: str, stored: dict[str, pd.Series]) -> None:
    import datetime as dt

    serial = float((dt.date(2014, 1, 1) - dt.date(1904, 1, 1)).days)  # 40178
    with xlwings_book(engine, "Data", date1904=True) as book:
        _typed_inputs(book, "Data")
        _set_input(book, "Start", serial)
        _set_input(book, "End", serial + 365)
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        out = _summary(excel_model(book).sheet(SHEET))
        assert out["Observations"] == len(_window(stored["TSLA"])) - 1
    with xlwings_book(engine, "Data", date1904=False) as book:
        _typed_inputs(book, "Data")
        _set_input(book, "Start", serial)  # 2009-12-31 in the 1900 system: no prices
        _set_input(book, "End", serial + 365)
        assert rf.refresh(book).startswith("stopped:")


# --- the main Refresh cases again, on xlwings' own engines --------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_charts_take_their_data_from_the_plan_tables(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        message = rf.refresh(book)
        # Every look and drop-down list went through (no note of a refusal).
        assert message == ("TSLA on SPY: beta " + message.split("beta ")[1].split(",")[0]
                           + f", {len(_window(stored['TSLA'])) - 1} observations; added the "
                           f"sheet '{inp.INPUTS_SHEET}' with an example: edit it and refresh")
        assert len(model.sheet(inp.INPUTS_SHEET).validations) == 4
        report = model.sheet(SHEET)
        charts = {c.name: c for c in report.charts}
        assert sorted(charts) == [f"{PREFIX}chart_cumulative", f"{PREFIX}chart_rolling",
                                  f"{PREFIX}chart_scatter"]
        r1, c1, r2, c2 = _where(book, f"{PREFIX}returns")
        assert [report.cells[(r1, c)] for c in range(c1, c2 + 1)] == [
            "Date", "SPY", "TSLA", "Fitted", "hedged"]
        scatter = charts[f"{PREFIX}chart_scatter"]
        assert scatter.source is not None and scatter.source[0] is report
        # y: the asset and fitted columns with the header (which names the series); x: SPY.
        assert scatter.source[1] == (r1, c1 + 2, r2, c1 + 3)
        # Named as the plan says (Excel named them after the headers first).
        assert [s.name for s in scatter.series] == ["daily returns", "alpha + beta x SPY"]
        assert all(s.xvalues == (report, (r1 + 1, c1 + 1, r2, c1 + 1))
                   for s in scatter.series)
        xl_charts = book.sheets[SHEET].charts
        assert xl_charts[f"{PREFIX}chart_scatter"].chart_type == "xy_scatter"
        # The cumulative chart: a line per column of bh_cumulative after its dates.
        cumulative = charts[f"{PREFIX}chart_cumulative"]
        assert xl_charts[f"{PREFIX}chart_cumulative"].chart_type == "line"
        k1, d1, k2, d2 = _where(book, f"{PREFIX}cumulative")
        assert cumulative.source == (report, (k1, d1 + 1, k2, d2))
        # Placed in points at its anchor cell (the drawer's geometry, then Excel's Left/Top).
        for chart in charts.values():
            assert chart.width > 100 and chart.height > 100
            assert chart.left >= report.left_of(4) - 1e-9  # column D or right of it


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_second_refresh_replaces_its_own_output(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        report = model.sheet(SHEET)
        names = sorted(n.name for n in model.names)
        _, _, daily_last, _ = _where(book, f"{PREFIX}returns")
        _set_input(book, "Frequency", "weekly")
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY") and "added" not in message, message
        assert len(report.charts) == 3
        assert sorted(n.name for n in model.names) == names
        r1, c1, r2, _ = _where(book, f"{PREFIX}returns")
        assert r2 < daily_last
        assert all(report.cells.get((r, c1)) is None for r in range(r2 + 1, daily_last + 1))
        weekly = _window(stored["TSLA"]).resample("W-FRI").last().pct_change().dropna()
        assert _summary(report)["Observations"] == len(weekly)


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_a_users_value_in_the_way_stops_the_refresh(
        engine: str, stored: dict[str, pd.Series]) -> None:
    import datetime as dt

    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        _, c1, r2, _ = _where(book, f"{PREFIX}returns")
        model.sheet(SHEET).type_in(r2 + 50, c1, "my note")
        model.sheet(SHEET).put_formula(r2 + 60, c1, "=1/0", XlErr("#DIV/0!"))
        _set_input(book, "Start", dt.datetime(2013, 6, 3))
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and "my note" in message, message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_holdings_make_a_portfolio(engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine, "Data") as book:
        model = excel_model(book)
        _typed_inputs(book, "Data")
        book.sheets["Data"].range("E2").value = [["TSLA", 0.25], ["AAPL", 0.75]]
        book.names.add(inp.HOLDINGS_NAME, "='Data'!$E$2:$F$6")
        message = rf.refresh(book)
        assert message.startswith("TSLA +0.25 / AAPL +0.75 on SPY"), message
        port = (0.25 * _window(stored["TSLA"]).pct_change()
                + 0.75 * _window(stored["AAPL"]).pct_change()).dropna()
        beta = np.polyfit(_window(stored["SPY"]).pct_change().dropna(), port, 1)[0]
        assert _summary(model.sheet(SHEET))["Beta"] == pytest.approx(beta, rel=1e-8)
        # The inputs were the analyst's: no example sheet added, the block untouched.
        assert [s.name for s in model.sheets if s.visible] == ["Data", FRONT_SHEET, SHEET]
        assert model.sheet("Data").cells[(2, 5)] == "TSLA"


@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")
@pytest.mark.parametrize("engine", ENGINES)
def test_engine_backtest_section_and_its_note(engine: str,
                                              stored: dict[str, pd.Series]) -> None:
    import datetime as dt

    import betahedge_xl as bh
    from betahedge_xl.plan import BACKTEST_SHEET

    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert "backtest" not in rf.refresh(book)
        assert BACKTEST_SHEET not in [s.name for s in model.sheets]
        _set_input(book, "Start", dt.datetime(2013, 6, 1))
        message = rf.refresh(book)
        assert "no backtest" not in message, message
        sheet = model.sheet(BACKTEST_SHEET)
        ref = bh.backtest("TSLA", "SPY", "2013-06-01", "2015-01-01")
        r1, c1, _, _ = _where(book, f"{PREFIX}bt_table")
        assert sheet.cells[(r1 + 1, c1 + 1)] == pytest.approx(
            ref.table["effectiveness"].iloc[0], rel=1e-12)
        assert len(sheet.charts) == 2
        _set_input(book, "Start", dt.datetime(2014, 1, 1))
        message = rf.refresh(book)
        assert "no backtest (too few returns" in message, message
        assert sheet.charts == []
        assert sorted(n.name for n in model.names if n.name.startswith(f"{PREFIX}bt_")) == [
            f"{PREFIX}bt_summary"]
        _set_input(book, "Start", dt.datetime(2013, 6, 1))
        assert "no backtest" not in rf.refresh(book)
        assert len(sheet.charts) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_the_engine_harness_undoes_its_patching(engine: str) -> None:
    import ctypes
    import sys

    import xlwings

    from xlwings_engines import _PATCHED_MODULES

    before = {k: sys.modules.get(k) for k in _PATCHED_MODULES}
    attrs = {k: getattr(ctypes, k, None) for k in ("oledll", "windll", "PyDLL")}
    with xlwings_book(engine) as book:
        impl = type(book.impl).__module__
        assert impl == ("xlwings._xlwindows" if engine == "windows" else "xlwings._xlmac")
        assert sys.modules[impl].__file__ == str(Path(xlwings.__file__).with_name(
            impl.split(".")[1] + ".py"))  # the installed module itself, imported whole
    assert {k: sys.modules.get(k) for k in _PATCHED_MODULES} == before
    assert {k: getattr(ctypes, k, None) for k in ("oledll", "windll", "PyDLL")} == attrs
    assert getattr(xlwings, "_xlmac", None) is None


# --- what the analyst typed over the report's own cells (the record's fingerprints) ---------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("typed", ["my override", 0.5, "=B3*2"], ids=["text", "number",
                                                                        "formula"])
def test_a_value_typed_over_the_reports_own_cell_stops_the_refresh(
        engine: str, typed: Any, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        r1, c1, r2, _ = _where(book, f"{PREFIX}returns")
        cell = (r1 + 10, c1 + 2)  # a TSLA return, drawn by the Refresh
        assert isinstance(model.sheet(SHEET).cells[cell], float)
        book.sheets[SHEET].range(cell).value = typed  # typed by the analyst, through xlwings
        before = model.snapshot()
        message = rf.refresh(book)  # the same request again
        assert message.startswith("stopped:"), message
        assert f"{SHEET}!{a1(cell[0] - 1, cell[1] - 1)} " in message, message
        assert model.snapshot() == before  # nothing cleared, nothing written


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_typed_over_the_summary_and_another_over_a_title_are_both_named(
        engine: str, stored: dict[str, pd.Series]) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        report = model.sheet(SHEET)
        beta_row = next(r for (r, c), v in report.cells.items() if c == 1 and v == "Beta")
        book.sheets[SHEET].range((beta_row, 2)).value = 2.0
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and f"{SHEET}!B{beta_row} (2)" in message, message
        assert model.snapshot() == before
        # Their title over the report's returns title: the title cell is the report's too.
        book.sheets[SHEET].range((beta_row, 2)).value = None  # emptied: no one's now
        r1, c1, _, _ = _where(book, f"{PREFIX}returns")
        book.sheets[SHEET].range((r1 - 1, c1)).value = "my returns"
        message = rf.refresh(book)
        assert message.startswith("stopped:") and "my returns" in message, message
        assert f"{SHEET}!{a1(r1 - 2, c1 - 1)} " in message, message


@pytest.mark.parametrize("engine", ENGINES)
def test_an_untouched_report_refreshes_again_and_an_emptied_cell_is_drawn_again(
        engine: str, stored: dict[str, pd.Series]) -> None:
    from betahedge_xl.excel.drawer import RECORD_SHEET

    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        assert rf.refresh(book).startswith("TSLA on SPY")  # its notes: "none" from now on
        report = model.sheet(SHEET)
        drawn = dict(report.cells)
        for _ in range(2):
            assert rf.refresh(book).startswith("TSLA on SPY")
        # Every cell block of the report has its fingerprint in the record.
        record = model.sheet(RECORD_SHEET)
        kinds = [(record.cells.get((r, 1)), record.cells.get((r, 5)))
                 for r in range(2, 200) if record.cells.get((r, 1))]
        assert kinds and all(str(p).startswith("v1:") for k, p in kinds if k == "cells")
        # The analyst empties a drawn cell: the next refresh draws it again.
        r1, c1, _, _ = _where(book, f"{PREFIX}returns")
        book.sheets[SHEET].range((r1 + 10, c1 + 2)).value = None
        assert rf.refresh(book).startswith("TSLA on SPY")
        keep = {k: v for k, v in drawn.items() if not isinstance(v, dt.datetime)}  # "Refreshed"
        assert {k: report.cells.get(k) for k in keep} == keep


@pytest.mark.parametrize("n_rows", [3, 252, 20_000], ids=["short", "a_year", "decades"])
def test_the_fingerprint_finds_the_changed_cell_and_fits_one_cell(n_rows: int) -> None:
    from betahedge_xl.excel.drawer import _changed, fingerprint

    texts = [[f"2014-01-{i}", f"{0.001 * i:.15g}", f"{-0.002 * i:.15g}"] for i in range(n_rows)]
    stored = fingerprint(texts)
    assert len(stored) <= 32_767  # one Excel cell
    assert _changed(texts, stored) == []  # as drawn
    assert _changed([list(r) for r in texts], fingerprint(texts)) == []  # stable
    edited = [list(r) for r in texts]
    edited[n_rows - 2][1] = "mine"
    found = _changed(edited, stored)
    assert (n_rows - 2, 1) in found
    assert all(j == 1 for _, j in found) and len(found) <= max(1, n_rows // 7_000 + 1)
    # A fingerprint of another version (or none) compares nothing.
    assert _changed(edited, "v0:abc") == []


# ---------------------------------------------------------------------------------------------
# the page to forward, drawn by the Refresh through the report's plan
# ---------------------------------------------------------------------------------------------
def _front_cells(sheet: XlSheet) -> dict[tuple[int, int], Any]:
    return {k: v for k, v in sheet.cells.items() if k[1] <= 2}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")  # the prices end 2014-12-12
def test_the_refresh_draws_the_page_the_xlsx_report_prints_first(
        engine: str, stored: dict[str, pd.Series], tmp_path: Path) -> None:
    """The .xlsx report opens on "BetaHedge Report" (heading, the trade, key statistics, three
    charts); the Refresh drew only the data sheet. Now it draws the same page from the same
    plan: the same cells as the file, in the file's fonts and rows, its charts drawing from
    the data sheet's tables."""
    import openpyxl

    import betahedge_xl as bh
    from betahedge_xl.plan import (FRONT_FONT_SIZE, FRONT_HEADING_SIZES, build_front_page,
                                   build_plan)
    from betahedge_xl.report import write_report

    with xlwings_book(engine) as book:
        model = excel_model(book)
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        front = model.sheet(FRONT_SHEET)
        # independent: the .xlsx report of the same request, read back with openpyxl
        result = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")
        ws = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))[FRONT_SHEET]
        want = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
                if c.value is not None}
        got = _front_cells(front)
        assert set(got) == set(want)
        for key, value in want.items():
            if key == (3, 1):  # "Data: ...; run <minute>; betahedge-xl <version>"
                assert got[key].split("; run ")[0] == value.split("; run ")[0]
            elif isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-12), key
            else:
                assert got[key] == value, key
        assert got[(1, 1)] == "Beta hedge: TSLA on SPY"
        # the page's fonts and rows, as the plan lays them out (and the file has them)
        plan = build_front_page(result, build_plan(result))
        assert (front.font_sizes[(1, 1)], front.font_sizes[(2, 1)]) == FRONT_HEADING_SIZES
        assert (1, 1) in front.bold and (2, 1) not in front.bold
        trade = plan.tables[0]
        assert front.font_sizes[(trade.first_data_row + 1, 2)] == FRONT_FONT_SIZE
        assert all(front.row_heights[r + 1] == h for r, h in plan.row_heights.items())
        assert {c: front.col_widths[c + 1] for c in plan.column_widths} == plan.column_widths
        # three charts, titled as the data sheet's, drawing from the data sheet's tables
        charts = {c.name: c for c in book.sheets[FRONT_SHEET].charts}
        assert sorted(charts) == [f"{PREFIX}front_chart_cumulative", f"{PREFIX}front_chart_"
                                  "rolling", f"{PREFIX}front_chart_scatter"]
        data = {c.name: c for c in book.sheets[SHEET].charts}
        for name, chart in charts.items():
            assert chart.title == data[name.replace("front_", "")].title
        for c in front.charts:
            assert c.source is not None and c.source[0] is model.sheet(SHEET)
            assert (c.width, c.height) == next(
                (p.width, p.height) for p in plan.charts if p.name == c.name)
        # printed as the file prints it: on one page (Windows: COM's PageSetup; xlwings CE
        # has no call for it on macOS, where the print area alone is set)
        r0, c0, r1, c1 = plan.print_area()
        assert front.print_area == f"{a1(r0, c0, True)}:{a1(r1, c1, True)}"
        if engine == "windows":
            assert (front.props[("PageSetup", "FitToPagesWide")],
                    front.props[("PageSetup", "FitToPagesTall")]) == (1, 1)
            assert model.sheet(SHEET).props[("PageSetup", "FitToPagesTall")] is False
        # a second Refresh replaces the page in place: no second chart, the same cells
        again = rf.refresh(book)
        assert again.startswith("TSLA on SPY"), again
        assert len(front.charts) == 3
        assert {k: v for k, v in _front_cells(front).items() if k != (3, 1)} == {
            k: v for k, v in got.items() if k != (3, 1)}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_page_to_forward_keeps_what_the_analyst_made(
        engine: str, stored: dict[str, pd.Series]) -> None:
    """The ownership record holds for the page as for the data sheet: a note of the analyst's
    below the tables is kept; a value typed over the trade, or over a heading line, stops the
    next Refresh naming the cell, with nothing changed; a sheet of the analyst's bearing the
    page's name is never drawn on."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        front = model.sheet(FRONT_SHEET)
        front.type_in(100, 1, "my note")
        assert rf.refresh(book).startswith("TSLA on SPY")
        assert front.cells[(100, 1)] == "my note"
        r1, c1, _, _ = _where(book, f"{PREFIX}front_trade")
        for cell in ((r1 + 1, c1 + 1), (2, 1)):
            front.type_in(*cell, "mine")
            before = model.snapshot()
            message = rf.refresh(book)
            assert message.startswith("stopped:") and \
                f"{FRONT_SHEET}!{a1(cell[0] - 1, cell[1] - 1)}" in message, message
            assert model.snapshot() == before
            front.type_in(*cell, None)
    with xlwings_book(engine) as book:
        model = excel_model(book)
        model.add_sheet(1, FRONT_SHEET).type_in(40, 30, "my own report page")
        before = model.snapshot()
        message = rf.refresh(book)
        assert message.startswith("stopped:") and f"'{FRONT_SHEET}' is not the report's" in \
            message, message
        assert model.snapshot() == before


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("deleted", [FRONT_SHEET, SHEET])
def test_a_report_sheet_the_analyst_deleted_is_drawn_again(
        engine: str, deleted: str, stored: dict[str, pd.Series]) -> None:
    """Deleting the page to forward (the active sheet after a Refresh) or the data sheet
    leaves the record naming it and its names at #REF!, as Excel does: the next Refresh draws
    both again (it failed on macOS with "no worksheet 'BetaHedge Report'" before the fake
    Excel moved the active sheet on deletion as Excel does)."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        book.sheets[deleted].delete()
        assert deleted not in [s.name for s in model.sheets]
        message = rf.refresh(book)
        assert message.startswith("TSLA on SPY"), message
        assert len(model.sheet(FRONT_SHEET).charts) == len(model.sheet(SHEET).charts) == 3
        assert model.sheet(FRONT_SHEET).cells[(1, 1)] == "Beta hedge: TSLA on SPY"
