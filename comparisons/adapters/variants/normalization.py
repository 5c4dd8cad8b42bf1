"""Negative controls of the normalization layers: the two BatchNorm conventions people get wrong."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from comparisons.adapters.variants.base import recast_every
from scratch.layers import BatchNorm1D
from scratch.model import Sequential


class UnbiasedNormalizationBatchNorm(BatchNorm1D):
    """Normalizes the batch with its unbiased variance sum (x - mean)^2 / (n - 1) (the estimator torch
    stores in running_var); every framework normalizes with the biased one, sum / n."""

    def statistics(self, x: np.ndarray, axes: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, unbiased variance for normalizing, the running-variance statistic as before)."""
        mean, biased, running = super().statistics(x, axes)
        count = x.size // self.num_features
        return mean, biased * (count / (count - 1)), running


class OtherMomentumConventionBatchNorm(BatchNorm1D):
    """Blends the running statistics with the momentum read in the other convention: running = m running
    + (1 - m) batch where the layer's convention is torch's (and the reverse for Keras's)."""

    def blend(self, running: np.ndarray, batch: np.ndarray) -> np.ndarray:
        """The other convention's blend."""
        m = self.momentum
        if self.momentum_convention == "torch":
            return running * m + batch * (1 - m)
        return (1 - m) * running + m * batch


# Variant name -> patch(model) -> number of components patched (0 means the case does not fit it).
VARIANTS: dict[str, Callable[[Sequential], int]] = {
    "batchnorm_normalizes_with_unbiased_variance": recast_every(UnbiasedNormalizationBatchNorm),
    "batchnorm_momentum_other_convention": recast_every(OtherMomentumConventionBatchNorm),
}
