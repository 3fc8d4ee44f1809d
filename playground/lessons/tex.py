"""Numbers, vectors and matrices written as LaTeX, so a lesson can show a formula next to its actual values."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def number(x: float, digits: int = 4) -> str:
    """`digits` significant digits; tiny and huge values as a × 10^k (never Python's 1e-05)."""
    x = float(np.asarray(x).item())
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def vector(values: Sequence[float] | np.ndarray, digits: int = 4) -> str:
    """A column vector."""
    return matrix(np.asarray(values, dtype=float).reshape(-1, 1), digits)


def row(values: Sequence[float] | np.ndarray, digits: int = 4) -> str:
    """A row vector (a 1 × n matrix)."""
    return matrix(np.asarray(values, dtype=float).reshape(1, -1), digits)


def matrix(values: np.ndarray, digits: int = 4) -> str:
    """A matrix in square brackets."""
    rows = [" & ".join(number(v, digits) for v in r) for r in np.atleast_2d(np.asarray(values, dtype=float))]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def factor(x: float, digits: int = 4) -> str:
    """A number written after an operator: negative values in parentheses (never '+ -0.5')."""
    text = number(x, digits)
    return rf"\left({text}\right)" if text.startswith("-") else text


def array(values: np.ndarray, digits: int = 4) -> str:
    """A parameter as it is shaped: one value as a number, a 1-D array as a column vector, a 2-D one as a matrix."""
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return number(values.item(), digits)
    return vector(values, digits) if values.ndim == 1 else matrix(values, digits)
