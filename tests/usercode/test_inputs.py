"""An ``--inputs`` file whose arrays cannot be built, or would make the check vacuous or
meaningless, is refused in one sentence at the key's line and column (exit 2): shapes that
overflow or have no entries, too many dimensions, ragged or non-finite values, distributions
wider than the number types they draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from refusals import refusal, refusal_at

from gradcheck_cli.usercode.inputs import MAX_DIMENSIONS

USER = """\
import numpy as np


def loss(x):
    return float((np.asarray(x) ** 2).sum())


def grad(x):
    return {"x": 2 * np.asarray(x)}
"""

#: Where the refused value's key stands, for each case: ``inputs:`` then ``  x: {KEY: …}``.
CASES = {
    "entries beyond int64": ("shape: [4294967296, 4294967296, 4]", 14, "more than 4000000 entries"),
    "too many dimensions": (f"shape: {[1] * (MAX_DIMENSIONS + 1)}", 14,
                            f"{MAX_DIMENSIONS + 1} dimensions are more than {MAX_DIMENSIONS}"),
    "a shape without entries": ("shape: [0, 3]", 14, "[0, 3] has no entries"),
    "a value without entries": ("value: []", 14, "has no entries (shape [0])"),
    "ragged value": ("value: [[1, 2], [3]]", 14, "is not a rectangular array"),
    "nan among the values": ("value: [1.0, .nan]", 14, "contains nan; inputs must be finite"),
    "inf among the values": ("value: [[1.0], [-.inf]]", 14, "contains inf; inputs must be finite"),
    "nan as the value": ("value: .nan", 14, "is nan; inputs must be finite"),
    "an integer beyond int64": ("value: [1, 99999999999999999999999]", 14, "beyond int64"),
    "an infinite scale": ("shape: [2], scale: .inf", 26, "finite number"),
    "an infinite bound": ("shape: [2], uniform: [0, .inf]", 32, "finite number"),
    "an integer bound beyond int64": ("shape: [2], integers: [0, 99999999999999999999999]", 33,
                                      "less than or equal to 9223372036854775807"),
}


def write(tmp_path: Path, body: str) -> tuple[Path, list[str]]:
    """The inputs file ``inputs: {x: {BODY}}`` and the arguments of a ``func`` run with it."""
    (tmp_path / "mine.py").write_text(USER, encoding="utf-8")
    path = tmp_path / "inputs.yaml"
    path.write_text(f"inputs:\n  x: {{{body}}}\n", encoding="utf-8")
    user = tmp_path / "mine.py"
    return path, ["func", f"{user}:loss", "--grad", f"{user}:grad", "--inputs", str(path)]


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_input_is_refused_at_its_key(gradcheck, tmp_path: Path, case: str):
    body, column, says = CASES[case]
    path, args = write(tmp_path, body)
    message = refusal_at(gradcheck(*args), path, 2, column)
    assert says in message


@pytest.mark.parametrize(("bounds", "says"), [
    ("uniform: [-1e308, 1e308]", "`uniform` is wider than the float range"),
    ("integers: [-9000000000000000000, 9000000000000000000]", "`integers` is wider than int64"),
])
def test_a_distribution_wider_than_its_number_type_is_refused(gradcheck, tmp_path: Path, bounds, says):
    path, args = write(tmp_path, f"shape: [2], {bounds}")
    assert says in refusal_at(gradcheck(*args), path, 2, 6)


def test_a_scalar_shape_is_a_scalar_to_differentiate(gradcheck, tmp_path: Path):
    _, args = write(tmp_path, "shape: []")
    result = gradcheck(*args)
    assert result.exit_code == 0, result.output
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(("array", "says"), [(np.zeros((0, 3)), "`x` has no entries (shape [0, 3])"),
                                             (np.array([1.0, np.nan]), "`x` contains nan")])
def test_an_npz_array_without_entries_or_with_nan_is_refused(gradcheck, tmp_path: Path, array, says: str):
    _, args = write(tmp_path, "shape: [2]")
    npz = tmp_path / "arrays.npz"
    np.savez(npz, x=array)
    assert refusal(gradcheck(*args[:-1], str(npz))).startswith(f"--inputs {npz}: {says}")
