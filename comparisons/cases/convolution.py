"""Convolution cases: conv1d and conv2d layers, a small conv model, conv-kernel initializers, controls.

Sizes are odd on purpose: H != W, kernels that do not divide the input, 3 -> 4 channels. The 'same'
cases at stride 2 pick input sizes whose total padding is odd (TensorFlow puts the odd pixel after:
bottom/right) or even; docs/conventions.md §17. Keras refuses stride > 1 together with dilation > 1,
so those cases run on torch only.
"""

from __future__ import annotations

from comparisons.cases.negative_controls import negative_control
from comparisons.core.case import Case


def _image(shape: tuple[int, ...], batch: int = 3) -> dict:
    return {"kind": "signed_uniform", "batch": batch, "shape": shape, "image": True, "low": 0.1, "high": 2.0}


IMAGE, IMAGE_ODD_SAME = _image((3, 7, 9)), _image((3, 6, 8))  # at s = 2, k = 3: 'same' total 2 / 1
SEQUENCE, SEQUENCE_ODD_SAME = _image((3, 11)), _image((3, 10))
TORCH_ONLY = ("torch",)  # keras: "strides > 1 not supported in conjunction with dilation_rate > 1"

# id suffix -> (layer options beyond the type, data, frameworks or None, what it shows)
CONV2D = {
    "valid": ({"filters": 4, "kernel_size": 3}, IMAGE, None, "3->4, k=3, 'valid', 7x9 input"),
    "valid_stride2_k3x2": ({"filters": 4, "kernel_size": (3, 2), "stride": 2}, IMAGE, None,
                           "non-square kernel 3x2, stride 2, 'valid': the last rows/columns unused"),
    "same": ({"filters": 4, "kernel_size": 3, "padding": "same"}, IMAGE, None, "'same' at stride 1"),
    "same_even_kernel": ({"filters": 4, "kernel_size": 4, "padding": "same"}, IMAGE, None,
                         "k=4 'same' at stride 1: total padding 3, the odd pixel after (torch's 'same' too)"),
    "same_stride2_odd_total": ({"filters": 4, "kernel_size": 3, "stride": 2, "padding": "same"},
                               IMAGE_ODD_SAME, None,
                               "'same' at stride 2 on 6x8: total padding 1 per axis, all of it after "
                               "(torch: F.pad with TensorFlow's split)"),
    "same_stride2_even_total": ({"filters": 4, "kernel_size": 3, "stride": 2, "padding": "same"}, IMAGE,
                                None, "'same' at stride 2 on 7x9: total padding 2, one each side"),
    "dilation2": ({"filters": 4, "kernel_size": 3, "dilation": 2}, IMAGE, None,
                  "dilation 2, 'valid': a 5x5 span"),
    "dilation2_same": ({"filters": 4, "kernel_size": 2, "dilation": 2, "padding": "same"}, IMAGE, None,
                       "k=2, dilation 2, 'same': total padding 2"),
    "stride2_dilation2": ({"filters": 4, "kernel_size": 3, "stride": 2, "dilation": 2, "padding": 1},
                          IMAGE, TORCH_ONLY, "stride 2 with dilation 2 and padding 1 (Keras refuses it)"),
    "padding_symmetric": ({"filters": 4, "kernel_size": 3, "padding": (1, 2)}, IMAGE, None,
                          "explicit padding 1 on H, 2 on W (torch's padding=(1, 2); Keras ZeroPadding2D)"),
    "padding_pairs_stride2": ({"filters": 4, "kernel_size": 3, "stride": 2, "padding": ((1, 0), (2, 1))},
                              IMAGE, None, "explicit (top, bottom) = (1, 0), (left, right) = (2, 1), "
                                           "stride 2 (torch: F.pad)"),
    "no_bias": ({"filters": 4, "kernel_size": 3, "padding": "same", "use_bias": False}, IMAGE, None,
                "use_bias=False: no bias tensor on any side"),
    "depthwise": ({"filters": 8, "kernel_size": 3, "padding": "same", "groups": 4}, _image((4, 6, 7)),
                  None, "depthwise: groups = in_channels = 4, 2 filters per channel (output 2c, 2c+1 "
                        "from channel c)"),
    "groups2": ({"filters": 6, "kernel_size": (2, 3), "groups": 2}, _image((4, 6, 7)), None,
                "groups 2: 4 -> 6 channels, each half of the input to 3 outputs"),
}
CONV1D = {
    "valid": ({"filters": 4, "kernel_size": 3}, SEQUENCE, None, "3->4, k=3, 'valid', length 11"),
    "same_stride2_odd_total": ({"filters": 4, "kernel_size": 3, "stride": 2, "padding": "same"},
                               SEQUENCE_ODD_SAME, None, "'same' at stride 2 on length 10: total padding 1, "
                                                        "after"),
    "same_even_kernel": ({"filters": 4, "kernel_size": 4, "padding": "same"}, SEQUENCE, None,
                         "k=4 'same' at stride 1: total padding 3"),
    "dilation2_same": ({"filters": 4, "kernel_size": 3, "dilation": 2, "padding": "same"}, SEQUENCE, None,
                       "dilation 2, 'same'"),
    "stride2_dilation2": ({"filters": 4, "kernel_size": 3, "stride": 2, "dilation": 2}, SEQUENCE,
                          TORCH_ONLY, "stride 2 with dilation 2 (Keras refuses it)"),
    "padding_pairs": ({"filters": 4, "kernel_size": 4, "padding": (2, 1)}, SEQUENCE, None,
                      "explicit (left, right) = (2, 1) (torch: F.pad; Keras ZeroPadding1D)"),
    "no_bias": ({"filters": 4, "kernel_size": 3, "stride": 2, "use_bias": False}, SEQUENCE, None,
                "use_bias=False, stride 2"),
    "depthwise": ({"filters": 3, "kernel_size": 3, "padding": "same", "groups": 3}, SEQUENCE, None,
                  "depthwise: groups = in_channels = 3"),
}


