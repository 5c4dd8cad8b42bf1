"""Conv1D / Conv2D: bad input, padding arithmetic, cross-correlation against direct loops, groups, fans.

Gradients, dtypes, NaN input and round trips are checked from the records (test_registry_components.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from scratch.initializers import compute_fans
from scratch.layers import Conv1D, Conv2D
from scratch.layers.windows import normalize_padding, same_pads, scatter_windows, windows
from scratch.losses import CategoricalCrossEntropy
from scratch.model import Sequential
from scratch.optimizers import SGD
from scratch.registry import build_layer, output_shape

RNG = np.random.default_rng(0)


def conv2d(**options) -> Conv2D:
    options = {"in_channels": 3, "filters": 4, "kernel_size": 3, **options}
    layer = Conv2D(**options, rng=np.random.default_rng(1), weight_init="glorot_uniform")
    if layer.use_bias:
        layer.params["bias"][...] = np.random.default_rng(2).uniform(0.1, 0.5, layer.filters)
    return layer


def direct(layer, x: np.ndarray) -> np.ndarray:
    """The textbook double loop over output positions (test-only reference), any spatial rank."""
    n = layer.spatial_axes
    pads = layer.pads(x.shape[2:])
    padded = np.pad(x, ((0, 0), (0, 0), *pads))
    out = layer.output_spatial(x.shape[2:])
    per_group_in, per_group_out = layer.in_channels // layer.groups, layer.filters // layer.groups
    y = np.zeros((len(x), layer.filters, *out))
    w = layer.params["weight"]
    for f in range(layer.filters):
        channels = slice(f // per_group_out * per_group_in, (f // per_group_out + 1) * per_group_in)
        for position in itertools.product(*map(range, out)):
            window = tuple(slice(o * s, o * s + (k - 1) * d + 1, d) for o, s, k, d
                           in zip(position, layer.stride, layer.kernel_size, layer.dilation, strict=True))
            patch = padded[(slice(None), channels, *window)]  # (N, C/G, *k)
            kernel = np.moveaxis(w[..., f], n, 0)  # (C/G, *k)
            y[(slice(None), f, *position)] = (patch * kernel).sum(axis=tuple(range(1, n + 2)))
    return y + (layer.params["bias"].reshape(-1, *(1,) * n) if layer.use_bias else 0.0)


GEOMETRIES = [
    (Conv2D, {"kernel_size": (3, 2), "stride": 2, "padding": "same"}, (3, 6, 7)),
    (Conv2D, {"kernel_size": 3, "dilation": 2, "padding": ((1, 0), (2, 1))}, (3, 7, 6)),
    (Conv2D, {"filters": 6, "kernel_size": 2, "stride": (1, 2), "groups": 3, "use_bias": False}, (3, 5, 6)),
    (Conv1D, {"kernel_size": 4, "stride": 3, "padding": "same"}, (3, 10)),
    (Conv1D, {"kernel_size": 3, "dilation": 2, "stride": 2, "padding": (0, 2)}, (3, 9)),
]


@pytest.mark.parametrize(("cls", "options", "shape"), GEOMETRIES)
def test_forward_is_the_cross_correlation_of_the_direct_loop(cls, options, shape):
    options = {"in_channels": 3, "filters": 4, **options}
    layer = cls(**options, rng=np.random.default_rng(3), weight_init="he_normal")
    x = RNG.standard_normal((2, *shape))
    np.testing.assert_allclose(layer.forward(x), direct(layer, x), rtol=1e-12, atol=1e-12)
    spec = {"type": cls.kind, **options}
    assert layer.forward(x).shape[1:] == output_shape(spec, shape)


def test_a_one_hot_kernel_shifts_the_input_without_flipping():
    """W[0, 0, c, c] = 1: y[n, c, i, j] = x[n, c, i, j], the window's first element (no kernel flip)."""
    weight = np.zeros((3, 2, 2, 2))
    weight[0, 0, [0, 1], [0, 1]] = 1.0
    layer = Conv2D(2, 2, (3, 2), weight=weight, bias=np.zeros(2))
    x = RNG.standard_normal((1, 2, 5, 4))
    np.testing.assert_array_equal(layer.forward(x), x[:, :, :3, :3])


