"""What was asked: legs, holdings, window, preset, units, every check of the request."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable, Mapping, Sequence, Set

import numpy as np
import pandas as pd

from .. import engine as eng
from .._dates import check_window
from ..engine.align import whole_number
from ..engine.table import Table
from ..exceptions import (
    HoldingsError,
    InputError,
)


#: Share of the returns the out-of-sample check estimates on when none is given.
DEFAULT_OOS_SPLIT = 0.5


@dataclass(frozen=True)
class _Leg:
    """Either tickers to fetch or prices handed in, under display names."""

    tickers: list[str] = field(default_factory=list)
    prices: Table | None = None

    @property
    def names(self) -> list[str]:
        return self.tickers if self.prices is None else self.prices.names

    def renamed(self, names: list[str]) -> _Leg:
        """Prices handed in under other column names."""
        assert self.prices is not None
        return _Leg(prices=self.prices.with_values(self.prices.values, names))


def _is_ticker(value: Any) -> bool:
    return isinstance(value, str)


def _clean_ticker(value: str, what: str) -> str:
    t = value.strip().upper()
    if not t:
        raise InputError(f"{what}: empty ticker")
    return t


def _leg(value: Any, what: str) -> _Leg:
    if value is None:
        raise InputError(f"{what}: missing")
    if _is_ticker(value):
        return _Leg(tickers=[_clean_ticker(value, what)])
    if isinstance(value, pd.Series):
        # The frame takes the Series' name, or the leg's when it has none.
        return _Leg(prices=eng.as_price_table(value, what))
    if isinstance(value, pd.DataFrame):
        return _Leg(prices=eng.as_price_table(value, what))
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = list(value)
        if items and all(_is_ticker(v) for v in items):
            return _Leg(tickers=[_clean_ticker(v, what) for v in items])
    raise InputError(
        f"{what}: expected a ticker, a list of tickers or prices (pandas Series/DataFrame), "
        f"got {type(value).__name__}"
    )


def _holdings(
    asset: Any, weights: Any, shares: Any
) -> tuple[_Leg, pd.Series | None, str | None]:
    """The asset leg and, for a portfolio, its holdings and their kind."""
    if weights is not None and shares is not None:
        raise InputError("give weights or shares, not both")
    if isinstance(asset, Mapping):
        if shares is not None or weights is not None:
            raise InputError("holdings given twice: a mapping and weights/shares")
        weights = list(asset.values())
        asset = [str(k) for k in asset]
    leg = _leg(asset, "asset")
    amounts, kind = (weights, "weights") if weights is not None else (shares, "shares")
    if amounts is None:
        if len(leg.names) > 1:
            raise InputError(
                f"asset has {len(leg.names)} instruments; give weights or shares for a portfolio"
            )
        return leg, None, None
    if kind == "weights":
        holdings, percent = eng.book_weights(leg.names, amounts)
        if percent:
            kind = "weights in percent"
    else:
        holdings = eng.holdings_vector(leg.names, amounts, "shares")
    if leg.prices is not None:
        # Handed-in prices keep their own column names; match holdings case-insensitively.
        leg = leg.renamed([c.upper() for c in leg.prices.names])
    return leg, holdings, kind


def _check_amounts(amounts: Any, what: str) -> None:
    """Refuse holdings that are no list of numbers before anything reads them.

    ``np.asarray(..., dtype=float)`` further on would pass on a builtin error for text or a
    set, and turn weights too large to add up (1e308, 1e308) into zeros after an overflow.
    """
    if amounts is None:
        return
    if isinstance(amounts, (Mapping, pd.Series)):
        # Labels are matched to the tickers where the holdings are built; the values are
        # checked here like any others.
        amounts = list(amounts.values()) if isinstance(amounts, Mapping) else list(amounts)
    if isinstance(amounts, (str, bytes)):
        raise HoldingsError(f"{what}: expected a list of numbers, got the text {amounts!r}")
    if isinstance(amounts, Set):
        raise HoldingsError(f"{what}: expected a list of numbers, got a set (a set has no "
                            f"order to pair with the tickers)")
    if not isinstance(amounts, (Sequence, np.ndarray)):
        amounts = [amounts]  # one number for one ticker, or something to name below
    values = []
    for v in np.asarray(amounts, dtype=object).ravel():
        try:
            if isinstance(v, (bool, np.bool_)) or v is None:
                raise TypeError
            values.append(float(v))
        except (TypeError, ValueError):
            raise HoldingsError(f"{what}: {v!r} is not a number") from None
    # Python floats add to inf without numpy's overflow warning.
    if all(math.isfinite(v) for v in values) and not math.isfinite(sum(abs(v) for v in values)):
        shown = ", ".join(f"{v:g}" for v in values)
        raise HoldingsError(f"{what}: their sum is not a finite number ({shown}); give "
                            f"smaller numbers")


def _check_arguments(rolling_window: Any, maxlags: Any, oos_split: Any) -> tuple[Any, Any, Any]:
    """``rolling_window``, ``maxlags`` and ``oos_split`` checked by name (``None``: default)."""
    window = None if rolling_window is None else whole_number(rolling_window, "rolling_window")
    lags = None if maxlags is None else whole_number(maxlags, "maxlags")
    return window, lags, DEFAULT_OOS_SPLIT if oos_split is None else oos_split


#: Presets: the name a user types -> what it means, for the summary.
PRESETS = {"bloomberg": "Bloomberg BETA: weekly returns over two years, raw and adjusted beta"}


def _preset(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower()
    if text not in PRESETS:
        raise InputError(f"preset: expected one of {', '.join(PRESETS)}, got {value!r}")
    return text


def _input_kind(value: Any, asset: Any, benchmark: Any) -> str:
    """``"prices"`` or ``"returns"``; returns must be handed in, a ticker has only prices."""
    text = str(value).strip().lower() if value is not None else "prices"
    if text not in ("prices", "returns"):
        raise InputError(f"input: expected prices or returns, got {value!r}")
    if text == "returns":
        for what, leg in (("asset", asset), ("benchmark", benchmark)):
            legs = list(leg) if isinstance(leg, (list, tuple)) else [leg]
            if isinstance(leg, Mapping) or any(isinstance(v, str) for v in legs):
                raise InputError(f"input returns: hand in the {what}'s returns (dates and "
                                 "returns), not a ticker")
    return text


def _positive_capital(capital: Any) -> float | None:
    if capital is None:
        return None
    try:
        value = float(capital)
    except (TypeError, ValueError):
        raise InputError(f"capital must be a number, got {capital!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"capital must be a positive number, got {capital!r}")
    return value


#: The parameters of :func:`~betahedge_xl.analysis.beta_hedge`, documented where they are
#: checked; the front door's docstring ends with them (:func:`documented`).
PARAMETERS = """
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


