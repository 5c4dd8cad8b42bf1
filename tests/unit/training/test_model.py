"""Sequential's training API: train_step, fit (batching, order, history), predict, evaluate, accuracy."""

import numpy as np
import pytest

from scratch import CategoricalCrossEntropy, Dense, ReLU, Sequential, Softmax
from scratch.activations import Sigmoid
from scratch.datasets import and_gate, binary_targets, chronological_split, sine_data, spiral_data, xor
from scratch.layers import Layer
from scratch.losses import BinaryCrossEntropy, MeanSquaredError
from scratch.metrics import binary_accuracy, categorical_accuracy, regression_accuracy
from scratch.optimizers import SGD, Adam


class StandInSGD:
    """theta -= lr * g, in place: the optimizer interface with nothing else in it."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, params: dict, grads: dict) -> None:
        for key, param in params.items():
            param -= self.lr * grads[key]


class Recorder(Layer):
    """Identity layer that records each training batch's first column (the row ids) and the mode."""

    kind = "identity"

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []
        self.modes: list[bool] = []

    def forward(self, inputs, training=False):
        self.modes.append(training)
        if training:
            self.batches.append([int(v) for v in inputs[:, 0]])
        return inputs

    def backward(self, grad_output):
        return grad_output


def make_model(dtype=np.float64, optimizer=None, seed=0, name="Sequential", **dense_options) -> Sequential:
    """Dense(2,5)-ReLU-Dense(5,3)-Softmax + CCE, random weights and non-zero biases."""
    rng = np.random.default_rng(seed)
    return Sequential(
        [
            Dense(2, 5, rng.standard_normal((2, 5)), rng.uniform(0.1, 0.5, 5), dtype=dtype, **dense_options),
            ReLU(),
            Dense(5, 3, rng.standard_normal((5, 3)), rng.uniform(-0.5, -0.1, 3), dtype=dtype),
            Softmax(),
        ],
        loss=CategoricalCrossEntropy(),
        optimizer=optimizer,
        name=name,
    )


