"""Single-component cases generated from tables: every activation, loss, Dense regularizer, dropout."""

from __future__ import annotations

from comparisons.core.case import Case
from scratch.registry import ACTIVATIONS, LOSSES

# Explicit options so both sides compute the same formula; '<name>_defaults' cases leave them out.
ACTIVATION_OPTIONS: dict[str, list[tuple[str, dict]]] = {
    # 0.25 is exact in float32; Keras keeps negative_slope in float32, so 0.2 is a known difference
    "leaky_relu": [("", {"alpha": 0.25}), ("_alpha_0p2", {"alpha": 0.2}), ("_defaults", {})],
    "prelu": [("_shared", {"num_parameters": 1}), ("_per_feature", {"num_parameters": 5})],
    "elu": [("", {"alpha": 1.3}), ("_defaults", {})],
    # exact (erf) and tanh forms named explicitly; the defaults are the exact form in torch and Keras
    "gelu": [("", {"approximate": "none"}), ("_tanh", {"approximate": "tanh"}), ("_defaults", {})],
}
RANGES = {  # |x| drawn from U(low, high) with random signs: off the kink unless zeros are planted
    "normal": {"low": 0.1, "high": 4.0},
    "extreme": {"low": 20.0, "high": 40.0},  # saturation
}
KINK_ACTIVATIONS = ("step", "relu", "leaky_relu", "prelu", "elu")
BATCH, FEATURES = 8, 5


def _activation_cases() -> list[Case]:
    cases = []
    for name in ACTIVATIONS:
        for suffix, options in ACTIVATION_OPTIONS.get(name, [("", {})]):
            for range_name, bounds in RANGES.items():
                if suffix == "_defaults" and range_name == "extreme":
                    continue
                cases.append(Case(
                    id=f"act_{name}{suffix}_{range_name}", suite="activation",
                    component=f"activation {name}{suffix.replace('_', ' ')}",
                    layers=({"type": name, **options},), loss=None,
                    data={"kind": "signed_uniform", "batch": BATCH, "n_features": FEATURES,
                          **bounds},
                    backward=name != "step",  # the Heaviside step has no gradient in any framework
                ))
            if name in KINK_ACTIVATIONS and suffix != "_defaults":
                cases.append(Case(
                    id=f"act_{name}{suffix}_kink", suite="activation",
                    component=f"activation {name}{suffix.replace('_', ' ')} at x = 0",
                    layers=({"type": name, **options},), loss=None,
                    data={"kind": "signed_uniform", "batch": BATCH, "n_features": FEATURES,
                          "low": 0.1, "high": 4.0, "zeros": 12},
                    backward=name != "step",
                    notes="12 inputs exactly 0: the derivative convention at the kink",
                ))
    return cases


# Loss name -> (prediction kind, target kinds); saturated variants for the log-based losses.
LOSS_DATA = {
    "mse": ("values", ("regression",)),
    "half_mse": ("values", ("regression",)),
    "mae": ("values", ("regression",)),
    "binary_crossentropy": ("sigmoid", ("binary",)),
    "binary_crossentropy_logits": ("logits", ("binary",)),
    "categorical_crossentropy": ("probabilities", ("sparse", "onehot")),
    "categorical_crossentropy_logits": ("logits", ("sparse", "onehot")),
    "categorical_crossentropy_sum": ("probabilities", ("sparse", "onehot")),
    "categorical_crossentropy_logits_sum": ("logits", ("sparse", "onehot")),
}
# The summed variants only drop the 1/N; their saturated behaviour is the mean variants' times N.
SATURATING = ("binary_crossentropy", "binary_crossentropy_logits", "categorical_crossentropy",
              "categorical_crossentropy_logits")


