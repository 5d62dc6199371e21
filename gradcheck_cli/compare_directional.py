"""Verdicts of a directional run: the analytic pair compared in full, each analytic source
against directional finite differences, and the entry bisection localised when one fails."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients
from gradcheck_cli.engines.directional import Outcome, SourceCheck
from gradcheck_cli.judge import Band
from gradcheck_cli.problem import Problem
from gradcheck_cli.results import DirectionalCheck, SpecResult, TensorResult


def apply(
    problem: Problem, found: Mapping[str, Gradients], result: SpecResult, outcome: Outcome
) -> SpecResult:
    """``result`` (which compared symbolic with backprop) with the directional evidence added.

    Entries the directional check found at a kink are judged in the analytic pair as a full check
    judges them: any value between the one-sided differences is a valid subgradient (backprop's
    relu'(0) = 0 and SymPy's Heaviside(0) = 1/2 both are), and the report counts them. A tensor
    where bisection localised a wrong entry fails, naming the source and the entry.
    """
    kinks = outcome.kinks
    if any(at.any() for at in kinks.at.values()):
        bands = {name: Band(at, kinks.low[name], kinks.high[name])
                 for name, at in kinks.at.items() if at.any()}
        result = compare(problem, found, bands)
    plain = tuple(_plain(c, outcome) for c in outcome.checks)
    failing = [c for c in outcome.checks if not c.passed]
    tensors = tuple(_tensor(t, failing, len(outcome.checks)) for t in result.tensors)
    return dataclasses.replace(result, tensors=tensors, mode="directional", directional=plain)


def _plain(check: SourceCheck, outcome: Outcome) -> DirectionalCheck:
    located = check.located
    return DirectionalCheck(
        source=check.source,
        directions=outcome.directions,
        worst_ratio=check.worst_ratio,
        passed=check.passed,
        tensor=located.tensor if located else None,
        index=located.index if located else (),
        analytic=located.analytic if located else None,
        numeric=located.numeric if located else None,
        kinks=outcome.crossing,
    )


def _tensor(tensor: TensorResult, failing: Sequence[SourceCheck], sources: int) -> TensorResult:
    here = [c for c in failing if c.located is not None and c.located.tensor == tensor.name]
    if not here:
        return tensor
    check = here[0]
    located = check.located
    assert located is not None
    odd = check.source if len(failing) < sources else None
    values = f"{check.source} {located.analytic:.10g}, numeric {located.numeric:.10g}"
    if located.kink is not None:
        values += (f"; its stencil crosses a kink and {check.source}'s value is outside the one-sided "
                   f"differences [{located.kink[0]:.10g}, {located.kink[1]:.10g}]")
    text = (f"{check.source} disagrees with the finite difference along random directions; bisection "
            f"localised entry {list(located.index)} of ∂J/∂{tensor.name}: {values}")
    if odd:
        text = f"{odd} is the odd one out: " + text
    return dataclasses.replace(tensor, verdict="fail", odd_one_out=odd, explanation=text)
