"""Exponentially weighted betas of many assets against one benchmark at once, pandas'
``adjust=True`` weights, in one blocked pass over the panel (see :mod:`.many`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .many import _accumulate, _panel, small_ufunc_buffer

#: Bytes of working buffer per block of assets for the EWMA (its own: the rolling kernel's
#: blocks in :mod:`.many` are sized for its ring). Swept on a ragged 4,000 x 5,000 panel.
_BLOCK_BYTES = 4 * 2**20

#: Dates per chunk, the span of one scale (fewer for a half-life under 1.28 days: see the
#: kernel), and dates per slice of it whose sums are run and turned into betas at once:
#: short slices of every asset beat long chunks of fewer assets (fewer blocks, in cache).
_CHUNK = 256
_SUB = 64

#: Assets read at a time from a column-major panel.
_COLUMNS = 256

#: Floats per slab (dates x assets) of a chunk's betas: a slab and its one temporary stay in
#: L2, and its (dates x 5) by (5 x assets) product stays under OpenBLAS's threshold for threads
#: (M N K < 4 x 65536): the kernel runs on one core, as on a machine shared with other work.
_SLAB = 2**15


def _running_sums(buf: np.ndarray, r: int) -> None:
    """Running sums down rows ``1..r`` of ``buf`` in place, continuing row 0 (the sums carried in).

    In groups of 16 rows: the rows of every group are summed at once (15 numpy calls for the
    whole chunk, each across every group), then each group's last row is carried into the
    next and added to the rest of that group in one broadcast: 19 numpy calls for 64 rows
    instead of one a row, at two passes over the buffer. A narrow buffer takes ``cumsum``.
    """
    rows = buf[1:r + 1]
    if r * buf.shape[1] < 8192:
        np.cumsum(buf[:r + 1], axis=0, out=buf[:r + 1])
        return
    np.add(buf[0], rows[0], out=rows[0])
    g = 16
    q = r // g
    start = 1
    if q > 1:
        groups = rows[:q * g].reshape(q, g, rows.shape[1])
        for i in range(1, g):
            np.add(groups[:, i - 1], groups[:, i], out=groups[:, i])
        ends = groups[:, -1]
        for k in range(1, q):
            np.add(ends[k - 1], ends[k], out=ends[k])
        groups[1:, :-1] += ends[:-1, None, :]
        start = q * g
    add = np.add
    for i in range(start, r):
        add(rows[i - 1], rows[i], out=rows[i])


def _ewma_beta_kernel(
    y: np.ndarray, x: np.ndarray, halflife: float, min_periods: int
) -> np.ndarray:
    """``ewm_cov(y, x) / ewm_var(x)`` per column, pandas' ``adjust=True`` weights.

    Each asset's weighted sums (weight, x, x^2, y, x*y over its valid dates, decayed by
    ``0.5 ** (1 / halflife)`` a period, gaps included, as pandas' ``ignore_na=False``) and its
    count of valid dates run down the dates in blocks of assets and dates, in cache, in one
    pass over the panel. The common weight cancels: ``beta = (W Sxy - Sx Sy) / (W Sxx - Sx^2)``.

    Within a chunk of dates the decayed sums are plain running sums of the inputs scaled by
    ``lam ** -(u + 1)`` (:func:`_running_sums`); the betas are read off the scaled sums directly
    (the scale is common to numerator and denominator) and only the sums carried to the next
    chunk are scaled back. An asset with every date of a chunk (the usual case) has the
    benchmark's weight, x and x^2 sums of the chunk in common with every such asset: one
    column of them, added to each asset's carried sums, and only its y and x*y sums run per
    asset. Assets whose y sums come out not finite had a gap in the chunk and are summed
    again with masks (:func:`_ewma_masked_chunk`).
    """
    t, n = y.shape
    lam = 0.5 ** (1.0 / halflife)
    xv = ~np.isnan(x)
    xc = np.where(xv, x - (x[xv].mean() if xv.any() else 0.0), 0.0)
    out = np.empty((t, n))
    # The block is short enough that the scale stays far from overflow (lam ** -chunk <=
    # 2 ** 200, and products of two scaled sums below 2 ** 400).
    chunk = int(min(_CHUNK, max(1, 200 * halflife)))
    up = lam ** -np.arange(1, chunk + 1, dtype=float)
    down = lam ** np.arange(1, chunk + 1, dtype=float)
    # assets per block: the block's running sums (2 x a slice + 1 rows) fill _BLOCK_BYTES
    nb = max(32, min(n, _BLOCK_BYTES // (16 * (min(_SUB, chunk) + 1))))
    with small_ufunc_buffer():  # broadcast operands without numpy's copies (see there)
        _blocks(y, out, xv, xc, up, down, chunk, nb, min_periods)
    return out


def _blocks(y: np.ndarray, out: np.ndarray, xv: np.ndarray, xc: np.ndarray, up: np.ndarray,
            down: np.ndarray, chunk: int, nb: int, min_periods: int) -> None:
    """The kernel's loop over blocks of assets and chunks of dates, writing ``out``.

    A chunk's sums share one scale; they are run and turned into betas a slice of ``_SUB``
    dates at a time (its sums carried from the slice before in row 0 of one small buffer),
    so the working set is a slice, not the chunk. Which assets have a gap is known at the
    chunk's end only (its last sums not finite); the clean assets' betas take one column
    of benchmark sums when those assets all carry the same ones. That is guessed from the
    assets clean in the chunk before, and in the rare chunk where the guess is wrong the
    chunk's betas are taken again the other way.
    """
    t, n = y.shape
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j0 in range(0, n, nb):
            j1 = min(j0 + nb, n)
            m = j1 - j0
            # state: each asset's decayed sums W, Sx, Sxx, Sy, Sxy and count at the date
            # before the chunk
            state = np.zeros((6, m))
            # a slice of at least _SUB dates, longer (fewer numpy calls) while the sums of a
            # narrow block fit _BLOCK_BYTES; row 0: the sums carried in
            span = min(chunk, max(_SUB, _BLOCK_BYTES // (16 * m) - 1))
            buf = np.empty((span + 1, 2 * m))
            tmp = np.empty((max(8, min(chunk, _SLAB // m)), m))
            was_clean = np.arange(m)
            for a in range(0, t, chunk):
                b = min(a + chunk, t)
                r = b - a
                upx = up[:r] * xv[a:b]
                g1 = upx * xc[a:b]
                g0, g1, g2 = np.cumsum(upx), np.cumsum(g1), np.cumsum(g1 * xc[a:b])
                counts = np.cumsum(xv[a:b])
                block = y[a:b, j0:j1]
                o = out[a:b, j0:j1]
                bench = _Bench(state, g0, g1, g2, upx, xc[a:b])
                guess = bench.common(was_clean)
                ends = _chunk_betas(o, block, buf, tmp, bench, guess)
                dirty = np.flatnonzero(~(np.isfinite(ends[:m]) & np.isfinite(ends[m:])))
                is_clean = np.ones(m, bool)
                is_clean[dirty] = False
                clean = np.flatnonzero(is_clean)
                if clean.size:
                    right = bench.common(clean if dirty.size else None)
                    if right != guess:
                        _chunk_betas(o, block, buf, tmp, bench, right)
                young = clean[state[5, clean] < min_periods - 0.5]
                if young.size:  # assets short of min_periods valid dates before the chunk
                    sub = o[:, young]
                    sub[state[5, young] + counts[:, None] < min_periods - 0.5] = np.nan
                    o[:, young] = sub
                scale = down[r - 1]
                state[0, clean] = (state[0, clean] + g0[-1]) * scale
                state[1, clean] = (state[1, clean] + g1[-1]) * scale
                state[2, clean] = (state[2, clean] + g2[-1]) * scale
                state[3, clean] = ends[clean] * scale
                state[4, clean] = ends[m + clean] * scale
                state[5, clean] += counts[-1]
                if dirty.size:
                    _gap_betas(o, block, dirty, xc[a:b], xv[a:b], up, down, state, min_periods)
                was_clean = clean


class _Bench:
    """A chunk's benchmark sums ``g0..g2`` (scaled running sums of the weight, x, x^2 from
    the chunk's first date) and the sums ``state`` each asset carries in."""

    def __init__(self, state: np.ndarray, g0: np.ndarray, g1: np.ndarray, g2: np.ndarray,
                 upx: np.ndarray, xc: np.ndarray) -> None:
        self.state, self.g0, self.g1, self.g2, self.upx, self.xc = state, g0, g1, g2, upx, xc
        self._dates: np.ndarray | None = None
        self._assets: np.ndarray | None = None

    def common(self, which: np.ndarray | None) -> tuple[float, float, float] | None:
        """The benchmark sums the assets ``which`` (None: all) all carry, or None."""
        carried = self.state[:3] if which is None else self.state[:3, which]
        if carried.shape[1] and (carried == carried[:, :1]).all():
            return float(carried[0, 0]), float(carried[1, 0]), float(carried[2, 0])
        return None

    def parts(self) -> tuple[np.ndarray, np.ndarray]:
        """(P_W + G0)(P_Sxx + G2) - (P_Sx + G1)^2, P an asset's carried sums and G the
        chunk's common ones, as the product of a (dates x 5) and a (5 x assets) factor."""
        if self._dates is None or self._assets is None:
            g0, g1, g2, st = self.g0, self.g1, self.g2, self.state
            self._dates = np.stack((g0 * g2 - g1 * g1, g2, g0, g1, np.ones(g0.size)), axis=1)
            self._assets = np.stack((np.ones(st.shape[1]), st[0], st[2], -2.0 * st[1],
                                     st[0] * st[2] - st[1] * st[1]))
        return self._dates, self._assets


