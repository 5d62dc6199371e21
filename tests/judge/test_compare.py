"""The spec judge on hand-made gradients: the numbers it reports (ratios of a passing pair, the
worst entries' values, the error grid), who it names as the odd one out, the spec's atol, and
gradients of the wrong shape. Every expected value is worked out from the tolerance formula
(``fd.tolerance``: ANALYTIC_ULPS ulps of the largest entry + ESTIMATE_SAFETY × the estimate)."""

from __future__ import annotations

import dataclasses

import numpy as np
from problems import make_problem
from relative import approx

from gradcheck_cli import policy
from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients
from gradcheck_cli.engines.directional import KinkEntries, Located, Outcome, SourceCheck
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SquaredError
from gradcheck_cli.problem import Problem, Settings
from gradcheck_cli.results import QuestionResult

ULP = policy.ANALYTIC_ULPS * policy.EPS
SAFETY = policy.ESTIMATE_SAFETY

#: ∂J/∂W0 of a 2×3 weight: entries of distinct sizes, largest 6
G = np.array([[1.0, -2.0, 3.0], [4.0, -5.0, 6.0]])
#: the numeric engine's error estimate of every entry
E = 1e-7


def problem(**settings: float) -> Problem:
    made = make_problem([Linear(out=2)], SquaredError(), inputs=3, wrt=["W0"])
    return dataclasses.replace(made, settings=Settings(**settings))  # type: ignore[arg-type]


def source(name: str, grad: np.ndarray, loss: float = 1.0) -> Gradients:
    error = {"W0": np.full(G.shape, E)} if name == "numeric" else {}
    return Gradients(name, loss, np.zeros((5, 2)), {"W0": grad}, error)


def found(symbolic: np.ndarray = G, backprop: np.ndarray = G,
          numeric: np.ndarray = G) -> dict[str, Gradients]:
    return {"symbolic": source("symbolic", symbolic), "backprop": source("backprop", backprop),
            "numeric": source("numeric", numeric)}


def test_a_passing_pair_reports_its_largest_error_relative_error_and_ratio_to_tolerance():
    numeric = G.copy()
    numeric[1, 2] += 2e-7  # half of what 4 × 1e-7 allows, on the entry 6
    (tensor,) = compare(problem(), found(numeric=numeric)).tensors
    assert tensor.verdict == "pass"
    exact, with_numeric = tensor.pairs[0], tensor.pairs[1]
    assert (exact.first, exact.second) == ("symbolic", "backprop")
    assert (exact.max_abs, exact.worst_ratio, exact.failing) == (0.0, 0.0, 0)
    assert (with_numeric.first, with_numeric.second) == ("symbolic", "numeric")
    assert with_numeric.max_abs == approx(2e-7, rel=1e-6)
    assert with_numeric.max_rel == approx(2e-7 / (6.0 + 2e-7), rel=1e-6)
    assert with_numeric.worst_ratio == approx(2e-7 / (6.0 * ULP + SAFETY * E), rel=1e-6)
    assert with_numeric.failing == 0


def test_the_worst_entries_carry_each_source_s_value_the_errors_and_the_tolerance():
    backprop = G.copy()
    backprop[0, 1] = -2.5   # off by 0.5
    backprop[1, 0] = 4.1    # off by 0.1
    (tensor,) = compare(problem(), found(backprop=backprop)).tensors
    assert tensor.verdict == "fail" and tensor.odd_one_out == "backprop"
    first, second = tensor.worst[0], tensor.worst[1]
    assert first.index == (0, 1) and second.index == (1, 0)
    assert first.values == {"symbolic": -2.0, "backprop": -2.5, "numeric": -2.0}
    assert second.values == {"symbolic": 4.0, "backprop": 4.1, "numeric": 4.0}
    # the pair the worst entries come from is symbolic/backprop, both analytic: the tolerance is
    # the rounding of the largest entry (6) alone
    assert first.abs_error == approx(0.5) and first.rel_error == approx(0.5 / 2.5)
    assert second.abs_error == approx(0.1) and second.rel_error == approx(0.1 / 4.1)
    assert first.tolerance == approx(6.0 * ULP) and second.tolerance == approx(6.0 * ULP)
    assert len(tensor.worst) == policy.WORST_ENTRIES


