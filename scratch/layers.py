"""Trainable layers. Convention: z = x @ W + b, W of shape (in, out), b of shape (out,)."""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_shape


class Layer:
    """Base layer: forward caches what backward needs; backward returns dL/dinput."""

    kind = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Compute the layer output for a batch."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Given dL/doutput, fill self.grads and return dL/dinput."""
        raise NotImplementedError

    def regularization_loss(self) -> float:
        """Penalty this layer adds to the loss (0 for layers without regularizers)."""
        return 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dense(Layer):
    """Fully connected layer z = x @ W + b (torch.nn.Linear with weight = W.T; keras Dense)."""

    kind = "dense"

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        weight: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        dtype: type = np.float64,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.n_inputs, self.n_outputs = int(n_inputs), int(n_outputs)
        if weight is None:
            rng = rng if rng is not None else np.random.default_rng(0)
            weight = 0.01 * rng.standard_normal((n_inputs, n_outputs))  # nnfs default
        if bias is None:
            bias = np.zeros(n_outputs)
        self.params["weight"] = np.asarray(weight, dtype=dtype).copy()  # (in, out)
        self.params["bias"] = np.asarray(bias, dtype=dtype).copy()  # (out,)
        check_shape(self.name, "weight", self.params["weight"], (n_inputs, n_outputs))
        check_shape(self.name, "bias", self.params["bias"], (n_outputs,))

    @property
    def name(self) -> str:
        return f"Dense({self.n_inputs}->{self.n_outputs})"

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """z = x @ W + b."""
        check_float_array(self.name, "input", inputs)
        check_shape(self.name, "input", inputs, (None, self.n_inputs))
        self.inputs = inputs  # (N, in)
        return inputs @ self.params["weight"] + self.params["bias"]  # (N, out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dW = x.T @ dz, db = sum_n dz, dx = dz @ W.T."""
        check_shape(self.name, "grad_output", grad_output, (self.inputs.shape[0], self.n_outputs))
        self.grads["weight"] = self.inputs.T @ grad_output
        self.grads["bias"] = grad_output.sum(axis=0)
        return grad_output @ self.params["weight"].T

    def __repr__(self) -> str:
        return f"Dense({self.n_inputs}, {self.n_outputs})"
