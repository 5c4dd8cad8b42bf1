"""What every comparison test driver does: parametrize over cases, run, record rows, assert."""

from __future__ import annotations

import pytest

from comparisons.adapters import frameworks_for
from comparisons.adapters.cache import artifact_cache
from comparisons.core.artifact_files import Artifacts
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
    """Compare (writing the case's project artifacts, kept with its outcome), hand the rows to the report,
    skip when the framework is missing, fail on a divergence."""
    settings = parity_report.settings

    def write(outcome, folder) -> None:  # only project artifacts read an outcome's extras
        with artifact_cache(settings.cache, settings.threads):
            write_artifacts(case, framework, dtype, outcome, folder)

    hook = Artifacts(write, parity_report.report_dir) if hasattr(module_of(case), "artifacts") else None
    outcome = compare_case(case, framework, dtype, parity_report.known_differences, settings, extras=False,
                           artifacts=hook)
    parity_report.add(outcome.rows, outcome.trajectory)
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    assert not outcome.failures, "\n".join(outcome.failures)
