"""Whole case outcomes, kept while nothing that computed them changed: the harness, the case, the framework
versions, and every source file of the implementation under test whose functions ran in the case.

A case's rows are a pure function of the harness's sources (comparisons/, reference/, the known-differences
file), the case and the run's settings, the frameworks' versions, and the code of the implementation under
test that ran. The first three are the entry's key. The last is checked when the entry is read: while the
case runs live, sys.setprofile notes the file of every Python function called outside the standard
library, site-packages and the harness (the framework's own live calls are not traced, replay.py), and
the entry keeps each file's digest, plus the digest of the module-level code (constants, signatures,
class attributes: everything but function bodies) of every file of the packages those files belong to.
A later run replays the outcome only while all of them are unchanged; editing one function's body
recomputes exactly the cases that ran a function of that file (docs/architecture.md §9).
"""

from __future__ import annotations

import ast
import hashlib
import sys
import sysconfig
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from functools import cache
from pathlib import Path

from comparisons.adapters.cache.keys import ROOT, digest, recording_key
from comparisons.adapters.cache.store import Packer, Store, Unpackable
from comparisons.core.rows import CaseOutcome
from comparisons.data.batches import Batch

KEPT_CLASSES = {"Batch": Batch}  # the dataclasses an outcome's extras hold (a pass keeps its batch)

KIND = "outcome"  # entries are 'outcome-<key>.npz' beside the frameworks' recordings (same bound, same clear)
HARNESS = (ROOT / "comparisons", ROOT / "reference")
_OUTSIDE = tuple(str(Path(p).resolve()) for p in {sysconfig.get_paths()[n] for n in ("stdlib", "purelib",
                                                                                       "platlib")})
_HARNESS = tuple(str(p) for p in HARNESS)


@cache
def harness_digest() -> str:
    """Digest of every source file of comparisons/ and reference/ (any edit there recomputes every case)."""
    files = sorted(p for folder in HARNESS for p in folder.rglob("*.py"))
    return digest([(str(p.relative_to(ROOT)), p.read_bytes().decode("utf-8", "replace")) for p in files])


def _stamp(path: Path) -> tuple:
    status = path.stat()
    return (str(path), status.st_mtime_ns, status.st_size)


@cache
def _content(stamp: tuple) -> str:
    return hashlib.blake2b(Path(stamp[0]).read_bytes(), digest_size=16).hexdigest()


@cache
def _skeleton(stamp: tuple) -> str:
    """Digest of a module with every function body emptied: what runs at import and in signatures."""
    tree = ast.parse(Path(stamp[0]).read_bytes())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = [ast.Pass()]
    return hashlib.blake2b(ast.dump(tree).encode(), digest_size=16).hexdigest()


@cache
def _folder_files(folder: Path) -> tuple[Path, ...]:
    """Every module of the top-level package holding modules of `folder` (the folder alone in none)."""
    top = folder
    while (top / "__init__.py").is_file() and (top.parent / "__init__.py").is_file():
        top = top.parent
    found = top.rglob("*.py") if (top / "__init__.py").is_file() else top.glob("*.py")
    return tuple(sorted(found))


def code_state(files: set[str] | list[str]) -> dict[str, str] | None:
    """{file: digest} of the files and, under 'skeleton:<package folder>', of their packages' module-level
    code; None when a file is gone."""
    try:
        state = {name: _content(_stamp(Path(name))) for name in sorted(files)}
        for package in sorted({str(p) for name in files for p in _folder_files(Path(name).parent)}):
            state[f"skeleton:{package}"] = _skeleton(_stamp(Path(package)))
    except (OSError, SyntaxError, ValueError):
        return None
    return state


