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
    found = []
    members = summary[summary["suite"] != NEGATIVE_CONTROL]
    for (case, dtype), group in members.groupby(["case", "dtype"], sort=True):
        verdicts = {f: v for f in reference_frameworks()
                    for v in group.loc[group["framework"] == f, "verdict"].head(1)}
        if any(v in PASSING for v in verdicts.values()) and any(v in DIFFERING for v in verdicts.values()):
            found.append((case, dtype, verdicts))
    frameworks = [f for f in reference_frameworks() if any(f in verdicts for *_, verdicts in found)]
    rows = [[case, dtype, *(verdicts.get(f, "") for f in frameworks), _groups(verdicts)]
            for case, dtype, verdicts in found]
    return ["case", "dtype", *frameworks, "same verdict"], rows
