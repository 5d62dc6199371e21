"""Fuzzed spec files through `gradcheck check`: a report (exit 0/1) or a refusal (exit 2, one
`gradcheck: FILE…: message` line per problem) — never an escaped exception, never a traceback.

Bounded for the normal suite; ``fuzz/run_long.py`` runs the same strategies 10,000 times.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_harness import CRASH, REFUSED, Outcome, check_spec_text
from fuzz_strategies import claim_sheets, dump, mutated_examples, network_specs, yaml_garbage
from hypothesis import HealthCheck, given, settings

FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def holds(outcome: Outcome, directory: Path) -> None:
    """The contract, and for a refusal: the message names the file it is about."""
    assert outcome.kind != CRASH, outcome.detail
    if outcome.kind == REFUSED:
        assert outcome.detail.startswith(f"gradcheck: {directory / 'fuzzed.yaml'}"), outcome.detail


@FUZZ
@given(document=network_specs)
def test_random_network_specs_give_a_report_or_a_refusal_naming_the_file(
    document: object, directory: Path
) -> None:
    holds(check_spec_text(dump(document), directory), directory)


@settings(FUZZ, max_examples=12)
@given(document=claim_sheets)
def test_random_claim_sheets_give_a_report_or_a_refusal_naming_the_file(
    document: object, directory: Path
) -> None:
    holds(check_spec_text(dump(document), directory), directory)


@FUZZ
@given(text=mutated_examples())
def test_mutated_example_specs_give_a_report_or_a_refusal_naming_the_file(text: str, directory: Path) -> None:
    holds(check_spec_text(text, directory), directory)


@settings(FUZZ, max_examples=30)
@given(text=yaml_garbage)
def test_yaml_garbage_unicode_and_binary_are_refused_naming_the_file(
    text: str | bytes, directory: Path
) -> None:
    holds(check_spec_text(text, directory), directory)


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "data:\n  inputs: 2\x07\n",
        "\ufeff",
        "\ufeffdata: {inputs: 2}\n",
        b"\xff\xfe\x00",
        b"\x89PNG\r\n",
        "- - - -\n",
        "? [a]\n: 1\n",
        "&a [*a]\n",
        "a: *nowhere\n",
        "%TAG ! tag:x\n--- !x 1\n",
        "{" * 5,
        "]",
    ],
)
def test_hand_picked_garbage_is_refused_naming_the_file(text: str | bytes, directory: Path) -> None:
    outcome = check_spec_text(text, directory)
    holds(outcome, directory)
    assert outcome.kind == REFUSED
