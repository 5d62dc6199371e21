"""A custom ``torch.autograd.Function`` (or any function of tensors) is checked with gradcheck's
error model through ``gradcheck_cli.torch.check_torch``: correct rules pass in float64 and in
float32, wrong ones — a flipped sign, a transposed gradient, a missing factor — fail with that
diagnosis, and tensors keep their dtype and strides. Skipped where PyTorch is not installed (it
is never required)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from gradcheck_cli import GradcheckError, UserCodeError

torch = pytest.importorskip("torch")
from gradcheck_cli.torch import check_torch  # noqa: E402  (needs torch, skipped above)

GEN = torch.Generator().manual_seed(5)


def randn(*shape: int, dtype: Any = torch.float64) -> Any:
    return torch.randn(*shape, generator=GEN, dtype=torch.float64).to(dtype)


def affine_tanh(*, grad_x: Any = None, grad_W: Any = None, grad_b: Any = None) -> Any:
    """A Function y = tanh(x W + b) whose backward's three rules can each be replaced by a
    wrong one: ``grad_x(dz, x, W)``, ``grad_W(dz, x, W)``, ``grad_b(dz)``, with dz = g ⊙ (1 − y²)."""

    class AffineTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, W: Any, b: Any) -> Any:
            y = torch.tanh(x @ W + b)
            ctx.save_for_backward(x, W, y)
            return y

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, W, y = ctx.saved_tensors
            dz = g * (1 - y**2)
            return ((grad_x or (lambda dz, x, W: dz @ W.T))(dz, x, W),
                    (grad_W or (lambda dz, x, W: x.T @ dz))(dz, x, W),
                    (grad_b or (lambda dz: dz.sum(0)))(dz))

    return AffineTanh


class Cube(torch.autograd.Function):
    """x³, elementwise: the derivative is 3x²."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


class CubeMissingThree(Cube):
    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * x**2


X, W, B = randn(5, 4), randn(4, 3), randn(3)


def test_a_correct_function_passes_with_its_inputs_named_after_forward() -> None:
    result = check_torch(affine_tanh(), (X, W, B))
    assert result.passed and list(result.inputs) == ["x", "W", "b"]
    assert result.precision == "float64" and not result.precision_limited


def test_a_function_with_its_own_setup_context_is_named_after_forward_which_has_no_ctx() -> None:
    class Mul(torch.autograd.Function):
        @staticmethod
        def forward(x: Any, w: Any) -> Any:
            return x * w

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, w = ctx.saved_tensors
            return g * w, g * x

    result = check_torch(Mul, (randn(3), randn(3)))
    assert result.passed and list(result.inputs) == ["x", "w"]


def test_a_backward_with_a_flipped_sign_fails_as_a_sign_error() -> None:
    result = check_torch(affine_tanh(grad_x=lambda dz, x, W: -(dz @ W.T)), (X, W, B))
    assert result.failed == ("x",) and result.inputs["x"].diagnosis == "sign"


def test_a_transposed_gradient_of_a_square_weight_fails_as_a_transpose() -> None:
    square = randn(4, 4)
    result = check_torch(affine_tanh(grad_W=lambda dz, x, W: (x.T @ dz).T), (X, square, randn(4)))
    assert result.failed == ("W",) and result.inputs["W"].diagnosis == "transpose"


def test_a_transposed_gradient_of_another_shape_is_a_failed_check_not_torchs_error() -> None:
    # torch's engine would raise "invalid gradient at index 1"; the check judges it instead
    result = check_torch(affine_tanh(grad_W=lambda dz, x, W: dz.T @ x), (X, W, B))
    assert result.failed == ("W",) and result.inputs["W"].diagnosis == "transpose"


def test_a_backward_missing_a_factor_fails_as_a_factor() -> None:
    result = check_torch(CubeMissingThree, (randn(6),))
    assert result.failed == ("x",) and result.inputs["x"].diagnosis == "factor"
    assert "3" in (result.inputs["x"].explanation or "")


def test_float32_tensors_are_judged_by_the_float32_rules() -> None:
    x, w, b = (t.float() for t in (X, W, B))
    result = check_torch(affine_tanh(), (x, w, b))
    assert result.passed and result.precision == "float32" and result.precision_limited
    assert not check_torch(CubeMissingThree, (randn(6, dtype=torch.float32),)).passed


