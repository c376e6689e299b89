"""Many assets against one benchmark at once: full-sample OLS and rolling betas, and the
cache-sized blocks they (and :mod:`.ewma`'s EWMA betas) work in.

Everything here is a handful of matrix products over the whole panel, never a loop over
assets: a 500 x 2,520 panel is a few milliseconds. Assets may have missing values (different
listing dates); each asset then uses the dates it has, as a per-asset regression would.
Both benchmark and assets are centred on their panel means first so that the sums below do not
lose digits to cancellation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .align import as_floats, on_dates_of, whole_number
from .rolling_ols import (  # noqa: F401  (importable from here as before)
    _solve_small,
    check_rolling_window,
    rolling_ols_betas,
)


#: A benchmark whose sum of squared deviations is below this share of its (centred) sum of
#: squares is constant to rounding: its beta is undefined (NaN), not a ratio of noise.
_FLAT = 1e-12


def _panel(
    asset_returns: Any, benchmark_returns: Any
) -> tuple[np.ndarray, np.ndarray, pd.Index | None, list[str] | pd.Index]:
    """(T, N) asset array, (T,) benchmark array, shared index, asset names."""
    asset_returns, benchmark_returns = on_dates_of(
        asset_returns, benchmark_returns, what=("asset", "benchmark"))
    if isinstance(asset_returns, pd.Series):
        asset_returns = asset_returns.to_frame()
    if isinstance(benchmark_returns, pd.DataFrame):
        if benchmark_returns.shape[1] != 1:
            raise InputError("one benchmark here; use ols() for several")
        benchmark_returns = benchmark_returns.iloc[:, 0]
    y = as_floats(asset_returns)
    x = as_floats(benchmark_returns)
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim != 1 or x.shape[0] != y.shape[0]:
        raise InputError(
            f"benchmark has {x.shape[0] if x.ndim else 0} returns but assets have {y.shape[0]}"
        )
    index = asset_returns.index if isinstance(asset_returns, pd.DataFrame) else None
    names: list[str] | pd.Index
    if not isinstance(asset_returns, pd.DataFrame):
        names = [f"asset{i + 1}" for i in range(y.shape[1])]
    elif isinstance(asset_returns.columns.dtype, pd.StringDtype) and not (
            asset_returns.columns.hasnans):
        names = asset_returns.columns.rename(None)  # text already (4,000 names: 5 ms saved)
    else:
        names = [str(c) for c in asset_returns.columns]
    return y, x, index, names


def _regress_sums_by_rows(y: np.ndarray, xc: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_regress_sums` for a row-major panel: blocks of dates across every asset.

    Sums add up over blocks of dates. A block is summed without masks (one matrix product
    for the sums of ``y`` and ``x * y``); only the assets whose sums come out not finite had
    a gap there (or are not listed yet) and are summed again with their gaps masked. An
    asset's shift is its first valid value, fixed in the block where it first has one (its
    sums before are empty, so nothing needs redoing).
    """
    t, k = y.shape
    n, sx, sxx, sy, syy, sxy = (np.zeros(k) for _ in range(6))
    shift = np.full(k, np.nan)
    rows = max(8, _BLOCK_BYTES // (8 * 2 * max(k, 1)))
    buf = np.empty((min(rows, t), k))
    unlisted = True
    with np.errstate(invalid="ignore", over="ignore"):
        for a in range(0, t, rows):
            block = y[a:a + rows]
            r = block.shape[0]
            yc = np.subtract(block, shift, out=buf[:r])  # NaN where missing or not listed
            xb = xc[a:a + r]
            design = np.stack((np.ones(r), xb))
            lin = design @ yc  # sums of y and x * y
            squares = np.einsum("ij,ij->j", yc, yc)
            count = np.full(k, float(r))
            bx = np.full(k, xb.sum())
            bxx = np.full(k, xb @ xb)
            fine = np.isfinite(lin[0]) & np.isfinite(lin[1]) & np.isfinite(squares)
            if unlisted:  # assets without a value so far, and still none here: nothing to add
                idle = np.isnan(shift) & np.isnan(block).all(axis=0)
                if idle.any():
                    count[idle] = bx[idle] = bxx[idle] = 0.0
                    lin[:, idle] = squares[idle] = 0.0
                    fine |= idle
            dirty = np.flatnonzero(~fine)
            if dirty.size:
                part = block[:, dirty]  # a copy
                unset = np.flatnonzero(np.isnan(shift[dirty]))
                if unset.size:  # listed in this block, or not yet: the first valid value
                    has = ~np.isnan(part[:, unset])
                    first = np.argmax(has, axis=0)
                    found = has[first, np.arange(unset.size)]
                    shift[dirty[unset[found]]] = part[first[found], unset[found]]
                    unlisted = bool(np.isnan(shift).any())
                part -= shift[dirty]
                missing = np.isnan(part)
                np.copyto(part, 0.0, where=missing)
                present = (~missing).astype(float)
                count[dirty] = present.sum(axis=0)
                bx[dirty] = xb @ present
                bxx[dirty] = (xb * xb) @ present
                lin[0, dirty] = part.sum(axis=0)
                lin[1, dirty] = xb @ part
                squares[dirty] = np.einsum("ij,ij->j", part, part)
            n += count
            sx += bx
            sxx += bxx
            sy += lin[0]
            syy += squares
            sxy += lin[1]
    shift[np.isnan(shift)] = 0.0
    return n, sx, sxx, shift, sy, syy, sxy


def _regress_sums(y: np.ndarray, xc: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-asset sums for OLS on the dates each asset has, in one pass over the panel.

    Returns ``n, sx, sxx, y0, sy, syy, sxy``: the count of valid dates, the sums of the
    (centred) benchmark and its square over them, a shift ``y0`` per asset (its first valid
    value: of the data's own size, so the sums below lose no digits to a large mean) and the
    sums of ``y - y0``, its square and its product with the benchmark over the valid dates.

    Blocks of assets are read once and reduced while in cache (no full-size temporary). The
    benchmark's sums over an asset's dates come from its running sums from the asset's first
    valid date (a late listing costs nothing); only assets with gaps after it take masked
    products.
    """
    t, k = y.shape
    if k > 1 and y.strides[0] > y.strides[1]:  # row-major: whole rows are the cheap reads
        return _regress_sums_by_rows(y, xc)
    n, sx, sxx, y0, sy, syy, sxy = (np.empty(k) for _ in range(7))
    xx = xc * xc
    # sums of the benchmark from each date to the end
    tail_x = np.concatenate((np.cumsum(xc[::-1])[::-1], [0.0]))
    tail_xx = np.concatenate((np.cumsum(xx[::-1])[::-1], [0.0]))
    nb = _asset_block(k, max(t, 1), 2)
    design = np.stack((np.ones(t), xc))
    # scratch reused by every block (a fresh array each time costs page faults)
    ybuf = np.empty((min(nb, k), t)).T
    mbuf = np.empty((min(nb, k), t), dtype=bool).T
    for j0 in range(0, k, nb):
        cols = slice(j0, min(j0 + nb, k))
        block = y[:, cols]
        width = block.shape[1]
        yc = ybuf[:, :width]
        # numpy (1.26 and 2.4 seen) writes wrong values from isnan into a column-major `out`
        # when the input runs backwards (y[::-1]): a fresh mask for such an input
        missing = (np.isnan(block, out=mbuf[:, :width]) if min(block.strides) > 0
                   else np.isnan(block))
        if t and not missing.any():  # no gap: every asset has every date
            shift = block[0].copy()
            np.subtract(block, shift, out=yc)
            n[cols], sx[cols], sxx[cols] = t, tail_x[0], tail_xx[0]
        else:
            first = np.argmin(missing, axis=0)  # first valid date (0 when there is none)
            shift = block[first, np.arange(width)]
            shift[np.isnan(shift)] = 0.0
            np.subtract(block, shift, out=yc)
            np.copyto(yc, 0.0, where=missing)
            n_missing = np.count_nonzero(missing, axis=0)
            n[cols] = t - n_missing
            sx[cols] = tail_x[first]
            sxx[cols] = tail_xx[first]
            gaps = np.flatnonzero(n_missing > first)  # missing dates after the first valid one
            if gaps.size:
                present = (~missing[:, gaps]).astype(float)
                sx[j0 + gaps] = xc @ present
                sxx[j0 + gaps] = xx @ present
        y0[cols] = shift
        # summed, not total - t * shift: no cancellation; y and x * y in one product
        sy[cols], sxy[cols] = design @ yc
        syy[cols] = np.einsum("ij,ij->j", yc, yc)
    return n, sx, sxx, y0, sy, syy, sxy


def regress_many(asset_returns: Any, benchmark_returns: Any) -> pd.DataFrame:
    """Full-sample OLS of each asset on one benchmark, all at once.

    Parameters
    ----------
    asset_returns : DataFrame (T, N) or array
        One column per asset; NaN where an asset has no return.
    benchmark_returns : Series (T,), one-column DataFrame or array
        The benchmark; rows where it is NaN are ignored for every asset. pandas inputs are
        matched by date (any order, any time zone); arrays by position.

    Returns
    -------
    DataFrame
        One row per asset: ``alpha``, ``beta``, ``alpha_se``, ``beta_se``, ``alpha_t``,
        ``beta_t``, ``r_squared``, ``resid_std``, ``n``. Assets with fewer than 3 observations
        or no benchmark variation on their dates get NaN statistics.
    """
    y, x, _, names = _panel(asset_returns, benchmark_returns)
    keep = ~np.isnan(x)
    if not keep.all():
        y, x = y[keep], x[keep]
    x0 = float(x.mean()) if x.size else 0.0
    xc = x - x0
    n, sx, sxx, y0, sy, syy, sxy = _regress_sums(y, xc)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = sx / n
        my = sy / n
        vxx = sxx - sx * mx  # sum of squared deviations of x on each asset's dates
        vyy = syy - sy * my
        cxy = sxy - sx * my
        beta = cxy / vxx
        alpha_c = my - beta * mx
        ssr = np.maximum(vyy - beta * cxy, 0.0)
        dof = n - 2
        s2 = ssr / dof
        beta_se = np.sqrt(s2 / vxx)
        # Var(alpha) = s2 (1/n + xbar^2 / Sxx) with xbar the mean of the *uncentred*
        # benchmark on the asset's dates (the intercept is at x = 0, not at x = x0).
        xbar = x0 + mx
        alpha_se = np.sqrt(s2 * (1.0 / n + xbar * xbar / vxx))
        r2 = 1.0 - ssr / vyy
        # Undo the centring: y = y0 + yc, x = x0 + xc  =>  alpha = y0 + alpha_c - beta * x0.
        alpha = y0 + alpha_c - beta * x0
        # A benchmark constant on an asset's dates leaves only rounding noise in vxx; the
        # noise is ~1e-16 of sxx, so compare with sxx rather than with zero.
        bad = (n < 3) | ~(vxx > _FLAT * sxx)
        out = pd.DataFrame(
            {
                "alpha": alpha,
                "beta": beta,
                "alpha_se": alpha_se,
                "beta_se": beta_se,
                "alpha_t": alpha / alpha_se,
                "beta_t": beta / beta_se,
                "r_squared": r2,
                "resid_std": np.sqrt(s2),
                "n": n.astype(int),
            },
            index=pd.Index(names, name="asset"),
        )
    if bad.any():
        out.loc[bad, out.columns[:-1]] = np.nan
    return out


#: Elements of numpy's ufunc buffer inside the panel kernels. numpy (2.4 measured) copies a
#: broadcast operand (a column of the benchmark, a row of sums) through its 8,192-element
#: buffers when the output is a block of a wider panel, two to three times slower a pass; a
#: smaller buffer does not (a 64 x 512 product into the output: 26 us, 11 us with 1,024).
UFUNC_BUFFER = 1024


@contextmanager
def small_ufunc_buffer() -> Iterator[None]:
    """numpy's ufunc buffer at :data:`UFUNC_BUFFER` elements inside the block, restored on
    leaving it (the setting is numpy's, per thread)."""
    before = np.setbufsize(UFUNC_BUFFER)
    try:
        yield
    finally:
        np.setbufsize(before)


#: Bytes of working buffer per block of assets: a few MiB stays in the L2/L3 caches while a
#: block of dates is centred, multiplied, accumulated and turned into betas.
_BLOCK_BYTES = 6 * 2**20


#: The rolling kernel's ring, a little smaller: its passes over a chunk run from the caches
#: of a loaded machine too (4 MiB measured 5-10% faster than 6 MiB, 8 MiB slower).
_RING_BYTES = 4 * 2**20


def _asset_block(n_assets: int, rows: int, per_asset: int, nbytes: int | None = None) -> int:
    """Assets per block so that ``rows x per_asset`` floats per asset fit in the buffer
    (``nbytes``, :data:`_BLOCK_BYTES` unless given)."""
    budget = _BLOCK_BYTES if nbytes is None else nbytes
    return max(32, min(n_assets, budget // (8 * per_asset * rows)))


def _accumulate(buf: np.ndarray, first: int, stop: int,
                views: list[np.ndarray] | None = None) -> None:
    """Running sums down the rows ``first..stop-1`` of ``buf``, continuing row ``first - 1``.

    A wide buffer is accumulated a row (every asset of the block) at a time, which numpy
    vectorises across the row; ``cumsum`` down the columns of a C-ordered array is a strided
    chain of scalar additions, the faster of the two only for a few columns. ``views``, the
    rows of ``buf`` made once (``list(buf)``) for a buffer used chunk after chunk, saves
    making a view of each row at each call (about half the time of a row's addition).
    """
    if buf.shape[1] < 96:
        np.cumsum(buf[first - 1:stop], axis=0, out=buf[first - 1:stop])
        return
    add = np.add
    rows = iter(views[first - 1:stop] if views is not None else buf[first - 1:stop])
    prev = next(rows)
    for row in rows:
        add(prev, row, out=row)
        prev = row


def _rolling_beta_kernel(y: np.ndarray, x: np.ndarray, window: int) -> np.ndarray:
    """Trailing-window betas of every column of ``y`` on ``x``, NaN where a window has a gap.

    One pass over the panel in blocks of assets and dates. The running sums of ``y`` and
    ``x * y`` of a block of assets live in a ring of rows (a date's row at ``date % rows``)
    long enough to hold a chunk of dates and the ``window`` dates before it, so a window's
    sums are the difference of two rows of the ring and nothing is copied between chunks.
    A chunk is summed as it is (no masks); an asset whose sums come out not finite had a
    missing value in it, and only those assets' sums are redone with the gap set to zero.
    A window is NaN while it holds an asset's last missing date (one number per asset
    carried across chunks) or a benchmark gap, or when the benchmark is flat.

    An asset not listed yet (no value so far) keeps NaN sums: every window reaching back to
    those dates comes out NaN by itself, so a late listing costs neither a re-sum nor a mask
    until the chunk where its first value arrives; its sums start from zero there. Works in
    any memory order of ``y``; extra memory is the output and a few MiB of ring.
    """
    t, n = y.shape
    w = window
    xc, mean_x, inv_vxx, x_ok = _benchmark_windows(x, w)
    out = np.empty((t, n))
    chunk = max(w, 256)
    ring = chunk * -(-(w + chunk) // chunk)  # a multiple of chunk: a chunk never wraps
    nb = _asset_block(n, ring, 2, _RING_BYTES)
    dates = np.arange(t)
    # one ring and scratch for every block (fresh ones per block cost page faults)
    ring_buf = np.empty((ring, 2 * min(nb, n)))
    scratch = np.empty((2, _GROUP, min(nb, n)))
    views: list[np.ndarray] = []
    with small_ufunc_buffer(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j0 in range(0, n, nb):
            j1 = min(j0 + nb, n)
            m = j1 - j0
            buf = ring_buf[:, :2 * m]
            if len(views) != ring or views[0].shape[0] != 2 * m:
                views = list(buf)
            zero = np.zeros((1, 2 * m))  # the running sums before the first date
            diff = scratch[:, :, :m]
            last_gap = np.full(m, -w, dtype=np.int64)  # each asset's last missing date
            unlisted = np.arange(m)  # assets without a value so far
            for a in range(0, t, chunk):
                b = min(a + chunk, t)
                r = b - a
                p = a % ring
                rows = buf[p:p + r]
                before = buf[(a - 1) % ring] if a else zero[0]
                block = y[a:b, j0:j1]
                ys = rows[:, :m]
                np.copyto(ys, block)
                blank = np.asarray(np.isnan(ys).all(axis=0)) if unlisted.size else None
                np.multiply(ys, xc[a:b, None], out=rows[:, m:])
                np.add(before, rows[0], out=rows[0])
                _accumulate(buf, p + 1, p + r, views)
                ends = rows[r - 1]
                dirty = np.flatnonzero(~(np.isfinite(ends[:m]) & np.isfinite(ends[m:])))
                gap_rows = None
                if blank is not None:
                    dirty, unlisted, listing = _still_unlisted(blank, dirty, unlisted)
                    if listing.size:  # the sums before an asset's first value are zero
                        before[listing] = 0.0  # (a window starting on it reads them)
                        before[listing + m] = 0.0
                if dirty.size:
                    dirty, gap_rows = _resum_gaps(rows, before, block, xc[a:b], dirty,
                                                  last_gap, dates[a:b], w)
                lo = max(a, w - 1)
                if lo < b:
                    _window_betas(buf, diff, zero, out[:, j0:j1], lo, a, b, p, w, ring,
                                  mean_x, inv_vxx)
                o = out[a:b, j0:j1]
                if lo > a:
                    o[:lo - a] = np.nan
                _mask_gaps(o, x_ok[a:b], last_gap, dirty, gap_rows, dates[a:b], w)
    return out


def _still_unlisted(blank: np.ndarray, dirty: np.ndarray, unlisted: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a chunk's not-yet-listed assets into those still without a value (``blank`` in
    the chunk: their NaN sums are left as they are, dropped from ``dirty``) and those listing
    in it (kept in ``dirty`` to be summed from zero). Returns ``dirty``, the assets still
    unlisted and those listing."""
    still = unlisted[blank[unlisted]]
    listing = unlisted[~blank[unlisted]]
    if still.size:
        idle = np.zeros(blank.size, bool)
        idle[still] = True
        dirty = dirty[~idle[dirty]]
    return dirty, still, listing


def _benchmark_windows(x: np.ndarray, w: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The benchmark centred (gaps zero), and per window end its mean, the reciprocal of its
    co-moment sum ``sum (x - mean)^2`` and whether the window has a beta (no gap, not
    flat)."""
    xv = ~np.isnan(x)
    xc = np.where(xv, x - (x[xv].mean() if xv.any() else 0.0), 0.0)
    cx = np.concatenate(([0.0], np.cumsum(xc)))
    cxx = np.concatenate(([0.0], np.cumsum(xc * xc)))
    cgap = np.concatenate(([0], np.cumsum(~xv)))
    lead = np.full(w - 1, np.nan)
    sx = np.concatenate((lead, cx[w:] - cx[:-w]))
    sxx = np.concatenate((lead, cxx[w:] - cxx[:-w]))
    vxx = sxx - sx * sx / w
    mean_x = sx / w
    with np.errstate(invalid="ignore", divide="ignore"):
        # a flat benchmark window (vxx is rounding noise) or one with a gap has no beta
        x_ok = np.concatenate((np.zeros(w - 1, bool), cgap[w:] == cgap[:-w])) & (
            vxx > _FLAT * sxx
        )
        inv_vxx = 1.0 / vxx
    return xc, mean_x, inv_vxx, x_ok


def _resum_gaps(rows: np.ndarray, before: np.ndarray, block: np.ndarray, xc: np.ndarray,
                dirty: np.ndarray, last_gap: np.ndarray, dates: np.ndarray, w: int
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Redo the running sums of a chunk's ``dirty`` assets (a gap made them not finite) with
    the gaps set to zero; an asset with nothing in the chunk keeps the sums before it.
    Updates ``last_gap``; returns the assets redone and, per date, the last missing date of
    each (None when none was)."""
    m = last_gap.size
    r = block.shape[0]
    part = block[:, dirty]  # a copy
    missing = np.isnan(part)
    idle = missing.all(axis=0)
    if idle.any():  # nothing in the chunk (a gap as long as the chunk): sums unchanged
        gone = dirty[idle]
        rows[:, gone] = before[gone]
        rows[:, gone + m] = before[gone + m]
        last_gap[gone] = dates[-1]
        busy = ~idle
        dirty, part, missing = dirty[busy], part[:, busy], missing[:, busy]
    if not dirty.size:
        return dirty, None
    both = np.concatenate((dirty, dirty + m))
    np.copyto(part, 0.0, where=missing)
    redo = np.empty((r + 1, both.size))
    redo[0] = before[both]
    np.copyto(redo[1:, :dirty.size], part)
    np.multiply(part, xc[:, None], out=redo[1:, dirty.size:])
    _accumulate(redo, 1, r + 1)
    rows[:, both] = redo[1:]
    seen = np.where(missing, dates[:, None], -w)
    np.maximum.accumulate(seen, axis=0, out=seen)
    np.maximum(seen, last_gap[dirty], out=seen)
    last_gap[dirty] = seen[-1]
    return dirty, seen


def _window_betas(buf: np.ndarray, diff: np.ndarray, zero: np.ndarray, out: np.ndarray,
                  lo: int, a: int, b: int, p: int, w: int, ring: int, mean_x: np.ndarray,
                  inv_vxx: np.ndarray) -> None:
    """Betas of the windows ending on dates ``lo..b-1`` (the chunk ``a..b-1`` sits at ring row
    ``p``): each window's sums are the difference of two rows of the ring, and its beta
    ``(sum x*y - mean_x * sum y) / vxx``, in groups of rows small enough that the five
    passes over a group run in the core's own cache."""
    m = out.shape[1]
    for u0, u1, then in _ring_runs(lo, b, w, ring, _GROUP):
        now = buf[p + u0 - a:p + u1 - a]
        past = zero if then < 0 else buf[then:then + u1 - u0]
        k = u1 - u0
        sy, sxy = diff[0, :k], diff[1, :k]
        np.subtract(now[:, :m], past[:, :m], out=sy)
        sy *= mean_x[u0:u1, None]
        np.subtract(now[:, m:], past[:, m:], out=sxy)
        sxy -= sy  # co-moment sums
        np.multiply(sxy, inv_vxx[u0:u1, None], out=out[u0:u1])


def _mask_gaps(o: np.ndarray, ok: np.ndarray, last_gap: np.ndarray, dirty: np.ndarray,
               gap_rows: np.ndarray | None, dates: np.ndarray, w: int) -> None:
    """NaN for a chunk's windows without a beta: the benchmark's (``ok`` False) and those still
    holding an asset's last missing date."""
    if not ok.all():
        o[~ok] = np.nan
    # windows still holding an asset's last missing date
    held = last_gap > dates[0] - w
    if gap_rows is not None:
        held[dirty] = False
        sub = o[:, dirty]
        sub[gap_rows > dates[:, None] - w] = np.nan
        o[:, dirty] = sub
    recent = np.flatnonzero(held)
    if recent.size:  # a gap before the chunk: only its first rows can still hold it
        gap = last_gap[recent]
        k = min(o.shape[0], int(gap.max()) + w - int(dates[0]))
        sub = o[:k, recent]
        sub[dates[:k, None] < gap + w] = np.nan
        o[:k, recent] = sub


#: Rows of windows turned into betas at a time (64 x 512 assets x 8 bytes: 256 KiB an array).
_GROUP = 64


def _ring_runs(lo: int, hi: int, w: int, ring: int, most: int | None = None
               ) -> list[tuple[int, int, int]]:
    """Dates ``lo..hi-1`` split where the ring rows of their dates ``- w`` wrap: ``(first,
    stop, ring row of first - w)``, ``-1`` for the date before the first (zero sums); runs of
    at most ``most`` dates when given."""
    runs = []
    u = lo
    while u < hi:
        s = u - w
        if s < 0:  # only date w - 1: its window starts at the first date
            runs.append((u, u + 1, -1))
            u += 1
            continue
        q = s % ring
        stop = min(hi, u + ring - q, u + most if most else hi)
        runs.append((u, stop, q))
        u = stop
    return runs


def rolling_beta(asset_returns: Any, benchmark_returns: Any, window: int) -> pd.DataFrame:
    """Beta of each asset over a trailing window of ``window`` periods.

    Equal to ``asset.rolling(window).cov(bench) / bench.rolling(window).var()`` (and to
    statsmodels ``RollingOLS``), NaN until a window is full of valid observations.

    Returns
    -------
    DataFrame shaped like ``asset_returns``.
    """
    window = whole_number(window, "window")
    y, x, index, names = _panel(asset_returns, benchmark_returns)
    check_rolling_window(window, y.shape[0])
    beta = _rolling_beta_kernel(y, x, window)
    # copy=False: the array is ours alone; pandas 3 would otherwise copy the whole panel.
    return pd.DataFrame(beta, index=index, columns=names, copy=False)
