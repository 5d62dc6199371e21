"""A batch-normalisation backward pass with a classic bug, kept to show what gradcheck says.

It treats the batch mean as a constant: the path x → μ → x̂ is dropped, so the term −Σ dout/N
of the correct dx is missing. Every column of dx is off by the same amount in every row, which
a plain finite-difference loop reports as "relative error 0.3" and nothing more.
"""

from __future__ import annotations

from typing import Any

from layers import Array, batchnorm_forward

__all__ = ["batchnorm_backward_without_the_mean", "batchnorm_forward"]


def batchnorm_backward_without_the_mean(dout: Array, cache: Any) -> tuple[Array, Array, Array]:
    x_hat, inv_std, gamma = cache
    n = dout.shape[0]
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx = gamma * inv_std / n * (n * dout - x_hat * dgamma)  # "− Σ dout" forgotten
    return dx, dgamma, dbeta
