"""Negative controls: each deliberately wrong scratch variant must fail, first at the expected tensor."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.cases.negative_controls import SUITE, control_problem
from comparisons.harness.driver import case_params
from comparisons.kinds.dispatch import compare_case

CONTROLS = [case for case in all_cases() if case.suite == SUITE]


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(CONTROLS, kind="pass"))
def test_negative_control_is_caught(case, framework, dtype, parity_report):
    """Rows go to the report (their failed statuses are the catch); the test passes when caught right."""
    outcome = compare_case(case, framework, dtype, parity_report.known_differences, parity_report.settings)
    parity_report.add(outcome.rows)
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    problem = control_problem(case, outcome, framework, dtype)
    assert problem is None, problem
