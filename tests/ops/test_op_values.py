"""Each op's forward and backward at points worked out by hand: the branch points of the
piecewise activations, the binary targets of the BCE losses, every scale of the squared error,
the Gaussian NLL's Σ⁻¹, and the linear layer's complex products (the complex step)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError
from relative import approx

from gradcheck_cli.ops import LAYERS, Layer, register, registered
from gradcheck_cli.ops.activations import Abs, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import (
    BinaryCrossEntropy,
    CrossEntropy,
    GaussianNLL,
    HalfSquaredError,
    Hinge,
    MeanSquaredError,
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    SquaredError,
)
from gradcheck_cli.policy import SYMPY_INVERSE_WIDTH

Z = np.array([-2.0, 0.0, 3.0])


def test_relu_takes_the_subgradient_zero_at_its_kink():
    relu = ReLU()
    np.testing.assert_array_equal(relu.value(Z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu.derivative(Z, relu.value(Z)), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(relu.branch(Z), [False, False, True])


def test_leaky_relu_takes_its_slope_at_the_branch_point():
    leaky = LeakyReLU(slope=0.2)
    np.testing.assert_allclose(leaky.value(Z), [-0.4, 0.0, 3.0])
    np.testing.assert_allclose(leaky.derivative(Z, leaky.value(Z)), [0.2, 0.2, 1.0])
    np.testing.assert_array_equal(leaky.branch(Z), [False, False, True])
    assert leaky.describe() == "leaky_relu(0.2)" and LeakyReLU().slope == 0.01


def test_leaky_relu_at_a_complex_point_takes_the_piece_of_the_real_part():
    leaky = LeakyReLU(slope=0.2)
    z = np.array([-1.0 + 1e-20j, 2.0 + 1e-20j])
    np.testing.assert_array_equal(leaky.value(z).imag, [0.2e-20, 1e-20])


def test_abs_has_the_sign_as_derivative_and_zero_at_its_kink():
    a = Abs()
    np.testing.assert_array_equal(a.value(Z), [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(a.derivative(Z, a.value(Z)), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(a.branch(Z), [False, False, True])


def test_the_smooth_activations_derivatives_from_their_outputs():
    assert Sigmoid().derivative(np.array([0.0]), np.array([0.25]))[0] == approx(0.1875)
    assert Tanh().derivative(np.array([0.0]), np.array([0.5]))[0] == approx(0.75)
    assert Softplus().value(np.array([0.0]))[0] == approx(math.log(2.0))
    assert Softplus().derivative(np.array([math.log(3.0)]), np.array([0.0]))[0] == approx(0.75)


def test_softmax_is_taken_along_the_last_axis_of_rows_of_very_different_scale():
    s, _ = Softmax().forward(np.array([[0.0, math.log(3.0)], [1000.0, 1000.0 + math.log(3.0)]]), {})
    np.testing.assert_allclose(s, [[0.25, 0.75], [0.25, 0.75]])


def test_softmax_backward_is_s_times_g_minus_its_mean_under_s():
    s = np.array([[0.25, 0.75]])
    grad, _ = Softmax().backward((s,), np.array([[1.0, 0.0]]))
    # ⟨g, s⟩ = 0.25: s ⊙ (g − 0.25) = [0.25·0.75, 0.75·(−0.25)]
    np.testing.assert_allclose(grad, [[0.1875, -0.1875]])


@pytest.mark.parametrize(("cls", "loss", "grad"), [
    (SquaredError, 5.0, [2.0, 4.0]),
    (HalfSquaredError, 2.5, [1.0, 2.0]),
    (MeanSquaredError, 2.5, [1.0, 2.0]),
])
def test_every_scale_of_the_squared_error(cls, loss, grad):  # type: ignore[no-untyped-def]
    value, cache = cls().forward(np.array([[2.0, 2.0]]), np.array([[1.0, 0.0]]))
    assert value[0] == approx(loss)
    np.testing.assert_allclose(cls().backward(cache), [grad])


def test_the_mean_squared_error_divides_by_the_number_of_outputs():
    value, cache = MeanSquaredError().forward(np.array([[1.0, 1.0, 1.0, 1.0]]), np.zeros((1, 4)))
    assert value[0] == approx(1.0)
    np.testing.assert_allclose(MeanSquaredError().backward(cache), [[0.5, 0.5, 0.5, 0.5]])


def test_cross_entropy_on_probabilities_and_on_logits():
    y = np.array([[0.0, 1.0]])
    value, cache = CrossEntropy().forward(np.array([[0.25, 0.75]]), y)
    assert value[0] == approx(-math.log(0.75))
    np.testing.assert_allclose(CrossEntropy().backward(cache), [[0.0, -1.0 / 0.75]])
    value, cache = SoftmaxCrossEntropy().forward(np.array([[0.0, math.log(3.0)]]), y)
    assert value[0] == approx(-math.log(0.75))
    np.testing.assert_allclose(SoftmaxCrossEntropy().backward(cache), [[0.25, -0.25]])


def test_softmax_cross_entropy_shifts_each_row_by_its_own_largest_logit():
    # rows of logits 1000 apart: shifted by one maximum over all, the smaller row's exp underflows
    # to 0 (a log of 0); each row on its own is uniform over two classes, −log ½ = log 2
    yhat = np.array([[0.0, 0.0], [1000.0, 1000.0]])
    value, _ = SoftmaxCrossEntropy().forward(yhat, np.array([[1.0, 0.0], [0.0, 1.0]]))
    # (1000 + log 2) − 1000 keeps log 2 to the rounding of 1000 (1.1e-13)
    np.testing.assert_allclose(value, [math.log(2.0), math.log(2.0)], rtol=0, atol=1e-12)


def test_binary_cross_entropy_at_binary_targets():
    bce = BinaryCrossEntropy()
    value, cache = bce.forward(np.array([[0.25, 0.25]]), np.array([[1.0, 0.0]]))
    assert value[0] == approx(math.log(4.0) + math.log(4.0 / 3.0))
    np.testing.assert_allclose(bce.backward(cache), [[-4.0, 4.0 / 3.0]])


def test_binary_cross_entropy_from_logits_at_binary_targets():
    bce = SigmoidBinaryCrossEntropy()
    value, cache = bce.forward(np.array([[0.0, math.log(3.0)]]), np.array([[1.0, 0.0]]))
    # softplus(0) − 0 + softplus(log 3) − 0 = log 2 + log 4
    assert value[0] == approx(math.log(2.0) + math.log(4.0))
    np.testing.assert_allclose(bce.backward(cache), [[-0.5, 0.75]])


def test_hinge_counts_the_margins_violated_and_takes_zero_at_a_kink():
    y = np.array([[1.0, 0.0, 0.0]])
    # margins: class 1: 0.5 − 1 + 1 = 0.5 (violated), class 2: −1 − 1 + 1 = −1
    value, cache = Hinge().forward(np.array([[1.0, 0.5, -1.0]]), y)
    assert value[0] == approx(0.5)
    np.testing.assert_allclose(Hinge().backward(cache), [[-1.0, 1.0, 0.0]])
    # class 1's margin exactly 0: the subgradient 0
    value, cache = Hinge().forward(np.array([[1.0, 0.0, -1.0]]), y)
    assert value[0] == 0.0
    np.testing.assert_allclose(Hinge().backward(cache), [[0.0, 0.0, 0.0]])
    assert Hinge(margin=0.5).describe() == "hinge(0.5)" and Hinge().describe() == "hinge"


def test_the_gaussian_nll_weighs_the_error_by_the_inverse_covariance():
    nll = GaussianNLL(covariance=[2.0, 0.5])
    # e = y − ŷ = [2, 1]: ½(4/2 + 1/0.5) + ½ log det(2πΣ) = 2 + log(2π)
    value, cache = nll.forward(np.array([[0.0, 0.0]]), np.array([[2.0, 1.0]]))
    assert value[0] == approx(2.0 + math.log(2.0 * math.pi))
    np.testing.assert_allclose(nll.backward(cache), [[-1.0, -2.0]])
    value, _ = GaussianNLL(covariance=4.0, constant=False).forward(np.array([[0.0, 0.0]]),
                                                                   np.array([[2.0, 2.0]]))
    assert value[0] == approx(1.0)


@pytest.mark.parametrize("k", [3, SYMPY_INVERSE_WIDTH + 1])
def test_the_gaussian_nll_s_constants_of_a_full_covariance_at_either_side_of_the_sympy_width(k: int):
    # Σ = I + 11ᵀ: by Sherman–Morrison Σ⁻¹ = I − 11ᵀ/(1 + k), and det Σ = 1 + k (eigenvalues 1 + k
    # and 1, k − 1 times); wider than SYMPY_INVERSE_WIDTH they come from an eigendecomposition
    sigma = np.eye(k) + np.ones((k, k))
    constants = GaussianNLL(covariance=sigma.tolist()).constants(k)
    np.testing.assert_allclose(constants["P"], np.eye(k) - np.ones((k, k)) / (1 + k), rtol=0, atol=1e-13)
    assert constants["c"][0] == approx(0.5 * (k * math.log(2 * math.pi) + math.log(1 + k)), rel=1e-12)


def test_the_gaussian_nll_names_the_form_of_its_covariance():
    assert GaussianNLL().describe() == "gaussian_nll(scalar Σ)"
    assert GaussianNLL(covariance=[1.0, 2.0]).describe() == "gaussian_nll(diagonal Σ)"
    assert GaussianNLL(covariance=[[2.0, 0.5], [0.5, 1.0]]).describe() == "gaussian_nll(full Σ)"


def test_a_linear_layer_without_bias_says_so_and_uses_the_values_given_inline():
    assert Linear(out=2, bias=False).describe() == "linear(2, no bias)"
    assert Linear(out=3).describe() == "linear(3)"
    given = Linear(W=[[1.0, 2.0]], b=[0.5]).given_values()
    np.testing.assert_array_equal(given["W"], [[1.0, 2.0]])
    np.testing.assert_array_equal(given["b"], [0.5])


@pytest.mark.parametrize("complex_x", [False, True])
def test_a_linear_layer_multiplies_complex_weights_as_numpy_does(complex_x):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3)) + (1j * rng.standard_normal((4, 3)) if complex_x else 0.0)
    W = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    z, _ = Linear(out=2, bias=False).forward(x, {"W": W})
    np.testing.assert_allclose(z, x @ W.T, rtol=1e-12)


def test_an_op_given_by_name_is_only_the_op_of_that_name():
    assert Tanh.model_validate("tanh") == Tanh()
    with pytest.raises(ValidationError):
        LeakyReLU.model_validate("relu")


def test_registering_puts_the_class_under_its_kind_once():
    class Twice(Layer):
        """g(x) = 2x."""

        kind = "twice_for_a_test"

    with registered(Twice):
        assert LAYERS["twice_for_a_test"] is Twice
        with pytest.raises(ValueError, match="registered twice"):
            register(Twice)
    assert "twice_for_a_test" not in LAYERS
