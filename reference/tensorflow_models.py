"""Scratch components expressed with Keras 3 (TensorFlow backend) layers, losses and regularizers."""

from __future__ import annotations

import os
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from reference.layouts import Layout, padding_pairs, per_axis, same_padding  # noqa: E402
from reference.sequence import tensorflow_attention, tensorflow_sequence  # noqa: E402


class Heaviside(keras.layers.Layer):
    """step(x) = 1 if x >= 0 else 0: keras.ops.heaviside(x, 1)."""

    def call(self, x):
        return keras.ops.heaviside(x, keras.ops.ones((), dtype=x.dtype))


class MovedFlatten(keras.layers.Layer):
    """keras Flatten of keras.ops.moveaxis(x, source, destination): rows in another axis order."""

    def __init__(self, source: int, destination: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source, self.destination = source, destination
        self.flatten = keras.layers.Flatten(dtype=self.dtype_policy)

    def call(self, x):
        return self.flatten(keras.ops.moveaxis(x, self.source, self.destination))


def _flatten(spec: dict, dtype: str) -> keras.layers.Layer:
    """Rows in the spec's order from the tensor Keras holds: a channel-last image is flattened as it is
    for h, w, c rows and with its channel axis moved back first (axis -1 to 1) for c, h, w rows; any other
    input (a sequence) as it is for 'channels_first' rows and with axis 1 moved last for 'channels_last'."""
    image, channels_last = spec["channel_last_input"], spec.get("order") == "channels_last"
    if image == channels_last:
        return keras.layers.Flatten(dtype=dtype)
    return MovedFlatten(-1, 1, dtype=dtype) if image else MovedFlatten(1, -1, dtype=dtype)


class PaddedConv(keras.layers.Layer):
    """keras.layers.ZeroPadding1D/2D with explicit (before, after) pairs, then the conv with 'valid'
    (Keras convolutions take only 'valid', 'same' and, in 1-D, 'causal'). docs/conventions.md §17."""

    def __init__(self, conv: keras.layers.Layer, pairs: tuple[tuple[int, int], ...], **kwargs) -> None:
        super().__init__(**kwargs)
        zero_padding = keras.layers.ZeroPadding1D if len(pairs) == 1 else keras.layers.ZeroPadding2D
        self.zero_padding = zero_padding(pairs[0] if len(pairs) == 1 else pairs, dtype=self.dtype_policy)
        self.conv = conv

    @property
    def kernel(self):
        return self.conv.kernel

    @property
    def bias(self):
        return self.conv.bias

    def call(self, x):
        return self.conv(self.zero_padding(x))


def _conv(spatial_axes: int):
    """keras Conv1D / Conv2D on channel-last inputs (the default data_format), padding 'valid' or 'same'
    (TensorFlow's split), explicit pairs through PaddedConv; groups as Keras's own `groups`."""
    layer_class = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D}[spatial_axes]

    def build(spec: dict, dtype: str) -> keras.layers.Layer:
        padding = spec.get("padding", "valid")
        conv = layer_class(spec["filters"], spec["kernel_size"], strides=spec.get("stride", 1),
                           padding=padding if isinstance(padding, str) else "valid",
                           dilation_rate=spec.get("dilation", 1), groups=spec.get("groups", 1),
                           use_bias=spec.get("use_bias", True), dtype=dtype)
        conv.build((None, *(None,) * spatial_axes, spec["in_channels"]))
        if isinstance(padding, str):
            return conv
        return PaddedConv(conv, padding_pairs(padding, spatial_axes), dtype=dtype)

    return build


class IncludePadAveragePooling2D(keras.layers.Layer):
    """TF 'same' average whose divisor counts the zero padding (kh*kw, torch's count_include_pad=True):
    keras.ops.pad with TF's split, then AveragePooling2D(padding='valid') (docs/conventions.md §18)."""

    def __init__(self, pool_size: tuple[int, int], stride: tuple[int, int], **kwargs) -> None:
        super().__init__(**kwargs)
        self.pool_size, self.stride = pool_size, stride
        self.pool = keras.layers.AveragePooling2D(pool_size, strides=stride, padding="valid",
                                                  dtype=self.dtype_policy)

    def call(self, x):
        pads = [same_padding(n, k, s)
                for n, k, s in zip(x.shape[1:3], self.pool_size, self.stride, strict=True)]
        return self.pool(keras.ops.pad(x, [(0, 0), *pads, (0, 0)]))


