"""Excel behaviours that small code changes broke unnoticed (issue 25, ``tools/mutate.py``).

Each test runs the public Refresh (``excel.refresh.refresh``) on a real ``xlwings.Book`` over
xlwings' own Windows or macOS engine (``tests/xlwings_engines.py``), and compares what the
report shows with an independent computation (``np.polyfit`` of the stored prices).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_excel_refresh import _window, stored  # noqa: F401  (the prices the Refresh reads)
from xlwings_engines import excel_model
from xlwings_harness import xlwings_book

from betahedge_xl.excel import inputs as inp
from betahedge_xl.excel import refresh as rf
from betahedge_xl.plan import SHEET

ENGINES = ["windows", "mac"]


def _summary(model_sheet: Any) -> dict[str, Any]:
    out = {}
    r = 3  # title row 1, header row 2
    while (r, 1) in model_sheet.cells:
        out[model_sheet.cells[(r, 1)]] = model_sheet.cells.get((r, 2))
        r += 1
    return out


def _beta(stored: dict[str, pd.Series], asset: str) -> float:  # noqa: F811
    x = _window(stored["SPY"]).pct_change().dropna()
    y = _window(stored[asset]).pct_change().dropna()
    return float(np.polyfit(x, y, 1)[0])


@pytest.mark.parametrize("engine", ENGINES)
def test_an_inputs_label_typed_with_spaces_is_still_its_row(
        engine: str, stored: dict[str, pd.Series]) -> None:  # noqa: F811
    """The label's ``.strip()`` dropped: an analyst who retyped "Asset " with a trailing space
    had their asset ignored (the Refresh asked for the missing row instead)."""
    with xlwings_book(engine) as book:
        model = excel_model(book)
        assert rf.refresh(book).startswith("TSLA on SPY")
        block = book.names[inp.INPUTS_NAME].refers_to_range
        labels = block.options(ndim=2).value
        row = next(i for i, r in enumerate(labels) if r[0] == "Asset")
        block.sheet.range((block.row + row, block.column)).value = "  Asset "
        block.sheet.range((block.row + row, block.column + 1)).value = "AAPL"
        message = rf.refresh(book)
        assert message.startswith("AAPL on SPY"), message
        assert _summary(model.sheet(SHEET))["Beta"] == pytest.approx(_beta(stored, "AAPL"),
                                                                     rel=1e-8)
