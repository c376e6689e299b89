"""Run as a script by ``tests/test_lite_runtime.py``: the package as xlwings Lite runs it.

Pyodide has no ``curl_cffi`` (so no ``yfinance``), the package's requirements leave out
matplotlib and xlsxwriter there, and no thread can start. This process makes each of those
true (a meta-path finder refuses the imports, ``threading.Thread.start`` raises), points the
price store at a folder that cannot be created, then imports ``betahedge_xl.udfs``, registers
the Lite functions through the Office.js dispatch model and calls them. It prints one JSON
object with what it saw; the test asserts on it.
"""

from __future__ import annotations

import importlib.abc
import json
import sys
import threading
import warnings
from typing import Any

BLOCKED = ("curl_cffi", "yfinance", "matplotlib", "xlsxwriter")


class _NotInPyodide(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named {name!r} (not in Pyodide)")
        return None


def _no_thread(self: threading.Thread) -> None:
    raise RuntimeError("can't start new thread (Pyodide has no threads)")


def main() -> dict[str, Any]:
    sys.meta_path.insert(0, _NotInPyodide())
    threading.Thread.start = _no_thread  # type: ignore[method-assign]
    out: dict[str, Any] = {}

    import betahedge_xl.udfs  # noqa: F401  (Excel's import of the desktop functions)

    import officejs_harness as h

    dates, tsla, spy = h.fixture_prices()
    asset = h.price_range(dates, tsla, "TSLA")
    bench = h.price_range(dates, spy, "SPY")
    with h.lite_runtime() as lite:
        out["registered"] = sorted(f["name"] for f in h.custom_functions_meta(lite)["functions"])
        out["beta"] = h.call(lite, "BETA_HEDGE_STAT", "beta", asset, bench)
        out["start_error"] = h.call(lite, "BETA_HEDGE_STAT", "beta", asset, bench,
                                    h.error("#VALUE!"))
        busy = [row[:] for row in bench]
        busy[5][1] = h.error("#BUSY!", "Busy")
        out["busy"] = h.call(lite, "BETA_HEDGE_STAT", "beta", asset, busy)
        out["ticker"] = h.call(lite, "BETA_HEDGE_STAT", "beta", "TSLA", "SPY")
        out["series"] = h.call(lite, "BETA_HEDGE_SERIES", asset, bench)[:3]
        out["summary"] = h.call(lite, "BETA_HEDGE", asset, bench)

    from betahedge_xl.data import store

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        st = store.get_store()
        import pandas as pd

        prices = pd.Series(tsla, index=pd.DatetimeIndex(dates))
        st.write("TSLA", prices, None, "test", pd.Timestamp("2026-01-01"))
        out["stored"] = len(st.read(["TSLA"])["TSLA"])
    out["store_unwritable"] = st.unwritable
    out["store_warnings"] = [str(w.message) for w in caught]
    out["blocked_loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    out["threads"] = threading.active_count()
    return out


if __name__ == "__main__":
    print(json.dumps(main(), default=str))
