"""Sequential model: layers, a loss and an optimizer; forward, backward, training loop, save and load."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from scratch.activations import Softmax
from scratch.layers import Layer
from scratch.losses import CategoricalCrossEntropy, Loss, softmax_crossentropy_gradient
from scratch.metrics import (
    accuracy,
    binary_threshold,
    check_accuracy_kind,
    default_accuracy,
    regression_precision,
)
from scratch.serialization import check_params, load_params, save_params
from scratch.training import (
    batch_indices,
    check_inputs,
    check_positive_int,
    check_targets,
    new_history,
    sample_weighted_mean,
)


class Sequential:
    """Chain of layers; records every layer's output and the gradient each layer's backward returns.

    loss: a scratch Loss; optimizer: anything with step(params, grads) updating params in place;
    accuracy: 'categorical', 'binary', 'regression' or None (default: implied by the loss);
    precision: the regression-accuracy threshold (default std(y_train)/250, as nnfs).
    """

    def __init__(
        self,
        layers: list[Layer],
        loss: Loss | None = None,
        optimizer=None,
        accuracy: str | None = None,
        precision: float | None = None,
        name: str = "Sequential",
    ) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.optimizer = optimizer
        self.accuracy = check_accuracy_kind(name, accuracy)
        self.precision = precision
        self.name = name
        self.activations: list[np.ndarray] = []
        self.layer_input_grads: list[np.ndarray] = []
        self.precision_: float | None = None  # regression threshold fitted by the latest fit()

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

    @property
    def accuracy_kind(self) -> str | None:
        """accuracy= if given, else CCE -> categorical, BCE -> binary, MSE/MAE -> regression, other None."""
        return self.accuracy if self.accuracy is not None else default_accuracy(self.loss)

    @property
    def dtype(self) -> np.dtype | None:
        """dtype of the parameters (None for a model without parameters); inputs must match it."""
        dtypes = (value.dtype for layer in self.layers for value in layer.params.values())
        return next(dtypes, None)  # the first parameter's, without building every '<i>.<name>' key

    # ----- forward and backward (used as is by the comparison harness) -----

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Run every layer in order, keeping each output in self.activations."""
        self.activations = []
        out = inputs
        for layer in self.layers:
            out = layer.forward(out, training=training)
            self.activations.append(out)
        return out

    def loss_value(self, labels: np.ndarray) -> np.ndarray:
        """Data loss of the last forward output against labels (no regularization term)."""
        self._require("loss")
        return self.loss.value(self.activations[-1], labels)

    def regularization_loss(self) -> float:
        """Sum over layers of layer.regularization_loss() (nnfs: lambda sum W^2 + lambda sum |W| ...)."""
        return float(sum(layer.regularization_loss() for layer in self.layers))

    def backward_from_loss(self, labels: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backward from the loss; Softmax + CCE uses the fused gradient (p - onehot)/N.

        input_grad=False (what train_step uses) ends at the lowest layer with parameters and fills
        only its parameter gradients, as autograd does for an input without requires_grad: the
        update needs no dL/dinput. It returns None then, and layer_input_grads holds None from
        that layer down.
        """
        self._require("loss")
        if self.fused_softmax_loss:
            grad = softmax_crossentropy_gradient(self.activations[-1], labels, self.loss.reduction)
            return self._backward_layers(grad, len(self.layers) - 1, first_grad=grad, input_grad=input_grad)
        return self._backward_layers(self.loss.gradient(self.activations[-1], labels), len(self.layers),
                                     input_grad=input_grad)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Backward from dL/doutput through every layer; returns dL/dinput."""
        return self._backward_layers(grad_output, start=len(self.layers))

    def _backward_layers(self, grad: np.ndarray, start: int, first_grad: np.ndarray | None = None,
                         input_grad: bool = True) -> np.ndarray | None:
        input_grads = [None] * len(self.layers)
        if first_grad is not None:
            input_grads[start] = first_grad
        end = 0 if input_grad else self._lowest_trainable_layer()
        for i in reversed(range(end, start)):
            if i == end and not input_grad:
                self.layers[i].param_backward(grad)  # nothing below it has parameters to update
                grad = None
            else:
                grad = self.layers[i].backward(grad)
            input_grads[i] = grad
        self.layer_input_grads = input_grads
        return grad if input_grad else None

    def _lowest_trainable_layer(self) -> int:
        """Index of the first layer with parameters (len(layers) when none has any)."""
        return next((i for i, layer in enumerate(self.layers) if layer.params), len(self.layers))

    # ----- training, prediction, evaluation -----

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """forward(training) -> loss (before the update) -> backward -> optimizer.step(params, grads).

        Returns loss (data), regularization, total = loss + regularization and, when the model has
        an accuracy, accuracy, all of the pre-update model (like one torch loop iteration).
        """
        self._check_batch(x, y)
        self._require("loss", "optimizer")
        return self._train_batch(x, y, self._precision(y))

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        epochs: int,
        batch_size: int | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        shuffle_rng: np.random.Generator | None = None,
    ) -> dict[str, list[float]]:
        """`epochs` passes of ceil(N / batch_size) train_steps (nnfs Model.train; keras fit(shuffle=False)).

        batch_size=None is one full batch; the partial last batch is kept; rows are taken in order
        unless shuffle_rng (a np.random.Generator) is given. History: step_loss, step_regularization,
        step_total, step_accuracy per step; loss, accuracy (sample-weighted epoch means of the step
        values), regularization (after the epoch's last update, nnfs), total, val_loss and
        val_accuracy (data loss in inference mode) per epoch.
        """
        self._check_batch(x, y)
        self._require("loss", "optimizer")
        check_positive_int(self.name, "epochs", epochs)
        check_positive_int(self.name, "batch_size", batch_size, allow_none=True)
        if validation_data is not None:
            self._check_batch(*validation_data, what="validation_data")
        kind = self.accuracy_kind
        if kind == "regression" and self.precision is None:
            self.precision_ = regression_precision(y)
        history = new_history(kind is not None, validation_data is not None)
        precision = self._precision(y)
        for _ in range(epochs):
            batches = batch_indices(self.name, len(x), batch_size, shuffle_rng)
            steps = [self._train_batch(x[rows], y[rows], precision) for rows in batches]
            for step in steps:
                for key, value in step.items():
                    history[f"step_{key}"].append(value)
            self._summarize_epoch(history, steps, [len(rows) for rows in batches], validation_data)
        return history

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Forward pass in inference mode (dropout off): like keras Model.predict, torch model.eval()."""
        self._check_batch(x)
        return self.forward(x, training=False)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Data loss and accuracy of predict(x) against y (nnfs Model.evaluate; no regularization term)."""
        self._check_batch(x, y)
        self._require("loss")
        pred = self.forward(x, training=False)
        result = {"loss": float(self.loss.value(pred, y))}
        if self.accuracy_kind is not None:
            result["accuracy"] = self._accuracy(pred, y, self._precision(y))
        return result

    def _train_batch(self, x: np.ndarray, y: np.ndarray, precision: float | None) -> dict[str, float]:
        pred = self.forward(x, training=True)
        data_loss = float(self.loss.value(pred, y))
        regularization = self.regularization_loss()
        result = {"loss": data_loss, "regularization": regularization, "total": data_loss + regularization}
        if self.accuracy_kind is not None:
            result["accuracy"] = self._accuracy(pred, y, precision)
        self.backward_from_loss(y, input_grad=False)
        self.optimizer.step(self._live_params(), self.get_grads())
        return result

    def _summarize_epoch(self, history: dict, steps: list[dict], counts: list[int], validation_data) -> None:
        history["loss"].append(sample_weighted_mean([s["loss"] for s in steps], counts))
        history["regularization"].append(self.regularization_loss())
        history["total"].append(history["loss"][-1] + history["regularization"][-1])
        if "accuracy" in history:
            history["accuracy"].append(sample_weighted_mean([s["accuracy"] for s in steps], counts))
        if validation_data is not None:
            for key, value in self.evaluate(*validation_data).items():
                history[f"val_{key}"].append(value)

    def _accuracy(self, pred: np.ndarray, y: np.ndarray, precision: float | None) -> float:
        return accuracy(self.accuracy_kind, pred, y, precision, binary_threshold(self.loss))

    def _precision(self, y: np.ndarray) -> float | None:
        """Regression threshold: precision= if given, else the one fitted by fit, else std(y)/250."""
        if self.accuracy_kind != "regression":
            return None
        for value in (self.precision, self.precision_):
            if value is not None:
                return value
        return regression_precision(y)

    def _check_batch(self, x: np.ndarray, y: np.ndarray | None = None, what: str = "") -> None:
        component = f"{self.name} ({what})" if what else self.name
        first = next((layer for layer in self.layers if layer.params), None)  # a Dense fixes x's width
        if getattr(first, "takes_ids", False):  # integer ids for an embedding, which checks them
            first.check_ids(x)
        else:
            check_inputs(component, x, self.dtype, getattr(first, "n_inputs", None))
        if y is not None:
            check_targets(component, x, y, self.dtype)

    def _require(self, *attributes: str) -> None:
        for attribute in attributes:
            if getattr(self, attribute) is None:
                raise ValueError(f"{self.name}: no {attribute} was given; pass {attribute}= to Sequential()")

    # ----- parameters, save and load -----

    def _live_params(self) -> dict[str, np.ndarray]:
        """The layers' own parameter arrays (not copies), keyed like get_params: what optimizers update."""
        return {
            f"{i}.{name}": value
            for i, layer in enumerate(self.layers)
            for name, value in layer.params.items()
        }

    def _live_buffers(self) -> dict[str, np.ndarray]:
        """The layers' own buffers (non-trainable state such as running statistics), keyed like params."""
        return {f"{i}.{name}": value for i, layer in enumerate(self.layers)
                for name, value in layer.buffers.items()}

    def get_buffers(self) -> dict[str, np.ndarray]:
        """Copies of every buffer, keyed '<layer index>.<name>'."""
        return {key: value.copy() for key, value in self._live_buffers().items()}

    def get_params(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed '<layer index>.<name>' (e.g. '0.weight')."""
        return {key: value.copy() for key, value in self._live_params().items()}

    def get_grads(self) -> dict[str, np.ndarray]:
        """Every parameter gradient of the last backward, keyed like get_params."""
        return {
            f"{i}.{name}": value
            for i, layer in enumerate(self.layers)
            for name, value in layer.grads.items()
        }

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy params into the layers (like torch load_state_dict(strict=True)); all keys checked first.

        Refuses missing or unknown keys, other shapes and other dtypes, naming each key with the
        expected and actual value; on refusal nothing is changed.
        """
        self._assign(params, self._live_params(), self.name)

    def set_buffers(self, buffers: dict[str, np.ndarray]) -> None:
        """Copy buffers into the layers, checked like set_params."""
        self._assign(buffers, self._live_buffers(), f"{self.name} buffers")

    def save(self, path: str | os.PathLike) -> Path:
        """Write every parameter and buffer to `path` with np.savez (keys '0.weight', ...); returns path."""
        return save_params(path, {**self._live_params(), **self._live_buffers()})

    def load(self, path: str | os.PathLike) -> None:
        """Read what save() wrote (np.load, allow_pickle=False); a mismatch changes nothing."""
        live = {**self._live_params(), **self._live_buffers()}
        self._assign(load_params(self.name, path), live, f"{self.name} (loading {str(path)!r})")

    def _assign(self, given: dict[str, np.ndarray], live: dict[str, np.ndarray], component: str) -> None:
        check_params(component, live, given)
        for key, value in given.items():
            live[key][...] = value
