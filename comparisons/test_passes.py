"""Forward and backward of every model and component case: scratch vs each framework, every tensor."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record

# Negative controls are pass cases too, but must fail: comparisons/test_negative_controls.py runs them.
PASS_CASES = [case for case in all_cases() if case.suite != "negative_control"]


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(PASS_CASES, kind="pass"))
def test_pass(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
