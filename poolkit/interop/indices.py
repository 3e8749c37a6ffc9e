"""Max-pooling indices between the frameworks: :func:`torch_indices_to_tf` turns PyTorch's
``return_indices=True`` indices into ``tf.nn.max_pool_with_argmax``'s ``argmax``, and
:func:`tf_argmax_to_torch` goes the other way, checking that every index lies in its own
channel and batch element.
"""

from __future__ import annotations

import numpy as np

from ..geometry import show


def torch_indices_to_tf(indices, input_shape, include_batch_in_index=False) -> np.ndarray:
    """PyTorch's max-pooling indices as ``tf.nn.max_pool_with_argmax``'s ``argmax``.

    Inputs:
    - indices: ``(N, C, *O)`` ints, from ``F.max_pool*d(x, ..., return_indices=True)``: the flat
      position of each maximum in its own ``(n, c)`` plane, ``i = h * W + w`` (2-D).
    - input_shape: ``(N, C, *L)``, the shape of the pooled ``x``.
    - include_batch_in_index: as in TensorFlow.

    Returns int64 ``(N, *O, C)`` (channels-last, as TensorFlow's), with

        argmax = i * C + c   (+ n * prod(L) * C  if include_batch_in_index),

    i.e. the flat position in the whole ``(H, W, C)`` (or ``(N, H, W, C)``) input.
    """
    idx = _int_array(indices, "indices")
    shape = _full_shape(input_shape, idx, "input_shape")
    n, c, plane = shape[0], shape[1], int(np.prod(shape[2:]))
    if idx.shape[:2] != (n, c):
        raise ValueError(f"indices has shape {idx.shape} but input_shape={show(input_shape)}: batch and channels "
                         "must match (both channels-first)")
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise ValueError(f"indices must lie in [0, {plane}) (one {'x'.join(map(str, shape[2:]))} plane), "
                         f"got {idx.min() if idx.min() < 0 else idx.max()}")
    dims = idx.ndim - 2
    channel = np.arange(c).reshape((1, c) + (1,) * dims)
    out = idx * c + channel
    if _bool(include_batch_in_index, "include_batch_in_index"):
        out = out + np.arange(n).reshape((n,) + (1,) * (dims + 1)) * (plane * c)
    return np.moveaxis(out, 1, -1)


def tf_argmax_to_torch(argmax, input_shape, include_batch_in_index=False) -> np.ndarray:
    """``tf.nn.max_pool_with_argmax``'s ``argmax`` as PyTorch's max-pooling indices.

    Inputs:
    - argmax: ``(N, *O, C)`` ints, the flat position of each maximum in the ``(H, W, C)`` input
      (``(N, H, W, C)`` with ``include_batch_in_index``).
    - input_shape: ``(N, *L, C)``, the shape of the pooled ``x`` (channels-last).
    - include_batch_in_index: as given to TensorFlow.

    Returns int64 ``(N, C, *O)`` (channels-first, as PyTorch's): ``i = (argmax - n * prod(L) * C) // C``,
    the position in the ``(n, c)`` plane. Raises ValueError if an index does not belong to its own
    channel (or batch element), e.g. when ``include_batch_in_index`` does not match.
    """
    arg = _int_array(argmax, "argmax")
    shape = _full_shape(input_shape, arg, "input_shape")
    n, c, plane = shape[0], shape[-1], int(np.prod(shape[1:-1]))
    if (arg.shape[0], arg.shape[-1]) != (n, c):
        raise ValueError(f"argmax has shape {arg.shape} but input_shape={show(input_shape)}: batch and channels "
                         "must match (both channels-last)")
    dims = arg.ndim - 2
    if _bool(include_batch_in_index, "include_batch_in_index"):
        batch = arg // (plane * c)
        if not np.array_equal(batch, np.broadcast_to(np.arange(n).reshape((n,) + (1,) * (dims + 1)), arg.shape)):
            raise ValueError("argmax: an index points into another batch element; was it computed with "
                             "include_batch_in_index=True?")
        arg = arg - batch * (plane * c)
    elif arg.size and (arg.min() < 0 or arg.max() >= plane * c):
        raise ValueError(f"argmax must lie in [0, {plane * c}) without the batch term; pass "
                         "include_batch_in_index=True if TensorFlow was asked to include it")
    if not np.array_equal(arg % c, np.broadcast_to(np.arange(c), arg.shape)):
        raise ValueError("argmax: an index points into another channel; is input_shape channels-last?")
    return np.moveaxis(arg // c, -1, 1)


def _int_array(value, name):
    a = np.asarray(value)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} has dtype {a.dtype}; indices are integers")
    if not 3 <= a.ndim <= 5:
        raise ValueError(f"{name} has shape {a.shape}; expected (N, C, *O) or (N, *O, C) with 1 to 3 spatial dims")
    return a.astype(np.int64)


def _full_shape(shape, like, name):
    shape = tuple(int(v) for v in shape)
    if len(shape) != like.ndim:
        raise ValueError(f"{name}={show(shape)} must have {like.ndim} entries, one per axis of the indices")
    return shape


def _bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)

