"""MultiHeadAttention: gradients for every option, masks, the weights, Layout.split, bad input."""

import numpy as np
import pytest

from reference.layouts import Layout, LayoutError
from scratch.layers.attention import MultiHeadAttention
from tests.helpers.gradcheck import check_layer_gradients

E, STEPS = 8, 5

FORMS = [{"num_heads": 2}, {"num_heads": 4, "causal": True}, {"num_heads": 2, "valid_lengths": (5, 2, 3)},
         {"num_heads": 4, "causal": True, "valid_lengths": (3, 1, 5), "residual": True},
         {"num_heads": 8, "float32_scale": True}]


def _layer(seed=0, dtype=np.float64, num_heads=2, **options):
    layer = MultiHeadAttention(E, num_heads, dtype=dtype, **options)
    rng = np.random.default_rng(seed)
    for value in layer.params.values():
        value[...] = 0.5 * rng.standard_normal(value.shape)  # non-zero biases
    return layer


def _x(n=3, steps=STEPS, dtype=np.float64, seed=1):
    return np.random.default_rng(seed).standard_normal((n, steps, E)).astype(dtype)


@pytest.mark.parametrize("options", FORMS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_gradients_match_finite_differences(options):
    check_layer_gradients(_layer(**options), _x(), np.random.default_rng(2))


def test_a_given_key_mask_gets_the_gradients_of_its_masked_forward():
    layer, x, rng = _layer(num_heads=4), _x(), np.random.default_rng(3)
    key_mask = np.arange(STEPS) < np.array([2, 5, 4])[:, None]
    forward = layer.forward
    layer.forward = lambda inputs, training=False: forward(inputs, training, key_mask=key_mask)
    check_layer_gradients(layer, x, rng)
    same = _layer(num_heads=4, valid_lengths=(2, 5, 4))
    np.testing.assert_array_equal(same.forward(x), forward(x, key_mask=key_mask))


def test_weights_sum_to_one_over_the_keys_and_masked_keys_get_exactly_zero():
    layer = _layer(num_heads=2, causal=True, valid_lengths=(5, 2, 3))
    layer.forward(_x())
    weights = layer.internals["weights"]
    assert weights.shape == (3, 2, STEPS, STEPS)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(np.triu(weights, 1) == 0)  # no future key
    assert np.all(weights[1, :, :, 2:] == 0) and np.all(weights[2, :, :, 3:] == 0)  # no padded key
    assert np.all(weights[0][np.tril(np.ones((STEPS, STEPS), bool))[None].repeat(2, 0)] > 0)


def test_one_head_of_size_e_is_the_textbook_formula():
    layer, x = _layer(num_heads=1), _x()
    p = layer.params
    q, k, v = (x @ p[f"{n}_kernel"] + p[f"{n}_bias"] for n in "qkv")
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(E)
    weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(layer.forward(x), weights @ v @ p["out_kernel"] + p["out_bias"], rtol=1e-12)


def test_float32_scale_rounds_one_over_sqrt_d_as_keras_does():
    x = _x()
    plain, rounded = _layer(num_heads=4), _layer(num_heads=4, float32_scale=True)  # D = 2
    difference = np.abs(plain.forward(x) - rounded.forward(x)).max()
    assert 0 < difference < 1e-6
    assert np.array_equal(_layer(num_heads=2).forward(x), _layer(num_heads=2, float32_scale=True).forward(x))


def test_dtype_is_kept_in_float32():
    layer = _layer(dtype=np.float32, num_heads=2, causal=True)
    out = layer.forward(_x(dtype=np.float32))
    grad = layer.backward(np.ones_like(out))
    assert out.dtype == grad.dtype == layer.internals["weights"].dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


# ----- Layout.split: Keras's per-head kernels as views of the scratch (E, E) -----

def test_a_split_layout_is_a_row_major_view_both_ways_and_refuses_sizes_that_do_not_multiply():
    kernel = np.arange(24.0).reshape(4, 6)  # scratch (E=4, E'=6): keras (4, H=3, D=2)
    layout = Layout("kernel", split=1)
    moved = layout.to_framework(kernel, (4, 3, 2), "tf 0.q_kernel")
    np.testing.assert_array_equal(moved[:, 1], kernel[:, 2:4])  # head 1 owns columns 2:4
    np.testing.assert_array_equal(layout.from_framework(moved), kernel)
    out = Layout("out_kernel", split=0)
    np.testing.assert_array_equal(out.to_framework(kernel, (2, 2, 6), "o")[1], kernel[2:])
    np.testing.assert_array_equal(out.from_framework(out.to_framework(kernel, (2, 2, 6), "o")), kernel)
    with pytest.raises(LayoutError, match=r"tf 0\.q_kernel: scratch shape \(4, 6\)"):
        layout.to_framework(kernel, (4, 4, 2), "tf 0.q_kernel")  # 4 * 2 != 6
    with pytest.raises(LayoutError, match="has shape"):
        Layout("kernel").to_framework(kernel, (4, 3, 2), "tf")  # no split declared: never reshaped


# ----- bad input: a ValueError naming the layer, expected and actual shapes, nothing half-updated -----

@pytest.mark.parametrize(("x", "match"), [
    (np.zeros((3, E)), r"MultiHeadAttention\(E=8, heads=2\): input must have shape \(N, T, E=8\).*\(3, 8\)"),
    (np.zeros((3, STEPS, E + 1)), r"MultiHeadAttention\(E=8, heads=2\).*E=8.*got shape \(3, 5, 9\)"),
    (np.zeros((3, 0, E)), r"T >= 1, got shape \(3, 0, 8\)"),
])
def test_an_input_of_the_wrong_rank_or_width_is_refused_and_nothing_changes(x, match):
    layer = _layer()
    layer.forward(_x())
    before = (layer.cache, layer.internals)
    with pytest.raises(ValueError, match=match):
        layer.forward(x)
    assert (layer.cache, layer.internals) == before


def test_e_not_divisible_by_the_heads_is_refused():
    with pytest.raises(ValueError, match=r"MultiHeadAttention\(E=8, heads=3\): embed_dim E=8 must be "
                                         r"divisible by num_heads H=3"):
        MultiHeadAttention(8, 3)
    with pytest.raises(ValueError, match="num_heads must be an integer >= 1"):
        MultiHeadAttention(8, 0)


@pytest.mark.parametrize(("options", "key_mask", "match"), [
    ({}, np.ones((3, STEPS + 1), bool), r"key_mask must be a boolean array of shape \(N=3, T=5\).*"
                                        r"of shape \(3, 6\)"),
    ({}, np.ones((2, STEPS), bool), r"shape \(N=3, T=5\).*of shape \(2, 5\)"),
    ({}, np.ones((3, STEPS)), r"key_mask must be a boolean array.*float64"),
    ({"valid_lengths": (5, 2)}, None, r"valid_lengths=\(5, 2\)\): valid_lengths must be N=3 lengths in "
                                      r"\[1, T=5\], got 2 lengths"),
    ({"valid_lengths": (5, 2, 6)}, None, r"N=3 lengths in \[1, T=5\], got 3 lengths \(5, 2, 6\)"),
    ({}, np.zeros((3, STEPS), bool), "every query must be allowed at least one key"),
])
def test_a_mask_of_the_wrong_shape_is_refused_and_nothing_changes(options, key_mask, match):
    layer = _layer(**options)
    params = {k: v.copy() for k, v in layer.params.items()}
    with pytest.raises(ValueError, match=match):
        layer.forward(_x(), key_mask=key_mask)
    assert layer.cache is None and layer.internals == {}
    assert all(np.array_equal(params[k], v) for k, v in layer.params.items())


def test_bad_options_and_a_wrong_upstream_gradient_are_refused():
    with pytest.raises(ValueError, match="valid_lengths must be integers >= 1"):
        MultiHeadAttention(E, 2, valid_lengths=(3, 0))
    layer = _layer()
    with pytest.raises(RuntimeError, match="backward before forward"):
        layer.backward(np.zeros((3, STEPS, E)))
    layer.forward(_x())
    with pytest.raises(ValueError, match=r"MultiHeadAttention\(E=8, heads=2\).*grad_output"):
        layer.backward(np.zeros((3, STEPS, E + 1)))
    assert layer.grads == {}
