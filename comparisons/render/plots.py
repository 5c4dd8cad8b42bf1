"""PNG plots drawn from the report files only: agreement heatmaps, per-suite error histograms, projects.

The heatmaps and histograms are drawn with Pillow (comparisons.render.raster), the project plots with
matplotlib; write_plots runs them as independent jobs, in forked processes when asked to.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from comparisons.projects import modules  # noqa: E402
from comparisons.render.heatmaps import (  # noqa: E402
    CEILING,
    FLOOR,
    heatmap_figure,
    log_ratio,
    overview_figure,
    suite_heatmap_name,
)
from comparisons.render.histograms import histogram_figure, histogram_name  # noqa: E402
from comparisons.render.markdown import (  # noqa: E402
    HEATMAP,
    HISTOGRAM_PREFIX,
    SUITE_HEATMAP_PREFIX,
    Reports,
    load_reports,
)
from comparisons.render.raster import Canvas  # noqa: E402
from comparisons.report.files import untimed  # noqa: E402

__all__ = ["CEILING", "FLOOR", "HEATMAP", "heatmap_figure", "histogram_figure", "histogram_name", "log_ratio",
           "overview_figure", "suite_heatmap_name", "write_plots"]
# NOTE: matplotlib 3.11 shapes every text with libraqm, and text is most of a plot's cost: without
# hinting and without the last-resort fallback font (DejaVu Sans has every glyph drawn) it costs half;
# a title at a fixed height skips measuring the axis below it. (Keys an older matplotlib lacks are left out.)
TEXT_STYLE = {key: value for key, value in {"text.hinting": "no_hinting", "font.enable_last_resort": False,
                                            "axes.titley": 1.0}.items() if key in matplotlib.rcParams}
# CPU seconds of one project's plots on the full report, to start the longest first (default 0.3).
PROJECT_SECONDS = {"loss_landscape": 1.2, "xor_mlp": 0.7, "nnfs_spirals": 0.6, "visualizer": 0.55,
                   "digits": 0.5, "tabular": 0.5, "david_palma": 0.4, "backprop_simulator": 0.4}
MAX_WORKERS = 4  # NOTE: figures are independent; more processes than this only add fork and memory cost
# NOTE: a fork copies only the calling thread, so a lock another thread holds stays held in the child:
# once a framework with its own thread pools is loaded in this process, drawing stays serial.
THREADED_FRAMEWORKS = ("torch", "tensorflow", "jax")


def _canvas_job(path: Path, draw: Callable[..., Canvas], *data) -> Callable[[], list[Path]]:
    return lambda: [draw(*data).save(path)]


def plot_jobs(reports: Reports) -> list[tuple[str, Callable[[], list[Path]]]]:
    """(name, draw-and-save) of every PNG job: heatmaps, histograms, project plots; the costliest first."""
    directory, summary = reports.directory, reports.summary
    cases = summary.groupby("suite")["case"].nunique()
    jobs = [(0.1, HEATMAP, _canvas_job(directory / HEATMAP, overview_figure, summary))]
    for suite, rows in reports.agreement.groupby("suite", sort=True):
        size, name, heatmap = cases.get(suite, 1), histogram_name(suite), suite_heatmap_name(suite)
        jobs.append((0.005 * size, name, _canvas_job(directory / name, histogram_figure, rows)))
        jobs.append((0.005 * size, heatmap,
                     _canvas_job(directory / heatmap, heatmap_figure, summary[summary["suite"] == suite])))

    for module in (m for m in modules() if hasattr(m, "plot")):
        name = module.__name__.rsplit(".", 1)[-1]
        jobs.append((PROJECT_SECONDS.get(name, 0.3), name, lambda module=module: module.plot(directory)))
    # NOTE: longest first, so that the last job to start is a short one and the workers finish together
    return [(name, job) for _, name, job in sorted(jobs, key=lambda item: -item[0])]


_JOBS: list = []  # the jobs of the write_plots call in progress; forked workers inherit them


def _run_job(index: int) -> tuple[int, list[Path]]:
    with matplotlib.rc_context(TEXT_STYLE):  # for the project plots
        return index, _JOBS[index][1]()


def default_workers() -> int:
    """Processes for drawing: the CPUs this process may use, at most MAX_WORKERS; 1 where fork is unsafe."""
    if not sys.platform.startswith("linux"):  # NOTE: fork is the cheap start (no re-import); Linux only
        return 1
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


def fork_is_safe() -> bool:
    """True while none of THREADED_FRAMEWORKS is imported in this process (a forked child could deadlock)."""
    return not any(name in sys.modules for name in THREADED_FRAMEWORKS)


DRAWN = ".plots.json"  # in the report folder: the digest the plots were drawn from, and their paths
SOURCES = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "projects")


def drawn_from(directory: Path) -> str:
    """Digest of what the plots are drawn from: every report file (not the PNGs, summary.md or DRAWN; the
    rows without their timing columns) and the drawing code (comparisons/render/, comparisons/projects/)."""
    h = hashlib.blake2b(digest_size=16)
    drawn = [p for p in directory.rglob("*") if p.is_file() and p.suffix != ".png"
             and p.name not in ("summary.md", DRAWN)]
    for path in sorted(drawn) + sorted(p for folder in SOURCES for p in folder.rglob("*.py")):
        content = untimed(path) if path.parent == directory else path.read_bytes()  # no plot reads timings
        h.update(f"{path.relative_to(path.anchor)}\0{len(content)}\0".encode())
        h.update(content)
    return h.hexdigest()


def _already_drawn(directory: Path, digest: str) -> list[Path] | None:
    """The plots DRAWN lists when they were drawn from `digest` and are all still there, else None."""
    try:
        drawn = json.loads((directory / DRAWN).read_text())
    except (OSError, ValueError):
        return None
    paths = [directory / name for name in drawn.get("paths", [])]
    return paths if drawn.get("digest") == digest and all(p.is_file() for p in paths) else None


def write_plots(reports: Reports | Path | str, advance: Callable[[int, str], None] | None = None,
                workers: int = 1, reuse: bool = False) -> list[Path]:
    """Draw every plot (in `workers` forked processes when > 1); drop stale heatmaps and histograms.

    `advance(total, name)` is called after each job, for a progress bar. Each figure depends only on
    the files, so the PNGs are the same bytes whichever process draws them; with `reuse`, plots drawn
    from the same files by the same code (DRAWN says so) are kept, not drawn again.
    """
    if not isinstance(reports, Reports):
        reports = load_reports(reports)
    digest = drawn_from(reports.directory)
    kept = _already_drawn(reports.directory, digest) if reuse else None
    if kept is not None:
        return kept
    (reports.directory / DRAWN).unlink(missing_ok=True)
    for old in (*reports.directory.glob(f"{HISTOGRAM_PREFIX}*.png"),
                *reports.directory.glob(f"{SUITE_HEATMAP_PREFIX}*.png")):
        old.unlink()
    global _JOBS
    _JOBS = plot_jobs(reports)
    results: dict[int, list[Path]] = {}
    try:
        if workers > 1 and len(_JOBS) > 1 and fork_is_safe():
            with multiprocessing.get_context("fork").Pool(min(workers, len(_JOBS))) as pool:
                for index, paths in pool.imap_unordered(_run_job, range(len(_JOBS))):
                    results[index] = paths
                    if advance is not None:
                        advance(len(_JOBS), _JOBS[index][0])
        else:
            for index in range(len(_JOBS)):
                results[index] = _run_job(index)[1]
                if advance is not None:
                    advance(len(_JOBS), _JOBS[index][0])
    finally:
        _JOBS = []
    paths = [path for index in sorted(results) for path in results[index]]
    names = [str(path.relative_to(reports.directory)) for path in paths]
    (reports.directory / DRAWN).write_text(json.dumps({"digest": digest, "paths": names}))
    return paths
