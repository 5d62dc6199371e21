"""The `gradcheck` command end to end, in-process through CliRunner (one subprocess for -m)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from gradcheck_cli import __version__
from gradcheck_cli.cli import app
from gradcheck_cli.ops import LAYERS, LOSSES

SPECS = Path(__file__).resolve().parents[1] / "specs"
ANSI = "\x1b["
WORKED = SPECS / "worked-example.yaml"
TANH = SPECS / "tanh-layer-squared-loss.yaml"


def checked_tensors(path: Path) -> int:
    """How many checks a spec makes, read from the YAML alone: one per question of a claim
    sheet; for a network, `wrt` (else every parameter) plus one per claim."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "questions" in spec:
        return len(spec["questions"])
    claims = len(spec.get("claims", {}))
    if "wrt" in spec:
        return len(set(spec["wrt"])) + claims
    count = claims
    for layer in spec["network"]:
        if isinstance(layer, dict) and "linear" in layer:
            count += 2 if layer["linear"].get("bias", True) else 1
    return count


@pytest.fixture(scope="module")
def console_run(runner: CliRunner) -> Result:
    return runner.invoke(app, ["check", str(SPECS)])


@pytest.fixture(scope="module")
def json_run(runner: CliRunner) -> Result:
    return runner.invoke(app, ["check", str(SPECS), "--format", "json"])


@pytest.fixture(scope="module")
def document(json_run: Result) -> dict:
    return json.loads(json_run.stdout)


def worked_block(stdout: str) -> str:
    """The console section of the worked example: from its header to the next blank line."""
    start = stdout.index("worked example (backprop notes)")
    end = stdout.find("\n\n", start)
    return stdout[start : end if end != -1 else None]


# check: console


def test_checking_the_example_specs_passes_with_exit_0(console_run):
    assert console_run.exit_code == 0, console_run.output
    assert console_run.stderr == ""


def test_the_last_line_counts_every_checked_tensor(console_run):
    expected = sum(checked_tensors(p) for p in sorted(SPECS.rglob("*.yaml")))
    assert expected > 0
    assert console_run.stdout.rstrip("\n").splitlines()[-1] == f"{expected} passed, 0 failed"


def test_every_example_spec_appears_in_the_report(console_run):
    for path in SPECS.glob("*.yaml"):
        name = yaml.safe_load(path.read_text(encoding="utf-8"))["name"]
        assert name in console_run.stdout, name


def test_the_worked_example_shows_sigma_of_minus_eleven(console_run):
    output = 1 / (1 + math.exp(11))
    assert f"{output:.3e}" == "1.670e-05"
    assert "1.670e-05" in worked_block(console_run.stdout)


def test_output_to_a_pipe_has_no_ansi_escapes(console_run):
    assert ANSI not in console_run.stdout


def test_console_lines_fit_the_pinned_width(console_run):
    assert max(len(line) for line in console_run.stdout.splitlines()) <= 100


# check: json


def test_json_output_is_a_versioned_document_with_a_summary(json_run, document):
    assert json_run.exit_code == 0
    assert document["schema_version"] == 2
    n = sum(checked_tensors(p) for p in SPECS.rglob("*.yaml"))
    assert document["summary"] == {"passed": n, "failed": 0, "errors": 0, "ok": True}


def test_json_output_describes_every_spec_tensor_and_pair(document):
    assert len(document["specs"]) == len(list(SPECS.rglob("*.yaml")))
    networks = [spec for spec in document["specs"] if spec["kind"] == "network"]
    texts = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in SPECS.rglob("*.yaml")]
    sheets = [t for t in texts if "questions" in t]
    assert len(networks) == len(list(SPECS.rglob("*.yaml"))) - len(sheets)
    spec_keys = {"name", "path", "seed", "batch", "loss", "reduction", "layers", "forward",
                 "tensors", "verdict"}
    tensor_keys = {"name", "shape", "owner", "verdict", "pairs"}
    pair_keys = {"first", "second", "max_abs", "max_rel", "worst_ratio", "failing",
                 "tolerance_source", "passed"}
    for spec in networks:
        assert spec_keys <= spec.keys()
        assert spec["verdict"] == "pass"
        assert spec["tensors"]
        for tensor in spec["tensors"]:
            assert tensor_keys <= tensor.keys()
            assert tensor["verdict"] == "pass"
            assert tensor["pairs"]
            for pair in tensor["pairs"]:
                assert pair_keys <= pair.keys()
                assert pair["passed"] is True
                assert pair["failing"] == 0


