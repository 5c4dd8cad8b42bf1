"""Bad input to scratch, one test per kind: each error names the component and what it expected.

Component-specific variants live beside their component (training/test_losses.py,
training/test_model.py, training/test_serialization.py, training/test_optimizers.py, ...); this file
is the checklist across components, and checks that a refused call leaves parameters exactly as they were.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratch import CategoricalCrossEntropy, Dense, ReLU, Sequential, Softmax
from scratch.initializers import get_initializer
from scratch.losses import MeanSquaredError
from scratch.optimizers import SGD, Adam, build_optimizer
from scratch.registry import build_layer, build_loss

X = np.random.default_rng(0).standard_normal((4, 2))  # (N=4, in=2)
LABELS = np.array([0, 1, 2, 1])


def model() -> Sequential:
    """Dense(2->3) + Softmax with CCE and SGD; name 'bad-input-mlp' appears in its messages."""
    rng = np.random.default_rng(1)
    dense = Dense(2, 3, weight=rng.standard_normal((2, 3)), bias=rng.standard_normal(3))
    return Sequential([dense, Softmax()], loss=CategoricalCrossEntropy(), optimizer=SGD(lr=0.1),
                      name="bad-input-mlp")


def refused(target: Sequential, call, error: type[Exception], match: str) -> None:
    """`call(target)` raises error matching `match`, and no parameter of target changed."""
    before = target.get_params()
    with pytest.raises(error, match=match):
        call(target)
    for key, value in target.get_params().items():
        np.testing.assert_array_equal(value, before[key], err_msg=f"{key} changed by a refused call")


WIDTH = {
    "Dense.forward": (lambda m: m.layers[0].forward(np.ones((4, 3))),
                      r"Dense\(2->3\): input must have shape \('N', 2\), got \(4, 3\)"),
    "Sequential.predict": (lambda m: m.predict(np.ones((4, 3))),
                           r"bad-input-mlp: x must have shape \('N', 2\), got \(4, 3\)"),
    "Sequential.train_step": (lambda m: m.train_step(np.ones((4, 3)), LABELS),
                              r"bad-input-mlp: x must have shape \('N', 2\), got \(4, 3\)"),
}


@pytest.mark.parametrize("where", sorted(WIDTH))
def test_wrong_input_width(where):
    call, match = WIDTH[where]
    refused(model(), call, ValueError, match)


BATCH = {
    "train_step x vs y": (lambda m: m.train_step(X, LABELS[:3]),
                          r"bad-input-mlp: y must have 4 rows to match x of shape \(4, 2\), "
                          r"got y of shape \(3,\)"),
    "loss predictions vs labels": (lambda m: m.loss.value(Softmax().forward(X), LABELS[:3]),
                                   r"CategoricalCrossEntropy: labels must have shape \(4,\) or \(4, 2\), "
                                   r"got \(3,\)"),
    "Dense.backward grad_output": (lambda m: (m.layers[0].forward(X), m.layers[0].backward(np.ones((5, 3)))),
                                   r"Dense\(2->3\): grad_output must have shape \(4, 3\), got \(5, 3\)"),
}


@pytest.mark.parametrize("where", sorted(BATCH))
def test_mismatched_batch_sizes(where):
    call, match = BATCH[where]
    refused(model(), call, ValueError, match)


def test_mismatched_batch_in_an_activation_backward():
    relu = ReLU()
    relu.forward(X)
    with pytest.raises(ValueError, match=r"ReLU: grad_output must have shape \(4, 2\), got \(3, 2\)"):
        relu.backward(np.ones((3, 2)))


@pytest.mark.parametrize(("labels", "shown"), [
    (np.array([0, 1, 3, 1]), r"\[0, 3\]"), (np.array([0, -1, 2, 1]), r"\[-1, 2\]")])
def test_labels_out_of_range_leave_the_model_unchanged(labels, shown):
    refused(model(), lambda m: m.train_step(X, labels), ValueError,
            rf"CategoricalCrossEntropy: labels must lie in \[0, 2\], got values in {shown}")


LABEL_TYPES = {
    "float sparse labels": (LABELS.astype(np.float64), TypeError,
                            "CategoricalCrossEntropy: sparse labels must be integers, got dtype float64"),
    "string labels": (np.array(["a", "b", "c", "a"]), TypeError,
                      "CategoricalCrossEntropy: sparse labels must be integers, got dtype <U1"),
    "soft one-hot labels": (np.full((4, 3), 1 / 3), ValueError,
                            "CategoricalCrossEntropy: 2-D labels must be one-hot"),
    "a Python list": (list(LABELS), TypeError, "bad-input-mlp: y must be a numpy.ndarray, got list"),
}


@pytest.mark.parametrize("kind", sorted(LABEL_TYPES))
def test_labels_of_the_wrong_type(kind):
    labels, error, match = LABEL_TYPES[kind]
    refused(model(), lambda m: m.train_step(X, labels), error, match)


def _with(value: float) -> np.ndarray:
    bad = X.copy()
    bad[2, 1] = value
    return bad


NON_FINITE_INPUTS = {
    "Dense.forward": (lambda m, x: m.layers[0].forward(x), r"Dense\(2->3\): input contains NaN or Inf"),
    "ReLU.forward": (lambda m, x: ReLU().forward(x), "ReLU: input contains NaN or Inf"),
    "MeanSquaredError.value": (lambda m, x: MeanSquaredError().value(x, X), "MeanSquaredError: predictions "
                               "contains NaN or Inf"),
    "Sequential.train_step": (lambda m, x: m.train_step(x, LABELS), "bad-input-mlp: x contains NaN or Inf"),
}


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", sorted(NON_FINITE_INPUTS))
def test_nan_or_inf_in_inputs(where, value):
    call, match = NON_FINITE_INPUTS[where]
    refused(model(), lambda m: call(m, _with(value)), ValueError, rf"{match} \(first at index \(2, 1\)\)")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_in_parameters_given_to_a_dense_layer(value):
    weight = np.ones((2, 3))
    weight[1, 0] = value
    with pytest.raises(ValueError, match=r"Dense\(2->3\): weight contains NaN or Inf .*\(1, 0\)\)"):
        Dense(2, 3, weight=weight)
    with pytest.raises(ValueError, match=r"Dense\(2->3\): bias contains NaN or Inf \(first at .*\(2,\)\)"):
        Dense(2, 3, bias=np.array([0.0, 0.0, value]))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_in_parameters_set_or_loaded(tmp_path, value):
    params = model().get_params()
    params["0.bias"][1] = value
    match = r"'0\.bias': expected finite values, got 1 NaN/Inf"
    refused(model(), lambda m: m.set_params(params), ValueError,
            rf"bad-input-mlp: parameters refused: .*{match}")
    path = tmp_path / "non_finite.npz"
    np.savez(path, **params)
    refused(model(), lambda m: m.load(path), ValueError, rf"bad-input-mlp \(loading '.*'\): .*{match}")


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1), lambda: Adam(lr=0.1)], ids=["sgd", "adam"])
def test_nan_or_inf_parameter_makes_the_optimizer_step_fail_and_change_nothing(make):
    optimizer = make()
    params = {"a": np.array([1.0, 2.0]), "b": np.array([np.inf])}  # 'a' first: a naive loop updates it
    grads = {"a": np.array([0.5, 0.5]), "b": np.array([0.5])}
    with pytest.raises(ValueError, match=rf"{optimizer.name}: param 'b' contains NaN or Inf; params left"):
        optimizer.step(params, grads)
    np.testing.assert_array_equal(params["a"], [1.0, 2.0])
    assert optimizer.t == 0 and optimizer.state == {}


def test_a_failing_step_inside_train_step_leaves_the_model_as_it_was():
    mlp = model()
    mlp.optimizer = build_optimizer("adam", lr=0.1)
    dense = mlp.layers[0]
    real_param_backward = dense.param_backward

    def blown_up(grad_output):
        """A planted gradient blow-up: NaN in dL/dW."""
        real_param_backward(grad_output)
        dense.grads["weight"][0, 0] = np.nan

    dense.param_backward = blown_up
    refused(mlp, lambda m: m.train_step(X, LABELS), ValueError,
            r"adam: grad '0\.weight' contains NaN or Inf; params left unchanged")
    assert mlp.optimizer.t == 0 and mlp.optimizer.state == {}


EMPTY = {
    "Dense.forward": (lambda m: m.layers[0].forward(np.zeros((0, 2))),
                      r"Dense\(2->3\): input is an empty batch \(shape \(0, 2\)\)"),
    "Softmax.forward": (lambda m: Softmax().forward(np.zeros((0, 3))),
                        r"Softmax: input is an empty batch \(shape \(0, 3\)\)"),
    "CategoricalCrossEntropy.value": (
        lambda m: m.loss.value(np.zeros((0, 3)), np.zeros(0, dtype=int)),
        r"CategoricalCrossEntropy: predictions is an empty batch \(shape \(0, 3\)\)"),
    "Sequential.train_step": (lambda m: m.train_step(np.zeros((0, 2)), np.zeros(0, dtype=int)),
                              r"bad-input-mlp: x is an empty batch \(shape \(0, 2\)\)"),
}


@pytest.mark.parametrize("where", sorted(EMPTY))
def test_empty_batches(where):
    call, match = EMPTY[where]
    refused(model(), call, ValueError, match)


@pytest.mark.parametrize("dtype", ["float16", "int64", "int32", "bool"])
@pytest.mark.parametrize("where", ["Dense.forward", "ReLU.forward", "CategoricalCrossEntropy.value",
                                   "Sequential.train_step"])
def test_float16_or_integer_inputs_where_floats_are_required(where, dtype):
    x = np.ones((4, 2), dtype=dtype)
    calls = {
        "Dense.forward": (lambda m: m.layers[0].forward(x), r"Dense\(2->3\): input"),
        "ReLU.forward": (lambda m: ReLU().forward(x), "ReLU: input"),
        "CategoricalCrossEntropy.value": (lambda m: m.loss.value(x, LABELS % 2),
                                          "CategoricalCrossEntropy: predictions"),
        "Sequential.train_step": (lambda m: m.train_step(x, LABELS), "bad-input-mlp: x"),
    }
    call, who = calls[where]
    refused(model(), call, TypeError, f"{who} must have dtype float32 or float64, got {dtype}")


def test_float32_input_to_a_float64_model_is_refused_not_upcast():
    refused(model(), lambda m: m.train_step(X.astype(np.float32), LABELS), TypeError,
            "bad-input-mlp: x has dtype float32 but the model's parameters are float64")


UNKNOWN_NAMES = {
    "layer type": (lambda: build_layer({"type": "conv3d"}),
                   r"scratch: unknown layer type 'conv3d'; known: .*conv2d, .*dense, .*relu"),
    "loss": (lambda: build_loss("hinge"), "scratch: unknown loss 'hinge'; known: binary_crossentropy"),
    "optimizer": (lambda: build_optimizer("adamw"), "scratch: unknown optimizer 'adamw'; known: adagrad"),
    "initializer": (lambda: get_initializer("xavier"), "unknown initializer 'xavier'; known: constant"),
    "accuracy": (lambda: Sequential([], accuracy="top5"), "unknown accuracy 'top5'"),
}


@pytest.mark.parametrize("kind", sorted(UNKNOWN_NAMES))
def test_unknown_component_names_list_the_known_ones(kind):
    call, match = UNKNOWN_NAMES[kind]
    with pytest.raises((KeyError, ValueError), match=match):
        call()


@pytest.mark.parametrize(("spec", "missing"), [
    ({"units": 3}, "'type'"), ({"type": "dense", "n_inputs": 2}, "'units'"), ({"type": "dropout"}, "'rate'")])
def test_layer_specs_missing_a_required_key(spec, missing):
    with pytest.raises(KeyError, match=f"scratch: layer spec .* lacks {missing}"):
        build_layer(spec)


class Pickled:
    """Any Python object: np.savez pickles it into the archive."""


NPZ = {
    "missing key": (lambda p: p.pop("0.bias"), r"missing key '0\.bias'"),
    "wrong shape": (lambda p: p.update({"0.weight": np.zeros((3, 2))}),
                    r"'0\.weight': expected shape \(2, 3\), got \(3, 2\)"),
    "pickled object": (lambda p: p.update({"0.bias": np.array([Pickled()], dtype=object)}),
                       r"refusing to load '0\.bias' .*pickled object array"),
    "NaN value": (lambda p: p["0.weight"].__setitem__((0, 0), np.nan),
                  r"'0\.weight': expected finite values"),
}


@pytest.mark.parametrize("problem", sorted(NPZ))
def test_npz_files_that_do_not_fit_the_model_change_nothing(tmp_path, problem):
    edit, match = NPZ[problem]
    params = model().get_params()
    edit(params)
    path = tmp_path / "bad.npz"
    np.savez(path, **params)
    refused(model(), lambda m: m.load(path), ValueError, rf"bad-input-mlp.*{match}")
