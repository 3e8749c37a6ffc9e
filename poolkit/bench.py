"""What pooling costs: poolkit's methods against PyTorch, TensorFlow and the memory floor.

Usage::

    python -m poolkit.bench                        # shapes A-E, 7 rounds (a few minutes)
    python -m poolkit.bench --shapes A,C --repeat 9 --out bench.json
    python -m poolkit.bench --quick --out /tmp/bench.json   # tiny shapes, seconds (for tests)

Every shape runs in this one process, its cases timed round-robin (round 1 runs
every case once, then round 2, ...), so a slow moment of the machine hits all
cases alike; each case reports the median of its rounds. Float32 inputs,
channels-first (NCHW) unless a case says NHWC. The cases:

- ``floor``: ``np.copyto`` of the input into an existing array, the time to read
  the input once and write as much: pooling cannot beat reading its input;
- ``poolkit``: ``method="auto"``, single-threaded (numpy). Inference forward
  through the functions (``max_pool2d``, ``avg_pool2d``); training forward and
  backward through the layers (``MaxPool2d.forward`` computes and caches the
  indices, ``backward`` consumes them);
- ``numba``: ``method="numba"`` (chapter 11's compiled kernels, numba's default threads),
  the same cases as ``poolkit`` (NCHW and NHWC forward, the layers' training forward and
  backward) and the layers' backward on NHWC data too, when numba is installed; its
  first-call compile time is in the results. Its targets take numba's faster layout
  against the frameworks' faster one;
- ``im2col``, ``windows``: the teaching methods (inference forward);
- ``naive``: the loop, timed on one small plane and extrapolated per window
  element to the whole shape (labelled ``extrapolated``);
- ``torch`` (NCHW and channels_last, default threads; NCHW also on 1 thread):
  forward under ``no_grad``, ``return_indices=True`` for the training forward,
  backward as ``torch.autograd.grad`` of a stored forward;
- ``tf`` (NHWC, default threads): ``tf.nn.max_pool2d``/``avg_pool2d``, with
  ``"SAME"`` padding when the shape pads (the same output size, the extra
  padding after), backward as ``GradientTape.gradient`` of a stored forward.

PyTorch and TensorFlow are imported only here, when a run needs them.
TensorFlow runs with its oneDNN kernels (its default, and its fastest CPU path)
unless ``--tf-onednn off``; its C++ logging is silenced. The results file holds
the machine's description (CPU, cores, load, versions, threads), every case's
times, peak extra memory of poolkit's forward passes (``tracemalloc``), the
agreement of the results across frameworks, and the targets below with the
ratios measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["SHAPES", "TARGETS", "Shape", "extra_memory", "run", "table", "main"]


@dataclass(frozen=True)
class Shape:
    """A pooling to time: ``(N, C, H, W)`` float32 input, ``k x k`` windows, stride ``s``, padding ``p``."""

    N: int
    C: int
    H: int
    W: int
    k: int
    s: int
    p: int
    about: str = ""

    @property
    def out(self):
        return tuple((L + 2 * self.p - self.k) // self.s + 1 for L in (self.H, self.W))

    @property
    def input_bytes(self):
        return self.N * self.C * self.H * self.W * 4

    @property
    def window_elements(self):
        """Taps read by all windows: ``N * C * Ho * Wo * k * k``."""
        return self.N * self.C * self.out[0] * self.out[1] * self.k * self.k

    def quick(self):
        """A tiny version with the same windows (for smoke tests)."""
        return Shape(min(self.N, 2), min(self.C, 3), min(self.H, 24), min(self.W, 24), self.k, self.s, self.p,
                     self.about)


SHAPES = {
    "A": Shape(32, 64, 56, 56, 3, 2, 1, "ResNet's first pooling: overlapping 3x3 windows, stride 2, padding 1"),
    "B": Shape(32, 128, 56, 56, 2, 2, 0, "VGG-style 2x2 pooling, stride 2"),
    "C": Shape(8, 64, 112, 112, 3, 1, 1, "3x3 stride 1 (inception-style), output as large as the input"),
    "D": Shape(1, 1, 1024, 1024, 7, 1, 3, "one large plane, 7x7 stride 1 (image filtering)"),
    "E": Shape(64, 256, 14, 14, 2, 2, 0, "a late 2x2 pooling: many small planes"),
}

# numba's cases of each pass in its two layouts (the targets take the faster)
NUMBA = {what: (f"numba {what}", f"numba NHWC {what}") for what in ("max fwd", "avg fwd", "max bwd", "avg bwd")}

# (description, numerator case(s), denominator case(s), at most, shapes it applies to)
TARGETS = [
    ("max forward <= 0.2x torch NCHW", "poolkit max fwd", "torch NCHW max fwd", 0.2, "ABCDE"),
    ("avg forward <= 0.67x torch NCHW", "poolkit avg fwd", "torch NCHW avg fwd", 0.67, "ABCDE"),
    ("max forward <= 3x TF NHWC", "poolkit max fwd", "tf NHWC max fwd", 3.0, "ABE"),
    ("avg forward <= 3x TF NHWC", "poolkit avg fwd", "tf NHWC avg fwd", 3.0, "ABE"),
    ("max forward <= 1.5x TF NHWC", "poolkit max fwd", "tf NHWC max fwd", 1.5, "C"),
    ("avg forward <= 1.5x TF NHWC", "poolkit avg fwd", "tf NHWC avg fwd", 1.5, "C"),
    ("max forward faster than TF NHWC", "poolkit max fwd", "tf NHWC max fwd", 1.0, "D"),
    ("avg forward faster than TF NHWC", "poolkit avg fwd", "tf NHWC avg fwd", 1.0, "D"),
    ("max forward <= 4x the copy floor", "poolkit max fwd", "floor copy", 4.0, "ABCE"),
    ("avg forward <= 4x the copy floor", "poolkit avg fwd", "floor copy", 4.0, "ABCE"),
    ("max backward <= 1.5x torch NCHW", "poolkit max bwd", "torch NCHW max bwd", 1.5, "ABCDE"),
    ("avg backward <= 1.5x torch NCHW", "poolkit avg bwd", "torch NCHW avg bwd", 1.5, "ABCDE"),
    ("max backward faster than TF's", "poolkit max bwd", "tf NHWC max bwd", 1.0, "ABCDE"),
    ("forward with indices <= 0.6x torch NCHW forward", "poolkit max fwd+idx", "torch NCHW max fwd", 0.6, "ABCDE"),
    # chapter 11's compiled kernels: a tuple of cases means the faster of them, so each side
    # runs in its faster layout (numba's NCHW or NHWC; TF's NHWC or PyTorch's channels_last)
    ("numba max forward (faster layout) <= 1x faster of TF NHWC, torch CL", NUMBA["max fwd"],
     ("tf NHWC max fwd", "torch channels_last max fwd"), 1.0, "ABCDE"),
    ("numba avg forward (faster layout) <= 1x faster of TF NHWC, torch CL", NUMBA["avg fwd"],
     ("tf NHWC avg fwd", "torch channels_last avg fwd"), 1.0, "ABCDE"),
    ("numba max backward (faster layout) <= 1x torch's faster layout", NUMBA["max bwd"],
     ("torch NCHW max bwd", "torch channels_last max bwd"), 1.0, "ABCDE"),
    ("numba avg backward (faster layout) <= 1x torch's faster layout", NUMBA["avg bwd"],
     ("torch NCHW avg bwd", "torch channels_last avg bwd"), 1.0, "ABCDE"),
    ("numba max forward (faster layout) <= 2x the copy floor", NUMBA["max fwd"], "floor copy", 2.0, "ABCE"),
    ("numba avg forward (faster layout) <= 2x the copy floor", NUMBA["avg fwd"], "floor copy", 2.0, "ABCE"),
]
"""The course's performance targets, as ratios of medians measured in one run."""