def test_json_output_carries_the_seed_of_each_spec(document):
    seeds = {s["path"]: s["seed"] for s in document["specs"]}
    for path in SPECS.glob("*.yaml"):
        assert seeds[str(path)] == yaml.safe_load(path.read_text(encoding="utf-8")).get("seed", 0)


def test_json_output_has_the_worked_example_output_sigma_of_minus_eleven(document):
    (spec,) = [s for s in document["specs"] if s["path"].endswith("worked-example.yaml")]
    assert spec["forward"]["output"][0] == pytest.approx(1 / (1 + math.exp(11)), rel=1e-12)


def test_json_output_lists_the_tensors_named_in_wrt_in_order(document):
    (spec,) = [s for s in document["specs"] if s["path"].endswith("worked-example.yaml")]
    assert [t["name"] for t in spec["tensors"]] == ["W0", "b0", "W1", "b1", "x"]
    assert [t["shape"] for t in spec["tensors"]] == [[3, 3], [3], [1, 3], [1], [1, 3]]


def test_two_json_runs_are_byte_identical(runner, json_run):
    again = runner.invoke(app, ["check", str(SPECS), "--format", "json"])
    assert again.stdout_bytes == json_run.stdout_bytes


# check: options


def test_output_option_writes_the_file_and_nothing_to_stdout(gradcheck, tmp_path):
    out = tmp_path / "report.json"
    result = gradcheck("check", WORKED, "--format", "json", "--output", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["passed"] == 5


def test_console_report_written_to_a_file_is_plain_text(gradcheck, tmp_path):
    out = tmp_path / "report.txt"
    result = gradcheck("check", WORKED, "--output", out)
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert ANSI not in text
    assert text.rstrip("\n").splitlines()[-1] == "5 passed, 0 failed"


def test_an_unwritable_output_is_a_clean_exit_2(gradcheck, tmp_path):
    result = gradcheck("check", WORKED, "--output", tmp_path / "no-such-dir" / "report.txt")
    assert "Traceback" not in result.output
    assert result.exit_code == 2, (result.exception, result.output)
    assert result.stderr.startswith("gradcheck: cannot write")


def test_seed_option_overrides_the_seed_of_every_spec(gradcheck):
    default = json.loads(gradcheck("check", TANH, "--format", "json").stdout)
    seeded = json.loads(gradcheck("check", TANH, "--seed", "3", "--format", "json").stdout)
    assert default["specs"][0]["seed"] == 4
    assert seeded["specs"][0]["seed"] == 3
    assert seeded["specs"][0]["forward"]["numpy"] != default["specs"][0]["forward"]["numpy"]


def test_a_negative_seed_is_a_usage_error(gradcheck):
    result = gradcheck("check", TANH, "--seed", "-1")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_bad_spec_among_good_ones_exits_2_and_the_good_ones_are_still_reported(gradcheck, tmp_path):
    shutil.copy(WORKED, tmp_path / "good.yaml")
    (tmp_path / "bad.yaml").write_text("data:\n  inputs: 3\nnetwork:\n  - linera: {out: 2}\n"
                                       "loss: squared_error\n", encoding="utf-8")
    result = gradcheck("check", tmp_path, "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gradcheck: {tmp_path / 'bad.yaml'}:4:5: unknown op `linera`")
    document = json.loads(result.stdout)
    verdicts = {Path(s["path"]).name: s["verdict"] for s in document["specs"]}
    assert verdicts == {"bad.yaml": "error", "good.yaml": "pass"}
    assert document["summary"] == {"passed": 5, "failed": 0, "errors": 1, "ok": False}


def test_a_bad_spec_among_good_ones_ends_the_console_report_with_the_error_count(gradcheck, tmp_path):
    shutil.copy(WORKED, tmp_path / "good.yaml")
    (tmp_path / "bad.yaml").write_text("[]\n", encoding="utf-8")
    result = gradcheck("check", tmp_path)
    assert result.exit_code == 2
    assert "worked example (backprop notes)" in result.stdout
    assert result.stdout.rstrip("\n").splitlines()[-1].startswith("5 passed, 0 failed, 1 error")


def test_no_color_env_turns_colour_off_on_a_terminal(gradcheck, monkeypatch):
    monkeypatch.setattr("typer.testing._NamedTextIOWrapper.isatty", lambda self: True, raising=False)
    coloured = gradcheck("check", WORKED)
    plain = gradcheck("check", WORKED, env={"NO_COLOR": "1"})
    assert ANSI in coloured.stdout
    assert ANSI not in plain.stdout
    assert plain.exit_code == 0


def test_color_flag_forces_ansi_into_a_pipe(gradcheck):
    result = gradcheck("check", WORKED, "--color")
    assert result.exit_code == 0
    assert ANSI in result.stdout


def test_color_flag_forces_ansi_even_on_a_dumb_terminal(gradcheck):
    result = gradcheck("check", WORKED, "--color", env={"TERM": "dumb"})
    assert ANSI in result.stdout


def test_no_color_flag_wins_on_a_terminal(gradcheck, monkeypatch):
    monkeypatch.setattr("typer.testing._NamedTextIOWrapper.isatty", lambda self: True, raising=False)
    result = gradcheck("check", WORKED, "--no-color")
    assert ANSI not in result.stdout


# ops, --version, derive


def test_ops_lists_every_registered_layer_and_loss(gradcheck):
    result = gradcheck("ops")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line[:3].strip() and line[0] == " "}
    assert listed == set(LAYERS) | set(LOSSES)


