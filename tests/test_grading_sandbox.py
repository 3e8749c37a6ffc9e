"""The attacks of issue 19, graded together with honest classmates in the sandbox.

Each attacker also solves the first exercise honestly: it must score exactly that, its
classmates exactly what they score alone, and the status or notes must name what it
tried. One :func:`poolkit.course.gradebook.grade_all` run grades them all at once (so the
attackers run while their classmates' kernels are alive). Needs the sandbox
(:func:`poolkit.course.sandbox.available`: bubblewrap, root); CI installs it. Marked ``grading``.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import nbformat
import pytest
from test_grading import IDS, LIGHT_IMPORTS, NAMES, NB, REFERENCE, ROOT, submission

from poolkit.course import gradebook, sandbox
from poolkit.course.checks import list_exercises

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("grading")]

OK, WHY = sandbox.available()
needs_sandbox = pytest.mark.skipif(not OK, reason=f"no sandbox here: {WHY}")

TOKEN = "poolkit-attack-daemon-7f3a"

EDIT_SOURCE = """\
import poolkit.course.remote
with open(poolkit.course.remote.__file__, "a") as f:  # every classmate after this one would score 4/4
    f.write("\\ncall = lambda name, payload: '{\\"result\\": {\\"py\\": null}}'\\n")
"""

INJECT = """\
import glob, json, os, time
from jupyter_client import BlockingKernelClient
own = {os.path.realpath(a) for a in open("/proc/self/cmdline").read().split("\\0") if a.endswith(".json")}
done, tried = set(), set()
deadline = time.time() + 8
while time.time() < deadline:
    files = set(glob.glob("/tmp/**/*.json", recursive=True))
    files |= set(glob.glob(os.path.expanduser("~/.local/share/jupyter/runtime/*.json")))
    files |= set(glob.glob("/root/.local/share/jupyter/runtime/*.json"))
    for cmdline in glob.glob("/proc/*/cmdline"):
        try:
            files |= {a for a in open(cmdline).read().split("\\0") if a.endswith(".json")}
        except OSError:
            pass
    for path in files - own - tried:
        tried.add(path)
        try:
            client = BlockingKernelClient(connection_file=path)
            client.load_connection_file()
            client.start_channels()
            client.execute("import poolkit.course.remote as r; r.call = lambda *a: '{\\"result\\": {\\"py\\": null}}'")
            client.get_shell_msg(timeout=2)
            done.add(path)
        except Exception:
            pass
    time.sleep(0.5)
raise RuntimeError(f"attack: injected code into {len(done)} other kernels")
"""

OVERWRITE = """\
import glob, os, time
forged = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
done = set()
deadline = time.time() + 8
while time.time() < deadline:
    targets = set(glob.glob("/tmp/**/*.ipynb", recursive=True))
    for pid in glob.glob("/proc/[0-9]*"):
        try:
            args = open(pid + "/cmdline").read().split("\\0")
            cwd = os.readlink(pid + "/cwd")
        except OSError:
            continue
        for place in args + [cwd]:
            if place.endswith(".ipynb"):
                targets.add(place)
            elif os.path.isdir(place):
                targets |= set(glob.glob(os.path.join(place, "**", "*.ipynb"), recursive=True))
    for path in targets - done:
        try:
            with open(path, "w") as f:
                f.write(forged)
            done.add(path)
        except OSError:
            pass
    time.sleep(0.5)
