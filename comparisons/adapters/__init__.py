"""The implementations nn-parity knows, by name: one adapter module each, satisfying adapters.protocol.

Adding a framework is one adapter module with its PROFILE and one line in ADAPTER_MODULES. Any other
name is a SPEC of the user's own implementation (comparisons.adapters.specs), resolved once per process.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["ADAPTER_MODULES", "AdapterError", "SpecError", "check_adapter", "frameworks_for", "get_adapter",
           "implementation_label", "profile", "reference_frameworks"]

from comparisons.adapters.protocol import Profile, conformance_problems
from comparisons.adapters.specs import SpecError, file_digest, resolve
from comparisons.core.case import Case

ADAPTER_MODULES = {
    "scratch": "comparisons.adapters.scratch_adapter",
    "torch": "comparisons.adapters.torch_adapter",
    "tensorflow": "comparisons.adapters.tensorflow_adapter",
    "jax": "comparisons.adapters.jax_adapter",
    "sklearn": "comparisons.adapters.sklearn_adapter",
}


_RESOLVED: dict[str, object] = {}  # SPEC -> its adapter, resolved once per process


class AdapterError(KeyError):
    """An adapter module that does not satisfy the protocol."""


def get_adapter(name: str):
    """The adapter of an implementation: a bundled one by name, else the adapter a SPEC names.

    SpecError (a ValueError) says why a SPEC does not resolve.
    """
    if name in ADAPTER_MODULES:
        return importlib.import_module(ADAPTER_MODULES[name])
    if name not in _RESOLVED:
        _RESOLVED[name] = resolve(name)
    return _RESOLVED[name]


def implementation_label(name: str) -> str:
    """How reports name an implementation: its SPEC, version and, for a file, its hash, e.g.
    'my_adapter.py (my network 1.0, sha256:1a2b3c4d5e6f)'."""
    version = get_adapter(name).version()
    path = Path(name.partition(":")[2] if name.partition(":")[2].endswith(".py") else name)
    if path.suffix == ".py" and path.is_file() and "sha256:" not in version:
        version = f"{version}, {file_digest(path)}"
    return f"{name} ({version})"


def profile(name: str) -> Profile:
    """The profile an adapter declares (importing the adapter imports no framework)."""
    return get_adapter(name).PROFILE


def reference_frameworks() -> tuple[str, ...]:
    """Every framework other implementations are compared against, in ADAPTER_MODULES order."""
    return tuple(name for name in ADAPTER_MODULES if profile(name).reference)


def frameworks_for(case: Case) -> tuple[str, ...]:
    """The frameworks a case runs on: those it names, else every reference that runs its kind."""
    if case.frameworks is not None:
        return case.frameworks
    return tuple(name for name in reference_frameworks() if case.kind in profile(name).kinds)


def check_adapter(module: ModuleType) -> ModuleType:
    """The module itself when it satisfies the protocol for its profile's kinds; AdapterError otherwise."""
    problems = conformance_problems(module)
    if problems:
        raise AdapterError("; ".join(problems))
    return module
