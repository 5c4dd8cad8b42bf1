"""Sequential model: a list of layers, optionally a loss, forward and backward through all of them."""

from __future__ import annotations

import numpy as np

from scratch.activations import Softmax
from scratch.layers import Layer
from scratch.losses import CategoricalCrossEntropy, Loss, softmax_crossentropy_gradient


class Sequential:
    """Chain of layers; records every layer's output and the gradient each layer's backward returns."""

    def __init__(self, layers: list[Layer], loss: Loss | None = None) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.activations: list[np.ndarray] = []
        self.layer_input_grads: list[np.ndarray] = []

    @property
    def layer_names(self) -> list[str]:
        """Names like '0.dense', '1.relu': position and kind."""
        return [f"{i}.{layer.kind}" for i, layer in enumerate(self.layers)]

    @property
    def fused_softmax_loss(self) -> bool:
        """True when the last layer is Softmax and the loss is CCE on probabilities (nnfs combined)."""
        return (
            bool(self.layers)
            and isinstance(self.layers[-1], Softmax)
            and isinstance(self.loss, CategoricalCrossEntropy)
            and not self.loss.from_logits
        )

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Run every layer in order, keeping each output in self.activations."""
        self.activations = []
        out = inputs
        for layer in self.layers:
            out = layer.forward(out, training=training)
            self.activations.append(out)
        return out

    def loss_value(self, labels: np.ndarray) -> np.ndarray:
        """Loss of the last forward output against labels."""
        if self.loss is None:
            raise ValueError("Sequential: no loss was given to this model")
        return self.loss.value(self.activations[-1], labels)

    def backward_from_loss(self, labels: np.ndarray) -> np.ndarray:
        """Backward from the loss; Softmax + CCE uses the fused gradient (p - onehot)/N."""
        if self.fused_softmax_loss:
            grad = softmax_crossentropy_gradient(self.activations[-1], labels)
            return self._backward_layers(grad, start=len(self.layers) - 1, first_grad=grad)
        return self.backward(self.loss.gradient(self.activations[-1], labels))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Backward from dL/doutput through every layer; returns dL/dinput."""
        return self._backward_layers(grad_output, start=len(self.layers))

    def _backward_layers(
        self, grad: np.ndarray, start: int, first_grad: np.ndarray | None = None
    ) -> np.ndarray:
        input_grads = [None] * len(self.layers)
        if first_grad is not None:
            input_grads[start] = first_grad
        for i in reversed(range(start)):
            grad = self.layers[i].backward(grad)
            input_grads[i] = grad
        self.layer_input_grads = input_grads
        return grad

    def get_params(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed '<layer index>.<name>' (e.g. '0.weight')."""
        return {
            f"{i}.{name}": value.copy()
            for i, layer in enumerate(self.layers)
            for name, value in layer.params.items()
        }

    def get_grads(self) -> dict[str, np.ndarray]:
        """Every parameter gradient of the last backward, keyed like get_params."""
        return {
            f"{i}.{name}": value
            for i, layer in enumerate(self.layers)
            for name, value in layer.grads.items()
        }
