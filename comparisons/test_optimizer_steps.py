"""Optimizer steps: parameters after each of 10 steps from identical parameters and gradients."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(all_cases(), kind="optimizer"))
def test_optimizer_steps(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
