"""Which beta hedges best: a walk-forward hedge backtest, a request in, one result out.

Returns come through the stages of :func:`betahedge_xl.analysis.beta_hedge` (the request,
its prices, the sample: fetching, windowing, alignment and portfolio construction, the returns
every face already agrees on), not through a whole fit; the walk forward itself is
:func:`betahedge_xl.engine.estimators.walk_forward`.
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .engine import estimators as est
from .exceptions import DataWarning, InputError

if TYPE_CHECKING:
    from .analysis.prices import Prices
    from .analysis.request import Request
    from .analysis.sample import Sample


@dataclass(frozen=True, repr=False)
class BacktestResult:
    """A walk-forward hedge backtest. ``print(result)`` shows its table.

    Attributes
    ----------
    asset, benchmark
        Column names of :attr:`returns` (``"Portfolio"`` for holdings; several benchmarks
        joined by ``" + "``); :attr:`name` is the book's name every face shows.
    table : DataFrame
        Estimators x metrics (:data:`betahedge_xl.engine.estimators.METRICS`), then a
        ``"no hedge"`` row: the asset unhedged over the same days. With several
        benchmarks, ``hedged_beta`` is the realised beta largest in absolute value (sign
        kept) of the multiple regression in :attr:`hedged_betas`, and ``turnover`` sums the
        ratio changes of every benchmark.
    best : str
        The estimator with the highest effectiveness when its advantage over the next (an
        estimator or not hedging) is significant (:attr:`comparison`, a Diebold-Mariano test
        on the squared hedged returns), else ``"no clear winner"``.
    comparison : Comparison
        That test: the two ranked first, its statistic and p-value, and the verdict in words.
    hedged : DataFrame
        Hedged returns per estimator (columns), on the hedged days.
    ratios : DataFrame
        The hedge ratio each estimator set at each rebalance day (index): a column per
        estimator with one benchmark; with several, a column per (estimator, benchmark)
        pair (``ratios["ols"]`` has one column per benchmark).
    returns : DataFrame
        Asset and benchmark returns of the hedged days.
    benchmarks : list of str
        The benchmarks' names, in order.
    hedged_betas : DataFrame
        Estimators x benchmarks: the realised beta of each hedged series on each benchmark
        (a multiple regression on all of them; 0 for a perfect hedge).
    """

    asset: str
    benchmark: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    window: int
    rebalance: str
    cost_bps: float
    halflife: float
    table: pd.DataFrame
    best: str
    hedged: pd.DataFrame
    ratios: pd.DataFrame
    returns: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)
    hedged_betas: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: est.Comparison | None = None
    #: The book's holdings as given (``AAPL +1 / MSFT -1``) or the asset's ticker: its name in
    #: titles, charts and the one-line result (the asset's column name when not given).
    name: str = ""
    #: Where the prices came from (the data layer's source), for the report's source line.
    source: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.asset)

    @property
    def estimators(self) -> list[str]:
        """The estimators backtested (the table's rows but ``"no hedge"``)."""
        return [str(i) for i in self.table.index if i != est.NO_HEDGE]

    @property
    def verdict(self) -> str:
        """The best estimator, or why none is named, in words."""
        return self.comparison.verdict if self.comparison is not None else self.best

    @property
    def n_days(self) -> int:
        """Hedged days the metrics are computed on."""
        return len(self.hedged)

    @property
    def first_hedged(self) -> pd.Timestamp:
        return self.hedged.index[0]

    @property
    def last_hedged(self) -> pd.Timestamp:
        return self.hedged.index[-1]

    def title(self) -> str:
        return (f"{self.name} hedged with {self.benchmark}: {self.window}-day window, "
                f"{self.rebalance} rebalance, {self.cost_bps:g} bp cost, {self.n_days} hedged "
                f"days {self.first_hedged:%Y-%m-%d}..{self.last_hedged:%Y-%m-%d}")

    def rows(self) -> list[list[Any]]:
        """The table as a header row and one row per estimator (what Excel spills)."""
        head: list[Any] = ["Estimator", *est.METRICS.values()]
        return [head, *[[str(name), *[float(v) for v in row]]
                        for name, row in zip(self.table.index, self.table.to_numpy())]]

    def ratio_paths(self) -> pd.DataFrame:
        """:attr:`ratios` with one header per column: the estimator, or ``"ols on SPY"`` for
        an (estimator, benchmark) pair when there are several benchmarks (what the report's
        table and chart show)."""
        if not isinstance(self.ratios.columns, pd.MultiIndex):
            return self.ratios
        out = self.ratios.copy()
        out.columns = [f"{name} on {bench}" for name, bench in self.ratios.columns]
        return out

    def cumulative(self) -> pd.DataFrame:
        """Growth of 1 of the unhedged asset and of each estimator's hedged series (simple
        returns), from the day before the first hedged day."""
        frame = pd.concat([self.returns[[self.asset]], self.hedged], axis=1)
        growth = (1.0 + frame).cumprod()
        start = self.returns.index[0] - pd.Timedelta(days=1)
        out = pd.concat([pd.DataFrame(1.0, index=[start], columns=growth.columns), growth])
        out.index.name = "date"
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"estimators": {"ols": {"effectiveness": ..., ...}, ...}, "best": ...}``."""
        def num(v: Any) -> float | None:
            return float(v) if math.isfinite(float(v)) else None

        return {
            "asset": self.name,
            "benchmark": self.benchmark,
            "benchmarks": list(self.benchmarks),
            "window": self.window,
            "rebalance": self.rebalance,
            "cost_bps": self.cost_bps,
            "ewma_halflife": self.halflife,
            "first_hedged": f"{self.first_hedged:%Y-%m-%d}",
            "last_hedged": f"{self.last_hedged:%Y-%m-%d}",
            "n_days": self.n_days,
            "rebalances": len(self.ratios),
            "estimators": {name: {k: num(v) for k, v in row.items()}
                           for name, row in self.table.to_dict(orient="index").items()
                           if name != est.NO_HEDGE},
            "no_hedge": ({k: num(v) for k, v in self.table.loc[est.NO_HEDGE].items()}
                         if est.NO_HEDGE in self.table.index else None),
            "best": self.best,
            "best_verdict": self.verdict,
            "best_test": self.comparison.test if self.comparison is not None else None,
            "best_test_pvalue": (num(self.comparison.pvalue) if self.comparison is not None
                                 else None),
            "hedged_betas": {name: {k: num(v) for k, v in row.items()}
                             for name, row in self.hedged_betas.to_dict(orient="index").items()},
            "warnings": list(self.warnings),
        }

    def _formatted(self) -> pd.DataFrame:
        t = self.table.copy()
        t.columns = list(est.METRICS.values())
        return t

    def __str__(self) -> str:
        # The summary's units: effectiveness and returns in percent, betas as ratios.
        fmt = {"Effectiveness": "{:.2%}", "Hedged beta": "{:.4f}",
               "Mean hedged return": "{:.4%}", "Turnover a year": "{:.3f}",
               "Net hedged return a year": "{:.2%}"}
        t = self._formatted()
        body = t.to_string(formatters={k: f.format for k, f in fmt.items()})
        test = f"\n{self.comparison.test}" if self.comparison is not None else ""
        return f"{self.title()}\n{body}\nBest: {self.verdict}{test}"

    def __repr__(self) -> str:
        return (f"<BacktestResult {self.name} on {self.benchmark}: best={self.best} "
                f"over {len(self.table)} estimators, {self.n_days} days>")

    def _repr_html_(self) -> str:
        table = self._formatted().to_html(float_format=lambda v: f"{v:.6g}")
        return (f"<p>{html.escape(self.title())}</p>{table}"
                f"<p>Best: <b>{html.escape(self.verdict)}</b></p>")


def backtest(
    asset: Any,
    benchmark: Any,
    start: Any = None,
    end: Any = None,
    window: int = 252,
    rebalance: str = "monthly",
    estimators: Any = None,
    cost_bps: float = 0.0,
    *,
    halflife: float | None = None,
    weights: Any = None,
    shares: Any = None,
    refresh: bool = False,
) -> BacktestResult:
    """Walk-forward hedge backtest of each beta estimator on daily simple returns.

    Parameters
    ----------
    asset, benchmark, start, end, weights, shares, refresh
        As :func:`betahedge_xl.beta_hedge` (a ticker, prices or a portfolio; one benchmark
        or several). With several benchmarks each estimator is a multiple regression with a
        ratio per benchmark, held as a vector: hedged return ``asset - sum_k ratio_k x
        benchmark_k``.
    window : int
        Daily returns each estimate uses (default 252, a year).
    rebalance : str
        ``"monthly"`` (last trading day of each month, default) or ``"weekly"``.
    estimators
        Names or a comma list among ``ols, blume, vasicek, ewma, dimson`` (all by default);
        with several benchmarks among ``ols, ewma, dimson`` (those three by default).
    cost_bps : float
        Trading cost in basis points per unit of notional traded.
    halflife : float, optional
        EWMA half-life in days (default ``window / 4``).

    Returns
    -------
    BacktestResult

    Raises
    ------
    InputError
        Blume or Vasicek with several benchmarks (their shrinkage is toward a market beta of
        1, which the partial beta on one of several benchmarks lacks), an unknown estimator
        or rebalance, a bad window or cost.
    InsufficientDataError
        Fewer returns than one window and one rebalance with a day after it.
    """
    from .analysis.books import book_title, not_a_market_beta
    from .analysis.request import benchmark_count
    from .analysis.sample import form_book

    # Check the cheap arguments before fetching anything.
    names = est.normalize_estimators(estimators, benchmark_count(benchmark))
    rebalance = est.normalize_rebalance(rebalance)
    window = _window(window)
    asked, prices, sample, notes = _daily_sample(asset, benchmark, start, end, weights,
                                                 shares, refresh, window)
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    # The estimators again: a benchmark given as prices has its count known only now.
    names = est.normalize_estimators(names, len(sample.benchmarks))
    why = not_a_market_beta(asked.holdings, form_book(asked, sample))
    names, dropped = _without_shrinkage(names, why)
    if dropped:
        notes.append(dropped)
        warnings.warn(dropped, DataWarning, stacklevel=2)
    rets = sample.returns.frame
    several = len(sample.benchmarks) > 1
    bench = rets[list(sample.benchmarks)] if several else rets[sample.benchmarks[0]]
    wf = est.walk_forward(rets[sample.asset], bench, window=window, rebalance=rebalance,
                          estimators=names, cost_bps=cost_bps, halflife=halflife)
    return BacktestResult(
        asset=sample.asset, benchmark=" + ".join(sample.benchmarks), start=prices.start,
        end=prices.end, window=window, rebalance=rebalance, cost_bps=wf.cost_bps,
        halflife=wf.halflife, warnings=notes, benchmarks=list(sample.benchmarks),
        name=book_title(sample.asset, asked.holdings, asked.kind),
        source=prices.source or "memory", **_tables(wf, names, sample.asset, sample.benchmarks))


def _daily_sample(asset: Any, benchmark: Any, start: Any, end: Any, weights: Any,
                  shares: Any, refresh: bool, window: int
                  ) -> tuple[Request, Prices, Sample, list[str]]:
    """The request's returns as :func:`~betahedge_xl.analysis.beta_hedge` has them (the same
    request, prices and sample stages: aligned, a book formed), with the notes of the data
    and of the regression's checks (a constant or collinear benchmark is refused here too;
    the regression's estimates are not used)."""
    from .analysis.fit import regress, rolling_betas
    from .analysis.prices import load
    from .analysis.request import read_request
    from .analysis.sample import form_sample

    asked = read_request(
        asset, benchmark, start, end, frequency=None, returns="simple", risk_free=0.0,
        risk_free_unit=None, cov_type=None, maxlags=None, rolling_window=min(window, 63),
        weights=weights, shares=shares, oos_split=None, refresh=refresh, capital=None,
        input="prices", preset=None)
    prices = load(asked)
    sample = form_sample(asked, prices)
    _, notes = regress(asked, sample)
    # A window too short for the benchmarks is refused as a rolling window is (the rolling
    # betas themselves are built only when read: none is computed here).
    _, _, notes = rolling_betas(asked, sample, notes)
    return asked, prices, sample, notes


