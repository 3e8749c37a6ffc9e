"""The exercises :mod:`poolkit.checks` can grade, one module per chapter.

Each module declares its chapter's exercises with ``register(Exercise(...))``;
importing this package (which :mod:`poolkit.checks` does) registers them all.
To add a chapter's exercises, write its module and import it below.
"""

from . import ch01_pooling_by_hand, ch02_padding_stride_channels  # noqa: F401
from . import ch03_vectorizing, ch04_backward  # noqa: F401
from . import ch05_pytorch, ch06_tensorflow, ch07_across_frameworks  # noqa: F401
from . import ch08_performance  # noqa: F401
from . import ch11_writing_the_kernel  # noqa: F401
