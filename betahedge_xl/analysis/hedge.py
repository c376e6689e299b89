"""The front door: a request in, one :class:`HedgeResult` out."""

from __future__ import annotations

import warnings
from typing import Any, cast
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import engine as eng
from .._dates import check_window
from ..engine.table import Table
from .books import PORTFOLIO_NAME, _book, _book_returns, _capital
from .fit import DEFAULT_ROLLING_WINDOW, _Rolling
from .prices import _window_table, default_window
from .request import (
    DEFAULT_OOS_SPLIT,
    PRESETS,
    _check_amounts,
    _check_arguments,
    _holdings,
    _input_kind,
    _Leg,
    _leg,
    _positive_capital,
    _preset,
)
from .result import HedgeResult
from .sample import (
    MIN_RELIABLE_OBS,
    _check_book_names,
    _check_handed,
    _common_dates,
    _frequency,
    _judge_moves,
    _returns_as_levels,
)
from .sizing import front_door
from ..exceptions import (
    DataWarning,
    InputError,
    InsufficientDataError,
)


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

    Parameters
    ----------
    asset
        A ticker (``"TSLA"``), a Series of adjusted prices, or a portfolio: a list of tickers
        (or a price DataFrame) with ``weights`` or ``shares``, or a ``{ticker: weight}`` mapping.
    benchmark
        A ticker, a list of tickers (several regressors, e.g. ``["SPY", "XLK"]``), or prices.
    start, end
        Window of prices: ``start`` inclusive, ``end`` exclusive (as ``yfinance.download``).
        Strings, dates, Timestamps or Excel serial numbers. Tickers with neither: the last
        two years to the latest price all of them have (Bloomberg BETA's default window),
        stated in the summary; prices or returns handed in are used whole.
    frequency
        ``"daily"``, ``"weekly"`` (weeks ending Friday) or ``"monthly"``. Default: daily, or
        the prices' own frequency when they are sparser (month-end prices give monthly
        returns, and the result says so). Asking for a frequency finer than the prices
        have (daily of month-end prices) is refused, naming the frequency to ask for.
    returns
        ``"simple"`` or ``"log"``.
    risk_free
        A constant rate or a Series of rates by date; both sides of the regression become
        excess returns.
    risk_free_unit
        What the risk-free numbers are: ``"annual"`` (0.02 for 2% a year), ``"annual%"``
        (2.0; FRED's T-bill series), ``"period"`` (each period's risk-free return, 0.0001) or
        ``"period%"`` (Ken French's monthly ``RF`` with ``frequency="monthly"``). Default:
        ``"annual"`` for a constant, ``"period"`` for a Series. Values implausible in the
        declared unit (above 100% a year once converted) are refused.
    cov_type, maxlags
        ``"nonrobust"`` (classical) or ``"HAC"`` (Newey-West with ``maxlags`` lags; default
        ``floor(4 (n/100)^(2/9))``). ``maxlags`` alone means HAC, as on the command line and
        in a cell; ``maxlags`` with ``"nonrobust"`` is refused. Default: classical.
    rolling_window
        Periods of the rolling beta (default 63 daily, 26 weekly, 12 monthly).
    weights, shares
        Holdings of a portfolio given as a list of tickers. Weights are fractions of the
        book's capital, taken as given (``[1.3, -0.3]`` is 130/30, ``[1, -1]``
        dollar-neutral, ``[0.6]`` 60% invested; weights summing to about 100 are read as
        percent and the summary says so), rebalanced each period of the frequency; the rest
        of the capital is cash at zero, or at the risk-free rate when one is given. Share
        counts (negative for shorts) are held unchanged; the book's return is its P&L over
        its gross exposure at the start of each period, or over ``capital``.
    oos_split
        Fraction of the sample, 0 < split < 1 (or a date), at which the out-of-sample check
        splits; ``None`` means the default 0.5.
    refresh
        Ask the source again even for stored prices.
    input
        ``"prices"`` (default) or ``"returns"``: the Series/DataFrames handed in are simple
        returns per period (what a PM's system exports), taken as given within the window;
        no return is computed from them and none is dropped but those on dates the other
        side lacks.
    preset
        ``"bloomberg"``: weekly returns (weeks ending Friday) over the default two-year
        window, the adjusted (Blume) beta beside the raw one, as BETA <GO> lays them out.
    capital
        The book's capital in currency: the return base of a shares book, and what the
        dollar beta (beta x capital) and the benchmark notional to sell are computed on.

    Returns
    -------
    HedgeResult
    """
    request = dict(locals())  # the arguments as given, to measure a beta to a hedge instrument
    rolling_window, maxlags, oos_split = _check_arguments(rolling_window, maxlags, oos_split)
    cov_type = eng.cov_key(cov_type, maxlags)
    if cov_type == "nonrobust" and maxlags is not None:
        raise InputError("maxlags: lags apply to HAC standard errors; set cov_type to HAC or "
                         "leave maxlags out")
    _check_amounts(asset if isinstance(asset, Mapping) else weights, "weights")
    _check_amounts(shares, "shares")
    s, e = check_window(start, end)
    cap = _positive_capital(capital)
    given = _input_kind(input, asset, benchmark)
    if isinstance(frequency, str) and frequency.strip().lower() in PRESETS:
        preset = preset or frequency  # the preset where a frequency is typed (Excel cells)
    preset_name = _preset(preset)
    asked: str | None = None if preset_name is None and (
        frequency is None or (isinstance(frequency, str) and not frequency.strip())) else (
        eng.normalize_frequency("weekly" if preset_name else frequency))
    freq: str = asked or "daily"
    method = eng.normalize_method(returns)
    rf_series = isinstance(risk_free, (pd.Series, pd.DataFrame))
    rf_unit = eng.normalize_rf_unit(risk_free_unit, "period" if rf_series else "annual")
    risk_free = eng.risk_free_rate(risk_free, rf_unit, freq)
    asset_leg, holdings, kind = _holdings(asset, weights, shares)
    bench_leg = _leg(benchmark, "benchmark")
    if holdings is None and set(asset_leg.names) & set(bench_leg.names):
        if asset_leg.prices is None or bench_leg.prices is None or len(bench_leg.names) != 1:
            raise InputError(f"asset and benchmark are the same: {asset_leg.names[0]}")
        # Two price Series of the same name (df_a["Close"], df_b["Close"]) are common.
        asset_leg = asset_leg.renamed(["asset"])
        bench_leg = bench_leg.renamed(["benchmark"])

    notes: list[str] = []
    tickers = list(dict.fromkeys(asset_leg.tickers + bench_leg.tickers))
    quality = source = None
    fetched: pd.DataFrame | None = None
    if tickers:
        from ..data import load_prices

        priceset = load_prices(tickers, s, e, refresh=refresh)
        # A hedge needs every leg: a ticker that failed is the error to report, not the
        # "no prices" that its empty column would cause further down.
        for ticker in tickers:
            if ticker in priceset.errors:
                raise priceset.errors[ticker]
        fetched, quality, source = priceset.prices, priceset.quality, priceset.source
        notes += priceset.messages()
    window_note = None
    if s is None and e is None and fetched is not None and asset_leg.prices is None \
            and bench_leg.prices is None:
        s, e, window_note = default_window(fetched)
        if quality is not None:
            # The report over the window chosen, not over all history to today: the window
            # ends at the latest price, so "prices end ... before the window end today" is
            # not a finding.
            from ..data.quality import assess

            stale = set(quality.messages())
            quality = assess(fetched, s, e)
            notes = [m for m in notes if m not in stale] + quality.messages()

    stored = None if fetched is None else Table.of(fetched, copy=False)  # read once, both legs

    def windowed(leg: _Leg) -> Table:
        if leg.prices is not None:
            return _window_table(leg.prices, s, e)
        assert stored is not None
        return _window_table(stored, s, e, leg.tickers)

    # Window each leg before joining: the join then works on a year, not on decades. From
    # here on prices and returns are plain arrays (a Table); pandas objects are built only
    # where a book needs them or when a result's frame is read.
    raw_asset, raw_bench = windowed(asset_leg), windowed(bench_leg)
    if given == "returns":
        freq, said = _frequency(asked, _common_dates(raw_asset, raw_bench), "returns")
        notes += said
        a_levels, b_levels, lost = _returns_as_levels(raw_asset.frame, raw_bench.frame, freq)
        raw_asset, raw_bench = Table.of(a_levels), Table.of(b_levels)
        if lost:
            notes.append(f"{lost} date(s) dropped to align asset and benchmark returns")
    if np.array_equal(raw_asset.dates, raw_bench.dates):
        # Same dates (the usual case): one block of numbers, no join machinery.
        table = raw_asset.with_values(np.hstack([raw_asset.values, raw_bench.values]),
                                      raw_asset.names + raw_bench.names)
    else:
        table = Table.of(pd.concat([raw_asset.frame, raw_bench.frame], axis=1, sort=True))
    if holdings is not None:
        _check_book_names(raw_asset, raw_bench)
    if len(set(table.names)) < len(table.names):
        dup = next(c for i, c in enumerate(table.names) if c in table.names[:i])
        if holdings is None:
            raise InputError(f"{dup} is both in the asset and the benchmark")
        # A portfolio may hold its own benchmark (an index ETF hedged with that ETF).
        table = table.columns(list(dict.fromkeys(table.names)))
    handed = [c for leg in (asset_leg, bench_leg) if leg.prices is not None
              for c in leg.prices.names]
    if handed:
        table, own = _check_handed(table, list(dict.fromkeys(handed)), s, e)
        notes += own.messages()
        if quality is None:
            quality = own
    if quality is not None and hasattr(quality, "tickers"):
        quality, notes = _judge_moves(quality, notes, table, raw_bench.names[0])
    # Constituents are resampled before a portfolio is formed: a weights portfolio is
    # rebalanced each period of the frequency (weekly returns are the weighted weekly returns).
    # Dates lost to alignment are named by the data-quality report every leg now has.
    if given == "prices":
        with np.errstate(invalid="ignore"):
            every = (table.values > 0).all(axis=1)
        freq, said = _frequency(asked, table.dates[every], "prices")
        notes += said
    rf_note = eng.risk_free_note(risk_free, rf_unit, freq)
    if rf_note is not None:
        notes.insert(0, rf_note)
    px = eng.prepare_table(table, freq)
    asset_cols = raw_asset.names
    bench_cols = raw_bench.names
    if holdings is not None:
        asset_name = PORTFOLIO_NAME
        assert kind is not None
        book_prices, book_rets, held, shown, starts = _book_returns(
            px.frame, asset_cols, bench_cols, holdings, kind, cap, risk_free, freq, method,
            rf_unit)
        prices, rets = Table.of(book_prices), Table.of(book_rets)
    else:
        asset_name = asset_cols[0]
        prices = px  # the asset's one column, then the benchmarks
        rets = eng.excess_table(eng.return_table(prices, method), risk_free, freq, method,
                                rf_unit)
    if len(rets) < 3:
        raise InsufficientDataError(
            f"too few observations: {len(rets)} {freq} return(s) between "
            f"{pd.Timestamp(prices.dates[0]):%Y-%m-%d} and "
            f"{pd.Timestamp(prices.dates[-1]):%Y-%m-%d}, need at least 3"
            if len(prices) else "no prices in the window"
        )

    if len(rets) < MIN_RELIABLE_OBS:
        notes.append(f"only {len(rets)} {freq} returns: fewer than {MIN_RELIABLE_OBS}, the "
                     f"statistics are unreliable")

    y = rets.column(asset_name)
    x = rets.columns(bench_cols).values
    # The fit's own warnings (nearly collinear benchmarks) join the result's notes; the
    # verification and out-of-sample fits see the same benchmarks and would only repeat them.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        fit = eng.fit_arrays(y, x, bench_cols, index=rets, y_name=asset_name,
                             cov_type=cov_type, maxlags=maxlags)
    for w in caught:
        if not issubclass(w.category, DataWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in notes:
            notes.append(str(w.message))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        check = eng.apply_hedge(y, x, fit, index=rets, names=bench_cols)
        try:
            oos = eng.out_of_sample_arrays(y, x, oos_split, rets.dates, bench_cols)
        except InsufficientDataError:
            oos = None
            notes.append("sample too short for the out-of-sample check")
    book = None
    if holdings is not None:
        assert kind is not None
        book = _book(px.frame, holdings, kind, cap, risk_free, held,
                     rets.frame[bench_cols], shown, starts)

    window_n = (rolling_window if rolling_window is not None
                else DEFAULT_ROLLING_WINDOW[freq])
    try:
        eng.check_rolling_window(window_n, len(rets), len(bench_cols))
        rolling = _Rolling(rets, asset_name, bench_cols, window_n)
    except InsufficientDataError:
        rolling = _Rolling(rets, asset_name, bench_cols, None)
        notes.append(f"sample shorter than the {window_n}-period rolling window")

    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    rf_label: float | str
    if rf_series:
        rf_label = "a per-period series" if rf_unit == "period" else (
            f"a series of {eng.rf_unit_words(rf_unit)}")
    elif rf_unit == "annual" or float(risk_free) == 0.0:
        rf_label = float(risk_free)
    else:
        rf_label = (f"{float(risk_free):g}{'%' if rf_unit.endswith('%') else ''} "
                    f"{'a year' if rf_unit.startswith('annual') else 'per period'}")
    return HedgeResult(
        asset=asset_name,
        benchmarks=bench_cols,
        start=s,
        end=e,
        frequency=freq,
        method=method,
        risk_free=rf_label,
        # Tables and the rolling betas read as DataFrames through _Frame, built when read.
        prices=cast(pd.DataFrame, prices),
        returns=cast(pd.DataFrame, rets),
        fit=fit,
        hedge=check,
        oos=oos,
        rolling_beta=cast(pd.DataFrame, rolling),
        rolling_window=window_n,
        holdings=holdings,
        holdings_kind=kind,
        book=book,
        capital=_capital(cap, book),
        input=given,
        window_note=window_note,
        preset=preset_name,
        quality=quality,
        source=source or "memory",
        warnings=notes,
        request=request,
    )
