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
           "load_known_differences", "match_known_difference", "unmatched_entries"]
FIELDS = ("case_pattern", "framework", "dtype", "quantity", "tensor", "reason",
          "expected_magnitude", "link")


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

    @property
    def key(self) -> str:
        """A readable identity for messages and reports."""
        return f"{self.case_pattern}|{self.framework}|{self.dtype}|{self.quantity}|{self.tensor}"

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
        missing = [f for f in FIELDS if f != "link" and not (row.get(f) or "").strip()]
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
    """Keys of entries that covered no row of this run (stale, or their cases were not selected)."""
    used = {row.get("known_difference") for row in rows}
    return [entry.key for entry in entries if entry.key not in used]
