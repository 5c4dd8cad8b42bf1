"""Kind 'pass': one forward and backward on the implementation under test and a framework, every tensor."""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter, profile
from comparisons.adapters.cache import case_adapter
from comparisons.adapters.protocol import PROBABILITY_LOSSES
from comparisons.core.case import Case
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.core.spec import active_loss_options, effective_loss, with_layer_options
from comparisons.data.batches import Batch, draw_case_data
from comparisons.data.parameters import initial_params
from comparisons.kinds.localization import confirm_update, describe_localization, localize

# Forward quantities in layer order, then backward ones from the loss towards the input.
FORWARD = ("activation", "internal", "output", "loss", "buffer")  # internal: protocol.layer_internals
BACKWARD = ("grad_activation", "grad_param", "grad_input")
NO_LOSS_GRADIENT = ("the implementation returns no loss gradient (run_pass's grad_activation 'loss', "
                    "comparisons/adapters/protocol.py)")


def layer_conventions(case: Case, framework: str) -> dict:
    """Layer type -> scratch options: the case's own (options['scratch_layer_conventions']), else the
    framework profile's layer_conventions, the options that make scratch compute that framework's formula."""
    given = case.options.get("scratch_layer_conventions")
    return dict(profile(framework).layer_conventions if given is None else given)


def loss_conventions(case: Case, framework: str) -> dict:
    """The scratch loss options for the loss this framework computes (effective_loss: a fused softmax
    reads logits): the case's own (options['scratch_loss_conventions']), else the framework profile's
    less those inert unless the case's data are declared 'saturated' (active_loss_options)."""
    given = case.options.get("scratch_loss_conventions")
    if given is not None or case.loss not in PROBABILITY_LOSSES:  # scratch's logits losses have no options
        return dict(given or {})
    options = profile(framework).loss_conventions.get(effective_loss(case.model_spec())[0], {})
    return active_loss_options(bool(case.data.get("saturated")), options)


def implementation_spec(case: Case, framework: str) -> dict:
    """The spec the implementation under test builds: the case's, with the layer and loss conventions."""
    spec = with_layer_options(case.model_spec(), layer_conventions(case, framework))
    options = loss_conventions(case, framework)
    return {**spec, "loss_options": options} if options else spec


def _ordered(results: dict, quantity: str) -> list[tuple[str, np.ndarray]]:
    """Backward quantities from the loss towards the input: dL/d(what the loss reads) ('loss') first."""
    items = list(results.get(quantity, {}).items())
    if quantity not in ("grad_activation", "grad_param"):
        return items
    loss = [(k, v) for k, v in items if k == "loss"]
    return loss + [(k, v) for k, v in items[::-1] if k != "loss"]


def pass_rows(run: CaseRun, mine: dict, reference: dict, step: int = 0) -> list[dict]:
    """Every tensor of the framework's pass against the implementation's, forward then backward."""
    unreadable = mine.pop("unreadable", {})  # {quantity: {tensor: why}}: skipped rows, not crashes
    if "loss" in reference.get("grad_activation", {}) and "loss" not in mine.get("grad_activation", {}):
        unreadable.setdefault("grad_activation", {}).setdefault("loss", NO_LOSS_GRADIENT)
    return [row for quantity in FORWARD + BACKWARD
            for row in run.rows(quantity, mine.get(quantity, {}), dict(_ordered(reference, quantity)), step,
                                unreadable=unreadable.get(quantity))]


def _blame(outcome: CaseOutcome, found: dict | None, suffix: str = "") -> None:
    """Blamed layer, rule and confirmation into the first divergence (summary.csv) and the message."""
    if found is not None and outcome.first_divergence is not None:
        outcome.first_divergence.update(blamed_layer=found["layer"], blame_rule=found["rule"],
                                        blame_confirmed=found["confirmed"])
        outcome.failures[0] += "\n" + describe_localization(found) + suffix


