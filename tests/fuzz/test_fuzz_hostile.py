"""The hostile classes of issue 11, fuzzed (bounded here; ``fuzz/run_long.py`` runs thousands):
towers of exp/sigmoid/log, complex infinities, tagged scalars, large symbolic shapes, many
layers and aliases each end in a report or a one-line refusal, within the fuzzed file's budget
— never a traceback, never an escaped exception."""

from __future__ import annotations

import time
from pathlib import Path

import fuzz_harness
import pytest
from fuzz_harness import CRASH, OVER_MEMORY, check_expression, check_spec_text
from fuzz_strategies import (
    complex_infinities,
    hostile_sheets,
    large_networks,
    tagged_documents,
    towers,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Seconds a fuzzed file may take here (the long run allows ``fuzz_harness.FILE_BUDGET``), and
#: beyond it to unwind and report.
BUDGET, GRACE = 2, 10


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def contract(text: str, directory: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fuzz_harness, "FILE_BUDGET", BUDGET)
        start = time.monotonic()
        outcome = check_spec_text(text, directory)
    assert outcome.kind not in (CRASH, OVER_MEMORY), (outcome.detail, text)
    assert time.monotonic() - start < BUDGET + GRACE, text


@FUZZ
@given(text=tagged_documents())
def test_tagged_scalars_give_a_report_or_a_refusal(text: str, directory: Path) -> None:
    contract(text, directory)


@FUZZ
@given(text=hostile_sheets())
def test_sheets_of_towers_infinities_large_shapes_and_aliases_give_a_report_or_a_refusal(
    text: str, directory: Path
) -> None:
    contract(text, directory)


@settings(FUZZ, max_examples=4)
@given(text=large_networks())
def test_wide_deep_networks_and_their_claims_give_a_report_or_a_refusal(text: str, directory: Path) -> None:
    contract(text, directory)


@FUZZ
@given(f=st.one_of(towers, complex_infinities), claim=st.one_of(st.none(), towers, complex_infinities))
def test_towers_and_complex_infinities_through_expr_give_a_verdict_or_a_refusal(
    f: str, claim: str | None
) -> None:
    outcome = check_expression(f, "s", claim, {})
    assert outcome.kind not in (CRASH, OVER_MEMORY), (outcome.detail, f, claim)
