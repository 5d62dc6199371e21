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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
#: keyword argument's name cannot contain it, so a dotted name is always one of ours. An entry of a
#: list or tuple is named by its index: ``params[0][1]``.
NESTED = "."

#: How deep inputs are unpacked into their entries; what is nested deeper is passed as it is.
MAX_NESTING = 16

#: A step into a container: a dict's key or a list's index.
Key = str | int


def entry_name(path: Sequence[Key]) -> str:
    """``params[0][1]`` for ``("params", 0, 1)``, ``params.W`` for ``("params", "W")``."""
    return str(path[0]) + "".join(f"[{k}]" if isinstance(k, int) else f"{NESTED}{k}" for k in path[1:])


def top_of(name: str) -> str:
    """The input an entry's name belongs to: ``params`` for ``params[0][1]`` and ``params.W``."""
    return name.split(NESTED, 1)[0].split("[", 1)[0]


@dataclass(frozen=True)
class Layout:
    """How the inputs, held flat by name (``x``, ``params.W``, ``params[0][1]``), become the
    user's arguments, and how the gradients the user returns in that same structure are named.

    Dicts, lists and tuples of arrays are unpacked into one input per entry, so each is checked
    and reported on its own; every call gets them back in their own containers.
    """

    #: the inputs passed positionally, in order; the others are passed by keyword
    positional: tuple[str, ...] = ()
    #: where each unpacked entry sits: its input's name, then dict keys and list indices
    paths: Mapping[str, tuple[Key, ...]] = field(default_factory=dict)
    #: the container at each path that was unpacked (dict, list or tuple), with its keys in order
    containers: Mapping[tuple[Key, ...], tuple[type, tuple[Key, ...]]] = field(default_factory=dict)

    @classmethod
    def unpacking(cls, inputs: Mapping[str, Any], named: set[str], positional: tuple[str, ...] = ()
                  ) -> tuple[Layout, dict[str, Any]]:
        """The layout of ``inputs`` with those ``named`` unpacked, and the inputs held flat."""
        paths: dict[str, tuple[Key, ...]] = {}
        containers: dict[tuple[Key, ...], tuple[type, tuple[Key, ...]]] = {}
        flat: dict[str, Any] = {}

        def walk(path: tuple[Key, ...], value: Any) -> None:
            keys = _keys(value) if len(path) <= MAX_NESTING else None
            if keys is None:
                name = entry_name(path)
                flat[name] = value
                if len(path) > 1:
                    paths[name] = path
                return
            containers[path] = (dict if isinstance(value, Mapping) else type(value), keys)
            for key in keys:
                walk((*path, key), value[key])

        for name, value in inputs.items():
            if name in named:
                walk((name,), value)
            else:
                flat[name] = value
        return cls(positional, paths, containers), flat

    def arguments(self, point: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Copies of every value, as positional and keyword arguments: arrays copied, anything
        else deep-copied where it can be, unpacked entries put back into their containers."""
        root: dict[Key, Any] = {}
        for name, value in point.items():
            path = self.paths.get(name) or _dotted(name)
            node = root
            for depth in range(1, len(path)):
                node = node.setdefault(path[depth - 1], _Node())
            node[path[-1]] = _copied(value)
        built = {str(k): self._rebuilt((k,), v) for k, v in root.items()}
        return [built.pop(name) for name in self.positional], built

    def _rebuilt(self, path: tuple[Key, ...], node: Any) -> Any:
        if not isinstance(node, _Node):
            return node
        kind, keys = self.containers.get(path, (dict, tuple(node)))
        items = [self._rebuilt((*path, k), node[k]) for k in keys]
        return dict(zip(keys, items, strict=True)) if kind is dict else kind(items)

    def structured(self, name: str, value: Any, who: str, doing: str) -> dict[str, Any] | None:
        """The gradient of input ``name`` given in its own structure, by entry name; None when
        that input was not unpacked.

        Raises:
            UserCodeError: a list or tuple of another length than the input's, or another kind.
        """
        if (name,) not in self.containers:
            return None
        out: dict[str, Any] = {}
        self._match((name,), value, out, who, doing)
        return out

    def _match(self, path: tuple[Key, ...], value: Any, out: dict[str, Any], who: str, doing: str) -> None:
        if path not in self.containers:
            out[entry_name(path)] = value
            return
        kind, keys = self.containers[path]
        if kind is dict and isinstance(value, Mapping):
            for key in keys:
                if key in value:
                    self._match((*path, key), value[key], out, who, doing)
            return
        if kind is not dict and isinstance(value, (list, tuple)) and len(value) == len(keys):
            for key in keys:
                self._match((*path, key), value[int(key)], out, who, doing)
            return
        given = f"a {type(value).__name__} of {len(value)}" if isinstance(value, (list, tuple, dict)) else (
            f"a {type(value).__name__}")
        raise UserCodeError(f"`{who}` returned {given} as the gradient of `{entry_name(path)}`, which is "
                            f"a {kind.__name__} of {len(keys)} ({doing})",
                            hint="return each gradient in the structure of its input")

    def fits(self, path: tuple[Key, ...], value: Any) -> bool:
        """Whether ``value`` has the structure of the input at ``path``, at every depth."""
        if path not in self.containers:
            return True
        kind, keys = self.containers[path]
        if kind is dict:
            return isinstance(value, Mapping)
        return isinstance(value, (list, tuple)) and len(value) == len(keys) and all(
            self.fits((*path, k), value[int(k)]) for k in keys)

    def tops(self, wrt: Iterable[str]) -> tuple[str, ...]:
        """The inputs the entries in ``wrt`` belong to, in order."""
        return tuple(dict.fromkeys(top_of(n) if n in self.paths else n for n in wrt))


class _Node(dict[Key, Any]):
    """A container being rebuilt (a leaf that is itself a dict is not one)."""


def _keys(value: Any) -> tuple[Key, ...] | None:
    """The keys to unpack ``value`` by: a non-empty dict with str keys, or a non-empty list or
    tuple of anything but bare numbers (``[0.5, 2.0]`` is one array-like input); None otherwise."""
    if isinstance(value, Mapping):
        return tuple(value) if value and all(isinstance(k, str) for k in value) else None
    if type(value) in (list, tuple) and value and not any(isinstance(v, (int, float, complex, np.number))
                                                         for v in value):
        return tuple(range(len(value)))
    return None


def _dotted(name: str) -> tuple[Key, ...]:
    outer, dot, inner = name.partition(NESTED)
    return (outer, inner) if dot else (name,)


def _copied(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:  # an uncopyable object (a module, a lock) is passed as it is
        return value


def fresh(values: Mapping[str, Any], layout: Layout | None = None) -> dict[str, Any]:
    """Copies of every value, as keyword arguments (see ``Layout.arguments``); dotted names
    (``params.W``) put back into their dict (``params={"W": …}``) when no layout is given."""
    return (layout or Layout()).arguments(values)[1]


def call_at(fn: Callable[..., Any], doing: str, layout: Layout, point: Mapping[str, Any], *first: Any) -> Any:
    """``fn(*first, *args, **kwargs)`` with the arguments ``layout`` makes of fresh copies of ``point``."""
    args, kwargs = layout.arguments(point)
    return call(fn, doing, *first, *args, **kwargs)


def flat(returned: Mapping[Any, Any], wrt: Sequence[str], layout: Layout | None = None,
         who: str = "", doing: str = "") -> dict[Any, Any]:
    """A returned dict of gradients with inputs' entries under their names: a nested
    ``{"params": {"W": g}}`` or ``{"params": [(g, g)]}``, or a bare ``{"W": g}`` when only one
    dict input has a ``W``."""
    layout = layout or Layout()
    tops = layout.tops(wrt)
    if len(tops) == 1 and tops[0] not in returned and layout.containers.get((tops[0],), (None,))[0] is dict:
        return layout.structured(tops[0], returned, who, doing) or {}  # the one dict input's, bare
    out: dict[Any, Any] = {}
    inner = {name.partition(NESTED)[2]: name for name in wrt if NESTED in name}
    unique = {key: name for key, name in inner.items()
              if sum(n.partition(NESTED)[2] == key for n in wrt) == 1}
    for key, value in returned.items():
        structured = layout.structured(key, value, who, doing) if isinstance(key, str) else None
        if structured is not None:
            out.update(structured)
            continue
        entries = {f"{key}{NESTED}{k}": v for k, v in value.items()} if isinstance(value, Mapping) else {
            key: value}
        out.update({unique[k] if k not in wrt and k in unique else k: v for k, v in entries.items()})
    return out


def call(fn: Callable[..., Any], doing: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; an exception in it becomes a UserCodeError saying what we were doing.

    Raises:
        UserCodeError: with the user's traceback in ``details`` and the exception as cause.
    """
    try:
        return fn(*args, **kwargs)
    except UserCodeError:
        raise  # an adapter's own sentence about the code it wraps (gradcheck_cli.torch)
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
            "or (from Python) pass them as a tuple to call it positionally")


