"""Advice a PM can act on (issue 21): the hedge instrument checked, the evidence said beside
the trade, capture ratios as Morningstar defines them, risk in money.

Prices are the shipped samples (``betahedge_xl/sample``); every figure is re-derived here with
numpy/pandas from those prices.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.exceptions import InputError

from test_book import WINDOW, sample  # the shipped sample, read with the csv module


def returns(*tickers: str, start: str = WINDOW[0], end: str = WINDOW[1]) -> pd.DataFrame:
    px = pd.concat([sample(t) for t in tickers], axis=1, join="inner")
    px = px[(px.index >= start) & (px.index < end)]
    return px.pct_change().iloc[1:]


def slope(y: pd.Series | np.ndarray, x: pd.Series | np.ndarray) -> float:
    return float(np.polyfit(np.asarray(x), np.asarray(y), 1)[0])


@pytest.fixture()
def sample_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(resources.files("betahedge_xl") / "sample"))


# ---------------------------------------------------------------------------------------------
# the hedge instrument
# ---------------------------------------------------------------------------------------------
def test_a_slip_of_a_contract_code_is_refused_with_the_contracts_and_multipliers(
        sample_folder: None) -> None:
    """``SE`` (meant ES) was sized as 331 shares at multiplier 1, exit 0."""
    res = bh.beta_hedge("TSLA", "SPY", *WINDOW, capital=1_000_000)
    with pytest.raises(InputError, match=r"unknown futures contract 'SE' \(did you mean ES\?\)"
                       ) as err:
        res.with_hedge("SE", 5900.0)
    for code, mult in bh.engine.FUTURES_MULTIPLIERS.items():
        assert f"{code} {mult:g}" in str(err.value)
    assert "per index point" in str(err.value)


def test_another_instrument_is_sized_on_the_beta_measured_to_it(sample_folder: None) -> None:
    """XLK for a fit on SPY: the book's beta to XLK, from XLK's prices, sizes the hedge."""
    res = bh.beta_hedge(["AAPL", "MSFT"], "SPY", *WINDOW, weights=[1, -1], capital=1_000_000)
    r = returns("AAPL", "MSFT", "XLK")
    book = r["AAPL"] - r["MSFT"]
    beta_xlk = slope(book, r["XLK"])
    hedged = res.with_hedge("XLK", 40.0)
    size = hedged.sizing
    assert size is not None
    assert size.beta == pytest.approx(beta_xlk, rel=1e-9)
    assert size.beta != pytest.approx(res.beta, rel=1e-3)  # the SPY beta was used before
    assert size.units == round(beta_xlk * 1e6 / 40.0)
    assert "measured on XLK prices" in size.basis
    assert hedged.stat("hedge_beta_basis") == size.basis
    d = hedged.to_dict()
    assert d["hedge"]["beta"] == pytest.approx(beta_xlk, rel=1e-9)
    assert "measured on XLK" in d["hedge"]["beta_basis"]
    # a beta the user states is used as given, and said so
    stated = res.with_hedge("XLK", 40.0, beta=0.5).sizing
    assert stated is not None and stated.units == round(0.5 * 1e6 / 40.0)
    assert stated.basis.startswith("stated")


def test_a_contract_on_the_benchmarks_index_takes_the_fitted_beta(sample_folder: None) -> None:
    res = bh.beta_hedge("TSLA", "SPY", *WINDOW, capital=1_000_000).with_hedge("ES", 2000.0)
    assert res.sizing is not None and res.sizing.beta == res.beta
    assert res.sizing.basis == "the fit on SPY (ES tracks the S&P 500)"


def test_an_instrument_without_prices_is_refused(sample_folder: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    res = bh.beta_hedge("TSLA", "SPY", *WINDOW, capital=1_000_000)
    with pytest.raises(InputError, match="hedge instrument ZZZQ: not the benchmark SPY"):
        res.with_hedge("ZZZQ", 10.0)


# ---------------------------------------------------------------------------------------------
# advice only where the evidence holds
# ---------------------------------------------------------------------------------------------
def _noise_book() -> bh.HedgeResult:
    """A book with no beta: returns unrelated to the benchmark (SPY shuffled)."""
    spy = sample("SPY")
    spy = spy[(spy.index >= "2013-01-01") & (spy.index < "2015-01-01")]
    r = spy.pct_change().iloc[1:].to_numpy()
    rng = np.random.default_rng(3)
    noise = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + rng.permutation(r)]),
                      index=spy.index, name="NOISE")
    return bh.beta_hedge(noise, spy, capital=1_000_000)


def test_a_hedge_the_numbers_refute_is_said_so_beside_the_trade() -> None:
    res = _noise_book()
    assert not res.beta_p < 0.05 or not res.effectiveness_oos > 0
    hedged = res.with_hedge("SPY", 180.0)
    assert not hedged.hedge_supported
    text = str(hedged)
    line = next(ln for ln in text.splitlines() if ln.startswith("Hedge advice"))
    assert "NOT SUPPORTED" in line
    if not res.beta_p < 0.05:
        assert "not significantly different from zero" in line
    d = json.loads(json.dumps(hedged.to_dict()))
    assert d["hedge_supported"] is False and d["hedge"]["supported"] is False
    assert d["hedge"]["advice"].startswith("NOT SUPPORTED")
    assert d["hedge_advice_reasons"] == hedged.advice


def test_a_hedge_the_numbers_support_says_so(sample_folder: None) -> None:
    res = bh.beta_hedge("TSLA", "SPY", *WINDOW)
    assert res.hedge_supported and res.advice == []
    assert res.stat("hedge_advice").startswith("supported: beta significant")


def test_negative_out_of_sample_effectiveness_is_named() -> None:
    """A sample whose second half has no beta: the first half's beta makes it worse."""
    rng = np.random.default_rng(11)
    n = 200
    x = rng.normal(0, 0.01, n)
    y = np.r_[1.5 * x[:100] + rng.normal(0, 0.002, 100), rng.normal(0, 0.01, 100)]
    idx = pd.bdate_range("2020-01-01", periods=n + 1)
    a = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + y]), index=idx, name="A")
    b = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + x]), index=idx, name="B")
    res = bh.beta_hedge(a, b)
    h = y[100:] - slope(y[:100], x[:100]) * x[100:]
    eff = 1 - np.var(h, ddof=1) / np.var(y[100:], ddof=1)
    assert eff < 0 and res.effectiveness_oos == pytest.approx(eff, rel=1e-9)
    assert any(f"effectiveness {eff:.1%}" in a for a in res.advice)
    assert res.to_dict()["hedge_supported"] is False


