"""The instructor's key: hidden cases that no student can compute.

A student's poolkit checks each exercise on its visible cases and on hidden random ones
drawn from a seed made from the exercise's id: anyone with the package can draw them
(and their answers) too. ``poolkit keygen KEY`` writes a key file holding a random
secret; ``poolkit grade --key KEY`` draws each exercise's hidden cases from a seed made
from the secret and the id (HMAC-SHA256) instead, in the grader's own process, so the
graded cases are not in anything a student can import. Keep the file out of the
course's repository; the same key grades the same way every time (results record its
fingerprint, and ``--resume`` reuses results only for the same key).

A student's notebook could still call poolkit's reference solution
(``get_exercise(id).reference``) or read its cases: :func:`answer_key_uses` finds the
exercises whose function (or anything it uses) reaches those, and the grader scores
them zero with a note saying why.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .reach import reaches

__all__ = ["Key", "keygen", "load", "install", "installed", "answer_key_uses"]

FORMAT = "poolkit-key-1"


@dataclass(frozen=True)
class Key:
    secret: bytes

    @property
    def fingerprint(self) -> str:
        """A name for the key that reveals nothing of it."""
        return hashlib.sha256(b"poolkit key fingerprint\0" + self.secret).hexdigest()[:16]

    def seed(self, exercise_id: str) -> int:
        return int.from_bytes(hmac.new(self.secret, exercise_id.encode(), hashlib.sha256).digest()[:8], "little")


def keygen(path, force: bool = False) -> Key:
    """Write a new key file at ``path`` (readable by its owner only); never overwrite one
    unless ``force``: results graded with the old key could not be reproduced."""
    path = Path(path)
    if path.exists() and not force:
        raise ValueError(f"{path} exists: a new key changes every hidden case (pass --force to replace it)")
    key = Key(secrets.token_bytes(32))
    data = {"format": FORMAT, "secret": key.secret.hex(), "fingerprint": key.fingerprint}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=1) + "\n")
    os.chmod(path, 0o600)
    return key


def load(path) -> Key:
    """The key in the file ``keygen`` wrote; ValueError if it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError
        key = Key(bytes.fromhex(data["secret"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(f"{path}: not a poolkit key file (poolkit keygen writes one)") from None
    if len(key.secret) < 16:
        raise ValueError(f"{path}: the key's secret is too short")
    return key


@contextlib.contextmanager
def installed(key: Key | None):
    """Within the block, in this process, every exercise's hidden cases are drawn with
    ``key``'s seed (the visible cases, the number of cases and the reference stay)."""
    from .checks import registry

    known = registry()
    before = dict(known)
    try:
        install(key)
        yield
    finally:
        known.clear()
        known.update(before)


def install(key: Key | None) -> None:
    """:func:`installed`, for good."""
    from .checks import registry

    if key is None:
        return
    known = registry()
    for exercise_id, exercise in list(known.items()):
        if not hasattr(exercise, "all_cases") or getattr(exercise, "_poolkit_key", None) == key.fingerprint:
            continue  # a prediction has no hidden cases
        keyed = copy.copy(exercise)
        keyed.__class__ = _keyed(type(exercise))
        keyed.__dict__.pop("_cases", None)  # drawn again, with the key's seed
        keyed.__dict__["_poolkit_seed"] = key.seed(exercise_id)
        keyed.__dict__["_poolkit_key"] = key.fingerprint
        known[exercise_id] = keyed


_KEYED: dict[type, type] = {}


def _keyed(cls: type) -> type:
    if cls not in _KEYED:
        _KEYED[cls] = type(cls.__name__, (cls,), {"seed": property(lambda self: self.__dict__["_poolkit_seed"]),
                                                  "__module__": cls.__module__})
    return _KEYED[cls]


# ---------------------------------------------------------------- reaching for the answers
FORBIDDEN_NAMES = {"get_exercise", "list_exercises", "registry", "all_cases", "_cases", "reference", "EXERCISES",
                   "evaluate", "evaluate_runs", "judge", "of_call", "random_case"}
FORBIDDEN_MODULES = ("poolkit.course",)  # its checks, exercises, grader, keys ...
ALLOWED_IMPORTS = {"check", "Prediction"}


def answer_key_uses(sources: Iterable[str], names: Iterable[str]) -> dict[str, list[str]]:
    """For each of ``names`` (the exercises' functions or prediction variables): what of
    poolkit's answer key its definition reaches, through the notebook's top-level names it
    uses (``[]``: nothing). ``sources``: the notebook's code cells, check cells aside."""
    return reaches(sources, names, _forbidden)


def _forbidden(stmt: ast.stmt) -> list[str]:
    found = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append("." + node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if module.startswith(FORBIDDEN_MODULES) and not all(a.name in ALLOWED_IMPORTS for a in node.names):
                found.append(f"from {module} import " + ", ".join(a.name for a in node.names))
            if module == "poolkit" and any(a.name == "course" for a in node.names):
                found.append(f"from poolkit import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith(FORBIDDEN_MODULES)]
    return found
