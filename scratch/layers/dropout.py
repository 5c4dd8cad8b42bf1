"""Inverted dropout with a keep pattern that can be shared with the frameworks."""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_generator, check_number, check_shape
from scratch.layers.base import Layer, LayerType


class Dropout(Layer):
    """Inverted dropout: training y = x*mask/(1 - rate), inference y = x (torch.nn.Dropout / keras Dropout).

    `mask` is the 0/1 keep pattern (1 = kept); the layer applies the 1/(1 - rate) scaling itself.
    To share one mask with the frameworks, call `set_mask(mask)` before forward: every training
    forward then uses it until `set_mask(None)`. Otherwise each training forward draws a fresh
    mask from the Generator given at construction (keep with probability 1 - rate, like nnfs's
    binomial mask). After a training forward, `self.mask` holds the pattern that was used.
    """

    kind = "dropout"

    def __init__(self, rate: float, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.rate = check_number("Dropout", "rate", rate, low=0.0, high=1.0, high_open=True)
        self.rng = None if rng is None else check_generator(self.name, "rng", rng)
        self.fixed_mask: np.ndarray | None = None
        self.mask: np.ndarray | None = None  # the keep pattern of the last training forward

    @property
    def name(self) -> str:
        """'Dropout(rate)', used in error messages."""
        return f"Dropout({self.rate})"

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Use this 0/1 keep pattern (shape of the input batch) in training forwards; None: draw again."""
        if mask is not None:
            mask = np.array(mask)  # a copy: later edits by the caller do not leak in
            if mask.dtype.kind not in "biuf" or not np.all((mask == 0) | (mask == 1)):
                raise ValueError(f"{self.name}: mask must hold only 0 and 1 (the keep pattern)")
        self.fixed_mask = mask

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Training: x * mask * (1 / (1 - rate)); inference: x unchanged."""
        check_float_array(self.name, "input", inputs)
        if not training:
            self.mask = None
            return inputs
        if self.fixed_mask is not None:
            check_shape(self.name, "mask", self.fixed_mask, inputs.shape)
            mask = self.fixed_mask
        elif self.rng is not None:
            mask = self.rng.binomial(1, 1.0 - self.rate, size=inputs.shape)
        else:
            raise ValueError(f"{self.name}: training forward needs set_mask(mask) or an rng at construction")
        self.mask = mask.astype(inputs.dtype)
        return self._apply(inputs)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = dy * mask / (1 - rate) in training (the same mask as forward); dy at inference."""
        if self.mask is None:
            return grad_output
        check_shape(self.name, "grad_output", grad_output, self.mask.shape)
        return self._apply(grad_output)

    def _apply(self, values: np.ndarray) -> np.ndarray:
        # NOTE: the Python float 1/(1-rate) is rounded to the array dtype first (as keras/tf.nn.dropout
        # does); torch computes 1/(1-rate) in the dtype, which can differ by 1 ulp in float32.
        return values * self.mask * values.dtype.type(1.0 / (1.0 - self.rate))

    def __repr__(self) -> str:
        return f"Dropout({self.rate})"


def _dropout(spec: dict, dtype: str) -> Dropout:
    """{'type': 'dropout', 'rate': p}; the mask is shared via set_mask, or drawn from 'seed'."""
    return Dropout(spec["rate"], rng=np.random.default_rng(spec["seed"]) if "seed" in spec else None)


RECORDS = (LayerType("dropout", _dropout, required=("rate",), options=("seed",), takes_training=True),)
