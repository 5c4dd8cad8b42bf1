"""Initializers: shapes, dtypes, exact uniform bounds, large-draw moments, truncation, seeds, bad input."""

import math

import numpy as np
import pytest

from scratch import initializers as init
from scratch.initializers import INITIALIZERS, TRUNCATED_STD_CORRECTION, compute_fans, get_initializer
from scratch.layers import Dense

SHAPE = (300, 200)  # 60 000 draws; fan_in 300, fan_out 200
N = math.prod(SHAPE)
# Tolerances: the sample mean has sd std/sqrt(N) = 0.0041 std and the sample std has relative sd
# sqrt((kurtosis - 1)/(4N)) <= sqrt(2/(4N)) = 0.0029 (normal; uniform and truncated normal are
# lower). 0.03 std for the mean and 2% for the std are both ~7 sd: no flakes, yet a wrong fan
# (e.g. fan_in for fan_avg: 22% off) or a missing truncation correction (14% off) fails.
MEAN_TOL, STD_RTOL = 0.03, 0.02

UNIFORM_LIMITS = {  # exact bound formulas, U(-limit, limit)
    "glorot_uniform": math.sqrt(6 / (300 + 200)),
    "he_uniform": math.sqrt(6 / 300),
    "lecun_uniform": math.sqrt(3 / 300),
}
NORMAL_STDS = {  # intended std; the truncated draw is rescaled so its std is this too
    "glorot_normal": math.sqrt(2 / (300 + 200)),
    "he_normal": math.sqrt(2 / 300),
    "lecun_normal": math.sqrt(1 / 300),
}


def draw(name: str, seed: int = 0, shape=SHAPE, dtype=np.float64, **options) -> np.ndarray:
    return INITIALIZERS[name](shape, np.random.default_rng(seed), dtype=dtype, **options)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(name, dtype):
    out = draw(name, shape=(3, 4), dtype=dtype)
    assert out.shape == (3, 4) and out.dtype == dtype


@pytest.mark.parametrize("name", sorted(set(INITIALIZERS) - {"zeros", "constant"}))
def test_same_seed_same_draw_other_seed_other_draw(name):
    np.testing.assert_array_equal(draw(name, seed=1, shape=(5, 6)), draw(name, seed=1, shape=(5, 6)))
    assert not np.array_equal(draw(name, seed=1, shape=(5, 6)), draw(name, seed=2, shape=(5, 6)))


