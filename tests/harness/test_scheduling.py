"""How a parallel run hands out its tests: work stealing unless the user chose a --dist."""

from __future__ import annotations

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
