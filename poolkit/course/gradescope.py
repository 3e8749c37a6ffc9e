"""Gradescope: the autograder zip, and the grading of one submission inside it.

``poolkit gradescope OUT.zip --assignment A.toml [--key KEY]`` builds the zip Gradescope's
"Autograder" settings take. Gradescope unpacks it into ``/autograder/source``, runs
``setup.sh`` once to build the image, then, for every submission, in a container of its
own, copies the student's files into ``/autograder/submission`` and runs
``run_autograder``, which must leave ``/autograder/results/results.json``. The zip holds:

- ``setup.sh``: Python 3.11+ and bubblewrap from the image's packages, then the grader's
  dependencies, pinned to the versions this grader runs with;
- ``run_autograder``: ``python -m poolkit.course.gradescope``, which grades the submitted
  notebook as ``poolkit grade`` would (in the sandbox when the container allows one: the
  container alone already keeps submissions apart) and writes ``results.json``: one
  test per exercise (its points, the check's report, the assignment's visibility), the
  notes as the output, a late penalty from Gradescope's submission metadata;
- ``poolkit/``: this poolkit, ``assignment.json`` and, with ``--key``, ``key.json``:
  the zip is the instructor's, never the students'.

``AUTOGRADER_ROOT`` (default ``/autograder``) and ``POOLKIT_PYTHON`` let the same scripts run
in a local copy of that folder layout (the tests do).
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import zipfile
from pathlib import Path

from .assignment import Assignment, from_json

__all__ = ["build_zip", "results_json", "run"]

PINNED = ("numpy", "nbclient", "nbformat", "ipykernel", "jupyter_client", "pyzmq", "traitlets", "jupyter_core",
          "tornado")

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image (see poolkit/course/gradescope.py).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q bubblewrap util-linux
apt-get install -y -q python3.11 python3.11-venv || apt-get install -y -q python3 python3-venv
PYTHON=$(command -v python3.12 || command -v python3.11 || command -v python3)
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "poolkit needs Python 3.11 or newer"'
"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/pip install -q {requirements}
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission, in a container of its own (see poolkit/course/gradescope.py).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${POOLKIT_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
PYTHONPATH="$ROOT/source" exec "$PYTHON" -m poolkit.course.gradescope "$ROOT"
"""


def _requirements() -> str:
    from importlib import metadata

    pins = []
    for name in PINNED:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return " ".join(pins)


def build_zip(out, assignment: Assignment, key_path: Path | None = None) -> Path:
    """Write the autograder zip to ``out`` (see the module docstring)."""
    from .sandbox import package_dir

    out = Path(out)
    package = Path(package_dir())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("setup.sh", SETUP.format(requirements=_requirements())), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
        z.writestr("assignment.json", json.dumps(assignment.to_dict(), indent=1) + "\n")
        if key_path is not None:
            z.writestr("key.json", Path(key_path).read_text(encoding="utf-8"))
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, f"poolkit/{path.relative_to(package)}")
    return out


def results_json(result, assignment: Assignment, days_late: float = 0.0, note: str = "") -> dict:
    """Gradescope's results.json for one graded submission."""
    factor = assignment.late_factor(days_late)
    tests = []
    for score in result.exercises:
        points = assignment.points_of(score.exercise)
        tests.append({"name": score.exercise, "score": round(score.score * points * factor, 4),
                      "max_score": points, "status": "passed" if score.passed else "failed",
                      "output": score.message, "visibility": assignment.visibility.get(score.exercise, "visible")})
    output = [f"Status: {result.status}."] + [f"Note: {n}" for n in result.notes]
    if factor < 1:
        output.append(f"Late by {days_late:.2f} days: the score is multiplied by {factor:g}.")
    if note:
        output.append(note)
    return {"score": round(sum(t["score"] for t in tests), 4), "output": "\n".join(output),
            "visibility": "visible", "stdout_visibility": "hidden", "execution_time": round(result.seconds),
            "tests": tests}


def _days_late(root: Path) -> float:
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        created = datetime.datetime.fromisoformat(meta["created_at"])
        due = datetime.datetime.fromisoformat(meta["assignment"]["due_date"])
        return (created - due).total_seconds() / 86400
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def run(root) -> dict:
    """Grade the notebook in ``root/submission`` and write ``root/results/results.json``."""
    from . import gradebook, keys, sandbox

    root = Path(root)
    source = root / "source"
    assignment = from_json(json.loads((source / "assignment.json").read_text(encoding="utf-8")))
    key = keys.load(source / "key.json") if (source / "key.json").exists() else None
    notebooks = sorted(p for p in (root / "submission").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not notebooks:
        data = {"score": 0.0, "output": "No notebook (*.ipynb) was submitted: upload the chapter's notebook.",
                "visibility": "visible", "tests": []}
        out.write_text(json.dumps(data, indent=1), encoding="utf-8")
        return data
    ok, why = sandbox.available()
    note = "" if ok else f"(Graded without poolkit's sandbox, in Gradescope's container: {why}.)"
    if len(notebooks) > 1:
        note += f" {len(notebooks)} notebooks were submitted; {notebooks[0].name} was graded."
    [result] = gradebook.grade_all(notebooks[:1], assignment.exercise_ids, jobs=1, key=key,
                                   sandbox={"memory": sandbox.MEMORY, "processes": sandbox.PROCESSES} if ok else None)
    data = results_json(result, assignment, _days_late(root), note.strip())
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    sys.exit(0)
