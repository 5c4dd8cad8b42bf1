"""PNG plots drawn from the report files only: an agreement heatmap and per-case error histograms."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from comparisons import ALL_FRAMEWORKS, DTYPES  # noqa: E402
from comparisons.projects.files import save_png
from comparisons.summary_md import HEATMAP, load_reports  # noqa: E402

HISTOGRAM_PREFIX = "errors_"
PANELS_PER_ROW = 4
# log10(err_ratio) shown from FLOOR (exact agreement is drawn there) to CEILING (inf and worse).
FLOOR, CEILING = -10.0, 3.0
# What a cell says besides its ratio, by group verdict; failures get a frame as well.
MARKS = {"failed": "FAILED", "nan": "NaN/Inf", "crash": "CRASH", "missed": "MISSED", "misplaced": "MISPLACED",
         "known_difference": "known diff", "skipped": "skipped", "caught": "caught"}
FRAMED = ("failed", "nan", "crash", "missed", "misplaced")
UNCOLORED = ("nan", "crash", "skipped")  # no meaningful worst ratio: drawn grey


def log_ratio(values) -> np.ndarray:
    """log10 of err_ratio, exact zeros at FLOOR, inf at CEILING, NaN kept."""
    ratios = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logs = np.log10(ratios)
    return np.clip(logs, FLOOR, CEILING)


def _in_order(values, known: tuple) -> list:
    present = set(values)
    return [v for v in known if v in present] + sorted(present - set(known))


def _columns(summary: pd.DataFrame) -> list[tuple[str, str]]:
    pairs = zip(summary["framework"], summary["dtype"], strict=True)
    return _in_order(pairs, tuple((f, d) for f in ALL_FRAMEWORKS for d in DTYPES))


def _label(case: str, suite: str, component: str) -> str:
    short = component if len(component) <= 48 else component[:47] + "…"
    return f"[{suite}] {case}\n{short}"


def heatmap_figure(summary: pd.DataFrame) -> Figure:
    """Rows: cases (with component), columns: framework/dtype, color: log10 worst err_ratio."""
    cases = summary.drop_duplicates("case")[["suite", "case", "component"]].sort_values(["suite", "case"])
    columns = _columns(summary)
    values = np.full((len(cases), len(columns)), np.nan)
    fig, ax = plt.subplots(figsize=(2.2 + 1.8 * len(columns), 1.4 + 0.62 * len(cases)), layout="constrained")
    norm = TwoSlopeNorm(vmin=FLOOR, vcenter=0.0, vmax=CEILING)
    groups = {(g["case"], g["framework"], g["dtype"]): g for g in summary.to_dict("records")}
    for i, case in enumerate(cases["case"]):
        for j, (framework, dtype) in enumerate(columns):
            group = groups.get((case, framework, dtype))
            if group is not None and group["verdict"] not in UNCOLORED:
                values[i, j] = log_ratio([group["worst_err_ratio"]])[0]
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn_r", norm=norm, aspect="auto")
    ax.set_facecolor("#dddddd")
    for i, case in enumerate(cases["case"]):
        for j, (framework, dtype) in enumerate(columns):
            _annotate(ax, i, j, groups.get((case, framework, dtype)), values[i, j])
    ax.set_xticks(range(len(columns)), [f"{f}\n{d}" for f, d in columns])
    ax.set_yticks(range(len(cases)), [_label(c, s, m) for s, c, m in cases.itertuples(index=False)],
                  fontsize=8)
    ax.xaxis.tick_top()
    ax.set_title("Agreement heatmap: worst error/tolerance per case and framework/dtype\n"
                 "(color: log10 err_ratio, > 0 exceeds the tolerance; framed cells fail; grey: no ratio)",
                 fontsize=10)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(f"log10(error / tolerance); exact = {FLOOR:g}")
    return fig


def _annotate(ax, i: int, j: int, group: dict | None, value: float) -> None:
    if group is None:
        ax.text(j, i, "not run", ha="center", va="center", fontsize=8, color="#555555")
        return
    ratio = group["worst_err_ratio"]
    no_ratio = group["verdict"] in UNCOLORED or (isinstance(ratio, float) and math.isnan(ratio))
    text = "" if no_ratio else f"{ratio:.2g}"
    mark = MARKS.get(group["verdict"], "")
    label = "\n".join(t for t in (text, mark) if t)
    dark = not math.isnan(value) and (value < -6.5 or value > 1.5)
    ax.text(j, i, label, ha="center", va="center", fontsize=8, color="white" if dark else "black",
            fontweight="bold" if group["verdict"] in FRAMED else "normal")
    if group["verdict"] in FRAMED:
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=3))


def histogram_figure(suite_rows: pd.DataFrame) -> Figure:
    """One panel per case of a suite: histogram of log10 err_ratio of every tensor, by framework/dtype."""
    cases = sorted(set(suite_rows["case"]))
    pairs = _columns(suite_rows)
    ncols = min(PANELS_PER_ROW, len(cases))
    nrows = math.ceil(len(cases) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 0.4, 2.1 * nrows + 1.3), squeeze=False,
                             sharex=True)
    # NOTE: fixed margins in inches: constrained layout costs seconds for many panels
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=0.45 / width, right=1 - 0.15 / width, bottom=0.55 / height,
                        top=1 - 1.3 / height, hspace=0.55, wspace=0.25)
    for ax, case in zip(axes.flat, cases, strict=False):
        _histogram_panel(ax, suite_rows[suite_rows["case"] == case], pairs)
    for index, ax in enumerate(axes.flat):
        if index >= len(cases):
            ax.set_visible(False)
        elif index + ncols >= len(cases):  # nothing drawn below: this panel shows the x tick labels
            ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes[-1]:
        ax.set_xlabel("log10(error / tolerance)", fontsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=f"C{i % 10}") for i in range(len(pairs))]
    fig.legend(handles, [f"{f} {d}" for f, d in pairs], loc="upper left", ncols=len(pairs), fontsize=7,
               frameon=False, bbox_to_anchor=(0.01, 1 - 0.6 / height))
    fig.suptitle(f"Suite {suite_rows['suite'].iloc[0]}: error/tolerance of every compared tensor, "
                 f"per case\n(red line: tolerance; exact agreement drawn at {FLOOR:g})",
                 fontsize=10, x=0.02, ha="left")
    return fig


def _histogram_panel(ax, case_rows: pd.DataFrame, pairs: list[tuple[str, str]]) -> None:
    rows = case_rows[case_rows["err_ratio"].notna()]
    non_finite = int(case_rows["status"].isin(("nan", "crash")).sum())
    skipped = int((case_rows["status"] == "skipped").sum())
    edges = np.arange(FLOOR, CEILING + 0.5, 0.5)
    bottom = np.zeros(len(edges) - 1)
    for color, (framework, dtype) in enumerate(pairs):
        chosen = (rows["framework"] == framework) & (rows["dtype"] == dtype)
        counts, _ = np.histogram(log_ratio(rows.loc[chosen, "err_ratio"]), edges)
        shown = counts > 0  # NOTE: bars only where a bin is non-empty: fewer patches to draw
        ax.bar(edges[:-1][shown], counts[shown], width=0.5, bottom=bottom[shown], align="edge",
               color=f"C{color % 10}")
        bottom += counts
    ax.axvspan(0.0, CEILING + 0.25, color="red", alpha=0.08)
    ax.axvline(0.0, color="red", linestyle="--", linewidth=1)
    ax.set_xlim(FLOOR - 0.25, CEILING + 0.25)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=6)
    judged = rows.loc[rows["status"] != "known_difference", "err_ratio"]  # as summary.csv's worst
    known = len(rows) - len(judged)
    worst = f"worst {judged.max():.2g}" if len(judged) else "nothing comparable"
    extra = ((f", {non_finite} NaN/Inf or crash" if non_finite else "") + (", skipped" if skipped else "")
             + (f", {known} known diff" if known else ""))
    if rows.empty:
        ax.set_ylim(0, 1)
    bad = non_finite or (len(judged) and judged.max() > 1)
    ax.set_title(f"{case_rows['case'].iloc[0]}\n{len(rows)} tensors, {worst}{extra}", fontsize=7,
                 color="darkred" if bad else "black")


def histogram_name(suite: str) -> str:
    """File name of a suite's histograms: errors_<suite>.png (unsafe characters as '_')."""
    return f"{HISTOGRAM_PREFIX}{re.sub(r'[^A-Za-z0-9_.-]', '_', suite)}.png"


def write_plots(directory: Path | str, advance: Callable[[int, str], None] | None = None) -> list[Path]:
    """Draw the heatmap, the histograms of each suite and the project plots; drop stale histograms.

    `advance(total, name)` is called after each file, for a progress bar.
    """
    reports = load_reports(directory)
    for old in reports.directory.glob(f"{HISTOGRAM_PREFIX}*.png"):
        old.unlink()
    jobs = [(HEATMAP, lambda: heatmap_figure(reports.summary))]
    jobs += [(histogram_name(suite), lambda rows=rows: histogram_figure(rows))
             for suite, rows in reports.agreement.groupby("suite", sort=True)]
    written = []
    for name, draw in jobs:
        written.append(save_png(draw(), reports.directory / name))
        if advance is not None:
            advance(len(jobs) + 1, name)
    from comparisons.projects import plot_all  # the seed projects' plots, from reports/projects/

    written += plot_all(reports.directory)
    if advance is not None:
        advance(len(jobs) + 1, "project plots")
    return written
