"""The public Python API: check spec files and get a Report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients, backprop, numeric, symbolic
from gradcheck_cli.errors import GradcheckError, SpecError
from gradcheck_cli.problem import Problem
from gradcheck_cli.results import Report, SpecResult
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
    """Load and build the spec at ``path`` (``seed`` overrides the spec's own).

    Raises:
        SpecError: the file is not a valid spec.
    """
    return build(load(Path(path)), seed=seed)


def check_problem(problem: Problem) -> SpecResult:
    """Run every engine on ``problem`` and compare them entry by entry."""
    return compare(problem, {name: engine(problem) for name, engine in ENGINES.items()})


def check_spec(path: str | Path, *, seed: int | None = None) -> SpecResult:
    """Check one spec file.

    Args:
        path: a network spec (YAML).
        seed: overrides the spec's seed.

    Returns:
        The SpecResult: forward check, per-tensor verdicts, explanations.

    Raises:
        SpecError: the file is not a valid spec.
    """
    return check_problem(load_problem(path, seed=seed))


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


def check_paths(paths: Sequence[str | Path], *, seed: int | None = None) -> Report:
    """Check every spec under ``paths``; a spec that fails to load becomes an ``error`` result."""
    results = []
    for path in spec_files(paths):
        try:
            results.append(check_spec(path, seed=seed))
        except SpecError as exc:
            results.append(SpecResult(path.stem, str(path), seed or 0, 0, "", "", (), None, (), str(exc)))
    return Report(tuple(results))
