"""--impl SPEC: the user's own implementation through the public adapter protocol, named in every row,
message and rerun command; what it cannot run is skipped with the reason; a bad SPEC stops the run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from comparisons.adapters import SpecError, get_adapter, implementation_label
from comparisons.cases import case_by_id
from comparisons.cli import main
from comparisons.cli.own import TEMPLATE, case_plan
from comparisons.core.settings import RunSettings
from comparisons.kinds.dispatch import compare_case

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def adapter_file(tmp_path) -> Path:
    """A copy of the template adapter, as `nn-parity new-adapter` writes it."""
    path = tmp_path / "my_adapter.py"
    assert main(["new-adapter", str(path)]) == 0
    return path


def run_case(case_id: str, spec: str, framework: str = "torch", dtype: str = "float64"):
    return compare_case(case_by_id(case_id), framework, dtype, settings=RunSettings(implementation=spec))


def test_the_template_adapter_agrees_and_every_row_names_it(adapter_file):
    outcome = run_case("mlp_spiral_cce", str(adapter_file))
    assert {r["status"] for r in outcome.rows} == {"passed"} and len(outcome.rows) > 10
    label = implementation_label(str(adapter_file))
    assert label.startswith(f"{adapter_file} (example network 1.0, sha256:")
    assert {r["implementation"] for r in outcome.rows} == {label}


def test_a_bug_in_the_users_code_is_caught_named_and_rerun_with_the_same_impl(adapter_file):
    text = adapter_file.read_text().replace("return grad * (self.inputs > 0)",
                                            "return grad * (self.inputs > 0) * 1.01")
    adapter_file.write_text(text)
    outcome = run_case("mlp_spiral_cce", str(adapter_file), dtype="float32")
    assert outcome.first_divergence["quantity"] == "grad_activation"
    assert outcome.first_divergence["tensor"] == "1.relu"  # the layer whose backward is wrong
    assert outcome.failures[0].startswith(f"[mlp_spiral_cce] {adapter_file} vs torch")
    rerun = f'rerun: pytest comparisons -k "mlp_spiral_cce-torch-float32" --impl {adapter_file}'
    assert rerun in outcome.failures[0]


def test_what_the_profile_lacks_is_skipped_with_the_reason_never_a_crash(adapter_file):
    spec = str(adapter_file)
    [row] = run_case("act_sigmoid_normal", spec).rows
    assert (row["status"], row["reason"]) == ("skipped", "my_network has no layer type 'sigmoid'")
    [row] = run_case("opt_adam", spec).rows
    assert row["status"] == "skipped" and row["reason"].startswith("my_network does not run optimizer cases")
    [row] = run_case("dense_weight_l1", spec).rows
    assert row["status"] == "skipped" and "has no option 'weight_l1'" in row["reason"]
    [row] = run_case("neg_bias_gradient_mean", spec).rows  # its bug is planted in the bundled library
    assert row["status"] == "skipped" and "has no option 'scratch_variant'" in row["reason"]
    plan = dict((name, verdict) for name, verdict, _ in case_plan(spec))
    assert plan["mlp_spiral_cce-torch"] == "run" and plan["act_sigmoid_normal-torch"] == "skip"


def test_a_crash_in_the_users_code_is_blamed_on_it(adapter_file):
    first_line = '    names = [f"{i}.{layer[\'type\']}"'
    broken = adapter_file.read_text().replace(first_line, f'    raise RuntimeError("my bug")\n{first_line}')
    adapter_file.write_text(broken)
    [row] = run_case("mlp_spiral_cce", str(adapter_file)).rows
    assert row["status"] == "crash"
    assert row["reason"].startswith(f"{adapter_file} raised RuntimeError: my bug (at {adapter_file}:")


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("import no_such_module_here\n", "raised ModuleNotFoundError: No module named 'no_such_module_here'"),
    ("x = 1\n", "has no PROFILE"),
    ("from comparisons.adapters.template_adapter import PROFILE, unavailable_reason, version, build\n",
     "lacks read_params() for PassRunner"),
])
def test_a_spec_that_does_not_resolve_stops_the_run_with_one_message(tmp_path, content, message, capsys):
    path = tmp_path / "broken.py"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SpecError, match=re.escape(message)):
        get_adapter(str(path))
    report_dir = tmp_path / "reports"
    assert main(["run", "--impl", str(path), "-k", "mlp_spiral_cce", "--report-dir", str(report_dir)]) == 2
    assert f"--impl {path}" in capsys.readouterr().err
    assert not report_dir.exists()


def test_unknown_spec_forms_and_the_pytest_option_refuse_cleanly(tmp_path):
    spec_forms = ("scratch, nnfs:PATH.py, nnfs:module.name, micrograd:PATH.py, micrograd:module.name, "
                  "PATH.py or module:object")
    with pytest.raises(SpecError, match=re.escape(f"not a SPEC; use {spec_forms}")):
        get_adapter("not-a-spec")
    done = subprocess.run([sys.executable, "-m", "pytest", "comparisons", "-p", "no:cacheprovider", "--impl",
                           "os:path", "--report-dir", str(tmp_path / "r"), "-k", "mlp_spiral_cce"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 4 and "--impl os:path: the adapter does not satisfy the protocol" in done.stderr
    assert not (tmp_path / "r").exists()


def test_new_adapter_never_overwrites(adapter_file, capsys):
    assert main(["new-adapter", str(adapter_file)]) == 2
    assert "exists; choose another path" in capsys.readouterr().err
    assert adapter_file.read_text() == TEMPLATE.read_text()


@pytest.mark.parametrize("case_id", ["mlp_spiral_cce", "opt_adam", "proj_xor_mlp_teacher", "init_he_normal"])
def test_the_bundled_library_through_the_public_path_gives_the_same_rows(case_id):
    """scratch_adapter.py loaded as a user's adapter file (--impl PATH.py): the rows of --impl scratch."""
    public = str(ROOT / "comparisons" / "adapters" / "scratch_adapter.py")
    framework = "tensorflow"
    rows = {}
    for spec in ("scratch", public):
        outcome = run_case(case_id, spec, framework, "float32")
        rows[spec] = [{k: v for k, v in r.items() if k not in ("implementation", "elapsed_s")}
                      for r in outcome.rows]
    assert rows["scratch"] == rows[public] and rows["scratch"]
    assert {r["status"] for r in rows["scratch"]} <= {"passed", "known_difference"}