def scaled_cube(factor: float) -> Any:
    class ScaledCube(Cube):
        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return Cube.backward(ctx, g) * factor

    return ScaledCube


@pytest.mark.parametrize(("dtype", "off"), [(torch.float64, 1e-6), (torch.float32, 1e-2)])
def test_a_rule_off_by_what_its_precision_resolves_is_caught(dtype: Any, off: float) -> None:
    x = randn(6, 5, dtype=dtype)
    assert check_torch(Cube, (x,)).passed
    assert check_torch(scaled_cube(1 + off), (x,)).failed == ("x",)


def test_the_same_rule_in_float32_differs_by_float32_rounding_and_still_passes() -> None:
    x = randn(6)
    single, double = check_torch(Cube, (x.float(),)), check_torch(Cube, (x,))
    assert single.passed and double.passed
    # float32's rounding (ε ≈ 1.2e-7) shows in the differences; float64's (ε ≈ 2.2e-16) does not
    assert single.inputs["x"].max_abs > 1e-8 > 1e-10 > double.inputs["x"].max_abs


class Strides(torch.autograd.Function):
    """2x, recording whether forward saw a contiguous x; its backward reshapes with ``view``,
    which a non-contiguous tensor refuses (as it would in training)."""

    seen: ClassVar[list[bool]] = []

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        Strides.seen.append(x.is_contiguous())
        ctx.save_for_backward(x)
        return 2 * x

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return (2 * torch.ones_like(x).view(-1) * g.reshape(-1)).reshape(x.shape)


def test_a_non_contiguous_input_is_passed_as_a_non_contiguous_tensor() -> None:
    Strides.seen.clear()
    view = randn(4, 6).t()
    assert check_torch(Cube, (view,)).passed and check_torch(Cube, (randn(4, 6)[:, ::2],)).passed
    # torch.ones_like keeps the strides of x: view() on them fails exactly as in training
    with pytest.raises(UserCodeError, match=r"`Strides.backward` raised RuntimeError: view size"):
        check_torch(Strides, (view,))
    assert Strides.seen and not any(Strides.seen)
    assert check_torch(Strides, (view.contiguous(),)).passed


def test_only_the_tensors_that_require_grad_are_checked_unless_wrt_says() -> None:
    x = X.clone().requires_grad_(True)
    assert list(check_torch(affine_tanh(), (x, W, B)).inputs) == ["x"]
    assert list(check_torch(affine_tanh(), (x, W, B), wrt=["W", "b"]).inputs) == ["W", "b"]


def test_wrt_naming_no_floating_tensor_is_one_sentence_with_a_suggestion() -> None:
    with pytest.raises(GradcheckError, match=r"`wrt` names `w`.*") as caught:
        check_torch(affine_tanh(), (X, W, B), wrt="w")
    assert "W" in (caught.value.hint or "")


def test_integer_and_python_arguments_are_held_fixed_and_passed_as_they_were() -> None:
    class Gather(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, index: Any, scale: float) -> Any:
            assert index.dtype == torch.int64 and isinstance(scale, float)
            ctx.save_for_backward(index)
            ctx.shape, ctx.scale = x.shape, scale
            return scale * x[index]

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (index,) = ctx.saved_tensors
            grad = torch.zeros(ctx.shape, dtype=g.dtype)
            grad.index_add_(0, index, ctx.scale * g)
            return grad, None, None

    result = check_torch(Gather, (randn(5), torch.tensor([0, 3, 3, 1]), 1.5))
    assert result.passed and list(result.inputs) == ["x"]


