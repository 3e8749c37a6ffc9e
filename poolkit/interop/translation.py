"""Translate a pooling layer between PyTorch and TensorFlow, exactly.

Porting a model between the two frameworks is where pooling silently changes
results: TensorFlow's ``"SAME"`` has no PyTorch counterpart, PyTorch averages
count the padding by default and TensorFlow's never do, ``ceil_mode`` and
``divisor_override`` exist only in PyTorch, the layouts differ (NCHW and NHWC),
and so do the index formulas. This module writes the exact equivalent of a
pooling layer in the other framework:

- :func:`to_torch` takes a TensorFlow/Keras pooling layer's parameters and
  returns PyTorch code; :func:`to_tensorflow` goes the other way.
- Both return a :class:`Translation`: the translation **as data** (``steps``,
  each an operation with its parameters and the reason it is there), **as code**
  (``code``: a self-contained function ``pool(x)`` a reader can paste), and as a
  callable that runs exactly that code (``translation(x)``; numpy in, numpy out,
  or a framework tensor in and out).
- :func:`torch_indices_to_tf` and :func:`tf_argmax_to_torch` convert max-pooling
  indices between ``return_indices=True`` and ``tf.nn.max_pool_with_argmax``.
- :func:`translate_model` translates every pooling layer of a small PyTorch or
  Keras model and :meth:`ModelTranslation.compare` checks each one on random inputs.

The constructions, per direction (``k`` kernel, ``s`` stride, ``p`` padding,
``K`` the number of taps in a window):

TensorFlow to PyTorch
    ``"VALID"`` is ``padding=0``. ``"SAME"`` pads ``need = (ceil(L/s) - 1)*s + k - L``
    (at least 0), ``need // 2`` before and the rest after: when the split is
    symmetric it is PyTorch's ``padding`` (``count_include_pad=False`` for averages,
    since TensorFlow divides by the real elements only); otherwise an explicit
    ``F.pad`` with ``-inf`` for max, and for average a zero pad whose mean is
    divided by the mean of a padded tensor of ones (the fraction of the window
    that is real). Explicit padding (``tf.nn.max_pool1d/2d``) is an ``F.pad`` too.
PyTorch to TensorFlow
    When PyTorch's windows (and divisors) for the given input are exactly those
    of ``"VALID"`` or ``"SAME"``, that is the translation. Otherwise ``tf.pad``
    with ``-inf`` (max) or zeros (average), then ``"VALID"``; ``ceil_mode`` is
    extra padding on the right; ``count_include_pad=False`` and ``ceil_mode``'s
    short windows divide by a pooled mask of ones; ``divisor_override=d`` scales
    the mean by ``K/d``; dilation is ``tf.nn.pool`` at stride 1, then every
    ``s``-th window (``tf.nn.pool`` refuses a stride with a dilation).

Translations are exact to the bit for max pooling and to float rounding for
averages, for every input without NaN and without a window of only ``-inf``.
There the frameworks differ on purpose (TensorFlow's ``max_pool`` skips NaN and
never returns less than the dtype's lowest value; PyTorch propagates NaN and
returns ``-inf``); ``match_special=True`` adds the lines that reproduce the
target's behaviour too. Configurations with no exact equivalent (an average
with dilation, adaptive pooling whose windows vary, Lp and fractional pooling)
raise a ValueError that says why.

Nothing here imports PyTorch or TensorFlow until a translation is run.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import textwrap
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Optional, Tuple

import numpy as np

from .functional import _counts
from .geometry import Axis, _show, build_axes, to_tuple

__all__ = ["Step", "Translation", "to_torch", "to_tensorflow", "torch_indices_to_tf", "tf_argmax_to_torch",
           "translate_model", "ModelTranslation", "LayerTranslation"]

_FIRST = {"channels_first": 0, "NCW": 1, "NCHW": 2, "NCDHW": 3}
_LAST = {"channels_last": 0, "NWC": 1, "NHWC": 2, "NDHWC": 3}
_LETTERS = {1: "W", 2: "HW", 3: "DHW"}
_WIDTH = 84  # longest line of the code a translation writes


# ---------------------------------------------------------------- the result
@dataclass(frozen=True)
class Step:
    """One statement of a translation.

    ``op`` names the operation (``"guard"``, ``"layout"``, ``"special"``, ``"pad"``,
    ``"mask"``, ``"pool"``, ``"divide"``, ``"scale"``, ``"slice"``, ``"flatten"``),
    ``params`` holds its numbers, ``code`` is the Python statement and ``why`` the
    reason it is needed (also the statement's comment).
    """

    op: str
    code: str
    why: str = ""
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Translation:
    """A pooling layer rewritten for the other framework: data, code, and a callable.

    Attributes
    ----------
    framework : ``"torch"`` or ``"tensorflow"``
        What the code runs on.
    source : str
        The layer that was translated, as the call its own framework would make.
    steps : tuple of :class:`Step`
        The function body, statement by statement; the result is ``y``.
    layout : ``"channels_first"`` or ``"channels_last"``
        The layout of the tensors the code takes and returns.
    input_shape, output_shape : tuple or None
        The shapes (in ``layout``) the translation was made for; ``None`` entries
        are free. ``output_shape`` is None when no input shape was given.
    size_specific : bool
        The code is right only for ``input_shape``'s spatial size (SAME's split,
        ``ceil_mode``, adaptive windows depend on it); the code checks the size.
    name : str
        The function's name in :attr:`code`.
    """

    framework: str
    source: str
    steps: Tuple[Step, ...]
    layout: str
    input_shape: Optional[tuple]
    output_shape: Optional[tuple]
    size_specific: bool
    name: str = "pool"

    @property
    def imports(self) -> Tuple[str, ...]:
        """The import lines :attr:`function_code` needs."""
        body = "\n".join(step.code for step in self.steps)
        lines = ["import math", ""] if "math." in body else []
        if self.framework == "torch":
            lines += ["import torch"] if re.search(r"\btorch\.", body) else []
            lines += ["import torch.nn.functional as F"] if re.search(r"\bF\.", body) else []
        else:
            lines += ["import tensorflow as tf"]
        return tuple(lines)

    @property
    def function_code(self) -> str:
        """The function alone (no imports)."""
        doc = f'    """Equivalent of {self.source}."""'
        if len(doc) > _WIDTH:
            text = textwrap.fill(f"Equivalent of {self.source}.", _WIDTH - 4, break_long_words=False,
                                 break_on_hyphens=False)
            doc = '    """' + textwrap.indent(text, "    ")[4:] + '\n    """'
        body = []
        for step in self.steps:
            lines = step.code.splitlines()
            if step.why and 4 + len(lines[0]) + 4 + len(step.why) <= _WIDTH:
                lines[0] += f"  # {step.why}"
            elif step.why:
                lines[:0] = textwrap.wrap(step.why, _WIDTH - 6, initial_indent="# ", subsequent_indent="# ")
            body += ["    " + wrapped for line in lines for wrapped in _wrap(line, _WIDTH - 4)]
        return "\n".join([f"def {self.name}(x):", doc] + body + ["    return y"])

    @property
    def code(self) -> str:
        """A self-contained module: the imports, then ``def pool(x): ...``."""
        return "\n".join(self.imports) + "\n\n\n" + self.function_code + "\n"

    def __str__(self):
        return self.code

    @property
    def summary(self) -> str:
        """The steps in a few words, e.g. ``"pad -inf, max_pool2d VALID"``."""
        words = []
        for step in self.steps:
            p = step.params
            if step.op == "pad" and not step.code.startswith("mask"):
                words.append("pad " + ("-inf" if p["value"] else "0"))
            elif step.op == "pool":
                name = p.get("function", "").split(".")[-1] or re.search(r"tf\.nn\.(\w+)", step.code).group(1)
                padding = p.get("padding")
                words.append(name + (f" {padding}" if isinstance(padding, str) else
                                     f" padding={_lit(padding)}" if padding else ""))
            elif step.op in ("divide", "scale", "special", "flatten"):
                words.append({"divide": "/ pooled mask", "scale": "scale", "special": "special values",
                              "flatten": "flatten"}[step.op])
        return ", ".join(dict.fromkeys(words))

    def __repr__(self):
        shape = "" if self.input_shape is None else f" for input {_shape_text(self.input_shape)}"
        return f"<Translation to {self.framework}{shape}: {self.source}>"

    @cached_property
    def function(self):
        """The compiled :attr:`code`: a function of one framework tensor."""
        _framework(self.framework)
        namespace: dict = {}
        exec(compile(self.code, f"<poolkit.interop: {self.name}>", "exec"), namespace)
        return namespace[self.name]

    def __call__(self, x):
        """Run the translated code. A numpy array gives a numpy array back; a tensor of
        the target framework gives a tensor back."""
        if isinstance(x, np.ndarray) or np.isscalar(x):
            mod = _framework(self.framework)
            x = np.ascontiguousarray(x)
            tensor = mod.from_numpy(x) if self.framework == "torch" else mod.constant(x)
            return np.asarray(self.function(tensor))
        return self.function(x)


def _framework(name):
    """Import PyTorch or TensorFlow (with TensorFlow's C++ logging silenced first)."""
    if name == "torch":
        import torch

        return torch
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow

    return tensorflow


# ---------------------------------------------------------------- rendering
def _lit(value, compress=True) -> str:
    """A parameter as source text: ``3`` for ``(3, 3)`` when ``compress``, ``-math.inf`` for -inf."""
    if isinstance(value, tuple):
        if compress and value and len(set(value)) == 1 and not isinstance(value[0], tuple):
            return _lit(value[0])
        return "(" + ", ".join(_lit(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float) and math.isinf(value):
        return "-math.inf" if value < 0 else "math.inf"
    return repr(value)


def _call(function, first, **kwargs) -> str:
    args = [first] + [f"{k}={v if isinstance(v, _Raw) else _lit(v)}" for k, v in kwargs.items()]
    return f"{function}({', '.join(args)})"


class _Raw(str):
    """Source text used as is by :func:`_call`."""


def _wrap(line, width):
    """Break a long statement after the commas of its first call, aligned under the first argument."""
    if len(line) <= width or "(" not in line or line.lstrip().startswith("#"):
        return [line]
    start = line.index("(") + 1
    parts, depth, last, quote = [], 0, start, None
    for i in range(start, len(line)):
        ch = line[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(line[last:i + 1])
            last = i + 2
    parts.append(line[last:])
    lines, current = [], line[:start]
    for part in parts:
        candidate = current + ("" if current.endswith("(") else " ") + part
        if len(candidate) > width and not current.endswith("("):
            lines.append(current)
            current = " " * start + part
        else:
            current = candidate
    return lines + [current]


def _shape_text(shape) -> str:
    return "(" + ", ".join("N" if i == 0 and v is None else ("C" if v is None else str(v))
                           for i, v in enumerate(shape)) + ("," if len(shape) == 1 else "") + ")"


def _spatial_index(dims, last) -> str:
    return f"1:{dims + 1}" if last else f"2:{dims + 2}"


def _guard(spatial, dims, last, reason) -> Step:
    size = _lit(tuple(spatial), compress=False)
    code = (f"size = tuple(x.shape[{_spatial_index(dims, last)}])\n"
            f"if size != {size}:  # {reason}\n"
            f"    raise ValueError(f\"made for spatial size {size}, got {{size}}\")")
    return Step("guard", code, "", {"spatial_size": tuple(spatial)})


def _perm_to_last(dims):
    return (0,) + tuple(range(2, dims + 2)) + (1,)


def _perm_to_first(dims):
    return (0, dims + 1) + tuple(range(1, dims + 1))


def _layout_name(dims, last):
    return ("N" + _LETTERS[dims] + "C") if last else ("NC" + _LETTERS[dims])


# ---------------------------------------------------------------- argument handling
def _kind(kind, allowed):
    """``"max"`` or ``"max_pool2d"`` -> ``("max", 0 or 2)``: the kind and the dims its name gives."""
    m = re.fullmatch(r"([a-z_]+?)(?:_pool([123])d)?", kind.lower()) if isinstance(kind, str) else None
    if m is None or m.group(1) not in allowed:
        raise ValueError(f"kind={kind!r} must be one of {', '.join(map(repr, allowed))} "
                         "(optionally named with its dims, e.g. 'max_pool2d')")
    return m.group(1), int(m.group(2) or 0)


def _channels_last(value, name):
    """``True`` for a channels-last name, ``False`` for channels-first; the number of dims it implies (0: any)."""
    if value in _LAST:
        return True, _LAST[value]
    if value in _FIRST:
        return False, _FIRST[value]
    raise ValueError(f"{name}={value!r} must be 'channels_last' or 'channels_first' "
                     f"(or one of {', '.join(sorted(set(_LAST) | set(_FIRST) - {'channels_last', 'channels_first'}))})")


def _dims_from(name_dims, input_shape, *tuples):
    """The number of spatial dims, from the first source that tells: input_shape, a named layout, a tuple."""
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)) or not 3 <= len(input_shape) <= 5:
            raise ValueError(f"input_shape={_show(input_shape)} must be the full input shape "
                             "(batch, channels and 1 to 3 spatial sizes; None for a free batch size)")
        dims = len(input_shape) - 2
        if name_dims and name_dims != dims:
            raise ValueError(f"input_shape={_show(input_shape)} has {dims} spatial dimensions but the layer "
                             f"pools {name_dims}-D data")
        return dims
    if name_dims:
        return name_dims
    for value, _ in tuples:
        if isinstance(value, (tuple, list)) and 1 <= len(value) <= 3:
            return len(value)
    names = " or ".join(n for _, n in tuples)
    raise ValueError(f"cannot tell how many spatial dimensions the layer pools: give input_shape, name the "
                     f"kind with its dims (e.g. 'max_pool2d'), or give {names} as a tuple")


def _shape(input_shape, last):
    """``(N, C, spatial)`` of an input_shape (ints or None); spatial sizes must be positive ints or None."""
    if input_shape is None:
        return None, None, None
    shape = tuple(input_shape)
    for v in shape:
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0):
            raise ValueError(f"input_shape={_show(input_shape)} must hold non-negative ints or None")
    n, c, spatial = (shape[0], shape[-1], shape[1:-1]) if last else (shape[0], shape[1], shape[2:])
    if any(v is None for v in spatial):
        spatial = None
    elif min(spatial) < 1:
        raise ValueError(f"input_shape={_show(input_shape)}: every spatial size must be at least 1")
    return n, c, spatial


