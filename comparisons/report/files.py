"""Report files: agreement.csv (one row per tensor), summary.csv, environment.json; atomic writes."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
from importlib import metadata
from pathlib import Path

from comparisons.adapters import ADAPTER_MODULES, profile
from comparisons.core import determinism
from comparisons.core.artifact_files import atomic_write_bytes
from comparisons.core.known_differences import (
    KnownDifference,
    audit,
    failed_proofs,
    load_known_differences,
)

AGREEMENT_COLUMNS = (
    "case", "suite", "component", "implementation", "framework", "dtype", "seed", "step", "order",
    "quantity", "tensor", "shape", "max_abs_err", "max_rel_err", "err_ratio", "worst_index", "scratch_value",
    "framework_value", "atol", "rtol", "status", "reason", "hint", "known_difference", "blamed_layer",
    "blame_rule", "blame_confirmed", "expected_divergence", "framework_version",
    "elapsed_s",
)
STATUSES = ("passed", "failed", "known_difference", "nan", "crash", "skipped")
SUMMARY_COLUMNS = (
    "case", "suite", "component", "implementation", "framework", "dtype", "seed", "rows", *STATUSES,
    "worst_err_ratio", "worst_quantity", "worst_tensor", "first_divergence_quantity",
    "first_divergence_tensor", "first_divergence_step", "blamed_layer", "blame_rule",
    "blame_confirmed", "expected_divergence", "control_verdict", "trajectory_break_step", "baseline_horizon",
    "elapsed_s",
)
TRAJECTORY_COLUMNS = (
    "case", "suite", "framework", "dtype", "seed", "mode", "step", "loss_scratch", "loss_framework",
    "loss_abs_err", "max_grad_abs_err", "max_param_abs_err", "max_param_rel_err", "accuracy_scratch",
    "accuracy_framework", "within_tolerance", "state_within_tolerance", "baseline_loss_abs_err",
    "baseline_param_abs_err", "baseline_within_tolerance", "chaos_ratio", "bulk_ratio",
)
KNOWN_DIFFERENCE_COLUMNS = ("entry", "reason", "expected_magnitude", "measured_max_abs_err",
                            "bound_over_measured", "rows", "cases", "proof", "proof_status", "status")
TIMING_COLUMNS = ("elapsed_s",)
GROUP = ("case", "framework", "dtype")
# every implementation's packages (from its profile), then the harness's own
PACKAGES = (*(package for name in ADAPTER_MODULES for package in profile(name).packages),
            "pandas", "pytest", "pytest-xdist")
BAD = ("failed", "nan", "crash")


def sort_rows(rows: list[dict]) -> list[dict]:
    """Canonical order, independent of worker scheduling: case, framework, dtype, seed, step, order."""
    return sorted(rows, key=lambda r: (r["suite"], r["case"], r["framework"], r["dtype"],
                                       r["seed"], r["step"], r["order"]))


def report_dir_problem(report_dir: Path) -> str | None:
    """Why the report files cannot go to report_dir (None when they can); creates nothing.

    NOTE: os.access is what a root user gets too, so a path below a regular file is the sure case.
    """
    path = Path(report_dir).absolute()
    if path.exists():
        if not path.is_dir():
            return f"{report_dir} exists and is not a folder"
        return None if os.access(path, os.W_OK | os.X_OK) else f"{report_dir} is not writable"
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot create {report_dir}: {ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot create {report_dir}: {ancestor} is not writable"
    return None


def atomic_write_text(path: Path, text: str) -> None:
    """The text in UTF-8, as it is (no newline translation), written by atomic_write_bytes."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(float(value))  # np.float64's repr is 'np.float64(...)'
    return str(value)


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    """CSV text with exactly these columns (missing values empty, floats round-trippable)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    # NOTE: the csv module writes str and int as _format does, None as '' and a float (of type float) by its
    # repr: only nan and other types go through _format (a quarter of the time)
    writer.writerows([v if (t := type(v)) is str or t is int or v is None or (t is float and v == v)
                      else _format(v) for v in map(row.get, columns)] for row in rows)
    return buffer.getvalue()


def untimed(path: Path) -> bytes:
    """A report file's bytes; for agreement.csv and summary.csv without their timing column, which a rerun
    of the same cases changes (a skipped case is timed afresh) and nothing drawn reads: csv_text writes it
    last, so each record loses its last field (a record ends where the quotes so far are balanced)."""
    data = path.read_bytes()
    if path.name not in ("agreement.csv", "summary.csv"):
        return data
    lines = data.decode("utf-8").split("\n")
    *others, last = lines[0].split(",")
    if last != TIMING_COLUMNS[-1] or set(others) & set(TIMING_COLUMNS):
        return data  # the timing column is not the last one alone: all of it
    quotes = 0  # '"' so far: odd inside a quoted field that spans lines (the csv module doubles a quote)
    kept = []
    for line in lines:
        quotes += line.count('"')
        kept.append(line if quotes % 2 else line.rpartition(",")[0])  # a record's end: its last field dropped
    return "\n".join(kept).encode("utf-8")


def judged_rows(rows: list[dict]) -> list[dict]:
    """Rows held to the tolerance (not known differences) that have a finite error ratio."""
    return [r for r in rows if r["status"] != "known_difference"
            and isinstance(r.get("err_ratio"), float) and not math.isnan(r["err_ratio"])]


def worst_ratio(rows: list[dict]) -> float:
    """The largest error-to-tolerance ratio among the rows that passed (nan if none)."""
    return max((r["err_ratio"] for r in judged_rows(rows) if r["status"] == "passed"), default=math.nan)


def break_steps(trajectories: list[dict], column: str = "state_within_tolerance") -> dict[tuple, int]:
    """(case, framework, dtype) -> first training step whose `column` is False (left the tolerance)."""
    steps: dict[tuple, int] = {}
    for row in trajectories:
        key = tuple(row[k] for k in GROUP)
        if row.get(column, True) is False and (key not in steps or row["step"] < steps[key]):
            steps[key] = row["step"]
    return steps


def control_verdict(entry: dict) -> str:
    """Negative controls: 'caught' at the expected quantity and tensor, 'misplaced' elsewhere, 'missed';
    'skipped' where the framework could not run the case at all (every row skipped)."""
    if not entry["expected_divergence"]:
        return ""
    if entry.get("rows") and entry.get("skipped") == entry["rows"]:
        return "skipped"
    if not entry["first_divergence_quantity"]:
        return "missed"
    found = f"{entry['first_divergence_quantity']} '{entry['first_divergence_tensor']}'"
    return "caught" if found == entry["expected_divergence"] else "misplaced"


def summarize(rows: list[dict], trajectories: list[dict] = ()) -> list[dict]:
    """One row per case x framework x dtype: counts per status, worst ratio, first divergence."""
    breaks = break_steps(list(trajectories))
    baseline_breaks = break_steps(list(trajectories), "baseline_within_tolerance")
    groups: dict[tuple, list[dict]] = {}
    for row in sort_rows(rows):
        groups.setdefault(tuple(row[k] for k in GROUP), []).append(row)
    summary = []
    for members in groups.values():
        first = members[0]
        entry = {k: first.get(k, "") for k in ("case", "suite", "component", "implementation", "framework",
                                                "dtype", "seed")}
        entry["rows"] = len(members)
        entry.update({s: sum(r["status"] == s for r in members) for s in STATUSES})
        worst = max(judged_rows(members), key=lambda r: r["err_ratio"], default=None)
        entry["worst_err_ratio"] = worst["err_ratio"] if worst else math.nan
        entry["worst_quantity"] = worst["quantity"] if worst else ""
        entry["worst_tensor"] = worst["tensor"] if worst else ""
        diverged = next((r for r in members if r["status"] in BAD), None)
        entry["first_divergence_quantity"] = diverged["quantity"] if diverged else ""
        entry["first_divergence_tensor"] = diverged["tensor"] if diverged else ""
        entry["first_divergence_step"] = diverged["step"] if diverged else ""
        for key in ("blamed_layer", "blame_rule", "blame_confirmed"):
            entry[key] = diverged.get(key, "") if diverged else ""
        entry["expected_divergence"] = first.get("expected_divergence", "")
        entry["control_verdict"] = control_verdict(entry)
        entry["trajectory_break_step"] = breaks.get(tuple(first[k] for k in GROUP), "")
        entry["baseline_horizon"] = baseline_breaks.get(tuple(first[k] for k in GROUP), "")
        entry["elapsed_s"] = first.get("elapsed_s", math.nan)
        summary.append(entry)
    return summary


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(rows: list[dict], extra: dict | None = None,
                known: list[KnownDifference] | None = None, audited: list[dict] | None = None) -> dict:
    """Versions, CPU, threads, seeds and determinism settings of the run (audited: audit(known, rows),
    when the caller has it)."""
    if audited is None:
        audited = audit(load_known_differences() if known is None else known, rows)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "packages": {p: v for p in PACKAGES if (v := _version(p))},
        "determinism": determinism.settings(),
        "seeds": sorted({r["seed"] for r in rows}),
        "cases": len({r["case"] for r in rows}),
        "rows": len(rows),
        "known_differences_unmatched": [item["entry"] for item in audited if item["status"] == "unmatched"],
        **(extra or {}),
    }


def write_reports(rows: list[dict], report_dir: Path, extra_env: dict | None = None,
                  trajectories: list[dict] = (), known: list[KnownDifference] | None = None) -> list[str]:
    """agreement.csv, summary.csv, known_differences.csv (the audit of every entry) and environment.json,
    each atomically; returns the entries whose proof failed (a failure of the run).

    known: the run's known-differences entries (default: the file the environment names).
    """
    known = load_known_differences() if known is None else known
    rows = sort_rows(rows)
    atomic_write_text(report_dir / "agreement.csv", csv_text(rows, AGREEMENT_COLUMNS))
    atomic_write_text(report_dir / "summary.csv",
                      csv_text(summarize(rows, trajectories), SUMMARY_COLUMNS))
    ordered = sorted(trajectories, key=lambda r: (r["case"], r["framework"], r["dtype"], r["step"]))
    atomic_write_text(report_dir / "trajectories.csv", csv_text(ordered, TRAJECTORY_COLUMNS))
    audited = audit(known, rows)
    atomic_write_text(report_dir / "known_differences.csv", csv_text(audited, KNOWN_DIFFERENCE_COLUMNS))
    env = environment(rows, extra_env, known, audited)
    atomic_write_text(report_dir / "environment.json", json.dumps(env, indent=2, sort_keys=True) + "\n")
    return failed_proofs(audited)


def status_counts(rows: list[dict]) -> dict[str, int]:
    """Rows per status, every status listed."""
    return {s: sum(r["status"] == s for r in rows) for s in STATUSES}
