"""Raw failures turned into one line (issue 19): a looping link in the CSV folder, an --out
name too long for the file system, counts such as 1e22, SIGTERM in the middle of a write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.cli import main
from betahedge_xl.exceptions import InputError


def _csvs(folder: Path) -> Path:
    folder.mkdir()
    idx = pd.bdate_range("2014-01-02", periods=120)
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.01, len(idx))
    for t, r in (("SPY", x), ("AAA", 1.5 * x + rng.normal(0, 0.005, len(idx)))):
        pd.DataFrame({"Date": idx.strftime("%Y-%m-%d"), "Close": 100 * np.cumprod(1 + r)}
                     ).to_csv(folder / f"{t}.csv", index=False)
    return folder


def test_a_self_referencing_link_in_the_data_dir_does_not_stop_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = _csvs(tmp_path / "csv")
    os.symlink("LOOP.csv", folder / "LOOP.csv")  # a link to itself: ELOOP on every look
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(folder))
    assert main(["analyze", "AAA", "SPY", "--format", "json"]) == 0
    assert '"beta"' in capsys.readouterr().out
    assert main(["analyze", "AAA", "LOOP"]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "OSError" not in err and len(err.strip().splitlines()) >= 1


@pytest.mark.parametrize("command, suffix", [("report", ".xlsx"), ("hedged", ".csv")])
def test_an_out_name_too_long_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], command: str,
                                          suffix: str) -> None:
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(_csvs(tmp_path / "csv")))
    out = tmp_path / ("x" * 300 + suffix)
    assert main([command, "AAA", "SPY", "--out", str(out)]) == InputError.exit_code
    err = capsys.readouterr().err.strip()
    assert err == f"betahedge: error: --out: the file name is {300 + len(suffix)} bytes long; " \
                  f"the file system allows at most 255"


def test_counts_of_1e22_are_refused_by_name_in_every_face() -> None:
    import betahedge_xl as bh
    from betahedge_xl.excel.cells import cov_options

    idx = pd.bdate_range("2014-01-02", periods=120)
    rng = np.random.default_rng(4)
    a = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, 120)), idx, name="A")
    b = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, 120)), idx, name="B")
    with pytest.raises(InputError, match=r"^maxlags: 1e\+22 is larger than any sample"):
        bh.beta_hedge(a, b, cov_type="HAC", maxlags=1e22)
    with pytest.raises(InputError, match=r"^rolling_window: 1e\+22 is larger than any sample"):
        bh.beta_hedge(a, b, rolling_window=1e22)
    for typed in (1e22, "1e22"):  # a cell holding the number, or the text
        with pytest.raises(InputError, match=r"^Max lags: .* is larger than any sample"):
            cov_options(None, typed, "Covariance", "Max lags")


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code = f"""
import sys, time
from pathlib import Path
from betahedge_xl import cli
from betahedge_xl._files import replacing

def slow(args, console):
    with replacing(Path({str(target)!r}), "--out") as tmp:
        tmp.write_text("half written")
        print(tmp, flush=True)
        time.sleep(60)
    return 0

cli.cache.cmd_cache_clear = slow  # the module whose add_parser registers it
sys.exit(cli.main(["cache", "clear"]))
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "BETAHEDGE_CACHE_DIR": str(tmp_path / "c")})
    assert proc.stdout is not None
    tmp = Path(proc.stdout.readline().strip())
    assert tmp.exists()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip() == "betahedge: terminated"
    assert not tmp.exists() and not target.exists()
    assert list(tmp_path.iterdir()) == []  or all(p.name == "c" for p in tmp_path.iterdir())
