"""Writing to the store: merging newly fetched prices into a ticker's stored history, and
rescaling the stored prices when the source's adjustment basis changed (a dividend or a split
between two fetches), or setting them aside when they disagree beyond that."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .store_file import _CHECKS_SCHEMA
from .store_reads import StoreReads
from .store_rows import _EPOCH, _NS_PER_DAY, _crc, _decode, _encode, _merge, from_day

#: Relative difference of stored and newly fetched prices on the same dates above which the
#: stored range is taken to be on another adjustment basis.
REBASE_TOLERANCE = 1e-6
#: A change of the ratio of new to stored prices, between two shared dates, larger than this
#: (in log terms) is a step of the adjustment basis (a dividend or a split between the two
#: fetches); smaller ones are rounding.
STEP_TOLERANCE = 1e-3
#: Steps allowed on the shared dates, beyond ``STEP_ALLOWANCE`` fixed ones, as a share of them
#: (about four dividends a year are 1.6% of trading days); more means other prices.
STEP_SHARE = 0.04
STEP_ALLOWANCE = 3


def _basis_steps(old: np.ndarray, new: np.ndarray) -> np.ndarray | None:
    """Segments (an id per shared date) between which the ratio ``new / old`` steps, when the
    two are one history on bases that differ by a constant factor between adjustment dates;
    None when they disagree beyond that."""
    lr = np.log(new / old)
    step = np.abs(np.diff(lr)) > STEP_TOLERANCE
    if step.sum() > STEP_ALLOWANCE + STEP_SHARE * len(lr):
        return None
    return np.concatenate([[0], np.cumsum(step)])


def _rescale_factors(days: np.ndarray, shared: np.ndarray, ratio: np.ndarray,
                     seg: np.ndarray) -> np.ndarray:
    """The factor taking each stored price in ``days`` to the new basis: the (median) ratio of
    the segment of the nearest shared date before it (the first segment before them all)."""
    n_seg = int(seg[-1]) + 1
    seg_ratio = np.array([float(np.median(ratio[seg == k])) for k in range(n_seg)])
    pos = np.clip(np.searchsorted(shared, days, side="right") - 1, 0, len(shared) - 1)
    return seg_ratio[seg[pos]]


@dataclass(frozen=True)
class Merge:
    """What :meth:`PriceStore.merge` did to one ticker's stored history."""

    ticker: str
    given: int = 0  # prices handed in (usable ones)
    added: int = 0  # of them on dates not stored before
    replaced: int = 0  # of them on dates stored before (the new price kept)
    rescaled: int = 0  # stored prices kept and rescaled to the new adjustment basis
    factors: tuple[float, ...] = ()  # the factors they were rescaled by
    aside: int = 0  # stored prices set aside (kept apart), as they disagreed with the new
    discarded: int = 0  # stored prices discarded as asked (``replace``)
    stored: int = 0  # prices stored for the ticker afterwards
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None

    def text(self) -> str:
        """``added 10, replaced 2506 on stored dates, rescaled 5903 stored prices by
        0.981 to the new basis``."""
        parts = [f"added {self.added}"]
        if self.replaced:
            parts.append(f"replaced {self.replaced} on stored dates")
        if self.rescaled:
            by = ", ".join(f"{f:.6g}" for f in self.factors[:3]) + (
                "..." if len(self.factors) > 3 else "")
            parts.append(f"rescaled {self.rescaled} stored prices by {by} to the new "
                         f"adjustment basis")
        if self.aside:
            parts.append(f"set aside {self.aside} stored prices that disagree beyond a change "
                         f"of adjustment basis (these are used instead; the old ones are kept "
                         f"apart in the store)")
        if self.discarded:
            parts.append(f"discarded {self.discarded} stored prices (--replace)")
        return ", ".join(parts)


