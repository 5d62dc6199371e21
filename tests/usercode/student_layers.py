"""Layers and losses with hand-written backward passes, written as a CS231n student would —
correct ones, and the typical bugs, each a separate named function.

Forward functions return ``(out, cache)``; backward functions take ``(dout, cache)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


# --- affine ------------------------------------------------------------------------------------

def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, Any]:
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x, w, _b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def affine_backward_db_wrong_axis(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    dx, dw, _ = affine_backward(dout, cache)
    return dx, dw, dout.sum(axis=1)


def affine_backward_transposed_dw(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x, _w, _b = cache
    dx, _, db = affine_backward(dout, cache)
    return dx, dout.T @ x.reshape(x.shape[0], -1), db


# --- activations -------------------------------------------------------------------------------

def relu_forward(x: Array) -> tuple[Array, Any]:
    return np.maximum(0, x), x


def relu_backward(dout: Array, cache: Any) -> Array:
    return dout * (cache > 0)


def sigmoid_forward(x: Array) -> tuple[Array, Any]:
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout: Array, cache: Any) -> Array:
    s = cache
    return dout * s * (1 - s)


def sigmoid_backward_missing_derivative(dout: Array, cache: Any) -> Array:
    return dout * cache


def tanh_forward(x: Array) -> tuple[Array, Any]:
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: Array, cache: Any) -> Array:
    return dout * (1 - cache**2)


# --- losses (CS231n style: return the loss and dx together) ---------------------------------------

def softmax_loss(x: Array, y: Array) -> tuple[float, Array]:
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return float(loss), dx / n


def softmax_value(x: Array, y: Array) -> float:
    return softmax_loss(x, y)[0]


def softmax_grad(x: Array, y: Array) -> dict[str, Array]:
    return {"x": softmax_loss(x, y)[1]}


def softmax_grad_missing_mean(x: Array, y: Array) -> dict[str, Array]:
    return {"x": softmax_loss(x, y)[1] * x.shape[0]}


def svm_loss(x: Array, y: Array) -> tuple[float, Array]:
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    positive = (margins > 0).astype(float)
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return float(loss), positive / n


def svm_value(x: Array, y: Array) -> float:
    return svm_loss(x, y)[0]


def svm_grad(x: Array, y: Array) -> dict[str, Array]:
    return {"x": svm_loss(x, y)[1]}


# --- batch norm (training mode, full backward through mean and variance) -------------------------

def batchnorm_forward(x: Array, gamma: Array, beta: Array, bn_param: dict[str, Any]) -> tuple[Array, Any]:
    eps = bn_param.get("eps", 1e-5)
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    bn_param["running_mean"] = mu  # students do write into bn_param
    return gamma * x_hat + beta, (x, x_hat, mu, var, eps, gamma)


def batchnorm_backward(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x, x_hat, mu, var, eps, gamma = cache
    n = x.shape[0]
    dx_hat = dout * gamma
    inv_std = 1 / np.sqrt(var + eps)
    dvar = (dx_hat * (x - mu) * -0.5 * inv_std**3).sum(axis=0)
    dmu = (-dx_hat * inv_std).sum(axis=0) + dvar * (-2 * (x - mu)).mean(axis=0)
    dx = dx_hat * inv_std + dvar * 2 * (x - mu) / n + dmu / n
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_missing_dvar(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x, x_hat, _mu, var, eps, gamma = cache
    n = x.shape[0]
    dx_hat = dout * gamma
    inv_std = 1 / np.sqrt(var + eps)
    dmu = (-dx_hat * inv_std).sum(axis=0)
    dx = dx_hat * inv_std + dmu / n
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


# --- a two-layer net: affine - relu - affine - softmax, with L2 regularisation ------------------

def two_layer_loss(W1: Array, b1: Array, W2: Array, b2: Array, X: Array, y: Array, reg: float,
                   relu_mask: bool = True) -> tuple[float, dict[str, Array]]:
    hidden, cache1 = affine_forward(X, W1, b1)
    act, cache_relu = relu_forward(hidden)
    scores, cache2 = affine_forward(act, W2, b2)
    data_loss, dscores = softmax_loss(scores, y)
    loss = data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dact, dW2, db2 = affine_backward(dscores, cache2)
    dhidden = relu_backward(dact, cache_relu) if relu_mask else dact
    _, dW1, db1 = affine_backward(dhidden, cache1)
    return loss, {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}


def two_layer_value(**inputs: Any) -> float:
    return two_layer_loss(**inputs)[0]


def two_layer_grad(**inputs: Any) -> dict[str, Array]:
    return two_layer_loss(**inputs)[1]


def two_layer_grad_missing_relu_derivative(**inputs: Any) -> dict[str, Array]:
    return two_layer_loss(**inputs, relu_mask=False)[1]


# --- float32 layers ----------------------------------------------------------------------------

def tanh_forward_float32(x: Array, w: Array) -> tuple[Array, Any]:
    """tanh(x @ w), computed and returned in float32."""
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    out = np.tanh(x32 @ w32)
    return out, (x32, w32, out)


def tanh_backward_float32(dout: Array, cache: Any) -> tuple[Array, Array]:
    x, w, out = cache
    da = dout.astype(np.float32) * (1 - out**2)
    return da @ w.T, x.T @ da


def tanh_backward_float32_missing_derivative(dout: Array, cache: Any) -> tuple[Array, Array]:
    x, w, _out = cache
    da = dout.astype(np.float32)
    return da @ w.T, x.T @ da


def softmax_value_float32_inside(x: Array, y: Array) -> float:
    """The softmax loss computed in float32 and handed back as a Python (float64) number."""
    return softmax_loss(x.astype(np.float32), y)[0]


def softmax_grad_float32_inside(x: Array, y: Array) -> dict[str, Array]:
    return {"x": softmax_loss(x.astype(np.float32), y)[1].astype(np.float64)}


# --- a tanh MLP with a softmax loss, in a chosen precision --------------------------------------

def tanh_net_loss(W1: Array, b1: Array, W2: Array, b2: Array, X: Array, y: Array,
                  dtype: type = np.float64) -> tuple[float, dict[str, Array]]:
    """affine - tanh - affine - softmax, forward and backward computed in ``dtype``."""
    W1, b1, W2, b2, X = (a.astype(dtype) for a in (W1, b1, W2, b2, X))
    hidden = np.tanh(X @ W1 + b1)
    data_loss, dscores = softmax_loss(hidden @ W2 + b2, y)
    dhidden = (dscores.astype(dtype) @ W2.T) * (1 - hidden**2)
    return data_loss, {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0),
                       "W2": hidden.T @ dscores.astype(dtype), "b2": dscores.astype(dtype).sum(axis=0)}


def tanh_net_value(**inputs: Any) -> float:
    return tanh_net_loss(**inputs)[0]


def tanh_net_grad(**inputs: Any) -> dict[str, Array]:
    return tanh_net_loss(**inputs)[1]


def tanh_net_value_float32(**inputs: Any) -> float:
    """The loss computed in float32 and handed back as a Python (float64) number."""
    return tanh_net_loss(**inputs, dtype=np.float32)[0]


def tanh_net_grad_float32(**inputs: Any) -> dict[str, Array]:
    return tanh_net_loss(**inputs, dtype=np.float32)[1]


# --- a function and its VJP ----------------------------------------------------------------------

def tanh_affine(x: Array, w: Array) -> Array:
    return np.tanh(x @ w)


def tanh_affine_vjp(cotangent: Array, x: Array, w: Array) -> dict[str, Array]:
    da = cotangent * (1 - np.tanh(x @ w) ** 2)
    return {"x": da @ w.T, "w": x.T @ da}


def tanh_affine_vjp_sign_flipped(cotangent: Array, x: Array, w: Array) -> dict[str, Array]:
    grads = tanh_affine_vjp(cotangent, x, w)
    return {"x": grads["x"], "w": -grads["w"]}
