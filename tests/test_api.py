"""The public API is written out: every public function and class of poolkit's library modules
is a ``def``/``class`` in its module's source (an editor can jump to it), with a numpydoc
docstring that has an Examples section (run by ``--doctest-modules``)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import subprocess
import sys

import pytest

import poolkit

LIBRARY = ["functional", "backward", "layers"]


@pytest.mark.parametrize("module", LIBRARY)
def test_every_public_name_is_defined_in_its_module_source(module):
    mod = importlib.import_module(f"poolkit.{module}")
    tree = ast.parse(inspect.getsource(mod))
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}
    names = [n for n in mod.__all__ if n not in assigned and callable(getattr(mod, n))]
    missing = [n for n in names if n not in defined]
    assert not missing, f"{module}: not written out with def/class: {missing}"


@pytest.mark.parametrize("name", [n for n in poolkit.functional.__all__ + poolkit.backward.__all__
                                  + poolkit.layers.__all__ if n[-2:] in ("1d", "2d", "3d") or "d_" in n])
def test_dimensioned_names_have_numpydoc_with_examples(name):
    obj = getattr(poolkit, name)
    doc = inspect.getdoc(obj)
    assert "Parameters\n----------" in doc and "Examples\n--------" in doc and ">>> " in doc, name
    assert obj.__module__.startswith("poolkit.")
    assert not hasattr(obj, "__wrapped__") and "__signature__" not in vars(obj), name


def test_no_private_name_crosses_a_module_boundary():
    """An underscore means "only this file": no poolkit library module imports another's private
    name, or reaches into another module for one (course tooling aside)."""
    root = inspect.getfile(poolkit).rsplit("/", 1)[0]
    bad = []
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        if path.name == "viz.py" or "course" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                bad += [f"{path.name}: from {node.module} import {a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and isinstance(node.value, ast.Name) and node.value.id not in ("self", "cls", "np")):
                bad.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert not bad, bad


def test_no_import_circle_between_plan_and_the_engines():
    code = "import poolkit.plan, sys; print(sorted(m for m in sys.modules if m.startswith('poolkit')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "poolkit.plan" in out


def _modules_after(code: str) -> list[str]:
    """poolkit's modules loaded after running ``code`` in a fresh interpreter."""
    code += "\nimport sys; print(' '.join(sorted(m for m in sys.modules if m.startswith('poolkit'))))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_import_poolkit_loads_no_course_tooling_interop_bench_or_figures():
    loaded = _modules_after("import poolkit")
    assert "poolkit.functional" in loaded and "poolkit.layers" in loaded
    apart = [m for m in loaded if m.startswith(("poolkit.course", "poolkit.interop", "poolkit.bench", "poolkit.viz",
                                                 "poolkit.digits", "poolkit.antialias"))]
    assert not apart, f"import poolkit loads {apart}"


def test_submodules_load_on_first_use():
    loaded = _modules_after("import poolkit\nassert poolkit.interop.__name__ == 'poolkit.interop'")
    assert "poolkit.interop" in loaded and "poolkit.course" not in loaded
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        poolkit.nothing  # noqa: B018


def test_checks_import_no_exercise_module_until_a_lookup():
    """No import circle: the checks do not import the exercises (which import the checks);
    the registry imports them on the first lookup."""
    before = _modules_after("import poolkit.course.checks\nfrom poolkit.course import check, Prediction")
    assert "poolkit.course.checks" in before
    assert not [m for m in before if m.startswith("poolkit.course.exercises")], before
    for lookup in ("checks.get_exercise('output_size')", "checks.list_exercises()", "checks.EXERCISES['output_size']",
                   "checks.registry()"):
        after = _modules_after(f"from poolkit.course import checks\n{lookup}")
        assert "poolkit.course.exercises.ch01_pooling_by_hand" in after, lookup
        assert "poolkit.course.exercises.ch10_beyond_the_square_window" in after, lookup
