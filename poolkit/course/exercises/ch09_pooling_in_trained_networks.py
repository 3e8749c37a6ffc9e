"""Exercises of chapter 9, "Pooling inside a trained network": the receptive field of a
conv/pool stack, shift consistency from predictions, BlurPool's fixed filter, and a
prediction of the flatten head's size.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

from math import comb

import numpy as np

from ..checks import Exercise, Mistake, Prediction, randint, register


# ---------------------------------------------------------------- receptive_field_size
def _receptive(layers, own_stride=False, strides=True):
    size, jump = 1, 1
    for k, s in layers:
        if own_stride:
            jump *= s
        size += (k - 1) * (jump if strides else 1)
        if not own_stride:
            jump *= s
    return size


def _random_stack(rng):
    layers = []
    for _ in range(randint(rng, 2, 6)):
        layers.append((3, 1) if rng.random() < 0.5 else (randint(rng, 2, 3), 2))
    return (tuple(layers),)


register(Exercise(
    id="receptive_field_size", title="The receptive field of a conv/pool stack", chapter=9,
    signature="receptive_field_size(layers)",
    reference=lambda layers: _receptive(layers),
    cases=[
        (((3, 1),),),
        (((3, 1), (2, 2)),),
        (((3, 1), (2, 2), (3, 1)),),
        (((3, 1), (2, 2), (3, 1), (2, 2), (3, 1)),),
    ],
    random_case=_random_stack,
    returns="int",
    mistakes=[
        Mistake("Your field grows by k - 1 pixels per layer whatever came before: after a "
                "stride-2 layer, neighbouring inputs of the next layer are 2 input pixels "
                "apart, so each of its extra taps widens the field by that distance.",
                like=lambda layers: _receptive(layers, strides=False)),
        Mistake("You multiply by a layer's stride before adding its kernel: a layer's stride "
                "spaces its own outputs, not its inputs, so it widens only the layers after it.",
                like=lambda layers: _receptive(layers, own_stride=True)),
    ],
    hint="Keep two numbers, the field's size and the distance (in input pixels) between "
         "neighbouring positions of the current layer; update both layer by layer.",
))


# ---------------------------------------------------------------- pair_consistency
def _pairs(predictions, with_self=False, first_only=False):
    p = np.asarray(predictions)
    S = p.shape[1]
    same = p[:, :, None] == p[:, None, :]        # (N, S, S)
    if first_only:
        return same[:, 0, 1:].mean(axis=1)
    if with_self:
        return same.mean(axis=(1, 2))
    return (same.sum(axis=(1, 2)) - S) / (S * (S - 1))


def _random_predictions(rng):
    n, s = randint(rng, 1, 6), randint(rng, 2, 6)
    return (rng.integers(0, randint(rng, 1, 4), size=(n, s)),)


register(Exercise(
    id="pair_consistency", title="Shift consistency from predictions", chapter=9,
    signature="pair_consistency(predictions)",
    reference=lambda predictions: _pairs(predictions),
    cases=[
        (np.array([[3, 3]]),),
        (np.array([[3, 5, 3]]),),
        (np.array([[1, 1, 1], [1, 2, 3]]),),
        (np.array([[7, 7, 2, 7], [0, 1, 0, 1], [4, 4, 4, 4]]),),
    ],
    random_case=_random_predictions,
    rtol=1e-9,
    mistakes=[
        Mistake("You count each shift paired with itself: a prediction always agrees with "
                "itself, so those pairs say nothing. Count only pairs of two different shifts.",
                like=lambda p: _pairs(p, with_self=True)),
        Mistake("You compare every shift with the first one only: the metric asks about two "
                "shifts drawn at random, so every pair of different shifts counts equally.",
                like=lambda p: _pairs(p, first_only=True)),
    ],
    hint="For the first image of this case, list every pair of two different shifts, "
         "and count those whose predictions agree.",
))


# ---------------------------------------------------------------- binomial_filter
def _binomial(k, row=None, normalise=True):
    r = np.array([comb(k - 1 if row is None else row, i) for i in range((k - 1 if row is None else row) + 1)],
                 dtype=np.float64)
    f = np.outer(r, r)
    return f / f.sum() if normalise else f


register(Exercise(
    id="binomial_filter", title="BlurPool's fixed filter", chapter=9,
    signature="binomial_filter(k)",
    reference=lambda k: _binomial(k),
    cases=[(1,), (2,), (3,), (5,)],
    random_case=lambda rng: (randint(rng, 2, 12),),
    rtol=1e-12,
    mistakes=[
        Mistake("Your filter does not sum to 1: a blur must keep a constant image's value, "
                "so divide by the sum of its entries.",
                like=lambda k: _binomial(k, normalise=False)),
        Mistake("Your filter is a box (every entry equal): BlurPool weighs the centre most, "
                "with Pascal's triangle along each axis.",
                like=lambda k: np.full((k, k), 1.0 / (k * k))),
        Mistake("Your filter is one row too far down Pascal's triangle: a filter of k taps "
                "uses the row with k numbers.",
                like=lambda k: _binomial(k, row=k)),
    ],
    hint="Write the row of Pascal's triangle with k numbers, take its outer product with "
         "itself, and scale it so that the entries sum to 1.",
))


# ---------------------------------------------------------------- predicted_params (a prediction)
register(Prediction(
    id="flatten_head_params", title="The flatten head on a larger canvas", chapter=9,
    name="predicted_params",
    answer=20490,
    hint="Follow the canvas's side through the two 2x2 poolings, then count the numbers "
         "Flatten hands to the linear layer: each of them has a weight per class, and each "
         "class has a bias.",
    explanation="32 channels of 8 x 8 flatten to 2048 numbers, times 10 classes, plus 10 "
                "biases. The GAP head still has 32 x 10 + 10 = 330, whatever the canvas.",
))
