"""The walk-forward hedge backtest: which beta would have hedged best.

:func:`walk_forward` re-estimates each estimator (:mod:`.betas`) at the last trading day of
every month (or week) on the trailing window known by that day and holds the ratio until the
next rebalance; :func:`hedged_betas` and :func:`backtest_table` score the hedged series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import dated, whole_number
from .betas import _halflife, _panel, normalize_estimators, trailing_betas

#: The metrics of :func:`backtest_table`, in column order, with their labels.
METRICS: dict[str, str] = {
    "effectiveness": "Effectiveness",
    "hedged_beta": "Hedged beta",
    "mean_hedged": "Mean hedged return",
    "turnover": "Turnover a year",
    "net_return": "Net hedged return a year",
}


_REBALANCE = {"monthly": "M", "month": "M", "m": "M", "me": "M",
              "weekly": "W-FRI", "week": "W-FRI", "w": "W-FRI", "w-fri": "W-FRI"}


def normalize_rebalance(value: Any) -> str:
    """``"monthly"`` (default) or ``"weekly"`` from the spellings users type."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "monthly"
    key = str(value).strip().lower()
    if key not in _REBALANCE:
        raise InputError(f"rebalance {value!r} not understood; use monthly or weekly")
    return "monthly" if _REBALANCE[key] == "M" else "weekly"


def period_ends(index: pd.DatetimeIndex, rebalance: str = "monthly") -> np.ndarray:
    """Positions of the last date of each calendar month (or week ending Friday) in ``index``.

    The index's last date counts as the end of its (possibly unfinished) period.
    """
    rule = _REBALANCE[normalize_rebalance(rebalance)]
    periods = pd.DatetimeIndex(index).to_period(rule).asi8
    if periods.size == 0:
        return np.empty(0, dtype=int)
    last = np.flatnonzero(periods[1:] != periods[:-1])
    return np.append(last, periods.size - 1).astype(int)


@dataclass(frozen=True)
class WalkForward:
    """What :func:`walk_forward` produced.

    Attributes
    ----------
    rebalance_dates : DatetimeIndex
        The rebalance days (a ratio is set at each one's close).
    ratios : dict of str to DataFrame (rebalance dates x assets)
        The hedge ratio each estimator set on each rebalance day; with several benchmarks
        the columns are (asset, benchmark) pairs, one ratio per benchmark.
    hedged : dict of str to DataFrame (hedged dates x assets)
        ``asset - sum_k held ratio_k x benchmark_k`` on the days after the first rebalance.
    asset, benchmark
        The asset and benchmark returns of the hedged days (the benchmarks a DataFrame when
        there are several).
    costs : dict of str to DataFrame (rebalance dates x assets)
        Trading cost of each rebalance as a fraction of the asset's value (``cost_bps`` per
        unit of notional traded, the opening trade included, summed over benchmarks).
    """

    rebalance_dates: pd.DatetimeIndex
    ratios: dict[str, pd.DataFrame]
    hedged: dict[str, pd.DataFrame]
    asset: pd.DataFrame
    benchmark: pd.Series | pd.DataFrame
    costs: dict[str, pd.DataFrame]
    window: int
    rebalance: str
    cost_bps: float
    halflife: float


def _dated_returns(
    asset_returns: pd.DataFrame | pd.Series, benchmark_returns: pd.Series | pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series | pd.DataFrame]:
    """The asset frame and the benchmark(s) of :func:`walk_forward`, in date order, on the
    same dates; a one-column benchmark frame as a Series."""
    frame = asset_returns.to_frame() if isinstance(asset_returns, pd.Series) else asset_returns
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError("returns need a DatetimeIndex to find the rebalance days")
    # Both in date order (newest-first data is common): the rebalance days and the windows
    # are found by row, and rows must run forward in time.
    frame = dated(frame, "asset")
    bench = dated(benchmark_returns, "benchmark")
    if not bench.index.equals(frame.index):
        raise InputError("asset and benchmark returns must be on the same dates")
    if isinstance(bench, pd.DataFrame) and bench.shape[1] == 1:
        bench = bench.iloc[:, 0]
    return frame, bench


def _hedged(ys: np.ndarray, xs: np.ndarray, b: np.ndarray, bounds: list[int],
            several: bool) -> np.ndarray:
    """``asset - sum_k ratio_k x benchmark_k`` with the ratio ``b[k]`` held on the rows
    ``bounds[k]:bounds[k + 1]``, written block by block in one preallocated panel.

    A column-major panel (a DataFrame's values are) is written a few assets at a time, each
    asset's held ratios repeated down its rows: rows of a column-major panel are scattered
    over the whole panel's memory, and writing them segment by segment took 4-10 times as
    long on a 4,000 x 5,000 panel."""
    out = np.empty_like(ys)
    if not several and ys.ndim == 2 and ys.shape[1] > 1 and ys.strides[0] < ys.strides[1]:
        _hedged_by_assets(ys.T, xs[:, 0], b, np.diff(bounds), out.T)
        return out
    for k in range(len(bounds) - 1):
        seg = slice(bounds[k], bounds[k + 1])
        if several:
            np.matmul(xs[seg], b[k].T, out=out[seg])  # sum_k ratio_k x benchmark_k
        else:
            np.multiply(xs[seg], b[k], out=out[seg])
        np.subtract(ys[seg], out[seg], out=out[seg])
    return out


