"""Scalar expression graphs: the value and every leaf's gradient, the implementation's autograd against
the frameworks' own (torch .backward(), TensorFlow GradientTape)."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(all_cases(), kind="expression"))
def test_expressions(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
