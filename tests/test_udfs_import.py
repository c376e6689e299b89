"""Importing the UDF module is light: Excel's UDF server imports it at the first formula."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("statsmodels", "scipy", "yfinance", "matplotlib")


def _run(code: str) -> dict[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_none_of_the_heavy_libraries() -> None:
    # matplotlib is blocked first because xlwings itself imports it when installed (for its
    # Picture support); the UDF server has paid that before our module loads. Blocking it
    # shows our module does not need it, and the second test below shows it adds nothing.
    got = _run(f"""
        import sys, json
        sys.modules["matplotlib"] = None
        import betahedge_xl.udfs
        heavy = {HEAVY!r}
        print(json.dumps({{"loaded": sorted(m for m in sys.modules
                                            if m.split(".")[0] in heavy
                                            and sys.modules[m] is not None)}}))
    """)
    assert got["loaded"] == []


def test_import_adds_nothing_heavy_to_what_xlwings_loaded() -> None:
    got = _run(f"""
        import sys, json
        import xlwings
        before = set(sys.modules)
        import betahedge_xl.udfs
        heavy = {HEAVY!r}
        added = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in heavy)
        print(json.dumps({{"added": added}}))
    """)
    assert got["added"] == []
