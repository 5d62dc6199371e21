"""The README's section on user gradient code stays true: its inputs file loads as described."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gradcheck_cli.usercode import inputs

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_inputs_file_draws_what_its_comments_say(tmp_path: Path) -> None:
    section = README[README.index("## Checking your own gradient code"):]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match
    path = tmp_path / "inputs.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    values, wrt, seed = inputs.load(path)
    assert (wrt, seed) == (("w", "b"), 0)
    assert values["x"].shape == (4, 5) and values["y"].dtype.kind == "i"
    assert set(np.unique(values["y"])) <= {0, 1, 2}
    assert values["mask"].min() >= 0 and values["mask"].max() <= 1
    assert values["reg"] == 0.1