def _chunk_betas(o: np.ndarray, block: np.ndarray, buf: np.ndarray, scratch: np.ndarray,
                 bench: _Bench, common: tuple[float, float, float] | None) -> np.ndarray:
    """Every asset's betas of a chunk as if it had no gap (those that have one are redone
    by :func:`_gap_betas`), a slice of dates at a time; returns the scaled y and x*y sums
    of the chunk's last date (NaN where a gap was)."""
    r, m = block.shape
    state = bench.state
    buf[0, :m] = state[3]
    buf[0, m:] = state[4]
    step = buf.shape[0] - 1
    for s0 in range(0, r, step):
        s1 = min(s0 + step, r)
        k = s1 - s0
        rows = buf[1:k + 1]
        sy, sxy = rows[:, :m], rows[:, m:]
        if block.strides[0] < block.strides[1] and m > _COLUMNS:
            # a column-major panel: read a few hundred assets' dates at a time; across
            # thousands of columns every date of a slice is on another page (TLB misses)
            for c in range(0, m, _COLUMNS):
                np.multiply(block[s0:s1, c:c + _COLUMNS], bench.upx[s0:s1, None],
                            out=sy[:, c:c + _COLUMNS])
        else:
            np.multiply(block[s0:s1], bench.upx[s0:s1, None], out=sy)
        np.multiply(sy, bench.xc[s0:s1, None], out=sxy)
        _running_sums(buf, k)
        _clean_betas(o[s0:s1], sy, sxy, bench, s0, common, scratch)
        buf[0] = buf[k]
    return buf[0].copy()


