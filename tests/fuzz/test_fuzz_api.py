"""The Python API under bad arguments: a result or a ``GradcheckError`` saying what is wrong —
never a ``TypeError`` from deep inside NumPy, never a hang."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcheck_cli import api
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.results import Report

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SPEC = Path(__file__).resolve().parents[2] / "specs" / "tanh-layer-squared-loss.yaml"
SPEC_SEED = api.check_spec(SPEC).seed

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=5),
    st.sampled_from(
        [np.int64(3), np.float64(2.0), np.array([1, 2]), b"bytes", [1], {"a": 1}, "auto", "full"]
    ),
)


@FUZZ
@given(seed=anything, mode=anything)
def test_check_spec_takes_any_seed_and_mode_or_says_which_is_wrong(seed: Any, mode: Any) -> None:
    try:
        result = api.check_spec(SPEC, seed=seed, mode=mode)
    except GradcheckError as error:
        assert ("seed" in str(error)) or ("mode" in str(error)), error
        return
    assert result.seed == (SPEC_SEED if seed is None else int(seed))
    assert result.verdict == "pass"


@FUZZ
@given(path=anything)
def test_check_spec_refuses_a_path_of_the_wrong_type_or_a_missing_file(path: Any) -> None:
    with pytest.raises(GradcheckError):
        api.check_spec(path)


def test_check_paths_takes_one_path_as_well_as_a_list() -> None:
    for paths in (str(SPEC), SPEC, [SPEC]):
        report = api.check_paths(paths)  # type: ignore[arg-type]
        assert isinstance(report, Report)
        assert [r.path for r in report.specs] == [str(SPEC)]


@pytest.mark.parametrize(
    ("seed", "mode", "words"),
    [
        (-1, None, "the seed must be a non-negative integer, not -1"),
        (1.5, None, "not 1.5"),
        ("3", None, "not '3'"),
        (True, None, "not True"),
        (None, "directinal", "unknown mode 'directinal'; did you mean `directional`?"),
    ],
)
def test_check_paths_refuses_a_bad_seed_or_mode_before_reading_any_file(
    seed: Any, mode: Any, words: str
) -> None:
    with pytest.raises(GradcheckError) as caught:
        api.check_paths(["does-not-exist.yaml"], seed=seed, mode=mode)
    assert words in str(caught.value)


# User gradient code (`check_function`), when the package has it ---------------------------

usercode = pytest.importorskip("gradcheck_cli.usercode")


def loss(**inputs: Any) -> float:
    return float(sum(np.sum(np.asarray(v, dtype=np.float64) ** 2) for v in inputs.values()))


def gradient(**inputs: Any) -> dict[str, Any]:
    return {k: 2 * np.asarray(v, dtype=np.float64) for k, v in inputs.items()}


odd_values = st.one_of(
    st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128]).flatmap(
        lambda dtype: st.lists(st.floats(-3, 3), min_size=0, max_size=4).map(
            lambda v: np.array(v).astype(dtype)
        )
    ),
    st.sampled_from(
        [
            np.array([np.nan, 1.0]),
            np.array([np.inf]),
            np.zeros((0, 3)),
            np.ones((2, 0)),
            np.array(["a"]),
            np.array([None], dtype=object),
            np.ones((1, 1, 1, 1)),
            np.float64(2.0),
        ]
    ),
    anything,
)
options = st.fixed_dictionaries(
    {},
    optional={
        "scheme": st.sampled_from(["richardson", "central", "complex", "cubic"]),
        "step": anything,
        "atol": anything,
        "rtol": anything,
        "seed": anything,
    },
)


@FUZZ
@given(
    inputs=st.dictionaries(st.sampled_from(["x", "w", "b", "y"]), odd_values, max_size=3),
    wrt=st.one_of(st.none(), st.sampled_from(["x", "w", "q", ""]), st.lists(st.sampled_from(["x", "w"]))),
    opts=options,
)
def test_check_function_gives_a_result_or_a_gradcheck_error_for_any_inputs(
    inputs: dict[str, Any], wrt: Any, opts: dict[str, Any]
) -> None:
    try:
        result = usercode.check_function(loss, gradient, inputs, wrt=wrt, **opts)
    except GradcheckError as error:
        assert str(error) and "\n" not in str(error).strip(), error
        return
    assert isinstance(result.passed, bool)


@FUZZ
@given(inputs=anything)
def test_check_function_refuses_inputs_that_are_not_a_mapping(inputs: Any) -> None:
    with pytest.raises(GradcheckError):
        usercode.check_function(loss, gradient, inputs)
