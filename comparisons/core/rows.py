"""Report rows of one case x framework x dtype: the common columns, compared tensors, crashes, messages."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from comparisons.core.agreement import compare
from comparisons.core.case import Case
from comparisons.core.hints import convention_hint, row_hint
from comparisons.core.known_differences import KnownDifference, match_known_difference
from comparisons.core.settings import DEFAULT_SETTINGS, RunSettings
from comparisons.core.tolerances import Tolerance, tolerance_for


@dataclass
class CaseOutcome:
    """Every row of one case x framework x dtype, and the first row that diverged."""

    rows: list[dict]
    first_divergence: dict | None = None
    failures: list[str] = field(default_factory=list)
    trajectory: list[dict] = field(default_factory=list)  # per-step rows of training cases
    extras: dict = field(default_factory=dict)  # kind-specific results for project artifacts
    implementation: str = "scratch"  # the SPEC of the implementation under test that produced it


@dataclass
class CaseRun:
    """One case compared on one framework and dtype: the columns its rows share, and how they end.

    `version` is the framework's version once its adapter answered ('' before, as in a crash row
    of a framework that never started).
    """

    case: Case
    framework: str
    dtype: str
    known: Sequence[KnownDifference] = ()
    settings: RunSettings = DEFAULT_SETTINGS
    version: str = ""
    started: float = field(default_factory=time.perf_counter)
    label: str = ""  # the implementation column: SPEC and version, e.g. 'scratch (numpy 2.4.6)'
    framework_adapter: object = None  # what the kinds call for the framework: the reference cache's stand-in

    @property
    def implementation(self) -> str:
        """The name of the implementation under test (its adapter's)."""
        return self.settings.implementation

    def base(self, step: int = 0) -> dict:
        """The columns every row of this run shares."""
        case, expected = self.case, self.case.options.get("expected_divergence")  # negative controls
        return {"case": case.id, "suite": case.suite, "component": case.component,
                "implementation": self.label or self.implementation,
                "framework": self.framework, "dtype": self.dtype, "seed": case.seed, "step": step,
                "framework_version": self.version,
                "expected_divergence": f"{expected['quantity']} '{expected['tensor']}'" if expected else ""}

    def row(self, quantity: str, tensor: str, actual, expected, tol: Tolerance | None = None,
            step: int = 0, harness: bool = False) -> dict:
        """One agreement.csv row: the implementation's `actual` against the framework's `expected`;
        `harness`: values the harness computed (exempt from the dtype check, see make_row)."""
        return make_row(self.base(step), quantity, tensor, actual, expected, tol, self.case, harness)

    def rows(self, quantity: str, actual: dict, expected: dict, step: int = 0,
             unreadable: dict | None = None) -> list[dict]:
        """One row per tensor of `expected`, in its order, against the same names in `actual`; a tensor
        the implementation says it cannot read (`unreadable`: name -> why) is a skipped row saying why."""
        unreadable = {name: why for name, why in (unreadable or {}).items() if name not in actual}
        return [self.status_row("skipped", unreadable[name], step, quantity, name) if name in unreadable
                else self.row(quantity, name, actual[name], value, step=step)
                for name, value in expected.items()]

    def status_row(self, status: str, reason: str, step: int = 0, quantity: str = "output",
                   tensor: str = "") -> dict:
        """A row that compares nothing: skipped (a case, or one tensor), or crash with who raised what."""
        return status_row(self.base(step), status, reason, quantity, tensor)

    def crash(self, who: str, exc: Exception, rows: Sequence[dict] = (), step: int = 0) -> CaseOutcome:
        """The finished outcome of a run that stopped because `who` raised: rows so far, then a crash row."""
        return self.finish(CaseOutcome([*rows, self.status_row("crash", describe(who, exc), step)]))

    def rerun_command(self) -> str:
        """A command that reruns just this case x framework x dtype, with the run's own flags."""
        return (f'pytest comparisons -k "{self.case.id}-{self.framework}-{self.dtype}"'
                f"{self.settings.rerun_flags()}")

    def finish(self, outcome: CaseOutcome) -> CaseOutcome:
        """Order and timing columns, known differences applied, first divergence and messages."""
        rerun, elapsed = self.rerun_command(), time.perf_counter() - self.started
        outcome.implementation = self.implementation
        for order, row in enumerate(outcome.rows):
            row["order"] = order
            row["elapsed_s"] = elapsed
            if row["status"] == "failed" and not implementation_dtype_failure(row):
                entry = match_known_difference(row, list(self.known))
                if entry is not None:
                    row["status"], row["reason"] = "known_difference", entry.reason
                    row["known_difference"] = entry.key
                else:
                    row["hint"] = row.get("hint") or convention_hint(row, self.known, self.case)
            if row["status"] in ("failed", "nan", "crash"):
                if outcome.first_divergence is None:
                    outcome.first_divergence = row
                outcome.failures.append(
                    failure_message(row, rerun, self.implementation) if row["status"] != "crash"
                    else f"[{row['case']}] {self.framework} {self.dtype}: crash: {row['reason']}\n"
                         f"  rerun: {rerun}")
        return outcome


DTYPE_FAILURE = "dtype: "  # the reason of a failed dtype check; the implementation's side comes first


def implementation_dtype_failure(row: dict) -> bool:
    """The implementation returned a wrong dtype: no known difference covers that (a framework's may)."""
    return row["reason"].startswith(f"{DTYPE_FAILURE}{row['implementation'].split(' (')[0]} returned")


def dtype_problem(base: dict, actual, expected) -> str:
    """'dtype: <side> returned float64 for a float32 case' when a floating tensor is not of the case dtype.

    Integer and boolean tensors (ids, labels, masks) are integer by design and not checked."""
    sides = ((base["implementation"].split(" (")[0], actual), (base["framework"], expected))
    got = [(side, np.asarray(value).dtype) for side, value in sides]
    return "; ".join(f"{DTYPE_FAILURE}{side} returned {dtype} for a {base['dtype']} case"
                     for side, dtype in got if dtype.kind in "fc" and dtype != np.dtype(base["dtype"]))


def make_row(base: dict, quantity: str, tensor: str, actual, expected, tol: Tolerance | None = None,
             case: Case | None = None, harness: bool = False) -> dict:
    """One agreement.csv row: the implementation's `actual` against the framework's `expected` (an array
    atol, a per-element allowance, is written as its largest element); both of the case dtype unless
    `harness` (values the harness computed: statistics, float64 differences); a
    failed row gets the hint its arrays support (comparisons/core/hints.py, `case` names factors)."""
    tol = tol or tolerance_for(base["dtype"], quantity)
    result = compare(actual, expected, tol.atol, tol.rtol)
    status, reason = result.status, result.detail
    problem = "" if harness else dtype_problem(base, actual, expected)
    if problem:  # a NaN stays status nan; anything else of the wrong dtype fails
        status, reason = "nan" if status == "nan" else "failed", "; ".join(filter(None, (problem, reason)))
    return {**base, "quantity": quantity, "tensor": tensor, "shape": str(tuple(np.shape(expected))),
            "max_abs_err": result.max_abs_err, "max_rel_err": result.max_rel_err,
            "err_ratio": result.worst_ratio, "worst_index": str(result.worst_index),
            "scratch_value": result.actual_value, "framework_value": result.expected_value,
            "atol": float(np.max(tol.atol)), "rtol": tol.rtol, "status": status, "reason": reason,
            "hint": row_hint(result.status, actual, expected, tol.atol, tol.rtol, case)}


def status_row(base: dict, status: str, reason: str, quantity: str = "output", tensor: str = "") -> dict:
    """A row with no compared tensor (skipped, crash)."""
    return {**base, "quantity": quantity, "tensor": tensor, "shape": "", "max_abs_err": np.nan,
            "max_rel_err": np.nan, "err_ratio": np.nan, "worst_index": "", "scratch_value": np.nan,
            "framework_value": np.nan, "atol": np.nan, "rtol": np.nan, "status": status,
            "reason": reason}


def failure_message(row: dict, rerun: str, implementation: str = "scratch") -> str:
    """Names case, implementations, dtype, seed, quantity, tensor, worst element, allowed error."""
    gap = abs(row["scratch_value"] - row["framework_value"])  # err / err_ratio: the worst element's allowed
    allowed = (gap / row["err_ratio"] if 0 < row["err_ratio"] < np.inf
               else row["atol"] + row["rtol"] * abs(row["framework_value"]))
    return (
        f"[{row['case']}] {implementation} vs {row['framework']} ({row['framework_version']}), "
        f"{row['dtype']}, seed {row['seed']}, step {row['step']}: {row['quantity']} "
        f"'{row['tensor']}' {row['status']}"
        f"{' (' + row['reason'] + ')' if row['reason'] else ''}\n"
        f"  worst element {row['worst_index']}: {implementation}={row['scratch_value']!r}, "
        f"{row['framework']}={row['framework_value']!r}\n"
        f"  |a - r| = {row['max_abs_err']:.3e} > allowed atol + {row['rtol']:g}*|r| = {allowed:.3e} there "
        f"(atol {row['atol']:g}, the largest where per element; error/tolerance {row['err_ratio']:.3g}); "
        f"max rel err "
        f"{row['max_rel_err']:.3e}\n"
        + (f"  hint: {row['hint']}\n" if row.get("hint") else "")
        + f"  rerun: {rerun}"
    )


def describe(who: str, exc: Exception) -> str:
    """'<who> raised <Type>: <message> (at file:line)' of an exception."""
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{who} raised {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})"
