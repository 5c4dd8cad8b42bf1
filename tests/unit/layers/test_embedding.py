"""Embedding: rows looked up by id, repeated ids' gradients summed, torch's padding_idx, bad ids refused."""

import numpy as np
import pytest

from scratch.layers.embedding import Embedding
from scratch.losses import CategoricalCrossEntropy
from scratch.model import Sequential
from scratch.optimizers import build_optimizer
from scratch.registry import build_layer

IDS = np.array([[1, 1, 3], [1, 0, 3]])  # id 1 three times, id 3 twice


def _layer(**options) -> Embedding:
    return Embedding(5, 2, weight=np.arange(10.0).reshape(5, 2), **options)


def test_forward_looks_up_rows_and_backward_sums_every_repeat():
    layer, g = _layer(), np.random.default_rng(0).standard_normal((2, 3, 2))
    np.testing.assert_array_equal(layer.forward(IDS), np.arange(10.0).reshape(5, 2)[IDS])
    assert layer.backward(g) is None  # ids have no gradient
    expected = np.zeros((5, 2))
    for (n, t), v in np.ndenumerate(IDS):
        expected[v] += g[n, t]
    np.testing.assert_allclose(layer.grads["weight"], expected, rtol=1e-15)
    np.testing.assert_allclose(layer.grads["weight"][1], g[0, 0] + g[0, 1] + g[1, 0], rtol=1e-15)
    assert not layer.grads["weight"][[2, 4]].any()  # ids never seen get no gradient


def test_padding_idx_is_looked_up_but_never_trained_as_torch_does():
    layer, g = _layer(padding_idx=0), np.ones((2, 3, 2))
    np.testing.assert_array_equal(layer.forward(IDS)[1, 1], [0.0, 1.0])  # row 0 as stored
    layer.backward(g)
    np.testing.assert_array_equal(layer.grads["weight"][0], [0.0, 0.0])
    np.testing.assert_array_equal(layer.grads["weight"][3], [2.0, 2.0])
    assert "padding_idx=0" in layer.name


@pytest.mark.parametrize(("ids", "message"), [
    (np.array([[1, 5]]), r"Embedding\(5x2\): ids must be in \[0, 5\), got 5 at index \(0, 1\)"),
    (np.array([[-1, 2]]), r"ids must be in \[0, 5\), got -1 at index \(0, 0\)"),
    (np.array([[1.0, 2.0]]), r"Embedding\(5x2\): ids must be integers \(int32/int64\), got dtype float64"),
    (np.array([[True, False]]), "ids must be integers .* got dtype bool"),
    (np.array([1, 2]), r"ids must have shape \(N, T\) with N >= 1, got shape \(2,\)"),
    (np.zeros((2, 3, 1), dtype=np.int64), r"ids must have shape \(N, T\) .* got shape \(2, 3, 1\)"),
    (np.zeros((0, 3), dtype=np.int64), r"got shape \(0, 3\)"),
    ([[1, 2]], "ids must be a numpy.ndarray of integers, got list"),
])
def test_bad_ids_are_refused_naming_the_layer_and_nothing_changes(ids, message):
    layer = _layer()
    layer.forward(IDS)
    before = layer.params["weight"].copy()
    with pytest.raises(ValueError, match=message):
        layer.forward(ids)
    assert layer.ids is IDS  # the last good forward is still what backward uses
    np.testing.assert_array_equal(layer.params["weight"], before)


def test_bad_options_and_gradients_are_refused():
    with pytest.raises(ValueError, match="Embedding: vocab_size must be an integer >= 1, got 0"):
        Embedding(0, 2)
    with pytest.raises(ValueError, match=r"Embedding\(5x2\): padding_idx must be an integer in \[0, 5\)"):
        Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match=r"Embedding\(5x2\): weight must have shape \(5, 2\), got \(2, 5\)"):
        Embedding(5, 2, weight=np.zeros((2, 5)))
    layer = _layer()
    with pytest.raises(RuntimeError, match="backward before forward"):
        layer.backward(np.zeros((2, 3, 2)))
    layer.forward(IDS)
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 3, 2\), got \(2, 3\)"):
        layer.backward(np.zeros((2, 3)))


def test_a_sequential_model_takes_ids_in_fit_predict_and_evaluate():
    rng = np.random.default_rng(3)
    model = Sequential([build_layer({"type": "embedding", "vocab_size": 6, "embedding_dim": 3}),
                        build_layer({"type": "lstm", "n_inputs": 3, "units": 4}),
                        build_layer({"type": "dense", "n_inputs": 4, "units": 2})],
                       loss=CategoricalCrossEntropy(from_logits=True),
                       optimizer=build_optimizer("adam", lr=0.05))
    x = rng.integers(0, 6, (32, 5))
    y = (x == 2).any(axis=1).astype(np.int64)
    history = model.fit(x, y, epochs=20, batch_size=8)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert model.predict(x[:3]).shape == (3, 2) and set(model.evaluate(x, y)) == {"loss", "accuracy"}
    with pytest.raises(ValueError, match=r"Embedding\(6x3\): ids must be integers"):
        model.predict(x.astype(np.float64))
    with pytest.raises(ValueError, match="y must have 32 rows"):
        model.evaluate(x, y[:5])
