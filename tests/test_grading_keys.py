"""The instructor's key (poolkit/course/keys.py): hidden cases no student can compute, and answers
no notebook may take from poolkit. Marked ``grading``."""

from __future__ import annotations

import os
import stat

import nbformat
import pytest
from test_grading import IDS, NAMES, NB, REFERENCE, submission

from poolkit.course import keys, reach, sandbox
from poolkit.course.checks import get_exercise, list_exercises
from poolkit.course.grading import grade_submission

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("grading")]


def test_keygen_writes_a_private_key_and_never_overwrites_one(tmp_path):
    path = tmp_path / "course.key"
    key = keys.keygen(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.load(path) == key and len(key.fingerprint) == 16 and key.secret.hex() not in key.fingerprint
    with pytest.raises(ValueError, match="exists"):
        keys.keygen(path)
    assert keys.keygen(path, force=True) != key
    (tmp_path / "bad.key").write_text("{}")
    with pytest.raises(ValueError, match="not a poolkit key file"):
        keys.load(tmp_path / "bad.key")


def test_a_key_draws_other_hidden_cases_and_keeps_the_visible_ones(tmp_path):
    key = keys.keygen(tmp_path / "k")
    public = {i: get_exercise(i).all_cases() for i in list_exercises(1)}
    with keys.installed(key):
        for i, cases in public.items():
            keyed = get_exercise(i).all_cases()
            assert len(keyed) == len(cases)
            assert sorted(repr(c.args) for c in keyed if c.visible) == sorted(repr(c.args) for c in cases if c.visible)
            hidden = {repr(c.args) for c in cases if not c.visible}
            if not hidden:      # a Prediction: one visible case, nothing hidden
                continue
            assert sum(repr(c.args) in hidden for c in keyed if not c.visible) < len(hidden) // 2, i
    assert get_exercise(IDS[0]).all_cases() is public[IDS[0]]  # restored


def test_reaching_for_the_answer_key_is_found():
    sources = [
        "import numpy as np\nfrom poolkit.course.checks import check, get_exercise\nimport poolkit.course.checks as pc",
        "ref = get_exercise('pool2d_min').reference",
        "def pool2d_min(X, pool_size):\n    return ref(X, pool_size)",
        "def helper(n):\n    return pc.EXERCISES['output_size'].all_cases()[0].expected",
        "def output_size(n, k, s, p):\n    return helper(n)",
        "def pool2d_stride(X, pool_size, stride, mode='max'):\n    return np.zeros(1)",
        "%timeit pool2d_stride(1, 2, 3)",
    ]
    uses = keys.answer_key_uses(sources, ["pool2d_min", "output_size", "pool2d_stride", "pool_cost"])
    assert {".reference", "get_exercise"} <= set(uses["pool2d_min"])
    assert ".EXERCISES" in uses["output_size"] and ".all_cases" in uses["output_size"]
    assert uses["pool2d_stride"] == [] and uses["pool_cost"] == []


@pytest.mark.skipif("output_size" not in IDS, reason="chapter 1's exercises changed")
def test_with_a_key_only_the_students_own_work_scores(tmp_path):
    """One notebook calls poolkit's reference, one pastes the public hidden cases' answers:
    with the key, the first scores zero with a note, the second only what is not in its table;
    an honest classmate scores the same with or without the key."""
    table = {tuple(c.args): c.expected for c in get_exercise("output_size").all_cases()}
    cheat = submission(NB, {
        NAMES[IDS[0]]: ("from poolkit.course.checks import get_exercise\n"
                        f"_ref = get_exercise({IDS[0]!r}).reference\n\n"
                        f"def {get_exercise(IDS[0]).signature}:\n"
                        f"    return _ref({', '.join(get_exercise(IDS[0]).params)})\n"),
        "output_size": f"TABLE = {table!r}\n\ndef output_size(n, k, s, p):\n    return TABLE[(n, k, s, p)]\n"})
    paths = {}
    for name, nb in {"cheat": cheat, "honest": submission(NB, REFERENCE)}.items():
        paths[name] = tmp_path / f"{name}.ipynb"
        paths[name].write_text(nbformat.writes(nb), encoding="utf-8")
    key = keys.keygen(tmp_path / "k")
    box = sandbox.Sandbox.for_slot(11) if sandbox.available()[0] else None
    graded = {name: grade_submission(path, list_exercises(1), timeout=30, sandbox=box, key=key)
              for name, path in paths.items()}
    public = grade_submission(paths["cheat"], list_exercises(1), timeout=30, sandbox=box)
    by = {name: {e.exercise: e for e in r.exercises} for name, r in graded.items()}
    assert by["cheat"][IDS[0]].score == 0 and "answer key" in by["cheat"][IDS[0]].message
    assert "answer key" in graded["cheat"].status
    assert {e.exercise: e.score for e in public.exercises}["output_size"] == 1.0  # the table knows public cases
    assert by["cheat"]["output_size"].score < 0.5  # not the key's
    assert graded["honest"].total == len(IDS) and graded["honest"].status == "ok", graded["honest"]


def test_what_a_function_reaches_is_read_from_the_code():
    """reach.shortcut_uses follows a function through helpers and aliases to the imports it
    uses; a later def replaces an earlier one; an import the function never uses is not its."""
    cells = ["import numpy as np\nimport poolkit\nimport torch.nn.functional as F\nfrom poolkit.naive import pool2d",
             "def output_size(n, k, s, p):\n    return poolkit.output_size(n, k, s, p)",
             "def helper(x):\n    return F.max_pool2d(x, 2)\n\ndef max_pool_pad(X, k, s, p):\n    return helper(X)",
             "def masked_max(x, lengths):\n    return np.max(x, axis=-1)"]
    without = {"output_size": ("poolkit",), "max_pool_pad": ("poolkit", "torch"), "masked_max": ("poolkit",)}
    assert reach.shortcut_uses(cells, without) == {
        "output_size": ["import poolkit"], "max_pool_pad": ["import torch.nn.functional as F"], "masked_max": []}
    rewritten = cells + ["def output_size(n, k, s, p):\n    return (n + 2 * p - k) // s + 1"]
    assert reach.shortcut_uses(rewritten, {"output_size": ("poolkit",)}) == {"output_size": []}
    assert reach.shortcut_uses(cells, {"masked_max": ("numpy",)}) == {"masked_max": ["import numpy as np"]}


@pytest.mark.skipif("output_size" not in IDS, reason="chapter 1's exercises changed")
def test_a_function_that_calls_what_its_exercise_forbids_scores_zero(tmp_path):
    """Chapter 1's output_size says "Do not call poolkit": poolkit's own output_size
    gives every right answer, and scores zero, with a note and a status that say why."""
    assert get_exercise("output_size").without == ("poolkit",)
    nb = submission(NB, {"output_size": "def output_size(n, k, s, p):\n"
                                        "    return poolkit.output_size(n, k, s, p)\n"})
    path = tmp_path / "shortcut.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    box = sandbox.Sandbox.for_slot(12) if sandbox.available()[0] else None
    result = grade_submission(path, ["output_size"], timeout=30, sandbox=box)
    (score,) = result.exercises
    said = " ".join(score.message.split())
    assert score.score == 0 and "it uses import poolkit" in said and "without poolkit" in said
    assert "shortcut" in result.status
