"""Bad input to the harness: clear message, non-zero exit, no traceback; faults become rows.

Command lines that pytest refuses spawn a process (they stop before collection: about a second);
`nn-parity run` refusals are checked in-process, since they stop before pytest starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from comparisons.adapters import frameworks_for
from comparisons.cases import all_cases, case_by_id
from comparisons.cli import build_parser, main, pytest_args
from comparisons.core.known_differences import KNOWN_DIFFERENCES_ENV, load_known_differences
from comparisons.core.rows import CaseRun
from comparisons.core.settings import RunSettings
from comparisons.harness.interrupts import deferred_signals, sigterm_as_keyboard_interrupt
from comparisons.kinds.dispatch import RUNNERS, compare_case, with_seed_offset
from comparisons.render.markdown import load_reports, render_summary_md
from comparisons.report.files import report_dir_problem
from tests.harness.test_summary_md import write_synthetic_reports

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ("case_pattern,framework,dtype,quantity,tensor,reason,expected_magnitude,link\n"
             "x,torch,*,*,*,why,big,\n")


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "a_file"
    path.write_text("not a folder")
    return path


def pytest_refusal(*args: str, **env: str) -> tuple[int, str]:
    """Exit status and output of `pytest comparisons ARGS` (refused before anything is collected)."""
    command = [sys.executable, "-m", "pytest", "comparisons", "-q", "-p", "no:cacheprovider", *args]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--framework", "mxnet"], {}, "--framework: unknown mxnet; known: torch, tensorflow, jax, sklearn"),
    (["--dtype", "float16"], {}, "--dtype: unknown float16; known: float32, float64"),
    (["--seed-offset", "-1"], {}, "--seed-offset: must be a whole number >= 0, not '-1'"),
    (["--suite", "models"], {}, "--suite: unknown models; known: activation, expression, initializer, layer"),
    (["--report-dir", "{file}/reports"], {}, "--report-dir: cannot create {file}/reports: {file} is a file"),
    (["--report-dir", "{file}"], {}, "--report-dir: {file} exists and is not a folder"),
    ([], {KNOWN_DIFFERENCES_ENV: "{malformed}"}, "{malformed}: entry 2: expected_magnitude 'big' is not a"),
    ([], {KNOWN_DIFFERENCES_ENV: "{missing}"}, "cannot read known differences file {missing}"),
], ids=["framework", "dtype", "seed-offset", "suite", "under-a-file", "a-file", "malformed-kd", "missing-kd"])
def test_pytest_refuses_bad_options_with_a_usage_error(args, env, message, a_file, tmp_path):
    malformed = tmp_path / "kd.csv"
    malformed.write_text(MALFORMED)
    names = {"file": a_file, "malformed": malformed, "missing": tmp_path / "missing.csv"}
    args = [a.format(**names) for a in args]
    env = {k: v.format(**names) for k, v in env.items()}
    code, output = pytest_refusal(*args, **env)
    assert code == pytest.ExitCode.USAGE_ERROR and message.format(**names) in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--report-dir", "{file}/reports"], "nn-parity run: error: --report-dir: cannot create"),
    (["run", "--report-dir", "{file}"], "nn-parity run: error: --report-dir: {file} exists and is not a"),
    (["run", "--report-dir", "{tmp}/r"], "nn-parity run: error: {malformed}: entry 2: expected_magnitude"),
])
def test_nn_parity_run_refuses_before_running(argv, message, a_file, tmp_path, monkeypatch, capsys):
    malformed = tmp_path / "kd.csv"
    malformed.write_text(MALFORMED)
    if "{tmp}/r" in argv:
        monkeypatch.setenv(KNOWN_DIFFERENCES_ENV, str(malformed))
    names = {"file": a_file, "tmp": tmp_path, "malformed": malformed}
    assert main([a.format(**names) for a in argv]) == 2
    captured = capsys.readouterr()
    assert message.format(**names) in captured.err and "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "r").exists()


def test_nn_parity_run_passes_a_seed_offset_on_and_refuses_a_bad_one(capsys):
    args = build_parser().parse_args(["run", "--seed-offset", "3"])
    assert "--seed-offset 3" in " ".join(pytest_args(args, Path("reports")))
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--seed-offset", "many"])
    assert stopped.value.code == 2
    assert "seed offset must be a whole number >= 0, not 'many'" in capsys.readouterr().err


def test_report_dir_problem_creates_nothing(tmp_path, a_file):
    assert report_dir_problem(tmp_path / "new" / "deeper") is None and not (tmp_path / "new").exists()
    assert report_dir_problem(tmp_path) is None
    assert "is a file, not a folder" in report_dir_problem(a_file / "x" / "y")


def test_the_known_differences_file_can_be_chosen_by_environment(tmp_path, monkeypatch):
    path = tmp_path / "kd.csv"
    path.write_text(MALFORMED.replace("big", "0.5"))
    monkeypatch.setenv(KNOWN_DIFFERENCES_ENV, str(path))
    assert [e.key for e in load_known_differences()] == ["x|torch|*|*|*"]


KINDS = {"optimizer": "opt_sgd", "training": "proj_xor_mlp_free", "initializer": "init_zeros",
         "landscape": "proj_loss_landscape_linear", "perceptron": "perceptron_and", "pass": "mlp_spiral_cce",
         "expression": "expr_shared"}
# scratch runs no expression case: a micrograd-style engine of the tests does
KIND_IMPLEMENTATION = {"expression": f"micrograd:{ROOT / 'tests' / 'helpers' / 'micrograd_style.py'}"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_exception_in_any_case_kind_becomes_one_crash_row(kind, monkeypatch):
    case_id = KINDS[kind]

    def broken(*args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setitem(RUNNERS, kind, broken)
    case = case_by_id(case_id)
    settings = RunSettings(implementation=KIND_IMPLEMENTATION.get(kind, "scratch"))
    outcome = compare_case(case, frameworks_for(case)[0], "float64", settings=settings)
    [row] = outcome.rows
    assert (row["status"], row["case"], row["order"]) == ("crash", case_id, 0)
    assert f"the {kind} comparison raised RuntimeError: injected fault" in row["reason"]
    assert "crash" in outcome.failures[0]


@pytest.mark.parametrize("side", ["framework", "scratch"])
def test_nan_produced_by_either_side_is_status_nan_never_passed(side, monkeypatch):
    from comparisons.adapters import scratch_adapter, torch_adapter

    adapter = torch_adapter if side == "framework" else scratch_adapter
    real_run_pass = adapter.run_pass

    def poisoned(*args, **kwargs):
        results = real_run_pass(*args, **kwargs)
        results["output"]["output"] = np.full_like(results["output"]["output"], np.nan)
        return results

    monkeypatch.setattr(adapter, "run_pass", poisoned)
    outcome = compare_case(case_by_id("mlp_spiral_cce"), "torch", "float64")
    statuses = {(r["quantity"], r["tensor"]): r["status"] for r in outcome.rows}
    assert statuses[("output", "output")] == "nan"
    assert outcome.first_divergence["status"] == "nan" and outcome.failures


def test_a_seed_offset_shifts_every_case_kind_in_one_place():
    settings = RunSettings(seed_offset=5)
    for case in all_cases():
        assert with_seed_offset(case, settings).seed == case.seed + 5
    outcome = compare_case(case_by_id("opt_sgd"), "torch", "float64", settings=settings)
    assert {r["seed"] for r in outcome.rows} == {case_by_id("opt_sgd").seed + 5}
    assert all(r["status"] == "passed" for r in outcome.rows)
    run = CaseRun(case_by_id("opt_sgd"), "torch", "float64", settings=settings)
    assert run.rerun_command().endswith("--seed-offset 5")


def test_summary_md_says_partial_for_an_interrupted_run(tmp_path):
    directory = write_synthetic_reports(tmp_path)
    assert "PARTIAL" not in render_summary_md(load_reports(directory))
    env = directory / "environment.json"
    env.write_text(env.read_text().replace('"workers": 0', '"partial": true,\n  "workers": 0'))
    assert "**PARTIAL**: the run was interrupted" in render_summary_md(load_reports(directory))


needs_main_thread = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                       reason="signal handlers can only be set in the main thread")


@needs_main_thread
def test_signals_are_held_off_while_the_reports_are_written():
    before = signal.getsignal(signal.SIGINT)
    with deferred_signals() as received:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert received == [signal.SIGINT, signal.SIGTERM]
    assert signal.getsignal(signal.SIGINT) is before


@needs_main_thread
def test_sigterm_becomes_keyboard_interrupt_and_is_restored():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        restore = sigterm_as_keyboard_interrupt()
        with pytest.raises(KeyboardInterrupt, match="stopped by SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next line
        restore()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_rerun_commands_repeat_the_runs_full_and_seed_offset():
    from comparisons.render.markdown import rerun_command as report_rerun

    row = {"case": "proj_xor_mlp_free", "framework": "torch", "dtype": "float64"}
    assert report_rerun(row, {}) == 'nn-parity run -k "proj_xor_mlp_free-torch-float64"'
    assert report_rerun(row, {"full": True, "seed_offset": 3}).endswith(
        '"proj_xor_mlp_free-torch-float64" --full --seed-offset 3')
    run = CaseRun(case_by_id("opt_sgd"), "torch", "float64", settings=RunSettings(full=True))
    assert run.rerun_command().endswith('-float64" --full')
