"""`gradcheck schema`: a JSON Schema an editor can validate every example spec against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.schema import schema

SPECS = Path(__file__).parents[2] / "specs"
EXAMPLES = sorted(SPECS.rglob("*.yaml"))
NETWORK = {"data": {"batch": 2, "inputs": 3}, "network": ["tanh"], "loss": "squared_error"}
SHEET = {"questions": [{"name": "q", "variables": {"x": [3]}, "f": "x.T @ x", "wrt": "x", "claimed": "2*x"}]}


@pytest.fixture(scope="module")
def validator(gradcheck: Any) -> jsonschema.Draft202012Validator:
    result = gradcheck("schema")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def errors(validator: jsonschema.Draft202012Validator, spec: Any) -> list[str]:
    return [e.message for e in validator.iter_errors(spec)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_spec_validates_against_the_schema(validator, path: Path):
    assert errors(validator, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_examples_include_both_kinds_of_spec():
    kinds = {"questions" in yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES}
    assert kinds == {True, False}


@pytest.mark.parametrize("kind", sorted({**LAYERS, **LOSSES}))
def test_every_registered_op_is_accepted_with_each_of_its_example_settings(validator, kind: str):
    cls = {**LAYERS, **LOSSES}[kind]
    where = "network" if kind in LAYERS else "loss"
    for settings in cls.examples:
        spec = {**NETWORK, where: [{kind: settings}] if where == "network" else {kind: settings}}
        assert errors(validator, spec) == [], settings


def test_a_misspelt_op_is_rejected(validator):
    assert errors(validator, {**NETWORK, "network": ["tahn"]})
    assert errors(validator, {**NETWORK, "network": [{"linaer": {"out": 3}}]})


def test_an_op_with_a_required_setting_is_not_accepted_bare(validator):
    assert errors(validator, {**NETWORK, "network": ["polynomial"]})
    assert errors(validator, {**NETWORK, "network": [{"polynomial": {"degree": 3}}]}) == []


def test_an_unknown_key_is_rejected_in_both_kinds(validator):
    assert errors(validator, {**NETWORK, "sed": 1})
    assert errors(validator, {**SHEET, "network": ["tanh"]})
    assert errors(validator, SHEET) == []


def test_a_sheet_question_missing_its_function_is_rejected(validator):
    (question,) = SHEET["questions"]
    broken = {"questions": [{k: v for k, v in question.items() if k != "f"}]}
    assert any("'f' is a required property" in e for e in errors(validator, broken))


@pytest.mark.parametrize(("kind", "accepted", "rejected"), [("network", NETWORK, SHEET),
                                                             ("sheet", SHEET, NETWORK)])
def test_one_kind_alone_accepts_only_that_kind(gradcheck, kind, accepted, rejected):
    result = gradcheck("schema", "--kind", kind)
    assert result.exit_code == 0
    only = jsonschema.Draft202012Validator(json.loads(result.stdout))
    assert errors(only, accepted) == []
    assert errors(only, rejected)


def test_the_schema_names_its_dialect_and_matches_the_library():
    document = schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"NetworkSpec", "SheetSpec"} <= set(document["$defs"])


def test_the_schema_can_be_written_to_a_file(gradcheck, tmp_path: Path):
    target = tmp_path / "gradcheck.schema.json"
    assert gradcheck("schema", "--output", target).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == schema()
