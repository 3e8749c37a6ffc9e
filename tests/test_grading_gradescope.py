"""Points and exports: the assignment file, Gradescope's autograder (run in a local copy of
its folder layout), the roster, recursive discovery, identical submissions. Marked ``grading``."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile

import nbformat
import pytest
from test_grading import IDS, NAMES, NB, REFERENCE, ROOT, submission

from poolkit.course import gradebook
from poolkit.course.assignment import load_assignment
from poolkit.course.checks import list_exercises
from poolkit.course.grading import ExerciseScore, SubmissionResult

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("grading")]

ASSIGNMENT = f"""\
chapter = 1
title = "Pooling by hand"

[exercises.{IDS[0]}]
points = 2
visibility = "after_published"

[exercises.{IDS[-1]}]
points = 0

[late]
penalty_per_day = 0.1
max_penalty = 0.5
"""


def test_an_assignment_sets_points_visibility_and_the_late_penalty(tmp_path):
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    a = load_assignment(tmp_path / "a.toml")
    assert a.exercise_ids == [i for i in list_exercises(1) if i != IDS[-1]]  # 0 points: not graded
    assert a.points_of(IDS[0]) == 2 and a.max_points == len(IDS) - 2 + 2
    assert a.late_factor(0) == 1 and a.late_factor(0.2) == 0.9 and a.late_factor(30) == 0.5
    (tmp_path / "bad.toml").write_text("chapter = 1\n[exercises.nope]\npoints = 1\n")
    with pytest.raises(ValueError, match=r"\[exercises.nope\] is no exercise"):
        load_assignment(tmp_path / "bad.toml")
    (tmp_path / "bad2.toml").write_text(f"chapter = 1\n[exercises.{IDS[0]}]\nvisibility = 'sometimes'\n")
    with pytest.raises(ValueError, match="visibility='sometimes' must be one of"):
        load_assignment(tmp_path / "bad2.toml")


def test_gradescope_autograder_in_a_local_copy_of_its_layout(tmp_path):
    """poolkit gradescope builds the zip; run_autograder, run as Gradescope would (its folders,
    its metadata, a submission 1.5 days late), writes a valid results.json."""
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    subprocess.run([sys.executable, "-m", "poolkit.course", "keygen", tmp_path / "k.json"], cwd=ROOT, check=True,
                   capture_output=True)
    out = subprocess.run([sys.executable, "-m", "poolkit.course", "gradescope", tmp_path / "ag.zip", "--assignment",
                          tmp_path / "a.toml", "--key", tmp_path / "k.json"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    root = tmp_path / "ag"  # short: the kernel's socket paths are limited
    with zipfile.ZipFile(tmp_path / "ag.zip") as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder", "assignment.json", "key.json", "poolkit/course/grading.py"} <= set(names)
        assert (z.getinfo("run_autograder").external_attr >> 16) & 0o111
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    setup = (root / "source" / "setup.sh").read_text()
    assert "bubblewrap" in setup and "nbclient==" in setup and "numpy==" in setup
    (root / "submission" / "sub").mkdir(parents=True)
    half = {NAMES[i]: REFERENCE[NAMES[i]] for i in IDS[:2]}
    (root / "submission" / "sub" / "01_pooling_by_hand.ipynb").write_text(nbformat.writes(submission(NB, half)))
    (root / "submission_metadata.json").write_text(json.dumps({
        "created_at": "2026-03-02T12:00:00.000000-07:00", "assignment": {"due_date": "2026-03-01T00:00:00-07:00"}}))
    proc = subprocess.run([root / "source" / "run_autograder"], capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "AUTOGRADER_ROOT": str(root), "POOLKIT_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    graded = [i for i in list_exercises(1) if i != IDS[-1]]
    assert [t["name"] for t in results["tests"]] == graded
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility", "status"}
    tests = {t["name"]: t for t in results["tests"]}
    assert tests[IDS[0]]["max_score"] == 2 and tests[IDS[0]]["visibility"] == "after_published"
    assert tests[IDS[0]]["score"] == pytest.approx(2 * 0.8) and tests[IDS[1]]["score"] == pytest.approx(0.8)
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert "Late by 1.50 days" in results["output"] and "multiplied by 0.8" in results["output"]


def result(student, sha="", functions="", score=1.0):
    return SubmissionResult(student, f"{student}.ipynb", sha, functions_digest=functions,
                            exercises=[ExerciseScore(IDS[0], score, score == 1, 1, 1, "")])


def test_identical_submissions_are_flagged():
    groups = gradebook.identical([result("a", "x", "f1"), result("b", "x", "f1"), result("c", "y", "f1"),
                                  result("d", "z", "")])
    assert {"kind": "same file", "students": ["a", "b"]} in groups
    assert {"kind": "same functions", "students": ["a", "b", "c"]} in groups and len(groups) == 2


def test_lms_folders_are_found_recursively_and_rosters_read(tmp_path):
    for rel in ("alice/01_x.ipynb", "bob/sub/whatever.ipynb", "carol.ipynb", "alice/.ipynb_checkpoints/01_x.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found = gradebook.discover([tmp_path])
    assert sorted(name for _, name in found) == ["alice", "bob", "carol"]
    (tmp_path / "roster.csv").write_text("login,name\nalice,Alice A\ndave,Dave D\nalice,again\n")
    assert gradebook.read_roster(tmp_path / "roster.csv") == ["alice", "dave"]


def test_csv_points_for_the_lms(tmp_path):
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    a = load_assignment(tmp_path / "a.toml")
    gradebook.write_csv([result("alice", score=0.5)], a.exercise_ids, tmp_path / "g.csv", a)
    rows = list(csv.reader((tmp_path / "g.csv").open()))
    assert rows[0][-2:] == ["points", "max_points"] and rows[1][-2:] == ["1.0", str(a.max_points)]