MEMORY_LIMIT = 1.0
"""Peak extra memory of a poolkit forward pass, at most this many times the input's size."""

SLOW_SECONDS = 0.5
"""A case slower than this on its first round runs only :data:`SLOW_ROUNDS` rounds."""
SLOW_ROUNDS = 3


# ---------------------------------------------------------------- the cases
def _poolkit_cases(shape, x, g):
    import poolkit

    k, s, p = shape.k, shape.s, shape.p
    dst = np.empty_like(x)
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    max_layer, avg_layer = poolkit.MaxPool2d(k, s, p), poolkit.AvgPool2d(k, s, p)
    max_layer.forward(x)
    avg_layer.forward(x)
    return {
        "floor copy": lambda: np.copyto(dst, x),
        "poolkit max fwd": lambda: poolkit.max_pool2d(x, k, s, p),
        "poolkit avg fwd": lambda: poolkit.avg_pool2d(x, k, s, p),
        "poolkit max fwd+idx": lambda: max_layer.forward(x),
        "poolkit max bwd": lambda: max_layer.backward(g),
        "poolkit avg bwd": lambda: avg_layer.backward(g),
        "poolkit NHWC max fwd": lambda: poolkit.max_pool2d(x_last, k, s, p, data_format="NHWC"),
        "poolkit NHWC avg fwd": lambda: poolkit.avg_pool2d(x_last, k, s, p, data_format="NHWC"),
        "im2col max fwd": lambda: poolkit.max_pool2d(x, k, s, p, method="im2col"),
        "windows max fwd": lambda: poolkit.max_pool2d(x, k, s, p, method="windows"),
    } | _numba_cases(shape, x, x_last, g)