def _without_shrinkage(names: list[str], why: str) -> tuple[list[str], str]:
    """The estimators without Blume and Vasicek when the book has no market beta (``why``
    says why), and the note that says so (``""`` when none was dropped)."""
    shrunk = [n for n in names if n in ("blume", "vasicek")]
    if not (why and shrunk):
        return names, ""
    # Both pull a beta toward 1, the beta of the market: a long/short book has none.
    kept = [n for n in names if n not in shrunk]
    if not kept:
        raise InputError(f"{' and '.join(shrunk)} not applied: {why}; choose among "
                         f"ols, ewma, dimson")
    return kept, f"{' and '.join(shrunk)} not applied: {why}"


def _tables(wf: est.WalkForward, names: list[str], asset: str, benchmarks: list[str]
            ) -> dict[str, Any]:
    """The walk forward's tables, fields of :class:`BacktestResult`: the metrics with the
    "no hedge" row, the best estimator and its test, hedged returns, ratios, returns."""
    table = est.backtest_table(wf)
    hedged = pd.DataFrame({n: wf.hedged[n].iloc[:, 0] for n in names})
    table.loc[est.NO_HEDGE] = _no_hedge_row(wf)
    comparison = est.compare_hedges(hedged, wf.asset.iloc[:, 0], table["effectiveness"])
    if len(benchmarks) > 1:
        # (estimator, benchmark) columns: the one asset's K ratios per estimator.
        ratios = pd.concat({n: wf.ratios[n][asset] for n in names}, axis=1,
                           names=["estimator", "benchmark"])
    else:
        ratios = pd.DataFrame({n: wf.ratios[n].iloc[:, 0] for n in names})
    hedged.index.name = ratios.index.name = "date"
    returns = pd.concat([wf.asset, wf.benchmark], axis=1)
    returns.index.name = "date"
    return {"table": table, "best": comparison.best, "hedged": hedged, "ratios": ratios,
            "returns": returns, "hedged_betas": est.hedged_betas(wf), "comparison": comparison}


def _no_hedge_row(wf: est.WalkForward) -> list[float]:
    """The table's metrics of not hedging over the hedged days: effectiveness 0, the asset's
    own beta (with several benchmarks the one largest in absolute value, as the estimators'
    rows), its mean return, no turnover."""
    a = wf.asset.iloc[:, 0].to_numpy()
    m = wf.benchmark.to_numpy()
    m = m[:, None] if m.ndim == 1 else m
    mc = m - m.mean(axis=0)
    betas = np.linalg.lstsq(mc, a - a.mean(), rcond=None)[0] if a.size > 1 else \
        np.full(m.shape[1], np.nan)
    beta = float(betas[int(np.argmax(np.abs(betas)))])
    mean = float(a.mean())
    return [0.0, beta, mean, 0.0, mean * 252.0]


def _window(value: Any) -> int:
    try:
        w = float(value)
    except (TypeError, ValueError):
        raise InputError(f"window must be a whole number of days, got {value!r}") from None
    if not (np.isfinite(w) and w == int(w) and w >= 5):
        raise InputError(f"window must be a whole number of days, at least 5, got {value!r}")
    return int(w)
