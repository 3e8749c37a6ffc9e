"""Shared test set-up.

- TensorFlow's logging switches are set before anything can import TensorFlow: this is the
  test suite's one place for them (subprocesses inherit them).
- Hypothesis runs the "ci" profile (the same examples every run) unless
  ``HYPOTHESIS_PROFILE=dev``.
- ``book``: the book, built once per test session (tests/test_book.py and
  tests/test_site.py both use it; under xdist they share one worker, see their
  ``xdist_group`` mark).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# Property tests are reproducible: the same examples on every run, no example database.
# HYPOTHESIS_PROFILE=dev explores new examples instead.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
# `make test-fast`: the unit tests with few examples each (under a minute).
settings.register_profile("fast", derandomize=True, database=None, deadline=None, max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """A test's own number of examples (``@settings(max_examples=examples(30))``), capped by the
    "fast" profile's, so `make test-fast` stays fast where a test asks for more."""
    return min(n, settings.get_profile("fast").max_examples) if os.environ.get("HYPOTHESIS_PROFILE") == "fast" else n

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ markers, sorted by cost
# Registered in pyproject.toml; given here by test file (and, for the oracle comparisons that
# live among unit tests, by name), so `pytest -m unit` is the fast run and `-m oracle` etc. the rest.
MARKED_FILES = {
    "oracle": {"test_oracle_torch.py", "test_oracle_tf.py", "test_interop.py", "test_digits.py", "test_antialias.py"},
    "book": {"test_book.py"},
    "browser": {"test_site.py"},
    "grading": {"test_grading.py", "test_grading_sandbox.py", "test_grading_keys.py",
                "test_grading_gradescope.py"},
    "exercise_flow": {"test_exercise_flow.py"},
    "course": {"test_checks.py", "test_checks_ch03_04.py", "test_checks_ch08.py", "test_checks_ch09.py",
               "test_checks_ch10.py", "test_checks_ch11.py", "test_predictions_ch05_08.py", "test_student.py",
               "test_notebook_lint.py", "test_teaching_versions.py"},
    "kernels": {"test_compiled.py"},
}
ORACLE_WORDS = ("torch", "tensorflow", "_tf")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath)).name
        kinds = [kind for kind, files in MARKED_FILES.items() if path in files]
        if not kinds and any(word in item.name for word in ORACLE_WORDS):
            kinds = ["oracle"]
        for kind in kinds or ["unit"]:
            item.add_marker(getattr(pytest.mark, kind))



def toc_entries(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page of the book in reading order, as docnames ('intro', 'chapters/01_...')."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(items):
        for item in items or []:
            if "file" in item:
                pages.append(item["file"])
            walk(item.get("sections"))
            walk(item.get("chapters"))
            for part in item.get("parts", []) or []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return [str(Path(p).with_suffix("")) if Path(p).suffix in (".md", ".ipynb") else p for p in pages]


def source_of(docname: str) -> Path:
    """The source file of a page: an .ipynb or .md under the repository root."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{docname}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for toc entry {docname!r}")


@dataclass
class BookBuild:
    returncode: int
    log: str
    html: Path
    seconds: float

    def warnings(self) -> list[str]:
        return [line for line in self.log.splitlines()
                if "WARNING" in line or "ERROR" in line or "CRITICAL" in line]


def _jupyter_book() -> str:
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return str(exe)
    found = shutil.which("jupyter-book")
    if not found:
        pytest.fail("jupyter-book is not installed in this environment (run `make venv`)")
    return found


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> BookBuild:
    """Build the book from the checkout into a temporary folder, as `make book` does
    (clean output folder, warnings as errors, nitpicky, keep going to report all)."""
    out = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    proc = subprocess.run(
        [_jupyter_book(), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    return BookBuild(proc.returncode, proc.stdout + proc.stderr, out / "_build" / "html",
                     time.perf_counter() - start)


@pytest.fixture(scope="session")
def minibook(tmp_path_factory) -> BookBuild:
    """tests/minibook (two tiny chapters) built with the book's own _config.yml, _ext/ and
    _static/: numbering, chapter references and synced tabs, whatever the chapters hold."""
    src = tmp_path_factory.mktemp("minibook")
    shutil.copytree(ROOT / "tests" / "minibook", src, dirs_exist_ok=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path)
                                            for name, path in config["sphinx"]["local_extensions"].items()}
    config["only_build_toc_files"] = True
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (src / "_static").symlink_to(ROOT / "_static", target_is_directory=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    start = time.perf_counter()
    proc = subprocess.run([_jupyter_book(), "build", str(src), "-W", "-n", "--keep-going"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=600)
    return BookBuild(proc.returncode, proc.stdout + proc.stderr, src / "_build" / "html",
                     time.perf_counter() - start)
