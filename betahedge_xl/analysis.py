"""Where data meets the engine: a request in, one :class:`HedgeResult` out.

Every face (Excel functions, the refresh button, the command line, Python) calls
:func:`beta_hedge`; none of them computes anything itself.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast
from collections.abc import Iterable, Mapping, Sequence, Set

import numpy as np
import pandas as pd

from . import engine as eng
from ._dates import check_window, window_bounds
from .engine.align import whole_number
from .engine.periods import PERIOD_CODE
from .engine.table import Table
from .exceptions import (
    BetaHedgeError,
    DataWarning,
    HoldingsError,
    InputError,
    InsufficientDataError,
)

#: Trailing window of the rolling beta when none is given, per frequency (a quarter, half a
#: year, a year).
DEFAULT_ROLLING_WINDOW = {"daily": 63, "weekly": 26, "monthly": 12}
#: Share of the returns the out-of-sample check estimates on when none is given.
DEFAULT_OOS_SPLIT = 0.5

PORTFOLIO_NAME = "Portfolio"

#: Fewer returns than this get a warning that the statistics are unreliable (five returns
#: gave an annualised alpha of -517% with no word of caution).
MIN_RELIABLE_OBS = 30


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Books (portfolios): returns, exposure, per-position betas
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Book:
    """How a portfolio's return was formed, its exposure and its positions' betas.

    Attributes
    ----------
    kind
        ``"weights"`` (fractions of capital, rebalanced every period) or ``"shares"`` (buy
        and hold).
    percent
        The weights summed to about 100 and were read as percent.
    exposure
        Gross and net exposure (:class:`betahedge_xl.engine.Exposure`): fractions of capital
        for weights, currency at the last price date for shares.
    return_base
        What a shares book's P&L is divided by: its gross exposure at the start of each
        period, or the capital given.
    cash
        What the uninvested capital earns: ``"zero"`` or ``"the risk-free rate"``.
    positions
        One row per holding (see :attr:`HedgeResult.positions`).
    """

    kind: str
    percent: bool
    exposure: eng.Exposure
    return_base: str
    cash: str
    positions: pd.DataFrame


def _book_returns(
    px: pd.DataFrame, asset_cols: list[str], bench_cols: list[str], holdings: pd.Series,
    kind: str, capital: float | None, risk_free: Any, freq: str, method: str,
    rf_unit: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame | None]:
    """A book's prices and returns from its holdings' aligned prices.

    Returns ``(prices, returns, holding_returns, weights, starts)``: the book's level beside
    the benchmark prices; the book and benchmark returns for the regression (excess when a
    risk-free rate is given); each holding's returns on the same footing (for its own beta);
    the weights the positions table shows (the last date's for a shares book); for a shares
    book the weights each period's return was earned on (its contributions are measured on
    them), else ``None``.
    """
    starts: pd.DataFrame | None = None
    simple = eng.simple_or_log_returns(px, "simple")
    # Cash earns the risk-free rate of the period (zero when none is given); the engine's
    # excess-return rule gives that rate for any form of risk_free.
    cash = -eng.excess_returns(pd.Series(0.0, index=simple.index), risk_free, freq, "simple",
                               rf_unit)
    cash_rate = np.asarray(cash, dtype=float)
    if kind == "shares":
        drift = eng.drifting_weights(px[asset_cols], holdings, capital)
        starts = drift.shift(1).iloc[1:]
        book = eng.book_returns(simple[asset_cols], starts, cash_rate)
        # The weights each period's return was earned on: a shares book's contributions
        # are measured on them (they add up to its beta), not on the last date's.
        shown = drift.iloc[-1].rename("weight")
    else:
        book = eng.book_returns(simple[asset_cols], holdings, cash_rate)
        shown = holdings.rename("weight")
    if method == "log":
        if (book <= -1.0).any():
            first = book.index[(book <= -1.0).to_numpy()][0]
            raise HoldingsError(f"the book lost all its capital on {first:%Y-%m-%d}; "
                                "log returns are undefined, use simple returns")
        book = np.log1p(book)
    bench = eng.simple_or_log_returns(px[bench_cols], method)
    rets = eng.excess_returns(
        pd.concat([book.rename(PORTFOLIO_NAME), bench], axis=1), risk_free, freq, method, rf_unit)
    held = eng.excess_returns(
        eng.simple_or_log_returns(px[asset_cols], method), risk_free, freq, method, rf_unit)
    level = eng.index_from_returns(
        book if method == "simple" else np.expm1(book), px.index[0]).rename(PORTFOLIO_NAME)
    prices = pd.concat([level, px[bench_cols]], axis=1)
    return prices, rets, held, shown, starts


def _book(
    px: pd.DataFrame, holdings: pd.Series, kind: str, capital: float | None, risk_free: Any,
    held: pd.DataFrame, bench: pd.DataFrame, weights: pd.Series,
    starts: pd.DataFrame | None = None,
) -> Book:
    shares = kind == "shares"
    exp = eng.exposure(holdings, px, holdings if shares else None)
    base = ("" if not shares else f"capital {capital:,.2f}" if capital is not None
            else "gross exposure at the start of each period")
    has_rf = isinstance(risk_free, pd.Series) or float(risk_free) != 0.0
    positions = eng.position_betas(held, bench, weights)
    if shares:
        positions.insert(0, "shares", holdings.to_numpy(dtype=float))
        if starts is not None:
            positions["contribution"] = _drifting_contributions(held, bench, starts)
    return Book(kind="shares" if shares else "weights", percent=kind == "weights in percent",
                exposure=exp, return_base=base,
                cash="the risk-free rate" if has_rf else "zero", positions=positions)


def _drifting_contributions(held: pd.DataFrame, bench: pd.DataFrame,
                            starts: pd.DataFrame) -> np.ndarray:
    """Each holding's share of a shares book's beta on the first benchmark: the slope of its
    weighted return ``w_(i,t-1) r_(i,t)`` on the benchmarks. The book's (excess) return is the
    sum of those terms, and OLS is linear in the dependent variable, so the contributions add
    up to the book's beta (exactly for simple returns)."""
    names = list(starts.columns)
    w = starts.reindex(held.index)[names].to_numpy(dtype=float)
    y = held[names].to_numpy(dtype=float) * w
    x = bench.to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(x)), x])
    return np.asarray(np.linalg.lstsq(design, y, rcond=None)[0][1], dtype=float)