def make_batch(n=10, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)).astype(dtype), rng.integers(0, 3, n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_train_step_moves_every_param_by_exactly_minus_lr_times_grad(dtype):
    x, y = make_batch(dtype=dtype)
    reference = make_model(dtype)
    reference.forward(x, training=True)
    loss_before = float(reference.loss_value(y))
    reference.backward_from_loss(y)
    grads = {key: g.copy() for key, g in reference.get_grads().items()}

    model = make_model(dtype, optimizer=StandInSGD(0.1))
    before = model.get_params()
    result = model.train_step(x, y)

    after = model.get_params()
    assert after.keys() == before.keys() == grads.keys()
    for key in before:
        assert after[key].dtype == dtype
        np.testing.assert_array_equal(after[key], before[key] - dtype(0.1) * grads[key], err_msg=key)
    assert result["loss"] == loss_before  # taken before the update
    assert model.evaluate(x, y)["loss"] < loss_before  # the update did change the loss


def test_train_step_with_the_scratch_sgd_equals_the_stand_in():
    x, y = make_batch()
    stand_in, scratch_sgd = make_model(optimizer=StandInSGD(0.5)), make_model(optimizer=SGD(lr=0.5))
    for _ in range(3):
        assert stand_in.train_step(x, y) == scratch_sgd.train_step(x, y)
    for key, value in stand_in.get_params().items():
        np.testing.assert_array_equal(scratch_sgd.get_params()[key], value, err_msg=key)


def test_regularization_is_the_sum_over_layers_taken_before_the_update():
    x, y = make_batch()
    model = make_model(optimizer=StandInSGD(0.1), weight_l2=0.01, bias_l1=0.02)
    first = model.layers[0].params
    expected = 0.01 * float((first["weight"] ** 2).sum()) + 0.02 * float(np.abs(first["bias"]).sum())
    assert model.regularization_loss() == pytest.approx(expected, rel=1e-15)
    result = model.train_step(x, y)
    assert result["regularization"] == pytest.approx(expected, rel=1e-15)
    assert result["total"] == result["loss"] + result["regularization"]
    assert model.regularization_loss() != result["regularization"]


def recorded_model(optimizer=None) -> tuple[Sequential, Recorder]:
    model = make_model(optimizer=optimizer or StandInSGD(0.1))
    recorder = Recorder()
    model.layers.insert(0, recorder)
    return model, recorder


def row_id_batch(n=10):
    """x[:, 0] = row index, so the Recorder sees which rows went into each step."""
    x, y = make_batch(n)
    x[:, 0] = np.arange(n)
    return x, y


def test_fit_keeps_the_partial_last_batch_and_takes_rows_in_order_without_rng():
    x, y = row_id_batch(10)
    model, recorder = recorded_model()
    history = model.fit(x, y, epochs=2, batch_size=4)
    assert recorder.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2
    assert len(history["step_loss"]) == 6 and len(history["loss"]) == 2
    steps = history["step_loss"][:3]
    assert history["loss"][0] == pytest.approx((4 * steps[0] + 4 * steps[1] + 2 * steps[2]) / 10, rel=1e-14)


@pytest.mark.parametrize("batch_size", [None, 10, 64])
def test_fit_full_batch_is_one_step_per_epoch(batch_size):
    x, y = row_id_batch(10)
    model, recorder = recorded_model()
    history = model.fit(x, y, epochs=3, batch_size=batch_size)
    assert recorder.batches == [list(range(10))] * 3
    assert history["step_loss"] == history["loss"]


def test_fit_shuffles_only_with_a_generator_and_the_same_seed_gives_the_same_order():
    x, y = row_id_batch(10)
    orders = []
    for seed in (7, 7, 8):
        model, recorder = recorded_model()
        model.fit(x, y, epochs=2, batch_size=4, shuffle_rng=np.random.default_rng(seed))
        orders.append(recorder.batches)
        for epoch in (recorder.batches[:3], recorder.batches[3:]):
            assert sorted(sum(epoch, [])) == list(range(10))  # each epoch is a permutation
            assert [len(b) for b in epoch] == [4, 4, 2]
    assert orders[0] == orders[1] and orders[0] != orders[2]
    assert sum(orders[0][:3], []) != list(range(10))
    with pytest.raises(TypeError, match="shuffle_rng must be a numpy.random.Generator"):
        recorded_model()[0].fit(x, y, epochs=1, shuffle_rng=7)


def test_the_first_step_loss_is_the_loss_of_the_initial_model():
    x, y = make_batch()
    initial = make_model().evaluate(x, y)
    history = make_model(optimizer=StandInSGD(0.1)).fit(x, y, epochs=3)
    assert history["step_loss"][0] == initial["loss"]
    assert history["step_accuracy"][0] == initial["accuracy"]
    assert history["loss"][2] < history["loss"][0]


def test_fit_reports_validation_metrics_per_epoch_in_inference_mode():
    x, y = row_id_batch(10)
    x_val, y_val = make_batch(6, seed=3)
    model, recorder = recorded_model()
    history = model.fit(x, y, epochs=4, batch_size=4, validation_data=(x_val, y_val))
    assert {"val_loss", "val_accuracy", "accuracy", "regularization", "total"} <= history.keys()
    assert len(history["val_loss"]) == len(history["val_accuracy"]) == 4
    assert history["val_loss"][-1] == model.evaluate(x_val, y_val)["loss"]
    assert recorder.modes.count(False) == 4 + 1  # one validation pass per epoch, + evaluate above


def test_predict_is_inference_mode_and_keeps_float32():
    x, _ = make_batch(dtype=np.float32)
    model, recorder = make_model(np.float32), Recorder()
    model.layers.insert(0, recorder)
    out = model.predict(x)
    assert out.dtype == np.float32 and out.shape == (10, 3)
    assert recorder.modes == [False]


def test_accuracy_functions_on_hand_made_examples():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]])
    assert categorical_accuracy(probs, np.array([0, 2, 0, 0])) == 0.75  # tie -> first index
    assert categorical_accuracy(probs, np.eye(3)[[0, 2, 1, 1]]) == 0.75
    scores, targets = np.array([[0.9], [0.2], [0.5], [0.51]]), np.array([[1.0], [0.0], [1.0], [1.0]])
    assert binary_accuracy(scores, targets) == 0.75  # 0.5 is not above the threshold
    targets = np.array([[0.0], [1.0], [2.0], [3.0]])  # std 1.118..., precision 0.004472
    assert regression_accuracy(targets + np.array([[0.004], [0.0045], [-0.001], [0.1]]), targets) == 0.5
    assert regression_accuracy(targets + 0.05, targets, precision=0.1) == 1.0
    with pytest.raises(ValueError, match=r"predictions' shape \(4, 1\), got \(4,\)"):
        binary_accuracy(np.zeros((4, 1)), np.zeros(4))


