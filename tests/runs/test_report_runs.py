"""Whole harness runs in subprocesses: serial and `-n 2` give the same rows; reruns are identical."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from comparisons.report.files import AGREEMENT_COLUMNS, TIMING_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
SELECTION = ["-k", "mlp_spiral"]


def run_harness(report_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    """`pytest comparisons` on the selected cases, writing to report_dir."""
    command = [sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider",
               "--report-dir", str(report_dir), *SELECTION, *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def read_rows(path: Path) -> list[tuple]:
    """Rows of a CSV without the timing columns, as sortable tuples."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        keep = [c for c in reader.fieldnames if c not in TIMING_COLUMNS]
        return [tuple(row[c] for c in keep) for row in reader]


@pytest.fixture(scope="module")
def serial_report(tmp_path_factory) -> Path:
    report_dir = tmp_path_factory.mktemp("serial")
    result = run_harness(report_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return report_dir


def test_serial_run_writes_every_report_with_the_design_columns(serial_report):
    with open(serial_report / "agreement.csv", newline="") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == AGREEMENT_COLUMNS
    required = ("case, suite, component, framework, dtype, seed, step, quantity, tensor, shape, "
                "max_abs_err, max_rel_err, worst_index, atol, rtol, status, reason, "
                "framework_version").split(", ")
    assert set(required) <= set(header)
    rows = read_rows(serial_report / "agreement.csv")
    frameworks = {row[header.index("framework")] for row in rows}
    dtypes = {row[header.index("dtype")] for row in rows}
    assert frameworks == {"torch", "tensorflow", "jax"} and dtypes == {"float32", "float64"}
    env = json.loads((serial_report / "environment.json").read_text())
    assert env["partial"] is False and env["packages"]["numpy"]
    assert (serial_report / "summary.csv").stat().st_size > 0
    assert not list(serial_report.glob(".*.tmp")), "temporary files left behind"


def test_two_workers_give_the_same_rows_as_a_serial_run(serial_report, tmp_path):
    result = run_harness(tmp_path, "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    parallel = read_rows(tmp_path / "agreement.csv")
    serial = read_rows(serial_report / "agreement.csv")
    assert len(parallel) == len(set(parallel)), "rows repeated in the merged report"
    assert parallel == serial
    assert read_rows(tmp_path / "summary.csv") == read_rows(serial_report / "summary.csv")


def test_a_second_serial_run_is_identical_except_timing(serial_report, tmp_path):
    result = run_harness(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert read_rows(tmp_path / "agreement.csv") == read_rows(serial_report / "agreement.csv")
