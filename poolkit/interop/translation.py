"""The result of a translation and the helpers both directions share.

:class:`Step` and :class:`Translation` hold a translated pooling layer as data, as
code and as a callable; ``import_framework`` imports PyTorch or TensorFlow when one is
first run. The rendering helpers turn parameters into source text (literals,
calls, long lines wrapped, shape guards, layout permutations, padding and mask
steps), and the argument-handling helpers check and normalize the arguments of
:func:`~poolkit.interop.to_torch` and :func:`~poolkit.interop.to_tensorflow`
(kinds, layouts, the number of spatial dims, shapes, windows, explicit padding).
"""

from __future__ import annotations

import math
import numbers
import re
import textwrap
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..geometry import show
from ..plan import CHANNELS_FIRST, CHANNELS_LAST
from ..plan import tf_window as plan_tf_window

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
    steps: tuple[Step, ...]
    layout: str
    input_shape: tuple | None
    output_shape: tuple | None
    size_specific: bool
    name: str = "pool"

    @property
    def imports(self) -> tuple[str, ...]:
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
                                     f" padding={literal(padding)}" if padding else ""))
            elif step.op in ("divide", "scale", "special", "flatten"):
                words.append({"divide": "/ pooled mask", "scale": "scale", "special": "special values",
                              "flatten": "flatten"}[step.op])
        return ", ".join(dict.fromkeys(words))

    def __repr__(self):
        shape = "" if self.input_shape is None else f" for input {shape_text(self.input_shape)}"
        return f"<Translation to {self.framework}{shape}: {self.source}>"

    @cached_property
    def function(self):
        """The compiled :attr:`code`: a function of one framework tensor."""
        import_framework(self.framework)
        namespace: dict = {}
        exec(compile(self.code, f"<poolkit.interop: {self.name}>", "exec"), namespace)
        return namespace[self.name]

    def __call__(self, x):
        """Run the translated code. A numpy array gives a numpy array back; a tensor of
        the target framework gives a tensor back."""
        if isinstance(x, np.ndarray) or np.isscalar(x):
            mod = import_framework(self.framework)
            x = np.ascontiguousarray(x)
            tensor = mod.from_numpy(x) if self.framework == "torch" else mod.constant(x)
            return np.asarray(self.function(tensor))
        return self.function(x)


def import_framework(name):
    """Import PyTorch or TensorFlow. (TensorFlow's log variables are the caller's: the chapters'
    setup cell and tests/conftest.py set them before anything imports TensorFlow.)"""
    if name == "torch":
        import torch

        return torch
    import tensorflow

    return tensorflow


# ---------------------------------------------------------------- rendering
def literal(value, compress=True) -> str:
    """A parameter as source text: ``3`` for ``(3, 3)`` when ``compress``, ``-math.inf`` for -inf."""
    if isinstance(value, tuple):
        if compress and value and len(set(value)) == 1 and not isinstance(value[0], tuple):
            return literal(value[0])
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float) and math.isinf(value):
        return "-math.inf" if value < 0 else "math.inf"
    return repr(value)


def call_text(function, first, **kwargs) -> str:
    args = [first] + [f"{k}={v if isinstance(v, Raw) else literal(v)}" for k, v in kwargs.items()]
    return f"{function}({', '.join(args)})"


class Raw(str):
    """Source text used as is by :func:`call_text`."""


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


def shape_text(shape) -> str:
    return "(" + ", ".join("N" if i == 0 and v is None else ("C" if v is None else str(v))
                           for i, v in enumerate(shape)) + ("," if len(shape) == 1 else "") + ")"


def _spatial_index(dims, last) -> str:
    return f"1:{dims + 1}" if last else f"2:{dims + 2}"


def guard_step(spatial, dims, last, reason) -> Step:
    size = literal(tuple(spatial), compress=False)
    code = (f"size = tuple(x.shape[{_spatial_index(dims, last)}])\n"
            f"if size != {size}:  # {reason}\n"
            f"    raise ValueError(f\"made for spatial size {size}, got {{size}}\")")
    return Step("guard", code, "", {"spatial_size": tuple(spatial)})


def _perm_to_last(dims):
    return (0,) + tuple(range(2, dims + 2)) + (1,)


def _perm_to_first(dims):
    return (0, dims + 1) + tuple(range(1, dims + 1))


def layout_name(dims, last):
    return ("N" + _LETTERS[dims] + "C") if last else ("NC" + _LETTERS[dims])


def layout_step(framework, var, dims, to_last, reason=""):
    """The statement that moves ``var`` to channels-last (``to_last``) or channels-first:
    ``permute`` in PyTorch, ``tf.transpose`` in TensorFlow. The result ``y`` goes *back*."""
    perm = _perm_to_last(dims) if to_last else _perm_to_first(dims)
    code = f"{var} = {var}.permute{perm}" if framework == "torch" else f"{var} = tf.transpose({var}, {perm})"
    if var == "y":
        why = f"back to {layout_name(dims, to_last)}"
    else:
        why = f"{layout_name(dims, not to_last)} -> {layout_name(dims, to_last)}" + (f": {reason}" if reason else "")
    return Step("layout", code, why, {"perm": perm})


def relayout(shape, last, to_last):
    if last == to_last:
        return shape
    if to_last:
        return (shape[0],) + shape[2:] + (shape[1],)
    return (shape[0], shape[-1]) + shape[1:-1]


