"""A Problem: a network, a loss and concrete seeded arrays — what every engine consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from gradcheck_cli.arrays import Array
from gradcheck_cli.choices import Mode, Scheme
from gradcheck_cli.ops import Layer, Loss
from gradcheck_cli.ops.penalty import L2Penalty

if TYPE_CHECKING:
    from gradcheck_cli.expr import Expr

#: The name under which the input batch x can be differentiated.
INPUT = "x"

Reduction = Literal["mean", "sum"]


@dataclass(frozen=True)
class Node:
    """One layer of the network, with its widths and the global names of its parameters."""

    op: Layer
    index: int
    n_in: int
    n_out: int
    #: local parameter name (``W``) → global name (``W0``, or what the spec calls it)
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """How finite differences are taken and judged; ``None`` means "derive it" (see policy)."""

    scheme: Scheme = "auto"
    mode: Mode = "auto"
    step: float | None = None
    atol: float | None = None
    rtol: float | None = None
    avoid_kinks: bool = False


@dataclass(frozen=True)
class Problem:
    """A loss J(θ) = (1/m or 1)·Σ_i L(N(x_i; θ), y_i) + Σ_W (λ/2)‖W‖² with every array concrete.

    ``x`` has shape (m, n₀), ``y`` shape (m, k); ``values`` maps global parameter names to
    arrays; ``wrt`` names what to differentiate (parameter names and possibly ``x``).
    """

    name: str
    seed: int
    x: Array
    y: Array
    nodes: tuple[Node, ...]
    loss: Loss
    values: Mapping[str, Array]
    wrt: tuple[str, ...]
    reduction: Reduction = "mean"
    penalty: L2Penalty | None = None
    settings: Settings = field(default_factory=Settings)
    path: str | None = None
    #: name of each layer's output in claims: z1 (linear), a1 (other layers), …
    quantities: tuple[str, ...] = ()
    #: claimed per-example gradients, compiled: parameter name (or ``x``) → expression
    claims: Mapping[str, Expr] = field(default_factory=dict)

    @property
    def batch(self) -> int:
        return int(self.x.shape[0])

    @property
    def scale(self) -> float:
        """The factor in front of Σ_i L: 1/m for ``mean``, 1 for ``sum``."""
        return 1.0 / self.batch if self.reduction == "mean" else 1.0

    def local_values(self, node: Node, values: Mapping[str, Array] | None = None) -> dict[str, Array]:
        """The parameters of ``node`` under their local names, from ``values`` or the problem's."""
        source = self.values if values is None else values
        return {local: source[name] for local, name in node.params.items()}

    def penalised(self) -> list[str]:
        """Global names of the parameters the L2 penalty applies to."""
        if self.penalty is None:
            return []
        return [node.params[p] for node in self.nodes for p in node.op.penalised if p in node.params]

    def penalties(self) -> tuple[tuple[L2Penalty, str], ...]:
        """The penalty terms of J, each an op and the global name of the parameter it applies to:
        every engine iterates over them and asks the op (its forward, backward or math)."""
        if self.penalty is None:
            return ()
        return tuple((self.penalty, name) for name in self.penalised())

    @property
    def complex_safe(self) -> bool:
        """Every op is analytic and evaluates at complex points: the complex step applies."""
        return all(n.op.complex_safe for n in self.nodes) and self.loss.complex_safe

    @property
    def scheme(self) -> Scheme:
        """The finite-difference scheme in force: ``auto`` is the complex step where every op is
        complex-safe (exact to rounding), else central differences. The engines make it central
        also where a kinked input sits on its kink (``engines.kinks.resolved``)."""
        if self.settings.scheme != "auto":
            return self.settings.scheme
        return "complex" if self.complex_safe else "central"

    @property
    def mode(self) -> Mode:
        """``full`` (a stencil per entry) or ``directional`` (random directions, then bisection);
        ``auto`` is directional above ``policy.DIRECTIONAL_THRESHOLD`` differentiated entries."""
        if self.settings.mode != "auto":
            return self.settings.mode
        from gradcheck_cli.policy import DIRECTIONAL_THRESHOLD

        entries = sum(int(np.prod(self.shape_of(name))) for name in self.wrt)
        return "directional" if entries > DIRECTIONAL_THRESHOLD else "full"

    def shape_of(self, name: str) -> tuple[int, ...]:
        return tuple(self.x.shape) if name == INPUT else tuple(self.values[name].shape)
