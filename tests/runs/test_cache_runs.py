"""The reference cache in whole runs (subprocesses): a cached run writes exactly the rows of a live one and,
fully cached, imports no framework; collecting the comparisons imports no framework and no plotting or
data library; a torch-only run never imports TensorFlow."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runs.test_report_runs import read_rows

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"torch", "tensorflow", "keras", "jax", "optax", "jaxlib"}
# a pass, dropout masks shared in teacher-forced and free training, an optimizer, an initializer, a
# landscape, a negative control's localization (which calls the framework again); the perceptron's one
# read (sklearn) goes through the same stand-in and is left out to keep this short
SELECTION = ("mlp_spiral_cce or proj_nnfs_ch15_spiral_dropout_adam or opt_adam_decay or init_he_uniform or "
             "proj_loss_landscape_linear or neg_mse_grad_without_mean")
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("torch", "tensorflow", "jax")),
    reason="needs torch, tensorflow and jax installed")


def run(tmp_path: Path, name: str, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`pytest comparisons ARGS` writing to tmp_path/name; the top-level modules it imported."""
    modules = tmp_path / f"{name}-modules.txt"
    command = [sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider",
               "-p", "tests.helpers.modules_plugin", "--report-dir", str(tmp_path / name), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NN_PARITY_MODULES_FILE": str(modules)}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result, set(modules.read_text().split())


def test_a_cached_run_gives_the_rows_of_a_live_run_and_imports_no_framework(tmp_path):
    cache = ["--cache-dir", str(tmp_path / "cache"), "-k", SELECTION, "--dtype", "float64"]
    live, live_modules = run(tmp_path, "live", *cache)  # an empty cache: every framework runs, is recorded
    assert {"torch", "tensorflow", "jax"} <= live_modules
    assert list((tmp_path / "cache" / "jax-compiled").iterdir())  # JAX's compiled programs, kept for a rerun
    cached, cached_modules = run(tmp_path, "cached", *cache)
    assert live.stdout.splitlines()[-1].split(" in ")[0] == cached.stdout.splitlines()[-1].split(" in ")[0]
    for name in ("agreement.csv", "summary.csv", "trajectories.csv", "known_differences.csv"):
        rows = read_rows(tmp_path / "live" / name)
        assert rows and read_rows(tmp_path / "cached" / name) == rows, name
    projects = sorted((tmp_path / "live" / "projects").iterdir())
    assert projects and [p.read_bytes() for p in projects] == [
        (tmp_path / "cached" / "projects" / p.name).read_bytes() for p in projects]
    assert not cached_modules & FRAMEWORKS, sorted(cached_modules & FRAMEWORKS)


def test_collection_imports_no_framework_plotting_or_data_library(tmp_path):
    _, modules = run(tmp_path, "collect", "--collect-only")
    heavy = FRAMEWORKS | {"sklearn", "scipy", "pandas", "matplotlib", "PIL"}
    assert not modules & heavy, sorted(modules & heavy)


def test_a_torch_run_never_imports_tensorflow_or_jax(tmp_path):
    _, modules = run(tmp_path, "torch", "--framework", "torch", "--no-cache", "-k", "mlp_spiral_cce")
    assert "torch" in modules
    assert not modules & {"tensorflow", "keras", "jax"}, sorted(modules & {"tensorflow", "keras", "jax"})
