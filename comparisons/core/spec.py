"""Facts read off a plain-data model spec: the loss frameworks compute, layer names, penalties."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from scratch.registry import layer_type


def effective_loss(spec: dict) -> tuple[str | None, int]:
    """(loss the frameworks compute, index into [x, out_0, ..., out_n-1] of its prediction).

    Softmax + categorical cross-entropy is fused, as in nnfs Model.finalize, torch cross_entropy
    and Keras from_logits=True: the loss reads the softmax's input (the logits).
    """
    layers = spec["layers"]
    fused = {"categorical_crossentropy": "categorical_crossentropy_logits",
             "categorical_crossentropy_sum": "categorical_crossentropy_logits_sum"}
    if spec["loss"] in fused and layers and layers[-1]["type"] == "softmax":
        return fused[spec["loss"]], -2
    return spec["loss"], -1


def indices_of(spec: dict, types) -> list[int]:
    """Positions of the layers whose type is in types."""
    return [i for i, layer in enumerate(spec["layers"]) if layer["type"] in types]


def training_indices(spec: dict) -> list[int]:
    """Positions of the layers whose forward takes `training` (dropout; later normalization)."""
    return [i for i, layer in enumerate(spec["layers"]) if layer_type(layer["type"]).takes_training]


def layer_names(spec: dict) -> list[str]:
    """Tensor names of the layers: '<position>.<type>', e.g. '1.relu'."""
    return [f"{i}.{layer['type']}" for i, layer in enumerate(spec["layers"])]


def penalized_layers(spec: dict) -> list[int]:
    """Positions of the layers whose spec sets any L1/L2 penalty key of their record."""
    return [i for i, layer in enumerate(spec["layers"])
            if any(layer.get(k) for k in layer_type(layer["type"]).regularizer_keys())]


def has_regularizer(spec: dict) -> bool:
    """True when any layer carries an L1/L2 penalty."""
    return bool(penalized_layers(spec))


# float32-rounding options -> the spec values they round (and a nonzero decay: Keras's InverseTimeDecay
# divides in float32). Such an option is inert when each of those values is exact in float32, and is then
# not requested, so an implementation without it still runs those cases (docs/conventions.md §7).
ROUNDED_VALUES = {"float32_factors": ("weight_l1", "weight_l2", "bias_l1", "bias_l2"),
                  "float32_slope": ("alpha",),
                  "float32_hyperparameters": ("momentum", "beta_1", "beta_2", "initial_accumulator")}


def active_options(values: Mapping, options: Mapping) -> dict:
    """options less the float32-rounding ones (ROUNDED_VALUES) that cannot change any of values."""
    def inert(name: str) -> bool:
        keys = ROUNDED_VALUES.get(name)
        return keys is not None and not values.get("decay") and all(
            float(np.float32(values[k])) == values[k] for k in keys if k in values)

    return {key: value for key, value in options.items() if not inert(key)}


# Loss options that act only on probabilities outside [1e-7, 1 - 1e-7] (a clip, a floor under log p or under
# p(1 - p)); inside they give the textbook value and gradient (up to rounding), so only a case declared
# 'saturated' requests them (docs/conventions.md §3).
SATURATION_OPTIONS = ("probability_clip", "log_floor", "denominator_floor")


def active_loss_options(saturated: bool, options: Mapping) -> dict:
    """options less the SATURATION_OPTIONS unless the case's predictions are declared saturated."""
    return {key: value for key, value in options.items() if saturated or key not in SATURATION_OPTIONS}


def layer_options(layer: dict, options: Mapping[str, Mapping]) -> dict:
    """options[type] for this layer spec, less the float32-rounding ones it makes inert."""
    return active_options(layer, options.get(layer["type"], {}))


def with_layer_options(spec: dict, options: Mapping[str, Mapping]) -> dict:
    """The spec with its layer_options added to every layer (they win over the layer's own keys):
    how a framework's layer conventions reach the implementation under test's spec."""
    layers = [{**layer, **layer_options(layer, options)} for layer in spec["layers"]]
    return {**spec, "layers": layers}


def buffer_keys(spec: dict) -> list[str]:
    """'<position>.<buffer>' of every layer's buffers (non-trainable state), in layer order."""
    return [f"{i}.{buffer.name}" for i, layer in enumerate(spec["layers"])
            for buffer in layer_type(layer["type"]).buffers_of(layer)]


def image_positions(spec: dict) -> list[bool]:
    """For [x, out_0, ..., out_n-1]: whether that tensor is an image, (N, channels, *spatial).

    The input is one when the spec says 'image'; an image stays one until a layer whose record
    `ends_image` (flatten, global pooling). Frameworks that keep images channel-last move the
    channel axis at exactly these tensors.
    """
    image = bool(spec.get("image"))
    positions = [image]
    for layer in spec["layers"]:
        image = image and not layer_type(layer["type"]).ends_image
        positions.append(image)
    return positions
