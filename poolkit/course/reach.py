"""What a learner's function reaches in their notebook, read from the code (nothing runs).

A function reaches every top-level statement that defines a name it uses, and, through
those, what they use in turn: a helper function, an alias ``F = torch.nn.functional``,
an ``import``. Two rules are checked on what is reached:

- the answer key (:func:`poolkit.course.keys.answer_key_uses`): the exercises' reference
  solutions and cases, which nobody's function may use;
- an exercise's ``without`` (:func:`shortcut_uses`): the packages its statement says not
  to call, e.g. "Do not call poolkit" is ``without=("poolkit",)``.

``sources`` are code cells in the order they ran (IPython's ``In`` for the learner's own
check, the notebook's cells for the grader). A ``def``, ``class`` or ``import`` of a name
replaces its earlier definitions; other bindings (``x = ...`` then ``x += ...``) add up.
Code that hides what it uses (``__import__``, ``getattr`` with a computed name) is not
seen: this finds what a learner wrote plainly, not every way around it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping

__all__ = ["reaches", "shortcut_uses"]

Rule = Callable[[ast.stmt], list]
"""A statement -> what in it breaks the rule (as short strings; ``[]``: nothing)."""


def reaches(sources: Iterable[str], names: Iterable[str], rule: Rule) -> dict[str, list[str]]:
    """For each of ``names``: what ``rule`` finds in the statements its definition reaches
    (sorted, without repeats; ``[]``: nothing)."""
    defines = _definitions(sources)
    return {name: _reach(name, defines, rule) for name in names}


def shortcut_uses(sources: Iterable[str], without: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """For each function name in ``without``: the imports of the packages it must do without
    that it reaches, e.g. ``{"output_size": ["import poolkit"]}``."""
    defines = _definitions(sources)
    return {name: _reach(name, defines, imports_of(tuple(packages))) for name, packages in without.items()}


def _definitions(sources: Iterable[str]) -> dict[str, list[ast.stmt]]:
    """Each top-level name -> the statements that define it, in the order they ran."""
    rebinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    defines: dict[str, list[ast.stmt]] = {}
    for source in sources:
        tree = _parse(source)
        for stmt in tree.body if tree is not None else []:
            for name in _defined(stmt):
                defines[name] = [stmt] if isinstance(stmt, rebinds) else defines.get(name, []) + [stmt]
    return defines


def imports_of(packages: tuple[str, ...]) -> Rule:
    """The rule "no import of these packages (or their submodules)"."""
    def inside(module: str) -> bool:
        return any(module == p or module.startswith(p + ".") for p in packages)

    def rule(stmt: ast.stmt) -> list[str]:
        found = []
        for node in ast.walk(stmt):
            if isinstance(node, ast.Import):
                found += [f"import {a.name}" + (f" as {a.asname}" if a.asname else "")
                          for a in node.names if inside(a.name)]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level and inside(node.module):
                found.append(f"from {node.module} import " + ", ".join(a.name for a in node.names))
        return found
    return rule


def _parse(source: str):
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _defined(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    names = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _reach(start: str, defines: dict[str, list[ast.stmt]], rule: Rule) -> list[str]:
    seen, todo, found = {start}, [start], []
    while todo:
        for stmt in defines.get(todo.pop(), []):
            found += rule(stmt)
            for used in _free(stmt):
                if used in defines and used not in seen:
                    seen.add(used)
                    todo.append(used)
    return sorted(set(found))


def _free(stmt: ast.stmt) -> set[str]:
    """The names ``stmt`` reads from the notebook's top level. In a function, its parameters and
    the names it assigns are its own (``X`` inside ``def f(X)`` is not the notebook's ``X``)."""
    loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return loads
    own = {n.arg for n in ast.walk(stmt) if isinstance(n, ast.arg)}
    own |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    own |= {n.name for n in ast.walk(stmt) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n is not stmt}
    own |= {(a.asname or a.name).split(".")[0] for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in n.names}
    own -= {name for n in ast.walk(stmt) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    return loads - own
