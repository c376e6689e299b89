"""Suspect one-day moves in daily prices: moves the size of a split ratio that the prices were
not adjusted for, and spikes that the next day undoes (a bad tick); each less the benchmark's
move that day when one is known. Counted by :mod:`.quality`; see its docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Split ratios (new shares per old) whose one-day price moves are flagged; a reverse split
#: is the same ratio upside down.
SPLIT_RATIOS = ((2, 1), (3, 1), (3, 2), (4, 1), (5, 1), (7, 1), (8, 1), (10, 1), (15, 1),
                (20, 1))
#: How far a one-day log move, once the benchmark's move that day is taken out, may lie from
#: a split's log ratio: a fraction of that log ratio for splits of 2:1 or more (a real -50%
#: day is rare; TSLA rose 12.6% on its 5:1 day of 2020-08-31), a fixed band for 3:2, whose
#: -33% is a size real days reach (NVDA fell 30.7% on 2008-07-03; its 3:2 of 2007-09-11 came
#: 0.9% from the ratio once SPY's +1.2% is taken out).
SPLIT_BAND = 0.1
SPLIT_BAND_3_2 = 0.03
#: A benchmark move larger than this in a day (log) is no reference (it is itself suspect).
MARKET_MOVE_CAP = 0.25
#: A one-day spike: two opposite moves (the benchmark's taken out) each larger than this
#: (log: 22%) and than ``SPIKE_SIGMAS`` times the column's robust daily deviation, the second
#: undoing at least half of the first: a bad tick. Real reversals stay below (SPY's -9.5%,
#: +8.9% of 2020-03-12/13; TSLA's -19%, +17% of 2012-01-13/17).
SPIKE_MIN = 0.2
SPIKE_SIGMAS = 10.0


#: A possible split: the day, the ratio in words ("7:1 split"; "5:1 split or 4:1 split" when
#: the move is in the band of both, nearest first), the day's move (-0.857), the benchmark's
#: move that day (None when none was given) and the factors that adjust the prices before the
#: day (divide them by it), one per ratio named.
SplitMove = tuple[pd.Timestamp, str, float, float | None, tuple[float, ...]]
#: A one-day spike: the day, the price, its factor to the prices either side (100.0: a hundred
#: times too high).
Spike = tuple[pd.Timestamp, float, float]


def _log_moves(values: np.ndarray, complete: bool) -> np.ndarray:
    """Log of each positive price over the column's previous positive price (NaN elsewhere);
    one row fewer than ``values``."""
    if complete:
        # Every price there and positive (the usual case): the previous price is the row above.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # an infinite price
            return np.log(values[1:] / values[:-1])
    with np.errstate(invalid="ignore"):
        valid = values > 0
    # The previous positive price of each column (a forward fill by index, no pandas).
    rows = np.arange(values.shape[0])[:, None]
    last = np.maximum.accumulate(np.where(valid, rows, -1), axis=0)
    prev = last[:-1]
    before = np.where(prev >= 0, values[np.maximum(prev, 0), np.arange(values.shape[1])],
                      np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(valid[1:], np.log(values[1:] / before), np.nan)


def _market_moves(values: np.ndarray, market: Any, names: Any
                  ) -> tuple[np.ndarray | None, np.ndarray]:
    """The benchmark's log move of each row (0 where unknown or itself suspect) and which
    columns are the benchmark (judged on their own moves)."""
    itself = np.zeros(values.shape[1], dtype=bool)
    if market is None:
        return None, itself
    m = np.asarray(market, dtype=float).reshape(-1, 1)
    if isinstance(market, str) or m.shape[0] != values.shape[0]:
        raise ValueError("market: the benchmark's prices, one per row of values")
    with np.errstate(invalid="ignore"):
        itself = np.array([np.array_equal(values[:, j], m[:, 0], equal_nan=True)
                           for j in range(values.shape[1])])
        move = _log_moves(m, bool((m > 0).all()))[:, 0]
    move = np.where(np.isfinite(move) & (np.abs(move) <= MARKET_MOVE_CAP), move, 0.0)
    return move, itself


def _residual_moves(values: np.ndarray, market: Any, names: Any, complete: bool | None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each column's log moves, the same less the benchmark's move of the day (the benchmark
    itself: its own moves), and the benchmark's moves."""
    if complete is None:
        with np.errstate(invalid="ignore"):
            complete = bool((values > 0).all())
    log_move = _log_moves(values, complete)
    m, itself = _market_moves(values, market, names)
    if m is None:
        return log_move, log_move, None
    resid = log_move - np.where(itself[None, :], 0.0, m[:, None])
    return log_move, resid, m


