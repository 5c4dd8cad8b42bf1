"""Agreement heatmaps drawn from summary.csv: an overview by suite and one heatmap of cases per suite."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm

from comparisons.adapters import reference_frameworks
from comparisons.core.case import DTYPES
from comparisons.render.markdown import PROBLEMS, SUITE_HEATMAP_PREFIX, VERDICTS
from comparisons.render.raster import Canvas

# log10(err_ratio) shown from FLOOR (exact agreement is drawn there) to CEILING (inf and worse).
FLOOR, CEILING = -10.0, 3.0
# What a cell says besides its ratio, by group verdict; failures get a frame as well.
MARKS = {"failed": "FAILED", "nan": "NaN/Inf", "crash": "CRASH", "missed": "MISSED", "misplaced": "MISPLACED",
         "known_difference": "known diff", "skipped": "skipped", "caught": "caught"}
FRAMED = PROBLEMS
UNCOLORED = ("nan", "crash", "skipped")  # no meaningful worst ratio: drawn grey
NO_RATIO = "#dddddd"
# Verdicts whose meaning is not a distance to the tolerance get their own fill, outside the ratio scale:
# a caught negative control is a success; a known difference is measured but excused (labelled with its
# own err/tol); a missed or misplaced control is a problem whatever its ratio.
CAUGHT, KNOWN, ALARM = "#2c7bb6", "#8e6bb8", "#a50026"
LEGEND = ("blue: negative control caught (a success); violet: known difference, labelled with its err/tol; "
          "dark red: a control missed or misplaced")
FILLS = {"caught": CAUGHT, "known_difference": KNOWN, "missed": ALARM, "misplaced": ALARM}
COLORS = colormaps["RdYlGn_r"]
NORM = TwoSlopeNorm(vmin=FLOOR, vcenter=0.0, vmax=CEILING)
TOP, BOTTOM = 1.25, 0.25  # inches: title (3 lines) and the framework/dtype labels above the cells; below


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: its text, log10 ratio (NaN: grey) and whether it is framed as a problem."""

    text: str
    value: float = math.nan
    framed: bool = False
    muted: bool = False  # grey text: nothing ran there
    fill: str = ""  # a fixed fill (FILLS) instead of the ratio's color


NOT_RUN = Cell("not run", muted=True)


def log_ratio(values) -> np.ndarray:
    """log10 of err_ratio, exact zeros at FLOOR, inf at CEILING, NaN kept."""
    ratios = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logs = np.log10(ratios)
    return np.clip(logs, FLOOR, CEILING)


def in_order(values, known: tuple) -> list:
    """The distinct values, those of `known` first in its order, the others sorted."""
    present = set(values)
    return [v for v in known if v in present] + sorted(present - set(known))


def columns_of(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The (framework, dtype) pairs present, in reference-framework x DTYPES order."""
    pairs = frame[["framework", "dtype"]].drop_duplicates().itertuples(index=False, name=None)
    return in_order(pairs, tuple((f, d) for f in reference_frameworks() for d in DTYPES))


def suite_heatmap_name(suite: str) -> str:
    """File name of a suite's heatmap: agreement_heatmap_<suite>.png (unsafe characters as '_')."""
    return f"{SUITE_HEATMAP_PREFIX}{re.sub(r'[^A-Za-z0-9_.-]', '_', suite)}.png"


def group_cell(group: dict | None) -> Cell:
    """A case x framework x dtype group as a cell: worst ratio and verdict mark, framed if a problem; a
    caught control, a known difference (labelled with its err/tol) or a missed control in its own fill."""
    if group is None:
        return NOT_RUN
    ratio, verdict = group["worst_err_ratio"], group["verdict"]
    if verdict == "known_difference":
        ratio = group.get("known_err_ratio", math.nan)
    no_ratio = verdict in UNCOLORED or (isinstance(ratio, float) and math.isnan(ratio))
    shown = "" if no_ratio else f"err/tol {ratio:.2g}" if verdict == "known_difference" else f"{ratio:.2g}"
    text = "\n".join(t for t in (shown, MARKS.get(verdict, "")) if t)
    return Cell(text, math.nan if no_ratio else float(log_ratio(ratio)), verdict in FRAMED,
                fill=FILLS.get(verdict, ""))


def case_cells(summary: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]], list[list[Cell]]]:
    """Row labels ('case\\ncomponent'), columns (framework, dtype) and cells of the cases of summary."""
    cases = summary.drop_duplicates("case")[["suite", "case", "component"]].sort_values(["suite", "case"])
    columns = columns_of(summary)
    groups = {(g["case"], g["framework"], g["dtype"]): g for g in summary.to_dict("records")}
    labels = [f"{case}\n{component if len(component) <= 48 else component[:47] + '…'}"
              for case, component in zip(cases["case"], cases["component"], strict=True)]
    cells = [[group_cell(groups.get((case, *pair))) for pair in columns] for case in cases["case"]]
    return labels, columns, cells


