"""The same specs and seed give byte-identical reports, run after run and process after process,
and every report format prints the seed of every spec. (The pytest plugin's verdicts under
``-n 2`` are compared with one process in tests/plugin.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from fuzz_strategies import SHEET_EXAMPLE
from typer.testing import Result

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture
def inputs(tmp_path: Path) -> list[Path]:
    """Two small network specs (one with its own seed, 9) and a two-question claim sheet (seed 1)."""
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(SHEET_EXAMPLE)
    return [SPECS / "worked-example.yaml", SPECS / "mlp-cross-entropy.yaml", sheet]


def test_the_same_specs_and_seed_give_byte_identical_json_in_one_process_and_another(
    gradcheck: Invoke, inputs: list[Path]
) -> None:
    args = ["check", *map(str, inputs), "--format", "json", "--seed", "5"]
    first, second = gradcheck(*args), gradcheck(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    env = {**os.environ, "PYTHONHASHSEED": "123", "NO_COLOR": "1"}
    fresh = subprocess.run(
        [sys.executable, "-m", "gradcheck_cli", *args], capture_output=True, text=True, env=env, check=False
    )
    assert fresh.stdout == first.stdout
    assert [spec["seed"] for spec in json.loads(first.stdout)["specs"]] == [5, 5, 5]


def test_a_different_seed_gives_different_numbers(gradcheck: Invoke, inputs: list[Path]) -> None:
    runs = [gradcheck("check", inputs[1], "--format", "json", "--seed", seed).stdout for seed in ("5", "6")]
    assert runs[0] != runs[1]


def seeds_in(format: str, text: str) -> list[int]:
    """The seed printed for each spec, in the order of the report."""
    if format == "json":
        return [spec["seed"] for spec in json.loads(text)["specs"]]
    if format == "junit":
        return [
            int(p.get("value", "")) for p in ET.fromstring(text).iter("property") if p.get("name") == "seed"
        ]
    return [int(n) for n in re.findall(r"\bseed (\d+)", text)]


@pytest.mark.parametrize("format", ["console", "json", "junit", "markdown"])
def test_every_report_format_prints_each_specs_seed(
    gradcheck: Invoke, inputs: list[Path], format: str
) -> None:
    own = gradcheck("check", *inputs, "--format", format, "--no-color")
    assert own.exit_code == 0, own.output
    assert seeds_in(format, own.stdout) == [0, 9, 1]
    overridden = gradcheck("check", *inputs, "--format", format, "--no-color", "--seed", "7")
    assert seeds_in(format, overridden.stdout) == [7, 7, 7]
