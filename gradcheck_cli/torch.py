"""Check a PyTorch gradient rule with gradcheck's error model instead of
``torch.autograd.gradcheck``'s fixed tolerances: a ``torch.autograd.Function``'s backward, or
the backward torch derives for any function of tensors (a ``torch.library`` custom op, a loss).

    from gradcheck_cli.torch import check_torch

    result = check_torch(MyFn, (x, w))     # MyFn.apply(x, w); MyFn.backward is what is judged
    result = check_torch(loss, (params, x), wrt="params")

It is ``check_vjp`` with the tensors as NumPy arrays: forward is differenced, backward is asked
for ⟨c, forward⟩ under random cotangents and the rows of the Jacobian. Each tensor is passed back
in its own dtype, device and strides (a transposed view stays one), so float32 code is judged by
the float32 rules (precision-limited) and a backward that assumes contiguous inputs is caught
the way training would catch it. A Function's backward is called as torch's engine calls it —
its gradients cast to each input's dtype and summed down to its shape where they broadcast — but
one of another shape reaches the verdict as it came (a failed check of kind ``transpose`` or
``shape``, not torch's RuntimeError).

Needs PyTorch, which gradcheck never requires: ``import gradcheck_cli`` does not import this
module, and this module is the only one that imports ``torch``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck_cli.arrays import Array
from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.usercode import Result, UserCodeError, check_vjp
from gradcheck_cli.usercode.calls import NESTED, entry_name, name_of

try:
    import torch
except ImportError:
    raise ModuleNotFoundError("gradcheck_cli.torch checks PyTorch code, and PyTorch is not installed",
                              name="torch") from None

__all__ = ["check_torch"]


@dataclass(frozen=True)
class _Leaf:
    """A tensor among the inputs: what it is passed back as, and whether it is differentiated."""

    dtype: Any
    device: Any
    size: tuple[int, ...]
    stride: tuple[int, ...] | None  # None: contiguous
    differentiate: bool


#: The inputs' structure with every tensor replaced by its _Leaf (anything else by None).
Template = Any


def check_torch(
    fn: Callable[..., Any], inputs: Sequence[Any] | Any, *, wrt: str | Sequence[str] | None = None,
    **options: Any,
) -> Result:
    """Check the backward of ``fn`` at ``inputs`` against finite differences of its forward.

    Args:
        fn: a ``torch.autograd.Function`` subclass (called as ``fn.apply(*inputs)``; its own
            ``backward`` is judged), or any function of tensors (torch's derived backward is).
            It returns a tensor, or a tuple of tensors (checked as one function of them all).
        inputs: the arguments, in order (one tensor alone is one argument). Tensors may sit in
            lists, tuples and dicts (``[(W1, b1), (W2, b2)]``), except for a Function, whose
            backward differentiates its own arguments only.
        wrt: the inputs to differentiate, named after ``fn``'s parameters (``W``, ``params[0][1]``);
            default: the tensors that require grad, or every floating tensor when none does.
        **options: as for ``check_vjp``: ``scheme``, ``step``, ``atol``, ``rtol``, ``seed``, ``probes``.

    Returns:
        The verdict per input, as ``check_vjp`` returns it.

    Raises:
        GradcheckError: bad inputs or ``wrt``; ``UserCodeError`` when ``fn`` raises or returns
            something that is not tensors.
    """
    function = isinstance(fn, type) and issubclass(fn, torch.autograd.Function)
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    names = _names(fn, len(args), function)
    chosen = _chosen(names, args, wrt, function)
    templates = [_template(name, value, chosen) for name, value in zip(names, args, strict=True)]
    forward, vjp = _pair(fn, names, templates, function)
    arrays = tuple(_as_numpy(value) for value in args)
    return check_vjp(forward, vjp, arrays, wrt=tuple(chosen), **options)


def _names(fn: Callable[..., Any], count: int, function: bool) -> list[str]:
    """The inputs' names: ``fn``'s positional parameters (a Function's forward's, ``ctx`` left
    out), then ``arg3``, ``arg4``… for the rest (all ``argN`` if they repeat)."""
    target = fn.forward if function else fn  # type: ignore[attr-defined]
    try:
        parameters = [p.name for p in inspect.signature(target).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # a builtin without a signature
        parameters = []
    if function and not _sets_up_context(fn):
        parameters = parameters[1:]
    names = parameters[:count] + [f"arg{i}" for i in range(len(parameters[:count]), count)]
    return names if len(set(names)) == count else [f"arg{i}" for i in range(count)]


def _sets_up_context(fn: Any) -> bool:
    """Whether a Function has a ``setup_context`` of its own, so its forward takes no ``ctx``."""
    return fn.setup_context is not torch.autograd.Function.setup_context


def _tensors(path: tuple[Any, ...], value: Any) -> Iterator[tuple[str, Any]]:
    """Every tensor in ``value`` (found in lists, tuples and dicts), by its entry name."""
    if isinstance(value, torch.Tensor):
        yield entry_name(path), value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _tensors((*path, str(key)), item)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _tensors((*path, i), item)


def _chosen(names: list[str], args: tuple[Any, ...], wrt: str | Sequence[str] | None, function: bool
            ) -> list[str]:
    """The floating tensors to differentiate, by entry name.

    Raises:
        GradcheckError: ``wrt`` names no floating tensor, or one inside an argument of a Function.
    """
    found = {n: t for name, value in zip(names, args, strict=True) for n, t in _tensors((name,), value)}
    floating = [n for n, t in found.items() if t.is_floating_point()]
    if wrt is None:
        # a Function's backward differentiates its own arguments, not tensors inside them
        candidates = [n for n in floating if n in names] if function else floating
        chosen = [n for n in candidates if found[n].requires_grad] or candidates
    else:
        chosen = []
        for w in (wrt,) if isinstance(wrt, str) else wrt:
            inside = [n for n in floating if n == w or n.startswith((w + NESTED, w + "["))]
            if not inside:
                hint = did_you_mean(w, floating) or f"floating tensors: {', '.join(floating) or 'none'}"
                raise GradcheckError(f"`wrt` names `{w}`, which is not a floating tensor among the inputs",
                                     hint=hint)
            chosen += [n for n in inside if n not in chosen]
    if not chosen:
        raise GradcheckError("no floating tensor among the inputs to differentiate",
                             hint="pass the inputs as torch tensors of a floating dtype")
    nested = [n for n in chosen if n not in names]
    if function and nested:
        raise GradcheckError(f"`{nested[0]}` is inside an argument: a torch.autograd.Function's backward "
                             "differentiates its own arguments only", hint="pass the tensor as an argument")
    return chosen


def _template(name: str, value: Any, chosen: list[str], path: tuple[Any, ...] = ()) -> Template:
    """``value``'s structure with each tensor as a _Leaf.

    Raises:
        GradcheckError: a bfloat16 tensor (NumPy has no bfloat16 to difference it in).
    """
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bfloat16:
            raise GradcheckError(f"`{entry_name((name, *path))}` is bfloat16, which has no NumPy type to "
                                 "take differences in", hint="check the code in float32: .float()")
        expanded = any(s == 0 and n > 1 for s, n in zip(value.stride(), value.shape, strict=True))
        # an expanded tensor's entries share memory: each is passed (and checked) as its own
        stride = None if value.is_contiguous() or expanded else tuple(value.stride())
        return _Leaf(value.dtype, value.device, tuple(value.shape), stride,
                     entry_name((name, *path)) in chosen)
    if isinstance(value, Mapping):
        return {k: _template(name, v, chosen, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_template(name, v, chosen, (*path, i)) for i, v in enumerate(value))
    return None


def _as_numpy(value: Any) -> Any:
    """``value`` with every tensor as a NumPy copy in its own dtype."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().resolve_conj().numpy().copy()
    if isinstance(value, Mapping):
        return {k: _as_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_as_numpy(v) for v in value)
    return value


def _as_torch(value: Any, template: Template) -> Any:
    """``value`` (as the check passes it) with every tensor back in its dtype, device and strides,
    requiring grad where it is differentiated."""
    if isinstance(template, _Leaf):
        tensor = torch.as_tensor(np.asarray(value)).to(dtype=template.dtype, device=template.device)
        if template.stride is not None:
            tensor = torch.empty_strided(template.size, template.stride, dtype=template.dtype,
                                         device=template.device).copy_(tensor)
        return tensor.requires_grad_(template.differentiate)
    if isinstance(template, Mapping):
        return {k: _as_torch(value[k], t) for k, t in template.items()}
    if isinstance(template, (list, tuple)):
        return type(template)(_as_torch(v, t) for v, t in zip(value, template, strict=True))
    return value


def _leaves(value: Any, template: Template) -> Iterator[Any]:
    """The differentiated tensors in ``value``, in the order of ``template``."""
    if isinstance(template, _Leaf):
        if template.differentiate:
            yield value
    elif isinstance(template, Mapping):
        for k, t in template.items():
            yield from _leaves(value[k], t)
    elif isinstance(template, (list, tuple)):
        for v, t in zip(value, template, strict=True):
            yield from _leaves(v, t)


def _placed(template: Template, grads: Iterator[Array]) -> Any:
    """The next gradients from ``grads`` in the structure of ``template``; None where nothing
    is differentiated."""
    if isinstance(template, _Leaf):
        return next(grads) if template.differentiate else None
    if isinstance(template, Mapping):
        return {k: _placed(t, grads) for k, t in template.items()}
    if isinstance(template, (list, tuple)):
        return type(template)(_placed(t, grads) for t in template)
    return None


def _pair(fn: Callable[..., Any], names: list[str], templates: list[Template], function: bool
          ) -> tuple[Callable[..., Array], Callable[..., Any]]:
    """``check_vjp``'s forward and VJP of ``fn``, taking and returning NumPy arrays; each named
    for messages and signed with the inputs' names (the check names the inputs after them)."""
    call = fn.apply if function else fn  # type: ignore[attr-defined]
    name = fn.__qualname__.rpartition("<locals>.")[2] if function else name_of(fn)

    def forward(*args: Any) -> Array:
        with torch.no_grad():
            return _joined(_outputs(call(*_back(args, templates)), name), name)

    def vjp(c: Array, *args: Any) -> Any:
        tensors = _back(args, templates)
        with torch.enable_grad():
            outs = _outputs(call(*tensors), name)
        cotangents = _cotangents(c, outs)
        if function:
            grads = _function_backward(outs, cotangents, tensors, templates, name)
        else:
            grads = _derived_backward(outs, cotangents, tensors, templates)
        remaining = iter(grads)
        return tuple(_placed(t, remaining) for t in templates)

    forward.__qualname__ = forward.__name__ = f"{name}.forward" if function else name
    vjp.__qualname__ = vjp.__name__ = f"{name}.backward" if function else f"torch's backward of {name}"
    vjp.__wrapped__ = fn.backward if function else fn  # type: ignore[attr-defined]  # its file, in reports
    signature = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names]
    forward.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    vjp.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("cotangent", inspect.Parameter.POSITIONAL_ONLY), *signature])
    return forward, vjp


