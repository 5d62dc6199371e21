from __future__ import annotations

import numpy as np

from gradcheck_cli.fd.noise import estimate, rms


def test_the_noise_estimate_recovers_the_level_of_synthetic_noise():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1e-9, 64)
    samples = 1.0 + 2.0 * t + 3e-12 * rng.standard_normal(t.size)
    assert 1.5e-12 < estimate(samples) < 6e-12


def test_the_noise_estimate_of_a_smooth_function_is_below_rounding():
    t = np.arange(8) * 1e-9
    assert estimate(np.exp(t)) < 1e-14


def test_the_noise_estimate_of_too_few_samples_is_zero():
    assert estimate(np.array([1.0])) == 0.0


def test_the_rms_of_huge_values_does_not_overflow():
    # √mean(v²) of (3e200, 4e200) is √12.5 · 1e200; squaring first would give inf
    assert np.isclose(rms(np.array([3e200, 4e200])), np.sqrt(12.5) * 1e200)


def test_the_rms_of_zeros_is_zero_and_of_an_infinity_is_infinite():
    assert rms(np.zeros(3)) == 0.0
    assert rms(np.array([1.0, np.inf])) == np.inf
