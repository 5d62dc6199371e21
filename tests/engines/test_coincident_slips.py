"""Witnesses that cannot share a slip.

Each test plants a slip in an op's backward together with the matching slip in one of the
numeric engine's shortcuts (the penalty's change, the linear layer's index structure, tanh in
the complex-step fast path), so that backprop and the numeric engine agree on the same wrong
value and the symbolic engine alone is right. Before the plain recheck, the report named
symbolic as the odd one out; these tests require backprop to be blamed. Σ⁻¹ of the Gaussian
loss replaced by Σ in any one engine must fail the check (it was read by all three).

Slips are planted with ``monkeypatch`` only: the shipped code is never edited.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from problems import make_problem
from slips import plant_tanh_slips

from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients, backprop, incremental, numeric, symbolic
from gradcheck_cli.ops.activations import Tanh
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import GaussianNLL, HalfSquaredError, SoftmaxCrossEntropy
from gradcheck_cli.ops.penalty import L2Penalty
from gradcheck_cli.problem import Problem
from gradcheck_cli.results import SpecResult, TensorResult

FULL_COVARIANCE = [[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.8]]


def engines(problem: Problem) -> dict[str, Gradients]:
    return {"symbolic": symbolic.gradients(problem), "backprop": backprop.gradients(problem),
            "numeric": numeric.gradients(problem)}


def checked(problem: Problem) -> tuple[SpecResult, Mapping[str, Gradients]]:
    found = engines(problem)
    return compare(problem, found), found


def tensor(result: SpecResult, name: str) -> TensorResult:
    return next(t for t in result.tensors if t.name == name)


def assert_backprop_blamed(result: SpecResult, name: str) -> None:
    verdict = tensor(result, name)
    assert verdict.verdict == "fail"
    assert verdict.odd_one_out == "backprop", verdict.explanation
    assert verdict.explanation is not None
    assert verdict.explanation.startswith("backprop is the odd one out: symbolic and numeric agree")
    assert "plain differences of the whole forward" in verdict.explanation


def assert_planted(found: Mapping[str, Gradients], name: str) -> None:
    """The two slips really coincide: the shortcut agrees with the wrong backward, and both
    disagree with the symbolic engine (else the test would prove nothing)."""
    wrong, fast, right = (found[s].grads[name] for s in ("backprop", "numeric", "symbolic"))
    scale = np.abs(right).max()
    assert np.abs(fast - wrong).max() < 1e-6 * scale
    assert np.abs(fast - right).max() > 1e-3 * scale


def test_a_doubled_penalty_gradient_matched_by_a_doubled_shortcut_change_blames_backprop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = make_problem([Linear(out=4), Tanh(), Linear(out=2)], HalfSquaredError(), l2=0.7)

    def doubled_backward(self: L2Penalty, W: Array) -> Array:
        return 2.0 * self.strength * W

    def doubled_change(problem: Problem, name: str, flat: Array, delta: Array) -> Array | float:
        """The structure-aware path's penalty, with the change of the moved entry doubled."""
        total: Array | float = sum(float(p.forward(problem.values[n])) for p, n in problem.penalties())
        if name in problem.penalised():
            w = problem.values[name].reshape(-1)[flat]
            total = total + 2.0 * problem.penalty.strength * (w * delta + 0.5 * delta * delta)  # type: ignore[union-attr]
        return total

    monkeypatch.setattr(L2Penalty, "backward", doubled_backward)
    monkeypatch.setattr(incremental, "_penalty", doubled_change)
    result, found = checked(problem)
    for name in ("W0", "W1"):
        assert_planted(found, name)
        assert_backprop_blamed(result, name)
    assert tensor(result, "b0").verdict == "pass"


def test_a_transposed_weight_gradient_matched_by_swapped_shortcut_indices_blames_backprop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a square W (3 inputs, 3 outputs): a transposed gradient has the right shape
    problem = make_problem([Linear(out=3), Tanh(), Linear(out=2)], SoftmaxCrossEntropy(), inputs=3)
    original_backward, original_moved = Linear.backward, Linear.moved_column

    def transposing_backward(self: Linear, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        gx, grads = original_backward(self, cache, g)
        W = grads["W"]
        return gx, {**grads, "W": W.T if W.shape[0] == W.shape[1] else W}

    def swapped_moved_column(
        self: Linear, x: Array, local: str, flat: Array, delta: Array
    ) -> tuple[Array, Array]:
        if local != "W" or self.width != x.shape[-1]:
            return original_moved(self, x, local, flat, delta)
        q, p = np.divmod(flat, x.shape[-1])  # the row and the column read the wrong way round
        return p, delta[:, None] * x[:, q].T

    monkeypatch.setattr(Linear, "backward", transposing_backward)
    monkeypatch.setattr(Linear, "moved_column", swapped_moved_column)
    result, found = checked(problem)
    assert_planted(found, "W0")
    assert_backprop_blamed(result, "W0")
    assert tensor(result, "W1").verdict == "pass"


def test_a_tanh_derivative_missing_a_square_matched_in_the_complex_step_blames_backprop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = make_problem([Linear(out=4), Tanh(), Linear(out=2)], HalfSquaredError())
    assert problem.scheme == "complex"
    plant_tanh_slips(monkeypatch)
    result, found = checked(problem)
    for name in ("W0", "b0", "x"):
        assert_planted(found, name)
        assert_backprop_blamed(result, name)
    assert tensor(result, "W1").verdict == "pass"


def sigma_for_inverse_in_constants(self: GaussianNLL, k: int) -> dict[str, Array]:
    """The symbolic engine's constants with Σ where Σ⁻¹ belongs."""
    return {"P": self.sigma(k), "c": np.array([0.5 * np.linalg.slogdet(2 * np.pi * self.sigma(k))[1]])}


def sigma_for_inverse_in_backward(self: GaussianNLL, cache: Cache) -> Array:
    e, sigma = cache
    slipped: Array = -e @ sigma
    return slipped


def sigma_for_inverse_in_forward(self: GaussianNLL, yhat: Array, y: Array) -> tuple[Array, Cache]:
    sigma = self.sigma(y.shape[-1])
    e = y - yhat
    quad = np.einsum("...i,ij,...j->...", e, sigma, e)
    return 0.5 * quad + 0.5 * np.linalg.slogdet(2 * np.pi * sigma)[1], (e, sigma)


@pytest.mark.parametrize(("method", "slip", "blamed"), [
    ("constants", sigma_for_inverse_in_constants, "symbolic"),
    ("backward", sigma_for_inverse_in_backward, "backprop"),
    ("forward", sigma_for_inverse_in_forward, None),
], ids=["symbolic", "backprop", "forward"])
def test_sigma_for_its_inverse_in_one_engine_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, method: str, slip: object, blamed: str | None
) -> None:
    problem = make_problem([Linear(out=3)], GaussianNLL(covariance=FULL_COVARIANCE), inputs=2)
    assert checked(problem)[0].verdict == "pass"
    monkeypatch.setattr(GaussianNLL, method, slip)
    result, _ = checked(problem)
    assert result.verdict == "fail"
    if blamed is None:  # the forward itself is wrong: J differs from the SymPy math's
        assert result.forward is not None and not result.forward.passed
    else:
        assert tensor(result, "W0").odd_one_out == blamed


