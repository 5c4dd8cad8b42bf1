"""Worker side of `make bench`: time and memory of one training step, run in a fresh process.

A timing task builds every implementation for one (network, dtype, threads) and times them in
interleaved blocks (scratch, torch, tf eager, tf.function, jax, jax.jit, scratch's matmuls, ...), so a
change in background load hits all of them alike; the median per-step time of the blocks is the
result. A memory task runs one implementation alone, so its resident memory is its own.
Run as `python -m benchmarks.train_step '<task as JSON>'`: one JSON row per line on stdout.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
              "TF_NUM_INTEROP_THREADS")
MATMUL = ("numpy", "matmul")  # the pseudo-run that times scratch's matrix products alone
# NOTE: idle BLAS/OpenMP worker threads spin for a while after a call (OpenBLAS: 2^28 cycles, about
# 0.1 s); with several threads, a pause before each block keeps one run's spinners off the next.
COOLDOWN_S = 0.12


def thread_env(threads: int) -> dict[str, str]:
    """Environment of a worker: every thread-count variable = threads, quiet TF, Keras on TF; JAX on the
    CPU with float64 on and XLA's intra-op threads = threads (docs/conventions.md §16)."""
    return {**{name: str(threads) for name in THREAD_ENV}, "TF_CPP_MIN_LOG_LEVEL": "3",
            "KERAS_BACKEND": "tensorflow", "PYTHONWARNINGS": "ignore", "JAX_ENABLE_X64": "1",
            "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}"}


def configure_threads(threads: int, implementations: set[str]) -> None:
    """torch.set_num_threads and TF intra/inter-op threads; NumPy's BLAS reads the environment."""
    if "torch" in implementations:
        import torch

        torch.set_num_threads(threads)
    if "tensorflow" in implementations:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def _gemm_operands(layer):
    """(x, W) of a layer's matrix product: Dense's (N, in) @ (in, out); a convolution's im2col columns
    (N, G, out, k*C/G) @ its grouped kernel (G, k*C/G, F/G), the transposes of the products it computes
    (W @ cols per sample and group: the same multiply-adds); None for a layer without one."""
    if layer.kind == "dense":
        return layer.inputs, layer.params["weight"]
    if layer.kind in ("conv1d", "conv2d"):
        return layer.cache["cols"].swapaxes(-1, -2), layer._grouped_weight().swapaxes(-1, -2)
    return None


def matmul_replay(model) -> Callable[[], None]:
    """The matrix products of one scratch training step alone (Dense and convolution GEMMs), on the same
    shapes and dtype.

    Per layer: z = x @ W, dW = x^T @ dz and, for every such layer but the first, dx = dz @ W^T
    (Sequential's training backward skips the input gradient nobody uses, as autograd does).
    """
    import numpy as np

    operands = [found for layer in model.layers if (found := _gemm_operands(layer)) is not None]
    work = []
    for i, (x, weight) in enumerate(operands):
        grad = np.ones((*x.shape[:-1], weight.shape[-1]), dtype=weight.dtype)  # values do not change the time
        work.append((x, weight, grad, i > 0))

    def replay() -> None:
        for x, weight, grad, input_grad in work:
            _ = np.matmul(x, weight)
            _ = np.matmul(np.swapaxes(x, -1, -2), grad)
            if input_grad:
                _ = np.matmul(grad, np.swapaxes(weight, -1, -2))

    return replay


def im2col_mib(model) -> float | None:
    """MiB of the im2col columns a scratch step holds (forward's; backward's dcols are the same size
    again), or None for a network without convolutions."""
    sizes = [layer.cache["cols"].nbytes for layer in model.layers if layer.kind in ("conv1d", "conv2d")]
    return sum(sizes) / 2**20 if sizes else None


