"""Names and descriptions are printed in reports and CI logs: a control character in them (an
ANSI escape that would recolour, clear or retitle the terminal) is refused at its place."""

from __future__ import annotations

import pytest

NETWORK = 'name: "{text}"\ndata: {{inputs: 2}}\nnetwork:\n  - linear: {{out: 1}}\nloss: squared_error\n'
SHEET = ('questions:\n  - name: "{text}"\n    variables: {{x: [3]}}\n'
         '    f: sum(x)\n    wrt: x\n    claimed: ones(3)\n')


@pytest.mark.parametrize("escape", ["\\e[31m", "\\e]0;title\\a", "\\e[2J", "\\x9b31m", "\\x07"])
@pytest.mark.parametrize("template,where", [(NETWORK, "1:7"), (SHEET, "2:11")], ids=["network", "sheet"])
def test_a_control_character_in_a_name_is_refused_and_never_printed(
    gradcheck, write_spec, escape: str, template: str, where: str  # type: ignore[no-untyped-def]
) -> None:
    path = write_spec(template.format(text=f"plain {escape}text"))
    result = gradcheck("check", path)
    assert result.exit_code == 2
    assert f"{path.name}:{where}:" in result.output
    assert "control character" in result.output
    assert not any(c in result.output for c in "\x1b\x9b\x07")


def test_plain_unicode_names_are_fine(gradcheck, write_spec) -> None:  # type: ignore[no-untyped-def]
    result = gradcheck("check", write_spec(NETWORK.format(text="Übung 3 — ∂L/∂W")))
    assert result.exit_code == 0
    assert "Übung 3 — ∂L/∂W" in result.output
