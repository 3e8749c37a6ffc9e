"""A small chapter notebook in the exercise layout of issue 12 (README, "Exercises"), with
every MyST construct the chapters use: a chapter label, cross-references, a tab set,
an admonition, a dropdown, math, a function exercise and a prediction exercise.

Its stored outputs are what a clean run prints (the stub's check "not written yet",
the solutions' checks a pass), so the lint's exercise-order rule accepts it; the
exercise-flow test runs it for real.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

NOT_WRITTEN_MIN = ("\U0001f4dd pool2d_min: not written yet. Replace `raise NotImplementedError` in "
                   "pool2d_min with your code, then run this check again.\n")
PASS_MIN = "\u2705 pool2d_min: passed all 40 cases (4 from the exercise, 36 hidden random ones).\n"
NOT_WRITTEN_SHAPE = ("\U0001f4dd demo_shape: not written yet. Replace ... in `predicted_shape = ...` with "
                     "your prediction, then run this check again.\n")
PASS_SHAPE = "\u2705 demo_shape: your prediction is right.\n"

TITLE = """\
(ch-pooling-by-hand)=
# Pooling by hand

Pooling in one chapter; {numref}`Chapter %s <ch-pooling-by-hand>` is this one, and
{ref}`ex-ch1-min-pool` comes at the end. See {doc}`the next chapter <02_padding>`.
"""

TABS = """\
(sec-frameworks)=
## The frameworks

::::{tab-set}
:sync-group: framework

:::{tab-item} PyTorch
:sync: pytorch
```python
F.max_pool2d(x, 2)
```
:::

:::{tab-item} TensorFlow
:sync: tensorflow
```python
tf.nn.max_pool2d(x, 2, 2, "VALID")
```
:::

:::{tab-item} poolkit
:sync: poolkit
```python
poolkit.max_pool2d(x, 2)
```
:::
::::

```{note}
Max pooling has no weights; {ref}`sec-frameworks` lists the spellings.
```

:::{dropdown} Why $-\\infty$?
:class: tip
Padding with $-\\infty$ never wins a maximum.
:::

```{math}
:label: eq-out
o = \\lfloor (n - k)/s \\rfloor + 1
```

$$
y = \\max_{a} x_{a}
$$ (eq-max)

A code sample that shows MyST itself stays as it is:

````markdown
```{note}
raw
```
````
"""

SETUP = ("import numpy as np\nfrom poolkit.course.checks import check, Prediction, register\n"
         "from poolkit.naive import pool2d")
REGISTER = ('register(Prediction(id="demo_shape", title="A shape", chapter=99, name="predicted_shape", '
            'answer=(2, 2), hint="Count the windows."))')


def _code(source, count, text=None, tags=()):
    outputs = [new_output("stream", name="stdout", text=text)] if text else []
    cell = new_code_cell(source, execution_count=count, outputs=outputs)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def synthetic_chapter():
    """The notebook (nbformat 4), stored outputs included."""
    cells = [
        new_markdown_cell(TITLE),
        _code(SETUP, 1),
        _code(REGISTER, 2),
        new_markdown_cell(TABS),
        _code("X = np.arange(16.0).reshape(4, 4)\nprint(pool2d(X, (2, 2)).shape)", 3, "(3, 3)\n"),
        new_markdown_cell("## Exercises"),
        new_markdown_cell("````{exercise-start} Min pooling from max pooling\n:label: ex-ch1-min-pool\n````\n\n"
                          "Write `pool2d_min(X, pool_size)` with `pool2d` only."),
        _code("def pool2d_min(X, pool_size):\n    # your code here\n    raise NotImplementedError", 4),
        _code('check("pool2d_min", pool2d_min)', 5, NOT_WRITTEN_MIN),
        new_markdown_cell("````{exercise-end}\n````"),
        new_markdown_cell("````{solution-start} ex-ch1-min-pool\n:class: dropdown\n````"),
        _code("def pool2d_min(X, pool_size):\n    return -pool2d(-X, pool_size)", 6),
        _code('check("pool2d_min", pool2d_min)', 7, PASS_MIN),
        new_markdown_cell("Negating reverses the order, so the largest of $-x$ is minus the smallest of $x$."),
        new_markdown_cell("````{solution-end}\n````"),
        new_markdown_cell("````{exercise-start} Predict a shape\n:label: ex-ch1-shape\n````\n\n"
                          "What shape does a 2×2 window with stride 2 give on a 4×4 input? "
                          "As in {numref}`Exercise %s <ex-ch1-min-pool>`, run the check."),
        _code("predicted_shape = ...  # your prediction, e.g. (2, 3)", 8),
        _code('check("demo_shape", predicted_shape)', 9, NOT_WRITTEN_SHAPE),
        new_markdown_cell("````{exercise-end}\n````"),
        new_markdown_cell("````{solution-start} ex-ch1-shape\n:class: dropdown\n````"),
        _code("predicted_shape = (2, 2)", 10),
        _code('check("demo_shape", predicted_shape)', 11, PASS_SHAPE),
        new_markdown_cell("````{solution-end}\n````"),
        new_markdown_cell("## Summary\n\nMin pooling is {numref}`exercise %s <ex-ch1-min-pool>`."),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})
