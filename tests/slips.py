"""Slips the checker must see through, planted with ``monkeypatch`` in engine tests."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli.ops import activations, complexstep
from gradcheck_cli.ops.activations import Tanh
from gradcheck_cli.ops.base import Array


def tanh_in_the_complex_step(z: Array) -> Array:
    """tanh at complex points with tanh′ = 1 - t for 1 - t²: tanh(a + ib) ≈ t + ib(1 - t)."""
    if not np.iscomplexobj(z):
        return complexstep.tanh(z)
    t = np.tanh(z.real)
    slipped: Array = t + 1j * z.imag * (1.0 - t)
    return slipped


def plant_tanh_slips(monkeypatch: pytest.MonkeyPatch, *, backward: bool = True) -> None:
    """The complex step's tanh with tanh′ = 1 - t, and (``backward``) tanh's backward with the
    matching g′ = 1 - y: two witnesses that agree on one wrong value."""
    monkeypatch.setattr(activations, "tanh", tanh_in_the_complex_step)
    if backward:
        monkeypatch.setattr(Tanh, "derivative", lambda self, z, y: 1.0 - y)
