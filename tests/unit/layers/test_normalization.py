"""Normalization layers: the BatchNorm conventions as exact formulas, inference, affine off, LayerNorm and
RMSNorm over a whole sample, and bad input refused naming the layer with nothing half-updated."""

from __future__ import annotations

import numpy as np
import pytest

from scratch.layers import BatchNorm1D, BatchNorm2D, LayerNorm, RMSNorm
from scratch.registry import buffer_shapes, build_layer, layer_type, parameter_shapes


def rows(n: int = 6, features: int = 3, seed: int = 0) -> np.ndarray:
    """Rows with a different mean and spread per feature."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)) * [1.0, 2.0, 0.5] + [0.5, -1.0, 3.0]


def with_running(layer, mean, var):
    layer.buffers["running_mean"][...] = mean
    layer.buffers["running_var"][...] = var
    return layer


def test_training_normalizes_with_the_biased_batch_variance():
    x = rows()
    layer = BatchNorm1D(3, eps=1e-5)
    layer.params["gamma"][...] = [1.5, 0.5, 2.0]
    layer.params["beta"][...] = [0.1, -0.2, 0.3]
    out = layer.forward(x, training=True)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * [1.5, 0.5, 2.0] + [0.1, -0.2, 0.3]
    np.testing.assert_allclose(out, expected, rtol=1e-13)


@pytest.mark.parametrize("n", [2, 3, 8])
def test_running_variance_unbiased_and_biased_differ_by_exactly_n_over_n_minus_1(n):
    """torch stores var_B n/(n-1) in running_var (running_variance='unbiased'), Keras var_B ('biased'):
    after one step from r0 with batch weight m, unbiased - biased = m var_B / (n - 1), exactly."""
    x, r0, m = rows(n), np.array([0.7, 1.3, 2.0]), 0.25
    torch_form = with_running(BatchNorm1D(3, momentum=m, running_variance="unbiased"), 0.0, r0)
    keras_form = with_running(BatchNorm1D(3, momentum=m, running_variance="biased"), 0.0, r0)
    out_torch, out_keras = torch_form.forward(x, training=True), keras_form.forward(x, training=True)
    np.testing.assert_array_equal(out_torch, out_keras)  # the batch is normalized alike
    var_b = x.var(axis=0)
    np.testing.assert_allclose(torch_form.buffers["running_var"], (1 - m) * r0 + m * var_b * n / (n - 1),
                               rtol=1e-14)
    np.testing.assert_allclose(keras_form.buffers["running_var"], (1 - m) * r0 + m * var_b, rtol=1e-14)
    np.testing.assert_allclose(torch_form.buffers["running_var"] - keras_form.buffers["running_var"],
                               m * var_b / (n - 1), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(torch_form.buffers["running_mean"], keras_form.buffers["running_mean"])


def test_the_two_momentum_conventions_are_complements():
    """torch momentum m weighs the batch, Keras momentum the old value: torch 0.1 == Keras 0.9."""
    x, r0 = rows(), np.array([0.5, -0.5, 1.0])
    torch_form = with_running(BatchNorm1D(3, momentum=0.1), r0, 1.0)
    keras_form = with_running(BatchNorm1D(3, momentum=0.9, momentum_convention="keras"), r0, 1.0)
    torch_form.forward(x, training=True)
    keras_form.forward(x, training=True)
    np.testing.assert_allclose(torch_form.buffers["running_mean"], 0.9 * r0 + 0.1 * x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(keras_form.buffers["running_mean"], torch_form.buffers["running_mean"],
                               rtol=1e-14)
    np.testing.assert_allclose(keras_form.buffers["running_var"], torch_form.buffers["running_var"],
                               rtol=1e-14)


def test_default_momentum_follows_the_convention_and_defaults_are_torchs():
    assert BatchNorm1D(2).momentum == 0.1 and BatchNorm1D(2).eps == 1e-5
    assert BatchNorm1D(2, momentum_convention="keras").momentum == 0.99
    assert BatchNorm1D(2).running_variance == "unbiased" and LayerNorm((2,)).eps == 1e-5
    assert RMSNorm((2,)).eps == 1e-6


def test_inference_uses_the_running_statistics_and_leaves_them_alone():
    x = rows()
    layer = with_running(BatchNorm2D(3, eps=1e-3), [0.5, -1.0, 2.0], [2.0, 0.5, 1.5])
    images = np.broadcast_to(x[:, :, None, None], (6, 3, 2, 4)).copy()
    out = layer.forward(images, training=False)
    expected = (images - np.array([0.5, -1.0, 2.0])[:, None, None]) / np.sqrt(
        np.array([2.0, 0.5, 1.5])[:, None, None] + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    assert layer.buffers["running_mean"].tolist() == [0.5, -1.0, 2.0]
    grad = np.random.default_rng(1).standard_normal(out.shape)
    rstd = 1 / np.sqrt(np.array([2.0, 0.5, 1.5]) + 1e-3)
    np.testing.assert_allclose(layer.backward(grad), grad * rstd[:, None, None], rtol=1e-14)


def test_batchnorm2d_takes_statistics_over_batch_and_pixels_per_channel():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)) + np.array([1.0, -2.0, 0.5])[:, None, None]
    out = BatchNorm2D(3).forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-14)
    variance = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), variance / (variance + 1e-5))
    layer = BatchNorm2D(3, momentum=1.0)
    layer.forward(x[:1], training=True)  # one image still has 20 values per channel
    np.testing.assert_allclose(layer.buffers["running_var"], x[:1].var(axis=(0, 2, 3)) * 20 / 19)


def test_affine_off_has_no_parameters_in_the_layer_or_its_record():
    spec = {"type": "batchnorm1d", "num_features": 3, "affine": False}
    layer = build_layer(spec)
    assert layer.params == {} and parameter_shapes(spec) == {}
    assert buffer_shapes(spec) == {"running_mean": (3,), "running_var": (3,)}
    record = layer_type("batchnorm1d")
    assert [t.name for t in record.params_of({**spec, "affine": True})] == ["gamma", "beta"]
    x = rows()
    layer.forward(x, training=True)
    layer.backward(np.ones_like(x))
    assert layer.grads == {}


@pytest.mark.parametrize("cls", [LayerNorm, RMSNorm])
def test_sample_norms_normalize_each_image_over_all_its_values(cls):
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5)) * 3 + 1
    layer = cls((3, 4, 5), eps=1e-6)
    out = layer.forward(x)
    flat = out.reshape(2, -1)
    if cls is LayerNorm:
        np.testing.assert_allclose(flat.mean(axis=1), 0.0, atol=1e-14)
        np.testing.assert_allclose(flat.std(axis=1), 1.0, rtol=1e-6)
    else:
        np.testing.assert_allclose(np.sqrt((flat**2).mean(axis=1)), 1.0, rtol=1e-6)
    assert layer.params["gamma"].shape == (3, 4, 5)


# ----- bad input: ValueError naming the layer, buffers unchanged -----

def refuses(layer, x, training: bool, *fragments: str) -> None:
    before = {k: v.copy() for k, v in (*layer.params.items(), *layer.buffers.items())}
    with pytest.raises(ValueError) as caught:
        layer.forward(x, training=training)
    for fragment in (type(layer).__name__, *fragments):
        assert fragment in str(caught.value), f"{fragment!r} not in {caught.value}"
    for key, value in (*layer.params.items(), *layer.buffers.items()):
        np.testing.assert_array_equal(value, before[key], err_msg=key)


@pytest.mark.parametrize(("layer", "x", "fragments"), [
    (BatchNorm1D(3), np.ones((4, 3, 2)), ("(N, 3)", "(4, 3, 2)")),
    (BatchNorm1D(3), np.ones((4, 5)), ("(N, 3)", "(4, 5)")),
    (BatchNorm2D(3), np.ones((4, 3)), ("(N, 3, H, W)", "(4, 3)")),
    (BatchNorm2D(3), np.ones((2, 4, 5, 5)), ("(N, 3, H, W)", "(2, 4, 5, 5)")),
    (LayerNorm((3, 4, 5)), np.ones((2, 3, 4, 4)), ("('N', 3, 4, 5)", "(2, 3, 4, 4)")),
    (RMSNorm((5,)), np.ones((2, 4)), ("('N', 5)", "(2, 4)")),
], ids=["bn1d_rank", "bn1d_features", "bn2d_rank", "bn2d_channels", "layernorm_shape", "rmsnorm_width"])
def test_wrong_rank_or_width_is_refused_with_both_shapes(layer, x, fragments):
    refuses(layer, x, True, *fragments)


@pytest.mark.parametrize(("layer", "x"), [(BatchNorm1D(3), np.ones((1, 3))),
                                          (BatchNorm2D(2), np.ones((1, 2, 1, 1)))],
                         ids=["bn1d_batch1", "bn2d_one_pixel"])
def test_training_on_one_value_per_channel_is_refused_and_inference_is_not(layer, x):
    with_running(layer, 0.25, 2.0)
    refuses(layer, x, True, "more than 1 value per channel", str(x.shape))
    assert layer.forward(x, training=False).shape == x.shape


@pytest.mark.parametrize(("build", "fragment"), [
    (lambda: BatchNorm1D(3, eps=0.0), "eps must be a finite number in (0.0, inf]"),
    (lambda: BatchNorm2D(3, eps=-1e-5), "eps"),
    (lambda: LayerNorm((3,), eps=0), "eps"),
    (lambda: RMSNorm((3,), eps=-1.0), "eps"),
    (lambda: BatchNorm1D(3, momentum=1.5), "momentum must be a finite number in [0.0, 1.0], got 1.5"),
    (lambda: BatchNorm2D(3, momentum=-0.1), "momentum"),
    (lambda: BatchNorm1D(3, momentum_convention="tf"), "momentum_convention must be one of 'torch', 'keras'"),
    (lambda: BatchNorm1D(3, running_variance="sample"), "running_variance must be one of"),
    (lambda: BatchNorm1D(0), "num_features must be an integer >= 1"),
])
def test_bad_options_are_refused_naming_the_layer(build, fragment):
    with pytest.raises(ValueError) as caught:
        build()
    assert fragment in str(caught.value)
    assert str(caught.value).split(":")[0] in ("BatchNorm1D", "BatchNorm2D", "LayerNorm", "RMSNorm")


def test_the_error_names_the_layers_options():
    with pytest.raises(ValueError, match=r"BatchNorm1D\(3, momentum=0\.99 \(keras\), eps=0\.001\): input"):
        BatchNorm1D(3, momentum_convention="keras", eps=1e-3).forward(np.ones((2, 4)), training=False)


@pytest.mark.parametrize("offset", range(5))
def test_the_batch_of_two_case_keeps_its_samples_apart_in_every_feature(offset):
    """bn1d_train_batch2's backward cancels terms of size gamma/sqrt(var + eps) (docs/conventions.md §19):
    alternate_signs keeps |x1 - x2| >= 2*low, so 1/sqrt(var) <= 1/low at every seed offset."""
    from comparisons.cases import case_by_id
    from comparisons.data.batches import draw_case_data

    case = case_by_id("bn1d_train_batch2")
    batch, _ = draw_case_data(case.model_spec(), case.data, case.seed + offset)
    gap = np.abs(batch.x[0] - batch.x[1])
    assert batch.x.shape[0] == 2 and np.all(np.sign(batch.x[0]) == -np.sign(batch.x[1]))
    assert gap.min() >= 2 * case.data["low"], gap
