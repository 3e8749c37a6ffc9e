"""Chapter 11's stored timings: add them to a benchmark results file.

Usage (after ``python -m poolkit.bench --compile-times --out chapters/data/ch11_bench.json``)::

    python tools/ch11_timings.py chapters/data/ch11_bench.json

Adds ``"simd"`` (the branchy and the vectorizable 1-D max loop of chapter 11, one
thread, the same code the chapter shows) and ``"threads"`` (``method="numba"`` on shapes
A and D with 1 and 2 threads). Medians of round-robin rounds, as poolkit.bench.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numba
import numpy as np
from numba import njit

import poolkit
from poolkit.bench import SHAPES


@njit(cache=True)
def max_rows_branchy(x, k, p):
    """Window by window along each row: a bounds test and a data-dependent branch per tap."""
    rows, n = x.shape
    out = np.empty((rows, n + 2 * p - k + 1), x.dtype)
    for r in range(rows):
        for j in range(out.shape[1]):
            best = -np.inf
            for t in range(k):
                i = j - p + t
                if 0 <= i < n:
                    v = x[r, i]
                    if v > best or v != v:
                        best = v
            out[r, j] = best
    return out


@njit(cache=True)
def max_rows_vector(x, k, p):
    """Taps outside, outputs inside: each tap's in-bounds outputs are one range, the
    update a select; no branch in the inner loop, which LLVM turns into SIMD code."""
    rows, n = x.shape
    out = np.full((rows, n + 2 * p - k + 1), -np.inf, x.dtype)
    for r in range(rows):
        for t in range(k):
            lo, hi = max(0, p - t), min(out.shape[1], n + p - t)   # outputs whose tap t is inside
            xs, os = x[r, lo - p + t:hi - p + t], out[r, lo:hi]      # views: indices from 0
            for j in range(hi - lo):
                v, b = xs[j], os[j]
                os[j] = v if (v > b) | (v != v) else b
    return out


def _median_ms(calls, rounds):
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def simd(rounds=15):
    x = np.random.default_rng(0).standard_normal((2048, 1024)).astype(np.float32)
    out = {}
    for k in (3, 7):
        p = k // 2
        assert np.array_equal(max_rows_branchy(x, k, p), max_rows_vector(x, k, p))
        ms = _median_ms({"branchy": lambda k=k, p=p: max_rows_branchy(x, k, p),
                         "vector": lambda k=k, p=p: max_rows_vector(x, k, p)}, rounds)
        out[f"k={k}"] = {"elements": x.size, **{f"{n}_ms": v for n, v in ms.items()}}
    return out


def threads(rounds=9):
    out = {}
    before = numba.get_num_threads()
    for name in "AD":
        shape = SHAPES[name]
        x = np.random.default_rng(0).standard_normal((shape.N, shape.C, shape.H, shape.W)).astype(np.float32)
        res = {}
        for n in (1, 2):
            numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
            def call(x=x, shape=shape):
                return poolkit.max_pool2d(x, shape.k, shape.s, shape.p, method="numba")
            call()
            res[f"{n} thread{'s' * (n > 1)}"] = _median_ms({"max": call}, rounds)["max"]
        out[name] = res
    numba.set_num_threads(before)
    return out


def main(path):
    with open(path) as f:
        results = json.load(f)
    results["simd"] = simd()
    results["threads_numba"] = threads()
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(json.dumps({k: results[k] for k in ("simd", "threads_numba")}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