# ---------------------------------------------------------------------------------------------
# statistics as a PM knows them
# ---------------------------------------------------------------------------------------------
def test_capture_ratios_of_tsla_2014_are_morningstars() -> None:
    """Monthly returns (daily returns compounded within each calendar month), geometric mean
    return of the up (down) months, asset over benchmark, times 100."""
    res = bh.beta_hedge(sample("TSLA"), sample("SPY"), *WINDOW)
    r = returns("TSLA", "SPY")
    monthly = (1 + r).groupby(r.index.to_period("M")).prod() - 1
    assert len(monthly) == 12
    expected = {}
    for side, keep in (("up", monthly["SPY"] > 0), ("down", monthly["SPY"] < 0)):
        part = monthly[keep]
        geo = part.add(1).prod() ** (1 / len(part)) - 1
        expected[side] = 100 * geo["TSLA"] / geo["SPY"]
    assert res.stat("up_capture") == pytest.approx(expected["up"], abs=1e-9)
    assert res.stat("down_capture") == pytest.approx(expected["down"], abs=1e-9)
    assert res.capture["up_months"] + res.capture["down_months"] == 12
    # empyrical's figure keeps its own label: daily, compounded, annualised
    up_days = r["SPY"] > 0
    n = int(up_days.sum())
    ann = (1 + r[up_days]).prod() ** (252 / n) - 1
    assert res.stat("up_capture_empyrical") == pytest.approx(ann["TSLA"] / ann["SPY"],
                                                               rel=1e-9)
    labels = dict(res.summary().itertuples(index=False))
    assert "Up capture % (Morningstar, monthly)" in labels
    assert "Up capture ratio (empyrical, daily)" in labels


def test_blume_is_not_applied_to_a_long_short_book() -> None:
    prices = pd.concat([sample("AAPL"), sample("MSFT")], axis=1)
    res = bh.beta_hedge(prices, sample("SPY"), *WINDOW, weights=[1, -1])
    assert math.isnan(res.stat("adjusted_beta"))
    assert "dollar-neutral" in res.stat("adjusted_beta_note")
    assert res.to_dict()["adjusted_beta"] is None
    long_only = bh.beta_hedge(prices, sample("SPY"), *WINDOW, weights=[0.6, 0.4])
    assert long_only.stat("adjusted_beta") == pytest.approx(2 / 3 * long_only.beta + 1 / 3)


