"""The verdict on the user's gradients against finite differences: their tolerance, which probe
speaks for a failure, and the diagnosis; the comparison itself, the worst entries and the grid
are the judge's (``judge``), as for a network spec.

The tolerance of an entry is ``fd.tolerance.allowed``: the finite difference's error estimate,
times the safety factor, plus the rounding the user's own gradient is entitled to — in the
precision the user's code computes in (float32 code gets float32's ulps: a correct float32
gradient is not a failure) — plus the user's ``atol``/``rtol`` when given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import diagnose, policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.diagnose import classify
from gradcheck_cli.fd import tolerance
from gradcheck_cli.judge import compare, error_grid, worst
from gradcheck_cli.results import Pair, TensorResult
from gradcheck_cli.usercode.options import Options

#: The two sources every user-code check compares.
SOURCES = ("user", "numeric")


#: The verdict on the gradient of one input: ``max_abs``, ``max_rel``, ``worst_ratio``,
#: ``failing`` (entries over tolerance under at least one probe), ``tolerance`` (where it comes
#: from), ``probe``, ``worst``, ``diagnosis``, ``explanation``, ``caution`` — the report tree's
#: ``TensorResult``, under the name the Python API has always given it.
InputResult = TensorResult


@dataclass(frozen=True)
class Compared:
    """One input's arrays, all of shape (probes, entries)."""

    user: Array
    numeric: Array
    estimate: Array
    #: unit round-off of the precision the user's gradient is computed in
    eps: float
    dtype: str


def judge(name: str, shape: tuple[int, ...], arrays: Compared, probes: Sequence[str], random: int,
          options: Options, who: str, owner: str,
          related: Mapping[str, Array] | None = None) -> TensorResult:
    """The verdict on ∂/∂``name``.

    The first ``random`` probes are random cotangents; the rest (if any) are rows of the
    Jacobian. The worst entries and the diagnosis come from the worst random probe when one
    fails: a Jacobian row's gradient is mostly zeros, so any error in it looks like a scaling.
    """
    tol, source = _tolerance(arrays, options)
    judged = compare(*SOURCES, arrays.user, arrays.numeric, tol, source, entries=int(np.prod(shape)))
    by_probe = judged.ratio.max(axis=1, initial=0.0)
    random_fails = random > 0 and by_probe[:random].max() > 1
    p = int(np.argmax(by_probe[:random] if random_fails else by_probe))
    ratio = judged.ratio[p].reshape(shape)
    values = {"user": arrays.user[p].reshape(shape), "numeric": arrays.numeric[p].reshape(shape)}
    worst_entries = worst(values, judged.pair, ratio, judged.tol[p].reshape(shape))
    failing = judged.pair.failing
    kind, explanation = None, None
    if failing:
        kind, phrase = _diagnose(values["user"], values["numeric"], judged.wrong[p].reshape(shape), related)
        if kind in ("partial", "other") and worst_entries:
            top = worst_entries[0]
            phrase += f" (worst: {name}{list(top.index)}, {top.rel_error:.1e} relative)"
        explanation = f"`{who}` is wrong for `{name}`{f' ({probes[p]})' if probes[p] else ''}: {phrase}"
    return TensorResult(name, shape, owner, "fail" if failing else "pass", (judged.pair,),
                        odd_one_out="user" if failing else None, explanation=explanation, worst=worst_entries,
                        grid=error_grid(ratio) if failing else (),
                        caution=None if failing else _caution(name, arrays, tol), diagnosis=kind,
                        probe=probes[p])


def misshapen(name: str, shape: tuple[int, ...], given: tuple[int, ...], who: str, owner: str,
              turned: TensorResult | None) -> TensorResult:
    """The verdict on a gradient returned in the wrong shape: a failure, of kind ``transpose`` when
    it is a matrix's gradient transposed (``turned``: the verdict on it turned back, which
    passed), else ``shape``. Every entry counts as wrong: none can be matched to its input."""
    kind, phrase = diagnose.misshapen(name, given, shape, None if turned is None else turned.passed)
    explanation = f"`{who}` is wrong for `{name}`: {phrase}"
    pair = Pair(*SOURCES, np.inf, np.inf, np.inf, int(np.prod(shape)), "the shapes differ")
    return TensorResult(name, shape, owner, "fail", (pair,), odd_one_out="user", explanation=explanation,
                        diagnosis=kind)


def _caution(name: str, arrays: Compared, tol: Array) -> str | None:
    """On a pass: a tolerance above ``WEAK_RESOLUTION`` of the gradient's largest entry (noise,
    or a function not smooth at the step's scale) means smaller errors could not be seen."""
    size = max(float(np.abs(arrays.numeric).max(initial=0.0)), float(np.abs(arrays.user).max(initial=0.0)))
    widest = float(tol.max(initial=0.0))
    if widest <= policy.WEAK_RESOLUTION * size:
        return None
    share = f"{widest / size:.0%} of its largest entry" if size > 0 else f"{widest:.1e} while it is 0"
    return (f"the finite differences resolve ∂/∂{name} only to {share} here (the function is noisy or "
            "not smooth at the step's scale): errors below that would pass too")


def _diagnose(user: Array, numeric: Array, wrong: Array,
              related: Mapping[str, Array] | None) -> tuple[str, str]:
    """``classify``'s kind and phrase; but a difference too small for its tests to resolve
    (sign, factor, transpose all "fit" it) is described by where it is."""
    if float(np.linalg.norm(user - numeric)) > policy.DIAGNOSIS_RESIDUAL * float(np.linalg.norm(numeric)):
        found = classify(user, numeric, wrong, related)
        if found:
            return found
    count = int(wrong.sum())
    where = (f"only entry {[int(i) for i in np.argwhere(wrong)[0]]} differs" if count == 1
             else f"{count} of {wrong.size} entries differ")
    return ("other" if count == wrong.size else "partial"), where


def _tolerance(arrays: Compared, options: Options) -> tuple[Array, str]:
    scale = np.maximum(np.abs(arrays.user).max(axis=1, initial=0.0),
                       np.abs(arrays.numeric).max(axis=1, initial=0.0))
    tol = tolerance.allowed(scale[:, None], arrays.estimate, eps=arrays.eps, atol=options.atol,
                            rtol=options.rtol, reference=arrays.numeric)
    overridden = options.atol is not None or options.rtol is not None
    return tol, tolerance.described(True, precision=arrays.dtype, overrides="atol/rtol" if overridden else "")