def _counts(members: pd.DataFrame) -> str:
    """Groups per verdict, two to a line, and the known differences' largest err/tol on a line of its own."""
    counts = members["verdict"].value_counts()
    parts = [f"{int(counts[v])} {MARKS.get(v, v)}" for v in VERDICTS if v in counts]
    lines = [", ".join(parts[k:k + 2]) for k in range(0, len(parts), 2)]
    known = members.get("known_err_ratio", pd.Series(dtype=float)).max()
    return "\n".join(lines + ([] if pd.isna(known) else [f"known diff err/tol <= {known:.2g}"]))


def suite_cells(summary: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]], list[list[Cell]]]:
    """Row labels ('suite\\n<n> cases'), columns and cells: each suite's worst ratio and verdict counts."""
    suites = sorted(set(summary["suite"]))
    cases = summary.groupby("suite")["case"].nunique()
    columns = columns_of(summary)
    parts = dict(tuple(summary.groupby(["suite", "framework", "dtype"], sort=False)))
    cells = []
    for suite in suites:
        row = []
        for pair in columns:
            members = parts.get((suite, *pair))
            if members is None:
                row.append(NOT_RUN)
                continue
            worst = members.loc[~members["verdict"].isin(UNCOLORED), "worst_err_ratio"].max()
            text = ("" if math.isnan(worst) else f"worst {worst:.2g}\n") + _counts(members)
            verdicts = set(members["verdict"])
            fill = (ALARM if verdicts & {"missed", "misplaced"} else
                    CAUGHT if "caught" in verdicts and verdicts <= {"caught", "skipped"} else "")
            row.append(Cell(text, float(log_ratio(worst)), bool(verdicts & set(PROBLEMS)), fill=fill))
        cells.append(row)
    labels = [f"{suite}\n{cases[suite]} {'case' if cases[suite] == 1 else 'cases'}" for suite in suites]
    return labels, columns, cells


def cell_color(value: float, fill: str = "") -> tuple | str:
    """The fill of a cell: its fixed fill, else RdYlGn reversed around 0 (the tolerance), grey without a
    ratio."""
    return fill or (NO_RATIO if math.isnan(value) else tuple(COLORS(NORM(value))[:3]))