def _clean_betas(o: np.ndarray, sy: np.ndarray, sxy: np.ndarray, bench: _Bench, s0: int,
                 common: tuple[float, float, float] | None, scratch: np.ndarray) -> None:
    """Betas of the dates ``s0..`` of a chunk from each asset's scaled sums ``sy``, ``sxy``
    and the benchmark's (one column of them when every asset carries the same, ``common``),
    written straight into ``o`` in slabs of ``scratch``'s rows, so that the one temporary
    stays in cache between the passes over a slab."""
    r = o.shape[0]
    state = bench.state
    g0, g1 = bench.g0[s0:s0 + r], bench.g1[s0:s0 + r]
    if common is not None:
        wr = common[0] + g0
        sxr = common[1] + g1
        var = wr * (common[2] + bench.g2[s0:s0 + r]) - sxr * sxr
    else:
        dates_part, assets_part = bench.parts()
    step = scratch.shape[0]
    for u0 in range(0, r, step):
        u1 = min(u0 + step, r)
        os_, v = o[u0:u1], scratch[:u1 - u0]
        if common is not None:
            np.multiply(sxy[u0:u1], wr[u0:u1, None], out=os_)
            np.multiply(sy[u0:u1], sxr[u0:u1, None], out=v)
            os_ -= v
            vs = var[u0:u1]
            os_ /= vs[:, None]
            if not vs.min() > 0:
                os_[~(vs > 0)] = np.nan
        else:
            np.add(state[0], g0[u0:u1, None], out=os_)  # each asset's W
            os_ *= sxy[u0:u1]
            np.add(state[1], g1[u0:u1, None], out=v)  # and its Sx
            v *= sy[u0:u1]
            os_ -= v
            np.matmul(dates_part[s0 + u0:s0 + u1], assets_part, out=v)
            os_ /= v
            if not v.min() > 0:
                np.copyto(os_, np.nan, where=~(v > 0))


