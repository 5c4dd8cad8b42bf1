"""Training trajectories: loss, gradients and parameters at every step, free-running and teacher-forced."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(all_cases(), kind="training"))
def test_training(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
