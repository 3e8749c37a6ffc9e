"""Exercises of chapter 2, "Padding, stride, channels": padded and strided windows,
ceil mode, batches of channels, TensorFlow's SAME padding, and (a prediction) the cost
of pooling with padding.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ...functional import max_pool2d
from ...geometry import output_size, same_padding
from ..checks import ONE_TOO_FEW, ONE_TOO_MANY, Exercise, Mistake, Prediction, randint, random_values, register


# ---------------------------------------------------------------- max_pool_pad
def _max_pool_pad(X, k, s, p):
    return max_pool2d(X[None], k, s, p)[0]


def _padded_then_pooled(X, k, s, pad_width, value):
    """Pad with ``value`` (np.pad's ``pad_width``), then max-pool every k x k window that fits,
    stride s, as a loop would: an empty array when none fits (where poolkit would refuse)."""
    P = np.pad(X, pad_width, constant_values=value)
    Y = np.empty([max(0, (n - k) // s + 1) for n in P.shape])
    for i, j in np.ndindex(*Y.shape):
        Y[i, j] = P[i * s: i * s + k, j * s: j * s + k].max()
    return Y


def _random_padded(rng):
    k = randint(rng, 1, 4)
    p = randint(rng, 0, k // 2)
    low = max(1, k - 2 * p)
    h, w = randint(rng, low, 7), randint(rng, low, 7)
    return random_values(rng, (h, w), negative=bool(randint(rng, 0, 1))), k, randint(rng, 1, 3), p


register(Exercise(
    id="max_pool_pad", title="Max pooling with padding and stride", chapter=2,
    without=("poolkit", "torch", "tensorflow"),
    signature="max_pool_pad(X, k, s, p)",
    reference=_max_pool_pad,
    cases=[
        (np.arange(16.0).reshape(4, 4) - 100, 3, 2, 1),
        (-np.arange(1.0, 26.0).reshape(5, 5) / 2, 2, 2, 1),
        (np.arange(9.0).reshape(3, 3), 2, 1, 0),
        (np.array([[1.5, -2.0, 0.5, 3.0, -1.0], [-1.0, 4.0, -3.5, 2.0, 0.5],
                   [0.0, -2.5, 1.0, -0.5, -2.0]]), 3, 1, 1),
    ],
    random_case=_random_padded,
    mistakes=[
        Mistake("Your result matches padding with zeros. Max pooling must never pick a "
                "padding position, even where every real value in the window is negative: "
                "what could the padding hold so that it never wins?",
                like=lambda X, k, s, p: _padded_then_pooled(X, k, s, p, 0.0)),
        Mistake("Your result is what you get without padding: add p positions on all four "
                "sides before sliding the window.",
                like=lambda X, k, s, p: _padded_then_pooled(X, k, s, 0, 0.0)),
        Mistake("Your result is what padding only the top and the left would give: each axis "
                "gets p positions at both ends.",
                like=lambda X, k, s, p: _padded_then_pooled(X, k, s, ((p, 0), (p, 0)), -np.inf)),
        Mistake("Your output ignores the stride: the window moves s positions at a time, "
                "along rows and along columns.",
                like=lambda X, k, s, p: _max_pool_pad(X, k, 1, p)),
    ],
    hint="Draw the padded input for this case, slide the window by hand and compare with "
         "your output; look at the outputs along the border first.",
    spoilers=["inf"],
))


# ---------------------------------------------------------------- ceil_output_size
def _random_geometry(rng):
    """(n, k, s, p) with p <= k // 2 and at least one window."""
    k = randint(rng, 1, 6)
    p = randint(rng, 0, k // 2)
    s = randint(rng, 1, 4)
    return randint(rng, max(1, k - 2 * p), 32), k, s, p


def _ceil_without_rule(n, k, s, p):
    return -(-(n + 2 * p - k) // s) + 1


register(Exercise(
    id="ceil_output_size", title="Output size with ceil_mode", chapter=2,
    signature="ceil_output_size(n, k, s, p)",
    reference=lambda n, k, s, p: output_size(n, k, s, p, ceil_mode=True),
    cases=[(25, 2, 2, 0), (5, 2, 2, 1), (4, 3, 2, 1), (6, 3, 3, 0)],
    random_case=_random_geometry,
    returns="int",
    mistakes=[
        Mistake("Your answers are the floor-mode sizes: ceil mode also keeps a last window "
                "that only partly fits.",
                like=lambda n, k, s, p: output_size(n, k, s, p)),
        Mistake("Your answer is one too large here: ceil mode drops a last window that would "
                "start in the right padding. Check where your last window starts.",
                like=_ceil_without_rule),
        Mistake("You dropped a last window that starts inside the input. Compare the "
                "window's start with the input's end in the same coordinates: positions in "
                "the padded input are shifted by the left padding.",
                like=lambda n, k, s, p: _ceil_without_rule(n, k, s, p)
                - ((_ceil_without_rule(n, k, s, p) - 1) * s >= n)),
        ONE_TOO_FEW,
        ONE_TOO_MANY,
    ],
    hint="Draw the padded input for this case, place the windows one stride apart and "
         "decide for the last one whether ceil mode keeps it.",
    spoilers=["(o - 1) * s >= n + p", "(o - 1) * s < n + p", "+ s - 1"],
))


# ---------------------------------------------------------------- pool_nchw
def _random_batch(rng):
    h, w = randint(rng, 1, 6), randint(rng, 1, 6)
    shape = (randint(rng, 1, 3), randint(rng, 1, 3), h, w)
    return random_values(rng, shape), randint(rng, 1, min(h, w, 3)), randint(rng, 1, 3)


register(Exercise(
    id="pool_nchw", title="Max pooling a batch of channels (N, C, H, W)", chapter=2,
    signature="pool_nchw(X, k, s)",
    reference=lambda X, k, s: max_pool2d(X, k, s),
    cases=[
        (np.arange(16.0).reshape(1, 1, 4, 4), 2, 2),
        (np.arange(18.0).reshape(1, 2, 3, 3) / 2 - 4, 2, 1),
        (np.arange(120.0).reshape(2, 3, 4, 5) % 7 - 3.5, 2, 2),
        (np.arange(120.0).reshape(3, 2, 5, 4) % 11 / 2 - 2, 3, 1),
    ],
    random_case=_random_batch,
    mistakes=[
        Mistake("You pooled over the wrong axes: X is (N, C, H, W), with the channels second, "
                "and the window slides over the last two axes.",
                like=lambda X, k, s: max_pool2d(X, k, s, data_format="channels_last")),
        Mistake("Your batch and channel axes are swapped: the output keeps the input's "
                "order, (N, C, H_out, W_out).",
                like=lambda X, k, s: max_pool2d(X, k, s).swapaxes(0, 1)),
        Mistake("Your output ignores the stride: the window moves s positions at a time, "
                "along rows and along columns.",
                like=lambda X, k, s: max_pool2d(X, k, 1)),
    ],
    hint="Pool one (n, c) plane at a time and store it at [n, c] of the output; compare "
         "your output's first plane with this case's.",
))


# ---------------------------------------------------------------- same_padding
def _split(need, extra_first=False):
    return (need - need // 2, need // 2) if extra_first else (need // 2, need - need // 2)


def _need(n, k, s, outputs):
    return (outputs - 1) * s + k - n


register(Exercise(
    id="same_padding", title="TensorFlow's SAME padding", chapter=2,
    signature="same_padding(n, k, s)",
    reference=lambda n, k, s: same_padding(n, k, s),
    cases=[(4, 3, 2), (5, 3, 1), (7, 4, 1), (2, 1, 3)],
    random_case=lambda rng: (randint(rng, 1, 20), randint(rng, 1, 7), randint(rng, 1, 4)),
    returns="int pair",
    mistakes=[
        Mistake("You put the odd extra element of padding first: TensorFlow puts it at "
                "the end (bottom/right).",
                like=lambda n, k, s: _split(max(0, _need(n, k, s, -(-n // s))), extra_first=True)),
        Mistake("Padding is never negative: when the windows already cover the input, "
                "there is nothing to pad.",
                like=lambda n, k, s: _split(_need(n, k, s, -(-n // s)))),
        Mistake("Your before and after do not add up to the total padding needed: when the "
                "total is odd, one side gets one more.",
                like=lambda n, k, s: (max(0, _need(n, k, s, -(-n // s))) // 2,) * 2),
        Mistake("Your padding is what stride 1 would need: with a stride, SAME keeps fewer "
                "outputs, so less padding may be needed.",
                like=lambda n, k, s: _split(k - 1)),
        Mistake("You pad as if SAME kept all n positions: with a stride s it keeps only "
                "about n / s outputs.",
                like=lambda n, k, s: _split(max(0, _need(n, k, s, n)))),
    ],
    hint="First work out how many outputs SAME keeps for this case and how long the padded "
         "input must be for them; then split the padding between the two ends.",
    spoilers=["need // 2", "(out - 1) * s + k - n", "ceil(n / s)"],
))


# ---------------------------------------------------------------- padded_cost (a prediction)
register(Prediction(
    id="padded_cost", title="The cost of pooling with padding", chapter=2,
    name="comparisons",
    answer=(128, 84),
    hint="Count the windows first (the output size), then the comparisons of one window: "
         "finding the largest of m numbers takes m - 1. With padding skipped, m is the "
         "number of real elements, which depends on where the window sits: a corner, an "
         "edge or the inside.",
    explanation="16 windows of 9 elements: 16 * 8 = 128. Skipping the padding: 4 corner "
                "windows of 4 real elements, 8 edge windows of 6 and 4 inner windows of 9: "
                "4 * 3 + 8 * 5 + 4 * 8 = 84.",
))
