"""Exercises of chapter 8, "What it costs": the bytes a pooling layer moves, the
comparisons it makes directly and in separable passes, and the chunk of planes that
fits a cache.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

from ..checks import ONE_TOO_MANY, Exercise, Mistake, randint, register


def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _random_pooling(rng):
    """``(N, C, H, W), k, s, p`` with at least one window along each dimension."""
    k = randint(rng, 1, 5)
    p = randint(rng, 0, k // 2)
    h, w = (randint(rng, max(1, k - 2 * p), 40) for _ in range(2))
    return (randint(rng, 1, 64), randint(rng, 1, 256), h, w), k, randint(rng, 1, 3), p


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


# ---------------------------------------------------------------- planes_per_chunk
def _planes(cache_bytes, H, W, p, itemsize, buffers=2, pad=True, at_least=1, bits=False):
    plane = buffers * (H + 2 * p if pad else H) * (W + 2 * p if pad else W) * itemsize * (8 if bits else 1)
    return max(at_least, cache_bytes // plane)


def _random_chunk_case(rng):
    H, W = randint(rng, 1, 300), randint(rng, 1, 300)
    return 2 ** randint(rng, 12, 21), H, W, randint(rng, 0, 3), 2 ** randint(rng, 0, 3)


register(Exercise(
    id="planes_per_chunk", title="A chunk that fits the cache", chapter=8,
    signature="planes_per_chunk(cache_bytes, H, W, p, itemsize)",
    reference=lambda cache_bytes, H, W, p, itemsize: _planes(cache_bytes, H, W, p, itemsize),
    cases=[
        (512 * 1024, 56, 56, 1, 4),
        (1024 * 1024, 112, 112, 1, 4),
        (256 * 1024, 14, 14, 0, 2),
        (32 * 1024, 1024, 1024, 3, 4),
    ],
    random_case=_random_chunk_case,
    returns="int",
    mistakes=[
        Mistake("You left room for one buffer per plane: a pass reads one padded buffer and "
                "writes another of the same size, and both must stay in the cache.",
                like=lambda c, H, W, p, i: _planes(c, H, W, p, i, buffers=1)),
        Mistake("Your buffers have no padding: each padded plane has p more elements on every "
                "side, in both dimensions.",
                like=lambda c, H, W, p, i: _planes(c, H, W, p, i, pad=False)),
        Mistake("Your answer is 0 when one plane does not fit: a chunk holds at least one "
                "plane (the pass would still work, just out of cache).",
                like=lambda c, H, W, p, i: _planes(c, H, W, p, i, at_least=0)),
        Mistake("Your sizes are in bits: cache_bytes and itemsize are both in bytes.",
                like=lambda c, H, W, p, i: _planes(c, H, W, p, i, bits=True)),
        ONE_TOO_MANY,
    ],
    hint="Compute the bytes of the two padded buffers of one plane, then how many whole "
         "planes fit in cache_bytes.",
))
