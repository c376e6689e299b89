"""``bh.backtest``: the walk-forward hedge backtest from prices, checked by hand-made loops."""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.exceptions import InputError, InsufficientDataError


def sample_series(ticker: str) -> pd.Series:
    text = (resources.files("betahedge_xl") / "sample" / f"{ticker}.csv").read_text()
    rows = {r["Date"]: float(r["Adj Close"]) for r in csv.DictReader(text.splitlines())}
    return pd.Series(list(rows.values()), index=pd.to_datetime(list(rows)), name=ticker)


@pytest.fixture(scope="module")
def tsla_spy() -> tuple[pd.Series, pd.Series]:
    return sample_series("TSLA"), sample_series("SPY")


@pytest.fixture(scope="module")
def result(tsla_spy):
    return bh.backtest(*tsla_spy, "2013-01-01", "2016-01-01", cost_bps=5)


def test_real_sample_hedges_with_a_plain_loop(result, tsla_spy):
    """Ratios from lstsq on the 252 returns ending each month's last trading day, held from the
    next day: the hedged returns and the effectiveness follow."""
    tsla, spy = tsla_spy
    px = pd.concat([tsla, spy], axis=1).loc["2013-01-01":"2015-12-31"].dropna()
    r = px.pct_change().iloc[1:]
    idx = r.index
    month_ends = [idx[idx.to_period("M") == p][-1] for p in idx.to_period("M").unique()]
    rebal = [d for d in month_ends if idx.get_loc(d) >= 251 and d != idx[-1]]
    assert list(result.ratios.index) == rebal
    held = pd.Series(np.nan, index=idx)
    for d in rebal:
        e = idx.get_loc(d)
        w = r.iloc[e - 251:e + 1]
        design = np.column_stack([np.ones(252), w["SPY"]])
        b = np.linalg.lstsq(design, w["TSLA"].to_numpy(), rcond=None)[0][1]
        assert result.ratios.loc[d, "ols"] == pytest.approx(b, abs=1e-10)
        held.iloc[e + 1:] = b
    days = result.hedged.index
    hedged = r.loc[days, "TSLA"] - held[days] * r.loc[days, "SPY"]
    np.testing.assert_allclose(result.hedged["ols"], hedged, atol=1e-12)
    eff = 1 - hedged.var() / r.loc[days, "TSLA"].var()
    assert result.table.loc["ols", "effectiveness"] == pytest.approx(eff, abs=1e-12)
    assert list(result.table.index) == ["ols", "blume", "vasicek", "ewma", "dimson",
                                        "no hedge"]
    assert result.estimators == ["ols", "blume", "vasicek", "ewma", "dimson"]
    # named only when ahead of the next significantly (issue 21)
    c = result.comparison
    assert c is not None and c.leader == result.table["effectiveness"].idxmax()
    assert result.best in (c.leader, "no clear winner")


def test_prices_cut_at_a_date_give_the_same_hedged_returns_up_to_it(tsla_spy):
    tsla, spy = tsla_spy
    full = bh.backtest(tsla, spy, "2013-01-01", "2016-01-01")
    cut_day = pd.Timestamp("2015-06-17")  # mid-month: its period end is not in the cut run
    cut = bh.backtest(tsla[:cut_day], spy[:cut_day], "2013-01-01", "2016-01-01")
    assert cut.hedged.index[-1] == cut_day
    pd.testing.assert_frame_equal(cut.hedged, full.hedged.loc[:cut_day])
    pd.testing.assert_frame_equal(cut.ratios, full.ratios.loc[:cut_day].iloc[:len(cut.ratios)])


