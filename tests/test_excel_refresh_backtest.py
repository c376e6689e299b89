"""The Refresh button's backtest section, on xlwings' own Windows and macOS engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.excel import refresh as rf
from betahedge_xl.plan import BACKTEST_SHEET, PREFIX
from test_excel_refresh import ENGINES, _set_input, _where
from test_excel_refresh import stored  # noqa: F401  (the fixture: CSV prices, no network)
from xlwings_engines import XlSheet, excel_model, xlwings_book


def _cells(sheet: XlSheet, name: str, book: Any) -> list[list[Any]]:
    r1, c1, r2, c2 = _where(book, name)
    return [[sheet.cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]


@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")  # the CSVs end mid-December
@pytest.mark.parametrize("engine", ENGINES)
def test_refresh_draws_the_backtest_when_the_window_allows_and_a_note_after(
    engine: str, stored: dict[str, pd.Series]  # noqa: F811
) -> None:
    with xlwings_book(engine) as book:
        model = excel_model(book)
        message = rf.refresh(book)  # the example, 2014: one year is too short
        assert "backtest" not in message, message  # nothing added, nothing to say
        assert BACKTEST_SHEET not in [s.name for s in model.sheets]

        _set_input(book, "Start", dt.datetime(2013, 6, 1))
        message = rf.refresh(book)
        assert "no backtest" not in message, message
        sheet = model.sheet(BACKTEST_SHEET)
        ref = bh.backtest("TSLA", "SPY", "2013-06-01", "2015-01-01")
        table = _cells(sheet, f"{PREFIX}bt_table", book)
        assert table[0][:2] == ["Estimator", "Effectiveness"]
        assert [r[0] for r in table[1:]] == list(ref.table.index)
        for row in table[1:]:
            assert row[1:] == pytest.approx(list(ref.table.loc[row[0]]), rel=1e-14)
        ratios = _cells(sheet, f"{PREFIX}bt_ratios", book)
        assert len(ratios) - 1 == len(ref.ratios)
        assert sorted(c.name for c in sheet.charts) == [f"{PREFIX}bt_chart_cumulative",
                                                        f"{PREFIX}bt_chart_ratios"]
        assert all(c.series for c in sheet.charts)

        _set_input(book, "Start", dt.datetime(2014, 1, 1))
        message = rf.refresh(book)
        assert "no backtest (too few returns" in message, message
        # The earlier backtest is gone, not left showing another window's numbers.
        assert sheet.charts == []
        own = sorted(n.name for n in model.names if n.name.startswith(f"{PREFIX}bt_"))
        assert own == [f"{PREFIX}bt_summary"]
        summary = _cells(sheet, f"{PREFIX}bt_summary", book)
        assert summary[-1][0] == "Backtest" and summary[-1][1].startswith("not run: too few")
        assert [k for k in sheet.cells if k[1] > 2] == []  # nothing beside the note
        # And back: the full section again, no duplicate charts.
        _set_input(book, "Start", dt.datetime(2013, 6, 1))
        assert "no backtest" not in rf.refresh(book)
        assert len(sheet.charts) == 2
        assert _cells(sheet, f"{PREFIX}bt_table", book)[1][1] == pytest.approx(
            ref.table["effectiveness"].iloc[0], rel=1e-14)