def _tf_window(value, dims, name, last):
    """TensorFlow's ksize/strides/dilations: an int, ``dims`` ints, or ``dims + 2`` with 1 at batch and channels."""
    if isinstance(value, (tuple, list)) and len(value) == dims + 2:
        outer = (value[0], value[-1]) if last else (value[0], value[1])
        if outer != (1, 1):
            raise ValueError(f"{name}={_show(value)} must be 1 in the batch and channel entries "
                             "(pooling across them has no PyTorch equivalent)")
        value = tuple(value[1:-1]) if last else tuple(value[2:])
    return to_tuple(value, dims, name, minimum=1)


def _explicit_pads(padding, dims, last):
    """tf.nn.max_pool's explicit padding: ``[[0, 0], [b, a], ..., [0, 0]]`` or one ``(b, a)`` per spatial dim."""
    rows = [tuple(r) if isinstance(r, (tuple, list)) else r for r in padding]
    if not all(isinstance(r, tuple) and len(r) == 2 for r in rows):
        raise ValueError(f"padding={_show(padding)} must be 'SAME', 'VALID' or explicit pairs "
                         f"[[0, 0], [before, after], ..., [0, 0]]")
    if len(rows) == dims + 2:
        outer = [rows[0], rows[-1]] if last else [rows[0], rows[1]]
        if any(r != (0, 0) for r in outer):
            raise ValueError(f"padding={_show(padding)} must be [0, 0] for the batch and channel dimensions "
                             "(TensorFlow's rule)")
        rows = rows[1:-1] if last else rows[2:]
    if len(rows) != dims:
        raise ValueError(f"padding={_show(padding)} must hold {dims} (before, after) pairs, or {dims + 2} "
                         "with the batch and channel ones")
    for r in rows:
        for v in r:
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0:
                raise ValueError(f"padding={_show(padding)} must hold non-negative ints")
    return tuple((int(b), int(a)) for b, a in rows)


