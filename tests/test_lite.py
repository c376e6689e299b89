"""Issue 20: the worksheet functions in xlwings Lite, called as Office.js calls them.

Every call goes through :mod:`officejs_harness`, a model of xlwings' Office.js dispatch (the
PRO module is neither imported nor run): arguments as 2-D lists, a single cell unwrapped by
``to_scalar``, error objects, ``None`` for an omitted argument; results through xlwings' own
conversion with the Office.js engine's hooks (dates as formatted numbers, NaN as ``#NUM!``).
Expected numbers are computed here with numpy from the fixture's prices, not by the package.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import officejs_harness as h

#: Excel's whole column: what Office.js sends for A:B.
SHEET_ROWS = 1_048_576


DATES, _TSLA, _SPY = h.fixture_prices()
TSLA, SPY = np.array(_TSLA), np.array(_SPY)


def _beta(asset: np.ndarray, bench: np.ndarray) -> float:
    ra, rb = np.diff(asset) / asset[:-1], np.diff(bench) / bench[:-1]
    return float(np.cov(ra, rb)[0, 1] / np.var(rb, ddof=1))


BETA = _beta(TSLA, SPY)


@pytest.fixture(scope="module")
def lite() -> Iterator[types.ModuleType]:
    with h.lite_runtime() as module:
        yield module


@pytest.fixture()
def main_py(lite: types.ModuleType, tmp_path: Path) -> types.ModuleType:
    """Lite's main.py as ``betahedge lite`` writes it, run as Lite runs it."""
    from betahedge_xl.cli.lite import MAIN_PY

    module = types.ModuleType("main")
    exec(compile(MAIN_PY, "main.py", "exec"), module.__dict__)
    return module


def tsla(header: str | None = "TSLA") -> list[list[object]]:
    return h.price_range(DATES, TSLA, header)


def spy(header: str | None = "SPY") -> list[list[object]]:
    return h.price_range(DATES, SPY, header)


def stat(lite: types.ModuleType, *args: object) -> object:
    out = h.call(lite, "BETA_HEDGE_STAT", *args)
    assert isinstance(out, list) and len(out) == 1 and len(out[0]) == 1, out
    return out[0][0]


# --- registration ----------------------------------------------------------------------------
def test_one_line_of_main_py_registers_the_nine_functions(main_py: types.ModuleType) -> None:
    import betahedge_xl.udfs as desktop

    meta = h.custom_functions_meta(main_py)
    names = sorted(f["name"] for f in meta["functions"])
    assert names == sorted(n for n in desktop.__all__ if n.startswith("BETA_HEDGE"))
    assert len(names) == 9
    for f in meta["functions"]:
        # The desktop's ``caller`` is the calling cell xlwings passes, not an argument.
        params = {n: p for n, p in
                  inspect.signature(getattr(desktop, f["name"])).parameters.items()
                  if n != "caller"}
        assert [p["name"] for p in f["parameters"]] == list(params)
        assert [p.get("optional", False) for p in f["parameters"]] == [
            p.default is not inspect.Parameter.empty for p in params.values()]
        assert "\n" not in f["description"] and len(f["description"]) <= 255
        assert all(not p["description"].startswith("Positional") for p in f["parameters"])


