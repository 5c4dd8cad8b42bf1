"""Normalization: BatchNorm1D / BatchNorm2D (batch statistics, running buffers), LayerNorm, RMSNorm.

Every layer here normalizes in its input's dtype; gamma/beta are parameters, BatchNorm's running
mean and variance are buffers (updated by the training forward, saved with the model, never given
to an optimizer). The conventions in which torch and Keras differ are options (docs/conventions.md
§19): the momentum's meaning, the running variance's estimator, epsilon.
"""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_number, check_shape
from scratch.layers.base import Layer, LayerType, Tensor

# momentum_convention -> its default momentum: torch's 0.1 weighs the batch, Keras's 0.99 the old value
MOMENTUM_CONVENTIONS = {"torch": 0.1, "keras": 0.99}
RUNNING_VARIANCES = ("unbiased", "biased")  # what running_var stores: torch n/(n-1) var, Keras var


def _choice(component: str, name: str, value: object, choices) -> str:
    """Require one of the choices; return it."""
    if value not in choices:
        raise ValueError(f"{component}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _positive_int(component: str, name: str, value: object) -> int:
    """Require an integer >= 1 (bools rejected); return it as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{component}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


def _whitened_gradient(dxhat: np.ndarray, xhat: np.ndarray, rstd: np.ndarray, axes: tuple,
                       centered: bool = True) -> np.ndarray:
    """dx of xhat = (x - mean) * rstd over `axes`: rstd (dxhat - mean dxhat - xhat mean(dxhat xhat));
    centered=False (RMSNorm, no mean subtracted): rstd (dxhat - xhat mean(dxhat xhat))."""
    inner = dxhat - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)
    if centered:
        inner -= dxhat.mean(axis=axes, keepdims=True)
    return inner * rstd


class BatchNorm(Layer):
    """Batch normalization over every axis but the channel axis 1; BatchNorm1D and BatchNorm2D fix the rank.

    Training: y = (x - mean_B) / sqrt(var_B + eps) * gamma + beta with the batch's mean and BIASED
    variance (every framework normalizes with it), then running <- blend(running, batch statistic).
    Inference: the running mean and variance instead. momentum_convention="torch": running = (1 - m)
    running + m batch (default m 0.1); "keras": running = m running + (1 - m) batch (default m 0.99).
    running_variance="unbiased" stores var_B n/(n-1) (torch, the Ioffe-Szegedy paper) in running_var,
    "biased" var_B (Keras). affine=False: no gamma, beta (torch affine, Keras center and scale).
    """

    rank, layout = 0, ""  # the subclass's input rank and shape, '{}' for the channels: '(N, {}, H, W)'

    def __init__(self, num_features: int, momentum: float | None = None, eps: float = 1e-5,
                 affine: bool = True, momentum_convention: str = "torch", running_variance: str = "unbiased",
                 dtype: str | type = "float64") -> None:
        super().__init__()
        label = type(self).__name__
        self.num_features = _positive_int(label, "num_features", num_features)
        self.momentum_convention = _choice(label, "momentum_convention", momentum_convention,
                                           tuple(MOMENTUM_CONVENTIONS))
        if momentum is None:
            momentum = MOMENTUM_CONVENTIONS[momentum_convention]
        self.momentum = check_number(label, "momentum", momentum, low=0.0, high=1.0)
        self.eps = check_number(label, "eps", eps, low=0.0, low_open=True)
        self.running_variance = _choice(label, "running_variance", running_variance, RUNNING_VARIANCES)
        self.affine = bool(affine)
        if self.affine:
            self.params["gamma"] = np.ones(num_features, dtype=dtype)
            self.params["beta"] = np.zeros(num_features, dtype=dtype)
        self.buffers["running_mean"] = np.zeros(num_features, dtype=dtype)
        self.buffers["running_var"] = np.ones(num_features, dtype=dtype)
        self.cache: tuple | None = None  # (xhat, rstd, training, reduced axes) of the last forward

    @property
    def name(self) -> str:
        """'BatchNorm1D(4, momentum=0.1 (torch), eps=1e-05)', used in error messages."""
        return (f"{type(self).__name__}({self.num_features}, momentum={self.momentum} "
                f"({self.momentum_convention}), eps={self.eps})")

    def _channel(self, values: np.ndarray, ndim: int, dtype: np.dtype) -> np.ndarray:
        """A (C,) array shaped (1, C, 1, ...) to broadcast against an input of rank ndim, in its dtype."""
        return values.astype(dtype, copy=False).reshape((1, -1) + (1,) * (ndim - 2))

    def statistics(self, x: np.ndarray, axes: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, variance the batch is normalized with, variance running_var is blended with), keepdims."""
        count = x.size // self.num_features
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        squares = (centered * centered).sum(axis=axes, keepdims=True)
        biased = squares / count
        return mean, biased, squares / (count - 1) if self.running_variance == "unbiased" else biased

    def blend(self, running: np.ndarray, batch: np.ndarray) -> np.ndarray:
        """The running statistic after this batch, in the layer's momentum convention."""
        m = self.momentum
        if self.momentum_convention == "torch":
            return (1 - m) * running + m * batch  # torch: momentum weighs the new batch
        return running * m + batch * (1 - m)  # Keras: momentum weighs the old value

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Training: batch statistics, running buffers updated; inference: running statistics."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim != self.rank or inputs.shape[1] != self.num_features:
            raise ValueError(f"{self.name}: input must have shape {self.layout.format(self.num_features)}, "
                             f"got {inputs.shape}")
        axes = (0, *range(2, inputs.ndim))
        if training:
            count = inputs.size // self.num_features
            if count < 2:
                raise ValueError(f"{self.name}: training needs more than 1 value per channel (a batch "
                                 f"variance of one value is 0 and its unbiased estimate undefined), got "
                                 f"input shape {inputs.shape}")
            mean, variance, running_var = self.statistics(inputs, axes)
            self.buffers["running_mean"][...] = self.blend(self.buffers["running_mean"], mean.ravel())
            self.buffers["running_var"][...] = self.blend(self.buffers["running_var"], running_var.ravel())
        else:
            mean = self._channel(self.buffers["running_mean"], inputs.ndim, inputs.dtype)
            variance = self._channel(self.buffers["running_var"], inputs.ndim, inputs.dtype)
        rstd = 1 / np.sqrt(variance + self.eps)
        xhat = (inputs - mean) * rstd
        self.cache = (xhat, rstd, training, axes)
        if not self.affine:
            return xhat
        return xhat * self._channel(self.params["gamma"], inputs.ndim, inputs.dtype) + self._channel(
            self.params["beta"], inputs.ndim, inputs.dtype)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dgamma = sum g xhat, dbeta = sum g; dx = rstd (dxhat - mean dxhat - xhat mean(dxhat xhat))
        in training (the batch statistics depend on x), dx = dxhat rstd at inference; dxhat = g gamma."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        xhat, rstd, training, axes = self.cache
        check_shape(self.name, "grad_output", grad_output, xhat.shape)
        dxhat = grad_output
        if self.affine:
            self.grads["gamma"] = (grad_output * xhat).sum(axis=axes).astype(self.params["gamma"].dtype)
            self.grads["beta"] = grad_output.sum(axis=axes).astype(self.params["beta"].dtype)
            dxhat = grad_output * self._channel(self.params["gamma"], xhat.ndim, xhat.dtype)
        if not training:
            return dxhat * rstd
        return _whitened_gradient(dxhat, xhat, rstd, axes)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.num_features}, momentum={self.momentum}, eps={self.eps}, "
                f"affine={self.affine}, momentum_convention={self.momentum_convention!r}, "
                f"running_variance={self.running_variance!r})")


