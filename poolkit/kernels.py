"""The compiled loops behind ``method="numba"`` (importing this module imports numba; :mod:`poolkit.compiled`
imports it when the numba engine is first used).

Every kernel sees its data as 3-D pooling: channels-first ``(P, D, H, W)`` (``P = N*C``
planes; 1-D and 2-D data get singleton ``D``/``H``) or channels-last ``(N, D, H, W, C)``.
The geometry comes precomputed from :mod:`poolkit.compiled`, per dimension:

- ``tlo[o], thi[o]``: the taps ``t`` of window ``o`` that fall inside the input
  (``0 <= start + o*stride + t*dilation < size``), a range because taps are in order;
- for the innermost (W) dimension of channels-first data, per tap ``t``: ``off[t] =
  start + t*dilation`` and the outputs ``jlo[t] <= j < jhi[t]`` whose tap ``t`` is
  inside the input, so that the inner loop over ``j`` has no bounds test at all;
- for the backward pass, per input position ``i``: ``olo[i] <= o < ohi[i]``, the
  outputs whose windows can contain ``i``.

Max/min follow :mod:`poolkit.reduction`: a tap replaces the best when ``v > best`` (``<``
for min) or ``v`` is NaN; with indices, the first in-bounds tap is taken whatever its
value (the index row starts at -1). The updates have no branch, so that LLVM turns the
inner loop into SIMD code: a select (``v if c else b``) along channels-first rows, a blend
of the bits along channels-last channels (each the faster of the two there, measured). The
register path for whole windows (values only) keeps two chains instead, one compare each: the
first best number (``v > b``: a SIMD max instruction) and the last NaN, the NaN winning at the
end; the same bits, at 0.39 instead of 0.64 ns per output on one core (3x3 windows, 64
channels, in cache; measured).

Kernels are made by small factories (``is_max``, ``with_idx``, ``average`` are closure
constants, so each variant is compiled with its branches folded away) and cached on
disk (``cache=True``): numba keys the cache by the closure's values as well as the code.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .compiled import WHOLE

OPTS = dict(parallel=True, cache=True, nogil=True)
# Arrays arrive flattened (1-D, C order) and are indexed with unsigned integers: numba then
# skips its negative-index (wraparound) test, and the inner loops are plain strided loads
# that LLVM vectorizes. ``shp`` holds the shapes.
U = np.uint64


# ---------------------------------------------------------------- forward: max / min
def _make_extreme_cf(is_max, with_idx):
    @njit(**OPTS)
    def kernel(x, out, idx, fill, shp, tlo_d, thi_d, tlo_h, thi_h, geo, off_w, jlo_w, jhi_w, base_mul, chunks):
        # x (P, D, H, W); out, idx (P, OD, OH, OW); geo = [sd, bd, dd, sh, bh, dh, sw]
        P, D, H, W, OD, OH, OW = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6]
        sd, bd, dd, sh, bh, dh, sw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
        KW = off_w.shape[0]
        plane = D * H * W
        rows = P * OD * OH
        for t in prange(chunks):                        # a block of output rows per step
            # the row being built lives in the thread's own arrays: LLVM knows they alias
            # nothing, so it vectorizes the inner loop without run-time overlap checks
            best = np.empty(OW, x.dtype)
            pick = np.empty(OW if with_idx else 1, np.int64)
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                p = r // (OD * OH)
                od = (r // OH) % OD
                oh = r % OH
                for j in range(OW):
                    best[j] = fill
                if with_idx:
                    for j in range(OW):
                        pick[j] = -1
                for td in range(tlo_d[od], thi_d[od]):     # in-bounds taps only
                    i_d = od * sd + bd + td * dd
                    for th in range(tlo_h[oh], thi_h[oh]):
                        i_h = oh * sh + bh + th * dh
                        xb0 = (p * D + i_d) * H * W + i_h * W
                        at0 = p * plane * base_mul + (i_d * H + i_h) * W
                        for tw in range(KW):                # taps outside, outputs inside
                            lo, hi = jlo_w[tw], jhi_w[tw]
                            first = lo * sw + off_w[tw]
                            xb, at = xb0 + first, at0 + first
                            for j in range(hi - lo):        # no bounds test: a SIMD loop
                                v = x[U(xb + j * sw)]
                                b = best[U(lo + j)]
                                if is_max:
                                    c = (v > b) | (v != v)
                                else:
                                    c = (v < b) | (v != v)
                                if with_idx:
                                    c = c | (pick[U(lo + j)] < 0)
                                    pick[U(lo + j)] = at + j * sw if c else pick[U(lo + j)]
                                # a select (SIMD compare and blend): along a row read with a stride it ran
                                # 4x faster than the blend of bits the channels-last kernel uses (measured)
                                best[U(lo + j)] = v if c else b
                ob0 = r * OW
                for j in range(OW):
                    out[U(ob0 + j)] = best[j]
                if with_idx:
                    for j in range(OW):
                        idx[U(ob0 + j)] = pick[j]
    return kernel


def _make_extreme_cl(is_max, with_idx, K=0):
    # K > 0: windows of K x K taps (dilation 1, one tap in D) that lie wholly inside the input
    # take the register path: each channel's best in a register, the taps unrolled (K is a
    # constant of the compiled code), the loop over channels in SIMD; other windows, the loop below
    @njit(**OPTS)
    def kernel(x, xi, one, out, idx, fill, shp, tlo_d, thi_d, tlo_h, thi_h, tlo_w, thi_w, geo, positions, chunks):
        # xi: x's bits as signed integers of its width (x itself for signed ints), one: 1 of that type
        # x (N, D, H, W, C); out, idx (N, OD, OH, OW, C); geo = [sd, bd, dd, sh, bh, dh, sw, bw, dw]
        N, D, H, W, OD, OH, OW, C = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6], shp[7]
        sd, bd, dd, sh, bh, dh, sw, bw, dw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
        plane = D * H * W
        # stored index: flat * cm + nbase + c * cc (positions: ((n*plane + flat)*C + c); indices: flat)
        cm = C if positions else 1
        cc = 1 if positions else 0
        rows = N * OD * OH
        for t in prange(chunks):
            best = np.empty(C, x.dtype)
            bits = best.view(xi.dtype)
            pick = np.empty(C if with_idx else 1, np.int64)
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                n = r // (OD * OH)
                od = (r // OH) % OD
                oh = r % OH
                nbase = n * plane * C if positions else 0
                whole_h = K > 0 and tlo_h[oh] == 0 and thi_h[oh] == K and thi_d[od] - tlo_d[od] == 1
                for ow in range(OW):
                    if whole_h and tlo_w[ow] == 0 and thi_w[ow] == K:
                        xb = (((n * D + od * sd + bd + tlo_d[od] * dd) * H + oh * sh + bh) * W + ow * sw + bw) * C
                        ob = (r * OW + ow) * C
                        for c in range(C):
                            # two chains, each one compare per tap: b the first best of the numbers
                            # (a max/min instruction), nan the last NaN; the same bits as the rule
                            b = fill
                            nan = fill
                            for th in range(K):
                                for tw in range(K):
                                    v = x[U(xb + (th * W + tw) * C + c)]
                                    if is_max:
                                        b = v if v > b else b
                                    else:
                                        b = v if v < b else b
                                    nan = v if v != v else nan
                            out[U(ob + c)] = nan if nan != nan else b
                        continue
                    for c in range(C):
                        best[c] = fill
                    if with_idx:
                        for c in range(C):
                            pick[c] = -1
                    for td in range(tlo_d[od], thi_d[od]):
                        i_d = od * sd + bd + td * dd
                        for th in range(tlo_h[oh], thi_h[oh]):
                            i_h = oh * sh + bh + th * dh
                            for tw in range(tlo_w[ow], thi_w[ow]):
                                i_w = ow * sw + bw + tw * dw
                                xb = (((n * D + i_d) * H + i_h) * W + i_w) * C
                                flat = ((i_d * H + i_h) * W + i_w) * cm + nbase
                                for c in range(C):          # channels: contiguous, a SIMD loop
                                    v = x[U(xb + c)]
                                    b = best[c]
                                    if is_max:
                                        k = (v > b) | (v != v)
                                    else:
                                        k = (v < b) | (v != v)
                                    if with_idx:
                                        k = k | (pick[c] < 0)
                                        km = -(1 if k else 0)
                                        pick[c] = ((flat + c * cc) & km) | (pick[c] & ~km)
                                    # best = k ? v : b as a blend of bits (all-ones or zero mask): along
                                    # channels this ran 2x faster than the select (measured, numba 0.68)
                                    m = -(one if k else one - one)
                                    bits[c] = (xi[U(xb + c)] & m) | (bits[c] & ~m)
                    ob = (r * OW + ow) * C
                    for c in range(C):
                        out[U(ob + c)] = best[c]
                    if with_idx:
                        for c in range(C):
                            idx[U(ob + c)] = pick[c]
    return kernel


EXTREME_CF = {(m, i): _make_extreme_cf(m, i) for m in (True, False) for i in (True, False)}
EXTREME_CL = {(m, i): _make_extreme_cl(m, i) for m in (True, False) for i in (True, False)}
EXTREME_CL_WHOLE = {(m, k): _make_extreme_cl(m, False, k) for m in (True, False) for k in WHOLE}


# ---------------------------------------------------------------- forward: sums and averages
def _make_average_cf(average):
    @njit(**OPTS)
    def kernel(x, out, shp, tlo_d, thi_d, tlo_h, thi_h, geo, off_w, jlo_w, jhi_w, div, chunks):
        # sums in out's dtype (the accumulator); if average, divided by div[(od*OH + oh)*OW + ow]
        P, D, H, W, OD, OH, OW = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6]
        sd, bd, dd, sh, bh, dh, sw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
        KW = off_w.shape[0]
        rows = P * OD * OH
        for t in prange(chunks):                        # a scratch row per chunk of rows
            acc = np.empty(OW, out.dtype)
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                p = r // (OD * OH)
                od = (r // OH) % OD
                oh = r % OH
                for j in range(OW):
                    acc[j] = 0
                for td in range(tlo_d[od], thi_d[od]):
                    i_d = od * sd + bd + td * dd
                    for th in range(tlo_h[oh], thi_h[oh]):
                        i_h = oh * sh + bh + th * dh
                        xb0 = (p * D + i_d) * H * W + i_h * W
                        for tw in range(KW):
                            lo, hi = jlo_w[tw], jhi_w[tw]
                            xb = xb0 + lo * sw + off_w[tw]
                            for j in range(hi - lo):
                                acc[U(lo + j)] += x[U(xb + j * sw)]
                ob = r * OW
                if average:
                    db = (od * OH + oh) * OW
                    for j in range(OW):
                        out[U(ob + j)] = acc[j] / div[U(db + j)]
                else:
                    for j in range(OW):
                        out[U(ob + j)] = acc[j]
    return kernel


def _make_average_cl(average, K=0):
    # K > 0: the register path for whole K x K windows, as in _make_extreme_cl
    @njit(**OPTS)
    def kernel(x, out, shp, tlo_d, thi_d, tlo_h, thi_h, tlo_w, thi_w, geo, div, chunks):
        N, D, H, W, OD, OH, OW, C = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6], shp[7]
        sd, bd, dd, sh, bh, dh, sw, bw, dw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
        zero = np.zeros(1, out.dtype)[0]                # 0 in the accumulator's type
        rows = N * OD * OH
        for t in prange(chunks):
            acc = np.empty(C, out.dtype)
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                n = r // (OD * OH)
                od = (r // OH) % OD
                oh = r % OH
                whole_h = K > 0 and tlo_h[oh] == 0 and thi_h[oh] == K and thi_d[od] - tlo_d[od] == 1
                for ow in range(OW):
                    if whole_h and tlo_w[ow] == 0 and thi_w[ow] == K:
                        xb = (((n * D + od * sd + bd + tlo_d[od] * dd) * H + oh * sh + bh) * W + ow * sw + bw) * C
                        ob = (r * OW + ow) * C
                        dv = div[U((od * OH + oh) * OW + ow) if average else U(0)]
                        for c in range(C):
                            a = zero
                            for th in range(K):
                                for tw in range(K):
                                    a += x[U(xb + (th * W + tw) * C + c)]
                            if average:
                                out[U(ob + c)] = a / dv
                            else:
                                out[U(ob + c)] = a
                        continue
                    for c in range(C):
                        acc[c] = 0
                    for td in range(tlo_d[od], thi_d[od]):
                        i_d = od * sd + bd + td * dd
                        for th in range(tlo_h[oh], thi_h[oh]):
                            i_h = oh * sh + bh + th * dh
                            for tw in range(tlo_w[ow], thi_w[ow]):
                                xb = (((n * D + i_d) * H + i_h) * W + ow * sw + bw + tw * dw) * C
                                for c in range(C):
                                    acc[c] += x[U(xb + c)]
                    ob = (r * OW + ow) * C
                    if average:
                        dv = div[U((od * OH + oh) * OW + ow)]
                        for c in range(C):
                            out[U(ob + c)] = acc[c] / dv
                    else:
                        for c in range(C):
                            out[U(ob + c)] = acc[c]
    return kernel


AVERAGE_CF = {a: _make_average_cf(a) for a in (True, False)}
AVERAGE_CL = {a: _make_average_cl(a) for a in (True, False)}
AVERAGE_CL_WHOLE = {(a, k): _make_average_cl(a, k) for a in (True, False) for k in WHOLE}


# ---------------------------------------------------------------- backward of max/min: scatter by bands
# Each thread owns a band of rows of dx (whole planes, or, with fewer planes than threads need,
# a plane's rows split in bands) and walks, in increasing order, the outputs whose windows reach
# into its band, adding each gradient where its pick points if that is inside the band. No two
# threads write the same element, so there are no atomics, and each element's sum runs in
# output order, PyTorch's. A pick outside x (or -1) is never inside a band: nothing is written.
def _make_scatter(last):
    @njit(**OPTS)
    def kernel(g, picks, dx, shp, olo_h, ohi_h, bands, positions, chunks):
        # channels-first: g, picks (P, OD, OH, OW), dx (P, D, H, W), C = 1
        # channels-last:  g, picks (N, OD, OH, OW, C), dx (N, D, H, W, C)
        # bands: how many bands of rows each plane (sample) is cut into (1 if D > 1)
        # picks: positions in dx (positions) or flat indices in each plane (times C, plus c)
        P, D, H, W, OD, OH, OW = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6]
        C = shp[7] if last else 1
        plane = D * H * W * C                           # a plane's (sample's) elements
        out_plane = OD * OH * OW * C
        units = P * bands
        for t in prange(chunks):
            for u in range(t * units // chunks, (t + 1) * units // chunks):
                p = u // bands
                b = u % bands
                h0 = b * H // bands                      # this band: rows [h0, h1) of the plane
                h1 = (b + 1) * H // bands
                lo = p * plane + h0 * W * C              # its elements in dx (D == 1 when bands > 1)
                hi = p * plane + h1 * W * C if bands > 1 else (p + 1) * plane
                for i in range(lo, hi):
                    dx[U(i)] = 0
                if bands > 1:                            # the output rows whose windows reach the band
                    o0 = p * out_plane + olo_h[h0] * OW * C
                    o1 = p * out_plane + ohi_h[h1 - 1] * OW * C
                else:
                    o0, o1 = p * out_plane, (p + 1) * out_plane
                base = 0 if positions else p * plane
                for o in range(o0, o1):
                    if last and not positions:
                        at = base + picks[U(o)] * C + o % C
                    else:
                        at = base + picks[U(o)]
                    if at >= lo and at < hi:
                        dx[U(at)] += g[U(o)]
    return kernel


SCATTER = {last: _make_scatter(last) for last in (True, False)}


# ---------------------------------------------------------------- backward of averages, by gather
# Each thread owns whole rows of dx: for each input element it pulls, in increasing output
# order, the gradients of the windows that contain it. No two threads write the same element,
# so there are no atomics, and each element's sum runs in PyTorch's (scatter) order. With
# ``divided``, each gradient is divided by its window's divisor as it is added, as PyTorch
# does (the same bits as dividing first, without a pass over the gradient to do it).
def _make_gather_cf(divided):
    @njit(**OPTS)
    def kernel(g, dx, div, shp, olo_d, ohi_d, olo_h, ohi_h, geo, off_w, jlo_w, jhi_w, zero, chunks):
        # g (P, OD, OH, OW); dx (P, D, H, W); div (OD*OH*OW,); geo = [sd, bd, dd, sh, bh, dh, sw]
        P, D, H, W, OD, OH, OW = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6]
        sd, bd, dd, sh, bh, dh, sw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
        KW = off_w.shape[0]
        rows = P * D * H
        for t in prange(chunks):                        # a band of rows of dx per step: this thread's
            row = np.empty(W, dx.dtype)                 # the row being summed, in the thread's own array
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                p = r // (D * H)
                i_d = (r // H) % D
                i_h = r % H
                for i in range(W):
                    row[i] = zero
                for od in range(olo_d[i_d], ohi_d[i_d]):    # outputs whose windows hold this row, in order
                    if dd > 1 and (i_d - od * sd - bd) % dd != 0:
                        continue
                    for oh in range(olo_h[i_h], ohi_h[i_h]):
                        if dh > 1 and (i_h - oh * sh - bh) % dh != 0:
                            continue
                        db = (od * OH + oh) * OW
                        gb0 = ((p * OD + od) * OH + oh) * OW
                        for tw in range(KW - 1, -1, -1):        # later taps belong to earlier outputs
                            lo, hi = jlo_w[tw], jhi_w[tw]
                            first = lo * sw + off_w[tw]
                            gb = gb0 + lo
                            if divided:
                                for j in range(hi - lo):
                                    row[U(first + j * sw)] += g[U(gb + j)] / div[U(db + lo + j)]
                            else:
                                for j in range(hi - lo):
                                    row[U(first + j * sw)] += g[U(gb + j)]
                rb0 = r * W
                for i in range(W):
                    dx[U(rb0 + i)] = row[i]
    return kernel


def _make_gather_cl(divided):
    @njit(**OPTS)
    def kernel(g, dx, div, shp, olo_d, ohi_d, olo_h, ohi_h, olo_w, ohi_w, geo, zero, chunks):
        # g (N, OD, OH, OW, C); dx (N, D, H, W, C); div (OD*OH*OW,); geo = [sd, bd, dd, sh, bh, dh, sw, bw, dw]
        N, D, H, W, OD, OH, OW, C = shp[0], shp[1], shp[2], shp[3], shp[4], shp[5], shp[6], shp[7]
        sd, bd, dd, sh, bh, dh, sw, bw, dw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
        rows = N * D * H
        for t in prange(chunks):
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                n = r // (D * H)
                i_d = (r // H) % D
                i_h = r % H
                for i_w in range(W):
                    # the C channels of dx at (n, i_d, i_h, i_w): the first window's gradient
                    # written (0 + g, PyTorch's bits), the others' added, in output order
                    rb = (r * W + i_w) * C
                    first = True
                    for od in range(olo_d[i_d], ohi_d[i_d]):
                        if dd > 1 and (i_d - od * sd - bd) % dd != 0:
                            continue
                        for oh in range(olo_h[i_h], ohi_h[i_h]):
                            if dh > 1 and (i_h - oh * sh - bh) % dh != 0:
                                continue
                            for ow in range(olo_w[i_w], ohi_w[i_w]):
                                if dw > 1 and (i_w - ow * sw - bw) % dw != 0:
                                    continue
                                gb = (((n * OD + od) * OH + oh) * OW + ow) * C
                                dv = div[U((od * OH + oh) * OW + ow)] if divided else div[U(0)]
                                if first:
                                    for c in range(C):
                                        dx[U(rb + c)] = zero + (g[U(gb + c)] / dv if divided else g[U(gb + c)])
                                    first = False
                                else:
                                    for c in range(C):
                                        dx[U(rb + c)] += g[U(gb + c)] / dv if divided else g[U(gb + c)]
                    if first:                                   # in no window
                        for c in range(C):
                            dx[U(rb + c)] = zero
    return kernel


GATHER_CF = {d: _make_gather_cf(d) for d in (True, False)}
GATHER_CL = {d: _make_gather_cl(d) for d in (True, False)}
