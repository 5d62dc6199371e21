"""The backprop engine against closed forms worked out by hand in the course notes."""

from __future__ import annotations

import numpy as np
from problems import make_problem

from gradcheck_cli.engines import backprop
from gradcheck_cli.ops.activations import Identity, ReLU
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import HalfSquaredError, SoftmaxCrossEntropy


def test_linear_layer_with_half_squared_error_gives_the_mean_outer_product():
    p = make_problem([Linear(out=2), Identity()], HalfSquaredError(), batch=7)
    grads = backprop.gradients(p).grads
    W, b, x, y = p.values["W0"], p.values["b0"], p.x, p.y
    delta = (x @ W.T + b - y) / 7  # ∂J/∂z per example, with the 1/m of the mean
    np.testing.assert_allclose(grads["W0"], delta.T @ x, rtol=1e-13)
    np.testing.assert_allclose(grads["b0"], delta.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(grads["x"], delta @ W, rtol=1e-13)


def test_relu_softmax_network_follows_the_delta_recursion_of_the_notes():
    """δ₁ = ŷ - y, δ₂ = δ₁U ∘ ReLU′(z); ∂J/∂U = δ₁ᵀh, ∂J/∂W = δ₂ᵀx (one example)."""
    p = make_problem([Linear(out=5), ReLU(), Linear(out=3)], SoftmaxCrossEntropy(), batch=1, inputs=4)
    W, b1, U, b2 = (p.values[k] for k in ("W0", "b0", "W1", "b1"))
    z = p.x @ W.T + b1
    h = np.maximum(z, 0)
    theta = h @ U.T + b2
    yhat = np.exp(theta) / np.exp(theta).sum()
    delta1 = yhat - p.y
    delta2 = (delta1 @ U) * (z > 0)
    grads = backprop.gradients(p).grads
    np.testing.assert_allclose(grads["W1"], delta1.T @ h, rtol=1e-12)
    np.testing.assert_allclose(grads["W0"], delta2.T @ p.x, rtol=1e-12)
    np.testing.assert_allclose(grads["x"], delta2 @ W, rtol=1e-12)


def test_cotangents_run_from_the_input_to_the_loss():
    p = make_problem([Linear(out=4), ReLU(), Linear(out=2)], HalfSquaredError(), batch=3)
    cot = backprop.gradients(p).cotangents
    assert [c.shape for c in cot] == [(3, 3), (3, 4), (3, 4), (3, 2)]
