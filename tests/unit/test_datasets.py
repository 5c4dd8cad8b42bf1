"""Datasets: shapes, dtypes, label ranges, determinism, chronological splits, train-only scaling."""

import numpy as np
import pytest

from scratch import datasets as ds

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


@pytest.mark.parametrize(
    "make, labels", [(ds.xor, [0, 1, 1, 0]), (ds.and_gate, [0, 0, 0, 1]), (ds.or_gate, [0, 1, 1, 1])]
)
def test_logic_gates_are_the_exact_four_points(make, labels):
    x, y = make()
    np.testing.assert_array_equal(x, CORNERS)
    np.testing.assert_array_equal(y, labels)
    assert x.dtype == np.float64 and y.dtype == np.int64


def test_binary_targets_are_float_columns():
    targets = ds.binary_targets(np.array([0, 1, 1]), np.float32)
    assert targets.shape == (3, 1) and targets.dtype == np.float32
    np.testing.assert_array_equal(targets[:, 0], [0, 1, 1])


RANDOM_DATASETS = {
    "noisy_xor": lambda rng: ds.noisy_xor(40, 0.1, rng),
    "spiral_data": lambda rng: ds.spiral_data(30, 3, rng),
    "vertical_data": lambda rng: ds.vertical_data(30, 3, rng),
}