class Tracker:
    """The source files of the Python functions called while it is active, outside the standard library,
    site-packages and the harness (sys.setprofile; the framework's live calls suspend it, replay.py)."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self._wanted: dict[str, bool] = {}

    def _note(self, frame, event: str, arg) -> None:
        if event != "call":
            return
        name = frame.f_code.co_filename
        wanted = self._wanted.get(name)
        if wanted is None:
            wanted = self._wanted[name] = not name.startswith(("<", *_OUTSIDE, *_HARNESS))
        if wanted:
            self.files.add(name)

    @contextmanager
    def active(self) -> Iterator[Tracker]:
        previous = sys.getprofile()
        sys.setprofile(self._note)
        try:
            yield self
        finally:
            sys.setprofile(previous)


def outcome_key(run, facts: dict) -> str:
    """The entry's key: the framework recording's key (versions, settings, case facts), the harness's
    digest, the known differences applied, and the implementation under test's name and version."""
    return digest(KIND, recording_key(run.framework, facts, run.settings.threads), harness_digest(),
                  _known_digest(tuple(run.known)), run.implementation, run.label)


@cache
def _known_digest(entries: tuple) -> str:
    return digest(list(entries))


def _plain(value):
    """The outcome with each KEPT_CLASSES instance as a dict of its fields (the entry format's types)."""
    if type(value).__name__ in KEPT_CLASSES and isinstance(value, tuple(KEPT_CLASSES.values())):
        return {"dataclass": type(value).__name__, **{f.name: _plain(getattr(value, f.name))
                                                       for f in fields(value)}}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    return value


def _typed(value):
    """_plain undone: the dataclasses rebuilt."""
    if isinstance(value, dict):
        items = {key: _typed(item) for key, item in value.items()}
        name = items.pop("dataclass", None) if isinstance(items.get("dataclass"), str) else None
        return KEPT_CLASSES[name](**items) if name in KEPT_CLASSES else items
    if isinstance(value, (list, tuple)):
        return type(value)(_typed(item) for item in value)
    return value


def _is_plain(value) -> bool:
    """True for what JSON gives back unchanged: str-keyed dicts, lists, str, int, float, bool, None."""
    if isinstance(value, dict):
        return all(type(k) is str and _is_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_is_plain(item) for item in value)
    return value is None or type(value) in (str, int, float, bool)


def load_outcome(store: Store, key: str) -> CaseOutcome | None:
    """The kept outcome when every source file it recorded is unchanged, else None."""
    entry = store.load(KIND, key)
    if entry is None or code_state(entry.header["files"]) != entry.header["code"]:
        return None
    kept = {**entry.header["plain"], **entry.output(KIND)}
    rows, first = kept["rows"], kept["first_divergence"]
    return CaseOutcome(rows, rows[first] if first is not None else None, kept["failures"],
                       kept["trajectory"], _typed(kept["extras"]), kept["implementation"])


def save_outcome(store: Store, key: str, outcome: CaseOutcome, files: set[str], label: dict) -> None:
    """Keep the outcome with the digests of the files that ran (nothing when it cannot be kept): its plain
    parts (rows, messages, trajectory: JSON gives them back unchanged) in the entry's index, the rest
    (the extras' arrays) in its data."""
    state = code_state(files)
    first = outcome.first_divergence
    index = next((i for i, row in enumerate(outcome.rows) if row is first), None)
    if state is None or (first is not None and index is None):
        return
    kept = {f.name: getattr(outcome, f.name) for f in fields(outcome)}
    kept["first_divergence"], kept["extras"] = index, _plain(outcome.extras)
    plain = {name: value for name, value in kept.items() if name != "extras" and _is_plain(value)}
    packer = Packer()
    try:
        rest = packer.pack({name: value for name, value in kept.items() if name not in plain})
        header = {**label, "files": sorted(files), "code": state, "plain": plain, "reads": [[KIND, *rest]]}
        store.save(KIND, key, header, packer)
    except (Unpackable, OSError, ValueError):
        pass  # an outcome the format cannot hold, or a full disk: the case reruns next time


def kept_or_computed(run, facts: dict, compute: Callable[[], CaseOutcome]) -> CaseOutcome:
    """The kept outcome of this case when nothing that computed it changed, else compute() traced and kept;
    compute() alone when the run has no cache folder."""
    if run.settings.cache is None:
        return compute()
    store, key = Store(run.settings.cache), outcome_key(run, facts)
    kept = load_outcome(store, key)
    if kept is not None:
        return kept
    tracker = Tracker()
    with tracker.active():
        outcome = compute()
    label = {"case": run.case.id, "framework": run.framework, "dtype": run.dtype}
    save_outcome(store, key, outcome, tracker.files, label)
    return outcome