def _numba_cases(shape, x, x_last, g):
    """``method="numba"``'s cases (none if numba is not installed); each is called once here,
    so compiling (or loading the cache) is not timed."""
    import poolkit

    if not poolkit.compiled.available():
        return {}
    k, s, p = shape.k, shape.s, shape.p
    max_layer, avg_layer = poolkit.MaxPool2d(k, s, p, method="numba"), poolkit.AvgPool2d(k, s, p, method="numba")
    max_last, avg_last = (layer(k, s, p, data_format="NHWC", method="numba") for layer in (poolkit.MaxPool2d,
                                                                                           poolkit.AvgPool2d))
    g_last = np.ascontiguousarray(g.transpose(0, 2, 3, 1))
    max_last.forward(x_last)
    avg_last.forward(x_last)
    cases = {
        "numba max fwd": lambda: poolkit.max_pool2d(x, k, s, p, method="numba"),
        "numba avg fwd": lambda: poolkit.avg_pool2d(x, k, s, p, method="numba"),
        "numba max fwd+idx": lambda: max_layer.forward(x),
        "numba max bwd": lambda: max_layer.backward(g),
        "numba avg bwd": lambda: avg_layer.backward(g),
        "numba NHWC max fwd": lambda: poolkit.max_pool2d(x_last, k, s, p, data_format="NHWC", method="numba"),
        "numba NHWC avg fwd": lambda: poolkit.avg_pool2d(x_last, k, s, p, data_format="NHWC", method="numba"),
        "numba NHWC max bwd": lambda: max_last.backward(g_last),
        "numba NHWC avg bwd": lambda: avg_last.backward(g_last),
    }
    avg_layer.forward(x)
    for call in cases.values():
        call()
    return cases


def compile_times():
    """Seconds for the first call of each numba kernel the benchmark uses, in a fresh process
    with an empty cache (compiling), then in another (loading the cache); and the threads."""
    import subprocess
    import tempfile

    code = ("import time, numpy as np, poolkit\n"
            "x = np.zeros((2, 3, 8, 8), np.float32); g = np.zeros((2, 3, 4, 4), np.float32)\n"
            "t = {}\n"
            "s = time.perf_counter(); import poolkit.kernels; t['import'] = time.perf_counter() - s\n"
            "layer = poolkit.MaxPool2d(2, method='numba')\n"
            "calls = {'max fwd': lambda: poolkit.max_pool2d(x, 2, method='numba'),\n"
            "  'max fwd+idx': lambda: layer.forward(x),\n"
            "  'avg fwd': lambda: poolkit.avg_pool2d(x, 2, method='numba'),\n"
            "  'max bwd': lambda: layer.backward(g),\n"
            "  'avg bwd': lambda: poolkit.avg_pool2d_backward(g, x, 2, method='numba')}\n"
            "for k, f in calls.items():\n"
            "    s = time.perf_counter(); f(); t[k] = time.perf_counter() - s\n"
            "print(repr(t))\n")
    import ast
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("compile", "cached"):
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
            if r.returncode:
                raise RuntimeError(f"timing numba's first calls failed:\n{r.stderr}")
            out[label] = ast.literal_eval(r.stdout.strip().splitlines()[-1])
    return out


