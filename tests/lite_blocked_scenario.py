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

    import betahedge_xl.udfs  # Excel's import of the desktop functions

    import officejs_harness as h

    dates, tsla, spy = h.fixture_prices()
    asset = h.price_range(dates, tsla, "TSLA")
    bench = h.price_range(dates, spy, "SPY")
    # the desktop function, given tickers: no yfinance, so a message, and no thread started
    out["desktop_ticker"] = betahedge_xl.udfs.BETA_HEDGE_STAT("beta", "TSLA", "SPY")
    for name in ("betahedge_xl.lite", "betahedge_xl.udfs"):  # main.py's import, or udfs itself
        seen = out[name] = {}
        with h.lite_runtime(name) as module:
            meta = h.custom_functions_meta(module)
            seen["registered"] = sorted(f["name"] for f in meta["functions"])
            seen["beta"] = h.call(module, "BETA_HEDGE_STAT", "beta", asset, bench)
            seen["start_error"] = h.call(module, "BETA_HEDGE_STAT", "beta", asset, bench,
                                         h.error("#VALUE!"))
            busy = [row[:] for row in bench]
            busy[5][1] = h.error("#BUSY!", "Busy")
            seen["busy"] = h.call(module, "BETA_HEDGE_STAT", "beta", asset, busy)
            seen["ticker"] = h.call(module, "BETA_HEDGE_STAT", "beta", "TSLA", "SPY")
            seen["series"] = h.call(module, "BETA_HEDGE_SERIES", asset, bench)[:3]
            seen["summary"] = h.call(module, "BETA_HEDGE", asset, bench)

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
