"""The README's CI recipes stay true: the workflow and the pre-commit config use what exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from gradcheck_cli.report import REPORTERS

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def yaml_block(after: str) -> object:
    """The first ```yaml block below the heading ``after``."""
    section = README[README.index(after):]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, f"no yaml block under {after}"
    return yaml.safe_load(match.group(1))


def test_the_workflow_writes_junit_uploads_it_and_fills_the_job_summary():
    workflow = yaml_block("### GitHub Actions")
    steps = workflow["jobs"]["gradcheck"]["steps"]  # type: ignore[index]
    commands = [shlex.split(step["run"]) for step in steps if "run" in step and "gradcheck" in step["run"]]
    formats = [c[c.index("--format") + 1] for c in commands]
    assert formats == ["junit", "markdown"]
    assert set(formats) <= set(REPORTERS)
    assert "$GITHUB_STEP_SUMMARY" in next(s["run"] for s in steps if "markdown" in s.get("run", ""))
    uses = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    assert "actions/upload-artifact" in uses


def test_the_pre_commit_recipe_names_the_hook_this_repository_defines():
    config = yaml_block("### pre-commit")
    (repo,) = config["repos"]  # type: ignore[index]
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in repo["hooks"]] == [hook["id"]]
