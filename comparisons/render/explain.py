"""`nn-parity explain CASE`: one case's worst rows, first divergences, tolerances and rerun commands."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from comparisons.core import tolerances
from comparisons.core.tolerances import QUANTITY_KIND, TOLERANCES
from comparisons.render.known import known_note
from comparisons.render.markdown import (
    PROBLEMS,
    Reports,
    blame_text,
    first_divergences,
    implementation_label,
    implementation_spec,
    param_id,
    rerun_command,
)
from comparisons.render.tables import fmt
from comparisons.render.terminal import summary_table

WORST_COLUMNS = ("framework", "dtype", "step", "quantity", "tensor", "shape", "status", "max_abs_err",
                 "err_ratio", "worst_index", "scratch_value", "framework_value", "hint")
# Rows without a ratio (nan, crash) are the worst of all; then the largest error-to-tolerance ratio.
SEVERITY = {"crash": 0, "nan": 1}


def select_case(reports: Reports, case: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agreement and summary rows of a case id, or of one '<case>-<framework>-<dtype>'; else KeyError."""
    summary = reports.summary
    if case in set(summary["case"]):
        chosen = summary["case"] == case
    else:
        chosen = summary.apply(param_id, axis=1) == case
    if not chosen.any():
        known = sorted(set(summary["case"]))
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise KeyError(f"unknown case id {case!r} in {reports.directory / 'agreement.csv'}; known: {shown}")
    groups = summary[chosen]
    keys = set(groups.apply(param_id, axis=1))
    rows = reports.agreement[reports.agreement.apply(param_id, axis=1).isin(keys)]
    return rows, groups


def worst_rows(rows: pd.DataFrame, top: int) -> pd.DataFrame:
    """The `top` worst rows: crashes and non-finite values first, then by err_ratio, largest first."""
    severity = rows["status"].map(SEVERITY).fillna(2)
    ratio = rows["err_ratio"].fillna(-1.0)
    order = pd.DataFrame({"severity": severity, "ratio": -ratio}, index=rows.index)
    return rows.loc[order.sort_values(["severity", "ratio"], kind="stable").index[:top]]


def _worst_table(rows: pd.DataFrame, top: int) -> Table:
    table = Table(title=f"worst {min(top, len(rows))} of {len(rows)} rows", title_justify="left")
    for name in WORST_COLUMNS:
        table.add_column(name.replace("_", " "), overflow="fold")
    for r in worst_rows(rows, top).to_dict("records"):
        cells = (fmt(r[c], 4) if isinstance(r[c], float) else str(r[c]) for c in WORST_COLUMNS)
        table.add_row(*map(escape, cells))
    return table


def divergence_lines(rows: pd.DataFrame, groups: pd.DataFrame, implementation: str = "scratch") -> list[str]:
    """One line per framework x dtype: the first tensor that failed, or that none did."""
    firsts = {param_id(r): r for r in first_divergences(rows).to_dict("records")}
    by_group = rows.apply(param_id, axis=1) if len(rows) else pd.Series(dtype=str)
    lines = []
    for g in groups.to_dict("records"):
        r = firsts.get(param_id(g))
        head = f"{g['framework']} {g['dtype']}:"
        if r is None:
            members = rows[by_group == param_id(g)]
            skipped = int((members["status"] == "skipped").sum())
            note = "; ".join(n for n in (known_note(members), f"{skipped} skipped" * bool(skipped)) if n)
            within = note or "every compared tensor is within tolerance"
            lines.append(f"{head} none failed; {within} ({g['verdict']})")
            continue
        lines.append(
            f"{head} {r['quantity']} '{r['tensor']}' at step {r['step']} {r['status']}"
            + (f": worst element {r['worst_index']} {implementation}={fmt(r['scratch_value'], 8)} "
               f"{r['framework']}={fmt(r['framework_value'], 8)}, |a - r| = {fmt(r['max_abs_err'])}, "
               f"err/tol {fmt(r['err_ratio'])}" if r["status"] != "crash" else "")
            + (f" ({r['reason']})" if r["reason"] else "")
            + (f"; hint: {r['hint']}" if r.get("hint") else "")
            + (f"; blamed: {blame_text(r)}" if blame_text(r) else ""))
    return lines