def _size(beta: float, value: float | None, instrument: str, price: float | None,
          basis: str = "") -> eng.HedgeSize:
    """:func:`betahedge_xl.engine.hedge_size` for an instrument named as a user names it."""
    if value is None:
        raise InputError("give the value to hedge (no capital is known for this result)")
    if price is None:
        raise InputError(f"give the price of {instrument}")
    code = _instrument(instrument)
    multiplier: float | str = code if code in eng.FUTURES_MULTIPLIERS else 1.0
    return eng.hedge_size(beta, float(value), float(price), multiplier, instrument=code,
                          basis=basis)


def _instrument(instrument: Any) -> str:
    code = str(instrument).strip().upper() if instrument is not None else ""
    if not code:
        raise InputError("hedge instrument: empty")
    return code


def _stated_beta(beta: Any, code: str) -> float:
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise InputError(f"beta to {code}: expected a number, got {beta!r}") from None
    if not math.isfinite(value):
        raise InputError(f"beta to {code}: expected a finite number, got {beta!r}")
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a ticker-indexed table as JSON-ready mappings (NaN as None)."""
    return [
        {"ticker": str(t),
         **{str(k): (float(v) if math.isfinite(float(v)) else None) for k, v in row.items()}}
        for t, row in frame.iterrows()
    ]


#: Years of the default window of tickers given without dates (Bloomberg BETA's default).
DEFAULT_YEARS = 2
#: Presets: the name a user types -> what it means, for the summary.
PRESETS = {"bloomberg": "Bloomberg BETA: weekly returns over two years, raw and adjusted beta"}


def _preset(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower()
    if text not in PRESETS:
        raise InputError(f"preset: expected one of {', '.join(PRESETS)}, got {value!r}")
    return text


def default_window(prices: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The last :data:`DEFAULT_YEARS` years to the latest price every column has.

    Returns ``(start, end, note)``: ``start`` inclusive, ``end`` exclusive (the day after the
    latest common price) and the line the summary shows.
    """
    last = [prices[c].last_valid_index() for c in prices.columns]
    if any(d is None for d in last):
        raise InsufficientDataError("no prices to choose a window from")
    latest = min(pd.Timestamp(d) for d in last)
    start = latest - pd.DateOffset(years=DEFAULT_YEARS)
    note = (f"last {DEFAULT_YEARS} years to the latest price, {start:%Y-%m-%d} to "
            f"{latest:%Y-%m-%d} (no dates given; Bloomberg BETA's default)")
    return start, latest + pd.Timedelta(days=1), note


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


