"""Per-suite error histograms from agreement.csv: one panel per case, stacked by framework/dtype."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from comparisons.render.heatmaps import CAUGHT, CEILING, FLOOR, KNOWN, log_ratio
from comparisons.render.markdown import HISTOGRAM_PREFIX, NEGATIVE_CONTROL
from comparisons.render.raster import Canvas

PANELS_PER_ROW = 4
EDGES = np.arange(FLOOR, CEILING + 0.5, 0.5)  # bins of log10(err_ratio)
X_RANGE = (FLOOR - 0.25, CEILING + 0.25)
X_TICKS = np.arange(FLOOR, CEILING + 0.5, 1.0)  # tick marks; labelled at X_LABELLED
X_LABELLED = (-10.0, -5.0, 0.0)
# Panel geometry in inches: plot area, room for the y labels at its left, the title above, the x labels below.
PANEL, Y_LABELS, TITLE, X_LABELS, HEADER = (2.85, 1.3), 0.45, 0.42, 0.22, 0.8
# The bars are stacked by row status, each in its own color (the rows with an err_ratio have one of these).
STATUS_COLORS = {"passed": "#1a9850", "known_difference": KNOWN, "failed": "#d73027"}
LEGEND = {"passed": "passed", "known_difference": "known difference (excused, not within tolerance)",
          "failed": "failed (in negative controls: the planted fault, caught)"}


def histogram_name(suite: str) -> str:
    """File name of a suite's histograms: errors_<suite>.png (unsafe characters as '_')."""
    return f"{HISTOGRAM_PREFIX}{re.sub(r'[^A-Za-z0-9_.-]', '_', suite)}.png"


def histogram_counts(case_rows: pd.DataFrame, statuses=tuple(STATUS_COLORS)) -> np.ndarray:
    """Tensors per bin of log10 err_ratio, one row per status: shape (statuses, bins)."""
    ratio = case_rows["err_ratio"].to_numpy()
    has_ratio = ~np.isnan(ratio)
    logs = log_ratio(ratio[has_ratio])
    status = case_rows["status"].to_numpy()[has_ratio]
    return np.array([np.histogram(logs[status == s], EDGES)[0] for s in statuses]
                    ).reshape(len(statuses), len(EDGES) - 1)


def panel_title(case_rows: pd.DataFrame) -> tuple[str, bool]:
    """'<case>\n<n> tensors, worst <ratio>, ...' and whether the case exceeds its tolerance somewhere."""
    ratio, status = case_rows["err_ratio"].to_numpy(), case_rows["status"].to_numpy()
    has_ratio = ~np.isnan(ratio)
    non_finite = int(np.isin(status, ("nan", "crash")).sum())
    skipped = bool((status == "skipped").any())
    judged = ratio[has_ratio & (status != "known_difference")]  # as summary.csv's worst
    known = int(has_ratio.sum()) - len(judged)
    worst = f"worst {judged.max():.2g}" if len(judged) else "nothing comparable"
    extra = ((f", {non_finite} NaN/Inf or crash" if non_finite else "") + (", skipped" if skipped else "")
             + (f",\n{known} known diff, worst {ratio[has_ratio & (status == 'known_difference')].max():.2g}"
                if known else ""))
    bad = bool(non_finite or (len(judged) and judged.max() > 1))
    return f"{case_rows['case'].iloc[0]}\n{int(has_ratio.sum())} tensors, {worst}{extra}", bad


def control_caught(case_rows: pd.DataFrame) -> bool:
    """A negative control's rows: every framework/dtype that compared something diverged first where the
    control expects (its expected_divergence; anywhere when the column is empty)."""
    for _, group in case_rows.groupby(["framework", "dtype"], sort=False):
        if (group["status"] == "skipped").all():
            continue
        bad = group[group["status"].isin(("failed", "nan", "crash"))]
        if bad.empty:
            return False
        first, expected = bad.iloc[0], str(bad.iloc[0].get("expected_divergence", "") or "")
        if expected and expected != f"{first['quantity']} '{first['tensor']}'":
            return False
    return True


def panel_heading(case_rows: pd.DataFrame) -> tuple[str, str]:
    """A panel's title and its color: a caught negative control in the success color (a missed one, or any
    other case over its tolerance, dark red)."""
    title, bad = panel_title(case_rows)
    if case_rows["suite"].iloc[0] != NEGATIVE_CONTROL:
        return title, "darkred" if bad else "black"
    return (f"{title}, caught", CAUGHT) if control_caught(case_rows) else (f"{title}, NOT caught", "darkred")


