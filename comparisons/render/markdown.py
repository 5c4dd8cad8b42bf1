"""Read the report files back (CSV/JSON only) and render reports/summary.md from them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from comparisons.core.settings import rerun_flags
from comparisons.render.known import known_differences_section, known_magnitudes, known_note
from comparisons.render.splits import framework_splits
from comparisons.render.tables import md_table
from comparisons.report.files import AGREEMENT_COLUMNS, BAD, STATUSES, SUMMARY_COLUMNS, atomic_write_text

SUMMARY_MD = "summary.md"
HEATMAP = "agreement_heatmap.png"
# + <suite>.png, drawn by comparisons.render.plots
SUITE_HEATMAP_PREFIX, HISTOGRAM_PREFIX = "agreement_heatmap_", "errors_"
NEGATIVE_CONTROL = "negative_control"
# Verdicts of one case x framework x dtype group; the last four make a run fail.
VERDICTS = ("passed", "known_difference", "skipped", "caught", "failed", "nan", "crash", "missed",
            "misplaced")
PROBLEMS = ("failed", "nan", "crash", "missed", "misplaced")
PARTIAL_NOTE = ("the run was interrupted before every selected case ran; these files hold the cases "
                "that finished (environment.json: partial)")
GROUP = ["case", "framework", "dtype"]
# Columns without which the files cannot be read; any other missing column reads as empty.
REQUIRED = ("case", "suite", "component", "framework", "dtype", "step", "order", "quantity", "tensor",
            "status", "err_ratio", "max_abs_err", "rows", *STATUSES, "worst_err_ratio",
            "first_divergence_quantity", "entry")
# Columns read as numbers; every other column is text ('' where empty).
AGREEMENT_NUMBERS = ("seed", "step", "order", "max_abs_err", "max_rel_err", "err_ratio", "scratch_value",
                     "framework_value", "atol", "rtol", "elapsed_s")
SUMMARY_NUMBERS = ("seed", "rows", *STATUSES, "worst_err_ratio", "first_divergence_step",
                   "trajectory_break_step", "elapsed_s")


class ReportError(Exception):
    """A report folder or file is missing or unreadable."""


@dataclass
class Reports:
    """The three report files of one folder, as read back from disk."""

    directory: Path
    agreement: pd.DataFrame
    summary: pd.DataFrame
    environment: dict
    known: pd.DataFrame | None = None  # known_differences.csv, when the run wrote one


def _read_csv(path: Path, columns: tuple[str, ...], numbers: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise ReportError(f"{path} does not exist (run `nn-parity run --report-dir {path.parent}` first)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if any(c in REQUIRED for c in missing):
        raise ReportError(f"{path} lacks columns {', '.join(c for c in missing if c in REQUIRED)}")
    for column in missing:  # NOTE: files of an older harness lack newer columns: read them as empty
        frame[column] = ""
    for column in (c for c in numbers if c in frame.columns):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")  # '' -> NaN, 'inf' -> inf
    return frame


def load_reports(directory: Path | str) -> Reports:
    """agreement.csv, summary.csv and environment.json of a folder; ReportError says what is wrong."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(f"report folder {directory} does not exist")
    agreement = _read_csv(directory / "agreement.csv", AGREEMENT_COLUMNS, AGREEMENT_NUMBERS)
    summary = _read_csv(directory / "summary.csv", SUMMARY_COLUMNS, SUMMARY_NUMBERS)
    env_path = directory / "environment.json"
    try:
        environment = json.loads(env_path.read_text(encoding="utf-8")) if env_path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {env_path}: {exc}") from exc
    summary["verdict"] = [verdict(row) for row in summary.to_dict("records")]
    summary = known_magnitudes(agreement, summary)
    known_path = directory / "known_differences.csv"
    known = _read_csv(known_path, ("entry", "reason", "status"), ("expected_magnitude",
                      "measured_max_abs_err", "rows")) if known_path.is_file() else None
    return Reports(directory, agreement, summary, environment, known)


def verdict(group: dict) -> str:
    """One word for a summary row; a negative control is 'caught' only at its expected divergence."""
    if group["crash"]:
        return "crash"
    if group["suite"] == NEGATIVE_CONTROL:
        if group["skipped"] == group["rows"]:
            return "skipped"
        return group.get("control_verdict") or ("caught" if group["failed"] or group["nan"] else "missed")
    for status in ("nan", "failed"):
        if group[status]:
            return status
    if group["skipped"] == group["rows"]:
        return "skipped"
    return "known_difference" if group["known_difference"] else "passed"


