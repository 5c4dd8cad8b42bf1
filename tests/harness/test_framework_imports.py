"""torch, TensorFlow and JAX in one process, in both import orders; a JAX-only run imports neither of the
others; a float64 case that JAX computed in float32 is a crash row, never a pass (docs/conventions.md §16)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("torch", "tensorflow", "jax")
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in FRAMEWORKS),
                                reason="needs torch, tensorflow and jax installed")

COMPUTE = """
import numpy as np
import jax.numpy as jnp, tensorflow as tf, torch
x = np.arange(6.0).reshape(2, 3)
results = [float(torch.from_numpy(x).sum()), float(tf.reduce_sum(tf.constant(x))), float(jnp.sum(x))]
assert results == [15.0] * 3, results
print(jnp.zeros(1).dtype)
"""


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=environment)


@pytest.mark.parametrize("order", [FRAMEWORKS, tuple(reversed(FRAMEWORKS))], ids=["torch_first", "jax_first"])
def test_the_three_frameworks_import_together_in_either_order(order):
    code = ("from comparisons.core.determinism import configure_environment\nconfigure_environment()\n"
            + "".join(f"import {name}\n" for name in order) + COMPUTE)
    result = _python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "float64"  # configure_environment turned x64 on


def test_a_jax_only_run_imports_neither_torch_nor_tensorflow(tmp_path):
    modules = tmp_path / "modules.txt"
    command = [sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider",
               "-p", "tests.helpers.modules_plugin", "--framework", "jax", "-k", "mlp_spiral_cce-jax",
               "--report-dir", str(tmp_path / "report")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NN_PARITY_MODULES_FILE": str(modules)}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout
    imported = set(modules.read_text().split())
    assert "jax" in imported and "optax" in imported
    others = imported & {"torch", "tensorflow", "keras"}
    assert not others, sorted(others)


FALLBACK = """
from comparisons.core.determinism import configure_environment
configure_environment()  # JAX_ENABLE_X64=0 from the caller stays: float64 falls back to float32
from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case
for dtype in ("float32", "float64"):
    rows = compare_case(case_by_id("mlp_spiral_cce"), "jax", dtype).rows
    print(dtype, sorted({row["status"] for row in rows}), rows[-1]["reason"][:400])
"""


def test_a_float64_case_that_jax_ran_in_float32_is_a_crash_not_a_pass():
    result = _python(FALLBACK, JAX_ENABLE_X64="0")
    assert result.returncode == 0, result.stderr[-3000:]
    float32, float64 = result.stdout.strip().splitlines()
    assert float32.startswith("float32 ['passed']"), float32
    assert float64.startswith("float64 ['crash']"), float64
    for fragment in ("JaxDtypeError", "float32", "float64", "JAX_ENABLE_X64"):
        assert fragment in float64, f"crash reason lacks {fragment!r}: {float64}"


def test_the_dtype_check_names_the_tensor_and_both_dtypes():
    from comparisons.adapters.jax_adapter import JaxDtypeError, _numpy

    assert _numpy("x", np.ones(2, np.float32), "float32").dtype == np.float32
    assert _numpy("labels", np.arange(3), "float64").dtype.kind == "i"  # only float arrays are checked
    message = r"grad_param '0\.weight' as float32, but the case dtype is float64"
    with pytest.raises(JaxDtypeError, match=message):
        _numpy("grad_param '0.weight'", np.ones(2, np.float32), "float64")