def test_global_numpy_random_is_untouched():
    before = np.random.get_state()[1].copy()
    for name in INITIALIZERS:
        draw(name, shape=(4, 4))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_zeros_and_constant():
    np.testing.assert_array_equal(draw("zeros", shape=(2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(draw("constant", shape=(2, 3), value=0.5), np.full((2, 3), 0.5))


@pytest.mark.parametrize("name", sorted(UNIFORM_LIMITS))
def test_variance_scaling_uniform_bounds_and_moments(name):
    limit = UNIFORM_LIMITS[name]
    w = draw(name)
    assert w.min() >= -limit and w.max() < limit
    assert w.max() > 0.99 * limit and w.min() < -0.99 * limit  # the bound is reached, not a smaller one
    std = limit / math.sqrt(3)  # U(-a, a) has sd a/sqrt(3)
    assert abs(w.mean()) < MEAN_TOL * std
    assert w.std() == pytest.approx(std, rel=STD_RTOL)


def test_uniform_bounds_and_moments():
    w = draw("uniform", low=-1.0, high=3.0)
    assert w.min() >= -1.0 and w.max() < 3.0
    assert abs(w.mean() - 1.0) < MEAN_TOL * (4 / math.sqrt(12))
    assert w.std() == pytest.approx(4 / math.sqrt(12), rel=STD_RTOL)


@pytest.mark.parametrize("name", sorted(NORMAL_STDS))
def test_truncated_normal_keras_style(name):
    std = NORMAL_STDS[name]
    w = draw(name)  # truncated=True is the default (keras names, keras behaviour)
    cut = 2 * std / TRUNCATED_STD_CORRECTION  # keras: cut at 2 sd of the *rescaled* normal
    assert np.abs(w).max() <= cut
    assert abs(w.mean()) < MEAN_TOL * std
    assert w.std() == pytest.approx(std, rel=STD_RTOL)


@pytest.mark.parametrize("name", sorted(NORMAL_STDS))
def test_plain_normal_torch_style(name):
    std = NORMAL_STDS[name]
    w = draw(name, truncated=False)
    assert abs(w.mean()) < MEAN_TOL * std
    assert w.std() == pytest.approx(std, rel=STD_RTOL)
    # 4.6% of 60 000 draws lie beyond 2 sd of a plain normal; a truncated draw has none beyond 2.27 sd
    assert np.mean(np.abs(w) > 2.3 * std) > 0.01


def test_normal_plain_and_truncated():
    w = draw("normal", mean=1.0, std=0.5)
    assert abs(w.mean() - 1.0) < MEAN_TOL * 0.5 and w.std() == pytest.approx(0.5, rel=STD_RTOL)
    t = draw("normal", mean=1.0, std=0.5, truncated=True)  # keras TruncatedNormal: no rescaling
    assert t.min() >= 0.0 and t.max() <= 2.0  # mean +- 2 std
    assert t.std() == pytest.approx(0.5 * TRUNCATED_STD_CORRECTION, rel=STD_RTOL)


def test_fans_follow_the_in_out_layout():
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans((3, 4)) == (3, 4)
    assert compute_fans((2, 2, 3, 4)) == (12, 16)  # keras HWIO conv kernel


def test_get_initializer_accepts_name_spec_and_callable():
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    spec = get_initializer({"type": "normal", "std": 0.01})
    np.testing.assert_array_equal(spec((2, 3), rng_a), init.normal((2, 3), rng_b, std=0.01))
    assert get_initializer("he_uniform") is init.he_uniform
    assert get_initializer(init.zeros) is init.zeros


def test_unknown_initializer_lists_known_names():
    with pytest.raises(KeyError, match="unknown initializer 'xavier'; known: constant, glorot_normal"):
        get_initializer("xavier")


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0)])
@pytest.mark.parametrize("name", ["zeros", "normal", "he_uniform"])
def test_an_explicit_generator_is_required(name, rng):
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        INITIALIZERS[name]((2, 2), rng)


def test_bad_options_are_rejected():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="std"):
        init.normal((2, 2), rng, std=-1.0)
    with pytest.raises(ValueError, match="high"):
        init.uniform((2, 2), rng, low=1.0, high=0.0)
    with pytest.raises(ValueError, match="fan_in of shape"):
        init.he_uniform((0, 4), rng)
    with pytest.raises(ValueError, match="shape"):
        init.glorot_uniform((-1, 4), rng)


def test_dense_weight_init_uses_the_initializer_and_rng():
    layer = Dense(3, 4, weight_init="glorot_uniform", rng=np.random.default_rng(5), dtype=np.float32)
    expected = init.glorot_uniform((3, 4), np.random.default_rng(5), dtype=np.float32)
    np.testing.assert_array_equal(layer.params["weight"], expected)
    assert layer.params["weight"].dtype == np.float32
    spec = Dense(3, 4, weight_init={"type": "normal", "std": 0.1}, rng=np.random.default_rng(5))
    expected = init.normal((3, 4), np.random.default_rng(5), std=0.1)
    np.testing.assert_array_equal(spec.params["weight"], expected)


def test_dense_default_init_is_unchanged():
    expected = 0.01 * np.random.default_rng(0).standard_normal((3, 4))  # nnfs 0.01*N(0,1), seed 0
    np.testing.assert_array_equal(Dense(3, 4).params["weight"], expected)


def test_dense_weight_init_needs_rng_and_no_explicit_weight():
    with pytest.raises(ValueError, match="explicit rng"):
        Dense(3, 4, weight_init="he_normal")
    with pytest.raises(ValueError, match="either weight or weight_init"):
        Dense(3, 4, weight=np.ones((3, 4)), weight_init="he_normal", rng=np.random.default_rng(0))
