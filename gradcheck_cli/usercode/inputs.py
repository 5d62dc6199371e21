"""The inputs of ``gradcheck func``: an ``.npz`` of arrays, or a YAML file of shapes and a seed.

YAML (loaded safely, with line numbers for errors)::

    seed: 0                                  # default 0
    wrt: [W1, b1]                            # optional; default: every float array not fixed
    inputs:
      x: {shape: [4, 5]}                     # standard normal, float64
      w: {shape: [5, 3], scale: 0.1}         # normal with standard deviation 0.1
      mask: {shape: [4, 5], uniform: [0, 1], fixed: true}
      y: {shape: [4], integers: [0, 3]}      # integer labels in [0, 3): always held fixed
      reg: {value: 0.1}                      # a literal: number, list, or mapping (held fixed)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    ValidationError,
    model_validator,
)

from gradcheck_cli import policy
from gradcheck_cli.errors import GradcheckError, SpecError
from gradcheck_cli.spec.source import SourceMap, load_yaml

NPZ, YAML = (".npz",), (".yaml", ".yml")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputSpec(_Model):
    """One input: drawn at random (``shape`` with a distribution) or given (``value``)."""

    shape: list[NonNegativeInt] | None = None
    scale: PositiveFloat | None = None
    uniform: tuple[float, float] | None = None
    integers: tuple[int, int] | None = None
    value: Any = None
    fixed: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> InputSpec:
        drawn = [k for k in ("scale", "uniform", "integers") if getattr(self, k) is not None]
        if (self.shape is None) == (self.value is None):
            raise ValueError("give either `shape` (drawn at random) or `value`")
        if self.value is not None and drawn:
            raise ValueError(f"`{drawn[0]}` needs `shape`, not `value`")
        if len(drawn) > 1:
            raise ValueError(f"choose one of `{drawn[0]}` and `{drawn[1]}`")
        for key in ("uniform", "integers"):
            bounds = getattr(self, key)
            if bounds is not None and not bounds[0] < bounds[1]:
                raise ValueError(f"`{key}` must be [low, high] with low < high")
        if self.shape is not None and int(np.prod(self.shape)) > policy.MAX_ENTRIES:
            raise ValueError(f"the shape has more than {policy.MAX_ENTRIES} entries")
        return self


class InputsFile(_Model):
    seed: NonNegativeInt = 0
    wrt: list[str] | None = Field(default=None, min_length=1)
    inputs: dict[str, InputSpec] = Field(min_length=1)


def load(path: Path, *, seed: int | None = None) -> tuple[dict[str, Any], tuple[str, ...] | None, int]:
    """The inputs, the names to differentiate (None: the default) and the seed they were drawn with.

    Raises:
        GradcheckError: a missing or unreadable file; SpecError (with file:line:col) for a YAML
            file that does not follow the format above.
    """
    if not path.is_file():
        raise GradcheckError(f"--inputs {path}: no such file")
    if path.suffix in NPZ:
        return _npz(path), None, seed or 0
    if path.suffix in YAML:
        return _yaml(path, seed)
    raise GradcheckError(f"--inputs {path}: expected an .npz file or a YAML file (.yaml, .yml)")


def _npz(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise GradcheckError(f"--inputs {path}: not a readable .npz file ({exc})") from None


def _yaml(path: Path, seed: int | None) -> tuple[dict[str, Any], tuple[str, ...] | None, int]:
    data, source = load_yaml(path)
    try:
        spec = InputsFile.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, source) from None
    rng = np.random.default_rng(spec.seed if seed is None else seed)
    values = {name: _draw(item, rng) for name, item in spec.inputs.items()}
    for name in spec.wrt or ():
        if name in spec.inputs and spec.inputs[name].fixed:
            raise source.error(("wrt",), f"`{name}` is in `wrt` but marked `fixed: true`")
    wrt = tuple(spec.wrt) if spec.wrt else tuple(
        n for n, v in values.items()
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and not spec.inputs[n].fixed)
    return values, wrt, spec.seed if seed is None else seed


def _draw(item: InputSpec, rng: np.random.Generator) -> Any:
    if item.value is not None:
        if isinstance(item.value, list):
            return np.array(item.value)
        return item.value
    shape = tuple(item.shape or ())
    if item.integers is not None:
        return rng.integers(item.integers[0], item.integers[1], size=shape)
    if item.uniform is not None:
        return rng.uniform(item.uniform[0], item.uniform[1], size=shape)
    return (item.scale or 1.0) * rng.standard_normal(shape)


def _first_error(exc: ValidationError, source: SourceMap) -> SpecError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    where = "`" + ".".join(str(p) for p in loc) + "`" if loc else "the inputs file"
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(InputSpec.model_fields if len(loc) == 3 else InputsFile.model_fields)
        return source.error(loc, f"unknown key {where}", key=True, hint=f"allowed: {allowed}")
    if error["type"] == "missing":
        return source.error(loc[:-1], f"missing key {where}")
    message = str(error["msg"]).removeprefix("Value error, ")
    return source.error(loc, f"{where}: {message[:1].lower()}{message[1:]}")
