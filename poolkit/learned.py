"""Pooling with a knob: softmax pooling, generalized-mean (GeM), stochastic pooling, maxout.

Max and average pooling are two ends of families with a parameter between them:

- :func:`softmax_pool2d` weighs each window's elements by ``softmax(beta * x)``:
  ``beta = 0`` is the average, ``beta -> +inf`` the max, ``beta -> -inf`` the min;
- :func:`gem_pool2d` is the generalized (power) mean ``(mean x^p)^(1/p)``: ``p = 1``
  is the average, ``p -> inf`` the max, and ``p`` can be learnt
  (:func:`gem_pool2d_backward_p`);
- :func:`stochastic_pool2d` picks an element at random with probability proportional
  to its value in training, and takes the expectation in evaluation;
- :func:`maxout` pools over channels instead of space.

Each differentiable one has ``f_backward(grad_output, x, <same parameters>)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "gem_pool2d",
    "gem_pool2d_backward",
    "gem_pool2d_backward_p",
    "maxout",
    "maxout_backward",
    "softmax_pool2d",
    "softmax_pool2d_backward",
    "stochastic_pool2d",
    "stochastic_pool2d_backward",
]


# ---------------------------------------------------------------- argument checks
def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _pair(value, name, minimum):
    if _is_int(value):
        value = (value, value)
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value)):
        raise TypeError(f"{name}={value!r} must be an int or a pair of ints (height, width)")
    if min(value) < minimum:
        raise ValueError(f"{name}={tuple(value)!r} must be at least {minimum}")
    return int(value[0]), int(value[1])


def _finite(value, name, positive=False):
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be a number")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} must be finite")
    if positive and value <= 0:
        raise ValueError(f"{name}={value!r} must be positive")
    return float(value)


def _planes(x, fname, kinds="f"):
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{fname}: x must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if x.dtype.kind not in kinds:
        raise TypeError(f"{fname}: x must hold floating-point numbers, got dtype {x.dtype}")
    return x


def _grad(grad_output, shape, fname):
    g = np.asarray(grad_output)
    if g.shape != tuple(shape):
        raise ValueError(f"{fname}: grad_output has shape {g.shape}, but the forward pass gives {tuple(shape)}")
    return g.astype(np.float64)


def _geometry(x, kernel_size, stride, padding, fname):
    """``(k, s, p, out)``: checked kernel, stride and padding pairs, and the output (oh, ow)."""
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    for name, pi, ki in (("height", p[0], k[0]), ("width", p[1], k[1])):
        if pi > ki // 2:
            raise ValueError(f"padding={pi} must be at most half of kernel_size={ki} ({name})")
    h, w = x.shape[-2] + 2 * p[0], x.shape[-1] + 2 * p[1]
    if h < k[0] or w < k[1]:
        raise ValueError(f"{fname}: kernel_size={k} does not fit in the padded input of size {(h, w)}")
    return k, s, p, ((h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1)


def _windows(a, k, s, out):
    """(..., oh, ow, kh, kw) view of the windows of ``a``."""
    v = sliding_window_view(a, k, axis=(-2, -1))[..., ::s[0], ::s[1], :, :]
    return v[..., :out[0], :out[1], :, :]


def _scatter(windows_grad, shape, k, s, out):
    """Sum a (..., oh, ow, kh, kw) gradient back onto a (..., H, W) array."""
    dx = np.zeros(shape, dtype=np.float64)
    for i in range(k[0]):
        for j in range(k[1]):
            dx[..., i:i + s[0] * (out[0] - 1) + 1:s[0], j:j + s[1] * (out[1] - 1) + 1:s[1]] += \
                windows_grad[..., i, j]
    return dx


# ---------------------------------------------------------------- softmax pooling
def _softmax_parts(x, kernel_size, stride, padding, beta, fname):
    x = _planes(x, fname)
    beta = _finite(beta, "beta")
    k, s, p, out = _geometry(x, kernel_size, stride, padding, fname)
    pads = [(0, 0)] * (x.ndim - 2) + [(p[0], p[0]), (p[1], p[1])]
    w = _windows(np.pad(x.astype(np.float64), pads), k, s, out)
    real = _windows(np.pad(np.ones(x.shape[-2:], dtype=bool), pads[-2:]), k, s, out)
    z = np.where(real, beta * w, -np.inf)
    e = np.exp(z - z.max(axis=(-2, -1), keepdims=True))
    weights = e / e.sum(axis=(-2, -1), keepdims=True)
    y = (weights * np.where(real, w, 0.0)).sum(axis=(-2, -1))
    return x, k, s, p, out, w, weights, y


def softmax_pool2d(x, kernel_size, stride=None, padding=0, beta=1.0):
    """Softmax pooling: each window's elements averaged with weights ``softmax(beta * x)``.

    Inputs:
    - x: (N, C, H, W) or (C, H, W), floating point (finite values: ``inf`` makes the
      weights undefined).
    - kernel_size, stride (default: kernel_size), padding: ints or pairs, as in
      ``max_pool2d``; padding is at most half the kernel and is **left out** of every
      window (its weight is 0), as max pooling's ``-inf`` padding.
    - beta: a finite number, the inverse temperature.

    Returns (N, C, oh, ow) (or (C, oh, ow)), x's dtype, where window ``W`` gives

        y = sum_i w_i x_i,   w_i = exp(beta x_i) / sum_j exp(beta x_j)   (i, j in W).

    ``beta = 0`` is average pooling over the real elements; as ``beta -> +inf`` the
    weights concentrate on the maxima, and ``y`` tends to the max (``-inf``: the min).
    """
    x, *_, y = _softmax_parts(x, kernel_size, stride, padding, beta, "softmax_pool2d")
    return y.astype(x.dtype)


def softmax_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, beta=1.0):
    """Gradient of :func:`softmax_pool2d`: ``dy/dx_i = w_i (1 + beta (x_i - y))`` in each window,
    summed over the windows that read ``x_i``. Returns an array shaped and typed like ``x``."""
    x, k, s, p, out, w, weights, y = _softmax_parts(x, kernel_size, stride, padding, beta, "softmax_pool2d_backward")
    g = _grad(grad_output, y.shape, "softmax_pool2d_backward")
    local = weights * (1.0 + float(beta) * (np.nan_to_num(w) - y[..., None, None]))
    padded = x.shape[:-2] + (x.shape[-2] + 2 * p[0], x.shape[-1] + 2 * p[1])
    dx = _scatter(g[..., None, None] * local, padded, k, s, out)
    return dx[..., p[0]:p[0] + x.shape[-2], p[1]:p[1] + x.shape[-1]].astype(x.dtype)


# ---------------------------------------------------------------- GeM
def _gem_parts(x, p, eps, fname):
    x = _planes(x, fname)
    p = _finite(p, "p", positive=True)
    eps = _finite(eps, "eps", positive=True)
    if x.shape[-1] * x.shape[-2] == 0:
        raise ValueError(f"{fname}: x's height and width must be at least 1, got shape {x.shape}")
    z = np.maximum(x.astype(np.float64), eps)
    m = (z ** p).mean(axis=(-2, -1), keepdims=True)
    return x, p, z, m, m ** (1.0 / p)


def gem_pool2d(x, p=3.0, eps=1e-6):
    """Generalized-mean (GeM) pooling over the whole plane, as in image retrieval.

    Inputs:
    - x: (N, C, H, W) or (C, H, W), floating point.
    - p: finite and positive; ``p = 1`` is global average pooling, large ``p`` nears
      global max pooling. Networks learn it (:func:`gem_pool2d_backward_p`).
    - eps: finite and positive; values are clamped to at least ``eps`` first.

    Returns (N, C, 1, 1) (or (C, 1, 1)), x's dtype:
    ``y = (mean_{h,w} max(x, eps)^p)^(1/p)``, which is
    ``avg_pool2d(x.clamp(min=eps).pow(p), (H, W)).pow(1/p)`` in PyTorch.
    """
    x, *_, y = _gem_parts(x, p, eps, "gem_pool2d")
    return y.astype(x.dtype)


def gem_pool2d_backward(grad_output, x, p=3.0, eps=1e-6):
    """Gradient of :func:`gem_pool2d` with respect to ``x``:
    ``dy/dx_i = y^(1-p) z_i^(p-1) / (H W)`` where ``x_i >= eps`` (``z = max(x, eps)``), else 0
    (PyTorch's clamp passes the gradient where ``x >= eps``). Shaped and typed like ``x``."""
    x, p, z, m, y = _gem_parts(x, p, eps, "gem_pool2d_backward")
    g = _grad(grad_output, y.shape, "gem_pool2d_backward")
    n = x.shape[-1] * x.shape[-2]
    dx = g * m ** (1.0 / p - 1.0) * z ** (p - 1.0) / n
    return np.where(x >= eps, dx, 0.0).astype(x.dtype)


def gem_pool2d_backward_p(grad_output, x, p=3.0, eps=1e-6):
    """Gradient of :func:`gem_pool2d` with respect to ``p`` (one number, summed over every output).

    With ``m = mean z^p`` and ``y = m^(1/p)``:
    ``dy/dp = y (mean(z^p ln z) / (p m) - ln(m) / p^2)``.
    """
    x, p, z, m, y = _gem_parts(x, p, eps, "gem_pool2d_backward_p")
    g = _grad(grad_output, y.shape, "gem_pool2d_backward_p")
    mzl = (z ** p * np.log(z)).mean(axis=(-2, -1), keepdims=True)
    return float((g * y * (mzl / (p * m) - np.log(m) / p ** 2)).sum())


# ---------------------------------------------------------------- stochastic pooling
def _stochastic_parts(x, kernel_size, stride, training, rng, fname):
    x = _planes(x, fname)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training={training!r} must be True or False")
    if not (rng is None or _is_int(rng) or isinstance(rng, np.random.Generator)):
        raise TypeError(f"rng={rng!r} must be None, an int seed or a numpy.random.Generator")
    if np.isnan(x).any() or (x < 0).any():
        raise ValueError(f"{fname}: x must be non-negative (activations after a ReLU): the probabilities are "
                         f"x / sum(x); it holds {'NaN' if np.isnan(x).any() else 'negative values'}")
    k, s, _, out = _geometry(x, kernel_size, stride, 0, fname)
    w = _windows(x.astype(np.float64), k, s, out).reshape(x.shape[:-2] + out + (-1,))
    total = w.sum(axis=-1, keepdims=True)
    q = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    pick = None
    if training:
        u = np.random.default_rng(rng).random(total.shape)
        pick = np.argmax(np.cumsum(q, axis=-1) > u, axis=-1)[..., None]   # the first i with q_0 + ... + q_i > u
    return x, k, s, out, w, total, q, pick


def stochastic_pool2d(x, kernel_size, stride=None, training=True, rng=None):
    """Stochastic pooling (Zeiler & Fergus, 2013) over windows of non-negative activations.

    Inputs:
    - x: (N, C, H, W) or (C, H, W), floating point, non-negative (after a ReLU).
    - kernel_size, stride (default: kernel_size): ints or pairs; no padding.
    - training: True picks one element of each window at random, element ``i`` with
      probability ``q_i = x_i / sum_j x_j``; False returns the expectation
      ``sum_i q_i x_i``. A window of zeros gives 0 either way.
    - rng: a seed (int) or a ``numpy.random.Generator`` for the draws; None uses a fresh,
      unseeded generator. The same seed gives the same picks.

    Returns (N, C, oh, ow) (or (C, oh, ow)), x's dtype, ``oh = (H - kh) // sh + 1``.
    """
    x, _, _, _, w, _, q, pick = _stochastic_parts(x, kernel_size, stride, training, rng, "stochastic_pool2d")
    if not training:
        return (q * w).sum(axis=-1).astype(x.dtype)
    return np.take_along_axis(w, pick, axis=-1)[..., 0].astype(x.dtype)


def stochastic_pool2d_backward(grad_output, x, kernel_size, stride=None, training=True, rng=None):
    """Gradient of :func:`stochastic_pool2d`, shaped and typed like ``x``.

    Training: each output's gradient goes to the element it picked (the pick held
    fixed), so pass the same ``rng`` as the forward pass: the same int seed, or a copy
    of the Generator as it was before the forward pass drew from it. Evaluation:
    ``y = sum x_i^2 / S`` with ``S = sum x_j``, so ``dy/dx_j = (2 x_j - y) / S``
    (0 for a window of zeros).
    """
    fname = "stochastic_pool2d_backward"
    x, k, s, out, w, total, q, pick = _stochastic_parts(x, kernel_size, stride, training, rng, fname)
    g = _grad(grad_output, w.shape[:-1], fname)
    if training:
        local = np.zeros(w.shape)
        np.put_along_axis(local, pick, 1.0, axis=-1)
    else:
        y = (q * w).sum(axis=-1, keepdims=True)
        local = np.divide(2 * w - y, total, out=np.zeros_like(w), where=total > 0)
    windows = (g[..., None] * local).reshape(w.shape[:-1] + k)
    return _scatter(windows, x.shape, k, s, out).astype(x.dtype)


# ---------------------------------------------------------------- maxout
def _maxout_parts(x, pool_size, axis, fname):
    x = np.asarray(x)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{fname}: x must hold numbers, got dtype {x.dtype}")
    if not _is_int(axis):
        raise TypeError(f"axis={axis!r} must be an int")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} is out of range for x of shape {x.shape}")
    if not _is_int(pool_size):
        raise TypeError(f"pool_size={pool_size!r} must be an int")
    c = x.shape[axis]
    if pool_size < 1 or c % pool_size:
        raise ValueError(f"pool_size={pool_size} must be positive and divide x's axis {axis} of size {c}")
    moved = np.moveaxis(x, axis, -1)
    groups = moved.reshape(moved.shape[:-1] + (c // pool_size, pool_size))
    return moved, groups, np.argmax(groups, axis=-1)   # first maximum; NaN counts as the largest


def maxout(x, pool_size, axis=1):
    """Maxout / channel pooling: the max of each group of ``pool_size`` consecutive channels.

    Inputs:
    - x: any shape; ``axis`` (default 1, the channels of (N, C, ...)) has size C.
    - pool_size: a positive int dividing C.

    Returns x's shape with C replaced by ``C // pool_size``: output channel ``j`` is the
    max of channels ``j * pool_size`` to ``(j + 1) * pool_size - 1`` (the grouping of
    TensorFlow's depth-wise ``max_pool`` and of ``x.view(N, C // k, k, ...).max(2)``).
    """
    _, groups, idx = _maxout_parts(x, pool_size, axis, "maxout")
    y = np.take_along_axis(groups, idx[..., None], axis=-1)[..., 0]
    return np.moveaxis(y, -1, axis)


def maxout_backward(grad_output, x, pool_size, axis=1):
    """Gradient of :func:`maxout`: each output's gradient to the first maximal channel of its group.
    Shaped like ``x`` (float64 for integer ``x``)."""
    moved, groups, idx = _maxout_parts(x, pool_size, axis, "maxout_backward")
    g = np.moveaxis(_grad(grad_output, np.moveaxis(np.empty(idx.shape), -1, axis).shape, "maxout_backward"),
                    axis, -1)
    dx = np.zeros(groups.shape)
    np.put_along_axis(dx, idx[..., None], g[..., None], axis=-1)
    dtype = np.asarray(x).dtype if np.asarray(x).dtype.kind == "f" else np.float64
    return np.moveaxis(dx.reshape(moved.shape), -1, axis).astype(dtype)
