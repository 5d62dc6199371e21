"""No code from data: Python-object YAML tags in any position, dunder keys, and expressions used
as YAML keys are refused with exit 2 — and a marker file their payload would create never appears.

Each tag payload is live: the control loads the same text with ``yaml.unsafe_load`` and the
marker appears, so a test here fails if the loader ever stops being safe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import Result

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py

NETWORK = "data: {inputs: 2}\nnetwork:\n  - linear: {out: 1}\nloss: squared_error\n"
SHEET = "questions:\n  - name: q\n    variables: {x: [3]}\n    f: sum(x)\n    wrt: x\n    claimed: ones(3)\n"

#: Where a tagged value can stand; {evil} is the tagged node.
POSITIONS = {
    "the loss": NETWORK.replace("loss: squared_error", "loss: {evil}"),
    "a key": "? {evil}\n: 1\n" + NETWORK,
    "an inline input": NETWORK.replace("{inputs: 2}", "{inputs: 2, x: {evil}}"),
    "a layer": NETWORK.replace("  - linear: {out: 1}", "  - {evil}"),
    "a layer setting": NETWORK.replace("{out: 1}", "{out: {evil}}"),
    "a merge key": NETWORK.replace("data: {inputs: 2}", "data:\n  <<: {evil}\n  inputs: 2"),
    "an anchor used by an alias": "name: &p {evil}\ndescription: *p\n" + NETWORK,
    "the document": "--- {evil}\n",
    "a sheet's variables": SHEET.replace("{x: [3]}", "{x: {evil}}"),
    "a sheet's claim": SHEET.replace("claimed: ones(3)", "claimed: {evil}"),
}

#: Ways to write a tag that makes PyYAML's unsafe loader call ``os.system``.
TAGS = {
    "apply": "!!python/object/apply:os.system [{command}]",
    "new": "!!python/object/new:os.system [{command}]",
    "verbatim": "!<tag:yaml.org,2002:python/object/apply:os.system> [{command}]",
}


def touch(marker: Path) -> str:
    return f'"touch {marker}"'


def unsafe_control(text: str, marker: Path) -> None:
    """Load ``text`` unsafely: the marker must appear (the payload is live)."""
    with contextlib.suppress(Exception):  # constructing may fail after the call has run
        yaml.unsafe_load(text)
    assert marker.exists(), "the payload is not live; the test proves nothing"


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("position", POSITIONS)
def test_a_python_tag_anywhere_is_refused_and_runs_nothing(
    gradcheck: Invoke, tmp_path: Path, position: str, tag: str
) -> None:
    marker = tmp_path / "pwned"
    evil = TAGS[tag].format(command=touch(marker))
    path = tmp_path / "spec.yaml"
    path.write_text(POSITIONS[position].replace("{evil}", evil))
    result = gradcheck("check", path)
    assert result.exit_code == 2, result.output
    assert f"gradcheck: {path}:" in result.stderr
    assert not marker.exists()
    if position == "a merge key":  # PyYAML merges before it constructs: no loader runs this one
        return
    control = tmp_path / "control"
    unsafe_control(POSITIONS[position].replace("{evil}", TAGS[tag].format(command=touch(control))), control)


def test_a_tag_directive_naming_the_python_namespace_is_refused_and_runs_nothing(
    gradcheck: Invoke, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    text = "%TAG !py! tag:yaml.org,2002:python/\n---\n" + NETWORK.replace(
        "loss: squared_error", f"loss: !py!object/apply:os.system [{touch(marker)}]"
    )
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = gradcheck("check", path)
    assert result.exit_code == 2, result.output
    assert "is not allowed in a spec" in result.stderr
    assert not marker.exists()
    unsafe_control(text, marker)


@pytest.mark.parametrize("key", ["__class__", "__init__", "__reduce__", "__globals__", "__builtins__"])
@pytest.mark.parametrize("where", ["top", "data", "layer", "loss", "question"])
def test_a_dunder_key_is_an_unknown_key_at_its_line(
    gradcheck: Invoke, tmp_path: Path, key: str, where: str
) -> None:
    text = {
        "top": f"{key}: 1\n" + NETWORK,
        "data": NETWORK.replace("{inputs: 2}", f"{{inputs: 2, {key}: 1}}"),
        "layer": NETWORK.replace("{out: 1}", f"{{out: 1, {key}: 1}}"),
        "loss": NETWORK.replace("loss: squared_error", f"loss: {{gaussian_nll: {{{key}: 1}}}}"),
        "question": SHEET + f"    {key}: 1\n",
    }[where]
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = gradcheck("check", path)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"gradcheck: {path}:")
    assert f"unknown key `{key}`" in line


@pytest.mark.parametrize("where", ["claims", "let", "variables", "assume", "wrt"])
def test_an_expression_as_a_yaml_key_or_name_is_refused_and_runs_nothing(
    gradcheck: Invoke, tmp_path: Path, where: str
) -> None:
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    text = {
        "claims": NETWORK + f'claims: {{"{code}": W0}}\n',
        "let": NETWORK + f'let: {{"{code}": W0}}\nclaims: {{W0: x}}\n',
        "variables": SHEET.replace("{x: [3]}", f'{{x: [3], "{code}": [3]}}'),
        "assume": SHEET + f'    assume: {{"{code}": [symmetric]}}\n',
        "wrt": SHEET.replace("wrt: x", f'wrt: "{code}"'),
    }[where]
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = gradcheck("check", path)
    assert result.exit_code == 2, result.output
    assert not marker.exists()
    exec(code)  # the control: as Python, the same text creates the marker
    assert marker.exists()
