"""Test-only pytest plugin (`-p tests.helpers.fault_plugin`): faults planted in a harness run.

Chosen by environment variables:

NN_PARITY_FAULT_CRASH=<test id prefix>  the torch adapter's run_pass raises in the matching tests only
NN_PARITY_FAULT_BLOCK=<test id prefix>  the matching test touches $NN_PARITY_FAULT_MARKER, then sleeps
                                        (so that the run can be interrupted while it is there)
NN_PARITY_FAULT_HIDE=torch              torch can be neither found nor imported, as if not installed
"""

from __future__ import annotations

import os
import sys
import time
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

CRASH = os.environ.get("NN_PARITY_FAULT_CRASH", "")
BLOCK = os.environ.get("NN_PARITY_FAULT_BLOCK", "")
HIDE = os.environ.get("NN_PARITY_FAULT_HIDE", "")
INJECTED = "injected fault"



class HidingFinder:
    """sys.meta_path's PathFinder, blind to one top-level package: find_spec gives None, import fails."""

    def __init__(self, inner, hidden: str) -> None:
        self.inner, self.hidden = inner, hidden

    def find_spec(self, name: str, path=None, target=None):
        """None for the hidden package and its submodules, else what the real finder says."""
        if name.partition(".")[0] == self.hidden:
            return None
        return self.inner.find_spec(name, path, target)

    def __getattr__(self, attribute: str):
        return getattr(self.inner, attribute)


if HIDE:
    # NOTE: not sys.modules[HIDE] = None: libraries that test `HIDE in sys.modules` (scipy) then break.
    if HIDE in sys.modules:
        raise RuntimeError(f"{HIDE} was imported before tests.helpers.fault_plugin could hide it")
    sys.meta_path[:] = [HidingFinder(f, HIDE) if f is PathFinder else f for f in sys.meta_path]

_current: list[str] = [""]  # the id of the test now running, e.g. 'act_relu_normal-torch-float32'


def _test_id(item: pytest.Item) -> str:
    return getattr(getattr(item, "callspec", None), "id", "")


if CRASH:
    from comparisons.adapters import torch_adapter

    _real_run_pass = torch_adapter.run_pass

    def _faulty_run_pass(*args, **kwargs):
        """torch_adapter.run_pass, except in the chosen tests, where it raises."""
        if _current[0].startswith(CRASH):
            raise RuntimeError(f"{INJECTED} in {_current[0]}")
        return _real_run_pass(*args, **kwargs)

    torch_adapter.run_pass = _faulty_run_pass


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Remember which test runs; in the blocked test, signal the marker file and wait to be stopped."""
    _current[0] = _test_id(item)
    if BLOCK and _current[0].startswith(BLOCK):
        Path(os.environ["NN_PARITY_FAULT_MARKER"]).write_text(_current[0])
        for _ in range(1200):  # short sleeps: Python runs a signal handler between them at the latest
            time.sleep(0.1)
