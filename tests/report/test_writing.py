"""`--output` cannot lie: the file at PATH is this run's whole report or nothing. A failure while
rendering or writing leaves neither a truncated file nor the report of an earlier run (which a
grader would read as this run's), and exits 2; a run whose every spec errored still writes its
report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradcheck_cli import report
from gradcheck_cli.report import writing

SPECS = Path(__file__).resolve().parents[2] / "specs"
GOOD = SPECS / "tanh-layer-squared-loss.yaml"

#: What an earlier run left at the output path.
STALE = '{"summary": {"ok": true}, "from": "an earlier run"}\n'


@pytest.fixture
def output(tmp_path: Path) -> Path:
    path = tmp_path / "out" / "report.json"
    path.parent.mkdir()
    path.write_text(STALE, encoding="utf-8")
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_reporter_failing_mid_render_leaves_no_file_and_exits_2(gradcheck, output: Path, monkeypatch):
    def crash(*_: object) -> str:
        raise RuntimeError("the reporter broke after writing half of its text")

    monkeypatch.setitem(report.REPORTERS, "json", crash)
    result = gradcheck("check", GOOD, "--format", "json", "--output", output)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert leftovers(output.parent) == []  # no stale report, no truncated or temporary file


def test_a_write_failing_midway_leaves_no_file_and_says_why(gradcheck, output: Path, monkeypatch):
    real = os.fdopen

    class Full:
        """A stream that takes the first 100 characters, then finds the disk full."""

        def __init__(self, stream):  # type: ignore[no-untyped-def]
            self.stream = stream

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, text: str) -> int:
            self.stream.write(text[:100])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(writing.os, "fdopen", lambda *a, **k: Full(real(*a, **k)))
    result = gradcheck("check", GOOD, "--format", "json", "--output", output)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"gradcheck: cannot write {output}: No space left on device"
    assert leftovers(output.parent) == []


def test_a_run_that_fails_before_its_report_removes_the_earlier_one(gradcheck, output: Path, tmp_path: Path):
    result = gradcheck("check", tmp_path / "missing.yaml", "--format", "json", "--output", output)
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr
    assert not output.exists()


def test_user_code_that_raises_removes_the_earlier_report(gradcheck, output: Path, tmp_path: Path):
    (tmp_path / "bad.py").write_text("def loss(x):\n    raise ValueError('no')\n\n\ndef grad(x):\n"
                                     "    return {'x': x}\n", encoding="utf-8")
    (tmp_path / "inputs.yaml").write_text("inputs:\n  x: {shape: [2]}\n", encoding="utf-8")
    code = tmp_path / "bad.py"
    result = gradcheck("func", f"{code}:loss", "--grad", f"{code}:grad", "--inputs", tmp_path / "inputs.yaml",
                       "--format", "json", "--output", output)
    assert result.exit_code == 2
    assert not output.exists()


def test_a_successful_run_replaces_the_earlier_report_whole(gradcheck, output: Path):
    result = gradcheck("check", GOOD, "--format", "json", "--output", output)
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["summary"]["passed"] == 3 and "from" not in data
    assert leftovers(output.parent) == ["report.json"]


def test_a_run_where_every_spec_errored_still_writes_its_report(gradcheck, write_spec, output: Path):
    broken = [write_spec("data: [\n", name="a.yaml"), write_spec("network: 3\n", name="b.yaml")]
    result = gradcheck("check", *broken, "--format", "json", "--output", output)
    assert result.exit_code == 2
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["summary"]["errors"] == 2 and len(data["specs"]) == 2


def test_the_report_gets_the_permissions_of_a_new_file(output: Path, tmp_path: Path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")  # a file made the ordinary way, under the same umask
    output.unlink()
    writing.write(output, "report\n")
    assert output.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_a_link_keeps_pointing_at_the_new_report(output: Path, tmp_path: Path):
    link = tmp_path / "latest.json"
    link.symlink_to(output)
    writing.write(link, "new\n")
    assert link.is_symlink() and output.read_text(encoding="utf-8") == "new\n"


def test_a_directory_named_as_the_output_is_refused_and_kept(gradcheck, tmp_path: Path):
    directory = tmp_path / "reports"
    directory.mkdir()
    (directory / "keep.txt").write_text("mine", encoding="utf-8")
    result = gradcheck("check", GOOD, "--format", "json", "--output", directory)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gradcheck: cannot write {directory}: ")
    assert leftovers(directory) == ["keep.txt"]


def test_standard_output_named_as_the_output_is_written_as_it_is():
    done = subprocess.run([sys.executable, "-m", "gradcheck_cli", "check", str(GOOD), "--format", "json",
                           "--output", "/dev/stdout"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["passed"] == 3
