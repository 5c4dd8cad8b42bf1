"""Meta-tests: the detection catalogue's quick subset is caught, localized, confirmed, never absorbed; the
localizer blames parameter-gradient, loss-gradient and training bugs where they were planted."""

import dataclasses

import pytest

from benchmarks.detection import CATALOGUE, NO_LAYERS, QUICK, all_bugs, measure, planted_case, totals
from comparisons.adapters.variants import INITIALIZER_VARIANTS, OPTIMIZER_VARIANTS, VARIANTS
from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
QUICK_BUGS = [bug for bug in CATALOGUE if f"{bug.variant}@{bug.case}" in QUICK]
FREE_RUNNING = [bug for bug in CATALOGUE if bug.case.endswith("_free")]


@pytest.mark.parametrize("bug", QUICK_BUGS, ids=[f"{b.variant}@{b.case}" for b in QUICK_BUGS])
def test_quick_catalogue_bug_is_caught_localized_confirmed_and_not_absorbed(bug):
    row = measure(bug)
    assert row["caught"] == "yes", row
    assert row["at_planted"] == "yes", row
    assert row["confirmed"] in ("yes", NO_LAYERS), row
    assert row["absorbed_rows"] == 0, row


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bug", FREE_RUNNING, ids=[f"{b.variant}@{b.case}" for b in FREE_RUNNING])
def test_a_free_running_bug_is_caught_and_not_absorbed(bug, dtype):
    """float32 runs are chaotic from step 1: the bulk rule of docs/conventions.md §9 catches them."""
    row = measure(bug, dtype)
    assert row["caught"] == "yes" and row["absorbed_rows"] == 0, row


def test_every_variant_is_planted_by_the_catalogue_or_a_control():
    planted = {bug.variant for bug in all_bugs()}
    assert planted == set(VARIANTS) | set(OPTIMIZER_VARIANTS) | set(INITIALIZER_VARIANTS)
    kinds = {bug.kind for bug in all_bugs()}
    assert {"activation", "loss", "dense", "dropout", "optimizer", "initializer", "conv", "pooling",
            "normalization", "embedding", "recurrent", "attention"} <= kinds


def test_totals_count_what_the_table_says():
    import pandas as pd

    table = pd.DataFrame([{"caught": "yes", "at_planted": "no", "confirmed": NO_LAYERS, "absorbed_rows": 0},
                          {"caught": "no", "at_planted": "no", "confirmed": "no", "absorbed_rows": 3},
                          {"caught": "skipped", "at_planted": "no", "confirmed": "no", "absorbed_rows": 0}])
    assert totals(table) == {"runs": 3, "skipped": 1, "caught": "1/2", "at_planted": "0/2",
                             "confirmed": "0/1", "absorbed_runs": 1, "absorbed_rows": 3}


def _first(case, framework="torch", dtype="float64"):
    outcome = compare_case(case, framework, dtype)
    assert outcome.first_divergence is not None, "the planted bug was not detected"
    return outcome.first_divergence, outcome.failures[0]


def test_a_parameter_gradient_bug_is_confirmed_on_the_layer_alone():
    """Only db is wrong (every input gradient agrees): the isolated run's parameter gradients confirm it."""
    first, message = _first(case_by_id("neg_bias_gradient_mean"))
    blame = (first["quantity"], first["blamed_layer"], first["blame_rule"])
    assert blame == ("grad_param", "2.dense", "backward")
    assert first["blame_confirmed"] is True and "confirmed: the layer alone" in message