def test_version_option_prints_the_version(gradcheck):
    result = gradcheck("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"gradcheck {__version__}"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "gradcheck_cli", "--version"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"gradcheck {__version__}"


def test_derive_prints_the_tanh_layer_gradient_of_a(gradcheck):
    """The slides' tanh layer: δ = (a − y) ∘ (1 − a²) and ∂L/∂A = δ xᵀ, in the claims' names."""
    result = gradcheck("derive", TANH)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  a1 = tanh(z1)" in lines and "  δz1 = (a1 - y) * (1 - a1**2)" in lines
    assert "  ∂L/∂A = δz1 @ x.T" in lines


def test_derive_index_prints_sympys_index_notation(gradcheck):
    result = gradcheck("derive", TANH, "--index")
    assert result.exit_code == 0, result.output
    assert "tanh" in result.stdout
    assert re.search(r"\bA\[", result.stdout)


def test_derive_latex_prints_latex_commands(gradcheck):
    result = gradcheck("derive", TANH, "--latex")
    assert result.exit_code == 0, result.output
    assert re.search(r"\\[a-zA-Z]+", result.stdout)
    assert r"\tanh" in result.stdout
    assert "{A}" in result.stdout


def test_derive_reports_a_bad_spec_in_one_line_with_exit_2(gradcheck, write_spec):
    path = write_spec("data:\n  inputs: 3\nnetwork:\n  - linera: {out: 2}\nloss: squared_error\n")
    result = gradcheck("derive", path)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, (result.exception, result.output)
    assert result.stderr.startswith(f"gradcheck: {path}:4:5: unknown op `linera`")


def test_an_unknown_format_is_a_usage_error(gradcheck):
    result = gradcheck("check", WORKED, "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
