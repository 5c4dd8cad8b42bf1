"""Expression cases: random scalar expression graphs, the value and every leaf's gradient compared.

Each case draws one graph (comparisons/data/expressions.py) from its seed: options['leaves'] leaves,
options['nodes'] nodes using exactly the ops of options['ops'], then the nodes nothing reads summed
into the output. One case per op family, then micrograd's own engine ops and every op mixed, small to
about 40 nodes. float64 only: a scalar engine computes in Python floats. The frameworks compute with
their own autograd (reference/torch_expressions.py, reference/tensorflow_expressions.py).
"""

from __future__ import annotations

from comparisons.core.case import Case
from comparisons.data.expressions import OPS

SUITE = "expression"
# what micrograd's own Value (engine.py) defines: + - * / ** (a number exponent), unary minus, relu
MICROGRAD_CORE = ("add", "sub", "mul", "div", "pow", "neg", "relu", "radd", "rsub", "rmul", "rdiv")


def _expression(name: str, ops: tuple[str, ...], leaves: int, nodes: int, seed: int,
                notes: str = "") -> Case:
    return Case(id=f"expr_{name}", suite=SUITE,
                component=f"{nodes} nodes over {leaves} leaves: {', '.join(ops)}", layers=(), loss=None,
                data={}, seed=seed, dtypes=("float64",), kind="expression",
                options={"leaves": leaves, "nodes": nodes, "ops": ops}, notes=notes)


EXPRESSION_CASES: tuple[Case, ...] = (
    _expression("shared", ("add", "mul"), 2, 6, 0,
                "two leaves, six nodes: nearly every node is read twice (x * x, x + x, diamonds)"),
    _expression("arithmetic", ("add", "sub", "mul", "neg"), 3, 10, 1),
    _expression("division", ("add", "mul", "div"), 3, 10, 2, "divisors kept at |b| >= 0.5"),
    _expression("power", ("add", "mul", "pow"), 3, 10, 3,
                "constant exponents 2, 3, -1, -2, 0.5, 1.5; fractional ones of positive bases only"),
    _expression("reflected", ("add", "radd", "rsub", "rmul", "rdiv"), 3, 10, 4,
                "a number on the left: c + v, c - v, c * v, c / v "
                "(__radd__, __rsub__, __rmul__, __rtruediv__)"),
    _expression("exp_log", ("add", "mul", "exp", "log"), 3, 10, 5, "exp of |x| <= 2.5, log of x >= 0.5"),
    _expression("tanh", ("add", "mul", "tanh"), 3, 10, 6, "tanh of |x| <= 4: not saturated"),
    _expression("relu", ("add", "sub", "mul", "relu"), 3, 10, 7, "relu of |x| >= 0.1: never at the kink"),
    _expression("sigmoid", ("add", "mul", "sigmoid"), 3, 10, 8, "sigmoid of |x| <= 5: not saturated"),
    _expression("micrograd_core_12", MICROGRAD_CORE, 3, 12, 9, "the ops of micrograd's own engine"),
    _expression("micrograd_core_30", MICROGRAD_CORE, 4, 30, 10, "the ops of micrograd's own engine"),
    _expression("mixed_15", OPS, 4, 15, 11, "every op"),
    _expression("mixed_30", OPS, 4, 30, 12, "every op"),
    _expression("mixed_30_b", OPS, 5, 30, 13, "every op"),
)
