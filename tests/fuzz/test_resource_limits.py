"""Limits are hit fast and reported: YAML bombs and deep nesting are refused in under a second
(the one timing bound here: the failure mode is a hang), arrays too large to hold are refused
before they are allocated, and each limit is a module constant a deployment may change."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from gradcheck_cli import policy
from gradcheck_cli.claims import budget
from gradcheck_cli.spec import source

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture


def refused_quickly(gradcheck: Invoke, path: Path) -> str:
    """Run `gradcheck check` on ``path``; assert exit 2 within a second of CPU time (the failure
    mode is a hang or an explosion, which burns CPU; wall time would measure the machine's load);
    return the one message."""
    start = time.process_time()
    result = gradcheck("check", path)
    elapsed = time.process_time() - start
    assert result.exit_code == 2, (result.exception, result.output[-300:])
    assert elapsed < 1.0
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"gradcheck: {path}:")
    return line


def billion_laughs(levels: int) -> str:
    """Each level a list of ten aliases of the one before: 10**levels strings in all."""
    rows = ['lol0: &lol0 "lol"']
    rows += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(rows) + "\n"


def test_a_billion_laughs_is_refused_in_under_a_second(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    line = refused_quickly(gradcheck, write_spec(billion_laughs(9)))
    assert line.endswith(f":7:7: the document expands to more than {source.MAX_NODES} nodes")  # at lol6


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", ":1:104:"),
        ("[" * 100_000, ":1:101:"),
        ("a: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n", ":1:"),
        ("".join("  " * i + "a:\n" for i in range(3_000)) + "  " * 3_000 + "b: 1\n", ":100:199:"),
        ("- " * 10_000 + "1\n", ":1:"),
    ],
)
def test_deep_nesting_is_refused_in_under_a_second_where_it_gets_too_deep(
    gradcheck: Invoke, write_spec: WriteSpec, text: str, place: str
) -> None:
    line = refused_quickly(gradcheck, write_spec(text))
    assert f"nested more than {source.MAX_DEPTH} deep; flatten the document" in line
    assert place in line


def test_an_alias_that_contains_itself_is_refused(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    line = refused_quickly(gradcheck, write_spec("data: &loop {inputs: 2, again: *loop}\n"))
    assert "an alias must not refer to a list or mapping that contains it" in line


def test_a_chain_of_aliases_deeper_than_the_limit_is_refused(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    rows = ["l0: &l0 [1]"] + [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, source.MAX_DEPTH + 5)]
    line = refused_quickly(gradcheck, write_spec("\n".join(rows) + "\n"))
    assert f"aliases nest lists and mappings more than {source.MAX_DEPTH} deep" in line


def test_nesting_up_to_the_limit_is_read(write_spec: WriteSpec) -> None:
    depth = source.MAX_DEPTH - 2  # the document's mapping is one level, the innermost number one more
    data, _ = source.parse_yaml("a: " + "[" * depth + "1" + "]" * depth + "\n", "deep.yaml")
    inner = data["a"]
    for _ in range(depth - 1):
        (inner,) = inner
    assert inner == [1]


def test_a_control_character_is_refused_at_its_place(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    line = refused_quickly(gradcheck, write_spec("data:\n  in\x00puts: 2\n"))
    assert line.endswith(":2:5: the control character U+0000 is not allowed in YAML; remove it")


def test_a_layer_too_large_to_hold_is_refused_at_the_layer_before_allocation(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = "data: {batch: 2, inputs: 100000}\nnetwork:\n  - linear: {out: 100000}\nloss: squared_error\n"
    line = refused_quickly(gradcheck, write_spec(text))
    assert line.endswith(
        f":3:5: this makes an array of more than {policy.MAX_ENTRIES:,} entries; use a smaller size"
    )


def test_the_limits_are_module_constants_a_deployment_can_lower(
    gradcheck: Invoke, write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_DEPTH", 3)
    deep = refused_quickly(gradcheck, write_spec("a: [[[[1]]]]\n", "deep.yaml"))
    assert "nested more than 3 deep" in deep
    monkeypatch.undo()
    monkeypatch.setattr(policy, "MAX_ENTRIES", 10)
    wide = refused_quickly(
        gradcheck,
        write_spec(
            "data: {batch: 2, inputs: 3}\nnetwork:\n  - linear: {out: 4}\nloss: squared_error\n", "wide.yaml"
        ),
    )
    assert "more than 10 entries" in wide


def test_a_sympy_time_budget_still_stops_work_that_swallowed_its_first_alarm() -> None:
    # Python swallows an exception raised in a gc or weakref callback; the alarm must ring again.
    def stubborn() -> str:
        deadline = time.perf_counter() + 3.0
        swallowed = False
        while time.perf_counter() < deadline:
            try:
                sum(range(1000))
            except budget.OutOfTime:
                if swallowed:
                    raise
                swallowed = True
        return "ran on"

    start = time.perf_counter()
    assert budget.within(0.1, stubborn) is None
    assert time.perf_counter() - start < 1.0
