"""The views say what the verdicts mean: caught controls as a success, known differences with their own
ratio, histograms by status, 'within tolerance' only when true, unselected known differences not stale."""

from __future__ import annotations

import numpy as np
import pandas as pd

from comparisons.core.known_differences import KnownDifference
from comparisons.render.explain import divergence_lines
from comparisons.render.heatmaps import ALARM, CAUGHT, KNOWN, case_cells, heatmap_figure, suite_cells
from comparisons.render.histograms import control_caught, histogram_counts, panel_heading
from comparisons.render.markdown import load_reports, render_summary_md
from comparisons.render.raster import rgb
from comparisons.report.files import write_reports
from tests.harness.test_summary_md import _row, synthetic_rows, write_synthetic_reports


def _cell(cells, labels, case: str, column: int = 0):
    return cells[[label.split("\n")[0] for label in labels].index(case)][column]


def test_caught_controls_known_differences_and_missed_controls_have_their_own_fill(tmp_path):
    reports = load_reports(write_synthetic_reports(tmp_path / "r"))
    labels, columns, cells = case_cells(reports.summary)
    torch64 = columns.index(("torch", "float64"))
    assert _cell(cells, labels, "control_relu_backward", torch64).fill == CAUGHT
    assert _cell(cells, labels, "control_missed", torch64).fill == ALARM
    known = _cell(cells, labels, "loss_bce", columns.index(("torch", "float32")))
    assert (known.fill, known.text) == (KNOWN, "err/tol 3\nknown diff")
    assert _cell(cells, labels, "mlp_ok").fill == "", "a plain passing group keeps the ratio's color"


def test_a_suite_of_caught_controls_is_painted_as_a_success_and_a_missed_one_as_a_problem(tmp_path):
    caught_only = [r for r in synthetic_rows() if r["case"] != "control_missed"]
    reports = load_reports(write_synthetic_reports(tmp_path / "caught", caught_only))
    labels, columns, cells = suite_cells(reports.summary)
    row = [label.split("\n")[0] for label in labels].index("negative_control")
    assert cells[row][columns.index(("torch", "float64"))].fill == CAUGHT
    pixels = heatmap_figure(reports.summary[reports.summary["suite"] == "negative_control"]).pixels()
    assert (pixels == rgb(CAUGHT)).all(axis=-1).sum() > 1000, "the caught cell is drawn in the success color"
    assert not (pixels == (165, 0, 38)).all(axis=-1).any(), "and nowhere in the colormap's dark red"
    both = load_reports(write_synthetic_reports(tmp_path / "both"))
    labels, columns, cells = suite_cells(both.summary)
    assert cells[row][columns.index(("torch", "float64"))].fill == ALARM


def test_the_overview_names_the_known_differences_largest_ratio(tmp_path):
    reports = load_reports(write_synthetic_reports(tmp_path / "r"))
    labels, columns, cells = suite_cells(reports.summary)
    row = [label.split("\n")[0] for label in labels].index("loss")
    loss = cells[row][columns.index(("torch", "float32"))]
    assert loss.text.endswith("known diff err/tol <= 3")


def test_histograms_count_each_status_apart():
    rows = pd.DataFrame([_row("c", "loss", "torch", "float32", i, "loss", "loss", status, ratio)
                         for i, (status, ratio) in enumerate([("passed", 0.5), ("known_difference", 7e8),
                                                              ("failed", 30.0), ("failed", 40.0)])])
    counts = histogram_counts(rows)
    assert counts.sum(axis=1).tolist() == [1, 1, 2]
    assert np.flatnonzero(counts[1]).tolist() == [counts.shape[1] - 1], "7e8 is drawn at the ceiling"


def test_within_tolerance_is_said_only_when_no_row_is_a_known_difference(tmp_path):
    reports = load_reports(write_synthetic_reports(tmp_path / "r"))
    for case, expected in (("loss_bce", "torch float32: none failed; 1 row is a known difference, worst "
                                        "err/tol 3 (known_difference)"),
                           ("mlp_ok", "torch float32: none failed; every compared tensor is within tolerance "
                                      "(passed)")):
        rows = reports.agreement[reports.agreement["case"] == case]
        groups = reports.summary[reports.summary["case"] == case]
        assert expected in divergence_lines(rows, groups)
    clean = [r for r in synthetic_rows() if r["status"] != "failed" and r["suite"] != "layer"]
    text = render_summary_md(load_reports(write_synthetic_reports(tmp_path / "clean", clean)))
    section = text.split("## First divergences")[1].split("## ")[0]
    assert "no row failed; 1 row is a known difference, worst err/tol 3" in section
    assert "within tolerance" not in section


def test_a_subset_run_reports_unselected_known_differences_as_not_selected(tmp_path):
    rows = [r for r in synthetic_rows() if r["case"] in ("loss_bce", "mlp_ok")]
    known = [KnownDifference("loss_bce", "torch", "*", "loss", "loss", "torch clamps", 1.0),  # matched
             KnownDifference("act_*", "*", "*", "*", "*", "elsewhere", 1.0),  # its cases did not run
             KnownDifference("loss_bce", "jax", "*", "*", "*", "on jax", 1.0),  # jax did not run
             KnownDifference("mlp_ok", "torch", "*", "grad_input", "*", "no longer needed", 1.0)]  # stale
    for command, not_selected, stale in (("nn-parity run -k 'loss_bce or mlp_ok'", 2, 1),
                                         ("nn-parity run --full", 0, 3)):
        directory = tmp_path / str(len(command))
        write_reports(rows, directory, {"command": command}, known=known)
        section = render_summary_md(load_reports(directory)).split("## Known differences")[1].split("## ")[0]
        assert (f"{not_selected} entries were not selected" in section) == bool(not_selected)
        assert f"{stale} entries matched no row although their cases ran (stale)" in section
        assert ("`act_*|*|*|*|*`" in section.split("(stale)")[0]) == bool(not_selected)


def test_a_caught_control_histogram_title_is_a_success_and_a_missed_one_an_alarm(tmp_path):
    reports = load_reports(write_synthetic_reports(tmp_path / "r"))
    rows = reports.agreement
    caught = panel_heading(rows[rows["case"] == "control_relu_backward"])
    missed = panel_heading(rows[rows["case"] == "control_missed"])
    assert caught[0].endswith(", caught") and caught[1] == CAUGHT
    assert missed[0].endswith(", NOT caught") and missed[1] == "darkred"
    elsewhere = rows[rows["case"] == "control_relu_backward"].assign(
        expected_divergence="activation '1.relu'")  # its first failure is grad_activation '1.relu'
    assert not control_caught(elsewhere)
