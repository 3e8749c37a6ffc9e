"""Pooling over regions: RoI pooling, RoIAlign, spatial pyramids, max over time.

These poolings do not slide one square window over the input. They pool over
regions someone else chose: boxes from a detector (:func:`roi_pool`,
:func:`roi_align`), a pyramid of grids that gives a fixed-length vector from any
input size (:func:`spatial_pyramid_pool`), the real steps of padded sequences
(:func:`max_over_time`). Each has its backward pass beside it,
``f_backward(grad_output, x, <same parameters>)``, returning a gradient shaped
like ``x``.

RoIPool and RoIAlign follow torchvision.ops' CPU kernels (``roi_pool_kernel.cpp``,
``roi_align_kernel.cpp``) rule for rule; the rules are written out in each
docstring. Box coordinates are pixel coordinates ``[x1, y1, x2, y2]`` of the input
image; ``spatial_scale`` maps them onto the feature map ``x`` (1/16 for a stride-16
backbone).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import backward as _backward
from . import functional as _functional

__all__ = [
    "max_over_time",
    "max_over_time_backward",
    "roi_align",
    "roi_align_backward",
    "roi_pool",
    "roi_pool_backward",
    "spatial_pyramid_pool",
    "spatial_pyramid_pool_backward",
]

FLT_MAX = float(np.finfo(np.float32).max)
"""RoIPool's starting maximum, ``-FLT_MAX`` (the kernel's constant, whatever the dtype)."""


# ---------------------------------------------------------------- argument checks
def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _feature_map(x, fname):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{fname}: x must be a 4-D array (N, C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fname}: x must hold floating-point numbers, got dtype {x.dtype}")
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{fname}: x's height and width must be at least 1, got shape {x.shape}")
    return x


def _output_size(output_size):
    if _is_int(output_size):
        output_size = (output_size, output_size)
    if not (isinstance(output_size, (tuple, list)) and len(output_size) == 2):
        raise TypeError(f"output_size={output_size!r} must be an int or a pair of ints (height, width)")
    if not all(_is_int(v) for v in output_size):
        raise TypeError(f"output_size={tuple(output_size)!r} must hold ints")
    if min(output_size) < 1:
        raise ValueError(f"output_size={tuple(output_size)!r} must be positive: every RoI is cut into "
                         "output_size bins")
    return int(output_size[0]), int(output_size[1])


def _scale(spatial_scale):
    if not isinstance(spatial_scale, numbers.Real) or isinstance(spatial_scale, bool):
        raise TypeError(f"spatial_scale={spatial_scale!r} must be a number")
    if not (math.isfinite(spatial_scale) and spatial_scale > 0):
        raise ValueError(f"spatial_scale={spatial_scale!r} must be finite and positive")
    return float(spatial_scale)


def rois_from_boxes(boxes, batch_size):
    """``boxes`` as one float64 ``(K, 5)`` array of ``[batch_index, x1, y1, x2, y2]`` rows, checked.

    ``boxes`` is either that array or a list of ``batch_size`` (or fewer) ``(Ki, 4)``
    arrays of ``[x1, y1, x2, y2]``, the i-th list entry holding image i's boxes
    (torchvision's two formats). Raises ValueError for a wrong shape, a coordinate
    that is not finite, ``x2 < x1`` or ``y2 < y1``, or a batch index that is not an
    integer in ``[0, batch_size)``; TypeError for anything that is not numbers.
    """
    if isinstance(boxes, (list, tuple)):
        if len(boxes) > batch_size:
            raise ValueError(f"boxes is a list of {len(boxes)} arrays, one per image, but x holds only "
                             f"{batch_size} images: batch index {len(boxes) - 1} is out of range")
        parts = []
        for i, b in enumerate(boxes):
            b = _numbers(b, f"boxes[{i}]")
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError(f"boxes[{i}] must be a (Ki, 4) array of [x1, y1, x2, y2] rows, got shape {b.shape}")
            parts.append(np.concatenate([np.full((len(b), 1), float(i)), b], axis=1))
        rois = np.concatenate(parts, axis=0) if parts else np.zeros((0, 5))
    else:
        rois = _numbers(boxes, "boxes")
        if rois.ndim != 2 or rois.shape[1] != 5:
            raise ValueError(f"boxes must be a (K, 5) array of [batch_index, x1, y1, x2, y2] rows or a list of "
                             f"(Ki, 4) arrays, got shape {rois.shape}")
    bad = ~np.isfinite(rois)
    if bad.any():
        k = int(np.argwhere(bad)[0][0])
        raise ValueError(f"boxes: RoI {k} = {rois[k].tolist()} has a coordinate that is not finite")
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        if b != int(b) or not 0 <= b < batch_size:
            raise ValueError(f"boxes: RoI {k} has batch index {b:g}, which must be an integer in [0, {batch_size})")
        if x2 < x1 or y2 < y1:
            raise ValueError(f"boxes: RoI {k} = [x1, y1, x2, y2] = {[x1, y1, x2, y2]} must have x2 >= x1 and "
                             "y2 >= y1")
    return rois


def _numbers(a, name):
    try:
        a = np.asarray(a)
    except ValueError as e:  # ragged lists
        raise TypeError(f"{name} must be an array of numbers ({e})") from None
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of numbers, got dtype {a.dtype}")
    return a.astype(np.float64)


def _grad_shape(grad_output, shape, fname):
    g = np.asarray(grad_output)
    if g.shape != tuple(shape):
        raise ValueError(f"{fname}: grad_output has shape {g.shape}, but the forward pass gives {tuple(shape)}")
    if g.dtype.kind not in "iuf":
        raise TypeError(f"{fname}: grad_output must hold numbers, got dtype {g.dtype}")
    return g


def _c_round(v):
    """C's ``round``: halves away from zero (numpy's ``round`` takes halves to even)."""
    return np.sign(v) * np.floor(np.abs(v) + v.dtype.type(0.5))


# ---------------------------------------------------------------- RoIPool
def roi_pool_bins(roi, output_size, spatial_scale, height, width, dtype=np.float64):
    """Where RoIPool's bins fall: ``(hstart, hend, wstart, wend)``, each an int array of ``output_size``'s side.

    ``roi`` is one ``[batch_index, x1, y1, x2, y2]`` row. Bin ``(ph, pw)`` reads rows
    ``hstart[ph] <= h < hend[ph]`` and columns ``wstart[pw] <= w < wend[pw]``; an empty
    range (``end <= start``) is an empty bin. The arithmetic is done in ``dtype``, as
    the kernel does it in the input's type. See :func:`roi_pool` for the rules.
    """
    oh, ow = _output_size(output_size)
    t = np.dtype(dtype).type
    r = np.asarray(roi, dtype=dtype)
    scale = t(spatial_scale)
    x1, y1, x2, y2 = (int(_c_round(r[i] * scale)) for i in (1, 2, 3, 4))
    roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    bin_h, bin_w = t(roi_h) / t(oh), t(roi_w) / t(ow)

    def edges(n, size, start, limit):
        i = np.arange(n + 1, dtype=dtype)
        lo = np.floor(i[:-1] * size).astype(np.int64) + start
        hi = np.ceil(i[1:] * size).astype(np.int64) + start
        return np.clip(lo, 0, limit), np.clip(hi, 0, limit)

    hs, he = edges(oh, bin_h, y1, height)
    ws, we = edges(ow, bin_w, x1, width)
    return hs, he, ws, we


def roi_pool(x, boxes, output_size, spatial_scale=1.0, return_indices=False):
    """Fast R-CNN's RoI max pooling: each box cut into ``output_size`` bins on whole pixels, the max of each.

    Inputs:
    - x: feature map, shape (N, C, H, W), floating point.
    - boxes: (K, 5) array of ``[batch_index, x1, y1, x2, y2]``, or a list of N (Ki, 4)
      arrays of ``[x1, y1, x2, y2]`` (list entry i holds image i's boxes), in input-image
      pixels.
    - output_size: int or (oh, ow), the number of bins per box.
    - spatial_scale: multiplies the box coordinates to land on ``x`` (1/16 for stride 16).
    - return_indices: also return, per output element, the flat index ``h * W + w`` of the
      picked element in its (H, W) plane (-1 for an empty bin), as torchvision's argmax.

    Returns ``y`` of shape (K, C, oh, ow), x's dtype (and the int64 indices, same shape).

    The rules (torchvision's ``roi_pool_kernel.cpp``, in x's dtype):

    1. Corners are **rounded** to whole pixels, halves away from zero:
       ``x1' = round(x1 * spatial_scale)``, likewise y1', x2', y2'.
    2. The box is inclusive: ``roi_w = max(x2' - x1' + 1, 1)``, ``roi_h`` likewise; a
       malformed box becomes 1 x 1.
    3. ``bin_h = roi_h / oh``; bin ``ph`` covers rows ``floor(ph * bin_h)`` to
       ``ceil((ph + 1) * bin_h)`` (end excluded), shifted by ``y1'`` and clipped to
       ``[0, H]``. Neighbouring bins can share a row; columns likewise.
    4. Each bin's max is taken in scan order with a strict ``>`` from ``-FLT_MAX``: the
       first maximal element wins a tie, NaN is never picked, and a bin of values all
       ``<= -FLT_MAX`` gives ``-FLT_MAX`` with index -1. An empty bin gives 0, index -1.
    """
    fname = "roi_pool"
    x = _feature_map(x, fname)
    oh, ow = _output_size(output_size)
    scale = _scale(spatial_scale)
    if not isinstance(return_indices, (bool, np.bool_)):
        raise TypeError(f"return_indices={return_indices!r} must be True or False")
    rois = rois_from_boxes(boxes, x.shape[0])
    _, c, h, w = x.shape
    y = np.zeros((len(rois), c, oh, ow), dtype=x.dtype)
    idx = np.full((len(rois), c, oh, ow), -1, dtype=np.int64)
    for k, roi in enumerate(rois):
        plane = x[int(roi[0])]
        hs, he, ws, we = roi_pool_bins(roi, (oh, ow), scale, h, w, x.dtype)
        for ph in range(oh):
            for pw in range(ow):
                if he[ph] <= hs[ph] or we[pw] <= ws[pw]:
                    continue  # empty bin: 0, index -1
                win = plane[:, hs[ph]:he[ph], ws[pw]:we[pw]].reshape(c, -1)
                # only values > -FLT_MAX can win (NaN never does); -inf stands for "cannot"
                cand = np.where(win > -FLT_MAX, win, -np.inf)
                j = np.argmax(cand, axis=1)
                best = cand[np.arange(c), j]
                hit = best > -np.inf
                ww = we[pw] - ws[pw]
                y[k, :, ph, pw] = np.where(hit, best, -FLT_MAX)
                idx[k, :, ph, pw] = np.where(hit, (hs[ph] + j // ww) * w + ws[pw] + j % ww, -1)
    return (y, idx) if return_indices else y


def roi_pool_backward(grad_output, x, boxes, output_size, spatial_scale=1.0, return_indices=False, *,
                      indices=None):
    """Gradient of :func:`roi_pool`: each output's gradient added to the element it picked.

    ``indices`` (from ``roi_pool(..., return_indices=True)``) saves recomputing the
    forward pass. Empty bins (index -1) send nothing back; a pixel picked by several
    bins or boxes receives the sum. Returns an array shaped and typed like ``x``.
    """
    x = _feature_map(x, "roi_pool_backward")
    rois = rois_from_boxes(boxes, x.shape[0])
    oh, ow = _output_size(output_size)
    g = _grad_shape(grad_output, (len(rois), x.shape[1], oh, ow), "roi_pool_backward")
    if indices is None:
        _, indices = roi_pool(x, rois, output_size, spatial_scale, return_indices=True)
    indices = np.asarray(indices)
    n, c, h, w = x.shape
    dx = np.zeros((n, c, h * w), dtype=np.float64)
    kk, cc = np.meshgrid(np.arange(len(rois)), np.arange(c), indexing="ij")
    rows = np.broadcast_to(rois[kk, 0].astype(np.int64)[..., None, None], indices.shape)
    chans = np.broadcast_to(cc[..., None, None], indices.shape)
    hit = indices >= 0
    np.add.at(dx, (rows[hit], chans[hit], indices[hit]), g[hit])
    return dx.reshape(x.shape).astype(x.dtype)


# ---------------------------------------------------------------- RoIAlign
def roi_align_samples(roi, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False, dtype=np.float64):
    """RoIAlign's sampling points of one box: ``(ys, xs, count)``.

    ``ys`` has shape (oh, grid_h): the row coordinates sampled in each bin row; ``xs``
    (ow, grid_w) likewise; bin ``(ph, pw)`` averages the ``grid_h * grid_w`` points
    ``(ys[ph, i], xs[pw, j])``, divided by ``count = max(grid_h * grid_w, 1)``.
    Computed in ``dtype``, as the kernel does in the input's type.
    """
    oh, ow = _output_size(output_size)
    t = np.dtype(dtype).type
    r = np.asarray(roi, dtype=dtype)
    scale = t(spatial_scale)
    offset = t(0.5) if aligned else t(0.0)
    x1, y1, x2, y2 = (r[i] * scale - offset for i in (1, 2, 3, 4))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = max(roi_w, t(1.0)), max(roi_h, t(1.0))
    bin_h, bin_w = roi_h / t(oh), roi_w / t(ow)
    grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / t(oh))
    grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / t(ow))

    def points(start, n, size, grid):
        p = np.arange(n, dtype=dtype)[:, None]
        i = np.arange(grid, dtype=dtype)[None, :]
        return (start + p * size) + (i + t(0.5)) * size / t(grid)

    return points(y1, oh, bin_h, grid_h), points(x1, ow, bin_w, grid_w), max(grid_h * grid_w, 1)


def _axis(coords, size):
    """Per sample along one axis: the two pixels read, the weight of the second, and whether the
    sample is inside ``[-1, size]`` (the kernel's rules, in the coordinates' dtype)."""
    t = coords.dtype.type
    inside = (coords >= t(-1.0)) & (coords <= t(size))
    c = np.where(coords <= 0, t(0.0), coords)
    low = np.floor(c).astype(np.int64)
    edge = low >= size - 1
    low = np.where(edge, size - 1, low)
    high = np.where(edge, size - 1, low + 1)
    c = np.where(edge, low.astype(coords.dtype), c)
    return low, high, (c - low.astype(coords.dtype)).astype(np.float64), inside


def _align_gather(planes, ys, xs, count):
    """RoIAlign of ``planes`` (C, H, W) the kernel's way: each sample reads its four pixels, even
    those of weight 0, and a sample outside the map reads pixel (0, 0) with weight 0. Used where
    a plane holds inf or NaN, which ``0 * value`` spreads exactly as the kernel's sums do."""
    yl, yh, ly, iny = (a[:, :, None, None] for a in _axis(ys, planes.shape[1]))
    xl, xh, lx, inx = (a[None, None, :, :] for a in _axis(xs, planes.shape[2]))
    inside = iny & inx
    yl, yh, xl, xh = (np.where(inside, i, 0) for i in (yl, yh, xl, xh))
    ly, lx = np.where(inside, ly, 0.0), np.where(inside, lx, 0.0)
    hy, hx = np.where(inside, 1.0 - ly, 0.0), np.where(inside, 1.0 - lx, 0.0)
    p = planes.astype(np.float64)
    with np.errstate(invalid="ignore"):
        v = hy * hx * p[:, yl, xl] + hy * lx * p[:, yl, xh] + ly * hx * p[:, yh, xl] + ly * lx * p[:, yh, xh]
    return v.sum(axis=(2, 4)) / count   # (C, oh, gh, ow, gw) -> (C, oh, ow)


def bilinear_weights(coords, size):
    """The (n, size) matrix of bilinear weights of RoIAlign's samples along one axis.

    ``coords`` is (n, grid): row ``p`` of the result holds the weights with which
    the ``grid`` samples of bin ``p`` read the ``size`` pixels, summed. A sample at
    ``c`` (RoIAlign's rules, per axis): outside ``[-1, size]`` it reads nothing;
    otherwise ``c`` is clamped to ``>= 0``, ``low = floor(c)``; if ``low >= size - 1``
    it reads pixel ``size - 1`` with weight 1; else pixels ``low`` and ``low + 1`` with
    weights ``1 - (c - low)`` and ``c - low``. A sample exactly on a pixel (an integer
    ``c``) reads that pixel only (weight 0 on its neighbour).
    """
    n, grid = coords.shape
    low, high, frac, inside = _axis(coords, size)
    weights = np.zeros((n, size))
    rows = np.repeat(np.arange(n), grid)
    np.add.at(weights, (rows, low.ravel()), np.where(inside, 1.0 - frac, 0.0).ravel())
    np.add.at(weights, (rows, high.ravel()), np.where(inside, frac, 0.0).ravel())
    return weights


def _align_args(x, boxes, output_size, spatial_scale, sampling_ratio, aligned, fname):
    x = _feature_map(x, fname)
    size = _output_size(output_size)
    scale = _scale(spatial_scale)
    if not _is_int(sampling_ratio):
        raise TypeError(f"sampling_ratio={sampling_ratio!r} must be an int (<= 0: adaptive)")
    if not isinstance(aligned, (bool, np.bool_)):
        raise TypeError(f"aligned={aligned!r} must be True or False")
    return x, rois_from_boxes(boxes, x.shape[0]), size, scale


def _align_matrices(roi, size, scale, sampling_ratio, aligned, x):
    ys, xs, count = roi_align_samples(roi, size, scale, sampling_ratio, bool(aligned), x.dtype)
    return bilinear_weights(ys, x.shape[2]), bilinear_weights(xs, x.shape[3]), count


def roi_align(x, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """Mask R-CNN's RoIAlign: each bin the average of bilinearly interpolated samples, no rounding.

    Inputs:
    - x: feature map, shape (N, C, H, W), floating point.
    - boxes: (K, 5) array of ``[batch_index, x1, y1, x2, y2]``, or a list of N (Ki, 4)
      arrays of ``[x1, y1, x2, y2]``, in input-image pixels.
    - output_size: int or (oh, ow), the number of bins per box.
    - spatial_scale: multiplies the box coordinates to land on ``x``.
    - sampling_ratio: samples per bin along each axis; ``<= 0`` picks
      ``ceil(roi_size / output_size)`` per axis and per box.
    - aligned: shift the box by -0.5 pixel, so that pixel centres sit at half-integers.

    Returns ``y`` of shape (K, C, oh, ow), x's dtype.

    The rules (torchvision's ``roi_align_kernel.cpp``; coordinates in x's dtype):

    1. Corners are scaled, **not rounded**: ``x1' = x1 * spatial_scale - offset``, with
       ``offset = 0.5`` if ``aligned`` else 0; likewise y1', x2', y2'.
    2. ``roi_w = x2' - x1'``; if not ``aligned``, at least 1 (a malformed box becomes 1 x 1).
    3. ``bin_w = roi_w / ow``; grid ``g_w = sampling_ratio`` if ``> 0`` else
       ``ceil(roi_w / ow)``; bin ``pw``'s samples sit at
       ``x1' + pw * bin_w + (ix + 0.5) * bin_w / g_w`` for ``ix < g_w``; rows likewise.
    4. Each sample is bilinearly interpolated (:func:`bilinear_weights`): outside
       ``[-1, size]`` on either axis it is 0; in ``[-1, 0]`` it is clamped to the first
       pixel; past the last pixel it is clamped to the last.
    5. A bin is the sum of its samples divided by ``max(g_h * g_w, 1)``: with
       ``aligned=True`` a box of zero size has no samples and gives 0.

    Along each axis the weights do not depend on the other axis, so this function
    computes every box as two matrix products, ``Wy @ x[b, c] @ Wx.T / count``: the
    same sums as the kernel's loop, added in another order (float32 results agree to
    rounding). Where an image holds inf or NaN, a product would spread it to every bin
    (``0 * inf``), so there each sample reads its four pixels as the kernel does: a NaN
    reaches the bins whose samples read it, even with weight 0.
    """
    x, rois, size, scale = _align_args(x, boxes, output_size, spatial_scale, sampling_ratio, aligned, "roi_align")
    y = np.zeros((len(rois), x.shape[1]) + size, dtype=np.float64)
    finite = [bool(np.isfinite(plane).all()) for plane in x]
    for k, roi in enumerate(rois):
        if finite[int(roi[0])]:
            wy, wx, count = _align_matrices(roi, size, scale, sampling_ratio, aligned, x)
            y[k] = wy @ x[int(roi[0])].astype(np.float64) @ wx.T / count
        else:
            ys, xs, count = roi_align_samples(roi, size, scale, sampling_ratio, bool(aligned), x.dtype)
            y[k] = _align_gather(x[int(roi[0])], ys, xs, count)
    return y.astype(x.dtype)


def roi_align_backward(grad_output, x, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """Gradient of :func:`roi_align`: each bin's gradient spread back along its samples' bilinear weights.

    RoIAlign is linear in ``x``: ``y[k, c] = Wy @ x[b, c] @ Wx.T / count``, so the
    gradient is ``dx[b, c] += Wy.T @ g[k, c] @ Wx / count``, summed over the boxes of
    image ``b``. Samples outside the map send nothing back. Returns an array shaped
    and typed like ``x``.
    """
    fname = "roi_align_backward"
    x, rois, size, scale = _align_args(x, boxes, output_size, spatial_scale, sampling_ratio, aligned, fname)
    g = _grad_shape(grad_output, (len(rois), x.shape[1]) + size, fname).astype(np.float64)
    dx = np.zeros(x.shape, dtype=np.float64)
    for k, roi in enumerate(rois):
        wy, wx, count = _align_matrices(roi, size, scale, sampling_ratio, aligned, x)
        dx[int(roi[0])] += wy.T @ g[k] @ wx / count
    return dx.astype(x.dtype)


# ---------------------------------------------------------------- spatial pyramid pooling
def _levels(levels):
    if isinstance(levels, (str, bytes)) or not hasattr(levels, "__len__"):
        raise TypeError(f"levels={levels!r} must be a sequence of grid sizes, such as (1, 2, 4)")
    if len(levels) == 0:
        raise ValueError("levels=() must hold at least one grid size: an empty pyramid pools nothing")
    out = []
    for level in levels:
        if _is_int(level):
            level = (level, level)
        if not (isinstance(level, (tuple, list)) and len(level) == 2 and all(_is_int(v) for v in level)):
            raise TypeError(f"levels={tuple(levels)!r}: each level must be an int n (an n x n grid) or a pair of ints")
        if min(level) < 1:
            raise ValueError(f"levels={tuple(levels)!r}: grid sizes must be positive, got {level!r}")
        out.append((int(level[0]), int(level[1])))
    return out


def _spp_args(x, levels, mode, fname):
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{fname}: x must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if mode not in ("max", "avg"):
        raise ValueError(f"mode={mode!r} must be 'max' or 'avg'")
    return x, _levels(levels)


def spatial_pyramid_pool(x, levels=(1, 2, 4), mode="max"):
    """SPP-net's pyramid: a fixed-length vector from a feature map of any size.

    Inputs:
    - x: (N, C, H, W) or (C, H, W).
    - levels: grid sizes, each an int n (an n x n grid) or a pair (rows, columns).
    - mode: ``"max"`` or ``"avg"``.

    Each level is adaptive pooling to its grid (PyTorch's ``adaptive_max_pool2d`` /
    ``adaptive_avg_pool2d``: cell ``i`` of ``n`` covers ``floor(i * H / n)`` to
    ``ceil((i + 1) * H / n)``), flattened channel by channel (as ``.flatten(1)``), and the
    levels are concatenated in order. Returns (N, C * sum(rows * columns)), or
    (C * sum(...),) for an unbatched x, whatever H and W are.
    """
    x, levels = _spp_args(x, levels, mode, "spatial_pyramid_pool")
    pool = _functional.adaptive_max_pool2d if mode == "max" else _functional.adaptive_avg_pool2d
    lead = x.shape[:-3]
    parts = [pool(x, level).reshape(lead + (-1,)) for level in levels]
    return np.concatenate(parts, axis=-1)


def spatial_pyramid_pool_backward(grad_output, x, levels=(1, 2, 4), mode="max"):
    """Gradient of :func:`spatial_pyramid_pool`: the vector cut back into its levels, each
    level's adaptive-pooling gradient, summed. Returns an array shaped like ``x``."""
    x, levels = _spp_args(x, levels, mode, "spatial_pyramid_pool_backward")
    back = _backward.adaptive_max_pool2d_backward if mode == "max" else _backward.adaptive_avg_pool2d_backward
    c, lead = x.shape[-3], x.shape[:-3]
    g = _grad_shape(grad_output, lead + (c * sum(a * b for a, b in levels),), "spatial_pyramid_pool_backward")
    dx = np.zeros(x.shape, dtype=np.float64)
    start = 0
    for level in levels:
        n = c * level[0] * level[1]
        piece = g[..., start:start + n].reshape(lead + (c,) + level)
        dx += back(piece.astype(x.dtype if x.dtype.kind == "f" else np.float64), x, level)
        start += n
    return dx.astype(x.dtype if x.dtype.kind == "f" else np.float64)


# ---------------------------------------------------------------- max over time
def _time_args(x, lengths, fname):
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"{fname}: x must be (N, C, T), padded sequences, got shape {x.shape}")
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{fname}: x must hold numbers, got dtype {x.dtype}")
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
    if lengths.shape != (x.shape[0],):
        raise ValueError(f"lengths must have shape ({x.shape[0]},), one length per sequence, got {lengths.shape}")
    for i, n in enumerate(lengths):
        if not 1 <= n <= x.shape[2]:
            raise ValueError(f"lengths[{i}]={int(n)} must be between 1 and the padded length T={x.shape[2]}")
    return x, lengths.astype(np.int64)


def _time_argmax(x, lengths):
    real = np.arange(x.shape[2])[None, None, :] < lengths[:, None, None]
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    return np.argmax(np.where(real, x, low), axis=2)  # first maximum; NaN counts as the largest


def max_over_time(x, lengths):
    """Global max over time of padded sequences, ignoring the padding (text CNNs' pooling).

    Inputs:
    - x: (N, C, T), N sequences of C channels padded to T steps.
    - lengths: (N,) ints, ``1 <= lengths[i] <= T``; steps ``t >= lengths[i]`` are padding.

    Returns (N, C): ``max_{t < lengths[i]} x[i, c, t]``. The first maximal step wins a tie
    (this is where the gradient goes); NaN propagates, as in PyTorch.
    """
    x, lengths = _time_args(x, lengths, "max_over_time")
    t = _time_argmax(x, lengths)
    return np.take_along_axis(x, t[..., None], axis=2)[..., 0]


def max_over_time_backward(grad_output, x, lengths):
    """Gradient of :func:`max_over_time`: each (sequence, channel)'s gradient to its first maximal real step;
    padding gets 0. Returns an array shaped like ``x`` (float64 for integer ``x``)."""
    x, lengths = _time_args(x, lengths, "max_over_time_backward")
    g = _grad_shape(grad_output, x.shape[:2], "max_over_time_backward")
    dx = np.zeros(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    np.put_along_axis(dx, _time_argmax(x, lengths)[..., None], g[..., None], axis=2)
    return dx
