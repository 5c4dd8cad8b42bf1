"""Project artifacts of a run with --impl evaluate the implementation the run checked, not the bundled
scratch library, and the plots name it by its SPEC (environment.json); the default run is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from comparisons.adapters import cache
from comparisons.cases import case_by_id
from comparisons.core.known_differences import load_known_differences
from comparisons.core.settings import RunSettings
from comparisons.kinds.dispatch import compare_case
from comparisons.projects import nnfs_spirals, write_artifacts
from comparisons.projects.shared.curves import draw_curves
from comparisons.projects.shared.files import find_artifacts, implementation_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = f"nnfs:{ROOT / 'tests' / 'helpers' / 'nnfs_style.py'}"
CASE = "proj_nnfs_ch17_sine_adam_free"  # its artifacts hook evaluates both sides' own forward (fit.csv)


def test_artifacts_evaluate_the_implementation_under_test(tmp_path, monkeypatch):
    case = case_by_id(CASE)
    outcome = compare_case(case, "torch", "float64", load_known_differences(),
                           RunSettings(implementation=SPEC))
    assert outcome.implementation == SPEC
    assert {row["status"] for row in outcome.rows} == {"passed"}, outcome.failures
    looked_up = []
    real = cache.get_adapter  # what evaluate's framework_adapter looks adapters up with

    def recording(name):
        looked_up.append(name)
        return real(name)

    monkeypatch.setattr(cache, "get_adapter", recording)
    write_artifacts(case, "torch", "float64", outcome, tmp_path)
    assert SPEC in looked_up and "torch" in looked_up
    assert "scratch" not in looked_up  # the bundled library never runs the user's parameters
    fit = pd.read_csv(tmp_path / "projects" / f"{CASE}-torch-float64-fit.csv")
    assert list(fit.columns) == ["x", "y", "out_scratch", "out_framework"]  # the schema keeps its names

    # the plots name the implementation under test by the SPEC environment.json records
    (tmp_path / "environment.json").write_text(json.dumps({"implementation": {"spec": SPEC}}))
    assert implementation_spec(tmp_path) == SPEC
    fig, ax = plt.subplots()
    draw_curves(ax, find_artifacts(tmp_path, CASE, "curve"))
    labels = [line.get_label() for line in ax.get_lines()]
    plt.close(fig)
    assert labels == [SPEC, "torch"]
    assert nnfs_spirals.plot(tmp_path)


def test_default_runs_and_older_reports_say_scratch(tmp_path):
    outcome = compare_case(case_by_id("proj_nnfs_ch17_sine_adam_teacher"), "torch", "float64",
                           load_known_differences())
    assert outcome.implementation == "scratch"
    assert implementation_spec(tmp_path) == "scratch"  # no environment.json
    (tmp_path / "environment.json").write_text(json.dumps({"command": "pytest comparisons"}))
    assert implementation_spec(tmp_path) == "scratch"  # a report from before --impl
