"""The Layer base class, and the records (LayerType, Tensor) that describe a layer type to the harness.

A record says everything the rest of the project needs to know about a layer type, so nothing else
branches on its name: how to build it, which spec keys it needs and takes, which spec keys it reads
off its input's shape, its trainable parameters and buffers (non-trainable state such as running
statistics: updated by the layer, never by an optimizer, saved and loaded with the model) with their
shapes, whether its forward takes `training`, which parameters take L1/L2 penalties, its output shape
for an input shape, and whether its output still has a channel axis. Shapes are per sample (the batch
axis left out) and N-D; an image is channel-first, (channels, *spatial), as torch keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Shape = tuple[int, ...]


class Layer:
    """Base layer: forward caches what backward needs; backward returns dL/dinput.

    params: trainable arrays (an optimizer updates them from grads); buffers: non-trainable state
    the layer updates itself (running statistics), saved and loaded with the model.
    """

    kind = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Compute the layer output for a batch."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Given dL/doutput, fill self.grads and return dL/dinput."""
        raise NotImplementedError

    def param_backward(self, grad_output: np.ndarray) -> None:
        """Fill self.grads only; for a model's lowest trainable layer, whose dL/dinput nobody uses."""
        self.backward(grad_output)

    def regularization_loss(self) -> float:
        """Penalty this layer adds to the loss (0 for layers without regularizers)."""
        return 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclass(frozen=True)
class Tensor:
    """A parameter or buffer of a layer type: its name, its shape for a resolved spec, how it is drawn.

    `draw` names the harness's rule for random test values: 'weight' (N(0, 1/fan_in), fan_in the
    product of all but the last axis), 'bias' (|b| ~ U(0.05, 0.5), random sign), 'slope'
    (U(0.05, 0.5)), 'scale' (U(0.5, 1.5): normalization gains) or 'variance' (U(0.5, 2): running
    variances). `regularized`: the spec's '<name>_l1' / '<name>_l2' keys penalize it. `when`: the spec
    option without which the layer holds no such tensor at all (a convolution's bias: 'use_bias', on
    unless the spec sets it False); None: always held.
    """

    name: str
    shape: Callable[[dict], Shape]
    draw: str
    regularized: bool = False
    when: str | None = None

    def held_by(self, spec: dict) -> bool:
        """Whether the layer of this resolved spec holds the tensor: spec[when], True when absent."""
        return self.when is None or bool(spec.get(self.when, True))


def same_shape(spec: dict, shape: Shape) -> Shape:
    """The output shape of a layer that keeps its input's shape."""
    return tuple(shape)


def features_last(shape: Shape) -> dict:
    """{'n_inputs': the last axis}: what a Dense-like layer reads off its per-sample input shape."""
    return {"n_inputs": shape[-1]}


def channels_first(shape: Shape) -> dict:
    """{'in_channels': the first axis}: what an image layer reads off its (channels, *spatial) input."""
    return {"in_channels": shape[0]}


@dataclass(frozen=True)
class LayerType:
    """One layer type: how to build it and what it holds; see the module docstring.

    `input_keys` gives the spec keys read off the per-sample input shape; `ends_image` is True for a
    layer whose output has no channel and spatial axes left (flatten, global pooling), where a
    framework's channel-last layout ends.
    """

    name: str
    build: Callable[[dict, str], Layer]
    required: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    params: tuple[Tensor, ...] = ()
    buffers: tuple[Tensor, ...] = ()
    takes_training: bool = False
    output_shape: Callable[[dict, Shape], Shape] = same_shape
    input_keys: Callable[[Shape], dict] = features_last
    ends_image: bool = False
    is_activation: bool = False
    notes: str = field(default="", compare=False)

    def params_of(self, spec: dict) -> tuple[Tensor, ...]:
        """The parameters the layer of this resolved spec holds (see Tensor.when)."""
        return tuple(t for t in self.params if t.held_by(spec))

    def buffers_of(self, spec: dict) -> tuple[Tensor, ...]:
        """The buffers the layer of this resolved spec holds."""
        return tuple(t for t in self.buffers if t.held_by(spec))

    def regularizer_keys(self) -> tuple[str, ...]:
        """Spec keys that set a penalty: '<param>_l1', '<param>_l2' of every regularized parameter."""
        return tuple(f"{p.name}_{norm}" for p in self.params if p.regularized for norm in ("l1", "l2"))
