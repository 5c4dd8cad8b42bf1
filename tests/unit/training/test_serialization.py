"""get/set/save/load of Sequential parameters: exact round trips, and every refusal changes nothing."""

from pathlib import Path

import numpy as np
import pytest

from scratch import CategoricalCrossEntropy, Dense, ReLU, Sequential, Softmax
from scratch.serialization import load_params


def make_model(dtype=np.float64, seed=0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        [Dense(3, 4, rng.standard_normal((3, 4)), rng.uniform(0.1, 0.5, 4), dtype=dtype), ReLU(),
         Dense(4, 2, rng.standard_normal((4, 2)), rng.uniform(-0.5, -0.1, 2), dtype=dtype), Softmax()],
        loss=CategoricalCrossEntropy(),
        name="saved-mlp",
    )


def assert_params_equal(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key in expected:
        assert actual[key].dtype == expected[key].dtype, key
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_get_set_round_trip_is_exact_and_copies(dtype):
    source, target = make_model(dtype, seed=1), make_model(dtype, seed=2)
    params = source.get_params()
    target.set_params(params)
    assert_params_equal(target.get_params(), params)
    params["0.weight"][0, 0] += 1.0  # get_params and set_params copy: no aliasing either way
    assert target.get_params()["0.weight"][0, 0] != params["0.weight"][0, 0]
    assert source.get_params()["0.weight"][0, 0] != params["0.weight"][0, 0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_load_round_trip_is_exact(tmp_path, dtype):
    source, target = make_model(dtype, seed=1), make_model(dtype, seed=2)
    path = tmp_path / "model.npz"
    assert source.save(path) == path and path.exists()
    target.load(path)
    assert_params_equal(target.get_params(), source.get_params())
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(dtype)
    np.testing.assert_array_equal(target.predict(x), source.predict(x))


def test_save_writes_exactly_the_given_path(tmp_path):
    path = tmp_path / "weights.bin"
    make_model().save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.bin"]  # no '.npz' appended, no temp left


def refused(model: Sequential, change, match: str, exception=ValueError) -> None:
    """Apply `change` (set_params or load of a bad dict) and check the error and that nothing moved."""
    before = model.get_params()
    with pytest.raises(exception, match=match):
        change(model)
    assert_params_equal(model.get_params(), before)


def bad_params(edit) -> dict:
    params = make_model(seed=5).get_params()
    edit(params)
    return params


# Each bad dict keeps '0.weight' (checked first) valid, so a half-loading model would change it.
BAD_DICTS = {
    "missing key": (lambda p: p.pop("2.bias"), r"missing key '2\.bias'"),
    "unknown key": (lambda p: p.update({"4.weight": np.zeros(2)}), r"unknown key '4\.weight'"),
    "wrong shape": (lambda p: p.update({"2.weight": np.zeros((2, 4))}),
                    r"'2\.weight': expected shape \(4, 2\), got \(2, 4\)"),
    "wrong dtype": (lambda p: p.update({"0.bias": p["0.bias"].astype(np.float32)}),
                    r"'0\.bias': expected dtype float64, got float32"),
}


@pytest.mark.parametrize("problem", list(BAD_DICTS))
def test_set_params_refuses_and_changes_nothing(problem):
    edit, match = BAD_DICTS[problem]
    params = bad_params(edit)
    refused(make_model(), lambda m: m.set_params(params), f"saved-mlp: parameters refused: .*{match}")


@pytest.mark.parametrize("problem", list(BAD_DICTS))
def test_load_refuses_a_mismatched_file_and_changes_nothing(tmp_path, problem):
    edit, match = BAD_DICTS[problem]
    path = tmp_path / "bad.npz"
    np.savez(path, **bad_params(edit))
    refused(make_model(), lambda m: m.load(path), rf"saved-mlp \(loading '.*bad\.npz'\): .*{match}")


def test_every_problem_is_listed_in_one_message():
    params = bad_params(lambda p: (p.pop("0.bias"), p.update({"9.gain": np.ones(1)})))
    with pytest.raises(ValueError, match=r"missing key '0\.bias'; unknown key '9\.gain'"):
        make_model().set_params(params)


class TouchOnUnpickle:
    """Unpickling this object creates a file: proof of whether the pickle was executed."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (Path.touch, (self.sentinel,))


def test_load_refuses_a_pickled_object_array_without_unpickling(tmp_path):
    path, sentinel = tmp_path / "pickled.npz", tmp_path / "unpickled"
    params = make_model(seed=5).get_params()
    params["2.bias"] = np.array([TouchOnUnpickle(sentinel), None], dtype=object)
    np.savez(path, **params)  # numpy pickles object arrays into the archive
    refused(make_model(), lambda m: m.load(path), r"refusing to load '2\.bias' .*pickled object array")
    assert not sentinel.exists()
    with np.load(path, allow_pickle=True) as archive:  # the sentinel works: unpickling runs the payload
        archive["2.bias"]
    assert sentinel.exists()


def test_load_refuses_files_that_are_not_npz_archives(tmp_path):
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    refused(make_model(), lambda m: m.load(single), "single .npy array, expected an .npz archive")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    refused(make_model(), lambda m: m.load(garbage), "saved-mlp: cannot read parameters from")
    with pytest.raises(ValueError, match="cannot read parameters"):
        load_params("saved-mlp", tmp_path / "missing.npz")
