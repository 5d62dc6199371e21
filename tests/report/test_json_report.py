"""The JSON reporter renders a hand-built Report: verdicts, summary, non-finite numbers."""

from __future__ import annotations

import json

from gradcheck_cli.report import REPORTERS, RenderOptions
from gradcheck_cli.report.jsonout import SCHEMA_VERSION
from gradcheck_cli.results import Entry, ForwardCheck, LayerInfo, Pair, Report, SpecResult, TensorResult

FD_TOLERANCE = "4 × finite-difference error estimate"


def pair(first: str, second: str, failing: int, worst_ratio: float = 0.5) -> Pair:
    return Pair(first, second, max_abs=3e-1 if failing else 1e-12, max_rel=0.5 if failing else 1e-10,
                worst_ratio=worst_ratio, failing=failing, tolerance_source=FD_TOLERANCE)


def failing_tensor() -> TensorResult:
    """∂J/∂W0 where backprop is the odd one out: twice the other two in entry (1, 0)."""
    return TensorResult(
        name="W0",
        shape=(2, 3),
        owner="layer 0: linear(2)",
        verdict="fail",
        pairs=(pair("symbolic", "backprop", 1, 6e14), pair("symbolic", "numeric", 0),
               pair("backprop", "numeric", 1, 3e4)),
        odd_one_out="backprop",
        explanation="backprop disagrees with symbolic and numeric: scaled by 2",
        worst=(Entry((1, 0), {"symbolic": 0.3, "backprop": 0.6, "numeric": 0.3000000001},
                     abs_error=0.3, rel_error=0.5, tolerance=1e-9),),
        grid=((0.0, 0.0, 0.0), (6e14, 0.0, 0.0)),
    )


def spec_result(*tensors: TensorResult, error: str | None = None, forward_ok: bool = True) -> SpecResult:
    forward = ForwardCheck(symbolic=0.25, numpy=0.25 if forward_ok else 0.5,
                           abs_error=0.0 if forward_ok else 0.25, tolerance=1e-13, output=(0.5, 0.5))
    return SpecResult(
        name="hand-built", path="specs/hand-built.yaml", seed=7, batch=2, loss="squared_error",
        reduction="mean", layers=(LayerInfo(0, "linear(2)", 3, 2, {"W0": (2, 3)}),),
        forward=None if error else forward, tensors=tensors, error=error,
    )


def render(report: Report) -> dict:
    return json.loads(REPORTERS["json"](report, RenderOptions()))


def test_a_failing_tensor_makes_the_spec_fail_and_the_run_not_ok():
    document = render(Report((spec_result(failing_tensor()),)))
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["summary"] == {"passed": 0, "failed": 1, "errors": 0, "ok": False}
    (spec,) = document["specs"]
    assert spec["verdict"] == "fail"
    (tensor,) = spec["tensors"]
    assert tensor["verdict"] == "fail"
    assert tensor["odd_one_out"] == "backprop"
    assert tensor["explanation"] == "backprop disagrees with symbolic and numeric: scaled by 2"
    assert [p["passed"] for p in tensor["pairs"]] == [False, True, False]


def test_the_worst_entries_keep_their_index_and_every_source_value():
    (spec,) = render(Report((spec_result(failing_tensor()),)))["specs"]
    (entry,) = spec["tensors"][0]["worst"]
    assert entry["index"] == [1, 0]
    assert entry["values"] == {"symbolic": 0.3, "backprop": 0.6, "numeric": 0.3000000001}
    assert entry["tolerance"] == 1e-9


def test_a_passing_report_is_ok():
    pairs = (pair("symbolic", "backprop", 0), pair("symbolic", "numeric", 0), pair("backprop", "numeric", 0))
    passing = TensorResult("b0", (2,), "layer 0: linear(2)", "pass", pairs)
    document = render(Report((spec_result(passing),)))
    assert document["summary"] == {"passed": 1, "failed": 0, "errors": 0, "ok": True}
    assert document["specs"][0]["verdict"] == "pass"


def test_a_forward_mismatch_fails_the_spec_even_when_every_tensor_passes():
    passing = TensorResult("b0", (2,), "layer 0: linear(2)", "pass", (pair("symbolic", "backprop", 0),))
    document = render(Report((spec_result(passing, forward_ok=False),)))
    assert document["specs"][0]["verdict"] == "fail"
    assert document["specs"][0]["forward"]["passed"] is False
    assert document["summary"]["ok"] is False


def test_a_spec_error_is_counted_as_an_error_and_keeps_its_message():
    document = render(Report((spec_result(error="spec.yaml:5:5: unknown op `linera`"),)))
    assert document["summary"] == {"passed": 0, "failed": 0, "errors": 1, "ok": False}
    assert document["specs"][0]["verdict"] == "error"
    assert document["specs"][0]["error"] == "spec.yaml:5:5: unknown op `linera`"


def test_non_finite_numbers_become_strings_so_the_document_stays_strict_json():
    tensor = failing_tensor()
    blown = TensorResult(tensor.name, tensor.shape, tensor.owner, "fail",
                         (Pair("symbolic", "numeric", float("inf"), float("nan"), float("inf"), 6, "x"),))
    text = REPORTERS["json"](Report((spec_result(blown),)), RenderOptions())
    pair_out = json.loads(text)["specs"][0]["tensors"][0]["pairs"][0]
    assert (pair_out["max_abs"], pair_out["max_rel"]) == ("inf", "nan")
    assert "Infinity" not in text
    assert "NaN" not in text


def test_the_document_shape_does_not_depend_on_render_options():
    report = Report((spec_result(failing_tensor()),))
    plain = REPORTERS["json"](report, RenderOptions())
    fancy = REPORTERS["json"](report, RenderOptions(color=True, width=40))
    assert plain == fancy