def test_the_error_grid_is_the_error_over_the_tolerance_of_every_entry_row_by_row():
    backprop = G.copy()
    backprop[0, 1] = -2.5
    (tensor,) = compare(problem(), found(backprop=backprop)).tensors
    worst_pair = max(tensor.pairs, key=lambda p: p.worst_ratio)
    assert (worst_pair.first, worst_pair.second) == ("symbolic", "backprop")
    expected = np.zeros(G.shape)
    expected[0, 1] = 0.5 / (6.0 * ULP)
    np.testing.assert_allclose(np.array(tensor.grid), expected, rtol=1e-9)


def test_when_all_three_sources_disagree_no_one_is_named():
    (tensor,) = compare(problem(), found(backprop=G + 1.0, numeric=G - 1.0)).tensors
    assert tensor.verdict == "fail"
    assert tensor.odd_one_out is None
    assert all(not p.passed for p in tensor.pairs)
    assert "no two of them agree" in (tensor.explanation or "")


def test_the_spec_s_atol_given_alone_is_added_to_the_tolerance():
    backprop = G + 0.4
    assert compare(problem(), found(backprop=backprop)).tensors[0].verdict == "fail"
    (tensor,) = compare(problem(atol=0.5), found(backprop=backprop)).tensors
    assert tensor.verdict == "pass"
    assert tensor.pairs[0].worst_ratio == approx(0.4 / (6.4 * ULP + 0.5))
    assert tensor.pairs[0].tolerance_source.endswith("+ spec atol/rtol")
    assert compare(problem(atol=0.3), found(backprop=backprop)).tensors[0].verdict == "fail"


def test_the_forward_check_allows_the_rounding_of_a_loss_of_at_least_one():
    result = compare(problem(), {"symbolic": source("symbolic", G, loss=0.25),
                                 "backprop": source("backprop", G, loss=0.25)})
    assert result.forward is not None
    assert result.forward.tolerance == approx(ULP)
    big = compare(problem(), {"symbolic": source("symbolic", G, loss=-8.0),
                              "backprop": source("backprop", G, loss=-8.0)})
    assert big.forward is not None and big.forward.tolerance == approx(8.0 * ULP)


def test_a_transposed_gradient_from_one_source_is_a_transpose_failure_blaming_it():
    (tensor,) = compare(problem(), found(backprop=G.T.copy())).tensors
    assert (tensor.verdict, tensor.diagnosis, tensor.odd_one_out) == ("fail", "transpose", "backprop")
    by_pair = {(p.first, p.second): p for p in tensor.pairs}
    assert by_pair["symbolic", "numeric"].passed
    assert by_pair["symbolic", "backprop"].failing == G.size
    assert by_pair["backprop", "numeric"].worst_ratio == np.inf
    # no error of a misshapen gradient is finite, nor its relative error
    off = by_pair["backprop", "numeric"]
    assert off.max_abs == np.inf and off.max_rel == np.inf


def test_a_transposed_gradient_whose_transpose_is_wrong_too_is_a_shape_failure():
    (tensor,) = compare(problem(), found(backprop=(2.0 * G).T.copy())).tensors
    assert (tensor.verdict, tensor.diagnosis) == ("fail", "shape")
    assert "its transpose is wrong too" in (tensor.explanation or "")


def test_a_misshapen_gradient_with_only_one_other_source_is_not_an_odd_one_out():
    two = {"backprop": source("backprop", G.T.copy()), "numeric": source("numeric", G)}
    (tensor,) = compare(problem(), two).tensors
    assert tensor.verdict == "fail" and tensor.odd_one_out is None


def test_two_misshapen_gradients_name_no_odd_one_out():
    (tensor,) = compare(problem(), found(symbolic=G[:, :2].copy(), backprop=G.T.copy())).tensors
    assert (tensor.verdict, tensor.diagnosis, tensor.odd_one_out) == ("fail", "shape", None)


def test_the_numeric_engine_is_named_when_the_analytic_two_agree_against_it():
    (tensor,) = compare(problem(), found(numeric=G + 0.5)).tensors
    assert tensor.verdict == "fail" and tensor.odd_one_out == "numeric"
    assert (tensor.explanation or "").startswith("numeric is the odd one out: symbolic and backprop agree")


