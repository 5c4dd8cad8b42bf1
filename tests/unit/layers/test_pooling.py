"""Pooling layers: bad input, TF's 'same' split, -inf padding, the tie rule, both divisor conventions, and
the vectorized layers against plain loops over output pixels (docs/conventions.md §18)."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from comparisons.cases import case_by_id
from comparisons.data.batches import draw_case_data
from scratch.layers import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from scratch.layers.windows import same_pads
from scratch.registry import build_layer, output_shape

RNG = np.random.default_rng(7)


# ----- bad input -----

@pytest.mark.parametrize("layer", [MaxPool2D(2), AvgPool2D((2, 3), 1, "same"), GlobalAvgPool2D()], ids=repr)
@pytest.mark.parametrize("shape", [(4, 5), (2, 4, 5), (1, 2, 3, 4, 5)])
def test_wrong_rank_names_the_layer_and_both_shapes(layer, shape):
    with pytest.raises(ValueError) as caught:
        layer.forward(RNG.standard_normal(shape))
    message = str(caught.value)
    assert message.startswith(layer.name) and "(N, C, H, W)" in message and str(shape) in message


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_a_pool_larger_than_the_padded_input_is_refused(cls):
    layer = cls((3, 5), padding="valid")
    with pytest.raises(ValueError, match=r"pool W = 5 is larger than the padded input W = 4 \(input W = 4, "
                                         r"padding 0\+0\)") as caught:
        layer.forward(RNG.standard_normal((2, 1, 6, 4)))
    assert str(caught.value).startswith(f"{cls.__name__}(k=(3, 5), s=(3, 5), padding='valid'")
    with pytest.raises(ValueError, match="pool H = 3 is larger than the padded input H = 2"):
        output_shape({"type": cls.kind, "pool_size": 3}, (1, 2, 8))  # a case's spec fails as it resolves
    assert cls(5, 3, "same").forward(RNG.standard_normal((1, 1, 2, 2))).shape == (1, 1, 1, 1)  # padded: fits


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize(("pool", "stride"), [(0, None), (-2, None), ((2, 0), None), (2.0, None),
                                              (True, None), ((2, 2, 2), None), (2, 0), (2, (1, -1))])
def test_non_positive_or_malformed_pool_size_and_stride_are_refused(cls, pool, stride):
    bad, what = (stride, "stride") if stride is not None else (pool, "pool_size")
    expected = f"{cls.__name__}: {what} must be a positive int or 2 positive ints, got {bad!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        cls(pool, stride)


def test_bad_padding_and_divisor_options_are_refused():
    with pytest.raises(ValueError, match="MaxPool2D: padding must be one of valid, same, got 'SAME'"):
        MaxPool2D(2, padding="SAME")
    with pytest.raises(ValueError, match=r"AvgPool2D\(k=\(2, 2\).*count_include_pad must be True or False, "
                                         r"got 1"):
        AvgPool2D(2, count_include_pad=1)


def test_a_refused_forward_leaves_the_last_pass_intact_and_backward_checks_its_input():
    layer = MaxPool2D(2)
    with pytest.raises(RuntimeError, match="backward before forward"):
        layer.backward(np.ones((1, 1, 1, 1)))
    x = RNG.standard_normal((2, 3, 4, 4))
    out = layer.forward(x)
    expected = layer.backward(np.ones_like(out))
    with pytest.raises(ValueError):
        layer.forward(RNG.standard_normal((2, 3, 1, 4)))
    np.testing.assert_array_equal(layer.backward(np.ones_like(out)), expected)
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 3, 2, 2\), got \(2, 3, 2, 3\)"):
        layer.backward(np.ones((2, 3, 2, 3)))


# ----- conventions -----

@pytest.mark.parametrize(("size", "pool", "stride", "expected"), [
    (7, 3, 2, (1, 1)), (6, 3, 2, (0, 1)), (5, 4, 2, (1, 2)), (7, 2, 2, (0, 1)), (6, 2, 3, (0, 0)),
    (7, 2, 3, (0, 1)), (5, 3, 1, (1, 1)), (5, 2, 1, (0, 1)), (8, 2, 2, (0, 0))])
def test_same_padding_is_tensorflows_split_odd_pixel_after(size, pool, stride, expected):
    assert same_pads(size, pool, stride, 1) == expected
    before, after = expected
    assert (size + before + after - pool) // stride + 1 == -(-size // stride)  # out = ceil(in / s)


def test_max_pool_pads_with_minus_infinity_not_zero():
    x = -np.arange(1.0, 26.0).reshape(1, 1, 5, 5)  # all negative: a 0 pad would win every border window
    out = MaxPool2D(2, 2, "same").forward(x)  # pads (0, 1) / (0, 1)
    np.testing.assert_array_equal(out[0, 0], [[-1, -3, -5], [-11, -13, -15], [-21, -23, -25]])


def test_ties_go_to_the_first_maximum_in_row_major_window_order():
    """Values measured with torch and TF on the CPU (docs/conventions.md §18)."""
    layer = MaxPool2D(2, 2)
    x = np.array([[1, 2, 2, 0], [2, 1, 0, 2], [0, 0, 3, 3], [0, 0, 3, 3]], dtype=float)[None, None]
    layer.forward(x)
    grad = layer.backward(np.ones((1, 1, 2, 2)))[0, 0]
    assert sorted(zip(*np.nonzero(grad), strict=True)) == [(0, 1), (0, 2), (2, 0), (2, 2)]
    overlapping = MaxPool2D(2, 1)
    overlapping.forward(np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(overlapping.backward(np.ones((1, 1, 2, 2)))[0, 0],
                                  [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_the_two_divisor_conventions_differ_only_where_a_window_holds_padding():
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    exclude = AvgPool2D(3, 1, "same").forward(x)[0, 0]
    include = AvgPool2D(3, 1, "same", count_include_pad=True).forward(x)[0, 0]
    assert exclude[0, 0] == 3.5 and include[0, 0] == pytest.approx(14 / 9)  # TF 'same'; torch's default
    np.testing.assert_array_equal(exclude[1:3, 1:3], include[1:3, 1:3])
    assert np.all(exclude[0] != include[0])
    np.testing.assert_array_equal(AvgPool2D(2).forward(x), AvgPool2D(2, count_include_pad=True).forward(x))


@pytest.mark.parametrize("case_id", ["maxpool2d_ties_same_k2_s1", "maxpool2d_ties_valid_k3x2_s2x1",
                                     "neg_maxpool_gradient_to_every_tie"])
def test_the_tie_cases_plant_tied_maxima(case_id):
    case = case_by_id(case_id)
    spec = case.model_spec()
    batch, _ = draw_case_data(spec, case.data, case.seed)
    windows = build_layer(spec["layers"][0])._windows(batch.x)
    tied = (windows == windows.max(axis=(2, 3), keepdims=True)).sum(axis=(2, 3)) > 1
    assert tied.sum() >= 10, f"{case_id}: only {tied.sum()} of {tied.size} windows have tied maxima"


# ----- the vectorized layers against loops over output pixels -----

def _loop_pool(x, pool, stride, padding, reduce, include_pad=True):
    """(output, Jacobian-free backward) by plain loops: each output pixel's window, TF's split."""
    (kh, kw), (sh, sw) = pool, stride
    n, c, h, w = x.shape
    (top, bottom), (left, right) = ((same_pads(h, kh, sh, 1), same_pads(w, kw, sw, 1)) if padding == "same"
                                    else ((0, 0), (0, 0)))
    oh, ow = (h + top + bottom - kh) // sh + 1, (w + left + right - kw) // sw + 1
    out, picks = np.zeros((n, c, oh, ow)), {}
    for b, ch, p, q in itertools.product(range(n), range(c), range(oh), range(ow)):
        rows = [r for r in range(p * sh - top, p * sh - top + kh)]
        cols = [s for s in range(q * sw - left, q * sw - left + kw)]
        inside = [(r, s) for r in rows for s in cols if 0 <= r < h and 0 <= s < w]  # row-major order
        values = [x[b, ch, r, s] for r, s in inside]
        if reduce == "max":
            out[b, ch, p, q] = max(values)
            picks[b, ch, p, q] = [inside[values.index(max(values))]], 1.0
        else:
            divisor = kh * kw if include_pad else len(inside)
            out[b, ch, p, q] = sum(values) / divisor
            picks[b, ch, p, q] = inside, 1.0 / divisor
    return out, picks


@pytest.mark.parametrize("seed", range(12))
def test_vectorized_layers_equal_loops_over_output_pixels(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(3, 9, 2)
    pool, stride = tuple(rng.integers(1, 4, 2)), tuple(rng.integers(1, 4, 2))
    padding = ("valid", "same")[seed % 2]
    x = np.round(rng.uniform(-2, 2, (2, 2, h, w)) * 2) / 2  # a 0.5 grid: ties in the max windows
    for reduce, include_pad in (("max", True), ("avg", False), ("avg", True)):
        layer = (MaxPool2D(pool, stride, padding) if reduce == "max"
                 else AvgPool2D(pool, stride, padding, count_include_pad=include_pad))
        if min(h, w) < max(pool) and padding == "valid":
            continue
        expected, picks = _loop_pool(x, pool, stride, padding, reduce, include_pad)
        np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-14, err_msg=f"{layer} forward")
        g = rng.standard_normal(expected.shape)
        grad = np.zeros_like(x)
        for (b, ch, p, q), (elements, weight) in picks.items():
            for r, s in elements:
                grad[b, ch, r, s] += g[b, ch, p, q] * weight
        np.testing.assert_allclose(layer.backward(g), grad, rtol=1e-13, atol=1e-15,
                                   err_msg=f"{layer} backward")


def test_global_average_pool_is_the_spatial_mean_and_spreads_its_gradient_evenly():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    layer = GlobalAvgPool2D()
    out = layer.forward(x)
    assert out.shape == (2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, x.mean(axis=(2, 3)), rtol=1e-6)
    g = RNG.standard_normal((2, 3)).astype(np.float32)
    spread = np.broadcast_to(g[:, :, None, None] / 20, x.shape)  # H*W = 20
    np.testing.assert_allclose(layer.backward(g), spread, rtol=1e-6)
    assert output_shape({"type": "global_avgpool2d"}, (3, 4, 5)) == (3,)