def _hedged_by_assets(ys_t: np.ndarray, x: np.ndarray, b: np.ndarray, counts: np.ndarray,
                      out_t: np.ndarray) -> None:
    """:func:`_hedged` on the transposed (asset-major) panel ``ys_t``, blocks of assets whose
    rows (every date of an asset) fit in the core's cache."""
    n, t = ys_t.shape
    step = max(1, 2**19 // (8 * max(t, 1)))
    for j0 in range(0, n, step):
        j1 = min(j0 + step, n)
        held = np.repeat(b[:, j0:j1].T, counts, axis=1)  # each asset's ratio, date by date
        o = out_t[j0:j1]
        np.multiply(held, x, out=o)
        np.subtract(ys_t[j0:j1], o, out=o)


def _cost(cost_bps: float) -> float:
    cost = float(cost_bps)
    if not np.isfinite(cost) or cost < 0:
        raise InputError(f"cost_bps must be zero or positive, got {cost_bps!r}")
    return cost


def _rebalance_ends(index: pd.DatetimeIndex, rebalance: str, window: int) -> np.ndarray:
    """Row positions of the rebalance days: period ends with a full window before them and a
    day after them to hedge."""
    t = len(index)
    ends = period_ends(index, rebalance)
    ends = ends[(ends >= window - 1) & (ends < t - 1)]
    if ends.size == 0:
        raise InsufficientDataError(
            f"too few returns for a {window}-return window and one {rebalance} rebalance "
            f"with a day after it to hedge: {t} return(s)")
    return ends


def _traded(b: np.ndarray) -> np.ndarray:
    """Notional traded at each rebalance per asset (the opening trade included), summed over
    the benchmarks when ``b`` holds several ((dates, N, K) ratios)."""
    step = np.abs(np.diff(b, axis=0, prepend=np.zeros((1, *b.shape[1:]))))
    return step.sum(axis=2) if b.ndim == 3 else step


def walk_forward(
    asset_returns: pd.DataFrame | pd.Series,
    benchmark_returns: pd.Series | pd.DataFrame,
    *,
    window: int = 252,
    rebalance: str = "monthly",
    estimators: Any = None,
    cost_bps: float = 0.0,
    halflife: float | None = None,
    prior: tuple[float, float] | None = None,
) -> WalkForward:
    """Re-estimate each beta at every period end and hedge with it until the next one.

    The rebalance days are the last trading days of each month (``rebalance="monthly"``) or
    week, from the first with at least ``window`` returns up to and including it; the index's
    last date is not one (no day follows it to hedge). On a rebalance day each estimator sees
    the ``window`` returns ending that day and nothing later (Dimson's lead term included);
    the ratio it gives holds from the next day through the next rebalance day. Hedged return:
    ``asset - ratio x benchmark``; with several benchmarks (:data:`MULTI_ESTIMATORS` only) a
    ratio per benchmark, ``asset - sum_k ratio_k x benchmark_k``.

    Parameters
    ----------
    asset_returns : DataFrame (dates x assets) or Series
        Daily returns on a DatetimeIndex, no missing values.
    benchmark_returns : Series or DataFrame
        The benchmark's returns on the same dates; a DataFrame of two or more columns for
        several benchmarks.
    window, rebalance, estimators, halflife, prior
        See :func:`trailing_betas` and :func:`period_ends`.
    cost_bps : float
        Cost in basis points per unit of notional traded: changing the ratio from ``h0`` to
        ``h1`` costs ``|h1 - h0| x cost_bps / 10,000`` of the asset's value (summed over the
        benchmarks when there are several).

    Returns
    -------
    WalkForward
    """
    frame, bench = _dated_returns(asset_returns, benchmark_returns)
    several = isinstance(bench, pd.DataFrame)
    names = normalize_estimators(estimators, bench.shape[1] if several else 1)
    rebalance = normalize_rebalance(rebalance)
    window = whole_number(window, "window")
    cost = _cost(cost_bps)
    y, x = _panel(frame, bench, several=True)
    ends = _rebalance_ends(frame.index, rebalance, window)
    h = _halflife(halflife, window)
    betas = trailing_betas(y, x, ends, window, names, halflife=h, prior=prior)
    first = ends[0] + 1
    days = frame.index[first:]
    cols = frame.columns
    rebalance_dates = frame.index[ends]
    # The ratio set at ends[k] holds on rows ends[k]+1 .. ends[k+1]: one block of rows each,
    # written in place (no panel-sized temporaries: the hedged panels are the memory here).
    bounds = [*(ends + 1 - first), len(y) - first]
    xs = x[first:] if several else x[first:, None]
    ys = y[first:]
    # Asset-major (asset, benchmark) pairs: the (N, K) ratios of a date, flattened.
    ratio_cols = pd.MultiIndex.from_product(
        [cols, [str(c) for c in bench.columns]], names=["asset", "benchmark"]) if several else cols
    ratios, hedged, costs = {}, {}, {}
    for name in names:
        b = betas[name]
        out = _hedged(ys, xs, b, bounds, several)
        # copy=False: the arrays are ours alone; pandas 3 would otherwise copy each panel.
        ratios[name] = pd.DataFrame(b.reshape(b.shape[0], -1), index=rebalance_dates,
                                    columns=ratio_cols, copy=False)
        hedged[name] = pd.DataFrame(out, index=days, columns=cols, copy=False)
        costs[name] = pd.DataFrame(_traded(b) * (cost / 1e4), index=rebalance_dates,
                                   columns=cols, copy=False)
    return WalkForward(
        rebalance_dates=pd.DatetimeIndex(rebalance_dates),
        ratios=ratios,
        hedged=hedged,
        asset=pd.DataFrame(ys, index=days, columns=cols, copy=False),
        benchmark=(pd.DataFrame(xs, index=days, columns=bench.columns) if several
                   else pd.Series(x[first:], index=days, name=bench.name)),
        costs=costs, window=window, rebalance=rebalance, cost_bps=cost, halflife=h,
    )


def hedged_betas(wf: WalkForward, column: int = 0) -> pd.DataFrame:
    """Estimators x benchmarks: the realised beta of each hedged series on each benchmark.

    The slopes of the multiple regression of one asset's (``column``) hedged returns on all
    the benchmarks over the hedged days, with an intercept (one benchmark: the OLS beta on
    it). 0 everywhere for a perfect hedge.
    """
    m = wf.benchmark.to_numpy()
    m = m[:, None] if m.ndim == 1 else m
    bench = ([str(c) for c in wf.benchmark.columns] if isinstance(wf.benchmark, pd.DataFrame)
             else [str(wf.benchmark.name)])
    mc = m - m.mean(axis=0)
    mm = mc.T @ mc
    rows = {}
    for name, frame in wf.hedged.items():
        hd = frame.iloc[:, column].to_numpy()
        if m.shape[0] < 2 or not np.linalg.cond(mm) < 1e12:
            rows[name] = np.full(m.shape[1], np.nan)
            continue
        rows[name] = np.linalg.solve(mm, mc.T @ (hd - hd.mean()))
    out = pd.DataFrame.from_dict(rows, orient="index", columns=bench)
    out.index.name = "estimator"
    return out


def backtest_table(wf: WalkForward, periods_per_year: float = 252, column: int = 0) -> pd.DataFrame:
    """Estimators x metrics of one asset (``column``) of a :class:`WalkForward`.

    Over the hedged days:

    - ``effectiveness``: ``1 - var(hedged) / var(asset)`` on the same days;
    - ``hedged_beta``: OLS beta of the hedged returns on the benchmark (0 for a perfect
      hedge); with several benchmarks, of the betas of :func:`hedged_betas` (a multiple
      regression on all of them) the one largest in absolute value, sign kept: the market
      exposure the hedge left worst;
    - ``mean_hedged``: mean hedged return per period (the alpha kept);
    - ``turnover``: sum of ``|ratio changes|`` (the opening trade included) per year, summed
      over the benchmarks when there are several;
    - ``net_return``: ``mean_hedged x periods_per_year`` minus the year's trading cost
      (``turnover x cost_bps / 10,000``), an arithmetic annual figure.
    """
    a = wf.asset.iloc[:, column].to_numpy()
    m = wf.benchmark.to_numpy()
    n = a.size
    years = n / float(periods_per_year)
    several = m.ndim == 2
    if several:
        worst = hedged_betas(wf, column).to_numpy()
        size = np.abs(worst)
        size[np.isnan(size)] = -1.0  # an all-NaN row picks a NaN
        pick = np.argmax(size, axis=1)
        worst_beta = worst[np.arange(worst.shape[0]), pick]
    mc = m - m.mean(axis=0)
    rows = {}
    for i, (name, frame) in enumerate(wf.hedged.items()):
        hd = frame.iloc[:, column].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            eff = 1.0 - np.var(hd, ddof=1) / np.var(a, ddof=1) if n > 1 else np.nan
            if several:
                beta = worst_beta[i]
            else:
                beta = (mc @ (hd - hd.mean())) / (mc @ mc) if n > 1 else np.nan
        # One asset's ratios: its column, or its K (asset, benchmark) columns.
        kb = m.shape[1] if several else 1
        r = wf.ratios[name].iloc[:, column * kb:(column + 1) * kb].to_numpy()
        turnover = float(np.abs(np.diff(r, axis=0, prepend=0.0)).sum()) / years
        mean = float(hd.mean())
        rows[name] = [float(eff), float(beta), mean, turnover,
                      mean * periods_per_year - turnover * wf.cost_bps / 1e4]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))
    out.index.name = "estimator"
    return out