def test_the_product_does_not_import_xlwings_pro(lite: types.ModuleType) -> None:
    # xlwings PRO is PolyForm Noncommercial: no module of the package imports it (xlwings
    # itself tries, at import, and gives up without a licence), and none of its custom
    # function machinery is loaded
    import ast
    import sys

    import betahedge_xl

    root = Path(betahedge_xl.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not [n for n in names if n.startswith("xlwings.pro")], path
    assert not {"xlwings.pro.udfs_officejs", "xlwings.pro._xlofficejs"} & set(sys.modules)


# --- numbers and dates -------------------------------------------------------------------------
def test_beta_from_ranges_of_serial_dates(lite: types.ModuleType) -> None:
    assert BETA == pytest.approx(1.954, abs=5e-4)
    assert stat(lite, "beta", tsla(), spy()) == pytest.approx(BETA, rel=1e-9)
    assert stat(lite, "n_obs", tsla(), spy()) == len(DATES) - 1
    # the window, as serial numbers (DATE(2014,7,1)): only the second half
    half = [d for d in DATES if d >= dt.date(2014, 7, 1)]
    k = len(DATES) - len(half)
    expected = _beta(TSLA[k:], SPY[k:])
    assert stat(lite, "beta", tsla(), spy(), 41821.0) == pytest.approx(expected, rel=1e-9)


def test_dates_come_back_as_dates(lite: types.ModuleType) -> None:
    out = h.call(lite, "BETA_HEDGE_SERIES", tsla(), spy())
    assert out[0] == ["date", "TSLA", "SPY", "hedged"]
    first = out[1][0]
    assert first == {"type": "FormattedNumber", "basicValue": 41642.0,  # 2014-01-03
                     "numberFormat": h.CALL_DATA["date_format"]}
    assert [r[0]["basicValue"] for r in out[1:]] == [
        (d - dt.date(1899, 12, 30)).days for d in DATES[1:]]
    ra = np.diff(TSLA) / TSLA[:-1]
    assert [r[1] for r in out[1:]] == pytest.approx(list(ra), rel=1e-12)


def test_omitted_arguments_take_their_defaults(lite: types.ModuleType) -> None:
    # Office.js sends null for each argument left out; explicit defaults give the same
    every = h.call(lite, "BETA_HEDGE", tsla(), spy(), None, None, "daily", "simple",
                   "nonrobust", 0, None, "prices")
    assert h.call(lite, "BETA_HEDGE", tsla(), spy()) == every


def test_nan_is_shown_as_num_error(lite: types.ModuleType) -> None:
    import xlwings.conversion as conversion

    out = lite.result([["x", float("nan")], ["y", 1.5]], [])
    assert out == [["x", "#NUM!"], ["y", 1.5]]
    written = conversion.write(out, None, {"date_format": None, "runtime": "1.4"},
                               engine_name="officejs")
    assert written[0][1] == {"type": "Error", "errorType": "Num"}


# --- error cells ---------------------------------------------------------------------------
def test_an_error_object_is_refused_by_name(lite: types.ModuleType) -> None:
    assert stat(lite, "beta", tsla(), spy(), h.error("#DIV/0!")) == "start_date is #DIV/0!"
    assert stat(lite, "beta", tsla(), spy(), None, h.error("#REF!")) == "end_date is #REF!"
    # newer errors too, with the row of the range
    rng = tsla()
    rng[3][1] = h.error("#SPILL!", "Spill")
    assert stat(lite, "beta", rng, spy()) == "asset: row 4 is #SPILL!"


def test_na_in_a_price_range_is_a_missing_price(lite: types.ModuleType) -> None:
    rng = tsla()
    rng[10][1] = h.error("#N/A")
    kept = np.ones(len(DATES), dtype=bool)
    kept[9] = False
    expected = _beta(TSLA[kept], SPY[kept])
    assert stat(lite, "beta", rng, spy()) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("pending", [h.error("#BUSY!", "Busy"),
                                     h.error("#GETTING_DATA", "GettingData"),
                                     {"type": "Error", "errorType": "Busy"}])
def test_data_on_its_way_gives_a_waiting_message(lite: types.ModuleType,
                                                 pending: dict[str, str]) -> None:
    text = "#GETTING_DATA" if pending["errorType"] == "GettingData" else "#BUSY!"
    rng = spy()
    rng[6][1] = pending
    for out in (stat(lite, "beta", tsla(), rng), stat(lite, "beta", pending, spy()),
                h.call(lite, "BETA_HEDGE", tsla(), rng)[0][0]):
        assert isinstance(out, str) and out.startswith("waiting for data")
        assert text in out and "expected a number" not in out and len(out) < 100


# --- what Lite passes as ranges -----------------------------------------------------------------
def test_whole_columns_are_trimmed(lite: types.ModuleType) -> None:
    pad = [[None, None]] * (SHEET_ROWS - len(DATES) - 1)
    assert stat(lite, "beta", tsla() + pad, spy() + pad) == pytest.approx(BETA, rel=1e-9)
    empty_strings = [["", ""]] * 1000  # a formula returning "" below the data
    assert stat(lite, "beta", tsla() + empty_strings, spy()) == pytest.approx(BETA, rel=1e-9)


def test_a_one_row_range_is_unwrapped_as_to_scalar_does(lite: types.ModuleType) -> None:
    assert h.to_scalar([[0.6, 0.4]]) == [0.6, 0.4]
    assert lite.argument("holdings", [0.6, 0.4], []) == [[0.6, 0.4]]
    assert lite.argument("holdings", [[0.6], [0.4], [None]], []) == [[0.6], [0.4]]


def test_stockhistory_output_is_a_price_range(lite: types.ModuleType) -> None:
    # =STOCKHISTORY("TSLA",DATE(2014,1,1),DATE(2015,1,1)): a Date/Close header, serial dates
    asset = [["Date", "Close"], *tsla(None)]
    bench = [["Date", "Close"], *spy(None)]
    assert stat(lite, "beta", asset, bench) == pytest.approx(BETA, rel=1e-9)
    summary = dict((r[0], r[1]) for r in h.call(lite, "BETA_HEDGE", asset, bench))
    assert "not adjusted for dividends" in summary["Data warnings"]
    assert "asset" in summary["Data warnings"] and "benchmark" in summary["Data warnings"]
    assert "not adjusted for dividends" in summary["Asset"]
    # headers=2: the instrument's row above the header names the series
    named = [["Tesla Inc (XNAS:TSLA)", ""], *asset]
    summary = dict((r[0], r[1]) for r in h.call(lite, "BETA_HEDGE", named, bench))
    assert summary["Asset"].startswith("Tesla Inc (XNAS:TSLA)")
    # a range with its own header says nothing of the kind
    plain = dict((r[0], r[1]) for r in h.call(lite, "BETA_HEDGE", tsla(), spy()))
    assert plain["Data warnings"] == "none" and plain["Asset"] == "TSLA"


# --- tickers ------------------------------------------------------------------------------
def test_a_ticker_says_yahoo_cannot_be_reached_and_what_works(lite: types.ModuleType) -> None:
    for out in (stat(lite, "beta", "TSLA", spy()), stat(lite, "beta", [["tsla"]], spy()),
                stat(lite, "beta", tsla(), [["SPY"], [None]])):
        assert isinstance(out, str) and len(out) <= 255
        assert "cannot reach Yahoo" in out and "browser" in out
        assert "STOCKHISTORY" in out and "range of dates and prices" in out
    prices = h.call(lite, "BETA_HEDGE_PRICES", [["AAPL"], ["MSFT"]])[0][0]
    book = h.call(lite, "BETA_HEDGE_PORTFOLIO", [["AAPL"], ["MSFT"]], [[0.5], [0.5]],
                  spy())[0][0]
    for out in (prices, book):
        assert "cannot reach Yahoo" in out and "desktop add-in" in out and len(out) <= 255


def test_functions_without_prices_work(lite: types.ModuleType) -> None:
    size = dict((r[0], r[1]) for r in h.call(lite, "BETA_HEDGE_SIZE", 1.5, 1_000_000.0, 400.0))
    # the summary's names for the sizing rows (issue 21)
    assert size["Shares to sell"] == round(1.5 * 1_000_000 / 400)
    assert size["Residual beta after rounding"] == pytest.approx(0.0, abs=1e-12)
    names = h.call(lite, "BETA_HEDGE_STAT", "?")
    assert names[0] == ["statistic", "meaning"] and ["beta", "Beta"] in names


# --- the 1904 date system -----------------------------------------------------------------
def test_a_1904_workbook_reads_and_writes_its_own_serials(
        lite: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETAHEDGE_DATE_SYSTEM", "1904")

    def shifted(rows: list[list[object]]) -> list[list[object]]:
        return [rows[0]] + [[d - 1462, p] for d, p in rows[1:]]  # type: ignore[operator]

    half = sum(d < dt.date(2014, 7, 1) for d in DATES)
    expected = _beta(TSLA[half:], SPY[half:])
    assert stat(lite, "beta", shifted(tsla()), shifted(spy()), 41821.0 - 1462) == \
        pytest.approx(expected, rel=1e-9)
    out = h.call(lite, "BETA_HEDGE_SERIES", shifted(tsla()), shifted(spy()))
    assert out[1][0]["basicValue"] == 41642.0 - 1462
    monkeypatch.setenv("BETAHEDGE_DATE_SYSTEM", "1905")
    assert "BETAHEDGE_DATE_SYSTEM" in stat(lite, "beta", tsla(), spy())


def test_js_nulls_are_empty_cells(lite: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pyodide >= 0.28 hands a JS null inside an array over as its JsNull sentinel
    class JsNull:
        pass

    # the Office.js face (betahedge_xl.excel.officejs) reads the sentinel, as Lite imported it
    monkeypatch.setattr(sys.modules["betahedge_xl.excel.officejs"], "_JsNull", JsNull)
    pad = [[JsNull(), JsNull()]] * 5000
    holes = tsla()
    holes[20][1] = JsNull()  # a missing price, as an empty cell is
    kept = np.ones(len(DATES), dtype=bool)
    kept[19] = False
    expected = _beta(TSLA[kept], SPY[kept])
    assert stat(lite, "beta", holes + pad, spy() + pad) == pytest.approx(expected, rel=1e-9)
