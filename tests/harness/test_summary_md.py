"""summary.md is drawn from the CSV files only, and its counts are the counts of agreement.csv."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from comparisons.render.markdown import (
    ReportError,
    load_reports,
    render_summary_md,
    verdict,
    write_summary_md,
)
from comparisons.report.files import STATUSES, write_reports

Group = tuple[str, str, str]


def _row(case: str, suite: str, framework: str, dtype: str, order: int, quantity: str, tensor: str,
         status: str = "passed", ratio: float = 1e-3, reason: str = "", known: str = "") -> dict:
    finite = status in ("passed", "failed", "known_difference")
    return {"case": case, "suite": suite, "component": f"component of {case}", "framework": framework,
            "dtype": dtype, "seed": 0, "step": 0, "order": order, "quantity": quantity, "tensor": tensor,
            "shape": "(4, 3)", "max_abs_err": ratio * 1e-5 if finite else math.nan,
            "max_rel_err": ratio * 1e-6 if finite else math.nan, "err_ratio": ratio if finite else math.nan,
            "worst_index": "(1, 2)", "scratch_value": 0.5, "framework_value": 0.5 + ratio * 1e-5,
            "atol": 1e-5, "rtol": 1.3e-6, "status": status, "reason": reason, "known_difference": known,
            "framework_version": f"{framework} 1.0", "elapsed_s": 0.25}


def synthetic_rows() -> list[dict]:
    """Rows covering every status, a known difference, a caught and a missed negative control."""
    forward = [("param_copy", "0.weight"), ("activation", "0.dense"), ("activation", "1.relu"),
               ("grad_activation", "1.relu"), ("grad_activation", "0.dense"), ("grad_param", "0.weight"),
               ("grad_input", "input")]
    rows = []
    for framework, dtype in (("torch", "float32"), ("tensorflow", "float64")):
        rows += [_row("mlp_ok", "model", framework, dtype, i, q, t) for i, (q, t) in enumerate(forward)]
    bad = {"grad_activation 1.relu": ("failed", 50.0), "grad_activation 0.dense": ("failed", 40.0),
           "grad_param 0.weight": ("failed", 70.0)}
    rows += [_row("dense_relu", "layer", "torch", "float64", i, q, t, *bad.get(f"{q} {t}", ("passed", 0.0)))
             for i, (q, t) in enumerate(forward)]
    rows += [_row("dense_relu", "layer", "tensorflow", "float64", 0, "param_copy", "0.weight"),
             _row("dense_relu", "layer", "tensorflow", "float64", 1, "activation", "0.dense", "nan",
                  reason="2 non-finite element(s)")]
    rows += [_row("loss_bce", "loss", "torch", "float32", 0, "loss", "loss", "known_difference", 3.0,
                  reason="torch clamps log at -100", known="loss_bce|torch|*|loss|loss"),
             _row("loss_bce", "loss", "torch", "float32", 1, "grad_input", "input")]
    rows += [_row("control_relu_backward", "negative_control", "torch", "float64", 0, "activation", "1.relu"),
             _row("control_relu_backward", "negative_control", "torch", "float64", 1, "grad_activation",
                  "1.relu", "failed", 1e6),
             _row("control_missed", "negative_control", "torch", "float64", 0, "activation", "1.relu")]
    rows += [_row("crashy", "layer", "torch", "float32", 0, "output", "", "crash",
                  reason="scratch raised ValueError: boom (at scratch/layers.py:1)"),
             _row("skippy", "layer", "tensorflow", "float32", 0, "output", "", "skipped",
                  reason="tensorflow is not installed")]
    return rows


def write_synthetic_reports(directory: Path, rows: list[dict] | None = None) -> Path:
    """agreement.csv, summary.csv, environment.json of the synthetic rows, by the harness's writer."""
    rows = rows if rows is not None else synthetic_rows()
    write_reports(rows, directory, {"command": "test", "workers": 0})
    return directory


def _cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def summary_md_counts(text: str) -> tuple[dict[Group, dict[str, int]], dict[str, int]]:
    """Status counts per (case, framework, dtype) from the suite tables, and the totals table."""
    groups: dict[Group, dict[str, int]] = {}
    totals: dict[str, int] = {}
    section, header = "", []
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:]
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = _cells(line)
        if cells[0] in ("component", "status", "group verdict"):
            header = cells
        elif section == "Agreement by suite":
            row = dict(zip(header, cells, strict=True))
            groups[(row["case"], row["framework"], row["dtype"])] = {s: int(row[s]) for s in STATUSES}
        elif section == "Totals" and header[:2] == ["status", "rows"]:
            totals[cells[0]] = int(cells[1])
    return groups, totals


def agreement_counts(directory: Path) -> tuple[dict[Group, dict[str, int]], dict[str, int]]:
    """The same counts computed straight from agreement.csv."""
    agreement = pd.read_csv(directory / "agreement.csv", keep_default_na=False)
    groups = {key: {s: int((part["status"] == s).sum()) for s in STATUSES}
              for key, part in agreement.groupby(["case", "framework", "dtype"])}
    totals = {s: int((agreement["status"] == s).sum()) for s in STATUSES}
    return groups, totals


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    return write_synthetic_reports(tmp_path / "reports")


def test_summary_md_counts_equal_the_counts_of_agreement_csv(report_dir):
    text = write_summary_md(report_dir).read_text()
    assert summary_md_counts(text) == agreement_counts(report_dir)


