"""The console reporter renders a hand-built Report: explanation, worst entries, summary."""

from __future__ import annotations

from gradcheck_cli.report import REPORTERS, RenderOptions
from gradcheck_cli.results import Entry, ForwardCheck, LayerInfo, Pair, Report, SpecResult, TensorResult

ANSI = "\x1b["
EXPLANATION = "backprop disagrees with symbolic and numeric: scaled by 2"


def failing_tensor() -> TensorResult:
    pairs = (
        Pair("symbolic", "backprop", 0.3, 0.5, 6e14, 1, "1024 ulps of the largest entry"),
        Pair("symbolic", "numeric", 1e-11, 1e-10, 0.2, 0, "4 × finite-difference error estimate"),
        Pair("backprop", "numeric", 0.3, 0.5, 3e8, 1, "4 × finite-difference error estimate"),
    )
    return TensorResult(
        name="W0", shape=(2, 3), owner="layer 0: linear(2)", verdict="fail", pairs=pairs,
        odd_one_out="backprop", explanation=EXPLANATION,
        worst=(Entry((1, 0), {"symbolic": 0.3125, "backprop": 0.625, "numeric": 0.3125},
                     abs_error=0.3125, rel_error=0.5, tolerance=1e-9),),
        grid=((0.0, 0.0, 0.0), (3e8, 0.0, 0.0)),
    )


def report(*tensors: TensorResult, error: str | None = None) -> Report:
    spec = SpecResult(
        name="hand-built", path="specs/hand-built.yaml", seed=7, batch=2, loss="squared_error",
        reduction="mean", layers=(LayerInfo(0, "linear(2)", 3, 2, {"W0": (2, 3)}),),
        forward=None if error else ForwardCheck(0.25, 0.25, 0.0, 1e-13, (0.5, 0.5)),
        tensors=tensors, error=error,
    )
    return Report((spec,))


def render(value: Report, *, color: bool = False, width: int = 100) -> str:
    return REPORTERS["console"](value, RenderOptions(color=color, width=width))


def test_a_failing_tensor_prints_its_explanation():
    text = render(report(failing_tensor()))
    assert EXPLANATION in text
    assert "FAIL" in text


def test_a_failing_tensor_prints_the_worst_entries_table():
    text = render(report(failing_tensor()))
    assert "worst entries of ∂J/∂W0" in text
    (row,) = [line for line in text.splitlines() if "[1, 0]" in line]
    for value in ("0.3125", "0.625", "3.1e-01", "5.0e-01", "1.0e-09"):
        assert value in row, value


def test_a_failing_run_ends_with_zero_passed_one_failed():
    text = render(report(failing_tensor()))
    assert text.rstrip("\n").splitlines()[-1] == "0 passed, 1 failed"


def test_the_failing_pairs_name_their_tolerance():
    text = render(report(failing_tensor()))
    assert "symbolic vs backprop: 1 entries over tolerance (1024 ulps of the largest entry)" in text


def test_the_header_shows_the_seed():
    assert "seed 7" in render(report(failing_tensor()))


def test_a_spec_error_is_shown_with_its_message_and_counted():
    text = render(report(error="spec.yaml:5:5: unknown op `linera`"))
    assert "ERROR" in text
    assert "spec.yaml:5:5: unknown op `linera`" in text
    assert text.rstrip("\n").splitlines()[-1] == "0 passed, 0 failed, 1 error"


def test_colour_off_means_no_ansi_and_colour_on_means_ansi():
    value = report(failing_tensor())
    assert ANSI not in render(value, color=False)
    assert ANSI in render(value, color=True)


def test_the_summary_line_is_plain_even_in_colour():
    text = render(report(failing_tensor()), color=True)
    assert text.rstrip("\n").splitlines()[-1] == "0 passed, 1 failed"


def test_no_line_is_wider_than_the_width_asked_for():
    text = render(report(failing_tensor()), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
