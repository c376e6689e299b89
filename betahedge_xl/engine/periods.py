"""Frequencies, periods per year and annualisation: the one place these numbers live."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from ..exceptions import InputError

Frequency = Literal["daily", "weekly", "monthly"]
ReturnMethod = Literal["simple", "log"]

#: Periods per year used to annualise. 252 trading days is the market convention; weeks and
#: months are calendar counts.
PERIODS_PER_YEAR: dict[str, int] = {"daily": 252, "weekly": 52, "monthly": 12}

#: pandas resampling rule of each frequency (design.md: weeks end on Friday, months at month end).
RESAMPLE_RULE: dict[str, str | None] = {"daily": None, "weekly": "W-FRI", "monthly": "ME"}

#: pandas period of each frequency: the week or month a date belongs to.
PERIOD_CODE: dict[str, str] = {"daily": "D", "weekly": "W-FRI", "monthly": "M"}

RiskFreeUnit = Literal["annual", "annual%", "period", "period%"]

#: Plausible annual risk-free rates, as decimals: above 100% a year is a percent read as a
#: decimal or an annual rate read as a daily one, not a rate.
RF_ANNUAL_RANGE = (-0.5, 1.0)

_RF_UNIT_ALIASES = {
    "annual": "annual", "a": "annual", "year": "annual", "yearly": "annual",
    "a year": "annual", "per year": "annual", "annual decimal": "annual",
    "annual%": "annual%", "annual %": "annual%", "annual percent": "annual%",
    "annual pct": "annual%", "% a year": "annual%", "percent a year": "annual%",
    "period": "period", "per period": "period", "per-period": "period", "p": "period",
    "period decimal": "period",
    "period%": "period%", "period %": "period%", "per period%": "period%",
    "per period %": "period%", "per period percent": "period%", "period percent": "period%",
    "% per period": "period%", "percent per period": "period%",
}
_RF_UNIT_WORDS = {"annual": "annual decimal rates", "annual%": "annual rates in percent",
                  "period": "per-period decimal rates", "period%": "per-period rates in percent"}

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


def normalize_rf_unit(value: object, default: RiskFreeUnit = "annual") -> RiskFreeUnit:
    """``"annual"``, ``"annual%"``, ``"period"`` or ``"period%"`` from the spellings users type.

    Annual rates are converted to the period's rate by compounding; per-period rates are the
    return of a risk-free holding over each period (Ken French's ``RF`` is monthly percent,
    FRED's T-bill series are annual percent). ``%`` means the numbers are percent (5 for 5%).
    """
    return _option(value, _RF_UNIT_ALIASES, default, "risk-free unit",  # type: ignore[return-value]
                   "annual, annual%, period or period%")


def rf_unit_words(unit: object) -> str:
    """``"annual rates in percent"`` ...: the unit as a report says it."""
    return _RF_UNIT_WORDS[normalize_rf_unit(unit)]


_RATE_TEXT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(%?)\s*(.*?)\s*$", re.I)


def parse_rate(text: str, what: str = "risk-free rate") -> tuple[float, RiskFreeUnit]:
    """A rate typed as text, with its unit: ``"0.02"``, ``"2%"``, ``"0.4% per period"``.

    A number alone is an annual decimal rate; a ``%`` sign makes it percent; ``per period``
    (or ``annual``) after it says over what. Used by the command line and Excel's cells alike.
    """
    m = _RATE_TEXT.match(str(text))
    if not m:
        raise InputError(f"{what}: cannot read {text!r} as a rate (e.g. 0.02, 2% or "
                         f"0.4% per period)")
    number, pct, rest = float(m.group(1)), m.group(2), m.group(3).strip().lower()
    if rest in ("", "annual", "a year", "per year", "annually", "pa", "p.a."):
        base = "annual"
    elif rest in ("per period", "period", "a period", "per-period"):
        base = "period"
    else:
        raise InputError(f"{what}: unit {rest!r} not understood; say 'annual' or 'per period' "
                         f"(e.g. 0.4% per period)")
    return number, normalize_rf_unit(base + ("%" if pct else ""))


def rate_words(number: float, unit: str) -> str:
    """``number`` in ``unit`` as :func:`parse_rate` reads it back: ``5% annual``,
    ``0.3 per period`` (the faces quote it in their hints)."""
    u = normalize_rf_unit(unit)
    per = "per period" if u.startswith("period") else "annual"
    return f"{number:g}{'%' if u.endswith('%') else ''} {per}"


def risk_free_per_period(
    values: np.ndarray, unit: object, frequency: object, method: object = "simple",
    dates: object = None, spell: Callable[[float, str], str] | None = None,
) -> np.ndarray:
    """Per-period decimal risk-free returns from rates in ``unit``; implausible values refused.

    Parameters
    ----------
    values
        The rates as given (one per period, or one constant).
    unit
        ``"annual"`` (default), ``"annual%"``, ``"period"`` or ``"period%"``.
    dates
        Dates of ``values`` (for the message naming the first implausible one).
    spell
        How the face that asked writes a rate in a unit, for the hint: ``spell(5.0,
        "annual%")``; Python's keyword (``risk_free_unit='annual%'``) when ``None``.

    Raises
    ------
    InputError
        A rate that would be outside -50%..100% a year in the declared unit, with the unit it
        probably is.
    """
    u = normalize_rf_unit(unit)
    p = periods_per_year(frequency)
    given = np.asarray(values, dtype=float)
    decimal = given / 100.0 if u.endswith("%") else given
    if u.startswith("annual"):
        annual = decimal
    else:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            annual = np.expm1(p * np.log1p(np.maximum(decimal, -1.0)))
    lo, hi = RF_ANNUAL_RANGE
    bad = ~((annual > lo) & (annual <= hi))
    if bad.any():
        i = int(np.argmax(bad))
        where = ""
        if dates is not None and len(np.atleast_1d(given)) > 1:
            where = f" on {np.asarray(dates)[i]!s:.10}"
        v = float(np.atleast_1d(given)[i])
        a = float(np.atleast_1d(annual)[i])
        seen = f"{a:.0%} a year" if abs(a) <= 10 else "over 1000% a year"
        hint = _rf_unit_hint(float(np.atleast_1d(decimal)[i]) * (100 if u.endswith("%") else 1),
                             p, spell)
        raise InputError(
            f"risk-free {v:g}{where} read as {_RF_UNIT_WORDS[u]} would be {seen}; {hint}"
        )
    log = normalize_method(method) == "log"
    if u.startswith("annual"):
        return np.log1p(decimal) / p if log else np.expm1(np.log1p(decimal) / p)
    # A period's risk-free return is a simple return; log returns subtract its log.
    return np.log1p(decimal) if log else decimal


#: Annual risk-free rates (decimals) outside this range are possible but seldom real: an
#: annual decimal series from a low-rate year (0.0005) read per day is 13% a year, 0.5 typed
#: for 0.5% is 50%. The result says so and names the unit the numbers would fit.
RF_USUAL_RANGE = (-0.02, 0.10)


def _annual_equivalent(decimal: float, unit: str, p: int) -> float:
    """An annual decimal rate from a decimal rate in ``unit`` (compounded over ``p``)."""
    if unit.startswith("annual"):
        return decimal
    return math.expm1(min(p * math.log1p(max(decimal, -1 + 1e-12)), 700.0))


def risk_free_note(risk_free: Any, unit: object, frequency: object,
                   spell: Callable[[float, str], str] | None = None) -> str | None:
    """A line for the result when the risk-free numbers, read in their declared ``unit`` at
    ``frequency``, come to an unusual annual rate (outside :data:`RF_USUAL_RANGE`); it names
    the units they would fit. ``None`` when usual (or zero). A Series is read by its median."""
    u = normalize_rf_unit(unit)
    p = periods_per_year(frequency)
    values = np.asarray(risk_free, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if not len(values) or not values.any():
        return None
    typical = float(np.median(values))
    decimal = typical / 100.0 if u.endswith("%") else typical
    annual = _annual_equivalent(decimal, u, p)
    lo, hi = RF_USUAL_RANGE
    if lo < annual <= hi:
        return None
    hint = _rf_unit_hint(typical, p, spell, RF_USUAL_RANGE, exclude=u)
    what = "the median risk-free" if len(values) > 1 else "risk-free"
    return (f"{what} {typical:g} read as {_RF_UNIT_WORDS[u]} is {annual:.1%} a year, unusual "
            f"for a risk-free rate; "
            f"{hint if hint.startswith('is it') else 'check its unit'}")


def _rf_unit_hint(number: float, p: int,
                  spell: Callable[[float, str], str] | None = None,
                  bounds: tuple[float, float] = RF_ANNUAL_RANGE,
                  exclude: str | None = None) -> str:
    """The units in which ``number`` would be a plausible rate, as advice in the face's words."""
    lo, hi = bounds
    fits = []
    for u in ("annual", "annual%", "period", "period%"):
        if u == exclude:
            continue
        d = number / 100.0 if u.endswith("%") else number
        # 500 compounded over 252 periods overflows a float: far outside the range, not a fit
        a = _annual_equivalent(d, u, p)
        if lo < a <= hi:
            fits.append(u)
    if not fits:
        return "give 0.05 for 5% a year"
    say = spell or (lambda _n, u: f"risk_free_unit={u!r}")
    return "is it " + " or ".join(say(number, u) for u in fits) + "?"
