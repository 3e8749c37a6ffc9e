"""poolkit.learned: softmax pooling, GeM (with the gradient for p), stochastic pooling, maxout,
against PyTorch (forward and autograd), TensorFlow's depth-wise max_pool, their limits, and
gradcheck."""

import itertools

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import tf, torch

import poolkit
from poolkit import gradcheck
from poolkit.learned import (
    gem_pool2d,
    gem_pool2d_backward,
    gem_pool2d_backward_p,
    maxout,
    maxout_backward,
    softmax_pool2d,
    softmax_pool2d_backward,
    stochastic_pool2d,
    stochastic_pool2d_backward,
)


# ---------------------------------------------------------------- softmax pooling
def _torch_softmax_pool(t, xt, k, s, p, beta):
    """Softmax pooling in PyTorch: unfold the windows (and a mask of real elements), softmax, weigh."""
    n, c, h, w = xt.shape
    F = t.nn.functional
    cols = F.unfold(xt.reshape(n * c, 1, h, w), k, padding=p, stride=s)               # (nc, kh*kw, L)
    real = F.unfold(t.ones(1, 1, h, w, dtype=xt.dtype), k, padding=p, stride=s) > 0
    weights = t.softmax((beta * cols).masked_fill(~real, float("-inf")), dim=1)
    y = (weights * cols).sum(1)
    oh = (h + 2 * p[0] - k[0]) // s[0] + 1
    return y.reshape(n, c, oh, -1)


@settings(max_examples=examples(15))
@given(seed=st.integers(0, 10**6), k=st.integers(1, 3), s=st.integers(1, 3), pad=st.booleans(),
       beta=st.sampled_from([0.0, 0.5, 2.0, -3.0]))
def test_softmax_pool_matches_torch_and_its_autograd(seed, k, s, pad, beta):
    t = torch()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 2, 5, 6))
    p = k // 2 if pad else 0
    y = softmax_pool2d(x, k, s, p, beta)
    xt = t.tensor(x, requires_grad=True)
    want = _torch_softmax_pool(t, xt, (k, k), (s, s), (p, p), beta)
    assert np.allclose(y, want.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.normal(size=y.shape)
    want.backward(t.tensor(g))
    assert np.allclose(softmax_pool2d_backward(g, x, k, s, p, beta), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softmax_pool_limits():
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 6))
    assert np.allclose(softmax_pool2d(x, 3, 2, 1, beta=0.0),
                       poolkit.avg_pool2d(x, 3, 2, 1, count_include_pad=False), rtol=1e-12)
    assert np.array_equal(softmax_pool2d(x, 3, 2, 1, beta=1e6), poolkit.max_pool2d(x, 3, 2, 1))
    assert np.array_equal(softmax_pool2d(x, 3, 2, 1, beta=-1e6), poolkit.min_pool2d(x, 3, 2, 1))
    # between the two ends, y grows with beta
    ys = [softmax_pool2d(x, 2, beta=b) for b in (0.0, 0.5, 1.0, 4.0, 16.0)]
    assert all((a <= b + 1e-12).all() for a, b in itertools.pairwise(ys))


def test_softmax_pool_ties_and_gradcheck():
    x = np.ones((1, 1, 4, 4))
    assert np.array_equal(softmax_pool2d(x, 2, beta=50.0), np.ones((1, 1, 2, 2)))
    # equal elements share the weight: the gradient of a window of ties is 1/4 each
    assert np.allclose(softmax_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, beta=50.0), 0.25)
    xs = np.random.default_rng(1).normal(size=(2, 2, 5, 5))
    assert gradcheck(softmax_pool2d, xs, (3, 2), (1, 2), (1, 0), 1.5, backward=softmax_pool2d_backward)
    assert softmax_pool2d(xs[0], 2).shape == (2, 2, 2) and softmax_pool2d(xs.astype(np.float32), 2).dtype == np.float32


