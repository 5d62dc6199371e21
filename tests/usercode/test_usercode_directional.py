"""The directional mode of user-code checks: any size is checked, a wrong entry is caught and
named by bisection, correct gradients pass (float64, float32, at kinks), and ``auto`` chooses the
mode by the number of entries."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcheck_cli import GradcheckError, check_function, check_vjp, policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.cli import app
from gradcheck_cli.results import DIRECTIONAL_NOTE
from gradcheck_cli.usercode.options import Options
from gradcheck_cli.usercode.progress import NOISE_CALLS, PACE_CALLS, Progress

RNG = np.random.default_rng(7)
#: A two-layer tanh network's squared loss, 40 → 60 → 1 over 16 examples: 2,520 parameters,
#: above the threshold of ``auto``.
X = RNG.standard_normal((16, 40))
Y = RNG.standard_normal(16)
NET = {"W": RNG.standard_normal((40, 60)) / np.sqrt(40), "b": 0.1 * RNG.standard_normal(60),
       "v": RNG.standard_normal(60) / np.sqrt(60)}


def net_loss(W: Array, b: Array, v: Array) -> float:
    return float(np.mean((np.tanh(X @ W + b) @ v - Y) ** 2))


def net_grad(W: Array, b: Array, v: Array) -> dict[str, Array]:
    h = np.tanh(X @ W + b)
    r = 2 * (h @ v - Y) / len(Y)
    dz = np.outer(r, v) * (1 - h**2)
    return {"W": X.T @ dz, "b": dz.sum(0), "v": h.T @ r}


def median_entry(g: Array) -> int:
    """The flat index of the entry of median magnitude: a typical entry, not the largest."""
    return int(np.argsort(np.abs(g).reshape(-1))[g.size // 2])


def planted(change: Any, name: str = "W") -> tuple[Any, tuple[int, ...]]:
    """``net_grad`` with its median entry of ``name`` changed by ``change``, and that index."""
    flat = median_entry(net_grad(**NET)[name])
    index = tuple(int(i) for i in np.unravel_index(flat, NET[name].shape))

    def wrong(**inputs: Array) -> dict[str, Array]:
        grads = net_grad(**inputs)
        grads[name].flat[flat] = change(grads[name].flat[flat])
        return grads

    return wrong, index


def test_a_100000_entry_input_is_checked_not_refused() -> None:
    x = np.linspace(-2.0, 3.0, 100_000)

    result = check_function(lambda x: float(np.sum(np.sin(x) * x)), lambda x: np.sin(x) + x * np.cos(x),
                            {"x": x})

    assert result.passed
    assert result.spec.mode == "directional"


def test_a_planted_relative_error_of_1e_6_in_one_median_entry_is_caught_and_located() -> None:
    wrong, index = planted(lambda g: g * (1 + 1e-6))

    result = check_function(net_loss, wrong, NET, mode="directional")

    assert result.failed == ("W",)
    assert result.inputs["W"].worst[0].index == index
    assert f"W{list(index)}" in (result.inputs["W"].explanation or "")


def test_a_sign_flip_of_one_entry_is_caught_and_located_with_both_values() -> None:
    wrong, index = planted(lambda g: -g, name="b")

    result = check_function(net_loss, wrong, NET, mode="directional")

    entry = result.inputs["b"].worst[0]
    assert result.failed == ("b",) and entry.index == index
    assert entry.values["user"] == pytest.approx(-entry.values["numeric"], rel=1e-6)
    evidence = {check.tensor: check for check in result.spec.directional if not check.passed}
    assert evidence["b"].index == index


def test_an_error_spread_over_every_entry_fails_without_blaming_an_innocent_one() -> None:
    # 1e-10 in each of 4,096 entries: below what one entry's difference resolves, far above what
    # the sum along a direction does
    x = np.random.default_rng(0).standard_normal(4096)

    result = check_function(lambda x: float(np.sum(x)), lambda x: np.full(x.shape, 1 + 1e-10), {"x": x},
                            mode="directional")

    assert result.failed == ("x",)
    assert "no single entry does on its own" in (result.inputs["x"].explanation or "")


def test_a_wrong_entry_of_a_vjp_is_located_under_a_random_cotangent() -> None:
    A = RNG.standard_normal((30, 80))

    def vjp(c: Array, x: Array) -> Array:
        g = (c * np.cos(A @ x)) @ A
        g[41] *= -1
        return g

    result = check_vjp(lambda x: np.sin(A @ x), vjp, {"x": RNG.standard_normal(80)}, mode="directional")

    assert result.failed == ("x",)
    assert result.inputs["x"].worst[0].index == (41,)


def test_correct_float64_gradients_pass_at_every_seed() -> None:
    for seed in range(3):
        result = check_function(net_loss, net_grad, NET, mode="directional", seed=seed)
        assert result.passed, result.report()
        assert result.spec.mode == "directional" and result.precision == "float64"


def test_a_correct_float32_gradient_passes_judged_as_precision_limited() -> None:
    def loss32(W: Array, b: Array, v: Array) -> np.float32:
        h = np.tanh(X.astype(np.float32) @ W.astype(np.float32) + b.astype(np.float32))
        return np.mean((h @ v.astype(np.float32) - Y.astype(np.float32)) ** 2)

    def grad32(W: Array, b: Array, v: Array) -> dict[str, Array]:
        return {k: g.astype(np.float32) for k, g in net_grad(W, b, v).items()}

    result = check_function(loss32, grad32, NET, mode="directional")

    assert result.passed, result.report()
    assert result.precision_limited and result.precision == "float32"


def test_units_exactly_at_relu_kinks_pass_and_are_counted_as_kinks() -> None:
    x = X.copy()
    x[0] = 0.0  # the first example reaches the hidden units through their biases alone
    b = NET["b"].copy()
    b[:20] = 0.0  # … and 20 of them sit exactly at relu's kink there

    def loss(W: Array, b: Array) -> float:
        return float(np.sum(np.maximum(x @ W + b, 0.0) @ NET["v"]))

    def grad(W: Array, b: Array) -> dict[str, Array]:
        dz = np.outer(np.ones(len(x)), NET["v"]) * (x @ W + b > 0)  # relu'(0) = 0
        return {"W": x.T @ dz, "b": dz.sum(0)}

    result = check_function(loss, grad, {"W": NET["W"], "b": b}, mode="directional")

    assert result.passed, result.report()
    assert {t.name: t.kinks for t in result.spec.tensors}["b"] > 0


@pytest.mark.parametrize("seed", range(4))
def test_a_float32_relu_network_with_units_exactly_at_the_kink_passes(seed: int) -> None:
    # float32 noise hides a kink's roughness at the smallest steps: the kinks of several zero
    # biases, cancelling along a direction, must not be read as a wrong gradient
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 32)).astype(np.float32)
    x[0] = 0.0
    y = np.eye(10, dtype=np.float32)[rng.integers(10, size=8)]
    params = {"W0": rng.standard_normal((32, 48)) / np.sqrt(32), "b0": np.zeros(48),
              "W1": rng.standard_normal((48, 10)) / np.sqrt(48), "b1": rng.standard_normal(10) / 2}
    params["b0"][24:] = rng.standard_normal(24) / 2

    def forward(W0: Array, b0: Array, W1: Array, b1: Array) -> tuple[Array, Array, Array]:
        z = x @ W0.astype(np.float32) + b0.astype(np.float32)
        out = np.maximum(z, 0) @ W1.astype(np.float32) + b1.astype(np.float32)
        return z, out, np.exp(out - out.max(1, keepdims=True))

    def loss(**p: Array) -> np.float32:
        _, out, e = forward(**p)
        return np.mean(np.log(e.sum(1)) + out.max(1) - (y * out).sum(1))

    def grad(**p: Array) -> dict[str, Array]:
        z, _, e = forward(**p)
        d = (e / e.sum(1, keepdims=True) - y) / np.float32(8)
        dz = d @ p["W1"].astype(np.float32).T * (z > 0)  # relu'(0) = 0
        return {"W0": x.T @ dz, "b0": dz.sum(0), "W1": np.maximum(z, 0).T @ d, "b1": d.sum(0)}

    result = check_function(loss, grad, params, mode="directional", seed=seed)

    assert result.passed, result.report()
    assert result.precision == "float32"


def test_auto_is_full_up_to_the_threshold_and_directional_above() -> None:
    n = policy.USER_DIRECTIONAL_THRESHOLD
    assert Options().resolved(n) == "full"
    assert Options().resolved(n + 1) == "directional"
    assert Options(scheme="complex").resolved(n + 1) == "full"
    assert Options(mode="full").resolved(10 * n) == "full"
    assert Options(mode="directional").resolved(1) == "directional"


def test_auto_checks_a_small_input_entry_by_entry_and_a_large_one_along_directions() -> None:
    small = check_function(net_loss, net_grad, NET, wrt="v")
    large = check_function(net_loss, net_grad, NET)

    assert (small.spec.mode, large.spec.mode) == ("full", "directional")
    assert small.spec.directional == () and len(large.spec.directional) == 3


def test_the_report_says_what_a_directional_pass_does_not_prove() -> None:
    result = check_function(net_loss, net_grad, NET, mode="directional")

    assert "does not prove every entry" in DIRECTIONAL_NOTE
    assert " ".join(DIRECTIONAL_NOTE.split()[:6]) in " ".join(result.report(width=200).split())
    document = json.loads(result.report("json"))["specs"][0]
    assert document["kind"] == "function" and document["mode"] == "directional"
    assert [d["passed"] for d in document["directional"]] == [True, True, True]


def test_an_unknown_mode_and_a_directional_complex_step_are_refused() -> None:
    with pytest.raises(GradcheckError, match="unknown mode `diretional`; did you mean `directional`"):
        check_function(net_loss, net_grad, NET, mode="diretional")
    with pytest.raises(GradcheckError, match="the complex step is checked entry by entry only"):
        check_function(net_loss, net_grad, NET, mode="directional", scheme="complex")


def test_a_long_full_check_prints_its_estimate_early_in_the_pass_and_then_its_progress(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "USER_ANNOUNCE_SECONDS", 0.0)
    monkeypatch.setattr(policy, "USER_PROGRESS_SECONDS", 0.0)
    stream = io.StringIO()
    counted = Progress(lambda point, doing: np.zeros(1), 1_000, "f", stream)

    for _ in range(NOISE_CALLS + PACE_CALLS - 1):
        counted({}, "")
    assert stream.getvalue() == ""  # the noise measurement and the first entries time it first
    counted({}, "")
    counted({}, "")

    lines = stream.getvalue().splitlines()
    expected = NOISE_CALLS + 6 * 1_000  # six stencil points per entry
    assert lines[0].startswith(f"gradcheck: a full check of 1,000 entries calls `f` ~{expected:,} "
                               "times: about")
    done = NOISE_CALLS + PACE_CALLS + 1
    assert lines[1].startswith(f"gradcheck: full check: {done / expected:.0%} ({done:,} of "
                               f"~{expected:,} calls")


def test_a_quick_full_check_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    check_function(net_loss, net_grad, NET, wrt="v", mode="full")

    assert capsys.readouterr().err == ""


def test_gradcheck_func_takes_mode(tmp_path: Any) -> None:
    code = tmp_path / "net.py"
    code.write_text("import numpy as np\n"
                    "def loss(w):\n    return float(np.sum(np.cos(w)))\n"
                    "def grad(w):\n    g = -np.sin(w)\n    g[3] *= -1\n    return g\n")
    np.savez(tmp_path / "inputs.npz", w=np.linspace(0.1, 2.0, 50))
    runner = CliRunner()

    done = runner.invoke(app, ["func", f"{code}:loss", "--grad", f"{code}:grad", "--inputs",
                               str(tmp_path / "inputs.npz"), "--mode", "directional", "--format", "json"])

    assert done.exit_code == 1, done.output
    spec = json.loads(done.stdout)["specs"][0]
    assert spec["mode"] == "directional" and spec["tensors"][0]["worst"][0]["index"] == [3]
    refused = runner.invoke(app, ["func", f"{code}:loss", "--inputs", str(tmp_path / "inputs.npz"),
                                  "--mode", "sideways"])
    assert refused.exit_code == 2


def test_the_help_of_func_states_the_threshold_of_auto() -> None:
    done = CliRunner().invoke(app, ["func", "--help"], terminal_width=200)

    assert f"full up to {policy.USER_DIRECTIONAL_THRESHOLD:,} entries" in " ".join(done.output.split())
