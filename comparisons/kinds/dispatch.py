"""The one entry point of every comparison: a case on one framework and dtype, whatever its kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from comparisons.adapters import get_adapter, implementation_label
from comparisons.adapters.cache import case_facts, recorded_calls
from comparisons.adapters.cache.outcomes import kept_or_computed
from comparisons.core.artifact_files import Artifacts
from comparisons.core.case import KINDS, Case
from comparisons.core.known_differences import KnownDifference
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.core.settings import DEFAULT_SETTINGS, RunSettings
from comparisons.core.spec import layer_options
from comparisons.kinds.expression import compare_expression, expression_ops
from comparisons.kinds.initializer import compare_initializer
from comparisons.kinds.initializer import implementation_spec as initializer_spec
from comparisons.kinds.landscape import compare_landscape
from comparisons.kinds.optimizer import compare_optimizer, optimizer_spec
from comparisons.kinds.passes import compare_pass, layer_conventions, loss_conventions
from comparisons.kinds.perceptron import compare_perceptron
from comparisons.kinds.training import compare_training, optimizer_for

RUNNERS: dict[str, Callable[[CaseRun], CaseOutcome]] = {
    "pass": compare_pass, "optimizer": compare_optimizer, "training": compare_training,
    "initializer": compare_initializer, "perceptron": compare_perceptron, "landscape": compare_landscape,
    "expression": compare_expression,
}
assert set(RUNNERS) == set(KINDS)


def with_seed_offset(case: Case, settings: RunSettings) -> Case:
    """The case with its seed shifted by the run's --seed-offset: other data, the same agreement expected."""
    return replace(case, seed=case.seed + settings.seed_offset) if settings.seed_offset else case


def requested_options(case: Case, framework: str) -> set[str]:
    """The spec keys, hyperparameters and expression ops the implementation under test is handed."""
    names = {key for layer in case.layers for key in layer if key != "type"}
    if case.kind in ("pass", "training"):  # the framework's layer conventions for the case's layer types
        conventions = layer_conventions(case, framework)
        names |= {key for layer in case.layers for key in layer_options(layer, conventions)}
        names |= set(loss_conventions(case, framework))
    if case.options.get("scratch_variant"):  # a negative control plants its bug in the bundled library
        names.add("scratch_variant")
    if case.kind == "optimizer":
        names |= set(optimizer_spec(case, framework)[1]["hyper"])
    elif case.kind == "training":
        names |= set(optimizer_for(case, framework)[1]["hyper"])
    elif case.kind == "initializer" and not case.options.get("defaults"):
        names |= set(initializer_spec(case, framework)["options"])
    elif case.kind == "perceptron":
        names.add("update_on_zero_margin")
    elif case.kind == "expression":
        names |= expression_ops(case)
    return names


def unavailable(run: CaseRun) -> str | None:
    """Why the framework or the implementation under test cannot run this case here, or None."""
    for name in (run.framework, run.implementation):
        adapter = get_adapter(name)
        reason = (adapter.unavailable_reason() or adapter.PROFILE.unsupported(run.case)
                  or adapter.PROFILE.lacks_dtype(run.dtype))
        if reason:
            return reason
    return get_adapter(run.implementation).PROFILE.lacks_options(requested_options(run.case, run.framework))


def compare_case(case: Case, framework: str, dtype: str, known: Sequence[KnownDifference] = (),
                 settings: RunSettings = DEFAULT_SETTINGS, extras: bool = True,
                 artifacts: Artifacts | None = None) -> CaseOutcome:
    """Run the case on the implementation under test and the framework; every compared tensor is a row.

    The one place every case kind goes through: the run's --seed-offset is applied here, a case that
    either side cannot run gives one skipped row with the reason, and an exception that escapes a
    kind's runner becomes a crash row instead of a lost case. Without `extras` (nothing will write
    the case's project artifacts) a kept outcome comes back with none; `artifacts` writes the case's
    project artifact files, kept with the outcome (a kept outcome writes the kept files back).
    """
    run = CaseRun(with_seed_offset(case, settings), framework, dtype, known, settings)
    reason = unavailable(run)
    if reason:
        return run.finish(CaseOutcome([run.status_row("skipped", reason)]))
    try:
        run.label = implementation_label(run.implementation)
    except Exception as exc:  # noqa: BLE001 - the user's version() raised
        return run.crash(run.implementation, exc)
    facts = case_facts(run.case, dtype, settings.full)

    def compute() -> CaseOutcome:
        try:  # the framework's calls go through the reference cache when the run has one
            with recorded_calls(framework, settings.cache, facts, settings.threads) as run.framework_adapter:
                return RUNNERS[case.kind](run)
        except Exception as exc:  # noqa: BLE001 - a fault anywhere in a case is that case's crash row
            return run.crash(f"the {case.kind} comparison", exc)

    return kept_or_computed(run, facts, compute, extras, artifacts)
