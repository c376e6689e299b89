"""The fit and its checks: regression, hedge verification, out of sample, rolling betas."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .. import engine as eng
from ..engine.table import Table


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
