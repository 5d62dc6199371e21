"""Claims on a network spec are evaluated once per example at the network's sizes: a claim that
would build a huge array (``outer(W0.T, W0.T)`` of a wide input layer) or do hours of arithmetic
(a chain of ``inv``) is an ``error`` naming the estimate, before it runs; the spec's tensors and
its other claims are still checked. A network too deep to finish in its file's budget is an
error saying so."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from gradcheck_cli import policy

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

SPEC = """\
data: {batch: 4, inputs: %d}
network:
  - linear: {out: %d}
  - linear: {out: 2}
loss: squared_error
claims:
  %s
  W1: outer(yhat - y, z1)
"""


def claims_of(result: Result) -> dict[str, dict[str, object]]:
    (spec,) = json.loads(result.stdout)["specs"]
    return {c["wrt"]: c for c in spec["claims"]}


def test_an_outer_product_too_large_to_hold_is_an_error_and_the_rest_is_checked(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    start = time.monotonic()
    result = gradcheck("check", write_spec(SPEC % (30_000, 1, "W0: outer(W0.T, W0.T)")), "--format", "json")
    assert time.monotonic() - start < 30
    claims = claims_of(result)
    assert claims["W0"]["error"] == (
        f"`outer(W0.T, W0.T)` is 30,000 × 30,000 = 900,000,000 entries per example, more than "
        f"{policy.MAX_ENTRIES:,} (policy.MAX_ENTRIES); write the claim without building it")
    assert claims["W1"]["verdict"] == "incorrect"  # the 1/2 of squared_error's gradient is missing
    assert all(t["verdict"] == "pass" for t in json.loads(result.stdout)["specs"][0]["tensors"])
    assert result.exit_code == 2


def test_a_chain_of_inverses_of_a_wide_layer_is_refused_with_its_cost(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    start = time.monotonic()
    spec = SPEC % (600, 600, "b0: inv(inv(inv(W0 @ W0.T))) @ b0")
    result = gradcheck("check", write_spec(spec), "--format", "json", "--mode", "directional")
    assert time.monotonic() - start < 60
    error = str(claims_of(result)["b0"]["error"])
    # per example: 600³ for W0 @ W0.T and for each of the three inverses, 600² for the product with b0
    work = 4 * (4 * 600**3 + 600**2 + 3 * 600**2 + 600 * 1 + 600 * 600 + 600)
    assert error.startswith(f"evaluating the claim at 4 example(s) takes about {work:.3g} multiply-adds")
    assert error.endswith(f"more than {policy.CLAIM_MAX_WORK:.3g} (policy.CLAIM_MAX_WORK)")


def test_three_thousand_tanh_layers_stop_at_the_files_budget(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    layers = "".join("  - tanh\n" for _ in range(3000))
    head = "data: {batch: 2, inputs: 2}\nnetwork:\n  - linear: {out: 2}\n"
    path = write_spec(f"{head}{layers}loss: squared_error\n")
    start = time.monotonic()
    result = gradcheck("check", path, "--file-budget", "2")
    assert time.monotonic() - start < 15
    assert result.exit_code == 2
    assert result.stderr == f"gradcheck: {path}: the file's budget (--file-budget) ran out (2 s)\n"
