"""The public Python API: check spec files and get a Report."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from gradcheck_cli import compare_directional, policy
from gradcheck_cli.claims.models import SheetSpec
from gradcheck_cli.claims.network import judge_claims
from gradcheck_cli.claims.sheet import check_sheet
from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients, backprop, directional, numeric, symbolic
from gradcheck_cli.errors import GradcheckError, SpecError
from gradcheck_cli.problem import Mode, Problem
from gradcheck_cli.results import Report, Result, SpecResult
from gradcheck_cli.spec import build, load

Engine = Callable[[Problem], Gradients]

#: The engines a check runs, by name.
ENGINES: dict[str, Engine] = {
    "symbolic": symbolic.gradients,
    "backprop": backprop.gradients,
    "numeric": numeric.gradients,
}

SPEC_SUFFIXES = (".yaml", ".yml")


def load_problem(path: str | Path, *, seed: int | None = None) -> Problem:
    """Load and build the network spec at ``path`` (``seed`` overrides the spec's own).

    Raises:
        SpecError: the file is not a valid network spec.
    """
    loaded = load(Path(path))
    if isinstance(loaded.spec, SheetSpec):
        raise SpecError("this is a claim file (`questions:`), not a network spec", file=str(path))
    return build(loaded, seed=seed)


def check_problem(problem: Problem) -> SpecResult:
    """Run every engine on ``problem``, compare them entry by entry, and judge the spec's claims."""
    directional_run = problem.mode == "directional"
    engines = {k: v for k, v in ENGINES.items() if not (directional_run and k == "numeric")}
    with np.errstate(all="ignore"):  # non-finite values are reported by compare, not warned about
        found = {name: engine(problem) for name, engine in engines.items()}
        result = compare(problem, found)
        if directional_run and result.error is None:
            checks = directional.check(problem, found)
            result = compare_directional.apply(result, checks, policy.DIRECTIONS)
    if not problem.claims:
        return result
    claims = judge_claims(problem, found["symbolic"], found["backprop"].activations)
    return dataclasses.replace(result, claims=claims)


def check_spec(
    path: str | Path, *, seed: int | None = None, show_answer: bool = False, mode: Mode | None = None
) -> Result:
    """Check one spec file of any kind.

    Args:
        path: a network spec or a claim file (YAML with `questions:`).
        seed: overrides the spec's seed.
        show_answer: claim files only: include the correct derivative in each result.
        mode: network specs only: ``full``, ``directional`` or ``auto``, overriding the spec.

    Returns:
        A SpecResult (forward check, per-tensor verdicts) or a SheetResult (per-question
        verdicts, diagnoses, score).

    Raises:
        SpecError: the file is not a valid spec.
    """
    loaded = load(Path(path))
    if isinstance(loaded.spec, SheetSpec):
        return check_sheet(loaded.spec, loaded.source, seed=seed, show_answer=show_answer)
    problem = build(loaded, seed=seed)
    if mode is not None:
        problem = dataclasses.replace(problem, settings=dataclasses.replace(problem.settings, mode=mode))
    return check_problem(problem)


def spec_files(paths: Iterable[str | Path]) -> list[Path]:
    """The spec files named by ``paths``: files as given, directories searched recursively.

    Raises:
        GradcheckError: a path that does not exist, or a directory without specs.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not inside:
                raise GradcheckError(f"no spec files (*.yaml, *.yml) in {path}")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise GradcheckError(f"{path}: no such file or directory")
    return found


def check_paths(
    paths: Sequence[str | Path],
    *,
    seed: int | None = None,
    show_answer: bool = False,
    mode: Mode | None = None,
    progress: Callable[[Path], None] | None = None,
) -> Report:
    """Check every spec under ``paths``; a spec that fails to load becomes an ``error`` result.

    ``progress``, when given, is called with each spec file's path once it has been checked.
    """
    results: list[Result] = []
    for path in spec_files(paths):
        try:
            results.append(check_spec(path, seed=seed, show_answer=show_answer, mode=mode))
        except SpecError as exc:
            results.append(SpecResult(path.stem, str(path), seed or 0, 0, "", "", (), None, (), str(exc)))
        if progress is not None:
            progress(path)
    return Report(tuple(results))
