"""Pooling layers: configured once, then ``forward`` and ``backward``, for small numpy networks.

Each layer takes ``torch.nn``'s constructor arguments (plus ``data_format`` and
``method``, as the functions do) and works like a layer in cs231n's assignments::

    pool = MaxPool2d(2)
    y = pool(x)               # same as pool.forward(x): caches what backward needs
    dx = pool.backward(dy)    # gradient with respect to the last forward's x

The cache (``layer.cache``) holds the forward's input, and for max and min
pooling where the elements the forward pass chose lie in ``x`` (flat positions,
``functional.pool_positions``), so ``backward`` routes the gradient with one
scatter-add and without recomputing anything. A layer has no parameters; it
remembers only its last forward pass.
"""

from __future__ import annotations

import numpy as np

from . import backward as B
from . import functional as F

__all__ = [f"{name}{d}d" for name in ("MaxPool", "MinPool", "AvgPool", "LPPool", "AdaptiveMaxPool",
                                       "AdaptiveAvgPool") for d in (1, 2, 3)]


class _Pool:
    """Shared behaviour: ``__call__`` is ``forward``; ``repr`` lists the settings as torch does."""

    dims = None          # 1, 2 or 3: fixed by each subclass (MaxPool1d, ...)
    _shown = ()          # constructor arguments that repr shows, in torch's order

    def __init__(self, data_format, method):
        self.data_format, self.method = data_format, method
        self.cache = None

    def __call__(self, x):
        return self.forward(x)

    def _options(self):
        return dict(dims=self.dims, data_format=self.data_format, method=self.method)

    def _cached(self):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() was called before forward(): the layer has no "
                               "forward pass to differentiate")
        return self.cache

    def __repr__(self):
        shown = [f"{name}={getattr(self, name)!r}" for name in self._shown]
        shown += [f"{name}={getattr(self, name)!r}" for name, default in
                  (("data_format", "channels_first"), ("method", "auto")) if getattr(self, name) != default]
        return f"{type(self).__name__}({', '.join(shown)})"


class _ExtremePool(_Pool):
    """Max pooling layer (``mode = "max"``; the min pooling layers set ``"min"``): the written-out
    ``MaxPool1d``, ... below fix ``dims``.

    Its forward pass caches ``(x, positions)``, the flat position in ``x`` of each chosen element
    (:func:`poolkit.functional.pool_positions`), so the backward pass is one scatter-add of the
    gradient into those positions (:func:`poolkit.backward.cached_positions_backward`).
    """

    mode = "max"
    _shown = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False, *,
                 data_format="channels_first", method="auto"):
        super().__init__(data_format, method)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def forward(self, x):
        y, positions = F.pool_positions(x, *self._args(), mode=self.mode, **self._options())
        self.cache = (x, positions)
        if self.return_indices:
            return y, F.plane_indices(positions, x, dims=self.dims, data_format=self.data_format)
        return y

    def backward(self, grad_output):
        x, positions = self._cached()     # the forward's own positions: scattered without a range check
        return B.cached_positions_backward(self.mode, grad_output, x, positions, *self._args(), **self._options())


class _MinPool(_ExtremePool):
    """Min pooling layer: the max pooling layer with the minimum (ties to the first minimal element)."""

    mode = "min"


class _AvgPool(_Pool):
    """Average pooling layer.

    Args: ``kernel_size``, ``stride`` (default: ``kernel_size``), ``padding``, ``ceil_mode``,
    ``count_include_pad`` (None: True for integer padding, False for ``"same"``/``"valid"``),
    ``divisor_override`` as ``torch.nn.AvgPool2d``; ``data_format``, ``method``.

    - forward(x): ``(N, C, *L)`` -> ``(N, C, *O)``. Cache: ``x`` (its shape and dtype are all
      the backward pass needs: the average is linear).
    - backward(grad_output): ``(N, C, *O)`` -> ``dx``: each real element of window ``o`` gets
      ``grad_output[o] / divisor[o]``.
    """

    _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None, *, data_format="channels_first", method="auto"):
        super().__init__(data_format, method)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                self.divisor_override)

    def forward(self, x):
        y = F.avg_pool(x, *self._args(), **self._options())
        self.cache = x
        return y

    def backward(self, grad_output):
        return B.avg_pool_backward(grad_output, self._cached(), *self._args(), **self._options())