class BatchNorm1D(BatchNorm):
    """Batch normalization of (N, C) rows, statistics over the batch per feature
    (torch.nn.BatchNorm1d / keras BatchNormalization(axis=-1)); see BatchNorm."""

    kind = "batchnorm1d"
    rank, layout = 2, "(N, {})"


class BatchNorm2D(BatchNorm):
    """Batch normalization of (N, C, H, W) images, statistics over N, H, W per channel
    (torch.nn.BatchNorm2d / keras BatchNormalization(axis=-1) on NHWC); see BatchNorm."""

    kind = "batchnorm2d"
    rank, layout = 4, "(N, {}, H, W)"


class _SampleNorm(Layer):
    """What LayerNorm and RMSNorm share: a per-sample shape, eps, gamma of that shape, the input check."""

    def __init__(self, normalized_shape, eps: float, dtype: str | type) -> None:
        super().__init__()
        label = type(self).__name__
        self.normalized_shape = tuple(_positive_int(label, "normalized_shape", n) for n in normalized_shape)
        if not self.normalized_shape:
            raise ValueError(f"{label}: normalized_shape must have at least one axis, got ()")
        self.eps = check_number(label, "eps", eps, low=0.0, low_open=True)
        self.params["gamma"] = np.ones(self.normalized_shape, dtype=dtype)
        self.cache: tuple | None = None

    @property
    def name(self) -> str:
        """'LayerNorm((4,), eps=1e-05)', used in error messages."""
        return f"{type(self).__name__}({self.normalized_shape}, eps={self.eps})"

    def _checked(self, inputs: np.ndarray) -> tuple[int, ...]:
        """The per-sample axes of a checked input (N, *normalized_shape)."""
        check_float_array(self.name, "input", inputs)
        check_shape(self.name, "input", inputs, (None, *self.normalized_shape))
        return tuple(range(1, inputs.ndim))

    def _gamma_grad(self, grad_output: np.ndarray, xhat: np.ndarray) -> np.ndarray:
        """dgamma = sum_n g xhat; returns dxhat = g gamma."""
        self.grads["gamma"] = (grad_output * xhat).sum(axis=0).astype(self.params["gamma"].dtype)
        return grad_output * self.params["gamma"].astype(xhat.dtype, copy=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.normalized_shape}, eps={self.eps})"


