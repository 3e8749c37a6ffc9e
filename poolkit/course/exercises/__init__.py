"""The exercises :mod:`poolkit.course.checks` can grade, one module per chapter.

Each module declares its chapter's exercises with ``register(Exercise(...))``;
importing this package registers them all. :func:`poolkit.course.checks.registry`
imports it on the first lookup of an exercise, never before.
To add a chapter's exercises, write its module and import it below.
"""

from . import (  # noqa: F401
    ch01_pooling_by_hand,
    ch02_padding_stride_channels,
    ch03_vectorizing,
    ch04_backward,
    ch05_pytorch,
    ch06_tensorflow,
    ch07_across_frameworks,
    ch08_performance,
    ch09_pooling_in_trained_networks,
    ch10_beyond_the_square_window,
    ch11_writing_the_kernel,
)
