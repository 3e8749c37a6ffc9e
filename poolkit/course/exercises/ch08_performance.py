"""Exercises of chapter 8, "What it costs": the memory of im2col's column matrix (a
prediction), the bytes a pooling layer moves, and the comparisons it makes directly
and in separable passes.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

from ..checks import Exercise, Mistake, Prediction, randint, register


def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _random_pooling(rng):
    """``(N, C, H, W), k, s, p`` with at least one window along each dimension."""
    k = randint(rng, 1, 5)
    p = randint(rng, 0, k // 2)
    h, w = (randint(rng, max(1, k - 2 * p), 40) for _ in range(2))
    return (randint(rng, 1, 64), randint(rng, 1, 256), h, w), k, randint(rng, 1, 3), p


# ---------------------------------------------------------------- predict_im2col_mib
register(Prediction(
    id="predict_im2col_mib", title="The memory of im2col's column matrix", chapter=8,
    name="predicted_mib",
    answer=9 * 32 * 64 * 28 * 28 * 4 / 2 ** 20,   # k*k rows per output, float32
    rtol=0.03,
    hint="Count the outputs of one plane first (the output-size formula), then the "
         "planes; each output has one column of k * k elements, 4 bytes each. "
         "1 MiB is 2**20 bytes.",
    explanation="About 2.25 times the 24.5 MiB input, (k / s) ** 2 = 9 / 4, written "
                "and then read again.",
))


# ---------------------------------------------------------------- bytes_moved
def _bytes(shape, k, s, p, itemsize, rows=None, output=True, padded=False):
    N, C, H, W = shape
    rows = rows or (lambda n: _out(n, k, s, p))
    read = N * C * ((H + 2 * p) * (W + 2 * p) if padded else H * W)
    return (read + (N * C * rows(H) * rows(W) if output else 0)) * itemsize


def _random_bytes_case(rng):
    return _random_pooling(rng) + (2 ** randint(rng, 0, 3),)


register(Exercise(
    id="bytes_moved", title="The bytes a pooling layer moves", chapter=8,
    signature="bytes_moved(shape, k, s, p, itemsize)",
    reference=lambda shape, k, s, p, itemsize: _bytes(shape, k, s, p, itemsize),
    cases=[
        ((1, 1, 4, 4), 2, 2, 0, 4),
        ((2, 3, 5, 7), 3, 2, 1, 8),
        ((32, 64, 56, 56), 3, 2, 1, 4),
        ((8, 64, 112, 112), 3, 1, 1, 2),
    ],
    random_case=_random_bytes_case,
    returns="int",
    mistakes=[
        Mistake("You counted the input only: the layer also writes its output to memory, "
                "and for a stride of 1 that is as many bytes again.",
                like=lambda shape, k, s, p, itemsize: _bytes(shape, k, s, p, itemsize, output=False)),
        Mistake("Your count is in elements, not bytes: multiply by the size of one element.",
                like=lambda shape, k, s, p, itemsize: _bytes(shape, k, s, p, 1)),
        Mistake("You counted the padding as if it were read from memory: it is never stored "
                "(the kernel knows where the input ends), so only the input's own elements "
                "are read.",
                like=lambda shape, k, s, p, itemsize: _bytes(shape, k, s, p, itemsize, padded=True)),
        Mistake("Your output size ignores the stride: consecutive windows start s apart, so "
                "each dimension has about n / s outputs.",
                like=lambda shape, k, s, p, itemsize: _bytes(shape, k, s, p, itemsize,
                                                             rows=lambda n: _out(n, k, 1, p))),
        Mistake("Your output size ignores the padding: with p on each side, the windows "
                "slide over n + 2p positions.",
                like=lambda shape, k, s, p, itemsize: _bytes(shape, k, s, p, itemsize,
                                                             rows=lambda n: _out(n, k, s, 0))),
    ],
    hint="Write down the output's height and width for this case, then the number of elements "
         "read and written, then the bytes.",
))


# ---------------------------------------------------------------- comparisons
def _comparisons(shape, k, s, p, per=lambda m: m - 1, rows=None, at_every_column=False):
    N, C, H, W = shape
    Ho, Wo = _out(H, k, s, p), _out(W, k, s, p)
    direct = N * C * Ho * Wo * per(k * k)
    first = N * C * (rows if rows is not None else H) * (W if at_every_column else Wo) * per(k)
    return direct, first + N * C * Ho * Wo * per(k)


register(Exercise(
    id="comparisons", title="Comparisons, directly and in separable passes", chapter=8,
    signature="comparisons(shape, k, s, p)",
    reference=lambda shape, k, s, p: _comparisons(shape, k, s, p),
    cases=[
        ((1, 1, 4, 4), 2, 2, 0),
        ((1, 1, 5, 5), 3, 1, 1),
        ((2, 3, 7, 6), 3, 2, 1),
        ((32, 64, 56, 56), 3, 2, 1),
    ],
    random_case=_random_pooling,
    returns="int pair",
    mistakes=[
        Mistake("You counted one comparison per element: the largest of m numbers takes "
                "m - 1 comparisons (the first element is compared with nobody).",
                like=lambda shape, k, s, p: _comparisons(shape, k, s, p, per=lambda m: m)),
        Mistake("Your first pass also runs over the padding rows: they hold only -inf, and "
                "the first pass needs only the input's H rows (the second pass reads the "
                "padding as -inf).",
                like=lambda shape, k, s, p: _comparisons(shape, k, s, p, rows=shape[2] + 2 * p)),
        Mistake("Your first pass computes a maximum at every column: only the window starts, "
                "W_out per row, are needed.",
                like=lambda shape, k, s, p: _comparisons(shape, k, s, p, at_every_column=True)),
    ],
    hint="For this case, count the maxima each pass must produce and the elements each one "
         "compares; then the direct scan's windows and their elements.",
    spoilers=["(k - 1)", "k - 1", "k*k - 1", "k * k - 1"],
))
