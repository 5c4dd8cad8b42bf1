"""Run one case on scratch and one framework, compare every named tensor, return report rows."""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.agreement import compare
from comparisons.cases import Case, seed_offset, with_seed_offset
from comparisons.data import draw_case_data
from comparisons.known_differences import KnownDifference, match_known_difference
from comparisons.localization import describe_localization, localize
from comparisons.tolerances import tolerance_for

# Forward quantities in layer order, then backward ones from the loss towards the input.
FORWARD = ("activation", "output", "loss")
BACKWARD = ("grad_activation", "grad_param", "grad_input")


@dataclass
class CaseOutcome:
    """Every row of one case x framework x dtype, and the first row that diverged."""

    rows: list[dict]
    first_divergence: dict | None = None
    failures: list[str] = field(default_factory=list)
    trajectory: list[dict] = field(default_factory=list)  # per-step rows of training cases
    extras: dict = field(default_factory=dict)  # kind-specific results for project artifacts


def rerun_command(case: Case, framework: str, dtype: str) -> str:
    """A command that reruns just this case x framework x dtype (with the run's --full, --seed-offset)."""
    full = " --full" if os.environ.get("NN_PARITY_FULL") == "1" else ""  # set by pytest --full
    offset = f" --seed-offset {seed_offset()}" if seed_offset() else ""
    return f'pytest comparisons -k "{case.id}-{framework}-{dtype}"{full}{offset}'


def _ordered(results: dict, quantity: str) -> list[tuple[str, np.ndarray]]:
    items = list(results.get(quantity, {}).items())
    return items[::-1] if quantity in ("grad_activation", "grad_param") else items


def base_row(case: Case, framework: str, dtype: str, version: str) -> dict:
    expected = case.options.get("expected_divergence")  # negative controls only
    return {"case": case.id, "suite": case.suite, "component": case.component,
            "framework": framework, "dtype": dtype, "seed": case.seed, "step": 0,
            "framework_version": version,
            "expected_divergence": f"{expected['quantity']} '{expected['tensor']}'" if expected else ""}


def make_row(base: dict, quantity: str, tensor: str, actual, expected, tol=None) -> dict:
    """One agreement.csv row: scratch's `actual` against the framework's `expected`."""
    tol = tol or tolerance_for(base["dtype"], quantity)
    result = compare(actual, expected, tol.atol, tol.rtol)
    return {**base, "quantity": quantity, "tensor": tensor, "shape": str(tuple(np.shape(expected))),
            "max_abs_err": result.max_abs_err, "max_rel_err": result.max_rel_err,
            "err_ratio": result.worst_ratio, "worst_index": str(result.worst_index),
            "scratch_value": result.actual_value, "framework_value": result.expected_value,
            "atol": tol.atol, "rtol": tol.rtol, "status": result.status, "reason": result.detail}


def failure_message(row: dict, rerun: str) -> str:
    """Names case, implementations, dtype, seed, quantity, tensor, worst element, allowed error."""
    allowed = row["atol"] + row["rtol"] * abs(row["framework_value"])
    return (
        f"[{row['case']}] scratch vs {row['framework']} ({row['framework_version']}), "
        f"{row['dtype']}, seed {row['seed']}, step {row['step']}: {row['quantity']} "
        f"'{row['tensor']}' {row['status']}"
        f"{' (' + row['reason'] + ')' if row['reason'] else ''}\n"
        f"  worst element {row['worst_index']}: scratch={row['scratch_value']!r}, "
        f"{row['framework']}={row['framework_value']!r}\n"
        f"  |a - r| = {row['max_abs_err']:.3e} > allowed {row['atol']:g} + {row['rtol']:g}*|r| "
        f"= {allowed:.3e} (error/tolerance {row['err_ratio']:.3g}); max rel err "
        f"{row['max_rel_err']:.3e}\n"
        f"  rerun: {rerun}"
    )


def status_row(base: dict, status: str, reason: str) -> dict:
    return {**base, "quantity": "output", "tensor": "", "shape": "", "max_abs_err": np.nan,
            "max_rel_err": np.nan, "err_ratio": np.nan, "worst_index": "", "scratch_value": np.nan,
            "framework_value": np.nan, "atol": np.nan, "rtol": np.nan, "status": status,
            "reason": reason}


