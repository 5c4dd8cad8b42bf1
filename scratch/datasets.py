"""Toy datasets drawn from an explicit np.random.Generator (never the global NumPy state)."""

from __future__ import annotations

import numpy as np


def spiral_data(
    samples: int, classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """nnfs spiral: r = linspace(0,1), t = linspace(4c, 4c+4) + 0.2 N(0,1), X = r[sin 2.5t, cos 2.5t]."""
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype=np.int64)
    for class_number in range(classes):
        rows = slice(samples * class_number, samples * (class_number + 1))
        radius = np.linspace(0.0, 1, samples)
        angle = np.linspace(class_number * 4, (class_number + 1) * 4, samples)
        angle = angle + rng.standard_normal(samples) * 0.2
        x[rows] = np.c_[radius * np.sin(angle * 2.5), radius * np.cos(angle * 2.5)]
        y[rows] = class_number
    return x, y
