"""Toy datasets drawn from an explicit np.random.Generator (never the global NumPy state).

Inputs are float64 (N, features); class labels are int64 (N,); regression targets float64 (N, 1).
For a binary-cross-entropy model turn labels into (N, 1) float targets with binary_targets().
"""

from __future__ import annotations

import numpy as np

from scratch.errors import check_generator, check_number

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)


def _check_count(component: str, name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{component}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _gate(rule) -> tuple[np.ndarray, np.ndarray]:
    x = _CORNERS.copy()
    return x, rule(x[:, 0], x[:, 1]).astype(np.int64)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The 4 XOR points: X = [[0,0],[0,1],[1,0],[1,1]], y = x1 XOR x2 = [0,1,1,0]."""
    return _gate(lambda a, b: a != b)


def and_gate() -> tuple[np.ndarray, np.ndarray]:
    """The 4 AND points: X = [[0,0],[0,1],[1,0],[1,1]], y = x1 AND x2 = [0,0,0,1] (linearly separable)."""
    return _gate(lambda a, b: (a > 0) & (b > 0))


def or_gate() -> tuple[np.ndarray, np.ndarray]:
    """The 4 OR points: X = [[0,0],[0,1],[1,0],[1,1]], y = x1 OR x2 = [0,1,1,1] (linearly separable)."""
    return _gate(lambda a, b: (a > 0) | (b > 0))


def noisy_xor(samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Noisy XOR: corner c_i = XOR point i mod 4, X_i = c_i + noise * N(0, I_2), y_i = XOR label of c_i."""
    samples = _check_count("noisy_xor", "samples", samples)
    noise = check_number("noisy_xor", "noise", noise, low=0.0)
    check_generator("noisy_xor", "rng", rng)
    corners, labels = xor()
    which = np.arange(samples) % 4  # balanced classes, in a fixed order
    return corners[which] + noise * rng.standard_normal((samples, 2)), labels[which]


def binary_targets(labels: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """0/1 labels (N,) as float targets (N, 1), the layout of binary cross-entropy (nnfs, keras, torch)."""
    return np.asarray(labels).reshape(-1, 1).astype(dtype)


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


def vertical_data(samples: int, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """nnfs vertical_data: class c gets X = [0.1 N(0,1) + c/3, 0.1 N(0,1) + 0.5], samples rows each."""
    samples = _check_count("vertical_data", "samples", samples)
    classes = _check_count("vertical_data", "classes", classes)
    check_generator("vertical_data", "rng", rng)
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype=np.int64)
    for class_number in range(classes):
        rows = slice(samples * class_number, samples * (class_number + 1))
        first = rng.standard_normal(samples) * 0.1 + class_number / 3  # drawn first, as in nnfs
        second = rng.standard_normal(samples) * 0.1 + 0.5
        x[rows] = np.c_[first, second]
        y[rows] = class_number
    return x, y


def sine_data(samples: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """nnfs sine_data (deterministic): X = arange(samples)/samples as (N, 1), y = sin(2 pi X) (N, 1)."""
    samples = _check_count("sine_data", "samples", samples)
    x = (np.arange(samples) / samples).reshape(-1, 1)
    return x, np.sin(2 * np.pi * x)


def noisy_sine_series(
    length: int, noise: float, rng: np.random.Generator, frequency: float = 0.1
) -> np.ndarray:
    """Time series s_t = sin(frequency * t) + noise * N(0, 1), t = 0..length-1 (seed project 10)."""
    length = _check_count("noisy_sine_series", "length", length)
    noise = check_number("noisy_sine_series", "noise", noise, low=0.0)
    check_generator("noisy_sine_series", "rng", rng)
    return np.sin(frequency * np.arange(length)) + noise * rng.standard_normal(length)


def sliding_windows(series: np.ndarray, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """X_i = s[i : i+window] (M, window), y_i = s[i+window+horizon-1] (M, 1), M = T - window - horizon + 1."""
    series = np.asarray(series)
    window = _check_count("sliding_windows", "window", window)
    horizon = _check_count("sliding_windows", "horizon", horizon)
    if series.ndim != 1:
        raise ValueError(f"sliding_windows: series must be 1-D (T,), got shape {series.shape}")
    count = series.shape[0] - window - horizon + 1
    if count < 1:
        raise ValueError(
            f"sliding_windows: a series of length {series.shape[0]} is too short for window {window} "
            f"and horizon {horizon} (needs at least {window + horizon})"
        )
    x = np.lib.stride_tricks.sliding_window_view(series, window)[:count].copy()
    y = series[window + horizon - 1 : window + horizon - 1 + count].reshape(-1, 1).copy()
    return x, y


def chronological_split(
    x: np.ndarray, y: np.ndarray, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, x_test, y_train, y_test): the first N - round(N*f) rows train, the rest test, no shuffling.

    Rows are assumed in time order, so every training target comes before every test target
    (a shuffled split would leak the future into training: seed project 10).
    """
    test_fraction = check_number("chronological_split", "test_fraction", test_fraction, 0.0, 1.0, True, True)
    if len(x) != len(y):
        raise ValueError(f"chronological_split: x has {len(x)} rows but y has {len(y)}")
    n_test = int(round(len(x) * test_fraction))
    n_train = len(x) - n_test
    if n_test == 0 or n_train == 0:
        raise ValueError(
            f"chronological_split: test_fraction {test_fraction} of {len(x)} rows leaves "
            f"{n_train} train and {n_test} test rows; both must be non-empty"
        )
    return x[:n_train], x[n_train:], y[:n_train], y[n_train:]
