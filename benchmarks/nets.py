"""The benchmark's networks, computed the same way in NumPy, PyTorch and JAX from one flat θ.

A ``Net`` is an MLP (tanh or ReLU hidden layers, a linear output) with a softmax cross-entropy
or a squared-error loss, J = (1/m) Σ_i L(N(x_i), y_i), exactly the loss gradcheck's ops define.
Its parameters live in one flat float64 vector θ = (W0, b0, W1, b1, …), so every tool is given
the same point; ``problem`` turns the same numbers into a gradcheck ``Problem``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gradcheck_cli.choices import Scheme
from gradcheck_cli.ops.activations import ReLU, Tanh
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SoftmaxCrossEntropy, SquaredError
from gradcheck_cli.problem import Node, Problem, Settings

Activation = Literal["tanh", "relu"]
LossName = Literal["softmax", "squared"]


@dataclass(frozen=True)
class Net:
    """An MLP, its batch (x, one-hot y), its loss, and the point θ to check at."""

    widths: tuple[int, ...]
    activation: Activation
    loss: LossName
    x: Array
    y: Array
    theta: Array
    dtype: str = "float64"

    @property
    def size(self) -> int:
        return int(self.theta.size)

    @property
    def label(self) -> str:
        return f"{'-'.join(map(str, self.widths))} {self.activation}, {self.loss}"

    def shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of every parameter, in θ's order."""
        out: list[tuple[str, tuple[int, ...]]] = []
        for layer, (n_in, n_out) in enumerate(itertools.pairwise(self.widths)):
            out += [(f"W{layer}", (n_out, n_in)), (f"b{layer}", (n_out,))]
        return out

    def split(self, theta: Any) -> dict[str, Any]:
        """θ (a NumPy, torch or JAX vector) as named, shaped parameters (views where possible)."""
        out, start = {}, 0
        for name, shape in self.shapes():
            count = int(np.prod(shape))
            out[name] = theta[start:start + count].reshape(shape)
            start += count
        return out

    def flatten(self, named: Mapping[str, Array]) -> Array:
        parts = [np.asarray(named[name], dtype=np.float64).reshape(-1) for name, _ in self.shapes()]
        return np.concatenate(parts)

    def in_float32(self) -> Net:
        return dataclasses.replace(self, dtype="float32")


