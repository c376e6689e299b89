"""Prices to aligned returns: window, alignment, frequency, simple or log, excess returns.

The order is fixed by design.md: window -> alignment (dates every column has) -> resampling ->
returns. Returns are computed from prices inside the window only.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._dates import local_days, window
from ..exceptions import InputError, NoOverlapError, PriceError
from .align import dated
from .table import Table
from .periods import (
    PERIOD_CODE,
    RESAMPLE_RULE,
    annual_to_periodic,
    normalize_frequency,
    normalize_method,
    normalize_rf_unit,
    risk_free_per_period,
)


def as_price_frame(prices: Any, name: str = "price") -> pd.DataFrame:
    """A float DataFrame with a sorted, unique DatetimeIndex; the input is not modified."""
    if isinstance(prices, pd.Series):
        frame = prices.to_frame(name=prices.name if prices.name is not None else name)
        dtypes = [prices.dtype]  # a frame's dtypes is a Series built per call
    elif isinstance(prices, pd.DataFrame):
        frame = prices
        dtypes = list(prices.dtypes)
    else:
        raise InputError(
            f"{name}: expected a pandas Series or DataFrame of prices with a date index, "
            f"got {type(prices).__name__}"
        )
    if frame.shape[1] == 0:
        raise InputError(f"{name}: no price columns")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        try:
            index = pd.DatetimeIndex(pd.to_datetime(index))
        except (ValueError, TypeError):
            raise InputError(f"{name}: the index must hold dates") from None
    days = local_days(index)
    if not days.equals(frame.index):
        frame = frame.set_axis(days, axis=0)
    # Prices handed in are usually float64 already: astype would copy them for nothing.
    if not all(dt == np.float64 for dt in dtypes):
        try:
            frame = frame.astype(float)
        except (ValueError, TypeError):
            raise InputError(f"{name}: prices must be numbers") from None
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise InputError(f"{name}: date {dup:%Y-%m-%d} appears more than once")
    columns = [str(c) for c in frame.columns]
    if columns != list(frame.columns):
        # set_axis returns a new frame: the caller's object (maybe the input) is not renamed.
        frame = frame.set_axis(columns, axis=1)
    return frame


def as_price_table(prices: Any, name: str = "price") -> Table:
    """:func:`as_price_frame` as a :class:`~betahedge_xl.engine.table.Table`.

    A float Series on sorted, unique plain dates (prices as a user usually hands them in) is
    read as it is, without a DataFrame; its values are shared, never written.
    """
    if isinstance(prices, pd.Series) and prices.dtype == np.float64:
        index = prices.index
        if isinstance(index, pd.DatetimeIndex) and index.is_monotonic_increasing \
                and index.is_unique and local_days(index) is index:
            label = str(prices.name) if prices.name is not None else name
            return Table(index.values, prices.to_numpy().reshape(-1, 1), [label], index.name,
                         index.freq)
    return Table.of(as_price_frame(prices, name))


def check_prices(prices: pd.DataFrame) -> None:
    """Raise :class:`PriceError` on columns with no price or with zero/negative prices."""
    _check_values(prices.to_numpy(), prices.index, list(prices.columns))


#: A day's price ratio beyond this (either way) is no real price: 1e308 typed for 130, or a
#: missing value written as 1e-300. Its return would swamp any regression (beta 4.4e306).
IMPOSSIBLE_RATIO = 1e4


def _check_impossible(values: np.ndarray, dates: Any, names: list[Any]) -> None:
    """Raise on a price that is ``IMPOSSIBLE_RATIO`` times the column's previous price or
    more (or that fraction of it), naming the first such date."""
    with np.errstate(invalid="ignore"):
        hi, lo = np.nanmax(values, axis=0, initial=-np.inf), np.nanmin(
            values, axis=0, initial=np.inf)
        wide = np.flatnonzero(hi > lo * IMPOSSIBLE_RATIO)
    for j in wide:  # rarely any: only columns spanning such a range are looked at
        col = values[:, j]
        at = np.flatnonzero(col > 0)
        if len(at) < 2:
            continue
        with np.errstate(over="ignore", divide="ignore"):
            ratio = col[at[1:]] / col[at[:-1]]
        bad = (ratio > IMPOSSIBLE_RATIO) | (ratio < 1 / IMPOSSIBLE_RATIO)
        if bad.any():
            k = int(np.argmax(bad))
            day = pd.Timestamp(np.asarray(dates)[at[k + 1]])
            raise PriceError(
                f"{names[j]}: price {col[at[k + 1]]:.6g} on {day:%Y-%m-%d} is "
                f"{ratio[k]:.3g} times the price before it ({col[at[k]]:.6g}): not a real "
                f"price; fix or remove it")


def _check_values(values: np.ndarray, dates: Any, names: list[Any]) -> bool:
    """Raise on an infinite or impossible price, a column without prices or a zero/negative
    price; say whether every price is there (no missing value to align away)."""
    with np.errstate(invalid="ignore"):
        if (values > 0).all() and np.isfinite(values).all():
            _check_impossible(values, dates, names)
            return True  # the usual case: every price there, positive and finite
    if np.isinf(values).any():
        col = names[int(np.flatnonzero(np.isinf(values).any(axis=0))[0])]
        raise PriceError(f"{col}: infinite price")
    valid = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        bad = valid & (values <= 0)
    for j, col in enumerate(names):
        if not valid[:, j].any():
            raise PriceError(f"{col}: no prices in the window")
        if bad[:, j].any():
            first = pd.Timestamp(dates[int(np.argmax(bad[:, j]))])
            raise PriceError(
                f"{col}: {int(bad[:, j].sum())} zero or negative price(s), "
                f"first on {first:%Y-%m-%d}"
            )
    _check_impossible(values, dates, names)
    return False


@dataclass(frozen=True)
class Alignment:
    """Prices on the dates every column has, and how many dates alignment dropped."""

    prices: pd.DataFrame
    dropped: int


def align_prices(prices: pd.DataFrame) -> Alignment:
    """Inner-join the columns on their common dates (rows with any missing price go)."""
    keep, dropped = _common_rows(prices.to_numpy(dtype=float), list(prices.columns))
    return Alignment(prices if keep is None else prices.loc[keep], dropped)


def _common_rows(values: np.ndarray, names: list[Any]) -> tuple[np.ndarray | None, int]:
    """Rows every column has (``None``: all of them) and how many alignment dropped."""
    missing = np.isnan(values)
    if not missing.any():
        return None, 0
    keep = ~missing.any(axis=1)
    # Dates on which no column has a price are not "dropped by alignment"; they were never there.
    present = ~missing.all(axis=1)
    if not keep.any() and len(keep) and values.shape[1] > 1:
        raise NoOverlapError(f"no overlapping dates between {', '.join(map(str, names))}")
    return keep, int(present.sum() - keep.sum())


def resample_prices(prices: pd.DataFrame, frequency: Any = "daily") -> pd.DataFrame:
    """Last price of each week ending Friday (``weekly``) or each month (``monthly``).

    Rows keep the date of that last price (a real trading day, 2014-12-31 rather than the
    week's Friday 2015-01-02), so a result never shows a date outside the window.
    Expects aligned prices (no missing values).
    """
    last = _period_last(prices.index, frequency)
    return prices if last is None else prices.loc[last]


def _period_last(dates: Any, frequency: Any) -> np.ndarray | None:
    """Rows holding the last date of their week or month (``None`` for daily: every row)."""
    freq = normalize_frequency(frequency)
    if RESAMPLE_RULE[freq] is None or not len(dates):
        return None
    period = pd.DatetimeIndex(dates).to_period(PERIOD_CODE[freq])
    return np.r_[period[1:] != period[:-1], True]


def prepare_prices(frame: pd.DataFrame, frequency: Any = "daily") -> Alignment:
    """Windowed prices made ready for returns: checked, aligned, resampled.

    The steps every path from prices to returns shares, in the order design.md fixes.
    """
    check_prices(frame)
    aligned = align_prices(frame)
    return Alignment(resample_prices(aligned.prices, frequency), aligned.dropped)


def prepare_table(table: Table, frequency: Any = "daily") -> Table:
    """:func:`prepare_prices` on a :class:`~betahedge_xl.engine.table.Table`."""
    if not _check_values(table.values, table.dates, table.names):  # a price missing somewhere
        keep, _ = _common_rows(table.values, table.names)
        if keep is not None:
            table = table.rows(keep)
    last = _period_last(table.dates, frequency)
    return table if last is None else table.rows(last)


def simple_or_log_returns(prices: pd.DataFrame, method: Any = "simple") -> pd.DataFrame:
    """Period returns of consecutive rows; the first row (no previous price) is dropped."""
    data = _return_values(prices.to_numpy(), method)
    return pd.DataFrame(data, index=prices.index[1:], columns=prices.columns)


def _return_values(values: np.ndarray, method: Any) -> np.ndarray:
    ratio = values[1:] / values[:-1]
    return np.log(ratio) if normalize_method(method) == "log" else ratio - 1.0


def return_table(prices: Table, method: Any = "simple") -> Table:
    """:func:`simple_or_log_returns` on a :class:`~betahedge_xl.engine.table.Table`."""
    return prices.rows(slice(1, None)).with_values(_return_values(prices.values, method))


@dataclass(frozen=True)
class PreparedReturns:
    """What :func:`prices_to_returns` made, with the facts a report states."""

    returns: pd.DataFrame
    prices: pd.DataFrame  # aligned (and resampled) prices the returns come from
    dropped_by_alignment: int
    frequency: str
    method: str


def prices_to_returns(
    prices: pd.DataFrame | pd.Series,
    *,
    start: Any = None,
    end: Any = None,
    frequency: Any = "daily",
    method: Any = "simple",
) -> PreparedReturns:
    """Window, align, resample and difference prices into returns.

    Parameters
    ----------
    prices
        Adjusted closes, one column per instrument, indexed by date (any order).
    start, end
        Window: ``start`` inclusive, ``end`` exclusive (as ``yfinance.download``).
    frequency
        ``"daily"``, ``"weekly"`` (last price of weeks ending Friday) or ``"monthly"``.
    method
        ``"simple"`` (``p1 / p0 - 1``) or ``"log"`` (``log(p1 / p0)``).
    """
    freq = normalize_frequency(frequency)
    meth = normalize_method(method)
    ready = prepare_prices(window(as_price_frame(prices), start, end), freq)
    return PreparedReturns(
        returns=simple_or_log_returns(ready.prices, meth),
        prices=ready.prices,
        dropped_by_alignment=ready.dropped,
        frequency=freq,
        method=meth,
    )


def risk_free_rate(
    risk_free: Any, unit: Any = None, frequency: Any = "daily"
) -> float | pd.Series:
    """``risk_free`` checked: a Series of rates as given, else a constant checked in its unit.

    Raises
    ------
    InputError
        Not a finite number (``"2%"``, ``None``, ``True``, NaN), or a constant implausible in
        its unit (``unit`` as :func:`excess_returns`; 5 for 5% read as an annual decimal).
    """
    if isinstance(risk_free, pd.DataFrame):  # a one-column download (FRED's) is its Series
        if risk_free.shape[1] != 1:
            raise InputError(f"risk_free: one column of rates expected, got "
                             f"{risk_free.shape[1]}")
        risk_free = risk_free.iloc[:, 0]
    if isinstance(risk_free, pd.Series):
        return risk_free
    if type(risk_free) is float and risk_free == 0.0:
        normalize_rf_unit(unit, "annual")
        return 0.0  # no rate (the default): fits every unit
    if isinstance(risk_free, (bool, np.bool_)) or not isinstance(risk_free, numbers.Real) \
            or not math.isfinite(risk_free):
        raise InputError(f"risk_free: expected an annual rate as a number (0.02 for 2%) or a "
                         f"Series of per-period rates, got {risk_free!r}")
    rate = float(risk_free)
    # The range check of its unit, before any price is loaded.
    u = normalize_rf_unit(unit, "annual")
    if u == "annual":
        annual_to_periodic(rate, "daily")
    else:
        risk_free_per_period(np.array([rate]), u, frequency)
    return rate


def excess_returns(
    returns: pd.DataFrame | pd.Series,
    risk_free: float | pd.Series | pd.DataFrame,
    frequency: Any = "daily",
    method: Any = "simple",
    unit: Any = None,
) -> pd.DataFrame | pd.Series:
    """Returns minus the risk-free return of the same period.

    Parameters
    ----------
    risk_free
        A constant rate, or a Series of rates indexed by date.
    unit
        What the numbers are: ``"annual"`` (0.05 for 5% a year, compounded down to the
        period), ``"annual%"`` (5.0 for 5% a year: FRED's T-bill series), ``"period"`` (the
        risk-free return of each period as a decimal) or ``"period%"`` (Ken French's ``RF``).
        Default: ``"annual"`` for a constant, ``"period"`` for a Series. A value implausible
        in the declared unit (above 100% a year once converted) is refused, naming the unit it
        probably is.

    A Series is matched to the periods of the returns: daily returns by date; weekly and
    monthly returns by the week (ending Friday) or month a date belongs to, so that a rate
    labelled on a Friday holiday or a Saturday month end meets the period's last trading day.
    A period the Series does not cover is an error, not a silent zero.
    """
    freq = normalize_frequency(frequency)
    if isinstance(risk_free, pd.DataFrame):
        risk_free = risk_free_rate(risk_free)
    if isinstance(risk_free, pd.Series):
        u = normalize_rf_unit(unit, "period")
        rf = _rf_on_periods(risk_free, returns.index, freq, per_period=u.startswith("period"))
        missing = int(np.isnan(rf).sum())
        if missing:
            first = returns.index[np.isnan(rf)][0]
            raise InputError(
                f"risk-free series lacks {missing} return date(s), first {first:%Y-%m-%d}"
            )
        rf_values: Any = risk_free_per_period(rf, u, freq, method, dates=returns.index)
        if isinstance(returns, pd.DataFrame):
            return returns.sub(rf_values, axis=0)
        return returns - rf_values
    per_period = _constant_per_period(risk_free, unit, freq, method)
    return returns if per_period == 0.0 else returns - per_period


def _constant_per_period(risk_free: Any, unit: Any, freq: str, method: Any) -> float:
    """The return of one period of a constant risk-free rate given in ``unit``."""
    u = normalize_rf_unit(unit, "annual")
    rate = risk_free_rate(risk_free, u, freq)
    assert isinstance(rate, float)
    if rate == 0.0:
        return 0.0
    if u == "annual":
        return float(annual_to_periodic(rate, freq, method))
    return float(risk_free_per_period(np.array([rate]), u, freq, method)[0])


def excess_table(
    returns: Table, risk_free: float | pd.Series | pd.DataFrame, frequency: Any = "daily",
    method: Any = "simple", unit: Any = None,
) -> Table:
    """:func:`excess_returns` on a :class:`~betahedge_xl.engine.table.Table`."""
    if isinstance(risk_free, (pd.Series, pd.DataFrame)):
        return Table.of(excess_returns(returns.frame, risk_free, frequency, method, unit))
    per_period = _constant_per_period(risk_free, unit, normalize_frequency(frequency), method)
    if per_period == 0.0:
        return returns
    return returns.with_values(returns.values - per_period)


def _rf_on_periods(
    risk_free: pd.Series, index: pd.Index, frequency: str, per_period: bool
) -> np.ndarray:
    """The risk-free rate of each return's period (NaN where the Series has none)."""
    rf = dated(risk_free, "risk-free series")
    if frequency == "daily" or rf.index.equals(index):
        return rf.reindex(index).to_numpy(dtype=float)
    if not isinstance(rf.index, pd.DatetimeIndex) or not isinstance(index, pd.DatetimeIndex):
        return rf.reindex(index).to_numpy(dtype=float)
    code = PERIOD_CODE[frequency]
    periods = rf.index.to_period(code)
    if per_period and periods.has_duplicates:
        dup = periods[periods.duplicated()][0]
        raise InputError(
            f"risk-free series has several rates in the {frequency[:-2]} {dup}; a per-period "
            f"series gives one rate for each {frequency[:-2]} (or declare annual rates)"
        )
    if not rf.index.is_monotonic_increasing:
        order = np.argsort(rf.index.to_numpy(), kind="stable")
        rf, periods = rf.iloc[order], periods[order]
    # Annual rates observed daily: the last one of each period is the period's rate.
    last = ~periods.duplicated(keep="last")
    by_period = pd.Series(rf.to_numpy(dtype=float)[last], index=periods[last])
    return by_period.reindex(index.to_period(code)).to_numpy(dtype=float)
