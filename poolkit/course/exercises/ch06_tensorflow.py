"""Exercises of chapter 6, "Pooling in TensorFlow": where max_pool_with_argmax points (a
prediction), TensorFlow's max pooling of NaN and
-inf, the sizes after a convolution and a pooling, and the flat indices of
``max_pool_with_argmax``.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ...functional import max_pool1d, max_pool2d, max_pool_with_argmax
from ...geometry import output_size
from ..checks import ONE_TOO_FEW, ONE_TOO_MANY, Exercise, Mistake, Prediction, randint, random_values, register

# ---------------------------------------------------------------- predict_tf_argmax
register(Prediction(
    id="predict_tf_argmax", title="Where max_pool_with_argmax points", chapter=6,
    name="predicted_index",
    answer=1,
    hint="Find the largest element of channel 1 first (the values are negative). Then "
         "count where it sits in the flattened (H, W, C) array of its example: the "
         "channels vary fastest.",
    explanation="PyTorch would say 0, the position in the channel's own plane; "
                "TensorFlow counts (y * W + x) * C + c.",
))


# ---------------------------------------------------------------- tf_max_pool1d
def _tf_max(x, k, s):
    """TensorFlow's max_pool1d: NaN skipped, never below the dtype's lowest value."""
    skipped = max_pool1d(np.where(np.isnan(x), -np.inf, x)[None], k, s)[0]
    return np.maximum(skipped, np.finfo(x.dtype).min)


def _nanmax(x, k, s):
    n = (len(x) - k) // s + 1
    return np.array([np.max(np.where(np.isnan(w), -np.inf, w)) if not np.isnan(w).all() else np.nan
                     for w in (x[i * s: i * s + k] for i in range(n))])


def _random_special(rng):
    n = randint(rng, 1, 10)
    x = random_values(rng, (n,))
    r = rng.random(n)
    x[r < 0.2] = np.nan
    x[(r >= 0.2) & (r < 0.4)] = -np.inf
    k = randint(rng, 1, n)
    return x, k, randint(rng, 1, 3)


register(Exercise(
    id="tf_max_pool1d", title="TensorFlow's max pooling of NaN and -inf", chapter=6,
    signature="tf_max_pool1d(x, k, s)",
    reference=_tf_max,
    cases=[
        (np.array([np.nan, 2.0, 3.0, 0.0]), 2, 2),
        (np.array([-np.inf, -np.inf, 1.5, -2.0]), 2, 2),
        (np.array([np.nan, np.nan, -1.0, np.nan, -np.inf, 4.0]), 2, 2),
        (np.array([0.5, -np.inf, np.nan, -3.0, 2.0]), 3, 1),
    ],
    random_case=_random_special,
    mistakes=[
        Mistake("Your result propagates NaN, as PyTorch and poolkit do. TensorFlow's max_pool "
                "skips NaN: a window's result is the largest of its other elements.",
                like=lambda x, k, s: max_pool1d(x[None], k, s)[0]),
        Mistake("A window of only NaN gives NaN in your result. TensorFlow starts every window "
                "from the dtype's lowest value, so such a window gives that value.",
                like=_nanmax),
        Mistake("A window of only -inf (or of -inf and NaN) gives -inf in your result. "
                "TensorFlow starts from the dtype's lowest finite value, np.finfo(dtype).min, "
                "and -inf never beats it.",
                like=lambda x, k, s: max_pool1d(np.where(np.isnan(x), -np.inf, x)[None], k, s)[0]),
    ],
    hint="Go through this case's windows one at a time: leave NaN out, and never go below "
         "the lowest finite float64 value.",
))


# ---------------------------------------------------------------- conv_pool_size
def _size(n, k, s, padding):
    return output_size(n, k, s, padding=padding)


def _conv_pool(n, conv_k, conv_s, conv_padding, pool_k, pool_s, pool_padding):
    return _size(_size(n, conv_k, conv_s, conv_padding), pool_k, pool_s, pool_padding)


def _random_chain(rng):
    while True:
        n = randint(rng, 1, 40)
        conv = (randint(rng, 1, 5), randint(rng, 1, 3), ["same", "valid"][randint(rng, 0, 1)])
        pool = (randint(rng, 1, 4), randint(rng, 1, 4), ["same", "valid"][randint(rng, 0, 1)])
        try:
            _conv_pool(n, *conv, *pool)
        except ValueError:  # a VALID window that does not fit
            continue
        return (n,) + conv + pool


def _same_keeps_n(n, k, s, padding):
    return n if padding == "same" else (n - k) // s + 1


def _valid_without_kernel(n, k, s, padding):
    return -(-n // s) if padding == "same" else n // s


register(Exercise(
    id="conv_pool_size", title="The size after a convolution and a pooling", chapter=6,
    signature="conv_pool_size(n, conv_k, conv_s, conv_padding, pool_k, pool_s, pool_padding)",
    reference=_conv_pool,
    cases=[(28, 3, 1, "same", 2, 2, "valid"), (28, 5, 1, "valid", 2, 2, "valid"),
           (7, 3, 2, "same", 3, 2, "same"), (13, 3, 1, "valid", 2, 2, "same")],
    random_case=_random_chain,
    returns="int",
    mistakes=[
        Mistake("You kept n elements for SAME whatever the stride: with a stride s, SAME "
                "keeps only about n / s of them (rounding up).",
                like=lambda n, ck, cs, cp, pk, ps, pp: _same_keeps_n(_same_keeps_n(n, ck, cs, cp), pk, ps, pp)),
        Mistake("Your VALID sizes forget the window: a window of k elements fits fewer times "
                "than the stride alone says.",
                like=lambda n, ck, cs, cp, pk, ps, pp: _valid_without_kernel(
                    _valid_without_kernel(n, ck, cs, cp), pk, ps, pp)),
        Mistake("Your answer is the pooling's output on the input itself: the pooling "
                "receives the convolution's output.",
                like=lambda n, ck, cs, cp, pk, ps, pp: _size(n, pk, ps, pp)),
        Mistake("You swapped the rules: SAME pads, VALID does not.",
                like=lambda n, ck, cs, cp, pk, ps, pp: _conv_pool(n, ck, cs, {"same": "valid"}.get(cp, "same"),
                                                                  pk, ps, {"same": "valid"}.get(pp, "same"))),
        ONE_TOO_FEW,
        ONE_TOO_MANY,
    ],
    hint="Work out the convolution's output size first, then use it as the pooling's input size.",
    spoilers=["ceil(n / s)", "-(-n // s)"],
))


# ---------------------------------------------------------------- tf_argmax
def _argmax(x, k, s):
    return max_pool_with_argmax(x, k, s, "VALID")[1]


def _per_plane(x, k, s):
    """PyTorch's indices (one count per (n, c) plane), in TensorFlow's layout."""
    return max_pool2d(x, k, s, return_indices=True, data_format="channels_last")[1]


def _random_nhwc(rng):
    h, w = randint(rng, 1, 5), randint(rng, 1, 5)
    x = random_values(rng, (randint(rng, 1, 2), h, w, randint(rng, 1, 3)))
    return x, randint(rng, 1, min(h, w)), randint(rng, 1, 2)


register(Exercise(
    id="tf_argmax", title="The flat indices of max_pool_with_argmax", chapter=6,
    signature="tf_argmax(x, k, s)",
    reference=_argmax,
    cases=[
        (np.arange(16.0).reshape(1, 4, 4, 1), 2, 2),
        (np.arange(32.0).reshape(1, 4, 4, 2) % 7, 2, 2),
        (np.arange(36.0).reshape(2, 3, 3, 2)[..., ::-1] % 5, 2, 1),
        (np.array([[[[1.0, -1.0], [3.0, 2.0]], [[0.5, 4.0], [2.0, -2.0]]]]), 2, 1),
    ],
    random_case=_random_nhwc,
    mistakes=[
        Mistake("Your indices count positions inside each channel's own (H, W) plane, as "
                "PyTorch's do. TensorFlow counts in the whole (H, W, C) array, channels "
                "varying fastest.",
                like=_per_plane),
        Mistake("Your indices are right for channel 0 only: add the channel number c after "
                "scaling the position by C.",
                like=lambda x, k, s: _per_plane(x, k, s) * x.shape[-1]),
        Mistake("Your indices include the batch: with include_batch_in_index=False (the "
                "default) every example counts from 0.",
                like=lambda x, k, s: max_pool_with_argmax(x, k, s, "VALID", include_batch_in_index=True)[1]),
    ],
    hint="Take one window of this case, find its maximum's row y, column x and channel c, "
         "and work out where that element sits when the (H, W, C) array is flattened.",
))
