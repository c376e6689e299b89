"""The Refresh reads its inputs block as Excel holds it: an error cell is not an empty cell.

The block lives in a workbook on xlwings 0.37.8's own Windows and macOS engines over a fake
Excel (``tests/xlwings_engines.py``): an error cell is what each platform delivers (pywin32's
integer code on Windows, a ``missing value`` beside its ``string value`` on macOS), read
through xlwings' own code, so an error cell reads as ``None`` unless the reader asks for
``err_to_str``, as in Excel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.excel import inputs as inp
from betahedge_xl.excel import refresh as rf
from xlwings_engines import XlErr, excel_model, xlwings_book

ENGINES = ["windows", "mac"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Every test of this module runs on both of xlwings' engines."""
    return str(request.param)


@pytest.fixture()
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TSLA, AAPL and SPY prices in a CSV folder, 2013-06 to 2014-12 (no network)."""
    dates = pd.bdate_range("2013-06-03", periods=400)
    rng = np.random.default_rng(5)
    rb = rng.normal(0.0004, 0.01, len(dates))
    folder = tmp_path / "data"
    folder.mkdir()
    for name, r in (("SPY", rb), ("TSLA", 1.9 * rb + rng.normal(0, 0.02, len(dates))),
                    ("AAPL", 0.8 * rb + rng.normal(0, 0.01, len(dates)))):
        px = 100 * np.cumprod(1 + r)
        pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": px}).to_csv(
            folder / f"{name}.csv", index=False)
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture()
def books(engine: str) -> Iterator[Any]:
    """Opens workbooks on ``engine`` (several per test), each closed at the test's end."""
    with contextlib.ExitStack() as stack:

        def open_book(*sheets: str) -> Any:
            return stack.enter_context(xlwings_book(engine, *sheets))

        yield open_book


def _book_with_inputs(books: Any, holdings: list[list[object]] | None = None) -> Any:
    book = books("My data")
    rf.add_inputs(book)
    if holdings:
        r, c = inp.HOLDINGS_ANCHOR
        book.sheets[inp.INPUTS_SHEET].range((r + 2, c + 1)).value = holdings
    return book


def _cell(key: str) -> tuple[int, int]:
    r, c = inp.FIELDS_ANCHOR
    return r + 1 + [f.key for f in inp.FIELDS].index(key), c + 2


def _set(book: Any, key: str, value: object) -> None:
    book.sheets[inp.INPUTS_SHEET].range(_cell(key)).value = value


def _error(book: Any, cell: tuple[int, int], error: str) -> None:
    """An error the analyst's formula shows in ``cell`` of the inputs sheet."""
    excel_model(book).sheet(inp.INPUTS_SHEET).put_formula(*cell, "=1/0", XlErr(error))


def test_the_example_block_refreshes(stored: None, books: Any) -> None:
    assert rf.refresh(_book_with_inputs(books)).startswith("TSLA on SPY")


# Every cell the refresh reads: the fields (the asset only without holdings, the holdings
# type only with them) and the holdings table.
_FIELDS_READ = [(f.key, f.label, f.key == "holdings_type") for f in inp.FIELDS]


@pytest.mark.parametrize(("key", "label", "with_holdings"), _FIELDS_READ)
@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#REF!"])
def test_an_error_in_any_field_stops_the_refresh_naming_it(
    stored: None, books: Any, key: str, label: str, with_holdings: bool, error: str
) -> None:
    book = _book_with_inputs(books, [["AAPL", 1.0]] if with_holdings else None)
    _error(book, _cell(key), error)
    before = excel_model(book).snapshot()
    # Before: the error read as an empty cell, and the refresh ran on the default (all
    # history for Start, daily, rate 0, classical standard errors ...).
    assert rf.refresh(book) == f"stopped: {label} is {error}"
    assert excel_model(book).snapshot() == before


def test_an_error_in_the_holdings_table_names_its_row(stored: None, books: Any) -> None:
    r, c = inp.HOLDINGS_ANCHOR
    book = _book_with_inputs(books, [["AAPL", 0.5], ["TSLA", 0.5]])
    _error(book, (r + 3, c + 2), "#N/A")
    assert rf.refresh(book) == "stopped: holdings: row 2, column 2 is #N/A"
    book = _book_with_inputs(books, [["AAPL", 0.5], ["TSLA", 0.5]])
    _error(book, (r + 3, c + 1), "#N/A")
    assert rf.refresh(book) == "stopped: holdings: row 2, column 1 is #N/A"


def test_the_fake_reads_error_cells_as_xlwings_does(engine: str) -> None:
    with xlwings_book(engine) as book:
        excel_model(book).sheets[0].put_formula(1, 1, "=1/0", XlErr("#DIV/0!"))
        sheet = book.sheets[0]
        assert sheet.range((1, 1)).value is None
        assert sheet.range((1, 1)).options(err_to_str=True).value == "#DIV/0!"
        assert sheet.range((1, 1)).formula == "=1/0"
        # One cell read as a table works on both engines (only a block fails on macOS).
        assert sheet.range((1, 1)).options(ndim=2, err_to_str=True).value == [["#DIV/0!"]]


def test_an_error_cell_in_the_way_of_the_report_is_not_overwritten(
        stored: None, books: Any) -> None:
    # An analyst's =1/0 where the report would write reads as None by default: taken for an
    # empty cell, it would be written over.
    book = books("Sheet1", "BetaHedge")
    model = excel_model(book)
    model.sheet("BetaHedge").put_formula(1, 1, "=1/0", XlErr("#DIV/0!"))
    before = model.snapshot()
    message = rf.refresh(book)
    assert message.startswith("stopped:") and 'BetaHedge!A1 holds "=1/0"' in message, message
    assert model.snapshot() == before


def test_a_holdings_row_with_only_a_ticker_or_only_an_amount_is_named(
        stored: None, books: Any) -> None:
    book = _book_with_inputs(books, [["AAPL", 0.5], [None, 0.5]])
    assert rf.refresh(book) == \
        "stopped: holdings: row 2 has a weight or share count but no ticker"
    book = _book_with_inputs(books, [["AAPL", 0.5], [None, None], ["TSLA", None]])
    assert rf.refresh(book) == \
        "stopped: holdings: row 3 has a ticker but no weight or share count"
    # A fully blank row between holdings is still skipped.
    book = _book_with_inputs(books, [["AAPL", 0.5], [None, None], ["TSLA", 0.5]])
    text = rf.refresh(book)
    assert text.startswith("AAPL +0.5 / TSLA +0.5 on SPY"), text


def test_the_risk_free_unit_hint_suggests_what_the_cell_takes(stored: None, books: Any) -> None:
    book = _book_with_inputs(books)
    _set(book, "risk_free", "5% per period")
    text = rf.refresh(book)
    assert text.startswith("stopped: Risk-free rate") or text.startswith("stopped: risk-free"), \
        text
    assert text.endswith('; is it "5% annual"?'), text
