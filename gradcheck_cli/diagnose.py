"""What a wrong gradient looks like: sign, scale, transpose, zero, a constant offset, or a few
entries."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array


def shape_of_error(
    candidate: Array, reference: Array, wrong: Array, related: Mapping[str, Array] | None = None
) -> str | None:
    """One phrase that says how ``candidate`` differs from ``reference`` (see ``classify``)."""
    found = classify(candidate, reference, wrong, related)
    return found[1] if found else None


def classify(
    candidate: Array, reference: Array, wrong: Array, related: Mapping[str, Array] | None = None,
    ratio: Array | None = None, sizes: Mapping[str, int] | None = None,
) -> tuple[str, str] | None:
    """The kind of error (``sign``, ``factor``, ``transpose``, ``missing-term``, ``partial``,
    ``other``) and one phrase that says how ``candidate`` differs from ``reference``.

    Args:
        candidate: the gradient under suspicion.
        reference: what it should be.
        wrong: boolean mask of the entries outside tolerance.
        related: arrays of the candidate's shape the error may be a multiple of, by name — the
            value of the variable itself, whose multiple is what an L2 penalty adds.
        ratio: each entry's error over its tolerance, when known: a row or column pattern is
            then claimed only where it holds beyond the error bars (``_where``).
        sizes: the dimensions of the inputs by how the user names them (``X.shape[0]``): a
            factor equal to one of them, or to its reciprocal, is named by it — a mean's 1/N
            left out, or taken twice.

    Returns:
        e.g. ("sign", "it has the wrong sign"), ("factor", "it is 2 times the correct value"),
        ("transpose", "it is transposed"), ("missing-term", "it is off by the same amount in
        every row: …"), ("partial", "only row 1 differs"), or None when the two do not differ.
    """
    diff = candidate - reference
    size = float(np.linalg.norm(diff))
    if size == 0.0 or not wrong.any():
        return None
    ref_norm = float(np.linalg.norm(reference))
    if float(np.linalg.norm(candidate)) <= policy.DIAGNOSIS_RESIDUAL * ref_norm:
        return "other", "it is zero where it should not be"
    scaled = _scaled(candidate, reference, sizes or {})
    if scaled:
        return ("sign" if scaled == "it has the wrong sign" else "factor"), scaled
    if _transposed(candidate, reference):
        return "transpose", "it is transposed"
    for name, value in (related or {}).items():
        c = _multiple(diff, value)
        if c is not None:
            return "missing-term", (f"it is off by {c:.3g}·{name}: a term proportional to `{name}` (the"
                                    " gradient of an L2 penalty, say) is missing, extra or mis-scaled")
    unit = constant_along(diff)
    if unit is not None:
        return "missing-term", offset_phrase("it", unit)
    where = _where(wrong, ratio)
    return ("other" if where == "every entry differs" else "partial"), where


def misshapen(name: str, given: tuple[int, ...], expected: tuple[int, ...],
              transpose_agrees: bool | None) -> tuple[str, str]:
    """The kind and phrase of a gradient of the wrong shape: ``transpose`` when it has the
    transposed shape of a matrix and its transpose is right (``transpose_agrees``, None when that
    could not be compared), else ``shape``.

    A wrong shape is a wrong gradient, judged like a wrong value: a failed check, not an error.
    """
    said = f"it has shape {list(given)} where `{name}` has shape {list(expected)}"
    if len(expected) == 2 and given == expected[::-1] and expected[0] != expected[1]:
        if transpose_agrees:
            return "transpose", f"it is transposed ({said}; its transpose is right)"
        if transpose_agrees is False:
            return "shape", f"{said}: the transposed shape, and its transpose is wrong too"
    return "shape", said


def constant_along(diff: Array) -> str | None:
    """Where the error ``diff`` repeats itself: ``entry`` (one value throughout), ``row`` (each
    column has one value, the same in every row) or ``column``; None when it does not. Axes of
    length 1 do not count, and the error must not be zero."""
    full = diff.reshape(-1)
    if full.size < 2 or not full.any():
        return None
    if _close(full, np.full(full.size, full.mean()), full):
        return "entry"
    if diff.ndim != 2 or min(diff.shape) < 2:
        return None
    for axis, unit in ((0, "row"), (1, "column")):
        if _close(diff, np.broadcast_to(diff.mean(axis=axis, keepdims=True), diff.shape), diff):
            return unit
    return None


def _multiple(diff: Array, value: Array) -> float | None:
    """c when ``diff`` = c·``value`` (to the diagnosis residual), else None."""
    if value.shape != diff.shape or value.size < 2:
        return None
    denom = float(np.vdot(value, value))
    if denom == 0.0:
        return None
    c = float(np.vdot(value, diff)) / denom
    return c if c != 0.0 and _close(diff, c * value, diff) else None


def offset_phrase(subject: str, unit: str) -> str:
    """"``subject`` is off by the same amount in every ``unit``", and what that usually means."""
    over = "" if unit == "entry" else f" over the {unit}s"
    return (f"{subject} is off by the same amount in every {unit}: a term that is the same for every"
            f" {unit} is missing or extra — often the dependence through a sum or mean{over}")


def _close(candidate: Array, model: Array, reference: Array) -> bool:
    gap = float(np.linalg.norm(candidate - model))
    return gap <= policy.DIAGNOSIS_RESIDUAL * max(float(np.linalg.norm(reference)), policy.TINY)


def _scaled(candidate: Array, reference: Array, sizes: Mapping[str, int]) -> str | None:
    denom = float(np.vdot(reference, reference))
    if denom == 0.0:
        return None
    c = float(np.vdot(reference, candidate)) / denom
    if not _close(candidate, c * reference, reference):
        return None
    if abs(c + 1.0) < policy.DIAGNOSIS_RESIDUAL:
        return "it has the wrong sign"
    if c < 0:
        return f"it has the wrong sign and is {_factor(-c, sizes)} the correct value"
    return f"it is {_factor(c, sizes)} the correct value"


def dimension(c: float, sizes: Mapping[str, int], rtol: float) -> tuple[str, int, bool] | None:
    """(label, size, reciprocal) of the first size above 2 that ``c`` is, or is one over, to
    ``rtol``: a mean's 1/N left out or taken twice names N (``sizes``: label → size)."""
    for label, n in sizes.items():
        if n > 2 and abs(c - n) <= rtol * n:
            return label, n, False
        if n > 2 and abs(c * n - 1) <= rtol:
            return label, n, True
    return None


def _factor(c: float, sizes: Mapping[str, int]) -> str:
    """``c`` in words: "2 times", "1/3 of", "8 (X.shape[0]) times" when it is a dimension."""
    named = dimension(c, sizes, policy.DIAGNOSIS_RESIDUAL)
    if named is not None:
        label, n, reciprocal = named
        return f"1/{n} (1/{label}) of" if reciprocal else f"{n} ({label}) times"
    frac = Fraction(c).limit_denominator(1000)
    if abs(float(frac) - c) > policy.DIAGNOSIS_RESIDUAL * c:
        return f"{c:.6g} times"
    if frac.denominator == 1:
        return f"{frac.numerator} times"
    if frac.numerator == 1:
        return f"1/{frac.denominator} of"
    return f"{frac} times"


def _transposed(candidate: Array, reference: Array) -> str | None:
    if reference.ndim != 2 or reference.shape[0] != reference.shape[1]:
        return None
    if _close(candidate, reference.T, reference):
        return "it is transposed"
    return None


def _where(wrong: Array, ratio: Array | None = None) -> str:
    """Which entries differ: every one, one row or column, or how many. Given each entry's error
    over its tolerance, a row (column) is named only when at least two of its entries are over
    ``PATTERN_MARGIN`` times their tolerance and every entry outside it under 1/``PATTERN_MARGIN``
    of its own: entries failing by a little, from noise, make no pattern."""
    count, total = int(wrong.sum()), wrong.size
    if count == total:
        return "every entry differs"
    if wrong.ndim == 2:
        sure = wrong if ratio is None else ratio > policy.PATTERN_MARGIN
        seen = wrong if ratio is None else ratio > 1 / policy.PATTERN_MARGIN
        rows, cols = np.nonzero(seen)
        if int(sure.sum()) > 1 and np.unique(rows).size == 1:
            return f"only row {rows[0]} differs"
        if int(sure.sum()) > 1 and np.unique(cols).size == 1:
            return f"only column {cols[0]} differs"
    return f"{count} of {total} entries differ"
