"""What a request for prices gets back: a :class:`PriceSet` (the outer-joined adjusted closes,
where they came from, their quality findings), and how one is assembled from per-ticker series.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import (
    DataError,
    DataWarning,
    InputError,
    NoOverlapError,
)
from .quality import QualityReport, assess, window_text
from .tickers import check_ticker


@dataclass(frozen=True)
class PriceSet:
    """Adjusted closes for a set of tickers, with where they came from and their quality.

    Attributes
    ----------
    prices
        Float columns in the order asked (upper-cased tickers), outer-joined on a sorted, unique,
        tz-naive midnight DatetimeIndex named ``Date``, restricted to ``[start, end)``; NaN where
        a ticker has no price. Zero and negative prices are removed (NaN) and counted in
        ``quality``.
    quality
        The data-quality findings (see :mod:`betahedge_xl.data.quality`).
    source
        ``"yahoo"`` (fetched now, at least in part), ``"store"``, ``"csv:<folder name>"`` or
        ``"memory"`` (prices handed in).
    as_of
        When the prices were fetched (UTC): the oldest fetch among the tickers.
    stale
        True when some prices come from the store because Yahoo failed; ``stale_message`` says
        which and from when.
    errors
        Tickers without prices, with the error saying why (partial failure: the others are
        still returned).
    notes
        Findings of the source about the prices it gave (a date given twice: which price was
        kept), one line each.
    """

    prices: pd.DataFrame
    quality: QualityReport
    source: str
    as_of: pd.Timestamp
    stale: bool = False
    stale_message: str = ""
    errors: Mapping[str, DataError] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # fetch_prices' aligned frame, kept on the memo's own instance (never handed out)
    _aligned: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def tickers(self) -> list[str]:
        """The tickers, in the order asked."""
        return [str(c) for c in self.prices.columns]

    def aligned(self) -> pd.DataFrame:
        """Prices on the dates every ticker has (inner join, no NaN).

        Raises
        ------
        DataError
            A ticker has no prices at all (its own error class when it failed).
        NoOverlapError
            The tickers share no date.
        """
        some = self.prices.notna().any()  # once for all columns, not a Series per ticker
        for t in self.tickers:
            if t in self.errors:
                err = self.errors[t]
                raise type(err)(str(err))
            if not some[t]:
                raise DataError(f"{t}: no prices in "
                                f"{window_text(self.quality.start, self.quality.end)}")
        out = self.prices.dropna(how="any")
        if out.empty:
            raise NoOverlapError(f"{', '.join(self.tickers)}: no date with prices for all in "
                                 f"{window_text(self.quality.start, self.quality.end)}")
        return out

    def messages(self) -> list[str]:
        """Everything worth telling the user: staleness, failed tickers, quality findings."""
        out = [self.stale_message] if self.stale else []
        out += [str(e) for e in self.errors.values()]
        return out + list(self.notes) + self.quality.messages()

    def copy(self) -> PriceSet:
        """A copy whose ``prices`` can be changed without touching the memo."""
        return replace(self, prices=self.prices.copy(), errors=dict(self.errors))

    def __str__(self) -> str:
        p = self.prices
        span = f"{p.index[0]:%Y-%m-%d}..{p.index[-1]:%Y-%m-%d}" if len(p) else "no dates"
        head = (f"PriceSet {', '.join(self.tickers)}: {len(p)} dates {span}, "
                f"source {self.source}, as of {self.as_of:%Y-%m-%d %H:%M} UTC")
        return "\n".join([head, *("  " + m for m in self.messages())])


def normalise_tickers(tickers: str | Sequence[str]) -> list[str]:
    """Upper-cased, stripped, de-duplicated tickers in the order given.

    A single string may hold several, separated by commas or spaces (``"TSLA, SPY"``).
    """
    if isinstance(tickers, str):
        items: list[Any] = re.split(r"[,\s]+", tickers)
    elif isinstance(tickers, Sequence) or isinstance(tickers, (set, frozenset)):
        items = list(tickers)
    else:
        raise InputError(f"tickers: expected text or a list of text, got {tickers!r}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"tickers: {item!r} is not text")
        if not item.strip():
            continue
        t = check_ticker(item)
        if t not in out:
            out.append(t)
    if not out:
        raise InputError("tickers: none given")
    return out


def _raise_all_failed(names: Sequence[str], errors: Mapping[str, DataError],
                      start: pd.Timestamp | None, end: pd.Timestamp | None) -> None:
    if not errors:
        raise DataError(f"{', '.join(names)}: no prices in {window_text(start, end)}")
    kinds = {type(e) for e in errors.values()}
    cls = kinds.pop() if len(kinds) == 1 else DataError
    # tickers sharing one error (Yahoo unreachable) are named in it once
    raise cls("; ".join(dict.fromkeys(str(errors[t]) for t in names if t in errors)))


def _outer_join(names: Sequence[str], series: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Float columns ``names`` on the sorted union of their dates, NaN where one has none.

    Built as one float block with numpy: ``pd.concat`` of hundreds of Series makes a block per
    column, and every later frame operation pays for each.
    """
    cols = [series.get(t) for t in names]
    keys = [np.empty(0, np.int64) if c is None else
            c.index.asi8 if isinstance(c.index, pd.DatetimeIndex) and c.index.unit == "ns"
            and c.index.tz is None else pd.DatetimeIndex(c.index).as_unit("ns").asi8
            for c in cols]
    if not all(len(k) < 2 or bool(np.all(k[1:] > k[:-1])) for k in keys):
        # not sorted and unique: pandas' join, as before
        frame = pd.concat([c.rename(t) if c is not None else pd.Series(
            dtype=float, index=pd.DatetimeIndex([], name="Date"), name=t)
            for t, c in zip(names, cols)], axis=1, join="outer", sort=True).astype(float)
        frame.index = pd.DatetimeIndex(frame.index, name="Date").as_unit("ns")
        return frame.reindex(columns=list(names))
    longest = max(keys, key=len)
    union = longest if all(len(k) == 0 or k is longest or np.array_equal(k, longest[np.searchsorted(
        longest, k[0]):np.searchsorted(longest, k[0]) + len(k)]) for k in keys) \
        else np.unique(np.concatenate(keys))
    out = np.full((len(union), len(names)), np.nan, order="F")  # columns contiguous
    for j, (k, c) in enumerate(zip(keys, cols)):
        if c is not None and len(k):
            out[np.searchsorted(union, k), j] = c.to_numpy(dtype=float)
    return pd.DataFrame(out, index=pd.DatetimeIndex(union.view("datetime64[ns]"), name="Date"),
                        columns=list(names), copy=False)


def _assemble(names: Sequence[str], series: Mapping[str, pd.Series],
              errors: Mapping[str, DataError], start: pd.Timestamp | None,
              end: pd.Timestamp | None, source: str, as_of: pd.Timestamp,
              stale_message: str = "", notes: Sequence[str] = ()) -> PriceSet:
    """Join, clean, assess; warn per failed ticker and note; raise when no ticker has a price."""
    if not any(len(s) and bool((s > 0).any()) for s in series.values()):
        _raise_all_failed(names, errors, start, end)
    for t in names:
        if t in errors:
            warnings.warn(DataWarning(str(errors[t])), stacklevel=4)
    for note in notes:
        warnings.warn(DataWarning(note), stacklevel=4)
    raw = _outer_join(names, series)
    quality = assess(raw, start, end)
    prices = raw.where(raw > 0)
    prices = prices[prices.notna().any(axis=1)]
    return PriceSet(prices, quality, source, as_of, stale=bool(stale_message),
                    stale_message=stale_message, errors=dict(errors), notes=tuple(notes))
