"""Whole harness runs under faults: a crashing or missing framework, Ctrl-C and SIGTERM,
two runs at once, a shifted seed. Each spawns a small `pytest comparisons` run on torch (a few cases).
Faults are planted by the test-only plugin tests/helpers/fault_plugin.py, chosen by environment variables.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from comparisons.report.files import AGREEMENT_COLUMNS, SUMMARY_COLUMNS, TIMING_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
CASES = "act_sigmoid_normal or act_relu_normal"  # 4 torch tests, in this order: sigmoid f32, f64, relu ...
GROUPS = {(case, "torch", dtype) for case in ("act_sigmoid_normal", "act_relu_normal")
          for dtype in ("float32", "float64")}
TIMEOUT = 300


def _default_signals() -> None:
    """In the child, before it runs: SIGINT and SIGTERM unblocked and at their defaults. A child inherits
    its parent's signal mask and ignored signals, and a test worker's may have been changed by earlier tests
    (in a full `make test`, Ctrl-C never reached the run of the test below)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def start(command: list[str], **env: str) -> subprocess.Popen:
    """A process in its own session (so that everything it started can be stopped by its id)."""
    environ = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200", **env}
    return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=_default_signals)


def pytest_run(report_dir: Path, *extra: str, **env: str) -> subprocess.Popen:
    """`pytest comparisons` on CASES, torch only, with the fault plugin, writing to report_dir."""
    return start([sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider",
                  "-p", "tests.helpers.fault_plugin", "--report-dir", str(report_dir), "-k", CASES,
                  "--framework", "torch", *extra], **env)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    """Exit status and stdout + stderr; the process group is killed if it outlives TIMEOUT."""
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the run did not end within {TIMEOUT} s:\n{out}\n{err}")
    return process.returncode, out + err


def interrupt_when_blocked(process: subprocess.Popen, marker: Path, signum: int, settle: float = 0,
                           group: bool = False) -> None:
    """Wait until the blocked test has started (it writes marker), then send signum to the process
    (or to its whole process group, workers included, as a terminal's Ctrl-C or a CI cancel does)."""
    deadline = time.monotonic() + TIMEOUT
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            out, err = process.communicate()
            pytest.fail(f"the blocked test never started:\n{out}\n{err}")
        time.sleep(0.2)
    time.sleep(settle)
    if group:
        os.killpg(process.pid, signum)  # the group of the process this test started, nothing else
    else:
        process.send_signal(signum)


