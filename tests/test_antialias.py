"""poolkit.antialias: blur_pool2d and its backward against PyTorch's grouped convolution, the
binomial filter, the receptive field, and clear errors for bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from poolkit.antialias import binomial_filter, blur_pool2d, blur_pool2d_backward, receptive_field

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _torch_blur(x, k, s, p):
    C = x.shape[-3]
    w = torch.tensor(binomial_filter(k), dtype=x.dtype).expand(C, 1, k, k)
    return F.conv2d(x, w, stride=s, padding=p, groups=C)


@pytest.mark.parametrize("k,s,p", [(3, 2, None), (3, 2, 0), (2, 2, 1), (4, 2, 1), (5, 3, 2), (1, 1, 0), (3, 1, 2)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 8), (3, 6, 5), (1, 1, 4, 4), (0, 2, 6, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_match_conv2d(k, s, p, shape, dtype):
    rng = np.random.default_rng(hash((k, s, p, shape)) % 2**32)
    x = rng.standard_normal(shape).astype(dtype)
    pad = (k - 1) // 2 if p is None else p
    tx = torch.tensor(x, requires_grad=True)
    ty = _torch_blur(tx, k, s, pad)
    y = blur_pool2d(x, k, s, p)
    assert y.dtype == x.dtype and y.shape == tuple(ty.shape)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.tensor(g))
    dx = blur_pool2d_backward(g, x, k, s, p)
    assert dx.shape == x.shape and dx.dtype == x.dtype
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=tol, atol=tol)


def test_backward_is_the_adjoint_of_forward():
    """<blur(x), g> == <x, blur_backward(g)> exactly enough in float64, for any x and g."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 10))
    g = rng.standard_normal(blur_pool2d(x).shape)
    assert abs(np.sum(blur_pool2d(x) * g) - np.sum(x * blur_pool2d_backward(g, x))) < 1e-10


def test_binomial_filter():
    np.testing.assert_array_equal(binomial_filter(3) * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(binomial_filter(1), [[1.0]])
    for k in range(1, 8):
        f = binomial_filter(k)
        assert f.shape == (k, k) and abs(f.sum() - 1) < 1e-15
        np.testing.assert_array_equal(f, f.T)


def test_receptive_field():
    assert receptive_field([]) == (1, 1)
    assert receptive_field([(3, 1)]) == (3, 1)
    assert receptive_field([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]) == (18, 4)
    assert receptive_field([(2, 2)] * 3) == (8, 8)


@pytest.mark.parametrize("call,error,words", [
    (lambda: blur_pool2d(np.zeros((4, 4))), ValueError, "x must be (N, C, H, W) or (C, H, W)"),
    (lambda: blur_pool2d(np.zeros((1, 4, 4), dtype=int)), TypeError, "floating-point"),
    (lambda: blur_pool2d([[[0.0]]]), TypeError, "numpy array"),
    (lambda: blur_pool2d(np.zeros((1, 4, 4)), kernel_size=0), ValueError, "kernel_size=0 must be at least 1"),
    (lambda: blur_pool2d(np.zeros((1, 4, 4)), kernel_size=2.0), TypeError, "kernel_size=2.0 must be an int"),
    (lambda: blur_pool2d(np.zeros((1, 4, 4)), stride=0), ValueError, "stride=0 must be at least 1"),
    (lambda: blur_pool2d(np.zeros((1, 4, 4)), padding=-1), ValueError, "padding=-1 must be at least 0"),
    (lambda: blur_pool2d(np.zeros((1, 4, 4)), 3, 2, 3), ValueError, "padding=3 must be at most kernel_size - 1 = 2"),
    (lambda: blur_pool2d(np.zeros((1, 2, 2)), 5, 1, 0), ValueError, "smaller than kernel_size=5"),
    (lambda: blur_pool2d_backward(np.zeros((1, 3, 3)), np.zeros((1, 4, 4))), ValueError, "grad_output must have"),
    (lambda: receptive_field([(3, 1), 2]), ValueError, "layers[1]=2 must be a (kernel_size, stride) pair"),
    (lambda: receptive_field([(3, 0)]), ValueError, "layers[0] stride=0 must be at least 1"),
])
def test_errors_name_the_parameter(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