def _back(args: Sequence[Any], templates: list[Template]) -> list[Any]:
    return [_as_torch(value, template) for value, template in zip(args, templates, strict=True)]


def _outputs(out: Any, name: str) -> tuple[Any, ...]:
    """What ``fn`` returned, as a tuple of tensors.

    Raises:
        UserCodeError: something other than a tensor or a tuple (or list) of tensors.
    """
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if not outs or not all(isinstance(o, torch.Tensor) for o in outs):
        raise UserCodeError(f"`{name}` returned {type(out).__name__}, not a tensor or a tuple of tensors")
    return outs


def _differentiable(out: Any) -> bool:
    """Whether gradients flow back from an output: a floating one (integer outputs, such as
    indices, are constant under small moves)."""
    return bool(out.is_floating_point() or out.is_complex())


def _joined(outs: Sequence[Any], name: str) -> Array:
    """The differentiable outputs as one array: the one output in its shape, several flattened
    and concatenated (in the lowest precision among them, which the check then judges by).

    Raises:
        UserCodeError: no output is floating.
    """
    arrays: list[Array] = [o.detach().cpu().resolve_conj().numpy() for o in outs if _differentiable(o)]
    if not arrays:
        raise UserCodeError(f"`{name}` returned no floating tensor, so there is nothing to differentiate")
    if len(arrays) == 1:
        return arrays[0]
    lowest = max((a.dtype for a in arrays), key=lambda d: np.finfo(d).eps)
    return np.concatenate([a.reshape(-1).astype(lowest) for a in arrays])