def _torch_cases(shape, x, g):
    import torch
    import torch.nn.functional as F

    k, s, p = shape.k, shape.s, shape.p
    threads = torch.get_num_threads()
    cases = {}
    for layout in ("NCHW", "channels_last"):
        xt = torch.from_numpy(x)
        gt = torch.from_numpy(g)
        if layout == "channels_last":
            xt = xt.contiguous(memory_format=torch.channels_last)
            gt = gt.contiguous(memory_format=torch.channels_last)
        xt = xt.clone().requires_grad_(True)
        y_max = F.max_pool2d(xt, k, s, p)
        y_avg = F.avg_pool2d(xt, k, s, p)

        def fwd(fn, xt=xt, **kw):
            def run():
                with torch.no_grad():
                    return fn(xt, k, s, p, **kw)
            return run

        def bwd(y, xt=xt, gt=gt):
            return lambda: torch.autograd.grad(y, xt, gt, retain_graph=True)

        cases[f"torch {layout} max fwd"] = fwd(F.max_pool2d)
        cases[f"torch {layout} avg fwd"] = fwd(F.avg_pool2d)
        cases[f"torch {layout} max fwd+idx"] = fwd(F.max_pool2d, return_indices=True)
        cases[f"torch {layout} max bwd"] = bwd(y_max)
        cases[f"torch {layout} avg bwd"] = bwd(y_avg)

    def one_thread(fn):
        def run():
            torch.set_num_threads(1)
            try:
                return fn()
            finally:
                torch.set_num_threads(threads)
        return run

    for name in ("max fwd", "avg fwd", "max bwd", "avg bwd"):
        cases[f"torch NCHW 1-thread {name}"] = one_thread(cases[f"torch NCHW {name}"])
    return cases


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2: TensorFlow's C++ start-up lines (the oneDNN notice is logged
    before ``TF_CPP_MIN_LOG_LEVEL`` applies) go to the terminal, not through ``sys.stderr``."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _tf_cases(shape, x, g):
    with _quiet_stderr():
        import tensorflow as tf

        cases = _tf_cases_of(tf, shape, x, g)
        for call in cases.values():            # the first calls log too
            call()
    return cases


