"""The layer classes: forward equals the function, backward the function's gradient (max and
min from the indices cached by forward), torch-like repr, and a small numpy network built
from them whose gradient gradchecks."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import torch

import poolkit

SPATIAL = {1: (7,), 2: (5, 6), 3: (4, 3, 5)}


def layer_cases():
    """(layer, forward function, backward function, positional args, keyword args) for all 18 classes."""
    cases = []
    for d in (1, 2, 3):
        cases += [
            (getattr(poolkit, f"MaxPool{d}d")(3, 2, 1, ceil_mode=True), f"max_pool{d}d", (3, 2, 1),
             dict(ceil_mode=True)),
            (getattr(poolkit, f"MinPool{d}d")(2, 1, dilation=2), f"min_pool{d}d", (2, 1),
             dict(dilation=2)),
            (getattr(poolkit, f"AvgPool{d}d")(3, 2, 1, ceil_mode=True, count_include_pad=False),
             f"avg_pool{d}d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
            (getattr(poolkit, f"LPPool{d}d")(2, 2, ceil_mode=True), f"lp_pool{d}d", (2, 2),
             dict(ceil_mode=True)),
            (getattr(poolkit, f"AdaptiveMaxPool{d}d")(3), f"adaptive_max_pool{d}d", (3,), {}),
            (getattr(poolkit, f"AdaptiveAvgPool{d}d")(2), f"adaptive_avg_pool{d}d", (2,), {}),
        ]
    return cases


CASES = layer_cases()
IDS = [type(layer).__name__ for layer, *_ in CASES]


def tie_free(shape, seed=0):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) / n + 0.5  # distinct, positive


@pytest.mark.parametrize("layer, fname, args, kwargs", CASES, ids=IDS)
def test_layer_forward_and_backward_equal_the_functions(layer, fname, args, kwargs):
    x = tie_free((2, 3) + SPATIAL[layer.dims])
    y = layer(x)  # __call__ is forward
    np.testing.assert_array_equal(y, getattr(poolkit, fname)(x, *args, **kwargs))
    g = np.random.default_rng(1).standard_normal(y.shape)
    np.testing.assert_array_equal(layer.backward(g), getattr(poolkit, f"{fname}_backward")(g, x, *args, **kwargs))


@pytest.mark.parametrize("name", ["MaxPool2d", "MinPool2d", "AdaptiveMaxPool2d"])
def test_max_layers_route_by_the_cached_indices(name, monkeypatch):
    """backward() uses the indices forward() found: it never recomputes the forward pass."""
    layer = getattr(poolkit, name)(2) if "Adaptive" in name else getattr(poolkit, name)(3, 2, 1)
    x = tie_free((2, 3, 5, 6))
    y = layer.forward(x)
    g = np.random.default_rng(1).standard_normal(y.shape)
    fresh = type(layer)(2) if "Adaptive" in name else type(layer)(3, 2, 1)
    fresh.forward(x)
    want = fresh.backward(g)

    def no_forward(*a, **k):
        raise AssertionError("backward recomputed the forward pass")
    monkeypatch.setattr(poolkit.plan, "extreme", no_forward)
    np.testing.assert_array_equal(layer.backward(g), want)
    assert layer.cache[1].shape == y.shape


def test_return_indices_and_layouts():
    layer = poolkit.MaxPool2d(2, return_indices=True, data_format="NHWC")
    x = tie_free((2, 4, 6, 3))
    y, idx = layer(x)
    want_y, want_idx = poolkit.max_pool2d(x, 2, return_indices=True, data_format="NHWC")
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(idx, want_idx)
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape and dx.sum() == y.size
    unbatched = poolkit.AvgPool1d(2)
    assert unbatched(np.ones((3, 4))).shape == (3, 2)
    assert unbatched.backward(np.ones((3, 2))).shape == (3, 4)


def test_reprs_match_torch():
    T = torch().nn
    pairs = [
        (poolkit.MaxPool2d(2), T.MaxPool2d(2)),
        (poolkit.MaxPool1d(3, 1, 1), T.MaxPool1d(3, 1, 1)),
        (poolkit.MaxPool3d((1, 2, 3), ceil_mode=True), T.MaxPool3d((1, 2, 3), ceil_mode=True)),
        (poolkit.AvgPool2d(2), T.AvgPool2d(2)),
        (poolkit.AvgPool3d((1, 2, 3), divisor_override=3), T.AvgPool3d((1, 2, 3), divisor_override=3)),
        (poolkit.LPPool2d(2, 3), T.LPPool2d(2, 3)),
        (poolkit.LPPool1d(1.5, 2, 1), T.LPPool1d(1.5, 2, 1)),
        (poolkit.AdaptiveMaxPool2d((2, None)), T.AdaptiveMaxPool2d((2, None))),
        (poolkit.AdaptiveAvgPool1d(3), T.AdaptiveAvgPool1d(3)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(poolkit.MinPool2d(2, data_format="NHWC", method="naive")) == (
        "MinPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False, data_format='NHWC', "
        "method='naive')")


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match=r"MaxPool2d.backward\(\) was called before forward\(\)"):
        poolkit.MaxPool2d(2).backward(np.ones((1, 1, 1, 1)))


def test_wrong_gradient_shape_names_the_layer_shapes():
    layer = poolkit.AvgPool2d(2)
    layer(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"grad_output has shape \(1, 1, 4, 4\); avg_pool2d maps x of shape "
                                         r"\(1, 1, 4, 4\) to outputs of shape \(1, 1, 2, 2\)"):
        layer.backward(np.zeros((1, 1, 4, 4)))


# ------------------------------------------------------------------ a two-layer numpy network
class Linear:
    """A 1x1 convolution: mixes channels at every position. ``(N, C_in, *L) -> (N, C_out, *L)``."""

    def __init__(self, c_in, c_out, rng):
        self.W = rng.standard_normal((c_out, c_in)) / np.sqrt(c_in)
        self.b = rng.standard_normal(c_out)

    def forward(self, x):
        self.x = x
        return np.einsum("oc,nc...->no...", self.W, x) + self.b.reshape((-1,) + (1,) * (x.ndim - 2))

    def backward(self, dy):
        n, c_out, c_in = dy.shape[0], dy.shape[1], self.x.shape[1]
        self.dW = np.einsum("nop,ncp->oc", dy.reshape(n, c_out, -1), self.x.reshape(n, c_in, -1))
        self.db = dy.sum(axis=tuple(i for i in range(dy.ndim) if i != 1))
        return np.einsum("oc,no...->nc...", self.W, dy)


class Net:
    """Linear -> pooling -> mean squared error against a fixed target; ``forward`` returns the loss."""

    def __init__(self, pool, x_shape, rng):
        self.linear, self.pool = Linear(x_shape[1], 4, rng), pool
        # pooling inputs away from 0, so that Lp pooling of x**p is smooth where it is checked
        self.linear.b += 6.0
        self.target = rng.standard_normal(pool.forward(self.linear.forward(np.zeros(x_shape))).shape)

    def forward(self, x):
        self.y = self.pool.forward(self.linear.forward(x))
        return np.mean((self.y - self.target) ** 2)

    def backward(self, dloss=1.0):
        dy = dloss * 2 * (self.y - self.target) / self.y.size
        return self.linear.backward(self.pool.backward(dy))


@pytest.mark.parametrize("layer, fname, args, kwargs", CASES, ids=IDS)
def test_two_layer_network_gradchecks(layer, fname, args, kwargs):
    rng = np.random.default_rng(0)
    x_shape = (2, 3) + SPATIAL[layer.dims]
    net = Net(layer, x_shape, rng)
    x = rng.standard_normal(x_shape)
    result = poolkit.gradcheck(net, x, ties="refuse")
    assert result.passed, str(result)
    # and with respect to the weights, through the same layers
    W = net.linear.W.copy()

    def loss_of(W):
        net.linear.W = W
        return net.forward(x)

    def loss_backward(g, W):
        loss_of(W)
        net.backward(g)
        return net.linear.dW
    result = poolkit.gradcheck(loss_of, W, backward=loss_backward, ties="refuse")
    assert result.passed, str(result)
