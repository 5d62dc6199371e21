"""The op catalogue: every layer and loss, registered by name.

Adding an op means writing one class in one module of this package and decorating it with
``@register``; specs, engines, tests and ``gradcheck ops`` find it through the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from gradcheck_cli.ops.base import Array, Cache, Elementwise, Layer, Loss, Op, TargetKind

LAYERS: dict[str, type[Layer]] = {}
LOSSES: dict[str, type[Loss]] = {}

OpT = TypeVar("OpT", bound=type[Op])


def register(cls: OpT) -> OpT:
    """Class decorator: add a layer or loss to the catalogue under ``cls.kind``."""
    table: dict[str, type[Layer]] | dict[str, type[Loss]]
    table = LAYERS if issubclass(cls, Layer) else LOSSES
    if cls.kind in table:
        raise ValueError(f"op `{cls.kind}` is registered twice")
    table[cls.kind] = cls  # type: ignore[assignment]
    return cls


@contextmanager
def registered(cls: OpT) -> Iterator[OpT]:
    """Register ``cls`` for the duration of a ``with`` block (tests use it for broken ops)."""
    register(cls)
    try:
        yield cls
    finally:
        table: dict[str, type[Layer]] | dict[str, type[Loss]]
        table = LAYERS if issubclass(cls, Layer) else LOSSES
        del table[cls.kind]


from gradcheck_cli.ops import activations, layers, losses  # noqa: E402  (fills the registry)

__all__ = [
    "LAYERS",
    "LOSSES",
    "Array",
    "Cache",
    "Elementwise",
    "Layer",
    "Loss",
    "Op",
    "TargetKind",
    "activations",
    "layers",
    "losses",
    "register",
    "registered",
]
