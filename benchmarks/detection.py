"""`python -m benchmarks.detection` (`make mutate`): plant each catalogued bug in its own component case,
run the comparison, and write reports/detection.csv (docs/architecture.md §10).

Per bug: caught by its own case, where it first diverged, whether that is the planted layer and
quantity, whether the layer alone confirmed it, how many rows known differences absorbed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from comparisons.adapters import frameworks_for
from comparisons.cases import all_cases, case_by_id
from comparisons.cases.negative_controls import SUITE, expected_divergence
from comparisons.core.determinism import configure_environment
from comparisons.core.known_differences import load_known_differences
from comparisons.core.spec import layer_names
from comparisons.kinds.dispatch import compare_case


@dataclasses.dataclass(frozen=True)
class Bug:
    """A planted bug: scratch variant, its own component case, where it must show (layers, quantity)."""

    variant: str
    case: str
    kind: str  # the component kind: activation, loss, dense, dropout, optimizer, ...
    layers: tuple[str, ...]  # the planted layer names ('loss' for the loss); () where a case has none
    quantity: str  # the planted quantity: the first row that must fail
    framework: str = "torch"


CONTROL_KINDS = {  # the negative controls' component kinds (comparisons/adapters/variants/)
    "mse_gradient_without_mean": "loss", "mae_gradient_wrong_sign": "loss",
    "project09_dropout_backward": "dropout", "l1_subgradient_one_at_zero": "dense",
    "l1_subgradient_zero_at_zero": "dense", "softmax_backward_diagonal": "activation",
    "sigmoid_derivative_of_preactivation": "activation", "bias_gradient_mean": "dense",
    "flatten_wrong_order": "pooling", "maxpool_gradient_to_every_tie": "pooling",
    "conv_true_convolution": "conv", "conv_same_padding_wrong_side": "conv",
    "batchnorm_normalizes_with_unbiased_variance": "normalization",
    "batchnorm_momentum_other_convention": "normalization", "gru_gates_torch_order": "recurrent",
    "lstm_bias_counted_twice": "recurrent", "gru_recurrent_bias_dropped": "recurrent",
    "lstm_backprop_last_step_only": "recurrent", "embedding_buffered_add": "embedding",
    "attention_mask_inverted": "attention", "attention_softmax_query_axis": "attention",
}

# Realistic bugs in the regular suites' own cases (comparisons/adapters/variants/catalogue.py and the
# controls' variants), so that known differences matching those cases could absorb them.
CATALOGUE: tuple[Bug, ...] = (
    Bug("relu_gradient_one_at_zero", "act_relu_kink", "activation", ("0.relu",), "grad_activation"),
    Bug("tanh_derivative_of_input", "act_tanh_normal", "activation", ("0.tanh",), "grad_activation"),
    Bug("leaky_relu_backward_zero_slope", "act_leaky_relu_normal", "activation", ("0.leaky_relu",),
        "grad_activation"),
    Bug("softmax_without_max_shift", "ext_act_softmax_huge", "activation", ("0.softmax",), "activation"),
    Bug("cce_gradient_without_mean", "loss_categorical_crossentropy_onehot", "loss", ("loss",), "grad_input"),
    Bug("bce_value_sum", "loss_binary_crossentropy_binary", "loss", ("loss",), "loss"),
    Bug("mse_gradient_without_mean", "mlp_relu_mse", "loss", ("loss",), "grad_activation"),
    Bug("l2_gradient_without_two", "dense_weight_l2", "dense", ("0.dense",), "grad_param"),
    Bug("bias_gradient_mean", "mlp_spiral_cce", "dense", ("0.dense", "2.dense"), "grad_param"),
    Bug("dropout_not_inverted", "dropout_5_train", "dropout", ("0.dropout",), "activation"),
    Bug("adam_without_bias_correction", "opt_adam", "optimizer", (), "param_after_step"),
    Bug("sgd_momentum_wrong_sign", "opt_sgd_momentum", "optimizer", (), "param_after_step"),
    Bug("he_normal_lecun_variance", "init_he_normal", "initializer", (), "metric"),
    Bug("conv_bias_gradient_mean", "conv2d_valid", "conv", ("0.conv2d",), "grad_param"),
    Bug("avgpool_other_padding_count", "avgpool2d_same_k3x3_s2_exclude_pad", "pooling", ("0.avgpool2d",),
        "activation"),
    Bug("layernorm_gamma_gradient_mean", "layernorm_rows", "normalization", ("0.layernorm",), "grad_param"),
    Bug("embedding_padding_row_updated", "embedding_padding_idx", "embedding", ("0.embedding",),
        "grad_param"),
    Bug("lstm_bias_counted_twice", "lstm_last", "recurrent", ("0.lstm",), "activation"),
    Bug("attention_softmax_query_axis", "mha_e8_h2", "attention", ("0.multi_head_attention",), "activation"),
    Bug("tanh_derivative_of_input", "proj_activation_tanh_adam_teacher", "activation", ("3.tanh",),
        "grad_param"),
    Bug("sigmoid_derivative_of_preactivation", "proj_xor_mlp_teacher", "activation", ("3.sigmoid",),
        "grad_param"),
    # training runs: the first bad step replayed and localized (docs/conventions.md §10)
    Bug("dropout_not_inverted", "proj_dropout_0p5_adam_teacher", "dropout", ("2.dropout", "5.dropout"),
        "loss"),
    Bug("batchnorm_momentum_other_convention", "bn_spiral_net_sgd_teacher", "normalization",
        ("1.batchnorm1d",), "buffer"),
    Bug("lstm_bias_counted_twice", "lstm_series_sgd_teacher", "recurrent", ("0.lstm",), "loss"),
    Bug("conv_bias_gradient_mean", "proj_digits_cnn_teacher", "conv", ("0.conv2d",), "grad_param"),
    Bug("bias_gradient_mean", "proj_xor_mlp_teacher", "dense", ("0.dense", "2.dense"), "grad_param"),
    Bug("l2_gradient_without_two", "proj_nnfs_ch14_spiral_l2_adam_free", "dense", ("0.dense", "2.dense"),
        "grad_param"),
    Bug("adam_without_bias_correction", "proj_nnfs_ch10_spiral_adam_free", "optimizer", ("optimizer",),
        "param_after_step"),
    Bug("adam_without_bias_correction", "proj_activation_relu_adam_teacher", "optimizer", ("optimizer",),
        "param_after_step"),
)
QUICK = ("relu_gradient_one_at_zero@act_relu_kink", "l2_gradient_without_two@dense_weight_l2",
         "cce_gradient_without_mean@loss_categorical_crossentropy_onehot",
         "adam_without_bias_correction@opt_adam",
         "conv_bias_gradient_mean@conv2d_valid", "embedding_padding_row_updated@embedding_padding_idx",
         "adam_without_bias_correction@proj_activation_relu_adam_teacher")  # `make test`: bug@case
NO_LAYERS = "no layers"  # `confirmed` of a case without layers (not 'n/a', which pandas reads as NaN)
COLUMNS = ("bug", "variant", "kind", "case", "framework", "dtype", "caught", "first_quantity", "first_tensor",
           "first_step", "blamed_layer", "blame_rule", "planted_layers", "planted_quantity", "at_planted",
           "confirmed", "absorbed_rows", "failed_rows", "seconds", "note")


def _control_layers(case) -> tuple[str, ...]:
    """The layer a negative control's expected first divergence names ('loss' for the loss's gradient)."""
    quantity, tensor = expected_divergence(case)
    names = layer_names(case.model_spec())
    if tensor == "loss" or not names:
        return ("loss",)
    if tensor in names:
        return (tensor,)
    return (names[int(tensor.split(".")[0])],)


def controls() -> tuple[Bug, ...]:
    """Every negative control as a bug of the catalogue, planted where its case expects it."""
    return tuple(Bug(case.options["scratch_variant"], case.id, CONTROL_KINDS[case.options["scratch_variant"]],
                     _control_layers(case), expected_divergence(case)[0],
                     "torch" if "torch" in frameworks_for(case) else frameworks_for(case)[0])
                 for case in all_cases() if case.suite == SUITE)


def all_bugs() -> tuple[Bug, ...]:
    """The negative controls, then the catalogue."""
    return controls() + CATALOGUE


def planted_case(bug: Bug):
    """The bug's own component case with the bug planted in the implementation under test."""
    case = case_by_id(bug.case)
    return dataclasses.replace(case, options={**case.options, "scratch_variant": bug.variant})