def tolerance_reason(dtype: str, quantity: str, tensor: str, atol: float, rtol: float,
                     row_reason: str = "") -> str:
    """Why a row had this (atol, rtol): the entry of comparisons/core/tolerances.py it came from."""
    entry = TOLERANCES.get((dtype, QUANTITY_KIND.get(quantity, "")))
    if str(row_reason).startswith(("chaos allowance", "run leaves")):  # free-running rows (kinds/chaos.py)
        return ("free-running: the teacher-forced tolerance, atol raised per row by K x the baseline "
                "(the implementation against its own perturbed shadow), docs/conventions.md §9")
    if entry is not None and (entry.atol, entry.rtol) == (atol, rtol):
        return entry.reason
    statistic = tensor.rsplit(".", 1)[-1]
    rule = getattr(tolerances, "STATISTIC_TOLERANCES", {}).get(
        (dtype, "bound" if statistic in ("min", "max") else statistic))
    if quantity == "metric" and rule is not None:
        return f"computed per row from the sample size and spread: {rule.reason}"
    if quantity == "update":
        return f"computed per row from the update's size: {tolerances.UPDATE_REASON}"
    if quantity == "param_after_step" and entry is not None and rtol == entry.rtol and atol > entry.atol:
        return (f"{entry.reason}; teacher-forced training adds the update rows' per-element gradient "
                "allowance (atol shown: its largest element), docs/conventions.md §8")
    if entry is not None:
        return f"{entry.reason} (NOTE: the table now says atol={entry.atol:g}, rtol={entry.rtol:g})"
    return "no entry in comparisons/core/tolerances.py matches these values now"


def tolerance_table(rows: pd.DataFrame) -> Table:
    """The tolerances this case's rows used, one line per distinct reason (comparisons/core/tolerances.py)."""
    table = Table(title="tolerances: |a - r| <= atol + rtol * |r|", title_justify="left")
    for name in ("dtype", "quantities", "atol", "rtol", "reason"):
        table.add_column(name, overflow="fold")
    used = rows[rows["atol"].notna()]
    reasons = [tolerance_reason(r["dtype"], r["quantity"], r["tensor"], r["atol"], r["rtol"],
                                r.get("reason", "")) for r in used.to_dict("records")]
    for (dtype, reason), members in used.assign(why=reasons).groupby(["dtype", "why"], sort=True):
        quantities = ", ".join(dict.fromkeys(members["quantity"]))
        table.add_row(dtype, quantities, _span(members["atol"]), _span(members["rtol"]), escape(reason))
    return table


def _span(values: pd.Series) -> str:
    low, high = values.min(), values.max()
    return f"{low:g}" if low == high else f"{low:g} .. {high:g}"


def explain(console: Console, reports: Reports, case: str, top: int) -> None:
    """Print everything `nn-parity explain` shows about a case."""
    rows, groups = select_case(reports, case)
    first = groups.iloc[0]
    heading = escape(f"(suite {first['suite']}): {first['component']}")
    console.print(f"[bold]{escape(first['case'])}[/] {heading}")
    console.print(f"implementation under test: {escape(implementation_label(reports.environment))}")
    console.print(summary_table(groups, "verdict per framework x dtype"))
    console.print(_worst_table(rows, top))
    console.print("[bold]first divergence[/] (first failing row in report order)")
    for line in divergence_lines(rows, groups, implementation_spec(reports.environment)):
        console.print(f"  {line}", markup=False)
    known = rows[rows["status"] == "known_difference"]
    for r in known.drop_duplicates(["known_difference"]).to_dict("records"):
        console.print(f"  known difference {r['known_difference']}: {r['reason']}", markup=False)
    console.print(tolerance_table(rows))
    console.print("[bold]rerun[/]")
    bad = groups[groups["verdict"].isin(PROBLEMS)]
    for g in (bad if len(bad) else groups).to_dict("records"):
        command = rerun_command(g, reports.environment)
        console.print(f"  {command}    # or: {rerun_command(g, reports.environment, 'pytest comparisons')}",
                      markup=False)
