"""Judge the user's gradients against finite differences: tolerance, worst entries, diagnosis.

The tolerance of an entry is ``fd.tolerance.allowed``: the finite difference's error estimate,
times the safety factor, plus the rounding the user's own gradient is entitled to — ulps of the
precision the user's code computes in (float32 code gets float32's ulps: a correct float32
gradient is not a failure), or, where it is measured and larger, its own rounding noise (an
ill-conditioned or cancelling gradient) — plus the user's ``atol``/``rtol`` when given. A pass
states the resolution it reached, and cautions where that is coarser than expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import diagnose, policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.compare import error_grid
from gradcheck_cli.diagnose import classify
from gradcheck_cli.fd import tolerance
from gradcheck_cli.results import Entry, Pair, TensorResult
from gradcheck_cli.usercode.options import Options

#: The two sources every user-code check compares.
SOURCES = ("user", "numeric")


@dataclass(frozen=True)
class InputResult:
    """The verdict on the gradient of one input.

    Attributes:
        name, shape: the input.
        passed: every entry, under every probe, within its tolerance.
        max_abs, max_rel: largest absolute / relative difference, over every probe.
        worst_ratio: largest difference over its tolerance (≤ 1 passes).
        failing: entries over tolerance under at least one probe (each entry counted once).
        tolerance: where the tolerance comes from, in words.
        probe: the probe (cotangent) the worst entries and the diagnosis come from; empty for
            the gradient of a scalar function.
        worst: the worst entries of that probe, with the user's and the numeric values.
        diagnosis: ``sign``, ``factor``, ``transpose``, ``missing-term`` (off by the same amount
            in every entry, row or column), ``partial`` or ``other`` when it fails.
        caution: on a pass whose resolution is coarser than ``policy.USER_RESOLUTION`` expects
            (noise, cancellation, ill-conditioning, a function not smooth at the step's scale),
            what a pass does not show; and where steps shrank at the edge of f's domain.
        explanation: one sentence on how it fails, or None when it passes.
        resolution: the widest tolerance relative to the gradient's largest entry (under the
            random probes): errors smaller than this share of it could pass unseen.
    """

    name: str
    shape: tuple[int, ...]
    passed: bool
    max_abs: float
    max_rel: float
    worst_ratio: float
    failing: int
    tolerance: str
    probe: str
    worst: tuple[Entry, ...]
    diagnosis: str | None = None
    explanation: str | None = None
    caution: str | None = None
    resolution: float = 0.0


@dataclass(frozen=True)
class Compared:
    """One input's arrays, all of shape (probes, entries)."""

    user: Array
    numeric: Array
    estimate: Array
    #: unit round-off of the precision the user's gradient is computed in
    eps: float
    dtype: str
    #: the measured rounding noise of the user's gradient under the first probe, per entry
    spread: Array | None = None
    #: what the finite differences did at the edge of f's domain, for the report, or ""
    edge: str = ""


