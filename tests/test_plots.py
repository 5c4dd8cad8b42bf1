"""The PNG plots: drawn from the CSV files, they open, and they show what their titles say."""

from __future__ import annotations

import math

import matplotlib.image
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from comparisons.plots import (
    CEILING,
    FLOOR,
    HEATMAP,
    heatmap_figure,
    histogram_figure,
    histogram_name,
    log_ratio,
    write_plots,
)
from comparisons.summary_md import load_reports
from tests.test_summary_md import write_synthetic_reports

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def reports(tmp_path):
    return load_reports(write_synthetic_reports(tmp_path / "reports"))


def test_write_plots_writes_pngs_that_open(reports):
    written = write_plots(reports.directory)
    names = sorted(p.name for p in written)
    assert names == sorted([HEATMAP, *(histogram_name(s) for s in
                                       ("layer", "loss", "model", "negative_control"))])
    for path in written:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 400
        assert image[..., :3].std() > 0.05, f"{path.name} is blank"
    assert not list(reports.directory.glob(".*.tmp")) and not list(reports.directory.glob(".*png"))


def test_histograms_of_suites_no_longer_reported_are_removed(reports):
    stale = reports.directory / histogram_name("gone_suite")
    stale.write_bytes(PNG_SIGNATURE)
    other = reports.directory / "trajectory_spiral.png"
    other.write_bytes(PNG_SIGNATURE)
    write_plots(reports.directory)
    assert not stale.exists() and other.exists(), "only this module's own stale plots are removed"


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_heatmap_shows_cases_by_framework_dtype_and_marks_failures(reports):
    fig = heatmap_figure(reports.summary)
    ax = fig.axes[0]
    assert "worst error/tolerance per case and framework/dtype" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["torch\nfloat32", "torch\nfloat64",
                                                            "tensorflow\nfloat32", "tensorflow\nfloat64"]
    rows = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert "[layer] dense_relu" in rows and "[negative_control] control_missed" in rows
    texts = _texts(fig)
    assert {"70\nFAILED", "NaN/Inf", "CRASH", "0.001\nMISSED", "1e+06\ncaught", "skipped"} <= set(texts)
    assert "0.001\nknown diff" in texts, "the known difference (ratio 3) is not the worst judged ratio"
    framed = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_linewidth() == 3]
    assert len(framed) == 4, "failed, nan, crash and the missed control are framed"
    assert "log10" in fig.axes[1].get_ylabel()


def test_suite_histogram_has_a_panel_per_case(reports):
    rows = reports.agreement[reports.agreement["suite"] == "layer"]
    fig = histogram_figure(rows)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert [t.split("\n")[0] for t in titles] == ["crashy", "dense_relu", "skippy"]
    assert "worst 70" in titles[1] and "1 NaN/Inf or crash" in titles[1]
    assert fig.texts and "Suite layer" in fig.texts[0].get_text()
    heights = sum(p.get_height() for p in fig.axes[1].patches if p.get_width() == 0.5)
    assert heights == 8, "every compared tensor of dense_relu with a ratio is counted once"


def test_log_ratio_places_exact_and_infinite_at_the_ends():
    got = log_ratio([0.0, 1.0, 100.0, math.inf, math.nan])
    assert got[:4].tolist() == [FLOOR, 0.0, 2.0, CEILING]
    assert np.isnan(got[4])
