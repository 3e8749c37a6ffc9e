"""The compiled loops behind ``method="numba"`` (imported only by :mod:`poolkit.compiled`).

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
value (the index row starts at -1). The updates are written as selects (``a if c else
b``) so that LLVM turns the inner loop into SIMD code.

Kernels are made by small factories (``is_max``, ``with_idx``, ``integer`` are closure
constants, so each variant is compiled with its branches folded away) and cached on
disk (``cache=True``): numba keys the cache by the closure's values as well as the code.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

OPTS = dict(parallel=True, cache=True, nogil=True)


# ---------------------------------------------------------------- forward: max / min
def _make_extreme_cf(is_max, with_idx):
    @njit(**OPTS)
    def kernel(x, out, idx, fill, tlo_d, thi_d, tlo_h, thi_h, geo, off_w, jlo_w, jhi_w, base_mul):
        # x (P, D, H, W); out, idx (P, OD, OH, OW); geo = [sd, bd, dd, sh, bh, dh, sw]
        P, D, H, W = x.shape
        OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
        sd, bd, dd, sh, bh, dh, sw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
        KW = off_w.shape[0]
        plane = D * H * W
        for r in prange(P * OD * OH):
            p = r // (OD * OH)
            od = (r // OH) % OD
            oh = r % OH
            orow = out[p, od, oh]
            irow = idx[p, od, oh]
            for j in range(OW):
                orow[j] = fill
            if with_idx:
                for j in range(OW):
                    irow[j] = -1
            base_p = p * plane * base_mul
            for td in range(tlo_d[od], thi_d[od]):
                i_d = od * sd + bd + td * dd
                for th in range(tlo_h[oh], thi_h[oh]):
                    i_h = oh * sh + bh + th * dh
                    xrow = x[p, i_d, i_h]
                    rowbase = base_p + (i_d * H + i_h) * W
                    for tw in range(KW):
                        o = off_w[tw]
                        for j in range(jlo_w[tw], jhi_w[tw]):
                            iw = j * sw + o
                            v = xrow[iw]
                            b = orow[j]
                            if is_max:
                                c = (v > b) | (v != v)
                            else:
                                c = (v < b) | (v != v)
                            if with_idx:
                                c = c | (irow[j] < 0)
                                irow[j] = rowbase + iw if c else irow[j]
                            orow[j] = v if c else b
    return kernel


def _make_extreme_cl(is_max, with_idx):
    @njit(**OPTS)
    def kernel(x, out, idx, fill, tlo_d, thi_d, tlo_h, thi_h, tlo_w, thi_w, geo, positions):
        # x (N, D, H, W, C); out, idx (N, OD, OH, OW, C); geo = [sd, bd, dd, sh, bh, dh, sw, bw, dw]
        N, D, H, W, C = x.shape
        OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
        sd, bd, dd, sh, bh, dh, sw, bw, dw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
        plane = D * H * W
        # stored index: flat * cm + nbase + c * cc (positions: ((n*plane + flat)*C + c); indices: flat)
        cm = C if positions else 1
        cc = 1 if positions else 0
        for r in prange(N * OD * OH):
            n = r // (OD * OH)
            od = (r // OH) % OD
            oh = r % OH
            nbase = n * plane * C if positions else 0
            for ow in range(OW):
                orow = out[n, od, oh, ow]
                irow = idx[n, od, oh, ow]
                for c in range(C):
                    orow[c] = fill
                if with_idx:
                    for c in range(C):
                        irow[c] = -1
                for td in range(tlo_d[od], thi_d[od]):
                    i_d = od * sd + bd + td * dd
                    for th in range(tlo_h[oh], thi_h[oh]):
                        i_h = oh * sh + bh + th * dh
                        for tw in range(tlo_w[ow], thi_w[ow]):
                            i_w = ow * sw + bw + tw * dw
                            xrow = x[n, i_d, i_h, i_w]
                            flat = ((i_d * H + i_h) * W + i_w) * cm + nbase
                            for c in range(C):
                                v = xrow[c]
                                b = orow[c]
                                if is_max:
                                    k = (v > b) | (v != v)
                                else:
                                    k = (v < b) | (v != v)
                                if with_idx:
                                    k = k | (irow[c] < 0)
                                    irow[c] = flat + c * cc if k else irow[c]
                                orow[c] = v if k else b
    return kernel


EXTREME_CF = {(m, i): _make_extreme_cf(m, i) for m in (True, False) for i in (True, False)}
EXTREME_CL = {(m, i): _make_extreme_cl(m, i) for m in (True, False) for i in (True, False)}


# ---------------------------------------------------------------- forward: sums and averages
def _make_average_cf(integer, average):
    @njit(**OPTS)
    def kernel(x, out, tlo_d, thi_d, tlo_h, thi_h, geo, off_w, jlo_w, jhi_w, cnt_d, cnt_h, cnt_w, chunks):
        # sums in cnt_w's dtype (the accumulator), divided by cnt_d[od]*cnt_h[oh]*cnt_w[ow] if average
        P, D, H, W = x.shape
        OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
        sd, bd, dd, sh, bh, dh, sw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
        KW = off_w.shape[0]
        rows = P * OD * OH
        for t in prange(chunks):
            acc = np.empty(OW, cnt_w.dtype)
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
                        xrow = x[p, i_d, i_h]
                        for tw in range(KW):
                            o = off_w[tw]
                            for j in range(jlo_w[tw], jhi_w[tw]):
                                acc[j] += xrow[j * sw + o]
                orow = out[p, od, oh]
                if average:
                    dh_ = cnt_d[od] * cnt_h[oh]
                    for j in range(OW):
                        dv = dh_ * cnt_w[j]
                        if integer:
                            q = acc[j] // dv
                            q += (q < 0) & (q * dv != acc[j])
                            orow[j] = q
                        else:
                            orow[j] = acc[j] / dv
                else:
                    for j in range(OW):
                        orow[j] = acc[j]
    return kernel


def _make_average_cl(integer, average):
    @njit(**OPTS)
    def kernel(x, out, tlo_d, thi_d, tlo_h, thi_h, tlo_w, thi_w, geo, cnt_d, cnt_h, cnt_w, chunks):
        N, D, H, W, C = x.shape
        OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
        sd, bd, dd, sh, bh, dh, sw, bw, dw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
        rows = N * OD * OH
        for t in prange(chunks):
            acc = np.empty(C, cnt_w.dtype)
            for r in range(t * rows // chunks, (t + 1) * rows // chunks):
                n = r // (OD * OH)
                od = (r // OH) % OD
                oh = r % OH
                for ow in range(OW):
                    for c in range(C):
                        acc[c] = 0
                    for td in range(tlo_d[od], thi_d[od]):
                        i_d = od * sd + bd + td * dd
                        for th in range(tlo_h[oh], thi_h[oh]):
                            i_h = oh * sh + bh + th * dh
                            for tw in range(tlo_w[ow], thi_w[ow]):
                                xrow = x[n, i_d, i_h, ow * sw + bw + tw * dw]
                                for c in range(C):
                                    acc[c] += xrow[c]
                    orow = out[n, od, oh, ow]
                    if average:
                        dv = cnt_d[od] * cnt_h[oh] * cnt_w[ow]
                        for c in range(C):
                            if integer:
                                q = acc[c] // dv
                                q += (q < 0) & (q * dv != acc[c])
                                orow[c] = q
                            else:
                                orow[c] = acc[c] / dv
                    else:
                        for c in range(C):
                            orow[c] = acc[c]
    return kernel


AVERAGE_CF = {(i, a): _make_average_cf(i, a) for i in (True, False) for a in (True, False)}
AVERAGE_CL = {(i, a): _make_average_cl(i, a) for i in (True, False) for a in (True, False)}


# ---------------------------------------------------------------- backward, by gather
# Each thread owns whole rows of dx: for each input element it pulls, in increasing output
# order, the gradients of the windows that contain it. No two threads write the same element,
# so there are no atomics, and each element's sum runs in PyTorch's (scatter) order.
def _make_gather_cf(picked):
    @njit(**OPTS)
    def kernel(g, picks, dx, olo_d, ohi_d, olo_h, ohi_h, geo, off_w, jlo_w, jhi_w, cnt_d, cnt_h, cnt_w, zero,
               base_mul):
        # g, picks (P, OD, OH, OW); dx (P, D, H, W); geo = [sd, bd, dd, sh, bh, dh, sw]
        # picked: dx[i] += g[o] where picks[o] == the position of i; else dx[i] += g[o] / count[o]
        P, D, H, W = dx.shape
        sd, bd, dd, sh, bh, dh, sw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
        KW = off_w.shape[0]
        plane = D * H * W
        for r in prange(P * D * H):
            p = r // (D * H)
            i_d = (r // H) % D
            i_h = r % H
            row = dx[p, i_d, i_h]
            for i in range(W):
                row[i] = zero
            rowbase = p * plane * base_mul + (i_d * H + i_h) * W
            for od in range(olo_d[i_d], ohi_d[i_d]):
                if (i_d - od * sd - bd) % dd != 0:
                    continue
                for oh in range(olo_h[i_h], ohi_h[i_h]):
                    if (i_h - oh * sh - bh) % dh != 0:
                        continue
                    grow = g[p, od, oh]
                    prow = picks[p, od, oh]
                    dv = cnt_d[od] * cnt_h[oh]                # (ones when picked)
                    for tw in range(KW - 1, -1, -1):        # later taps belong to earlier outputs
                        o = off_w[tw]
                        for j in range(jlo_w[tw], jhi_w[tw]):
                            iw = j * sw + o
                            if picked:
                                row[iw] += grow[j] if prow[j] == rowbase + iw else zero
                            else:
                                row[iw] += grow[j] / (dv * cnt_w[j])
    return kernel


def _make_gather_cl(picked):
    @njit(**OPTS)
    def kernel(g, picks, dx, olo_d, ohi_d, olo_h, ohi_h, olo_w, ohi_w, geo, cnt_d, cnt_h, cnt_w, zero, positions):
        # g, picks (N, OD, OH, OW, C); dx (N, D, H, W, C); geo = [sd, bd, dd, sh, bh, dh, sw, bw, dw]
        N, D, H, W, C = dx.shape
        sd, bd, dd, sh, bh, dh, sw, bw, dw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
        plane = D * H * W
        cm = C if positions else 1
        cc = 1 if positions else 0
        for r in prange(N * D * H):
            n = r // (D * H)
            i_d = (r // H) % D
            i_h = r % H
            nbase = n * plane * C if positions else 0
            for i_w in range(W):
                row = dx[n, i_d, i_h, i_w]
                for c in range(C):
                    row[c] = zero
                target = ((i_d * H + i_h) * W + i_w) * cm + nbase
                for od in range(olo_d[i_d], ohi_d[i_d]):
                    if (i_d - od * sd - bd) % dd != 0:
                        continue
                    for oh in range(olo_h[i_h], ohi_h[i_h]):
                        if (i_h - oh * sh - bh) % dh != 0:
                            continue
                        for ow in range(olo_w[i_w], ohi_w[i_w]):
                            if (i_w - ow * sw - bw) % dw != 0:
                                continue
                            grow = g[n, od, oh, ow]
                            prow = picks[n, od, oh, ow]
                            if picked:
                                for c in range(C):
                                    row[c] += grow[c] if prow[c] == target + c * cc else zero
                            else:
                                dv = cnt_d[od] * cnt_h[oh] * cnt_w[ow]
                                for c in range(C):
                                    row[c] += grow[c] / dv
    return kernel


GATHER_CF = {p: _make_gather_cf(p) for p in (True, False)}
GATHER_CL = {p: _make_gather_cl(p) for p in (True, False)}
