"""poolkit.digits: the canvas data helpers, the networks of chapter 9, and the
torch.autograd.Function around poolkit's max pooling against PyTorch's own."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from poolkit import digits as D  # noqa: E402
from poolkit.antialias import blur_pool2d  # noqa: E402


def test_place_puts_each_image_at_its_offset():
    images = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3) + 1
    out = D.place(images, [[0, 0], [3, 2]], canvas=5)
    assert out.shape == (2, 1, 5, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, 0, :2, :3], images[0])
    np.testing.assert_array_equal(out[1, 0, 3:5, 2:5], images[1])
    assert out.sum() == images.sum()


@pytest.mark.parametrize("offsets,words", [([[0, 0]], "offsets must be (2, 2)"),
                                           ([[0, 0], [4, 0]], "rows in 0..3")])
def test_place_errors(offsets, words):
    with pytest.raises(ValueError) as info:
        D.place(np.zeros((2, 2, 3)), offsets, canvas=5)
    assert words in str(info.value)


def test_load_canvas_digits_is_fixed_by_its_seed():
    a, b = D.load_canvas_digits(seed=0), D.load_canvas_digits(seed=0)
    assert a["x_train"].shape == (D.N_TRAIN, 1, D.CANVAS, D.CANVAS)
    assert len(a["y_train"]) + len(a["y_test"]) == 1797
    assert a["digits_test"].shape == (len(a["y_test"]), 8, 8)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert 0 <= a["offsets_train"].min() and a["offsets_train"].max() <= D.CANVAS - 8
    assert a["x_train"].max() == 1.0 and a["x_train"].min() == 0.0
    # the test digits are the test canvases' contents
    np.testing.assert_array_equal(D.place(a["digits_test"], a["offsets_test"]), a["x_test"])
    assert not np.array_equal(a["offsets_test"], D.load_canvas_digits(seed=1)["offsets_test"])


def test_slide_positions_and_consistency():
    pos = D.slide_positions(16)
    assert pos.shape == (9, 2) and (pos[:, 0] == 4).all() and list(pos[:, 1]) == list(range(9))
    assert D.shift_consistency([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    with pytest.raises(ValueError, match="same shape"):
        D.shift_consistency([1, 2], [1])


@pytest.mark.parametrize("down", D.DOWNSAMPLING + ("poolkit",))
@pytest.mark.parametrize("head", ["gap", "flatten"])
def test_every_network_classifies_a_canvas(down, head):
    net = D.make_net(down, head)
    assert net(torch.zeros(3, 1, D.CANVAS, D.CANVAS)).shape == (3, 10)
    assert D.count_params(net) > 0 and D.count_macs(net) > 0


def test_counts_of_a_known_network():
    net = D.make_net("max")
    # convs 1->8, 8->16, 16->32 (3x3 + bias), three BatchNorms (2 per channel), linear 32->10
    assert D.count_params(net) == (9 * 8 + 8) + (72 * 16 + 16) + (144 * 32 + 32) + 2 * 56 + 330
    assert D.count_macs(net) == 16 * 16 * 8 * 9 + 8 * 8 * 16 * 72 + 4 * 4 * 32 * 144 + 320
    assert D.count_params(D.make_net("blur")) == D.count_params(net)   # the blur filter is fixed


def test_torch_blurpool_is_poolkits():
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 8)).astype(np.float32)
    with torch.no_grad():
        y = D.BlurPool2d(4)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(y, blur_pool2d(x), rtol=1e-6, atol=1e-6)


def test_poolkit_max_pool_function_matches_pytorch_forward_and_gradient():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, size=(4, 3, 8, 7)).astype(np.float32)   # many ties: the first maximum wins
    a, b = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = D.PoolkitMaxPool2d(2)(a), torch.nn.functional.max_pool2d(b, 2)
    assert torch.equal(ya, yb)
    g = torch.tensor(rng.standard_normal(ya.shape).astype(np.float32))
    ya.backward(g)
    yb.backward(g)
    assert torch.equal(a.grad, b.grad)
    assert torch.autograd.gradcheck(D.PoolkitMaxPool2d(2), (torch.rand(1, 2, 4, 4, dtype=torch.float64,
                                                                        requires_grad=True),))


def test_training_repeats_exactly_and_poolkit_pooling_trains_the_same():
    data = D.load_canvas_digits()
    x, y = data["x_train"][:200], data["y_train"][:200]
    with D.deterministic():
        runs = [D.train(D.make_net(down, seed=3), x, y, epochs=1, seed=3)["losses"]
                for down in ("max", "max", "poolkit")]
    assert runs[0] == runs[1]
    np.testing.assert_allclose(runs[2], runs[0], rtol=1e-5)


def test_deterministic_puts_the_global_settings_back():
    import torch
    before = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    with D.deterministic(threads=1):
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.get_num_threads() == 1
    assert (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()) == before