def test_one_table_per_suite_with_status_and_worst_ratio(report_dir):
    text = write_summary_md(report_dir).read_text()
    suites = re.findall(r"^### Suite `(\w+)`$", text, flags=re.M)
    assert suites == ["layer", "loss", "model", "negative_control"]
    line = next(li for li in text.splitlines() if "| dense_relu | torch | float64 |" in li)
    assert "| failed |" in line and "| 70 |" in line and "grad_activation 1.relu" in line


def test_known_differences_are_listed_with_their_reasons(report_dir):
    text = write_summary_md(report_dir).read_text()
    section = text.split("## Known differences")[1].split("## ")[0]
    assert "loss_bce" in section and "torch clamps log at -100" in section


def test_negative_controls_caught_and_missed(report_dir):
    text = write_summary_md(report_dir).read_text()
    section = text.split("## Negative controls")[1].split("## ")[0]
    assert "1 of 2 negative controls caught" in section
    assert re.search(r"control_relu_backward .*\| caught \| grad_activation 1\.relu", section)
    assert re.search(r"control_missed .*\| missed \|", section)


def test_first_divergences_name_the_first_failing_row_and_the_rerun(report_dir):
    text = write_summary_md(report_dir).read_text()
    section = text.split("## First divergences")[1].split("## ")[0]
    line = next(li for li in section.splitlines() if "| dense_relu | torch |" in li)
    assert "| grad_activation | 1.relu |" in line, "the first failing row in report order, not the worst"
    assert 'nn-parity run -k "dense_relu-torch-float64"' in line
    assert "control_relu_backward" not in section, "negative controls have their own section"
    assert "| crashy | torch | float32 | crash |" in section


def test_plots_section_links_every_png_in_the_folder(report_dir):
    (report_dir / "agreement_heatmap.png").write_bytes(b"")
    (report_dir / "trajectory_spiral.png").write_bytes(b"")
    text = render_summary_md(load_reports(report_dir))
    assert "![agreement heatmap](agreement_heatmap.png)" in text
    assert "- [trajectory_spiral.png](trajectory_spiral.png)" in text


def test_plots_section_has_a_row_per_suite_with_its_heatmap_and_histograms(report_dir):
    for name in ("agreement_heatmap_layer.png", "errors_layer.png", "errors_loss.png"):
        (report_dir / name).write_bytes(b"")
    text = render_summary_md(load_reports(report_dir))
    assert ("| layer | [agreement_heatmap_layer.png](agreement_heatmap_layer.png) | "
            "[errors_layer.png](errors_layer.png) |") in text
    assert "| loss |  | [errors_loss.png](errors_loss.png) |" in text
    assert "- [errors_layer.png]" not in text, "a suite's plots are in its row, not listed again"


def test_environment_section_comes_from_environment_json(report_dir):
    text = write_summary_md(report_dir).read_text()
    section = text.split("## Environment")[1]
    assert "| numpy |" in section and "| threads | 1 |" in section and "**command**: `test`" in section


def test_summary_md_has_no_timing_so_runs_render_the_same(tmp_path):
    first = render_summary_md(load_reports(write_synthetic_reports(tmp_path / "a")))
    slower = [{**row, "elapsed_s": 9.5} for row in synthetic_rows()]
    second = render_summary_md(load_reports(write_synthetic_reports(tmp_path / "b", slower)))
    assert first == second


@pytest.mark.parametrize(("suite", "counts", "expected"), [
    ("model", {"passed": 3}, "passed"),
    ("model", {"passed": 2, "known_difference": 1}, "known_difference"),
    ("model", {"passed": 2, "failed": 1}, "failed"),
    ("model", {"failed": 1, "nan": 1}, "nan"),
    ("model", {"passed": 1, "crash": 1}, "crash"),
    ("model", {"skipped": 1}, "skipped"),
    ("negative_control", {"passed": 2, "failed": 1}, "caught"),
    ("negative_control", {"passed": 3}, "missed"),
])
def test_verdict_of_a_group(suite, counts, expected):
    group = {"suite": suite, "rows": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}}
    assert verdict(group) == expected


def test_missing_folder_file_or_column_is_a_report_error(tmp_path, report_dir):
    with pytest.raises(ReportError, match="does not exist"):
        load_reports(tmp_path / "nowhere")
    (report_dir / "summary.csv").unlink()
    with pytest.raises(ReportError, match="summary.csv does not exist"):
        load_reports(report_dir)
    write_synthetic_reports(report_dir)
    agreement = pd.read_csv(report_dir / "agreement.csv").drop(columns=["err_ratio"])
    agreement.to_csv(report_dir / "agreement.csv", index=False)
    with pytest.raises(ReportError, match="lacks columns err_ratio"):
        load_reports(report_dir)


def test_framework_splits_say_which_frameworks_reached_the_same_verdict():
    import pandas as pd

    from comparisons.render.splits import framework_splits

    rows = [("act_x", "torch", "passed"), ("act_x", "tensorflow", "known_difference"),
            ("act_x", "jax", "passed"), ("act_y", "torch", "passed"), ("act_y", "tensorflow", "passed"),
            ("act_y", "jax", "passed"), ("neg_z", "torch", "caught")]
    summary = pd.DataFrame([{"case": c, "framework": f, "verdict": v, "dtype": "float64",
                             "suite": "negative_control" if c.startswith("neg_") else "activation"}
                            for c, f, v in rows])
    headers, table = framework_splits(summary)
    assert headers == ["case", "dtype", "torch", "tensorflow", "jax", "same verdict"]
    assert table == [["act_x", "float64", "passed", "known_difference", "passed", "torch = jax; tensorflow"]]
