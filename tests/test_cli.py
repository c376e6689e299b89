"""The ``betahedge`` command, driven as a user drives it: a subprocess per call.

Prices come from CSV files the tests write (``BETAHEDGE_DATA_DIR``) and the store lives in a
temporary folder (``BETAHEDGE_CACHE_DIR``); a dead proxy makes any network attempt fail at once.
Numbers are checked against an independent computation (``numpy.polyfit`` / ``lstsq`` on the
prices written).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

START, END = "2020-01-01", "2021-01-01"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def make_prices(seed: int = 7) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Business-day prices 2019-07..2021-06: BBB and CCC random walks, AAA = 0.3% + 1.5 BBB."""
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64("2019-07-01"), np.datetime64("2021-07-01"))
    dates = dates[np.is_busday(dates)]
    n = len(dates)
    rb = rng.normal(0.0004, 0.01, n)
    rc = rng.normal(0.0002, 0.012, n)
    ra = 0.0003 + 1.5 * rb + 0.4 * rc + rng.normal(0, 0.01, n)
    out = {}
    for name, r, p0 in (("AAA", ra, 50.0), ("BBB", rb, 300.0), ("CCC", rc, 80.0)):
        px = p0 * np.cumprod(1 + r)
        out[name] = (dates, px)
    return out


def write_prices(folder: Path, prices: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (dates, px) in prices.items():
        lines = ["Date,Adj Close"] + [f"{d},{p:.8f}" for d, p in zip(dates, px)]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def window_returns(prices: dict[str, tuple[np.ndarray, np.ndarray]], name: str,
                   start: str = START, end: str = END) -> np.ndarray:
    """Simple returns of the prices inside [start, end), as the design's conventions say."""
    dates, px = prices[name]
    keep = (dates >= np.datetime64(start)) & (dates < np.datetime64(end))
    p = np.round(px[keep], 8)  # what the CSV holds
    return p[1:] / p[:-1] - 1


@pytest.fixture()
def prices() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return make_prices()


@pytest.fixture()
def env(tmp_path: Path, prices: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, str]:
    data = write_prices(tmp_path / "data", prices)
    e = {k: v for k, v in os.environ.items() if not k.startswith("BETAHEDGE_")}
    e.update({
        "BETAHEDGE_DATA_DIR": str(data),
        "BETAHEDGE_CACHE_DIR": str(tmp_path / "cache"),
        # Any network attempt fails at once instead of reaching a server.
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "", "no_proxy": "",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    })
    return e


def run(env: dict[str, str], *args: str, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "betahedge_xl.cli", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("betahedge")
    for w in words:
        assert w.lower() in errors[0].lower(), errors[0]
    assert proc.stdout == ""


# ---------------------------------------------------------------------------------------------
# help and entry points
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", [[], ["analyze"], ["hedged"], ["report"], ["demo"], ["cache"],
                                 ["cache", "import"], ["workbook"]])
