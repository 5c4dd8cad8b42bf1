"""`python -m benchmarks.false_alarms`: the default (short) suite at --seed-offset 0..4; writes
reports/false_alarms.csv, per offset the failed rows outside the negative controls (docs/architecture.md §10).

Each offset is one `nn-parity run --no-render` into its own folder (under --work, kept for `explain`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

from comparisons.cases.negative_controls import SUITE

COLUMNS = ("seed_offset", "rows", "failed_rows", "failed_groups", "nan_rows", "crash_rows",
           "known_difference_rows", "failed_cases", "report_dir")
BAD = ("failed", "nan", "crash")


def count(agreement: pd.DataFrame, offset: int, report_dir: Path) -> dict:
    """One false_alarms.csv row: failures of a run outside the negative controls."""
    rows = agreement[agreement["suite"] != SUITE]
    bad = rows[rows["status"].isin(BAD)]
    groups = bad[["case", "framework", "dtype"]].drop_duplicates()
    return {"seed_offset": offset, "rows": len(rows), "failed_rows": len(bad), "failed_groups": len(groups),
            "nan_rows": int((rows["status"] == "nan").sum()),
            "crash_rows": int((rows["status"] == "crash").sum()),
            "known_difference_rows": int((rows["status"] == "known_difference").sum()),
            "failed_cases": " ".join(sorted(set(bad["case"]))), "report_dir": str(report_dir)}


def run_offset(offset: int, work: Path, workers: str, keyword: str | None) -> dict:
    """nn-parity run at this seed offset (the CSV files only), then its count."""
    report_dir = work / f"offset{offset}"
    command = [sys.executable, "-m", "comparisons.cli", "run", "--no-render", "-n", workers,
               "--seed-offset", str(offset), "--report-dir", str(report_dir)]
    if keyword:
        command += ["-k", keyword]
    subprocess.run(command, check=False)  # failures are what is counted, not an error of this script
    return count(pd.read_csv(report_dir / "agreement.csv"), offset, report_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.false_alarms", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder of false_alarms.csv")
    parser.add_argument("--work", type=Path, default=Path("build/false-alarms"), help="the runs' reports")
    parser.add_argument("--offsets", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("-n", dest="workers", default="2", help="pytest-xdist workers per run")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression (a subset, to try the script)")
    args = parser.parse_args(argv)
    table = pd.DataFrame([run_offset(o, args.work, args.workers, args.keyword) for o in args.offsets],
                         columns=list(COLUMNS))
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "false_alarms.csv", index=False)
    print(table.drop(columns=["report_dir"]).to_string(index=False))
    print(f"false alarms: {int(table['failed_rows'].sum())} failed rows outside negative controls over "
          f"{len(table)} seed offsets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
