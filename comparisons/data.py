"""Per-case data: batch, labels, upstream gradient and initial parameters from one seeded Generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratch.datasets import spiral_data


@dataclass(frozen=True)
class Batch:
    """Inputs (N, in), integer labels (N,), upstream gradient (N, out); float64 until cast."""

    x: np.ndarray
    labels: np.ndarray
    upstream: np.ndarray

    def cast(self, dtype: str) -> Batch:
        """The same batch with float arrays in the case dtype (labels stay int64)."""
        return Batch(self.x.astype(dtype), self.labels, self.upstream.astype(dtype))


def draw_inputs(data: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A batch of inputs and labels from the data spec (kind 'spiral': nnfs spiral, random rows)."""
    if data["kind"] == "spiral":
        x, y = spiral_data(data["samples_per_class"], data["classes"], rng)
        rows = rng.choice(len(x), size=data["batch"], replace=False)
        return x[rows], y[rows]
    raise KeyError(f"unknown data kind {data['kind']!r}; known: spiral")


def draw_params(layer_specs: list[dict], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """W ~ N(0, 1/fan_in), b ~ U(+-0.5) shifted away from 0: random, non-zero biases (x @ W + b)."""
    params = {}
    for i, spec in enumerate(layer_specs):
        if spec["type"] == "dense":
            fan_in, units = spec["n_inputs"], spec["units"]
            params[f"{i}.weight"] = rng.standard_normal((fan_in, units)) / np.sqrt(fan_in)
            magnitude = rng.uniform(0.05, 0.5, units)
            params[f"{i}.bias"] = magnitude * rng.choice([-1.0, 1.0], units)
    return params


def output_width(layer_specs: list[dict]) -> int:
    """Width of the model output: the last Dense layer's units."""
    return [s["units"] for s in layer_specs if s["type"] == "dense"][-1]


def draw_case_data(spec: dict, data: dict, seed: int) -> tuple[Batch, dict[str, np.ndarray]]:
    """Everything random in a case, drawn once from default_rng(seed), in float64."""
    rng = np.random.default_rng(seed)
    params = draw_params(spec["layers"], rng)
    x, labels = draw_inputs(data, rng)
    upstream = rng.standard_normal((len(x), output_width(spec["layers"])))
    return Batch(x, labels.astype(np.int64), upstream), params