def _layer_cases() -> list[Case]:
    return [Case(id=f"{kind}_{suffix}", suite="layer", component=f"{kind} {what}",
                 layers=({"type": kind, **options},), loss=None, data=data, frameworks=frameworks)
            for kind, table in (("conv2d", CONV2D), ("conv1d", CONV1D))
            for suffix, (options, data, frameworks, what) in table.items()]


MODEL = Case(
    id="conv2d_relu_flatten_dense_cce", suite="model",
    component="Conv2D(3->4, k=3, s=2, 'same')-ReLU-Flatten-Dense(5) + cross-entropy on logits, sparse labels",
    layers=({"type": "conv2d", "filters": 4, "kernel_size": 3, "stride": 2, "padding": "same"},
            {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 5}),
    loss="categorical_crossentropy_logits",
    data={**_image((3, 6, 8), batch=4), "targets": "sparse", "target_width": 5}, seed=3,
    notes="6x8 input: the 'same' padding at stride 2 is odd on both axes; flatten in c, h, w order")

# The model: conv - batch norm - ReLU - max pool - flatten - Dense - softmax + cross-entropy. The
# conv has no bias, as usual before batch norm: a bias there cancels in the normalization, so its true
# gradient is 0 and the computed one is rounding noise of a sum over N*H*W terms (1.5e-5 in float32).
CNN_BN = ({"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "use_bias": False},
          {"type": "batchnorm2d", "momentum": 0.25, "eps": 1e-5}, {"type": "relu"},
          {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10},
          {"type": "softmax"})
# NOTE: in float32 a max-pooling window whose two largest values differ by rounding can send the gradient
# to another pixel in one implementation (--seed-offset 1, step 23: conv kernel gradients 3.3e-3 apart while
# every earlier step agreed); the free run is judged against the implementation's own perturbed shadow,
# which meets such near-ties too (docs/conventions.md §9).
FREE_FLOAT32 = ("float32 near-ties of max pooling can part the free runs; judged against the chaos "
                "baseline (docs/conventions.md §9)")
CNN_BN_TEXT = "Conv2D(k=3, 'same', no bias)-BatchNorm2D-ReLU-MaxPool(2)-Flatten-Dense(10)-Softmax + CCE"
CNN_BN_CASES = (
    Case(id="cnn_conv_bn_relu_pool_dense_cce", suite="model",
         component=f"{CNN_BN_TEXT}, 3x7x9 images, training pass (batch statistics, running stats updated)",
         layers=CNN_BN, loss="categorical_crossentropy",
         data={**_image((3, 7, 9), batch=6), "targets": "sparse", "target_width": 10}, seed=12,
         notes="7x9 input: max pooling drops the last row and column ('valid')"),
    *(Case(id=f"cnn_bn_digits_sgd_{mode}", suite="model", kind="training",
           component=f"{CNN_BN_TEXT} on the 1x8x8 digits, SGD lr 2^-4, batch 64 [{mode}]: running "
                     "statistics compared after every step",
           layers=CNN_BN, loss="categorical_crossentropy",
           data={"kind": "digits", "shape": (1, 8, 8), "image": True}, seed=13,
           options={"optimizer": {"name": "sgd", "hyper": {"lr": 0.0625}}, "mode": mode,
                    "epochs": {"short": 1, "full": 3}, "batch_size": 64, "shuffle": True},
           dtypes=("float32", "float64"), notes=FREE_FLOAT32 if mode == "free" else "")
      for mode in ("free", "teacher")),
)

# initializer -> (kernel shape (*k, in, out), formula); fans over the receptive field: fan_in = prod(k)*in
CONV_INITIALIZERS = {
    "glorot_uniform": ((3, 3, 64, 128), "U(+-sqrt(6/(fan_in+fan_out))), fan_in 576, fan_out 1152"),
    "he_normal": ((3, 3, 64, 128), "std sqrt(2/fan_in), fan_in 576"),
    "lecun_uniform": ((3, 3, 64, 128), "U(+-sqrt(3/fan_in)), fan_in 576"),
    "glorot_normal": ((5, 40, 60), "std sqrt(2/(fan_in+fan_out)), 1-D kernel, fan_in 200, fan_out 300"),
}


def _initializer_cases(first_seed: int = 40) -> list[Case]:
    return [Case(id=f"init_conv_{name}", suite="initializer", kind="initializer",
                 component=f"{name} on a conv kernel {shape} (*k, in, out): {formula}",
                 layers=(), loss=None, data={}, seed=first_seed + i, frameworks=("torch", "tensorflow"),
                 options={"initializer": name, "framework_initializer": name, "hyper": {}, "shape": shape},
                 notes="torch draws the kernel in its (out, in, *k) layout and it is permuted back")
            for i, (name, (shape, formula)) in enumerate(CONV_INITIALIZERS.items())]


CASES: tuple[Case, ...] = (*_layer_cases(), MODEL, *CNN_BN_CASES, *_initializer_cases())

NEGATIVE_CONTROLS: tuple[Case, ...] = (
    negative_control(
        "conv2d_true_convolution", "conv_true_convolution",
        "Conv2D computing a true convolution (kernel flipped in both spatial axes) instead of the "
        "frameworks' cross-correlation; 3->4, k=3x2, 'valid'",
        ("activation", "0.conv2d"),
        layers=({"type": "conv2d", "filters": 4, "kernel_size": (3, 2)},), loss=None, data=IMAGE,
        notes="random, non-symmetric kernels: flipping changes every output"),
    negative_control(
        "conv2d_same_padding_wrong_side", "conv_same_padding_wrong_side",
        "Conv2D 'same' at stride 2 with the odd padding pixel before (top/left) instead of after "
        "(TensorFlow's rule); 6x8 input, k=3: total padding 1 on each axis",
        ("activation", "0.conv2d"),
        layers=({"type": "conv2d", "filters": 4, "kernel_size": 3, "stride": 2, "padding": "same"},),
        loss=None, data=IMAGE_ODD_SAME,
        notes="same output shape, windows shifted by one pixel: only the values show it"),
)
