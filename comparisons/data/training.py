"""Training sets for trajectory cases: scratch's generators and the harness's sklearn loaders."""

from __future__ import annotations

import numpy as np

from comparisons.data.datasets import load_split
from comparisons.data.text import char_windows, zen_of_python
from scratch import datasets as toy


def binary_column(y: np.ndarray) -> np.ndarray:
    """Binary targets as float (N, 1), the shape BCE and sigmoid outputs use."""
    return np.asarray(y, dtype=np.float64).reshape(-1, 1)


def training_set(data: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """{'x', 'y'} (and 'x_val', 'y_val' where the data has a split) in float64 / int64; inputs reshaped to
    (N, *data['shape']) where the data gives a per-sample shape (digits as (1, 8, 8) images)."""
    found = _loaded(data, rng)
    if "shape" in data:
        for key in ("x", "x_val"):
            if key in found:
                found[key] = found[key].reshape(len(found[key]), *data["shape"])
    return found


def _loaded(data: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    kind = data["kind"]
    if kind in ("xor", "and", "or"):
        x, y = {"xor": toy.xor, "and": toy.and_gate, "or": toy.or_gate}[kind]()
        return {"x": x.astype(np.float64), "y": binary_column(y)}
    if kind == "noisy_xor":
        x, y = toy.noisy_xor(data["samples"], data.get("noise", 0.2), rng)
        return {"x": x, "y": binary_column(y) if data.get("binary", True) else y.astype(np.int64)}
    if kind == "spiral":
        x, y = toy.spiral_data(data["samples_per_class"], data["classes"], rng)
        return {"x": x, "y": binary_column(y) if data.get("binary") else y}
    if kind == "sine":
        x, y = toy.sine_data(data.get("samples", 1000))
        return {"x": x.astype(np.float64), "y": y.astype(np.float64)}
    if kind == "series":  # seed 10: windows of sin(0.1 t) + noise, the later windows held out
        own = np.random.default_rng(data["seed"]) if "seed" in data else rng  # one series for several nets
        series = toy.noisy_sine_series(data["length"], data.get("noise", 0.1), own)
        x, y = toy.sliding_windows(series, data["n_features"], data.get("horizon", 1))
        x, x_val, y, y_val = toy.chronological_split(x, y, data.get("test_fraction", 0.2))
        return {"x": x, "y": y, "x_val": x_val, "y_val": y_val}
    if kind == "text":  # characters of the Zen of Python: windows of ids -> the next character's id
        return char_windows(zen_of_python(), data["shape"][0])
    if kind == "fixed":  # a few samples written into the case (seed 07's single sample)
        return {"x": np.array(data["x"], dtype=np.float64), "y": np.array(data["y"], dtype=np.float64)}
    if kind == "linear":  # seed 06: x = linspace(0, 1, samples), y = w*x + b + N(0, noise)
        x = np.linspace(0.0, 1.0, data["samples"]).reshape(-1, 1)
        return {"x": x, "y": data["w"] * x + data["b"] + rng.normal(0.0, data["noise"], x.shape)}
    if kind in ("digits", "iris", "wine", "moons", "circles"):
        split = load_split(kind, seed=data.get("seed", 0), **data.get("options", {}))
        return {"x": split.x_train, "y": split.y_train, "x_val": split.x_test, "y_val": split.y_test}
    raise KeyError(f"unknown training data kind {kind!r}")


def batch_schedule(n: int, batch_size: int | None, epochs: int,
                   rng: np.random.Generator | None) -> list[np.ndarray]:
    """Row indices of every step: in order (nnfs, shuffle=False) or one shared permutation per epoch."""
    size = batch_size or n
    steps = []
    for _ in range(epochs):
        order = rng.permutation(n) if rng is not None else np.arange(n)
        steps += [order[start:start + size] for start in range(0, n, size)]
    return steps


def batch_accuracy(output: np.ndarray, targets: np.ndarray) -> float:
    """Classification accuracy of one batch: argmax for (N, k > 1), threshold 0.5 for (N, 1)."""
    if output.shape[1] > 1:
        labels = targets if targets.ndim == 1 else targets.argmax(axis=1)
        return float(np.mean(output.argmax(axis=1) == labels))
    return float(np.mean((output > 0.5) == (targets > 0.5)))
