"""What every implementation adapter provides: a profile, and the functions of the case kinds it runs.

An adapter is a module (comparisons/adapters/<name>_adapter.py, or a user's file) with a PROFILE and
module-level functions. Only NumPy arrays and plain Python cross the boundary; parameters are
`dict[str, np.ndarray]` keyed '<layer position>.<name>' in the scratch layout (z = x @ W + b,
W of shape (in, out)); buffers (non-trainable state) travel in the same dict under their own names.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from comparisons.core.case import KINDS, Case

Arrays = dict[str, np.ndarray]
# The loss kinds that read probabilities, whose formulas the frameworks write differently (loss_conventions)
PROBABILITY_LOSSES = ("binary_crossentropy", "categorical_crossentropy", "categorical_crossentropy_sum")
# After a softmax every framework computes the value from the logits (log-softmax, no clip): scratch's
# fused softmax + cross-entropy value without nnfs's clip (docs/conventions.md §3)
UNCLIPPED_FUSED = dict.fromkeys(("categorical_crossentropy_logits", "categorical_crossentropy_logits_sum"),
                                {"probability_clip": None})


@dataclass(frozen=True)
class PlotStyle:
    """How plots draw this implementation: a matplotlib colour and line style."""

    color: str
    linestyle: str


@dataclass(frozen=True)
class Profile:
    """What an implementation is and can do, declared as data (never guessed from its name).

    reference: a framework other implementations are compared against (torch, tensorflow, sklearn). kinds:
    the case kinds it runs; layers / losses / optimizers: the names it builds (None: any).
    optimizer_conventions: optimizer -> the scratch options that make scratch compute this framework's own
    formula (docs/conventions.md §6). layer_conventions: layer type -> the scratch options (layer spec
    keys) that make scratch compute this framework's formula for that layer (docs/conventions.md §19:
    BatchNorm's running variance, softplus's threshold). loss_conventions: loss kind the framework computes ->
    the scratch loss options computing its formula (docs/conventions.md §3: probability_clip, log_floor,
    denominator_floor, renormalise). truncated_initializers: initializer names whose
    normal draw this framework truncates at 2 std. default_dense_init: the distribution family of a Dense
    layer's own default parameters, per parameter name. no_defaults: case kind -> why it has no defaults
    of its own to compare there (a Dense default init, a default learning rate); that kind's `defaults`
    cases are then skipped with the reason. packages: the distributions whose versions environment.json
    records for it. options: the spec keys and hyperparameters it understands (layer options such as
    'units' or 'l1_zero_subgradient', optimizer ones such as 'epsilon_hat', and the ops of expression
    cases such as 'log'); None: any. dtypes: the case dtypes it computes in; None: any.
    """

    name: str
    label: str
    reference: bool
    kinds: frozenset[str]
    style: PlotStyle
    layers: frozenset[str] | None = None
    losses: frozenset[str] | None = None
    optimizers: frozenset[str] | None = None
    optimizer_conventions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    layer_conventions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    loss_conventions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    truncated_initializers: frozenset[str] = frozenset()
    default_dense_init: Mapping[str, str] = field(default_factory=dict)
    no_defaults: Mapping[str, str] = field(default_factory=dict)
    packages: tuple[str, ...] = ()
    options: frozenset[str] | None = None
    dtypes: frozenset[str] | None = None

    def unsupported(self, case: Case) -> str | None:
        """Why it cannot run the case (a kind, layer type, loss, optimizer or defaults it lacks), or None."""
        if case.kind not in self.kinds:
            return f"{self.name} does not run {case.kind} cases (it runs: {', '.join(sorted(self.kinds))})"
        if case.options.get("defaults") and case.kind in self.no_defaults:
            return f"{self.name} has no defaults to compare: {self.no_defaults[case.kind]}"
        wanted = (("layer type", {layer["type"] for layer in case.layers}, self.layers),
                  ("loss", {case.loss} - {None}, self.losses),
                  ("optimizer", {optimizer_name(case)} - {None}, self.optimizers))
        for what, names, known in wanted:
            missing = sorted(names - known) if known is not None else []
            if missing:
                return f"{self.name} has no {what} {', '.join(map(repr, missing))}"
        return None

    def lacks_options(self, names: set[str]) -> str | None:
        """Why it cannot take these options (the first few it lacks), or None."""
        missing = sorted(names - self.options) if self.options is not None else []
        if not missing:
            return None
        return f"{self.name} has no option {', '.join(map(repr, missing))} (profile options)"

    def lacks_dtype(self, dtype: str) -> str | None:
        """Why it cannot compute in this dtype (a scalar engine computes in Python floats), or None."""
        if self.dtypes is None or dtype in self.dtypes:
            return None
        return f"{self.name} computes in {', '.join(sorted(self.dtypes))} only, not {dtype} (profile dtypes)"


def optimizer_name(case: Case) -> str | None:
    """The optimizer a case steps with: options['optimizer'] (a name, or a dict with a 'name'), else None."""
    optimizer = case.options.get("optimizer")
    return optimizer["name"] if isinstance(optimizer, dict) else optimizer


@cache
def missing_package(modules: tuple[str, ...], extra: str) -> str | None:
    """'<module> is not installed (pip install ...)' for the first of `modules` that cannot be found, else
    None; looked up once per process (importlib.util.find_spec, a file search: every group asks)."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'nn-parity[{extra}]' -c constraints.txt)"
    return None