def _yes(flag: bool | None) -> str:
    return NO_LAYERS if flag is None else "yes" if flag else "no"


def measure(bug: Bug, dtype: str = "float64", known=None, framework: str | None = None) -> dict:
    """One detection.csv row: the planted case run once against `framework` (default: the bug's)."""
    started, framework = time.perf_counter(), framework or bug.framework
    outcome = compare_case(planted_case(bug), framework, dtype,
                           load_known_differences() if known is None else known)
    first = outcome.first_divergence or {}
    blamed = first.get("blamed_layer", "")
    at_quantity = first.get("quantity") == bug.quantity
    at = (at_quantity and blamed in bug.layers) if bug.layers else at_quantity
    confirmed = bool(first.get("blame_confirmed")) if bug.layers else None
    statuses = [row["status"] for row in outcome.rows]
    skipped = statuses == ["skipped"]  # the framework cannot run the case: nothing measured
    return {"bug": f"{bug.variant}@{bug.case}", "variant": bug.variant, "kind": bug.kind, "case": bug.case,
            "framework": framework, "dtype": dtype, "caught": "skipped" if skipped else _yes(bool(first)),
            "first_quantity": first.get("quantity", ""), "first_tensor": first.get("tensor", ""),
            "first_step": first.get("step", ""), "blamed_layer": blamed,
            "blame_rule": first.get("blame_rule", ""),
            "planted_layers": "|".join(bug.layers), "planted_quantity": bug.quantity,
            "at_planted": _yes(bool(first) and at), "confirmed": _yes(confirmed and bool(first)),
            "absorbed_rows": statuses.count("known_difference"),
            "failed_rows": sum(s in ("failed", "nan", "crash") for s in statuses),
            "seconds": round(time.perf_counter() - started, 2),
            "note": outcome.rows[0]["reason"] if skipped else _note(outcome)}


