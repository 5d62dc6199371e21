"""Each subject is rendered as what it is: a check of user code is a function, a VJP or a
layer in JSON, and the console shows no layer table and a legend for the columns it shows."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from gradcheck_cli import check_function, check_layer, check_vjp
from gradcheck_cli.report import REPORTERS, RenderOptions
from gradcheck_cli.results import Report

X = np.arange(24.0).reshape(4, 6) / 10
NETWORK_FIELDS = {"batch", "loss", "reduction", "layers", "forward", "claims", "mode", "directional", "moved"}


def sines(x: Any) -> float:
    return float(np.sum(np.sin(x)))


def tanh(x: Any) -> Any:
    return np.tanh(x)


def tanh_vjp(c: Any, x: Any) -> dict[str, Any]:
    return {"x": c * (1 - np.tanh(x) ** 2)}


def tanh_forward(x: Any) -> tuple[Any, Any]:
    y = np.tanh(x)
    return y, y


def tanh_backward(dout: Any, cache: Any) -> dict[str, Any]:
    return {"x": dout * (1 - cache**2)}


CHECKS = {
    "function": lambda: check_function(sines, lambda x: np.cos(x), {"x": X}),
    "vjp": lambda: check_vjp(tanh, tanh_vjp, {"x": X}),
    "layer": lambda: check_layer(tanh_forward, tanh_backward, {"x": X}),
}


@pytest.mark.parametrize("subject", sorted(CHECKS))
def test_user_code_is_its_own_kind_in_json_without_network_fields(subject: str) -> None:
    document = json.loads(CHECKS[subject]().report("json"))
    spec = document["specs"][0]
    assert document["schema_version"] == 2
    assert spec["kind"] == subject
    assert NETWORK_FIELDS.isdisjoint(spec)
    assert spec["precision"] == "float64" and spec["verdict"] == "pass"
    assert [t["name"] for t in spec["tensors"]] == ["x"]


def test_a_function_check_says_what_it_differentiated() -> None:
    spec = json.loads(CHECKS["function"]().report("json"))["specs"][0]
    assert spec["checks"] == "sines(x) → scalar"


def test_the_console_shows_no_layer_table_and_a_legend_for_its_one_column() -> None:
    text = check_function(sines, lambda x: np.cos(x), {"x": X}).report("console", width=200)
    assert "in → out" not in text and "parameters" not in text and "batch" not in text
    assert "user↔fd: largest |difference| between your gradient and the finite differences" in text
    assert "sym↔bp" not in text


def test_a_wrong_gradient_counts_its_wrong_entries_once_not_once_per_probe() -> None:
    # a VJP is checked with random cotangents and every row of its Jacobian: many probes, 24 entries
    def wrong_vjp(c: Any, x: Any) -> dict[str, Any]:
        return {"x": -c * (1 - np.tanh(x) ** 2)}

    result = check_vjp(tanh, wrong_vjp, {"x": X})
    assert result.inputs["x"].failing == 24
    assert "24 entries over tolerance" in result.report("console", width=200)


def test_a_network_spec_keeps_its_kind_and_fields(tmp_path: Any) -> None:
    from gradcheck_cli.api import check_paths

    spec = tmp_path / "s.yaml"
    spec.write_text("data: {batch: 2, inputs: 2}\nnetwork:\n  - linear: {out: 2}\nloss: squared_error\n")
    document = json.loads(REPORTERS["json"](Report(tuple(check_paths([spec]).specs)), RenderOptions()))
    entry = document["specs"][0]
    assert entry["kind"] == "network" and "subject" not in entry
    assert {"batch", "loss", "reduction", "layers", "forward"} <= set(entry)


@pytest.mark.parametrize("subject", sorted(CHECKS))
def test_user_codes_tensors_carry_their_probe_and_no_kink_count(subject: str) -> None:
    tensor = json.loads(CHECKS[subject]().report("json"))["specs"][0]["tensors"][0]
    assert "kinks" not in tensor
    # a loss has one probe (c = 1), unnamed; a VJP or a layer names the cotangent its worst
    # entries come from
    assert (tensor["probe"] == "") == (subject == "function")


@pytest.mark.parametrize("subject", sorted(CHECKS))
def test_markdown_says_what_was_checked_and_heads_the_owner_column_as_user_code_has_it(subject: str) -> None:
    text = CHECKS[subject]().report("markdown")
    assert f"· {subject}: " in text and "float64" in text
    assert "| tensor | shape | of | err/tol | verdict |" in text and "| layer |" not in text


def test_a_network_tensor_has_no_probe_in_json(tmp_path: Any) -> None:
    from gradcheck_cli.api import check_spec

    spec = tmp_path / "spec.yaml"
    spec.write_text("data: {batch: 3, inputs: 2}\nnetwork:\n  - linear: {out: 2}\nloss: squared_error\n")
    document = REPORTERS["json"](Report((check_spec(spec),)), RenderOptions())
    tensors = json.loads(document)["specs"][0]["tensors"]
    assert tensors and all("probe" not in t and "kinks" in t for t in tensors)


@pytest.mark.parametrize("subject", sorted(CHECKS))
def test_user_codes_result_is_a_node_of_the_one_result_tree(subject: str) -> None:
    from gradcheck_cli.results import SpecResult, TensorResult

    result = CHECKS[subject]()
    assert isinstance(result, SpecResult) and result.subject == subject and result.verdict == "pass"
    # the verdict per input is the tree's own TensorResult, not a copy of another type
    assert result.inputs["x"] is result.tensors[0] and isinstance(result.inputs["x"], TensorResult)
    assert result.inputs["x"].passed and result.inputs["x"].failing == 0
    assert result.spec is result  # older callers rendered result.spec
