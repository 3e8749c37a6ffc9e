"""The thinking exercises (Predictions) of chapters 5-8: each answer is what poolkit (the
frameworks' reference) computes, the untouched stub is "not written yet", a right prediction
passes and a plausible wrong one fails with the hint, never the answer."""

import numpy as np
import pytest

import poolkit
from poolkit.course.checks import Prediction, evaluate, get_exercise, list_exercises

IDS = {5: "predict_resnet_pool", 6: "predict_tf_argmax", 7: "predict_same_average", 8: "predict_im2col_mib"}


def computed(eid):
    """The answer, worked out by running the pooling (not copied from the exercise)."""
    if eid == "predict_resnet_pool":
        return poolkit.max_pool2d(np.zeros((8, 64, 112, 112), np.float32), 3, 2, 1).shape
    if eid == "predict_tf_argmax":
        x = -np.arange(12.0).reshape(1, 2, 2, 3)
        return int(poolkit.max_pool_with_argmax(x, 2, 2, "VALID")[1][0, 0, 0, 1])
    if eid == "predict_same_average":
        x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
        return tuple(poolkit.avg_pool1d(x, 2, 2, "same", data_format="channels_last")[0, :, 0])
    if eid == "predict_im2col_mib":
        x = np.zeros((32, 64, 56, 56), np.float32)
        n_outputs = poolkit.max_pool2d(x[:1, :1], 3, 2, 1).size * 32 * 64
        return n_outputs * 9 * x.itemsize / 2 ** 20


WRONG = {  # a plausible wrong prediction for each
    "predict_resnet_pool": (8, 64, 55, 55),
    "predict_tf_argmax": 0,                 # PyTorch's index
    "predict_same_average": (0.5, 2.5),     # PyTorch's padding=1
    "predict_im2col_mib": 24.5,             # the input's size
}


@pytest.mark.parametrize("chapter, eid", sorted(IDS.items()))
def test_registered_in_its_chapter(chapter, eid):
    ex = get_exercise(eid)
    assert isinstance(ex, Prediction) and ex.chapter == chapter and eid in list_exercises(chapter)


@pytest.mark.parametrize("eid", IDS.values())
def test_answer_is_what_poolkit_computes(eid):
    ex = get_exercise(eid)
    assert ex.right(computed(eid)) and ex.problem(computed(eid)) is None
    assert np.allclose(np.asarray(ex.answer, float), np.asarray(computed(eid), float), rtol=1e-9)


@pytest.mark.parametrize("eid", IDS.values())
def test_stub_right_and_wrong(eid):
    ex = get_exercise(eid)
    assert evaluate(eid, ...).message.startswith(f"\U0001f4dd {eid}: not written yet")
    right = evaluate(eid, ex.answer)
    assert right.passed and right.message.startswith(f"\u2705 {eid}: your prediction is right.")
    wrong = evaluate(eid, WRONG[eid])
    assert not wrong.passed and ex.hint.split()[0] in wrong.message
    if not isinstance(ex.answer, int):   # a one-digit answer may appear in any text
        assert repr(ex.answer) not in wrong.message and repr(ex.answer) not in ex.hint
