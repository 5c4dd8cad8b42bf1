"""The agreement rule and the tolerance table (docs/architecture.md §3)."""

import math

import numpy as np
import pytest

from comparisons.core.agreement import compare, compare_parts
from comparisons.core.tolerances import QUANTITY_KIND, TOLERANCES, tolerance_for, update_tolerance


def test_rule_is_asymmetric_relative_to_the_framework_value():
    # |a - r| = 0.1; allowed = 0 + 0.1 * |r|: passes when r = 1, fails when r = 0.9 (0.09 allowed)
    assert compare(np.array([1.1]), np.array([1.0]), atol=0.0, rtol=0.1 + 1e-12).status == "passed"
    assert compare(np.array([1.0]), np.array([0.9]), atol=0.0, rtol=0.1).status == "failed"


def test_atol_and_rtol_add():
    result = compare(np.array([2.0 + 0.3]), np.array([2.0]), atol=0.1, rtol=0.1)  # allowed 0.3
    assert result.status == "passed"
    assert result.worst_ratio == pytest.approx(1.0)


def test_worst_element_is_located_and_reported():
    expected = np.zeros((3, 4))
    actual = expected.copy()
    actual[2, 1] = 5e-3
    actual[0, 0] = 1e-3
    result = compare(actual, expected, atol=1e-5, rtol=0.0)
    assert result.status == "failed"
    assert result.worst_index == (2, 1)
    assert result.actual_value == 5e-3 and result.expected_value == 0.0
    assert result.max_abs_err == pytest.approx(5e-3)
    assert math.isinf(result.max_rel_err)  # error where the reference is exactly 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("side", ["actual", "expected"])
def test_non_finite_values_never_pass(bad, side):
    clean, dirty = np.ones(3), np.array([1.0, bad, 1.0])
    actual, expected = (dirty, clean) if side == "actual" else (clean, dirty)
    result = compare(actual, expected, atol=1e9, rtol=1e9)
    assert result.status == "nan"
    assert result.worst_index == (1,)


def test_nan_on_both_sides_is_still_nan():
    assert compare(np.array([np.nan]), np.array([np.nan]), 1.0, 1.0).status == "nan"


def test_shape_mismatch_fails_with_both_shapes_named():
    result = compare(np.ones((2, 3)), np.ones((3, 2)), 1.0, 1.0)
    assert result.status == "failed"
    assert "(2, 3)" in result.detail and "(3, 2)" in result.detail


def test_every_tolerance_has_a_reason_and_covers_every_quantity():
    for (dtype, kind), tol in TOLERANCES.items():
        assert tol.reason.strip(), f"tolerance {dtype}/{kind} has no reason"
        assert tol.atol >= 0 and tol.rtol >= 0
    for quantity in QUANTITY_KIND:
        for dtype in ("float32", "float64"):
            if quantity == "update":  # per row, scaled by the update (docs/conventions.md §8)
                assert update_tolerance(dtype, [1e-3], [1.0]).reason.strip()
                with pytest.raises(KeyError, match="update_tolerance"):
                    tolerance_for(dtype, quantity)
            else:
                tolerance_for(dtype, quantity)


def test_float32_tolerances_are_torch_assert_close_defaults():
    tol = tolerance_for("float32", "grad_param")
    assert (tol.atol, tol.rtol) == (1e-5, 1.3e-6)


def test_unknown_quantity_is_a_clear_error():
    with pytest.raises(KeyError, match="no tolerance"):
        tolerance_for("float16", "output")


def test_the_parts_of_one_vector_compare_as_each_part_alone():
    rng = np.random.default_rng(4)
    shapes = [(3, 4), (0,), (5,), (2, 2)]
    expected = [rng.standard_normal(shape) for shape in shapes]
    actual = [value * (1 + 1e-6 * rng.standard_normal(value.shape)) for value in expected]
    actual[2][1] = np.nan  # that part alone is status nan
    actual[3][1, 0] += 1e-3  # and that one fails at (1, 0)
    atol = [np.full(shape, 1e-5) + rng.uniform(0, 1e-6, shape) for shape in shapes]  # a per-element atol
    sizes = np.cumsum([0] + [math.prod(shape) for shape in shapes])
    parts = [(slice(int(start), int(stop)), shape)
             for start, stop, shape in zip(sizes[:-1], sizes[1:], shapes, strict=True)]
    flat = [np.concatenate([np.ravel(x) for x in side]) for side in (actual, expected, atol)]
    got = compare_parts(*flat, 1.3e-6, parts)
    alone = [compare(a, r, t, 1.3e-6) for a, r, t in zip(actual, expected, atol, strict=True)]
    assert [repr(g) for g in got] == [repr(a) for a in alone]
    assert [g.status for g in got] == ["passed", "passed", "nan", "failed"] and got[3].worst_index == (1, 0)