def call_for_pair(
    fn: Callable[..., Any], what: str, doing: str, point: Mapping[str, Any], layout: Layout | None = None
) -> tuple[Any, Any]:
    """``fn`` at ``point`` (see ``call_at``), which must return a pair: ``what`` says which.

    Raises:
        UserCodeError: it raised, or returned something else than a pair.
    """
    returned = call_at(fn, doing, layout or Layout(), point)
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
    pair = scalar and isinstance(value, tuple) and len(value) == 2
    hint = ("if it returns (loss, gradient), leave the gradient function out: check_function(fun, None, "
            "inputs), or `gradcheck func FILE.py:fun` without --grad; if it returns (loss, aux), check "
            f"the loss alone: lambda *a, **k: {who}(*a, **k)[0]") if pair else None
    if out.dtype.kind not in "fciub":
        raise UserCodeError(f"`{who}` returned {type(value).__name__}, not numbers ({doing})", hint=hint)
    if scalar and out.size != 1:
        raise UserCodeError(f"`{who}` must return a scalar loss but returned "
                            f"{'a tuple of two' if pair else f'an array of shape {out.shape}'} ({doing})",
                            hint=hint or "reduce it to one number, e.g. with .mean()")
    if out.dtype.kind in "iub":
        out = out.astype(np.float64)
    if not np.isfinite(out).all():
        bad = "nan" if np.isnan(out).any() else "inf"
        raise UserCodeError(f"`{who}` returned {bad} ({doing})")
    return out.reshape(()) if scalar else out


