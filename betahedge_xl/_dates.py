"""Dates as users give them, turned into one form.

Excel sends a date-formatted cell as ``datetime``, a typed or computed date as a float serial
(days since 1899-12-30), text as ``str``; Python users pass strings, ``date`` or ``Timestamp``.
Everything becomes a tz-naive, midnight ``pandas.Timestamp`` here, once.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import DateRangeError, InputError

if TYPE_CHECKING:
    import pandas as pd

Dated = TypeVar("Dated", "pd.Series", "pd.DataFrame")

#: Day zero of Excel's 1900 date system as Windows Excel counts it (serial 1 = 1900-01-01,
#: with the fictitious 1900-02-29 absorbed for every date after February 1900).
EXCEL_EPOCH = _dt.datetime(1899, 12, 30)


def to_timestamp(value: Any, what: str = "date") -> pd.Timestamp | None:
    """Turn a user's date into a midnight ``Timestamp``; ``None`` and ``""`` stay ``None``.

    Parameters
    ----------
    value
        ``str`` (ISO or any unambiguous form pandas reads), ``date``/``datetime``,
        ``Timestamp``, ``numpy.datetime64`` or an Excel serial number (int or float).
    what
        The argument's name, used in the error message ("start", "end").
    """
    import pandas as pd

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a date, got {value!r}")
    try:
        if isinstance(value, (int, float)):
            if value != value or not 1 <= value < 2958466:  # NaN or outside Excel's 1900..9999
                raise ValueError
            ts = pd.Timestamp(EXCEL_EPOCH + _dt.timedelta(days=float(value)))
        else:
            ts = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{what}: cannot read {value!r} as a date") from None
    if ts is pd.NaT:
        raise InputError(f"{what}: cannot read {value!r} as a date")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)  # the date where it was given, as local_days
    return _in_range(ts.normalize(), what)


#: The whole days pandas' nanosecond dates hold; prices and windows live inside them.
FIRST_DAY, LAST_DAY = _dt.datetime(1677, 9, 22), _dt.datetime(2262, 4, 11)


def _in_range(ts: pd.Timestamp, what: str) -> pd.Timestamp:
    # pandas reads 2300-01-01 (or Excel's serial 2958465, 9999-12-31) as a coarser-unit
    # Timestamp, which fails later as OutOfBoundsDatetime: say so here, in the user's words.
    if not FIRST_DAY <= ts <= LAST_DAY:
        raise InputError(f"{what}: {ts:%Y-%m-%d} is outside the dates supported "
                         f"({FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d})")
    return ts


def local_days(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Dates at midnight, without time zone, on the day they fall in their own time zone.

    A daily bar of a New York or Tokyo listing is stamped at local midnight; converting it to
    UTC first would move Tokyo's bars to the previous day and keep New York's at 05:00, so
    that they no longer meet prices from a CSV file or Excel on the same date.
    """
    if index.tz is not None:
        index = index.tz_localize(None)
    # is_normalized is cached on the index: prices handed in again and again (Excel
    # recalculation) pay for the check once.
    return index if index.is_normalized else index.normalize()


def check_window(
    start: Any, end: Any
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Parse ``start`` (inclusive) and ``end`` (exclusive) and check that ``start < end``."""
    s = to_timestamp(start, "start")
    e = to_timestamp(end, "end")
    if s is not None and e is not None and e <= s:
        raise DateRangeError(
            f"end {e:%Y-%m-%d} is not after start {s:%Y-%m-%d} (dates reversed?)"
        )
    return s, e


def window(data: Dated, start: Any = None, end: Any = None) -> Dated:
    """Rows of date-sorted ``data`` with ``start <= date < end`` (either bound may be ``None``).

    The one definition of the window, for prices from any source and for the engine.
    """
    s, e = check_window(start, end)
    idx = data.index
    lo = 0 if s is None else int(idx.searchsorted(s, "left"))
    hi = len(idx) if e is None else int(idx.searchsorted(e, "left"))
    return data.iloc[lo:hi]
