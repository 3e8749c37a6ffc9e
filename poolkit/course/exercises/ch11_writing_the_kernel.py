"""Exercises of chapter 11, "Writing the kernel": the 1-D max kernel with the loop order
a compiler vectorizes, the outputs a gathering thread pulls from, and a prediction about
the writers a scatter would need atomics for.

Every ``like=`` function below makes one common mistake on purpose: when a learner's
answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ..checks import Exercise, Mistake, Prediction, randint, register


def _out(n, k, s, p=0):
    return (n + 2 * p - k) // s + 1


# ---------------------------------------------------------------- max_kernel_1d
def _max_1d(x, k, s, strict=True, first_tap=True, bound=0):
    """The scan: tap t of window j is x[j*s + t]; ``v > best`` keeps the first maximum (strict)."""
    out = np.full(_out(len(x) + bound, k, s), -np.inf, dtype=x.dtype)
    for t in range(k):
        for j in range(len(out)):
            i = j * s + t
            if i >= len(x):
                continue
            v = x[i]
            if (v > out[j] or v != v) if strict else (v >= out[j] or v != v):
                out[j] = v
    return out


def _max_1d_reference(x, k, s):
    n = _out(len(x), k, s)
    windows = np.stack([x[t: t + (n - 1) * s + 1: s] for t in range(k)])
    nan = np.isnan(windows).any(axis=0)
    return np.where(nan, np.nan, windows.max(axis=0)).astype(x.dtype)


def _random_row(rng):
    k = randint(rng, 1, 5)
    s = randint(rng, 1, 3)
    n = randint(rng, k, 30)
    x = rng.integers(-3, 4, size=n).astype(np.float64)       # small integers: ties everywhere
    x[rng.random(n) < 0.1] = -np.inf
    return x, k, s


register(Exercise(
    id="max_kernel_1d", title="The 1-D max kernel, taps outside, outputs inside", chapter=11,
    signature="max_kernel_1d(x, k, s)",
    reference=_max_1d_reference,
    cases=[
        (np.array([1.0, 3.0, 2.0, 5.0, 4.0]), 2, 1),
        (np.array([1.0, 3.0, 2.0, 5.0, 4.0, 0.0]), 3, 2),
        (np.array([2.0, 2.0, -np.inf, -np.inf, 7.0]), 2, 2),
        (np.array([0.5, -1.0, 4.0, 4.0, 3.0, 2.0, 9.0]), 3, 3),
    ],
    random_case=_random_row,
    returns="array",
    mistakes=[
        Mistake("Your output is one window too long or too short: with no padding there are "
                "(n - k) // s + 1 windows, and the last one must fit inside x.",
                like=lambda x, k, s: _max_1d(x, k, s, bound=s)),
        Mistake("Your windows start one element apart whatever the stride: window j starts at j * s.",
                like=lambda x, k, s: _max_1d(x, k, 1)[:_out(len(x), k, s)]),
    ],
    hint="Start every output at -inf, then for each tap t update every output j with x[j*s + t].",
))


# ---------------------------------------------------------------- gather_outputs
def _gather(i, k, s, p, n_out):
    lo = max(0, -(((k - 1) - p - i) // s))          # ceil((i + p - (k-1)) / s)
    hi = min(n_out, (i + p) // s + 1)
    return (lo, max(lo, hi))


def _random_gather(rng):
    k = randint(rng, 1, 6)
    s = randint(rng, 1, 4)
    p = randint(rng, 0, k // 2)
    n = randint(rng, max(1, k - 2 * p), 30)
    return randint(rng, 0, n - 1), k, s, p, _out(n, k, s, p)


register(Exercise(
    id="gather_outputs", title="The outputs a gathering thread pulls from", chapter=11,
    signature="gather_outputs(i, k, s, p, n_out)",
    reference=_gather,
    cases=[(4, 3, 1, 1, 8), (4, 3, 2, 1, 4), (0, 3, 1, 1, 8), (7, 3, 2, 1, 4)],
    random_case=_random_gather,
    returns="int pair",
    mistakes=[
        Mistake("You forgot the padding: window o starts at o*s - p, so element i sits p further "
                "into the padded row.",
                like=lambda i, k, s, p, n_out: _gather(i, k, s, 0, n_out)),
        Mistake("Your range is not clipped to the outputs that exist: keep 0 <= o < n_out.",
                like=lambda i, k, s, p, n_out: (-(((k - 1) - p - i) // s), (i + p) // s + 1)),
        Mistake("Your upper end is inclusive: return (lo, hi) with hi one past the last output, "
                "as range(lo, hi) expects.",
                like=lambda i, k, s, p, n_out: (_gather(i, k, s, p, n_out)[0],
                                                max(_gather(i, k, s, p, n_out)[0], _gather(i, k, s, p, n_out)[1] - 1))),
    ],
    hint="Window o covers o*s - p to o*s - p + k - 1. Solve both inequalities for o, then clip to [0, n_out).",
))


# ---------------------------------------------------------------- prediction: scatter writers
register(Prediction(
    id="scatter_writers", title="How many threads would write one element?", chapter=11,
    name="predicted_writers",
    answer=2,
    hint="Draw a row of 9 elements and the windows of 3 that start every 2 elements: count the "
         "windows that cover the element shared by two neighbours.",
    explanation="Windows of 3 that start 2 apart overlap by one element, so that element is in "
                "two windows: two threads would add into it at once, and a scatter needs atomics.",
))
