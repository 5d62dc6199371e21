"""Calling the user's code: copies in, checked values out, the user's own traceback on failure.

Every call gets fresh copies of the inputs, so user code that writes into its arguments (an
in-place ``x -= mean``, a ``bn_param`` that records running statistics) can neither change the
caller's arrays nor the points the check evaluates later.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gradcheck_cli.arrays import Array
from gradcheck_cli.errors import GradcheckError

#: Frames from files under this directory are ours and are left out of the user's traceback.
_OURS = Path(__file__).resolve().parents[1]


class UserCodeError(GradcheckError):
    """The user's function raised, or returned something that cannot be checked.

    ``details`` holds the user's traceback (frames from their own files only) when their code
    raised, for the CLI to print above the one-line message.
    """

    def __init__(self, message: str, *, details: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.details = details


def name_of(fn: object) -> str:
    """How a user's callable is named in messages: its qualified name, from its enclosing
    function on (``Net.loss``, ``loss``; not ``test_x.<locals>.loss``)."""
    name = str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))
    return name.rpartition("<locals>.")[2]


def user_traceback(exc: BaseException) -> str | None:
    """The traceback of ``exc`` without our frames (nor importlib's): what the user wrote; None
    when none of it is theirs (the one-line message says it all)."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith("<frozen") and not _is_ours(f.filename)
    ]
    if not frames and not isinstance(exc, SyntaxError):
        return None
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip("\n")


