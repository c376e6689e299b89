"""The fit and its checks: regression, hedge verification, out of sample, rolling betas."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .. import engine as eng
from ..engine.table import Table
from ..exceptions import DataWarning, InsufficientDataError
from .request import Request
from .sample import Sample


#: Trailing window of the rolling beta when none is given, per frequency (a quarter, half a
#: year, a year).
DEFAULT_ROLLING_WINDOW = {"daily": 63, "weekly": 26, "monthly": 12}


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


@dataclass(frozen=True)
class Fit:
    """The regression of a sample and its checks: the hedge applied in sample, the
    out-of-sample check (``None`` when the sample is too short) and the rolling betas; the
    notes so far with what the fit added."""

    fit: eng.OLSResult
    hedge: eng.HedgeCheck
    oos: eng.OutOfSample | None
    notes: list[str]


def regress(request: Request, sample: Sample) -> tuple[eng.OLSResult, list[str]]:
    """The regression of the asset on the benchmarks, refusing what cannot be fitted (a
    constant or collinear benchmark); the sample's notes with the fit's own."""
    rets, asset_name, bench_cols = sample.returns, sample.asset, sample.benchmarks
    notes = list(sample.notes)
    y = rets.column(asset_name)
    x = rets.columns(bench_cols).values
    # The fit's own warnings (nearly collinear benchmarks) join the result's notes; the
    # verification and out-of-sample fits see the same benchmarks and would only repeat them.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        fit = eng.fit_arrays(y, x, bench_cols, index=rets, y_name=asset_name,
                             cov_type=request.cov_type, maxlags=request.maxlags)
    for w in caught:
        if not issubclass(w.category, DataWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in notes:
            notes.append(str(w.message))
    return fit, notes


def fit_sample(request: Request, sample: Sample) -> Fit:
    """Regress the asset on the benchmarks, hedge, and check the hedge out of sample."""
    fit, notes = regress(request, sample)
    rets, bench_cols = sample.returns, sample.benchmarks
    y = rets.column(sample.asset)
    x = rets.columns(bench_cols).values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        check = eng.apply_hedge(y, x, fit, index=rets, names=bench_cols)
        try:
            oos = eng.out_of_sample_arrays(y, x, request.oos_split, rets.dates, bench_cols)
        except InsufficientDataError:
            oos = None
            notes.append("sample too short for the out-of-sample check")
    return Fit(fit=fit, hedge=check, oos=oos, notes=notes)


def rolling_betas(request: Request, sample: Sample, notes: list[str]
                  ) -> tuple[_Rolling, int, list[str]]:
    """The rolling betas over the window asked (default per frequency), or all NaN with a
    note when the sample is shorter than the window; the window and the notes."""
    rets, asset_name, bench_cols = sample.returns, sample.asset, sample.benchmarks
    notes = list(notes)
    window_n = (request.rolling_window if request.rolling_window is not None
                else DEFAULT_ROLLING_WINDOW[sample.frequency])
    try:
        eng.check_rolling_window(window_n, len(rets), len(bench_cols))
        rolling = _Rolling(rets, asset_name, bench_cols, window_n)
    except InsufficientDataError:
        rolling = _Rolling(rets, asset_name, bench_cols, None)
        notes.append(f"sample shorter than the {window_n}-period rolling window")
    return rolling, window_n, notes
