"""The public Python API: check spec files and get a Report."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, get_args

import numpy as np

from gradcheck_cli import unexpected
from gradcheck_cli.choices import Mode
from gradcheck_cli.claims import budget
from gradcheck_cli.claims.network import judge_claims
from gradcheck_cli.claims.sheet import check_sheet
from gradcheck_cli.compare import compare, shapes_agree
from gradcheck_cli.engines import Gradients, backprop, directional, kinks, numeric, symbolic
from gradcheck_cli.errors import GradcheckError, SpecError, did_you_mean, printable
from gradcheck_cli.faults import forward_fault
from gradcheck_cli.limits import FILE, RUN, Clock, Limits, step
from gradcheck_cli.problem import Problem
from gradcheck_cli.results import Report, Result, SpecResult
from gradcheck_cli.spec.build import build
from gradcheck_cli.spec.loader import Loaded, load
from gradcheck_cli.spec.sheet_models import SheetSpec
from gradcheck_cli.spec.source import not_a_file

Engine = Callable[[Problem], Gradients]

#: The engines a check runs, by name.
ENGINES: dict[str, Engine] = {
    "symbolic": symbolic.gradients,
    "backprop": backprop.gradients,
    "numeric": numeric.gradients,
}

SPEC_SUFFIXES = (".yaml", ".yml")
MODES: tuple[str, ...] = get_args(Mode)


def _arguments(seed: Any, mode: Any = None) -> int | None:
    """The seed as an ``int``, after refusing a seed or mode the engines would choke on.

    Raises:
        GradcheckError: a seed that is not a non-negative integer, an unknown mode.
    """
    if mode is not None and not (isinstance(mode, str) and mode in MODES):
        hint = did_you_mean(str(mode), MODES) or f"known: {', '.join(MODES)}"
        raise GradcheckError(f"unknown mode {mode!r}", hint=hint)
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise GradcheckError(f"the seed must be a non-negative integer, not {seed!r}")
    return int(seed)


def _path(raw: Any) -> Path:
    if not isinstance(raw, (str, os.PathLike)):
        raise GradcheckError(f"a spec path must be a str or a Path, not {type(raw).__name__}")
    return Path(raw)


def load_problem(path: str | Path, *, seed: int | None = None) -> Problem:
    """Load and build the network spec at ``path`` (``seed`` overrides the spec's own).

    Raises:
        SpecError: the file is not a valid network spec.
    """
    seed = _arguments(seed)
    loaded = load(_path(path))
    if isinstance(loaded.spec, SheetSpec):
        raise SpecError("this is a claim file (`questions:`), not a network spec", file=str(path))
    return build(loaded, seed=seed)


def check_problem(problem: Problem, *, claim_seconds: float | None = None) -> SpecResult:
    """Run every engine on ``problem``, compare them entry by entry, and judge the spec's claims
    (each within ``claim_seconds``, by default ``policy.QUESTION_BUDGET``).

    With ``settings.avoid_kinks`` the point is first moved off kinks (``kinks.moved_off``); the
    result says how.
    """
    moved = None
    if problem.settings.avoid_kinks:
        problem, moved = kinks.moved_off(problem)
    return _check_at(problem, claim_seconds, moved)


def _check_at(problem: Problem, claim_seconds: float | None, moved: str | None) -> SpecResult:
    directional_run = problem.mode == "directional"
    engines = {k: v for k, v in ENGINES.items() if not (directional_run and k == "numeric")}
    with np.errstate(all="ignore"):  # non-finite values are reported by compare, not warned about
        found = {name: engine(problem) for name, engine in engines.items()}
        # a gradient of the wrong shape fails its tensor in compare; no direction can be taken
        walks = directional_run and forward_fault(problem, found) is None and shapes_agree(problem, found)
        outcome = directional.check(problem, found) if walks else None
    claims = judge_claims(problem, found, claim_seconds) if problem.claims else ()
    with np.errstate(all="ignore"):
        return compare(problem, found, outcome, claims=claims, moved=moved)


def check_spec(
    path: str | Path, *, seed: int | None = None, show_answer: bool = False, mode: Mode | None = None,
    avoid_kinks: bool | None = None, limits: Limits | None = None, within: tuple[Clock, ...] = (),
) -> Result:
    """Check one spec file of any kind.

    Args:
        path: a network spec or a claim file (YAML with `questions:`).
        seed: overrides the spec's seed.
        show_answer: include the correct derivative in each claim's result (claim files, and
            the claims of a network spec: one example's gradient in matrix form).
        mode: network specs only: ``full``, ``directional`` or ``auto``, overriding the spec.
        avoid_kinks: network specs only: move the point off kinks first (overrides
            ``check.avoid_kinks``).
        limits: time budgets per question, file and run, and whether claim-sheet questions
            are judged in worker processes (default: ``Limits.default()``, isolated).
        within: enclosing totals (a run's) that also bound this file.

    Returns:
        A SpecResult (forward check, per-tensor verdicts) or a SheetResult (per-question
        verdicts, diagnoses, score).

    Raises:
        SpecError: the file is not a valid spec.
        GradcheckError: a seed that is not a non-negative integer, an unknown mode, a path that
            is not a str or Path.
        OutOfBudget: a network spec did not finish within its file's budget.
    """
    seed = _arguments(seed, mode)
    limits = limits or Limits.default()
    start = time.monotonic()
    with budget.limit(*step(limits.file, FILE, *within, Clock.starting(limits.file, FILE))):
        loaded = load(_path(path))
    limits = limits.for_file(loaded.spec.limits)
    clocks = (*within, Clock(start + limits.file, FILE, limits.file))
    if isinstance(loaded.spec, SheetSpec):
        # a sheet's questions keep to the file's clock themselves, in this process or in workers
        return check_sheet(loaded.spec, loaded.source, seed=seed, show_answer=show_answer, limits=limits,
                           within=clocks)
    with budget.limit(*step(limits.file, FILE, *clocks)):
        result = _check_network(loaded, seed, mode, avoid_kinks, limits.question)
        if show_answer and isinstance(result, SpecResult) and result.claims:
            from gradcheck_cli.claims.network_answer import with_answers

            result = with_answers(result, build(loaded, seed=seed))
        return result


def _check_network(loaded: Loaded, seed: int | None, mode: Mode | None, avoid_kinks: bool | None,
                   claim_seconds: float) -> Result:
    problem = build(loaded, seed=seed)
    settings = problem.settings
    if mode is not None:
        settings = dataclasses.replace(settings, mode=mode)
    if avoid_kinks is not None:
        if not isinstance(avoid_kinks, bool):
            raise GradcheckError(f"avoid_kinks must be True, False or None, not {avoid_kinks!r}")
        settings = dataclasses.replace(settings, avoid_kinks=avoid_kinks)
    return check_problem(dataclasses.replace(problem, settings=settings), claim_seconds=claim_seconds)


def spec_files(paths: Iterable[str | Path]) -> list[Path]:
    """The spec files named by ``paths``: files as given, directories searched recursively.

    Raises:
        GradcheckError: a path that does not exist, or a directory without specs.
    """
    found: list[Path] = []
    for raw in [paths] if isinstance(paths, (str, os.PathLike)) else paths:
        path = _path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not inside:
                raise GradcheckError(f"no spec files (*.yaml, *.yml) in {path}")
            found.extend(inside)
        else:
            problem = not_a_file(path)  # a FIFO or /dev/zero is refused before it is opened
            if problem:
                raise GradcheckError(f"{path}: {problem}")
            found.append(path)
    return found


def check_paths(
    paths: Sequence[str | Path],
    *,
    seed: int | None = None,
    show_answer: bool = False,
    mode: Mode | None = None,
    avoid_kinks: bool | None = None,
    progress: Callable[[Path], None] | None = None,
    limits: Limits | None = None,
) -> Report:
    """Check every spec under ``paths``; a spec that fails to load, runs out of its budget or
    meets an unexpected exception becomes an ``error`` result, and the others are checked.

    ``progress``, when given, is called with each spec file's path once it has been checked.
    """
    seed = _arguments(seed, mode)
    limits = limits or Limits.default()
    run = Clock.starting(limits.run, RUN)
    results: list[Result] = []
    for path in spec_files(paths):
        try:
            if run.left() <= 0:
                raise GradcheckError(f"{path}: not checked: {run.what} ran out before it")
            results.append(check_spec(path, seed=seed, show_answer=show_answer, mode=mode,
                                      avoid_kinks=avoid_kinks, limits=limits, within=(run,)))
        except GradcheckError as exc:
            results.append(_broken(path, seed, _placed(str(exc), path)))
        except Exception as exc:
            results.append(_broken(path, seed, f"{path}: {unexpected.reason(exc)}", unexpected.details(exc)))
        if progress is not None:
            progress(path)
    return Report(tuple(results))


def _placed(message: str, path: Path) -> str:
    shown = printable(str(path))  # as the loader names the file
    return message if message.startswith(shown) else f"{shown}: {message}"


def _broken(path: Path, seed: int | None, message: str, details: str | None = None) -> SpecResult:
    return SpecResult(printable(path.stem), printable(str(path)), seed or 0, 0, "", "", (), None, (), message,
                      details=details)