def _is_ours(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(_OURS)
    except (OSError, ValueError):
        return False


#: Joins a dict input's name and a key inside it: ``params.W`` for ``inputs["params"]["W"]``. A
#: keyword argument's name cannot contain it, so a dotted name is always one of ours.
NESTED = "."


def fresh(values: Mapping[str, Any]) -> dict[str, Any]:
    """Copies of every value, as keyword arguments: arrays copied, anything else deep-copied where
    it can be; dotted names (``params.W``) put back into their dict (``params={"W": …}``)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            copied = value.copy()
        else:
            try:
                copied = copy.deepcopy(value)
            except Exception:  # an uncopyable object (a module, a lock) is passed as it is
                copied = value
        outer, dot, inner = name.partition(NESTED)
        if dot:
            out.setdefault(outer, {})[inner] = copied
        else:
            out[name] = copied
    return out


def flat(returned: Mapping[Any, Any], wrt: Sequence[str]) -> dict[Any, Any]:
    """A returned dict of gradients with dict inputs' entries under their dotted names: a nested
    ``{"params": {"W": g}}``, or a bare ``{"W": g}`` when only one dict input has a ``W``."""
    out: dict[Any, Any] = {}
    inner = {name.partition(NESTED)[2]: name for name in wrt if NESTED in name}
    unique = {key: name for key, name in inner.items()
              if sum(n.partition(NESTED)[2] == key for n in wrt) == 1}
    for key, value in returned.items():
        if isinstance(value, Mapping):
            out.update({f"{key}{NESTED}{k}": v for k, v in value.items()})
        elif key not in wrt and key in unique:
            out[unique[key]] = value
        else:
            out[key] = value
    return out


def call(fn: Callable[..., Any], doing: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; an exception in it becomes a UserCodeError saying what we were doing.

    Raises:
        UserCodeError: with the user's traceback in ``details`` and the exception as cause.
    """
    try:
        return fn(*args, **kwargs)
    except TypeError as exc:
        mismatch = _mismatch(fn, args, kwargs)
        if mismatch is None:
            raise _raised(fn, doing, exc) from exc
        raise UserCodeError(f"`{name_of(fn)}` cannot be called with {_described(args, kwargs)}: {mismatch} "
                            f"({doing})", hint=_signature_hint(fn)) from None
    except (Exception, SystemExit) as exc:
        raise _raised(fn, doing, exc) from exc


def _raised(fn: Callable[..., Any], doing: str, exc: BaseException) -> UserCodeError:
    """The error for an exception in the user's code, with their traceback."""
    summary = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = f"`{name_of(fn)}` raised {type(exc).__name__}{': ' + summary if summary else ''} ({doing})"
    return UserCodeError(message, details=user_traceback(exc))


def _mismatch(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> str | None:
    """Why ``fn``'s signature does not take these arguments; None when it does (a TypeError
    then came from inside the user's code) or when it has no signature to read."""
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        return str(exc)
    except ValueError:  # a builtin without a signature
        return None
    return None


def _described(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = ([f"{len(args)} positional argument{'s' if len(args) != 1 else ''}"] if args else []) + (
        [f"the keywords {', '.join(kwargs)}"] if kwargs else [])
    return " and ".join(parts) or "no arguments"


def _signature_hint(fn: Callable[..., Any]) -> str:
    return (f"it is defined as {name_of(fn)}{inspect.signature(fn)}: name the inputs after its parameters, "
            "or pass them as a tuple to call it positionally")


def call_for_pair(fn: Callable[..., Any], what: str, doing: str, point: Mapping[str, Any]) -> tuple[Any, Any]:
    """``fn(**point)`` (on fresh copies), which must return a pair: ``what`` says which.

    Raises:
        UserCodeError: it raised, or returned something else than a pair.
    """
    returned = call(fn, doing, **fresh(point))
    if not (isinstance(returned, tuple) and len(returned) == 2):
        raise UserCodeError(f"`{name_of(fn)}` must return {what}, not {type(returned).__name__} ({doing})")
    return returned[0], returned[1]


def as_output(value: Any, who: str, doing: str, *, scalar: bool) -> Array:
    """The user's output as an array of floats (its own dtype kept, to judge its precision).

    Raises:
        UserCodeError: not numeric, not a scalar when one is expected, or not finite.
    """
    try:
        out = np.asarray(value)
    except Exception:
        out = np.asarray(None, dtype=object)
    if out.dtype.kind not in "fciub":
        hint = None
        if scalar and isinstance(value, tuple) and len(value) == 2:
            hint = ("if it returns (loss, gradient), leave the gradient function out: "
                    "check_function(fun, None, inputs), or `gradcheck func FILE.py:fun` without --grad")
        raise UserCodeError(f"`{who}` returned {type(value).__name__}, not numbers ({doing})", hint=hint)
    if scalar and out.size != 1:
        raise UserCodeError(f"`{who}` must return a scalar loss but returned an array of shape "
                            f"{out.shape} ({doing})", hint="reduce it to one number, e.g. with .mean()")
    if out.dtype.kind in "iub":
        out = out.astype(np.float64)
    if not np.isfinite(out).all():
        bad = "nan" if np.isnan(out).any() else "inf"
        raise UserCodeError(f"`{who}` returned {bad} ({doing})")
    return out.reshape(()) if scalar else out


def gradients(
    returned: Any, who: str, wrt: Sequence[str], shapes: Mapping[str, tuple[int, ...]], doing: str
) -> dict[str, Array]:
    """The gradients the user returned, by name: a dict, a tuple in the order of ``wrt``, or a
    single array when there is one input to differentiate.

    Raises:
        UserCodeError: a missing name, a wrong count, or a value that is not finite. (A gradient
            of the wrong shape is returned as it is: it is a wrong gradient, which the check fails.)
    """
    if isinstance(returned, Mapping):
        by_name = flat(returned, wrt)
    elif isinstance(returned, (tuple, list)) and not _is_row_of_numbers(returned, wrt):
        if len(returned) != len(wrt):
            raise UserCodeError(f"`{who}` returned {len(returned)} gradients for {len(wrt)} inputs "
                                f"({', '.join(wrt)}) ({doing})",
                                hint="return them in that order, or as a dict")
        by_name = dict(zip(wrt, returned, strict=True))
    elif len(wrt) == 1:
        by_name = {wrt[0]: returned}
    else:
        raise UserCodeError(f"`{who}` returned {type(returned).__name__}; expected a dict of gradients "
                            f"for {', '.join(wrt)} ({doing})")
    return {name: _one(by_name, name, who, shapes[name], doing) for name in wrt}


def _is_row_of_numbers(returned: Sequence[Any], wrt: Sequence[str]) -> bool:
    return len(wrt) == 1 and all(isinstance(v, (int, float)) for v in returned)


def _one(by_name: Mapping[Any, Any], name: str, who: str, shape: tuple[int, ...], doing: str) -> Array:
    if name not in by_name:
        given = ", ".join(str(k) for k in by_name) or "nothing"
        close = difflib.get_close_matches(name.lower(), [str(k).lower() for k in by_name], n=1, cutoff=0.5)
        hint = (f"is `{next(str(k) for k in by_name if str(k).lower() == close[0])}` meant to be `{name}`? "
                "the keys must be the input names" if close else "pass `wrt` to check only some inputs")
        raise UserCodeError(f"`{who}` returned no gradient for `{name}`; it returned: {given} ({doing})",
                            hint=hint)
    value = by_name[name]
    try:
        grad = np.asarray(value)
    except Exception:
        grad = np.asarray(None, dtype=object)
    if grad.dtype.kind == "c":
        raise UserCodeError(f"`{who}` returned complex numbers ({grad.dtype}) as the gradient of `{name}` "
                            f"({doing}); the gradient of a real function is real",
                            hint="return its real part only if the imaginary part is a rounding residue; "
                                 "a complex-valued function is checked as two real ones (.real and .imag)")
    if grad.dtype.kind not in "fiu":
        raise UserCodeError(f"`{who}` returned {type(value).__name__} as the gradient of `{name}`, "
                            f"not an array of floats ({doing})")
    if not np.isfinite(grad).all():
        bad = "nan" if np.isnan(grad).any() else "inf"
        raise UserCodeError(f"`{who}` returned {bad} in the gradient of `{name}` ({doing})")
    return grad
