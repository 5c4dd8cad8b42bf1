"""Numbers and Markdown tables for people: the formatting summary.md and the terminal share."""

from __future__ import annotations

import math


def fmt(value, digits: int = 3) -> str:
    """A number for people: 3 significant digits, '' for NaN/empty, 'inf' kept."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _cell(value) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list]) -> list[str]:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines
