"""The nn-parity command line: run, summary, explain, env; clear messages on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from comparisons.cli import main, run_exit_code, unexplained_failures
from comparisons.render.explain import select_case, worst_rows
from comparisons.render.markdown import load_reports
from tests.harness.test_summary_md import agreement_counts, summary_md_counts, write_synthetic_reports

ROOT = Path(__file__).resolve().parents[2]
# One small case on one framework: the harness imports torch only (a few seconds).
SMALL_CASE = "mlp_spiral_vjp"


def nn_parity(*args: str) -> subprocess.CompletedProcess:
    """The command line in a fresh process, as a user runs it."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "comparisons.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """rich wraps at COLUMNS: wide enough that no checked phrase is split across lines."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    report_dir = tmp_path_factory.mktemp("cli") / "reports"
    done = nn_parity("run", "-k", SMALL_CASE, "--framework", "torch", "--report-dir", str(report_dir))
    return done, report_dir


@pytest.fixture
def synthetic(tmp_path) -> Path:
    return write_synthetic_reports(tmp_path / "reports")


def test_run_writes_only_the_matching_rows_and_ends_with_the_summary(small_run):
    done, report_dir = small_run
    assert done.returncode == 0, done.stdout + done.stderr
    agreement = pd.read_csv(report_dir / "agreement.csv")
    assert set(agreement["case"]) == {SMALL_CASE}
    assert set(agreement["framework"]) == {"torch"}
    assert set(agreement["dtype"]) == {"float32", "float64"}
    assert "suite / case" in done.stdout and SMALL_CASE in done.stdout and "OK" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_run_writes_summary_md_whose_counts_are_those_of_agreement_csv(small_run):
    _, report_dir = small_run
    text = (report_dir / "summary.md").read_text()
    assert summary_md_counts(text) == agreement_counts(report_dir)
    assert "](agreement_heatmap.png)" in text and (report_dir / "agreement_heatmap.png").is_file()
    assert (report_dir / "errors_model.png").is_file()


def test_summary_prints_the_table_of_a_finished_run(small_run, capsys):
    _, report_dir = small_run
    assert main(["summary", str(report_dir)]) == 0
    out = capsys.readouterr().out
    assert SMALL_CASE in out and "torch" in out and "float64" in out and "ok " in out


def test_explain_works_for_every_case_id_in_agreement_csv(small_run, synthetic, capsys):
    for report_dir in (small_run[1], synthetic):
        for case in sorted(set(pd.read_csv(report_dir / "agreement.csv")["case"])):
            assert main(["explain", case, "--report-dir", str(report_dir)]) == 0, case
            out = capsys.readouterr().out
            assert case in out and "first divergence" in out and "rerun" in out
            assert f'nn-parity run -k "{case}-' in out


def test_explain_shows_worst_rows_first_divergence_tolerances_and_rerun(small_run, synthetic, capsys):
    assert main(["explain", "dense_relu", "--report-dir", str(synthetic)]) == 0
    out = capsys.readouterr().out
    assert "grad_activation '1.relu' at step 0 failed" in out
    rows, _ = select_case(load_reports(synthetic), "dense_relu")
    worst = worst_rows(rows, 3)
    assert list(zip(worst["status"], worst["quantity"], strict=True)) == [
        ("nan", "activation"), ("failed", "grad_param"), ("failed", "grad_activation")]
    assert 'nn-parity run -k "dense_relu-torch-float64"' in out
    assert main(["explain", f"{SMALL_CASE}-torch-float32", "--report-dir", str(small_run[1])]) == 0
    out = capsys.readouterr().out
    assert "torch.testing.assert_close float32 defaults" in out, "the tolerance's reason"
    assert "float64" not in out.split("tolerances")[1].split("rerun")[0]


def test_env_prints_versions_threads_and_determinism(capsys):
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    for key in ("python", "cpu", "packages.numpy", "determinism.threads", "OMP_NUM_THREADS",
                "torch_deterministic_algorithms"):
        assert key in out


@pytest.mark.parametrize(("argv", "message"), [
    (["explain", "no_such_case"], "unknown case id 'no_such_case'"),
    (["summary", "{missing}"], "does not exist"),
    (["explain", "dense_relu", "--report-dir", "{missing}"], "does not exist"),
    (["env", "--report-dir", "{missing}"], "does not exist"),
])
def test_bad_input_gives_one_clear_message_and_exit_2(argv, message, synthetic, tmp_path, capsys):
    argv = [a.replace("{missing}", str(tmp_path / "missing")) for a in argv]
    if argv[0] == "explain" and "--report-dir" not in argv:
        argv += ["--report-dir", str(synthetic)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--framework", "mxnet"], "unknown framework 'mxnet'; known: torch, tensorflow, jax"),
    (["run", "--dtype", "float16"], "unknown dtype 'float16'; known: float32, float64"),
    (["run", "-n", "many"], "workers must be a number or 'auto'"),
])
def test_bad_run_options_are_refused_before_anything_runs(argv, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_run_that_matches_nothing_says_so_and_writes_nothing(tmp_path):
    done = nn_parity("run", "-k", "no_case_has_this_name", "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 1
    assert "nothing matched -k 'no_case_has_this_name'" in done.stderr and "suites:" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r").exists()


def test_exit_code_counts_failures_but_not_known_differences_or_caught_controls(synthetic):
    summary = load_reports(synthetic).summary
    assert run_exit_code(summary, []) == 1
    fine = summary[summary["verdict"].isin(["passed", "known_difference", "caught", "skipped"])]
    assert run_exit_code(fine, []) == 0
    assert run_exit_code(fine, ["comparisons/test_x.py::test_other"]) == 1


def test_failed_tests_that_no_problem_row_explains_are_reported(synthetic):
    summary = load_reports(synthetic).summary
    failed = ["comparisons/test_passes.py::test_pass[dense_relu-torch-float64]",
              "comparisons/test_passes.py::test_pass[mlp_ok-torch-float32]",
              # caught, but the control's own test failed: caught at the wrong tensor, say
              "comparisons/test_negative_controls.py::test_negative_control_is_caught"
              "[control_relu_backward-torch-float64]"]
    assert unexplained_failures(failed, summary) == failed[1:]


def test_pytest_options_select_exact_framework_dtype_and_suite():
    done = subprocess.run([sys.executable, "-m", "pytest", "comparisons", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "--framework", "torch", "--dtype", "float64",
                           "--suite", "model"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    ids = [line.split("[", 1)[1].rstrip("]") for line in done.stdout.splitlines() if "::" in line]
    assert ids and all(i.endswith("-torch-float64") for i in ids), done.stdout
    assert not [i for i in ids if i.startswith(("act_", "loss_", "dense_", "dropout_", "opt_"))]
    assert f"{SMALL_CASE}-torch-float64" in ids


def test_the_console_script_is_declared():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["nn-parity"] == "comparisons.cli:main"
    assert {"rich", "matplotlib", "pandas", "pytest"} <= set(project["optional-dependencies"]["cli"])


def test_a_known_difference_whose_proof_fails_fails_the_run_and_unselected_ones_are_not_stale(tmp_path):
    """The proof case (a negative control, failing by design) did not agree: the run exits 1 and says so;
    an entry whose cases did not run is 'not selected' in the audit, not stale."""
    known = tmp_path / "kd.csv"
    known.write_text("case_pattern,framework,dtype,quantity,tensor,reason,expected_magnitude,link,proof\n"
                     "neg_mae_grad_sign_never,torch,float64,grad_input,input,why,1.0,,neg_mae_grad_sign\n"
                     "loss_mse_regression,torch,float64,loss,loss,why,1.0,,loss_mse_regression\n")
    report_dir = tmp_path / "r"
    done = nn_parity("run", "-k", "neg_mae_grad_sign", "--framework", "torch", "--dtype", "float64",
                     "--no-render", "--known-differences", str(known), "--report-dir", str(report_dir))
    assert done.returncode == 1, done.stdout
    assert "known-difference proof: neg_mae_grad_sign_never|torch|float64|grad_input|input" in done.stdout
    audit = pd.read_csv(report_dir / "known_differences.csv").set_index("proof")
    assert audit.loc["neg_mae_grad_sign", ["proof_status", "status"]].tolist() == ["failed", "not selected"]
    assert audit.loc["loss_mse_regression", ["proof_status", "status"]].tolist() == ["not selected",
                                                                                     "not selected"]
