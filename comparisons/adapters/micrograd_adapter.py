"""Adapter for scalar autograd engines in the style of micrograd: `--impl micrograd:PATH.py`.

The user's module (a .py file, or an importable module: `micrograd:package.engine`) defines a `Value`
class as micrograd does: `Value(x)` with `.data`, `.grad` and `.backward()`, the operators + - * /
and ** (a number exponent), unary minus, their reflected forms (`2 - v`), and any of the methods exp,
log, tanh, relu, sigmoid. The profile lists the ops the Value has: expression cases that use another
op are skipped with the reason. When the module also has micrograd's nn.py classes (`MLP(nin, nouts)`
of `Layer`s of `Neuron`s, ReLU in the hidden layers, a linear last layer, `parameters()` layer by
layer, each neuron's weights then its bias), pass cases of Dense-ReLU-...-Dense networks run through
it, one sample at a time, the loss built from Value ops. Everything is compared in float64: Python
floats. What is mapped: docs/own-implementation.md §7.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from types import ModuleType

import numpy as np

from comparisons.adapters.protocol import PlotStyle, Profile
from comparisons.adapters.specs import SpecError, file_digest
from comparisons.core.case import Case
from comparisons.core.spec import layer_names
from comparisons.data.expressions import OPS

__all__ = ["MicrogradAdapter", "MicrogradProfile", "adapter_for"]

# expression op -> the Value attribute it calls (radd...rdiv: a number on the left, c - v)
VALUE_METHODS = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "pow": "__pow__",
                 "neg": "__neg__", "radd": "__radd__", "rsub": "__rsub__", "rmul": "__rmul__",
                 "rdiv": "__rtruediv__", "exp": "exp", "log": "log", "tanh": "tanh", "relu": "relu",
                 "sigmoid": "sigmoid"}
assert set(VALUE_METHODS) == set(OPS)
# operands in the graph's order: for radd (c, v) Python calls type(v).__radd__(v, c)
OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
             "pow": operator.pow, "neg": operator.neg, "radd": operator.add, "rsub": operator.sub,
             "rmul": operator.mul, "rdiv": operator.truediv}
MLP_OPS = frozenset({"add", "mul", "relu"})  # Neuron sums and products, hidden ReLU; the loss: + and *
MLP_SHAPE = "micrograd's MLP is Dense layers with ReLU between them and a linear last layer"
HIDDEN_PRE_ACTIVATION = ("a hidden Neuron returns act.relu(); its pre-activation act is readable only as "
                         "the ReLU output's single child in ._prev, which this Value does not keep")


class MicrogradProfile(Profile):
    """A Profile that also knows the shape an MLP can take and names ops as the Value's methods."""

    def unsupported(self, case: Case) -> str | None:
        """The profile's reasons, then (pass cases) a layer list that is not Dense (ReLU Dense)*."""
        reason = super().unsupported(case)
        types = [layer["type"] for layer in case.layers]
        if reason or case.kind != "pass":
            return reason
        if len(types) % 2 == 0 or any(t != ("dense" if i % 2 == 0 else "relu") for i, t in enumerate(types)):
            return f"{self.name}: {MLP_SHAPE}, not {'-'.join(types) or 'a loss alone'}"
        return None

    def lacks_options(self, names: set[str]) -> str | None:
        """An expression op the Value lacks, named as its method, before any other option."""
        ops = sorted((names & set(VALUE_METHODS)) - (self.options or frozenset()))
        if ops:
            methods = ", ".join(f"{VALUE_METHODS[op]}()" for op in ops)
            return f"{self.name}: its Value has no {methods} (expression op {', '.join(map(repr, ops))})"
        return super().lacks_options(names)


def _file(module: ModuleType) -> Path | None:
    path = getattr(module, "__file__", None)
    return Path(path) if path and str(path).endswith(".py") and Path(path).is_file() else None


def _as_list(out) -> list:
    """A Layer's output as a list: micrograd's Layer returns its single Value unwrapped."""
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _total(values: list):
    """values[0] + values[1] + ... with the Value's own +."""
    return reduce(operator.add, values)


@dataclass
class MicrogradMLP:
    """The user's MLP for a spec, its parameters() in order and the (key, index) each one holds."""

    net: object
    spec: dict
    parameters: list
    slots: list[tuple[str, tuple[int, ...]]]
    shapes: dict[str, tuple[int, ...]]