def _cotangents(c: Array, outs: Sequence[Any]) -> list[Any]:
    """``c`` split over the outputs, each in its shape and dtype; zeros for integer outputs."""
    flat = np.asarray(c).reshape(-1)
    found, start = [], 0
    for out in outs:
        if _differentiable(out):
            piece = flat[start:start + out.numel()].reshape(tuple(out.shape))
            found.append(torch.as_tensor(piece).to(dtype=out.dtype, device=out.device))
            start += out.numel()
        else:
            found.append(torch.zeros_like(out))
    return found


def _derived_backward(outs: Sequence[Any], cotangents: Sequence[Any], tensors: Sequence[Any],
                      templates: list[Template]) -> list[Array]:
    """The gradients torch's autograd engine computes for ``fn``, a zero where an input is unused."""
    leaves = [leaf for value, t in zip(tensors, templates, strict=True) for leaf in _leaves(value, t)]
    pairs = [(o, c) for o, c in zip(outs, cotangents, strict=True) if o.requires_grad]
    if not pairs:
        return [np.zeros(tuple(leaf.shape), dtype=_numpy_dtype(leaf)) for leaf in leaves]
    grads = torch.autograd.grad([o for o, _ in pairs], leaves, [c for _, c in pairs], allow_unused=True)
    return [_numpy(g, leaf) for g, leaf in zip(grads, leaves, strict=True)]


