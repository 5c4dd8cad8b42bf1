"""What every comparison test driver does: parametrize over cases, run, record rows, assert."""

from __future__ import annotations

import pytest

from comparisons.cases import Case
from comparisons.runner import compare_case


def case_params(cases, kind: str) -> list:
    """pytest params (case, framework, dtype) with ids '<case>-<framework>-<dtype>'."""
    return [
        pytest.param(case, framework, dtype, id=f"{case.id}-{framework}-{dtype}")
        for case in cases
        if case.kind == kind
        for framework in case.frameworks
        for dtype in case.dtypes
    ]


def run_and_record(case: Case, framework: str, dtype: str, parity_report) -> None:
    """Compare, hand the rows to the report, skip when the framework is missing, fail on a divergence."""
    from comparisons.projects import write_artifacts

    outcome = compare_case(case, framework, dtype, parity_report.known_differences)
    parity_report.add(outcome.rows, outcome.trajectory)
    if outcome.rows and outcome.rows[0]["status"] != "skipped":
        write_artifacts(case, framework, dtype, outcome, parity_report.report_dir)
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    assert not outcome.failures, "\n".join(outcome.failures)
