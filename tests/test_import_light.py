"""Importing the package stays light: heavy modules load on first use, not at import."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("statsmodels", "scipy", "yfinance", "matplotlib", "xlwings", "pandas")


def loaded_after(code: str) -> set[str]:
    """Top-level packages among HEAVY present in a fresh interpreter after running ``code``."""
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_package_loads_nothing_heavy():
    assert loaded_after("import betahedge_xl") == set()


def test_import_package_errors_are_light_too():
    assert loaded_after("from betahedge_xl import InputError, DataWarning, __version__") == set()


def test_import_engine_loads_no_statsmodels_scipy_yfinance_matplotlib():
    loaded = loaded_after("import betahedge_xl.engine")
    assert loaded & {"statsmodels", "scipy", "yfinance", "matplotlib", "xlwings"} == set()
    assert "pandas" in loaded  # the engine takes and returns pandas: the probe does see it


def test_p_values_and_intervals_load_no_scipy():
    # scipy.special costs about half a second to import: the t distribution is our own
    # (engine/tdist.py), so a whole `betahedge analyze` never loads scipy.
    code = (
        "import numpy as np, sys\n"
        "from betahedge_xl.engine import ols\n"
        "r = ols(np.array([0.01, -0.02, 0.03, 0.0]), np.array([0.005, -0.01, 0.02, 0.001]))\n"
        "r.pvalues, r.conf_int()\n"
    )
    loaded = loaded_after(code)
    assert "scipy" not in loaded and "statsmodels" not in loaded
    assert "pandas" in loaded  # the probe does see what the fit loads


def test_lazy_attributes_resolve():
    code = "import betahedge_xl as bh\nbh.beta_hedge\nbh.engine.ols\n"
    loaded = loaded_after(code)
    assert "pandas" in loaded
    assert loaded & {"statsmodels", "yfinance", "matplotlib"} == set()
