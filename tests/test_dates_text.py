"""Dates typed as text: ISO and forms with one reading are read; 01/02/2014 is refused.

The same reader (``betahedge_xl._dates.to_timestamp``) serves worksheet functions, the inputs
block, the command line and Python, so each face is checked once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from betahedge_xl._dates import to_timestamp
from betahedge_xl.exceptions import InputError
from betahedge_xl.excel import inputs as inp


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2014-01-02", "2014-01-02"), (" 2014-1-2 ", "2014-01-02"),
     ("2014-01-02 00:00:00", "2014-01-02"), ("2014-01-02T15:30", "2014-01-02"),
     ("2014/01/02", "2014-01-02"), ("2014.01.02", "2014-01-02"), ("20140102", "2014-01-02"),
     ("13/02/2014", "2014-02-13"), ("02/13/2014", "2014-02-13"), ("31.12.2014", "2014-12-31"),
     ("05/05/2014", "2014-05-05"),  # both readings are the same day
     ("2 Jan 2014", "2014-01-02"), ("Jan 2, 2014", "2014-01-02"),
     ("2 January 2014", "2014-01-02"), ("02-Jan-2014", "2014-01-02")],
)
def test_unambiguous_text_dates_are_read(text: str, expected: str) -> None:
    assert to_timestamp(text, "start") == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("text", "readings"),
    [("01/02/2014", "2014-01-02 or 2014-02-01"), ("1/2/2014", "2014-01-02 or 2014-02-01"),
     ("03-04-2015", "2015-03-04 or 2015-04-03"), ("11.12.2014", "2014-11-12 or 2014-12-11")],
)
def test_ambiguous_text_dates_are_refused(text: str, readings: str) -> None:
    with pytest.raises(InputError) as info:
        to_timestamp(text, "start")
    assert str(info.value) == (f'start: "{text}" could be {readings}; '
                               f"write it as yyyy-mm-dd")


@pytest.mark.parametrize("text", ["01/02/14", "1/2", "13/13/2014", "2014-13-45"])
def test_unreadable_numeric_text_dates_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="start: "):
        to_timestamp(text, "start")


def test_the_inputs_block_asks_for_a_date_cell_or_iso() -> None:
    block = [["Asset", "TSLA"], ["Benchmark", "SPY"], ["Start", "01/02/2014"]]
    with pytest.raises(InputError) as info:
        inp.read_request(block)
    assert str(info.value) == ('Start: "01/02/2014" could be 2014-01-02 or 2014-02-01; '
                               "use a date cell or write it as yyyy-mm-dd")
    req = inp.read_request([*block[:2], ["Start", "13/02/2014"]])
    assert req.start == pd.Timestamp("2014-02-13")


def test_the_command_line_refuses_an_ambiguous_date(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    dates = pd.bdate_range("2013-12-02", "2015-01-30")
    rng = np.random.default_rng(3)
    for name in ("TSLA", "SPY"):
        px = 100 * np.cumprod(1 + rng.normal(0.0004, 0.01, len(dates)))
        pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": px}).to_csv(
            data / f"{name}.csv", index=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETAHEDGE_")}
    env.update({"BETAHEDGE_DATA_DIR": str(data), "BETAHEDGE_CACHE_DIR": str(tmp_path / "c"),
                # any network attempt fails at once
                "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"})
    proc = subprocess.run([sys.executable, "-m", "betahedge_xl.cli", "analyze", "TSLA", "SPY",
                           "--start", "01/02/2014", "--end", "2015-01-01"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert [ln for ln in proc.stderr.splitlines() if "error:" in ln] == [
        'betahedge: error: start: "01/02/2014" could be 2014-01-02 or 2014-02-01; '
        "write it as yyyy-mm-dd"]
