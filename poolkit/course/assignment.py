"""An assignment: which chapter's exercises count, for how many points, shown when.

A TOML file, for ``poolkit grade --assignment`` and ``poolkit gradescope``::

    chapter = 1                      # or a list: chapters = [1, 2]
    title = "Pooling by hand"        # optional

    [exercises.pool2d_min]           # every exercise of the chapter counts 1 point unless listed
    points = 2
    visibility = "visible"           # Gradescope's: visible, after_due_date, after_published, hidden

    [exercises.output_size]
    points = 0                       # not graded (a practice exercise)

    [late]                           # optional: Gradescope's submission time against its due date
    penalty_per_day = 0.1            # a fraction of the score, per day or part of a day
    max_penalty = 0.5
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Assignment", "load_assignment"]

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


@dataclass
class Assignment:
    chapters: list[int]
    points: dict[str, float] = field(default_factory=dict)       # exercise id -> points (0: not graded)
    visibility: dict[str, str] = field(default_factory=dict)     # exercise id -> Gradescope visibility
    title: str = ""
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0

    @property
    def exercise_ids(self) -> list[str]:
        """The graded exercises, in the chapters' order."""
        from .checks import list_exercises

        return [i for c in self.chapters for i in list_exercises(c) if self.points.get(i, 1.0) > 0]

    def points_of(self, exercise_id: str) -> float:
        return float(self.points.get(exercise_id, 1.0))

    @property
    def max_points(self) -> float:
        return sum(self.points_of(i) for i in self.exercise_ids)

    def late_factor(self, days_late: float) -> float:
        """What a submission ``days_late`` days late keeps of its score (1 when on time)."""
        if days_late <= 0 or not self.penalty_per_day:
            return 1.0
        return 1.0 - min(self.max_penalty, self.penalty_per_day * math.ceil(days_late))

    def to_dict(self) -> dict:
        from .checks import list_exercises

        every = [i for c in self.chapters for i in list_exercises(c)]
        return {"chapters": self.chapters, "title": self.title,
                "points": {i: self.points_of(i) for i in every},
                "visibility": {i: self.visibility.get(i, "visible") for i in self.exercise_ids},
                "late": {"penalty_per_day": self.penalty_per_day, "max_penalty": self.max_penalty}}


def load_assignment(path) -> Assignment:
    """The assignment in the TOML file ``path``; ValueError naming what is wrong."""
    from .checks import list_exercises, registry

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{path}: {err}") from None
    chapters = data.get("chapters", [data["chapter"]] if "chapter" in data else [])
    if not chapters or not all(isinstance(c, int) and list_exercises(c) for c in chapters):
        raise ValueError(f"{path}: 'chapter' must name a chapter with exercises (got {chapters!r})")
    known = {i for c in chapters for i in list_exercises(c)}
    points, visibility = {}, {}
    for exercise_id, spec in (data.get("exercises") or {}).items():
        if exercise_id not in known:
            where = f"chapter {registry()[exercise_id].chapter}'s" if exercise_id in registry() else "no"
            raise ValueError(f"{path}: [exercises.{exercise_id}] is {where} exercise, not one of chapter "
                             f"{', '.join(map(str, chapters))}'s: {', '.join(sorted(known))}")
        value = spec.get("points", 1)
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{path}: [exercises.{exercise_id}] points={value!r} must be a number >= 0")
        points[exercise_id] = float(value)
        shown = spec.get("visibility", "visible")
        if shown not in VISIBILITIES:
            raise ValueError(f"{path}: [exercises.{exercise_id}] visibility={shown!r} must be one of "
                             f"{', '.join(VISIBILITIES)}")
        visibility[exercise_id] = shown
    late = data.get("late") or {}
    penalty, most = late.get("penalty_per_day", 0.0), late.get("max_penalty", 1.0)
    if not (0 <= penalty <= 1 and 0 <= most <= 1):
        raise ValueError(f"{path}: [late] penalty_per_day and max_penalty are fractions from 0 to 1")
    return Assignment(list(chapters), points, visibility, str(data.get("title", "")), float(penalty), float(most))


def from_json(data: dict) -> Assignment:
    return Assignment(data["chapters"], data["points"], data["visibility"], data.get("title", ""),
                      data["late"]["penalty_per_day"], data["late"]["max_penalty"])
