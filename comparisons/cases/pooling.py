"""Pooling cases: max and average pooling, global average pooling, pooled models, flatten-order porting.

Images are (N, C, H, W) with H != W and pools that do not divide them; 'same' padding is TF's split
(docs/conventions.md §18), chosen here so that the odd pixel of total padding shows (noted per case as
(top, bottom) / (left, right)). Max-pooling tie cases round the inputs to multiples of 0.5 (few levels),
so windows hold several equal maxima and the tie rule decides the input gradient.
"""

from __future__ import annotations

from comparisons.cases.negative_controls import negative_control
from comparisons.core.case import Case

IMAGE = {"kind": "signed_uniform", "batch": 3, "shape": (2, 7, 6), "image": True, "low": 0.1, "high": 2.0}
TIES = {**IMAGE, "quantum": 0.5}  # values in {0, +-0.5, ..., +-2}: tied maxima in most windows
CLASSES = 4
LABELLED = {**IMAGE, "batch": 4, "shape": (3, 7, 5), "targets": "sparse", "target_width": CLASSES}


def _component(name: str, layer: dict, text: str, data: dict = IMAGE, notes: str = "") -> Case:
    return Case(id=name, suite="layer", component=text, layers=(layer,), loss=None, data=data, notes=notes)


def _max(pool, stride=None, padding="valid") -> dict:
    """A maxpool2d spec; a stride left out (None) defaults to the pool size."""
    step = {} if stride is None else {"stride": stride}
    return {"type": "maxpool2d", "pool_size": pool, **step, "padding": padding}


def _avg(pool, stride=None, padding="valid", include_pad=False) -> dict:
    """An avgpool2d spec with its divisor convention (count_include_pad) always given."""
    return {**_max(pool, stride, padding), "type": "avgpool2d", "count_include_pad": include_pad}


def _component_cases() -> list[Case]:
    cases = [
        _component("maxpool2d_valid_k3_s2", _max(3, 2), "MaxPool2D 3x3 stride 2 'valid' on 2x7x6"),
        _component("maxpool2d_valid_k2_default_stride", _max(2),
                   "MaxPool2D 2x2, stride default = pool size, 'valid' on 2x7x6 (last row dropped)"),
        _component("maxpool2d_same_k3_s2", _max(3, 2, "same"),
                   "MaxPool2D 3x3 stride 2 'same' on 2x7x6: pads (1, 1) / (0, 1), -inf"),
        _component("maxpool2d_same_k2x3_s1", _max((2, 3), 1, "same"),
                   "MaxPool2D 2x3 stride 1 'same' on 2x7x6: pads (0, 1) / (1, 1), overlapping windows"),
        _component("maxpool2d_ties_same_k2_s1", _max(2, 1, "same"), data=TIES,
                   text="MaxPool2D 2x2 stride 1 'same', inputs on a 0.5 grid: tied maxima, overlapping",
                   notes="the first maximum in row-major window order takes the gradient (torch, TF)"),
        _component("maxpool2d_ties_valid_k3x2_s2x1", _max((3, 2), (2, 1)), data=TIES,
                   text="MaxPool2D 3x2 stride (2, 1) 'valid', inputs on a 0.5 grid: tied maxima"),
        _component("avgpool2d_valid_k2x3_s1x2", _avg((2, 3), (1, 2)),
                   "AvgPool2D 2x3 stride (1, 2) 'valid' on 2x7x6 (no padding: one divisor)"),
        _component("avgpool2d_same_k2_s3", _avg(2, 3, "same"),
                   "AvgPool2D 2x2 stride 3 'same' on 2x7x6: stride > pool, pads (0, 1) / (0, 0)"),
        _component("global_avgpool2d", {"type": "global_avgpool2d"},
                   "GlobalAvgPool2D on 2x7x6: (N, C, H, W) -> (N, C)"),
    ]
    for pool, stride, pads in ((3, 2, "(1, 1) / (0, 1)"), ((3, 2), (2, 1), "(1, 1) / (0, 1) at stride 1")):
        size = "x".join(map(str, pool)) if isinstance(pool, tuple) else f"{pool}x{pool}"
        step = "x".join(map(str, stride)) if isinstance(stride, tuple) else str(stride)
        for include_pad, label in ((False, "exclude_pad"), (True, "include_pad")):
            divisor = "kh*kw (torch's default)" if include_pad else "input elements only (TF 'same')"
            cases.append(_component(
                f"avgpool2d_same_k{size}_s{step}_{label}", _avg(pool, stride, "same", include_pad),
                f"AvgPool2D {size} stride {step} 'same' on 2x7x6, pads {pads}, divisor {divisor}"))
    return cases


