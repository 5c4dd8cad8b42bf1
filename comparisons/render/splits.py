"""Cases the reference frameworks judge differently, and which of them reached the same verdict."""

from __future__ import annotations

import pandas as pd

from comparisons.adapters import reference_frameworks

NEGATIVE_CONTROL = "negative_control"
PASSING, DIFFERING = ("passed",), ("failed", "known_difference", "nan", "crash")


def _groups(verdicts: dict[str, str]) -> str:
    """'torch = jax; tensorflow': frameworks with the same verdict joined by '=', in profile order."""
    order = dict.fromkeys(verdicts.values())
    return "; ".join(" = ".join(f for f, v in verdicts.items() if v == verdict) for verdict in order)


def framework_splits(summary: pd.DataFrame) -> tuple[list[str], list[list]]:
    """(headers, rows): every case x dtype (outside negative controls) where one reference framework passed
    and another failed or had a known difference; one verdict column per framework, then the groups."""
    found, first = [], {}  # (case, dtype) -> framework -> the verdict of its first row
    members = summary[summary["suite"] != NEGATIVE_CONTROL]
    for case, dtype, framework, verdict in zip(members["case"], members["dtype"], members["framework"],
                                               members["verdict"], strict=True):
        first.setdefault((case, dtype), {}).setdefault(framework, verdict)
    for (case, dtype), by_framework in sorted(first.items()):
        verdicts = {f: by_framework[f] for f in reference_frameworks() if f in by_framework}
        if any(v in PASSING for v in verdicts.values()) and any(v in DIFFERING for v in verdicts.values()):
            found.append((case, dtype, verdicts))
    frameworks = [f for f in reference_frameworks() if any(f in verdicts for *_, verdicts in found)]
    rows = [[case, dtype, *(verdicts.get(f, "") for f in frameworks), _groups(verdicts)]
            for case, dtype, verdicts in found]
    return ["case", "dtype", *frameworks, "same verdict"], rows
