"""Anti-aliased downsampling (Zhang 2019, "Making Convolutional Networks Shift-Invariant Again").

Max pooling with stride ``s`` is two steps, a max over each window and keeping one window
in ``s``; the second step aliases, so the output can change a lot when the input moves by
one pixel. BlurPool low-pass filters before it subsamples: max pooling with stride 1, then
:func:`blur_pool2d`, a fixed binomial filter applied to each channel with stride ``s``.

``blur_pool2d(x)`` equals PyTorch's
``F.conv2d(x, binomial_filter(k).expand(C, 1, k, k), stride=s, padding=p, groups=C)``
(zero padding ``p``, default ``(k - 1) // 2``); :func:`blur_pool2d_backward` is its
gradient. Channels-first ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
"""

from __future__ import annotations

import numbers
from math import comb

import numpy as np

__all__ = ["binomial_filter", "blur_pool2d", "blur_pool2d_backward", "receptive_field"]


def _check_int(value, name: str, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}={value!r} must be an int")
    if value < minimum:
        raise ValueError(f"{name}={value} must be at least {minimum}")
    return int(value)


def binomial_filter(kernel_size: int = 3) -> np.ndarray:
    """The ``(k, k)`` binomial filter: the outer product of row ``k - 1`` of Pascal's triangle
    with itself, divided by its sum (so it sums to 1). ``k = 3``: ``[1, 2, 1]^T [1, 2, 1] / 16``."""
    k = _check_int(kernel_size, "kernel_size", 1)
    row = np.array([comb(k - 1, i) for i in range(k)], dtype=np.float64)
    return np.outer(row, row) / row.sum() ** 2


def _arguments(x, kernel_size, stride, padding):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"x must be (N, C, H, W) or (C, H, W), got {x.ndim} dimensions (shape {x.shape})")
    if x.dtype.kind != "f":
        raise TypeError(f"x must be a floating-point array, got dtype {x.dtype}")
    k = _check_int(kernel_size, "kernel_size", 1)
    s = _check_int(stride, "stride", 1)
    p = (k - 1) // 2 if padding is None else _check_int(padding, "padding", 0)
    if p > k - 1:
        raise ValueError(f"padding={p} must be at most kernel_size - 1 = {k - 1} "
                         "(a window must hold at least one real element)")
    H, W = x.shape[-2:]
    if H + 2 * p < k or W + 2 * p < k:
        raise ValueError(f"x's spatial size {H}x{W} with padding={p} is smaller than kernel_size={k}")
    return k, s, p


def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def blur_pool2d(x: np.ndarray, kernel_size: int = 3, stride: int = 2, padding=None) -> np.ndarray:
    """Blur each channel with the binomial filter of ``kernel_size`` and keep every ``stride``-th
    output, with zero ``padding`` (default ``(kernel_size - 1) // 2``).

    x: ``(N, C, H, W)`` or ``(C, H, W)``, float. Returns ``(..., H_out, W_out)`` of x's dtype with
    ``H_out = (H + 2p - k) // s + 1`` (the same for W).
    """
    k, s, p = _arguments(x, kernel_size, stride, padding)
    f = binomial_filter(k).astype(x.dtype)
    H, W = x.shape[-2:]
    Ho, Wo = _out(H, k, s, p), _out(W, k, s, p)
    padded = np.zeros(x.shape[:-2] + (H + 2 * p, W + 2 * p), dtype=x.dtype)
    padded[..., p:p + H, p:p + W] = x
    out = np.zeros(x.shape[:-2] + (Ho, Wo), dtype=x.dtype)
    for i in range(k):            # one tap of the filter at a time: k*k strided slices
        for j in range(k):
            out += f[i, j] * padded[..., i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s]
    return out


def blur_pool2d_backward(grad_output: np.ndarray, x: np.ndarray, kernel_size: int = 3, stride: int = 2,
                         padding=None) -> np.ndarray:
    """The gradient of :func:`blur_pool2d` with respect to ``x`` (x's shape): each output's
    gradient, times the filter, added back onto the window it was computed from."""
    k, s, p = _arguments(x, kernel_size, stride, padding)
    H, W = x.shape[-2:]
    Ho, Wo = _out(H, k, s, p), _out(W, k, s, p)
    grad_output = np.asarray(grad_output)
    if grad_output.shape != x.shape[:-2] + (Ho, Wo):
        raise ValueError(f"grad_output must have blur_pool2d's output shape {x.shape[:-2] + (Ho, Wo)}, "
                         f"got {grad_output.shape}")
    f = binomial_filter(k).astype(x.dtype)
    grad = np.zeros(x.shape[:-2] + (H + 2 * p, W + 2 * p), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            grad[..., i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s] += f[i, j] * grad_output
    return grad[..., p:p + H, p:p + W]


def receptive_field(layers) -> tuple:
    """The receptive field of a stack of convolutions and poolings.

    ``layers`` is a sequence of ``(kernel_size, stride)`` pairs, input first. Returns
    ``(size, jump)``: how many input pixels (along one dimension) one output of the last
    layer sees, and how far apart in the input two neighbouring outputs are. Each layer
    adds ``(kernel_size - 1) * jump`` to the size, then multiplies the jump by its stride.
    """
    size, jump = 1, 1
    for n, layer in enumerate(layers):
        try:
            k, s = layer
        except (TypeError, ValueError):
            raise ValueError(f"layers[{n}]={layer!r} must be a (kernel_size, stride) pair") from None
        k = _check_int(k, f"layers[{n}] kernel_size", 1)
        s = _check_int(s, f"layers[{n}] stride", 1)
        size += (k - 1) * jump
        jump *= s
    return size, jump