class MicrogradAdapter:
    """The protocol's attributes (comparisons/adapters/protocol.py) over one module's Value (and MLP)."""

    def __init__(self, module: ModuleType, spec: str) -> None:
        self.module, self.spec = module, spec
        self.Value = getattr(module, "Value", None)
        where = getattr(module, "__file__", None) or module.__name__
        if not isinstance(self.Value, type):
            raise SpecError(f"--impl {spec}: {where} has no class Value (a micrograd-style scalar: Value(x) "
                            "with .data, .grad and .backward())")
        probe = self.Value(1.0)
        missing = [a for a in ("data", "grad", "backward") if not hasattr(probe, a)]
        if missing:
            raise SpecError(f"--impl {spec}: Value(1.0) of {where} has no {', '.join(missing)} "
                            "(micrograd style: .data, .grad, .backward())")
        ops = frozenset(op for op, method in VALUE_METHODS.items()
                        if callable(getattr(self.Value, method, None)))
        has_mlp = callable(getattr(module, "MLP", None)) and MLP_OPS <= ops
        kinds = {"expression", "pass"} if has_mlp else {"expression"}
        path = _file(module)
        self.__name__ = f"micrograd:{path.name}" if path is not None and spec.endswith(".py") else spec
        self.PROFILE = MicrogradProfile(
            name=self.__name__, label=f"micrograd-style Value of {self.__name__.partition(':')[2]}",
            reference=False, kinds=frozenset(kinds), style=PlotStyle(color="C5", linestyle="-"),
            layers=frozenset({"dense", "relu"}), losses=frozenset({"mse"}), optimizers=frozenset(),
            options=ops | {"units"}, dtypes=frozenset({"float64"}))

    def unavailable_reason(self) -> str | None:
        """None: a Value engine needs nothing but Python."""
        return None

    def version(self) -> str:
        """'micrograd-style <file> sha256:<12 hex>' for a file, else the module's name and __version__."""
        path = _file(self.module)
        if path is not None and self.spec.endswith(".py"):
            return f"micrograd-style {path.name} {file_digest(path)}"
        version = getattr(self.module, "__version__", None)
        return f"micrograd-style {self.module.__name__}" + (f" {version}" if version else "")

    def run_expression(self, graph: dict, dtype: str) -> dict:
        """The graph with the user's Value: a Value per leaf, an operator or method per node, backward()."""
        leaves = {name: self.Value(float(value)) for name, value in graph["leaves"]}
        values = dict(leaves)
        for name, op, operands in graph["nodes"]:
            args = [values[o] if isinstance(o, str) else float(o) for o in operands]
            values[name] = OPERATORS[op](*args) if op in OPERATORS else getattr(args[0], op)()
        output = values[graph["output"]]
        output.backward()
        return {"value": float(output.data),
                "grads": {name: float(leaf.grad) for name, leaf in leaves.items()}}

    def build(self, spec: dict, params: dict[str, np.ndarray], dtype: str) -> MicrogradMLP:
        """MLP(nin, [units of each Dense]) with nn-parity's parameters written into parameters()' .data."""
        dense = [(i, layer["n_inputs"], layer["units"]) for i, layer in enumerate(spec["layers"])
                 if layer["type"] == "dense"]
        net = self.module.MLP(dense[0][1], [units for _, _, units in dense])
        slots = [slot for i, n_in, n_out in dense for j in range(n_out)
                 for slot in [*((f"{i}.weight", (k, j)) for k in range(n_in)), (f"{i}.bias", (j,))]]
        parameters = list(net.parameters())
        if len(parameters) != len(slots):
            raise ValueError(f"MLP({dense[0][1]}, {[u for _, _, u in dense]}).parameters() has "
                             f"{len(parameters)} Values, expected {len(slots)}: per layer, each neuron's "
                             "weights then its bias")
        for value, (key, index) in zip(parameters, slots, strict=True):
            value.data = float(params[key][index])
        shapes = {f"{i}.{name}": shape for i, n_in, n_out in dense
                  for name, shape in (("weight", (n_in, n_out)), ("bias", (n_out,)))}
        return MicrogradMLP(net, spec, parameters, slots, shapes)

    def read_params(self, model: MicrogradMLP) -> dict[str, np.ndarray]:
        """Every parameter's .data, in the (in, out) layout."""
        return _arrays(model, [value.data for value in model.parameters])

    def run_pass(self, model: MicrogradMLP, spec: dict, batch, shared: dict | None = None) -> dict:
        """Each sample through the MLP's layers as Values, the loss from Value ops, one backward()."""
        names, value = layer_names(spec), self.Value
        inputs = [[value(float(x)) for x in row] for row in batch.x]
        layers = getattr(model.net, "layers", None)
        if layers is None:
            raise ValueError("the MLP has no .layers (micrograd's MLP keeps its Layer objects there)")
        outs = [[_as_list(o) for o in _through(layers, row)] for row in inputs]  # [sample][layer]
        last = [out[-1] for out in outs]
        loss = self._loss(spec, last, batch)
        results = {"output": {"output": _data(last)}, "loss": {}, "unreadable": {}}
        if spec["loss"]:
            results["loss"]["loss"] = np.asarray(loss.data, dtype=np.float64)
        if spec.get("backward", True):
            loss.backward()
        forward, backward, unreadable = _layer_tensors(names, outs, inputs, value, spec.get("backward", True))
        results.update(activation=forward, unreadable=unreadable)
        if spec.get("backward", True):
            results["grad_activation"] = {**backward, **({"loss": _grads(last)} if spec["loss"] else {})}
            results["grad_param"] = _arrays(model, [v.grad for v in model.parameters])
            results["grad_input"] = {"input": _grads(inputs)}
        return results

    def _loss(self, spec: dict, outputs: list[list], batch):
        """MSE mean((o - t)^2) as (o + -t) * (o + -t) summed times 1/count, or sum(o * upstream)."""
        if spec["loss"] == "mse":
            diffs = [o + float(-t) for out, target in zip(outputs, batch.targets, strict=True)
                     for o, t in zip(out, target, strict=True)]
            return _total([d * d for d in diffs]) * (1.0 / len(diffs))
        return _total([o * float(g) for out, upstream in zip(outputs, batch.upstream, strict=True)
                       for o, g in zip(out, upstream, strict=True)])


