"""gradcheck: passes every correct backward on tie-free inputs, catches wrong ones (off-by-one
routing, a wrong divisor, a wrong shape), and at ties neither fails a correct backward nor
passes a check it cannot make: it perturbs the input (and says so) or refuses (and says why)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import data_format, pool_configs, poolkit_input

import poolkit
from poolkit.backward import route

SEEDS = st.integers(0, 2**32 - 1)


def tie_free(seed, shape, low=-1.0):
    """Distinct values spaced 1/n apart (far more than eps), from ``low`` up."""
    n = int(np.prod(shape))
    return low + np.random.default_rng(seed).permutation(n).reshape(shape) / max(n, 1) * 2


def extreme_args(cfg):
    return dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                dilation=cfg["dilation"], ceil_mode=cfg["ceil_mode"], data_format=data_format(cfg))


# ------------------------------------------------------------------ every function passes
@settings(max_examples=examples(60))
@given(cfg=pool_configs(max_len=4), mode=st.sampled_from(["max", "min"]), seed=SEEDS)
def test_passes_max_and_min(cfg, mode, seed):
    if cfg["empty_window"]:
        return
    x = poolkit_input(tie_free(seed, cfg["shape"]), cfg)
    result = poolkit.gradcheck(getattr(poolkit, f"{mode}_pool{cfg['dims']}d"), x, **extreme_args(cfg),
                               ties="refuse")
    assert result.passed, str(result)


@settings(max_examples=examples(60))
@given(cfg=pool_configs(dilation=False, max_len=4), count_include_pad=st.booleans(),
       divisor=st.none() | st.sampled_from([3, -2]), seed=SEEDS)
def test_passes_avg(cfg, count_include_pad, divisor, seed):
    args = extreme_args(cfg)
    del args["dilation"]
    x = poolkit_input(tie_free(seed, cfg["shape"]), cfg)
    result = poolkit.gradcheck(getattr(poolkit, f"avg_pool{cfg['dims']}d"), x, **args,
                               count_include_pad=count_include_pad, divisor_override=divisor, ties="refuse")
    assert result.passed, str(result)


@settings(max_examples=examples(50))
@given(dims=st.integers(1, 3), data=st.data(), seed=SEEDS)
def test_passes_lp_adaptive_and_unpool(dims, data, seed):
    sizes = tuple(data.draw(st.integers(2, 4)) for _ in range(dims))
    x = tie_free(seed, (2, 2) + sizes, low=0.5)  # positive: Lp is smooth there
    k = tuple(data.draw(st.integers(1, L)) for L in sizes)
    p = data.draw(st.sampled_from([1, 2, 3, 1.5, 0.5, np.inf, -np.inf]))
    ceil = data.draw(st.booleans())
    for name, args in (("lp_pool", (p, k, None, ceil)), ("adaptive_max_pool", ((2,) * dims,)),
                       ("adaptive_avg_pool", ((3,) * dims,))):
        result = poolkit.gradcheck(getattr(poolkit, f"{name}{dims}d"), x, *args, ties="refuse")
        assert result.passed, str(result)
    values, indices = getattr(poolkit, f"max_pool{dims}d")(x, k, return_indices=True)
    result = poolkit.gradcheck(getattr(poolkit, f"max_unpool{dims}d"), values, indices, k, output_size=sizes,
                               ties="refuse")
    assert result.passed, str(result)


@settings(max_examples=examples(30))
@given(k=st.integers(1, 3), s=st.integers(1, 3), padding=st.sampled_from(["SAME", "VALID"]), seed=SEEDS)
def test_passes_max_pool_with_argmax(k, s, padding, seed):
    x = tie_free(seed, (1, 4, 5, 2))
    result = poolkit.gradcheck(poolkit.max_pool_with_argmax, x, [1, k, k, 1], [1, s, s, 1], padding,
                               ties="refuse")
    assert result.passed, str(result)


def test_passes_layers_and_reports_in_a_sentence():
    x = tie_free(0, (2, 3, 6, 6))
    result = poolkit.gradcheck(poolkit.MaxPool2d(3, 2, 1), x)
    assert result and result.status == "passed" and result.size == x.size
    text = str(result)
    assert text.startswith("gradcheck passed: MaxPool2d.backward agrees with central differences on all 216 ")
    assert f"at x{list(result.worst_index)}" in text and not result.perturbed
    with pytest.raises(TypeError, match="takes no further arguments"):
        poolkit.gradcheck(poolkit.MaxPool2d(2), x, 2)


def test_runs_in_float64():
    """A float32 input is checked in float64: in float32, x + 1e-6 == x for |x| >= 8."""
    x = tie_free(0, (1, 2, 6), low=8.0).astype(np.float32)
    result = poolkit.gradcheck(poolkit.avg_pool1d, x, 3, 1)
    assert result.passed, str(result)
    assert result.analytic.dtype == np.float64 and result.numeric.dtype == np.float64


# ------------------------------------------------------------------ wrong backward passes are caught
def test_catches_off_by_one_routing():
    def shifted(grad_output, x, kernel_size, **kw):
        """Routes each gradient to the element after the maximum."""
        _, idx = poolkit.max_pool2d(x, kernel_size, return_indices=True)
        return route(grad_output, (idx + 1) % x[0, 0].size, x.shape)

    x = tie_free(0, (1, 2, 4, 4))
    result = poolkit.gradcheck(poolkit.max_pool2d, x, 2, backward=shifted)
    assert result.status == "failed" and not result
    # exactly the elements where the shifted gradient differs from the true one (the analytic
    # gradient is computed at gradcheck's own random grad_output, which it reports)
    wrong = ~np.isclose(result.analytic, poolkit.max_pool2d_backward(result.grad_output, x, 2))
    assert result.failures == np.count_nonzero(wrong) > 8
    assert wrong[result.worst_index]
    assert abs(result.analytic_at_worst - result.numeric_at_worst) > 0.1
    text = str(result)
    assert text.startswith(f"gradcheck FAILED: shifted disagrees with central differences at {result.failures} "
                           "of 32 elements")
    assert f"worst at x{list(result.worst_index)}" in text


def test_catches_a_wrong_divisor():
    """count_include_pad=False divides border windows by fewer elements; dividing by k**2 there is wrong."""
    def wrong(grad_output, x, kernel_size, stride, padding, count_include_pad):
        return poolkit.avg_pool2d_backward(grad_output, x, kernel_size, stride, padding, count_include_pad=True)

    x = tie_free(1, (1, 1, 5, 5))
    result = poolkit.gradcheck(poolkit.avg_pool2d, x, 3, 2, 1, count_include_pad=False, backward=wrong)
    assert result.status == "failed"
    # every element lies in a window cut by the padding, except the centre, whose only window is full
    assert result.failures == x.size - 1 and result.worst_index != (0, 0, 2, 2)
    assert poolkit.gradcheck(poolkit.avg_pool2d, x, 3, 2, 1, count_include_pad=False).passed


def test_catches_a_gradient_of_the_wrong_shape():
    result = poolkit.gradcheck(poolkit.avg_pool1d, tie_free(0, (1, 1, 4)), 2,
                               backward=lambda g, x, k: np.zeros((1, 1, 2)))
    assert result.status == "failed"
    assert "returned a gradient of shape (1, 1, 2), but x has shape (1, 1, 4)" in str(result)


# ------------------------------------------------------------------ ties
FOUR_WAY = np.ones((1, 1, 2, 2))


def test_central_differences_at_a_four_way_tie_give_one_half():
    """Why gradcheck must look for ties: no subgradient of the max is 0.5 everywhere."""
    eps = 1e-6
    numeric = np.empty(4)
    for i in range(4):
        up, down = FOUR_WAY.copy(), FOUR_WAY.copy()
        up.flat[i] += eps
        down.flat[i] -= eps
        numeric[i] = (poolkit.max_pool2d(up, 2) - poolkit.max_pool2d(down, 2)).item() / (2 * eps)
    np.testing.assert_allclose(numeric, 0.5)
    np.testing.assert_array_equal(poolkit.max_pool2d_backward(np.ones((1, 1, 1, 1)), FOUR_WAY, 2).ravel(),
                                  [1, 0, 0, 0])


def test_four_way_tie_is_refused_with_the_reason():
    result = poolkit.gradcheck(poolkit.max_pool2d, FOUR_WAY, 2, ties="refuse")
    assert result.status == "refused" and not result
    assert result.analytic is None  # nothing was compared, so nothing failed
    text = str(result)
    assert text.startswith("gradcheck refused to check max_pool2d_backward: f has a kink within eps=1e-06 of x "
                           "at x[0, 0, 0, 0] (and 3 more elements)")
    assert "slope of y[0, 0, 0, 0] along it is 1 to the right (x + eps) and 0 to the left" in text
    assert "central difference gives their average, 0.5" in text


def test_four_way_tie_is_perturbed_and_reported():
    result = poolkit.gradcheck(poolkit.max_pool2d, FOUR_WAY, 2)
    assert result.passed, str(result)
    assert result.ties_found == 4 and result.tie_index == (0, 0, 0, 0) and 0 < result.perturbed <= 1e-3
    assert str(result).endswith("x had ties (4 elements at a kink, the first x[0, 0, 0, 0]), so it was "
                                "checked at x plus uniform noise of at most 0.001.")


@pytest.mark.parametrize("mode", ["max", "min"])
def test_near_ties_within_eps_are_found_and_beyond_eps_are_not(mode):
    eps = 1e-6
    near = np.array([[[1.0, 1.0 + 0.3 * eps, -1.0, 0.5]]])
    fn = getattr(poolkit, f"{mode}_pool1d")
    if mode == "min":
        near = -near
    assert poolkit.gradcheck(fn, near, 2, eps=eps, ties="refuse").status == "refused"
    apart = np.array([[[1.0, 1.0 + 3 * eps, -1.0, 0.5]]]) * (1 if mode == "max" else -1)
    result = poolkit.gradcheck(fn, apart, 2, eps=eps, ties="refuse")
    assert result.passed and not result.perturbed, str(result)


def test_ties_inside_a_network_are_found():
    """The kink test needs no knowledge of the windows: a tie among hidden activations counts too."""
    class TwoPools:
        def forward(self, x):
            self.a = poolkit.AvgPool1d(2, 1)
            self.m = poolkit.MaxPool1d(2)
            return self.m.forward(self.a.forward(x))

        def backward(self, g):
            return self.a.backward(self.m.backward(g))

    x = np.array([[[0.0, 2.0, 0.0, 1.0, 3.0]]])  # averages [1, 1, 0.5, 2]: a tie in the first max window
    assert poolkit.gradcheck(TwoPools(), x, ties="refuse").status == "refused"
    assert poolkit.gradcheck(TwoPools(), x).passed


def test_a_correct_backward_is_never_failed_at_ties():
    x = np.random.default_rng(0).integers(0, 3, (2, 2, 6, 6)).astype(float)  # many ties
    for fn, args in ((poolkit.max_pool2d, (3, 1, 1)), (poolkit.min_pool2d, (2,)),
                     (poolkit.adaptive_max_pool2d, ((4, 3),))):
        assert poolkit.gradcheck(fn, x, *args).passed
        assert poolkit.gradcheck(fn, x, *args, ties="refuse").status == "refused"


def test_lp_inf_kink_at_zero_is_found():
    """``p = inf`` is max(|x|), and |x| has a kink at 0 even without a tie."""
    x = np.array([[[0.0, 0.5, -0.25, 0.75]]])  # the zero is not the window's largest |x|
    assert poolkit.gradcheck(poolkit.lp_pool1d, x, np.inf, 4, ties="refuse").passed
    result = poolkit.gradcheck(poolkit.lp_pool1d, np.zeros((1, 1, 1)), np.inf, 1, ties="refuse")
    assert result.status == "refused"
    assert "is 1 to the right (x + eps) and -1 to the left" in str(result)


# ------------------------------------------------------------------ misuse
def test_bad_arguments():
    x = tie_free(0, (1, 1, 4))
    with pytest.raises(ValueError, match="ties='ignore' must be 'perturb' or 'refuse'"):
        poolkit.gradcheck(poolkit.max_pool1d, x, 2, ties="ignore")
    with pytest.raises(ValueError, match="eps=0 must be a positive number"):
        poolkit.gradcheck(poolkit.max_pool1d, x, 2, eps=0)
    with pytest.raises(TypeError, match="does not know the backward pass of 'square'"):
        def square(v):
            return v * v
        poolkit.gradcheck(square, x)
    result = poolkit.gradcheck(lambda v: v * np.nan, x, backward=lambda g, v: g)
    assert result.status == "refused" and "NaN or inf" in str(result)


def test_values_too_large_for_the_step_are_refused_not_failed():
    """With outputs near 1e7, a step of 1e-6 on an element equal to 0 is lost in rounding: that is
    reported as a check gradcheck cannot make, not as a wrong gradient; a larger eps works."""
    x = np.random.default_rng(0).permutation(16).reshape(1, 1, 4, 4) * 1e6
    result = poolkit.gradcheck(poolkit.avg_pool2d, x, 2)
    assert result.status == "refused" and "rounding alone makes the central difference uncertain" in str(result)
    assert poolkit.gradcheck(poolkit.avg_pool2d, x, 2, eps=1e-3).passed
