"""How an asset moves with the benchmark's falls and rises: :func:`downside_beta`,
:func:`upside_beta`, :func:`up_capture`, :func:`down_capture`, Morningstar's monthly capture
ratios and the market moves behind them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .betas import _names, _panel


def _conditional_beta_values(y: np.ndarray, x: np.ndarray, down: bool) -> np.ndarray:
    keep = x < 0 if down else x > 0
    if np.count_nonzero(keep) < 3:
        return np.full(y.shape[1:], np.nan)
    return _slope(y[keep], x[keep])


def _slope(yk: np.ndarray, xk: np.ndarray) -> np.ndarray:
    """OLS slope of each asset's rows ``yk`` on the benchmark's ``xk`` (the rows kept)."""
    xc = xk - xk.sum() / len(xk)  # the mean, without np.mean's dispatch
    sxx = float(xc @ xc)
    if sxx == 0.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((xc @ yk) / sxx, dtype=float)
    return np.asarray((xc @ yk) / sxx, dtype=float)


def _conditional_beta(asset_returns: Any, benchmark_returns: Any, down: bool) -> pd.Series:
    y, x = _panel(asset_returns, benchmark_returns)
    return pd.Series(_conditional_beta_values(y, x, down),
                     index=_names(asset_returns, y.shape[1]))


def downside_beta(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """OLS beta on the days the benchmark falls (``m < 0``).

    As empyrical's ``down_alpha_beta`` (threshold 0); the downside beta of Bawa and
    Lindenberg (1977, Journal of Financial Economics 5(2), 189-200) and of Ang, Chen and Xing
    (2006, Review of Financial Studies 19(4), 1191-1239), who use the mean as the threshold.
    NaN with fewer than 3 such days.
    """
    return _conditional_beta(asset_returns, benchmark_returns, down=True)


def upside_beta(asset_returns: Any, benchmark_returns: Any) -> pd.Series:
    """OLS beta on the days the benchmark rises (``m > 0``); see :func:`downside_beta`."""
    return _conditional_beta(asset_returns, benchmark_returns, down=False)


def _capture(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float, down: bool
) -> pd.Series:
    y, x = _panel(asset_returns, benchmark_returns)
    return pd.Series(_capture_values(y, x, periods_per_year, down),
                     index=_names(asset_returns, y.shape[1]))


def _capture_values(y: np.ndarray, x: np.ndarray, periods_per_year: float,
                    down: bool) -> np.ndarray:
    keep = x < 0 if down else x > 0
    if not keep.any():
        return np.full(y.shape[1:], np.nan)
    return _growth_ratio(y[keep], x[keep], periods_per_year)


def _growth_ratio(yk: np.ndarray, xk: np.ndarray, periods_per_year: float) -> np.ndarray:
    """Each asset's compound annual growth over the benchmark's on the same rows (empyrical's
    ``annual_return`` of ``k`` days: ``prod(1 + r)^(periods_per_year / k) - 1``)."""
    k = len(xk)
    ann_y = np.multiply.reduce(1.0 + yk, axis=0) ** (periods_per_year / k) - 1.0
    ann_x = float(np.multiply.reduce(1.0 + xk)) ** (periods_per_year / k) - 1.0
    return np.asarray(ann_y / ann_x, dtype=float)


def up_capture(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float = 252
) -> pd.Series:
    """Up-capture ratio: the asset's annualised return on the benchmark's up days over the
    benchmark's on the same days (empyrical's ``up_capture``, a ratio; Morningstar's capture
    ratios, on monthly returns and in percent, are :func:`morningstar_capture`).

    Annualised return of ``k`` days: ``prod(1 + r)^(periods_per_year / k) - 1``.
    """
    return _capture(asset_returns, benchmark_returns, periods_per_year, down=False)


def down_capture(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float = 252
) -> pd.Series:
    """Down-capture ratio: as :func:`up_capture` on the benchmark's down days (below 1: the
    asset falls less than the benchmark)."""
    return _capture(asset_returns, benchmark_returns, periods_per_year, down=True)


def monthly_returns(returns: Any, dates: Any) -> tuple[np.ndarray, np.ndarray]:
    """Simple returns compounded within each calendar month: ``(months, returns)``.

    ``returns`` is one (n,) or several (n, k) columns of simple returns per period and
    ``dates`` their dates; a month's return is ``prod(1 + r) - 1`` over the periods dated in
    it (the first month of a window starts at its first price, not at the month's start).
    """
    r = np.asarray(returns, dtype=float)
    months = np.asarray(pd.DatetimeIndex(dates).values.astype("datetime64[M]"))
    if r.shape[0] != months.shape[0]:
        raise InputError(f"{r.shape[0]} returns but {months.shape[0]} dates")
    order = np.argsort(months, kind="stable")
    months, r = months[order], r[order]
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]]) if months.size else \
        np.array([], dtype=int)
    grown = np.multiply.reduceat(1.0 + r, starts, axis=0) - 1.0 if months.size else r[:0]
    return months[starts], grown


def morningstar_capture(asset_returns: Any, benchmark_returns: Any,
                        dates: Any = None) -> dict[str, float]:
    """Morningstar's up and down capture ratios, in percent, from monthly returns.

    Each period's simple returns are compounded into calendar months
    (:func:`monthly_returns`). Over the months the benchmark rose (fell), each side's
    geometric mean monthly return ``prod(1 + r)^(1/n) - 1`` (Morningstar's "capture return");
    the ratio is the asset's over the benchmark's, times 100. Above 100 up: the asset gained
    more than the benchmark in up months; below 100 down: it lost less in down months.

    Returns ``{"up_capture", "down_capture", "up_months", "down_months"}`` (NaN without
    such a month). ``dates`` defaults to the index of ``asset_returns``.
    """
    if dates is None:
        dates = asset_returns.index
    _, months = monthly_returns(np.column_stack([np.asarray(asset_returns, dtype=float),
                                                 np.asarray(benchmark_returns, dtype=float)]),
                                dates)
    y, x = months[:, 0], months[:, 1]
    out: dict[str, float] = {}
    for side, keep in (("up", x > 0), ("down", x < 0)):
        n = int(np.count_nonzero(keep))
        out[f"{side}_months"] = n
        if not n:
            out[f"{side}_capture"] = float("nan")
            continue
        gy = float(np.prod(1.0 + y[keep])) ** (1.0 / n) - 1.0
        gx = float(np.prod(1.0 + x[keep])) ** (1.0 / n) - 1.0
        out[f"{side}_capture"] = 100.0 * gy / gx if gx != 0.0 else float("nan")
    return out


def market_moves(
    asset_returns: Any, benchmark_returns: Any, periods_per_year: float = 252,
    simple: tuple[Any, Any] | None = None,
) -> dict[str, float]:
    """Downside and upside betas and up and down capture ratios of one asset, as numbers.

    The same values as :func:`downside_beta`, :func:`upside_beta`, :func:`up_capture` and
    :func:`down_capture` (one check of the inputs, no pandas Series). ``simple`` gives the
    (asset, benchmark) simple returns the captures compound when the returns are log returns.
    """
    y, x = _panel(asset_returns, benchmark_returns)
    ys, xs = (y, x) if simple is None else _panel(*simple)
    y, ys = y[:, 0], ys[:, 0]  # one asset: plain vectors

    def side(keep: np.ndarray) -> tuple[float, float]:
        """The beta and the capture ratio on the benchmark's periods ``keep``, their rows
        taken once (a log return has the sign of the simple one it came from)."""
        k = np.count_nonzero(keep)
        yk, xk = y[keep], x[keep]
        beta = float(_slope(yk, xk)) if k >= 3 else float("nan")
        if simple is not None:
            yk, xk = ys[keep], xs[keep]
        return beta, float(_growth_ratio(yk, xk, periods_per_year)) if k else float("nan")

    downside, down_capture = side(x < 0)
    upside, up_capture = side(x > 0)
    return {"downside_beta": downside, "upside_beta": upside, "up_capture": up_capture,
            "down_capture": down_capture}