def test_each_engine_derives_its_own_inverse_of_sigma() -> None:
    """The symbolic engine's Σ⁻¹ (SymPy) and the NumPy forward's and backward's solves agree with
    an inverse taken here, and with each other, for every form of covariance."""
    for covariance in (0.5, [0.5, 2.0, 1.0], FULL_COVARIANCE):
        loss = GaussianNLL(covariance=covariance)
        sigma = loss.sigma(3)
        e = np.random.default_rng(1).standard_normal((4, 3))
        expected = np.linalg.inv(sigma)
        assert np.allclose(loss.constants(3)["P"], expected, rtol=1e-13, atol=0)
        values, cache = loss.forward(np.zeros((4, 3)), e)
        assert np.allclose(values - loss.constants(3)["c"][0], 0.5 * np.einsum("mi,ij,mj->m", e, expected, e))
        assert np.allclose(loss.backward(cache), -e @ expected)


def test_the_recheck_leaves_a_passing_check_alone() -> None:
    problem = make_problem([Linear(out=4), Tanh(), Linear(out=2)], HalfSquaredError(), l2=0.3)
    result, found = checked(problem)
    assert result.verdict == "pass"
    assert found["numeric"].shortcuts["W0"] == "the complex step and the linear layer's structure"
    assert found["numeric"].shortcuts["x"] == "the complex step"
    assert found["numeric"].rechecked == {}


def test_a_wrong_backward_alone_is_rechecked_without_overruling_the_shortcut() -> None:
    """A real backward bug: the shortcut is right, the recheck confirms it and changes nothing."""

    class HalvedTanh(Tanh):
        kind = "halved_tanh"

        def derivative(self, z: Array, y: Array) -> Array:
            return 0.5 * (1.0 - y * y)

    problem = make_problem([Linear(out=4), HalvedTanh(), Linear(out=2)], HalfSquaredError())
    found = engines(problem)
    result = compare(problem, found)
    verdict = tensor(result, "W0")
    assert verdict.odd_one_out == "backprop"
    assert "plain differences" not in (verdict.explanation or "")
    # the worst entries show the shortcut's own (complex-step) values, untouched
    entry = verdict.worst[0]
    assert entry.values["numeric"] == found["numeric"].grads["W0"][entry.index]


def test_plain_differences_match_the_gradient_at_the_entries_asked_for() -> None:
    problem = make_problem([Linear(out=4), Tanh(), Linear(out=2)], SoftmaxCrossEntropy(), l2=0.2)
    truth = symbolic.gradients(problem).grads["W0"].reshape(-1)
    entries = np.array([7, 0, 3])
    stencil = numeric.plain(problem, "W0", entries)
    assert stencil.value.shape == (3,)
    assert np.all(np.abs(stencil.value - truth[entries]) <= 4 * stencil.error + 1e-12)
    assert np.all(stencil.error < 1e-7)


def test_a_directional_check_referees_the_entry_it_localised(monkeypatch: pytest.MonkeyPatch) -> None:
    """Directional differences take the complex step too: with the tanh slips planted, the
    entry bisection names is differenced plainly and backprop, not symbolic, fails there."""
    from gradcheck_cli.engines import directional

    problem = make_problem([Linear(out=4), Tanh(), Linear(out=2)], HalfSquaredError())
    plant_tanh_slips(monkeypatch)
    analytic = {"symbolic": symbolic.gradients(problem), "backprop": backprop.gradients(problem)}
    outcome = directional.check(problem, analytic)
    verdicts = {c.source: c for c in outcome.checks}
    assert verdicts["symbolic"].passed
    assert not verdicts["backprop"].passed
    located = verdicts["backprop"].located
    assert located is not None
    truth = float(analytic["symbolic"].grads[located.tensor][located.index])
    assert located.numeric == pytest.approx(truth, rel=1e-6)