def test_risk_in_percent_and_in_money() -> None:
    res = bh.beta_hedge(sample("TSLA"), sample("SPY"), *WINDOW, capital=2_000_000)
    r = returns("TSLA", "SPY")
    b = slope(r["TSLA"], r["SPY"])
    hedged = r["TSLA"] - b * r["SPY"]
    root = math.sqrt(252)
    resid = hedged - hedged.mean()
    expected = {
        "volatility": r["TSLA"].std(ddof=1) * root,
        "volatility_hedged": hedged.std(ddof=1) * root,
        "residual_volatility": math.sqrt((resid**2).sum() / (len(r) - 2)) * root,
        "tracking_error": (r["TSLA"] - r["SPY"]).std(ddof=1) * root,
    }
    for key, value in expected.items():
        assert res.stat(key) == pytest.approx(value, rel=1e-9), key
        assert res.stat(f"{key}_money") == pytest.approx(value * 2e6, rel=1e-9), key
    text = str(res)
    assert any(ln.startswith("Volatility unhedged (annualised)") and ln.endswith("%")
               for ln in text.splitlines())
    without = bh.beta_hedge(sample("TSLA"), sample("SPY"), *WINDOW)
    assert "volatility_money" not in without.stat_names()


# ---------------------------------------------------------------------------------------------
# the backtest: a "no hedge" row, and a best only when it is significantly ahead
# ---------------------------------------------------------------------------------------------
def test_diebold_mariano_matches_statsmodels_hac_mean() -> None:
    sm = pytest.importorskip("statsmodels.api")
    from scipy import stats

    from betahedge_xl.engine.estimators import diebold_mariano

    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 500), rng.normal(0, 1.05, 500)
    la, lb = a**2, (0.3 * a + b) ** 2
    dm, p, lags = diebold_mariano(la, lb)
    assert lags == int(np.floor(4 * (500 / 100) ** (2 / 9)))
    d = la - lb
    fit = sm.OLS(d, np.ones_like(d)).fit(cov_type="HAC",
                                         cov_kwds={"maxlags": lags, "use_correction": False})
    assert dm == pytest.approx(fit.params[0] / fit.bse[0], rel=1e-10)
    assert p == pytest.approx(2 * stats.norm.sf(abs(dm)), rel=1e-10)


def test_backtest_of_a_book_no_estimator_helps_has_no_best() -> None:
    """A dollar-neutral book of two stocks with nearly the same beta: every estimator's
    hedge adds variance, the "no hedge" row shows it and no best is named; Blume and Vasicek
    are not applied to that book."""
    prices = pd.concat([sample("AAPL"), sample("MSFT")], axis=1)
    with pytest.warns(bh.exceptions.DataWarning, match="blume and vasicek not applied"):
        res = bh.backtest(prices, sample("SPY"), "2013-01-01", "2016-01-01", window=126,
                          weights=[1, -1])
    assert res.estimators == ["ols", "ewma", "dimson"]
    assert res.table.index[-1] == "no hedge"
    no = res.table.loc["no hedge"]
    a = res.returns["Portfolio"]
    assert no["effectiveness"] == 0.0 and no["turnover"] == 0.0
    assert no["mean_hedged"] == pytest.approx(a.mean(), rel=1e-12)
    assert no["hedged_beta"] == pytest.approx(slope(a, res.returns["SPY"]), rel=1e-9)
    c = res.comparison
    assert c is not None
    eff = res.table["effectiveness"]
    if eff.drop("no hedge").max() <= 0:
        assert c.leader == "no hedge" and res.best == "no clear winner"
    assert res.best == "no clear winner" or (c.pvalue < 0.05 and eff[res.best] > 0)
    text = str(res)
    assert "no hedge" in text and "Diebold-Mariano" in text
    d = res.to_dict()
    assert d["no_hedge"]["effectiveness"] == 0.0 and "no hedge" not in d["estimators"]


def test_best_is_named_when_significantly_ahead() -> None:
    """An asset with a beta of 1.5 that moves to 0.5 halfway: the estimators beat not hedging
    by far; the leader is named only with a p-value below 5%."""
    from betahedge_xl.engine.estimators import compare_hedges

    rng = np.random.default_rng(2)
    x = rng.normal(0, 0.01, 1000)
    unhedged = 1.5 * x + rng.normal(0, 0.002, 1000)
    good = unhedged - 1.5 * x
    bad = unhedged - 1.0 * x
    hedged = pd.DataFrame({"good": good, "bad": bad})
    eff = pd.Series({n: 1 - hedged[n].var() / unhedged.var() for n in hedged})
    c = compare_hedges(hedged, unhedged, eff)
    assert c.leader == "good" and c.runner_up == "bad" and c.best == "good" and c.pvalue < 0.05
    # two equally good hedges: no clear winner
    twin = pd.DataFrame({"a": good, "b": good + rng.normal(0, 1e-6, 1000)})
    eff2 = pd.Series({n: 1 - twin[n].var() / unhedged.var() for n in twin})
    c2 = compare_hedges(twin, unhedged, eff2)
    assert c2.best == "no clear winner" and "not significant" in c2.verdict


