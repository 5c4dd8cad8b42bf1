"""Normalization cases: BatchNorm1D/2D (training and inference, momentum in both conventions, eps, affine
off, running statistics compared after the pass and after every training step), LayerNorm, RMSNorm.

Every case gives eps and momentum explicitly (the frameworks' defaults differ, docs/conventions.md §19);
each framework's profile adds the scratch options that compute its formula (layer_conventions:
torch keeps the unbiased running variance, Keras the biased one).
"""

from __future__ import annotations

from comparisons.cases.models import SPIRAL_DATA
from comparisons.cases.negative_controls import negative_control
from comparisons.core.case import Case

ROWS = {"kind": "signed_uniform", "batch": 8, "n_features": 5, "low": 0.1, "high": 2.0}
IMAGE = {"kind": "signed_uniform", "batch": 3, "shape": (4, 5, 6), "image": True, "low": 0.1, "high": 2.0}
# Keras keeps BatchNormalization's momentum and epsilon as Python floats (float64 arithmetic), so
# decimal values are fine here; 0.25 and 0.75 are exact all the same.
BN = {"momentum": 0.1, "eps": 1e-5}


def _bn(name: str, dims: int, component: str, layer: dict, data: dict | None = None, **case) -> Case:
    data = data or (ROWS if dims == 1 else IMAGE)
    return Case(id=f"bn{dims}d_{name}", suite="normalization", component=f"BatchNorm{dims}D {component}",
                layers=({"type": f"batchnorm{dims}d", **layer},), loss=None, data=data, **case)


def _batchnorm_cases() -> list[Case]:
    cases = []
    for dims in (1, 2):
        shape = "(8, 5) rows" if dims == 1 else "(3, 4, 5, 6) images, statistics over N, H, W"
        cases += [
            _bn("train", dims, f"training on {shape}, momentum 0.1 (torch form), eps 1e-5", BN),
            _bn("train_momentum_eps", dims, "training, momentum 0.25, eps 1e-3 (Keras's default eps)",
                {"momentum": 0.25, "eps": 1e-3}, seed=1),
            _bn("train_keras_momentum", dims, "training, momentum 0.99 in Keras's form (torch's 0.01), "
                "eps 1e-3",
                {"momentum": 0.99, "momentum_convention": "keras", "eps": 1e-3}, seed=2),
            _bn("train_no_affine", dims, "training without gamma and beta (torch affine=False, Keras "
                "center=scale=False)", {**BN, "affine": False}, seed=3),
            _bn("inference", dims, "inference: normalized with the (random) running statistics",
                {"momentum": 0.25, "eps": 1e-3}, training=False, seed=4),
            _bn("inference_no_affine", dims, "inference without gamma and beta", {**BN, "affine": False},
                training=False, seed=5),
        ]
    cases += [
        _bn("train_batch2", 1, "training on a batch of 2: running_var gets n/(n-1) = 2 times the batch "
            "variance in torch's form; the two samples of opposite signs in every feature", BN,
            data={**ROWS, "batch": 2, "alternate_signs": True}, seed=6),
        _bn("train_batch1", 2, "training on ONE image: statistics over its 5x6 pixels (n = 30)", BN,
            data={**IMAGE, "batch": 1}, seed=7),
    ]
    return cases


def _sample_norm_cases() -> list[Case]:
    cases = []
    for kind, label, eps_values in (("layernorm", "LayerNorm", (1e-5, 1e-3)),
                                    ("rmsnorm", "RMSNorm", (1e-6, 1e-3))):
        for eps in eps_values:
            suffix = "" if eps == eps_values[0] else "_eps"
            cases.append(Case(id=f"{kind}_rows{suffix}", suite="normalization",
                              component=f"{label} over the 5 features of each row, eps {eps}",
                              layers=({"type": kind, "eps": eps},), loss=None, data=ROWS))
        cases.append(Case(id=f"{kind}_image", suite="normalization",
                          component=f"{label} over (C, H, W) = (4, 5, 6) of each image, eps {eps_values[0]}; "
                                    "gains channel-last in Keras",
                          layers=({"type": kind, "eps": eps_values[0]},), loss=None, data=IMAGE, seed=1))
    return cases


BN_MLP = ({"type": "dense", "units": 16}, {"type": "batchnorm1d", "momentum": 0.25, "eps": 1e-5},
          {"type": "relu"}, {"type": "dense", "units": 3}, {"type": "softmax"})
MODEL_CASES = (
    Case(id="bn_spiral_net_cce", suite="normalization",
         component="Dense(2,16)-BatchNorm1D-ReLU-Dense(16,3)-Softmax + CCE, training pass",
         layers=BN_MLP, loss="categorical_crossentropy", data=SPIRAL_DATA, seed=8),
    Case(id="ln_gelu_spiral_net_vjp", suite="normalization",
         component="Dense(2,16)-LayerNorm-GELU-Dense(16,3)-LogSoftmax, random upstream gradient",
         layers=({"type": "dense", "units": 16}, {"type": "layernorm", "eps": 1e-5}, {"type": "gelu"},
                 {"type": "dense", "units": 3}, {"type": "log_softmax"}),
         loss=None, data=SPIRAL_DATA, seed=9),
)

TRAINING_CASES = tuple(
    Case(id=f"bn_spiral_net_sgd_{mode}", suite="normalization", kind="training",
         component=f"Dense(2,16)-BatchNorm1D-ReLU-Dense(16,3)-Softmax + CCE, SGD lr 0.25, batch 32 "
                   f"[{mode}]: running statistics compared after every step",
         layers=BN_MLP, loss="categorical_crossentropy", data={"kind": "spiral", "samples_per_class": 40,
                                                               "classes": 3, "n_features": 2},
         seed=10, options={"optimizer": {"name": "sgd", "hyper": {"lr": 0.25}}, "mode": mode,
                           "epochs": {"short": 2, "full": 10}, "batch_size": 32, "shuffle": True})
    for mode in ("free", "teacher"))

CASES: tuple[Case, ...] = (*_batchnorm_cases(), *_sample_norm_cases(), *MODEL_CASES, *TRAINING_CASES)

NEGATIVE_CONTROLS: tuple[Case, ...] = (
    negative_control(
        "batchnorm_unbiased_normalization", "batchnorm_normalizes_with_unbiased_variance",
        "BatchNorm1D normalizing the batch with the unbiased variance n/(n-1) var (what torch stores in "
        "running_var, not what any framework normalizes with)",
        ("activation", "0.batchnorm1d"),
        layers=({"type": "batchnorm1d", **BN},), loss=None, data=ROWS, frameworks=("torch", "tensorflow"),
        notes="every output is sqrt((n-1)/n) = 0.935 times too small before gamma and beta (n = 8)",
    ),
    negative_control(
        "batchnorm_momentum_convention", "batchnorm_momentum_other_convention",
        "BatchNorm1D running statistics blended in the other momentum convention: momentum 0.1 taken as "
        "the old value's weight (Keras's reading) where the layer says torch's",
        ("buffer", "0.running_mean"),
        layers=({"type": "batchnorm1d", **BN},), loss=None, data=ROWS, frameworks=("torch", "tensorflow"),
        notes="the training forward uses the batch statistics and agrees; running_mean gets 0.9 of the "
              "batch mean instead of 0.1",
    ),
)
