"""Exponentially weighted betas of many assets against one benchmark at once, pandas'
``adjust=True`` weights, in one blocked pass over the panel (see :mod:`.many`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .many import _accumulate, _panel

#: Bytes of working buffer per block of assets for the EWMA (its own: the rolling kernel's
#: blocks in :mod:`.many` are sized for its ring). Swept on a ragged 4,000 x 5,000 panel.
_BLOCK_BYTES = 6 * 2**20

#: Rows of dates per slab of the betas of a chunk: the slab's temporaries stay in L2.
_SLAB = 64


def _asset_block(n_assets: int, rows: int, per_asset: int) -> int:
    """Assets per block so that ``rows x per_asset`` floats per asset fit in the buffer."""
    return max(32, min(n_assets, _BLOCK_BYTES // (8 * per_asset * rows)))


def _running_sums(buf: np.ndarray, r: int) -> None:
    """Running sums down rows ``1..r`` of ``buf`` in place, continuing row 0 (the sums carried in).

    In groups of 16 rows: the rows of every group are summed at once (15 numpy calls for the
    whole chunk, each across every group), then each group's last row is carried into the
    next and added to the rest of that group in one broadcast; about 32 calls for 256 rows
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
    ``lam ** -(u + 1)`` (one addition a row); the betas are read off the scaled sums directly
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
    chunk = int(min(256, max(1, 200 * halflife)))
    up = lam ** -np.arange(1, chunk + 1, dtype=float)
    down = lam ** np.arange(1, chunk + 1, dtype=float)
    nb = _asset_block(n, chunk + 1, 5)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j0 in range(0, n, nb):
            j1 = min(j0 + nb, n)
            m = j1 - j0
            # state: each asset's decayed sums W, Sx, Sxx, Sy, Sxy and count at the date
            # before the chunk
            state = np.zeros((6, m))
            buf = np.empty((chunk + 1, 2 * m))  # row 0: the y and x*y sums carried in
            tmp = np.empty((min(_SLAB, chunk), m))
            for a in range(0, t, chunk):
                b = min(a + chunk, t)
                r = b - a
                upx = up[:r] * xv[a:b]
                g1 = upx * xc[a:b]
                g0, g1, g2 = np.cumsum(upx), np.cumsum(g1), np.cumsum(g1 * xc[a:b])
                counts = np.cumsum(xv[a:b])
                buf[0, :m] = state[3]
                buf[0, m:] = state[4]
                rows = buf[1:r + 1]
                sy, sxy = rows[:, :m], rows[:, m:]
                block = y[a:b, j0:j1]
                np.multiply(block, upx[:, None], out=sy)
                np.multiply(sy, xc[a:b, None], out=sxy)
                _running_sums(buf, r)
                dirty = np.flatnonzero(~(np.isfinite(rows[-1, :m]) & np.isfinite(rows[-1, m:])))
                is_clean = np.ones(m, bool)
                is_clean[dirty] = False
                clean = np.flatnonzero(is_clean)
                o = out[a:b, j0:j1]
                _clean_betas(o, sy, sxy, state, clean, dirty, g0, g1, g2, tmp)
                young = clean[state[5, clean] < min_periods - 0.5]
                if young.size:  # assets short of min_periods valid dates before the chunk
                    sub = o[:, young]
                    sub[state[5, young] + counts[:, None] < min_periods - 0.5] = np.nan
                    o[:, young] = sub
                scale = down[r - 1]
                state[0, clean] = (state[0, clean] + g0[-1]) * scale
                state[1, clean] = (state[1, clean] + g1[-1]) * scale
                state[2, clean] = (state[2, clean] + g2[-1]) * scale
                state[3, clean] = rows[-1, clean] * scale
                state[4, clean] = rows[-1, m + clean] * scale
                state[5, clean] += counts[-1]
                if dirty.size:
                    _gap_betas(o, block, dirty, xc[a:b], xv[a:b], up, down, state, min_periods)
    return out



def _clean_betas(o: np.ndarray, sy: np.ndarray, sxy: np.ndarray, state: np.ndarray,
                 clean: np.ndarray, dirty: np.ndarray, g0: np.ndarray, g1: np.ndarray,
                 g2: np.ndarray, scratch: np.ndarray) -> None:
    """Betas of a chunk's assets without a gap (``o``'s other columns are written and then
    redone by :func:`_gap_betas`): the scaled sums ``sy``, ``sxy`` of each asset and the
    chunk's benchmark sums ``g0..g2`` in common, added to the sums ``state`` carries in.

    Written straight into ``o`` in slabs of ``scratch``'s rows, so that the one temporary
    stays in cache between the passes over a slab."""
    r = o.shape[0]
    m = state.shape[1]
    carried = state[:3, clean] if dirty.size else state[:3]
    if not clean.size:
        return  # every asset of the block is summed again below
    common = bool((carried == carried[:, :1]).all())
    if common:
        # every such asset carries the same benchmark sums: one column of them
        wr = carried[0, 0] + g0
        sxr = carried[1, 0] + g1
        var = wr * (carried[2, 0] + g2) - sxr * sxr
    else:
        # (P_W + G0)(P_Sxx + G2) - (P_Sx + G1)^2, P an asset's carried sums
        # and G the chunk's common ones, as one product of (r x 5) by (5 x m)
        dates_part = np.stack((g0 * g2 - g1 * g1, g2, g0, g1, np.ones(r)), axis=1)
        assets_part = np.stack((np.ones(m), state[0], state[2], -2.0 * state[1],
                                state[0] * state[2] - state[1] * state[1]))
    step = scratch.shape[0]
    for u0 in range(0, r, step):
        u1 = min(u0 + step, r)
        os_, v = o[u0:u1], scratch[:u1 - u0]
        if common:
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
            np.matmul(dates_part[u0:u1], assets_part, out=v)
            os_ /= v
            if not v.min() > 0:
                np.copyto(os_, np.nan, where=~(v > 0))


def _gap_betas(o: np.ndarray, block: np.ndarray, dirty: np.ndarray, xc: np.ndarray,
               xv: np.ndarray, up: np.ndarray, down: np.ndarray, state: np.ndarray,
               min_periods: int) -> None:
    """Betas of a chunk's assets with a gap (``dirty``), summed again with masks; ``state``
    carried on. An asset not listed yet (no valid date before nor in the chunk) stays NaN."""
    part = block[:, dirty]  # a copy
    # not listed yet: no valid date before nor in the chunk, sums stay zero
    idle = (state[5, dirty] == 0) & np.isnan(part).all(axis=0)
    if idle.any():
        o[:, dirty[idle]] = np.nan
        busy = ~idle
        dirty, part = dirty[busy], part[:, busy]
    if dirty.size:
        sub_state = state[:, dirty]
        o[:, dirty] = _ewma_masked_chunk(part, xc, xv, up, down, sub_state, min_periods)
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
