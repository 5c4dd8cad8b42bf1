"""Known differences as the views show them: each group's measured magnitude, what a subset run selected.

Read from the report files only: agreement.csv's known_difference rows and known_differences.csv's entries.
"""

from __future__ import annotations

import math
import shlex
from fnmatch import fnmatchcase

import pandas as pd

from comparisons.render.tables import md_table

GROUP = ["case", "framework", "dtype"]
# Options of `nn-parity run` / `pytest comparisons` that run a subset of the cases.
SELECTING = ("-k", "--suite", "--framework", "--dtype", "--lf", "--last-failed", "--deselect")


def known_magnitudes(agreement: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """summary with `known_err_ratio` and `known_max_abs_err`: the largest err_ratio and max_abs_err of
    each group's known_difference rows (NaN for a group without any)."""
    known = agreement[agreement["status"] == "known_difference"]
    worst = known.groupby(GROUP)[["err_ratio", "max_abs_err"]].max().rename(
        columns={"err_ratio": "known_err_ratio", "max_abs_err": "known_max_abs_err"})
    summary = summary.drop(columns=[c for c in worst.columns if c in summary.columns])
    return summary.join(worst, on=GROUP) if len(summary) else summary.assign(
        known_err_ratio=math.nan, known_max_abs_err=math.nan)


def known_note(rows: pd.DataFrame) -> str:
    """'<n> rows are known differences, worst err/tol <x>' for these rows; '' when none is."""
    known = rows[rows["status"] == "known_difference"]
    if known.empty:
        return ""
    return (f"{len(known)} {'row is a known difference' if len(known) == 1 else 'rows are known differences'}"
            f", worst err/tol {known['err_ratio'].max():.3g}")


def subset_run(environment: dict) -> bool:
    """True when the run's command (environment.json) selected a subset of the cases."""
    try:
        words = shlex.split(str(environment.get("command", "")))
    except ValueError:
        return False
    return any(word in SELECTING or word.split("=", 1)[0] in SELECTING or "::" in word for word in words)


def entry_ran(entry: str, groups: pd.DataFrame) -> bool:
    """True when some case x framework x dtype of the run fits the entry's first three patterns."""
    patterns = entry.split("|")[:3]
    return any(all(fnmatchcase(str(value), pattern) for value, pattern in zip(group, patterns, strict=True))
               for group in groups[GROUP].drop_duplicates().itertuples(index=False, name=None))


def unmatched_split(entries: pd.DataFrame | None, groups: pd.DataFrame,
                    environment: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(not selected, stale) among the unmatched entries: an entry none of whose cases ran in a subset run
    was not selected; every other unmatched entry (its cases ran, or the run was full) is stale."""
    if entries is None:
        return pd.DataFrame(columns=["entry", "reason"]), pd.DataFrame(columns=["entry", "reason"])
    unmatched = entries[entries["status"].isin(["unmatched", "not selected"])]  # audit: cases ran or not
    subset = subset_run(environment)
    selected = unmatched["entry"].map(lambda entry: not subset or entry_ran(entry, groups)).astype(bool)
    return unmatched[~selected], unmatched[selected]


def known_differences_section(agreement: pd.DataFrame, summary: pd.DataFrame, entries: pd.DataFrame | None,
                              environment: dict) -> list[str]:
    """summary.md's known differences: rows per entry with their magnitude; unselected and stale entries."""
    known = agreement[agreement["status"] == "known_difference"]
    lines = ["No row was a known difference in this run."] if known.empty else [
        "Rows that failed the tolerance but are covered by an entry of "
        "`comparisons/known_differences.csv` (a documented formula difference):", ""]
    rows = [[key, len(part), " ".join(sorted(set(part["case"]))),
             ", ".join(sorted(set(part["framework"] + " " + part["dtype"]))),
             part["max_abs_err"].max(), part["err_ratio"].max(), part["reason"].iloc[0]]
            for key, part in known.groupby("known_difference", sort=True)]
    if rows:
        lines += md_table(["entry", "rows", "cases", "framework dtype", "max_abs_err", "worst err_ratio",
                           "reason"], rows)
    not_selected, stale = unmatched_split(entries, summary, environment)
    if len(not_selected):
        lines += ["", f"{len(not_selected)} entries were not selected: none of their cases ran in this "
                  "subset run (" + ", ".join(f"`{e}`" for e in not_selected["entry"]) + ")."]
    if len(stale):
        lines += ["", f"{len(stale)} entries matched no row although their cases ran (stale):", "",
                  *md_table(["entry", "reason"], stale[["entry", "reason"]].to_numpy().tolist())]
    proofs = entries is not None and "proof_status" in entries
    failed = entries[entries["proof_status"] == "failed"] if proofs else pd.DataFrame()
    if len(failed):
        columns = ["entry", "proof", "reason"]
        lines += ["", f"{len(failed)} entries whose proof did not agree (FAILED):", "",
                  *md_table(columns, failed[columns].to_numpy().tolist())]
    return lines
