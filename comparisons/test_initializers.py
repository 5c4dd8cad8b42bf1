"""Initializers: distribution statistics of seeded scratch and framework draws, and Dense defaults."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(all_cases(), kind="initializer"))
def test_initializers(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
