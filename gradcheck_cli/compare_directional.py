"""Verdicts of a directional run: the analytic pair compared in full, each analytic source
against directional finite differences, and the entry bisection localised when one fails."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gradcheck_cli.engines.directional import SourceCheck
from gradcheck_cli.results import DirectionalCheck, SpecResult, TensorResult


def apply(result: SpecResult, checks: Sequence[SourceCheck], directions: int) -> SpecResult:
    """``result`` (which compared symbolic with backprop) with the directional evidence added:
    a tensor where bisection localised a wrong entry fails, naming the source and the entry."""
    plain = tuple(_plain(c, directions) for c in checks)
    failing = [c for c in checks if not c.passed]
    tensors = tuple(_tensor(t, failing, len(checks)) for t in result.tensors)
    return dataclasses.replace(result, tensors=tensors, mode="directional", directional=plain)


def _plain(check: SourceCheck, directions: int) -> DirectionalCheck:
    located = check.located
    return DirectionalCheck(
        source=check.source,
        directions=directions,
        worst_ratio=check.worst_ratio,
        passed=check.passed,
        tensor=located.tensor if located else None,
        index=located.index if located else (),
        analytic=located.analytic if located else None,
        numeric=located.numeric if located else None,
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
    text = (f"{check.source} disagrees with the finite difference along random directions; bisection "
            f"localised entry {list(located.index)} of ∂J/∂{tensor.name}: {values}")
    if odd:
        text = f"{odd} is the odd one out: " + text
    return dataclasses.replace(tensor, verdict="fail", odd_one_out=odd, explanation=text)
