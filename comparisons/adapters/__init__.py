"""The implementations nn-parity knows, by name: one adapter module each, satisfying adapters.protocol.

Adding a framework is one adapter module with its PROFILE and one line in ADAPTER_MODULES.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from comparisons.adapters.protocol import Profile, conformance_problems
from comparisons.core.case import Case

ADAPTER_MODULES = {
    "scratch": "comparisons.adapters.scratch_adapter",
    "torch": "comparisons.adapters.torch_adapter",
    "tensorflow": "comparisons.adapters.tensorflow_adapter",
    "jax": "comparisons.adapters.jax_adapter",
    "sklearn": "comparisons.adapters.sklearn_adapter",
}


class AdapterError(KeyError):
    """An unknown implementation name, or an adapter module that does not satisfy the protocol."""


def get_adapter(name: str) -> ModuleType:
    """The adapter module of an implementation; AdapterError lists the known names."""
    if name not in ADAPTER_MODULES:
        raise AdapterError(f"unknown implementation {name!r}; known: {', '.join(ADAPTER_MODULES)}")
    return importlib.import_module(ADAPTER_MODULES[name])


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