class _LPPool(_Pool):
    """Power-average (Lp) pooling layer: ``(sum over the window of x**p) ** (1/p)``.

    Args: ``norm_type`` (p), ``kernel_size``, ``stride`` (None: ``kernel_size``), ``ceil_mode``
    as ``torch.nn.LPPool2d``; ``data_format``, ``method``.

    - forward(x): floating-point ``(N, C, *L)`` -> ``(N, C, *O)``. Cache: a copy of ``x`` (the
      gradient depends on its values, so changing ``x`` in place afterwards must not change it).
    - backward(grad_output): ``(N, C, *O)`` -> ``dx`` (see :func:`poolkit.lp_pool2d_backward`;
      it recomputes the window sums from the cached ``x``).
    """

    _shown = ("norm_type", "kernel_size", "stride", "ceil_mode")

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False, *, data_format="channels_first",
                 method="auto"):
        super().__init__(data_format, method)
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def _args(self):
        return (self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def forward(self, x):
        y = F.lp_pool(x, *self._args(), **self._options())
        self.cache = np.array(x, copy=True)
        return y

    def backward(self, grad_output):
        return B.lp_pool_backward(grad_output, self._cached(), *self._args(), **self._options())


class _AdaptiveMaxPool(_Pool):
    """Adaptive max pooling layer: ``(N, C, *L) -> (N, C, *output_size)``, whatever ``L``.

    Args: ``output_size`` (an int, or one int or None per dimension), ``return_indices`` as
    ``torch.nn.AdaptiveMaxPool2d``; ``data_format``, ``method``.

    - forward(x): floating-point ``x``; cache ``(x, indices)``.
    - backward(grad_output): ``(N, C, *output_size)`` -> ``dx``, routed by the cached indices.
    """

    _shown = ("output_size",)

    def __init__(self, output_size, return_indices=False, *, data_format="channels_first", method="auto"):
        super().__init__(data_format, method)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        y, indices = F.adaptive_max_pool(x, self.output_size, True, **self._options())
        self.cache = (x, indices)
        return (y, indices) if self.return_indices else y

    def backward(self, grad_output):
        x, indices = self._cached()
        return B.adaptive_max_pool_backward(grad_output, x, self.output_size, indices=indices, **self._options())


class _AdaptiveAvgPool(_Pool):
    """Adaptive average pooling layer: ``(N, C, *L) -> (N, C, *output_size)``; ``output_size=1``
    is global average pooling.

    Args: ``output_size`` as ``torch.nn.AdaptiveAvgPool2d``; ``data_format``, ``method``.

    - forward(x): floating-point ``x``; cache ``x``.
    - backward(grad_output): ``(N, C, *output_size)`` -> ``dx``: each element of window ``o``
      gets ``grad_output[o] / len(window o)``.
    """

    _shown = ("output_size",)

    def __init__(self, output_size, *, data_format="channels_first", method="auto"):
        super().__init__(data_format, method)
        self.output_size = output_size

    def forward(self, x):
        y = F.adaptive_avg_pool(x, self.output_size, **self._options())
        self.cache = x
        return y

    def backward(self, grad_output):
        return B.adaptive_avg_pool_backward(grad_output, self._cached(), self.output_size, **self._options())


# ---------------------------------------------------------------- the layers, 1-D to 3-D
class MaxPool1d(_ExtremePool):
    """1-D max pooling layer, as ``torch.nn.MaxPool1d``.

    :func:`~poolkit.functional.max_pool1d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, dilation, return_indices, ceil_mode
        As :func:`~poolkit.functional.max_pool1d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.max_pool1d` (keyword only).

    Attributes
    ----------
    cache : (x, positions) or None
        The last forward's input and the flat positions in ``x`` of the elements it picked.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, L)`` or ``(C, L)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = MaxPool1d(2)
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y = pool(x)
    >>> y
    array([[[3., 5., 4.]]])
    >>> pool.backward(np.ones_like(y))
    array([[[0., 1., 0., 1., 1., 0.]]])
    """

    dims = 1


class MaxPool2d(_ExtremePool):
    """2-D max pooling layer, as ``torch.nn.MaxPool2d``.

    :func:`~poolkit.functional.max_pool2d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, dilation, return_indices, ceil_mode
        As :func:`~poolkit.functional.max_pool2d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.max_pool2d` (keyword only).

    Attributes
    ----------
    cache : (x, positions) or None
        The last forward's input and the flat positions in ``x`` of the elements it picked.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y = pool(x)
    >>> y
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[0., 0., 0., 0.],
             [0., 1., 0., 1.],
             [0., 0., 0., 0.],
             [0., 1., 0., 1.]]]])
    """

    dims = 2


class MaxPool3d(_ExtremePool):
    """3-D max pooling layer, as ``torch.nn.MaxPool3d``.

    :func:`~poolkit.functional.max_pool3d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, dilation, return_indices, ceil_mode
        As :func:`~poolkit.functional.max_pool3d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.max_pool3d` (keyword only).

    Attributes
    ----------
    cache : (x, positions) or None
        The last forward's input and the flat positions in ``x`` of the elements it picked.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = MaxPool3d(2)
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y = pool(x)
    >>> y
    array([[[[[7.]]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[[0., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 1.]]]]])
    """

    dims = 3


class MinPool1d(_MinPool):
    """1-D min pooling layer, as :class:`MaxPool1d` with the minimum.

    :func:`~poolkit.functional.min_pool1d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, dilation, return_indices, ceil_mode
        As :func:`~poolkit.functional.min_pool1d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.min_pool1d` (keyword only).

    Attributes
    ----------
    cache : (x, positions) or None
        The last forward's input and the flat positions in ``x`` of the elements it picked.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, L)`` or ``(C, L)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = MinPool1d(2)
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y = pool(x)
    >>> y
    array([[[1., 2., 0.]]])
    >>> pool.backward(np.ones_like(y))
    array([[[1., 0., 1., 0., 0., 1.]]])
    """

    dims = 1


class MinPool2d(_MinPool):
    """2-D min pooling layer, as :class:`MaxPool2d` with the minimum.

    :func:`~poolkit.functional.min_pool2d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, dilation, return_indices, ceil_mode
        As :func:`~poolkit.functional.min_pool2d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.min_pool2d` (keyword only).

    Attributes
    ----------
    cache : (x, positions) or None
        The last forward's input and the flat positions in ``x`` of the elements it picked.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = MinPool2d(2)
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y = pool(x)
    >>> y
    array([[[[ 0.,  2.],
             [ 8., 10.]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[1., 0., 1., 0.],
             [0., 0., 0., 0.],
             [1., 0., 1., 0.],
             [0., 0., 0., 0.]]]])
    """

    dims = 2


class MinPool3d(_MinPool):
    """3-D min pooling layer, as :class:`MaxPool3d` with the minimum.

    :func:`~poolkit.functional.min_pool3d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, dilation, return_indices, ceil_mode
        As :func:`~poolkit.functional.min_pool3d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.min_pool3d` (keyword only).

    Attributes
    ----------
    cache : (x, positions) or None
        The last forward's input and the flat positions in ``x`` of the elements it picked.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = MinPool3d(2)
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y = pool(x)
    >>> y
    array([[[[[0.]]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[[1., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 0.]]]]])
    """

    dims = 3


class AvgPool1d(_AvgPool):
    """1-D average pooling layer, as ``torch.nn.AvgPool1d``.

    :func:`~poolkit.functional.avg_pool1d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As :func:`~poolkit.functional.avg_pool1d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.avg_pool1d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        The last forward's input (only its shape and dtype matter: the average is linear).

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, L)`` or ``(C, L)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AvgPool1d(2)
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y = pool(x)
    >>> y
    array([[[2. , 3.5, 2. ]]])
    >>> pool.backward(np.ones_like(y))
    array([[[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]])
    """

    dims = 1


class AvgPool2d(_AvgPool):
    """2-D average pooling layer, as ``torch.nn.AvgPool2d``.

    :func:`~poolkit.functional.avg_pool2d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As :func:`~poolkit.functional.avg_pool2d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.avg_pool2d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        The last forward's input (only its shape and dtype matter: the average is linear).

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AvgPool2d(2)
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y = pool(x)
    >>> y
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[0.25, 0.25, 0.25, 0.25],
             [0.25, 0.25, 0.25, 0.25],
             [0.25, 0.25, 0.25, 0.25],
             [0.25, 0.25, 0.25, 0.25]]]])
    """

    dims = 2


class AvgPool3d(_AvgPool):
    """3-D average pooling layer, as ``torch.nn.AvgPool3d``.

    :func:`~poolkit.functional.avg_pool3d` with a ``backward`` pass.

    Parameters
    ----------
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As :func:`~poolkit.functional.avg_pool3d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.avg_pool3d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        The last forward's input (only its shape and dtype matter: the average is linear).

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AvgPool3d(2)
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y = pool(x)
    >>> y
    array([[[[[3.5]]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[[0.125, 0.125],
              [0.125, 0.125]],
    <BLANKLINE>
             [[0.125, 0.125],
              [0.125, 0.125]]]]])
    """

    dims = 3


class LPPool1d(_LPPool):
    """1-D power-average (Lp) pooling layer, as ``torch.nn.LPPool1d``.

    :func:`~poolkit.functional.lp_pool1d` with a ``backward`` pass.

    Parameters
    ----------
    norm_type, kernel_size, stride, ceil_mode
        As :func:`~poolkit.functional.lp_pool1d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.lp_pool1d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        A copy of the last forward's input (the gradient depends on its values).

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, L)`` or ``(C, L)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = LPPool1d(2, 2)
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y = pool(x)
    >>> y
    array([[[3.16227766, 5.38516481, 4.        ]]])
    >>> pool.backward(np.ones_like(y))
    array([[[0.31622777, 0.9486833 , 0.37139068, 0.92847669, 1.        ,
             0.        ]]])
    """

    dims = 1


class LPPool2d(_LPPool):
    """2-D power-average (Lp) pooling layer, as ``torch.nn.LPPool2d``.

    :func:`~poolkit.functional.lp_pool2d` with a ``backward`` pass.

    Parameters
    ----------
    norm_type, kernel_size, stride, ceil_mode
        As :func:`~poolkit.functional.lp_pool2d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.lp_pool2d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        A copy of the last forward's input (the gradient depends on its values).

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = LPPool2d(2, 2)
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y = pool(x)
    >>> y
    array([[[[ 6.4807407 ,  9.89949494],
             [21.40093456, 25.33771892]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[0.        , 0.15430335, 0.20203051, 0.30304576],
             [0.6172134 , 0.77151675, 0.60609153, 0.70710678],
             [0.37381545, 0.42054238, 0.39466852, 0.43413537],
             [0.56072318, 0.60745011, 0.55253593, 0.59200278]]]])
    """

    dims = 2


class LPPool3d(_LPPool):
    """3-D power-average (Lp) pooling layer, as ``torch.nn.LPPool3d``.

    :func:`~poolkit.functional.lp_pool3d` with a ``backward`` pass.

    Parameters
    ----------
    norm_type, kernel_size, stride, ceil_mode
        As :func:`~poolkit.functional.lp_pool3d` (``stride`` defaults to ``kernel_size``).
    data_format, method
        As :func:`~poolkit.functional.lp_pool3d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        A copy of the last forward's input (the gradient depends on its values).

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = LPPool3d(2, 2)
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y = pool(x)
    >>> y
    array([[[[[11.83215957]]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[[0.        , 0.08451543],
              [0.16903085, 0.25354628]],
    <BLANKLINE>
             [[0.3380617 , 0.42257713],
              [0.50709255, 0.59160798]]]]])
    """

    dims = 3


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """1-D adaptive max pooling layer, as ``torch.nn.AdaptiveMaxPool1d``.

    :func:`~poolkit.functional.adaptive_max_pool1d` with a ``backward`` pass.

    Parameters
    ----------
    output_size, return_indices
        As :func:`~poolkit.functional.adaptive_max_pool1d`.
    data_format, method
        As :func:`~poolkit.functional.adaptive_max_pool1d` (keyword only).

    Attributes
    ----------
    cache : (x, indices) or None
        The last forward's input and indices.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, L)`` or ``(C, L)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AdaptiveMaxPool1d(1)
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y = pool(x)
    >>> y
    array([[[5.]]])
    >>> pool.backward(np.ones_like(y))
    array([[[0., 0., 0., 1., 0., 0.]]])
    """

    dims = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """2-D adaptive max pooling layer, as ``torch.nn.AdaptiveMaxPool2d``.

    :func:`~poolkit.functional.adaptive_max_pool2d` with a ``backward`` pass.

    Parameters
    ----------
    output_size, return_indices
        As :func:`~poolkit.functional.adaptive_max_pool2d`.
    data_format, method
        As :func:`~poolkit.functional.adaptive_max_pool2d` (keyword only).

    Attributes
    ----------
    cache : (x, indices) or None
        The last forward's input and indices.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AdaptiveMaxPool2d(1)
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y = pool(x)
    >>> y
    array([[[[15.]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[0., 0., 0., 0.],
             [0., 0., 0., 0.],
             [0., 0., 0., 0.],
             [0., 0., 0., 1.]]]])
    """

    dims = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """3-D adaptive max pooling layer, as ``torch.nn.AdaptiveMaxPool3d``.

    :func:`~poolkit.functional.adaptive_max_pool3d` with a ``backward`` pass.

    Parameters
    ----------
    output_size, return_indices
        As :func:`~poolkit.functional.adaptive_max_pool3d`.
    data_format, method
        As :func:`~poolkit.functional.adaptive_max_pool3d` (keyword only).

    Attributes
    ----------
    cache : (x, indices) or None
        The last forward's input and indices.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AdaptiveMaxPool3d(1)
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y = pool(x)
    >>> y
    array([[[[[7.]]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[[0., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 1.]]]]])
    """

    dims = 3


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """1-D adaptive average pooling layer, as ``torch.nn.AdaptiveAvgPool1d``.

    :func:`~poolkit.functional.adaptive_avg_pool1d` with a ``backward`` pass.

    Parameters
    ----------
    output_size
        As :func:`~poolkit.functional.adaptive_avg_pool1d`.
    data_format, method
        As :func:`~poolkit.functional.adaptive_avg_pool1d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        The last forward's input.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, L)`` or ``(C, L)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AdaptiveAvgPool1d(1)
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y = pool(x)
    >>> y
    array([[[2.5]]])
    >>> pool.backward(np.ones_like(y))
    array([[[0.16666667, 0.16666667, 0.16666667, 0.16666667, 0.16666667,
             0.16666667]]])
    """

    dims = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """2-D adaptive average pooling layer, as ``torch.nn.AdaptiveAvgPool2d``.

    :func:`~poolkit.functional.adaptive_avg_pool2d` with a ``backward`` pass.

    Parameters
    ----------
    output_size
        As :func:`~poolkit.functional.adaptive_avg_pool2d`.
    data_format, method
        As :func:`~poolkit.functional.adaptive_avg_pool2d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        The last forward's input.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AdaptiveAvgPool2d(1)
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y = pool(x)
    >>> y
    array([[[[7.5]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[0.0625, 0.0625, 0.0625, 0.0625],
             [0.0625, 0.0625, 0.0625, 0.0625],
             [0.0625, 0.0625, 0.0625, 0.0625],
             [0.0625, 0.0625, 0.0625, 0.0625]]]])
    """

    dims = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """3-D adaptive average pooling layer, as ``torch.nn.AdaptiveAvgPool3d``.

    :func:`~poolkit.functional.adaptive_avg_pool3d` with a ``backward`` pass.

    Parameters
    ----------
    output_size
        As :func:`~poolkit.functional.adaptive_avg_pool3d`.
    data_format, method
        As :func:`~poolkit.functional.adaptive_avg_pool3d` (keyword only).

    Attributes
    ----------
    cache : ndarray or None
        The last forward's input.

    Notes
    -----
    ``forward(x)``: ``x`` of shape ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> the pooled output, cached
    for ``backward(grad_output)``, which returns the gradient with x's shape.

    Examples
    --------
    >>> pool = AdaptiveAvgPool3d(1)
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y = pool(x)
    >>> y
    array([[[[[3.5]]]]])
    >>> pool.backward(np.ones_like(y))
    array([[[[[0.125, 0.125],
              [0.125, 0.125]],
    <BLANKLINE>
             [[0.125, 0.125],
              [0.125, 0.125]]]]])
    """

    dims = 3

