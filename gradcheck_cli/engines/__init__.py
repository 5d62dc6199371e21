"""The engines: independent witnesses of the same gradient.

``symbolic`` differentiates the ops' SymPy math, ``backprop`` runs their hand-written backward
rules, ``numeric`` takes finite differences of their NumPy forward. Each returns ``Gradients``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gradcheck_cli.arrays import Array

SOURCES = ("symbolic", "backprop", "numeric")


@dataclass(frozen=True)
class Gradients:
    """What one engine computed at the problem's point.

    Attributes:
        source: ``symbolic``, ``backprop`` or ``numeric``.
        loss: J at the point.
        output: the network output N(x_i) for every example, shape (m, k).
        grads: name in ``problem.wrt`` → ∂J/∂name, shaped like the tensor.
        error: numeric only: name → per-entry estimate of the finite-difference error.
        cotangents: analytic engines only: ∂J/∂(input of layer l) for each layer l, then
            ∂J/∂ŷ last; shapes (m, n_l). They let a report name the first op whose rule is off.
        activations: analytic engines only: the output of every layer, (m, n_{l+1}) each; they
            let a report name the first op whose math and forward part ways.
        kinks, one_sided: see below.
    """

    source: str
    loss: float
    output: Array
    grads: Mapping[str, Array]
    error: Mapping[str, Array] = field(default_factory=dict)
    cotangents: tuple[Array, ...] = ()
    activations: tuple[Array, ...] = ()
    #: numeric only: name → boolean mask of entries whose stencil straddled a kink, and the
    #: interval (low, high) between the one-sided differences, widened by their error
    #: (``fd.tolerance.between``), that holds every valid subgradient there
    kinks: Mapping[str, Array] = field(default_factory=dict)
    one_sided: Mapping[str, tuple[Array, Array]] = field(default_factory=dict)
    #: numeric only: name → the shortcut its differences took (the complex step, the linear
    #: layers' structure), in words, for the tensors that took one (``engines.recheck``)
    shortcuts: Mapping[str, str] = field(default_factory=dict)
    #: numeric only: name → (entries recomputed by plain differences of the whole forward, how
    #: many of them the shortcut had wrong), for the tensors ``engines.recheck`` looked at
    rechecked: Mapping[str, tuple[int, int]] = field(default_factory=dict)