def _source_call(function, first, **kwargs):
    """Render the source layer's call, leaving out arguments at their defaults (passed as None)."""
    return _call(function, first, **{k: v for k, v in kwargs.items() if v is not None})


# ---------------------------------------------------------------- TensorFlow -> PyTorch
def to_torch(kind, pool_size=None, strides=None, padding="VALID", data_format="channels_last", input_shape=None,
             dilations=1, *, keepdims=False, layout=None, match_special=False, _source=None) -> Translation:
    """The PyTorch equivalent of a TensorFlow (or Keras) pooling layer.

    Parameters
    ----------
    kind : ``"max"``, ``"avg"``, ``"global_max"`` or ``"global_avg"``
        ``tf.nn.max_pool*``/``MaxPooling*D``, ``tf.nn.avg_pool*``/``AveragePooling*D``,
        ``GlobalMaxPooling*D``, ``GlobalAveragePooling*D``.
    pool_size, strides : int or tuple
        TensorFlow's ``ksize`` and ``strides`` (also in the ``[1, k, k, 1]`` form);
        ``strides=None`` means ``pool_size``, as in Keras. Unused for global kinds.
    padding : ``"VALID"``, ``"SAME"`` (any case), or explicit pairs
        Explicit padding (``[[0, 0], [b, a], ..., [0, 0]]``) exists for ``tf.nn.max_pool1d/2d`` only,
        each pad smaller than the window, as TensorFlow requires.
    data_format : str
        The TensorFlow layer's layout: ``"channels_last"`` (``"NWC"``, ``"NHWC"``, ``"NDHWC"``;
        the default) or ``"channels_first"`` (``"NCW"``, ``"NCHW"``, ``"NCDHW"``).
    input_shape : tuple, optional
        The full input shape in ``data_format``'s layout, e.g. ``(None, 7, 7, 3)``.
        Required for ``"SAME"`` (its split depends on the size) and for global kinds
        with ``keepdims``; it also gives the number of spatial dims.
    dilations : int or tuple
        ``tf.nn.pool``'s; TensorFlow allows them only with ``"VALID"`` and stride 1.
    keepdims : bool
        Global kinds: keep the pooled dims as size 1 (Keras' ``keepdims``).
    layout : str, optional
        Layout of the tensors the PyTorch code takes and returns; defaults to
        ``data_format`` (a drop-in replacement). ``"channels_first"`` gives native
        PyTorch code for a ported model.
    match_special : bool
        Also reproduce TensorFlow's special values for max pooling: NaN skipped, and
        never less than the dtype's lowest value (1-D and 2-D; TensorFlow's 3-D CPU
        kernels disagree with each other here).

    Returns
    -------
    :class:`Translation` whose code takes ``x`` in ``layout``, shaped as ``input_shape``.
    """
    kind, kind_dims = _kind(kind, ("max", "avg", "global_max", "global_avg"))
    last, named = _channels_last(data_format, "data_format")
    if kind_dims and named and kind_dims != named:
        raise ValueError(f"kind={kind!r} pools {kind_dims}-D data but data_format={data_format!r} is {named}-D")
    dims = _dims_from(named or kind_dims, input_shape, (pool_size, "pool_size"), (strides, "strides"))
    code_last = last if layout is None else _channels_last(layout, "layout")[0]
    n, c, spatial = _shape(input_shape, last)
    fmt = data_format if named else _layout_name(dims, last)
    if kind.startswith("global"):
        return _global_to_torch(kind, dims, code_last, n, c, spatial, keepdims, _source or _call(
            "tf.reduce_" + ("max" if kind == "global_max" else "mean"), "x",
            axis=_Raw(_lit(tuple(range(1, dims + 1) if last else range(2, dims + 2)), compress=False)),
            keepdims=keepdims))
    if pool_size is None:
        raise ValueError(f"pool_size is required for kind={kind!r}")
    k = _tf_window(pool_size, dims, "pool_size", last)
    s = k if strides is None else _tf_window(strides, dims, "strides", last)
    d = _tf_window(dilations, dims, "dilations", last)
    if isinstance(padding, str):
        mode = padding.upper()
        if mode not in ("SAME", "VALID"):
            raise ValueError(f"padding={padding!r} must be 'SAME', 'VALID' or explicit pairs")
        pads = None
    else:
        mode, pads = "EXPLICIT", _explicit_pads(padding, dims, last)
    dilated = any(v > 1 for v in d)
    function = f"tf.nn.{kind}_pool{dims}d"
    if dilated:
        function = "tf.nn.pool"
        if kind == "avg":
            raise ValueError(f"dilations={_show(dilations)} with kind='avg' has no PyTorch equivalent: "
                             "torch.nn.functional.avg_pool has no dilation (a depthwise F.conv with a dilated "
                             "kernel of 1/K would compute it, but not as a pooling call)")
        if mode != "VALID" or any(v > 1 for v in s):
            raise ValueError(f"dilations={_show(dilations)} needs padding='VALID' and strides=1: tf.nn.pool "
                             "refuses SAME and strides > 1 with a dilation")
    if mode == "EXPLICIT":
        if kind != "max" or dims == 3:
            raise ValueError(f"padding={_show(padding)}: explicit padding exists only for tf.nn.max_pool1d and "
                             "max_pool2d; TensorFlow's avg_pool and max_pool3d take 'SAME' or 'VALID'")
        for i, ((b, a), ki) in enumerate(zip(pads, k)):
            if b >= ki or a >= ki:
                raise ValueError(f"padding={_show(padding)}: pad {max(b, a)} in spatial dimension {i} must be "
                                 f"smaller than the window size {ki} (TensorFlow's rule)")
    special = match_special and kind == "max"
    if special and dims == 3:
        raise ValueError("match_special=True with a 3-D max pool: TensorFlow's two CPU kernels for max_pool3d "
                         "treat NaN and -inf differently (one depends on the order of the window), so there "
                         "is no single behaviour to reproduce")
    if mode == "SAME" and spatial is None:
        raise ValueError("padding='SAME' depends on the input size: give input_shape with the spatial sizes")

    # Each spatial dimension's windows, when the size is known.
    axes = None
    if spatial is not None:
        if pads is None:
            axes = build_axes(spatial, k, s, mode.lower(), d)
        else:
            axes = []
            for i, (L, ki, si, (b, a)) in enumerate(zip(spatial, k, s, pads)):
                out = (L + b + a - ki) // si + 1
                if out < 1:
                    raise ValueError(f"padding={_show(padding)}: input size {L} padded by {b + a} is smaller "
                                     f"than the window {ki} in spatial dimension {i}")
                axes.append(Axis.regular_windows(L, ki, si, 1, b, a, out))
        pads = tuple(a.padding() for a in axes)
    elif pads is None:
        pads = ((0, 0),) * dims  # VALID

    source = _source or _call(function, "x", **(
        dict(window_shape=_Raw(_lit(k, compress=False)), pooling_type="MAX", strides=s, padding=mode,
             dilations=_Raw(_lit(d, compress=False))) if dilated else
        dict(ksize=k, strides=s, padding=mode if pads is None or mode != "EXPLICIT" else _Raw(_tf_pads_text(
            pads, last)), data_format=fmt)))

    steps = []
    if mode == "SAME":
        steps.append(_guard(spatial, dims, code_last, "SAME's padding depends on the input size"))
    if code_last:
        steps.append(Step("layout", f"x = x.permute{_perm_to_first(dims)}",
                          f"{_layout_name(dims, True)} -> {_layout_name(dims, False)}: PyTorch pools channels-first",
                          {"perm": _perm_to_first(dims)}))
    pool = f"F.{kind}_pool{dims}d"
    symmetric = all(b == a for b, a in pads)
    padded = any(b or a for b, a in pads)
    if kind == "max":
        if special:
            steps.append(Step("special", "x = torch.where(torch.isnan(x), -math.inf, x)",
                              "TensorFlow's max_pool skips NaN", {}))
        kw = dict(kernel_size=k, stride=s)
        if padded and symmetric and all(b <= ki // 2 for (b, _), ki in zip(pads, k)):
            kw["padding"] = tuple(b for b, _ in pads)
        elif padded:
            steps.append(_torch_pad(pads, -math.inf, "pad with -inf, which max never picks"))
        if dilated:
            kw["dilation"] = d
        steps.append(Step("pool", "y = " + _call(pool, "x", **kw), "", dict(function=pool, **kw)))
        if special:
            steps.append(Step("special", "y = y.clamp(min=torch.finfo(y.dtype).min)",
                              "and never returns less than the dtype's lowest value", {}))
    else:
        kw = dict(kernel_size=k, stride=s)
        fits = dims < 3 or all(L >= ki for L, ki in zip(spatial or k, k))  # avg_pool3d wants L >= k
        if not padded:
            steps.append(Step("pool", "y = " + _call(pool, "x", **kw), "", dict(function=pool, **kw)))
        elif symmetric and fits:
            kw.update(padding=tuple(b for b, _ in pads), count_include_pad=False)
            steps.append(Step("pool", "y = " + _call(pool, "x", **kw), "TensorFlow divides by the real elements",
                              dict(function=pool, **kw)))
        else:
            steps += _mask_steps("torch", pads, "zeros, which TensorFlow's SAME does not count")
            steps += _divide_steps(pool, kw)
    if code_last:
        steps.append(Step("layout", f"y = y.permute{_perm_to_last(dims)}",
                          f"back to {_layout_name(dims, True)}", {"perm": _perm_to_last(dims)}))

    out_shape = None
    if axes is not None:
        o = tuple(a.out for a in axes)
        out_shape = (n,) + o + (c,) if code_last else (n, c) + o
    in_shape = None if input_shape is None else _relayout(tuple(input_shape), last, code_last)
    return Translation("torch", source, tuple(steps), "channels_last" if code_last else "channels_first",
                       in_shape, out_shape, mode == "SAME")


def _relayout(shape, last, to_last):
    if last == to_last:
        return shape
    if to_last:
        return (shape[0],) + shape[2:] + (shape[1],)
    return (shape[0], shape[-1]) + shape[1:-1]


def _tf_pads_text(pads, last):
    rows = [list(p) for p in pads]
    rows = [[0, 0]] + rows + [[0, 0]] if last else [[0, 0], [0, 0]] + rows
    return repr(rows)


def _torch_pad(pads, value, why, var="x"):
    flat = tuple(v for b_a in reversed(pads) for v in b_a)
    code = f"{var} = " + (_call("F.pad", var, pad=_Raw(_lit(flat, compress=False)), value=value) if value
                          else _call("F.pad", var, pad=_Raw(_lit(flat, compress=False))))
    sides = {1: "(left, right)", 2: "(left, right, top, bottom)", 3: "(left, right, top, bottom, front, back)"}
    if why:
        why = f"{why}; F.pad lists {sides[len(pads)]}"
    return Step("pad", code, why, {"pads": pads, "value": value})


def _tf_pad(pads, value, why, var="x"):
    rows = _Raw(repr([[0, 0]] + [list(p) for p in pads] + [[0, 0]]))
    kw = {"constant_values": value} if value else {}
    return Step("pad", f"{var} = " + _call("tf.pad", var, paddings=rows, **kw), why, {"pads": pads, "value": value})


def _mask_steps(framework, pads, why):
    """A mask of ones (1 = a counted tap), then x and mask padded with zeros alike."""
    if framework == "torch":
        ones, pad = "torch.ones_like(x[:1, :1])", _torch_pad
    else:
        ones, pad = "tf.ones_like(x[:1, ..., :1])", _tf_pad   # TensorFlow's code is channels-last
    return [Step("mask", f"mask = {ones}", "1 marks an element the divisor counts", {}),
            pad(pads, 0, why), pad(pads, 0, "", var="mask")]


def _divide_steps(pool, kw):
    """Window mean of the padded x, divided by the window mean of the padded mask."""
    return [Step("pool", "y = " + _call(pool, "x", **kw), "the window's sum / K", dict(function=pool, **kw)),
            Step("divide", "y = y / " + _call(pool, "mask", **kw), "/ (counted elements / K)",
                 dict(function=pool, **kw))]


def _global_to_torch(kind, dims, code_last, n, c, spatial, keepdims, source):
    pool = f"F.adaptive_{kind.split('_')[1]}_pool{dims}d"
    steps = []
    if code_last:
        steps.append(Step("layout", f"x = x.permute{_perm_to_first(dims)}",
                          f"{_layout_name(dims, True)} -> {_layout_name(dims, False)}", {"perm": _perm_to_first(dims)}))
    steps.append(Step("pool", f"y = {pool}(x, 1)", "one window covering the whole input",
                      {"function": pool, "output_size": 1}))
    if not keepdims:
        steps.append(Step("flatten", "y = y.flatten(1)", "(N, C), as Keras' keepdims=False", {}))
    elif code_last:
        steps.append(Step("layout", f"y = y.permute{_perm_to_last(dims)}", f"back to {_layout_name(dims, True)}",
                          {"perm": _perm_to_last(dims)}))
    spatial = tuple(spatial) if spatial is not None else (None,) * dims
    in_shape = (n,) + spatial + (c,) if code_last else (n, c) + spatial
    if not keepdims:
        out_shape = (n, c)
    else:
        out_shape = (n,) + (1,) * dims + (c,) if code_last else (n, c) + (1,) * dims
    return Translation("torch", source, tuple(steps), "channels_last" if code_last else "channels_first",
                       in_shape, out_shape, False)


# ---------------------------------------------------------------- PyTorch -> TensorFlow
def to_tensorflow(kind, kernel_size=None, stride=None, padding=0, dilation=1, ceil_mode=False,
                  count_include_pad=True, divisor_override=None, *, output_size=None, input_shape=None,
                  layout="channels_first", match_special=False, _source=None) -> Translation:
    """The TensorFlow equivalent of a PyTorch pooling layer.

    Parameters
    ----------
    kind : ``"max"``, ``"avg"``, ``"adaptive_max"`` or ``"adaptive_avg"``
        ``F.max_pool*``/``nn.MaxPool*``, ``F.avg_pool*``/``nn.AvgPool*``, and the adaptive ones.
    kernel_size, stride, padding, dilation, ceil_mode, count_include_pad, divisor_override
        PyTorch's arguments and defaults (``stride=None`` means ``kernel_size``);
        ``count_include_pad`` and ``divisor_override`` apply to averages only.
    output_size : int or tuple
        Adaptive kinds only; ``None`` entries keep that size. Exact only when every
        output size divides its input size (then the windows are ``k = s = L / O``).
    input_shape : tuple, optional
        The PyTorch input's full shape ``(N, C, *spatial)`` (``None`` for a free batch
        size). Required for ``ceil_mode`` and adaptive pooling; when given, a
        configuration whose windows are exactly TensorFlow's ``"VALID"`` or ``"SAME"``
        ones for this size is translated to that.
    layout : str
        Layout of the tensors the TensorFlow code takes and returns: ``"channels_first"``
        (the default: the same tensors as PyTorch's; the code transposes to NHWC, the
        only layout TensorFlow pools on CPU) or ``"channels_last"`` (native TensorFlow
        code for a ported model).
    match_special : bool
        Also reproduce PyTorch's special values for max pooling: NaN propagates and a
        window of only ``-inf`` gives ``-inf`` (TensorFlow skips NaN and floors at the
        dtype's lowest value).

    Returns
    -------
    :class:`Translation` whose code takes ``x`` in ``layout``, shaped as ``input_shape``.
    """
    kind, kind_dims = _kind(kind, ("max", "avg", "adaptive_max", "adaptive_avg"))
    code_last = _channels_last(layout, "layout")[0]
    tuples = [(output_size, "output_size")] if kind.startswith("adaptive") else [(kernel_size, "kernel_size"),
                                                                                 (stride, "stride"),
                                                                                 (padding, "padding")]
    dims = _dims_from(kind_dims, input_shape, *tuples)
    n, c, spatial = _shape(input_shape, False)
    if kind.startswith("adaptive"):
        kind, kernel_size, source = _adaptive(kind, output_size, spatial, dims)
        stride, padding, dilation, ceil_mode, count_include_pad, divisor_override = kernel_size, 0, 1, False, True, None
        source = _source or source
        size_specific = adaptive = True
    else:
        adaptive = False
        if kernel_size is None:
            raise ValueError(f"kernel_size is required for kind={kind!r}")
        size_specific = bool(ceil_mode)
        source = _source
    k = to_tuple(kernel_size, dims, "kernel_size", minimum=1)
    s = k if stride is None else to_tuple(stride, dims, "stride", minimum=1)
    d = to_tuple(dilation, dims, "dilation", minimum=1)
    p = to_tuple(padding, dims, "padding", minimum=0)
    if kind == "avg":
        if any(v > 1 for v in d):
            raise ValueError(f"dilation={_show(dilation)} with kind='avg': PyTorch's avg_pool has no dilation")
        if divisor_override is not None:
            if dims == 1:
                raise ValueError("divisor_override: PyTorch's avg_pool1d has none (avg_pool2d and 3d do)")
            if not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool) \
                    or divisor_override == 0:
                raise ValueError(f"divisor_override={divisor_override!r} must be a nonzero int")
    elif divisor_override is not None:
        raise ValueError(f"divisor_override={divisor_override!r} applies to kind='avg' only")
    if ceil_mode and spatial is None:
        raise ValueError("ceil_mode=True: the extra padding on the right depends on the input size; "
                         "give input_shape with the spatial sizes")
    # PyTorch's own rules (padding at most half the kernel, at least one output, no empty window):
    # validated on the real size, or on a size every window fits in.
    sizes = spatial or tuple((ki - 1) * di + 1 + si for ki, di, si in zip(k, d, s))
    axes = build_axes(sizes, kernel_size, stride, padding, dilation, bool(ceil_mode), n=dims)
    if source is None:
        function = f"F.{kind}_pool{dims}d"
        extra = dict(dilation=d if any(v > 1 for v in d) else None) if kind == "max" else dict(
            count_include_pad=None if count_include_pad else False, divisor_override=divisor_override)
        source = _source_call(function, "x", kernel_size=k, stride=None if s == k else s,
                                    padding=p if any(p) else None, ceil_mode=True if ceil_mode else None, **extra)
    K = int(np.prod(k))

    # The divisor of every window (averages): what the TensorFlow code must reproduce.
    def divisor(ax, cip):
        return _counts(ax, "counted" if cip else "valid")

    shortcut = None
    if spatial is not None and all(v == 1 for v in d):
        for mode in ("VALID", "SAME"):
            try:
                tf_axes = build_axes(spatial, k, s, mode.lower())
            except ValueError:
                continue
            if not all(np.array_equal(a.positions, b.positions) for a, b in zip(axes, tf_axes)):
                continue
            if mode == "SAME" and dims == 3 and any((a.out - 1) * si + ki - a.size <= -2
                                                    for a, si, ki in zip(tf_axes, s, k)):
                continue  # TensorFlow's Eigen 3-D kernel (oneDNN off) shifts these windows: pad explicitly
            if kind == "avg":
                want = (np.full([a.out for a in axes], divisor_override) if divisor_override is not None
                        else divisor(axes, count_include_pad))
                if not np.array_equal(want, divisor(tf_axes, False)):
                    continue
            shortcut = mode
            break
    if shortcut == "SAME":
        size_specific = True
    pads = tuple((pi, max(pi, a.padding()[1])) for pi, a in zip(p, axes)) if spatial is not None else tuple(
        (pi, pi) for pi in p)

    steps = []
    if size_specific:
        reason = ("the windows depend on the input size" if adaptive else
                  "the padding depends on the input size")
        steps.append(_guard(spatial, dims, code_last, reason))
    if not code_last:
        steps.append(Step("layout", f"x = tf.transpose(x, {_perm_to_last(dims)})",
                          f"{_layout_name(dims, False)} -> {_layout_name(dims, True)}: TensorFlow pools "
                          "channels-last on CPU", {"perm": _perm_to_last(dims)}))
    tf_pool = _tf_pool_expr(kind, dims, k, s, d, shortcut or "VALID")
    padded = shortcut is None and any(b or a for b, a in pads)
    if kind == "max":
        if padded:
            steps.append(_tf_pad(pads, -math.inf, "pad with -inf, which max never picks"))
        steps.append(Step("pool", "y = " + tf_pool("x"), _pool_why(shortcut, d, s),
                          dict(kernel_size=k, strides=s, padding=shortcut or "VALID", dilations=d)))
        if match_special:
            steps += [
                Step("special", "nan = " + tf_pool("tf.cast(tf.math.is_nan(x), x.dtype)") + " > 0",
                     "windows holding a NaN", {}),
                Step("special", "real = " + tf_pool("tf.cast(x > -math.inf, x.dtype)") + " > 0",
                     "windows holding more than -inf", {}),
                Step("special", "y = tf.where(nan, math.nan, tf.where(real, y, -math.inf))",
                     "PyTorch propagates NaN and returns -inf", {}),
            ]
    else:
        full = divisor_override is not None or np.all(divisor(axes, count_include_pad) == K) if spatial is not None \
            else divisor_override is not None or count_include_pad or not any(p)
        if shortcut:
            steps.append(Step("pool", "y = " + tf_pool("x"), _pool_why(shortcut, d, s),
                              dict(kernel_size=k, strides=s, padding=shortcut)))
        elif full:
            if padded:
                steps.append(_tf_pad(pads, 0, "zeros, counted by the mean" if divisor_override is None
                                     else "zeros add nothing to the sum"))
            steps.append(Step("pool", "y = " + tf_pool("x"), "", dict(kernel_size=k, strides=s, padding="VALID")))
        else:
            rest = pads
            if count_include_pad and any(p):
                steps.append(_tf_pad(tuple((pi, pi) for pi in p), 0, "count_include_pad: zeros that count"))
                rest = tuple((0, a - pi) for pi, (_, a) in zip(p, pads))
            why = ("ceil_mode: zeros that do not count" if count_include_pad else
                   "count_include_pad=False: zeros that do not count")
            steps += _mask_steps("tensorflow", rest, why)
            params = dict(kernel_size=k, strides=s, padding="VALID")
            steps += [Step("pool", "y = " + tf_pool("x"), "the window's sum / K", params),
                      Step("divide", "y = y / " + tf_pool("mask"), "/ (counted elements / K)", params)]
        if divisor_override is not None and divisor_override != K:
            steps.append(Step("scale", f"y = y * ({K} / {divisor_override})",
                              f"divisor_override: sum / {divisor_override} instead of sum / {K}",
                              {"factor": (K, divisor_override)}))
    if not code_last:
        steps.append(Step("layout", f"y = tf.transpose(y, {_perm_to_first(dims)})",
                          f"back to {_layout_name(dims, False)}", {"perm": _perm_to_first(dims)}))

    out_shape = None
    if spatial is not None:
        o = tuple(a.out for a in axes)
        out_shape = (n,) + o + (c,) if code_last else (n, c) + o
    in_shape = None if input_shape is None else _relayout(tuple(input_shape), False, code_last)
    return Translation("tensorflow", source, tuple(steps), "channels_last" if code_last else "channels_first",
                       in_shape, out_shape, size_specific)