def _returns_as_levels(
    asset: pd.DataFrame, bench: pd.DataFrame, frequency: str = "daily"
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Returns handed in as levels that reproduce them, on the dates both sides have.

    The level starts at 1 on the last day of the period before the first return's (the day
    before for daily returns), so the price path (alignment, resampling, returns) gives back
    exactly the returns handed in, the first one too. Also the number of dates dropped
    because one side had no return on them.
    """
    frame = pd.concat([asset, bench], axis=1, sort=True)
    values = frame.to_numpy(dtype=float)
    present = ~np.isnan(values).all(axis=1)
    keep = ~np.isnan(values).any(axis=1)
    frame = frame.loc[keep]
    if frame.empty:
        raise InsufficientDataError("no date has a return on both sides in the window")
    r = frame.to_numpy(dtype=float)
    if (r <= -1.0).any():
        i, j = np.argwhere(r <= -1.0)[0]
        raise InputError(f"{frame.columns[j]}: a return of {r[i, j]:.2%} on "
                         f"{frame.index[i]:%Y-%m-%d}; returns are fractions (0.01 for 1%) "
                         "above -100%")
    base = (pd.Period(frame.index[0], PERIOD_CODE[frequency]).start_time.normalize()
            - pd.Timedelta(days=1))
    levels = np.vstack([np.ones(r.shape[1]), np.cumprod(1.0 + r, axis=0)])
    out = pd.DataFrame(levels, index=pd.DatetimeIndex([base, *frame.index]),
                       columns=frame.columns)
    na = asset.shape[1]
    return out.iloc[:, :na], out.iloc[:, na:], int(present.sum() - keep.sum())


#: The finest frequency that prices this many days apart (median) can give.
_SPACING = (("daily", 4.0), ("weekly", 10.0), ("monthly", 45.0))
_ORDER = {"daily": 0, "weekly": 1, "monthly": 2}


def _common_dates(a: Table, b: Table) -> np.ndarray:
    """The dates on which both legs have a value."""
    da = a.dates[~np.isnan(a.values).any(axis=1)]
    db = b.dates[~np.isnan(b.values).any(axis=1)]
    return np.intersect1d(da, db)


def _frequency(asked: str | None, dates: np.ndarray, what: str) -> tuple[str, list[str]]:
    """The frequency to use for data on ``dates`` and the note that says why.

    Data sparser than the frequency asked for would be annualised as if it were not
    (month-end prices at daily: alpha x 252): with no frequency asked the data's own is
    used and said; a finer one asked is refused, naming the frequency to ask for.
    """
    if len(dates) < 3:
        return asked or "daily", []
    days = np.diff(np.asarray(dates, dtype="datetime64[D]")).astype(float)
    spacing = float(np.median(days))
    own = next((f for f, most in _SPACING if spacing <= most), None)
    if own is None:
        raise InputError(f"the {what} are {spacing:.0f} days apart (median): betahedge works "
                         f"with daily, weekly or monthly {what}")
    if asked is None:
        if own == "daily":
            return "daily", []
        return own, [f"the {what} are {own} ({spacing:.0f} days apart, median): {own} "
                     f"returns used"]
    if _ORDER[own] > _ORDER[asked]:
        raise InputError(f"the {what} are {own} ({spacing:.0f} days apart, median), sparser "
                         f"than the {asked} frequency asked for: ask for {own}")
    return asked, []


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


def _capital(capital: float | None, book: Book | None) -> float | None:
    """What beta is a fraction of: the capital given, else a shares book's gross exposure."""
    if capital is not None:
        return capital
    if book is not None and book.kind == "shares":
        return book.exposure.gross
    return None


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
class _Frame:
    """A result's frame field: it holds a DataFrame, or what builds one when first read (a
    :class:`~betahedge_xl.engine.table.Table`, the rolling betas), and reads as the DataFrame.
    The constructor and ``dataclasses.replace`` take either form under the field's name."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}_source"

    @staticmethod
    def source(obj: Any, name: str) -> Any:
        """What the field ``name`` of ``obj`` holds (a result pickled before it was lazy
        keeps its frame under the field's own name)."""
        return obj.__dict__.get(f"_{name}_source", obj.__dict__.get(name))

    def __get__(self, obj: Any, objtype: Any = None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError(self.name)  # no default: the field is required
        source = self.source(obj, self.name)
        return source if isinstance(source, pd.DataFrame) else source.frame

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True, repr=False)
class HedgeResult:
    """Everything one beta hedge produced. ``print(result)`` shows its summary.

    Attributes
    ----------
    asset, benchmarks
        Display names (``"Portfolio"`` for holdings).
    prices
        Aligned (and resampled) prices the returns come from.
    returns
        Asset and benchmark returns used in the regression (excess of the risk-free rate when
        one was given).
    fit
        The regression of asset on benchmark(s) (:class:`betahedge_xl.engine.OLSResult`).
    hedge
        The hedged series, its verification regression and its effectiveness.
    oos
        Out-of-sample check (estimate on the first part, hedge the rest) or ``None`` when the
        sample is too short.
    rolling_beta
        Trailing-window betas, one column per benchmark.
    quality
        Data-quality report of the prices when they came from a source, else ``None``.
    warnings
        Short lines for a user: data quality, dropped rows, skipped checks.
    book
        For a portfolio: how its return was formed, its exposure and :attr:`positions`.
    capital
        What beta is a fraction of, in currency (the capital given, or a shares book's gross
        exposure), or ``None``; :attr:`dollar_beta` is ``beta x capital``.
    sizing
        The hedge in contracts or shares when :meth:`with_hedge` sized one, else ``None``.
    input, window_note, preset
        ``"prices"`` or ``"returns"`` (what was handed in); the default window's description
        when no dates were given; ``"bloomberg"`` when that preset was asked.

    The names statsmodels users type work here: :attr:`params`, :attr:`bse`,
    :attr:`tvalues`, :attr:`pvalues`, :meth:`conf_int`, :attr:`rsquared`, :attr:`nobs`,
    :attr:`resid`, :meth:`summary`. As in statsmodels, estimates and stored series are
    properties and tables built on request are methods.
    """

    asset: str
    benchmarks: list[str]
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    frequency: str
    method: str
    risk_free: float | str
    prices: pd.DataFrame  # these three: a DataFrame, or what builds it when read (_Frame)
    returns: pd.DataFrame
    fit: eng.OLSResult
    hedge: eng.HedgeCheck
    oos: eng.OutOfSample | None
    rolling_beta: pd.DataFrame
    rolling_window: int
    holdings: pd.Series | None = None
    holdings_kind: str | None = None
    quality: Any = None
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    book: Book | None = None
    capital: float | None = None
    sizing: eng.HedgeSize | None = None
    input: str = "prices"
    window_note: str | None = None
    preset: str | None = None
    #: The arguments of :func:`beta_hedge` that made this result (to measure a beta to
    #: another instrument on the same book and window); ``None`` when built otherwise.
    request: dict[str, Any] | None = field(default=None, compare=False)

    def _table(self, name: str) -> Table:
        """The prices or returns as arrays, whichever form the result holds them in."""
        source = _Frame.source(self, name)
        return source if isinstance(source, Table) else Table.of(source)

    # --- headline numbers ----------------------------------------------------------------
    @property
    def alpha(self) -> float:
        """Alpha per period (the regression's intercept)."""
        return self.fit.alpha

    @property
    def beta(self) -> float:
        """Beta on the (first) benchmark."""
        return self.fit.beta

    @property
    def betas(self) -> pd.Series:
        """Betas on every benchmark."""
        return self.fit.betas

    @property
    def alpha_se(self) -> float:
        """Standard error of alpha (classical, or HAC when asked)."""
        return float(self.fit.coefficients()[0, 1])

    @property
    def beta_se(self) -> float:
        """Standard error of beta (on the first benchmark)."""
        return float(self.fit.coefficients()[1, 1])

    @property
    def alpha_t(self) -> float:
        """t-statistic of alpha (alpha / its standard error)."""
        return float(self.fit.coefficients()[0, 2])

    @property
    def beta_t(self) -> float:
        """t-statistic of beta against zero."""
        return float(self.fit.coefficients()[1, 2])

    @property
    def alpha_p(self) -> float:
        """Two-sided p-value of alpha (Student's t, n - k - 1 degrees of freedom)."""
        return float(self.fit.coefficients()[0, 3])

    @property
    def beta_p(self) -> float:
        """Two-sided p-value of beta against zero."""
        return float(self.fit.coefficients()[1, 3])

    @property
    def r_squared(self) -> float:
        """R-squared of the regression (statsmodels: :attr:`rsquared`)."""
        return self.fit.rsquared

    @property
    def r_squared_adj(self) -> float:
        """Adjusted R-squared (statsmodels: :attr:`rsquared_adj`)."""
        return self.fit.rsquared_adj

    @property
    def n_obs(self) -> int:
        """Number of returns in the regression (statsmodels: :attr:`nobs`)."""
        return self.fit.nobs

    @property
    def correlation(self) -> float:
        """Correlation of asset and benchmark returns (multiple R with several)."""
        return self.fit.correlation

    @property
    def resid_std(self) -> float:
        """Standard deviation of the residuals per period (the regression's error)."""
        return self.fit.resid_std

    @property
    def adjusted_beta(self) -> float:
        """Blume-adjusted beta, ``2/3 beta + 1/3``."""
        return eng.blume_adjust(self.beta)

    @cached_property
    def market_moves(self) -> dict[str, float]:
        """Downside and upside betas (periods the benchmark falls / rises) and the up and down
        capture ratios of the asset against the (first) benchmark; see
        :mod:`betahedge_xl.engine.estimators`."""
        from .engine import estimators

        returns = self._table("returns")
        y = returns.column(self.asset)
        x = returns.column(self.benchmarks[0])
        # Capture compounds returns: log returns are turned back into simple ones first.
        simple = (np.expm1(y), np.expm1(x)) if self.method == "log" else None
        return estimators.market_moves(y, x, self.periods_per_year, simple)

    @property
    def periods_per_year(self) -> int:
        """Periods a year of the frequency (252, 52 or 12)."""
        return eng.periods_per_year(self.frequency)

    @property
    def alpha_annualized(self) -> float:
        """Alpha per period times periods per year (see :attr:`annualization`)."""
        return eng.annualize_alpha(self.alpha, self.frequency)[0]

    @property
    def annualization(self) -> str:
        """How :attr:`alpha_annualized` was annualised, e.g. ``"alpha x 252"``."""
        return eng.annualize_alpha(self.alpha, self.frequency)[1]

    @property
    def hedged_returns(self) -> pd.Series:
        """Asset return minus beta x benchmark return, one per period."""
        return self.hedge.hedged

    @property
    def hedged_alpha(self) -> float:
        """Alpha of the hedged series on the benchmark (equal to :attr:`alpha`)."""
        return self.hedge.verification.alpha

    @property
    def hedged_beta(self) -> float:
        """Beta of the hedged series on the benchmark: zero up to rounding."""
        return self.hedge.verification.beta

    @property
    def effectiveness(self) -> float:
        """In-sample hedge effectiveness, ``1 - var(hedged) / var(asset)``."""
        return self.hedge.effectiveness

    @property
    def effectiveness_oos(self) -> float:
        """Out-of-sample hedge effectiveness (NaN when the sample was too short)."""
        return self.oos.effectiveness if self.oos is not None else float("nan")

    @property
    def first_date(self) -> pd.Timestamp:
        """First price date used (the day before the first return)."""
        return pd.Timestamp(self._table("prices").dates[0])

    @property
    def last_date(self) -> pd.Timestamp:
        """Last price date used."""
        return pd.Timestamp(self._table("prices").dates[-1])

    @property
    def benchmark(self) -> str:
        """The benchmark(s) as one name, ``"SPY + XLK"`` for several."""
        return " + ".join(self.benchmarks)

    # --- statsmodels' names ----------------------------------------------------------------
    # Estimates and stored series are properties, tables built on request are methods
    # (conf_int(), summary(), series(), cumulative()), as in statsmodels' results.
    @property
    def params(self) -> pd.Series:
        """Coefficients: ``const`` (alpha) then one beta per benchmark."""
        return self.fit.params

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return self.fit.bse

    @property
    def tvalues(self) -> pd.Series:
        """t-statistics of :attr:`params`."""
        return self.fit.tvalues

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of :attr:`params`."""
        return self.fit.pvalues

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of :attr:`params` (``alpha=0.05``: 95%), columns 0 and 1."""
        return self.fit.conf_int(alpha)

    @property
    def rsquared(self) -> float:
        """R-squared (also :attr:`r_squared`)."""
        return self.fit.rsquared

    @property
    def rsquared_adj(self) -> float:
        """Adjusted R-squared (also :attr:`r_squared_adj`)."""
        return self.fit.rsquared_adj

    @property
    def nobs(self) -> int:
        """Number of observations (also :attr:`n_obs`)."""
        return self.fit.nobs

    @property
    def resid(self) -> pd.Series:
        """Residuals of the regression, one per period, on the return dates."""
        return self.fit.resid

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of :attr:`params` (a method, as in statsmodels)."""
        return self.fit.cov_params

    def _repr_html_(self) -> str:
        """The summary (and a book's positions) as HTML tables, for Jupyter."""
        table = self.summary().to_html(index=False, header=False, float_format="{:.6g}".format)
        out = f"<h4>Beta hedge: {self.asset} on {self.benchmark}</h4>{table}"
        if self.book is not None:
            out += "<h4>Positions</h4>" + self.book.positions.to_html(float_format="{:.6g}".format)
        return out

    # --- the book ------------------------------------------------------------------------
    @property
    def positions(self) -> pd.DataFrame | None:
        """One row per holding, indexed by ticker: ``weight`` (for shares, the last date's
        value over the return base), ``beta`` (the holding's own regression on the benchmark
        over the same dates) and ``contribution``, the holding's share of the book's beta:
        they add up to it (weight x beta for a weights book; for a shares book the slope of
        the holding's return times its weight at the start of each period, as the weights
        drift). ``None`` for a single asset."""
        return None if self.book is None else self.book.positions.copy()

    @property
    def dollar_beta(self) -> float:
        """Beta x capital: the benchmark exposure in currency (NaN without a capital)."""
        return self.beta * self.capital if self.capital is not None else float("nan")

    @property
    def hedge_notional(self) -> float:
        """Benchmark notional to sell (negative: to buy) for zero beta, ``-`` nothing known."""
        return self.dollar_beta

    def hedge_size(
        self, value: float | None = None, instrument: str = "SPY", price: float | None = None,
        beta: float | None = None,
    ) -> eng.HedgeSize:
        """Shares of an ETF or futures contracts to short so the book has zero beta.

        Parameters
        ----------
        value
            The book's value in currency; default the capital (given, or a shares book's
            gross exposure).
        instrument
            A futures code (``"ES"``, ``"MES"``, ``"NQ"``, ... see
            :data:`betahedge_xl.engine.FUTURES_MULTIPLIERS`) or the ticker of shares
            (``"SPY"``, multiplier 1). A code that looks like a slip of a contract's
            (``"SE"``) is refused with the list of contracts.
        price
            The futures price in index points, or the price of one share.
        beta
            The book's beta to the instrument, when the user states it. Otherwise it is the
            fitted beta when the instrument is the benchmark (or a contract on the index the
            benchmark stands for, ES for SPY), and else measured from the instrument's prices
            (QQQ, or NQ through QQQ, for a fit on SPY) over the same window, frequency and
            returns. :attr:`HedgeSize.basis` says which.
        """
        b, basis = self.hedge_beta(instrument, beta)
        return _size(b, value if value is not None else self.capital, instrument, price, basis)

    def hedge_beta(self, instrument: str, beta: float | None = None) -> tuple[float, str]:
        """The book's beta to a hedge instrument and where it came from (see
        :meth:`hedge_size`)."""
        code = _instrument(instrument)
        if beta is not None:
            return _stated_beta(beta, code), f"stated: beta to {code} as given"
        first = self.benchmarks[0]
        if code in eng.FUTURES_MULTIPLIERS:
            index, proxies = eng.FUTURES_INDEX[code]
            if first.upper() in proxies:
                return self.beta, f"the fit on {first} ({code} tracks the {index})"
            known = {p for _, (_, ps) in eng.FUTURES_INDEX.items() for p in ps}
            if first.upper() not in known:
                # A benchmark of its own (a custom index, prices handed in): the contract is
                # taken to track it, and the line says so.
                return self.beta, (f"the fit on {first}, taken as the {index} that {code} "
                                   f"tracks; state the beta to {code} if it differs")
            measured, how = self._beta_to(proxies[0], code)
            return measured, (f"measured on {proxies[0]} prices ({code} tracks the {index}, "
                              f"the fit is on {first}): {how}")
        if code == first.upper():
            return self.beta, f"the fit on {first}"
        near = eng.near_contract(code)
        if near is not None:
            raise InputError(f"unknown futures contract {code!r} (did you mean {near}?); "
                             f"known: {eng.known_contracts()}. To hedge with shares of "
                             f"{code}, state the book's beta to it")
        measured, how = self._beta_to(code, code)
        return measured, f"measured on {code} prices (the fit is on {first}): {how}"

    def _beta_to(self, ticker: str, instrument: str) -> tuple[float, str]:
        """The book's beta to ``ticker``: the same request with ``ticker`` as the benchmark,
        over the window of this result."""
        request = self.request
        if request is None:
            raise InputError(f"no request to measure the beta to {ticker} from; state the "
                             f"book's beta to {instrument}")
        again = {**request, "benchmark": ticker, "start": self.start, "end": self.end,
                 "preset": None, "frequency": self.frequency}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                other = beta_hedge(**again)
        except BetaHedgeError as exc:
            raise InputError(
                f"hedge instrument {instrument}: not the benchmark {self.benchmarks[0]}, and "
                f"the book's beta to {ticker} could not be measured ({exc}). Give a futures "
                f"contract ({eng.known_contracts()}), the benchmark's ticker, or state the "
                f"beta to {instrument}") from None
        return other.beta, (f"beta {other.beta:.3f}, R-squared {other.r_squared:.1%}, "
                            f"{other.n_obs} {other.frequency} returns")

    def with_hedge(
        self, instrument: str, price: float, value: float | None = None,
        beta: float | None = None,
    ) -> HedgeResult:
        """This result with the hedge of :meth:`hedge_size` in its summary, dict and report."""
        size = self.hedge_size(value, instrument, price, beta)
        return replace(self, sizing=size,
                       capital=self.capital if self.capital is not None else size.value)

    # --- advice and risk ---------------------------------------------------------------
    @property
    def not_a_market_beta(self) -> str:
        """Why this beta is no market beta that Blume's or Vasicek's pull toward 1 fits (a
        book with shorts: long/short or dollar-neutral), or ``""`` when it is one."""
        if self.holdings is None or self.book is None:
            return ""
        if (np.asarray(self.holdings, dtype=float) < 0).any():
            e = self.book.exposure
            kind = "dollar-neutral" if abs(e.net) <= 1e-9 * max(abs(e.gross), 1.0) \
                else "long/short"
            return (f"the book is {kind} (net exposure {e.net:,.4g}, gross {e.gross:,.4g}); "
                    f"its beta is a spread of betas, not a market beta that shrinks toward 1")
        return ""

    @property
    def advice(self) -> list[str]:
        """Plain sentences where the evidence does not support hedging on this beta: an
        out-of-sample effectiveness at or below zero, or a beta not significantly different
        from zero (p >= 5%). Empty when neither holds."""
        out = []
        o = self.oos
        if o is not None and not o.effectiveness > 0:
            out.append(f"out-of-sample effectiveness {o.effectiveness:.1%}: the hedge did not "
                       f"reduce risk on {_iso(o.test_start)}..{_iso(o.test_end)}")
        if not self.beta_p < 0.05:
            out.append(f"beta {self.beta:.3f} not significantly different from zero "
                       f"(p = {self.beta_p:.3f})")
        if self.oos is None:
            out.append("no out-of-sample check (sample too short)")
        return out

    @property
    def hedge_supported(self) -> bool:
        """Whether the evidence supports the hedge (:attr:`advice` is empty)."""
        return not self.advice

    def _advice_text(self) -> str:
        advice = self.advice
        if not advice:
            p = "<0.001" if self.beta_p < 0.001 else f"= {self.beta_p:.3f}"
            return (f"supported: beta significant (p {p}), out-of-sample effectiveness "
                    f"{self.effectiveness_oos:.1%}")
        return "NOT SUPPORTED: " + "; ".join(advice)

    @cached_property
    def capture(self) -> dict[str, float]:
        """Morningstar's up and down capture ratios in percent, on the returns compounded
        into calendar months, against the (first) benchmark; see
        :func:`betahedge_xl.engine.estimators.morningstar_capture`."""
        from .engine import estimators

        returns = self._table("returns")
        y = returns.column(self.asset)
        x = returns.column(self.benchmarks[0])
        if self.method == "log":
            y, x = np.expm1(y), np.expm1(x)
        return estimators.morningstar_capture(y, x, returns.dates)

    @cached_property
    def risk(self) -> dict[str, float]:
        """Annualised volatilities (standard deviation x sqrt(periods a year)): ``unhedged``
        (the asset or book), ``hedged`` (after the in-sample hedge), ``residual`` (of the
        regression: the idiosyncratic risk no benchmark hedge removes) and
        ``tracking_error`` (of the asset's return minus the first benchmark's)."""
        returns = self._table("returns")
        y = returns.column(self.asset)
        x = returns.column(self.benchmarks[0])
        root = math.sqrt(self.periods_per_year)
        return {"unhedged": float(np.std(y, ddof=1)) * root,
                "hedged": float(np.std(self.hedge.values, ddof=1)) * root,
                "residual": self.resid_std * root,
                "tracking_error": float(np.std(y - x, ddof=1)) * root}

    def _risk_rows(self) -> list[tuple[str, str, Any]]:
        risk = self.risk
        labels = {"unhedged": "Volatility unhedged (annualised)",
                  "hedged": "Volatility hedged (annualised)",
                  "residual": "Residual volatility (annualised)",
                  "tracking_error": "Tracking error (annualised)"}
        keys = {"unhedged": "volatility", "hedged": "volatility_hedged",
                "residual": "residual_volatility", "tracking_error": "tracking_error"}
        rows: list[tuple[str, str, Any]] = [(keys[k], labels[k], risk[k]) for k in labels]
        if self.capital is not None:
            rows += [(f"{keys[k]}_money", labels[k].replace("(annualised)", "(ann., currency)"), risk[k] * self.capital)
                     for k in labels]
        return rows

    def _book_rows(self) -> list[tuple[str, str, Any]]:
        rows: list[tuple[str, str, Any]] = []
        if self.holdings is not None:
            percent = self.holdings_kind == "weights in percent"
            held = ", ".join(f"{t} {v * 100:g}%" if percent else f"{t} {v:g}"
                             for t, v in self.holdings.items())
            rows.append(("holdings", f"Holdings ({self.holdings_kind})", held))
        book = self.book
        if book is not None:
            unit = " (currency)" if book.kind == "shares" else " (x capital)"
            rows += [("gross_exposure", f"Gross exposure{unit}", book.exposure.gross),
                     ("net_exposure", f"Net exposure{unit}", book.exposure.net)]
            if book.kind == "shares":
                rows.append(("return_base", "Return base", book.return_base))
            rows.append(("cash", "Cash earns", book.cash))
        rows.append(("hedge_advice", "Hedge advice", self._advice_text()))
        if self.capital is not None:
            first = self.benchmarks[0]
            rows += [
                ("capital", "Capital", self.capital),
                ("dollar_beta", "Dollar beta (beta x capital)", self.dollar_beta),
                ("benchmark_notional",
                 f"{first} notional to {'sell' if self.dollar_beta >= 0 else 'buy'}",
                 abs(self.dollar_beta)),
            ]
        size = self.sizing
        if size is not None:
            unit = size.unit.capitalize()
            rows += [
                ("hedge_instrument", "Hedge instrument", size.instrument),
                ("hedge_beta", f"Beta to {size.instrument}", size.beta),
                ("hedge_beta_basis", f"Beta to {size.instrument} from", size.basis),
                ("hedge_price", "Hedge price", size.price),
                ("hedge_multiplier", "Hedge multiplier", size.multiplier),
                ("hedge_units", f"{unit} to {size.side}", abs(size.units)),
                ("hedge_exact", f"{unit} (exact, + to sell)", size.exact),
                ("hedge_notional_rounded", "Hedge notional", size.notional),
                ("residual_beta", f"Residual beta to {size.instrument} after rounding",
                 size.residual_beta),
            ]
        return rows

    # --- tables --------------------------------------------------------------------------
    def _stats(self) -> list[tuple[str, str, Any]]:
        """(key, label, value) rows: the one source of the summary, ``stat`` and ``to_dict``.

        Built once per result (a result does not change): a sheet of BETA_HEDGE_STAT cells,
        the summary, its print and the JSON all read the same rows.
        """
        return list(self._stat_rows)

    @cached_property
    def _stat_rows(self) -> tuple[tuple[str, str, Any], ...]:
        return tuple(self._build_stats())

    def _build_stats(self) -> list[tuple[str, str, Any]]:
        fit = self.fit
        # The fit's table as numbers: a summary reads every cell, pandas views cost more.
        coef = fit.coefficients().tolist()  # Python floats: read cell by cell below
        annualised, how = eng.annualize_alpha(self.alpha, self.frequency)
        returns = self.method if self.risk_free in (0, 0.0) else (
            f"{self.method}, excess of " + (
                f"{self.risk_free * 100:.4g}% a year" if isinstance(self.risk_free, float)
                else str(self.risk_free)
            )
        )
        cov = "classical" if fit.cov_type == "nonrobust" else f"Newey-West HAC, {fit.maxlags} lags"
        rows: list[tuple[str, str, Any]] = [
            ("asset", "Asset", self.asset),
            ("benchmark", "Benchmark", self.benchmark),
            ("first_date", "First price date", self.first_date.to_pydatetime()),
            ("last_date", "Last price date", self.last_date.to_pydatetime()),
            ("frequency", "Frequency", self.frequency),
            ("returns", "Returns", returns),
            *([("input", "Input", "returns handed in, used as given (first price date: "
                "the day before the first return)")] if self.input == "returns" else []),
            *([("window", "Window", self.window_note)] if self.window_note else []),
            *([("preset", "Preset", PRESETS[self.preset])] if self.preset else []),
            ("n_obs", "Observations", self.n_obs),
            ("alpha", "Alpha (per period)", coef[0][0]),
            ("alpha_se", "Alpha std. error", coef[0][1]),
            ("alpha_t", "Alpha t-stat", coef[0][2]),
            ("alpha_p", "Alpha p-value", coef[0][3]),
            ("alpha_ci_low", "Alpha 95% CI low", coef[0][4]),
            ("alpha_ci_high", "Alpha 95% CI high", coef[0][5]),
            ("alpha_annualized", f"Alpha annualised ({how})", annualised),
        ]
        multi = len(self.benchmarks) > 1
        for j, name in enumerate(self.benchmarks, start=1):
            suffix = f"_{name}" if multi else ""
            word = f"Beta {name}" if multi else "Beta"
            rows += [
                (f"beta{suffix}", word, coef[j][0]),
                (f"beta_se{suffix}", f"{word} std. error", coef[j][1]),
                (f"beta_t{suffix}", f"{word} t-stat", coef[j][2]),
                (f"beta_p{suffix}", f"{word} p-value", coef[j][3]),
                (f"beta_ci_low{suffix}", f"{word} 95% CI low", coef[j][4]),
                (f"beta_ci_high{suffix}", f"{word} 95% CI high", coef[j][5]),
            ]
        if multi:
            rows.append(("beta", "Beta (first benchmark)", self.beta))
        if not multi:
            # Blume's shrinkage toward 1 is about a market beta; a partial coefficient of
            # several benchmarks has no such anchor, nor has a long/short book's beta.
            why = self.not_a_market_beta
            rows.append(("adjusted_beta", "Adjusted beta (Blume)",
                         float("nan") if why else self.adjusted_beta))
            if why:
                rows.append(("adjusted_beta_note", "Blume adjustment", f"not applied: {why}"))
            moves = self.market_moves
            star = self.capture
            rows += [
                ("downside_beta", "Downside beta (benchmark falls)", moves["downside_beta"]),
                ("upside_beta", "Upside beta (benchmark rises)", moves["upside_beta"]),
                ("up_capture", "Up capture % (Morningstar, monthly)", star["up_capture"]),
                ("down_capture", "Down capture % (Morningstar, monthly)",
                 star["down_capture"]),
                ("up_capture_empyrical", "Up capture ratio (empyrical, daily)",
                 moves["up_capture"]),
                ("down_capture_empyrical", "Down capture ratio (empyrical, daily)",
                 moves["down_capture"]),
            ]
        rows += [
            ("r_squared", "R-squared", self.r_squared),
            ("r_squared_adj", "Adj. R-squared", self.r_squared_adj),
            ("correlation", "Correlation" if not multi else "Multiple R", self.correlation),
            ("resid_std", "Residual std. dev. (per period)", self.resid_std),
            ("std_errors", "Standard errors", cov),
            ("hedged_alpha", "Hedged alpha", self.hedged_alpha),
        ]
        for j, name in enumerate(self.benchmarks, start=1):
            suffix = f"_{name}" if multi else ""
            rows.append((f"hedged_beta{suffix}", f"Hedged beta{' ' + name if multi else ''}",
                         float(self.hedge.verification.estimates[j])))
        rows.append(("effectiveness", "Hedge effectiveness (in sample)", self.effectiveness))
        if self.oos is not None:
            o = self.oos
            rows += [
                ("effectiveness_oos", "Hedge effectiveness (out of sample)", o.effectiveness),
                ("oos_window", "Out-of-sample test",
                 f"beta from {_iso(o.estimation_start)}..{_iso(o.estimation_end)}, "
                 f"hedged {_iso(o.test_start)}..{_iso(o.test_end)}"),
            ]
        rows += self._risk_rows()
        rows += self._book_rows()
        rows.append(("warnings", "Data warnings", "; ".join(self.warnings) or "none"))
        return rows

    def summary(self) -> pd.DataFrame:
        """The label/value table (what ``=BETA_HEDGE`` spills and ``print`` shows).

        The values are exact; printed (or shown in Jupyter) the table reads as the report's
        cells do (:mod:`betahedge_xl.formats`): percentages, ``<0.001``, dates without a time.
        """
        stats = self._stats()
        cells = np.empty((len(stats), 2), dtype=object)  # one block: a third of a list's cost
        cells[:, 0] = [label for _, label, _ in stats]
        cells[:, 1] = [value for _, _, value in stats]
        table = SummaryFrame(cells, columns=_SUMMARY_COLUMNS, copy=False)  # labels: str
        # Shown as text when displayed, not here: a table read for its numbers (a worksheet
        # spill, a script) never pays for formatting thirty-odd values.
        table.text_rows = ([(key, value) for key, _, value in stats], list(self.benchmarks))
        return table

    def _texts(self, stats: list[tuple[str, str, Any]]) -> list[str]:
        return _texts([(key, value) for key, _, value in stats], self.benchmarks)

    def stat(self, name: str) -> Any:
        """One statistic by key (``"beta"``, ``"alpha_t"``, ``"r_squared"``, ...)."""
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        aliases = {"rsquared": "r_squared", "r2": "r_squared", "nobs": "n_obs", "n": "n_obs",
                   "start": "first_date", "end": "last_date",
                   "blume": "adjusted_beta", "adj_beta": "adjusted_beta",
                   "alpha_annualised": "alpha_annualized", "r_squared_adjusted": "r_squared_adj",
                   "hedge_notional": "benchmark_notional"}
        key = aliases.get(key, key)
        try:
            return self._stat_index[key]
        except KeyError:
            keys = ", ".join(self.stat_names())
            raise InputError(f"unknown statistic {name!r}; use one of: {keys}") from None

    @cached_property
    def _stat_index(self) -> dict[str, Any]:
        """Every statistic by its case-folded key (several benchmarks' keys carry the ticker,
        "beta_XLK"; the first of a key wins)."""
        index: dict[str, Any] = {}
        for k, _, value in self._stat_rows:
            index.setdefault(k.lower(), value)
        return index

    def stat_names(self) -> list[str]:
        """The keys :meth:`stat` takes, in the summary's order."""
        return [k for k, _, _ in self._stats()]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping of every statistic (dates as ISO strings, NaN as None)."""
        out: dict[str, Any] = {}
        for key, _, value in self._stats():
            if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
                value = value.strftime("%Y-%m-%d")
            elif isinstance(value, (float, np.floating)):
                value = None if not math.isfinite(value) else float(value)
            elif isinstance(value, np.integer):
                value = int(value)
            out[key] = value
        if len(self.benchmarks) > 1:
            # The headline keys every consumer reads name the first benchmark, like "beta".
            first = self.benchmarks[0]
            for key in ("beta_se", "beta_t", "beta_p", "hedged_beta"):
                out[key] = out[f"{key}_{first}"]
        out["benchmarks"] = list(self.benchmarks)
        out["hedge_supported"] = self.hedge_supported
        out["hedge_advice_reasons"] = self.advice
        out["warnings"] = list(self.warnings)
        out["maxlags"] = self.fit.maxlags
        out["annualization"] = self.annualization
        out["rolling_window"] = self.rolling_window
        if self.quality is not None and hasattr(self.quality, "to_dict"):
            out["quality"] = self.quality.to_dict()
        if self.book is not None:
            out["positions"] = _records(self.book.positions)
        if self.sizing is not None:
            out["hedge"] = {**self.sizing.to_dict(), "supported": self.hedge_supported,
                            "advice": out["hedge_advice"]}
        return out

    def series(self) -> pd.DataFrame:
        """Dates, asset and benchmark returns and the hedged return, one row per period."""
        frame = self.returns.copy()
        frame["hedged"] = self.hedged_returns.to_numpy()
        frame.index.name = "date"
        return frame.reset_index()

    def cumulative(self) -> pd.DataFrame:
        """Growth of 1 of asset, benchmark(s) and the hedged series, from the first price date."""
        r = self.series().set_index("date")
        growth = np.exp(r.cumsum()) if self.method == "log" else (1.0 + r).cumprod()
        first = pd.DataFrame(1.0, index=[self.first_date], columns=growth.columns)
        out = pd.concat([first, growth])
        out.index.name = "date"
        return out

    def _regressors(self) -> tuple[pd.Series, pd.DataFrame]:
        return self.returns[self.asset], self.returns[self.benchmarks]

    def partial_regression(self) -> dict[str, pd.DataFrame]:
        """Per benchmark, asset and benchmark returns net of the other benchmarks (columns
        ``x``, ``y``): their slope through the origin is that benchmark's beta (the report's
        scatter with several benchmarks)."""
        from .engine.partial import partial_regression

        return partial_regression(*self._regressors())

    def rolling_beta_se(self) -> pd.DataFrame:
        """Classical standard error of each rolling beta (same window, same columns)."""
        from .engine.partial import rolling_beta_se

        return rolling_beta_se(*self._regressors(), self.rolling_window)

    def __str__(self) -> str:
        stats = self._stats()
        return "\n".join(f"{label:<38} {text}"
                         for (_, label, _), text in zip(stats, self._texts(stats)))

    def __repr__(self) -> str:
        return (
            f"<HedgeResult {self.asset} on {self.benchmark}: beta={self.beta:.4f} "
            f"alpha={self.alpha:.6f} n={self.n_obs}>"
        )


_SUMMARY_COLUMNS = pd.Index(["label", "value"])


for _field in ("prices", "returns", "rolling_beta"):
    # Set after the dataclass is made, so that the three stay required fields of its
    # constructor (and of dataclasses.replace) while reading through the descriptor.
    _frame_field = _Frame()
    _frame_field.__set_name__(HedgeResult, _field)
    setattr(HedgeResult, _field, _frame_field)


class SummaryFrame(pd.DataFrame):
    """The summary's label/value DataFrame; printed, its values read as the report shows them.

    Only the display changes: the ``value`` column keeps the exact numbers and dates, and any
    frame derived from it (a slice, a copy) is a plain DataFrame that prints as pandas does.
    """

    _metadata = ["texts", "text_rows"]
    texts: list[str] | None = None
    #: (key, value) rows and benchmark names the texts are made from on first display.
    text_rows: tuple[list[tuple[str, Any]], list[str]] | None = None

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _display(self) -> pd.DataFrame:
        if self.texts is None and self.text_rows is not None:
            self.texts = _texts(*self.text_rows)
        texts = self.texts
        if texts is None or len(texts) != len(self) or list(self.columns) != ["label", "value"]:
            return pd.DataFrame(self)
        return pd.DataFrame({"label": self["label"], "value": texts}, index=self.index)

    def __repr__(self) -> str:
        return repr(self._display())

    def to_string(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        return str(self._display().to_string(*args, **kwargs))

    def _repr_html_(self) -> str | None:
        return self._display()._repr_html_()  # type: ignore[operator]


def _iso(day: Any) -> str:
    """``2014-07-03``: a Timestamp's day (strftime costs four times more)."""
    return str(day.date().isoformat()) if isinstance(day, pd.Timestamp) else str(day)


def _texts(rows: list[tuple[str, Any]], benchmarks: list[str]) -> list[str]:
    """Each (key, value) as the report's cell shows it (:func:`betahedge_xl.formats.text`)."""
    from .formats import text

    return [text(key, value, benchmarks) for key, value in rows]


def _check_handed(
    table: Table, columns: list[str], start: pd.Timestamp | None, end: pd.Timestamp | None,
) -> tuple[Table, Any]:
    """Windowed prices handed in get the report tickers get, and their rule for a zero price.

    ``table`` holds the windowed prices of every leg; ``columns`` are those handed in. Zero or
    negative prices among them are removed (NaN), as the data layer removes them from a file
    or from Yahoo, and the report's line says so.
    """
    from .data.quality import assess_values

    own = table if columns == table.names else table.columns(columns)
    # An open window of prices handed in ends where they end, not today.
    empty = not len(table) or not table.names
    first = start if start is not None or empty else pd.Timestamp(table.dates[0])
    last = end if end is not None or empty else (
        pd.Timestamp(table.dates[-1]) + pd.Timedelta(days=1))
    report = assess_values(own.values, own.dates, own.names, first, last)
    with np.errstate(invalid="ignore"):
        bad = own.values <= 0
    if bad.any():
        at = [table.names.index(c) for c in columns]
        values = table.values.copy()
        values[:, at] = np.where(bad, np.nan, own.values)
        table = table.with_values(values)
    return table, report


def _check_book_names(book: Table, bench: Table) -> None:
    """Refuse a holding named like a benchmark (any case) whose prices are not the
    benchmark's: joined on names, one would silently replace the other (the book regressed on
    a holding, the positions showing the benchmark at beta 1). A book may hold its benchmark
    (an index ETF hedged with that ETF) when the prices are the same."""
    for a in book.names:
        for b in bench.names:
            if a.upper() != b.upper():
                continue
            same = np.array_equal(book.dates, bench.dates) and np.allclose(
                book.column(a), bench.column(b), rtol=1e-12, atol=0.0, equal_nan=True)
            if not same:
                raise InputError(
                    f"the book's holding {a} is named like the benchmark {b} but has other "
                    f"prices: rename the holding or the benchmark")


def _judge_moves(quality: Any, notes: list[str], table: Table, benchmark: str
                 ) -> tuple[Any, list[str]]:
    """Possible splits and spikes judged against what the benchmark did each day (a split
    day's move less the benchmark's); the report's lines for them replaced in ``notes``."""
    from .data.quality import judged_against

    before = [m for q in quality.tickers.values() for m in q.move_messages()]
    market = table.values[:, table.names.index(benchmark)]
    judged = judged_against(quality, table.values, table.dates, table.names, market)
    after = [m for q in judged.tickers.values() for m in q.move_messages()]
    return judged, [m for m in notes if m not in before] + after


def _window_table(
    table: Table, start: pd.Timestamp | None, end: pd.Timestamp | None,
    names: list[str] | None = None,
) -> Table:
    """The rows of date-sorted prices inside the window (:func:`betahedge_xl._dates.window`),
    columns ``names`` (default all), as arrays of their own."""
    lo, hi = window_bounds(table.dates, start and start.to_datetime64(),
                           end and end.to_datetime64())
    part = table.rows(slice(lo, hi))
    if names is None:
        return part.with_values(part.values.copy())
    return part.with_values(part.values[:, [table.names.index(n) for n in names]], list(names))


@dataclass(frozen=True)
class _Rolling:
    """A result's rolling betas, computed when first read (the summary does not show them)."""

    returns: Table
    asset: str
    benchmarks: list[str]
    window: int | None  # None: the sample is shorter than the window (all NaN)

    @cached_property
    def frame(self) -> pd.DataFrame:
        index = self.returns.index
        if self.window is None:
            return pd.DataFrame(np.nan, index=index, columns=self.benchmarks)
        if len(self.benchmarks) == 1:
            beta = eng.rolling_beta(self.returns.column(self.asset),
                                    self.returns.column(self.benchmarks[0]), self.window)
            return pd.DataFrame(beta.to_numpy(), index=index, columns=self.benchmarks,
                                copy=False)
        r = self.returns.frame
        return eng.rolling_ols_betas(r[self.asset], r[self.benchmarks], self.window)


# --------------------------------------------------------------------------------------------
# The front door
# --------------------------------------------------------------------------------------------
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
        from .data import load_prices

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
            from .data.quality import assess

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