def _pool(spec: dict, dtype: str) -> keras.layers.Layer:
    """keras MaxPooling2D / AveragePooling2D on channel-last images ('same' is TF's split, and its average
    divides by the input elements only); IncludePadAveragePooling2D when the padding is counted."""
    size, padding = per_axis(spec["pool_size"], 2), spec.get("padding", "valid")
    stride = per_axis(spec.get("stride") or spec["pool_size"], 2)
    if spec["type"] == "maxpool2d":
        return keras.layers.MaxPooling2D(size, strides=stride, padding=padding, dtype=dtype)
    if padding == "same" and spec.get("count_include_pad", False):
        return IncludePadAveragePooling2D(size, stride, dtype=dtype)
    return keras.layers.AveragePooling2D(size, strides=stride, padding=padding, dtype=dtype)


def _dense(spec: dict, dtype: str) -> keras.layers.Dense:
    """keras.layers.Dense with keras.regularizers.L1L2 on kernel and bias when the spec asks."""

    def regularizer(name: str):
        l1, l2 = spec.get(f"{name}_l1", 0.0), spec.get(f"{name}_l2", 0.0)
        return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None

    layer = keras.layers.Dense(spec["units"], dtype=dtype, kernel_regularizer=regularizer("weight"),
                               bias_regularizer=regularizer("bias"))
    layer.build((None, spec["n_inputs"]))
    return layer


def _prelu(spec: dict, dtype: str) -> keras.layers.PReLU:
    """keras PReLU: one alpha per feature, or one shared alpha with shared_axes=[1]."""
    shared = [1] if spec.get("num_parameters", 1) == 1 else None
    layer = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(spec.get("init", 0.25)),
                               shared_axes=shared, dtype=dtype)
    layer.build((None, spec["n_inputs"]))
    return layer


def _options(spec: dict, **names: str) -> dict:
    """Options the spec gives, renamed to Keras's keywords; absent ones keep Keras's defaults."""
    return {keras_name: spec[name] for name, keras_name in names.items() if name in spec}


def _activation(name: str):
    return lambda spec, dtype: keras.layers.Activation(name, dtype=dtype)


def _gelu(spec: dict, dtype: str) -> keras.layers.Activation:
    """keras.activations.gelu, exact (approximate=False, its default) or the tanh form for 'tanh'."""
    if "approximate" not in spec:
        return keras.layers.Activation("gelu", dtype=dtype)
    approximate = spec["approximate"] == "tanh"
    return keras.layers.Activation(partial(keras.activations.gelu, approximate=approximate), dtype=dtype)


def _batchnorm(spec: dict, dtype: str) -> keras.layers.BatchNormalization:
    """BatchNormalization(axis=-1) on channel-last input; the spec's momentum, given in its
    momentum_convention (default 'torch'), converted to Keras's weight of the old value (1 - m for
    torch's); affine = center and scale."""
    options = _options(spec, eps="epsilon")
    if "momentum" in spec:
        keras_form = spec.get("momentum_convention", "torch") == "keras"
        options["momentum"] = spec["momentum"] if keras_form else 1 - spec["momentum"]
    affine = spec.get("affine", True)
    layer = keras.layers.BatchNormalization(axis=-1, center=affine, scale=affine, dtype=dtype, **options)
    layer.build((None, *(None,) * (2 if spec["type"] == "batchnorm2d" else 0), spec["num_features"]))
    return layer


def _sample_norm(cls):
    """LayerNormalization / RMSNormalization over every axis of a sample (channel-last on images, as the
    spec's channel_last_input says; a sequence's (T, E) as it is)."""

    def build(spec: dict, dtype: str) -> keras.layers.Layer:
        shape = tuple(spec["normalized_shape"])
        if spec["channel_last_input"]:  # an image: Keras holds it (H, W, C)
            shape = (*shape[1:], shape[0])
        layer = cls(axis=list(range(1, len(shape) + 1)), dtype=dtype, **_options(spec, eps="epsilon"))
        layer.build((None, *shape))
        return layer

    return build


