"""Many assets against one benchmark at once: full-sample OLS, rolling and EWMA betas.

Everything here is a handful of matrix products over the whole panel, never a loop over
assets: a 500 x 2,520 panel is a few milliseconds. Assets may have missing values (different
listing dates); each asset then uses the dates it has, as a per-asset regression would.
Both benchmark and assets are centred on their panel means first so that the sums below do not
lose digits to cancellation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, InsufficientDataError
from .align import on_dates_of, paired_arrays, whole_number


#: A benchmark whose sum of squared deviations is below this share of its (centred) sum of
#: squares is constant to rounding: its beta is undefined (NaN), not a ratio of noise.
_FLAT = 1e-12


def _panel(
    asset_returns: Any, benchmark_returns: Any
) -> tuple[np.ndarray, np.ndarray, pd.Index | None, list[str]]:
    """(T, N) asset array, (T,) benchmark array, shared index, asset names."""
    asset_returns, benchmark_returns = on_dates_of(
        asset_returns, benchmark_returns, what=("asset", "benchmark"))
    if isinstance(asset_returns, pd.Series):
        asset_returns = asset_returns.to_frame()
    if isinstance(benchmark_returns, pd.DataFrame):
        if benchmark_returns.shape[1] != 1:
            raise InputError("one benchmark here; use ols() for several")
        benchmark_returns = benchmark_returns.iloc[:, 0]
    y = np.asarray(asset_returns, dtype=float)
    x = np.asarray(benchmark_returns, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim != 1 or x.shape[0] != y.shape[0]:
        raise InputError(
            f"benchmark has {x.shape[0] if x.ndim else 0} returns but assets have {y.shape[0]}"
        )
    index = asset_returns.index if isinstance(asset_returns, pd.DataFrame) else None
    names = (
        [str(c) for c in asset_returns.columns]
        if isinstance(asset_returns, pd.DataFrame)
        else [f"asset{i + 1}" for i in range(y.shape[1])]
    )
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
            dirty = np.flatnonzero(~(np.isfinite(lin[0]) & np.isfinite(lin[1])
                                     & np.isfinite(squares)))
            if dirty.size:
                part = block[:, dirty]  # a copy
                unset = np.flatnonzero(np.isnan(shift[dirty]))
                if unset.size:  # listed in this block, or not yet: the first valid value
                    has = ~np.isnan(part[:, unset])
                    first = np.argmax(has, axis=0)
                    found = has[first, np.arange(unset.size)]
                    shift[dirty[unset[found]]] = part[first[found], unset[found]]
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
    for j0 in range(0, k, nb):
        cols = slice(j0, min(j0 + nb, k))
        block = y[:, cols]
        total = block.sum(axis=0)
        if t and np.isfinite(total).all():  # no gap: every asset has every date
            shift = block[0].copy()
            yc = block - shift
            n[cols], sx[cols], sxx[cols] = t, tail_x[0], tail_xx[0]
        else:
            # column-major in cache: each asset's dates contiguous for the reductions below
            # (a C-ordered panel's block is otherwise read row-strided by every pass)
            block = np.asfortranarray(block)
            missing = np.isnan(block)
            first = np.argmin(missing, axis=0)  # first valid date (0 when there is none)
            shift = block[first, np.arange(block.shape[1])]
            shift[np.isnan(shift)] = 0.0
            yc = block - shift
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


def _masked_mean(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column means over ``mask`` (0 where a column has no valid value), without warnings."""
    count = mask.sum(axis=0)
    total = np.where(mask, a, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _window_sums(a: np.ndarray, window: int) -> np.ndarray:
    """Sum over the trailing ``window`` rows, NaN for the first ``window - 1`` rows."""
    c = np.cumsum(a, axis=0)
    out = np.full(a.shape, np.nan)
    out[window - 1] = c[window - 1]
    out[window:] = c[window:] - c[:-window]
    return out


#: Bytes of working buffer per block of assets: a few MiB stays in the L2/L3 caches while a
#: block of dates is centred, multiplied, accumulated and turned into betas.
_BLOCK_BYTES = 6 * 2**20


def _asset_block(n_assets: int, rows: int, per_asset: int) -> int:
    """Assets per block so that ``rows x per_asset`` floats per asset fit in the buffer."""
    return max(32, min(n_assets, _BLOCK_BYTES // (8 * per_asset * rows)))


def _accumulate(buf: np.ndarray, first: int, stop: int) -> None:
    """Running sums down the rows ``first..stop-1`` of ``buf``, continuing row ``first - 1``.

    A wide buffer is accumulated a row (every asset of the block) at a time, which numpy
    vectorises across the row; ``cumsum`` down the columns of a C-ordered array is a strided
    chain of scalar additions, the faster of the two only for a few columns.
    """
    if buf.shape[1] < 96:
        np.cumsum(buf[first - 1:stop], axis=0, out=buf[first - 1:stop])
        return
    add = np.add
    for i in range(first, stop):
        add(buf[i - 1], buf[i], out=buf[i])


def _rolling_beta_kernel(y: np.ndarray, x: np.ndarray, window: int) -> np.ndarray:
    """Trailing-window betas of every column of ``y`` on ``x``, NaN where a window has a gap.

    One pass over the panel in blocks of assets and dates. The running sums of ``y`` and
    ``x * y`` of a block of assets live in a ring of rows (a date's row at ``date % rows``)
    long enough to hold a chunk of dates and the ``window`` dates before it, so a window's
    sums are the difference of two rows of the ring and nothing is copied between chunks.
    A chunk is summed as it is (no masks); an asset whose sums come out not finite had a
    missing value in it, and only those assets' sums are redone with the gap set to zero.
    A window is NaN while it holds an asset's last missing date (one number per asset
    carried across chunks) or a benchmark gap, or when the benchmark is flat. Works in any
    memory order of ``y``; extra memory is the output and a few MiB of ring.
    """
    t, n = y.shape
    w = window
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
    with np.errstate(invalid="ignore"):
        # a flat benchmark window (vxx is rounding noise) or one with a gap has no beta
        x_ok = np.concatenate((np.zeros(w - 1, bool), cgap[w:] == cgap[:-w])) & (
            vxx > _FLAT * sxx
        )
    out = np.empty((t, n))
    chunk = max(w, 256)
    ring = chunk * -(-(w + chunk) // chunk)  # a multiple of chunk: a chunk never wraps
    nb = _asset_block(n, ring, 2)
    dates = np.arange(t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j0 in range(0, n, nb):
            j1 = min(j0 + nb, n)
            m = j1 - j0
            buf = np.empty((ring, 2 * m))
            zero = np.zeros((1, 2 * m))  # the running sums before the first date
            diff = np.empty((chunk, 2 * m))
            last_gap = np.full(m, -w, dtype=np.int64)  # each asset's last missing date
            for a in range(0, t, chunk):
                b = min(a + chunk, t)
                r = b - a
                p = a % ring
                rows = buf[p:p + r]
                before = buf[(a - 1) % ring] if a else zero[0]
                block = y[a:b, j0:j1]
                np.copyto(rows[:, :m], block)
                np.multiply(block, xc[a:b, None], out=rows[:, m:])
                np.add(before, rows[0], out=rows[0])
                _accumulate(rows, 1, r)
                ends = rows[r - 1]
                dirty = np.flatnonzero(~(np.isfinite(ends[:m]) & np.isfinite(ends[m:])))
                gap_rows = None
                if dirty.size:
                    part = block[:, dirty]  # a copy
                    missing = np.isnan(part)
                    idle = missing.all(axis=0)
                    if idle.any():  # nothing in the chunk (not listed yet): sums unchanged
                        gone = dirty[idle]
                        rows[:, gone] = before[gone]
                        rows[:, gone + m] = before[gone + m]
                        last_gap[gone] = b - 1
                        busy = ~idle
                        dirty, part, missing = dirty[busy], part[:, busy], missing[:, busy]
                if dirty.size:
                    both = np.concatenate((dirty, dirty + m))
                    np.copyto(part, 0.0, where=missing)
                    redo = np.empty((r + 1, both.size))
                    redo[0] = before[both]
                    np.copyto(redo[1:, :dirty.size], part)
                    np.multiply(part, xc[a:b, None], out=redo[1:, dirty.size:])
                    _accumulate(redo, 1, r + 1)
                    rows[:, both] = redo[1:]
                    seen = np.where(missing, dates[a:b, None], -w)
                    np.maximum.accumulate(seen, axis=0, out=seen)
                    np.maximum(seen, last_gap[dirty], out=seen)
                    last_gap[dirty] = seen[-1]
                    gap_rows = seen
                lo = max(a, w - 1)
                if lo < b:
                    for u0, u1, then in _ring_runs(lo, b, w, ring):
                        now = buf[p + u0 - a:p + u1 - a]
                        d = diff[:u1 - u0]
                        if then < 0:
                            np.subtract(now, zero, out=d)
                        else:
                            np.subtract(now, buf[then:then + u1 - u0], out=d)
                        o = out[u0:u1, j0:j1]
                        sy = d[:, :m]
                        sy *= mean_x[u0:u1, None]
                        np.subtract(d[:, m:], sy, out=o)  # co-moment sums
                        o /= vxx[u0:u1, None]
                o = out[a:b, j0:j1]
                if lo > a:
                    o[:lo - a] = np.nan
                ok = x_ok[a:b]
                if not ok.all():
                    o[~ok] = np.nan
                # windows still holding an asset's last missing date
                recent = np.flatnonzero(last_gap > a - w)
                if gap_rows is not None:
                    recent = np.setdiff1d(recent, dirty, assume_unique=True)
                    sub = o[:, dirty]
                    sub[gap_rows > dates[a:b, None] - w] = np.nan
                    o[:, dirty] = sub
                if recent.size:
                    sub = o[:, recent]
                    sub[dates[a:b, None] < last_gap[recent] + w] = np.nan
                    o[:, recent] = sub
    return out


def _ring_runs(lo: int, hi: int, w: int, ring: int) -> list[tuple[int, int, int]]:
    """Dates ``lo..hi-1`` split where the ring rows of their dates ``- w`` wrap: ``(first,
    stop, ring row of first - w)``, ``-1`` for the date before the first (zero sums)."""
    runs = []
    u = lo
    while u < hi:
        s = u - w
        if s < 0:  # only date w - 1: its window starts at the first date
            runs.append((u, u + 1, -1))
            u += 1
            continue
        q = s % ring
        stop = min(hi, u + ring - q)
        runs.append((u, stop, q))
        u = stop
    return runs


def check_rolling_window(window: int, t: int, k: int = 1) -> None:
    """Refuse a rolling window too short for ``k`` benchmarks (at least ``k + 2`` periods,
    and 3) or longer than the ``t`` observations.

    Raises
    ------
    InputError, InsufficientDataError
    """
    if window < max(k + 2, 3):
        raise InputError(f"rolling window must be at least {max(k + 2, 3)} periods, "
                         f"got {window}")
    if t < window:
        raise InsufficientDataError(
            f"too few observations for a {window}-period rolling beta: {t}"
        )


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
            w_m = np.empty((chunk, m))
            sx_m = np.empty((chunk, m))
            tmp = np.empty((chunk, m))
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
                _accumulate(buf, 1, r + 1)
                dirty = np.flatnonzero(~(np.isfinite(rows[-1, :m]) & np.isfinite(rows[-1, m:])))
                is_clean = np.ones(m, bool)
                is_clean[dirty] = False
                clean = np.flatnonzero(is_clean)
                o = out[a:b, j0:j1]
                carried = state[:3, clean] if dirty.size else state[:3]
                if not clean.size:
                    pass  # every asset of the block is summed again below
                elif (carried == carried[:, :1]).all():
                    # every such asset carries the same benchmark sums: one column of them
                    wr = carried[0, 0] + g0
                    sxr = carried[1, 0] + g1
                    np.multiply(sxy, wr[:, None], out=o)
                    np.multiply(sy, sxr[:, None], out=tmp[:r])
                    o -= tmp[:r]
                    var = wr * (carried[2, 0] + g2) - sxr * sxr
                    o /= var[:, None]
                    if not var.min() > 0:
                        o[~(var > 0)] = np.nan
                else:
                    wm, sxm, v = w_m[:r], sx_m[:r], tmp[:r]
                    np.add(state[0], g0[:, None], out=wm)
                    np.add(state[1], g1[:, None], out=sxm)
                    np.multiply(wm, sxy, out=o)
                    np.multiply(sxm, sy, out=v)
                    o -= v
                    # (P_W + G0)(P_Sxx + G2) - (P_Sx + G1)^2, P an asset's carried sums
                    # and G the chunk's common ones, as one product of (r x 5) by (5 x m)
                    dates_part = np.stack((g0 * g2 - g1 * g1, g2, g0, g1, np.ones(r)), axis=1)
                    assets_part = np.stack((np.ones(m), state[0], state[2], -2.0 * state[1],
                                            state[0] * state[2] - state[1] * state[1]))
                    np.matmul(dates_part, assets_part, out=v)
                    o /= v
                    if not v.min() > 0:
                        np.copyto(o, np.nan, where=~(v > 0))
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
                    part = block[:, dirty]  # a copy
                    # not listed yet: no valid date before nor in the chunk, sums stay zero
                    idle = (state[5, dirty] == 0) & np.isnan(part).all(axis=0)
                    if idle.any():
                        o[:, dirty[idle]] = np.nan
                        busy = ~idle
                        dirty, part = dirty[busy], part[:, busy]
                if dirty.size:
                    sub_state = state[:, dirty]
                    o[:, dirty] = _ewma_masked_chunk(
                        part, xc[a:b], xv[a:b], up, down, sub_state, min_periods)
                    state[:, dirty] = sub_state
    return out


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


def _solve_small(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solutions of many small systems ``a[i] x = b[i]`` and the determinants of ``a``.

    Gaussian elimination with partial pivoting, each step one array operation across every
    system (numpy's batched solve is a LAPACK call per system: microseconds each for 3 x 3).
    A singular system gives non-finite numbers, without warnings.
    """
    a = a.copy()
    b = b.copy()
    m, k, _ = a.shape
    det = np.ones(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in range(k):
            p = c + np.argmax(np.abs(a[:, c:, c]), axis=1)
            swap = np.flatnonzero(p != c)
            if swap.size:
                pc = p[swap]
                a[swap, c], a[swap, pc] = a[swap, pc], a[swap, c].copy()
                b[swap, c], b[swap, pc] = b[swap, pc], b[swap, c].copy()
                det[swap] = -det[swap]
            pivot = a[:, c, c]
            det *= pivot
            f = a[:, c + 1:, c] / pivot[:, None]
            a[:, c + 1:, c:] -= f[:, :, None] * a[:, None, c, c:]
            b[:, c + 1:] -= f * b[:, c, None]
        x = np.empty_like(b)
        for c in range(k - 1, -1, -1):
            x[:, c] = (b[:, c] - np.einsum("ij,ij->i", a[:, c, c + 1:], x[:, c + 1:])) / a[:, c, c]
    return x, det


def rolling_ols_betas(
    asset_returns: pd.Series, benchmark_returns: pd.DataFrame, window: int
) -> pd.DataFrame:
    """Rolling multiple-regression betas of one asset on several benchmarks.

    Window sums of the centred cross-products, then one batched ``k x k`` solve per window.
    Rows with a missing value anywhere make their windows NaN, as statsmodels ``RollingOLS``.
    """
    window = whole_number(window, "window")
    asset_returns, benchmark_returns, y, x = paired_arrays(asset_returns, benchmark_returns)
    if y.shape[0] != x.shape[0]:  # plain arrays are read by position: same length or nothing
        raise InputError(f"benchmark has {x.shape[0]} returns but assets have {y.shape[0]}")
    t, k = x.shape
    check_rolling_window(window, t, k)
    valid = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    xc = np.where(valid[:, None], x - _masked_mean(x, valid[:, None] & ~np.isnan(x)), 0.0)
    yc = np.where(valid, y - float(_masked_mean(y, valid)), 0.0)
    n = _window_sums(valid.astype(float), window)
    sx = _window_sums(xc, window)
    sy = _window_sums(yc, window)
    sxx = _window_sums((xc[:, :, None] * xc[:, None, :]).reshape(t, k * k), window)
    sxy = _window_sums(xc * yc[:, None], window)
    ok = n > window - 0.5  # a full window: NaN sums before it, and NaN betas
    # every row at once (a row's numbers do not depend on the others): no gathers
    with np.errstate(invalid="ignore"):
        a = sxx.reshape(t, k, k) - sx[:, :, None] * sx[:, None, :] / window
        b = sxy - sx * (sy / window)[:, None]
    out, det = _solve_small(a, b)
    # A window is kept when its condition number is below 1e12. The moments are positive
    # semi-definite, so cond <= trace^k / det: windows well inside that bound need no
    # singular values (numpy's cond is one LAPACK call a window); the others do.
    trace = np.trace(a, axis1=1, axis2=2)
    with np.errstate(over="ignore", invalid="ignore"):
        well = (det > 0) & (trace ** k < 1e11 * det)
    doubt = np.flatnonzero(ok & ~well)
    if doubt.size:
        out[doubt[~(np.linalg.cond(a[doubt]) < 1e12)]] = np.nan
    out[~ok] = np.nan
    columns = (
        [str(c) for c in benchmark_returns.columns]
        if isinstance(benchmark_returns, pd.DataFrame)
        else [f"x{i + 1}" for i in range(k)]
    )
    index = asset_returns.index if isinstance(asset_returns, pd.Series) else None
    # copy=False: the array is ours alone; pandas 3 would otherwise copy it.
    return pd.DataFrame(out, index=index, columns=columns, copy=False)
