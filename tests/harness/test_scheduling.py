"""How a run hands out its tests (work stealing unless the user chose a --dist), and what it sets aside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from comparisons.harness.speed import pytest_cmdline_main


@pytest.mark.parametrize(("workers", "dist", "expected"), [
    (2, "no", "worksteal"),     # -n 2: a worker that runs out takes tests queued for the other
    ("auto", "no", "worksteal"),
    (2, "load", "load"),        # an explicit --dist stays
    (2, "loadscope", "loadscope"),
    (0, "no", "no"),            # -n 0 and no -n: no distribution at all
    (None, "no", "no"),
])
def test_parallel_runs_steal_work_unless_a_dist_was_chosen(workers, dist, expected):
    config = SimpleNamespace(option=SimpleNamespace(numprocesses=workers, dist=dist))
    before_pytest = pytest_cmdline_main(config)  # a hook wrapper: its first part runs before xdist's hook
    next(before_pytest)
    assert config.option.dist == expected


HYPOTHESIS_AFTER = """
import sys, pytest
pytest.main([{paths}, "--collect-only", "-q", "-p", "no:cacheprovider", "-k", "act_tanh_normal or random"])
print("hypothesis imported:", "hypothesis" in sys.modules)
"""


@pytest.mark.parametrize(("paths", "imported"), [
    ('"comparisons"', False),  # nothing of Hypothesis to report: its plugin's summary is not run
    ('"comparisons", "tests/meta/test_random_architectures.py"', True),  # a test that uses it: kept
])
def test_hypothesis_is_imported_only_by_runs_with_a_test_that_uses_it(paths, imported):
    pytest.importorskip("hypothesis")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", HYPOTHESIS_AFTER.format(paths=paths)], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)
    assert f"hypothesis imported: {imported}" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
