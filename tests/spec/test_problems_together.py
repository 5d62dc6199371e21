"""Every problem of a spec, sheet or inputs file is reported in one run, each at its own place.

Line and column numbers are 1-based and counted by hand from the YAML text of each test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from gradcheck_cli import api
from gradcheck_cli.errors import MAX_PROBLEMS, SpecError, SpecProblems

Invoke = Callable[..., Result]
WriteSpec = Callable[..., Path]

#: Three mistakes: a string seed (line 2), a misspelt op (line 5), a misspelt key (line 8).
THREE_MISTAKES = """\
name: three mistakes
seed: three
data: {batch: 2, inputs: 3}
network:
  - linera: {out: 2}
  - tanh
loss: half_squared_error
reduktion: mean
"""


def problem_lines(result: Result) -> list[str]:
    """The stderr lines of a clean exit-2 run, each checked to be one prefixed sentence."""
    assert "Traceback" not in result.output
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert all(line.startswith("gradcheck: ") for line in lines), lines
    return [line.removeprefix("gradcheck: ") for line in lines]


def test_a_spec_with_three_mistakes_reports_all_three_in_file_order(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec(THREE_MISTAKES)
    lines = problem_lines(gradcheck("check", path))
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"{path}:2:7: `seed`: input should be a valid integer")
    assert lines[1] == f"{path}:5:5: unknown op `linera` at `network[0]`; did you mean `linear`?"
    assert lines[2] == f"{path}:8:1: unknown key `reduktion` in the spec; did you mean `reduction`?"
    assert not any("more problem" in line for line in lines)


def test_the_python_api_raises_one_error_that_holds_every_problem(write_spec: WriteSpec) -> None:
    path = write_spec(THREE_MISTAKES)
    with pytest.raises(SpecProblems) as caught:
        api.check_spec(path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, 7), (5, 5), (8, 1)]
    assert (caught.value.line, caught.value.column) == (2, 7)  # the first, for code reading one error
    assert isinstance(caught.value, SpecError)


def test_check_paths_lists_every_problem_of_a_broken_spec_and_goes_on(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    broken = write_spec(THREE_MISTAKES, "specs/a-broken.yaml")
    write_spec("data: {batch: 1, inputs: 2}\nnetwork: [{linear: {out: 1}}]\nloss: half_squared_error\n",
               "specs/b-good.yaml")
    result = gradcheck("check", broken.parent)
    assert len(problem_lines(result)) == 3
    assert result.stdout.strip().splitlines()[-1] == "2 passed, 0 failed, 1 error"  # W0, b0 of the good one


def test_a_value_that_fits_no_member_of_a_union_is_one_problem(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec("data: {batch: 2, inputs: 3}\nnetwork: [{linear: {out: 2}}]\n"
                      "loss: {gaussian_nll: {covariance: .nan}}\n")
    assert len(problem_lines(gradcheck("check", path))) == 1


def test_several_missing_keys_of_one_mapping_are_each_named(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec("name: nothing but a name\n")
    lines = problem_lines(gradcheck("check", path))
    assert len(lines) == 3, lines
    assert {line.rsplit("`", 2)[-2] for line in lines} == {"data", "network", "loss"}


def test_misfits_found_while_building_a_network_are_reported_together(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec("""\
data: {batch: 2, inputs: 3}
network:
  - linear: {out: 2, W: [[1, 2], [3, 4]]}
  - linear: {out: 1, W: [[1, 2, 3]]}
loss: half_squared_error
wrt: [W0, V1]
""")
    lines = problem_lines(gradcheck("check", path))
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:3:25", f"{path}:4:25", f"{path}:6:11"]
    assert "`W` is 2×2 but linear(2) after a layer of width 3 needs 2×3" in lines[0]
    assert "`W` is 1×3 but linear(1) after a layer of width 2 needs 1×2" in lines[1]
    assert "`V1` is not a parameter of the network" in lines[2]


def test_a_broken_let_stops_its_claims_from_repeating_its_error(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec("""\
data: {batch: 1, inputs: 2}
network: [{linear: {out: 1}}]
loss: half_squared_error
let: {r: nosuch(x)}
claims: {W0: r.T, b0: r, Q: x}
""")
    lines = problem_lines(gradcheck("check", path))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:4:")


def test_beyond_the_cap_the_remaining_problems_are_counted_in_one_line(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    extra = MAX_PROBLEMS + 3
    keys = "".join(f"unknown_{i}: 1\n" for i in range(extra))
    path = write_spec(f"data: {{batch: 1, inputs: 2}}\nnetwork: [tanh]\nloss: half_squared_error\n{keys}")
    lines = problem_lines(gradcheck("check", path))
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == f"{path}: 3 more problem(s) not listed (at most {MAX_PROBLEMS} are)"


def test_an_inputs_file_with_two_mistakes_reports_both(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    code = write_spec("def loss(x):\n    return (x**2).sum()\n\ndef grad(x):\n    return {'x': 2 * x}\n",
                      "code.py")
    inputs = write_spec("seed: -1\ninputs:\n  x: {shape: [3], scael: 2}\n", "inputs.yaml")
    lines = problem_lines(gradcheck("func", f"{code}:loss", "--grad", f"{code}:grad", "--inputs", inputs))
    assert [line.split(": ", 1)[0] for line in lines] == [f"{inputs}:1:7", f"{inputs}:3:19"]
    assert "scael" in lines[1]


def test_a_question_with_two_independent_mistakes_names_both(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec("""\
questions:
  - name: quadratic form
    variables: {x: [3], A: [3, 3]}
    assume: {B: [symmetric]}
    f: x.T @ A @ x
    wrt: z
    claimed: 2 * A @ x
""")
    lines = problem_lines(gradcheck("check", path))
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:4:14", f"{path}:6:10"]
    assert "`B` is not a declared variable" in lines[0] and "`z` is not a declared variable" in lines[1]


def test_a_misspelt_key_is_one_problem_not_also_a_missing_one(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec("questions:\n  - name: q\n    variabels: {x: [3]}\n    f: x.T @ x\n    wrt: x\n")
    (line,) = problem_lines(gradcheck("check", path))
    assert line == f"{path}:3:5: unknown key `variabels` in `questions[0]`; did you mean `variables`?"
