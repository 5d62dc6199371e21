"""The judge's own pieces on hand-made values: a pair compared with entries at a kink, the kink
bands of a directional run, and where its bisection localised a wrong entry."""

from __future__ import annotations

import numpy as np
from relative import approx

from gradcheck_cli.engines.directional import KinkEntries, Located, Outcome, SourceCheck
from gradcheck_cli.judge import AT_A_KINK, Band, bands, compare, located


def test_entries_at_a_kink_pass_between_the_one_sided_differences_and_the_others_by_tolerance():
    # entry 0 at a kink with one-sided differences [0, 1]: 0 and 0.5 both lie inside (|diff| 0.5 is
    # far over the tolerance 1e-3, but any value between is a subgradient); entry 1 is not at a kink
    # and its |diff| 0.25 is over the tolerance; entry 2 is at a kink with 2 outside [0, 1]
    band = Band(np.array([True, False, True]), np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0]))
    a = np.array([0.0, 1.0, 2.0])
    b = np.array([0.5, 1.25, 1.0])
    judged = compare("backprop", "numeric", a, b, np.full(3, 1e-3), "tol", band=band)
    assert judged.wrong.tolist() == [False, True, True]
    assert judged.pair.failing == 2 and not judged.pair.passed
    # the ratio at the kink that passes is 0; off the kink it is |diff|/tol = 250
    assert judged.ratio[0] == 0.0 and judged.ratio[1] == approx(250.0, rel=1e-12)
    assert judged.pair.tolerance_source == "tol" + AT_A_KINK
    # entry 2 is outside its band: its ratio stays |diff|/tol = 1/1e-3, the pair's worst
    assert judged.pair.worst_ratio == approx(1000.0, rel=1e-12)


def test_a_wrong_entry_off_the_kink_fails_though_every_entry_at_the_kink_passes():
    band = Band(np.array([True, False]), np.array([-1.0, 0.0]), np.array([1.0, 0.0]))
    judged = compare("backprop", "numeric", np.array([0.5, 3.0]), np.array([-0.5, 2.0]), np.full(2, 0.1),
                     "tol", band=band)
    assert judged.wrong.tolist() == [False, True] and judged.pair.failing == 1


def outcome(*checks: SourceCheck, at: dict[str, np.ndarray] | None = None) -> Outcome:
    at = at or {}
    low = {name: np.zeros_like(v, dtype=float) for name, v in at.items()}
    high = {name: np.ones_like(v, dtype=float) for name, v in at.items()}
    return Outcome(checks, directions=8, crossing=1, kinks=KinkEntries(at, low, high))


def test_a_directional_run_s_kink_entries_become_bands_of_the_tensors_that_have_any():
    found = bands(outcome(at={"W0": np.array([[False, True]]), "b0": np.array([False, False])}))
    assert list(found) == ["W0"]
    assert found["W0"].at.tolist() == [[False, True]]
    assert found["W0"].low.tolist() == [[0.0, 0.0]] and found["W0"].high.tolist() == [[1.0, 1.0]]


def test_bisection_s_entry_names_the_failing_source_as_the_odd_one_out_in_its_tensor_only():
    wrong = SourceCheck("backprop", 12.0, Located("W0", (1, 2), 1.5, 2.5))
    right = SourceCheck("symbolic", 0.5, None)
    run = outcome(wrong, right)
    assert located(run, "b0") is None
    found = located(run, "W0")
    assert found is not None
    odd, text = found
    assert odd == "backprop"
    assert text.startswith("backprop is the odd one out: ")
    assert "entry [1, 2] of ∂J/∂W0" in text and "backprop 1.5, numeric 2.5" in text


def test_when_every_source_fails_bisection_names_no_odd_one_out_and_gives_the_kink_interval():
    run = outcome(SourceCheck("backprop", 3.0, Located("W0", (0,), 4.0, 0.5, kink=(0.0, 1.0))),
                  SourceCheck("symbolic", 2.0, Located("b0", (1,), 7.0, 0.5)))
    found = located(run, "W0")
    assert found is not None
    odd, text = found
    assert odd is None and "odd one out" not in text
    assert "outside the one-sided differences [0, 1]" in text
    # the first failing source localised in b0 is symbolic
    found_b = located(run, "b0")
    assert found_b is not None and found_b[1].startswith("symbolic disagrees")
