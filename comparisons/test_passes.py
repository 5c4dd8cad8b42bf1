"""Forward and backward of every model case: scratch vs each framework, every tensor compared."""

from __future__ import annotations

import pytest

from comparisons.cases import CASES
from comparisons.runner import compare_case

PARAMS = [
    pytest.param(case, framework, dtype, id=f"{case.id}-{framework}-{dtype}")
    for case in CASES
    if case.suite == "model"
    for framework in case.frameworks
    for dtype in case.dtypes
]


@pytest.mark.parametrize(("case", "framework", "dtype"), PARAMS)
def test_model_pass(case, framework, dtype, parity_report):
    outcome = compare_case(case, framework, dtype, parity_report.known_differences)
    parity_report.add(outcome.rows)
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    assert not outcome.failures, "\n".join(outcome.failures)
