"""Dense: z = x @ W + b with W of shape (in, out) and b of shape (out,), with nnfs-style L1/L2 penalties."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratch.errors import check_finite, check_float_array, check_number, check_shape
from scratch.initializers import get_initializer
from scratch.layers.base import Layer, LayerType, Tensor


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
        float32_factors: bool = False,
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
        if float32_factors:  # keras.regularizers.L1L2 tf.casts its Python-float factors: float32 first
            self.l1 = {key: float(np.float32(value)) for key, value in self.l1.items()}
            self.l2 = {key: float(np.float32(value)) for key, value in self.l2.items()}
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


DENSE_OPTIONS = ("weight_l1", "weight_l2", "bias_l1", "bias_l2", "l1_zero_subgradient", "float32_factors")


def _dense(spec: dict, dtype: str) -> Dense:
    """Dense(n_inputs, units) with its penalty options; weight_init needs a 'seed'."""
    options = {k: spec[k] for k in DENSE_OPTIONS if k in spec}
    if "weight_init" in spec:
        options.update(weight_init=spec["weight_init"], rng=np.random.default_rng(spec["seed"]))
    return Dense(spec["n_inputs"], spec["units"], dtype=dtype, **options)


RECORDS = (LayerType(
    "dense", _dense, required=("n_inputs", "units"), options=(*DENSE_OPTIONS, "weight_init", "seed"),
    params=(Tensor("weight", lambda s: (s["n_inputs"], s["units"]), "weight", regularized=True),
            Tensor("bias", lambda s: (s["units"],), "bias", regularized=True)),
    output_shape=lambda spec, shape: (*shape[:-1], spec["units"]),
    notes="z = x @ W + b, W (in, out)"),)