def make(widths: tuple[int, ...], activation: Activation, loss: LossName, *, batch: int = 8, seed: int = 0,
         at_kink: bool = False) -> Net:
    """An MLP with gradcheck's default initialisation: W ~ N(0, 1/n_in), b ~ N(0, 1/4).

    ``at_kink``: the first example's input is 0 and half the first layer's biases are 0, so those
    units sit exactly at z = 0 (relu's kink) for that example.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, widths[0]))
    y = np.eye(widths[-1])[rng.integers(widths[-1], size=batch)]
    parts = []
    for n_in, n_out in itertools.pairwise(widths):
        W = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
        b = rng.standard_normal(n_out) / 2
        parts += [W.reshape(-1), b]
    theta = np.concatenate(parts)
    net = Net(tuple(widths), activation, loss, x, y, theta)
    if at_kink:
        x[0] = 0.0
        b0 = net.split(theta)["b0"]
        b0[: b0.size // 2] = 0.0
    return net


def count(widths: tuple[int, ...]) -> int:
    return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(widths))


def problem(net: Net, scheme: Scheme = "auto") -> Problem:
    """The same network, batch and point as a gradcheck ``Problem``."""
    values = {name: np.array(v) for name, v in net.split(net.theta).items()}
    nodes = []
    layers = len(net.widths) - 1
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(net.widths)):
        nodes.append(Node(Linear(out=n_out), 2 * layer, n_in, n_out, {"W": f"W{layer}", "b": f"b{layer}"}))
        if layer < layers - 1:
            op = Tanh() if net.activation == "tanh" else ReLU()
            nodes.append(Node(op, 2 * layer + 1, n_out, n_out))
    loss = SoftmaxCrossEntropy() if net.loss == "softmax" else SquaredError()
    return Problem(name=net.label, seed=0, x=net.x.copy(), y=net.y.copy(), nodes=tuple(nodes), loss=loss,
                   values=values, wrt=tuple(values), settings=Settings(scheme=scheme))


# --- NumPy (float64 or float32) ---------------------------------------------------------------

def numpy_loss(net: Net) -> Callable[[Array], float]:
    """J(θ) in NumPy, computed in ``net.dtype`` (θ is cast to it first)."""
    dt = np.dtype(net.dtype)
    x, y = net.x.astype(dt), net.y.astype(dt)

    def J(theta: Array) -> float:
        z = _logits(net, net.split(np.asarray(theta).astype(dt)), x)[-1]
        return float(_loss_value(net.loss, z, y))

    return J


def numpy_grad(net: Net) -> Callable[[Array], Array]:
    """∇J(θ) by hand-written backprop in ``net.dtype`` (relu'(0) = 0), returned as float64."""
    dt = np.dtype(net.dtype)
    x, y = net.x.astype(dt), net.y.astype(dt)
    m = x.shape[0]

    def grad(theta: Array) -> Array:
        params = net.split(np.asarray(theta).astype(dt))
        zs = _logits(net, params, x)
        z = zs[-1]
        if net.loss == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            dz = (e / e.sum(axis=1, keepdims=True) - y) / dt.type(m)
        else:
            dz = dt.type(2 / m) * (z - y)
        layers = len(net.widths) - 1
        found: dict[str, Array] = {}
        for layer in reversed(range(layers)):
            a_in = x if layer == 0 else _act(net.activation, zs[layer - 1])
            found[f"W{layer}"], found[f"b{layer}"] = dz.T @ a_in, dz.sum(axis=0)
            if layer:
                da = dz @ params[f"W{layer}"]
                zp = zs[layer - 1]
                dz = da * (1 - np.tanh(zp) ** 2 if net.activation == "tanh" else (zp > 0).astype(dt))
        return net.flatten(found)

    return grad


def _act(activation: Activation, z: Array) -> Array:
    return np.tanh(z) if activation == "tanh" else np.maximum(z, 0)


def _logits(net: Net, params: Mapping[str, Array], x: Array) -> list[Array]:
    """The pre-activation z of every layer; the last is the network's output."""
    zs, a = [], x
    layers = len(net.widths) - 1
    for layer in range(layers):
        z = a @ params[f"W{layer}"].T + params[f"b{layer}"]
        zs.append(z)
        a = _act(net.activation, z)
    return zs


def _loss_value(loss: LossName, z: Array, y: Array) -> Any:
    if loss == "softmax":
        top = z.max(axis=1, keepdims=True)
        lse = top + np.log(np.exp(z - top).sum(axis=1, keepdims=True))
        return (y * (lse - z)).sum(axis=1).mean()
    return ((z - y) ** 2).sum(axis=1).mean()


# --- PyTorch and JAX (imported only when used) --------------------------------------------------

def _framework_loss(net: Net, x: Any, y: Any, act: Callable[[Any], Any],
                    logsumexp: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """J(θ) over a framework's arrays: ``x``, ``y`` are its tensors, ``act`` its activation and
    ``logsumexp(a)`` its row-wise log-sum-exp keeping the axis."""
    layers = len(net.widths) - 1

    def J(theta: Any) -> Any:
        params, a = net.split(theta), x
        for layer in range(layers):
            z = a @ params[f"W{layer}"].T + params[f"b{layer}"]
            a = act(z) if layer < layers - 1 else z
        if net.loss == "softmax":
            return (y * (logsumexp(a) - a)).sum(axis=1).mean()
        return ((a - y) ** 2).sum(axis=1).mean()

    return J


def torch_loss(net: Net) -> Callable[[Any], Any]:
    """J(θ) with torch ops, in ``net.dtype``: differentiable by autograd."""
    import torch

    dt = getattr(torch, net.dtype)
    return _framework_loss(net, torch.tensor(net.x, dtype=dt), torch.tensor(net.y, dtype=dt),
                           torch.tanh if net.activation == "tanh" else torch.relu,
                           lambda a: torch.logsumexp(a, dim=1, keepdim=True))


def jax_loss(net: Net) -> Callable[[Any], Any]:
    """J(θ) with jax.numpy, in ``net.dtype`` (float64 needs ``jax_enable_x64``, set here)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    return _framework_loss(net, jnp.asarray(net.x, dtype=net.dtype),
                           jnp.asarray(net.y, dtype=net.dtype),
                           jnp.tanh if net.activation == "tanh" else jax.nn.relu,
                           lambda a: jax.nn.logsumexp(a, axis=1, keepdims=True))
