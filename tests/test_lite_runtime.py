"""Issue 20, point 2: the package imports and runs as in xlwings Lite, in a process with no
curl_cffi, yfinance, matplotlib or xlsxwriter, where no thread can start and the price store's
folder cannot be created (``tests/lite_blocked_scenario.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import officejs_harness as h

HERE = Path(__file__).parent


def test_runs_without_the_desktop_dependencies_and_threads(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "BETAHEDGE_CACHE_DIR": str(blocker / "cache"),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("BETAHEDGE_DATA_DIR", None)
    run = subprocess.run([sys.executable, str(HERE / "lite_blocked_scenario.py")], env=env,
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["blocked_loaded"] == [] and out["threads"] == 1
    assert out["desktop_ticker"].startswith("Yahoo cannot be reached from here: yfinance "
                                            "cannot be imported")

    dates, tsla, spy = h.fixture_prices()
    import numpy as np

    ra, rb = np.diff(tsla) / np.array(tsla[:-1]), np.diff(spy) / np.array(spy[:-1])
    beta = float(np.cov(ra, rb)[0, 1] / np.var(rb, ddof=1))
    for name in ("betahedge_xl.lite", "betahedge_xl.udfs"):
        seen = out[name]
        assert len(seen["registered"]) == 9, name
        assert abs(seen["beta"][0][0] - beta) < 1e-9 and round(seen["beta"][0][0], 3) == 1.954
        assert seen["start_error"] == [["start_date is #VALUE!"]]
        assert seen["busy"][0][0].startswith("waiting for data (#BUSY! in benchmark)")
        assert "cannot reach Yahoo" in seen["ticker"][0][0]
        assert seen["series"][1][0]["type"] == "FormattedNumber"
        assert dict((r[0], r[1]) for r in seen["summary"])["Observations"] == len(dates) - 1
    # the store: its folder cannot be created, so prices are kept in memory, with a warning
    assert out["stored"] == len(dates)
    assert "cannot create folder" in out["store_unwritable"]
    assert any("in memory" in w for w in out["store_warnings"])
