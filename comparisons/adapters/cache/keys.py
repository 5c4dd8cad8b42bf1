"""What a cache entry is keyed by: a digest of everything a framework sees, computed without importing it.

The key of a case's recording (docs/architecture.md §9) hashes the framework's name, the versions of its
distributions (importlib.metadata, never an import), the harness version (the sources that decide what
the framework computes), the run's thread and determinism settings, the case's id, kind, seed, dtype and
length, and the data facts of the layer records the case uses; every call then chains the digest of the
arguments it hands the framework onto it.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import platform
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from comparisons.adapters import ADAPTER_MODULES, profile
from comparisons.core import determinism
from scratch.registry import layer_type

ROOT = Path(__file__).resolve().parents[3]
FORMAT = 1  # the layout of an entry file (comparisons/adapters/cache/store.py); bump to drop every entry
# this package: how a framework's outputs are kept (outcomes.py keeps whole outcomes: its own key)
CACHE_SOURCES = tuple(sorted(p for p in Path(__file__).parent.glob("*.py") if p.name != "outcomes.py"))


class Unhashable(TypeError):
    """An argument the digest does not know how to read (the call then runs live, uncached)."""


def _feed(h, value) -> None:
    """Update the hash with a type-tagged, order-preserving encoding of plain data and arrays."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unhashable("an object array")
        h.update(f"A{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).reshape(-1).view(np.uint8))  # 0-d arrays (scalars) too
    elif isinstance(value, np.generic):
        _feed(h, np.asarray(value))
        h.update(b"g")
    elif isinstance(value, dict):
        h.update(f"D{len(value)}".encode())
        for key, item in value.items():
            _feed(h, key)
            _feed(h, item)
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__[0]}{len(value)}".encode())
        for item in value:
            _feed(h, item)
    elif value is None or isinstance(value, (str, int, float, bool)):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif hasattr(value, "cache_token"):  # a stand-in for a framework object (replay.Handle)
        _feed(h, value.cache_token())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"C{type(value).__name__}".encode())
        for item in dataclasses.fields(value):
            _feed(h, item.name)
            _feed(h, getattr(value, item.name))
    else:
        raise Unhashable(f"a {type(value).__name__}")


def digest(*values) -> str:
    """Hex blake2b digest (32 digits) of plain data: dicts in their order, arrays by dtype, shape, bytes."""
    h = hashlib.blake2b(digest_size=16)
    for value in values:
        _feed(h, value)
    return h.hexdigest()


@cache
def package_versions(framework: str) -> tuple[tuple[str, str], ...]:
    """(distribution, version) of the framework's packages that are installed, and NumPy's: metadata only."""
    found = []
    for package in (*profile(framework).packages, "numpy"):
        try:
            found.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(found)


def _module_file(name: str) -> Path | None:
    base = ROOT / Path(*name.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def _imported(path: Path) -> set[str]:
    """Project modules (comparisons.*, reference.*) a file imports anywhere, function-level imports too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return {n for n in names if n.split(".")[0] in ("comparisons", "reference")}


@cache
def adapter_sources(framework: str) -> tuple[Path, ...]:
    """The framework adapter's module and every project module it imports, transitively (scratch/ left
    out: what scratch decides reaches a framework through the spec and arrays, or the record facts)."""
    start = _module_file(ADAPTER_MODULES[framework])
    seen, todo = set(), [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [p for name in _imported(path) if (p := _module_file(name)) is not None]
    reference = set((ROOT / "reference").glob("*.py"))  # every reference module: they import lazily
    return tuple(sorted(seen | reference | set(CACHE_SOURCES)))


@cache
def harness_version(framework: str) -> str:
    """Digest of the source files that decide what the framework computes: editing one invalidates."""
    return digest([(str(p.relative_to(ROOT)), p.read_bytes().decode("utf-8", "replace"))
                   for p in adapter_sources(framework)])


def _facts(value):
    """The plain data of a record (callables and notes left out), for the key."""
    if dataclasses.is_dataclass(value):
        return [(f.name, _facts(getattr(value, f.name))) for f in dataclasses.fields(value)
                if f.name != "notes" and not callable(getattr(value, f.name))]
    if isinstance(value, (list, tuple)):
        return [_facts(item) for item in value]
    return value


def record_facts(layers) -> list:
    """Per layer type the case uses: its record's data (takes_training, buffers, penalties, ...)."""
    return [(name, _facts(layer_type(name))) for name in sorted({layer["type"] for layer in layers})]


def recording_key(framework: str, what: dict, threads: int) -> str:
    """The digest a recording is filed under: the framework and its versions, the harness version, the
    machine and determinism settings, and `what` (the case's id, kind, seed, dtype, length, records)."""
    settings = {k: v for k, v in determinism.settings().items() if k not in determinism.WHERE_ONLY}
    return digest(FORMAT, framework, package_versions(framework), harness_version(framework),
                  platform.machine(), sys.version_info[:2], threads, settings, what)
