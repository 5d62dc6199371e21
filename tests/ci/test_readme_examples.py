"""The README shows what the tool prints: every console example is run and compared, and the
table of limits is read against the constants it names.

After a deliberate change of output: ``python tests/snapshots.py --update``, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshots import README, Example, examples, limit_constants, limits_drifted, produced, same, shown_value

TEXT = README.read_text(encoding="utf-8")
EXAMPLES = examples(TEXT)


def test_the_readme_has_console_examples_to_check() -> None:
    commands = [e.argv[0] for e in EXAMPLES]
    assert commands.count("check") >= 2 and commands.count("expr") >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command.splitlines()[0][:70] for e in EXAMPLES])
def test_the_example_shows_what_the_command_prints(example: Example) -> None:
    hint = f"after a deliberate change: python tests/snapshots.py --update\n{example.command}"
    assert same(example.shown, produced(example)), hint


def test_an_example_whose_output_changed_is_caught() -> None:
    """A copy of the README with one number of the first example's table edited no longer
    matches, and neither does one with a word changed."""
    first = EXAMPLES[0]
    assert "0.0e+00" in first.shown
    for edit in (first.shown.replace("0.0e+00", "1.0e-03", 1), first.shown.replace("pass", "fail", 1)):
        copy = TEXT[:first.start] + first.command + "\n" + edit + TEXT[first.end:]
        (edited,) = [e for e in examples(copy) if e.start == first.start]
        assert not same(edited.shown, produced(first))


def test_numbers_at_rounding_level_may_differ_and_no_others() -> None:
    assert same("sym↔fd 4.4e-16 |", "sym↔fd 2.2e-16 |")
    assert not same("sym↔fd 7.5e-11 |", "sym↔fd 4.4e-16 |")
    assert not same("J = 1.853414571", "J = 1.853414572")
    assert not same("3 passed, 0 failed", "2 passed, 0 failed")


def test_the_limits_table_states_the_constants_values() -> None:
    assert limits_drifted(TEXT) == []


def test_the_limits_table_is_read_row_by_row() -> None:
    stated = [line for line in TEXT.splitlines() if line.startswith("| ") and "`gradcheck_cli." in line
              and "MAX_" in line]
    assert len(stated) >= 8
    assert limits_drifted(TEXT.replace("| 200,000 |", "| 100,000 |")) != []


def test_limits_are_written_as_people_read_them() -> None:
    assert [shown_value(v) for v in (2**17, 10**12, 1e12, 4_000_000, 20.0, 0.5)] == [
        "2¹⁷", "10¹²", "10¹²", "4,000,000", "20", "0.5"]
    assert limit_constants("`gradcheck_cli.expr.limits.MAX_EXPONENT`, `MAX_DEPTH`")[0] > 0


def test_the_excerpt_of_a_wrong_backward_rule_is_what_the_report_says(tmp_path: Path) -> None:
    """The README quotes the explanation a sigmoid without its factor 1 − y gets (an op that
    exists only in the tests, so the quote is an excerpt rather than a `$ gradcheck` example)."""
    from test_broken_ops import NETWORK, BrokenSigmoid, run

    from gradcheck_cli.ops import registered

    section = TEXT[TEXT.index("A wrong backward rule"):]
    quoted = " ".join(section.split("```text\n", 1)[1].split("```", 1)[0].split())
    assert quoted.startswith("✗ W0: backprop is the odd one out")
    with registered(BrokenSigmoid):
        assert quoted in run(tmp_path, NETWORK % "broken_sigmoid").text


def test_a_block_may_hold_several_commands_each_with_its_output() -> None:
    block = ("```text\n$ gradcheck ops\nlayers:\n"
             "$ gradcheck expr 'x.T @ x' --wrt x \\\n      --var x=3\n2 * x\n```\n")
    first, second = examples(block)
    assert (first.argv, first.shown) == (["ops"], "layers:\n")
    assert (second.argv, second.shown) == (["expr", "x.T @ x", "--wrt", "x", "--var", "x=3"], "2 * x\n")
    assert block[second.start:second.end].startswith("$ gradcheck expr")
