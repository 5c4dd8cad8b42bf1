"""The reference cache's effect on wall time, each command in fresh processes (reports/cache_cost.csv).

Measured: the frameworks' import floor (`import torch, tensorflow, jax`); one component (COMPONENT: its
pass on torch, TensorFlow and JAX in float32 and float64) with an empty cache (cold) and again (warm),
the imports and the two runs alternating `repeats` times; the whole comparisons run (`run`: `pytest
comparisons -n 2`; `make_report`: `nn-parity run --full -n 2`, make report's command) cold and warm; and
the warm run after one scratch component's backward changed (CHANGE: tanh's backward computed in another
order, equal in value, not in every bit), run from a copy of the tree with the same cache folder.
`entries_written` counts the cache entries a run created or replaced: the cases whose framework inputs
changed.

`python -m benchmarks.cache_cost [--out DIR] [--repeats N] [--runs run,make_report]`; `make bench` runs it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from comparisons.report.files import atomic_write_text, csv_text

ROOT = Path(__file__).resolve().parents[1]
COMPONENT = "act_tanh_normal"
IMPORTS = "import torch, tensorflow, jax"
CHANGE = ("scratch/activations.py", "return grad_output * (1 - self.output**2)",
          "return grad_output - grad_output * (self.output * self.output)")
TREE = ("scratch", "reference", "comparisons", "pyproject.toml")
CACHE_COST_COLUMNS = ("measurement", "command", "cache", "repeats", "median_s", "min_s", "max_s", "cpu_s",
                      "ratio_to_imports", "entries_written", "cache_mb", "exit_status", "load_avg")


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(root), "NN_PARITY_CACHE": "off"}


def _entries(cache: Path) -> dict[str, int]:
    """Entry name -> inode: a replaced or new entry has a new inode, a replayed one keeps its own."""
    return {p.name: p.stat().st_ino for p in cache.glob("*.npz")} if cache.is_dir() else {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every finished child and what it waited for
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], root: Path, cache: Path | None = None) -> tuple[float, int, int, float]:
    """(wall seconds, exit status, cache entries written, CPU seconds of its processes) of one fresh run."""
    before, cpu = _entries(cache) if cache else {}, _cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=_env(root), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    written = sum(before.get(name) != inode for name, inode in _entries(cache).items()) if cache else 0
    return wall, done.returncode, written, _cpu() - cpu


def comparisons_run(cache: Path, report: Path, full: bool, *selection: str) -> list[str]:
    """The run's argv: `pytest comparisons` (or `nn-parity run --full`, make report's) on the cache folder."""
    if full:
        return [sys.executable, "-m", "comparisons.cli", "run", "--full", "-n", "2",
                "--cache-dir", str(cache), "--report-dir", str(report), *selection]
    return [sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider",
            "--cache-dir", str(cache), "--report-dir", str(report), *selection]


def shown(argv: list[str]) -> str:
    """The command as a user types it: `python`, without the temporary --cache-dir and --report-dir."""
    words = ["python", *argv[1:]]
    for option in ("--cache-dir", "--report-dir"):
        if option in words:
            del words[words.index(option):words.index(option) + 2]
    return " ".join(words)


def _row(measurement: str, argv: list[str], cache: str, results: list[tuple[float, int, int, float]],
         imports: float | None, folder: Path | None = None) -> dict:
    times = [result[0] for result in results]
    size = sum(p.stat().st_size for p in folder.glob("*.npz")) if folder and folder.is_dir() else 0
    return {"measurement": measurement, "command": shown(argv), "cache": cache, "repeats": len(times),
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "cpu_s": statistics.median(result[3] for result in results),
            "ratio_to_imports": statistics.median(times) / imports if imports else 1.0,
            "entries_written": max(result[2] for result in results), "cache_mb": round(size / 2**20, 1),
            "exit_status": max(result[1] for result in results), "load_avg": round(os.getloadavg()[0], 2)}


def changed_tree(directory: Path) -> Path:
    """A copy of the tree with CHANGE applied (the same reference/ and adapters: the same cache keys)."""
    for name in TREE:
        source, target = ROOT / name, directory / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    path, old, new = CHANGE
    text = (directory / path).read_text()
    if old not in text:
        raise RuntimeError(f"{path} no longer contains {old!r}: update benchmarks.cache_cost.CHANGE")
    (directory / path).write_text(text.replace(old, new))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(directory)], check=False,
                   stdout=subprocess.DEVNULL)  # its bytecode, as the tree's own has: not a first run's cost
    return directory


def _component_rows(work: Path, repeats: int, progress) -> tuple[list[dict], float]:
    imports_argv = [sys.executable, "-c", IMPORTS]
    component = comparisons_run(work / "component-cache", work / "component", False, "-k", COMPONENT)
    measured: dict[str, list] = {"imports": [], "component_cold": [], "component_warm": []}
    for i in range(repeats):
        progress(f"imports and {COMPONENT} cold/warm, {i + 1}/{repeats}")
        measured["imports"].append(timed(imports_argv, ROOT))
        shutil.rmtree(work / "component-cache", ignore_errors=True)
        measured["component_cold"].append(timed(component, ROOT, work / "component-cache"))
        measured["component_warm"].append(timed(component, ROOT, work / "component-cache"))
    floor = statistics.median(result[0] for result in measured["imports"])
    return [_row("imports", imports_argv, "none", measured["imports"], None),
            _row("component", component, "cold", measured["component_cold"], floor, work / "component-cache"),
            _row("component", component, "warm", measured["component_warm"], floor, work / "component-cache")
            ], floor


def _run_rows(work: Path, measurement: str, full: bool, floor: float, progress) -> list[dict]:
    """Cold, warm, and warm after CHANGE (from a copy of the tree), on one cache folder."""
    cache, workers = work / f"{measurement}-cache", [] if full else ["-n", "2"]
    run = comparisons_run(cache, work / measurement, full) + workers
    rows = []
    for state in ("cold", "warm"):
        progress(f"{shown(run)}: {state} cache")
        rows.append(_row(measurement, run, state, [timed(run, ROOT, cache)], floor, cache))
    copy = work / "changed"
    if not copy.exists():
        changed_tree(copy)
    changed = comparisons_run(cache, work / f"{measurement}-changed", full) + workers
    progress(f"{shown(run)}: warm cache, from a copy of the tree with {CHANGE[0]} changed")
    rows.append(_row(measurement, changed, "warm, scratch tanh backward changed",
                     [timed(changed, copy, cache)], floor, cache))
    return rows


def cache_cost_rows(repeats: int = 3, runs: tuple[str, ...] = ("run", "make_report"),
                    progress=lambda message: None) -> list[dict]:
    """Every measurement of the module docstring ('run': pytest comparisons -n 2; 'make_report': nn-parity
    run --full -n 2); reports and cache folders are temporary."""
    with tempfile.TemporaryDirectory() as tmp:
        rows, floor = _component_rows(Path(tmp), repeats, progress)
        for measurement in runs:
            rows += _run_rows(Path(tmp), measurement, measurement == "make_report", floor, progress)
        return rows


def main(argv: list[str] | None = None) -> int:
    """Write OUT/cache_cost.csv and print it."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cache_cost",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="output folder (default reports)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per component command")
    parser.add_argument("--runs", default="run,make_report",
                        help="comma list: run (pytest comparisons -n 2), "
                             "make_report (nn-parity run --full -n 2)")
    args = parser.parse_args(argv)
    runs = tuple(r for r in args.runs.split(",") if r)
    rows = cache_cost_rows(args.repeats, runs, lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True))
    text = csv_text(rows, CACHE_COST_COLUMNS)
    atomic_write_text(args.out / "cache_cost.csv", text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