def documented(function: Any) -> Any:
    """Append :data:`PARAMETERS` to a front door's docstring (one text, where it is checked)."""
    function.__doc__ = (function.__doc__ or "").rstrip(" ") + PARAMETERS.lstrip("\n")
    return function


@dataclass(frozen=True)
class Request:
    """What was asked, every argument of :func:`beta_hedge` checked and in its own terms."""

    asset: _Leg
    benchmark: _Leg
    holdings: pd.Series | None
    kind: str | None  # "weights", "weights in percent", "shares"; None for one asset
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    capital: float | None
    input: str
    preset: str | None
    asked: str | None  # the frequency asked for (None: the data's own, daily at most)
    method: str
    risk_free: Any  # a rate per period or a Series of them
    rf_unit: str
    rf_series: bool
    cov_type: str
    maxlags: int | None
    rolling_window: int | None
    oos_split: Any
    refresh: Any

    @property
    def frequency(self) -> str:
        """The frequency the risk-free rate is converted to before the data is seen."""
        return self.asked or "daily"

    def risk_free_label(self) -> float | str:
        """The risk-free rate as the summary states it."""
        rf, unit = self.risk_free, self.rf_unit
        if self.rf_series:
            return "a per-period series" if unit == "period" else (
                f"a series of {eng.rf_unit_words(unit)}")
        if unit == "annual" or float(rf) == 0.0:
            return float(rf)
        return (f"{float(rf):g}{'%' if unit.endswith('%') else ''} "
                f"{'a year' if unit.startswith('annual') else 'per period'}")


def read_request(
    asset: Any, benchmark: Any, start: Any, end: Any, *, frequency: Any, returns: Any,
    risk_free: Any, risk_free_unit: Any, cov_type: Any, maxlags: Any, rolling_window: Any,
    weights: Any, shares: Any, oos_split: Any, refresh: bool, capital: Any,
    input: Any, preset: Any,  # noqa: A002
) -> Request:
    """Every check of the arguments of :func:`beta_hedge`, before any price is read."""
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

    return Request(
        asset=asset_leg, benchmark=bench_leg, holdings=holdings, kind=kind, start=s, end=e,
        capital=cap, input=given, preset=preset_name, asked=asked, method=method,
        risk_free=risk_free, rf_unit=rf_unit, rf_series=rf_series, cov_type=cov_type,
        maxlags=maxlags, rolling_window=rolling_window, oos_split=oos_split,
        refresh=refresh)


def benchmark_count(benchmark: Any) -> int:
    """How many benchmarks a request names (checked as :func:`read_request` checks them), for
    the checks that depend on it before any price is read."""
    return len(_leg(benchmark, "benchmark").names)
