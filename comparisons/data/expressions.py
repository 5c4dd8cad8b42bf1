"""Random scalar expression graphs (case kind 'expression'), drawn once from default_rng(seed) in float64.

A graph is plain data, so that it crosses to every adapter as it is:

    {"leaves": [["x0", 1.25], ["x1", -0.61], ...],
     "nodes": [["n0", "mul", ["x0", "x1"]], ["n1", "pow", ["n0", 2.0]], ["n2", "rsub", [1.5, "n1"]], ...],
     "output": "n17"}

A node is [name, op, operands]. An operand is the name of a leaf or of an earlier node, or a number:
the constant exponent of `pow`, a constant right operand of add/sub/mul/div (`v + c`), or the left
operand of radd/rsub/rmul/rdiv (`c + v`, `c - v`, `c * v`, `c / v`: what micrograd's `__radd__`,
`__rsub__`, `__rmul__` and `__rtruediv__` compute). Operands are drawn so that some nodes are read
several times (shared subexpressions, diamonds) and some binary nodes read one node twice (`x * x`,
`x + x`): the graphs where a backward that sets `.grad` instead of accumulating it goes wrong.

Every node is evaluated in float64 while it is drawn and drawn again while it is unsafe (DOMAIN, and
|value| <= VALUE_BOUND), so no side meets a pole, a kink, an overflow or a saturated function, and
the same seed always gives the same graph. At the end, every leaf and node nothing reads is added
into the output, so that every leaf and node reaches it.
"""

from __future__ import annotations

import math

import numpy as np

BINARY = ("add", "sub", "mul", "div")
REFLECTED = {"radd": "add", "rsub": "sub", "rmul": "mul", "rdiv": "div"}  # a number on the left: c op v
UNARY = ("neg", "exp", "log", "tanh", "relu", "sigmoid")
OPS = (*BINARY, "pow", *UNARY, *REFLECTED)
EXPONENTS = (2.0, 3.0, -1.0, -2.0, 0.5, 1.5)
VALUE_BOUND = 20.0  # |value| of every drawn node
# op -> when its arguments (a, b) are safe: away from poles, kinks, overflow and saturation
DOMAIN = {
    "div": ("divisor |b| >= 0.5", lambda a, b: abs(b) >= 0.5),
    "log": ("argument >= 0.5", lambda a, b: a >= 0.5),
    "exp": ("|argument| <= 2.5", lambda a, b: abs(a) <= 2.5),
    "relu": ("|argument| >= 0.1, away from the kink at 0", lambda a, b: abs(a) >= 0.1),
    "tanh": ("|argument| <= 4, not saturated", lambda a, b: abs(a) <= 4.0),
    "sigmoid": ("|argument| <= 5, not saturated", lambda a, b: abs(a) <= 5.0),
    "pow": ("|base| >= 0.5, and > 0 for a fractional exponent",
            lambda a, b: abs(a) >= 0.5 and (a > 0 or float(b).is_integer())),
}
REUSE = 0.4  # chance that an operand is a name something already reads
SAME = 0.15  # chance that a binary node reads one name twice
CONSTANT = 0.15  # chance that a binary node's right operand is a number
TRIES = 100  # draws of one node's operands before its op is put back for later

_FORMULAS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "neg": lambda a, b: -a,
    "exp": lambda a, b: math.exp(a), "log": lambda a, b: math.log(a), "tanh": lambda a, b: math.tanh(a),
    "relu": lambda a, b: max(a, 0.0), "sigmoid": lambda a, b: 1.0 / (1.0 + math.exp(-a)),
}


def base_op(op: str) -> str:
    """The op of the formula: radd -> add (the operands keep their order, c first)."""
    return REFLECTED.get(op, op)


def apply(op: str, args: list[float]) -> float:
    """The node's value in float64 from its argument values (the drawing side's own evaluation)."""
    return float(_FORMULAS[base_op(op)](args[0], args[1] if len(args) > 1 else None))


def _safe(op: str, args: list[float]) -> float | None:
    """The node's value when its arguments are in the op's safe domain and it is within bounds."""
    domain = DOMAIN.get(base_op(op))
    if domain is not None and not domain[1](args[0], args[1] if len(args) > 1 else None):
        return None
    value = apply(op, args)
    return value if math.isfinite(value) and abs(value) <= VALUE_BOUND else None


def _number(rng: np.random.Generator) -> float:
    """A constant or leaf value: +-[0.5, 2.5)."""
    return float(rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 2.5))


