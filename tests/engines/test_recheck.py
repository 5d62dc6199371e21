"""Plain differences of the whole forward referee the numeric engine's shortcuts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from problems import make_problem
from slips import plant_tanh_slips

from gradcheck_cli import policy
from gradcheck_cli.engines import Gradients, backprop, numeric, recheck, symbolic
from gradcheck_cli.ops.activations import Tanh
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import HalfSquaredError
from gradcheck_cli.problem import Problem


def problem() -> Problem:
    return make_problem([Linear(out=4), Tanh(), Linear(out=2)], HalfSquaredError())


def engines(problem: Problem) -> dict[str, Gradients]:
    return {"symbolic": symbolic.gradients(problem), "backprop": backprop.gradients(problem),
            "numeric": numeric.gradients(problem)}


def disagreement(found: dict[str, Gradients], name: str) -> tuple[list[Array], list[Array]]:
    """Per pair of sources: where they differ by more than 1e-6 of the largest entry, and how much."""
    scale = max(float(np.abs(g.grads[name]).max()) for g in found.values())
    pairs = [("symbolic", "backprop"), ("symbolic", "numeric"), ("backprop", "numeric")]
    ratio = [np.abs(found[a].grads[name] - found[b].grads[name]) / (1e-6 * scale) for a, b in pairs]
    return [r > 1.0 for r in ratio], ratio


def test_caught_wrong_at_the_first_entries_the_shortcut_is_recomputed_everywhere_it_is_suspect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plant_tanh_slips(monkeypatch, backward=False)
    monkeypatch.setattr(policy, "RECHECK_ENTRIES", 2)
    p = problem()
    found = engines(p)
    wrong, ratio = disagreement(found, "W0")
    suspects = int(np.logical_or.reduce(wrong).sum())
    assert suspects > 2
    settled = recheck.settled(p, found, "W0", wrong, ratio)["numeric"]
    assert settled.rechecked["W0"] == (suspects, suspects)
    # every suspect entry now holds the plain difference: the symbolic engine's value, to its error
    assert np.allclose(settled.grads["W0"], found["symbolic"].grads["W0"], rtol=1e-7, atol=1e-10)
    note = recheck.note({"numeric": settled}, "W0")
    assert note is not None and f"at {suspects} of the {suspects} entries rechecked" in note


def test_confirmed_at_the_first_entries_the_shortcut_keeps_its_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Tanh, "derivative", lambda self, z, y: 0.5 * (1.0 - y * y))
    monkeypatch.setattr(policy, "RECHECK_ENTRIES", 2)
    p = problem()
    found = engines(p)
    wrong, ratio = disagreement(found, "W0")
    assert np.logical_or.reduce(wrong).sum() > 2
    settled = recheck.settled(p, found, "W0", wrong, ratio)["numeric"]
    assert settled.rechecked["W0"] == (2, 0)
    assert np.array_equal(settled.grads["W0"], found["numeric"].grads["W0"])
    assert recheck.note({"numeric": settled}, "W0") is None


def test_plain_differences_are_not_rechecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """With central differences, x takes no shortcut (its differences are already plain) while a
    linear layer's W still takes its structure."""
    monkeypatch.setattr(Tanh, "derivative", lambda self, z, y: 0.5 * (1.0 - y * y))
    p = problem()
    p = dataclasses.replace(p, settings=dataclasses.replace(p.settings, scheme="central"))
    found = engines(p)
    structure = "the linear layer's structure"
    assert found["numeric"].shortcuts == {name: structure for name in ("W0", "b0", "W1", "b1")}
    wrong, ratio = disagreement(found, "x")
    assert np.logical_or.reduce(wrong).any()
    assert recheck.settled(p, found, "x", wrong, ratio) is found