def draw_heatmap(title: str, labels: list[str], columns: list[tuple[str, str]], cells: list[list[Cell]],
                 cell: tuple[float, float], label_pt: float = 8.0, colorbar: bool = False) -> Canvas:
    """Cells in a grid with row labels at the left, framework/dtype above, the title at the top."""
    probe = Canvas(0.1, 0.1)
    left = 0.35 + max((probe.text_width(label, label_pt) for label in labels), default=0.5)
    width = max(left + cell[0] * len(columns) + (1.6 if colorbar else 0.3), 0.4 + probe.text_width(title, 10))
    height = TOP + cell[1] * len(labels) + BOTTOM
    canvas = Canvas(width, height)
    canvas.text(0.2, 0.1, title, 10)
    right, bottom = left + cell[0] * len(columns), TOP + cell[1] * len(labels)
    for j, (framework, dtype) in enumerate(columns):
        x = left + (j + 0.5) * cell[0]
        canvas.line([(x, TOP), (x, TOP - 0.05)])
        canvas.text(x, TOP - 0.09, f"{framework}\n{dtype}", 10, anchor="md")
    for i, label in enumerate(labels):
        y = TOP + (i + 0.5) * cell[1]
        canvas.line([(left, y), (left - 0.05, y)])
        canvas.text(left - 0.09, y, label, label_pt, anchor="rm")
        for j, item in enumerate(cells[i]):
            x0, y0 = left + j * cell[0], TOP + i * cell[1]
            canvas.rect(x0, y0, x0 + cell[0], y0 + cell[1], fill=cell_color(item.value, item.fill))
            dark = bool(item.fill) or not math.isnan(item.value) and (item.value < -6.5 or item.value > 1.5)
            color = "#555555" if item.muted else "white" if dark else "black"
            canvas.text(x0 + cell[0] / 2, y0 + cell[1] / 2, item.text, 8, color, "mm", bold=item.framed)
    for i, j in ((i, j) for i, row in enumerate(cells) for j, item in enumerate(row) if item.framed):
        x0, y0 = left + j * cell[0], TOP + i * cell[1]
        canvas.rect(x0, y0, x0 + cell[0], y0 + cell[1], outline="black", width_pt=3)
    canvas.rect(left, TOP, right, bottom, outline="black", width_pt=0.8)
    if colorbar:
        _colorbar(canvas, right + 0.45, TOP, min(4.0, bottom - TOP))
    return canvas


def _colorbar(canvas: Canvas, x: float, y: float, height: float) -> None:
    """A vertical color scale of log10(error / tolerance), CEILING at the top, FLOOR at the bottom."""
    rows = canvas.px(y + height) - canvas.px(y)
    values = np.linspace(CEILING, FLOOR, rows)
    strip = (255 * COLORS(NORM(values))[:, :3]).round().astype(np.uint8)
    columns = canvas.px(x + 0.18) - canvas.px(x)
    canvas.paste(np.repeat(strip[:, None, :], columns, axis=1), x, y)
    canvas.rect(x, y, x + 0.18, y + height, outline="black", width_pt=0.8)
    for tick in np.arange(FLOOR, CEILING + 0.5, 2.0):
        ty = y + (CEILING - tick) / (CEILING - FLOOR) * height
        canvas.line([(x + 0.18, ty), (x + 0.23, ty)])
        canvas.text(x + 0.27, ty, f"{tick:g}", 8, anchor="lm")
    canvas.text(x - 0.1, y - 0.12, "log10(error /\ntolerance)", 8, anchor="ld")
    for k, (fill, label) in enumerate(((CAUGHT, "caught"), (KNOWN, "known\ndiff"), (ALARM, "missed"))):
        top = y + height + 0.2 + 0.4 * k
        canvas.rect(x, top, x + 0.18, top + 0.25, fill=fill)
        canvas.text(x + 0.27, top + 0.125, label, 8, anchor="lm")


def heatmap_figure(summary: pd.DataFrame) -> Canvas:
    """Rows: the cases of summary (one suite), columns: framework/dtype, color: log10 worst err_ratio."""
    labels, columns, cells = case_cells(summary)
    suites = ", ".join(dict.fromkeys(sorted(set(summary["suite"]))))
    return draw_heatmap(f"Suite {suites}: worst error/tolerance per case and framework/dtype\n(color: log10 "
                        "err_ratio; green: exact, yellow: at the tolerance, red: over it; framed cells fail; "
                        f"grey: no ratio;\n{LEGEND})", labels, columns, cells, (1.35, 0.5))


def overview_figure(summary: pd.DataFrame) -> Canvas:
    """Rows: suites, columns: framework/dtype; color: the suite's worst err_ratio, text: verdict counts."""
    labels, columns, cells = suite_cells(summary)
    title = ("Agreement by suite: worst error/tolerance and verdicts of the case groups\n(color: log10 "
             "err_ratio, > 0 exceeds the tolerance; framed cells hold a problem; one heatmap per suite in "
             f"{SUITE_HEATMAP_PREFIX}<suite>.png;\n{LEGEND})")
    return draw_heatmap(title, labels, columns, cells, (1.75, 0.72), label_pt=9, colorbar=True)