def _name(rng: np.random.Generator, names: list[str], reads: dict[str, int]) -> str:
    """A leaf or earlier node: one already read (REUSE) or one not yet read; recent ones more likely."""
    read = [n for n in names if reads[n]]
    unread = [n for n in names if not reads[n]]
    pool = read if read and (not unread or rng.random() < REUSE) else unread
    weights = np.arange(1, len(pool) + 1, dtype=np.float64)
    return pool[int(rng.choice(len(pool), p=weights / weights.sum()))]


def _operands(op: str, rng: np.random.Generator, names: list[str], reads: dict[str, int]) -> list:
    if op in UNARY:
        return [_name(rng, names, reads)]
    if op == "pow":
        return [_name(rng, names, reads), float(rng.choice(EXPONENTS))]
    if op in REFLECTED:
        return [_number(rng), _name(rng, names, reads)]
    first, roll = _name(rng, names, reads), rng.random()
    if roll < SAME:
        return [first, first]
    if roll < SAME + CONSTANT:
        return [first, _number(rng)]
    return [first, _name(rng, names, reads)]


def _draw_node(op: str, rng: np.random.Generator, values: dict[str, float],
               reads: dict[str, int]) -> tuple[list, float] | None:
    """(operands, value) of a safe node of this op, or None after TRIES unsafe draws."""
    names = list(values)
    for _ in range(TRIES):
        operands = _operands(op, rng, names, reads)
        value = _safe(op, [values[o] if isinstance(o, str) else o for o in operands])
        if value is not None:
            return operands, value
    return None


def draw_graph(options: dict, seed: int) -> dict:
    """A graph of options['leaves'] leaves and options['nodes'] nodes using exactly options['ops'].

    Every op of options['ops'] appears at least once; 'add' must be among them (the output sums the
    nodes nothing reads). ValueError when an op cannot be drawn safely.
    """
    ops = tuple(options["ops"])
    unknown = sorted(set(ops) - set(OPS))
    if unknown or "add" not in ops or options["nodes"] < len(ops):
        raise ValueError(f"expression options {options}: ops must be among {', '.join(OPS)} and include "
                         f"'add' (unknown: {unknown}), with at least one node per op")
    rng = np.random.default_rng(seed)
    leaves = [[f"x{i}", _number(rng)] for i in range(options["leaves"])]
    values = {name: value for name, value in leaves}
    reads = dict.fromkeys(values, 0)
    extra = rng.integers(len(ops), size=options["nodes"] - len(ops))
    pool = list(ops) + [ops[i] for i in extra]
    schedule = [pool[i] for i in rng.permutation(len(pool))]
    nodes: list[list] = []
    while schedule:
        op = schedule.pop(0)
        drawn = _draw_node(op, rng, values, reads)
        if drawn is None:  # nothing safe to read yet: another op first, this one later
            if len(nodes) > 4 * options["nodes"]:
                raise ValueError(f"no safe {op!r} node in {len(nodes)} nodes (seed {seed}, {options})")
            schedule += [str(rng.choice([o for o in ops if o != op] or ["add"])), op]
            continue
        operands, value = drawn
        nodes.append([f"n{len(nodes)}", op, operands])
        for operand in operands:
            if isinstance(operand, str):
                reads[operand] += 1
        values[nodes[-1][0]], reads[nodes[-1][0]] = value, 0
    output = nodes[-1][0]
    for name in [n for n in values if not reads[n] and n != output]:  # every leaf and node reaches it
        nodes.append([f"n{len(nodes)}", "add", [output, name]])
        reads[output] += 1
        reads[name] += 1
        output = nodes[-1][0]
        reads[output] = 0
    return {"leaves": leaves, "nodes": nodes, "output": output}


def graph_ops(graph: dict) -> set[str]:
    """The ops a graph uses."""
    return {op for _, op, _ in graph["nodes"]}


def reads(graph: dict) -> dict[str, int]:
    """How many times each leaf and node is read as an operand (x * x reads x twice)."""
    counts = {name: 0 for name, _ in graph["leaves"]} | {name: 0 for name, _, _ in graph["nodes"]}
    for _, _, operands in graph["nodes"]:
        for operand in operands:
            if isinstance(operand, str):
                counts[operand] += 1
    return counts


def evaluate(graph: dict) -> dict[str, float]:
    """Every leaf's and node's value in float64, by the drawing side's formulas."""
    values = {name: value for name, value in graph["leaves"]}
    for name, op, operands in graph["nodes"]:
        values[name] = apply(op, [values[o] if isinstance(o, str) else o for o in operands])
    return values