def test_contributions_of_a_shares_book_add_up_to_its_beta() -> None:
    """AAPL +100 / MSFT -200 shares: weight x beta at the last date summed to -0.546 under a
    book beta of -0.575; each contribution is now the slope of w_(i,t-1) r_(i,t)."""
    prices = pd.concat([sample("AAPL"), sample("MSFT")], axis=1)
    res = bh.beta_hedge(prices, sample("SPY"), *WINDOW, shares=[100, -200])
    pos = res.positions
    assert pos is not None
    assert pos["contribution"].sum() == pytest.approx(res.beta, rel=1e-9)
    # by hand: values at the start of each day over the gross exposure then
    px = prices[(prices.index >= WINDOW[0]) & (prices.index < WINDOW[1])]
    spy = sample("SPY")[px.index]
    value = px * [100, -200]
    w = value.div(value.abs().sum(axis=1), axis=0).shift(1).iloc[1:]
    r = px.pct_change().iloc[1:]
    m = spy.pct_change().iloc[1:]
    for t in ("AAPL", "MSFT"):
        assert pos.loc[t, "contribution"] == pytest.approx(slope(w[t] * r[t], m), rel=1e-9)


def test_weights_in_percent_read_as_percent() -> None:
    prices = pd.concat([sample("AAPL"), sample("MSFT")], axis=1)
    res = bh.beta_hedge(prices, sample("SPY"), *WINDOW, weights=[60, 40])
    assert res.stat("holdings") == "AAPL 60%, MSFT 40%"


# ---------------------------------------------------------------------------------------------
# one page to forward
# ---------------------------------------------------------------------------------------------
def _pdf_pages(xlsx: Path, tmp: Path, paper: str | None = None) -> list[Any]:
    """Pages 1 and 2 of ``xlsx`` rendered by LibreOffice (as Letter with ``paper="1"``): per
    page ``(width, height)`` then its words ``(xmin, ymin, xmax, ymax, text)``."""
    import re
    import shutil
    import subprocess
    import zipfile

    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler (pdftotext) not installed")
    src = xlsx
    if paper is not None:
        src = tmp / f"{xlsx.stem}-{paper}.xlsx"
        with zipfile.ZipFile(xlsx) as zin, zipfile.ZipFile(src, "w") as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet"):
                    data = data.replace(b'paperSize="9"', f'paperSize="{paper}"'.encode())
                zout.writestr(item, data)
    from libreoffice import to_pdf

    proc, pdf = to_pdf(src, tmp)
    assert proc.returncode == 0, proc.stderr
    pages = []
    for number in (1, 2):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-bbox",
                               str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', text)
        assert page is not None
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
            r'([^<]*)</word>', text)]
        pages.append([(float(page.group(1)), float(page.group(2))), *words])
    return pages


@pytest.mark.parametrize("paper, size", [(None, (842, 595)), ("1", (792, 612))])
def test_the_first_printed_page_of_a_long_short_book(tmp_path, paper, size) -> None:
    """A4 and Letter landscape: the title names the holdings, the as-of and source lines, the
    trade with its advice and the three charts on page 1 at 70% or more; no data table."""
    from betahedge_xl.plan import FRONT_FONT_SIZE
    from betahedge_xl.report import write_report

    prices = pd.concat([sample("AAPL"), sample("MSFT")], axis=1)
    res = bh.beta_hedge(prices, sample("SPY"), *WINDOW, weights=[1, -1],
                        capital=1_000_000).with_hedge("ES", 2000.0)
    out = write_report(res, tmp_path / "book.xlsx")
    (first, *words), (_, *data) = _pdf_pages(out, tmp_path, paper)
    assert abs(first[0] - size[0]) < 1 and abs(first[1] - size[1]) < 1  # landscape
    text = " ".join(w[4] for w in words)
    assert "Beta hedge: AAPL +1 / MSFT -1 on SPY" in text
    assert "As of 2014-12-31" in text and "Data: memory; run" in text
    assert ("Contracts to sell" in text or "Contracts to buy" in text) and "Hedge advice" in text
    # the three charts' titles
    assert "Returns, beta" in text and "Growth of 1:" in text and "Rolling 63-day beta:" in text
    # no data table: the returns table and the full summary are on the data sheet
    assert "Daily simple returns" not in text and "Alpha 95% CI low" not in text
    # The scale LibreOffice printed page 1 at, from glyph heights: the front page's 9 pt
    # "Statistic" header against the data sheet's 11 pt one, printed at the 75% its file
    # states (whatever font stands in for Calibri, the same on both pages).
    import re
    import zipfile

    with zipfile.ZipFile(out) as z:  # the data sheet, second in the file
        stated = re.search(rb'<pageSetup [^>]*scale="(\d+)"', z.read("xl/worksheets/sheet2.xml"))
    assert stated is not None
    front = next(w for w in words if w[4] == "Statistic")
    ref = next(w for w in data if w[4] == "Statistic")
    scale = (int(stated.group(1)) / 100 * ((front[3] - front[1]) / FRONT_FONT_SIZE)
             / ((ref[3] - ref[1]) / 11))
    print(f"page 1 scale {scale:.3f}")
    assert scale >= 0.70, scale