def param_id(row: dict) -> str:
    """The pytest parameter id of a row's group: '<case>-<framework>-<dtype>'."""
    return f"{row['case']}-{row['framework']}-{row['dtype']}"


def implementation_spec(environment: dict | None) -> str:
    """The SPEC of the implementation a run checked (environment.json), 'scratch' for older reports."""
    return ((environment or {}).get("implementation") or {}).get("spec", "scratch")


def implementation_label(environment: dict | None) -> str:
    """The implementation a run checked, with its version or file hash, for titles and tables."""
    return ((environment or {}).get("implementation") or {}).get("label", implementation_spec(environment))


def rerun_command(row: dict, environment: dict | None = None, runner: str = "nn-parity run") -> str:
    """The command that reruns one case x framework x dtype with the run's --full, --seed-offset, --impl."""
    environment = environment or {}
    flags = rerun_flags(bool(environment.get("full")), int(environment.get("seed_offset") or 0),
                        implementation_spec(environment))
    return f'{runner} -k "{param_id(row)}"{flags}'


def first_divergences(agreement: pd.DataFrame) -> pd.DataFrame:
    """Per group, the first row (in report order) whose status is failed, nan or crash."""
    bad = agreement[agreement["status"].isin(BAD)]
    return bad.groupby(GROUP, sort=False).head(1)


def _totals(reports: Reports) -> list[str]:
    counts = reports.agreement["status"].value_counts()
    verdicts = reports.summary["verdict"].value_counts()
    problems = int(sum(verdicts.get(v, 0) for v in PROBLEMS))
    lines = [f"{len(reports.agreement)} compared tensors in {len(reports.summary)} case x framework x dtype "
             f"groups; **{'no problems' if not problems else f'{problems} group(s) with problems'}**.", ""]
    lines += md_table(["status", "rows"], [[s, int(counts.get(s, 0))] for s in STATUSES])
    lines += ["", *md_table(["group verdict", "groups"], [[v, int(verdicts[v])] for v in VERDICTS
                                                          if v in verdicts])]
    return lines


SUITE_HEADERS = ["component", "case", "framework", "dtype", "status", "rows", *STATUSES,
                 "worst err_ratio", "worst tensor", "known diff err_ratio", "first divergence"]


def _suite_tables(summary: pd.DataFrame) -> list[str]:
    lines = []
    for suite, members in summary.groupby("suite", sort=True):
        rows = [[g["component"], g["case"], g["framework"], g["dtype"], g["verdict"], g["rows"],
                 *[g[s] for s in STATUSES], g["worst_err_ratio"],
                 f"{g['worst_quantity']} {g['worst_tensor']}".strip(), g["known_err_ratio"], _divergence(g)]
                for g in members.to_dict("records")]
        lines += ["", f"### Suite `{suite}`", "", *md_table(SUITE_HEADERS, rows)]
    return lines


def _divergence(group: dict) -> str:
    broken = group.get("trajectory_break_step", math.nan)
    trajectory = f"; training leaves the tolerance at step {int(broken)}" if broken > 0 else ""
    if not group["first_divergence_quantity"]:
        return trajectory.removeprefix("; ")
    step = group["first_divergence_step"]
    step_text = f" (step {int(step)})" if step > 0 else ""
    return (f"{group['first_divergence_quantity']} {group['first_divergence_tensor']}".strip() + step_text
            + trajectory)


def _framework_splits(summary: pd.DataFrame) -> list[str]:
    headers, rows = framework_splits(summary)
    if not rows:
        return ["The reference frameworks reached the same verdict on every case."]
    return ["Cases where one reference framework passes and another fails or has a known difference; "
            "frameworks joined by `=` reached the same verdict (which of torch and TensorFlow JAX agrees "
            "with):", "", *md_table(headers, rows)]


def _negative_controls(reports: Reports) -> list[str]:
    controls = reports.summary[reports.summary["suite"] == NEGATIVE_CONTROL]
    if controls.empty:
        return ["No negative controls ran."]
    caught = int((controls["verdict"] == "caught").sum())
    rows = [[g["case"], g["component"], g["framework"], g["dtype"], g["verdict"], _divergence(g)]
            for g in controls.to_dict("records")]
    return [f"{caught} of {len(controls)} negative controls caught.", "",
            *md_table(["case", "planted fault", "framework", "dtype", "result", "first divergence"], rows)]


