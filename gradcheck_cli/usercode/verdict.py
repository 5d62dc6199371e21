"""The verdict on the user's gradients against finite differences: their tolerance, which probe
speaks for a failure, and the diagnosis; the comparison itself, the worst entries and the grid
are the judge's (``judge``), as for a network spec.

The tolerance of an entry is ``fd.tolerance.allowed``: the finite difference's error estimate,
times the safety factor, plus the rounding the user's own gradient is entitled to — ulps of the
precision the user's code computes in (float32 code gets float32's ulps: a correct float32
gradient is not a failure), or, where it is measured and larger, its own rounding noise (an
ill-conditioned or cancelling gradient) — plus the user's ``atol``/``rtol`` when given. A pass
whose resolution is coarser than expected says what it reached.
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
    #: the measured rounding noise of the user's gradient under the first probe, per entry
    spread: Array | None = None
    #: what the finite differences did at the edge of f's domain, for the report, or ""
    edge: str = ""


def judge(name: str, shape: tuple[int, ...], arrays: Compared, probes: Sequence[str], random: int,
          options: Options, who: str, owner: str,
          related: Mapping[str, Array] | None = None, sizes: Mapping[str, int] | None = None) -> TensorResult:
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
        kind, phrase = _diagnose(values["user"], values["numeric"], ratio, related, sizes)
        if kind in ("partial", "other") and worst_entries:
            top = worst_entries[0]
            phrase += f" (worst: {name}{list(top.index)}, {top.rel_error:.1e} relative)"
        explanation = f"`{who}` is wrong for `{name}`{f' ({probes[p]})' if probes[p] else ''}: {phrase}"
    caution = (arrays.edge or None) if failing else _caution(name, arrays, tol, max(random, 1))
    resolution, widest = _resolution(arrays, tol, max(random, 1))
    return TensorResult(name, shape, owner, "fail" if failing else "pass", (judged.pair,),
                        odd_one_out="user" if failing else None, explanation=explanation, worst=worst_entries,
                        grid=error_grid(ratio) if failing else (), caution=caution, diagnosis=kind,
                        probe=probes[p], resolution=resolution if _scale(arrays)[widest[0]] > 0 else None)


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


def _caution(name: str, arrays: Compared, tol: Array, random: int) -> str | None:
    """On a pass, what it does not show: the resolution reached (``_resolution``) where it is
    coarser than ``USER_RESOLUTION`` of the precision judged in, with why — the user's gradient's
    own noise, or the finite differences' (noise, cancellation, a function not smooth at the
    step's scale) — and steps shrunk at the edge of f's domain."""
    notes = [arrays.edge] if arrays.edge else []
    resolution, widest = _resolution(arrays, tol, random)
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


def _diagnose(user: Array, numeric: Array, ratio: Array, related: Mapping[str, Array] | None,
              sizes: Mapping[str, int] | None = None) -> tuple[str, str]:
    """``classify``'s kind and phrase (``ratio``: each entry's error over its tolerance; a
    row or column pattern must hold beyond the error bars); but a difference too small for its
    tests to resolve (sign, factor, transpose all "fit" it) is described by where it is."""
    wrong = ratio > 1
    if float(np.linalg.norm(user - numeric)) > policy.DIAGNOSIS_RESIDUAL * float(np.linalg.norm(numeric)):
        found = classify(user, numeric, wrong, related, ratio, sizes)
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
