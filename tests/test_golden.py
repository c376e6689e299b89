"""Behaviour kept: the outputs of a few dozen varied requests (every face) equal the recorded
ones in ``tests/golden/outputs.json``.

The file is written by ``python tests/golden/record.py``, only after a change meant to change
an output (say why in the commit). A move of code that changes any output fails here. Floats
are compared to 1e-12 relative (the oldest and newest dependency versions CI runs may round
the last bits differently); everything else exactly.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import record  # noqa: E402  (tests/golden/record.py)


def _diff(want: Any, got: Any, where: str, out: list[str]) -> None:
    if len(out) > 20:
        return
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        if not math.isclose(want, got, rel_tol=1e-12, abs_tol=1e-15):
            out.append(f"{where}: {want!r} != {got!r}")
    elif isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got or k not in want:
                out.append(f"{where}.{k}: only in {'recorded' if k in want else 'now'}")
            else:
                _diff(want[k], got[k], f"{where}.{k}", out)
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            out.append(f"{where}: {len(want)} items recorded, {len(got)} now")
        for i, (w, g) in enumerate(zip(want, got)):
            _diff(w, g, f"{where}[{i}]", out)
    elif want != got or type(want) is not type(got):
        out.append(f"{where}: {want!r} != {got!r}")


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    return json.loads(json.dumps(record.outputs()))


def test_every_recorded_request_gives_the_same_output(now: dict[str, Any]) -> None:
    want = json.loads(record.GOLDEN.read_text())
    assert sorted(want) == sorted(now)
    problems: list[str] = []
    for name in sorted(want):
        _diff(want[name], now[name], name, problems)
    assert not problems, "outputs changed:\n" + "\n".join(problems)


def test_the_recording_covers_every_face(now: dict[str, Any]) -> None:
    """The check is worth something only if the requests succeeded where they should."""
    ok = [k for k, v in now.items() if isinstance(v, dict) and v.get("status") == 0]
    assert len(ok) >= 14
    assert now["tsla_spy_json"]["stdout"]["beta"] == pytest.approx(1.954, abs=5e-4)
    assert now["udf_stat_beta"] == [[pytest.approx(1.954, abs=5e-4)]]
    assert now["py_pair"]["result"]["n_obs"] == 251
    assert "BetaHedge" in now["report_cells"]["sheets"]
    assert now["bad_ticker"]["status"] != 0 and now["bad_ticker"]["stderr"].count("\n") == 1


def test_a_changed_number_is_caught() -> None:
    """The comparison itself fails on a change in the 12th digit or a changed text."""
    out: list[str] = []
    _diff({"a": [1.0, "x"]}, {"a": [1.0 + 1e-11, "x"]}, "r", out)
    _diff({"a": [1.0, "x"]}, {"a": [1.0, "y"]}, "r", out)
    assert len(out) == 2
