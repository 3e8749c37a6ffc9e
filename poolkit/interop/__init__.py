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

from .indices import tf_argmax_to_torch, torch_indices_to_tf
from .models import LayerTranslation, ModelTranslation, translate_model
from .tf_to_torch import to_torch
from .torch_to_tf import to_tensorflow
from .translation import Step, Translation

__all__ = ["Step", "Translation", "to_torch", "to_tensorflow", "torch_indices_to_tf", "tf_argmax_to_torch",
           "translate_model", "ModelTranslation", "LayerTranslation"]

