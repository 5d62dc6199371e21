"""Registry-driven: every op's formula in the expression language (what ``gradcheck derive``
and the answers to network claims are written in) computes what its NumPy forward computes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gradcheck_cli.engines.symbolic_derive import COLS, OUT, ROWS, WEIGHT, YHAT, K, N, X, Y
from gradcheck_cli.expr import compile_expr, to_numpy
from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.ops.layers import Polynomial
from gradcheck_cli.ops.penalty import L2Penalty

LAYER_CASES = [pytest.param(cls, settings, id=f"{kind}-{i}")
               for kind, cls in LAYERS.items() for i, settings in enumerate(cls.examples)]
LOSS_CASES = [pytest.param(cls, settings, id=f"{kind}-{i}")
              for kind, cls in LOSSES.items() for i, settings in enumerate(cls.examples)]


@pytest.mark.parametrize(("cls", "settings"), LAYER_CASES)
def test_every_layer_formula_is_its_forward(cls, settings):  # type: ignore[no-untyped-def]
    op = cls(**settings)
    rng = np.random.default_rng([3, 1])
    n = 1 if isinstance(op, Polynomial) else 4
    params = op.init_params(n, rng)
    names = {local: f"{local}9" for local in params}
    variables = {"a": (n, 1), **{names[k]: (v.shape[0], v.shape[1] if v.ndim == 2 else 1)
                                 for k, v in params.items()}}
    text = op.formula("a", names)
    assert text is not None, f"{cls.kind} has no formula"
    expr = compile_expr(text, variables)
    for _ in range(3):
        a = rng.standard_normal((1, n))
        out, _cache = op.forward(a, params)
        values = {"a": a.T, **{names[k]: v if v.ndim == 2 else v[:, None] for k, v in params.items()}}
        assert np.allclose(to_numpy(expr, values).ravel(), np.asarray(out).ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("cls", "settings"), LOSS_CASES)
def test_every_loss_formula_is_its_forward(cls, settings):  # type: ignore[no-untyped-def]
    loss = cls(**settings)
    k = 3
    found = loss.formula("yhat", "y", k)
    assert found is not None, f"{cls.kind} has no formula"
    text, constants = found
    variables = {"yhat": (k, 1), "y": (k, 1), **{n: v.shape for n, v in constants.items()}}
    expr = compile_expr(text, variables)
    rng = np.random.default_rng([3, 2])
    for _ in range(3):
        if loss.domain == "simplex":
            z = rng.standard_normal(k)
            yhat = np.exp(z) / np.exp(z).sum()
        elif loss.domain == "unit":
            yhat = 1 / (1 + np.exp(-rng.standard_normal(k)))
        else:
            yhat = rng.standard_normal(k)
        y = {"onehot": np.eye(k)[1], "binary": rng.integers(2, size=k).astype(float)}.get(
            loss.targets, rng.standard_normal(k))
        value, _cache = loss.forward(yhat[None, :], y[None, :])
        got = to_numpy(expr, {"yhat": yhat[:, None], "y": y[:, None], **constants})
        assert np.allclose(got.ravel(), np.asarray(value).ravel(), rtol=1e-12, atol=1e-12)


def summed_over(expr: sp.Expr) -> set[str]:
    return {str(limit[0]) for s in expr.atoms(sp.Sum) for limit in s.limits}


@pytest.mark.parametrize(("cls", "settings"), LOSS_CASES)
def test_every_loss_sums_over_the_indices_the_derivation_prints(cls, settings):  # type: ignore[no-untyped-def]
    # `gradcheck derive --index` prints the loss's math as it is: its sums run over i (and j), the
    # names of the course notes, whatever the op
    loss = cls(**settings)
    width = np.shape(settings.get("covariance", ()))[:1] or (2,)  # a covariance's own width
    consts = {name: sp.IndexedBase(name) for name in loss.constants(width[0])}
    indices = summed_over(loss.math(YHAT, Y, K, consts))
    assert indices and indices <= {"i", "j"}


@pytest.mark.parametrize(("cls", "settings"), LAYER_CASES)
def test_every_layer_sums_over_the_index_the_derivation_prints(cls, settings):  # type: ignore[no-untyped-def]
    # a layer's output entry is i; what it sums over (a linear layer's inputs, softmax's entries) is j
    op = cls(**settings)
    params = {name: sp.IndexedBase(name) for name in op.param_shapes(3)}
    assert summed_over(op.math(OUT, X, N, params)) <= {"j"}


def test_the_l2_penalty_sums_over_rows_i_and_columns_j():
    assert summed_over(L2Penalty(strength=0.5).math(WEIGHT, ROWS, COLS)) == {"i", "j"}
