"""Dates as users give them, turned into one form.

Excel sends a date-formatted cell as ``datetime``, a typed or computed date as a float serial
(days since 1899-12-30; in a workbook using the 1904 date system, days since 1904-01-01, so
1,462 days later: see :func:`date_system`), text as ``str``; Python users pass strings, ``date`` or ``Timestamp``.
Everything becomes a tz-naive, midnight ``pandas.Timestamp`` here, once.

Text is read when it has one reading: ISO ``2014-01-02`` (and ``2014/01/02``, ``20140102``),
month names (``2 Jan 2014``), day and month in either order when only one order is a date
(``13/02/2014``). ``01/02/2014`` is 2 January in New York and 1 February in London, so it is
refused with both readings named, never guessed (pandas alone would take the US one).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import AmbiguousDateError, DateRangeError, InputError

if TYPE_CHECKING:
    import pandas as pd

Dated = TypeVar("Dated", "pd.Series", "pd.DataFrame")

#: Day zero of Excel's 1900 date system as Windows Excel counts it (serial 1 = 1900-01-01,
#: with the fictitious 1900-02-29 absorbed for every date after February 1900).
EXCEL_EPOCH = _dt.datetime(1899, 12, 30)
#: Day zero of the 1904 date system (``Workbook.Date1904``, common in files from Macs).
EXCEL_EPOCH_1904 = _dt.datetime(1904, 1, 1)

# Whether serial numbers being read come from a workbook using the 1904 date system. A
# context variable, so that a worksheet function reading its caller's system does not leak
# it into another call (xlwings may run functions on several threads).
_DATE1904: ContextVar[bool] = ContextVar("betahedge_date1904", default=False)


@contextlib.contextmanager
def date_system(date1904: bool) -> Iterator[None]:
    """Read serial numbers in the 1904 date system (``True``) or the 1900 one, inside the
    ``with`` block (the Excel faces: the calling workbook's ``Date1904``)."""
    token = _DATE1904.set(bool(date1904))
    try:
        yield
    finally:
        _DATE1904.reset(token)


def uses_1904() -> bool:
    """Whether serial numbers are read in the 1904 date system here (see :func:`date_system`)."""
    return _DATE1904.get()

#: What a refusal of text asks for (the Excel faces add "use a date cell").
ISO_HINT = "write it as yyyy-mm-dd"
# Digits-only text: the year-first forms, and day/month/year in an unknown order.
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script


def _day(year: int, month: int, day: int) -> _dt.datetime | None:
    try:
        return _dt.datetime(year, month, day)
    except ValueError:
        return None


def _text_date(text: str, what: str, hint: str) -> Any:
    """The one date ``text`` can mean, else ``InputError`` naming the readings or the form."""
    import pandas as pd

    for pattern, order in ((_YEAR_FIRST, (1, 3, 4)), (_COMPACT, (1, 2, 3))):
        m = pattern.fullmatch(text)
        if m:
            day = _day(*(int(m.group(i)) for i in order))
            if day is None:
                raise InputError(f"{what}: cannot read {text!r} as a date")
            return pd.Timestamp(day)
    m = _YEAR_LAST.fullmatch(text)
    if m:
        a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        readings = sorted({d for d in (_day(year, a, b), _day(year, b, a)) if d is not None})
        if len(readings) == 1:
            return pd.Timestamp(readings[0])
        if len(readings) == 2:
            raise AmbiguousDateError(f'{what}: "{text}" could be {readings[0]:%Y-%m-%d} or '
                             f"{readings[1]:%Y-%m-%d}; {hint}")
        raise InputError(f"{what}: cannot read {text!r} as a date")
    if not any(c.isalpha() for c in text):
        # Digits in any other arrangement (01/02/14, 1/2): no reading is safe to pick.
        raise AmbiguousDateError(f'{what}: cannot read "{text}" as a date; {hint}')
    ts = pd.Timestamp(text)  # month names: one reading
    if ts.year == 1 and not re.search(r"\d{3}", text):
        # pandas fills a missing year with year 1 ("Jan 2" -> 0001-01-02): say what is missing
        raise InputError(f"{what}: {text!r} has no year; {hint}")
    return ts


def to_timestamp(value: Any, what: str = "date", hint: str = ISO_HINT) -> pd.Timestamp | None:
    """Turn a user's date into a midnight ``Timestamp``; ``None`` and ``""`` stay ``None``.

    Parameters
    ----------
    value
        ``str`` (ISO or another form with one reading, see the module's docstring),
        ``date``/``datetime``, ``Timestamp``, ``numpy.datetime64`` or an Excel serial number
        (int or float).
    what
        The argument's name, used in the error message ("start", "end").
    hint
        What a refused text is told to do instead (the Excel faces add "use a date cell").

    Raises
    ------
    InputError
        Unreadable, or text with two readings (``01/02/2014``), both named in the message.
    """
    import pandas as pd

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        # Digits and separators always mean the same day: kept. Words may not ("today").
        read = _text_read if _LETTER.search(text) else _text_timestamp
        try:
            return read(text, what, hint)
        except InputError:  # already says what is wrong (two readings, no year)
            raise
        except (ValueError, TypeError, OverflowError):
            raise InputError(f"{what}: cannot read {value!r} as a date") from None
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a date, got {value!r}")
    try:
        if isinstance(value, (int, float)):
            epoch = EXCEL_EPOCH_1904 if _DATE1904.get() else EXCEL_EPOCH
            last = 2957004 if _DATE1904.get() else 2958466
            if value != value or not (0 if _DATE1904.get() else 1) <= value < last:
                raise ValueError  # NaN, or outside Excel's dates (1900 or 1904 .. 9999)
            ts = pd.Timestamp(epoch + _dt.timedelta(days=float(value)))
        else:
            ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{what}: cannot read {value!r} as a date") from None
    return _midnight(ts, value, what)


def _text_read(text: str, what: str, hint: str) -> pd.Timestamp:
    """:func:`to_timestamp` of stripped text."""
    return _midnight(_text_date(text, what, hint), text, what)


#: Date texts of digits, kept: a sheet recalculating many cells reads the same few again and
#: again (a refusal is raised each time, never kept).
_text_timestamp = lru_cache(maxsize=1024)(_text_read)


def _midnight(ts: pd.Timestamp, value: Any, what: str) -> pd.Timestamp:
    """The day ``ts`` means, at midnight without a time zone, inside pandas' dates."""
    import pandas as pd

    if ts is pd.NaT:
        raise InputError(f"{what}: cannot read {value!r} as a date")
    if ts.tzinfo is not None:
        return _in_range(local_days(pd.DatetimeIndex([ts]))[0], what)  # the day meant
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

    A provider that stamps its days at UTC midnight, shown in another zone, reads 19:00 or
    20:00 of the day before in New York: the day it meant is the UTC one, not the local one
    (which would read every price a day early). So an index that is not at local midnight but
    is at UTC midnight is read in UTC; any other time of day (a 16:00 close) keeps its local
    date.

    Without a time zone there is no telling: stamps all in the evening (18:00 or later) are
    what UTC midnight looks like in the Americas once the zone is dropped, and are refused
    rather than read a day early.
    """
    if index.tz is None and not index.is_normalized and len(index) and (index.hour >= 18).all():
        raise InputError(
            f"dates stamped at {index[0]:%H:%M} without a time zone (first "
            f"{index[0]:%Y-%m-%d %H:%M}): an evening stamp is usually midnight UTC of the "
            f"next day shown in local time; give the time zone (tz_localize) or plain dates"
        )
    if index.tz is not None:
        local = index.tz_localize(None)
        if not local.is_normalized:
            utc = index.tz_convert("UTC").tz_localize(None)
            if utc.is_normalized:
                return utc
        index = local
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
    lo, hi = window_bounds(data.index, *check_window(start, end))
    return data.iloc[lo:hi]


def window_bounds(index: Any, start: Any, end: Any) -> tuple[int, int]:
    """Positions ``lo, hi`` of the window ``start <= date < end`` in sorted dates (a pandas
    index and Timestamps, or a ``datetime64`` array and ``datetime64`` bounds)."""
    lo = 0 if start is None else int(index.searchsorted(start, "left"))
    hi = len(index) if end is None else int(index.searchsorted(end, "left"))
    return lo, hi
