"""Loss landscapes: every grid point's loss from each implementation's own forward, compared as one grid."""

from __future__ import annotations

import pytest

from comparisons.cases import all_cases
from comparisons.harness.driver import case_params, run_and_record


@pytest.mark.parametrize(("case", "framework", "dtype"), case_params(all_cases(), kind="landscape"))
def test_landscape(case, framework, dtype, parity_report):
    run_and_record(case, framework, dtype, parity_report)
