"""Dated columns of floats as plain arrays: one pair's path from prices to its statistics.

A beta hedge of one pair works on a few hundred numbers, where building a pandas object costs
more than the arithmetic. Prices and returns travel through :func:`betahedge_xl.beta_hedge`
as ``(dates, values, names)`` and become a DataFrame only when one is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Table:
    """Rows of float columns on increasing, unique dates.

    Attributes
    ----------
    dates : numpy.ndarray
        ``datetime64`` dates, one per row.
    values : numpy.ndarray
        Float array, one row per date and one column per name; never written in place (a
        table may share it with the prices it was read from).
    names : list of str
        Column names.
    """

    dates: np.ndarray
    values: np.ndarray
    names: list[str]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Table:
        """A frame's dates, numbers and column names (the frame is kept as :attr:`frame`)."""
        table = cls(np.asarray(frame.index.values), frame.to_numpy(dtype=float),
                    [str(c) for c in frame.columns])
        table.__dict__["frame"] = frame
        return table

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame indexed by date (built on first use)."""
        return pd.DataFrame(self.values, index=pd.DatetimeIndex(self.dates),
                            columns=self.names, copy=False)

    def __len__(self) -> int:
        return len(self.dates)

    def rows(self, which: Any) -> Table:
        """The rows ``which`` selects (a slice or a boolean mask)."""
        return Table(self.dates[which], self.values[which], self.names)

    def columns(self, names: list[str]) -> Table:
        """The columns ``names``, in that order."""
        at = [self.names.index(n) for n in names]
        return Table(self.dates, self.values[:, at], list(names))

    def column(self, name: str) -> np.ndarray:
        """One column's values."""
        return self.values[:, self.names.index(name)]
