"""An adapter for your own NumPy network: `nn-parity new-adapter my_adapter.py` copies this file.

It already works, around the tiny example network below (Dense, ReLU, Softmax, categorical
cross-entropy). To check YOUR network: replace the example classes with yours (or import them),
keep `build`, `read_params` and `run_pass` returning the same names, and list in PROFILE what your
code supports; cases that need anything else are skipped with the reason. Then:

    nn-parity list --impl my_adapter.py                 # what would run, what is skipped and why
    nn-parity run --impl my_adapter.py -k mlp_spiral    # compare with PyTorch and TensorFlow

The protocol is documented in docs/own-implementation.md. In short: parameters cross as
{'<layer index>.weight': W (in, out), '<layer index>.bias': b (out,)} NumPy arrays in the case dtype;
run_pass returns, for one forward and backward, every layer's output ('activation'), the gradient each
layer's backward returns ('grad_activation': dL/d of that layer's input; under 'loss' what the loss's
backward returns, dL/d of what it reads), the loss, every parameter
gradient and the input gradient. Keep every array in the dtype it was given.
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters.protocol import PlotStyle, Profile

PROFILE = Profile(
    name="my_network", label="my own NumPy network", reference=False,
    kinds=frozenset({"pass"}),  # add "optimizer" / "training" when you add run_optimizer / make_trainer
    style=PlotStyle(color="C4", linestyle="-"),
    layers=frozenset({"dense", "relu", "softmax"}),
    losses=frozenset({"categorical_crossentropy"}),
    optimizers=frozenset(),
    options=frozenset({"units"}),  # spec keys it understands besides 'type' (no L1/L2 penalties here)
)


# ---- the example network: replace these classes with yours ----------------------------------------

class Dense:
    """z = x @ W + b, W (in, out)."""

    def __init__(self, n_inputs: int, n_outputs: int, dtype) -> None:
        self.weights = np.zeros((n_inputs, n_outputs), dtype=dtype)
        self.biases = np.zeros(n_outputs, dtype=dtype)

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        self.inputs = inputs
        return inputs @ self.weights + self.biases

    def backward(self, grad: np.ndarray) -> np.ndarray:
        self.dweights, self.dbiases = self.inputs.T @ grad, grad.sum(axis=0)
        return grad @ self.weights.T


class ReLU:
    """max(x, 0); gradient 0 at 0."""

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        self.inputs = inputs
        return np.maximum(inputs, 0)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (self.inputs > 0)


class Softmax:
    """exp(x - max) / sum exp(x - max) over axis 1; backward is the vector-Jacobian product."""

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        exp = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = exp / exp.sum(axis=1, keepdims=True)
        return self.output

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self.output * (grad - (grad * self.output).sum(axis=1, keepdims=True))


def crossentropy_from_logits(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean -log softmax(z)[y], its gradient (softmax(z) - onehot) / N): softmax and loss fused."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    labels = labels if labels.ndim == 1 else labels.argmax(axis=1)
    rows = np.arange(len(labels))
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    return -log_probs[rows, labels].mean(), grad / len(labels)


# ---- the adapter: what nn-parity calls ----------------------------------------------------------

def unavailable_reason() -> str | None:
    """None: this network needs only NumPy."""
    return None


def version() -> str:
    """A name and version for the reports' implementation column."""
    return "example network 1.0"


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> list:
    """The layers of the spec, with the harness's parameters copied in."""
    makers = {"dense": lambda s: Dense(s["n_inputs"], s["units"], dtype), "relu": lambda s: ReLU(),
              "softmax": lambda s: Softmax()}
    layers = [makers[layer["type"]](layer) for layer in spec["layers"]]
    for key, value in params.items():
        index, name = key.split(".")
        getattr(layers[int(index)], {"weight": "weights", "bias": "biases"}[name])[...] = value
    return layers


def read_params(model: list) -> dict[str, np.ndarray]:
    """Every parameter, copied, keyed '<index>.weight' / '<index>.bias'."""
    return {f"{i}.{name}": getattr(layer, attr).copy() for i, layer in enumerate(model)
            if isinstance(layer, Dense) for name, attr in (("weight", "weights"), ("bias", "biases"))}


def run_pass(model: list, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward through every layer, the loss, then backward from the loss (or the batch's upstream)."""
    names = [f"{i}.{layer['type']}" for i, layer in enumerate(spec["layers"])]
    outputs, x = [], batch.x
    for layer in model:
        x = layer.forward(x)
        outputs.append(x)
    results = {"activation": dict(zip(names, outputs, strict=True)), "output": {"output": outputs[-1]},
               "loss": {}}
    fused = spec["loss"] == "categorical_crossentropy" and isinstance(model[-1], Softmax)
    if fused:  # the loss reads the logits, as torch's cross_entropy and Keras's from_logits do
        loss, grad = crossentropy_from_logits(outputs[-2] if len(outputs) > 1 else batch.x, batch.targets)
        results["loss"]["loss"] = np.asarray(loss, dtype=batch.x.dtype)
        grads, start = {names[-1]: grad, "loss": grad}, len(model) - 2  # 'loss': dL/d(what it reads)
    else:
        grads, start, grad = {}, len(model) - 1, batch.upstream
    for i in range(start, -1, -1):
        grad = model[i].backward(grad)
        grads[names[i]] = grad
    results["grad_activation"] = {name: grads[name] for name in [*names, "loss"] if name in grads}
    results["grad_param"] = {f"{i}.{name}": getattr(layer, attr) for i, layer in enumerate(model)
                             if isinstance(layer, Dense) for name, attr in (("weight", "dweights"),
                                                                           ("bias", "dbiases"))}
    results["grad_input"] = {"input": grad}
    return results
