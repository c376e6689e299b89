"""Inputs lined up by date before any kernel sees them: the one place engine functions do it.

The kernels (``many``, ``ols``, ``hedge``) work on plain arrays row by row, so two pandas
inputs must be on the same dates in the same order first. Matching by label, not by position,
is what makes a one-column DataFrame benchmark, a benchmark in reverse order or a benchmark
with a time zone give the numbers of the plain Series. Every pandas input on dates is put in
date order here too: the kernels read row order as time (a rolling window, an EWMA weight, a
lagged return), so newest-first data would otherwise give numbers built from the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dates import local_days
from ..exceptions import InputError, NoOverlapError


def dated(obj: Any, what: str) -> Any:
    """``obj`` with its dates as plain days (time zones resolved by ``local_days``), unique,
    in increasing date order."""
    return _dated(obj, what)[0]


def _dated(obj: Any, what: str) -> tuple[Any, np.ndarray | None]:
    """:func:`dated` and the row order it applied (``None`` when the rows kept their order)."""
    index = obj.index
    if isinstance(index, pd.DatetimeIndex):
        days = local_days(index)
        if days is not index:
            obj = obj.set_axis(days, axis=0)
            index = days
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        label = f"{dup:%Y-%m-%d}" if isinstance(dup, pd.Timestamp) else repr(dup)
        raise InputError(f"{what}: date {label} appears more than once")
    if isinstance(index, pd.DatetimeIndex) and not index.is_monotonic_increasing:
        # Stable, so the order is a plain permutation the caller can apply to arrays too.
        order = np.argsort(index.asi8, kind="stable")
        return obj.iloc[order], order
    return obj, None


def on_dates_of(lead: Any, *others: Any, what: Sequence[str]) -> tuple[Any, ...]:
    """``lead`` and ``others``, every pandas input on ``lead``'s dates (``others`` reindexed).

    Parameters
    ----------
    lead
        The input whose dates rule (the asset returns); returned as given when it is not
        pandas, and then nothing is matched: plain arrays are read by position. A pandas
        ``lead`` on dates out of order comes back in date order, and a plain array of its
        length among ``others`` is put in the same order (it is read by ``lead``'s rows).
    others
        Inputs to put on ``lead``'s dates. A date ``lead`` has and another lacks becomes NaN
        there (the kernels leave such rows out); dates ``lead`` lacks are not used.
    what
        Names for messages, ``lead``'s first (``("asset", "benchmark")``).

    Raises
    ------
    InputError
        A date that appears twice in one input.
    NoOverlapError
        Two pandas inputs that share no date at all (a numbered index against dates, or
        different years): reading them by position would give a number, and a wrong one.
    """
    if not isinstance(lead, (pd.Series, pd.DataFrame)):
        return (lead, *others)
    lead, order = _dated(lead, what[0])
    out: list[Any] = [lead]
    for obj, name in zip(others, what[1:]):
        if not isinstance(obj, (pd.Series, pd.DataFrame)):
            if order is not None and np.ndim(obj) >= 1 and len(obj) == len(order):
                obj = np.asarray(obj)[order]
        elif not obj.index.equals(lead.index):
            obj = dated(obj, name)
            if not obj.index.equals(lead.index):
                if len(obj) and not obj.index.isin(lead.index).any():
                    raise NoOverlapError(f"{what[0]} and {name} share no dates")
                obj = obj.reindex(lead.index)
        out.append(obj)
    return tuple(out)


def as_floats(obj: Any) -> np.ndarray:
    """``obj``'s numbers as a float array: pandas' own ``to_numpy`` for pandas inputs (the same
    array; ``np.asarray`` of a DataFrame goes through its ``__array__``, about 20x slower)."""
    if isinstance(obj, (pd.Series, pd.DataFrame)):
        return obj.to_numpy(dtype=float)
    return np.asarray(obj, dtype=float)


def paired_arrays(asset: Any, benchmark: Any) -> tuple[Any, Any, np.ndarray, np.ndarray]:
    """Asset and benchmark returns on the asset's dates (:func:`on_dates_of`), and their
    numbers: the asset's as a float array, the benchmarks' as a (rows, benchmarks) one."""
    asset, benchmark = on_dates_of(asset, benchmark, what=("asset", "benchmark"))
    y = as_floats(asset)
    x = as_floats(benchmark)
    if x.ndim == 1:
        x = x[:, None]
    return asset, benchmark, y, x


#: Larger than any count of periods or lags a sample can have: a number above it (1e22) is a
#: typing error, refused by name before numpy's integers overflow on it.
MAX_COUNT = 10**9


def whole_number(value: Any, what: str) -> int:
    """``value`` as an ``int`` when it is a whole number (3, 3.0, numpy's 3, "3").

    ``int()`` alone would pass on a builtin ``ValueError`` for "x" or NaN and cut 40.5 to 40;
    the kernels take their sizes from here, so a wrong one is refused by name.

    Raises
    ------
    InputError
        Text that is no number, NaN, a fraction, a bool or anything else.
    """
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if isinstance(number, (int, float, np.integer, np.floating)) and not isinstance(
            number, (bool, np.bool_)) and np.isfinite(number) and float(number).is_integer():
        if abs(float(number)) > MAX_COUNT:
            raise InputError(f"{what}: {value!r} is larger than any sample (at most "
                             f"{MAX_COUNT:,})")
        return int(number)
    raise InputError(f"{what}: expected a whole number, got {value!r}")