def _split_targets() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Words, log ratios, bands and adjusting factors of every split and reverse split."""
    words: list[str] = []
    logs: list[float] = []
    factors: list[float] = []
    for new, old in SPLIT_RATIOS:
        words += [f"{new}:{old} split", f"{old}:{new} reverse split"]
        logs += [np.log(old / new), np.log(new / old)]
        factors += [new / old, old / new]
    t = np.asarray(logs)
    band = np.where(np.abs(np.abs(t) - np.log(1.5)) < 1e-9, SPLIT_BAND_3_2,
                    SPLIT_BAND * np.abs(t))
    return words, t, band, np.asarray(factors)


def _robust_sigma(resid: np.ndarray) -> np.ndarray:
    """Each column's daily deviation read from the median absolute deviation (spikes and
    splits do not move it)."""
    out = np.full(resid.shape[1], np.nan)
    for j in range(resid.shape[1]):
        r = resid[:, j]
        r = r[np.isfinite(r)]
        if len(r):
            out[j] = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    return out


def _spike_rows(resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(move row, column) of each one-day spike: the move into a price and the move out of it
    are opposite, each beyond the column's spike threshold, the second undoing half the first
    or more. The price is row ``move row + 1`` of the prices."""
    none = np.zeros(0, np.int64)
    if resid.shape[0] < 2:
        return none, none
    into, out = resid[:-1], resid[1:]
    with np.errstate(invalid="ignore", over="ignore"):
        pair = ((np.abs(into) > SPIKE_MIN) & (np.abs(out) > SPIKE_MIN)
                & (np.sign(into) != np.sign(out))
                & (np.abs(into + out) <= 0.5 * np.minimum(np.abs(into), np.abs(out))))
    rows, cols = np.nonzero(pair)
    if not len(rows):  # the usual case: no column's deviation is needed
        return none, none
    sigma = {int(c): _robust_sigma(resid[:, [c]])[0] for c in set(cols.tolist())}
    limit = np.array([max(SPIKE_MIN, SPIKE_SIGMAS * np.nan_to_num(sigma[int(c)]))
                      for c in cols])
    keep = (np.abs(into[rows, cols]) > limit) & (np.abs(out[rows, cols]) > limit)
    return rows[keep], cols[keep]


def split_like_moves(
    values: np.ndarray, dates: Any, names: Any, complete: bool | None = None,
    market: Any = None,
) -> dict[str, tuple[SplitMove, ...]]:
    """One-day moves that match a split ratio, per column:
    ``(date, "7:1 split", move, benchmark's move, factor)``.

    ``values`` is the (dates x tickers) array of prices (NaN where missing), ``dates`` its
    row dates and ``names`` its column names; ``complete`` says, when known, whether every
    price is there and positive; ``market`` the benchmark's prices on the same rows (a column
    equal to it is judged on its own moves).

    A move matches a ratio when, less the benchmark's move that day, its log lies within the
    ratio's band (:data:`SPLIT_BAND`, :data:`SPLIT_BAND_3_2`) of the ratio's log; the nearest
    ratio is named. A move undone the next day is a spike (:func:`spike_moves`), not a split.
    """
    values = np.asarray(values, dtype=float)
    out: dict[str, tuple[SplitMove, ...]] = {str(c): () for c in names}
    if values.shape[0] < 2:
        return out
    log_move, resid, m = _residual_moves(values, market, names, complete)
    words, targets, band, factors = _split_targets()
    # Only moves of about a third or more can be a split: the ratios are checked there alone.
    least = float(np.min(np.abs(targets) - band))
    with np.errstate(invalid="ignore"):
        cand_r, cand_c = np.nonzero(np.abs(resid) > least)  # NaN compares False
    if not len(cand_r):
        return out
    spiked = set(zip(*(a.tolist() for a in _spike_rows(resid))))
    off = np.abs(resid[cand_r, cand_c][:, None] - targets[None, :])
    within = off <= band[None, :]
    for i in np.flatnonzero(within.any(axis=1)):
        r, c = int(cand_r[i]), int(cand_c[i])
        if (r, c) in spiked or (r - 1, c) in spiked:  # the move into or out of a bad tick
            continue
        # The nearest ratio, and any other whose band holds the move about as well (TSLA's
        # 5:1 of 2020-08-31, with its +12.6% day, is nearer 4:1): both are named.
        order = [int(k) for k in np.argsort(off[i]) if within[i, k]]
        ks = [k for k in order if off[i, k] <= 2 * off[i, order[0]] + 0.02]
        bench = None if m is None else float(np.expm1(m[r]))
        out[str(names[c])] += ((pd.Timestamp(dates[r + 1]), " or ".join(words[k] for k in ks),
                                float(np.expm1(log_move[r, c])), bench,
                                tuple(float(factors[k]) for k in ks)),)
    return out


def spike_moves(
    values: np.ndarray, dates: Any, names: Any, complete: bool | None = None,
    market: Any = None,
) -> dict[str, tuple[Spike, ...]]:
    """One-day spikes that revert (a bad tick), per column: ``(date, price, factor)``, the
    factor the price's ratio to the prices either side (about 100 for a price 100x too high,
    0.01 for one 100x too low). Arguments as :func:`split_like_moves`."""
    values = np.asarray(values, dtype=float)
    out: dict[str, tuple[Spike, ...]] = {str(c): () for c in names}
    if values.shape[0] < 3:
        return out
    log_move, resid, _ = _residual_moves(values, market, names, complete)
    for r, c in zip(*_spike_rows(resid)):
        factor = float(np.exp(0.5 * (log_move[r, c] - log_move[r + 1, c])))
        out[str(names[c])] += ((pd.Timestamp(dates[r + 1]), float(values[r + 1, c]), factor),)
    return out
