"""Per-case data: batch, targets, upstream gradient and initial parameters from one seeded Generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.core.case import input_shape
from comparisons.data.parameters import draw_params, signed_uniform
from scratch.datasets import spiral_data, xor
from scratch.registry import output_shape


@dataclass(frozen=True)
class Batch:
    """Inputs (N, *in) (floats, or int64 ids), targets (int64 labels or floats), upstream gradient
    (N, *out); float64 until cast."""

    x: np.ndarray
    targets: np.ndarray
    upstream: np.ndarray

    @property
    def dtype(self) -> str:
        """The case dtype: the inputs', or the upstream gradient's when the inputs are integer ids."""
        return (self.upstream if self.x.dtype.kind in "iu" else self.x).dtype.name

    def cast(self, dtype: str) -> Batch:
        """The same batch with float arrays in the case dtype (integer ids and labels stay int64)."""
        x, targets = (a if a.dtype.kind in "iu" else a.astype(dtype) for a in (self.x, self.targets))
        return Batch(x, targets, self.upstream.astype(dtype))


def _softmax(z: np.ndarray) -> np.ndarray:
    exp = np.exp(z - z.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _targets(kind: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Sparse int64 labels (N,), one-hot (N, k), binary {0, 1} (N, k) or regression values (N, k)."""
    n, k = shape
    if kind in ("sparse", "onehot"):
        labels = rng.integers(0, k, n)
        return labels.astype(np.int64) if kind == "sparse" else np.eye(k)[labels]
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(np.float64)
    if kind == "regression":
        return rng.standard_normal(shape)
    raise KeyError(f"unknown target kind {kind!r}; known: sparse, onehot, binary, regression")


def _predictions(kind: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Loss inputs: softmax rows, sigmoid probabilities in (0.02, 0.98), logits (huge_logits: |z| in
    [100, 1000], past exp's overflow in both dtypes), or plain values."""
    if kind == "huge_logits":
        return signed_uniform(rng, shape, 100.0, 1000.0)
    logits = signed_uniform(rng, shape, 0.1, 3.0)
    if kind == "probabilities":
        return _softmax(logits)
    if kind == "sigmoid":
        return rng.uniform(0.02, 0.98, shape)
    if kind in ("logits", "values"):
        return logits
    raise KeyError(f"unknown prediction kind {kind!r}; known: probabilities, sigmoid, logits, huge_logits, "
                   "values")


def _saturated(kind: str, targets: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Predictions at the edge: p in {0, 1e-9, 1-1e-9, 1} (BCE) or 1e-9/1e-12 (CCE) against the
    labels, or logits +-30/40 on the wrong side."""
    n, k = shape
    if kind == "sigmoid":  # opposite of the binary target, at and near the boundary
        edge = np.resize(np.array([0.0, 1e-9]), shape)
        return np.where(targets > 0.5, edge, 1 - edge)
    if kind == "logits":
        magnitude = np.resize(np.array([30.0, 40.0]), shape)
        wrong = targets > 0.5 if targets.ndim == 2 else np.eye(k)[targets] > 0.5
        return np.where(wrong, -magnitude, magnitude)
    if kind == "probabilities":  # the true class gets 1e-9 or 1e-12, the rest shares what is left
        # NOTE: not exactly 0: the textbook gradient -1/p would divide by zero on every side
        labels = targets if targets.ndim == 1 else targets.argmax(axis=1)
        true_p = np.resize(np.array([1e-9, 1e-12]), n)
        probs = np.tile(((1 - true_p) / (k - 1))[:, None], (1, k))
        probs[np.arange(n), labels] = true_p
        return probs
    raise KeyError(f"no saturated form for prediction kind {kind!r}")


def _ids(data: dict, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """int64 ids in [0, vocab) with a repeated id guaranteed (the last equals the first) and the ids of
    data['plant'] (a padding index) written after the first."""
    ids = rng.integers(0, data["vocab"], shape)
    planted = list(data.get("plant", ()))
    if ids.size < len(planted) + 2:
        raise ValueError(f"ids data {data}: {ids.size} ids cannot hold a repeat and {planted}")
    ids.flat[1:1 + len(planted)] = planted
    ids.flat[-1] = ids.flat[0]  # NOTE: dW[ids] += g would count this id once
    return ids.astype(np.int64)


def draw_inputs(data: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets from the data spec (kind: spiral, signed_uniform, ids, loss, xor, fixed).

    signed_uniform: |x| ~ U(low, high) with random signs; 'quantum' rounds every value to a multiple of
    it (few levels, so max-pooling windows hold tied maxima), 'zeros' sets the first values to exactly 0,
    'alternate_signs' gives sample i the sign (-1)**i in every feature (samples >= 2*low apart).
    ids: int64 ids for an embedding (_ids).
    """
    kind, shape = data["kind"], (data.get("batch", 0), *input_shape(data))
    if kind == "spiral":
        x, y = spiral_data(data["samples_per_class"], data["classes"], rng)
        rows = rng.choice(len(x), size=data["batch"], replace=False)
        return x[rows], y[rows].astype(np.int64)
    if kind == "signed_uniform":
        x = signed_uniform(rng, shape, data["low"], data["high"])
        if data.get("quantum"):  # planted ties (max pooling): every input rounded to a multiple of it
            x = np.round(x / data["quantum"]) * data["quantum"]
        x.ravel()[: data.get("zeros", 0)] = 0.0  # exact kinks, only in cases made for them
        if data.get("alternate_signs"):  # a well-conditioned batch of 2 (docs/conventions.md §19)
            x = np.abs(x) * np.where(np.arange(shape[0]) % 2 == 0, 1.0, -1.0).reshape(-1, *[1] * (x.ndim - 1))
        target_shape = (shape[0], data.get("target_width", shape[-1]))
        return x, _targets(data.get("targets", "sparse"), rng, target_shape)
    if kind == "ids":  # integer ids for an embedding, e.g. {"batch": 4, "shape": (T,), "vocab": 7}
        x = _ids(data, rng, shape)
        return x, _targets(data.get("targets", "sparse"), rng, (shape[0], data.get("target_width", 2)))
    if kind == "loss":
        targets = _targets(data["targets"], rng, shape)
        if data.get("saturated"):
            return _saturated(data["predictions"], targets, shape), targets
        return _predictions(data["predictions"], rng, shape), targets
    if kind == "xor":  # the 4 XOR corners of the seed projects 01/02/04/09; float targets (4, 1)
        x, labels = xor()
        return x, labels.astype(np.float64).reshape(-1, 1)
    if kind == "fixed":  # samples written into the case, float targets (seed 07's single sample)
        return np.array(data["x"], dtype=np.float64), np.array(data["y"], dtype=np.float64)
    raise KeyError(f"unknown data kind {kind!r}; known: spiral, signed_uniform, ids, loss, xor, fixed")


def model_output_shape(spec: dict, data: dict) -> tuple[int, ...]:
    """Per-sample shape of the model output for the data's per-sample input shape."""
    shape = input_shape(data)
    for layer in spec["layers"]:
        shape = output_shape(layer, shape)
    return shape


def draw_case_data(spec: dict, data: dict, seed: int) -> tuple[Batch, dict[str, np.ndarray]]:
    """Everything random in a case, drawn once from default_rng(seed), in float64."""
    rng = np.random.default_rng(seed)
    params = draw_params(spec["layers"], rng)
    x, targets = draw_inputs(data, rng)
    upstream = rng.standard_normal((len(x), *model_output_shape(spec, data)))
    return Batch(x, targets, upstream), params