def test_result_prints_its_table_and_serialises(result):
    text = str(result)
    assert text.splitlines()[0].startswith("TSLA hedged with SPY: 252-day window, monthly")
    for name in ("ols", "blume", "vasicek", "ewma", "dimson", "no hedge",
                 f"Best: {result.verdict}"):
        assert name in text
    html = result._repr_html_()
    assert "<table" in html and "Effectiveness" in html
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(d["estimators"]) == set(result.estimators)
    assert d["no_hedge"]["effectiveness"] == 0.0 and d["no_hedge"]["turnover"] == 0.0
    assert d["estimators"]["ols"]["effectiveness"] == result.table.loc["ols", "effectiveness"]
    assert d["best"] == result.best and d["cost_bps"] == 5
    rows = result.rows()
    assert rows[0][0] == "Estimator" and len(rows) == 7 and rows[1][0] == "ols"
    assert rows[-1][0] == "no hedge"
    cum = result.cumulative()
    assert cum.iloc[0].eq(1.0).all()
    assert cum["ols"].iloc[-1] == pytest.approx((1 + result.hedged["ols"]).prod())


def test_costs_lower_the_net_result_by_turnover(tsla_spy, result):
    free = bh.backtest(*tsla_spy, "2013-01-01", "2016-01-01", cost_bps=0)
    pd.testing.assert_frame_equal(free.hedged, result.hedged)
    drop = free.table["net_return"] - result.table["net_return"]
    np.testing.assert_allclose(drop, result.table["turnover"] * 5 / 1e4, rtol=1e-12)


def test_weekly_rebalance_and_chosen_estimators(tsla_spy):
    res = bh.backtest(*tsla_spy, "2013-01-01", "2016-01-01", window=126, rebalance="weekly",
                      estimators="dimson, ols")
    assert res.estimators == ["dimson", "ols"]
    gaps = res.ratios.index.to_series().diff().dt.days.dropna()
    # A week apart; a Friday holiday (Good Friday) moves one end to Thursday.
    assert gaps.between(6, 8).all() and gaps.median() == 7
    assert res.ratios.index[0] >= res.returns.index[0] - pd.Timedelta(days=7)


def test_portfolio_is_hedged_as_beta_hedge_builds_it(tsla_spy):
    aapl, msft = sample_series("AAPL"), sample_series("MSFT")
    spy = tsla_spy[1]
    res = bh.backtest(pd.concat([aapl, msft], axis=1), spy, "2013-01-01", "2016-01-01",
                      weights=[0.6, 0.4], estimators="ols")
    ref = bh.beta_hedge(pd.concat([aapl, msft], axis=1), spy, "2013-01-01", "2016-01-01",
                        weights=[0.6, 0.4])
    assert res.asset == "Portfolio"
    days = res.returns.index
    np.testing.assert_allclose(res.returns["Portfolio"], ref.returns.loc[days, "Portfolio"])


def test_refusals_are_clear(tsla_spy):
    tsla, spy = tsla_spy
    for name in ("blume", "vasicek"):
        # Several benchmarks: these two shrink toward a market beta of 1, which partial
        # betas lack (ols, ewma and dimson take them: the tests of several benchmarks).
        with pytest.raises(InputError, match=f"{name} take one benchmark: they shrink"):
            bh.backtest(tsla, pd.concat([spy, sample_series("XLK")], axis=1),
                        estimators=f"ols,{name}")
    with pytest.raises(InputError, match="unknown estimator 'capm'"):
        bh.backtest(tsla, spy, estimators="ols,capm")
    with pytest.raises(InputError, match="rebalance 'yearly' not understood"):
        bh.backtest(tsla, spy, rebalance="yearly")
    with pytest.raises(InputError, match="window must be a whole number"):
        bh.backtest(tsla, spy, window=2.5)
    with pytest.raises(InsufficientDataError, match="too few returns"):
        bh.backtest(tsla, spy, "2014-01-01", "2015-01-01")