def judge(name: str, shape: tuple[int, ...], arrays: Compared, probes: Sequence[str], random: int,
          options: Options, who: str, owner: str,
          related: Mapping[str, Array] | None = None) -> tuple[InputResult, TensorResult]:
    """The verdict on ∂/∂``name``, as our InputResult and as the report tree's TensorResult.

    The first ``random`` probes are random cotangents; the rest (if any) are rows of the
    Jacobian. The worst entries and the diagnosis come from the worst random probe when one
    fails: a Jacobian row's gradient is mostly zeros, so any error in it looks like a scaling.
    """
    tol, source = _tolerance(arrays, options)
    err = np.abs(arrays.user - arrays.numeric)
    rel = err / np.maximum(np.maximum(np.abs(arrays.user), np.abs(arrays.numeric)), policy.TINY)
    ratio = err / np.maximum(tol, policy.TINY)
    wrong = err > tol
    by_probe = ratio.max(axis=1, initial=0.0)
    random_fails = random > 0 and by_probe[:random].max() > 1
    p = int(np.argmax(by_probe[:random] if random_fails else by_probe))
    worst = _worst(arrays, p, ratio[p], tol[p], shape)
    failing = int(wrong.any(axis=0).sum())
    kind, explanation = None, None
    if failing:
        kind, phrase = _diagnose(arrays.user[p].reshape(shape), arrays.numeric[p].reshape(shape),
                                 ratio[p].reshape(shape), related)
        if kind in ("partial", "other") and worst:
            phrase += f" (worst: {name}{list(worst[0].index)}, {worst[0].rel_error:.1e} relative)"
        explanation = f"`{who}` is wrong for `{name}`{f' ({probes[p]})' if probes[p] else ''}: {phrase}"
    resolution, widest = _resolution(arrays, tol, max(random, 1))
    caution = (arrays.edge or None) if failing else _caution(name, arrays, tol, resolution, widest)
    result = InputResult(name, shape, failing == 0, float(err.max(initial=0.0)), float(rel.max(initial=0.0)),
                         float(ratio.max(initial=0.0)), failing, source, probes[p], worst, kind, explanation,
                         caution, resolution)
    pair = Pair(*SOURCES, result.max_abs, result.max_rel, result.worst_ratio, failing, source)
    tensor = TensorResult(name, shape, owner, "pass" if result.passed else "fail", (pair,),
                          odd_one_out="user" if failing else None, explanation=explanation,
                          worst=worst, grid=error_grid(ratio[p].reshape(shape)) if failing else (),
                          caution=caution, diagnosis=kind)
    return result, tensor


def misshapen(name: str, shape: tuple[int, ...], given: tuple[int, ...], who: str, owner: str,
              turned: tuple[InputResult, TensorResult] | None) -> tuple[InputResult, TensorResult]:
    """The verdict on a gradient returned in the wrong shape: a failure, of kind ``transpose`` when
    it is a matrix's gradient transposed (``turned``: the verdict on it turned back, which
    passed), else ``shape``. Every entry counts as wrong: none can be matched to its input."""
    kind, phrase = diagnose.misshapen(name, given, shape, None if turned is None else turned[0].passed)
    explanation = f"`{who}` is wrong for `{name}`: {phrase}"
    entries, source = int(np.prod(shape)), "the shapes differ"
    result = InputResult(name, shape, False, np.inf, np.inf, np.inf, entries, source, "", (), kind,
                         explanation)
    pair = Pair(*SOURCES, np.inf, np.inf, np.inf, entries, source)
    tensor = TensorResult(name, shape, owner, "fail", (pair,), odd_one_out="user", explanation=explanation,
                          diagnosis=kind)
    return result, tensor


def _resolution(arrays: Compared, tol: Array, random: int) -> tuple[float, tuple[int, int]]:
    """The widest tolerance over the gradient's largest entry under the first ``random`` probes
    (a Jacobian row's gradient may be all but zero; it is not what a user reads as the gradient's
    size), and where it is: (probe, entry). Where the gradient is 0, the widest tolerance itself."""
    scale = _scale(arrays)[:random]
    share = tol[:random] / np.where(scale > 0, scale, 1.0)[:, None]
    if not share.size:
        return 0.0, (0, 0)
    p, i = np.unravel_index(int(np.argmax(share)), share.shape)
    return float(share[p, i]), (int(p), int(i))


def _caution(name: str, arrays: Compared, tol: Array, resolution: float,
             widest: tuple[int, int]) -> str | None:
    """On a pass, what it does not show: a ``resolution`` coarser than ``USER_RESOLUTION`` of the
    precision judged in, with why — the user's gradient's own noise, or the finite differences'
    (noise, cancellation, a function not smooth at the step's scale) — and steps shrunk at the
    edge of f's domain."""
    notes = [arrays.edge] if arrays.edge else []
    if resolution > policy.USER_RESOLUTION[arrays.dtype]:
        p, i = widest
        theirs = float(tol[p, i]) > 2 * policy.ESTIMATE_SAFETY * float(arrays.estimate[p, i])
        why = ("your gradient's own rounding noise is that large: it is ill-conditioned or cancels here"
               if theirs else
               "the function is noisy, cancels, or is not smooth at the step's scale")
        resolved = (f"{resolution:.0e} of its largest entry" if _scale(arrays)[p] > 0
                    else f"{resolution:.1e} while it is 0")
        notes.append(f"could resolve errors above {resolved} in ∂/∂{name} only ({why}): smaller errors "
                     "would pass too")
    return "; ".join(notes) or None