SHADE = (1.0, 0.92, 0.92)  # red at alpha 0.08 over white: where the error exceeds the tolerance


def _panel(canvas: Canvas, left: float, top: float, counts: np.ndarray, x_labels: bool) -> None:
    """One case: stacked bars per bin, the tolerance line, the frame, ticks and their labels."""
    bottom, right = top + PANEL[1], left + PANEL[0]

    def x(value):
        return left + (np.asarray(value) - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0]) * PANEL[0]

    highest = max(1, int(counts.sum(axis=0).max()))
    y_ticks = MaxNLocator(nbins=3, steps=[1, 2, 5, 10], integer=True).tick_values(0, highest)
    scale = PANEL[1] / max(float(y_ticks[-1]), 1.0)
    zero = float(x(0.0))
    canvas.rect(zero, top, right, bottom, fill=SHADE)
    xs, base = x(EDGES), np.zeros(counts.shape[1])
    for color, row in zip(STATUS_COLORS.values(), counts, strict=True):
        for k in np.flatnonzero(row):
            canvas.rect(xs[k], bottom - (base[k] + row[k]) * scale, xs[k + 1], bottom - base[k] * scale,
                        fill=color)
        base = base + row
    canvas.line([(zero, top), (zero, bottom)], "red", 1.0, dash=0.04)
    canvas.rect(left, top, right, bottom, outline="black", width_pt=0.8)
    for value, tick in zip(X_TICKS, x(X_TICKS), strict=True):
        canvas.line([(tick, bottom), (tick, bottom + (0.05 if value in X_LABELLED else 0.03))])
        if x_labels and value in X_LABELLED:
            canvas.text(tick, bottom + 0.07, f"{value:g}", 6, anchor="ma")
    for tick in (t for t in y_ticks if t * scale <= PANEL[1] + 1e-9):
        y = bottom - tick * scale
        canvas.line([(left, y), (left - 0.04, y)])
        if tick > 0:  # the frame's bottom is 0
            canvas.text(left - 0.06, y, f"{tick:g}", 6, anchor="rm")


def histogram_figure(suite_rows: pd.DataFrame) -> Canvas:
    """One panel per case of a suite: histogram of log10 err_ratio of every tensor, stacked by status."""
    cases = sorted(set(suite_rows["case"]))
    ncols = min(PANELS_PER_ROW, len(cases))
    nrows = math.ceil(len(cases) / ncols)
    cell = (Y_LABELS + PANEL[0] + 0.2, TITLE + PANEL[1] + X_LABELS)
    canvas = Canvas(max(7.0, 0.15 + ncols * cell[0]), HEADER + nrows * cell[1] + 0.25)
    canvas.text(0.1, 0.1, f"Suite {suite_rows['suite'].iloc[0]}: error/tolerance of every compared tensor, "
                f"per case, all framework/dtypes\n(red dashed line: the tolerance; exact agreement drawn at "
                f"{FLOOR:g}; bars stacked by row status)", 10)
    x = 0.15
    for status, color in STATUS_COLORS.items():  # the legend
        canvas.rect(x, 0.5, x + 0.2, 0.6, fill=color)
        canvas.text(x + 0.27, 0.55, LEGEND[status], 7, anchor="lm")
        x += 0.5 + canvas.text_width(LEGEND[status], 7)
    by_case = dict(tuple(suite_rows.groupby("case", sort=True)))
    for index, case in enumerate(cases):
        row, column = divmod(index, ncols)
        left, top = 0.15 + column * cell[0] + Y_LABELS, HEADER + row * cell[1] + TITLE
        below = index + ncols < len(cases)  # a panel below shows the x tick labels instead
        _panel(canvas, left, top, histogram_counts(by_case[case]), x_labels=not below)
        title, color = panel_heading(by_case[case])
        canvas.text(left + PANEL[0] / 2, top - 0.05, title, 7, color, anchor="md")
        if not below:
            canvas.text(left + PANEL[0] / 2, top + PANEL[1] + 0.2, "log10(error / tolerance)", 7, anchor="ma")
    return canvas
