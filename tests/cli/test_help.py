"""Every command's help: reviewed as a snapshot, free of type noise, wrapped like prose, and true
for the command it describes (choices generated from the registries, no option it refuses)."""

from __future__ import annotations

import itertools
import re
from typing import get_args

import pytest
from snapshots import COMMANDS, help_file, help_text, run

from gradcheck_cli.choices import Mode
from gradcheck_cli.report import REPORTERS
from gradcheck_cli.usercode.options import SCHEMES as USER_SCHEMES

#: Click wraps help to at most this many columns.
WIDTH = 80

NAMES = [" ".join(argv) or "gradcheck" for argv in COMMANDS]


@pytest.mark.parametrize("argv", COMMANDS, ids=NAMES)
def test_the_help_is_the_reviewed_snapshot(argv: tuple[str, ...]) -> None:
    # after a deliberate change: python tests/snapshots.py --update, then review the diff
    assert help_text(argv) == help_file(argv).read_text(encoding="utf-8")


@pytest.mark.parametrize("argv", COMMANDS, ids=NAMES)
def test_h_is_an_alias_of_help(argv: tuple[str, ...]) -> None:
    assert run([*argv, "-h"]) == help_text(argv)


@pytest.mark.parametrize("argv", COMMANDS, ids=NAMES)
def test_the_help_shows_no_python_types(argv: tuple[str, ...]) -> None:
    assert not re.search(r"<(bool|str|int|float|path|list)", help_text(argv), re.IGNORECASE)


@pytest.mark.parametrize("argv", COMMANDS, ids=NAMES)
def test_no_line_of_the_help_is_broken_before_the_margin(argv: tuple[str, ...]) -> None:
    """Prose is filled greedily: a line followed by more of the same paragraph or help column
    could not have taken the next word (a break in mid-sentence, "the V of / truncation", fails)."""
    lines = help_text(argv).splitlines()
    description = lines[: next(i for i, line in enumerate(lines) if line.endswith(":") and line[0] != " ")]
    for line, following in itertools.pairwise(lines):
        if not line.strip() or not following.strip():
            continue
        k = len(following) - len(following.lstrip())
        paragraph = line in description and k == 2 and _indent(line) == 2
        column = k >= 4 and (_indent(line) == k or (line[k - 2:k] == "  " and line[k] != " "))
        if paragraph or column:
            next_word = following.split()[0]
            assert len(line.rstrip()) + 1 + len(next_word) > WIDTH, f"{line!r} could take {next_word!r}"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@pytest.mark.parametrize("argv", COMMANDS, ids=NAMES)
def test_every_option_text_ends_as_a_sentence(argv: tuple[str, ...]) -> None:
    rows = re.split(r"\n(?=  -)", help_text(argv).split("Options:")[-1].split("Commands:")[0])
    for row in filter(str.strip, rows):
        text = " ".join(row.split())
        assert text.endswith((".", "]", ")")), text


def test_check_says_it_finds_yml_files_too() -> None:
    assert "*.yml" in help_text(("check",))


def test_only_check_speaks_of_overriding_every_specs_seed() -> None:
    assert "every spec's seed" in help_text(("check",))
    assert "every spec's seed" not in help_text(("expr",))
    assert "random points" in " ".join(help_text(("expr",)).split())


def test_steps_offers_every_format_but_junit_and_refuses_junit() -> None:
    offered = re.search(r"--format <([a-z|]+)>", help_text(("steps",)))
    assert offered and offered.group(1).split("|") == [name for name in REPORTERS if name != "junit"]
    refused = run(["steps", "specs/tanh-layer-squared-loss.yaml", "-f", "junit"], stderr_only=True)
    assert refused.startswith("gradcheck: `steps` plots a curve and has no verdict to report as JUnit")


def test_func_offers_the_schemes_of_the_library() -> None:
    assert f"--scheme <{'|'.join(USER_SCHEMES)}>" in help_text(("func",))


def test_check_offers_the_modes_the_library_accepts() -> None:
    assert f"--mode <{'|'.join(get_args(Mode))}>" in help_text(("check",))


def test_the_check_help_offers_every_reporter() -> None:
    assert f"<{'|'.join(REPORTERS)}>" in help_text(("check",))


def test_every_op_and_loss_is_described_by_a_whole_sentence() -> None:
    listing = run(["ops"])
    entries = re.split(r"\n(?=  \S)", listing.split("layers:\n", 1)[1].replace("losses:\n", ""))
    assert len(entries) > 10
    for entry in entries:
        assert " ".join(entry.split()).endswith("."), entry
    assert "hinge" in listing and "margin Δ (default 1)." in " ".join(listing.split())