def _note(outcome) -> str:
    """The localization line of the first failure message, else empty."""
    lines = [line.strip() for line in (outcome.failures[:1] or [""])[0].splitlines()]
    return next((line for line in lines if line.startswith("localized")), "")


def totals(table: pd.DataFrame) -> dict:
    """The summary line over the runs that were not skipped: caught, localized, confirmed, absorbed."""
    ran = table[table["caught"] != "skipped"]
    with_layers = ran[ran["confirmed"] != NO_LAYERS]
    return {"runs": len(table), "skipped": len(table) - len(ran),
            "caught": f"{int((ran['caught'] == 'yes').sum())}/{len(ran)}",
            "at_planted": f"{int((ran['at_planted'] == 'yes').sum())}/{len(ran)}",
            "confirmed": f"{int((with_layers['confirmed'] == 'yes').sum())}/{len(with_layers)}",
            "absorbed_runs": int((ran["absorbed_rows"] > 0).sum()),
            "absorbed_rows": int(ran["absorbed_rows"].sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.detection", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder of detection.csv")
    parser.add_argument("--quick", action="store_true", help="only the subset `make test` runs")
    parser.add_argument("--dtypes", nargs="+", default=["float64"], choices=["float32", "float64"])
    parser.add_argument("--all-frameworks", action="store_true",
                        help="every framework each case runs on (default: the bug's one framework)")
    parser.add_argument("-k", dest="match", default="", help="only bugs whose name contains this")
    args = parser.parse_args(argv)
    configure_environment()  # JAX's float64 switch and the thread counts, before any framework imports
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # planted bugs overflow; the rows say so
    bugs = [b for b in all_bugs() if (not args.quick or f"{b.variant}@{b.case}" in QUICK)
            and args.match in f"{b.variant}@{b.case}"]
    known = load_known_differences()
    frameworks = (lambda bug: frameworks_for(case_by_id(bug.case))) if args.all_frameworks else (
        lambda bug: [bug.framework])
    runs = [(bug, framework, dtype) for bug in bugs for framework in frameworks(bug)
            for dtype in args.dtypes if dtype in case_by_id(bug.case).dtypes]
    table = pd.DataFrame([measure(bug, dtype, known, framework) for bug, framework, dtype in runs],
                         columns=list(COLUMNS))
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "detection.csv", index=False)
    summary = totals(table)
    print(table.drop(columns=["variant", "planted_quantity", "note"]).to_string(index=False))
    ran = table[table["caught"] != "skipped"]
    share = lambda column: f"{(column == 'yes').sum()}/{(column != NO_LAYERS).sum()}"  # noqa: E731
    print(ran.groupby("kind")[["caught", "at_planted", "confirmed"]].agg(share).to_string())
    print("totals: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
