"""Seed projects 7-12: a few-step torch run per project into tmp_path, then the plots from those CSVs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from comparisons.core.known_differences import load_known_differences
from comparisons.data.batches import Batch
from comparisons.data.training import training_set
from comparisons.kinds.dispatch import compare_case
from comparisons.kinds.training import initial_params
from comparisons.projects import (
    activation_comparison,
    backprop_simulator,
    david_palma,
    dropout_regularization,
    nnfs_spirals,
    time_series,
)

pytest.importorskip("torch")

MODULES = (backprop_simulator, activation_comparison, dropout_regularization, time_series, david_palma,
           nnfs_spirals)
PNGS = {
    backprop_simulator: {"backprop_simulator_errors.png"},
    activation_comparison: {"activation_comparison_curves.png"},
    dropout_regularization: {"dropout_regularization_curves.png"},
    time_series: {"time_series_forecast.png"},
    david_palma: {"david_palma_training.png"},
    nnfs_spirals: {"nnfs_spirals_ch10_loss.png", "nnfs_spirals_ch17_loss.png"},
}


def _cases(module) -> list:
    """A few cases of the project, each cut to 2 steps (ch. 10 and ch. 17 for the nnfs chapters)."""
    chosen = [c for c in module.CASES if c.id.endswith(("_free", "_pass"))]
    if module is nnfs_spirals:
        chosen = [c for c in chosen if "ch10" in c.id or "ch17" in c.id]
    return [dataclasses.replace(c, options={**c.options, "epochs": 2}) if c.kind == "training" else c
            for c in chosen[:2]]


def _run(module, report_dir: Path, dtype: str = "float64") -> None:
    for case in _cases(module):
        outcome = compare_case(case, "torch", dtype, load_known_differences())
        assert not outcome.failures, outcome.failures
        module.artifacts(case, "torch", dtype, outcome, report_dir)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_projects_7_to_12_plot_pngs_from_their_csv_files_only(module, tmp_path):
    _run(module, tmp_path)
    paths = module.plot(tmp_path)
    assert {p.name for p in paths} == PNGS[module]
    for path in paths:
        assert path.parent == tmp_path and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(path)
        assert image.shape[0] > 200 and image[..., :3].std() > 0.05, f"{path.name} is blank"


def test_nothing_is_drawn_without_artifact_files(tmp_path):
    for module in MODULES:
        assert module.plot(tmp_path) == []


def test_plots_survive_a_partial_artifact_set(tmp_path):
    _run(david_palma, tmp_path, "float32")
    for path in (tmp_path / "projects").glob("*-points.csv"):
        path.unlink()  # a run that stopped before writing every file
    assert [p.name for p in david_palma.plot(tmp_path)] == ["david_palma_training.png"]


def test_backprop_simulator_table_reproduces_the_seed_07_golden_values(tmp_path):
    _run(backprop_simulator, tmp_path)
    backprop_simulator.plot(tmp_path)
    table = pd.read_csv(tmp_path / "backprop_simulator.csv")
    values = dict(zip(table["symbol"] + table["index"], table["torch"], strict=True))
    assert round(values["L = 1/2 (y - a2)^2[0]"], 8) == backprop_simulator.GOLDEN_LOSS
    # seed 07 output.txt: dL/dW2 [-0.07084855, -0.05353001], dL/db2 -0.07291942, dL/db1 [.., 0.00215438]
    assert round(values["dL/dW2[0, 0]"], 8) == -0.07084855 and round(values["dL/dW2[1, 0]"], 8) == -0.05353001
    assert round(values["dL/db2[0]"], 8) == -0.07291942 and round(values["dL/db1[1]"], 8) == 0.00215438
    assert (table["max_abs_diff"] < 1e-15).all()
    assert "reproduces the golden 0.05440686" in (tmp_path / "backprop_simulator.txt").read_text()


def test_scratch_alone_reproduces_the_golden_loss_from_the_seed_weights():
    from comparisons.adapters import scratch_adapter

    case = backprop_simulator.CASES[0]
    spec = case.model_spec()
    params = initial_params(spec, case.options["init"], np.random.default_rng(0))
    np.testing.assert_allclose(params["0.weight"], [[1.76405235, 0.40015721], [0.97873798, 2.2408932]],
                               atol=1e-8)  # np.random.seed(0); randn(2, 2)
    data = training_set(case.data, np.random.default_rng(0))
    result = scratch_adapter.run_pass(scratch_adapter.build(spec, params, "float64"), spec,
                                      Batch(data["x"], data["y"], np.zeros((1, 1))))
    assert round(float(result["loss"]["loss"]), 8) == 0.05440686


def test_series_data_is_split_in_time_order():
    data = training_set(time_series.CASES[0].data, np.random.default_rng(10))
    assert data["x"].shape == (312, time_series.WINDOW) and data["x_val"].shape == (78, time_series.WINDOW)
    series = np.concatenate([data["x"][0], data["y"].ravel()])  # window 0, then every training target
    np.testing.assert_array_equal(data["x_val"][0], series[312:322])  # the first test window follows on
    np.testing.assert_array_equal(data["x"][1:, -1], data["y"][:-1, 0])