def _diagnose(user: Array, numeric: Array, ratio: Array,
              related: Mapping[str, Array] | None) -> tuple[str, str]:
    """``classify``'s kind and phrase (``ratio``: each entry's error over its tolerance; a
    row or column pattern must hold beyond the error bars); but a difference too small for its
    tests to resolve (sign, factor, transpose all "fit" it) is described by where it is."""
    wrong = ratio > 1
    if float(np.linalg.norm(user - numeric)) > policy.DIAGNOSIS_RESIDUAL * float(np.linalg.norm(numeric)):
        found = classify(user, numeric, wrong, related, ratio)
        if found:
            return found
    count = int(wrong.sum())
    where = (f"only entry {[int(i) for i in np.argwhere(wrong)[0]]} differs" if count == 1
             else f"{count} of {wrong.size} entries differ")
    return ("other" if count == wrong.size else "partial"), where


def _tolerance(arrays: Compared, options: Options) -> tuple[Array, str]:
    """Each entry's tolerance, and where it comes from in words. Beside the ulps ``allowed``
    grants, the user's gradient may err by ``USER_NOISE_SIGMAS`` of its own measured rounding
    noise (with the estimate's safety): named in the words where that is the larger."""
    scale = _scale(arrays)
    noise = policy.USER_NOISE_SIGMAS * _noise(arrays, scale)
    tol = tolerance.allowed(scale[:, None], arrays.estimate + noise, eps=arrays.eps, atol=options.atol,
                            rtol=options.rtol, reference=arrays.numeric)
    terms = []
    if np.any(policy.ESTIMATE_SAFETY * noise > policy.ANALYTIC_ULPS * arrays.eps * scale[:, None]):
        terms.append(f"{policy.ESTIMATE_SAFETY * policy.USER_NOISE_SIGMAS:g} × your gradient's measured "
                     "rounding noise")
    if options.atol is not None or options.rtol is not None:
        terms.append("atol/rtol")
    return tol, tolerance.described(True, precision=arrays.dtype, overrides=" + ".join(terms))


def _scale(arrays: Compared) -> Array:
    """The largest entry of either gradient, per probe."""
    return np.asarray(np.maximum(np.abs(arrays.user).max(axis=1, initial=0.0),
                                 np.abs(arrays.numeric).max(axis=1, initial=0.0)))


def _noise(arrays: Compared, scale: Array) -> Array:
    """The user's gradient's rounding noise under every probe, (probes, entries): measured under
    the first, and taken to scale with the gradient's size under the others."""
    if arrays.spread is None:
        return np.zeros_like(arrays.user)
    ratio = scale / max(float(scale[0]), policy.TINY)
    return np.asarray(ratio[:, None] * arrays.spread[None, :])


def _worst(arrays: Compared, p: int, ratio: Array, tol: Array, shape: tuple[int, ...]) -> tuple[Entry, ...]:
    order = np.argsort(ratio, kind="stable")[::-1][: policy.WORST_ENTRIES]
    entries = []
    for flat in order:
        u, n = float(arrays.user[p, flat]), float(arrays.numeric[p, flat])
        err = abs(u - n)
        index = tuple(int(i) for i in np.unravel_index(int(flat), shape)) if shape else ()
        entries.append(Entry(index, {"user": u, "numeric": n}, err,
                             err / max(abs(u), abs(n), policy.TINY), float(tol[flat])))
    return tuple(entries)

