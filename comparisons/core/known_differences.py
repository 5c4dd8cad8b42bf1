"""Known differences: formula differences recorded as data (known_differences.csv), never as tolerance."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from comparisons.core.settings import (
    KNOWN_DIFFERENCES_ENV,
    KNOWN_DIFFERENCES_FILE,
    known_differences_from_environment,
)

__all__ = ["KNOWN_DIFFERENCES_ENV", "KNOWN_DIFFERENCES_FILE", "KnownDifference", "KnownDifferencesError",
           "audit", "failed_proofs", "load_known_differences", "match_known_difference", "unmatched_entries"]
FIELDS = ("case_pattern", "framework", "dtype", "quantity", "tensor", "reason",
          "expected_magnitude", "link", "proof")
OPTIONAL = ("link", "proof")  # a file of an older harness has no proof column
NO_PROOF = "none:"  # proof = 'none: <why no scratch option can compute the framework's formula>'
BAD = ("failed", "nan", "crash")  # a proof case must agree within the normal tolerance


@dataclass(frozen=True)
class KnownDifference:
    """A recorded formula difference: which rows it covers, why, and the magnitude expected."""

    case_pattern: str
    framework: str
    dtype: str
    quantity: str
    tensor: str
    reason: str
    expected_magnitude: float
    link: str = ""
    proof: str = ""  # case ids where scratch's option computes the framework's formula, or 'none: <why>'

    @property
    def key(self) -> str:
        """A readable identity for messages and reports."""
        return f"{self.case_pattern}|{self.framework}|{self.dtype}|{self.quantity}|{self.tensor}"

    @property
    def proof_cases(self) -> list[str]:
        """The case ids named as proof ([] for 'none: ...')."""
        return [] if self.proof.startswith(NO_PROOF) else self.proof.split()

    def selects(self, row: dict, case_pattern: str | None = None) -> bool:
        """Whether the row is one of this entry's cases (or of case_pattern), framework and dtype."""
        return (fnmatchcase(str(row["case"]), case_pattern or self.case_pattern)
                and fnmatchcase(str(row["framework"]), self.framework)
                and fnmatchcase(str(row["dtype"]), self.dtype))

    def matches(self, row: dict) -> bool:
        """fnmatch on case, framework, dtype, quantity and tensor ('*' matches anything)."""
        return all(
            fnmatchcase(str(row[field]), getattr(self, field if field != "case" else "case_pattern"))
            for field in ("case", "framework", "dtype", "quantity", "tensor")
        )


class KnownDifferencesError(ValueError):
    """The known-differences file cannot be read or is malformed."""


def load_known_differences(path: Path | None = None) -> list[KnownDifference]:
    """Parse the CSV file; a missing column or a non-numeric magnitude is a clear error."""
    path = path or known_differences_from_environment()
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise KnownDifferencesError(f"cannot read known differences file {path}: {exc}") from exc
    entries = []
    for number, row in enumerate(rows, start=2):
        missing = [f for f in FIELDS if f not in OPTIONAL and not (row.get(f) or "").strip()]
        if missing:
            raise KnownDifferencesError(f"{path}: entry {number} lacks {', '.join(missing)}")
        try:
            magnitude = float(row["expected_magnitude"])
        except ValueError:
            raise KnownDifferencesError(
                f"{path}: entry {number}: expected_magnitude {row['expected_magnitude']!r} "
                "is not a number"
            ) from None
        entries.append(KnownDifference(**{f: (row.get(f) or "").strip() for f in FIELDS
                                          if f != "expected_magnitude"},
                                       expected_magnitude=magnitude))
    return entries


def match_known_difference(row: dict, entries: list[KnownDifference]) -> KnownDifference | None:
    """The first entry covering this failed row whose magnitude bounds its error, else None."""
    for entry in entries:
        if entry.matches(row) and row["max_abs_err"] <= entry.expected_magnitude:
            return entry
    return None


def unmatched_entries(entries: list[KnownDifference], rows: list[dict]) -> list[str]:
    """Keys of entries whose cases ran in this run yet covered no row (stale); unselected ones are not."""
    return [item["entry"] for item in audit(entries, rows) if item["status"] == "unmatched"]


def _groups(rows: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Per (case, framework, dtype): its first row and its rows that are not skipped (selects() reads only
    those three fields, so a group's first row answers for all of them)."""
    groups: dict[tuple, tuple[dict, list[dict]]] = {}
    for r in rows:
        _, ran = groups.setdefault((r["case"], r["framework"], r["dtype"]), (r, []))
        if r["status"] != "skipped":
            ran.append(r)
    return list(groups.values())


def _proof_status(entry: KnownDifference, groups: list[tuple[dict, list[dict]]]) -> str:
    """passed / failed (a proof row not within the normal tolerance) / not selected / none."""
    cases = entry.proof_cases
    if not cases:
        return "none"
    proof = [r for first, ran in groups if any(entry.selects(first, c) for c in cases) for r in ran]
    if not proof:
        return "not selected"
    # a proof row another entry explains (a framework's own dtype, say) is that entry's; this entry's own
    # formula must not reach its proof case
    key = entry.key
    failed = any(r["status"] in BAD or r.get("known_difference") == key for r in proof)
    return "failed" if failed else "passed"


def audit(entries: list[KnownDifference], rows: list[dict]) -> list[dict]:
    """Per entry: rows absorbed, the largest error, bound/measured, the proof's status, and matched /
    unmatched (its cases ran, nothing absorbed: stale) / not selected (none of its cases ran)."""
    groups, absorbed_by = _groups(rows), {}  # selection depends on a row's group only: match groups once
    for r in rows:
        absorbed_by.setdefault(r.get("known_difference"), []).append(r)
    report = []
    for entry in entries:
        absorbed = absorbed_by.get(entry.key, [])
        measured = max((r["max_abs_err"] for r in absorbed), default=float("nan"))
        selected = any(ran and entry.selects(first) for first, ran in groups)
        report.append({
            "entry": entry.key, "reason": entry.reason, "expected_magnitude": entry.expected_magnitude,
            "measured_max_abs_err": measured,
            "bound_over_measured": entry.expected_magnitude / measured if measured > 0 else float("nan"),
            "rows": len(absorbed), "cases": " ".join(sorted({r["case"] for r in absorbed})),
            "proof": entry.proof, "proof_status": _proof_status(entry, groups),
            "status": "matched" if absorbed else "unmatched" if selected else "not selected"})
    return report


def failed_proofs(report: list[dict]) -> list[str]:
    """'<entry>: proof <cases> failed' for every audited entry whose proof case did not agree."""
    return [f"{item['entry']}: proof {item['proof']} failed" for item in report
            if item["proof_status"] == "failed"]