# ---------------------------------------------------------------- GeM
@pytest.mark.parametrize("p", [1.0, 3.0, 7.5])
def test_gem_matches_torch_including_the_gradient_for_p(p):
    t = torch()
    rng = np.random.default_rng(int(p * 10))
    x = rng.normal(size=(2, 3, 4, 5))          # the negatives are clamped to eps
    x[0, 0, 0, 0] = 1e-6                        # exactly eps: the clamp passes the gradient
    y = gem_pool2d(x, p)
    xt, pt = t.tensor(x, requires_grad=True), t.tensor(p, dtype=t.float64, requires_grad=True)
    want = t.nn.functional.avg_pool2d(xt.clamp(min=1e-6).pow(pt), (4, 5)).pow(1.0 / pt)
    assert y.shape == (2, 3, 1, 1) and np.allclose(y, want.detach().numpy(), rtol=1e-12)
    g = rng.normal(size=y.shape)
    want.backward(t.tensor(g))
    assert np.allclose(gem_pool2d_backward(g, x, p), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert np.isclose(gem_pool2d_backward_p(g, x, p), pt.grad.item(), rtol=1e-10)


def test_gem_limits_and_gradcheck():
    x = np.abs(np.random.default_rng(2).normal(size=(2, 3, 4, 4))) + 0.1
    assert np.allclose(gem_pool2d(x, 1.0), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    assert np.allclose(gem_pool2d(x, 500.0), x.max(axis=(2, 3), keepdims=True), rtol=1e-2)
    assert gradcheck(gem_pool2d, x, 2.5, backward=gem_pool2d_backward)
    g = np.random.default_rng(3).normal(size=(2, 3, 1, 1))
    h = 1e-6
    numeric = (np.sum(g * gem_pool2d(x, 2.5 + h)) - np.sum(g * gem_pool2d(x, 2.5 - h))) / (2 * h)
    assert np.isclose(gem_pool2d_backward_p(g, x, 2.5), numeric, rtol=1e-6)


# ---------------------------------------------------------------- stochastic pooling
def test_stochastic_pool_is_seeded_and_picks_by_activation():
    x = np.abs(np.random.default_rng(0).normal(size=(2, 3, 6, 6)))
    a, b = stochastic_pool2d(x, 2, rng=7), stochastic_pool2d(x, 2, rng=np.random.default_rng(7))
    assert np.array_equal(a, b) and not np.array_equal(a, stochastic_pool2d(x, 2, rng=8))
    windows = x.reshape(2, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 3, 3, 4)
    assert (windows == a[..., None]).any(-1).all()                       # every pick is an element of its window
    q = windows / windows.sum(-1, keepdims=True)
    assert np.allclose(stochastic_pool2d(x, 2, training=False), (q * windows).sum(-1), rtol=1e-12)
    # frequencies follow the probabilities: window [1, 0, 3, 0] picks 3 three times in four
    many = np.tile(np.array([[[[1.0, 0.0], [3.0, 0.0]]]]), (1, 1, 1, 2000))    # 2000 such windows
    picks = stochastic_pool2d(many, 2, rng=0).ravel()
    assert set(picks) <= {1.0, 3.0} and abs((picks == 3.0).mean() - 0.75) < 0.04
    assert stochastic_pool2d(np.zeros((1, 4, 4)), 2, rng=0).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]
    assert stochastic_pool2d(np.zeros((1, 4, 4)), 2, training=False).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]
    assert stochastic_pool2d(x, 3, 2, rng=0).shape == (2, 3, 2, 2)


