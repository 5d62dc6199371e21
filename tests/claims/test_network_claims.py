"""Claims written on a network spec, per example over the network's quantities: right ones pass,
wrong ones fail with a diagnosis — also where the point sits on a kink, where every valid
subgradient is right and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradcheck_cli.api import check_spec

SPECS = Path(__file__).resolve().parents[2] / "specs"
HINGE = SPECS / "kinks" / "svm-hinge-at-its-kink.yaml"
RELU = SPECS / "relu-softmax-cross-entropy.yaml"


def _with(spec: Path, tmp_path: Path, **lets: str) -> Path:
    """``spec`` with some of its `let:` definitions replaced."""
    text = spec.read_text(encoding="utf-8")
    for name, expression in lets.items():
        text, count = re.subn(rf"^(  {name}:) .*$", rf"\1 {expression}", text, flags=re.M)
        assert count == 1, name
    path = tmp_path / spec.name
    path.write_text(text, encoding="utf-8")
    return path


def _verdicts(path: Path) -> dict[str, tuple[str, str | None]]:
    result = check_spec(path)
    return {q.wrt: (q.verdict, q.diagnosis.kind if q.diagnosis else None) for q in result.claims}


def test_the_hinge_claims_at_the_kink_are_correct_and_say_the_kink_was_judged_by_its_interval() -> None:
    result = check_spec(HINGE)
    assert [q.verdict for q in result.claims] == ["correct", "correct"]
    assert all("at a kink" in q.evidence for q in result.claims)


def test_the_other_subgradient_at_the_hinge_is_as_correct(tmp_path: Path) -> None:
    # (1 + sign(m)) / 2 takes ½ at m = 0 (SymPy's choice), step(m) takes 0 (backprop's): both lie
    # between the one-sided derivatives 0 and 1 of max(0, m)
    path = _with(HINGE, tmp_path, active="(1 + sign(z1 - y.T @ z1 + 1)) / 2 * (1 - y)")
    assert _verdicts(path) == {"W0": ("correct", None), "b0": ("correct", None)}


def test_a_value_outside_the_subgradient_interval_at_the_kink_is_incorrect(tmp_path: Path) -> None:
    # 2 at m = 0: outside [0, 1], so no subgradient of the hinge
    margin = "z1 - y.T @ z1 + 1"
    path = _with(HINGE, tmp_path, active=f"(step({margin}) + 2 * (1 - abs(sign({margin})))) * (1 - y)")
    assert {name: verdict for name, (verdict, _) in _verdicts(path).items()} == {
        "W0": "incorrect",
        "b0": "incorrect",
    }


def test_forgetting_the_labels_term_of_the_hinge_is_incorrect_next_to_its_kink(tmp_path: Path) -> None:
    path = _with(HINGE, tmp_path, dz="active")
    assert {name: verdict for name, (verdict, _) in _verdicts(path).items()} == {
        "W0": "incorrect",
        "b0": "incorrect",
    }


def test_the_notes_derivation_on_the_relu_network_is_correct() -> None:
    assert set(_verdicts(RELU).values()) == {("correct", None)}


@pytest.mark.parametrize(
    ("lets", "wrong", "kind"),
    [
        ({"delta1": "y - yhat"}, {"U", "b2", "W", "b1", "x"}, "sign"),
        ({"delta2": "U.T @ delta1"}, {"W", "b1", "x"}, None),  # the missing ReLU′(z)
        ({"delta1": "2 * (yhat - y)"}, {"U", "b2", "W", "b1", "x"}, "factor"),
    ],
)
def test_wrong_derivations_on_the_relu_network_are_incorrect(
    tmp_path: Path, lets: dict[str, str], wrong: set[str], kind: str | None
) -> None:
    verdicts = _verdicts(_with(RELU, tmp_path, **lets))
    assert {name for name, (verdict, _) in verdicts.items() if verdict == "incorrect"} == wrong
    if kind is not None:
        assert {verdicts[name][1] for name in wrong} == {kind}



WEIGHTED = SPECS / "weighted-least-squares.yaml"


def test_weighted_least_squares_passes_with_all_three_engines_and_its_derivation() -> None:
    """Σ = diag(0.25, 1, 4): the Gaussian NLL is least squares weighted by 1/σₖ²; symbolic,
    backprop and finite differences agree pairwise on W, b and x, and so does the claim Σ⁻¹(ŷ − y)."""
    result = check_spec(WEIGHTED)
    assert result.verdict == "pass"
    assert [t.name for t in result.tensors] == ["W", "b", "x"]
    engines = {"symbolic", "backprop", "numeric"}
    for tensor in result.tensors:
        assert {frozenset((p.first, p.second)) for p in tensor.pairs if p.passed} == {
            frozenset(pair) for pair in (("symbolic", "backprop"), ("symbolic", "numeric"),
                                         ("backprop", "numeric"))
        }, tensor.name
        assert {p.first for p in tensor.pairs} | {p.second for p in tensor.pairs} == engines
    assert set(_verdicts(WEIGHTED).values()) == {("correct", None)}


@pytest.mark.parametrize("residual", ["yhat - y", "(yhat - y) * [0.25, 1, 4]", "(yhat - y) / 4"],
                         ids=["unweighted", "times-sigma", "isotropic"])
def test_a_derivation_that_ignores_the_unequal_variances_is_incorrect(tmp_path: Path, residual: str) -> None:
    path = _with(WEIGHTED, tmp_path, r=residual)
    assert {name: verdict for name, (verdict, _) in _verdicts(path).items()} == {
        "W": "incorrect",
        "b": "incorrect",
        "x": "incorrect",
    }
