"""The front door: a request in, one :class:`HedgeResult` out.

:func:`beta_hedge` reads as the path a request takes: what was asked (:mod:`.request`), the
prices it needs (:mod:`.prices`), the sample (:mod:`.sample`), the fit and its checks
(:mod:`.fit`), and the result (:mod:`.result`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd

from ..exceptions import DataWarning
from .books import Book, _capital
from .fit import Fit, _Rolling, fit_sample, rolling_betas
from .prices import Prices, load
from .request import DEFAULT_OOS_SPLIT, Request, documented, read_request
from .result import HedgeResult
from .sample import Sample, form_book, form_sample
from .sizing import front_door


@documented
@front_door
def beta_hedge(
    asset: Any,
    benchmark: Any,
    start: Any = None,
    end: Any = None,
    *,
    frequency: Any = None,
    returns: Any = "simple",
    risk_free: float | pd.Series | pd.DataFrame = 0.0,
    risk_free_unit: str | None = None,
    cov_type: str | None = None,
    maxlags: int | None = None,
    rolling_window: int | None = None,
    weights: Sequence[float] | None = None,
    shares: Sequence[float] | None = None,
    oos_split: float | Any = DEFAULT_OOS_SPLIT,
    refresh: bool = False,
    capital: float | None = None,
    input: str = "prices",  # noqa: A002  (the name users type, as in the issue)
    preset: str | None = None,
) -> HedgeResult:
    """Regress the asset's returns on the benchmark's, hedge, and check the hedge.

    """
    request = dict(locals())  # the arguments as given, to measure a beta to a hedge instrument
    asked = read_request(**request)
    prices = load(asked)
    sample = form_sample(asked, prices)
    fit = fit_sample(asked, sample)
    book = form_book(asked, sample)
    rolling, window, notes = rolling_betas(asked, sample, fit.notes)
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    return _result(asked, prices, sample, fit, book, rolling, window, notes, request)


def _result(
    asked: Request, prices: Prices, sample: Sample, fit: Fit, book: Book | None,
    rolling: _Rolling, window: int, notes: list[str], request: dict[str, Any],
) -> HedgeResult:
    """The stages' outcomes as one :class:`HedgeResult`."""
    return HedgeResult(
        asset=sample.asset,
        benchmarks=sample.benchmarks,
        start=prices.start,
        end=prices.end,
        frequency=sample.frequency,
        method=asked.method,
        risk_free=asked.risk_free_label(),
        # Tables and the rolling betas read as DataFrames through _Frame, built when read.
        prices=cast(pd.DataFrame, sample.prices),
        returns=cast(pd.DataFrame, sample.returns),
        fit=fit.fit,
        hedge=fit.hedge,
        oos=fit.oos,
        rolling_beta=cast(pd.DataFrame, rolling),
        rolling_window=window,
        holdings=asked.holdings,
        holdings_kind=asked.kind,
        book=book,
        capital=_capital(asked.capital, book),
        input=asked.input,
        window_note=prices.window_note,
        preset=asked.preset,
        quality=sample.quality,
        source=prices.source or "memory",
        warnings=notes,
        request=request,
    )
