"""Frequencies, periods per year and annualisation: the one place these numbers live."""

from __future__ import annotations

from typing import Literal

from ..exceptions import InputError

Frequency = Literal["daily", "weekly", "monthly"]
ReturnMethod = Literal["simple", "log"]

#: Periods per year used to annualise. 252 trading days is the market convention; weeks and
#: months are calendar counts.
PERIODS_PER_YEAR: dict[str, int] = {"daily": 252, "weekly": 52, "monthly": 12}

#: pandas resampling rule of each frequency (design.md: weeks end on Friday, months at month end).
RESAMPLE_RULE: dict[str, str | None] = {"daily": None, "weekly": "W-FRI", "monthly": "ME"}

_FREQ_ALIASES = {
    "d": "daily", "day": "daily", "daily": "daily", "1d": "daily",
    "w": "weekly", "week": "weekly", "weekly": "weekly", "1wk": "weekly", "w-fri": "weekly",
    "m": "monthly", "month": "monthly", "monthly": "monthly", "1mo": "monthly", "me": "monthly",
}
_METHOD_ALIASES = {"simple": "simple", "arithmetic": "simple", "pct": "simple",
                   "log": "log", "logarithmic": "log", "continuous": "log"}


def _option(value: object, aliases: dict[str, str], default: str, what: str, use: str) -> str:
    """An option's canonical name from the spellings users type; empty means ``default``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    key = str(value).strip().lower()
    if key not in aliases:
        raise InputError(f"{what} {value!r} not understood; use {use}")
    return aliases[key]


def normalize_frequency(value: object) -> Frequency:
    """``"daily"``/``"weekly"``/``"monthly"`` from the spellings users type (``"D"``, ``"1wk"``...)."""
    return _option(value, _FREQ_ALIASES, "daily", "frequency",  # type: ignore[return-value]
                   "daily, weekly or monthly")


def normalize_method(value: object) -> ReturnMethod:
    """``"simple"`` or ``"log"``."""
    return _option(value, _METHOD_ALIASES, "simple", "returns",  # type: ignore[return-value]
                   "simple or log")


def periods_per_year(frequency: object) -> int:
    """Annualisation factor of a frequency (252, 52 or 12)."""
    return PERIODS_PER_YEAR[normalize_frequency(frequency)]


def annual_to_periodic(rate: float, frequency: object, method: object = "simple") -> float:
    """Per-period rate equivalent to an annual rate, compounded over the frequency's periods.

    Simple returns: ``(1 + r) ** (1 / P) - 1``; log returns: ``log(1 + r) / P``.
    """
    import math

    p = periods_per_year(frequency)
    if not -1 < rate <= 1:
        # Above 100% a year is a percent typed as a number (5 for 5%), not a rate.
        raise InputError(
            f"risk-free rate {rate:g} would be {rate:.0%} a year; give 0.05 for 5%"
        )
    if normalize_method(method) == "log":
        return math.log1p(rate) / p
    return math.expm1(math.log1p(rate) / p)


def annualize_alpha(alpha: float, frequency: object) -> tuple[float, str]:
    """Annualised alpha and the words that say how: per-period alpha times periods per year.

    Linear scaling keeps annualised alpha additive like the per-period one; empyrical compounds
    instead (``(1 + alpha) ** P - 1``), so the method is stated wherever the number is shown.
    """
    p = periods_per_year(frequency)
    return alpha * p, f"alpha x {p}"