# Layer kind -> factory(spec, dtype) of the Keras layer that computes it.
LAYERS = {
    "dense": _dense,
    "dropout": lambda spec, dtype: keras.layers.Dropout(spec["rate"], seed=spec.get("seed"), dtype=dtype),
    "flatten": _flatten,
    "conv1d": _conv(1),
    "conv2d": _conv(2),
    "maxpool2d": _pool,
    "avgpool2d": _pool,
    "global_avgpool2d": lambda spec, dtype: keras.layers.GlobalAveragePooling2D(dtype=dtype),
    "step": lambda spec, dtype: Heaviside(dtype=dtype),
    "linear": _activation("linear"),
    "sigmoid": _activation("sigmoid"),
    "tanh": _activation("tanh"),
    "relu": lambda spec, dtype: keras.layers.ReLU(dtype=dtype),
    "leaky_relu": lambda spec, dtype: keras.layers.LeakyReLU(**_options(spec, alpha="negative_slope"),
                                                             dtype=dtype),
    "prelu": _prelu,
    "elu": lambda spec, dtype: keras.layers.ELU(**_options(spec, alpha="alpha"), dtype=dtype),
    "swish": _activation("silu"),
    "softmax": lambda spec, dtype: keras.layers.Softmax(axis=-1, dtype=dtype),
    "gelu": _gelu,
    "softplus": _activation("softplus"),  # NOTE: tf.math.softplus: x itself above -(log(eps) + 2) (§19)
    "log_softmax": lambda spec, dtype: keras.layers.Activation(
        partial(keras.activations.log_softmax, axis=-1), dtype=dtype),
    "batchnorm1d": _batchnorm,
    "batchnorm2d": _batchnorm,
    "layernorm": _sample_norm(keras.layers.LayerNormalization),
    "rmsnorm": _sample_norm(keras.layers.RMSNormalization),
    **tensorflow_sequence.LAYERS,  # embedding, simple_rnn, lstm, gru
    **tensorflow_attention.LAYERS,  # multi_head_attention
}

# Layer type -> {scratch parameter or buffer name: where Keras keeps it}; Dense kernels are (in, out) already.
# Normalization gains over a whole sample are channel-last like Keras's images (Layout.channel_last).
BATCHNORM = {"gamma": Layout("gamma", when="affine"), "beta": Layout("beta", when="affine"),
             "running_mean": Layout("moving_mean", trainable=False),
             "running_var": Layout("moving_variance", trainable=False)}
LAYOUTS = {
    "dense": {"weight": Layout("kernel"), "bias": Layout("bias")}, "prelu": {"alpha": Layout("alpha")},
    # Conv1D/2D kernels are (*k, in/groups, filters), the scratch layout
    "conv1d": {"weight": Layout("kernel"), "bias": Layout("bias", when="use_bias")},
    "conv2d": {"weight": Layout("kernel"), "bias": Layout("bias", when="use_bias")},
    "batchnorm1d": BATCHNORM, "batchnorm2d": BATCHNORM,
    "layernorm": {"gamma": Layout("gamma", channel_last=True), "beta": Layout("beta", channel_last=True)},
    "rmsnorm": {"gamma": Layout("scale", channel_last=True)},
    **tensorflow_sequence.LAYOUTS,
    **tensorflow_attention.LAYOUTS,
}


def _categorical(from_logits: bool, reduction: str = "sum_over_batch_size"):
    def build(dtype: str, sparse: bool) -> keras.losses.Loss:
        cls = keras.losses.SparseCategoricalCrossentropy if sparse else keras.losses.CategoricalCrossentropy
        return cls(from_logits=from_logits, reduction=reduction, dtype=dtype)

    return build


def _half_mse(dtype: str, sparse: bool):
    """1/2 mean (y - ŷ)^2: 0.5 * keras.losses.MeanSquaredError (seed 07's 1/2 (y - a)^2, one output)."""
    mse = keras.losses.MeanSquaredError(dtype=dtype)
    return lambda target, prediction: 0.5 * mse(target, prediction)


# Loss kind -> factory(dtype, sparse_targets) of a Keras loss called as loss(target, prediction);
# Keras reduces by sum / batch size (the mean) unless reduction='sum' (*_sum).
LOSSES = {
    "mse": lambda dtype, sparse: keras.losses.MeanSquaredError(dtype=dtype),
    "half_mse": _half_mse,
    "mae": lambda dtype, sparse: keras.losses.MeanAbsoluteError(dtype=dtype),
    "binary_crossentropy": lambda dtype, sparse: keras.losses.BinaryCrossentropy(dtype=dtype),
    "binary_crossentropy_logits": lambda dtype, sparse: keras.losses.BinaryCrossentropy(
        from_logits=True, dtype=dtype),
    "categorical_crossentropy": _categorical(from_logits=False),
    "categorical_crossentropy_logits": _categorical(from_logits=True),
    "categorical_crossentropy_sum": _categorical(from_logits=False, reduction="sum"),
    "categorical_crossentropy_logits_sum": _categorical(from_logits=True, reduction="sum"),
}


def build_layer(spec: dict, dtype: str) -> keras.layers.Layer:
    """One Keras layer from a plain layer spec; KeyError names unknown kinds."""
    kind = spec["type"]
    if kind not in LAYERS:
        raise KeyError(f"tensorflow reference: unknown layer type {kind!r}; known: {sorted(LAYERS)}")
    return LAYERS[kind](spec, dtype)


def build_layers(layer_specs: list[dict], dtype: str) -> list[keras.layers.Layer]:
    """The Keras layers of a Sequential spec, in order."""
    return [build_layer(spec, dtype) for spec in layer_specs]
