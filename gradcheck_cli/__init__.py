"""gradcheck: check gradients three ways — symbolic, backprop and finite differences — and check
your own gradient code (``check_function``, ``check_vjp``, ``check_layer``) against finite
differences."""

from __future__ import annotations

__version__ = "0.1.0"

# After __version__: the reporters the user-code results render through read it.
from gradcheck_cli.errors import GradcheckError, SpecError
from gradcheck_cli.usercode import (
    Result,
    UserCodeError,
    assert_gradients_ok,
    check_function,
    check_layer,
    check_vjp,
)

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
