"""Every layer type of scratch.registry.LAYER_TYPES, checked from its record alone.

Finite differences of the input and parameter gradients (float64, random upstream gradient),
float32 kept float32, the record's output shape, NaN and wrong-width inputs refused with the
layer's name, and parameter/buffer round trips through Sequential (get/set, save/load). The checks
live in tests/helpers/component_checks.py; a new layer type gets all of them by its record, and
adds an example spec there only if its required keys cannot be guessed.
"""

from __future__ import annotations

import pytest

from scratch.registry import LAYER_TYPES
from tests.helpers import component_checks as checks

EVERY_LAYER_TYPE = checks.layer_type_params()
DTYPES = ["float32", "float64"]


def test_every_layer_type_has_an_example_spec_and_the_exceptions_name_real_types():
    for record in LAYER_TYPES.values():
        checks.example_spec(record)  # raises, naming the record, if a required key cannot be guessed
    for table in (checks.EXAMPLE_SPECS, checks.NOT_DIFFERENTIABLE):
        assert set(table) <= set(LAYER_TYPES), f"unknown layer types: {set(table) - set(LAYER_TYPES)}"


@pytest.mark.parametrize("record", checks.layer_type_params(differentiable_only=True))
def test_gradients_match_finite_differences(record):
    checks.check_gradients(record)


@pytest.mark.parametrize("record", EVERY_LAYER_TYPE)
def test_float32_stays_float32(record):
    checks.check_dtype_preserved(record, "float32")


@pytest.mark.parametrize("record", EVERY_LAYER_TYPE)
def test_output_shape_is_the_records(record):
    checks.check_output_shape(record)


@pytest.mark.parametrize("record", EVERY_LAYER_TYPE)
def test_nan_input_is_refused_naming_the_layer(record):
    checks.check_rejects_nan_input(record)


@pytest.mark.parametrize("record", EVERY_LAYER_TYPE)
def test_other_input_width_is_refused_or_follows_the_records_output_shape(record):
    checks.check_input_width(record)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("record", EVERY_LAYER_TYPE)
def test_get_and_set_params_round_trip(record, dtype):
    checks.check_params_round_trip(record, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("record", EVERY_LAYER_TYPE)
def test_save_and_load_round_trip(record, dtype, tmp_path):
    checks.check_save_load_round_trip(record, tmp_path, dtype)
