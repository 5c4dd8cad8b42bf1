"""Smoke tests of benchmarks/ at tiny sizes and one repeat: rows, CSV columns, their documentation.

Nothing here times anything or asserts a speed; `make bench` does the measuring.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from benchmarks.__main__ import write_outputs
from benchmarks.cache_cost import CACHE_COST_COLUMNS
from benchmarks.harness_cost import HARNESS_COLUMNS, ComputeClock, case_cost_rows
from benchmarks.impl_cost import IMPL_COST_COLUMNS, commands, cost_rows, measure, shown
from benchmarks.steps import RUNS, build_step
from benchmarks.suite import BENCHMARK_COLUMNS, QUICK, merge
from benchmarks.tables import markdown
from benchmarks.train_step import memory_rows, timing_rows
from tests.rules.test_reports_readme import README, documented

TINY = (6, 5, 3)
HAS_TORCH = importlib.util.find_spec("torch") is not None


def tiny_task(kind: str, **extra) -> dict:
    """A task of one batch of 4 through a 6-5-3 MLP, one block of one step."""
    return {"kind": kind, "study": "grid", "network": "mlp-6-5-3", "dims": list(TINY), "dtype": "float32",
            "threads": 1, "optimizer": "sgd", "repeats": 1, "block_s": 0.0, "warmup": 1, "steps": 1,
            "batches": [4], **extra}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_implementation_takes_the_same_first_step(dtype):
    available = [run for run in RUNS if importlib.util.find_spec(run[0]) is not None or run[0] == "scratch"]
    first = {run: build_step(*run, TINY, 8, dtype)[0]() for run in available}
    scratch_loss, scratch_accuracy = first[("scratch", "eager")]
    for run, (loss, accuracy) in first.items():
        assert loss == pytest.approx(scratch_loss, rel=1e-5), run
        assert accuracy == scratch_accuracy, run


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_every_cnn_run_takes_the_same_first_step_and_reports_its_im2col_columns():
    runs = [run for run in QUICK.cnn_runs if importlib.util.find_spec(run[0]) is not None]
    first = {run: build_step(*run, "cnn-digits", 8, "float64")[0]() for run in runs}
    for run, (loss, accuracy) in first.items():
        assert loss == pytest.approx(first[("scratch", "eager")][0], rel=1e-12), run
        assert accuracy == first[("scratch", "eager")][1], run
    task = {**tiny_task("timing", runs=[["scratch", "eager"]]), "study": "cnn", "network": "cnn-digits",
            "cnn": "cnn-digits"}
    del task["dims"]
    [row] = [r for r in timing_rows(task) if r["implementation"] == "scratch"]
    assert row["im2col_mib"] == pytest.approx(4 * 64 * 9 * 4 / 2**20)  # batch 4, 8x8 outputs, 3x3x1 window


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_every_lstm_run_takes_the_same_two_steps_and_fills_the_sequence_table():
    runs = [run for run in QUICK.cnn_runs if importlib.util.find_spec(run[0]) is not None]
    steps = {run: build_step(*run, "lstm-series", 8, "float64")[0] for run in runs}
    losses = {run: [step()[0], step()[0]] for run, step in steps.items()}  # the second shows the update
    scratch = losses[("scratch", "eager")]
    for run, (first, second) in losses.items():
        assert first == pytest.approx(scratch[0], rel=1e-12), run
        # after one SGD update; the benchmark's Keras optimizer keeps lr 0.01 in float32 (2e-10 relative)
        assert second == pytest.approx(scratch[1], rel=1e-9) and second < first, run
    timed = [["scratch", "eager"], ["torch", "eager"]]  # TensorFlow's threads are fixed once it has run
    task = {**tiny_task("timing", runs=timed), "study": "sequence", "network": "lstm-series",
            "cnn": "lstm-series"}
    del task["dims"]
    rows = merge(timing_rows(task), [])
    assert sorted([r["implementation"], r["mode"]] for r in rows) == timed
    assert all(r["study"] == "sequence" and r["im2col_mib"] is None for r in rows)
    table = markdown(rows, {}, {}, [], [])
    assert "## LSTM training step" in table and "| lstm-series | float32 | 1 | 4 |" in table


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_a_tiny_run_writes_every_column_and_the_plots(tmp_path):
    timing = timing_rows(tiny_task("timing", runs=[["scratch", "eager"], ["torch", "eager"]]))
    memory = memory_rows(tiny_task("memory", run=["scratch", "eager"]))
    rows = merge(timing, memory)
    write_outputs(tmp_path, rows, QUICK, [], [])

    with (tmp_path / "benchmarks.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        written = list(reader)
    assert tuple(reader.fieldnames) == BENCHMARK_COLUMNS
    by_run = {(r["implementation"], r["mode"]): r for r in written}
    assert set(by_run) == {("scratch", "eager"), ("torch", "eager")}  # the matmul replay folds into scratch
    scratch = by_run[("scratch", "eager")]
    assert float(scratch["ratio_to_scratch"]) == 1.0
    assert 0 < float(scratch["matmul_fraction"]) and float(scratch["step_alloc_mib"]) > 0
    assert float(by_run[("torch", "eager")]["ratio_to_scratch"]) > 0
    for name in ("benchmarks.md", "benchmarks.json", "benchmarks.png", "benchmarks_scaling.png"):
        assert (tmp_path / name).exists() or name == "benchmarks_scaling.png", name


@pytest.mark.parametrize(("section", "columns"), [("benchmarks.csv", BENCHMARK_COLUMNS),
                                                  ("harness_cost.csv", HARNESS_COLUMNS),
                                                  ("impl_cost.csv", IMPL_COST_COLUMNS),
                                                  ("cache_cost.csv", CACHE_COST_COLUMNS)])
def test_reports_readme_documents_every_benchmark_column(section, columns):
    listed = documented(Path(README).read_text(encoding="utf-8"), section)
    assert [c for c in columns if c not in listed] == [], f"undocumented in '## {section}'"
    assert [c for c in listed if c not in columns] == [], f"documented but not written, '## {section}'"


def test_the_compute_clock_counts_nested_calls_once_and_times_trainer_steps():
    clock = ComputeClock()
    module = types.SimpleNamespace()
    module.build = lambda: module.run_pass()  # an adapter function calling another one
    module.run_pass = lambda: None
    module.make_trainer = lambda: types.SimpleNamespace(step=lambda: np.zeros(3))
    clock.install([module])
    module.build()
    trainer = module.make_trainer()
    trainer.step()
    assert clock.seconds > 0 and trainer.step.__wrapped__ is not None
    clock.uninstall()
    assert not hasattr(module.build, "__wrapped__")


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_case_cost_rows_split_each_case_into_raw_compute_and_overhead():
    rows = case_cost_rows({}, keyword="mlp_spiral_cce-torch-float64")
    assert rows and all(r["framework"] == "torch" and r["dtype"] == "float64" for r in rows)
    for row in rows:
        assert set(row) == set(HARNESS_COLUMNS)
        assert 0 < row["raw_compute_s"] <= row["rerun_total_s"]


def test_impl_cost_times_fresh_processes_and_rates_them_against_the_imports(tmp_path):
    argvs = commands("nnfs:my_nn.py", tmp_path)
    assert shown(argvs["run"]) == "python -m comparisons.cli run --impl nnfs:my_nn.py -k mlp_spiral_cce"
    assert argvs["imports"][1:] == ["-c", "import torch, tensorflow"]
    trivial = {"imports": [sys.executable, "-c", "pass"],
               "run": [sys.executable, "-c", "raise SystemExit(3)"]}
    rows = cost_rows(measure(trivial, repeats=2), trivial)
    assert [tuple(row) for row in rows] == [IMPL_COST_COLUMNS] * 2
    imports, run = rows
    assert imports["ratio_to_imports"] == 1.0 and imports["meets_goal"] and imports["repeats"] == 2
    assert run["exit_status"] == 3 and 0 < run["min_s"] <= run["median_s"] <= run["max_s"]


def test_cache_cost_changes_one_backward_in_a_copy_and_counts_the_entries_a_run_writes(tmp_path):
    from benchmarks.cache_cost import CHANGE, ROOT, changed_tree, comparisons_run, timed
    from benchmarks.cache_cost import shown as cache_shown

    path, old, new = CHANGE
    assert old in (ROOT / path).read_text()  # else the benchmark's change no longer applies
    copy = changed_tree(tmp_path / "copy")
    assert new in (copy / path).read_text() and (copy / "comparisons" / "cases").is_dir()
    argv = comparisons_run(tmp_path / "cache", tmp_path / "report", False, "-k", "x")
    assert cache_shown(argv) == "python -m pytest comparisons -q -p no:cacheprovider -k x"
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "kept.npz").write_bytes(b"old")
    write = "import pathlib, sys; pathlib.Path(sys.argv[1], 'new.npz').write_bytes(b'new')"
    wall, status, written, cpu = timed([sys.executable, "-c", write, str(cache)], tmp_path, cache)
    assert wall > 0 and status == 0 and written == 1 and cpu > 0
