"""Exercises of chapter 1, "Pooling by hand": the loop, its output size, its cost, softmax
pooling, and (a prediction) max pooling built from convolutions and ReLUs.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ... import learned, naive
from ...functional import avg_pool2d, max_pool2d
from ...geometry import output_size
from ..checks import ONE_TOO_FEW, ONE_TOO_MANY, Exercise, Mistake, Prediction, randint, random_values, register


def _not_square(pool_size):
    """``pool_size`` with its two entries swapped; raises when that changes nothing."""
    if pool_size[0] == pool_size[1]:
        raise ValueError("square window")
    return pool_size[::-1]


# ---------------------------------------------------------------- pool2d_min
def _random_plane(rng):
    """A random (H, W) plane and a pool_size that fits it."""
    h, w = randint(rng, 1, 6), randint(rng, 1, 6)
    return random_values(rng, (h, w)), (randint(rng, 1, h), randint(rng, 1, w))


def _min_with(X, window):
    """What a min-pooling loop returns with ``window``: empty where it does not fit X (the
    loop runs no step), where naive.pool2d refuses such a window."""
    if window[0] > X.shape[0] or window[1] > X.shape[1]:
        return np.zeros((max(0, X.shape[0] - window[0] + 1), max(0, X.shape[1] - window[1] + 1)))
    return naive.pool2d(X, window, "min")


_SIGN = ("Your values have the wrong sign: a min built from a max takes two negations, "
         "one of the input before pooling and one of the result after it.")

register(Exercise(
    id="pool2d_min", title="Min pooling from max pooling", chapter=1,
    signature="pool2d_min(X, pool_size)",
    reference=lambda X, pool_size: naive.pool2d(X, pool_size, "min"),
    cases=[
        (np.arange(9.0).reshape(3, 3), (2, 2)),
        (np.array([[1.5, -2.0, 0.5, 3.0], [-1.0, 4.0, -3.5, 2.0], [0.0, 2.5, 1.0, -0.5]]), (2, 3)),
        (np.array([[-1.0, -2.5, 3.0], [4.5, -6.0, 0.5]]), (1, 1)),
        (np.array([[2.0, -1.0, 0.5, 3.5], [-4.0, 1.5, 2.5, 0.0],
                   [3.0, -0.5, -2.0, 1.0], [0.5, 4.0, -1.5, 2.0]]), (3, 2)),
    ],
    random_case=_random_plane,
    mistakes=[
        Mistake("Your values are each window's largest element, not its smallest. "
                "Reread the exercise: which two things get negated?",
                like=lambda X, pool_size: naive.pool2d(X, pool_size, "max")),
        Mistake(_SIGN, like=lambda X, pool_size: -naive.pool2d(X, pool_size, "max")),
        Mistake(_SIGN, like=lambda X, pool_size: -naive.pool2d(X, pool_size, "min")),
        Mistake("Your windows have the wrong shape: pool_size is (p_h, p_w), a window p_h "
                "rows high and p_w columns wide.",
                like=lambda X, pool_size: _min_with(X, _not_square(pool_size))),
    ],
    hint="Work out the first window of this input by hand: its smallest element is the "
         "first output value. Then compare with your output.",
))


# ---------------------------------------------------------------- output_size
def _random_geometry(rng):
    """(n, k, s, p) with p <= k // 2 and at least one window."""
    k = randint(rng, 1, 6)
    p = randint(rng, 0, k // 2)
    s = randint(rng, 1, 4)
    return randint(rng, max(1, k - 2 * p), 32), k, s, p


register(Exercise(
    id="output_size", title="Output size of a pooling layer", chapter=1,
    without=("poolkit",),
    signature="output_size(n, k, s, p)",
    reference=lambda n, k, s, p: output_size(n, k, s, p),
    cases=[(25, 2, 2, 0), (4, 3, 2, 1), (5, 3, 1, 1), (7, 3, 2, 0)],
    random_case=_random_geometry,
    returns="int",
    mistakes=[
        Mistake("Your answer rounds up. By default a window that would stick out past the "
                "end of the padded input is dropped, so the division rounds down.",
                like=lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1),
        Mistake("Padding is added on both sides of the input, not just one.",
                like=lambda n, k, s, p: (n + p - k) // s + 1),
        Mistake("Your answer ignores the padding: padding makes the input longer.",
                like=lambda n, k, s, p: (n - k) // s + 1),
        Mistake("Your answer ignores the stride: the window moves s positions at a time.",
                like=lambda n, k, s, p: n + 2 * p - k + 1),
        ONE_TOO_FEW,
        ONE_TOO_MANY,
    ],
    hint="Draw the padded input as n + padding cells and count the window positions by hand "
         "for this case.",
    spoilers=["(n + 2p - k) // s + 1", "(n + 2*p - k) / s", "n + 2*p - k", "n + 2p - k"],
))


# ---------------------------------------------------------------- pool2d_stride
def _loop(X, pool_size, stride, reduce, move=True):
    """The strided loop, with ``move=False`` for windows that forget to move by the stride."""
    (p_h, p_w), (s_h, s_w) = pool_size, stride
    Y = np.zeros(((X.shape[0] - p_h) // s_h + 1, (X.shape[1] - p_w) // s_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            r, c = (i * s_h, j * s_w) if move else (i, j)
            Y[i, j] = reduce(X[r:r + p_h, c:c + p_w])
    return Y


def _strided(X, pool_size, stride, mode="max"):
    pool = {"max": max_pool2d, "avg": avg_pool2d}[mode]
    return pool(X[None], pool_size, stride)[0]


def _other_mode(mode="max"):
    return "avg" if mode == "max" else "max"


def _random_strided(rng):
    X, pool_size = _random_plane(rng)
    return X, pool_size, (randint(rng, 1, 3), randint(rng, 1, 3)), ["max", "avg"][randint(rng, 0, 1)]


register(Exercise(
    id="pool2d_stride", title="The pooling loop with a stride", chapter=1,
    signature='pool2d_stride(X, pool_size, stride, mode="max")',
    reference=_strided,
    cases=[
        (np.arange(16.0).reshape(4, 4), (2, 2), (2, 2)),
        (np.arange(16.0).reshape(4, 4), (2, 2), (1, 2), "max"),
        (np.array([[1.5, -2.0, 0.5, 3.0, 1.0], [-1.0, 4.0, -3.5, 2.0, 0.5],
                   [0.0, 2.5, 1.0, -0.5, -2.0], [3.0, 1.0, -1.5, 2.5, 4.0]]), (2, 3), (2, 1), "avg"),
        (np.arange(25.0).reshape(5, 5) / 2, (3, 3), (2, 2), "avg"),
    ],
    random_case=_random_strided,
    rtol=lambda args: 1e-6 if args[3:] == ("avg",) else 0.0,
    mistakes=[
        Mistake("Your output has the size of a stride-1 pooling. The stride is how far the "
                "window moves from one output to the next, so it shrinks the output.",
                like=lambda X, ps, st, mode="max": _strided(X, ps, (1, 1), mode)),
        Mistake("Your output has the right size, but the windows do not move by the stride: "
                "look at where the window of output [1, 0] should start.",
                like=lambda X, ps, st, mode="max": _loop(X, ps, st, np.max if mode == "max" else np.mean,
                                                         move=False)),
        Mistake("Your windows move by the wrong amounts: stride is (s_h, s_w), s_h rows down "
                "and s_w columns across.",
                like=lambda X, ps, st, mode="max": _strided(X, ps, _not_square(st), mode)),
        Mistake("Your windows have the wrong shape: pool_size is (p_h, p_w), a window p_h "
                "rows high and p_w columns wide.",
                like=lambda X, ps, st, mode="max": _strided(X, _not_square(ps), st, mode)),
        Mistake("Your result uses the other mode: mode='max' asks for each window's largest "
                "element, mode='avg' for its mean (the default is 'max').",
                like=lambda X, ps, st, mode="max": _strided(X, ps, st, _other_mode(mode))),
        Mistake("Your averages are too large by the window size: a mean divides the sum by "
                "the number of elements.",
                like=lambda X, ps, st, mode="max": _loop(X, ps, st, np.sum) if mode == "avg" else None),
    ],
    hint="Write down where each window starts for this case (row and column), then the "
         "value each window gives, and compare with your output.",
))


# ---------------------------------------------------------------- pool_cost
def _pool_cost(c, h, w, p_h, p_w, s_h, s_w):
    return c * output_size(h, p_h, s_h) * output_size(w, p_w, s_w) * (p_h * p_w - 1)


def _random_layer(rng):
    h, w = randint(rng, 1, 32), randint(rng, 1, 32)
    return (randint(rng, 1, 16), h, w, randint(rng, 1, min(h, 5)), randint(rng, 1, min(w, 5)),
            randint(rng, 1, 4), randint(rng, 1, 4))


register(Exercise(
    id="pool_cost", title="The computational cost of max pooling", chapter=1,
    signature="pool_cost(c, h, w, p_h, p_w, s_h, s_w)",
    reference=_pool_cost,
    cases=[(1, 3, 3, 2, 2, 1, 1), (1, 4, 4, 2, 2, 2, 2), (3, 6, 6, 3, 3, 3, 3), (2, 5, 7, 3, 2, 2, 1)],
    random_case=_random_layer,
    returns="int",
    mistakes=[
        Mistake("You count p_h*p_w comparisons per window. How many comparisons does it "
                "take to find the largest of 2 numbers? Of 3?",
                like=lambda c, h, w, p_h, p_w, s_h, s_w:
                    c * output_size(h, p_h, s_h) * output_size(w, p_w, s_w) * p_h * p_w),
        Mistake("Each of the c channels is pooled separately, with its own windows.",
                like=lambda c, h, w, p_h, p_w, s_h, s_w: _pool_cost(1, h, w, p_h, p_w, s_h, s_w)),
        Mistake("You count the windows of a stride-1 pooling: with a larger stride there "
                "are fewer windows.",
                like=lambda c, h, w, p_h, p_w, s_h, s_w: _pool_cost(c, h, w, p_h, p_w, 1, 1)),
        Mistake("There is one window per output element, not one per input element.",
                like=lambda c, h, w, p_h, p_w, s_h, s_w: c * h * w * (p_h * p_w - 1)),
        Mistake("Your number of windows along a row or a column is off by one: count the "
                "output size of a small case by hand.",
                like=lambda c, h, w, p_h, p_w, s_h, s_w:
                    c * ((h - p_h) // s_h) * ((w - p_w) // s_w) * (p_h * p_w - 1)),
    ],
    hint="Split the count in two: how many windows are there in all, and how many "
         "comparisons does one window need?",
    spoilers=["c * h_out * w_out * (p_h * p_w - 1)", "(p_h * p_w - 1)"],
))


# ---------------------------------------------------------------- softmax_pool
def softmax_pool2d(X, pool_size, t):
    """Softmax pooling as the exercise asks: one plane, stride 1, no padding, each window's
    elements weighted by ``softmax(window / t)``: poolkit's :func:`~poolkit.learned.softmax_pool2d`
    with ``beta = 1 / t``. ``t -> 0`` gives max pooling, ``t -> inf`` average pooling."""
    X = np.asarray(X, dtype=float)
    return learned.softmax_pool2d(X[None], pool_size, stride=1, beta=1 / t)[0]


def _random_softmax_case(rng):
    X, pool_size = _random_plane(rng)
    return X, pool_size, [0.1, 0.5, 1.0, 2.0, 10.0, 1000.0][randint(rng, 0, 5)]


def _softmax_times(X, pool_size, t):
    """Weights ``softmax(window * t)``: the temperature multiplied instead of divided."""
    return softmax_pool2d(X, pool_size, 1 / t)


def _softmax_weights_only(X, pool_size, t):
    """The largest softmax weight of each window, not the weighted sum of its elements."""
    X = np.asarray(X, dtype=float)
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i, j in np.ndindex(*Y.shape):
        window = X[i:i + p_h, j:j + p_w]
        w = np.exp((window - window.max()) / t)
        Y[i, j] = w.max() / w.sum()
    return Y


register(Exercise(
    id="softmax_pool", title="Softmax pooling, between max and average", chapter=1,
    signature="softmax_pool(X, pool_size, t)",
    reference=softmax_pool2d,
    cases=[
        (np.array([[1.0, 2.0], [3.0, 4.0]]), (2, 2), 1.0),
        (np.arange(9.0).reshape(3, 3), (2, 2), 0.1),
        (np.arange(9.0).reshape(3, 3), (2, 2), 1000.0),
        (np.array([[1.5, -2.0, 0.5, 3.0], [-1.0, 4.0, -3.5, 2.0], [0.0, 2.5, 1.0, -0.5]]), (2, 3), 2.0),
    ],
    random_case=_random_softmax_case,
    rtol=1e-6,
    mistakes=[
        Mistake("Your weights get sharper as t grows: divide the window by the temperature "
                "t before the exponential, so that a small t favours the largest element.",
                like=_softmax_times),
        Mistake("Your values are softmax weights, not pooled values: each output is the sum "
                "of the window's elements, each multiplied by its weight.",
                like=_softmax_weights_only),
        Mistake("Your result ignores the temperature t: it scales the window before the "
                "exponential.",
                like=lambda X, pool_size, t: softmax_pool2d(X, pool_size, 1.0) if t != 1.0 else None),
        Mistake("Your result is the plain maximum of each window: the weights must be "
                "softmax(window / t), which only tends to the maximum as t gets small.",
                like=lambda X, pool_size, t: naive.pool2d(X, pool_size, "max")),
    ],
    hint="Work out the first window of this case by hand: its weights exp(x / t), "
         "divided by their sum, then the weighted sum of the window's elements.",
))


# ---------------------------------------------------------------- relu_max_layers (a prediction)
register(Prediction(
    id="relu_max_layers", title="Max pooling from convolutions and ReLUs", chapter=1,
    name="relu_net",
    answer=(3, 2, 4),
    hint="One layer takes the maximum of two neighbours along one axis. How many "
         "channels does b + ReLU(a - b) need when b may be negative (a ReLU of b alone "
         "loses its negative part)? A 2x2 window takes one such step along each axis; "
         "how many steps does the maximum of 3 neighbours take?",
    explanation="Three channels, ReLU(a - b), ReLU(b) and ReLU(-b); the next layer's "
                "convolution adds them up as ReLU(a - b) + ReLU(b) - ReLU(-b). A row of 3 "
                "needs two pairwise steps, so 3x3 takes 2 + 2 layers.",
))
