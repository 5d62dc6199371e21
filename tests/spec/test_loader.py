"""Bad specs through the CLI: exit 2, one sentence on stderr naming file:line:col, no traceback.

Line and column numbers are 1-based and counted by hand from the YAML text of each test.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import Result

#: Lines 1-6 of most specs below; line 5 is the only layer, line 6 the loss.
HEAD = """\
data:
  batch: 2
  inputs: 3
network:
  - linear: {out: 2}
loss: squared_error
"""


def spec_error(result: Result, path: Path, line: int | None = None, column: int | None = None) -> str:
    """Assert a clean exit-2 spec error at ``path:line:column``; return the message after it.

    A position left out may be anything, or absent when both are left out.
    """
    assert "Traceback" not in result.output
    assert result.exit_code == 2, (result.exit_code, result.exception, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    any_number = r"\d+"
    if line is None and column is None:
        place = re.escape(str(path)) + r"(:\d+:\d+)?"
    else:
        place = f"{re.escape(str(path))}:{line or any_number}:{column or any_number}"
    match = re.match(rf"gradcheck: {place}: ", lines[0])
    assert match, f"{lines[0]!r} is not at {place!r}"
    return lines[0][match.end():]


# Unknown names


def test_reports_the_yaml_line_of_an_unknown_op(gradcheck, write_spec):
    path = write_spec(HEAD.replace("- linear:", "- linera:"))
    message = spec_error(gradcheck("check", path), path, 5, 5)
    assert "unknown op `linera`" in message
    assert "did you mean `linear`?" in message


def test_reports_an_unknown_loss_with_the_closest_known_loss(gradcheck, write_spec):
    path = write_spec(HEAD.replace("loss: squared_error", "loss: squared_eror"))
    message = spec_error(gradcheck("check", path), path, 6, 7)
    assert "unknown loss `squared_eror`" in message
    assert "did you mean `squared_error`?" in message


def test_reports_an_unknown_top_level_key_with_a_did_you_mean(gradcheck, write_spec):
    path = write_spec(HEAD + "reduktion: sum\n")
    message = spec_error(gradcheck("check", path), path, 7, 1)
    assert "unknown key `reduktion`" in message
    assert "did you mean `reduction`?" in message


def test_reports_an_unknown_key_inside_a_layer_at_the_key(gradcheck, write_spec):
    path = write_spec(HEAD.replace("{out: 2}", "{out: 2, bais: false}"))
    message = spec_error(gradcheck("check", path), path, 5, 22)
    assert "unknown key `bais`" in message
    assert "did you mean `bias`?" in message


def test_does_not_suggest_the_misplaced_key_itself(gradcheck, write_spec):
    # `scheme` belongs under `check:`; "did you mean `scheme`?" would send the user in circles.
    path = write_spec(HEAD.replace("  inputs: 3\n", "  inputs: 3\n  scheme: central\n"))
    message = spec_error(gradcheck("check", path), path, 4, 3)
    assert "unknown key `scheme`" in message
    assert "did you mean `scheme`?" not in message


# Types and missing keys


def test_reports_a_wrong_type_at_the_value(gradcheck, write_spec):
    path = write_spec(HEAD.replace("batch: 2", "batch: three"))
    message = spec_error(gradcheck("check", path), path, 2, 10)
    assert "`data.batch`" in message
    assert "integer" in message
    assert "'three'" in message


def test_reports_a_missing_loss(gradcheck, write_spec):
    path = write_spec(HEAD.replace("loss: squared_error\n", ""))
    message = spec_error(gradcheck("check", path), path, 1, 1)
    assert "missing the key `loss`" in message


# Shapes


def test_reports_both_shapes_of_a_matrix_that_does_not_fit_the_previous_layer(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  batch: 2\n"
        "  inputs: 3\n"
        "network:\n"
        "  - linear: {out: 4}\n"
        "  - tanh\n"
        "  - linear:\n"
        "      W: [[1, 2, 3], [4, 5, 6]]\n"
        "loss: squared_error\n"
    )
    message = spec_error(gradcheck("check", path), path, 8, 10)
    assert "`W` is 2×3" in message
    assert "needs 2×4" in message


def test_reports_a_bias_of_the_wrong_length_at_the_bias(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  batch: 2\n"
        "  inputs: 3\n"
        "network:\n"
        "  - linear:\n"
        "      out: 2\n"
        "      b: [1, 2, 3]\n"
        "loss: squared_error\n"
    )
    message = spec_error(gradcheck("check", path), path, 7, 10)
    assert "`b` has 3 entries" in message
    assert "2 outputs" in message


def test_reports_a_label_out_of_range(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  batch: 2\n"
        "  inputs: 3\n"
        "  labels: [0, 3]\n"
        "network:\n"
        "  - linear: {out: 3}\n"
        "  - softmax\n"
        "loss: cross_entropy\n"
    )
    message = spec_error(gradcheck("check", path), path, 4, 11)
    assert "label is 3" in message
    assert "3 outputs" in message


def test_reports_an_empty_label_list_without_a_traceback(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  inputs: 3\n"
        "  labels: []\n"
        "network:\n"
        "  - linear: {out: 3}\n"
        "  - softmax\n"
        "loss: cross_entropy\n"
    )
    spec_error(gradcheck("check", path), path, 3, 11)


def test_reports_labels_that_disagree_with_the_batch_size(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  batch: 5\n"
        "  inputs: 3\n"
        "  labels: [0, 1]\n"
        "network:\n"
        "  - linear: {out: 3}\n"
        "  - softmax\n"
        "loss: cross_entropy\n"
    )
    message = spec_error(gradcheck("check", path), path)
    assert "5" in message
    assert "2" in message


def test_reports_targets_of_the_wrong_shape_with_both_shapes(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  batch: 2\n"
        "  inputs: 3\n"
        "  y: [[1, 2], [3, 4]]\n"
        "network:\n"
        "  - linear: {out: 3}\n"
        "loss: squared_error\n"
    )
    message = spec_error(gradcheck("check", path), path, 4, 6)
    assert "`y` is 2×2" in message
    assert "needs 2×3" in message


def test_reports_empty_targets_without_a_traceback(gradcheck, write_spec):
    path = write_spec(HEAD.replace("  inputs: 3\n", "  inputs: 3\n  y: []\n"))
    spec_error(gradcheck("check", path), path, 4, 6)


def test_rejects_non_finite_inputs(gradcheck, write_spec):
    path = write_spec(HEAD.replace("  batch: 2\n  inputs: 3\n", "  x: [[.nan, 1, 2]]\n"))
    message = spec_error(gradcheck("check", path), path, 2)
    assert "finite" in message


def test_reports_a_batch_too_large_to_hold_without_a_traceback(gradcheck, write_spec):
    path = write_spec(HEAD.replace("batch: 2", "batch: 100000000000"))
    spec_error(gradcheck("check", path), path, 2, 10)


# wrt


def test_reports_a_wrt_name_that_is_not_a_parameter_and_lists_the_known_ones(gradcheck, write_spec):
    path = write_spec(HEAD + "wrt: [W0, W9]\n")
    message = spec_error(gradcheck("check", path), path, 7, 11)
    assert "`W9` is not a parameter" in message
    assert "W0, b0, x" in message


def test_suggests_the_closest_parameter_for_a_misspelt_wrt_name(gradcheck, write_spec):
    path = write_spec(HEAD + "wrt: [W_0]\n")
    message = spec_error(gradcheck("check", path), path, 7, 7)
    assert "did you mean `W0`?" in message


# The YAML document itself


def test_reports_the_line_and_column_of_a_yaml_syntax_error(gradcheck, write_spec):
    # The unclosed `[` on line 3 swallows the newline; the parser trips on line 4's colon.
    path = write_spec(HEAD.replace("inputs: 3", "inputs: [3"))
    message = spec_error(gradcheck("check", path), path, 4, 8)
    assert message.startswith("YAML syntax error")


def test_reports_a_tab_used_for_indentation(gradcheck, write_spec):
    path = write_spec(HEAD.replace("  batch: 2", "\tbatch: 2"))
    message = spec_error(gradcheck("check", path), path, 2, 1)
    assert "YAML syntax error" in message


def test_reports_an_empty_file(gradcheck, write_spec):
    path = write_spec("")
    message = spec_error(gradcheck("check", path), path)
    assert "empty" in message


def test_reports_a_file_of_comments_as_empty(gradcheck, write_spec):
    path = write_spec("# nothing here yet\n")
    assert "empty" in spec_error(gradcheck("check", path), path)


def test_reports_a_list_where_a_mapping_belongs(gradcheck, write_spec):
    path = write_spec("- linear: {out: 2}\n- tanh\n")
    message = spec_error(gradcheck("check", path), path, 1, 1)
    assert "must be a mapping" in message


def test_reports_the_second_of_two_duplicate_keys(gradcheck, write_spec):
    path = write_spec(HEAD.replace("  inputs: 3\n", "  inputs: 3\n  batch: 4\n"))
    message = spec_error(gradcheck("check", path), path, 4, 3)
    assert "`batch` appears twice" in message


def test_reports_a_file_that_is_not_utf8(gradcheck, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.encode() + b"name: caf\xe9\n")
    assert "cannot read" in spec_error(gradcheck("check", path), path)


def test_stops_an_alias_bomb_quickly(gradcheck, write_spec):
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcde", "bcdef", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = write_spec("\n".join(rows) + "\n")
    assert "expands to more than" in spec_error(gradcheck("check", path), path)


def test_rejects_a_python_tag_without_running_it(gradcheck, write_spec, tmp_path):
    marker = tmp_path / "pwned"
    payload = f'!!python/object/apply:os.system ["touch {marker}"]'
    path = write_spec(HEAD.replace("loss: squared_error", f"loss: {payload}"))
    message = spec_error(gradcheck("check", path), path, 6, 7)
    assert "python/object/apply:os.system" in message
    assert "not allowed" in message
    assert not marker.exists()
    # The payload is live: an unsafe loader would have run it.
    control = tmp_path / "control"
    yaml.unsafe_load(payload.replace(str(marker), str(control)))
    assert control.exists()


# Losses with settings


def test_reports_a_covariance_that_is_not_positive_definite(gradcheck, write_spec):
    path = write_spec(
        HEAD.replace(
            "loss: squared_error\n",
            "loss:\n"
            "  gaussian_nll:\n"
            "    covariance: [[1.0, 2.0], [2.0, 1.0]]\n",
        )
    )
    message = spec_error(gradcheck("check", path), path, 8, 17)
    assert "positive definite" in message


def test_reports_a_covariance_of_the_wrong_size_at_the_covariance(gradcheck, write_spec):
    path = write_spec(
        HEAD.replace(
            "loss: squared_error\n",
            "loss:\n"
            "  gaussian_nll:\n"
            "    covariance: [1.0, 2.0, 3.0]\n",
        )
    )
    message = spec_error(gradcheck("check", path), path, 8, 17)
    assert "3-dimensional" in message
    assert "2 outputs" in message


def test_rejects_a_nan_covariance(gradcheck, write_spec):
    path = write_spec(HEAD.replace("loss: squared_error", "loss: {gaussian_nll: {covariance: .nan}}"))
    spec_error(gradcheck("check", path), path, 6, 35)


def test_explains_a_ragged_covariance_without_numpy_internals(gradcheck, write_spec):
    path = write_spec(
        HEAD.replace("loss: squared_error", "loss: {gaussian_nll: {covariance: [[1, 0], [0]]}}")
    )
    message = spec_error(gradcheck("check", path), path, 6, 35)
    assert "inhomogeneous" not in message
    assert "covariance" in message


# Layer placement


def test_reports_a_polynomial_after_a_layer_wider_than_one(gradcheck, write_spec):
    path = write_spec(
        "data:\n"
        "  batch: 2\n"
        "  inputs: 1\n"
        "network:\n"
        "  - linear: {out: 2}\n"
        "  - polynomial: {degree: 2}\n"
        "  - linear: {out: 1}\n"
        "loss: squared_error\n"
    )
    message = spec_error(gradcheck("check", path), path, 6, 17)
    assert "`polynomial` needs a scalar input" in message
    assert "2 entries" in message


# Paths


def test_reports_a_path_that_does_not_exist(gradcheck, tmp_path):
    path = tmp_path / "missing.yaml"
    assert spec_error(gradcheck("check", path), path) == "no such file or directory"


def test_reports_a_directory_without_specs(gradcheck, tmp_path):
    (tmp_path / "notes.txt").write_text("not a spec\n")
    result = gradcheck("check", tmp_path)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, (result.exception, result.output)
    assert result.stderr.strip() == f"gradcheck: no spec files (*.yaml, *.yml) in {tmp_path}"
