"""The line-aware YAML layer: a standard tag whose value it cannot read, and the tags a spec may
not carry at all, are one sentence at the tagged value's line and column (never a traceback).

The loss stands on line 3, its value at column 7, in every spec below (see ``HEAD``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from refusals import refusal_at

from gradcheck_cli.errors import SpecError
from gradcheck_cli.spec.source import parse_yaml

#: A spec whose loss (line 3, column 7) the tests below replace with a tagged value.
HEAD = """\
data: {batch: 2, inputs: 3}
network: [{linear: {out: 2}}]
loss: squared_error
"""


@pytest.mark.parametrize(
    ("tagged", "tag"),
    [
        ("!!int squared_error", "!!int"),
        ("!!float abc", "!!float"),
        ("!!bool maybe", "!!bool"),
        ('!!timestamp "yesterday"', "!!timestamp"),
        ("!!int 0x1g", "!!int"),
    ],
)
def test_a_standard_tag_with_a_value_it_cannot_read_is_refused_at_its_place(
    gradcheck, write_spec, tagged: str, tag: str
):
    path = write_spec(HEAD.replace("loss: squared_error", f"loss: {tagged}"))
    message = refusal_at(gradcheck("check", path), path, 3, 7)
    assert f"is not a valid `{tag}` value" in message


@pytest.mark.parametrize("tagged", ['!!binary "aGVsbG8="', "!!set {a: null}", "!!omap [a: 1]",
                                    "!!pairs [a: 1]", "!!python/name:os.system ''", "!mine x"])
def test_a_tag_outside_plain_scalars_is_refused_even_with_a_valid_value(gradcheck, write_spec, tagged: str):
    path = write_spec(HEAD.replace("loss: squared_error", f"loss: {tagged}"))
    message = refusal_at(gradcheck("check", path), path, 3, 7)
    assert "is not allowed in a spec" in message


def test_an_integer_longer_than_python_reads_is_refused_with_its_length(gradcheck, write_spec):
    digits = "7" * 5000
    path = write_spec(f"seed: {digits}\n" + HEAD)
    message = refusal_at(gradcheck("check", path), path, 1, 7)
    assert "a number of 5000 digits" in message
    assert digits not in message  # quoted short, not echoed whole


def test_a_tagged_key_with_a_bad_value_is_refused_at_the_key():
    with pytest.raises(SpecError) as caught:
        parse_yaml("data:\n  !!int batch: 2\n", "keys.yaml")
    assert (caught.value.line, caught.value.column) == (2, 3)
    assert "`batch` is not a valid `!!int` value" in caught.value.message


def test_valid_explicit_tags_of_plain_scalars_still_read_as_their_type():
    data, _ = parse_yaml('a: !!int "3"\nb: !!float 1\nc: !!bool yes\nd: !!str 3\ne: !!null ""\n', "ok.yaml")
    assert data == {"a": 3, "b": 1.0, "c": True, "d": "3", "e": None}
    assert isinstance(data["b"], float)


def test_an_inputs_file_with_a_bad_tagged_value_is_refused_at_its_place(gradcheck, tmp_path: Path):
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("seed: !!int zero\ninputs:\n  x: {shape: [2]}\n", encoding="utf-8")
    user = tmp_path / "mine.py"
    user.write_text("def loss(x):\n    return (x**2).sum()\n\n\ndef grad(x):\n    return 2*x\n",
                    encoding="utf-8")
    result = gradcheck("func", f"{user}:loss", "--grad", f"{user}:grad", "--inputs", inputs)
    message = refusal_at(result, inputs, 1, 7)
    assert "`zero` is not a valid `!!int` value" in message
