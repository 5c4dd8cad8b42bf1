"""What checking your own code costs: `nn-parity run --impl nnfs:FILE -k mlp_spiral_cce` against importing
torch and TensorFlow alone, each in fresh processes.

The run is the whole command as a user types it: pytest start and collection, both frameworks imported,
the four groups of mlp_spiral_cce (Dense-ReLU-Dense-Softmax + CCE against torch and TensorFlow, float32
and float64), the report files, summary.md and the plots. The commands alternate, `repeats` times each,
so background load hits them alike. Goal: median run time at most 1.5x the median import time.

`python -m benchmarks.impl_cost [--out DIR] [--repeats N] [--impl SPEC]` writes DIR/impl_cost.csv;
`make bench` writes it too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from comparisons.report.files import atomic_write_text, csv_text

ROOT = Path(__file__).resolve().parents[1]
IMPL = f"nnfs:{ROOT / 'tests' / 'helpers' / 'nnfs_style.py'}"
CASE = "mlp_spiral_cce"
GOAL_RATIO = 1.5
IMPL_COST_COLUMNS = ("measurement", "command", "repeats", "median_s", "min_s", "max_s", "ratio_to_imports",
                     "goal_ratio", "meets_goal", "exit_status", "load_avg")


def commands(impl: str, report_dir: Path) -> dict[str, list[str]]:
    """measurement -> argv: the frameworks' imports, the run, and the run without summary.md and plots."""
    run = [sys.executable, "-m", "comparisons.cli", "run", "--impl", impl, "-k", CASE]
    return {"imports": [sys.executable, "-c", "import torch, tensorflow"],
            "run": [*run, "--report-dir", str(report_dir / "run")],
            "run_no_render": [*run, "--no-render", "--report-dir", str(report_dir / "run_no_render")]}


def measure(argvs: dict[str, list[str]], repeats: int) -> dict[str, tuple[list[float], int]]:
    """measurement -> (wall times of `repeats` fresh processes, worst exit status); commands alternate."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "NN_PARITY_CACHE": "off",  # the frameworks compute
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    times: dict[str, list[float]] = {name: [] for name in argvs}
    status = dict.fromkeys(argvs, 0)
    for _ in range(repeats):
        for name, argv in argvs.items():
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - started)
            status[name] = max(status[name], done.returncode)
    return {name: (times[name], status[name]) for name in argvs}


def shown(argv: list[str]) -> str:
    """The command as a user types it: `python`, paths inside the repository relative, no --report-dir."""
    words = ["python", *argv[1:]]
    if "--report-dir" in words:
        del words[words.index("--report-dir"):words.index("--report-dir") + 2]
    return " ".join(words).replace(f"{ROOT}{os.sep}", "")


def cost_rows(measured: dict[str, tuple[list[float], int]], argvs: dict[str, list[str]]) -> list[dict]:
    """One row per measurement; ratio_to_imports = its median / the imports' median."""
    imports = statistics.median(measured["imports"][0])
    rows = []
    for name, (times, status) in measured.items():
        ratio = statistics.median(times) / imports
        rows.append({"measurement": name, "command": shown(argvs[name]), "repeats": len(times),
                     "median_s": statistics.median(times), "min_s": min(times),
                     "max_s": max(times), "ratio_to_imports": ratio, "goal_ratio": GOAL_RATIO,
                     "meets_goal": ratio <= GOAL_RATIO, "exit_status": status,
                     "load_avg": round(os.getloadavg()[0], 2)})
    return rows


def impl_cost_rows(impl: str = IMPL, repeats: int = 3) -> list[dict]:
    """Measure the commands (reports go to a temporary folder) and return the rows."""
    with tempfile.TemporaryDirectory() as tmp:
        argvs = commands(impl, Path(tmp))
        return cost_rows(measure(argvs, repeats), argvs)


def main(argv: list[str] | None = None) -> int:
    """Write OUT/impl_cost.csv and print it."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.impl_cost",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="output folder (default reports)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per command (default 3)")
    parser.add_argument("--impl", default=IMPL,
                        help="the SPEC checked (default: the tests' nnfs-style module)")
    args = parser.parse_args(argv)
    text = csv_text(impl_cost_rows(args.impl, args.repeats), IMPL_COST_COLUMNS)
    atomic_write_text(args.out / "impl_cost.csv", text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