def test_col2im_is_the_adjoint_of_the_windows():
    """<windows(x), g> = <x, scatter_windows(g)>: the backward of the window extraction, exactly."""
    x, kernel, stride, dilation = RNG.standard_normal((2, 3, 7, 8)), (3, 2), (2, 1), (1, 3)
    view = windows(x, kernel, stride, dilation)
    g = RNG.standard_normal(view.shape)
    np.testing.assert_allclose((view * g).sum(), (x * scatter_windows(g, x.shape, stride, dilation)).sum(),
                               rtol=1e-12)


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation", "expected"), [
    (6, 3, 2, 1, (0, 1)),  # out 3, total 1: the odd pixel after (TensorFlow)
    (7, 3, 2, 1, (1, 1)),  # out 4, total 2
    (9, 4, 1, 1, (1, 2)),  # stride 1, even kernel: total 3 (torch's 'same' splits it so too)
    (9, 3, 1, 2, (2, 2)),  # dilation 2: span 5
    (5, 1, 3, 1, (0, 0)),  # the formula is negative (-1): no padding
])
def test_same_padding_is_tensorflows_split(size, kernel, stride, dilation, expected):
    assert same_pads(size, kernel, stride, dilation) == expected


def test_same_output_is_ceil_of_input_over_stride():
    layer = conv2d(kernel_size=(4, 3), stride=(2, 3), padding="same")
    assert layer.forward(RNG.standard_normal((1, 3, 7, 8))).shape == (1, 4, 4, 3)


@pytest.mark.parametrize(("padding", "n", "expected"), [
    (2, 2, ((2, 2), (2, 2))), ((1, 2), 2, ((1, 1), (2, 2))), (((1, 0), (0, 2)), 2, ((1, 0), (0, 2))),
    ((2, 1), 1, ((2, 1),)), (3, 1, ((3, 3),)), ("same", 2, "same"),
])
def test_padding_forms(padding, n, expected):
    assert normalize_padding("Conv", padding, n) == expected


def test_depthwise_output_channels_follow_their_input_channel():
    """groups = in_channels, 2 filters per channel: outputs 2c and 2c+1 read channel c only (torch, Keras)."""
    layer = conv2d(filters=6, groups=3, padding="same")
    x = RNG.standard_normal((2, 3, 5, 6))
    moved = x.copy()
    moved[:, 1] += 1.0
    changed = np.abs(layer.forward(moved) - layer.forward(x)).max(axis=(0, 2, 3)) > 0
    assert changed.tolist() == [False, False, True, True, False, False]
    assert layer.params["weight"].shape == (3, 3, 1, 6)


def test_no_bias_holds_and_fills_only_the_kernel():
    layer = conv2d(use_bias=False)
    out = layer.forward(RNG.standard_normal((2, 3, 5, 5)))
    layer.backward(np.ones_like(out))
    assert list(layer.params) == list(layer.grads) == ["weight"]
    with pytest.raises(ValueError, match=r"use_bias=False takes no bias"):
        Conv2D(3, 4, 3, use_bias=False, bias=np.zeros(4))


def test_kernel_fans_cover_the_receptive_field():
    """fan_in = prod(k) * in/groups, fan_out = prod(k) * out, as Keras (HWIO) and torch (OIHW) compute."""
    assert compute_fans((3, 3, 4, 8)) == (36, 72)
    assert compute_fans((5, 4, 8)) == (20, 40)
    layer = Conv2D(64, 128, 3, rng=np.random.default_rng(0), weight_init="he_normal")
    assert abs(layer.params["weight"].std() / np.sqrt(2 / 576) - 1) < 0.02


def test_a_conv_model_trains_a_step():
    model = Sequential([build_layer({"type": "conv2d", "in_channels": 1, "filters": 2, "kernel_size": 3,
                                     "stride": 2, "padding": "same"}), build_layer({"type": "relu"}),
                        build_layer({"type": "flatten"}), build_layer({"type": "dense", "n_inputs": 18,
                                                                       "units": 3})],
                       loss=CategoricalCrossEntropy(from_logits=True), optimizer=SGD(lr=0.1))
    x, y = RNG.standard_normal((4, 1, 5, 6)), np.array([0, 1, 2, 1])
    before = model.get_params()["0.weight"].copy()
    model.train_step(x, y)
    assert not np.array_equal(model.get_params()["0.weight"], before)