def time_interleaved(runs: dict[tuple[str, str], Callable], repeats: int, block_s: float, warmup: int,
                     cooldown_s: float = 0.0) -> dict[str, dict]:
    """Warm every run up, size its blocks to about block_s, then time `repeats` rounds of blocks.

    Returns {run: {"times": per-step seconds of each block, "steps": steps per block}}.
    """
    steps = {}
    for name, run in runs.items():
        durations = []
        for _ in range(max(warmup, 3)):
            started = time.perf_counter()
            run()
            durations.append(time.perf_counter() - started)
        once = max(statistics.median(durations[len(durations) // 2:]), 1e-7)  # the later, warm calls
        steps[name] = max(1, round(block_s / once))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            if cooldown_s:
                time.sleep(cooldown_s)
            started = time.perf_counter()
            for _ in range(steps[name]):
                run()
            times[name].append((time.perf_counter() - started) / steps[name])
    return {name: {"times": times[name], "steps": steps[name]} for name in runs}


def summarize(times: list[float]) -> dict[str, float]:
    """median_s, min_s and iqr_s (interquartile range) of per-step times."""
    quartiles = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return {"median_s": statistics.median(times), "min_s": min(times), "iqr_s": quartiles[2] - quartiles[0]}


def row_key(task: dict, implementation: str, mode: str, batch: int) -> dict:
    """The columns that identify a row (study, network, implementation, mode, dtype, batch, ...)."""
    return {"study": task["study"], "network": task["network"], "implementation": implementation,
            "mode": mode, "dtype": task["dtype"], "batch": batch, "threads": task["threads"],
            "optimizer": task["optimizer"]}


def timing_rows(task: dict) -> list[dict]:
    """Rows of one timing task: every run of task['runs'] at every batch size, interleaved."""
    from benchmarks.steps import build_step

    network, dtype, threads = task.get("cnn") or tuple(task["dims"]), task["dtype"], task["threads"]
    runs = [tuple(run) for run in task["runs"]]
    configure_threads(threads, {impl for impl, _ in runs})
    rows = []
    for batch in task["batches"]:
        steps, scratch_model, columns = {}, None, None
        for implementation, mode in runs:
            step, model = build_step(implementation, mode, network, batch, dtype, task["optimizer"])
            steps[(implementation, mode)] = step
            scratch_model = model if implementation == "scratch" else scratch_model
        if scratch_model is not None:
            steps[("scratch", "eager")]()  # one step caches every layer's GEMM input for the replay
            steps[MATMUL] = matmul_replay(scratch_model)
            columns = im2col_mib(scratch_model)
        results = time_interleaved(steps, task["repeats"], task["block_s"], task["warmup"],
                                   COOLDOWN_S if threads > 1 else 0.0)
        for (implementation, mode), result in results.items():
            rows.append({**row_key(task, implementation, mode, batch), **summarize(result["times"]),
                         "steps_per_repeat": result["steps"], "repeats": len(result["times"]),
                         "load_avg": round(os.getloadavg()[0], 2),
                         "im2col_mib": columns if implementation == "scratch" else None})
        del steps, scratch_model, results
        gc.collect()
    return rows


def _status_mib(field: str) -> float | None:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MiB; None where /proc is absent."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Set the peak-RSS mark (VmHWM) to the current RSS (Linux: echo 5 > /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _import_implementation(implementation: str) -> None:
    """Import what a run of this implementation imports, so the baseline RSS includes it."""
    import benchmarks.steps  # noqa: F401
    import scratch.model  # noqa: F401

    if implementation == "torch":
        import reference.torch_models  # noqa: F401
        import reference.torch_optimizers  # noqa: F401
    if implementation == "tensorflow":
        import reference.tensorflow_models  # noqa: F401
        import reference.tensorflow_optimizers  # noqa: F401
    if implementation == "jax":
        import reference.jax_models  # noqa: F401
        import reference.jax_optimizers  # noqa: F401


def scratch_step_alloc_mib(step: Callable) -> float:
    """Largest NumPy memory one scratch step holds at once beyond what it started with (tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        step()  # allocations of a steady-state step, not first-call ones
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        step()
        return (tracemalloc.get_traced_memory()[1] - before) / 2**20
    finally:
        tracemalloc.stop()


def memory_rows(task: dict) -> list[dict]:
    """Rows of one memory task: one implementation alone, batch sizes in increasing order."""
    from benchmarks.steps import build_step

    implementation, mode = task["run"]
    network, dtype, threads = task.get("cnn") or tuple(task["dims"]), task["dtype"], task["threads"]
    _import_implementation(implementation)
    configure_threads(threads, {implementation})
    build_step(implementation, mode, network, 2, dtype, task["optimizer"])[0]()  # runtime initialised
    gc.collect()
    baseline = _status_mib("VmRSS")
    rows = []
    for batch in sorted(task["batches"]):
        gc.collect()
        peak_known = reset_peak_rss()
        step, _ = build_step(implementation, mode, network, batch, dtype, task["optimizer"])
        for _ in range(task["steps"]):
            step()
        row = {**row_key(task, implementation, mode, batch), "baseline_rss_mib": baseline,
               "peak_rss_mib": _status_mib("VmHWM") if peak_known else None}
        if implementation == "scratch":
            row["step_alloc_mib"] = scratch_step_alloc_mib(step)
        rows.append(row)
        del step
    return rows


def main(argv: list[str]) -> int:
    """Run the task given as JSON in argv[1]; print one JSON row per line."""
    task = json.loads(argv[1])
    rows = timing_rows(task) if task["kind"] == "timing" else memory_rows(task)
    for row in rows:
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
