"""Harness cost: `make report` wall time, and per case the harness's time against the raw compute.

Raw compute is the time spent inside the adapters' build and run functions (build, run_pass,
run_optimizer, make_trainer and its trainers' step / loss / set_params, draw_initializer,
default_dense_params, run_perceptron): the implementations' own work. Everything else the
harness does around them (drawing data, casting, copying and reading parameters back,
comparing tensors, building rows) is its overhead.
"""

from __future__ import annotations

import csv
import functools
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPUTE = ("build", "run_pass", "run_optimizer", "make_trainer", "draw_initializer", "default_dense_params",
           "run_perceptron")
TRAINER_COMPUTE = ("step", "loss", "set_params")
HARNESS_COLUMNS = ("case", "suite", "kind", "framework", "dtype", "harness_elapsed_s", "rerun_total_s",
                   "raw_compute_s", "overhead_fraction")


def time_make_report(workers: int, report_dir: Path) -> dict:
    """Wall time of `make report WORKERS=workers REPORT_DIR=report_dir` (the venv already installed), every
    framework computing: the reference cache off (cache_cost.py times it with the cache)."""
    started = time.perf_counter()
    done = subprocess.run(["make", "report", f"WORKERS={workers}", f"REPORT_DIR={report_dir}"], cwd=ROOT,
                          env={**os.environ, "NN_PARITY_CACHE": "off"},
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return {"command": f"make report WORKERS={workers}", "workers": workers,
            "wall_s": time.perf_counter() - started, "exit_status": done.returncode,
            "load_avg": round(os.getloadavg()[0], 2)}


def harness_elapsed(agreement_csv: Path) -> dict[tuple[str, str, str], float]:
    """elapsed_s per (case, framework, dtype) from an agreement.csv (every row of a group has the same)."""
    if not agreement_csv.exists():
        return {}
    with agreement_csv.open(encoding="utf-8", newline="") as handle:
        return {(r["case"], r["framework"], r["dtype"]): float(r["elapsed_s"])
                for r in csv.DictReader(handle) if r.get("elapsed_s")}


class ComputeClock:
    """Seconds spent inside the adapters' compute functions; nested calls are counted once."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._saved: list[tuple[object, str, Callable]] = []

    def timed(self, function: Callable) -> Callable:
        """function, with the time of its outermost calls added to self.seconds."""

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self._depth -= 1
            for method in TRAINER_COMPUTE:  # a trainer: its steps, losses and parameter loads too
                if hasattr(result, method):
                    setattr(result, method, self.timed(getattr(result, method)))
            return result

        return wrapper

    def install(self, modules) -> None:
        """Wrap the compute functions of these adapter modules (undone by uninstall)."""
        for module in modules:
            for name in COMPUTE:
                if hasattr(module, name):
                    self._saved.append((module, name, getattr(module, name)))
                    setattr(module, name, self.timed(getattr(module, name)))

    def uninstall(self) -> None:
        """Put the original functions back."""
        for module, name, function in reversed(self._saved):
            setattr(module, name, function)
        self._saved.clear()


def case_cost_rows(elapsed: dict[tuple[str, str, str], float], keyword: str = "") -> list[dict]:
    """Run every comparison in this process with the adapters timed; one row per case x framework x dtype.

    The runs are full-length, as in `make report`.
    """
    from comparisons.adapters import ADAPTER_MODULES, frameworks_for, get_adapter
    from comparisons.cases import all_cases
    from comparisons.core.known_differences import load_known_differences
    from comparisons.core.settings import RunSettings
    from comparisons.kinds.dispatch import compare_case

    known, settings = load_known_differences(), RunSettings(full=True)
    runs = get_adapter("scratch").PROFILE.kinds  # make report deselects the other kinds' cases
    groups = [(case, framework, dtype) for case in all_cases() if case.kind in runs
              for framework in frameworks_for(case)
              for dtype in case.dtypes if keyword in f"{case.id}-{framework}-{dtype}"]
    warmed = set()  # first calls are the process's cost, not a case's: imports (the TF runtime, torch._dynamo
    for case, framework, dtype in groups:  # at the first optimizer, sklearn at the first data set), compiles
        if (case.kind, framework) not in warmed:
            compare_case(case, framework, dtype, known, settings)
            warmed.add((case.kind, framework))
    clock = ComputeClock()
    clock.install([get_adapter(name) for name in ADAPTER_MODULES])
    rows = []
    try:
        for case, framework, dtype in groups:
            clock.seconds = 0.0
            started = time.perf_counter()
            compare_case(case, framework, dtype, known, settings)
            total = time.perf_counter() - started
            rows.append({"case": case.id, "suite": case.suite, "kind": case.kind, "framework": framework,
                         "dtype": dtype, "harness_elapsed_s": elapsed.get((case.id, framework, dtype)),
                         "rerun_total_s": total, "raw_compute_s": clock.seconds,
                         "overhead_fraction": total / clock.seconds - 1 if clock.seconds else None})
    finally:
        clock.uninstall()
    return rows


def main(argv: list[str]) -> int:
    """`python -m benchmarks.harness_cost [AGREEMENT_CSV [KEYWORD]]`: one JSON row per line on stdout."""
    import json

    from comparisons.core.determinism import configure_environment

    configure_environment()  # the harness's thread settings, before NumPy is imported
    elapsed = harness_elapsed(Path(argv[1])) if len(argv) > 1 else {}
    for row in case_cost_rows(elapsed, argv[2] if len(argv) > 2 else ""):
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