def test_backtest_report_draws_the_plan(result, tmp_path):
    """The xlsx section: the table's cells are the result's numbers, names cover the tables,
    and both native charts take their series from the tables' cells."""
    import re
    import zipfile

    import openpyxl
    from xlsxwriter.utility import quote_sheetname, xl_range_abs

    from betahedge_xl.plan import BACKTEST_SHEET, build_backtest_plan
    from betahedge_xl.report import write_report

    plan = build_backtest_plan(result)
    out = write_report(path=tmp_path / "bt.xlsx", plan=plan)
    wb = openpyxl.load_workbook(out)
    ws = wb[BACKTEST_SHEET]
    table = plan.table("bh_bt_table")
    r0, c0 = table.first_data_row, table.anchor[1]
    for i, name in enumerate(result.table.index):
        assert ws.cell(r0 + i + 1, c0 + 1).value == name
        for j, metric in enumerate(result.table.columns, start=1):
            assert ws.cell(r0 + i + 1, c0 + 1 + j).value == pytest.approx(
                result.table.loc[name, metric], rel=1e-15)
    settings = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 14)}
    assert settings["Best (significant at 5%)"] == result.verdict
    assert settings["Window (daily returns)"] == 252
    assert set(wb.defined_names) == {t.name for t in plan.tables}
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/"))
    assert xml.count("<c:lineChart>") == 2
    sheet = quote_sheetname(BACKTEST_SHEET)
    for chart in plan.charts:
        for s in chart.series:
            r0_, c, r1_, _ = plan.table(s.table).data_range(s.y_col)
            assert f"{sheet}!{xl_range_abs(r0_, c, r1_, c)}" in xml
    ratios = plan.table("bh_bt_ratios")
    assert ratios.n_rows == len(result.ratios)
    assert re.search(r"Hedge ratio at each monthly rebalance", xml)


@pytest.mark.parametrize("method", ["simple", "log"])
def test_hedge_summary_has_downside_upside_betas_and_capture_ratios(tsla_spy, method):
    """Beside the hedge: betas on the benchmark's down and up days (lstsq on those days) and
    the capture ratios (compounded annual return on those days, asset over benchmark)."""
    res = bh.beta_hedge(*tsla_spy, "2014-01-01", "2015-01-01", returns=method)
    px = pd.concat(tsla_spy, axis=1).loc["2014-01-01":"2014-12-31"]
    r = np.log(px).diff().iloc[1:] if method == "log" else px.pct_change().iloc[1:]
    a, m = r["TSLA"].to_numpy(), r["SPY"].to_numpy()
    simple_a, simple_m = (np.expm1(a), np.expm1(m)) if method == "log" else (a, m)
    values = dict(res.summary().itertuples(index=False))
    for label, keep in (("Downside beta (benchmark falls)", m < 0),
                        ("Upside beta (benchmark rises)", m > 0)):
        design = np.column_stack([np.ones(keep.sum()), m[keep]])
        beta = np.linalg.lstsq(design, a[keep], rcond=None)[0][1]
        assert values[label] == pytest.approx(beta, rel=1e-9)
    for label, keep in (("Up capture ratio (empyrical, daily)", m > 0),
                        ("Down capture ratio (empyrical, daily)", m < 0)):
        n = keep.sum()
        ann_a = np.prod(1 + simple_a[keep]) ** (252 / n) - 1
        ann_m = np.prod(1 + simple_m[keep]) ** (252 / n) - 1
        assert values[label] == pytest.approx(ann_a / ann_m, rel=1e-9)
    assert res.stat("downside_beta") == res.market_moves["downside_beta"]
    assert res.to_dict()["up_capture_empyrical"] == pytest.approx(
        res.market_moves["up_capture"])


