"""At a kink a central difference is not a derivative: no false failure, real bugs still caught."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from problems import make_problem

from gradcheck_cli import policy
from gradcheck_cli.api import check_problem, load_problem
from gradcheck_cli.engines import forward, kinks, numeric
from gradcheck_cli.ops import registered
from gradcheck_cli.ops.activations import Abs, ReLU, Tanh
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import Hinge, SquaredError
from gradcheck_cli.problem import Problem

SPEC = Path(__file__).resolve().parents[2] / "specs" / "kinks" / "relu-at-its-kink.yaml"


class LeakyBackwardReLU(ReLU):
    """g(z) = max(z, 0), with a backward that lets 10 % through where z < 0."""

    kind = "leaky_backward_relu"

    def derivative(self, z: Array, y: Array) -> Array:
        return np.where(z > 0, 1.0, 0.1)


def test_entries_whose_stencil_straddles_a_kink_are_flagged() -> None:
    problem = load_problem(SPEC)
    found = numeric.gradients(problem)
    # unit 1 has zero weights and bias: every entry of W0's row 1 and b0[1] sits on the kink
    assert found.kinks["W0"][1].all()
    assert found.kinks["b0"][1]
    assert not found.kinks["W1"].any()
    low, high = found.one_sided["b0"]
    assert low[1] < high[1]


def test_a_correct_network_at_its_kinks_passes_and_says_so() -> None:
    result = check_problem(load_problem(SPEC))
    assert result.verdict == "pass"
    assert {t.name: t.kinks for t in result.tensors} == {"W0": 4, "b0": 2, "W1": 0, "b1": 0}


def test_a_wrong_derivative_next_to_a_kink_is_still_caught(tmp_path: Path) -> None:
    text = SPEC.read_text().replace("  - relu\n", "  - leaky_backward_relu\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    with registered(LeakyBackwardReLU):
        result = check_problem(load_problem(spec))
    verdicts = {t.name: t.verdict for t in result.tensors}
    assert verdicts["W0"] == "fail"
    failing = next(t for t in result.tensors if t.name == "W0")
    assert failing.odd_one_out == "backprop"


def test_a_smooth_point_has_no_kinks() -> None:
    problem = load_problem(SPEC.parents[1] / "relu-softmax-cross-entropy.yaml")
    found = numeric.gradients(problem)
    assert not any(mask.any() for mask in found.kinks.values())


def test_avoid_kinks_moves_every_kinked_input_clear_and_says_how(gradcheck) -> None:  # type: ignore[no-untyped-def]
    problem = load_problem(SPEC)
    moved, note = kinks.moved_off(problem)
    assert note is not None and note.startswith("moved off 4 kinked inputs")
    _, outputs, caches, _ = forward.run(moved)
    z = caches[1][0]  # relu's input
    assert np.abs(z).min() > policy.KINK_CLEARANCE
    assert moved.x is problem.x and moved.y is problem.y
    assert kinks.resolved(moved, outputs, caches).scheme == "complex"
    result = gradcheck("check", "--avoid-kinks", "--format", "json", SPEC)
    spec = json.loads(result.stdout)["specs"][0]
    assert result.exit_code == 0 and spec["moved"] == note
    assert all(t["kinks"] == 0 for t in spec["tensors"])


def test_avoid_kinks_leaves_a_clear_point_alone() -> None:
    problem = load_problem(SPEC.parents[1] / "relu-softmax-cross-entropy.yaml")
    assert kinks.moved_off(problem) == (problem, None)


def test_a_wrong_derivative_is_still_caught_after_moving_off_the_kinks(tmp_path: Path) -> None:
    text = SPEC.read_text().replace("  - relu\n", "  - leaky_backward_relu\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text + "check: {avoid_kinks: true}\n")
    with registered(LeakyBackwardReLU):
        result = check_problem(load_problem(spec))
    assert result.moved is not None
    assert {t.name: t.verdict for t in result.tensors}["W0"] == "fail"


class AbsWithoutSign(Abs):
    """|z| with a backward that forgets the sign: g'(z) = 1."""

    kind = "abs_without_sign"

    def derivative(self, z: Array, y: Array) -> Array:
        return np.ones_like(z)


def _abs_network_at_its_kink(op: Abs) -> Problem:
    problem = make_problem([Linear(out=3), op, Linear(out=1)], SquaredError(), inputs=2, batch=4, seed=5)
    b = problem.values["b0"].copy()
    b[0] = -(problem.values["W0"][0] @ problem.x[1])  # unit 0 at z = 0 for example 1
    return dataclasses.replace(problem, values={**problem.values, "b0": b})


def test_abs_at_its_kink_passes_and_says_so() -> None:
    result = check_problem(_abs_network_at_its_kink(Abs()))
    assert result.verdict == "pass"
    assert {t.name: t.kinks for t in result.tensors}["b0"] == 1


def test_abs_with_a_derivative_that_forgets_the_sign_fails_next_to_its_kink() -> None:
    with registered(AbsWithoutSign):
        result = check_problem(_abs_network_at_its_kink(AbsWithoutSign()))
    assert {t.name: t.verdict for t in result.tensors}["W0"] == "fail"


class HingeWithoutTheLabelsTerm(Hinge):
    """The hinge loss with a backward that forgets ∂L/∂z_c = -Σ_j 1[m_j > 0]."""

    kind = "hinge_without_the_labels_term"

    def backward(self, cache: Cache) -> Array:
        m, _ = cache
        return (m > 0).astype(m.dtype)


def _hinge_at_its_kink(loss: Hinge) -> Problem:
    """Example 0's margin m_j = z_j - z_c + 1 is exactly 0 for one wrong class j (via b1)."""
    problem = make_problem([Linear(out=3), Tanh(), Linear(out=4)], loss, inputs=2, batch=3, seed=2)
    _, outputs, _, _ = forward.run(problem)
    z, label = outputs[-1][0], int(np.argmax(problem.y[0]))
    other = (label + 1) % 4
    b = problem.values["b1"].copy()
    b[other] -= z[other] - z[label] + 1.0
    return dataclasses.replace(problem, values={**problem.values, "b1": b})


def test_the_hinge_at_its_kink_passes_and_says_so() -> None:
    problem = _hinge_at_its_kink(Hinge())
    _, outputs, caches, _ = forward.run(problem)
    assert kinks.on_a_kink(problem, outputs, caches)
    result = check_problem(problem)
    assert result.verdict == "pass"
    assert {t.name: t.kinks for t in result.tensors}["b1"] >= 1


def test_a_hinge_backward_missing_a_term_fails_next_to_its_kink() -> None:
    with registered(HingeWithoutTheLabelsTerm):
        result = check_problem(_hinge_at_its_kink(HingeWithoutTheLabelsTerm()))
    assert {t.name: t.verdict for t in result.tensors}["b1"] == "fail"