def test_stochastic_pool_backward():
    t = torch()
    x = np.abs(np.random.default_rng(5).normal(size=(2, 2, 6, 4))) + 0.05
    # evaluation: the expectation sum x^2 / sum x, differentiated by autograd
    xt = t.tensor(x, requires_grad=True)
    windows = xt.unfold(2, 3, 3).unfold(3, 2, 2).reshape(2, 2, 2, 2, 6)
    want = (windows ** 2).sum(-1) / windows.sum(-1)
    assert np.allclose(stochastic_pool2d(x, (3, 2), training=False), want.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(6).normal(size=want.shape)
    want.backward(t.tensor(g))
    assert np.allclose(stochastic_pool2d_backward(g, x, (3, 2), training=False), xt.grad.numpy(), rtol=1e-10)
    # training: the gradient goes to the pick, reproduced by the same seed
    y = stochastic_pool2d(x, 2, rng=3)
    dx = stochastic_pool2d_backward(np.ones_like(y), x, 2, rng=3)
    assert dx.sum() == y.size and np.array_equal(np.sort(x[dx == 1]), np.sort(y.ravel()))
    for training in (True, False):
        assert gradcheck(stochastic_pool2d, x, 2, None, training, 3, backward=stochastic_pool2d_backward)
    assert not stochastic_pool2d_backward(np.ones((1, 1, 1)), np.zeros((1, 2, 2)), 2, training=False).any()


# ---------------------------------------------------------------- maxout
def test_maxout_matches_torch_and_tensorflows_depth_pooling():
    t = torch()
    x = np.round(np.random.default_rng(0).normal(size=(2, 6, 3, 4)), 1)
    y = maxout(x, 3)
    xt = t.tensor(x, requires_grad=True)
    want = xt.reshape(2, 2, 3, 3, 4).max(dim=2).values
    assert np.array_equal(y, want.detach().numpy())
    g = np.random.default_rng(1).normal(size=y.shape)
    want.backward(t.tensor(g))
    assert np.array_equal(maxout_backward(g, x, 3), xt.grad.numpy())
    nhwc = np.moveaxis(x, 1, -1).astype(np.float32)
    assert np.array_equal(maxout(nhwc, 3, axis=-1), np.moveaxis(y, 1, -1).astype(np.float32))
    try:
        depth = tf().nn.max_pool(nhwc, ksize=[1, 1, 1, 3], strides=[1, 1, 1, 3], padding="VALID").numpy()
    except Exception as e:  # noqa: BLE001  depth-wise pooling runs only on some builds; the reshape is the fallback
        pytest.skip(f"TensorFlow's depth-wise max_pool does not run here: {type(e).__name__}")
    assert np.array_equal(maxout(nhwc, 3, axis=-1), depth)


def test_maxout_ties_and_gradcheck():
    x = np.array([[2.0, 5.0, 5.0, 1.0]])
    assert maxout(x, 2).tolist() == [[5.0, 5.0]] and maxout(x, 4).tolist() == [[5.0]]
    assert maxout_backward(np.ones((1, 1)), x, 4).tolist() == [[0.0, 1.0, 0.0, 0.0]]
    xs = np.round(np.random.default_rng(2).normal(size=(2, 4, 3)))
    assert gradcheck(maxout, xs, 2, backward=maxout_backward)
    assert gradcheck(maxout, xs, 3, axis=2, backward=maxout_backward)


# ---------------------------------------------------------------- bad input
X = np.ones((1, 2, 4, 4))


@pytest.mark.parametrize("call, error, words", [
    (lambda: softmax_pool2d(X, 2, beta=float("inf")), ValueError, "beta=inf must be finite"),
    (lambda: softmax_pool2d(X, 2, beta=float("nan")), ValueError, "beta=nan must be finite"),
    (lambda: softmax_pool2d(X, 2, beta="1"), TypeError, "beta='1' must be a number"),
    (lambda: softmax_pool2d(X, 2, padding=2), ValueError, "padding=2 must be at most half of kernel_size=2"),
    (lambda: softmax_pool2d(X, 0), ValueError, "kernel_size=(0, 0) must be at least 1"),
    (lambda: softmax_pool2d(X, 5), ValueError, "does not fit"),
    (lambda: softmax_pool2d(X, 2.5), TypeError, "kernel_size=2.5"),
    (lambda: softmax_pool2d(X[0, 0], 2), ValueError, "(N, C, H, W) or (C, H, W)"),
    (lambda: gem_pool2d(X, p=float("inf")), ValueError, "p=inf must be finite"),
    (lambda: gem_pool2d(X, p=0.0), ValueError, "p=0.0 must be positive"),
    (lambda: gem_pool2d(X, eps=-1.0), ValueError, "eps=-1.0 must be positive"),
    (lambda: gem_pool2d(X.astype(int)), TypeError, "floating-point"),
    (lambda: stochastic_pool2d(-X, 2), ValueError, "non-negative"),
    (lambda: stochastic_pool2d(X * np.nan, 2), ValueError, "NaN"),
    (lambda: stochastic_pool2d(X, 2, rng="seed"), TypeError, "rng='seed'"),
    (lambda: stochastic_pool2d(X, 2, training="yes"), TypeError, "training='yes'"),
    (lambda: maxout(X, 3), ValueError, "pool_size=3 must be positive and divide x's axis 1 of size 2"),
    (lambda: maxout(X, 0), ValueError, "pool_size=0"),
    (lambda: maxout(X, 2, axis=4), ValueError, "axis=4 is out of range"),
    (lambda: maxout(X, 2.0), TypeError, "pool_size=2.0 must be an int"),
    (lambda: gem_pool2d_backward(np.ones((1, 2, 2, 2)), X), ValueError, "grad_output has shape (1, 2, 2, 2)"),
])
def test_errors_name_the_parameter_and_the_rule(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_exported_from_poolkit():
    for name in poolkit.learned.__all__ + poolkit.regions.__all__:
        assert getattr(poolkit, name) is getattr(poolkit.learned if name in poolkit.learned.__all__ else
                                                 poolkit.regions, name)
        assert name in poolkit.__all__