@runtime_checkable
class Implementation(Protocol):
    """Every adapter: its profile, whether it can run here, and its version for the report."""

    PROFILE: Profile

    def unavailable_reason(self) -> str | None:
        """None when the implementation can run in this process; otherwise why not (a missing package)."""

    def version(self) -> str:
        """The implementation's name and version, for the framework_version column."""


class PassRunner(Protocol):
    """Kind 'pass': one forward (+ backward) of a model built from a spec."""

    def build(self, spec: dict, params: Arrays, dtype: str) -> Any:
        """The model of a plain-data spec with these parameters (and buffers) loaded."""

    def read_params(self, model: Any) -> Arrays:
        """Parameters and buffers read back from the model, in the scratch layout."""

    def run_pass(self, model: Any, spec: dict, batch: Any, shared: dict | None = None) -> dict:
        """{quantity: {tensor: array}}: activation, output, loss, grad_activation, grad_param, grad_input,
        buffer, internal (layer_internals); frameworks add results['shared'] (their dropout masks) for the
        implementation under test. grad_activation['loss'] (cases with layers and a loss): dL/d(what the
        loss reads, the output or a fused softmax's logits); one an implementation leaves out is a skipped
        row saying so.
        An implementation may add results['unreadable'] = {quantity: {tensor: why}} for tensors its code
        does not expose (each becomes a skipped row saying why); any other missing tensor is a crash."""


def layer_internals(layers: list, names: list[str], convert) -> dict[str, np.ndarray]:
    """{'<layer name>.<what>': convert(value)} of every layer that exposes tensors of its own forward
    besides its output in an `internals` dict (attention's per-head weights:
    '0.multi_head_attention.weights'); quantity 'internal' of run_pass, compared like activations."""
    return {f"{name}.{what}": convert(value) for layer, name in zip(layers, names, strict=True)
            for what, value in getattr(layer, "internals", {}).items()}


class OptimizerRunner(Protocol):
    """Kind 'optimizer': the same parameters and gradients, parameters after every step."""

    def run_optimizer(self, spec: dict, params: Arrays, grads: list[Arrays]) -> list[Arrays]:
        """Parameters after loading, then after each step of spec['optimizer'] with spec['hyper']."""


class TrainerMaker(Protocol):
    """Kinds 'training' and 'landscape': a stepwise trainer (step, loss, set_params, model)."""

    def make_trainer(self, spec: dict, params: Arrays, optimizer: dict, dtype: str) -> Any:
        """A trainer: step(x, targets, shared) -> {loss, output, grads, params, shared}; loss(x, targets);
        set_params(params); .model for read_params."""

    def read_params(self, model: Any) -> Arrays:
        """Parameters and buffers read back from the model, in the scratch layout."""


class InitializerDrawer(Protocol):
    """Kind 'initializer': seeded draws, compared by distribution."""

    def draw_initializer(self, spec: dict, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        """One seeded draw of spec['initializer'] with spec['options'], in the (in, out) layout."""

    def default_dense_params(self, n_inputs: int, n_outputs: int, dtype: str, seed: int) -> Arrays:
        """A Dense layer's own default parameters, {'0.weight': (in, out), '0.bias': (out,)}."""


class PerceptronRunner(Protocol):
    """Kind 'perceptron': weight and bias after every epoch of the perceptron rule."""

    def run_perceptron(self, spec: dict, x: np.ndarray, y: np.ndarray, params: Arrays) -> list[Arrays]:
        """{'0.weight', '0.bias'} after each epoch, samples in order."""


class ExpressionRunner(Protocol):
    """Kind 'expression': a scalar expression graph (comparisons/data/expressions.py), its value and
    every leaf's gradient."""

    def run_expression(self, graph: dict, dtype: str) -> dict:
        """{'value': float, 'grads': {leaf name: d value / d leaf}} of graph['output']."""


KIND_PROTOCOLS: dict[str, type] = {
    "pass": PassRunner, "optimizer": OptimizerRunner, "training": TrainerMaker, "landscape": TrainerMaker,
    "initializer": InitializerDrawer, "perceptron": PerceptronRunner, "expression": ExpressionRunner,
}
assert set(KIND_PROTOCOLS) == set(KINDS)


def protocol_functions(protocol: type) -> list[str]:
    """The function names a protocol asks for."""
    return [name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_")]


def conformance_problems(module: ModuleType) -> list[str]:
    """What an adapter module lacks for its profile's kinds (empty when it satisfies them all)."""
    name = getattr(module, "__name__", type(module).__name__)
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, Profile):
        return [f"{name} has no PROFILE (a comparisons.adapters.protocol.Profile)"]
    wanted = [Implementation] + [KIND_PROTOCOLS[kind] for kind in sorted(profile.kinds)]
    return sorted({f"{name} lacks {function}() for {protocol.__name__}"
                   for protocol in wanted for function in protocol_functions(protocol)
                   if not callable(getattr(module, function, None))})
