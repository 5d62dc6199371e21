"""The gradient checkers compared, each behind one small adapter.

Every adapter answers three questions about a ``Case`` (a network, a point, and the analytic
gradient to be checked):

* ``run``: the tool's full check of the correct gradient, as a user calls it (this is timed);
* ``verdict``: did it pass, and how far is what the tool computed from the exact gradient;
* ``flags``: does the tool reject a given (broken) analytic gradient?

Tools that compute a numeric gradient once (gradcheck's full check, torch's slow mode,
numdifftools, scipy, the CS231n loop) judge a broken gradient with their own rule against that
numeric gradient; tools that check random projections (torch's fast mode, JAX, gradcheck's
directional mode) are run again with a backward that returns the broken gradient.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import nets
import numpy as np

from gradcheck_cli.api import check_problem
from gradcheck_cli.choices import Scheme
from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients, backprop, directional, numeric
from gradcheck_cli.ops.base import Array
from gradcheck_cli.problem import Problem


@dataclass
class Case:
    """A network at a point, the analytic gradient tools are asked to check (flat, float64
    values; computed in the net's dtype), and gradcheck's view of the same network."""

    net: nets.Net
    analytic: Array
    problem: Problem
    exact: Gradients

    @classmethod
    def of(cls, net: nets.Net) -> Case:
        problem = nets.problem(net)
        exact = backprop.gradients(problem)
        analytic = nets.numpy_grad(net)(net.theta) if net.dtype != "float64" else net.flatten(exact.grads)
        return cls(net, analytic, problem, exact)


@dataclass
class Check:
    """A tool's verdict on the correct gradient.

    ``agreement`` is the relative error of what the tool computed numerically, against the exact
    gradient: max|ĝ - g| / max|g| over all entries, or, for tools that check one random
    projection (``directional``), |numeric - exact| / |exact| of that projection.
    """

    passed: bool
    agreement: float | None = None
    directional: bool = False
    state: Any = None
    note: str = ""


def relative(estimate: Array, exact: Array) -> float:
    return float(np.abs(estimate - exact).max() / max(float(np.abs(exact).max()), 1e-300))


class Tool:
    """One checker. ``per_entry``: its cost grows with the number of parameters."""

    name = "?"
    framework = "numpy"
    per_entry = True

    def missing(self) -> str | None:
        """Why the tool cannot run here (not installed), or None."""
        return None

    def prepare(self, case: Case) -> Any:
        """Untimed set-up (building the framework's function)."""
        return None

    def run(self, case: Case, ready: Any) -> Any:
        raise NotImplementedError

    def verdict(self, case: Case, ready: Any, raw: Any) -> Check:
        raise NotImplementedError

    def flags(self, case: Case, ready: Any, check: Check, broken: Array) -> bool:
        raise NotImplementedError


def _installed(*modules: str) -> str | None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return f"{module} not installed (pip install -e '.[bench]')"
    return None


# --- gradcheck ---------------------------------------------------------------------------------

class GradcheckFull(Tool):
    """``gradcheck_cli.api.check_problem``: symbolic, backprop and numeric engines, compared.

    A broken gradient is judged by ``compare.compare`` (the verdict machinery, with the
    per-entry tolerance of ``compare.tolerance``) between it and the numeric engine's result.
    Float32 code goes through ``gradcheck_cli.usercode.check_function``, the path for user code.
    """

    def __init__(self, scheme: Scheme = "auto") -> None:
        self.scheme = scheme
        self.name = "gradcheck" if scheme == "auto" else f"gradcheck {scheme}"

    def prepare(self, case: Case) -> Problem:
        return dataclasses.replace(case.problem, settings=dataclasses.replace(case.problem.settings,
                                                                              scheme=self.scheme))

    def run(self, case: Case, ready: Problem) -> bool:
        if case.net.dtype != "float64":
            return _check_user_code(case.net, self.scheme, case.analytic)
        return check_problem(ready).verdict == "pass"

    def verdict(self, case: Case, ready: Problem, raw: bool) -> Check:
        if case.net.dtype != "float64":
            return Check(raw, note="check_function (user code)")
        with np.errstate(all="ignore"):
            found = numeric.gradients(ready)
        return Check(raw, relative(case.net.flatten(found.grads), case.analytic), state=found,
                     note=f"scheme {ready.scheme}")

    def flags(self, case: Case, ready: Problem, check: Check, broken: Array) -> bool:
        if case.net.dtype != "float64":
            return not _check_user_code(case.net, self.scheme, broken)
        wrong = dataclasses.replace(case.exact, grads=case.net.split(broken.copy()))
        return compare(ready, {"backprop": wrong, "numeric": check.state}).verdict != "pass"


def _check_user_code(net: nets.Net, scheme: Scheme, g: Array) -> bool:
    """``check_function`` on the net's loss in its dtype, with ``g`` as the user's gradient at θ."""
    from gradcheck_cli.usercode import check_function

    J = nets.numpy_loss(net)
    names = [name for name, _ in net.shapes()]

    def fun(**params: Array) -> float:
        return J(np.concatenate([params[n].reshape(-1) for n in names]))

    def gradient(**params: Array) -> dict[str, Array]:
        return {n: v.astype(net.dtype) for n, v in net.split(g).items()}

    options = {} if scheme == "auto" else {"scheme": scheme}
    inputs = {n: v.astype(net.dtype) for n, v in net.split(net.theta).items()}
    return check_function(fun, gradient, inputs, **options).passed


class GradcheckDirectional(Tool):
    """gradcheck's directional mode: ``gradcheck_cli.engines.directional.check`` of backprop's
    gradient (computed beforehand, untimed: the check is given the gradient it checks, as the
    other tools are) against directional differences along a few random directions."""

    name = "gradcheck directional"
    per_entry = False

    def run(self, case: Case, ready: Any) -> bool:
        if case.net.dtype != "float64":
            raise NotImplementedError("n/a (float32 user code)")
        return directional_check(case.problem, case.exact).passed

    def verdict(self, case: Case, ready: Any, raw: bool) -> Check:
        return Check(raw, directional=True)

    def flags(self, case: Case, ready: Any, check: Check, broken: Array) -> bool:
        wrong = dataclasses.replace(case.exact, grads=case.net.split(broken.copy()))
        return not directional_check(case.problem, wrong).passed


def directional_check(problem: Problem, gradients: Gradients) -> directional.Outcome:
    with np.errstate(all="ignore"):
        return directional.check(problem, {"backprop": gradients})


# --- PyTorch -----------------------------------------------------------------------------------

@dataclass
class Ready:
    """A framework's loss J(θ), its θ tensor, and the numeric Jacobians recorded on the way."""

    loss: Callable[[Any], Any]
    theta: Any
    seen: list[Any] = field(default_factory=list)


class TorchGradcheck(Tool):
    """``torch.autograd.gradcheck`` with its defaults (eps 1e-6, atol 1e-5, rtol 1e-3).

    Slow (full) mode: the numeric Jacobian it computes is recorded on the way (a wrapper
    around its private ``_get_numerical_jacobian``) and a broken gradient is judged by its own
    rule, ``allclose(analytic, numeric, rtol, atol)``. Fast mode checks one random projection
    vᵀJu; a broken gradient is checked by running it on a function whose backward returns it.
    """

    framework = "torch"

    def __init__(self, fast: bool) -> None:
        self.fast = fast
        self.name = "torch fast" if fast else "torch full"
        self.per_entry = not fast

    def missing(self) -> str | None:
        return _installed("torch")

    def prepare(self, case: Case) -> Ready:
        import torch

        theta = torch.tensor(case.net.theta, dtype=getattr(torch, case.net.dtype), requires_grad=True)
        return Ready(nets.torch_loss(case.net), theta)

    def run(self, case: Case, ready: Ready) -> bool:
        import torch

        module = importlib.import_module("torch.autograd.gradcheck")  # the module, not the function
        ready.seen.clear()
        torch.manual_seed(0)  # fast mode's random vectors: the same in every run
        spy = "_check_analytical_numerical_equal" if self.fast else "_get_numerical_jacobian"
        with _recording(module, spy, ready.seen), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # float32 inputs warn: that is part of what is measured
            return bool(torch.autograd.gradcheck(ready.loss, (ready.theta,), fast_mode=self.fast,
                                                 raise_exception=False))

    def verdict(self, case: Case, ready: Ready, raw: bool) -> Check:
        if not ready.seen:
            return Check(raw, note="numeric part not recorded")
        if self.fast:
            args = ready.seen[-1]
            analytical, numerical = (float(_tensors(a)[0].real) for a in args[:2])
            return Check(raw, abs(numerical - analytical) / max(abs(analytical), 1e-300), directional=True)
        estimate = _tensors(ready.seen[-1])[0].detach().double().numpy().reshape(-1)
        return Check(raw, relative(estimate, case.analytic), state=estimate)

    def flags(self, case: Case, ready: Ready, check: Check, broken: Array) -> bool:
        if not self.fast:
            estimate = check.state
            return not bool(np.all(np.abs(broken - estimate) <= 1e-5 + 1e-3 * np.abs(estimate)))
        import torch

        wrong = torch.tensor(broken, dtype=ready.theta.dtype)
        loss = ready.loss

        class Broken(torch.autograd.Function):
            @staticmethod
            def forward(ctx: Any, theta: Any) -> Any:
                return loss(theta)

            @staticmethod
            def backward(ctx: Any, upstream: Any) -> Any:
                return upstream * wrong

        torch.manual_seed(0)
        passed = torch.autograd.gradcheck(Broken.apply, (ready.theta,), fast_mode=True, raise_exception=False)
        return not passed


def _tensors(tree: Any) -> list[Any]:
    """Every tensor in a nest of lists and tuples, depth first."""
    if isinstance(tree, (list, tuple)):
        return [t for item in tree for t in _tensors(item)]
    return [tree] if hasattr(tree, "detach") else []


@contextlib.contextmanager
def _recording(module: Any, name: str, seen: list[Any]) -> Iterator[None]:
    """Record what ``module.name`` is called with (a ``check_close``-like function) or returns
    (anything else), for reading a tool's intermediate numbers; the function still runs."""
    original = getattr(module, name)
    records_args = name.startswith(("_check", "check"))

    def spy(*args: Any, **kwargs: Any) -> Any:
        if records_args:
            seen.append(args)
        out = original(*args, **kwargs)
        if not records_args:
            seen.append(out)
        return out

    setattr(module, name, spy)
    try:
        yield
    finally:
        setattr(module, name, original)


# --- JAX ---------------------------------------------------------------------------------------

class JaxCheckGrads(Tool):
    """``jax.test_util.check_grads(f, (θ,), order=1, modes=["rev"])`` with its defaults (eps 1e-4;
    tolerance 1e-5 in float64, 2e-3 in float32): one random projection of the VJP against a
    central difference along a random direction. Not jitted (a check evaluates f a few times)."""

    name = "jax check_grads"
    framework = "jax"
    per_entry = False

    def missing(self) -> str | None:
        return _installed("jax")

    def prepare(self, case: Case) -> Ready:
        loss = nets.jax_loss(case.net)  # enables float64 first
        import jax.numpy as jnp

        return Ready(loss, jnp.asarray(case.net.theta, dtype=case.net.dtype))

    def run(self, case: Case, ready: Ready) -> bool:
        return self._passes(ready, ready.loss)

    def _passes(self, ready: Ready, loss: Callable[[Any], Any]) -> bool:
        from jax._src import public_test_util
        from jax.test_util import check_grads

        ready.seen.clear()
        with _recording(public_test_util, "check_close", ready.seen):
            try:
                check_grads(loss, (ready.theta,), order=1, modes=["rev"])  # type: ignore[no-untyped-call]
            except AssertionError:
                return False
        return True

    def verdict(self, case: Case, ready: Ready, raw: bool) -> Check:
        if not ready.seen:
            return Check(raw)
        analytic, numerical = (float(np.asarray(v)) for v in ready.seen[-1][:2])
        return Check(raw, abs(numerical - analytic) / max(abs(analytic), 1e-300), directional=True)

    def flags(self, case: Case, ready: Ready, check: Check, broken: Array) -> bool:
        import jax
        import jax.numpy as jnp

        wrong = jnp.asarray(broken, dtype=case.net.dtype)
        loss = ready.loss

        @jax.custom_vjp
        def f(theta: Any) -> Any:
            return loss(theta)

        def forward(theta: Any) -> tuple[Any, None]:
            return loss(theta), None

        def backward(_: None, upstream: Any) -> tuple[Any]:
            return (upstream * wrong,)

        f.defvjp(forward, backward)
        return not self._passes(ready, f)


# --- tools that return a numeric gradient -------------------------------------------------------

class NumericVector(Tool):
    """A tool that computes a numeric gradient ĝ once; a gradient g passes when ``accept(g, ĝ)``."""

    rule = ""

    def prepare(self, case: Case) -> Callable[[Array], float]:
        return nets.numpy_loss(case.net)

    def estimate(self, case: Case, J: Callable[[Array], float]) -> Array:
        raise NotImplementedError

    def accept(self, g: Array, estimate: Array) -> bool:
        raise NotImplementedError

    def run(self, case: Case, ready: Callable[[Array], float]) -> tuple[bool, Array | None]:
        estimate = self.estimate(case, ready)
        return self.accept(case.analytic, estimate), estimate

    def verdict(self, case: Case, ready: Callable[[Array], float], raw: tuple[bool, Array | None]) -> Check:
        passed, estimate = raw
        if estimate is None:  # the tool does not return it: recompute it, untimed
            estimate = self.estimate(case, ready)
        return Check(passed, relative(estimate, case.analytic), state=estimate, note=self.rule)

    def flags(self, case: Case, ready: Any, check: Check, broken: Array) -> bool:
        return not self.accept(broken, check.state)


class Numdifftools(NumericVector):
    """``numdifftools.Gradient(f)(θ)`` (adaptive central differences with Richardson
    extrapolation); no built-in verdict, so the customary test is applied:
    ``np.testing.assert_allclose(g, ĝ)`` (rtol 1e-7, atol 0)."""

    name = "numdifftools"
    rule = "assert_allclose(g, ĝ): rtol 1e-7"

    def missing(self) -> str | None:
        return _installed("numdifftools")

    def estimate(self, case: Case, J: Callable[[Array], float]) -> Array:
        import numdifftools  # type: ignore[import-untyped]

        return np.asarray(numdifftools.Gradient(J)(case.net.theta.astype(case.net.dtype)), dtype=np.float64)

    def accept(self, g: Array, estimate: Array) -> bool:
        return bool(np.all(np.abs(g - estimate) <= 1e-7 * np.abs(estimate)))


class ScipyCheckGrad(NumericVector):
    """``scipy.optimize.check_grad(f, grad, θ)``: ‖g - ĝ‖₂ with forward differences (step
    √eps); no built-in verdict, so the test applied is ‖g - ĝ‖₂ ≤ 1e-6·‖g‖₂."""

    name = "scipy check_grad"
    rule = "‖g - ĝ‖₂ ≤ 1e-6 ‖g‖₂"

    def missing(self) -> str | None:
        return _installed("scipy")

    def run(self, case: Case, ready: Callable[[Array], float]) -> tuple[bool, Array | None]:
        from scipy.optimize import check_grad  # type: ignore[import-untyped]

        # the forward differences check_grad computes, recorded on the way (it returns only a norm)
        seen: list[Any] = []
        with _recording(importlib.import_module("scipy.optimize._optimize"), "approx_fprime", seen):
            distance = check_grad(ready, lambda _: case.analytic, case.net.theta.astype(case.net.dtype))
        estimate = np.asarray(seen[-1], dtype=np.float64) if seen else None
        return bool(distance <= 1e-6 * np.linalg.norm(case.analytic)), estimate

    def estimate(self, case: Case, J: Callable[[Array], float]) -> Array:
        """The forward differences ``check_grad`` compares with (same function, same step)."""
        from scipy.optimize import approx_fprime

        return np.asarray(approx_fprime(case.net.theta.astype(case.net.dtype), J), dtype=np.float64)

    def accept(self, g: Array, estimate: Array) -> bool:
        return bool(np.linalg.norm(g - estimate) <= 1e-6 * np.linalg.norm(g))


def eval_numerical_gradient(f: Callable[[Array], float], x: Array, verbose: bool = False,
                            h: float = 0.00001) -> Array:
    """CS231n's ``gradient_check.eval_numerical_gradient``: a central difference per entry,
    perturbing ``x`` in place (as the assignments' models read their parameters)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        fxph = f(x)
        x[ix] = oldval - h
        fxmh = f(x)
        x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def rel_error(x: Array, y: Array) -> float:
    """CS231n's ``rel_error``: max |x - y| / max(1e-8, |x| + |y|)."""
    return float(np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y)))))


class CS231n(NumericVector):
    """The CS231n loop: ``eval_numerical_gradient`` (h = 1e-5) and ``rel_error(g, ĝ) < 1e-7``."""

    name = "CS231n loop"
    rule = "rel_error < 1e-7"

    def estimate(self, case: Case, J: Callable[[Array], float]) -> Array:
        theta = case.net.theta.astype(case.net.dtype)  # a copy: the loop perturbs it in place
        return np.asarray(eval_numerical_gradient(J, theta), dtype=np.float64)

    def accept(self, g: Array, estimate: Array) -> bool:
        return rel_error(g, estimate) < 1e-7


def all_tools() -> list[Tool]:
    return [GradcheckFull(), GradcheckFull("central"), GradcheckDirectional(), TorchGradcheck(fast=False),
            TorchGradcheck(fast=True), JaxCheckGrads(), Numdifftools(), ScipyCheckGrad(), CS231n()]