@pytest.mark.skipif(__import__("shutil").which("soffice") is None,
                    reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_backtest_report(result, tmp_path):
    """The backtest file converts cleanly; it prints as the hedge report does (issue 9):
    landscape pages one page wide, the tables included."""
    import re

    from betahedge_xl.plan import build_backtest_plan
    from betahedge_xl.report import write_report

    out = write_report(path=tmp_path / "bt.xlsx", plan=build_backtest_plan(result))
    from libreoffice import to_pdf

    proc, pdf = to_pdf(out, tmp_path)
    assert proc.returncode == 0 and "Error" not in proc.stderr, proc.stderr
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert boxes and all(float(w) > float(h) for w, h in boxes)


# --------------------------------------------------------------------------------------------
# Several benchmarks: ols, ewma and dimson as multiple regressions, a ratio per benchmark
# --------------------------------------------------------------------------------------------
def month_end_rebalances(idx: pd.DatetimeIndex, window: int) -> list[pd.Timestamp]:
    """Last trading day of each month with a full window before it, the last day excluded."""
    month_ends = [idx[idx.to_period("M") == p][-1] for p in idx.to_period("M").unique()]
    return [d for d in month_ends if idx.get_loc(d) >= window - 1 and d != idx[-1]]


@pytest.fixture(scope="module")
def tsla_spy_xlk() -> tuple[pd.Series, pd.Series, pd.Series]:
    return sample_series("TSLA"), sample_series("SPY"), sample_series("XLK")


@pytest.fixture(scope="module")
def two_bench(tsla_spy_xlk):
    """The backtest of TSLA on SPY and XLK, and the simple returns a plain loop starts from."""
    tsla, spy, xlk = tsla_spy_xlk
    res = bh.backtest(tsla, pd.concat([spy, xlk], axis=1), "2013-01-01", "2016-01-01",
                      cost_bps=5)
    px = pd.concat([tsla, spy, xlk], axis=1).loc["2013-01-01":"2015-12-31"].dropna()
    return res, px.pct_change().iloc[1:]


def _loop_ratios(r: pd.DataFrame, rebal: list, fit) -> dict:
    """{rebalance day: [ratio on SPY, ratio on XLK]} from ``fit(window returns)``."""
    idx = r.index
    return {d: fit(r.iloc[idx.get_loc(d) - 251:idx.get_loc(d) + 1]) for d in rebal}


def _held_hedge(r: pd.DataFrame, ratios: dict) -> pd.Series:
    """TSLA - h_SPY x SPY - h_XLK x XLK, each ratio held from the day after its rebalance."""
    idx = r.index
    held = pd.DataFrame(np.nan, index=idx, columns=["SPY", "XLK"])
    for d, b in ratios.items():
        held.iloc[idx.get_loc(d) + 1:] = b
    return r["TSLA"] - held["SPY"] * r["SPY"] - held["XLK"] * r["XLK"]


def test_two_benchmarks_ols_is_a_plain_lstsq_loop_on_one_spy_xlk(two_bench):
    """At each month end, lstsq of TSLA on [1, SPY, XLK] over the 252 returns ending that day;
    the ratio vector held from the next day gives the hedged returns, the turnover (both
    ratios' changes), the cost and the realised betas (lstsq again, on the hedged days)."""
    res, r = two_bench
    rebal = month_end_rebalances(r.index, 252)
    assert list(res.ratios.index) == rebal
    assert res.estimators == ["ols", "ewma", "dimson"]  # the default with several

    def fit(w: pd.DataFrame) -> np.ndarray:
        design = np.column_stack([np.ones(len(w)), w["SPY"], w["XLK"]])
        return np.linalg.lstsq(design, w["TSLA"].to_numpy(), rcond=None)[0][1:]

    ratios = _loop_ratios(r, rebal, fit)
    for d, b in ratios.items():
        assert res.ratios.loc[d, ("ols", "SPY")] == pytest.approx(b[0], abs=1e-10)
        assert res.ratios.loc[d, ("ols", "XLK")] == pytest.approx(b[1], abs=1e-10)
    days = res.hedged.index
    hedged = _held_hedge(r, ratios)[days]
    np.testing.assert_allclose(res.hedged["ols"], hedged, atol=1e-12)
    row = res.table.loc["ols"]
    assert row["effectiveness"] == pytest.approx(
        1 - hedged.var() / r.loc[days, "TSLA"].var(), abs=1e-12)
    path = np.array([ratios[d] for d in rebal])
    turnover = np.abs(np.diff(path, axis=0, prepend=0.0)).sum() / (len(days) / 252)
    assert row["turnover"] == pytest.approx(turnover, rel=1e-9)
    assert row["net_return"] == pytest.approx(hedged.mean() * 252 - turnover * 5 / 1e4,
                                              rel=1e-9)
    design = np.column_stack([np.ones(len(days)), r.loc[days, "SPY"], r.loc[days, "XLK"]])
    realised = np.linalg.lstsq(design, hedged.to_numpy(), rcond=None)[0][1:]
    np.testing.assert_allclose(res.hedged_betas.loc["ols"], realised, atol=1e-10)
    assert row["hedged_beta"] == pytest.approx(realised[np.argmax(np.abs(realised))],
                                               abs=1e-10)
    assert res.benchmark == "SPY + XLK" and res.benchmarks == ["SPY", "XLK"]
    assert list(res.returns.columns) == ["TSLA", "SPY", "XLK"]
    assert list(res.ratios["ols"].columns) == ["SPY", "XLK"]


def test_two_benchmarks_ewma_is_weighted_lstsq(two_bench):
    """Weights halving every 63 days back from the window's last (the one-benchmark ewma's):
    lstsq on rows scaled by the square root of the weights."""
    res, r = two_bench
    rebal = month_end_rebalances(r.index, 252)
    root = np.sqrt(0.5 ** (np.arange(251, -1, -1) / 63.0))

    def fit(w: pd.DataFrame) -> np.ndarray:
        design = np.column_stack([np.ones(len(w)), w["SPY"], w["XLK"]]) * root[:, None]
        return np.linalg.lstsq(design, w["TSLA"].to_numpy() * root, rcond=None)[0][1:]

    ratios = _loop_ratios(r, rebal, fit)
    for d, b in ratios.items():
        np.testing.assert_allclose(res.ratios.loc[d, "ewma"], b, atol=1e-10)
    days = res.hedged.index
    np.testing.assert_allclose(res.hedged["ewma"], _held_hedge(r, ratios)[days], atol=1e-12)


def test_two_benchmarks_dimson_sums_each_benchmarks_lag_current_and_lead(two_bench):
    """lstsq of TSLA_t on 1 and SPY, XLK at t-1, t and t+1 for the window's inner days (the
    lead of the rebalance day itself is unknown then); each ratio is its three slopes' sum."""
    res, r = two_bench
    rebal = month_end_rebalances(r.index, 252)

    def fit(w: pd.DataFrame) -> np.ndarray:
        m = w[["SPY", "XLK"]].to_numpy()
        design = np.column_stack([np.ones(len(w) - 2), m[:-2], m[1:-1], m[2:]])
        coef = np.linalg.lstsq(design, w["TSLA"].to_numpy()[1:-1], rcond=None)[0][1:]
        return coef.reshape(3, 2).sum(axis=0)

    ratios = _loop_ratios(r, rebal, fit)
    for d, b in ratios.items():
        np.testing.assert_allclose(res.ratios.loc[d, "dimson"], b, atol=1e-10)
    days = res.hedged.index
    np.testing.assert_allclose(res.hedged["dimson"], _held_hedge(r, ratios)[days], atol=1e-12)


def test_two_benchmarks_prices_cut_at_a_date_give_the_same_ratios_up_to_it(tsla_spy_xlk,
                                                                          two_bench):
    """No look-ahead, dimson's lead included: a run on prices ending mid-month sets the same
    ratios and hedged returns up to that day as the run on the full history."""
    tsla, spy, xlk = tsla_spy_xlk
    full = two_bench[0]
    cut_day = pd.Timestamp("2015-06-17")
    cut = bh.backtest(tsla[:cut_day], pd.concat([spy, xlk], axis=1)[:cut_day],
                      "2013-01-01", "2016-01-01", cost_bps=5)
    assert cut.hedged.index[-1] == cut_day
    pd.testing.assert_frame_equal(cut.ratios, full.ratios.loc[:cut_day].iloc[:len(cut.ratios)])
    pd.testing.assert_frame_equal(cut.hedged, full.hedged.loc[:cut_day])


def test_two_benchmarks_result_prints_and_serialises(two_bench):
    res = two_bench[0]
    assert str(res).splitlines()[0].startswith("TSLA hedged with SPY + XLK: 252-day window")
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["benchmarks"] == ["SPY", "XLK"] and list(d["estimators"]) == ["ols", "ewma",
                                                                          "dimson"]
    assert d["hedged_betas"]["dimson"]["XLK"] == res.hedged_betas.loc["dimson", "XLK"]
    assert d["rebalances"] == len(res.ratios)
    assert res.cumulative()["ols"].iloc[-1] == pytest.approx((1 + res.hedged["ols"]).prod())


def test_two_benchmarks_report_shows_a_ratio_path_per_estimator_and_benchmark(two_bench,
                                                                              tmp_path):
    import openpyxl

    from betahedge_xl.plan import BACKTEST_SHEET, build_backtest_plan
    from betahedge_xl.report import write_report

    res = two_bench[0]
    plan = build_backtest_plan(res)
    out = write_report(path=tmp_path / "bt2.xlsx", plan=plan)
    ws = openpyxl.load_workbook(out)[BACKTEST_SHEET]
    table = plan.table("bh_bt_ratios")
    names = [f"{e} on {b}" for e in ("ols", "ewma", "dimson") for b in ("SPY", "XLK")]
    assert table.header == ["Date", *names]
    r0, c0 = table.first_data_row, table.anchor[1]
    header = [ws.cell(r0, c0 + 1 + j).value for j in range(7)]
    assert header == ["Date", *names]
    for i in (0, len(res.ratios) - 1):
        for j, (e, b) in enumerate(res.ratios.columns, start=1):
            assert ws.cell(r0 + i + 1, c0 + 1 + j).value == pytest.approx(
                res.ratios.iloc[i][(e, b)], rel=1e-15)
    chart = next(c for c in plan.charts if c.name == "bh_bt_chart_ratios")
    assert [s.y_col for s in chart.series] == names


def test_two_benchmarks_hedge_a_portfolio_as_beta_hedge_builds_it(tsla_spy_xlk):
    """Holdings on SPY and XLK: the portfolio's returns are beta_hedge's, and its ols ratios
    are lstsq of them on [1, SPY, XLK] at the first and last rebalance."""
    aapl, msft = sample_series("AAPL"), sample_series("MSFT")
    _, spy, xlk = tsla_spy_xlk
    bench = pd.concat([spy, xlk], axis=1)
    res = bh.backtest(pd.concat([aapl, msft], axis=1), bench, "2013-01-01", "2016-01-01",
                      weights=[0.6, 0.4], estimators="ols")
    ref = bh.beta_hedge(pd.concat([aapl, msft], axis=1), bench, "2013-01-01", "2016-01-01",
                        weights=[0.6, 0.4])
    r = ref.returns
    for d in (res.ratios.index[0], res.ratios.index[-1]):
        w = r.iloc[r.index.get_loc(d) - 251:r.index.get_loc(d) + 1]
        design = np.column_stack([np.ones(252), w["SPY"], w["XLK"]])
        b = np.linalg.lstsq(design, w["Portfolio"].to_numpy(), rcond=None)[0][1:]
        np.testing.assert_allclose(res.ratios.loc[d, "ols"], b, atol=1e-10)
    days = res.returns.index
    np.testing.assert_allclose(res.returns["Portfolio"], r.loc[days, "Portfolio"])
