"""pytest plugin: ``*.gradcheck.yaml`` spec files are collected as tests, one item per check.

A network spec gives one item per checked tensor, one for the forward and one per claim; a
claim file one per question. Items come from the spec itself, so every xdist worker collects
the same ones; the check runs once per file per process, on the first item that needs it.
``--gradcheck-seed N`` overrides every spec's seed. Registered through the ``pytest11`` entry
point; gradcheck itself is imported only when a spec file is collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gradcheck_cli.results import Result
    from gradcheck_cli.spec.loader import Loaded

SUFFIXES = (".gradcheck.yaml", ".gradcheck.yml")
#: (key of the check within its spec, item name, where the check is written: a YAML path)
Planned = tuple[tuple[str | int, ...], str, tuple[str | int, ...]]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradient checks of *.gradcheck.yaml spec files")
    group.addoption("--gradcheck-seed", type=int, default=None, metavar="N",
                    help="Override the seed of every gradcheck spec.")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if file_path.name.endswith(SUFFIXES):
        return SpecFile.from_parent(parent, path=file_path)
    return None


class CheckFailed(Exception):
    """A check of a spec did not pass: its one-line reason, the evidence, the seed used."""

    def __init__(self, message: str, detail: str = "", seed: int | None = None) -> None:
        super().__init__(message)
        self.message, self.detail, self.seed = message, detail, seed


class SpecFile(pytest.File):
    """One spec file; its check runs at most once, and its result is kept here."""

    _result: Result | None = None
    _failure: CheckFailed | None = None

    @property
    def seed(self) -> int | None:
        seed: int | None = self.config.getoption("gradcheck_seed")
        return seed

    def collect(self) -> Iterator[CheckItem]:
        from gradcheck_cli.errors import GradcheckError
        from gradcheck_cli.spec.loader import load

        try:
            loaded = load(self.path)
            planned = _plan(loaded, self.seed)
        except GradcheckError as exc:
            yield CheckItem.from_parent(self, name="load spec", key=("load",), line=exc.line,
                                        failure=str(exc))
            return
        except Exception as exc:
            from gradcheck_cli import unexpected

            yield CheckItem.from_parent(self, name="load spec", key=("load",), line=None,
                                        failure=unexpected.reason(exc))
            return
        for key, name, loc in planned:
            yield CheckItem.from_parent(self, name=name, key=key, line=loaded.source.where(loc)[0])

    def result(self) -> Result:
        """The spec's result, checked on first use.

        Raises:
            CheckFailed: the spec could not be checked (the same for every item of the file).
        """
        if self._failure is not None:
            raise self._failure
        if self._result is None:
            from gradcheck_cli import unexpected
            from gradcheck_cli.api import check_spec
            from gradcheck_cli.errors import GradcheckError

            try:
                self._result = check_spec(self.path, seed=self.seed)
            except GradcheckError as exc:
                self._failure = CheckFailed(str(exc), seed=self.seed)
            except Exception as exc:
                self._failure = CheckFailed(unexpected.reason(exc), seed=self.seed)
            if self._failure is not None:
                raise self._failure
        assert self._result is not None
        return self._result


class CheckItem(pytest.Item):
    """One check: a tensor, the forward, a claim or a question of a spec file."""

    def __init__(self, *, key: tuple[str | int, ...], line: int | None, failure: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key, self.line, self.failure = key, line, failure

    def runtest(self) -> None:
        from gradcheck_cli.report.plain import checks

        if self.failure is not None:
            raise CheckFailed(self.failure)
        assert isinstance(self.parent, SpecFile)
        result = self.parent.result()
        if result.error is not None:
            raise CheckFailed(result.error, seed=result.seed)
        found = {check.key: check for check in checks(result)}
        check = found.get(self.key)
        if check is None and self.key != ("forward",):  # a forward that passed is not listed
            raise CheckFailed(f"`{self.name}` is missing from the report", seed=result.seed)
        if check is not None and check.outcome != "pass":
            raise CheckFailed(check.message, check.detail, result.seed)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if not isinstance(excinfo.value, CheckFailed):
            return super().repr_failure(excinfo)
        failed = excinfo.value
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        seed = "" if failed.seed is None else f" (seed {failed.seed})"
        lines = [failed.message, f"  in {where}: {self.name}{seed}"]
        if failed.detail:
            lines += ["", failed.detail]
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None if self.line is None else self.line - 1, f"gradcheck: {self.name}"


def _plan(loaded: Loaded, seed: int | None) -> list[Planned]:
    """The checks a spec will have, named, with the YAML path each is written at."""
    from gradcheck_cli.spec.build import build
    from gradcheck_cli.spec.sheet_models import SheetSpec

    if isinstance(loaded.spec, SheetSpec):
        names = [q.name for q in loaded.spec.questions]
        return [(("question", i), name if names.count(name) == 1 else f"{name} #{i + 1}", ("questions", i))
                for i, name in enumerate(names)]
    problem = build(loaded, seed=seed)
    owners = {name: ("network", node.index) for node in problem.nodes for name in node.params.values()}
    planned: list[Planned] = [(("tensor", name), name, owners.get(name, ("wrt",))) for name in problem.wrt]
    planned.append((("forward",), "forward", ("network",)))
    planned += [(("claim", name), f"claim {name}", ("claims", name)) for name in loaded.spec.claims]
    return planned