def _function_backward(outs: Sequence[Any], cotangents: Sequence[Any], tensors: Sequence[Any],
                       templates: list[Template], name: str) -> list[Array]:
    """The Function's own backward, called as the engine calls it (``ctx`` is its graph node),
    its gradients read as the engine reads them: None is zero, the dtype is the input's, and a
    gradient the input's shape broadcasts to is summed down to it. Another shape is kept, for
    the check to fail.

    Raises:
        UserCodeError: no output is differentiable, or backward returns the wrong number of values.
    """
    node = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
    if node is None:
        raise UserCodeError(f"no output of `{name}` is differentiable (is every one marked "
                            "non-differentiable?)")
    with torch.no_grad():
        returned = node.apply(*cotangents)
    grads = list(returned) if isinstance(returned, (tuple, list)) else [returned]
    while len(grads) > len(tensors) and grads[-1] is None:
        grads.pop()  # torch allows extra Nones
    if len(grads) != len(tensors):
        raise UserCodeError(f"`{name}.backward` returned {len(grads)} gradients for the {len(tensors)} "
                            f"inputs of forward (computing the VJP with a cotangent)",
                            hint="return one per input of forward, None for those not differentiated")
    found = []
    for grad, tensor, template in zip(grads, tensors, templates, strict=True):
        if isinstance(template, _Leaf) and template.differentiate:
            if isinstance(grad, torch.Tensor) and grad.shape != tensor.shape and _broadcasts(tensor, grad):
                grad = grad.sum_to_size(tensor.shape)
            found.append(_numpy(grad, tensor))
    return found


def _broadcasts(tensor: Any, grad: Any) -> bool:
    try:
        return tuple(torch.broadcast_shapes(tensor.shape, grad.shape)) == tuple(grad.shape)
    except RuntimeError:
        return False


def _numpy(grad: Any, like: Any) -> Any:
    """A gradient as NumPy in the input's dtype (a zero array for None); what is not a tensor is
    left for the check to judge as it is."""
    if grad is None:
        return np.zeros(tuple(like.shape), dtype=_numpy_dtype(like))
    if not isinstance(grad, torch.Tensor):
        return grad
    return grad.detach().to(dtype=like.dtype).cpu().resolve_conj().numpy()


def _numpy_dtype(tensor: Any) -> np.dtype[Any]:
    return np.dtype(str(tensor.dtype).removeprefix("torch."))