def torch_pad_step(pads, value, why, var="x"):
    flat = tuple(v for b_a in reversed(pads) for v in b_a)
    code = f"{var} = " + (call_text("F.pad", var, pad=Raw(literal(flat, compress=False)), value=value) if value
                          else call_text("F.pad", var, pad=Raw(literal(flat, compress=False))))
    sides = {1: "(left, right)", 2: "(left, right, top, bottom)", 3: "(left, right, top, bottom, front, back)"}
    if why:
        why = f"{why}; F.pad lists {sides[len(pads)]}"
    return Step("pad", code, why, {"pads": pads, "value": value})


def tf_pad_step(pads, value, why, var="x"):
    rows = Raw(repr([[0, 0]] + [list(p) for p in pads] + [[0, 0]]))
    kw = {"constant_values": value} if value else {}
    return Step("pad", f"{var} = " + call_text("tf.pad", var, paddings=rows, **kw), why, {"pads": pads, "value": value})


def mask_steps(framework, pads, why):
    """A mask of ones (1 = a counted tap), then x and mask padded with zeros alike."""
    if framework == "torch":
        ones, pad = "torch.ones_like(x[:1, :1])", torch_pad_step
    else:
        ones, pad = "tf.ones_like(x[:1, ..., :1])", tf_pad_step   # TensorFlow's code is channels-last
    return [Step("mask", f"mask = {ones}", "1 marks an element the divisor counts", {}),
            pad(pads, 0, why), pad(pads, 0, "", var="mask")]


# ---------------------------------------------------------------- argument handling
def check_kind(kind, allowed):
    """``"max"`` or ``"max_pool2d"`` -> ``("max", 0 or 2)``: the kind and the dims its name gives."""
    m = re.fullmatch(r"([a-z_]+?)(?:_pool([123])d)?", kind.lower()) if isinstance(kind, str) else None
    if m is None or m.group(1) not in allowed:
        raise ValueError(f"kind={kind!r} must be one of {', '.join(map(repr, allowed))} "
                         "(optionally named with its dims, e.g. 'max_pool2d')")
    return m.group(1), int(m.group(2) or 0)


def layout_of(value, name):
    """``True`` for a channels-last name, ``False`` for channels-first; the number of dims it implies (0: any)."""
    if value in CHANNELS_LAST:
        return True, CHANNELS_LAST[value]
    if value in CHANNELS_FIRST:
        return False, CHANNELS_FIRST[value]
    names = set(CHANNELS_LAST) | set(CHANNELS_FIRST) - {"channels_last", "channels_first"}
    raise ValueError(f"{name}={value!r} must be 'channels_last' or 'channels_first' "
                     f"(or one of {', '.join(sorted(names))})")


def dims_from(name_dims, input_shape, *tuples):
    """The number of spatial dims, from the first source that tells: input_shape, a named layout, a tuple."""
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)) or not 3 <= len(input_shape) <= 5:
            raise ValueError(f"input_shape={show(input_shape)} must be the full input shape "
                             "(batch, channels and 1 to 3 spatial sizes; None for a free batch size)")
        dims = len(input_shape) - 2
        if name_dims and name_dims != dims:
            raise ValueError(f"input_shape={show(input_shape)} has {dims} spatial dimensions but the layer "
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


def split_shape(input_shape, last):
    """``(N, C, spatial)`` of an input_shape (ints or None); spatial sizes must be positive ints or None."""
    if input_shape is None:
        return None, None, None
    shape = tuple(input_shape)
    for v in shape:
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0):
            raise ValueError(f"input_shape={show(input_shape)} must hold non-negative ints or None")
    n, c, spatial = (shape[0], shape[-1], shape[1:-1]) if last else (shape[0], shape[1], shape[2:])
    if any(v is None for v in spatial):
        spatial = None
    elif min(spatial) < 1:
        raise ValueError(f"input_shape={show(input_shape)}: every spatial size must be at least 1")
    return n, c, spatial


def tf_window(value, dims, name, last):
    """TensorFlow's ksize/strides/dilations: an int, ``dims`` ints, or ``dims + 2`` with 1 at batch and channels
    (:func:`poolkit.plan.tf_window`, in the translators' words)."""
    return plan_tf_window(value, name, dims=dims, last=last, why="pooling across them has no PyTorch equivalent",
                          single=False)


def explicit_pads(padding, dims, last):
    """tf.nn.max_pool's explicit padding: ``[[0, 0], [b, a], ..., [0, 0]]`` or one ``(b, a)`` per spatial dim."""
    rows = [tuple(r) if isinstance(r, (tuple, list)) else r for r in padding]
    if not all(isinstance(r, tuple) and len(r) == 2 for r in rows):
        raise ValueError(f"padding={show(padding)} must be 'SAME', 'VALID' or explicit pairs "
                         f"[[0, 0], [before, after], ..., [0, 0]]")
    if len(rows) == dims + 2:
        outer = [rows[0], rows[-1]] if last else [rows[0], rows[1]]
        if any(r != (0, 0) for r in outer):
            raise ValueError(f"padding={show(padding)} must be [0, 0] for the batch and channel dimensions "
                             "(TensorFlow's rule)")
        rows = rows[1:-1] if last else rows[2:]
    if len(rows) != dims:
        raise ValueError(f"padding={show(padding)} must hold {dims} (before, after) pairs, or {dims + 2} "
                         "with the batch and channel ones")
    for r in rows:
        for v in r:
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0:
                raise ValueError(f"padding={show(padding)} must hold non-negative ints")
    return tuple((int(b), int(a)) for b, a in rows)


def source_call(function, first, **kwargs):
    """Render the source layer's call, leaving out arguments at their defaults (passed as None)."""
    return call_text(function, first, **{k: v for k, v in kwargs.items() if v is not None})

