"""Known differences are data: matching rows become known_difference; bad files are clear errors."""

import pytest

from comparisons.core.known_differences import (
    KnownDifference,
    KnownDifferencesError,
    load_known_differences,
    match_known_difference,
)

ROW = {"case": "loss_bce_saturated", "framework": "torch", "dtype": "float64",
       "quantity": "loss", "tensor": "loss", "max_abs_err": 44.2}


def entry(**overrides) -> KnownDifference:
    fields = dict(case_pattern="loss_bce_*", framework="torch", dtype="*", quantity="loss",
                  tensor="*", reason="BCELoss clamps log at -100", expected_magnitude=50.0)
    return KnownDifference(**{**fields, **overrides})


def test_a_matching_entry_within_its_magnitude_covers_the_row():
    assert match_known_difference(ROW, [entry()]) == entry()


@pytest.mark.parametrize("overrides", [
    {"framework": "tensorflow"}, {"case_pattern": "loss_mse*"}, {"quantity": "grad_input"},
    {"expected_magnitude": 10.0},  # the error grew beyond what the entry explains
])
def test_an_entry_that_does_not_fit_leaves_the_row_failed(overrides):
    assert match_known_difference(ROW, [entry(**overrides)]) is None


def test_the_shipped_file_parses():
    for item in load_known_differences():
        assert item.reason and item.expected_magnitude >= 0


def test_a_malformed_file_is_a_clear_error(tmp_path):
    path = tmp_path / "kd.csv"
    path.write_text("case_pattern,framework,dtype,quantity,tensor,reason,expected_magnitude,link\n"
                    "x,torch,*,loss,*,why,not-a-number,\n")
    with pytest.raises(KnownDifferencesError, match="not a number"):
        load_known_differences(path)
    path.write_text("case_pattern,framework\nx,torch\n")
    with pytest.raises(KnownDifferencesError, match="lacks"):
        load_known_differences(path)


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(KnownDifferencesError, match="cannot read"):
        load_known_differences(tmp_path / "missing.csv")
