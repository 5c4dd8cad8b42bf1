"""Whole case outcomes, kept while nothing that computed them changed: the harness, the case, the framework
versions, and every function of the implementation under test that ran in the case.

A case's rows are a pure function of the harness's sources (comparisons/, reference/, the known
differences), the case and the run's settings, the frameworks' versions, and the code of the implementation
under test that ran. The first three are the entry's key. The last is checked when the entry is read: while
the case runs live, sys.settrace notes every Python function called outside the standard library,
site-packages and the harness (the framework's own live calls are not traced, replay.py), and the entry
keeps the digest of each one's definition (a nested function, lambda or comprehension counts as the
function that defines it), plus the digest of the module-level code (constants, signatures, class
attributes: everything but function bodies) of every module of their packages. A later run replays the
outcome only while all of them are unchanged: editing one function's body recomputes exactly the cases that
ran it, editing module-level code recomputes every case of that package (docs/architecture.md §9).
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from functools import cache
from pathlib import Path

from comparisons.adapters.cache.keys import ROOT, digest, recording_key
from comparisons.adapters.cache.store import Packer, Store, Unpackable, builder
from comparisons.core.artifact_files import CHAIN, Artifacts, packed, put_back, write_live, written
from comparisons.core.rows import CaseOutcome
from comparisons.data.batches import Batch

KEPT_CLASSES = {"Batch": Batch}  # the dataclasses an outcome's extras hold (a pass keeps its batch)

STARTED_NS = time.time_ns()  # a source file edited after this process imported it is not what ran
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


@cache
def _content(stamp: tuple) -> str:
    return hashlib.blake2b(Path(stamp[0]).read_bytes(), digest_size=16).hexdigest()


def _node_digest(node: ast.AST) -> str:
    return hashlib.blake2b(ast.dump(node).encode(), digest_size=16).hexdigest()


@cache
def _skeleton(stamp: tuple) -> str:
    """Digest of a module with every function body emptied: what runs at import and in signatures."""
    tree = ast.parse(Path(stamp[0]).read_bytes())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = [ast.Pass()]
    return _node_digest(tree)


@cache
def _functions(stamp: tuple) -> dict[str, str]:
    """{qualified name: digest of its definition (decorators, signature, body)} of a module's functions and
    methods (nested functions are part of the function that defines them)."""
    found: dict[str, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + child.name] = _node_digest(child)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(Path(stamp[0]).read_bytes()), "")
    return found


@cache
def _folder_files(folder: Path) -> tuple[Path, ...]:
    """Every module of the top-level package holding modules of `folder` (the folder alone in none)."""
    top = folder
    while (top / "__init__.py").is_file() and (top.parent / "__init__.py").is_file():
        top = top.parent
    found = top.rglob("*.py") if (top / "__init__.py").is_file() else top.glob("*.py")
    return tuple(sorted(found))


def _named(filename: str) -> str:
    """A source file as an entry names it: relative to the checkout when inside it (another checkout with
    the same cache folder then reads its own files), else absolute."""
    path = Path(filename)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else filename


def _where(name: str) -> Path:
    """The file an entry's name stands for in this checkout."""
    return ROOT / name if not Path(name).is_absolute() else Path(name)


