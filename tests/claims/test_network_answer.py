"""A network's gradients in matrix form (``gradcheck derive``, ``--show-answer`` on a spec's
claims): pasted back as claims on the same network, the symbolic engine accepts every one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from problems import make_problem
from typer.testing import CliRunner

from gradcheck_cli.api import check_problem
from gradcheck_cli.claims.network_answer import answers, network
from gradcheck_cli.cli import app
from gradcheck_cli.expr import compile_expr
from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.ops.layers import Linear, Polynomial
from gradcheck_cli.spec.network_claims import quantity_names, variables

#: every layer in every example setting, under each loss in turn (each loss meets several layers)
LAYER_SETTINGS = [(layer, i, settings) for layer in LAYERS if layer != "linear"
                  for i, settings in enumerate(LAYERS[layer].examples)]
CASES = [pytest.param(LAYERS[layer](**settings), LOSSES[loss](), id=f"{layer}-{i}-{loss}")
         for (layer, i, settings), loss in zip(LAYER_SETTINGS, [*LOSSES] * 3, strict=False)]


@pytest.mark.parametrize(("op", "loss"), CASES)
def test_every_answer_pasted_back_is_accepted_by_the_symbolic_engine(op, loss):  # type: ignore[no-untyped-def]
    layers = [op, Linear(out=2)] if isinstance(op, Polynomial) else [Linear(out=2), op, Linear(out=2)]
    problem = make_problem(layers, loss, inputs=1 if isinstance(op, Polynomial) else 2, batch=2)
    problem = dataclasses.replace(problem, quantities=quantity_names(problem.nodes))
    found = answers(problem, literal_constants=True)
    assert found is not None
    shapes = variables(problem.nodes, problem.values, problem.x.shape[1], problem.y.shape[1])
    claims = {}
    for name, derivation in found.items():
        assert derivation.error is None and derivation.matrix is not None, (name, derivation)
        claims[name] = compile_expr(derivation.matrix, shapes)
    result = check_problem(dataclasses.replace(problem, claims=claims))
    assert [c.verdict for c in result.claims] == ["correct"] * len(claims), [
        (c.wrt, c.claimed, c.diagnosis) for c in result.claims]


#: the notes' MLP with softmax + cross-entropy, small so SymPy's witness is quick
SMALL_MLP = """\
name: small MLP, softmax + cross-entropy
seed: 3
data: {batch: 2, inputs: 2}
network:
  - linear: {out: 2}
  - tanh
  - linear: {out: 2}
  - softmax
loss: cross_entropy
let:
  delta1: yhat - y
claims:
  W1: outer(delta1, a1)
  b1: delta1
"""


def test_derive_writes_the_delta_recursion_of_the_notes(tmp_path: Path) -> None:
    """mle-and-nn-gradients-notes: softmax + cross-entropy gives δ = ŷ − y at the logits."""
    spec = tmp_path / "mlp.yaml"
    spec.write_text(SMALL_MLP, encoding="utf-8")
    result = CliRunner().invoke(app, ["derive", str(spec)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for expected in ("  z1 = W0 @ x + b0", "  a2 = softmax(z2)", "  δz2 = a2 - y",
                     "  δz1 = (W1.T @ δz2) * (1 - a1**2)", "  ∂L/∂W0 = δz1 @ x.T", "  ∂L/∂W1 = δz2 @ a1.T"):
        assert expected in lines, result.output


def test_derive_writes_sigma_minus_y_for_logistic_regression() -> None:
    result = CliRunner().invoke(app, ["derive", "specs/logistic-regression.yaml"])
    assert result.exit_code == 0, result.output
    assert "  δz1 = a1 - y" in result.output.splitlines()


def test_derive_index_keeps_sympys_index_notation() -> None:
    result = CliRunner().invoke(app, ["derive", "specs/mlp-cross-entropy.yaml", "--index"])
    assert result.exit_code == 0 and "Forward (one example)" in result.output


def test_show_answer_on_a_spec_gives_each_claim_its_matrix_form(tmp_path: Path) -> None:
    spec = tmp_path / "mlp.yaml"
    spec.write_text(SMALL_MLP, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(spec), "--show-answer"])
    assert result.exit_code == 0, result.output
    assert "answer: (a2 - y) @ a1.T" in result.output and "answer: a2 - y" in result.output


def test_a_network_of_known_ops_has_a_form() -> None:
    problem = make_problem([Linear(out=2)], LOSSES["hinge"]())
    assert network(problem) is not None
