"""A network spec's verdict: its engines compared pairwise by the judge (``judge``), the odd one
out among three sources, the explanation and diagnosis of a failure, the first wrong rule, and
the result built once with whatever else the run found (directional evidence, claims).

Tolerances: ``fd.tolerance`` (rounding of the analytic sources, the finite difference's own
error estimate, the spec's atol/rtol on top; one-sided bounds at a kink).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from gradcheck_cli import judge, policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.diagnose import classify, misshapen
from gradcheck_cli.engines import Gradients, recheck
from gradcheck_cli.engines.directional import Outcome
from gradcheck_cli.faults import forward_fault, not_finite, owner
from gradcheck_cli.fd import tolerance as tolerance_
from gradcheck_cli.judge import Band, Judged
from gradcheck_cli.problem import Problem
from gradcheck_cli.results import ForwardCheck, LayerInfo, Pair, QuestionResult, SpecResult, TensorResult

PAIRS = (("symbolic", "backprop"), ("symbolic", "numeric"), ("backprop", "numeric"))


def compare(
    problem: Problem, found: Mapping[str, Gradients], directional: Outcome | None = None, *,
    claims: tuple[QuestionResult, ...] = (), moved: str | None = None,
) -> SpecResult:
    """The verdict on every tensor of ``problem.wrt`` from the engines' ``found`` gradients, built
    once with everything else the run found.

    Args:
        directional: a directional run's evidence (``engines.directional.check``): entries at a
            kink are judged between their one-sided differences, and a tensor where bisection
            localised a wrong entry fails, naming the source and the entry. Without it, entries
            at a kink come from the numeric engine's stencils.
        claims: the spec's claims, judged (``claims.network``).
        moved: how the point was moved off kinks, if it was.
    """
    fault = forward_fault(problem, found)
    culprit = _first_wrong_rule(problem, found) if fault is None else None
    bands = judge.bands(directional) if directional is not None else None
    tensors = () if fault else tuple(_tensor(problem, name, found, culprit, bands, directional)
                                     for name in problem.wrt)
    return SpecResult(
        name=problem.name,
        path=problem.path or "",
        seed=problem.seed,
        batch=problem.batch,
        loss=problem.loss.describe(),
        reduction=problem.reduction,
        layers=layer_table(problem),
        forward=_forward(found),
        tensors=tensors,
        error=fault,
        claims=claims,
        mode="directional" if directional is not None else "full",
        directional=judge.directional_checks(directional) if directional is not None else (),
        moved=moved,
    )


def layer_table(problem: Problem) -> tuple[LayerInfo, ...]:
    return tuple(
        LayerInfo(
            n.index,
            n.op.describe(),
            n.n_in,
            n.n_out,
            {name: problem.values[name].shape for name in n.params.values()},
        )
        for n in problem.nodes
    )


def tolerance(problem: Problem, first: Gradients, second: Gradients, name: str) -> tuple[Array, str]:
    """Per-entry tolerance for comparing two sources on tensor ``name``, and where it came from."""
    a, b = first.grads[name], second.grads[name]
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), policy.TINY)
    estimates = [g.error[name] for g in (first, second) if name in g.error]
    settings = problem.settings
    tol = np.broadcast_to(tolerance_.allowed(scale, sum(estimates) if estimates else None, atol=settings.atol,
                                             rtol=settings.rtol, reference=b), a.shape)
    overridden = settings.atol is not None or settings.rtol is not None
    return tol, tolerance_.described(bool(estimates), overrides="spec atol/rtol" if overridden else "")


def _pair(problem: Problem, first: Gradients, second: Gradients, name: str, band: Band | None) -> Judged:
    tol, source = tolerance(problem, first, second, name)
    return judge.compare(first.source, second.source, first.grads[name], second.grads[name], tol, source,
                         band=band)


def _tensor(
    problem: Problem, name: str, found: Mapping[str, Gradients], culprit: tuple[str, str] | None,
    bands: Mapping[str, Band] | None, directional: Outcome | None,
) -> TensorResult:
    broken = _misshapen(problem, name, found) or not_finite(problem, name, found)
    if broken is not None:
        return broken
    band = Band.of(found, name) if bands is None else bands.get(name)
    compared = _compared(problem, name, found, band)
    settled = recheck.settled(problem, found, name, [c.wrong for c in compared], [c.ratio for c in compared])
    if settled is not found:  # the numeric engine's shortcut was rechecked before anyone is blamed
        found, band = settled, (Band.of(settled, name) if bands is None else band)
        compared = _compared(problem, name, found, band)
    kinked = int(band.at.sum()) if band is not None else 0
    pairs = tuple(c.pair for c in compared)
    worst_of = max(compared, key=lambda c: c.pair.worst_ratio)
    ratio, wrong = worst_of.ratio, worst_of.wrong
    worst = judge.worst({s: g.grads[name] for s, g in found.items()}, worst_of.pair, ratio, worst_of.tol)
    agree = all(p.passed for p in pairs)
    localised = judge.located(directional, name) if directional is not None else None
    if agree and localised is None:
        return TensorResult(name, problem.shape_of(name), owner(problem, name), "pass", pairs, worst=worst,
                            kinks=kinked)
    odd, kind, explanation = None, None, None
    if not agree:
        odd = judge.odd_one_out(pairs)
        kind, explanation = _explain(name, found, odd, wrong, culprit, problem.values.get(name),
                                     problem.batch)
    if localised is not None:
        odd, explanation = localised
    overruled = recheck.note(found, name)
    if overruled and explanation is not None:
        explanation += f"; {overruled}"
    return TensorResult(
        name=name,
        shape=problem.shape_of(name),
        owner=owner(problem, name),
        verdict="fail",
        pairs=pairs,
        odd_one_out=odd,
        explanation=explanation,
        worst=worst,
        grid=() if agree else judge.error_grid(ratio),
        kinks=kinked,
        diagnosis=kind,
    )


def _compared(
    problem: Problem, name: str, found: Mapping[str, Gradients], band: Band | None
) -> list[Judged]:
    """Every pair of sources on ``name``, judged."""
    return [_pair(problem, found[x], found[y], name, band) for x, y in PAIRS if x in found and y in found]


def shapes_agree(problem: Problem, found: Mapping[str, Gradients]) -> bool:
    """Every source's gradient of every tensor has that tensor's shape (else ``compare`` fails
    the tensor for its shape, and nothing else can be compared on it)."""
    return all(np.shape(g.grads[name]) == problem.shape_of(name)
               for g in found.values() for name in problem.wrt)


def _misshapen(problem: Problem, name: str, found: Mapping[str, Gradients]) -> TensorResult | None:
    """A failed verdict when a source's ∂J/∂``name`` does not have the tensor's shape (a backward
    rule returning a transposed or cut gradient): kind ``transpose`` when its transpose agrees
    with every other source, else ``shape``. None when every shape is right."""
    expected = problem.shape_of(name)
    off = [s for s, g in found.items() if np.shape(g.grads[name]) != expected]
    if not off:
        return None
    source, rest = off[0], [s for s in found if s not in off]
    given = tuple(np.shape(found[source].grads[name]))
    agrees = None
    if rest and given == expected[::-1]:
        turned = dataclasses.replace(found[source], grads={name: np.asarray(found[source].grads[name]).T})
        agrees = all(_pair(problem, turned, found[s], name, None).pair.passed for s in rest)
    kind, phrase = misshapen(name, given, expected, agrees)
    size = int(np.prod(expected))
    pairs = tuple(
        _pair(problem, found[x], found[y], name, None).pair if x in rest and y in rest
        else Pair(x, y, np.inf, np.inf, np.inf, size, "the shapes differ")
        for x, y in PAIRS if x in found and y in found
    )
    others_agree = all(p.passed for p in pairs if source not in (p.first, p.second))
    odd = source if len(off) == 1 and len(rest) > 1 and others_agree else None
    where = owner(problem, name)
    text = f"{source}'s ∂J/∂{name}: {phrase}"
    if odd:
        text = f"{odd} is the odd one out: {' and '.join(rest)} agree on ∂J/∂{name}; {odd}'s value: {phrase}"
    if source == "backprop" and where.startswith("layer"):
        text += f"; it is what the backward rule of {where} returns"
    return TensorResult(name, expected, where, "fail", pairs, odd_one_out=odd, explanation=text,
                        diagnosis=kind)


def _explain(
    name: str,
    found: Mapping[str, Gradients],
    odd: str | None,
    wrong: Array,
    culprit: tuple[str, str] | None,
    value: Array | None,
    batch: int,
) -> tuple[str | None, str]:
    """The kind of error the odd one out makes (None when no source is odd or the kind is not
    recognised) and the sentence that explains the failure."""
    if odd is None:
        return None, f"the sources disagree on ∂J/∂{name} and no two of them agree with each other"
    others = [s for s in found if s != odd]
    reference = np.mean([found[s].grads[name] for s in others], axis=0)
    related = {name: value} if value is not None else None
    found_kind = classify(found[odd].grads[name], reference, wrong, related, sizes={"the batch size": batch})
    text = f"{odd} is the odd one out: {' and '.join(others)} agree on ∂J/∂{name}"
    if found_kind:
        text += f"; {odd}'s value: {found_kind[1]}"
    if culprit and odd in ("backprop", "symbolic"):
        text += f"; {culprit[odd == 'symbolic']}"
    return (found_kind[0] if found_kind else None), text


def _forward(found: Mapping[str, Gradients]) -> ForwardCheck | None:
    if "symbolic" not in found or "backprop" not in found:
        return None
    s, b = found["symbolic"].loss, found["backprop"].loss
    tol = float(tolerance_.allowed(max(abs(s), abs(b), 1.0)))
    out = tuple(float(v) for v in found["backprop"].output[0])
    return ForwardCheck(s, b, abs(s - b), tol, out)


def _first_wrong_rule(problem: Problem, found: Mapping[str, Gradients]) -> tuple[str, str] | None:
    """Name the op where the analytic engines part ways.

    Forward first: the first layer whose output differs (from the same input) has math that
    does not match its NumPy forward. Then backward, down from the loss: the first boundary
    whose δ differs (from the same δ above) names a wrong backward rule.

    Returns:
        (what to say if backprop is wrong, what to say if symbolic is wrong), or None.
    """
    if "symbolic" not in found or "backprop" not in found:
        return None
    sym, bp = found["symbolic"], found["backprop"]
    forward_gap = _first_gap(sym.activations, bp.activations, range(len(bp.activations)))
    if forward_gap is not None:
        what = _what(problem, forward_gap)
        math = f"the SymPy math of {what} differs from its NumPy forward"
        return math, math
    if _differ(sym.loss, bp.loss):
        what = _what(problem, len(problem.nodes))
        math = f"the SymPy math of {what} differs from its NumPy forward"
        return math, math
    level = _first_gap(sym.cotangents, bp.cotangents, range(len(bp.cotangents) - 1, -1, -1))
    if level is None:
        return None
    what = _what(problem, level)
    return (
        f"the first wrong backward rule is that of {what}: the same δ reaches it from above "
        "and a different δ leaves it",
        f"the derivative SymPy derives for {what} differs from its backward rule",
    )


def _first_gap(first: tuple[Array, ...], second: tuple[Array, ...], order: range) -> int | None:
    if len(first) != len(second):
        return None
    return next((i for i in order if _differ(first[i], second[i])), None)


def _differ(a: Array | float, b: Array | float) -> bool:
    if np.shape(a) != np.shape(b):
        return True
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1.0)
    return bool(np.abs(np.asarray(a) - b).max(initial=0.0) > tolerance_.allowed(scale))


def _what(problem: Problem, level: int) -> str:
    if level == len(problem.nodes):
        return f"the loss `{problem.loss.kind}`"
    node = problem.nodes[level]
    return f"`{node.op.kind}` (layer {node.index})"
