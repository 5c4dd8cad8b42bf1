"""Test-only pytest plugin (`-p tests.helpers.modules_plugin`): at the end of a run, the top-level modules
the process imported, one a line, into the file named by NN_PARITY_MODULES_FILE."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def pytest_sessionfinish(session, exitstatus) -> None:
    """Write sorted top-level names of sys.modules (torch, tensorflow, jax, ...)."""
    target = os.environ.get("NN_PARITY_MODULES_FILE")
    if target:
        Path(target).write_text("\n".join(sorted({name.split(".")[0] for name in sys.modules})) + "\n")
