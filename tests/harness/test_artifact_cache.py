"""Project artifact files kept with their case's outcome (docs/architecture.md §9): a replay writes the same
bytes to the same relative paths as a live run, without running the hook; editing a function of the
implementation that only the hook ran recomputes; a hook that raises fails its case and keeps nothing."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from comparisons.adapters.cache import outcomes
from comparisons.adapters.cache.outcomes import kept_or_computed
from comparisons.core.artifact_files import Artifacts, put_back
from comparisons.core.case import Case
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.core.settings import RunSettings


@pytest.fixture
def userlib(tmp_path, monkeypatch):
    """A package 'artlib' outside site-packages and the harness: train() for the case, score() only for
    its artifacts."""
    package = tmp_path / "src" / "artlib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text("def train(x):\n    return 2 * x\n\n\n"
                                      "def score(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    for name in [m for m in sys.modules if m.startswith("artlib")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.invalidate_caches()
    monkeypatch.setattr(outcomes, "recording_key", lambda *args: "recording")
    monkeypatch.setattr(outcomes, "STARTED_NS", 2**62)  # as if this process had started after the edits
    return package


def _edit(path: Path, old: str, new: str) -> None:
    stamp = path.stat().st_mtime_ns
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))


def _case(tmp_path: Path, calls: list, cache: Path | None):
    """(run, compute, hook writing report/projects/a.csv and report/projects/sub/b.bin from the extras)."""
    from artlib import model

    run = CaseRun(Case(id="art_case", suite="project", component="dense", layers=(), loss=None, data={}),
                  "torch", "float64", settings=RunSettings(cache=cache))

    def compute() -> CaseOutcome:
        calls.append("compute")
        return CaseOutcome([{"case": "art_case", "status": "passed"}],
                           extras={"w": model.train(np.arange(3.0))})

    def write(outcome: CaseOutcome, folder: Path) -> None:
        calls.append("artifacts")
        (folder / "projects" / "sub").mkdir(parents=True, exist_ok=True)
        score = float(model.score(outcome.extras["w"]).sum())
        (folder / "projects" / "a.csv").write_text(f"score\n{score!r}\n")
        (folder / "projects" / "sub" / "b.bin").write_bytes(bytes(range(256)))

    return run, compute, Artifacts(write, tmp_path / "report")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_replay_writes_the_live_runs_bytes_and_an_edit_the_hook_ran_recomputes(userlib, tmp_path):
    calls: list = []
    run, compute, hook = _case(tmp_path, calls, None)
    live = kept_or_computed(run, {}, compute, artifacts=hook)  # no cache: the hook writes in place
    expected = _files(tmp_path / "report")
    assert set(expected) == {"projects/a.csv", "projects/sub/b.bin"}
    assert expected["projects/a.csv"] == b"score\n9.0\n"
    for path in (tmp_path / "report").rglob("*.*"):
        path.unlink()
    run, compute, hook = _case(tmp_path, calls, tmp_path / "cache")
    calls.clear()
    first = kept_or_computed(run, {}, compute, artifacts=hook)
    assert calls == ["compute", "artifacts"] and _files(tmp_path / "report") == expected
    for path in (tmp_path / "report").rglob("*.*"):
        path.unlink()
    kept = kept_or_computed(run, {}, compute, artifacts=hook)
    assert calls == ["compute", "artifacts"], "replayed: neither the case nor its hook runs"
    assert _files(tmp_path / "report") == expected
    assert kept.rows == first.rows == live.rows and kept.extras == {}
    _edit(userlib / "model.py", "return x + 1", "return x + 2")  # only the artifacts hook ran score()
    importlib.reload(sys.modules["artlib.model"])
    kept_or_computed(run, {}, compute, artifacts=hook)
    assert calls[2:] == ["compute", "artifacts"]
    assert _files(tmp_path / "report")["projects/a.csv"] == b"score\n12.0\n"


def test_an_outcome_kept_without_files_recomputes_for_a_run_that_writes_artifacts(userlib, tmp_path):
    calls: list = []
    run, compute, hook = _case(tmp_path, calls, tmp_path / "cache")
    kept_or_computed(run, {}, compute)  # a caller that writes no artifacts (a test, a benchmark)
    assert kept_or_computed(run, {}, compute).extras["w"].tolist() == [0.0, 2.0, 4.0]
    kept_or_computed(run, {}, compute, artifacts=hook)
    assert calls == ["compute", "compute", "artifacts"]
    assert set(_files(tmp_path / "report")) == {"projects/a.csv", "projects/sub/b.bin"}


def test_a_hook_that_raises_fails_its_case_keeps_its_rows_and_nothing_is_kept(userlib, tmp_path):
    calls: list = []
    run, compute, _ = _case(tmp_path, calls, tmp_path / "cache")

    def broken(outcome: CaseOutcome, folder: Path) -> None:
        raise ValueError("no such column 'w2'")

    for _ in range(2):
        outcome = kept_or_computed(run, {}, compute, artifacts=Artifacts(broken, tmp_path / "report"))
        assert outcome.rows == [{"case": "art_case", "status": "passed"}]
        assert "the project artifacts failed" in outcome.failures[-1]
        assert "no such column 'w2'" in outcome.failures[-1]
    assert calls == ["compute", "compute"] and not (tmp_path / "report").exists()


def test_a_kept_path_leaving_the_report_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"inside the report folder, got '\.\./x'"):
        put_back({"../x": b"1"}, tmp_path / "report")