class StoreWrites(StoreReads):
    """A store file's writes: one ticker's merge in one transaction."""

    def write(self, ticker: str, prices: pd.Series, covered: tuple[int, int] | None,
              source: str, fetched_at: pd.Timestamp, *, keep_in_memory: bool = True) -> int:
        """Store ``prices`` (NaN skipped) and record ``covered`` as asked of ``source``;
        returns the number of prices given. See :meth:`merge`, which says what changed."""
        return self.merge(ticker, prices, covered, source, fetched_at,
                          keep_in_memory=keep_in_memory).given

    def merge(self, ticker: str, prices: pd.Series,
              covered: tuple[int, int] | Sequence[tuple[int, int]] | None,
              source: str, fetched_at: pd.Timestamp, *, keep_in_memory: bool = True,
              replace: bool = False) -> Merge:
        """Merge ``prices`` (NaN skipped) into the stored history and record ``covered``
        (empty spans skipped: ``(c, d)`` with ``c >= d`` covers nothing).

        Adjusted closes are rescaled by the source after every dividend or split, so prices
        fetched on different days may be on different bases; between two adjustment dates the
        bases differ by a constant factor. Where the stored prices share dates with ``prices``
        and differ, the stored history is rescaled to the new basis by the ratio on the shared
        dates (the ratio of the nearest shared dates, for stored dates outside them), never
        dropped. Only where the two disagree beyond such steps (their daily returns differ on
        more than a few shared dates) are the stored prices set aside, kept in the file apart
        (table ``aside``), and the new ones used: :attr:`Merge.aside` says so.

        One transaction: the ticker's prices and coverage change together or not at all.

        Parameters
        ----------
        keep_in_memory
            When the file cannot be written (read-only, disk full): True keeps the prices in
            an in-memory copy of the store for this process, with one :class:`StoreWarning`;
            False raises :class:`StoreError` (an import the user asked for must not pretend).
        replace
            Discard the stored history of ``ticker`` (prices and coverage) first.
        """
        values = prices.to_numpy(dtype=float)
        index = prices.index
        if isinstance(index, pd.DatetimeIndex) and index.tz is None and index.unit == "ns":
            days = index.asi8 // _NS_PER_DAY  # midnight dates: exact, and no conversions
        else:
            days = (pd.DatetimeIndex(index).to_numpy().astype("datetime64[D]") - _EPOCH
                    ).astype(np.int64)
        ok = np.isfinite(values) & (values > 0)
        days, values = days[ok], values[ok]
        if len(days) > 1 and not bool(np.all(days[1:] > days[:-1])):
            order = np.argsort(days, kind="stable")
            days, values = days[order], values[order]
            last = np.append(days[1:] != days[:-1], True)  # a day given twice: its last price
            days, values = days[last], values[last]
        stamp = pd.Timestamp(fetched_at).isoformat()
        spans: list[tuple[int, int]] = [] if covered is None or not len(covered) else (
            [covered] if isinstance(covered[0], (int, np.integer))  # type: ignore[list-item]
            else list(covered))  # type: ignore[arg-type]

        def work(con: sqlite3.Connection) -> Merge:
            return self._write_ticker(con, ticker, days, values, spans, source, stamp,
                                      replace)

        out = self._write(work, keep_in_memory)
        self.rebased += bool(out.aside)
        return out

    def _write_ticker(self, con: sqlite3.Connection, ticker: str, days: np.ndarray,
                      values: np.ndarray, covered: list[tuple[int, int]], source: str,
                      stamp: str, replace: bool = False) -> Merge:
        """One ticker's merge (see :meth:`merge`)."""
        row = con.execute("SELECT days, closes FROM series WHERE ticker = ?",
                          (ticker,)).fetchone()
        old_d, old_c = np.empty(0, np.int64), np.empty(0)
        if row is not None:
            why = self._row_damage(con, ticker, *row)
            if why is None:
                old_d, old_c = _decode(*row)
            else:  # a damaged row is not merged into: set aside, the new prices stand alone
                self._put_aside(con, ticker, row, f"damaged ({why})", stamp)
                replace = True
        old = con.execute("SELECT start_day, end_day, fetched_at FROM coverage WHERE ticker = ?",
                          (ticker,)).fetchall()
        keep = list(old)
        result = Merge(ticker, given=len(days))
        if replace and len(old_d):
            result = Merge(ticker, given=len(days), discarded=len(old_d))
            old_d, old_c, keep = np.empty(0, np.int64), np.empty(0), []
        elif replace:
            keep = []
        if len(days) and len(old_d):
            _, i, j = np.intersect1d(old_d, days, assume_unique=True, return_indices=True)
            ratio = values[j] / old_c[i]
            if len(i) and bool(np.any(np.abs(ratio - 1.0) > REBASE_TOLERANCE)):
                steps = _basis_steps(old_c[i], values[j])
                if steps is None:
                    # not one history on two bases: keep the stored one apart, use the new one
                    self._put_aside(con, ticker, row, "disagreed with prices of "
                                    f"{source} beyond a change of adjustment basis", stamp)
                    result = Merge(ticker, given=len(days), aside=len(old_d))
                    old_d, old_c, keep = np.empty(0, np.int64), np.empty(0), []
                else:
                    factor = _rescale_factors(old_d, old_d[i], ratio, steps)
                    moved = np.abs(factor - 1.0) > REBASE_TOLERANCE
                    stay = ~np.isin(old_d, days, assume_unique=True)
                    result = Merge(ticker, given=len(days), rescaled=int((moved & stay).sum()),
                                   factors=tuple(sorted({round(float(f), 6)
                                                         for f in factor[moved & stay]})))
                    old_c = old_c * factor
        shared = np.isin(old_d, days, assume_unique=True)
        stay = ~shared
        result = Merge(ticker, given=len(days), added=int(len(days) - shared.sum()),
                       replaced=int(shared.sum()), rescaled=result.rescaled,
                       factors=result.factors, aside=result.aside, discarded=result.discarded)
        # the new prices win on the days both have
        all_d = np.concatenate([old_d[stay], days])
        all_c = np.concatenate([old_c[stay], values])
        order = np.argsort(all_d, kind="stable")
        all_d, all_c = all_d[order], all_c[order]
        if len(all_d):
            enc = _encode(all_d, all_c)
            con.execute("INSERT OR REPLACE INTO series VALUES (?, ?, ?, ?, ?, ?)",
                        (ticker, *enc))
            con.execute(_CHECKS_SCHEMA)
            con.execute("INSERT OR REPLACE INTO checks VALUES (?, ?)",
                        (ticker, _crc(enc[3], enc[4])))
            self._has_checks = True
        else:
            con.execute("DELETE FROM series WHERE ticker = ?", (ticker,))
            if self._has_checks:
                con.execute("DELETE FROM checks WHERE ticker = ?", (ticker,))
        new = [(int(c), int(d)) for c, d in covered if c < d]
        ranges = [(c, d) for c, d, _ in keep] + new
        con.execute("DELETE FROM coverage WHERE ticker = ?", (ticker,))
        con.executemany(
            "INSERT INTO coverage VALUES (?, ?, ?, ?, ?)",
            [(ticker, a, b, source,
              max([f for c, d, f in keep if c < b and d > a]
                  + [stamp for c, d in new if c < b and d > a]
                  or [stamp]))
             for a, b in _merge(ranges)])
        return Merge(ticker, given=result.given, added=result.added, replaced=result.replaced,
                     rescaled=result.rescaled, factors=result.factors, aside=result.aside,
                     discarded=result.discarded, stored=len(all_d),
                     first=from_day(int(all_d[0])) if len(all_d) else None,
                     last=from_day(int(all_d[-1])) if len(all_d) else None)
