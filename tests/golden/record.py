"""Outputs of a few dozen varied requests, recorded so that a change of the house (modules
moved, split, renamed) can be shown to change no behaviour.

Every face is asked: the command line (JSON, CSV, the table text, the hedged series, the
backtest), the Python API (``to_dict()`` of single assets, books and backtests) and the
worksheet functions (through xlwings' own UDF dispatch), plus the cell values of a report
workbook. Prices are the package's own real sample (``betahedge_xl/sample``), read as a CSV
folder, so nothing touches the network.

Record (after a change that is MEANT to change an output, and only then)::

    python tests/golden/record.py

``tests/test_golden.py`` computes the same outputs and compares them with the file.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "betahedge_xl" / "sample"
GOLDEN = HERE / "outputs.json"

#: Command-line requests: (name, arguments). Each runs as ``betahedge ARGS`` in a subprocess.
CLI: list[tuple[str, list[str]]] = [
    ("tsla_spy_json", ["analyze", "TSLA", "SPY", "--start", "2014-01-01", "--end", "2015-01-01",
                       "--format", "json"]),
    ("tsla_spy_csv", ["analyze", "TSLA", "SPY", "--start", "2014-01-01", "--end", "2015-01-01",
                      "--format", "csv"]),
    ("tsla_spy_table", ["analyze", "TSLA", "SPY", "--start", "2014-01-01", "--end", "2015-01-01"]),
    ("aapl_weekly_log", ["analyze", "AAPL", "SPY", "--start", "2013-01-01", "--end", "2015-12-31",
                         "-f", "weekly", "--returns", "log", "--format", "json"]),
    ("msft_monthly", ["analyze", "MSFT", "SPY", "--start", "2013-01-01", "--end", "2016-01-01",
                      "-f", "monthly", "--format", "json"]),
    ("aapl_hac", ["analyze", "AAPL", "SPY", "--start", "2014-01-01", "--end", "2015-06-30",
                  "--maxlags", "5", "--format", "json"]),
    ("tsla_two_benchmarks", ["analyze", "TSLA", "SPY,XLK", "--start", "2014-01-01",
                             "--end", "2015-01-01", "--format", "json"]),
    ("tsla_riskfree_sizing", ["analyze", "TSLA", "SPY", "--start", "2014-01-01",
                              "--end", "2015-01-01", "--risk-free", "2%", "--capital", "1000000",
                              "--hedge-with", "SPY", "--hedge-price", "205",
                              "--format", "json"]),
    ("book_weights", ["analyze", "AAPL,MSFT,TSLA", "SPY", "--weights", "0.5,0.3,0.2",
                      "--start", "2014-01-01", "--end", "2015-06-30", "--format", "json"]),
    ("book_long_short", ["analyze", "AAPL,MSFT", "SPY", "--weights", "1,-1",
                         "--start", "2013-06-01", "--end", "2015-06-01", "--format", "json"]),
    ("book_shares", ["analyze", "AAPL,TSLA", "SPY", "--shares", "100,-20",
                     "--start", "2014-01-01", "--end", "2015-01-01", "--format", "json"]),
    ("oos_rolling", ["analyze", "XLK", "SPY", "--start", "2013-01-01", "--end", "2016-01-01",
                     "--oos-split", "0.6", "--rolling-window", "40", "--format", "json"]),
    ("hedged_csv", ["hedged", "TSLA", "SPY", "--start", "2014-01-01", "--end", "2014-03-01"]),
    ("backtest_json", ["backtest", "TSLA", "SPY", "--start", "2013-01-01", "--end", "2016-01-01",
                       "--format", "json"]),
    ("bad_ticker", ["analyze", "NOPE", "SPY", "--start", "2014-01-01", "--end", "2015-01-01"]),
    ("reversed_dates", ["analyze", "TSLA", "SPY", "--start", "2015-01-01", "--end", "2014-01-01"]),
]

#: Worksheet functions: (name, function, arguments as Excel passes them to xlwings; a list of
#: rows is a range of cells).
UDF: list[tuple[str, str, list[Any]]] = [
    ("udf_beta_hedge", "BETA_HEDGE", ["TSLA", "SPY", "2014-01-01", "2015-01-01"]),
    ("udf_beta_hedge_weekly", "BETA_HEDGE", ["AAPL", "SPY", "2013-01-01", "2015-01-01",
                                             "weekly", "log"]),
    ("udf_stat_beta", "BETA_HEDGE_STAT", ["beta", "TSLA", "SPY", "2014-01-01", "2015-01-01"]),
    ("udf_stat_alpha_hac", "BETA_HEDGE_STAT", ["alpha_se", "MSFT", "SPY", "2014-01-01",
                                               "2015-01-01", None, None, "HAC", None, 4.0]),
    ("udf_stat_names", "BETA_HEDGE_STAT", ["?"]),
    ("udf_series", "BETA_HEDGE_SERIES", ["TSLA", "SPY", "2014-01-01", "2014-02-01"]),
    ("udf_rolling", "BETA_HEDGE_ROLLING", ["TSLA", "SPY", 20.0, "2014-01-01", "2014-04-01"]),
    ("udf_prices", "BETA_HEDGE_PRICES", [[["TSLA", "SPY"]], "2014-01-01", "2014-01-15"]),
    ("udf_size", "BETA_HEDGE_SIZE", [1.954, 1_000_000.0, 205.0]),
    ("udf_portfolio", "BETA_HEDGE_PORTFOLIO", [[["AAPL"], ["MSFT"]], [[0.6], [0.4]], "SPY",
                                               "2014-01-01", "2015-01-01"]),
    ("udf_positions", "BETA_HEDGE_POSITIONS", [[["AAPL"], ["MSFT"]], [[100.0], [-50.0]], "SPY",
                                               "2014-01-01", "2015-01-01", "shares"]),
    ("udf_backtest", "BETA_HEDGE_BACKTEST", ["TSLA", "SPY", "2013-01-01", "2016-01-01"]),
    ("udf_bad_stat", "BETA_HEDGE_STAT", ["betta", "TSLA", "SPY", "2014-01-01", "2015-01-01"]),
]

#: A time of day in a text (a run time, an as-of stamp): not a behaviour, masked.
_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?( ?UTC|Z|[+-]\d{2}:?\d{2})?")


def _clock(match: re.Match[str]) -> str:
    """A run time is masked; a date written with a midnight time is data, kept."""
    text = match.group(0)
    return text if re.search(r"[ T]00:00(:00)?(\.0+)?$", text) else "<time>"


def _norm(value: Any, tmp: str) -> Any:
    """Outputs as comparable JSON: floats kept, clock times and temporary paths masked."""
    if isinstance(value, dict):
        return {str(k): _norm(v, tmp) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_norm(v, tmp) for v in value]
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, str):
        value = value.replace(tmp, "<tmp>").replace(str(SAMPLE), "<sample>")
        return _CLOCK.sub(_clock, value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (int, bool)):
        return value
    return repr(value)


def _env(tmp: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(BETAHEDGE_DATA_DIR=str(SAMPLE), BETAHEDGE_CACHE_DIR=str(Path(tmp) / "cache"),
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               NO_COLOR="1", COLUMNS="100", TZ="UTC")
    return env


def _cli(tmp: str) -> Iterator[tuple[str, Any]]:
    env = _env(tmp)
    for name, args in CLI:
        proc = subprocess.run([sys.executable, "-m", "betahedge_xl.cli", "-q", *args],
                              capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
        out: Any = proc.stdout
        if "--format" in args and args[args.index("--format") + 1] == "json" and proc.stdout:
            out = json.loads(proc.stdout)
        yield name, {"status": proc.returncode, "stdout": out, "stderr": proc.stderr}
    # A report: every cell value of every sheet (charts are checked by their own tests).
    xlsx = Path(tmp) / "report.xlsx"
    proc = subprocess.run([sys.executable, "-m", "betahedge_xl.cli", "-q", "report", "AAPL,MSFT",
                           "SPY", "--weights", "1,-0.8", "--start", "2014-01-01",
                           "--end", "2015-06-01", "--out", str(xlsx)],
                          capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
    cells: dict[str, Any] = {"status": proc.returncode, "stderr": proc.stderr}
    if xlsx.exists():
        import openpyxl

        book = openpyxl.load_workbook(xlsx)
        cells["sheets"] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()]
                           for ws in book.worksheets}
    yield "report_cells", cells


def _python(tmp: str) -> Iterator[tuple[str, Any]]:
    import warnings

    import pandas as pd

    import betahedge_xl as bh

    px = {t: pd.read_csv(SAMPLE / f"{t}.csv", index_col=0, parse_dates=True).iloc[:, 0].rename(t)
          for t in ("TSLA", "SPY", "AAPL", "MSFT", "XLK")}
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("py_pair", lambda: bh.beta_hedge(px["TSLA"], px["SPY"], "2014-01-01", "2015-01-01")),
        ("py_two_bench", lambda: bh.beta_hedge(px["AAPL"], pd.concat([px["SPY"], px["XLK"]],
                                                                      axis=1), "2014-01-01",
                                               "2015-06-01", cov_type="HAC", maxlags=3)),
        ("py_book", lambda: bh.beta_hedge(pd.concat([px["AAPL"], px["MSFT"], px["XLK"]], axis=1),
                                          px["SPY"], "2013-06-01", "2015-06-01",
                                          weights=[0.4, 0.4, 0.2], frequency="weekly")),
        ("py_backtest", lambda: bh.backtest(px["TSLA"], px["SPY"], "2013-01-01", "2016-01-01")),
    ]
    for name, call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = call().to_dict()
            except Exception as exc:  # noqa: BLE001 - the refusal is the output
                out = {"error": type(exc).__name__, "message": str(exc)}
        yield name, {"result": out, "warnings": sorted(str(w.message) for w in caught)}


def _udfs(tmp: str) -> Iterator[tuple[str, Any]]:
    sys.path.insert(0, str(HERE.parent))
    from xlwings_harness import xlwings_windows  # type: ignore[import-not-found]

    old = {k: os.environ.get(k) for k in ("BETAHEDGE_DATA_DIR", "BETAHEDGE_CACHE_DIR")}
    os.environ.update(BETAHEDGE_DATA_DIR=str(SAMPLE), BETAHEDGE_CACHE_DIR=str(Path(tmp) / "c2"))
    try:
        from xlwings_harness import FakeXlRange  # type: ignore[import-not-found]

        with xlwings_windows() as xl:
            for name, func, args in UDF:
                xl.module.clear_memo()
                # A list of rows stands for a range of cells, as pywin32 hands one over.
                cells = [FakeXlRange(a) if isinstance(a, list) else a for a in args]
                yield name, xl.call(func, *cells)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def outputs() -> dict[str, Any]:
    """Every recorded output, computed now."""
    with tempfile.TemporaryDirectory() as tmp:
        got: dict[str, Any] = {}
        for part in (_cli, _python, _udfs):
            for name, value in part(tmp):
                got[name] = _norm(value, tmp)
        return got


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(outputs(), indent=1, sort_keys=True) + "\n")
    print(f"recorded {GOLDEN.name}")
