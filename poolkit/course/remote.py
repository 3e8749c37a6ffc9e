"""Calling a learner's function inside the kernel that ran their notebook.

:mod:`poolkit.course.grading` runs the checks in its own process, which never executes a
learner's code, and hands :func:`poolkit.course.checks.evaluate` a stand-in for the learner's
function. Each call of the stand-in sends the case's arguments to the notebook's kernel,
where :func:`call` (this module, imported there) runs the learner's function on them
and sends back what came out: the result, or the exception and where it was raised,
what the function printed, and the arguments it changed in place. Values travel as
JSON, arrays as ``.npy`` bytes read back with ``allow_pickle=False``; anything else
comes back as a stand-in that only knows its type's name. So a notebook can break its
own kernel as it likes: the answers are judged elsewhere.

The kernel's half runs like :func:`poolkit.course.checks.evaluate`'s own calls: on the
learner's function only, with warnings and numpy's floating-point complaints silenced,
stdout captured, stderr dropped.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import io
import json
import sys
import time
import traceback
import warnings

import numpy as np

MAX_TEXT = 2000            # characters kept of a string or a message
MAX_ITEMS = 1000           # elements kept of a list or tuple, or of an object array
MAX_DEPTH = 8              # nesting of lists and tuples
MAX_ARRAY_BYTES = 32 << 20  # a larger array travels as its shape and dtype only
MAX_FRAMES = 40            # innermost traceback frames kept
PRINTED_LINES = 6          # printed lines kept (a report shows five, then counts the rest)
CAPTURE_CHARS = 1 << 16    # printed characters looked at


# ---------------------------------------------------------------- values, both ways
def encode(value, depth: int = 0):
    """A JSON-able description of ``value``; never raises."""
    try:
        if isinstance(value, np.generic):  # before Python's types: np.float64 is a float
            return {"scalar": _npy(np.asarray(value))} if value.dtype.kind != "O" else {"other": "object_"}
        if value is None or isinstance(value, (bool, str)):
            return {"py": value[:MAX_TEXT] if isinstance(value, str) else value}
        if isinstance(value, int):
            return {"int": str(value)}
        if isinstance(value, float):
            return {"float": repr(value)}
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufcmMSU":
            if value.nbytes > MAX_ARRAY_BYTES:
                return {"big": list(value.shape), "dtype": value.dtype.str}
            return {"array": _npy(np.asarray(value))}
        if isinstance(value, np.ndarray) and value.size <= MAX_ITEMS and depth < MAX_DEPTH:
            return {"objects": list(value.shape), "items": [encode(v, depth + 1) for v in value.ravel()]}
        if type(value) in (list, tuple) and len(value) <= MAX_ITEMS and depth < MAX_DEPTH:
            return {type(value).__name__: [encode(v, depth + 1) for v in value]}
    except Exception:  # a value that cannot describe itself travels as its type
        pass
    return {"other": type(value).__name__}


def decode(data):
    """The value :func:`encode` described (an ``other`` as a stand-in of that type's name)."""
    if "py" in data:
        return data["py"]
    if "int" in data:
        return int(data["int"])
    if "float" in data:
        return float(data["float"])
    if "scalar" in data:
        return _from_npy(data["scalar"])[()]
    if "array" in data:
        return _from_npy(data["array"])
    if "big" in data:  # the shape and dtype of a huge array, no memory behind it
        return np.broadcast_to(np.zeros((), np.dtype(data["dtype"])), tuple(data["big"]))
    if "objects" in data:
        out = np.empty(len(data["items"]), dtype=object)
        out[:] = [decode(v) for v in data["items"]]
        return out.reshape(data["objects"])
    if "list" in data:
        return [decode(v) for v in data["list"]]
    if "tuple" in data:
        return tuple(decode(v) for v in data["tuple"])
    return stand_in(str(data.get("other", "object")))


def stand_in(type_name: str):
    """An object whose type is called ``type_name`` and that is nothing else."""
    kind = type(type_name, (), {"__repr__": lambda self: f"<{type_name}>"})
    return kind()


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


# ---------------------------------------------------------------- the kernel's half
class _Printed(io.TextIOBase):
    """Captures what is printed: its first :data:`CAPTURE_CHARS` characters and its lines."""

    def __init__(self):
        self.text, self.n_newlines, self.last = "", 0, "\n"
        self.seconds = 0.0  # spent in print() (CPU time of this thread): not counted against the time limit
        self.wall = 0.0     # the same in wall time

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        if len(self.text) < CAPTURE_CHARS:
            self.text += s[:CAPTURE_CHARS - len(self.text)]
        self.n_newlines += s.count("\n")
        self.last = s[-1:] or self.last
        return len(s)

    def summary(self) -> dict:
        """The first lines, and how many lines there are (as ``text.strip().splitlines()`` counts
        them; past :data:`CAPTURE_CHARS`, by counting newlines)."""
        lines = self.text.strip().splitlines()
        count = len(lines) if len(self.text) < CAPTURE_CHARS else self.n_newlines + (self.last != "\n")
        return {"lines": [line[:200] for line in lines[:PRINTED_LINES]], "count": count}


class _Void(io.TextIOBase):
    def writable(self):
        return True

    def write(self, s):
        return len(s)


def _namespace() -> dict:
    from IPython import get_ipython

    return get_ipython().user_ns


def lookup(name: str) -> str:
    """(In the kernel.) What ``name`` is in the notebook: ``missing``, ``function``, or a value."""
    ns = _namespace()
    if name not in ns:
        return json.dumps({"missing": True})
    value = ns[name]
    return json.dumps({"function": True} if callable(value) else {"value": encode(value)})


def call(name: str, payload: str) -> str:
    """(In the kernel.) Run the notebook's ``name`` on the encoded arguments ``payload``."""
    fn = _namespace()[name]
    args = tuple(decode(a) for a in json.loads(payload))
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    printed = _Printed()
    reply = {}
    real_print = builtins.print

    def timed_print(*values, sep=" ", end="\n", file=None, flush=False):
        start, wall = time.thread_time(), time.perf_counter()
        try:
            if file is None or file is printed:
                printed.write((" " if sep is None else sep).join(map(str, values)) + ("\n" if end is None else end))
            elif file is not sys.stderr:
                real_print(*values, sep=sep, end=end, file=file, flush=flush)
        finally:
            printed.seconds += time.thread_time() - start
            printed.wall += time.perf_counter() - wall

    cpu = time.thread_time()
    try:
        builtins.print = timed_print
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stdout(printed), contextlib.redirect_stderr(_Void()):
            warnings.simplefilter("ignore")
            result = fn(*args)
        reply["result"] = encode(result)
    except BaseException as err:  # the grader's interrupt (KeyboardInterrupt) included
        reply["error"] = _describe_error(err)
    finally:
        builtins.print = real_print
        cpu = time.thread_time() - cpu
    reply["printed"] = printed.summary()
    reply["cpu_seconds"] = max(cpu - printed.seconds, 0.0)  # the grader's clock: see grading.RemoteFunction
    reply["print_seconds"] = printed.wall
    reply["changed"] = {str(i): encode(a) for i, (a, b) in enumerate(zip(args, before))
                        if b is not None and not _same(a, b)}
    return json.dumps(reply)


def _same(a, b) -> bool:
    try:
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))
    except Exception:
        return bool(np.array_equal(a, b))


def _describe_error(err: BaseException) -> dict:
    """The exception's type, its nearest built-in base, its message and the frames it
    went through below :func:`call` (file, line number, function, line of code)."""
    builtin = next(c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins")
    frames = traceback.extract_tb(err.__traceback__)[1:][-MAX_FRAMES:]
    try:
        message = str(err)[:MAX_TEXT]
    except Exception:
        message = ""
    return {"type": type(err).__name__, "builtin": builtin, "message": message,
            "frames": [[f.filename, f.lineno or 1, f.name, (f.line or "")[:MAX_TEXT]] for f in frames]}
