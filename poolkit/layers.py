"""Pooling layers: configured once, then ``forward`` and ``backward``, for small numpy networks.

Each layer takes ``torch.nn``'s constructor arguments (plus ``data_format`` and
``method``, as the functions do) and works like a layer in cs231n's assignments::

    pool = MaxPool2d(2)
    y = pool(x)               # same as pool.forward(x): caches what backward needs
    dx = pool.backward(dy)    # gradient with respect to the last forward's x

The cache (``layer.cache``) holds the forward's input, and for max and min
pooling where the elements the forward pass chose lie in ``x`` (flat positions,
``return_indices="positions"``), so ``backward`` routes the gradient with one
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
    """Max pooling layer.

    Args: ``kernel_size``, ``stride`` (default: ``kernel_size``), ``padding`` (int, tuple,
    ``"valid"`` or ``"same"``), ``dilation``, ``return_indices``, ``ceil_mode`` as
    ``torch.nn.MaxPool2d``; ``data_format``, ``method`` as :func:`poolkit.max_pool2d`.

    - forward(x): ``x`` ``(N, C, *L)`` or ``(C, *L)`` -> ``y`` ``(N, C, *O)`` (and the int64
      indices too if ``return_indices``). Cache: ``(x, positions)``, the flat position in
      ``x`` of each chosen element (see :func:`poolkit.max_pool2d`).
    - backward(grad_output): ``(N, C, *O)`` -> ``dx`` shaped like ``x``: each gradient goes to
      the element the forward pass chose (first on ties), accumulating where windows overlap.
    """

    mode, _forward = "max", staticmethod(F.max_pool)
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
        y, positions = self._forward(x, *self._args(), return_indices="positions", **self._options())
        self.cache = (x, positions)
        if self.return_indices:
            return y, F.plane_indices(positions, x, dims=self.dims, data_format=self.data_format)
        return y

    def backward(self, grad_output):
        x, positions = self._cached()     # the forward's own positions: scattered without a range check
        return B.cached_positions_backward(self.mode, grad_output, x, positions, *self._args(), dims=self.dims,
                                           data_format=self.data_format)


class _MinPool(_ExtremePool):
    __doc__ = _ExtremePool.__doc__.replace("Max pooling layer.", "Min pooling layer: the max pooling layer with "
                                           "the minimum (ties to the first minimal element).")
    mode, _forward = "min", staticmethod(F.min_pool)


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

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=None,
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


def _with_dims(base, name):
    """``_ExtremePool`` -> ``MaxPool1d, MaxPool2d, MaxPool3d``: subclasses with ``dims`` fixed."""
    spatial = {1: "L", 2: "H, W", 3: "D, H, W"}
    return tuple(type(f"{name}{d}d", (base,), {
        "dims": d, "__module__": __name__, "__qualname__": f"{name}{d}d",
        "__doc__": f"{d}-D {base.__doc__[0].lower()}{base.__doc__[1:]}\n    Spatial dims: ({spatial[d]}).\n"})
        for d in (1, 2, 3))


MaxPool1d, MaxPool2d, MaxPool3d = _with_dims(_ExtremePool, "MaxPool")
MinPool1d, MinPool2d, MinPool3d = _with_dims(_MinPool, "MinPool")
AvgPool1d, AvgPool2d, AvgPool3d = _with_dims(_AvgPool, "AvgPool")
LPPool1d, LPPool2d, LPPool3d = _with_dims(_LPPool, "LPPool")
AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d = _with_dims(_AdaptiveMaxPool, "AdaptiveMaxPool")
AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d = _with_dims(_AdaptiveAvgPool, "AdaptiveAvgPool")
