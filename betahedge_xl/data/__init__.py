"""Price data: Yahoo (through yfinance), a folder of CSV files, prices handed in, a local store.

>>> from betahedge_xl.data import load_prices
>>> ps = load_prices(["TSLA", "SPY"], "2014-01-01", "2015-01-01")   # doctest: +SKIP
>>> ps.prices, ps.quality.messages(), ps.source                      # doctest: +SKIP

Environment:

- ``BETAHEDGE_DATA_DIR``: a folder of ``<TICKER>.csv`` files; when set, tickers are read from it
  and the network is never touched.
- ``BETAHEDGE_CACHE_DIR``: where the local store (``prices.sqlite``) lives, instead of the user
  cache folder.

Importing this package loads pandas and numpy only; yfinance loads when Yahoo is first asked.
"""

from __future__ import annotations

from . import quality
from .prices import (
    PriceSet,
    clear_memory,
    clear_store,
    fetch_prices,
    from_frame,
    import_csv_dir,
    load_prices,
    normalise_tickers,
    store_path,
    store_summary,
)
from .quality import QualityReport, TickerQuality, assess

__all__ = [
    "PriceSet",
    "QualityReport",
    "TickerQuality",
    "assess",
    "clear_memory",
    "clear_store",
    "fetch_prices",
    "from_frame",
    "import_csv_dir",
    "load_prices",
    "normalise_tickers",
    "quality",
    "store_path",
    "store_summary",
]
