"""Worksheet functions in a workbook using the 1904 date system (``Workbook.Date1904``).

A typed date or ``DATE()`` reaches a function as a serial number, which a 1904 workbook counts
from 1904-01-01: 40178 there is 2014-01-01, and 2009-12-31 in a 1900 workbook. xlwings hands
each function its calling cell (``caller``), whose workbook says which system it uses.
Prices: the package's sample files (real TSLA and SPY adjusted closes), read as a CSV folder.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

import pytest

from xlwings_harness import xlwings_windows

#: 2014-01-01 and 2015-01-01 as serial numbers of the 1904 date system (independent check).
START_1904 = float((dt.date(2014, 1, 1) - dt.date(1904, 1, 1)).days)
END_1904 = float((dt.date(2015, 1, 1) - dt.date(1904, 1, 1)).days)


@pytest.fixture()
def sample_prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(resources.files("betahedge_xl") / "sample"))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))


def test_serial_dates_are_read_in_the_callers_1904_system(sample_prices: None) -> None:
    assert (START_1904, END_1904) == (40178.0, 40543.0)
    with xlwings_windows(date1904=True) as xl:
        xl.module.clear_memo()
        n = xl.call("BETA_HEDGE_STAT", "n_obs", "TSLA", "SPY", START_1904, END_1904)
        beta = xl.call("BETA_HEDGE_STAT", "beta", "TSLA", "SPY", START_1904, END_1904)
        first = xl.call("BETA_HEDGE_STAT", "first_date", "TSLA", "SPY", START_1904, END_1904)
    assert n == [[251]]
    assert round(beta[0][0], 3) == 1.954
    assert first == [[dt.datetime(2014, 1, 2, tzinfo=dt.UTC)]]  # a date as pywin32 sends it


def test_the_same_serials_in_a_1900_workbook_are_four_years_earlier(sample_prices: None) -> None:
    with xlwings_windows(date1904=False) as xl:
        xl.module.clear_memo()
        first = xl.call("BETA_HEDGE_STAT", "first_date", "TSLA", "SPY", START_1904, END_1904)
    # (The sample files start in 2013: the 1900 reading asks for 2010.)
    assert first == [["TSLA, SPY: no prices in 2009-12-31..2010-12-31"]]


def test_every_function_that_may_fetch_is_skipped_by_the_function_wizard() -> None:
    with xlwings_windows() as xl:
        vba = xl.vba()
        module = xl.module
    guard = 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function'
    blocks = re.findall(r"Function (\w+)\((.*?)\)\n(.*?)End Function", vba, re.S)
    assert blocks
    fetching = {name for name in dir(module) if name.startswith("BETA_HEDGE")} - {
        "BETA_HEDGE_SIZE"}
    seen = set()
    for name, args, body in blocks:
        assert "caller" not in args.split(", "), name  # xlwings passes it; Excel shows none
        if name in fetching:
            assert guard in body, name
            seen.add(name)
        else:
            assert guard not in body, name  # sizing is arithmetic: the wizard may preview it
    assert seen == fetching