def gradients(
    returned: Any, who: str, wrt: Sequence[str], shapes: Mapping[str, tuple[int, ...]], doing: str,
    layout: Layout | None = None,
) -> dict[str, Array]:
    """The gradients the user returned, by name: a dict; a tuple in the order of the inputs
    differentiated (each in its input's structure: ``autograd.grad(f, argnum=(0, 1))``), of all
    the positional arguments, or of ``wrt``; the one input's gradient in its own structure; or a
    single array when there is one input to differentiate.

    Raises:
        UserCodeError: a missing name, a wrong count or structure, or a value that is not finite.
            (A gradient of the wrong shape is returned as it is: it is a wrong gradient, which the
            check fails.)
    """
    layout = layout or Layout()
    if _is_value_and_gradient(returned, wrt, shapes, layout):
        returned = returned[1]
    if isinstance(returned, Mapping):
        by_name = flat(returned, wrt, layout, who, doing)
    elif isinstance(returned, (tuple, list)) and not _is_row_of_numbers(returned, wrt):
        by_name = _in_order(returned, who, wrt, layout, doing)
    elif len(wrt) == 1:
        by_name = {wrt[0]: returned}
    else:
        by_name = _of_one_input(returned, who, wrt, layout, doing)
    return {name: _one(by_name, name, who, shapes[name], doing) for name in wrt}


def _is_value_and_gradient(
    returned: Any, wrt: Sequence[str], shapes: Mapping[str, tuple[int, ...]], layout: Layout
) -> bool:
    """Whether ``returned`` is ``(value, gradient)``, as ``jax.value_and_grad`` returns it: a
    pair led by a bare number where that number can be no input's gradient (none is a scalar)
    or no order of two gradients exists."""
    if not (isinstance(returned, tuple) and len(returned) == 2 and _is_number(returned[0])):
        return False
    if all(shapes[n] != () for n in wrt):
        return True
    return all(len(order) != 2 for order in (layout.positional, layout.tops(wrt), tuple(wrt)))


def _is_number(value: Any) -> bool:
    """A bare real number: a Python or NumPy scalar, or a 0-d array of any array library."""
    if isinstance(value, (int, float, np.floating, np.integer)):
        return True
    if not hasattr(value, "shape") or tuple(value.shape) != ():
        return False
    try:
        return np.asarray(value).dtype.kind in "fiu"
    except Exception:  # an object that only looks like an array
        return False


def _in_order(returned: Sequence[Any], who: str, wrt: Sequence[str], layout: Layout, doing: str
              ) -> dict[Any, Any]:
    """A list or tuple of gradients, by name: taken in the first of the orders ``gradients``
    names whose structure it has, at every depth."""
    tops = layout.tops(wrt)
    for order in (layout.positional, tops):
        pairs = list(zip(order, returned, strict=False))
        if len(order) == len(returned) and all(layout.fits((n,), v) for n, v in pairs):
            out: dict[Any, Any] = {}
            for top, value in pairs:
                out.update(layout.structured(top, value, who, doing) or {top: value})
            return out
    if len(tops) == 1 and (tops[0],) in layout.containers:
        return _of_one_input(returned, who, wrt, layout, doing)
    if len(returned) != len(wrt):
        raise UserCodeError(f"`{who}` returned {len(returned)} gradients for {len(tops)} inputs "
                            f"({', '.join(tops)}) ({doing})", hint="return them in that order, or as a dict")
    return dict(zip(wrt, returned, strict=True))


def _of_one_input(returned: Any, who: str, wrt: Sequence[str], layout: Layout, doing: str) -> dict[str, Any]:
    """The gradient of the one input differentiated, in that input's structure."""
    tops = layout.tops(wrt)
    structured = layout.structured(tops[0], returned, who, doing) if len(tops) == 1 else None
    if structured is None:
        raise UserCodeError(f"`{who}` returned {type(returned).__name__}; expected a dict of gradients "
                            f"for {', '.join(wrt)} ({doing})")
    return structured


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