def test_a_loss_gradient_bug_is_blamed_on_the_loss_not_the_last_layer():
    bug = next(b for b in CATALOGUE if b.variant == "mse_gradient_without_mean")
    first, message = _first(planted_case(bug))
    assert (first["quantity"], first["tensor"]) == ("grad_activation", "loss")
    blame = (first["blamed_layer"], first["blame_rule"], first["blame_confirmed"])
    assert blame == ("loss", "backward", True)
    assert "confirmed: the loss alone" in message


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
@pytest.mark.parametrize("case_id", ["mlp_relu_mse", "mlp_spiral_cce"])
def test_every_framework_returns_the_loss_gradient_and_unbroken_scratch_agrees(case_id, framework):
    outcome = compare_case(case_by_id(case_id), framework, "float64")
    rows = [r for r in outcome.rows if (r["quantity"], r["tensor"]) == ("grad_activation", "loss")]
    assert len(rows) == 1 and rows[0]["status"] == "passed", rows
    backward = [r["quantity"] for r in outcome.rows if r["quantity"].startswith("grad")]
    params = [i for i, r in enumerate(outcome.rows) if r["quantity"] == "grad_param"]
    assert outcome.rows.index(rows[0]) < min(params)
    assert backward[0] == "grad_activation"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the planted tanh' overflows once training diverges
def test_a_training_bug_in_layer_1_is_blamed_on_layer_1():
    """tanh' taken on the input, in layer 1 only: the replayed first bad step names '1.tanh', not the
    first parameter in order ('0.weight', where the first failing row of the step is)."""
    base = case_by_id("proj_xor_mlp_teacher")
    case = dataclasses.replace(base, layers=({"type": "dense", "units": 3}, {"type": "tanh"},
                                             {"type": "dense", "units": 1}, {"type": "sigmoid"}),
                               options={**base.options, "scratch_variant": "tanh_derivative_of_input"})
    first, message = _first(case)
    assert first["tensor"] == "0.weight"  # the rows' order alone would blame layer 0
    blame = (first["blamed_layer"], first["blame_rule"], first["blame_confirmed"])
    assert blame == ("1.tanh", "backward", True)
    assert f"(step {first['step']} replayed through one pass)" in message


def test_a_training_optimizer_bug_is_blamed_on_the_update():
    base = case_by_id("proj_xor_mlp_teacher")
    case = dataclasses.replace(base, options={**base.options, "optimizer": {"name": "sgd", "hyper": {
        "lr": 1.0, "momentum": 0.5}}, "scratch_variant": "sgd_momentum_wrong_sign"})
    first, _ = _first(case)
    blame = (first["quantity"], first["blamed_layer"], first["blame_rule"])
    assert blame == ("param_after_step", "optimizer", "update")
    assert first["step"] == 1 and first["blame_confirmed"] is True  # one step of the optimizer alone


def test_reports_readme_documents_the_detection_and_false_alarm_columns():
    from benchmarks import detection, false_alarms
    from tests.rules.test_reports_readme import README, undocumented

    text = README.read_text(encoding="utf-8")
    assert undocumented(text, "detection.csv", detection.COLUMNS) == ([], [])
    assert undocumented(text, "false_alarms.csv", false_alarms.COLUMNS) == ([], [])


def test_false_alarms_count_only_failures_outside_the_negative_controls(tmp_path):
    import pandas as pd

    from benchmarks.false_alarms import count

    agreement = pd.DataFrame({"suite": ["layer", "layer", "negative_control", "loss"],
                              "case": ["a", "a", "neg_x", "b"], "framework": "torch", "dtype": "float64",
                              "status": ["failed", "passed", "failed", "known_difference"]})
    row = count(agreement, 3, tmp_path)
    assert (row["seed_offset"], row["rows"], row["failed_rows"], row["failed_cases"]) == (3, 3, 1, "a")
    assert row["known_difference_rows"] == 1 and row["failed_groups"] == 1


def test_an_implementation_without_the_loss_gradient_gets_a_skipped_row_saying_why():
    import numpy as np

    from comparisons.core.rows import CaseRun
    from comparisons.kinds.passes import NO_LOSS_GRADIENT, pass_rows

    run = CaseRun(case_by_id("mlp_relu_mse"), "torch", "float64")
    grad = {"3.dense": np.ones(2)}
    rows = pass_rows(run, {"grad_activation": dict(grad)}, {"grad_activation": {**grad, "loss": np.ones(2)}})
    assert [(r["tensor"], r["status"]) for r in rows] == [("loss", "skipped"), ("3.dense", "passed")]
    assert rows[0]["reason"] == NO_LOSS_GRADIENT