def _dense_head(pool: dict, order: str = "channels_first") -> tuple[dict, ...]:
    """pool - Flatten(order) - Dense(CLASSES) - Softmax."""
    return (pool, {"type": "flatten", "order": order}, {"type": "dense", "units": CLASSES},
            {"type": "softmax"})


MAX_HEAD = _max(2, None, "same")  # 3x7x5 -> 3x4x3: pads (0, 1) / (0, 1)
PORT_SEED = 5  # both flatten-order cases draw the same image, labels and parameters

CASES: tuple[Case, ...] = (
    *_component_cases(),
    Case(id="cnn_maxpool_flatten_dense_cce", suite="model",
         component="MaxPool2D 2x2 'same' - Flatten - Dense(36,4) - Softmax + cross-entropy on 3x7x5 images",
         layers=_dense_head(MAX_HEAD), loss="categorical_crossentropy", data=LABELLED, seed=3),
    Case(id="cnn_avgpool_flatten_dense_cce", suite="model",
         component="AvgPool2D 3x2 stride 2 'same' (padding excluded) - Flatten - Dense(36,4) - Softmax "
                   "+ cross-entropy on 3x7x5 images",
         layers=_dense_head(_avg((3, 2), 2, "same")), loss="categorical_crossentropy", data=LABELLED, seed=4),
    Case(id="cnn_global_avgpool_dense_mse", suite="model",
         component="GlobalAvgPool2D - Dense(3,2) + MSE on 3x7x5 images",
         layers=({"type": "global_avgpool2d"}, {"type": "dense", "units": 2}), loss="mse",
         data={**LABELLED, "targets": "regression", "target_width": 2}, seed=4),
    *(Case(id=f"flatten_port_{order}", suite="model",
           component=f"MaxPool2D - Flatten {order} - Dense(36,4) - Softmax + cross-entropy: the flatten "
                     "order a ported Dense weight must follow",
           layers=_dense_head(MAX_HEAD, order), loss="categorical_crossentropy", data=LABELLED,
           seed=PORT_SEED,
           notes="same seed in both orders; tests/unit/layers/test_flatten_port.py ports the Dense "
                 "weight between them (scratch.layers.flatten.port_dense_weight)")
      for order in ("channels_first", "channels_last")),
)

NEGATIVE_CONTROLS: tuple[Case, ...] = (
    negative_control(
        "flatten_wrong_order", "flatten_wrong_order",
        "Flatten in the other order (h, w, c where c, h, w is asked): MaxPool2D - Flatten - Dense - "
        "Softmax + cross-entropy",
        ("activation", "1.flatten"),
        layers=_dense_head(MAX_HEAD), loss="categorical_crossentropy", data=LABELLED, seed=3,
        notes="same shape, same values, permuted: the flatten's output is the first to differ",
    ),
    negative_control(
        "maxpool_gradient_to_every_tie", "maxpool_gradient_to_every_tie",
        "MaxPool2D backward sends g to every tied maximum of a window, not the first; 2x2 stride 1 "
        "'same' on inputs with ties - Flatten - Dense + cross-entropy",
        ("grad_activation", "0.maxpool2d"),
        layers=_dense_head(_max(2, 1, "same")), loss="categorical_crossentropy",
        data={**LABELLED, "quantum": 0.5}, seed=3,
        notes="forward, loss and the Dense gradients agree; the pool's input gradient is too large at ties",
    ),
)
