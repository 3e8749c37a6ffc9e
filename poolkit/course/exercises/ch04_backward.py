"""Exercises of chapter 4, "The backward pass": max pooling's gradient from the forward's
indices, average pooling's with a divisor that counts only real elements, and the three
ways of sharing a gradient between tied maxima, and (a prediction) where a gradient goes
when windows overlap and tie.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ...functional import max_pool2d
from ..checks import Exercise, Mistake, Prediction, randint, random_values, random_window, register


def _route(dy, indices, x_shape):
    from ...backward import route  # imported when first graded
    return route(dy, indices, x_shape)


def _avg_pool2d_backward(*args, **kwargs):
    from ...backward import avg_pool2d_backward  # imported when first graded
    return avg_pool2d_backward(*args, **kwargs)


# ---------------------------------------------------------------- max_pool_backward
def _max_case(x, k, s, p, dy_seed):
    """(dy, indices, x_shape) of a max pooling of ``x`` (N, C, H, W)."""
    _, indices = max_pool2d(x, k, s, p, return_indices=True)
    dy = random_values(np.random.default_rng(dy_seed), indices.shape)
    return dy, indices, x.shape


def _random_max_case(rng):
    k, p, h, w = random_window(rng, 3)
    shape = (randint(rng, 1, 2), randint(rng, 1, 2), h, w)
    x = rng.integers(0, 4, size=shape).astype(float)   # few distinct values: ties happen
    return _max_case(x, k, randint(rng, 1, k), p, randint(rng, 0, 1000))


def _overwrite(dy, indices, x_shape):
    dx = np.zeros((x_shape[0] * x_shape[1], int(np.prod(x_shape[2:]))))
    dx[np.arange(len(dx))[:, None], indices.reshape(len(dx), -1)] = dy.reshape(len(dx), -1)
    return dx.reshape(x_shape)


def _one_plane(dy, indices, x_shape):
    dx = np.zeros(int(np.prod(x_shape)))
    np.add.at(dx, indices.ravel(), dy.ravel())
    return dx.reshape(x_shape)


def _columns_first(dy, indices, x_shape):
    """Reads the flat index as col * H + row."""
    N, C, H, W = x_shape
    col, row = np.divmod(indices, H)
    dx = np.zeros(x_shape)
    n, c = np.indices(indices.shape[:2], sparse=True)
    np.add.at(dx, (n[..., None, None], c[..., None, None], row, col), dy)
    return dx


register(Exercise(
    id="max_pool_backward", title="Max pooling backward from the indices", chapter=4,
    without=("poolkit",),
    signature="max_pool_backward(dy, indices, x_shape)",
    reference=_route,
    cases=[
        _max_case(np.array([[[[1.0, 3.0, 2.0, 3.0, 0.0]]]]), (1, 3), 1, 0, 1),
        _max_case(np.arange(16.0).reshape(1, 1, 4, 4), 2, 2, 0, 2),
        _max_case(np.array([[[[1.0, 2.0, 0.0], [4.0, 3.0, 4.0], [0.0, 1.0, 2.0]]]]), 2, 1, 0, 3),
        _max_case(np.arange(40.0).reshape(2, 1, 4, 5) % 6, 3, 2, 1, 4),
    ],
    random_case=_random_max_case,
    rtol=1e-9,
    mistakes=[
        Mistake("Where windows overlap, one element can be the maximum of several windows, "
                "and it must receive the sum of their gradients; yours keeps only one. "
                "Assigning overwrites, and so does `+=` with fancy indexing (it adds once per "
                "repeated index); np.add.at adds every one.",
                like=_overwrite),
        Mistake("All your gradients land in the first (n, c) plane: an index counts positions "
                "within its own plane of H*W elements, so index 0 of plane (n, c) is "
                "dx[n, c, 0, 0].",
                like=_one_plane),
        Mistake("You read the flat index column by column. Like numpy's C order, it counts "
                "along a row first: index = row * W + column.",
                like=_columns_first),
    ],
    hint="Take the first window of this case: which element does its index name, and "
         "which other windows picked the same element? Add their gradients there.",
))


# ---------------------------------------------------------------- avg_pool_backward
def _avg_reference(dy, x_shape, k, s, p, count_include_pad=False):
    return _avg_pool2d_backward(dy, np.zeros(x_shape), k, s, p, count_include_pad=count_include_pad)


def _spread_unscaled(dy, x_shape, k, s, p):
    return _avg_pool2d_backward(dy, np.zeros(x_shape), k, s, p, divisor_override=1)


def _avg_overwrite(dy, x_shape, k, s, p):
    """Spreads ``dy / real elements`` by assignment: the last window wins."""
    N, C, H, W = x_shape
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    real = np.zeros_like(P)
    real[:, :, p:p + H, p:p + W] = 1
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            window = (slice(None), slice(None), slice(i * s, i * s + k), slice(j * s, j * s + k))
            count = real[window].sum(axis=(2, 3))
            P[window] = (dy[:, :, i, j] / count)[:, :, None, None]
    return P[:, :, p:p + H, p:p + W]


def _avg_case(x_shape, k, s, p, seed):
    out = [(n + 2 * p - k) // s + 1 for n in x_shape[2:]]
    return random_values(np.random.default_rng(seed), tuple(x_shape[:2]) + tuple(out)), x_shape, k, s, p


def _random_avg_case(rng):
    k, p, h, w = random_window(rng, 4)
    x_shape = (randint(rng, 1, 2), randint(rng, 1, 2), h, w)
    return _avg_case(x_shape, k, randint(rng, 1, k), p, randint(rng, 0, 1000))


register(Exercise(
    id="avg_pool_backward", title="Average pooling backward, padding not counted", chapter=4,
    without=("poolkit",),
    signature="avg_pool_backward(dy, x_shape, k, s, p)",
    reference=_avg_reference,
    cases=[
        (np.ones((1, 1, 2, 2)), (1, 1, 3, 3), 2, 2, 1),
        (np.ones((1, 1, 3, 3)), (1, 1, 4, 4), 2, 1, 0),
        _avg_case((1, 1, 4, 4), 3, 2, 1, 5),
        _avg_case((2, 2, 5, 4), 3, 1, 1, 6),
    ],
    random_case=_random_avg_case,
    rtol=1e-9,
    mistakes=[
        Mistake("You divide by the full window, k*k, which is count_include_pad=True. Here "
                "the divisor of a window is the number of its elements that lie inside the "
                "input: smaller for the windows that overlap the padding.",
                like=lambda dy, x_shape, k, s, p: _avg_reference(dy, x_shape, k, s, p, True)),
        Mistake("Your gradients are too large: the forward pass divided each window's sum by "
                "its divisor, so each element's share of the gradient is divided by it too.",
                like=_spread_unscaled),
        Mistake("Where windows overlap, an element must receive a share from every window "
                "that contains it; yours keeps only the last one. Add, do not overwrite.",
                like=_avg_overwrite),
    ],
    hint="For the first window of this case, count its real elements, then write down "
         "what each of them receives; then follow one element that two windows share.",
))


# ---------------------------------------------------------------- tie_backward
POLICIES = ("first", "split", "all")


def _tie_backward(dy, x, k, policy, scan="row", pick="first"):
    """Gradient of non-overlapping k x k max pooling of the (H, W) array ``x`` under a tie policy."""
    H, W = x.shape
    Ho, Wo = H // k, W // k
    blocks = x[:Ho * k, :Wo * k].reshape(Ho, k, Wo, k).transpose(0, 2, 1, 3)   # (Ho, Wo, k, k)
    if scan == "column":
        blocks = blocks.swapaxes(2, 3)
    flat = blocks.reshape(Ho, Wo, k * k)
    ties = flat == flat.max(axis=-1, keepdims=True)
    if policy == "first":
        tap = ties.argmax(axis=-1) if pick == "first" else k * k - 1 - ties[..., ::-1].argmax(axis=-1)
        share = np.zeros(ties.shape)
        np.put_along_axis(share, tap[..., None], 1.0, axis=-1)
    elif policy == "split":
        share = ties / ties.sum(axis=-1, keepdims=True)
    elif policy == "all":
        share = ties.astype(float)
    elif policy == "even":   # divides by the window size, ties or not
        share = ties / (k * k)
    else:
        raise ValueError(f"policy={policy!r}")
    g = (share * dy[..., None] + 0.0).reshape(Ho, Wo, k, k)   # + 0.0: no -0.0 where share is 0
    if scan == "column":
        g = g.swapaxes(2, 3)
    dx = np.zeros((H, W))
    dx[:Ho * k, :Wo * k] = g.transpose(0, 2, 1, 3).reshape(Ho * k, Wo * k)
    return dx


def _other_policy(dy, x, k, policy, other):
    if other == policy:
        raise ValueError("the same policy")
    return _tie_backward(dy, x, k, other)


def _tie_case(x, k, policy, seed):
    x = np.asarray(x, dtype=float)
    dy = random_values(np.random.default_rng(seed), (x.shape[0] // k, x.shape[1] // k))
    return dy, x, k, policy


def _random_tie_case(rng):
    k = randint(rng, 2, 3)
    ho, wo = randint(rng, 1, 3), randint(rng, 1, 3)
    x = rng.integers(0, 3, size=(ho * k, wo * k)).astype(float)
    return _tie_case(x, k, POLICIES[randint(rng, 0, 2)], randint(rng, 0, 1000))


register(Exercise(
    id="tie_backward", title="Three ways to share a gradient between tied maxima", chapter=4,
    signature="tie_backward(dy, x, k, policy)",
    reference=_tie_backward,
    cases=[
        _tie_case(np.ones((2, 2)), 2, "first", 7),
        _tie_case([[1, 3], [3, 0]], 2, "split", 7),
        _tie_case(np.ones((2, 2)), 2, "all", 7),
        _tie_case([[0, 2, 1, 1], [2, 1, 1, 0], [2, 0, 0, 0], [1, 2, 0, 0]], 2, "first", 8),
    ],
    random_case=_random_tie_case,
    rtol=1e-9,
    mistakes=[
        Mistake("For 'first', your gradient goes to the last of the tied maxima. PyTorch and "
                "TensorFlow scan a window row by row from its top-left corner and keep the "
                "first maximum they meet: a later tie does not replace it.",
                when=lambda a, e, g: a[3] == "first" and np.allclose(g, _tie_backward(*a, pick="last"))),
        Mistake("For 'first', you scan the window column by column. PyTorch and TensorFlow "
                "scan it row by row (row-major), so among tied maxima the one in the "
                "earliest row wins, and within that row the leftmost.",
                when=lambda a, e, g: a[3] == "first" and np.allclose(g, _tie_backward(*a, scan="column"))),
        Mistake("For 'split', you divide by the window size: the gradient is split among the "
                "tied maxima only, the other elements get nothing.",
                when=lambda a, e, g: a[3] == "split" and np.allclose(g, _tie_backward(*a[:3], "even"))),
        Mistake("Your answer follows another of the three policies than the one asked for: "
                "'first' gives everything to one element, 'split' shares it so that the "
                "shares add up to dy, 'all' gives each tied maximum the whole of dy.",
                when=lambda a, e, g: any(np.allclose(g, _tie_backward(*a[:3], other))
                                         for other in POLICIES if other != a[3])),
    ],
    hint="Take the first window of this case: find its maxima, decide under this case's "
         "policy what each element receives, and compare with your output.",
))


# ---------------------------------------------------------------- tie_gradient (a prediction)
register(Prediction(
    id="tie_gradient", title="Which element receives the gradient", chapter=4,
    name="predicted_dx",
    answer=(0, 2, 1, 0),
    hint="List the three windows and the element each one picks: at a tie, the first "
         "maximum in scan order. Each window hands its gradient, 1, to the element it "
         "picked, and an element picked twice receives both.",
    explanation="The windows [1, 3], [3, 3] and [3, 2] pick x[1], x[1] (the first of the "
                "tie) and x[2].",
))
