"""What every comparison test driver does: parametrize over cases, run, record rows, assert."""

from __future__ import annotations

import pytest

from comparisons.adapters import frameworks_for
from comparisons.adapters.cache import artifact_cache
from comparisons.core.case import Case
from comparisons.kinds.dispatch import compare_case
from comparisons.projects import module_of, write_artifacts


def case_params(cases, kind: str) -> list:
    """pytest params (case, framework, dtype) with ids '<case>-<framework>-<dtype>'."""
    return [
        pytest.param(case, framework, dtype, id=f"{case.id}-{framework}-{dtype}")
        for case in cases
        if case.kind == kind
        for framework in frameworks_for(case)
        for dtype in case.dtypes
    ]


def run_and_record(case: Case, framework: str, dtype: str, parity_report) -> None:
    """Compare, hand the rows to the report, skip when the framework is missing, fail on a divergence."""
    module = module_of(case)  # only project artifacts read an outcome's extras
    outcome = compare_case(case, framework, dtype, parity_report.known_differences, parity_report.settings,
                           extras=hasattr(module, "artifacts"))
    parity_report.add(outcome.rows, outcome.trajectory)
    if outcome.rows and outcome.rows[0]["status"] != "skipped":
        with artifact_cache(parity_report.settings.cache, parity_report.settings.threads):
            write_artifacts(case, framework, dtype, outcome, parity_report.report_dir)
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    assert not outcome.failures, "\n".join(outcome.failures)