def read_csv(path: Path, columns: tuple[str, ...]) -> list[dict]:
    """Every row of a report CSV, after checking that its header is the documented one."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == columns, path
        rows = list(reader)
    assert all(None not in row and all(v is not None for v in row.values()) for row in rows), "ragged CSV"
    return rows


def groups(rows: list[dict]) -> dict[tuple, list[dict]]:
    found: dict[tuple, list[dict]] = {}
    for row in rows:
        found.setdefault((row["case"], row["framework"], row["dtype"]), []).append(row)
    return found


def check_consistent(report_dir: Path) -> dict[tuple, list[dict]]:
    """Every file whole and parseable, summary.csv agreeing with agreement.csv; returns the groups."""
    rows = groups(read_csv(report_dir / "agreement.csv", AGREEMENT_COLUMNS))
    summary = read_csv(report_dir / "summary.csv", SUMMARY_COLUMNS)
    assert {(s["case"], s["framework"], s["dtype"]): int(s["rows"]) for s in summary} == {
        key: len(members) for key, members in rows.items()}
    for members in rows.values():  # no half-recorded group: orders 0..n-1
        assert sorted(int(r["order"]) for r in members) == list(range(len(members)))
    assert not list(report_dir.glob(".*.tmp")), "temporary files left behind"
    return rows


def test_with_torch_hidden_its_rows_are_skipped_and_tensorflow_still_compares(tmp_path):
    process = start([sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider",
                     "-p", "tests.helpers.fault_plugin", "--report-dir", str(tmp_path),
                     "-k", "mlp_spiral_vjp"],
                    NN_PARITY_FAULT_HIDE="torch")
    code, output = finish(process)
    assert code == 0, output
    rows = [r for members in check_consistent(tmp_path).values() for r in members]
    torch_rows = [r for r in rows if r["framework"] == "torch"]
    assert [r["status"] for r in torch_rows] == ["skipped", "skipped"]
    assert all("torch is not installed (pip install" in r["reason"] for r in torch_rows)
    tensorflow = [r for r in rows if r["framework"] == "tensorflow"]
    assert len(tensorflow) > 10 and {r["status"] for r in tensorflow} == {"passed"}


def test_ctrl_c_during_nn_parity_run_writes_a_report_marked_partial(tmp_path):
    marker, report_dir = tmp_path / "blocked", tmp_path / "reports"
    process = start([sys.executable, "-m", "comparisons.cli", "run", "-k", CASES, "--framework", "torch",
                     "--report-dir", str(report_dir)], PYTEST_ADDOPTS="-p tests.helpers.fault_plugin",
                    NN_PARITY_FAULT_BLOCK="act_relu_normal-torch-float64", NN_PARITY_FAULT_MARKER=str(marker))
    interrupt_when_blocked(process, marker, signal.SIGINT)
    code, output = finish(process)
    assert code == 130 and "PARTIAL" in output and "Traceback" not in output, output
    assert set(check_consistent(report_dir)) == GROUPS - {("act_relu_normal", "torch", "float64")}
    assert json.loads((report_dir / "environment.json").read_text())["partial"] is True
    assert "**PARTIAL**" in (report_dir / "summary.md").read_text()


def test_sigterm_to_a_two_worker_run_keeps_the_finished_cases_marked_partial(tmp_path):
    # Worker 2 is sent relu float32 and float64 together (xdist's first batches): float32's rows
    # reach the controller with its report before float64 blocks. SIGTERM kills the workers at once;
    # the controller turns it into KeyboardInterrupt and writes what arrived.
    marker, report_dir = tmp_path / "blocked", tmp_path / "reports"
    process = pytest_run(report_dir, "-n", "2", NN_PARITY_FAULT_BLOCK="act_relu_normal-torch-float64",
                         NN_PARITY_FAULT_MARKER=str(marker))
    interrupt_when_blocked(process, marker, signal.SIGTERM, settle=2.0, group=True)
    code, output = finish(process)
    assert code == 2, output
    found = set(check_consistent(report_dir))
    assert ("act_relu_normal", "torch", "float32") in found
    assert ("act_relu_normal", "torch", "float64") not in found and found <= GROUPS
    env = json.loads((report_dir / "environment.json").read_text())
    assert env["partial"] is True and env["workers"] == 2
    assert "PARTIAL report" in output


def test_sigterm_before_any_case_finished_leaves_the_previous_report_as_it_was(tmp_path):
    previous = {name: f"previous {name}\n".encode() for name in
                ("agreement.csv", "summary.csv", "environment.json", "summary.md")}
    for name, content in previous.items():
        (tmp_path / name).write_bytes(content)
    marker = tmp_path.parent / f"{tmp_path.name}-blocked"
    process = pytest_run(tmp_path, NN_PARITY_FAULT_BLOCK="act_sigmoid_normal-torch-float32",
                         NN_PARITY_FAULT_MARKER=str(marker))
    interrupt_when_blocked(process, marker, signal.SIGTERM)
    code, output = finish(process)
    assert code == 2 and "nothing written" in output, output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == previous


CRASHED = ("act_relu_normal", "torch", "float32")


def comparable(report_dir: Path, leave_out: tuple = ()) -> list[tuple]:
    """agreement.csv rows without the timing columns (and without the rows of group leave_out)."""
    rows = read_csv(report_dir / "agreement.csv", AGREEMENT_COLUMNS)
    return [tuple(v for k, v in row.items() if k not in TIMING_COLUMNS) for row in rows
            if (row["case"], row["framework"], row["dtype"]) != leave_out]


@pytest.fixture(scope="module")
def three_runs_at_once(tmp_path_factory) -> dict[str, tuple[int, str, Path]]:
    """A clean run, one whose torch reference raises in one case, one with --seed-offset 1000:
    started together, each into its own folder. name -> (exit status, output, report folder)."""
    options = {"clean": ([], {}), "crash": ([], {"NN_PARITY_FAULT_CRASH": "-".join(CRASHED)}),
               "offset": (["--seed-offset", "1000"], {})}
    dirs = {name: tmp_path_factory.mktemp(name) for name in options}
    processes = {name: pytest_run(dirs[name], *extra, **env) for name, (extra, env) in options.items()}
    return {name: (*finish(process), dirs[name]) for name, process in processes.items()}


def test_a_reference_raising_in_one_case_gives_crash_rows_for_that_case_only(three_runs_at_once):
    code, output, report_dir = three_runs_at_once["crash"]
    assert code == 1 and "1 failed, 3 passed" in output, output
    rows = check_consistent(report_dir)
    assert set(rows) == GROUPS, "every other case still ran and was reported"
    crashed = {key for key, members in rows.items() if any(r["status"] == "crash" for r in members)}
    assert crashed == {CRASHED}
    [crash] = rows[CRASHED]
    assert "RuntimeError: injected fault" in crash["reason"]
    assert {r["status"] for key, members in rows.items() if key != CRASHED for r in members} == {"passed"}
    env = json.loads((report_dir / "environment.json").read_text())
    assert env["partial"] is False and env["cases"] == 2


def test_two_runs_at_once_into_different_folders_do_not_interfere(three_runs_at_once):
    code, output, clean = three_runs_at_once["clean"]
    assert code == 0, output
    assert set(check_consistent(clean)) == GROUPS
    crash_dir = three_runs_at_once["crash"][2]
    assert comparable(clean, leave_out=CRASHED) == comparable(crash_dir, leave_out=CRASHED)


def test_a_seed_offset_gives_other_data_that_still_agrees(three_runs_at_once):
    code, output, offset_dir = three_runs_at_once["offset"]
    assert code == 0, output
    base = read_csv(three_runs_at_once["clean"][2] / "agreement.csv", AGREEMENT_COLUMNS)
    shifted = read_csv(offset_dir / "agreement.csv", AGREEMENT_COLUMNS)
    key = ("case", "framework", "dtype", "step", "quantity", "tensor")
    assert [tuple(r[k] for k in key) for r in shifted] == [tuple(r[k] for k in key) for r in base]
    assert [int(r["seed"]) for r in shifted] == [int(r["seed"]) + 1000 for r in base]
    assert {r["status"] for r in shifted} == {"passed"}
    values = [(r["scratch_value"], r["max_abs_err"]) for r in shifted]
    assert values != [(r["scratch_value"], r["max_abs_err"]) for r in base], "the data did not change"
    env = json.loads((offset_dir / "environment.json").read_text())
    assert env["seed_offset"] == 1000 and env["seeds"] == sorted({int(r["seed"]) for r in shifted})