def test_help_everywhere(env: dict[str, str], cmd: list[str]) -> None:
    proc = run(env, *cmd, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "usage: betahedge" in proc.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = ("import sys\nfrom betahedge_xl import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'numpy', 'statsmodels', 'scipy', 'yfinance',"
            " 'matplotlib', 'xlsxwriter') if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_version_and_no_command(env: dict[str, str]) -> None:
    proc = run(env, "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("betahedge ")
    proc = run(env)
    assert proc.returncode == 2 and "usage" in proc.stderr


# ---------------------------------------------------------------------------------------------
# analyze
# ---------------------------------------------------------------------------------------------
def test_analyze_json_matches_polyfit(env: dict[str, str], prices: dict) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # stdout is nothing but the JSON object
    for key in ("alpha", "beta", "beta_se", "r_squared", "n_obs", "hedged_alpha",
                "hedged_beta"):
        assert key in out
    ya, xb = window_returns(prices, "AAA"), window_returns(prices, "BBB")
    beta, alpha = np.polyfit(xb, ya, 1)
    assert out["n_obs"] == len(ya) == 261  # 262 weekdays of 2020 (no holidays in the data)
    assert out["beta"] == pytest.approx(beta, rel=1e-9)
    assert out["alpha"] == pytest.approx(alpha, rel=1e-6, abs=1e-12)
    assert out["r_squared"] == pytest.approx(np.corrcoef(xb, ya)[0, 1] ** 2, rel=1e-9)
    resid = ya - alpha - beta * xb
    se = np.sqrt(resid @ resid / (len(ya) - 2) / ((xb - xb.mean()) @ (xb - xb.mean())))
    assert out["beta_se"] == pytest.approx(se, rel=1e-9)
    assert out["hedged_beta"] == pytest.approx(0.0, abs=1e-10)
    assert out["hedged_alpha"] == pytest.approx(alpha, rel=1e-6)
    assert "Loading prices" in proc.stderr  # progress goes to stderr


def test_analyze_csv_and_table(env: dict[str, str], prices: dict) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == ["key", "label", "value"]
    values = {r["key"]: r["value"] for r in rows}
    beta = np.polyfit(window_returns(prices, "BBB"), window_returns(prices, "AAA"), 1)[0]
    assert float(values["beta"]) == pytest.approx(beta, rel=1e-9)
    assert values["first_date"] == "2020-01-01"

    proc = run(env, "-q", "analyze", "AAA", "BBB", "--start", START, "--end", END)
    assert proc.returncode == 0 and proc.stderr == ""
    assert f"Beta {beta:.3f}" in " ".join(proc.stdout.split()) and "Observations" in proc.stdout


def test_analyze_two_benchmarks_matches_lstsq(env: dict[str, str], prices: dict) -> None:
    ya = window_returns(prices, "AAA")
    X = np.column_stack([np.ones_like(ya), window_returns(prices, "BBB"),
                         window_returns(prices, "CCC")])
    coef = np.linalg.lstsq(X, ya, rcond=None)[0]
    for bench_args in (["BBB,CCC"], ["--benchmark", "BBB", "-b", "CCC"]):
        proc = run(env, "analyze", "AAA", *bench_args, "--start", START, "--end", END,
                   "--format", "json", "--hac", "--maxlags", "3")
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["benchmarks"] == ["BBB", "CCC"]
        assert out["beta_BBB"] == pytest.approx(coef[1], rel=1e-9)
        assert out["beta_CCC"] == pytest.approx(coef[2], rel=1e-9)
        assert out["maxlags"] == 3
    # the report's one-line headline names every benchmark's beta, not the first alone
    proc = run(env, "report", "AAA", "BBB,CCC", "--start", START, "--end", END,
               "--out", str(Path(env["BETAHEDGE_CACHE_DIR"]).parent / "two.xlsx"))
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.splitlines()[0]
    assert f"betas BBB {coef[1]:.3f} (se " in head and f", CCC {coef[2]:.3f} (se " in head


def test_analyze_holdings_file_weights_and_shares(env: dict[str, str], prices: dict,
                                                  tmp_path: Path) -> None:
    xb = window_returns(prices, "BBB")
    # weights: rebalanced each period, so the portfolio return is the weighted return
    (tmp_path / "w.csv").write_text("Ticker,Weight\nAAA,0.75\nCCC,0.25\n")
    proc = run(env, "analyze", str(tmp_path / "w.csv"), "BBB", "--start", START, "--end", END,
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    port = 0.75 * window_returns(prices, "AAA") + 0.25 * window_returns(prices, "CCC")
    assert json.loads(proc.stdout)["beta"] == pytest.approx(np.polyfit(xb, port, 1)[0], rel=1e-9)
    # shares: buy and hold, so the portfolio is the value of the shares
    (tmp_path / "s.csv").write_text("ticker,shares\nAAA,10\nCCC,20\n")
    proc = run(env, "analyze", str(tmp_path / "s.csv"), "BBB", "--start", START, "--end", END,
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    dates, pa = prices["AAA"]
    _, pc = prices["CCC"]
    keep = (dates >= np.datetime64(START)) & (dates < np.datetime64(END))
    value = 10 * np.round(pa[keep], 8) + 20 * np.round(pc[keep], 8)
    port = value[1:] / value[:-1] - 1
    out = json.loads(proc.stdout)
    assert out["beta"] == pytest.approx(np.polyfit(xb, port, 1)[0], rel=1e-9)
    assert out["asset"] == "AAA +10 sh / CCC +20 sh"  # the book's name, as every face says it


# ---------------------------------------------------------------------------------------------
# hedged
# ---------------------------------------------------------------------------------------------
def test_hedged_series_csv(env: dict[str, str], prices: dict, tmp_path: Path) -> None:
    proc = run(env, "hedged", "AAA", "BBB", "--start", START, "--end", END)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == ["date", "AAA", "BBB", "hedged"]
    ya, xb = window_returns(prices, "AAA"), window_returns(prices, "BBB")
    beta = np.polyfit(xb, ya, 1)[0]
    got = np.array([float(r["hedged"]) for r in rows])
    np.testing.assert_allclose(got, ya - beta * xb, rtol=1e-8, atol=1e-12)
    assert rows[0]["date"] == "2020-01-02"
    out = tmp_path / "h.csv"
    proc = run(env, "hedged", "AAA", "BBB", "--start", START, "--end", END, "-o", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    assert out.read_text().splitlines()[0] == "date,AAA,BBB,hedged"


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def test_report_workbook_numbers_names_and_charts(env: dict[str, str], prices: dict,
                                                  tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "r.xlsx"
    proc = run(env, "report", "AAA", "BBB", "--start", START, "--end", END, "--out", str(out),
               "--png", str(tmp_path / "png"))
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["BetaHedge Report", "BetaHedge"]
    ws = wb["BetaHedge"]
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, ws.max_row + 1)
              if ws.cell(r, 1).value}
    ya, xb = window_returns(prices, "AAA"), window_returns(prices, "BBB")
    beta, alpha = np.polyfit(xb, ya, 1)
    assert labels["Beta"] == pytest.approx(beta, rel=1e-9)
    assert labels["Alpha (per period)"] == pytest.approx(alpha, rel=1e-6)
    n = len(ya)
    assert labels["Observations"] == n

    # defined names cover the tables; the returns table holds the returns
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    assert set(names) == {"bh_summary", "bh_returns", "bh_cumulative", "bh_rolling"}
    assert names["bh_returns"] == f"BetaHedge!$O$2:$S${n + 2}"
    assert [ws.cell(2, c).value for c in range(15, 20)] == ["Date", "BBB", "AAA", "Fitted",
                                                            "hedged"]
    got = np.array([ws.cell(r, 17).value for r in range(3, n + 3)], dtype=float)
    np.testing.assert_allclose(got, ya, rtol=1e-9)
    fitted = np.array([ws.cell(r, 18).value for r in range(3, n + 3)], dtype=float)
    np.testing.assert_allclose(fitted, alpha + beta * xb, rtol=1e-9, atol=1e-12)
    assert ws.cell(3, 17).number_format == ws.cell(3, 18).number_format == "0.00%"

    # three native charts whose series reference the tables, on the data sheet and again on
    # the page to forward (issue 21)
    with zipfile.ZipFile(out) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode() for n in charts]
    assert len(xml) == 6
    scatter = next(x for x in xml if "<c:scatterChart>" in x)
    # points (AAA, column Q) and the regression line (Fitted, R) against BBB (P)
    for col in "PQR":
        assert f"BetaHedge!${col}$3:${col}${n + 2}" in scatter
    lines = [x for x in xml if "<c:lineChart>" in x]
    assert len(lines) == 4
    assert any(f"BetaHedge!$X$3:$X${n + 3}" in x for x in lines)  # hedged growth of 1
    assert any(f"BetaHedge!$AA$3:$AA${n + 2}" in x for x in lines)  # rolling beta
    pngs = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert pngs == ["bh_chart_cumulative.png", "bh_chart_rolling.png", "bh_chart_scatter.png"]
    assert all((tmp_path / "png" / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_report_bad_out(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(env, "report", "AAA", "BBB", "--out", str(tmp_path / "r.pdf"))
    assert_one_line_error(proc, 2, ".xlsx")
    proc = run(env, "report", "AAA", "BBB", "--out", str(tmp_path / "no" / "r.xlsx"))
    assert_one_line_error(proc, 2, "does not exist")


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------
def test_demo_runs_offline_on_the_real_sample(env: dict[str, str], tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    env = {k: v for k, v in env.items() if k != "BETAHEDGE_DATA_DIR"}
    cwd = tmp_path / "work"
    cwd.mkdir()
    proc = run(env, "demo", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "real prices, not synthetic" in proc.stdout
    assert "Yahoo Finance" in proc.stdout
    assert "beta 1.954" in proc.stdout and "251 daily returns" in proc.stdout
    report = cwd / "betahedge-demo.xlsx"
    assert report.is_file()
    ws = openpyxl.load_workbook(report)["BetaHedge"]
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 40)}
    assert labels["Beta"] == pytest.approx(1.954, abs=5e-4)
    assert labels["Observations"] == 251
    # the demo leaves the user's store alone
    assert not (tmp_path / "cache" / "prices.sqlite").exists()
    proc = run(env, "demo", "-q", "--out", str(tmp_path / "d.xlsx"), cwd=cwd)
    assert proc.returncode == 0 and proc.stderr == ""
    assert (tmp_path / "d.xlsx").is_file()


# ---------------------------------------------------------------------------------------------
# cache
# ---------------------------------------------------------------------------------------------
def test_cache_import_show_serve_offline_clear(env: dict[str, str], prices: dict,
                                               tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store_env = {k: v for k, v in env.items() if k != "BETAHEDGE_DATA_DIR"}
    proc = run(store_env, "cache", "show")
    assert proc.returncode == 0 and "empty" in proc.stdout

    proc = run(store_env, "cache", "import", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert "AAA" in proc.stdout and "Imported 3 of 3 file(s)" in proc.stdout

    proc = run(store_env, "cache", "show", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    shown = {t["ticker"]: t for t in json.loads(proc.stdout)["tickers"]}
    assert set(shown) == {"AAA", "BBB", "CCC"}
    assert shown["AAA"]["first"] == "2019-07-01" and shown["AAA"]["last"] == "2021-06-30"
    assert shown["AAA"]["rows"] == len(prices["AAA"][0])
    proc = run(store_env, "cache", "show")
    assert "AAA" in proc.stdout and "2019-07-01" in proc.stdout

    # served from the store, with no data folder and no network
    proc = run(store_env, "analyze", "AAA", "BBB", "--start", START, "--end", END,
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    beta = np.polyfit(window_returns(prices, "BBB"), window_returns(prices, "AAA"), 1)[0]
    assert json.loads(proc.stdout)["beta"] == pytest.approx(beta, rel=1e-9)

    proc = run(store_env, "cache", "clear")
    assert proc.returncode == 0 and "Cleared 3" in proc.stdout
    proc = run(store_env, "cache", "show", "--format", "json")
    assert json.loads(proc.stdout)["tickers"] == []


def test_cache_import_missing_folder(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(env, "cache", "import", str(tmp_path / "nowhere"))
    assert_one_line_error(proc, 2, "not found")


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
def test_unknown_ticker(env: dict[str, str]) -> None:
    # both unknown: the data layer's own error (a DataError, exit 3)
    proc = run(env, "analyze", "NOPE", "NADA", "--start", START, "--end", END)
    assert_one_line_error(proc, 3, "NOPE", "NADA")
    # one unknown: that ticker's own error, said once (not also as a warning)
    proc = run(env, "analyze", "NOPE", "BBB", "--start", START, "--end", END)
    assert_one_line_error(proc, 3, "NOPE: no NOPE.csv")
    assert "warning: NOPE" not in proc.stderr
    assert proc.stderr.count("no NOPE.csv") == 1, proc.stderr


def test_reversed_dates(env: dict[str, str]) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", END, "--end", START)
    assert_one_line_error(proc, 2)


def test_unreadable_holdings_files(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(env, "analyze", str(tmp_path / "missing.csv"), "BBB")
    assert_one_line_error(proc, 2, "holdings file", "not found")
    (tmp_path / "bin.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    proc = run(env, "analyze", str(tmp_path / "bin.csv"), "BBB")
    assert_one_line_error(proc, 2, "not a text CSV")
    (tmp_path / "cols.csv").write_text("symbol,amount\nAAA,1\n")
    proc = run(env, "analyze", str(tmp_path / "cols.csv"), "BBB")
    assert_one_line_error(proc, 2, "ticker")
    (tmp_path / "num.csv").write_text("ticker,weight\nAAA,lots\n")
    proc = run(env, "analyze", str(tmp_path / "num.csv"), "BBB")
    assert_one_line_error(proc, 2, "line 2", "not a number")
    (tmp_path / "both.csv").write_text("ticker,weight,shares\nAAA,0.5,100\nBBB,0.5,200\n")
    proc = run(env, "analyze", str(tmp_path / "both.csv"), "CCC")
    assert_one_line_error(proc, 2, "both 'weight' and 'shares' columns; keep one")
    (tmp_path / "dir.csv").mkdir()
    proc = run(env, "analyze", str(tmp_path / "dir.csv"), "BBB")
    assert_one_line_error(proc, 2, "cannot read")


def test_usage_errors_are_one_line(env: dict[str, str]) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--frequency", "hourly")
    assert_one_line_error(proc, 2, "frequency")
    proc = run(env, "analyze", "AAA")
    assert_one_line_error(proc, 2, "benchmark")
    proc = run(env, "frobnicate")
    assert_one_line_error(proc, 2, "invalid choice")
    for bad in ("0", "1.5", "half"):
        proc = run(env, "analyze", "AAA", "BBB", "--oos-split", bad)
        assert_one_line_error(proc, 2, "--oos-split", "not a fraction between 0 and 1")
    proc = run(env, "analyze", "AAA", "BBB", "--rolling-window", "0")
    assert_one_line_error(proc, 2, "rolling window must be at least 3 periods, got 0")


def test_debug_shows_the_traceback(env: dict[str, str]) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", END, "--end", START, "--debug")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


# ---------------------------------------------------------------------------------------------
# workbook (in process: the packaged folder is swapped for one the test fills)
# ---------------------------------------------------------------------------------------------
def test_workbook_copies_the_packaged_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from betahedge_xl import cli

    src = tmp_path / "pkg"
    src.mkdir()
    (src / "betahedge.xlsm").write_bytes(b"PK fake workbook")
    (src / "betahedge.xlam").write_bytes(b"PK fake add-in")
    (src / "__init__.py").write_text("")
    (src / "build_workbook.py").write_text("")
    # the command reads the folder where it lives: betahedge_xl.cli.workbook
    monkeypatch.setattr(cli.workbook, "workbook_dir", lambda: src)
    dest = tmp_path / "mine"
    assert cli.main(["workbook", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["betahedge.xlam", "betahedge.xlsm"]
    out = capsys.readouterr().out
    assert "Next steps" in out and "betahedge.xlsm" in out
    # a second copy does not overwrite without --force
    assert cli.main(["workbook", str(dest)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["workbook", str(dest), "--force"]) == 0


def test_workbook_absent_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from betahedge_xl import cli

    # the command reads the folder where it lives: betahedge_xl.cli.workbook
    monkeypatch.setattr(cli.workbook, "workbook_dir", lambda: tmp_path / "absent")
    assert cli.main(["workbook", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("betahedge: error: the ready workbook is not in this installation")


def test_workbook_from_this_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever the tree (or the install) holds is what gets copied."""
    from betahedge_xl import cli

    src = cli.workbook_dir()
    if not src.is_dir() or not any(src.glob("*.xlsm")):
        pytest.skip("no built workbook in this tree")
    assert cli.main(["workbook", str(tmp_path / "wb")]) == 0
    copied = {p.name for p in (tmp_path / "wb").iterdir()}
    assert {p.name for p in src.glob("*.xlsm")} <= copied
    assert not any(name.endswith(".py") for name in copied)


def test_png_without_matplotlib_still_writes_the_report(env: dict[str, str],
                                                       tmp_path: Path) -> None:
    # a sitecustomize that hides matplotlib, as in a Python where it cannot be imported
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['matplotlib'] = None\n")
    env = dict(env, PYTHONPATH=str(hide))
    out = tmp_path / "r.xlsx"
    proc = run(env, "report", "AAA", "BBB", "--out", str(out), "--png", str(tmp_path / "p"))
    # what to run, in a form that works in a checkout too (there is no [png] extra)
    assert_one_line_error(proc, 4, "-m pip install matplotlib", str(out))
    assert "betahedge-xl[png]" not in proc.stderr
    assert out.is_file() and zipfile.is_zipfile(out)  # the report is there all the same
    assert not (tmp_path / "p").exists()



# ---------------------------------------------------------------------------------------------
# issue 10: a holdings file is a regular file under a size limit
# ---------------------------------------------------------------------------------------------
def test_holdings_from_a_device_a_fifo_or_a_huge_file_are_refused(env: dict[str, str],
                                                                  tmp_path: Path) -> None:
    from betahedge_xl.cli import MAX_HOLDINGS_BYTES

    if Path("/dev/zero").exists():  # today: reads until memory runs out
        proc = run(env, "analyze", "/dev/zero", "BBB", timeout=60)
        assert_one_line_error(proc, 2, "holdings file /dev/zero: cannot read it (not a regular")
    if hasattr(os, "mkfifo"):  # today: waits for a writer forever
        fifo = tmp_path / "h.csv"
        os.mkfifo(fifo)
        proc = run(env, "analyze", str(fifo), "BBB", timeout=60)
        assert_one_line_error(proc, 2, "cannot read it (not a regular file)")
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:  # sparse: costs no disk
        f.write(b"ticker,weight\nAAA,1\n")
        f.truncate(MAX_HOLDINGS_BYTES + 1)
    proc = run(env, "analyze", str(big), "BBB", timeout=60)
    assert_one_line_error(proc, 2, f"is larger than {MAX_HOLDINGS_BYTES // 1_000_000} MB")


# ---------------------------------------------------------------------------------------------
# issue 10: every file the command writes is whole or not there; the previous one survives
# ---------------------------------------------------------------------------------------------
LIMITED = """\
import resource, signal, sys
# a file-size limit: writes past it fail with EFBIG (SIGXFSZ ignored), as on a full disk
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from betahedge_xl.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_limited(env: dict[str, str], limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LIMITED, str(limit), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


needs_rlimit = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(__import__("signal"), "SIGXFSZ"),
    reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")


@needs_rlimit
def test_a_failed_write_leaves_the_previous_report_csv_and_pngs(env: dict[str, str],
                                                                tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    env = dict(env, MPLCONFIGDIR=str(tmp_path / "mpl"))
    out = tmp_path / "out"
    out.mkdir()
    report, hedged, png = out / "r.xlsx", out / "h.csv", out / "png"
    ok = run(env, "report", "AAA", "BBB", "--start", START, "--end", END, "--out", str(report),
             "--png", str(png))
    assert ok.returncode == 0, ok.stderr
    ok = run(env, "hedged", "AAA", "BBB", "--start", START, "--end", END, "--out", str(hedged))
    assert ok.returncode == 0, ok.stderr
    before, pngs = snapshot(out), snapshot(png)
    assert all(len(b) > 4096 for b in [*before.values(), *pngs.values()])
    # the same commands again, now unable to write more than 4 KB to any file
    proc = run_limited(env, 4096, "report", "AAA", "BBB", "--start", START, "--end", END,
                       "--out", str(report))
    assert_one_line_error(proc, 2, f"report: cannot write {report} (File too large); the "
                                   f"previous file is unchanged")
    proc = run_limited(env, 4096, "hedged", "AAA", "BBB", "--start", START, "--end", END,
                       "--out", str(hedged))
    assert_one_line_error(proc, 2, f"--out: cannot write {hedged} (File too large)")
    assert snapshot(out) == before  # byte for byte, and no temporary file left beside them
    # the pictures: drawn, then written under the limit by the PNG writer the CLI uses
    code = ("import resource, signal, sys\n"
            "from betahedge_xl import beta_hedge\n"
            "from betahedge_xl.charts_png import _pyplot, write_pngs\n"
            f"res = beta_hedge('AAA', 'BBB', {START!r}, {END!r})\n"
            "_pyplot()\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
            f"write_pngs(res, {str(png)!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.splitlines()[-1].startswith(
        f"betahedge_xl.exceptions.InputError: --png: cannot write {png}"), proc.stderr
    assert "previous file is unchanged" in proc.stderr
    assert snapshot(png) == pngs


def _mount_tmpfs(folder: Path, size: str) -> None:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    folder.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mount not permitted here: {proc.stderr.strip()}")


def _fill(folder: Path) -> None:
    """Take every free byte of the file system (the write that fails is what a full disk does)."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass


def test_a_full_disk_leaves_the_previous_files(env: dict[str, str], tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "512k")
    try:
        report, hedged = disk / "r.xlsx", disk / "h.csv"
        # last month's report and CSV: small; this year's will not fit on the full disk
        short = ("--start", "2020-11-01", "--end", "2021-01-01")
        for cmd, out in (("report", report), ("hedged", hedged)):
            ok = run(env, cmd, "AAA", "BBB", *short, "--out", str(out))
            assert ok.returncode == 0, ok.stderr
        before = snapshot(disk)
        _fill(disk)
        full = ("--start", "2019-07-01", "--end", "2021-07-01")
        proc = run(env, "report", "AAA", "BBB", *full, "--out", str(report))
        assert_one_line_error(proc, 2, "No space left on device", "previous file is unchanged")
        proc = run(env, "hedged", "AAA", "BBB", *full, "--out", str(hedged))
        assert_one_line_error(proc, 2, "No space left on device", "previous file is unchanged")
        after = snapshot(disk)
        after.pop("filler")
        assert after == before
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_out_on_a_folder_fails_before_any_work(env: dict[str, str], tmp_path: Path) -> None:
    for cmd, target in (("hedged", tmp_path), ("report", tmp_path / "dir.xlsx")):
        target.mkdir(exist_ok=True)
        proc = run(env, cmd, "AAA", "BBB", "--out", str(target))
        assert_one_line_error(proc, 2, f"--out: {target} is a folder; give a file name")
        assert "Loading prices" not in proc.stderr  # no work was done
    proc = run(env, "hedged", "AAA", "BBB", "--out", str(tmp_path / "no" / "h.csv"))
    assert_one_line_error(proc, 2, "does not exist")
    (tmp_path / "afile").write_text("x")
    proc = run(env, "report", "AAA", "BBB", "--out", str(tmp_path / "r.xlsx"),
               "--png", str(tmp_path / "afile"))
    assert_one_line_error(proc, 2, "is a file, not a folder")
    assert "Loading prices" not in proc.stderr


def test_replacing_keeps_mode_follows_links_and_cleans_up(tmp_path: Path) -> None:
    from betahedge_xl._files import replacing, write_text
    from betahedge_xl.exceptions import InputError

    target = tmp_path / "t.csv"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_text(link, "new", "--out")
    assert link.is_symlink() and target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(KeyError), replacing(target, "--out") as tmp:  # not a write failure
        tmp.write_text("half")
        raise KeyError("boom")
    with pytest.raises(InputError, match=r"^--out: cannot write .*t\.csv \(disk full\); the "
                                         r"previous file is unchanged$"), \
            replacing(target, "--out") as tmp:
        raise OSError(28, "disk full")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "t.csv"]


# ---------------------------------------------------------------------------------------------
# issue 10: a CSV the command writes cannot run a formula when a spreadsheet opens it
# ---------------------------------------------------------------------------------------------
def test_csv_text_fields_cannot_start_a_formula_numbers_stay_numbers() -> None:
    import pandas as pd

    from betahedge_xl.cli import _csv_text

    frame = pd.DataFrame({
        "date": pd.to_datetime(["2014-01-02", "2014-01-03"]),
        "=1+1": [-0.0123, 0.5],                      # a header that is a formula
        "SPY": [-1e-05, -2.0],
        "label": ["@SUM(A1:A9)", "-2+3"],            # text fields that are formulas
        "value": [-0.75, "+cmd|'/c calc'!A0"],       # numbers and text in one column
        "ok": ["TSLA", "\tTAB"],
    })
    text = _csv_text(frame)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["date", "'=1+1", "SPY", "label", "value", "ok"]
    assert rows[1] == ["2014-01-02", "-0.0123", "-1e-05", "'@SUM(A1:A9)", "-0.75", "TSLA"]
    assert rows[2] == ["2014-01-03", "0.5", "-2", "'-2+3", "'+cmd|'/c calc'!A0", "'\tTAB"]
    assert float(rows[1][1]) == -0.0123 and float(rows[1][4]) == -0.75  # numbers, unquoted
    assert "'" not in text.splitlines()[1].split(",")[1]


def test_hedged_csv_keeps_negative_returns_as_numbers(env: dict[str, str]) -> None:
    proc = run(env, "hedged", "AAA", "BBB", "--start", START, "--end", END)
    assert proc.returncode == 0, proc.stderr
    body = [r for r in csv.reader(io.StringIO(proc.stdout))][1:]
    negatives = [v for r in body for v in r[1:] if v.startswith("-")]
    assert negatives and all(float(v) < 0 for v in negatives)
    assert not any(v.startswith("'") for r in body for v in r)


def test_hedged_csv_of_a_ticker_that_starts_like_a_formula(env: dict[str, str]) -> None:
    data = Path(env["BETAHEDGE_DATA_DIR"])
    (data / "-AAA.csv").write_bytes((data / "AAA.csv").read_bytes())
    proc = run(env, "hedged", "--start", START, "--end", END, "--", "-AAA", "BBB")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["date", "'-AAA", "BBB", "hedged"]  # was: date,-AAA,BBB,hedged
    assert any(r[1].startswith("-") for r in rows[1:])  # negative returns: numbers, as before
    assert all(float(v) == float(v) for r in rows[1:] for v in r[1:])


def test_text_summary_reads_as_the_report(env: dict[str, str], prices: dict) -> None:
    proc = run(env, "-q", "analyze", "AAA", "BBB", "--start", START, "--end", END)
    assert proc.returncode == 0, proc.stderr
    lines = {ln[:38].strip(): ln[38:].strip() for ln in proc.stdout.splitlines()}
    assert lines["Hedged beta"] == "0.000"  # not -4.57818e-16
    assert lines["Beta p-value"] == "<0.001"  # not 4.23115e-14
    assert lines["First price date"] == START
    beta, _ = np.polyfit(window_returns(prices, "BBB"), window_returns(prices, "AAA"), 1)
    assert lines["Beta"] == f"{beta:.3f}"
    assert lines["R-squared"].endswith("%")
    assert not any("e-" in v for v in lines.values())


def test_hedged_csv_says_excess_with_a_risk_free_rate(env: dict[str, str]) -> None:
    proc = run(env, "-q", "hedged", "AAA", "BBB", "--start", START, "--end", END,
               "--risk-free", "0.02")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "date,AAA excess,BBB excess,hedged excess"
    proc = run(env, "-q", "hedged", "AAA", "BBB", "--start", START, "--end", END)
    assert proc.stdout.splitlines()[0] == "date,AAA,BBB,hedged"


@pytest.mark.parametrize("rate, per_day", [("0.02", 1.02 ** (1 / 252) - 1),
                                           ("2%", 1.02 ** (1 / 252) - 1),
                                           ("0.01% per period", 0.0001)])
def test_risk_free_says_its_unit(env: dict[str, str], prices: dict, rate: str,
                                 per_day: float) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--format", "json",
               "--risk-free", rate)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    ya, xb = window_returns(prices, "AAA") - per_day, window_returns(prices, "BBB") - per_day
    beta, alpha = np.polyfit(xb, ya, 1)
    assert out["alpha"] == pytest.approx(alpha, rel=1e-6, abs=1e-12)
    assert out["beta"] == pytest.approx(beta, rel=1e-9)


def test_risk_free_implausible_for_its_unit_is_one_line(env: dict[str, str]) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END,
               "--risk-free", "5% per period")
    assert_one_line_error(proc, 2, "risk-free 5", "per-period rates in percent",
                          "over 1000% a year")
    proc = run(env, "analyze", "AAA", "BBB", "--risk-free", "2% a fortnight")
    assert proc.returncode == 2 and "unit 'a fortnight' not understood" in proc.stderr


def test_few_observations_are_a_warning_line(env: dict[str, str]) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", "2020-01-01", "--end", "2020-01-09",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n_obs"] == 5
    assert ("betahedge: warning: only 5 daily returns: fewer than 30, the statistics are "
            "unreliable") in proc.stderr.splitlines()
# books as held, and the hedge in contracts (issue 12)
# ---------------------------------------------------------------------------------------------
def test_analyze_long_short_book_with_positions_and_contracts(env: dict[str, str],
                                                              prices: dict) -> None:
    """A dollar-neutral book: beta(AAA) - beta(CCC), the positions' own regressions, and the
    ES hedge of 5,000,000 sized as beta x value / (price x 50)."""
    ra, rc, xb = (window_returns(prices, t) for t in ("AAA", "CCC", "BBB"))
    proc = run(env, "analyze", "AAA,CCC", "BBB", "--weights", "1,-1", "--start", START,
               "--end", END, "--value", "5000000", "--hedge-with", "ES", "--hedge-price",
               "5900", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    b_a, b_c = np.polyfit(xb, ra, 1)[0], np.polyfit(xb, rc, 1)[0]
    assert out["beta"] == pytest.approx(b_a - b_c, rel=1e-9)
    assert [p["ticker"] for p in out["positions"]] == ["AAA", "CCC"]
    assert out["positions"][0]["beta"] == pytest.approx(b_a, rel=1e-9)
    assert out["positions"][1]["contribution"] == pytest.approx(-b_c, rel=1e-9)
    exact = (b_a - b_c) * 5e6 / (5900 * 50)
    assert out["hedge"]["contracts"] == round(exact)
    assert out["hedge"]["notional"] == pytest.approx(round(exact) * 5900 * 50)
    assert out["hedge"]["residual_beta"] == pytest.approx(
        (b_a - b_c) - round(exact) * 5900 * 50 / 5e6, rel=1e-8)
    assert out["dollar_beta"] == pytest.approx((b_a - b_c) * 5e6, rel=1e-9)
    assert out["gross_exposure"] == 2.0 and out["net_exposure"] == 0.0
    # the same hedge in ETF shares, in the table
    proc = run(env, "analyze", "AAA,CCC", "BBB", "--weights", "1,-1", "--start", START,
               "--end", END, "--value", "5000000", "--hedge-with", "BBB", "--hedge-price",
               "470")
    assert proc.returncode == 0, proc.stderr
    shares = round((b_a - b_c) * 5e6 / 470)
    side = "sell" if shares >= 0 else "buy"
    assert f"Shares to {side}" in proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(f"Shares to {side}"))
    assert line.split()[-1] == str(abs(shares))
    # the positions follow the summary in the table
    rows = {ln.split()[0]: ln.split()[1:] for ln in
            proc.stdout.split("Positions (beta on BBB")[1].splitlines()[2:] if ln.strip()}
    assert float(rows["AAA"][1]) == pytest.approx(b_a, rel=1e-5)
    assert float(rows["CCC"][2]) == pytest.approx(-b_c, rel=1e-5)


@pytest.mark.parametrize("args, words", [
    (["--hedge-with", "ES"], ["--hedge-with ES needs --hedge-price"]),
    (["--hedge-price", "5900"], ["--hedge-price needs --hedge-with"]),
    (["--hedge-with", "ES", "--hedge-price", "5900"], ["needs --value"]),
])
def test_hedge_options_missing_a_part(env: dict[str, str], args: list[str],
                                      words: list[str]) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, *args)
    assert_one_line_error(proc, 2, *words)


@pytest.mark.parametrize("args", [
    [],                                          # neither the price nor the book's value
    ["--hedge-price", "5900"],                   # no --value: it was asked for first
    ["--value", "5000000"],                      # no --hedge-price
    ["--value", "5000000", "--hedge-price", "5900"],
])
def test_a_mistyped_contract_is_named_before_any_missing_option(
        env: dict[str, str], args: list[str]) -> None:
    """``--hedge-with SE`` (meant ES) without a capital said "needs --value" and loaded every
    price first: the unknown code is the error, with the contracts known, before loading."""
    from betahedge_xl.engine import FUTURES_MULTIPLIERS

    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END,
               "--hedge-with", "SE", *args)
    assert_one_line_error(proc, 2, "unknown futures contract 'SE' (did you mean ES?); known: ")
    error = proc.stderr.strip().splitlines()[-1]
    assert all(f"{code} {mult:g}" in error for code, mult in FUTURES_MULTIPLIERS.items()), error
    assert error.endswith("per index point. To hedge with shares of SE, give its beta with "
                          "--hedge-beta")
    assert "--value" not in error and "--hedge-price" not in error
    assert "Loading prices" not in proc.stderr  # said at the door


def test_analyze_returns_files(env: dict[str, str], prices: dict, tmp_path: Path) -> None:
    """--input returns: CSV files of returns regress as given, no first return lost."""
    dates, _ = prices["AAA"]
    keep = (dates >= np.datetime64(START)) & (dates < np.datetime64(END))
    ra, rb = window_returns(prices, "AAA"), window_returns(prices, "BBB")
    for name, r in (("aaa.csv", ra), ("bbb.csv", rb)):
        rows = [f"{d},{x:.17g}" for d, x in zip(dates[keep][1:], r)]
        (tmp_path / name).write_text("Date,Return\n" + "\n".join(rows) + "\n")
    proc = run(env, "analyze", str(tmp_path / "aaa.csv"), str(tmp_path / "bbb.csv"),
               "--input", "returns", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["n_obs"] == len(ra)
    assert out["beta"] == pytest.approx(np.polyfit(rb, ra, 1)[0], rel=1e-10)
    assert out["asset"] == "AAA"
    proc = run(env, "analyze", "AAA", str(tmp_path / "bbb.csv"), "--input", "returns")
    assert_one_line_error(proc, 2, "ASSET: with --input returns give a CSV file of returns")


def test_analyze_without_dates_and_the_bloomberg_preset(env: dict[str, str],
                                                        prices: dict) -> None:
    """No dates: the last two years to the latest price, said in the output; --preset
    bloomberg makes the returns weekly and shows the adjusted beta beside the raw one."""
    dates, _ = prices["AAA"]
    latest = dates[-1]
    start = np.datetime64((latest.astype(object).replace(year=latest.astype(object).year - 2)))
    end = str(latest + np.timedelta64(1, "D"))
    proc = run(env, "analyze", "AAA", "BBB", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    ra = window_returns(prices, "AAA", str(start), end)
    rb = window_returns(prices, "BBB", str(start), end)
    assert out["n_obs"] == len(ra)
    assert out["beta"] == pytest.approx(np.polyfit(rb, ra, 1)[0], rel=1e-9)
    assert out["window"].startswith(f"last 2 years to the latest price, {start}")
    assert "the last two years to the latest price" in proc.stderr
    proc = run(env, "analyze", "AAA", "BBB", "--preset", "bloomberg")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    labels = [ln[:38].strip() for ln in lines]
    assert labels.index("Adjusted beta (Blume)") > labels.index("Beta")
    assert any(ln.startswith("Frequency") and ln.endswith("weekly") for ln in lines)
    assert any(ln.startswith("Preset") and "Bloomberg" in ln for ln in lines)


# ---------------------------------------------------------------------------------------------
# review B9: --out (and every file the writer replaces) is a regular file or nothing
# ---------------------------------------------------------------------------------------------
def test_out_on_a_fifo_or_a_link_to_one_is_refused_before_any_work(env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    for cmd, target in (("hedged", fifo), ("hedged", link), ("report", tmp_path / "r.xlsx")):
        if cmd == "report":
            os.mkfifo(target)
        proc = run(env, cmd, "AAA", "BBB", "--start", START, "--end", END, "--out", str(target))
        assert_one_line_error(proc, 2, f"--out: {target} is not a regular file (a FIFO)")
        assert "Loading prices" not in proc.stderr  # no work was done
        assert target.is_fifo()  # still the FIFO, not replaced by a file
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_the_writer_refuses_a_fifo_and_a_socket(tmp_path: Path) -> None:
    import socket

    from betahedge_xl._files import write_bytes, write_text
    from betahedge_xl.exceptions import InputError

    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"^report: .*f is not a regular file \(a FIFO\); "
                                         r"it was left as it is$"):
        write_bytes(fifo, b"x", "report")
    assert fifo.is_fifo()
    old = Path.cwd()
    os.chdir(tmp_path)  # a short relative name: socket paths are limited to ~100 bytes
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind("s")
            with pytest.raises(InputError, match=r"not a regular file \(a socket\)"):
                write_text("s", "x", "--out")
            assert (tmp_path / "s").is_socket()
    finally:
        os.chdir(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "s"]  # no temporary left


# ---------------------------------------------------------------------------------------------
# review D15: messages that say what is wrong
# ---------------------------------------------------------------------------------------------
def test_a_date_without_a_year_says_so(env: dict[str, str]) -> None:
    for text in ("Jan 2", "2 January", "Jan"):
        proc = run(env, "analyze", "AAA", "BBB", "--start", text)
        assert_one_line_error(proc, 2, f"start: {text!r} has no year; write it as yyyy-mm-dd")
    proc = run(env, "analyze", "AAA", "BBB", "--start", "2 Jan 2020", "--end", "Jan 2 2021",
               "--format", "json")  # with a year, month names still read
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n_obs"] == len(window_returns(make_prices(), "AAA"))


def test_a_start_after_today_says_the_window_has_no_prices(env: dict[str, str]) -> None:
    for start in ("2262-04-11", "2200-01-01"):
        proc = run(env, "analyze", "AAA", "BBB", "--start", start)
        assert_one_line_error(proc, 2, f"--start {start} is after today", "no prices")
        assert "Loading prices" not in proc.stderr and "..today" not in proc.stderr


@pytest.mark.parametrize("cmd", [["cache", "show"], ["cache", "clear"],
                                 ["cache", "import", "data"]])
def test_a_cache_dir_that_is_a_file_is_one_line(env: dict[str, str], tmp_path: Path,
                                               cmd: list[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine")
    env = {**env, "BETAHEDGE_CACHE_DIR": str(afile)}
    proc = run(env, *cmd, cwd=tmp_path)
    assert_one_line_error(proc, 2, f"BETAHEDGE_CACHE_DIR: {afile} is a file, not a folder")
    assert afile.read_text() == "mine"


def test_a_cache_dir_that_is_a_file_stops_an_analysis_that_would_use_the_store(
        env: dict[str, str], tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine")
    env = {k: v for k, v in env.items() if k != "BETAHEDGE_DATA_DIR"}  # Yahoo and the store
    env["BETAHEDGE_CACHE_DIR"] = str(afile)
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END)
    assert_one_line_error(proc, 2, f"BETAHEDGE_CACHE_DIR: {afile} is a file, not a folder")
    assert "Loading prices" not in proc.stderr


def test_a_file_named_like_a_ticker_is_not_a_holdings_file(env: dict[str, str],
                                                          prices: dict, tmp_path: Path) -> None:
    (tmp_path / "AAA").write_text("not holdings\n")
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--format", "json",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    beta = np.polyfit(window_returns(prices, "BBB"), window_returns(prices, "AAA"), 1)[0]
    assert json.loads(proc.stdout)["beta"] == pytest.approx(beta, rel=1e-9)
    # a holdings file still reads when it ends in .csv or has a folder in its path
    (tmp_path / "h.csv").write_text("ticker,weight\nAAA,1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "book").write_text("ticker,weight\nAAA,1\n")
    for name in ("h.csv", os.path.join("sub", "book")):
        proc = run(env, "analyze", name, "BBB", "--start", START, "--end", END, "--format",
                   "json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["beta"] == pytest.approx(beta, rel=1e-9)
    help_text = run(env, "analyze", "--help").stdout
    assert "ends in .csv" in " ".join(help_text.split())


# ---------------------------------------------------------------------------------------------
# review D12: the risk-free unit hint speaks the command line's language
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate, hint", [
    ("5% per period", 'is it --risk-free "5% annual"?'),
    ("5 per period", 'is it --risk-free "5% annual"?'),
    ("0.05 per period", 'is it --risk-free "0.05 annual" or --risk-free "0.05% annual" or '
                        '--risk-free "0.05% per period"?'),
])
def test_risk_free_unit_hint_names_the_option(env: dict[str, str], rate: str,
                                              hint: str) -> None:
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--risk-free", rate)
    assert_one_line_error(proc, 2, hint)
    assert "risk_free_unit" not in proc.stderr
    assert "Loading prices" not in proc.stderr  # refused before any price is read


def test_a_huge_percent_risk_free_rate_is_an_input_error(env: dict[str, str]) -> None:
    from betahedge_xl.engine import risk_free_per_period
    from betahedge_xl.exceptions import InputError

    # the hint tried per-period readings of 500 and overflowed (OverflowError, exit 1)
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--risk-free",
               "500%")
    assert_one_line_error(proc, 2, "risk-free 500 read as annual rates in percent would be "
                                   "500% a year; give 0.05 for 5% a year")
    with pytest.raises(InputError, match=r"would be 500% a year"):
        risk_free_per_period(np.array([500.0]), "annual%", "daily")


def test_a_per_period_rate_is_checked_at_the_presets_frequency(env: dict[str, str]) -> None:
    # 0.5% a week is 30% a year (plausible); read daily it would be 250% a year
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END, "--preset",
               "bloomberg", "--risk-free", "0.5% per period", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    proc = run(env, "analyze", "AAA", "BBB", "--start", START, "--end", END,
               "--risk-free", "0.5% per period")
    assert_one_line_error(proc, 2, "would be 251% a year", '--risk-free "0.5% annual"')