def _tf_cases_of(tf, shape, x, g):
    k, s = shape.k, shape.s
    padding = "SAME" if shape.p else "VALID"
    xt = tf.constant(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
    cases = {}
    for op, fn in (("max", tf.nn.max_pool2d), ("avg", tf.nn.avg_pool2d)):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(xt)
            y = fn(xt, k, s, padding)
        gt = tf.constant(np.ascontiguousarray(g.transpose(0, 2, 3, 1))[:, :y.shape[1], :y.shape[2]])
        cases[f"tf NHWC {op} fwd"] = lambda fn=fn: fn(xt, k, s, padding)
        cases[f"tf NHWC {op} bwd"] = lambda tape=tape, y=y, gt=gt: tape.gradient(y, xt, output_gradients=gt)
    return cases


def _naive_per_element(shape, repeat):
    """Seconds per window element of the loop (``method="naive"``), on one plane of at most 24x24."""
    import poolkit

    small = Shape(1, 1, min(shape.H, 24), min(shape.W, 24), shape.k, shape.s, shape.p)
    x = np.random.default_rng(1).standard_normal((1, 1, small.H, small.W)).astype(np.float32)
    times = []
    for _ in range(max(1, min(repeat, 3))):
        start = time.perf_counter()
        poolkit.max_pool2d(x, shape.k, shape.s, shape.p, method="naive")
        times.append(time.perf_counter() - start)
    return statistics.median(times) / small.window_elements


def _in_cache_rates(repeat, n=16384, calls=200):
    """Nanoseconds per element of ``np.maximum`` and ``np.add`` on float32 arrays that stay in
    cache (three of ``n`` elements): what the processor does when memory is not the limit."""
    a, b, c = (np.random.default_rng(i).standard_normal(n).astype(np.float32) for i in range(3))
    rates = {}
    for name, op in (("maximum", np.maximum), ("add", np.add)):
        op(a, b, out=c)
        times = []
        for _ in range(max(3, repeat)):
            start = time.perf_counter()
            for _ in range(calls):
                op(a, b, out=c)
            times.append((time.perf_counter() - start) / (calls * n))
        rates[f"{name}_ns_per_element"] = statistics.median(times) * 1e9
    rates["elements"] = n
    return rates


def extra_memory(call):
    """``(peak, outputs)``: the peak bytes ``call()`` allocated (``tracemalloc``) and the bytes of
    the array or arrays it returned; ``peak - outputs`` is the extra memory it needed."""
    tracemalloc.start()
    try:
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, sum(r.nbytes for r in (result if isinstance(result, tuple) else (result,)))


def _memory(shape, x):
    """Peak memory of poolkit's forward passes beyond their outputs (tracemalloc), in bytes."""
    import poolkit

    k, s, p = shape.k, shape.s, shape.p
    calls = {
        "max fwd": lambda: poolkit.max_pool2d(x, k, s, p),
        "avg fwd": lambda: poolkit.avg_pool2d(x, k, s, p),
        "max fwd+idx": lambda: poolkit.max_pool2d(x, k, s, p, return_indices=True),
        "im2col max fwd": lambda: poolkit.max_pool2d(x, k, s, p, method="im2col"),
    }
    report = {}
    for name, call in calls.items():
        peak, outputs = extra_memory(call)
        report[name] = {"peak_bytes": peak, "output_bytes": outputs, "extra_bytes": max(0, peak - outputs),
                        "extra_per_input": max(0, peak - outputs) / x.nbytes}
    return report


def _agreement(cases):
    """Do poolkit's results match the frameworks' (max: bit for bit; the rest: to float32 rounding)?"""
    def array(v):
        v = v[0] if isinstance(v, (tuple, list)) else v
        return np.asarray(v.detach().numpy() if hasattr(v, "detach") else v)

    checks = {}
    pairs = [("max fwd", "poolkit max fwd", "torch NCHW max fwd", True),
             ("avg fwd", "poolkit avg fwd", "torch NCHW avg fwd", False),
             ("max bwd", "poolkit max bwd", "torch NCHW max bwd", True),
             ("avg bwd", "poolkit avg bwd", "torch NCHW avg bwd", False)]
    for name, mine, theirs, exact in pairs:
        if mine in cases and theirs in cases:
            a, b = array(cases[mine]()), array(cases[theirs]())
            checks[name] = bool(np.array_equal(a, b) if exact else np.allclose(a, b, rtol=1e-5, atol=1e-6))
    return checks


# ---------------------------------------------------------------- running
class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total, enabled=True):
        self.total, self.done, self.enabled = max(1, total), 0, enabled
        self.start = time.perf_counter()

    def step(self, label):
        self.done += 1
        if not self.enabled:
            return
        width = 28
        filled = int(width * self.done / self.total)
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                         f"{elapsed:5.0f} s  {label[:40]:40}")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _time_round_robin(cases, repeat, progress, label):
    """Median seconds of each case, timed ``repeat`` rounds, one call of every case per round."""
    times = {name: [] for name in cases}
    for r in range(repeat):
        for name, call in cases.items():
            if r >= SLOW_ROUNDS and times[name] and times[name][0] > SLOW_SECONDS:
                continue
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
        progress.step(f"{label} round {r + 1}/{repeat}")
    return times


def machine():
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "threads": {"numpy": 1}, "environment": {
                k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS",
                                           "TF_NUM_INTRAOP_THREADS", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")
                if k in os.environ}}
    return info


