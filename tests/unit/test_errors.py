"""scratch.errors: the finiteness check's fast path (sum |x|^2) decides exactly as np.isfinite does."""

from __future__ import annotations

import numpy as np
import pytest

from scratch.errors import all_finite, check_finite, check_float_array
from scratch.optimizers import SGD

BIG32 = np.float32(1e20)  # finite, but its square overflows float32: the fast path must fall back

# name -> array; every case is decided by all_finite exactly as by np.all(np.isfinite(x)).
CASES = {
    "finite": np.arange(12.0).reshape(3, 4),
    "NaN": np.array([[1.0, np.nan], [2.0, 3.0]]),
    "+Inf": np.array([1.0, np.inf], dtype=np.float32),
    "-Inf": np.array([-np.inf, 1.0]),
    "+Inf and -Inf (their sum is NaN, sum |x|^2 is Inf)": np.array([np.inf, -np.inf, 1.0]),
    "NaN and Inf": np.array([np.nan, np.inf]),
    "overflowing sum of squares, all finite (float32)": np.full((4, 3), BIG32),
    "overflowing sum of squares, all finite (float64)": np.full(5, 1e200),
    "largest finite float32": np.full(3, np.finfo(np.float32).max),
    "overflowing sum of squares with a NaN": np.array([BIG32, np.float32(np.nan)]),
    "non-contiguous with a NaN": np.array([[1.0, 2.0, 3.0], [np.nan, 5.0, 6.0]]).T[:, ::2],
    "non-contiguous, finite": np.arange(24.0).reshape(4, 6)[::2, 1::2],
    "0-d finite": np.array(2.5),
    "0-d Inf": np.array(np.inf),
    "empty": np.zeros((0, 3)),
    "float16 overflowing sum, finite": np.full(4, 300.0, dtype=np.float16),
    "float16 Inf": np.array([1.0, np.inf], dtype=np.float16),
    "subnormal": np.full(3, 1e-310),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_all_finite_agrees_with_isfinite(case):
    array = CASES[case]
    assert all_finite(array) is bool(np.all(np.isfinite(array)))


def test_all_finite_leaves_no_floating_point_error_or_warning():
    with np.errstate(all="raise"):
        assert all_finite(CASES["overflowing sum of squares, all finite (float32)"])
        assert not all_finite(CASES["+Inf and -Inf (their sum is NaN, sum |x|^2 is Inf)"])


def test_overflowing_but_finite_array_passes_and_is_returned_unchanged():
    array = np.full((2, 3), BIG32)
    assert check_float_array("Dense(3->1)", "input", array) is array
    assert check_finite("Dense(3->1)", "weight", array) is array


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_the_message_names_the_first_bad_index_even_when_the_sum_overflows(value):
    array = np.full((3, 4), BIG32)
    array[2, 1] = value
    array[2, 3] = value
    message = r"^Dense\(4->2\): input contains NaN or Inf \(first at index \(2, 1\)\)$"
    with pytest.raises(ValueError, match=message):
        check_float_array("Dense(4->2)", "input", array)


def test_plus_and_minus_inf_whose_sum_is_nan_are_caught_with_the_same_message():
    array = np.array([[0.0, np.inf], [-np.inf, 0.0]])
    message = r"^loss: predictions contains NaN or Inf \(first at index \(0, 1\)\)$"
    with pytest.raises(ValueError, match=message):
        check_finite("loss", "predictions", array)


def test_optimizer_accepts_a_huge_finite_gradient_and_refuses_inf_as_before():
    params = {"w": np.ones(3, dtype=np.float32)}
    SGD(lr=0.5).step(params, {"w": np.full(3, BIG32)})  # sum g^2 overflows; every g is finite
    expected = np.float32(1) - np.float32(0.5) * BIG32
    np.testing.assert_array_equal(params["w"], np.full(3, expected))
    with pytest.raises(ValueError, match=r"^sgd: grad 'w' contains NaN or Inf; params left unchanged$"):
        SGD(lr=0.1).step(params, {"w": np.array([BIG32, np.inf, 0.0], dtype=np.float32)})
    np.testing.assert_array_equal(params["w"], np.full(3, expected))
