"""The outcome cache (docs/architecture.md §9): a case's outcome is replayed only while every function of
the implementation that ran is unchanged; a function body edited recomputes the cases that ran it, a
module-level constant edited anywhere in its package recomputes every case of the package; the
framework's live calls are not traced."""

from __future__ import annotations

import importlib
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from comparisons.adapters.cache import outcomes
from comparisons.adapters.cache.outcomes import Tracker, code_state, kept_or_computed
from comparisons.adapters.cache.replay import Session
from comparisons.adapters.cache.store import Store
from comparisons.core.case import Case
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.core.settings import RunSettings

LIBRARY = {"__init__.py": "",
           "shapes.py": ("SCALE = 2.0\n\n\ndef double(x):\n    return SCALE * x\n\n\n"
                         "def triple(x):\n    return 3 * x\n\n\nclass Layer:\n    def forward(self, x):\n"
                         "        return [double(v) for v in x]\n"),
           "other.py": "def half(x):\n    return x / 2\n"}


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A package 'userlib' outside site-packages and the harness, imported fresh."""
    package = tmp_path / "src" / "userlib"
    package.mkdir(parents=True)
    for name, text in LIBRARY.items():
        (package / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    for name in [m for m in sys.modules if m.startswith("userlib")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.invalidate_caches()
    return package


def _edit(path: Path, old: str, new: str) -> None:
    stamp = path.stat().st_mtime_ns
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))  # a new stamp even on a coarse clock


def test_the_tracker_notes_the_functions_that_ran_and_nothing_of_numpy_or_the_harness(library):
    from userlib import other, shapes

    tracker = Tracker()
    with tracker.active():
        shapes.Layer().forward(np.ones(2))
    shapes_py = str(library / "shapes.py")
    ran = ["Layer.forward", "Layer.forward.<locals>.<listcomp>", "double"]
    assert tracker.functions == [(shapes_py, name) for name in ran], tracker.functions
    assert other.half(2) == 1


def test_a_body_edit_changes_its_function_and_a_constant_edit_changes_its_package(library):
    shapes_py = str(library / "shapes.py")
    functions = [(shapes_py, "double"), (shapes_py, "Layer.forward.<locals>.<listcomp>")]
    before = code_state(functions)
    assert set(before) == {f"{shapes_py}::double", f"{shapes_py}::Layer.forward.<locals>.<listcomp>",
                           *(f"skeleton:{library / n}" for n in LIBRARY)}
    _edit(library / "shapes.py", "return 3 * x", "return x * 3")  # a function that did not run
    _edit(library / "other.py", "return x / 2", "return x / 2.0")  # in a file that did not run
    assert code_state(functions) == before
    _edit(library / "shapes.py", "return [double(v) for v in x]", "return [double(v) for v in x][::1]")
    after = code_state(functions)  # the comprehension belongs to Layer.forward, which changed
    assert after[f"{shapes_py}::Layer.forward.<locals>.<listcomp>"] != before[
        f"{shapes_py}::Layer.forward.<locals>.<listcomp>"] and after[f"{shapes_py}::double"] == before[
        f"{shapes_py}::double"]
    _edit(library / "other.py", "def half(x):", "LIMIT = 1\n\n\ndef half(x):")  # module-level code
    other_skeleton = f"skeleton:{library / 'other.py'}"
    assert code_state(functions)[other_skeleton] != after[other_skeleton]


def _run(tmp_path: Path) -> CaseRun:
    case = Case(id="user_case", suite="layer", component="dense", layers=(), loss=None, data={})
    return CaseRun(case, "torch", "float64", settings=RunSettings(cache=tmp_path / "cache"))


def test_an_outcome_is_kept_until_a_function_that_ran_changes(library, tmp_path, monkeypatch):
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    monkeypatch.setattr(outcomes, "STARTED_NS", 2**62)  # as if this process had started after the edits
    from userlib import shapes

    calls = []

    def compute() -> CaseOutcome:
        calls.append(1)
        value = float(shapes.double(np.float64(1.5)))
        return CaseOutcome([{"case": "user_case", "status": "passed", "max_abs_err": value}])

    run = _run(tmp_path)
    first = kept_or_computed(run, {}, compute)
    again = kept_or_computed(run, {}, compute)
    assert len(calls) == 1 and again.rows == first.rows == [{"case": "user_case", "status": "passed",
                                                             "max_abs_err": 3.0}]
    _edit(library / "other.py", "return x / 2", "return x * 0.5")  # did not run: still kept
    _edit(library / "shapes.py", "return 3 * x", "return x * 3")
    kept_or_computed(run, {}, compute)
    assert len(calls) == 1
    _edit(library / "shapes.py", "return SCALE * x", "return SCALE * x * 1.0")  # ran: recomputed
    kept_or_computed(run, {}, compute)
    assert len(calls) == 2
    assert [p.name.split("-")[0] for p in Store(tmp_path / "cache").directory.glob("*.npz")] == ["outcome"]


def test_without_a_cache_folder_nothing_is_traced_or_kept(tmp_path):
    run = CaseRun(_run(tmp_path).case, "torch", "float64", settings=RunSettings(cache=None))
    seen = []
    outcome = kept_or_computed(run, {}, lambda: seen.append(sys.gettrace()) or CaseOutcome([]))
    assert outcome.rows == [] and seen == [None] and not (tmp_path / "cache").exists()


def test_a_framework_call_made_live_is_not_traced(tmp_path, monkeypatch):
    framework = types.SimpleNamespace(PROFILE=None, version=lambda: str(sys.gettrace()))
    monkeypatch.setattr("comparisons.adapters.cache.replay.get_adapter", lambda name: framework)
    session = Session("torch", Store(tmp_path), "key", {})
    tracker = Tracker()
    with tracker.active():
        assert session.call(None, "version") == "None"  # the framework ran with no tracer set
        assert sys.gettrace() is not None  # and tracing resumed after it


def test_an_outcome_computed_by_code_edited_since_the_process_started_is_not_kept(library, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    from userlib import shapes

    run, calls = _run(tmp_path), []

    def compute() -> CaseOutcome:
        calls.append(float(shapes.double(1.0)))
        return CaseOutcome([{"case": "user_case", "status": "passed"}])

    kept_or_computed(run, {}, compute)  # userlib was written after this process started: maybe not what ran
    kept_or_computed(run, {}, compute)
    assert calls == [2.0, 2.0] and not list((tmp_path / "cache").glob("outcome-*.npz"))


def test_a_kept_outcome_gives_back_its_rows_messages_trajectory_and_extras(tmp_path, monkeypatch):
    from comparisons.data.batches import Batch

    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    batch = Batch(np.arange(6.0).reshape(2, 3), np.array([0, 1]), np.ones((2, 3), np.float32))
    rows = [{"case": "user_case", "status": "passed", "err_ratio": 0.5},
            {"case": "user_case", "status": "failed", "err_ratio": float("nan")}]
    live = CaseOutcome(rows, rows[1], ["a message"], [{"step": 1, "loss_scratch": 0.25}],
                       {"batch": batch, "history": [{"step": 1}]})
    run = _run(tmp_path)
    kept_or_computed(run, {}, lambda: live)
    kept = kept_or_computed(run, {}, lambda: pytest.fail("recomputed"))
    assert kept.rows[0] == rows[0] and kept.first_divergence is kept.rows[1]
    assert np.isnan(kept.rows[1]["err_ratio"])
    assert (kept.failures, kept.trajectory, kept.extras["history"]) == (["a message"], live.trajectory,
                                                                       [{"step": 1}])
    assert isinstance(kept.extras["batch"], Batch)
    for name in ("x", "targets", "upstream"):
        got, want = getattr(kept.extras["batch"], name), getattr(batch, name)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_files_of_the_checkout_are_named_relative_to_it_so_another_checkout_reads_its_own():
    from scratch.activations import ReLU

    tracker = Tracker()
    with tracker.active():
        ReLU().forward(np.ones((2, 2)))
    names = {name for name, _ in tracker.functions}
    assert "scratch/activations.py" in names and not any(Path(n).is_absolute() for n in names), names
    state = code_state(tracker.functions)
    assert state is not None and "skeleton:scratch/activations.py" in state


def test_under_a_debugger_an_outcome_is_computed_not_kept_and_the_debugger_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    calls = []

    def other(frame, event, arg):  # pdb, coverage: it owns sys.settrace
        return None

    sys.settrace(other)
    try:
        for _ in range(2):
            kept_or_computed(_run(tmp_path), {}, lambda: calls.append(1) or CaseOutcome([]))
        assert sys.gettrace() is other
    finally:
        sys.settrace(None)
    assert calls == [1, 1] and not (tmp_path / "cache").exists()


def test_a_debugger_started_inside_the_case_leaves_its_outcome_unkept(tmp_path, monkeypatch):
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    calls = []

    def debugger(frame, event, arg):
        return None

    def breakpoint_in_the_implementation() -> CaseOutcome:  # pdb.set_trace() replaces the trace function:
        calls.append(1)                                    # what ran after it was never noted
        sys.settrace(debugger)
        return CaseOutcome([])

    try:
        kept_or_computed(_run(tmp_path), {}, breakpoint_in_the_implementation)
        assert sys.gettrace() is debugger  # the debugger stays on
        sys.settrace(None)
        kept_or_computed(_run(tmp_path), {}, breakpoint_in_the_implementation)
    finally:
        sys.settrace(None)
    assert calls == [1, 1] and not list((tmp_path / "cache").glob("outcome-*.npz"))


def test_a_profiler_does_not_stop_outcomes_being_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    calls = []
    sys.setprofile(lambda frame, event, arg: None)  # cProfile, py-spy's neighbours: sys.setprofile is theirs
    try:
        for _ in range(2):
            kept_or_computed(_run(tmp_path), {}, lambda: calls.append(1) or CaseOutcome([]))
    finally:
        sys.setprofile(None)
    assert calls == [1]


def test_an_outcome_kept_without_its_extras_gives_the_same_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    monkeypatch.setattr(outcomes, "STARTED_NS", 2**62)
    extras = {"history": [{"step": 1, "params": {"w": np.arange(3.0)}}]}
    run = _run(tmp_path)
    computed = kept_or_computed(run, {}, lambda: CaseOutcome([{"case": "user_case", "status": "passed"}],
                                                             trajectory=[{"step": 1}], extras=extras))
    lean = kept_or_computed(run, {}, lambda: CaseOutcome([]), extras=False)
    full = kept_or_computed(run, {}, lambda: CaseOutcome([]))
    assert lean.rows == full.rows == computed.rows and lean.trajectory == full.trajectory == [{"step": 1}]
    assert lean.extras == {} and full.extras["history"][0]["params"]["w"].tolist() == [0.0, 1.0, 2.0]
