"""`python -m benchmarks` (`make bench`): time the training steps and the harness, write reports/.

Writes benchmarks.csv (one row per study x network x implementation x mode x dtype x batch x
threads x optimizer), harness_cost.csv, impl_cost.csv (`nn-parity run --impl nnfs:FILE` against the
frameworks' import time), cache_cost.csv (one component and the whole run with the reference cache
cold and warm, against the frameworks' import time), benchmarks.json (machine, settings, `make report`
wall times without the cache), benchmarks.md (the tables) and benchmarks.png / benchmarks_scaling.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.cache_cost import CACHE_COST_COLUMNS, cache_cost_rows
from benchmarks.harness_cost import HARNESS_COLUMNS, time_make_report
from benchmarks.impl_cost import IMPL_COST_COLUMNS, impl_cost_rows
from benchmarks.suite import (
    BENCHMARK_COLUMNS,
    QUICK,
    ROOT,
    Settings,
    cnn_tasks,
    grid_tasks,
    machine,
    merge,
    run_task,
    scaling_tasks,
)
from benchmarks.tables import markdown
from comparisons.report.files import atomic_write_text, csv_text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options: output folder, quick mode, thread counts, what to skip."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="output folder (default reports)")
    parser.add_argument("--quick", action="store_true", help="few, small repeats: a smoke run, not a result")
    parser.add_argument("--threads", help="comma list of thread counts (default 1,2; quick: 1)")
    parser.add_argument("--repeats", type=int, help="timed blocks per run (default 15)")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-run memory processes")
    parser.add_argument("--no-scaling", action="store_true", help="skip the batch/width doubling study")
    parser.add_argument("--no-cnn", action="store_true", help="skip the CNN and LSTM training steps")
    parser.add_argument("--no-harness", action="store_true",
                        help="skip `make report`, the per-case cost, the --impl run cost and the cache's")
    return parser.parse_args(argv)


def _settings(args: argparse.Namespace) -> Settings:
    settings = QUICK if args.quick else Settings()
    if args.threads:
        settings = dataclasses.replace(settings, threads=tuple(int(t) for t in args.threads.split(",")))
    if args.repeats:
        settings = dataclasses.replace(settings, repeats=args.repeats)
    return settings


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def step_rows(settings: Settings, memory: bool, scaling: bool, cnn: bool = True) -> list[dict]:
    """Run every timing and memory task, each in its own worker process; the merged rows."""
    named = cnn_tasks(settings) + cnn_tasks(settings, "sequence") if cnn else []
    tasks = [t for t in grid_tasks(settings) + named
             if memory or t["kind"] == "timing"]
    tasks += scaling_tasks(settings) if scaling else []
    timing, memory_rows = [], []
    for i, task in enumerate(tasks, 1):
        _progress(f"{i}/{len(tasks)} {task['kind']} {task['study']} {task['network']} {task['dtype']} "
                  f"threads={task['threads']} {task.get('run', '')}")
        (timing if task["kind"] == "timing" else memory_rows).extend(run_task(task))
    return merge(timing, memory_rows)


def harness_rows() -> tuple[list[dict], list[dict]]:
    """`make report` serial and with 2 workers (wall time), then each case's harness vs raw compute."""
    make_runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (0, 2):
            _progress(f"make report WORKERS={workers}")
            make_runs.append(time_make_report(workers, Path(tmp) / f"workers{workers}"))
        agreement = Path(tmp) / "workers0" / "agreement.csv"
        _progress("per-case harness time against raw compute")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}  # harness_cost runs full lengths, as make report
        done = subprocess.run([sys.executable, "-m", "benchmarks.harness_cost", str(agreement)], cwd=ROOT,
                              env=env, capture_output=True, text=True, check=True)
    cost = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return make_runs, cost


def main(argv: list[str] | None = None) -> int:
    """Run what the options ask for and write the report files; returns the exit status."""
    args = parse_args(argv)
    settings = _settings(args)
    rows = step_rows(settings, memory=not args.no_memory, scaling=not args.no_scaling, cnn=not args.no_cnn)
    write_outputs(args.out, rows, settings, [], [])  # the step results are kept even if the harness run fails
    if not args.no_harness:
        write_outputs(args.out, rows, settings, *harness_rows())
        _progress("nn-parity run --impl nnfs:FILE -k mlp_spiral_cce against importing torch and TensorFlow")
        atomic_write_text(args.out / "impl_cost.csv", csv_text(impl_cost_rows(), IMPL_COST_COLUMNS))
        _progress("the reference cache: one component and the whole run, cold and warm")
        atomic_write_text(args.out / "cache_cost.csv", csv_text(cache_cost_rows(progress=_progress),
                                                                CACHE_COST_COLUMNS))
    _progress(f"wrote {args.out}/benchmarks.csv, benchmarks.md and the plots")
    return 0


def write_outputs(out: Path, rows: list[dict], settings: Settings, make_runs: list[dict],
                  cost: list[dict]) -> None:
    """benchmarks.csv, harness_cost.csv (when measured), benchmarks.json, benchmarks.md, the PNGs."""
    from benchmarks.plots import plot_grid, plot_scaling

    described = {k: v for k, v in dataclasses.asdict(settings).items()
                 if k not in ("networks", "runs", "cnn_runs")}
    info = machine()
    atomic_write_text(out / "benchmarks.csv", csv_text(rows, BENCHMARK_COLUMNS))
    if cost:
        atomic_write_text(out / "harness_cost.csv", csv_text(cost, HARNESS_COLUMNS))
    atomic_write_text(out / "benchmarks.json", json.dumps(
        {"machine": info, "settings": described, "make_report": make_runs}, indent=2) + "\n")
    atomic_write_text(out / "benchmarks.md", markdown(rows, info, {
        "threads": settings.threads, "repeats": settings.repeats, "block_s": settings.block_s,
        "optimizer": settings.optimizer}, make_runs, cost))
    plot_grid(rows, out / "benchmarks.png")
    plot_scaling(rows, out / "benchmarks_scaling.png")


if __name__ == "__main__":
    sys.exit(main())
