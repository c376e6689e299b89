"""A result's book and hedge sizing: positions, dollar beta, contracts or shares."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from collections.abc import Callable
from typing import Any, Self

import pandas as pd

from .. import engine as eng
from ..exceptions import (
    BetaHedgeError,
    DataWarning,
    InputError,
)
from .numbers import ResultNumbers


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


def check_instrument(instrument: Any, benchmark: str | None = None, beta: Any = None,
                     state: str | None = "state the book's beta to it") -> str:
    """The hedge instrument's code, or :class:`InputError` for a slip of a futures contract's
    code (``SE`` for ``ES``) naming it and the known contracts with their multipliers. A code
    that is the (first) ``benchmark`` itself, or with a ``beta`` stated (shares of that
    ticker), is no slip. ``state``: how this face states a beta (``None``: it cannot). Cheap:
    the faces call it before loading any price."""
    code = _instrument(instrument)
    if beta is None and (benchmark is None or code != str(benchmark).strip().upper()):
        near = eng.near_contract(code)
        if near is not None:
            shares = f". To hedge with shares of {code}, {state}" if state else ""
            raise InputError(f"unknown futures contract {code!r} (did you mean {near}?); "
                             f"known: {eng.known_contracts()}{shares}")
    return code


def _stated_beta(beta: Any, code: str) -> float:
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise InputError(f"beta to {code}: expected a number, got {beta!r}") from None
    if not math.isfinite(value):
        raise InputError(f"beta to {code}: expected a finite number, got {beta!r}")
    return value


#: :func:`~betahedge_xl.analysis.beta_hedge`, which measures a book's beta to another
#: instrument; the front door hands itself in (:func:`front_door`) so that the result it makes
#: does not import it back.
_FRONT_DOOR: dict[str, Callable[..., Any]] = {}


def front_door(function: Callable[..., Any]) -> Callable[..., Any]:
    """Register :func:`beta_hedge` as what :meth:`HedgeSizing.hedge_beta` re-runs."""
    _FRONT_DOOR["beta_hedge"] = function
    return function


class HedgeSizing(ResultNumbers):
    """The book and the hedge in units of :class:`HedgeResult`."""

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
        first = self.benchmarks[0]
        code = check_instrument(instrument, first, beta)
        if beta is not None:
            return _stated_beta(beta, code), f"stated: beta to {code} as given"
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
                other = _FRONT_DOOR["beta_hedge"](**again)
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
    ) -> Self:
        """This result with the hedge of :meth:`hedge_size` in its summary, dict and report."""
        size = self.hedge_size(value, instrument, price, beta)
        return replace(self, sizing=size,
                       capital=self.capital if self.capital is not None else size.value)