def _pool_why(shortcut, d, s):
    if shortcut == "SAME":
        return "PyTorch's windows for this size are SAME's"
    if any(v > 1 for v in d) and any(v > 1 for v in s):
        return "tf.nn.pool takes no stride with a dilation: keep every s-th window"
    return ""


def _tf_pool_expr(kind, dims, k, s, d, padding):
    """``var -> source text`` of TensorFlow's pooling call (channels-last)."""
    if any(v > 1 for v in d):
        sl = ""
        if any(v > 1 for v in s):
            sl = "[:, " + ", ".join(f"::{v}" if v > 1 else ":" for v in s) + ", :]"
        return lambda var: _call("tf.nn.pool", var, window_shape=_Raw(_lit(k, compress=False)),
                                 pooling_type=kind.upper(), strides=_Raw(_lit((1,) * dims, compress=False)),
                                 padding=padding, dilations=_Raw(_lit(d, compress=False))) + sl
    return lambda var: _call(f"tf.nn.{kind}_pool{dims}d", var, ksize=k, strides=s, padding=padding)


def _adaptive(kind, output_size, spatial, dims):
    """Adaptive pooling as a regular one: ``k = s = L / O`` when every O divides its L."""
    base = kind.split("_")[1]
    if spatial is None:
        raise ValueError(f"kind={kind!r}: the windows depend on the input size; give input_shape with the "
                         "spatial sizes")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"output_size={_show(output_size)} must be an int or {dims} ints (or None)")
    ks = []
    for i, (o, L) in enumerate(zip(sizes, spatial)):
        o = L if o is None else o
        if not isinstance(o, numbers.Integral) or isinstance(o, bool) or o < 1:
            raise ValueError(f"output_size={_show(output_size)} must hold positive ints or None")
        if L % o:
            raise ValueError(
                f"output_size={_show(output_size)} on input size {L} (spatial dimension {i}) has no TensorFlow "
                f"equivalent: {L} is not a multiple of {o}, so PyTorch's windows [floor(i*L/O), ceil((i+1)*L/O)) "
                "differ in size and overlap, and every TensorFlow pooling uses one window size and stride")
        ks.append(L // o)
    source = _call(f"F.adaptive_{base}_pool{dims}d", "x", output_size=_Raw(_lit(tuple(sizes), compress=True)))
    return base, tuple(ks), source


# ---------------------------------------------------------------- indices
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
        raise ValueError(f"indices has shape {idx.shape} but input_shape={_show(input_shape)}: batch and channels "
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
        raise ValueError(f"argmax has shape {arg.shape} but input_shape={_show(input_shape)}: batch and channels "
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
        raise ValueError(f"{name}={_show(shape)} must have {like.ndim} entries, one per axis of the indices")
    return shape


def _bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


# ---------------------------------------------------------------- whole models
@dataclass(frozen=True)
class LayerTranslation:
    """One pooling layer of a model: its name, the layer, the shape it receives, its translation."""

    name: str
    layer: object
    input_shape: tuple
    translation: Translation


@dataclass(frozen=True)
class ModelTranslation:
    """Every pooling layer of a model, translated (see :func:`translate_model`).

    ``source`` is ``"torch"`` or ``"keras"``; ``layers`` the :class:`LayerTranslation` s in
    model order. Each translation's code takes the target framework's native layout
    (NHWC for TensorFlow, NCHW for PyTorch), as a ported model would.
    """

    source: str
    layers: Tuple[LayerTranslation, ...]

    @property
    def code(self) -> str:
        """One module: the imports once, then one function per pooling layer."""
        first = self.layers[0].translation if self.layers else None
        head = "\n".join(first.imports) + "\n\n\n" if first else ""
        return head + "\n\n\n".join(t.translation.function_code for t in self.layers) + "\n"

    def __str__(self):
        """A table: each pooling layer, its input and output shapes (in the source's layout), and
        the translation's steps."""
        rows = [("layer", "input", "output", "translated to")]
        source_last = self.source == "keras"
        for t in self.layers:
            out = t.translation.output_shape
            if len(out) == len(t.input_shape):
                out = _relayout(out, t.translation.layout == "channels_last", source_last)
            rows.append((t.name, _shape_text(t.input_shape), _shape_text(out), t.translation.summary))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows)

    def compare(self, seed=0, batch=2) -> dict:
        """Run every pooling layer and its translation on the same random input.

        Returns ``{layer name: largest |difference|}`` (0.0 for max pooling, float
        rounding for averages). Inputs are float32 normal samples of each layer's input
        shape (a free batch size becomes ``batch``), seeded by ``seed``.
        """
        rng = np.random.default_rng(seed)
        result = {}
        for t in self.layers:
            shape = tuple(batch if v is None else v for v in t.input_shape)
            x = rng.standard_normal(shape).astype(np.float32)
            want = _run_source(self.source, t.layer, x)
            tr = t.translation
            source_last = self.source == "keras"
            got = tr(np.ascontiguousarray(_to_layout(x, source_last, tr.layout == "channels_last")))
            if got.ndim == x.ndim:
                got = _to_layout(got, tr.layout == "channels_last", source_last)
            result[t.name] = float(np.max(np.abs(got - want))) if want.size else 0.0
        return result


def _short(text, width=60):
    return text if len(text) <= width else text[:width - 3] + "..."


def _to_layout(x, last, to_last):
    if last == to_last:
        return x
    return np.moveaxis(x, 1, -1) if to_last else np.moveaxis(x, -1, 1)


def _run_source(source, layer, x):
    if source == "torch":
        torch = _framework("torch")
        with torch.no_grad():
            return layer(torch.from_numpy(x)).numpy()
    return np.asarray(layer(_framework("tensorflow").constant(x)))


def translate_model(model, input_shape=None) -> ModelTranslation:
    """Translate every pooling layer of a small PyTorch or Keras model to the other framework.

    - A ``torch.nn.Module``: ``input_shape`` ``(N, C, *spatial)`` is required; the model is
      run once on zeros to record the shape each pooling module receives. ``MaxPool*``,
      ``AvgPool*`` and ``Adaptive{Max,Avg}Pool*`` modules become TensorFlow code taking
      channels-last tensors.
    - A Keras model (built, e.g. Sequential with an ``Input``): the shape each pooling
      layer receives is read from the model. ``MaxPooling*``, ``AveragePooling*``,
      ``GlobalMaxPooling*`` and ``GlobalAveragePooling*`` become PyTorch code taking
      channels-first tensors.

    Other layers are not pooling and are left alone. A pooling layer with no exact
    equivalent raises ValueError naming the layer and the reason.
    """
    if _is_torch_module(model):
        return _translate_torch_model(model, input_shape)
    if hasattr(model, "layers") and hasattr(model, "get_config"):
        return _translate_keras_model(model)
    raise TypeError(f"model must be a torch.nn.Module or a Keras model, got {type(model).__name__}")


def _is_torch_module(model):
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(model).__mro__)


def _translate_torch_model(model, input_shape):
    torch = _framework("torch")
    nn = torch.nn
    if input_shape is None:
        raise ValueError("input_shape (N, C, *spatial) is required to translate a PyTorch model: the pooling "
                         "translations depend on the size each layer receives")
    shapes, hooks = {}, []
    pools = [(name, m) for name, m in model.named_modules() if type(m).__name__.endswith(
        ("Pool1d", "Pool2d", "Pool3d"))]

    def recorder(name):
        def hook(_module, args):  # a pre-hook returning None leaves the call alone
            shapes.setdefault(name, tuple(args[0].shape))
        return hook

    for name, m in pools:
        hooks.append(m.register_forward_pre_hook(recorder(name)))
    try:
        with torch.no_grad():
            model(torch.zeros(tuple(input_shape)))
    finally:
        for h in hooks:
            h.remove()
    layers = []
    for name, m in pools:
        if name not in shapes:
            continue  # never called on this input
        shape = shapes[name]
        fname = "pool_" + re.sub(r"\W", "_", name)
        try:
            tr = _torch_module_to_tf(m, shape, nn)
        except ValueError as err:
            raise ValueError(f"layer {name!r} ({m}): {err}") from None
        layers.append(LayerTranslation(name, m, shape, replace(tr, name=fname)))
    return ModelTranslation("torch", tuple(layers))


def _torch_module_to_tf(m, shape, nn):
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
        if m.return_indices:
            raise ValueError("return_indices=True: translate the values with to_tensorflow and the indices "
                             "with torch_indices_to_tf")
        return to_tensorflow("max", m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode,
                             input_shape=shape, layout="channels_last", _source=repr(m))
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
        return to_tensorflow("avg", m.kernel_size, m.stride, m.padding, 1, m.ceil_mode, m.count_include_pad,
                             getattr(m, "divisor_override", None), input_shape=shape, layout="channels_last",
                             _source=repr(m))
    if isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
        if m.return_indices:
            raise ValueError("return_indices=True has no TensorFlow equivalent for adaptive pooling")
        return to_tensorflow("adaptive_max", output_size=m.output_size, input_shape=shape, layout="channels_last",
                             _source=repr(m))
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)):
        return to_tensorflow("adaptive_avg", output_size=m.output_size, input_shape=shape, layout="channels_last",
                             _source=repr(m))
    raise ValueError(f"{type(m).__name__} has no TensorFlow equivalent (TensorFlow has no "
                     + ("Lp pooling)" if "LP" in type(m).__name__ else
                        "fractional max pooling with PyTorch's sampling)" if "Fractional" in type(m).__name__
                        else "such layer)"))


