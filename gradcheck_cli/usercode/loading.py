"""Import the user's functions by reference: ``FILE.py:NAME`` or ``MODULE:NAME``.

This runs the user's module, which is why only ``gradcheck func`` does it, and says so.
A file's directory is on ``sys.path`` only while it is imported (for its sibling modules).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.spec.source import not_a_file
from gradcheck_cli.usercode.calls import UserCodeError, user_traceback

FORMS = "FILE.py:NAME or MODULE:NAME"


class Loader:
    """Imports each module once per run, however many references name it."""

    def __init__(self) -> None:
        self._modules: dict[str, ModuleType] = {}

    def function(self, reference: str, role: str) -> Callable[..., Any]:
        """The callable ``reference`` names.

        Raises:
            GradcheckError: a malformed reference, a missing file, module or attribute, or an
                attribute that is not callable; UserCodeError when importing the module raises.
        """
        where, _, attr = reference.strip().rpartition(":")
        if not where or not attr:
            raise GradcheckError(f"{role} `{reference}` must be written {FORMS}")
        module = self._module(where, role)
        found: Any = module
        for part in attr.split("."):
            if not hasattr(found, part):
                names = [n for n in dir(found) if not n.startswith("_")]
                hint = did_you_mean(part, names) or _callables(found)
                raise GradcheckError(f"{role}: `{where}` has no `{attr}`", hint=hint)
            found = getattr(found, part)
        if not callable(found):
            raise GradcheckError(f"{role}: `{reference}` is a {type(found).__name__}, not a function")
        return found  # type: ignore[no-any-return]

    def _module(self, where: str, role: str) -> ModuleType:
        if where not in self._modules:
            is_file = where.endswith(".py") or "/" in where or "\\" in where
            self._modules[where] = _from_file(Path(where), role) if is_file else _from_name(where, role)
        return self._modules[where]


def _from_file(path: Path, role: str) -> ModuleType:
    problem = not_a_file(path)  # a FIFO or /dev/zero is refused before it is opened
    if problem:
        raise GradcheckError(f"{role}: {path}: {problem}")
    resolved = path.resolve()
    name = f"_gradcheck_user_{resolved.stem}_{abs(hash(str(resolved))):x}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise GradcheckError(f"{role}: {path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with _on_path(str(resolved.parent)):
        _run_import(lambda: spec.loader.exec_module(module), str(path))  # type: ignore[union-attr]
    return module


def _from_name(name: str, role: str) -> ModuleType:
    with _on_path(str(Path.cwd())):
        try:
            module: ModuleType = _run_import(lambda: importlib.import_module(name), name)
            return module
        except UserCodeError as exc:
            cause = exc.__cause__
            if isinstance(cause, ModuleNotFoundError) and cause.name and name.startswith(cause.name):
                raise GradcheckError(f"{role}: no module named `{name}`",
                                     hint=f"write {FORMS}; a file path must end in .py") from None
            raise


def _run_import(load: Callable[[], Any], what: str) -> Any:
    try:
        return load()
    except (Exception, SystemExit) as exc:
        raise UserCodeError(f"importing {what} raised {type(exc).__name__}: {exc}",
                            details=user_traceback(exc)) from exc


@contextmanager
def _on_path(directory: str) -> Iterator[None]:
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        if directory in sys.path:
            sys.path.remove(directory)


def _callables(module: Any) -> str | None:
    names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
    return f"it defines: {', '.join(names[:12])}" if names else None
