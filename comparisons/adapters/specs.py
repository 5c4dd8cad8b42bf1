"""The implementation under test, named by a SPEC: the bundled library or the user's own code.

SPEC forms:
  scratch               the bundled NumPy library (the default)
  PATH.py               a user-written adapter module satisfying comparisons.adapters.protocol
  module:object         an importable adapter object (a module or any object with the protocol's
                        attributes)
  nnfs:PATH.py          the user's own classes in the nnfs book's style (Layer_Dense, Activation_ReLU,
  nnfs:module.name      Loss_*, Optimizer_*), no adapter needed: comparisons/adapters/nnfs/
  micrograd:PATH.py     a scalar autograd engine in the style of micrograd (a Value class, and
  micrograd:module.name optionally Neuron/Layer/MLP), no adapter needed:
                        comparisons/adapters/micrograd_adapter.py
A SPEC that does not resolve raises SpecError naming the SPEC and what is missing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from comparisons.adapters.protocol import conformance_problems

IMPL_HELP = ("the implementation under test: scratch (default), nnfs:PATH.py or nnfs:module.name "
             "(nnfs-style classes, no adapter), micrograd:PATH.py or micrograd:module.name (a "
             "micrograd-style Value engine, no adapter), PATH.py (an adapter) or module:object; "
             "see docs/own-implementation.md")


class SpecError(ValueError):
    """A SPEC that does not name a usable implementation; the message says which SPEC and why."""


def file_digest(path: Path) -> str:
    """'sha256:<first 12 hex digits>' of a file: which version of the user's code a report checked."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _load_file(spec: str, path_text: str) -> ModuleType:
    """Import a .py file as a module of its own (its folder first on sys.path, for its own imports)."""
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise SpecError(f"--impl {spec}: no such file {path}")
    if path.suffix != ".py":
        raise SpecError(f"--impl {spec}: {path} is not a .py file")
    name = f"nn_parity_user_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    loader_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.path.insert(0, str(path.parent))
    try:
        sys.modules[name] = module
        loader_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any fault in the user's module is a clear SpecError
        sys.modules.pop(name, None)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise SpecError(f"--impl {spec}: importing {path} raised {type(exc).__name__}: {exc} "
                        f"(at {where.filename}:{where.lineno})") from exc
    finally:
        sys.path.remove(str(path.parent))
    module.__file__ = str(path)
    return module


def _import(spec: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - ImportError or a fault inside the module
        raise SpecError(f"--impl {spec}: cannot import module {name!r}: {type(exc).__name__}: {exc}") from exc


def _user_module(spec: str, target: str) -> ModuleType:
    """A .py path or a dotted module name."""
    return _load_file(spec, target) if target.endswith(".py") else _import(spec, target)


# SPEC prefix -> the module whose adapter_for(user_module, spec) wraps code written in that style
STYLE_ADAPTERS: dict[str, str] = {"nnfs": "comparisons.adapters.nnfs",
                                  "micrograd": "comparisons.adapters.micrograd_adapter"}


def resolve(spec: str):
    """The adapter of a SPEC (see the module docstring), checked against the protocol."""
    prefix, colon, target = spec.partition(":")
    if colon and prefix in STYLE_ADAPTERS and target:
        style = importlib.import_module(STYLE_ADAPTERS[prefix])
        adapter = style.adapter_for(_user_module(spec, target), spec)
    elif spec.endswith(".py"):
        adapter = _load_file(spec, spec)
    elif colon and prefix and target:
        module = _import(spec, prefix)
        if not hasattr(module, target):
            raise SpecError(f"--impl {spec}: module {prefix!r} has no attribute {target!r}")
        adapter = getattr(module, target)
    else:
        raise SpecError(f"--impl {spec}: not a SPEC; use scratch, nnfs:PATH.py, nnfs:module.name, "
                        "micrograd:PATH.py, micrograd:module.name, PATH.py or module:object")
    problems = conformance_problems(adapter)
    if problems:
        raise SpecError(f"--impl {spec}: the adapter does not satisfy the protocol: {'; '.join(problems)} "
                        "(docs/own-implementation.md)")
    return adapter
