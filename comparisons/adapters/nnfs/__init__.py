"""Adapter for networks written in the style of "Neural Networks from Scratch in Python" (nnfs).

`--impl nnfs:my_nn.py` (or `nnfs:module.name`) checks the user's own Layer_Dense, Layer_Dropout,
Activation_*, Loss_*, Activation_Softmax_Loss_CategoricalCrossentropy and Optimizer_* classes with no
adapter written by the user: adapter_for(module, spec) finds the classes (classes.py), builds specs
from them and runs passes (network.py), optimizer steps and training (training.py), and shares the
framework's dropout masks through the user's own binomial draw (dropout.py). What maps and what is
skipped: docs/own-implementation.md §6.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np

from comparisons.adapters.nnfs import network, training
from comparisons.adapters.nnfs.classes import NnfsClasses, NnfsProfile
from comparisons.adapters.protocol import PlotStyle
from comparisons.adapters.specs import SpecError, file_digest

__all__ = ["NnfsAdapter", "adapter_for"]


def _file(module: ModuleType) -> Path | None:
    path = getattr(module, "__file__", None)
    return Path(path) if path and str(path).endswith(".py") and Path(path).is_file() else None


class NnfsAdapter:
    """The protocol's attributes (comparisons/adapters/protocol.py) over one user module's classes."""

    def __init__(self, module: ModuleType, spec: str) -> None:
        self.module, self.spec = module, spec
        self.classes = NnfsClasses.find(module)
        path = _file(module)
        self.__name__ = f"nnfs:{path.name}" if path is not None and spec.endswith(".py") else spec
        self.PROFILE = NnfsProfile(
            name=self.__name__, label=f"nnfs-style classes of {self.__name__.partition(':')[2]}",
            reference=False, kinds=self.classes.kinds(), style=PlotStyle(color="C4", linestyle="-"),
            layers=frozenset(self.classes.layers), losses=frozenset(self.classes.losses),
            optimizers=frozenset(self.classes.optimizers), options=self.classes.options(),
            packages=("numpy",), hyperparameters=self.classes.hyperparameters())

    def unavailable_reason(self) -> str | None:
        """None: the book's classes need only NumPy."""
        return None

    def version(self) -> str:
        """'nnfs-style <file> sha256:<12 hex>' for a file, else the module's name and __version__."""
        path = _file(self.module)
        if path is not None and self.spec.endswith(".py"):
            return f"nnfs-style {path.name} {file_digest(path)}"
        version = getattr(self.module, "__version__", None)
        return f"nnfs-style {self.module.__name__}" + (f" {version}" if version else "")

    def build(self, spec: dict, params: dict[str, np.ndarray], dtype: str) -> network.NnfsModel:
        """The user's objects for a plain-data spec, parameters copied in."""
        return network.build(self.classes, spec, params, dtype)

    def read_params(self, model: network.NnfsModel) -> dict[str, np.ndarray]:
        """Every Layer_Dense's weights and biases, keyed '<index>.weight' / '<index>.bias'."""
        return network.read_params(model)

    def run_pass(self, model: network.NnfsModel, spec: dict, batch, shared: dict | None = None) -> dict:
        """One forward and backward through the user's objects (network.run_pass)."""
        return network.run_pass(model, spec, batch, shared)

    def run_optimizer(self, spec: dict, params: dict[str, np.ndarray], grads: list[dict]) -> list[dict]:
        """Parameters after each step of the user's Optimizer_<name> (training.run_optimizer)."""
        return training.run_optimizer(self.classes, spec, params, grads)

    def make_trainer(self, spec: dict, params: dict[str, np.ndarray], optimizer: dict,
                     dtype: str) -> training.NnfsTrainer:
        """A stepwise trainer over the user's objects and optimizer (training.NnfsTrainer)."""
        return training.NnfsTrainer(self.classes, spec, params, optimizer, dtype)


def adapter_for(module: ModuleType, spec: str) -> NnfsAdapter:
    """The adapter of a module of nnfs-style classes; SpecError when it has none of the book's classes."""
    adapter = NnfsAdapter(module, spec)
    if adapter.classes.empty():
        raise SpecError(f"--impl {spec}: {getattr(module, '__file__', module.__name__)} defines none of the "
                        "nnfs-style classes (Layer_Dense, Activation_ReLU, Loss_*, Optimizer_*, ...; "
                        "docs/own-implementation.md §6)")
    return adapter
