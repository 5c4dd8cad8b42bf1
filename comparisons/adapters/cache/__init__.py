"""The reference cache: a framework's outputs in a case, kept on disk, reused while its inputs are the same.

Every call into a framework adapter is a pure function of what the framework is handed (the case, the
framework and its version, the dtype, the seed, the arrays, the harness's own sources): the cache
records a case's calls under a digest of all of it and replays them, so that a rerun whose framework
inputs did not change neither runs nor imports the framework. The implementation under test is never
cached. docs/architecture.md §9 describes the key, invalidation, atomic writes and the size bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from comparisons.adapters import ADAPTER_MODULES, get_adapter, profile
from comparisons.adapters.cache.keys import digest, record_facts, recording_key
from comparisons.adapters.cache.replay import AdapterStandIn, Session
from comparisons.adapters.cache.store import DEFAULT_MAX_MB, Packer, Store
from comparisons.core.case import Case

__all__ = ["DEFAULT_MAX_MB", "KeptArrays", "Store", "artifact_cache", "case_adapter", "framework_adapter",
           "recorded_calls"]

# The cache folder and thread count of the case whose project artifacts are being written (driver.py).
_ARTIFACTS: ContextVar[tuple[Path | None, int]] = ContextVar("nn_parity_artifact_cache", default=(None, 1))


def _length_dependent(case: Case) -> bool:
    """True when the case's length depends on the run (an option {'short': n, 'full': m})."""
    return any(isinstance(v, dict) and set(v) == {"short", "full"} for v in case.options.values())


def case_facts(case: Case, dtype: str, full: bool) -> dict:
    """What identifies a case's recording besides the framework: id, kind, seed, dtype, length, records."""
    return {"case": case.id, "kind": case.kind, "seed": case.seed, "dtype": dtype,
            "full": full if _length_dependent(case) else None, "records": record_facts(case.layers)}


def _cacheable(framework: str, directory: Path | None) -> bool:
    return directory is not None and framework in ADAPTER_MODULES and profile(framework).reference


@contextmanager
def recorded_calls(framework: str, directory: Path | None, facts: dict, threads: int) -> Iterator[object]:
    """The framework's adapter for one case: the module itself when there is no cache folder (or it is not
    a bundled reference framework), else a stand-in replaying the recording; written back at the end."""
    if not _cacheable(framework, directory):
        yield get_adapter(framework)
        return
    label = {"case": facts.get("case"), "kind": facts.get("kind"), "dtype": facts.get("dtype")}
    session = Session(framework, Store(Path(directory)), recording_key(framework, facts, threads), label)
    yield AdapterStandIn(session)
    session.commit()


def case_adapter(run) -> object:
    """The adapter a kind calls for the framework of a CaseRun: the cache's stand-in that dispatch set,
    else the adapter module."""
    return run.framework_adapter if run.framework_adapter is not None else get_adapter(run.framework)


@contextmanager
def artifact_cache(directory: Path | None, threads: int) -> Iterator[None]:
    """While a case's project artifacts are written, framework_adapter() uses this cache folder."""
    token = _ARTIFACTS.set((directory, threads))
    try:
        yield
    finally:
        _ARTIFACTS.reset(token)


@contextmanager
def framework_adapter(name: str, purpose: str, case: Case, dtype: str, *inputs) -> Iterator[object]:
    """An adapter for a project's own call into an implementation (its artifacts' evaluation): cached
    under the artifact cache's folder when `name` is a reference framework, keyed by the inputs."""
    directory, threads = _ARTIFACTS.get()
    facts = {"purpose": purpose, "case": case.id, "dtype": dtype, "inputs": digest(*inputs) if
             _cacheable(name, directory) else None, "records": record_facts(case.layers)}
    with recorded_calls(name, directory, facts, threads) as adapter:
        yield adapter


class KeptArrays:
    """Plain data with arrays kept in a cache folder under a key, as '<kind>-<key>.npz' entries (the data
    sets made with scikit-learn: comparisons/data/datasets.py keep_splits_with): bounded and cleared with
    the recordings."""

    def __init__(self, directory: Path, kind: str) -> None:
        self.store, self.kind = Store(Path(directory)), kind

    def load(self, key: str):
        """What was kept under key, or None."""
        entry = self.store.load(self.kind, key)
        return entry.output(key) if entry is not None and key in entry.reads else None

    def save(self, key: str, value) -> None:
        """Keep value under key (nothing when the folder cannot be written: it is made again next time)."""
        packer = Packer()
        try:
            self.store.save(self.kind, key, {"reads": [[key, *packer.pack(value)]]}, packer)
        except OSError:
            pass