def _update_blame(run: CaseRun, optimizers: tuple[dict, dict], start: dict, grads: dict, step: int) -> dict:
    """The optimizer blamed for a step whose pass agrees; confirmed alone at step 1 (a fresh state)."""
    found = {"rule": "update", "layer": "optimizer", "confirmed": False, "isolated_max_abs_err": np.nan,
             "note": "(not checked alone after step 1: the optimizer's state is the trainer's own)"}
    if step != 1:
        return found
    try:
        return confirm_update(case_adapter(run), run.implementation, optimizers, start, grads, run.dtype)
    except Exception as exc:  # noqa: BLE001 - localization must never hide the divergence itself
        return {**found, "note": f"(confirmation raised {type(exc).__name__}: {exc})"}


def replay_step(run: CaseRun, outcome: CaseOutcome, step: int, start: dict, x, targets,
                optimizers: tuple[dict, dict]) -> None:
    """Localize a training run's first bad step: that step's batch through one pass of both sides, from
    the parameters (and buffers) the implementation started the step from, then `localize`. A step
    whose pass agrees everywhere (the gradients agree, the update does not) is blamed on the optimizer,
    confirmed alone at step 1 (optimizers: the framework's and the implementation's specs)."""
    case, dtype = run.case, run.dtype
    adapter, implementation = case_adapter(run), get_adapter(run.implementation)
    spec, mine_spec = case.model_spec(), implementation_spec(case, run.framework)
    batch = Batch(x, targets, np.zeros((), dtype))
    try:
        reference = adapter.run_pass(adapter.build(spec, start, dtype), spec, batch)
        shared = reference.pop("shared", {})
        model = implementation.build(mine_spec, start, dtype)
        mine = implementation.run_pass(model, mine_spec, batch, shared)
        rows = pass_rows(run, mine, reference, step)
        found = localize(spec, start, batch, reference, rows, adapter, dtype, shared, run.implementation,
                         mine_spec)
    except Exception as exc:  # noqa: BLE001 - the replay must never hide the divergence itself
        found = {"rule": "replay", "layer": "", "confirmed": False, "isolated_max_abs_err": np.nan,
                 "note": f"(the replay of step {step} raised {type(exc).__name__}: {exc})"}
        return _blame(outcome, found)
    if found is None:
        found = _update_blame(run, optimizers, start, reference["grad_param"], step)
    _blame(outcome, found, f" (step {step} replayed through one pass)")


def compare_pass(run: CaseRun) -> CaseOutcome:
    """Copy check first, then forward and backward, every tensor compared and turned into a row."""
    case, dtype = run.case, run.dtype
    adapter, implementation = case_adapter(run), get_adapter(run.implementation)
    spec, mine_spec = case.model_spec(), implementation_spec(case, run.framework)
    batch64, params64 = draw_case_data(spec, case.data, case.seed)
    if case.options.get("init"):  # a project's own initial parameters (seed 07's weights)
        params64 = initial_params(spec, case.options["init"], np.random.default_rng(case.seed))
    batch = batch64.cast(dtype)
    params = {k: v.astype(dtype) for k, v in params64.items()}
    try:
        run.version = adapter.version()
        model = adapter.build(spec, params, dtype)
        rows = [run.row("param_copy", k, v, params[k]) for k, v in adapter.read_params(model).items()]
        if any(r["status"] != "passed" for r in rows):
            return run.finish(CaseOutcome(rows))
        reference = adapter.run_pass(model, spec, batch)
        shared = reference.pop("shared", {})
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row, not a lost run
        return run.crash(run.framework, exc)
    try:
        model = implementation.build(mine_spec, params, dtype)
        mine = implementation.run_pass(model, mine_spec, batch, shared)
    except Exception as exc:  # noqa: BLE001
        return run.crash(run.implementation, exc)
    outcome = run.finish(CaseOutcome(rows + pass_rows(run, mine, reference)))
    outcome.extras = {"params": params, "batch": batch, "results": {"scratch": mine, "framework": reference}}
    if outcome.first_divergence is not None:
        _blame(outcome, localize(spec, params, batch, reference, outcome.rows, adapter, dtype, shared,
                                 run.implementation, mine_spec))
    return outcome
