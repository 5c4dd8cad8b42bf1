"""Rich terminal views of the report files: the summary table, the totals line, the problems."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from comparisons.adapters import reference_frameworks
from comparisons.core.case import DTYPES
from comparisons.render.markdown import NEGATIVE_CONTROL, PARTIAL_NOTE, PROBLEMS, Reports
from comparisons.render.tables import fmt

SHORT = {"passed": "ok", "failed": "FAIL", "nan": "NaN", "crash": "CRASH", "known_difference": "known",
         "skipped": "skip", "caught": "caught", "missed": "MISSED", "misplaced": "MISPLACED"}
STYLES = {"passed": "green", "caught": "green", "known_difference": "magenta", "skipped": "dim",
          "failed": "bold red", "nan": "bold red", "crash": "bold red", "missed": "bold red",
          "misplaced": "bold red"}


def summary_table(summary: pd.DataFrame, title: str = "nn-parity agreement") -> Table:
    """A rich table: a line per case, a column per framework x dtype with verdict and worst ratio."""
    present = set(zip(summary["framework"], summary["dtype"], strict=True))
    frameworks = dict.fromkeys((*reference_frameworks(), *sorted(set(summary["framework"]))))
    dtypes = dict.fromkeys((*DTYPES, *sorted(set(summary["dtype"]))))
    pairs = [(f, d) for f in frameworks for d in dtypes if (f, d) in present]
    table = Table(title=title, title_justify="left", caption_justify="left",
                  caption="cells: verdict and worst error/tolerance of each framework x dtype (<= 1 passes; "
                          "known: the known differences' own)")
    table.add_column("suite / case", overflow="fold")
    for framework, dtype in pairs:
        table.add_column(f"{framework}\n{dtype}", no_wrap=True)
    table.add_column("first divergence", overflow="fold", min_width=16)
    suite, by_case = None, {}
    for g in summary.to_dict("records"):  # one pass: a groupby's to_dict per case took a second
        by_case.setdefault((g["suite"], g["case"]), []).append(g)
    for (suite_now, case), groups in sorted(by_case.items(), key=lambda item: item[0]):
        if suite_now != suite:
            if suite is not None:
                table.add_section()
            suite = suite_now
            table.add_row(f"[bold]{escape(suite)}[/]")
        cells = {(g["framework"], g["dtype"]): g for g in groups}
        bad = [g for g in cells.values()
               if g["verdict"] in (*PROBLEMS, "caught") and g["first_divergence_quantity"]]
        first = (f"{bad[0]['framework']} {bad[0]['dtype']}: {bad[0]['first_divergence_quantity']} "
                 f"{bad[0]['first_divergence_tensor']}" if bad else "")
        row = [f"  {escape(case)}"]
        for pair in pairs:
            g = cells.get(pair)
            ratio = "" if g is None or g["verdict"] in ("nan", "crash") else fmt(
                g.get("known_err_ratio") if g["verdict"] == "known_difference" else g["worst_err_ratio"], 2)
            row.append("" if g is None else
                       f"[{STYLES.get(g['verdict'], '')}]{SHORT.get(g['verdict'], g['verdict'])}[/] {ratio}")
        table.add_row(*row, escape(first))
    return table


def totals_line(reports: Reports) -> str:
    """Rows per status, groups per verdict and the worst ratio held to the tolerance, in one line."""
    statuses = reports.agreement["status"].value_counts()
    verdicts = reports.summary["verdict"].value_counts()
    line = (f"{len(reports.agreement)} tensors: " + ", ".join(f"{n} {s}" for s, n in statuses.items())
            + f"; {len(reports.summary)} groups: " + ", ".join(f"{n} {v}" for v, n in verdicts.items()))
    agreement = reports.agreement
    judged = agreement[(agreement["status"] != "known_difference") & (agreement["suite"] != NEGATIVE_CONTROL)]
    judged = judged.dropna(subset=["err_ratio"])
    if not judged.empty:
        worst = judged.loc[judged["err_ratio"].idxmax()]
        line += (f"; worst err/tol {fmt(worst['err_ratio'])} ({worst['case']} {worst['framework']} "
                 f"{worst['dtype']} {worst['quantity']} {worst['tensor']})")
    return line


def problems(summary: pd.DataFrame) -> list[dict]:
    """Groups whose verdict makes a run fail: failed, nan, crash, or a missed negative control."""
    return [g for g in summary.to_dict("records") if g["verdict"] in PROBLEMS]


def failed_proof_entries(reports: Reports) -> list[str]:
    """'<entry>: proof <cases> failed' for each known-differences entry whose proof did not agree."""
    known = reports.known
    if known is None or "proof_status" not in known:
        return []
    return [f"{row['entry']}: proof {row['proof']} failed" for row in known.to_dict("records")
            if row["proof_status"] == "failed"]


def print_summary(console: Console, reports: Reports, limit: int = 12) -> None:
    """The summary table, the totals, the groups with problems and the verdict of a report folder."""
    console.print(summary_table(reports.summary, escape(f"nn-parity agreement ({reports.directory})")))
    console.print(totals_line(reports), markup=False)
    if reports.environment.get("partial"):
        console.print(f"[bold yellow]PARTIAL[/]: {PARTIAL_NOTE}")
    bad = problems(reports.summary)
    for g in bad[:limit]:
        where = f"{g['first_divergence_quantity']} {g['first_divergence_tensor']}".strip() or g["verdict"]
        console.print(f"[bold red]{g['verdict']}[/] " + escape(
            f"{g['case']}-{g['framework']}-{g['dtype']}: first divergence {where}, worst err/tol "
            f"{fmt(g['worst_err_ratio'])}"))
    if len(bad) > limit:
        console.print(f"... and {len(bad) - limit} more (summary.md lists them all)")
    for entry in failed_proof_entries(reports):
        console.print("[bold red]FAILED[/] known-difference proof: " + escape(entry))
    if bad:
        console.print(f"[bold red]FAILED[/]: {len(bad)} case x framework x dtype with problems; " + escape(
            f"details: nn-parity explain CASE --report-dir {reports.directory}; rerun one: "
            'nn-parity run -k "<case>-<framework>-<dtype>"'))
    else:
        console.print("[green]OK[/]: no failures "
                      "(known differences and caught negative controls do not count)")
