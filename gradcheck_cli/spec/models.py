"""The network spec as frozen pydantic models. YAML is parsed once, at the edge, into these.

Layers and losses are written ``- tanh`` or ``- linear: {out: 3}`` (one key: the op's name,
its value: the op's settings). The union of op models is built from the registry, so an op
added to the catalogue is accepted by specs without touching this module.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    FiniteFloat,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Tag,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from gradcheck_cli.choices import Mode, Scheme
from gradcheck_cli.ops import LAYERS, LOSSES, Op
from gradcheck_cli.policy import MAX_WIDTH
from gradcheck_cli.spec.sheet_models import Expression, Label, LimitsSpec, Name

#: A batch of rows: at least one row of at least one finite number.
Rows = Annotated[list[Annotated[list[FiniteFloat], Field(min_length=1)]], Field(min_length=1)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataSpec(Model):
    """The batch: sizes, or inline arrays, and what kind of targets to draw."""

    batch: PositiveInt | None = Field(default=None, le=MAX_WIDTH)
    inputs: PositiveInt | None = Field(default=None, le=MAX_WIDTH)
    targets: Literal["real", "onehot", "binary"] | None = None
    x: Rows | None = None
    y: Rows | None = None
    labels: list[NonNegativeInt] | None = Field(default=None, min_length=1)

    @field_validator("x", "y")
    @classmethod
    def _rectangular(cls, rows: list[list[float]] | None, info: ValidationInfo) -> list[list[float]] | None:
        if rows is not None and len({len(row) for row in rows}) != 1:
            raise ValueError(f"the rows of `{info.field_name}` must all have the same length")
        if rows is not None and info.field_name == "x":
            inputs = info.data.get("inputs")
            if inputs is not None and inputs != len(rows[0]):
                raise ValueError(f"`x` rows have {len(rows[0])} entries but `inputs` is {inputs}")
        return rows

    @field_validator("x", "y", "labels")
    @classmethod
    def _batch(cls, rows: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        if rows is None:
            return rows
        for other in ("batch", "x", "y"):
            given = info.data.get(other)
            if other == info.field_name or given is None:
                continue
            size = given if isinstance(given, int) else len(given)
            if size != len(rows):
                raise ValueError(f"`{info.field_name}` has {len(rows)} rows but `{other}` has {size}")
        if info.field_name == "labels" and info.data.get("y") is not None:
            raise ValueError("give targets either as `y` or as `labels`, not both")
        return rows

    @model_validator(mode="after")
    def _sized(self) -> DataSpec:
        if self.x is None and self.inputs is None:
            raise ValueError("give the input dimension `inputs` or the inputs `x`")
        return self

    @property
    def size(self) -> int:
        """The batch size m: given, or the number of inline rows, or 1."""
        for rows in (self.x, self.y, self.labels):
            if rows is not None:
                return len(rows)
        return self.batch or 1


class CheckSpec(Model):
    """How the finite differences are taken; tolerances default to the error estimate."""

    scheme: Scheme = "auto"
    mode: Mode = "auto"
    # finite: an infinite tolerance would pass every gradient, an infinite step measures nothing
    step: PositiveFloat | None = Field(default=None, allow_inf_nan=False)
    atol: NonNegativeFloat | None = Field(default=None, allow_inf_nan=False)
    rtol: NonNegativeFloat | None = Field(default=None, allow_inf_nan=False)
    #: move the check point off kinks (relu at 0, …) before checking, instead of judging there
    avoid_kinks: bool = False


class RegularizationSpec(Model):
    """(λ/2)‖W‖²_F added to J for every weight matrix."""

    l2: NonNegativeFloat = Field(default=0.0, allow_inf_nan=False)


def _op_name(value: Any) -> str | None:
    """The op an entry names: ``"tanh"`` or ``{"linear": {...}}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if isinstance(key, str) else None
    if isinstance(value, Op):
        return value.kind
    return None


def _op_union(table: dict[str, type[Any]]) -> Any:
    members = tuple(Annotated[cls, Tag(kind)] for kind, cls in table.items())
    return Annotated[Union[members], Discriminator(_op_name)]  # noqa: UP007


@lru_cache(maxsize=8)
def _network_model(layer_kinds: tuple[str, ...], loss_kinds: tuple[str, ...]) -> type[Model]:
    layers: Any = list[_op_union(LAYERS)]  # type: ignore[misc]
    loss: Any = _op_union(LOSSES)
    return create_model("NetworkSpec", __base__=NetworkBase, network=(layers, ...), loss=(loss, ...))


def network_model() -> type[Model]:
    """The pydantic model of a network spec for the ops registered right now."""
    return _network_model(tuple(LAYERS), tuple(LOSSES))


class NetworkBase(Model):
    """Top-level keys of a network spec other than ``network`` and ``loss``."""

    name: Label | None = None
    description: Label | None = None
    seed: NonNegativeInt = 0
    limits: LimitsSpec | None = None
    data: DataSpec
    reduction: Literal["mean", "sum"] = "mean"
    regularization: RegularizationSpec | None = None
    wrt: list[str] | None = Field(default=None, min_length=1)
    check: CheckSpec = CheckSpec()
    #: named sub-expressions for the claims, per example, in order
    let: dict[Name, Expression] = Field(default_factory=dict)
    #: claimed ∂L/∂θ for one example (θ a parameter or x), written over the network's quantities
    claims: dict[str, Expression] = Field(default_factory=dict)