def run(shapes="ABCDE", repeat=7, quick=False, frameworks=("torch", "tf"), progress=True, seed=0):
    """Time every case on each shape (see the module docstring); returns the results as a dict."""
    names = [s.strip() for s in (shapes.split(",") if isinstance(shapes, str) and "," in shapes else shapes)]
    unknown = [n for n in names if n not in SHAPES]
    if unknown:
        raise ValueError(f"shapes={shapes!r}: unknown shape {unknown[0]!r}; choose from {', '.join(SHAPES)}")
    info = machine()
    import poolkit.compiled
    if poolkit.compiled.available():
        import numba
        info["numba"] = numba.__version__
        info["threads"]["numba"] = numba.get_num_threads()
    if "torch" in frameworks:
        import torch
        info["torch"] = torch.__version__
        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()   # AVX512, AVX2, ...
        info["threads"]["torch"] = torch.get_num_threads()
    if "tf" in frameworks:
        with _quiet_stderr():
            import tensorflow as tf
        info["tensorflow"] = tf.__version__
        info["threads"]["tf"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads() or "default",
                                 "inter_op": tf.config.threading.get_inter_op_parallelism_threads() or "default"}
        info["tf_onednn"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)")
    bar = _Progress(len(names) * (repeat + 1), enabled=progress)
    results = {"machine": info, "settings": {"repeat": repeat, "quick": quick, "shapes": names,
                                             "frameworks": list(frameworks), "dtype": "float32",
                                             "timer": "time.perf_counter, median of rounds, round-robin"},
               "shapes": {}, "cases": {}, "naive": {}, "memory": {}, "agree": {},
               "in_cache": _in_cache_rates(repeat)}
    for name in names:
        shape = SHAPES[name].quick() if quick else SHAPES[name]
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((shape.N, shape.C, shape.H, shape.W)).astype(np.float32)
        g = rng.standard_normal((shape.N, shape.C) + shape.out).astype(np.float32)
        cases = _poolkit_cases(shape, x, g)
        if "torch" in frameworks:
            cases.update(_torch_cases(shape, x, g))
        if "tf" in frameworks:
            cases.update(_tf_cases(shape, x, g))
        results["shapes"][name] = dict(asdict(shape), out=list(shape.out), input_bytes=shape.input_bytes)
        results["agree"][name] = _agreement(cases)
        results["memory"][name] = _memory(shape, x)
        per_element = _naive_per_element(shape, repeat)
        results["naive"][name] = {"seconds_per_window_element": per_element,
                                  "extrapolated_ms": per_element * shape.window_elements * 1e3}
        bar.step(f"{name}: checks, memory, naive")
        times = _time_round_robin(cases, repeat, bar, name)
        results["cases"][name] = {case: {"median_ms": statistics.median(t) * 1e3,
                                         "times_ms": [round(v * 1e3, 4) for v in t]} for case, t in times.items()}
        del cases, x, g
    bar.close()
    info["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    results["targets"] = targets(results)
    return results


def targets(results):
    """Each applicable :data:`TARGETS` entry with its measured ratio, and the memory target."""
    rows = []
    for name, cases in results["cases"].items():
        for what, mine, theirs, limit, where in TARGETS:
            mines = mine if isinstance(mine, tuple) else (mine,)
            refs = theirs if isinstance(theirs, tuple) else (theirs,)
            if name in where and all(c in cases for c in mines + refs):
                ratio = min(cases[c]["median_ms"] for c in mines) / min(cases[r]["median_ms"] for r in refs)
                rows.append({"shape": name, "target": what, "ratio": ratio, "limit": limit,
                             "met": ratio <= limit if limit != 1.0 else ratio < 1.0})
        for case, m in results["memory"].get(name, {}).items():
            if not case.startswith("im2col"):
                rows.append({"shape": name, "target": f"{case}: extra memory <= {MEMORY_LIMIT:g}x the input",
                             "ratio": m["extra_per_input"], "limit": MEMORY_LIMIT,
                             "met": m["extra_per_input"] <= MEMORY_LIMIT})
    return rows


# ---------------------------------------------------------------- reporting
REFERENCES = {"torch NCHW": "torch NCHW", "TF": "tf NHWC", "floor": "floor copy"}


def _reference(cases, case, prefix):
    """The reference case for ``case`` (same op and pass) under ``prefix``, e.g. ``torch NCHW max fwd``."""
    if prefix == "floor copy":
        return cases.get(prefix)
    parts = case.split()
    op_pass = " ".join(parts[-2:]) if parts[-1] in ("fwd", "bwd", "fwd+idx") else None
    if op_pass is None:
        return None
    if op_pass.endswith("fwd+idx"):
        op_pass = op_pass.replace("fwd+idx", "fwd")       # indices: against the plain forward
    return cases.get(f"{prefix} {op_pass}")


def table(results):
    """The medians and ratios as text, one block per shape, then the targets."""
    lines = []
    for name, cases in results["cases"].items():
        shape = results["shapes"][name]
        lines.append(f"{name}: N={shape['N']} C={shape['C']} {shape['H']}x{shape['W']} k={shape['k']} "
                     f"s={shape['s']} p={shape['p']}  ({shape['input_bytes'] / 2**20:.1f} MiB input)")
        lines.append(f"  {'case':32} {'median ms':>10} {'x torch NCHW':>13} {'x TF':>7} {'x floor':>8}")
        for case, r in cases.items():
            cells = []
            for prefix in REFERENCES.values():
                ref = _reference(cases, case, prefix)
                cells.append(f"{r['median_ms'] / ref['median_ms']:.2f}" if ref else "")
            lines.append(f"  {case:32} {r['median_ms']:10.3f} {cells[0]:>13} {cells[1]:>7} {cells[2]:>8}")
        naive = results["naive"].get(name)
        if naive:
            lines.append(f"  {'naive max fwd (extrapolated)':32} {naive['extrapolated_ms']:10.0f} "
                         f"({naive['seconds_per_window_element'] * 1e9:.0f} ns per window element)")
        for case, m in results["memory"].get(name, {}).items():
            lines.append(f"  memory {case:25} extra {m['extra_bytes'] / 2**20:8.2f} MiB "
                         f"({m['extra_per_input']:.2f}x the input)")
        agree = results["agree"].get(name)
        if agree:
            lines.append("  agrees with torch: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in agree.items()))
        lines.append("")
    rows = results.get("targets", [])
    if rows:
        lines.append("Targets (ratio of medians; limit):")
        for row in rows:
            mark = "met " if row["met"] else "MISS"
            lines.append(f"  {mark} {row['shape']}  {row['target']:48} {row['ratio']:7.3f}  (limit {row['limit']:g})")
        met = sum(r["met"] for r in rows)
        lines.append(f"  {met} of {len(rows)} met")
    rates = results.get("in_cache")
    if rates:
        lines.append(f"In cache: np.maximum {rates['maximum_ns_per_element']:.3f} ns, np.add "
                     f"{rates['add_ns_per_element']:.3f} ns per float32 element")
    m = results["machine"]
    lines.append(f"\nMachine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']}"
                 + (f", torch {m['torch']}" if "torch" in m else "")
                 + (f", tensorflow {m['tensorflow']}" if "tensorflow" in m else "")
                 + f"; threads {m['threads']}; load average {m.get('load_average')} -> "
                 + f"{m.get('load_average_after')}")
    return "\n".join(lines)


def poolkit_compiled_available():
    import poolkit.compiled
    return poolkit.compiled.available()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m poolkit.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape names (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds per case; medians are reported (default: 7)")
    parser.add_argument("--quick", action="store_true", help="tiny shapes and 2 rounds: a smoke test")
    parser.add_argument("--out", help="write the results (JSON) to this file")
    parser.add_argument("--frameworks", default="torch,tf",
                        help="which frameworks to compare with: torch, tf, both (default) or none ('')")
    parser.add_argument("--tf-onednn", choices=("on", "off"), default="on",
                        help="TensorFlow's oneDNN kernels (default: on, TensorFlow's own default)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--compile-times", action="store_true",
                        help="also time numba's first calls: compiling (empty cache) and loading the cache")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat={args.repeat} must be at least 1")
    frameworks = tuple(f for f in args.frameworks.replace(" ", "").split(",") if f)
    bad = [f for f in frameworks if f not in ("torch", "tf")]
    if bad:
        parser.error(f"--frameworks={args.frameworks!r}: unknown framework {bad[0]!r} (torch, tf)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" not in sys.modules:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if args.tf_onednn == "on" else "0"
    repeat = 2 if args.quick else args.repeat
    try:
        results = run(args.shapes, repeat, args.quick, frameworks, progress=not args.no_progress)
    except ValueError as err:
        parser.error(str(err))
    if args.compile_times and poolkit_compiled_available():
        results["numba_compile_s"] = compile_times()
    print(table(results))
    if "numba_compile_s" in results:
        print("numba first calls (s):", {k: {c: round(v, 2) for c, v in t.items()}
                                         for k, t in results["numba_compile_s"].items()})
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
        print(f"\nResults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
