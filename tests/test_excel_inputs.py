"""The Refresh reads its inputs block as Excel holds it: an error cell is not an empty cell.

The block lives in a fake book (``tests/xlwings_harness.FakeBook``) whose cells hold what
pywin32 delivers; reading goes through xlwings' own Windows cleaning, so an error cell reads
as ``None`` unless the reader asks for ``err_to_str``, as in Excel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.excel import inputs as inp
from betahedge_xl.excel import refresh as rf
from xlwings_harness import ERROR_CODES, FakeBook, strict


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


def _book_with_inputs(holdings: list[list[object]] | None = None) -> FakeBook:
    book = FakeBook("My data")
    rf.add_inputs(strict(book))
    if holdings:
        r, c = inp.HOLDINGS_ANCHOR
        book.sheets[inp.INPUTS_SHEET].range((r + 2, c + 1)).value = holdings
    return book


def _set(book: FakeBook, key: str, value: object) -> None:
    r, c = inp.FIELDS_ANCHOR
    row = r + 1 + [f.key for f in inp.FIELDS].index(key)
    book.sheets[inp.INPUTS_SHEET].range((row, c + 2)).value = value


def test_the_example_block_refreshes(stored: None) -> None:
    assert rf.refresh(strict(_book_with_inputs())).startswith("TSLA on SPY")


# Every cell the refresh reads: the fields (the asset only without holdings, the holdings
# type only with them) and the holdings table.
_FIELDS_READ = [(f.key, f.label, f.key == "holdings_type") for f in inp.FIELDS]


@pytest.mark.parametrize(("key", "label", "with_holdings"), _FIELDS_READ)
@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#REF!"])
def test_an_error_in_any_field_stops_the_refresh_naming_it(
    stored: None, key: str, label: str, with_holdings: bool, error: str
) -> None:
    book = _book_with_inputs([["AAPL", 1.0]] if with_holdings else None)
    _set(book, key, ERROR_CODES[error])
    # Before: the error read as an empty cell, and the refresh ran on the default (all
    # history for Start, daily, rate 0, classical standard errors ...).
    assert rf.refresh(strict(book)) == f"stopped: {label} is {error}"


def test_an_error_in_the_holdings_table_names_its_row(stored: None) -> None:
    na = ERROR_CODES["#N/A"]
    book = _book_with_inputs([["AAPL", 0.5], ["TSLA", na]])
    assert rf.refresh(strict(book)) == "stopped: holdings: row 2, column 2 is #N/A"
    book = _book_with_inputs([["AAPL", 0.5], [na, 0.5]])
    assert rf.refresh(strict(book)) == "stopped: holdings: row 2, column 1 is #N/A"


def test_the_fake_reads_error_cells_as_xlwings_does() -> None:
    book = FakeBook()
    sheet = book.sheets[0]
    sheet.range((1, 1)).value = ERROR_CODES["#DIV/0!"]
    assert sheet.range((1, 1)).value is None
    assert sheet.range((1, 1)).options(err_to_str=True).value == "#DIV/0!"
    assert strict(book).sheets[0].range((1, 1)).options(ndim=2, err_to_str=True).value \
        == [["#DIV/0!"]]


def test_an_error_cell_in_the_way_of_the_report_is_not_overwritten(stored: None) -> None:
    # An analyst's =1/0 where the report would write reads as None by default: taken for an
    # empty cell, it would be written over.
    book = FakeBook()
    sheet = book.sheets.add("BetaHedge")
    sheet.range((1, 1)).value = ERROR_CODES["#DIV/0!"]
    message = rf.refresh(strict(book))
    assert message.startswith("stopped:") and "A1 holds #DIV/0!" in message, message
    assert sheet.grid == {(1, 1): ERROR_CODES["#DIV/0!"]}


def test_a_holdings_row_with_only_a_ticker_or_only_an_amount_is_named(stored: None) -> None:
    book = _book_with_inputs([["AAPL", 0.5], [None, 0.5]])
    assert rf.refresh(strict(book)) == \
        "stopped: holdings: row 2 has a weight or share count but no ticker"
    book = _book_with_inputs([["AAPL", 0.5], [None, None], ["TSLA", None]])
    assert rf.refresh(strict(book)) == \
        "stopped: holdings: row 3 has a ticker but no weight or share count"
    # A fully blank row between holdings is still skipped.
    book = _book_with_inputs([["AAPL", 0.5], [None, None], ["TSLA", 0.5]])
    assert not rf.refresh(strict(book)).startswith("stopped"), rf.refresh(strict(book))


def test_the_risk_free_unit_hint_suggests_what_the_cell_takes(stored: None) -> None:
    book = _book_with_inputs()
    _set(book, "risk_free", "5% per period")
    text = rf.refresh(strict(book))
    assert text.startswith("stopped: Risk-free rate") or text.startswith("stopped: risk-free"), \
        text
    assert text.endswith('; is it "5% annual"?'), text
