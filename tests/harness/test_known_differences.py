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


# --- every entry explains one formula difference, scoped, with its proof

def _shipped() -> list[KnownDifference]:
    return load_known_differences()


def test_no_entry_covers_every_quantity():
    assert not [e.key for e in _shipped() if e.quantity.strip("*") == ""]


def test_every_entry_names_a_proof_case_that_exists_or_says_why_none_can():
    from comparisons.cases import all_cases

    cases = {case.id: case for case in all_cases()}
    for entry in _shipped():
        assert entry.proof, f"{entry.key} names no proof"
        if entry.proof.startswith("none:"):
            assert len(entry.proof) > len("none: ") + 20, f"{entry.key}: say why no option can exist"
            continue
        for case_id in entry.proof_cases:
            assert case_id in cases, f"{entry.key}: proof case {case_id!r} does not exist"
            frameworks = cases[case_id].frameworks
            assert entry.framework == "*" or frameworks is None or entry.framework in frameworks


def _row(case, status="passed", framework="torch", err=0.0, entry=None):
    return {"case": case, "framework": framework, "dtype": "float64", "quantity": "loss", "tensor": "loss",
            "status": status, "max_abs_err": err, "known_difference": entry}


def test_the_audit_tells_matched_stale_and_unselected_entries_apart_and_checks_the_proof():
    from comparisons.core.known_differences import audit, failed_proofs

    known = entry(proof="loss_bce_plain")
    absorbed = _row("loss_bce_saturated", "known_difference", err=10.0, entry=known.key)
    passed = _row("loss_bce_plain")
    [matched] = audit([known], [absorbed, passed])
    assert (matched["status"], matched["rows"], matched["bound_over_measured"], matched["proof_status"]) == (
        "matched", 1, 5.0, "passed")
    assert audit([known], [_row("loss_bce_saturated"), passed])[0]["status"] == "unmatched"  # stale
    assert audit([known], [_row("loss_mse_regression")])[0]["status"] == "not selected"
    assert audit([known], [absorbed])[0]["proof_status"] == "not selected"
    failing = audit([known], [absorbed, _row("loss_bce_plain", "failed", err=1.0)])
    assert failing[0]["proof_status"] == "failed" and failed_proofs(failing) == [
        f"{known.key}: proof loss_bce_plain failed"]
    hidden = _row("loss_bce_plain", "known_difference", err=1.0, entry=known.key)  # its own formula
    assert audit([known], [absorbed, hidden])[0]["proof_status"] == "failed"
    other = _row("loss_bce_plain", "known_difference", err=0.0, entry="other")  # another entry's difference
    assert audit([known], [absorbed, other])[0]["proof_status"] == "passed"


def test_extreme_cases_state_their_outcome_and_no_entry_covers_an_agreeing_one():
    from fnmatch import fnmatchcase

    from comparisons.cases.extremes import EXTREME_CASES

    for case in EXTREME_CASES:
        expected = case.options.get("expected")
        assert expected, f"{case.id} states no expected outcome"
        covering = [e.key for e in load_known_differences() if fnmatchcase(case.id, e.case_pattern)]
        assert covering == ([] if expected == "agree" else [expected]), case.id
