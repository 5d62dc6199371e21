"""The pytest plugin: *.gradcheck.yaml files become test items, one per check, also under xdist."""

from __future__ import annotations

import re

import pytest

from gradcheck_cli.ops import registered
from gradcheck_cli.ops.activations import Sigmoid
from gradcheck_cli.ops.base import Array

NETWORK = """\
name: small tanh network
seed: 4
data: {batch: 3, inputs: 2}
network:
  - linear: {out: 3}
  - %s
  - linear: {out: 2}
loss: squared_error
"""
SHEET = """\
name: answers
seed: 3
questions:
  - name: squared norm
    variables: {x: [3]}
    f: x.T @ x
    wrt: x
    claimed: 2 * x
  - name: least squares, sign dropped
    variables: {x: [2], A: [3, 2], y: [3]}
    f: 0.5 * norm(y - A @ x)**2
    wrt: x
    claimed: %s
"""
RIGHT, WRONG = "-A.T @ (y - A @ x)", "A.T @ (y - A @ x)"
SUMMARY = re.compile(r"^(PASSED|FAILED) (\S+\.gradcheck\.yaml::[^-]+?)(?: - .*)?$")


class BrokenSigmoid(Sigmoid):
    """g(z) = σ(z), with a backward that forgets the factor (1 - y)."""

    kind = "plugin_broken_sigmoid"

    def derivative(self, z: Array, y: Array) -> Array:
        return y


def verdicts(result: pytest.RunResult) -> dict[str, str]:
    """node id → PASSED / FAILED, from the ``-rA`` short summary."""
    found = {}
    for line in result.outlines:
        match = SUMMARY.match(line)
        if match:
            found[match.group(2).strip()] = match.group(1)
    return found


def test_passing_specs_pass_one_item_per_check(pytester: pytest.Pytester):
    pytester.makefile(".gradcheck.yaml", net=NETWORK % "tanh", sheet=SHEET % RIGHT)
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=5 + 2)
    assert set(verdicts(result)) == {
        *(f"net.gradcheck.yaml::{name}" for name in ("W0", "b0", "W1", "b1", "forward")),
        "sheet.gradcheck.yaml::squared norm", "sheet.gradcheck.yaml::least squares, sign dropped",
    }


def test_a_wrong_answer_fails_and_shows_its_diagnosis_and_line(pytester: pytest.Pytester):
    pytester.makefile(".gradcheck.yaml", sheet=SHEET % WRONG)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "the sign is wrong*",
        "  in */sheet.gradcheck.yaml:9: least squares, sign dropped (seed 3)",
        "claimed: A.T @ (y - A @ x)",
        "diagnosis (sign): *",
    ])


def test_the_seed_option_reaches_the_report(pytester: pytest.Pytester):
    pytester.makefile(".gradcheck.yaml", sheet=SHEET % WRONG)
    result = pytester.runpytest("--gradcheck-seed", "42")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*: least squares, sign dropped (seed 42)"])
    assert "(seed 3)" not in result.stdout.str()


def test_a_broken_backward_fails_its_tensors_with_the_worst_entries(pytester: pytest.Pytester):
    pytester.makefile(".gradcheck.yaml", net=NETWORK % "plugin_broken_sigmoid")
    with registered(BrokenSigmoid):
        result = pytester.runpytest("-rA")
    assert verdicts(result) == {"net.gradcheck.yaml::W0": "FAILED", "net.gradcheck.yaml::b0": "FAILED",
                                "net.gradcheck.yaml::W1": "PASSED", "net.gradcheck.yaml::b1": "PASSED",
                                "net.gradcheck.yaml::forward": "PASSED"}
    result.stdout.fnmatch_lines(["backprop is the odd one out*", "  in */net.gradcheck.yaml:5: W0 (seed 4)",
                                 "worst entries of ∂J/∂W0:"])


def test_a_spec_that_does_not_load_is_one_failing_item_with_one_line(pytester: pytest.Pytester):
    pytester.makefile(".gradcheck.yaml", net=NETWORK % "tahn")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(failed=1)
    assert verdicts(result) == {"net.gradcheck.yaml::load spec": "FAILED"}
    message = "net.gradcheck.yaml:6:5: unknown op `tahn` at `network[1]`; did you mean `tanh`?"
    assert any(line.endswith(message) for line in result.outlines)


def test_other_yaml_files_are_not_collected(pytester: pytest.Pytester):
    pytester.makefile(".yaml", net=NETWORK % "tanh")
    result = pytester.runpytest()
    result.assert_outcomes()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_two_xdist_workers_give_the_same_verdicts_as_one_process(pytester: pytest.Pytester):
    pytester.makefile(".gradcheck.yaml", net=NETWORK % "sigmoid", right=SHEET % RIGHT, wrong=SHEET % WRONG,
                      broken=NETWORK % "tahn")
    alone = pytester.runpytest("-rA")
    workers = pytester.runpytest("-rA", "-n", "2")
    assert "2 workers" in workers.stdout.str()
    outcomes = {"passed": 5 + 2 + 1, "failed": 1 + 1}
    alone.assert_outcomes(**outcomes)
    workers.assert_outcomes(**outcomes)
    assert verdicts(workers) == verdicts(alone)
    assert len(verdicts(alone)) == 10
