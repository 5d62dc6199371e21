"""NumPy layers with hand-written backward passes, in the style of a deep-learning course
assignment: ``*_forward`` returns ``(out, cache)``, ``*_backward(dout, cache)`` returns the
gradients of the layer's inputs in the order of its forward's arguments.

This is user code: gradcheck does not import it except where a test or ``gradcheck func`` asks
it to. ``test_numpy_layers.py`` checks every layer with ``gradcheck_cli.check_layer``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, Any]:
    """out = x w + b for a batch x (N × D), w (D × M), b (M)."""
    return x @ w + b, (x, w)


def affine_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x: Array) -> tuple[Array, Any]:
    return np.maximum(x, 0.0), x


def relu_backward(dout: Array, cache: Any) -> Array:
    x = cache
    return dout * (x > 0)


def softmax_loss(x: Array, y: Array) -> tuple[float, Array]:
    """Mean softmax cross-entropy of scores x (N × C) with integer labels y, and dL/dx."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -float(log_probs[np.arange(n), y].mean())
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1.0
    return loss, dx / n


def batchnorm_forward(x: Array, gamma: Array, beta: Array, eps: float = 1e-5) -> tuple[Array, Any]:
    """Batch normalisation in training mode: normalise each feature by the batch's own mean and
    variance, then scale by gamma and shift by beta."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def batchnorm_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    """The compact form: dx = (1/N)·γ·σ⁻¹·(N·dout − Σ dout − x̂·Σ dout·x̂), per feature."""
    x_hat, inv_std, gamma = cache
    n = dout.shape[0]
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx = gamma * inv_std / n * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def rnn_step_forward(x: Array, h_prev: Array, wx: Array, wh: Array, b: Array) -> tuple[Array, Any]:
    """One step of a vanilla RNN: h = tanh(x wx + h_prev wh + b)."""
    h = np.tanh(x @ wx + h_prev @ wh + b)
    return h, (x, h_prev, wx, wh, h)


def rnn_step_backward(dh: Array, cache: Any) -> tuple[Array, Array, Array, Array, Array]:
    x, h_prev, wx, wh, h = cache
    dz = dh * (1.0 - h * h)
    return dz @ wx.T, dz @ wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)
