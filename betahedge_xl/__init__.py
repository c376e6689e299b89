"""betahedge-xl: beta-hedge a stock or a portfolio against a benchmark.

>>> import betahedge_xl as bh
>>> res = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")   # doctest: +SKIP
>>> print(res)                                                        # doctest: +SKIP

Importing the package is light: pandas, statsmodels, scipy and yfinance load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first access (PEP 562) so that Excel's UDF server
# and the command line start fast.
_LAZY = {
    "beta_hedge": "betahedge_xl.analysis",
    "HedgeResult": "betahedge_xl.analysis",
    "backtest": "betahedge_xl.backtesting",
    "BacktestResult": "betahedge_xl.backtesting",
    "fetch_prices": "betahedge_xl.data",
    "load_prices": "betahedge_xl.data",
    "engine": "betahedge_xl.engine",
}

from .exceptions import (  # noqa: E402  (light: no third-party imports)
    BetaHedgeError,
    BetaHedgeWarning,
    DataError,
    DataWarning,
    InputError,
)

__all__ = [
    "BetaHedgeError",
    "BetaHedgeWarning",
    "DataError",
    "DataWarning",
    "InputError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'betahedge_xl' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