def test_a_function_with_two_outputs_is_checked_through_both() -> None:
    class SinCos(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return torch.sin(x), torch.cos(x)

        @staticmethod
        def backward(ctx: Any, gs: Any, gc: Any) -> Any:
            (x,) = ctx.saved_tensors
            return gs * torch.cos(x) - gc * torch.sin(x) * SinCos.cos_sign

    SinCos.cos_sign = 1.0  # type: ignore[attr-defined]
    assert check_torch(SinCos, (randn(4),)).passed
    SinCos.cos_sign = -1.0  # type: ignore[attr-defined]  # cos′ = +sin: the second output's rule is wrong
    assert check_torch(SinCos, (randn(4),)).failed == ("x",)


def test_a_bias_gradient_left_unsummed_over_the_batch_is_summed_as_torch_does() -> None:
    # torch's engine sums a gradient that broadcasts from the input's shape: training is right
    assert check_torch(affine_tanh(grad_b=lambda dz: dz), (X, W, B)).passed


def test_a_backward_returning_too_few_gradients_is_one_sentence() -> None:
    class TwoOfThree(affine_tanh()):  # type: ignore[misc]
        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return affine_tanh().backward(ctx, g)[:2]

    with pytest.raises(UserCodeError, match=r"`TwoOfThree.backward` returned 2 gradients for the 3 inputs"):
        check_torch(TwoOfThree, (X, W, B))


def test_a_backward_that_fails_is_reported_before_any_finite_differences() -> None:
    calls: list[str] = []

    class Broken(Cube):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            calls.append("forward")
            return Cube.forward(ctx, x)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            raise ValueError("not written yet")

    with pytest.raises(UserCodeError, match=r"`Broken.backward` raised ValueError: not written yet"):
        check_torch(Broken, (randn(50),))
    assert len(calls) <= 2  # once at the point, once to build backward's graph: no stencil


def test_torchs_derived_backward_of_a_function_over_a_list_of_pairs_is_checked_entry_by_entry() -> None:
    def mlp(params: Any, x: Any, cube: Any = Cube) -> Any:
        h = x
        for w, b in params:
            h = torch.tanh(cube.apply(h @ w + b))
        return h.pow(2).sum()

    params = [(randn(4, 3) / 2, randn(3) / 2), (randn(3, 2) / 2, randn(2) / 2)]
    result = check_torch(mlp, (params, X), wrt="params")
    assert result.passed
    assert list(result.inputs) == ["params[0][0]", "params[0][1]", "params[1][0]", "params[1][1]"]
    wrong = check_torch(lambda params, x: mlp(params, x, CubeMissingThree), (params, X), wrt="params")
    assert set(wrong.failed) == set(result.inputs)


def test_a_nested_tensor_cannot_be_differentiated_through_a_functions_backward() -> None:
    with pytest.raises(GradcheckError, match=r"`x\[0\]` is inside an argument"):
        check_torch(Cube, ([randn(3)],), wrt="x")
    class Scaled(torch.autograd.Function):  # by default only its own arguments are differentiated
        @staticmethod
        def forward(ctx: Any, x: Any, scales: Any) -> Any:
            ctx.scale = float(scales[0].sum())
            return ctx.scale * x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return ctx.scale * g, None

    assert list(check_torch(Scaled, (randn(3), [randn(2)])).inputs) == ["x"]


def test_bfloat16_is_refused_with_a_way_out() -> None:
    with pytest.raises(GradcheckError, match="bfloat16") as caught:
        check_torch(Cube, (randn(3, dtype=torch.bfloat16),))
    assert ".float()" in (caught.value.hint or "")


def test_importing_gradcheck_cli_does_not_import_torch_and_the_adapter_says_what_it_needs() -> None:
    code = ("import sys, gradcheck_cli; gradcheck_cli.check_function; print('torch' in sys.modules); "
            "sys.modules['torch'] = None\n"
            "try:\n    import gradcheck_cli.torch\nexcept ModuleNotFoundError as e:\n    print(e.name, e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "False", "torch gradcheck_cli.torch checks PyTorch code, and PyTorch is not installed"]


def test_the_arrays_the_caller_passed_are_left_as_they_were() -> None:
    x = randn(6)
    before = x.clone()
    check_torch(Cube, (x,))
    assert torch.equal(x, before) and np.array_equal(x.numpy(), before.numpy())


def test_the_readmes_torch_example_runs_as_written() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    block = next(b for b in blocks if "gradcheck_cli.torch" in b)

    def loss(params: Any, x: Any) -> Any:
        (w, b), = params
        return torch.tanh(x @ w + b).sum()

    exec(block, {"loss": loss, "params": [(randn(4, 3), randn(3))]})  # our own README's code
