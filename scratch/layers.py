"""Trainable layers. Convention: z = x @ W + b, W of shape (in, out), b of shape (out,)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratch.errors import check_finite, check_float_array, check_generator, check_number, check_shape
from scratch.initializers import get_initializer


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


class Dense(Layer):
    """z = x @ W + b, loss += l1*sum|W| + l2*sum W^2, same for b (torch.nn.Linear with W.T; keras Dense).

    Regularisation follows nnfs: backward adds l1*s + 2*l2*W to dW (and the same for db) with
    s = sign(W), and s = l1_zero_subgradient where W == 0: 1.0 for nnfs, 0.0 for torch / Keras
    (keras.regularizers.L1L2(l1, l2); torch has no L1 option and weight_decay = 2*l2).
    """

    kind = "dense"

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        weight: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        dtype: type = np.float64,
        rng: np.random.Generator | None = None,
        weight_init: str | dict | Callable[..., np.ndarray] | None = None,
        weight_l1: float = 0.0,
        weight_l2: float = 0.0,
        bias_l1: float = 0.0,
        bias_l2: float = 0.0,
        l1_zero_subgradient: float = 1.0,
    ) -> None:
        super().__init__()
        self.n_inputs, self.n_outputs = int(n_inputs), int(n_outputs)
        shape = (self.n_inputs, self.n_outputs)
        if weight is not None and weight_init is not None:
            raise ValueError(f"{self.name}: give either weight or weight_init, not both")
        if weight_init is not None:
            if rng is None:
                raise ValueError(f"{self.name}: weight_init={weight_init!r} needs an explicit rng")
            weight = get_initializer(weight_init)(shape, rng, dtype=dtype)
        elif weight is None:
            rng = rng if rng is not None else np.random.default_rng(0)
            weight = 0.01 * rng.standard_normal(shape)  # nnfs default
        if bias is None:
            bias = np.zeros(n_outputs)
        self.params["weight"] = np.asarray(weight, dtype=dtype).copy()  # (in, out)
        self.params["bias"] = np.asarray(bias, dtype=dtype).copy()  # (out,)
        check_shape(self.name, "weight", self.params["weight"], shape)
        check_shape(self.name, "bias", self.params["bias"], (n_outputs,))
        for key, value in self.params.items():
            check_finite(self.name, key, value)
        self.l1 = {"weight": check_number(self.name, "weight_l1", weight_l1, low=0.0),
                   "bias": check_number(self.name, "bias_l1", bias_l1, low=0.0)}
        self.l2 = {"weight": check_number(self.name, "weight_l2", weight_l2, low=0.0),
                   "bias": check_number(self.name, "bias_l2", bias_l2, low=0.0)}
        self.l1_zero_subgradient = check_number(self.name, "l1_zero_subgradient", l1_zero_subgradient,
                                                low=-1.0, high=1.0)

    @property
    def name(self) -> str:
        """'Dense(in->out)', used in error messages."""
        return f"Dense({self.n_inputs}->{self.n_outputs})"

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """z = x @ W + b."""
        check_float_array(self.name, "input", inputs)
        check_shape(self.name, "input", inputs, (None, self.n_inputs))
        self.inputs = inputs  # (N, in)
        output = inputs @ self.params["weight"]  # (N, out)
        output += self.params["bias"]  # in place: no second (N, out) array
        return output

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dW = x.T @ dz + dR/dW, db = sum_n dz + dR/db, dx = dz @ W.T."""
        self.param_backward(grad_output)
        return grad_output @ self.params["weight"].T

    def param_backward(self, grad_output: np.ndarray) -> None:
        """dW = x.T @ dz + dR/dW, db = sum_n dz + dR/db; no dx (torch: an input without requires_grad)."""
        check_shape(self.name, "grad_output", grad_output, (self.inputs.shape[0], self.n_outputs))
        self.grads["weight"] = self._add_regularization("weight", self.inputs.T @ grad_output)
        self.grads["bias"] = self._add_regularization("bias", grad_output.sum(axis=0))

    def _add_regularization(self, key: str, data_grad: np.ndarray) -> np.ndarray:
        """data_grad + dR/dkey; data_grad itself (no copy) when the key has no regularizer."""
        if not (self.l1[key] or self.l2[key]):
            return data_grad
        return data_grad + self.regularization_gradient(key)

    def regularization_loss(self) -> float:
        """l1_W*sum|W| + l2_W*sum W^2 + l1_b*sum|b| + l2_b*sum b^2 (nnfs; keras L1L2 on kernel and bias)."""
        total = 0.0
        for key, value in self.params.items():
            if self.l1[key]:
                total += self.l1[key] * float(np.abs(value).sum())
            if self.l2[key]:
                total += self.l2[key] * float((value * value).sum())
        return total

    def regularization_gradient(self, key: str) -> np.ndarray | float:
        """l1*s + 2*l2*theta, s = sign(theta) or l1_zero_subgradient at theta == 0 (0.0 if unregularised)."""
        value = self.params[key]
        grad: np.ndarray | float = 0.0  # adding a Python 0.0 keeps the dtype of the data gradient
        if self.l1[key]:
            sign = np.sign(value)
            sign[value == 0] = self.l1_zero_subgradient  # NOTE: nnfs 1.0; torch/Keras sign(0) = 0
            grad = grad + sign * value.dtype.type(self.l1[key])
        if self.l2[key]:
            grad = grad + value.dtype.type(2 * self.l2[key]) * value
        return grad

    def __repr__(self) -> str:
        return f"Dense({self.n_inputs}, {self.n_outputs})"


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
