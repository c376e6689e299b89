"""What was asked: legs, holdings, window, preset, units, every check of the request."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable, Mapping, Sequence, Set

import numpy as np
import pandas as pd

from .. import engine as eng
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

