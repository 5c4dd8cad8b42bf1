"""Perceptron vs scikit-learn: weight and bias after every epoch from identical initial weights."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(all_cases(), kind="perceptron"))
def test_perceptron(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
