"""The chapters' teaching versions equal poolkit's fast paths.

Chapters 1-4 show short versions written to be read (the loop, im2col's pooling,
strided windows, the separable passes, the max-pooling backward pass and layer, average
pooling as a convolution, max pooling from ReLUs) instead of poolkit's source. The
functions are taken from the notebooks themselves (only their ``def``/``class``
statements are run), so a chapter cannot drift from what is tested here.
"""

import ast

import nbformat
import numpy as np
import pytest
from conftest import ROOT
from numpy.lib.stride_tricks import sliding_window_view

import poolkit
from poolkit.im2col import col2im, im2col


def definitions(chapter: str, *names: str) -> dict:
    """The functions and classes ``names`` as the chapter defines them (the last definition wins)."""
    nb = nbformat.read(str(ROOT / "chapters" / chapter), as_version=4)
    namespace = {"np": np, "poolkit": poolkit, "col2im": col2im, "im2col": im2col,
                 "sliding_window_view": sliding_window_view}
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:          # a cell with IPython magics defines nothing we test
            continue
        defs = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        for node in defs:
            exec(compile(ast.Module([node], []), chapter, "exec"), namespace)  # noqa: S102 (the chapter's own code)
            found.add(node.name)
    missing = set(names) - found
    assert not missing, f"{chapter} no longer defines {sorted(missing)}"
    return namespace


def batches():
    rng = np.random.default_rng(0)
    for shape, k, s, p in [((2, 3, 7, 6), 3, 2, 1), ((1, 2, 8, 8), 2, 2, 0), ((2, 1, 5, 9), 3, 1, 1),
                           ((1, 1, 4, 4), 1, 1, 0), ((1, 2, 6, 7), 2, 1, 1), ((3, 2, 9, 9), 3, 3, 0)]:
        yield rng.standard_normal(shape), k, s, p
        yield rng.integers(-3, 3, size=shape).astype(float), k, s, p      # ties


# ---------------------------------------------------------------- chapter 1
def test_ch1_average_pooling_is_the_convolution():
    ns = definitions("01_pooling_by_hand.ipynb", "conv2d")
    rng = np.random.default_rng(1)
    for h, w, k in [(4, 6, 2), (6, 6, 3), (7, 5, 2)]:
        x = rng.standard_normal((h, w))
        np.testing.assert_allclose(ns["conv2d"](x, np.full((k, k), 1 / k**2), stride=k),
                                   poolkit.avg_pool2d(x[None], k)[0], rtol=1e-12)
        padded = ns["conv2d"](np.pad(x, 1), np.full((3, 3), 1 / 9), stride=2)
        np.testing.assert_allclose(padded, poolkit.avg_pool2d(x[None], 3, 2, padding=1)[0], rtol=1e-12)


def test_ch1_max_pooling_from_relus():
    ns = definitions("01_pooling_by_hand.ipynb", "relu", "pair_max_layer", "relu_max_pool")
    rng = np.random.default_rng(2)
    for k in (1, 2, 3, 4):
        x = rng.integers(-9, 10, size=(6, 7)).astype(float)
        assert np.array_equal(ns["relu_max_pool"](x, k), poolkit.max_pool2d(x[None], k, stride=1)[0])


# ---------------------------------------------------------------- chapter 3
@pytest.mark.parametrize("x, k, s, p", list(batches()))
def test_ch3_rungs_equal_poolkit(x, k, s, p):
    ns = definitions("03_vectorizing.ipynb", "loop_by_hand", "im2col_pool", "max_over_taps", "windows_pool",
                     "max_pass", "two_passes", "reshape_trick")
    want = poolkit.max_pool2d(x, k, s, p)
    for method in ("naive", "im2col", "windows", "separable"):
        assert np.array_equal(poolkit.max_pool2d(x, k, s, p, method=method), want)
    for rung in ("loop_by_hand", "im2col_pool", "windows_pool", "two_passes"):
        assert np.array_equal(ns[rung](x, k, s, p), want), rung
    if s == k and p == 0 and x.shape[2] % k == 0 and x.shape[3] % k == 0:
        assert np.array_equal(ns["reshape_trick"](x, k, s, p), want)
    else:
        with pytest.raises(ValueError, match="tile"):
            ns["reshape_trick"](x, k, s, p)


def test_ch3_one_pass_is_1d_pooling():
    ns = definitions("03_vectorizing.ipynb", "max_pass")
    row = np.random.default_rng(3).standard_normal((2, 11))
    for k, s, p in [(3, 2, 1), (2, 2, 0), (4, 1, 2), (1, 3, 0)]:
        assert np.array_equal(ns["max_pass"](row, k, s, p), poolkit.max_pool1d(row, k, s, p))


# ---------------------------------------------------------------- chapter 4
@pytest.mark.parametrize("x, k, s, p", list(batches()))
def test_ch4_route_and_layer_equal_poolkit(x, k, s, p):
    ns = definitions("04_backward.ipynb", "route", "avg_backward", "MaxPoolLayer")
    y, indices = poolkit.max_pool2d(x, k, s, p, return_indices=True)
    dy = np.random.default_rng(4).standard_normal(y.shape)
    want = poolkit.max_pool2d_backward(dy, x, k, s, p)
    assert np.array_equal(ns["route"](dy, indices, x.shape), want)
    assert np.array_equal(poolkit.backward.route(dy, indices, x.shape), want)

    layer, theirs = ns["MaxPoolLayer"](k, stride=s, padding=p), poolkit.MaxPool2d(k, stride=s, padding=p)
    assert np.array_equal(layer.forward(x), theirs.forward(x))
    assert np.array_equal(layer.backward(dy), theirs.backward(dy))

    np.testing.assert_allclose(ns["avg_backward"](dy, x.shape, k, s, p),
                               poolkit.avg_pool2d_backward(dy, x, k, s, p), rtol=1e-12, atol=1e-15)