raise RuntimeError(f"attack: overwrote {len(done)} notebooks")
"""

DAEMON = f"""\
import subprocess, sys
subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(300)", "{TOKEN}"])
subprocess.Popen(["sh", "-c", "nohup sleep 300 {TOKEN} >/dev/null 2>&1 &"], start_new_session=True)
"""

FORKS = """\
import subprocess
children = [subprocess.Popen(["sleep", "20"]) for _ in range(300)]
"""

MEMORY = """\
import numpy as np
hog = np.ones(20 * 2**30 // 8)  # 20 GB
"""


def attackers() -> dict:
    first = {NAMES[IDS[0]]: REFERENCE[NAMES[IDS[0]]]}
    return {name: submission(NB, first, before=[code]) for name, code in [
        ("edit_source", EDIT_SOURCE), ("inject", INJECT), ("overwrite", OVERWRITE),
        ("daemon", DAEMON), ("forks", FORKS), ("memory", MEMORY)]}


def victims() -> dict:
    return {"victim_full": submission(NB, REFERENCE),
            "victim_half": submission(NB, {NAMES[i]: REFERENCE[NAMES[i]] for i in IDS[1:3]})}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def daemons() -> list:
    """Processes whose command line holds TOKEN."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if TOKEN.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    notebooks = {**attackers(), **victims()}
    paths = []
    for name, nb in notebooks.items():
        (tmp / f"{name}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
        paths.append(tmp / f"{name}.ipynb")
    before = {p.stem: digest(p) for p in paths}
    package_before = gradebook.poolkit_digest()
    start = time.monotonic()
    results = gradebook.grade_all(paths, list_exercises(1), jobs=len(paths), timeout=20, notebook_timeout=60,
                                  sandbox={"memory": 1 << 30, "processes": 32})
    seconds = time.monotonic() - start
    print(f"\nattack run: {len(paths)} submissions at once in {seconds:.1f} s")
    return {"results": {r.student: r for r in results}, "before": before,
            "after": {p.stem: digest(p) for p in paths}, "package": (package_before, gradebook.poolkit_digest()),
            "leftover": daemons()}


def own_work(result) -> dict:
    return {e.exercise: e.score for e in result.exercises}


ONLY_FIRST = {i: 1.0 if i == IDS[0] else 0.0 for i in list_exercises(1)} if IDS else {}


def notes(result) -> str:
    return " ".join(" ".join(result.notes).split())


@needs_sandbox
def test_classmates_score_what_they_score_alone(attacked):
    results = attacked["results"]
    assert results["victim_full"].total == len(IDS) and results["victim_full"].status == "ok", results["victim_full"]
    half = {i: 1.0 if i in IDS[1:3] else 0.0 for i in list_exercises(1)}
    assert own_work(results["victim_half"]) == half and results["victim_half"].status == "ok", results["victim_half"]


@needs_sandbox
@pytest.mark.parametrize("attacker", ["edit_source", "inject", "overwrite", "daemon", "forks", "memory"])
def test_an_attacker_scores_its_own_work(attacked, attacker):
    assert own_work(attacked["results"][attacker]) == ONLY_FIRST, attacked["results"][attacker]


@needs_sandbox
def test_poolkit_cannot_be_edited(attacked):
    result = attacked["results"]["edit_source"]
    assert attacked["package"][0] == attacked["package"][1]
    assert result.status == "sandbox denied", result
    assert "PermissionError" in notes(result) and "does not allow" in notes(result), result.notes


@needs_sandbox
def test_no_other_kernel_can_be_reached(attacked):
    result = attacked["results"]["inject"]
    assert "injected code into 0 other kernels" in notes(result), result.notes


@needs_sandbox
def test_no_submission_can_be_overwritten(attacked):
    result = attacked["results"]["overwrite"]
    assert attacked["before"] == attacked["after"]
    assert "overwrote 0 notebooks" in notes(result), result.notes


@needs_sandbox
def test_nothing_outlives_its_grading(attacked):
    assert attacked["leftover"] == [], "daemons left running"
    assert attacked["results"]["daemon"].status == "ok", attacked["results"]["daemon"]


@needs_sandbox
def test_the_process_limit_holds(attacked):
    result = attacked["results"]["forks"]
    assert result.status == "process limit", result
    assert "process limit" in notes(result), result.notes


@needs_sandbox
def test_the_memory_limit_holds(attacked):
    result = attacked["results"]["memory"]
    assert result.status == "memory limit", result
    assert "ran out of memory (the limit is 1024 MiB)" in notes(result), result.notes


@needs_sandbox
def test_the_kernel_is_no_one_and_sees_nothing(tmp_path):
    """One kernel's view from the inside: its user, processes, network, files."""
    probe = (LIGHT_IMPORTS + "\nimport os, socket\n"
             "facts = [os.getuid() != 0, sorted(p for p in os.listdir('/proc') if p.isdigit()) != [],\n"
             f"         not os.path.exists({str(ROOT / 'chapters')!r}), not os.access('/usr', os.W_OK)]\n"
             "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    facts.append(False)\n"
             "except OSError:\n    facts.append(True)\n"
             "assert all(facts), facts\n"
             "assert len([p for p in os.listdir('/proc') if p.isdigit()]) < 10, os.listdir('/proc')\n")
    nb = submission(NB, {NAMES[IDS[0]]: REFERENCE[NAMES[IDS[0]]]}, before=[probe])
    path = tmp_path / "probe.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    from poolkit.course.grading import grade_submission

    result = grade_submission(path, list_exercises(1), timeout=20, sandbox=sandbox.Sandbox.for_slot(7))
    assert result.status == "ok" and not any("raised" in n for n in result.notes), result
    assert own_work(result) == ONLY_FIRST


def test_the_grader_refuses_without_a_sandbox(monkeypatch, tmp_path, capsys):
    from poolkit.course.__main__ import main

    path = tmp_path / "alice.ipynb"
    path.write_text(nbformat.writes(submission(NB)), encoding="utf-8")
    monkeypatch.setattr(sandbox, "_AVAILABLE", (False, "bwrap not found"))
    assert main(["grade", str(path), "--chapter", "1"]) == 2
    err = capsys.readouterr().err
    assert "no sandbox for the notebooks' code: bwrap not found" in err and "--unsafe" in err


def test_a_changed_poolkit_stops_the_run(monkeypatch, tmp_path):
    digests = iter(["before", "changed"] + ["changed"] * 10)
    monkeypatch.setattr(gradebook, "poolkit_digest", lambda: next(digests))
    path = tmp_path / "alice.ipynb"
    path.write_text("", encoding="utf-8")  # graded at once (empty file): no kernel
    seen = []
    with pytest.raises(gradebook.PoolkitChanged, match="poolkit's files changed while alice was graded"):
        gradebook.grade_all([path], list_exercises(1), jobs=1, on_result=seen.append)
    assert seen[0].status.endswith("tampering"), seen[0]


def test_sandbox_sizes():
    assert sandbox.parse_size("2G") == 2 << 30 and sandbox.parse_size("512m") == 512 << 20
    with pytest.raises(ValueError, match="not a size"):
        sandbox.parse_size("lots")
    assert os.path.basename(sandbox.package_dir()) == "poolkit"
