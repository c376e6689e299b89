"""``betahedge backtest``: the command's outputs are the result's numbers, errors one line."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import pytest

from betahedge_xl.cli import main

ARGS = ["backtest", "TSLA", "SPY", "--start", "2013-01-01", "--end", "2016-01-01", "-q"]


@pytest.fixture()
def sample(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Prices from the package's own sample folder (real TSLA, SPY, AAPL, MSFT 2013-2015)."""
    folder = Path(str(resources.files("betahedge_xl") / "sample"))
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_is_the_results_table(sample, capsys):
    import betahedge_xl as bh

    code, out, _ = _run(capsys, *ARGS, "--format", "json", "--cost-bps", "3",
                        "--estimators", "ols,vasicek", "--window", "200")
    assert code == 0
    data = json.loads(out)
    ref = bh.backtest("TSLA", "SPY", "2013-01-01", "2016-01-01", window=200,
                      estimators=["ols", "vasicek"], cost_bps=3)
    assert list(data["estimators"]) == ["ols", "vasicek"]
    for name, row in data["estimators"].items():
        for metric, value in row.items():
            assert value == pytest.approx(ref.table.loc[name, metric], rel=1e-15)
    assert data["best"] == ref.best and data["window"] == 200 and data["cost_bps"] == 3


def test_csv_table_and_xlsx_report(sample, capsys, tmp_path):
    out_file = tmp_path / "bt.xlsx"
    code, out, _ = _run(capsys, *ARGS, "--format", "csv", "--rebalance", "weekly",
                        "--out", str(out_file))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["estimator"] for r in rows] == ["ols", "blume", "vasicek", "ewma", "dimson",
                                              "no hedge"]
    assert set(rows[0]) == {"estimator", "effectiveness", "hedged_beta", "mean_hedged",
                            "turnover", "net_return"}
    import openpyxl

    assert "BetaHedge Backtest" in openpyxl.load_workbook(out_file).sheetnames


def test_table_text_and_portfolio(sample, capsys):
    code, out, _ = _run(capsys, "backtest", "AAPL,MSFT", "SPY", "--weights", "0.5,0.5",
                        "--start", "2013-01-01", "--end", "2016-01-01", "-q")
    assert code == 0
    assert out.startswith("AAPL +0.5 / MSFT +0.5 hedged with SPY: 252-day window, monthly "
                          "rebalance")
    assert "Best: " in out


@pytest.mark.parametrize("extra, words", [
    (["--estimators", "ols,capm"], "unknown estimator 'capm'"),
    (["--window", "800"], "too few returns"),
    (["--out", "report.txt"], "should end in .xlsx"),
])
def test_errors_are_one_line(sample, capsys, extra, words):
    code, out, err = _run(capsys, *ARGS, *extra)
    assert code != 0 and out == ""
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("bench", [["SPY,XLK"], ["SPY", "-b", "XLK"], ["-b", "SPY", "-b", "XLK"]])
def test_several_benchmarks_as_analyze_takes_them(sample, capsys, bench):
    """A comma list or --benchmark, as ``analyze``: the JSON is bh.backtest on both, with the
    ratio-per-benchmark estimators and each hedged series' beta on each benchmark."""
    import betahedge_xl as bh

    code, out, _ = _run(capsys, "backtest", "TSLA", *bench, "--start", "2013-01-01",
                        "--end", "2016-01-01", "-q", "--format", "json", "--cost-bps", "2")
    assert code == 0
    data = json.loads(out)
    ref = bh.backtest("TSLA", ["SPY", "XLK"], "2013-01-01", "2016-01-01", cost_bps=2)
    assert data["benchmarks"] == ["SPY", "XLK"] and data["benchmark"] == "SPY + XLK"
    assert list(data["estimators"]) == ["ols", "ewma", "dimson"]
    for name, row in data["estimators"].items():
        for metric, value in row.items():
            assert value == pytest.approx(ref.table.loc[name, metric], rel=1e-15)
        for b in ("SPY", "XLK"):
            assert data["hedged_betas"][name][b] == pytest.approx(
                ref.hedged_betas.loc[name, b], rel=1e-15)


def test_several_benchmarks_text_and_refusal(sample, capsys):
    code, out, _ = _run(capsys, *ARGS[:2], "SPY,XLK", *ARGS[3:], "--estimators", "dimson")
    assert code == 0 and out.startswith("TSLA hedged with SPY + XLK: 252-day window")
    assert "dimson" in out and "vasicek" not in out
    code, out, err = _run(capsys, *ARGS[:2], "SPY,XLK", *ARGS[3:], "--estimators", "ols,blume")
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert code != 0 and out == "" and len(lines) == 1
    assert "blume take one benchmark" in lines[0] and "ols, ewma, dimson" in lines[0]
