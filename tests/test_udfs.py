"""The worksheet functions, called as Excel calls them: through xlwings' own ``call_udf``.

Arguments go in as pywin32 delivers them and results come out of ``xlwings.conversion.write``
(see ``tests/xlwings_harness.py``). Numbers are checked against independent computations
(``np.polyfit`` of the same returns, pandas rolling moments), never against stored results.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xlwings_harness import (
    ERROR_CODES,
    MISSING,
    FakeXlRange,
    FakeXlSheet,
    Harness,
    TimeType,
    com_date,
    xlwings_windows,
)

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


@pytest.fixture(scope="module")
def xl() -> Iterator[Harness]:
    with xlwings_windows() as harness:
        yield harness


@pytest.fixture(autouse=True)
def _fresh_memo(xl: Harness) -> None:
    xl.module.clear_memo()


@pytest.fixture()
def hedge_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The asset argument of every computation (``betahedge_xl.beta_hedge`` call) made."""
    import betahedge_xl

    calls: list[Any] = []
    real = betahedge_xl.beta_hedge

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(betahedge_xl, "beta_hedge", counting)
    return calls


def _prices(seed: int = 7, n: int = 260, beta: float = 1.6) -> tuple[pd.Series, pd.Series]:
    """Two business-day price paths; the asset loads on the benchmark with ``beta``."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2014-01-02", periods=n)
    rb = rng.normal(0.0004, 0.01, n - 1)
    ra = 0.0003 + beta * rb + rng.normal(0, 0.012, n - 1)
    bench = pd.Series(200 * np.cumprod(np.r_[1.0, 1 + rb]), index=dates, name="BENCH")
    asset = pd.Series(50 * np.cumprod(np.r_[1.0, 1 + ra]), index=dates, name="ASSET")
    return asset, bench


def _range(series: pd.Series, dates: str = "cells", header: bool = True) -> FakeXlRange:
    """A two-column Excel range of dates and prices, dates as date cells, serials or text."""
    rows: list[list[Any]] = [["Date", series.name]] if header else []
    for d, p in series.items():
        if dates == "cells":
            cell: Any = com_date(d.year, d.month, d.day)
        elif dates == "serial":
            cell = float((d.to_pydatetime() - EXCEL_EPOCH).days)
        else:
            cell = d.strftime("%Y-%m-%d")
        rows.append([cell, float(p)])
    return FakeXlRange(rows)


def _lookup(table: list[list[Any]], label: str) -> Any:
    for row in table:
        if row[0] == label:
            return row[1]
    raise AssertionError(f"{label!r} not in {[r[0] for r in table]}")


def _polyfit(asset: pd.Series, bench: pd.Series) -> tuple[float, float, int]:
    ra = asset.pct_change().dropna().to_numpy()
    rb = bench.pct_change().dropna().to_numpy()
    beta, alpha = np.polyfit(rb, ra, 1)
    return float(beta), float(alpha), len(ra)


def test_beta_hedge_spills_label_value_rows_matching_polyfit(xl: Harness) -> None:
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE", _range(asset), _range(bench))
    assert all(len(row) == 2 for row in table) and len(table) > 10
    beta, alpha, n = _polyfit(asset, bench)
    assert _lookup(table, "Beta") == pytest.approx(beta, rel=1e-10)
    assert _lookup(table, "Alpha (per period)") == pytest.approx(alpha, abs=1e-12)
    assert _lookup(table, "Observations") == n
    assert _lookup(table, "Asset") == "ASSET"  # the header row named the series
    # The hedged series regressed on the benchmark has beta 0 and the same alpha.
    assert _lookup(table, "Hedged beta") == pytest.approx(0.0, abs=1e-10)
    assert _lookup(table, "Hedged alpha") == pytest.approx(alpha, abs=1e-12)
    labels = [r[0] for r in table]
    for wanted in ("Beta std. error", "Beta t-stat", "R-squared", "Adjusted beta (Blume)",
                   "Hedge effectiveness (in sample)", "First price date", "Data warnings"):
        assert wanted in labels


def test_dates_as_cells_serials_or_text_give_the_same_window(xl: Harness) -> None:
    asset, bench = _prices()
    start, end = dt.date(2014, 3, 3), dt.date(2014, 9, 1)
    serial = float((dt.datetime(2014, 3, 3) - EXCEL_EPOCH).days)
    results = []
    for dates in ("cells", "serial", "text"):
        for s in (com_date(2014, 3, 3), serial, "2014-03-03"):
            table = xl.call("BETA_HEDGE", _range(asset, dates), _range(bench, dates), s,
                            com_date(end.year, end.month, end.day))
            results.append((_lookup(table, "Beta"), _lookup(table, "Observations")))
    inside = (asset.index >= pd.Timestamp(start)) & (asset.index < pd.Timestamp(end))
    beta, _, n = _polyfit(asset[inside], bench[inside])
    assert {r[1] for r in results} == {n}  # start inclusive, end exclusive
    assert all(r[0] == pytest.approx(beta, rel=1e-10) for r in results)


def test_omitted_and_empty_optional_arguments_mean_the_defaults(xl: Harness) -> None:
    asset, bench = _prices()
    a, b = _range(asset), _range(bench)
    omitted = xl.call("BETA_HEDGE", a, b)
    empty = xl.call("BETA_HEDGE", a, b, None, None, None, None, None, None)
    spelled = xl.call("BETA_HEDGE", a, b, MISSING, MISSING, "Daily", "SIMPLE", "nonrobust", 0.0)
    assert omitted == empty == spelled


def test_ranges_without_header_and_with_blank_trailing_rows(xl: Harness) -> None:
    asset, bench = _prices()
    rows = [[com_date(d.year, d.month, d.day), float(p)] for d, p in asset.items()]
    padded = FakeXlRange(rows + [[None, None]] * 20)  # a generous A2:B300 selection
    table = xl.call("BETA_HEDGE", padded, _range(bench, header=False))
    assert _lookup(table, "Beta") == pytest.approx(_polyfit(asset, bench)[0], rel=1e-10)
    assert _lookup(table, "Asset") == "asset"


def test_weekly_frequency_and_log_returns(xl: Harness) -> None:
    asset, bench = _prices(n=400)
    table = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING,
                    "weekly", "log")
    wa = np.log(asset.resample("W-FRI").last()).diff().dropna()
    wb = np.log(bench.resample("W-FRI").last()).diff().dropna()
    beta, alpha = np.polyfit(wb.to_numpy(), wa.to_numpy(), 1)
    assert _lookup(table, "Beta") == pytest.approx(beta, rel=1e-10)
    assert _lookup(table, "Observations") == len(wa)


def test_stat_returns_one_number_equal_to_the_table(xl: Harness) -> None:
    asset, bench = _prices()
    a, b = _range(asset), _range(bench)
    table = xl.call("BETA_HEDGE", a, b)
    for stat, label in (("beta", "Beta"), ("alpha", "Alpha (per period)"),
                        ("r_squared", "R-squared"), ("n_obs", "Observations"),
                        ("beta_t", "Beta t-stat"), ("effectiveness",
                                                    "Hedge effectiveness (in sample)")):
        out = xl.call("BETA_HEDGE_STAT", stat, a, b)
        # xlwings hands Excel every result as a 2-D array; 1x1 is one plain cell.
        assert len(out) == 1 and len(out[0]) == 1, out
        value = out[0][0]
        assert isinstance(value, (int, float)), (stat, value)
        assert value == pytest.approx(_lookup(table, label), rel=1e-12)


def test_series_spills_dates_returns_and_the_hedged_return(xl: Harness) -> None:
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE_SERIES", _range(asset), _range(bench))
    header, rows = table[0], table[1:]
    assert header == ["date", "ASSET", "BENCH", "hedged"]
    beta, _, n = _polyfit(asset, bench)
    assert len(rows) == n
    ra = asset.pct_change().dropna()
    rb = bench.pct_change().dropna()
    # Dates leave as datetimes (pywin32 turns them into Excel dates).
    assert [r[0].date() for r in rows] == [d.date() for d in ra.index]
    got = np.array([r[3] for r in rows])
    np.testing.assert_allclose(got, (ra - beta * rb).to_numpy(), rtol=1e-9, atol=1e-14)


def test_rolling_beta_matches_rolling_moments(xl: Harness) -> None:
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE_ROLLING", _range(asset), _range(bench), 40.0)
    header, rows = table[0], table[1:]
    assert header == ["date", "beta BENCH"]
    ra, rb = asset.pct_change().dropna(), bench.pct_change().dropna()
    expected = (ra.rolling(40).cov(rb) / rb.rolling(40).var()).dropna()
    assert len(rows) == len(expected)
    np.testing.assert_allclose([r[1] for r in rows], expected.to_numpy(), rtol=1e-9)


def test_size_rounds_beta_times_value_over_price(xl: Harness) -> None:
    table = xl.call("BETA_HEDGE_SIZE", 1.95, 1_000_000.0, 205.0)
    exact = 1.95 * 1_000_000 / 205
    # The summary's names: shares or contracts, to sell or to buy (issue 21).
    assert _lookup(table, "Shares to sell") == round(exact)
    assert _lookup(table, "Shares (exact, + to sell)") == pytest.approx(exact)
    futures = xl.call("BETA_HEDGE_SIZE", 1.95, 1_000_000.0, 2050.0, "ES")
    assert _lookup(futures, "Contracts to sell") == round(1.95 * 1_000_000 / (2050 * 50))
    residual = 1.95 - round(exact) * 205 / 1_000_000
    assert _lookup(table, "Residual beta after rounding") == pytest.approx(residual)
    short = xl.call("BETA_HEDGE_SIZE", 1.95, -1_000_000.0, 205.0)
    assert _lookup(short, "Shares to buy") == round(exact)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (("BETA_HEDGE", "TSLA", "SPY", "2015-01-01", "2014-01-01"), "reversed"),
        (("BETA_HEDGE", "TSLA", "SPY", "not a date"), "start"),
        (("BETA_HEDGE", "TSLA", "SPY", MISSING, MISSING, "hourly"), "frequency"),
        (("BETA_HEDGE", "TSLA", 3.0), "benchmark"),
        (("BETA_HEDGE_STAT", "", "TSLA", "SPY"), "statistic"),
        (("BETA_HEDGE_SIZE", 1.2, 0.0, 100.0), "zero"),
        (("BETA_HEDGE_SIZE", 1.2, 1e6, 100.0, "XYZ"), "XYZ"),
        (("BETA_HEDGE_PORTFOLIO", FakeXlRange([["AAPL"], ["MSFT"]]), 1.0, "SPY"), "holding"),
    ],
)
def test_bad_input_gives_a_short_message_not_a_traceback(
    xl: Harness, call: tuple[Any, ...], expected: str
) -> None:
    out = xl.call(*call)
    text = out[0][0]
    assert out == [[text]] and isinstance(text, str)  # one cell, nothing spilled
    assert expected.lower() in text.lower()
    assert "Traceback" not in text and len(text) <= 255


def test_range_problems_are_named(xl: Harness) -> None:
    asset, bench = _prices()
    three = FakeXlRange([[com_date(2014, 1, 2), 1.0, 2.0], [com_date(2014, 1, 3), 1.0, 2.0]])
    assert "two-column" in xl.call("BETA_HEDGE", three, _range(bench))[0][0]
    bad = FakeXlRange([["Date", "X"], [com_date(2014, 1, 2), "n/a"]])
    assert "price in row" in xl.call("BETA_HEDGE", bad, _range(bench))[0][0]
    short = _range(asset.iloc[:3])
    msg = xl.call("BETA_HEDGE", short, _range(bench.iloc[:3]))[0][0]
    assert "too few observations" in msg


def test_unknown_statistic_points_to_the_list(xl: Harness) -> None:
    asset, bench = _prices()
    msg = xl.call("BETA_HEDGE_STAT", "gamma", _range(asset), _range(bench))[0][0]
    assert isinstance(msg, str) and "gamma" in msg and "beta" in msg
    assert '=BETA_HEDGE_STAT("?")' in msg and len(msg) < 255  # whole, not cut
    long = xl.call("BETA_HEDGE_STAT", "x" * 300, _range(asset), _range(bench))[0][0]
    assert '=BETA_HEDGE_STAT("?")' in long and len(long) < 255


def test_question_mark_spills_every_statistic_name(xl: Harness) -> None:
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE_STAT", "?")  # no asset or benchmark needed
    assert table[0] == ["statistic", "meaning"]
    names = [r[0] for r in table[1:]]
    result = xl.call("BETA_HEDGE", _range(asset), _range(bench))
    assert [r[1] for r in table[1:]] == [r[0] for r in result]  # one per row of BETA_HEDGE
    for name, label in zip(names, (r[0] for r in result)):  # and each is what its row shows
        value = xl.call("BETA_HEDGE_STAT", name, _range(asset), _range(bench))[0][0]
        assert value == _lookup(result, label) or (value == "" == _lookup(result, label)), name
    assert xl.call("BETA_HEDGE_STAT", " ? ", _range(asset), _range(bench)) == table


def test_recalculation_reuses_the_result(xl: Harness, hedge_calls: list[Any]) -> None:
    calls = hedge_calls
    asset, bench = _prices()
    a, b = _range(asset), _range(bench)
    xl.call("BETA_HEDGE", a, b)
    xl.call("BETA_HEDGE_STAT", "beta", a, b)
    xl.call("BETA_HEDGE_STAT", "alpha", a, b)
    assert len(calls) == 1
    xl.call("BETA_HEDGE", a, b, MISSING, MISSING, "weekly")
    assert len(calls) == 2


def _write_csvs(folder: Any, prices: dict[str, pd.Series]) -> None:
    for name, s in prices.items():
        frame = pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Adj Close": s.to_numpy()})
        frame.to_csv(folder / f"{name}.csv", index=False)


@pytest.fixture()
def stored(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, pd.Series]:
    """Prices in a CSV folder (no network): two stocks and a benchmark."""
    a, bench = _prices(seed=1)
    b, _ = _prices(seed=2, beta=0.7)
    prices = {"AAA": a, "BBB": b, "IDX": bench}
    data = tmp_path / "data"
    data.mkdir()
    _write_csvs(data, prices)
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(data))
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "cache"))
    data = pytest.importorskip("betahedge_xl.data")
    if not hasattr(data, "load_prices"):
        pytest.skip("betahedge_xl.data.load_prices not available yet")
    return prices


def test_tickers_read_stored_prices(xl: Harness, stored: dict[str, pd.Series]) -> None:
    table = xl.call("BETA_HEDGE", "aaa", "IDX")
    beta, alpha, n = _polyfit(stored["AAA"], stored["IDX"])
    assert _lookup(table, "Beta") == pytest.approx(beta, rel=1e-8), table
    assert _lookup(table, "Observations") == n


def test_prices_spill_adjusted_closes(xl: Harness, stored: dict[str, pd.Series]) -> None:
    table = xl.call("BETA_HEDGE_PRICES", FakeXlRange([["AAA", "IDX"]]), "2014-02-03",
                    "2014-03-03")
    assert table[0] == ["date", "AAA", "IDX"], table
    inside = stored["AAA"]["2014-02-03":"2014-03-02"]
    assert [r[0].date() for r in table[1:]] == [d.date() for d in inside.index]
    np.testing.assert_allclose([r[1] for r in table[1:]], inside.to_numpy(), rtol=1e-9)


def test_portfolio_of_weights_and_of_shares(xl: Harness, stored: dict[str, pd.Series]) -> None:
    tick = FakeXlRange([["AAA"], ["BBB"]])
    a, b, idx = stored["AAA"], stored["BBB"], stored["IDX"]
    rb = idx.pct_change().dropna()
    weights = xl.call("BETA_HEDGE_PORTFOLIO", tick, FakeXlRange([[0.6], [0.4]]), "IDX")
    # Weights are rebalanced each period: the portfolio return is the weighted return.
    port = 0.6 * a.pct_change().dropna() + 0.4 * b.pct_change().dropna()
    assert _lookup(weights, "Beta") == pytest.approx(np.polyfit(rb, port, 1)[0], rel=1e-8)
    shares = xl.call("BETA_HEDGE_PORTFOLIO", tick, FakeXlRange([[10.0], [30.0]]), "IDX",
                     MISSING, MISSING, "shares")
    value = 10 * a + 30 * b  # share counts: buy and hold
    held = np.polyfit(rb, value.pct_change().dropna(), 1)[0]
    assert _lookup(shares, "Beta") == pytest.approx(held, rel=1e-8)


def test_results_are_plain_excel_values(xl: Harness) -> None:
    asset, bench = _prices()
    for row in xl.call("BETA_HEDGE", _range(asset), _range(bench)):
        for v in row:
            assert isinstance(v, (str, float, int, dt.datetime)), (row, type(v))
            assert not (isinstance(v, float) and math.isnan(v))


# Python's reprs that must never reach a cell: quotes around text, datetime constructors,
# list brackets, floats shown with a trailing ".0".
_REPR_MARKS = ("datetime", "Timestamp", "'", "[", "TimeType", "tzinfo")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (("BETA_HEDGE", "TSLA", "SPY", MISSING, MISSING, com_date(2014, 1, 1)),
         "frequency: expected one of daily, weekly, monthly, bloomberg, got 2014-01-01"),
        (("BETA_HEDGE", "TSLA", "SPY", MISSING, MISSING, 5.0),
         "frequency: expected one of daily, weekly, monthly, bloomberg, got 5"),
        (("BETA_HEDGE", com_date(2014, 1, 1), "SPY"),
         "asset: expected a ticker or a range of dates and prices, got 2014-01-01"),
        (("BETA_HEDGE", "TSLA", "SPY", "2014-13-45"), 'start_date: cannot read "2014-13-45" as a date'),
        (("BETA_HEDGE", "TSLA", "SPY", True), "start_date: cannot read TRUE as a date"),
        (("BETA_HEDGE", "TSLA", "SPY", MISSING, MISSING, MISSING, MISSING, MISSING, "abc"),
         'risk_free: expected a number, got "abc"'),
        (("BETA_HEDGE_ROLLING", "TSLA", "SPY", 0.0),
         "rolling_window: expected a whole number of at least 1, got 0"),
        (("BETA_HEDGE_SIZE", FakeXlRange([[1.2, 1.3]]), 1e6, 100.0),
         "beta: expected a number, got a range of 2 cells"),
        (("BETA_HEDGE_PRICES", "SPY", "someday"), 'start_date: cannot read "someday" as a date'),
        (("BETA_HEDGE_PORTFOLIO", FakeXlRange([["AAA"], ["BBB"]]), FakeXlRange([[0.5], [0.5]]),
          "IDX", MISSING, MISSING, "units"),
         'holdings_type: expected one of weights, shares, got "units"'),
    ],
)
def test_messages_show_values_as_the_cell_shows_them(
    xl: Harness, call: tuple[Any, ...], expected: str
) -> None:
    (text,), = xl.call(*call)
    assert text == expected
    assert not any(mark in text for mark in _REPR_MARKS), text


def test_price_range_problems_name_the_row_of_the_selection(xl: Harness) -> None:
    asset, bench = _prices()
    # Row 1 is the header, so the bad date is in row 3 of what the analyst selected.
    bad = FakeXlRange([["Date", "X"], [com_date(2014, 1, 2), 1.0], ["foo", 2.0]])
    assert xl.call("BETA_HEDGE", bad, _range(bench)) == [
        ['asset date in row 3: cannot read "foo" as a date']]


def test_unknown_statistic_is_quoted_as_typed(xl: Harness) -> None:
    asset, bench = _prices()
    (text,), = xl.call("BETA_HEDGE_STAT", "first date used", _range(asset), _range(bench))
    assert text.startswith('unknown statistic "first date used"; ')


def test_numbers_typed_as_text_with_currency_and_separators(xl: Harness) -> None:
    table = xl.call("BETA_HEDGE_SIZE", "1.5", "$1,000,000", 5000.0, " mes ")
    assert _lookup(table, "Contracts (exact, + to sell)") == pytest.approx(1.5e6 / (5000 * 5))
    assert _lookup(table, "Hedge multiplier") == 5


def test_hac_with_chosen_lags_matches_statsmodels(xl: Harness) -> None:
    sm = pytest.importorskip("statsmodels.api")
    asset, bench = _prices()
    a, b = _range(asset), _range(bench)
    ra, rb = asset.pct_change().dropna(), bench.pct_change().dropna()
    for lags in (0, 2, 10):
        fit = sm.OLS(ra.to_numpy(), sm.add_constant(rb.to_numpy())).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags})
        # Lags arrive as a float from a cell; with cov_type empty they imply HAC.
        table = xl.call("BETA_HEDGE", a, b, MISSING, MISSING, MISSING, MISSING, MISSING,
                        MISSING, float(lags))
        assert _lookup(table, "Beta std. error") == pytest.approx(fit.bse[1], rel=1e-9)
        assert _lookup(table, "Standard errors") == f"Newey-West HAC, {lags} lags"
        se = xl.call("BETA_HEDGE_STAT", "beta_se", a, b, MISSING, MISSING, MISSING, MISSING,
                     "hac", MISSING, float(lags))
        assert se[0][0] == pytest.approx(fit.bse[1], rel=1e-9)
    (msg,), = xl.call("BETA_HEDGE", a, b, MISSING, MISSING, MISSING, MISSING, "nonrobust",
                      MISSING, 4.0)
    assert msg.startswith("maxlags: lags apply to HAC")


def _excess(r: pd.Series, annual: float, periods: int = 252) -> pd.Series:
    return r - ((1 + annual) ** (1 / periods) - 1)


def test_risk_free_reaches_every_function_that_regresses(xl: Harness) -> None:
    asset, bench = _prices()
    a, b = _range(asset), _range(bench)
    ra = _excess(asset.pct_change().dropna(), 0.02)
    rb = _excess(bench.pct_change().dropna(), 0.02)
    beta, alpha = np.polyfit(rb, ra, 1)
    for rf in (0.02, "2%"):  # a percent-formatted cell sends 0.02; text "2%" also works
        table = xl.call("BETA_HEDGE", a, b, MISSING, MISSING, MISSING, MISSING, MISSING, rf)
        assert _lookup(table, "Alpha (per period)") == pytest.approx(alpha, abs=1e-12)
        assert _lookup(table, "Beta") == pytest.approx(beta, rel=1e-10)
    series = xl.call("BETA_HEDGE_SERIES", a, b, MISSING, MISSING, MISSING, MISSING, 0.02)
    np.testing.assert_allclose([r[1] for r in series[1:]], ra.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose([r[3] for r in series[1:]], (ra - beta * rb).to_numpy(),
                               rtol=1e-8, atol=1e-14)
    rolling = xl.call("BETA_HEDGE_ROLLING", a, b, 63.0, MISSING, MISSING, MISSING, MISSING,
                      0.02)
    expected = (ra.rolling(63).cov(rb) / rb.rolling(63).var()).dropna()
    np.testing.assert_allclose([r[1] for r in rolling[1:]], expected.to_numpy(), rtol=1e-9)


def test_a_per_period_risk_free_rate_says_so_in_its_cell(xl: Harness) -> None:
    asset, bench = _prices()
    ra = asset.pct_change().dropna() - 0.0001
    rb = bench.pct_change().dropna() - 0.0001
    beta, alpha = np.polyfit(rb, ra, 1)
    table = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING, MISSING,
                    MISSING, MISSING, "0.01% per period")
    assert _lookup(table, "Alpha (per period)") == pytest.approx(alpha, abs=1e-12)
    assert _lookup(table, "Returns") == "simple, excess of 0.01% per period"
    (msg,), = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING, MISSING,
                      MISSING, MISSING, "5% per period")
    assert msg.startswith("risk-free 5 read as per-period rates in percent would be over "
                          "1000% a year")


def test_few_observations_are_named_in_the_warnings_row(xl: Harness) -> None:
    asset, bench = _prices(n=6)
    table = xl.call("BETA_HEDGE", _range(asset), _range(bench))
    assert _lookup(table, "Observations") == 5
    assert "only 5 daily returns: fewer than 30, the statistics are unreliable" in _lookup(
        table, "Data warnings")


def test_a_rate_above_100_percent_is_a_typo(xl: Harness) -> None:
    asset, bench = _prices()
    (msg,), = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING, MISSING,
                      MISSING, MISSING, 2.0)
    assert msg == "risk_free: 2 would be 200% a year; give 0.02 or 2% for two percent"


def test_portfolio_takes_risk_free_and_hac_lags(xl: Harness,
                                                stored: dict[str, pd.Series]) -> None:
    sm = pytest.importorskip("statsmodels.api")
    tick = FakeXlRange([["aaa "], [" bbb"], [None], [None]])  # lower case, spaces, blank rows
    amounts = FakeXlRange([[0.6], [0.4], [None], [None]])
    table = xl.call("BETA_HEDGE_PORTFOLIO", tick, amounts, "idx", MISSING, MISSING, MISSING,
                    MISSING, MISSING, "HAC", 0.02, 3.0)
    a, b, idx = stored["AAA"], stored["BBB"], stored["IDX"]
    port = _excess(0.6 * a.pct_change().dropna() + 0.4 * b.pct_change().dropna(), 0.02)
    rb = _excess(idx.pct_change().dropna(), 0.02)
    fit = sm.OLS(port.to_numpy(), sm.add_constant(rb.to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3})
    assert _lookup(table, "Beta") == pytest.approx(fit.params[1], rel=1e-8)
    assert _lookup(table, "Beta std. error") == pytest.approx(fit.bse[1], rel=1e-8)


def test_portfolio_recalculation_reuses_the_result(
    xl: Harness, stored: dict[str, pd.Series], hedge_calls: list[Any]
) -> None:
    calls = hedge_calls
    tick, weights = FakeXlRange([["AAA"], ["BBB"]]), FakeXlRange([[0.6], [0.4]])
    first = xl.call("BETA_HEDGE_PORTFOLIO", tick, weights, "IDX")
    assert xl.call("BETA_HEDGE_PORTFOLIO", tick, weights, "IDX") == first
    assert calls == [["AAA", "BBB"]]
    xl.call("BETA_HEDGE_PORTFOLIO", tick, FakeXlRange([[0.5], [0.5]]), "IDX")
    xl.call("BETA_HEDGE_PORTFOLIO", FakeXlRange([["AAA"]]), 1.0, "IDX")
    xl.call("BETA_HEDGE", "AAA", "IDX")  # one ticker is not the one-ticker portfolio
    assert calls == [["AAA", "BBB"], ["AAA", "BBB"], ["AAA"], "AAA"]


# --- Error values are inputs too -------------------------------------------------------------
# Excel hands an error to a UDF as pywin32's integer code: as a literal in the formula (1/0)
# the argument is that code, from a referenced cell it is the cell's Value. xlwings turns it
# into None (an empty cell!) unless the argument asks for err_to_str.

def test_issue_start_of_1_over_0_is_refused_not_all_history(
    xl: Harness, stored: dict[str, pd.Series]
) -> None:
    # =BETA_HEDGE_STAT("n_obs","AAA","IDX",1/0,DATE(2015,1,1)) answered every stored return.
    end = float((dt.datetime(2015, 1, 1) - EXCEL_EPOCH).days)
    assert xl.call("BETA_HEDGE_STAT", "n_obs", "AAA", "IDX", ERROR_CODES["#DIV/0!"], end) \
        == [["start_date is #DIV/0!"]]
    cell = FakeXlRange([[ERROR_CODES["#DIV/0!"]]])  # =...(A1) with A1 holding =1/0
    assert xl.call("BETA_HEDGE_STAT", "n_obs", "AAA", "IDX", cell, end) \
        == [["start_date is #DIV/0!"]]


@pytest.mark.parametrize(
    ("position", "name"),
    [(5, "frequency"),    # was read as daily
     (8, "risk_free"),    # was read as 0
     (9, "maxlags")],     # was read as classical standard errors
)
def test_issue_errors_in_options_are_not_defaults(
    xl: Harness, stored: dict[str, pd.Series], position: int, name: str
) -> None:
    args: list[Any] = ["beta_se", "AAA", "IDX", MISSING, MISSING, MISSING, MISSING, MISSING,
                       MISSING, MISSING]
    args[position] = ERROR_CODES["#N/A"]
    assert xl.call("BETA_HEDGE_STAT", *args) == [[f"{name} is #N/A"]]
    args[position] = FakeXlRange([[ERROR_CODES["#VALUE!"]]])
    assert xl.call("BETA_HEDGE_STAT", *args) == [[f"{name} is #VALUE!"]]


#: A valid call of each worksheet function with its required arguments (stored prices).
_VALID_CALLS: dict[str, tuple[Any, ...]] = {
    "BETA_HEDGE": ("AAA", "IDX"),
    "BETA_HEDGE_STAT": ("beta", "AAA", "IDX"),
    "BETA_HEDGE_SERIES": ("AAA", "IDX"),
    "BETA_HEDGE_ROLLING": ("AAA", "IDX"),
    "BETA_HEDGE_PRICES": ("AAA",),
    "BETA_HEDGE_SIZE": (1.5, 1e6, 100.0),
    "BETA_HEDGE_PORTFOLIO": (FakeXlRange([["AAA"], ["BBB"]]), FakeXlRange([[0.5], [0.5]]),
                             "IDX"),
    "BETA_HEDGE_BACKTEST": ("AAA", "IDX", MISSING, MISSING, 40.0),
    "BETA_HEDGE_POSITIONS": (FakeXlRange([["AAA"], ["BBB"]]), FakeXlRange([[1.0], [-1.0]]),
                             "IDX"),
}


def test_the_error_check_covers_every_function(xl: Harness) -> None:
    assert set(_VALID_CALLS) == set(xl.module.__all__) - {"clear_memo"}


@pytest.mark.parametrize("error", sorted(ERROR_CODES))
def test_every_argument_of_every_function_names_an_error(
    xl: Harness, stored: dict[str, pd.Series], error: str
) -> None:
    for func, required in _VALID_CALLS.items():
        # ``caller`` is the calling cell, which xlwings passes; Excel shows no such argument.
        params = [a["name"] for a in getattr(xl.module, func).__xlfunc__["args"]
                  if a["name"] != "caller"]
        valid = xl.call(func, *required)
        assert len(valid) > 1 or isinstance(valid[0][0], float), (func, valid)  # not a message
        for i, name in enumerate(params):
            args = list(required) + [MISSING] * (len(params) - len(required))
            for bad in (ERROR_CODES[error], FakeXlRange([[ERROR_CODES[error]]])):
                args[i] = bad
                assert xl.call(func, *args) == [[f"{name} is {error}"]], (func, name, bad)


def _with_cells(series: pd.Series, changes: dict[int, tuple[Any, Any]]) -> FakeXlRange:
    """``_range(series)`` with some rows (numbered as the analyst sees them) replaced."""
    rows = [list(r) for r in _range(series).Value]
    for row, cells in changes.items():
        rows[row - 1] = list(cells)
    return FakeXlRange(rows)


def test_na_prices_are_missing_prices_like_blank_cells(xl: Harness) -> None:
    asset, bench = _prices()
    # Rows 11-13 and row 40: four prices a lookup did not find.
    na = {r: (_range(asset).Value[r - 1][0], ERROR_CODES["#N/A"]) for r in (11, 12, 13, 40)}
    blank = {r: (_range(asset).Value[r - 1][0], None) for r in (11, 12, 13, 40)}
    with_na = xl.call("BETA_HEDGE", _with_cells(asset, na), _range(bench))
    with_blank = xl.call("BETA_HEDGE", _with_cells(asset, blank), _range(bench))
    assert with_na == with_blank
    kept = asset.drop(asset.index[[9, 10, 11, 38]])  # rows 11.. hold prices 10.. (header row 1)
    beta, _, _ = _polyfit(kept, bench.reindex(kept.index))
    assert _lookup(with_na, "Beta") == pytest.approx(beta, rel=1e-10)
    # The note blank rows get: the dates the benchmark has and the asset lacks (the data-quality
    # line prices from a ticker get too).
    assert "alignment drops 4 of 260 dates (missing: ASSET 4)" in _lookup(with_na,
                                                                          "Data warnings")
    # A whole #N/A row (a lookup that found nothing) is a missing row too.
    both = {12: (ERROR_CODES["#N/A"], ERROR_CODES["#N/A"])}
    assert isinstance(_lookup(xl.call("BETA_HEDGE", _with_cells(asset, both), _range(bench)),
                              "Beta"), float)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [({5: (com_date(2014, 1, 7), "#REF!")}, "asset price in row 5 is #REF!"),
     ({7: ("#VALUE!", 50.0)}, "asset date in row 7 is #VALUE!"),
     ({7: ("#N/A", 50.0)}, "asset date in row 7 is #N/A"),
     ({1: ("Date", "#NAME?")}, "asset price in row 1 is #NAME?"),
     ({9: ("#DIV/0!", None)}, "asset date in row 9 is #DIV/0!")],
)
def test_other_errors_in_a_price_range_are_refused_by_row(
    xl: Harness, changes: dict[int, tuple[Any, Any]], expected: str
) -> None:
    asset, bench = _prices()
    coded = {r: tuple(ERROR_CODES.get(v, v) if isinstance(v, str) else v for v in cells)
             for r, cells in changes.items()}
    assert xl.call("BETA_HEDGE", _with_cells(asset, coded), _range(bench)) == [[expected]]


def test_errors_in_tickers_and_holdings_ranges_are_refused_by_row(
    xl: Harness, stored: dict[str, pd.Series]
) -> None:
    na = ERROR_CODES["#N/A"]
    tick = FakeXlRange([["AAA"], [na]])
    assert xl.call("BETA_HEDGE_PORTFOLIO", tick, FakeXlRange([[0.5], [0.5]]), "IDX") \
        == [["tickers: row 2 is #N/A"]]
    held = FakeXlRange([[0.5], [ERROR_CODES["#DIV/0!"]]])
    assert xl.call("BETA_HEDGE_PORTFOLIO", FakeXlRange([["AAA"], ["BBB"]]), held, "IDX") \
        == [["holdings: row 2 is #DIV/0!"]]
    assert xl.call("BETA_HEDGE_PRICES", FakeXlRange([["AAA", na]])) \
        == [["tickers: column 2 is #N/A"]]


# --- Whole-column ranges cost what their used rows cost --------------------------------------

def _sheet_with(*blocks: tuple[int, int, pd.Series]) -> FakeXlSheet:
    """A worksheet holding price blocks (header and date/price rows) at (row, col)."""
    sheet = FakeXlSheet()
    for row, col, series in blocks:
        sheet.put([list(r) for r in _range(series).Value], row, col)
    return sheet


def test_whole_columns_read_only_the_used_rows(xl: Harness) -> None:
    asset, bench = _prices()
    sheet = _sheet_with((1, 1, asset), (1, 3, bench))
    out = xl.call("BETA_HEDGE_STAT", "beta", sheet.Range("A:B"), sheet.Range("C:D"))
    assert out[0][0] == pytest.approx(_polyfit(asset, bench)[0], rel=1e-10)
    used = 4 * (len(asset) + 1)
    # xlwings' default reading converts 2 x 1,048,576 cells per argument.
    assert sheet.cells_read <= used + 10, sheet.cells_read


def test_whole_column_messages_name_the_sheet_row(xl: Harness) -> None:
    asset, bench = _prices()
    sheet = _sheet_with((5, 1, asset), (1, 3, bench))  # the asset's header in row 5
    sheet.put([[ERROR_CODES["#REF!"], 10.0]], 40, 1)
    assert xl.call("BETA_HEDGE", sheet.Range("A:B"), sheet.Range("C:D")) \
        == [["asset date in row 40 is #REF!"]]
    # A range that starts above the used rows counts from its own first row.
    assert xl.call("BETA_HEDGE", sheet.Range("A3:B400"), sheet.Range("C:D")) \
        == [["asset date in row 38 is #REF!"]]
    sheet.put([[None, None]], 40, 1)  # now a blank row (the header is row 5: price 34)
    table = xl.call("BETA_HEDGE", sheet.Range("A3:B400"), sheet.Range("C:D"))
    assert _lookup(table, "Asset") == "ASSET"  # the header found below blank rows
    kept = asset.drop(asset.index[34])
    beta = _polyfit(kept, bench.reindex(kept.index))[0]
    assert _lookup(table, "Beta") == pytest.approx(beta, rel=1e-10)
    assert xl.call("BETA_HEDGE", sheet.Range("F:G"), sheet.Range("C:D")) \
        == [["asset: missing"]]


def test_whole_column_recalculation_reuses_the_result(
    xl: Harness, hedge_calls: list[Any]
) -> None:
    calls = hedge_calls
    asset, bench = _prices()
    sheet = _sheet_with((1, 1, asset), (1, 3, bench))
    for stat in ("beta", "alpha", "r_squared"):
        xl.call("BETA_HEDGE_STAT", stat, sheet.Range("A:B"), sheet.Range("C:D"))
    assert len(calls) == 1
    sheet.put([[200.0]], 30, 2)  # an edited price is a new request
    xl.call("BETA_HEDGE_STAT", "beta", sheet.Range("A:B"), sheet.Range("C:D"))
    assert len(calls) == 2


def test_harness_reads_ranges_through_xlwings_windows_code(xl: Harness) -> None:
    import xlwings
    from xlwings import main

    sheet = FakeXlSheet()
    sheet.put([["x", ERROR_CODES["#N/A"]]], 5, 3)
    sheet.put([[None, None, 1.0]], 9, 3)
    rng = main.Range(impl=xlwings._xlwindows.Range(xl=sheet.Range("C:E")))
    assert type(rng.impl).__module__ == "xlwings._xlwindows"
    used = rng.sheet.used_range
    assert (used.row, used.column, used.shape) == (5, 3, (5, 3))
    cell = rng.sheet.range((5, 4))
    assert cell.value is None  # an error cell reads as empty by default
    assert cell.options(err_to_str=True).value == "#N/A"


# --- Smaller things --------------------------------------------------------------------------

def test_ambiguous_text_dates_are_refused_in_cells_and_ranges(xl: Harness) -> None:
    asset, bench = _prices()
    hint = "use a date cell or write it as yyyy-mm-dd"
    assert xl.call("BETA_HEDGE", "TSLA", "SPY", "01/02/2014") == [
        [f'start_date: "01/02/2014" could be 2014-01-02 or 2014-02-01; {hint}']]
    rows = [list(r) for r in _range(asset).Value]
    rows[1][0] = "01/02/2014"
    assert xl.call("BETA_HEDGE", FakeXlRange(rows), _range(bench)) == [
        [f'asset date in row 2: "01/02/2014" could be 2014-01-02 or 2014-02-01; {hint}']]
    # Text dates with one reading give the same answer as date cells.
    text = [list(r) for r in _range(asset).Value]
    for r in text[1:]:
        r[0] = f"{r[0]:%d/%m/%Y}" if r[0].day > 12 else f"{r[0]:%Y-%m-%d}"
    assert xl.call("BETA_HEDGE", FakeXlRange(text), _range(bench)) \
        == xl.call("BETA_HEDGE", _range(asset), _range(bench))
# --------------------------------------------------------------------------------------------
# Books and returns handed in (issue 12)
# --------------------------------------------------------------------------------------------
def test_returns_ranges_with_input_type_returns(xl: Harness) -> None:
    """Ranges of returns (what a PM's system exports) give the regression of those returns,
    whichever function reads them."""
    asset, bench = _prices()
    ra, rb = asset.pct_change().dropna(), bench.pct_change().dropna()
    beta, alpha = np.polyfit(rb.to_numpy(), ra.to_numpy(), 1)
    table = xl.call("BETA_HEDGE", _range(ra), _range(rb), MISSING, MISSING, MISSING, MISSING,
                    MISSING, MISSING, MISSING, "Returns")
    assert _lookup(table, "Beta") == pytest.approx(beta, rel=1e-10)
    assert _lookup(table, "Observations") == len(ra)
    assert _lookup(table, "Input").startswith("returns handed in")
    n = xl.call("BETA_HEDGE_STAT", "n_obs", _range(ra), _range(rb), MISSING, MISSING, MISSING,
                MISSING, MISSING, MISSING, MISSING, "returns")
    assert n == [[len(ra)]]  # xlwings hands Excel a 1x1 array: one plain cell
    series = xl.call("BETA_HEDGE_SERIES", _range(ra), _range(rb), MISSING, MISSING, MISSING,
                     MISSING, MISSING, "returns")
    np.testing.assert_allclose([r[1] for r in series[1:]], ra.to_numpy(), rtol=1e-12)
    rolling = xl.call("BETA_HEDGE_ROLLING", _range(ra), _range(rb), 40.0, MISSING, MISSING,
                      MISSING, MISSING, MISSING, "returns")
    expected = (ra.rolling(40).cov(rb) / rb.rolling(40).var()).dropna()
    np.testing.assert_allclose([r[1] for r in rolling[1:]], expected.to_numpy(), rtol=1e-9)
    # the same ranges read as prices are another regression altogether
    assert _lookup(xl.call("BETA_HEDGE", _range(ra.abs() + 1), _range(rb.abs() + 1)),
                   "Beta") != pytest.approx(beta, rel=1e-3)


@pytest.mark.parametrize("args, words", [
    (("TSLA", "SPY"), "returns (dates and returns), not a ticker"),
    (None, "input_type: expected one of prices, returns, got \"levels\""),
])
def test_returns_input_problems_are_named(xl: Harness, args: Any, words: str) -> None:
    asset, bench = _prices()
    legs = args or (_range(asset), _range(bench))
    kind = "returns" if args else "levels"
    out = xl.call("BETA_HEDGE", *legs, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING,
                  MISSING, kind)
    assert words in out[0][0]


def test_positions_and_capital_of_a_long_short_book(xl: Harness,
                                                    stored: dict[str, pd.Series]) -> None:
    tick = FakeXlRange([["AAA"], ["BBB"]])
    a, b, idx = stored["AAA"], stored["BBB"], stored["IDX"]
    ra, rb, ri = (s.pct_change().dropna() for s in (a, b, idx))
    beta_a, beta_b = np.polyfit(ri, ra, 1)[0], np.polyfit(ri, rb, 1)[0]
    table = xl.call("BETA_HEDGE_POSITIONS", tick, FakeXlRange([[1.0], [-1.0]]), "IDX")
    assert table[0] == ["ticker", "weight", "beta", "contribution"]
    assert [r[0] for r in table[1:]] == ["AAA", "BBB"]
    assert table[1][2] == pytest.approx(beta_a, rel=1e-9)
    assert table[2][3] == pytest.approx(-beta_b, rel=1e-9)
    summary = xl.call("BETA_HEDGE_PORTFOLIO", tick, FakeXlRange([[1.0], [-1.0]]), "IDX",
                      MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING,
                      2_000_000.0)
    assert _lookup(summary, "Beta") == pytest.approx(beta_a - beta_b, rel=1e-9)
    assert _lookup(summary, "Dollar beta (beta x capital)") == pytest.approx(
        (beta_a - beta_b) * 2e6, rel=1e-9)


def test_bloomberg_preset_in_the_frequency_cell(xl: Harness) -> None:
    """Ranges are used whole; the preset makes the returns weekly and names itself."""
    asset, bench = _prices()
    table = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING, "Bloomberg")
    frame = pd.concat([asset, bench], axis=1)
    period = frame.index.to_period("W-FRI")
    r = frame[np.r_[period[1:] != period[:-1], True]].pct_change().dropna()
    raw = np.polyfit(r["BENCH"], r["ASSET"], 1)[0]
    assert _lookup(table, "Frequency") == "weekly"
    assert _lookup(table, "Beta") == pytest.approx(raw, rel=1e-10)
    assert _lookup(table, "Adjusted beta (Blume)") == pytest.approx(2 / 3 * raw + 1 / 3)
    assert _lookup(table, "Preset").startswith("Bloomberg BETA")




def _evening_range(series: pd.Series, hours: int) -> FakeXlRange:
    """Date cells holding ``hours`` before midnight of each day, as UTC-midnight data shown
    in New York reaches a sheet (a naive date-time cell: the zone is gone)."""
    rows: list[list[Any]] = [["Date", series.name]]
    for d, p in series.items():
        t = d - pd.Timedelta(hours=hours)
        rows.append([TimeType(t.year, t.month, t.day, t.hour, tzinfo=dt.UTC), float(p)])
    return FakeXlRange(rows)


def test_evening_stamped_date_cells_are_refused_as_python_refuses_them(xl: Harness) -> None:
    import betahedge_xl as bh
    from betahedge_xl.exceptions import InputError

    asset, bench = _prices()
    # Python refuses the same stamps without a time zone ...
    with pytest.raises(InputError, match="without a time zone"):
        bh.beta_hedge(asset.set_axis(asset.index - pd.Timedelta(hours=5)),
                      bench.set_axis(bench.index - pd.Timedelta(hours=5)))
    # ... and a range of them is refused in its cell, not read a day early.
    (msg,), = xl.call("BETA_HEDGE_STAT", "beta", _evening_range(asset, 5),
                      _evening_range(bench, 5), MISSING, MISSING, "monthly")
    assert msg.startswith("asset: dates stamped at 19:00"), msg
    assert "midnight UTC" in msg and len(msg) <= 255
    # Plain date cells, serials, and a daytime close time keep their own day.
    beta = np.polyfit(bench.pct_change().dropna(), asset.pct_change().dropna(), 1)[0]
    for a, b in ((_range(asset), _range(bench)),
                 (_range(asset, "serial"), _range(bench, "serial")),
                 (_evening_range(asset, -16), _evening_range(bench, -16))):
        (value,), = xl.call("BETA_HEDGE_STAT", "beta", a, b)
        assert value == pytest.approx(beta, rel=1e-9)


@pytest.mark.parametrize("text", ["0,5", "149,43", "1.000,50", "2,5%", "1,5", "12,34,567"])
def test_decimal_commas_in_text_numbers_are_refused(xl: Harness, text: str) -> None:
    (msg,), = xl.call("BETA_HEDGE_STAT", "alpha", "TSLA", "SPY", MISSING, MISSING, MISSING,
                      MISSING, MISSING, text)
    assert msg == f'risk_free: "{text}" has a comma that could be a decimal separator; ' \
                  f"use a dot (0.5) and commas only between thousands (1,000,000)"
    (msg,), = xl.call("BETA_HEDGE_SIZE", 1.0, text, 100.0)
    assert msg.startswith(f'portfolio_value: "{text}" has a comma'), msg


def test_strict_thousands_grouping_still_reads(xl: Harness) -> None:
    for text, number in (("1,000,000", 1e6), ("1,234.5", 1234.5), ("$1,000", 1000.0),
                         ("1000.5", 1000.5)):
        table = xl.call("BETA_HEDGE_SIZE", 1.0, text, 1.0)
        assert _lookup(table, "Shares (exact, + to sell)") == pytest.approx(number), text


def test_portfolio_rows_with_a_ticker_or_an_amount_alone_are_refused(xl: Harness) -> None:
    sheet = FakeXlSheet()
    sheet.put([["AAA", 0.9], [None, 0.1], ["BBB", None]])
    (msg,), = xl.call("BETA_HEDGE_PORTFOLIO", sheet.Range("A1:A3"), sheet.Range("B1:B3"),
                      "IDX")
    assert msg == "holdings: row 2 has a weight or share count but no ticker"
    sheet = FakeXlSheet()
    sheet.put([["AAA", 0.9], ["BBB", None], [None, None], ["CCC", 0.1]])
    (msg,), = xl.call("BETA_HEDGE_PORTFOLIO", sheet.Range("A1:A4"), sheet.Range("B1:B4"),
                      "IDX")
    assert msg == "holdings: row 2 has a ticker but no weight or share count"
    # The positions function reads its holdings the same way.
    (msg,), = xl.call("BETA_HEDGE_POSITIONS", sheet.Range("A1:A4"), sheet.Range("B1:B4"),
                      "IDX")
    assert msg == "holdings: row 2 has a ticker but no weight or share count"


def test_a_currency_price_in_the_first_row_is_a_price_not_a_header(xl: Harness) -> None:
    asset, bench = _prices()
    text = FakeXlRange([[com_date(d.year, d.month, d.day), f"${p:,.4f}"]
                        for d, p in asset.items()])
    table = xl.call("BETA_HEDGE", text, _range(bench))
    plain = xl.call("BETA_HEDGE", _range(asset, header=False), _range(bench))
    assert _lookup(table, "Observations") == len(asset) - 1
    assert _lookup(table, "Asset") == _lookup(plain, "Asset") == "asset"
    assert _lookup(table, "Beta") == pytest.approx(_lookup(plain, "Beta"), rel=1e-6)


def test_the_risk_free_unit_hint_suggests_what_a_cell_takes(xl: Harness) -> None:
    asset, bench = _prices()
    (msg,), = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING, MISSING,
                      MISSING, MISSING, "5% per period")
    # 5% a year fits; 5 per period would be far over 100% a year.
    assert msg.endswith('; is it "5% annual"?'), msg
    assert "risk_free_unit" not in msg
    (msg,), = xl.call("BETA_HEDGE", _range(asset), _range(bench), MISSING, MISSING, "monthly",
                      MISSING, MISSING, "0.3 per period")
    assert msg.endswith('; is it "0.3 annual" or "0.3% annual" or "0.3% per period"?'), msg
    # Python keeps its own wording: the keyword it takes.
    import betahedge_xl as bh
    from betahedge_xl.exceptions import InputError

    with pytest.raises(InputError, match=r"is it risk_free_unit='annual%'\?$"):
        bh.beta_hedge(asset, bench, risk_free=5.0, risk_free_unit="period%")
