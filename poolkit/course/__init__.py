"""The course's tooling, apart from the library: what the chapters' exercises and their
graders use. ``import poolkit`` loads none of it.

A chapter's check cells need only::

    from poolkit.course import check

- :mod:`poolkit.course.checks`: ``check`` and ``evaluate``, the registry of exercises
  (:class:`~poolkit.course.checks.Exercise`, :class:`~poolkit.course.checks.Prediction`);
- :mod:`poolkit.course.exercises`: each chapter's exercises, imported on the first lookup;
- :mod:`poolkit.course.student`: the student editions of the chapters;
- :mod:`poolkit.course.grading`, :mod:`~poolkit.course.gradebook`, :mod:`~poolkit.course.remote`,
  :mod:`~poolkit.course.sandbox`, :mod:`~poolkit.course.keys`, :mod:`~poolkit.course.assignment`,
  :mod:`~poolkit.course.gradescope`: grading submitted notebooks;
- ``python -m poolkit.course`` (the ``poolkit`` command): the instructors' command line.
"""

from .checks import Prediction, check, evaluate

__all__ = ["check", "evaluate", "Prediction"]
