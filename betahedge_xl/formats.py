"""How each statistic of the summary reads: one rule per statistic, as an Excel number format
and as text.

The workbook (live refresh and .xlsx report), the command line's text and ``res.summary()``
all show the summary; they follow these rules so that a PM reads the same figure everywhere:
percentages where people read percent, t-statistics with two decimals, p-values as ``<0.001``
or three decimals (never ``4.23E-14``), betas with three decimals, and a hedged beta that is
zero by construction as ``0.000`` (the cell keeps the exact value; only its look is rounded).
Pure functions of (key, value): no pandas, no I/O.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable
from typing import Any

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_1 = "0.0%"
PERCENT_2 = "0.00%"
#: Per-period returns (a daily alpha is about 0.06%): four decimals of a percent.
PERCENT_4 = "0.0000%"
RATIO_3 = "0.000"
TSTAT = "0.00"
#: Excel's conditional section: below 0.001 the cell reads ``<0.001``, else three decimals.
PVALUE = '[<0.001]"<0.001";0.000'
#: A zero whose rounding noise is negative (-4.6e-16) must not read ``-0.000``.
ZERO_RATIO_3 = "0.000;0.000"
INTEGER = "0"
#: Morningstar's capture ratios: a number in percent (112.3), one decimal.
CAPTURE = "0.0"
#: Money (capital, dollar beta, notionals, a book's exposures) with thousands separators.
MONEY = "#,##0.00"

#: Statistic key (without a benchmark suffix) -> Excel number format.
_KIND = {
    "n_obs": INTEGER,
    "alpha": PERCENT_4,
    "alpha_se": PERCENT_4,
    "alpha_ci_low": PERCENT_4,
    "alpha_ci_high": PERCENT_4,
    "hedged_alpha": PERCENT_4,
    "alpha_annualized": PERCENT_2,
    "alpha_t": TSTAT,
    "beta_t": TSTAT,
    "alpha_p": PVALUE,
    "beta_p": PVALUE,
    "beta": RATIO_3,
    "beta_se": RATIO_3,
    "beta_ci_low": RATIO_3,
    "beta_ci_high": RATIO_3,
    "adjusted_beta": RATIO_3,
    "correlation": RATIO_3,
    "hedged_beta": RATIO_3,
    "r_squared": PERCENT_1,
    "r_squared_adj": PERCENT_1,
    "effectiveness": PERCENT_1,
    "effectiveness_oos": PERCENT_1,
    "resid_std": PERCENT_2,
    "capital": MONEY,
    "dollar_beta": MONEY,
    "benchmark_notional": MONEY,
    "volatility": PERCENT_2,
    "volatility_hedged": PERCENT_2,
    "residual_volatility": PERCENT_2,
    "tracking_error": PERCENT_2,
    "volatility_money": MONEY,
    "volatility_hedged_money": MONEY,
    "residual_volatility_money": MONEY,
    "tracking_error_money": MONEY,
    "up_capture": CAPTURE,
    "down_capture": CAPTURE,
    "hedge_notional_rounded": MONEY,
    "hedge_price": MONEY,
    "hedge_multiplier": MONEY,
    "gross_exposure": MONEY,
    "net_exposure": MONEY,
    "hedge_exact": TSTAT,
}
#: Below this a hedged beta is rounding noise of the zero it is by construction.
_NOISE = 1e-10


def base_key(key: str, benchmarks: Iterable[str] = ()) -> str:
    """The statistic's key without its benchmark suffix (``beta_t_XLK`` -> ``beta_t``)."""
    for name in benchmarks:
        if key.endswith(f"_{name}") and key[: -len(name) - 1] in _KIND:
            return key[: -len(name) - 1]
    return key


def excel_format(key: str, value: Any, benchmarks: Iterable[str] = ()) -> str | None:
    """Excel number format of one summary value (``None``: text, Excel's default look)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return DATE_FORMAT
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    fmt = _KIND.get(base_key(key, benchmarks))
    if fmt is None:
        return INTEGER if isinstance(value, int) else RATIO_3
    if fmt == RATIO_3 and base_key(key, benchmarks) == "hedged_beta" and abs(value) < _NOISE:
        return ZERO_RATIO_3
    return fmt


def text(key: str, value: Any, benchmarks: Iterable[str] = ()) -> str:
    """The value as the Excel format of :func:`excel_format` shows it."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d"))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    return format_number(excel_format(key, value, benchmarks) or INTEGER, value)


def format_number(fmt: str, value: float) -> str:
    """Render ``value`` the way Excel renders it with one of this module's formats."""
    if fmt == PVALUE:
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if fmt == INTEGER:
        return f"{value:.0f}"
    if fmt.endswith("%") or fmt.split(";")[0].endswith("%"):
        decimals = len(fmt.split(";")[0].split(".")[1]) - 1 if "." in fmt else 0
        return _no_minus_zero(f"{value:.{decimals}%}")
    head, _, negative = fmt.partition(";")
    decimals = len(head.split(".")[1]) if "." in head else 0
    comma = "," if head.startswith("#,##") else ""
    shown = f"{abs(value) if negative == head else value:{comma}.{decimals}f}"
    return _no_minus_zero(shown)


def _no_minus_zero(shown: str) -> str:
    # Python writes -0.000 for a tiny negative; Excel's default section writes it too, but a
    # reader takes "-0.000" for a sign that means something. Every zero reads as zero.
    if shown.startswith("-") and not any(ch in "123456789" for ch in shown):
        return shown[1:]
    return shown


def percent(value: float, decimals: int = 2) -> str:
    """``0.02 -> "2.00%"``: rates given by a user (the risk-free rate) in the same look."""
    return f"{value:.{decimals}%}"