def _first_divergences(reports: Reports) -> list[str]:
    firsts = first_divergences(reports.agreement)
    firsts = firsts[firsts["suite"] != NEGATIVE_CONTROL]
    if firsts.empty:
        note = known_note(reports.agreement[reports.agreement["suite"] != NEGATIVE_CONTROL])
        return ["None: outside the negative controls, " + (f"no row failed; {note} (above)." if note else
                                                            "every compared tensor is within tolerance.")]
    rows = [[r["case"], r["framework"], r["dtype"], r["status"], r["step"], r["quantity"], r["tensor"],
             r["worst_index"], r["scratch_value"], r["framework_value"], r["max_abs_err"], r["err_ratio"],
             r["reason"], r["hint"], blame_text(r), f"`{rerun_command(r, reports.environment)}`"]
            for r in firsts.to_dict("records")]
    return md_table(["case", "framework", "dtype", "status", "step", "quantity", "tensor", "worst index",
                     f"{implementation_spec(reports.environment)} value", "framework value", "max_abs_err",
                     "err_ratio", "reason", "hint", "blamed layer", "rerun"], rows)


def blame_text(row: dict) -> str:
    """'1.relu (backward rule, confirmed)' from the blame columns, '' when the row has none."""
    if not row.get("blamed_layer"):
        return ""
    confirmed = "confirmed" if str(row.get("blame_confirmed")) == "True" else "not confirmed alone"
    return f"{row['blamed_layer']} ({row.get('blame_rule', '')} rule, {confirmed})"


def _plots(directory: Path) -> list[str]:
    pngs = sorted(p.name for p in directory.glob("*.png"))
    if not pngs:
        return ["No plots in this folder (`nn-parity render` draws them)."]
    lines = [f"![agreement heatmap]({HEATMAP})", ""] if HEATMAP in pngs else []
    by_suite = {}  # suite -> its heatmap and histograms, as written by comparisons.render.plots
    for name in pngs:
        for prefix, column in ((SUITE_HEATMAP_PREFIX, 0), (HISTOGRAM_PREFIX, 1)):
            if name.startswith(prefix):
                by_suite.setdefault(name.removeprefix(prefix).removesuffix(".png"), ["", ""])[column] = name
    if by_suite:
        lines += md_table(["suite", "heatmap of its cases", "error histograms"],
                          [[suite, *(f"[{name}]({name})" if name else "" for name in files)]
                           for suite, files in sorted(by_suite.items())]) + [""]
    listed = {name for files in by_suite.values() for name in files}
    return lines + [f"- [{name}]({name})" for name in pngs if name not in listed]


def _environment(env: dict) -> list[str]:
    if not env:
        return ["environment.json is missing."]
    keys = ("python", "platform", "cpu", "cpu_count", "workers", "seeds", "partial", "command")
    lines = [f"- **{k}**: `{env[k]}`" for k in keys if k in env]
    lines += ["", *md_table(["package", "version"], sorted(env.get("packages", {}).items()))]
    lines += ["", *md_table(["determinism setting", "value"], sorted(env.get("determinism", {}).items()))]
    return lines


def render_summary_md(reports: Reports) -> str:
    """The whole summary.md text, drawn from the report files only."""
    lines = [f"# nn-parity agreement summary: {implementation_label(reports.environment)}", "",
             "Drawn from `agreement.csv`, `summary.csv` and `environment.json` in this folder; "
             "`err_ratio` is max |implementation - framework| / (atol + rtol |framework|), <= 1 passes. "
             "Columns are explained in `reports/README.md`.", "",
             *([f"**PARTIAL**: {PARTIAL_NOTE}.", ""] if reports.environment.get("partial") else []),
             "## Totals", "", *_totals(reports),
             "", "## Agreement by suite", *_suite_tables(reports.summary),
             "", "## Known differences", "",
             *known_differences_section(reports.agreement, reports.summary, reports.known,
                                        reports.environment),
             "", "## Where the frameworks disagree", "", *_framework_splits(reports.summary),
             "", "## Negative controls", "", *_negative_controls(reports),
             "", "## First divergences", "", *_first_divergences(reports),
             "", "## Plots", "", *_plots(reports.directory),
             "", "## Environment", "", *_environment(reports.environment)]
    return "\n".join(lines) + "\n"


def write_summary_md(reports: Reports | Path | str) -> Path:
    """Render summary.md into the report folder (atomically) and return its path."""
    if not isinstance(reports, Reports):
        reports = load_reports(reports)
    path = reports.directory / SUMMARY_MD
    atomic_write_text(path, render_summary_md(reports))
    return path