def _loss_cases() -> list[Case]:
    cases = []
    for name in LOSSES:
        predictions, target_kinds = LOSS_DATA[name]
        for targets in target_kinds:
            for saturated in (False, True) if name in SATURATING else (False,):
                label = f"{targets}{'_saturated' if saturated else ''}"
                cases.append(Case(
                    id=f"loss_{name}_{label}", suite="loss",
                    component=f"loss {name} ({label.replace('_', ', ')} targets)",
                    layers=(), loss=name,
                    data={"kind": "loss", "batch": BATCH, "n_features": 4,
                          "predictions": predictions, "targets": targets, "saturated": saturated},
                ))
    # Softmax + cross-entropy on logits +-30/40 on the wrong side (p_true ~ e^-70): the frameworks read the
    # logits (fused); scratch computes their unclipped value with the profiles' UNCLIPPED_FUSED option
    # (docs/conventions.md §3), the proof of the projects' nnfs-clip known differences.
    cases.append(Case(id="loss_softmax_categorical_crossentropy_sparse_saturated", suite="loss",
                      component="loss softmax + categorical_crossentropy (sparse, saturated targets)",
                      layers=({"type": "softmax"},), loss="categorical_crossentropy",
                      data={"kind": "loss", "batch": BATCH, "n_features": 4, "predictions": "logits",
                            "targets": "sparse", "saturated": True}))
    return cases


# Factors are powers of two (exact in float32); 'decimal_factors' agrees with Keras, which casts its
# factors to float32, through the tensorflow profile's float32_factors option (docs/conventions.md §7).
DENSE_VARIANTS = {  # case suffix -> Dense options
    "plain": {},
    "weight_l1": {"weight_l1": 2**-5},
    "weight_l2": {"weight_l2": 2**-4},
    "bias_l1": {"bias_l1": 2**-6},
    "bias_l2": {"bias_l2": 2**-5},
    "all_regularizers": {"weight_l1": 2**-5, "weight_l2": 2**-4, "bias_l1": 2**-6, "bias_l2": 2**-5},
    "decimal_factors": {"weight_l1": 0.03, "weight_l2": 0.05, "bias_l1": 0.02, "bias_l2": 0.04},
    "weight_l1_at_zero_nnfs": {"weight_l1": 0.125, "zero_weights": 6},
    "weight_l1_at_zero_sign0": {"weight_l1": 0.125, "zero_weights": 6, "l1_zero_subgradient": 0.0},
}


def _layer_cases() -> list[Case]:
    data = {"kind": "signed_uniform", "batch": BATCH, "n_features": FEATURES, "low": 0.1, "high": 2.0}
    cases = [
        Case(id=f"dense_{suffix}", suite="layer", component=f"Dense(5,4) {suffix.replace('_', ' ')}",
             layers=({"type": "dense", "units": 4, **options},), loss=None, data=data)
        for suffix, options in DENSE_VARIANTS.items()
    ]
    for rate in (0.3, 0.5):
        cases.append(Case(
            id=f"dropout_{int(rate * 10)}_train", suite="layer",
            component=f"Dropout({rate}) training, the framework's own mask shared with scratch",
            layers=({"type": "dropout", "rate": rate},), loss=None, data=data))
    cases.append(Case(
        id="dropout_mlp_train", suite="layer",
        component="Dense(5,6)-ReLU-Dropout(0.4)-Dense(6,3) training, shared mask",
        layers=({"type": "dense", "units": 6}, {"type": "relu"}, {"type": "dropout", "rate": 0.4},
                {"type": "dense", "units": 3}), loss=None, data=data))
    image = {"kind": "signed_uniform", "batch": 4, "shape": (3, 4, 5), "image": True, "low": 0.1, "high": 2.0}
    for order in ("channels_first", "channels_last"):
        cases.append(Case(
            id=f"flatten_{order}", suite="layer", component=f"Flatten {order} order of a 3x4x5 image",
            layers=({"type": "flatten", "order": order},), loss=None, data=image))
    cases.append(Case(
        id="dropout_5_inference", suite="layer", component="Dropout(0.5) inference: identity",
        layers=({"type": "dropout", "rate": 0.5},), loss=None, data=data, training=False))
    return cases


COMPONENT_CASES: tuple[Case, ...] = (*_activation_cases(), *_loss_cases(), *_layer_cases())
