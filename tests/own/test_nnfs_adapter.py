"""--impl nnfs:PATH.py / nnfs:module.name: a user's nnfs-style classes checked with no adapter written
(comparisons/adapters/nnfs/): a correct module agrees with torch and Keras, planted bugs are caught at
their layer, and what a module lacks or cannot take is skipped with the reason, never a crash."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from comparisons.adapters import SpecError, get_adapter, implementation_label
from comparisons.adapters.specs import file_digest
from comparisons.cases import case_by_id
from comparisons.core.known_differences import load_known_differences
from comparisons.core.settings import RunSettings
from comparisons.kinds.dispatch import compare_case

ROOT = Path(__file__).resolve().parents[2]
CORRECT = ROOT / "tests" / "helpers" / "nnfs_style.py"
EARLY = ROOT / "tests" / "helpers" / "nnfs_style_early.py"
KNOWN = load_known_differences()


def run_case(case_id: str, path: Path | str, framework: str = "torch", dtype: str = "float64"):
    spec = path if isinstance(path, str) else f"nnfs:{path}"
    return compare_case(case_by_id(case_id), framework, dtype, KNOWN, RunSettings(implementation=spec))


def statuses(outcome) -> set[str]:
    return {row["status"] for row in outcome.rows}


AGREEING = {  # per framework: what a book-style module runs there (Keras's Adam, RMSprop, Adagrad skip)
    "torch": ("mlp_spiral_cce", "mlp_spiral_vjp", "dropout_mlp_train", "dense_all_regularizers",
              "act_tanh_extreme", "loss_mae_regression", "loss_categorical_crossentropy_onehot",
              "opt_rmsprop_decay", "opt_adam_decay", "proj_nnfs_ch16_spiral_binary_adam_teacher",
              "proj_nnfs_ch17_sine_adam_free", "proj_loss_landscape_linear"),
    "tensorflow": ("mlp_spiral_cce", "mlp_spiral_vjp", "dropout_mlp_train", "act_sigmoid_normal",
                   "loss_binary_crossentropy_binary", "opt_sgd_momentum", "proj_xor_mlp_teacher"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("framework", "case_id"),
                         [(framework, case) for framework, cases in AGREEING.items() for case in cases])
def test_a_correct_nnfs_style_module_agrees(framework, case_id, dtype):
    outcome = run_case(case_id, CORRECT, framework, dtype)
    assert statuses(outcome) <= {"passed", "known_difference"}, outcome.failures or outcome.rows[0]["reason"]
    # known differences only where scratch has them too: Adam's float32 steps (update rows)
    assert {r["status"] for r in outcome.rows if r["quantity"] != "update"} == {"passed"}
    assert {row["implementation"] for row in outcome.rows} == {implementation_label(f"nnfs:{CORRECT}")}


@pytest.mark.parametrize(("case_id", "framework"), [
    ("mlp_spiral_cce", "torch"), ("mlp_spiral_vjp", "torch"), ("dropout_mlp_train", "torch"),
    ("dropout_5_inference", "torch"), ("dense_all_regularizers", "torch"), ("opt_adam", "torch"),
    ("opt_sgd", "tensorflow"), ("proj_nnfs_ch15_spiral_dropout_adam_teacher", "torch")])
def test_the_middle_chapters_variant_agrees_without_training_args_or_accumulation(case_id, framework):
    assert statuses(run_case(case_id, EARLY, framework)) == {"passed"}


@pytest.mark.parametrize("case_id", ["dropout_mlp_train", "loss_categorical_crossentropy_sparse"])
def test_the_books_float64_mask_and_one_hot_labels_fail_the_dtype_check_in_float32(tmp_path, case_id):
    """The book divides binomial's int64 mask by keep and indexes np.eye(k): float64 in a float32 pass,
    values within tolerance, but every tensor it widened fails naming the dtypes (docs/conventions.md §8)."""
    path = tmp_path / "upcasting_nn.py"
    source = CORRECT.read_text()
    for text, book in (("keep.astype(inputs.dtype) / self.rate", "keep / self.rate"),
                       ("np.eye(labels, dtype=dvalues.dtype)", "np.eye(labels)")):
        assert source.count(text) == 1
        source = source.replace(text, book)
    path.write_text(source)
    rows = run_case(case_id, path, dtype="float32").rows
    failed = [r for r in rows if r["status"] != "passed"]
    assert failed and {r["status"] for r in failed} == {"failed"}
    wrong = f"dtype: nnfs:{path} returned float64 for a float32 case"
    assert all(r["reason"] == wrong and r["err_ratio"] <= 1 for r in failed), [r["reason"] for r in failed]


def test_the_books_l1_subgradient_at_zero_is_the_known_difference_it_is_for_scratch():
    outcome = run_case("dense_weight_l1_at_zero_nnfs", CORRECT)
    assert outcome.first_divergence is None
    [row] = [r for r in outcome.rows if r["status"] == "known_difference"]
    assert (row["quantity"], row["tensor"], row["known_difference"].split("|")[0]) == \
        ("grad_param", "0.weight", "dense_weight_l1_at_zero_nnfs")
    assert row["max_abs_err"] == pytest.approx(0.125)  # l1 at the 6 zero weights


# (text in nnfs_style.py, the planted bug, case, dtype, first divergence, blamed layer)
BUGS = [
    ("self.dinputs[self.inputs <= 0] = 0", "self.dinputs[self.inputs < 0] = 0",
     "act_relu_kink", "float64", ("grad_activation", "0.relu"), "0.relu"),
    ("self.dbiases = np.sum(dvalues, axis=0, keepdims=True)",
     "self.dbiases = np.mean(dvalues, axis=0, keepdims=True)",
     "mlp_spiral_cce", "float32", ("grad_param", "2.bias"), "2.dense"),
    ("self.dinputs = self.dinputs / samples", "self.dinputs = self.dinputs",  # the fused loss's backward
     "mlp_spiral_cce", "float64", ("grad_activation", "loss"), "loss"),
    ("self.dinputs = self.output * (dvalues - weighted)",
     "self.dinputs = self.output * (1 - self.output) * dvalues",
     "mlp_spiral_vjp", "float32", ("grad_activation", "3.softmax"), "3.softmax"),
    ("self.dinputs = dvalues * self.binary_mask", "self.dinputs = dvalues * (self.binary_mask > 0)",
     "dropout_mlp_train", "float64", ("grad_activation", "2.dropout"), "2.dropout"),
    ("np.sign(dvalues - y_true)", "np.sign(y_true - dvalues)",  # the book's own MAE sign
     "loss_mae_regression", "float64", ("grad_input", "input"), "loss"),
    ("corrected_momentum = getattr(layer, momentum) / (1 - self.beta_1 ** step)",
     "corrected_momentum = getattr(layer, momentum)",
     "opt_adam", "float64", ("param_after_step", "0.weight"), None),
]


@pytest.mark.parametrize(("text", "bug", "case_id", "dtype", "expected", "blamed"), BUGS,
                         ids=[f"{bug[2]}-{bug[4][1]}" for bug in BUGS])
def test_a_planted_bug_is_caught_at_its_layer(tmp_path, text, bug, case_id, dtype, expected, blamed):
    source = CORRECT.read_text()
    assert source.count(text) == 1, f"the correct module no longer has {text!r}"
    path = tmp_path / "buggy_nn.py"
    path.write_text(source.replace(text, bug))
    outcome = run_case(case_id, path, dtype=dtype)
    first = outcome.first_divergence
    assert first is not None and (first["quantity"], first["tensor"]) == expected, outcome.failures
    assert first["status"] == "failed" and first.get("blamed_layer") == blamed
    assert outcome.failures[0].startswith(f"[{case_id}] nnfs:{path} vs torch")
    assert f"--impl nnfs:{path}" in outcome.failures[0]  # the rerun command re-tests the same file


SKIPS = [  # (case, framework, a phrase of the skip reason): options the book's classes do not take
    ("opt_sgd_nesterov", "torch", "has no option 'momentum_form', 'nesterov'"),
    ("opt_adam", "tensorflow", "has no option 'epsilon_hat'"),
    ("opt_adagrad", "torch", "has no option 'initial_accumulator'"),
    ("dense_weight_l1_at_zero_sign0", "torch", "has no option 'l1_zero_subgradient'"),
    ("act_leaky_relu_normal", "torch", "has no layer type 'leaky_relu'"),
    ("loss_half_mse_regression", "torch", "has no loss 'half_mse'"),
    ("init_dense_defaults", "torch", "does not run initializer cases"),
    ("neg_bias_gradient_mean", "torch", "has no option 'scratch_variant'"),
]


@pytest.mark.parametrize(("case_id", "framework", "phrase"), SKIPS)
def test_what_the_books_classes_cannot_take_is_skipped_with_the_reason(case_id, framework, phrase):
    [row] = run_case(case_id, CORRECT, framework).rows
    assert row["status"] == "skipped" and row["reason"].startswith(f"nnfs:nnfs_style.py {phrase}")


def test_the_profile_lists_exactly_what_the_module_defines_and_takes():
    profile = get_adapter(f"nnfs:{CORRECT}").PROFILE
    assert (profile.name, profile.reference) == ("nnfs:nnfs_style.py", False)
    assert profile.kinds == {"pass", "optimizer", "training", "landscape"}
    assert profile.layers == {"dense", "dropout", "relu", "softmax", "sigmoid", "tanh", "linear"}
    assert profile.losses == {"categorical_crossentropy", "binary_crossentropy", "mse", "mae"}
    assert profile.optimizers == {"sgd", "adagrad", "rmsprop", "adam"}
    assert profile.options == {"n_inputs", "units", "zero_weights", "rate", "weight_l1", "weight_l2",
                               "bias_l1", "bias_l2", "lr", "decay", "momentum", "epsilon", "rho", "beta_1",
                               "beta_2"}
    early = get_adapter(f"nnfs:{EARLY}").PROFILE
    assert early.layers == {"dense", "dropout", "relu", "softmax"} and early.optimizers == {"sgd", "adam"}
    assert early.losses == {"categorical_crossentropy"} and "momentum" not in early.options


def test_a_module_missing_classes_skips_their_cases_and_a_module_without_any_stops_the_run(tmp_path):
    for case_id, phrase in (("act_sigmoid_normal", " has no layer type 'sigmoid'"),
                            ("opt_rmsprop", " has no optimizer 'rmsprop'"),
                            ("opt_sgd_decay", "'s Optimizer_SGD takes no 'decay'")):
        [row] = run_case(case_id, EARLY).rows
        assert (row["status"], row["reason"]) == ("skipped", f"nnfs:nnfs_style_early.py{phrase}")
    minimal = tmp_path / "only_dense.py"
    minimal.write_text(EARLY.read_text().split("class Layer_Dropout")[0])
    adapter = get_adapter(f"nnfs:{minimal}")
    assert adapter.PROFILE.kinds == {"pass"} and adapter.PROFILE.layers == {"dense"}
    assert statuses(run_case("dense_plain", minimal)) == {"passed"}
    reason = run_case("mlp_spiral_cce", minimal).rows[0]["reason"]
    assert reason == "nnfs:only_dense.py has no layer type 'relu', 'softmax'"
    empty = tmp_path / "not_nnfs.py"
    empty.write_text("import numpy as np\n")
    with pytest.raises(SpecError, match="defines none of the nnfs-style classes"):
        get_adapter(f"nnfs:{empty}")


def test_versions_name_the_file_and_its_hash_or_the_module():
    assert get_adapter(f"nnfs:{CORRECT}").version() == f"nnfs-style nnfs_style.py {file_digest(CORRECT)}"
    adapter = get_adapter("nnfs:tests.helpers.nnfs_style")
    assert adapter.PROFILE.name == "nnfs:tests.helpers.nnfs_style"
    assert adapter.version() == "nnfs-style tests.helpers.nnfs_style"


def test_the_adapter_changes_neither_numpy_nor_the_users_module_nor_the_global_random_state():
    adapter = get_adapter(f"nnfs:{CORRECT}")
    binomial, state = np.random.binomial, np.random.get_state()
    assert statuses(run_case("dropout_mlp_train", CORRECT)) == {"passed"}
    assert np.random.binomial is binomial and adapter.module.np is np
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), state, strict=True)
               if isinstance(a, np.ndarray))


def test_a_dropout_that_draws_its_mask_otherwise_is_a_crash_that_says_why(tmp_path):
    path = tmp_path / "own_draw.py"
    path.write_text(CORRECT.read_text().replace("keep = np.random.binomial(1, self.rate, size=inputs.shape)",
                                                "keep = np.random.rand(*inputs.shape) < self.rate"))
    [*_, row] = run_case("dropout_3_train", path).rows
    assert row["status"] == "crash" and "did not draw its mask with np.random.binomial" in row["reason"]


def test_nn_parity_run_from_another_folder_names_the_file_and_its_hash(tmp_path):
    user = tmp_path / "my_nn.py"
    user.write_text(CORRECT.read_text())
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "160",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "comparisons.cli", "run", "--impl", "nnfs:my_nn.py", "-k",
                           "mlp_spiral_cce", "--framework", "torch", "--no-render"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with (tmp_path / "reports" / "agreement.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["status"] for r in rows} == {"passed"} and {r["dtype"] for r in rows} == {"float32", "float64"}
    assert {r["implementation"] for r in rows} == {f"nnfs:my_nn.py (nnfs-style my_nn.py {file_digest(user)})"}
