"""Registry-driven: every registered op and loss, in every example setting, over a grid of
shapes, must make the three engines agree. A new op is tested here without a new test."""

from __future__ import annotations

import numpy as np
import pytest
from problems import make_problem

from gradcheck_cli.api import check_problem
from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.ops.layers import Linear, Polynomial
from gradcheck_cli.ops.losses import HalfSquaredError, SquaredError

LAYER_CASES = [
    pytest.param(cls, settings, id=f"{kind}-{i}")
    for kind, cls in LAYERS.items()
    for i, settings in enumerate(cls.examples)
]
LOSS_CASES = [
    pytest.param(cls, settings, id=f"{kind}-{i}")
    for kind, cls in LOSSES.items()
    for i, settings in enumerate(cls.examples)
]


def _network_around(op):  # type: ignore[no-untyped-def]
    if isinstance(op, Polynomial):
        return [op, Linear(out=2)], 1
    return [Linear(out=4), op, Linear(out=3)], 3


@pytest.mark.parametrize(("cls", "settings"), LAYER_CASES)
@pytest.mark.parametrize("batch", [1, 6])
def test_every_layer_passes_with_all_engines_agreeing(cls, settings, batch):  # type: ignore[no-untyped-def]
    layers, inputs = _network_around(cls.model_validate(settings))
    result = check_problem(make_problem(layers, SquaredError(), inputs=inputs, batch=batch))
    failing = [(t.name, t.explanation) for t in result.tensors if t.verdict != "pass"]
    assert failing == []
    assert result.forward is not None and result.forward.passed


@pytest.mark.parametrize(("cls", "settings"), LOSS_CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_loss_passes_with_all_engines_agreeing(cls, settings, reduction):  # type: ignore[no-untyped-def]
    problem = make_problem([Linear(out=3)], cls.model_validate(settings), batch=4, reduction=reduction)
    result = check_problem(problem)
    assert [t.name for t in result.tensors if t.verdict != "pass"] == []
    assert result.forward is not None and result.forward.passed


@pytest.mark.parametrize(("cls", "settings"), LAYER_CASES)
def test_every_layer_forward_broadcasts_over_leading_axes(cls, settings):  # type: ignore[no-untyped-def]
    """The numeric engine stacks perturbed copies on a leading axis; each copy must give what
    the op gives for that copy alone."""
    op = cls.model_validate(settings)
    rng = np.random.default_rng(1)
    n_in = 1 if isinstance(op, Polynomial) else 3
    params = op.init_params(n_in, rng)
    stack = rng.standard_normal((2, 4, n_in))
    stacked_params = {k: np.stack([v, v + 0.1]) for k, v in params.items()}
    together, _ = op.forward(stack, stacked_params)
    for copy in range(2):
        alone, _ = op.forward(stack[copy], {k: v[copy] for k, v in stacked_params.items()})
        np.testing.assert_allclose(together[copy], alone, rtol=1e-14, atol=1e-14)


def test_the_l2_penalty_passes_and_adds_lambda_times_w():
    problem = make_problem([Linear(out=2)], HalfSquaredError(), l2=0.3, wrt=["W0"])
    plain = make_problem([Linear(out=2)], HalfSquaredError(), wrt=["W0"])
    result = check_problem(problem)
    assert all(t.verdict == "pass" for t in result.tensors)
    from gradcheck_cli.engines import backprop

    diff = backprop.gradients(problem).grads["W0"] - backprop.gradients(plain).grads["W0"]
    np.testing.assert_allclose(diff, 0.3 * problem.values["W0"], rtol=1e-12)


def test_every_op_has_a_docstring_with_its_formula():
    for cls in [*LAYERS.values(), *LOSSES.values()]:
        assert cls.__doc__ and "=" in cls.__doc__.splitlines()[0], cls.kind