def _gap_betas(o: np.ndarray, block: np.ndarray, dirty: np.ndarray, xc: np.ndarray,
               xv: np.ndarray, up: np.ndarray, down: np.ndarray, state: np.ndarray,
               min_periods: int) -> None:
    """Betas of a chunk's assets with a gap (``dirty``), summed again with masks; ``state``
    carried on. An asset not listed yet (no valid date before nor in the chunk) stays NaN:
    every date of its sums in the clean pass was NaN, and so were the betas it wrote."""
    fresh = state[5, dirty] == 0
    if fresh.any():
        # not listed yet: no valid date before nor in the chunk (the largest value of a
        # column is NaN only when all are), its sums stay zero. Many such assets: one
        # reduction down the whole block costs less than gathering their columns.
        cand = dirty[fresh]
        if 4 * cand.size > block.shape[1]:
            seen = np.fmax.reduce(block, axis=0)[cand]
        else:
            seen = np.fmax.reduce(block[:, cand], axis=0)
        idle = np.zeros(dirty.size, bool)
        idle[np.flatnonzero(fresh)[np.isnan(seen)]] = True
        dirty = dirty[~idle]
    if dirty.size:
        sub_state = state[:, dirty]
        o[:, dirty] = _ewma_masked_chunk(block[:, dirty], xc, xv, up, down, sub_state,
                                         min_periods)
        state[:, dirty] = sub_state


def _ewma_masked_chunk(
    block: np.ndarray,
    xc: np.ndarray,
    xv: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    state: np.ndarray,
    min_periods: int,
) -> np.ndarray:
    """EWMA betas of a chunk of assets with gaps, every sum masked by the valid dates.

    ``state`` (6 x assets: W, Sx, Sxx, Sy, Sxy and the count at the date before the chunk)
    is updated in place to the chunk's last date.
    """
    r, m = block.shape
    buf = np.empty((r + 1, 6 * m))
    buf[0] = state.reshape(-1)
    rows = buf[1:]
    decayed = rows[:, :5 * m]
    wv, sx, sxx, sy, sxy, cnt = (rows[:, k * m:(k + 1) * m] for k in range(6))
    valid = ~np.isnan(block)
    valid &= xv[:, None]
    np.copyto(cnt, valid)
    np.multiply(cnt, up[:r, None], out=wv)
    np.multiply(wv, xc[:, None], out=sx)
    np.multiply(sx, xc[:, None], out=sxx)
    np.multiply(block, up[:r, None], out=sy)
    np.copyto(sy, 0.0, where=~valid)
    np.multiply(sy, xc[:, None], out=sxy)
    if 6 * m < 192:  # a few assets: cumsum down the columns beats a numpy call per date
        np.cumsum(buf, axis=0, out=buf)
    else:
        _accumulate(buf, 1, r + 1)
    decayed *= down[:r, None]
    cov = wv * sxy
    cov -= sx * sy
    var = wv * sxx
    var -= sx * sx
    o = cov / var
    np.copyto(o, np.nan, where=~(var > 0) | (cnt < min_periods - 0.5))
    state[:] = buf[r].reshape(6, m)
    return o


def ewma_beta(
    asset_returns: Any,
    benchmark_returns: Any,
    halflife: float,
    *,
    min_periods: int = 20,
) -> pd.DataFrame:
    """Exponentially weighted beta, ``ewm_cov(asset, bench) / ewm_var(bench)``.

    The same weights apply to covariance and variance (pandas ``ewm(halflife, adjust=True)``),
    so the bias corrections cancel in the ratio.
    """
    if not halflife > 0:
        raise InputError(f"EWMA half-life must be positive, got {halflife!r}")
    y, x, index, names = _panel(asset_returns, benchmark_returns)
    beta = _ewma_beta_kernel(y, x, float(halflife), int(min_periods))
    # copy=False: the array is ours alone; pandas 3 would otherwise copy the whole panel.
    return pd.DataFrame(beta, index=index, columns=names, copy=False)
