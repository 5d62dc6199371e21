"""JSON Schema of the spec files, generated from the pydantic models, for editors and linters.

The models validate an op's *settings*; a spec writes an op as ``tanh`` or ``linear: {out: 3}``
(see ``ops.base._unwrap``). The schema says that: each op is its name as a string (when no
setting is required) or a one-key mapping from its name to its settings. The schema checks
structure only; ``gradcheck check`` still validates what JSON Schema cannot say (row lengths,
shapes that fit together).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import BaseModel

Kind = Literal["network", "sheet"]
KINDS: tuple[Kind, ...] = ("network", "sheet")
DIALECT = "https://json-schema.org/draft/2020-12/schema"
REF = "#/$defs/{model}"
Schema = dict[str, Any]


def schema(kind: Kind | None = None) -> Schema:
    """The JSON Schema of one spec kind, or of any spec file when ``kind`` is None.

    Any spec file: a mapping with ``questions`` is a claim file, any other a network spec,
    as the loader decides.
    """
    # The models are imported here, not at the top: the CLI lists KINDS without loading them.
    from gradcheck_cli.spec.sheet_models import SheetSpec

    defs: Schema = {}
    roots = {"network": _network(defs), "sheet": _model(SheetSpec, defs)}
    if kind is not None:
        return {"$schema": DIALECT, **roots[kind], "$defs": defs}
    defs.update({"NetworkSpec": roots["network"], "SheetSpec": roots["sheet"]})
    return {
        "$schema": DIALECT,
        "title": "gradcheck spec",
        "description": "A gradcheck spec: a network spec, or a claim file (top-level `questions:`).",
        "type": "object",
        "if": {"type": "object", "required": ["questions"]},
        "then": {"$ref": REF.format(model="SheetSpec")},
        "else": {"$ref": REF.format(model="NetworkSpec")},
        "$defs": defs,
    }


def _network(defs: Schema) -> Schema:
    from gradcheck_cli.ops import LAYERS, LOSSES
    from gradcheck_cli.spec.models import network_model

    root = _model(network_model(), defs)
    for name in _referenced(root["properties"]["network"]) | _referenced(root["properties"]["loss"]):
        del defs[name]
    root["properties"]["network"]["items"] = _ops(LAYERS, defs)
    root["properties"]["loss"] = {"title": "Loss", **_ops(LOSSES, defs)}
    return root


def _ops(table: Mapping[str, type[BaseModel]], defs: Schema) -> Schema:
    """Any op of ``table`` in its spec form: ``name`` or ``{name: settings}``."""
    bare = [kind for kind, cls in table.items() if not _model(cls, defs).get("required")]
    forms: list[Schema] = [{"enum": bare}] if bare else []
    for kind, cls in table.items():
        settings = {"$ref": REF.format(model=_define(kind, cls, defs))}
        value = {"anyOf": [settings, {"type": "null"}]} if kind in bare else settings
        forms.append({"type": "object", "properties": {kind: value}, "required": [kind],
                      "additionalProperties": False})
    return {"anyOf": forms}


def _define(kind: str, cls: type[BaseModel], defs: Schema) -> str:
    name = f"op.{kind}"
    defs[name] = {**_model(cls, defs), "title": kind}
    return name


def _model(cls: type[BaseModel], defs: Schema) -> Schema:
    """``cls``'s schema; the models it refers to go into ``defs`` (one name, one model)."""
    found = cls.model_json_schema(ref_template=REF)
    for name, definition in found.pop("$defs", {}).items():
        if defs.setdefault(name, definition) != definition:
            raise RuntimeError(f"two models are named {name} in the spec schema")
    return found


def _referenced(node: Any) -> set[str]:
    """Names of the ``$defs`` a schema fragment refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        own = {ref.rsplit("/", 1)[1]} if isinstance(ref, str) else set()
        return own.union(*(_referenced(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_referenced(v) for v in node))
    return set()
