"""Gradient checking: a backward pass against central differences, reported in one sentence.

:func:`gradcheck` picks a random ``grad_output`` ``g``, asks the backward pass
for ``dx = J^T g``, and estimates the same vector one input element at a time:

    dx_i  ~  <g, f(x + h e_i) - f(x - h e_i)> / (2 h),    h = eps * max(1, |x_i|)

in float64 (the step grows with large ``|x_i|``, so that ``x_i + h`` still differs
from ``x_i`` in many bits). The two must agree to ``atol + rtol * |numeric|`` everywhere.

Central differences measure a derivative only where ``f`` is differentiable
within ``h`` of ``x``. Max and min pooling are not, at **ties**: take a 2x2
window of four equal values. Raising any one of them by ``h`` raises the max
by ``h``, lowering it changes nothing, so the central difference gives every
element 0.5 (2 in all), while every valid gradient (subgradient) gives the
window's elements 1 in all. No backward pass can agree with that, and a checker
that compared anyway would report a false failure.

So gradcheck also compares the one-sided quotients ``(f(x + h e_i) - f(x)) / h``
and ``(f(x) - f(x - h e_i)) / h``. They differ by more than the tolerance exactly
when a kink (a tie: two taps within ``h`` of the extreme) lies within ``h`` of
``x`` along ``e_i``, and then the central difference is off by half that
difference. So, with ``ties="perturb"`` (the default), gradcheck adds small
uniform noise to ``x`` to break the ties and checks there, saying so; with
``ties="refuse"`` it checks nothing and explains why. It never reports a tie as a
failure. Likewise, if rounding alone makes a central difference uncertain by more
than the tolerance (outputs huge next to the step), it refuses rather than guess.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from . import backward as _backward

__all__ = ["gradcheck", "GradcheckResult"]

_ATTEMPTS = 5
"""How many times ``ties="perturb"`` draws fresh noise before it gives up."""

_ROUNDING = 8 * np.finfo(np.float64).eps
"""Relative rounding error allowed in f's values when telling a kink from noise."""


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found; ``str(result)`` is a sentence, ``bool(result)`` is ``passed``.

    Attributes
    ----------
    status : "passed", "failed" or "refused" (nothing was compared: ``reason`` says why; a failure
        that is not a numeric disagreement, such as a wrongly shaped gradient, has a ``reason`` too).
    name : what was checked (the backward function, or the layer).
    size : number of input elements compared.
    failures : how many of them are outside ``atol + rtol * |numeric|``.
    worst_index, worst_rel_error : where the relative error ``|a - n| / max(|a|, |n|, atol/rtol)``
        is largest relative to the tolerance, and its value there; ``analytic_at_worst`` and
        ``numeric_at_worst`` are the two gradients at that element.
    perturbed : the bound of the noise added to break ties (0.0 if ``x`` was used as given);
        ``ties_found`` and ``tie_index`` say how many elements sat at a tie, and the first.
    analytic, numeric : the two gradients (float64, shaped like ``x``), or None if refused.
    grad_output : the random ``g`` they are gradients of (``analytic = backward(g, x)``).
    x : the point checked (``x`` in float64, plus the noise if ``perturbed``).
    """

    status: str
    name: str
    size: int = 0
    failures: int = 0
    worst_index: tuple[int, ...] | None = None
    worst_rel_error: float = 0.0
    analytic_at_worst: float = 0.0
    numeric_at_worst: float = 0.0
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    perturbed: float = 0.0
    ties_found: int = 0
    tie_index: tuple[int, ...] | None = None
    reason: str = ""
    analytic: np.ndarray | None = field(default=None, repr=False)
    numeric: np.ndarray | None = field(default=None, repr=False)
    grad_output: np.ndarray | None = field(default=None, repr=False)
    x: np.ndarray | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        tol = f"eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
        if self.status == "refused":
            return f"gradcheck refused to check {self.name}: {self.reason}"
        if self.reason:
            return f"gradcheck FAILED: {self.name}: {self.reason}."
        where = f"x{list(self.worst_index)}" if self.worst_index is not None else "x"
        if self.status == "passed" and not self.size:
            return f"gradcheck passed: x is empty, so {self.name} has nothing to disagree about."
        if self.status == "passed":
            text = (f"gradcheck passed: {self.name} agrees with central differences on all {self.size} elements "
                    f"of x (worst relative error {_bound(self.worst_rel_error)} at {where}; {tol}).")
        else:
            text = (f"gradcheck FAILED: {self.name} disagrees with central differences at {self.failures} of "
                    f"{self.size} elements of x; worst at {where}: analytic {self.analytic_at_worst:.6g}, numeric "
                    f"{self.numeric_at_worst:.6g} (relative error {self.worst_rel_error:.2g}; allowed "
                    f"|analytic - numeric| <= atol + rtol*|numeric|, {tol}).")
        if self.perturbed:
            text += (f" x had ties ({self.ties_found} element{'s' if self.ties_found != 1 else ''} at a kink, the "
                     f"first x{list(self.tie_index)}), so it was checked at x plus uniform noise of at most "
                     f"{self.perturbed:.2g}.")
        return text

    def __repr__(self) -> str:
        return f"<GradcheckResult {self.status}: {self}>"


def gradcheck(f, x, *args, backward=None, eps=1e-6, atol=1e-5, rtol=1e-3, ties="perturb", seed=0, **kwargs):
    """Check a backward pass against central differences, in float64.

    Inputs:
    - f: a poolkit forward function (``poolkit.max_pool2d``: its backward,
      ``max_pool2d_backward``, is found by name), any function with ``backward=`` given,
      or a layer (an object with ``.forward(x)`` and ``.backward(grad_output)``, such as
      :class:`poolkit.MaxPool2d` or a small network).
    - x: the input (array-like); it is copied to float64.
    - *args, **kwargs: passed to ``f(x, *args, **kwargs)`` and to
      ``backward(grad_output, x, *args, **kwargs)`` (none for a layer).
    - backward: the backward pass to check, if ``f`` is not a poolkit function or a layer.
    - eps: the step of the finite differences (``eps * |x_i|`` where ``|x_i| > 1``).
    - atol, rtol: an element passes if ``|analytic - numeric| <= atol + rtol * |numeric|``.
    - ties: ``"perturb"`` (add uniform noise of at most ``1000 * eps * max(1, max|x|)`` to
      break ties, and report it) or ``"refuse"`` (report why nothing was checked).
    - seed: for the random ``grad_output`` and the noise.

    Returns a :class:`GradcheckResult`; print it for a sentence, test it with ``bool``.
    If ``f`` returns a tuple (``return_indices=True``), its first element is checked.

    >>> import numpy as np, poolkit
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> print(gradcheck(poolkit.max_pool2d, x, kernel_size=2))  # doctest: +ELLIPSIS
    gradcheck passed: max_pool2d_backward agrees with central differences on all 16 elements of x ...
    """
    if ties not in ("perturb", "refuse"):
        raise ValueError(f"ties={ties!r} must be 'perturb' or 'refuse'")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not (isinstance(value, numbers.Real) and value >= 0) or (name == "eps" and value == 0):
            raise ValueError(f"{name}={value!r} must be a {'positive' if name == 'eps' else 'non-negative'} number")
    name, forward, vjp = _resolve(f, backward, args, kwargs)
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    settings = dict(name=name, eps=eps, atol=atol, rtol=rtol)
    result = _compare(forward, vjp, x, rng, settings)
    if isinstance(result, GradcheckResult):
        return result
    count, index, slopes, output = result
    if ties == "refuse":
        return GradcheckResult("refused", reason=_kink_reason(count, index, slopes, output, eps), **settings)
    bound = 1000 * eps * max(1.0, float(np.abs(x).max(initial=0.0)))
    for _ in range(_ATTEMPTS):
        moved = x + rng.uniform(-bound, bound, x.shape)
        retry = _compare(forward, vjp, moved, rng, settings)
        if isinstance(retry, GradcheckResult):
            retry.perturbed, retry.ties_found, retry.tie_index = bound, count, index
            return retry
    reason = (_kink_reason(count, index, slopes, output, eps)
              + f" Adding uniform noise of at most {bound:.2g} to x, {_ATTEMPTS} times, did not remove it: "
              "if f is smooth here and only strongly curved, a smaller eps will do.")
    return GradcheckResult("refused", reason=reason, **settings)


def _resolve(f, backward, args, kwargs):
    """``(name, forward(x) -> y, vjp(x, g) -> dx)`` for a layer or a function."""
    if backward is None and hasattr(f, "forward") and hasattr(f, "backward"):
        if args or kwargs:
            raise TypeError(f"gradcheck(layer, x) takes no further arguments: {type(f).__name__} holds its own "
                            f"configuration (got {len(args)} positional and {sorted(kwargs)} keyword arguments)")

        def vjp(x, g):
            f.forward(x)  # the layer caches this forward pass for its backward
            return f.backward(g)
        return f"{type(f).__name__}.backward", lambda x: _first(f.forward(x)), vjp
    if not callable(f):
        raise TypeError(f"f={f!r} must be a function or a layer with .forward and .backward")
    if backward is None:
        backward = getattr(_backward, f"{getattr(f, '__name__', '')}_backward", None)
        if backward is None:
            raise TypeError(f"gradcheck does not know the backward pass of {getattr(f, '__name__', f)!r}; "
                            "pass it as backward=..., called as backward(grad_output, x, *args, **kwargs)")
    return (getattr(backward, "__name__", repr(backward)), lambda x: _first(f(x, *args, **kwargs)),
            lambda x, g: backward(g, x, *args, **kwargs))


def _first(y):
    return np.asarray(y[0] if isinstance(y, tuple) else y, dtype=np.float64)


def _compare(forward, vjp, x, rng, settings):
    """One check at ``x``: a :class:`GradcheckResult`, or ``(count, index, slopes, output)`` of the
    kinks found (elements within ``eps`` of a point where ``f`` is not differentiable)."""
    eps, atol, rtol = settings["eps"], settings["atol"], settings["rtol"]
    y0 = forward(x)
    if not np.all(np.isfinite(y0)):
        return GradcheckResult("refused", reason="f(x) contains NaN or inf, so finite differences are "
                               "meaningless; check an input where f is finite.", **settings)
    g = rng.standard_normal(y0.shape)
    analytic = np.asarray(vjp(x.copy(), g.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        return GradcheckResult("failed", size=x.size, failures=x.size, reason=(
            f"it returned a gradient of shape {analytic.shape}, but x has shape {x.shape}: a gradient has the "
            "shape of its input"), **settings)
    numeric, noise = np.empty(x.size), np.empty(x.size)
    kinks = []
    flat = x.reshape(-1)
    for i in range(x.size):
        old = flat[i]
        h = eps * max(1.0, abs(old))
        flat[i] = old + h
        up = forward(x)
        flat[i] = old - h
        down = forward(x)
        flat[i] = old
        numeric[i] = np.sum(g * (up - down)) / (2 * h)
        right, left = (up - y0) / h, (y0 - down) / h
        jump = np.abs(right - left)
        projected = abs(np.sum(g * (right - left)))
        # float64 rounding in the quotients (outputs the step left unchanged are exact)
        rounding = _ROUNDING * (np.abs(up) + np.abs(y0) + np.abs(down)) / h * ((up != y0) | (down != y0))
        noise[i] = np.sum(np.abs(g) * rounding)
        local = atol + rtol * np.maximum(np.abs(right), np.abs(left)) + rounding
        if projected > atol + rtol * abs(numeric[i]) + noise[i] or np.any(jump > local):
            k = int(np.argmax(jump - local))
            kinks.append((i, (float(right.flat[k]), float(left.flat[k])), k))
    if kinks:
        i, slopes, k = kinks[0]
        output = tuple(int(v) for v in np.unravel_index(k, y0.shape)) if y0.ndim else ()
        return len(kinks), tuple(int(v) for v in np.unravel_index(i, x.shape)), slopes, output
    numeric, noise = numeric.reshape(x.shape), noise.reshape(x.shape)
    unsure = noise > (atol + rtol * np.abs(numeric)) / 2
    if unsure.any():
        at = tuple(int(v) for v in np.argwhere(unsure)[0])
        return GradcheckResult("refused", reason=(
            f"f's values (up to {float(np.abs(y0).max()):.3g}) are so large next to the step "
            f"{eps * max(1.0, abs(float(x[at]))):.3g} at x{list(at)} that rounding alone makes the central difference "
            f"uncertain by {float(noise[at]):.2g}, more than the tolerance allows; use a larger eps, or rescale x"),
            **settings)
    err = np.abs(analytic - numeric)
    bad = ~(err <= atol + rtol * np.abs(numeric))  # NaN counts as a failure
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), atol / rtol if rtol else atol)
    rel = np.where(np.isnan(err), np.inf, err / np.where(scale > 0, scale, 1))
    ratio = np.where(np.isnan(err), np.inf, err / (atol + rtol * np.abs(numeric) + 1e-300))
    worst = np.unravel_index(int(np.argmax(ratio)), x.shape) if x.size else None
    return GradcheckResult(
        "failed" if bad.any() else "passed", size=x.size, failures=int(bad.sum()),
        worst_index=tuple(int(v) for v in worst) if worst is not None else None,
        worst_rel_error=float(rel[worst]) if worst is not None else 0.0,
        analytic_at_worst=float(analytic[worst]) if worst is not None else 0.0,
        numeric_at_worst=float(numeric[worst]) if worst is not None else 0.0,
        analytic=analytic, numeric=numeric, grad_output=g, x=x, **settings)


def _kink_reason(count, index, slopes, output, eps):
    right, left = slopes
    at = f"x{[int(v) for v in index]}"
    out = f"y{[int(v) for v in output]}" if len(output) else "f(x)"
    more = f" (and {count - 1} more element{'s' if count > 2 else ''})" if count > 1 else ""
    return (f"f has a kink within eps={eps:g} of x at {at}{more}: the slope of {out} along it is {right:.3g} "
            f"to the right (x + eps) and {left:.3g} to the left (x - eps), so the central difference gives their "
            f"average, {(right + left) / 2:.3g}, which is not a derivative. In max or min pooling this is a tie: "
            "two taps of a window within eps of the extreme. At a 4-way tie every element gets 0.5 (2 in all), "
            "while every valid gradient gives the window's elements 1 in all, so no backward pass could agree. "
            "Break the ties (add small noise to x) or call gradcheck with ties='perturb'.")


def _bound(error: float) -> str:
    """``error`` as the power of ten above it ("below 1e-07"), or "0".

    The digits of a relative error near rounding level depend on the machine's BLAS and
    vector units; the power of ten above it is what the reader needs, and stays put.
    """
    if error == 0:
        return "0"
    return f"below 1e{math.ceil(math.log10(error)):03d}"