def test_the_rounding_allowed_two_analytic_sources_is_that_of_the_larger_one():
    (tensor,) = compare(problem(), found(backprop=2.0 * G)).tensors
    # |G − 2G| is largest (6) at the entry 6; the larger source's largest entry is 12
    assert tensor.pairs[0].worst_ratio == approx(6.0 / (12.0 * ULP))


def test_the_spec_s_rtol_given_alone_is_relative_to_the_second_source():
    backprop = 1.05 * G
    (tensor,) = compare(problem(rtol=0.1), found(backprop=backprop)).tensors
    assert tensor.verdict == "pass"
    assert tensor.pairs[0].tolerance_source.endswith("+ spec atol/rtol")
    assert compare(problem(rtol=0.01), found(backprop=backprop)).tensors[0].verdict == "fail"


def kinked(analytic: float) -> dict[str, Gradients]:
    """Entry (0, 0) at a kink whose one-sided differences are 0 and 1: the central difference
    there is ½, and the analytic sources say ``analytic``."""
    numeric_grad, sym = G.copy(), G.copy()
    numeric_grad[0, 0], sym[0, 0] = 0.5, analytic
    at = np.zeros(G.shape, dtype=bool)
    at[0, 0] = True
    low, high = G.copy(), G.copy()
    low[0, 0], high[0, 0] = 0.0, 1.0
    numeric = Gradients("numeric", 1.0, np.zeros((5, 2)), {"W0": numeric_grad},
                        {"W0": np.full(G.shape, E)}, kinks={"W0": at}, one_sided={"W0": (low, high)})
    return {"symbolic": source("symbolic", sym), "backprop": source("backprop", sym.copy()),
            "numeric": numeric}


def test_at_a_kink_any_value_between_the_one_sided_differences_passes():
    (tensor,) = compare(problem(), kinked(0.0)).tensors
    assert tensor.verdict == "pass" and tensor.kinks == 1
    band = "; at a kink: between the one-sided differences"
    assert all(p.tolerance_source.endswith(band) for p in tensor.pairs)
    assert all(p.worst_ratio == 0.0 for p in tensor.pairs)


def test_at_a_kink_a_value_outside_the_one_sided_differences_fails():
    (tensor,) = compare(problem(), kinked(2.0)).tensors
    assert tensor.verdict == "fail" and tensor.kinks == 1
    by_pair = {(p.first, p.second): p for p in tensor.pairs}
    assert by_pair["symbolic", "numeric"].failing == 1 and by_pair["backprop", "numeric"].failing == 1


def test_a_loss_whose_math_and_forward_differ_is_named_when_the_layers_agree():
    # symbolic's J is 1, backprop's 2, every layer's output the same: the loss's own math is off
    two = found(backprop=G + 1.0)
    two["backprop"] = dataclasses.replace(two["backprop"], loss=2.0)
    (tensor,) = compare(problem(), two).tensors
    assert tensor.verdict == "fail" and tensor.odd_one_out == "backprop"
    said = "the SymPy math of the loss `squared_error` differs from its NumPy forward"
    assert said in (tensor.explanation or "")


def test_a_directional_run_fails_a_tensor_where_bisection_localised_a_wrong_entry():
    # the two analytic sources agree entry by entry; along random directions backprop failed and
    # bisection ended on W0[1, 2]: the tensor fails, naming backprop and the entry
    analytic = {"symbolic": source("symbolic", G), "backprop": source("backprop", G)}
    outcome = Outcome(
        (SourceCheck("symbolic", 0.5, None), SourceCheck("backprop", 40.0, Located("W0", (1, 2), 6.0, 7.0))),
        directions=8, crossing=0, kinks=KinkEntries({}, {}, {}))
    claim = QuestionResult("q1", "correct", "J", "W0", "numerator", None, None, None, "symbolic")
    result = compare(problem(), analytic, outcome, claims=(claim,))
    assert result.mode == "directional" and result.claims == (claim,)
    assert [c.source for c in result.directional] == ["symbolic", "backprop"]
    (tensor,) = result.tensors
    assert (tensor.verdict, tensor.odd_one_out) == ("fail", "backprop")
    assert "entry [1, 2] of ∂J/∂W0: backprop 6, numeric 7" in (tensor.explanation or "")


def test_a_run_without_directions_is_a_full_check():
    assert compare(problem(), found()).mode == "full"