_KERAS_POOLS = {"MaxPooling": "max", "AveragePooling": "avg", "GlobalMaxPooling": "global_max",
                "GlobalAveragePooling": "global_avg"}


def _translate_keras_model(model):
    layers = []
    for layer in _keras_layers(model):
        m = re.fullmatch(r"(MaxPooling|AveragePooling|GlobalMaxPooling|GlobalAveragePooling)([123])D",
                         type(layer).__name__)
        if m is None:
            if "Pool" in type(layer).__name__:
                raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no PyTorch translation here")
            continue
        kind = _KERAS_POOLS[m.group(1)]
        try:
            shape = tuple(layer.input.shape)
        except (AttributeError, ValueError):
            raise ValueError(f"layer {layer.name!r}: its input shape is unknown; build the model with an "
                             "Input first") from None
        cfg = layer.get_config()
        fmt = cfg.get("data_format") or "channels_last"
        args = ", ".join(f"{k}={cfg[k]!r}" for k in ("pool_size", "strides", "padding", "data_format", "keepdims")
                         if k in cfg)
        source = f"keras.layers.{type(layer).__name__}({args})"
        fname = "pool_" + re.sub(r"\W", "_", layer.name)
        try:
            if kind.startswith("global"):
                tr = to_torch(kind, data_format=fmt, input_shape=shape, keepdims=cfg.get("keepdims", False),
                              layout="channels_first", _source=source)
            else:
                tr = to_torch(kind, cfg["pool_size"], cfg["strides"], cfg["padding"], fmt, shape,
                              layout="channels_first", _source=source)
        except ValueError as err:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}): {err}") from None
        layers.append(LayerTranslation(layer.name, layer, shape, replace(tr, name=fname)))
    return ModelTranslation("keras", tuple(layers))


def _keras_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and not type(layer).__name__.endswith(("1D", "2D", "3D")):
            yield from _keras_layers(layer)
        else:
            yield layer
