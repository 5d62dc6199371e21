"""The symbolic engine estimates its arrays before it builds them: a four-line spec whose
batch × out × in array would take gigabytes is refused in a second with the formula of the
estimate, never a traceback from NumPy ("Unable to allocate 59.6 GiB")."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from gradcheck_cli import policy

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture


def wide(n: int) -> str:
    return f"data: {{batch: {n}, inputs: {n}}}\nnetwork:\n  - linear: {{out: {n}}}\nloss: squared_error\n"


def test_a_layer_whose_backward_array_would_not_fit_is_refused_with_its_estimate(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    n = 700  # 5.5 GB before the estimate
    path = write_spec(wide(n))
    start = time.monotonic()
    result = gradcheck("check", path)
    assert time.monotonic() - start < 10
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line == (
        f"gradcheck: {path}: the symbolic engine would build an array of batch × output indices × summed "
        f"indices = {n:,} × {n:,} × {n:,} = {n**3:,} entries, more than {policy.SYMBOLIC_MAX_ENTRIES:,} "
        "(policy.SYMBOLIC_MAX_ENTRIES); use a smaller batch or narrower layers")


def test_activations_that_would_not_fit_are_refused_before_the_forward_pass(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec(wide(2000))  # "Unable to allocate 59.6 GiB" before the estimate
    result = gradcheck("check", path)
    assert result.stderr == (
        f"gradcheck: {path}: the network's activations are batch × (the input's and every layer's width) = "
        f"2,000 × 4,000 = 8,000,000 numbers, more than {policy.MAX_ACTIVATIONS:,} (policy.MAX_ACTIVATIONS); "
        "use a smaller batch, or fewer or narrower layers\n")
    assert result.exit_code == 2


def test_the_refusal_comes_before_any_large_allocation(tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text(wide(700), encoding="utf-8")

    def one_gib() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30, resource.RLIM_INFINITY))

    done = subprocess.run([sys.executable, "-m", "gradcheck_cli", "check", str(path)], capture_output=True,
                          text=True, timeout=120, preexec_fn=one_gib, check=False)
    assert done.returncode == 2 and "SYMBOLIC_MAX_ENTRIES" in done.stderr, done.stderr[-1000:]
    assert "Traceback" not in done.stderr


def test_a_spec_just_under_the_limit_is_checked(gradcheck: Invoke, write_spec: WriteSpec,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "SYMBOLIC_MAX_ENTRIES", 4 * 5 * 5)  # batch × in × out of this spec
    text = "data: {batch: 4, inputs: 5}\nnetwork:\n  - linear: {out: 5}\nloss: squared_error\n"
    assert gradcheck("check", write_spec(text)).exit_code == 0
    monkeypatch.setattr(policy, "SYMBOLIC_MAX_ENTRIES", 4 * 5 * 5 - 1)
    assert gradcheck("check", write_spec(text)).exit_code == 2
