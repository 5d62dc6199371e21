"""gradcheck: check gradients three ways — symbolic, backprop and finite differences — and check
your own gradient code (``check_function``, ``check_vjp``, ``check_layer``) against finite
differences.

The public names are loaded on first use (Scientific Python's SPEC 1 lazy loading), so that
``import gradcheck_cli`` and ``gradcheck --version`` load neither NumPy's users nor SymPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → the module that defines it
_HOMES = {
    "GradcheckError": "gradcheck_cli.errors",
    "SpecError": "gradcheck_cli.errors",
    "Result": "gradcheck_cli.usercode",
    "UserCodeError": "gradcheck_cli.usercode",
    "assert_gradients_ok": "gradcheck_cli.usercode",
    "check_function": "gradcheck_cli.usercode",
    "check_layer": "gradcheck_cli.usercode",
    "check_vjp": "gradcheck_cli.usercode",
}

__all__ = [
    "GradcheckError",
    "Result",
    "SpecError",
    "UserCodeError",
    "__version__",
    "assert_gradients_ok",
    "check_function",
    "check_layer",
    "check_vjp",
]

if TYPE_CHECKING:
    from gradcheck_cli.errors import GradcheckError, SpecError
    from gradcheck_cli.usercode import (
        Result,
        UserCodeError,
        assert_gradients_ok,
        check_function,
        check_layer,
        check_vjp,
    )


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
