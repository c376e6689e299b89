"""How one ticker's history is kept in one row of the store: two blobs (days since 1970-01-01
as little-endian int32, adjusted closes as little-endian float64), their checksum, what makes a
row untrustworthy, and the day numbers and day ranges the store speaks in."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

_DAYS = np.dtype("<i4")
_CLOSES = np.dtype("<f8")
_EPOCH = np.datetime64("1970-01-01", "D")
_NS_PER_DAY = 86_400 * 10**9


def _crc(days: bytes, closes: bytes) -> int:
    return zlib.crc32(closes, zlib.crc32(days))


def to_day(ts: pd.Timestamp | np.datetime64) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(ts, "D") - _EPOCH).astype(int))  # type: ignore[call-overload]


def from_day(day: int) -> pd.Timestamp:
    """Inverse of :func:`to_day`."""
    return pd.Timestamp(_EPOCH + np.timedelta64(int(day), "D"))


def row_days(days: bytes) -> np.ndarray:
    """The dates of a stored row's days blob, as ``datetime64[D]``."""
    return np.frombuffer(days, dtype=_DAYS).astype("datetime64[D]")


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(want: tuple[int, int], have: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[want)`` not inside any of the (merged, sorted) ranges ``have``."""
    a, b = want
    out: list[tuple[int, int]] = []
    for c, d in have:
        if d <= a or c >= b:
            continue
        if c > a:
            out.append((a, c))
        a = max(a, d)
        if a >= b:
            break
    if a < b:
        out.append((a, b))
    return out



def _encode(days: np.ndarray, closes: np.ndarray) -> tuple[int, int, int, bytes, bytes]:
    return (len(days), int(days[0]), int(days[-1]), days.astype(_DAYS).tobytes(),
            closes.astype(_CLOSES).tobytes())


def _decode(days: bytes, closes: bytes) -> tuple[np.ndarray, np.ndarray]:
    return (np.frombuffer(days, dtype=_DAYS).astype(np.int64),
            np.frombuffer(closes, dtype=_CLOSES))


def _damage(days: bytes, closes: bytes, n: int | None = None) -> str | None:
    """Why a stored row cannot be trusted (None when it can): blob lengths, increasing dates,
    finite positive prices."""
    if not isinstance(days, bytes) or not isinstance(closes, bytes):
        return "not binary"
    if len(days) % _DAYS.itemsize or len(closes) % _CLOSES.itemsize:
        return "truncated"
    d = np.frombuffer(days, dtype=_DAYS)
    c = np.frombuffer(closes, dtype=_CLOSES)
    if len(d) != len(c) or (n is not None and n != len(d)):
        return "lengths disagree"
    if len(d) > 1 and not bool(np.all(d[1:] > d[:-1])):
        return "dates out of order"
    if not bool(np.all(np.isfinite(c) & (c > 0))):
        return "prices not finite and positive"
    return None