def _through(layers, row: list) -> list:
    """The output of every Layer for one sample."""
    outs, x = [], row
    for layer in layers:
        x = layer(x)
        outs.append(x)
    return outs


def _data(rows: list[list]) -> np.ndarray:
    return np.array([[v.data for v in row] for row in rows], dtype=np.float64)


def _grads(rows: list[list]) -> np.ndarray:
    return np.array([[v.grad for v in row] for row in rows], dtype=np.float64)


def _arrays(model: MicrogradMLP, numbers: list[float]) -> dict[str, np.ndarray]:
    arrays = {key: np.zeros(shape) for key, shape in model.shapes.items()}
    for number, (key, index) in zip(numbers, model.slots, strict=True):
        arrays[key][index] = number
    return arrays


def _child(value, value_class):
    """The single Value a ReLU output was computed from (micrograd keeps it in ._prev), or None."""
    children = getattr(value, "_prev", None)
    children = list(children) if isinstance(children, (set, frozenset, list, tuple)) else []
    return children[0] if len(children) == 1 and isinstance(children[0], value_class) else None


def _layer_tensors(names: list[str], outs: list[list], inputs: list[list], value_class,
                   backward: bool) -> tuple[dict, dict, dict]:
    """(activation, grad_activation, unreadable) by spec layer name from the Values of every sample.

    Spec layer 2k is MLP layer k's Dense, 2k + 1 its ReLU: a hidden Layer returns ReLU outputs, whose
    pre-activations are read through ._prev when the Value keeps them; the last Layer returns the Dense.
    """
    forward, grads, unreadable = {}, {names[0]: _grads(inputs)} if backward else {}, {}
    for k in range(len(outs[0])):
        dense, relu = names[2 * k], names[2 * k + 1] if 2 * k + 1 < len(names) else None
        rows = [out[k] for out in outs]
        if relu is None:
            forward[dense] = _data(rows)
            continue
        forward[relu] = _data(rows)
        if backward:
            grads[names[2 * k + 2]] = _grads(rows)  # dL/d(the next Dense's input)
        pre = [[_child(v, value_class) for v in row] for row in rows]
        if any(p is None for row in pre for p in row):
            unreadable.setdefault("activation", {})[dense] = HIDDEN_PRE_ACTIVATION
            unreadable.setdefault("grad_activation", {})[relu] = HIDDEN_PRE_ACTIVATION
            continue
        forward[dense] = _data(pre)
        if backward:
            grads[relu] = _grads(pre)  # dL/d(pre-activation): what the ReLU's backward returns
    return forward, grads, unreadable


def adapter_for(module: ModuleType, spec: str) -> MicrogradAdapter:
    """The adapter of a micrograd-style module; SpecError when it has no usable Value class."""
    return MicrogradAdapter(module, spec)