def test_accuracy_kind_defaults_from_the_loss_and_can_be_chosen():
    assert make_model().accuracy_kind == "categorical"
    logits = CategoricalCrossEntropy(from_logits=True)
    assert Sequential([Dense(2, 3)], loss=logits).accuracy_kind == "categorical"
    assert Sequential([Dense(2, 1)], loss=BinaryCrossEntropy()).accuracy_kind == "binary"
    assert Sequential([Dense(2, 1)], loss=MeanSquaredError()).accuracy_kind == "regression"
    assert Sequential([Dense(2, 1)]).accuracy_kind is None
    assert Sequential([Dense(2, 1)], accuracy="regression").accuracy_kind == "regression"
    with pytest.raises(ValueError, match="unknown accuracy 'top5'"):
        Sequential([Dense(2, 1)], accuracy="top5")


def test_binary_accuracy_on_logits_thresholds_at_zero():
    x, targets = np.array([[1.0], [2.0]]), np.array([[0.0], [1.0]])
    model = Sequential([Dense(1, 1, [[0.5]], [-0.7])], loss=BinaryCrossEntropy(from_logits=True))
    assert model.predict(x).ravel().tolist() == pytest.approx([-0.2, 0.3])  # both below 0.5
    assert model.evaluate(x, targets)["accuracy"] == 1.0


def test_regression_accuracy_uses_the_training_precision_unless_one_is_given():
    x, y = sine_data(40)
    x_train, x_val, y_train, y_val = chronological_split(x, y, 0.25)
    model = Sequential([Dense(1, 1, [[0.5]], [0.1])], loss=MeanSquaredError(), optimizer=StandInSGD(0.1))
    history = model.fit(x_train, y_train, epochs=2, validation_data=(x_val, y_val))
    assert model.precision_ == np.std(y_train) / 250
    assert history["val_accuracy"][-1] == regression_accuracy(model.predict(x_val), y_val, model.precision_)
    explicit = Sequential([Dense(1, 1, [[0.5]], [0.1])], loss=MeanSquaredError(), precision=0.3)
    expected = regression_accuracy(explicit.predict(x_val), y_val, 0.3)
    assert explicit.evaluate(x_val, y_val)["accuracy"] == expected
    assert explicit.precision_ is None


def test_a_float32_sigmoid_model_learns_the_and_gate_and_stays_float32():
    x, labels = and_gate()
    x, targets = x.astype(np.float32), binary_targets(labels, np.float32)
    model = Sequential([Dense(2, 1, [[0.1], [-0.1]], [0.05], dtype=np.float32), Sigmoid()],
                       loss=BinaryCrossEntropy(), optimizer=StandInSGD(1.0))
    history = model.fit(x, targets, epochs=300)
    assert history["accuracy"][-1] == 1.0 and history["loss"][-1] < history["loss"][0] / 4
    assert all(value.dtype == np.float32 for value in model.get_params().values())
    assert model.predict(x).dtype == np.float32


def two_layer_net(n_inputs: int, hidden: int, classes: int, optimizer, seed: int) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        [Dense(n_inputs, hidden, rng.standard_normal((n_inputs, hidden)), rng.uniform(-0.5, 0.5, hidden)),
         ReLU(), Dense(hidden, classes, rng.standard_normal((hidden, classes)) * 0.5), Softmax()],
        loss=CategoricalCrossEntropy(), optimizer=optimizer,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_model_learns_xor_with_plain_sgd(seed):
    x, y = xor()
    model = two_layer_net(2, 16, 2, StandInSGD(0.5), seed)
    history = model.fit(x, y, epochs=500)
    assert history["accuracy"][-1] == 1.0 and history["loss"][-1] < 0.01
    assert model.evaluate(x, y)["accuracy"] == 1.0


