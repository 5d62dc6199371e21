"""Check your own gradient code — a loss and its gradient, a function and its VJP, a layer's
forward and backward — against finite differences with a justified tolerance per entry.

This package calls the user's code; nothing in a spec file ever reaches it.
"""

from __future__ import annotations

from gradcheck_cli.usercode.calls import UserCodeError
from gradcheck_cli.usercode.check import assert_gradients_ok, check_function, check_layer, check_vjp
from gradcheck_cli.usercode.options import Options
from gradcheck_cli.usercode.result import Result
from gradcheck_cli.usercode.verdict import InputResult

__all__ = [
    "InputResult",
    "Options",
    "Result",
    "UserCodeError",
    "assert_gradients_ok",
    "check_function",
    "check_layer",
    "check_vjp",
]