def compare_case(case: Case, framework: str, dtype: str,
                 known: list[KnownDifference] = ()) -> CaseOutcome:
    """Run the case on scratch and the framework; every compared tensor becomes a row.

    The one place every case kind goes through: the run's --seed-offset is applied here, and an
    exception that escapes a kind's runner becomes a crash row instead of a lost case.
    """
    case = with_seed_offset(case)
    started = time.perf_counter()
    reason = get_adapter(framework).unavailable_reason()
    if reason:
        return finish(CaseOutcome([status_row(base_row(case, framework, dtype, ""), "skipped", reason)]),
                      case, framework, dtype, known, started)
    try:
        return _compare_kind(case, framework, dtype, known)
    except Exception as exc:  # noqa: BLE001 - a fault anywhere in a case is that case's crash row
        return finish(CaseOutcome([status_row(base_row(case, framework, dtype, ""), "crash",
                                              describe(f"the {case.kind} comparison", exc))]),
                      case, framework, dtype, known, started)


def _compare_kind(case: Case, framework: str, dtype: str, known: list[KnownDifference]) -> CaseOutcome:
    if case.kind == "training":
        from comparisons.trajectory_runner import compare_training

        return compare_training(case, framework, dtype, known)
    if case.kind == "optimizer":
        from comparisons.optimizer_runner import compare_optimizer

        return compare_optimizer(case, framework, dtype, known)
    if case.kind == "initializer":
        from comparisons.initializer_runner import compare_initializer

        return compare_initializer(case, framework, dtype, known)
    if case.kind == "perceptron":
        from comparisons.perceptron_runner import compare_perceptron

        return compare_perceptron(case, framework, dtype, known)
    if case.kind == "landscape":
        from comparisons.landscape_runner import compare_landscape

        return compare_landscape(case, framework, dtype, known)
    return compare_pass(case, framework, dtype, known)


def compare_pass(case: Case, framework: str, dtype: str,
                 known: list[KnownDifference] = ()) -> CaseOutcome:
    """Copy check first, then forward and backward, every tensor compared and turned into a row."""
    adapter = get_adapter(framework)
    base = base_row(case, framework, dtype, "")
    started = time.perf_counter()
    spec = case.model_spec()
    batch64, params64 = draw_case_data(spec, case.data, case.seed)
    if case.options.get("init"):  # a project's own initial parameters (seed 07's weights)
        from comparisons.trajectory_runner import initial_params

        params64 = initial_params(spec, case.options["init"], np.random.default_rng(case.seed))
    batch = batch64.cast(dtype)
    params = {k: v.astype(dtype) for k, v in params64.items()}
    scratch = get_adapter("scratch")
    try:
        base["framework_version"] = adapter.version()
        model = adapter.build(spec, params, dtype)
        rows = [make_row(base, "param_copy", k, v, params[k]) for k, v in adapter.read_params(model).items()]
        if any(r["status"] != "passed" for r in rows):
            return finish(CaseOutcome(rows), case, framework, dtype, known, started)
        reference = adapter.run_pass(model, spec, batch)
        shared = reference.pop("shared", {})
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row, not a lost run
        return finish(CaseOutcome([status_row(base, "crash", describe(framework, exc))]),
                       case, framework, dtype, known, started)
    try:
        mine = scratch.run_pass(scratch.build(spec, params, dtype), spec, batch, shared)
    except Exception as exc:  # noqa: BLE001
        return finish(CaseOutcome([status_row(base, "crash", describe("scratch", exc))]),
                       case, framework, dtype, known, started)
    for quantity in FORWARD + BACKWARD:
        for tensor, expected in _ordered(reference, quantity):
            rows.append(make_row(base, quantity, tensor, mine[quantity][tensor], expected))
    outcome = finish(CaseOutcome(rows), case, framework, dtype, known, started)
    outcome.extras = {"params": params, "batch": batch, "results": {"scratch": mine, "framework": reference}}
    if outcome.first_divergence is not None:
        found = localize(spec, params, batch, reference, outcome.rows, framework, dtype, shared)
        if found is not None:
            outcome.first_divergence.update(blamed_layer=found["layer"], blame_rule=found["rule"],
                                            blame_confirmed=found["confirmed"])
            outcome.failures[0] += "\n" + describe_localization(found)
    return outcome


def describe(who: str, exc: Exception) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{who} raised {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})"


def finish(outcome: CaseOutcome, case: Case, framework: str, dtype: str,
            known: list[KnownDifference], started: float) -> CaseOutcome:
    rerun = rerun_command(case, framework, dtype)
    elapsed = time.perf_counter() - started
    for order, row in enumerate(outcome.rows):
        row["order"] = order
        row["elapsed_s"] = elapsed
        if row["status"] == "failed":
            entry = match_known_difference(row, list(known))
            if entry is not None:
                row["status"], row["reason"] = "known_difference", entry.reason
                row["known_difference"] = entry.key
        if row["status"] in ("failed", "nan", "crash"):
            if outcome.first_divergence is None:
                outcome.first_divergence = row
            outcome.failures.append(
                failure_message(row, rerun) if row["status"] != "crash"
                else f"[{row['case']}] {framework} {dtype}: crash: {row['reason']}\n  rerun: {rerun}"
            )
    return outcome