@cache
def _file(name: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """An entry's file name: its path in this checkout, and (path, name) of every module of its package."""
    path = _where(name)
    return str(path), name, tuple((str(p), _named(str(p))) for p in _folder_files(path.parent))


def code_state(functions) -> dict[str, str] | None:
    """{'<file>::<qualified name>': digest} of the functions that ran (module-level code, '<module>', is
    left to the skeletons; a nested function, lambda or comprehension is its outermost function; the whole
    file's digest when it is in none) and, under 'skeleton:<file>', the module-level code of every module of
    their packages; None when a file is gone or does not parse. Each file is stat'ed once per call."""
    stamps: dict[str, tuple] = {}

    def stamp(path: str) -> tuple:
        if path not in stamps:
            status = os.stat(path)
            stamps[path] = (path, status.st_mtime_ns, status.st_size)
        return stamps[path]

    try:
        state, packages = {}, {}
        for name, qualname in sorted(functions):
            path, _, package = _file(name)
            packages.update(package)
            if qualname != "<module>":
                found = stamp(path)
                outer = qualname.split(".<locals>.", 1)[0]
                state[f"{name}::{qualname}"] = _functions(found).get(outer) or _content(found)
        for path in sorted(packages):
            state[f"skeleton:{packages[path]}"] = _skeleton(stamp(path))
    except (OSError, SyntaxError, ValueError):
        return None
    return state


class Tracker:
    """The functions (file, qualified name) called while it is active, outside the standard library,
    site-packages and the harness (sys.settrace: called on Python calls only, not on every C call and
    return as sys.setprofile is; the framework's live calls suspend it, replay.py)."""

    def __init__(self) -> None:
        self.codes: list = []  # the code objects of the functions that ran, each once
        self._seen: set = set()
        self.complete = False  # True once it ended still tracing: no debugger took the trace function

    def _note(self, frame, event: str, arg) -> None:  # "call" only; None: no line events for the frame
        code = frame.f_code
        if code not in self._seen:
            self._seen.add(code)
            if not code.co_filename.startswith(("<", *_OUTSIDE, *_HARNESS)):
                self.codes.append(code)

    @property
    def functions(self) -> list[list[str]]:
        """[file, qualified name] of every function that ran, sorted."""
        return sorted({(_named(code.co_filename), code.co_qualname) for code in self.codes})

    @contextmanager
    def active(self) -> Iterator[Tracker]:
        sys.settrace(self._note)
        try:
            yield self
        finally:
            self.complete = sys.gettrace() == self._note
            if self.complete:  # else a debugger's: it stays for the rest of the run
                sys.settrace(None)


@contextmanager
def untraced() -> Iterator[None]:
    """The framework's live calls: a Tracker active in this thread pauses meanwhile (replay.py)."""
    tracing = sys.gettrace()
    ours = isinstance(getattr(tracing, "__self__", None), Tracker)
    if ours:
        sys.settrace(None)
    try:
        yield
    finally:
        if ours:
            sys.settrace(tracing)


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


def load_outcome(store: Store, key: str, extras: bool = True,
                 files: Path | None = None) -> CaseOutcome | None:
    """The kept outcome when every source file it recorded is unchanged, else None; without `extras` (what
    only project artifacts read: rebuilding a training run's history is most of a load) they are {}; with
    `files`, None unless the entry kept the case's artifact files, which are then written back there."""
    entry = store.load(KIND, key)
    if (entry is None or code_state(entry.header["functions"]) != entry.header["code"]
            or (files is not None and CHAIN not in entry.reads)):
        return None
    template, base = entry.reads[KIND]
    form = entry.header["templates"][template]  # a dict of the fields JSON could not hold
    if not extras:
        form = [form[0], [item for item in form[1] if item[0] != ["s", "extras"]]]
    kept = {"extras": {}, **entry.header["plain"], **builder(form)(entry.data, base)}
    rows, first = kept["rows"], kept["first_divergence"]
    if files is not None:
        put_back(entry.output(CHAIN), files)
    return CaseOutcome(rows, rows[first] if first is not None else None, kept["failures"],
                       kept["trajectory"], _typed(kept["extras"]) if extras else {}, kept["implementation"])


def save_outcome(store: Store, key: str, outcome: CaseOutcome, functions: list, label: dict,
                 files: dict[str, bytes] | None = None) -> None:
    """Keep the outcome with the digests of the functions that ran (nothing when it cannot be kept): its plain
    parts (rows, messages, trajectory: JSON gives them back unchanged) in the entry's index, the rest
    (the extras' arrays, the artifact files' bytes when given) in its data."""
    state = code_state(functions)
    if state is None or any(_where(name).stat().st_mtime_ns > STARTED_NS for name, _ in functions):
        return  # a file changed while this process ran: the code that ran is not the code on disk
    first = outcome.first_divergence
    index = next((i for i, row in enumerate(outcome.rows) if row is first), None)
    if state is None or (first is not None and index is None):
        return
    kept = {f.name: getattr(outcome, f.name) for f in fields(outcome)}
    kept["first_divergence"], kept["extras"] = index, _plain(outcome.extras)
    plain = {name: value for name, value in kept.items() if name != "extras" and _is_plain(value)}
    packer = Packer()
    try:
        reads = [[KIND, *packer.pack({name: value for name, value in kept.items() if name not in plain})]]
        if files is not None:
            reads.append([CHAIN, *packer.pack(packed(files))])
        header = {**label, "functions": [list(f) for f in functions], "code": state, "plain": plain,
                  "reads": reads}
        store.save(KIND, key, header, packer)
    except (Unpackable, OSError, ValueError):
        pass  # an outcome the format cannot hold, or a full disk: the case reruns next time


def kept_or_computed(run, facts: dict, compute: Callable[[], CaseOutcome], extras: bool = True,
                     artifacts: Artifacts | None = None) -> CaseOutcome:
    """The kept outcome of this case when nothing that computed it changed (its extras only when asked
    for; with `artifacts`, none, and the kept artifact files written back), else compute() (and the
    artifacts hook) traced and kept; compute() alone when the run has no cache folder, or a debugger or
    coverage traces (sys.settrace)."""
    if run.settings.cache is None or sys.gettrace() is not None:
        outcome = compute()  # NOTE: a debugger or coverage owns sys.settrace: not kept
        return outcome if artifacts is None else write_live(artifacts, outcome)
    store, key = Store(run.settings.cache), outcome_key(run, facts)
    kept = load_outcome(store, key, extras and artifacts is None, artifacts and Path(artifacts.report_dir))
    if kept is not None:
        return kept
    tracker, files = Tracker(), None
    with tracker.active():  # the artifacts hook runs the implementation under test too (its evaluations)
        outcome = compute()
        if artifacts is not None:
            outcome, files = written(artifacts, outcome)
    if (artifacts is not None and files is None) or not tracker.complete:
        return outcome  # the hook raised (its failure is the case's), or a debugger took over: not kept
    label = {"case": run.case.id, "framework": run.framework, "dtype": run.dtype}
    save_outcome(store, key, outcome, tracker.functions, label, files)
    return outcome