# ---------------------------------------------------------------------------------------------
# one name for the book in every face
# ---------------------------------------------------------------------------------------------
def _chart_texts(xlsx: Path) -> list[str]:
    """Every text of every chart in the file (titles, axis titles, literal series names)."""
    import re
    import zipfile

    with zipfile.ZipFile(xlsx) as z:
        charts = [z.read(n).decode() for n in z.namelist()
                  if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    return [t for c in charts for t in re.findall(r"<(?:a:t|c:v)>([^<]*)</", c)]


def test_a_long_short_book_has_one_name_in_every_face(
        sample_folder: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The front page titled the book "AAPL +1 / MSFT -1" while its charts, the data sheet,
    the command's one-line result and the backtest's said "Portfolio": the same name in all."""
    import openpyxl

    from betahedge_xl.cli import main

    name = "AAPL +1 / MSFT -1"
    book = ["AAPL,MSFT", "SPY", "--weights", "1,-1", "--start", WINDOW[0], "--end", WINDOW[1],
            "-q"]
    out = tmp_path / "book.xlsx"
    assert main(["report", *book, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"{name} on SPY: beta ")
    # the report: the front page's title, the data sheet's, and every chart
    wb = openpyxl.load_workbook(out)
    front, data = wb["BetaHedge Report"], wb["BetaHedge"]
    assert front["A1"].value == f"Beta hedge: {name} on SPY"
    assert data["A1"].value == f"Beta hedge: {name} on SPY"
    summary = {data.cell(r, 1).value: data.cell(r, 2).value for r in range(3, 60)}
    assert summary["Asset"] == name
    texts = _chart_texts(out)
    titles = [t for t in texts if t.startswith(("Returns, beta", "Growth of 1:", "Rolling"))]
    assert len(titles) == 6  # three charts on the front page, three on the data sheet
    assert all(f": {name} on SPY, daily, " in t for t in titles), titles
    assert f"{name} return" in texts and name in texts  # the scatter's axis, a line's legend
    assert [t for t in texts if "Portfolio" in t] == []
    fronts = [c.value for row in front.iter_rows() for c in row if isinstance(c.value, str)]
    assert [v for v in fronts if "Portfolio" in v] == []
    assert f"hedged = ({name}) - " in " ".join(fronts) or f"hedged = ({name}) + " in " ".join(
        fronts)
    # the command line's table and JSON
    assert main(["analyze", *book, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["asset"] == name
    assert main(["analyze", *book]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split(None, 1) == ["Asset", name] and "Portfolio" not in text
    # the backtest: its one line and its sheet
    bt_out = tmp_path / "bt.xlsx"
    assert main(["backtest", "AAPL,MSFT", "SPY", "--weights", "1,-1", "--start", "2013-01-01",
                 "--end", "2016-01-01", "-q", "--out", str(bt_out)]) == 0
    assert capsys.readouterr().out.startswith(f"{name} hedged with SPY: 252-day window")
    bt = openpyxl.load_workbook(bt_out)["BetaHedge Backtest"]
    assert bt["A1"].value == f"Hedge backtest: {name} on SPY"
    assert f"Cumulative returns: {name} and hedged, by estimator" in _chart_texts(bt_out)
    assert f"{name} (no hedge)" in _chart_texts(bt_out)
    assert [t for t in _chart_texts(bt_out) if "Portfolio" in t] == []
