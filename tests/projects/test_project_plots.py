"""Seed projects 2-6: a few-step run per project into tmp_path, then its plots from those CSVs only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from comparisons.kinds.dispatch import compare_case
from comparisons.projects import digits, loss_landscape, tabular, visualizer, xor_mlp

pytest.importorskip("torch")

# Each project's first case cut to a few steps or grid points (torch only: the fastest framework).
SHORT = {
    xor_mlp: {"epochs": 3},
    visualizer: {"epochs": 3},
    digits: {"epochs": 1},
    tabular: {"epochs": 1},
}


def _run(module, case, report_dir: Path, dtype: str = "float64") -> None:
    outcome = compare_case(case, "torch", dtype)
    assert not outcome.failures, outcome.failures
    module.artifacts(case, "torch", dtype, outcome, report_dir)


def _assert_pngs(paths: list[Path], names: set[str]) -> None:
    assert {p.name for p in paths} == names
    for path in paths:
        assert imread(path).shape[0] > 100  # a real image, not an empty file


@pytest.mark.parametrize("module", list(SHORT), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_training_projects_plot_from_their_csv_files(module, tmp_path):
    case = dataclasses.replace(module.CASES[0], options={**module.CASES[0].options, **SHORT[module]})
    _run(module, case, tmp_path)
    names = {"xor_mlp": {"xor_mlp_decision_boundary.png"},
             "visualizer": {"visualizer_weight_evolution.png", "visualizer_network.png"},
             "digits": {"digits_accuracy.png", "digits_learning_curves.png"},
             "tabular": {"tabular_accuracy.png", "tabular_learning_curves.png"}}
    _assert_pngs(module.plot(tmp_path), names[module.__name__.rsplit(".", 1)[-1]])


def test_nothing_is_drawn_without_artifact_files(tmp_path):
    for module in (xor_mlp, visualizer, digits, tabular, loss_landscape):
        assert module.plot(tmp_path) == []


def test_xor_boundary_is_each_sides_own_forward_and_survives_a_missing_points_file(tmp_path):
    case = dataclasses.replace(xor_mlp.CASES[1], options={**xor_mlp.CASES[1].options, "epochs": 3})
    _run(xor_mlp, case, tmp_path)
    boundary = pd.read_csv(tmp_path / "projects" / f"{case.id}-torch-float64-boundary.csv")
    assert len(boundary) == len(xor_mlp.GRID) ** 2
    # teacher forcing leaves both sides with scratch's parameters: only the forwards may differ
    assert boundary["abs_err"].max() < 1e-12
    (tmp_path / "projects" / f"{case.id}-torch-float64-points.csv").unlink()
    _assert_pngs(xor_mlp.plot(tmp_path), {"xor_mlp_decision_boundary.png"})


def test_visualizer_records_every_step_of_both_sides(tmp_path):
    case = dataclasses.replace(visualizer.CASES[0], options={**visualizer.CASES[0].options, "epochs": 4})
    _run(visualizer, case, tmp_path)
    weights = pd.read_csv(tmp_path / "projects" / f"{case.id}-torch-float64-weights.csv")
    assert list(weights["step"]) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert set(weights["implementation"]) == {"scratch", "torch"}
    assert weights.shape[1] == 2 + 9  # step, implementation, 2x2 + 2 + 2x1 + 1 parameters


def test_landscapes_compare_the_whole_grid_in_one_row_and_plot(tmp_path):
    for case in loss_landscape.CASES:
        small = {"points": 4} if case.options["grid"] == "weight_bias" else {
            "points": 3, "center": {**case.options["center"], "steps": 5}}
        case = dataclasses.replace(case, options={**case.options, **small})
        outcome = compare_case(case, "torch", "float64")
        loss_rows = [r for r in outcome.rows if r["quantity"] == "loss"]
        assert [r["tensor"] for r in loss_rows] == [case.options["tensor"]]
        assert loss_rows[0]["shape"] == str((small["points"], small["points"]))
        assert loss_rows[0]["status"] == "passed"
        loss_landscape.artifacts(case, "torch", "float64", outcome, tmp_path)
    _assert_pngs(loss_landscape.plot(tmp_path), {"loss_landscape_linear.png", "loss_landscape_mlp.png"})


def test_linear_grid_is_the_seed_06_mse():
    linear = loss_landscape.CASES[0]
    case = dataclasses.replace(linear, options={**linear.options, "points": 3})
    extras = compare_case(case, "torch", "float64").extras
    x = np.linspace(0, 1, 100).reshape(-1, 1)
    y = 2 * x + 3 + np.random.default_rng(42).normal(0, 0.1, x.shape)
    expected = [[np.mean((w * x + b - y) ** 2) for w in extras["axis_1"]] for b in extras["axis_2"]]
    np.testing.assert_allclose(extras["scratch"], expected, rtol=1e-12)
    np.testing.assert_allclose(extras["axis_1"], [0, 2, 4])
    np.testing.assert_allclose(extras["axis_2"], [0, 3, 6])