# ----- bad input: ValueError naming the layer, expected and actual; nothing changed -----

def refused(layer, call, match: str) -> None:
    before = {k: v.copy() for k, v in layer.params.items()}
    with pytest.raises(ValueError, match=match):
        call(layer)
    for key, value in layer.params.items():
        np.testing.assert_array_equal(value, before[key], err_msg=f"{key} changed by a refused call")


NAME = r"Conv2D\(3->4, k=3x3, s=1x1, padding='valid'\)"
BAD_CALLS = {
    "rank": (lambda c: c.forward(np.ones((2, 3, 5))),
             NAME + r": input must be \(N, C, H, W\) with 4 axes, got shape \(2, 3, 5\)"),
    "channels": (lambda c: c.forward(np.ones((2, 4, 5, 6))),
                 NAME + r": input must have 3 channels on axis 1 \(N, C, H, W\), got shape \(2, 4, 5, 6\)"),
    "kernel larger than the input": (
        lambda c: c.forward(np.ones((2, 3, 2, 6))),
        NAME + r": the kernel spans \(3, 3\) positions, more than the padded input \(2, 6\) "
               r"\(input \(2, 6\), padding \(\(0, 0\), \(0, 0\)\)\)"),
    "grad_output shape": (lambda c: (c.forward(np.ones((2, 3, 5, 6))), c.backward(np.ones((2, 4, 3, 3)))),
                          NAME + r": grad_output must have shape \(2, 4, 3, 4\), got \(2, 4, 3, 3\)"),
}


@pytest.mark.parametrize("what", sorted(BAD_CALLS))
def test_bad_calls_are_refused_naming_the_layer(what):
    call, match = BAD_CALLS[what]
    refused(conv2d(), call, match)


def test_conv1d_input_errors_name_its_axes():
    layer = Conv1D(2, 3, 5, padding=1)
    with pytest.raises(ValueError, match=r"Conv1D\(2->3, k=5, s=1, padding=\(\(1, 1\),\)\): input must be "
                                         r"\(N, C, L\) with 3 axes, got shape \(4, 2\)"):
        layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"the kernel spans \(5,\) positions, more than the padded input "
                                         r"\(4,\) \(input \(2,\), padding \(\(1, 1\),\)\)"):
        layer.forward(np.ones((4, 2, 2)))


BAD_OPTIONS = {
    "stride 0": ({"stride": 0}, r"Conv2D: stride must be a positive int or 2 positive ints, got 0"),
    "negative dilation": ({"dilation": (1, -2)},
                          r"Conv2D: dilation must be a positive int or 2 positive ints, got \(1, -2\)"),
    "kernel of 3 sizes": ({"kernel_size": (3, 3, 3)},
                          r"Conv2D: kernel_size must be a positive int or 2 positive ints, got \(3, 3, 3\)"),
    "groups": ({"groups": 2}, r"Conv2D\(3->4, k=3x3, s=1x1, groups=2, padding='valid'\): groups=2 must "
                              r"divide in_channels=3 and filters=4"),
    "padding name": ({"padding": "full"}, r"Conv2D: padding must be 'valid', 'same' or non-negative ints, "
                                          r"got 'full'"),
    "negative padding": ({"padding": (1, -1)}, r"Conv2D: padding must be .* got \(1, -1\)"),
    "weight shape": ({"weight": np.zeros((3, 3, 4, 3))},
                     NAME + r": weight must have shape \(3, 3, 3, 4\), got \(3, 3, 4, 3\)"),
}


@pytest.mark.parametrize("what", sorted(BAD_OPTIONS))
def test_bad_options_are_refused_naming_the_layer(what):
    options, match = BAD_OPTIONS[what]
    with pytest.raises(ValueError, match=match):
        Conv2D(**{"in_channels": 3, "filters": 4, "kernel_size": 3, **options})


def test_a_spec_whose_kernel_does_not_fit_fails_when_the_case_is_resolved():
    with pytest.raises(ValueError, match=r"Conv2D\(3->4, k=5x5, .*more than the padded input \(4, 9\)"):
        output_shape({"type": "conv2d", "in_channels": 3, "filters": 4, "kernel_size": 5}, (3, 4, 9))


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match=r"Conv2D\(3->4.*backward before forward"):
        conv2d().backward(np.ones((1, 4, 3, 3)))