class LayerNorm(_SampleNorm):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta, mean and biased var over every per-sample axis
    (torch.nn.LayerNorm(shape) / keras LayerNormalization(axis=[1, ...])); eps default 1e-5 (torch)."""

    kind = "layernorm"

    def __init__(self, normalized_shape, eps: float = 1e-5, dtype: str | type = "float64") -> None:
        super().__init__(normalized_shape, eps, dtype)
        self.params["beta"] = np.zeros(self.normalized_shape, dtype=dtype)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Each sample normalized over its own values, then scaled and shifted elementwise."""
        axes = self._checked(inputs)
        centered = inputs - inputs.mean(axis=axes, keepdims=True)
        rstd = 1 / np.sqrt((centered * centered).mean(axis=axes, keepdims=True) + self.eps)
        xhat = centered * rstd
        self.cache = (xhat, rstd, axes)
        dtype = inputs.dtype
        gamma, beta = (self.params[k].astype(dtype, copy=False) for k in ("gamma", "beta"))
        return xhat * gamma + beta

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dgamma = sum_n g xhat, dbeta = sum_n g, dx = rstd (dxhat - mean dxhat - xhat mean(dxhat xhat))."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        xhat, rstd, axes = self.cache
        check_shape(self.name, "grad_output", grad_output, xhat.shape)
        self.grads["beta"] = grad_output.sum(axis=0).astype(self.params["beta"].dtype)
        return _whitened_gradient(self._gamma_grad(grad_output, xhat), xhat, rstd, axes)


class RMSNorm(_SampleNorm):
    """y = x / sqrt(mean(x^2) + eps) * gamma over every per-sample axis, no centering, no beta
    (torch.nn.RMSNorm(shape, eps) / keras RMSNormalization(axis=[1, ...], epsilon)); eps default 1e-6."""

    kind = "rmsnorm"

    def __init__(self, normalized_shape, eps: float = 1e-6, dtype: str | type = "float64") -> None:
        super().__init__(normalized_shape, eps, dtype)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Each sample divided by its root mean square, then scaled elementwise."""
        axes = self._checked(inputs)
        rstd = 1 / np.sqrt((inputs * inputs).mean(axis=axes, keepdims=True) + self.eps)
        xhat = inputs * rstd
        self.cache = (xhat, rstd, axes)
        return xhat * self.params["gamma"].astype(inputs.dtype, copy=False)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dgamma = sum_n g xhat, dx = rstd (dxhat - xhat mean(dxhat xhat)), dxhat = g gamma."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        xhat, rstd, axes = self.cache
        check_shape(self.name, "grad_output", grad_output, xhat.shape)
        return _whitened_gradient(self._gamma_grad(grad_output, xhat), xhat, rstd, axes, centered=False)


BATCHNORM_OPTIONS = ("momentum", "eps", "affine", "momentum_convention", "running_variance")


def _batchnorm(cls: type[BatchNorm]):
    def build(spec: dict, dtype: str) -> BatchNorm:
        return cls(spec["num_features"], dtype=dtype, **{k: spec[k] for k in BATCHNORM_OPTIONS if k in spec})

    return build


def _channels(spec: dict) -> tuple[int, ...]:
    return (spec["num_features"],)


def _sample_shape(spec: dict) -> tuple[int, ...]:
    return tuple(spec["normalized_shape"])


def _batchnorm_record(name: str, cls: type[BatchNorm]) -> LayerType:
    return LayerType(
        name, _batchnorm(cls), required=("num_features",), options=BATCHNORM_OPTIONS,
        params=(Tensor("gamma", _channels, "scale", when="affine"),
                Tensor("beta", _channels, "bias", when="affine")),
        buffers=(Tensor("running_mean", _channels, "bias"), Tensor("running_var", _channels, "variance")),
        takes_training=True, input_keys=lambda shape: {"num_features": shape[0]},
        notes="y = (x - mean) / sqrt(var + eps) * gamma + beta per channel; running statistics as buffers")


def _sample_record(name: str, cls: type[_SampleNorm], params: tuple[str, ...], notes: str) -> LayerType:
    def build(spec: dict, dtype: str) -> _SampleNorm:
        return cls(spec["normalized_shape"], dtype=dtype, **({"eps": spec["eps"]} if "eps" in spec else {}))

    draws = {"gamma": "scale", "beta": "bias"}
    return LayerType(name, build, required=("normalized_shape",), options=("eps",),
                     params=tuple(Tensor(p, _sample_shape, draws[p]) for p in params),
                     input_keys=lambda shape: {"normalized_shape": tuple(shape)}, notes=notes)


RECORDS = (
    _batchnorm_record("batchnorm1d", BatchNorm1D), _batchnorm_record("batchnorm2d", BatchNorm2D),
    _sample_record("layernorm", LayerNorm, ("gamma", "beta"),
                   "y = (x - mean) / sqrt(var + eps) * gamma + beta over each sample's values"),
    _sample_record("rmsnorm", RMSNorm, ("gamma",), "y = x / sqrt(mean(x^2) + eps) * gamma over each sample"),
)
