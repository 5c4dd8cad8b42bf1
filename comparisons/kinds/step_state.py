"""A training step's state as one float64 vector per side, so each tensor's check is a few NumPy calls.

The state (gradients, parameters, buffers) lies tensor after tensor in the framework's order, gradients in
the parameters' order. The per-tensor formulas are elementwise, so they run once on the whole vector; a
tensor's maximum is one np.maximum.reduceat over the segments, medians come from one sort of small tensors
together or one np.partition per larger tensor.
Every number equals the tensor-by-tensor computation's bit for bit (tests/harness/test_step_state.py); on
the tiny networks of the cases the per-call cost of NumPy, not arithmetic, is what a step's checks spend.
"""

from __future__ import annotations

import math

import numpy as np

from comparisons.core.agreement import Agreement, compare_parts
from comparisons.core.tolerances import tolerance_for, update_atol

FIELDS = (("grad_param", "grads"), ("param_after_step", "params"), ("buffer", "buffers"))  # (quantity, field)
SORTED_UP_TO = 2048  # medians of up to this many elements in all: one lexsort beats a partition per tensor


class Segments:
    """Consecutive tensors of a flat vector: where each lies, per-tensor maxima and medians."""

    def __init__(self, places: list[tuple[str, str, str]], shapes: list[tuple[int, ...]]) -> None:
        self.places = places  # (quantity, field of the step result, tensor name) per tensor
        self.keys = [(quantity, name) for quantity, _, name in places]
        self.shapes = shapes
        self.sizes = np.array([math.prod(shape) for shape in shapes], dtype=np.intp)
        self.starts = np.cumsum(self.sizes) - self.sizes
        self.size = int(self.sizes.sum())
        self.slices = [(slice(start, start + size), shape)  # each tensor's slice of the vector, and its shape
                       for start, size, shape in zip(self.starts.tolist(), self.sizes.tolist(), shapes,
                                                     strict=True)]
        self._filled = self.sizes > 0
        self._size_list = self.sizes.tolist()
        self._nonempty = [i for i, size in enumerate(self._size_list) if size]
        self._owner = np.repeat(np.arange(len(self._nonempty)), self.sizes[self._nonempty])  # for medians

    def flatten(self, result: dict, who: str) -> np.ndarray:
        """result's tensors in this order, in float64; ValueError naming `who`, the tensor and both shapes
        when one is missing or has another shape than the framework's."""
        arrays = []
        for (quantity, field, name), shape in zip(self.places, self.shapes, strict=True):
            value = (result.get(field) or {}).get(name)
            if getattr(value, "shape", None) != shape and (value is None or np.shape(value) != shape):
                got = "no such tensor" if value is None else f"shape {np.shape(value)}"
                raise ValueError(f"{who}'s training step returned {quantity} {name!r} with {got}; the "
                                 f"framework's has shape {shape}")
            arrays.append(np.ravel(value))
        return np.concatenate(arrays, dtype=np.float64) if arrays else np.zeros(0)

    def maxima(self, values: np.ndarray) -> np.ndarray:
        """Per tensor the largest of its elements in `values` (0.0 for an empty tensor; NaN propagates)."""
        return self._reduce(np.maximum, values, 0.0)

    def _reduce(self, ufunc: np.ufunc, values: np.ndarray, empty: float) -> np.ndarray:
        """Per tensor ufunc.reduce of its elements in `values`, in float64 (`empty` for an empty tensor)."""
        if self._filled.all() and self.shapes:
            return ufunc.reduceat(values, self.starts).astype(np.float64)
        out = np.full(len(self.shapes), empty)
        if self._filled.any():
            out[self._filled] = ufunc.reduceat(values, self.starts[self._filled])
        return out

    def median_above(self, values: np.ndarray, bound=0.0) -> np.ndarray:
        """Per tensor whether np.median of its elements (no NaN) is > bound (a number, or one per tensor),
        exactly, from counts instead of a sort: with c elements <= bound of n, the middle element (odd n) is
        above when c <= n // 2; the middle two (even n) both are when c < n / 2, neither is when c > n / 2,
        and when c = n / 2 they are max{e <= bound} and min{e > bound}, whose mean is computed as np.median
        computes it (False when empty)."""
        below = values <= (self.spread(bound) if np.ndim(bound) else bound)
        count, half = self._reduce(np.add, below, 0.0), self.sizes // 2
        above = count < half
        split = (count == half) & (self.sizes % 2 == 0)  # an even tensor with its middle two on each side
        if split.any():
            low = self._reduce(np.maximum, np.where(below, values, -np.inf), -np.inf)
            high = self._reduce(np.minimum, np.where(below, np.inf, values), np.inf)
            with np.errstate(invalid="ignore", over="ignore"):
                above |= split & ((low + high + 0.0) / 2 > bound)
        return above | ((count == half) & (self.sizes % 2 == 1))

    def spread(self, per_tensor: np.ndarray) -> np.ndarray:
        """Each tensor's value in the place of each of its elements."""
        return np.repeat(per_tensor, self.sizes)

    def medians(self, values: np.ndarray, which: list[int] | None = None) -> np.ndarray:
        """Per tensor (only those numbered in `which`, the others NaN) np.median of its elements, bit for bit
        (median()): up to SORTED_UP_TO elements in all, from one lexsort of them by tensor and value, else
        one np.partition per tensor."""
        out = np.full(len(self.shapes), np.nan)  # an empty tensor's median is NaN
        which = self._nonempty if which is None else [i for i in which if self._size_list[i]]
        if which == self._nonempty:  # all of them: the vector itself
            chosen, owner, sizes = values, self._owner, self.sizes[which]
        else:
            sizes = self.sizes[which]
            chosen = np.concatenate([values[self.slices[i][0]] for i in which]) if which else values[:0]
            owner = np.repeat(np.arange(len(which)), sizes)
        if chosen.size > SORTED_UP_TO:
            for i in which:
                out[i] = median(values[self.slices[i][0]])
            return out
        if not which:
            return out
        starts = np.cumsum(sizes) - sizes
        ordered = chosen[np.lexsort((chosen, owner))]
        high, low = ordered[starts + sizes // 2], ordered[starts + np.maximum(sizes // 2 - 1, 0)]
        with np.errstate(invalid="ignore"):  # -inf and inf in the middle: NaN, as np.median gives
            middle = np.where(sizes % 2 == 1, high + 0.0, (low + high + 0.0) / 2)
        out[which] = np.where(np.add.reduceat(np.isnan(chosen), starts) > 0, np.nan, middle)
        return out

    def broken(self, actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """Per tensor whether either side has a non-finite element (an empty tensor has none)."""
        return self.maxima(~(np.isfinite(actual) & np.isfinite(expected))) > 0

    def medians_above(self, values: np.ndarray, bound, which: list[int]) -> np.ndarray:
        """Per tensor in `which` its median where that is > bound (a number, or one per tensor), else NaN:
        for few elements all medians, else first median_above and then only those medians."""
        if int(self.sizes[which].sum()) > SORTED_UP_TO:
            above = self.median_above(values, bound)
            which = [i for i in which if above[i]]
        middle = self.medians(values, which)
        with np.errstate(invalid="ignore"):
            return np.where(middle > bound, middle, np.nan)

    def bulk_excess(self, excess: np.ndarray, broken: np.ndarray,
                    which: list[int] | None = None) -> np.ndarray:
        """Per tensor (only those in `which`) the median of its `excess` (outside()) where it is > 0 (more
        than half the elements off), else 0.0: also for an empty or a `broken` tensor (the chaos ratio
        judges those)."""
        which = [i for i in (range(len(self.shapes)) if which is None else which) if not broken[i]]
        off = self.medians_above(excess, 0.0, which)
        return np.where(np.isnan(off), 0.0, off)

    def views(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """tensor name -> its elements of `values` in its shape (views, not copies)."""
        return {name: values[piece].reshape(shape)
                for (_, _, name), (piece, shape) in zip(self.places, self.slices, strict=True)}


class Layout:
    """A step's state in the framework's order: all of it (state) and each quantity's part of it."""

    def __init__(self, result: dict) -> None:
        params, grads = list(result["params"]), result.get("grads") or {}
        names = {"grads": [k for k in params if k in grads] + [k for k in grads if k not in params],
                 "params": params, "buffers": list(result.get("buffers") or {})}
        places = [(quantity, field, name) for quantity, field in FIELDS for name in names[field]]
        shapes = [np.shape(result[field][name]) for _, field, name in places]
        self.signature = tensor_shapes(result)
        self.state = Segments(places, shapes)
        self.parts: dict[str, tuple[slice, Segments]] = {}  # quantity -> (its slice of the vector, tensors)
        start = 0
        for quantity, _ in FIELDS:
            mine = [i for i, place in enumerate(places) if place[0] == quantity]
            if mine:
                part = Segments([places[i] for i in mine], [shapes[i] for i in mine])
                self.parts[quantity] = (slice(start, start + part.size), part)
                start += part.size
        self.ungraded = [name for name in params if name not in grads]  # parameters the step gave no gradient

    def fits(self, result: dict) -> bool:
        """True when `result` has the framework's tensors of the step this layout was built from."""
        return tensor_shapes(result) == self.signature

    def gradients_of_params(self, vector: np.ndarray) -> np.ndarray:
        """The parameters' gradients in the parameters' order (the gradients' part begins with them)."""
        if self.ungraded:
            raise ValueError(f"the framework's training step returned no gradient for {self.ungraded}")
        return vector[:self.parts["param_after_step"][1].size]


def outside(actual: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """|a - r| - atol - rtol*|r| elementwise: > 0 where an element is outside the tolerance."""
    return np.abs(actual - expected) - atol - rtol * np.abs(expected)


def median(values: np.ndarray) -> float:
    """np.median of a float64 vector, bit for bit: the middle element, or the mean (0.0 + a + b) / 2 of the
    middle two (np.mean's sum starts from +0.0: two middle -0.0 give +0.0, -5e-324 and -0.0 give -0.0),
    found by one np.partition (np.median's own checks cost 4x that on these small tensors)."""
    if values.size == 0 or not np.isfinite(values).all():
        return float(np.median(values)) if values.size else math.nan  # NaN propagation stays np.median's
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half)[half] + 0.0)
    low, high = np.partition(values, (half - 1, half))[half - 1:half + 1]
    return float((low + high + 0.0) / 2)


def tensor_shapes(result: dict) -> tuple:
    """Per field of a step result its tensors' names and shapes."""
    return tuple((field, tuple((name, np.shape(value)) for name, value in (result.get(field) or {}).items()))
                 for _, field in FIELDS)


def update_check(layout: Layout, vectors: tuple, before: np.ndarray, dtype: str,
                 allowance: np.ndarray) -> Agreement:
    """The agreement rule on each parameter's update theta_after - before with its update tolerance plus the
    gradient allowance (optimizer.step_update): the worst tensor's Agreement (a NaN one first)."""
    span, params = layout.parts["param_after_step"]
    ours, theirs = (vector[span] - before for vector in vectors)
    scale, size = params.maxima(np.abs(theirs)), params.maxima(np.abs(vectors[1][span]))
    atol = params.spread(update_atol(dtype, scale, size)) + allowance
    checks = compare_parts(ours, theirs, atol, tolerance_for(dtype, "param_after_step").rtol, params.slices)
    return max(checks, key=lambda check: (check.status == "nan", check.worst_ratio))
