"""What ``gradcheck func`` does, apart from parsing and rendering: import, load inputs, check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.usercode import inputs as inputs_file
from gradcheck_cli.usercode.check import check_function, check_layer, check_vjp
from gradcheck_cli.usercode.loading import FORMS, Loader
from gradcheck_cli.usercode.result import Result

if TYPE_CHECKING:
    from gradcheck_cli.steps import Curve


@dataclass(frozen=True)
class Request:
    """The command line of ``gradcheck func``, as given."""

    inputs: Path
    fun: str | None = None
    grad: str | None = None
    vjp: str | None = None
    layer: str | None = None
    wrt: tuple[str, ...] = ()
    seed: int | None = None
    scheme: str | None = None


def run(request: Request) -> Result:
    """Import the user's functions, build the inputs, and check.

    Raises:
        GradcheckError: bad arguments, inputs or references; UserCodeError when the user's code
            raises (its traceback in ``details``) or returns something unusable.
    """
    given = [flag for flag, v in (("--grad", request.grad), ("--vjp", request.vjp),
                                  ("--layer", request.layer)) if v]
    if len(given) > 1:
        raise GradcheckError(f"give at most one of --grad, --vjp and --layer (got {' and '.join(given)})")
    if request.layer and request.fun:
        raise GradcheckError("with --layer, forward and backward both come from --layer: drop FUN")
    if not request.layer and not request.fun:
        raise GradcheckError(f"name the function to differentiate: gradcheck func {FORMS} "
                             f"{given[0] if given else '--grad …'}")
    values, file_wrt, seed = inputs_file.load(request.inputs, seed=request.seed)
    wrt = request.wrt or file_wrt
    options: dict[str, Any] = {"seed": seed}
    if request.scheme is not None:
        options["scheme"] = request.scheme
    loader = Loader()
    if request.layer:
        forward, backward = _layer(request.layer)
        return check_layer(loader.function(forward, "--layer forward"),
                           loader.function(backward, "--layer backward"), values, wrt=wrt, **options)
    assert request.fun is not None
    fun = loader.function(request.fun, "FUN")
    if request.vjp:
        return check_vjp(fun, loader.function(request.vjp, "--vjp"), values, wrt=wrt, **options)
    # without --grad, FUN returns (loss, gradient) itself
    grad = loader.function(request.grad, "--grad") if request.grad else None
    return check_function(fun, grad, values, wrt=wrt, **options)


def _layer(reference: str) -> tuple[str, str]:
    """``FILE.py:forward,backward`` → (``FILE.py:forward``, ``FILE.py:backward``)."""
    where, _, names = reference.rpartition(":")
    parts = [p.strip() for p in names.split(",")]
    if not where or len(parts) != 2 or not all(parts):
        raise GradcheckError(f"--layer `{reference}` must be written FILE.py:FORWARD,BACKWARD "
                             "(or MODULE:FORWARD,BACKWARD)")
    return f"{where}:{parts[0]}", f"{where}:{parts[1]}"


def steps_curve(target: str, grad: str | None, inputs: Path | None, entry: str | None,
                wrt: tuple[str, ...] = (), scheme: str | None = None) -> Curve:
    """What ``gradcheck steps FILE.py:loss [--grad …] --inputs …`` plots: import, load, trace.
    The inputs, their seed and ``wrt`` (default: the inputs file's) are read as ``gradcheck func``
    reads them, and the scheme is ``gradcheck func``'s (default Richardson); without --grad the
    loss returns (loss, gradient).

    Raises:
        GradcheckError: a missing --inputs, or what loading the inputs and the code raises.
    """
    from gradcheck_cli import steps

    if inputs is None:
        raise GradcheckError("for a function, give --inputs INPUTS (and --grad FILE.py:grad, unless "
                             "the loss returns (loss, gradient))")
    loader = Loader()
    values, file_wrt, seed = inputs_file.load(inputs)
    fun = loader.function(target, "TARGET")
    gradient = loader.function(grad, "--grad") if grad else None
    options = {"scheme": scheme} if scheme is not None else {}
    return steps.for_function(fun, gradient, values, entry, wrt=wrt or file_wrt, seed=seed, **options)
