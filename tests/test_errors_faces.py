"""Issue 10, "errors are the project's": inputs that used to escape as pandas, OS or Python
errors (a date pandas cannot hold, an over-long ticker, a risk-free rate that is not a number,
an overflowing hedge size) are project errors with a one-line message in every face: the
exception in Python, one stderr line and a non-zero status on the command line, a short text
in a cell (through xlwings' own ``call_udf``, see ``tests/xlwings_harness.py``).

Prices are the real sample shipped with the package (TSLA, SPY 2013-2015), read as a CSV folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from betahedge_xl import beta_hedge
from betahedge_xl._dates import to_timestamp
from betahedge_xl.engine import hedge_size
from betahedge_xl.exceptions import BetaHedgeError, InputError
from xlwings_harness import Harness, xlwings_windows

SAMPLE = Path(__file__).resolve().parent.parent / "betahedge_xl" / "sample"
LONG = "A" * 300


@pytest.fixture(autouse=True)
def _sample_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(SAMPLE))


@pytest.fixture(scope="module")
def xl() -> Iterator[Harness]:
    with xlwings_windows() as harness:
        yield harness


def cli(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETAHEDGE_")}
    env.update(BETAHEDGE_DATA_DIR=str(SAMPLE), BETAHEDGE_CACHE_DIR=str(tmp / "cache"),
               PYTHONWARNINGS="ignore::DeprecationWarning")
    return subprocess.run([sys.executable, "-m", "betahedge_xl.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def one_line(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """The CLI's one error line, after checking the status and that nothing else went wrong."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    errors = [ln for ln in proc.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1, proc.stderr
    assert "(run with --debug" not in errors[0], errors[0]  # a project error, not a crash
    for w in words:
        assert w in errors[0], errors[0]
    return errors[0]


def cell_text(table: Any) -> str:
    """The message a UDF spilled: one cell of text."""
    assert isinstance(table, list) and len(table) == 1 and len(table[0]) == 1, table
    text = table[0][0]
    assert isinstance(text, str) and "\n" not in text and len(text) <= 255, text
    return text


# --- dates pandas cannot hold -----------------------------------------------------------------
@pytest.mark.parametrize(("value", "shown"), [("2300-01-01", "2300-01-01"),
                                               (2958465, "9999-12-31"),
                                               ("1600-01-01", "1600-01-01")])
def test_a_date_outside_pandas_range_is_an_input_error(value: Any, shown: str) -> None:
    with pytest.raises(InputError, match=rf"^end: {shown} is outside the dates supported "
                                         r"\(1677-09-22 to 2262-04-11\)$"):
        to_timestamp(value, "end")
    with pytest.raises(InputError, match="is outside the dates supported"):
        beta_hedge("TSLA", "SPY", "2014-01-01", value)
    # the last and first whole days pandas holds still work
    assert to_timestamp("2262-04-11") == to_timestamp(132_320)  # its serial
    assert str(to_timestamp("1677-09-22").date()) == "1677-09-22"


def test_a_date_outside_pandas_range_cli(tmp_path: Path) -> None:
    proc = cli("analyze", "TSLA", "SPY", "--start", "2014-01-01", "--end", "2300-01-01",
               tmp=tmp_path)
    one_line(proc, "end: 2300-01-01 is outside the dates supported")


def test_a_date_outside_pandas_range_cell(xl: Harness) -> None:
    text = cell_text(xl.call("BETA_HEDGE", "TSLA", "SPY", 41640.0, 2958465.0))
    # the argument named as the function wizard names it
    assert text.startswith("end_date:") and "OutOfBounds" not in text and "Error" not in text


# --- tickers ------------------------------------------------------------------------------------
def test_an_over_long_ticker_python_cli_cell(xl: Harness, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is longer than 32 characters$"):
        beta_hedge(LONG, "SPY", "2014-01-01", "2015-01-01")
    one_line(cli("analyze", LONG, "SPY", "--start", "2014-01-01", "--end", "2015-01-01",
                 tmp=tmp_path), "is longer than 32 characters")
    assert cell_text(xl.call("BETA_HEDGE", LONG, "SPY")).endswith("is longer than 32 characters")


def test_a_path_as_ticker_python_and_cell(xl: Harness, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "pw.csv").write_text("user,password\nbob,hunter2\n")
    ticker = os.path.relpath(secret / "pw", SAMPLE)
    with pytest.raises(InputError, match="only letters") as err:
        beta_hedge(ticker, "SPY")
    assert "password" not in str(err.value)
    text = cell_text(xl.call("BETA_HEDGE", ticker, "SPY"))
    assert "only letters" in text and "password" not in text


# --- the risk-free rate in Python -------------------------------------------------------------
@pytest.mark.parametrize("rate", ["2%", None, float("nan"), True, [0.02]])
def test_a_risk_free_rate_that_is_not_a_number(rate: Any) -> None:
    with pytest.raises(InputError, match=r"^risk_free: expected an annual rate as a number "
                                         r"\(0\.02 for 2%\) or a Series of per-period rates, "
                                         r"got "):
        beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01", risk_free=rate)


def test_a_numeric_risk_free_rate_still_works() -> None:
    import numpy as np

    a = beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01", risk_free=np.float32(0.02))
    b = beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01", risk_free=0.02)
    assert a.beta == pytest.approx(b.beta, rel=1e-6)


# --- hedge sizing -------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(1.2, 1e300, 1e-300), (1e300, 1e300, 1.0),
                                  (1.0, 1e20, 1.0), (1.0, 1e300, 1e300, 1e300)])
def test_a_hedge_too_large_to_size(args: tuple[float, ...], xl: Harness) -> None:
    with pytest.raises(InputError, match="too large to size"):
        hedge_size(*args)
    text = cell_text(xl.call("BETA_HEDGE_SIZE", *args))
    assert "too large to size" in text and "Overflow" not in text


def test_a_large_but_sizable_hedge_is_exact() -> None:
    size = hedge_size(1.5, 1e12, 4000.0, "ES")
    assert size.units == 7_500_000 and size.residual_beta == pytest.approx(0.0)


def test_every_new_error_is_a_project_error() -> None:
    for call in (lambda: to_timestamp("2300-01-01"), lambda: hedge_size(1.2, 1e300, 1e-300)):
        with pytest.raises(BetaHedgeError):
            call()


# review D15: a month name without a year was read as year 1 ("1-01-02 is outside the dates
# supported"); it says the year is missing, in Python as on the command line.
@pytest.mark.parametrize("text", ["Jan 2", "2 January", "Jan"])
def test_a_text_date_without_a_year_says_so(text: str) -> None:
    with pytest.raises(InputError, match=rf"^start: '{text}' has no year; write it as "
                                         r"yyyy-mm-dd$"):
        to_timestamp(text, "start")
    with pytest.raises(InputError, match="has no year"):
        beta_hedge("TSLA", "SPY", start=text, end="2015-01-01")
    assert to_timestamp(f"{text} 2014", "start").year == 2014  # with its year it reads