@pytest.mark.parametrize("name", list(RANDOM_DATASETS))
def test_random_datasets_have_the_promised_shapes_and_are_deterministic(name):
    make = RANDOM_DATASETS[name]
    x, y = make(np.random.default_rng(0))
    again_x, again_y = make(np.random.default_rng(0))
    other_x, _ = make(np.random.default_rng(1))
    classes = 2 if name == "noisy_xor" else 3
    assert x.shape == (len(y), 2) and x.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [len(y) // classes] * classes)
    np.testing.assert_array_equal(x, again_x)
    np.testing.assert_array_equal(y, again_y)
    assert not np.array_equal(x, other_x)


def test_noisy_xor_is_the_xor_corners_plus_gaussian_noise():
    rng = np.random.default_rng(4)
    x, y = ds.noisy_xor(8, 0.3, rng)
    noise = np.random.default_rng(4).standard_normal((8, 2))
    np.testing.assert_array_equal(x, CORNERS[np.arange(8) % 4] + 0.3 * noise)
    np.testing.assert_array_equal(y, [0, 1, 1, 0, 0, 1, 1, 0])


def test_vertical_data_follows_the_nnfs_formula():
    x, y = ds.vertical_data(5, 2, np.random.default_rng(3))
    draws = np.random.default_rng(3).standard_normal(20)
    np.testing.assert_array_equal(x[:5, 0], draws[0:5] * 0.1 + 0 / 3)
    np.testing.assert_array_equal(x[:5, 1], draws[5:10] * 0.1 + 0.5)
    np.testing.assert_array_equal(x[5:, 0], draws[10:15] * 0.1 + 1 / 3)
    np.testing.assert_array_equal(y, [0] * 5 + [1] * 5)


def test_sine_data_is_the_deterministic_nnfs_curve():
    x, y = ds.sine_data(4)
    np.testing.assert_array_equal(x, [[0.0], [0.25], [0.5], [0.75]])
    np.testing.assert_allclose(y, [[0.0], [1.0], [0.0], [-1.0]], atol=1e-15)
    assert ds.sine_data()[0].shape == (1000, 1)


def test_noisy_sine_series_is_sin_point_one_t_plus_noise():
    series = ds.noisy_sine_series(50, 0.2, np.random.default_rng(9))
    noise = np.random.default_rng(9).standard_normal(50)
    np.testing.assert_array_equal(series, np.sin(0.1 * np.arange(50)) + 0.2 * noise)
    np.testing.assert_array_equal(ds.noisy_sine_series(50, 0.0, np.random.default_rng(0)),
                                  np.sin(0.1 * np.arange(50)))


@pytest.mark.parametrize("window, horizon", [(3, 1), (4, 2)])
def test_sliding_windows_pair_each_window_with_the_value_horizon_steps_later(window, horizon):
    series = np.arange(10.0)
    x, y = ds.sliding_windows(series, window, horizon)
    count = 10 - window - horizon + 1
    assert x.shape == (count, window) and y.shape == (count, 1)
    np.testing.assert_array_equal(x[0], np.arange(window))
    np.testing.assert_array_equal(y[:, 0], np.arange(count) + window + horizon - 1)
    x[0, 0] = 99.0  # a copy, not a view of the series
    assert series[0] == 0.0


def test_chronological_split_keeps_every_train_row_before_every_test_row():
    x, y = ds.sliding_windows(np.arange(100.0), 10)  # values are their own time stamps
    x_train, x_test, y_train, y_test = ds.chronological_split(x, y, 0.2)
    assert len(y_test) == 18 and len(y_train) == 72
    assert y_train.max() < y_test.min()
    assert x_train[:, -1].max() < y_test.min()  # no test target is seen as a training input either
    np.testing.assert_array_equal(np.r_[y_train, y_test], y)  # nothing reordered, nothing lost


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ds.noisy_xor(10, 0.1, 0), "noisy_xor: rng must be a numpy.random.Generator"),
        (lambda: ds.vertical_data(0, 3, np.random.default_rng(0)), "vertical_data: samples must be an int"),
        (lambda: ds.sliding_windows(np.arange(5.0), 5), "too short for window 5 and horizon 1"),
        (lambda: ds.sliding_windows(np.zeros((5, 2)), 2), r"series must be 1-D \(T,\), got shape \(5, 2\)"),
        (lambda: ds.chronological_split(np.zeros(10), np.zeros(10), 1.0), "test_fraction must be"),
        (lambda: ds.chronological_split(np.zeros(10), np.zeros(10), 0.01), "both must be non-empty"),
        (lambda: ds.chronological_split(np.zeros(10), np.zeros(9), 0.2), "x has 10 rows but y has 9"),
    ],
)
def test_bad_dataset_arguments_are_refused(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


# ----- harness-side scikit-learn loaders (comparisons/data/datasets.py) -----

LOADER_SHAPES = {"digits": (64, 10), "iris": (4, 3), "wine": (13, 3), "moons": (2, 2), "circles": (2, 2)}


@pytest.fixture(scope="module")
def harness_datasets():
    pytest.importorskip("sklearn")
    from comparisons.data import datasets

    return datasets


@pytest.mark.parametrize("name", list(LOADER_SHAPES))
def test_sklearn_loaders_give_float64_inputs_and_int64_labels(harness_datasets, name):
    split = harness_datasets.load_split(name, seed=0)
    features, classes = LOADER_SHAPES[name]
    for x, y in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        assert x.dtype == np.float64 and y.dtype == np.int64
        assert x.shape == (len(y), features)
    assert split.n_classes == classes and split.n_features == features
    assert set(np.unique(split.y_train)) == set(range(classes))
    assert 0.2 < len(split.y_test) / (len(split.y_test) + len(split.y_train)) < 0.3


@pytest.mark.parametrize("name", list(LOADER_SHAPES))
def test_sklearn_splits_depend_only_on_the_seed(harness_datasets, name):
    first, again, other = (harness_datasets.load_split(name, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)


@pytest.mark.parametrize("name", ["iris", "wine", "moons", "circles"])
def test_standardization_uses_training_statistics_only(harness_datasets, name):
    split = harness_datasets.load_split(name, seed=0)
    raw = harness_datasets.load_split(name, seed=0, standardize=False)
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(split.mean, raw.x_train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(split.x_test, (raw.x_test - split.mean) / split.scale, rtol=1e-12)
    assert np.abs(split.x_test.mean(axis=0)).max() > 1e-3  # the test split is not re-centred


def test_digits_are_scaled_by_sixteen_into_the_unit_interval(harness_datasets):
    split = harness_datasets.load_digits(seed=0)
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert set(np.unique(split.x_train * 16)) <= set(range(17))
    np.testing.assert_array_equal(split.mean, 0.0)


def test_unknown_loader_names_the_known_ones(harness_datasets):
    with pytest.raises(KeyError, match="unknown dataset 'mnist'; known: digits, iris"):
        harness_datasets.load_split("mnist")


KEPT_RUN = """
import sys
from pathlib import Path
import numpy as np
from comparisons.adapters.cache import KeptArrays
from comparisons.data import datasets
datasets.keep_splits_with(KeptArrays(Path(sys.argv[1]), "dataset"))
split = datasets.load_split("digits", seed=3)
np.savez(sys.argv[2], **{k: getattr(split, k) for k in ("x_train", "x_test", "y_train", "y_test", "mean",
                                                          "scale")})
print("sklearn" in sys.modules)
"""


def test_a_kept_split_is_read_back_without_importing_scikit_learn(harness_datasets, tmp_path):
    import subprocess
    import sys

    runs = [subprocess.run([sys.executable, "-c", KEPT_RUN, str(tmp_path / "cache"),
                            str(tmp_path / f"{i}.npz")],
                           capture_output=True, text=True, check=True) for i in range(2)]
    assert [run.stdout.split() for run in runs] == [["True"], ["False"]]  # made with sklearn, then read back
    assert [p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.npz")] == ["dataset"]
    made, kept = np.load(tmp_path / "0.npz"), np.load(tmp_path / "1.npz")
    direct = harness_datasets.load_digits(seed=3)
    for name in made.files:
        assert made[name].dtype == kept[name].dtype and made[name].tobytes() == kept[name].tobytes()
        assert made[name].tobytes() == getattr(direct, name).tobytes()


def test_a_split_kept_under_another_scikit_learn_version_is_made_again(harness_datasets, tmp_path,
                                                                          monkeypatch):
    from comparisons.adapters.cache import KeptArrays

    made = []
    real = harness_datasets.LOADERS["iris"]
    monkeypatch.setitem(harness_datasets.LOADERS, "iris", lambda **o: made.append(1) or real(**o))
    harness_datasets.keep_splits_with(KeptArrays(tmp_path, "dataset"))
    try:
        harness_datasets.load_split("iris", seed=1)
        harness_datasets._loaded.cache_clear()
        harness_datasets.load_split("iris", seed=1)
        assert made == [1]  # the second came from the folder
        harness_datasets._loaded.cache_clear()
        monkeypatch.setattr(harness_datasets, "_version", lambda package: "0.0")
        harness_datasets.load_split("iris", seed=1)
        assert made == [1, 1]  # another version: not the kept split
    finally:
        harness_datasets.keep_splits_with(None)
