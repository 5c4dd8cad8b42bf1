"""What `make bench` measures: the tasks, the worker processes that run them, the merged CSV rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from benchmarks.steps import CNNS, NETWORKS, RUNS, SEQUENCES, network_name
from benchmarks.train_step import MATMUL, thread_env

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK_COLUMNS = (
    "study", "network", "implementation", "mode", "dtype", "batch", "threads", "optimizer",
    "median_s", "min_s", "iqr_s", "samples_per_s", "ratio_to_scratch", "matmul_s", "matmul_fraction",
    "baseline_rss_mib", "peak_rss_mib", "step_alloc_mib", "im2col_mib", "steps_per_repeat", "repeats",
    "load_avg",
)
KEY = ("study", "network", "implementation", "mode", "dtype", "batch", "threads", "optimizer")


@dataclass(frozen=True)
class Settings:
    """What to run: thread counts, dtypes, batch sizes, repeats; the scaling study's sizes."""

    threads: tuple[int, ...] = (1, 2)
    dtypes: tuple[str, ...] = ("float32", "float64")
    batches: tuple[int, ...] = (32, 128, 512)
    networks: tuple[str, ...] = tuple(NETWORKS)
    runs: tuple[tuple[str, str], ...] = RUNS
    optimizer: str = "sgd"
    repeats: int = 15
    block_s: float = 0.1
    warmup: int = 10
    memory_steps: int = 3
    scaling_batches: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024)
    scaling_widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048)  # 784-w-w/2-10 at batch 128
    scaling_runs: tuple[tuple[str, str], ...] = (("scratch", "eager"), ("torch", "eager"))
    cnns: tuple[str, ...] = tuple(CNNS)  # float32, one thread: scratch vs torch eager vs tf.function
    cnn_batches: tuple[int, ...] = (32, 128)
    cnn_runs: tuple[tuple[str, str], ...] = (("scratch", "eager"), ("torch", "eager"),
                                             ("tensorflow", "function"))  # the sequence nets' runs too
    sequences: tuple[str, ...] = tuple(SEQUENCES)  # the LSTMs: float32, one thread, cnn_runs
    sequence_batches: tuple[int, ...] = (32,)


QUICK = Settings(threads=(1,), batches=(32, 128), repeats=3, block_s=0.02, warmup=2, memory_steps=1,
                 scaling_batches=(32, 64, 128), scaling_widths=(64, 128, 256))


def _task(kind: str, study: str, dims: tuple[int, ...] | str, dtype: str, threads: int, settings: Settings,
          **extra) -> dict:
    """A worker task; dims are an MLP's widths, or a CNN's or sequence net's name (benchmarks.steps.CNNS,
    SEQUENCES; the task's key 'cnn' names either)."""
    network = {"network": dims, "cnn": dims} if isinstance(dims, str) else {
        "network": network_name(dims), "dims": list(dims)}
    return {"kind": kind, "study": study, **network, "dtype": dtype,
            "threads": threads, "optimizer": settings.optimizer, "repeats": settings.repeats,
            "block_s": settings.block_s, "warmup": settings.warmup, "steps": settings.memory_steps, **extra}


def grid_tasks(settings: Settings) -> list[dict]:
    """Timing (all runs interleaved) and memory (one run per process) tasks of the main grid."""
    tasks = []
    for threads in settings.threads:
        for network in settings.networks:
            for dtype in settings.dtypes:
                dims = NETWORKS[network]
                common = {"dims": dims, "dtype": dtype, "threads": threads, "settings": settings,
                          "batches": list(settings.batches)}
                tasks.append(_task("timing", "grid", runs=[list(r) for r in settings.runs], **common))
                tasks += [_task("memory", "grid", run=list(run), **common) for run in settings.runs]
    return tasks


def scaling_tasks(settings: Settings) -> list[dict]:
    """Step time as the batch doubles (784-256-128-10) and as the width doubles (batch 128), float32."""
    runs = [list(r) for r in settings.scaling_runs]
    threads = settings.threads[0]
    tasks = [_task("timing", "scaling_batch", NETWORKS["mnist"], "float32", threads, settings, runs=runs,
                   batches=list(settings.scaling_batches))]
    for width in settings.scaling_widths:
        tasks.append(_task("timing", "scaling_width", (784, width, width // 2, 10), "float32", threads,
                           settings, runs=runs, batches=[128]))
    return tasks


def cnn_tasks(settings: Settings, study: str = "cnn") -> list[dict]:
    """Timing and memory of the CNNs' training step (study 'sequence': the LSTMs'): float32, the first
    thread count, cnn_runs."""
    tasks, threads = [], settings.threads[0]
    networks, batches = ((settings.cnns, settings.cnn_batches) if study == "cnn"
                         else (settings.sequences, settings.sequence_batches))
    for network in networks:
        common = {"dtype": "float32", "threads": threads, "settings": settings, "batches": list(batches)}
        tasks.append(_task("timing", study, network, runs=[list(r) for r in settings.cnn_runs], **common))
        tasks += [_task("memory", study, network, run=list(run), **common) for run in settings.cnn_runs]
    return tasks


def run_task(task: dict) -> list[dict]:
    """Run one task in a fresh `python -m benchmarks.train_step` process with its thread settings."""
    env = {**os.environ, **thread_env(task["threads"])}
    done = subprocess.run([sys.executable, "-m", "benchmarks.train_step", json.dumps(task)], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker failed on {task['kind']} {task['network']} {task['dtype']} "
                           f"threads={task['threads']}:\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _key(row: dict) -> tuple:
    return tuple(row[k] for k in KEY)


def merge(timing: list[dict], memory: list[dict]) -> list[dict]:
    """One row per KEY: timing with the memory columns, samples/s, ratios, scratch's matmul share."""
    memory_by_key = {_key(row): row for row in memory}
    matmul = {_key({**row, "implementation": "scratch", "mode": "eager"}): row["median_s"]
              for row in timing if (row["implementation"], row["mode"]) == MATMUL}
    rows = [row for row in timing if (row["implementation"], row["mode"]) != MATMUL]
    scratch = {_key({**row, "implementation": "", "mode": ""}): row["median_s"]
               for row in rows if row["implementation"] == "scratch"}
    merged = []
    for row in rows:
        extra = memory_by_key.get(_key(row), {})
        out = {**row, **{k: extra.get(k) for k in ("baseline_rss_mib", "peak_rss_mib", "step_alloc_mib")},
               "samples_per_s": row["batch"] / row["median_s"]}
        reference = scratch.get(_key({**row, "implementation": "", "mode": ""}))
        out["ratio_to_scratch"] = row["median_s"] / reference if reference else None
        if _key(row) in matmul:
            out["matmul_s"] = matmul[_key(row)]
            out["matmul_fraction"] = out["matmul_s"] / row["median_s"]
        merged.append(out)
    return sorted(merged, key=_sort_key)


def _sort_key(row: dict) -> tuple:
    runs = {run: i for i, run in enumerate(RUNS)}
    return (row["study"], row["network"], row["dtype"], row["threads"], row["batch"],
            runs.get((row["implementation"], row["mode"]), len(runs)))


def machine() -> dict:
    """CPU model and logical cores (from /proc/cpuinfo where there is one), NumPy's BLAS, versions."""
    import platform

    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    versions = {}
    for package in ("torch", "tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib", "optax"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    numpy_blas = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    return {"cpu": cpu, "logical_cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "numpy_blas": numpy_blas, **versions}
