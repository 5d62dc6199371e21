"""Plain differences of the whole forward referee the numeric engine's shortcuts.

The numeric engine takes two shortcuts: the complex step, which pushes complex points through
each op's complex form (``ops.complexstep`` writes tanh, exp and log there by identities), and
the linear layers' structure (``engines.incremental``, which asks the layer which output column
an entry moves). Each is exact to rounding when the ops are what they claim, but each is a
second place where an op's structure is written: a slip there together with the matching slip
in the op's backward makes two witnesses agree on one wrong value, and the third, right one
would be named the odd one out.

So before a report names an odd one out, the entries of a tensor whose differences took a
shortcut and where not all sources agree — the numeric engine flags them, or sides there with
one analytic source against the other — are computed again by Richardson differences of the
whole real forward (``numeric.plain``), which knows nothing of any op but its real forward.
Where the two differences disagree the shortcut is overruled: the plain values, error estimates
and kink bounds replace its own. The most suspect ``policy.RECHECK_ENTRIES`` entries are
recomputed; once the shortcut is caught wrong at one of them it is no witness for that tensor,
and every other suspect entry is recomputed too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import Gradients, numeric
from gradcheck_cli.fd import tolerance
from gradcheck_cli.problem import Problem


def settled(
    problem: Problem, found: Mapping[str, Gradients], name: str,
    wrong: Sequence[Array], ratio: Sequence[Array],
) -> Mapping[str, Gradients]:
    """``found`` with the numeric engine's values of ``name`` checked by plain differences at every
    entry where some pair of sources disagrees, and overruled where the two differences disagree.

    Args:
        problem: the network, loss and point.
        found: every source's gradients (source name → ``Gradients``).
        name: the tensor.
        wrong: per pair of sources, the entries where the pair disagrees (shaped like the tensor).
        ratio: per pair, error / tolerance per entry: the most suspect entries come first.

    Returns:
        ``found`` itself when the numeric engine took no shortcut on ``name`` or no pair disagrees;
        else a copy whose numeric ``rechecked[name]`` counts the entries recomputed and overruled.
    """
    differences = found.get("numeric")
    suspects = np.flatnonzero(np.logical_or.reduce(list(wrong))) if wrong else np.empty(0, dtype=np.intp)
    if differences is None or name not in differences.shortcuts or suspects.size == 0:
        return found
    severity = np.maximum.reduce(list(ratio)).reshape(-1)[suspects]
    suspects = suspects[np.argsort(severity, kind="stable")[::-1]]
    first = suspects[: policy.RECHECK_ENTRIES]
    overruled = _overruled(problem, differences, name, first)
    if overruled and suspects.size > first.size:
        overruled += _overruled(problem, differences, name, suspects[first.size:])
        first = suspects
    return {**found, "numeric": _replaced(differences, name, overruled, int(first.size))}


#: Overruled entries: their flat indices and the plain stencil's value, error estimate, kink flag
#: and one-sided bounds there (each an array over those entries), one part per batch recomputed.
Overruled = list[tuple[Array, tuple[Array, ...]]]


def _overruled(problem: Problem, found: Gradients, name: str, entries: Array) -> Overruled:
    """The ``entries`` (flat) where plain differences disagree with the shortcut's value beyond
    both error estimates, with the plain stencil there; an entry whose plain stencil straddled a
    kink does not overrule (its value is no derivative)."""
    plain = numeric.plain(problem, name, entries)
    fast = found.grads[name].reshape(-1)[entries]
    fast_error = found.error[name].reshape(-1)[entries]
    # rounding relative to the tensor's largest entry, as when two sources are compared
    scale = max(float(np.abs(found.grads[name]).max(initial=0.0)),
                float(np.abs(plain.value).max(initial=0.0)), policy.TINY)
    off = (np.abs(fast - plain.value) > tolerance.allowed(scale, fast_error + plain.error)) & ~plain.kink
    if not off.any():
        return []
    parts = (plain.value, plain.error, plain.kink, plain.low, plain.high)
    return [(entries[off], tuple(a[off] for a in parts))]


def _replaced(found: Gradients, name: str, overruled: Overruled, checked: int) -> Gradients:
    """``found`` with the plain stencil's value, error, kink flag and one-sided bounds at the
    ``overruled`` entries of ``name``, and the count of entries checked and overruled."""
    low, high = found.one_sided[name]
    arrays = [np.array(a) for a in (found.grads[name], found.error[name], found.kinks[name], low, high)]
    for entries, plain in overruled:
        for array, values in zip(arrays, plain, strict=True):
            array.reshape(-1)[entries] = values
    value, error, kink, low, high = arrays
    count = sum(entries.size for entries, _ in overruled)
    return dataclasses.replace(
        found,
        grads={**found.grads, name: value},
        error={**found.error, name: error},
        kinks={**found.kinks, name: kink},
        one_sided={**found.one_sided, name: (low, high)},
        rechecked={**found.rechecked, name: (checked, count)},
    )


def note(found: Mapping[str, Gradients], name: str) -> str | None:
    """What the recheck of ``name`` overruled, as a clause for the report; None where nothing."""
    differences = found.get("numeric")
    checked, overruled = differences.rechecked.get(name, (0, 0)) if differences is not None else (0, 0)
    if differences is None or not overruled:
        return None
    return (f"numeric's shortcut ({differences.shortcuts[name]}) disagreed with plain differences of the "
            f"whole forward at {overruled} of the {checked} entries rechecked; the plain values are judged "
            "there")
