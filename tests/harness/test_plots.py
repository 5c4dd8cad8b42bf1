"""The PNG plots: drawn from the CSV files, they open, they show what their titles say, deterministically."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from PIL import Image

from comparisons.projects.shared.files import DPI, png_bytes
from comparisons.render.heatmaps import (
    CEILING,
    FLOOR,
    case_cells,
    overview_figure,
    suite_cells,
    suite_heatmap_name,
)
from comparisons.render.histograms import histogram_counts, histogram_figure, histogram_name, panel_title
from comparisons.render.markdown import load_reports
from comparisons.render.plots import HEATMAP, fork_is_safe, log_ratio, write_plots
from tests.harness.test_summary_md import write_synthetic_reports

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SUITES = ("layer", "loss", "model", "negative_control")


@pytest.fixture
def reports(tmp_path):
    return load_reports(write_synthetic_reports(tmp_path / "reports"))


def test_write_plots_writes_pngs_that_open(reports):
    written = write_plots(reports.directory)
    names = sorted(p.name for p in written)
    expected = [HEATMAP, *(histogram_name(s) for s in SUITES), *(suite_heatmap_name(s) for s in SUITES)]
    assert names == sorted(expected)
    for path in written:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] > 150 and image.shape[1] > 400
        assert image[..., :3].std() > 0.05, f"{path.name} is blank"
    assert not list(reports.directory.glob(".*.tmp")) and not list(reports.directory.glob(".*png"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked drawing processes are Linux only")
def test_parallel_drawing_writes_the_same_bytes(reports, tmp_path):
    """In a fresh process (no framework loaded, so write_plots really forks), serial == parallel bytes."""
    script = ("import sys\n"
              "from comparisons.render.plots import fork_is_safe, write_plots\n"
              "assert fork_is_safe(), 'a framework is loaded: write_plots would draw serially'\n"
              "serial = {p.name: p.read_bytes() for p in write_plots(sys.argv[1], workers=1)}\n"
              "parallel = {p.name: p.read_bytes() for p in write_plots(sys.argv[1], workers=2)}\n"
              "assert serial == parallel, sorted(n for n in serial if serial[n] != parallel.get(n))\n")
    done = subprocess.run([sys.executable, "-c", script, str(reports.directory)], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]


def test_drawing_stays_serial_once_a_threaded_framework_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", sys.modules.get("torch") or object())
    assert not fork_is_safe()


def test_plots_drawn_from_the_same_files_are_kept_and_redrawn_when_a_file_changes(reports):
    first = write_plots(reports.directory, reuse=True)
    stamps = {p: p.stat().st_mtime_ns for p in first}
    for path in first:
        os.utime(path, ns=(1, 1))  # an old stamp: a redraw would give a new one
    assert write_plots(reports.directory, reuse=True) == first
    assert all(p.stat().st_mtime_ns == 1 for p in first)
    (reports.directory / "projects").mkdir(exist_ok=True)
    (reports.directory / "projects" / "new.csv").write_text("a\n1\n")  # the files changed: drawn again
    assert write_plots(reports.directory, reuse=True) == first
    assert all(p.stat().st_mtime_ns > 1 for p in first) and stamps
    first[0].unlink()  # a plot gone: drawn again
    assert write_plots(reports.directory, reuse=True) == first and first[0].is_file()
    assert sorted(write_plots(reports.directory)) == sorted(first)  # without reuse: always drawn


def test_plots_of_suites_no_longer_reported_are_removed(reports):
    stale = [reports.directory / histogram_name("gone_suite"), reports.directory / suite_heatmap_name("gone")]
    for path in stale:
        path.write_bytes(PNG_SIGNATURE)
    other = reports.directory / "trajectory_spiral.png"
    other.write_bytes(PNG_SIGNATURE)
    write_plots(reports.directory)
    assert not any(p.exists() for p in stale) and other.exists(), "only this module's own stale plots go"


def test_heatmap_shows_cases_by_framework_dtype_and_marks_failures(reports):
    labels, columns, cells = case_cells(reports.summary)
    assert columns == [("torch", "float32"), ("torch", "float64"), ("tensorflow", "float32"),
                       ("tensorflow", "float64")]
    rows = [label.split("\n")[0] for label in labels]
    assert "dense_relu" in rows and "control_missed" in rows
    assert labels[rows.index("dense_relu")] == "dense_relu\ncomponent of dense_relu"
    texts = {cell.text for row in cells for cell in row}
    assert {"70\nFAILED", "NaN/Inf", "CRASH", "0.001\nMISSED", "1e+06\ncaught", "skipped", "not run"} <= texts
    assert "err/tol 3\nknown diff" in texts, "its own ratio, not the passing rows' 0.001"
    assert sum(cell.framed for row in cells for cell in row) == 4, "failed, nan, crash, missed are framed"
    assert all(math.isnan(cell.value) for row in cells for cell in row if cell.text in ("NaN/Inf", "CRASH"))


def test_overview_has_a_row_per_suite_with_worst_ratio_and_verdicts(reports):
    labels, columns, cells = suite_cells(reports.summary)
    assert [label.split("\n")[0] for label in labels] == sorted(SUITES)
    control = cells[labels.index("negative_control\n2 cases")][columns.index(("torch", "float64"))]
    assert control.text == "worst 1e+06\n1 caught, 1 MISSED" and control.framed
    layer = cells[0][columns.index(("torch", "float64"))]
    assert layer.text.startswith("worst 70\n") and "1 FAILED" in layer.text and layer.framed
    canvas = overview_figure(reports.summary)
    assert canvas.pixels().shape[0] > 200 and canvas.pixels()[..., 0].std() > 10


def test_suite_histogram_has_a_panel_per_case(reports):
    rows = reports.agreement[reports.agreement["suite"] == "layer"]
    titles = [panel_title(part)[0] for _, part in rows.groupby("case", sort=True)]
    assert [t.split("\n")[0] for t in titles] == ["crashy", "dense_relu", "skippy"]
    assert "worst 70" in titles[1] and "1 NaN/Inf or crash" in titles[1]
    dense = rows[rows["case"] == "dense_relu"]
    counts = histogram_counts(dense)
    assert counts.sum() == 8, "every compared tensor of dense_relu with a ratio is counted once"
    assert counts.sum(axis=1).tolist() == [5, 0, 3], "passed, known, failed; NaN has no ratio"
    assert histogram_figure(rows).pixels().shape[1] > 700


def test_log_ratio_places_exact_and_infinite_at_the_ends():
    got = log_ratio([0.0, 1.0, 100.0, math.inf, math.nan])
    assert got[:4].tolist() == [FLOOR, 0.0, 2.0, CEILING]
    assert np.isnan(got[4])


@pytest.mark.parametrize("channels", [3, 4])
def test_png_writer_round_trips_pixels_and_resolution(tmp_path, channels):
    pixels = np.random.default_rng(0).integers(0, 256, (7, 5, channels), dtype=np.uint8)
    path = tmp_path / "x.png"
    path.write_bytes(png_bytes(pixels, DPI))
    with Image.open(path) as image:
        assert image.mode == ("RGBA" if channels == 4 else "RGB")
        assert np.array_equal(np.asarray(image), pixels)
        assert round(image.info["dpi"][0]) == DPI


def test_plots_are_kept_when_only_the_timings_changed(reports):
    first = write_plots(reports.directory, reuse=True)
    for path in first:
        os.utime(path, ns=(1, 1))  # an old stamp: a redraw would give a new one
    agreement = reports.directory / "agreement.csv"
    header, *lines = agreement.read_text().splitlines()
    assert header.endswith(",elapsed_s")  # the last column: a rerun times a skipped case afresh
    agreement.write_text("\n".join([header, *(line.rsplit(",", 1)[0] + ",12.5" for line in lines)]) + "\n")
    assert write_plots(reports.directory, reuse=True) == first
    assert all(p.stat().st_mtime_ns == 1 for p in first)
    agreement.write_text(agreement.read_text().replace(",passed,", ",failed,", 1))  # a row changed: redrawn
    assert write_plots(reports.directory, reuse=True) == first
    assert all(p.stat().st_mtime_ns > 1 for p in first)