def test_the_model_learns_the_spiral_with_adam():
    x, y = spiral_data(100, 3, np.random.default_rng(0))
    model = two_layer_net(2, 64, 3, Adam(lr=0.05), seed=1)
    history = model.fit(x, y, epochs=600)
    assert history["loss"][-1] < history["loss"][0] / 4
    assert model.evaluate(x, y)["accuracy"] >= 0.9


# ----- bad input: each message names the model and the expected vs actual shape -----


def named_model() -> Sequential:
    return make_model(optimizer=StandInSGD(0.1), name="tiny-mlp")


@pytest.mark.parametrize("call", ["fit", "train_step", "evaluate"])
def test_x_and_y_of_different_lengths_are_refused(call):
    x, y = make_batch(10)
    args = (x, y[:9], 1) if call == "fit" else (x, y[:9])
    with pytest.raises(ValueError, match=r"tiny-mlp: y must have 10 rows to match x of shape \(10, 2\), "
                                         r"got y of shape \(9,\)"):
        getattr(named_model(), call)(*args)


@pytest.mark.parametrize("call", ["fit", "predict"])
def test_an_empty_batch_is_refused(call):
    x, y = make_batch(10)
    args = (x[:0], y[:0], 1) if call == "fit" else (x[:0],)
    with pytest.raises(ValueError, match=r"tiny-mlp: x is an empty batch \(shape \(0, 2\)\)"):
        getattr(named_model(), call)(*args)


@pytest.mark.parametrize("call", ["fit", "predict"])
def test_nan_input_is_refused_before_any_update(call):
    x, y = make_batch(10)
    x[3, 1] = np.nan
    model = named_model()
    before = model.get_params()
    args = (x, y, 1) if call == "fit" else (x,)
    with pytest.raises(ValueError, match=r"tiny-mlp: x contains NaN or Inf \(first at index \(3, 1\)\)"):
        getattr(model, call)(*args)
    for key, value in model.get_params().items():
        np.testing.assert_array_equal(value, before[key])


def test_nan_in_validation_data_is_refused_and_named():
    x, y = make_batch(10)
    x_val = x.copy()
    x_val[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"tiny-mlp \(validation_data\): x contains NaN or Inf"):
        named_model().fit(x, y, 1, validation_data=(x_val, y))


def test_wrong_width_and_wrong_dtype_are_refused():
    x, y = make_batch(10)
    with pytest.raises(ValueError, match=r"tiny-mlp: x must have shape \('N', 2\), got \(10, 3\)"):
        named_model().predict(np.zeros((10, 3)))
    message = "tiny-mlp: x has dtype float32 but the model's parameters are float64"
    with pytest.raises(TypeError, match=message):
        named_model().fit(x.astype(np.float32), y, 1)


def test_missing_loss_optimizer_and_bad_epochs_are_refused():
    x, y = make_batch(10)
    with pytest.raises(ValueError, match=r"Sequential: no optimizer was given; pass optimizer="):
        make_model().train_step(x, y)
    with pytest.raises(ValueError, match=r"Sequential: no loss was given"):
        Sequential([Dense(2, 3)], optimizer=StandInSGD(0.1)).fit(x, y, 1)
    for name, value in (("epochs", 0), ("batch_size", 0), ("batch_size", 2.5)):
        options = {"epochs": 1, name: value}
        with pytest.raises(ValueError, match=f"tiny-mlp: {name} must be an integer >= 1"):
            named_model().fit(x, y, **options)


def test_nan_targets_and_float_targets_of_another_dtype_are_refused():
    x, y = sine_data(10)
    model = Sequential([Dense(1, 1, [[0.5]], [0.1])], loss=MeanSquaredError(), optimizer=StandInSGD(0.1),
                       name="regressor")
    y_nan = y.copy()
    y_nan[4, 0] = np.nan
    with pytest.raises(ValueError, match=r"regressor: y contains NaN or Inf \(first at index \(4, 0\)\)"):
        model.fit(x, y_nan, 1)
    with pytest.raises(TypeError, match="regressor: float targets y must have x.s dtype float64"):
        model.train_step(x, y.astype(np.float32))
