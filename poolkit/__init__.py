"""poolkit: pooling layers from loops to kernels, in numpy.

The reference implementation of the course "Pooling, from loops to kernels".
Numpy in, numpy out; names, arguments and defaults follow
``torch.nn.functional``, and results match PyTorch and TensorFlow (to the bit
for max and min). Modules, in the book's order:

- :mod:`poolkit.geometry`: output sizes, padding rules, SAME, validation;
- :mod:`poolkit.naive`: the nested loops;
- :mod:`poolkit.im2col`: windows copied into a column matrix;
- :mod:`poolkit.windows`: windows as strided views;
- :mod:`poolkit.separable`: one dimension at a time over flat shifted slices (the fast path);
- :mod:`poolkit.compiled`: compiled, multi-threaded loops (``method="numba"``, chapter 11; numba is
  imported when that method is first used);
- :mod:`poolkit.reduction`: the tie and NaN rule all of them follow;
- :mod:`poolkit.functional`: the public functions below;
- :mod:`poolkit.backward`: their gradients, ``max_pool2d_backward(grad_output, x, ...)`` etc.;
- :mod:`poolkit.layers`: ``MaxPool2d``, ``AvgPool2d``, ... with ``forward`` and ``backward``;
- :mod:`poolkit.gradcheck`: checking a backward pass against central differences;
- :mod:`poolkit.interop`: a pooling layer translated between PyTorch and TensorFlow, exactly;
- :mod:`poolkit.regions`, :mod:`poolkit.learned`: RoI pooling, RoIAlign, pyramids, max over time;
  softmax, GeM, stochastic pooling and maxout (chapter 10).

Imported on first use (``poolkit.interop`` works after a plain ``import poolkit``), so that
``import poolkit`` needs numpy only: :mod:`poolkit.interop`, :mod:`poolkit.bench` (the
benchmark), :mod:`poolkit.viz` and :mod:`poolkit.viz_regions` (the book's figures),
:mod:`poolkit.digits` and :mod:`poolkit.antialias` (chapter 9's networks and filters), and
:mod:`poolkit.course`, the course's tooling: the exercises' checks (``from poolkit.course
import check``), the grader and the instructors' command line.
"""

from importlib import import_module as _import_module

from . import (  # noqa: F401
    backward,
    geometry,
    im2col,
    layers,
    learned,
    naive,
    reduction,
    regions,
    separable,
    windows,
)
from .backward import *  # noqa: F401,F403
from .backward import __all__ as _backward_all
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from .geometry import explain, output_size, same_padding
from .gradcheck import GradcheckResult, gradcheck
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers_all
from .learned import *  # noqa: F401,F403
from .regions import *  # noqa: F401,F403

__version__ = "0.1.0"
__all__ = list(_functional_all) + ["explain", "output_size", "same_padding", "geometry", "naive", "im2col",
                                   "windows", "separable", "reduction"]
__all__ += list(_backward_all) + list(_layers_all) + ["backward", "layers", "gradcheck", "GradcheckResult"]
__all__ += list(learned.__all__) + list(regions.__all__) + ["learned", "regions"]

_ON_USE = {"interop", "bench", "viz", "viz_regions", "digits", "antialias", "course"}


def __getattr__(name: str):
    """``poolkit.interop`` etc.: the submodules in ``_ON_USE``, imported when first used."""
    if name in _ON_USE:
        return _import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ON_USE)
