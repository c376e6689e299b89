"""Where data meets the engine: a request in, one :class:`HedgeResult` out.

Every face (Excel functions, the refresh button, the command line, Python) calls
:func:`beta_hedge`; none of them computes anything itself. The modules read as the path a
request takes:

- :mod:`.request`: what was asked (legs, holdings, window, preset, units), checked once;
- :mod:`.prices`: the prices it needs, fetched and windowed;
- :mod:`.sample`: the returns regressed (aligned, resampled; a book formed, :mod:`.books`);
- :mod:`.fit`: the regression and its checks (hedge, out of sample, rolling betas);
- :mod:`.result`: what came out, :class:`HedgeResult`, with its statsmodels-style view
  (:mod:`.view`), advice and risk (:mod:`.advice`), book and hedge sizing (:mod:`.sizing`),
  summary rows (:mod:`.rows`) and display (:mod:`.display`);
- :mod:`.hedge`: :func:`beta_hedge`, those stages in order.
"""

from __future__ import annotations

from .books import PORTFOLIO_NAME, Book
from .display import SummaryFrame
from .fit import DEFAULT_ROLLING_WINDOW
from .hedge import beta_hedge
from .prices import DEFAULT_YEARS, default_window
from .request import DEFAULT_OOS_SPLIT, PRESETS, _leg, _Leg
from .result import HedgeResult
from .sample import MIN_RELIABLE_OBS

__all__ = [
    "DEFAULT_OOS_SPLIT",
    "DEFAULT_ROLLING_WINDOW",
    "DEFAULT_YEARS",
    "MIN_RELIABLE_OBS",
    "PORTFOLIO_NAME",
    "PRESETS",
    "Book",
    "HedgeResult",
    "SummaryFrame",
    "_Leg",
    "_leg",
    "beta_hedge",
    "default_window",
]
