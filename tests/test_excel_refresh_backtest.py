"""The Refresh button's backtest section, on the fake xlwings book of the refresh tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.excel import inputs as inp
from betahedge_xl.excel import refresh as rf
from betahedge_xl.plan import BACKTEST_SHEET, PREFIX
from test_excel_refresh import stored  # noqa: F401  (the fixture: CSV prices, no network)
from xlwings_harness import FakeBook, strict


def _set(book: FakeBook, key: str, value: Any) -> None:
    block = {n.name: n for n in book.names}[inp.INPUTS_NAME].refers_to_range
    row = block.row + [f.key for f in inp.FIELDS].index(key)
    book.sheets[inp.INPUTS_SHEET].range((row, block.column + 1)).value = value


def _cells(sheet: Any, name: str, book: FakeBook) -> list[list[Any]]:
    rng = {n.name: n for n in book.names}[name].refers_to_range
    return [[sheet.grid.get((r, c)) for c in range(rng.column, rng.last_column + 1)]
            for r in range(rng.row, rng.last_row + 1)]


@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")  # the CSVs end mid-December
def test_refresh_draws_the_backtest_when_the_window_allows_and_a_note_after(
    stored: dict[str, pd.Series]  # noqa: F811
) -> None:
    book = FakeBook()
    message = rf.refresh(strict(book))  # the example, 2014: one year is too short
    assert "backtest" not in message, message  # nothing added, nothing to say
    assert BACKTEST_SHEET not in [s.name for s in book.sheets]

    _set(book, "start", dt.datetime(2013, 6, 1))
    message = rf.refresh(strict(book))
    assert "no backtest" not in message, message
    sheet = book.sheets[BACKTEST_SHEET]
    ref = bh.backtest("TSLA", "SPY", "2013-06-01", "2015-01-01")
    table = _cells(sheet, f"{PREFIX}bt_table", book)
    assert table[0][:2] == ["Estimator", "Effectiveness"]
    assert [r[0] for r in table[1:]] == list(ref.table.index)
    for row in table[1:]:
        assert row[1:] == pytest.approx(list(ref.table.loc[row[0]]), rel=1e-14)
    ratios = _cells(sheet, f"{PREFIX}bt_ratios", book)
    assert len(ratios) - 1 == len(ref.ratios)
    assert sorted(c.name for c in sheet.charts_list) == [f"{PREFIX}bt_chart_cumulative",
                                                         f"{PREFIX}bt_chart_ratios"]

    _set(book, "start", dt.datetime(2014, 1, 1))
    message = rf.refresh(strict(book))
    assert "no backtest (too few returns" in message, message
    # The earlier backtest is gone, not left showing another window's numbers.
    assert sheet.charts_list == []
    own = sorted(n.name for n in book.names if n.name.startswith(f"{PREFIX}bt_"))
    assert own == [f"{PREFIX}bt_summary"]
    summary = _cells(sheet, f"{PREFIX}bt_summary", book)
    assert summary[-1][0] == "Backtest" and summary[-1][1].startswith("not run: too few")
    assert all(v is None for (r, c), v in sheet.grid.items() if c > 2)
    # And back: the full section again, no duplicate charts.
    _set(book, "start", dt.datetime(2013, 6, 1))
    rf.refresh(strict(book))
    assert len(sheet.charts_list) == 2
    assert _cells(sheet, f"{PREFIX}bt_table", book)[1][1] == pytest.approx(
        ref.table["effectiveness"].iloc[0], rel=1e-14)
