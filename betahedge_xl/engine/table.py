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
        table may share it with the prices it was read from, never with a frame it hands out).
    names : list of str
        Column names.
    index_name, freq
        The name and frequency of the date index the rows came from, kept on the frame (a
        frequency only while the rows are a slice of those dates).
    """

    dates: np.ndarray
    values: np.ndarray
    names: list[str]
    index_name: Any = None
    freq: Any = None

    @classmethod
    def of(cls, frame: pd.DataFrame, copy: bool = True) -> Table:
        """A frame's dates, numbers (a copy: the frame is then :attr:`frame`; or, with
        ``copy=False``, a view of a frame nobody else writes) and column names."""
        index = frame.index
        table = cls(np.asarray(index.values), frame.to_numpy(dtype=float, copy=copy),
                    [str(c) for c in frame.columns], index.name, getattr(index, "freq", None))
        if copy:
            table.__dict__["frame"] = frame
        return table

    @cached_property
    def index(self) -> pd.DatetimeIndex:
        """The dates as a pandas index, with the name and frequency they came with."""
        if self.freq is not None:
            try:
                return pd.DatetimeIndex(self.dates, name=self.index_name, freq=self.freq)
            except ValueError:  # the dates no longer follow it
                pass
        return pd.DatetimeIndex(self.dates, name=self.index_name)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame of its own numbers (built on first use)."""
        return pd.DataFrame(self.values, index=self.index, columns=self.names, copy=True)

    def __len__(self) -> int:
        return len(self.dates)

    def rows(self, which: Any) -> Table:
        """The rows ``which`` selects: a slice (the frequency stays) or a boolean mask."""
        freq = self.freq if isinstance(which, slice) else None
        return Table(self.dates[which], self.values[which], self.names, self.index_name, freq)

    def columns(self, names: list[str]) -> Table:
        """The columns ``names``, in that order."""
        at = [self.names.index(n) for n in names]
        return self.with_values(self.values[:, at], list(names))

    def with_values(self, values: np.ndarray, names: list[str] | None = None) -> Table:
        """The same dates with other numbers (and names)."""
        return Table(self.dates, values, self.names if names is None else names,
                     self.index_name, self.freq)

    def column(self, name: str) -> np.ndarray:
        """One column's values."""
        return self.values[:, self.names.index(name)]


def dated_index(index: Any) -> Any:
    """``index`` as pandas reads it: a :class:`Table`'s dates with their name and frequency,
    anything else as given."""
    return index.index if isinstance(index, Table) else index
